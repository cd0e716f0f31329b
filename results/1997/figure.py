"""The reproduction of the 1997 paper's Tables 7 and 9 from the runs in this folder: the
figure table.png, and the table of README.md, printed in Markdown.

    python results/1997/figure.py        (from the repository's root, after run.sh)
"""

import sys
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # minigrad, from anywhere

from minigrad.course.reproduce import load_results, markdown_table, plot_reproduction  # noqa: E402

FOLDER = Path(__file__).resolve().parent

if __name__ == "__main__":
    results = load_results(FOLDER)
    figure = Figure(figsize=(7.5, 4.2), layout="constrained")
    FigureCanvasAgg(figure)
    plot_reproduction(results, figure.subplots())
    figure.savefig(FOLDER / "table.png", dpi=100)
    print("\n".join(markdown_table(results)))
