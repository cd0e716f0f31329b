"""`Module`: a layer that owns parameters, and `Linear`, the simplest one.

A parameter is a `Tensor` with `requires_grad=True` stored as an attribute of a module. A
module finds its parameters, and those of its submodules, by looking through its own
attributes (`vars(self)`): nothing needs to be registered. Names are attribute paths, as in
PyTorch: `"weight"`, `"cell.weight_ih"`, `"cells.0.bias_hh"`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator

import numpy as np

from minigrad.nn import functional as F
from minigrad.rng import get_rng
from minigrad.tensor import Tensor


class Module:
    """The base class of every layer: subclasses set parameters in `__init__` and define
    `forward`. Calling the module calls `forward`."""

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ---- parameters -----------------------------------------------------------------------

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(name, parameter) for every parameter of this module and its submodules, in the
        order the attributes were set. Submodules may also sit in a list or tuple."""
        seen: set[int] = set()  # a tensor shared by two submodules is listed once
        for name, parameter in self._named_parameters(prefix):
            if id(parameter) not in seen:
                seen.add(id(parameter))
                yield name, parameter

    def _named_parameters(self, prefix: str) -> Iterator[tuple[str, Tensor]]:
        for name, value in vars(self).items():
            if isinstance(value, Tensor) and value.requires_grad:
                yield prefix + name, value
            elif isinstance(value, Module):
                yield from value._named_parameters(f"{prefix}{name}.")
            elif isinstance(value, (list, tuple)):
                for k, item in enumerate(value):
                    if isinstance(item, Module):
                        yield from item._named_parameters(f"{prefix}{name}.{k}.")

    def parameters(self) -> list[Tensor]:
        """Every parameter, as a list (to hand to an optimizer)."""
        return [parameter for _, parameter in self.named_parameters()]

    def zero_grad(self) -> None:
        """Forget the gradients of the last backward (set them to None, as PyTorch does)."""
        for parameter in self.parameters():
            parameter.grad = None

    # ---- saving and loading ------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's values, by name."""
        return {name: parameter.data.copy() for name, parameter in self.named_parameters()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy `state` (from `state_dict()`) into the parameters, in place.

        Every name must match, and every entry must be numbers of its parameter's shape;
        otherwise nothing is loaded and the error names what differs.
        """
        parameters = dict(self.named_parameters())
        missing = sorted(set(parameters) - set(state))
        unexpected = sorted(set(state) - set(parameters))
        if missing or unexpected:
            raise KeyError(
                f"load_state_dict into {type(self).__name__}: missing keys {missing}, "
                f"unexpected keys {unexpected}"
            )
        values = {}  # every entry checked and converted before any parameter changes
        for name, parameter in parameters.items():
            try:
                value = np.asarray(state[name])
            except (ValueError, TypeError) as error:
                raise TypeError(
                    f"load_state_dict into {type(self).__name__}: {name!r} is not an array of "
                    f"numbers ({error})"
                ) from None
            if value.shape != parameter.shape:
                raise ValueError(
                    f"load_state_dict into {type(self).__name__}: {name!r} has shape "
                    f"{parameter.shape} in the model but {value.shape} in the state"
                )
            if value.dtype.kind not in "biuf":
                raise TypeError(
                    f"load_state_dict into {type(self).__name__}: {name!r} holds {value.dtype}, "
                    "expected real numbers"
                )
            values[name] = value
        for name, parameter in parameters.items():
            # in place, so that an optimizer holding these tensors sees the new values; then
            # the same array is set again, which tells backward that the data changed
            target = parameter.data
            target[...] = values[name]
            parameter.data = target

    def save(self, path: str | os.PathLike) -> None:
        """Write the parameters to a numpy `.npz` file: `path`, with `.npz` added when it
        does not end so (as numpy does). `load(path)` with the same path reads it back."""
        np.savez(_npz_path(path), **self.state_dict())

    def load(self, path: str | os.PathLike) -> None:
        """Read parameters written by `save(path)` (see `load_state_dict` for the checks)."""
        found = path if os.path.isfile(path) else _npz_path(path)
        if not os.path.isfile(found):
            raise FileNotFoundError(f"load: no file {os.fspath(path)!r} nor {found!r}")
        what = f"load: {os.fspath(found)!r} must be a .npz archive written by Module.save"
        try:
            archive = np.load(found)
        except (ValueError, OSError, EOFError) as error:
            raise ValueError(f"{what}; numpy cannot read it as one ({error})") from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError(f"{what}; it holds a single array (a .npy file), not named arrays")
        with archive:
            self.load_state_dict({name: archive[name] for name in archive.files})

    def __repr__(self) -> str:
        shapes = ", ".join(f"{name}={tuple(p.shape)}" for name, p in self.named_parameters())
        return f"{type(self).__name__}({shapes})"


def _npz_path(path: str | os.PathLike) -> str:
    """`path` as numpy's savez names its file: with `.npz` added unless it ends so."""
    path = os.fspath(path)
    return path if path.endswith(".npz") else path + ".npz"


def uniform_parameter(shape: tuple, bound: float, rng, dtype=None) -> Tensor:
    """A parameter drawn from U(-bound, bound), PyTorch's default for Linear and RNN layers."""
    data = get_rng(rng).uniform(-bound, bound, size=shape)
    return Tensor(data, requires_grad=True, dtype=dtype or np.float64)


class Linear(Module):
    """y = x W^T + b. x: (..., in_features) -> (..., out_features).

    weight: (out_features, in_features), bias: (out_features,), both drawn from
    U(-1/sqrt(in_features), 1/sqrt(in_features)) as in PyTorch; `rng` (a seed or a numpy
    Generator) makes them reproducible, and None draws from `minigrad.manual_seed`'s generator.
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, rng=None, dtype=None
    ) -> None:
        check_size("Linear", "in_features", in_features)
        check_size("Linear", "out_features", out_features)
        self.in_features, self.out_features = in_features, out_features
        rng = get_rng(rng)  # one generator for both draws, so that a seed fixes both
        bound = 1.0 / math.sqrt(in_features)
        self.weight = uniform_parameter((out_features, in_features), bound, rng, dtype)
        self.bias = uniform_parameter((out_features,), bound, rng, dtype) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        """x: a Tensor, or an array of numbers (taken as a constant), (..., in_features)."""
        return F.linear(x if isinstance(x, Tensor) else Tensor(x), self.weight, self.bias)


def check_size(layer: str, name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{layer}: {name} must be a positive int, got {value!r}")
