"""The course's command line: `python -m minigrad COMMAND [ARGS]`.

Each command lives in its own module, which is imported only when the command is asked for:
`grade` needs Jupyter's packages and `train` needs the training code, and neither should stop
the other from running.
"""

from __future__ import annotations

import sys

USAGE = """\
usage: python -m minigrad COMMAND [ARGS]

commands:
  grade [PATH...] [--json FILE] [--format minigrad|gradescope] [--csv FILE]
        [--timeout SECONDS] [--jobs N]
                 grade exercise notebooks (a folder of them, or one; by default my-work/;
                 several folders grade a class): each runs in a fresh, isolated kernel,
                 and the course's checks judge its functions on fresh inputs
  exercises status|prepare|refresh NAME|move NAME
                 your copies of the exercises in my-work/: what changed in the course,
                 the course's new version beside yours, edits made in exercises/ moved in
  train TASK [--model rnn|lstm|gru] [--seq-len T] [--steps N] [--seed S] [--plot PNG]
             [--json FILE] [--save NPZ]
                 train a recurrent net on a task (adding, temporal_order, copy, reber,
                 or the text shakespeare) and compare its test score with the task's
                 baseline
  reproduce adding|temporal_order [--seq-len T] [--seed S] [--json FILE]
                 run a 1997 LSTM paper experiment with its stopping criterion and test

`python -m minigrad COMMAND --help` describes a command's options."""


def main(argv: list[str] | None = None) -> int:
    """Run the command named by argv[0] with the rest of argv; return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print(USAGE, file=sys.stderr)
        return 2
    command, arguments = argv[0], argv[1:]
    if command in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    if command == "grade":
        from minigrad.course.grading.grader import main as grade

        return grade(arguments)
    if command == "exercises":
        from minigrad.course.workspace import main as exercises

        return exercises(arguments)
    if command == "train":
        from minigrad.course.train import main as train

        return train(arguments)
    if command == "reproduce":
        from minigrad.course.reproduce import main as reproduce

        return reproduce(arguments)
    print(f"python -m minigrad: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
