"""Synthetic long-range tasks: problems whose answer depends on inputs seen long before.

A plain RNN forgets; an LSTM is built to remember. These tasks make the difference visible,
each in one function that needs no download and is reproducible from a seed:

- `adding_problem`: add the two marked numbers of a long sequence (regression, MSE);
- `temporal_order`: say in which order two relevant symbols came (4 classes);
- `adding_1997`, `temporal_order_1997`: the same two problems exactly as the 1997 paper
  set them (other value range, markers and target; lengths that vary within a batch);
- `copy_task`: reproduce a short sequence after a long blank delay (a class per step);
- `embedded_reber`: predict the legal next symbols of a grammar whose second-to-last
  symbol repeats its second (multi-hot targets, variable lengths with a mask).

One task is real text, not synthetic: "shakespeare" (chapter 8), the next character of
Shakespeare's plays, read by `minigrad.course.text`.

Inputs are time-major, `(T, B, I)` float64, as PyTorch's RNNs expect by default. Every task
also states its baseline: the loss of the best model that ignores its input. A trained model
has learned something only when it beats that number.

The adding, temporal order and embedded Reber experiments come from Hochreiter &
Schmidhuber (1997), "Long Short-Term Memory", Neural Computation 9(8). `adding_problem` and
`temporal_order` are the modern fixed-length variants most papers since use (the adding one
as in Arjovsky, Shah & Bengio 2016); `adding_1997` and `temporal_order_1997` are the paper's
own set-ups (its sections 5.4 and 5.6). The grammar is Reber's (1967), embedded by
Cleeremans, Servan-Schreiber & McClelland (1989).
At the end, `Task` describes each task for a training loop (loss, sizes, baseline), and
`TASKS` holds them by name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np

from minigrad.course import text
from minigrad.rng import get_rng


def _check_int(name: str, value: object, minimum: int, why: str = "") -> int:
    """`value` as an int, or a clear error for a learner who passed something else."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})")
    if value < minimum:
        reason = f" ({why})" if why else ""
        raise ValueError(f"{name} must be at least {minimum}{reason}, got {value}")
    return int(value)


def _one_hot(codes: np.ndarray, n_classes: int) -> np.ndarray:
    """Integer codes of any shape `S` -> float64 array `S + (n_classes,)` with one 1 per row."""
    return np.eye(n_classes)[codes]


def _check_inputs(name: str, x: object, n_features: int) -> np.ndarray:
    """`x` as a (T, B, n_features) array, or an error that shows what came in."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name}: x must be a numpy array, got {type(x).__name__}")
    if x.ndim != 3 or x.shape[2] != n_features:
        raise ValueError(f"{name}: x must have shape (T, B, {n_features}), got {x.shape}")
    return x


# ---------------------------------------------------------------------------------------------
# 1. The adding problem
# ---------------------------------------------------------------------------------------------

ADDING_BASELINE_MSE = 1 / 6
"""MSE of always predicting 1.0 on the adding problem: Var(u1 + u2) = 2 * 1/12 (see below)."""


def adding_target(x: np.ndarray) -> np.ndarray:
    """The adding problem's answer for inputs `x: (T, B, 2)`: the sum of the marked values.

    Channel 0 holds the values, channel 1 the markers (1.0 at exactly two steps, else 0.0).
    Returns `(B, 1)`, one regression target per sequence.
    """
    x = _check_inputs("adding_target", x, 2)
    values, markers = x[:, :, 0], x[:, :, 1]
    counts = markers.sum(axis=0)
    if not np.all(counts == 2):
        bad = np.flatnonzero(counts != 2)
        raise ValueError(
            f"adding_target: every sequence needs exactly two markers, "
            f"sequences {bad.tolist()} have {counts[bad].tolist()}"
        )
    return (values * markers).sum(axis=0)[:, None]


def adding_problem(
    batch_size: int, seq_len: int, rng: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A batch of the adding problem: remember two marked numbers over `seq_len` steps.

    Each step is a pair (value, marker): values uniform in [0, 1), markers 0 except at two
    steps, one drawn uniformly from the first half `[0, T//2)` and one from the second half
    `[T//2, T)`. The target is the sum of the two marked values. Putting one marker in each
    half guarantees that at least T/2 steps separate the first marker from the answer.

    This is the modern variant (Arjovsky, Shah & Bengio 2016), not the 1997 paper's: that
    one marks values in [-1, 1], both in the first half, and scales the target (see
    `adding_1997`). Its criterion, an absolute error below 0.04, is 0.08 on this task's
    scale: with u = (X + 1) / 2, our u1 + u2 is twice its 0.5 + (X1 + X2) / 4.

    Returns `x: (T, B, 2)` float64 and `y: (B, 1)` float64.

    Baseline: a model that ignores its input predicts a constant c. With u1, u2 independent
    and uniform on [0, 1), y = u1 + u2 has mean 1 and variance 1/12 + 1/12 = 1/6; the best c
    under MSE is the mean, and its MSE is the variance: `ADDING_BASELINE_MSE = 1/6 ~ 0.167`.
    """
    batch_size = _check_int("batch_size", batch_size, 1)
    seq_len = _check_int("seq_len", seq_len, 2, "one marker in each half of the sequence")
    gen = get_rng(rng)

    values = gen.random((seq_len, batch_size))
    half = seq_len // 2
    first = gen.integers(0, half, size=batch_size)
    second = gen.integers(half, seq_len, size=batch_size)
    markers = np.zeros((seq_len, batch_size))
    sequences = np.arange(batch_size)
    markers[first, sequences] = 1.0
    markers[second, sequences] = 1.0

    x = np.stack([values, markers], axis=-1)
    return x, adding_target(x)


ADDING_1997_CORRECT = 0.04
"""The 1997 paper counts an adding sequence as correct if its absolute error is below this."""


def adding_1997_baseline_mse(seq_len: int) -> float:
    """MSE of the best constant answer on `adding_1997` at length T: the target's variance.

    y = 0.5 + (X1 + X2) / 4, each marked value uniform on [-1, 1] (variance 1/3) except that
    the first pair's value is 0 when it is marked. The first pair is marked with probability
    p0 = 1/10 (by the first draw, among 10) + 9/10 * 1/(T/2 - 2) (by the second, among the
    T/2 - 2 pairs of the first T/2 - 1 still unmarked). So E[(X1 + X2)^2] = (2 - p0) / 3
    and Var(y) = (2 - p0) / 48, about 0.0392 at T = 100.
    """
    p0 = 1 / 10 + 9 / 10 / (seq_len // 2 - 2)
    return (2 - p0) / 48


def adding_1997(
    batch_size: int, seq_len: int = 100, rng: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A batch of the adding problem as Hochreiter & Schmidhuber (1997) set it (section 5.4).

    Each sequence has its own length L, uniform in [T, T + T/10] (T = `seq_len`). Each step
    is a pair (value, marker), the value uniform in [-1, 1]. One of the first ten pairs is
    marked (marker 1): its value is X1. Then one of the first T/2 - 1 pairs still unmarked
    is marked: its value is X2. Every other marker is 0, except those of the first and the
    final pair, which are -1 (the final one is the cue to answer). When the first pair is
    one of the two marked, its marker is 1 and its value is set to 0. The target, asked for
    at the final step only, is 0.5 + (X1 + X2) / 4, in [0, 1]. At least L - T/2 + 1 steps
    (the paper's "minimal lag" T/2) separate the last mark from the answer.

    Sequences shorter than the longest of the batch are padded at the end with zeros.
    Returns `x: (T_max, B, 2)` float64, `y: (B, 1)` float64 and `mask: (T_max, B)` bool,
    True at real steps: sequence b ends at step `mask[:, b].sum() - 1`, where its answer
    is read.

    Baseline: `adding_1997_baseline_mse(T)`, about 0.0392 at T = 100. The paper counts a
    sequence as correct if its absolute error is below `ADDING_1997_CORRECT` = 0.04.
    """
    batch_size = _check_int("batch_size", batch_size, 1)
    seq_len = _check_int("seq_len", seq_len, 22, "the first T/2 - 1 pairs must hold the first 10")
    gen = get_rng(rng)

    lengths = gen.integers(seq_len, seq_len + seq_len // 10 + 1, size=batch_size)
    mask = np.arange(lengths.max())[:, None] < lengths  # (T_max, B)
    sequences = np.arange(batch_size)
    first = gen.integers(0, 10, size=batch_size)
    # the second mark is uniform over the first T/2 - 1 pairs but the first mark: an index
    # among T/2 - 2, moved one up from the first mark on
    second = gen.integers(0, seq_len // 2 - 2, size=batch_size)
    second += second >= first

    values = gen.uniform(-1.0, 1.0, size=mask.shape)
    markers = np.zeros(mask.shape)
    markers[0] = -1.0
    markers[lengths - 1, sequences] = -1.0
    markers[first, sequences] = 1.0
    markers[second, sequences] = 1.0
    values[0, markers[0] == 1.0] = 0.0  # the paper's rule for a marked first pair
    x = np.stack([values, markers], axis=-1) * mask[..., None]  # zeros after the end

    y = 0.5 + (values[first, sequences] + values[second, sequences]) / 4
    return x, y[:, None], mask


# ---------------------------------------------------------------------------------------------
# 2. The temporal order problem
# ---------------------------------------------------------------------------------------------

TEMPORAL_ORDER_SYMBOLS = ("X", "Y", "a", "b", "c", "d", "B", "E")
"""Input alphabet: the relevant X and Y, the distractors a-d, and B / E at start and end
(`temporal_order_1997`, as the paper: E at the start, B at the end)."""

TEMPORAL_ORDER_CLASSES = ("XX", "XY", "YX", "YY")
"""Label k names the order of the two relevant symbols; k = 2 * (first is Y) + (second is Y)."""

TEMPORAL_ORDER_BASELINE_CROSS_ENTROPY = math.log(4)
TEMPORAL_ORDER_BASELINE_ACCURACY = 0.25

_X, _Y = 0, 1
_DISTRACTORS = (2, 3, 4, 5)
_START, _END = 6, 7


def temporal_order_label(x: np.ndarray) -> np.ndarray:
    """The class of each sequence of `x: (T, B, 8)` (one-hot over `TEMPORAL_ORDER_SYMBOLS`).

    Every sequence must hold exactly two relevant symbols (X or Y). Returns `(B,)` int64
    indices into `TEMPORAL_ORDER_CLASSES`: 0 for X then X, 1 for X then Y, 2 for Y then X,
    3 for Y then Y.
    """
    x = _check_inputs("temporal_order_label", x, len(TEMPORAL_ORDER_SYMBOLS))
    symbols = x.argmax(axis=2).T  # (B, T): one row per sequence, in time order
    is_relevant = symbols <= _Y
    counts = is_relevant.sum(axis=1)
    if not np.all(counts == 2):
        bad = np.flatnonzero(counts != 2)
        raise ValueError(
            f"temporal_order_label: every sequence needs exactly two X/Y symbols, "
            f"sequences {bad.tolist()} have {counts[bad].tolist()}"
        )
    # Boolean indexing walks each row in time order, so each pair is (first, second).
    first, second = symbols[is_relevant].reshape(-1, 2).T
    return (2 * first + second).astype(np.int64)


def temporal_order(
    batch_size: int,
    seq_len: int,
    rng: int | np.random.Generator | None = None,
    *,
    first_window: tuple[int, int] | None = None,
    second_window: tuple[int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A batch of the temporal order problem: a fixed-length variant of the 1997 paper's
    experiment 6a (`temporal_order_1997` is the paper's own).

    A sequence is B (begin), then random distractors a-d, then E (end, the cue to answer).
    Two of the distractors are replaced by relevant symbols, each X or Y with probability
    1/2: one at a step drawn uniformly from `first_window`, one from `second_window` (both
    inclusive). The class says which came in which order: XX, XY, YX or YY. To answer at
    the final E the model must keep both symbols, in order, across the distractors.

    The paper used lengths 100 to 110 with windows [10, 20] and [50, 60]. Here every
    sequence of a batch has length `seq_len` so that the batch is one array, and the
    default windows scale with it: [T//10, T//5] and [T//2, 3T//5], the paper's at T = 100.
    The paper's sequences also start with E and end with B, the trigger; here B and E keep
    their plain meaning, begin and end. To a net with one-hot inputs that is the same task:
    swapping the names of two symbols only swaps two input channels.

    Returns `x: (T, B, 8)` float64, one-hot over `TEMPORAL_ORDER_SYMBOLS`, and `y: (B,)` int64
    labels indexing `TEMPORAL_ORDER_CLASSES`.

    Baseline: the two relevant symbols are independent fair coins, so the four classes are
    equally likely whatever the rest of the input. A model that ignores its input can do no
    better than the uniform prediction: accuracy 1/4 and cross-entropy ln 4 ~ 1.386 nats
    (`TEMPORAL_ORDER_BASELINE_ACCURACY`, `TEMPORAL_ORDER_BASELINE_CROSS_ENTROPY`).
    """
    batch_size = _check_int("batch_size", batch_size, 1)
    seq_len = _check_int("seq_len", seq_len, 4, "start, two relevant symbols, end")
    if first_window is None and second_window is None and seq_len < 10:
        raise ValueError(
            f"seq_len must be at least 10 for the default windows [T//10, T//5] and "
            f"[T//2, 3T//5] to fit after the start symbol, got {seq_len}; "
            f"pass first_window and second_window to use shorter sequences"
        )
    if first_window is None:
        first_window = (seq_len // 10, seq_len // 5)
    if second_window is None:
        second_window = (seq_len // 2, 3 * seq_len // 5)
    (lo1, hi1), (lo2, hi2) = first_window, second_window
    if not 1 <= lo1 <= hi1 < lo2 <= hi2 <= seq_len - 2:
        raise ValueError(
            f"windows must satisfy 1 <= first start <= first end < second start <= second end"
            f" <= seq_len - 2 = {seq_len - 2} (steps 0 and T-1 hold B and E), "
            f"got first_window={first_window}, second_window={second_window}"
        )
    gen = get_rng(rng)

    symbols = gen.choice(_DISTRACTORS, size=(seq_len, batch_size))
    symbols[0] = _START
    symbols[-1] = _END
    sequences = np.arange(batch_size)
    first_step = gen.integers(lo1, hi1 + 1, size=batch_size)
    second_step = gen.integers(lo2, hi2 + 1, size=batch_size)
    symbols[first_step, sequences] = gen.integers(_X, _Y + 1, size=batch_size)
    symbols[second_step, sequences] = gen.integers(_X, _Y + 1, size=batch_size)

    x = _one_hot(symbols, len(TEMPORAL_ORDER_SYMBOLS))
    return x, temporal_order_label(x)


TEMPORAL_ORDER_1997_CORRECT = 0.3
"""The 1997 paper counts a temporal order sequence as correct if every output is within this
of its target (1 for the right class, 0 for the three others)."""


def temporal_order_1997(
    batch_size: int, seq_len: int = 100, rng: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A batch of the temporal order problem as Hochreiter & Schmidhuber (1997) set it:
    experiment 6a, section 5.6.

    Each sequence has its own length L, uniform in [T, T + T/10] (T = `seq_len`; the paper's
    100 to 110 at the default T = 100). It starts with E, ends with B (the trigger: answer
    now), and is otherwise random distractors a-d, except at two positions t1 in
    [T/10, T/5] and t2 in [T/2, 3T/5] (the paper's [10, 20] and [50, 60], counting E as
    position 1), which hold X or Y, each with probability 1/2. The class is their order:
    XX, XY, YX or YY (`TEMPORAL_ORDER_CLASSES`). Other T than 100 scale the windows.

    Sequences shorter than the longest of the batch are padded at the end with zeros.
    Returns `x: (T_max, B, 8)` float64, one-hot over `TEMPORAL_ORDER_SYMBOLS` at real steps,
    `y: (B,)` int64 labels and `mask: (T_max, B)` bool, True at real steps; sequence b's
    trigger is at step `mask[:, b].sum() - 1`.

    Baseline: as for `temporal_order`, accuracy 1/4 and cross-entropy ln 4. The paper
    counts a sequence as correct if each of its 4 outputs is within
    `TEMPORAL_ORDER_1997_CORRECT` = 0.3 of its target.
    """
    batch_size = _check_int("batch_size", batch_size, 1)
    seq_len = _check_int("seq_len", seq_len, 20, "the first window [T/10, T/5] must follow E")
    gen = get_rng(rng)

    lengths = gen.integers(seq_len, seq_len + seq_len // 10 + 1, size=batch_size)
    mask = np.arange(lengths.max())[:, None] < lengths  # (T_max, B)
    sequences = np.arange(batch_size)
    symbols = gen.choice(_DISTRACTORS, size=mask.shape)
    symbols[0] = _END
    symbols[lengths - 1, sequences] = _START
    # positions t counted from 1, as the paper does, are steps t - 1
    first_step = gen.integers(seq_len // 10, seq_len // 5 + 1, size=batch_size) - 1
    second_step = gen.integers(seq_len // 2, 3 * seq_len // 5 + 1, size=batch_size) - 1
    first, second = gen.integers(_X, _Y + 1, size=(2, batch_size))
    symbols[first_step, sequences] = first
    symbols[second_step, sequences] = second

    x = _one_hot(symbols, len(TEMPORAL_ORDER_SYMBOLS)) * mask[..., None]
    return x, (2 * first + second).astype(np.int64), mask  # the label, as TEMPORAL_ORDER_CLASSES


# ---------------------------------------------------------------------------------------------
# 3. The copy task
# ---------------------------------------------------------------------------------------------

COPY_N_SYMBOLS = 8
COPY_LENGTH = 10
COPY_BASELINE_CROSS_ENTROPY = math.log(COPY_N_SYMBOLS)
COPY_BASELINE_ACCURACY = 1 / COPY_N_SYMBOLS


def copy_task(
    batch_size: int,
    seq_len: int,
    rng: int | np.random.Generator | None = None,
    *,
    n_symbols: int = COPY_N_SYMBOLS,
    copy_len: int = COPY_LENGTH,
) -> tuple[np.ndarray, np.ndarray]:
    """A batch of the copy task: read a short sequence, wait, then write it out again.

    With K = `n_symbols`, L = `copy_len` and T = `seq_len`, each input sequence is

        steps 0 .. L-1        L symbols drawn uniformly from 0 .. K-1
        steps L .. T-L-2      blank (code K): the delay, T - 2L - 1 steps long
        step  T-L-1           the cue (code K+1): "write now"
        steps T-L .. T-1      blank, while the model writes the L symbols

    so T must be at least 2L + 1 (no delay at all).

    Returns `x: (T, B, K + 2)` float64, one-hot over the codes above, and `y: (L, B)` int64:
    the symbols to write, which line up with the model's outputs at the last L steps
    (`outputs[-L:]`). Only those steps are scored.

    Baseline: the symbols to write are independent and uniform, so a model that ignores its
    input can do no better than predicting their marginal distribution, uniform over K:
    cross-entropy ln K per written symbol and accuracy 1/K. For the defaults (K = 8) that
    is ln 8 ~ 2.079 nats (`COPY_BASELINE_CROSS_ENTROPY`, `COPY_BASELINE_ACCURACY`).
    """
    batch_size = _check_int("batch_size", batch_size, 1)
    n_symbols = _check_int("n_symbols", n_symbols, 2, "with one symbol there is nothing to recall")
    copy_len = _check_int("copy_len", copy_len, 1)
    seq_len = _check_int(
        "seq_len", seq_len, 2 * copy_len + 1, f"read {copy_len} symbols, cue, write {copy_len}"
    )
    gen = get_rng(rng)
    blank, cue = n_symbols, n_symbols + 1

    sequence = gen.integers(0, n_symbols, size=(copy_len, batch_size))
    codes = np.full((seq_len, batch_size), blank)
    codes[:copy_len] = sequence
    codes[seq_len - copy_len - 1] = cue

    return _one_hot(codes, n_symbols + 2), sequence


# ---------------------------------------------------------------------------------------------
# 4. The embedded Reber grammar
# ---------------------------------------------------------------------------------------------

REBER_SYMBOLS = ("B", "T", "P", "S", "X", "V", "E")
"""The grammar's alphabet, in the order of the one-hot channels."""

# The Reber grammar as a finite automaton: for each state, the symbols it may emit and the
# state each one leads to. Every choice has probability 1/2. A string starts in state 0 and
# is complete when it reaches state 7 (after its E). Examples: BTXSE, BPVVE, BTSSXXTVVE.
REBER_GRAMMAR: dict[int, dict[str, int]] = {
    0: {"B": 1},
    1: {"T": 2, "P": 3},
    2: {"S": 2, "X": 4},
    3: {"T": 3, "V": 5},
    4: {"X": 3, "S": 6},
    5: {"P": 4, "V": 6},
    6: {"E": 7},
}
_REBER_END = 7

REBER_TARGET_FREQUENCIES = np.array([1, 4.5, 3.5, 2, 2, 3, 2]) / 11
"""For each of `REBER_SYMBOLS`, the fraction of steps at which it is a legal next symbol."""

REBER_BASELINE_MSE = 41 / 242
"""MSE of the best constant prediction on `embedded_reber`, ~0.1694 (derived there)."""


def _reber_states(string: str) -> list[int] | None:
    """The states of `REBER_GRAMMAR` after each symbol of `string`, or None if one is illegal."""
    state, states = 0, []
    for symbol in string:
        if state not in REBER_GRAMMAR or symbol not in REBER_GRAMMAR[state]:
            return None
        state = REBER_GRAMMAR[state][symbol]
        states.append(state)
    return states


def _check_string(name: str, string: object) -> str:
    """`string` itself if it is a str, else an error naming what came in."""
    if not isinstance(string, str):
        raise TypeError(f"{name} expects a str such as 'BTXSE', got {type(string).__name__}")
    return string


def is_reber(string: str) -> bool:
    """Whether `string` (e.g. "BTXSE") is a complete string of the Reber grammar."""
    states = _reber_states(_check_string("is_reber", string))
    return bool(states) and states[-1] == _REBER_END


def is_embedded_reber(string: str) -> bool:
    """Whether `string` is a complete embedded Reber string: B, T or P, a Reber string,
    the same T or P again, E. For example "BTBPVVETE" is one; "BTBPVVEPE" is not.
    """
    string = _check_string("is_embedded_reber", string)
    return (
        len(string) >= 4
        and string[0] == "B"
        and string[1] in "TP"
        and string[-2] == string[1]
        and string[-1] == "E"
        and is_reber(string[2:-2])
    )


def reber_string(rng: int | np.random.Generator | None = None) -> str:
    """One string of the Reber grammar, each choice a fair coin; e.g. "BTSXXVPSE"."""
    gen = get_rng(rng)
    state, symbols = 0, []
    while state != _REBER_END:
        choices = list(REBER_GRAMMAR[state])
        # A uniform pick; one float draw is several times quicker than gen.integers.
        symbol = choices[int(gen.random() * len(choices))]
        symbols.append(symbol)
        state = REBER_GRAMMAR[state][symbol]
    return "".join(symbols)


def embedded_reber_string(rng: int | np.random.Generator | None = None) -> str:
    """One embedded Reber string: B, T or P (a fair coin), a Reber string, the same T or P, E."""
    gen = get_rng(rng)
    branch = "T" if gen.random() < 0.5 else "P"
    return "B" + branch + reber_string(gen) + branch + "E"


def embedded_reber_next_symbols(string: str) -> list[str]:
    """For each symbol of an embedded Reber string but the last, the symbols that may follow.

    Example: "BTBTXSETE" gives ["TP", "B", "TP", "SX", "XS", "E", "T", "E"]. Note the 7th:
    after the inner E only the T chosen at step 1 is legal, however long the inner string.
    """
    if not is_embedded_reber(string):
        raise ValueError(f"{string!r} is not an embedded Reber string (e.g. 'BTBTXSETE')")
    inner, branch = string[2:-2], string[1]
    # Inside the inner string, the legal symbols after each prefix are the current state's;
    # after its final E the outer grammar takes over.
    inner_next = ["".join(REBER_GRAMMAR[state]) for state in _reber_states(inner)[:-1]]
    return ["TP", "B", *inner_next, branch, "E"]


def encode_embedded_reber(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Embedded Reber strings as padded one-hot inputs, multi-hot targets and a mask.

    A string of n symbols gives n - 1 steps: the input at step t is its symbol t, the target
    marks every symbol that may legally come next. Shorter strings are padded with zeros up
    to T = (longest n) - 1.

    Returns `x: (T, B, 7)` and `y: (T, B, 7)` float64 over `REBER_SYMBOLS`, and
    `mask: (T, B)` bool, True at real steps and False at padding.
    """
    if isinstance(strings, str) or not isinstance(strings, Sequence) or len(strings) == 0:
        raise TypeError(f"expected a non-empty list of strings, got {strings!r:.60}")
    targets = [embedded_reber_next_symbols(string) for string in strings]
    n_steps = max(len(string) for string in strings) - 1
    code = {symbol: k for k, symbol in enumerate(REBER_SYMBOLS)}

    x = np.zeros((n_steps, len(strings), len(REBER_SYMBOLS)))
    y = np.zeros_like(x)
    mask = np.zeros((n_steps, len(strings)), dtype=bool)
    for b, (string, legal_next) in enumerate(zip(strings, targets, strict=True)):
        for t, (symbol, legal) in enumerate(zip(string[:-1], legal_next, strict=True)):
            x[t, b, code[symbol]] = 1.0
            for next_symbol in legal:
                y[t, b, code[next_symbol]] = 1.0
        mask[: len(string) - 1, b] = True
    return x, y, mask


def embedded_reber(
    batch_size: int, rng: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A batch of the embedded Reber grammar: predict the legal next symbols at every step.

    Draws `batch_size` strings with `embedded_reber_string` and encodes them with
    `encode_embedded_reber`: `x: (T, B, 7)`, `y: (T, B, 7)` multi-hot, `mask: (T, B)` bool,
    with T the longest string's length minus one (it varies from batch to batch). Every
    step is easy except the one after the inner E, where only the T or P seen at step 1 is
    legal: the memory test. The 1997 paper trained on these targets with squared error.

    Baseline: the loss is the MSE over real steps (mask True) and the 7 outputs. A model
    that ignores its input outputs one constant vector q. The best q_k is the fraction p_k
    of steps at which symbol k is legal, and its MSE is then mean_k p_k (1 - p_k).
    To find p, count the expected steps of one string. In the inner grammar let v_s be the
    expected number of visits to state s; each state is left by fair coin flips, so

        v1 = 1, v2 = v1/2 + v2/2, v3 = v1/2 + v3/2 + v4/2, v4 = v2/2 + v5/2, v5 = v3/2,

    whence v1..v5 = 1, 1, 2, 1, 1 and v6 = v4/2 + v5/2 = 1: 7 inner steps. The outer grammar
    adds 4: after B (legal: T P), after the first T/P (B), after the inner E (the branch:
    T or P, each half the time) and after the second T/P (E). 11 steps in all. Adding up
    which symbols are legal at each, state by state (state 1: T P, 2: S X, 3: T V, 4: X S,
    5: P V, 6: E), gives the expected counts B 1, T 4.5, P 3.5, S 2, X 2, V 3, E 2.
    So p = counts / 11 (`REBER_TARGET_FREQUENCIES`) and the baseline MSE is
    (1/7) (sum p - sum p^2) = (1/7) (198 - 54.5) / 121 = 41/242 ~ 0.1694 (`REBER_BASELINE_MSE`).
    """
    batch_size = _check_int("batch_size", batch_size, 1)
    gen = get_rng(rng)
    return encode_embedded_reber([embedded_reber_string(gen) for _ in range(batch_size)])


# ---------------------------------------------------------------------------------------------
# Tasks by name, for a training loop and the command line
# ---------------------------------------------------------------------------------------------


class Batch(NamedTuple):
    """One batch of a task: inputs, targets, and which steps are real (None: all are)."""

    x: np.ndarray  # (T, B, input_size) float64
    y: np.ndarray  # targets; their shape depends on `Task.target`
    mask: np.ndarray | None  # (T, B) bool for tasks of varying length, else None


@dataclass(frozen=True)
class Task:
    """What a training loop needs to know about a task to build a model and judge it.

    `target` says where the outputs are scored:
    - "last": `y` has one entry per sequence, `(B, ...)`, compared with the output at the
      final step (adding: `(B, 1)` values; temporal order: `(B,)` labels); with a mask (the
      1997 tasks, whose lengths vary), the final step of sequence b is its last real one,
      `mask[:, b].sum() - 1`;
    - "sequence": `y` is time-major, `(T_y, B, ...)`, and lines up with the outputs of the
      last T_y steps (copy: `(copy_len, B)` labels; Reber: `(T, B, 7)`, every step, masked).

    `loss` is "mse" (mean over all scored elements) or "cross_entropy" (`y` holds class
    indices, as in PyTorch's `cross_entropy`). `baseline_loss` is that loss for the best model
    that ignores its input; `baseline_accuracy` its accuracy, for classification tasks.
    `default_seq_len` is None when the task makes sequences of their own lengths (Reber);
    the 1997 tasks take a `seq_len` T and draw each length in [T, T + T/10].
    """

    name: str
    description: str
    input_size: int
    output_size: int
    loss: Literal["mse", "cross_entropy"]
    target: Literal["last", "sequence"]
    baseline_loss: float
    baseline_accuracy: float | None
    default_seq_len: int | None
    generate: Callable[..., tuple[np.ndarray, ...]]
    # A task with held-out data (the text of chapter 8) draws its test set from it; the
    # synthetic tasks draw it from `generate`, with a stream of its own.
    generate_test: Callable[..., tuple[np.ndarray, ...]] | None = None

    def sample(
        self,
        batch_size: int,
        seq_len: int | None = None,
        rng: int | np.random.Generator | None = None,
    ) -> Batch:
        """A batch of `batch_size` sequences of length `seq_len` (default: `default_seq_len`)."""
        if self.default_seq_len is None:
            if seq_len is not None:
                raise ValueError(
                    f"task {self.name!r} makes sequences of their own lengths; "
                    f"seq_len must be None, got {seq_len!r}"
                )
            x, y, mask = self.generate(batch_size, rng)
            return Batch(x, y, mask)
        # a task of varying lengths (the 1997 ones) also returns its mask
        x, y, *mask = self.generate(
            batch_size, self.default_seq_len if seq_len is None else seq_len, rng
        )
        return Batch(x, y, mask[0] if mask else None)

    def sample_test(
        self,
        batch_size: int,
        seq_len: int | None = None,
        rng: int | np.random.Generator | None = None,
    ) -> Batch:
        """A test batch: from the held-out data when the task has some, else as `sample`."""
        if self.generate_test is None:
            return self.sample(batch_size, seq_len, rng)
        seq_len = self.default_seq_len if seq_len is None else seq_len
        return Batch(*self.generate_test(batch_size, seq_len, rng), None)

    def train_test(
        self,
        n_train: int,
        n_test: int,
        seq_len: int | None = None,
        rng: int | np.random.Generator | None = None,
    ) -> tuple[Batch, Batch]:
        """A training set and a test set, each one `Batch`, drawn from separate streams.

        The two streams are spawned from `rng`, so the test set stays the same when `n_train`
        changes: results with more training data are measured on the same test sequences.
        """
        train_rng, test_rng = get_rng(rng).spawn(2)
        return (
            self.sample(n_train, seq_len, train_rng),
            self.sample(n_test, seq_len, test_rng),
        )


TASKS: dict[str, Task] = {
    "adding": Task(
        name="adding",
        description="add the two marked values of a long sequence",
        input_size=2,
        output_size=1,
        loss="mse",
        target="last",
        baseline_loss=ADDING_BASELINE_MSE,
        baseline_accuracy=None,
        default_seq_len=100,
        generate=adding_problem,
    ),
    "temporal_order": Task(
        name="temporal_order",
        description="classify the order (XX, XY, YX, YY) of two symbols among distractors",
        input_size=len(TEMPORAL_ORDER_SYMBOLS),
        output_size=len(TEMPORAL_ORDER_CLASSES),
        loss="cross_entropy",
        target="last",
        baseline_loss=TEMPORAL_ORDER_BASELINE_CROSS_ENTROPY,
        baseline_accuracy=TEMPORAL_ORDER_BASELINE_ACCURACY,
        default_seq_len=100,
        generate=temporal_order,
    ),
    "adding_1997": Task(
        name="adding_1997",
        description="the 1997 paper's adding problem: lengths T to 1.1 T, target 0.5 + sum / 4",
        input_size=2,
        output_size=1,
        loss="mse",
        target="last",
        baseline_loss=adding_1997_baseline_mse(100),  # at T = 100; it varies a little with T
        baseline_accuracy=None,
        default_seq_len=100,
        generate=adding_1997,
    ),
    "temporal_order_1997": Task(
        name="temporal_order_1997",
        description="the 1997 paper's temporal order problem 6a: E ... B, lengths T to 1.1 T",
        input_size=len(TEMPORAL_ORDER_SYMBOLS),
        output_size=len(TEMPORAL_ORDER_CLASSES),
        loss="cross_entropy",
        target="last",
        baseline_loss=TEMPORAL_ORDER_BASELINE_CROSS_ENTROPY,
        baseline_accuracy=TEMPORAL_ORDER_BASELINE_ACCURACY,
        default_seq_len=100,
        generate=temporal_order_1997,
    ),
    "copy": Task(
        name="copy",
        description=f"write back {COPY_LENGTH} symbols after a blank delay and a cue",
        input_size=COPY_N_SYMBOLS + 2,
        output_size=COPY_N_SYMBOLS,
        loss="cross_entropy",
        target="sequence",
        baseline_loss=COPY_BASELINE_CROSS_ENTROPY,
        baseline_accuracy=COPY_BASELINE_ACCURACY,
        default_seq_len=50,
        generate=copy_task,
    ),
    "reber": Task(
        name="reber",
        description="predict the legal next symbols of the embedded Reber grammar",
        input_size=len(REBER_SYMBOLS),
        output_size=len(REBER_SYMBOLS),
        loss="mse",
        target="sequence",
        baseline_loss=REBER_BASELINE_MSE,
        baseline_accuracy=None,
        default_seq_len=None,
        generate=embedded_reber,
    ),
    # Real text (chapter 8, minigrad.course.text): predict the next character of Shakespeare at
    # every step of a window; the test windows come from the held-out last 5% of the corpus.
    "shakespeare": Task(
        name="shakespeare",
        description="predict the next character of Shakespeare's plays",
        input_size=text.SHAKESPEARE_VOCAB_SIZE,
        output_size=text.SHAKESPEARE_VOCAB_SIZE,
        loss="cross_entropy",
        target="sequence",
        baseline_loss=text.SHAKESPEARE_UNIGRAM_NATS,
        baseline_accuracy=text.SHAKESPEARE_BASELINE_ACCURACY,
        default_seq_len=100,
        generate=text.shakespeare_windows,
        generate_test=text.shakespeare_test_windows,
    ),
}


def get_task(name: str) -> Task:
    """The task called `name`, or an error listing the names there are."""
    if name not in TASKS:
        raise KeyError(f"unknown task {name!r}; expected one of {', '.join(sorted(TASKS))}")
    return TASKS[name]
