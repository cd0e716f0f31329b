"""The specification of `minigrad.course.text`: the corpus and its split, the windows the task
trains on, sampling, and truncated backpropagation through time."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pytest

from minigrad.course import text
from minigrad.course.tasks import TASKS
from minigrad.course.train import SequenceModel, load_model, main, save_model
from minigrad.nn import LSTM, RNN, Linear
from minigrad.tensor import Tensor

CORPUS = text.load_shakespeare()
SHAKESPEARE = TASKS["shakespeare"]


def small_model(kind="lstm", vocab_size=CORPUS.vocab_size, hidden_size=8, seed=0):
    return SequenceModel(kind, vocab_size, hidden_size, vocab_size, rng=seed)


# ---- the corpus ----------------------------------------------------------------------------------


def test_corpus_is_the_file_described_in_data_readme():
    digest = hashlib.sha256(text.SHAKESPEARE_PATH.read_bytes()).hexdigest()
    assert digest == "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
    assert len(CORPUS.text) == len(CORPUS.codes) == 1_115_394
    assert CORPUS.vocab_size == text.SHAKESPEARE_VOCAB_SIZE == 65


def test_codes_decode_back_to_the_text():
    assert CORPUS.decode(CORPUS.codes[:500]) == CORPUS.text[:500]
    assert CORPUS.vocab == "".join(sorted(set(CORPUS.text)))


def test_stated_baselines_are_the_corpus_statistics():
    counts = np.bincount(CORPUS.codes, minlength=CORPUS.vocab_size)
    p = counts / counts.sum()
    assert text.SHAKESPEARE_UNIGRAM_NATS == pytest.approx(-(p * np.log(p)).sum(), abs=1e-9)
    assert text.unigram_entropy(CORPUS.codes, 65) / math.log(2) == pytest.approx(4.779, abs=5e-4)
    assert text.SHAKESPEARE_BASELINE_ACCURACY == pytest.approx(p.max())
    assert SHAKESPEARE.baseline_loss == text.SHAKESPEARE_UNIGRAM_NATS


def test_splits_are_consecutive_stretches_that_cover_the_corpus():
    parts = [CORPUS.split(name) for name in ("train", "validation", "test")]
    np.testing.assert_array_equal(np.concatenate(parts), CORPUS.codes)
    fractions = [len(part) / len(CORPUS.codes) for part in parts]
    assert fractions == pytest.approx([0.9, 0.05, 0.05], abs=1e-5)


def test_unknown_split_and_unknown_characters_get_clear_errors():
    with pytest.raises(ValueError, match="split must be one of train, validation, test"):
        CORPUS.split("dev")
    with pytest.raises(ValueError, match=r"characters \['é'\] are not in the corpus"):
        CORPUS.encode("café")


def test_a_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no text file at .*nothing.txt"):
        text.read_corpus(tmp_path / "nothing.txt")


# ---- windows -------------------------------------------------------------------------------------


def test_windows_are_contiguous_and_targets_are_the_next_characters():
    codes = CORPUS.split("train")
    x, y = text.random_windows(codes, 6, 30, rng=0, vocab_size=65)
    assert x.shape == (30, 6, 65) and y.shape == (30, 6) and y.dtype == np.int64
    read = x.argmax(axis=2)
    np.testing.assert_array_equal(read[1:], y[:-1])  # what is predicted at t is read at t+1
    for b in range(6):
        window = CORPUS.decode(np.concatenate([read[:1, b], y[:, b]]))
        assert window in CORPUS.text


def test_test_windows_come_from_the_test_split_only():
    test_text = CORPUS.decode(CORPUS.split("test"))
    batch = SHAKESPEARE.sample_test(16, 40, rng=3)
    train_batch = SHAKESPEARE.sample(16, 40, rng=3)
    for b in range(16):
        assert CORPUS.decode(batch.y[:, b]) in test_text
    assert sum(CORPUS.decode(train_batch.y[:, b]) in test_text for b in range(16)) < 16


def test_windows_refuse_a_text_shorter_than_a_window():
    with pytest.raises(ValueError, match="a text of 5 characters has no window of 11"):
        text.random_windows(np.arange(5), 2, 10)


# ---- sampling ------------------------------------------------------------------------------------


def test_sample_index_draws_from_the_softmax_at_temperature_one():
    logits = np.log(np.array([0.1, 0.2, 0.7]))
    rng = np.random.default_rng(0)
    draws = [text.sample_index(logits, 1.0, rng) for _ in range(4000)]
    assert np.bincount(draws, minlength=3) / 4000 == pytest.approx([0.1, 0.2, 0.7], abs=0.03)


def test_low_temperature_sharpens_and_high_temperature_flattens():
    logits = np.log(np.array([0.1, 0.2, 0.7]))
    rng = np.random.default_rng(1)
    cold = np.bincount([text.sample_index(logits, 0.3, rng) for _ in range(2000)], minlength=3)
    hot = np.bincount([text.sample_index(logits, 5.0, rng) for _ in range(2000)], minlength=3)
    assert cold[2] / 2000 > 0.9
    assert hot.min() / 2000 > 0.25
    assert text.sample_index(logits, 0.0, rng) == 2  # temperature 0: the most likely class


def test_sample_index_refuses_a_negative_temperature():
    with pytest.raises(ValueError, match="temperature must be >= 0, got -1"):
        text.sample_index(np.zeros(3), -1.0, np.random.default_rng(0))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_sample_is_reproducible_from_a_seed_and_writes_n_characters(kind):
    model = small_model(kind)
    first = text.sample(model, "ROMEO:\n", 40, temperature=1.0, rng=5)
    assert len(first) == 40 and set(first) <= set(CORPUS.vocab)
    assert text.sample(model, "ROMEO:\n", 40, temperature=1.0, rng=5) == first
    assert text.sample(model, "ROMEO:\n", 40, temperature=1.0, rng=6) != first


def test_sample_feeds_each_character_back_in():
    # the same model, stepped by hand one character at a time, writes the same greedy text
    model = small_model("lstm")
    written = text.sample(model, "To be", 10, temperature=0.0, rng=0)
    codes = list(CORPUS.encode("To be"))
    for _ in range(10):
        logits = model(Tensor(text.one_hot(np.array(codes)[:, None], 65))).data[-1, 0]
        codes.append(int(np.argmax(logits)))
    assert written == CORPUS.decode(codes[5:])


def test_sample_refuses_an_empty_prompt():
    with pytest.raises(ValueError, match="the prompt must hold at least one character"):
        text.sample(small_model(), "", 5)


# ---- truncated BPTT ------------------------------------------------------------------------------


def test_stream_windows_continue_each_other():
    codes = np.arange(1000) % 7
    windows = text.stream_windows(codes, 4, 10, vocab_size=7)
    x0, y0, first0 = next(windows)
    x1, y1, first1 = next(windows)
    assert first0 and not first1
    np.testing.assert_array_equal(x1.argmax(axis=2)[0], y0[-1])  # window 1 starts where 0 ended
    np.testing.assert_array_equal(x0.argmax(axis=2)[0], codes[[0, 250, 500, 750]])


def test_stream_windows_start_again_after_a_pass():
    windows = text.stream_windows(np.arange(100) % 5, 2, 10, vocab_size=5)  # 4 windows a stream
    flags = [next(windows)[2] for _ in range(9)]
    assert flags == [True, False, False, False, True, False, False, False, True]


def test_detach_state_keeps_the_values_and_cuts_the_gradient():
    h = Tensor(np.ones((1, 2, 3)), requires_grad=True) * 2.0
    c = Tensor(np.ones((1, 2, 3)), requires_grad=True) * 3.0
    cut_h, cut_c = text.detach_state((h, c))
    np.testing.assert_array_equal(cut_h.data, h.data)
    np.testing.assert_array_equal(cut_c.data, c.data)
    assert not cut_h.requires_grad and not cut_c.requires_grad
    assert text.detach_state(None) is None


def test_carried_state_learns_what_a_reset_state_cannot():
    # "aab" repeated, read in windows of 2: a window starts at any of the three phases, and
    # at its first step only the state carried from the previous window says which "a" it is
    codes = np.tile([0, 0, 1], 400)
    losses = {}
    for carry in (True, False):
        model = SequenceModel("lstm", 2, 8, 2, rng=0)
        text.train_tbptt(model, codes, 300, batch_size=4, seq_len=2, lr=0.05, carry_state=carry)
        losses[carry] = text.stream_loss(model, codes, batch_size=4, seq_len=2, carry_state=carry)
    # without context, half the steps are window starts and 2/3 of those are an ambiguous "a"
    assert losses[False] > 0.8 * (1 / 2) * (2 / 3) * math.log(2)
    assert losses[True] < 0.1


def test_window_loss_is_the_task_loss_of_the_sequence_model():
    model = small_model("lstm")
    batch = SHAKESPEARE.sample(3, 12, rng=0)
    loss, (h, c) = text.window_loss(model, batch.x, batch.y)
    logits = model(Tensor(batch.x)).data
    log_p = logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))
    expected = -np.take_along_axis(log_p, batch.y[..., None], axis=2).mean()
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    assert h.shape == c.shape == (1, 3, 8)


# ---- the command line and stored models ----------------------------------------------------------


FAST = ["--steps", "2", "--hidden-size", "4", "--test-size", "4", "--batch-size", "2"]


def test_cli_trains_on_shakespeare_and_writes_json(tmp_path, capsys):
    path = tmp_path / "run.json"
    args = ["shakespeare", "--seq-len", "10", *FAST, "--no-progress", "--json", str(path)]
    assert main(args) == 0
    assert "bits per character" in capsys.readouterr().out
    results = json.loads(path.read_text())
    assert results["task"] == "shakespeare" and results["steps"] == 2
    assert results["baseline_loss"] == pytest.approx(text.SHAKESPEARE_UNIGRAM_NATS)
    assert results["test_bits"] == pytest.approx(results["test_loss"] / math.log(2))
    assert math.isfinite(results["test_loss"]) and results["seconds"] > 0


def test_cli_writes_json_for_the_synthetic_tasks_too(tmp_path, capsys):
    path = tmp_path / "run.json"
    assert main(["adding", "--seq-len", "10", *FAST, "--no-progress", "--json", str(path)]) == 0
    results = json.loads(path.read_text())
    assert results["test_loss"] == pytest.approx(results["mse"])
    assert results["baseline_loss"] == pytest.approx(1 / 6)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_a_saved_model_loads_back_the_same(kind, tmp_path):
    model = small_model(kind, seed=3)
    save_model(model, tmp_path / "model.npz")
    loaded = load_model(tmp_path / "model.npz")
    assert loaded.kind == kind and isinstance(loaded.head, Linear)
    assert isinstance(loaded.rnn, {"rnn": RNN, "lstm": LSTM}.get(kind, type(loaded.rnn)))
    for name, value in loaded.state_dict().items():
        assert value.dtype == np.float64
        np.testing.assert_array_equal(value, model.state_dict()[name].astype(np.float32))
    x = Tensor(SHAKESPEARE.sample(2, 5, rng=0).x)
    np.testing.assert_allclose(loaded(x).data, model(x).data, rtol=1e-5, atol=1e-6)


def test_cli_saves_the_trained_model(tmp_path, capsys):
    path = tmp_path / "model.npz"
    args = ["shakespeare", "--seq-len", "10", *FAST, "--no-progress", "--save", str(path)]
    assert main(args) == 0
    assert load_model(path).rnn.hidden_size == 4


def test_load_model_refuses_a_file_of_other_arrays(tmp_path):
    np.savez(tmp_path / "other.npz", weight=np.zeros(3))
    with pytest.raises(ValueError, match="was not written by save_model"):
        load_model(tmp_path / "other.npz")


def test_stored_models_load_with_the_sizes_of_their_commands():
    paths = sorted(text.STORED_MODELS.glob("shakespeare_*.npz"))
    assert {path.stem for path in paths} >= {"shakespeare_lstm_400", "shakespeare_rnn_400"}
    for path in paths:
        model = load_model(path)
        results = json.loads(path.with_suffix(".json").read_text())
        assert model.kind == results["model"] and model.rnn.hidden_size == results["hidden_size"]
        assert model.rnn.input_size == CORPUS.vocab_size


# ---- looking inside ---------------------------------------------------------------------------


def test_position_in_line_counts_from_each_newline():
    positions = text.position_in_line("ab\ncde\n\nf")
    np.testing.assert_array_equal(positions, [0, 1, 2, 0, 1, 2, 3, 0, 0])


def test_in_speech_marks_the_speech_and_not_the_heading_or_blank_lines():
    passage = "ALL:\nSpeak: now.\n\nROMEO:\nNo.\n"
    labels = text.in_speech(passage)
    assert "".join(c for c, inside in zip(passage, labels) if inside) == "Speak: now.\nNo.\n"


def test_recurrent_states_follow_the_layer_step_by_step():
    model = small_model("lstm")
    codes = CORPUS.encode("To be, or")
    states = text.recurrent_states(model, codes)
    _, (h, c) = model.rnn(Tensor(text.one_hot(codes[:, None], 65)))
    assert states["h"].shape == states["c"].shape == (9, 8)
    np.testing.assert_allclose(states["h"][-1], h.data[0, 0], rtol=1e-12)
    np.testing.assert_allclose(states["c"][-1], c.data[0, 0], rtol=1e-12)
    assert set(text.recurrent_states(small_model("rnn"), codes)) == {"h"}


def test_unit_correlations_find_the_unit_that_copies_a_feature():
    rng = np.random.default_rng(0)
    feature = rng.normal(size=300)
    states = rng.normal(size=(300, 4))
    states[:, 2] = -3 * feature + 1
    states[:, 3] = 5.0  # constant: no correlation, and no division by zero
    r = text.unit_correlations(states, feature)
    assert r[2] == pytest.approx(-1.0) and r[3] == 0.0 and np.abs(r[:2]).max() < 0.2


def test_probe_r2_is_one_for_a_linear_feature_and_near_zero_for_noise():
    rng = np.random.default_rng(1)
    states = rng.normal(size=(400, 3))
    assert text.probe_r2(states, states @ [1.0, -2.0, 0.5] + 3) == pytest.approx(1.0, abs=1e-3)
    assert text.probe_r2(states, rng.normal(size=400)) < 0.05


def test_state_gradient_norms_agree_with_the_gradient_of_the_last_prediction():
    model = small_model("lstm")
    batch = SHAKESPEARE.sample(2, 6, rng=0)
    norms = text.state_gradient_norms(model, batch.x, batch.y)
    assert norms["h"].shape == norms["c"].shape == (6,)
    # the final hidden state only feeds the head: its gradient is W^T (softmax - onehot) / B
    logits = model(Tensor(batch.x)).data[-1]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(2), batch.y[-1]] -= 1
    expected = np.linalg.norm(p @ model.head.weight.data / 2) / np.sqrt(2)
    assert norms["h"][-1] == pytest.approx(expected, rel=1e-10)


def test_plot_text_colored_draws_a_cell_per_character():
    from matplotlib import pyplot as plt

    from minigrad.course.viz import plot_text_colored

    ax = plot_text_colored("ab\ncd", np.array([1.0, -1.0, 0.0, 0.5, 0.2]))
    assert len(ax.images) == 1 and [t.get_text() for t in ax.texts] == list("ab↵cd")
    plt.close(ax.figure)
    with pytest.raises(ValueError, match=r"one value per character, \(5,\), got \(4,\)"):
        plot_text_colored("ab\ncd", np.zeros(4))
