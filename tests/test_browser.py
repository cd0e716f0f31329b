"""The course as a learner meets it: JupyterLab in a real (headless) Chromium.

`make lab` must start, serve JupyterLab on this machine only, and stop with all its processes.
In the course's JupyterLab, chapters 4 and 6 must run top to bottom without an error, show their
plots and widgets, and redraw a widget's plot when one of its sliders moves. Screenshots go to
`test-artifacts/browser/` (git-ignored) for a person to look at: each chapter before and after
Run All Cells, and each widget before and after its slider moved.

The browser is Debian's `chromium` driven by Playwright. Without a usable one the chapter tests
are skipped, loudly, on a learner's machine, and fail under CI (`CI=true`).
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_lab import (
    CHROMIUM_FLAGS,
    LabServer,
    clear_screenshots,
    copy_folder_if_present,
    copy_notebooks_without_outputs,
    figure_reprs,
    http_status,
    interact_widgets,
    isolated_jupyter_env,
    move_first_slider,
    open_notebook,
    plot_sources,
    run_all_cells,
    shown_errors,
    start_lab_server,
    start_process_group,
    stop_lab_server,
    stop_process_group,
    unexecuted_cells,
    wait_for_http_ok,
    wait_for_kernel_idle,
    wait_for_new_plot,
    wait_for_outputs_to_render,
    wait_for_server_info,
    widget_display_errors,
)
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
LAB_CONFIG = REPO / "lab" / "jupyter_lab_config.py"
SCREENSHOTS = REPO / "test-artifacts" / "browser"

CHAPTERS = ["04_vanishing_gradient.ipynb", "06_constant_error_flow.ipynb"]


def under_ci() -> bool:
    """Whether the CI script runs the tests (it exports CI=true)."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def browser_unavailable(reason: str) -> None:
    """Fail under CI, where the browser is installed on purpose; skip loudly elsewhere."""
    message = (
        f"THE BROWSER TEST DID NOT RUN: {reason}. Install Debian's Chromium "
        "(`sudo apt-get install chromium`) to run the course in a real browser."
    )
    if under_ci():
        pytest.fail(message + " (CI=true: a missing browser is a failure here)", pytrace=False)
    warnings.warn(message, stacklevel=2)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, started once for the module."""
    executable = shutil.which("chromium")
    if executable is None:
        browser_unavailable("no `chromium` on PATH")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        except PlaywrightError as error:
            browser_unavailable(f"{executable} does not start ({str(error).splitlines()[0]})")
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """The course's JupyterLab, serving cleared copies of the chapters from a temporary folder.

    The copies sit in `course/notebooks/` next to a copy of `assets/`, as in the repository:
    a chapter may save a figure to `../assets/`, and must not overwrite the repository's.
    """
    home = tmp_path_factory.mktemp("lab")
    course = home / "course"
    present = [NOTEBOOKS / name for name in CHAPTERS if (NOTEBOOKS / name).is_file()]
    copy_notebooks_without_outputs(present, course / "notebooks")
    copy_folder_if_present(REPO / "assets", course / "assets")
    env = isolated_jupyter_env(home / "jupyter")
    server = start_lab_server(LAB_CONFIG, course / "notebooks", env, home / "server.log")
    try:
        yield server
    finally:
        stop_lab_server(server)


def test_make_lab_serves_lab_on_localhost_and_stops_cleanly(tmp_path: Path) -> None:
    make = shutil.which("make")
    assert make is not None, "expected `make` on PATH to run `make lab`, found none"
    env = isolated_jupyter_env(tmp_path / "jupyter")
    # `make lab` opens the learner's browser: here a command that does nothing stands in for it.
    env["BROWSER"] = "true"
    log_path = tmp_path / "make-lab.log"
    # `make lab` copies the exercises into my-work/ first; the test takes its copies away again.
    work_before = set((REPO / "my-work").glob("*"))
    process = start_process_group([make, "lab"], REPO, env, log_path)
    try:
        info = wait_for_server_info(Path(env["JUPYTER_RUNTIME_DIR"]), process, log_path)
        assert info["hostname"] == "127.0.0.1", (
            f"expected `make lab` to listen on 127.0.0.1 only, found {info['hostname']!r}"
        )
        server = f"http://127.0.0.1:{info['port']}"
        wait_for_http_ok(f"{server}/lab?token={info['token']}", process, log_path)
        assert http_status(f"{server}/api/contents") == 403, (
            "expected `make lab` to refuse requests without its token"
        )
    finally:
        stopped_cleanly = stop_process_group(process)
        for made_by_the_test in set((REPO / "my-work").glob("*")) - work_before:
            made_by_the_test.unlink()
    assert stopped_cleanly, (
        "expected SIGTERM to stop every process of `make lab` within the timeout, "
        f"but some needed SIGKILL:\n{log_path.read_text(errors='replace')[-3000:]}"
    )


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_notebook_exists(chapter: str) -> None:
    assert (NOTEBOOKS / chapter).is_file(), (
        f"expected the chapter {NOTEBOOKS / chapter}, found none"
    )


def lines(texts: list[str]) -> str:
    """Texts one under the other, for a failure message."""
    return "\n".join(texts)


@pytest.fixture(scope="module", params=CHAPTERS)
def chapter_page(
    request: pytest.FixtureRequest, browser: Browser, lab: LabServer
) -> Iterator[tuple[str, Page]]:
    """A chapter open in JupyterLab after Run > Run All Cells, with every output rendered.

    Yields (chapter file name, page). Screenshots of the page before and after the run go to
    test-artifacts/browser/.
    """
    chapter = request.param
    assert (NOTEBOOKS / chapter).is_file(), (
        f"expected the chapter {NOTEBOOKS / chapter}, found none"
    )
    stem = Path(chapter).stem
    clear_screenshots(SCREENSHOTS, stem)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        open_notebook(page, lab.base_url, chapter)
        page.screenshot(path=SCREENSHOTS / f"{stem}-notebook-before.png")
        run_all_cells(page)
        wait_for_outputs_to_render(page)
        page.screenshot(path=SCREENSHOTS / f"{stem}-notebook-after.png")
        yield chapter, page
    finally:
        page.close()


def test_chapter_runs_every_cell_without_an_error(chapter_page: tuple[str, Page]) -> None:
    chapter, page = chapter_page
    errors = shown_errors(page)
    assert not errors, f"expected no cell of {chapter} to show an error, found:\n{lines(errors)}"
    not_run = unexecuted_cells(page)
    assert not not_run, f"expected Run All Cells to run every code cell of {chapter}: {not_run}"


def test_chapter_shows_its_plots_and_widgets(chapter_page: tuple[str, Page]) -> None:
    chapter, page = chapter_page
    not_shown = widget_display_errors(page)
    assert not not_shown, f"expected every widget of {chapter} to display, found: {not_shown}"
    printed = figure_reprs(page)
    assert not printed, f"expected figures drawn as images in {chapter}, found text: {printed}"
    widgets = interact_widgets(page)
    assert widgets, f"expected {chapter} to show at least one interact widget, found none"
    for number, widget in enumerate(widgets, start=1):
        assert widget.locator(".widget-slider").count() > 0, (
            f"expected widget {number} of {chapter} to have a slider, found none"
        )
        assert plot_sources(widget), (
            f"expected widget {number} of {chapter} to show a plot, found none"
        )


def test_chapter_widgets_redraw_when_a_slider_moves(chapter_page: tuple[str, Page]) -> None:
    chapter, page = chapter_page
    stem = Path(chapter).stem
    errors_before = shown_errors(page)
    widgets = interact_widgets(page)
    assert widgets, f"expected {chapter} to show at least one interact widget, found none"
    for number, widget in enumerate(widgets, start=1):
        old_plot = plot_sources(widget)
        widget.screenshot(path=SCREENSHOTS / f"{stem}-widget{number}-before.png")
        old_value, new_value = move_first_slider(page, widget)
        new_plot = wait_for_new_plot(page, widget, old_plot)
        wait_for_kernel_idle(page)
        widget.screenshot(path=SCREENSHOTS / f"{stem}-widget{number}-after.png")
        assert new_plot != old_plot, (
            f"expected widget {number} of {chapter} to draw a new plot when its slider moved "
            f"from {old_value} to {new_value}"
        )
    new_errors = [error for error in shown_errors(page) if error not in errors_before]
    assert not new_errors, (
        f"expected no new error after moving the sliders, found:\n{lines(new_errors)}"
    )
