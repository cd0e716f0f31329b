"""Chapter 6, constant error flow (exercises/06_constant_error_flow.ipynb): the checks of
its parts.

Each check takes the learner's answer and raises WrongAnswer when it is wrong (see
minigrad/course/grading/expect.py for the helpers and how to write a check).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minigrad import nn
from minigrad.course.grading.expect import (
    GRAPH_HINT,
    WrongAnswer,
    as_numbers,
    describe,
    expect_close,
    expect_in_range,
    expect_pair,
    expect_shape,
    expect_tensor,
    random_tensor,
    recognize,
    seed_for,
)
from minigrad.tensor import Tensor, randn


def check_carousel_run_lstm(run_lstm: Callable) -> None:
    """`run_lstm(cell, x, h0, c0)` runs `cell.step` over x (T, B, I) and returns
    (cell_states, forget_gates): the lists [c_0, c_1, ..., c_T] and [f_1, ..., f_T]."""
    rng = np.random.default_rng(seed_for(60))
    steps, batch = 5, 2
    cell = nn.LSTMCell(3, 4, forget_bias=1.0, rng=seed_for(60))
    x = randn(steps, batch, 3, rng=rng)
    h0, c0 = random_tensor(rng, batch, 4), random_tensor(rng, batch, 4)
    h, cs, fs = h0, [c0], []
    for t in range(steps):
        h, c, gates = cell.step(x[t], (h, cs[-1]))
        cs.append(c)
        fs.append(gates.forget)
    cs[-1].sum().backward()
    expected_grad = c0.grad.copy()

    c0.grad = None
    what = "run_lstm(cell, x, h0, c0)"
    cell_states, forget_gates = expect_pair(
        run_lstm(cell, x, h0, c0), what, "cell_states, forget_gates"
    )
    for name, got, count, content in [
        ("cell_states", cell_states, steps + 1, "c_0 (that is c0), c_1, ..., c_T"),
        ("forget_gates", forget_gates, steps, "one per step, f_1, ..., f_T"),
    ]:
        if not isinstance(got, (list, tuple)):
            raise WrongAnswer(
                f"{name} should be a list of Tensors, got {describe(got)}: keep the Tensors "
                "themselves, so that each c_t still holds its .grad after backward()."
            )
        if len(got) != count:
            raise WrongAnswer(
                f"{name} has {len(got)} entries for T = {steps} steps; expected {count}: {content}."
            )
    for t, (got, ref) in enumerate(zip(cell_states, cs)):
        got = expect_tensor(got, f"cell_states[{t}]")
        expect_close(got, ref.data, what=f"cell_states[{t}], c_{t},")
    for t, (got, ref) in enumerate(zip(forget_gates, fs)):
        got = expect_tensor(got, f"forget_gates[{t}]")
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
    rng = np.random.default_rng(seed_for(61))
    steps, batch, hidden = 8, 2, 3
    cell = nn.LSTMCell(2, hidden, forget_bias=1.0, rng=seed_for(61))
    # Without recurrent weights the gates depend on x alone, and dc_T/dc_k is exactly the
    # product of the forget gates: minigrad's backward gives the reference.
    cell.weight_hh.data[...] = 0.0
    x = randn(steps, batch, 2, rng=rng)
    h, cs, fs = Tensor(np.zeros((batch, hidden))), [random_tensor(rng, batch, hidden)], []
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
        as_numbers(got)[-1],
        np.ones((batch, hidden)),
        what=f"entry T of {what}",
        hint="dc_T/dc_T = 1: nothing multiplies the last cell state.",
    )
    one_step_off = np.ones_like(expected)
    for k in range(steps - 1, -1, -1):
        one_step_off[k] = one_step_off[k + 1] * forget[k - 1]  # f_k instead of f_{k+1}
    hint = recognize(
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
        cell = nn.LSTMCell(3, 4, rng=seed_for(62))
        expected = nn.LSTMCell(3, 4, forget_bias=value, rng=seed_for(62))
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
