"""Recurrent layers: the LSTM, plain RNN and GRU cells, and the layers that run them over a
sequence. Names, weight layouts and equations are PyTorch's.

A cell computes one time step, `(x_t, state) -> state'`, with x_t: (B, I) and each state
tensor (B, H). A layer (`LSTM`, `RNN`, `GRU`) runs its cell over every step of x: (T, B, I),
each layer as one graph node with a hand-written backward through time (sequence.py).
The LSTM cell comes first: it is what the course builds up to.

Every cell draws its weights from U(-1/sqrt(H), 1/sqrt(H)), as PyTorch does; `rng` (a seed
or a numpy Generator) makes them reproducible, and None uses `minigrad.manual_seed`'s.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from minigrad.nn import functional as F
from minigrad.nn import fused, sequence
from minigrad.nn.module import Module, check_size, uniform_parameter
from minigrad.rng import get_rng
from minigrad.tensor import Tensor, ones, stack, zeros

# ---- LSTM --------------------------------------------------------------------------------


class LSTMCell(Module):
    """Long short-term memory (Hochreiter & Schmidhuber 1997; forget gate: Gers, Schmidhuber
    & Cummins 2000). State: a hidden state h and a cell state c, each (B, H).

        i  = σ(W_ii x + b_ii + W_hi h + b_hi)     input gate
        f  = σ(W_if x + b_if + W_hf h + b_hf)     forget gate
        g  = tanh(W_ig x + b_ig + W_hg h + b_hg)  candidate
        o  = σ(W_io x + b_io + W_ho h + b_ho)     output gate
        c' = f * c + i * g
        h' = o * tanh(c')

    weight_ih: (4H, I), weight_hh: (4H, H), bias_ih and bias_hh: (4H,), the four gates
    stacked in the order i, f, g, o (rows k*H to (k+1)*H belong to gate k).

    forget_bias: added to the forget gate's bias (in bias_ih) at init. 1.0 makes f start
    near σ(1) ~ 0.73, so that the cell keeps its memory until it learns what to forget.
    input_bias: added to the input gate's bias at init. A negative one starts the input gate
    nearly shut, so that irrelevant inputs do not pile up in the cell state before the gate
    has learned when to open: the 1997 paper's remedy for "internal state drift" (section 4).
    forget_gate=False gives the original 1997 cell: f = 1, so that c' = c + i * g carries
    the error back unchanged through time. (The f rows of the weights are then unused.)

    `cell(x, (h, c))`: x (B, I), the state or None for zeros; returns (h', c').
    `cell.step(x, (h, c))` computes the same gate by gate and also returns the gates.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        forget_bias: float = 0.0,
        forget_gate: bool = True,
        rng=None,
        dtype=None,
        input_bias: float = 0.0,
    ) -> None:
        self.forget_gate = forget_gate
        init_cell_weights(self, input_size, hidden_size, 4, rng, dtype)
        H = hidden_size
        self.bias_ih.data[:H] += input_bias
        self.bias_ih.data[H : 2 * H] += forget_bias

    def step(self, x: Tensor, state: tuple[Tensor, Tensor] | None = None):
        """One time step, gate by gate. x: (B, I); state: (h, c), each (B, H), or None for
        zeros. Returns (h', c', gates): the new state and the gate activations (`LSTMGates`,
        each (B, H)), to look at what the cell does."""
        x, (h, c) = _check_lstm_input(self, x, state)
        # All four gates see the same x and h: one matrix product each for x and h, then
        # the (B, 4H) result is cut into the four gates' pre-activations, in order i, f, g, o.
        pre = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        pre_i, pre_f, pre_g, pre_o = pre.chunk(4, axis=1)

        if self.forget_gate:  # forget gate:  f = σ(W_if x + b_if + W_hf h + b_hf)
            forget = pre_f.sigmoid()
        else:  # the 1997 cell has none: f = 1, the cell state is kept whole
            forget = ones(c.shape, dtype=c.dtype)
        input = pre_i.sigmoid()  # input gate:  i = σ(W_ii x + b_ii + W_hi h + b_hi)
        candidate = pre_g.tanh()  # candidate:  g = tanh(W_ig x + b_ig + W_hg h + b_hg)
        c_new = forget * c + input * candidate  # cell update:  c' = f * c + i * g
        output = pre_o.sigmoid()  # output gate:  o = σ(W_io x + b_io + W_ho h + b_ho)
        h_new = output * c_new.tanh()  # hidden state:  h' = o * tanh(c')

        return h_new, c_new, LSTMGates(input, forget, candidate, output)

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor] | None = None):
        """One time step: the same (h', c') as `step`, computed in 2 graph nodes instead of
        about 20 (see minigrad/nn/fused.py for why). x: (B, I) -> (h', c'), each (B, H)."""
        x, (h, c) = _check_lstm_input(self, x, state)
        return fused.lstm_cell(
            x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.forget_gate
        )


class LSTMGates(NamedTuple):
    """The gate activations of one LSTM step, each (B, H), in PyTorch's order i, f, g, o."""

    input: Tensor
    forget: Tensor
    candidate: Tensor
    output: Tensor


# ---- the plain RNN ---------------------------------------------------------------------------


class RNNCell(Module):
    """The Elman RNN cell: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act tanh or relu.

    weight_ih: (H, I), weight_hh: (H, H), bias_ih and bias_hh: (H,).
    `cell(x, h)`: x (B, I), h (B, H) or None for zeros; returns h' (B, H).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        nonlinearity: str = "tanh",
        rng=None,
        dtype=None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        self.nonlinearity = nonlinearity
        init_cell_weights(self, input_size, hidden_size, 1, rng, dtype)

    def forward(self, x: Tensor, h: Tensor | None = None) -> Tensor:
        x, h = _check_input(self, x, h)
        pre = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        return pre.tanh() if self.nonlinearity == "tanh" else pre.relu()


# ---- GRU -----------------------------------------------------------------------------------


class GRUCell(Module):
    """Gated recurrent unit (Cho et al. 2014), with PyTorch's equations:

        r  = σ(W_ir x + b_ir + W_hr h + b_hr)           reset gate
        z  = σ(W_iz x + b_iz + W_hz h + b_hz)           update gate
        n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))  candidate
        h' = (1 - z) * n + z * h

    weight_ih: (3H, I), weight_hh: (3H, H), bias_ih and bias_hh: (3H,), stacked r, z, n.
    `cell(x, h)`: x (B, I), h (B, H) or None for zeros; returns h' (B, H).
    `cell.step(x, h)` computes the same gate by gate and also returns the gates.
    """

    def __init__(self, input_size: int, hidden_size: int, rng=None, dtype=None) -> None:
        init_cell_weights(self, input_size, hidden_size, 3, rng, dtype)

    def step(self, x: Tensor, h: Tensor | None = None):
        """One time step, gate by gate. x: (B, I); h: (B, H) or None for zeros. Returns
        (h', gates): the new state and the gate activations (`GRUGates`, each (B, H))."""
        x, h = _check_input(self, x, h)
        # x and h enter separately: the reset gate scales h's part of the candidate only
        from_x_r, from_x_z, from_x_n = F.linear(x, self.weight_ih, self.bias_ih).chunk(3, axis=1)
        from_h_r, from_h_z, from_h_n = F.linear(h, self.weight_hh, self.bias_hh).chunk(3, axis=1)
        reset = (from_x_r + from_h_r).sigmoid()  # r = σ(W_ir x + b_ir + W_hr h + b_hr)
        update = (from_x_z + from_h_z).sigmoid()  # z = σ(W_iz x + b_iz + W_hz h + b_hz)
        candidate = (from_x_n + reset * from_h_n).tanh()  # n = tanh(.. + r * (W_hn h + b_hn))
        h_new = (1.0 - update) * candidate + update * h  # h' = (1 - z) * n + z * h
        return h_new, GRUGates(reset, update, candidate)

    def forward(self, x: Tensor, h: Tensor | None = None) -> Tensor:
        """One time step: the same h' as `step`, in 2 graph nodes instead of about 16 (see
        minigrad/nn/fused.py). x: (B, I) -> h' (B, H)."""
        x, h = _check_input(self, x, h)
        return fused.gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class GRUGates(NamedTuple):
    """The gate activations of one GRU step, each (B, H), in PyTorch's order r, z, n."""

    reset: Tensor
    update: Tensor
    candidate: Tensor


# ---- what every cell has ---------------------------------------------------------------------


def init_cell_weights(cell: Module, input_size: int, hidden_size: int, blocks: int, rng, dtype):
    """Give `cell` its weights, with `blocks` gates stacked in blocks of H rows:
    weight_ih (blocks*H, I), weight_hh (blocks*H, H), bias_ih and bias_hh (blocks*H,), each
    drawn from U(-1/sqrt(H), 1/sqrt(H)) as PyTorch does."""
    name = type(cell).__name__
    check_size(name, "input_size", input_size)
    check_size(name, "hidden_size", hidden_size)
    cell.input_size, cell.hidden_size = input_size, hidden_size
    rows, rng, bound = blocks * hidden_size, get_rng(rng), 1.0 / math.sqrt(hidden_size)
    cell.weight_ih = uniform_parameter((rows, input_size), bound, rng, dtype)
    cell.weight_hh = uniform_parameter((rows, hidden_size), bound, rng, dtype)
    cell.bias_ih = uniform_parameter((rows,), bound, rng, dtype)
    cell.bias_hh = uniform_parameter((rows,), bound, rng, dtype)


# ---- layers over a sequence ----------------------------------------------------------------


class _SequenceLayer(Module):
    """What RNN, LSTM and GRU share: one cell per layer, run over every time step.

    x: (T, B, I), or (B, T, I) with batch_first=True. Returns (output, final state):
    output holds the last layer's hidden state at every step, (T, B, H) (or (B, T, H));
    the final state holds each layer's state after the last step, (num_layers, B, H).

    Each layer runs over the whole sequence as one graph node (minigrad/nn/sequence.py):
    the same numbers as calling its cell once per step, `layer.cells[k](x_t, state)`, which
    is the readable version, but with the backward through time written out by hand.
    """

    cell_type: type = Module  # set by each subclass

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        batch_first: bool = False,
        rng=None,
        dtype=None,
        **cell_options,
    ) -> None:
        name = type(self).__name__
        check_size(name, "num_layers", num_layers)
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.batch_first = num_layers, batch_first
        rng = get_rng(rng)
        # layer k > 0 reads the hidden states of layer k - 1
        self.cells = [
            self.cell_type(
                input_size if k == 0 else hidden_size,
                hidden_size,
                rng=rng,
                dtype=dtype,
                **cell_options,
            )
            for k in range(num_layers)
        ]

    def forward(self, x: Tensor, state=None):
        name = type(self).__name__
        x = x if isinstance(x, Tensor) else Tensor(x)
        layout = "(B, T, I)" if self.batch_first else "(T, B, I)"
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise ValueError(
                f"{name}: input must have shape {layout} with I = {self.input_size}, got {x.shape}"
            )
        if self.batch_first:
            x = x.transpose(1, 0, 2)
        steps, batch = x.shape[:2]
        if steps == 0:
            raise ValueError(
                f"{name}: the input {layout} has sequence length T = 0; a recurrent layer "
                "needs at least one time step"
            )
        states = self._layer_states(state, batch)

        final_states = []
        for cell, layer_state in zip(self.cells, states):
            x, final_state = self._run_layer(cell, x, layer_state)  # x: (T, B, H) from here
            final_states.append(final_state)
        output = x.transpose(1, 0, 2) if self.batch_first else x
        return output, self._final_state(final_states)

    # RNN and GRU: a layer's state is its hidden state h. LSTM overrides these three.
    def _run_layer(self, cell: Module, x: Tensor, h_0: Tensor | None):
        """One layer over the sequence x (T, B, I): (its outputs (T, B, H), its final state)."""
        raise NotImplementedError

    def _layer_states(self, state, batch: int) -> list:
        """The state given to forward, (num_layers, B, H) or None, as one state per layer."""
        if state is None:
            return [None] * self.num_layers
        state = _check_state(self, "h_0", state, batch)
        return [state[k] for k in range(self.num_layers)]

    def _final_state(self, final_states: list):
        return stack(final_states)


class RNN(_SequenceLayer):
    """An Elman RNN over a sequence: `RNNCell` at every step (nonlinearity "tanh" or "relu").

    `rnn(x, h_0=None) -> (output, h_n)`; shapes in `_SequenceLayer`'s docstring.
    """

    cell_type = RNNCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        batch_first: bool = False,
        rng=None,
        dtype=None,
    ) -> None:
        super().__init__(
            input_size, hidden_size, num_layers, batch_first, rng, dtype, nonlinearity=nonlinearity
        )

    def _run_layer(self, cell: RNNCell, x: Tensor, h_0: Tensor | None):
        h_0 = h_0 if h_0 is not None else zeros((x.shape[1], self.hidden_size), dtype=x.dtype)
        hidden = sequence.rnn_sequence(
            x, h_0, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh, cell.nonlinearity
        )
        return hidden, hidden[-1]


class GRU(_SequenceLayer):
    """A GRU over a sequence: `GRUCell` at every step.

    `gru(x, h_0=None) -> (output, h_n)`; shapes in `_SequenceLayer`'s docstring.
    """

    cell_type = GRUCell

    def _run_layer(self, cell: GRUCell, x: Tensor, h_0: Tensor | None):
        h_0 = h_0 if h_0 is not None else zeros((x.shape[1], self.hidden_size), dtype=x.dtype)
        hidden = sequence.gru_sequence(
            x, h_0, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh
        )
        return hidden, hidden[-1]


class LSTM(_SequenceLayer):
    """An LSTM over a sequence: `LSTMCell` at every step.

    `lstm(x, (h_0, c_0)=None) -> (output, (h_n, c_n))`: output (T, B, H), each of h_0, c_0,
    h_n, c_n (num_layers, B, H). forget_bias, forget_gate and input_bias as in `LSTMCell`.
    """

    cell_type = LSTMCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        batch_first: bool = False,
        forget_bias: float = 0.0,
        forget_gate: bool = True,
        rng=None,
        dtype=None,
        input_bias: float = 0.0,
    ) -> None:
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            batch_first,
            rng,
            dtype,
            forget_bias=forget_bias,
            forget_gate=forget_gate,
            input_bias=input_bias,
        )

    def _run_layer(self, cell: LSTMCell, x: Tensor, state: tuple[Tensor, Tensor] | None):
        steps, batch = x.shape[:2]
        if state is None:
            state = (zeros((batch, self.hidden_size), dtype=x.dtype),) * 2
        packed = sequence.lstm_sequence(  # h_1, ..., h_T, then c_T: (T + 1, B, H)
            x, *state, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh, cell.forget_gate
        )
        # nobody can reach the packed node: backward frees its gradient once used
        packed._retains_grad = False
        return packed[:steps], (packed[steps - 1], packed[steps])

    def _layer_states(self, state, batch: int) -> list:
        if state is None:
            return [None] * self.num_layers
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise TypeError("LSTM: state must be a pair (h_0, c_0), each (num_layers, B, H)")
        h_0 = _check_state(self, "h_0", state[0], batch)
        c_0 = _check_state(self, "c_0", state[1], batch)
        return [(h_0[k], c_0[k]) for k in range(self.num_layers)]

    def _final_state(self, final_states: list):
        return stack([h for h, _ in final_states]), stack([c for _, c in final_states])


# ---- checks, with messages for learners ------------------------------------------------------


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_input(cell: Module, x, h) -> tuple[Tensor, Tensor]:
    """x as a (B, I) tensor, and h as a (B, H) tensor (zeros when None)."""
    name = type(cell).__name__
    x = _as_tensor(x)
    if x.ndim != 2 or x.shape[1] != cell.input_size:
        raise ValueError(
            f"{name}: input x must have shape (B, {cell.input_size}) (batch, input_size), "
            f"got {x.shape}"
        )
    expected = (x.shape[0], cell.hidden_size)
    if h is None:
        return x, zeros(expected, dtype=x.dtype)
    h = _as_tensor(h)
    if h.shape != expected:
        raise ValueError(
            f"{name}: hidden state must have shape {expected} (batch, hidden_size), got {h.shape}"
        )
    return x, h


def _check_lstm_input(cell: LSTMCell, x, state) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """x as a (B, I) tensor, and the state (h, c) as two (B, H) tensors (zeros when None)."""
    if state is None:
        x, h = _check_input(cell, x, None)
        return x, (h, zeros(h.shape, dtype=h.dtype))
    if not isinstance(state, (tuple, list)) or len(state) != 2:
        raise TypeError(
            f"LSTMCell: state must be a pair (h, c) of (B, {cell.hidden_size}) tensors, "
            f"got {type(state).__name__}"
        )
    x, h = _check_input(cell, x, state[0])
    c = _as_tensor(state[1])
    if c.shape != h.shape:
        raise ValueError(f"LSTMCell: cell state must have shape {h.shape}, got {c.shape}")
    return x, (h, c)


def _check_state(layer: _SequenceLayer, name: str, state, batch: int) -> Tensor:
    state = _as_tensor(state)
    expected = (layer.num_layers, batch, layer.hidden_size)
    if state.shape != expected:
        raise ValueError(
            f"{type(layer).__name__}: {name} must have shape {expected} "
            f"(num_layers, batch, hidden_size), got {state.shape}"
        )
    return state
