"""Pictures for the course.

`draw_graph` draws a computation graph as SVG that it writes itself, so nothing needs to be
installed (no graphviz): Jupyter shows the returned object inline, and `.save()` writes a file.
At the end of the file, matplotlib plots too long to repeat in a notebook cell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from minigrad.autograd import no_grad, topological_order
from minigrad.course.experiments import pulse_memory, rnn_gradient_norms

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.image import AxesImage

    from minigrad.course.train import History

# Sizes in pixels, for a 12 px monospace font.
_CHAR_WIDTH = 7.3
_LINE_HEIGHT = 16
_PADDING = 6
_COLUMN_GAP = 60
_ROW_GAP = 16
_WAYPOINT_HEIGHT = 4
_MARGIN = 10


class GraphDrawing:
    """An SVG picture. Jupyter displays it inline through `_repr_svg_`."""

    def __init__(self, svg: str) -> None:
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        # shown as text where SVG can't be; no memory address, so stored notebooks stay stable
        boxes = self.svg.count('<g class="node">')
        return f"GraphDrawing({boxes} nodes)"

    def save(self, path: str | Path) -> Path:
        """Write the picture to `path` (an .svg file) and return the path."""
        path = Path(path)
        path.write_text(self.svg, encoding="utf-8")
        return path


def draw_graph(root, max_nodes: int = 200, names: dict | None = None) -> GraphDrawing:
    """Draw the graph that `root` (a Value or a Tensor) was computed from, inputs on the left.

    One box per node: its name and op ("leaf" for an input), then its data and grad for a
    Value, or its shape for a Tensor. A node's name is its entry in `names` ({name: node},
    e.g. {"W_hh": cell.weight_hh}; Tensors have no label of their own), else its label.
    An arrow runs from each input of an op to the op, in argument order from top to bottom;
    a node used twice (x * x) sends two arrows.
    Graphs with more than `max_nodes` nodes are refused: they would not be readable.
    """
    if not hasattr(root, "_parents"):
        raise TypeError(f"draw_graph needs a Value or a Tensor, got {type(root).__name__}")
    named = {}
    for name, node in (names or {}).items():
        if not hasattr(node, "_parents"):
            raise TypeError(
                f"draw_graph: names maps a name to a Value or a Tensor; {name!r} maps to "
                f"{type(node).__name__}"
            )
        named[id(node)] = name
    nodes = topological_order(root)  # parents before their users
    if len(nodes) > max_nodes:
        raise ValueError(
            f"draw_graph: the graph has {len(nodes)} nodes, more than max_nodes={max_nodes}; "
            "a picture that size is unreadable. Draw a smaller part (one neuron, one step), "
            "or pass a larger max_nodes."
        )
    lines = {id(node): _node_lines(node, named.get(id(node))) for node in nodes}
    width = _PADDING * 2 + _CHAR_WIDTH * max(len(text) for ls in lines.values() for text in ls)
    box_height = {key: _PADDING * 2 + _LINE_HEIGHT * len(ls) for key, ls in lines.items()}
    column, center_y, height, routes = _place(nodes, box_height)

    def left(key) -> float:
        return _MARGIN + column[key] * (width + _COLUMN_GAP)

    def top(key) -> float:
        return center_y[key] - height[key] / 2

    arrows = []
    for parent, node, k, waypoints in routes:
        x, y = left(id(parent)) + width, center_y[id(parent)]
        path = f"M {x:.1f},{y:.1f}"
        for key in waypoints:  # straight across each column it skips
            path += _curve(x, y, left(key), center_y[key])
            x, y = left(key) + width, center_y[key]
            path += f" L {x:.1f},{y:.1f}"
        # Arrows end at evenly spaced points down the box, so that x - y shows which is x.
        end_y = top(id(node)) + height[id(node)] * (k + 1) / (len(node._parents) + 1)
        path += _curve(x, y, left(id(node)), end_y)
        arrows.append(
            f'<path class="edge" d="{path}" fill="none" stroke="#666" '
            'marker-end="url(#arrowhead)"/>'
        )

    boxes = []
    for node in nodes:
        x, y = left(id(node)), top(id(node))
        fill = "#f3f4f6" if node._parents else "#dbeafe"  # leaves in blue
        border = 2 if node is root else 1
        texts = ""
        for i, text in enumerate(lines[id(node)]):
            bold = ' font-weight="bold"' if i == 0 else ""
            baseline = y + _PADDING + _LINE_HEIGHT * (i + 0.75)
            texts += f'<text x="{x + _PADDING:.1f}" y="{baseline:.1f}"{bold}>{escape(text)}</text>'
        boxes.append(
            f'<g class="node"><rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
            f'height="{height[id(node)]:.1f}" rx="4" fill="{fill}" stroke="#333" '
            f'stroke-width="{border}"/>{texts}</g>'
        )

    total_width = left(id(root)) + width + _MARGIN
    total_height = max(top(key) + height[key] for key in center_y) + _MARGIN
    return GraphDrawing(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width:.0f}" '
        f'height="{total_height:.0f}" viewBox="0 0 {total_width:.0f} {total_height:.0f}" '
        'font-family="monospace" font-size="12">'
        '<defs><marker id="arrowhead" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto">'
        '<path d="M 0,0 L 10,5 L 0,10 z" fill="#666"/></marker></defs>'
        + "".join(arrows)  # first, so that the boxes are drawn over their ends
        + "".join(boxes)
        + "</svg>"
    )


def _node_lines(node, name: str | None = None) -> list[str]:
    """The text of a node's box: title, then numbers (Value) or shape (Tensor)."""
    op = node._op or "leaf"
    label = name or getattr(node, "label", "")
    title = f"{label} ({op})" if label else op
    shape = getattr(node, "shape", None)
    if shape is not None:  # a Tensor: its numbers would not fit in a box
        return [title, f"shape {tuple(shape)}"]
    return [title, f"data {node.data:.4g}", f"grad {node.grad:.4g}"]


def _place(nodes: list, box_height: dict) -> tuple[dict, dict, dict, list]:
    """Where everything goes, for `nodes` in topological order.

    Places boxes (keyed by id(node)) and waypoints (keyed by (id(node), k, column)): an arrow
    that skips columns passes each of them through a waypoint, a thin slot placed like a box,
    so that it runs between the boxes and never behind one. Returns the column, centre height
    and height of every key, and one route per arrow: (parent, node, k, its waypoints).
    """
    column = _columns(nodes)
    height = dict(box_height)
    feeds = {}  # what comes into each key: it is placed level with their mean height
    routes = []
    for node in nodes:
        feeds[id(node)] = []
        for k, parent in enumerate(node._parents):
            previous, waypoints = id(parent), []
            for c in range(column[id(parent)] + 1, column[id(node)]):
                key = (id(node), k, c)
                column[key], height[key], feeds[key] = c, _WAYPOINT_HEIGHT, [previous]
                waypoints.append(key)
                previous = key
            feeds[id(node)].append(previous)
            routes.append((parent, node, k, waypoints))

    members = [[] for _ in range(max(column.values()) + 1)]
    # Nodes from the root back, so that within a column the first argument's inputs come
    # first; the sorts below are stable and keep that order among equals.
    for key in [id(node) for node in reversed(nodes)] + [w for r in routes for w in r[3]]:
        members[column[key]].append(key)
    center_y = {}
    for keys in members:  # left to right: what feeds a column is placed before it
        wanted = {key: _mean([center_y[f] for f in feeds[key]]) for key in keys}
        keys.sort(key=lambda key: (not feeds[key], wanted[key]))  # leaves below the ops
        top = _MARGIN
        for key in keys:  # as level as possible with its inputs, without overlapping
            center_y[key] = max(wanted[key], top + height[key] / 2)
            top = center_y[key] + height[key] / 2 + _ROW_GAP
    return column, center_y, height, routes


def _columns(nodes: list) -> dict:
    """Column of each node (by id): the longest path to it from a leaf, so that every arrow
    points right. A leaf then moves right, next to the first op that uses it: a constant
    like the 2 in `2 * x` sits beside its op instead of far away in the first column."""
    column = {}
    for node in nodes:  # parents first, so that their columns are known
        column[id(node)] = 1 + max((column[id(p)] for p in node._parents), default=-1)
    first_use = {}
    for node in nodes:
        for parent in node._parents:
            first_use[id(parent)] = min(
                first_use.get(id(parent), column[id(node)]), column[id(node)]
            )
    for node in nodes:
        if not node._parents and id(node) in first_use:
            column[id(node)] = first_use[id(node)] - 1
    return column


def _curve(x1: float, y1: float, x2: float, y2: float) -> str:
    """An S-shaped path segment from (x1, y1) (where the path is) to (x2, y2)."""
    bend = (x2 - x1) / 2
    return f" C {x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


# ---- plots the chapters share (matplotlib) -----------------------------------------------
# matplotlib is imported inside these functions: draw_graph above needs nothing but Python.


def plot_gate_activations(
    values: np.ndarray,
    gates: Sequence[np.ndarray],
    cell_states: np.ndarray,
    marked: np.ndarray | None = None,
    highlight: int | None = None,
) -> Figure:
    """One LSTM layer's gates over a sequence, one panel each, under the input it reads.

    values: (T,) the input drawn as bars (bars where `marked` (T,) is True in red);
    gates: the four activations (input, forget, candidate, output), each (T, H), as in
    `LSTMGates`; cell_states: (T, H). Every unit is a thin gray line, except unit `highlight`,
    drawn in colour; then the last panel shows that unit's cell state alone (the others' may
    be far larger). Returns the Figure.
    """
    from matplotlib import pyplot as plt

    values, cell_states = np.asarray(values), np.asarray(cell_states)
    gates = [np.asarray(gate) for gate in gates]
    if len(gates) != 4 or any(gate.shape != cell_states.shape for gate in gates):
        raise ValueError(
            "plot_gate_activations: expected 4 gate arrays (i, f, g, o) of the cell states' "
            f"shape {cell_states.shape}, got shapes {[gate.shape for gate in gates]}"
        )
    steps = np.arange(len(values))
    marked = np.zeros(len(values), bool) if marked is None else np.asarray(marked, bool)
    rows = [
        ("input gate $i_t$", gates[0]),
        ("forget gate $f_t$", gates[1]),
        ("candidate $g_t$", gates[2]),
        ("output gate $o_t$", gates[3]),
        ("cell state $c_t$", cell_states),
    ]
    fig, axes = plt.subplots(len(rows) + 1, 1, figsize=(9, 10), sharex=True)
    axes[0].bar(steps, values, color=np.where(marked, "C3", "C0"))
    axes[0].set(ylabel="input value", title="What each gate does over one sequence")
    for row, (ax, (name, activation)) in enumerate(zip(axes[1:], rows)):
        if highlight is None:
            ax.plot(steps, activation, color="C0", linewidth=1)
        else:
            if row < len(rows) - 1:  # gates lie in (-1, 1): every unit fits the same panel
                ax.plot(steps, activation, color="0.75", linewidth=0.8)
            else:
                name = f"cell state $c_t$\n(unit {highlight})"
            ax.plot(steps, activation[:, highlight], color="C1", linewidth=2)
        for t in steps[marked]:
            ax.axvline(t, color="C3", alpha=0.25, linewidth=3)
        ax.set_ylabel(name)
    axes[-1].set_xlabel("time step t")
    fig.align_ylabels(axes)
    fig.tight_layout()
    return fig


def plot_gradient_heatmap(
    ax: Axes,
    gradients: np.ndarray,
    title: str = "",
    state: str = "c_t",
    vmin: float = 1e-15,
    vmax: float = 1e1,
) -> AxesImage:
    """Draw |dL/d state| over (time step, unit) into `ax` as colours on a log scale.

    gradients: (T, H), one row per time step (t = 1..T, drawn left to right), one column per
    unit (drawn bottom to top). The colour scale is fixed to [vmin, vmax], so that two
    heatmaps can be compared; values outside are drawn in the end colours (an exact 0 as
    vmin). `state` names the state in the colour bar's label. Returns the image.
    """
    from matplotlib.colors import LogNorm

    gradients = np.abs(np.asarray(gradients, dtype=float))
    if gradients.ndim != 2:
        raise ValueError(
            f"plot_gradient_heatmap: expected gradients of shape (T, H), got {gradients.shape}"
        )
    steps, units = gradients.shape
    image = ax.imshow(
        np.clip(gradients.T, vmin, vmax),
        norm=LogNorm(vmin=vmin, vmax=vmax),
        aspect="auto",
        origin="lower",
        interpolation="nearest",
        extent=(0.5, steps + 0.5, -0.5, units - 0.5),
    )
    ax.figure.colorbar(image, ax=ax, extend="both", label=f"$|\\partial L / \\partial {state}|$")
    ax.set(xlabel="time step t", ylabel="unit", title=title)
    return image


def plot_losses(
    losses: Sequence[float] | dict[str, Sequence[float]],
    ax: Axes | None = None,
    baseline: float | None = None,
    baseline_label: str = "baseline",
    title: str = "Training loss",
    log: bool = True,
) -> Axes:
    """Learning curves, loss against training step: one line per run, on a log scale unless
    `log=False` (a loss often falls by orders of magnitude).

    losses: one sequence of numbers (S,), or a dict {label: sequence} for several runs.
    baseline: drawn as a dashed horizontal line, for instance the loss of the best model that
    ignores its input: a run has learned something only below it.
    ax: the Axes to draw into; None makes a new figure. Returns the Axes.
    """
    from matplotlib import pyplot as plt

    curves = dict(losses) if isinstance(losses, dict) else {"": losses}
    if not curves:
        raise ValueError("plot_losses: got an empty dict; pass at least one curve")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.8))
    for label, curve in curves.items():
        curve = np.asarray(curve, dtype=float)
        if curve.ndim != 1 or curve.size == 0:
            name = f"curve {label!r}" if label else "the losses"
            raise ValueError(
                f"plot_losses: {name} must be a non-empty 1-D sequence of numbers, "
                f"got shape {curve.shape}"
            )
        ax.plot(np.arange(curve.size), curve, label=label or None)
    if baseline is not None:
        ax.axhline(baseline, color="k", linestyle="--", linewidth=1, label=baseline_label)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="training step", ylabel="loss", title=title)
    if baseline is not None or "" not in curves:  # a legend only when something is named
        ax.legend()
    return ax


def plot_decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    ax: Axes | None = None,
    resolution: int = 80,
    margin: float = 0.5,
    title: str = "Decision regions",
) -> Axes:
    """The class a model predicts at every point of the plane, with the data on top.

    predict: maps points (M, 2) to scores, either (M,) for two classes (class 1 where the
    score is > 0) or (M, C) for C classes (the class with the largest score).
    X: the data (N, 2); y: their labels (N,), 0..C-1, or -1 and +1 for two classes. Labels
    are coloured in sorted order, so that -1 and class 0 share a colour, as do +1 and class 1.
    The plane is sampled on a resolution x resolution grid around X (plus `margin`).
    ax: the Axes to draw into; None makes a new figure. Returns the Axes, whose first image,
    `ax.images[0]`, holds the predicted class of every grid point (row 0 at the bottom).
    """
    from matplotlib import pyplot as plt
    from matplotlib.colors import ListedColormap

    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (N, 2), got {X.shape}")
    if y.shape != X.shape[:1]:
        raise ValueError(
            f"plot_decision_boundary: y must have shape ({len(X)},), one label per point, "
            f"got {y.shape}"
        )
    (left, bottom), (right, top) = X.min(axis=0) - margin, X.max(axis=0) + margin
    grid_x, grid_y = np.meshgrid(
        np.linspace(left, right, resolution), np.linspace(bottom, top, resolution)
    )
    points = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
    scores = np.asarray(predict(points), dtype=float)
    if scores.shape == (len(points),):
        predicted = (scores > 0).astype(int)
    elif scores.ndim == 2 and len(scores) == len(points):
        predicted = scores.argmax(axis=1)
    else:
        raise ValueError(
            f"plot_decision_boundary: predict(points) for points of shape {points.shape} must "
            f"return scores ({len(points)},) or class scores ({len(points)}, C), "
            f"got {scores.shape}"
        )
    labels = np.unique(y)
    n_classes = max(len(labels), int(predicted.max()) + 1)
    colors = plt.get_cmap("tab10").colors[:n_classes]

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.2))
    ax.imshow(
        predicted.reshape(resolution, resolution),
        extent=(left, right, bottom, top),
        origin="lower",  # row 0 of the grid has the smallest x_2
        aspect="auto",
        interpolation="nearest",
        cmap=ListedColormap(colors),
        vmin=-0.5,  # class k gets colour k
        vmax=n_classes - 0.5,
        alpha=0.3,
    )
    for k, label in enumerate(labels):
        ax.scatter(*X[y == label].T, s=18, color=colors[k], edgecolors="k", linewidths=0.5)
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title)
    return ax


# ---- training runs compared (chapter 7) -----------------------------------------------------


def plot_learning_curves(
    histories: dict[str, History],
    what: str = "loss",
    baseline: float | None = None,
    ax: Axes | None = None,
    smooth: int = 25,
    title: str = "Learning curves",
) -> Axes:
    """Several training runs of one task on one Axes, a colour per run, against the step.

    histories: {label: History}, as `minigrad.course.train.train` returns them.
    what: "loss" (log scale), or "metric", the task's own score (`History.metric_name`):
    accuracy on a linear scale from 0 to 1, mse on a log scale.
    For each run, a thin line shows the value on the training batches, as a running mean over
    `smooth` steps (one batch of 32 is noisy), and dots joined by a line the value on the
    fixed test set. baseline: a dashed line, e.g. the score of the best model that ignores
    its input. ax: None makes a new figure. Returns the Axes.
    """
    from matplotlib import pyplot as plt

    if not isinstance(histories, dict) or not histories:
        raise ValueError(
            "plot_learning_curves: expected a non-empty dict {label: History}, "
            f"got {type(histories).__name__} {histories!r:.60}"
        )
    if what not in ("loss", "metric"):
        raise ValueError(f"plot_learning_curves: what must be 'loss' or 'metric', got {what!r}")
    if isinstance(smooth, bool) or not isinstance(smooth, (int, np.integer)) or smooth < 1:
        raise ValueError(f"plot_learning_curves: smooth must be a positive int, got {smooth!r}")
    metric_names = {history.metric_name for history in histories.values()}
    if what == "metric" and len(metric_names) > 1:
        raise ValueError(
            "plot_learning_curves: the runs score different metrics "
            f"{sorted(metric_names)}; plot what='loss', or one task at a time"
        )
    name = metric_names.pop() if what == "metric" else "loss"

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.8))
    for k, (label, history) in enumerate(histories.items()):
        train = np.asarray(history.loss if what == "loss" else history.metric, dtype=float)
        test = history.test_loss if what == "loss" else history.test_metric
        if train.ndim != 1 or train.size == 0 or len(test) != len(history.test_steps):
            raise ValueError(
                f"plot_learning_curves: run {label!r} needs at least one training step and "
                f"one test score per test step, got {train.size} steps, {len(test)} test "
                f"scores and {len(history.test_steps)} test steps"
            )
        window = min(smooth, train.size)
        running_mean = np.convolve(train, np.ones(window) / window, mode="valid")
        # steps count from 1; the first mean covers steps 1..window
        steps = np.arange(window, train.size + 1)
        ax.plot(steps, running_mean, color=f"C{k}", linewidth=0.8, alpha=0.6)
        ax.plot(history.test_steps, test, "o-", color=f"C{k}", markersize=4, label=label)
    ax.plot([], [], color="0.5", linewidth=0.8, label=f"training batches (mean of {smooth})")
    if baseline is not None:
        ax.axhline(baseline, color="k", linestyle="--", linewidth=1, label="baseline")
    if name == "accuracy":
        ax.set_ylim(-0.02, 1.02)
    else:
        ax.set_yscale("log")
    ax.set(xlabel="training step", ylabel=f"{name} (dots: test set)", title=title)
    ax.legend(fontsize=8)
    return ax


def plot_success_rates(
    seq_lens: Sequence[int],
    rates: dict[str, Sequence[float]],
    chance: float | None = None,
    ax: Axes | None = None,
    ylabel: str = "fraction of test sequences solved",
    title: str = "Success against sequence length",
) -> Axes:
    """How well each model does as the sequences get longer: a line with dots per model.

    seq_lens: the sequence lengths T tried, (N,) increasing. rates: {label: (N,) fractions in
    [0, 1]}, one per length (e.g. test accuracy, or the fraction of seeds that solved it).
    chance: a dashed line at the rate of guessing. ax: None makes a new figure.
    Returns the Axes.
    """
    from matplotlib import pyplot as plt

    lengths = np.asarray(seq_lens)
    if lengths.ndim != 1 or lengths.size == 0 or not np.all(np.diff(lengths) > 0):
        raise ValueError(
            "plot_success_rates: seq_lens must be a non-empty increasing 1-D sequence, "
            f"got {seq_lens!r}"
        )
    if not isinstance(rates, dict) or not rates:
        raise ValueError(
            "plot_success_rates: expected a non-empty dict {label: rates}, "
            f"got {type(rates).__name__}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.8))
    for k, (label, rate) in enumerate(rates.items()):
        rate = np.asarray(rate, dtype=float)
        if rate.shape != lengths.shape:
            raise ValueError(
                f"plot_success_rates: {label!r} needs one rate per length, shape "
                f"{lengths.shape}, got {rate.shape}"
            )
        if not np.all((rate >= 0) & (rate <= 1)):
            raise ValueError(
                f"plot_success_rates: rates are fractions in [0, 1], {label!r} has {rate}"
            )
        # models that tie (say, all at 1.0) would hide one another: each later line is drawn
        # thinner, with smaller markers, on top of the earlier ones
        ax.plot(
            lengths,
            rate,
            marker="os^Dv"[k % 5],
            markersize=max(10 - 2.5 * k, 3),
            linewidth=max(3 - 0.8 * k, 1),
            label=label,
        )
    if chance is not None:
        ax.axhline(chance, color="k", linestyle="--", linewidth=1, label="chance")
    ax.set_xticks(lengths)
    ax.set_ylim(-0.02, 1.02)
    ax.set(xlabel="sequence length T", ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    return ax


# ---- chapter 0: a map of the course, one small picture per chapter --------------------------


def chapter_gallery() -> Figure:
    """Seven small plots, one per chapter, each computed on the spot by a few lines of
    minigrad (nothing is read from disk); it takes about a second. Returns the Figure, whose
    first seven axes are the chapters in order."""
    from matplotlib import pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(15, 6.6))
    previews = (
        _preview_derivative,
        _preview_curve_fit,
        _preview_memory,
        _preview_vanishing_gradient,
        _preview_lstm_gates,
        _preview_constant_error_flow,
        _preview_adding_problem,
    )
    for ax, preview in zip(axes.flat, previews):
        preview(ax)
        ax.title.set_fontsize(10)
    axes.flat[-1].axis("off")  # seven chapters in a grid of eight
    fig.suptitle("The course in seven pictures, each one computed by minigrad")
    fig.tight_layout()
    return fig


def _preview_derivative(ax: Axes) -> None:
    """Chapter 1: f(x) = x tanh(x), and its slope read off `Value.backward()`."""
    from minigrad.scalar import Value

    xs = np.linspace(-3, 3, 61)
    values, slopes = [], []
    for x in xs:
        x = Value(float(x))
        f = x * x.tanh()
        f.backward()
        values.append(f.data)
        slopes.append(x.grad)
    ax.plot(xs, values, label=r"$f(x) = x \tanh x$")
    ax.plot(xs, slopes, label="$f'(x)$ by backward()")
    ax.legend(fontsize=8)
    ax.set(xlabel="x", ylabel="value", title="1 · scalar autograd: slopes by backward()")


def _preview_curve_fit(ax: Axes) -> None:
    """Chapter 2: a tensor MLP, 1 -> 32 -> 1, fitted to sin(3x) by Adam."""
    from minigrad.nn import Linear
    from minigrad.nn import functional as F
    from minigrad.optim import Adam
    from minigrad.tensor import Tensor

    x = Tensor(np.linspace(-1, 1, 48)[:, None])
    y = np.sin(3 * x.data)
    hidden, out = Linear(1, 32, rng=0), Linear(32, 1, rng=1)
    optimizer = Adam(hidden.parameters() + out.parameters(), lr=0.03)
    for _ in range(300):
        optimizer.zero_grad()
        F.mse_loss(out(hidden(x).tanh()), y).backward()
        optimizer.step()
    ax.plot(x.data, y, "o", markersize=3, label="data")
    ax.plot(x.data, out(hidden(x).tanh()).data, label="MLP")
    ax.legend(fontsize=8)
    ax.set(xlabel="x", ylabel="y", title="2 · tensors: an MLP fits sin(3x)")


def _preview_memory(ax: Axes) -> None:
    """Chapter 3: how long an RNN cell remembers a pulse, for a weak and a strong W_hh."""
    from minigrad.nn import RNNCell

    for scale in (1.0, 2.0):
        cell = RNNCell(1, 16, rng=0)
        cell.weight_hh.data *= scale
        ax.semilogy(np.arange(1, 41), pulse_memory(cell, 40), label=f"$W_{{hh}}$ × {scale:g}")
    ax.legend(fontsize=8)
    ax.set(
        xlabel="time step t (pulse at t = 0)",
        ylabel="trace of the pulse in $h_t$",
        title="3 · RNN: the hidden state forgets",
    )


def _preview_vanishing_gradient(ax: Axes) -> None:
    """Chapter 4: the gradient reaching each time step of a tanh RNN, on a log scale."""

    for rho in (0.8, 1.0, 1.3):
        ax.semilogy(np.arange(1, 61), rnn_gradient_norms(60, rho, "tanh"), label=f"ρ = {rho}")
    ax.legend(fontsize=8)
    ax.set(
        xlabel="time step t (loss at t = 60)",
        ylabel=r"$\|\partial L / \partial h_t\|$",
        title="4 · the gradient vanishes (or explodes)",
    )


def _preview_lstm_gates(ax: Axes) -> None:
    """Chapter 5: one unit of an LSTM cell, its gates and cell state, over a sine input."""
    from minigrad.nn import LSTMCell
    from minigrad.tensor import Tensor

    cell = LSTMCell(1, 8, rng=0)
    state, rows = None, []
    with no_grad():
        for x_t in 3 * np.sin(np.linspace(0, 4 * np.pi, 40)):
            h, c, gates = cell.step(Tensor([[x_t]]), state)
            state = (h, c)
            rows.append([gates.input.data[0, 0], gates.forget.data[0, 0], c.data[0, 0]])
    for k, name in enumerate(("input gate $i_t$", "forget gate $f_t$", "cell state $c_t$")):
        ax.plot([row[k] for row in rows], label=name)
    ax.legend(fontsize=8)
    ax.set(xlabel="time step t", ylabel="activation", title="5 · LSTM: gates and cell state")


def _preview_constant_error_flow(ax: Axes) -> None:
    """Chapter 6: the gradient through time of a plain RNN's h_t, and along the cell state
    c_t of the 1997 LSTM (no forget gate), for a loss that reads the last step."""
    from minigrad.nn import LSTMCell, RNNCell
    from minigrad.tensor import Tensor

    steps = 60
    inputs = np.random.default_rng(0).standard_normal((steps, 1, 1))
    rnn, lstm = RNNCell(1, 8, rng=0), LSTMCell(1, 8, forget_gate=False, rng=0)
    h, rnn_states, state, cell_states = None, [], None, []
    for x_t in inputs:
        h = rnn(Tensor(x_t), h)
        state = lstm(Tensor(x_t), state)
        rnn_states.append(h)
        cell_states.append(state[1])
    rnn_states[-1].sum().backward()
    cell_states[-1].sum().backward()
    t = np.arange(1, steps + 1)
    ax.semilogy(t, [np.linalg.norm(s.grad) for s in rnn_states], label="RNN, $h_t$")
    ax.semilogy(t, [np.linalg.norm(s.grad) for s in cell_states], label="LSTM, $c_t$")
    ax.legend(fontsize=8)
    ax.set(
        xlabel=f"time step t (loss at t = {steps})",
        ylabel="gradient norm",
        title="6 · LSTM: the error does not vanish",
    )


def _preview_adding_problem(ax: Axes) -> None:
    """Chapter 7: one sequence of the adding problem, its two marked values in red."""
    from minigrad.course.tasks import adding_problem

    x, y = adding_problem(1, 40, rng=3)
    values, marked = x[:, 0, 0], np.flatnonzero(x[:, 0, 1])
    ax.bar(np.arange(40), values, color="lightgray")
    ax.bar(marked, values[marked], color="C3", label=f"marked: their sum is {y[0, 0]:.2f}")
    ax.legend(fontsize=8)
    ax.set(xlabel="time step t", ylabel="value", title="7 · long range: the adding problem")


def plot_text_colored(
    text: str,
    values: np.ndarray,
    ax: Axes | None = None,
    width: int = 80,
    cmap: str = "coolwarm",
    title: str = "",
) -> Axes:
    """Draw `text` one character per cell of a grid, each on a colour that shows its value.

    values: (len(text),), e.g. one LSTM unit's cell state c_t after reading each character;
    the colours span -max|value| (blue) to +max|value| (red), white at 0. A newline starts a
    new row and is drawn as "↵"; a row longer than `width` characters wraps. Returns the Axes.
    """
    from matplotlib import colormaps
    from matplotlib import pyplot as plt

    values = np.asarray(values, dtype=np.float64)
    if values.shape != (len(text),):
        raise ValueError(
            f"plot_text_colored: expected one value per character, ({len(text)},), "
            f"got {values.shape}"
        )
    places, row, column = [], 0, 0
    for char in text:
        if column == width:
            row, column = row + 1, 0
        places.append((row, column))
        row, column = (row + 1, 0) if char == "\n" else (row, column + 1)
    rows = row + 1
    if ax is None:
        _, ax = plt.subplots(figsize=(width * 0.12, rows * 0.22 + 0.4))
    bound = np.abs(values).max() or 1.0
    # the colours as one image, a pixel per character (empty cells white), then the letters
    grid = np.ones((rows, width, 4))
    r, c = np.array(places).T
    grid[r, c] = colormaps[cmap](0.5 + 0.5 * values / bound)
    ax.imshow(grid, extent=(0, width, rows, 0), interpolation="nearest", aspect="auto")
    for char, (r, c) in zip(text, places):
        shown = "↵" if char == "\n" else char
        ax.text(c + 0.5, r + 0.55, shown, ha="center", va="center", family="monospace", size=8)
    ax.set(xlim=(0, width), ylim=(rows, 0), title=title)
    ax.set_axis_off()
    return ax
