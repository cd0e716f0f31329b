"""The plots of minigrad.course.viz that compare training runs (chapter 7): learning curves of
several models, and the success rate against the sequence length."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # draw off-screen, whatever the machine

import numpy as np
import pytest
from matplotlib import pyplot as plt

from minigrad.course.train import History, SequenceModel, train
from minigrad.course.viz import plot_learning_curves, plot_success_rates


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def history(losses, test_steps, test_losses, metric_name="mse", metrics=None, test_metrics=None):
    return History(
        metric_name,
        loss=list(losses),
        metric=list(losses if metrics is None else metrics),
        grad_norm=[1.0] * len(losses),
        test_steps=list(test_steps),
        test_loss=list(test_losses),
        test_metric=list(test_losses if test_metrics is None else test_metrics),
    )


# ---- plot_learning_curves ------------------------------------------------------------------


def test_learning_curves_draw_the_running_mean_of_the_training_loss():
    run = history([4.0, 2.0, 6.0, 8.0], test_steps=[2, 4], test_losses=[3.0, 5.0])
    ax = plot_learning_curves({"lstm": run}, smooth=2)
    training = ax.get_lines()[0]
    np.testing.assert_array_equal(training.get_xdata(), [2, 3, 4])  # a mean of steps 1-2 first
    np.testing.assert_allclose(training.get_ydata(), [3.0, 4.0, 7.0])


def test_learning_curves_draw_the_test_scores_at_their_steps():
    run = history([4.0, 2.0, 6.0, 8.0], test_steps=[2, 4], test_losses=[3.0, 5.0])
    ax = plot_learning_curves({"lstm": run}, smooth=2)
    (test,) = [line for line in ax.get_lines() if line.get_label() == "lstm"]
    np.testing.assert_array_equal(test.get_xdata(), [2, 4])
    np.testing.assert_array_equal(test.get_ydata(), [3.0, 5.0])


def test_learning_curves_give_each_run_its_own_colour_for_both_lines():
    runs = {name: history([1.0, 0.5], [2], [0.5]) for name in ("rnn", "lstm", "gru")}
    ax = plot_learning_curves(runs)
    lines = ax.get_lines()
    colours = [lines[2 * k].get_color() for k in range(3)]
    assert len(set(colours)) == 3
    assert all(lines[2 * k + 1].get_color() == colours[k] for k in range(3))


def test_learning_curves_show_the_loss_on_a_log_scale_with_labels_and_baseline():
    ax = plot_learning_curves({"rnn": history([1.0, 0.5], [2], [0.5])}, baseline=1 / 6)
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    (baseline,) = [line for line in ax.get_lines() if line.get_label() == "baseline"]
    np.testing.assert_allclose(baseline.get_ydata(), [1 / 6, 1 / 6])
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels[0] == "rnn" and "baseline" in labels


def test_learning_curves_draw_accuracy_on_a_linear_scale_from_zero_to_one():
    run = history(
        [1.4, 1.0],
        [2],
        [1.0],
        metric_name="accuracy",
        metrics=[0.25, 0.75],
        test_metrics=[0.5],
    )
    ax = plot_learning_curves({"gru": run}, what="metric", smooth=1)
    assert ax.get_yscale() == "linear"
    assert ax.get_ylim() == pytest.approx((-0.02, 1.02))
    assert "accuracy" in ax.get_ylabel()
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [0.25, 0.75])
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), [0.5])


def test_learning_curves_shorten_the_window_for_a_short_run():
    ax = plot_learning_curves({"rnn": history([2.0, 4.0], [2], [3.0])}, smooth=25)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [3.0])


def test_learning_curves_draw_what_train_returns():
    model = SequenceModel.for_task("temporal_order", "lstm", hidden_size=4, rng=0)
    run = train(model, "temporal_order", 6, seq_len=10, test_size=8, eval_every=3, progress=False)
    ax = plot_learning_curves({"lstm": run}, what="metric", smooth=2)
    np.testing.assert_array_equal(ax.get_lines()[1].get_xdata(), [3, 6])
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), run.test_metric)


def test_learning_curves_draw_into_the_axes_they_are_given():
    _, ax = plt.subplots()
    assert plot_learning_curves({"rnn": history([1.0], [1], [1.0])}, ax=ax) is ax


def test_learning_curves_refuse_an_empty_dict():
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_learning_curves({})


def test_learning_curves_refuse_an_unknown_quantity():
    with pytest.raises(ValueError, match="'loss' or 'metric', got 'accuracy'"):
        plot_learning_curves({"rnn": history([1.0], [1], [1.0])}, what="accuracy")


def test_learning_curves_refuse_to_mix_metrics():
    runs = {
        "adding": history([1.0], [1], [1.0]),
        "order": history([1.0], [1], [1.0], metric_name="accuracy"),
    }
    with pytest.raises(ValueError, match="different metrics"):
        plot_learning_curves(runs, what="metric")


def test_learning_curves_refuse_a_run_without_steps():
    with pytest.raises(ValueError, match="'rnn' needs at least one training step"):
        plot_learning_curves({"rnn": history([], [], [])})


def test_learning_curves_refuse_a_bad_window():
    with pytest.raises(ValueError, match="smooth must be a positive int, got 0"):
        plot_learning_curves({"rnn": history([1.0], [1], [1.0])}, smooth=0)


# ---- plot_success_rates --------------------------------------------------------------------


def test_success_rates_draw_one_line_per_model_against_the_length():
    lengths = [10, 20, 40]
    ax = plot_success_rates(lengths, {"rnn": [1.0, 0.5, 0.25], "lstm": [1.0, 1.0, 1.0]})
    rnn, lstm = ax.get_lines()
    assert (rnn.get_label(), lstm.get_label()) == ("rnn", "lstm")
    np.testing.assert_array_equal(rnn.get_xdata(), lengths)
    np.testing.assert_array_equal(rnn.get_ydata(), [1.0, 0.5, 0.25])
    np.testing.assert_array_equal(ax.get_xticks(), lengths)


def test_success_rates_span_zero_to_one_with_a_chance_line_and_labels():
    ax = plot_success_rates([10, 20], {"gru": [1.0, 0.9]}, chance=0.25)
    assert ax.get_ylim() == pytest.approx((-0.02, 1.02))
    (chance,) = [line for line in ax.get_lines() if line.get_label() == "chance"]
    np.testing.assert_allclose(chance.get_ydata(), [0.25, 0.25])
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


def test_success_rates_refuse_lengths_out_of_order():
    with pytest.raises(ValueError, match="increasing"):
        plot_success_rates([20, 10], {"rnn": [1.0, 1.0]})


def test_success_rates_refuse_a_rate_per_length_missing():
    with pytest.raises(ValueError, match=r"'lstm' needs one rate per length, shape \(3,\)"):
        plot_success_rates([10, 20, 40], {"lstm": [1.0, 1.0]})


def test_success_rates_refuse_a_rate_outside_zero_one():
    with pytest.raises(ValueError, match="fractions in"):
        plot_success_rates([10], {"rnn": [95.0]})


def test_success_rates_refuse_an_empty_dict():
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_success_rates([10], {})


def test_success_rates_keep_models_that_tie_visible():
    ax = plot_success_rates([10, 20], {"rnn": [1.0, 1.0], "lstm": [1.0, 1.0], "gru": [1.0, 1.0]})
    sizes = [line.get_markersize() for line in ax.get_lines()]
    widths = [line.get_linewidth() for line in ax.get_lines()]
    assert sizes[0] > sizes[1] > sizes[2]  # each drawn on top of the last, and smaller
    assert widths[0] > widths[1] > widths[2]
