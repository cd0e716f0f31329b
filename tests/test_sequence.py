"""The sequence layers' kernels (minigrad/nn/sequence.py) against the readable cells.

`nn.LSTM`, `nn.GRU` and `nn.RNN` run each layer over the whole sequence as one graph node
with a hand-written BPTT. Here every option of every layer is checked against its cell called
once per step (the readable version): the outputs, the final states, and the gradients of
the input, the initial state and every parameter, to float64 round-off; and the kernels
against finite differences. tests/test_torch_parity.py compares the layers with PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import Tensor, gradcheck, nn
from minigrad.autograd import topological_order

ROUND_OFF = 1e-12

LAYERS = {
    "rnn_tanh": lambda **kw: nn.RNN(3, 4, rng=0, **kw),
    "rnn_relu": lambda **kw: nn.RNN(3, 4, nonlinearity="relu", rng=0, **kw),
    "gru": lambda **kw: nn.GRU(3, 4, rng=0, **kw),
    "lstm": lambda **kw: nn.LSTM(3, 4, forget_bias=1.0, rng=0, **kw),
    "lstm_1997": lambda **kw: nn.LSTM(3, 4, forget_gate=False, rng=0, **kw),
}


def normal(*shape, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def leaf(array) -> Tensor:
    return Tensor(np.array(array, dtype=np.float64), requires_grad=True)


def is_lstm(layer) -> bool:
    return isinstance(layer, nn.LSTM)


def initial_state(layer, batch: int):
    """A random initial state that requires grad: h_0, or (h_0, c_0) for an LSTM."""
    shape = (layer.num_layers, batch, layer.hidden_size)
    if is_lstm(layer):
        return leaf(normal(*shape, seed=7)), leaf(normal(*shape, seed=8))
    return leaf(normal(*shape, seed=7))


def run_cells(layer, x: Tensor, state):
    """The layer written as its cells called once per step: the readable reference.
    x: (T, B, I). Returns (output (T, B, H), final state as the layer returns it)."""
    inputs = [x[t] for t in range(x.shape[0])]
    finals = []
    for k, cell in enumerate(layer.cells):
        if state is None:
            layer_state = None
        elif is_lstm(layer):
            layer_state = (state[0][k], state[1][k])
        else:
            layer_state = state[k]
        outputs = []
        for x_t in inputs:
            layer_state = cell(x_t, layer_state)
            outputs.append(layer_state[0] if is_lstm(layer) else layer_state)
        inputs = outputs
        finals.append(layer_state)
    output = minigrad.stack(inputs)
    if is_lstm(layer):
        return output, (
            minigrad.stack([h for h, _ in finals]),
            minigrad.stack([c for _, c in finals]),
        )
    return output, minigrad.stack(finals)


def loss_of(output: Tensor, final, seed: int = 3) -> Tensor:
    """A loss that every output and final state takes part in, with random weights."""
    finals = final if isinstance(final, tuple) else (final,)
    loss = (output * Tensor(normal(*output.shape, seed=seed))).sum()
    for k, tensor in enumerate(finals):
        loss = loss + (tensor * Tensor(normal(*tensor.shape, seed=seed + 1 + k))).sum()
    return loss


def gradients(layer, x: Tensor, state) -> dict[str, np.ndarray]:
    named = {"x": x, **dict(layer.named_parameters())}
    states = state if isinstance(state, tuple) else (state,)
    named.update({f"state{k}": s for k, s in enumerate(states) if s is not None})
    return {name: t.grad.copy() for name, t in named.items()}


def zero(layer, x: Tensor, state) -> None:
    layer.zero_grad()
    for t in (x, *(state if isinstance(state, tuple) else (state,))):
        if t is not None:
            t.grad = None


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("with_state", [False, True])
def test_layer_equals_its_cell_run_step_by_step_forward_and_backward(kind, num_layers, with_state):
    layer = LAYERS[kind](num_layers=num_layers)
    x = leaf(normal(5, 2, 3))
    state = initial_state(layer, 2) if with_state else None

    output, final = layer(x, state)
    loss_of(output, final).backward()
    ours = gradients(layer, x, state)

    zero(layer, x, state)
    expected_output, expected_final = run_cells(layer, x, state)
    loss_of(expected_output, expected_final).backward()
    expected = gradients(layer, x, state)

    np.testing.assert_allclose(output.data, expected_output.data, rtol=0, atol=ROUND_OFF)
    for got, want in zip(
        final if isinstance(final, tuple) else (final,),
        expected_final if isinstance(expected_final, tuple) else (expected_final,),
    ):
        np.testing.assert_allclose(got.data, want.data, rtol=0, atol=ROUND_OFF)
    assert ours.keys() == expected.keys()
    for name in expected:
        np.testing.assert_allclose(ours[name], expected[name], rtol=0, atol=ROUND_OFF, err_msg=name)


@pytest.mark.parametrize("kind", LAYERS)
def test_batch_first_layer_equals_the_cells_on_the_transposed_input(kind):
    layer = LAYERS[kind](batch_first=True)
    xs = normal(2, 5, 3)  # (B, T, I)
    x = leaf(xs)
    output, final = layer(x)
    assert output.shape == (2, 5, 4)
    loss_of(output, final).backward()
    grad_x = x.grad.copy()

    x_time_major = leaf(xs.transpose(1, 0, 2))
    expected, expected_final = run_cells(layer, x_time_major, None)
    loss_of(expected.transpose(1, 0, 2), expected_final).backward()
    np.testing.assert_allclose(output.data, expected.data.transpose(1, 0, 2), atol=ROUND_OFF)
    np.testing.assert_allclose(grad_x, x_time_major.grad.transpose(1, 0, 2), atol=ROUND_OFF)


@pytest.mark.parametrize("kind", LAYERS)
def test_layer_gradients_match_finite_differences(kind):
    layer = LAYERS[kind](num_layers=2)
    x = leaf(normal(3, 2, 3))
    state = initial_state(layer, 2)
    states = state if isinstance(state, tuple) else (state,)

    def run(x, *tensors):
        output, final = layer(x, state)
        finals = final if isinstance(final, tuple) else (final,)
        return minigrad.cat([output, *finals], axis=0)

    assert gradcheck(run, x, *states, *layer.parameters())


@pytest.mark.parametrize("kind", LAYERS)
def test_each_layer_is_one_graph_node_over_the_whole_sequence(kind):
    layer = LAYERS[kind](num_layers=2)
    output, _ = layer(leaf(normal(50, 2, 3)))
    ops = [node._op for node in topological_order(output)]
    assert sum(op.endswith("_sequence") for op in ops) == 2  # one per layer, not one per step
    assert len(ops) < 20


def test_a_relu_rnn_gets_no_gradient_where_its_unit_is_off():
    layer = nn.RNN(1, 1, nonlinearity="relu", rng=0)
    for p in layer.parameters():
        p.data[...] = 0.0
    layer.cells[0].weight_ih.data[...] = 1.0
    x = leaf([[[-1.0]], [[2.0]]])  # the unit is off at step 1, on at step 2
    output, _ = layer(x)
    output.sum().backward()
    np.testing.assert_array_equal(x.grad.ravel(), [0.0, 1.0])


def test_float32_layers_compute_in_float32():
    layer = nn.LSTM(3, 4, rng=0, dtype=np.float32)
    x = Tensor(normal(5, 2, 3), dtype=np.float32, requires_grad=True)
    output, (h_n, c_n) = layer(x)
    output.sum().backward()
    assert output.dtype == h_n.dtype == c_n.dtype == np.float32
    assert x.grad.dtype == layer.cells[0].weight_hh.grad.dtype == np.float32


@pytest.mark.parametrize("kind", LAYERS)
def test_a_layer_refuses_a_sequence_of_no_steps_naming_its_length(kind):
    layer = LAYERS[kind]()
    with pytest.raises(ValueError, match=r"sequence length T = 0"):
        layer(Tensor(np.zeros((0, 2, 3))))


def test_changing_the_weights_after_the_forward_pass_does_not_change_the_layers_gradient():
    layer = nn.LSTM(3, 4, rng=0)
    x = leaf(normal(5, 2, 3))
    output, _ = layer(x)
    expected_output, _ = run_cells(layer, x, None)
    loss_of(expected_output, ()).backward()
    expected = x.grad.copy()
    x.grad = None
    layer.cells[0].weight_hh.data[...] = 0.0  # numpy's own write: minigrad cannot see it
    loss_of(output, ()).backward()
    np.testing.assert_allclose(x.grad, expected, atol=ROUND_OFF)
