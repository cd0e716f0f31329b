"""`python -m minigrad grade`: run learners' notebooks, isolated, and let the judge score them.

A learner's notebook is untrusted code: it can patch anything in its own kernel, display
anything, write files where it runs, start processes and put modules next to itself. So:
- what is graded comes from the course's manifest (manifest.py), never from the notebook's
  text: every part of each course notebook counts, answered or not, and nothing else does;
- each notebook runs on an in-memory copy (the learner's file is only read), top to bottom,
  in a fresh kernel whose working folder and IPython folder are new, empty temporary folders
  (no startup files, no modules next to it), within a time limit, with its output capped;
- then the judge (judge.py) grades each part in this process, on fresh inputs;
- afterwards every process of the kernel's session, process group or environment is ended,
  and a change to the course's files, or to Python's start-up files, is reported as such;
- a notebook that breaks (its kernel, its folder, its JSON) costs only its own parts, and a
  broken submission only its own row.

The isolation is in isolation.py, the reports (a table to stdout, a JSON file, ours or
Gradescope's results.json, and a CSV gradebook with one row per submission) in report.py.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbclient.exceptions import CellTimeoutError, DeadKernelError

from minigrad.course import workspace
from minigrad.course.grading.check import PartResult
from minigrad.course.grading.expect import safe_str
from minigrad.course.grading.isolation import (
    CappedClient,
    course_fingerprint,
    end_processes,
    kernel_environment,
)
from minigrad.course.grading.judge import judge_notebook
from minigrad.course.grading.manifest import NOTEBOOKS, PARTS
from minigrad.course.grading.report import (
    NotebookResult,
    Submission,
    format_report,
    gradebook,
    report_gradescope,
    report_json,
    shown,
    write_atomically,
)

# Seconds a notebook may run in all, from its first cell to its last; the judge gets as long.
DEFAULT_TIMEOUT = 300.0


# The kernels running now (token -> kernel pid), ended at once when grading is interrupted,
# and whether it was: no new notebook starts then.
_running: dict[str, int | None] = {}
_stopping = threading.Event()


class GradingError(Exception):
    """The grader cannot run at all: a missing path, a --json that would overwrite a notebook..."""


# ----------------------------------------------------------------------------------------------
# Which notebooks, and reading them
# ----------------------------------------------------------------------------------------------


def plan(path: Path, manifest: dict[str, tuple[str, ...]]) -> list[tuple[str, Path | None]]:
    """The course notebooks to grade for the submission `path`, as (name, file or None).

    A folder is graded on every notebook of the manifest (a missing one scores 0); a single
    notebook on its own parts, if it is one of the course's.
    """
    if not path.exists():
        raise GradingError(f"no such file or folder: {shown(path)}")
    if path.is_dir():
        return [(name, path / name if (path / name).is_file() else None) for name in manifest]
    if path.name not in manifest:
        known = ", ".join(manifest)
        raise GradingError(
            f"{shown(path)} is not one of the course's notebooks: expected one of {known}, "
            "or a folder that holds them"
        )
    return [(path.name, path)]


def extra_notebooks(path: Path, manifest: dict[str, tuple[str, ...]]) -> list[Path]:
    """Notebooks in the folder `path` that the course does not grade (copies, scratch work)."""
    if not path.is_dir():
        return []
    return sorted(p for p in path.glob("*.ipynb") if p.name not in manifest)


def read_notebook(path: Path) -> Any:
    """The notebook at `path` as an nbformat v4 node, or a GradingError saying what is wrong."""
    import nbformat
    from nbformat.warnings import MissingIDFieldWarning

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise GradingError(f"cannot read {shown(path)}: {_first_line(error)}") from None
    invalid: dict[str, Any] = {}
    try:
        with warnings.catch_warnings():
            # cells without ids (older editors) are harmless here: nbformat adds them
            warnings.simplefilter("ignore", MissingIDFieldWarning)
            notebook = nbformat.reads(text, as_version=4, capture_validation_error=invalid)
    except Exception as error:  # nbformat raises a different type for each way JSON can be off
        raise GradingError(f"not a valid notebook: {_first_line(error)}") from None
    if "ValidationError" in invalid:
        raise GradingError(f"not a valid notebook: {_first_line(invalid['ValidationError'])}")
    if not isinstance(notebook.get("cells"), list):
        raise GradingError("not a valid notebook: it has no list of cells")
    return notebook


def _first_line(error: BaseException) -> str:
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return shown(str(message).strip().splitlines()[0]) if str(message).strip() else "?"


# ----------------------------------------------------------------------------------------------
# Running one notebook, isolated
# ----------------------------------------------------------------------------------------------


@dataclass
class CellProblem:
    """What went wrong with one code cell, in words that follow "cell N"."""

    words: str
    raised: bool  # the cell raised an exception, and the cells after it still ran


def run_cells(client: Any, notebook: Any, timeout: float) -> dict[int, CellProblem]:
    """Execute the code cells one by one, each with what is left of the notebook's time.

    Every cell runs even when an earlier one raised, as when a learner runs them one by one.
    """
    problems: dict[int, CellProblem] = {}
    deadline = time.monotonic() + timeout
    stopped: CellProblem | None = None  # once set, why none of the remaining cells runs
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        remaining = deadline - time.monotonic()
        if stopped is None and remaining <= 0:
            stopped = CellProblem(f"did not run: the notebook's {timeout:g} s ran out", False)
        if stopped is not None:
            problems[index] = stopped
            continue
        client.timeout = max(1, math.ceil(remaining))
        try:
            client.execute_cell(cell, index)
        except CellTimeoutError:
            still_running = f"was still running when the notebook's {timeout:g} s ran out"
            problems[index] = CellProblem(f"{still_running} (an endless loop?)", False)
            _interrupt(client)  # so that the judge can still grade what the cells before made
            words = f"did not run: the notebook's {timeout:g} s ran out in cell {index + 1}"
            stopped = CellProblem(words, False)
        except DeadKernelError:
            problems[index] = CellProblem(
                "stopped the Python kernel (a crash? out of memory?)", False
            )
            stopped = CellProblem(f"did not run: the kernel stopped in cell {index + 1}", False)
        else:
            errors = [output for output in cell.outputs if output.output_type == "error"]
            if errors:
                words = f"raised {errors[0].ename}: {safe_str(errors[0].evalue)}"
                problems[index] = CellProblem(words, True)
    return problems


def _interrupt(client: Any) -> None:
    """Interrupt the kernel's running cell, and talk to it on new channels from now on.

    nbclient leaves the timed-out cell's listeners behind on the old channels, where they would
    take the next messages.
    """
    from jupyter_core.utils import run_sync

    try:
        run_sync(client.km.interrupt_kernel)()
        client.kc.stop_channels()
        run_sync(client.async_start_new_kernel_client)()
    except Exception:  # a kernel that is gone: the judge will say so part by part
        pass


def grade_notebook(
    path: Path,
    parts: tuple[str, ...],
    timeout: float = DEFAULT_TIMEOUT,
    offset: int = 0,
    notebook: Any = None,
) -> NotebookResult:
    """Run the notebook at `path` (or `notebook`, read from there before) isolated, then judge
    each of `parts` on it."""
    result = NotebookResult(shown(path))

    def all_zero(reason: str) -> NotebookResult:
        result.parts = [PartResult(name, 0, PARTS[name].points, reason) for name in parts]
        return result

    try:
        notebook = read_notebook(path) if notebook is None else notebook
    except GradingError as error:
        notebook = error
    if isinstance(notebook, GradingError):
        return all_zero(f"Not graded: {notebook}")
    # outputs saved in the file count for nothing: only this run's kernel is asked
    for cell in notebook.cells:
        if cell.get("cell_type") == "code":
            cell.outputs, cell.execution_count = [], None
    if _stopping.is_set():
        raise KeyboardInterrupt
    token = secrets.token_hex(8)
    with tempfile.TemporaryDirectory(
        prefix="minigrad-grade-", ignore_cleanup_errors=True
    ) as folder:
        work = Path(folder) / "work"
        work.mkdir()
        client = CappedClient(
            notebook,
            km=_kernel_manager(),
            allow_errors=True,
            shutdown_kernel="immediate",  # a kernel stuck in a loop would not stop when asked
            resources={"metadata": {"path": str(work)}},
        )
        client.scratch = len(notebook.cells)
        kernel_pid = None
        try:
            with client.setup_kernel(cleanup_kc=True, env=kernel_environment(Path(folder), token)):
                kernel_pid = getattr(client.km.provisioner, "pid", None)
                _running[token] = kernel_pid
                problems = run_cells(client, notebook, timeout)
                result.parts = judge_notebook(client, parts, timeout, offset)
        except KeyboardInterrupt:
            raise
        except Exception as error:  # the kernel would not start, or the notebook broke it
            return all_zero(f"Not graded: the notebook's kernel failed: {_first_line(error)}")
        finally:
            _running.pop(token, None)
            end_processes(kernel_pid, token)
    _explain_unanswered(result, notebook, problems)
    return result


def _kernel_manager() -> Any:
    import zmq
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    # With no kernel folders to search, "python3" can only be ipykernel's built-in spec, which
    # starts this very interpreter: the grader's environment, whatever else is installed.
    return AsyncKernelManager(
        kernel_name="python3",
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[]),
        # keys for the kernel's sockets when zmq can, as JupyterLab would
        transport_encryption="auto" if zmq.has("curve") else "disabled",
    )


def _explain_unanswered(result: NotebookResult, notebook: Any, problems: dict) -> None:
    """Add to each unanswered part what happened to the notebook's cells: an error, or time."""
    first = next(iter(sorted((i, p) for i, p in problems.items())), None)
    if first is None:
        return
    index, problem = first
    for part in result.parts:
        if part.points == 0 and part.message.startswith("Not answered"):
            part.message += f" (cell {index + 1} {problem.words})"


# ----------------------------------------------------------------------------------------------
# A submission, and a class of them
# ----------------------------------------------------------------------------------------------


def grade_submission(
    path: Path,
    manifest: dict[str, tuple[str, ...]] = NOTEBOOKS,
    timeout: float = DEFAULT_TIMEOUT,
    offset: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Submission:
    """Grade one learner's folder (or notebook) on the course's notebooks in `manifest`.

    offset: how far every seed of the checks moves (fresh inputs); drawn at random if None.
    """
    offset = secrets.randbelow(1_000_000) * 1000 + 1000 if offset is None else offset
    submission = Submission(shown(path))
    # every notebook is read first: one that deletes the folder cannot take the others along
    loaded = []
    for name, file in plan(path, manifest):
        try:
            loaded.append((name, file, None if file is None else read_notebook(file)))
        except GradingError as error:
            loaded.append((name, file, error))
    extras = extra_notebooks(path, manifest)
    for name, file, notebook in loaded:
        if file is None:
            result = NotebookResult(shown(path / name))
            result.parts = [
                PartResult(p, 0, PARTS[p].points, f"Not answered: there is no {name}")
                for p in manifest[name]
            ]
            result.note = "missing"
        else:
            before = course_fingerprint()
            result = grade_notebook(file, manifest[name], timeout, offset, notebook)
            if course_fingerprint() != before:
                reason = (
                    "Not graded: while this notebook ran, the course's files (or Python's "
                    "start-up files) changed; restore the course before grading again"
                )
                for part in result.parts:
                    part.points, part.message = 0, reason
                result.note = "changed the course"
        submission.notebooks.append(result)
        if progress is not None:
            progress(f"{result.path}: {result.points}/{result.max_points}")
    for extra in extras:
        note = "not graded: not one of the course's notebooks"
        submission.notebooks.append(NotebookResult(shown(extra), note=note))
    return submission


def grade_class(
    paths: list[Path],
    manifest: dict[str, tuple[str, ...]] = NOTEBOOKS,
    timeout: float = DEFAULT_TIMEOUT,
    jobs: int = 1,
    progress: Callable[[str], None] | None = None,
) -> list[Submission]:
    """Grade several submissions, `jobs` at a time; a broken one costs only its own row."""
    offset = secrets.randbelow(1_000_000) * 1000 + 1000  # one set of inputs for the class

    def one(path: Path) -> Submission:
        try:
            return grade_submission(path, manifest, timeout, offset, progress)
        except Exception as error:  # whatever broke, it costs this submission only
            reason = error if isinstance(error, GradingError) else _first_line(error)
            broken = Submission(shown(path))
            parts = [
                PartResult(p, 0, PARTS[p].points, f"Not graded: {reason}")
                for name in manifest
                for p in manifest[name]
            ]
            broken.notebooks.append(NotebookResult(shown(path), parts, note="not graded"))
            return broken

    pool = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(paths))))
    try:
        futures = [pool.submit(one, path) for path in paths]
        return [future.result() for future in futures]
    except KeyboardInterrupt:
        _stopping.set()  # the workers start no new notebook, and their kernels end now
        for token, pid in list(_running.items()):
            end_processes(pid, token)
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


# ----------------------------------------------------------------------------------------------
# The command line
# ----------------------------------------------------------------------------------------------


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"expected a finite, positive number of seconds, got {text!r}"
        )
    return value


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _output_path(option: str, path: Path | None, graded: list[Path]) -> None:
    """Refuse an output file that is a notebook, or one of the graded files or folders."""
    if path is None:
        return
    if path.suffix == ".ipynb":
        raise GradingError(f"{option} {shown(path)} would overwrite a notebook: choose a file name")
    target = path.resolve()
    for graded_path in graded:
        if target == graded_path.resolve() or target.is_dir():
            raise GradingError(f"{option} {shown(path)} is a graded notebook or a folder")


def _print(text: str, stream: Any) -> None:
    """Print even where the terminal cannot show every character of a learner's file name."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    print(text.encode(encoding, "backslashreplace").decode(encoding), file=stream, flush=True)


def main(argv: list[str] | None = None, manifest: dict[str, tuple[str, ...]] = NOTEBOOKS) -> int:
    """`python -m minigrad grade`: 0 when the submissions were graded, whatever the score;
    1 when grading could not run (no such path, an output file that would overwrite a notebook),
    2 for bad options, 130 when interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m minigrad grade",
        description="Run exercise notebooks in fresh, isolated kernels and score every part "
        "of the course on fresh inputs. The notebooks themselves are never modified.",
    )
    parser.add_argument(
        "paths",
        type=Path,
        nargs="*",
        metavar="PATH",
        help="a submission: a folder of the course's notebooks, or one of them; several "
        "folders (one per learner) grade a class (default: my-work/)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the scores here")
    parser.add_argument(
        "--format",
        choices=["minigrad", "gradescope"],
        default="minigrad",
        help="what --json writes: minigrad's report (default), or Gradescope's results.json",
    )
    parser.add_argument(
        "--csv", type=Path, metavar="FILE", help="write a gradebook: a row per submission"
    )
    parser.add_argument(
        "--timeout",
        type=_timeout,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"time limit for each notebook (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--jobs",
        type=_jobs,
        default=os.cpu_count() or 1,
        metavar="N",
        help="submissions graded at once (default: the number of cores)",
    )
    args = parser.parse_args(argv)
    try:
        return _run(args, parser, manifest)
    except KeyboardInterrupt:
        _print(f"{parser.prog}: interrupted; nothing was written", sys.stderr)
        return 130


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser, manifest: dict) -> int:
    try:
        args.paths = args.paths or [workspace.default_grade_path()]
        for path in args.paths:
            plan(path, manifest)  # a missing path or a stray file stops us before any kernel
        _output_path("--json", args.json, args.paths)
        _output_path("--csv", args.csv, args.paths)
        if args.format == "gradescope" and len(args.paths) > 1:
            raise GradingError("--format gradescope grades one submission at a time")
        total = sum(len(plan(path, manifest)) for path in args.paths)
        done = []

        def progress(line: str) -> None:
            done.append(line)
            bar = "#" * (20 * len(done) // total)
            _print(f"[{bar:<20}] {len(done)}/{total} {line}", sys.stderr)

        submissions = grade_class(args.paths, manifest, args.timeout, args.jobs, progress)
        for submission in submissions:
            if len(submissions) > 1:
                _print(f"== {submission.path}", sys.stdout)
            _print(format_report(submission), sys.stdout)
        # the course changed an exercise since the learner's copy was made, or similar
        planned = [file for path in args.paths if path.exists() for _, file in plan(path, manifest)]
        planned = [file for file in planned if file is not None and file.exists()]
        for notice in filter(None, map(workspace.notice_for, planned)):
            _print(f"\nNote: {notice}", sys.stdout)
        if args.json is not None:
            if args.format == "gradescope":
                report: Any = report_gradescope(submissions[0])
            elif len(submissions) == 1:
                report = report_json(submissions[0])
            else:
                report = {"submissions": [report_json(s) for s in submissions]}
            _write(args.json, json.dumps(report, indent=2) + "\n")
        if args.csv is not None:
            _write(args.csv, gradebook(submissions, manifest))
    except (GradingError, workspace.WorkspaceError) as error:
        _print(f"{parser.prog}: error: {error}", sys.stderr)
        return 1
    return 0


def _write(path: Path, text: str) -> None:
    try:
        write_atomically(path, text)
    except OSError as error:
        raise GradingError(f"cannot write {shown(path)}: {_first_line(error)}") from None
