"""One renderer for every command: ``table`` (tabulate), ``json`` and ``text`` (TSV, no headers).

Data goes to stdout; progress, warnings and errors go to stderr (:func:`info`, :func:`warn`).
Commands build records (dicts with snake_case keys) and call :func:`emit`; they never format
tables themselves.
"""
from __future__ import annotations

import datetime as _dt
import sys
from typing import Any, Iterable, Sequence

from lambdactl.fmt import human_bytes, iso, to_json  # noqa: F401 - the views' helpers, re-used here
from lambdactl.settings import Settings, current

_COLORS = {"green": "32", "red": "31", "yellow": "33", "blue": "34", "magenta": "35", "cyan": "36",
           "dim": "2", "bold": "1"}
STATUS_COLORS = {"active": "green", "successful": "green", "ready": "green", "enabled": "green",
                 "created": "green", "updated": "green", "unchanged": "dim", "ok": "green",
                 "pending": "yellow", "inprogress": "yellow", "in_progress": "yellow",
                 "creating": "yellow", "updating": "yellow", "planned": "yellow", "skipped": "dim",
                 "failed": "red", "error": "red", "disabled": "dim", "inactive": "dim",
                 "deleted": "red", "throttled": "red", "timeout": "red"}


def style(text: str, color: str | None, settings: Settings | None = None, *, stream=None) -> str:
    s = settings or current()
    stream = stream or sys.stdout
    if not color or s.no_color or not _isatty(stream):
        return text
    import os
    if os.environ.get("NO_COLOR"):
        return text
    return f"\x1b[{_COLORS.get(color, '0')}m{text}\x1b[0m"


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (ValueError, AttributeError):
        return False


def status_word(word: Any, settings: Settings | None = None) -> str:
    w = "" if word is None else str(word)
    return style(w, STATUS_COLORS.get(w.lower().replace(" ", "")), settings)


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (_dt.datetime, _dt.date)):
        return iso(v) or ""
    if isinstance(v, (list, tuple)):
        return ", ".join(_cell(x) for x in v) if v else "-"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_cell(x)}" for k, x in v.items()) if v else "-"
    return str(v)


def _text_cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return to_json(v, indent=None)
    if isinstance(v, (_dt.datetime, _dt.date)):
        return iso(v) or ""
    return str(v).replace("\t", " ").replace("\n", " ")


def emit(data: Any, *, columns: Sequence[str] | None = None, headers: Sequence[str] | None = None,
         quiet_field: str | None = None, status_fields: Iterable[str] = ("status", "state"),
         settings: Settings | None = None, stream=None) -> None:
    """Render ``data`` (a list of records, or one record) in the chosen output format."""
    s = settings or current()
    out = stream or sys.stdout
    fmt = s.output_format
    if fmt == "json":
        out.write(to_json(data) + "\n")
        return
    if isinstance(data, dict):
        records = None
    else:
        records = list(data)
    if s.quiet and quiet_field:
        items = records if records is not None else [data]
        for r in items:
            out.write(_text_cell(r.get(quiet_field)) + "\n")
        return
    if records is None:
        _emit_record(data, fmt, columns, out, s, status_fields)
        return
    cols = list(columns) if columns else (list(records[0].keys()) if records else [])
    if fmt == "text":
        for r in records:
            out.write("\t".join(_text_cell(r.get(c)) for c in cols) + "\n")
        return
    if not records:
        if not s.quiet:
            sys.stderr.write("(none)\n")
        return
    from tabulate import tabulate

    hdrs = list(headers) if headers else [c.upper().replace("_", " ") for c in cols]
    status_fields = set(status_fields)
    rows = [[status_word(r.get(c), s) if c in status_fields and r.get(c) else _cell(r.get(c))
             for c in cols] for r in records]
    out.write(tabulate(rows, headers=hdrs, tablefmt="simple", disable_numparse=True) + "\n")


def _emit_record(rec: dict, fmt: str, columns, out, s: Settings, status_fields) -> None:
    keys = list(columns) if columns else list(rec.keys())
    if fmt == "text":
        for k in keys:
            out.write(f"{k}\t{_text_cell(rec.get(k))}\n")
        return
    width = max((len(k) for k in keys), default=0)
    for k in keys:
        v = rec.get(k)
        label = k.replace("_", " ")
        if isinstance(v, dict) and v and all(not isinstance(x, (dict, list)) for x in v.values()):
            out.write(f"{label:<{width}}  \n")
            iw = max(len(str(x)) for x in v)
            for kk, vv in v.items():
                out.write(f"  {str(kk):<{iw}}  {_cell(vv)}\n")
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            out.write(f"{label:<{width}}  \n")
            from tabulate import tabulate
            cols = list(v[0].keys())
            table = tabulate([[_cell(x.get(c)) for c in cols] for x in v],
                             headers=[c.upper().replace("_", " ") for c in cols], tablefmt="simple",
                             disable_numparse=True)
            out.write("".join("  " + line + "\n" for line in table.splitlines()))
        else:
            cell = status_word(v, s) if k in status_fields and v else _cell(v)
            out.write(f"{label:<{width}}  {cell}\n")


def emit_json_line(rec: Any, stream=None) -> None:
    (stream or sys.stdout).write(to_json(rec, indent=None) + "\n")


# --- stderr channel ------------------------------------------------------------------------

def info(msg: str, settings: Settings | None = None) -> None:
    """A progress/status line on stderr (hidden with --quiet)."""
    s = settings or current()
    if not s.quiet:
        sys.stderr.write(msg + "\n")
        sys.stderr.flush()


def _mask(text: str, s: Settings) -> str:
    """Secrets in a warning or error line masked (the rules live in lambdactl.config)."""
    from lambdactl.secrets import mask_text

    return mask_text(text, s.show_secrets)


def warn(msg: str, settings: Settings | None = None) -> None:
    s = settings or current()
    sys.stderr.write(style("warning:", "yellow", s, stream=sys.stderr) + " " + _mask(msg, s) + "\n")
    sys.stderr.flush()


def error_lines(message: str, hint: str | None = None, settings: Settings | None = None) -> str:
    s = settings or current()
    first = message.strip().splitlines()[0] if message.strip() else "failed"
    text = style("error:", "red", s, stream=sys.stderr) + " " + _mask(first, s) + "\n"
    if hint:
        text += style("hint:", "cyan", s, stream=sys.stderr) + " " + _mask(hint.strip().splitlines()[0], s) + "\n"
    return text
