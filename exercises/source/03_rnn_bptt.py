# %% [markdown]
# # Exercises 3: the RNN and backpropagation through time
#
# These exercises go with `notebooks/03_rnn_bptt.ipynb`. You will write the recurrent cell and
# its loop over a sequence with minigrad's `Tensor`s, then do by hand, with numpy, what
# `backward()` does through the unrolled loop: backpropagation through time (BPTT).
#
# **How to work.** Replace each `# YOUR CODE HERE` and `raise NotImplementedError` with your
# code and run the cell; the `check(...)` at its end prints the verdict at once. That verdict
# is advice, not the grade: the grader runs the saved notebook in a fresh kernel and judges
# each of your functions itself, on new inputs. Score the notebook from the course folder with
#
# ```
# .venv/bin/python -m minigrad grade exercises/03_rnn_bptt.ipynb
# ```
#
# Solutions: `solutions/03_rnn_bptt.ipynb`.

# %%
import numpy as np

import minigrad
from minigrad import Tensor, nn
from minigrad.course.grading.check import check

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Part 1: the RNN cell
#
# One step of an Elman RNN, with PyTorch's layout: for a batch `x` of shape $(B, I)$ and the
# hidden state `h` of shape $(B, H)$,
#
# $$h' = \tanh\big(x\, W_{ih}^\top + b_{ih} + h\, W_{hh}^\top + b_{hh}\big),$$
#
# where `cell.weight_ih` is $W_{ih}$, $(H, I)$; `cell.weight_hh` is $W_{hh}$, $(H, H)$; and
# `cell.bias_ih`, `cell.bias_hh` are $(H,)$. Write `rnn_cell(x, h, cell)` with Tensor
# operations (`@`, `.T`, `+`, `.tanh()`), so that `backward()` can reach the weights: the
# check compares your $h'$ with `cell(x, h)` and your gradients with finite differences.

# %%
cell = nn.RNNCell(input_size=3, hidden_size=4, rng=0)
for name, parameter in cell.named_parameters():
    print(f"{name:>9}: shape {parameter.shape}")


# %%
def rnn_cell(x: Tensor, h: Tensor, cell: nn.RNNCell) -> Tensor:
    """One step h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh). x: (B, I), h: (B, H) -> (B, H)."""
    # BEGIN SOLUTION
    return (x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh).tanh()
    # END SOLUTION


check("rnn.cell", rnn_cell)

# %% [markdown]
# ## Part 2: unrolling over a sequence
#
# A sequence `x` has shape $(T, B, I)$: time first, as in PyTorch. The same cell reads it one
# step at a time, carrying its state: $h_t = \text{cell}(x_t, h_{t-1})$ for $t = 1, \dots, T$,
# from a given $h_0$. Write `rnn_forward(cell, x, h0)`, returning the states
# $h_1, \dots, h_T$ stacked into one tensor of shape $(T, B, H)$ (`minigrad.stack`). Call the
# library's cell, `cell(x[t], h)`; with `h0=None` it starts from zeros by itself. Note that
# `x[0]` is $x_1$ in the maths: the output's entry 0 is $h_1$, and $h_0$ is not an output.


# %%
def rnn_forward(cell: nn.RNNCell, x: Tensor, h0: Tensor | None = None) -> Tensor:
    """Run cell over x (T, B, I) from h0 (B, H), or zeros; return h_1 ... h_T as (T, B, H)."""
    # BEGIN SOLUTION
    h, states = h0, []
    for t in range(x.shape[0]):
        h = cell(x[t], h)
        states.append(h)
    return minigrad.stack(states)
    # END SOLUTION


check("rnn.forward", rnn_forward)

# %% [markdown]
# ## Part 3: BPTT for the hidden states
#
# Now by hand. Let the loss read only the last state, $L = \ell(h_T)$, so that
# $\partial L/\partial h_T$ is given. Write $a_t$ for the sum inside the tanh at step $t$,
# so $h_t = \tanh(a_t)$. Going back one step is two local derivatives:
#
# $$\frac{\partial L}{\partial a_t} = \frac{\partial L}{\partial h_t} \odot (1 - h_t^2),
# \qquad
# \frac{\partial L}{\partial h_{t-1}} = \frac{\partial L}{\partial a_t}\, W_{hh}
# \qquad (t = T, T-1, \dots, 1).$$
#
# (The second is part 3 of the tensor exercises: $a_t$ contains $h_{t-1} W_{hh}^\top$.) The
# slope of the tanh belongs to step $t$: it is $1 - h_t^2$, from the state that step
# *produced*.
#
# Write `bptt_hidden_grads(hs, weight_hh, grad_h_last)` with numpy. `hs` holds
# $h_0, h_1, \dots, h_T$, shape $(T+1, B, H)$; `grad_h_last` is $\partial L/\partial h_T$,
# $(B, H)$. Return $\partial L/\partial h_t$ for $t = 0, \dots, T$, shape $(T+1, B, H)$.


# %%
def bptt_hidden_grads(hs: np.ndarray, weight_hh: np.ndarray, grad_h_last: np.ndarray) -> np.ndarray:
    """dL/dh_t for t = 0..T, (T+1, B, H), for a tanh RNN whose loss reads h_T only."""
    # BEGIN SOLUTION
    grads = np.zeros_like(hs)
    grads[-1] = grad_h_last
    for t in range(len(hs) - 1, 0, -1):
        grads[t - 1] = (grads[t] * (1 - hs[t] ** 2)) @ weight_hh
    return grads
    # END SOLUTION


check("rnn.bptt_hidden", bptt_hidden_grads)

# %% [markdown]
# ## Part 4: BPTT for the recurrent weights
#
# $W_{hh}$ is used at every step, so its gradient is a sum over the steps. At step $t$ it
# multiplies $h_{t-1}$, the state that step *read*:
#
# $$\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^{T}
# \Big(\frac{\partial L}{\partial a_t}\Big)^{\!\top} h_{t-1},$$
#
# a $(H, B) \cdot (B, H)$ product per step, which also sums over the batch. Write
# `bptt_weight_grad(hs, weight_hh, grad_h_last)` (reuse `bptt_hidden_grads`).


# %%
def bptt_weight_grad(hs: np.ndarray, weight_hh: np.ndarray, grad_h_last: np.ndarray) -> np.ndarray:
    """dL/dW_hh, (H, H), for a tanh RNN whose loss reads h_T only."""
    # BEGIN SOLUTION
    grads = bptt_hidden_grads(hs, weight_hh, grad_h_last)
    grad_pre = grads[1:] * (1 - hs[1:] ** 2)  # dL/da_t for t = 1..T
    return sum(grad_pre[t].T @ hs[t] for t in range(len(grad_pre)))
    # END SOLUTION


check("rnn.bptt_weight", bptt_weight_grad)

# %% [markdown]
# Your BPTT next to minigrad's `backward()` through the unrolled loop, on a sequence of 30 steps
# with $L = \sum h_T$:

# %%
x = minigrad.randn(30, 2, 3, rng=1)
hs = [minigrad.zeros(2, 4)]  # h_0
for t in range(30):
    hs.append(cell(x[t], hs[-1]))
hs[-1].sum().backward()
try:
    states = np.stack([h.data for h in hs])
    mine = bptt_weight_grad(states, cell.weight_hh.data, np.ones((2, 4)))
except NotImplementedError:
    print("Write parts 3 and 4, then run this cell again.")
else:
    gap = np.abs(mine - cell.weight_hh.grad).max()
    print(f"largest difference from backward(): {gap:.1e}")

# %% [markdown]
# ## Summary
#
# - An RNN is one cell applied at every step, $h_t = \tanh(x_t W_{ih}^\top + b_{ih} +
#   h_{t-1} W_{hh}^\top + b_{hh})$; `backward()` through the loop is BPTT.
# - Going back one step multiplies by $\operatorname{diag}(1 - h_t^2)$ and by $W_{hh}$; the
#   weights' gradient sums one term per step, each with the state that step read.
#
# Next: `exercises/04_vanishing_gradient.ipynb`: what that repeated product does over many
# steps.
