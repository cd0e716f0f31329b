"""Chapter 2, tensors (exercises/02_tensors.ipynb): the checks of its parts.

Each check takes the learner's answer and raises WrongAnswer when it is wrong (see
minigrad/course/grading/expect.py for the helpers and how to write a check).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minigrad.course.grading.expect import (
    RULE_HINT,
    WrongAnswer,
    as_numbers,
    describe,
    engine_grads,
    expect_close,
    expect_finite,
    expect_gradients_agree,
    expect_pair,
    expect_shape,
    random_tensor,
    recognize,
    seed_for,
)
from minigrad.nn import functional as F
from minigrad.optim import Adam
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


def check_tensors_sum_backward(sum_backward: Callable) -> None:
    """`sum_backward(grad, shape, axis, keepdims)` returns dL/dx, of `shape`, for
    out = x.sum(axis=axis, keepdims=keepdims), given grad = dL/d(out)."""
    rng = np.random.default_rng(seed_for(24))
    # a square case too: a grad broadcast without its summed axis put back lines up with the
    # wrong axis there, silently
    for shape, axis, keepdims in [
        ((3, 4), 0, False),
        ((3, 3), 1, False),
        ((2, 3, 4), 1, True),
        ((2, 3), None, False),
    ]:
        x = rng.normal(size=shape).round(2)
        out_shape = np.sum(x, axis=axis, keepdims=keepdims).shape
        grad = rng.normal(size=out_shape).round(2)
        (expected,) = engine_grads(
            lambda t, axis=axis, keepdims=keepdims: t.sum(axis=axis, keepdims=keepdims), [x], grad
        )
        what = f"sum_backward(grad, shape={shape}, axis={axis}, keepdims={keepdims})"
        got = sum_backward(grad.copy(), shape, axis, keepdims)
        hint = recognize(
            got,
            {
                "Put the summed axis back before broadcasting, np.expand_dims(grad, axis): "
                "without it numpy lines grad up with the last axes, the wrong ones here.": (
                    np.broadcast_to(grad, shape) if np.ndim(grad) and axis is not None else None
                ),
                "That is the backward of mean: each x_i enters the sum once, with slope 1, "
                "so it gets grad itself, not grad / n.": expected
                / (x.size if axis is None else shape[axis]),
            },
        )
        expect_shape(
            got,
            shape,
            what=what,
            hint="dL/dx has the shape of x: every entry of x gets the grad of the sum it "
            "went into.",
        )
        expect_close(got, expected, inputs={"grad": grad}, what=what, hint=hint)

    def squares_of_row_sums(t: Tensor) -> Tensor:
        xs = t.data
        out = make_node(
            xs.sum(axis=1), (t,), lambda g: (sum_backward(g, xs.shape, 1, False),), "sum"
        )
        return out * out

    expect_gradients_agree(
        squares_of_row_sums,
        {"x": random_tensor(rng, 3, 4)},
        "x.sum(axis=1) ** 2 (made with your sum_backward)",
        RULE_HINT,
    )


def check_tensors_cross_entropy_backward(cross_entropy_backward: Callable) -> None:
    """`cross_entropy_backward(logits, targets)` returns dL/d(logits), (B, C), for the mean
    cross-entropy L = -1/B sum_b log softmax(logits)[b, targets[b]]; targets: (B,) classes."""
    rng = np.random.default_rng(seed_for(25))
    for batch, classes, scale in [(3, 5, 1.0), (4, 4, 2.0), (2, 3, 1000.0)]:
        logits = rng.normal(0, scale, size=(batch, classes)).round(2)
        targets = rng.integers(0, classes, size=batch)
        t = Tensor(logits, requires_grad=True)
        F.cross_entropy(t, targets).backward()
        expected = t.grad
        s, onehot = softmax(logits), np.eye(classes)[targets]
        what = f"cross_entropy_backward(logits, targets) for B = {batch}, C = {classes}"
        inputs = {"logits": logits, "targets": targets}
        got = cross_entropy_backward(logits.copy(), targets.copy())
        if scale > 100:
            expect_finite(
                got,
                inputs=inputs,
                what=what,
                hint="Logits this large overflow exp: subtract each row's largest logit "
                "first (softmax is unchanged by it), or use minigrad's softmax.",
            )
        hint = recognize(
            got,
            {
                "The loss is the mean over the batch: divide (softmax - onehot) by B.": s - onehot,
                "The sign is flipped: the gradient is softmax - onehot, which is positive "
                "for the wrong classes (raising their logits raises the loss).": (onehot - s)
                / batch,
                "The -1 at each row's target class is missing: dL/dz = (softmax(z) - "
                "onehot(target)) / B.": s / batch,
            },
        )
        expect_shape(got, logits.shape, what=what)
        expect_close(got, expected, inputs=inputs, what=what, hint=hint)

    targets = rng.integers(0, 4, size=3)

    def squared_loss(x: Tensor) -> Tensor:
        xs = x.data
        value = F.cross_entropy(Tensor(xs), targets).data
        loss = make_node(
            value, (x,), lambda g: (g * cross_entropy_backward(xs, targets),), "cross_entropy"
        )
        return loss * loss

    expect_gradients_agree(
        squared_loss,
        {"logits": random_tensor(rng, 3, 4)},
        "cross_entropy(logits, targets) ** 2 (made with your backward)",
        RULE_HINT,
    )


def check_tensors_adam_update(adam_update: Callable) -> None:
    """`adam_update(param, grad, m, v, t, lr, betas, eps)` returns (param', m', v') after
    Adam's step number t (1, 2, ...), as minigrad.optim.Adam computes it."""
    rng = np.random.default_rng(seed_for(26))
    for lr, betas, eps, scale in [(0.1, (0.9, 0.999), 1e-8, 1.0), (0.05, (0.8, 0.99), 0.01, 0.01)]:
        start = rng.normal(size=(2, 3)).round(2)
        grads = [rng.normal(0, scale, size=(2, 3)).round(4) for _ in range(3)]
        reference = Tensor(start.copy(), requires_grad=True)
        optimizer = Adam([reference], lr=lr, betas=betas, eps=eps)
        param, m, v = start.copy(), np.zeros_like(start), np.zeros_like(start)
        beta1, beta2 = betas
        for t, grad in enumerate(grads, start=1):
            old = param
            reference.grad = grad.copy()
            optimizer.step()
            state = optimizer.state[id(reference)]
            what = f"adam_update at step t = {t} (lr={lr}, betas={betas}, eps={eps:g})"
            got = adam_update(param.copy(), grad.copy(), m.copy(), v.copy(), t, lr, betas, eps)
            if not isinstance(got, (tuple, list)) or len(got) != 3:
                raise WrongAnswer(
                    f"adam_update should return three arrays (param, m, v), got {describe(got)}."
                )
            new_param, new_m, new_v = got
            inputs = {"param": param, "grad": grad, "m": m, "v": v}
            m_hint = recognize(
                new_m,
                {
                    "m is a running average: m' = b1 m + (1 - b1) grad; the (1 - b1) is "
                    "missing.": beta1 * m + grad,
                },
            )
            expect_shape(new_m, start.shape, what="m'")
            expect_close(new_m, state["m"], inputs=inputs, what=f"m' of {what}", hint=m_hint)
            v_hint = recognize(
                new_v,
                {
                    "v averages the squared gradient: v' = b2 v + (1 - b2) grad^2.": beta2 * v
                    + (1 - beta2) * grad,
                    "v' = b2 v + (1 - b2) grad^2: the (1 - b2) is missing.": beta2 * v
                    + grad * grad,
                },
            )
            expect_shape(new_v, start.shape, what="v'")
            expect_close(new_v, state["v"], inputs=inputs, what=f"v' of {what}", hint=v_hint)
            m_hat = state["m"] / (1 - beta1**t)
            v_hat = state["v"] / (1 - beta2**t)
            p_hint = recognize(
                new_param,
                {
                    "The bias correction is missing: divide m by (1 - b1^t) and v by "
                    "(1 - b2^t) before the step.": old
                    - lr * state["m"] / (np.sqrt(state["v"]) + eps),
                    "The step goes uphill: param' = param - lr m_hat / (sqrt(v_hat) + eps).": old
                    + lr * m_hat / (np.sqrt(v_hat) + eps),
                    "eps goes outside the square root: sqrt(v_hat) + eps.": old
                    - lr * m_hat / np.sqrt(v_hat + eps),
                    "Divide by the square root of v_hat, not by v_hat itself.": old
                    - lr * m_hat / (v_hat + eps),
                },
            )
            expect_finite(
                new_param,
                inputs=inputs,
                what=f"param' of {what}",
                hint="t counts from 1 at the first step: 1 - b1^t is 0 at t = 0.",
            )
            expect_shape(new_param, start.shape, what="param'")
            expect_close(
                new_param, reference.data, inputs=inputs, what=f"param' of {what}", hint=p_hint
            )
            param, m, v = (np.asarray(a, dtype=float) for a in (new_param, new_m, new_v))
