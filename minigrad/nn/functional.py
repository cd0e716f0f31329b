"""Functions of tensors used by layers and losses, as in `torch.nn.functional`.

Each is one node in the graph with its own backward: fewer nodes means less Python work per
step, and the fused formulas are also the numerically stable ones.
"""

from __future__ import annotations

import numpy as np

from minigrad.tensor import Tensor, log_softmax, make_node, sigmoid, softmax, unbroadcast


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x W^T + b. x: (..., in), weight: (out, in), bias: (out,). Returns (..., out).

    Backward: dx = g W, dW = g^T x (summed over the batch), db = g summed over the batch.
    """
    for name, value in (("input", x), ("weight", weight), ("bias", bias)):
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(
                f"linear: {name} must be a Tensor, got {type(value).__name__}; wrap it: "
                f"Tensor({name})"
            )
    if weight.ndim != 2:
        raise ValueError(f"linear: expected weight (out, in), got {weight.shape}")
    if x.shape[-1:] != weight.shape[1:]:
        raise ValueError(
            f"linear: input has shape {x.shape}, so its last size {x.shape[-1:]} must equal "
            f"in_features {weight.shape[1]} of the weight {weight.shape}"
        )
    # a bias of another shape could still broadcast, into a wrong result and a wrong gradient
    if bias is not None and bias.shape != weight.shape[:1]:
        raise ValueError(
            f"linear: expected a bias of shape {weight.shape[:1]} (out_features), got {bias.shape}"
        )
    out = x.data @ weight.data.T
    if bias is not None:
        out += bias.data
    xs, ws = x.data, weight.data

    def backward(g):
        flat_g = g.reshape(-1, g.shape[-1])  # batch axes flattened: (N, out)
        return (
            g @ ws if x.requires_grad else None,
            flat_g.T @ xs.reshape(-1, xs.shape[-1]) if weight.requires_grad else None,
            flat_g.sum(axis=0) if bias is not None and bias.requires_grad else None,
        )

    parents = (x, weight) if bias is None else (x, weight, bias)
    return make_node(out, parents, backward, "linear")


def mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Mean (or sum) of (input - target)^2. input and target must have the same shape."""
    target = _as_constant(target, input)
    if input.shape != target.shape:
        raise ValueError(
            f"mse_loss: input {input.shape} and target {target.shape} differ in shape; "
            "reshape one of them (broadcasting here is almost always a bug)"
        )
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def cross_entropy(logits: Tensor, target, reduction: str = "mean") -> Tensor:
    """-log softmax(logits)[target], averaged. logits: (N, C); target: (N,) class indices.

    From logits, never from probabilities: log_softmax is stable for any size of logit.
    Backward: (softmax(logits) - onehot(target)) / N.
    """
    classes = np.asarray(target.data if isinstance(target, Tensor) else target)
    if logits.ndim != 2 or classes.shape != logits.shape[:1]:
        raise ValueError(
            f"cross_entropy: expected logits (N, C) and target (N,), got {logits.shape} and "
            f"{classes.shape}"
        )
    whole = classes.dtype.kind in "biu" or (
        classes.dtype.kind == "f" and np.all(classes == np.round(classes))
    )
    if not whole:
        raise TypeError(
            "cross_entropy: target must hold class indices (integers), "
            f"got {classes} of dtype {classes.dtype}"
        )
    classes = classes.astype(np.intp)
    n, c = logits.shape
    if n == 0:
        raise ValueError(
            f"cross_entropy: the batch is empty (logits of shape {logits.shape}); the mean "
            "over no examples is undefined"
        )
    if n and (classes.min() < 0 or classes.max() >= c):
        raise ValueError(f"cross_entropy: target classes must be in [0, {c}), got {classes}")
    rows = np.arange(n)
    log_p = log_softmax(logits.data, axis=1)
    losses = -log_p[rows, classes]
    scale = 1.0 / n if reduction == "mean" else 1.0

    def backward(g):
        grad = softmax(logits.data, axis=1)
        grad[rows, classes] -= 1.0
        return (grad * (g * scale),)

    return make_node(
        _reduce_array(losses, reduction, "cross_entropy"), (logits,), backward, "cross_entropy"
    )


def binary_cross_entropy_with_logits(logits: Tensor, target, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of sigmoid(logits) against targets in [0, 1], from logits.

    -[t log s + (1-t) log(1-s)] with s = sigmoid(x) equals max(x, 0) - x t + log(1 + e^-|x|),
    which never overflows. Backward: (sigmoid(x) - t) / N.
    """
    target = _as_constant(target, logits)
    if logits.shape != target.shape:
        raise ValueError(
            f"binary_cross_entropy_with_logits: logits {logits.shape} and target "
            f"{target.shape} differ in shape"
        )
    x, t = logits.data, target.data
    losses = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    scale = 1.0 / max(x.size, 1) if reduction == "mean" else 1.0
    return make_node(
        _reduce_array(losses, reduction, "binary_cross_entropy_with_logits"),
        (logits,),
        lambda g: ((sigmoid(x) - t) * (g * scale),),
        "binary_cross_entropy_with_logits",
    )


def _as_constant(x, like: Tensor) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x, dtype=like.dtype)


def _reduce(losses: Tensor, reduction: str, name: str) -> Tensor:
    _check_reduction(reduction, name)
    return losses.mean() if reduction == "mean" else losses.sum()


def _reduce_array(losses: np.ndarray, reduction: str, name: str) -> np.ndarray:
    _check_reduction(reduction, name)
    return losses.mean() if reduction == "mean" else losses.sum()


def _check_reduction(reduction: str, name: str) -> None:
    if reduction not in ("mean", "sum"):
        raise ValueError(f"{name}: reduction must be 'mean' or 'sum', got {reduction!r}")


__all__ = [
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "linear",
    "mse_loss",
    "unbroadcast",
]
