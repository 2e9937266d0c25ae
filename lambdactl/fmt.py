"""Formatting helpers both the core and the renderer need (pure: foundation, imports no lambdactl).

``iso`` (timestamps as ISO-8601 UTC), ``human_bytes`` and ``to_json`` (the one JSON encoding of
results). ``lambdactl.output`` renders with them; the core uses them for values it returns.
"""
from __future__ import annotations

import datetime as _dt
import json
from decimal import Decimal
from typing import Any


def iso(value: Any) -> str | None:
    """ISO-8601 UTC (``2026-11-23T15:21:41Z``) from a datetime, epoch ms, or Lambda's timestamp."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = _dt.datetime.fromtimestamp(value / 1000.0, tz=_dt.timezone.utc)
    if isinstance(value, str):
        s = value
        try:
            if s.endswith("+0000"):
                s = s[:-5] + "+00:00"
            value = _dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        value = value.astimezone(_dt.timezone.utc)
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        if value.microsecond:
            text += f".{value.microsecond // 1000:03d}"
        return text + "Z"
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


def _json_default(o: Any) -> Any:
    if isinstance(o, (_dt.datetime, _dt.date)):
        return iso(o)
    if isinstance(o, Decimal):
        return float(o)
    if isinstance(o, (bytes, bytearray)):
        return o.decode("utf-8", "replace")
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    if hasattr(o, "to_dict"):
        return o.to_dict()
    if hasattr(o, "__dataclass_fields__"):
        import dataclasses
        return dataclasses.asdict(o)
    return str(o)


def to_json(data: Any, *, indent: int | None = 2) -> str:
    return json.dumps(data, indent=indent, default=_json_default, ensure_ascii=False)


def human_bytes(n: int | float | None) -> str:
    if n is None:
        return "-"
    n = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"
