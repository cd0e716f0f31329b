"""What keeps one learner's notebook from reaching beyond itself while it is graded.

- Its kernel gets its own IPython, Jupyter and matplotlib folders (no shared startup files),
  no user site-packages, the installed course first on its path, and a token in its
  environment (`kernel_environment`).
- Its output is capped per cell (`CappedClient`), so that a print loop cannot grow the grader.
- Afterwards every process of its kernel's session or process group, or that carries its
  token, is ended (`end_processes`).
- The course's files, and Python's start-up files, are hashed before and after it
  (`course_fingerprint`): a notebook that changed them is reported.
"""

from __future__ import annotations

import hashlib
import os
import signal
import site
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nbclient import NotebookClient

import minigrad

# Output a notebook's cell may keep, in characters; beyond it, one note says what was dropped.
OUTPUT_LIMIT = 2_000_000


class CappedClient(NotebookClient):
    """nbclient's client, keeping at most OUTPUT_LIMIT characters of output per cell.

    In the judge's own cell (`scratch`) it keeps only the kernel's replies and errors: what the
    learner's function prints while the judge calls it is not the judge's business.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scratch = -1
        self.kept: dict[int, int] = {}  # cell index -> characters of output kept

    def output(self, outs: list, msg: dict, display_id: Any, cell_index: int) -> Any:
        from nbformat.v4 import new_output

        from minigrad.course.grading.wire import REPLY_MIME

        content = msg.get("content", {})
        if cell_index == self.scratch:
            if msg.get("msg_type") != "error" and REPLY_MIME not in content.get("data", {}):
                return None
            return super().output(outs, msg, display_id, cell_index)
        size = sum(len(str(value)) for value in content.values())
        kept = self.kept.get(cell_index, 0)
        if msg.get("msg_type") != "error" and kept + size > OUTPUT_LIMIT:
            if kept <= OUTPUT_LIMIT:
                self.kept[cell_index] = OUTPUT_LIMIT + 1
                note = f"[the grader kept only the first {OUTPUT_LIMIT:,} characters of output]"
                outs.append(new_output("stream", name="stderr", text=note))
            return None
        self.kept[cell_index] = kept + size
        return super().output(outs, msg, display_id, cell_index)


def kernel_environment(folder: Path, token: str) -> dict[str, str]:
    """The kernel's environment: this one, with IPython's and matplotlib's folders in `folder`
    (no shared startup files), no user site-packages, and a token that marks its processes."""
    env = dict(os.environ)
    env.update(
        IPYTHONDIR=str(folder / "ipython"),
        MPLCONFIGDIR=str(folder / "matplotlib"),
        JUPYTER_CONFIG_DIR=str(folder / "jupyter"),
        PYTHONNOUSERSITE="1",
        PYTHONDONTWRITEBYTECODE="1",
        MINIGRAD_GRADING_RUN=token,
        PYTHONHASHSEED="0",
    )
    # a folder on PYTHONPATH could hold a shadow `minigrad`: the kernel imports the installed one
    env["PYTHONPATH"] = str(Path(minigrad.__file__).resolve().parent.parent)
    return env


def end_processes(kernel_pid: int | None, token: str) -> list[int]:
    """End every process of the kernel's session or process group, or that carries `token`
    in its environment (a child that left the session). Returns the process ids ended."""
    ended = []
    for pid, session, group, environ in _processes():
        if pid == os.getpid():
            continue
        ours = kernel_pid is not None and kernel_pid in (session, group, pid)
        if ours or f"MINIGRAD_GRADING_RUN={token}".encode() in environ:
            try:
                os.kill(pid, signal.SIGKILL)
                ended.append(pid)
            except (ProcessLookupError, PermissionError):
                pass
    if kernel_pid is not None and not ended and hasattr(os, "killpg"):
        try:  # no /proc to read (macOS): at least the kernel's process group
            os.killpg(kernel_pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return ended


def _processes() -> Iterator[tuple[int, int, int, bytes]]:
    """(pid, session, process group, environment) of the processes /proc shows us."""
    proc = Path("/proc")
    if not proc.is_dir():
        return
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            environ = (entry / "environ").read_bytes()
        except (OSError, ValueError):
            continue
        yield int(entry.name), int(fields[3]), int(fields[2]), environ


def course_fingerprint() -> str:
    """A hash of the course's files, and of Python's start-up files (.pth, sitecustomize),
    which a notebook could change to reach the grading of the notebooks after it."""
    digest = hashlib.sha256()
    package = Path(minigrad.__file__).resolve().parent
    # bytecode caches too: a planted one would run in place of its source in later runs (the
    # kernels write none, PYTHONDONTWRITEBYTECODE, so a new one is a notebook's doing)
    files = [p for p in package.rglob("*") if p.is_file()]
    for folder in {*site.getsitepackages(), site.getusersitepackages()}:
        folder_path = Path(folder)
        if folder_path.is_dir():
            files += sorted(folder_path.glob("*.pth"))
            files += sorted(folder_path.glob("*customize.py"))
    for path in sorted(files):
        digest.update(os.fsencode(path))
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"(unreadable)")
    return digest.hexdigest()
