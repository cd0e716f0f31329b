"""Layers built on Tensor, with PyTorch's names and layouts.

`Module` and `Linear` (module.py); the recurrent cells and layers (recurrent.py); the
functions they are made of (functional.py, and fused.py for the few-node LSTM and GRU
steps).
"""

from minigrad.nn import functional, fused
from minigrad.nn.module import Linear, Module
from minigrad.nn.recurrent import (
    GRU,
    LSTM,
    RNN,
    GRUCell,
    GRUGates,
    LSTMCell,
    LSTMGates,
    RNNCell,
)

__all__ = [
    "GRU",
    "GRUCell",
    "GRUGates",
    "LSTM",
    "LSTMCell",
    "LSTMGates",
    "Linear",
    "Module",
    "RNN",
    "RNNCell",
    "functional",
    "fused",
]
