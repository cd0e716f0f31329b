"""The grader on real notebooks: honest ones keep their points, hostile ones get none.

Each hostile notebook is built as a learner who wants the points without the work would build
it, against the demo parts (square 1 point, sigmoid 2, outer 2). All of them are graded in one
run of the grader, as one learner's folder under a manifest that lists them all, so that the
kernels start only once each; a second, self-deleting submission is graded beside it.
"""

from __future__ import annotations

import json
import os
import sys
import time
import types
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

import minigrad
from minigrad.course.grading import grader, isolation
from minigrad.course.grading.manifest import DEMO_NOTEBOOKS
from minigrad.course.grading.wire import REPLY_MIME

DEMO = DEMO_NOTEBOOKS["demo.ipynb"]
TIMEOUT = 20

IMPORTS = "import numpy as np\nimport minigrad\nfrom minigrad.course.grading.check import check"
RIGHT_SQUARE = "def square(x):\n    return x * x\n\ncheck('demo.square', square)"
RIGHT_SIGMOID = (
    "def sigmoid(x):\n"
    "    e = np.exp(-np.abs(x))\n"
    "    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))\n\n"
    "check('demo.sigmoid', sigmoid)"
)
RIGHT_OUTER = "def outer(u, v):\n    return np.outer(u, v)\n\ncheck('demo.outer', outer)"
RIGHT = [RIGHT_SQUARE, RIGHT_SIGMOID, RIGHT_OUTER]
BLANKS = [
    f"def {name}(*args):\n    raise NotImplementedError\n\ncheck('demo.{name}', {name})"
    for name in ("square", "sigmoid", "outer")
]

# What a learner could display to claim the points: the old grader's records, a passing text,
# and a reply in the judge's own format.
REPLAY = f"""
from IPython.display import display
for part, points in [("demo.square", 1), ("demo.sigmoid", 2), ("demo.outer", 2)]:
    record = {{"part": part, "points": points, "max": points, "message": "passed"}}
    display({{"application/vnd.minigrad.check+json": record, "text/plain": "passed"}}, raw=True)
    print(f"{{part}}: passed, {{points}}/{{points}} points.")
display({{{REPLY_MIME!r}: {{"status": "ok", "result": 9.0, "table": {{}}}}}}, raw=True)
"""

PATCH_CHECKER = """
import minigrad.course.grading.check as inline
import minigrad.course.grading.expect as expect
import minigrad.course.grading.manifest as manifest
from minigrad.course.grading.check import PartResult
inline.run_check = lambda part, answer: PartResult(part, 99, 99, "passed")
for name in list(manifest.PARTS):
    manifest.PARTS[name] = manifest.Part(99, lambda answer: None, manifest.PARTS[name].function)
for helper in ("expect_close", "expect_shape", "expect_in_range", "expect_finite"):
    setattr(expect, helper, lambda *args, **kwargs: None)
check = lambda *args: print("passed")
check("demo.square", square)
"""

PATCH_NUMPY = """
np.isclose = lambda a, b, **kwargs: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
"""

PATCH_SERVE = """
from IPython.display import display
from minigrad.course.grading import wire

def forged(request_text):
    display({wire.REPLY_MIME: {"status": "ok", "result": 1.0, "table": {}, "used": []}}, raw=True)

wire.serve = forged
"""

PICKLE_REPLY = """
import base64, pickle
from IPython.display import display
from minigrad.course.grading import wire

payload = base64.b64encode(pickle.dumps(["forged"])).decode()

def forged(request_text):
    array = {"@": "array", "dtype": "|O", "shape": [1], "data": payload}
    display({wire.REPLY_MIME: {"status": "ok", "result": array, "table": {}}}, raw=True)

wire.serve = forged
"""

HIDDEN_OUTPUTS = [
    "def my_square(x):\n    return x * x\n\npart = 'demo.square'\ncheck(part, my_square)",
    "%%capture\n" + RIGHT_SIGMOID,
    RIGHT_OUTER + "\nfrom IPython.display import clear_output\nclear_output()",
]

OTHER_CHAPTERS = """
check("scalar.mul", lambda a, b: (b, a))
check("scalar.tanh", lambda x: 1 - np.tanh(x) ** 2)
"""

STARTUP = """
import os
from pathlib import Path
code = (
    "import numpy as np\\n"
    "square = lambda x: x * x\\n"
    "sigmoid = lambda x: 1 / (1 + np.exp(-np.clip(x, -500, 500)))\\n"
    "outer = np.outer\\n"
)
for folder in [os.environ.get("IPYTHONDIR", ""), str(Path.home() / ".ipython")]:
    if folder:
        startup = Path(folder) / "profile_default" / "startup"
        startup.mkdir(parents=True, exist_ok=True)
        (startup / "00-answers.py").write_text(code)
"""

SHADOW_USER = """
shadowed = getattr(minigrad, "SHADOW", False)
def square(x):
    if shadowed:
        raise NotImplementedError
    return x * x
"""

DETACHED = """
import os, subprocess, sys
sleeper = subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True
)
with open({pidfile!r}, "w") as file:
    file.write(str(sleeper.pid))
"""

FLOOD = "import sys\nfor _ in range(200):\n    sys.stdout.write('x' * 100_000)"

PARTS_FOLDER = Path(minigrad.__file__).parent / "course" / "grading" / "parts"
COURSE_FILE = PARTS_FOLDER / "zz_hostile.py"
EDIT_COURSE = f"""
with open({str(COURSE_FILE)!r}, "w") as file:
    file.write("# a notebook was here\\n")
"""
# a bytecode cache planted for a course module would run in place of its source next time
CACHE_FILE = PARTS_FOLDER / "__pycache__" / "zz_hostile.cpython-311.pyc"
PLANT_CACHE = f"""
import os
os.makedirs({str(CACHE_FILE.parent)!r}, exist_ok=True)
with open({str(CACHE_FILE)!r}, "wb") as file:
    file.write(b"not really bytecode")
"""

CALLS_REFERENCE = """
from minigrad.tensor import sigmoid as course_sigmoid

def sigmoid(x):
    return course_sigmoid(x)
"""

SELF_DELETE = "import shutil\nshutil.rmtree({folder!r}, ignore_errors=True)"


def write_notebook(path: Path, sources: list[str]) -> Path:
    nbformat.write(new_notebook(cells=[new_code_cell(s) for s in sources]), path)
    return path


def hostile_notebooks(tmp: Path) -> dict[str, list[str]]:
    pidfile = str(tmp / "detached.pid")
    return {
        "01_right.ipynb": [IMPORTS, *RIGHT],
        "02_blank.ipynb": [IMPORTS, *BLANKS],
        "03_replayed.ipynb": [IMPORTS, *BLANKS, REPLAY],
        "04_patched_checker.ipynb": [IMPORTS, *BLANKS, PATCH_CHECKER],
        "05_patched_numpy.ipynb": [IMPORTS, *BLANKS, PATCH_NUMPY],
        "06_patched_serve.ipynb": [IMPORTS, *BLANKS, PATCH_SERVE],
        "07_pickled_reply.ipynb": [IMPORTS, *BLANKS, PICKLE_REPLY],
        "08_no_check_calls.ipynb": [IMPORTS, *(s[: s.index("check(")] for s in RIGHT)],
        "09_checks_deleted.ipynb": [IMPORTS, "def square(x):\n    return x + x"],
        "10_hidden_outputs.ipynb": [IMPORTS, *HIDDEN_OUTPUTS],
        "11_other_chapters.ipynb": [IMPORTS, *BLANKS, OTHER_CHAPTERS],
        "12_startup_writer.ipynb": [IMPORTS, STARTUP],
        "13_after_startup.ipynb": [IMPORTS],
        "14_shadowed.ipynb": [IMPORTS, SHADOW_USER],
        "15_detached.ipynb": [IMPORTS, DETACHED.format(pidfile=pidfile), RIGHT_SQUARE],
        "16_flood.ipynb": [IMPORTS, FLOOD, RIGHT_SQUARE],
        "17_crash.ipynb": [IMPORTS, RIGHT_SQUARE, "import os\nos._exit(1)", RIGHT_OUTER],
        "18_loops.ipynb": [IMPORTS, RIGHT_SQUARE, "while True:\n    pass", RIGHT_OUTER],
        "19_edits_course.ipynb": [IMPORTS, *RIGHT, EDIT_COURSE],
        "20_calls_reference.ipynb": [IMPORTS, CALLS_REFERENCE],
        "21_plants_bytecode.ipynb": [IMPORTS, *RIGHT, PLANT_CACHE],
    }


def write_shadow_package(folder: Path) -> None:
    """A `minigrad/` beside the notebooks whose check passes everything."""
    grading = folder / "minigrad" / "course" / "grading"
    grading.mkdir(parents=True)
    (folder / "minigrad" / "__init__.py").write_text("SHADOW = True\n")
    (folder / "minigrad" / "course" / "__init__.py").write_text("")
    (grading / "__init__.py").write_text("")
    (grading / "check.py").write_text("def check(part, answer):\n    print('passed')\n")


def stale_full_marks(notebook_path: Path) -> None:
    """Saved outputs claiming full points, as a file with old outputs might hold."""
    notebook = nbformat.read(notebook_path, as_version=4)
    record = {"part": "demo.outer", "points": 2, "max": 2, "message": "passed"}
    data = {"text/plain": "passed", "application/vnd.minigrad.check+json": record}
    notebook.cells[-1].outputs = [new_output("display_data", data=data)]
    nbformat.write(notebook, notebook_path)


def snapshot(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    home = tmp / "home"
    home.mkdir()
    learner = tmp / "learner"
    learner.mkdir()
    sources = hostile_notebooks(tmp)
    for name, cells in sources.items():
        write_notebook(learner / name, cells)
    stale_full_marks(learner / "02_blank.ipynb")
    write_notebook(learner / "01_right-Copy1.ipynb", [IMPORTS, *RIGHT])
    write_shadow_package(learner)
    deleter = tmp / "deleter"
    deleter.mkdir()
    write_notebook(deleter / "01_right.ipynb", [IMPORTS, *RIGHT])
    write_notebook(deleter / "02_blank.ipynb", [IMPORTS, SELF_DELETE.format(folder=str(deleter))])
    manifest = {name: DEMO for name in sources}

    before = snapshot(learner)
    course_before = isolation.course_fingerprint()
    report = tmp / "out" / "grades.json"
    gradebook = tmp / "out" / "gradebook.csv"
    argv = [str(learner), str(deleter), "--json", str(report), "--csv", str(gradebook)]
    argv += ["--timeout", str(TIMEOUT), "--jobs", "2"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))  # where the startup writer's ~/.ipython goes
        try:
            status = grader.main(argv, manifest)
        finally:
            course_edited = COURSE_FILE.exists() and CACHE_FILE.exists()
            COURSE_FILE.unlink(missing_ok=True)
            CACHE_FILE.unlink(missing_ok=True)
    scores = json.loads(report.read_text())
    learner_scores, deleter_scores = scores["submissions"]
    parts = {
        Path(nb["path"]).name: {p["name"]: p for p in nb["parts"]}
        for nb in learner_scores["notebooks"]
    }
    return types.SimpleNamespace(
        status=status,
        scores=learner_scores,
        deleter=deleter_scores,
        parts=parts,
        totals={Path(nb["path"]).name: nb["total"] for nb in learner_scores["notebooks"]},
        before=before,
        after=snapshot(learner),
        course_unchanged=isolation.course_fingerprint() == course_before,
        course_edited=course_edited,
        gradebook=gradebook.read_text(),
        pidfile=tmp / "detached.pid",
        home=home,
    )


def test_the_grader_exits_zero_whatever_the_score(graded):
    assert graded.status == 0


def test_a_right_notebook_gets_full_marks(graded):
    assert graded.totals["01_right.ipynb"] == 5
    assert all(p["message"] == "passed" for p in graded.parts["01_right.ipynb"].values())


def test_a_blank_notebook_gets_zero_and_says_not_implemented(graded):
    blank = graded.parts["02_blank.ipynb"]
    assert [p["points"] for p in blank.values()] == [0, 0, 0]
    assert all("Not implemented yet" in p["message"] for p in blank.values())


def test_outputs_saved_in_the_file_count_for_nothing(graded):
    assert graded.parts["02_blank.ipynb"]["demo.outer"]["points"] == 0


def test_replayed_records_and_forged_replies_in_the_output_earn_nothing(graded):
    assert graded.totals["03_replayed.ipynb"] == 0


def test_a_patched_checker_in_the_kernel_earns_nothing(graded):
    assert graded.totals["04_patched_checker.ipynb"] == 0
    assert all(p["max"] <= 2 for p in graded.parts["04_patched_checker.ipynb"].values())


def test_patched_numpy_in_the_kernel_earns_nothing(graded):
    assert graded.totals["05_patched_numpy.ipynb"] == 0


def test_a_patched_reply_in_the_kernel_earns_nothing(graded):
    assert graded.totals["06_patched_serve.ipynb"] == 0
    message = graded.parts["06_patched_serve.ipynb"]["demo.square"]["message"]
    assert "square(x) is wrong" in message


def test_a_pickle_in_a_reply_is_never_loaded(graded):
    assert graded.totals["07_pickled_reply.ipynb"] == 0
    message = graded.parts["07_pickled_reply.ipynb"]["demo.square"]["message"]
    assert "malformed" in message


def test_an_honest_notebook_without_check_calls_keeps_its_points(graded):
    assert graded.totals["08_no_check_calls.ipynb"] == 5


def test_deleting_the_check_calls_keeps_the_maximum(graded):
    parts = graded.parts["09_checks_deleted.ipynb"]
    assert list(parts) == list(DEMO)
    assert sum(p["max"] for p in parts.values()) == 5
    assert graded.totals["09_checks_deleted.ipynb"] == 0
    assert "no function named sigmoid" in parts["demo.sigmoid"]["message"]


def test_captured_or_cleared_checks_and_a_part_name_in_a_variable_still_count(graded):
    assert graded.totals["10_hidden_outputs.ipynb"] == 5


def test_parts_of_other_chapters_add_nothing(graded):
    parts = graded.parts["11_other_chapters.ipynb"]
    assert list(parts) == list(DEMO)
    assert graded.totals["11_other_chapters.ipynb"] == 0


def test_a_copy_of_a_notebook_is_not_graded_and_the_maximum_is_the_courses(graded):
    copies = [nb for nb in graded.scores["notebooks"] if "Copy1" in nb["path"]]
    assert copies and copies[0]["parts"] == [] and "not graded" in copies[0]["note"]
    assert graded.scores["max"] == 5 * len(hostile_notebooks(Path("/x")))


def test_a_startup_file_written_by_one_notebook_reaches_no_other(graded):
    assert (graded.home / ".ipython" / "profile_default" / "startup").is_dir()  # it tried
    assert graded.totals["13_after_startup.ipynb"] == 0


def test_a_shadow_package_beside_the_notebooks_is_not_imported(graded):
    assert graded.parts["14_shadowed.ipynb"]["demo.square"]["points"] == 1
    assert graded.totals["14_shadowed.ipynb"] == 1


def test_a_detached_process_is_ended_with_its_notebook(graded):
    pid = int(graded.pidfile.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            break
        if state == "Z":
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the detached process {pid} still runs")
    assert graded.parts["15_detached.ipynb"]["demo.square"]["points"] == 1


def test_an_output_flood_is_capped_and_the_notebook_still_graded(graded):
    assert graded.parts["16_flood.ipynb"]["demo.square"]["points"] == 1


def test_a_crashed_kernel_costs_only_its_own_notebook(graded):
    crash = graded.parts["17_crash.ipynb"]
    assert graded.totals["17_crash.ipynb"] == 0
    assert "kernel stopped" in crash["demo.square"]["message"]
    assert graded.totals["18_loops.ipynb"] == 1  # the notebook after it is graded as usual


def test_an_endless_loop_is_interrupted_and_the_parts_before_it_graded(graded):
    loops = graded.parts["18_loops.ipynb"]
    assert loops["demo.square"]["points"] == 1
    assert loops["demo.outer"]["points"] == 0
    assert f"{TIMEOUT} s ran out" in loops["demo.outer"]["message"]


@pytest.mark.parametrize("notebook", ["19_edits_course.ipynb", "21_plants_bytecode.ipynb"])
def test_a_notebook_that_edits_the_course_is_not_graded_and_reported(graded, notebook):
    assert graded.course_edited  # the attacks happened...
    parts = graded.parts[notebook]
    assert all(p["points"] == 0 for p in parts.values())  # ...and cost their notebook
    assert all("course's files" in p["message"] for p in parts.values())
    assert graded.totals["20_calls_reference.ipynb"] == 2  # the notebook between them: graded


def test_an_answer_that_calls_the_reference_keeps_its_points_and_is_flagged(graded):
    part = graded.parts["20_calls_reference.ipynb"]["demo.sigmoid"]
    assert part["points"] == 2
    assert any("sigmoid" in flag and "tensor.py" in flag for flag in part["flags"])
    assert graded.parts["01_right.ipynb"]["demo.sigmoid"]["flags"] == []


def test_a_self_deleting_submission_costs_only_its_own_parts(graded):
    notebooks = {Path(nb["path"]).name: nb for nb in graded.deleter["notebooks"]}
    assert notebooks["01_right.ipynb"]["total"] == 5
    assert notebooks["02_blank.ipynb"]["total"] == 0


def test_the_gradebook_has_a_row_per_submission(graded):
    rows = graded.gradebook.strip().splitlines()
    assert len(rows) == 3
    assert rows[0].startswith("submission,demo.square,demo.sigmoid,demo.outer,demo.square")
    assert rows[1].split(",")[-3:-1] == [str(graded.scores["total"]), str(graded.scores["max"])]


def test_the_learners_files_and_the_course_are_unchanged(graded):
    assert graded.after == graded.before
    assert graded.course_unchanged


@pytest.mark.skipif(sys.platform != "linux", reason="names that are not UTF-8: Linux file systems")
def test_a_name_that_is_not_utf8_is_graded_and_written_to_the_json(tmp_path):
    folder = tmp_path / os.fsdecode(b"caf\xe9")
    folder.mkdir()
    write_notebook(folder / "demo.ipynb", [IMPORTS, RIGHT_SQUARE])
    report = tmp_path / "grades.json"
    out = open(os.devnull, "w", encoding="utf-8", errors="strict")  # a strict terminal
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stdout", out)
        status = grader.main(
            [str(folder), "--json", str(report), "--timeout", "30"], DEMO_NOTEBOOKS
        )
    out.close()
    assert status == 0
    scores = json.loads(report.read_text(encoding="utf-8"))
    assert scores["total"] == 1 and "caf" in scores["path"]
