"""Chapter 1, scalar autograd (exercises/01_scalar_autograd.ipynb): the checks of its parts.

Each check takes the learner's answer and raises WrongAnswer when it is wrong (see
minigrad/course/grading/expect.py for the helpers and how to write a check).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad.course.grading.expect import (
    RULE_HINT,
    WrongAnswer,
    describe,
    expect_close,
    expect_gradients_agree,
    expect_pair,
    recognize,
    seed_for,
)
from minigrad.scalar import Value


def _value_op(data: float, parents: tuple, local_grads: Any, op: str) -> Value:
    """A Value node made from the learner's local derivatives, as Value's own ops make one."""
    return Value._result(data, parents, tuple(float(g) for g in local_grads), op)


def check_scalar_mul(mul_local_grads: Callable[[float, float], tuple[float, float]]) -> None:
    """`mul_local_grads(a, b)` returns (d(ab)/da, d(ab)/db), the local derivatives of a * b."""
    rng = np.random.default_rng(seed_for(10))
    pairs = [(2.0, -3.0), (0.0, 5.0), *rng.uniform(-4, 4, size=(3, 2)).round(3)]
    for a, b in pairs:
        a, b = float(a), float(b)
        d_a, d_b = (Value(a) * Value(b))._local_grads  # minigrad's own rule
        got_a, got_b = expect_pair(
            mul_local_grads(a, b), "mul_local_grads(a, b)", "d(ab)/da, d(ab)/db"
        )
        hint = recognize(
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

    expect_gradients_agree(
        a_times_b_times_a,
        {"a": Value(1.5), "b": Value(-0.7)},
        "a * b * a (made with your mul)",
        RULE_HINT,
    )


def check_scalar_tanh(tanh_local_grad: Callable[[float], float]) -> None:
    """`tanh_local_grad(x)` returns d tanh(x)/dx = 1 - tanh(x)^2."""
    # the edge cases, then random points: a table of answers for the points shown cannot pass
    rng = np.random.default_rng(seed_for(11))
    for x in [0.5, -1.3, 0.0, 2.0, -20.0, *rng.uniform(-3, 3, size=3).round(3)]:
        x = float(x)
        (expected,) = Value(x).tanh()._local_grads
        got = tanh_local_grad(x)
        t = math.tanh(x)
        hint = recognize(
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

    x = Value(round(float(rng.uniform(0.5, 1.5)), 3))
    expect_gradients_agree(tanh_of_scaled, {"x": x}, "tanh(0.8 x) * x (your tanh)", RULE_HINT)


def check_scalar_exp(exp_local_grad: Callable[[float], float]) -> None:
    """`exp_local_grad(x)` returns d exp(x)/dx = exp(x)."""
    rng = np.random.default_rng(seed_for(12))
    for x in [1.0, -2.0, 0.0, 3.5, *rng.uniform(-3, 3, size=3).round(3)]:
        x = float(x)
        (expected,) = Value(x).exp()._local_grads
        got = exp_local_grad(x)
        hint = recognize(
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

    x, y = (Value(float(v)) for v in rng.uniform(-1.5, 1.5, size=2).round(3))
    expect_gradients_agree(exp_of_product, {"x": x, "y": y}, "exp(x y) + x (your exp)", RULE_HINT)


def _node_name(node: Value) -> str:
    """A node as a learner can find it: the op that made it (or 'leaf') and its data."""
    made_by = f"'{node._op}' node" if node._op else "leaf"
    return f"the {made_by} with data {node.data:.4g}"


def _expect_topological(got: Any, root: Value, nodes: list[Value], what: str) -> None:
    """Fail unless `got` lists every node of `nodes` (root's graph) once, parents first."""
    if not isinstance(got, (list, tuple)):
        raise WrongAnswer(f"{what} should return a list of the graph's nodes, got {describe(got)}.")
    position: dict[int, int] = {}
    wanted = {id(node) for node in nodes}
    for index, node in enumerate(got):
        if id(node) not in wanted:
            raise WrongAnswer(
                f"{what}[{index}] is {describe(node)}, not a node of the graph: list the Value "
                "objects themselves (root and everything it was computed from)."
            )
        if id(node) in position:
            raise WrongAnswer(
                f"{what} lists {_node_name(node)} twice (at {position[id(node)]} and {index}). "
                "A node reached by two paths (here a feeds a * b, tanh(a) and the last "
                "product) goes in once: keep a set of the nodes already visited."
            )
        position[id(node)] = index
    missing = [node for node in nodes if id(node) not in position]
    if missing:
        raise WrongAnswer(
            f"{what} has {len(got)} nodes, but the graph has {len(nodes)}: "
            f"{_node_name(missing[0])} is missing. Follow node._parents from the root down "
            "to the leaves, every one."
        )
    if got[-1] is not root:
        hint = (
            " That is the order backward walks, reversed: list the parents first and the root "
            "last; backward then walks reversed(topological_order(root))."
            if got[0] is root
            else ""
        )
        raise WrongAnswer(f"{what} should end with the root, got {_node_name(got[-1])}.{hint}")
    for node in got:
        for parent in node._parents:
            if position[id(parent)] > position[id(node)]:
                raise WrongAnswer(
                    f"{what} lists {_node_name(node)} (at {position[id(node)]}) before its "
                    f"parent, {_node_name(parent)} (at {position[id(parent)]}): a node goes "
                    "in only after every one of its parents. Append a node when all its "
                    "parents are done, not when you first reach it."
                )


def check_scalar_topological_order(topological_order: Callable[[Value], list]) -> None:
    """`topological_order(root)` lists every node root depends on once, each after all of its
    parents, root last; without recursion, so that a chain of 5000 operations works."""
    rng = np.random.default_rng(seed_for(14))
    # a diamond: a reaches the root along three paths, through u, v and the last product
    a, b = (Value(float(v)) for v in rng.uniform(-1.5, 1.5, size=2).round(3))
    u = a * b
    v = a.tanh()
    w = u + v
    root = w * a
    _expect_topological(
        topological_order(root), root, [a, b, u, v, w, root], "topological_order(root)"
    )

    x = Value(round(float(rng.uniform(0.5, 1.0)), 3))
    chain = [x]
    for _ in range(5000):
        chain.append(chain[-1].tanh())
    try:
        got = topological_order(chain[-1])
    except RecursionError:
        raise WrongAnswer(
            "topological_order hit Python's recursion limit on a chain of 5000 tanh: a "
            "function that calls itself once per node cannot go that deep. Keep the nodes "
            "still to visit on a stack of your own (a list you append to and pop from)."
        ) from None
    _expect_topological(got, chain[-1], chain, "topological_order(chain[-1])")


def _scalar_graph(a: Value, b: Value, c: Value) -> Value:
    """A small graph in which a, b and an inner node f are each used twice."""
    f = (a * b + b.tanh()) * c + a.exp()
    return f * f


def _check_graph_backward(backward: Callable[[Value], None], numbers: dict[str, float]) -> None:
    """backward(root) on the small graph at `numbers`, against minigrad's own backward."""
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


def check_scalar_backward(backward: Callable[[Value], None]) -> None:
    """`backward(root)` fills `.grad` of every node of root's graph: d(root)/d(node)."""
    rng = np.random.default_rng(seed_for(13))
    drawn = dict(zip("abc", (float(v) for v in rng.uniform(-1.5, 1.5, size=3).round(3))))
    for numbers in [{"a": 0.5, "b": -1.2, "c": 0.8}, drawn]:
        _check_graph_backward(backward, numbers)

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
            "graph with a loop over topological_order(root) instead of calling itself (and "
            "if your own topological_order calls itself, give it a stack of its own too)."
        ) from None
    expect_close(x.grad, 0.999**1500, what="x.grad for a chain of 1500 products x * 0.999")
