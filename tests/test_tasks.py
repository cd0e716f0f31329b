"""The synthetic tasks: shapes, seeds, targets on hand-built inputs, baselines, bad input."""

import math

import numpy as np
import pytest

from minigrad.course.tasks import (
    ADDING_1997_CORRECT,
    ADDING_BASELINE_MSE,
    REBER_BASELINE_MSE,
    REBER_SYMBOLS,
    REBER_TARGET_FREQUENCIES,
    TASKS,
    TEMPORAL_ORDER_1997_CORRECT,
    TEMPORAL_ORDER_CLASSES,
    TEMPORAL_ORDER_SYMBOLS,
    Batch,
    adding_1997,
    adding_1997_baseline_mse,
    adding_problem,
    adding_target,
    copy_task,
    embedded_reber,
    embedded_reber_next_symbols,
    embedded_reber_string,
    encode_embedded_reber,
    get_task,
    is_embedded_reber,
    is_reber,
    reber_string,
    temporal_order,
    temporal_order_1997,
    temporal_order_label,
)

# A sequence length for each task that keeps the large samples below quick to draw.
SHORT_SEQ_LEN = {
    "adding": 10,
    "temporal_order": 20,
    "copy": 25,
    "reber": None,
    "adding_1997": 30,
    "temporal_order_1997": 20,
    "shakespeare": 20,
}
VARYING_LENGTHS = {"reber", "adding_1997", "temporal_order_1997"}  # their batches have a mask


def temporal_inputs(*sequences: str) -> np.ndarray:
    """Hand-written temporal order sequences, e.g. "BaXbYE", as one-hot x: (T, B, 8)."""
    codes = np.array([[TEMPORAL_ORDER_SYMBOLS.index(s) for s in seq] for seq in sequences]).T
    return np.eye(len(TEMPORAL_ORDER_SYMBOLS))[codes]


# --- the adding problem ----------------------------------------------------------------------


@pytest.mark.parametrize("seq_len", [2, 7, 8])
def test_adding_shapes_and_dtypes(seq_len):
    x, y = adding_problem(5, seq_len, rng=0)
    assert x.shape == (seq_len, 5, 2) and x.dtype == np.float64
    assert y.shape == (5, 1) and y.dtype == np.float64


@pytest.mark.parametrize("seq_len", [2, 7, 8])
def test_adding_has_one_marker_in_each_half(seq_len):
    x, _ = adding_problem(200, seq_len, rng=1)
    markers = x[:, :, 1]
    assert set(np.unique(markers)) <= {0.0, 1.0}
    assert np.all(markers[: seq_len // 2].sum(axis=0) == 1)
    assert np.all(markers[seq_len // 2 :].sum(axis=0) == 1)


def test_adding_values_are_in_unit_interval():
    x, _ = adding_problem(100, 50, rng=2)
    assert x[:, :, 0].min() >= 0.0 and x[:, :, 0].max() < 1.0


def test_adding_target_is_sum_of_hand_marked_values():
    values = np.array([[0.1, 0.5], [0.2, 0.25], [0.3, 0.125], [0.4, 0.0625]])
    markers = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    x = np.stack([values, markers], axis=-1)
    np.testing.assert_allclose(adding_target(x), [[0.5], [0.375]])


def test_adding_generated_target_is_sum_of_its_marked_values():
    x, y = adding_problem(50, 20, rng=3)
    for b in range(50):
        marked = np.flatnonzero(x[:, b, 1])
        assert y[b, 0] == pytest.approx(x[marked, b, 0].sum())


def test_adding_target_rejects_sequence_with_three_markers():
    x, _ = adding_problem(3, 6, rng=4)
    x[:, 1, 1] = [1, 1, 1, 0, 0, 0]
    with pytest.raises(ValueError, match=r"exactly two markers, sequences \[1\] have \[3.0\]"):
        adding_target(x)


def test_adding_target_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"shape \(T, B, 2\), got \(4, 3\)"):
        adding_target(np.zeros((4, 3)))


def test_adding_predicting_one_gives_baseline_mse():
    _, y = adding_problem(40_000, 4, rng=5)
    assert np.mean((y - 1.0) ** 2) == pytest.approx(ADDING_BASELINE_MSE, abs=0.006)


# --- the temporal order problem --------------------------------------------------------------


def test_temporal_order_shapes_and_dtypes():
    x, y = temporal_order(6, 30, rng=0)
    assert x.shape == (30, 6, 8) and x.dtype == np.float64
    assert y.shape == (6,) and y.dtype == np.int64
    assert np.all(x.sum(axis=2) == 1.0), "every step is one-hot"


@pytest.mark.parametrize(
    ("sequence", "expected"),
    [("BaXbcXdE", "XX"), ("BXaaYbE", "XY"), ("BdYXE", "YX"), ("BYccccccccYE", "YY")],
)
def test_temporal_order_label_of_hand_built_sequence(sequence, expected):
    (label,) = temporal_order_label(temporal_inputs(sequence))
    assert TEMPORAL_ORDER_CLASSES[label] == expected


def test_temporal_order_label_is_per_sequence():
    labels = temporal_order_label(temporal_inputs("BYaXE", "BXbXE", "BYcYE"))
    assert [TEMPORAL_ORDER_CLASSES[k] for k in labels] == ["YX", "XX", "YY"]


@pytest.mark.parametrize("sequence", ["BabcdE", "BXabcE", "BXYXbE"])
def test_temporal_order_label_rejects_other_than_two_relevant_symbols(sequence):
    with pytest.raises(ValueError, match="exactly two X/Y symbols"):
        temporal_order_label(temporal_inputs(sequence))


def test_temporal_order_symbols_sit_where_documented():
    x, y = temporal_order(500, 100, rng=1)
    letters = np.array(TEMPORAL_ORDER_SYMBOLS)[x.argmax(axis=2)]  # (T, B)
    assert np.all(letters[0] == "B") and np.all(letters[-1] == "E")
    assert set(np.unique(letters[1:-1])) == {"X", "Y", "a", "b", "c", "d"}
    # Transposed, np.nonzero walks one sequence at a time, its steps in order.
    sequences, steps = np.nonzero(np.isin(letters, ["X", "Y"]).T)
    assert np.array_equal(sequences, np.repeat(np.arange(500), 2)), "two per sequence"
    first_step, second_step = steps[::2], steps[1::2]
    assert first_step.min() >= 10 and first_step.max() <= 20  # the paper's windows at T = 100
    assert second_step.min() >= 50 and second_step.max() <= 60
    pairs = letters[first_step, np.arange(500)] + letters[second_step, np.arange(500)]
    np.testing.assert_array_equal(y, [TEMPORAL_ORDER_CLASSES.index(pair) for pair in pairs])


def test_temporal_order_custom_windows_allow_short_sequences():
    x, _ = temporal_order(200, 5, rng=2, first_window=(1, 1), second_window=(2, 3))
    letters = np.array(TEMPORAL_ORDER_SYMBOLS)[x.argmax(axis=2)]
    assert np.all(np.isin(letters[1], ["X", "Y"]))
    assert np.all(np.isin(letters[2:4], ["X", "Y"]).sum(axis=0) == 1)


# --- the 1997 paper's adding problem (section 5.4) ------------------------------------------


def adding_1997_parts(batch_size: int, seq_len: int, rng: int):
    """A batch of adding_1997 and, per sequence, its length and its two marked steps."""
    x, y, mask = adding_1997(batch_size, seq_len, rng=rng)
    lengths = mask.sum(axis=0)
    marked = np.argwhere(x[..., 1].T == 1.0)  # (2B, 2): (sequence, step) in order
    steps = marked[:, 1].reshape(batch_size, 2)
    return x, y, mask, lengths, steps


@pytest.mark.parametrize("seq_len", [100, 500])
def test_adding_1997_lengths_are_uniform_from_T_to_T_plus_a_tenth(seq_len):
    _, _, mask, lengths, _ = adding_1997_parts(4000, seq_len, rng=0)
    assert lengths.min() == seq_len and lengths.max() == seq_len + seq_len // 10
    assert mask.shape[0] == lengths.max()
    np.testing.assert_array_equal(mask, np.arange(mask.shape[0])[:, None] < lengths)
    counts = np.bincount(lengths - seq_len)
    expected = 4000 / (seq_len // 10 + 1)
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected)), "each length as likely"


def test_adding_1997_first_mark_in_first_ten_second_in_first_half():
    x, _, _, _, steps = adding_1997_parts(20_000, 100, rng=1)
    assert np.all((x[..., 1] == 1).sum(axis=0) == 2), "exactly two marks"
    assert steps.min() == 0 and steps.max() == 100 // 2 - 2, "within the first T/2 - 1 pairs"
    # step k < 10 is marked by the first draw (1/10) or else by the second (9/10 * 1/48);
    # a later step only by the second, uniform over the 48 pairs left of the first 49
    in_first_ten = np.bincount(steps.ravel(), minlength=50)[:10] / 20_000
    np.testing.assert_allclose(in_first_ten, 0.1 + 0.9 / 48, atol=0.01)
    beyond = np.bincount(steps.ravel())[10:] / 20_000  # steps 10 .. 48
    np.testing.assert_allclose(beyond, 1 / 48, atol=0.006)


def test_adding_1997_end_markers_are_minus_one_and_the_rest_zero():
    x, _, mask, lengths, steps = adding_1997_parts(500, 60, rng=2)
    markers = x[..., 1]
    for b in range(500):
        expected = np.zeros(mask.shape[0])
        expected[[0, lengths[b] - 1]] = -1.0
        expected[steps[b]] = 1.0
        np.testing.assert_array_equal(markers[:, b], expected)


def test_adding_1997_values_are_uniform_in_minus_one_one_and_padding_is_zero():
    x, _, mask, _, _ = adding_1997_parts(2000, 100, rng=3)
    values = x[..., 0][mask]
    assert values.min() >= -1.0 and values.max() <= 1.0
    assert values.mean() == pytest.approx(0.0, abs=0.01)
    assert values.var() == pytest.approx(1 / 3, abs=0.01)
    assert not x[~mask].any(), "nothing after a sequence's end"


def test_adding_1997_target_is_half_plus_a_quarter_of_the_marked_sum():
    x, y, _, _, steps = adding_1997_parts(1000, 100, rng=4)
    b = np.arange(1000)
    marked_sum = x[steps[:, 0], b, 0] + x[steps[:, 1], b, 0]
    np.testing.assert_allclose(y[:, 0], 0.5 + marked_sum / 4)
    assert y.shape == (1000, 1) and 0.0 <= y.min() and y.max() <= 1.0


def test_adding_1997_a_marked_first_pair_has_value_zero():
    x, _, _, _, steps = adding_1997_parts(5000, 100, rng=5)
    first_marked = steps[:, 0] == 0
    assert 0.09 < first_marked.mean() < 0.15, "about 1/10 + 9/10 * 1/48 of the sequences"
    assert np.all(x[0, first_marked, 0] == 0.0)
    assert np.all(x[0, ~first_marked, 0] != 0.0)


@pytest.mark.parametrize("seq_len", [30, 100, 1000])
def test_adding_1997_baseline_is_the_target_variance(seq_len):
    _, y, _ = adding_1997(40_000, seq_len, rng=6)
    assert y.var() == pytest.approx(adding_1997_baseline_mse(seq_len), rel=0.02)


def test_adding_1997_criterion_is_the_modern_one_halved():
    # the modern target u1 + u2, with u = (X + 1) / 2, is twice the paper's
    assert ADDING_1997_CORRECT == 0.04
    assert TASKS["adding_1997"].baseline_loss == pytest.approx(0.0392, abs=1e-4)


# --- the 1997 paper's temporal order problem, task 6a (section 5.6) -------------------------


def symbol_strings(x: np.ndarray, mask: np.ndarray) -> list[str]:
    """Each sequence of a one-hot temporal order batch as text, up to its own end."""
    return [
        "".join(TEMPORAL_ORDER_SYMBOLS[k] for k in x[: mask[:, b].sum(), b].argmax(axis=1))
        for b in range(x.shape[1])
    ]


def test_temporal_order_1997_starts_with_E_and_ends_with_the_trigger_B():
    x, _, mask = temporal_order_1997(300, rng=0)
    for string in symbol_strings(x, mask):
        assert 100 <= len(string) <= 110
        assert string[0] == "E" and string[-1] == "B"
        assert set(string[1:-1]) <= set("XYabcd")
    assert not x[~mask].any(), "nothing after a sequence's end"
    assert np.all(x[mask].sum(axis=1) == 1.0), "one-hot at every real step"


def test_temporal_order_1997_relevant_symbols_sit_in_the_papers_windows():
    x, _, mask = temporal_order_1997(5000, rng=1)
    positions = [
        [t + 1 for t, s in enumerate(string) if s in "XY"] for string in symbol_strings(x, mask)
    ]
    t1, t2 = np.array(positions).T  # counted from 1, E being position 1, as in the paper
    assert t1.min() == 10 and t1.max() == 20 and t2.min() == 50 and t2.max() == 60
    np.testing.assert_allclose(np.bincount(t1)[10:] / 5000, 1 / 11, atol=0.015)
    np.testing.assert_allclose(np.bincount(t2)[50:] / 5000, 1 / 11, atol=0.015)


def test_temporal_order_1997_label_is_the_order_of_X_and_Y():
    x, y, mask = temporal_order_1997(500, rng=2)
    for string, label in zip(symbol_strings(x, mask), y, strict=True):
        assert TEMPORAL_ORDER_CLASSES[label] == "".join(s for s in string if s in "XY")
    lengths = mask.sum(axis=0)
    for b in range(5):  # the modern task's labeller agrees on the real steps
        assert temporal_order_label(x[: lengths[b], b : b + 1])[0] == y[b]


def test_temporal_order_1997_classes_and_distractors_are_uniform():
    x, y, mask = temporal_order_1997(8000, rng=3)
    np.testing.assert_allclose(np.bincount(y, minlength=4) / 8000, 0.25, atol=0.02)
    distractors = x[mask][:, 2:6].sum(axis=0)
    np.testing.assert_allclose(distractors / distractors.sum(), 0.25, atol=0.005)


def test_temporal_order_1997_windows_scale_with_T():
    x, _, mask = temporal_order_1997(2000, 200, rng=4)
    strings = symbol_strings(x, mask)
    t1, t2 = np.array([[t + 1 for t, s in enumerate(z) if s in "XY"] for z in strings]).T
    assert (t1.min(), t1.max(), t2.min(), t2.max()) == (20, 40, 100, 120)
    assert TEMPORAL_ORDER_1997_CORRECT == 0.3


# --- the copy task ---------------------------------------------------------------------------


def test_copy_shapes_and_dtypes():
    x, y = copy_task(4, 30, rng=0, n_symbols=5, copy_len=3)
    assert x.shape == (30, 4, 7) and x.dtype == np.float64
    assert y.shape == (3, 4) and y.dtype == np.int64
    assert y.min() >= 0 and y.max() < 5


def test_copy_layout_is_symbols_delay_cue_then_blanks():
    n_symbols, copy_len, seq_len = 6, 4, 15
    x, y = copy_task(50, seq_len, rng=1, n_symbols=n_symbols, copy_len=copy_len)
    codes = x.argmax(axis=2)
    blank, cue = n_symbols, n_symbols + 1
    np.testing.assert_array_equal(codes[:copy_len], y)
    assert np.all(codes[copy_len : seq_len - copy_len - 1] == blank)
    assert np.all(codes[seq_len - copy_len - 1] == cue)
    assert np.all(codes[seq_len - copy_len :] == blank)


def test_copy_shortest_sequence_has_no_delay():
    x, y = copy_task(3, 5, rng=2, n_symbols=4, copy_len=2)
    codes = x.argmax(axis=2)
    np.testing.assert_array_equal(codes[:2], y)
    assert np.all(codes[2] == 5) and np.all(codes[3:] == 4)


# --- the embedded Reber grammar --------------------------------------------------------------

REBER_EXAMPLES = ["BTXSE", "BPVVE", "BTSSXXTVVE", "BPTVPSE", "BTXXVPSE", "BPVPXVPXVPXVVE"]


@pytest.mark.parametrize("string", REBER_EXAMPLES)
def test_reber_checker_accepts_known_strings(string):
    assert is_reber(string)


@pytest.mark.parametrize(
    "string",
    ["", "B", "BTXS", "BTXSEE", "TXSE", "BTSXE", "BPVE", "BTXSQ", "btxse", "BTXXTTVE"],
)
def test_reber_checker_rejects_broken_strings(string):
    assert not is_reber(string)


@pytest.mark.parametrize("string", ["BTBTXSETE", "BPBPVVEPE", "BTBTSSXXTVVETE"])
def test_embedded_reber_checker_accepts_known_strings(string):
    assert is_embedded_reber(string)


@pytest.mark.parametrize(
    "string",
    ["BTBTXSEPE", "BPBPVVETE", "BTBTXSET", "TBTXSETE", "BXBTXSEXE", "BTBTXSSETE", "BTE", "BTXSE"],
)
def test_embedded_reber_checker_rejects_broken_strings(string):
    assert not is_embedded_reber(string)


def test_reber_checker_rejects_non_strings():
    with pytest.raises(TypeError, match="expects a str such as 'BTXSE', got list"):
        is_reber(["B", "T", "X", "S", "E"])


def test_generated_reber_strings_are_grammatical():
    rng = np.random.default_rng(0)
    assert all(is_reber(reber_string(rng)) for _ in range(300))
    strings = [embedded_reber_string(rng) for _ in range(300)]
    assert all(is_embedded_reber(s) for s in strings)
    assert {s[1] for s in strings} == {"T", "P"}, "both branches occur"


def test_embedded_reber_next_symbols_of_hand_built_strings():
    assert embedded_reber_next_symbols("BTBTXSETE") == ["TP", "B", "TP", "SX", "XS", "E", "T", "E"]
    assert embedded_reber_next_symbols("BPBPVVEPE") == ["TP", "B", "TP", "TV", "PV", "E", "P", "E"]


def test_embedded_reber_next_symbols_rejects_ungrammatical_string():
    with pytest.raises(ValueError, match="'BTBTXSEPE' is not an embedded Reber string"):
        embedded_reber_next_symbols("BTBTXSEPE")


def test_encoded_reber_is_padded_with_a_mask():
    strings = ["BTBTXSETE", "BPBPTVPSEPE"]
    x, y, mask = encode_embedded_reber(strings)
    assert x.shape == y.shape == (10, 2, 7) and x.dtype == y.dtype == np.float64
    assert mask.dtype == bool and mask.sum(axis=0).tolist() == [8, 10]
    assert np.all(x[mask].sum(axis=1) == 1.0), "real steps are one-hot"
    assert not x[~mask].any() and not y[~mask].any(), "padding is zero"
    assert "".join(REBER_SYMBOLS[k] for k in x[:8, 0].argmax(axis=1)) == "BTBTXSET"


def test_encoded_reber_targets_mark_legal_next_symbols():
    strings = ["BTBTXSETE", "BPBPTVPSEPE"]
    _, y, _ = encode_embedded_reber(strings)
    for b, string in enumerate(strings):
        for t, legal in enumerate(embedded_reber_next_symbols(string)):
            assert {REBER_SYMBOLS[k] for k in np.flatnonzero(y[t, b])} == set(legal)


def test_reber_step_after_inner_end_allows_only_the_remembered_branch():
    x, y, mask = embedded_reber(300, rng=1)
    lengths = mask.sum(axis=0)
    sequences = np.arange(300)
    branch = x[1].argmax(axis=1)  # the T or P read at step 1
    after_inner_end = y[lengths - 2, sequences]  # the step whose input is the inner E
    assert np.all(x[lengths - 2, sequences, REBER_SYMBOLS.index("E")] == 1.0)
    assert np.all(after_inner_end.sum(axis=1) == 1.0)
    np.testing.assert_array_equal(after_inner_end.argmax(axis=1), branch)


def test_reber_batches_have_varying_lengths():
    _, _, mask = embedded_reber(200, rng=2)
    lengths = mask.sum(axis=0)
    assert lengths.min() == 8, "the shortest embedded string, e.g. BTBTXSETE, has 8 steps"
    assert lengths.max() == mask.shape[0] > 8


def test_reber_target_frequencies_match_a_large_sample():
    _, y, mask = embedded_reber(5_000, rng=3)
    np.testing.assert_allclose(y[mask].mean(axis=0), REBER_TARGET_FREQUENCIES, atol=0.01)


def test_reber_baseline_mse_follows_from_target_frequencies():
    p = REBER_TARGET_FREQUENCIES
    assert REBER_BASELINE_MSE == pytest.approx(np.mean(p * (1 - p)), rel=1e-12)


# --- every task, through TASKS ---------------------------------------------------------------


def best_constant_loss(task, batch: Batch) -> float:
    """The loss on `batch` of the best prediction that is the same for every input."""
    if task.loss == "mse":
        y = batch.y if batch.mask is None or task.target == "last" else batch.y[batch.mask]
        return float(np.mean((y - y.mean(axis=0)) ** 2))
    # The best constant distribution is the labels' marginal; its cross-entropy is its entropy.
    p = np.bincount(batch.y.ravel(), minlength=task.output_size) / batch.y.size
    return float(-np.sum(p[p > 0] * np.log(p[p > 0])))


@pytest.mark.parametrize("name", sorted(TASKS))
def test_task_sample_matches_its_description(name):
    task = get_task(name)
    x, y, mask = task.sample(8, SHORT_SEQ_LEN[name], rng=0)
    assert x.ndim == 3 and x.shape[1:] == (8, task.input_size) and x.dtype == np.float64
    if task.target == "last":
        assert y.shape[0] == 8
    else:
        assert y.shape[1] == 8 and y.shape[0] <= x.shape[0]
    if task.loss == "mse":
        assert y.shape[-1] == task.output_size and y.dtype == np.float64
    else:
        assert y.dtype == np.int64 and 0 <= y.min() and y.max() < task.output_size
    assert (mask is None) == (name not in VARYING_LENGTHS)
    if mask is not None:
        assert mask.shape == x.shape[:2] and mask.dtype == bool


@pytest.mark.parametrize("name", [n for n in sorted(TASKS) if TASKS[n].default_seq_len])
def test_task_default_seq_len_is_used(name):
    task = get_task(name)
    batch, T = task.sample(50, rng=0), task.default_seq_len
    lengths = [len(batch.x)] * 50 if batch.mask is None else batch.mask.sum(axis=0)
    assert min(lengths) >= T and max(lengths) <= (T + T // 10 if name in VARYING_LENGTHS else T)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_task_is_reproducible_from_a_seed(name):
    task, seq_len = get_task(name), SHORT_SEQ_LEN[name]
    first = task.sample(16, seq_len, rng=123)
    again = task.sample(16, seq_len, rng=123)
    from_generator = task.sample(16, seq_len, rng=np.random.default_rng(123))
    for batch in (again, from_generator):
        np.testing.assert_array_equal(batch.x, first.x)
        np.testing.assert_array_equal(batch.y, first.y)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_task_differs_between_seeds(name):
    task, seq_len = get_task(name), SHORT_SEQ_LEN[name]
    a, b = task.sample(16, seq_len, rng=1), task.sample(16, seq_len, rng=2)
    assert a.x.shape != b.x.shape or not np.array_equal(a.x, b.x)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_task_test_set_does_not_depend_on_training_set_size(name):
    task, seq_len = get_task(name), SHORT_SEQ_LEN[name]
    train_small, test = task.train_test(10, 20, seq_len, rng=7)
    train_large, same_test = task.train_test(30, 20, seq_len, rng=7)
    np.testing.assert_array_equal(test.x, same_test.x)
    np.testing.assert_array_equal(test.y, same_test.y)
    assert train_small.x.shape[1] == 10 and train_large.x.shape[1] == 30
    assert not np.array_equal(train_large.x[:, :20], test.x), "train and test are different draws"


@pytest.mark.parametrize(
    ("name", "batch_size"),
    [
        ("adding", 20_000),
        ("temporal_order", 20_000),
        ("copy", 5_000),
        ("reber", 5_000),
        ("adding_1997", 20_000),
        ("temporal_order_1997", 20_000),
    ],
)
def test_task_baseline_matches_a_large_sample(name, batch_size):
    task = get_task(name)
    batch = task.sample(batch_size, SHORT_SEQ_LEN[name], rng=11)
    assert best_constant_loss(task, batch) == pytest.approx(task.baseline_loss, abs=0.007)
    if task.baseline_accuracy is not None:
        counts = np.bincount(batch.y.ravel(), minlength=task.output_size)
        assert counts.max() / batch.y.size == pytest.approx(task.baseline_accuracy, abs=0.02)


def test_documented_baselines_have_the_stated_values():
    assert TASKS["adding"].baseline_loss == pytest.approx(0.1667, abs=1e-4)
    assert TASKS["temporal_order"].baseline_loss == pytest.approx(math.log(4))
    assert TASKS["copy"].baseline_loss == pytest.approx(math.log(TASKS["copy"].output_size))
    assert TASKS["reber"].baseline_loss == pytest.approx(0.1694, abs=1e-4)


def test_get_task_names_the_known_tasks():
    with pytest.raises(KeyError, match="unknown task .add.; expected one of adding, adding_1997"):
        get_task("add")


def test_reber_task_refuses_a_seq_len():
    with pytest.raises(ValueError, match="'reber' makes sequences of their own lengths"):
        TASKS["reber"].sample(4, 50)


# --- bad arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: adding_problem(0, 10), ValueError, "batch_size must be at least 1, got 0"),
        (lambda: adding_problem(4, 1), ValueError, r"seq_len must be at least 2 \(one marker"),
        (lambda: adding_problem(4, 10.0), TypeError, r"seq_len must be an int, got float"),
        (lambda: adding_problem(True, 10), TypeError, "batch_size must be an int, got bool"),
        (lambda: adding_problem("4", 10), TypeError, "batch_size must be an int, got str"),
        (lambda: adding_problem(4, 10, rng="seed"), TypeError, "rng must be an int seed"),
        (lambda: temporal_order(4, 9), ValueError, "seq_len must be at least 10 for the default"),
        (lambda: temporal_order(0, 100), ValueError, "batch_size must be at least 1"),
        (
            lambda: temporal_order(4, 20, first_window=(2, 12), second_window=(10, 15)),
            ValueError,
            r"got first_window=\(2, 12\), second_window=\(10, 15\)",
        ),
        (
            lambda: temporal_order(4, 20, first_window=(0, 3), second_window=(10, 15)),
            ValueError,
            "steps 0 and T-1 hold B and E",
        ),
        (
            lambda: temporal_order(4, 20, first_window=(2, 3), second_window=(10, 19)),
            ValueError,
            "seq_len - 2 = 18",
        ),
        (lambda: adding_1997(4, 21), ValueError, r"seq_len must be at least 22 \(the first"),
        (lambda: adding_1997(0, 100), ValueError, "batch_size must be at least 1"),
        (lambda: temporal_order_1997(4, 19), ValueError, "seq_len must be at least 20"),
        (lambda: temporal_order_1997(4, 100.0), TypeError, "seq_len must be an int, got float"),
        (lambda: copy_task(4, 20), ValueError, r"seq_len must be at least 21 \(read 10 symbols"),
        (lambda: copy_task(4, 30, n_symbols=1), ValueError, "n_symbols must be at least 2"),
        (lambda: copy_task(4, 30, copy_len=0), ValueError, "copy_len must be at least 1"),
        (lambda: embedded_reber(0), ValueError, "batch_size must be at least 1"),
        (lambda: encode_embedded_reber("BTBTXSETE"), TypeError, "non-empty list of strings"),
        (lambda: encode_embedded_reber([]), TypeError, "non-empty list of strings"),
        (lambda: encode_embedded_reber(["BTBTXSEPE"]), ValueError, "not an embedded Reber"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
