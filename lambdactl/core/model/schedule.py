"""EventBridge schedule expressions: ``rate(...)`` and ``cron(...)`` validated locally.

Messages point at the bad field, e.g. ``cron field 5 (day-of-week) ...``.
"""
from __future__ import annotations

import re

from lambdactl.errors import UsageError

_RATE_RE = re.compile(r"^rate\((.*)\)$")
_CRON_RE = re.compile(r"^cron\((.*)\)$")
_UNITS = ("minute", "hour", "day")
CRON_FIELDS = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")
_MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
_DAYS = "SUN|MON|TUE|WED|THU|FRI|SAT"
_RANGES = {"minutes": (0, 59), "hours": (0, 23), "day-of-month": (1, 31), "month": (1, 12),
           "day-of-week": (1, 7), "year": (1970, 2199)}


def validate_expression(expr: str) -> str:
    """Return the expression if valid, else raise UsageError naming the bad part."""
    if not isinstance(expr, str) or not expr.strip():
        raise UsageError("empty schedule expression", hint='use "rate(5 minutes)" or "cron(0 12 * * ? *)"')
    expr = expr.strip()
    if expr.startswith("rate"):
        _validate_rate(expr)
    elif expr.startswith("cron"):
        _validate_cron(expr)
    elif expr.startswith("at("):
        if not re.match(r"^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$", expr):
            raise UsageError(f"invalid one-time schedule {expr!r}", hint="form: at(2026-12-01T09:00:00)")
    else:
        raise UsageError(f"invalid schedule expression {expr!r}",
                         hint='use "rate(5 minutes)" or "cron(0 12 * * ? *)"')
    return expr


def _validate_rate(expr: str) -> None:
    m = _RATE_RE.match(expr)
    if not m:
        raise UsageError(f"invalid rate expression {expr!r}", hint='form: rate(5 minutes)')
    parts = m.group(1).split()
    if len(parts) != 2:
        raise UsageError(f"invalid rate expression {expr!r}: expected a value and a unit",
                         hint="e.g. rate(1 minute), rate(5 minutes), rate(2 hours), rate(1 day)")
    value, unit = parts
    if not value.isdigit() or int(value) < 1:
        raise UsageError(f"invalid rate value {value!r} in {expr!r}: must be a positive whole number",
                         hint="e.g. rate(1 minute), rate(5 minutes), rate(2 hours)")
    n = int(value)
    base = unit[:-1] if unit.endswith("s") else unit
    if base not in _UNITS:
        raise UsageError(f"invalid rate unit {unit!r} in {expr!r}", hint="units: minute(s), hour(s), day(s)")
    if n == 1 and unit.endswith("s"):
        raise UsageError(f"invalid rate unit {unit!r} in {expr!r}: a value of 1 takes the singular",
                         hint=f"rate(1 {base})")
    if n != 1 and not unit.endswith("s"):
        raise UsageError(f"invalid rate unit {unit!r} in {expr!r}: a value over 1 takes the plural",
                         hint=f"rate({n} {base}s)")


def _validate_cron(expr: str) -> None:
    m = _CRON_RE.match(expr)
    if not m:
        raise UsageError(f"invalid cron expression {expr!r}", hint="form: cron(0 12 * * ? *)")
    fields = m.group(1).split()
    if len(fields) != 6:
        raise UsageError(f"cron expression {expr!r} has {len(fields)} fields, EventBridge needs 6",
                         hint="cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 12 * * ? *)")
    for i, (name, val) in enumerate(zip(CRON_FIELDS, fields), 1):
        _validate_cron_field(i, name, val, expr)
    dom, dow = fields[2], fields[4]
    if (dom == "?") == (dow == "?"):
        raise UsageError(
            f"cron field 3 (day-of-month) {dom!r} and field 5 (day-of-week) {dow!r}: exactly one must be '?'",
            hint="e.g. cron(0 12 * * ? *) for every day, cron(0 12 ? * MON-FRI *) for weekdays")


def _validate_cron_field(i: int, name: str, val: str, expr: str) -> None:
    def bad(why: str = "") -> UsageError:
        lo, hi = _RANGES[name]
        return UsageError(f"cron field {i} ({name}) {val!r} is invalid{': ' + why if why else ''}",
                          hint=f"allowed: {lo}-{hi}, '*', ',', '-', '/'"
                               + (", '?'" if name in ("day-of-month", "day-of-week") else "")
                               + (", 'L', 'W'" if name == "day-of-month" else "")
                               + (", 'L', '#', SUN-SAT" if name == "day-of-week" else "")
                               + (", JAN-DEC" if name == "month" else ""))
    if val == "?":
        if name not in ("day-of-month", "day-of-week"):
            raise bad("'?' is only allowed in day-of-month or day-of-week")
        return
    if name == "day-of-month" and re.match(r"^(L|LW|\d{1,2}W|L-\d{1,2})$", val):
        return
    if name == "day-of-week" and re.match(rf"^(([1-7]|{_DAYS})#[1-5]|([1-7]|{_DAYS})?L)$", val):
        return
    lo, hi = _RANGES[name]
    for part in val.split(","):
        if not part:
            raise bad("empty list item")
        step = None
        if "/" in part:
            part, step = part.split("/", 1)
            if not step.isdigit() or int(step) < 1:
                raise bad(f"step {step!r} must be a positive number")
        if part == "*":
            continue
        ends = part.split("-")
        if len(ends) > 2:
            raise bad()
        for e in ends:
            n = _cron_value(name, e)
            if n is None:
                raise bad()
            if not lo <= n <= hi:
                raise bad(f"{e} is out of range {lo}-{hi}")


def _cron_value(name: str, token: str) -> int | None:
    if token.isdigit():
        return int(token)
    t = token.upper()
    if name == "month" and t in _MONTHS.split("|"):
        return _MONTHS.split("|").index(t) + 1
    if name == "day-of-week" and t in _DAYS.split("|"):
        return _DAYS.split("|").index(t) + 1
    return None
