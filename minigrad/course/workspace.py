"""The learner's folder, `my-work/`: their own copies of the exercises, which the course never
writes over.

The course keeps the blank exercises in `exercises/`, generated from `exercises/source/` by
`exercises/build.py`, and changes them as it improves. A learner who wrote into those files
would meet a merge conflict, or lose their work, at the next `git pull`. So the learner works in
copies:

- `prepare` (run by `make lab`) copies every exercise into `my-work/` that has no copy there
  yet. It never writes over a file that exists. Upstream, only `my-work/README.md` is tracked,
  so a pull of the course's updates never touches the learner's files, committed or not.
- Each copy records in its notebook metadata, under `"minigrad"`, which version of the
  exercise it was made from: a content hash of the blank exercise, its part names, and the
  course's version string.
- `notice_for(path)` compares a copy with the course's current exercise and says in words what
  changed (new parts, parts that no longer exist) and what to do. `check(...)` and the grader
  show it. `refresh NAME` writes the new version beside the learner's copy, never over it.
- `status` names every bad state it can find: the folder deleted, a copy renamed, a copy from a
  much older version, edits made the old way in `exercises/` (which `move NAME` copies into
  `my-work/`, and only then gives the file back to the course).

    python -m minigrad exercises status
    python -m minigrad exercises prepare
    python -m minigrad exercises refresh 05_lstm_cell
    python -m minigrad exercises move 05_lstm_cell

This module does not import the grader: the grader calls it (`notice_for`, `notice_in_kernel`,
`default_grade_path`).
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

WORK = "my-work"
EXERCISES = "exercises"
# notebook.metadata[RECORD] = {"exercise", "version", "parts", "course"}
RECORD = "minigrad"

# check("part.name", ...) in a code cell: the parts an exercise notebook asks for, as its text
# says them. (What is graded is the course's manifest; this only tells two versions apart.)
CHECK_CALL = re.compile(r"""\bcheck\(\s*(["'])([^"'\n]+)\1""")

# What `refresh NAME` writes beside my-work/NAME.ipynb: NAME.new.ipynb, NAME.new2.ipynb, ...
REFRESHED = re.compile(r"^(?P<exercise>.+)\.new\d*$")
# What `move NAME` writes when my-work/NAME.ipynb is taken already.
MOVED_SUFFIX = ".from-exercises"


class WorkspaceError(Exception):
    """Something a learner can fix: said in words, with the command that fixes it."""


# ----------------------------------------------------------------------------------------------
# The course and its blank exercises
# ----------------------------------------------------------------------------------------------


def find_course(start: Path) -> Path | None:
    """The course folder holding `start` (the nearest one with `exercises/build.py`), or None."""
    start = start.resolve()
    for folder in [start, *start.parents]:
        if (folder / EXERCISES / "build.py").is_file():
            return folder
    return None


def course_root(start: Path | None = None) -> Path:
    """The course folder holding `start` (default: the current folder), or a WorkspaceError."""
    start = Path.cwd() if start is None else start
    root = find_course(start)
    if root is None:
        raise WorkspaceError(
            f"expected to run inside the course folder (the one holding {EXERCISES}/ and "
            f"{WORK}/), but {start} is not inside one: cd into the course first"
        )
    return root


@cache
def _builder(build_script: Path) -> ModuleType:
    """`exercises/build.py` of a course, loaded as a module: it makes the blank exercises."""
    digest = hashlib.sha256(str(build_script).encode()).hexdigest()[:8]
    spec = importlib.util.spec_from_file_location(f"_exercise_builder_{digest}", build_script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def exercise_names(root: Path) -> list[str]:
    """The course's exercises, e.g. ["01_scalar_autograd", ...]: one per source file."""
    return sorted(path.stem for path in (root / EXERCISES / "source").glob("*.py"))


def blank_exercise(root: Path, name: str) -> Any:
    """The course's current blank exercise `name`, made from its source (an nbformat node)."""
    source = root / EXERCISES / "source" / f"{name}.py"
    if not source.is_file():
        raise WorkspaceError(unknown_exercise(root, name))
    return _builder(root / EXERCISES / "build.py").build_notebooks(source)[0]


def unknown_exercise(root: Path, name: str) -> str:
    names = exercise_names(root)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.4)
    did_you_mean = f" Did you mean {close[0]}?" if close else ""
    return f"no exercise named {name!r}.{did_you_mean} The exercises are: {', '.join(names)}"


def cell_sources(notebook: Any) -> list[tuple[str, str]]:
    """What a notebook says, without outputs: each cell's (type, source)."""
    return [(cell["cell_type"], _text(cell.get("source", ""))) for cell in notebook["cells"]]


def _text(source: str | list[str]) -> str:
    # a notebook on disk may store a cell's source as a list of lines
    return source if isinstance(source, str) else "".join(source)


def parts_in(notebook: Any) -> list[str]:
    """The part names of the notebook's check("...") calls, in order, once each."""
    names: list[str] = []
    for kind, source in cell_sources(notebook):
        if kind == "code":
            for match in CHECK_CALL.finditer(source):
                if match.group(2) not in names:
                    names.append(match.group(2))
    return names


def version_of(notebook: Any) -> str:
    """A content hash of a blank exercise: equal hashes, equal exercises."""
    text = json.dumps(cell_sources(notebook), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def course_version() -> str:
    """The course's version string (the minigrad package's)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("minigrad")
    except PackageNotFoundError:
        return "unknown"


def record_for(name: str, blank: Any) -> dict[str, Any]:
    """The metadata a copy of the blank exercise `name` keeps: which version it came from."""
    return {
        "exercise": name,
        "version": version_of(blank),
        "parts": parts_in(blank),
        "course": course_version(),
    }


# ----------------------------------------------------------------------------------------------
# The learner's copies
# ----------------------------------------------------------------------------------------------


@dataclass
class Copy:
    """A notebook in my-work/ that is a copy of a course exercise."""

    path: Path
    exercise: str  # the course exercise it is a copy of
    record: dict[str, Any] | None  # None for a copy made by hand (no metadata)
    parts: list[str]  # the parts it was made with (from the record), else those it checks


def read_json_notebook(path: Path) -> dict[str, Any]:
    """A notebook file as JSON, or a WorkspaceError naming the file and the problem."""
    try:
        text = path.read_text(encoding="utf-8")
        notebook = json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        if isinstance(error, ValueError) and "\n<<<<<<< " in f"\n{text}":
            raise WorkspaceError(
                f"{path} holds git's conflict markers (<<<<<<<): a merge stopped inside it. "
                "`git merge --abort` puts it back as it was before the pull"
            ) from None
        raise WorkspaceError(f"cannot read {path} as a notebook: {error}") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise WorkspaceError(f"{path} is not a notebook: expected JSON with a list of cells")
    return notebook


def identify(root: Path, path: Path) -> Copy | None:
    """Which course exercise the notebook at `path` is a copy of, or None for a notebook of
    the learner's own. Read from its record, or (for a copy made by hand) from the parts it
    checks: the exercise that shares the most of them."""
    notebook = read_json_notebook(path)
    record = notebook.get("metadata", {}).get(RECORD)
    if isinstance(record, dict) and isinstance(record.get("exercise"), str):
        parts = [p for p in record.get("parts", []) if isinstance(p, str)]
        return Copy(path, record["exercise"], record, parts)
    parts = parts_in(notebook)
    best = closest_exercise(root, parts)
    return None if best is None else Copy(path, best, None, parts)


def closest_exercise(root: Path, parts: list[str]) -> str | None:
    """The course exercise that checks the most of `parts` (None when none checks any)."""
    shared = {
        name: len(set(parts) & set(parts_in(blank_exercise(root, name))))
        for name in exercise_names(root)
    }
    best = max(shared, key=shared.get, default=None)
    return best if best is not None and shared[best] > 0 else None


def copies_in(root: Path) -> list[Copy]:
    """The copies of course exercises in my-work/, in file-name order."""
    found = []
    for path in sorted((root / WORK).glob("*.ipynb")):
        try:
            found.append(identify(root, path))
        except WorkspaceError:
            continue  # not readable as a notebook: no copy of an exercise, whatever it is
    return [copy for copy in found if copy is not None]


def changes(root: Path, copy: Copy) -> str | None:
    """What changed in the course's exercise since `copy` was made, in words; None if nothing.

    Three cases: the same parts with a changed text or code; new parts (answers to the others
    keep scoring); and a much older copy, whose parts are not all in the course any more (or
    which has no record of its version at all), so some of its answers cannot score.
    """
    name = copy.exercise
    where = relative(root, copy.path)
    if name not in exercise_names(root):
        moved_to = closest_exercise(root, copy.parts)
        if moved_to is None:
            return (
                f"{where} is a copy of the exercise {name}, which the course no longer has: "
                "none of its parts is graded any more."
            )
        return (
            f"{where} is a copy of the exercise {name}, which the course has renamed or "
            f"merged into {moved_to}. Run `python -m minigrad exercises prepare` to get "
            f"{moved_to}, then move your answers across."
        )
    blank = blank_exercise(root, name)
    if copy.record is not None and copy.record.get("version") == version_of(blank):
        return None
    now = parts_in(blank)
    new = [part for part in now if part not in copy.parts]
    gone = [part for part in copy.parts if part not in now]
    refresh = (
        f"Run `python -m minigrad exercises refresh {name}` to get the new version beside "
        "yours, then move your answers across."
    )
    if copy.record is None:
        return (
            f"{where} has no record of the course version it was copied from (it was copied "
            f"by hand, or before the course kept records), so it may be much older than the "
            f"exercise {name}." + _parts_sentence(new, gone) + f" {refresh}"
        )
    if gone:
        made_with = copy.record.get("course", "an older course")
        return (
            f"{where} is from a much older version of the exercise {name} (course "
            f"{made_with}, now {course_version()}): its parts {', '.join(gone)} are no longer "
            f"in the course, so their answers score nothing."
            + _parts_sentence(new, [])
            + f" {refresh}"
        )
    if new:
        return (
            f"The exercise {name} changed since your copy {where} was made: new parts "
            f"{', '.join(new)}. Your answers to the other parts still score. {refresh}"
        )
    return (
        f"The exercise {name} changed since your copy {where} was made (its text or code; "
        f"the parts are the same, and your answers still score). {refresh}"
    )


def _parts_sentence(new: list[str], gone: list[str]) -> str:
    words = []
    if new:
        words.append(f" New parts in the course: {', '.join(new)}.")
    if gone:
        words.append(f" Parts no longer in the course: {', '.join(gone)}.")
    return "".join(words)


def relative(root: Path, path: Path) -> str:
    """`path` as the learner would type it in the course folder."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


# ----------------------------------------------------------------------------------------------
# The old way: answers written into exercises/
# ----------------------------------------------------------------------------------------------


def has_edits(root: Path, name: str) -> bool:
    """Whether exercises/NAME.ipynb says anything other than the course's blank exercise."""
    path = root / EXERCISES / f"{name}.ipynb"
    if not path.is_file():
        return False
    try:
        notebook = read_json_notebook(path)
    except WorkspaceError:
        return True  # unreadable: better to offer a move than to miss someone's work
    return cell_sources(notebook) != cell_sources(blank_exercise(root, name))


def old_way_words(name: str) -> str:
    return (
        f"{EXERCISES}/{name}.ipynb holds edits of yours: it is the course's own file, which "
        f"the next update would conflict with or replace. Your work now lives in {WORK}/: "
        f"`python -m minigrad exercises move {name}` copies your edits there (nothing is "
        "discarded)."
    )


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)


def _give_back_to_course(root: Path, name: str) -> str:
    """Restore the course's blank exercises/NAME.ipynb from git, once the learner's edits are
    safe in my-work/; returns what was done, in words."""
    path = f"{EXERCISES}/{name}.ipynb"
    blank = cell_sources(blank_exercise(root, name))
    try:
        log = _git(root, "log", "--format=%H", "-n", "50", "--", path)
    except OSError:
        log = None
    if log is None or log.returncode != 0:
        return (
            f"{path} still holds your edits (this is not a git clone, so the course's version "
            "cannot be restored here); your copy in my-work/ is the one to work in."
        )
    for number, commit in enumerate(["HEAD", *log.stdout.split()]):
        shown = _git(root, "show", f"{commit}:{path}")
        if shown.returncode != 0:
            continue
        try:
            if cell_sources(json.loads(shown.stdout)) != blank:
                continue
        except (ValueError, KeyError, TypeError):
            continue
        restored = _git(root, "checkout", commit, "--", path)
        if restored.returncode != 0:
            break
        if number == 0:
            return f"{path} is the course's blank again, so `git pull` can update it."
        return (
            f"{path} is the course's blank again (your edits to it were committed: commit "
            f"this change, e.g. `git commit -m 'Move my work to {WORK}/'`, before you pull)."
        )
    return (
        f"{path} still holds your edits: git has no blank version of it to restore. Your copy "
        f"in {WORK}/ is the one to work in; when a pull conflicts on {path}, take the "
        f"course's version: `git checkout --theirs {path}`."
    )


# ----------------------------------------------------------------------------------------------
# The commands
# ----------------------------------------------------------------------------------------------


def deleted_words(root: Path) -> str:
    return (
        f"the folder {WORK}/, where your copies of the exercises live, does not exist in "
        f"{root} (deleted?). If it held work you had committed, `git checkout -- {WORK}` "
        f"brings it back; `make lab` (or `python -m minigrad exercises prepare`) makes it "
        "afresh, with blank copies of the exercises."
    )


def write_copy(root: Path, name: str, path: Path) -> None:
    """Write the course's blank exercise `name` to `path`, with its record. Never overwrites."""
    import nbformat

    blank = blank_exercise(root, name)
    blank.metadata[RECORD] = record_for(name, blank)
    # "x": create the file, and fail rather than write over one made in the meantime
    with open(path, "x", encoding="utf-8") as file:
        nbformat.write(blank, file)


def prepare(root: Path) -> list[str]:
    """Make my-work/ if needed and copy in every exercise that has no copy there yet.

    Existing files are left alone; an exercise edited the old way in exercises/ is not copied
    blank (`move` copies the edits instead). Returns what was done, one line each.
    """
    work = root / WORK
    said = []
    if not work.is_dir():
        # my-work/README.md is tracked, so a missing folder was deleted
        work.mkdir(parents=True)
        said.append(
            f"{WORK}/ was missing (deleted?) and has been made again. If it held work you had "
            f"committed, `git checkout -- {WORK}` brings it back."
        )
    covered = {copy.exercise for copy in copies_in(root)}
    copied = []
    for name in exercise_names(root):
        path = work / f"{name}.ipynb"
        if name in covered:
            continue
        if has_edits(root, name):
            said.append(old_way_words(name))
        elif path.exists():
            said.append(f"{WORK}/{path.name} is not a copy of the exercise {name}: left alone.")
        else:
            write_copy(root, name, path)
            copied.append(name)
    if copied:
        said.append(f"copied into {WORK}/: {', '.join(copied)}")
    said.append(f"{WORK}/ holds your exercises: the course never writes over a file there.")
    return said


def status(root: Path) -> list[str]:
    """Every copy in my-work/ and what is wrong with it, if anything: one line each."""
    if not (root / WORK).is_dir():
        return [deleted_words(root)]
    copies = copies_in(root)
    lines, missing = [], []
    by_exercise: dict[str, list[Copy]] = {}
    for copy in copies:
        by_exercise.setdefault(copy.exercise, []).append(copy)
    for name in exercise_names(root):
        mine = by_exercise.get(name, [])
        if has_edits(root, name):
            lines.append(old_way_words(name))
        if not mine:
            missing.append(name)
            continue
        if len(mine) > 1:
            files = ", ".join(copy.path.name for copy in mine)
            lines.append(
                f"{name}: {len(mine)} copies in {WORK}/ ({files}), and the grader grades each. "
                "Once your answers are in one of them, delete the others (or move them out of "
                f"{WORK}/)."
            )
        for copy in mine:
            lines.append(_copy_line(root, copy))
    for copy in copies:
        if copy.exercise not in exercise_names(root):
            lines.append(changes(root, copy))
    if missing:
        lines.append(
            f"no copy in {WORK}/ of {', '.join(missing)}: run `make lab` (or `python -m minigrad "
            "exercises prepare`) to copy them in."
        )
    return lines


def _copy_line(root: Path, copy: Copy) -> str:
    where = relative(root, copy.path)
    changed = changes(root, copy)
    refreshed = REFRESHED.match(copy.path.stem)
    if refreshed and refreshed.group("exercise") == copy.exercise:
        label = f"{where}: the new version of {copy.exercise}, written by `refresh`."
    elif copy.path.stem != copy.exercise:
        label = (
            f"{where}: your copy of {copy.exercise}, renamed. That is fine: it is graded as it "
            f"is, and `prepare` will not copy {copy.exercise} in again."
        )
    else:
        label = ""
    if changed is None:
        return f"{label} Up to date." if label else f"{where}: up to date."
    return f"{label} {changed}" if label else changed


def refresh(root: Path, name: str) -> list[str]:
    """Write the course's current exercise `name` beside the learner's copy, never over it."""
    if name.endswith(".ipynb"):
        name = name[: -len(".ipynb")]
    blank = blank_exercise(root, name)  # an unknown name stops here, with the known ones
    work = root / WORK
    if not work.is_dir():
        raise WorkspaceError(deleted_words(root))
    mine = [copy for copy in copies_in(root) if copy.exercise == name]
    current = version_of(blank)
    if not mine:
        write_copy(root, name, work / f"{name}.ipynb")
        return [f"you had no copy of {name}: wrote {WORK}/{name}.ipynb."]
    for copy in mine:
        if copy.record is not None and copy.record.get("version") == current:
            where = relative(root, copy.path)
            return [f"{where} is already the course's current version of {name}: nothing written."]
    number, path = 1, work / f"{name}.new.ipynb"
    while path.exists():
        number += 1
        path = work / f"{name}.new{number}.ipynb"
    write_copy(root, name, path)
    yours = ", ".join(relative(root, copy.path) for copy in mine)
    return [
        changes(root, mine[0]) or "",
        f"wrote {relative(root, path)}, the course's current version of {name}, beside your "
        f"copy {yours}, which is unchanged.",
        f"Move your answers across (each function's body), then delete your old copy and "
        f"rename {path.name} to {name}.ipynb, so that the exercise is graded once.",
    ]


def move(root: Path, name: str) -> list[str]:
    """Copy the edits made in exercises/NAME.ipynb into my-work/, then give the file back to
    the course. Nothing is discarded: the file is restored only once the copy is written."""
    if name.endswith(".ipynb"):
        name = name[: -len(".ipynb")]
    blank = blank_exercise(root, name)
    source = root / EXERCISES / f"{name}.ipynb"
    if not has_edits(root, name):
        return [f"{EXERCISES}/{name}.ipynb holds no edits of yours: nothing to move."]
    work = root / WORK
    work.mkdir(exist_ok=True)
    target = work / f"{name}.ipynb"
    if target.exists():
        target = work / f"{name}{MOVED_SUFFIX}.ipynb"
    if target.exists():
        raise WorkspaceError(
            f"both {WORK}/{name}.ipynb and {relative(root, target)} exist: rename one, then "
            f"run `python -m minigrad exercises move {name}` again"
        )
    # as JSON, not through nbformat: every byte of the learner's cells and outputs is kept
    notebook = read_json_notebook(source)
    edited_cells = notebook["cells"]
    notebook.setdefault("metadata", {})[RECORD] = record_for(name, blank) | {
        "parts": parts_in(notebook)
    }
    with open(target, "x", encoding="utf-8") as file:
        file.write(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    if read_json_notebook(target)["cells"] != edited_cells:
        raise WorkspaceError(
            f"the copy {relative(root, target)} does not match {EXERCISES}/{name}.ipynb; "
            f"{EXERCISES}/{name}.ipynb was left as it is, with your edits"
        )
    return [
        f"copied your edits from {EXERCISES}/{name}.ipynb to {relative(root, target)}.",
        _give_back_to_course(root, name),
    ]


# ----------------------------------------------------------------------------------------------
# For the grader and check(...)
# ----------------------------------------------------------------------------------------------


def default_grade_path(start: Path | None = None) -> Path:
    """The folder `python -m minigrad grade` grades when given no path: the course's my-work/,
    as a path relative to the current folder when it is below it."""
    root = course_root(start)
    work = root / WORK
    if not work.is_dir():
        raise WorkspaceError(deleted_words(root))
    if not any(work.glob("*.ipynb")):
        raise WorkspaceError(
            f"{WORK}/ holds no exercise notebooks yet: run `make lab` (or `python -m minigrad "
            "exercises prepare`) to copy them in"
        )
    return Path(os.path.relpath(work))


def notice_for(notebook_path: Path) -> str | None:
    """What the learner should know about the notebook at `notebook_path` before trusting its
    score, or None: the course's exercise changed since this copy was made, or this is the
    course's own file in exercises/ with edits in it.

    A copy is a notebook that records its version, or any exercise notebook in a folder named
    my-work/ (a fork's, too); other notebooks (the solutions, a test's) get no notice. The
    course compared with is the one around the current folder (the grading course, for a
    teacher grading a fork's copies), else the one around the notebook.
    """
    path = Path(notebook_path)
    root = find_course(Path.cwd()) or find_course(path.parent)
    if root is None or path.suffix != ".ipynb" or not path.is_file():
        return None
    try:
        if path.resolve().parent == (root / EXERCISES).resolve():
            return old_way_words(path.stem) if has_edits(root, path.stem) else None
        copy = identify(root, path)
        if copy is None or (copy.record is None and path.resolve().parent.name != WORK):
            return None
        return changes(root, copy)
    except (WorkspaceError, ImportError, ValueError):
        # an unreadable notebook (the grader says so in its own words), a course source that
        # does not build, or no nbformat in a kernel: a notice must never break check(...)
        return None


_noticed: set[str] = set()


def notice_in_kernel() -> str | None:
    """`notice_for` the notebook this Jupyter kernel runs, the first time it is asked, else None.

    JupyterLab's server tells a kernel its notebook's path in JPY_SESSION_NAME; a kernel
    started otherwise (the grader's, nbval's) has none, and gets no notice.
    """
    path = os.environ.get("JPY_SESSION_NAME", "")
    if not path.endswith(".ipynb") or path in _noticed:
        return None
    _noticed.add(path)
    notebook = Path(path)
    root = find_course(notebook.parent)
    if root is not None and notebook.parent.resolve() == (root / EXERCISES).resolve():
        # answers typed here may not be saved yet, so say it whether or not the file has edits
        return (
            f"This is {EXERCISES}/{notebook.name}, the course's own copy of the exercise, which "
            f"the next update of the course replaces. Write your answers in "
            f"{WORK}/{notebook.name} (`make lab` makes it). Answers you wrote here already: "
            f"save, then run `python -m minigrad exercises move {notebook.stem}`."
        )
    return notice_for(notebook)


# ----------------------------------------------------------------------------------------------
# python -m minigrad exercises status|prepare|refresh NAME|move NAME
# ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """`python -m minigrad exercises`: 0 when done, 1 when something must be fixed first."""
    parser = argparse.ArgumentParser(
        prog="python -m minigrad exercises",
        description=f"Your copies of the exercises, in {WORK}/: the course never writes over them.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("status", help="what is in my-work/, and whether the course changed it")
    commands.add_parser("prepare", help="make my-work/ and copy in the exercises it lacks")
    for command, words in [
        ("refresh", "write the course's new version of an exercise beside your copy"),
        ("move", "copy the edits you made in exercises/NAME.ipynb into my-work/"),
    ]:
        sub = commands.add_parser(command, help=words)
        sub.add_argument("name", help="the exercise, e.g. 05_lstm_cell")
    args = parser.parse_args(argv)
    try:
        root = course_root()
        if args.command == "status":
            lines = status(root)
        elif args.command == "prepare":
            lines = prepare(root)
        elif args.command == "refresh":
            lines = refresh(root, args.name)
        else:
            lines = move(root, args.name)
    except WorkspaceError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 1
    print("\n".join(line for line in lines if line))
    return 0
