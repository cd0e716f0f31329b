"""The grading framework: `check` in a notebook, and `python -m minigrad grade`.

The grader tests share one run over a folder of generated notebooks (starting kernels is slow);
the rest need no kernel.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import minigrad
from minigrad import __main__ as cli
from minigrad import grading
from minigrad.checks import PARTS
from minigrad.grading import (
    MIME_TYPE,
    WrongAnswer,
    check,
    expect_close,
    expect_finite,
    expect_in_range,
    expect_shape,
    parts_in,
    run_check,
)

# ----------------------------------------------------------------------------------------------
# Answers for the demo parts, right and wrong
# ----------------------------------------------------------------------------------------------


def square(x):
    return x * x


def sigmoid(x):
    e = np.exp(-np.abs(x))  # at most 1, so nothing overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def outer(u, v):
    return u[:, None] * v[None, :]


def test_check_prints_a_pass_for_a_right_answer(capsys):
    check("demo.square", square)
    assert capsys.readouterr().out == "demo.square: passed, 1/1 points.\n"


def test_check_prints_a_wrong_shape():
    def transposed_outer(u, v):
        return v[:, None] * u[None, :]

    result = run_check("demo.outer", transposed_outer)
    assert result.points == 0
    assert "an array of shape (4, 3), expected an array of shape (3, 4)" in result.message
    assert "transposed" in result.message


def test_check_prints_a_mismatch_with_the_input_that_shows_it(capsys):
    check("demo.square", lambda x: x + x)
    out = capsys.readouterr().out
    assert out.startswith("demo.square: 0/1 points. square(x) is wrong: got -6, expected 9.")
    assert "x = -3" in out


def test_check_prints_not_implemented_yet(capsys):
    def blank(x):
        raise NotImplementedError

    check("demo.square", blank)
    assert "Not implemented yet: blank raises NotImplementedError" in capsys.readouterr().out


def test_check_turns_an_exception_of_the_answer_into_a_message(capsys):
    def broken(u, v):
        return u @ v.T @ np.zeros((7, 7))

    check("demo.outer", broken)  # must not raise
    out = capsys.readouterr().out
    assert "0/2 points" in out
    assert "broken raised ValueError" in out


def test_check_reports_values_out_of_range():
    result = run_check("demo.sigmoid", np.tanh)
    assert result.points == 0
    assert "should lie in [0, 1]" in result.message


def test_check_reports_a_missing_return():
    def forgot_return(x):
        x * x

    assert "returned None" in run_check("demo.square", forgot_return).message


def test_check_reports_an_answer_that_is_not_a_function():
    result = run_check("demo.square", 9.0)
    assert result.points == 0
    assert "not a function" in result.message


def test_check_reports_an_overflow_with_the_check_hint():
    def naive_sigmoid(x):
        with np.errstate(over="ignore", invalid="ignore"):
            return np.exp(x) / (1 + np.exp(x))

    result = run_check("demo.sigmoid", naive_sigmoid)
    assert "is nan at index (1,)" in result.message
    assert "An exp overflows" in result.message


def test_check_accepts_minigrad_tensors_as_answers():
    result = run_check("demo.outer", lambda u, v: minigrad.tensor(outer(u, v)))
    assert (result.points, result.max_points) == (2, 2)


def test_check_raises_for_an_unknown_part_and_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown part 'demo.sqare'") as error:
        check("demo.sqare", square)
    assert "Did you mean 'demo.square'?" in str(error.value)
    assert "demo.outer, demo.sigmoid, demo.square" in str(error.value)


@pytest.mark.parametrize("name, right", [("demo.sigmoid", sigmoid), ("demo.outer", outer)])
def test_demo_parts_pass_a_right_answer(name, right):
    assert run_check(name, right).message == "passed"


def test_every_part_is_worth_whole_positive_points_and_has_a_check():
    for name, part in PARTS.items():
        assert isinstance(part.points, int) and part.points > 0, name
        assert callable(part.check), name


# ----------------------------------------------------------------------------------------------
# The helpers for checking functions
# ----------------------------------------------------------------------------------------------


def test_expect_close_passes_within_tolerance_and_fails_beyond():
    expect_close(np.array([1.0, 2.0]), [1.0, 2.0 + 1e-9])
    with pytest.raises(WrongAnswer, match=r"at index \(1,\): got 2.1, expected 2"):
        expect_close(np.array([1.0, 2.1]), [1.0, 2.0])


def test_expect_close_counts_nan_as_wrong():
    with pytest.raises(WrongAnswer, match="got nan"):
        expect_close(float("nan"), 0.0)


def test_expect_close_shows_each_input_on_its_own_line():
    with pytest.raises(WrongAnswer) as error:
        expect_close(1.0, 2.0, inputs={"a": 0.5, "b": np.array([1.0, 2.0])}, what="f(a, b)")
    assert str(error.value).splitlines()[1:] == ["  a = 0.5", "  b = [1., 2.]"]


def test_expect_shape_reads_the_shape_of_a_tensor():
    expect_shape(minigrad.zeros(2, 3), (2, 3))
    with pytest.raises(WrongAnswer, match=r"is an array of shape \(2, 3\), expected a single"):
        expect_shape(minigrad.zeros(2, 3), ())


def test_expect_in_range_catches_nan():
    with pytest.raises(WrongAnswer, match=r"should lie in \[0, 1\], but is nan at index \(1,\)"):
        expect_in_range([0.5, float("nan")], 0, 1)


def test_expect_finite_catches_inf():
    with pytest.raises(WrongAnswer, match="is inf: it should be a finite number"):
        expect_finite(float("inf"))


def test_helpers_say_when_the_answer_is_not_numbers():
    with pytest.raises(WrongAnswer, match="got a str: 'nine'"):
        expect_close("nine", 9.0, what="square(x)")


# ----------------------------------------------------------------------------------------------
# Finding the parts of a notebook
# ----------------------------------------------------------------------------------------------


def test_parts_are_the_check_calls_of_code_cells_in_order_once():
    notebook = new_notebook(
        cells=[
            new_markdown_cell('check("not.code", f)'),
            new_code_cell(
                'check("b.two", f)\nfrom minigrad import grading\ngrading.check("a.one", g)'
            ),
            new_code_cell("# check('c.three', h)  commented out, still a part\nrun_check('x', f)"),
            new_code_cell('check( "b.two", f)'),
        ]
    )
    assert parts_in(notebook) == ["b.two", "a.one", "c.three"]


# ----------------------------------------------------------------------------------------------
# The command line, where it stops before running anything
# ----------------------------------------------------------------------------------------------


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """grading.main(argv) with its exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = grading.main(argv)
    return status, out.getvalue(), err.getvalue()


def write_notebook(path: Path, sources: list[str]) -> Path:
    """A notebook of code cells (markdown for sources that start with '#md ') at `path`."""
    cells = [
        new_markdown_cell(s[4:]) if s.startswith("#md ") else new_code_cell(s) for s in sources
    ]
    nbformat.write(new_notebook(cells=cells), path)
    return path


def test_grade_fails_on_a_missing_path(tmp_path):
    status, _, err = run_main([str(tmp_path / "nowhere.ipynb")])
    assert status == 1
    assert "no such file or folder" in err


def test_grade_fails_on_a_file_that_is_not_a_notebook(tmp_path):
    (tmp_path / "answers.py").write_text("x = 1\n")
    status, _, err = run_main([str(tmp_path / "answers.py")])
    assert status == 1
    assert "is not a notebook" in err


def test_grade_fails_on_a_folder_without_notebooks(tmp_path):
    status, _, err = run_main([str(tmp_path)])
    assert status == 1
    assert "no notebooks" in err


@pytest.mark.parametrize(
    "text", ["{ this is not json", '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}']
)
def test_grade_fails_on_a_malformed_notebook_before_running_any(tmp_path, text):
    write_notebook(tmp_path / "a_good.ipynb", ["1 + 1"])
    (tmp_path / "b_broken.ipynb").write_text(text)
    status, out, err = run_main([str(tmp_path)])
    assert status == 1
    assert "b_broken.ipynb is not a valid notebook" in err
    assert "running" not in err and out == ""


def test_grade_rejects_a_timeout_that_is_not_positive(tmp_path):
    notebook = write_notebook(tmp_path / "a.ipynb", ["1 + 1"])
    with pytest.raises(SystemExit) as exit_info, contextlib.redirect_stderr(io.StringIO()):
        grading.main([str(notebook), "--timeout", "0"])
    assert exit_info.value.code == 2


def test_cli_without_a_command_prints_usage_and_fails():
    done = subprocess.run(
        [sys.executable, "-m", "minigrad"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "usage: python -m minigrad COMMAND" in done.stderr


def test_cli_dispatches_grade_to_the_grader(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "minigrad", "grade", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "no such file or folder" in done.stderr


def test_cli_rejects_an_unknown_command(capsys):
    assert cli.main(["grde"]) == 2
    assert "unknown command 'grde'" in capsys.readouterr().err


def test_cli_dispatches_train_with_its_arguments(monkeypatch):
    received = []
    fake_train = types.ModuleType("minigrad.train")
    fake_train.main = lambda argv: received.append(argv) or 0
    monkeypatch.setitem(sys.modules, "minigrad.train", fake_train)
    assert cli.main(["train", "--epochs", "3"]) == 0
    assert received == [["--epochs", "3"]]


# ----------------------------------------------------------------------------------------------
# The grader on a folder of notebooks: one shared run
# ----------------------------------------------------------------------------------------------

IMPORTS = "import numpy as np\nfrom minigrad.grading import check"
RIGHT_SQUARE = "def square(x):\n    return x * x\n\ncheck('demo.square', square)"
RIGHT_SIGMOID = (
    "def sigmoid(x):\n"
    "    e = np.exp(-np.abs(x))\n"
    "    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))\n\n"
    "check('demo.sigmoid', sigmoid)"
)
RIGHT_OUTER = "def outer(u, v):\n    return np.outer(u, v)\n\ncheck('demo.outer', outer)"
BLANK = "def {name}(*args):\n    raise NotImplementedError\n\ncheck('demo.{name}', {name})"
TIMEOUT = 10


def stale_full_marks(part: str, points: int) -> dict:
    """A saved output claiming full points, as a file with old outputs might hold."""
    payload = {"part": part, "points": points, "max": points, "message": "passed"}
    return new_output("display_data", data={"text/plain": "passed", MIME_TYPE: payload})


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade a folder of right, blank, raising, looping and crashing notebooks, once."""
    folder = tmp_path_factory.mktemp("exercises")
    write_notebook(
        folder / "1_right.ipynb",
        ["#md # All three parts", IMPORTS, RIGHT_SQUARE, RIGHT_SIGMOID, RIGHT_OUTER],
    )
    write_notebook(
        folder / "2_blank.ipynb",
        [IMPORTS] + [BLANK.format(name=name) for name in ("square", "sigmoid", "outer")],
    )
    write_notebook(
        folder / "3_raises.ipynb",
        [
            IMPORTS,
            RIGHT_SQUARE,
            "raise RuntimeError('boom')\n\ndef outer(u, v):\n    return np.outer(u, v)",
            "check('demo.outer', outer)",
            RIGHT_SIGMOID,
        ],
    )
    looping = write_notebook(
        folder / "4_loops.ipynb",
        [IMPORTS, RIGHT_SQUARE, "while True:\n    pass", RIGHT_OUTER],
    )
    write_notebook(
        folder / "5_crashes.ipynb",
        [IMPORTS, RIGHT_SQUARE, "import os\n\nos._exit(1)", RIGHT_OUTER],
    )
    notebook = nbformat.read(looping, as_version=4)
    notebook.cells[3].outputs = [stale_full_marks("demo.outer", 2)]
    nbformat.write(notebook, looping)

    files = sorted(folder.glob("*.ipynb"))
    before = {path: (path.read_bytes(), os.stat(path).st_mtime_ns) for path in files}
    report = folder.parent / f"{folder.name}-report" / "grades.json"
    status, out, err = run_main([str(folder), "--json", str(report), "--timeout", str(TIMEOUT)])
    after = {path: (path.read_bytes(), os.stat(path).st_mtime_ns) for path in files}
    scores = json.loads(report.read_text())
    parts = {
        Path(nb["path"]).stem: {part["name"]: part for part in nb["parts"]}
        for nb in scores["notebooks"]
    }
    return types.SimpleNamespace(
        status=status, out=out, err=err, scores=scores, parts=parts, before=before, after=after
    )


def test_grader_exits_zero_whatever_the_score(graded):
    assert graded.status == 0


def test_grader_gives_a_right_notebook_full_marks(graded):
    right = graded.parts["1_right"]
    assert {name: (p["points"], p["max"]) for name, p in right.items()} == {
        "demo.square": (1, 1),
        "demo.sigmoid": (2, 2),
        "demo.outer": (2, 2),
    }


def test_grader_gives_a_blank_notebook_zero_and_says_not_implemented(graded):
    blank = graded.parts["2_blank"]
    assert [p["points"] for p in blank.values()] == [0, 0, 0]
    assert all("Not implemented yet" in p["message"] for p in blank.values())


def test_grader_names_the_error_that_stopped_a_check(graded):
    outer_part = graded.parts["3_raises"]["demo.outer"]
    assert outer_part["points"] == 0
    assert "cell 4 raised NameError: name 'outer' is not defined" in outer_part["message"]
    assert "cell 3 raised RuntimeError: boom" in outer_part["message"]


def test_grader_carries_on_after_a_cell_that_raises(graded):
    raises = graded.parts["3_raises"]
    assert raises["demo.square"]["points"] == 1
    assert raises["demo.sigmoid"]["points"] == 2


def test_an_endless_loop_costs_its_notebook_the_rest_of_the_time(graded):
    loops = graded.parts["4_loops"]
    assert loops["demo.square"]["points"] == 1
    assert loops["demo.outer"]["points"] == 0
    assert f"{TIMEOUT} s ran out in cell 3" in loops["demo.outer"]["message"]
    # and the notebooks before it were graded in full
    assert graded.scores["notebooks"][0]["total"] == 5


def test_a_crashed_kernel_costs_the_parts_after_the_crash(graded):
    crashes = graded.parts["5_crashes"]
    assert crashes["demo.square"]["points"] == 1
    assert crashes["demo.outer"]["points"] == 0
    assert "the Python kernel stopped in cell 3" in crashes["demo.outer"]["message"]


def test_outputs_saved_in_the_notebook_file_do_not_count(graded):
    assert graded.parts["4_loops"]["demo.outer"]["message"].startswith("Not checked")


def test_json_report_has_totals_and_every_part(graded):
    scores = graded.scores
    assert set(scores) == {"total", "max", "notebooks"}
    assert (scores["total"], scores["max"]) == (5 + 0 + 3 + 1 + 1, 5 + 5 + 5 + 3 + 3)
    assert [Path(nb["path"]).name for nb in scores["notebooks"]] == [
        "1_right.ipynb",
        "2_blank.ipynb",
        "3_raises.ipynb",
        "4_loops.ipynb",
        "5_crashes.ipynb",
    ]
    for notebook in scores["notebooks"]:
        assert notebook["total"] == sum(part["points"] for part in notebook["parts"])
        for part in notebook["parts"]:
            assert set(part) == {"name", "points", "max", "message"}
            assert isinstance(part["points"], int) and isinstance(part["max"], int)
            assert isinstance(part["message"], str) and part["message"]


def test_report_table_lists_parts_points_and_the_total(graded):
    lines = graded.out.splitlines()
    assert any(line.split()[:3] == ["demo.outer", "0/2", "Not"] for line in lines)
    assert lines[-1] == "Total: 10/21 points"


def test_grader_shows_which_notebook_is_running(graded):
    names = ["1_right", "2_blank", "3_raises", "4_loops", "5_crashes"]
    lines = graded.err.splitlines()
    for number, name in enumerate(names, start=1):
        progress = [line for line in lines if line.startswith(f"[{number}/5] ")]
        assert progress[0].endswith(f"{name}.ipynb: running...")


def test_grader_leaves_the_learners_files_untouched(graded):
    assert graded.after == graded.before
