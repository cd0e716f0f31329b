"""minigrad: a small autograd engine, written to learn from.

`Value` (one number per node) is the first chapter's engine; `Tensor` (numpy arrays, with
broadcasting) runs the networks. `minigrad.nn`, `minigrad.optim` and `minigrad.tasks` build
recurrent nets on top.
"""

from minigrad.autograd import is_grad_enabled, no_grad
from minigrad.gradcheck import gradcheck
from minigrad.scalar import Value

__all__ = ["Value", "gradcheck", "is_grad_enabled", "no_grad"]
