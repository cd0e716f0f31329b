"""Graded exercises: `check` for learners, and the grader that scores whole notebooks.

In a notebook, a learner writes a function and calls

    from minigrad.grading import check
    check("demo.square", square)

`check` looks the part up in `minigrad.checks.PARTS`, runs its checking function on the answer
and prints at once what it found: a pass, or what is wrong in words (a wrong shape, values out
of range, a wrong number together with the input that shows it, "not implemented yet"). It never
raises because of the answer: an exception in the learner's code becomes a message.
Inside a Jupyter kernel it also publishes the result as display data of type `MIME_TYPE`, which
is how the grader reads the scores back out of an executed notebook.

The grader, `python -m minigrad grade PATH`, runs each notebook top to bottom in a fresh kernel,
on an in-memory copy (the learner's file is only read), and scores every part that the notebook's
code cells `check(...)`. A part whose check never ran gets 0 points and the reason: the exception
its cell raised, or the time limit.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import re
import sys
import time
import warnings
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from minigrad.course import workspace
from minigrad.scalar import Value
from minigrad.tensor import Tensor

# The display data type of a published result: {"part", "points", "max", "message"}.
MIME_TYPE = "application/vnd.minigrad.check+json"

# Seconds a notebook may run in all, from its first cell to its last.
DEFAULT_TIMEOUT = 300.0


# ----------------------------------------------------------------------------------------------
# Helpers for the checking functions in minigrad/checks.py
# ----------------------------------------------------------------------------------------------


class WrongAnswer(Exception):
    """Raised by a checking function when the answer is wrong; its text is shown to the learner."""


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
        shown = repr(got) if isinstance(got, str) else _safe_str(got)
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


def _safe_str(value: Any, limit: int = 300) -> str:
    """str(value), cut to `limit` characters; a learner's object may even fail to print."""
    try:
        text = str(value)
    except Exception:
        text = f"<a {type(value).__name__} that cannot be printed>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ----------------------------------------------------------------------------------------------
# check(): what a learner calls in a notebook
# ----------------------------------------------------------------------------------------------


@dataclass
class PartResult:
    """The score of one part: `points` out of `max_points`, and what the learner should know."""

    name: str
    points: int
    max_points: int
    message: str

    def summary(self) -> str:
        """One line (plus any detail lines) to print under the learner's cell."""
        if self.points == self.max_points:
            return f"{self.name}: passed, {self.points}/{self.max_points} points."
        return f"{self.name}: {self.points}/{self.max_points} points. {self.message}"


def run_check(part: str, answer: Any) -> PartResult:
    """Check `answer` for `part` and return the result. Only an unknown part name raises."""
    # checks.py imports the helpers above from this module, so it can only be imported now
    from minigrad.checks import PARTS

    if not isinstance(part, str):
        raise TypeError(
            f"check() takes the part's name first, as a str, like check('demo.square', square); "
            f"got a {type(part).__name__}"
        )
    if part not in PARTS:
        close = difflib.get_close_matches(part, PARTS, n=1)
        did_you_mean = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"unknown part {part!r}.{did_you_mean} Known parts: {', '.join(sorted(PARTS))}"
        )
    graded = PARTS[part]
    name = getattr(answer, "__name__", "")
    name = name if name.isidentifier() else "Your answer"  # a lambda is called "<lambda>"
    try:
        graded.check(answer)
    except WrongAnswer as wrong:
        message = _safe_str(wrong, limit=2000)
    except NotImplementedError:
        message = (
            f"Not implemented yet: {name} raises NotImplementedError. "
            "Replace the `raise NotImplementedError` with your code."
        )
    except Exception as error:
        if isinstance(error, TypeError) and not callable(answer):
            message = (
                f"Your answer is a {type(answer).__name__}, not a function: pass the function "
                f"itself, without calling it, like check({part!r}, my_function)."
            )
        else:
            message = f"{name} raised {type(error).__name__}: {_safe_str(error)}"
    else:
        return PartResult(part, graded.points, graded.points, "passed")
    return PartResult(part, 0, graded.points, message)


def check(part: str, answer: Any) -> None:
    """Check a learner's `answer` (usually a function) for the exercise part named `part`.

    Prints the verdict. In a Jupyter kernel it also publishes it as `MIME_TYPE` display data,
    {"part", "points", "max", "message"}, for the grader. It raises only when `part` is not
    a known part name.
    """
    result = run_check(part, answer)
    text = result.summary()
    notice = workspace.notice_in_kernel()  # once per kernel: the exercise changed upstream
    text += f"\n\n{notice}" if notice else ""
    if _running_in_kernel():
        from IPython.display import display

        payload = {
            "part": result.name,
            "points": result.points,
            "max": result.max_points,
            "message": result.message,
        }
        # Frontends show the text; the grader reads the JSON. One output carries both.
        display({"text/plain": text, MIME_TYPE: payload}, raw=True)
    else:
        print(text)


def _running_in_kernel() -> bool:
    # A kernel imported IPython before running any cell; a plain script may not even have it.
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


# ----------------------------------------------------------------------------------------------
# The grader: python -m minigrad grade PATH [--json FILE] [--timeout SECONDS]
# ----------------------------------------------------------------------------------------------

# check("part.name", ...) in a cell's source; commented-out calls count too, so that hiding a
# check costs its points instead of removing the part
CHECK_CALL = re.compile(r"""\bcheck\(\s*(["'])([^"'\n]+)\1""")


class GradingError(Exception):
    """The grader cannot run at all: a missing path, a file that is not a notebook..."""


@dataclass
class NotebookResult:
    """The parts of one notebook, in the order they first appear in it."""

    path: str
    parts: list[PartResult] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(part.points for part in self.parts)

    @property
    def max_points(self) -> int:
        return sum(part.max_points for part in self.parts)


def find_notebooks(path: Path) -> list[Path]:
    """`path` itself if it is a notebook, or the notebooks directly inside the folder `path`."""
    if not path.exists():
        raise GradingError(f"no such file or folder: {path}")
    if path.is_dir():
        notebooks = sorted(p for p in path.glob("*.ipynb") if p.is_file())
        if not notebooks:
            raise GradingError(f"no notebooks (*.ipynb files) in the folder {path}")
        return notebooks
    if path.suffix != ".ipynb":
        raise GradingError(f"{path} is not a notebook: expected a .ipynb file or a folder of them")
    return [path]


def read_notebook(path: Path) -> Any:
    """The notebook at `path` as an nbformat v4 node, or a GradingError saying what is wrong."""
    # nbformat is in the course extras: check() needs only numpy, the grader needs more
    import nbformat
    from nbformat.warnings import MissingIDFieldWarning

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise GradingError(f"cannot read {path}: {error}") from None
    invalid: dict[str, Any] = {}
    try:
        with warnings.catch_warnings():
            # cells without ids (older editors) are harmless here: nbformat adds them
            warnings.simplefilter("ignore", MissingIDFieldWarning)
            notebook = nbformat.reads(text, as_version=4, capture_validation_error=invalid)
    except Exception as error:  # nbformat raises a different type for each way JSON can be off
        raise GradingError(f"{path} is not a valid notebook: {_first_line(error)}") from None
    if "ValidationError" in invalid:
        reason = _first_line(invalid["ValidationError"])
        raise GradingError(f"{path} is not a valid notebook: {reason}")
    return notebook


def _first_line(error: BaseException) -> str:
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return message.strip().splitlines()[0]


def parts_in(notebook: Any) -> list[str]:
    """The part names of the check("...") calls in the notebook's code cells, in order, once."""
    names: list[str] = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            for match in CHECK_CALL.finditer(cell.source):
                if match.group(2) not in names:
                    names.append(match.group(2))
    return names


@dataclass
class CellProblem:
    """What went wrong with one code cell, in words that follow "cell N"."""

    words: str
    raised: bool  # the cell raised an exception, and the cells after it still ran


def execute_notebook(notebook: Any, cwd: Path, timeout: float) -> dict[int, CellProblem]:
    """Run the code cells of `notebook` in place, in a fresh kernel, within `timeout` seconds.

    Every cell runs even when an earlier one raised, as when a learner runs them one by one.
    Returns what went wrong with each code cell (by index) that did not finish cleanly.
    """
    import zmq
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    # With no kernel folders to search, "python3" can only be ipykernel's built-in spec, which
    # starts this very interpreter: the grader's environment, whatever else is installed.
    kernel_manager = AsyncKernelManager(
        kernel_name="python3",
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[]),
        # keys for the kernel's sockets when zmq can, as JupyterLab would; without them the
        # kernel prints a warning about plain-text TCP for every notebook
        transport_encryption="auto" if zmq.has("curve") else "disabled",
    )
    client = NotebookClient(
        notebook,
        km=kernel_manager,
        allow_errors=True,
        shutdown_kernel="immediate",  # a kernel stuck in a loop would not stop when asked
        resources={"metadata": {"path": str(cwd)}},
    )
    with ExitStack() as stack:
        try:
            stack.enter_context(client.setup_kernel(cleanup_kc=True))
        except Exception as error:
            raise GradingError(f"cannot start a Python kernel: {_first_line(error)}") from None
        return _run_cells(client, notebook, timeout)


def _run_cells(client: Any, notebook: Any, timeout: float) -> dict[int, CellProblem]:
    """Execute the cells one by one, each with what is left of the notebook's time."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    problems: dict[int, CellProblem] = {}
    deadline = time.monotonic() + timeout
    stopped: CellProblem | None = None  # once set, why none of the remaining cells runs
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        remaining = deadline - time.monotonic()
        if stopped is None and remaining <= 0:
            stopped = CellProblem(
                f"did not run: the notebook's {timeout:g} s ran out", raised=False
            )
        if stopped is not None:
            problems[index] = stopped
            continue
        client.timeout = max(1, math.ceil(remaining))
        try:
            client.execute_cell(cell, index)
        except CellTimeoutError:
            still_running = f"was still running when the notebook's {timeout:g} s ran out"
            problems[index] = CellProblem(f"{still_running} (an endless loop?)", raised=False)
            words = f"did not run: the notebook's {timeout:g} s ran out in cell {index + 1}"
            stopped = CellProblem(words, raised=False)
        except DeadKernelError:
            words = "stopped the Python kernel (a crash? out of memory?)"
            problems[index] = CellProblem(words, raised=False)
            words = f"did not run: the Python kernel stopped in cell {index + 1}"
            stopped = CellProblem(words, raised=False)
        else:
            errors = [output for output in cell.outputs if output.output_type == "error"]
            if errors:
                words = f"raised {errors[0].ename}: {_safe_str(errors[0].evalue)}"
                problems[index] = CellProblem(words, raised=True)
    return problems


def grade_notebook(path: Path, notebook: Any, timeout: float = DEFAULT_TIMEOUT) -> NotebookResult:
    """Run `notebook` (read from `path`) and score each part it checks."""
    from minigrad.checks import PARTS

    names = parts_in(notebook)
    # Outputs saved in the file must not count: only what this run publishes does.
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    problems = execute_notebook(notebook, path.parent, timeout)

    published: dict[str, dict[str, Any]] = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(MIME_TYPE)
            if isinstance(payload, dict) and payload.get("part") in names:
                published[payload["part"]] = payload  # a part checked twice keeps the last

    result = NotebookResult(path.as_posix())
    for name in names:
        if name not in PARTS:
            message = f"unknown part: minigrad.checks has no part named {name!r}"
            result.parts.append(PartResult(name, 0, 0, message))
            continue
        max_points = PARTS[name].points
        if name in published:
            payload = published[name]
            # the points come from the learner's kernel: never more than the part is worth
            points = payload.get("points")
            points = min(max(points, 0), max_points) if isinstance(points, int) else 0
            message = str(payload.get("message", ""))
        else:
            points, message = 0, _why_not_checked(name, notebook, problems)
        result.parts.append(PartResult(name, points, max_points, message))
    return result


def _why_not_checked(name: str, notebook: Any, problems: dict[int, CellProblem]) -> str:
    """Why the check of part `name` published nothing, from what happened to its cell."""
    index = next(
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        and any(m.group(2) == name for m in CHECK_CALL.finditer(cell.source))
    )
    if index not in problems:
        return f"Not checked: cell {index + 1} ran, but its check({name!r}, ...) was not called"
    problem = problems[index]
    message = f"Not checked: cell {index + 1} {problem.words}"
    # an error in an earlier cell (a typo in a definition) is often the cause of this one
    earlier = [i for i, p in problems.items() if i < index and p.raised]
    if problem.raised and earlier:
        message += f" (before it, cell {earlier[0] + 1} {problems[earlier[0]].words})"
    return message


def format_report(results: list[NotebookResult]) -> str:
    """A table of each notebook's parts, points and messages, then the total."""
    width = max([len(part.name) for r in results for part in r.parts] + [4])
    lines = [f"  {'part':<{width}}  {'points':>6}  message", ""]
    for result in results:
        lines.append(f"{result.path}  ({result.points}/{result.max_points} points)")
        if not result.parts:
            lines.append("  (no check(...) calls in this notebook)")
        for part in result.parts:
            score = f"{part.points}/{part.max_points}"
            first, *rest = part.message.splitlines() or [""]
            lines.append(f"  {part.name:<{width}}  {score:>6}  {first}")
            # detail lines (the inputs that show a wrong number) go under the message column
            lines.extend(" " * (width + 12) + line for line in rest)
        lines.append("")
    total = sum(r.points for r in results)
    max_points = sum(r.max_points for r in results)
    lines.append(f"Total: {total}/{max_points} points")
    return "\n".join(lines)


def report_json(results: list[NotebookResult]) -> dict[str, Any]:
    """The results as written by --json: total, max, and each notebook's parts."""
    return {
        "total": sum(r.points for r in results),
        "max": sum(r.max_points for r in results),
        "notebooks": [
            {
                "path": r.path,
                "total": r.points,
                "max": r.max_points,
                "parts": [
                    {
                        "name": p.name,
                        "points": p.points,
                        "max": p.max_points,
                        "message": p.message,
                    }
                    for p in r.parts
                ],
            }
            for r in results
        ],
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m minigrad grade`: 0 when the notebooks were graded, whatever the score;
    1 when grading could not run (no such path, not a notebook, a malformed notebook)."""
    parser = argparse.ArgumentParser(
        prog="python -m minigrad grade",
        description="Run exercise notebooks in a fresh kernel and score their check(...) calls. "
        "The notebooks themselves are never modified.",
    )
    parser.add_argument(
        "path", type=Path, nargs="?", help="a notebook (.ipynb) or a folder (default: my-work/)"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the scores here")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"time limit for each notebook (default {DEFAULT_TIMEOUT:g})",
    )
    args = parser.parse_args(argv)
    if not args.timeout > 0:
        parser.error(f"--timeout must be a positive number of seconds, got {args.timeout:g}")

    try:
        paths = find_notebooks(args.path or workspace.default_grade_path())
        # read them all first, so that a malformed one stops us before any kernel starts
        notebooks = [(path, read_notebook(path)) for path in paths]
        results = []
        for number, (path, notebook) in enumerate(notebooks, start=1):
            progress = f"[{number}/{len(notebooks)}] {path}"
            print(f"{progress}: running...", file=sys.stderr, flush=True)
            start = time.monotonic()
            result = grade_notebook(path, notebook, args.timeout)
            elapsed = time.monotonic() - start
            print(
                f"{progress}: {result.points}/{result.max_points} points ({elapsed:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
            results.append(result)
        print(format_report(results))
        notices = [notice for path in paths if (notice := workspace.notice_for(path))]
        print("".join(f"\nNote: {notice}\n" for notice in notices), end="")
        if args.json is not None:
            try:
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(report_json(results), indent=2) + "\n")
            except OSError as error:
                raise GradingError(f"cannot write {args.json}: {error}") from None
    except (GradingError, workspace.WorkspaceError) as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 1
    return 0
