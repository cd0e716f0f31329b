"""Fused kernels for the recurrent cells: the maths of recurrent.py in fewer graph nodes.

Why this file exists: an LSTM is run one time step at a time, in a Python loop. Written gate
by gate (`LSTMCell.step`), a step makes about 20 graph nodes, and each node costs a few
microseconds of Python to create and to backpropagate. For the sizes of the course (a batch
of 32, 64 hidden units) that bookkeeping costs more than the arithmetic itself. Here the
cell's equations are applied to all the gates at once, with their derivatives worked out by
hand, first one kernel per equation:

    gates = [σ, σ, tanh, σ](x W_ih^T + b_ih + h W_hh^T + b_hh)    lstm_gates
    c'    = f * c + i * g                                         lstm_cell_state
    h'    = o * tanh(c')                                          lstm_hidden_state

and then `lstm_cell`, what `LSTMCell.forward` runs: the same step in 2 nodes instead of those
3, because the gates need not be a tensor of their own (see its docstring).

The GRU gets the same treatment at the end of the file. The gate-by-gate cells stay the
reference: tests/test_nn.py checks every kernel here against them, forward and backward, to
round-off. PyTorch does the same (its LSTM and GRU run fused kernels).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from minigrad.tensor import SliceGrad, Tensor, make_node


@cache
def gate_scale_offset(hidden_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per column of the (B, 4H) gate block: gate = scale * tanh(scale * pre) + offset.

    sigmoid(z) = 1/2 tanh(z/2) + 1/2, so the sigmoid gates i, f, o take (1/2, 1/2) and the
    candidate g, a plain tanh, takes (1, 0): all four gates are then one tanh over the block.
    """
    half, H = np.full(hidden_size, 0.5), hidden_size
    scale = np.concatenate([half, half, np.ones(H), half])
    offset = np.concatenate([half, half, np.zeros(H), half])
    scale.flags.writeable = offset.flags.writeable = False  # shared by every call
    return scale, offset


def _gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh, forget_gate: bool) -> np.ndarray:
    """[i, f, g, o] = [σ, σ, tanh, σ](x W_ih^T + b_ih + h W_hh^T + b_hh): a (B, 4H) array."""
    H = weight_hh.shape[1]
    scale, offset = gate_scale_offset(H)
    out = x.data @ weight_ih.data.T
    out += h.data @ weight_hh.data.T
    out += bias_ih.data + bias_hh.data  # (4H,) first: one small add, then one broadcast add
    # in place: the pre-activations are not kept, which saves a (B, 4H) array per step
    out *= scale
    np.tanh(out, out=out)
    out *= scale
    out += offset
    if not forget_gate:
        out[:, H : 2 * H] = 1.0
    return out


def _gate_slopes(gates: np.ndarray) -> np.ndarray:
    """d gate / d pre for each column of `gates` (B, 4H): scale^2 - (gate - offset)^2, which is
    s (1 - s) for a sigmoid, 1 - t^2 for the tanh, and 0 for a constant f = 1."""
    scale, offset = gate_scale_offset(gates.shape[1] // 4)
    slope = gates - offset
    slope *= slope
    np.subtract(scale * scale, slope, out=slope)
    return slope


def _pre_activation_grads(d_pre, x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """From dL/d pre (B, 4H), for pre = x W_ih^T + b_ih + h W_hh^T + b_hh, as for `linear`:
    dx = d_pre W_ih, dh = d_pre W_hh, dW_ih = d_pre^T x, dW_hh = d_pre^T h, and both biases
    d_pre summed over the batch. The tensors' data is still the forward pass's: backward
    refuses to run if one was replaced since (see `DataWrites`)."""
    bias_grad = d_pre.sum(axis=0) if bias_ih.requires_grad or bias_hh.requires_grad else None
    return (
        d_pre @ weight_ih.data if x.requires_grad else None,
        d_pre @ weight_hh.data if h.requires_grad else None,
        d_pre.T @ x.data if weight_ih.requires_grad else None,
        d_pre.T @ h.data if weight_hh.requires_grad else None,
        bias_grad,  # one array for both biases: the engine never writes into it
        bias_grad,
    )


def lstm_gates(
    x: Tensor,
    h: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor,
    bias_hh: Tensor,
    forget_gate: bool = True,
) -> Tensor:
    """The four gate activations of an LSTM step as one node, in PyTorch's order i, f, g, o.

    pre = x W_ih^T + b_ih + h W_hh^T + b_hh, then sigmoid on the i, f and o blocks and tanh
    on the g block. x: (B, I), h: (B, H), weight_ih: (4H, I), weight_hh: (4H, H), biases:
    (4H,). Returns (B, 4H). Without a forget gate (the 1997 cell) the f block is 1.

    Backward: with gate = scale tanh(scale pre) + offset (see `gate_scale_offset`),
    d gate / d pre = scale^2 (1 - tanh^2) = scale^2 - (gate - offset)^2 (`_gate_slopes`),
    then as for `linear` (`_pre_activation_grads`).
    """
    out = _gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh, forget_gate)

    def backward(g):
        d_pre = _gate_slopes(out)
        d_pre *= g
        return _pre_activation_grads(d_pre, x, h, weight_ih, weight_hh, bias_ih, bias_hh)

    return make_node(out, (x, h, weight_ih, weight_hh, bias_ih, bias_hh), backward, "lstm_gates")


def lstm_cell_state(gates: Tensor, c: Tensor) -> Tensor:
    """c' = f * c + i * g. gates: (B, 4H) from `lstm_gates`, c: (B, H). Returns (B, H).

    Backward: di = dc' g, df = dc' c, dg = dc' i (the o block gets nothing here), dc = dc' f.
    """
    H = c.shape[1]
    act, cs = gates.data, c.data
    i, f, g = act[:, :H], act[:, H : 2 * H], act[:, 2 * H : 3 * H]
    out = f * cs
    out += i * g

    def backward(dc):
        d_ifg = np.empty((dc.shape[0], 3 * H), dtype=dc.dtype)
        np.multiply(dc, g, out=d_ifg[:, :H])
        np.multiply(dc, cs, out=d_ifg[:, H : 2 * H])
        np.multiply(dc, i, out=d_ifg[:, 2 * H :])
        # a gradient for the i, f, g blocks only: the engine adds it in place there
        d_gates = SliceGrad((slice(None), slice(0, 3 * H)), d_ifg, False)
        return d_gates, dc * f if c.requires_grad else None

    return make_node(out, (gates, c), backward, "lstm_cell_state")


def lstm_hidden_state(gates: Tensor, c: Tensor) -> Tensor:
    """h' = o * tanh(c'). gates: (B, 4H) from `lstm_gates`, c: the new cell state (B, H).

    Backward: do = dh' tanh(c'), dc' = dh' o (1 - tanh(c')^2).
    """
    H = c.shape[1]
    o = gates.data[:, 3 * H :]
    tanh_c = np.tanh(c.data)
    out = o * tanh_c

    def backward(dh):
        d_o = SliceGrad((slice(None), slice(3 * H, None)), dh * tanh_c, False)  # the o block
        return d_o, _through_h(dh, o, tanh_c)

    return make_node(out, (gates, c), backward, "lstm_hidden_state")


def _through_h(dh: np.ndarray, o: np.ndarray, tanh_c: np.ndarray) -> np.ndarray:
    """dL/dc' through h' = o tanh(c'): dh' o (1 - tanh^2 c'), in one new array."""
    dc = tanh_c * tanh_c
    np.subtract(1.0, dc, out=dc)
    dc *= o
    dc *= dh
    return dc


def lstm_cell(
    x: Tensor,
    h: Tensor,
    c: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor,
    bias_hh: Tensor,
    forget_gate: bool = True,
) -> tuple[Tensor, Tensor]:
    """One LSTM step in 2 nodes: the same (h', c') as `LSTMCell.step`. Shapes as there.

    The three kernels above, regrouped: one node makes the gates and c' = f c + i g (its
    parents: x, h, c and the weights), the other h' = o tanh(c') (its parent: c'). The gates
    are then never a tensor, so nothing assembles their gradient from two pieces in a zeroed
    (B, 4H) buffer, and the engine has one node fewer per step: about 10% off a training
    step of the course's sizes (benchmarks/lstm_step.py).

    The price: h' also depends on the output gate o, which lives inside the first node. The
    second node's backward therefore hands do = dh' tanh(c') over to the first node's
    backward, through the list `handed_over`, in effect a node with two outputs. This is
    safe because the first node always runs after the second (c' is h''s parent, and
    backward visits users first) and takes what it was handed, so that a later backward in
    which h' gets no gradient finds nothing there and uses do = 0.
    """
    H, cs = weight_hh.shape[1], c.data
    gates = _gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh, forget_gate)
    i, f, g, o = (gates[:, k * H : (k + 1) * H] for k in range(4))
    c_out = f * cs
    c_out += i * g  # c' = f c + i g
    tanh_c = np.tanh(c_out)
    handed_over: list[np.ndarray] = []  # do, from the h' node's backward to the c' node's

    def backward_c(dc):  # dc = dL/dc', complete: from h' and from the next step
        d_pre = np.empty((dc.shape[0], 4 * H), dtype=dc.dtype)
        np.multiply(dc, g, out=d_pre[:, :H])  # di = dc' g
        np.multiply(dc, cs, out=d_pre[:, H : 2 * H])  # df = dc' c
        np.multiply(dc, i, out=d_pre[:, 2 * H : 3 * H])  # dg = dc' i
        d_pre[:, 3 * H :] = handed_over.pop() if handed_over else 0.0  # do, if h' had one
        d_pre *= _gate_slopes(gates)  # now dL/d pre
        dx, dh, dw_ih, dw_hh, db_ih, db_hh = _pre_activation_grads(
            d_pre, x, h, weight_ih, weight_hh, bias_ih, bias_hh
        )
        return dx, dh, dc * f if c.requires_grad else None, dw_ih, dw_hh, db_ih, db_hh

    parents = (x, h, c, weight_ih, weight_hh, bias_ih, bias_hh)
    c_new = make_node(c_out, parents, backward_c, "lstm_step_cell")

    def backward_h(dh):
        handed_over[:] = [dh * tanh_c]  # do = dh' tanh(c'), for backward_c
        return (_through_h(dh, o, tanh_c),)  # dc' = dh' o (1 - tanh^2 c'), this use's share

    return make_node(o * tanh_c, (c_new,), backward_h, "lstm_step_hidden"), c_new


# ---- GRU -------------------------------------------------------------------------------------
# The same reason, for GRUCell.step's ~16 nodes per step: here they are 2.


def gru_gates(
    x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor, bias_hh: Tensor
) -> Tensor:
    """The update gate z and the candidate n of a GRU step as one node: (B, 2H) = [z | n].

    With gi = x W_ih^T + b_ih and gh = h W_hh^T + b_hh, each (B, 3H) stacked r, z, n:
        r = σ(gi_r + gh_r),  z = σ(gi_z + gh_z),  n = tanh(gi_n + r * gh_n).
    The reset gate r is used inside only. x: (B, I), h: (B, H), weights and biases as in
    `GRUCell`.

    Backward, from dz and dn: d(pre_n) = dn (1 - n^2), which reaches gi_n as it is and gh_n
    times r; dr = d(pre_n) gh_n; then d(pre_r) = dr r (1 - r), d(pre_z) = dz z (1 - z), each
    reaching gi and gh alike. Then as for `linear`, once for x and once for h.
    """
    xs, hs, w_ih, w_hh = x.data, h.data, weight_ih.data, weight_hh.data
    H = w_hh.shape[1]
    gi = xs @ w_ih.T
    gi += bias_ih.data
    gh = hs @ w_hh.T
    gh += bias_hh.data
    rz = gi[:, : 2 * H] + gh[:, : 2 * H]
    rz *= 0.5  # sigmoid(z) = tanh(z/2)/2 + 1/2, in place
    np.tanh(rz, out=rz)
    rz *= 0.5
    rz += 0.5
    r, gh_n = rz[:, :H], gh[:, 2 * H :]
    out = np.empty((xs.shape[0], 2 * H), dtype=rz.dtype)
    out[:, :H] = rz[:, H:]
    np.tanh(gi[:, 2 * H :] + r * gh_n, out=out[:, H:])
    z, n = out[:, :H], out[:, H:]

    def backward(g):
        d_gi = np.empty((g.shape[0], 3 * H), dtype=g.dtype)
        d_pre_n = d_gi[:, 2 * H :]
        np.multiply(g[:, H:], 1.0 - n * n, out=d_pre_n)
        np.multiply(d_pre_n * gh_n, r * (1.0 - r), out=d_gi[:, :H])
        np.multiply(g[:, :H], z * (1.0 - z), out=d_gi[:, H : 2 * H])
        d_gh = d_gi.copy()
        d_gh[:, 2 * H :] *= r  # gh_n enters the candidate through r * gh_n
        return (
            d_gi @ w_ih if x.requires_grad else None,
            d_gh @ w_hh if h.requires_grad else None,
            d_gi.T @ xs if weight_ih.requires_grad else None,
            d_gh.T @ hs if weight_hh.requires_grad else None,
            d_gi.sum(axis=0) if bias_ih.requires_grad else None,
            d_gh.sum(axis=0) if bias_hh.requires_grad else None,
        )

    return make_node(out, (x, h, weight_ih, weight_hh, bias_ih, bias_hh), backward, "gru_gates")


def gru_hidden_state(gates: Tensor, h: Tensor) -> Tensor:
    """h' = (1 - z) * n + z * h. gates: (B, 2H) = [z | n] from `gru_gates`, h: (B, H).

    Backward: dz = dh' (h - n), dn = dh' (1 - z), dh = dh' z.
    """
    H = h.shape[1]
    z, n, hs = gates.data[:, :H], gates.data[:, H:], h.data
    out = hs - n
    out *= z
    out += n  # n + z (h - n), the same as (1 - z) n + z h

    def backward(g):
        d_gates = np.empty((g.shape[0], 2 * H), dtype=g.dtype)
        np.multiply(g, hs - n, out=d_gates[:, :H])
        np.multiply(g, 1.0 - z, out=d_gates[:, H:])
        return d_gates, g * z if h.requires_grad else None

    return make_node(out, (gates, h), backward, "gru_hidden_state")


def gru_cell(
    x: Tensor,
    h: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor,
    bias_hh: Tensor,
) -> Tensor:
    """One GRU step in 2 nodes: the same h' as `GRUCell.step`. Shapes as there."""
    gates = gru_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    # The gates never leave this function, so nobody can read their gradient: backward frees
    # it once used, rather than keep a (B, 2H) array per step for the whole step.
    gates._retains_grad = False
    return gru_hidden_state(gates, h)
