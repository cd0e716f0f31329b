"""The 1997 protocol: the stopping criterion ST3, what counts as correct, the run's result
and its JSON, the command line and its errors; and the training loop's reading of each
sequence's own last step."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from minigrad.__main__ import main as minigrad_main
from minigrad.course.reproduce import (
    EXPERIMENTS,
    TEST_SIZE,
    WINDOW,
    Recipe,
    StoppingCriterion,
    answers,
    load_results,
    markdown_table,
    reproduce,
    score,
    table,
)
from minigrad.course.tasks import Batch, get_task
from minigrad.course.train import SequenceModel, task_loss
from minigrad.tensor import Tensor

# --- ST3 on a toy stream ---------------------------------------------------------------------


def test_st3_is_met_at_the_sequence_that_completes_the_window():
    criterion = StoppingCriterion(eps=0.5, window=4)
    assert criterion.update(np.zeros(3), np.ones(3, bool)) is None
    assert criterion.update(np.zeros(3), np.ones(3, bool)) == 4  # the 4th of the stream


def test_st3_counts_again_after_a_wrong_sequence():
    criterion = StoppingCriterion(eps=0.5, window=3)
    correct = np.array([True, True, False, True, True, True, True])
    assert criterion.update(np.zeros(7), correct) == 6  # 3 in a row after the wrong 3rd


def test_st3_needs_the_mean_error_below_eps_too():
    criterion = StoppingCriterion(eps=0.1, window=2)
    assert criterion.update(np.array([0.3, 0.3, 0.05]), np.ones(3, bool)) is None
    assert criterion.run == 3, "all correct, but the mean error of the last two is 0.175"
    assert criterion.update(np.array([0.05]), np.ones(1, bool)) == 4


def test_st3_default_window_is_the_papers_2000():
    criterion = StoppingCriterion(eps=0.01)
    assert criterion.window == WINDOW == 2000
    assert criterion.update(np.zeros(1999), np.ones(1999, bool)) is None
    assert criterion.update(np.zeros(5), np.ones(5, bool)) == 2000


# --- what counts as correct ------------------------------------------------------------------


def test_adding_sequence_is_correct_within_004():
    spec = EXPERIMENTS["adding"]
    batch = Batch(None, np.array([[0.5], [0.5], [0.2]]), None)
    errors, correct = score(spec, np.array([[0.539], [0.541], [0.2]]), batch)
    assert correct.tolist() == [True, False, True]
    np.testing.assert_allclose(errors, [0.039**2, 0.041**2, 0.0])


def test_temporal_order_sequence_is_correct_when_every_output_is_within_03():
    spec = EXPERIMENTS["temporal_order"]
    batch = Batch(None, np.array([0, 0, 3]), None)
    probabilities = np.array([[0.75, 0.25, 0.0, 0.0], [0.65, 0.05, 0.3, 0.0], [0.1, 0.1, 0.1, 0.7]])
    errors, correct = score(spec, probabilities, batch)
    assert correct.tolist() == [True, False, False]  # 1 - 0.65 and 1 - 0.7 miss by >= 0.3
    assert errors[0] == pytest.approx((0.25**2 + 0.25**2) / 4)


def test_answers_are_read_at_each_sequences_last_real_step():
    spec, task = EXPERIMENTS["temporal_order"], get_task("temporal_order_1997")
    batch = task.sample(3, 20, rng=0)
    outputs = np.random.default_rng(1).normal(size=(len(batch.x), 3, 4))
    probabilities = answers(spec, outputs, batch)
    last = batch.mask.sum(axis=0) - 1
    for b in range(3):
        logits = outputs[last[b], b]
        np.testing.assert_allclose(probabilities[b], np.exp(logits) / np.exp(logits).sum())


def test_masked_loss_scores_each_sequences_own_last_step():
    task = get_task("adding_1997")
    batch = task.sample(6, 30, rng=2)
    model = SequenceModel.for_task(task, "lstm", 4, rng=0)
    loss, _ = task_loss(task, model(Tensor(batch.x)), batch)
    lengths = batch.mask.sum(axis=0)
    alone = [model(Tensor(batch.x[: lengths[b], b : b + 1])).data[-1, 0, 0] for b in range(6)]
    assert len(set(lengths.tolist())) > 1, "the batch must mix lengths to test this"
    assert loss.item() == pytest.approx(np.mean((np.array(alone) - batch.y[:, 0]) ** 2))


# --- one run -------------------------------------------------------------------------------


def test_run_out_of_budget_is_unsolved_and_says_how_far_it_got():
    result = reproduce("adding", 30, seed=0, max_sequences=40, test_size=50, progress=False)
    assert not result.solved
    assert result.training_sequences == 40 == result.max_sequences
    assert 0 <= result.test_wrong <= result.test_size == 50
    assert result.recipe == vars(Recipe()) and result.paper is None  # the paper ran T >= 100


def test_toy_criterion_solved_run_reports_when_it_was_met():
    # with a window of 1 and a loose error bound, the first correct sequence meets it
    result = reproduce(
        "adding", 30, seed=3, max_sequences=2000, test_size=20, progress=False, window=1
    )
    assert result.solved and 1 <= result.training_sequences < 2000
    assert "last 1 training sequences" in result.criterion


def test_runs_are_reproducible_from_a_seed():
    runs = [
        reproduce("temporal_order", 20, seed=5, max_sequences=64, test_size=30, progress=False)
        for _ in range(2)
    ]
    assert runs[0].test_wrong == runs[1].test_wrong


def test_rnn_and_the_1997_cell_run_the_same_protocol():
    for model in ("rnn", "lstm1997", "gru"):
        result = reproduce(
            "temporal_order",
            20,
            0,
            Recipe(model=model),
            max_sequences=32,
            test_size=10,
            progress=False,
        )
        assert result.recipe["model"] == model and not result.solved


def test_default_budget_is_the_papers_count():
    assert EXPERIMENTS["adding"].paper[1000].training_sequences == 853_000
    assert EXPERIMENTS["temporal_order"].paper[100].training_sequences == 31_390


# --- the command line ------------------------------------------------------------------------


def test_cli_writes_json_with_the_papers_row(tmp_path, capsys):
    path = tmp_path / "run.json"
    argv = ["reproduce", "adding", "--seq-len", "100", "--seed", "1", "--max-sequences", "32"]
    status = minigrad_main([*argv, "--test-size", "16", "--no-progress", "--json", str(path)])
    assert status == 0
    result = json.loads(path.read_text())
    for field in ("experiment", "seq_len", "seed", "solved", "training_sequences", "seconds"):
        assert field in result
    assert result["experiment"] == "adding" and result["seq_len"] == 100 and result["seed"] == 1
    assert result["solved"] is False and result["training_sequences"] == 32
    assert result["test_size"] == 16 and 0 <= result["test_wrong"] <= 16
    assert result["paper"]["training_sequences"] == 74_000 and result["paper"]["test_wrong"] == 1
    assert result["command"].startswith("python -m minigrad reproduce adding --seq-len 100")
    out = capsys.readouterr().out
    assert "recipe: lstm1997, 32 hidden units" in out and "(the default)" in out
    assert "74,000" in out and "not solved" in out


def test_cli_input_bias_reaches_the_recipe(tmp_path, capsys):
    path = tmp_path / "run.json"
    argv = ["reproduce", "temporal_order", "--input-bias", "0", "--max-sequences", "8"]
    assert minigrad_main([*argv, "--test-size", "4", "--no-progress", "--json", str(path)]) == 0
    assert json.loads(path.read_text())["recipe"]["input_bias"] == 0.0
    assert "input gate bias +0" in capsys.readouterr().out


def test_table_puts_the_papers_row_above_ours():
    result = reproduce("temporal_order", 100, 0, max_sequences=8, test_size=4, progress=False)
    rows = table([result]).splitlines()
    assert rows[1].startswith("paper, Table 9 (20 trials)") and "31,390" in rows[1]
    assert rows[2].startswith("lstm1997, seed 0") and "8+" in rows[2] and " no " in rows[2]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add"], "invalid choice: 'add'"),
        (["adding", "--seq-len", "10"], "--seq-len must be at least 22 for adding"),
        (["temporal_order", "--seq-len", "0"], "must be a positive integer, got 0"),
        (["adding", "--max-sequences", "-5"], "must be a positive integer, got -5"),
        (["adding", "--model", "transformer"], "invalid choice: 'transformer'"),
        (["adding", "--json", "no/such/folder/x.json"], "folder 'no/such/folder' does not exist"),
    ],
)
def test_cli_bad_input_is_a_clear_error(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        minigrad_main(["reproduce", *argv])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: reproduce("addition", 100), ValueError, "unknown experiment 'addition'"),
        (lambda: reproduce("adding", 100.0), TypeError, "seq_len must be an int, got float"),
        (lambda: reproduce("temporal_order", 19), ValueError, "at least 20 for temporal_order"),
        (lambda: reproduce("adding", 100, max_sequences=0), ValueError, "positive int, got 0"),
        (lambda: reproduce("adding", 100, recipe=Recipe(model="lstn")), ValueError, "'lstn'"),
    ],
)
def test_api_bad_input_is_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_test_set_is_the_papers_size():
    assert TEST_SIZE == 2560


def test_the_1997_model_has_no_forget_gate():
    model = SequenceModel.for_task("adding_1997", "lstm1997", 3, rng=0)
    assert [cell.forget_gate for cell in model.rnn.cells] == [False]
    assert SequenceModel.for_task("adding_1997", "lstm", 3, rng=0).rnn.cells[0].forget_gate


@pytest.mark.parametrize("kind", ["lstm", "lstm1997"])
def test_the_recipes_input_gate_bias_reaches_both_lstms(kind):
    plain = SequenceModel.for_task("adding_1997", kind, 3, rng=0).rnn.cells[0]
    shut = SequenceModel.for_task("adding_1997", kind, 3, input_bias=-6.0, rng=0).rnn.cells[0]
    np.testing.assert_allclose(shut.bias_ih.data - plain.bias_ih.data, np.repeat([-6, 0, 0, 0], 3))
    assert "input gate bias -6" in Recipe(model=kind).describe()
    assert "input gate bias" not in Recipe(model="gru").describe()


# --- stored results --------------------------------------------------------------------------


def test_stored_results_are_read_back_and_tabled(tmp_path):
    runs = [
        reproduce("adding", 100, seed, max_sequences=8, test_size=4, progress=False)
        for seed in (0, 1)
    ]
    for run in runs:
        (tmp_path / f"run{run.seed}.json").write_text(json.dumps(vars(run)))
    found = load_results(tmp_path)
    assert [r["seed"] for r in found] == [0, 1]
    rows = markdown_table(found)
    assert len(rows) == 3, "a header, its rule, and one row for the two seeds"
    assert rows[2].startswith("| adding | 100 | lstm1997 | 1 | 74,000 | 0 of 2 |")
    assert "not reached within 8" in rows[2]
    wrong = [str(r["test_wrong"]) for r in found]
    assert f"| {', '.join(wrong)} |" in rows[2], "the wrong answers of each run, in seed order"


def test_reading_an_empty_results_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no results"):
        load_results(tmp_path)


def test_the_figure_script_imports_what_it_draws_with():
    # results/1997/figure.py redraws the README's figure; imported (not run) it writes nothing
    script = Path(__file__).resolve().parents[1] / "results" / "1997" / "figure.py"
    spec = importlib.util.spec_from_file_location("figure_1997", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.plot_reproduction) and module.FOLDER == script.parent
