"""Pictures for the course.

`draw_graph` draws a computation graph as SVG that it writes itself, so nothing needs to be
installed (no graphviz): Jupyter shows the returned object inline, and `.save()` writes a file.
At the end of the file, matplotlib plots too long to repeat in a notebook cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from minigrad.autograd import topological_order

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.image import AxesImage

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

    def save(self, path: str | Path) -> Path:
        """Write the picture to `path` (an .svg file) and return the path."""
        path = Path(path)
        path.write_text(self.svg, encoding="utf-8")
        return path


def draw_graph(root, max_nodes: int = 200) -> GraphDrawing:
    """Draw the graph that `root` (a Value or a Tensor) was computed from, inputs on the left.

    One box per node: its label and op ("leaf" for an input), then its data and grad for a
    Value, or its shape for a Tensor. An arrow runs from each input of an op to the op, in
    argument order from top to bottom; a node used twice (x * x) sends two arrows.
    Graphs with more than `max_nodes` nodes are refused: they would not be readable.
    """
    if not hasattr(root, "_parents"):
        raise TypeError(f"draw_graph needs a Value or a Tensor, got {type(root).__name__}")
    nodes = topological_order(root)  # parents before their users
    if len(nodes) > max_nodes:
        raise ValueError(
            f"draw_graph: the graph has {len(nodes)} nodes, more than max_nodes={max_nodes}; "
            "a picture that size is unreadable. Draw a smaller part (one neuron, one step), "
            "or pass a larger max_nodes."
        )
    lines = {id(node): _node_lines(node) for node in nodes}
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


def _node_lines(node) -> list[str]:
    """The text of a node's box: title, then numbers (Value) or shape (Tensor)."""
    op = node._op or "leaf"
    label = getattr(node, "label", "")
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
    vmin: float = 1e-12,
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
