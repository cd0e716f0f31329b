"""The graded parts of the exercises: for each part, its points and the function that checks it.

A learner's notebook calls `check("lstm.forget_gate", forget_gate)`; `minigrad.grading.check`
looks the part up in `PARTS` (at the end of this file) and calls its checking function with
the learner's answer.

To add a part, write one function that
  1. builds a few inputs (random ones from a fixed seed, so that the feedback is the same on
     every run, plus the edge cases that catch common mistakes),
  2. calls the learner's answer on them and compares with minigrad's own implementation
     (the reference), and checks the properties any right answer has (shapes, ranges,
     gradients that agree with finite differences),
  3. raises `WrongAnswer` (from minigrad.grading) with a sentence a learner understands when
     something is off; `expect_shape`, `expect_close`, `expect_finite` and `expect_in_range`
     do that for the usual cases, and show the inputs that expose the mistake,
and add a line `"chapter.name": Part(points, check_function)` to `PARTS`. An exception that
the answer raises itself needs no handling here: `check` turns it into a message.

Where a wrong answer is a known, common mistake (a tanh where a sigmoid belongs, an
off-by-one in time, a transposed matrix), the check computes that mistake too and, when the
answer matches it, says so in the message: `_recognize` below.

The three "demo" parts are small examples of the format, used by the grader's tests. The
course's parts follow, chapter by chapter (notebooks exercises/01_... to 07_...).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from minigrad import nn, tasks
from minigrad.gradcheck import gradcheck
from minigrad.grading import (
    WrongAnswer,
    expect_close,
    expect_finite,
    expect_in_range,
    expect_shape,
)
from minigrad.nn import functional as F
from minigrad.optim import SGD, clip_grad_norm_
from minigrad.scalar import Value
from minigrad.tensor import Tensor, make_node, randn, sigmoid, softmax, unbroadcast


@dataclass(frozen=True)
class Part:
    """One graded part: how many points it is worth and the function that checks an answer."""

    points: int
    check: Callable[[Any], None]


# ----------------------------------------------------------------------------------------------
# Demo parts (examples of the format)
# ----------------------------------------------------------------------------------------------


def check_demo_square(square: Callable[[float], float]) -> None:
    """`square(x)` returns x * x for one float."""
    rng = np.random.default_rng(0)
    # 0 and a negative number catch `x + x`, `abs(x) * 2` and friends
    for x in [0.0, -3.0, *rng.uniform(-5, 5, size=4).round(3)]:
        x = float(x)
        expect_close(square(x), x * x, inputs={"x": x}, what="square(x)")


def check_demo_sigmoid(sigmoid: Callable[[np.ndarray], np.ndarray]) -> None:
    """`sigmoid(x)` returns 1 / (1 + exp(-x)) elementwise, for an array x of any shape."""
    rng = np.random.default_rng(1)
    x = rng.normal(0, 3, size=(3, 4)).round(3)
    expected = 1 / (1 + np.exp(-x))
    # a copy, so that an answer that writes into its input cannot change `x` under us
    result = sigmoid(x.copy())
    expect_shape(result, x.shape, what="sigmoid(x)")
    expect_in_range(result, 0.0, 1.0, what="sigmoid(x)")
    expect_close(result, expected, inputs={"x": x}, what="sigmoid(x)")
    # exp(x) / (1 + exp(x)) is inf / inf = nan for large x; the answer must stay finite
    far = np.array([-800.0, 800.0])
    far_result = sigmoid(far.copy())
    overflow_hint = "An exp overflows for large |x|: use 1 / (1 + exp(-x)) where x >= 0."
    expect_finite(far_result, inputs={"x": far}, what="sigmoid(x)", hint=overflow_hint)
    expect_close(far_result, [0.0, 1.0], inputs={"x": far}, what="sigmoid(x)")


def check_demo_outer(outer: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
    """`outer(u, v)` returns the matrix u v^T: u (M,), v (N,) give (M, N)."""
    rng = np.random.default_rng(2)
    # M != N, so that a transposed answer shows up as a wrong shape
    u = rng.integers(-5, 6, size=3).astype(float)
    v = rng.integers(-5, 6, size=4).astype(float)
    result = outer(u.copy(), v.copy())
    expect_shape(result, (3, 4), what="outer(u, v)")
    expect_close(result, u[:, None] * v[None, :], inputs={"u": u, "v": v}, what="outer(u, v)")


# ----------------------------------------------------------------------------------------------
# Helpers shared by the course's checks
# ----------------------------------------------------------------------------------------------

GRAPH_HINT = (
    "Compute it with Tensor operations (@, +, *, .T, .sigmoid(), .tanh(), slicing), not with "
    "numpy on .data: only Tensor operations record the graph that backward() walks."
)


def _describe(value: Any) -> str:
    """What a value is, in a few words: 'a list of 3 items', 'a Tensor of shape (2, 4)'."""
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, Tensor):
        return f"a Tensor of shape {value.shape}"
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    return f"a {type(value).__name__}"


def _numbers(value: Any) -> np.ndarray | None:
    """`value` as a float array, or None when it is not numbers (then the caller's
    expect_* helper gives the message)."""
    if isinstance(value, (Tensor, Value)):
        value = value.data
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


def _recognize(got: Any, mistakes: dict[str, Any]) -> str:
    """The hint for the first known mistake whose result `got` equals, or "".

    `mistakes` maps a hint (what the learner did, and what to do instead) to the result
    that mistake gives on the same inputs, or to None when it cannot be told apart there.
    """
    values = _numbers(got)
    if values is None:
        return ""
    for hint, result in mistakes.items():
        if result is None:  # a mistake that these inputs cannot show
            continue
        result = np.asarray(result, dtype=float)
        if values.shape == result.shape and np.allclose(values, result, rtol=1e-6, atol=1e-9):
            return hint
    return ""


def _expect_pair(got: Any, what: str, names: str) -> tuple[Any, Any]:
    """`got` as a pair, or a WrongAnswer saying what came back instead."""
    if got is None:
        raise WrongAnswer(f"{what} returned None: is a `return` missing?")
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise WrongAnswer(f"{what} should return a pair ({names}), got {_describe(got)}.")
    return got[0], got[1]


def _expect_tensor(got: Any, what: str) -> Tensor:
    """`got` itself when it is a Tensor; otherwise a WrongAnswer that says why it must be."""
    if isinstance(got, Tensor):
        return got
    if got is None:
        raise WrongAnswer(f"{what} returned None: is a `return` missing?")
    raise WrongAnswer(f"{what} should return a minigrad Tensor, got {_describe(got)}. {GRAPH_HINT}")


RULE_HINT = (
    "Your rule gave the right numbers on the inputs above, but not here: does it use "
    "anything besides its arguments?"
)


def _expect_gradients_agree(
    f: Callable, inputs: dict[str, Any], what: str, hint: str = GRAPH_HINT
) -> None:
    """Fail unless backward through `f(*inputs)` agrees with finite differences (gradcheck).

    inputs: name -> Value or float64 Tensor with requires_grad=True, in f's argument order.
    hint: what to look at: GRAPH_HINT when the learner computes with Tensors, RULE_HINT when
    the learner wrote a backward rule that the check put into the graph.
    """
    names = list(inputs)
    try:
        report = gradcheck(f, *inputs.values())
    except RuntimeError as error:
        if "does not require grad" not in str(error):
            raise
        raise WrongAnswer(
            f"No gradient flows back through {what}: the result is not connected to its "
            f"inputs in the graph. {GRAPH_HINT}"
        ) from None
    if report.passed:
        return
    worst = next(e for e in report.inputs if e.error > report.tolerance)
    where = f" at index {worst.position}" if worst.position else ""
    raise WrongAnswer(
        f"The gradient of {what} with respect to {names[worst.index]}{where} disagrees with "
        f"finite differences: backward gives {worst.analytic:.6g}, finite differences give "
        f"{worst.numeric:.6g}. {hint}"
    )


def _random_tensor(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> Tensor:
    """A float64 leaf that requires grad, with entries rounded to 3 decimals (readable)."""
    return Tensor(rng.normal(0.0, scale, size=shape).round(3), requires_grad=True)


def _engine_grads(f: Callable, arrays: list[np.ndarray], grad: np.ndarray) -> list[np.ndarray]:
    """What minigrad's backward gives each of `arrays` for f(*arrays) with dL/d(result) = grad."""
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    f(*tensors).backward(grad)
    return [t.grad for t in tensors]


# ----------------------------------------------------------------------------------------------
# Chapter 1: scalar autograd (exercises/01_scalar_autograd.ipynb)
# ----------------------------------------------------------------------------------------------


def _value_op(data: float, parents: tuple, local_grads: Any, op: str) -> Value:
    """A Value node made from the learner's local derivatives, as Value's own ops make one."""
    return Value._result(data, parents, tuple(float(g) for g in local_grads), op)


def check_scalar_mul(mul_local_grads: Callable[[float, float], tuple[float, float]]) -> None:
    """`mul_local_grads(a, b)` returns (d(ab)/da, d(ab)/db), the local derivatives of a * b."""
    rng = np.random.default_rng(10)
    pairs = [(2.0, -3.0), (0.0, 5.0), *rng.uniform(-4, 4, size=(3, 2)).round(3)]
    for a, b in pairs:
        a, b = float(a), float(b)
        d_a, d_b = (Value(a) * Value(b))._local_grads  # minigrad's own rule
        got_a, got_b = _expect_pair(
            mul_local_grads(a, b), "mul_local_grads(a, b)", "d(ab)/da, d(ab)/db"
        )
        hint = _recognize(
            [got_a, got_b],
            {
                "You returned (a, b): the slope of a * b in a is the other factor, b.": [a, b],
                "You returned (1, 1), the rule of a + b: for a * b each slope is the other "
                "factor.": [1.0, 1.0],
            },
        )
        inputs = {"a": a, "b": b}
        expect_close(got_a, d_a, inputs=inputs, what="d(ab)/da, the first number,", hint=hint)
        expect_close(got_b, d_b, inputs=inputs, what="d(ab)/db, the second number,", hint=hint)

    def a_times_b_times_a(a: Value, b: Value) -> Value:
        ab = _value_op(a.data * b.data, (a, b), mul_local_grads(a.data, b.data), "*")
        return _value_op(ab.data * a.data, (ab, a), mul_local_grads(ab.data, a.data), "*")

    _expect_gradients_agree(
        a_times_b_times_a,
        {"a": Value(1.5), "b": Value(-0.7)},
        "a * b * a (made with your mul)",
        RULE_HINT,
    )


def check_scalar_tanh(tanh_local_grad: Callable[[float], float]) -> None:
    """`tanh_local_grad(x)` returns d tanh(x)/dx = 1 - tanh(x)^2."""
    for x in [0.5, -1.3, 0.0, 2.0, -20.0]:
        (expected,) = Value(x).tanh()._local_grads
        got = tanh_local_grad(x)
        t = math.tanh(x)
        hint = _recognize(
            got,
            {
                "You computed 1 - tanh(x): the tanh must be squared.": 1 - t,
                "You computed 1 - x^2: square tanh(x), the output, not x.": 1 - x * x,
                "That is the slope of the sigmoid, s (1 - s); tanh's is 1 - tanh(x)^2.": (
                    1 / (1 + math.exp(-x)) * (1 - 1 / (1 + math.exp(-x)))
                ),
            },
        )
        expect_close(got, expected, inputs={"x": x}, what="tanh_local_grad(x)", hint=hint)

    def tanh_of_scaled(x: Value) -> Value:
        inner = x * 0.8
        outer = _value_op(math.tanh(inner.data), (inner,), [tanh_local_grad(inner.data)], "tanh")
        return outer * x

    _expect_gradients_agree(
        tanh_of_scaled, {"x": Value(0.9)}, "tanh(0.8 x) * x (your tanh)", RULE_HINT
    )


def check_scalar_exp(exp_local_grad: Callable[[float], float]) -> None:
    """`exp_local_grad(x)` returns d exp(x)/dx = exp(x)."""
    for x in [1.0, -2.0, 0.0, 3.5]:
        (expected,) = Value(x).exp()._local_grads
        got = exp_local_grad(x)
        hint = _recognize(
            got,
            {
                "You used the power rule, x e^(x-1): it is for x^n with a fixed n; here the "
                "variable is in the exponent.": x * math.exp(x - 1),
                "You computed x e^x: the slope of e^x is e^x itself.": x * math.exp(x),
            },
        )
        expect_close(got, expected, inputs={"x": x}, what="exp_local_grad(x)", hint=hint)

    def exp_of_product(x: Value, y: Value) -> Value:
        product = x * y
        e = math.exp(product.data)
        return _value_op(e, (product,), [exp_local_grad(product.data)], "exp") + x

    _expect_gradients_agree(
        exp_of_product, {"x": Value(0.7), "y": Value(-1.2)}, "exp(x y) + x (your exp)", RULE_HINT
    )


def _scalar_graph(a: Value, b: Value, c: Value) -> Value:
    """A small graph in which a, b and an inner node f are each used twice."""
    f = (a * b + b.tanh()) * c + a.exp()
    return f * f


def check_scalar_backward(backward: Callable[[Value], None]) -> None:
    """`backward(root)` fills `.grad` of every node of root's graph: d(root)/d(node)."""
    numbers = {"a": 0.5, "b": -1.2, "c": 0.8}
    reference = [Value(v) for v in numbers.values()]
    _scalar_graph(*reference).backward()

    leaves = [Value(v) for v in numbers.values()]
    root = _scalar_graph(*leaves)
    backward(root)
    expect_close(
        root.grad,
        1.0,
        what="root.grad",
        hint="The chain rule starts from d(root)/d(root) = 1: set root.grad = 1.0 first.",
    )
    if all(leaf.grad == 0 for leaf in leaves):
        hint = (
            "Every gradient is still 0: visit the nodes from the root back to the leaves, "
            "for node in reversed(topological_order(root)), and pass node.grad on to each parent."
        )
    else:
        hint = (
            "Check two things: a node used twice must add up what each use sends back "
            "(parent.grad += ..., not =); and a node passes its gradient on only after all its "
            "users did, which is what walking reversed(topological_order(root)) guarantees."
        )
    for name, leaf, expected in zip(numbers, leaves, reference):
        expect_close(
            leaf.grad,
            expected.grad,
            inputs=numbers,
            what=f"{name}.grad for root = ((a*b + tanh(b))*c + exp(a))^2",
            hint=hint,
        )

    # a long chain: a recursive walk would go deeper than Python allows
    x = Value(0.3)
    y = x
    for _ in range(1500):
        y = y * 0.999
    try:
        backward(y)
    except RecursionError:
        raise WrongAnswer(
            "backward hit Python's recursion limit on a chain of 1500 operations: walk the "
            "graph with a loop over topological_order(root) instead of calling itself."
        ) from None
    expect_close(x.grad, 0.999**1500, what="x.grad for a chain of 1500 products x * 0.999")


# ----------------------------------------------------------------------------------------------
# Chapter 2: tensors (exercises/02_tensors.ipynb)
# ----------------------------------------------------------------------------------------------


def check_tensors_unbroadcast(answer: Callable[[np.ndarray, tuple], np.ndarray]) -> None:
    """`unbroadcast(grad, shape)` sums grad down to `shape`, undoing numpy's broadcasting."""
    rng = np.random.default_rng(20)
    cases = [
        ((2, 3), (2, 3)),
        ((4, 3), (3,)),
        ((4, 3), (4, 1)),
        ((2, 4, 3), (4, 1)),
        ((2, 4, 3), (1, 4, 3)),
        ((2, 3), (1, 1)),
        ((5,), ()),
    ]
    for grad_shape, shape in cases:
        grad = rng.integers(-3, 4, size=grad_shape).astype(float)
        expected = unbroadcast(grad.copy(), shape)
        got = answer(grad.copy(), shape)
        got_shape = np.shape(_numbers(got)) if _numbers(got) is not None else None
        if got_shape == grad_shape and shape != grad_shape:
            hint = "grad came back as it was: sum over the axes that broadcasting stretched."
        elif got_shape == tuple(n for n in shape if n != 1) and shape != got_shape:
            hint = "Keep the axes where `shape` has size 1: sum over them with keepdims=True."
        else:
            hint = (
                "Sum over the leading axes that broadcasting added, then (keepdims=True) over "
                "the axes where `shape` has size 1."
            )
        what = f"unbroadcast(grad, shape={shape}) for a grad of shape {grad_shape}"
        expect_shape(got, shape, what=what, hint=hint)
        expect_close(got, expected, inputs={"grad": grad}, what=what)


def check_tensors_mul_backward(mul_backward: Callable) -> None:
    """`mul_backward(a, b, grad)` returns (dL/da, dL/db) for out = a * b (with broadcasting),
    given grad = dL/d(out)."""
    rng = np.random.default_rng(21)
    for shape_a, shape_b in [((2, 3), (2, 3)), ((3, 1), (4,)), ((2, 3, 4), (3, 1))]:
        a = rng.normal(size=shape_a).round(2)
        b = rng.normal(size=shape_b).round(2)
        out_shape = np.broadcast_shapes(shape_a, shape_b)
        grad = rng.normal(size=out_shape).round(2)
        expected = _engine_grads(lambda x, y: x * y, [a, b], grad)
        got = _expect_pair(
            mul_backward(a.copy(), b.copy(), grad.copy()),
            "mul_backward(a, b, grad)",
            "grad_a, grad_b",
        )
        inputs = {"a": a, "b": b, "grad": grad}
        for name, result, x, ref in zip(("a", "b"), got, (a, b), expected):
            hint = (
                f"A gradient has the shape of its input: {name} is {x.shape}, but a * b is "
                f"{out_shape}. Each entry of {name} was used in several places, so sum their "
                f"gradients: unbroadcast(..., {name}.shape)."
            )
            expect_shape(result, x.shape, what=f"grad_{name}", hint=hint)
            expect_close(result, ref, inputs=inputs, what=f"grad_{name}")

    def tanh_of_product(x: Tensor, y: Tensor) -> Tensor:
        xs, ys = x.data.copy(), y.data.copy()
        product = make_node(xs * ys, (x, y), lambda g: tuple(mul_backward(xs, ys, g)), "mul")
        return product.tanh()

    _expect_gradients_agree(
        tanh_of_product,
        {"a": _random_tensor(rng, 3, 1), "b": _random_tensor(rng, 4)},
        "tanh(a * b) (made with your mul_backward)",
        RULE_HINT,
    )


def check_tensors_matmul_backward(matmul_backward: Callable) -> None:
    """`matmul_backward(A, B, grad)` returns (dL/dA, dL/dB) for out = A @ B, A (M, K) and
    B (K, N), given grad = dL/d(out), (M, N)."""
    rng = np.random.default_rng(22)
    for m, k, n in [(2, 3, 4), (1, 4, 2)]:  # three different sizes: a transpose shows
        A = rng.normal(size=(m, k)).round(2)
        B = rng.normal(size=(k, n)).round(2)
        grad = rng.normal(size=(m, n)).round(2)
        expected = _engine_grads(lambda x, y: x @ y, [A, B], grad)
        got = _expect_pair(
            matmul_backward(A.copy(), B.copy(), grad.copy()),
            "matmul_backward(A, B, grad)",
            "grad_A, grad_B",
        )
        inputs = {"A": A, "B": B, "grad": grad}
        hint = "dL/dA = grad @ B.T and dL/dB = A.T @ grad: the shapes tell which side is which."
        for name, result, x, ref in zip(("A", "B"), got, (A, B), expected):
            expect_shape(result, x.shape, what=f"grad_{name}", hint=hint)
            expect_close(result, ref, inputs=inputs, what=f"grad_{name}")

    def tanh_of_matmul(x: Tensor, y: Tensor) -> Tensor:
        xs, ys = x.data.copy(), y.data.copy()
        out = make_node(xs @ ys, (x, y), lambda g: tuple(matmul_backward(xs, ys, g)), "matmul")
        return out.tanh()

    _expect_gradients_agree(
        tanh_of_matmul,
        {"A": _random_tensor(rng, 2, 3), "B": _random_tensor(rng, 3, 4)},
        "tanh(A @ B) (made with your matmul_backward)",
        RULE_HINT,
    )


def check_tensors_softmax_backward(softmax_backward: Callable) -> None:
    """`softmax_backward(s, grad)` returns dL/dx for s = softmax(x) along the last axis,
    given s and grad = dL/ds, both (B, C)."""
    rng = np.random.default_rng(23)
    for shape in [(2, 4), (3, 3)]:  # square too: a sum without keepdims broadcasts silently
        x = rng.normal(0, 2, size=shape).round(2)
        grad = rng.normal(size=shape).round(2)
        s = softmax(x)
        (expected,) = _engine_grads(lambda t: t.softmax(axis=-1), [x], grad)
        got = softmax_backward(s.copy(), grad.copy())
        diagonal_only = s * (1 - s) * grad
        # only a square (B, B) array lets a (B,) sum broadcast, along the wrong axis
        sum_without_keepdims = (
            s * (grad - (grad * s).sum(axis=-1)) if shape[0] == shape[1] else None
        )
        hint = _recognize(
            got,
            {
                "You kept only ds_i/dx_i = s_i (1 - s_i), the diagonal of the Jacobian; every "
                "s_j depends on x_i too (ds_j/dx_i = -s_j s_i), which gives "
                "s * (grad - sum(grad * s)).": diagonal_only,
                "The sum over the classes must stay a column, one number per row: "
                "keepdims=True.": sum_without_keepdims,
            },
        )
        expect_shape(got, shape, what="softmax_backward(s, grad)")
        expect_close(
            got,
            expected,
            inputs={"s": s, "grad": grad},
            what="softmax_backward(s, grad)",
            hint=hint,
        )

    def weighted_softmax(x: Tensor) -> Tensor:
        s = softmax(x.data)
        return make_node(s, (x,), lambda g: (softmax_backward(s, g),), "softmax") * x

    _expect_gradients_agree(
        weighted_softmax,
        {"x": _random_tensor(rng, 2, 3)},
        "softmax(x) * x (your backward)",
        RULE_HINT,
    )


# ----------------------------------------------------------------------------------------------
# Chapter 3: the RNN and backpropagation through time (exercises/03_rnn_bptt.ipynb)
# ----------------------------------------------------------------------------------------------


def check_rnn_cell(rnn_cell: Callable) -> None:
    """`rnn_cell(x, h, cell)` returns h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh), (B, H),
    for x (B, I), h (B, H) and an nn.RNNCell `cell`."""
    rng = np.random.default_rng(30)
    cell = nn.RNNCell(3, 4, rng=30)  # B = 2, I = 3, H = 4: a transpose shows
    x, h = _random_tensor(rng, 2, 3), _random_tensor(rng, 2, 4)
    expected = cell(x, h).data
    got = _expect_tensor(rnn_cell(x, h, cell), "rnn_cell(x, h, cell)")
    expect_shape(got, (2, 4), what="rnn_cell(x, h, cell)")
    pre = x.data @ cell.weight_ih.data.T + cell.bias_ih.data
    pre_h = h.data @ cell.weight_hh.data.T + cell.bias_hh.data
    hint = _recognize(
        got,
        {
            "That is the sigmoid of the sum: the RNN cell uses tanh.": sigmoid(pre + pre_h),
            "That is the sum before the tanh: apply .tanh() to it.": pre + pre_h,
            "The bias b_hh is missing.": np.tanh(pre + pre_h - cell.bias_hh.data),
            "The bias b_ih is missing.": np.tanh(pre + pre_h - cell.bias_ih.data),
        },
    )
    expect_in_range(got, -1.0, 1.0, what="rnn_cell(x, h, cell)", hint=hint)
    expect_close(
        got, expected, inputs={"x": x.data, "h": h.data}, what="rnn_cell(x, h, cell)", hint=hint
    )
    _expect_gradients_agree(
        lambda *_: rnn_cell(x, h, cell),
        {
            "x": x,
            "h": h,
            "cell.weight_ih": cell.weight_ih,
            "cell.weight_hh": cell.weight_hh,
            "cell.bias_ih": cell.bias_ih,
            "cell.bias_hh": cell.bias_hh,
        },
        "rnn_cell(x, h, cell)",
    )


def check_rnn_forward(rnn_forward: Callable) -> None:
    """`rnn_forward(cell, x, h0)` runs the cell over x (T, B, I) from h0 (B, H) (zeros when
    None) and returns the hidden states h_1 ... h_T stacked, (T, B, H)."""
    rng = np.random.default_rng(31)
    steps, batch, inputs, hidden = 5, 2, 3, 4
    cell = nn.RNNCell(inputs, hidden, rng=31)
    x = _random_tensor(rng, steps, batch, inputs)
    h0 = _random_tensor(rng, batch, hidden)
    states = [h0]
    for t in range(steps):
        states.append(cell(x[t], states[-1]))
    expected = np.stack([h.data for h in states[1:]])

    got = rnn_forward(cell, x, h0)
    if isinstance(got, (list, tuple)):
        raise WrongAnswer(
            f"rnn_forward returned {_describe(got)}: stack the hidden states into one "
            "(T, B, H) tensor with minigrad.stack(states)."
        )
    got = _expect_tensor(got, "rnn_forward(cell, x, h0)")
    shape_hint = (
        "One hidden state per time step, h_1 to h_T: h0 is where the cell starts, not an output."
    )
    expect_shape(got, (steps, batch, hidden), what="rnn_forward(cell, x, h0)", hint=shape_hint)
    hint = _recognize(
        got,
        {
            "Your states are one step late: entry 0 must be h_1, the state after reading x[0], "
            "and entry T-1 must be h_T.": np.stack([h.data for h in states[:-1]]),
        },
    )
    expect_close(
        got,
        expected,
        inputs={"x": x.data, "h0": h0.data},
        what="rnn_forward(cell, x, h0)",
        hint=hint,
    )

    zeros_start = rnn_forward(cell, x, None)
    states = [None]
    for t in range(steps):
        states.append(cell(x[t], states[-1]))
    expect_close(
        zeros_start,
        np.stack([h.data for h in states[1:]]),
        what="rnn_forward(cell, x, None)",
        hint="With h0=None the cell starts from zeros: cell(x_t, None) does that for you.",
    )
    _expect_gradients_agree(
        lambda x, h0: rnn_forward(cell, x, h0), {"x": x, "h0": h0}, "rnn_forward(cell, x, h0)"
    )


def _bptt_reference(
    hs: np.ndarray,
    weight_hh: np.ndarray,
    grad_h_last: np.ndarray,
    late_derivative: bool = False,
    transposed: bool = False,
) -> np.ndarray:
    """dL/dh_t for t = 0..T by hand; the flags compute two common mistakes instead."""
    grads = np.zeros_like(hs)
    grads[-1] = grad_h_last
    W = weight_hh.T if transposed else weight_hh
    for t in range(len(hs) - 1, 0, -1):
        h = hs[t - 1] if late_derivative else hs[t]
        grads[t - 1] = (grads[t] * (1 - h * h)) @ W
    return grads


def _rnn_run(seed: int, steps: int = 6, batch: int = 2, inputs: int = 3, hidden: int = 4):
    """An RNNCell run over random inputs from a random h_0, then backward from h_T with a
    random dL/dh_T. Returns (cell, hs, grad_h_last): hs is [h_0, ..., h_T], each (B, H), with
    .grad filled, and the cell's weights hold their gradients."""
    rng = np.random.default_rng(seed)
    cell = nn.RNNCell(inputs, hidden, rng=seed)
    x = randn(steps, batch, inputs, rng=rng)
    hs = [_random_tensor(rng, batch, hidden, scale=0.5)]
    for t in range(steps):
        hs.append(cell(x[t], hs[-1]))
    grad_h_last = rng.normal(size=(batch, hidden)).round(2)
    hs[-1].backward(grad_h_last)
    return cell, hs, grad_h_last


def check_rnn_bptt_hidden(bptt_hidden_grads: Callable) -> None:
    """`bptt_hidden_grads(hs, weight_hh, grad_h_last)` returns dL/dh_t for t = 0..T,
    (T+1, B, H), given hs = [h_0, ..., h_T] (T+1, B, H) of a tanh RNN and dL/dh_T (B, H)."""
    cell, states, grad_h_last = _rnn_run(32)
    hs = np.stack([h.data for h in states])
    expected = np.stack([h.grad for h in states])  # what minigrad's backward found
    W = cell.weight_hh.data
    got = bptt_hidden_grads(hs.copy(), W.copy(), grad_h_last.copy())
    what = "bptt_hidden_grads(hs, weight_hh, grad_h_last)"
    expect_shape(
        got,
        hs.shape,
        what=what,
        hint="One gradient per hidden state, dL/dh_0 to dL/dh_T: the same shape as hs.",
    )
    expect_close(
        _numbers(got)[-1],
        grad_h_last,
        what=f"entry T of {what}",
        hint="The last entry is dL/dh_T, which is given: grad_h_last itself.",
    )
    hint = _recognize(
        got,
        {
            "Off by one step: the tanh' factor of step t is 1 - h_t^2, from the state that "
            "step produced, not 1 - h_{t-1}^2.": _bptt_reference(hs, W, grad_h_last, True),
            "W_hh is transposed: h_t = tanh(... + h_{t-1} W_hh^T), so the gradient goes back "
            "as (...) @ W_hh.": _bptt_reference(hs, W, grad_h_last, transposed=True),
            "Your entries run backwards in time: entry t must be dL/dh_t.": expected[::-1],
        },
    )
    expect_close(got, expected, what=what, hint=hint)


def check_rnn_bptt_weight(bptt_weight_grad: Callable) -> None:
    """`bptt_weight_grad(hs, weight_hh, grad_h_last)` returns dL/dW_hh, (H, H): the sum over
    the steps t = 1..T of (dL/dh_t * (1 - h_t^2))^T h_{t-1}."""
    cell, states, grad_h_last = _rnn_run(33)
    hs = np.stack([h.data for h in states])
    W = cell.weight_hh.data
    expected = cell.weight_hh.grad  # what minigrad's backward found
    got = bptt_weight_grad(hs.copy(), W.copy(), grad_h_last.copy())
    what = "bptt_weight_grad(hs, weight_hh, grad_h_last)"
    expect_shape(got, W.shape, what=what)
    grads = _bptt_reference(hs, W, grad_h_last)
    grad_pre = grads[1:] * (1 - hs[1:] ** 2)  # dL/da_t for t = 1..T
    # sum over the steps t and the batch b of outer products, (H, H)
    with_h_t = np.einsum("tbi,tbj->ij", grad_pre, hs[1:])
    transposed = np.einsum("tbi,tbj->ji", grad_pre, hs[:-1])
    without_slope = np.einsum("tbi,tbj->ij", grads[1:], hs[:-1])
    hint = _recognize(
        got,
        {
            "Off by one step: step t multiplies W_hh with h_{t-1}, the state it read, so its "
            "term is (dL/da_t)^T h_{t-1}, not (dL/da_t)^T h_t.": with_h_t,
            "Your matrix is transposed: entry (i, j) is the slope in W_hh[i, j], which links "
            "h_{t-1}[j] to unit i, so the product is (dL/da_t)^T @ h_{t-1}.": transposed,
            "The tanh' factor is missing: dL/da_t = dL/dh_t * (1 - h_t^2).": without_slope,
        },
    )
    expect_close(got, expected, what=what, hint=hint)


# ----------------------------------------------------------------------------------------------
# Chapter 4: the vanishing and exploding gradient (exercises/04_vanishing_gradient.ipynb)
# ----------------------------------------------------------------------------------------------


def check_vanishing_grad_norms(hidden_grad_norms: Callable) -> None:
    """`hidden_grad_norms(cell, x)` runs an RNNCell over x (T, B, I) from zeros, calls
    backward on L = sum(h_T), and returns ||dL/dh_t|| for t = 1..T, (T,)."""
    rng = np.random.default_rng(40)
    steps = 12
    cell = nn.RNNCell(3, 8, rng=40)
    x = randn(steps, 2, 3, rng=rng)
    h, states = None, []
    for t in range(steps):
        h = cell(x[t], h)
        states.append(h)
    states[-1].sum().backward()
    expected = np.array([np.linalg.norm(s.grad) for s in states])

    got = hidden_grad_norms(cell, x)
    what = "hidden_grad_norms(cell, x)"
    expect_shape(got, (steps,), what=what, hint="One norm per hidden state h_1 ... h_T.")
    hint = _recognize(
        got,
        {
            "Your norms run backwards in time: entry 0 is ||dL/dh_1||, the last is "
            "||dL/dh_T|| = sqrt(B H) for L = sum(h_T).": expected[::-1],
        },
    )
    expect_close(got, expected, what=what, hint=hint)


def check_vanishing_jacobian(rnn_jacobian: Callable) -> None:
    """`rnn_jacobian(h_next, weight_hh)` returns dh_t/dh_{t-1} = diag(1 - h_t^2) W_hh, (H, H),
    for one sequence of a tanh RNN: h_next = h_t (H,)."""
    rng = np.random.default_rng(41)
    hidden = 4
    cell = nn.RNNCell(2, hidden, rng=41)
    x = randn(1, 2, rng=rng)
    h_prev = _random_tensor(rng, 1, hidden)
    h_next = cell(x, h_prev)
    rows = []
    for i in range(hidden):  # row i of the Jacobian: the gradient of h_t[i] by backward
        h_prev.grad = None
        cell(x, h_prev).backward(np.eye(hidden)[i : i + 1])
        rows.append(h_prev.grad[0].copy())
    expected = np.stack(rows)

    h, W = h_next.data[0], cell.weight_hh.data
    got = rnn_jacobian(h.copy(), W.copy())
    what = "rnn_jacobian(h_next, weight_hh)"
    expect_shape(got, (hidden, hidden), what=what)
    slope = 1 - h * h
    hint = _recognize(
        got,
        {
            "You scaled the columns of W_hh: unit i's slope 1 - h_t[i]^2 scales row i, "
            "np.diag(1 - h_next**2) @ weight_hh.": W * slope[None, :],
            "W_hh is transposed: entry (i, j) is dh_t[i]/dh_{t-1}[j] = (1 - h_t[i]^2) "
            "W_hh[i, j].": slope[:, None] * W.T,
            "The tanh' factor is missing: diag(1 - h_t^2) W_hh.": W,
        },
    )
    expect_close(got, expected, inputs={"h_next": h}, what=what, hint=hint)


def check_vanishing_bound(gradient_bound: Callable[[np.ndarray, int], float]) -> None:
    """`gradient_bound(weight_hh, steps)` returns sigma_max(W_hh) ** steps, the bound on
    ||dh_T/dh_{T-steps}|| for a tanh RNN."""
    rng = np.random.default_rng(42)
    # non-normal matrices, whose largest singular value is far above their largest |eigenvalue|
    matrices = [np.array([[0.5, 1.5], [0.0, 0.5]]), np.triu(rng.normal(0, 0.6, size=(4, 4)))]
    for W in matrices:
        sigma = np.linalg.norm(W, ord=2)
        for steps in [0, 1, 5]:
            got = gradient_bound(W.copy(), steps)
            expect_shape(got, (), what="gradient_bound(weight_hh, steps)")
            hint = _recognize(
                got,
                {
                    "That is a power of the spectral radius (the largest |eigenvalue|), which "
                    "bounds nothing for a finite number of steps: use the largest singular "
                    "value, np.linalg.norm(W, ord=2).": np.abs(np.linalg.eigvals(W)).max() ** steps,
                    "That is a power of the Frobenius norm, a valid but looser bound: use the "
                    "largest singular value, np.linalg.norm(W, ord=2).": np.linalg.norm(W) ** steps,
                },
            )
            inputs = {"weight_hh": W, "steps": steps}
            product = np.linalg.norm(np.linalg.matrix_power(W, steps), ord=2)
            value = float(_numbers(got))
            if value < product * (1 - 1e-9):
                raise WrongAnswer(
                    f"gradient_bound(weight_hh, {steps}) = {value:.6g} is no bound: in a linear "
                    f"RNN, dh_T/dh_(T-{steps}) = W_hh^{steps} already has norm {product:.6g}. "
                    f"{hint}".rstrip()
                )
            expect_close(
                got, sigma**steps, inputs=inputs, what="gradient_bound(weight_hh, steps)", hint=hint
            )


def _grads_with_values(rng: np.random.Generator) -> list[Tensor]:
    """Three parameters with gradients of different sizes, and one without a gradient."""
    params = [Tensor(np.zeros(shape), requires_grad=True) for shape in [(2, 3), (3,), (1,), (2,)]]
    for p, scale in zip(params[:3], (1.0, 3.0, 0.5)):
        p.grad = rng.normal(0, scale, size=p.shape).round(3)
    return params


def check_vanishing_clip_grad_norm(answer: Callable) -> None:
    """`clip_grad_norm_(params, max_norm)` scales every .grad by max_norm / total_norm when the
    global norm of all the gradients is above max_norm, and returns the norm before."""
    rng = np.random.default_rng(43)
    params = _grads_with_values(rng)
    grads = [p.grad.copy() for p in params[:3]]
    total = math.sqrt(sum(float((g * g).sum()) for g in grads))
    what = "clip_grad_norm_(params, max_norm)"
    for max_norm in [total / 4, 10 * total]:  # clipped, and left alone
        mine = [Tensor(np.zeros(g.shape), requires_grad=True) for g in grads]
        reference = [Tensor(np.zeros(g.shape), requires_grad=True) for g in grads]
        for p, q, g in zip(mine, reference, grads):
            p.grad, q.grad = g.copy(), g.copy()
        clip_grad_norm_(reference, max_norm)
        returned = answer(mine, max_norm)
        hint = _recognize(
            returned,
            {"You returned the norm after clipping: return the norm before.": min(max_norm, total)},
        )
        expect_close(returned, total, what=f"the number {what} returns", hint=hint)
        for k, (p, q, g) in enumerate(zip(mine, reference, grads)):
            norm = np.linalg.norm(g)
            hint = _recognize(
                p.grad,
                {
                    "You clipped each gradient by its own norm: scale them all by one factor, "
                    "max_norm / (the norm of all of them together), so that the direction of the "
                    "step is kept.": g * min(1.0, max_norm / norm),
                    "You clipped each entry to [-max_norm, max_norm]: scale the whole gradient "
                    "instead, which keeps its direction.": np.clip(g, -max_norm, max_norm),
                },
            )
            expect_close(
                p.grad,
                q.grad,
                inputs={f"params[{k}].grad before": g},
                what=f"params[{k}].grad after {what} with max_norm={max_norm:.4g}",
                hint=hint,
                rtol=1e-5,
            )
    try:
        answer(_grads_with_values(rng), total / 4)
    except (TypeError, AttributeError) as error:
        raise WrongAnswer(
            f"{what} raised {type(error).__name__} ({error}) for a list in which one parameter "
            "has .grad None (no gradient reached it): skip such parameters."
        ) from None


# ----------------------------------------------------------------------------------------------
# Chapter 5: the LSTM cell (exercises/05_lstm_cell.ipynb)
# ----------------------------------------------------------------------------------------------

# The gates in PyTorch's order: (name, block k of the weight rows, activation).
LSTM_GATES = [
    ("input gate", 0, "sigmoid"),
    ("forget gate", 1, "sigmoid"),
    ("candidate", 2, "tanh"),
    ("output gate", 3, "sigmoid"),
]


def _lstm_case(seed: int) -> tuple[nn.LSTMCell, Tensor, Tensor, Tensor]:
    """An LSTMCell (I = 3, H = 4) and inputs x (B = 2, I), h and c (B, H) that need grads."""
    rng = np.random.default_rng(seed)
    cell = nn.LSTMCell(3, 4, rng=seed)
    return cell, _random_tensor(rng, 2, 3), _random_tensor(rng, 2, 4), _random_tensor(rng, 2, 4)


def _preactivations(cell: nn.LSTMCell, x: Tensor, h: Tensor) -> list[np.ndarray]:
    """The four blocks of x W_ih^T + b_ih + h W_hh^T + b_hh, each (B, H), in order i, f, g, o."""
    pre = F.linear(x, cell.weight_ih, cell.bias_ih) + F.linear(h, cell.weight_hh, cell.bias_hh)
    return np.split(pre.data, 4, axis=1)


def _activate(name: str, z: np.ndarray) -> np.ndarray:
    return np.tanh(z) if name == "tanh" else sigmoid(z)


def check_lstm_preactivation(gate_preactivation: Callable) -> None:
    """`gate_preactivation(x, h, cell, k)` returns block k of the gates' pre-activations,
    x W_ih[kH:(k+1)H]^T + b_ih[kH:(k+1)H] + h W_hh[kH:(k+1)H]^T + b_hh[kH:(k+1)H], (B, H)."""
    cell, x, h, _ = _lstm_case(50)
    H = cell.hidden_size
    blocks = _preactivations(cell, x, h)
    for k, expected in enumerate(blocks):
        what = f"gate_preactivation(x, h, cell, k={k})"
        got = _expect_tensor(gate_preactivation(x, h, cell, k), what)
        expect_shape(got, (2, H), what=what)
        rows = slice(k * H, (k + 1) * H)
        mistakes = {
            f"That is block {j} (rows {j * H} to {(j + 1) * H - 1}); block k = {k} is rows "
            f"k*H to (k+1)*H - 1 = {k * H} to {(k + 1) * H - 1}.": blocks[j]
            for j in range(4)
            if j != k
        }
        mistakes["The bias b_hh is missing."] = expected - cell.bias_hh.data[rows]
        mistakes["The bias b_ih is missing."] = expected - cell.bias_ih.data[rows]
        hint = _recognize(got, mistakes)
        expect_close(got, expected, inputs={"x": x.data, "h": h.data}, what=what, hint=hint)
    _expect_gradients_agree(
        lambda *_: gate_preactivation(x, h, cell, 1),
        {"x": x, "h": h, "cell.weight_ih": cell.weight_ih, "cell.weight_hh": cell.weight_hh},
        "gate_preactivation(x, h, cell, 1)",
    )


def _check_gate(answer: Callable, gate: int) -> None:
    """The check of one gate function `answer(x, h, cell)`, gate = its index in LSTM_GATES."""
    name, block, activation = LSTM_GATES[gate]
    function = name.replace(" gate", "_gate")
    what = f"{function}(x, h, cell)"
    cell, x, h, c = _lstm_case(51)
    expected = cell.step(x, (h, c))[2][gate].data  # the gate as minigrad's LSTMCell has it
    blocks = _preactivations(cell, x, h)

    got = _expect_tensor(answer(x, h, cell), what)
    expect_shape(got, expected.shape, what=what)
    mistakes = {}
    for other_name, other_block, _ in LSTM_GATES:
        for other_activation in ("sigmoid", "tanh"):
            if (other_block, other_activation) == (block, activation):
                continue
            which = "the right block" if other_block == block else f"the {other_name}'s block"
            mistakes[
                f"That is {other_activation} of {which} (k = {other_block}). The {name} is "
                f"{activation} of block k = {block}: PyTorch stacks the gates i, f, g, o."
            ] = _activate(other_activation, blocks[other_block])
    mistakes[f"That is the pre-activation: apply {activation} to it."] = blocks[block]
    hint = _recognize(got, mistakes)
    if activation == "sigmoid":
        expect_in_range(
            got,
            0.0,
            1.0,
            inputs={"x": x.data, "h": h.data},
            what=what,
            hint=f"A gate is a sigmoid, σ(...), a fraction between 0 and 1. {hint}".rstrip(),
        )
    else:
        expect_in_range(got, -1.0, 1.0, inputs={"x": x.data, "h": h.data}, what=what, hint=hint)
    expect_close(got, expected, inputs={"x": x.data, "h": h.data}, what=what, hint=hint)
    _expect_gradients_agree(lambda x, h: answer(x, h, cell), {"x": x, "h": h}, what)


def check_lstm_input_gate(input_gate: Callable) -> None:
    """`input_gate(x, h, cell)` returns i = σ(block 0 of the pre-activations), (B, H)."""
    _check_gate(input_gate, 0)


def check_lstm_forget_gate(forget_gate: Callable) -> None:
    """`forget_gate(x, h, cell)` returns f = σ(block 1 of the pre-activations), (B, H)."""
    _check_gate(forget_gate, 1)


def check_lstm_candidate(candidate: Callable) -> None:
    """`candidate(x, h, cell)` returns g = tanh(block 2 of the pre-activations), (B, H)."""
    _check_gate(candidate, 2)


def check_lstm_output_gate(output_gate: Callable) -> None:
    """`output_gate(x, h, cell)` returns o = σ(block 3 of the pre-activations), (B, H)."""
    _check_gate(output_gate, 3)


def check_lstm_step(lstm_step: Callable) -> None:
    """`lstm_step(x, h, c, cell)` returns (h', c'): c' = f * c + i * g and h' = o * tanh(c')."""
    cell, x, h, c = _lstm_case(52)
    h_expected, c_expected, gates = cell.step(x, (h, c))
    i, f, g, o = (gate.data for gate in gates)
    what = "lstm_step(x, h, c, cell)"
    h_new, c_new = _expect_pair(lstm_step(x, h, c, cell), what, "h_new, c_new")
    h_new = _expect_tensor(h_new, f"the h_new of {what}")
    c_new = _expect_tensor(c_new, f"the c_new of {what}")
    inputs = {"x": x.data, "h": h.data, "c": c.data}
    c_hint = _recognize(
        c_new,
        {
            "The forget gate is applied to h: it scales the cell state, c' = f * c + i * g.": (
                f * h.data + i * g
            ),
            "The forget gate is missing: c' = f * c + i * g.": c.data + i * g,
            "The input gate is missing: c' = f * c + i * g.": f * c.data + g,
            "Did you return (c', h')? The order is (h', c').": h_expected.data,
        },
    )
    expect_shape(c_new, c.shape, what="c_new")
    expect_close(c_new, c_expected.data, inputs=inputs, what="c_new", hint=c_hint)
    h_hint = _recognize(
        h_new,
        {
            "The tanh is missing: h' = o * tanh(c').": o * c_expected.data,
            "You used the old cell state: h' = o * tanh(c') reads the new one, c'.": (
                o * np.tanh(c.data)
            ),
            "The output gate is missing: h' = o * tanh(c').": np.tanh(c_expected.data),
        },
    )
    expect_shape(h_new, h.shape, what="h_new")
    expect_close(h_new, h_expected.data, inputs=inputs, what="h_new", hint=h_hint)

    def loss(x: Tensor, h: Tensor, c: Tensor) -> Tensor:
        h_new, c_new = lstm_step(x, h, c, cell)
        return h_new * 2.0 + c_new

    _expect_gradients_agree(loss, {"x": x, "h": h, "c": c}, f"2 h' + c' from {what}")


# ----------------------------------------------------------------------------------------------
# Chapter 6: constant error flow (exercises/06_constant_error_flow.ipynb)
# ----------------------------------------------------------------------------------------------


def check_carousel_run_lstm(run_lstm: Callable) -> None:
    """`run_lstm(cell, x, h0, c0)` runs `cell.step` over x (T, B, I) and returns
    (cell_states, forget_gates): the lists [c_0, c_1, ..., c_T] and [f_1, ..., f_T]."""
    rng = np.random.default_rng(60)
    steps, batch = 5, 2
    cell = nn.LSTMCell(3, 4, forget_bias=1.0, rng=60)
    x = randn(steps, batch, 3, rng=rng)
    h0, c0 = _random_tensor(rng, batch, 4), _random_tensor(rng, batch, 4)
    h, cs, fs = h0, [c0], []
    for t in range(steps):
        h, c, gates = cell.step(x[t], (h, cs[-1]))
        cs.append(c)
        fs.append(gates.forget)
    cs[-1].sum().backward()
    expected_grad = c0.grad.copy()

    c0.grad = None
    what = "run_lstm(cell, x, h0, c0)"
    cell_states, forget_gates = _expect_pair(
        run_lstm(cell, x, h0, c0), what, "cell_states, forget_gates"
    )
    for name, got, count, content in [
        ("cell_states", cell_states, steps + 1, "c_0 (that is c0), c_1, ..., c_T"),
        ("forget_gates", forget_gates, steps, "one per step, f_1, ..., f_T"),
    ]:
        if not isinstance(got, (list, tuple)):
            raise WrongAnswer(
                f"{name} should be a list of Tensors, got {_describe(got)}: keep the Tensors "
                "themselves, so that each c_t still holds its .grad after backward()."
            )
        if len(got) != count:
            raise WrongAnswer(
                f"{name} has {len(got)} entries for T = {steps} steps; expected {count}: {content}."
            )
    for t, (got, ref) in enumerate(zip(cell_states, cs)):
        got = _expect_tensor(got, f"cell_states[{t}]")
        expect_close(got, ref.data, what=f"cell_states[{t}], c_{t},")
    for t, (got, ref) in enumerate(zip(forget_gates, fs)):
        got = _expect_tensor(got, f"forget_gates[{t}]")
        hint = "Entry t is the forget gate of step t + 1, the one that made c_{t+1}."
        expect_close(got, ref.data, what=f"forget_gates[{t}], f_{t + 1},", hint=hint)
    try:
        cell_states[-1].sum().backward()
    except RuntimeError:
        raise WrongAnswer(f"cell_states[-1] is not connected to the graph. {GRAPH_HINT}") from None
    start_hint = "Start from c0 itself (not a copy), so that the gradient reaches it."
    if c0.grad is None:
        raise WrongAnswer(
            f"No gradient reached c0 after cell_states[-1].sum().backward(). {start_hint}"
        )
    expect_close(
        c0.grad,
        expected_grad,
        what="c0.grad after cell_states[-1].sum().backward()",
        hint=start_hint,
    )


def check_carousel_cell_grads(cell_state_grads: Callable[[np.ndarray], np.ndarray]) -> None:
    """`cell_state_grads(forget_gates)` returns dc_T/dc_k for k = 0..T along the cell state,
    (T+1, B, H): the product f_{k+1} * ... * f_T, given forget_gates (T, B, H) = f_1 ... f_T."""
    rng = np.random.default_rng(61)
    steps, batch, hidden = 8, 2, 3
    cell = nn.LSTMCell(2, hidden, forget_bias=1.0, rng=61)
    # Without recurrent weights the gates depend on x alone, and dc_T/dc_k is exactly the
    # product of the forget gates: minigrad's backward gives the reference.
    cell.weight_hh.data[...] = 0.0
    x = randn(steps, batch, 2, rng=rng)
    h, cs, fs = Tensor(np.zeros((batch, hidden))), [_random_tensor(rng, batch, hidden)], []
    for t in range(steps):
        h, c, gates = cell.step(x[t], (h, cs[-1]))
        cs.append(c)
        fs.append(gates.forget.data)
    cs[-1].backward(np.ones((batch, hidden)))
    expected = np.stack([c.grad for c in cs])
    forget = np.stack(fs)

    what = "cell_state_grads(forget_gates)"
    got = cell_state_grads(forget.copy())
    expect_shape(
        got,
        expected.shape,
        what=what,
        hint="One entry per cell state c_0 ... c_T, the last one being dc_T/dc_T.",
    )
    expect_close(
        _numbers(got)[-1],
        np.ones((batch, hidden)),
        what=f"entry T of {what}",
        hint="dc_T/dc_T = 1: nothing multiplies the last cell state.",
    )
    one_step_off = np.ones_like(expected)
    for k in range(steps - 1, -1, -1):
        one_step_off[k] = one_step_off[k + 1] * forget[k - 1]  # f_k instead of f_{k+1}
    hint = _recognize(
        got,
        {
            "Off by one step: dc_T/dc_k is f_{k+1} * ... * f_T, the gates of the steps after "
            "c_k, and forget_gates[k] is f_{k+1}.": one_step_off,
            "Your entries run backwards in time: entry k must be dc_T/dc_k.": expected[::-1],
        },
    )
    expect_in_range(got, 0.0, 1.0, what=what, hint="A product of gates in [0, 1] stays in [0, 1].")
    expect_close(got, expected, inputs={"forget_gates": forget}, what=what, hint=hint)


def check_carousel_forget_bias(add_forget_bias: Callable) -> None:
    """`add_forget_bias(cell, value)` adds `value` to the forget gate's block of
    cell.bias_ih in place, as nn.LSTMCell(forget_bias=value) does."""
    for value in [1.0, 2.5]:
        cell = nn.LSTMCell(3, 4, rng=62)
        expected = nn.LSTMCell(3, 4, forget_bias=value, rng=62)
        before = {name: p for name, p in cell.named_parameters()}
        original = {name: p.data.copy() for name, p in cell.named_parameters()}
        add_forget_bias(cell, value)
        for name, p in cell.named_parameters():
            if p is not before[name]:
                raise WrongAnswer(
                    f"cell.{name} was replaced by a new tensor: change it in place "
                    f"(cell.{name}.data[...] += ...), so that an optimizer that holds the "
                    "parameters sees the change."
                )
        H = cell.hidden_size
        for name, p in expected.named_parameters():
            got = getattr(cell, name).data
            changed = np.flatnonzero(got != original[name])
            hint = ""
            if name == "bias_ih" and changed.size:
                hint = (
                    f"You changed entries {changed.min()} to {changed.max()}; the forget "
                    f"gate's block is entries H to 2H - 1 = {H} to {2 * H - 1} (order i, f, g, o)."
                )
            elif name == "bias_hh":
                hint = "Add the value once, to bias_ih only: bias_hh stays as it was."
            expect_close(got, p.data, what=f"cell.{name} after add_forget_bias", hint=hint)


# ----------------------------------------------------------------------------------------------
# Chapter 7: long-range tasks (exercises/07_long_range_tasks.ipynb)
# ----------------------------------------------------------------------------------------------


def check_tasks_adding_problem(adding_problem: Callable) -> None:
    """`adding_problem(batch_size, seq_len, rng)` returns (x, y): x (T, B, 2) holds values in
    [0, 1) and markers (1 at one step of each half of the sequence), y (B, 1) the sum of the
    two marked values. The same rng gives the same data."""
    what = "adding_problem(batch_size=6, seq_len=9, rng=0)"
    x, y = _expect_pair(adding_problem(6, 9, 0), what, "x, y")
    expect_shape(x, (9, 6, 2), what="x", hint="x is time-major: (seq_len, batch_size, 2).")
    expect_shape(y, (6, 1), what="y", hint="y holds one target per sequence: (batch_size, 1).")
    x, y = _numbers(x), _numbers(y)
    expect_in_range(x[:, :, 0], 0.0, 1.0, what="the values x[:, :, 0]")
    markers = x[:, :, 1]
    not_binary = np.argwhere((markers != 0) & (markers != 1))
    if not_binary.size:
        t, b = not_binary[0]
        raise WrongAnswer(
            f"the markers x[:, :, 1] must be 0 or 1, but x[{t}, {b}, 1] = {x[t, b, 1]:.4g}."
        )
    half = 9 // 2
    for b in range(6):
        steps = np.flatnonzero(markers[:, b]).tolist()
        if len(steps) != 2 or not (steps[0] < half <= steps[1]):
            raise WrongAnswer(
                f"sequence {b} has markers at steps {steps}; every sequence needs exactly two, "
                f"one in the first half (steps 0 to T//2 - 1 = {half - 1}) and one in the "
                f"second (steps T//2 = {half} to T - 1 = 8)."
            )
    expect_close(
        y,
        tasks.adding_target(x),
        inputs={"x[:, :, 0]": x[:, :, 0], "x[:, :, 1]": markers},
        what="y",
        hint="The target is the sum of the two values whose marker is 1.",
    )

    again = _numbers(adding_problem(6, 9, 0)[0])
    if again is None or again.shape != x.shape or not np.array_equal(again, x):
        raise WrongAnswer(
            "Two calls with rng=0 gave different data: draw every random number from "
            "np.random.default_rng(rng), so that a seed reproduces the batch."
        )
    other = _numbers(adding_problem(6, 9, 1)[0])
    if other is not None and other.shape == x.shape and np.array_equal(other, x):
        raise WrongAnswer("rng=0 and rng=1 gave the same data: the seed must change the draw.")
    generator_x, _ = adding_problem(2, 9, np.random.default_rng(3))
    expect_shape(generator_x, (9, 2, 2), what="x for rng=np.random.default_rng(3)")

    big, _ = adding_problem(2000, 10, 4)
    big = _numbers(big)
    first = big[:5, :, 1].argmax(axis=0)
    second = 5 + big[5:, :, 1].argmax(axis=0)
    for name, positions, allowed in [
        ("first", first, range(0, 5)),
        ("second", second, range(5, 10)),
    ]:
        missing = sorted(set(allowed) - set(positions.tolist()))
        if missing:
            raise WrongAnswer(
                f"In 2000 sequences of length 10 the {name} marker never lands on step "
                f"{missing[0]}: draw its position uniformly from steps {allowed.start} to "
                f"{allowed.stop - 1}."
            )
    mean = big[:, :, 0].mean()
    if abs(mean - 0.5) > 0.02:
        raise WrongAnswer(
            f"The values average {mean:.3f} over 2000 sequences; uniform on [0, 1) they would "
            "average 0.5."
        )


def check_tasks_temporal_order(temporal_order_label: Callable[[np.ndarray], np.ndarray]) -> None:
    """`temporal_order_label(x)` returns each sequence's class (B,): 0 for X..X, 1 for X..Y,
    2 for Y..X, 3 for Y..Y, given x (T, B, 8) one-hot over ("X", "Y", "a", ..., "B", "E")."""
    x, labels = tasks.temporal_order(12, 20, rng=70)
    got = temporal_order_label(x.copy())
    what = "temporal_order_label(x)"
    expect_shape(got, labels.shape, what=what, hint="One class per sequence: (B,).")
    symbols = x.argmax(axis=2)  # (T, B)
    relevant = [symbols[:, b][symbols[:, b] <= 1] for b in range(x.shape[1])]
    swapped = np.array([2 * second + first for first, second in relevant])
    hint = _recognize(
        got,
        {
            "The order is swapped: the class is 2 * (first is Y) + (second is Y), so X then Y "
            "is 1 and Y then X is 2.": swapped
        },
    )
    shown = {"symbols of each sequence (one row each)": symbols.T}
    expect_close(got, labels, inputs=shown, what=what, hint=hint)


class _LastStepRegressor(nn.Module):
    """An LSTM whose last hidden state goes through a Linear layer: (T, B, I) -> (B, 1)."""

    def __init__(self, input_size: int, hidden_size: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.lstm = nn.LSTM(input_size, hidden_size, rng=rng)
        self.head = nn.Linear(hidden_size, 1, rng=rng)

    def forward(self, x: Tensor) -> Tensor:
        output, _ = self.lstm(x)
        return self.head(output[-1])


def _train_steps(
    steps: int, order: tuple[str, ...], max_norm: float, data: list
) -> tuple[list[float], dict[str, np.ndarray]]:
    """Reference training steps (and known mistakes, by the order of the operations):
    returns the losses and the final parameters of a fresh model."""
    model = _LastStepRegressor(2, 3, seed=71)
    optimizer = SGD(model.parameters(), lr=0.5)
    losses = []
    for x, y in data[:steps]:
        loss = None
        for operation in order:
            if operation == "zero_grad":
                optimizer.zero_grad()
            elif operation == "backward":
                loss = F.mse_loss(model(x), y)
                loss.backward()
            elif operation == "clip":
                clip_grad_norm_(model.parameters(), max_norm)
            elif operation == "step":
                optimizer.step()
        losses.append(loss.item())
    return losses, model.state_dict()


def check_tasks_train_step(train_step: Callable) -> None:
    """`train_step(model, optimizer, x, y, max_norm)` does one step of training on a batch:
    zero the gradients, compute the MSE loss of model(x) against y, backward, clip the global
    gradient norm to max_norm, update; it returns the loss (a float) before the update."""
    rng = np.random.default_rng(72)
    data = []
    for _ in range(3):
        x, y = tasks.adding_problem(4, 6, rng)
        data.append((Tensor(x), Tensor(y)))
    max_norm = 0.05  # small, so that clipping acts at every step
    right = ("zero_grad", "backward", "clip", "step")
    expected_losses, expected_state = _train_steps(3, right, max_norm, data)
    mistakes = {
        "The gradients were not zeroed: backward() adds to .grad, so call "
        "optimizer.zero_grad() first.": ("backward", "clip", "step"),
        # clipping after the step changes no parameter: the same result as no clipping
        "The gradients were not clipped before the update: call "
        "clip_grad_norm_(model.parameters(), max_norm) between backward() and "
        "optimizer.step() (after the step it is too late).": ("zero_grad", "backward", "step"),
    }

    model = _LastStepRegressor(2, 3, seed=71)
    optimizer = SGD(model.parameters(), lr=0.5)
    losses = []
    for x, y in data:
        loss = train_step(model, optimizer, x, y, max_norm)
        if isinstance(loss, Tensor) and loss.size == 1:
            loss = loss.item()
        if not isinstance(loss, (int, float, np.floating)):
            raise WrongAnswer(
                "train_step should return the loss as a number (loss.item()), got "
                f"{_describe(loss)}."
            )
        losses.append(float(loss))
    state = model.state_dict()
    hint = ""
    for text, order in mistakes.items():
        wrong_losses, wrong_state = _train_steps(3, order, max_norm, data)
        if np.allclose(losses, wrong_losses) and all(
            np.allclose(state[name], wrong_state[name]) for name in state
        ):
            hint = text
            break
    expect_close(
        losses,
        expected_losses,
        what="the losses train_step returned over 3 steps",
        hint=hint or "Return the loss computed before the update, as a float.",
    )
    for name in expected_state:
        expect_close(
            state[name],
            expected_state[name],
            what=f"model parameter {name} after 3 calls of train_step",
            hint=hint or "Order: zero_grad, loss, backward, clip_grad_norm_, step.",
        )


PARTS: dict[str, Part] = {
    "demo.square": Part(1, check_demo_square),
    "demo.sigmoid": Part(2, check_demo_sigmoid),
    "demo.outer": Part(2, check_demo_outer),
    # 1. scalar autograd
    "scalar.mul": Part(1, check_scalar_mul),
    "scalar.tanh": Part(1, check_scalar_tanh),
    "scalar.exp": Part(1, check_scalar_exp),
    "scalar.backward": Part(3, check_scalar_backward),
    # 2. tensors
    "tensors.unbroadcast": Part(2, check_tensors_unbroadcast),
    "tensors.mul_backward": Part(1, check_tensors_mul_backward),
    "tensors.matmul_backward": Part(2, check_tensors_matmul_backward),
    "tensors.softmax_backward": Part(2, check_tensors_softmax_backward),
    # 3. the RNN and backpropagation through time
    "rnn.cell": Part(1, check_rnn_cell),
    "rnn.forward": Part(1, check_rnn_forward),
    "rnn.bptt_hidden": Part(3, check_rnn_bptt_hidden),
    "rnn.bptt_weight": Part(2, check_rnn_bptt_weight),
    # 4. the vanishing and exploding gradient
    "vanishing.grad_norms": Part(2, check_vanishing_grad_norms),
    "vanishing.jacobian": Part(2, check_vanishing_jacobian),
    "vanishing.bound": Part(1, check_vanishing_bound),
    "vanishing.clip_grad_norm": Part(2, check_vanishing_clip_grad_norm),
    # 5. the LSTM cell
    "lstm.preactivation": Part(2, check_lstm_preactivation),
    "lstm.input_gate": Part(1, check_lstm_input_gate),
    "lstm.forget_gate": Part(1, check_lstm_forget_gate),
    "lstm.candidate": Part(1, check_lstm_candidate),
    "lstm.output_gate": Part(1, check_lstm_output_gate),
    "lstm.step": Part(2, check_lstm_step),
    # 6. constant error flow
    "carousel.run_lstm": Part(1, check_carousel_run_lstm),
    "carousel.cell_grads": Part(2, check_carousel_cell_grads),
    "carousel.forget_bias": Part(1, check_carousel_forget_bias),
    # 7. long-range tasks
    "tasks.adding_problem": Part(2, check_tasks_adding_problem),
    "tasks.temporal_order": Part(1, check_tasks_temporal_order),
    "tasks.train_step": Part(3, check_tasks_train_step),
}
