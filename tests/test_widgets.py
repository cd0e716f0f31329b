"""The widgets' redraw functions, called as a slider would call them, and what they draw."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # draw off-screen, whatever the machine

import inspect

import numpy as np
import pytest
from matplotlib import pyplot as plt

from minigrad.course.experiments import (
    lstm_cell_state_gradients,
    lstm_unit_by_hand,
    non_normal_matrix,
    rnn_gradient_norms,
    rnn_hidden_state_gradients,
)
from minigrad.course.viz import plot_gate_activations, plot_gradient_heatmap
from minigrad.course.widgets import (
    redraw_constant_error_flow,
    redraw_gradient_norms,
    redraw_lstm_by_hand,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def plotted(fig, line: int = 0) -> np.ndarray:
    """The y values of one line of the figure's first axes."""
    return np.asarray(fig.axes[0].get_lines()[line].get_ydata())


# ---- chapter 4 ---------------------------------------------------------------------------


def test_redraw_gradient_norms_plots_the_norms_on_a_log_scale():
    fig = redraw_gradient_norms(seq_len=50, spectral_radius=0.8, nonlinearity="tanh")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    np.testing.assert_allclose(plotted(fig), rnn_gradient_norms(50, 0.8, "tanh"))
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), np.arange(1, 51))


def test_redraw_gradient_norms_reference_is_rho_to_the_steps_back():
    fig = redraw_gradient_norms(seq_len=20, spectral_radius=1.5, nonlinearity="relu")
    reference = plotted(fig, line=1)
    np.testing.assert_allclose(reference / reference[-1], 1.5 ** np.arange(19, -1, -1))


@pytest.mark.parametrize(
    "changed", [{"seq_len": 60}, {"spectral_radius": 1.4}, {"nonlinearity": "linear"}]
)
def test_redraw_gradient_norms_changes_when_any_slider_moves(changed):
    before = plotted(redraw_gradient_norms(seq_len=40, spectral_radius=1.0, nonlinearity="tanh"))
    settings = {"seq_len": 40, "spectral_radius": 1.0, "nonlinearity": "tanh", **changed}
    after = plotted(redraw_gradient_norms(**settings))
    assert before.shape != after.shape or not np.allclose(before, after)


def test_redraw_gradient_norms_with_a_non_normal_matrix_draws_the_sigma_max_bound():
    fig = redraw_gradient_norms(seq_len=30, spectral_radius=0.9, matrix="non-normal")
    np.testing.assert_allclose(plotted(fig), rnn_gradient_norms(30, 0.9, matrix="non-normal"))
    bound = plotted(fig, line=2)
    sigma_max = 0.9 * np.linalg.norm(non_normal_matrix(32, 0), ord=2)
    np.testing.assert_allclose(bound / bound[-1], sigma_max ** np.arange(29, -1, -1))
    assert all(bound >= plotted(fig) * (1 - 1e-12))  # tanh: the bound holds at every t


def test_redraw_gradient_norms_draws_no_sigma_max_bound_for_an_orthogonal_matrix():
    labels = [line.get_label() for line in redraw_gradient_norms(seq_len=20).axes[0].get_lines()]
    assert not any("sigma" in label for label in labels)


# ---- chapter 5 ---------------------------------------------------------------------------


def test_redraw_lstm_by_hand_plots_cell_state_and_output():
    fig = redraw_lstm_by_hand(forget=0.7, input=0.4, candidate=-0.5, output=0.6, c0=1.0)
    c, h = lstm_unit_by_hand(0.7, 0.4, -0.5, 0.6, 1.0)
    np.testing.assert_allclose(plotted(fig, 0), c)
    np.testing.assert_allclose(plotted(fig, 1), h)
    level = plotted(fig, 2)  # the dashed line at c* = i g / (1 - f)
    np.testing.assert_allclose(level, 0.4 * -0.5 / 0.3)
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


def test_redraw_lstm_by_hand_draws_no_settling_level_when_nothing_is_forgotten():
    fig = redraw_lstm_by_hand(forget=1.0, input=0.5, candidate=0.5, output=1.0, c0=0.0)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert not any("c^*" in label for label in labels)


@pytest.mark.parametrize(
    "changed",
    [{"forget": 0.5}, {"input": 0.9}, {"candidate": -0.3}, {"output": 0.2}, {"c0": 1.0}],
)
def test_redraw_lstm_by_hand_changes_when_any_slider_moves(changed):
    settings = {"forget": 0.9, "input": 0.5, "candidate": 0.8, "output": 1.0, "c0": 0.0}
    before = plotted(redraw_lstm_by_hand(**settings), 1)
    after = plotted(redraw_lstm_by_hand(**{**settings, **changed}), 1)
    assert not np.allclose(before, after)


def test_redraw_lstm_by_hand_runs_forty_steps_and_reports_the_cell_path_derivative():
    fig = redraw_lstm_by_hand(forget=0.9, input=0.5, candidate=0.8, output=1.0, c0=0.0)
    assert plotted(fig).shape == (41,)
    assert f"{0.9**40:.2e}" in fig.axes[0].get_title()  # dc_40/dc_0 = f^40


# ---- chapter 6 ---------------------------------------------------------------------------


def test_redraw_constant_error_flow_draws_heatmap_and_norms():
    fig = redraw_constant_error_flow(forget_bias=2.0, seq_len=30)
    heatmap_ax, norm_ax = fig.axes[:2]  # fig.axes[2] is the colour bar
    expected = lstm_cell_state_gradients(30, forget_bias=2.0)
    image = heatmap_ax.get_images()[0].get_array()
    assert image.shape == (16, 30)  # units up, time across
    np.testing.assert_allclose(image, np.clip(expected.T, 1e-15, 1e1))
    lines = norm_ax.get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), np.linalg.norm(expected, axis=1))
    lstm_1997 = lstm_cell_state_gradients(30, forget_gate=False)
    np.testing.assert_allclose(lines[1].get_ydata(), np.linalg.norm(lstm_1997, axis=1))
    rnn = rnn_hidden_state_gradients(30)
    np.testing.assert_allclose(lines[2].get_ydata(), np.linalg.norm(rnn, axis=1))
    assert norm_ax.get_yscale() == "log"
    assert all(ax.get_xlabel() and ax.get_title() for ax in (heatmap_ax, norm_ax))


@pytest.mark.parametrize("changed", [{"forget_bias": -1.0}, {"seq_len": 50}])
def test_redraw_constant_error_flow_changes_when_any_slider_moves(changed):
    settings = {"forget_bias": 1.0, "seq_len": 40}
    before = redraw_constant_error_flow(**settings).axes[0].get_images()[0].get_array()
    after = redraw_constant_error_flow(**{**settings, **changed}).axes[0].get_images()[0]
    after = after.get_array()
    assert before.shape != after.shape or not np.allclose(before, after)


def test_widget_heatmap_uses_the_colour_range_of_the_chapter_heatmaps():
    defaults = inspect.signature(plot_gradient_heatmap).parameters
    image = redraw_constant_error_flow(forget_bias=1.0, seq_len=20).axes[0].get_images()[0]
    assert (image.norm.vmin, image.norm.vmax) == (defaults["vmin"].default, 1e1)
    assert defaults["vmin"].default == 1e-15  # chapter 6's figure: 20 orders of magnitude


# ---- plots in minigrad.course.viz ----------------------------------------------------------------


def gate_arrays(steps: int = 6, units: int = 3) -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(0)
    gates = [rng.random((steps, units)) for _ in range(4)]
    return gates, rng.standard_normal((steps, units))


def test_plot_gate_activations_draws_input_four_gates_and_cell_state():
    gates, cells = gate_arrays()
    marked = np.array([0, 1, 0, 0, 1, 0], bool)
    fig = plot_gate_activations(np.linspace(0, 1, 6), gates, cells, marked=marked)
    assert len(fig.axes) == 6
    bars = fig.axes[0].patches
    assert len(bars) == 6
    for k, gate in enumerate(gates):
        drawn = np.array([line.get_ydata() for line in fig.axes[k + 1].get_lines()[:3]]).T
        np.testing.assert_allclose(drawn, gate)
    assert all(ax.get_ylabel() for ax in fig.axes)


def test_plot_gate_activations_highlights_one_unit():
    gates, cells = gate_arrays()
    fig = plot_gate_activations(np.zeros(6), gates, cells, highlight=2)
    forget_lines = fig.axes[2].get_lines()
    np.testing.assert_allclose(forget_lines[-1].get_ydata(), gates[1][:, 2])
    cell_lines = fig.axes[5].get_lines()
    assert len(cell_lines) == 1  # that unit's cell state alone
    np.testing.assert_allclose(cell_lines[0].get_ydata(), cells[:, 2])
    assert "unit 2" in fig.axes[5].get_ylabel()


def test_plot_gate_activations_rejects_mismatched_shapes():
    gates, cells = gate_arrays()
    with pytest.raises(ValueError, match="4 gate arrays"):
        plot_gate_activations(np.zeros(6), gates[:3], cells)
    with pytest.raises(ValueError, match=r"\(6, 3\)"):
        plot_gate_activations(np.zeros(6), [g[:, :2] for g in gates], cells)


def test_plot_gradient_heatmap_draws_units_against_time_on_a_log_scale():
    gradients = np.array([[1e-20, 1.0, 0.0], [-0.5, 1e3, 1e-3]])  # (T, H) = (2, 3)
    fig, ax = plt.subplots()
    image = plot_gradient_heatmap(ax, gradients, title="g", state="h_t", vmin=1e-6, vmax=1e2)
    np.testing.assert_allclose(
        image.get_array(), [[1e-6, 0.5], [1.0, 1e2], [1e-6, 1e-3]]
    )  # |g|, clipped, transposed
    assert image.norm.vmin == 1e-6 and image.norm.vmax == 1e2
    assert type(image.norm).__name__ == "LogNorm"
    assert "h_t" in fig.axes[1].get_ylabel()  # the colour bar names the state
    assert ax.get_xlabel() == "time step t" and ax.get_title() == "g"


def test_plot_gradient_heatmap_rejects_a_vector():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"\(T, H\).*\(5,\)"):
        plot_gradient_heatmap(ax, np.ones(5))
