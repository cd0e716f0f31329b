"""Chapter 5, the LSTM cell (exercises/05_lstm_cell.ipynb): the checks of its parts.

Each check takes the learner's answer and raises WrongAnswer when it is wrong (see
minigrad/course/grading/expect.py for the helpers and how to write a check).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minigrad import nn
from minigrad.course.grading.expect import (
    RULE_HINT,
    WrongAnswer,
    describe,
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
from minigrad.nn import fused
from minigrad.tensor import Tensor, make_node, sigmoid

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


def _check_gate(got: Tensor, gate: int, cell: nn.LSTMCell, x: Tensor, h: Tensor, c: Tensor) -> None:
    """One gate of the answer, `got`, against minigrad's LSTMCell; gate: its index in
    LSTM_GATES. A wrong block or activation is named."""
    name, block, activation = LSTM_GATES[gate]
    what = f"the {name} ({'ifgo'[gate]}, item {gate} of lstm_gates(x, h, cell))"
    expected = cell.step(x, (h, c))[2][gate].data  # the gate as minigrad's LSTMCell has it
    blocks = _preactivations(cell, x, h)
    got = expect_tensor(got, what)
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
    inputs = {"x": x.data, "h": h.data}
    if activation == "sigmoid":
        expect_in_range(
            got,
            0.0,
            1.0,
            inputs=inputs,
            what=what,
            hint=f"A gate is a sigmoid, σ(...), a fraction between 0 and 1. {hint}".rstrip(),
        )
    else:
        expect_in_range(got, -1.0, 1.0, inputs=inputs, what=what, hint=hint)
    expect_close(got, expected, inputs=inputs, what=what, hint=hint)


def check_lstm_gates(lstm_gates: Callable) -> None:
    """`lstm_gates(x, h, cell)` returns the four gates (i, f, g, o), each (B, H): sigmoids of
    blocks 0, 1 and 3 of the pre-activations, tanh of block 2."""
    cell, x, h, c = _lstm_case(seed_for(51))
    what = "lstm_gates(x, h, cell)"
    got = lstm_gates(x, h, cell)
    if got is None:
        raise WrongAnswer(f"{what} returned None: is a `return` missing?")
    if not isinstance(got, (tuple, list)) or len(got) != 4:
        raise WrongAnswer(f"{what} should return the four gates (i, f, g, o), got {describe(got)}.")
    for gate, tensor in enumerate(got):
        _check_gate(tensor, gate, cell, x, h, c)

    def weighted_gates(x: Tensor, h: Tensor) -> Tensor:
        i, f, g, o = lstm_gates(x, h, cell)
        return i + f * 2.0 + g * 3.0 + o * 4.0  # a different weight each: a swap shows

    expect_gradients_agree(weighted_gates, {"x": x, "h": h}, f"i + 2f + 3g + 4o from {what}")


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


# ----------------------------------------------------------------------------------------------
# The step's backward, by hand
# ----------------------------------------------------------------------------------------------


def _gate_values(rng: np.random.Generator, B: int, H: int) -> list[np.ndarray]:
    """Plausible (i, f, g, o), each (B, H): the gates of a random pre-activation."""
    pre = rng.normal(0.0, 1.5, size=(B, 4 * H))
    i, f, g, o = np.split(pre, 4, axis=1)
    return [sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)]


def check_lstm_cell_update_backward(cell_update_backward: Callable) -> None:
    """`cell_update_backward(c, i, f, g, o, grad_h, grad_c)` returns (dL/dc, dL/di, dL/df,
    dL/dg, dL/do), each (B, H), for c' = f c + i g and h' = o tanh(c'), given grad_h = dL/dh'
    and grad_c = dL/dc' (the gradient that reaches c' from the later steps, directly)."""
    rng = np.random.default_rng(seed_for(53))
    B, H = 2, 3
    i, f, g, o = _gate_values(rng, B, H)
    c = rng.normal(size=(B, H)).round(3)
    grad_h, grad_c = rng.normal(size=(B, H)).round(3), rng.normal(size=(B, H)).round(3)

    # the reference: fused.py's hand-written backward of the two cell equations
    gates = Tensor(np.concatenate([i, f, g, o], axis=1), requires_grad=True)
    c_old = Tensor(c, requires_grad=True)
    c_new = fused.lstm_cell_state(gates, c_old)
    h_new = fused.lstm_hidden_state(gates, c_new)
    (h_new * grad_h + c_new * grad_c).sum().backward()
    expected = [c_old.grad, *np.split(gates.grad, 4, axis=1)]

    what = "cell_update_backward(c, i, f, g, o, grad_h, grad_c)"
    got = cell_update_backward(c.copy(), i.copy(), f.copy(), g.copy(), o.copy(), grad_h, grad_c)
    if got is None:
        raise WrongAnswer(f"{what} returned None: is a `return` missing?")
    if not isinstance(got, (tuple, list)) or len(got) != 5:
        raise WrongAnswer(
            f"{what} should return five arrays (grad_c, grad_i, grad_f, grad_g, grad_o), got "
            f"{describe(got)}."
        )

    # what the common mistakes give for dL/dc', the gradient every other one is made from
    c_next = f * c + i * g
    t = np.tanh(c_next)
    right = grad_c + grad_h * o * (1 - t * t)
    mistaken_dc = {
        "The gradient reaching c' from the later steps, grad_c, is missing: c' feeds both "
        "h' and the next step's cell, so dL/dc' = grad_c + grad_h o (1 - tanh(c')^2).": grad_h
        * o
        * (1 - t * t),
        "The path through h' is missing: dL/dc' = grad_c + grad_h o (1 - tanh(c')^2).": grad_c,
        "The slope of tanh at c' is 1 - tanh(c')^2, not 1 - c'^2.": grad_c
        + grad_h * o * (1 - c_next * c_next),
        "h' = o tanh(c') reads the new cell state: the slope is 1 - tanh(c')^2, with c' = f c "
        "+ i g, not the old c.": grad_c + grad_h * o * (1 - np.tanh(c) ** 2),
    }
    names = ["grad_c", "grad_i", "grad_f", "grad_g", "grad_o"]
    made_from_dc = [f, g, c, i]  # dL/dc = dc' f, dL/di = dc' g, dL/df = dc' c, dL/dg = dc' i
    inputs = {"c": c, "i": i, "f": f, "g": g, "o": o, "grad_h": grad_h, "grad_c": grad_c}
    for k, (name, result, reference) in enumerate(zip(names, got, expected)):
        if k < 4:
            mistakes = {hint: dc * made_from_dc[k] for hint, dc in mistaken_dc.items()}
            if k == 0:
                mistakes["dL/dc is dL/dc' times f (c' = f c + ...): the factor f is missing."] = (
                    right
                )
        else:
            mistakes = {
                "o multiplies tanh(c'), the new cell state: dL/do = grad_h tanh(c'), not "
                "tanh(c).": grad_h * np.tanh(c),
                "dL/do = grad_h tanh(c'): the tanh is missing.": grad_h * c_next,
            }
        hint = recognize(result, mistakes)
        expect_shape(result, (B, H), what=f"{name}, item {k} of {what}")
        expect_close(
            result, reference, inputs=inputs, what=f"{name}, item {k} of {what}", hint=hint
        )

    # the rule in a graph of its own, against finite differences
    def cell_update(c: Tensor, i: Tensor, f: Tensor, g: Tensor, o: Tensor) -> Tensor:
        cs, i_, f_, g_, o_ = (t.data.copy() for t in (c, i, f, g, o))
        c_next = f_ * cs + i_ * g_
        out = o_ * np.tanh(c_next) * 2.0 + c_next  # 2 h' + c'

        def backward(grad: np.ndarray) -> tuple:
            return tuple(cell_update_backward(cs, i_, f_, g_, o_, 2.0 * grad, grad))

        return make_node(out, (c, i, f, g, o), backward, "cell_update").tanh()

    leaves = [Tensor(a.round(3), requires_grad=True) for a in (c, i, f, g, o)]
    expect_gradients_agree(
        cell_update,
        dict(zip("cifgo", leaves)),
        "tanh(2 h' + c') (made with your cell_update_backward)",
        RULE_HINT,
    )


def check_lstm_gates_backward(gates_backward: Callable) -> None:
    """`gates_backward(i, f, g, o, grad_i, grad_f, grad_g, grad_o)` returns dL/dz, (B, 4H):
    the gradient of the four pre-activations side by side, in the order i, f, g, o, for
    i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o)."""
    rng = np.random.default_rng(seed_for(54))
    B, H = 2, 3
    gates = _gate_values(rng, B, H)
    grads = [rng.normal(size=(B, H)).round(3) for _ in range(4)]

    # the reference: fused.lstm_gates's backward, with the weights chosen so that the
    # pre-activations are x itself (W_ih = I, no h, no bias): then dL/dx = dL/dz
    pre = np.concatenate(
        [np.log(gates[0] / (1 - gates[0])), np.log(gates[1] / (1 - gates[1]))]
        + [np.arctanh(gates[2]), np.log(gates[3] / (1 - gates[3]))],
        axis=1,
    )
    x = Tensor(pre, requires_grad=True)
    out = fused.lstm_gates(
        x,
        Tensor(np.zeros((B, H))),
        Tensor(np.eye(4 * H)),
        Tensor(np.zeros((4 * H, H))),
        Tensor(np.zeros(4 * H)),
        Tensor(np.zeros(4 * H)),
    )
    out.backward(np.concatenate(grads, axis=1))
    expected = x.grad
    gates = list(np.split(out.data, 4, axis=1))  # the same gates, to round-off

    what = "gates_backward(i, f, g, o, grad_i, grad_f, grad_g, grad_o)"
    got = gates_backward(*(a.copy() for a in gates), *(a.copy() for a in grads))
    i, f, g, o = gates
    di, df, dg, do = grads
    sig = [i * (1 - i), f * (1 - f), 1 - g * g, o * (1 - o)]
    hint = recognize(
        got,
        {
            "The candidate g is a tanh: its slope is 1 - g^2, not g (1 - g).": np.concatenate(
                [di * sig[0], df * sig[1], dg * g * (1 - g), do * sig[3]], axis=1
            ),
            "Only the candidate is a tanh: the gates i, f, o are sigmoids, slope s (1 - s).": (
                np.concatenate(
                    [di * (1 - i * i), df * (1 - f * f), dg * sig[2], do * (1 - o * o)], axis=1
                )
            ),
            "i, f, g, o are already the activations: the slope of σ at z is σ(z)(1 - σ(z)) = "
            "i (1 - i), not σ(i)(1 - σ(i)).": np.concatenate(
                [di * sigmoid(i) * (1 - sigmoid(i)), df * sigmoid(f) * (1 - sigmoid(f))]
                + [dg * (1 - np.tanh(g) ** 2), do * sigmoid(o) * (1 - sigmoid(o))],
                axis=1,
            ),
            "That is only the slopes of the activations: multiply each by its upstream "
            "gradient (chain rule).": np.concatenate(sig, axis=1),
        },
    )
    inputs = {"i": i, "f": f, "g": g, "o": o}
    expect_shape(
        got,
        (B, 4 * H),
        what=what,
        hint="Put the four (B, H) blocks side by side, i, f, g, o: np.concatenate(..., axis=1).",
    )
    expect_close(got, expected, inputs=inputs, what=what, hint=hint)

    def activations(z: Tensor) -> Tensor:
        zs = z.data
        gate_values = [sigmoid(zs[:, :H]), sigmoid(zs[:, H : 2 * H])]
        gate_values += [np.tanh(zs[:, 2 * H : 3 * H]), sigmoid(zs[:, 3 * H :])]

        def backward(grad: np.ndarray) -> tuple:
            return (gates_backward(*gate_values, *np.split(grad, 4, axis=1)),)

        return make_node(np.concatenate(gate_values, axis=1), (z,), backward, "gates") * z

    expect_gradients_agree(
        activations,
        {"z": Tensor(pre.round(3), requires_grad=True)},
        "the gates of z, times z (made with your gates_backward)",
        RULE_HINT,
    )
