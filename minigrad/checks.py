"""The graded parts of the exercises: for each part, its points and the function that checks it.

A learner's notebook calls `check("demo.square", square)`; `minigrad.grading.check` looks the
part up in `PARTS` below and calls its checking function with the learner's answer.

To add a part, write one function that
  1. builds a few inputs (random ones from a fixed seed, so that the feedback is the same on
     every run, plus the edge cases that catch common mistakes),
  2. calls the learner's answer on them and compares with a reference,
  3. raises `WrongAnswer` (from minigrad.grading) with a sentence a learner understands when
     something is off; `expect_shape`, `expect_close`, `expect_finite` and `expect_in_range`
     do that for the usual cases, and show the inputs that expose the mistake,
and add a line `"chapter.name": Part(points, check_function)` to `PARTS`. An exception that
the answer raises itself needs no handling here: `check` turns it into a message.

The three "demo" parts are small examples of the format, used by the grader's tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from minigrad.grading import expect_close, expect_finite, expect_in_range, expect_shape


@dataclass(frozen=True)
class Part:
    """One graded part: how many points it is worth and the function that checks an answer."""

    points: int
    check: Callable[[Any], None]


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


PARTS: dict[str, Part] = {
    "demo.square": Part(1, check_demo_square),
    "demo.sigmoid": Part(2, check_demo_sigmoid),
    "demo.outer": Part(2, check_demo_outer),
}
