"""Hypothesis strategies shared by the tensor tests: shapes, float64 arrays, axes and indices.

Shapes stay small (at most 4 along an axis, 3 axes) because every gradient check costs two
forward passes per input element.
"""

from __future__ import annotations

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

MAX_DIMS = 3
MAX_SIDE = 4

# Finite differences over a few dozen elements are cheap, but a loaded machine must not turn
# hypothesis's per-example deadline into a failure; a few dozen examples per op keep each
# file within seconds.
gradient_settings = settings(max_examples=30, deadline=None)
value_settings = settings(max_examples=50, deadline=None)


def shapes(
    min_dims: int = 0, max_dims: int = MAX_DIMS, min_side: int = 1, max_side: int = MAX_SIDE
) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes such as (), (3,), (2, 1, 4)."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcastable_shapes(count: int, max_dims: int = MAX_DIMS) -> st.SearchStrategy[tuple]:
    """`count` shapes that broadcast together, such as ((3, 1), (4,)) or ((), (2, 3))."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=count, min_dims=0, max_dims=max_dims, max_side=3
    ).map(lambda shapes: shapes.input_shapes)


def reals(low: float = -3.0, high: float = 3.0) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def away_from(
    points: tuple[float, ...], low: float = -3.0, high: float = 3.0, margin: float = 1e-2
) -> st.SearchStrategy[float]:
    """Reals in [low, high] at least `margin` from each of `points`: a kink (relu at 0, clip at
    its bounds) has no derivative, and finite differences across it measure nonsense."""
    return reals(low, high).filter(lambda v: all(abs(v - p) > margin for p in points))


def arrays(
    shape: tuple[int, ...], elements: st.SearchStrategy[float] | None = None
) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays of `shape`, with entries in [-3, 3] unless `elements` says otherwise."""
    return hnp.arrays(np.float64, shape, elements=elements if elements is not None else reals())


def distinct_arrays(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays whose entries differ pairwise by at least 0.01.

    For `max`: a nudge of eps = 1e-6 must not change which element is the largest, or the
    finite difference straddles a kink.
    """
    size = int(np.prod(shape))
    grid = st.lists(st.integers(-300, 300), min_size=size, max_size=size, unique=True)
    return grid.map(lambda ints: np.array(ints, dtype=np.float64).reshape(shape) / 100)


def axes(ndim: int) -> st.SearchStrategy:
    """What `sum`, `mean` and `max` take as `axis`: None, one axis (maybe negative), or a
    tuple of distinct axes."""
    if ndim == 0:
        return st.none()
    return st.one_of(
        st.none(),
        st.integers(-ndim, ndim - 1),
        hnp.valid_tuple_axes(ndim, min_size=1),
    )


def matmul_shapes() -> st.SearchStrategy[tuple]:
    """Shape pairs that `@` accepts: vectors, matrices, and stacks of matrices whose batch
    axes broadcast, such as ((3,), (3,)), ((2, 3), (3,)) or ((4, 1, 2, 3), (5, 3, 2))."""
    return hnp.mutually_broadcastable_shapes(
        signature=np.matmul.signature, max_dims=2, max_side=3
    ).map(lambda shapes: shapes.input_shapes)


def one_axis(ndim: int) -> st.SearchStrategy[int]:
    """A single axis of an array with `ndim` >= 1 axes, negative or not."""
    return st.integers(-ndim, ndim - 1)


def boolean_masks(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.bool_, shape)
