"""What the sliders of the course's widgets drive: plain functions that compute and draw.

A notebook builds a widget with `ipywidgets.interactive(redraw_..., slider=...)`: every time
a slider moves, the `redraw_...` function is called again with the slider values and draws a
new matplotlib figure. Each `redraw_...` also returns its Figure, so that a test can call it
with slider values and read what was drawn. The computations behind them
(`rnn_gradient_norms`, ...) are ordinary functions that notebooks call too.

Chapter 4: `rnn_gradient_norms`, `redraw_gradient_norms`.
"""

from __future__ import annotations

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from minigrad.nn import functional as F
from minigrad.tensor import Tensor, zeros

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
