"""Chapter 8, an LSTM on text (exercises/08_lstm_on_text.ipynb): the checks of its parts.

Each check takes the learner's answer and raises WrongAnswer when it is wrong (see
minigrad/course/grading/expect.py for the helpers and how to write a check).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from minigrad.course import text
from minigrad.course.grading.expect import (
    WrongAnswer,
    describe,
    expect_close,
    expect_finite,
    expect_shape,
    recognize,
    seed_for,
)
from minigrad.tensor import Tensor, softmax


def check_text_unigram_entropy(unigram_entropy: Callable[[np.ndarray, int], float]) -> None:
    """`unigram_entropy(codes, vocab_size)` is -sum_k p_k ln p_k in nats, p_k the frequency of
    code k in `codes`; codes that never occur count for nothing (0 ln 0 = 0)."""
    rng = np.random.default_rng(seed_for(80))
    # vocab_size 6 with codes 0..3 only: unused codes must not turn the sum into nan
    codes = rng.choice(4, size=200, p=[0.5, 0.25, 0.15, 0.1])
    got = unigram_entropy(codes.copy(), 6)
    expected = text.unigram_entropy(codes, 6)
    counts = np.bincount(codes, minlength=6)
    p = counts[counts > 0] / counts.sum()
    hint = recognize(
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


def _draws(sample_char: Callable, logits: np.ndarray, temperature: float, rng, n: int) -> list:
    """n calls of the answer with one generator, each result checked to be an index."""
    draws = []
    for _ in range(n):
        draw = sample_char(logits.copy(), temperature, rng)
        if isinstance(draw, bool) or not isinstance(draw, (int, np.integer)):
            raise WrongAnswer(
                f"sample_char should return an int (an index into the alphabet), got "
                f"{describe(draw)}: use int(...)."
            )
        if not 0 <= draw < len(logits):
            raise WrongAnswer(
                f"sample_char returned index {draw}, outside 0 to {len(logits) - 1} for "
                f"{len(logits)} logits."
            )
        draws.append(int(draw))
    return draws


def check_text_sample_char(sample_char: Callable) -> None:
    """`sample_char(logits, temperature, rng)` draws one index k with probability
    softmax(logits / temperature)_k, using only the generator `rng`; it returns an int.

    Every call of the answer is a request to the learner's kernel when the grader judges it,
    so the check draws little when it can: an answer that inverts the cumulative distribution
    at one rng.random() (as rng.choice(len(p), p=p) does) makes exactly minigrad's draws from
    the same seed, which proves its distribution. Any other way of drawing is judged on the
    frequencies of many draws instead.
    """
    logits = np.array([2.0, 1.0, 0.0, -1.0, 0.5])
    # first what is cheap to see: the draws must follow the generator they are given
    first, again = np.random.default_rng(seed_for(6)), np.random.default_rng(seed_for(6))
    if _draws(sample_char, logits, 2.0, first, 10) != _draws(sample_char, logits, 2.0, again, 10):
        raise WrongAnswer(
            "Two generators made from the same seed gave different draws: take every random "
            "number from the rng argument, not from np.random or a new generator."
        )
    seed = seed_for(81)
    for temperature in (1.0, 0.5, 2.0):
        reference_rng = np.random.default_rng(seed)
        expected_draws = [text.sample_index(logits, temperature, reference_rng) for _ in range(30)]
        if _draws(sample_char, logits, temperature, np.random.default_rng(seed), 30) == (
            expected_draws
        ):
            continue
        n = 400
        draws = _draws(sample_char, logits, temperature, np.random.default_rng(seed), n)
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
        # distribution and not near the right one. 0.12 is about 5 standard deviations of a
        # frequency from 400 draws, and less than half the distance from the right
        # distribution to either mistake's at temperature 0.5 (0.27 and 0.45), judged first.
        tolerance = 0.12
        hint = next(
            (
                advice
                for advice, wrong in mistakes.items()
                if np.abs(frequencies - wrong).max() < tolerance
                and np.abs(frequencies - expected).max() >= tolerance
            ),
            "",
        )
        expect_close(
            frequencies,
            expected,
            inputs={"logits": logits, "temperature": temperature},
            what=f"how often each index came in {n} draws",
            atol=tolerance,
            rtol=0.0,
            hint=hint or "Draw with the given rng: rng.random() or rng.choice(len(p), p=p).",
        )
    far = np.array([1000.0, 0.0, -1000.0])
    overflow = (
        f"sample_char failed on logits {far.tolist()}: exp(1000) overflows. Subtract the "
        "largest logit before exp, as softmax does."
    )
    with np.errstate(over="raise", invalid="raise"):
        try:
            draw = sample_char(far.copy(), 1.0, np.random.default_rng(seed_for(7)))
        except (FloatingPointError, ValueError) as error:
            # in the learner's own kernel the overflow gives nan, which rng.choice refuses
            raise WrongAnswer(f"{overflow} ({error})") from None
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
        raise WrongAnswer(f"stream_windows should return a list of (x, y), got {describe(got)}.")
    if len(got) != len(expected):
        raise WrongAnswer(
            f"stream_windows gave {len(got)} windows for 107 characters in 3 streams of 35, "
            f"expected {len(expected)}: (35 - 1) // 5 full windows, each needing one more "
            "character for its last target."
        )
    for s, ((x, y), (x_ref, y_ref)) in enumerate(zip(got, expected)):
        expect_shape(x, x_ref.shape, what=f"x of window {s}")
        expect_shape(y, y_ref.shape, what=f"y of window {s}")
        hint = recognize(
            y,
            {
                "y must be the next characters: y[t] = the character after x[t].": x_ref,
            },
        )
        if not hint and s > 0:
            hint = recognize(
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
    rng = np.random.default_rng(seed_for(83))
    weight = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    h, c = weight * 2.0, weight.tanh()
    for state in ((h, c), h):
        got = detach_state(state)
        pairs = list(zip(got, state)) if isinstance(state, tuple) else [(got, state)]
        if isinstance(state, tuple) and (not isinstance(got, tuple) or len(got) != 2):
            raise WrongAnswer(
                f"For an LSTM's state (h, c), detach_state should return a pair, got "
                f"{describe(got)}."
            )
        for new, old in pairs:
            if not isinstance(new, Tensor):
                raise WrongAnswer(f"detach_state should return Tensors, got {describe(new)}.")
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
