"""Training a recurrent net on a task of `minigrad.course.tasks`: the loop, and the command line.

`train(model, task)` draws a fresh batch of the task at every step, so the model never sees
the same sequence twice, and keeps a `History` of the loss, the task's metric and the
gradient norm. Every few steps it scores a fixed test set, drawn once from its own stream.
A seed fixes both streams; a model made with `rng=seed` is then reproducible too.

    python -m minigrad train adding --model lstm --seq-len 100 --steps 2000 --seed 0

runs the same loop from the command line and ends with one line: the test metric next to
the task's baseline, the score of the best model that ignores its input.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from tqdm.auto import tqdm

from minigrad.autograd import no_grad
from minigrad.course.tasks import TASKS, Batch, Task, get_task
from minigrad.nn import GRU, LSTM, RNN, Linear, Module
from minigrad.nn import functional as F
from minigrad.optim import Adam, Optimizer, clip_grad_norm_
from minigrad.rng import get_rng
from minigrad.tensor import Tensor

# "lstm1997": the original cell, without a forget gate (Hochreiter & Schmidhuber 1997)
LAYERS = {"rnn": RNN, "lstm": LSTM, "gru": GRU, "lstm1997": partial(LSTM, forget_gate=False)}


class SequenceModel(Module):
    """A recurrent layer and a Linear head on its hidden state at every step.

    x: (T, B, input_size) -> outputs (T, B, output_size). kind: "rnn" (tanh), "lstm", "gru",
    or "lstm1997" (an LSTM without forget gate, as in 1997).
    forget_bias is the LSTM's (see `LSTMCell`); 1.0 lets it remember from the start.
    input_bias is both LSTMs' (lstm and lstm1997): added to the input gate's bias at init.
    """

    def __init__(
        self,
        kind: str,
        input_size: int,
        hidden_size: int,
        output_size: int,
        forget_bias: float = 1.0,
        rng=None,
        input_bias: float = 0.0,
    ) -> None:
        if kind not in LAYERS:
            raise ValueError(f"kind must be one of {', '.join(LAYERS)}, got {kind!r}")
        rng = get_rng(rng)  # one generator for both layers: one seed fixes the whole model
        options = {"forget_bias": forget_bias} if kind == "lstm" else {}
        if kind.startswith("lstm"):
            options["input_bias"] = input_bias
        self.kind = kind
        self.rnn = LAYERS[kind](input_size, hidden_size, rng=rng, **options)
        self.head = Linear(hidden_size, output_size, rng=rng)

    def forward(self, x: Tensor) -> Tensor:
        hidden, _ = self.rnn(x)
        return self.head(hidden)

    @classmethod
    def for_task(cls, task: Task | str, kind: str = "lstm", hidden_size: int = 32, **options):
        """A model with the task's input and output sizes."""
        task = _as_task(task)
        return cls(kind, task.input_size, hidden_size, task.output_size, **options)


# ---- what is scored -----------------------------------------------------------------------------


def metric_name(task: Task) -> str:
    """The metric's name: "accuracy" for classification, else "mse" (the loss itself)."""
    return "accuracy" if task.loss == "cross_entropy" else "mse"


def task_loss(task: Task, outputs: Tensor, batch: Batch) -> tuple[Tensor, float]:
    """The task's loss on the outputs it scores, and its metric.

    outputs: (T, B, O) from the model. A "last" task scores the final step against y (B, ...);
    a "sequence" task scores the last T_y steps against y (T_y, B, ...), only where the mask
    (if any) is True. With a mask, a "last" task scores each sequence's last real step.
    """
    if task.target == "sequence":
        scored = outputs[outputs.shape[0] - len(batch.y) :]
    elif batch.mask is None:
        scored = outputs[-1]
    else:  # sequences of varying lengths: each answers at its own last step
        scored = outputs[batch.mask.sum(axis=0) - 1, np.arange(outputs.shape[1])]
    if task.loss == "cross_entropy":
        logits = scored.reshape(-1, scored.shape[-1])  # every scored step is one example
        labels = batch.y.reshape(-1)
        loss = F.cross_entropy(logits, labels)
        return loss, float(np.mean(logits.data.argmax(axis=1) == labels))
    if batch.mask is None or task.target == "last":
        loss = F.mse_loss(scored, batch.y)
    else:  # the mean over real steps and every output; padding counts for nothing
        weights = batch.mask[..., None] / (batch.mask.sum() * scored.shape[-1])
        diff = scored - Tensor(batch.y)
        loss = (diff * diff * Tensor(weights)).sum()
    return loss, loss.item()


def evaluate(model: Module, task: Task | str, batch: Batch) -> tuple[float, float]:
    """(loss, metric) of the model on a batch, without building a graph."""
    task = _as_task(task)
    with no_grad():
        loss, metric = task_loss(task, model(Tensor(batch.x)), batch)
    return loss.item(), metric


# ---- the loop ----------------------------------------------------------------------------------


@dataclass
class History:
    """What happened during `train`: one entry per step, and one per test evaluation."""

    metric_name: str  # "accuracy" or "mse"
    loss: list[float] = field(default_factory=list)  # training loss, on that step's batch
    metric: list[float] = field(default_factory=list)  # the metric on that step's batch
    grad_norm: list[float] = field(default_factory=list)  # before clipping
    test_steps: list[int] = field(default_factory=list)  # after how many steps it was tested
    test_loss: list[float] = field(default_factory=list)
    test_metric: list[float] = field(default_factory=list)


class TrainingDiverged(RuntimeError):
    """The loss or the gradient stopped being a finite number. `.history` holds the steps
    taken until then; the parameters were not updated with the bad gradient."""

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


def train(
    model: Module,
    task: Task | str,
    steps: int = 1000,
    *,
    batch_size: int = 32,
    seq_len: int | None = None,
    lr: float = 0.02,
    optimizer: Optimizer | None = None,
    clip: float | None = 1.0,
    test_size: int = 512,
    eval_every: int | None = None,
    seed: int = 0,
    progress: bool = True,
    desc: str | None = None,
) -> History:
    """Train `model` on `task` for `steps` steps, one fresh batch per step; return the History.

    task: a `Task` or its name ("adding", "temporal_order", "copy", "reber").
    seq_len: the sequence length T (None: the task's default).
    optimizer: None for Adam(model.parameters(), lr); lr is ignored when one is given. The
    default lr, 0.02, with clip=1.0, gets an LSTM through the adding problem at T=100 in
    about a thousand steps.
    clip: the largest gradient norm allowed (see `clip_grad_norm_`), None for no clipping.
    test_size, eval_every: how many test sequences, scored every `eval_every` steps (None:
    ten times over the run) and after the last step.
    seed: fixes the training batches and the test set.
    progress: show a progress bar (tqdm); desc labels it.
    Raises `TrainingDiverged` with advice when the loss or the gradient is not finite.
    """
    task = _as_task(task)
    _check_positive("steps", steps)
    _check_positive("batch_size", batch_size)
    eval_every = eval_every or max(steps // 10, 1)
    parameters = model.parameters()
    optimizer = optimizer or Adam(parameters, lr=lr)
    # two independent streams: the test set stays the same whatever the training run does
    train_rng, test_rng = np.random.default_rng(seed).spawn(2)
    test_batch = task.sample_test(test_size, seq_len, test_rng)
    history = History(metric_name(task))

    bar = tqdm(range(1, steps + 1), desc=desc or task.name, disable=not progress)
    # numpy's overflow warnings would only come before the clearer message of TrainingDiverged
    with np.errstate(over="ignore", invalid="ignore"):
        for step in bar:
            batch = task.sample(batch_size, seq_len, train_rng)
            loss, metric = task_loss(task, model(Tensor(batch.x)), batch)
            optimizer.zero_grad()
            loss.backward()
            norm = clip_grad_norm_(parameters, clip if clip else math.inf)
            if not (math.isfinite(loss.item()) and math.isfinite(norm)):
                bar.close()
                raise TrainingDiverged(
                    _divergence_advice(step, loss.item(), norm, optimizer, clip), history
                )
            optimizer.step()

            history.loss.append(loss.item())
            history.metric.append(metric)
            history.grad_norm.append(norm)
            if step % eval_every == 0 or step == steps:
                test_loss, test_metric = evaluate(model, task, test_batch)
                history.test_steps.append(step)
                history.test_loss.append(test_loss)
                history.test_metric.append(test_metric)
                bar.set_postfix(
                    {
                        "loss": f"{loss.item():.4f}",
                        f"test {history.metric_name}": f"{test_metric:.4f}",
                    }
                )
    return history


def _divergence_advice(step: int, loss: float, norm: float, optimizer: Optimizer, clip) -> str:
    what = f"the loss is {loss}" if not math.isfinite(loss) else f"the gradient norm is {norm}"
    clipping = f"clip={clip} now; try 1.0 or less" if clip else "try clip=1.0"
    return (
        f"training stopped at step {step}: {what}, not a finite number. The parameters were "
        f"not updated with it. Lower the learning rate (lr={optimizer.lr} now; try a tenth "
        f"of it) or clip the gradients ({clipping})."
    )


# ---- the command line -------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """`python -m minigrad train TASK [options]`: train, then print one line of results."""
    args = _parser().parse_args(argv)
    task = get_task(args.task)
    if task.default_seq_len is None and args.seq_len is not None:
        _parser().error(f"task {task.name!r} makes sequences of their own lengths: drop --seq-len")
    seq_len = args.seq_len or task.default_seq_len
    model = SequenceModel.for_task(
        task, args.model, args.hidden_size, forget_bias=args.forget_bias, rng=args.seed
    )
    start = time.perf_counter()
    try:
        history = train(
            model,
            task,
            args.steps,
            batch_size=args.batch_size,
            seq_len=seq_len,
            lr=args.lr,
            clip=args.clip if args.clip > 0 else None,
            test_size=args.test_size,
            seed=args.seed,
            progress=not args.no_progress,
            desc=f"{args.model} on {task.name}",
        )
    except TrainingDiverged as error:
        print(f"python -m minigrad train: {error}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    if args.save:
        save_model(model, args.save)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump(_results(history, task, args, seq_len, seconds), file, indent=2)
    if args.plot:
        title = f"{args.model} on {task.name}" + (f", T={seq_len}" if seq_len else "")
        save_learning_curve(history, task, args.plot, title=title)
    print(_summary(history, task, args.model, seq_len, args.steps))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m minigrad train",
        description="Train a recurrent net on a long-range task and compare it with the "
        "task's baseline (the best a model that ignores its input can do).",
    )
    parser.add_argument("task", choices=sorted(TASKS), help="which task (minigrad.course.tasks)")
    parser.add_argument("--model", choices=sorted(LAYERS), default="lstm")
    parser.add_argument("--hidden-size", type=_positive_int, default=32)
    parser.add_argument("--seq-len", type=_positive_int, help="T (default: the task's)")
    parser.add_argument("--steps", type=_positive_int, default=2000)
    parser.add_argument("--batch-size", type=_positive_int, default=32)
    parser.add_argument("--lr", type=float, default=0.02, help="Adam's learning rate")
    parser.add_argument("--clip", type=float, default=1.0, help="max gradient norm, 0 for none")
    parser.add_argument("--forget-bias", type=float, default=1.0, help="LSTM only")
    parser.add_argument("--test-size", type=_positive_int, default=512)
    parser.add_argument("--seed", type=int, default=0, help="fixes the model and the data")
    parser.add_argument("--plot", metavar="PNG", help="save the learning curve to this file")
    parser.add_argument("--json", metavar="FILE", help="write the results to this JSON file")
    parser.add_argument("--save", metavar="NPZ", help="save the trained model (see load_model)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def _results(history: History, task: Task, args, seq_len, seconds: float) -> dict:
    """What `--json` writes: the run's settings, its final test scores and the baseline's."""
    results = {
        "task": task.name,
        "model": args.model,
        "hidden_size": args.hidden_size,
        "seq_len": seq_len,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "clip": args.clip,
        "seed": args.seed,
        "test_size": args.test_size,
        "loss": task.loss,
        "test_loss": history.test_loss[-1],
        "baseline_loss": task.baseline_loss,
        history.metric_name: history.test_metric[-1],
        "seconds": seconds,
        "test_steps": history.test_steps,
        "test_losses": history.test_loss,
    }
    if task.loss == "cross_entropy":
        results["baseline_accuracy"] = task.baseline_accuracy
        # in bits per prediction too: for text, the usual bits per character
        results["test_bits"] = history.test_loss[-1] / math.log(2)
        results["baseline_bits"] = task.baseline_loss / math.log(2)
    return results


def _summary(history: History, task: Task, model: str, seq_len, steps: int) -> str:
    length = f", T={seq_len}" if seq_len else ""
    if task.name == "shakespeare":  # text is scored in bits per character
        bits = math.log(2)
        result = f"test loss {history.test_loss[-1] / bits:.3f} bits per character"
        baseline = f"unigram baseline {task.baseline_loss / bits:.3f}"
    elif history.metric_name == "accuracy":
        result = f"test accuracy {history.test_metric[-1]:.3f}"
        baseline = f"baseline accuracy {task.baseline_accuracy:.3f}"
    else:
        result = f"test mse {history.test_metric[-1]:.4f}"
        baseline = f"baseline mse {task.baseline_loss:.4f}"
    return (
        f"{model} on {task.name}{length}, {steps} steps: {result}; {baseline} "
        "(the best that ignores the input)"
    )


def save_learning_curve(history: History, task: Task | str, path, title: str = "") -> None:
    """Save a PNG: the training and test loss against the baseline, and the gradient norm."""
    # Figure with the Agg canvas, not pyplot: no window, and no global backend switched
    # under a notebook that imports this module.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    task = _as_task(task)
    steps = np.arange(1, len(history.loss) + 1)
    figure = Figure(figsize=(9, 3.5), layout="constrained")
    FigureCanvasAgg(figure)
    loss_axes, norm_axes = figure.subplots(1, 2)
    loss_axes.plot(steps, history.loss, color="0.75", linewidth=0.8, label="training batch")
    loss_axes.plot(history.test_steps, history.test_loss, "o-", color="C0", label="test set")
    loss_axes.axhline(task.baseline_loss, color="C3", linestyle="--", label="baseline")
    loss_axes.set(xlabel="step", ylabel=f"loss ({task.loss})", yscale="log", title=title)
    loss_axes.legend()
    norm_axes.plot(steps, history.grad_norm, color="C2", linewidth=0.8)
    norm_axes.set(xlabel="step", ylabel="gradient norm (before clipping)", yscale="log")
    figure.savefig(path, dpi=100)


def save_model(model: SequenceModel, path) -> None:
    """Write a `SequenceModel` to a `.npz`: its kind and sizes, and its parameters in float32.

    Four bytes a weight keep a stored model small (chapter 8 keeps some in the repository);
    `load_model` reads them back as float64, so the loaded model computes in float64 with
    weights rounded once to float32.
    """
    layer = model.rnn
    weights = {name: value.astype(np.float32) for name, value in model.state_dict().items()}
    np.savez_compressed(
        path,
        kind=np.array(model.kind),
        sizes=np.array([layer.input_size, layer.hidden_size, model.head.weight.shape[0]]),
        **weights,
    )


def load_model(path) -> SequenceModel:
    """A `SequenceModel` read from a file written by `save_model` (or `train ... --save`)."""
    with np.load(path) as archive:
        if "kind" not in archive.files or "sizes" not in archive.files:
            raise ValueError(f"{path} was not written by save_model: it has no kind and sizes")
        kind, (input_size, hidden_size, output_size) = str(archive["kind"]), archive["sizes"]
        state = {name: archive[name] for name in archive.files if name not in ("kind", "sizes")}
    model = SequenceModel(kind, int(input_size), int(hidden_size), int(output_size), rng=0)
    model.load_state_dict({name: value.astype(np.float64) for name, value in state.items()})
    return model


def _as_task(task: Task | str) -> Task:
    return get_task(task) if isinstance(task, str) else task


def _check_positive(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"train: {name} must be a positive int, got {value!r}")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value
