"""minigrad: a small autograd engine, written to learn from.

`Value` (one number per node) is the first chapter's engine; `Tensor` (numpy arrays, with
broadcasting) runs the networks; `minigrad.nn` and `minigrad.optim` build recurrent nets on
top. The course around the engine (tasks, training, plots, grading) is `minigrad.course`.
"""

from minigrad.autograd import is_grad_enabled, no_grad
from minigrad.gradcheck import gradcheck
from minigrad.rng import manual_seed
from minigrad.scalar import Value
from minigrad.tensor import (
    Tensor,
    cat,
    chunk,
    ones,
    ones_like,
    rand,
    randn,
    split,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)

__all__ = [
    "Tensor",
    "Value",
    "cat",
    "chunk",
    "gradcheck",
    "is_grad_enabled",
    "manual_seed",
    "no_grad",
    "ones",
    "ones_like",
    "rand",
    "randn",
    "split",
    "stack",
    "tensor",
    "where",
    "zeros",
    "zeros_like",
]
