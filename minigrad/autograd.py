"""What both engines share: the order in which backward visits the graph, and `no_grad`.

A node is any object with a `_parents` tuple (`Value` in scalar.py, `Tensor` in tensor.py).
Backward must visit a node only after every node that uses it, so that its gradient is
complete before it is passed on: that is a reversed topological order of the graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


def topological_order(root) -> list:
    """Every node that `root` depends on, each listed after all of its parents (root last).

    An explicit stack instead of recursion: an RNN unrolled for thousands of steps, or a
    chain of a million scalar ops, is far deeper than Python's recursion limit.
    """
    order = []
    visited = set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)  # all of its parents are in `order` already
            continue
        if id(node) in visited:
            continue  # reached again through another path
        visited.add(id(node))
        stack.append((node, True))
        for parent in node._parents:
            if id(parent) not in visited:
                stack.append((parent, False))
    return order


class _GradMode:
    """Whether ops record the graph. A class attribute, so that every op reads one flag."""

    enabled = True


def is_grad_enabled() -> bool:
    return _GradMode.enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside `with no_grad():` ops build no graph (as `torch.no_grad`): for evaluation,
    and for updating parameters in place without the update becoming part of the graph."""
    previous = _GradMode.enabled
    _GradMode.enabled = False
    try:
        yield
    finally:
        _GradMode.enabled = previous
