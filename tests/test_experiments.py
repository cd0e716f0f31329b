"""What the chapters' plots and widgets measure (minigrad.course.experiments), against hand-written
numpy and finite differences."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad import Tensor, nn
from minigrad.course.experiments import (
    lstm_cell_state_gradients,
    lstm_step_jacobian,
    lstm_unit_by_hand,
    non_normal_matrix,
    orthogonal_matrix,
    rnn_gradient_norms,
    rnn_hidden_state_gradients,
)
from minigrad.course.tasks import adding_problem

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


def test_non_normal_matrix_has_spectral_radius_one_and_a_larger_norm():
    w = non_normal_matrix(32, seed=0)
    assert np.abs(np.linalg.eigvals(w)).max() == pytest.approx(1.0, rel=1e-12)
    assert np.linalg.norm(w, ord=2) > 1.5  # not normal: sigma_max well above rho
    assert not np.allclose(w @ w.T, w.T @ w)
    np.testing.assert_array_equal(w, non_normal_matrix(32, seed=0))


def test_linear_rnn_with_a_non_normal_matrix_shrinks_at_the_spectral_radius_rate():
    # Gelfand: ||W^k||^(1/k) -> rho(W); the first steps back can grow (sigma_max > 1)
    norms = rnn_gradient_norms(200, 0.9, "linear", matrix="non-normal")
    rate = (norms[0] / norms[100]) ** (1 / 100)
    assert rate == pytest.approx(0.9, rel=0.03)
    assert norms[-2] > norms[-1]  # one step back the gradient grew, although rho < 1


def test_rnn_gradient_norms_rejects_an_unknown_matrix():
    with pytest.raises(ValueError, match="orthogonal"):
        rnn_gradient_norms(10, 1.0, matrix="diagonal")


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


def test_lstm_unit_by_hand_runs_forty_steps_by_default():
    c, h = lstm_unit_by_hand(forget=0.9, input=0.5, candidate=0.8, output=1.0)
    assert c.shape == h.shape == (41,)
    # 40 steps bring c within 2% of c* = i g / (1 - f), from c_0 = 0: 1 - 0.9^40 > 0.98
    assert c[-1] == pytest.approx(4.0, rel=0.02)


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


def test_lstm_step_jacobian_matches_finite_differences():
    H = 3
    cell = nn.LSTMCell(2, H, forget_bias=1.0, rng=0)
    rng = np.random.default_rng(1)
    x, h, c = rng.standard_normal(2), 0.5 * rng.standard_normal(H), rng.standard_normal(H)
    jacobian = lstm_step_jacobian(cell, x, h, c)

    def step(state: np.ndarray) -> np.ndarray:
        h_new, c_new = cell(Tensor(x[None]), (Tensor(state[None, :H]), Tensor(state[None, H:])))
        return np.concatenate([h_new.data[0], c_new.data[0]])

    state, eps = np.concatenate([h, c]), 1e-6
    numeric = np.stack(
        [(step(state + eps * e) - step(state - eps * e)) / (2 * eps) for e in np.eye(2 * H)],
        axis=1,
    )
    assert jacobian.shape == (2 * H, 2 * H)
    np.testing.assert_allclose(jacobian, numeric, atol=1e-8)


def test_lstm_step_jacobian_along_the_cell_state_is_the_forget_gate():
    H = 4
    cell = nn.LSTMCell(2, H, rng=2)
    x, h, c = np.array([0.3, 1.0]), np.zeros(H), np.ones(H)
    jacobian = lstm_step_jacobian(cell, x, h, c)
    _, _, gates = cell.step(Tensor(x[None]), (Tensor(h[None]), Tensor(c[None])))
    np.testing.assert_allclose(jacobian[H:, H:], np.diag(gates.forget.data[0]), atol=1e-14)


# ---- the layout: measurements below plots and widgets, no circle ---------------------------


def test_the_measurements_import_no_plotting_library():
    code = "import sys, minigrad.course.experiments; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_viz_does_not_import_the_widgets():
    # widgets draws with viz; viz importing widgets back would make a circle
    tree = ast.parse(
        (Path(minigrad.__file__).parent / "course" / "viz.py").read_text(encoding="utf-8")
    )
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert "minigrad.course.widgets" not in imported
