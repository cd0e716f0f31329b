"""Small helpers shared by the tensor and functional tests."""

from __future__ import annotations

import numpy as np

from minigrad import Tensor


def leaf(array) -> Tensor:
    """A float64 tensor that requires grad, holding a copy of `array` (gradcheck nudges it)."""
    return Tensor(np.array(array, dtype=np.float64), requires_grad=True)


def assert_values(out: Tensor, expected) -> None:
    """`out` holds `expected`: same shape, same numbers up to round-off."""
    expected = np.asarray(expected)
    assert isinstance(out, Tensor)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
