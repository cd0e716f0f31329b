"""One training step of a tiny MLP on scalars: minigrad's `Value` against micrograd's.

The step is the classic scalar-autograd demo: an MLP(2, [16, 16, 1]) (ReLU hidden layers,
linear output) scores 100 points of a two-moons toy set; the loss is the max-margin loss
mean(relu(1 - y * score)) plus the L2 term 1e-4 * sum(p * p) over the 337 parameters.
The same Python code builds the graph with either `Value` class, from the same numbers, so
both engines build the same graph (66,018 nodes). Forward + backward is timed (median of
several repeats, after a warm-up). Then the backward of a chain of 1,000,000 ops is timed.

Much of the difference is memory management. A micrograd node keeps a closure that refers
back to the node itself, a reference cycle, so a finished graph can only be freed by Python's
cyclic garbage collector, which runs again and again while 66,000 nodes pile up. A minigrad
node holds plain numbers (its local derivatives), so reference counting frees the graph as
soon as the loss is dropped. The second timing pauses the collector during the step and runs
it once at the end, to show how much of the gap is left without the repeated sweeps.

Run: .venv/bin/python benchmarks/scalar_mlp.py
"""

from __future__ import annotations

import gc
import math
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from minigrad import Value

LAYER_SIZES = [2, 16, 16, 1]
N_POINTS = 100
L2_WEIGHT = 1e-4
REPEATS = 9
CHAIN_LENGTH = 1_000_000


def two_moons(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles. Returns X: (n, 2) and labels y: (n,) in {-1, +1}."""
    rng = np.random.default_rng(seed)
    upper = n // 2
    angle = rng.uniform(0.0, np.pi, size=n)
    # The upper moon is a half circle; the lower one is flipped and shifted into its mouth.
    x = np.where(np.arange(n) < upper, np.cos(angle), 1.0 - np.cos(angle))
    y_coord = np.where(np.arange(n) < upper, np.sin(angle), 0.5 - np.sin(angle))
    X = np.stack([x, y_coord], axis=1) + noise * rng.standard_normal((n, 2))
    labels = np.where(np.arange(n) < upper, 1.0, -1.0)
    return X, labels


def initial_weights(sizes: list[int], seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """One (W: (out, in), b: (out,)) pair per layer, uniform in [-1, 1] as in the demo."""
    rng = np.random.default_rng(seed)
    return [
        (rng.uniform(-1, 1, size=(n_out, n_in)), np.zeros(n_out))
        for n_in, n_out in zip(sizes[:-1], sizes[1:])
    ]


class ScalarMLP:
    """A multilayer perceptron of scalar nodes, for any `Value` class with +, *, relu.

    layers[k] is a list of neurons; a neuron is (weights, bias), all nodes of `value_class`.
    """

    def __init__(self, value_class: type, weights: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.layers = [
            [
                ([value_class(float(w)) for w in W[i]], value_class(float(b[i])))
                for i in range(W.shape[0])
            ]
            for W, b in weights
        ]

    def parameters(self) -> list:
        return [p for layer in self.layers for w, b in layer for p in (*w, b)]

    def __call__(self, inputs: list) -> object:
        """inputs: one node per input feature. Returns the single output node."""
        activations = inputs
        for depth, layer in enumerate(self.layers):
            is_last = depth == len(self.layers) - 1
            # b + w_0 x_0 + w_1 x_1 + ...: a chain of adds, as written by hand
            sums = [
                sum((w * x for w, x in zip(weights, activations)), bias) for weights, bias in layer
            ]
            activations = sums if is_last else [s.relu() for s in sums]
        return activations[0]


def training_step(model: ScalarMLP, value_class: type, X: np.ndarray, y: np.ndarray) -> float:
    """Zero the gradients, build the loss graph, backpropagate. Returns the loss."""
    for p in model.parameters():
        p.grad = 0.0
    scores = [model([value_class(float(a)) for a in row]) for row in X]
    margins = [(1 - float(label) * score).relu() for label, score in zip(y, scores)]
    data_loss = sum(margins) * (1.0 / len(margins))
    l2 = L2_WEIGHT * sum(p * p for p in model.parameters())
    loss = data_loss + l2
    loss.backward()
    return loss.data


def median_seconds(run: Callable[[], object], repeats: int, pause_collector: bool) -> float:
    """Median wall time of `run()`, after a warm-up run.

    pause_collector=False times the step as a training loop runs it. With True, Python's
    cyclic garbage collector is paused during the step and run once at its end, inside the
    timing: the graph is still freed and paid for, but in one sweep instead of many.
    """
    run()  # warm-up: first-call costs (allocator, caches) are not what we measure
    times = []
    for _ in range(repeats):
        gc.collect()  # no garbage left over from the previous repeat
        if pause_collector:
            gc.disable()
        try:
            start = time.perf_counter()
            run()
            if pause_collector:
                gc.collect()
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return statistics.median(times)


def chain_backward_seconds(value_class: type, length: int) -> float:
    """Build v = x * c * c * ... (`length` multiplications) and time only its backward."""
    x, c = value_class(0.5), value_class(1.0 + 1e-7)
    v = x
    for _ in range(length):
        v = v * c
    start = time.perf_counter()
    v.backward()
    return time.perf_counter() - start


def main() -> None:
    X, y = two_moons(N_POINTS, noise=0.1, seed=0)
    weights = initial_weights(LAYER_SIZES, seed=1)
    engines = {"minigrad": Value}
    try:
        from micrograd.engine import Value as MicrogradValue
    except ImportError:
        print("micrograd is not installed (pip install micrograd==0.1.0): timing minigrad alone")
    else:
        engines["micrograd"] = MicrogradValue

    models = {name: ScalarMLP(cls, weights) for name, cls in engines.items()}
    losses = {name: training_step(models[name], cls, X, y) for name, cls in engines.items()}
    sizes = ", ".join(str(n) for n in LAYER_SIZES[1:])
    print(f"One step of MLP({LAYER_SIZES[0]}, [{sizes}]) on {N_POINTS} points, forward + backward")
    print(f"({len(models['minigrad'].parameters())} parameters, loss {losses['minigrad']:.6f}),")
    print(f"median of {REPEATS} after a warm-up, Python {sys.version.split()[0]}.")
    if "micrograd" in losses and not math.isclose(
        losses["minigrad"], losses["micrograd"], rel_tol=1e-12
    ):
        print(f"WARNING: the two graphs differ: losses {losses}")

    for pause_collector in (False, True):
        if pause_collector:
            print("garbage collector paused during the step, run once at its end:")
        else:
            print("as in a training loop:")
        seconds = {
            name: median_seconds(
                lambda name=name, cls=cls: training_step(models[name], cls, X, y),
                REPEATS,
                pause_collector,
            )
            for name, cls in engines.items()
        }
        for name, t in seconds.items():
            print(f"  {name:<10} {t * 1e3:8.1f} ms")
        if "micrograd" in seconds:
            ratio = seconds["micrograd"] / seconds["minigrad"]
            print(f"  micrograd / minigrad = {ratio:.1f}")

    seconds = chain_backward_seconds(Value, CHAIN_LENGTH)
    print(f"backward of a {CHAIN_LENGTH:,}-op chain (minigrad): {seconds:.2f} s")


if __name__ == "__main__":
    main()
