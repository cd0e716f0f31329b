# %% [markdown]
# # Exercises 4: the vanishing and exploding gradient
#
# These exercises go with `notebooks/04_vanishing_gradient.ipynb`. You will measure how the
# gradient of an RNN fades as it goes back in time, write the Jacobian of one step and the
# bound that explains the fading, and write gradient clipping, the standard cure for the
# opposite problem, gradients that explode.
#
# **How to work.** Replace each `# YOUR CODE HERE` and `raise NotImplementedError` with your
# code and run the cell; the `check(...)` at its end prints the verdict at once. That verdict
# is advice, not the grade: the grader runs the saved notebook in a fresh kernel and judges
# each of your functions itself, on new inputs. Score the notebook from the course folder with
#
# ```
# .venv/bin/python -m minigrad grade exercises/04_vanishing_gradient.ipynb
# ```
#
# Solutions: `solutions/04_vanishing_gradient.ipynb`.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad
from minigrad import Tensor, nn
from minigrad.course.grading.check import check

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Part 1: measure the gradient at every step
#
# After `backward()`, minigrad leaves in `.grad` of *every* tensor of the graph its gradient,
# not only in the parameters'. So if you keep the hidden states of an unrolled RNN,
# `h_t.grad` is $\partial L/\partial h_t$.
#
# Write `hidden_grad_norms(cell, x)`: run the `nn.RNNCell` over `x`, $(T, B, I)$, from a zero
# state (`cell(x[t], h)` with `h = None` at first), keeping $h_1, \dots, h_T$; call
# `backward()` on $L = \sum h_T$ (the sum of all the entries of $h_T$); and return the norms
# $\|\partial L / \partial h_t\|$ for $t = 1, \dots, T$ as a numpy array of shape $(T,)$. The
# norm of a $(B, H)$ array is `np.linalg.norm(a)`, the square root of the sum of its squares.


# %%
def hidden_grad_norms(cell: nn.RNNCell, x: Tensor) -> np.ndarray:
    """||dL/dh_t|| for t = 1..T, (T,), for L = sum(h_T) of cell run over x (T, B, I)."""
    # BEGIN SOLUTION
    h, states = None, []
    for t in range(x.shape[0]):
        h = cell(x[t], h)
        states.append(h)
    states[-1].sum().backward()
    return np.array([np.linalg.norm(h.grad) for h in states])
    # END SOLUTION


check("vanishing.grad_norms", hidden_grad_norms)

# %% [markdown]
# On a log scale an exponential is a straight line. With PyTorch's default initialisation and
# 60 steps:

# %%
steps = 60
cell = nn.RNNCell(input_size=3, hidden_size=16, rng=0)
x = minigrad.randn(steps, 1, 3, rng=1)
try:
    norms = hidden_grad_norms(cell, x)
except NotImplementedError:
    print("Write hidden_grad_norms in part 1, then run this cell again.")
else:
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    ax.semilogy(np.arange(1, steps + 1), norms, marker=".")
    ax.set(
        xlabel="time step t (the loss reads $h_T$, T = 60)",
        ylabel=r"$\|\partial L / \partial h_t\|$",
        title="The gradient fades as it goes back in time",
    )
    plt.show()

# %% [markdown]
# ## Part 2: the Jacobian of one step
#
# Why a straight line? Going back one step multiplies the gradient by the Jacobian of that
# step. For one sequence, $h_t = \tanh(W_{hh} h_{t-1} + \dots)$, and unit $i$'s slope is
# $(1 - h_{t,i}^2)\, W_{hh}[i, j]$ in $h_{t-1, j}$:
#
# $$\frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}\big(1 - h_t^2\big)\, W_{hh} .$$
#
# Write `rnn_jacobian(h_next, weight_hh)`, with `h_next` $= h_t$ of shape $(H,)$. Entry
# $(i, j)$ is $\partial h_{t,i} / \partial h_{t-1,j}$: the factor of unit $i$ scales row $i$.


# %%
def rnn_jacobian(h_next: np.ndarray, weight_hh: np.ndarray) -> np.ndarray:
    """dh_t/dh_{t-1}, (H, H), of a tanh RNN step that produced h_next = h_t, (H,)."""
    # BEGIN SOLUTION
    return np.diag(1 - h_next**2) @ weight_hh
    # END SOLUTION


check("vanishing.jacobian", rnn_jacobian)

# %% [markdown]
# ## Part 3: the bound
#
# The gradient that reaches $h_{T-k}$ went through $k$ such Jacobians. The size of a matrix
# as a map, $\|A\|_2 = \max_{\|v\| = 1} \|A v\|$, is its largest singular value
# $\sigma_{\max}(A)$, and the norm of a product is at most the product of the norms. Since
# $|1 - h^2| \le 1$:
#
# $$\Big\|\frac{\partial h_T}{\partial h_{T-k}}\Big\|_2
# \le \prod_{s} \big\|\operatorname{diag}(1 - h_s^2)\big\|_2\, \|W_{hh}\|_2
# \le \sigma_{\max}(W_{hh})^{k} .$$
#
# When $\sigma_{\max} < 1$ the gradient must vanish exponentially (Bengio, Simard & Frasconi
# 1994, "Learning long-term dependencies with gradient descent is difficult"; Pascanu,
# Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks"). Write
# `gradient_bound(weight_hh, steps)` $= \sigma_{\max}(W_{hh})^{\text{steps}}$, where
# `np.linalg.norm(W, ord=2)` is $\sigma_{\max}$. Careful: the spectral radius (the largest
# $|\lambda|$ of the eigenvalues) is not the same number, and bounds nothing after a finite
# number of steps.


# %%
def gradient_bound(weight_hh: np.ndarray, steps: int) -> float:
    """sigma_max(W_hh) ** steps: the bound on ||dh_T/dh_(T - steps)|| of a tanh RNN."""
    # BEGIN SOLUTION
    return float(np.linalg.norm(weight_hh, ord=2) ** steps)
    # END SOLUTION


check("vanishing.bound", gradient_bound)

# %% [markdown]
# Your Jacobians, multiplied over the last 20 steps of the sequence above, next to your bound:

# %%
hs = [minigrad.zeros(1, 16)]
for t in range(steps):
    hs.append(cell(x[t], hs[-1]))
W = cell.weight_hh.data
print(f"sigma_max(W_hh) = {np.linalg.norm(W, ord=2):.3f}")
try:
    product = np.eye(16)
    for k in range(1, 21):
        product = product @ rnn_jacobian(hs[steps - k + 1].data[0], W)
        if k % 5 == 0:
            measured = np.linalg.norm(product, ord=2)
            print(f"k = {k:2d}: ||dh_T/dh_(T-k)|| = {measured:.2e} <= {gradient_bound(W, k):.2e}")
except NotImplementedError:
    print("Write parts 2 and 3, then run this cell again.")

# %% [markdown]
# With PyTorch's default initialisation this $W_{hh}$ has $\sigma_{\max}$ a little above 1, so
# the bound grows with $k$ and promises nothing; it forces the gradient to vanish only when
# $\sigma_{\max} < 1$. The measured product vanishes all the same, and not because of the
# slopes $1 - h_t^2$, most of which are close to 1: the spectral radius $\rho$ of this
# $W_{hh}$ (its largest $|\lambda|$) is well below 1, and over many steps $\|W_{hh}^k\|$
# shrinks like $\rho^k$ (chapter 4).
# A bound says how bad things can get, not how bad they are.

# %% [markdown]
# ## Part 4: gradient clipping
#
# When the Jacobians are large instead, the gradient explodes: one step of gradient descent
# can throw the weights far away. *Clipping* shortens the gradient when it is too long,
# without turning it (Pascanu et al. 2013). With all the parameters' gradients seen as one
# long vector $g$,
#
# $$\|g\| = \sqrt{\textstyle\sum_{p} \sum \text{p.grad}^2}, \qquad
# g \leftarrow g \cdot \frac{\text{max\_norm}}{\|g\|}
# \quad \text{when } \|g\| > \text{max\_norm} .$$
#
# Every gradient is scaled by the same factor, which is what keeps the direction. Write
# `clip_grad_norm_(params, max_norm)` as PyTorch has it: it changes the `.grad` of the
# parameters and returns $\|g\|$ *before* clipping. A parameter whose `.grad` is `None` (no
# gradient reached it) is skipped. Give each parameter a new array, `p.grad = p.grad * scale`:
# minigrad may share one gradient array between tensors.


# %%
def clip_grad_norm_(params: list[Tensor], max_norm: float) -> float:
    """Scale every p.grad by max_norm / ||g|| when the global norm ||g|| > max_norm;
    return ||g|| before clipping."""
    # BEGIN SOLUTION
    with_grad = [p for p in params if p.grad is not None]
    total = float(np.sqrt(sum((p.grad**2).sum() for p in with_grad)))
    if total > max_norm:
        for p in with_grad:
            p.grad = p.grad * (max_norm / total)
    return total
    # END SOLUTION


check("vanishing.clip_grad_norm", clip_grad_norm_)

# %% [markdown]
# Two gradients of norm 3 and 4 (together 5), clipped to 1: both shrink by the same factor.

# %%
first, second = minigrad.zeros(2, requires_grad=True), minigrad.zeros(1, requires_grad=True)
first.grad, second.grad = np.array([3.0, 0.0]), np.array([4.0])
try:
    before = clip_grad_norm_([first, second], max_norm=1.0)
except NotImplementedError:
    print("Write clip_grad_norm_ in part 4, then run this cell again.")
else:
    print(f"norm before: {before:.3f}; gradients after: {first.grad}, {second.grad}")

# %% [markdown]
# ## Summary
#
# - Backward through $k$ steps multiplies $k$ Jacobians $\operatorname{diag}(1 - h_t^2)
#   W_{hh}$; their product shrinks (or grows) exponentially in $k$.
# - $\sigma_{\max}(W_{hh})^k$ bounds it: below 1 the gradient must vanish.
# - Exploding gradients are tamed by clipping the global norm, which keeps the direction.
#
# Next: `exercises/05_lstm_cell.ipynb`, the cell built to keep its gradient.
