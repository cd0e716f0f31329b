"""Helpers for the browser test: a JupyterLab server to drive, and what a learner sees in it.

The server side starts JupyterLab the way `make lab` does (same config file), stops its whole
process group, and keeps Jupyter's per-user folders in a temporary directory so that neither the
learner's settings change the test nor the test changes the learner's settings.

The page side works on JupyterLab 4's DOM through its stable class names: `.jp-Notebook`,
`.jp-CodeCell`, `.jp-InputPrompt`, `.jp-OutputArea-output`, `.jp-RenderedImage img`, and the
ipywidgets classes `.widget-interact` (a box made by `interact`/`interactive`), `.widget-slider`
and `.widget-output`. It reads text with `textContent`, which does not depend on layout, rather
than `innerText`, which is empty for a cell JupyterLab has not laid out.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import nbformat
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

# Debian's chromium, driven by Playwright. The machine has no network and CI runs as root, where
# Chromium's sandbox cannot start.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Generous: a shared 2-core machine can be slow to start a kernel or import matplotlib.
SERVER_START_TIMEOUT_S = 120.0
SERVER_STOP_TIMEOUT_S = 30.0
PAGE_TIMEOUT_MS = 90_000


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------


def isolated_jupyter_env(home: Path) -> dict[str, str]:
    """This process's environment, with Jupyter's and IPython's per-user folders under `home`.

    Workspaces, settings, runtime files and kernel specs then come from `home`, not from
    `~/.jupyter` or `~/.local/share/jupyter`; kernels fall back to the one of this Python.
    Two JupyterLab settings differ from the defaults there:
    - autosave is off: the test saves nothing, and a save would only add noise;
    - every cell is laid out, even out of view (windowing mode "none"). By default JupyterLab
      skips the layout of cells out of view and lays them out as they scroll in, which moves
      what lies below them: a screenshot or a click aimed at a widget could then miss it.
    """
    folders = {
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "IPYTHONDIR": home / "ipython",
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    user_settings = folders["JUPYTER_CONFIG_DIR"] / "lab" / "user-settings" / "@jupyterlab"
    settings = {
        "docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
        "notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }
    for name, values in settings.items():
        (user_settings / name).parent.mkdir(parents=True, exist_ok=True)
        (user_settings / name).write_text(json.dumps(values))

    env = {**os.environ, **{name: str(path) for name, path in folders.items()}}
    # A `make` that runs this test passes its job-server settings down; `make lab` must start as
    # it does from a learner's shell.
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        env.pop(name, None)
    return env


def free_port() -> int:
    """A TCP port that nothing listens on at 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def copy_notebooks_without_outputs(sources: list[Path], destination: Path) -> None:
    """Copy notebooks into `destination`, with their stored outputs and widget state removed.

    The course stores its notebooks with outputs; cleared copies make sure that every plot and
    widget the test sees was made by this run.
    """
    destination.mkdir(parents=True, exist_ok=True)
    for source in sources:
        if not source.is_file():
            raise FileNotFoundError(f"expected the notebook {source}, found no such file")
        notebook = nbformat.read(source, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        notebook.metadata.pop("widgets", None)
        nbformat.write(notebook, destination / source.name)


@dataclass
class LabServer:
    """A running JupyterLab: its process (leader of its own process group) and where it serves."""

    process: subprocess.Popen
    base_url: str


def start_process_group(command: list[str], cwd: Path, env: dict[str, str], log_path: Path):
    """Start `command` as the leader of a new process group, its output going to `log_path`."""
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def start_lab_server(
    config_file: Path, root_dir: Path, env: dict[str, str], log_path: Path
) -> LabServer:
    """Start `python -m jupyterlab` with the course config, serving `root_dir` on a free port.

    The config file binds it to 127.0.0.1; the port is chosen here, with `port_retries=0` so
    that the server takes exactly that port or fails. Only because no other machine can reach
    it does it run without a token.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--config={config_file}",
        "--no-browser",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        f"--ServerApp.root_dir={root_dir}",
    ]
    process = start_process_group(command, root_dir, env, log_path)
    server = LabServer(process, f"http://127.0.0.1:{port}")
    try:
        wait_for_http_ok(f"{server.base_url}/lab", process, log_path)
    except BaseException:
        stop_process_group(process)
        raise
    return server


def http_status(url: str) -> int | None:
    """The HTTP status of a GET on `url`, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def wait_for_http_ok(url: str, process: subprocess.Popen, log_path: Path) -> None:
    """Wait until `url` answers 200, failing early if `process` exits first."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    status = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"expected the server to serve {url}, but it exited with code "
                f"{process.returncode}:\n{_tail(log_path)}"
            )
        status = http_status(url)
        if status == 200:
            return
        time.sleep(0.25)
    raise TimeoutError(
        f"expected HTTP 200 from {url} within {SERVER_START_TIMEOUT_S:.0f} s, last answer: "
        f"{status}:\n{_tail(log_path)}"
    )


def wait_for_server_info(runtime_dir: Path, process: subprocess.Popen, log_path: Path) -> dict:
    """The `jpserver-<pid>.json` a Jupyter server writes once it listens (url, port, token...)."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        for info_file in sorted(runtime_dir.glob("jpserver-*.json")):
            try:
                return json.loads(info_file.read_text())
            except json.JSONDecodeError:
                pass  # written but not yet complete: read it again on the next round
        if process.poll() is not None:
            raise RuntimeError(
                f"expected a Jupyter server to start, but it exited with code "
                f"{process.returncode}:\n{_tail(log_path)}"
            )
        time.sleep(0.25)
    raise TimeoutError(
        f"expected a jpserver-*.json in {runtime_dir} within {SERVER_START_TIMEOUT_S:.0f} s:\n"
        f"{_tail(log_path)}"
    )


def stop_process_group(process: subprocess.Popen) -> bool:
    """Stop the process group that `process` leads: SIGTERM, then SIGKILL if it lingers.

    Returns True when every process of the group was gone within SERVER_STOP_TIMEOUT_S of the
    SIGTERM, False when SIGKILL was needed.
    """
    group = process.pid  # a process started with start_new_session leads a group of its own id
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:
        process.wait()
        return True
    deadline = time.monotonic() + SERVER_STOP_TIMEOUT_S
    clean = False
    try:
        process.wait(timeout=SERVER_STOP_TIMEOUT_S)
        while time.monotonic() < deadline:
            if not process_group_alive(group):
                clean = True
                break
            time.sleep(0.1)
    except subprocess.TimeoutExpired:
        pass
    if not clean:
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
    return clean


def process_group_alive(group: int) -> bool:
    """Whether any process is left in process group `group`."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def stop_lab_server(server: LabServer) -> None:
    """Stop the server's process group, then any kernel it started that outlived it.

    Kernels run in process groups of their own, so the group's SIGTERM does not reach them:
    the server shuts them down as it stops, and only a server that had to be killed leaves
    some behind.
    """
    kernels = child_processes(server.process.pid)
    stop_process_group(server.process)
    for kernel in kernels:
        try:
            os.kill(kernel, signal.SIGKILL)
        except ProcessLookupError:
            pass  # already gone, as it should be


def child_processes(parent: int) -> list[int]:
    """Ids of the processes whose parent is `parent` (read from Linux's /proc; elsewhere none)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (command) state ppid ...": the command may hold spaces, so split after it
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return children


def _tail(log_path: Path, lines: int = 40) -> str:
    text = log_path.read_text(errors="replace") if log_path.exists() else "(no output)"
    return "\n".join(text.splitlines()[-lines:])


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------


def wait_until(page: Page, predicate: str, failure: str, arg: object = None) -> None:
    """Wait until the JavaScript `predicate` holds in the page, or fail with `failure`."""
    try:
        page.wait_for_function(predicate, arg=arg, timeout=PAGE_TIMEOUT_MS)
    except PlaywrightTimeoutError:
        raise AssertionError(f"{failure} (waited {PAGE_TIMEOUT_MS / 1000:.0f} s)") from None


def open_notebook(page: Page, base_url: str, name: str) -> None:
    """Open notebook `name` (relative to the server's root) and wait until its kernel is idle.

    `?reset` starts from an empty workspace, so that no other notebook is reopened with it.
    While the notebook loads, the toolbar names "No Kernel" and still reports idle: only a
    named kernel that is idle has started and can run cells.
    """
    page.goto(f"{base_url}/lab/tree/{name}?reset", timeout=PAGE_TIMEOUT_MS)
    wait_until(
        page,
        """() => {
            const name = document.querySelector('.jp-NotebookPanel-toolbar .jp-Toolbar-kernelName');
            const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
            return name && name.textContent.trim() && name.textContent.trim() !== 'No Kernel'
                && status && status.getAttribute('data-status') === 'idle';
        }""",
        f"expected {name} to open with an idle kernel",
    )


def run_all_cells(page: Page) -> None:
    """Run > Run All Cells, then wait until the kernel has finished or stopped at an error.

    Every code cell is queued at once and shows `[*]:` until it has run; after an error the
    queue is dropped and the cells left show `[ ]:`. So the run is over when no prompt shows
    `[*]:` and at least one shows a number.
    """
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
    wait_until(
        page,
        """() => {
            const prompts = [...document.querySelectorAll(
                '.jp-Notebook .jp-CodeCell .jp-InputPrompt')].map(prompt => prompt.textContent);
            return prompts.some(text => /\\[\\d+\\]/.test(text))
                && !prompts.some(text => text.includes('*'));
        }""",
        "expected Run All Cells to run the notebook to its end or to an error",
    )


def unexecuted_cells(page: Page) -> list[str]:
    """The first line of every code cell that shows no execution count."""
    cells = page.locator(".jp-Notebook .jp-CodeCell")
    missing = []
    for index in range(cells.count()):
        cell = cells.nth(index)
        prompt = cell.locator(".jp-InputPrompt").text_content() or ""
        if not re.search(r"\[\d+\]", prompt):
            first_line = cell.locator(".cm-line").first.text_content() or "(empty)"
            missing.append(f"code cell {index + 1}: {first_line.strip()}")
    return missing


def wait_for_outputs_to_render(page: Page) -> None:
    """Wait until every output of every cell has content and every image has loaded.

    A widget's output stays empty until its model has arrived from the kernel; an image has
    no size until the browser has decoded it.
    """
    wait_until(
        page,
        """() => {
            const outputs = [...document.querySelectorAll(
                '.jp-Notebook .jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output')];
            const images = [...document.querySelectorAll('.jp-Notebook .jp-RenderedImage img')];
            const shown = output => output.childElementCount > 0 || output.textContent.trim();
            return outputs.every(shown)
                && images.every(image => image.complete && image.naturalWidth > 0);
        }""",
        "expected every output to render and every image to load",
    )


# An error shows as stderr text holding a Python traceback: IPython heads it with "Traceback
# (most recent call last)", except for syntax errors, whose last line names the error.
_TRACEBACK_HEADER = "Traceback (most recent call last)"
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b")


def shown_errors(area: Page | Locator) -> list[str]:
    """The text of every error shown in `area` (a page, or a widget), in cells and widgets alike.

    Warnings and progress bars also go to stderr; they are not errors and are not returned.
    Neither is a widget that failed to display, which `widget_display_errors` finds.
    """
    errors = []
    stderr = area.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    for text in stderr.all_text_contents():
        lines = [line for line in text.splitlines() if line.strip()]
        if _TRACEBACK_HEADER in text or (lines and _EXCEPTION_LINE.match(lines[-1])):
            errors.append(text)
    return errors


def widget_display_errors(page: Page) -> list[str]:
    """Messages JupyterLab shows in place of a widget it could not display."""
    outputs = page.locator(".jp-Notebook .jp-OutputArea-output")
    return [text for text in outputs.all_text_contents() if "Error displaying widget" in text]


def figure_reprs(page: Page) -> list[str]:
    """Text like `<Figure size 640x480 with 1 Axes>`: a figure printed instead of drawn."""
    outputs = page.locator(".jp-Notebook .jp-OutputArea-output[data-mime-type='text/plain']")
    return [text for text in outputs.all_text_contents() if re.search(r"<Figure size [^>]*>", text)]


def interact_widgets(page: Page) -> list[Locator]:
    """Every box made by `ipywidgets.interact`/`interactive`, in notebook order."""
    return page.locator(".jp-Notebook .widget-interact").all()


def plot_sources(widget: Locator) -> str:
    """The `src` of every loaded image in a widget's output, joined: the PNG data, base64.

    Two drawings differ exactly when these differ. Empty when the output holds no loaded image.
    """
    return widget.evaluate(
        """box => [...box.querySelectorAll('.widget-output .jp-RenderedImage img')]
                .filter(image => image.complete && image.naturalWidth > 0)
                .map(image => image.src)
                .join(' ')"""
    )


def move_first_slider(page: Page, widget: Locator) -> tuple[str, str]:
    """Click a widget's first slider far from its handle; returns its value before and after.

    A click on a noUiSlider track moves the handle there, as a learner's click would. The
    target is the far quarter of the track, so the value changes whatever its start.
    """
    slider = widget.locator(".widget-slider").first
    handle = slider.locator(".noUi-handle").first
    track = slider.locator(".noUi-target").first
    before = handle.get_attribute("aria-valuenow") or ""
    low = float(handle.get_attribute("aria-valuemin") or 0)
    high = float(handle.get_attribute("aria-valuemax") or 1)
    position = (float(before) - low) / (high - low) if high > low else 0.0
    fraction = 0.85 if position < 0.5 else 0.15

    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    if box is None:
        raise AssertionError("expected the slider's track to be visible, found it hidden")
    page.mouse.click(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2)
    wait_until(
        page,
        "([handle, before]) => handle.getAttribute('aria-valuenow') !== before",
        f"expected a click on the slider's track to move it from {before}",
        arg=[handle.element_handle(), before],
    )
    return before, handle.get_attribute("aria-valuenow") or ""


def wait_for_new_plot(page: Page, widget: Locator, old_sources: str) -> str:
    """Wait until the widget's output holds loaded images other than `old_sources`; return them.

    A redraw that raises shows its traceback instead of a plot: that ends the wait too, with
    the traceback in the error.
    """
    wait_until(
        page,
        """([box, old]) => {
            const sources = [...box.querySelectorAll('.widget-output .jp-RenderedImage img')]
                .filter(image => image.complete && image.naturalWidth > 0)
                .map(image => image.src)
                .join(' ');
            const stderr = box.querySelector(
                '.widget-output [data-mime-type="application/vnd.jupyter.stderr"]');
            return (sources !== '' && sources !== old) || stderr !== null;
        }""",
        "expected the widget's plot to change after its slider moved, but the image stayed",
        arg=[widget.element_handle(), old_sources],
    )
    errors = shown_errors(widget)
    if errors:
        raise AssertionError(
            "expected the widget to redraw its plot when its slider moved, but it shows an "
            "error:\n" + "\n".join(errors)
        )
    return plot_sources(widget)


def wait_for_kernel_idle(page: Page) -> None:
    """Wait until the notebook's kernel reports idle."""
    wait_until(
        page,
        """() => document.querySelector('.jp-Notebook-ExecutionIndicator')
                    ?.getAttribute('data-status') === 'idle'""",
        "expected the kernel to become idle",
    )


def clear_screenshots(folder: Path, stem: str) -> None:
    """Remove the screenshots a previous run left for notebook `stem`."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{stem}-*.png"):
        old.unlink()


def copy_folder_if_present(source: Path, destination: Path) -> None:
    """Copy folder `source` to `destination`, or make `destination` empty if there is none."""
    if source.is_dir():
        shutil.copytree(source, destination)
    else:
        destination.mkdir(parents=True, exist_ok=True)
