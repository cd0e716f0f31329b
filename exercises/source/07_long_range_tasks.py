# %% [markdown]
# # Exercises 7: long-range tasks
#
# These exercises go with `notebooks/07_long_range_tasks.ipynb`. You will write the data of
# two long-range tasks, in the modern variants most papers use today (the adding problem of
# Arjovsky, Shah & Bengio 2016, and a fixed-length temporal order problem) rather than the
# set-ups of Hochreiter & Schmidhuber (1997) that the chapter runs, and the training step that
# fits a model to them; at the end, your three functions train an LSTM on the adding problem.
#
# **How to work.** Replace each `# YOUR CODE HERE` and `raise NotImplementedError` with your
# code and run the cell; the `check(...)` at its end prints the verdict at once. That verdict
# is advice, not the grade: the grader runs the saved notebook in a fresh kernel and judges
# each of your functions itself, on new inputs. Score the notebook from the course folder with
#
# ```
# .venv/bin/python -m minigrad grade exercises/07_long_range_tasks.ipynb
# ```
#
# Solutions: `solutions/07_long_range_tasks.ipynb`.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad
from minigrad import Tensor, nn
from minigrad.course.grading.check import check
from minigrad.course.tasks import ADDING_BASELINE_MSE, TEMPORAL_ORDER_SYMBOLS, temporal_order
from minigrad.nn import functional as F
from minigrad.optim import Adam, Optimizer

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Part 1: the adding problem
#
# Each sequence has $T$ steps, and each step is a pair: a value, uniform in $[0, 1)$, and a
# marker, 0 or 1. Exactly two steps are marked, one in the first half (steps $0$ to
# $\lfloor T/2 \rfloor - 1$) and one in the second (steps $\lfloor T/2 \rfloor$ to $T - 1$),
# each drawn uniformly. The target is the sum of the two marked values. The model sees the
# whole sequence before it answers, so it must keep the first marked value for at least
# $T/2$ steps, while ignoring every unmarked one.
#
# Write `adding_problem(batch_size, seq_len, rng)` returning `x` of shape
# $(T, B, 2)$ (channel 0 the values, channel 1 the markers) and `y` of shape $(B, 1)$. Draw
# every random number from `np.random.default_rng(rng)`, which accepts a seed or a
# `Generator`: the same seed must give the same batch. (`gen.random(shape)` and
# `gen.integers(low, high, size=n)`, whose `high` is excluded, are all you need.)
#
# A model that ignores its input can at best predict the mean, 1, and its MSE is then the
# variance of the sum, $2 \cdot \tfrac{1}{12} = \tfrac16$ (`ADDING_BASELINE_MSE`): the
# number to beat.


# %%
def adding_problem(
    batch_size: int, seq_len: int, rng: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A batch of the adding problem: x (T, B, 2) of values and markers, y (B, 1) their sum."""
    # BEGIN SOLUTION
    gen = np.random.default_rng(rng)
    values = gen.random((seq_len, batch_size))
    markers = np.zeros((seq_len, batch_size))
    sequences = np.arange(batch_size)
    half = seq_len // 2
    markers[gen.integers(0, half, size=batch_size), sequences] = 1.0
    markers[gen.integers(half, seq_len, size=batch_size), sequences] = 1.0
    y = (values * markers).sum(axis=0)[:, None]
    return np.stack([values, markers], axis=-1), y
    # END SOLUTION


check("tasks.adding_problem", adding_problem)

# %% [markdown]
# ## Part 2: the temporal order problem
#
# A sequence of symbols, one-hot over `TEMPORAL_ORDER_SYMBOLS` (`X`, `Y`, the distractors
# `a` to `d`, and `B`, `E` for begin and end), hides two relevant symbols among the
# distractors, each an `X` or a `Y`. Its class says which came in which order: 0 for `X` then
# `X`, 1 for `X` then `Y`, 2 for `Y` then `X`, 3 for `Y` then `Y`; that is,
# $2 \cdot [\text{first is Y}] + [\text{second is Y}]$. Here is one:

# %%
example, labels = temporal_order(batch_size=1, seq_len=20, rng=0)
symbols = example[:, 0].argmax(axis=1)  # the index of the 1 at each step
print(" ".join(TEMPORAL_ORDER_SYMBOLS[s] for s in symbols), "-> class", labels[0])

# %% [markdown]
# Write `temporal_order_label(x)`, which reads the class of every sequence of a batch
# `x` of shape $(T, B, 8)$ and returns them as an array of shape $(B,)$. `X` is symbol 0 and
# `Y` is symbol 1 (`argmax` over the last axis gives each step's symbol).


# %%
def temporal_order_label(x: np.ndarray) -> np.ndarray:
    """The class, 0 to 3, of each sequence of x (T, B, 8): (B,) ints."""
    # BEGIN SOLUTION
    labels = []
    for sequence in x.argmax(axis=2).T:  # one row of symbols per sequence, in time order
        first, second = sequence[sequence <= 1]  # the X (0) and Y (1) symbols
        labels.append(2 * first + second)
    return np.array(labels)
    # END SOLUTION


check("tasks.temporal_order", temporal_order_label)

# %% [markdown]
# ## Part 3: one training step
#
# Write `train_step(model, optimizer, x, y, max_norm)`, one step of gradient descent on a
# batch, for a `model` that maps `x` to predictions of `y`'s shape:
#
# 1. forget the previous step's gradients: `optimizer.zero_grad()` (`backward()` *adds* to
#    `.grad`);
# 2. the loss: the mean squared error of `model(x)` against `y` (`F.mse_loss`);
# 3. `loss.backward()`;
# 4. clip the global gradient norm to `max_norm`, with
#    `minigrad.optim.clip_grad_norm_(model.parameters(), max_norm)` (chapter 4);
# 5. `optimizer.step()`.
#
# Return the loss as a float (`loss.item()`), the value before the update.


# %%
def train_step(
    model: nn.Module, optimizer: Optimizer, x: Tensor, y: Tensor, max_norm: float
) -> float:
    """One step of training on (x, y) with the MSE loss and clipping; returns the loss."""
    # BEGIN SOLUTION
    optimizer.zero_grad()
    loss = F.mse_loss(model(x), y)
    loss.backward()
    minigrad.optim.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()
    # END SOLUTION


check("tasks.train_step", train_step)

# %% [markdown]
# ## Your functions at work
#
# An LSTM reads the sequence and a linear layer reads its last hidden state. We train it with
# your `train_step` on fresh batches from your `adding_problem`: 800 steps of 32 sequences of
# length $T = 15$, with Adam. These are small settings, chosen so that the run takes a few
# seconds; chapter 7's notebook trains on longer sequences.


# %%
class AddingModel(nn.Module):
    """An LSTM, then a Linear layer on its last hidden state: x (T, B, 2) -> (B, 1)."""

    def __init__(self, hidden_size: int, rng: int) -> None:
        rng = np.random.default_rng(rng)
        self.lstm = nn.LSTM(2, hidden_size, forget_bias=1.0, rng=rng)
        self.head = nn.Linear(hidden_size, 1, rng=rng)

    def forward(self, x: Tensor) -> Tensor:
        output, _ = self.lstm(x)
        return self.head(output[-1])


model = AddingModel(hidden_size=16, rng=0)
optimizer = Adam(model.parameters(), lr=0.01)
data = np.random.default_rng(1)
try:
    losses = []
    for _ in range(800):
        x, y = adding_problem(32, 15, data)
        losses.append(train_step(model, optimizer, Tensor(x), Tensor(y), max_norm=1.0))
    x_test, y_test = adding_problem(1000, 15, 2)
except NotImplementedError:
    print("Write parts 1 and 3, then run this cell again.")
else:
    with minigrad.no_grad():
        test_mse = F.mse_loss(model(Tensor(x_test)), Tensor(y_test)).item()
    print(f"test MSE {test_mse:.4f}, against {ADDING_BASELINE_MSE:.4f} for the best constant")
    smoothed = np.convolve(losses, np.ones(20) / 20, mode="valid")
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    ax.semilogy(np.arange(20, len(losses) + 1), smoothed, label="training loss (mean of 20)")
    ax.axhline(ADDING_BASELINE_MSE, color="k", linestyle="--", label="best constant, 1/6")
    ax.set(xlabel="training step", ylabel="MSE", title="An LSTM learns the adding problem, T = 15")
    ax.legend()
    plt.show()

# %% [markdown]
# ## Summary
#
# - The adding problem: two marked values in a long sequence, one in each half; the answer
#   is their sum, and $1/6$ is what a model that ignores its input gets.
# - The temporal order problem: the class is the order of two symbols hidden among
#   distractors.
# - A training step: zero the gradients, loss, backward, clip, step.
#
# Next: `exercises/08_lstm_on_text.ipynb`, an LSTM that learns to write from Shakespeare's
# text, trained with your own truncated backpropagation through time.
