"""The 1997 paper's experiments with its own protocol: train until its stopping criterion
holds, then count the errors on 2560 test sequences.

Hochreiter & Schmidhuber (1997), "Long Short-Term Memory", Neural Computation 9(8):
experiment 4, the adding problem (section 5.4, Table 7), and experiment 6a, temporal order
(section 5.6, Table 9). The tasks are `adding_1997` and `temporal_order_1997` of
`minigrad.course.tasks`. The protocol, as the paper states it:

- training sees a stream of fresh sequences; a sequence is *correct* when its answer is
  close enough (adding: absolute error below 0.04; temporal order: each of the 4 outputs
  within 0.3 of its 0/1 target);
- stopping criterion ST3(eps): the average training error is below eps and the 2000 most
  recent training sequences were all correct (eps = 0.01 for adding, 0.1 for temporal order);
- then a test set of 2560 new sequences is scored: how many are wrong.

The paper trained online, one sequence at a time, with plain gradient descent. We train in
small batches with Adam (the *recipe* below, a modern one): each sequence of a batch is judged by
the answer the net gave it before the batch's update, as an online learner's would be, and
the criterion is checked after each sequence in stream order. The paper's error per sequence
is the squared error of its outputs; ours is their mean, with the outputs of the temporal
order net read as the softmax probabilities of the 4 classes.

    python -m minigrad reproduce adding --seq-len 100 --seed 0 --json results/1997/x.json
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from minigrad.autograd import no_grad
from minigrad.course.tasks import ADDING_1997_CORRECT, TEMPORAL_ORDER_1997_CORRECT, Batch, get_task
from minigrad.course.train import LAYERS, SequenceModel, _positive_int, task_loss
from minigrad.optim import Adam, clip_grad_norm_
from minigrad.tensor import Tensor

TEST_SIZE = 2560  # the paper's test set
WINDOW = 2000  # ST3: this many most recent training sequences must all be correct


@dataclass(frozen=True)
class PaperRow:
    """One row of the paper's table: the means over its trials."""

    table: str
    trials: int
    minimal_lag: int
    test_wrong: float  # of 2560
    training_sequences: int


@dataclass(frozen=True)
class Experiment:
    """One of the paper's experiments: its task, what counts as correct, when to stop."""

    name: str
    task: str  # a name in minigrad.course.tasks.TASKS
    correct_within: float  # a sequence is correct when every output is this close
    stop_error: float  # eps of ST3(eps)
    paper: dict[int, PaperRow]  # by T


EXPERIMENTS = {
    "adding": Experiment(
        "adding",
        "adding_1997",
        ADDING_1997_CORRECT,
        0.01,
        {
            100: PaperRow("Table 7", 10, 50, 1, 74_000),
            500: PaperRow("Table 7", 10, 250, 0, 209_000),
            1000: PaperRow("Table 7", 10, 500, 1, 853_000),
        },
    ),
    "temporal_order": Experiment(
        "temporal_order",
        "temporal_order_1997",
        TEMPORAL_ORDER_1997_CORRECT,
        0.1,
        {100: PaperRow("Table 9", 20, 40, 1, 31_390)},  # task 6a, lengths 100 to 110
    ),
}

MIN_SEQ_LEN = {"adding": 22, "temporal_order": 20}  # what the tasks' windows need


@dataclass(frozen=True)
class Recipe:
    """How we train. The default is the recipe of our reproduction: the paper's cell, without
    a forget gate ("lstm1997"), trained the modern way: 32 hidden units, full backpropagation
    through time, Adam (learning rate 0.005) on batches of 8, gradient norm clipped at 1.
    The paper's own: 2 memory blocks of 2 cells, truncated gradients, online gradient descent
    with learning rate 0.5. Its first modern variant, `model="lstm"`, has a forget gate
    (Gers et al. 2000) whose bias starts at `forget_bias`.

    Both LSTMs start with their input gates nearly shut: `input_bias` is added to the input
    gate's bias, so that i starts near sigmoid(-6) ~ 0.0025. This is the paper's remedy for
    internal state drift (section 4: bias the input gates towards zero at the start). It
    started its two blocks' input gates at -3 and -6 for the adding problem (section 5.4),
    at -2 and -4 for the temporal order (section 5.6); ours all start at -6.
    Without it, the distractor inputs pile up in the cell state before the net has learned
    to shut them out. results/1997/ holds the runs that compare the two."""

    model: str = "lstm1997"  # a kind of train.SequenceModel: lstm1997, lstm, gru or rnn
    hidden_size: int = 32
    batch_size: int = 8  # 32 learned for too few seeds within the paper's budgets
    lr: float = 0.005  # Adam's: 0.01 stopped sooner, with up to 10 of 2560 wrong at T = 100
    clip: float = 1.0  # largest gradient norm
    forget_bias: float = 1.0  # for --model lstm only: the 1997 cell has no forget gate
    input_bias: float = -6.0  # for both LSTMs: -2 left the adding problem at T = 500 unsolved

    def describe(self) -> str:
        bias = f", forget bias {self.forget_bias:g}" if self.model == "lstm" else ""
        if self.model.startswith("lstm"):
            bias += f", input gate bias {self.input_bias:+g}"
        return (
            f"{self.model}, {self.hidden_size} hidden units{bias}; Adam lr {self.lr:g}, "
            f"batches of {self.batch_size}, gradient norm clipped at {self.clip:g}"
        )


@dataclass
class Result:
    """What one run reached. `training_sequences` is how many training sequences had been
    seen when the criterion was met, or the whole budget when it was not (`solved` False)."""

    experiment: str
    seq_len: int
    seed: int
    solved: bool
    training_sequences: int
    test_wrong: int
    test_size: int
    seconds: float
    recipe: dict
    criterion: str
    paper: dict | None
    max_sequences: int
    command: str = ""
    python: str = field(default_factory=platform.python_version)
    correct_in_a_row: list[int] = field(default_factory=list)  # after each batch, to plot


class StoppingCriterion:
    """ST3(eps) over a stream of sequences: met once the mean error of the `window` most
    recent ones is below eps and every one of them was correct."""

    def __init__(self, eps: float, window: int = WINDOW) -> None:
        self.eps, self.window = eps, window
        self.errors: deque[float] = deque(maxlen=window)
        self.run = 0  # how many of the most recent sequences were correct in a row
        self.seen = 0

    def update(self, errors: np.ndarray, correct: np.ndarray) -> int | None:
        """Add a batch of sequences in stream order: their errors (B,) and whether each was
        correct (B,). Returns how many sequences had been seen in all when the criterion was
        first met within this batch, or None."""
        for error, ok in zip(errors.tolist(), correct.tolist(), strict=True):
            self.seen += 1
            self.errors.append(error)
            self.run = self.run + 1 if ok else 0
            if self.run >= self.window and sum(self.errors) / self.window < self.eps:
                return self.seen
        return None


def answers(experiment: Experiment, outputs: np.ndarray, batch: Batch) -> np.ndarray:
    """What the net answered each sequence, (B, outputs): the adding net's output, or the
    temporal order net's class probabilities, read at each sequence's last real step."""
    lengths = batch.mask.sum(axis=0)
    last = outputs[lengths - 1, np.arange(outputs.shape[1])]
    if experiment.task == "adding_1997":
        return last
    shifted = np.exp(last - last.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def score(experiment: Experiment, answer: np.ndarray, batch: Batch):
    """Per sequence: the error (mean squared error of its outputs) and whether it is correct
    (every output within `correct_within` of its target). Each (B,)."""
    if experiment.task == "adding_1997":
        target = batch.y
    else:
        target = np.eye(answer.shape[1])[batch.y]
    miss = np.abs(answer - target)
    return np.mean(miss**2, axis=1), np.all(miss < experiment.correct_within, axis=1)


def reproduce(
    experiment: str,
    seq_len: int,
    seed: int = 0,
    recipe: Recipe | None = None,
    max_sequences: int | None = None,
    test_size: int = TEST_SIZE,
    progress: bool = True,
    window: int = WINDOW,
) -> Result:
    """Train a fresh net on `experiment` ("adding" or "temporal_order") at length T =
    `seq_len` until ST3 holds or `max_sequences` training sequences have been seen
    (default: the paper's count for that T, else 200,000), then score `test_size` test
    sequences. `seed` fixes the net, the training stream and the test set. `window` is
    ST3's count of recent sequences that must be correct: the paper's 2000 unless a test
    needs a quicker toy case."""
    spec = _check_experiment(experiment)
    seq_len = _check_seq_len(experiment, seq_len)
    recipe = recipe or Recipe()
    if recipe.model not in LAYERS:
        raise ValueError(
            f"reproduce: model must be one of {', '.join(LAYERS)}, got {recipe.model!r}"
        )
    paper = spec.paper.get(seq_len)
    if max_sequences is None:
        max_sequences = paper.training_sequences if paper else 200_000
    if isinstance(max_sequences, bool) or not isinstance(max_sequences, int) or max_sequences < 1:
        raise ValueError(f"reproduce: max_sequences must be a positive int, got {max_sequences!r}")
    task = get_task(spec.task)
    start = time.perf_counter()

    model = SequenceModel.for_task(
        task,
        recipe.model,
        recipe.hidden_size,
        forget_bias=recipe.forget_bias,
        input_bias=recipe.input_bias,
        rng=seed,
    )
    parameters = model.parameters()
    optimizer = Adam(parameters, lr=recipe.lr)
    train_rng, test_rng = np.random.default_rng(seed).spawn(2)
    criterion = StoppingCriterion(spec.stop_error, window)
    solved_at, in_a_row = None, []
    bar = tqdm(
        total=max_sequences,
        desc=f"{recipe.model}, {experiment}, T={seq_len}",
        unit="seq",
        disable=not progress,
    )
    with np.errstate(over="ignore", invalid="ignore"):
        while solved_at is None and criterion.seen < max_sequences:
            size = min(recipe.batch_size, max_sequences - criterion.seen)
            batch = task.sample(size, seq_len, train_rng)
            outputs = model(Tensor(batch.x))
            loss, _ = task_loss(task, outputs, batch)
            errors, correct = score(spec, answers(spec, outputs.data, batch), batch)
            solved_at = criterion.update(errors, correct)
            in_a_row.append(criterion.run)
            optimizer.zero_grad()
            loss.backward()
            norm = clip_grad_norm_(parameters, recipe.clip)
            if math.isfinite(norm):  # a bad gradient is skipped, not applied
                optimizer.step()
            bar.update(size)
            bar.set_postfix({"correct in a row": criterion.run, "loss": f"{loss.item():.4f}"})
    bar.close()

    test_wrong = count_wrong(model, spec, seq_len, test_size, test_rng)
    return Result(
        experiment=experiment,
        seq_len=seq_len,
        seed=seed,
        solved=solved_at is not None,
        training_sequences=solved_at if solved_at is not None else criterion.seen,
        test_wrong=test_wrong,
        test_size=test_size,
        seconds=round(time.perf_counter() - start, 1),
        recipe=asdict(recipe),
        criterion=f"ST3({spec.stop_error:g}): mean error of the last {window} training "
        f"sequences below {spec.stop_error:g} and all of them within {spec.correct_within:g}",
        paper=asdict(paper) if paper else None,
        max_sequences=max_sequences,
        correct_in_a_row=in_a_row,
    )


def count_wrong(model, spec: Experiment, seq_len: int, test_size: int, rng, chunk: int = 256):
    """How many of `test_size` new sequences the net gets wrong, scored `chunk` at a time."""
    task, wrong = get_task(spec.task), 0
    with no_grad():
        for start in range(0, test_size, chunk):
            batch = task.sample(min(chunk, test_size - start), seq_len, rng)
            answer = answers(spec, model(Tensor(batch.x)).data, batch)
            wrong += int(np.sum(~score(spec, answer, batch)[1]))
    return wrong


def load_results(folder: str | Path) -> list[dict]:
    """Every result a run wrote with --json into `folder` (its *.json files), sorted by
    experiment, T, model and seed; an error naming the folder if it holds none."""
    paths = sorted(Path(folder).glob("*.json"))
    if not paths:
        raise FileNotFoundError(f"no results (*.json) in {str(folder)!r}; its run.sh makes them")
    results = [json.loads(path.read_text()) for path in paths]
    return sorted(
        results, key=lambda r: (r["experiment"], r["seq_len"], r["recipe"]["model"], r["seed"])
    )


def markdown_table(results: list[dict]) -> list[str]:
    """Results (as `load_results` reads them) as the lines of a Markdown table: one row per
    experiment, T and model, with the paper's row beside ours."""
    lines = [
        "| experiment | T | model | paper: wrong of 2560 | paper: training sequences "
        "| ours: seeds solved | ours: wrong of 2560, each run | ours: training sequences "
        "| wall clock per run |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    keys = sorted({(r["experiment"], r["seq_len"], model_label(r)) for r in results})
    for experiment, T, model in keys:
        runs = [
            r
            for r in results
            if (r["experiment"], r["seq_len"], model_label(r)) == (experiment, T, model)
        ]
        paper = EXPERIMENTS[experiment].paper.get(T)
        solved = [r for r in runs if r["solved"]]
        wrong = [r["test_wrong"] for r in runs]
        if solved:
            counts = [r["training_sequences"] for r in solved]
            sequences = _spread(counts, "{:,.0f}")
            if len(solved) < len(runs):
                sequences += " (the solved runs)"
        else:
            sequences = f"not reached within {max(r['max_sequences'] for r in runs):,}"
        lines.append(
            f"| {experiment} | {T} | {model} | {paper.test_wrong if paper else '-'} "
            f"| {f'{paper.training_sequences:,}' if paper else '-'} "
            f"| {len(solved)} of {len(runs)} | {', '.join(map(str, wrong))} | {sequences} "
            f"| {_spread([r['seconds'] / 60 for r in runs], '{:.1f}')} min |"
        )
    return lines


def model_label(result: dict) -> str:
    """The model of a stored run, with its forget bias if it has a forget gate, its input gate
    bias if not the default's, and its batch size if not the default's."""
    recipe = result["recipe"]
    label = recipe["model"]
    if label == "lstm":
        label += f" (forget bias {recipe['forget_bias']:g})"
    input_bias = recipe.get("input_bias", 0.0)  # runs stored before it existed had none
    if label.startswith("lstm") and input_bias != Recipe().input_bias:
        label += f", input gate bias {input_bias:+g}"
    if recipe["batch_size"] != Recipe().batch_size:
        label += f", batches of {recipe['batch_size']}"
    return label


def _spread(values: list[float], form: str) -> str:
    """One value as itself; several as their mean and range, e.g. "5 (mean; 3 to 8)"."""
    if min(values) == max(values):
        return form.format(values[0]) + ("" if len(values) == 1 else f" (each of {len(values)})")
    mean, low, high = (form.format(v) for v in (np.mean(values), min(values), max(values)))
    return f"{mean} (mean; {low} to {high})"


def plot_reproduction(results: list[dict], ax) -> None:
    """On the matplotlib Axes `ax`: training sequences until ST3 holds against T, the
    paper's means and each of our runs; a run that did not meet it is a red cross at its
    budget."""
    adding = EXPERIMENTS["adding"].paper
    ax.plot(
        list(adding),
        [p.training_sequences for p in adding.values()],
        "ks-",
        label="paper: adding (Table 7)",
    )
    order = EXPERIMENTS["temporal_order"].paper[100]
    ax.plot(
        [100],
        [order.training_sequences],
        "k^",
        markersize=9,
        label="paper: temporal order 6a (Table 9)",
    )
    styles = {"adding": ("C0", "o"), "temporal_order": ("C1", "^")}
    labelled = set()
    for r in results:
        color, marker = styles[r["experiment"]]
        shift = 1 + 0.04 * (r["seed"] - 1)  # side by side, not on top of each other
        if r["solved"]:
            label = f"ours, {model_label(r)}: {r['experiment']}"
            ax.plot(
                r["seq_len"] * shift,
                r["training_sequences"],
                marker,
                color=color,
                label=None if label in labelled else label,
                alpha=0.8,
            )
        else:  # the RNN's failures in red, the gated nets' in grey
            rnn = r["recipe"]["model"] == "rnn"
            label = f"{'RNN' if rnn else 'gated net'}: not solved within the budget"
            ax.plot(
                r["seq_len"] * shift,
                r["training_sequences"],
                "x",
                color="C3" if rnn else "0.5",
                markersize=10,
                mew=2,
                label=None if label in labelled else label,
            )
        labelled.add(label)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="sequence length T",
        ylabel="training sequences until ST3 holds",
        title="The 1997 paper's long-lag experiments, reproduced",
    )
    ax.set_xticks([100, 500, 1000], ["100", "500", "1000"])
    ax.legend(fontsize=7, loc="lower right")


# ---- the command line -------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """`python -m minigrad reproduce EXPERIMENT --seq-len T --seed S [--json FILE]`."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.seq_len < MIN_SEQ_LEN[args.experiment]:
        parser.error(
            f"--seq-len must be at least {MIN_SEQ_LEN[args.experiment]} for {args.experiment} "
            f"(the paper ran T = {', '.join(map(str, EXPERIMENTS[args.experiment].paper))}), "
            f"got {args.seq_len}"
        )
    if args.json and not Path(args.json).parent.is_dir():
        parser.error(f"--json: folder {str(Path(args.json).parent)!r} does not exist")
    default = Recipe()
    recipe = Recipe(
        model=args.model,
        hidden_size=args.hidden_size or default.hidden_size,
        batch_size=args.batch_size or default.batch_size,
        lr=args.lr or default.lr,
        clip=args.clip or default.clip,
        forget_bias=default.forget_bias if args.forget_bias is None else args.forget_bias,
        input_bias=default.input_bias if args.input_bias is None else args.input_bias,
    )
    print(f"recipe: {recipe.describe()}" + (" (the default)" if recipe == default else ""))
    result = reproduce(
        args.experiment,
        args.seq_len,
        args.seed,
        recipe,
        max_sequences=args.max_sequences,
        test_size=args.test_size,
        progress=not args.no_progress,
    )
    result.command = "python -m minigrad reproduce " + " ".join(
        argv if argv is not None else sys.argv[2:]
    )
    print(table([result]))
    if not result.solved:
        print(
            f"not solved: the criterion was not met within the budget of "
            f"{result.max_sequences:,} training sequences (--max-sequences)"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(result), indent=2) + "\n")
    return 0


def table(results: list[Result]) -> str:
    """The runs as rows of the paper's table, each paper row above ours."""
    lines = [f"{'':<22}{'T':>5}{'solved':>8}{'wrong':>15}{'training sequences':>20}{'seconds':>9}"]
    shown = set()
    for r in results:
        key = (r.experiment, r.seq_len)
        if r.paper and key not in shown:
            p = r.paper
            label = f"paper, {p['table']} ({p['trials']} trials)"
            lines.append(
                f"{label:<22}{r.seq_len:>5}{'':>8}{p['test_wrong']:>15g}"
                f"{p['training_sequences']:>20,}{'':>9}"
            )
        elif not r.paper and key not in shown:
            lines.append(f"{'paper':<22}{r.seq_len:>5}   (not run in the paper)")
        shown.add(key)
        label = f"{r.recipe['model']}, seed {r.seed}"
        wrong = f"{r.test_wrong} of {r.test_size}"
        sequences = f"{r.training_sequences:,}" + ("" if r.solved else "+")
        lines.append(
            f"{label:<22}{r.seq_len:>5}{'yes' if r.solved else 'no':>8}{wrong:>15}"
            f"{sequences:>20}{r.seconds:>9.0f}"
        )
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    default = Recipe()
    parser = argparse.ArgumentParser(
        prog="python -m minigrad reproduce",
        description="Run one of the 1997 LSTM paper's experiments with its protocol: train "
        "until ST3 holds (or the budget runs out), then count the wrong answers of 2560 "
        f"test sequences. Default recipe: {default.describe()}.",
    )
    parser.add_argument("experiment", choices=sorted(EXPERIMENTS))
    parser.add_argument("--seq-len", type=_positive_int, default=100, help="T (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="fixes the net and the data")
    parser.add_argument("--json", metavar="FILE", help="write the result to this file")
    parser.add_argument(
        "--max-sequences",
        type=_positive_int,
        help="stop unsolved after this many training sequences (default: the paper's count)",
    )
    parser.add_argument(
        "--test-size",
        type=_positive_int,
        default=TEST_SIZE,
        help="test sequences (the paper's 2560)",
    )
    parser.add_argument("--model", choices=sorted(LAYERS), default=default.model)
    parser.add_argument("--hidden-size", type=_positive_int)
    parser.add_argument("--batch-size", type=_positive_int)
    parser.add_argument("--lr", type=float, help="Adam's learning rate")
    parser.add_argument("--clip", type=float, help="largest gradient norm")
    parser.add_argument("--forget-bias", type=float, help="lstm only")
    parser.add_argument(
        "--input-bias", type=float, help=f"lstm and lstm1997 (default {default.input_bias:g})"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def _check_experiment(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise ValueError(
            f"reproduce: unknown experiment {name!r}; expected one of {', '.join(EXPERIMENTS)}"
        )
    return EXPERIMENTS[name]


def _check_seq_len(experiment: str, seq_len) -> int:
    minimum = MIN_SEQ_LEN[experiment]
    if isinstance(seq_len, bool) or not isinstance(seq_len, (int, np.integer)):
        raise TypeError(f"reproduce: seq_len must be an int, got {type(seq_len).__name__}")
    if seq_len < minimum:
        raise ValueError(
            f"reproduce: seq_len must be at least {minimum} for {experiment}, got {seq_len}"
        )
    return int(seq_len)
