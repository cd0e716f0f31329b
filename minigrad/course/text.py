"""Real text for the recurrent nets: a character-level corpus, its windows, sampling, and
truncated backpropagation through time.

Every task before chapter 8 is synthetic. Here the sequences are Shakespeare's plays
(`data/tinyshakespeare.txt`, see `data/README.md`), one character per step:

- `load_shakespeare()` reads the corpus once and gives a `Corpus`: the text, its alphabet
  (the 65 distinct characters, sorted) and the text as integer codes, split by position
  into train (the first 90%), validation (the next 5%) and test (the last 5%). The split is
  never shuffled, so the test text is a stretch of plays the model has never read.
- `random_windows` cuts a batch of contiguous windows of `seq_len + 1` characters from one
  split: the model reads the first `seq_len` and predicts, at every step, the next one.
- `sample(model, prompt, n, temperature, rng)` writes text with a trained model.
- `stream_windows`, `detach_state` and `train_tbptt` train on the text as `batch_size` long
  streams, carrying the state from one window to the next but cutting the gradient at the
  window's boundary: truncated backpropagation through time.
- `recurrent_states`, `position_in_line`, `in_speech`, `unit_correlations`, `probe_r2` and
  `state_gradient_norms` look inside a trained model: which units follow which feature of
  the text, and how far back the gradient of a prediction reaches.

The models are `minigrad.course.train.SequenceModel`s (a recurrent layer `.rnn` and a Linear head
`.head`); this module only calls those two, so it needs nothing else from the training loop.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from minigrad.autograd import no_grad
from minigrad.nn import functional as F
from minigrad.optim import Adam, clip_grad_norm_
from minigrad.rng import get_rng
from minigrad.tensor import Tensor, softmax

SHAKESPEARE_PATH = Path(__file__).resolve().parents[2] / "data" / "tinyshakespeare.txt"
STORED_MODELS = Path(__file__).resolve().parents[2] / "weights"
"""Models trained on Shakespeare by `python -m minigrad train` (weights/README.md), for
chapter 8: `minigrad.course.train.load_model(STORED_MODELS / "shakespeare_lstm_2000.npz")`."""

SPLITS = {"train": (0.0, 0.9), "validation": (0.9, 0.95), "test": (0.95, 1.0)}
"""Each split as (start, end), fractions of the corpus's length: by position, not shuffled."""

# The corpus's figures, stated here so that `minigrad.course.tasks` need not read the file at
# import; tests/test_text.py recomputes each from the file.
SHAKESPEARE_VOCAB_SIZE = 65
SHAKESPEARE_UNIGRAM_NATS = 3.312795245
"""The unigram entropy of the whole corpus, -sum_k p_k ln p_k over its 65 characters, in nats
per character (4.779 bits). The cross-entropy of the best model that ignores context: every
step predicts the characters' frequencies."""
SHAKESPEARE_BASELINE_ACCURACY = 169892 / 1115394
"""How often the most common character, the space, comes: the accuracy of always guessing it."""


# ---- the corpus --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    """A text as character codes. `vocab` is its sorted alphabet; code k is `vocab[k]`."""

    text: str
    vocab: str
    codes: np.ndarray  # (N,) int64, codes[i] = vocab.index(text[i])

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> np.ndarray:
        """The codes of `text`, (len(text),) int64; every character must be in `vocab`."""
        if not isinstance(text, str):
            raise TypeError(f"encode expects a str, got {type(text).__name__}")
        index = {char: k for k, char in enumerate(self.vocab)}
        unknown = sorted(set(text) - set(index))
        if unknown:
            raise ValueError(
                f"encode: characters {unknown} are not in the corpus's alphabet {self.vocab!r}"
            )
        return np.array([index[char] for char in text], dtype=np.int64)

    def decode(self, codes) -> str:
        """The text of integer codes, any iterable of ints in [0, vocab_size)."""
        return "".join(self.vocab[int(k)] for k in codes)

    def split(self, name: str) -> np.ndarray:
        """The codes of one split, "train", "validation" or "test" (see `SPLITS`)."""
        if name not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {name!r}")
        start, end = SPLITS[name]
        n = len(self.codes)
        return self.codes[round(start * n) : round(end * n)]


def read_corpus(path: str | Path) -> Corpus:
    """Read a UTF-8 text file into a `Corpus` whose alphabet is the file's own characters."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no text file at {path}; the course keeps its corpus in data/tinyshakespeare.txt"
        )
    text = path.read_text(encoding="utf-8")
    vocab = "".join(sorted(set(text)))
    lookup = np.zeros(max(map(ord, vocab)) + 1, dtype=np.int64)
    lookup[[ord(char) for char in vocab]] = np.arange(len(vocab))
    # one table lookup for the whole text, rather than a Python loop over a million characters
    codes = lookup[np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)]
    return Corpus(text, vocab, codes)


@cache
def load_shakespeare() -> Corpus:
    """The course's corpus, read once: 1,115,394 characters of Shakespeare, 65 distinct."""
    return read_corpus(SHAKESPEARE_PATH)


def unigram_entropy(codes: np.ndarray, vocab_size: int) -> float:
    """-sum_k p_k ln p_k, in nats, for the frequencies p_k of the codes 0..vocab_size-1."""
    counts = np.bincount(np.asarray(codes), minlength=vocab_size)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def one_hot(codes: np.ndarray, vocab_size: int) -> np.ndarray:
    """Integer codes of any shape S -> float64 S + (vocab_size,), one 1 per position."""
    return np.eye(vocab_size)[codes]


# ---- windows -----------------------------------------------------------------------------------


def _check_positive(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def random_windows(
    codes: np.ndarray,
    batch_size: int,
    seq_len: int,
    rng: int | np.random.Generator | None = None,
    vocab_size: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A batch of contiguous windows, each starting at a uniformly drawn position of `codes`.

    Returns x: (T, B, V) float64, the one-hot characters 0..T-1 of each window, and
    y: (T, B) int64, the characters 1..T: at every step the target is the next character.
    V is `vocab_size` (default: the largest code + 1).
    """
    batch_size = _check_positive("batch_size", batch_size)
    seq_len = _check_positive("seq_len", seq_len)
    if len(codes) < seq_len + 1:
        raise ValueError(f"a text of {len(codes)} characters has no window of {seq_len + 1}")
    vocab_size = vocab_size or int(codes.max()) + 1
    starts = get_rng(rng).integers(0, len(codes) - seq_len, size=batch_size)
    window = codes[starts[None, :] + np.arange(seq_len + 1)[:, None]]  # (T + 1, B)
    return one_hot(window[:-1], vocab_size), window[1:]


def shakespeare_windows(
    batch_size: int, seq_len: int, rng: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """`random_windows` from the training split of Shakespeare (the task's training data)."""
    corpus = load_shakespeare()
    return random_windows(corpus.split("train"), batch_size, seq_len, rng, corpus.vocab_size)


def shakespeare_test_windows(
    batch_size: int, seq_len: int, rng: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """`random_windows` from the held-out test split of Shakespeare."""
    corpus = load_shakespeare()
    return random_windows(corpus.split("test"), batch_size, seq_len, rng, corpus.vocab_size)


# ---- generation --------------------------------------------------------------------------------


def sample_index(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """Draw one class from softmax(logits / temperature). logits: (V,).

    temperature 1 samples the model's own distribution; below 1 sharpens it towards the most
    likely class (0 means argmax), above 1 flattens it towards uniform. The draw inverts the
    cumulative distribution at one uniform number, so one rng call makes one character.
    """
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return int(np.argmax(logits))
    p = softmax(np.asarray(logits, dtype=np.float64) / temperature, axis=-1)
    return int(min(np.searchsorted(np.cumsum(p), rng.random(), side="right"), len(p) - 1))


def sample(
    model,
    prompt: str,
    n: int,
    temperature: float = 1.0,
    rng: int | np.random.Generator | None = None,
    corpus: Corpus | None = None,
) -> str:
    """`n` characters written by `model` after reading `prompt` (not included in the result).

    model: a `SequenceModel` trained on `corpus` (default: Shakespeare), whose `.rnn` takes
    and returns its state. It reads the prompt, then at every step samples a character with
    `sample_index` and feeds it back in. rng (a seed or a Generator) makes the text
    reproducible: the same model, prompt and seed write the same text.
    """
    corpus = corpus or load_shakespeare()
    if not prompt:
        raise ValueError("sample: the prompt must hold at least one character")
    n = _check_positive("n", n)
    rng = get_rng(rng)
    codes = corpus.encode(prompt)
    written = []
    with no_grad():
        hidden, state = model.rnn(Tensor(one_hot(codes[:, None], corpus.vocab_size)))
        for _ in range(n):
            logits = model.head(hidden[-1]).data[0]  # (V,): the last step's only sequence
            code = sample_index(logits, temperature, rng)
            written.append(code)
            x = Tensor(one_hot(np.array([[code]]), corpus.vocab_size))  # (1, 1, V)
            hidden, state = model.rnn(x, state)
    return corpus.decode(written)


# ---- truncated backpropagation through time ----------------------------------------------------


def stream_windows(
    codes: np.ndarray, batch_size: int, seq_len: int, vocab_size: int | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray, bool]]:
    """The text read as `batch_size` parallel streams, one window of each per step, forever.

    Stream b starts at b * (len(codes) // batch_size), so the streams read different parts of
    the text. Step s gives every stream its s-th consecutive window: x (T, B, V) one-hot and
    y (T, B) the next characters, as in `random_windows`; window s + 1 starts where window s
    ended, so a state carried from one to the next has read exactly the text before it.
    The third item is True at the first window of a pass over the text, where a carried
    state must start again from zeros.
    """
    batch_size = _check_positive("batch_size", batch_size)
    seq_len = _check_positive("seq_len", seq_len)
    stream_len = len(codes) // batch_size
    windows = (stream_len - 1) // seq_len
    if windows < 1:
        raise ValueError(
            f"{len(codes)} characters in {batch_size} streams leave {stream_len} a stream, "
            f"fewer than one window of {seq_len + 1}"
        )
    vocab_size = vocab_size or int(codes.max()) + 1
    starts = np.arange(batch_size) * stream_len
    step = 0
    while True:
        offset = (step % windows) * seq_len
        window = codes[starts[None, :] + offset + np.arange(seq_len + 1)[:, None]]
        yield one_hot(window[:-1], vocab_size), window[1:], step % windows == 0
        step += 1


def detach_state(state):
    """The same state cut from the graph: a Tensor, or a tuple of them (an LSTM's (h, c)), or
    None. The values go on into the next window; the gradient stops here."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(detach_state(part) for part in state)
    return state.detach()


def window_loss(model, x: np.ndarray, y: np.ndarray, state=None):
    """Mean cross-entropy (nats per character) of `model` on one window, and its final state.

    x: (T, B, V), y: (T, B); state: the recurrent layer's state or None for zeros.
    """
    hidden, final = model.rnn(Tensor(x), state)
    logits = model.head(hidden)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    return loss, final


@dataclass
class TBPTTHistory:
    """Losses of `train_tbptt`, one per step, in nats per character."""

    loss: list[float]
    carry_state: bool


def train_tbptt(
    model,
    codes: np.ndarray,
    steps: int,
    *,
    batch_size: int = 32,
    seq_len: int = 50,
    lr: float = 0.01,
    clip: float | None = 1.0,
    carry_state: bool = True,
    vocab_size: int | None = None,
) -> TBPTTHistory:
    """Train `model` on `codes` read as streams (`stream_windows`), with Adam.

    carry_state=True is truncated BPTT: each window starts from the state the previous one
    ended in, detached, so the model can use context from before the window while the
    gradient, and the cost of backward, stays within the window's T steps.
    carry_state=False starts every window from zeros: the same windows, no context.
    """
    steps = _check_positive("steps", steps)
    parameters = model.parameters()
    optimizer = Adam(parameters, lr=lr)
    history = TBPTTHistory([], carry_state)
    state = None
    windows = stream_windows(codes, batch_size, seq_len, vocab_size)
    for _ in range(steps):
        x, y, first = next(windows)
        if first or not carry_state:
            state = None
        loss, final = window_loss(model, x, y, state)
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(parameters, clip if clip else math.inf)
        optimizer.step()
        state = detach_state(final)
        history.loss.append(loss.item())
    return history


def stream_loss(
    model,
    codes: np.ndarray,
    *,
    batch_size: int = 16,
    seq_len: int = 50,
    carry_state: bool = True,
    vocab_size: int | None = None,
) -> float:
    """Mean cross-entropy (nats per character) over one pass of `codes` read as streams,
    carrying the state between windows or resetting it at every window."""
    windows = stream_windows(codes, batch_size, seq_len, vocab_size)
    total, count, state = 0.0, 0, None
    with no_grad():
        while True:
            x, y, first = next(windows)
            if first and count:
                break
            loss, final = window_loss(model, x, y, state if carry_state else None)
            total, count, state = total + loss.item(), count + 1, final
    return total / count


# ---- looking inside: states, features of the text, gradients -----------------------------------


def recurrent_states(
    model, codes: np.ndarray, window: int | None = None, vocab_size: int | None = None
) -> dict:
    """The state of `model`'s first layer after each character of `codes`, read one at a time.

    window: start again from a zero state every `window` characters, as a model trained on
    windows of that length always did (None: read on without a reset).
    Returns {"h": (N, H)} for an RNN or GRU, and {"h": (N, H), "c": (N, H)} for an LSTM:
    row t is the state after reading codes[0..t] (from the last reset).
    """
    vocab_size = vocab_size or model.rnn.input_size
    cell, state = model.rnn.cells[0], None
    inputs = one_hot(np.asarray(codes)[:, None], vocab_size)  # (N, 1, V)
    hs, cs = [], []
    with no_grad():
        for t, x_t in enumerate(inputs):
            if window and t % window == 0:
                state = None
            state = cell(Tensor(x_t), state)
            if isinstance(state, tuple):
                hs.append(state[0].data[0])
                cs.append(state[1].data[0])
            else:
                hs.append(state.data[0])
    states = {"h": np.array(hs)}
    if cs:
        states["c"] = np.array(cs)
    return states


def position_in_line(text: str) -> np.ndarray:
    """For each character, how many characters of its line come before it: (N,) int64.

    A newline ends its line, so it gets the line's length; the next character gets 0.
    """
    positions = np.empty(len(text), dtype=np.int64)
    position = 0
    for i, char in enumerate(text):
        positions[i] = position
        position = 0 if char == "\n" else position + 1
    return positions


def in_speech(text: str) -> np.ndarray:
    """For each character, whether it belongs to what a speaker says: (N,) bool.

    The corpus writes a turn as a heading line, the speaker's name and a colon ("ROMEO:"),
    then the speech, then a blank line. The heading line and the blank lines are False,
    the speech is True. A heading is a line that ends with ":" right after a blank line
    (or at the very start).
    """
    labels = np.zeros(len(text), dtype=bool)
    start, after_blank = 0, True
    for line in text.split("\n"):
        end = start + len(line) + 1  # with its newline
        heading = after_blank and line.endswith(":")
        labels[start:end] = bool(line) and not heading
        after_blank = not line
        start = end
    return labels[: len(text)]


def unit_correlations(states: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson's correlation of each unit's value with a feature of the text.

    states: (N, H), feature: (N,). Returns (H,); a unit that never changes gets 0.
    """
    s = states - states.mean(axis=0)
    f = np.asarray(feature, dtype=np.float64) - np.mean(feature)
    norms = np.sqrt((s * s).sum(axis=0) * (f * f).sum())
    return np.divide(f @ s, norms, out=np.zeros(states.shape[1]), where=norms > 0)


def probe_r2(states: np.ndarray, feature: np.ndarray, ridge: float = 1.0) -> float:
    """How much of a feature's variance a linear read-out of all units explains, on text it
    was not fitted on: ridge regression on the first half of the N steps, R^2 on the second.

    states: (N, H), feature: (N,). 1 is a perfect read-out, 0 no better than the mean (and
    below 0 worse). The ridge penalty, ridge * |w|^2, keeps the read-out from leaning on
    tiny differences between nearly equal units (a saturated RNN has many), which would not
    carry over to new text.
    """
    half = len(feature) // 2
    target = np.asarray(feature, dtype=np.float64)
    mean_x, mean_y = states[:half].mean(axis=0), target[:half].mean()
    x, y = states[:half] - mean_x, target[:half] - mean_y
    weights = np.linalg.solve(x.T @ x + ridge * np.eye(states.shape[1]), x.T @ y)
    residual = target[half:] - ((states[half:] - mean_x) @ weights + mean_y)
    spread = target[half:] - target[half:].mean()
    return float(1.0 - (residual @ residual) / (spread @ spread))


def state_gradient_norms(model, x: np.ndarray, y: np.ndarray) -> dict:
    """‖∂L_T/∂h_t‖ (and ‖∂L_T/∂c_t‖ for an LSTM) for every step t of one window.

    x: (T, B, V), y: (T, B). L_T is the cross-entropy of the last step's prediction only,
    so the gradient at step t is what reaches back across the gap T - 1 - t. The norm is
    over the batch and the units, divided by sqrt(B): a typical sequence's gradient.
    Returns {"h": (T,)} or {"h": (T,), "c": (T,)}, index t = step t.
    """
    cell, state = model.rnn.cells[0], None
    hs, cs = [], []
    for x_t in x:
        state = cell(Tensor(x_t), state)
        h = state[0] if isinstance(state, tuple) else state
        hs.append(h)
        if isinstance(state, tuple):
            cs.append(state[1])
    loss = F.cross_entropy(model.head(hs[-1]), y[-1])
    loss.backward()
    scale = math.sqrt(x.shape[1])
    norms = {"h": np.array([np.linalg.norm(h.grad) / scale for h in hs])}
    if cs:
        norms["c"] = np.array([np.linalg.norm(c.grad) / scale for c in cs])
    return norms
