"""The specification of `minigrad.optim`: SGD, Adam and clip_grad_norm_.

The update rules are checked by hand for a step or two and on a quadratic bowl; the exact
agreement with torch.optim is in tests/test_torch_parity.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from minigrad import Tensor, optim

TARGET = np.array([[1.0, -2.0], [0.5, 3.0]])
CURVATURE = np.array([[1.0, 4.0], [0.25, 2.0]])


def parameter(values) -> Tensor:
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True)


def bowl_loss(p: Tensor) -> Tensor:
    """sum(curvature * (p - target)^2): minimum 0 at p = target."""
    diff = p - Tensor(TARGET)
    return (diff * diff * Tensor(CURVATURE)).sum()


def minimise(optimizer_for, steps: int) -> Tensor:
    p = parameter(np.zeros((2, 2)))
    optimizer = optimizer_for([p])
    for _ in range(steps):
        optimizer.zero_grad()
        bowl_loss(p).backward()
        optimizer.step()
    return p


# ---- SGD ------------------------------------------------------------------------------------


def test_sgd_step_moves_against_the_gradient_by_lr():
    p = parameter([1.0, 2.0])
    p.grad = np.array([0.5, -1.0])
    optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, 2.1], rtol=1e-15)


def test_sgd_momentum_adds_up_past_gradients():
    p = parameter([0.0])
    optimizer = optim.SGD([p], lr=1.0, momentum=0.5)
    for grad in (1.0, 1.0, -2.0):
        p.grad = np.array([grad])
        optimizer.step()
    # velocities: 1, 0.5 * 1 + 1 = 1.5, 0.5 * 1.5 - 2 = -1.25; p = -(1 + 1.5 - 1.25)
    np.testing.assert_allclose(p.data, [-1.25], rtol=1e-15)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_finds_the_bottom_of_a_quadratic_bowl(momentum):
    p = minimise(lambda ps: optim.SGD(ps, lr=0.05, momentum=momentum), steps=1000)
    np.testing.assert_allclose(p.data, TARGET, atol=1e-6)


# ---- Adam -----------------------------------------------------------------------------------


def test_adam_first_step_has_length_lr_whatever_the_gradient_scale():
    p = parameter([0.0, 0.0, 0.0])
    p.grad = np.array([1e-3, -5.0, 200.0])
    optim.Adam([p], lr=0.01, eps=1e-12).step()
    # the bias corrections make m_hat = g and v_hat = g^2: the step is lr * sign(g)
    np.testing.assert_allclose(p.data, [-0.01, 0.01, -0.01], rtol=1e-8)


def test_adam_second_step_follows_the_formula():
    p = parameter([0.0])
    optimizer = optim.Adam([p], lr=0.1, betas=(0.5, 0.75), eps=1e-8)
    p.grad = np.array([2.0])
    optimizer.step()
    p.grad = np.array([-3.0])
    optimizer.step()
    first = 0.1 * 2.0 / (2.0 + 1e-8)  # m_hat = g = 2, v_hat = g^2 = 4
    m = 0.5 * (0.5 * 2.0) + 0.5 * -3.0  # -1
    v = 0.75 * (0.25 * 4.0) + 0.25 * 9.0  # 3
    second = 0.1 * (m / (1 - 0.5**2)) / (math.sqrt(v / (1 - 0.75**2)) + 1e-8)
    np.testing.assert_allclose(p.data, [-first - second], rtol=1e-12)


def test_adam_finds_the_bottom_of_a_quadratic_bowl():
    p = minimise(lambda ps: optim.Adam(ps, lr=0.05), steps=1500)
    np.testing.assert_allclose(p.data, TARGET, atol=1e-4)


# ---- both ------------------------------------------------------------------------------------


OPTIMIZERS = [
    lambda ps: optim.SGD(ps, lr=0.1),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.Adam(ps, lr=0.1),
]


@pytest.mark.parametrize("make", OPTIMIZERS, ids=["sgd", "momentum", "adam"])
def test_step_never_writes_into_a_gradient_array(make):
    p, q = parameter([1.0, 2.0]), parameter([3.0, 4.0])
    shared = np.array([0.5, -0.5])
    p.grad = q.grad = shared  # the engine may hand one array to several tensors
    optimizer = make([p, q])
    for _ in range(3):
        optimizer.step()
    np.testing.assert_array_equal(shared, [0.5, -0.5])
    assert p.grad is shared


@pytest.mark.parametrize("make", OPTIMIZERS, ids=["sgd", "momentum", "adam"])
def test_step_skips_parameters_without_a_gradient(make):
    p, q = parameter([1.0]), parameter([2.0])
    p.grad = np.array([1.0])
    make([p, q]).step()
    assert p.data[0] != 1.0 and q.data[0] == 2.0


@pytest.mark.parametrize("make", OPTIMIZERS, ids=["sgd", "momentum", "adam"])
def test_zero_grad_sets_the_gradients_to_none(make):
    p = parameter([1.0])
    p.grad = np.array([1.0])
    make([p]).zero_grad()
    assert p.grad is None


def test_an_optimizer_accepts_a_generator_of_parameters():
    ps = [parameter([1.0]), parameter([2.0])]
    optimizer = optim.SGD((p for p in ps), lr=0.1)
    for p in ps:
        p.grad = np.array([1.0])
    optimizer.step()
    assert [p.data[0] for p in ps] == [0.9, 1.9]


def test_optimizers_refuse_what_they_cannot_train():
    with pytest.raises(ValueError, match="empty list of parameters"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="parameter 1 must be a Tensor with requires_grad=True"):
        optim.Adam([parameter([1.0]), Tensor([1.0])])
    with pytest.raises(TypeError, match="got ndarray"):
        optim.SGD([np.zeros(3)], lr=0.1)


def test_optimizers_refuse_bad_hyperparameters():
    p = parameter([1.0])
    with pytest.raises(ValueError, match="lr must be positive, got -0.1"):
        optim.SGD([p], lr=-0.1)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\), got 1.5"):
        optim.SGD([p], lr=0.1, momentum=1.5)
    with pytest.raises(ValueError, match=r"betas must be two numbers in \[0, 1\)"):
        optim.Adam([p], betas=(0.9, 1.0))


# ---- clip_grad_norm_ -------------------------------------------------------------------------


def test_clip_grad_norm_returns_the_norm_before_clipping_and_rescales_to_max_norm():
    p, q = parameter([0.0, 0.0]), parameter([0.0])
    p.grad, q.grad = np.array([3.0, 0.0]), np.array([4.0])
    total = optim.clip_grad_norm_([p, q], max_norm=1.0)
    assert total == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad, [0.6, 0.0], rtol=1e-6)
    np.testing.assert_allclose(q.grad, [0.8], rtol=1e-6)


def test_clip_grad_norm_leaves_small_gradients_alone():
    p = parameter([0.0, 0.0])
    grad = np.array([0.3, 0.4])
    p.grad = grad
    assert optim.clip_grad_norm_([p], max_norm=1.0) == pytest.approx(0.5)
    assert p.grad is grad


def test_clip_grad_norm_binds_new_arrays_instead_of_writing_into_shared_ones():
    p, q = parameter([0.0]), parameter([0.0])
    shared = np.array([10.0])
    p.grad = q.grad = shared
    optim.clip_grad_norm_([p, q], max_norm=1.0)
    np.testing.assert_array_equal(shared, [10.0])
    np.testing.assert_allclose(p.grad, [1 / math.sqrt(2)], rtol=1e-6)


def test_clip_grad_norm_ignores_parameters_without_gradient_and_refuses_bad_max_norm():
    p = parameter([0.0])
    assert optim.clip_grad_norm_([p], max_norm=1.0) == 0.0
    with pytest.raises(ValueError, match="max_norm must be positive, got 0"):
        optim.clip_grad_norm_([p], max_norm=0)
