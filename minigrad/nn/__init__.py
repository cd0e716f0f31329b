"""Layers built on Tensor, with PyTorch's names and layouts."""

from minigrad.nn import functional

__all__ = ["functional"]
