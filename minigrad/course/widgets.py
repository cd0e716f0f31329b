"""What the sliders of the course's widgets drive: plain functions that draw.

A notebook builds a widget with `ipywidgets.interactive(redraw_..., slider=...)`: every time
a slider moves, the `redraw_...` function is called again with the slider values and draws a
new matplotlib figure. Each `redraw_...` also returns its Figure, so that a test can call it
with slider values and read what was drawn, and so that a notebook can store the picture of
the widget's starting values for readers without a running kernel. What they draw is
computed by `minigrad.course.experiments`.

Chapter 4: `redraw_gradient_norms`. Chapter 5: `redraw_lstm_by_hand`.
Chapter 6: `redraw_constant_error_flow`.
"""

from __future__ import annotations

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from minigrad.course.experiments import (
    lstm_cell_state_gradients,
    lstm_unit_by_hand,
    non_normal_matrix,
    rnn_gradient_norms,
    rnn_hidden_state_gradients,
)
from minigrad.course.viz import plot_gradient_heatmap

# ---- chapter 4: the vanishing and exploding gradient -------------------------------------


def redraw_gradient_norms(
    seq_len: int = 100,
    spectral_radius: float = 1.0,
    nonlinearity: str = "tanh",
    matrix: str = "orthogonal",
) -> Figure:
    """Chapter 4's widget: ||dL/dh_t|| against t on a log scale for one RNN (see
    `rnn_gradient_norms`), next to rho^(T-t), what a linear RNN with an orthogonal W_hh would
    give. For a non-normal W_hh it also draws the bound sigma_max^(T-t)."""
    norms = rnn_gradient_norms(seq_len, spectral_radius, nonlinearity, matrix=matrix)
    steps = np.arange(1, seq_len + 1)
    steps_back = (seq_len - steps).astype(float)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.semilogy(steps, norms, label=f"{nonlinearity} RNN, {matrix} $W_{{hh}}$")
    ax.semilogy(
        steps, norms[-1] * spectral_radius**steps_back, "k--", linewidth=1, label=r"$\rho^{T-t}$"
    )
    if matrix == "non-normal":
        # the same matrix rnn_gradient_norms used (same size and seed)
        sigma_max = spectral_radius * np.linalg.norm(non_normal_matrix(32, 0), ord=2)
        ax.semilogy(
            steps,
            norms[-1] * sigma_max**steps_back,
            "k:",
            linewidth=1,
            label=rf"$\sigma_{{max}}^{{T-t}}$, $\sigma_{{max}}$ = {sigma_max:.2f}",
        )
    ax.set(
        xlabel="time step t (the loss reads $h_T$)",
        ylabel=r"$\|\partial L / \partial h_t\|$",
        title=f"gradient reaching $h_t$: T = {seq_len}, ρ = {spectral_radius:.2f}, {nonlinearity}",
        ylim=(max(norms.min(), 1e-30) / 10, max(norms.max(), 1.0) * 10),
    )
    ax.legend(loc="upper left", fontsize="small")
    fig.tight_layout()
    return fig


# ---- chapter 5: the LSTM cell, gate by gate ------------------------------------------------


def redraw_lstm_by_hand(
    forget: float = 0.9,
    input: float = 0.5,
    candidate: float = 0.8,
    output: float = 1.0,
    c0: float = 0.0,
    steps: int = 40,
) -> Figure:
    """Chapter 5's widget: the cell state c_t and the output h_t of one unit whose gates are
    set by hand, over `steps` steps (see `lstm_unit_by_hand`), with the level c_t tends to
    when f < 1, c* = i g / (1 - f). The title reports dc_T/dc_0 = f^T."""
    c, h = lstm_unit_by_hand(forget, input, candidate, output, c0, steps=steps)
    t = np.arange(len(c))
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(t, c, "o-", markersize=3, label="cell state $c_t$ (what the cell keeps)")
    ax.plot(t, h, "s-", markersize=3, label="output $h_t = o \\tanh(c_t)$ (what it emits)")
    if forget < 1:
        level = input * candidate / (1 - forget)
        ax.axhline(level, color="gray", linestyle="--", linewidth=1, label=f"$c^*$ = {level:.2f}")
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set(
        xlabel="time step t",
        ylabel="value",
        title=(
            f"f = {forget:.2f}, i = {input:.2f}, g = {candidate:+.2f}, o = {output:.2f}:  "
            f"$\\partial c_{{{steps}}} / \\partial c_0 = f^{{{steps}}}$ = {forget**steps:.2e}"
        ),
    )
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    return fig


# ---- chapter 6: constant error flow --------------------------------------------------------


def redraw_constant_error_flow(forget_bias: float = 1.0, seq_len: int = 100) -> Figure:
    """Chapter 6's widget: how far back the error reaches along an LSTM's cell state.

    Left, |dL/dc_t| over (time step, unit) for an LSTM with this forget bias (see
    `lstm_cell_state_gradients`), on the colour scale of the chapter's heatmaps. Right, the
    norm over units against t on a log scale, with a tanh RNN's ||dL/dh_t|| and the 1997
    cell's ||dL/dc_t|| (f = 1) for comparison.
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
