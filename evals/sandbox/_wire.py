"""The sandbox's wire format: plain-data values and typed messages, with one encoder and one parser each.

Standard library only and free of ``evals`` imports: the harness imports it as :mod:`evals.sandbox._wire`, and
the sandbox child runs the same code (the bootstrap executes it before the zygote and the guard).

**Values** cross the judge <-> candidate boundary as plain data of *exact* builtin types only - ``type(v) is
int``, never a subclass: ``None``, ``bool``, ``int``, ``float`` (also nan, inf and -0.0, exactly), ``str``,
``bytes``, ``list``, ``tuple``, ``dict``, ``set``, ``frozenset``.  A value is a tagged JSON tree
(``["i", "<hex>"]``, ``["l", [...]]`` ...); :func:`wire_decode` builds nothing but those types (so no program
code ever runs in the judge: no ``__eq__``, ``__hash__``, ``__bool__`` of the program's making) and refuses
anything else, past ``WIRE_MAX_DEPTH`` nesting or ``WIRE_MAX_ITEMS`` items.  Not pickle: decoding cannot call
anything.  Three stdlib dict subclasses whose equality *is* dict equality (``OrderedDict``, ``defaultdict``,
``Counter``) are sent as plain dicts; every other type is refused with its name.

**Messages** are single JSON objects ``{"t": <kind>, ...}`` with a fixed set of fields per kind
(``WIRE_KINDS``: the zygote's control messages, the child's result channel, the judge's calls and replies);
:func:`wire_message` is the one parser (unknown kinds, missing or mistyped fields: ``None``).  On the control
socket and the result channel each is one line (``wire_line``); on the call pipes, whose payloads are large
and untrusted, a 4-byte big-endian length plus the JSON (``wire_frame``).
"""

from __future__ import annotations

import json

WIRE_MAX_DEPTH = 64
WIRE_MAX_ITEMS = 1_000_000
WIRE_MAX_BYTES = 16 << 20

# message kind -> {field: type}; every field is required, no other field is allowed
WIRE_KINDS: dict[str, dict[str, type]] = {
    # zygote -> harness, on the control socket (one JSON line each)
    "ready": {"layers": list},  # also child -> harness: the isolation layers in effect
    "fatal": {"why": str},  # the zygote could not isolate itself
    "done": {"code": int, "cpu": float, "timed_out": bool, "failure": str},  # the program ended ("" = no failure)
    # child -> harness, on the result channel (JSON lines; only their kind and fields count)
    "setup": {"why": str},  # the child's own isolation failed
    "violation": {"what": str},  # the audit hook refused something (the child ends at once)
    "tamper": {"what": str},  # whole-program mode: builtins or the import machinery were changed
    "pass": {"nonce": str},  # whole-program mode: the guard saw the program finish
    "result": {"kind": str, "name": str, "line": int, "message": str},  # how the program failed
    # judge <-> candidate, on the call pipes (length-framed)
    "call": {"args": list},  # judge -> candidate: call the entry point with these (encoded) arguments
    "ret": {"value": list},  # candidate -> judge: it returned this (encoded) value
    "exc": {"name": str, "message": str},  # candidate -> judge: it raised this exception
    "bad": {"why": str},  # candidate -> judge: it returned something that is not plain data
    "exit": {"why": str},  # candidate -> judge: it ended the process (SystemExit, os._exit ...) during a call
}


class WireError(ValueError):
    """A value that is not plain data, or bytes that are not a well-formed message; the text says why."""


def _dict_types() -> tuple[type, ...]:
    import collections

    return (collections.OrderedDict, collections.defaultdict, collections.Counter)


_DICTS = _dict_types()


def wire_encode(value: object) -> list[object]:
    """The tagged tree of ``value``; :class:`WireError` for anything but exact plain data."""
    budget = [WIRE_MAX_ITEMS]

    def enc(v: object, depth: int) -> list[object]:
        budget[0] -= 1
        if budget[0] < 0:
            raise WireError(f"a value of more than {WIRE_MAX_ITEMS} items")
        if depth > WIRE_MAX_DEPTH:
            raise WireError(f"a value nested deeper than {WIRE_MAX_DEPTH} levels")
        t = type(v)
        if v is None:
            return ["n"]
        if t is bool:
            return ["b", v]
        if t is int:
            return ["i", hex(v)]  # type: ignore[arg-type]  # hex: no 4,300-digit str() limit
        if t is float:
            return ["f", v.hex()]  # type: ignore[attr-defined]
        if t is str:
            return ["s", v]
        if t is bytes:
            return ["y", v.hex()]  # type: ignore[attr-defined]
        if t is list or t is tuple or t is set or t is frozenset:
            tag = {list: "l", tuple: "t", set: "S", frozenset: "F"}[t]
            return [tag, [enc(x, depth + 1) for x in v]]  # type: ignore[attr-defined]
        if t is dict or t in _DICTS:
            pairs: list[tuple[object, object]] = list(dict.items(v))  # type: ignore[arg-type]
            return ["d", [[enc(k, depth + 1), enc(x, depth + 1)] for k, x in pairs]]
        raise WireError(f"a value of type {_name(t)}, which is not plain data (exact int, float, bool, str, bytes, "
                        "None, list, tuple, dict, set or frozenset)")

    return enc(value, 0)


def _name(t: type) -> str:
    try:
        return str(type.__getattribute__(t, "__qualname__"))
    except Exception:  # noqa: BLE001 - a hostile metaclass
        return "<unnamed>"


def wire_decode(tree: object) -> object:
    """Rebuild a value from its tagged tree: exact builtin types only, never program code."""
    budget = [WIRE_MAX_ITEMS]

    def dec(node: object, depth: int) -> object:
        budget[0] -= 1
        if budget[0] < 0 or depth > WIRE_MAX_DEPTH:
            raise WireError("value too large or nested too deep")
        if type(node) is not list or not node or type(node[0]) is not str:
            raise WireError("malformed value")
        tag, rest = node[0], node[1:]
        if tag == "n" and not rest:
            return None
        if len(rest) != 1:
            raise WireError("malformed value")
        x = rest[0]
        if tag == "b" and type(x) is bool:
            return x
        if tag in ("i", "f", "s", "y") and type(x) is str:
            if tag == "s":
                return x
            try:
                return int(x, 16) if tag == "i" else float.fromhex(x) if tag == "f" else bytes.fromhex(x)
            except (ValueError, OverflowError):
                raise WireError("malformed number or bytes") from None
        if type(x) is not list:
            raise WireError("malformed value")
        if tag == "d":
            out: dict[object, object] = {}
            for pair in x:
                if type(pair) is not list or len(pair) != 2:
                    raise WireError("malformed dict")
                out[_hashable(dec(pair[0], depth + 1))] = dec(pair[1], depth + 1)
            return out
        items = [dec(i, depth + 1) for i in x]
        if tag == "l":
            return items
        if tag == "t":
            return tuple(items)
        if tag == "S":
            return {_hashable(i) for i in items}
        if tag == "F":
            return frozenset(_hashable(i) for i in items)
        raise WireError(f"unknown value tag {tag[:8]!r}")

    return dec(tree, 0)


def _hashable(v: object) -> object:
    try:
        hash(v)  # only builtin types exist here: hashing runs no program code
    except TypeError:
        raise WireError(f"unhashable {type(v).__name__} as a dict key or set element") from None
    return v


def wire_dumps(kind: str, /, **fields: object) -> bytes:
    """One message as JSON bytes (the fields must match ``WIRE_KINDS[kind]``)."""
    spec = WIRE_KINDS[kind]
    if set(fields) != set(spec):
        raise WireError(f"message {kind!r} needs exactly the fields {sorted(spec)}")
    return json.dumps({"t": kind, **fields}, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def wire_line(kind: str, /, **fields: object) -> bytes:
    """One message as a JSON line (control socket and result channel)."""
    return wire_dumps(kind, **fields) + b"\n"


def wire_frame(kind: str, /, **fields: object) -> bytes:
    body = wire_dumps(kind, **fields)
    if len(body) > WIRE_MAX_BYTES:
        raise WireError(f"a value too large to send (more than {WIRE_MAX_BYTES} bytes encoded)")
    return len(body).to_bytes(4, "big") + body


def wire_message(data: bytes | str) -> tuple[str, dict[str, object]] | None:
    """The one parser: ``(kind, fields)`` for a well-formed message (a JSON line or a frame's body), else
    ``None``.  An int where a float is due is accepted (JSON does not tell them apart)."""
    if len(data) > WIRE_MAX_BYTES:
        return None
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if type(obj) is not dict:
        return None
    kind = obj.pop("t", None)
    spec = WIRE_KINDS.get(kind) if type(kind) is str else None
    if spec is None or set(obj) != set(spec):
        return None
    for key, want in spec.items():
        if type(obj[key]) is int and want is float:
            obj[key] = float(obj[key])
        elif type(obj[key]) is not want:
            return None
    return kind, obj
