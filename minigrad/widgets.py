"""What the sliders of the course's widgets drive: plain functions that compute and draw.

A notebook builds a widget with `ipywidgets.interactive(redraw_..., slider=...)`: every time
a slider moves, the `redraw_...` function is called again with the slider values and draws a
new matplotlib figure. Each `redraw_...` also returns its Figure, so that a test can call it
with slider values and read what was drawn. The computations behind them
(`rnn_gradient_norms`, ...) are ordinary functions that notebooks call too.

Chapter 4: `rnn_gradient_norms`, `redraw_gradient_norms`.
Chapter 5: `lstm_unit_by_hand`, `redraw_lstm_by_hand`.
Chapter 6: `lstm_cell_state_gradients`, `rnn_hidden_state_gradients`,
`redraw_constant_error_flow`.
"""

from __future__ import annotations

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from minigrad.nn import functional as F
from minigrad.nn.recurrent import LSTMCell, RNNCell
from minigrad.tasks import adding_problem
from minigrad.tensor import Tensor, zeros
from minigrad.viz import plot_gradient_heatmap

NONLINEARITIES = ("tanh", "relu", "linear")


# ---- chapter 4: the vanishing and exploding gradient -------------------------------------


def orthogonal_matrix(size: int, seed: int = 0) -> np.ndarray:
    """A random (size, size) orthogonal matrix Q (Q^T Q = I), the same for the same seed.

    Every singular value of Q is 1 and so is the modulus of every eigenvalue: scaled by rho,
    its spectral radius and its largest singular value are both rho, which makes rho the one
    number that decides whether a linear recurrence shrinks or grows.
    """
    gaussian = np.random.default_rng(seed).standard_normal((size, size))
    q, r = np.linalg.qr(gaussian)
    return q * np.sign(np.diag(r))  # fixes QR's sign choice, so that Q is uniformly random


def rnn_gradient_norms(
    seq_len: int,
    spectral_radius: float,
    nonlinearity: str = "tanh",
    hidden_size: int = 32,
    input_size: int = 4,
    seed: int = 0,
) -> np.ndarray:
    """||dL/dh_t|| for t = 1..T in an RNN run over a random sequence, with L = sum(h_T).

    The RNN is h_t = act(x_t W_ih^T + b + h_{t-1} W_hh^T), h_0 = 0, with act tanh, relu or
    the identity ("linear"), and W_hh = spectral_radius * Q for an orthogonal Q (see
    `orthogonal_matrix`). Inputs x_t ~ N(0, 1), W_ih and b ~ U(-1/sqrt(H), 1/sqrt(H)), all
    drawn from `seed`, so that only the arguments change between two calls.
    Backward fills `.grad` of every h_t: that is the whole measurement. Returns (T,).
    """
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
    if isinstance(seq_len, bool) or not isinstance(seq_len, (int, np.integer)) or seq_len < 1:
        raise ValueError(f"seq_len must be a positive int, got {seq_len!r}")
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(hidden_size)
    weight_hh = Tensor(spectral_radius * orthogonal_matrix(hidden_size, seed), requires_grad=True)
    weight_ih = Tensor(rng.uniform(-bound, bound, (hidden_size, input_size)))
    bias = Tensor(rng.uniform(-bound, bound, hidden_size))
    x = rng.standard_normal((seq_len, 1, input_size))

    h = zeros(1, hidden_size)
    hidden_states = []
    for t in range(seq_len):
        pre = F.linear(Tensor(x[t]), weight_ih, bias) + F.linear(h, weight_hh)
        h = pre.tanh() if nonlinearity == "tanh" else pre.relu() if nonlinearity == "relu" else pre
        hidden_states.append(h)
    hidden_states[-1].sum().backward()
    return np.array([np.linalg.norm(h.grad) for h in hidden_states])


def redraw_gradient_norms(
    seq_len: int = 100, spectral_radius: float = 1.0, nonlinearity: str = "tanh"
) -> Figure:
    """Chapter 4's widget: ||dL/dh_t|| against t on a log scale for one RNN (see
    `rnn_gradient_norms`), next to rho^(T-t), what a linear RNN would give."""
    norms = rnn_gradient_norms(seq_len, spectral_radius, nonlinearity)
    steps = np.arange(1, seq_len + 1)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.semilogy(steps, norms, label=f"{nonlinearity} RNN")
    reference = norms[-1] * spectral_radius ** (seq_len - steps.astype(float))
    ax.semilogy(steps, reference, "k--", linewidth=1, label=r"$\|g_T\|\,\rho^{T-t}$")
    ax.set(
        xlabel="time step t (the loss reads $h_T$)",
        ylabel=r"$\|\partial L / \partial h_t\|$",
        title=f"gradient reaching $h_t$: T = {seq_len}, ρ = {spectral_radius:.2f}, {nonlinearity}",
    )
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


# ---- chapter 5: the LSTM cell, gate by gate ------------------------------------------------


def lstm_unit_by_hand(
    forget: float, input: float, candidate: float, output: float, c0: float = 0.0, steps: int = 12
) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM unit whose gates are held at the given values for `steps` steps:

        c_t = f c_{t-1} + i g,    h_t = o tanh(c_t),    t = 1..steps, starting from c_0.

    Returns (c, h), each (steps + 1,): c[0] = c0 and h[0] = o tanh(c0), then one entry per step.
    f, i and o are gate values in [0, 1]; g, the candidate, is in [-1, 1].
    """
    for name, value in (("forget", forget), ("input", input), ("output", output)):
        if not 0 <= value <= 1:
            raise ValueError(f"the {name} gate is a sigmoid: it must be in [0, 1], got {value}")
    if not -1 <= candidate <= 1:
        raise ValueError(f"candidate must be in [-1, 1] (a tanh), got {candidate}")
    c = np.empty(steps + 1)
    c[0] = c0
    for t in range(1, steps + 1):
        c[t] = forget * c[t - 1] + input * candidate  # keep a fraction f, write i g
    return c, output * np.tanh(c)


def redraw_lstm_by_hand(
    forget: float = 0.9,
    input: float = 0.5,
    candidate: float = 0.8,
    output: float = 1.0,
    c0: float = 0.0,
) -> Figure:
    """Chapter 5's widget: the cell state c_t and the output h_t of one unit whose gates are
    set by hand (see `lstm_unit_by_hand`), with the level c_t tends to when f < 1,
    c* = i g / (1 - f)."""
    c, h = lstm_unit_by_hand(forget, input, candidate, output, c0)
    steps = np.arange(len(c))
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(steps, c, "o-", label="cell state $c_t$ (what the cell keeps)")
    ax.plot(steps, h, "s-", label="output $h_t = o \\tanh(c_t)$ (what it emits)")
    if forget < 1:
        level = input * candidate / (1 - forget)
        ax.axhline(level, color="gray", linestyle="--", linewidth=1, label=f"$c^*$ = {level:.2f}")
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set(
        xlabel="time step t",
        ylabel="value",
        title=f"f = {forget:.2f}, i = {input:.2f}, g = {candidate:+.2f}, o = {output:.2f}",
    )
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    return fig


# ---- chapter 6: constant error flow --------------------------------------------------------


def lstm_cell_state_gradients(
    seq_len: int,
    forget_bias: float = 1.0,
    forget_gate: bool = True,
    hidden_size: int = 16,
    seed: int = 0,
) -> np.ndarray:
    """|dL/dc_t| for every step and unit of a freshly initialised `LSTMCell`, L = sum(h_T).

    The cell (`forget_bias` and `forget_gate` as in `LSTMCell`; forget_gate=False is the 1997
    cell, f = 1) reads one adding-problem sequence of `seq_len` steps; weights and sequence
    come from `seed`. Returns (T, H): row t-1 holds |dL/dc_t| for t = 1..T.
    """
    cell = LSTMCell(2, hidden_size, forget_bias=forget_bias, forget_gate=forget_gate, rng=seed)
    x, _ = adding_problem(1, seq_len, rng=seed)
    state, cell_states = None, []
    for x_t in x:
        state = cell(Tensor(x_t), state)
        cell_states.append(state[1])
    state[0].sum().backward()
    return np.abs(np.concatenate([c.grad for c in cell_states]))


def rnn_hidden_state_gradients(seq_len: int, hidden_size: int = 16, seed: int = 0) -> np.ndarray:
    """|dL/dh_t| for every step and unit of a freshly initialised tanh `RNNCell`, L = sum(h_T),
    on the same sequence as `lstm_cell_state_gradients` with the same seed. Returns (T, H)."""
    cell = RNNCell(2, hidden_size, rng=seed)
    x, _ = adding_problem(1, seq_len, rng=seed)
    h, hidden_states = None, []
    for x_t in x:
        h = cell(Tensor(x_t), h)
        hidden_states.append(h)
    h.sum().backward()
    return np.abs(np.concatenate([h_t.grad for h_t in hidden_states]))


def redraw_constant_error_flow(forget_bias: float = 1.0, seq_len: int = 100) -> Figure:
    """Chapter 6's widget: how far back the error reaches along an LSTM's cell state.

    Left, |dL/dc_t| over (time step, unit) for an LSTM with this forget bias (see
    `lstm_cell_state_gradients`). Right, the norm over units against t on a log scale, with a
    tanh RNN's ||dL/dh_t|| and the 1997 cell's ||dL/dc_t|| (f = 1) for comparison.
    """
    lstm = lstm_cell_state_gradients(seq_len, forget_bias)
    steps = np.arange(1, seq_len + 1)
    fig, (ax_map, ax_norm) = plt.subplots(
        1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [1.25, 1]}
    )
    plot_gradient_heatmap(ax_map, lstm, title=f"LSTM, forget bias {forget_bias:+.1f}")
    ax_norm.semilogy(
        steps, np.linalg.norm(lstm, axis=1), label=f"LSTM, forget bias {forget_bias:+.1f}"
    )
    ax_norm.semilogy(
        steps,
        np.linalg.norm(lstm_cell_state_gradients(seq_len, forget_gate=False), axis=1),
        "--",
        label="1997 LSTM, f = 1",
    )
    ax_norm.semilogy(
        steps,
        np.linalg.norm(rnn_hidden_state_gradients(seq_len), axis=1),
        ":",
        label="tanh RNN ($h_t$)",
    )
    ax_norm.set(
        xlabel="time step t (the loss reads $h_T$)",
        ylabel=r"$\|\partial L / \partial c_t\|$",
        title=f"error reaching step t, T = {seq_len}",
        ylim=(1e-20, 1e3),
    )
    ax_norm.legend(loc="lower right", fontsize="small")
    # fixed margins: tight_layout would measure every label again and double the redraw time
    fig.subplots_adjust(left=0.05, right=0.98, bottom=0.14, top=0.91, wspace=0.2)
    return fig
