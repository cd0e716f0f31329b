# %% [markdown]
# # Exercises 5: the LSTM cell
#
# These exercises go with `notebooks/05_lstm_cell.ipynb`. You will write one step of the long
# short-term memory cell (Hochreiter & Schmidhuber 1997, "Long Short-Term Memory"; the forget
# gate is from Gers, Schmidhuber & Cummins 2000, "Learning to forget: continual prediction
# with LSTM"), gate by gate, reading the weights of minigrad's `nn.LSTMCell`.
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
# ## Parts 2 to 5: the gates
#
# Each gate is its activation of its block: a sigmoid for the three gates, a tanh for the
# candidate. `Tensor.sigmoid()` and `Tensor.tanh()` are there; mind the order i, f, g, o. The
# checks also test the range: a gate outside $[0, 1]$ cannot be a sigmoid.


# %%
def input_gate(x: Tensor, h: Tensor, cell: nn.LSTMCell) -> Tensor:
    """The input gate i, (B, H): how much of the candidate is written."""
    # BEGIN SOLUTION
    return gate_preactivation(x, h, cell, 0).sigmoid()
    # END SOLUTION


check("lstm.input_gate", input_gate)


# %%
def forget_gate(x: Tensor, h: Tensor, cell: nn.LSTMCell) -> Tensor:
    """The forget gate f, (B, H): how much of the old cell state is kept."""
    # BEGIN SOLUTION
    return gate_preactivation(x, h, cell, 1).sigmoid()
    # END SOLUTION


check("lstm.forget_gate", forget_gate)


# %%
def candidate(x: Tensor, h: Tensor, cell: nn.LSTMCell) -> Tensor:
    """The candidate g, (B, H): the value that may be written into the cell state."""
    # BEGIN SOLUTION
    return gate_preactivation(x, h, cell, 2).tanh()
    # END SOLUTION


check("lstm.candidate", candidate)


# %%
def output_gate(x: Tensor, h: Tensor, cell: nn.LSTMCell) -> Tensor:
    """The output gate o, (B, H): how much of the cell state is shown as h."""
    # BEGIN SOLUTION
    return gate_preactivation(x, h, cell, 3).sigmoid()
    # END SOLUTION


check("lstm.output_gate", output_gate)

# %% [markdown]
# ## Part 6: one step of the cell
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
    c_new = forget_gate(x, h, cell) * c + input_gate(x, h, cell) * candidate(x, h, cell)
    h_new = output_gate(x, h, cell) * c_new.tanh()
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
    print("Write the six parts, then run this cell again.")
else:
    gap = max(np.abs(h_new.data - h_ref.data).max(), np.abs(c_new.data - c_ref.data).max())
    print(f"largest difference from cell.step: {gap:.1e}")

# %% [markdown]
# ## Summary
#
# - Four gates read the same $x$ and $h$; their weights are stacked in the order i, f, g, o,
#   $H$ rows each.
# - Three gates are sigmoids, fractions in $(0, 1)$; the candidate is a tanh.
# - $c' = f \odot c + i \odot g$: the cell state is changed by scaling and adding, with no
#   squashing function on the path from $c$ to $c'$. The next exercises show why that
#   matters for the gradient.
#
# Next: `exercises/06_constant_error_flow.ipynb`.
