"""The grader's reports: the table, the JSON (minigrad's, or Gradescope's results.json) and
the CSV gradebook of a class, written atomically."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minigrad.course.grading.check import PartResult
from minigrad.course.grading.manifest import PARTS


def shown(path: Path | str) -> str:
    """A path as text that any terminal or JSON file can hold (undecodable bytes escaped)."""
    text = os.fsdecode(path) if not isinstance(path, str) else path
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass
class NotebookResult:
    """The parts of one course notebook, in the manifest's order; `note` says why it was not
    run, or what went wrong around it."""

    path: str
    parts: list[PartResult] = field(default_factory=list)
    note: str = ""

    @property
    def points(self) -> int:
        return sum(part.points for part in self.parts)

    @property
    def max_points(self) -> int:
        return sum(part.max_points for part in self.parts)


@dataclass
class Submission:
    """One learner's work: a folder of notebooks (or a single notebook) and their results."""

    path: str
    notebooks: list[NotebookResult] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(n.points for n in self.notebooks)

    @property
    def max_points(self) -> int:
        return sum(n.max_points for n in self.notebooks)


def format_report(submission: Submission) -> str:
    """A table of each notebook's parts, points and messages, then the total."""
    results = submission.notebooks
    width = max([len(part.name) for r in results for part in r.parts] + [4])
    lines = [f"  {'part':<{width}}  {'points':>6}  message", ""]
    for result in results:
        if not result.parts:
            lines += [f"{result.path}  ({result.note})", ""]
            continue
        lines.append(f"{result.path}  ({result.points}/{result.max_points} points)")
        for part in result.parts:
            score = f"{part.points}/{part.max_points}"
            first, *rest = part.message.splitlines() or [""]
            lines.append(f"  {part.name:<{width}}  {score:>6}  {first}")
            # detail lines (the inputs that show a wrong number) go under the message column
            lines.extend(" " * (width + 12) + line for line in rest)
            lines.extend(" " * (width + 12) + f"flag: {flag}" for flag in part.flags)
        lines.append("")
    lines.append(f"Total: {submission.points}/{submission.max_points} points")
    return "\n".join(lines)


def report_json(submission: Submission) -> dict[str, Any]:
    """The results as written by --json: total, max, and each notebook's parts."""
    return {
        "path": submission.path,
        "total": submission.points,
        "max": submission.max_points,
        "notebooks": [
            {
                "path": r.path,
                "total": r.points,
                "max": r.max_points,
                "note": r.note,
                "parts": [
                    {
                        "name": p.name,
                        "points": p.points,
                        "max": p.max_points,
                        "message": p.message,
                        "flags": list(p.flags),
                    }
                    for p in r.parts
                ],
            }
            for r in submission.notebooks
        ],
    }


def report_gradescope(submission: Submission) -> dict[str, Any]:
    """The results.json that Gradescope's autograder reads: score, max_score, and one test
    per part with its name, score, max_score and output."""
    tests = []
    for notebook in submission.notebooks:
        for part in notebook.parts:
            output = part.message + "".join(f"\nflag: {flag}" for flag in part.flags)
            tests.append(
                {
                    "name": part.name,
                    "score": part.points,
                    "max_score": part.max_points,
                    "output": output,
                }
            )
    return {"score": submission.points, "max_score": submission.max_points, "tests": tests}


def gradebook(submissions: list[Submission], manifest: dict[str, tuple[str, ...]]) -> str:
    """A CSV: one row per submission, one column per part of the course, then the total."""
    columns = [part for name in manifest for part in manifest[name]]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["submission", *columns, "total", "max", "flags"])
    for submission in submissions:
        scores = {p.name: p for n in submission.notebooks for p in n.parts}
        flags = sum(len(p.flags) for p in scores.values())
        writer.writerow(
            [
                submission.path,
                *(scores[c].points if c in scores else 0 for c in columns),
                submission.points,
                sum(PARTS[c].points for c in columns),
                flags,
            ]
        )
    return out.getvalue()


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file beside it, so that a reader (or a
    process left behind by a notebook) sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".minigrad-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
