"""`Value`: reverse-mode autodiff on single numbers, the first chapter's engine.

Every op computes its result and, right beside it, the local derivative of the result with
respect to each input. `backward()` then applies the chain rule: walking the graph from the
output back to the inputs, each node passes `local derivative * its own gradient` to its
parents, and a parent used several times adds up what it receives.
"""

from __future__ import annotations

import math
import numbers

from minigrad.autograd import _GradMode, topological_order


class Value:
    """A number in a computation graph. `data` is its value, `grad` is d(output)/d(this)
    after `output.backward()`."""

    # Fixed attributes instead of a dict: nodes are made by the million, so this saves
    # memory and time.
    __slots__ = ("data", "grad", "label", "_parents", "_local_grads", "_op")

    def __init__(self, data: float, label: str = "") -> None:
        if isinstance(data, Value) or not isinstance(data, numbers.Real):
            raise TypeError(
                f"Value(data) needs a real number (int or float), got {type(data).__name__}: "
                f"{data!r}"
            )
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._parents: tuple[Value, ...] = ()
        self._local_grads: tuple[float, ...] = ()
        self._op = ""

    @staticmethod
    def _result(data: float, parents: tuple, local_grads: tuple, op: str) -> Value:
        """A node made by an op: `local_grads[k]` is d(data)/d(parents[k].data)."""
        out = Value.__new__(Value)  # skips __init__'s checks: op results are floats already
        out.data = data
        out.grad = 0.0
        out.label = ""
        if _GradMode.enabled:
            out._parents = parents
            out._local_grads = local_grads
        else:  # inside `no_grad()`: the result is a new leaf, with no way back
            out._parents = ()
            out._local_grads = ()
        out._op = op
        return out

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    # ---- arithmetic -------------------------------------------------------------------

    def __add__(self, other: Value | float) -> Value:
        other = _as_value(other)
        # d(a+b)/da = 1, d(a+b)/db = 1
        return Value._result(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other: Value | float) -> Value:
        other = _as_value(other)
        # d(ab)/da = b, d(ab)/db = a
        return Value._result(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __pow__(self, exponent: float) -> Value:
        if isinstance(exponent, Value):
            raise TypeError(
                "Value ** Value is not supported: the exponent must be a plain number. "
                "For a learnable exponent b, write (b * a.log()).exp()."
            )
        if not isinstance(exponent, numbers.Real):
            raise TypeError(f"the exponent must be an int or float, got {type(exponent).__name__}")
        a, n = self.data, float(exponent)
        if a < 0 and not n.is_integer():
            raise ValueError(f"{a} ** {n}: a negative number to a fractional power is not real")
        if a == 0 and n < 0:
            raise ZeroDivisionError(f"0 ** {n}: zero to a negative power is undefined")
        # d(a^n)/da = n a^(n-1). At a = 0 the formula would divide by zero when n < 1:
        # there a^0 = 1 is flat, and 0 < n < 1 has an infinite slope (the slope of sqrt at 0).
        if n == 0:
            slope = 0.0
        elif a == 0 and n < 1:
            slope = math.inf
        else:
            slope = n * a ** (n - 1)
        return Value._result(a**n, (self,), (slope,), f"**{exponent:g}")

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:
        return self + (-_as_value(other))

    def __truediv__(self, other: Value | float) -> Value:
        other = _as_value(other)
        if other.data == 0:
            raise ZeroDivisionError(f"division by zero: {self.data:g} / 0")
        return self * other**-1

    # Python numbers on the left: 2 * v, 1 - v, 1 / v
    def __radd__(self, other: float) -> Value:
        return self + other

    def __rmul__(self, other: float) -> Value:
        return self * other

    def __rsub__(self, other: float) -> Value:
        return _as_value(other) - self

    def __rtruediv__(self, other: float) -> Value:
        return _as_value(other) / self

    # ---- functions --------------------------------------------------------------------

    def exp(self) -> Value:
        if self.data > 709.78:  # math.log of the largest float
            raise OverflowError(f"exp({self.data:g}) is too large for a float (limit ~exp(709))")
        e = math.exp(self.data)
        return Value._result(e, (self,), (e,), "exp")  # d(e^a)/da = e^a

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log needs a positive number, got {self.data:g}")
        return Value._result(math.log(self.data), (self,), (1.0 / self.data,), "log")  # 1/a

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return Value._result(t, (self,), (1.0 - t * t,), "tanh")  # 1 - tanh(a)^2

    def sigmoid(self) -> Value:
        s = _stable_sigmoid(self.data)
        return Value._result(s, (self,), (s * (1.0 - s),), "sigmoid")  # s (1 - s)

    def relu(self) -> Value:
        positive = self.data > 0
        # slope 1 where a > 0, else 0 (we take 0 at a = 0, as PyTorch does); nan stays nan,
        # as in Tensor.relu (nan > 0 and nan <= 0 are both False)
        out = 0.0 if self.data <= 0 else self.data
        return Value._result(out, (self,), (float(positive),), "relu")

    # ---- backward ---------------------------------------------------------------------

    def backward(self) -> None:
        """Fill `.grad` of every node this one depends on with d(self)/d(node).

        Inputs you made with `Value(...)` (the leaves) add to their `.grad` across calls,
        as in PyTorch, until you reset it; every other node holds this call's gradient.
        """
        order = topological_order(self)
        for node in order:
            if node._parents:
                node.grad = 0.0
        self.grad += 1.0  # d(self)/d(self)
        # Children before parents: a node's gradient is complete before it is passed on.
        for node in reversed(order):
            for parent, local_grad in zip(node._parents, node._local_grads):
                parent.grad += local_grad * node.grad  # the chain rule


def _as_value(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _stable_sigmoid(a: float) -> float:
    # 1 / (1 + e^-a) overflows for a << 0; there, use the equal form e^a / (1 + e^a).
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)
