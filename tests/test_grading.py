"""The inline check, the manifest, the wire between grader and kernel, and the command line.

These tests start no kernel; the grader's runs of whole notebooks, honest and hostile, are in
test_grader_runs.py.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import json
import re
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import minigrad
from minigrad import __main__ as cli
from minigrad import nn
from minigrad.course.grading import grader, isolation, report, wire
from minigrad.course.grading.check import PartResult, check, run_check
from minigrad.course.grading.expect import (
    WrongAnswer,
    expect_close,
    expect_finite,
    expect_in_range,
    expect_shape,
    fresh_inputs,
    seed_for,
)
from minigrad.course.grading.judge import reference_flags
from minigrad.course.grading.manifest import NOTEBOOKS, PARTS

ROOT = Path(__file__).resolve().parent.parent

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
    fake_train = types.ModuleType("minigrad.course.train")
    fake_train.main = lambda argv: received.append(argv) or 0
    monkeypatch.setitem(sys.modules, "minigrad.course.train", fake_train)
    assert cli.main(["train", "--epochs", "3"]) == 0
    assert received == [["--epochs", "3"]]


def run_main(argv: list[str], manifest=NOTEBOOKS) -> tuple[int, str, str]:
    """grader.main(argv) with its exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = grader.main(argv, manifest)
    return status, out.getvalue(), err.getvalue()


def write_notebook(path: Path, sources: list[str]) -> Path:
    nbformat.write(new_notebook(cells=[new_code_cell(s) for s in sources]), path)
    return path


# ----------------------------------------------------------------------------------------------
# The manifest: the course decides what is graded
# ----------------------------------------------------------------------------------------------


def test_every_part_is_worth_whole_positive_points_and_has_a_check():
    for name, part in PARTS.items():
        assert isinstance(part.points, int) and part.points > 0, name
        assert callable(part.check), name
        assert part.function.isidentifier(), name


def test_the_course_is_worth_64_points_in_35_parts_each_graded_once():
    parts = [name for names in NOTEBOOKS.values() for name in names]
    assert len(parts) == len(set(parts)) == 35
    assert sum(PARTS[name].points for name in parts) == 64
    assert not any(name.startswith("demo.") for name in parts)


@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS))
def test_the_manifest_names_each_exercise_function_and_its_check(notebook):
    source = (ROOT / "exercises" / "source" / notebook.replace(".ipynb", ".py")).read_text()
    calls = re.findall(r'^check\("([^"]+)", (\w+)\)$', source, flags=re.MULTILINE)
    assert [(name, PARTS[name].function) for name in NOTEBOOKS[notebook]] == calls
    for _, function in calls:
        assert re.search(rf"^def {function}\(", source, flags=re.MULTILINE), function


def test_the_opening_text_says_the_inline_check_is_advice_not_the_grade():
    for source in sorted((ROOT / "exercises" / "source").glob("*.py")):
        opening = " ".join(source.read_text().split("# %%")[1].replace("#", " ").split())
        assert "advice" in opening and "not the grade" in opening, source.name


# ----------------------------------------------------------------------------------------------
# Fresh inputs
# ----------------------------------------------------------------------------------------------


def test_fresh_inputs_move_every_seed_and_put_it_back():
    assert seed_for(7) == 7
    with fresh_inputs(5000):
        assert seed_for(7) == 5007
    assert seed_for(7) == 7


def test_an_answer_that_memorised_the_inline_inputs_fails_on_fresh_ones():
    rng = np.random.default_rng(0)
    shown = [0.0, -3.0, *(float(x) for x in rng.uniform(-5, 5, size=4).round(3))]
    table = {x: x * x for x in shown}

    def memorised(x):
        return table.get(x, 0.0)

    assert run_check("demo.square", memorised).points == 1
    with fresh_inputs(12_000):
        assert run_check("demo.square", memorised).points == 0


# ----------------------------------------------------------------------------------------------
# The wire: what travels between the grader and a kernel
# ----------------------------------------------------------------------------------------------


def round_trip(value):
    """`value` sent as a request and rebuilt as the kernel rebuilds it."""
    encoder = wire.Encoder()
    tree = encoder.encode(value)
    message = json.loads(json.dumps({"value": tree, "table": encoder.table()}))
    decoder = wire.Decoder(make_class=wire.course_class)
    decoder.load(message["table"])
    return decoder.decode(message["value"])


def test_the_wire_carries_numbers_arrays_and_containers():
    value = [1, 2.5, None, True, "s", (np.arange(6.0).reshape(2, 3),), {"k": np.int64(3)}]
    back = round_trip(value)
    assert back[:5] == [1, 2.5, None, True, "s"]
    np.testing.assert_array_equal(back[5][0], value[5][0])
    assert back[6] == {"k": 3}


def test_the_wire_keeps_a_shared_parameter_one_object():
    cell = nn.LSTMCell(3, 4, rng=0)
    back_cell, back_params = round_trip([cell, cell.parameters()])
    assert isinstance(back_cell, nn.LSTMCell)
    assert back_params[0] is back_cell.weight_ih
    np.testing.assert_array_equal(back_cell.weight_hh.data, cell.weight_hh.data)


def test_the_wire_carries_a_value_graph_deeper_than_the_recursion_limit():
    x = minigrad.Value(0.3)
    y = x
    for _ in range(3000):
        y = y * 0.999
    back = round_trip(y)
    back.backward()
    depth = 0
    while back._parents:
        back, depth = back._parents[0], depth + 1
    assert depth == 3000
    assert back.grad == pytest.approx(0.999**3000)


@pytest.mark.parametrize(
    "dtype, data",
    [
        ("|O", base64.b64encode(b"\x80\x04K\x01.").decode()),  # a pickle, as an object array
        ("<f8", "not base64!"),
        ("<f8", base64.b64encode(b"123").decode()),  # 3 bytes for one float64
    ],
)
def test_a_malformed_array_in_a_reply_is_refused(dtype, data):
    with pytest.raises(wire.WireError):
        wire.read_array({"@": "array", "dtype": dtype, "shape": [1], "data": data})


def test_the_grader_never_builds_a_class_that_a_reply_names():
    decoder = wire.Decoder()  # the grader's decoder: no make_class
    decoder.load({"0": {"kind": "object", "class": "os:system", "attrs": None}})
    assert isinstance(decoder.decode({"@": "ref", "id": 0}), wire.Unreadable)


def test_the_kernel_builds_only_minigrad_classes():
    with pytest.raises(wire.WireError, match="not minigrad's"):
        wire.course_class("subprocess:Popen")


def test_a_reference_to_an_object_not_sent_is_refused():
    with pytest.raises(wire.WireError, match="not in the table"):
        wire.Decoder().decode({"@": "ref", "id": 41})


def test_an_answer_calling_the_reference_is_flagged():
    used = ["nn/recurrent.py:LSTMCell.step", "tensor.py:Tensor.__add__"]
    flags = reference_flags(PARTS["lstm.gates"], used)
    assert len(flags) == 1 and "LSTMCell.step" in flags[0]
    assert reference_flags(PARTS["lstm.gates"], ["tensor.py:Tensor.sigmoid"]) == ()
    flags = reference_flags(PARTS["demo.square"], ["course/grading/parts/demo.py:check"])
    assert "checker" in flags[0]


# ----------------------------------------------------------------------------------------------
# Reports
# ----------------------------------------------------------------------------------------------


def a_submission(path: str, scores: list[int]) -> report.Submission:
    names = NOTEBOOKS["01_scalar_autograd.ipynb"]
    parts = [
        PartResult(n, s, PARTS[n].points, "passed" if s else "wrong") for n, s in zip(names, scores)
    ]
    parts[0].flags = ("calls minigrad's own Value.__mul__",)
    notebook = report.NotebookResult(f"{path}/01_scalar_autograd.ipynb", parts)
    return report.Submission(path, [notebook])


def test_gradescope_results_have_score_max_score_and_a_test_per_part():
    results = report.report_gradescope(a_submission("alice", [1, 0, 1, 2, 3]))
    assert (results["score"], results["max_score"]) == (7, 8)
    assert [t["name"] for t in results["tests"]] == list(NOTEBOOKS["01_scalar_autograd.ipynb"])
    assert results["tests"][1] == {
        "name": "scalar.tanh",
        "score": 0,
        "max_score": 1,
        "output": "wrong",
    }
    assert "flag: calls minigrad's own" in results["tests"][0]["output"]


def test_the_gradebook_has_a_row_per_learner_and_a_column_per_part():
    manifest = {"01_scalar_autograd.ipynb": NOTEBOOKS["01_scalar_autograd.ipynb"]}
    text = report.gradebook(
        [a_submission("alice", [1, 1, 1, 2, 3]), a_submission("bob", [0, 1, 0, 0, 0])], manifest
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["submission", *manifest["01_scalar_autograd.ipynb"], "total", "max", "flags"]
    assert rows[1] == ["alice", "1", "1", "1", "2", "3", "8", "8", "1"]
    assert rows[2] == ["bob", "0", "1", "0", "0", "0", "1", "8", "1"]


def test_the_json_keeps_total_max_and_each_part_with_name_points_and_max():
    scores = report.report_json(a_submission("alice", [1, 0, 1, 2, 3]))
    assert (scores["total"], scores["max"]) == (7, 8)
    part = scores["notebooks"][0]["parts"][1]
    assert (part["name"], part["points"], part["max"]) == ("scalar.tanh", 0, 1)


def test_an_atomic_write_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "out" / "grades.json"
    report.write_atomically(target, "{}\n")
    report.write_atomically(target, '{"total": 1}\n')
    assert target.read_text() == '{"total": 1}\n'
    assert [p.name for p in target.parent.iterdir()] == ["grades.json"]


def test_a_name_that_is_not_utf8_is_shown_escaped():
    name = Path(b"/tmp/caf\xe9.ipynb".decode(sys.getfilesystemencoding(), "surrogateescape"))
    text = report.shown(name)
    text.encode("utf-8")  # printable on a strict UTF-8 terminal
    assert "caf" in text and ".ipynb" in text


def test_a_capped_cell_keeps_a_bounded_output_and_says_so():
    client = isolation.CappedClient(new_notebook(cells=[new_code_cell("")]))
    client.reset_execution_trackers()
    client.clear_before_next_output = False  # as execute_cell sets it
    outs: list = []
    line = "x" * 10_000
    for _ in range(1000):  # 10 MB of prints
        message = {
            "msg_type": "stream",
            "header": {"msg_type": "stream"},
            "parent_header": {"msg_id": "m"},
            "content": {"name": "stdout", "text": line},
        }
        client.output(outs, message, None, 0)
    kept = sum(len(o.get("text", "")) for o in outs)
    assert kept <= isolation.OUTPUT_LIMIT + 200
    assert "kept only the first" in outs[-1]["text"]


# ----------------------------------------------------------------------------------------------
# The command line, where it stops before running anything
# ----------------------------------------------------------------------------------------------


def test_grade_fails_on_a_missing_path(tmp_path):
    status, _, err = run_main([str(tmp_path / "nowhere")])
    assert status == 1
    assert err.strip().endswith(f"no such file or folder: {tmp_path / 'nowhere'}")
    assert len(err.strip().splitlines()) == 1


def test_grade_refuses_a_notebook_that_is_not_the_courses(tmp_path):
    notebook = write_notebook(tmp_path / "05_lstm_cell-Copy1.ipynb", ["1 + 1"])
    status, _, err = run_main([str(notebook)])
    assert status == 1
    assert "is not one of the course's notebooks" in err


@pytest.mark.parametrize("value", ["inf", "nan", "0", "-5", "soon"])
def test_grade_rejects_a_timeout_that_is_not_a_finite_positive_number(tmp_path, value):
    with pytest.raises(SystemExit) as exit_info, contextlib.redirect_stderr(io.StringIO()) as err:
        grader.main([str(tmp_path), "--timeout", value])
    assert exit_info.value.code == 2
    assert "--timeout" in err.getvalue() and "Traceback" not in err.getvalue()


@pytest.mark.parametrize("value", ["0", "two"])
def test_grade_rejects_a_bad_number_of_jobs(tmp_path, value):
    with pytest.raises(SystemExit), contextlib.redirect_stderr(io.StringIO()) as err:
        grader.main([str(tmp_path), "--jobs", value])
    assert "--jobs" in err.getvalue()


def test_grade_refuses_to_write_its_json_onto_a_notebook(tmp_path):
    notebook = write_notebook(tmp_path / "01_scalar_autograd.ipynb", ["1 + 1"])
    before = notebook.read_bytes()
    status, _, err = run_main([str(notebook), "--json", str(notebook)])
    assert status == 1
    assert "would overwrite a notebook" in err
    assert notebook.read_bytes() == before


def test_gradescope_format_takes_one_submission(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    status, _, err = run_main(
        [
            str(tmp_path / "a"),
            str(tmp_path / "b"),
            "--json",
            str(tmp_path / "r.json"),
            "--format",
            "gradescope",
        ]
    )
    assert status == 1 and "one submission at a time" in err


def test_ctrl_c_prints_one_line(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(grader, "grade_class", interrupted)
    status, _, err = run_main([str(tmp_path)])
    assert status == 130
    assert err.strip().splitlines() == [
        "python -m minigrad grade: interrupted; nothing was written"
    ]


def test_a_method_of_an_object_the_check_passed_in_is_not_flagged():
    used = ["course/grading/parts/ch7.py:_LastStepRegressor.forward"]
    assert reference_flags(PARTS["tasks.train_step"], used) == ()


@pytest.mark.parametrize(
    "content",
    [
        b"{ this is not json",
        b"[]",
        b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
        b"\xff\xfe not text",
    ],
)
def test_a_malformed_notebook_costs_only_its_own_parts_without_a_traceback(tmp_path, content):
    (tmp_path / "01_scalar_autograd.ipynb").write_bytes(content)
    manifest = {name: NOTEBOOKS[name] for name in ("01_scalar_autograd.ipynb", "02_tensors.ipynb")}
    submission = grader.grade_submission(tmp_path, manifest, timeout=5)
    broken, missing = submission.notebooks
    assert broken.points == 0 and broken.max_points == 8
    assert all(p.message.startswith("Not graded: ") for p in broken.parts)
    assert "Traceback" not in broken.parts[0].message
    assert missing.note == "missing" and missing.max_points == 14
    assert all("there is no 02_tensors.ipynb" in p.message for p in missing.parts)


def test_a_submission_that_breaks_the_grader_costs_only_its_own_row(tmp_path, monkeypatch):
    for name in ("alice", "bob"):
        (tmp_path / name).mkdir()
    real = grader.grade_submission

    def breaks_on_bob(path, *args, **kwargs):
        if path.name == "bob":
            raise OSError("the disk went away")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(grader, "grade_submission", breaks_on_bob)
    manifest = {"02_tensors.ipynb": NOTEBOOKS["02_tensors.ipynb"]}  # missing: no kernel starts
    alice, bob = grader.grade_class([tmp_path / "alice", tmp_path / "bob"], manifest, jobs=2)
    assert alice.notebooks[0].note == "missing" and alice.max_points == 14
    assert bob.points == 0 and bob.max_points == 14
    assert "the disk went away" in bob.notebooks[0].parts[0].message


def test_a_tensor_changed_in_the_kernel_is_changed_in_place_here():
    cell = nn.LSTMCell(2, 3, rng=0)
    held = cell.bias_ih.data  # a check may hold the array itself
    encoder = wire.Encoder()
    encoder.encode(cell)
    table = encoder.table()  # numbers the cell's tensors too
    sent = dict(encoder.objects)
    number = next(n for n, obj in sent.items() if obj is cell.bias_ih)
    changed = cell.bias_ih.data + 1.0
    table[str(number)]["data"] = wire._array(changed)
    decoder = wire.Decoder(known=sent)
    decoder.load(json.loads(json.dumps(table)))
    assert cell.bias_ih.data is held
    np.testing.assert_array_equal(held, changed)


def test_fresh_inputs_in_two_threads_leave_each_other_alone():
    import threading

    inside = threading.Barrier(2)
    seen = {}

    def judge(offset: int) -> None:
        with fresh_inputs(offset):
            inside.wait()
            seen[offset] = seed_for(0)
            inside.wait()

    threads = [threading.Thread(target=judge, args=(k,)) for k in (1000, 2000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {1000: 1000, 2000: 2000}
    assert seed_for(0) == 0
