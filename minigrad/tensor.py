"""`Tensor`: the same reverse-mode autodiff as `Value`, on numpy arrays.

Every op is written as its maths: the forward result, then a `backward` function that maps
the gradient of the result, g = dL/d(out), to the gradient of each input, dL/d(input).
`make_node` records both in the graph; `Tensor.backward` walks the graph in reverse
topological order and adds up, for every tensor, what all of its users send back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from minigrad.autograd import _GradMode, topological_order
from minigrad.rng import get_rng

Backward = Callable[[np.ndarray], tuple]


class Tensor:
    """An n-dimensional array that remembers how it was made.

    data: a numpy array, float64 unless created as float32.
    grad: dL/d(this tensor) with the same shape, after `L.backward()`; None before.
    """

    __slots__ = (
        "_data",
        "grad",
        "requires_grad",
        "_parents",
        "_backward",
        "_op",
        "_retains_grad",
        "_written",
        "_made",
    )
    # numpy must not treat a Tensor as an array: `array * tensor` then calls Tensor.__rmul__.
    __array_ufunc__ = None

    def __init__(self, data, requires_grad: bool = False, dtype=None) -> None:
        self._data = _to_float_array(data, dtype)
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._parents: tuple[Tensor, ...] = ()
        self._backward: Backward | None = None
        self._op = ""
        self._retains_grad = True  # see make_node
        self._written = self._made = 0  # see DataWrites

    # ---- the data, and who changed it -------------------------------------------------

    @property
    def data(self) -> np.ndarray:
        """The numbers, a numpy array."""
        return self._data

    @data.setter
    def data(self, value: np.ndarray) -> None:
        # `x.data = new` and `x.data -= step` (an optimizer's update) both come here: the
        # clock records the write, so that backward can refuse a graph that used the old data
        DataWrites.clock += 1
        self._written = DataWrites.clock
        self._data = value

    # ---- what it is -------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def size(self) -> int:
        return self._data.size

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return float(self.data.reshape(()))

    def numpy(self) -> np.ndarray:
        """The data itself (shared, not copied), as `torch.Tensor.numpy()`."""
        return self.data

    def detach(self) -> Tensor:
        """The same data, cut off from the graph."""
        return Tensor._leaf(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        extra += "" if self.dtype == np.float64 else f", dtype={self.dtype}"
        return f"tensor({body}{extra})"

    @staticmethod
    def _leaf(data: np.ndarray, requires_grad: bool = False) -> Tensor:
        """A tensor around an array that is already float: no checks, no copy."""
        out = Tensor.__new__(Tensor)
        out._data, out.grad, out.requires_grad = data, None, requires_grad
        out._parents, out._backward, out._op = (), None, ""
        out._retains_grad, out._written, out._made = True, 0, 0
        return out

    # ---- backward ---------------------------------------------------------------------

    def backward(self, grad=None) -> None:
        """Fill `.grad` of every tensor this one depends on with dL/d(tensor), L = this one.

        grad: dL/d(this tensor), needed unless this tensor holds a single number (then 1).
        Leaves (tensors you made with requires_grad=True) add to their `.grad` across calls,
        as in PyTorch, until zeroed; every other tensor holds this call's gradient (except
        the internal ones of a fused op, which nobody can read: see `make_node`).
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad. None of the tensors it was "
                "computed from has requires_grad=True, or it was computed under no_grad()."
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() on a tensor of shape {self.shape} needs grad=dL/d(this), an "
                    f"array of shape {self.shape}; or reduce it to one number first, "
                    "e.g. out.sum().backward()"
                )
            grad = np.ones_like(self.data)
        else:
            # a copy: this array becomes self.grad, and the caller may change theirs later
            grad = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(
                    f"backward(grad): grad has shape {grad.shape}, expected {self.shape}"
                )

        order = topological_order(self)
        for node in order:
            if node._parents:
                node.grad = None  # intermediate tensors hold this pass's gradient only
        # A gradient array this pass created itself can be added to in place; one that was
        # handed over by an op may be shared with another tensor, so it is never modified.
        owned: set[int] = set()
        _accumulate(self, grad, owned)
        for node in reversed(order):  # users before the tensors they use
            if node._backward is None or node.grad is None:
                continue  # a leaf, or a node no gradient reached
            if DataWrites.clock > node._made:  # some data was written since: was it ours?
                _check_unchanged(node)
            for parent, parent_grad in zip(node._parents, node._backward(node.grad)):
                if parent_grad is None or not parent.requires_grad:
                    continue
                # the two commonest cases of `_accumulate`, inlined: this runs for every input
                # of every node (a weight gets one contribution per time step of an RNN)
                if type(parent_grad) is np.ndarray:
                    if parent.grad is None:
                        parent.grad = parent_grad  # the first contribution, kept as it is
                        continue
                    if id(parent) in owned:
                        parent.grad += parent_grad  # a buffer of ours: add in place
                        continue
                _accumulate(parent, parent_grad, owned)
            if not node._retains_grad:
                node.grad = None  # used, and nobody can read it: free it now (see make_node)
        for node in order:
            if not node._parents and node.grad is not None and id(node) not in owned:
                node.grad = np.array(node.grad)  # a leaf's .grad is its own, writable array

    # ---- arithmetic, with broadcasting --------------------------------------------------

    def __add__(self, other) -> Tensor:
        a, b = self, _as_tensor(other, self)
        out = _broadcasting(np.add, a, b, "add")
        # d(a+b)/da = 1, d(a+b)/db = 1
        return make_node(
            out, (a, b), lambda g: (unbroadcast(g, a.shape), unbroadcast(g, b.shape)), "add"
        )

    def __sub__(self, other) -> Tensor:
        a, b = self, _as_tensor(other, self)
        out = _broadcasting(np.subtract, a, b, "sub")
        # d(a-b)/da = 1, d(a-b)/db = -1
        return make_node(
            out, (a, b), lambda g: (unbroadcast(g, a.shape), unbroadcast(-g, b.shape)), "sub"
        )

    def __mul__(self, other) -> Tensor:
        a, b = self, _as_tensor(other, self)
        out = _broadcasting(np.multiply, a, b, "mul")

        def backward(g):  # d(ab)/da = b, d(ab)/db = a
            return (
                unbroadcast(g * b.data, a.shape) if a.requires_grad else None,
                unbroadcast(g * a.data, b.shape) if b.requires_grad else None,
            )

        return make_node(out, (a, b), backward, "mul")

    def __truediv__(self, other) -> Tensor:
        a, b = self, _as_tensor(other, self)
        out = _broadcasting(np.divide, a, b, "div")

        def backward(g):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -out/b
            return (
                unbroadcast(g / b.data, a.shape) if a.requires_grad else None,
                unbroadcast(-g * out / b.data, b.shape) if b.requires_grad else None,
            )

        return make_node(out, (a, b), backward, "div")

    def __pow__(self, exponent) -> Tensor:
        a, b = self, _as_tensor(exponent, self)
        out = _broadcasting(np.power, a, b, "pow")

        def backward(g):  # d(a^b)/da = b a^(b-1), d(a^b)/db = a^b ln(a)
            grad_a = grad_b = None
            if a.requires_grad:
                with np.errstate(divide="ignore", invalid="ignore"):
                    slope = b.data * a.data ** (b.data - 1)
                # a^0 = 1 is flat: slope 0, also at a = 0, where the formula gives 0 * inf
                slope = np.where(b.data == 0, 0.0, slope)
                grad_a = unbroadcast(g * slope, a.shape)
            if b.requires_grad:
                grad_b = unbroadcast(g * out * np.log(a.data), b.shape)
            return grad_a, grad_b

        return make_node(out, (a, b), backward, "pow")

    def __neg__(self) -> Tensor:
        return make_node(-self.data, (self,), lambda g: (-g,), "neg")  # d(-a)/da = -1

    # A Python number or array on the left: 2 * x, 1 - x, 1 / x, 2 ** x
    def __radd__(self, other) -> Tensor:
        return _as_tensor(other, self) + self

    def __rsub__(self, other) -> Tensor:
        return _as_tensor(other, self) - self

    def __rmul__(self, other) -> Tensor:
        return _as_tensor(other, self) * self

    def __rtruediv__(self, other) -> Tensor:
        return _as_tensor(other, self) / self

    def __rpow__(self, other) -> Tensor:
        return _as_tensor(other, self) ** self

    def __matmul__(self, other) -> Tensor:
        a, b = self, _as_tensor(other, self)
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: {a.shape} @ {b.shape}: both sides need at least 1 dim")
        inner_a, inner_b = a.shape[-1], b.shape[-2 if b.ndim > 1 else 0]
        if inner_a != inner_b:
            raise ValueError(
                f"matmul: {a.shape} @ {b.shape}: inner dimensions {inner_a} and {inner_b} differ"
            )
        out = _broadcasting(np.matmul, a, b, "matmul")

        def backward(g):
            # For matrices, out = A B gives dA = g B^T and dB = A^T g. A vector operand is
            # treated as a 1-row (left) or 1-column (right) matrix, so the same rule applies.
            A = a.data[None, :] if a.ndim == 1 else a.data
            B = b.data[:, None] if b.ndim == 1 else b.data
            G = g[..., None] if b.ndim == 1 else g  # put back the axes the vectors dropped
            G = G[..., None, :] if a.ndim == 1 else G
            grad_a = grad_b = None
            if a.requires_grad:
                grad_a = unbroadcast(G @ np.swapaxes(B, -1, -2), A.shape).reshape(a.shape)
            if b.requires_grad:
                grad_b = unbroadcast(np.swapaxes(A, -1, -2) @ G, B.shape).reshape(b.shape)
            return grad_a, grad_b

        return make_node(out, (a, b), backward, "matmul")

    def __rmatmul__(self, other) -> Tensor:
        return _as_tensor(other, self) @ self

    # ---- elementwise functions ----------------------------------------------------------

    def exp(self) -> Tensor:
        e = np.exp(self.data)
        return make_node(e, (self,), lambda g: (g * e,), "exp")  # d(e^x)/dx = e^x

    def log(self) -> Tensor:
        if np.any(self.data <= 0):
            bad = self.data[self.data <= 0].flat[0]
            raise ValueError(f"log needs positive numbers; the input holds {bad:g}")
        x = self.data
        return make_node(np.log(x), (self,), lambda g: (g / x,), "log")  # d(ln x)/dx = 1/x

    def tanh(self) -> Tensor:
        t = np.tanh(self.data)
        return make_node(t, (self,), lambda g: (g * (1 - t * t),), "tanh")  # 1 - tanh(x)^2

    def sigmoid(self) -> Tensor:
        s = sigmoid(self.data)
        return make_node(s, (self,), lambda g: (g * s * (1 - s),), "sigmoid")  # s (1 - s)

    def relu(self) -> Tensor:
        positive = self.data > 0
        # slope 1 where x > 0, else 0 (0 at x = 0, as PyTorch)
        out = np.maximum(self.data, 0)  # not x * (x > 0): that is nan at x = -inf
        return make_node(out, (self,), lambda g: (g * positive,), "relu")

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Elementwise clamp to [min, max]; the gradient flows only where x was inside."""
        inside = np.ones(self.shape, dtype=bool)
        if min is not None:
            inside &= self.data >= min
        if max is not None:
            inside &= self.data <= max
        out = np.clip(self.data, min, max)
        return make_node(out, (self,), lambda g: (g * inside,), "clip")

    # ---- reductions ---------------------------------------------------------------------

    def sum(self, axis=None, keepdims: bool = False) -> Tensor:
        out = self.data.sum(axis=axis, keepdims=keepdims)
        shape = self.shape
        # every input element adds to the sum once: its gradient is g, copied back over
        # the axes that were summed (a broadcast view: nothing is copied)
        return make_node(
            out, (self,), lambda g: (np.broadcast_to(_keep_axes(g, axis, keepdims), shape),), "sum"
        )

    def mean(self, axis=None, keepdims: bool = False) -> Tensor:
        total = self.sum(axis=axis, keepdims=keepdims)
        return total / (self.size // max(total.size, 1))  # divided by how many were summed

    def max(self, axis=None, keepdims: bool = False) -> Tensor:
        out = self.data.max(axis=axis, keepdims=True)
        is_max = self.data == out
        # the gradient goes to the largest element; ties share it equally
        share = is_max.astype(self.dtype)  # float32 in, float32 gradient out
        share /= share.sum(axis=axis, keepdims=True)
        out = out if keepdims else _drop_axes(out, axis)
        return make_node(out, (self,), lambda g: (_keep_axes(g, axis, keepdims) * share,), "max")

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / sum(exp(x)) along `axis`. Backward: s * (g - sum(g * s))."""
        s = softmax(self.data, axis)
        return make_node(
            s, (self,), lambda g: (s * (g - (g * s).sum(axis=axis, keepdims=True)),), "softmax"
        )

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x - log(sum(exp(x))) along `axis`. Backward: g - softmax(x) * sum(g)."""
        out = log_softmax(self.data, axis)
        return make_node(
            out,
            (self,),
            lambda g: (g - np.exp(out) * g.sum(axis=axis, keepdims=True),),
            "log_softmax",
        )

    # ---- shapes ---------------------------------------------------------------------------

    def reshape(self, *shape) -> Tensor:
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        try:
            out = self.data.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot view shape {self.shape} ({self.size} elements) as {tuple(shape)}"
            ) from None
        original = self.shape
        return make_node(out, (self,), lambda g: (g.reshape(original),), "reshape")

    def transpose(self, *axes) -> Tensor:
        """Permute the axes (all reversed when none are given), as `numpy.transpose`."""
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        axes = tuple(axes) if axes else tuple(reversed(range(self.ndim)))
        # -1 means the last axis; an axis outside [-ndim, ndim) is never valid
        normalized = [a + self.ndim if a < 0 else a for a in axes]
        if sorted(normalized) != list(range(self.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation for shape {self.shape}")
        inverse = tuple(np.argsort(normalized))
        return make_node(
            self.data.transpose(axes), (self,), lambda g: (g.transpose(inverse),), "transpose"
        )

    @property
    def T(self) -> Tensor:
        return self.transpose()

    def __getitem__(self, index) -> Tensor:
        if isinstance(index, Tensor):
            raise TypeError("index a tensor with ints, slices, lists or numpy arrays, not a Tensor")
        index = _own_index(index)  # backward uses it later: the caller's array may change
        try:
            out = self.data[index]
        except IndexError as error:
            raise IndexError(f"index into a tensor of shape {self.shape}: {error}") from None
        # the gradient of a selection goes back to the selected places only (see SliceGrad)
        repeats = _has_integer_array(index)  # worked out once here, not in every backward
        return make_node(out, (self,), lambda g: (SliceGrad(index, g, repeats),), "getitem")

    def split(self, split_size_or_sections: int | Sequence[int], axis: int = 0) -> tuple:
        """Pieces along `axis`: of `split_size` each (the last may be smaller), or of the
        given sizes, as `torch.split`."""
        return split(self, split_size_or_sections, axis)

    def chunk(self, chunks: int, axis: int = 0) -> tuple:
        """`chunks` pieces of (nearly) equal size along `axis`, as `torch.chunk`."""
        return chunk(self, chunks, axis)


# ---- the graph -------------------------------------------------------------------------


def make_node(data: np.ndarray, parents: tuple, backward: Backward, op: str) -> Tensor:
    """The result of an op: `data`, plus (when a gradient is needed) how to get back.

    backward(g) receives dL/d(result) and returns one gradient per parent, each of that
    parent's shape, or None for a parent that needs none (it may check
    `parent.requires_grad` to skip the work).

    The result keeps its gradient after backward, as every tensor does. A fused op whose
    intermediate result never reaches the caller (the gates inside `fused.gru_cell`) sets
    `_retains_grad = False` on it: backward then frees that gradient as soon as it has been
    passed on, instead of holding one such array per node until the graph is freed (for
    the course's GRU, T=100 steps of a (32, 128) array: 3.2 MB that would be allocated, and
    returned to the system, in every training step).
    """
    out = Tensor.__new__(Tensor)
    out._data, out.grad, out._op, out._retains_grad = data, None, op, True
    out.requires_grad, out._parents, out._backward = False, (), None
    out._written, out._made = 0, DataWrites.clock
    if _GradMode.enabled:
        for parent in parents:  # a loop, not any(...): this runs for every op, and is faster
            if parent.requires_grad:
                out.requires_grad, out._parents, out._backward = True, parents, backward
                break
    return out  # when no parent needs a gradient, no graph is recorded


class DataWrites:
    """A clock that ticks at every write to a tensor's data through minigrad: `x.data = new`,
    `x.data -= step` (what the optimizers do), `load_state_dict`.

    A node's backward reads the data of its parents as they were when it was made. If one was
    changed in place since, the gradient would silently be that of other numbers, so
    backward refuses (PyTorch raises the same way). Each node remembers the clock when it was
    made (`_made`) and each tensor when it was last written (`_written`): a parent written
    after its user was made has changed under it. The check costs one comparison per node
    when nothing was written. A write into the array itself (`x.data[0] = 1`,
    `np.add(x.data, 1, out=x.data)`) is numpy's, and minigrad cannot see it.
    """

    clock = 0


def _check_unchanged(node: Tensor) -> None:
    for parent in node._parents:
        if parent._written > node._made:
            raise RuntimeError(
                f"backward(): a tensor of shape {parent.shape} that '{node._op}' was computed "
                "from has had its .data changed in place since (x.data = ..., x.data -= ..., "
                "optimizer.step() or load_state_dict), so its gradient would be that of other "
                "numbers. Run the forward pass again after changing it, or call backward() "
                "before the update."
            )


class SliceGrad:
    """The gradient of `x[index]`: `grad` belongs at `index` in x's gradient, zero elsewhere.

    Writing out that mostly-zero array for every slice would cost a full-size array per
    slice; instead `_accumulate` adds `grad` into the place it belongs in x's gradient.
    repeats: whether the index holds an integer array or list, in which one place may be
    selected several times (then each selection adds its share: `np.add.at`).
    """

    __slots__ = ("index", "grad", "repeats")

    def __init__(self, index, grad: np.ndarray, repeats: bool) -> None:
        self.index, self.grad, self.repeats = index, grad, repeats


def _accumulate(node: Tensor, grad, owned: set) -> None:
    """Add one user's contribution `grad` to node.grad."""
    key = id(node)
    if isinstance(grad, SliceGrad):
        if key not in owned:  # start from a buffer of our own: zeros, or a copy of what was there
            first = node.grad is None
            if first:
                node.grad = np.zeros(node.shape, dtype=node.dtype)
            else:
                node.grad = np.array(node.grad, dtype=node.dtype)
            owned.add(key)
            if first and not grad.repeats:
                node.grad[grad.index] = grad.grad  # into zeros: written, not added
                return
        if grad.repeats:
            np.add.at(node.grad, grad.index, grad.grad)  # an index may repeat: add each time
        else:
            node.grad[grad.index] += grad.grad
    elif node.grad is None:
        node.grad = grad  # the first contribution: keep it as it is, no copy
    elif key in owned:
        node.grad += grad
    else:
        node.grad = node.grad + grad  # a new array, ours from now on
        owned.add(key)


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `grad` down to `shape`, undoing numpy broadcasting.

    Broadcasting used each element of a (3, 1) input in every column of a (3, 4) result, and
    added leading axes to smaller inputs. An input used k times receives the sum of the k
    gradients: so we sum over the leading axes broadcasting added, and over the axes where
    the input had size 1.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


# ---- helpers for the ops above -----------------------------------------------------------


def _broadcasting(op: Callable, a: Tensor, b: Tensor, name: str) -> np.ndarray:
    try:
        return op(a.data, b.data)
    except ValueError:
        raise ValueError(
            f"{name}: shapes {a.shape} and {b.shape} cannot be broadcast together"
        ) from None


def _as_tensor(x, like: Tensor) -> Tensor:
    """x as a constant tensor with like's dtype (a Python number does not upcast float32)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (int, float, np.number)) and not isinstance(x, bool):
        return Tensor._leaf(np.asarray(x, dtype=like.dtype))
    return Tensor(x)


def _keep_axes(g: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    """Put back the reduced axes as size 1, so that g broadcasts against the input."""
    if keepdims or axis is None:
        return g
    return np.expand_dims(g, axis)


def _drop_axes(x: np.ndarray, axis) -> np.ndarray:
    return x.reshape(()) if axis is None else np.squeeze(x, axis=axis)


def _own_index(index):
    """The index with a copy of each array or list in it (ints and slices cannot change)."""
    if type(index) is int or type(index) is slice:  # the common case, quickly
        return index
    parts = index if isinstance(index, tuple) else (index,)
    if not any(isinstance(part, (list, np.ndarray)) for part in parts):
        return index
    owned = tuple(np.array(p) if isinstance(p, (list, np.ndarray)) else p for p in parts)
    return owned if isinstance(index, tuple) else owned[0]


def _has_integer_array(index) -> bool:
    if type(index) is int or type(index) is slice:  # the common case, quickly
        return False
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, list) or (isinstance(part, np.ndarray) and part.dtype != bool):
            return True
    return False


def _to_float_array(data, dtype) -> np.ndarray:
    """A float copy of data: float64 unless float32 is asked for or given."""
    if isinstance(data, Tensor):
        data = data.data
    try:
        # no dtype yet: asked for floats, numpy would read the text "1.5" as a number
        array = np.array(data)
    except (ValueError, TypeError) as error:
        raise TypeError(
            f"Tensor needs numbers (a number, a nested list of equal lengths, or an array), "
            f"got {type(data).__name__}: {error}"
        ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor needs numbers, got an array of dtype {array.dtype} "
            f"({type(data).__name__}); convert it to float first"
        )
    if dtype is None:
        dtype = array.dtype if array.dtype in (np.float32, np.float64) else np.float64
    return array.astype(_float_dtype(dtype), copy=False)


def _float_dtype(dtype) -> np.dtype:
    """`dtype` as a numpy dtype, float64 for None; minigrad computes in float32 or float64."""
    dtype = np.dtype(np.float64 if dtype is None else dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"Tensor dtype must be float32 or float64, got {dtype}")
    return dtype


# ---- numerically stable functions on arrays, shared with nn ---------------------------------


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x), written so that nothing overflows and small results keep their digits.

    With e = e^-|x|, never above 1: sigmoid(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) for
    x < 0. (The shortcut (1 + tanh(x/2)) / 2 never overflows either, but for x << 0 it adds
    two numbers that nearly cancel: sigmoid(-30) keeps 3 correct digits, sigmoid(-40) is 0.)
    """
    e = np.exp(-np.abs(x))
    s = 1.0 / (1.0 + e)
    return np.where(x < 0, e * s, s)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # subtracting the max changes nothing mathematically and keeps exp from overflowing
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# ---- functions of several tensors, and constructors ------------------------------------------


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """A new tensor holding a float copy of `data` (as `torch.tensor`)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def cat(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis. Backward: each gets its own stretch of g."""
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("cat: needs at least one tensor")
    try:
        out = np.concatenate([t.data for t in tensors], axis=axis)
    except ValueError as error:  # numpy's AxisError is a ValueError too
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise ValueError(f"cat along axis {axis}: shapes {shapes} do not fit: {error}") from None
    ends = np.cumsum([t.shape[axis] for t in tensors])[:-1]
    return make_node(out, tensors, lambda g: tuple(np.split(g, ends, axis=axis)), "cat")


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new axis. Backward: each gets its slice of g."""
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    out = np.stack([t.data for t in tensors], axis=axis)
    return make_node(out, tensors, lambda g: tuple(np.moveaxis(g, axis, 0)), "stack")


def split(x: Tensor, split_size_or_sections: int | Sequence[int], axis: int = 0) -> tuple:
    """Pieces of x along `axis` (see Tensor.split). Each piece is a slice of x."""
    n = x.shape[axis]
    if isinstance(split_size_or_sections, (int, np.integer)):
        if split_size_or_sections <= 0:
            raise ValueError(f"split: split_size must be positive, got {split_size_or_sections}")
        sizes = [split_size_or_sections] * (n // split_size_or_sections)
        if n % split_size_or_sections:
            sizes.append(n % split_size_or_sections)
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} add up to {sum(sizes)}, not {n} (axis {axis})")
    lead = (slice(None),) * (axis % x.ndim)
    starts = np.cumsum([0] + sizes)
    return tuple(x[lead + (slice(int(s), int(s + k)),)] for s, k in zip(starts, sizes))


def chunk(x: Tensor, chunks: int, axis: int = 0) -> tuple:
    """`chunks` pieces along `axis`, each of ceil(n / chunks) elements (the last may be
    smaller), as `torch.chunk`."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    return split(x, math.ceil(x.shape[axis] / chunks), axis)


def where(condition, a, b) -> Tensor:
    """Elementwise `a if condition else b`; the gradient goes to whichever was chosen."""
    # a copy: backward uses it later, and the caller may change their array in between
    condition = np.array(condition.data if isinstance(condition, Tensor) else condition, bool)
    a = a if isinstance(a, Tensor) else Tensor(a)
    b = _as_tensor(b, a)
    try:
        out = np.where(condition, a.data, b.data)
    except ValueError:
        raise ValueError(
            f"where: condition {condition.shape}, a {a.shape} and b {b.shape} "
            "cannot be broadcast together"
        ) from None
    return make_node(
        out,
        (a, b),
        lambda g: (
            unbroadcast(np.where(condition, g, 0.0), a.shape),
            unbroadcast(np.where(condition, 0.0, g), b.shape),
        ),
        "where",
    )


def zeros(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor._leaf(np.zeros(_shape(shape), dtype=_float_dtype(dtype)), requires_grad)


def ones(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor._leaf(np.ones(_shape(shape), dtype=_float_dtype(dtype)), requires_grad)


def zeros_like(x: Tensor, requires_grad: bool = False) -> Tensor:
    return zeros(x.shape, dtype=x.dtype, requires_grad=requires_grad)


def ones_like(x: Tensor, requires_grad: bool = False) -> Tensor:
    return ones(x.shape, dtype=x.dtype, requires_grad=requires_grad)


def rand(*shape, rng=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1). rng: a seed, a numpy Generator, or None for the global one."""
    data = get_rng(rng).random(_shape(shape)).astype(_float_dtype(dtype), copy=False)
    return Tensor._leaf(data, requires_grad)


def randn(*shape, rng=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal. rng: a seed, a numpy Generator, or None for the global one."""
    data = get_rng(rng).standard_normal(_shape(shape)).astype(_float_dtype(dtype), copy=False)
    return Tensor._leaf(data, requires_grad)


def _shape(shape: tuple) -> tuple:
    """zeros(2, 3) and zeros((2, 3)) both mean shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(n, (int, np.integer)) and n >= 0 for n in shape):
        raise ValueError(f"a shape needs non-negative integers, got {shape}")
    return shape
