"""The cell diagrams of `minigrad.course.diagrams`: each draws, lights exactly the part asked for,
and refuses a part it does not have."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # draw off-screen, whatever the machine

import pytest
from matplotlib import pyplot as plt
from matplotlib.colors import to_hex

from minigrad.course.diagrams import (
    FADED,
    GRU_PARTS,
    LIT,
    LSTM_PARTS,
    draw_gradient_paths,
    draw_gru_cell,
    draw_lstm_cell,
    draw_rnn_unrolled,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def colours_by_part(ax) -> dict[str, set[str]]:
    """{gid: the set of colours its lines and patch edges are drawn in}."""
    found: dict[str, set[str]] = {}
    for artist in [*ax.lines, *ax.patches]:
        gid = artist.get_gid()
        if gid is None:
            continue
        colour = artist.get_color() if hasattr(artist, "get_xdata") else artist.get_edgecolor()
        found.setdefault(gid, set()).add(to_hex(colour))
    return found


def texts(ax) -> str:
    return " ".join(text.get_text() for text in ax.texts)


@pytest.mark.parametrize("draw, parts", [(draw_lstm_cell, LSTM_PARTS), (draw_gru_cell, GRU_PARTS)])
def test_a_cell_drawing_has_every_part(draw, parts):
    assert set(parts) <= set(colours_by_part(draw()))


@pytest.mark.parametrize("part", LSTM_PARTS)
def test_lstm_highlight_lights_its_part_and_fades_the_others(part):
    colours = colours_by_part(draw_lstm_cell(highlight=part))
    assert to_hex(LIT) in colours[part]
    for other in set(LSTM_PARTS) - {part}:
        assert to_hex(FADED) in colours[other]


@pytest.mark.parametrize("part", GRU_PARTS)
def test_gru_highlight_lights_its_part(part):
    colours = colours_by_part(draw_gru_cell(highlight=part))
    assert to_hex(LIT) in colours[part]
    assert any(to_hex(FADED) in colours[other] for other in set(GRU_PARTS) - {part})


def test_lstm_highlight_writes_the_equation_of_its_part():
    assert r"f_t = \sigma" in texts(draw_lstm_cell(highlight="forget"))
    assert r"h_t = o_t" in texts(draw_lstm_cell(highlight="output"))


@pytest.mark.parametrize("draw", [draw_lstm_cell, draw_gru_cell])
def test_a_cell_drawing_refuses_an_unknown_part(draw):
    with pytest.raises(ValueError, match="highlight must be None or one of"):
        draw(highlight="peephole")


def test_rnn_unrolled_has_a_forward_and_a_backward_arrow_per_step():
    colours = colours_by_part(draw_rnn_unrolled(steps=3))
    assert {f"forward{k}" for k in (1, 2, 3)} | {f"backward{k}" for k in (1, 2, 3)} <= set(colours)
    assert "forward4" not in colours


def test_rnn_unrolled_backward_arrows_point_left():
    ax = draw_rnn_unrolled(steps=2)
    for line in ax.lines:
        if line.get_gid() and line.get_gid().startswith("backward"):
            xs = line.get_xdata()
            assert xs[-1] < xs[0]


@pytest.mark.parametrize("steps", [1, 9, 2.5, True])
def test_rnn_unrolled_refuses_a_bad_number_of_steps(steps):
    with pytest.raises(ValueError, match="steps"):
        draw_rnn_unrolled(steps=steps)


def test_gradient_paths_draws_the_cell_path_and_the_gate_path():
    ax = draw_gradient_paths()
    colours = colours_by_part(ax)
    assert {"cell_path", "gate_path"} <= set(colours)
    assert "W_{hh}" in texts(ax) and "f_{t+1}" in texts(ax)


def test_a_diagram_draws_into_the_axes_it_is_given():
    fig, ax = plt.subplots()
    assert draw_lstm_cell(ax=ax) is ax
    assert len(fig.axes) == 1
