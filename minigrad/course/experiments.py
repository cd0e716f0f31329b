"""The measurements that the chapters' plots and widgets share: plain functions that run a
small network and return numpy arrays. They draw nothing; `minigrad.course.viz` and
`minigrad.course.widgets` draw what they return.

Chapter 3: `pulse_memory`.
Chapter 4: `orthogonal_matrix`, `non_normal_matrix`, `rnn_gradient_norms`.
Chapter 5: `lstm_unit_by_hand`.
Chapter 6: `lstm_cell_state_gradients`, `rnn_hidden_state_gradients`, `lstm_step_jacobian`.
"""

from __future__ import annotations

import numpy as np

from minigrad.autograd import no_grad
from minigrad.course.tasks import adding_problem
from minigrad.nn import functional as F
from minigrad.nn.recurrent import LSTMCell, RNNCell
from minigrad.tensor import Tensor, cat, zeros

NONLINEARITIES = ("tanh", "relu", "linear")
RECURRENT_MATRICES = ("orthogonal", "non-normal")


def _check_steps(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


# ---- chapter 3: the hidden state as memory ------------------------------------------------


def pulse_memory(cell, steps: int, pulse: float = 1.0) -> np.ndarray:
    """How long a recurrent cell remembers one input: ||h_t(pulse) - h_t(no pulse)||.

    The cell (an RNNCell, GRUCell or LSTMCell, with a batch of one) is run twice from a zero
    state over `steps` steps of zero input, the first time with `pulse` added to every input
    at t = 0. Returns (steps,): the distance between the two hidden states after each step.
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"pulse_memory: steps must be a positive int, got {steps!r}")
    runs = []
    with no_grad():
        for first_input in (pulse, 0.0):
            inputs = np.zeros((steps, 1, cell.input_size))
            inputs[0] = first_input
            state, hidden = None, []
            for x_t in inputs:
                state = cell(Tensor(x_t), state)
                # an LSTM cell's state is the pair (h, c); the others' is h itself
                hidden.append((state[0] if isinstance(state, tuple) else state).data[0])
            runs.append(np.array(hidden))
    return np.linalg.norm(runs[0] - runs[1], axis=1)


# ---- chapter 4: the vanishing and exploding gradient -------------------------------------


def orthogonal_matrix(size: int, seed: int = 0) -> np.ndarray:
    """A random (size, size) orthogonal matrix Q (Q^T Q = I), the same for the same seed.

    Every singular value of Q is 1 and so is the modulus of every eigenvalue: scaled by rho,
    its spectral radius and its largest singular value are both rho, which makes rho the one
    number that decides whether a linear recurrence shrinks or grows.
    """
    gaussian = np.random.default_rng(seed).standard_normal((size, size))
    q, r = np.linalg.qr(gaussian)
    return q * np.sign(np.diag(r))  # fixes QR's sign choice, so that Q is uniformly random


def non_normal_matrix(size: int, seed: int = 0) -> np.ndarray:
    """A random Gaussian (size, size) matrix scaled to spectral radius 1, the same for the
    same seed.

    Unlike an orthogonal matrix it is not normal (W W^T != W^T W): its largest singular value
    is larger than its spectral radius (1.7 times as large for size 32 and seed 0), so that
    ||W^k||_2 starts above 1 and only for large k shrinks like rho^k (Gelfand's formula).
    """
    gaussian = np.random.default_rng(seed).standard_normal((size, size))
    return gaussian / np.abs(np.linalg.eigvals(gaussian)).max()


def rnn_gradient_norms(
    seq_len: int,
    spectral_radius: float,
    nonlinearity: str = "tanh",
    hidden_size: int = 32,
    input_size: int = 4,
    seed: int = 0,
    matrix: str = "orthogonal",
) -> np.ndarray:
    """||dL/dh_t|| for t = 1..T in an RNN run over a random sequence, with L = sum(h_T).

    The RNN is h_t = act(x_t W_ih^T + b + h_{t-1} W_hh^T), h_0 = 0, with act tanh, relu or
    the identity ("linear"), and W_hh = spectral_radius * M, with M orthogonal
    (`orthogonal_matrix`) or, for matrix="non-normal", Gaussian with spectral radius 1
    (`non_normal_matrix`). Inputs x_t ~ N(0, 1), W_ih and b ~ U(-1/sqrt(H), 1/sqrt(H)), all
    drawn from `seed`, so that only the arguments change between two calls.
    Backward fills `.grad` of every h_t: that is the whole measurement. Returns (T,).
    """
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
    if matrix not in RECURRENT_MATRICES:
        raise ValueError(f"matrix must be one of {RECURRENT_MATRICES}, got {matrix!r}")
    _check_steps("seq_len", seq_len)
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(hidden_size)
    shape = orthogonal_matrix if matrix == "orthogonal" else non_normal_matrix
    weight_hh = Tensor(spectral_radius * shape(hidden_size, seed), requires_grad=True)
    weight_ih = Tensor(rng.uniform(-bound, bound, (hidden_size, input_size)))
    bias = Tensor(rng.uniform(-bound, bound, hidden_size))
    x = rng.standard_normal((seq_len, 1, input_size))

    h = zeros(1, hidden_size)
    hidden_states = []
    for t in range(seq_len):
        pre = F.linear(Tensor(x[t]), weight_ih, bias) + F.linear(h, weight_hh)
        h = pre.tanh() if nonlinearity == "tanh" else pre.relu() if nonlinearity == "relu" else pre
        hidden_states.append(h)
    hidden_states[-1].sum().backward()
    return np.array([np.linalg.norm(h.grad) for h in hidden_states])


# ---- chapter 5: the LSTM cell, gate by gate ------------------------------------------------


def lstm_unit_by_hand(
    forget: float, input: float, candidate: float, output: float, c0: float = 0.0, steps: int = 40
) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM unit whose gates are held at the given values for `steps` steps:

        c_t = f c_{t-1} + i g,    h_t = o tanh(c_t),    t = 1..steps, starting from c_0.

    Returns (c, h), each (steps + 1,): c[0] = c0 and h[0] = o tanh(c0), then one entry per step.
    f, i and o are gate values in [0, 1]; g, the candidate, is in [-1, 1]. With the gates
    held, dc_T/dc_0 = f^T.
    """
    for name, value in (("forget", forget), ("input", input), ("output", output)):
        if not 0 <= value <= 1:
            raise ValueError(f"the {name} gate is a sigmoid: it must be in [0, 1], got {value}")
    if not -1 <= candidate <= 1:
        raise ValueError(f"candidate must be in [-1, 1] (a tanh), got {candidate}")
    _check_steps("steps", steps)
    c = np.empty(steps + 1)
    c[0] = c0
    for t in range(1, steps + 1):
        c[t] = forget * c[t - 1] + input * candidate  # keep a fraction f, write i g
    return c, output * np.tanh(c)


# ---- chapter 6: constant error flow --------------------------------------------------------


def lstm_cell_state_gradients(
    seq_len: int,
    forget_bias: float = 1.0,
    forget_gate: bool = True,
    hidden_size: int = 16,
    seed: int = 0,
) -> np.ndarray:
    """|dL/dc_t| for every step and unit of a freshly initialised `LSTMCell`, L = sum(h_T).

    The cell (`forget_bias` and `forget_gate` as in `LSTMCell`; forget_gate=False is the 1997
    cell, f = 1) reads one adding-problem sequence of `seq_len` steps; weights and sequence
    come from `seed`. Every path is open: c_t.grad holds the error that reaches c_t along the
    cell state and through h_t and the gates. Returns (T, H): row t-1 holds |dL/dc_t|.
    """
    _check_steps("seq_len", seq_len)
    cell = LSTMCell(2, hidden_size, forget_bias=forget_bias, forget_gate=forget_gate, rng=seed)
    x, _ = adding_problem(1, seq_len, rng=seed)
    state, cell_states = None, []
    for x_t in x:
        state = cell(Tensor(x_t), state)
        cell_states.append(state[1])
    state[0].sum().backward()
    return np.abs(np.concatenate([c.grad for c in cell_states]))


def rnn_hidden_state_gradients(seq_len: int, hidden_size: int = 16, seed: int = 0) -> np.ndarray:
    """|dL/dh_t| for every step and unit of a freshly initialised tanh `RNNCell`, L = sum(h_T),
    on the same sequence as `lstm_cell_state_gradients` with the same seed. Returns (T, H)."""
    _check_steps("seq_len", seq_len)
    cell = RNNCell(2, hidden_size, rng=seed)
    x, _ = adding_problem(1, seq_len, rng=seed)
    h, hidden_states = None, []
    for x_t in x:
        h = cell(Tensor(x_t), h)
        hidden_states.append(h)
    h.sum().backward()
    return np.abs(np.concatenate([h_t.grad for h_t in hidden_states]))


def lstm_step_jacobian(cell: LSTMCell, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The full Jacobian of one LSTM step, d(h_t, c_t) / d(h_{t-1}, c_{t-1}), every path
    included (along c, and through h_{t-1} into the gates). x: (I,), h and c: (H,).

    Returns (2H, 2H): entry [i, j] is d(state_t)_i / d(state_{t-1})_j, the state being h
    followed by c. A row vector of errors e over (h_t, c_t) goes back one step as e @ J.
    Computed by autograd: the step runs on a batch of 2H copies of the same state, and copy
    r backpropagates the r-th unit vector, so that its input gradient is row r of J.
    Like any backward, it adds to the `.grad` of the cell's weights.
    """
    H = cell.hidden_size
    h_in = Tensor(np.tile(h, (2 * H, 1)), requires_grad=True)
    c_in = Tensor(np.tile(c, (2 * H, 1)), requires_grad=True)
    h_out, c_out = cell(Tensor(np.tile(x, (2 * H, 1))), (h_in, c_in))
    (cat([h_out, c_out], axis=1) * np.eye(2 * H)).sum().backward()
    return np.concatenate([h_in.grad, c_in.grad], axis=1)
