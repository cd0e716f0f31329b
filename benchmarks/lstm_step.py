"""One training step of the adding problem: minigrad's cells and layers, the floor, PyTorch.

The step: a recurrent net (I=2 inputs, H hidden units) over T steps of a batch of B
sequences, a Linear head on the last hidden state, the MSE loss, backward through time, and
an SGD update. float64, one thread. For the LSTM, the GRU and the plain RNN, these run the
same step from the same weights:

- minigrad, cell loop: `nn.LSTMCell` (...) called once per step in a Python loop, as a
  learner writes it;
- minigrad, layer: `nn.LSTM` (...), which runs each layer over the whole sequence as one
  graph node (minigrad/nn/sequence.py);
- numpy by hand (LSTM only): the forward pass and backpropagation through time derived by
  hand, with no graph at all. No autograd can beat this algorithm by much: it is the floor;
- torch: `torch.nn.LSTMCell` in the same Python loop, and `torch.nn.LSTM` (when installed).
Every version's gradients are checked against minigrad's cell loop before anything is timed.

Each row prints the median time per step (ms) and the ratios. The targets, for the LSTM at
T=100, B=32 and H=64 or 32: layer / numpy <= 1.0, layer / torch layer <= 1.0, and
cell loop / numpy <= 1.3. The time is the process's CPU time (the machine is shared: waiting
for a core is not the step's cost); `--wall` times wall-clock instead.

The allocator is asked to keep freed memory (see `keep_freed_memory`); `--malloc-defaults`
leaves it alone.

Run: .venv/bin/python benchmarks/lstm_step.py [--repeats 15] [--wall] [--malloc-defaults]
Profile: .venv/bin/python -m cProfile -s tottime benchmarks/lstm_step.py --repeats 3
"""

from __future__ import annotations

import os

# One thread, set before numpy loads its BLAS: the comparison is about per-step overhead,
# and threads would add noise on a shared machine.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import ctypes  # noqa: E402
import ctypes.util  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from minigrad import Tensor, nn, optim  # noqa: E402
from minigrad.course.tasks import adding_problem  # noqa: E402
from minigrad.nn import functional as F  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

LEARNING_RATE = 0.01
# (cell, T, B, H): the size (H=64), the course's own (H=32), a longer sequence
ROWS = [
    ("lstm", 100, 32, 64),
    ("lstm", 100, 32, 32),
    ("lstm", 400, 32, 64),
    ("gru", 100, 32, 64),
    ("gru", 100, 32, 32),
    ("rnn", 100, 32, 64),
    ("rnn", 100, 32, 32),
]
TARGET_ROWS = [("lstm", 100, 32, 64), ("lstm", 100, 32, 32)]
TARGET_LAYER_VS_NUMPY, TARGET_LAYER_VS_TORCH, TARGET_CELL_VS_NUMPY = 1.0, 1.0, 1.3


# ---- minigrad ------------------------------------------------------------------------------

CELLS = {"lstm": nn.LSTMCell, "gru": nn.GRUCell, "rnn": nn.RNNCell}
LAYERS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
CELL_NAMES = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]


class MinigradStep:
    """The step as a learner writes it with minigrad: the cell called once per step in a
    Python loop (`layer=False`), or the sequence layer (`layer=True`), which runs the whole
    sequence as one graph node."""

    def __init__(self, kind: str, weights: dict, x: np.ndarray, y: np.ndarray, layer: bool):
        hidden = weights["weight_hh"].shape[1]
        self.kind, self.layer = kind, layer
        if layer:
            self.rnn = LAYERS[kind](x.shape[2], hidden)
            self.cell = self.rnn.cells[0]
        else:
            self.cell = CELLS[kind](x.shape[2], hidden)
        self.head = nn.Linear(hidden, 1)
        for name, value in weights.items():
            module = self.head if name.startswith("head.") else self.cell
            getattr(module, name.removeprefix("head.")).data[...] = value
        self.parameters = self.cell.parameters() + self.head.parameters()
        self.optimizer = optim.SGD(self.parameters, lr=LEARNING_RATE)
        self.x, self.y = Tensor(x), Tensor(y)

    def last_hidden(self) -> Tensor:
        if self.layer:
            output, _ = self.rnn(self.x)
            return output[-1]
        state = None
        for t in range(self.x.shape[0]):
            state = self.cell(self.x[t], state)
        return state[0] if self.kind == "lstm" else state

    def gradients(self) -> dict[str, np.ndarray]:
        """Forward and backward, without the update."""
        loss = F.mse_loss(self.head(self.last_hidden()), self.y)
        self.optimizer.zero_grad()
        loss.backward()
        names = [*CELL_NAMES, "head.weight", "head.bias"]
        return {name: p.grad for name, p in zip(names, self.parameters)}

    def __call__(self) -> None:
        self.gradients()
        self.optimizer.step()


# ---- numpy, derived by hand ----------------------------------------------------------------


class NumpyStep:
    """Forward, backpropagation through time and SGD, written out with numpy arrays."""

    def __init__(self, weights: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> None:
        self.weights = {name: value.copy() for name, value in weights.items()}
        self.x, self.y = x, y

    def gradients(self) -> dict[str, np.ndarray]:
        w = self.weights
        x, y = self.x, self.y
        steps, batch, _ = x.shape
        H = w["weight_hh"].shape[1]
        bias = w["bias_ih"] + w["bias_hh"]
        # sigmoid(z) = tanh(z/2)/2 + 1/2: the four gates as one tanh over the (B, 4H) block,
        # scaled per column (1/2 for i, f, o; 1 for g), the same arithmetic as minigrad's kernel
        scale = np.repeat([0.5, 0.5, 1.0, 0.5], H)
        offset = np.repeat([0.5, 0.5, 0.0, 0.5], H)

        # forward, keeping what backward needs
        h, c = np.zeros((batch, H)), np.zeros((batch, H))
        hs, cs, gates, tanh_cs = [h], [c], [], []
        for t in range(steps):
            act = x[t] @ w["weight_ih"].T
            act += h @ w["weight_hh"].T
            act += bias
            act *= scale
            np.tanh(act, out=act)
            act *= scale
            act += offset
            i, f, g, o = act[:, :H], act[:, H : 2 * H], act[:, 2 * H : 3 * H], act[:, 3 * H :]
            c = f * c + i * g
            tanh_c = np.tanh(c)
            h = o * tanh_c
            hs.append(h)
            cs.append(c)
            gates.append(act)
            tanh_cs.append(tanh_c)
        prediction = h @ w["head.weight"].T + w["head.bias"]

        # backward: the MSE and the head, then the cell, step by step from the last
        d_prediction = 2.0 * (prediction - y) / y.size
        grads = {
            "head.weight": d_prediction.T @ h,
            "head.bias": d_prediction.sum(axis=0),
            "weight_ih": np.zeros_like(w["weight_ih"]),
            "weight_hh": np.zeros_like(w["weight_hh"]),
        }
        d_bias = np.zeros(4 * H)
        dh = d_prediction @ w["head.weight"]
        dc = np.zeros((batch, H))
        d_act = np.empty((batch, 4 * H))
        for t in reversed(range(steps)):
            act, tanh_c = gates[t], tanh_cs[t]
            i, f, g, o = act[:, :H], act[:, H : 2 * H], act[:, 2 * H : 3 * H], act[:, 3 * H :]
            np.multiply(dh, tanh_c, out=d_act[:, 3 * H :])  # h = o tanh(c)
            dc += dh * o * (1.0 - tanh_c * tanh_c)
            np.multiply(dc, g, out=d_act[:, :H])  # c = f c_prev + i g
            np.multiply(dc, cs[t], out=d_act[:, H : 2 * H])
            np.multiply(dc, i, out=d_act[:, 2 * H : 3 * H])
            d_pre = act - offset  # through the activations: scale^2 (1 - tanh^2)
            d_pre *= d_pre
            np.subtract(scale * scale, d_pre, out=d_pre)
            d_pre *= d_act
            grads["weight_ih"] += d_pre.T @ x[t]
            grads["weight_hh"] += d_pre.T @ hs[t]
            d_bias += d_pre.sum(axis=0)
            dh = d_pre @ w["weight_hh"]
            dc *= f
        grads["bias_ih"] = grads["bias_hh"] = d_bias
        return grads

    def __call__(self) -> None:
        for name, grad in self.gradients().items():
            self.weights[name] -= LEARNING_RATE * grad


# ---- torch ---------------------------------------------------------------------------------


class TorchStep:
    """torch's cell (`torch.nn.LSTMCell`, ...) in the same Python loop (`layer=False`), or
    its sequence layer (`torch.nn.LSTM`, ...), with torch's Linear, MSE and SGD."""

    def __init__(self, kind: str, weights: dict, x: np.ndarray, y: np.ndarray, layer: bool):
        hidden = weights["weight_hh"].shape[1]
        self.kind, self.layer = kind, layer
        name = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}[kind]
        if layer:
            self.rnn = getattr(torch.nn, name)(x.shape[2], hidden, dtype=torch.float64)
        else:
            self.cell = getattr(torch.nn, name + "Cell")(x.shape[2], hidden, dtype=torch.float64)
        self.head = torch.nn.Linear(hidden, 1, dtype=torch.float64)
        with torch.no_grad():
            for key, value in weights.items():
                if key.startswith("head."):
                    target = getattr(self.head, key.removeprefix("head."))
                else:  # the layer's first-layer parameters are named weight_ih_l0, ...
                    target = getattr(self.rnn, key + "_l0") if layer else getattr(self.cell, key)
                target.copy_(torch.from_numpy(value))
        module = self.rnn if layer else self.cell
        self.named = [(key.removesuffix("_l0"), p) for key, p in module.named_parameters()]
        self.named += [("head." + key, p) for key, p in self.head.named_parameters()]
        self.optimizer = torch.optim.SGD([p for _, p in self.named], lr=LEARNING_RATE)
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)

    def last_hidden(self):
        if self.layer:
            output, _ = self.rnn(self.x)
            return output[-1]
        state = None
        for t in range(self.x.shape[0]):
            state = self.cell(self.x[t], state)
        return state[0] if self.kind == "lstm" else state

    def gradients(self) -> dict[str, np.ndarray]:
        loss = torch.nn.functional.mse_loss(self.head(self.last_hidden()), self.y)
        self.optimizer.zero_grad()
        loss.backward()
        return {key: p.grad.numpy() for key, p in self.named}

    def __call__(self) -> None:
        self.gradients()
        self.optimizer.step()


# ---- running and timing ----------------------------------------------------------------------


def initial_weights(kind: str, hidden: int) -> dict[str, np.ndarray]:
    """PyTorch-style initial weights for the cell and the head, from a fixed seed."""
    cell = CELLS[kind](2, hidden, rng=0)
    head = nn.Linear(hidden, 1, rng=1)
    weights = cell.state_dict()
    weights.update({"head." + name: value for name, value in head.state_dict().items()})
    return weights


def check_gradients(reference: dict, other: dict, name: str) -> None:
    """Stop the benchmark if `other`'s gradients differ from the reference's."""
    for key, expected in reference.items():
        gap = float(np.max(np.abs(other[key] - expected)))
        scale = max(1.0, float(np.max(np.abs(expected))))
        if gap > 1e-9 * scale:
            raise SystemExit(f"{name}: gradient of {key} differs from minigrad's by {gap:.2e}")


def median_ms(runs: dict[str, Callable[[], None]], repeats: int, clock) -> dict[str, float]:
    """Median time of one call of each run, in ms. The runs take turns, so that a change of
    load on the machine affects them all alike."""
    for run in runs.values():
        run()  # warm-up: first calls allocate and fill caches
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = clock()
            run()
            times[name].append(clock() - start)
    return {name: 1000 * statistics.median(values) for name, values in times.items()}


def measure(kind: str, steps: int, batch: int, hidden: int, repeats: int, clock) -> dict:
    """The median ms of every version of the step for one kind of cell and one size."""
    x, y = adding_problem(batch, steps, rng=0)
    weights = initial_weights(kind, hidden)
    runs: dict[str, Callable[[], None]] = {
        "cell loop": MinigradStep(kind, weights, x, y, layer=False),
        "layer": MinigradStep(kind, weights, x, y, layer=True),
    }
    if kind == "lstm":
        runs["numpy"] = NumpyStep(weights, x, y)
    if torch is not None:
        runs["torch cell loop"] = TorchStep(kind, weights, x, y, layer=False)
        runs["torch layer"] = TorchStep(kind, weights, x, y, layer=True)
    reference = {name: grad.copy() for name, grad in runs["cell loop"].gradients().items()}
    for name, run in runs.items():
        check_gradients(reference, run.gradients(), name)
    return median_ms(runs, repeats, clock)


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep the memory that is freed, instead of giving it back.

    Every version allocates ~11 MB in a step (what backward needs from the forward pass) and
    frees it at the end. By default glibc gives the freed memory at the top of its heap back
    to the system, then pays a page fault per 4 KiB to get it back in the next step. How much
    is given back depends on what happens to lie above it, so on the version and on the run
    order: run alone, minigrad pays ~950 faults per step (the gradients of h and c it keeps
    for every step), numpy 0 or ~720 in turn, torch ~10. With the memory kept, the comparison
    is about the computation. Returns False where malloc is not glibc's.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        trim_threshold, mmap_threshold = -1, -3  # M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        return bool(libc.mallopt(trim_threshold, 1 << 30) and libc.mallopt(mmap_threshold, 1 << 25))
    except (OSError, AttributeError, TypeError):
        return False


def ratio(ms: dict, top: str, bottom: str) -> float:
    return ms[top] / ms[bottom] if top in ms and bottom in ms else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed steps per version")
    parser.add_argument(
        "--malloc-defaults", action="store_true", help="leave the allocator as it is"
    )
    parser.add_argument(
        "--wall", action="store_true", help="time wall-clock, not the process's CPU time"
    )
    args = parser.parse_args()
    kept = False if args.malloc_defaults else keep_freed_memory()
    clock = time.perf_counter if args.wall else time.process_time
    if torch is not None:
        torch.set_num_threads(1)
    else:
        print("torch is not installed: the torch columns are left out")

    allocator = "freed memory kept" if kept else "allocator defaults"
    timing = "wall-clock" if args.wall else "CPU time"
    print(
        f"Training step, float64, 1 thread, {allocator}; median {timing} in ms over "
        f"{args.repeats} steps"
    )
    print(
        f"{'cell':>4} {'T':>4} {'B':>3} {'H':>3} | {'cell loop':>9} {'layer':>7} {'numpy':>7} "
        f"{'torch cl':>8} {'torch l':>7} | {'cl/numpy':>8} {'l/numpy':>7} {'l/torch l':>9} "
        f"{'l/cl':>5}"
    )
    results = {}
    for kind, steps, batch, hidden in ROWS:
        ms = measure(kind, steps, batch, hidden, args.repeats, clock)
        results[kind, steps, batch, hidden] = ms
        times = " ".join(
            f"{ms.get(name, float('nan')):>{width}.2f}"
            for name, width in [
                ("cell loop", 9),
                ("layer", 7),
                ("numpy", 7),
                ("torch cell loop", 8),
                ("torch layer", 7),
            ]
        )
        print(
            f"{kind:>4} {steps:>4} {batch:>3} {hidden:>3} | {times} | "
            f"{ratio(ms, 'cell loop', 'numpy'):>8.2f} {ratio(ms, 'layer', 'numpy'):>7.2f} "
            f"{ratio(ms, 'layer', 'torch layer'):>9.2f} {ratio(ms, 'layer', 'cell loop'):>5.2f}"
        )
    for key in TARGET_ROWS:
        ms = results[key]
        verdicts = [
            (f"nn.LSTM / numpy {ratio(ms, 'layer', 'numpy'):.2f}", TARGET_LAYER_VS_NUMPY),
            (
                f"nn.LSTM / torch.nn.LSTM {ratio(ms, 'layer', 'torch layer'):.2f}",
                TARGET_LAYER_VS_TORCH,
            ),
            (f"LSTMCell loop / numpy {ratio(ms, 'cell loop', 'numpy'):.2f}", TARGET_CELL_VS_NUMPY),
        ]
        said = ", ".join(
            f"{text} (<= {target}: {'met' if float(text.split()[-1]) <= target else 'missed'})"
            for text, target in verdicts
        )
        print(f"targets at T={key[1]}, B={key[2]}, H={key[3]}: {said}")


if __name__ == "__main__":
    main()
