"""The demo parts: three small examples of the format, used by the grader's tests.

Each check takes the learner's answer and raises WrongAnswer when it is wrong (see
minigrad/course/grading/expect.py for the helpers and how to write a check).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minigrad.course.grading.expect import (
    expect_close,
    expect_finite,
    expect_in_range,
    expect_shape,
    seed_for,
)


def check_demo_square(square: Callable[[float], float]) -> None:
    """`square(x)` returns x * x for one float."""
    rng = np.random.default_rng(seed_for(0))
    # 0 and a negative number catch `x + x`, `abs(x) * 2` and friends
    for x in [0.0, -3.0, *rng.uniform(-5, 5, size=4).round(3)]:
        x = float(x)
        expect_close(square(x), x * x, inputs={"x": x}, what="square(x)")


def check_demo_sigmoid(sigmoid: Callable[[np.ndarray], np.ndarray]) -> None:
    """`sigmoid(x)` returns 1 / (1 + exp(-x)) elementwise, for an array x of any shape."""
    rng = np.random.default_rng(seed_for(1))
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
    rng = np.random.default_rng(seed_for(2))
    # M != N, so that a transposed answer shows up as a wrong shape
    u = rng.integers(-5, 6, size=3).astype(float)
    v = rng.integers(-5, 6, size=4).astype(float)
    result = outer(u.copy(), v.copy())
    expect_shape(result, (3, 4), what="outer(u, v)")
    expect_close(result, u[:, None] * v[None, :], inputs={"u": u, "v": v}, what="outer(u, v)")
