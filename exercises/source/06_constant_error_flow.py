# %% [markdown]
# # Exercises 6: constant error flow
#
# These exercises go with `notebooks/06_constant_error_flow.ipynb`. In chapter 4 the gradient
# of an RNN shrank by a Jacobian $\operatorname{diag}(1 - h_t^2)\,W_{hh}$ at every step back.
# Here you will compute what replaces that product along the LSTM's cell state, see it stay
# at 1 in the original cell, and set the one number that keeps it near 1 in today's.
#
# **How to work.** Replace each `# YOUR CODE HERE` and `raise NotImplementedError` with your
# code and run the cell; the `check(...)` at its end prints the verdict at once. That verdict
# is advice, not the grade: the grader runs the saved notebook in a fresh kernel and judges
# each of your functions itself, on new inputs. Score the notebook from the course folder with
#
# ```
# .venv/bin/python -m minigrad grade exercises/06_constant_error_flow.ipynb
# ```
#
# Solutions: `solutions/06_constant_error_flow.ipynb`.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad
from minigrad import Tensor, nn
from minigrad.course.grading.check import check

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Part 1: run the cell and keep what it did
#
# `cell.step(x_t, (h, c))` is one step of minigrad's gate-by-gate `nn.LSTMCell`; it returns
# `(h_new, c_new, gates)`, where `gates.forget` is the forget gate $f_t$ that step used (also
# `gates.input`, `gates.candidate`, `gates.output`).
#
# Write `run_lstm(cell, x, h0, c0)`: run the cell over `x`, $(T, B, I)$, from the state
# `(h0, c0)`, and return two lists of Tensors: the cell states $[c_0, c_1, \dots, c_T]$,
# starting with `c0` itself, and the forget gates $[f_1, \dots, f_T]$, one per step. Keep the
# Tensors themselves: after `backward()` each $c_t$ then holds $\partial L/\partial c_t$.


# %%
def run_lstm(
    cell: nn.LSTMCell, x: Tensor, h0: Tensor, c0: Tensor
) -> tuple[list[Tensor], list[Tensor]]:
    """Run cell.step over x (T, B, I) from (h0, c0); return ([c_0 ... c_T], [f_1 ... f_T])."""
    # BEGIN SOLUTION
    h, cell_states, forget_gates = h0, [c0], []
    for t in range(x.shape[0]):
        h, c, gates = cell.step(x[t], (h, cell_states[-1]))
        cell_states.append(c)
        forget_gates.append(gates.forget)
    return cell_states, forget_gates
    # END SOLUTION


check("carousel.run_lstm", run_lstm)

# %% [markdown]
# ## Part 2: the gradient along the cell state
#
# The cell state changes by $c_t = f_t \odot c_{t-1} + i_t \odot g_t$: a product with the
# forget gate and a sum, and no squashing function. Holding the gates fixed, one step back
# multiplies the gradient by $f_t$, entry by entry, so
#
# $$\frac{\partial c_T}{\partial c_k} = f_{k+1} \odot f_{k+2} \odot \dots \odot f_T
# \qquad (k = 0, \dots, T;\ \text{nothing to multiply at } k = T) .$$
#
# (The gates also read $h_{t-1}$, which depends on $c_{t-1}$: a second path, through the
# recurrent weights. The 1997 paper cut it off in its learning rule, and along the cell state
# the product above is all there is.) No $W_{hh}$ and no $1 - h^2$: in the original LSTM,
# without a forget gate ($f = 1$), the product is exactly 1 at every distance. Hochreiter &
# Schmidhuber (1997) called this path the *constant error carousel*.
#
# Write `cell_state_grads(forget_gates)` with numpy: given the forget gates $f_1, \dots, f_T$
# as one array of shape $(T, B, H)$ (entry $t - 1$ is $f_t$), return
# $\partial c_T/\partial c_k$ for $k = 0, \dots, T$, shape $(T+1, B, H)$.


# %%
def cell_state_grads(forget_gates: np.ndarray) -> np.ndarray:
    """dc_T/dc_k for k = 0..T, (T+1, B, H), from forget_gates f_1 ... f_T, (T, B, H)."""
    # BEGIN SOLUTION
    grads = np.ones((len(forget_gates) + 1, *forget_gates.shape[1:]))
    for k in range(len(forget_gates) - 1, -1, -1):
        grads[k] = grads[k + 1] * forget_gates[k]  # forget_gates[k] is f_{k+1}
    return grads
    # END SOLUTION


check("carousel.cell_grads", cell_state_grads)

# %% [markdown]
# With the recurrent weights set to zero the gates read $x$ alone, the second path is gone,
# and `backward()` must agree with the product exactly:

# %%
steps, batch, hidden = 40, 4, 8
x = minigrad.randn(steps, batch, 2, rng=1)
h0 = minigrad.zeros(batch, hidden)
cell = nn.LSTMCell(input_size=2, hidden_size=hidden, rng=0)
cell.weight_hh.data[...] = 0.0
try:
    cell_states, forget_gates = run_lstm(cell, x, h0, minigrad.zeros(batch, hidden))
    cell_states[-1].sum().backward()
    mine = cell_state_grads(np.stack([f.data for f in forget_gates]))
except NotImplementedError:
    print("Write parts 1 and 2, then run this cell again.")
else:
    from_backward = np.stack([c.grad for c in cell_states[1:]])
    print(f"largest difference from backward(): {np.abs(mine[1:] - from_backward).max():.1e}")

# %% [markdown]
# ## Part 3: start with the memory on
#
# With small random weights, $f = \sigma(z) \approx \sigma(0) = 0.5$ at first, and the product
# halves at every step back: $0.5^{40} \approx 10^{-12}$. Adding a constant $b$ to the forget
# gate's bias makes it start near $\sigma(b)$ instead, e.g. $\sigma(1) \approx 0.73$,
# $\sigma(3) \approx 0.95$: the cell keeps its memory until it learns what to forget (Gers et
# al. 2000; Jozefowicz, Zaremba & Sutskever 2015, "An empirical exploration of recurrent
# network architectures").
#
# Write `add_forget_bias(cell, value)`: add `value` to the forget gate's block of
# `cell.bias_ih` (entries $H$ to $2H - 1$), in place (`cell.bias_ih.data[...] += ...` on the
# block), as `nn.LSTMCell(..., forget_bias=value)` does. Leave `bias_hh` alone: the two
# biases are added together, so adding to both would count `value` twice.


# %%
def add_forget_bias(cell: nn.LSTMCell, value: float) -> None:
    """Add `value` to the forget gate's entries of cell.bias_ih, in place."""
    # BEGIN SOLUTION
    H = cell.hidden_size
    cell.bias_ih.data[H : 2 * H] += value
    # END SOLUTION


check("carousel.forget_bias", add_forget_bias)

# %% [markdown]
# The gradient along the cell state of a fresh cell (recurrent weights as initialised), for
# three forget biases and for the 1997 cell without a forget gate (`forget_gate=False`,
# $f = 1$), averaged over the batch and the units:

# %%
settings = {
    "forget bias 0": 0.0,
    "forget bias 1": 1.0,
    "forget bias 3": 3.0,
    "no forget gate": None,
}
try:
    curves = {}
    for label, bias in settings.items():
        cell = nn.LSTMCell(input_size=2, hidden_size=hidden, forget_gate=bias is not None, rng=0)
        if bias:
            add_forget_bias(cell, bias)
        c0 = minigrad.zeros(batch, hidden)
        _, forget_gates = run_lstm(cell, x, h0, c0)
        curves[label] = cell_state_grads(np.stack([f.data for f in forget_gates]))
except NotImplementedError:
    print("Write the three parts, then run this cell again.")
else:
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    for label, grads in curves.items():
        ax.semilogy(np.arange(steps + 1), grads.mean(axis=(1, 2)), label=label)
    ax.set(
        xlabel="k (the loss reads $c_T$, T = 40)",
        ylabel=r"mean of $\partial c_T / \partial c_k$",
        title="The gradient along the LSTM's cell state",
    )
    ax.legend()
    plt.show()
    for label, grads in curves.items():
        print(f"{label:>15}: dc_T/dc_0 = {grads[0].mean():.2e}")

# %% [markdown]
# ## Summary
#
# - Along the cell state, one step back multiplies the gradient by the forget gate:
#   $\partial c_T / \partial c_k = f_{k+1} \odot \dots \odot f_T$, with no weight matrix and no
#   squashing slope in the product.
# - Without a forget gate it is exactly 1: constant error flow. With one, it fades only as
#   fast as the gates close, and a positive forget bias keeps them open at the start.
#
# Next: `exercises/07_long_range_tasks.ipynb`, tasks that need that memory.
