"""Chapter 2, tensors (exercises/02_tensors.ipynb): the checks of its parts.

Each check takes the learner's answer and raises WrongAnswer when it is wrong (see
minigrad/course/grading/expect.py for the helpers and how to write a check).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minigrad.course.grading.expect import (
    RULE_HINT,
    as_numbers,
    engine_grads,
    expect_close,
    expect_gradients_agree,
    expect_pair,
    expect_shape,
    random_tensor,
    recognize,
    seed_for,
)
from minigrad.tensor import Tensor, make_node, softmax, unbroadcast


def check_tensors_unbroadcast(answer: Callable[[np.ndarray, tuple], np.ndarray]) -> None:
    """`unbroadcast(grad, shape)` sums grad down to `shape`, undoing numpy's broadcasting."""
    rng = np.random.default_rng(seed_for(20))
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
        got_shape = np.shape(as_numbers(got)) if as_numbers(got) is not None else None
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
    rng = np.random.default_rng(seed_for(21))
    for shape_a, shape_b in [((2, 3), (2, 3)), ((3, 1), (4,)), ((2, 3, 4), (3, 1))]:
        a = rng.normal(size=shape_a).round(2)
        b = rng.normal(size=shape_b).round(2)
        out_shape = np.broadcast_shapes(shape_a, shape_b)
        grad = rng.normal(size=out_shape).round(2)
        expected = engine_grads(lambda x, y: x * y, [a, b], grad)
        got = expect_pair(
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

    expect_gradients_agree(
        tanh_of_product,
        {"a": random_tensor(rng, 3, 1), "b": random_tensor(rng, 4)},
        "tanh(a * b) (made with your mul_backward)",
        RULE_HINT,
    )


def check_tensors_matmul_backward(matmul_backward: Callable) -> None:
    """`matmul_backward(A, B, grad)` returns (dL/dA, dL/dB) for out = A @ B, A (M, K) and
    B (K, N), given grad = dL/d(out), (M, N)."""
    rng = np.random.default_rng(seed_for(22))
    for m, k, n in [(2, 3, 4), (1, 4, 2)]:  # three different sizes: a transpose shows
        A = rng.normal(size=(m, k)).round(2)
        B = rng.normal(size=(k, n)).round(2)
        grad = rng.normal(size=(m, n)).round(2)
        expected = engine_grads(lambda x, y: x @ y, [A, B], grad)
        got = expect_pair(
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

    expect_gradients_agree(
        tanh_of_matmul,
        {"A": random_tensor(rng, 2, 3), "B": random_tensor(rng, 3, 4)},
        "tanh(A @ B) (made with your matmul_backward)",
        RULE_HINT,
    )


def check_tensors_softmax_backward(softmax_backward: Callable) -> None:
    """`softmax_backward(s, grad)` returns dL/dx for s = softmax(x) along the last axis,
    given s and grad = dL/ds, both (B, C)."""
    rng = np.random.default_rng(seed_for(23))
    for shape in [(2, 4), (3, 3)]:  # square too: a sum without keepdims broadcasts silently
        x = rng.normal(0, 2, size=shape).round(2)
        grad = rng.normal(size=shape).round(2)
        s = softmax(x)
        (expected,) = engine_grads(lambda t: t.softmax(axis=-1), [x], grad)
        got = softmax_backward(s.copy(), grad.copy())
        diagonal_only = s * (1 - s) * grad
        # only a square (B, B) array lets a (B,) sum broadcast, along the wrong axis
        sum_without_keepdims = (
            s * (grad - (grad * s).sum(axis=-1)) if shape[0] == shape[1] else None
        )
        hint = recognize(
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

    expect_gradients_agree(
        weighted_softmax,
        {"x": random_tensor(rng, 2, 3)},
        "softmax(x) * x (your backward)",
        RULE_HINT,
    )
