"""The specification of what both engines share: `topological_order` and `no_grad`, and of
`gradcheck`'s own behaviour on Values (it must pass right gradients and catch wrong ones)."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad import Value, gradcheck, is_grad_enabled, no_grad
from minigrad.autograd import topological_order


class Node:
    """The least a graph node needs for `topological_order`: a `_parents` tuple."""

    def __init__(self, name: str, *parents: Node) -> None:
        self.name = name
        self._parents = parents

    def __repr__(self) -> str:
        return self.name


def ancestors_and_self(root: Node) -> set[int]:
    """ids of every node root depends on, found by a plain search (no order)."""
    seen = {id(root)}
    frontier = [root]
    while frontier:
        for parent in frontier.pop()._parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                frontier.append(parent)
    return seen


def assert_topological(order: list, root: Node) -> None:
    position = {id(node): k for k, node in enumerate(order)}
    assert len(position) == len(order), "a node is listed twice"
    assert set(position) == ancestors_and_self(root)
    assert order[-1] is root
    for node in order:
        for parent in node._parents:
            assert position[id(parent)] < position[id(node)], f"{parent} after its user {node}"


# ---- topological_order ---------------------------------------------------------------------


def test_leaf_alone() -> None:
    leaf = Node("leaf")
    assert topological_order(leaf) == [leaf]


def test_parents_come_before_their_user() -> None:
    a, b = Node("a"), Node("b")
    c = Node("c", a, b)
    d = Node("d", c, a)
    order = topological_order(d)
    assert_topological(order, d)
    assert len(order) == 4


def test_diamond_lists_the_shared_node_once() -> None:
    x = Node("x")
    left, right = Node("left", x), Node("right", x)
    top = Node("top", left, right)
    order = topological_order(top)
    assert_topological(order, top)
    assert order[0] is x


def test_node_used_twice_by_one_op_is_listed_once() -> None:
    x = Node("x")
    square = Node("x*x", x, x)
    assert topological_order(square) == [x, square]


def test_only_what_the_root_depends_on() -> None:
    a, b = Node("a"), Node("b")
    used = Node("used", a)
    Node("unused", a, b)  # another user of a, not on the path to the root
    assert topological_order(used) == [a, used]


def test_deep_chain_needs_no_recursion() -> None:
    limit = sys.getrecursionlimit()
    node = Node("0")
    for k in range(1, 200_001):
        node = Node(str(k), node)
    order = topological_order(node)
    assert [n.name for n in order[:3]] == ["0", "1", "2"]
    assert len(order) == 200_001 and order[-1] is node
    assert sys.getrecursionlimit() == limit


# Random DAGs: node k may use any of the nodes before it, once or several times.
dags = st.lists(st.lists(st.integers(0, 10_000), max_size=3), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(parent_choices=dags)
def test_random_dag_is_ordered(parent_choices: list[list[int]]) -> None:
    nodes = [Node("n0")]
    for k, choices in enumerate(parent_choices, start=1):
        nodes.append(Node(f"n{k}", *(nodes[c % k] for c in choices)))
    assert_topological(topological_order(nodes[-1]), nodes[-1])


# ---- no_grad -------------------------------------------------------------------------------


def test_no_grad_switches_recording_off_and_back_on() -> None:
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        with no_grad():
            assert not is_grad_enabled()
        assert not is_grad_enabled()  # the inner block restores the outer state
    assert is_grad_enabled()


def test_no_grad_restores_recording_after_an_error() -> None:
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("inside no_grad")
    assert is_grad_enabled()


# ---- gradcheck on Values -------------------------------------------------------------------


def square_with_wrong_slope(x: Value) -> Value:
    """x^2, recorded with the slope 3x instead of 2x: a backward bug for gradcheck to catch."""
    return Value._result(x.data**2, (x,), (3.0 * x.data,), "bad**2")


def test_gradcheck_passes_a_right_gradient() -> None:
    report = gradcheck(lambda x, y: (x * y).tanh() + x**2, Value(0.3), Value(-1.2))
    assert report
    assert report.passed
    assert len(report.errors) == 2
    assert all(error < 1e-8 for error in report.errors)


def test_gradcheck_catches_a_wrong_gradient() -> None:
    report = gradcheck(square_with_wrong_slope, Value(1.5))
    assert not report
    # backward says 3x = 4.5, finite differences 2x = 3: relative error 1.5 / 4.5
    assert report.inputs[0].analytic == pytest.approx(4.5)
    assert report.inputs[0].numeric == pytest.approx(3.0, rel=1e-6)
    assert report.errors[0] == pytest.approx(1 / 3, rel=1e-6)


def test_gradcheck_names_the_input_that_is_wrong() -> None:
    report = gradcheck(lambda x, y: square_with_wrong_slope(x) * y, Value(2.0), Value(0.5))
    assert not report
    assert report.errors[0] > report.tolerance
    assert report.errors[1] <= report.tolerance
    text = str(report)
    assert "FAILED" in text and "input 0" in text and "input 1" in text


def test_gradcheck_report_says_passed() -> None:
    assert "passed" in str(gradcheck(lambda x: x.exp(), Value(0.7)))


def test_gradcheck_tolerance_decides() -> None:
    # A slope off by 1e-4 passes a loose check and fails a strict one.
    def nearly_right(x: Value) -> Value:
        return Value._result(x.data**2, (x,), (2.0 * x.data + 1e-4,), "nearly**2")

    assert gradcheck(nearly_right, Value(0.5), tolerance=1e-3)
    assert not gradcheck(nearly_right, Value(0.5), tolerance=1e-6)


def test_gradcheck_ignores_a_stale_gradient() -> None:
    x = Value(0.4)
    x.grad = 123.0  # left over from an earlier backward
    assert gradcheck(lambda v: v * v, x)


def test_gradcheck_leaves_the_inputs_unchanged() -> None:
    x, y = Value(0.25), Value(-3.0)
    gradcheck(lambda a, b: a * b, x, y)
    assert (x.data, y.data) == (0.25, -3.0)


def test_gradcheck_needs_an_input() -> None:
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda: Value(1.0))


def test_gradcheck_needs_f_to_return_a_value() -> None:
    with pytest.raises(TypeError, match="must return a Value, got float"):
        gradcheck(lambda x: x.data * 2, Value(1.0))
