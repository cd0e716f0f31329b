"""The specification of `minigrad.nn`: Module, Linear, the recurrent cells and layers.

Values are checked against plain numpy written from the equations, gradients against finite
differences (`gradcheck`), and the fused LSTM kernels against the gate-by-gate cell to
round-off. tests/test_torch_parity.py compares the same layers with PyTorch's.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import gradient_settings

import minigrad
from minigrad import Tensor, gradcheck, nn
from minigrad.autograd import topological_order
from minigrad.nn import fused


def leaf(array) -> Tensor:
    return Tensor(np.array(array, dtype=np.float64), requires_grad=True)


def normal(*shape, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ---- Module --------------------------------------------------------------------------------


class TwoLayers(nn.Module):
    def __init__(self) -> None:
        self.first = nn.Linear(3, 4, rng=0)
        self.blocks = [nn.Linear(4, 4, rng=1), nn.Linear(4, 2, rng=2)]
        self.scale = Tensor(2.0)  # a constant: requires_grad=False, so not a parameter

    def forward(self, x):
        x = self.first(x).tanh()
        for block in self.blocks:
            x = block(x)
        return x * self.scale


def test_module_finds_parameters_of_submodules_and_lists_by_attribute_name():
    names = [name for name, _ in TwoLayers().named_parameters()]
    assert names == [
        "first.weight",
        "first.bias",
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "blocks.1.bias",
    ]


def test_module_parameters_are_the_tensors_themselves():
    model = TwoLayers()
    assert model.parameters()[0] is model.first.weight
    assert all(p.requires_grad for p in model.parameters())


def test_module_lists_a_shared_parameter_once():
    model = TwoLayers()
    model.blocks[0].weight = model.first.weight.T.detach()  # some other tensor: a constant
    model.blocks[1].bias = model.first.bias
    parameters = model.parameters()
    assert len(parameters) == len({id(p) for p in parameters}) == 4


def test_module_call_runs_forward():
    model = TwoLayers()
    x = Tensor(normal(5, 3))
    np.testing.assert_array_equal(model(x).data, model.forward(x).data)


def test_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_zero_grad_sets_every_gradient_to_none():
    model = TwoLayers()
    model(Tensor(normal(5, 3))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_holds_copies_by_name():
    model = TwoLayers()
    state = model.state_dict()
    assert list(state) == [name for name, _ in model.named_parameters()]
    state["first.weight"][...] = 0.0
    assert np.any(model.first.weight.data != 0.0)


def test_load_state_dict_copies_values_in_place():
    source, target = TwoLayers(), TwoLayers()
    for p in source.parameters():
        p.data += 1.0
    weight = target.first.weight
    target.load_state_dict(source.state_dict())
    assert target.first.weight is weight  # an optimizer holding it sees the new values
    for (name, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)


def test_load_state_dict_refuses_a_wrong_shape_naming_both_shapes():
    model = TwoLayers()
    state = model.state_dict()
    state["blocks.1.weight"] = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"'blocks\.1\.weight'.*\(2, 4\).*\(3, 4\)"):
        model.load_state_dict(state)


def test_load_state_dict_refuses_wrong_keys_and_loads_nothing():
    model = TwoLayers()
    before = model.first.weight.data.copy()
    state = {name: value + 1 for name, value in model.state_dict().items()}
    state["first.wieght"] = state.pop("first.weight")
    with pytest.raises(KeyError, match=r"missing keys \['first.weight'\].*\['first.wieght'\]"):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model.first.weight.data, before)


def test_save_and_load_round_trip_through_npz(tmp_path):
    source, target = TwoLayers(), TwoLayers()
    for p in source.parameters():
        p.data *= -3.0
    source.save(tmp_path / "model.npz")
    target.load(tmp_path / "model.npz")
    x = Tensor(normal(5, 3))
    np.testing.assert_array_equal(source(x).data, target(x).data)


def test_load_refuses_a_file_of_another_model(tmp_path):
    nn.Linear(3, 5).save(tmp_path / "other.npz")
    with pytest.raises(ValueError, match=r"'weight'.*\(4, 3\).*\(5, 3\)"):
        nn.Linear(3, 4).load(tmp_path / "other.npz")


# ---- Linear -----------------------------------------------------------------------------------


def test_linear_computes_x_times_weight_transposed_plus_bias():
    layer = nn.Linear(3, 2, rng=0)
    x = normal(4, 3)
    expected = x @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(layer(Tensor(x)).data, expected, rtol=1e-14)


def test_linear_is_one_node():
    layer = nn.Linear(3, 2)
    out = layer(Tensor(normal(4, 3)))
    assert out._op == "linear"
    assert out._parents == (out._parents[0], layer.weight, layer.bias)


def test_linear_has_pytorch_shapes_and_init_range():
    layer = nn.Linear(50, 400, rng=0)
    assert layer.weight.shape == (400, 50) and layer.bias.shape == (400,)
    bound = 1 / np.sqrt(50)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > 0.95 * bound  # uniform over the whole range
    assert abs(layer.weight.data.mean()) < 0.01


def test_linear_without_bias_has_one_parameter():
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None and len(layer.parameters()) == 1
    x = normal(4, 3)
    np.testing.assert_allclose(layer(Tensor(x)).data, x @ layer.weight.data.T)


def test_linear_gradients_match_finite_differences():
    layer = nn.Linear(3, 2, rng=0)
    x = leaf(normal(4, 3))
    assert gradcheck(lambda x, w, b: nn.functional.linear(x, w, b), x, layer.weight, layer.bias)


def test_linear_refuses_an_input_of_the_wrong_size():
    with pytest.raises(ValueError, match=r"\(4, 5\).*in_features 3"):
        nn.Linear(3, 2)(Tensor(normal(4, 5)))


def test_linear_refuses_a_size_that_is_not_a_positive_int():
    with pytest.raises(ValueError, match="in_features must be a positive int, got 0"):
        nn.Linear(0, 2)


# ---- seeds and dtypes -----------------------------------------------------------------------


@pytest.mark.parametrize("layer", [nn.Linear, nn.RNNCell, nn.LSTMCell, nn.GRUCell, nn.LSTM])
def test_init_is_reproducible_from_an_rng_seed(layer):
    a, b, c = layer(3, 4, rng=7), layer(3, 4, rng=7), layer(3, 4, rng=8)
    for (name, p), (_, q), (_, r) in zip(
        a.named_parameters(), b.named_parameters(), c.named_parameters()
    ):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)
        assert not np.array_equal(p.data, r.data), name


def test_init_is_reproducible_from_manual_seed():
    minigrad.manual_seed(3)
    first = nn.LSTM(2, 5).state_dict()
    minigrad.manual_seed(3)
    again = nn.LSTM(2, 5).state_dict()
    for name in first:
        np.testing.assert_array_equal(first[name], again[name], err_msg=name)


def test_parameters_are_float64_by_default_and_float32_on_request():
    assert all(p.dtype == np.float64 for p in nn.LSTMCell(2, 3).parameters())
    cell = nn.LSTMCell(2, 3, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in cell.parameters())
    h, c = cell(Tensor(normal(4, 2), dtype=np.float32))
    assert h.dtype == c.dtype == np.float32


# ---- LSTMCell -----------------------------------------------------------------------------


def numpy_lstm_step(cell, x, h, c):
    """The LSTM equations, written with numpy from PyTorch's documentation."""
    H = cell.hidden_size
    pre = (
        x @ cell.weight_ih.data.T + cell.bias_ih.data + h @ cell.weight_hh.data.T
    ) + cell.bias_hh.data
    i, f = sigmoid(pre[:, :H]), sigmoid(pre[:, H : 2 * H])
    g, o = np.tanh(pre[:, 2 * H : 3 * H]), sigmoid(pre[:, 3 * H :])
    if not cell.forget_gate:
        f = np.ones_like(f)
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new, (i, f, g, o)


def test_lstm_cell_has_pytorch_shapes():
    cell = nn.LSTMCell(3, 5)
    shapes = {name: p.shape for name, p in cell.named_parameters()}
    assert shapes == {
        "weight_ih": (20, 3),
        "weight_hh": (20, 5),
        "bias_ih": (20,),
        "bias_hh": (20,),
    }


@pytest.mark.parametrize("forget_gate", [True, False])
def test_lstm_cell_step_follows_the_equations(forget_gate):
    cell = nn.LSTMCell(3, 5, forget_bias=1.0, forget_gate=forget_gate, rng=0)
    x, h, c = normal(4, 3, seed=1), normal(4, 5, seed=2), normal(4, 5, seed=3)
    h_new, c_new, gates = cell.step(Tensor(x), (Tensor(h), Tensor(c)))
    expected_h, expected_c, expected_gates = numpy_lstm_step(cell, x, h, c)
    np.testing.assert_allclose(h_new.data, expected_h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c_new.data, expected_c, rtol=1e-12, atol=1e-14)
    for name, got, expected in zip(gates._fields, gates, expected_gates):
        np.testing.assert_allclose(got.data, expected, rtol=1e-12, atol=1e-14, err_msg=name)


def test_lstm_cell_gates_are_named_and_in_range():
    cell = nn.LSTMCell(3, 5, rng=0)
    _, _, gates = cell.step(Tensor(5 * normal(64, 3)))
    assert gates._fields == ("input", "forget", "candidate", "output")
    for sigmoid_gate in (gates.input, gates.forget, gates.output):
        assert np.all((sigmoid_gate.data > 0) & (sigmoid_gate.data < 1))
    assert np.all(np.abs(gates.candidate.data) < 1)
    assert gates.candidate.data.min() < 0 < gates.candidate.data.max()


def test_lstm_cell_starts_from_zeros_without_a_state():
    cell = nn.LSTMCell(3, 5, rng=0)
    x = Tensor(normal(4, 3))
    h, c = cell(x)
    h0, c0 = cell(x, (minigrad.zeros(4, 5), minigrad.zeros(4, 5)))
    np.testing.assert_array_equal(h.data, h0.data)
    np.testing.assert_array_equal(c.data, c0.data)


def test_forget_bias_is_added_to_the_forget_rows_of_bias_ih():
    plain, biased = nn.LSTMCell(3, 5, rng=0), nn.LSTMCell(3, 5, forget_bias=1.0, rng=0)
    difference = biased.bias_ih.data - plain.bias_ih.data
    np.testing.assert_allclose(difference, np.repeat([0.0, 1.0, 0.0, 0.0], 5))
    np.testing.assert_array_equal(biased.bias_hh.data, plain.bias_hh.data)


def test_input_bias_is_added_to_the_input_rows_of_bias_ih():
    plain, biased = nn.LSTMCell(3, 5, rng=0), nn.LSTMCell(3, 5, input_bias=-2.0, rng=0)
    difference = biased.bias_ih.data - plain.bias_ih.data
    np.testing.assert_allclose(difference, np.repeat([-2.0, 0.0, 0.0, 0.0], 5))
    np.testing.assert_array_equal(biased.bias_hh.data, plain.bias_hh.data)
    layer = nn.LSTM(3, 5, num_layers=2, input_bias=-2.0, forget_gate=False, rng=0)
    for cell in layer.cells:
        assert np.all(cell.bias_ih.data[:5] < -1.5) and not cell.forget_gate


def test_forget_bias_opens_the_forget_gate_at_init():
    x = Tensor(normal(256, 3))
    closed = nn.LSTMCell(3, 8, rng=0).step(x)[2].forget.data.mean()
    opened = nn.LSTMCell(3, 8, forget_bias=1.0, rng=0).step(x)[2].forget.data.mean()
    assert abs(closed - 0.5) < 0.1 and abs(opened - sigmoid(1.0)) < 0.1


def test_without_forget_gate_the_cell_state_carries_the_error_unchanged():
    cell = nn.LSTMCell(3, 5, forget_gate=False, rng=0)
    c = leaf(normal(4, 5))
    for step in (cell.step, cell.forward):
        c.grad = None
        c_new = step(Tensor(normal(4, 3)), (Tensor(normal(4, 5)), c))[1]
        c_new.sum().backward()
        np.testing.assert_array_equal(c.grad, np.ones((4, 5)))  # dc'/dc = f = 1


def test_with_forget_gate_the_error_through_the_cell_state_is_scaled_by_f():
    cell = nn.LSTMCell(3, 5, rng=0)
    c = leaf(normal(4, 5))
    _, c_new, gates = cell.step(Tensor(normal(4, 3)), (Tensor(normal(4, 5)), c))
    c_new.sum().backward()
    np.testing.assert_allclose(c.grad, gates.forget.data, rtol=1e-14)


def fused_and_readable_gradients(cell, x, h, c, use_fused: bool):
    """Values and gradients of a loss that uses both outputs, through step() or forward()."""
    weights = np.random.default_rng(9).standard_normal((2, *h.shape))
    for tensor in (x, h, c, *cell.parameters()):
        tensor.grad = None
    h_new, c_new = cell(x, (h, c)) if use_fused else cell.step(x, (h, c))[:2]
    ((h_new * weights[0]).sum() + (c_new * c_new * weights[1]).sum()).backward()
    tensors = (x, h, c, *cell.parameters())
    return [h_new.data, c_new.data] + [t.grad for t in tensors]


@pytest.mark.parametrize("forget_gate", [True, False])
def test_fused_lstm_cell_matches_the_gate_by_gate_cell(forget_gate):
    cell = nn.LSTMCell(3, 6, forget_bias=1.0, forget_gate=forget_gate, rng=0)
    x, h, c = leaf(normal(5, 3, seed=1)), leaf(normal(5, 6, seed=2)), leaf(normal(5, 6, seed=3))
    readable = fused_and_readable_gradients(cell, x, h, c, use_fused=False)
    fast = fused_and_readable_gradients(cell, x, h, c, use_fused=True)
    names = ["h'", "c'", "x", "h", "c", "weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    for name, a, b in zip(names, readable, fast):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14, err_msg=name)


def test_fused_lstm_matches_the_gate_by_gate_cell_through_time():
    cell = nn.LSTMCell(2, 4, forget_bias=1.0, rng=0)
    xs = Tensor(normal(30, 3, 2))

    def run(step):
        cell.zero_grad()
        state = None
        for t in range(30):
            state = step(xs[t], state)[:2]
        (state[0] ** 2).sum().backward()
        return [p.grad.copy() for p in cell.parameters()]

    for a, b in zip(run(cell.step), run(cell.forward)):
        np.testing.assert_allclose(b, a, rtol=1e-11, atol=1e-14)


def test_fused_lstm_cell_gradients_match_finite_differences():
    cell = nn.LSTMCell(2, 3, forget_bias=1.0, rng=0)
    x, h, c = leaf(normal(4, 2, seed=1)), leaf(normal(4, 3, seed=2)), leaf(normal(4, 3, seed=3))

    def both_outputs(x, h, c, *weights):
        h_new, c_new = fused.lstm_cell(x, h, c, *weights)
        return minigrad.cat([h_new, c_new], axis=1)

    assert gradcheck(both_outputs, x, h, c, *cell.parameters())


@gradient_settings
@given(
    batch=st.integers(1, 4),
    inputs=st.integers(1, 3),
    hidden=st.integers(1, 4),
    forget_gate=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_fused_lstm_step_gradients_match_finite_differences_on_random_inputs(
    batch, inputs, hidden, forget_gate, seed
):
    rng = np.random.default_rng(seed)
    cell = nn.LSTMCell(inputs, hidden, forget_bias=rng.normal(), forget_gate=forget_gate, rng=seed)
    x, h, c = (leaf(rng.normal(size=(batch, n))) for n in (inputs, hidden, hidden))
    mix = rng.normal(size=(batch, 2 * hidden))

    def both_outputs(x, h, c, *weights):
        h_new, c_new = fused.lstm_cell(x, h, c, *weights, forget_gate)
        return minigrad.cat([h_new, c_new], axis=1) * Tensor(mix)

    assert gradcheck(both_outputs, x, h, c, *cell.parameters())


def test_fused_lstm_step_is_two_nodes():
    cell = nn.LSTMCell(2, 3)
    state = (leaf(normal(4, 3)), leaf(normal(4, 3)))
    h, c = cell(Tensor(normal(4, 2)), state)
    graph = topological_order(minigrad.cat([h, c], axis=1))
    ops = sorted(node._op for node in graph if node._parents)
    assert ops == ["cat", "lstm_step_cell", "lstm_step_hidden"]


@pytest.mark.parametrize("forget_gate", [True, False])
def test_the_three_lstm_kernels_chained_are_the_fused_step(forget_gate):
    """lstm_gates, lstm_cell_state and lstm_hidden_state (the grader's references) against
    lstm_cell, values and gradients."""
    cell = nn.LSTMCell(3, 4, forget_bias=1.0, forget_gate=forget_gate, rng=0)
    x, h, c = leaf(normal(5, 3, seed=1)), leaf(normal(5, 4, seed=2)), leaf(normal(5, 4, seed=3))
    weights = cell.parameters()

    def chained(x, h, c, *weights):
        gates = fused.lstm_gates(x, h, *weights, forget_gate)
        c_new = fused.lstm_cell_state(gates, c)
        return minigrad.cat([fused.lstm_hidden_state(gates, c_new), c_new], axis=1)

    def step(x, h, c, *weights):
        return minigrad.cat(list(fused.lstm_cell(x, h, c, *weights, forget_gate)), axis=1)

    mix = Tensor(normal(5, 8, seed=4))
    results = []
    for run in (chained, step):
        for t in (x, h, c, *weights):
            t.grad = None
        out = run(x, h, c, *weights)
        (out * mix).sum().backward()
        results.append([out.data] + [t.grad for t in (x, h, c, *weights)])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)


def test_fused_lstm_step_with_only_its_cell_state_used():
    # h' gets no gradient: the c' node finds no do handed over, and uses 0
    cell = nn.LSTMCell(3, 4, rng=0)
    x, h, c = leaf(normal(5, 3, seed=1)), leaf(normal(5, 4, seed=2)), leaf(normal(5, 4, seed=3))
    grads = []
    for run in (cell.step, cell.forward):
        for t in (x, h, c, *cell.parameters()):
            t.grad = None
        (run(x, (h, c))[1] ** 2).sum().backward()
        grads.append([t.grad for t in (x, h, c, *cell.parameters())])
    for a, b in zip(*grads):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)


def test_fused_lstm_step_backward_twice_uses_no_stale_output_gate_gradient():
    # one backward through h', then one from c' alone, on the same graph
    cell = nn.LSTMCell(3, 4, rng=0)
    x, h, c = leaf(normal(5, 3, seed=1)), leaf(normal(5, 4, seed=2)), leaf(normal(5, 4, seed=3))
    h_new, c_new = cell(x, (h, c))
    h_new.sum().backward()
    cell.zero_grad()
    c_new.sum().backward()
    fast = [p.grad.copy() for p in cell.parameters()]
    cell.zero_grad()
    cell.step(x, (h, c))[1].sum().backward()
    for a, b in zip([p.grad for p in cell.parameters()], fast):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)


def test_lstm_cell_refuses_an_input_of_the_wrong_size():
    cell = nn.LSTMCell(3, 5)
    with pytest.raises(ValueError, match=r"LSTMCell: input x must have shape \(B, 3\).*\(4, 2\)"):
        cell(Tensor(normal(4, 2)))
    with pytest.raises(ValueError, match=r"\(B, 3\).*got \(3,\)"):
        cell.step(Tensor(normal(3)))


def test_lstm_cell_refuses_a_state_of_the_wrong_shape():
    cell = nn.LSTMCell(3, 5)
    x = Tensor(normal(4, 3))
    with pytest.raises(ValueError, match=r"hidden state must have shape \(4, 5\).*\(4, 6\)"):
        cell(x, (minigrad.zeros(4, 6), minigrad.zeros(4, 5)))
    with pytest.raises(ValueError, match=r"cell state must have shape \(4, 5\).*\(2, 5\)"):
        cell(x, (minigrad.zeros(4, 5), minigrad.zeros(2, 5)))
    with pytest.raises(TypeError, match=r"pair \(h, c\)"):
        cell(x, minigrad.zeros(4, 5))


# ---- RNNCell and GRUCell ---------------------------------------------------------------------


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_cell_follows_the_equation(nonlinearity):
    cell = nn.RNNCell(3, 5, nonlinearity=nonlinearity, rng=0)
    x, h = normal(4, 3, seed=1), normal(4, 5, seed=2)
    pre = x @ cell.weight_ih.data.T + cell.bias_ih.data + h @ cell.weight_hh.data.T
    pre += cell.bias_hh.data
    expected = np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0)
    np.testing.assert_allclose(cell(Tensor(x), Tensor(h)).data, expected, rtol=1e-12)


def test_rnn_cell_has_pytorch_shapes_and_init_range():
    cell = nn.RNNCell(3, 100, rng=0)
    assert cell.weight_ih.shape == (100, 3) and cell.weight_hh.shape == (100, 100)
    assert cell.bias_ih.shape == cell.bias_hh.shape == (100,)
    assert np.abs(cell.weight_hh.data).max() <= 0.1 < 1.05 * np.abs(cell.weight_hh.data).max()


def test_rnn_cell_refuses_an_unknown_nonlinearity():
    with pytest.raises(ValueError, match="'tanh' or 'relu', got 'sigmoid'"):
        nn.RNNCell(3, 5, nonlinearity="sigmoid")


def test_rnn_cell_refuses_a_hidden_state_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"RNNCell: hidden state must have shape \(4, 5\)"):
        nn.RNNCell(3, 5)(Tensor(normal(4, 3)), Tensor(normal(5, 4)))


@pytest.mark.parametrize("readable", [False, True], ids=["forward", "step"])
def test_gru_cell_follows_pytorchs_equations(readable):
    cell = nn.GRUCell(3, 5, rng=0)
    x, h = normal(4, 3, seed=1), normal(4, 5, seed=2)
    gi = x @ cell.weight_ih.data.T + cell.bias_ih.data
    gh = h @ cell.weight_hh.data.T + cell.bias_hh.data
    r = sigmoid(gi[:, :5] + gh[:, :5])
    z = sigmoid(gi[:, 5:10] + gh[:, 5:10])
    n = np.tanh(gi[:, 10:] + r * gh[:, 10:])
    expected = (1 - z) * n + z * h
    h_new = cell.step(Tensor(x), Tensor(h))[0] if readable else cell(Tensor(x), Tensor(h))
    np.testing.assert_allclose(h_new.data, expected, rtol=1e-12)
    assert cell.weight_ih.shape == (15, 3) and cell.weight_hh.shape == (15, 5)


def test_gru_cell_step_returns_its_gates_in_range():
    cell = nn.GRUCell(3, 5, rng=0)
    h_new, gates = cell.step(Tensor(5 * normal(64, 3)))
    assert gates._fields == ("reset", "update", "candidate")
    for sigmoid_gate in (gates.reset, gates.update):
        assert np.all((sigmoid_gate.data > 0) & (sigmoid_gate.data < 1))
    assert np.all(np.abs(gates.candidate.data) < 1)
    # from h = 0: h' = (1 - z) n
    np.testing.assert_allclose(h_new.data, (1 - gates.update.data) * gates.candidate.data)


def test_fused_gru_cell_matches_the_gate_by_gate_cell():
    cell = nn.GRUCell(3, 6, rng=0)
    x, h = leaf(normal(5, 3, seed=1)), leaf(normal(5, 6, seed=2))
    weights = normal(5, 6, seed=3)
    results = []
    for run in (lambda: cell.step(x, h)[0], lambda: cell(x, h)):
        for tensor in (x, h, *cell.parameters()):
            tensor.grad = None
        h_new = run()
        (h_new * h_new * weights).sum().backward()
        results.append([h_new.data] + [t.grad for t in (x, h, *cell.parameters())])
    names = ["h'", "x", "h", "weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    for name, a, b in zip(names, *results):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14, err_msg=name)


def test_fused_gru_step_is_two_nodes():
    cell = nn.GRUCell(2, 3)
    h_new = cell(Tensor(normal(4, 2)), leaf(normal(4, 3)))
    ops = sorted(node._op for node in topological_order(h_new) if node._parents)
    assert ops == ["gru_gates", "gru_hidden_state"]


@pytest.mark.parametrize(
    "make_cell",
    [lambda: nn.RNNCell(2, 3, rng=0), lambda: nn.RNNCell(2, 3, "relu"), lambda: nn.GRUCell(2, 3)],
    ids=["rnn_tanh", "rnn_relu", "gru_fused"],
)
def test_rnn_and_gru_cell_gradients_match_finite_differences(make_cell):
    cell = make_cell()
    x, h = leaf(normal(4, 2, seed=1)), leaf(normal(4, 3, seed=2))
    weights = cell.parameters()

    def step(x, h, *parameters):
        return cell(x, h)

    assert gradcheck(step, x, h, *weights)


def test_gru_cell_refuses_an_input_of_the_wrong_size():
    with pytest.raises(ValueError, match=r"GRUCell: input x must have shape \(B, 3\).*\(4, 1\)"):
        nn.GRUCell(3, 5)(Tensor(normal(4, 1)))


# ---- layers over a sequence --------------------------------------------------------------------


@pytest.mark.parametrize("layer_type", [nn.RNN, nn.GRU, nn.LSTM])
def test_sequence_layer_returns_every_hidden_state_and_the_final_state(layer_type):
    layer = layer_type(3, 5, rng=0)
    output, final = layer(Tensor(normal(7, 4, 3)))
    assert output.shape == (7, 4, 5)
    h_n = final[0] if layer_type is nn.LSTM else final
    assert h_n.shape == (1, 4, 5)
    np.testing.assert_array_equal(h_n.data[0], output.data[-1])


@pytest.mark.parametrize("layer_type", [nn.RNN, nn.GRU, nn.LSTM])
def test_sequence_layer_is_its_cell_run_step_by_step(layer_type):
    layer = layer_type(3, 5, rng=0)
    xs = normal(6, 4, 3)
    cell, state = layer.cells[0], None
    for t in range(6):
        state = cell(Tensor(xs[t]), state)
    output, final = layer(Tensor(xs))
    h = state[0] if layer_type is nn.LSTM else state
    np.testing.assert_allclose(output.data[-1], h.data, rtol=1e-14)
    if layer_type is nn.LSTM:
        np.testing.assert_allclose(final[1].data[0], state[1].data, rtol=1e-14)


def test_lstm_layer_starts_from_the_given_state():
    layer = nn.LSTM(3, 5, rng=0)
    h0, c0 = normal(1, 4, 5, seed=1), normal(1, 4, 5, seed=2)
    xs = normal(3, 4, 3)
    output, _ = layer(Tensor(xs), (Tensor(h0), Tensor(c0)))
    h, c = layer.cells[0](Tensor(xs[0]), (Tensor(h0[0]), Tensor(c0[0])))
    np.testing.assert_allclose(output.data[0], h.data, rtol=1e-14)


@pytest.mark.parametrize("layer_type", [nn.RNN, nn.GRU, nn.LSTM])
def test_batch_first_gives_the_same_result_transposed(layer_type):
    xs = normal(6, 4, 3)
    time_major = layer_type(3, 5, rng=0)
    batch_major = layer_type(3, 5, batch_first=True, rng=0)
    a, _ = time_major(Tensor(xs))
    b, _ = batch_major(Tensor(xs.transpose(1, 0, 2)))
    assert b.shape == (4, 6, 5)
    np.testing.assert_allclose(b.data, a.data.transpose(1, 0, 2), rtol=1e-14)


def test_stacked_layers_feed_each_layer_the_hidden_states_of_the_one_below():
    layer = nn.GRU(3, 5, num_layers=2, rng=0)
    assert [name for name, _ in layer.named_parameters()][4] == "cells.1.weight_ih"
    assert layer.cells[1].weight_ih.shape == (15, 5)
    xs = Tensor(normal(6, 4, 3))
    output, h_n = layer(xs)
    assert output.shape == (6, 4, 5) and h_n.shape == (2, 4, 5)
    below, _ = nn.GRU(3, 5, rng=0)(xs)  # the same first layer: the same seed, drawn first
    np.testing.assert_allclose(h_n.data[0], below.data[-1], rtol=1e-14)


def test_lstm_layer_gradients_reach_every_parameter_and_the_input():
    layer = nn.LSTM(2, 3, num_layers=2, rng=0)
    xs = leaf(normal(5, 4, 2))
    output, (h_n, c_n) = layer(xs)
    (output.sum() + c_n.sum()).backward()
    assert xs.grad.shape == (5, 4, 2) and np.all(xs.grad != 0)
    assert all(p.grad is not None and np.any(p.grad != 0) for p in layer.parameters())


def test_lstm_layer_gradients_match_finite_differences():
    layer = nn.LSTM(2, 3, rng=0)
    xs = leaf(normal(4, 2, 2))

    def run(xs, *parameters):
        output, (h_n, c_n) = layer(xs)
        return minigrad.cat([output.reshape(8, 3), c_n[0]], axis=0)

    assert gradcheck(run, xs, *layer.parameters())


@pytest.mark.parametrize("layer_type", [nn.RNN, nn.GRU, nn.LSTM])
def test_sequence_layer_refuses_an_input_of_the_wrong_shape(layer_type):
    layer = layer_type(3, 5)
    with pytest.raises(ValueError, match=r"\(T, B, I\) with I = 3, got \(4, 3\)"):
        layer(Tensor(normal(4, 3)))
    with pytest.raises(ValueError, match=r"\(B, T, I\) with I = 3, got \(2, 4, 2\)"):
        layer_type(3, 5, batch_first=True)(Tensor(normal(2, 4, 2)))


def test_sequence_layer_refuses_a_state_of_the_wrong_shape():
    xs = Tensor(normal(6, 4, 3))
    with pytest.raises(ValueError, match=r"RNN: h_0 must have shape \(1, 4, 5\).*\(4, 5\)"):
        nn.RNN(3, 5)(xs, Tensor(normal(4, 5)))
    with pytest.raises(ValueError, match=r"LSTM: c_0 must have shape \(2, 4, 5\).*\(1, 4, 5\)"):
        nn.LSTM(3, 5, num_layers=2)(xs, (Tensor(normal(2, 4, 5)), Tensor(normal(1, 4, 5))))


def test_fused_lstm_step_keeps_gradients_a_caller_can_reach_and_makes_no_internal_tensor():
    cell = nn.LSTMCell(3, 4, rng=0)
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    h, c = cell(x)
    h_next, c_next = cell(x, (h, c))
    (h_next.sum() + c_next.sum()).backward()
    for reachable in (x, h, c, h_next, c_next, cell.weight_ih, cell.bias_hh):
        assert reachable.grad is not None
    assert h_next._parents == (c_next,), "h' is made from c' alone: the gates are no tensor"
