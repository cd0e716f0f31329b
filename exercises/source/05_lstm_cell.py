# %% [markdown]
# # Exercises 5: the LSTM cell
#
# These exercises go with `notebooks/05_lstm_cell.ipynb`. You will write one step of the long
# short-term memory cell (Hochreiter & Schmidhuber 1997, "Long Short-Term Memory"; the forget
# gate is from Gers, Schmidhuber & Cummins 2000, "Learning to forget: continual prediction
# with LSTM"), gate by gate, reading the weights of minigrad's `nn.LSTMCell`; then its
# backward, derived by hand, equation by equation, as minigrad's fused kernels
# (`minigrad/nn/fused.py`) compute it.
#
# **How to work.** Replace each `# YOUR CODE HERE` and `raise NotImplementedError` with your
# code and run the cell; the `check(...)` at its end prints the verdict at once. That verdict
# is advice, not the grade: the grader runs the saved notebook in a fresh kernel and judges
# each of your functions itself, on new inputs. Score the notebook from the course folder with
#
# ```
# .venv/bin/python -m minigrad grade exercises/05_lstm_cell.ipynb
# ```
#
# Solutions: `solutions/05_lstm_cell.ipynb`.

# %%
import numpy as np

import minigrad
from minigrad import Tensor, nn
from minigrad.course.grading.check import check

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## The cell, and where its weights live
#
# With PyTorch's equations, for $x$ of shape $(B, I)$ and the state $(h, c)$, each $(B, H)$:
#
# $$\begin{aligned}
# i &= \sigma(x W_{ii}^\top + b_{ii} + h W_{hi}^\top + b_{hi}) && \text{input gate}\\
# f &= \sigma(x W_{if}^\top + b_{if} + h W_{hf}^\top + b_{hf}) && \text{forget gate}\\
# g &= \tanh(x W_{ig}^\top + b_{ig} + h W_{hg}^\top + b_{hg}) && \text{candidate}\\
# o &= \sigma(x W_{io}^\top + b_{io} + h W_{ho}^\top + b_{ho}) && \text{output gate}\\
# c' &= f \odot c + i \odot g, \qquad h' = o \odot \tanh(c') .
# \end{aligned}$$
#
# The gates are fractions in $(0, 1)$ that decide how much passes: of the old memory ($f$),
# of the new candidate ($i$), of the memory shown to the outside ($o$). The candidate $g$ is
# a value in $(-1, 1)$ to be written. All four read the same $x$ and $h$, so their weights
# are stacked into one matrix each: `cell.weight_ih` is $(4H, I)$ and `cell.weight_hh` is
# $(4H, H)$, rows $kH$ to $(k+1)H - 1$ belonging to gate $k$ in the order **i, f, g, o**
# ($k = 0, 1, 2, 3$); the biases `cell.bias_ih` and `cell.bias_hh`, $(4H,)$, likewise.

# %%
cell = nn.LSTMCell(input_size=3, hidden_size=4, rng=0)
for name, parameter in cell.named_parameters():
    print(f"{name:>9}: shape {parameter.shape}")

# %% [markdown]
# ## Part 1: the pre-activation of gate k
#
# Write `gate_preactivation(x, h, cell, k)`: the sum inside gate $k$'s activation,
#
# $$z_k = x\, W_{ih}[kH : (k+1)H]^\top + b_{ih}[kH : (k+1)H]
# + h\, W_{hh}[kH : (k+1)H]^\top + b_{hh}[kH : (k+1)H],$$
#
# of shape $(B, H)$, with Tensor operations: slicing a Tensor (`cell.weight_ih[rows]`)
# keeps it in the graph. `cell.hidden_size` is $H$.


# %%
def gate_preactivation(x: Tensor, h: Tensor, cell: nn.LSTMCell, k: int) -> Tensor:
    """Gate k's pre-activation (k = 0, 1, 2, 3 for i, f, g, o). x: (B, I), h: (B, H) -> (B, H)."""
    # BEGIN SOLUTION
    H = cell.hidden_size
    rows = slice(k * H, (k + 1) * H)
    return (
        x @ cell.weight_ih[rows].T
        + cell.bias_ih[rows]
        + h @ cell.weight_hh[rows].T
        + cell.bias_hh[rows]
    )
    # END SOLUTION


check("lstm.preactivation", gate_preactivation)

# %% [markdown]
# ## Part 2: the four gates
#
# Each gate is its activation of its block of the pre-activations: a sigmoid for the three
# gates, a tanh for the candidate,
#
# $$i = \sigma(z_0), \quad f = \sigma(z_1), \quad g = \tanh(z_2), \quad o = \sigma(z_3) .$$
#
# Write `lstm_gates(x, h, cell)`, returning the tuple `(i, f, g, o)`, each $(B, H)$.
# `Tensor.sigmoid()` and `Tensor.tanh()` are there; mind the order i, f, g, o. The check
# tests each gate's range too: a gate outside $[0, 1]$ cannot be a sigmoid.


# %%
def lstm_gates(x: Tensor, h: Tensor, cell: nn.LSTMCell) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The gates (i, f, g, o), each (B, H): how much is written, kept, what, and shown."""
    # BEGIN SOLUTION
    i = gate_preactivation(x, h, cell, 0).sigmoid()
    f = gate_preactivation(x, h, cell, 1).sigmoid()
    g = gate_preactivation(x, h, cell, 2).tanh()
    o = gate_preactivation(x, h, cell, 3).sigmoid()
    return i, f, g, o
    # END SOLUTION


check("lstm.gates", lstm_gates)

# %% [markdown]
# ## Part 3: one step of the cell
#
# Put the gates together: the new cell state keeps a fraction $f$ of the old one and adds a
# fraction $i$ of the candidate; the new hidden state shows a fraction $o$ of it, squashed:
#
# $$c' = f \odot c + i \odot g, \qquad h' = o \odot \tanh(c') .$$
#
# Write `lstm_step(x, h, c, cell)` returning `(h_new, c_new)`, in that order (PyTorch's).


# %%
def lstm_step(x: Tensor, h: Tensor, c: Tensor, cell: nn.LSTMCell) -> tuple[Tensor, Tensor]:
    """One LSTM step: (h', c'), each (B, H), from x (B, I) and the state h, c (B, H)."""
    # BEGIN SOLUTION
    i, f, g, o = lstm_gates(x, h, cell)
    c_new = f * c + i * g
    h_new = o * c_new.tanh()
    return h_new, c_new
    # END SOLUTION


check("lstm.step", lstm_step)

# %% [markdown]
# Your step next to `cell.step`, minigrad's gate-by-gate cell, which also returns the gates:

# %%
x = minigrad.randn(2, 3, rng=1)
h, c = minigrad.randn(2, 4, rng=2), minigrad.randn(2, 4, rng=3)
h_ref, c_ref, gates = cell.step(x, (h, c))
print("forget gate of cell.step:\n", gates.forget.data)
try:
    h_new, c_new = lstm_step(x, h, c, cell)
except NotImplementedError:
    print("Write parts 1 to 3, then run this cell again.")
else:
    same = np.allclose(h_new.data, h_ref.data) and np.allclose(c_new.data, c_ref.data)
    print("the same (h', c') as cell.step:", same)

# %% [markdown]
# ## Part 4: backward by hand, the cell update
#
# So far the engine has found every gradient for you. A recurrent step runs thousands of
# times in training, so minigrad's own LSTM does not leave it to the engine: its fused
# kernels (`minigrad/nn/fused.py`) compute the step's backward from equations worked out by
# hand. You derive them now, from the output of the step back to its pre-activations.
#
# Backward receives two gradients: $\delta h' = \partial L / \partial h'$, and
# $\delta c'_{\text{next}}$, the gradient that reaches $c'$ *directly* from the next step
# (through $c'' = f' \odot c' + \ldots$). $c'$ is used twice, in $h'$ and in the next step,
# so its gradient is the sum of both uses (the `+=` of chapter 1). With $\tau =
# \tanh(c')$, elementwise:
#
# $$\begin{aligned}
# \delta c' &= \delta c'_{\text{next}} + \delta h' \odot o \odot (1 - \tau^2)
# && \text{from } h' = o \odot \tau \text{ and the next step}\\
# \delta o &= \delta h' \odot \tau \\
# \delta c &= \delta c' \odot f, \quad \delta f = \delta c' \odot c, \quad
# \delta i = \delta c' \odot g, \quad \delta g = \delta c' \odot i
# && \text{from } c' = f \odot c + i \odot g .
# \end{aligned}$$
#
# $\delta c = \delta c' \odot f$ is the cell-state path of chapter 6: from one step to the
# one before, the gradient along $c$ is only multiplied by the forget gate.
#
# Write `cell_update_backward(c, i, f, g, o, grad_h, grad_c)` on numpy arrays, each
# $(B, H)$: `c` is the *old* cell state (compute $c'$ from it), `grad_h` is $\delta h'$ and
# `grad_c` is $\delta c'_{\text{next}}$. Return `(grad_c_old, grad_i, grad_f, grad_g,
# grad_o)`. The check compares with `fused.py` and with finite differences.


# %%
def cell_update_backward(
    c: np.ndarray,
    i: np.ndarray,
    f: np.ndarray,
    g: np.ndarray,
    o: np.ndarray,
    grad_h: np.ndarray,
    grad_c: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """(dL/dc, dL/di, dL/df, dL/dg, dL/do) for c' = f c + i g, h' = o tanh(c'); all (B, H)."""
    # BEGIN SOLUTION
    tanh_c = np.tanh(f * c + i * g)  # tau = tanh(c'), from the new cell state
    grad_c_new = grad_c + grad_h * o * (1 - tanh_c**2)  # both uses of c'
    return grad_c_new * f, grad_c_new * g, grad_c_new * c, grad_c_new * i, grad_h * tanh_c
    # END SOLUTION


check("lstm.cell_update_backward", cell_update_backward)

# %% [markdown]
# ## Part 5: backward by hand, through the gates
#
# Next, from each gate back to its pre-activation $z_k$. The activations work elementwise,
# and their slopes are best written with the value they produced: for $s = \sigma(z)$,
# $\sigma'(z) = s (1 - s)$; for $t = \tanh(z)$, $\tanh'(z) = 1 - t^2$. So
#
# $$\delta z_i = \delta i \odot i (1 - i), \quad \delta z_f = \delta f \odot f (1 - f), \quad
# \delta z_g = \delta g \odot (1 - g^2), \quad \delta z_o = \delta o \odot o (1 - o) .$$
#
# Write `gates_backward(i, f, g, o, grad_i, grad_f, grad_g, grad_o)`, returning the four
# $(B, H)$ blocks side by side as one $(B, 4H)$ array in the order i, f, g, o (the layout of
# the stacked weights): `np.concatenate([...], axis=1)`.


# %%
def gates_backward(
    i: np.ndarray,
    f: np.ndarray,
    g: np.ndarray,
    o: np.ndarray,
    grad_i: np.ndarray,
    grad_f: np.ndarray,
    grad_g: np.ndarray,
    grad_o: np.ndarray,
) -> np.ndarray:
    """dL/dz, (B, 4H) in the order i, f, g, o, for i, f, o = sigmoid(z) and g = tanh(z)."""
    # BEGIN SOLUTION
    return np.concatenate(
        [grad_i * i * (1 - i), grad_f * f * (1 - f), grad_g * (1 - g * g), grad_o * o * (1 - o)],
        axis=1,
    )
    # END SOLUTION


check("lstm.gates_backward", gates_backward)

# %% [markdown]
# ## The whole step's backward, by hand
#
# The rest is the backward of the linear maps of chapter 2: with $z = x W_{ih}^\top + b_{ih}
# + h W_{hh}^\top + b_{hh}$, $\delta x = \delta z\, W_{ih}$, $\delta h = \delta z\, W_{hh}$,
# $\delta W_{ih} = \delta z^\top x$, and each bias gets $\delta z$ summed over the batch.
# Your two functions and these four lines give the gradient of a whole step; here it is
# next to the engine's backward through `cell.step` (the same $L$ from both):

# %%
x, h, c = (
    minigrad.randn(2, n, rng=seed, requires_grad=True) for seed, n in [(4, 3), (5, 4), (6, 4)]
)
h_next, c_next, gates = cell.step(x, (h, c))
weight_h, weight_c = np.linspace(-1, 1, 8).reshape(2, 4), np.ones((2, 4))
((h_next * weight_h).sum() + (c_next * weight_c).sum()).backward()  # the engine's gradients
i, f, g, o = (gate.data for gate in gates)
try:
    d_c, d_i, d_f, d_g, d_o = cell_update_backward(c.data, i, f, g, o, weight_h, weight_c)
    d_z = gates_backward(i, f, g, o, d_i, d_f, d_g, d_o)
except NotImplementedError:
    print("Write parts 4 and 5, then run this cell again.")
else:
    by_hand = {
        "dL/dx": d_z @ cell.weight_ih.data,
        "dL/dh": d_z @ cell.weight_hh.data,
        "dL/dc": d_c,
        "dL/dW_ih": d_z.T @ x.data,
        "dL/db_hh": d_z.sum(axis=0),
    }
    engine = {"dL/dx": x.grad, "dL/dh": h.grad, "dL/dc": c.grad}
    engine |= {"dL/dW_ih": cell.weight_ih.grad, "dL/db_hh": cell.bias_hh.grad}
    for name, grad in by_hand.items():
        print(f"{name:>8}: by hand = engine: {np.allclose(grad, engine[name])}")

# %% [markdown]
# ## Summary
#
# - Four gates read the same $x$ and $h$; their weights are stacked in the order i, f, g, o,
#   $H$ rows each.
# - Three gates are sigmoids, fractions in $(0, 1)$; the candidate is a tanh.
# - The step's backward by hand: $c'$ collects the gradient of both its uses, then
#   $\delta c = \delta c' \odot f$, $\delta o = \delta h' \odot \tanh(c')$, and each gate's
#   slope is written with its own value, $s(1 - s)$ or $1 - t^2$.
# - $c' = f \odot c + i \odot g$: the cell state is changed by scaling and adding, with no
#   squashing function on the path from $c$ to $c'$. The next exercises show why that
#   matters for the gradient.
#
# Next: `exercises/06_constant_error_flow.ipynb`.
