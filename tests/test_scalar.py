"""The specification of `Value`, the scalar engine.

Every op's gradient is checked against finite differences (`gradcheck`, float64) on inputs
drawn by hypothesis, inside each op's domain; then random expression graphs, a very deep
chain, reused nodes, accumulation across backward calls, and the error messages.
"""

from __future__ import annotations

import math
import sys
import warnings

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from minigrad import Value, gradcheck, no_grad


def reals(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


def away_from_zero(limit: float, margin: float) -> st.SearchStrategy[float]:
    """Numbers in [-limit, -margin] or [margin, limit]."""
    return st.one_of(reals(-limit, -margin), reals(margin, limit))


# The whole file must stay fast; finite differences on a handful of ops are cheap, but a
# loaded machine must not turn hypothesis's per-example deadline into a failure.
gradient_settings = settings(max_examples=60, deadline=None)


# ---- one op at a time --------------------------------------------------------------------

# name: (the op on Values, the same maths on floats, where to draw its input)
UNARY_OPS = {
    "neg": (lambda a: -a, lambda a: -a, reals(-10, 10)),
    "exp": (lambda a: a.exp(), math.exp, reals(-10, 10)),
    "log": (lambda a: a.log(), math.log, reals(0.05, 100)),
    "tanh": (lambda a: a.tanh(), math.tanh, reals(-10, 10)),
    "sigmoid": (lambda a: a.sigmoid(), lambda a: 1 / (1 + math.exp(-a)), reals(-30, 30)),
    # The kink at 0 has no derivative: finite differences are only meaningful away from it.
    "relu": (lambda a: a.relu(), lambda a: max(a, 0.0), away_from_zero(10, 1e-3)),
    "square": (lambda a: a**2, lambda a: a**2, reals(-10, 10)),
    "cube": (lambda a: a**3, lambda a: a**3, reals(-10, 10)),
    "reciprocal_power": (lambda a: a**-1, lambda a: 1 / a, away_from_zero(10, 0.1)),
    # Fractional powers are real only for positive bases.
    "sqrt": (lambda a: a**0.5, math.sqrt, reals(0.05, 100)),
    "power_1_7": (lambda a: a**1.7, lambda a: a**1.7, reals(0.05, 10)),
    "power_minus_0_3": (lambda a: a**-0.3, lambda a: a**-0.3, reals(0.05, 10)),
}

BINARY_OPS = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, reals(-10, 10)),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, reals(-10, 10)),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, reals(-10, 10)),
}


@pytest.mark.parametrize("name", UNARY_OPS)
@gradient_settings
@given(data=st.data())
def test_unary_op_forward_and_gradient(name: str, data: st.DataObject) -> None:
    op, reference, inputs = UNARY_OPS[name]
    a = data.draw(inputs, label="a")
    assert op(Value(a)).data == pytest.approx(reference(a), rel=1e-12, abs=1e-300)
    report = gradcheck(op, Value(a))
    assert report, report


@pytest.mark.parametrize("name", BINARY_OPS)
@gradient_settings
@given(data=st.data())
def test_binary_op_forward_and_gradient(name: str, data: st.DataObject) -> None:
    op, reference, inputs = BINARY_OPS[name]
    a, b = data.draw(inputs, label="a"), data.draw(inputs, label="b")
    assert op(Value(a), Value(b)).data == pytest.approx(reference(a, b), rel=1e-12)
    report = gradcheck(op, Value(a), Value(b))
    assert report, report


@gradient_settings
@given(a=reals(-10, 10), b=away_from_zero(10, 0.1))
def test_division_forward_and_gradient(a: float, b: float) -> None:
    assert (Value(a) / Value(b)).data == pytest.approx(a / b, rel=1e-12)
    report = gradcheck(lambda x, y: x / y, Value(a), Value(b))
    assert report, report


def test_gradients_have_the_textbook_values() -> None:
    # Exact values a reader can check by hand, beside the finite-difference checks.
    a, b = Value(3.0), Value(-2.0)
    (a * b + a**2).backward()  # d/da = b + 2a = 4, d/db = a = 3
    assert (a.grad, b.grad) == (4.0, 3.0)
    x = Value(0.0)
    x.tanh().backward()
    assert x.grad == 1.0  # tanh'(0) = 1
    y = Value(0.0)
    y.sigmoid().backward()
    assert y.grad == 0.25  # sigmoid'(0) = 1/4


# ---- Python numbers on either side ---------------------------------------------------------

# name: (the op with a Python number, the same maths on floats)
NUMBER_OPS = {
    "2 * v": (lambda v: 2 * v, lambda a: 2 * a),
    "v * 2": (lambda v: v * 2, lambda a: a * 2),
    "3 + v": (lambda v: 3 + v, lambda a: 3 + a),
    "v + 3": (lambda v: v + 3, lambda a: a + 3),
    "1 - v": (lambda v: 1 - v, lambda a: 1 - a),
    "v - 1": (lambda v: v - 1, lambda a: a - 1),
    "1 / v": (lambda v: 1 / v, lambda a: 1 / a),
    "v / 4": (lambda v: v / 4, lambda a: a / 4),
    "2.5 * v - 0.5": (lambda v: 2.5 * v - 0.5, lambda a: 2.5 * a - 0.5),
}


@pytest.mark.parametrize("name", NUMBER_OPS)
@gradient_settings
@given(a=away_from_zero(10, 0.1))
def test_op_with_a_python_number(name: str, a: float) -> None:
    op, reference = NUMBER_OPS[name]
    out = op(Value(a))
    assert isinstance(out, Value)
    assert out.data == pytest.approx(reference(a), rel=1e-12)
    report = gradcheck(op, Value(a))
    assert report, report


# ---- random expression graphs ----------------------------------------------------------------

# name: (the op on two nodes, whether its inputs are inside the domain where it is smooth and
# finite differences are accurate). Unary ops ignore their second input.
GRAPH_OPS = {
    "add": (lambda a, b: a + b, lambda a, b: True),
    "sub": (lambda a, b: a - b, lambda a, b: True),
    "mul": (lambda a, b: a * b, lambda a, b: True),
    "div": (lambda a, b: a / b, lambda a, b: abs(b) > 0.2),
    "rsub": (lambda a, b: 1 - a, lambda a, b: True),
    "scale": (lambda a, b: 0.5 * a, lambda a, b: True),
    "square": (lambda a, b: a**2, lambda a, b: True),
    "sqrt": (lambda a, b: a**0.5, lambda a, b: a > 0.2),
    "exp": (lambda a, b: a.exp(), lambda a, b: a < 3),
    "log": (lambda a, b: a.log(), lambda a, b: a > 0.2),
    "tanh": (lambda a, b: a.tanh(), lambda a, b: True),
    "sigmoid": (lambda a, b: a.sigmoid(), lambda a, b: True),
    "relu": (lambda a, b: a.relu(), lambda a, b: abs(a) > 1e-2),
}

N_GRAPH_INPUTS = 3

# A program is a list of steps (op, i, j): the step appends op(nodes[i], nodes[j]) to the
# list of nodes, which starts with the inputs. Any earlier node may be used again, so the
# programs draw trees and DAGs with shared subexpressions (diamonds). Indices are taken
# modulo the number of nodes so far.
programs = st.lists(
    st.tuples(st.sampled_from(sorted(GRAPH_OPS)), st.integers(0, 50), st.integers(0, 50)),
    min_size=1,
    max_size=12,
)


def run_program(program: list, inputs: tuple, check_domain: bool = False) -> Value | None:
    """The last node the program builds; with check_domain, None if a step leaves its domain
    or a node grows so large that round-off swamps finite differences."""
    nodes = list(inputs)
    for name, i, j in program:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        op, smooth_at = GRAPH_OPS[name]
        if check_domain and not smooth_at(a.data, b.data):
            return None
        out = op(a, b)
        if check_domain and abs(out.data) > 100:
            return None
        nodes.append(out)
    return nodes[-1]


@settings(max_examples=150, deadline=None)
@given(
    program=programs, xs=st.lists(reals(-2, 2), min_size=N_GRAPH_INPUTS, max_size=N_GRAPH_INPUTS)
)
def test_random_expression_graph_gradient(program: list, xs: list) -> None:
    inputs = tuple(Value(x) for x in xs)
    assume(run_program(program, inputs, check_domain=True) is not None)
    report = gradcheck(lambda *values: run_program(program, values), *inputs)
    assert report, f"{program}\n{report}"


# ---- deep graphs -------------------------------------------------------------------------------


def test_million_op_chain_backpropagates_without_recursion() -> None:
    limit = sys.getrecursionlimit()
    x, c = Value(0.5), Value(1.0 + 1e-7)
    n = 1_000_000
    v = x
    for _ in range(n):
        v = v * c
    v.backward()
    # v = x c^n, so dv/dx = c^n and dv/dc = n x c^(n-1)
    assert x.grad == pytest.approx(c.data**n, rel=1e-9)
    assert c.grad == pytest.approx(n * x.data * c.data ** (n - 1), rel=1e-9)
    assert sys.getrecursionlimit() == limit


# ---- reused nodes and accumulation --------------------------------------------------------


def test_node_used_twice_in_one_op_gets_both_contributions() -> None:
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0  # d(x^2)/dx = 2x
    y = Value(3.0)
    (y + y).backward()
    assert y.grad == 2.0


def test_diamond_adds_both_paths() -> None:
    # x feeds a and b, which meet again in out: dout/dx = b * da/dx + a * db/dx
    x = Value(2.0)
    a = x * 3.0  # 6
    b = x**2  # 4
    out = a * b
    out.backward()
    assert out.data == 24.0
    assert x.grad == pytest.approx(4.0 * 3.0 + 6.0 * (2 * 2.0))  # 36
    assert (a.grad, b.grad) == (4.0, 6.0)


def test_leaves_accumulate_across_backward_calls() -> None:
    x = Value(3.0)
    square = x * x
    out = square + x  # d/dx = 2x + 1 = 7
    out.backward()
    out.backward()
    assert x.grad == 14.0  # leaves add up, as in PyTorch, until reset
    assert square.grad == 1.0  # an intermediate node holds this call's gradient only
    assert out.grad == 1.0


def test_leaf_gradient_restarts_after_reset() -> None:
    x = Value(3.0)
    out = x * x
    out.backward()
    x.grad = 0.0  # what zero_grad does
    out.backward()
    assert x.grad == 6.0


def test_no_grad_records_no_graph() -> None:
    x = Value(2.0)
    with no_grad():
        y = x * 3.0 + 1.0
    assert y.data == 7.0
    assert y._parents == ()
    y.backward()
    assert x.grad == 0.0  # nothing flows back through an op made under no_grad
    z = x * 3.0  # and recording resumes afterwards
    assert z._parents[0] is x


# ---- edges of the domains and error messages -----------------------------------------------


def test_power_at_zero() -> None:
    zero = Value(0.0)
    assert (zero**0).data == 1.0
    for exponent, slope in [(0, 0.0), (1, 1.0), (2, 0.0), (0.5, math.inf)]:
        x = Value(0.0)
        (x**exponent).backward()
        assert x.grad == slope, exponent


def test_integer_power_of_a_negative_number() -> None:
    x = Value(-2.0)
    out = x**3
    out.backward()
    assert out.data == -8.0
    assert x.grad == 12.0  # 3 x^2


def test_sigmoid_is_stable_at_large_inputs() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning would fail the test
        for a, expected in [(1e4, 1.0), (-1e4, 0.0)]:
            x = Value(a)
            s = x.sigmoid()
            s.backward()
            assert s.data == expected
            assert x.grad == 0.0
            assert math.isfinite(s.data) and math.isfinite(x.grad)


def test_value_of_a_string_is_refused() -> None:
    with pytest.raises(TypeError, match="str"):
        Value("a")


def test_value_of_a_value_is_refused() -> None:
    with pytest.raises(TypeError, match="Value"):
        Value(Value(1.0))


def test_op_with_a_string_is_refused() -> None:
    with pytest.raises(TypeError, match="str"):
        Value(1.0) + "a"


@pytest.mark.parametrize("a", [0.0, -2.5])
def test_log_of_non_positive_names_the_value(a: float) -> None:
    with pytest.raises(ValueError, match=f"positive.*{a:g}"):
        Value(a).log()


def test_value_to_a_value_power_is_refused() -> None:
    with pytest.raises(TypeError, match=r"Value \*\* Value is not supported"):
        Value(2.0) ** Value(3.0)


def test_negative_base_to_fractional_power_is_refused() -> None:
    with pytest.raises(ValueError, match="fractional"):
        Value(-4.0) ** 0.5


def test_division_by_zero_says_so() -> None:
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        1 / Value(0.0)


def test_exp_overflow_is_refused() -> None:
    with pytest.raises(OverflowError, match="exp"):
        Value(800.0).exp()
