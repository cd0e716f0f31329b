# %% [markdown]
# # Exercises 2: tensors
#
# These exercises go with `notebooks/02_tensors.ipynb`. A `Tensor` runs the same reverse-mode
# autodiff as `Value`, on whole numpy arrays: each operation's backward maps the gradient of
# its result, `grad` $= \partial L/\partial\,\text{out}$, to the gradient of each input. You
# will write four of those backward functions, on plain numpy arrays, and one helper that
# every broadcasting operation needs.
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
# ## Summary
#
# - A gradient has the shape of its input; broadcasting used an input several times, so its
#   gradient is a sum: `unbroadcast`.
# - Products: $\text{grad} \odot b$ for `a * b`; $\text{grad}\, B^\top$ and
#   $A^\top \text{grad}$ for `A @ B`, where the shapes tell you the order.
# - Softmax couples a row: $s \odot (\text{grad} - \sum \text{grad} \odot s)$.
#
# Next: `exercises/03_rnn_bptt.ipynb`, a recurrent net and backpropagation through time.
