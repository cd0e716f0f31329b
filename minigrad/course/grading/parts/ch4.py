"""Chapter 4, the vanishing and exploding gradient (exercises/04_vanishing_gradient.ipynb):
the checks of its parts.

Each check takes the learner's answer and raises WrongAnswer when it is wrong (see
minigrad/course/grading/expect.py for the helpers and how to write a check).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from minigrad import nn
from minigrad.course.grading.expect import (
    WrongAnswer,
    as_numbers,
    expect_close,
    expect_shape,
    random_tensor,
    recognize,
    seed_for,
)
from minigrad.optim import clip_grad_norm_
from minigrad.tensor import Tensor, randn


def check_vanishing_grad_norms(hidden_grad_norms: Callable) -> None:
    """`hidden_grad_norms(cell, x)` runs an RNNCell over x (T, B, I) from zeros, calls
    backward on L = sum(h_T), and returns ||dL/dh_t|| for t = 1..T, (T,)."""
    rng = np.random.default_rng(seed_for(40))
    steps = 12
    cell = nn.RNNCell(3, 8, rng=seed_for(40))
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
    hint = recognize(
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
    rng = np.random.default_rng(seed_for(41))
    hidden = 4
    cell = nn.RNNCell(2, hidden, rng=seed_for(41))
    x = randn(1, 2, rng=rng)
    h_prev = random_tensor(rng, 1, hidden)
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
    hint = recognize(
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
    rng = np.random.default_rng(seed_for(42))
    # non-normal matrices, whose largest singular value is far above their largest |eigenvalue|
    matrices = [np.array([[0.5, 1.5], [0.0, 0.5]]), np.triu(rng.normal(0, 0.6, size=(4, 4)))]
    for W in matrices:
        sigma = np.linalg.norm(W, ord=2)
        for steps in [0, 1, 5]:
            got = gradient_bound(W.copy(), steps)
            expect_shape(got, (), what="gradient_bound(weight_hh, steps)")
            hint = recognize(
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
            value = float(as_numbers(got))
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
    rng = np.random.default_rng(seed_for(43))
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
        hint = recognize(
            returned,
            {"You returned the norm after clipping: return the norm before.": min(max_norm, total)},
        )
        expect_close(returned, total, what=f"the number {what} returns", hint=hint)
        for k, (p, q, g) in enumerate(zip(mine, reference, grads)):
            norm = np.linalg.norm(g)
            hint = recognize(
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
