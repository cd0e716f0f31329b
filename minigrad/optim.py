"""Optimizers: how parameters move once backward has filled their `.grad`.

`SGD` and `Adam` follow PyTorch's update rules exactly, and `clip_grad_norm_` rescales the
gradients when their norm is too large. All of them read `p.grad` without ever writing into
it: a gradient array may be shared between tensors (the engine hands one array to several
users), so a new array is bound to `p.grad` instead. The parameters' values, `p.data`, are
ours to update in place.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from minigrad.tensor import Tensor


class Optimizer:
    """What every optimizer shares: the list of parameters, and `zero_grad`."""

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params = list(params)  # a generator (model.parameters()) would run out
        name = type(self).__name__
        if not self.params:
            raise ValueError(f"{name}: got an empty list of parameters")
        for k, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.requires_grad:
                kind = type(p).__name__ if not isinstance(p, Tensor) else "Tensor without grad"
                raise TypeError(
                    f"{name}: parameter {k} must be a Tensor with requires_grad=True, got {kind}"
                )
        if not lr > 0:
            raise ValueError(f"{name}: learning rate lr must be positive, got {lr}")
        self.lr = lr

    def zero_grad(self) -> None:
        """Forget the gradients of the last backward (set them to None, as PyTorch does)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (PyTorch's form):

        v <- momentum * v + grad        (v = grad at the first step)
        p <- p - lr * v

    With momentum = 0 this is p <- p - lr * grad. Parameters whose grad is None are skipped.
    """

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0) -> None:
        super().__init__(params, lr)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum}")
        self.momentum = momentum
        self.velocity: dict[int, np.ndarray] = {}  # by id(p): one buffer per parameter

    def step(self) -> None:
        for p in self.params:
            if p.grad is None:
                continue
            direction = p.grad
            if self.momentum:
                v = self.velocity.get(id(p))
                if v is None:
                    v = self.velocity[id(p)] = np.array(p.grad)  # a copy: v is updated in place
                else:
                    v *= self.momentum
                    v += p.grad
                direction = v
            p.data -= self.lr * direction


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): a step per parameter scaled by running averages of the
    gradient (m) and of its square (v), both corrected for starting at zero:

        m <- b1 m + (1 - b1) grad          v <- b2 v + (1 - b2) grad^2
        p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

    at step t = 1, 2, ... Parameters whose grad is None are skipped (their t stays put).
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr)
        if not all(0.0 <= b < 1.0 for b in betas) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be two numbers in [0, 1), got {betas}")
        if not eps > 0:
            raise ValueError(f"Adam: eps must be positive, got {eps}")
        self.betas, self.eps = tuple(betas), eps
        self.state: dict[int, dict] = {}  # by id(p): its step count t, m and v

    def step(self) -> None:
        beta1, beta2 = self.betas
        for p in self.params:
            if p.grad is None:
                continue
            state = self.state.get(id(p))
            if state is None:
                state = self.state[id(p)] = {
                    "t": 0,
                    "m": np.zeros_like(p.data),
                    "v": np.zeros_like(p.data),
                }
            state["t"] += 1
            t, m, v, grad = state["t"], state["m"], state["v"], p.grad
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            # the same arithmetic, in the same order, as PyTorch's Adam
            step_size = self.lr / (1 - beta1**t)
            denominator = np.sqrt(v) / math.sqrt(1 - beta2**t) + self.eps
            p.data -= step_size * (m / denominator)


def clip_grad_norm_(params: Iterable[Tensor], max_norm: float) -> float:
    """Rescale the gradients so that their global norm is at most `max_norm`.

    The global norm is sqrt(sum of grad^2 over every parameter). When it exceeds max_norm,
    every gradient is multiplied by max_norm / norm: the direction of the step is kept and
    only its length shrinks. This stops the exploding gradients of recurrent nets from
    throwing the parameters far away in one step (Pascanu, Mikolov & Bengio 2013).
    Returns the norm before clipping (useful to plot). Parameters without grad are ignored.
    """
    if not max_norm > 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be positive, got {max_norm}")
    grads = [p for p in params if p.grad is not None]
    total = math.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in grads))
    # PyTorch's small constant keeps the division finite when the norm is 0
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for p in grads:
            p.grad = p.grad * scale  # a new array: p.grad may be shared, never write into it
    return total
