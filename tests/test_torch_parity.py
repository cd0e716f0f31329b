"""minigrad agrees with PyTorch: the recurrent cells and layers, forward and backward, and
the optimizers, from the same weights and inputs, to float64 round-off.

Skipped when torch is not installed; torch is never a dependency of minigrad.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from minigrad import Tensor, nn, optim  # noqa: E402

TOLERANCE = 1e-10


def normal(*shape, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def copy_weights(ours: nn.Module, theirs: torch.nn.Module) -> None:
    """Give the torch module our weights: the parameter names and layouts are the same."""
    state = {name: torch.from_numpy(value) for name, value in ours.state_dict().items()}
    theirs.load_state_dict(state)


def assert_close(ours: np.ndarray, theirs: torch.Tensor, what: str) -> None:
    np.testing.assert_allclose(
        ours, theirs.detach().numpy(), rtol=TOLERANCE, atol=TOLERANCE, err_msg=what
    )


def torch_leaf(array: np.ndarray) -> torch.Tensor:
    return torch.tensor(array, dtype=torch.float64, requires_grad=True)


def our_leaf(array: np.ndarray) -> Tensor:
    return Tensor(array.copy(), requires_grad=True)


# ---- cells -----------------------------------------------------------------------------------


CELLS = {
    "rnn_tanh": (
        lambda: nn.RNNCell(3, 5, rng=0),
        lambda: torch.nn.RNNCell(3, 5, dtype=torch.float64),
    ),
    "rnn_relu": (
        lambda: nn.RNNCell(3, 5, nonlinearity="relu", rng=0),
        lambda: torch.nn.RNNCell(3, 5, nonlinearity="relu", dtype=torch.float64),
    ),
    "lstm": (
        lambda: nn.LSTMCell(3, 5, forget_bias=1.0, rng=0),
        lambda: torch.nn.LSTMCell(3, 5, dtype=torch.float64),
    ),
    "gru": (
        lambda: nn.GRUCell(3, 5, rng=0),
        lambda: torch.nn.GRUCell(3, 5, dtype=torch.float64),
    ),
}


@pytest.mark.parametrize(
    ("kind", "readable"),
    [
        ("rnn_tanh", False),
        ("rnn_relu", False),
        ("gru", False),
        ("gru", True),
        ("lstm", False),
        ("lstm", True),
    ],
    ids=[
        "rnn_tanh",
        "rnn_relu",
        "gru_fused",
        "gru_gate_by_gate",
        "lstm_fused",
        "lstm_gate_by_gate",
    ],
)
def test_cell_matches_torch_forward_and_backward(kind, readable):
    make_ours, make_theirs = CELLS[kind]
    ours, theirs = make_ours(), make_theirs()
    copy_weights(ours, theirs)
    is_lstm = kind == "lstm"
    x, h, c = normal(4, 3, seed=1), normal(4, 5, seed=2), normal(4, 5, seed=3)
    out_weights = normal(2, 4, 5, seed=4)

    our_inputs = [our_leaf(a) for a in (x, h, c)]
    their_inputs = [torch_leaf(a) for a in (x, h, c)]
    if is_lstm:
        run = ours.step if readable else ours
        our_h, our_c = run(our_inputs[0], (our_inputs[1], our_inputs[2]))[:2]
        their_h, their_c = theirs(their_inputs[0], (their_inputs[1], their_inputs[2]))
        our_loss = (our_h * out_weights[0]).sum() + (our_c * out_weights[1]).sum()
        their_w = torch.from_numpy(out_weights)
        their_loss = (their_h * their_w[0]).sum() + (their_c * their_w[1]).sum()
        assert_close(our_c.data, their_c, "c'")
    else:
        our_inputs, their_inputs = our_inputs[:2], their_inputs[:2]
        run = ours.step if readable else ours
        our_h = run(our_inputs[0], our_inputs[1])
        our_h = our_h[0] if readable else our_h
        their_h = theirs(their_inputs[0], their_inputs[1])
        our_loss = (our_h * out_weights[0]).sum()
        their_loss = (their_h * torch.from_numpy(out_weights[0])).sum()
    assert_close(our_h.data, their_h, "h'")

    our_loss.backward()
    their_loss.backward()
    for name, (ours_p, theirs_p) in zip(["x", "h", "c"], zip(our_inputs, their_inputs)):
        assert_close(ours_p.grad, theirs_p.grad, f"d/d{name}")
    their_parameters = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, their_parameters[name].grad, f"d/d{name}")


# ---- layers over a sequence --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_sequence_layer_matches_torch(kind, batch_first):
    """The fused layers, from an initial state, with the final states in the loss: outputs,
    final states, and the gradients of the input, the initial state and every parameter."""
    ours = getattr(nn, kind)(3, 4, num_layers=2, batch_first=batch_first, rng=0)
    theirs = getattr(torch.nn, kind)(
        3, 4, num_layers=2, batch_first=batch_first, dtype=torch.float64
    )
    with torch.no_grad():
        for k, cell in enumerate(ours.cells):  # torch names them weight_ih_l0, ...
            for name, p in cell.named_parameters():
                getattr(theirs, f"{name}_l{k}").copy_(torch.from_numpy(p.data))
    xs = normal(2, 6, 3) if batch_first else normal(6, 2, 3)
    starts = [normal(2, 2, 4, seed=6), normal(2, 2, 4, seed=7)][: 2 if kind == "LSTM" else 1]
    our_x, their_x = our_leaf(xs), torch_leaf(xs)
    our_starts, their_starts = [our_leaf(s) for s in starts], [torch_leaf(s) for s in starts]
    pack = tuple if kind == "LSTM" else (lambda states: states[0])
    our_out, our_final = ours(our_x, pack(our_starts))
    their_out, their_final = theirs(their_x, pack(their_starts))
    our_finals = our_final if kind == "LSTM" else (our_final,)
    their_finals = their_final if kind == "LSTM" else (their_final,)
    assert_close(our_out.data, their_out, "output")
    for ours_f, theirs_f in zip(our_finals, their_finals):
        assert_close(ours_f.data, theirs_f, "final state")

    weights = [normal(*our_out.shape, seed=5), normal(2, 2, 4, seed=8), normal(2, 2, 4, seed=9)]
    our_loss = (our_out * weights[0]).sum()
    their_loss = (their_out * torch.from_numpy(weights[0])).sum()
    for k, (ours_f, theirs_f) in enumerate(zip(our_finals, their_finals)):
        our_loss = our_loss + (ours_f * weights[1 + k]).sum()
        their_loss = their_loss + (theirs_f * torch.from_numpy(weights[1 + k])).sum()
    our_loss.backward()
    their_loss.backward()
    assert_close(our_x.grad, their_x.grad, "d/dx")
    for ours_s, theirs_s in zip(our_starts, their_starts):
        assert_close(ours_s.grad, theirs_s.grad, "d/d(initial state)")
    for k, cell in enumerate(ours.cells):
        for name, p in cell.named_parameters():
            assert_close(p.grad, getattr(theirs, f"{name}_l{k}").grad, f"d/d{name}_l{k}")


# ---- optimizers --------------------------------------------------------------------------------


def run_optimizer(make_ours, make_theirs, steps: int = 5):
    """Minimise the same loss with both optimizers from the same start; return both paths."""
    start = normal(3, 4, seed=1)
    target = normal(3, 4, seed=2)
    ours, theirs = our_leaf(start), torch_leaf(start)
    our_opt, their_opt = make_ours([ours]), make_theirs([theirs])
    for _ in range(steps):
        our_opt.zero_grad()
        ((ours - Tensor(target)) ** 4).sum().backward()
        our_opt.step()
        their_opt.zero_grad()
        ((theirs - torch.from_numpy(target)) ** 4).sum().backward()
        their_opt.step()
        assert_close(ours.data, theirs, "parameters after a step")
    return ours, theirs


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_matches_torch(momentum):
    run_optimizer(
        lambda ps: optim.SGD(ps, lr=0.01, momentum=momentum),
        lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=momentum),
    )


@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.9)])
def test_adam_matches_torch(betas):
    run_optimizer(
        lambda ps: optim.Adam(ps, lr=0.05, betas=betas, eps=1e-6),
        lambda ps: torch.optim.Adam(ps, lr=0.05, betas=betas, eps=1e-6),
        steps=20,
    )


@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(max_norm):
    grads = [normal(3, 4, seed=1), normal(5, seed=2)]
    ours = [our_leaf(np.zeros_like(g)) for g in grads]
    theirs = [torch_leaf(np.zeros_like(g)) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = g.copy(), torch.from_numpy(g.copy())
    our_norm = optim.clip_grad_norm_(ours, max_norm)
    their_norm = torch.nn.utils.clip_grad_norm_(theirs, max_norm)
    assert our_norm == pytest.approx(float(their_norm), rel=1e-12)
    for p, q in zip(ours, theirs):
        assert_close(p.grad, q.grad, "clipped gradient")
