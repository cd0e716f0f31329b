"""Chapter 3, the RNN and backpropagation through time (exercises/03_rnn_bptt.ipynb):
the checks of its parts.

Each check takes the learner's answer and raises WrongAnswer when it is wrong (see
minigrad/course/grading/expect.py for the helpers and how to write a check).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minigrad import nn
from minigrad.course.grading.expect import (
    WrongAnswer,
    as_numbers,
    describe,
    expect_close,
    expect_gradients_agree,
    expect_in_range,
    expect_shape,
    expect_tensor,
    random_tensor,
    recognize,
    seed_for,
)
from minigrad.tensor import randn, sigmoid


def check_rnn_cell(rnn_cell: Callable) -> None:
    """`rnn_cell(x, h, cell)` returns h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh), (B, H),
    for x (B, I), h (B, H) and an nn.RNNCell `cell`."""
    rng = np.random.default_rng(seed_for(30))
    cell = nn.RNNCell(3, 4, rng=seed_for(30))  # B = 2, I = 3, H = 4: a transpose shows
    x, h = random_tensor(rng, 2, 3), random_tensor(rng, 2, 4)
    expected = cell(x, h).data
    got = expect_tensor(rnn_cell(x, h, cell), "rnn_cell(x, h, cell)")
    expect_shape(got, (2, 4), what="rnn_cell(x, h, cell)")
    pre = x.data @ cell.weight_ih.data.T + cell.bias_ih.data
    pre_h = h.data @ cell.weight_hh.data.T + cell.bias_hh.data
    hint = recognize(
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
    expect_gradients_agree(
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
    rng = np.random.default_rng(seed_for(31))
    steps, batch, inputs, hidden = 5, 2, 3, 4
    cell = nn.RNNCell(inputs, hidden, rng=seed_for(31))
    x = random_tensor(rng, steps, batch, inputs)
    h0 = random_tensor(rng, batch, hidden)
    states = [h0]
    for t in range(steps):
        states.append(cell(x[t], states[-1]))
    expected = np.stack([h.data for h in states[1:]])

    got = rnn_forward(cell, x, h0)
    if isinstance(got, (list, tuple)):
        raise WrongAnswer(
            f"rnn_forward returned {describe(got)}: stack the hidden states into one "
            "(T, B, H) tensor with minigrad.stack(states)."
        )
    got = expect_tensor(got, "rnn_forward(cell, x, h0)")
    shape_hint = (
        "One hidden state per time step, h_1 to h_T: h0 is where the cell starts, not an output."
    )
    expect_shape(got, (steps, batch, hidden), what="rnn_forward(cell, x, h0)", hint=shape_hint)
    hint = recognize(
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
    expect_gradients_agree(
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
    hs = [random_tensor(rng, batch, hidden, scale=0.5)]
    for t in range(steps):
        hs.append(cell(x[t], hs[-1]))
    grad_h_last = rng.normal(size=(batch, hidden)).round(2)
    hs[-1].backward(grad_h_last)
    return cell, hs, grad_h_last


def check_rnn_bptt_hidden(bptt_hidden_grads: Callable) -> None:
    """`bptt_hidden_grads(hs, weight_hh, grad_h_last)` returns dL/dh_t for t = 0..T,
    (T+1, B, H), given hs = [h_0, ..., h_T] (T+1, B, H) of a tanh RNN and dL/dh_T (B, H)."""
    cell, states, grad_h_last = _rnn_run(seed_for(32))
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
        as_numbers(got)[-1],
        grad_h_last,
        what=f"entry T of {what}",
        hint="The last entry is dL/dh_T, which is given: grad_h_last itself.",
    )
    hint = recognize(
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
    cell, states, grad_h_last = _rnn_run(seed_for(33))
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
    hint = recognize(
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
