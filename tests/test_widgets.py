"""The widgets' redraw functions, called as a slider would call them, and what they compute."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # draw off-screen, whatever the machine

import numpy as np
import pytest
from matplotlib import pyplot as plt

from minigrad.widgets import (
    orthogonal_matrix,
    redraw_gradient_norms,
    rnn_gradient_norms,
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
