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
  grade PATH [--json FILE] [--timeout SECONDS]
                 run exercise notebooks (a .ipynb file or a folder of them) in a fresh
                 kernel and score their check(...) calls
  train TASK [--model rnn|lstm|gru] [--seq-len T] [--steps N] [--seed S] [--plot PNG]
                 train a recurrent net on a synthetic task (adding, temporal_order,
                 copy, reber) and compare its test score with the task's baseline
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
        from minigrad.grading import main as grade

        return grade(arguments)
    if command == "train":
        from minigrad.train import main as train

        return train(arguments)
    if command == "reproduce":
        from minigrad.reproduce import main as reproduce

        return reproduce(arguments)
    print(f"python -m minigrad: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
