"""Diagrams of the recurrent cells, drawn with matplotlib (no graphviz), the same on every run.

- `draw_rnn_unrolled`: the RNN of chapter 3 unrolled over time, the hidden state carried to
  the right and the gradient flowing back to the left.
- `draw_lstm_cell`: the LSTM cell of chapter 5, its cell state running across the top, with
  `highlight=` lighting one part at a time ("forget", "input", "cell", "output").
- `draw_gradient_paths`: chapter 6's two paths for the error between two LSTM steps: along
  the cell state (times f_t) and through h and the gates (times W_hh).
- `draw_gru_cell`: the GRU cell of chapter 7, with `highlight=` ("reset", "update",
  "candidate", "state").

Every function draws into `ax` (None makes a new figure) and returns the Axes. The parts of
a drawing carry a `gid` (e.g. "forget"), so that a test can find what is lit.
Equations are written with row vectors, as in the code: x_t W^T + b.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

LIT = "#e8590c"  # the highlighted part
INK = "#343a40"  # everything, when nothing is highlighted
FADED = "#c9ced3"  # the rest, when a part is highlighted
FORWARD = "#1c7ed6"
BACKWARD = "#e03131"
CELL_PATH = "#1c7ed6"
GATE_PATH = "#e03131"

LSTM_PARTS = ("forget", "input", "cell", "output")
GRU_PARTS = ("reset", "update", "candidate", "state")

LSTM_CAPTIONS = {
    None: r"$c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)$",
    "forget": r"forget gate: $f_t = \sigma(x_t W_{if}^\top + b_{if} + h_{t-1} W_{hf}^\top"
    r" + b_{hf})$ scales $c_{t-1}$",
    "input": r"input gate and candidate: $i_t = \sigma(\ldots)$, $g_t = \tanh(x_t W_{ig}^\top"
    r" + b_{ig} + h_{t-1} W_{hg}^\top + b_{hg})$; $i_t \odot g_t$ is written",
    "cell": r"cell update: $c_t = f_t \odot c_{t-1} + i_t \odot g_t$ (no matrix, no squashing)",
    "output": r"output gate: $o_t = \sigma(\ldots)$, $h_t = o_t \odot \tanh(c_t)$",
}
GRU_CAPTIONS = {
    None: r"$h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$",
    "reset": r"reset gate: $r_t = \sigma(x_t W_{ir}^\top + b_{ir} + h_{t-1} W_{hr}^\top + b_{hr})$"
    r" scales what $h_{t-1}$ tells the candidate",
    "update": r"update gate: $z_t = \sigma(x_t W_{iz}^\top + b_{iz} + h_{t-1} W_{hz}^\top"
    r" + b_{hz})$ chooses keep or replace",
    "candidate": r"candidate: $n_t = \tanh(x_t W_{in}^\top + b_{in} + r_t \odot"
    r" (h_{t-1} W_{hn}^\top + b_{hn}))$",
    "state": r"new state: $h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$",
}


def _axes(ax: Axes | None, size: tuple[float, float], xlim: tuple, ylim: tuple) -> Axes:
    from matplotlib import pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=size)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def _check_part(highlight: str | None, parts: tuple, drawing: str) -> None:
    if highlight is not None and highlight not in parts:
        raise ValueError(f"{drawing}: highlight must be None or one of {parts}, got {highlight!r}")


def _colour(part: str, highlight: str | None) -> str:
    if highlight is None:
        return INK
    return LIT if part == highlight else FADED


def _line(ax: Axes, points: list, colour: str, gid: str, width: float = 1.6, arrow: bool = True):
    """A polyline through `points`, with an arrow head at the last point."""
    xs, ys = zip(*points)
    (line,) = ax.plot(xs[:-1] + (xs[-1],), ys[:-1] + (ys[-1],), color=colour, lw=width)
    line.set_gid(gid)
    if arrow:
        head = ax.annotate(
            "",
            xy=points[-1],
            xytext=points[-2],
            arrowprops={
                "arrowstyle": "-|>",
                "color": colour,
                "lw": width,
                "shrinkA": 0,
                "shrinkB": 0,
                "mutation_scale": 12,
            },
        )
        head.set_gid(gid)


def _box(ax: Axes, x: float, y: float, text: str, colour: str, gid: str, width: float = 0.9):
    """A gate: a rectangle centred at (x, y) holding its activation's name."""
    from matplotlib.patches import FancyBboxPatch

    box = FancyBboxPatch(
        (x - width / 2, y - 0.3),
        width,
        0.6,
        boxstyle="round,pad=0.02,rounding_size=0.1",
        facecolor="white" if colour == FADED else colour,
        edgecolor=colour,
        lw=1.5,
        zorder=3,
    )
    box.set_gid(gid)
    ax.add_patch(box)
    text_colour = FADED if colour == FADED else "white"
    ax.text(x, y, text, ha="center", va="center", color=text_colour, fontsize=11, zorder=4)


def _node(ax: Axes, x: float, y: float, symbol: str, colour: str, gid: str):
    """A pointwise operation: a circle at (x, y) holding ⊙, + or tanh."""
    from matplotlib.patches import Circle, Ellipse

    if symbol == "tanh":
        patch = Ellipse((x, y), 0.95, 0.5, facecolor="white", edgecolor=colour, lw=1.5, zorder=3)
    else:
        patch = Circle((x, y), 0.24, facecolor="white", edgecolor=colour, lw=1.5, zorder=3)
    patch.set_gid(gid)
    ax.add_patch(patch)
    size = 13 if symbol in ("⊙", "+") else 9
    ax.text(x, y, symbol, ha="center", va="center", color=colour, fontsize=size, zorder=4)


def _label(ax: Axes, x: float, y: float, text: str, colour: str = INK, fontsize: float = 12):
    ax.text(x, y, text, ha="center", va="center", color=colour, fontsize=fontsize)


def _cell_frame(ax: Axes, x: float, y: float, width: float, height: float, rounding: float = 0.4):
    """The light rounded box behind one cell's drawing, lower left corner at (x, y)."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            width,
            height,
            boxstyle=f"round,pad=0,rounding_size={rounding}",
            facecolor="#f8f9fa",
            edgecolor="#adb5bd",
            lw=1,
            zorder=0,
        )
    )


# ---- chapter 3: the RNN unrolled -------------------------------------------------------------


def draw_rnn_unrolled(steps: int = 4, ax: Axes | None = None) -> Axes:
    """The RNN h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) unrolled over `steps`
    steps: one box per step (the same cell, the same weights), the forward pass in blue
    (h carried to the right), backpropagation through time in red (dL/dh_t carried to the
    left, times the Jacobian J_t = diag(1 - h_t^2) W_hh at every step back)."""
    if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= 8:
        raise ValueError(f"draw_rnn_unrolled: steps must be an int from 2 to 8, got {steps!r}")
    gap = 2.6
    width = gap * (steps + 1)
    ax = _axes(ax, (1.5 * steps + 2.5, 4.4), (-0.3, width), (-0.9, 4.6))
    for k in range(1, steps + 1):
        x = gap * k
        _box(ax, x, 2.0, "tanh", INK, f"cell{k}", width=1.1)
        _line(ax, [(x, 0.25), (x, 1.7)], INK, f"input{k}")
        _label(ax, x, 0.0, f"$x_{k}$")
        _line(ax, [(x, 2.3), (x, 3.5)], INK, f"output{k}")
        _label(ax, x, 3.8, rf"$\ell_{k}(h_{k})$")
        # forward: h_{k-1} -> cell k, above the middle line
        left = x - gap + (0.55 if k > 1 else 0.3)
        _line(ax, [(left, 2.12), (x - 0.55, 2.12)], FORWARD, f"forward{k}", width=2)
        _label(ax, x - gap / 2, 2.45, f"$h_{k - 1}$", FORWARD, fontsize=11)
        # backward: dL/dh_{k-1} = dL/dh_k J_k, below it, pointing left
        _line(ax, [(x - 0.55, 1.88), (left, 1.88)], BACKWARD, f"backward{k}", width=2)
        _label(ax, x - gap / 2, 1.5, rf"$\times J_{k}$", BACKWARD, fontsize=10)
    last = gap * steps
    _line(ax, [(last + 0.55, 2.12), (last + gap - 0.5, 2.12)], FORWARD, "forward_out", width=2)
    _label(ax, last + gap / 2, 2.45, f"$h_{steps}$", FORWARD, fontsize=11)
    ax.text(
        width / 2,
        -0.5,
        "blue: the forward pass carries $h_t$ to the right.   red: backpropagation through "
        "time carries the error to the left,\n"
        r"$\partial L/\partial h_{t-1} = (\partial L/\partial h_t)\, J_t"
        r" + \partial \ell_{t-1}/\partial h_{t-1}$ (row vectors), with"
        r" $J_t = \partial h_t/\partial h_{t-1} = \mathrm{diag}(1 - h_t^2)\, W_{hh}$",
        ha="center",
        va="center",
        fontsize=10,
    )
    ax.text(
        width / 2,
        4.4,
        "one cell, the same weights $W_{ih}, W_{hh}$ at every step",
        ha="center",
        fontsize=10,
        color=INK,
    )
    return ax


# ---- chapter 5: the LSTM cell ----------------------------------------------------------------


def draw_lstm_cell(highlight: str | None = None, ax: Axes | None = None) -> Axes:
    """The LSTM cell: the cell state c runs across the top, changed only by a ⊙ (forget)
    and a + (write); below it the four gates σ (f), σ (i), tanh (g), σ (o), which read
    h_{t-1} and x_t; h_t leaves at the bottom right.

    highlight: None draws everything in one colour; "forget", "input" (the input gate and the
    candidate), "cell" (the cell update) or "output" lights that part and fades the rest,
    with its equation under the drawing.
    """
    _check_part(highlight, LSTM_PARTS, "draw_lstm_cell")
    ax = _axes(ax, (8.5, 5.4), (-0.2, 12.2), (-0.9, 7.0))
    forget, inputs, cell, output = (_colour(part, highlight) for part in LSTM_PARTS)
    shared = INK if highlight is None else FADED

    _cell_frame(ax, 1.2, 0.9, 9.6, 5.3)

    # the cell state's line across the top: the conveyor belt
    belt_width = 3.2 if highlight == "cell" else 2.4
    _line(ax, [(0.0, 5.5), (2.76, 5.5)], cell, "cell", width=belt_width, arrow=False)
    _line(ax, [(3.24, 5.5), (5.76, 5.5)], cell, "cell", width=belt_width, arrow=False)
    _line(ax, [(6.24, 5.5), (12.0, 5.5)], cell, "cell", width=belt_width)
    _label(ax, 0.3, 5.85, "$c_{t-1}$", cell)
    _label(ax, 11.7, 5.85, "$c_t$", cell)
    _node(ax, 3.0, 5.5, "⊙", forget if highlight != "cell" else cell, "forget")
    _node(ax, 6.0, 5.5, "+", cell if highlight != "input" else inputs, "cell")

    # h_{t-1} and x_t join, and run under the gates
    _line(ax, [(0.0, 1.4), (7.6, 1.4)], shared, "inputs", width=1.6, arrow=False)
    _label(ax, 0.3, 1.05, "$h_{t-1}$", shared)
    _line(ax, [(1.9, 0.0), (1.9, 1.4)], shared, "inputs", arrow=False)
    _label(ax, 1.9, -0.3, "$x_t$", shared)

    gates = [
        (3.0, r"$\sigma$", forget, "forget", "$f_t$"),
        (4.5, r"$\sigma$", inputs, "input", "$i_t$"),
        (6.0, "tanh", inputs, "input", "$g_t$"),
        (7.6, r"$\sigma$", output, "output", "$o_t$"),
    ]
    for x, text, colour, gid, name in gates:
        _line(ax, [(x, 1.4), (x, 2.7)], colour, gid, width=1.4)
        _box(ax, x, 3.0, text, colour, gid)
        _label(ax, x - 0.62, 3.55, name, colour, fontsize=11)
    # the forget gate scales c_{t-1}
    _line(ax, [(3.0, 3.3), (3.0, 5.26)], forget, "forget")
    # the input gate scales the candidate, and the product is added to the belt
    _line(ax, [(4.5, 3.3), (4.5, 4.3), (5.76, 4.3)], inputs, "input")
    _line(ax, [(6.0, 3.3), (6.0, 4.06)], inputs, "input")
    _node(ax, 6.0, 4.3, "⊙", inputs, "input")
    _line(ax, [(6.0, 4.54), (6.0, 5.26)], inputs, "input")
    # the output gate reads tanh(c_t) off the belt
    _line(ax, [(9.0, 5.5), (9.0, 4.65)], output, "output")
    _node(ax, 9.0, 4.4, "tanh", output, "output")
    _line(ax, [(9.0, 4.15), (9.0, 3.24)], output, "output")
    _line(ax, [(7.6, 3.3), (7.6, 3.6), (8.4, 3.6), (8.4, 3.0), (8.76, 3.0)], output, "output")
    _node(ax, 9.0, 3.0, "⊙", output, "output")
    _line(ax, [(9.24, 3.0), (10.2, 3.0), (10.2, 1.4), (12.0, 1.4)], output, "output")
    _line(ax, [(10.2, 3.0), (10.2, 6.9)], output, "output")
    _label(ax, 11.7, 1.05, "$h_t$", output)
    _label(ax, 10.6, 6.75, "$h_t$", output)

    _label(ax, 6.0, -0.7, LSTM_CAPTIONS[highlight], LIT if highlight else INK, fontsize=11)
    return ax


# ---- chapter 6: the two paths of the error ---------------------------------------------------


def draw_gradient_paths(ax: Axes | None = None) -> Axes:
    """Two LSTM steps, t and t + 1, and the two ways the error at c_{t+1} gets back to c_t.

    Along the cell state (blue): dc_{t+1}/dc_t = diag(f_{t+1}), one elementwise product per
    step. Through the gates (red): c_t -> tanh -> h_t = o_t ⊙ tanh(c_t) -> h_t W_hh^T -> the
    gates f, i, g, o of step t + 1 -> c_{t+1}: a matrix and squashing derivatives, as in
    the RNN of chapter 4. The 1997 algorithm cut the red path (truncated gradient).
    """
    ax = _axes(ax, (10, 4.8), (-0.3, 14.3), (-1.2, 5.4))
    grey = "#adb5bd"
    for x0, step in ((0.8, "t"), (7.6, "t+1")):
        _cell_frame(ax, x0, 0.6, 5.6, 4.2, rounding=0.3)
        ax.text(x0 + 5.4, 0.75, f"step {step}", fontsize=10, color="#868e96", ha="right")
        _node(ax, x0 + 1.5, 4.0, "⊙", INK, "cell_path")
        _node(ax, x0 + 3.0, 4.0, "+", INK, "cell_path")
        _box(ax, x0 + 2.3, 1.9, "gates f, i, g, o", INK, "gates", width=2.2)
        _node(ax, x0 + 4.3, 3.0, "tanh", INK, "gate_path")
        _label(ax, x0 + 1.5, 3.5, f"$f_{{{step}}}$", INK, fontsize=10)
        # forward, in gray: the belt, the gates' outputs into it, tanh(c) read off it
        _line(ax, [(x0 + 1.5, 2.2), (x0 + 1.5, 3.76)], grey, "forward", width=1, arrow=False)
        _line(ax, [(x0 + 3.0, 2.2), (x0 + 3.0, 3.76)], grey, "forward", width=1, arrow=False)
        _line(ax, [(x0 + 4.3, 4.0), (x0 + 4.3, 3.25)], grey, "forward", width=1, arrow=False)
    for segment in (
        [(0.0, 4.0), (2.06, 4.0)],
        [(2.54, 4.0), (3.56, 4.0)],
        [(4.04, 4.0), (8.86, 4.0)],
        [(9.34, 4.0), (10.36, 4.0)],
        [(10.84, 4.0), (14.2, 4.0)],
    ):
        _line(ax, segment, grey, "forward", width=1.2, arrow=False)
    # forward: h_t = o_t ⊙ tanh(c_t) goes on to the next step's gates
    _line(ax, [(5.1, 2.75), (5.1, 1.3), (8.9, 1.3), (8.9, 1.6)], grey, "forward", width=1)
    _label(ax, 6.4, 1.55, "$h_t$", INK, fontsize=11)
    _label(ax, 7.0, 4.75, "$c_t$", INK, fontsize=11)
    _label(ax, 13.7, 4.75, "$c_{t+1}$", INK, fontsize=11)

    # blue, backward: the error along the cell state, times f_{t+1}, nothing else
    _line(ax, [(13.6, 4.3), (3.4, 4.3)], CELL_PATH, "cell_path", width=3)
    _label(ax, 9.1, 4.6, r"$\times f_{t+1}$", CELL_PATH, fontsize=11)
    # red, backward: c_{t+1} <- gates_{t+1} <- h_t W_hh^T <- o_t ⊙ tanh(c_t) <- c_t
    red = GATE_PATH
    _line(ax, [(10.2, 3.76), (10.2, 2.2)], red, "gate_path", width=2.2)
    _line(ax, [(9.3, 1.6), (9.3, 1.05), (5.4, 1.05), (5.4, 2.78)], red, "gate_path", width=2.2)
    _line(ax, [(5.1, 3.25), (5.1, 4.2)], red, "gate_path", width=2.2)
    _label(ax, 7.35, 0.8, r"$\times\, W_{hh}$, $\sigma'$, $\tanh'$, $o_t$", red, fontsize=11)
    ax.text(
        7.0,
        -0.55,
        r"blue: $\partial c_{t+1}/\partial c_t = \mathrm{diag}(f_{t+1})$ along the cell "
        "state, an elementwise product per step.\n"
        "red: through $h_t = o_t \\odot \\tanh(c_t)$ and the next step's gates: matrices "
        "and squashing, like the RNN's. The 1997 algorithm cut it.",
        ha="center",
        va="center",
        fontsize=10,
    )
    return ax


# ---- chapter 7: the GRU cell -----------------------------------------------------------------


def draw_gru_cell(highlight: str | None = None, ax: Axes | None = None) -> Axes:
    """The GRU cell (PyTorch's equations): h_{t-1} runs across the top and becomes
    h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}; below it the reset gate σ (r), the update gate σ (z)
    and the candidate tanh (n), whose h-part is scaled by r.

    highlight: None, "reset", "update", "candidate" or "state" (the new state's mix) lights
    that part, with its equation under the drawing.
    """
    _check_part(highlight, GRU_PARTS, "draw_gru_cell")
    ax = _axes(ax, (8.5, 5.4), (-0.2, 12.2), (-0.9, 7.0))
    reset, update, candidate, state = (_colour(part, highlight) for part in GRU_PARTS)
    shared = INK if highlight is None else FADED

    _cell_frame(ax, 1.2, 0.9, 9.6, 5.3)
    # h_{t-1} across the top, kept in the proportion z, plus (1 - z) n
    _line(ax, [(0.0, 5.5), (6.76, 5.5)], state, "state", width=2.4, arrow=False)
    _node(ax, 7.0, 5.5, "⊙", update if highlight == "update" else state, "state")
    _line(ax, [(7.24, 5.5), (9.36, 5.5)], state, "state", width=2.4, arrow=False)
    _node(ax, 9.6, 5.5, "+", state, "state")
    _line(ax, [(9.84, 5.5), (12.0, 5.5)], state, "state", width=2.4)
    _label(ax, 0.3, 5.85, "$h_{t-1}$", shared)
    _label(ax, 11.7, 5.85, "$h_t$", state)
    # h_{t-1} goes down to the gates; x_t comes in from below
    _line(ax, [(1.6, 5.5), (1.6, 1.4), (7.0, 1.4)], shared, "inputs", arrow=False)
    _line(ax, [(2.2, 0.0), (2.2, 1.4)], shared, "inputs", arrow=False)
    _label(ax, 2.2, -0.3, "$x_t$", shared)

    # the update gate: z keeps h_{t-1} on the top line, 1 - z lets the candidate in
    _line(ax, [(3.0, 1.4), (3.0, 2.7)], update, "update", width=1.4)
    _box(ax, 3.0, 3.0, r"$\sigma$", update, "update")
    _label(ax, 2.4, 3.55, "$z_t$", update, fontsize=11)
    _line(ax, [(3.0, 3.3), (3.0, 4.7), (7.0, 4.7), (7.0, 5.26)], update, "update")
    _line(ax, [(7.0, 4.7), (8.6, 4.7), (8.6, 4.34)], update, "update")
    _node(ax, 8.6, 4.1, "1−", update, "update")
    _label(ax, 9.3, 4.1, "$1 - z_t$", update, fontsize=10)
    _line(ax, [(8.6, 3.86), (8.6, 3.24)], update, "update")
    # the reset gate scales h_{t-1}'s part of the candidate
    _line(ax, [(4.6, 1.4), (4.6, 2.7)], reset, "reset", width=1.4)
    _box(ax, 4.6, 3.0, r"$\sigma$", reset, "reset")
    _label(ax, 4.0, 3.55, "$r_t$", reset, fontsize=11)
    _line(ax, [(4.6, 3.3), (4.6, 4.0), (5.56, 4.0)], reset, "reset")
    _node(ax, 5.8, 4.0, "⊙", reset if highlight == "reset" else candidate, "candidate")
    _line(ax, [(5.8, 1.4), (5.8, 3.76)], candidate, "candidate")
    _label(ax, 6.35, 2.3, r"$h_{t-1} W_{hn}^\top$", candidate, fontsize=8)
    # the candidate: tanh of x's part plus r ⊙ (h's part)
    _line(ax, [(6.04, 4.0), (7.0, 4.0), (7.0, 3.3)], candidate, "candidate")
    _line(ax, [(7.0, 1.4), (7.0, 2.7)], candidate, "candidate", width=1.4)
    _box(ax, 7.0, 3.0, "tanh", candidate, "candidate")
    _label(ax, 7.75, 2.55, "$n_t$", candidate, fontsize=11)
    _line(ax, [(7.45, 3.0), (8.36, 3.0)], candidate, "candidate")
    _node(ax, 8.6, 3.0, "⊙", state, "state")
    _line(ax, [(8.84, 3.0), (9.6, 3.0), (9.6, 5.26)], state, "state")
    _line(ax, [(10.6, 5.5), (10.6, 1.4), (12.0, 1.4)], state, "state")
    _label(ax, 11.7, 1.05, "$h_t$", state)

    _label(ax, 6.0, -0.7, GRU_CAPTIONS[highlight], LIT if highlight else INK, fontsize=11)
    return ax
