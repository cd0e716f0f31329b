"""Graded exercises: the checks of every part, the inline `check()`, and the grader.

- `expect`: `WrongAnswer` and the helpers a check uses to say what it expects.
- `parts/`: the checks, one file per chapter (`demo` holds three small examples).
- `manifest`: what the course grades, notebook by notebook, part by part.
- `check`: `check(part, answer)`, for instant feedback in a notebook: advice, not the grade.
- `wire`: how arguments and results travel between the grader and a learner's kernel.
- `judge`: runs each part's check in the grader's own process on the learner's function.
- `isolation`: what keeps one notebook from reaching beyond itself (folders, processes,
  output, the course's files).
- `report`: the table, the JSON (ours or Gradescope's) and the CSV gradebook.
- `grader`: `python -m minigrad grade`: runs the notebooks and has the judge score them.
"""
