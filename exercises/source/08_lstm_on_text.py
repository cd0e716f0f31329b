# %% [markdown]
# # Exercises 8: an LSTM on text
#
# These exercises go with `notebooks/08_lstm_on_text.ipynb`. You will write the four pieces
# that turn a recurrent net into a character-level language model: the baseline it must
# beat, the sampling loop that makes it write, and the two halves of truncated
# backpropagation through time, the streams of consecutive windows and the state handed
# from one window to the next. At the end, your functions train a small LSTM on
# Shakespeare and it writes with your sampler.
#
# **How to work.** Replace each `# YOUR CODE HERE` and `raise NotImplementedError` with your
# code and run the cell; the `check(...)` at its end prints the verdict at once. That verdict
# is advice, not the grade: the grader runs the saved notebook in a fresh kernel and judges
# each of your functions itself, on new inputs. Score the notebook from the course folder with
#
# ```
# .venv/bin/python -m minigrad grade exercises/08_lstm_on_text.ipynb
# ```
#
# Solutions: `solutions/08_lstm_on_text.ipynb`.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

from minigrad import Tensor, no_grad
from minigrad.course import text
from minigrad.course.grading.check import check
from minigrad.course.train import SequenceModel
from minigrad.optim import Adam, clip_grad_norm_
from minigrad.tensor import softmax

np.set_printoptions(precision=4, suppress=True)
corpus = text.load_shakespeare()
print(f"{len(corpus.codes):,} characters, {corpus.vocab_size} distinct")

# %% [markdown]
# ## Part 1: the unigram baseline
#
# A model that ignores what it has read can do no better than predict every character with
# its frequency $p_k$ in the text. Its loss, the cross-entropy of those frequencies against
# the text itself, is the *unigram entropy*
#
# $$H = -\sum_k p_k \ln p_k \quad \text{nats per character.}$$
#
# Write `unigram_entropy(codes, vocab_size)`: `codes` is an array of integers in
# $0 \ldots V-1$ with $V$ = `vocab_size`. Codes that never occur have $p_k = 0$ and count
# for nothing ($0 \ln 0 = 0$). `np.bincount(codes, minlength=vocab_size)` counts each code.


# %%
def unigram_entropy(codes: np.ndarray, vocab_size: int) -> float:
    """-sum_k p_k ln p_k (nats) for the frequencies p_k of the codes 0..vocab_size-1."""
    # BEGIN SOLUTION
    counts = np.bincount(codes, minlength=vocab_size)
    p = counts[counts > 0] / len(codes)
    return float(-(p * np.log(p)).sum())
    # END SOLUTION


check("text.unigram_entropy", unigram_entropy)

# %% [markdown]
# ## Part 2: sampling with a temperature
#
# A trained model gives, after each character it reads, the logits $z$ of the next one. To
# write, draw a character from
#
# $$p_k = \operatorname{softmax}(z / \tau)_k = \frac{e^{z_k/\tau}}{\sum_j e^{z_j/\tau}},$$
#
# then feed it back in. The *temperature* $\tau$ shapes the draw: $\tau = 1$ is the model's
# own distribution; $\tau < 1$ sharpens it towards the most likely character (safer, more
# repetitive text); $\tau > 1$ flattens it (bolder text, more spelling mistakes).
#
# Write `sample_char(logits, temperature, rng)`, which returns the drawn index as an `int`.
# Take every random number from `rng`, a numpy `Generator` (`rng.random()` or
# `rng.choice(len(p), p=p)`), so that the same seed writes the same text. `softmax` (imported
# above) subtracts the largest logit first, so that large logits cannot overflow. Here is
# what the temperature does to three logits:

# %%
example = np.array([2.0, 1.0, 0.0])
for temperature in (0.5, 1.0, 2.0):
    print(f"temperature {temperature}: p = {softmax(example / temperature)}")


# %%
def sample_char(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """One index drawn from softmax(logits / temperature); logits: (V,)."""
    # BEGIN SOLUTION
    p = softmax(logits / temperature)
    return int(rng.choice(len(p), p=p))
    # END SOLUTION


check("text.sample_char", sample_char)

# %% [markdown]
# ## Part 3: the text as parallel streams
#
# Truncated BPTT reads a long text in windows of $T$ characters and carries the state from
# each window to the next. For that, window $s + 1$ must continue window $s$. With a batch
# of $B$ sequences, cut the text into $B$ streams of $L = \lfloor N / B \rfloor$ characters
# (stream $b$ starts at $bL$) and read them side by side: window $s$ of stream $b$ holds the
# characters $bL + sT, \ldots, bL + sT + T - 1$ as input `x`, and as target `y` the
# characters one further on, $bL + sT + 1, \ldots, bL + sT + T$.
#
# Write `stream_windows(codes, batch_size, seq_len)`, which returns the list of every
# window of one pass, each a pair `(x, y)` of integer arrays of shape $(T, B)$: time along
# the rows, one stream per column. A window's last target needs one character after it, so
# a stream holds $\lfloor (L - 1) / T \rfloor$ windows; leave out the rest.


# %%
def stream_windows(codes: np.ndarray, batch_size: int, seq_len: int) -> list:
    """The windows of `codes` read as batch_size streams: a list of (x, y), each (T, B)."""
    # BEGIN SOLUTION
    stream_len = len(codes) // batch_size
    starts = np.arange(batch_size) * stream_len
    windows = []
    for s in range((stream_len - 1) // seq_len):
        positions = starts[None, :] + s * seq_len + np.arange(seq_len)[:, None]  # (T, B)
        windows.append((codes[positions], codes[positions + 1]))
    return windows
    # END SOLUTION


check("text.stream_windows", stream_windows)

# %% [markdown]
# ## Part 4: handing the state over
#
# At the end of a window the recurrent layer returns its final state: a tensor $h$ for an
# RNN, a pair $(h, c)$ for an LSTM. The next window starts from it, so the model reads on
# with the context of everything before. But the gradient must stop there: otherwise the
# next `backward()` would run back through every window since the start, and cost more at
# every step. `Tensor.detach()` gives a tensor with the same values and no graph behind it.
#
# Write `detach_state(state)` for both kinds of state: a `Tensor`, or a tuple of them.


# %%
def detach_state(state):
    """The same state with the gradient cut: a Tensor, or a tuple (h, c) of Tensors."""
    # BEGIN SOLUTION
    if isinstance(state, tuple):
        return tuple(part.detach() for part in state)
    return state.detach()
    # END SOLUTION


check("text.detach_state", detach_state)

# %% [markdown]
# ## Your functions at work
#
# An LSTM with 64 units reads Shakespeare's training text as 16 streams, in windows of 32
# characters, with your `stream_windows` and `detach_state`: 150 steps of Adam. These are
# small settings, chosen so that the run takes some seconds; the chapter's stored model
# trained 2000 steps of 32 windows of 100 characters with 128 units. Then it writes with
# your `sample_char`, from the prompt "ROMEO:".


# %%
def one_hot(codes: np.ndarray) -> np.ndarray:
    """Integer codes of any shape S -> S + (V,): a 1 in each character's column."""
    return text.one_hot(codes, corpus.vocab_size)


model = SequenceModel("lstm", corpus.vocab_size, 64, corpus.vocab_size, rng=0)
optimizer = Adam(model.parameters(), lr=0.01)
try:
    windows = stream_windows(corpus.split("train")[:200_000], batch_size=16, seq_len=32)
    losses, state = [], None
    for x, y in windows[:150]:
        loss, final = text.window_loss(model, one_hot(x), y, state)
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        state = detach_state(final)
        losses.append(loss.item() / math.log(2))
    baseline = unigram_entropy(corpus.codes, corpus.vocab_size) / math.log(2)
except NotImplementedError:
    print("Write parts 1, 3 and 4, then run this cell again.")
else:
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(losses, label="training windows")
    ax.axhline(baseline, color="C3", linestyle="--", label="unigram baseline")
    ax.set(xlabel="step", ylabel="bits per character", title="Your truncated BPTT on Shakespeare")
    ax.legend()
    plt.show()
    print("below the unigram baseline after 150 steps:", np.mean(losses[-20:]) < baseline)


# %%
def write(model, prompt: str, n: int, temperature: float, seed: int) -> str:
    """n characters from the model after the prompt, drawn with your sample_char."""
    rng = np.random.default_rng(seed)
    written = []
    with no_grad():
        hidden, state = model.rnn(Tensor(one_hot(corpus.encode(prompt)[:, None])))
        for _ in range(n):
            logits = model.head(hidden[-1]).data[0]  # the last step's logits, (V,)
            code = sample_char(logits, temperature, rng)
            written.append(code)
            hidden, state = model.rnn(Tensor(one_hot(np.array([[code]]))), state)
    return corpus.decode(written)


try:
    print("ROMEO:" + write(model, "ROMEO:", 200, temperature=0.8, seed=0))
except NotImplementedError:
    print("Write part 2, then run this cell again.")

# %% [markdown]
# ## Summary
#
# - The unigram entropy is the loss of a model that ignores context: the number a language
#   model must beat.
# - Sampling divides the logits by the temperature before the softmax, then draws with a
#   seeded generator: the same seed writes the same text.
# - Truncated BPTT reads the text as parallel streams of consecutive windows, and hands the
#   state from one window to the next detached: the context flows on, the gradient stops.
#
# This is the last exercise notebook: well done.
