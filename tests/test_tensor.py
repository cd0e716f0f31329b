"""The specification of `Tensor`, the array engine.

Every op is checked twice on inputs drawn by hypothesis: its values against plain numpy, and
its backward against finite differences (`gradcheck`, float64), on small random shapes,
broadcasting pairs, integer and boolean indices, and random composite expressions. Then the
graph itself (gradients of intermediates, accumulation, `no_grad`, depth), the independence
of gradient arrays, behaviour at extreme inputs, float32, and the error messages.
"""

from __future__ import annotations

import math
import operator
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import (
    arrays,
    away_from,
    axes,
    boolean_masks,
    broadcastable_shapes,
    distinct_arrays,
    gradient_settings,
    matmul_shapes,
    one_axis,
    reals,
    shapes,
    value_settings,
)
from tensor_helpers import assert_values, leaf

import minigrad
from minigrad import Tensor, gradcheck, no_grad
from minigrad.tensor import make_node, unbroadcast


def numpy_sigmoid(a):
    return 1 / (1 + np.exp(-a))


def numpy_softmax(a, axis):
    e = np.exp(a)
    return e / e.sum(axis=axis, keepdims=True)


def numpy_log_softmax(a, axis):
    return a - np.log(np.exp(a).sum(axis=axis, keepdims=True))


# ---- making a tensor ----------------------------------------------------------------------


def test_tensor_of_a_list_holds_float64():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert isinstance(x.data, np.ndarray)
    assert x.data.dtype == np.float64
    np.testing.assert_array_equal(x.data, [[1, 2], [3, 4]])


@pytest.mark.parametrize("data", [np.arange(1, 4), [1, 2, 3], np.array([1, 2, 3], dtype=np.int8)])
def test_integer_data_becomes_float64(data):
    x = Tensor(data)
    assert x.dtype == np.float64
    np.testing.assert_array_equal(x.data, [1.0, 2.0, 3.0])


def test_boolean_data_becomes_zeros_and_ones():
    x = Tensor(np.array([True, False, True]))
    assert x.dtype == np.float64
    np.testing.assert_array_equal(x.data, [1.0, 0.0, 1.0])


def test_float32_data_stays_float32():
    assert Tensor(np.ones(3, dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, "float32"])
def test_float32_is_made_when_asked(dtype):
    assert Tensor([1, 2, 3], dtype=dtype).dtype == np.float32


def test_float16_data_becomes_float64():
    assert Tensor(np.ones(2, dtype=np.float16)).dtype == np.float64


def test_tensor_copies_its_data():
    source = np.array([1.0, 2.0])
    x = Tensor(source)
    source[0] = 100.0
    assert x.data[0] == 1.0


def test_tensor_of_a_tensor_is_a_new_leaf_with_copied_data():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor(x)
    y.data[0] = 5.0
    assert x.data[0] == 1.0
    assert y.requires_grad is False


def test_object_array_is_refused_naming_its_dtype():
    with pytest.raises(TypeError, match="Tensor needs numbers.*dtype object"):
        Tensor(np.array([1.0, 2.0], dtype=object))


def test_string_array_is_refused_naming_its_dtype():
    with pytest.raises(TypeError, match="Tensor needs numbers.*<U1"):
        Tensor(np.array(["1", "2"]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_string_array_is_refused_even_when_a_dtype_is_given(dtype):
    # numpy would parse "1" as 1.0 when asked for floats; text is still not numbers
    with pytest.raises(TypeError, match="Tensor needs numbers.*<U1"):
        Tensor(np.array(["1", "2"]), dtype=dtype)


def test_complex_data_is_refused():
    with pytest.raises(TypeError, match="complex128"):
        Tensor([1 + 2j])


def test_ragged_list_is_refused():
    with pytest.raises(TypeError, match="nested list of equal lengths"):
        Tensor([[1.0, 2.0], [3.0]])


@pytest.mark.parametrize("dtype", [np.int64, np.float16, "complex128"])
def test_dtype_other_than_float32_or_float64_is_refused(dtype):
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        Tensor([1.0], dtype=dtype)


def test_new_tensor_has_no_gradient_yet():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert x.grad is None
    assert x.requires_grad is True
    assert Tensor([1.0]).requires_grad is False


def test_shape_ndim_size_and_dtype_describe_the_data():
    x = Tensor(np.zeros((2, 3, 4)))
    assert (x.shape, x.ndim, x.size, x.dtype) == ((2, 3, 4), 3, 24, np.float64)


def test_len_is_the_size_of_the_first_axis():
    assert len(Tensor(np.zeros((5, 2)))) == 5


def test_len_of_a_zero_dim_tensor_is_an_error():
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(3.0))


def test_item_returns_the_single_number_as_a_python_float():
    value = Tensor([[2.5]]).item()
    assert type(value) is float
    assert value == 2.5


def test_item_of_several_numbers_is_an_error_naming_the_shape():
    with pytest.raises(ValueError, match=re.escape("one element, got shape (2,)")):
        Tensor([1.0, 2.0]).item()


def test_numpy_returns_the_data_itself():
    x = Tensor([1.0, 2.0])
    x.numpy()[0] = 7.0
    assert x.data[0] == 7.0


def test_detach_shares_the_data_but_leaves_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert y.requires_grad is False
    assert y._parents == ()
    z = x.detach()
    assert np.shares_memory(z.data, x.data)


def test_T_reverses_the_axes():
    a = np.arange(24.0).reshape(2, 3, 4)
    assert_values(Tensor(a).T, a.T)
    assert gradcheck(lambda x: x.T, leaf(a))


def test_repr_shows_the_numbers():
    assert repr(Tensor([1.0, 2.5])) == "tensor([1. , 2.5])"


def test_repr_says_requires_grad():
    assert repr(Tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"


def test_repr_names_float32():
    assert repr(Tensor([1.0], dtype=np.float32)) == "tensor([1.], dtype=float32)"


# ---- constructors -------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "value"), [(minigrad.zeros, 0.0), (minigrad.ones, 1.0)])
def test_zeros_and_ones_take_sizes_or_a_shape(make, value):
    for x in (make(2, 3), make((2, 3)), make([2, 3])):
        assert x.shape == (2, 3)
        assert x.dtype == np.float64
        assert np.all(x.data == value)


@pytest.mark.parametrize(
    ("make_like", "value"), [(minigrad.zeros_like, 0.0), (minigrad.ones_like, 1.0)]
)
def test_zeros_like_and_ones_like_copy_shape_and_dtype(make_like, value):
    x = Tensor(np.full((3, 1), 7.0), dtype=np.float32)
    y = make_like(x)
    assert (y.shape, y.dtype) == ((3, 1), np.float32)
    assert np.all(y.data == value)


@pytest.mark.parametrize(
    "make", [minigrad.zeros, minigrad.ones, minigrad.rand, minigrad.randn], ids=lambda f: f.__name__
)
def test_constructors_pass_on_dtype_and_requires_grad(make):
    x = make(2, 2, dtype=np.float32, requires_grad=True)
    assert (x.dtype, x.requires_grad) == (np.float32, True)


@pytest.mark.parametrize(
    "make", [minigrad.zeros, minigrad.ones, minigrad.rand, minigrad.randn], ids=lambda f: f.__name__
)
def test_constructors_refuse_a_non_float_dtype(make):
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got int64"):
        make(2, dtype=np.int64)


def test_a_negative_size_is_refused_naming_the_shape():
    with pytest.raises(ValueError, match=re.escape("non-negative integers, got (2, -1)")):
        minigrad.zeros(2, -1)


def test_tensor_function_makes_a_tensor_like_the_class():
    x = minigrad.tensor([1, 2], requires_grad=True, dtype=np.float32)
    assert isinstance(x, Tensor)
    assert (x.dtype, x.requires_grad) == (np.float32, True)


def test_rand_is_uniform_on_the_unit_interval():
    x = minigrad.rand(4000, rng=0).data
    assert x.min() >= 0.0 and x.max() < 1.0
    assert abs(x.mean() - 0.5) < 0.02  # the standard error of the mean is 0.0046


def test_randn_is_standard_normal():
    x = minigrad.randn(4000, rng=0).data
    assert abs(x.mean()) < 0.07  # the standard error of the mean is 0.016
    assert abs(x.std() - 1.0) < 0.05


@pytest.mark.parametrize("make", [minigrad.rand, minigrad.randn], ids=lambda f: f.__name__)
def test_the_same_seed_draws_the_same_numbers(make):
    np.testing.assert_array_equal(make(3, 2, rng=7).data, make(3, 2, rng=7).data)
    assert not np.array_equal(make(3, 2, rng=7).data, make(3, 2, rng=8).data)


def test_random_constructors_draw_from_a_given_generator():
    generator = np.random.default_rng(5)
    first = minigrad.randn(3, rng=generator).data
    second = minigrad.randn(3, rng=generator).data
    expected = np.random.default_rng(5).standard_normal(6)
    np.testing.assert_array_equal(np.concatenate([first, second]), expected)


def test_manual_seed_makes_global_draws_repeat():
    minigrad.manual_seed(3)
    first = minigrad.rand(4).data
    minigrad.manual_seed(3)
    np.testing.assert_array_equal(minigrad.rand(4).data, first)


# ---- arithmetic with broadcasting -------------------------------------------------------

# name: (the op on tensors, the same op in numpy, where to draw a, where to draw b)
BINARY_OPS = {
    "add": (operator.add, np.add, reals(), reals()),
    "sub": (operator.sub, np.subtract, reals(), reals()),
    "mul": (operator.mul, np.multiply, reals(), reals()),
    # a divisor near 0 makes the slope huge and finite differences inaccurate
    "div": (operator.truediv, np.divide, reals(), away_from((0.0,), margin=0.5)),
    # real powers need a positive base
    "pow": (operator.pow, np.power, reals(0.5, 3.0), reals(-2.0, 2.0)),
}


@pytest.mark.parametrize("name", BINARY_OPS)
@value_settings
@given(data=st.data())
def test_binary_op_values_match_numpy_with_broadcasting(name, data):
    op, reference, a_elements, b_elements = BINARY_OPS[name]
    a_shape, b_shape = data.draw(broadcastable_shapes(2))
    a, b = data.draw(arrays(a_shape, a_elements)), data.draw(arrays(b_shape, b_elements))
    assert_values(op(Tensor(a), Tensor(b)), reference(a, b))


@pytest.mark.parametrize("name", BINARY_OPS)
@gradient_settings
@given(data=st.data())
def test_binary_op_gradients_match_finite_differences_with_broadcasting(name, data):
    op, _, a_elements, b_elements = BINARY_OPS[name]
    a_shape, b_shape = data.draw(broadcastable_shapes(2))
    a, b = data.draw(arrays(a_shape, a_elements)), data.draw(arrays(b_shape, b_elements))
    assert gradcheck(op, leaf(a), leaf(b))


@pytest.mark.parametrize("name", BINARY_OPS)
@gradient_settings
@given(data=st.data())
def test_binary_op_with_a_python_number_on_the_right(name, data):
    op, reference, a_elements, b_elements = BINARY_OPS[name]
    a = data.draw(arrays(data.draw(shapes()), a_elements))
    number = data.draw(b_elements)
    assert_values(op(Tensor(a), number), reference(a, number))
    assert gradcheck(lambda x: op(x, number), leaf(a))


@pytest.mark.parametrize("name", BINARY_OPS)
@gradient_settings
@given(data=st.data())
def test_binary_op_with_a_python_number_on_the_left(name, data):
    op, reference, a_elements, b_elements = BINARY_OPS[name]
    number = data.draw(a_elements)
    b = data.draw(arrays(data.draw(shapes()), b_elements))
    assert_values(op(number, Tensor(b)), reference(number, b))
    assert gradcheck(lambda x: op(number, x), leaf(b))


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
def test_binary_op_with_a_numpy_array_on_the_left_gives_a_tensor(name):
    op, reference, _, _ = BINARY_OPS[name]
    a, b = np.array([[1.0], [2.0]]), np.array([0.5, -1.5, 3.0])
    x = leaf(b)
    out = op(a, x)
    assert_values(out, reference(a, b))
    assert gradcheck(lambda x: op(a, x), x)


@value_settings
@given(data=st.data())
def test_matmul_values_match_numpy(data):
    a_shape, b_shape = data.draw(matmul_shapes())
    a, b = data.draw(arrays(a_shape)), data.draw(arrays(b_shape))
    assert_values(Tensor(a) @ Tensor(b), a @ b)


@gradient_settings
@given(data=st.data())
def test_matmul_gradients_match_finite_differences(data):
    a_shape, b_shape = data.draw(matmul_shapes())
    a, b = data.draw(arrays(a_shape)), data.draw(arrays(b_shape))
    assert gradcheck(operator.matmul, leaf(a), leaf(b))


def test_matmul_with_a_numpy_array_on_the_left():
    a = np.arange(6.0).reshape(2, 3)
    x = leaf(np.ones((3, 2)))
    assert_values(a @ x, a @ x.data)
    assert gradcheck(lambda x: a @ x, x)


@value_settings
@given(shape=shapes(), data=st.data())
def test_negation_values_and_gradient(shape, data):
    a = data.draw(arrays(shape))
    assert_values(-Tensor(a), -a)
    assert gradcheck(operator.neg, leaf(a))


# ---- elementwise functions ----------------------------------------------------------------

# name: (the function on tensors, the same in numpy, where to draw the input)
UNARY_OPS = {
    "exp": (Tensor.exp, np.exp, reals()),
    "log": (Tensor.log, np.log, reals(0.1, 5.0)),
    "tanh": (Tensor.tanh, np.tanh, reals()),
    "sigmoid": (Tensor.sigmoid, numpy_sigmoid, reals(-6.0, 6.0)),
    "relu": (Tensor.relu, lambda a: np.maximum(a, 0.0), away_from((0.0,))),
    "clip": (
        lambda x: x.clip(-1.0, 2.0),
        lambda a: np.clip(a, -1.0, 2.0),
        away_from((-1.0, 2.0)),
    ),
    "clip_min_only": (lambda x: x.clip(min=0.5), lambda a: np.maximum(a, 0.5), away_from((0.5,))),
    "clip_max_only": (lambda x: x.clip(max=0.5), lambda a: np.minimum(a, 0.5), away_from((0.5,))),
}


@pytest.mark.parametrize("name", UNARY_OPS)
@value_settings
@given(data=st.data())
def test_elementwise_function_values_match_numpy(name, data):
    op, reference, elements = UNARY_OPS[name]
    a = data.draw(arrays(data.draw(shapes()), elements))
    assert_values(op(Tensor(a)), reference(a))


@pytest.mark.parametrize("name", UNARY_OPS)
@gradient_settings
@given(data=st.data())
def test_elementwise_function_gradients_match_finite_differences(name, data):
    op, _, elements = UNARY_OPS[name]
    a = data.draw(arrays(data.draw(shapes()), elements))
    assert gradcheck(op, leaf(a))


def test_relu_gradient_at_zero_is_zero():
    x = leaf([-1.0, 0.0, 2.0])
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])


def test_relu_of_minus_infinity_is_zero():
    assert_values(Tensor([-np.inf, 3.0]).relu(), [0.0, 3.0])


def test_clip_passes_the_gradient_at_its_bounds():
    # as torch.clamp: the bounds themselves count as inside
    x = leaf([-2.0, -1.0, 0.0, 1.0, 3.0])
    x.clip(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])


# ---- reductions ---------------------------------------------------------------------------

REDUCTIONS = {
    "sum": (Tensor.sum, np.sum),
    "mean": (Tensor.mean, np.mean),
    "max": (Tensor.max, np.max),
}


@pytest.mark.parametrize("name", REDUCTIONS)
@value_settings
@given(shape=shapes(), keepdims=st.booleans(), data=st.data())
def test_reduction_values_match_numpy(name, shape, keepdims, data):
    op, reference = REDUCTIONS[name]
    axis = data.draw(axes(len(shape)))
    a = data.draw(distinct_arrays(shape))
    assert_values(
        op(Tensor(a), axis=axis, keepdims=keepdims), reference(a, axis, keepdims=keepdims)
    )


@pytest.mark.parametrize("name", REDUCTIONS)
@gradient_settings
@given(shape=shapes(), keepdims=st.booleans(), data=st.data())
def test_reduction_gradients_match_finite_differences(name, shape, keepdims, data):
    op, _ = REDUCTIONS[name]
    axis = data.draw(axes(len(shape)))
    a = data.draw(distinct_arrays(shape))
    assert gradcheck(lambda x: op(x, axis=axis, keepdims=keepdims), leaf(a))


def test_max_shares_the_gradient_equally_between_ties():
    x = leaf([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


SOFTMAXES = {
    "softmax": (Tensor.softmax, numpy_softmax),
    "log_softmax": (Tensor.log_softmax, numpy_log_softmax),
}


@pytest.mark.parametrize("name", SOFTMAXES)
@value_settings
@given(shape=shapes(min_dims=1), data=st.data())
def test_softmax_values_match_numpy(name, shape, data):
    op, reference = SOFTMAXES[name]
    axis = data.draw(one_axis(len(shape)))
    a = data.draw(arrays(shape))
    assert_values(op(Tensor(a), axis=axis), reference(a, axis))


@pytest.mark.parametrize("name", SOFTMAXES)
@gradient_settings
@given(shape=shapes(min_dims=1), data=st.data())
def test_softmax_gradients_match_finite_differences(name, shape, data):
    op, _ = SOFTMAXES[name]
    axis = data.draw(one_axis(len(shape)))
    assert gradcheck(lambda x: op(x, axis=axis), leaf(data.draw(arrays(shape))))


def test_softmax_sums_to_one_along_its_axis():
    s = Tensor(np.random.default_rng(0).standard_normal((3, 4))).softmax(axis=0)
    np.testing.assert_allclose(s.data.sum(axis=0), np.ones(4))


# ---- shapes -------------------------------------------------------------------------------


@st.composite
def reshapes(draw) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A shape and another with the same number of elements, maybe with one -1 in it."""
    shape = draw(shapes())
    target = list(draw(st.permutations(shape)))
    if draw(st.booleans()):
        target = [n for n in target if n != 1] + [1] * draw(st.integers(0, 2))
    if target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return shape, tuple(target)


@value_settings
@given(shapes_pair=reshapes(), data=st.data())
def test_reshape_values_and_gradient(shapes_pair, data):
    shape, target = shapes_pair
    a = data.draw(arrays(shape))
    assert_values(Tensor(a).reshape(target), a.reshape(target))
    assert gradcheck(lambda x: x.reshape(target), leaf(a))


def test_reshape_takes_sizes_or_a_shape():
    x = Tensor(np.arange(6.0))
    assert x.reshape(2, 3).shape == x.reshape((2, 3)).shape == x.reshape([2, 3]).shape == (2, 3)


@value_settings
@given(shape=shapes(), data=st.data())
def test_transpose_values_and_gradient(shape, data):
    permutation = data.draw(st.permutations(range(len(shape))))
    # the same permutation written with negative axes, sometimes
    negative = data.draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
    given_axes = tuple(a - len(shape) if flip else a for a, flip in zip(permutation, negative))
    a = data.draw(arrays(shape))
    assert_values(Tensor(a).transpose(given_axes), a.transpose(permutation))
    assert gradcheck(lambda x: x.transpose(*given_axes), leaf(a))


@pytest.mark.parametrize("permutation", [(2, 0, 1), (1, 2, 0)])
def test_transpose_gradient_undoes_a_cyclic_permutation(permutation):
    # a 3-cycle is not its own inverse: backward must apply the inverse permutation
    x = leaf(np.arange(24.0).reshape(2, 3, 4))
    weights = np.random.default_rng(0).standard_normal(x.data.transpose(permutation).shape)
    x.transpose(permutation).backward(weights)
    np.testing.assert_array_equal(x.grad, weights.transpose(np.argsort(permutation)))


def test_transpose_without_axes_reverses_them():
    a = np.arange(6.0).reshape(1, 2, 3)
    assert_values(Tensor(a).transpose(), a.transpose())


# ---- indexing -----------------------------------------------------------------------------


@value_settings
@given(shape=shapes(), data=st.data())
def test_basic_indexing_values_and_gradient(shape, data):
    # ints, slices with steps, None and Ellipsis
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    a = data.draw(arrays(shape))
    assert_values(Tensor(a)[index], a[index])
    assert gradcheck(lambda x: x[index], leaf(a))


@value_settings
@given(shape=shapes(min_dims=1), data=st.data())
def test_integer_array_indexing_values_and_gradient(shape, data):
    # one integer array per axis; positions may repeat, and each repeat adds its gradient
    index = data.draw(hnp.integer_array_indices(shape))
    a = data.draw(arrays(shape))
    assert_values(Tensor(a)[index], a[index])
    assert gradcheck(lambda x: x[index], leaf(a))


@value_settings
@given(shape=shapes(min_dims=1), data=st.data())
def test_integer_list_on_the_first_axis_values_and_gradient(shape, data):
    rows = data.draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=6))
    index = (rows, Ellipsis)
    a = data.draw(arrays(shape))
    assert_values(Tensor(a)[index], a[index])
    assert gradcheck(lambda x: x[index], leaf(a))


@value_settings
@given(shape=shapes(min_dims=1), data=st.data())
def test_boolean_mask_indexing_values_and_gradient(shape, data):
    mask = data.draw(boolean_masks(shape))
    a = data.draw(arrays(shape))
    assert_values(Tensor(a)[mask], a[mask])
    assert gradcheck(lambda x: x[mask], leaf(a))


@value_settings
@given(shape=shapes(min_dims=1), data=st.data())
def test_boolean_mask_on_the_first_axis_values_and_gradient(shape, data):
    mask = data.draw(boolean_masks(shape[:1]))
    a = data.draw(arrays(shape))
    assert_values(Tensor(a)[mask], a[mask])
    assert gradcheck(lambda x: x[mask], leaf(a))


def test_repeated_index_adds_its_gradient_each_time():
    x = leaf([10.0, 20.0, 30.0])
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


def test_boolean_list_index_selects_like_a_mask():
    x = leaf([10.0, 20.0, 30.0])
    out = x[[True, False, True]]
    assert_values(out, [10.0, 30.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 1.0])


# ---- joining and splitting ----------------------------------------------------------------


@value_settings
@given(shape=shapes(min_dims=1, max_dims=2), data=st.data())
def test_cat_values_and_gradient(shape, data):
    axis = data.draw(one_axis(len(shape)))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    pieces = []
    for size in sizes:
        piece_shape = list(shape)
        piece_shape[axis] = size
        pieces.append(data.draw(arrays(tuple(piece_shape))))
    assert_values(
        minigrad.cat([Tensor(p) for p in pieces], axis=axis), np.concatenate(pieces, axis)
    )
    assert gradcheck(lambda *xs: minigrad.cat(xs, axis=axis), *(leaf(p) for p in pieces))


@value_settings
@given(shape=shapes(max_dims=2), count=st.integers(1, 3), data=st.data())
def test_stack_values_and_gradient(shape, count, data):
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    pieces = [data.draw(arrays(shape)) for _ in range(count)]
    assert_values(minigrad.stack([Tensor(p) for p in pieces], axis=axis), np.stack(pieces, axis))
    assert gradcheck(lambda *xs: minigrad.stack(xs, axis=axis), *(leaf(p) for p in pieces))


@st.composite
def splits(draw) -> tuple:
    """A shape, an axis, and either a piece size or a list of piece sizes along that axis."""
    shape = draw(shapes(min_dims=1, max_side=5))
    axis = draw(one_axis(len(shape)))
    length = shape[axis]
    if draw(st.booleans()):
        return shape, axis, draw(st.integers(1, length + 1))
    cuts = draw(st.lists(st.integers(0, length), max_size=3).map(sorted))
    bounds = [0, *cuts, length]
    return shape, axis, [end - start for start, end in zip(bounds, bounds[1:])]


@value_settings
@given(case=splits(), data=st.data())
def test_split_pieces_match_numpy(case, data):
    shape, axis, size_or_sizes = case
    sizes = size_or_sizes if isinstance(size_or_sizes, list) else None
    if sizes is None:  # pieces of size_or_sizes each, the last one maybe shorter
        length = shape[axis]
        sizes = [min(size_or_sizes, length - s) for s in range(0, length, size_or_sizes)]
    a = data.draw(arrays(shape))
    pieces = minigrad.split(Tensor(a), size_or_sizes, axis=axis)
    expected = np.split(a, np.cumsum(sizes)[:-1], axis=axis)
    assert len(pieces) == len(expected)
    for piece, reference in zip(pieces, expected):
        assert_values(piece, reference)


@gradient_settings
@given(case=splits(), data=st.data())
def test_split_gradient_returns_each_piece_to_its_place(case, data):
    shape, axis, size_or_sizes = case
    a = data.draw(arrays(shape))

    def pieces_reversed(x):  # reversing the pieces means each one must land where it came from
        return minigrad.cat(list(reversed(x.split(size_or_sizes, axis=axis))), axis=axis)

    assert gradcheck(pieces_reversed, leaf(a))


@pytest.mark.parametrize(
    ("length", "chunks", "sizes"),
    [(6, 3, [2, 2, 2]), (5, 3, [2, 2, 1]), (6, 4, [2, 2, 2]), (2, 5, [1, 1]), (7, 1, [7])],
)
def test_chunk_makes_pieces_of_ceil_length_over_chunks_as_torch(length, chunks, sizes):
    x = Tensor(np.arange(float(length)))
    pieces = x.chunk(chunks)
    assert [len(p) for p in pieces] == sizes
    np.testing.assert_array_equal(np.concatenate([p.data for p in pieces]), x.data)


@gradient_settings
@given(shape=shapes(min_dims=1), chunks=st.integers(1, 4), data=st.data())
def test_chunk_gradient_returns_each_piece_to_its_place(shape, chunks, data):
    axis = data.draw(one_axis(len(shape)))
    a = data.draw(arrays(shape))
    assert gradcheck(
        lambda x: minigrad.cat(list(reversed(minigrad.chunk(x, chunks, axis))), axis=axis),
        leaf(a),
    )


@value_settings
@given(shapes_triple=broadcastable_shapes(3), data=st.data())
def test_where_values_and_gradient(shapes_triple, data):
    condition_shape, a_shape, b_shape = shapes_triple
    condition = data.draw(boolean_masks(condition_shape))
    a, b = data.draw(arrays(a_shape)), data.draw(arrays(b_shape))
    assert_values(minigrad.where(condition, Tensor(a), Tensor(b)), np.where(condition, a, b))
    assert gradcheck(lambda x, y: minigrad.where(condition, x, y), leaf(a), leaf(b))


def test_where_takes_a_number_for_either_branch():
    x = leaf([1.0, -2.0, 3.0])
    out = minigrad.where(x.data > 0, x, 0.0)
    assert_values(out, [1.0, 0.0, 3.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 1.0])


# ---- random composite expressions ------------------------------------------------------------

# Ops for random expressions, smooth and finite for every real input, so that finite
# differences mean something wherever hypothesis lands. name: (on tensors, on numpy arrays)
EXPRESSION_UNARY = {
    "neg": (operator.neg, np.negative),
    "square": (lambda x: x**2, np.square),
    "tanh": (Tensor.tanh, np.tanh),
    "sigmoid": (Tensor.sigmoid, numpy_sigmoid),
    "exp_of_tanh": (lambda x: x.tanh().exp(), lambda a: np.exp(np.tanh(a))),
    "log_of_1_plus_square": (lambda x: (x * x + 1).log(), lambda a: np.log(a * a + 1)),
    # a reduction that keeps every axis (size 1), so the result broadcasts with everything
    "mean_keepdims": (
        lambda x: x.mean(keepdims=True),
        lambda a: a.mean(keepdims=True),
    ),
    # a 0-d value is softmaxed as a vector of one element (giving 1), not returned as it is:
    # every step must make a new tensor
    "softmax_last_axis": (
        lambda x: x.reshape(x.shape or (1,)).softmax(axis=-1).reshape(x.shape),
        lambda a: numpy_softmax(a.reshape(a.shape or (1,)), -1).reshape(a.shape),
    ),
}
EXPRESSION_BINARY = {
    "add": (operator.add, np.add),
    "sub": (operator.sub, np.subtract),
    "mul": (operator.mul, np.multiply),
    "div_by_1_plus_square": (lambda x, y: x / (y * y + 1), lambda a, b: a / (b * b + 1)),
}


@st.composite
def expressions(draw) -> tuple[list[np.ndarray], list[tuple[str, tuple[int, ...]]]]:
    """Inputs of broadcastable shapes, and steps that each apply an op to earlier values.

    Step k may use any input or earlier step's result, so values get reused and the graph
    has diamonds: exactly where a wrong accumulation of gradients would show.
    """
    input_shapes = draw(broadcastable_shapes(draw(st.integers(1, 3))))
    inputs = [draw(arrays(shape, reals(-1.5, 1.5))) for shape in input_shapes]
    steps = []
    for k in range(draw(st.integers(1, 5))):
        earlier = st.integers(0, len(inputs) + k - 1)
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(sorted(EXPRESSION_UNARY))), (draw(earlier),)))
        else:
            name = draw(st.sampled_from(sorted(EXPRESSION_BINARY)))
            steps.append((name, (draw(earlier), draw(earlier))))
    return inputs, steps


def evaluate(steps: list, inputs: list, on_tensors: bool = True, replace: dict | None = None):
    """All values of an expression: the inputs, then one per step. `replace` maps a value's
    position to what to use instead of computing it."""
    replace = replace or {}
    values = list(inputs)
    for name, operands in steps:
        table = EXPRESSION_UNARY if len(operands) == 1 else EXPRESSION_BINARY
        op = table[name][0 if on_tensors else 1]
        result = op(*(values[i] for i in operands))
        values.append(replace.get(len(values), result))
    return values


def backward_with_weights(out: Tensor) -> None:
    """Backward from a fixed, non-uniform dL/d(out), so that every output element matters."""
    out.backward(np.random.default_rng(0).standard_normal(out.shape))


@value_settings
@given(expression=expressions())
def test_random_expression_values_match_numpy(expression):
    inputs, steps = expression
    out = evaluate(steps, [Tensor(a) for a in inputs])[-1]
    assert_values(out, evaluate(steps, inputs, on_tensors=False)[-1])


@gradient_settings
@given(expression=expressions())
def test_random_expression_gradients_match_finite_differences(expression):
    inputs, steps = expression
    assert gradcheck(lambda *xs: evaluate(steps, list(xs))[-1], *(leaf(a) for a in inputs))


# ---- the graph ----------------------------------------------------------------------------


@gradient_settings
@given(expression=expressions())
def test_every_intermediate_tensor_holds_its_gradient(expression):
    # The gradient an intermediate value holds must be what it would get as a leaf: rebuild
    # the expression with a fresh leaf in its place, and compare.
    inputs, steps = expression
    values = evaluate(steps, [leaf(a) for a in inputs])
    backward_with_weights(values[-1])
    for position in range(len(inputs), len(values) - 1):
        stand_in = leaf(values[position].data)
        rebuilt = evaluate(steps, [Tensor(a) for a in inputs], replace={position: stand_in})
        if not rebuilt[-1].requires_grad:  # the output does not depend on this value
            assert values[position].grad is None
            continue
        backward_with_weights(rebuilt[-1])
        assert values[position].grad.shape == values[position].shape
        np.testing.assert_allclose(values[position].grad, stand_in.grad, rtol=1e-12)


def test_the_output_holds_the_gradient_it_started_from():
    x = leaf([1.0, 2.0])
    out = x * 3
    out.backward(np.array([0.5, -1.0]))
    np.testing.assert_array_equal(out.grad, [0.5, -1.0])


@gradient_settings
@given(expression=expressions())
def test_leaf_gradients_accumulate_across_backward_calls(expression):
    inputs, steps = expression
    leaves = [leaf(a) for a in inputs]
    out = evaluate(steps, leaves)[-1]
    backward_with_weights(out)
    once = [None if x.grad is None else x.grad.copy() for x in leaves]
    backward_with_weights(out)
    for x, first in zip(leaves, once):
        if first is None:
            assert x.grad is None
        else:
            np.testing.assert_allclose(x.grad, 2 * first, rtol=1e-12)


@gradient_settings
@given(expression=expressions())
def test_intermediate_gradients_hold_the_last_backward_only(expression):
    inputs, steps = expression
    values = evaluate(steps, [leaf(a) for a in inputs])
    intermediates = values[len(inputs) :]
    backward_with_weights(values[-1])
    once = [t.grad.copy() if t.grad is not None else None for t in intermediates]
    backward_with_weights(values[-1])
    for t, first in zip(intermediates, once):
        if first is None:
            assert t.grad is None
        else:
            np.testing.assert_allclose(t.grad, first, rtol=1e-12)


def test_a_value_used_twice_gets_both_contributions():
    x = leaf([2.0, -1.0])
    h = x * 3
    (h * h + h).sum().backward()
    # d/dh (h^2 + h) = 2h + 1, and dh/dx = 3
    np.testing.assert_allclose(h.grad, 2 * h.data + 1)
    np.testing.assert_allclose(x.grad, 3 * (2 * h.data + 1))


def test_zeroing_a_leaf_gradient_starts_the_sum_again():
    x = leaf([1.0, 2.0])
    loss = (x * x).sum()
    loss.backward()
    loss.backward()
    x.grad = None
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * x.data)


def test_tensors_that_need_no_gradient_get_none():
    x, constant = leaf([1.0, 2.0]), Tensor([3.0, 4.0])
    (x * constant).sum().backward()
    assert constant.grad is None
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_backward_of_a_single_number_starts_from_one(shape):
    x = leaf(np.full(shape, 3.0))
    (x * 2).backward()
    np.testing.assert_array_equal(x.grad, np.full(shape, 2.0))


def test_backward_with_a_grad_equals_backward_of_the_weighted_sum():
    weights = np.array([[1.0, -2.0, 0.5]])
    x, y = leaf([[1.0, 2.0, 3.0]]), leaf([[1.0, 2.0, 3.0]])
    x.tanh().backward(weights)
    (y.tanh() * Tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad, y.grad)


def test_backward_takes_its_grad_as_a_tensor():
    x = leaf([1.0, 2.0])
    (x * 2).backward(Tensor([1.0, 1.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def numpy_rnn_gradients(h0, weight_hh, weight_ih, xs):
    """dL/dweight_hh and dL/dweight_ih of L = sum(h_T), h_t+1 = tanh(h_t W_hh^T + x_t W_ih^T),
    by backpropagation through time written out by hand."""
    hs = [h0]
    for x in xs:
        hs.append(np.tanh(hs[-1] @ weight_hh.T + x @ weight_ih.T))
    grad_hh, grad_ih = np.zeros_like(weight_hh), np.zeros_like(weight_ih)
    grad_h = np.ones_like(h0)
    for t in reversed(range(len(xs))):
        grad_pre = grad_h * (1 - hs[t + 1] ** 2)
        grad_hh += grad_pre.T @ hs[t]
        grad_ih += grad_pre.T @ xs[t]
        grad_h = grad_pre @ weight_hh
    return grad_hh, grad_ih


def test_rnn_unrolled_for_10000_steps_backpropagates_through_time():
    # far deeper than Python's recursion limit (1000): the graph walk must not recurse
    steps = 10_000
    rng = np.random.default_rng(0)
    weight_hh = leaf(rng.standard_normal((4, 4)) * 0.5)
    weight_ih = leaf(rng.standard_normal((4, 2)) * 0.5)
    xs = rng.standard_normal((steps, 1, 2))
    h = minigrad.zeros(1, 4)
    for x in xs:
        h = (h @ weight_hh.T + Tensor(x) @ weight_ih.T).tanh()
    h.sum().backward()
    expected_hh, expected_ih = numpy_rnn_gradients(
        np.zeros((1, 4)), weight_hh.data, weight_ih.data, xs
    )
    np.testing.assert_allclose(weight_hh.grad, expected_hh, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(weight_ih.grad, expected_ih, rtol=1e-9, atol=1e-12)


def test_no_grad_records_no_graph():
    x = leaf([1.0, 2.0])
    with no_grad():
        y = (x * 2).sum()
    assert y.requires_grad is False
    assert y._parents == ()


def test_no_grad_result_cannot_backpropagate():
    x = leaf([1.0, 2.0])
    with no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_grad_mode_comes_back_after_no_grad_even_after_an_error():
    with pytest.raises(ZeroDivisionError), no_grad():
        assert minigrad.is_grad_enabled() is False
        1 / 0  # noqa: B018
    assert minigrad.is_grad_enabled() is True
    assert (leaf([1.0]) * 2).requires_grad is True


def test_nested_no_grad_restores_the_outer_mode():
    with no_grad():
        with no_grad():
            pass
        assert minigrad.is_grad_enabled() is False
    assert minigrad.is_grad_enabled() is True


# ---- gradient arrays are independent ------------------------------------------------------


def test_leaves_fed_by_one_add_get_independent_gradient_arrays():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    assert a.grad is not b.grad
    assert not np.shares_memory(a.grad, b.grad)


def test_changing_one_leaf_gradient_leaves_the_other_unchanged():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).backward(np.array([1.0, 1.0]))
    a.grad[0] = 100.0
    a.grad *= 2
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


# Graphs whose backward would hand a leaf an array it does not own: a gradient shared with
# another tensor, a broadcast view, a slice of someone else's array.
GRAPHS_FOR_WRITABLE_GRAD = {
    "add": lambda x: (x + x.detach()).sum(),
    "sum": lambda x: x.sum(),
    "mean_with_broadcast": lambda x: (x + Tensor(np.ones((3, 2)))).mean(),
    "reshape": lambda x: x.reshape(-1).sum(),
    "getitem": lambda x: x[0].sum(),
    "split": lambda x: minigrad.cat(x.split(1, axis=1), axis=1).sum(),
    "stack": lambda x: minigrad.stack([x, x.detach()]).sum(),
}


@pytest.mark.parametrize("graph", GRAPHS_FOR_WRITABLE_GRAD)
def test_leaf_gradient_is_a_writable_array_of_its_own(graph):
    x = leaf(np.ones((1, 2)) if graph == "mean_with_broadcast" else np.ones((2, 2)))
    GRAPHS_FOR_WRITABLE_GRAD[graph](x).backward()
    assert x.grad.shape == x.shape
    assert x.grad.flags.writeable
    before = x.grad.copy()
    x.grad += 1.0  # in place, as an optimizer or zero_grad would
    np.testing.assert_array_equal(x.grad, before + 1.0)


def test_leaf_gradient_does_not_alias_the_grad_given_to_backward():
    x = leaf([1.0, 2.0])
    start = np.array([1.0, 1.0])
    (x * 1).backward(start)
    x.grad[0] = 50.0
    np.testing.assert_array_equal(start, [1.0, 1.0])


def test_leaf_gradient_does_not_alias_its_own_data():
    x = leaf([1.0, 2.0])
    x.backward(np.array([1.0, 1.0]))
    assert not np.shares_memory(x.grad, x.data)


# ---- unbroadcast ---------------------------------------------------------------------------


def test_unbroadcast_sums_over_the_leading_axes_broadcasting_added():
    grad = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(unbroadcast(grad, (4,)), grad.sum(axis=(0, 1)))


def test_unbroadcast_sums_over_stretched_axes_and_keeps_them():
    grad = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(unbroadcast(grad, (3, 1)), grad.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(unbroadcast(grad, (1, 1)), [[grad.sum()]])
    np.testing.assert_array_equal(unbroadcast(grad, ()), grad.sum())


@value_settings
@given(shapes_pair=broadcastable_shapes(2))
def test_unbroadcast_gives_each_input_element_its_number_of_uses(shapes_pair):
    shape, other = shapes_pair
    result_shape = np.broadcast_shapes(shape, other)
    uses = math.prod(result_shape) // math.prod(shape)
    counted = unbroadcast(np.ones(result_shape), shape)
    assert counted.shape == shape
    np.testing.assert_array_equal(counted, np.full(shape, float(uses)))


def test_there_is_one_unbroadcast_shared_by_tensor_and_functional():
    from minigrad.nn import functional

    assert functional.unbroadcast is unbroadcast


# ---- extreme inputs -----------------------------------------------------------------------

EXTREMES = np.array([-1e4, -1e3, -30.0, 0.0, 30.0, 1e3, 1e4])


def gradient_of_sum(op, values) -> np.ndarray:
    x = leaf(values)
    op(x).sum().backward()
    return x.grad


def test_sigmoid_is_finite_and_warning_free_at_extremes(warnings_are_errors):
    s = Tensor(EXTREMES).sigmoid()
    exact = [0.0, 0.0, 1 / (1 + math.exp(30)), 0.5, 1 / (1 + math.exp(-30)), 1.0, 1.0]
    np.testing.assert_allclose(s.data, exact, rtol=1e-15)
    grad = gradient_of_sum(Tensor.sigmoid, EXTREMES)
    np.testing.assert_allclose(grad, s.data * (1 - s.data), atol=1e-300)


@value_settings
@given(a=arrays((8,), reals(-700.0, 700.0)))
def test_sigmoid_keeps_full_relative_precision_for_tiny_results(a):
    # e^-x stays finite for x >= -709, so the textbook formula is a fine reference here
    np.testing.assert_allclose(Tensor(a).sigmoid().data, 1 / (1 + np.exp(-a)), rtol=1e-14)


def test_tanh_is_finite_and_warning_free_at_extremes(warnings_are_errors):
    np.testing.assert_array_equal(Tensor(EXTREMES).tanh().data, np.tanh(EXTREMES))
    grad = gradient_of_sum(Tensor.tanh, EXTREMES)
    assert np.all(np.isfinite(grad))
    assert grad[3] == 1.0 and grad[0] == 0.0 and grad[-1] == 0.0


def test_exp_is_finite_and_warning_free_wherever_its_result_is(warnings_are_errors):
    # e^x is representable in float64 up to x = 709.78; e^-1e4 rounds to 0
    values = np.array([-1e4, -1e3, 0.0, 700.0])
    out = Tensor(values).exp()
    np.testing.assert_array_equal(out.data, [0.0, 0.0, 1.0, math.exp(700.0)])
    np.testing.assert_array_equal(gradient_of_sum(Tensor.exp, values), out.data)


@pytest.mark.parametrize("name", SOFTMAXES)
def test_softmax_is_finite_and_warning_free_at_extremes(name, warnings_are_errors):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4 - 1.0]])
    op, _ = SOFTMAXES[name]
    out = op(Tensor(logits), axis=1)
    expected_log = np.array(
        [
            [0.0, -2e4, -1e4],
            [-math.log(3)] * 3,
            # shifted by the max, [0, 0, -1]: log(2 + e^-1) is the normaliser
            [-math.log(2 + math.exp(-1))] * 2 + [-1 - math.log(2 + math.exp(-1))],
        ]
    )
    expected = expected_log if name == "log_softmax" else np.exp(expected_log)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    x = leaf(logits)
    op(x, axis=1).backward(np.random.default_rng(0).standard_normal(logits.shape))
    assert np.all(np.isfinite(x.grad))


# ---- float32 --------------------------------------------------------------------------------

FLOAT32_OPS = {
    "add": lambda x: x + 1.5,
    "rsub": lambda x: 1 - x,
    "mul": lambda x: 2 * x,
    "div": lambda x: x / 3,
    "pow": lambda x: x**2,
    "matmul": lambda x: x @ x.T,
    "exp": Tensor.exp,
    "tanh": Tensor.tanh,
    "sigmoid": Tensor.sigmoid,
    "relu": Tensor.relu,
    "clip": lambda x: x.clip(0.0, 0.5),
    "sum": lambda x: x.sum(axis=0),
    "mean": Tensor.mean,
    "max": lambda x: x.max(axis=1),
    "softmax": Tensor.softmax,
    "log_softmax": Tensor.log_softmax,
    "reshape": lambda x: x.reshape(-1),
    "transpose": Tensor.transpose,
    "getitem": lambda x: x[[0, 0]],
    "cat": lambda x: minigrad.cat([x, x]),
    "where": lambda x: minigrad.where(x.data > 0.3, x, 0.0),
}


@pytest.mark.parametrize("name", FLOAT32_OPS)
def test_float32_stays_float32_in_values_and_gradients(name):
    x = Tensor(np.linspace(0.1, 0.6, 6).reshape(2, 3), dtype=np.float32, requires_grad=True)
    out = FLOAT32_OPS[name](x)
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape))
    assert x.grad.dtype == np.float32


# ---- what a learner sees when something is wrong ------------------------------------------


def test_matmul_error_names_both_shapes_and_the_inner_dimensions():
    with pytest.raises(ValueError) as error:
        minigrad.ones(3, 4) @ minigrad.ones(5, 6)
    assert str(error.value) == "matmul: (3, 4) @ (5, 6): inner dimensions 4 and 5 differ"


def test_matmul_of_a_vector_with_the_wrong_length_names_both_shapes():
    with pytest.raises(ValueError, match=re.escape("matmul: (3,) @ (4, 2): inner dimensions 3")):
        minigrad.ones(3) @ minigrad.ones(4, 2)


def test_matmul_of_a_zero_dim_tensor_is_an_error():
    with pytest.raises(ValueError, match=re.escape("matmul: () @ (2,)")):
        Tensor(2.0) @ minigrad.ones(2)


@pytest.mark.parametrize("name", BINARY_OPS)
def test_broadcasting_error_names_the_op_and_both_shapes(name):
    op = BINARY_OPS[name][0]
    with pytest.raises(ValueError) as error:
        op(minigrad.ones(3, 4), minigrad.ones(5, 6))
    assert str(error.value) == f"{name}: shapes (3, 4) and (5, 6) cannot be broadcast together"


def test_backward_of_a_non_scalar_without_grad_explains_what_is_needed():
    x = leaf(np.ones((2, 3)))
    with pytest.raises(RuntimeError) as error:
        (x * 2).backward()
    message = str(error.value)
    assert "shape (2, 3)" in message
    assert "grad=" in message
    assert ".sum().backward()" in message


def test_backward_with_a_grad_of_the_wrong_shape_names_both_shapes():
    x = leaf(np.ones((2, 3)))
    with pytest.raises(ValueError, match=re.escape("grad has shape (3,), expected (2, 3)")):
        (x * 2).backward(np.ones(3))


def test_backward_of_a_tensor_that_needs_no_grad_explains_why():
    with pytest.raises(RuntimeError, match="requires_grad=True.*no_grad"):
        Tensor([1.0]).sum().backward()


def test_reshape_error_names_both_shapes():
    with pytest.raises(ValueError, match=re.escape("reshape: cannot view shape (2, 3)")) as error:
        minigrad.ones(2, 3).reshape(4, 2)
    assert "(4, 2)" in str(error.value)


@pytest.mark.parametrize("bad_axes", [(0, 0), (0,), (0, 2), (0, -3), (1, 0, 2)])
def test_transpose_error_names_the_axes_and_the_shape(bad_axes):
    with pytest.raises(ValueError, match=re.escape("transpose: axes")) as error:
        minigrad.ones(2, 3).transpose(bad_axes)
    assert "(2, 3)" in str(error.value)


def test_index_out_of_range_names_the_shape():
    with pytest.raises(IndexError, match=re.escape("tensor of shape (2, 3)")):
        minigrad.ones(2, 3)[5]


def test_indexing_with_a_tensor_is_refused():
    with pytest.raises(TypeError, match="not a Tensor"):
        minigrad.ones(3)[Tensor([0.0])]


def test_log_of_a_non_positive_number_is_an_error_naming_it():
    with pytest.raises(ValueError, match="log needs positive numbers; the input holds -2"):
        Tensor([1.0, -2.0]).log()


def test_cat_error_names_the_axis_and_all_shapes():
    with pytest.raises(ValueError, match=re.escape("cat along axis 0: shapes (2, 3), (3, 2)")):
        minigrad.cat([minigrad.ones(2, 3), minigrad.ones(3, 2)])


@pytest.mark.parametrize("join", [minigrad.cat, minigrad.stack], ids=lambda f: f.__name__)
def test_joining_no_tensors_is_an_error(join):
    with pytest.raises(ValueError, match="needs at least one tensor"):
        join([])


def test_stack_error_names_the_differing_shapes():
    with pytest.raises(ValueError, match=re.escape("same shape, got [(2,), (3,)]")):
        minigrad.stack([minigrad.ones(2), minigrad.ones(3)])


def test_split_sizes_that_do_not_add_up_are_an_error():
    with pytest.raises(ValueError, match=re.escape("sizes [2, 2] add up to 4, not 5")):
        minigrad.ones(5).split([2, 2])


@pytest.mark.parametrize(
    ("cut", "message"),
    [(lambda x: x.split(0), "split_size must be positive"), (lambda x: x.chunk(0), "chunks must")],
)
def test_split_and_chunk_need_a_positive_count(cut, message):
    with pytest.raises(ValueError, match=message):
        cut(minigrad.ones(4))


def test_where_error_names_the_three_shapes():
    with pytest.raises(ValueError, match=re.escape("condition (4,), a (3,) and b ()")):
        minigrad.where(np.ones(4, dtype=bool), minigrad.ones(3), 0.0)


def test_gradcheck_catches_a_wrong_backward():
    # the tests above trust gradcheck; it must be able to fail
    def wrong_square(x: Tensor) -> Tensor:
        return make_node(x.data**2, (x,), lambda g: (g * x.data,), "square")  # 2x is right

    assert not gradcheck(wrong_square, leaf([1.0, 2.0, -0.5]))
