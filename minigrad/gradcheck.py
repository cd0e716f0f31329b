"""`gradcheck`: compare backward's gradients with finite differences.

For each input number x_j the slope of f is estimated by central differences,

    df/dx_j ~ (f(x + eps e_j) - f(x - eps e_j)) / (2 eps),

whose error shrinks like eps^2. In float64 with eps = 1e-6 it agrees with a correct
backward to about 1e-9, so a larger gap means the backward is wrong.
A function with a tensor output is reduced to one number first, L = sum(R * f(x)) with a
fixed random R, so that every output element takes part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from minigrad.autograd import no_grad
from minigrad.scalar import Value


@dataclass
class InputError:
    """The worst disagreement found for one input."""

    index: int  # which input of f
    error: float  # relative error |analytic - numeric| / max(1, |analytic|, |numeric|)
    position: tuple  # where in that input (() for a Value)
    analytic: float
    numeric: float


@dataclass
class GradcheckReport:
    """The result of `gradcheck`: true when every input's worst error is within tolerance."""

    inputs: list[InputError]
    tolerance: float

    @property
    def passed(self) -> bool:
        return all(e.error <= self.tolerance for e in self.inputs)

    @property
    def errors(self) -> list[float]:
        """The worst relative error of each checked input."""
        return [e.error for e in self.inputs]

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        lines = [f"gradcheck {verdict} (tolerance {self.tolerance:.0e})"]
        for e in self.inputs:
            where = f" at {e.position}" if e.position else ""
            lines.append(
                f"  input {e.index}: worst relative error {e.error:.1e}{where}"
                f" (backward {e.analytic:.6g}, finite differences {e.numeric:.6g})"
            )
        return "\n".join(lines)

    __repr__ = __str__


def gradcheck(
    f: Callable, *inputs, eps: float = 1e-6, tolerance: float = 1e-6, seed: int = 0
) -> GradcheckReport:
    """Check the gradient of `f(*inputs)` with respect to each input.

    inputs: all `Value`s, or all float64 `Tensor`s (those with requires_grad=False are
    not checked). Returns a report; `assert gradcheck(f, x, y)` prints it when it fails.
    """
    if not inputs:
        raise ValueError("gradcheck needs at least one input to check")
    if all(isinstance(x, Value) for x in inputs):
        return _check_values(f, inputs, eps, tolerance)
    return _check_tensors(f, inputs, eps, tolerance, seed)


def _relative_error(analytic: float, numeric: float) -> float:
    # Relative for large gradients, absolute for small ones, so that a gradient near zero
    # does not turn round-off into a large "relative" error.
    return abs(analytic - numeric) / max(1.0, abs(analytic), abs(numeric))


def _check_values(f: Callable, inputs: tuple, eps: float, tolerance: float) -> GradcheckReport:
    for x in inputs:
        x.grad = 0.0
    out = f(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    out.backward()
    results = []
    for k, x in enumerate(inputs):
        original = x.data
        x.data = original + eps
        f_plus = f(*inputs).data
        x.data = original - eps
        f_minus = f(*inputs).data
        x.data = original
        numeric = (f_plus - f_minus) / (2 * eps)
        results.append(InputError(k, _relative_error(x.grad, numeric), (), x.grad, numeric))
    return GradcheckReport(results, tolerance)


def _check_tensors(
    f: Callable, inputs: tuple, eps: float, tolerance: float, seed: int
) -> GradcheckReport:
    from minigrad.tensor import Tensor  # here, not at the top: tensor.py imports autograd too

    for k, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(
                f"gradcheck: input {k} is a {type(x).__name__}; pass all Values or all Tensors"
            )
        if x.requires_grad and x.dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {k} is {x.dtype}; use float64, since float32 round-off "
                "swamps finite differences"
            )
        x.grad = None
    out = f(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: f must return a Tensor, got {type(out).__name__}")
    weights = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(weights)

    def loss() -> float:
        with no_grad():
            return float(np.sum(weights * f(*inputs).data))

    results = []
    for k, x in enumerate(inputs):
        if not x.requires_grad:
            continue
        analytic = x.grad if x.grad is not None else np.zeros_like(x.data)
        numeric = np.zeros_like(x.data)
        for position in np.ndindex(x.shape):
            original = x.data[position]
            x.data[position] = original + eps
            f_plus = loss()
            x.data[position] = original - eps
            f_minus = loss()
            x.data[position] = original
            numeric[position] = (f_plus - f_minus) / (2 * eps)
        gaps = np.abs(analytic - numeric) / np.maximum(
            1.0, np.maximum(np.abs(analytic), np.abs(numeric))
        )
        worst = np.unravel_index(np.argmax(gaps), gaps.shape) if gaps.size else ()
        worst = tuple(int(i) for i in worst)
        results.append(
            InputError(
                k,
                float(gaps[worst]) if gaps.size else 0.0,
                worst,
                float(analytic[worst]) if gaps.size else 0.0,
                float(numeric[worst]) if gaps.size else 0.0,
            )
        )
    return GradcheckReport(results, tolerance)
