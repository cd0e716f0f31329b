"""The graded parts of chapter 8's exercises (exercises/08_lstm_on_text.ipynb): an LSTM on text.

Written as `minigrad.checks` describes: one function per part, which calls the learner's
answer on inputs from a fixed seed, compares it with `minigrad.text` (the reference) and
raises `WrongAnswer` with a sentence a learner understands. `PARTS_TEXT` maps each part's
name to its points and its check, in the format of `minigrad.checks.PARTS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from minigrad import text
from minigrad.checks import Part, _describe, _recognize
from minigrad.grading import WrongAnswer, expect_close, expect_finite, expect_shape
from minigrad.tensor import Tensor, softmax


def check_text_unigram_entropy(unigram_entropy: Callable[[np.ndarray, int], float]) -> None:
    """`unigram_entropy(codes, vocab_size)` is -sum_k p_k ln p_k in nats, p_k the frequency of
    code k in `codes`; codes that never occur count for nothing (0 ln 0 = 0)."""
    rng = np.random.default_rng(80)
    # vocab_size 6 with codes 0..3 only: unused codes must not turn the sum into nan
    codes = rng.choice(4, size=200, p=[0.5, 0.25, 0.15, 0.1])
    got = unigram_entropy(codes.copy(), 6)
    expected = text.unigram_entropy(codes, 6)
    counts = np.bincount(codes, minlength=6)
    p = counts[counts > 0] / counts.sum()
    hint = _recognize(
        got,
        {
            "That is the entropy in bits (log base 2); the training loss is in nats: use "
            "the natural log, np.log.": expected / math.log(2),
            "Divide the counts by the number of characters, len(codes), to get the "
            "frequencies p_k, not by vocab_size.": float(
                -(counts[counts > 0] / 6 * np.log(p)).sum()
            ),
        },
    )
    inputs = {"codes": codes, "vocab_size": 6}
    expect_finite(
        got,
        inputs=inputs,
        what="unigram_entropy(codes, 6)",
        hint="Codes 4 and 5 never occur: leave out the p_k = 0 terms (0 ln 0 counts as 0).",
    )
    expect_close(got, expected, inputs=inputs, what="unigram_entropy(codes, 6)", hint=hint)
    uniform = np.arange(8)
    expect_close(
        unigram_entropy(uniform, 8),
        math.log(8),
        inputs={"codes": uniform, "vocab_size": 8},
        what="the entropy of 8 equally frequent codes",
    )


def check_text_sample_char(sample_char: Callable) -> None:
    """`sample_char(logits, temperature, rng)` draws one index k with probability
    softmax(logits / temperature)_k, using only the generator `rng`; it returns an int."""
    logits = np.array([2.0, 1.0, 0.0, -1.0, 0.5])
    n = 3000
    for temperature in (1.0, 0.5, 2.0):
        rng = np.random.default_rng(81)
        draws = [sample_char(logits.copy(), temperature, rng) for _ in range(n)]
        for draw in draws[:5]:
            if isinstance(draw, bool) or not isinstance(draw, (int, np.integer)):
                raise WrongAnswer(
                    f"sample_char should return an int (an index into the alphabet), got "
                    f"{_describe(draw)}: use int(...)."
                )
        draws = np.array(draws)
        if draws.min() < 0 or draws.max() >= len(logits):
            raise WrongAnswer(
                f"sample_char returned index {draws.max()} or {draws.min()}, outside 0 to "
                f"{len(logits) - 1} for {len(logits)} logits."
            )
        frequencies = np.bincount(draws, minlength=len(logits)) / n
        expected = softmax(logits / temperature)
        mistakes = {
            "The logits were multiplied by the temperature: divide them, "
            "softmax(logits / temperature), so that a low temperature sharpens the "
            "distribution.": softmax(logits * temperature),
            "The temperature was ignored: sample from softmax(logits / temperature).": (
                softmax(logits)
            ),
        }
        # draws are random: a mistake is recognized when the frequencies lie near its
        # distribution (within the tolerance below) and not near the right one
        hint = next(
            (
                advice
                for advice, wrong in mistakes.items()
                if np.abs(frequencies - wrong).max() < 0.035
                and np.abs(frequencies - expected).max() >= 0.035
            ),
            "",
        )
        expect_close(
            frequencies,
            expected,
            inputs={"logits": logits, "temperature": temperature},
            what=f"how often each index came in {n} draws",
            atol=0.035,
            rtol=0.0,
            hint=hint or "Draw with the given rng: rng.random() or rng.choice(len(p), p=p).",
        )
    first, again = np.random.default_rng(6), np.random.default_rng(6)
    if [sample_char(logits.copy(), 1.0, first) for _ in range(20)] != [
        sample_char(logits.copy(), 1.0, again) for _ in range(20)
    ]:
        raise WrongAnswer(
            "Two generators made from the same seed gave different draws: take every random "
            "number from the rng argument, not from np.random or a new generator."
        )
    far = np.array([1000.0, 0.0, -1000.0])
    with np.errstate(over="raise", invalid="raise"):
        try:
            draw = sample_char(far.copy(), 1.0, np.random.default_rng(7))
        except FloatingPointError as error:
            raise WrongAnswer(
                f"sample_char overflowed on logits {far.tolist()} ({error}): subtract the "
                "largest logit before exp, as softmax does."
            ) from None
    if draw != 0:
        raise WrongAnswer(f"logits {far.tolist()} should always give index 0, got {draw}.")


def check_text_stream_windows(stream_windows: Callable) -> None:
    """`stream_windows(codes, batch_size, seq_len)` is the list of one pass's windows, each
    (x, y) of (T, B) codes: stream b starts at b * (len(codes) // B), window s of every
    stream starts where window s - 1 ended, and y is x shifted by one character."""
    codes = np.arange(107) % 23  # no two windows alike, and a length that B does not divide
    batch_size, seq_len = 3, 5
    got = stream_windows(codes.copy(), batch_size, seq_len)
    reference = text.stream_windows(codes, batch_size, seq_len, vocab_size=23)
    expected = []
    for _ in range((len(codes) // batch_size - 1) // seq_len):
        x, y, _ = next(reference)
        expected.append((x.argmax(axis=2), y))
    inputs = {"codes": codes, "batch_size": batch_size, "seq_len": seq_len}
    if not isinstance(got, (list, tuple)):
        raise WrongAnswer(f"stream_windows should return a list of (x, y), got {_describe(got)}.")
    if len(got) != len(expected):
        raise WrongAnswer(
            f"stream_windows gave {len(got)} windows for 107 characters in 3 streams of 35, "
            f"expected {len(expected)}: (35 - 1) // 5 full windows, each needing one more "
            "character for its last target."
        )
    for s, ((x, y), (x_ref, y_ref)) in enumerate(zip(got, expected)):
        expect_shape(x, x_ref.shape, what=f"x of window {s}")
        expect_shape(y, y_ref.shape, what=f"y of window {s}")
        hint = _recognize(
            y,
            {
                "y must be the next characters: y[t] = the character after x[t].": x_ref,
            },
        )
        if not hint and s > 0:
            hint = _recognize(
                x,
                {
                    "Window s of stream b must start where its window s - 1 ended, at "
                    "b * (len(codes) // B) + s * T.": x_ref[:, ::-1],
                },
            )
        expect_close(x, x_ref, inputs=inputs, what=f"x of window {s}", hint=hint)
        expect_close(y, y_ref, inputs=inputs, what=f"y of window {s}", hint=hint)


def check_text_detach_state(detach_state: Callable) -> None:
    """`detach_state(state)` gives the same values cut from the graph, for a Tensor h or a
    tuple (h, c) of them: a loss computed from it sends no gradient further back."""
    rng = np.random.default_rng(83)
    weight = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    h, c = weight * 2.0, weight.tanh()
    for state in ((h, c), h):
        got = detach_state(state)
        pairs = list(zip(got, state)) if isinstance(state, tuple) else [(got, state)]
        if isinstance(state, tuple) and (not isinstance(got, tuple) or len(got) != 2):
            raise WrongAnswer(
                f"For an LSTM's state (h, c), detach_state should return a pair, got "
                f"{_describe(got)}."
            )
        for new, old in pairs:
            if not isinstance(new, Tensor):
                raise WrongAnswer(f"detach_state should return Tensors, got {_describe(new)}.")
            expect_close(new, old.data, what="the detached state's values")
        weight.grad = None
        loss = sum(((new * 3.0).sum() for new, _ in pairs), Tensor(0.0))
        if loss.requires_grad:
            loss.backward()
        if weight.grad is not None:
            raise WrongAnswer(
                "The gradient of a loss computed from the detached state reached the weights "
                "that made the state: return state.detach() (for a pair, each part), which "
                "keeps the values and drops the graph."
            )


PARTS_TEXT: dict[str, Part] = {
    "text.unigram_entropy": Part(1, check_text_unigram_entropy),
    "text.sample_char": Part(2, check_text_sample_char),
    "text.stream_windows": Part(2, check_text_stream_windows),
    "text.detach_state": Part(1, check_text_detach_state),
}
