"""The learner's folder, my-work/: copies the course never writes over, and what happens to
them when the course changes.

Most tests build a small course in a temporary folder (the real `exercises/build.py`, with
sources of one or two parts); one plays the whole story on a git clone of this repository:
prepare, solve a part, commit, the course adds a part upstream, pull, grade, refresh.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from minigrad import __main__ as cli
from minigrad.course import workspace
from minigrad.course.grading import grader
from minigrad.course.grading.check import check
from minigrad.course.workspace import WORK, WorkspaceError

REPO = Path(__file__).resolve().parents[1]

SQUARE = '''
# %% [markdown]
# ## Part 1: a square
# %%
def square(x):
    """x squared."""
    # BEGIN SOLUTION
    return x * x
    # END SOLUTION


check("demo.square", square)
'''

OUTER = '''
# %% [markdown]
# ## Part 2: an outer product
# %%
def outer(u, v):
    """The outer product of u (n,) and v (m,): (n, m)."""
    # BEGIN SOLUTION
    return u[:, None] * v[None, :]
    # END SOLUTION


check("demo.outer", outer)
'''

HEADER = """# %% [markdown]
# # A demo exercise
# %%
from minigrad.course.grading.check import check
"""


def write_source(root: Path, name: str, *parts: str) -> None:
    (root / "exercises" / "source" / f"{name}.py").write_text(HEADER + "".join(parts))


def make_course(root: Path, **exercises: tuple[str, ...]) -> Path:
    """A course folder at `root`: the real generator, one source per exercise, my-work/."""
    (root / "exercises" / "source").mkdir(parents=True)
    (root / "solutions").mkdir()
    shutil.copy(REPO / "exercises" / "build.py", root / "exercises" / "build.py")
    for name, parts in exercises.items():
        write_source(root, name, *parts)
    (root / WORK).mkdir()
    (root / WORK / "README.md").write_text("Your exercises live here.\n")
    return root


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A course of two exercises, the current folder, with my-work/ holding only its README."""
    root = make_course(tmp_path / "course", d1_demo=(SQUARE,), d2_demo=(OUTER,))
    monkeypatch.chdir(root)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    return root


def record(path: Path) -> dict:
    return json.loads(path.read_text())["metadata"][workspace.RECORD]


def solve(path: Path, part: str, code: str) -> None:
    """Write `code` into the cell of `path` that checks `part`, as a learner saving it would."""
    notebook = nbformat.read(path, as_version=4)
    cells = [cell for cell in notebook.cells if f'check("{part}"' in cell.source]
    assert len(cells) == 1, f"expected one cell checking {part} in {path}, found {len(cells)}"
    cells[0].source = code
    nbformat.write(notebook, path)


# ----------------------------------------------------------------------------------------------
# prepare: a copy of every exercise, never over a file
# ----------------------------------------------------------------------------------------------


def test_prepare_copies_every_exercise_with_the_version_it_came_from(course):
    said = workspace.prepare(course)
    assert "copied into my-work/: d1_demo, d2_demo" in said
    copy = record(course / WORK / "d1_demo.ipynb")
    blank = workspace.blank_exercise(course, "d1_demo")
    assert copy["exercise"] == "d1_demo"
    assert copy["version"] == workspace.version_of(blank)
    assert copy["parts"] == ["demo.square"]
    assert copy["course"] == workspace.course_version()
    assert workspace.cell_sources(nbformat.read(course / WORK / "d1_demo.ipynb", 4)) == (
        workspace.cell_sources(blank)
    )


def test_prepare_leaves_existing_copies_alone_and_copies_a_new_exercise(course):
    workspace.prepare(course)
    mine = course / WORK / "d1_demo.ipynb"
    solve(mine, "demo.square", 'def square(x):\n    return x * x\n\ncheck("demo.square", square)')
    (course / WORK / "d2_demo.ipynb").unlink()  # a copy the learner deleted on purpose...
    before = mine.read_bytes()
    write_source(course, "d3_demo", OUTER)
    said = workspace.prepare(course)
    assert mine.read_bytes() == before
    assert "copied into my-work/: d2_demo, d3_demo" in said  # ...comes back blank
    assert (course / WORK / "d3_demo.ipynb").is_file()


def test_prepare_never_writes_over_a_file_of_the_same_name(course):
    (course / WORK / "d1_demo.ipynb").write_text("my notes, not a notebook")
    said = workspace.prepare(course)
    assert (course / WORK / "d1_demo.ipynb").read_text() == "my notes, not a notebook"
    assert "my-work/d1_demo.ipynb is not a copy of the exercise d1_demo: left alone." in said


# ----------------------------------------------------------------------------------------------
# Knowing when an exercise changed
# ----------------------------------------------------------------------------------------------


def test_no_notice_for_a_copy_of_the_current_version(course):
    workspace.prepare(course)
    assert workspace.notice_for(course / WORK / "d1_demo.ipynb") is None


def test_a_new_part_upstream_is_named_in_the_notice(course):
    workspace.prepare(course)
    write_source(course, "d1_demo", SQUARE, OUTER)
    notice = workspace.notice_for(course / WORK / "d1_demo.ipynb")
    assert "new parts demo.outer" in notice
    assert "still score" in notice
    assert "python -m minigrad exercises refresh d1_demo" in notice


def test_a_changed_text_with_the_same_parts_is_noticed(course):
    workspace.prepare(course)
    write_source(course, "d1_demo", SQUARE.replace("a square", "the square of x"))
    notice = workspace.notice_for(course / WORK / "d1_demo.ipynb")
    assert "the parts are the same" in notice


def test_a_copy_whose_parts_left_the_course_is_much_older(course):
    workspace.prepare(course)
    write_source(course, "d1_demo", SQUARE.replace("demo.square", "demo.sigmoid"))
    notice = workspace.notice_for(course / WORK / "d1_demo.ipynb")
    assert "much older version of the exercise d1_demo" in notice
    assert "demo.square are no longer in the course" in notice
    assert "New parts in the course: demo.sigmoid" in notice


def test_a_copy_made_by_hand_has_no_record_and_is_compared_by_its_parts(course):
    write_source(course, "d1_demo", SQUARE, OUTER)
    blank = workspace.blank_exercise(course, "d1_demo")
    blank.cells = [cell for cell in blank.cells if "demo.outer" not in cell.source]
    nbformat.write(blank, course / WORK / "mine.ipynb")
    notice = workspace.notice_for(course / WORK / "mine.ipynb")
    assert "has no record of the course version" in notice
    assert "New parts in the course: demo.outer" in notice


def test_a_notebook_of_the_learners_own_gets_no_notice(course):
    nbformat.write(nbformat.v4.new_notebook(), course / WORK / "scratch.ipynb")
    assert workspace.notice_for(course / WORK / "scratch.ipynb") is None
    assert workspace.notice_for(course / WORK / "README.md") is None


def test_check_in_a_lab_kernel_adds_the_notice_once(course, monkeypatch, capsys):
    workspace.prepare(course)
    write_source(course, "d1_demo", SQUARE, OUTER)
    # JupyterLab's server names the kernel's notebook in JPY_SESSION_NAME
    monkeypatch.setenv("JPY_SESSION_NAME", str(course / WORK / "d1_demo.ipynb"))
    monkeypatch.setattr(workspace, "_noticed", set())
    check("demo.square", lambda x: x * x)
    first = capsys.readouterr().out
    check("demo.square", lambda x: x * x)
    second = capsys.readouterr().out
    assert "passed" in first and "new parts demo.outer" in first
    assert second == "demo.square: passed, 1/1 points.\n"


# ----------------------------------------------------------------------------------------------
# refresh: the new version beside the learner's copy
# ----------------------------------------------------------------------------------------------


def test_refresh_writes_the_new_version_beside_the_copy(course):
    workspace.prepare(course)
    mine = course / WORK / "d1_demo.ipynb"
    before = mine.read_bytes()
    write_source(course, "d1_demo", SQUARE, OUTER)
    said = "\n".join(workspace.refresh(course, "d1_demo"))
    new = course / WORK / "d1_demo.new.ipynb"
    assert mine.read_bytes() == before
    assert record(new)["parts"] == ["demo.square", "demo.outer"]
    assert "wrote my-work/d1_demo.new.ipynb" in said and "which is unchanged" in said
    assert workspace.notice_for(new) is None
    # a second refresh finds the current version there and writes nothing more
    assert "nothing written" in workspace.refresh(course, "d1_demo")[0]
    assert sorted(p.name for p in (course / WORK).glob("d1_demo*")) == [
        "d1_demo.ipynb",
        "d1_demo.new.ipynb",
    ]


def test_refresh_never_writes_over_an_earlier_refresh(course):
    workspace.prepare(course)
    write_source(course, "d1_demo", SQUARE, OUTER)
    workspace.refresh(course, "d1_demo")
    earlier = (course / WORK / "d1_demo.new.ipynb").read_bytes()
    write_source(course, "d1_demo", OUTER, SQUARE)
    (course / WORK / "d1_demo.new.ipynb").unlink()
    (course / WORK / "d1_demo.new.ipynb").write_bytes(earlier.replace(b"sha256:", b"sha256:0"))
    workspace.refresh(course, "d1_demo")
    assert (course / WORK / "d1_demo.new2.ipynb").is_file()


def test_refresh_of_an_unknown_exercise_names_the_known_ones(course):
    with pytest.raises(WorkspaceError, match="no exercise named 'd1_dmeo'. Did you mean d1_demo"):
        workspace.refresh(course, "d1_dmeo")


# ----------------------------------------------------------------------------------------------
# Bad states, in words
# ----------------------------------------------------------------------------------------------


def test_status_names_the_exercises_without_a_copy(course):
    workspace.prepare(course)
    (course / WORK / "d2_demo.ipynb").unlink()
    assert workspace.status(course) == [
        "my-work/d1_demo.ipynb: up to date.",
        "no copy in my-work/ of d2_demo: run `make lab` (or `python -m minigrad exercises "
        "prepare`) to copy them in.",
    ]


def test_a_deleted_folder_is_named_with_the_way_back(course):
    shutil.rmtree(course / WORK)
    assert "does not exist" in workspace.status(course)[0]
    with pytest.raises(WorkspaceError, match=r"git checkout -- my-work"):
        workspace.default_grade_path()
    said = workspace.prepare(course)
    assert "was missing (deleted?)" in said[0]
    assert (course / WORK / "d1_demo.ipynb").is_file()


def test_a_renamed_copy_is_recognised_and_not_copied_again(course):
    workspace.prepare(course)
    (course / WORK / "d1_demo.ipynb").rename(course / WORK / "squares.ipynb")
    workspace.prepare(course)
    assert not (course / WORK / "d1_demo.ipynb").exists()
    lines = workspace.status(course)
    assert any(
        line.startswith("my-work/squares.ipynb: your copy of d1_demo, renamed") for line in lines
    )


def test_two_copies_of_one_exercise_are_named(course):
    workspace.prepare(course)
    shutil.copy(course / WORK / "d1_demo.ipynb", course / WORK / "d1_demo-backup.ipynb")
    assert any("2 copies in my-work/" in line for line in workspace.status(course))


def test_an_exercise_renamed_by_the_course_points_to_its_new_name(course):
    workspace.prepare(course)
    (course / "exercises" / "source" / "d1_demo.py").rename(
        course / "exercises" / "source" / "d9_squares.py"
    )
    notice = workspace.notice_for(course / WORK / "d1_demo.ipynb")
    assert "renamed or merged into d9_squares" in notice


def git(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Learner",
        "GIT_AUTHOR_EMAIL": "learner@example.org",
        "GIT_COMMITTER_NAME": "Learner",
        "GIT_COMMITTER_EMAIL": "learner@example.org",
    }
    return subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, env=env, timeout=120
    )


def commit_all(folder: Path, message: str) -> None:
    assert git(folder, "add", "-A").returncode == 0
    done = git(folder, "commit", "-q", "-m", message)
    assert done.returncode == 0, done.stderr


def build_exercises(root: Path) -> None:
    done = subprocess.run(
        [sys.executable, "exercises/build.py", "--no-execute"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_edits_made_the_old_way_are_found_and_moved_never_discarded(course):
    build_exercises(course)
    assert git(course, "init", "-q").returncode == 0
    commit_all(course, "The course")
    old_way = course / "exercises" / "d1_demo.ipynb"
    solve(
        old_way, "demo.square", 'def square(x):\n    return x * x\n\ncheck("demo.square", square)'
    )
    edited = workspace.cell_sources(nbformat.read(old_way, 4))

    assert any(
        "exercises/d1_demo.ipynb holds edits of yours" in line for line in workspace.status(course)
    )
    said = workspace.prepare(course)
    assert not (course / WORK / "d1_demo.ipynb").exists(), "a blank copy would hide the edits"
    assert any("exercises move d1_demo" in line for line in said)
    assert "exercises/d1_demo.ipynb" in workspace.notice_for(old_way)

    said = workspace.move(course, "d1_demo")
    moved = course / WORK / "d1_demo.ipynb"
    assert workspace.cell_sources(nbformat.read(moved, 4)) == edited
    assert record(moved)["exercise"] == "d1_demo"
    assert "is the course's blank again" in said[1]
    assert git(course, "status", "--porcelain", "exercises").stdout == ""
    assert not workspace.has_edits(course, "d1_demo")


def test_edits_committed_the_old_way_are_moved_and_the_blank_restored_from_history(course):
    build_exercises(course)
    assert git(course, "init", "-q").returncode == 0
    commit_all(course, "The course")
    old_way = course / "exercises" / "d1_demo.ipynb"
    solve(old_way, "demo.square", "def square(x):\n    return x * x  # mine")
    commit_all(course, "My answer, in exercises/")
    said = workspace.move(course, "d1_demo")
    assert "# mine" in (course / WORK / "d1_demo.ipynb").read_text()
    assert "commit this change" in said[1]
    assert not workspace.has_edits(course, "d1_demo")
    assert git(course, "status", "--porcelain", "exercises").stdout.strip() == (
        "M  exercises/d1_demo.ipynb"
    )


def test_a_lab_kernel_in_exercises_points_to_my_work(course, monkeypatch):
    build_exercises(course)
    monkeypatch.setenv("JPY_SESSION_NAME", str(course / "exercises" / "d1_demo.ipynb"))
    monkeypatch.setattr(workspace, "_noticed", set())
    notice = workspace.notice_in_kernel()
    assert "Write your answers in my-work/d1_demo.ipynb" in notice
    assert "python -m minigrad exercises move d1_demo" in notice
    assert workspace.notice_in_kernel() is None  # once per kernel


def test_a_notebook_with_conflict_markers_is_named_as_a_stopped_merge(course):
    build_exercises(course)
    old_way = course / "exercises" / "d1_demo.ipynb"
    old_way.write_text("<<<<<<< HEAD\n" + old_way.read_text() + "=======\n>>>>>>> origin/main\n")
    with pytest.raises(WorkspaceError, match="conflict markers.*git merge --abort"):
        workspace.move(course, "d1_demo")


def test_moving_without_edits_moves_nothing(course):
    build_exercises(course)
    assert workspace.move(course, "d1_demo") == [
        "exercises/d1_demo.ipynb holds no edits of yours: nothing to move."
    ]


# ----------------------------------------------------------------------------------------------
# The command line and the grader
# ----------------------------------------------------------------------------------------------


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


def test_exercises_command_prepares_and_reports(course):
    status, out, _ = run_cli(["exercises", "prepare"])
    assert status == 0 and "copied into my-work/: d1_demo, d2_demo" in out
    status, out, _ = run_cli(["exercises", "status"])
    assert status == 0
    assert "my-work/d1_demo.ipynb: up to date." in out.splitlines()


def test_exercises_command_fails_in_words_outside_a_course(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, _, err = run_cli(["exercises", "status"])
    assert status == 1
    assert "expected to run inside the course folder" in err


def test_grade_without_a_path_grades_my_work_and_says_what_changed(course):
    workspace.prepare(course)
    (course / WORK / "d2_demo.ipynb").unlink()  # one notebook: a kernel start is slow
    solve(
        course / WORK / "d1_demo.ipynb",
        "demo.square",
        'def square(x):\n    return x * x\n\n\ncheck("demo.square", square)',
    )
    write_source(course, "d1_demo", SQUARE, OUTER)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        # the course's manifest for its new version: the new part counts in the maximum
        status = grader.main(["--timeout", "120"], {"d1_demo.ipynb": ("demo.square", "demo.outer")})
    assert status == 0, err.getvalue()
    report = out.getvalue()
    assert "my-work/d1_demo.ipynb  (1/3 points)" in report
    assert "Note: The exercise d1_demo changed" in report and "new parts demo.outer" in report


def test_grade_without_a_path_and_without_my_work_says_so(course):
    shutil.rmtree(course / WORK)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert grader.main([]) == 1
    assert "my-work/, where your copies of the exercises live, does not exist" in err.getvalue()


# ----------------------------------------------------------------------------------------------
# The whole story, on a clone of this repository
# ----------------------------------------------------------------------------------------------

NEW_PART = '''

# %% [markdown]
# ## Part 5: a square, added by a course update
# %%
def square(x: float) -> float:
    """x squared."""
    # BEGIN SOLUTION
    return x * x
    # END SOLUTION


check("demo.square", square)
'''


def copy_working_tree(destination: Path) -> None:
    """This repository's files as they are now (committed or not, ignored ones left out),
    without the copies in this repository's own my-work/."""
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
    )
    if listed.returncode != 0:  # not a git checkout (a downloaded archive): copy the folder
        skipped = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", "test-artifacts"}
        relative = [path.relative_to(REPO) for path in REPO.rglob("*")]
        names = [path.as_posix() for path in relative if not skipped & set(path.parts)]
    else:
        names = listed.stdout.decode().split("\0")
    for name in sorted(set(filter(None, names))):
        source = REPO / name
        if not source.is_file() or (name.startswith(f"{WORK}/") and name != f"{WORK}/README.md"):
            continue
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination / name)


def test_a_learners_work_survives_a_course_update(tmp_path):
    course, learner = tmp_path / "course", tmp_path / "learner"
    copy_working_tree(course)
    assert git(course, "init", "-q", "-b", "main").returncode == 0
    commit_all(course, "The course")
    assert git(tmp_path, "clone", "-q", str(course), str(learner)).returncode == 0
    # the learner's clone runs its own minigrad, in the kernels the grader starts too
    env = {**os.environ, "PYTHONPATH": str(learner), "PYTHONHASHSEED": "0"}
    env.pop("JPY_SESSION_NAME", None)
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        env.pop(name, None)

    def run(*command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            list(command), cwd=learner, env=env, capture_output=True, text=True, timeout=600
        )

    # prepare my-work/ as `make lab` does, without starting a server
    prepared = run("make", "prepare", f"PY={sys.executable}")
    assert prepared.returncode == 0, prepared.stderr
    name = "01_scalar_autograd"
    mine = learner / WORK / f"{name}.ipynb"
    assert sorted(p.stem for p in (learner / WORK).glob("*.ipynb")) == sorted(
        workspace.exercise_names(learner)
    )

    # solve one part with the worked solution's cell, and commit it
    solution = nbformat.read(learner / "solutions" / f"{name}.ipynb", as_version=4)
    (cell,) = [c for c in solution.cells if 'check("scalar.mul"' in c.source]
    solve(mine, "scalar.mul", cell.source)
    commit_all(learner, "My answer to scalar.mul")
    committed = mine.read_bytes()

    # upstream, the course adds a part to the exercise
    source = course / "exercises" / "source" / f"{name}.py"
    source.write_text(source.read_text() + NEW_PART)
    done = subprocess.run(
        [sys.executable, "exercises/build.py", name, "--no-execute"],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    commit_all(course, "Exercise 1: a new part")

    pulled = git(learner, "pull", "--no-rebase", "-q", "origin", "main")
    assert pulled.returncode == 0, f"the pull stopped:\n{pulled.stdout}\n{pulled.stderr}"
    upstream_exercise = json.loads((learner / "exercises" / f"{name}.ipynb").read_text())
    assert workspace.parts_in(upstream_exercise)[-1] == "demo.square"
    assert mine.read_bytes() == committed
    assert run("make", "prepare", f"PY={sys.executable}").returncode == 0
    assert mine.read_bytes() == committed

    status = run(sys.executable, "-m", "minigrad", "exercises", "status")
    assert f"The exercise {name} changed" in status.stdout and "new parts demo.square" in (
        status.stdout
    )

    report = learner / "grades.json"
    graded = run(
        sys.executable, "-m", "minigrad", "grade", f"{WORK}/{name}.ipynb", "--json", str(report)
    )
    assert graded.returncode == 0, graded.stderr
    parts = {p["name"]: p for p in json.loads(report.read_text())["notebooks"][0]["parts"]}
    assert parts["scalar.mul"]["points"] == parts["scalar.mul"]["max"] > 0
    assert "demo.square" not in parts
    assert "new parts demo.square" in graded.stdout

    refreshed = run(sys.executable, "-m", "minigrad", "exercises", "refresh", name)
    assert refreshed.returncode == 0, refreshed.stderr
    new = learner / WORK / f"{name}.new.ipynb"
    assert workspace.parts_in(json.loads(new.read_text()))[-1] == "demo.square"
    assert mine.read_bytes() == committed
