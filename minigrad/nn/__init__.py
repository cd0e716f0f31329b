"""Layers built on Tensor, with PyTorch's names and layouts.

`Module` and `Linear` (module.py); the recurrent cells and layers (recurrent.py); the
functions they are made of (functional.py, fused.py for the few-node LSTM and GRU
steps, and sequence.py for the layers that run a whole sequence as one node).
"""

from minigrad.nn import functional, fused, sequence
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
    "sequence",
]
