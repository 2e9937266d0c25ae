"""CloudWatch Logs for a function: time windows, the log group, fetching, and a tail that never
drops or repeats an event.

The follow algorithm (see :func:`follow_batches`):

- poll ``FilterLogEvents`` on the whole log group (so streams created after the tail started — one
  per cold start — are included), starting at ``min(newest timestamp seen, now) - overlap``;
- follow ``nextToken`` until it is absent: a page may be empty and still carry a token;
- remember every event id yielded whose timestamp is still inside the overlap window, and drop
  events already yielded; ids older than the next poll's start are forgotten (they cannot come back);
- events that share a millisecond are therefore neither skipped (the window re-reads that
  millisecond) nor repeated (the ids say which ones were printed);
- transient failures (throttling, 5xx, dropped connections) back off and poll again (re-reading is
  safe); a missing group, access denied or bad input stop the tail with a clean error;
- Ctrl-C raises :class:`lambdactl.errors.Interrupted` (exit 130).

No typer here; boto3/botocore are imported lazily.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from lambdactl.core.observe.reportline import Report, parse_report, report_from_platform
from lambdactl.errors import Interrupted, NotFoundError, OperationError, UsageError

DEFAULT_SINCE = "10m"
DEFAULT_POLL_INTERVAL = 1.0       # s; FilterLogEvents has a 5 TPS/account quota, 1 poll/s is kind to it
DEFAULT_OVERLAP_MS = 5000         # re-read window: covers ingestion delay and same-millisecond events
MIN_POLL_INTERVAL = 0.05
MAX_POLL_INTERVAL = 60.0

_TRANSIENT_CODES = {"ThrottlingException", "Throttling", "TooManyRequestsException",
                    "ServiceUnavailableException", "ServiceUnavailable", "InternalFailure",
                    "InternalError", "InternalServerError", "RequestLimitExceeded", "SlowDown",
                    "LimitExceededException"}
_ACCESS_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
                 "UnrecognizedClientException"}


# --- time windows -----------------------------------------------------------------------------

_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}
_REL_PART = re.compile(r"(\d+)\s*([a-zA-Z]+)")
_REL_FULL = re.compile(r"^(\s*\d+\s*[a-zA-Z]+)+\s*(ago)?\s*$")
TIME_HINT = "use a duration like 30s, 10m, 2h, 1d, 1h30m, or an ISO time like 2026-11-23T15:00:00Z"


def parse_duration(text: str) -> float:
    """Seconds in ``10m``, ``2h``, ``1d``, ``1h30m`` (``90s``...). UsageError otherwise."""
    t = (text or "").strip().lower()
    if not _REL_FULL.match(t):
        raise UsageError(f"invalid duration {text!r}", hint=TIME_HINT)
    total = 0
    parts = _REL_PART.findall(t[:-3] if t.endswith("ago") else t)
    if not parts:
        raise UsageError(f"invalid duration {text!r}", hint=TIME_HINT)
    for num, unit in parts:
        if unit not in _UNITS:
            raise UsageError(f"invalid duration {text!r}: unknown unit {unit!r}", hint=TIME_HINT)
        total += int(num) * _UNITS[unit]
    return float(total)


def parse_time(text: str, *, now: float | None = None, utc: bool = False, what: str = "--since") -> int:
    """Epoch milliseconds for ``10m``/``2h``/``1d`` (that long ago), ``now``, or an ISO time.

    An ISO time without an offset is local time (UTC with ``utc=True``).
    """
    now = time.time() if now is None else now
    raw = (text or "").strip()
    if not raw:
        raise UsageError(f"{what}: empty time", hint=TIME_HINT)
    if raw.lower() == "now":
        return int(now * 1000)
    if _REL_FULL.match(raw.lower()):
        try:
            secs = parse_duration(raw)
        except UsageError:
            raise UsageError(f"{what} {raw!r}: not a duration or a time", hint=TIME_HINT) from None
        return int((now - secs) * 1000)
    iso = raw
    if iso.endswith(("Z", "z")):
        iso = iso[:-1] + "+00:00"
    try:
        dt = _dt.datetime.fromisoformat(iso)
    except ValueError:
        raise UsageError(f"{what} {raw!r}: not a duration or a time", hint=TIME_HINT) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_dt.timezone.utc) if utc else dt.astimezone()
    return int(dt.timestamp() * 1000)


def time_window(since: str | None, until: str | None, *, default_since: str = DEFAULT_SINCE,
                utc: bool = False, now: float | None = None) -> tuple[int, int | None]:
    """(start_ms, end_ms or None) validated: start must be before end."""
    now = time.time() if now is None else now
    start = parse_time(since or default_since, now=now, utc=utc, what="--since")
    end = parse_time(until, now=now, utc=utc, what="--until") if until else None
    if end is not None and end <= start:
        raise UsageError(f"--until ({until}) is not after --since ({since or default_since})",
                         hint="the window runs from --since to --until")
    return start, end


# --- the log group ----------------------------------------------------------------------------

@dataclass
class LogTarget:
    """Where a function logs, and what we know about the function."""
    function: str
    log_group: str
    configuration: dict | None = None       # None: function not found (or not readable)
    custom_group: bool = False

    @property
    def function_exists(self) -> bool:
        return self.configuration is not None


def default_log_group(function: str) -> str:
    from lambdactl.core.model.naming import short_name

    return f"/aws/lambda/{short_name(function)}"


def resolve_log_group(aws, function: str) -> LogTarget:
    """The function's log group: ``LoggingConfig.LogGroup`` when set, else ``/aws/lambda/<name>``.

    A function that does not exist (or cannot be read) still gets the default group, so the logs
    of a deleted function can be read.
    """
    from botocore.exceptions import ClientError

    from lambdactl.core.resources.functions import get_configuration
    from lambdactl.core.model.naming import short_name

    name = short_name(function)
    try:
        cfg = get_configuration(aws, function)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code", "") not in _ACCESS_CODES:
            raise
        cfg = None
    if cfg is None:
        return LogTarget(name, default_log_group(name), None)
    group = ((cfg.get("LoggingConfig") or {}).get("LogGroup") or "").strip()
    if group:
        return LogTarget(cfg.get("FunctionName", name), group, cfg, custom_group=group != default_log_group(name))
    return LogTarget(cfg.get("FunctionName", name), default_log_group(name), cfg)


def qualifier_streams(aws, function: str, qualifier: str | None) -> list[str] | None:
    """The bracketed stream-name markers for a qualifier: ``[$LATEST]``, ``[7]``; an alias maps to
    its version(s) (both versions of a weighted alias). None when no qualifier."""
    if not qualifier:
        return None
    q = qualifier.strip()
    if q == "$LATEST" or q.isdigit():
        return [f"[{q}]"]
    from botocore.exceptions import ClientError

    try:
        alias = aws.client("lambda").get_alias(FunctionName=function, Name=q)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code", "") == "ResourceNotFoundException":
            raise NotFoundError(f"alias not found: {function}:{q}",
                                hint="--qualifier takes a version number, $LATEST or an alias name") from None
        raise
    versions = [alias["FunctionVersion"]]
    versions += list(((alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}).keys())
    return [f"[{v}]" for v in versions]


def stream_matcher(markers: list[str] | None = None, prefix: str | None = None) -> Callable[[str], bool] | None:
    """A predicate on stream names (qualifier markers and/or a prefix); None accepts all."""
    if not markers and not prefix:
        return None

    def match(name: str) -> bool:
        if prefix and not name.startswith(prefix):
            return False
        if markers and not any(m in name for m in markers):
            return False
        return True

    return match


# --- events -----------------------------------------------------------------------------------

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_PLATFORM_RE = re.compile(r"^(START|END) RequestId: *(?P<rid>[^\s]+)")     # any non-blank id
_INIT_RE = re.compile(r"^(INIT_START|INIT_REPORT|EXTENSION|TELEMETRY|RESTORE_START|RESTORE_REPORT)\b")
_INIT_FAILED_RE = re.compile(r"^(INIT_REPORT|RESTORE_REPORT)\b.*\bStatus:\s*(error|timeout|failure)\b", re.I | re.S)
_ISO_TS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"
# Python runtime: "[LEVEL]\t2026-...Z\t<request id>\tmessage"
_PY_RE = re.compile(rf"^\[(?P<level>[A-Z]+)\]\s+(?P<ts>{_ISO_TS})\s+(?P<rid>{_UUID})\s?(?P<msg>.*)$", re.S)
# Node.js runtime: "2026-...Z\t<request id>\tLEVEL\tmessage"
_NODE_RE = re.compile(rf"^(?P<ts>{_ISO_TS})\t(?P<rid>{_UUID})\t(?P<level>[A-Z]+)\t(?P<msg>.*)$", re.S)
# Timeout: "2026-...Z <request id> Task timed out after 3.00 seconds"
_TIMEOUT_RE = re.compile(rf"^(?:(?P<ts>{_ISO_TS})\s+)?(?P<rid>{_UUID})?\s*(?P<msg>Task timed out after [\d.]+ seconds.*)$", re.S)
_ERROR_LINE = re.compile(r"^(\[ERROR\]|\[FATAL\]|\[CRITICAL\]|ERROR\b|FATAL\b|CRITICAL\b|Traceback \(most recent call last\)"
                         r"|(?:[A-Za-z_][\w.]*)?(?:Exception|Error)(?::|\s*$)|Runtime\.\w+)")
_WARN_LEVELS = {"WARN", "WARNING"}
_ERROR_LEVELS = {"ERROR", "FATAL", "CRITICAL"}


@dataclass
class LogEvent:
    """One CloudWatch Logs event, parsed."""
    timestamp: int                       # epoch ms
    stream: str
    event_id: str
    message: str                         # the raw message (trailing newline stripped)
    ingestion_time: int | None = None
    type: str = "log"                    # log | start | end | report | platform | timeout
    request_id: str | None = None
    level: str | None = None             # INFO, ERROR... when the line says so
    body: str | None = None              # the message without the runtime's prefix
    json_body: Any = None                # parsed JSON when the body is a JSON object/array
    report: Report | None = None
    error: bool = False                  # an ERROR/exception/timeout line
    warning: bool = False

    @property
    def hidden_by_default(self) -> bool:
        """START/END (and INIT_START and other platform lines) unless --verbose."""
        return self.type in ("start", "end", "platform")

    def to_dict(self) -> dict:
        from lambdactl.fmt import iso

        return {
            "timestamp": iso(self.timestamp),
            "stream": self.stream,
            "event_id": self.event_id,
            "type": self.type,
            "request_id": self.request_id,
            "level": self.level,
            "message": self.message,
            "report": self.report.to_dict() if self.report else None,
        }


class RequestContext:
    """Which request each stream is running: an execution environment (one stream) runs one
    request at a time, between its START and its REPORT, so lines without a request id (print(),
    tracebacks) belong to the stream's current request."""

    def __init__(self) -> None:
        self._current: dict[str, str | None] = {}

    def begin(self, stream: str, rid: str) -> None:
        self._current[stream] = rid

    def end(self, stream: str, rid: str) -> None:
        if self._current.get(stream) == rid:
            self._current[stream] = None

    def current(self, stream: str) -> str | None:
        return self._current.get(stream)


def _json_or_none(text: str) -> Any:
    t = text.strip()
    if len(t) < 2 or t[0] not in "{[" or t[-1] not in "}]":
        return None
    try:
        return json.loads(t)
    except (ValueError, RecursionError):
        return None


def parse_event(raw: dict, ctx: RequestContext | None = None) -> LogEvent:
    """Parse a FilterLogEvents event dict (classify, find the request id, parse REPORT)."""
    msg = (raw.get("message") or "").rstrip("\n")
    ev = LogEvent(timestamp=int(raw.get("timestamp") or 0), stream=raw.get("logStreamName", ""),
                  event_id=str(raw.get("eventId", "")), message=msg,
                  ingestion_time=raw.get("ingestionTime"))
    stripped = msg.strip()
    body = stripped
    if stripped.startswith("REPORT RequestId:"):
        rep = parse_report(stripped)
        if rep is not None:
            ev.type, ev.report, ev.request_id = "report", rep, rep.request_id
            if rep.status and rep.status.lower() in ("timeout", "error", "failure"):
                ev.error = True
            if ctx:
                ctx.end(ev.stream, rep.request_id)
            ev.body = stripped
            return ev
    m = _PLATFORM_RE.match(stripped)
    if m:
        ev.type = "start" if m.group(1) == "START" else "end"
        ev.request_id = m.group("rid")
        if ctx and ev.type == "start":
            ctx.begin(ev.stream, ev.request_id)
        ev.body = stripped
        return ev
    if _INIT_RE.match(stripped):
        ev.type = "platform"
        ev.body = stripped
        # A failed init (module load): no request id; stats charges it to the stream's next invocation.
        ev.error = bool(_INIT_FAILED_RE.match(stripped))
        return ev
    m = _PY_RE.match(stripped) or _NODE_RE.match(stripped)
    if m:
        ev.level = m.group("level")
        ev.request_id = m.group("rid")
        body = m.group("msg").strip()
    else:
        m = _TIMEOUT_RE.match(stripped)
        if m:
            ev.type = "timeout"
            ev.error = True
            ev.request_id = m.group("rid")
            body = m.group("msg").strip()
    data = _json_or_none(body)
    ev.body = body
    ev.json_body = data
    if isinstance(data, dict):
        _apply_json_log(ev, data, ctx)
        return ev
    if ev.request_id is None and ctx is not None:
        ev.request_id = ctx.current(ev.stream)
    if ev.level:
        lv = ev.level.upper()
        ev.error = ev.error or lv in _ERROR_LEVELS
        ev.warning = lv in _WARN_LEVELS
    if not ev.error and _ERROR_LINE.match(body):
        ev.error = True
    if "Task timed out after" in body and ev.type == "log":
        ev.type = "timeout"
        ev.error = True
    return ev


def _apply_json_log(ev: LogEvent, data: dict, ctx: RequestContext | None) -> None:
    """Lambda's JSON log format: platform events (``platform.report``...) and application lines
    with ``level``/``requestId``; classifies ``ev`` fully."""
    etype = data.get("type")
    record = data.get("record") if isinstance(data.get("record"), dict) else {}
    if isinstance(etype, str) and etype.startswith("platform."):
        rid = record.get("requestId")
        ev.request_id = rid
        if etype == "platform.report":
            rep = report_from_platform(record)
            if rep is not None:
                ev.type, ev.report = "report", rep
                ev.error = bool(rep.status and rep.status.lower() in ("timeout", "error", "failure"))
                if ctx and rid:
                    ctx.end(ev.stream, rid)
                return
        if etype == "platform.start":
            ev.type = "start"
            if ctx and rid:
                ctx.begin(ev.stream, rid)
        elif etype == "platform.runtimeDone":
            ev.type = "end"
            if str(record.get("status", "")).lower() in ("timeout", "error", "failure"):
                ev.error = True
        else:
            ev.type = "platform"
            if etype in ("platform.initReport", "platform.restoreReport"):
                ev.error = str(record.get("status", "")).lower() in ("timeout", "error", "failure")
        return
    level = data.get("level") or data.get("levelname")
    rid = data.get("requestId") or data.get("AWSRequestId") or data.get("aws_request_id")
    if isinstance(level, str):
        ev.level = level.upper()
    if isinstance(rid, str):
        ev.request_id = rid
    if ev.request_id is None and ctx is not None:
        ev.request_id = ctx.current(ev.stream)
    if ev.level:
        ev.error = ev.level in _ERROR_LEVELS
        ev.warning = ev.level in _WARN_LEVELS
    if "errorType" in data and "errorMessage" in data:
        ev.error = True
    if "Task timed out after" in str(data.get("message", "")) or "Task timed out after" in str(data.get("errorMessage", "")):
        ev.type, ev.error = "timeout", True


# --- fetching ---------------------------------------------------------------------------------

def _translate(exc, group: str, operation: str = "FilterLogEvents", function: str | None = None,
               function_exists: bool | None = None):
    """Expected Logs errors → our errors (None for transient/unknown ones)."""
    err = exc.response.get("Error", {}) if hasattr(exc, "response") else {}
    code = err.get("Code", "")
    if code == "ResourceNotFoundException":
        if function_exists is False:
            hint = (f"function {function} does not exist either: check the name and the region (--region)"
                    if function else "check the log group name and the region (--region)")
        else:
            hint = "has the function been invoked yet? Lambda creates the log group on the first invocation"
        return NotFoundError(f"log group not found: {group}", hint=hint)
    if code in _ACCESS_CODES:
        return OperationError(f"access denied reading {group}: {err.get('Message', code)}",
                              hint=f"your credentials need the IAM permission logs:{operation} on log group {group}")
    if code in ("InvalidParameterException", "ValidationException"):
        msg = err.get("Message", code)
        hint = ("check --filter: it uses CloudWatch filter syntax (e.g. ERROR, \"exact phrase\", ?A ?B)"
                if operation == "FilterLogEvents" else None)
        return UsageError(f"CloudWatch Logs rejected the request: {msg}", hint=hint)
    return None


def _is_transient(exc) -> bool:
    mod = type(exc).__module__ or ""
    if not mod.startswith(("botocore", "urllib3")):
        return False
    if type(exc).__name__ == "ClientError":
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return code in _TRANSIENT_CODES or status >= 500
    return type(exc).__name__ in ("EndpointConnectionError", "ConnectionClosedError", "ReadTimeoutError",
                                  "ConnectTimeoutError", "HTTPClientError", "ConnectionError",
                                  "ProxyConnectionError")


@dataclass
class Query:
    """One FilterLogEvents query (without time bounds)."""
    group: str
    filter_pattern: str | None = None
    stream_prefix: str | None = None
    match: Callable[[str], bool] | None = None        # local stream-name predicate
    page_size: int | None = None                       # FilterLogEvents limit per page (None: AWS default)
    function: str | None = None                        # for error messages
    function_exists: bool | None = None
    newest_ts: int | None = None                       # newest timestamp read since last reset
    stats: dict = field(default_factory=lambda: {"calls": 0, "pages_empty_with_token": 0, "events_read": 0,
                                                 "duplicates_dropped": 0})

    def pages(self, aws, start_ms: int | None, end_ms: int | None) -> Iterator[list[dict]]:
        """Pages of raw events (already filtered by stream): botocore's paginator follows
        nextToken until it is absent (through empty pages) and stops on a repeated token."""
        from botocore.exceptions import ClientError, PaginationError

        client = aws.client("logs")
        kwargs: dict[str, Any] = {"logGroupName": self.group, "interleaved": True}
        if start_ms is not None:
            kwargs["startTime"] = max(0, int(start_ms))
        if end_ms is not None:
            kwargs["endTime"] = int(end_ms)
        if self.filter_pattern:
            kwargs["filterPattern"] = self.filter_pattern
        if self.stream_prefix:
            kwargs["logStreamNamePrefix"] = self.stream_prefix
        config = {"PageSize": int(self.page_size)} if self.page_size else {}
        responses = client.get_paginator("filter_log_events").paginate(**kwargs, PaginationConfig=config)
        try:
            for resp in responses:
                self.stats["calls"] += 1
                events = resp.get("events") or []
                self.stats["events_read"] += len(events)
                if events:
                    newest = max(int(e.get("timestamp") or 0) for e in events)
                    self.newest_ts = newest if self.newest_ts is None else max(self.newest_ts, newest)
                if self.match is not None:
                    events = [e for e in events if self.match(e.get("logStreamName", ""))]
                elif self.stream_prefix:
                    # Some servers (moto) ignore logStreamNamePrefix: check it here too.
                    events = [e for e in events if e.get("logStreamName", "").startswith(self.stream_prefix)]
                if not (resp.get("events") or []) and resp.get("nextToken"):
                    self.stats["pages_empty_with_token"] += 1
                yield events
        except ClientError as exc:
            mine = _translate(exc, self.group, function=self.function, function_exists=self.function_exists)
            if mine is not None:
                raise mine from None
            raise
        except PaginationError:
            return          # the same nextToken twice: the window is read (a follow polls again)


def fetch(aws, query: Query, start_ms: int | None, end_ms: int | None = None, *,
          limit: int | None = None, grep: re.Pattern | None = None,
          keep: Callable[[LogEvent], bool] | None = None,
          ctx: RequestContext | None = None) -> Iterator[LogEvent]:
    """The events of a window, oldest first.

    ``grep`` (regex on the message) and ``keep`` (a predicate, e.g. "visible") select events;
    ``limit`` then keeps only the newest N selected ones, like ``tail -n``.
    """
    ctx = ctx if ctx is not None else RequestContext()
    tail: deque[LogEvent] | None = deque(maxlen=limit) if limit else None
    for page in query.pages(aws, start_ms, end_ms):
        page = sorted(page, key=lambda e: e.get("timestamp") or 0)
        for raw in page:
            ev = parse_event(raw, ctx)
            if grep is not None and not grep.search(ev.message):
                continue
            if keep is not None and not keep(ev):
                continue
            if tail is not None:
                tail.append(ev)
            else:
                yield ev
    if tail is not None:
        yield from tail


def follow_batches(aws, query: Query, start_ms: int, *, stop: threading.Event | None = None,
                   poll_interval: float = DEFAULT_POLL_INTERVAL, overlap_ms: int = DEFAULT_OVERLAP_MS,
                   backlog_limit: int | None = None, grep: re.Pattern | None = None,
                   keep: Callable[[LogEvent], bool] | None = None,
                   clock: Callable[[], float] = time.time,
                   on_transient: Callable[[BaseException, float], None] | None = None,
                   on_missing_group: Callable[[], None] | None = None,
                   ctx: RequestContext | None = None) -> Iterator[list[LogEvent]]:
    """Follow the group: one list of new events per poll (possibly empty), each event once.

    Stops when ``stop`` is set (checked between polls and while waiting). ``grep``/``keep`` select
    events (as in :func:`fetch`); ``backlog_limit`` keeps only the newest N of the first poll.
    Ctrl-C → :class:`Interrupted`.

    A missing group is a :class:`NotFoundError` unless ``on_missing_group`` is given: then it is
    called when the group is found missing (once, and again only if the group disappears after
    having existed) and the polls go on (yielding empty batches) until the group appears; the
    follow then starts at ``start_ms`` as usual (Lambda creates the group on the first invocation).

    Tolerance: an event becomes visible to FilterLogEvents some time after its timestamp
    (ingestion delay); it is still shown if that delay is under ``overlap_ms``.
    """
    stop = stop or threading.Event()
    ctx = ctx if ctx is not None else RequestContext()
    seen: dict[tuple[str, str], int] = {}       # (stream, event id) -> timestamp
    query_start = int(start_ms)
    max_ts: int | None = None
    first = True
    failures = 0
    shown = 0
    missing = False
    try:
        while not stop.is_set():
            new: list[dict] = []
            poll_started = int(clock() * 1000)
            complete = False
            query.newest_ts = None
            try:
                for page in query.pages(aws, query_start, None):
                    for raw in page:
                        key = (raw.get("logStreamName", ""), str(raw.get("eventId", "")))
                        if key in seen:
                            query.stats["duplicates_dropped"] += 1
                            continue
                        seen[key] = int(raw.get("timestamp") or 0)
                        new.append(raw)
            except NotFoundError:
                if on_missing_group is None:
                    raise
                # Not there (yet): say so once, poll again; the window start stays where it is.
                if not missing:
                    missing = True
                    on_missing_group()
                yield []
                if stop.wait(poll_interval):
                    break
                continue
            except Exception as exc:  # noqa: BLE001 - only transient errors are swallowed
                if not _is_transient(exc):
                    raise
                # Re-reading is safe (the ids dedupe): keep what this poll saw, back off, retry.
                failures += 1
                delay = min(poll_interval * (2 ** failures), 10.0)
                if on_transient is not None:
                    on_transient(exc, delay)
                if stop.wait(delay):
                    break
            else:
                failures = 0
                complete = True
                missing = False
            new.sort(key=lambda e: int(e.get("timestamp") or 0))      # stable: keeps per-stream order
            batch = [parse_event(raw, ctx) for raw in new]
            if grep is not None:
                batch = [e for e in batch if grep.search(e.message)]
            if keep is not None:
                batch = [e for e in batch if keep(e)]
            if first and backlog_limit:
                batch = batch[-backlog_limit:]
            first = False
            # Newest timestamp read, including events dropped by the local stream filter, so a
            # --qualifier on a busy group does not re-read the whole window at every poll.
            if query.newest_ts is not None:
                max_ts = query.newest_ts if max_ts is None else max(max_ts, query.newest_ts)
            anchor = None
            if max_ts is not None:
                # The server's timeline; never after "now" (future-dated events).
                anchor = min(max_ts, poll_started)
            elif complete:
                # Nothing in the window at all: the window up to this poll's start has been read.
                anchor = poll_started
            if anchor is not None:
                # Never go backwards (clock steps would bring back forgotten ids).
                query_start = max(query_start, anchor - int(overlap_ms))
                if seen:
                    for key in [k for k, ts in seen.items() if ts < query_start]:
                        del seen[key]
            shown += len(batch)
            yield batch
            if stop.wait(poll_interval):
                break
    except KeyboardInterrupt:
        if missing:
            raise Interrupted(f"interrupted: stopped waiting for log group {query.group} to appear") from None
        raise Interrupted(f"interrupted: stopped following {query.group} ({shown} events shown)") from None


def follow(aws, query: Query, start_ms: int, **kwargs) -> Iterator[LogEvent]:
    """:func:`follow_batches`, one event at a time."""
    for batch in follow_batches(aws, query, start_ms, **kwargs):
        yield from batch


# --- rendering --------------------------------------------------------------------------------

JSON_FORMATS = ("pretty", "compact", "raw")


def format_timestamp(ms: int, *, utc: bool = False) -> str:
    dt = _dt.datetime.fromtimestamp(ms / 1000.0, tz=_dt.timezone.utc)
    if utc:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    dt = dt.astimezone()
    return dt.strftime("%Y-%m-%d %H:%M:%S.") + f"{dt.microsecond // 1000:03d}"


class Renderer:
    """Human lines for events: ``timestamp  request-id(8)  message``.

    ``style(text, color)`` colours (the CLI passes :func:`lambdactl.output.style`, which is a
    no-op off a TTY or with --no-color).
    """

    def __init__(self, *, utc: bool = False, json_format: str = "pretty", verbose: bool = False,
                 style: Callable[[str, str | None], str] | None = None):
        if json_format not in JSON_FORMATS:
            raise UsageError(f"--json-format {json_format!r} is not one of: {', '.join(JSON_FORMATS)}")
        self.utc = utc
        self.json_format = json_format
        self.verbose = verbose
        self.style = style or (lambda text, color: text)

    def visible(self, ev: LogEvent) -> bool:
        return self.verbose or not ev.hidden_by_default

    def body(self, ev: LogEvent) -> str:
        if self.json_format == "raw":
            return ev.message
        if ev.report is not None:
            return ev.report.summary()
        text = ev.body if ev.body is not None else ev.message
        if ev.json_body is not None and isinstance(ev.json_body, (dict, list)):
            indent = 2 if self.json_format == "pretty" else None
            sep = None if indent else (",", ":")
            text = json.dumps(ev.json_body, indent=indent, separators=sep, ensure_ascii=False)
        if ev.level and ev.level.upper() not in ("INFO",) and ev.json_body is None:
            text = f"[{ev.level}] {text}"
        return text

    def color_of(self, ev: LogEvent) -> str | None:
        if ev.report is not None:
            if ev.error:
                return "red"
            return "yellow" if ev.report.cold_start else "cyan"
        if ev.error:
            return "red"
        if ev.warning:
            return "yellow"
        if ev.type in ("start", "end", "platform"):
            return "dim"
        return None

    def render(self, ev: LogEvent) -> str:
        ts = format_timestamp(ev.timestamp, utc=self.utc)
        rid = (ev.request_id or "-")[:8].ljust(8)
        prefix = f"{ts}  {rid}  "
        text = self.body(ev)
        lines = text.split("\n") if text else [""]
        pad = " " * len(prefix)
        color = self.color_of(ev)
        out = [self.style(ts, "dim") + "  " + self.style(rid, "dim") + "  " + self.style(lines[0], color)]
        for line in lines[1:]:
            out.append(pad + self.style(line, color))
        return "\n".join(out)


def compile_grep(pattern: str | None) -> re.Pattern | None:
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"--grep {pattern!r}: invalid regular expression: {exc}",
                         hint="--grep takes a Python regular expression, e.g. 'ERROR|Timeout'") from None


def iter_dicts(events: Iterable[LogEvent]) -> Iterator[dict]:
    for ev in events:
        yield ev.to_dict()
