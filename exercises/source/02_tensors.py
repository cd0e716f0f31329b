# %% [markdown]
# # Exercises 2: tensors
#
# These exercises go with `notebooks/02_tensors.ipynb`. A `Tensor` runs the same reverse-mode
# autodiff as `Value`, on whole numpy arrays: each operation's backward maps the gradient of
# its result, `grad` $= \partial L/\partial\,\text{out}$, to the gradient of each input. You
# will write five of those backward functions, on plain numpy arrays (a product, a matrix
# product, a softmax, a sum over an axis, and the cross-entropy loss), one helper that every
# broadcasting operation needs, and the update of the Adam optimizer that chapter 2 trains
# with.
#
# **How to work.** Replace each `# YOUR CODE HERE` and `raise NotImplementedError` with your
# code and run the cell; the `check(...)` at its end prints the verdict at once. That verdict
# is advice, not the grade: the grader runs the saved notebook in a fresh kernel and judges
# each of your functions itself, on new inputs. Score the notebook from the course folder with
#
# ```
# .venv/bin/python -m minigrad grade exercises/02_tensors.ipynb
# ```
#
# Solutions: `solutions/02_tensors.ipynb`.

# %%
import numpy as np

import minigrad
from minigrad.course.grading.check import check
from minigrad.optim import Adam
from minigrad.tensor import softmax

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Part 1: unbroadcast
#
# numpy *broadcasts*: adding `b` of shape `(3,)` to `A` of shape `(4, 3)` adds `b` to each of
# the 4 rows, so every `b[j]` is used 4 times. A value used several times receives the sum of
# the gradients of all its uses (the `+=` of chapter 1), so $\partial L / \partial b_j$ is the
# sum of column $j$ of `grad`. minigrad already does this:

# %%
A = minigrad.randn(4, 3, rng=0, requires_grad=True)
b = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
(A + b).sum().backward()
print("b.grad =", b.grad, "(each b[j] was used 4 times, each time with slope 1)")

# %% [markdown]
# Write `unbroadcast(grad, shape)`, which sums `grad` down to `shape` by undoing the two things
# broadcasting does:
#
# 1. it adds leading axes to the smaller array: `(3,)` against `(4, 3)` acts as `(1, 3)`, and
#    `(4, 1)` against `(2, 4, 3)` as `(1, 4, 1)`. Sum `grad` over those
#    `grad.ndim - len(shape)` leading axes;
# 2. it stretches axes of size 1: then sum over every axis where `shape` has a 1, with
#    `keepdims=True` so that the axis stays, with size 1.
#
# When `grad` already has the shape, it comes back unchanged. For example a `grad` of shape
# `(2, 4, 3)` goes to `(4, 1)` by summing over axis 0, then over the last axis with
# `keepdims=True`.


# %%
def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum grad down to `shape`, the shape of an input that broadcasting stretched."""
    # BEGIN SOLUTION
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1)
    return grad.sum(axis=stretched, keepdims=True)
    # END SOLUTION


check("tensors.unbroadcast", unbroadcast)

# %% [markdown]
# ## Part 2: the backward of an elementwise product
#
# For `out = a * b` (elementwise, with broadcasting), each entry has the local derivatives of
# chapter 1, so
#
# $$\frac{\partial L}{\partial a} = \text{grad} \odot b, \qquad
# \frac{\partial L}{\partial b} = \text{grad} \odot a ,$$
#
# each computed at the shape of `out`. A gradient must have the shape of its input, though:
# when `a` was `(3, 1)` and `out` is `(3, 4)`, each `a[i, 0]` was used 4 times. Write
# `mul_backward(a, b, grad)` returning `(grad_a, grad_b)`, each at its input's shape (use your
# `unbroadcast`).


# %%
def mul_backward(a: np.ndarray, b: np.ndarray, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dL/da and dL/db for out = a * b, given grad = dL/d(out) (the shape of out)."""
    # BEGIN SOLUTION
    return unbroadcast(grad * b, a.shape), unbroadcast(grad * a, b.shape)
    # END SOLUTION


check("tensors.mul_backward", mul_backward)

# %% [markdown]
# ## Part 3: the backward of a matrix product
#
# For `out = A @ B` with $A$ of shape $(M, K)$ and $B$ of shape $(K, N)$, entry
# $\text{out}_{mn} = \sum_k A_{mk} B_{kn}$, so $A_{mk}$ has slope $B_{kn}$ in every
# $\text{out}_{mn}$ of row $m$. Summing over those uses:
#
# $$\frac{\partial L}{\partial A} = \text{grad}\; B^\top, \qquad
# \frac{\partial L}{\partial B} = A^\top\, \text{grad} .$$
#
# The shapes are a good guide: `grad` is $(M, N)$ and $\partial L/\partial A$ must be
# $(M, K)$, so the only product that fits is $(M, N) \cdot (N, K)$. Write
# `matmul_backward(A, B, grad)`.


# %%
def matmul_backward(
    A: np.ndarray, B: np.ndarray, grad: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """dL/dA (M, K) and dL/dB (K, N) for out = A @ B, given grad = dL/d(out), (M, N)."""
    # BEGIN SOLUTION
    return grad @ B.T, A.T @ grad
    # END SOLUTION


check("tensors.matmul_backward", matmul_backward)

# %% [markdown]
# ## Part 4: the backward of softmax
#
# $s = \operatorname{softmax}(x)$ along the last axis, $s_j = e^{x_j} / \sum_k e^{x_k}$. Unlike
# the elementwise functions, every output depends on every input of its row:
#
# $$\frac{\partial s_j}{\partial x_i} = s_j\,(\delta_{ij} - s_i)
# \quad\Longrightarrow\quad
# \frac{\partial L}{\partial x_i} = \sum_j \text{grad}_j\, s_j (\delta_{ij} - s_i)
# = s_i \Big(\text{grad}_i - \sum_j \text{grad}_j\, s_j\Big).$$
#
# Write `softmax_backward(s, grad)` for arrays of shape $(B, C)$, one softmax per row: the
# sum over $j$ is one number per row, so keep it as a column (`keepdims=True`) for it to
# broadcast along the row.


# %%
def softmax_backward(s: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """dL/dx for s = softmax(x) along the last axis, given s and grad = dL/ds, both (B, C)."""
    # BEGIN SOLUTION
    return s * (grad - (grad * s).sum(axis=-1, keepdims=True))
    # END SOLUTION


check("tensors.softmax_backward", softmax_backward)

# %% [markdown]
# Your `softmax_backward` next to minigrad's, on one row:

# %%
x = minigrad.tensor([[1.0, 2.0, 0.5]], requires_grad=True)
weights = np.array([[1.0, -1.0, 2.0]])
x.softmax(axis=-1).backward(weights)
try:
    mine = softmax_backward(minigrad.tensor(x.data).softmax(axis=-1).data, weights)
except NotImplementedError:
    print("Write softmax_backward in part 4, then run this cell again.")
else:
    print("yours:   ", mine)
    print("minigrad:", x.grad)

# %% [markdown]
# ## Part 5: the backward of a sum over an axis
#
# `out = x.sum(axis=k)` adds along axis $k$: for $x$ of shape $(B, C)$ and $k = 1$, out is
# $(B,)$ with $\text{out}_b = \sum_c x_{bc}$. Each $x_{bc}$ enters one sum, with slope 1:
#
# $$\frac{\partial L}{\partial x_{bc}} = \text{grad}_b ,$$
#
# so the backward *broadcasts* grad back over the axis that the sum removed (the mirror
# image of `unbroadcast`). The catch is where numpy lines the axes up: it matches the
# *last* axes, so a `grad` of shape $(B,)$ broadcast to $(B, C)$ would be read as one number
# per column. Put the summed axis back first, as a size-1 axis, with
# `np.expand_dims(grad, axis)`; with `keepdims=True` it is there already, and with
# `axis=None` (the sum of everything) grad is one number, which broadcasts anywhere.
#
# Write `sum_backward(grad, shape, axis, keepdims)`, returning an array of `shape`, the
# shape of $x$ (`np.broadcast_to(..., shape)` gives a read-only view: `.copy()` it).


# %%
def sum_backward(grad: np.ndarray, shape: tuple, axis: int | None, keepdims: bool) -> np.ndarray:
    """dL/dx, of `shape`, for out = x.sum(axis=axis, keepdims=keepdims); grad = dL/d(out)."""
    # BEGIN SOLUTION
    if axis is not None and not keepdims:
        grad = np.expand_dims(grad, axis)  # the summed axis back, as size 1
    return np.broadcast_to(grad, shape).copy()
    # END SOLUTION


check("tensors.sum_backward", sum_backward)

# %% [markdown]
# ## Part 6: the backward of the cross-entropy
#
# A classifier's loss: for logits $z$ of shape $(B, C)$ and the right class $y_b$ of each
# row, the mean over the batch of $-\log$ the probability that the softmax gives the right
# class,
#
# $$L = -\frac{1}{B} \sum_b \log s_{b, y_b}, \qquad s_b = \operatorname{softmax}(z_b) .$$
#
# Put part 4 and $\partial(-\log s)/\partial s = -1/s$ together and almost everything
# cancels:
#
# $$\frac{\partial L}{\partial z_{bc}} = \frac{1}{B}\,\big(s_{bc} - [c = y_b]\big),$$
#
# the probabilities minus a one-hot row of the right classes. That is why frameworks compute
# the loss from the logits in one piece (`minigrad.nn.functional.cross_entropy`): the
# gradient is simple and never divides by a tiny $s$. Compute $s$ stably: `softmax(z)`
# (imported at the top; numpy in, numpy out, along the last axis) subtracts each row's
# largest logit first, so that $e^{1000}$ never appears.

# %%
print(softmax(np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])))


# %%
def cross_entropy_backward(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """dL/d(logits), (B, C), for the mean cross-entropy; targets: (B,) class indices."""
    # BEGIN SOLUTION
    grad = softmax(logits)
    grad[np.arange(len(targets)), targets] -= 1.0  # minus the one-hot of the right classes
    return grad / len(targets)
    # END SOLUTION


check("tensors.cross_entropy_backward", cross_entropy_backward)

# %% [markdown]
# ## Part 7: Adam's update
#
# Chapter 2 trains with Adam (Kingma & Ba 2015, Algorithm 1), which keeps two running
# averages per parameter, of the gradient ($m$) and of its square ($v$), and steps by their
# ratio: a parameter whose gradient is steady takes steps of about `lr`, whatever the scale
# of its gradient. At step $t = 1, 2, \ldots$, with gradient $g$:
#
# $$\begin{aligned}
# m &\leftarrow \beta_1 m + (1 - \beta_1)\, g, \qquad
# v \leftarrow \beta_2 v + (1 - \beta_2)\, g^2, \\
# \hat m &= \frac{m}{1 - \beta_1^t}, \qquad \hat v = \frac{v}{1 - \beta_2^t}, \qquad
# \theta \leftarrow \theta - \text{lr}\, \frac{\hat m}{\sqrt{\hat v} + \epsilon} .
# \end{aligned}$$
#
# $m$ and $v$ start at 0, so in the first steps they are too small, by the factor
# $1 - \beta^t$: the hats correct that (at $t = 1$, $\hat m = g$ exactly). Write
# `adam_update(param, grad, m, v, t, lr, betas, eps)`, returning the new
# `(param, m, v)`; the check runs it for three steps against `minigrad.optim.Adam`.


# %%
def adam_update(
    param: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    lr: float,
    betas: tuple[float, float],
    eps: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Adam's step number t (1, 2, ...): the new (param, m, v), each of param's shape."""
    # BEGIN SOLUTION
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
    # END SOLUTION


check("tensors.adam_update", adam_update)

# %% [markdown]
# Your Adam next to minigrad's, on $\theta^2$ from $\theta = 1$: after the first step,
# $\hat m / \sqrt{\hat v} = 1$, so the step is `lr` whatever the gradient.

# %%
theta = minigrad.tensor([1.0], requires_grad=True)
optimizer = Adam([theta], lr=0.1)
mine, m, v = np.array([1.0]), np.zeros(1), np.zeros(1)
try:
    for t in range(1, 4):
        theta.grad = 2 * theta.data  # d(theta^2)/d(theta)
        optimizer.step()
        mine, m, v = adam_update(mine, 2 * mine, m, v, t, 0.1, (0.9, 0.999), 1e-8)
        print(f"step {t}: yours {mine[0]:.4f}, minigrad.optim.Adam {theta.data[0]:.4f}")
except NotImplementedError:
    print("Write adam_update in part 7, then run this cell again.")

# %% [markdown]
# ## Summary
#
# - A gradient has the shape of its input; broadcasting used an input several times, so its
#   gradient is a sum: `unbroadcast`.
# - Products: $\text{grad} \odot b$ for `a * b`; $\text{grad}\, B^\top$ and
#   $A^\top \text{grad}$ for `A @ B`, where the shapes tell you the order.
# - Softmax couples a row: $s \odot (\text{grad} - \sum \text{grad} \odot s)$.
# - A sum over an axis sends grad back to every entry it added: put the axis back, then
#   broadcast. The cross-entropy's gradient is $(s - \text{onehot}) / B$.
# - Adam steps by $\hat m / (\sqrt{\hat v} + \epsilon)$, averages corrected for starting at 0.
#
# Next: `exercises/03_rnn_bptt.ipynb`, a recurrent net and backpropagation through time.
