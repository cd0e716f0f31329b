"""The trusted judge: the learner's code computes in its kernel, the course's code decides here.

After a learner's notebook has run in its kernel, the judge grades each part of the course's
manifest: it runs the part's check (parts/chN.py) in the grader's own process, on a stand-in
for the learner's function (`RemoteAnswer`). Calling the stand-in sends the arguments to the
kernel, where the learner's function (found by the name the manifest gives it) runs on them,
and only the results come back as data (wire.py). The comparison with the reference, and the
decision, happen here, with the checks imported from the installed course.

The inputs are fresh for each grading run: every seed of the checks is moved by an amount
drawn here (expect.fresh_inputs), so results stored in a notebook, or replayed from a solution,
answer the wrong questions.

A result that needs a gradient comes back as a Tensor of this process whose backward asks
the kernel: backward(grad) through the learner's graph there, and the gradients of the inputs
back (a probe; gradcheck then compares them with finite differences here). A rule that the
check puts into its own graph (a backward the learner wrote) is called the same way, one
request per call.

While a part's first call runs, the kernel notes which of minigrad's functions ran: an answer
that calls minigrad's own implementation of the part is flagged for the teacher.
"""

from __future__ import annotations

import builtins
import json
import math
import os
import threading
import time
from typing import Any

import numpy as np

from minigrad.course.grading.check import AnswerUnavailable, PartResult, run_check
from minigrad.course.grading.expect import fresh_inputs
from minigrad.course.grading.manifest import PARTS, Part
from minigrad.course.grading.wire import REPLY_MIME, Decoder, Encoder, WireError, read_array
from minigrad.tensor import Tensor, make_node

# The code the judge runs in the kernel for each request: the course's own `serve`.
SERVE_CODE = (
    "from minigrad.course.grading import wire as _minigrad_judge\n_minigrad_judge.serve({})"
)

# Errors of the learner's code that come back as themselves, so that a check can tell them apart
# (a TypeError for a None gradient, a RecursionError for a deep graph).
KNOWN_ERRORS = {
    name: getattr(builtins, name)
    for name in (
        "ArithmeticError",
        "AttributeError",
        "IndexError",
        "KeyError",
        "LookupError",
        "NameError",
        "NotImplementedError",
        "OverflowError",
        "RecursionError",
        "RuntimeError",
        "TypeError",
        "ValueError",
        "ZeroDivisionError",
    )
}


class LearnerError(Exception):
    """An exception of a type the judge does not rebuild, raised by the learner's code."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(message)
        self.learner_type = type_name


def learner_error(type_name: str, message: str) -> Exception:
    """The learner's exception, rebuilt as a builtin type when it was one, with its message."""
    cls = KNOWN_ERRORS.get(type_name)
    if cls is None:
        return LearnerError(type_name, message)
    error = cls(message)
    error.learner_type = type_name
    return error


class Channel:
    """Requests to a learner's kernel, within `timeout` seconds in all.

    client: the nbclient NotebookClient whose kernel ran the notebook; scratch: the index of a
    cell appended to its notebook, which each request reuses.
    """

    def __init__(self, client: Any, scratch: int, timeout: float) -> None:
        self.client = client
        self.scratch = scratch
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.broken = ""  # why the kernel cannot answer any more

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send `message` to the kernel's `serve` and return its reply, checked for form."""
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
        from nbformat.v4 import new_code_cell

        if self.broken:
            raise AnswerUnavailable(self.broken)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self.broken = f"Not graded: the {self.timeout:g} s for grading the parts ran out"
            raise AnswerUnavailable(self.broken)
        cell = new_code_cell(SERVE_CODE.format(repr(json.dumps(message))))
        self.client.nb.cells[self.scratch] = cell
        self.client.timeout = max(1, math.ceil(remaining))
        try:
            self.client.execute_cell(cell, self.scratch)
        except CellTimeoutError:
            self.broken = (
                f"Not graded: the answer was still running when the {self.timeout:g} s for "
                "grading the parts ran out (an endless loop?)"
            )
            raise AnswerUnavailable(self.broken) from None
        except DeadKernelError:
            self.broken = "Not graded: the Python kernel stopped (a crash? out of memory?)"
            raise AnswerUnavailable(self.broken) from None
        replies = [
            output["data"][REPLY_MIME]
            for output in cell.outputs
            if output.get("output_type") == "display_data" and REPLY_MIME in output.get("data", {})
        ]
        if not replies or not isinstance(replies[-1], dict):
            errors = [output for output in cell.outputs if output.get("output_type") == "error"]
            why = f"{errors[0]['ename']}: {errors[0]['evalue']}"[:300] if errors else "no reply"
            raise AnswerUnavailable(f"Not graded: the kernel did not answer the grader ({why})")
        return replies[-1]


class RemoteAnswer:
    """Stands for the learner's function of one part: calling it calls that function in the
    kernel, on copies of the arguments, and returns copies of its results."""

    def __init__(self, channel: Channel, part: str, function: str) -> None:
        self.channel = channel
        self.part = part
        self.__name__ = function
        self.calls = 0
        self.used: list[str] = []  # minigrad's functions that ran during the first call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        call = self.calls
        self.calls += 1
        encoder = Encoder()
        message = {
            "op": "call",
            "part": self.part,
            "function": self.__name__,
            "call": call,
            "args": encoder.encode(list(args)),
            "kwargs": encoder.encode(dict(kwargs)),
            "profile": call == 0,
        }
        message["table"] = encoder.table()
        sent = dict(encoder.objects)
        reply = self.channel.request(message)
        status = reply.get("status")
        if status == "missing":
            raise AnswerUnavailable(f"Not answered: {reply.get('message', '')}")
        if status == "raised":
            raise learner_error(str(reply.get("type", "Exception")), str(reply.get("message", "")))
        if status != "ok":
            raise AnswerUnavailable(f"Not graded: a reply of unknown status {status!r}")
        if call == 0 and isinstance(reply.get("used"), list):
            self.used = [str(name) for name in reply["used"]]

        # leaves: the tensors sent that need a gradient, which a result's backward reaches
        leaves = [(n, t) for n, t in sent.items() if isinstance(t, Tensor) and t.requires_grad]

        def make_tensor(number: int, data: np.ndarray, requires_grad: bool) -> Tensor:
            if not requires_grad or not leaves:
                return Tensor._leaf(data.astype(float, copy=False))

            def backward(grad: np.ndarray) -> tuple:
                return self._backward(call, number, grad, leaves)

            return make_node(data, tuple(t for _, t in leaves), backward, "learner")

        decoder = Decoder(known=sent, make_tensor=make_tensor)
        try:
            decoder.load(reply.get("table"))
            return decoder.decode(reply.get("result"))
        except WireError as error:
            raise AnswerUnavailable(
                f"Not graded: the kernel's reply is malformed: {error}"
            ) from None

    def _backward(self, call: int, number: int, grad: np.ndarray, leaves: list) -> tuple:
        """The gradients of the leaves for backward(grad) through result `number` of `call`."""
        from minigrad.course.grading.wire import _array

        message = {
            "op": "backward",
            "call": call,
            "result": number,
            "grad": _array(np.asarray(grad, dtype=float)),
            "leaves": [n for n, _ in leaves],
        }
        reply = self.channel.request(message)
        if reply.get("status") == "raised":
            raise learner_error(str(reply.get("type", "Exception")), str(reply.get("message", "")))
        grads = reply.get("grads")
        if reply.get("status") != "ok" or not isinstance(grads, list) or len(grads) != len(leaves):
            raise AnswerUnavailable("Not graded: the kernel's reply to backward is malformed")
        result = []
        for wire_grad, (_, leaf) in zip(grads, leaves):
            try:
                g = None if wire_grad is None else read_array(wire_grad).astype(float)
            except WireError as error:
                raise AnswerUnavailable(f"Not graded: a malformed gradient: {error}") from None
            if g is not None and g.shape != leaf.shape:
                raise AnswerUnavailable(
                    f"Not graded: a gradient of shape {g.shape} for an input of shape {leaf.shape}"
                )
            result.append(g)
        return tuple(result)


def reference_flags(part: Part, used: list[str]) -> tuple[str, ...]:
    """Notes for the teacher: minigrad's implementations of this part that the answer called."""
    flags = []
    for name in used:
        path, _, qualname = name.partition(":")
        # the checker's own functions; a method is one of an object the check passed in (the
        # model of a training step), which the answer may well call
        if path.startswith("course/grading/") and "." not in qualname:
            flags.append(f"calls the course's checker code {qualname} ({path})")
            continue
        for reference in part.references:
            file, _, wanted = reference.partition(":")
            if os.path.basename(path) == file and wanted in ("*", qualname):
                flags.append(f"calls minigrad's own {qualname} ({path}), which computes this part")
    return tuple(dict.fromkeys(flags))


# The checks of one process run one at a time: the engine's grad mode (no_grad) is one flag
# for the whole process, and gradcheck turns it off while it computes finite differences, so
# a check judged in another thread meanwhile (the grader judges several submissions at once)
# would build no graph and fail a right answer. The kernels still run the notebooks at once.
_checking = threading.Lock()


def judge_part(channel: Channel, name: str, offset: int) -> PartResult:
    """Grade part `name` on the learner's function in the kernel, with seeds moved by `offset`."""
    part = PARTS[name]
    answer = RemoteAnswer(channel, name, part.function)
    try:
        channel.request({"op": "reset"})
    except AnswerUnavailable as unavailable:
        return PartResult(name, 0, part.points, str(unavailable))
    waiting = time.monotonic()
    with _checking, fresh_inputs(offset):
        channel.deadline += time.monotonic() - waiting  # waiting for the lock is not its time
        result = run_check(name, answer)
    result.flags = reference_flags(part, answer.used)
    return result


def judge_notebook(client: Any, parts: tuple[str, ...], timeout: float, offset: int) -> list:
    """Grade `parts` on the kernel of `client` (a notebook that has run): a PartResult each."""
    from nbformat.v4 import new_code_cell

    client.nb.cells.append(new_code_cell(""))
    channel = Channel(client, len(client.nb.cells) - 1, timeout)
    return [judge_part(channel, name, offset) for name in parts]
