"""How a check says what it expects: `WrongAnswer`, the `expect_*` helpers, and the inputs.

A check (one per part, in `parts/ch1.py` ... `parts/ch7.py`) is a function of the learner's
answer that
  1. builds a few inputs: random ones, drawn with a seed from `seed_for(n)`, plus the edge
     cases that catch common mistakes,
  2. calls the answer on them and compares with minigrad's own implementation (the
     reference), and checks the properties any right answer has (shapes, ranges, gradients
     that agree with finite differences),
  3. raises `WrongAnswer` with a sentence a learner understands when something is off;
     `expect_shape`, `expect_close`, `expect_finite` and `expect_in_range` do that for the
     usual cases, and show the inputs that expose the mistake.
An exception that the answer raises itself needs no handling: `check` turns it into a message.
Where a wrong answer is a known, common mistake (a tanh where a sigmoid belongs, an
off-by-one in time), the check computes that mistake too and names it: `recognize`.

The same check serves twice. In the learner's notebook, `check()` runs it at once on the
answer, with the seeds as written (the same feedback on every run). The grader's judge runs it
in the grader's own process, on an answer that lives in the learner's kernel, after moving
every seed by an amount drawn for that grading run (`fresh_inputs`): the inputs that decide the
grade are not the ones the notebook showed.

This module imports only the engine, so that the checks and the grader can both import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np

from minigrad.gradcheck import gradcheck
from minigrad.scalar import Value
from minigrad.tensor import Tensor


class WrongAnswer(Exception):
    """Raised by a checking function when the answer is wrong; its text is shown to the learner."""


# ----------------------------------------------------------------------------------------------
# The seeds of the random inputs
# ----------------------------------------------------------------------------------------------

# Added to every seed a check uses: 0 in a learner's notebook, a fresh draw for a grading run.
# A context variable, not a global: the grader judges several submissions at once, in threads.
_seed_offset: ContextVar[int] = ContextVar("seed_offset", default=0)


def seed_for(n: int) -> int:
    """The seed to use where a check would use `n`: `n` itself, or `n` moved for a grading run."""
    return n + _seed_offset.get()


@contextmanager
def fresh_inputs(offset: int) -> Iterator[None]:
    """Within the block, every check draws its random inputs from seeds moved by `offset`."""
    token = _seed_offset.set(offset)
    try:
        yield
    finally:
        _seed_offset.reset(token)


# ----------------------------------------------------------------------------------------------
# The expect_* helpers
# ----------------------------------------------------------------------------------------------


def expect_shape(
    got: Any, shape: tuple[int, ...], what: str = "the result", hint: str = ""
) -> None:
    """Fail unless `got` (a number, array or Tensor) has exactly `shape`."""
    actual = _as_array(got, what).shape
    shape = tuple(shape)
    if actual == shape:
        return
    finding = f"{what} is {_shape(actual)}, expected {_shape(shape)}."
    if len(shape) == 2 and actual == shape[::-1]:
        finding += " Is it transposed?"
    raise WrongAnswer(_with_details(finding, hint, inputs=None))


def expect_close(
    got: Any,
    expected: Any,
    inputs: dict[str, Any] | None = None,
    what: str = "the result",
    rtol: float = 1e-6,
    atol: float = 1e-8,
    hint: str = "",
) -> None:
    """Fail unless `got` equals `expected` elementwise to `rtol`/`atol`, with the same shape.

    `inputs` (name -> value) are what the answer was called with; they are shown on failure,
    so that the learner can reproduce the wrong number.
    """
    got_array = _as_array(got, what)
    expected_array = np.asarray(expected, dtype=float)
    if got_array.shape != expected_array.shape:
        finding = f"{what} is {_shape(got_array.shape)}, expected {_shape(expected_array.shape)}."
        raise WrongAnswer(_with_details(finding, hint, inputs))
    # nan compares unequal to everything, so a nan in the answer counts as wrong
    wrong = ~np.isclose(got_array, expected_array, rtol=rtol, atol=atol)
    if not wrong.any():
        return
    if got_array.ndim == 0:
        finding = f"{what} is wrong: got {_number(got_array)}, expected {_number(expected_array)}."
    else:
        index = tuple(int(i) for i in np.argwhere(wrong)[0])
        finding = (
            f"{what} is wrong at index {index}: got {_number(got_array[index])}, expected "
            f"{_number(expected_array[index])} ({int(wrong.sum())} of {wrong.size} entries differ)."
        )
        if wrong.size <= 24:
            finding += f"\n  got:      {_array(got_array, '  got:      ')}"
            finding += f"\n  expected: {_array(expected_array, '  expected: ')}"
    raise WrongAnswer(_with_details(finding, hint, inputs))


def expect_in_range(
    got: Any,
    low: float,
    high: float,
    inputs: dict[str, Any] | None = None,
    what: str = "the result",
    hint: str = "",
) -> None:
    """Fail unless every value of `got` lies in the closed interval [low, high]."""
    got_array = _as_array(got, what)
    # written as "not inside" so that nan, which is inside no interval, is caught too
    outside = ~((got_array >= low) & (got_array <= high))
    if not outside.any():
        return
    index = tuple(int(i) for i in np.argwhere(outside)[0])
    value = _number(got_array[index])
    where = f" at index {index}" if got_array.ndim else ""
    finding = f"{what} should lie in [{low:g}, {high:g}], but is {value}{where}."
    raise WrongAnswer(_with_details(finding, hint, inputs))


def expect_finite(
    got: Any, inputs: dict[str, Any] | None = None, what: str = "the result", hint: str = ""
) -> None:
    """Fail if any value of `got` is inf or nan (an overflow, or 0 / 0, on the way)."""
    got_array = _as_array(got, what)
    bad = ~np.isfinite(got_array)
    if not bad.any():
        return
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    where = f" at index {index}" if got_array.ndim else ""
    finding = f"{what} is {_number(got_array[index])}{where}: it should be a finite number."
    raise WrongAnswer(_with_details(finding, hint, inputs))


def _as_array(got: Any, what: str) -> np.ndarray:
    """The answer as a float array, or a WrongAnswer saying why it is not numbers."""
    if got is None:
        raise WrongAnswer(f"{what} returned None: is a `return` missing?")
    if isinstance(got, (Tensor, Value)):
        got = got.data
    try:
        return np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        shown = repr(got) if isinstance(got, str) else safe_str(got)
        raise WrongAnswer(
            f"{what} should be a number or an array of numbers, got a {type(got).__name__}: {shown}"
        ) from None


def _with_details(finding: str, hint: str, inputs: dict[str, Any] | None) -> str:
    """The finding, the check's hint, then the inputs that show the problem, one per line."""
    text = f"{finding} {hint}" if hint else finding
    for name, value in (inputs or {}).items():
        prefix = f"  {name} = "
        text += "\n" + prefix + _array(np.asarray(value), prefix)
    return text


def _shape(shape: tuple[int, ...]) -> str:
    return "a single number" if shape == () else f"an array of shape {shape}"


def _number(value: Any) -> str:
    return f"{float(value):.6g}"


def _array(values: np.ndarray, prefix: str) -> str:
    """A short printout of an array, its continuation lines aligned after `prefix`."""
    if values.ndim == 0:
        return _number(values)
    return np.array2string(values, precision=4, threshold=24, separator=", ", prefix=prefix)


def safe_str(value: Any, limit: int = 300) -> str:
    """str(value), cut to `limit` characters; a learner's object may even fail to print."""
    try:
        text = str(value)
    except Exception:
        text = f"<a {type(value).__name__} that cannot be printed>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ----------------------------------------------------------------------------------------------
# Helpers shared by the course's checks
# ----------------------------------------------------------------------------------------------


GRAPH_HINT = (
    "Compute it with Tensor operations (@, +, *, .T, .sigmoid(), .tanh(), slicing), not with "
    "numpy on .data: only Tensor operations record the graph that backward() walks."
)


def describe(value: Any) -> str:
    """What a value is, in a few words: 'a list of 3 items', 'a Tensor of shape (2, 4)'."""
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, Tensor):
        return f"a Tensor of shape {value.shape}"
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    return f"a {type(value).__name__}"


def as_numbers(value: Any) -> np.ndarray | None:
    """`value` as a float array, or None when it is not numbers (then the caller's
    expect_* helper gives the message)."""
    if isinstance(value, (Tensor, Value)):
        value = value.data
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


def recognize(got: Any, mistakes: dict[str, Any]) -> str:
    """The hint for the first known mistake whose result `got` equals, or "".

    `mistakes` maps a hint (what the learner did, and what to do instead) to the result
    that mistake gives on the same inputs, or to None when it cannot be told apart there.
    """
    values = as_numbers(got)
    if values is None:
        return ""
    for hint, result in mistakes.items():
        if result is None:  # a mistake that these inputs cannot show
            continue
        result = np.asarray(result, dtype=float)
        if values.shape == result.shape and np.allclose(values, result, rtol=1e-6, atol=1e-9):
            return hint
    return ""


def expect_pair(got: Any, what: str, names: str) -> tuple[Any, Any]:
    """`got` as a pair, or a WrongAnswer saying what came back instead."""
    if got is None:
        raise WrongAnswer(f"{what} returned None: is a `return` missing?")
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise WrongAnswer(f"{what} should return a pair ({names}), got {describe(got)}.")
    return got[0], got[1]


def expect_tensor(got: Any, what: str) -> Tensor:
    """`got` itself when it is a Tensor; otherwise a WrongAnswer that says why it must be."""
    if isinstance(got, Tensor):
        return got
    if got is None:
        raise WrongAnswer(f"{what} returned None: is a `return` missing?")
    raise WrongAnswer(f"{what} should return a minigrad Tensor, got {describe(got)}. {GRAPH_HINT}")


RULE_HINT = (
    "Your rule gave the right numbers on the inputs above, but not here: does it use "
    "anything besides its arguments?"
)


def expect_gradients_agree(
    f: Callable, inputs: dict[str, Any], what: str, hint: str = GRAPH_HINT
) -> None:
    """Fail unless backward through `f(*inputs)` agrees with finite differences (gradcheck).

    inputs: name -> Value or float64 Tensor with requires_grad=True, in f's argument order.
    hint: what to look at: GRAPH_HINT when the learner computes with Tensors, RULE_HINT when
    the learner wrote a backward rule that the check put into the graph.
    """
    names = list(inputs)
    try:
        report = gradcheck(f, *inputs.values())
    except RuntimeError as error:
        if "does not require grad" not in str(error):
            raise
        raise WrongAnswer(
            f"No gradient flows back through {what}: the result is not connected to its "
            f"inputs in the graph. {GRAPH_HINT}"
        ) from None
    if report.passed:
        return
    worst = next(e for e in report.inputs if e.error > report.tolerance)
    where = f" at index {worst.position}" if worst.position else ""
    raise WrongAnswer(
        f"The gradient of {what} with respect to {names[worst.index]}{where} disagrees with "
        f"finite differences: backward gives {worst.analytic:.6g}, finite differences give "
        f"{worst.numeric:.6g}. {hint}"
    )


def random_tensor(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> Tensor:
    """A float64 leaf that requires grad, with entries rounded to 3 decimals (readable)."""
    return Tensor(rng.normal(0.0, scale, size=shape).round(3), requires_grad=True)


def engine_grads(f: Callable, arrays: list[np.ndarray], grad: np.ndarray) -> list[np.ndarray]:
    """What minigrad's backward gives each of `arrays` for f(*arrays) with dL/d(result) = grad."""
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    f(*tensors).backward(grad)
    return [t.grad for t in tensors]
