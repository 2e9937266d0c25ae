"""Invoke payloads without the base64 dance: inline JSON, ``@file``, ``-`` (stdin), ``--set a.b=1``.

Public API (no AWS, no typer):

    looks_like_payload(arg) -> bool
    parse_json(text, source="payload") -> Any            # UsageError with line/column
    load_payload(payload=None, *, payload_file=None, sets=(), stdin=None) -> bytes
    apply_sets(base, sets) -> dict

Every payload is validated as JSON before any call is made (Lambda only accepts JSON). When no
``--set`` is given the user's bytes are sent exactly as written (number formatting kept); with
``--set`` the merged object is re-serialised compactly.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, BinaryIO, Iterable

from lambdactl.errors import UsageError

PAYLOAD_PREFIXES = ("{", "[", "@")


def looks_like_payload(arg: str | None) -> bool:
    """The contract's rule: a lone positional that starts with ``{``, ``[`` or ``@``, or is ``-``."""
    if arg is None:
        return False
    s = arg.lstrip()
    return arg == "-" or s.startswith(PAYLOAD_PREFIXES)


def _excerpt(text: str, lineno: int, colno: int) -> str:
    lines = text.splitlines() or [""]
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    start = max(0, colno - 31)
    snippet = line[start:colno + 30]
    return ("…" if start else "") + snippet + ("…" if colno + 30 < len(line) else "")


class _NotJson(ValueError):
    """NaN, Infinity or -Infinity: Python's json accepts them, JSON (and Lambda) do not."""


def _reject_constant(name: str) -> Any:
    raise _NotJson(name)


def parse_json(text: str | bytes, source: str = "payload") -> Any:
    """Parse JSON; on error raise UsageError naming the source, the line and the column."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UsageError(f"invalid {source}: not UTF-8 text (byte {exc.start + 1})",
                             hint="Lambda payloads must be JSON text in UTF-8")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except _NotJson as exc:
        raise UsageError(f"invalid JSON in {source}: {exc} is not a JSON value",
                         hint="JSON has no NaN or Infinity; use null or a string") from None
    except RecursionError:
        raise UsageError(f"invalid JSON in {source}: nested too deeply",
                         hint="flatten the document (a few hundred levels at most)") from None
    except json.JSONDecodeError as exc:
        if not text.strip():
            raise UsageError(f"invalid JSON in {source}: it is empty",
                             hint="give a JSON document, e.g. '{}'")
        raise UsageError(f"invalid JSON in {source}: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                         hint=f"near: {_excerpt(text, exc.lineno, exc.colno)!s}") from None


def read_file(path: str, what: str = "payload file",
              not_found_hint: str = "check the path (relative to the current directory)") -> bytes:
    """The bytes of ``path``; UsageError naming ``what`` when it cannot be read."""
    p = Path(path).expanduser()
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{what} not found: {path}", hint=not_found_hint)
    except IsADirectoryError:
        raise UsageError(f"{what} is a directory: {path}")
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror}")
    except ValueError:   # a NUL byte or an unencodable character in the name
        raise UsageError(f"invalid {what} name: {path.encode('utf-8', 'backslashreplace').decode()!r}",
                         hint="check the path") from None


def read_stdin(stdin: BinaryIO | None = None) -> bytes:
    """All of ``stdin`` (default: the process's stdin) as bytes."""
    stream = stdin
    if stream is None:
        stream = getattr(sys.stdin, "buffer", sys.stdin)
    data = stream.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    return data


def _split_key(key: str) -> list[str]:
    r"""``a.b.c`` → [a, b, c]; ``a\.b`` keeps a literal dot."""
    parts, cur, i = [], [], 0
    while i < len(key):
        ch = key[i]
        if ch == "\\" and i + 1 < len(key) and key[i + 1] in ".\\":
            cur.append(key[i + 1])
            i += 2
            continue
        if ch == ".":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return parts


def parse_value(raw: str) -> Any:
    """A ``--set`` value: JSON when it parses (``1``, ``true``, ``null``, ``[1,2]``, ``"7"``), else a string."""
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError):  # incl. NaN/Infinity: kept as the string
        return raw
    except RecursionError:
        raise UsageError("--set value: JSON nested too deeply",
                         hint="flatten the value (a few hundred levels at most)") from None


def apply_sets(base: Any, sets: Iterable[str]) -> Any:
    """Merge ``KEY=VALUE`` pairs into ``base`` (a dict, or None for a new one). Dotted keys nest."""
    sets = list(sets or [])
    if not sets:
        return base
    if base is None:
        base = {}
    if not isinstance(base, dict):
        raise UsageError(f"--set needs a JSON object payload, but the payload is {_kind(base)}",
                         hint="drop --set, or make the payload an object like '{\"a\": 1}'")
    for item in sets:
        if "=" not in item:
            raise UsageError(f"--set {item!r}: expected KEY=VALUE", hint="e.g. --set order.id=7 --set name=ann")
        key, raw = item.split("=", 1)
        parts = _split_key(key)
        if not key or any(p == "" for p in parts):
            raise UsageError(f"--set {item!r}: empty key segment", hint="keys look like a or a.b.c")
        node = base
        for depth, part in enumerate(parts[:-1]):
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            elif not isinstance(nxt, dict):
                where = ".".join(parts[:depth + 1])
                raise UsageError(f"--set {item!r}: {where} is already {_kind(nxt)}, not an object",
                                 hint="set the parent as an object, or use a different key")
            node = nxt
        node[parts[-1]] = parse_value(raw)
    return base


def _kind(v: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(v), type(v).__name__)


def load_payload(payload: str | None = None, *, payload_file: str | None = None,
                 sets: Iterable[str] | None = None, stdin: BinaryIO | None = None) -> bytes:
    """The payload bytes for an invoke, validated as JSON.

    ``payload``: inline JSON, ``@FILE`` (``@-`` = stdin) or ``-`` (stdin).
    ``payload_file``: a file path or ``-``. At most one of the two. ``sets`` merge into an object
    payload (or build one). No payload at all sends ``{}``.
    """
    sets = list(sets or [])
    if payload is not None and payload_file is not None:
        raise UsageError("give the payload once: either PAYLOAD or --payload-file",
                         hint="e.g. lambdactl invoke fn @event.json")
    raw: bytes | None = None
    source = "payload"
    if payload_file is not None:
        if payload_file == "-":
            raw, source = read_stdin(stdin), "stdin"
        else:
            raw, source = read_file(payload_file), payload_file
    elif payload is not None:
        if payload == "-" or payload == "@-":
            raw, source = read_stdin(stdin), "stdin"
        elif payload.startswith("@"):
            if len(payload) == 1:
                raise UsageError("'@' needs a file name", hint="e.g. @event.json")
            raw, source = read_file(payload[1:]), payload[1:]
        else:
            # Bytes that were not UTF-8 in argv arrive as lone surrogates: back to the bytes, so
            # parse_json reports "not UTF-8 text" (an error with a hint, not a crash).
            try:
                raw = payload.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:
                raw = payload.encode("utf-8", "surrogatepass")
    for item in sets:
        try:
            item.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise UsageError(f"--set {item.encode('utf-8', 'backslashreplace').decode('utf-8')!r}: "
                             f"not UTF-8 text (character {exc.start + 1})",
                             hint="Lambda payloads must be JSON text in UTF-8") from None
    if raw is None:
        doc = apply_sets(None, sets)
        return _dumps(doc if doc is not None else {})
    doc = parse_json(raw, source)
    if not sets:
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        return raw
    doc = apply_sets(doc, sets)
    return _dumps(doc)


def _dumps(doc: Any) -> bytes:
    """Compact JSON; a number too large for a double (1e400) would be written as Infinity: refuse."""
    try:
        text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise UsageError("a number in the payload is too large (it would be sent as Infinity, which is not JSON)",
                         hint="quote it as a string, e.g. --set n='\"1e400\"'") from None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:   # a lone surrogate from a "\ud800" escape: keep it escaped, as given
        return json.dumps(doc, separators=(",", ":"), allow_nan=False).encode("ascii")
