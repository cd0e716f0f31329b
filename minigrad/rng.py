"""Where minigrad's randomness comes from, so that a seed reproduces everything.

Functions that draw random numbers take `rng`: a seed (int), a numpy `Generator`, or None
for the global generator that `manual_seed` resets (as `torch.manual_seed` does).
"""

from __future__ import annotations

import numpy as np

_global = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reset the global generator: everything drawn afterwards is reproducible."""
    global _global
    _global = np.random.default_rng(seed)


def get_rng(rng: int | np.random.Generator | None = None) -> np.random.Generator:
    """The generator to draw from: `rng` itself, a new one seeded by it, or the global one."""
    if rng is None:
        return _global
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be an int seed, a numpy Generator or None, got {type(rng).__name__}")
