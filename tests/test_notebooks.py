"""The course's rules for its stored notebooks, read from the files (nbval runs them).

nbval checks that each notebook still produces its stored outputs; these tests check what
nbval cannot: that the outputs are there at all, that few of them are exempt from the
comparison, and that each chapter has the pictures, widgets and signposts it promises.
"""

from pathlib import Path

import nbformat
import pytest
from course import CHAPTERS

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
WITH_WIDGETS = {"04_vanishing_gradient", "05_lstm_cell", "06_constant_error_flow"}
# the diagram each chapter must show (minigrad.course.diagrams), drawn as a stored picture
DIAGRAMS = {
    "03_rnn_bptt": "draw_rnn_unrolled",
    "05_lstm_cell": "draw_lstm_cell",
    "06_constant_error_flow": "draw_gradient_paths",
    "07_long_range_tasks": "draw_gru_cell",
}
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def code_cells(name: str) -> list:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def markdown(name: str) -> list[str]:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]


def mime_types(cell) -> set[str]:
    return {mime for output in cell.get("outputs", []) for mime in output.get("data", {})}


def test_the_chapters_are_exactly_the_course_map():
    assert sorted(path.stem for path in NOTEBOOKS.glob("*.ipynb")) == CHAPTERS


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_code_cell_is_stored_executed_in_order(name):
    counts = [cell.execution_count for cell in code_cells(name) if cell.source.strip()]
    assert None not in counts, f"{name}: re-run it with `make notebooks` before committing"
    assert counts == list(range(1, len(counts) + 1)), f"{name}: cells ran out of order"


@pytest.mark.parametrize("name", CHAPTERS)
def test_at_most_one_in_five_outputs_is_exempt_from_nbval(name):
    with_output = [cell for cell in code_cells(name) if cell.get("outputs")]
    exempt = [
        cell
        for cell in code_cells(name)
        if {"nbval-ignore-output", "nbval-skip"} & set(cell.metadata.get("tags", []))
    ]
    assert len(exempt) * 5 <= len(with_output), (
        f"{name}: {len(exempt)} of {len(with_output)} code cells with output are exempt"
    )


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_chapter_has_a_plot(name):
    assert any("image/png" in mime_types(cell) for cell in code_cells(name))


@pytest.mark.parametrize("name", sorted(WITH_WIDGETS))
def test_chapters_4_to_6_have_an_interactive_widget(name):
    assert any(
        WIDGET_MIME in mime_types(cell) and "interact" in cell.source for cell in code_cells(name)
    )


@pytest.mark.parametrize("name", CHAPTERS[1:])
def test_a_chapter_opens_with_what_you_will_learn(name):
    assert "you will learn" in markdown(name)[0].lower()


@pytest.mark.parametrize("name", CHAPTERS[1:])
def test_a_chapter_ends_with_a_summary_and_its_exercise_notebook(name):
    ending = "\n".join(markdown(name)[-2:])
    assert f"exercises/{name}.ipynb" in ending
    assert (Path(__file__).resolve().parent.parent / "exercises" / f"{name}.ipynb").exists()
    assert "summary" in "\n".join(markdown(name)[-3:]).lower()


@pytest.mark.parametrize("name", sorted(WITH_WIDGETS))
def test_every_widget_cell_also_stores_a_static_picture(name):
    # GitHub and nbviewer show no widget: the cell must also hold a picture of its start
    widget_cells = [cell for cell in code_cells(name) if WIDGET_MIME in mime_types(cell)]
    assert widget_cells, f"{name}: no widget output stored"
    for cell in widget_cells:
        assert "image/png" in mime_types(cell), (
            f"{name}: a widget cell stores no static picture of its starting state:\n"
            f"{cell.source[:200]}"
        )


@pytest.mark.parametrize("name, drawing", sorted(DIAGRAMS.items()))
def test_the_chapter_shows_its_diagram(name, drawing):
    assert any(
        drawing in cell.source and "image/png" in mime_types(cell) for cell in code_cells(name)
    ), f"{name}: expected a cell that calls {drawing} and stores the picture"


@pytest.mark.parametrize("name", CHAPTERS)
def test_a_notebook_writes_a_tracked_file_only_when_asked(name):
    # running the notebooks under the tests must not modify the README's pictures
    for cell in code_cells(name):
        if "savefig(" in cell.source:
            assert 'os.environ.get("MINIGRAD_WRITE_ASSETS") == "1"' in cell.source, (
                f"{name}: a cell saves a file without checking MINIGRAD_WRITE_ASSETS"
            )
