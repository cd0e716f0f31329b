"""The widgets' redraw functions, called as a slider would call them, and what they compute."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # draw off-screen, whatever the machine

import numpy as np
import pytest
from matplotlib import pyplot as plt

from minigrad import Tensor, nn
from minigrad.tasks import adding_problem
from minigrad.viz import plot_gate_activations, plot_gradient_heatmap
from minigrad.widgets import (
    lstm_cell_state_gradients,
    lstm_unit_by_hand,
    orthogonal_matrix,
    redraw_constant_error_flow,
    redraw_gradient_norms,
    redraw_lstm_by_hand,
    rnn_gradient_norms,
    rnn_hidden_state_gradients,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def plotted(fig, line: int = 0) -> np.ndarray:
    """The y values of one line of the figure's first axes."""
    return np.asarray(fig.axes[0].get_lines()[line].get_ydata())


# ---- chapter 4 ---------------------------------------------------------------------------


def test_orthogonal_matrix_is_orthogonal_and_reproducible():
    q = orthogonal_matrix(8, seed=3)
    np.testing.assert_allclose(q.T @ q, np.eye(8), atol=1e-12)
    np.testing.assert_array_equal(q, orthogonal_matrix(8, seed=3))
    assert not np.allclose(q, orthogonal_matrix(8, seed=4))


@pytest.mark.parametrize("rho", [0.9, 1.0, 1.2])
def test_linear_rnn_gradient_is_rho_to_the_steps_back(rho):
    norms = rnn_gradient_norms(30, rho, "linear")
    steps_back = np.arange(29, -1, -1)
    np.testing.assert_allclose(norms, norms[-1] * rho**steps_back, rtol=1e-10)


def test_gradient_at_last_step_is_norm_of_ones():
    # L = sum(h_T), so dL/dh_T is a vector of ones whatever the network
    for nonlinearity in ("tanh", "relu", "linear"):
        norms = rnn_gradient_norms(5, 1.3, nonlinearity, hidden_size=16)
        assert norms[-1] == pytest.approx(4.0)


def test_tanh_rnn_gradient_never_exceeds_the_linear_bound():
    rho = 1.3
    norms = rnn_gradient_norms(40, rho, "tanh")
    steps_back = np.arange(39, -1, -1)
    assert np.all(norms <= norms[-1] * rho**steps_back * (1 + 1e-12))
    assert norms[0] < 0.5 * norms[-1] * rho**39  # and tanh does shrink it


def test_tanh_gradient_norms_match_a_hand_built_jacobian_product():
    """Rebuild the same RNN in numpy and push dL/dh_T back through diag(1 - h^2) W_hh."""
    T, H, n_inputs, rho, seed = 12, 6, 4, 1.1, 5
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(H)
    w_hh = rho * orthogonal_matrix(H, seed)
    w_ih = rng.uniform(-bound, bound, (H, n_inputs))
    bias = rng.uniform(-bound, bound, H)
    x = rng.standard_normal((T, 1, n_inputs))
    h, states = np.zeros(H), []
    for t in range(T):
        h = np.tanh(w_ih @ x[t, 0] + bias + w_hh @ h)
        states.append(h)
    grad, expected = np.ones(H), [np.sqrt(H)]
    for t in range(T - 1, 0, -1):
        grad = w_hh.T @ ((1 - states[t] ** 2) * grad)  # (dh_{t+1}/dh_t)^T grad
        expected.append(np.linalg.norm(grad))
    norms = rnn_gradient_norms(T, rho, "tanh", hidden_size=H, input_size=n_inputs, seed=seed)
    np.testing.assert_allclose(norms, expected[::-1], rtol=1e-12)


def test_relu_rnn_drops_the_gradient_of_inactive_units():
    norms = rnn_gradient_norms(30, 1.0, "relu")
    assert norms[0] < 1e-3 * norms[-1]


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"seq_len": 10, "spectral_radius": 1.0, "nonlinearity": "sigmoid"}, "nonlinearity"),
        ({"seq_len": 0, "spectral_radius": 1.0}, "seq_len"),
        ({"seq_len": 2.5, "spectral_radius": 1.0}, "seq_len"),
    ],
)
def test_rnn_gradient_norms_rejects_bad_arguments(kwargs, error):
    with pytest.raises(ValueError, match=error):
        rnn_gradient_norms(**kwargs)


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


# ---- chapter 5 ---------------------------------------------------------------------------


def test_lstm_unit_with_closed_input_and_open_forget_gate_keeps_its_memory():
    c, h = lstm_unit_by_hand(forget=1.0, input=0.0, candidate=0.7, output=1.0, c0=1.5, steps=20)
    np.testing.assert_array_equal(c, np.full(21, 1.5))
    np.testing.assert_allclose(h, np.tanh(1.5))


def test_lstm_unit_forgets_geometrically():
    c, _ = lstm_unit_by_hand(forget=0.5, input=0.0, candidate=0.0, output=1.0, c0=2.0, steps=4)
    np.testing.assert_allclose(c, [2.0, 1.0, 0.5, 0.25, 0.125])


def test_lstm_unit_settles_where_forgetting_equals_writing():
    f, i, g = 0.8, 0.5, 0.6
    c, _ = lstm_unit_by_hand(f, i, g, output=1.0, c0=0.0, steps=200)
    assert c[-1] == pytest.approx(i * g / (1 - f))


def test_lstm_unit_with_closed_output_gate_emits_nothing():
    c, h = lstm_unit_by_hand(forget=0.9, input=0.5, candidate=0.8, output=0.0, c0=1.0)
    assert np.all(c > 0)
    np.testing.assert_array_equal(h, 0.0)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"forget": 1.2}, "forget"), ({"input": -0.1}, "input"), ({"output": 2.0}, "output")],
)
def test_lstm_unit_rejects_gate_values_outside_zero_one(kwargs, name):
    settings = {"forget": 0.5, "input": 0.5, "candidate": 0.5, "output": 0.5, **kwargs}
    with pytest.raises(ValueError, match=name):
        lstm_unit_by_hand(**settings)


def test_lstm_unit_rejects_a_candidate_outside_minus_one_one():
    with pytest.raises(ValueError, match="candidate"):
        lstm_unit_by_hand(forget=0.5, input=0.5, candidate=1.5, output=0.5)


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


# ---- chapter 6 ---------------------------------------------------------------------------


def test_lstm_cell_state_gradients_match_the_gate_by_gate_cell():
    """The fused cell's c_t.grad against a run of the same cell through `step`."""
    T, H = 15, 5
    expected_cell = nn.LSTMCell(2, H, forget_bias=2.0, rng=4)
    x, _ = adding_problem(1, T, rng=4)
    state, cell_states = None, []
    for x_t in x:
        h, c, _ = expected_cell.step(Tensor(x_t), state)
        state = (h, c)
        cell_states.append(c)
    h.sum().backward()
    expected = np.abs(np.concatenate([c.grad for c in cell_states]))
    gradients = lstm_cell_state_gradients(T, forget_bias=2.0, hidden_size=H, seed=4)
    assert gradients.shape == (T, H)
    np.testing.assert_allclose(gradients, expected, rtol=1e-10, atol=1e-300)


def test_rnn_hidden_state_gradients_match_a_hand_written_backward():
    T, H = 10, 4
    cell = nn.RNNCell(2, H, rng=7)
    x, _ = adding_problem(1, T, rng=7)
    w_ih, w_hh = cell.weight_ih.data, cell.weight_hh.data
    bias = cell.bias_ih.data + cell.bias_hh.data
    h, states = np.zeros(H), []
    for x_t in x[:, 0]:
        h = np.tanh(w_ih @ x_t + w_hh @ h + bias)
        states.append(h)
    grad, expected = np.ones(H), [np.ones(H)]
    for t in range(T - 1, 0, -1):
        grad = w_hh.T @ ((1 - states[t] ** 2) * grad)
        expected.append(np.abs(grad))
    gradients = rnn_hidden_state_gradients(T, hidden_size=H, seed=7)
    np.testing.assert_allclose(gradients, expected[::-1], rtol=1e-10)


def test_rnn_error_vanishes_while_the_1997_lstm_carries_it():
    rnn = np.linalg.norm(rnn_hidden_state_gradients(60), axis=1)
    lstm_1997 = np.linalg.norm(lstm_cell_state_gradients(60, forget_gate=False), axis=1)
    assert rnn[0] < 1e-8 * rnn[-1]
    assert lstm_1997[0] > 1e-2 * lstm_1997[-1]


def test_larger_forget_bias_carries_the_error_further_back():
    at_first_step = [
        np.linalg.norm(lstm_cell_state_gradients(60, forget_bias=b)[0]) for b in (0.0, 1.0, 3.0)
    ]
    assert at_first_step[0] < at_first_step[1] < at_first_step[2]


def test_cell_state_gradients_are_reproducible_from_the_seed():
    first = lstm_cell_state_gradients(20, seed=3)
    np.testing.assert_array_equal(first, lstm_cell_state_gradients(20, seed=3))
    assert not np.array_equal(first, lstm_cell_state_gradients(20, seed=4))


def test_redraw_constant_error_flow_draws_heatmap_and_norms():
    fig = redraw_constant_error_flow(forget_bias=2.0, seq_len=30)
    heatmap_ax, norm_ax = fig.axes[:2]  # fig.axes[2] is the colour bar
    expected = lstm_cell_state_gradients(30, forget_bias=2.0)
    image = heatmap_ax.get_images()[0].get_array()
    assert image.shape == (16, 30)  # units up, time across
    np.testing.assert_allclose(image, np.clip(expected.T, 1e-12, 1e1))
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


# ---- plots in minigrad.viz -----------------------------------------------------------------


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
