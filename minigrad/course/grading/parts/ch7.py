"""Chapter 7, long-range tasks (exercises/07_long_range_tasks.ipynb): the checks of its parts.

Each check takes the learner's answer and raises WrongAnswer when it is wrong (see
minigrad/course/grading/expect.py for the helpers and how to write a check).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minigrad import nn
from minigrad.course import tasks
from minigrad.course.grading.expect import (
    WrongAnswer,
    as_numbers,
    describe,
    expect_close,
    expect_in_range,
    expect_pair,
    expect_shape,
    recognize,
    seed_for,
)
from minigrad.nn import functional as F
from minigrad.optim import SGD, clip_grad_norm_
from minigrad.tensor import Tensor


def check_tasks_adding_problem(adding_problem: Callable) -> None:
    """`adding_problem(batch_size, seq_len, rng)` returns (x, y): x (T, B, 2) holds values in
    [0, 1) and markers (1 at one step of each half of the sequence), y (B, 1) the sum of the
    two marked values. The same rng gives the same data."""
    # seeds as ints, moved for a grading run like every other seed: stored answers do not help
    seed, other_seed, generator_seed, big_seed = (seed_for(n) for n in (0, 1, 3, 4))
    what = f"adding_problem(batch_size=6, seq_len=9, rng={seed})"
    x, y = expect_pair(adding_problem(6, 9, seed), what, "x, y")
    expect_shape(x, (9, 6, 2), what="x", hint="x is time-major: (seq_len, batch_size, 2).")
    expect_shape(y, (6, 1), what="y", hint="y holds one target per sequence: (batch_size, 1).")
    x, y = as_numbers(x), as_numbers(y)
    expect_in_range(x[:, :, 0], 0.0, 1.0, what="the values x[:, :, 0]")
    markers = x[:, :, 1]
    not_binary = np.argwhere((markers != 0) & (markers != 1))
    if not_binary.size:
        t, b = not_binary[0]
        raise WrongAnswer(
            f"the markers x[:, :, 1] must be 0 or 1, but x[{t}, {b}, 1] = {x[t, b, 1]:.4g}."
        )
    half = 9 // 2
    for b in range(6):
        steps = np.flatnonzero(markers[:, b]).tolist()
        if len(steps) != 2 or not (steps[0] < half <= steps[1]):
            raise WrongAnswer(
                f"sequence {b} has markers at steps {steps}; every sequence needs exactly two, "
                f"one in the first half (steps 0 to T//2 - 1 = {half - 1}) and one in the "
                f"second (steps T//2 = {half} to T - 1 = 8)."
            )
    expect_close(
        y,
        tasks.adding_target(x),
        inputs={"x[:, :, 0]": x[:, :, 0], "x[:, :, 1]": markers},
        what="y",
        hint="The target is the sum of the two values whose marker is 1.",
    )

    again = as_numbers(adding_problem(6, 9, seed)[0])
    if again is None or again.shape != x.shape or not np.array_equal(again, x):
        raise WrongAnswer(
            f"Two calls with rng={seed} gave different data: draw every random number from "
            "np.random.default_rng(rng), so that a seed reproduces the batch."
        )
    other = as_numbers(adding_problem(6, 9, other_seed)[0])
    if other is not None and other.shape == x.shape and np.array_equal(other, x):
        raise WrongAnswer(
            f"rng={seed} and rng={other_seed} gave the same data: the seed must change the draw."
        )
    generator_x, _ = adding_problem(2, 9, np.random.default_rng(generator_seed))
    what = f"x for rng=np.random.default_rng({generator_seed})"
    expect_shape(generator_x, (9, 2, 2), what=what)

    big, _ = adding_problem(2000, 10, big_seed)
    big = as_numbers(big)
    first = big[:5, :, 1].argmax(axis=0)
    second = 5 + big[5:, :, 1].argmax(axis=0)
    for name, positions, allowed in [
        ("first", first, range(0, 5)),
        ("second", second, range(5, 10)),
    ]:
        missing = sorted(set(allowed) - set(positions.tolist()))
        if missing:
            raise WrongAnswer(
                f"In 2000 sequences of length 10 the {name} marker never lands on step "
                f"{missing[0]}: draw its position uniformly from steps {allowed.start} to "
                f"{allowed.stop - 1}."
            )
    mean = big[:, :, 0].mean()
    if abs(mean - 0.5) > 0.02:
        raise WrongAnswer(
            f"The values average {mean:.3f} over 2000 sequences; uniform on [0, 1) they would "
            "average 0.5."
        )


def check_tasks_temporal_order(temporal_order_label: Callable[[np.ndarray], np.ndarray]) -> None:
    """`temporal_order_label(x)` returns each sequence's class (B,): 0 for X..X, 1 for X..Y,
    2 for Y..X, 3 for Y..Y, given x (T, B, 8) one-hot over ("X", "Y", "a", ..., "B", "E")."""
    x, labels = tasks.temporal_order(12, 20, rng=seed_for(70))
    got = temporal_order_label(x.copy())
    what = "temporal_order_label(x)"
    expect_shape(got, labels.shape, what=what, hint="One class per sequence: (B,).")
    symbols = x.argmax(axis=2)  # (T, B)
    relevant = [symbols[:, b][symbols[:, b] <= 1] for b in range(x.shape[1])]
    swapped = np.array([2 * second + first for first, second in relevant])
    hint = recognize(
        got,
        {
            "The order is swapped: the class is 2 * (first is Y) + (second is Y), so X then Y "
            "is 1 and Y then X is 2.": swapped
        },
    )
    shown = {"symbols of each sequence (one row each)": symbols.T}
    expect_close(got, labels, inputs=shown, what=what, hint=hint)


class _LastStepRegressor(nn.Module):
    """An LSTM whose last hidden state goes through a Linear layer: (T, B, I) -> (B, 1)."""

    def __init__(self, input_size: int, hidden_size: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.lstm = nn.LSTM(input_size, hidden_size, rng=rng)
        self.head = nn.Linear(hidden_size, 1, rng=rng)

    def forward(self, x: Tensor) -> Tensor:
        output, _ = self.lstm(x)
        return self.head(output[-1])


def _train_steps(
    steps: int, order: tuple[str, ...], max_norm: float, data: list
) -> tuple[list[float], dict[str, np.ndarray]]:
    """Reference training steps (and known mistakes, by the order of the operations):
    returns the losses and the final parameters of a fresh model."""
    model = _LastStepRegressor(2, 3, seed=seed_for(71))
    optimizer = SGD(model.parameters(), lr=0.5)
    losses = []
    for x, y in data[:steps]:
        loss = None
        for operation in order:
            if operation == "zero_grad":
                optimizer.zero_grad()
            elif operation == "backward":
                loss = F.mse_loss(model(x), y)
                loss.backward()
            elif operation == "clip":
                clip_grad_norm_(model.parameters(), max_norm)
            elif operation == "step":
                optimizer.step()
        losses.append(loss.item())
    return losses, model.state_dict()


def check_tasks_train_step(train_step: Callable) -> None:
    """`train_step(model, optimizer, x, y, max_norm)` does one step of training on a batch:
    zero the gradients, compute the MSE loss of model(x) against y, backward, clip the global
    gradient norm to max_norm, update; it returns the loss (a float) before the update."""
    rng = np.random.default_rng(seed_for(72))
    data = []
    for _ in range(3):
        x, y = tasks.adding_problem(4, 6, rng)
        data.append((Tensor(x), Tensor(y)))
    max_norm = 0.05  # small, so that clipping acts at every step
    right = ("zero_grad", "backward", "clip", "step")
    expected_losses, expected_state = _train_steps(3, right, max_norm, data)
    mistakes = {
        "The gradients were not zeroed: backward() adds to .grad, so call "
        "optimizer.zero_grad() first.": ("backward", "clip", "step"),
        # clipping after the step changes no parameter: the same result as no clipping
        "The gradients were not clipped before the update: call "
        "clip_grad_norm_(model.parameters(), max_norm) between backward() and "
        "optimizer.step() (after the step it is too late).": ("zero_grad", "backward", "step"),
    }

    model = _LastStepRegressor(2, 3, seed=seed_for(71))
    optimizer = SGD(model.parameters(), lr=0.5)
    losses = []
    for x, y in data:
        loss = train_step(model, optimizer, x, y, max_norm)
        if isinstance(loss, Tensor) and loss.size == 1:
            loss = loss.item()
        if not isinstance(loss, (int, float, np.floating)):
            raise WrongAnswer(
                "train_step should return the loss as a number (loss.item()), got "
                f"{describe(loss)}."
            )
        losses.append(float(loss))
    state = model.state_dict()
    hint = ""
    for text, order in mistakes.items():
        wrong_losses, wrong_state = _train_steps(3, order, max_norm, data)
        if np.allclose(losses, wrong_losses) and all(
            np.allclose(state[name], wrong_state[name]) for name in state
        ):
            hint = text
            break
    expect_close(
        losses,
        expected_losses,
        what="the losses train_step returned over 3 steps",
        hint=hint or "Return the loss computed before the update, as a float.",
    )
    for name in expected_state:
        expect_close(
            state[name],
            expected_state[name],
            what=f"model parameter {name} after 3 calls of train_step",
            hint=hint or "Order: zero_grad, loss, backward, clip_grad_norm_, step.",
        )
