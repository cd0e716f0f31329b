"""The specification of `minigrad.nn.functional`: `linear` and the losses.

Values are checked against the textbook formulas in plain numpy (on inputs where those are
accurate), gradients against finite differences (`gradcheck`, float64), the losses at logits
of +-1e4 with numpy warnings turned into errors, and the errors for mismatched shapes and
bad targets.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, gradient_settings, reals, shapes, value_settings
from tensor_helpers import assert_values, leaf

import minigrad.nn.functional as F
from minigrad import Tensor, gradcheck

REDUCE = {"mean": np.mean, "sum": np.sum}


# ---- linear ---------------------------------------------------------------------------------


@st.composite
def linear_inputs(draw, with_bias: bool | None = None) -> tuple:
    """x: (*batch, in), weight: (out, in), and bias: (out,) or None."""
    batch = draw(shapes(min_dims=0, max_dims=2, max_side=3))
    in_features, out_features = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    x = draw(arrays((*batch, in_features)))
    weight = draw(arrays((out_features, in_features)))
    has_bias = draw(st.booleans()) if with_bias is None else with_bias
    bias = draw(arrays((out_features,))) if has_bias else None
    return x, weight, bias


@value_settings
@given(inputs=linear_inputs())
def test_linear_values_are_x_times_weight_transposed_plus_bias(inputs):
    x, weight, bias = inputs
    expected = x @ weight.T + (0.0 if bias is None else bias)
    out = F.linear(Tensor(x), Tensor(weight), None if bias is None else Tensor(bias))
    assert_values(out, expected)


@gradient_settings
@given(inputs=linear_inputs(with_bias=True))
def test_linear_gradients_match_finite_differences(inputs):
    x, weight, bias = inputs
    assert gradcheck(F.linear, leaf(x), leaf(weight), leaf(bias))


@gradient_settings
@given(inputs=linear_inputs(with_bias=False))
def test_linear_without_bias_gradients_match_finite_differences(inputs):
    x, weight, _ = inputs
    assert gradcheck(F.linear, leaf(x), leaf(weight))


def test_linear_sends_no_gradient_to_a_constant_input():
    x, weight = Tensor(np.ones((2, 3))), leaf(np.ones((4, 3)))
    F.linear(x, weight).sum().backward()
    assert x.grad is None
    np.testing.assert_array_equal(weight.grad, np.full((4, 3), 2.0))


def test_linear_error_names_the_input_and_weight_shapes():
    with pytest.raises(ValueError, match=re.escape("linear: input has shape (2, 3)")) as error:
        F.linear(Tensor(np.ones((2, 3))), Tensor(np.ones((4, 5))))
    assert "in_features 5" in str(error.value)
    assert "(4, 5)" in str(error.value)


@pytest.mark.parametrize("weight_shape", [(3,), (4, 3, 1)])
def test_linear_needs_a_two_dim_weight(weight_shape):
    with pytest.raises(ValueError, match=re.escape(f"weight (out, in), got {weight_shape}")):
        F.linear(Tensor(np.ones((2, 3))), Tensor(np.ones(weight_shape)))


@pytest.mark.parametrize("bias_shape", [(5,), (1,), (4, 1), ()])
def test_linear_needs_a_bias_of_shape_out_features(bias_shape):
    # (1,) would broadcast and (4, 1) would stretch the output: both are wrong, not errors,
    # unless linear says so
    expected = f"bias of shape (4,) (out_features), got {bias_shape}"
    with pytest.raises(ValueError, match=re.escape(expected)):
        F.linear(Tensor(np.ones((2, 3))), Tensor(np.ones((4, 3))), Tensor(np.ones(bias_shape)))


# ---- mse_loss -----------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCE)
@value_settings
@given(shape=shapes(), data=st.data())
def test_mse_loss_values_match_numpy(reduction, shape, data):
    prediction, target = data.draw(arrays(shape)), data.draw(arrays(shape))
    expected = REDUCE[reduction]((prediction - target) ** 2)
    assert_values(F.mse_loss(Tensor(prediction), target, reduction=reduction), expected)


@pytest.mark.parametrize("reduction", REDUCE)
@gradient_settings
@given(shape=shapes(), data=st.data())
def test_mse_loss_gradients_match_finite_differences(reduction, shape, data):
    prediction, target = leaf(data.draw(arrays(shape))), leaf(data.draw(arrays(shape)))
    assert gradcheck(lambda p, t: F.mse_loss(p, t, reduction=reduction), prediction, target)


def test_mse_loss_is_a_scalar_that_backpropagates_with_no_grad_argument():
    prediction = leaf([[1.0, 2.0], [3.0, 4.0]])
    loss = F.mse_loss(prediction, [[0.0, 0.0], [0.0, 0.0]])
    assert loss.shape == ()
    loss.backward()
    np.testing.assert_allclose(prediction.grad, 2 * prediction.data / 4)


def test_mse_loss_refuses_shapes_that_would_broadcast():
    with pytest.raises(ValueError, match=re.escape("mse_loss: input (3, 1) and target (3,)")):
        F.mse_loss(Tensor(np.ones((3, 1))), np.ones(3))


@pytest.mark.parametrize(
    "loss",
    [
        lambda r: F.mse_loss(Tensor([1.0]), [0.0], reduction=r),
        lambda r: F.cross_entropy(Tensor([[1.0, 2.0]]), [0], reduction=r),
        lambda r: F.binary_cross_entropy_with_logits(Tensor([1.0]), [0.0], reduction=r),
    ],
    ids=["mse_loss", "cross_entropy", "binary_cross_entropy_with_logits"],
)
def test_losses_refuse_an_unknown_reduction(loss):
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'sum', got 'average'"):
        loss("average")


# ---- cross_entropy --------------------------------------------------------------------------


@st.composite
def classification(draw) -> tuple[np.ndarray, np.ndarray]:
    """logits (N, C) and target (N,) class indices in [0, C)."""
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    logits = draw(arrays((n, c), reals(-5.0, 5.0)))
    target = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    return logits, target


def numpy_cross_entropies(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """-log(e^x_target / sum_j e^x_j) for each row, as written (accurate for small logits)."""
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return -np.log(p[np.arange(len(target)), target])


@pytest.mark.parametrize("reduction", REDUCE)
@value_settings
@given(case=classification())
def test_cross_entropy_values_match_numpy(reduction, case):
    logits, target = case
    expected = REDUCE[reduction](numpy_cross_entropies(logits, target))
    assert_values(F.cross_entropy(Tensor(logits), target, reduction=reduction), expected)


@pytest.mark.parametrize("reduction", REDUCE)
@gradient_settings
@given(case=classification())
def test_cross_entropy_gradients_match_finite_differences(reduction, case):
    logits, target = case
    assert gradcheck(lambda x: F.cross_entropy(x, target, reduction=reduction), leaf(logits))


def test_cross_entropy_gradient_is_softmax_minus_one_hot_over_n():
    logits = leaf([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    F.cross_entropy(logits, [2, 0]).backward()
    softmax = np.exp(logits.data) / np.exp(logits.data).sum(axis=1, keepdims=True)
    one_hot = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(logits.grad, (softmax - one_hot) / 2)


@pytest.mark.parametrize(
    "target",
    [[1, 0], np.array([1, 0]), np.array([1, 0], dtype=np.int8), Tensor([1.0, 0.0])],
    ids=["list", "int64", "int8", "float_tensor"],
)
def test_cross_entropy_takes_class_indices_in_any_integer_form(target):
    logits = np.array([[0.5, 1.5], [2.0, -1.0]])
    expected = numpy_cross_entropies(logits, np.array([1, 0])).mean()
    assert_values(F.cross_entropy(Tensor(logits), target), expected)


def test_cross_entropy_is_finite_and_warning_free_for_huge_logits(warnings_are_errors):
    logits = leaf([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]])
    loss = F.cross_entropy(logits, [0, 1, 2], reduction="sum")
    # row by row: -log softmax = 0, then 2e4, then log 3
    np.testing.assert_allclose(loss.item(), 0.0 + 2e4 + np.log(3), rtol=1e-15)
    loss.backward()
    expected = np.array([[0.0, 0.0, 0.0], [1.0, -1.0, 0.0], [1 / 3, 1 / 3, -2 / 3]])
    np.testing.assert_allclose(logits.grad, expected, atol=1e-15)


def test_cross_entropy_keeps_float32():
    logits = Tensor([[1.0, 2.0], [0.5, 0.0]], dtype=np.float32, requires_grad=True)
    loss = F.cross_entropy(logits, [0, 1])
    loss.backward()
    assert loss.dtype == np.float32
    assert logits.grad.dtype == np.float32


@pytest.mark.parametrize(
    ("logits_shape", "target"),
    [((2, 3), [0, 1, 2]), ((6,), [0, 1]), ((2, 3), [[0], [1]])],
)
def test_cross_entropy_error_names_the_shapes_expected_and_given(logits_shape, target):
    expected = f"expected logits (N, C) and target (N,), got {logits_shape}"
    with pytest.raises(ValueError, match=re.escape(expected)):
        F.cross_entropy(Tensor(np.ones(logits_shape)), target)


@pytest.mark.parametrize("target", [[0, 3], [-1, 0]])
def test_cross_entropy_refuses_a_class_out_of_range(target):
    with pytest.raises(ValueError, match=re.escape("target classes must be in [0, 3)")):
        F.cross_entropy(Tensor(np.ones((2, 3))), target)


@pytest.mark.parametrize("target", [[0.5, 1.0], np.array(["0", "1"]), [None, 1]])
def test_cross_entropy_refuses_targets_that_are_not_class_indices(target):
    with pytest.raises(TypeError, match="cross_entropy: target must hold class indices"):
        F.cross_entropy(Tensor(np.ones((2, 3))), target)


# ---- binary_cross_entropy_with_logits ----------------------------------------------------------


def numpy_binary_cross_entropies(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """-[t log s + (1 - t) log(1 - s)], s = sigmoid(x), as written (accurate for small x)."""
    s = 1 / (1 + np.exp(-logits))
    return -(target * np.log(s) + (1 - target) * np.log(1 - s))


@pytest.mark.parametrize("reduction", REDUCE)
@value_settings
@given(shape=shapes(), data=st.data())
def test_binary_cross_entropy_with_logits_values_match_numpy(reduction, shape, data):
    logits = data.draw(arrays(shape, reals(-6.0, 6.0)))
    target = data.draw(arrays(shape, reals(0.0, 1.0)))  # soft targets are allowed
    expected = REDUCE[reduction](numpy_binary_cross_entropies(logits, target))
    out = F.binary_cross_entropy_with_logits(Tensor(logits), target, reduction=reduction)
    assert_values(out, expected)


@pytest.mark.parametrize("reduction", REDUCE)
@gradient_settings
@given(shape=shapes(), data=st.data())
def test_binary_cross_entropy_with_logits_gradients_match_finite_differences(
    reduction, shape, data
):
    logits = data.draw(arrays(shape, reals(-6.0, 6.0)))
    target = data.draw(arrays(shape, reals(0.0, 1.0)))
    assert gradcheck(
        lambda x: F.binary_cross_entropy_with_logits(x, target, reduction=reduction), leaf(logits)
    )


def test_binary_cross_entropy_with_logits_is_finite_and_warning_free_for_huge_logits(
    warnings_are_errors,
):
    logits = leaf([1e4, 1e4, -1e4, -1e4])
    target = np.array([1.0, 0.0, 1.0, 0.0])
    loss = F.binary_cross_entropy_with_logits(logits, target, reduction="sum")
    # right with certainty costs 0; wrong by a logit of 1e4 costs 1e4
    np.testing.assert_allclose(loss.item(), 2e4, rtol=1e-15)
    loss.backward()
    np.testing.assert_array_equal(logits.grad, [0.0, 1.0, -1.0, 0.0])


def test_binary_cross_entropy_with_logits_refuses_shapes_that_differ():
    expected = "binary_cross_entropy_with_logits: logits (4,) and target (4, 1) differ in shape"
    with pytest.raises(ValueError, match=re.escape(expected)):
        F.binary_cross_entropy_with_logits(Tensor(np.zeros(4)), np.zeros((4, 1)))
