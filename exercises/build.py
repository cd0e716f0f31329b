"""Build the exercise notebooks and their solutions from one source per chapter.

Each chapter is written once, in `exercises/source/NN_name.py`: a Python script cut into
notebook cells by `# %%` lines (`# %% [markdown]` starts a text cell, whose lines are comments).
In a code cell, the learner's part is marked:

    def mul_local_grads(a: float, b: float) -> tuple[float, float]:
        \"\"\"The local derivatives of c = a * b: (dc/da, dc/db).\"\"\"
        # BEGIN SOLUTION
        return b, a
        # END SOLUTION

From it come two notebooks that can never drift apart:
- `exercises/NN_name.ipynb`, where each marked block becomes `# YOUR CODE HERE` and
  `raise NotImplementedError`, stored without outputs;
- `solutions/NN_name.ipynb`, the same cells with the marker lines removed, executed in a
  fresh kernel so that it is stored with its outputs.

    python exercises/build.py            # write both notebooks of every chapter
    python exercises/build.py 03_rnn_bptt --no-execute
    python exercises/build.py --check    # exit 1 if a notebook's cells differ from its source
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

EXERCISES = Path(__file__).resolve().parent
SOURCES = EXERCISES / "source"
SOLUTIONS = EXERCISES.parent / "solutions"

CELL_MARK = re.compile(r"^# %%( \[markdown\])?\s*$")
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
BLANK_BODY = ["# YOUR CODE HERE", "raise NotImplementedError"]


def read_cells(source: Path) -> list[tuple[str, str]]:
    """The cells of a chapter's source, as (cell type, text) in order."""
    cells: list[tuple[str, list[str]]] = []
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        mark = CELL_MARK.match(line)
        if mark:
            cells.append(("markdown" if mark.group(1) else "code", []))
        elif not cells:
            if line.strip():
                raise ValueError(f"{source}:{number}: text before the first '# %%' line")
        elif cells[-1][0] == "markdown":
            if line and not line.startswith("#"):
                raise ValueError(f"{source}:{number}: a markdown line must start with '#'")
            cells[-1][1].append(line[2:] if line.startswith("# ") else line[1:])
        else:
            cells[-1][1].append(line)
    return [(kind, "\n".join(lines).strip("\n")) for kind, lines in cells]


def exercise_code(code: str, where: str) -> str:
    """A code cell with each solution block replaced by the blank the learner fills in."""
    lines, inside = [], False
    for line in code.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"{where}: '{BEGIN}' inside another solution block")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            lines.extend(indent + blank for blank in BLANK_BODY)
        elif stripped == END:
            if not inside:
                raise ValueError(f"{where}: '{END}' without '{BEGIN}'")
            inside = False
        elif not inside:
            lines.append(line)
    if inside:
        raise ValueError(f"{where}: '{BEGIN}' without '{END}'")
    return "\n".join(lines)


def solution_code(code: str) -> str:
    """A code cell with the solution markers removed and the solution kept."""
    return "\n".join(line for line in code.splitlines() if line.strip() not in (BEGIN, END))


def build_notebooks(source: Path) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """The (exercise, solution) notebooks of one chapter's source, without outputs."""
    notebooks = (new_notebook(), new_notebook())
    for index, (kind, text) in enumerate(read_cells(source)):
        cell_id = f"cell-{index:02d}"  # fixed ids: a rebuild changes nothing that did not change
        if kind == "markdown":
            versions = (text, text)
            make = new_markdown_cell
        else:
            versions = (exercise_code(text, f"{source.name}, cell {index}"), solution_code(text))
            make = new_code_cell
        for notebook, version in zip(notebooks, versions):
            cell = make(version)
            cell.id = cell_id
            notebook.cells.append(cell)
    for notebook in notebooks:
        notebook.metadata = {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
    return notebooks


def cells_of(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in notebook.cells]


def differences(source: Path) -> list[str]:
    """Why the stored notebooks of a chapter do not match its source (empty when they do)."""
    problems = []
    for built, folder in zip(build_notebooks(source), (EXERCISES, SOLUTIONS)):
        path = folder / f"{source.stem}.ipynb"
        if not path.exists():
            problems.append(f"{path} is missing")
            continue
        if cells_of(nbformat.read(path, as_version=4)) != cells_of(built):
            problems.append(f"{path} differs from {source}: run python exercises/build.py")
    return problems


def execute(path: Path) -> None:
    """Run a notebook top to bottom in place, as `make notebooks` does."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    command = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute"]
    # no timestamps in the cells' metadata: a rebuild changes only what the code changed
    options = ["--inplace", "--ExecutePreprocessor.record_timing=False"]
    subprocess.run([*command, *options, str(path)], check=True, env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("chapters", nargs="*", help="chapter names, e.g. 01_scalar_autograd")
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    parser.add_argument("--no-execute", action="store_true", help="do not run the solutions")
    args = parser.parse_args(argv)

    sources = sorted(SOURCES.glob("*.py"))
    if args.chapters:
        sources = [SOURCES / f"{name}.py" for name in args.chapters]
        missing = [str(s) for s in sources if not s.exists()]
        if missing:
            parser.error(f"no such chapter source: {', '.join(missing)}")
    if args.check:
        problems = [problem for source in sources for problem in differences(source)]
        print("\n".join(problems) or f"{len(sources)} chapters match their sources")
        return 1 if problems else 0

    for source in sources:
        exercise, solution = build_notebooks(source)
        exercise_path = EXERCISES / f"{source.stem}.ipynb"
        solution_path = SOLUTIONS / f"{source.stem}.ipynb"
        nbformat.write(exercise, exercise_path)
        nbformat.write(solution, solution_path)
        print(f"wrote {exercise_path.relative_to(EXERCISES.parent)} and {solution_path.name}")
        if not args.no_execute:
            execute(solution_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
