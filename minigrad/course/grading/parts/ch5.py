"""Chapter 5, the LSTM cell (exercises/05_lstm_cell.ipynb): the checks of its parts.

Each check takes the learner's answer and raises WrongAnswer when it is wrong (see
minigrad/course/grading/expect.py for the helpers and how to write a check).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minigrad import nn
from minigrad.course.grading.expect import (
    expect_close,
    expect_gradients_agree,
    expect_in_range,
    expect_pair,
    expect_shape,
    expect_tensor,
    random_tensor,
    recognize,
    seed_for,
)
from minigrad.nn import functional as F
from minigrad.tensor import Tensor, sigmoid

# The gates in PyTorch's order: (name, block k of the weight rows, activation).
LSTM_GATES = [
    ("input gate", 0, "sigmoid"),
    ("forget gate", 1, "sigmoid"),
    ("candidate", 2, "tanh"),
    ("output gate", 3, "sigmoid"),
]


def _lstm_case(seed: int) -> tuple[nn.LSTMCell, Tensor, Tensor, Tensor]:
    """An LSTMCell (I = 3, H = 4) and inputs x (B = 2, I), h and c (B, H) that need grads."""
    rng = np.random.default_rng(seed)
    cell = nn.LSTMCell(3, 4, rng=seed)
    return cell, random_tensor(rng, 2, 3), random_tensor(rng, 2, 4), random_tensor(rng, 2, 4)


def _preactivations(cell: nn.LSTMCell, x: Tensor, h: Tensor) -> list[np.ndarray]:
    """The four blocks of x W_ih^T + b_ih + h W_hh^T + b_hh, each (B, H), in order i, f, g, o."""
    pre = F.linear(x, cell.weight_ih, cell.bias_ih) + F.linear(h, cell.weight_hh, cell.bias_hh)
    return np.split(pre.data, 4, axis=1)


def _activate(name: str, z: np.ndarray) -> np.ndarray:
    return np.tanh(z) if name == "tanh" else sigmoid(z)


def check_lstm_preactivation(gate_preactivation: Callable) -> None:
    """`gate_preactivation(x, h, cell, k)` returns block k of the gates' pre-activations,
    x W_ih[kH:(k+1)H]^T + b_ih[kH:(k+1)H] + h W_hh[kH:(k+1)H]^T + b_hh[kH:(k+1)H], (B, H)."""
    cell, x, h, _ = _lstm_case(seed_for(50))
    H = cell.hidden_size
    blocks = _preactivations(cell, x, h)
    for k, expected in enumerate(blocks):
        what = f"gate_preactivation(x, h, cell, k={k})"
        got = expect_tensor(gate_preactivation(x, h, cell, k), what)
        expect_shape(got, (2, H), what=what)
        rows = slice(k * H, (k + 1) * H)
        mistakes = {
            f"That is block {j} (rows {j * H} to {(j + 1) * H - 1}); block k = {k} is rows "
            f"k*H to (k+1)*H - 1 = {k * H} to {(k + 1) * H - 1}.": blocks[j]
            for j in range(4)
            if j != k
        }
        mistakes["The bias b_hh is missing."] = expected - cell.bias_hh.data[rows]
        mistakes["The bias b_ih is missing."] = expected - cell.bias_ih.data[rows]
        hint = recognize(got, mistakes)
        expect_close(got, expected, inputs={"x": x.data, "h": h.data}, what=what, hint=hint)
    expect_gradients_agree(
        lambda *_: gate_preactivation(x, h, cell, 1),
        {"x": x, "h": h, "cell.weight_ih": cell.weight_ih, "cell.weight_hh": cell.weight_hh},
        "gate_preactivation(x, h, cell, 1)",
    )


def _check_gate(answer: Callable, gate: int) -> None:
    """The check of one gate function `answer(x, h, cell)`, gate = its index in LSTM_GATES."""
    name, block, activation = LSTM_GATES[gate]
    function = name.replace(" gate", "_gate")
    what = f"{function}(x, h, cell)"
    cell, x, h, c = _lstm_case(seed_for(51))
    expected = cell.step(x, (h, c))[2][gate].data  # the gate as minigrad's LSTMCell has it
    blocks = _preactivations(cell, x, h)

    got = expect_tensor(answer(x, h, cell), what)
    expect_shape(got, expected.shape, what=what)
    mistakes = {}
    for other_name, other_block, _ in LSTM_GATES:
        for other_activation in ("sigmoid", "tanh"):
            if (other_block, other_activation) == (block, activation):
                continue
            which = "the right block" if other_block == block else f"the {other_name}'s block"
            mistakes[
                f"That is {other_activation} of {which} (k = {other_block}). The {name} is "
                f"{activation} of block k = {block}: PyTorch stacks the gates i, f, g, o."
            ] = _activate(other_activation, blocks[other_block])
    mistakes[f"That is the pre-activation: apply {activation} to it."] = blocks[block]
    hint = recognize(got, mistakes)
    if activation == "sigmoid":
        expect_in_range(
            got,
            0.0,
            1.0,
            inputs={"x": x.data, "h": h.data},
            what=what,
            hint=f"A gate is a sigmoid, σ(...), a fraction between 0 and 1. {hint}".rstrip(),
        )
    else:
        expect_in_range(got, -1.0, 1.0, inputs={"x": x.data, "h": h.data}, what=what, hint=hint)
    expect_close(got, expected, inputs={"x": x.data, "h": h.data}, what=what, hint=hint)
    expect_gradients_agree(lambda x, h: answer(x, h, cell), {"x": x, "h": h}, what)


def check_lstm_input_gate(input_gate: Callable) -> None:
    """`input_gate(x, h, cell)` returns i = σ(block 0 of the pre-activations), (B, H)."""
    _check_gate(input_gate, 0)


def check_lstm_forget_gate(forget_gate: Callable) -> None:
    """`forget_gate(x, h, cell)` returns f = σ(block 1 of the pre-activations), (B, H)."""
    _check_gate(forget_gate, 1)


def check_lstm_candidate(candidate: Callable) -> None:
    """`candidate(x, h, cell)` returns g = tanh(block 2 of the pre-activations), (B, H)."""
    _check_gate(candidate, 2)


def check_lstm_output_gate(output_gate: Callable) -> None:
    """`output_gate(x, h, cell)` returns o = σ(block 3 of the pre-activations), (B, H)."""
    _check_gate(output_gate, 3)


def check_lstm_step(lstm_step: Callable) -> None:
    """`lstm_step(x, h, c, cell)` returns (h', c'): c' = f * c + i * g and h' = o * tanh(c')."""
    cell, x, h, c = _lstm_case(seed_for(52))
    h_expected, c_expected, gates = cell.step(x, (h, c))
    i, f, g, o = (gate.data for gate in gates)
    what = "lstm_step(x, h, c, cell)"
    h_new, c_new = expect_pair(lstm_step(x, h, c, cell), what, "h_new, c_new")
    h_new = expect_tensor(h_new, f"the h_new of {what}")
    c_new = expect_tensor(c_new, f"the c_new of {what}")
    inputs = {"x": x.data, "h": h.data, "c": c.data}
    c_hint = recognize(
        c_new,
        {
            "The forget gate is applied to h: it scales the cell state, c' = f * c + i * g.": (
                f * h.data + i * g
            ),
            "The forget gate is missing: c' = f * c + i * g.": c.data + i * g,
            "The input gate is missing: c' = f * c + i * g.": f * c.data + g,
            "Did you return (c', h')? The order is (h', c').": h_expected.data,
        },
    )
    expect_shape(c_new, c.shape, what="c_new")
    expect_close(c_new, c_expected.data, inputs=inputs, what="c_new", hint=c_hint)
    h_hint = recognize(
        h_new,
        {
            "The tanh is missing: h' = o * tanh(c').": o * c_expected.data,
            "You used the old cell state: h' = o * tanh(c') reads the new one, c'.": (
                o * np.tanh(c.data)
            ),
            "The output gate is missing: h' = o * tanh(c').": np.tanh(c_expected.data),
        },
    )
    expect_shape(h_new, h.shape, what="h_new")
    expect_close(h_new, h_expected.data, inputs=inputs, what="h_new", hint=h_hint)

    def loss(x: Tensor, h: Tensor, c: Tensor) -> Tensor:
        h_new, c_new = lstm_step(x, h, c, cell)
        return h_new * 2.0 + c_new

    expect_gradients_agree(loss, {"x": x, "h": h, "c": c}, f"2 h' + c' from {what}")
