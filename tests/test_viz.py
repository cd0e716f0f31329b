"""The specification of `draw_graph`: a well-formed SVG with one box per node, the ops and
numbers written in them, one arrow per parent link, and a layout where nothing overlaps."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from IPython.core.formatters import DisplayFormatter

from minigrad import Value
from minigrad.autograd import topological_order
from minigrad.course.viz import GraphDrawing, draw_graph
from minigrad.tensor import Tensor

SVG = "{http://www.w3.org/2000/svg}"


def parse(drawing: GraphDrawing) -> ET.Element:
    return ET.fromstring(drawing._repr_svg_())  # raises if the XML is not well formed


def boxes(svg: ET.Element) -> list[ET.Element]:
    return svg.findall(f"{SVG}g[@class='node']")


def box_texts(svg: ET.Element) -> list[list[str]]:
    return [[t.text for t in box.findall(f"{SVG}text")] for box in boxes(svg)]


def arrows(svg: ET.Element) -> list[ET.Element]:
    return svg.findall(f"{SVG}path[@class='edge']")


def rectangle(box: ET.Element) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of a node's box."""
    r = box.find(f"{SVG}rect")
    x, y = float(r.get("x")), float(r.get("y"))
    return x, y, x + float(r.get("width")), y + float(r.get("height"))


def neuron() -> Value:
    """tanh(x1 w1 + x2 w2 + b), after backward: a graph with named leaves and a constant."""
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    b = Value(6.88, label="b")
    out = (2 * (x1 * w1 + x2 * w2 + b)).tanh()
    out.backward()
    return out


class TensorLike:
    """What draw_graph reads from a Tensor node: `_parents`, `_op`, `shape`, `data`, `grad`."""

    def __init__(self, shape: tuple, op: str = "", *parents: TensorLike) -> None:
        self.data = np.zeros(shape)
        self.grad = None
        self.shape = shape
        self._op = op
        self._parents = parents


def points_along(path: str, samples: int = 25) -> list[tuple[float, float]]:
    """Points on an SVG path made of M (move), L (line) and C (cubic Bezier) commands."""
    tokens = re.findall(r"[MLC]|-?\d+(?:\.\d+)?", path)
    points: list[tuple[float, float]] = []
    i = 0
    while i < len(tokens):
        command, numbers = tokens[i], []
        i += 1
        while i < len(tokens) and tokens[i] not in "MLC":
            numbers.append(float(tokens[i]))
            i += 1
        controls = [points[-1]] if points else []
        controls += list(zip(numbers[::2], numbers[1::2]))
        if command == "M":
            points.append(controls[0])
            continue
        for step in range(1, samples + 1):
            t = step / samples
            if command == "L":
                (x0, y0), (x1, y1) = controls
                points.append((x0 + t * (x1 - x0), y0 + t * (y1 - y0)))
            else:
                weights = [(1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t**2 * (1 - t), t**3]
                points.append(
                    (
                        sum(w * x for w, (x, _) in zip(weights, controls)),
                        sum(w * y for w, (_, y) in zip(weights, controls)),
                    )
                )
    return points


def tiny_network() -> Value:
    """relu(1 - score) of an MLP(2, [2, 1]) with ReLU: a wider graph, with shared inputs."""
    x = [Value(1.0, label="x0"), Value(-2.0, label="x1")]
    weights = [[0.5, -0.3], [0.8, 0.1]]
    hidden = [sum((w * xi for w, xi in zip(row, x)), Value(0.1)).relu() for row in weights]
    score = sum((w * h for w, h in zip([0.7, -0.4], hidden)), Value(0.0))
    loss = (1 - score).relu()
    loss.backward()
    return loss


def sample_graphs() -> dict[str, Value]:
    """Graphs to lay out, among them arrows that skip columns (x * x + x)."""
    x = Value(3.0)
    a = Value(1.5, label="a")
    h = (a - 1) / (a + 1)
    return {
        "x * x + x": x * x + x,
        "expression": (h * h).log() - h.exp(),
        "neuron": neuron(),
        "network": tiny_network(),
    }


def test_svg_is_well_formed_xml() -> None:
    svg = parse(draw_graph(neuron()))
    assert svg.tag == f"{SVG}svg"
    assert float(svg.get("width")) > 0 and float(svg.get("height")) > 0


def test_one_box_per_node() -> None:
    root = neuron()
    assert len(boxes(parse(draw_graph(root)))) == len(topological_order(root)) == 12


def test_one_arrow_per_parent_link() -> None:
    root = neuron()
    links = sum(len(node._parents) for node in topological_order(root))
    assert len(arrows(parse(draw_graph(root)))) == links


def test_node_used_twice_sends_two_arrows() -> None:
    x = Value(3.0)
    svg = parse(draw_graph(x * x))
    assert len(boxes(svg)) == 2
    assert len(arrows(svg)) == 2


def test_boxes_show_op_data_and_grad() -> None:
    root = neuron()
    texts = box_texts(parse(draw_graph(root)))
    for node in topological_order(root):
        title = node._op or "leaf"
        if node.label:
            title = f"{node.label} ({title})"
        assert [title, f"data {node.data:.4g}", f"grad {node.grad:.4g}"] in texts
    assert ["tanh", f"data {root.data:.4g}", "grad 1"] in texts


def test_text_is_escaped() -> None:
    x = Value(1.0, label="<x & y>")
    svg = parse(draw_graph(x * 2))
    assert ["<x & y> (leaf)", "data 1", "grad 0"] in box_texts(svg)


def test_tensor_node_shows_shape_and_op_not_numbers() -> None:
    x, w = TensorLike((4, 3)), TensorLike((3, 2))
    out = TensorLike((), "sum", TensorLike((4, 2), "matmul", x, w))
    texts = box_texts(parse(draw_graph(out)))
    assert ["matmul", "shape (4, 2)"] in texts
    assert ["sum", "shape ()"] in texts
    assert ["leaf", "shape (4, 3)"] in texts
    assert not any(line.startswith(("data", "grad")) for box in texts for line in box)


def test_tensor_graph_shows_each_op_and_shape() -> None:
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    w = Tensor(np.ones((3, 2)), requires_grad=True)
    out = (x @ w).tanh().sum()
    texts = box_texts(parse(draw_graph(out)))
    for node in topological_order(out):
        assert [node._op or "leaf", f"shape {node.shape}"] in texts


@pytest.mark.parametrize("name", sample_graphs())
def test_boxes_do_not_overlap(name: str) -> None:
    svg = parse(draw_graph(sample_graphs()[name]))
    for a, b in combinations(map(rectangle, boxes(svg)), 2):
        apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
        assert apart, f"boxes {a} and {b} overlap"


def test_arrows_run_left_to_right_from_a_box_edge_to_a_box_edge() -> None:
    svg = parse(draw_graph(neuron()))
    rights = {round(r[2], 1) for r in map(rectangle, boxes(svg))}
    lefts = {round(r[0], 1) for r in map(rectangle, boxes(svg))}
    for arrow in arrows(svg):
        points = points_along(arrow.get("d"))
        (x_start, _), (x_end, _) = points[0], points[-1]
        assert x_start < x_end
        assert round(x_start, 1) in rights and round(x_end, 1) in lefts


@pytest.mark.parametrize("name", sample_graphs())
def test_arrows_never_pass_through_a_box(name: str) -> None:
    svg = parse(draw_graph(sample_graphs()[name]))
    shapes = [rectangle(box) for box in boxes(svg)]
    for arrow in arrows(svg):
        for px, py in points_along(arrow.get("d")):
            for left, top, right, bottom in shapes:
                inside = left + 0.5 < px < right - 0.5 and top + 0.5 < py < bottom - 0.5
                assert not inside, f"an arrow passes through the box at ({left}, {top})"


def test_huge_graph_is_refused() -> None:
    v = Value(1.0)
    for _ in range(200):
        v = v.tanh()  # 201 nodes
    with pytest.raises(ValueError, match="201 nodes, more than max_nodes=200"):
        draw_graph(v)
    assert len(boxes(parse(draw_graph(v, max_nodes=201)))) == 201


def test_not_a_graph_node_is_refused() -> None:
    with pytest.raises(TypeError, match="got float"):
        draw_graph(1.5)


def test_jupyter_shows_it_as_svg() -> None:
    drawing = draw_graph(neuron())
    data, _ = DisplayFormatter().format(drawing)
    assert data["image/svg+xml"] == drawing.svg


def test_save_writes_the_svg(tmp_path: Path) -> None:
    drawing = draw_graph(neuron())
    path = drawing.save(tmp_path / "neuron.svg")
    assert path == tmp_path / "neuron.svg"
    assert path.read_text(encoding="utf-8") == drawing.svg


def test_a_drawing_reprs_without_a_memory_address():
    x = Value(2.0)
    text = repr(draw_graph(x * x + x))
    assert text == "GraphDrawing(3 nodes)"


def test_draw_graph_names_tensor_leaves_by_the_names_given():
    x = Tensor(np.ones((1, 2)))
    weight = Tensor(np.ones((3, 2)), requires_grad=True)
    out = (x @ weight.T).sum()
    texts = box_texts(parse(draw_graph(out, names={"x_1": x, "W_ih": weight})))
    titles = [lines[0] for lines in texts]
    assert "x_1 (leaf)" in titles and "W_ih (leaf)" in titles
    assert ["W_ih (leaf)", "shape (3, 2)"] in texts  # the shape is still shown


def test_draw_graph_names_override_a_value_label():
    a = Value(1.0, label="a")
    out = a * 2
    titles = [lines[0] for lines in box_texts(parse(draw_graph(out, names={"input": a})))]
    assert "input (leaf)" in titles and "a (leaf)" not in titles


def test_draw_graph_refuses_a_name_for_something_that_is_not_a_node():
    with pytest.raises(TypeError, match="'W'.*ndarray"):
        draw_graph(Value(1.0) * 2, names={"W": np.ones(2)})
