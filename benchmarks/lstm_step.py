"""One training step of the adding-problem LSTM: minigrad against the floor and PyTorch.

The step: an `LSTMCell` (I=2 inputs, H hidden units) called once per time step in a Python
loop over T steps of a batch of B sequences, a Linear head on the last hidden state, the MSE
loss, backward through time, and an SGD update. float64, one thread. Three versions run the
same step from the same weights:

- minigrad: `nn.LSTMCell`, `nn.Linear`, `optim.SGD`, as a learner writes it;
- numpy by hand: the forward pass and backpropagation through time derived by hand, with
  no graph at all. No autograd can beat this algorithm by much: it is the floor. Its
  gradients are checked against minigrad's before anything is timed;
- torch: `torch.nn.LSTMCell` in the same Python loop (when torch is installed).

Each row prints the median time per step (ms) and minigrad's ratios to the other two. The
targets, at T=100, B=32, H=64: minigrad / numpy <= 1.3 and minigrad / torch <= 1.0.

The allocator is asked to keep freed memory (see `keep_freed_memory`); `--malloc-defaults`
leaves it alone.

Run: .venv/bin/python benchmarks/lstm_step.py [--repeats 15] [--malloc-defaults]
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
from minigrad.nn import functional as F  # noqa: E402
from minigrad.tasks import adding_problem  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

LEARNING_RATE = 0.01
ROWS = [(100, 32, 64), (400, 32, 64), (100, 32, 256)]  # (T, B, H); the first has the targets
TARGET_VS_NUMPY, TARGET_VS_TORCH = 1.3, 1.0


# ---- minigrad ------------------------------------------------------------------------------


class MinigradStep:
    """The step as a learner writes it with minigrad."""

    def __init__(self, weights: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> None:
        hidden = weights["weight_hh"].shape[1]
        self.cell = nn.LSTMCell(x.shape[2], hidden)
        self.head = nn.Linear(hidden, 1)
        for name, value in weights.items():
            module = self.head if name.startswith("head.") else self.cell
            getattr(module, name.removeprefix("head.")).data[...] = value
        self.parameters = self.cell.parameters() + self.head.parameters()
        self.optimizer = optim.SGD(self.parameters, lr=LEARNING_RATE)
        self.x, self.y = Tensor(x), Tensor(y)

    def gradients(self) -> dict[str, np.ndarray]:
        """Forward and backward, without the update."""
        state = None
        for t in range(self.x.shape[0]):
            state = self.cell(self.x[t], state)
        loss = F.mse_loss(self.head(state[0]), self.y)
        self.optimizer.zero_grad()
        loss.backward()
        names = [*self.cell_names(), "head.weight", "head.bias"]
        return {name: p.grad for name, p in zip(names, self.parameters)}

    @staticmethod
    def cell_names() -> list[str]:
        return ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]

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
    """`torch.nn.LSTMCell` in the same Python loop, with torch's Linear, MSE and SGD."""

    def __init__(self, weights: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> None:
        hidden = weights["weight_hh"].shape[1]
        self.cell = torch.nn.LSTMCell(x.shape[2], hidden, dtype=torch.float64)
        self.head = torch.nn.Linear(hidden, 1, dtype=torch.float64)
        with torch.no_grad():
            for name, value in weights.items():
                module = self.head if name.startswith("head.") else self.cell
                getattr(module, name.removeprefix("head.")).copy_(torch.from_numpy(value))
        self.optimizer = torch.optim.SGD(
            [*self.cell.parameters(), *self.head.parameters()], lr=LEARNING_RATE
        )
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)

    def gradients(self) -> dict[str, np.ndarray]:
        state = None
        for t in range(self.x.shape[0]):
            state = self.cell(self.x[t], state)
        loss = torch.nn.functional.mse_loss(self.head(state[0]), self.y)
        self.optimizer.zero_grad()
        loss.backward()
        named = [*self.cell.named_parameters()]
        named += [("head." + name, p) for name, p in self.head.named_parameters()]
        return {name: p.grad.numpy() for name, p in named}

    def __call__(self) -> None:
        self.gradients()
        self.optimizer.step()


# ---- running and timing ----------------------------------------------------------------------


def initial_weights(steps: int, batch: int, hidden: int) -> dict[str, np.ndarray]:
    """PyTorch-style initial weights for the cell and the head, from a fixed seed."""
    cell = nn.LSTMCell(2, hidden, rng=0)
    head = nn.Linear(hidden, 1, rng=1)
    weights = cell.state_dict()
    weights.update({"head." + name: value for name, value in head.state_dict().items()})
    return weights


def check_gradients(reference: dict, other: dict, name: str) -> None:
    """Stop the benchmark if `other`'s gradients differ from minigrad's."""
    for key, expected in reference.items():
        gap = float(np.max(np.abs(other[key] - expected)))
        scale = max(1.0, float(np.max(np.abs(expected))))
        if gap > 1e-9 * scale:
            raise SystemExit(f"{name}: gradient of {key} differs from minigrad's by {gap:.2e}")


def median_ms(runs: dict[str, Callable[[], None]], repeats: int) -> dict[str, float]:
    """Median time of one call of each run, in ms. The runs take turns, so that a change of
    load on the machine affects them all alike."""
    for run in runs.values():
        run()  # warm-up: first calls allocate and fill caches
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: 1000 * statistics.median(values) for name, values in times.items()}


def measure(steps: int, batch: int, hidden: int, repeats: int) -> dict[str, float]:
    x, y = adding_problem(batch, steps, rng=0)
    weights = initial_weights(steps, batch, hidden)
    runs: dict[str, Callable[[], None]] = {
        "minigrad": MinigradStep(weights, x, y),
        "numpy": NumpyStep(weights, x, y),
    }
    if torch is not None:
        runs["torch"] = TorchStep(weights, x, y)
    reference = runs["minigrad"].gradients()
    reference = {name: grad.copy() for name, grad in reference.items()}
    for name in ("numpy", "torch"):
        if name in runs:
            check_gradients(reference, runs[name].gradients(), name)
    return median_ms(runs, repeats)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed steps per version")
    parser.add_argument(
        "--malloc-defaults", action="store_true", help="leave the allocator as it is"
    )
    args = parser.parse_args()
    kept = False if args.malloc_defaults else keep_freed_memory()
    if torch is not None:
        torch.set_num_threads(1)
    else:
        print("torch is not installed: the torch column is left out")

    allocator = "freed memory kept" if kept else "allocator defaults"
    print(f"LSTM training step, float64, 1 thread, {allocator}; median ms over {args.repeats}")
    print(
        f"{'T':>5} {'B':>4} {'H':>4} | {'minigrad':>9} {'numpy':>9} {'torch':>9} | "
        f"{'mg/numpy':>8} {'mg/torch':>8}"
    )
    first = None
    for steps, batch, hidden in ROWS:
        ms = measure(steps, batch, hidden, args.repeats)
        vs_numpy = ms["minigrad"] / ms["numpy"]
        vs_torch = ms["minigrad"] / ms["torch"] if "torch" in ms else float("nan")
        first = first or (vs_numpy, vs_torch)
        print(
            f"{steps:>5} {batch:>4} {hidden:>4} | {ms['minigrad']:>9.2f} {ms['numpy']:>9.2f} "
            f"{ms.get('torch', float('nan')):>9.2f} | {vs_numpy:>8.2f} {vs_torch:>8.2f}"
        )
    vs_numpy, vs_torch = first
    print(
        f"targets at T=100, B=32, H=64: minigrad/numpy {vs_numpy:.2f} (<= {TARGET_VS_NUMPY}: "
        f"{'met' if vs_numpy <= TARGET_VS_NUMPY else 'missed'}), minigrad/torch {vs_torch:.2f} "
        f"(<= {TARGET_VS_TORCH}: {'met' if vs_torch <= TARGET_VS_TORCH else 'missed'})"
    )


if __name__ == "__main__":
    main()
