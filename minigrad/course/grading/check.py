"""`check(part, answer)`: instant feedback in a learner's notebook. Advice, not the grade.

In a notebook, a learner writes a function and calls

    from minigrad.course.grading.check import check
    check("demo.square", square)

`check` looks the part up in the course's manifest, runs its check on the answer and prints at
once what it found: a pass, or what is wrong in words (a wrong shape, values out of range, a
wrong number together with the input that shows it, "not implemented yet"). It never raises
because of the answer: an exception in the learner's code becomes a message.

The grade is not taken from here: everything in the learner's kernel, `check` included, can be
changed by the learner's own cells. The grader's judge runs the same checks in the grader's
process, on fresh inputs (see judge.py).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from minigrad.course import workspace
from minigrad.course.grading.expect import WrongAnswer, safe_str
from minigrad.course.grading.manifest import PARTS

# The answer last passed to check() for each part in this process: the judge falls back on it
# when the notebook has no function under the part's usual name.
last_answers: dict[str, Any] = {}


class AnswerUnavailable(Exception):
    """The answer could not be called at all (its kernel stopped or ran out of time): no
    fault that the message can point to in the answer's code."""


@dataclass
class PartResult:
    """The score of one part: `points` out of `max_points`, and what the learner should know.

    flags: notes for the teacher that do not change the score (an answer that calls
    minigrad's own implementation of the part).
    """

    name: str
    points: int
    max_points: int
    message: str
    flags: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line (plus any detail lines) to print under the learner's cell."""
        if self.points == self.max_points:
            return f"{self.name}: passed, {self.points}/{self.max_points} points."
        return f"{self.name}: {self.points}/{self.max_points} points. {self.message}"


def run_check(part: str, answer: Any) -> PartResult:
    """Check `answer` for `part` and return the result. Only an unknown part name raises."""
    if not isinstance(part, str):
        raise TypeError(
            f"check() takes the part's name first, as a str, like check('demo.square', square); "
            f"got a {type(part).__name__}"
        )
    if part not in PARTS:
        close = difflib.get_close_matches(part, PARTS, n=1)
        did_you_mean = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"unknown part {part!r}.{did_you_mean} Known parts: {', '.join(sorted(PARTS))}"
        )
    graded = PARTS[part]
    name = getattr(answer, "__name__", "")
    name = name if isinstance(name, str) and name.isidentifier() else "Your answer"
    try:
        graded.check(answer)
    except WrongAnswer as wrong:
        message = safe_str(wrong, limit=2000)
    except AnswerUnavailable as unavailable:
        message = safe_str(unavailable, limit=2000)
    except NotImplementedError:
        message = (
            f"Not implemented yet: {name} raises NotImplementedError. "
            "Replace the `raise NotImplementedError` with your code."
        )
    except Exception as error:
        # an error raised in a learner's kernel comes back under its own type's name
        type_name = getattr(error, "learner_type", type(error).__name__)
        if isinstance(error, TypeError) and not callable(answer):
            message = (
                f"Your answer is a {type(answer).__name__}, not a function: pass the function "
                f"itself, without calling it, like check({part!r}, my_function)."
            )
        else:
            message = f"{name} raised {type_name}: {safe_str(error)}"
    else:
        return PartResult(part, graded.points, graded.points, "passed")
    return PartResult(part, 0, graded.points, message)


def check(part: str, answer: Any) -> None:
    """Check a learner's `answer` (usually a function) for the exercise part named `part`,
    and print the verdict. It raises only when `part` is not a known part name."""
    result = run_check(part, answer)
    last_answers[part] = answer
    notice = workspace.notice_in_kernel()  # once per kernel: the exercise changed upstream
    print(result.summary() + (f"\n\n{notice}" if notice else ""))
