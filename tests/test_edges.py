"""Edges where the engine must give the right gradient or a clear error, never a silently
wrong gradient or a traceback from deep inside.

First, state that backward reads later: an index array, a `where` condition, a parameter's
data and the array handed to `backward(G)` may all change between the forward pass and the
backward pass. Then edge values and wrong inputs a learner can make.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad
from minigrad import Tensor, Value, nn, optim
from minigrad.nn import functional as F


def leaf(array) -> Tensor:
    return Tensor(np.array(array, dtype=np.float64), requires_grad=True)


# ---- what backward reads after the forward pass ----------------------------------------------


@pytest.mark.parametrize("make_index", [np.array, list])
def test_changing_the_index_after_indexing_does_not_change_the_gradient(make_index):
    x = leaf([1.0, 2.0, 3.0, 4.0])
    index = make_index([0, 1])
    y = x[index]
    index[0] = 3  # after the forward pass: the gradient belongs where y came from
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 0.0, 0.0])


def test_changing_the_where_condition_after_the_forward_pass_does_not_change_the_gradient():
    a, b = leaf([1.0, 2.0]), leaf([10.0, 20.0])
    condition = np.array([True, False])
    y = minigrad.where(condition, a, b)
    condition[:] = [False, True]
    (y * Tensor([3.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(a.grad, [3.0, 0.0])
    np.testing.assert_array_equal(b.grad, [0.0, 5.0])


def test_a_parameter_changed_in_place_between_forward_and_backward_is_refused():
    w = leaf([1.0, 2.0])
    loss = (w * w).sum()
    w.data -= 0.5  # what an optimizer does
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*'mul'.*changed in place"):
        loss.backward()


def test_an_optimizer_step_between_forward_and_backward_is_refused():
    layer = nn.LSTM(2, 3, rng=0)
    optimizer = optim.SGD(layer.parameters(), lr=0.1)
    output, _ = layer(Tensor(np.ones((4, 2, 2))))
    loss = output.sum()
    loss.backward()
    optimizer.step()
    layer.zero_grad()
    with pytest.raises(RuntimeError, match=r"'lstm_sequence'.*changed in place"):
        loss.backward()  # the same graph, but the weights it was computed from have moved


def test_load_state_dict_between_forward_and_backward_is_refused():
    model = nn.Linear(3, 2, rng=0)
    state = nn.Linear(3, 2, rng=1).state_dict()
    loss = model(Tensor(np.ones((4, 3)))).sum()
    model.load_state_dict(state)
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_writes_before_the_forward_pass_are_fine():
    w = leaf([1.0, 2.0])
    w.data -= 0.5
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [1.0, 3.0])


def test_changing_the_array_given_to_backward_afterwards_does_not_change_the_gradients():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2.0
    upstream = np.ones(3)
    y.backward(upstream)
    upstream[:] = 5.0
    np.testing.assert_array_equal(y.grad, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


# ---- edge values -----------------------------------------------------------------------------


def test_x_to_the_power_zero_has_gradient_zero_also_at_zero(warnings_are_errors):
    x = leaf([0.0, 2.0, -3.0])
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


def test_x_to_a_power_keeps_its_gradient_elsewhere():
    x = leaf([0.0, 2.0])
    (x**2).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 4.0])


def test_relu_of_nan_is_nan_for_value_as_for_tensor():
    assert math.isnan(Value(math.nan).relu().data)
    assert np.isnan(Tensor([math.nan]).relu().data[0])
    assert Value(-1.0).relu().data == 0.0 and Value(2.0).relu().data == 2.0


# ---- wrong inputs ----------------------------------------------------------------------------


def test_linear_takes_a_numpy_array_as_a_constant_input():
    layer = nn.Linear(3, 2, rng=0)
    x = np.arange(12.0).reshape(4, 3)
    np.testing.assert_array_equal(layer(x).data, layer(Tensor(x)).data)


def test_functional_linear_on_a_numpy_array_says_to_wrap_it():
    layer = nn.Linear(3, 2, rng=0)
    with pytest.raises(TypeError, match=r"linear: input must be a Tensor, got ndarray.*Tensor"):
        F.linear(np.ones((4, 3)), layer.weight, layer.bias)


def test_cross_entropy_of_an_empty_batch_says_so():
    with pytest.raises(ValueError, match=r"cross_entropy: the batch is empty.*\(0, 3\)"):
        F.cross_entropy(Tensor(np.zeros((0, 3))), np.zeros(0, dtype=int))


def test_load_state_dict_with_one_bad_entry_changes_no_parameter():
    model = nn.Linear(3, 2, rng=0)
    before = model.state_dict()
    state = nn.Linear(3, 2, rng=1).state_dict()
    state["bias"] = np.array(["a", "b"])  # the right shape, but no numbers
    with pytest.raises(TypeError, match=r"'bias' holds <U1, expected real numbers"):
        model.load_state_dict(state)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_load_finds_what_save_wrote_under_the_same_name(tmp_path):
    model = nn.Linear(3, 2, rng=0)
    model.save(tmp_path / "model")
    other = nn.Linear(3, 2, rng=1)
    other.load(tmp_path / "model")
    np.testing.assert_array_equal(other.weight.data, model.weight.data)


def test_load_of_a_missing_file_names_both_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no file '.*model' nor '.*model\.npz'"):
        nn.Linear(3, 2).load(tmp_path / "model")


def test_load_of_a_text_file_says_what_was_expected(tmp_path):
    path = tmp_path / "model.txt"
    path.write_text("weights: 1 2 3\n")
    with pytest.raises(ValueError, match=r"must be a \.npz archive written by Module\.save"):
        nn.Linear(3, 2).load(path)


def test_load_of_a_npy_file_says_it_holds_one_array(tmp_path):
    path = tmp_path / "weights.npy"
    np.save(path, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\.npz archive.*single array \(a \.npy file\)"):
        nn.Linear(3, 2).load(path)
