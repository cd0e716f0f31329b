"""The matplotlib helpers of minigrad.course.viz used by chapters 0-3: learning curves, decision
regions, the memory of a recurrent cell, and the chapter gallery."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # draw off-screen, whatever the machine

import numpy as np
import pytest
from matplotlib import pyplot as plt

import minigrad
from minigrad.course.experiments import pulse_memory
from minigrad.course.viz import chapter_gallery, plot_decision_boundary, plot_losses
from minigrad.nn import LSTMCell, RNNCell


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ---- plot_losses ---------------------------------------------------------------------------


def test_plot_losses_draws_the_curve_against_the_step_on_a_log_scale():
    losses = [1.0, 0.5, 0.1, 0.01]
    ax = plot_losses(losses)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_array_equal(line.get_ydata(), losses)
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


def test_plot_losses_draws_one_named_line_per_run():
    ax = plot_losses({"lag 2": [1.0, 0.5], "lag 5": [1.0, 0.9, 0.8]})
    assert [line.get_label() for line in ax.get_lines()] == ["lag 2", "lag 5"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["lag 2", "lag 5"]


def test_plot_losses_baseline_is_a_horizontal_line_at_its_value():
    ax = plot_losses([0.4, 0.2], baseline=1 / 3, baseline_label="predict 0")
    baseline = ax.get_lines()[-1]
    np.testing.assert_allclose(baseline.get_ydata(), [1 / 3, 1 / 3])
    assert baseline.get_label() == "predict 0"


def test_plot_losses_linear_scale_when_asked():
    assert plot_losses([3.0, 2.0], log=False).get_yscale() == "linear"


def test_plot_losses_draws_into_the_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_losses([1.0, 0.5], ax=right) is right
    assert not left.get_lines()


def test_plot_losses_rejects_a_table_of_losses():
    with pytest.raises(ValueError, match=r"1-D.*shape \(2, 2\)"):
        plot_losses([[1.0, 0.5], [0.4, 0.3]])


def test_plot_losses_rejects_an_empty_run():
    with pytest.raises(ValueError, match="'slow'.*shape \\(0,\\)"):
        plot_losses({"fast": [1.0], "slow": []})
    with pytest.raises(ValueError, match="empty dict"):
        plot_losses({})


# ---- plot_decision_boundary -------------------------------------------------------------------

POINTS = np.array([[-1.0, 0.0], [-0.5, 1.0], [0.5, -1.0], [1.0, 0.0]])


def predicted_classes(ax) -> np.ndarray:
    return np.asarray(ax.images[0].get_array())


def test_decision_boundary_binary_scores_split_at_zero():
    ax = plot_decision_boundary(lambda p: p[:, 0], POINTS, np.array([-1, -1, 1, 1]), resolution=10)
    classes = predicted_classes(ax)
    assert classes.shape == (10, 10)
    # class 1 exactly where x_1 > 0: the right half of every row
    np.testing.assert_array_equal(classes, np.tile([0] * 5 + [1] * 5, (10, 1)))


def test_decision_boundary_rows_go_up_in_x2():
    ax = plot_decision_boundary(lambda p: p[:, 1], POINTS, np.array([0, 1, 0, 1]), resolution=6)
    classes = predicted_classes(ax)
    np.testing.assert_array_equal(classes[:3], 0)  # bottom rows: x_2 < 0
    np.testing.assert_array_equal(classes[3:], 1)


def test_decision_boundary_multiclass_takes_the_largest_score():
    def three_classes(points):
        x1 = points[:, 0]
        return np.stack([-x1 - 0.5, 0 * x1, x1 - 0.5], axis=1)  # left: 0, middle: 1, right: 2

    ax = plot_decision_boundary(three_classes, POINTS, np.array([0, 1, 1, 2]), resolution=9)
    row = predicted_classes(ax)[0]
    assert row[0] == 0 and row[4] == 1 and row[-1] == 2


def test_decision_boundary_samples_the_data_box_plus_margin():
    seen = []

    def predict(points):
        seen.append(points)
        return np.zeros(len(points))

    plot_decision_boundary(predict, POINTS, np.array([0, 0, 1, 1]), resolution=7, margin=0.25)
    (points,) = seen
    assert points.shape == (49, 2)
    np.testing.assert_allclose(points.min(axis=0), [-1.25, -1.25])
    np.testing.assert_allclose(points.max(axis=0), [1.25, 1.25])


def test_decision_boundary_scatters_every_point_in_its_class_colour():
    labels = np.array([-1, -1, -1, 1])
    ax = plot_decision_boundary(lambda p: p[:, 0], POINTS, labels, resolution=5)
    groups = ax.collections
    assert [len(g.get_offsets()) for g in groups] == [3, 1]
    np.testing.assert_array_equal(groups[1].get_offsets(), POINTS[3:])
    # the point of class +1 has the colour of the region of class 1
    cmap = ax.images[0].get_cmap()
    np.testing.assert_allclose(groups[1].get_facecolor()[0][:3], cmap(1)[:3])


def test_decision_boundary_rejects_points_that_are_not_2d():
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\), got \(4, 3\)"):
        plot_decision_boundary(lambda p: p[:, 0], np.zeros((4, 3)), np.zeros(4))


def test_decision_boundary_rejects_one_label_too_few():
    with pytest.raises(ValueError, match=r"y must have shape \(4,\).*got \(3,\)"):
        plot_decision_boundary(lambda p: p[:, 0], POINTS, np.zeros(3))


def test_decision_boundary_names_the_shape_predict_must_return():
    with pytest.raises(ValueError, match=r"\(25,\) or class scores \(25, C\), got \(25, 1, 1\)"):
        plot_decision_boundary(lambda p: p[:, :1, None], POINTS, np.zeros(4), resolution=5)


# ---- pulse_memory -----------------------------------------------------------------------------


def test_pulse_memory_without_recurrence_forgets_after_one_step():
    cell = RNNCell(1, 4, rng=0)
    cell.weight_hh.data[...] = 0.0  # h_t no longer depends on h_{t-1}
    trace = pulse_memory(cell, steps=5)
    assert trace.shape == (5,)
    assert trace[0] > 0.1
    np.testing.assert_array_equal(trace[1:], 0.0)


def test_pulse_memory_measures_the_first_step_exactly():
    cell = RNNCell(2, 3, rng=1)
    b = cell.bias_ih.data + cell.bias_hh.data
    expected = np.tanh(cell.weight_ih.data @ [0.5, 0.5] + b) - np.tanh(b)
    trace = pulse_memory(cell, steps=1, pulse=0.5)
    np.testing.assert_allclose(trace, [np.linalg.norm(expected)], rtol=1e-12)


def test_pulse_memory_of_no_pulse_is_zero():
    np.testing.assert_array_equal(pulse_memory(RNNCell(1, 4, rng=0), steps=3, pulse=0.0), 0.0)


def test_pulse_memory_reads_the_hidden_state_of_an_lstm():
    cell = LSTMCell(1, 4, forget_gate=False, rng=0)
    trace = pulse_memory(cell, steps=20)
    # without a forget gate the cell state keeps the pulse: the trace does not die out
    assert trace[-1] > 1e-3 * trace[0]


def test_pulse_memory_records_no_graph_and_leaves_grad_mode_on():
    cell = RNNCell(1, 4, rng=0)
    pulse_memory(cell, steps=3)
    assert minigrad.is_grad_enabled()
    assert cell.weight_hh.grad is None


@pytest.mark.parametrize("steps", [0, 2.5, True])
def test_pulse_memory_rejects_a_bad_number_of_steps(steps):
    with pytest.raises(ValueError, match="steps must be a positive int"):
        pulse_memory(RNNCell(1, 4, rng=0), steps=steps)


# ---- chapter_gallery ------------------------------------------------------------------------


def test_gallery_has_one_labelled_plot_per_chapter_in_order():
    fig = chapter_gallery()
    shown = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title().split(" ·")[0] for ax in shown] == [str(k) for k in range(1, 8)]
    for ax in shown:
        assert ax.get_xlabel() and ax.get_ylabel(), ax.get_title()
        assert ax.get_lines() or ax.patches or ax.images, f"{ax.get_title()} draws nothing"


def test_gallery_is_the_same_on_every_call():
    first = [line.get_ydata() for ax in chapter_gallery().axes for line in ax.get_lines()]
    second = [line.get_ydata() for ax in chapter_gallery().axes for line in ax.get_lines()]
    assert len(first) == len(second) > 7
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
