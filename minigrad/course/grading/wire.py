"""How arguments and results travel between the grader and a learner's kernel, as JSON.

The judge (judge.py) calls a learner's function, which lives in the learner's kernel, on
inputs that the grader built: Tensors, Values and their graphs, minigrad modules, arrays,
numbers. Each call goes out as a request in the grader's own execute request; the kernel
rebuilds the arguments, calls the function, and displays a reply: the result, and the state of
every argument afterwards (a function may fill `.grad`, or change a module in place).

A value on the wire is JSON: None, a bool, an int, a float or a str as itself, and anything
else as {"@": kind, ...}. Tensors, Values and objects go into a table, by number, so that an
object used twice (a parameter held by a model and by its optimizer, a node of a graph) is
still one object on the other side; the value then holds {"@": "ref", "id": n}.

Reading a reply trusts nothing in it: arrays are read as raw numbers of a numeric dtype (never
pickles), objects of unknown kinds stay `Unreadable`, and a malformed reply is a `WireError`.
The code here that runs in the kernel (`serve`) can be changed by the learner's cells like any
other code there: it only ever hurts that learner's own answers, because the grader compares
the results with its own reference.
"""

from __future__ import annotations

import base64
import importlib
import json
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad.scalar import Value
from minigrad.tensor import Tensor

# The display data type of a reply from the kernel.
REPLY_MIME = "application/vnd.minigrad.judge+json"


class WireError(Exception):
    """A message on the wire is malformed: what was expected, and what came."""


class Unreadable:
    """What came back in place of an object the wire does not carry (a function, a file...)."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<a {self.type_name}, which the grader cannot receive>"


# ----------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------


def _array(values: np.ndarray) -> dict[str, Any]:
    values = np.ascontiguousarray(values)
    little = values.astype(values.dtype.newbyteorder("<"), copy=False)
    data = base64.b64encode(little.tobytes()).decode("ascii")
    return {"@": "array", "dtype": little.dtype.str, "shape": list(values.shape), "data": data}


class Encoder:
    """Turns values into wire form; `table()` then holds every object they refer to.

    known: id(object) -> number, for objects that already have a number (the kernel's copies
    of the arguments, whose state goes back under the numbers they came with).
    first: the number the next new object gets.
    """

    def __init__(self, known: dict[int, int] | None = None, first: int = 0) -> None:
        self.numbers: dict[int, int] = dict(known or {})
        self.objects: dict[int, Any] = {}  # number -> the object itself
        self.next_number = first
        self._pending: list[int] = []

    def encode(self, value: Any) -> Any:
        """The wire form of `value`; the objects it holds are numbered, not yet written."""
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
            return int(value)
        if isinstance(value, (float, np.floating)):
            return float(value)
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.ndarray):
            if value.dtype.kind in "biuf":
                return _array(value)
            return {"@": "unreadable", "type": f"numpy array of dtype {value.dtype}"}
        if isinstance(value, (list, tuple)):
            kind = "list" if isinstance(value, list) else "tuple"
            return {"@": kind, "items": [self.encode(item) for item in value]}
        if isinstance(value, dict):
            return {
                "@": "dict",
                "items": [[self.encode(k), self.encode(v)] for k, v in value.items()],
            }
        if isinstance(value, (Tensor, Value, np.random.Generator)) or _is_course_object(value):
            return {"@": "ref", "id": self.number(value)}
        return {"@": "unreadable", "type": type(value).__name__}

    def number(self, obj: Any) -> int:
        """The number of `obj` in the table, given to it now if it has none."""
        number = self.numbers.get(id(obj))
        if number is None:
            number = self.numbers[id(obj)] = self.next_number
            self.next_number += 1
            self._pending.append(number)
        self.objects[number] = obj
        return number

    def include(self, obj: Any, number: int) -> None:
        """Write `obj`, which already has `number`, into the table again (its state now)."""
        self.numbers[id(obj)] = number
        self.objects[number] = obj
        self._pending.append(number)

    def table(self) -> dict[str, Any]:
        """Every numbered object written out: {str(number): definition}. A loop, not a
        recursion, so that a chain of thousands of Values is no problem."""
        table: dict[str, Any] = {}
        while self._pending:
            number = self._pending.pop()
            if str(number) not in table:
                table[str(number)] = self._define(self.objects[number])
        return table

    def _define(self, obj: Any) -> dict[str, Any]:
        if isinstance(obj, Tensor):
            grad = None if obj.grad is None else _array(np.asarray(obj.grad))
            return {
                "kind": "tensor",
                "data": _array(obj.data),
                "grad": grad,
                "requires_grad": bool(obj.requires_grad),
            }
        if isinstance(obj, Value):
            return {
                "kind": "value",
                "data": float(obj.data),
                "grad": float(obj.grad),
                "op": str(obj._op),
                "parents": [self.number(p) for p in obj._parents],
                "local_grads": [float(g) for g in obj._local_grads],
            }
        if isinstance(obj, np.random.Generator):
            return {"kind": "generator", "state": obj.bit_generator.state}
        cls = type(obj)
        return {
            "kind": "object",
            "class": f"{cls.__module__}:{cls.__qualname__}",
            "attrs": self.encode(dict(vars(obj))),
        }


def _is_course_object(value: Any) -> bool:
    """A module, optimizer or other object of minigrad's own classes, carried by its attributes."""
    module = type(value).__module__
    return (module == "minigrad" or module.startswith("minigrad.")) and hasattr(value, "__dict__")


# ----------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------


def read_array(wire: Any) -> np.ndarray:
    """The array in `wire` ({"@": "array", ...}): raw numbers only, as a writable copy."""
    if not isinstance(wire, dict) or wire.get("@") != "array":
        raise WireError(f"expected an array, got {type(wire).__name__}")
    try:
        dtype = np.dtype(wire["dtype"])
        shape = tuple(int(n) for n in wire["shape"])
        raw = base64.b64decode(wire["data"], validate=True)
    except (KeyError, TypeError, ValueError) as error:
        raise WireError(f"a malformed array: {error}") from None
    if dtype.kind not in "biuf":
        raise WireError(f"an array of dtype {dtype}, expected numbers")
    if len(raw) != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
        raise WireError(f"an array of shape {shape} with {len(raw)} bytes of data")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


class Decoder:
    """Turns wire values back into Python values, with a table of objects.

    known: number -> an object that this side already has: its definition in a table updates
    it in place. make_class: resolves "module:qualname" to a class, or None to keep the
    objects of that table Unreadable (the grader never builds a class the kernel names).
    make_tensor: builds a new Tensor from (number, data, requires_grad).
    """

    def __init__(
        self,
        known: dict[int, Any] | None = None,
        make_class: Callable[[str], type] | None = None,
        make_tensor: Callable[[int, np.ndarray, bool], Tensor] | None = None,
    ) -> None:
        self.objects: dict[int, Any] = dict(known or {})
        self.known = set(self.objects)
        self.make_class = make_class
        self.make_tensor = make_tensor or (lambda number, data, grad: Tensor._leaf(data, grad))

    def load(self, table: Any) -> None:
        """Build (or update) every object of `table`: first all of them empty, then their
        contents, so that the order of the table and cycles do not matter."""
        if not isinstance(table, dict):
            raise WireError(f"expected a table of objects, got {type(table).__name__}")
        definitions = {}
        for key, definition in table.items():
            if not (isinstance(key, str) and key.isdigit() and isinstance(definition, dict)):
                raise WireError(f"a malformed table entry {key!r}")
            definitions[int(key)] = definition
        for number, definition in definitions.items():
            if number not in self.known:
                self.objects[number] = self._empty(number, definition)
        for number, definition in definitions.items():
            self._fill(self.objects[number], definition, number in self.known)

    def _empty(self, number: int, definition: dict[str, Any]) -> Any:
        kind = definition.get("kind")
        if kind == "tensor":
            data = read_array(definition.get("data"))
            return self.make_tensor(number, data, bool(definition.get("requires_grad")))
        if kind == "value":
            return Value(0.0)
        if kind == "generator" and self.make_class is not None:
            return np.random.default_rng()
        if kind == "object" and self.make_class is not None:
            cls = self.make_class(str(definition.get("class")))
            return cls.__new__(cls)
        return Unreadable(str(definition.get("class", kind)))

    def _fill(self, obj: Any, definition: dict[str, Any], known: bool) -> None:
        kind = definition.get("kind")
        if isinstance(obj, Tensor):
            if kind != "tensor":
                raise WireError(f"object {kind!r} where a Tensor was sent")
            if known:
                _update(obj, read_array(definition.get("data")))
            grad = definition.get("grad")
            obj.grad = None if grad is None else read_array(grad).astype(obj.data.dtype)
        elif isinstance(obj, Value):
            if kind != "value":
                raise WireError(f"object {kind!r} where a Value was sent")
            obj.data, obj.grad = _float(definition.get("data")), _float(definition.get("grad"))
            if not known:  # the graph of a Value that came back is not the grader's business
                parents = definition.get("parents", [])
                if self.make_class is not None and isinstance(parents, list):
                    obj._parents = tuple(self._object(p) for p in parents)
                    obj._local_grads = tuple(_float(g) for g in definition.get("local_grads", []))
                    obj._op = str(definition.get("op", ""))
        elif isinstance(obj, np.random.Generator):
            obj.bit_generator.state = definition.get("state")
        elif isinstance(obj, Unreadable):
            pass
        else:
            if kind != "object":
                raise WireError(f"object {kind!r} where an object was sent")
            attrs = self.decode(definition.get("attrs"))
            if not isinstance(attrs, dict):
                raise WireError("an object's attributes are not a dict")
            for name, value in attrs.items():
                if isinstance(name, str):
                    object.__setattr__(obj, name, value)

    def _object(self, number: Any) -> Any:
        if not isinstance(number, int) or number not in self.objects:
            raise WireError(f"a reference to object {number!r}, which is not in the table")
        return self.objects[number]

    def decode(self, wire: Any) -> Any:
        """The Python value of `wire` (after `load` of its table)."""
        if wire is None or isinstance(wire, (bool, int, float, str)):
            return wire
        if not isinstance(wire, dict):
            raise WireError(f"a malformed value of type {type(wire).__name__}")
        kind = wire.get("@")
        if kind == "ref":
            return self._object(wire.get("id"))
        if kind == "array":
            return read_array(wire)
        if kind in ("list", "tuple"):
            items = [self.decode(item) for item in _items(wire)]
            return items if kind == "list" else tuple(items)
        if kind == "dict":
            result = {}
            for pair in _items(wire):
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise WireError("a dict whose items are not pairs")
                key = self.decode(pair[0])
                if not isinstance(key, (str, int, float, bool, type(None), tuple)):
                    raise WireError(f"a dict key of type {type(key).__name__}")
                result[key] = self.decode(pair[1])
            return result
        return Unreadable(str(wire.get("type", kind)))


def _items(wire: dict[str, Any]) -> list[Any]:
    items = wire.get("items")
    if not isinstance(items, list):
        raise WireError("a list without items")
    return items


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise WireError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _update(tensor: Tensor, values: np.ndarray) -> None:
    """Give `tensor` the data that came back: in place when it fits, as the learner's function
    changed it in place (a check may hold the array itself), else as a new array."""
    data = tensor.data
    if values.shape == data.shape and data.flags.writeable:
        data[...] = values
    else:
        tensor.data = values.astype(data.dtype)


def course_class(name: str) -> type:
    """The class "module:qualname" of minigrad that a request names (in the kernel)."""
    module_name, _, qualname = name.partition(":")
    if not (module_name == "minigrad" or module_name.startswith("minigrad.")):
        raise WireError(f"the class {name} is not minigrad's")
    target: Any = importlib.import_module(module_name)
    for attribute in qualname.split("."):
        target = getattr(target, attribute)
    if not isinstance(target, type):
        raise WireError(f"{name} is not a class")
    return target


# ----------------------------------------------------------------------------------------------
# The kernel's side: answering the judge's requests
# ----------------------------------------------------------------------------------------------

# call number -> (the decoder of its arguments, the encoder of its reply), for backward
_calls: dict[int, tuple[Decoder, Encoder]] = {}


def serve(request_text: str) -> None:
    """Answer one request of the judge in a learner's kernel, by displaying the reply."""
    from IPython.display import display

    try:
        request = json.loads(request_text)
        if request["op"] == "reset":
            _calls.clear()
            reply: dict[str, Any] = {"status": "ok"}
        elif request["op"] == "call":
            reply = _call(request)
        else:
            reply = _backward(request)
    except BaseException as error:  # the learner's code may raise anything, even SystemExit
        reply = {"status": "raised", "type": type(error).__name__, "message": _text(error)}
    display({REPLY_MIME: reply, "text/plain": "(a reply to the grader)"}, raw=True)


def _find_answer(part: str, function: str) -> Any:
    """What the learner passed to check(part, ...) last, or else the function named
    `function` in the notebook."""
    from IPython import get_ipython

    from minigrad.course.grading.check import last_answers

    if part in last_answers:
        return last_answers[part]
    namespace = get_ipython().user_ns
    if function not in namespace:
        raise LookupError(
            f"the notebook defines no function named {function} (and never called "
            f"check({part!r}, ...))"
        )
    return namespace[function]


def _call(request: dict[str, Any]) -> dict[str, Any]:
    try:
        answer = _find_answer(request["part"], request["function"])
    except LookupError as missing:
        return {"status": "missing", "message": _text(missing)}
    decoder = Decoder(make_class=course_class)
    decoder.load(request["table"])
    args = decoder.decode(request["args"])
    kwargs = decoder.decode(request["kwargs"])
    used: set[str] = set()
    profile = _recorder(used) if request.get("profile") else None
    sys.setprofile(profile)
    try:
        result = answer(*args, **kwargs)
    except BaseException as error:
        return {"status": "raised", "type": type(error).__name__, "message": _text(error)}
    finally:
        sys.setprofile(None)
    sent = {id(obj): number for number, obj in decoder.objects.items()}
    encoder = Encoder(known=sent, first=max(decoder.objects, default=-1) + 1)
    wire_result = encoder.encode(result)
    for number, obj in decoder.objects.items():
        encoder.include(obj, number)
    _calls[int(request["call"])] = (decoder, encoder)
    return {
        "status": "ok",
        "result": wire_result,
        "table": encoder.table(),
        "used": sorted(used),
    }


def _backward(request: dict[str, Any]) -> dict[str, Any]:
    """backward(grad) through one result of an earlier call; the gradients of the leaves."""
    decoder, encoder = _calls[int(request["call"])]
    result = encoder.objects[int(request["result"])]
    leaves = [decoder.objects[int(n)] for n in request["leaves"]]
    saved = [leaf.grad for leaf in leaves]
    for leaf in leaves:
        leaf.grad = None
    try:
        result.backward(read_array(request["grad"]))
        grads = [None if leaf.grad is None else _array(np.asarray(leaf.grad)) for leaf in leaves]
    finally:
        for leaf, grad in zip(leaves, saved):
            leaf.grad = grad
    return {"status": "ok", "grads": grads}


def _recorder(used: set[str]) -> Callable:
    """A profile function that notes each function of minigrad that runs, "path:qualname"."""
    import os

    import minigrad

    root = os.path.dirname(os.path.abspath(minigrad.__file__)) + os.sep

    def record(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            code = frame.f_code
            if code.co_filename.startswith(root):
                path = code.co_filename[len(root) :].replace(os.sep, "/")
                used.add(f"{path}:{_qualname(frame)}")

    return record


def _qualname(frame: Any) -> str:
    """The qualified name of the function running in `frame`, as "Class.method" for a method."""
    code = frame.f_code
    if hasattr(code, "co_qualname"):  # Python 3.11 and later
        return code.co_qualname
    # Python 3.10: rebuilt from the class of a method's `self` (a subclass's name, at worst)
    if code.co_argcount and code.co_varnames[0] == "self" and "self" in frame.f_locals:
        return f"{type(frame.f_locals['self']).__qualname__}.{code.co_name}"
    return code.co_name


def _text(error: BaseException, limit: int = 2000) -> str:
    try:
        text = str(error)
    except Exception:
        text = "(a message that cannot be printed)"
    return text[:limit]
