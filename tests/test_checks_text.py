"""Chapter 8's checks (minigrad.checks_text): right answers pass, and each known mistake
fails with the message that names it."""

from __future__ import annotations

import numpy as np
import pytest

from minigrad import text
from minigrad.checks_text import (
    PARTS_TEXT,
    check_text_detach_state,
    check_text_sample_char,
    check_text_stream_windows,
    check_text_unigram_entropy,
)
from minigrad.grading import WrongAnswer
from minigrad.tensor import Tensor, softmax


def entropy_in_bits(codes, vocab_size):
    return text.unigram_entropy(codes, vocab_size) / np.log(2)


def entropy_with_empty_codes(codes, vocab_size):
    p = np.bincount(codes, minlength=vocab_size) / len(codes)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(-(p * np.log(p)).sum())


def sample_char(logits, temperature, rng):
    return text.sample_index(logits, temperature, rng)


def sample_char_times_temperature(logits, temperature, rng):
    return text.sample_index(logits * temperature * temperature, temperature, rng)


def sample_char_from_global_rng(logits, temperature, rng):
    p = softmax(logits / temperature)
    return int(np.random.default_rng().choice(len(p), p=p))


def stream_windows(codes, batch_size, seq_len):
    windows = text.stream_windows(codes, batch_size, seq_len, vocab_size=int(codes.max()) + 1)
    count = (len(codes) // batch_size - 1) // seq_len
    return [(x.argmax(axis=2), y) for x, y, _ in (next(windows) for _ in range(count))]


def stream_windows_unshifted(codes, batch_size, seq_len):
    return [(x, x) for x, _ in stream_windows(codes, batch_size, seq_len)]


def test_every_part_has_points_and_a_check():
    assert set(PARTS_TEXT) == {
        "text.unigram_entropy",
        "text.sample_char",
        "text.stream_windows",
        "text.detach_state",
    }
    assert all(part.points >= 1 for part in PARTS_TEXT.values())


def test_right_answers_pass():
    check_text_unigram_entropy(text.unigram_entropy)
    check_text_sample_char(sample_char)
    check_text_stream_windows(stream_windows)
    check_text_detach_state(text.detach_state)


@pytest.mark.parametrize(
    ("check", "answer", "message"),
    [
        (check_text_unigram_entropy, entropy_in_bits, "in bits"),
        (check_text_unigram_entropy, entropy_with_empty_codes, "0 ln 0"),
        (check_text_sample_char, sample_char_times_temperature, "multiplied by the temperature"),
        (check_text_sample_char, sample_char_from_global_rng, "same seed gave different"),
        (check_text_sample_char, lambda logits, t, rng: 0.5, "should return an int"),
        (check_text_stream_windows, stream_windows_unshifted, "y must be the next characters"),
        (check_text_stream_windows, lambda codes, b, t: stream_windows(codes, b, t)[:-1], "gave"),
        (check_text_detach_state, lambda state: state, "reached the weights"),
        (check_text_detach_state, lambda state: Tensor(0.0), "should return a pair"),
    ],
)
def test_known_mistakes_are_named(check, answer, message):
    with pytest.raises(WrongAnswer, match=message):
        check(answer)
