"""Fixtures shared by the test files."""

import warnings

import numpy as np
import pytest


@pytest.fixture
def warnings_are_errors():
    """Every numpy floating-point warning raises. Underflow stays silent, as numpy's default:
    rounding e^-10000 to 0 is the correct float64 answer, not a failure."""
    with warnings.catch_warnings(), np.errstate(all="warn", under="ignore"):
        warnings.simplefilter("error")
        yield
