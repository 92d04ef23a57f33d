"""Values that cross the sandbox's wall as data: the grader's inputs going in, the learner's answers coming out.

``encode`` turns a value into JSON-able data that says what it was (``float`` and ``numpy.float64`` stay
apart, a function says where it was defined); ``decode`` turns that data back into plain values. Nothing is
pickled: arrays travel as ``.npy`` bytes read with ``allow_pickle=False``, and an object that is no plain value
comes back as an ``Opaque`` naming its type, so decoding what a kernel wrote runs none of its code.
"""

from __future__ import annotations

import base64
import io
import math
import types
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_DEPTH = 32
_NATIVE = {type(None): "none", bool: "bool", int: "int", float: "float", str: "str"}
_CONTAINERS = {list: "list", tuple: "tuple"}
_NON_FINITE = ("inf", "-inf", "nan")  # how a non-finite Python float travels


@dataclass(frozen=True)
class Function:
    """A function, class or other callable handed out: where it was defined (``module`` is ``"__main__"``
    in a notebook)."""

    module: str
    qualname: str
    kind: str  # "function", "class" or "callable"


@dataclass(frozen=True)
class Opaque:
    """A value that is no plain data (a model, an object of the learner's class): only its type comes out."""

    type: str
    error: str = ""


def type_name(value: object) -> str:
    """``float``, ``numpy.float64``, ``tensorflow.python.framework.ops.EagerTensor``, ``__main__.Liar``..."""
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _npy(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _from_npy(text: str) -> np.ndarray:
    return np.load(io.BytesIO(base64.b64decode(text.encode("ascii"), validate=True)), allow_pickle=False)


def encode(value: object, depth: int = 0) -> dict:
    """JSON-able data for ``value``, tagged with its kind (``t``) and its exact type (``type``)."""
    name = type_name(value)
    if depth > MAX_DEPTH:
        return {"t": "opaque", "type": name, "error": "nested too deeply"}
    if type(value) is float and not math.isfinite(value):  # JSON has no inf or nan; Jupyter's messages drop them
        return {"t": "float", "type": name, "v": repr(value)}
    if type(value) in _NATIVE:
        return {"t": _NATIVE[type(value)], "type": name, "v": value}
    if type(value) in _CONTAINERS:
        return {"t": _CONTAINERS[type(value)], "type": name, "v": [encode(item, depth + 1) for item in value]}
    if type(value) is dict:
        pairs = [[encode(key, depth + 1), encode(item, depth + 1)] for key, item in value.items()]
        return {"t": "dict", "type": name, "v": pairs}
    if isinstance(value, np.generic | np.ndarray):
        array = np.asarray(value)
        if array.dtype.hasobject:
            return {"t": "opaque", "type": name, "error": "an array of Python objects"}
        return {"t": "scalar" if isinstance(value, np.generic) else "array", "type": name, "npy": _npy(array)}
    if callable(getattr(value, "numpy", None)):  # a tensor
        try:
            array = np.asarray(value.numpy())
        except Exception as error:  # noqa: BLE001 - whatever .numpy() raised, the answer is no array
            return {"t": "opaque", "type": name, "error": f"{type(error).__name__}: {error}"[:300]}
        if not array.dtype.hasobject:
            return {"t": "array", "type": name, "npy": _npy(array)}
    if callable(value):
        return _function(value, name)
    return {"t": "opaque", "type": name}


def _function(value: object, name: str) -> dict:
    """Where a function, a class or another callable (a ``tf.function``, a model) was defined."""
    kind = "class" if isinstance(value, type) else "function" if isinstance(value, types.FunctionType) else "callable"
    module = getattr(value, "__module__", None) or type(value).__module__
    qualname = getattr(value, "__qualname__", None) or getattr(value, "__name__", None) or type(value).__qualname__
    return {"t": "function", "type": name, "module": str(module), "qualname": str(qualname), "kind": kind}


def decode(data: object, depth: int = 0) -> Any:
    """The value ``encode`` described: Python and NumPy values, ``Function`` and ``Opaque``; raises
    ``ValueError`` for data that ``encode`` does not make."""
    if depth > MAX_DEPTH + 1 or not isinstance(data, dict) or not isinstance(data.get("t"), str):
        raise ValueError("not a handed-out value")
    kind, value = data["t"], data.get("v")
    native = {"none": type(None), "bool": bool, "int": int, "float": float, "str": str}
    if kind in native:
        if kind == "float" and value in _NON_FINITE:
            return float(value)
        if type(value) is not native[kind] and not (kind == "float" and type(value) is int):
            raise ValueError(f"a {kind} that holds {type(value).__name__}")
        return float(value) if kind == "float" else value
    if kind in ("list", "tuple"):
        items = [decode(item, depth + 1) for item in _list(value)]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {_key(decode(pair[0], depth + 1)): decode(pair[1], depth + 1) for pair in _pairs(value)}
    if kind in ("array", "scalar"):
        array = _from_npy(str(data.get("npy", "")))
        return array if kind == "array" else array[()]
    if kind == "function":
        return Function(str(data.get("module")), str(data.get("qualname")), str(data.get("kind")))
    if kind == "opaque":
        return Opaque(str(data.get("type")), str(data.get("error", "")))
    raise ValueError(f"unknown kind {kind!r}")


def _list(value: object) -> list:
    if not isinstance(value, list):
        raise ValueError("a container that holds no list")
    return value


def _pairs(value: object) -> list:
    pairs = _list(value)
    if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
        raise ValueError("a dict whose items are not pairs")
    return pairs


def _key(key: object) -> object:
    try:
        hash(key)
    except TypeError:
        raise ValueError("a dict key that cannot be a key") from None
    return key


def encode_all(values: dict[str, object]) -> dict[str, dict]:
    """``{name: encode(value)}``."""
    return {str(name): encode(value) for name, value in values.items()}


def decode_all(data: object) -> dict[str, Any]:
    """``{name: decode(value)}`` of ``encode_all``'s data; raises ``ValueError`` for anything else."""
    if not isinstance(data, dict) or not all(isinstance(name, str) for name in data):
        raise ValueError("not a dict of handed-out values")
    return {name: decode(value) for name, value in data.items()}
