"""Remote invoke, the log tail, and Lambda's error shape made readable.

Public API:

    invoke_client(aws) -> the botocore client used for Invoke (no automatic retries)
    invoke_remote(aws, function, payload, *, qualifier=None, invocation_type="RequestResponse",
                  logs=False) -> InvokeResult
    decode_log_result(b64) -> str
    find_report(log_text) -> Report | None
    parse_error(payload) -> dict                  # {error_type, error_message, stack_trace}
    format_error(payload, function_error=None) -> str   # readable, multi-line (for stderr)
    function_failure(what, payload, function_error, ...) -> FunctionError   # exit 4, with its hint
    pretty_body(payload) -> str                   # pretty JSON when JSON, else the text
    result_from_local(r: InvocationResult) -> InvokeResult

Invoke is not idempotent, so the invoke client never retries on its own (botocore retries would
re-run a function whose response was merely slow); this module retries only what provably did not
run: throttling (``TooManyRequestsException``), a function still being updated
(``ResourceConflictException``) and connection failures before the request was sent.
"""
from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from lambdactl.core.observe.reportline import Report, parse_report
from lambdactl.errors import NotFoundError, OperationError, UsageError

INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
SYNC_LIMIT = 6 * 1024 * 1024            # 6 MB request/response for synchronous invokes
ASYNC_LIMIT = 1024 * 1024               # 1 MB for Event invokes (was 256 KB before late 2025)
INVOKE_READ_TIMEOUT = 905               # > Lambda's 900 s maximum timeout
_RETRY_CODES = {"TooManyRequestsException", "ResourceConflictException", "EC2ThrottledException"}


@dataclass
class InvokeResult:
    status_code: int
    payload: bytes = b""
    executed_version: str | None = None
    function_error: str | None = None
    log_tail: str | None = None
    report: Report | None = None
    request_id: str | None = None
    invocation_type: str = "RequestResponse"
    duration_ms: float = 0.0                 # measured round trip (client side)
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.function_error is None

    def payload_value(self) -> Any:
        """The body as JSON when it is JSON, else as text (None when empty)."""
        return body_value(self.payload)

    def to_dict(self) -> dict:
        d = {"status_code": self.status_code, "executed_version": self.executed_version,
             "function_error": self.function_error, "payload": self.payload_value(),
             "log_tail": self.log_tail, "report": self.report.to_dict() if self.report else None,
             "request_id": self.request_id}
        d.update(self.extra)
        return d


def body_value(payload: bytes | None) -> Any:
    if not payload:
        return None
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return payload.decode("utf-8", "replace")


def pretty_body(payload: bytes) -> str:
    """Pretty JSON when the body is JSON, else the body as text (no trailing newline added)."""
    if not payload:
        return ""
    try:
        value = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return payload.decode("utf-8", "replace")
    return json.dumps(value, indent=2, ensure_ascii=False)


def decode_log_result(b64: str | None) -> str:
    """``LogResult`` (base64 of the last 4 KB of the execution log) → text."""
    if not b64:
        return ""
    try:
        raw = base64.b64decode(b64, validate=False)
    except (ValueError, TypeError):
        return ""
    return raw.decode("utf-8", "replace")


def find_report(log_text: str | None) -> Report | None:
    """The (last) REPORT line in a log text, parsed."""
    found = None
    for line in (log_text or "").splitlines():
        r = parse_report(line)
        if r is not None:
            found = r
    return found


def summarise_log(log_text: str) -> str:
    """The log tail with its REPORT line replaced by :meth:`Report.summary`."""
    out = []
    for line in log_text.splitlines():
        r = parse_report(line)
        out.append(r.summary() if r is not None else line)
    return "\n".join(out)


def parse_error(payload: bytes | None) -> dict:
    """Lambda's error shape → ``{error_type, error_message, stack_trace: [str]}`` (tolerant)."""
    value = body_value(payload)
    if isinstance(value, dict):
        stack = value.get("stackTrace") or []
        if isinstance(stack, str):
            stack = [stack]
        lines: list[str] = []
        for entry in stack:
            if isinstance(entry, list) and len(entry) >= 3:       # older runtimes: [file, line, fn, code]
                code = f"\n    {entry[3]}" if len(entry) > 3 and entry[3] else ""
                lines.append(f'  File "{entry[0]}", line {entry[1]}, in {entry[2]}{code}')
            else:
                lines.append(str(entry).rstrip("\n"))
        return {"error_type": value.get("errorType"), "error_message": value.get("errorMessage"),
                "stack_trace": lines}
    text = value if isinstance(value, str) else (json.dumps(value) if value is not None else "")
    return {"error_type": None, "error_message": text, "stack_trace": []}


# Lambda prefixes some messages with the request: "RequestId: <id> Error: Task timed out after 3.00
# seconds" (Sandbox.Timedout, Runtime.ExitError), or, in older runtimes, "<timestamp> <id> Task ...".
_REQUEST_PREFIX = re.compile(r"^(?:RequestId: \S+ Error: |\d{4}-\d\d-\d\dT[\d:.]+Z \S+ )")


def error_title(payload: bytes | None, function_error: str | None = None) -> str:
    """One line: ``ValueError: boom``, ``Sandbox.Timedout: Task timed out after 3.00 seconds`` (the
    request-id prefix dropped), or the bare message."""
    e = parse_error(payload)
    msg = (e["error_message"] or "").strip().splitlines()
    msg_line = _REQUEST_PREFIX.sub("", msg[0]) if msg else ""
    if e["error_type"]:
        title = f"{e['error_type']}: {msg_line}" if msg_line else e["error_type"]
    else:
        title = msg_line or "the function returned an error"
    return title


def format_traceback(payload: bytes | None) -> str:
    """The function's stack trace, Python-style (empty when the error carries none)."""
    e = parse_error(payload)
    if not e["stack_trace"]:
        return ""
    msg = (e["error_message"] or "").strip().splitlines()
    lines = ["Traceback (most recent call last):"]
    for entry in e["stack_trace"]:
        lines.extend(entry.splitlines())
    lines.append(f"{e['error_type'] or 'Error'}: {msg[0] if msg else ''}".rstrip().rstrip(":"))
    lines.extend("  " + m for m in msg[1:])
    return "\n".join(lines)


def format_error(payload: bytes | None, function_error: str | None = None) -> str:
    """A readable block: a title line, then the function's stack trace."""
    kind = f" ({function_error})" if function_error else ""
    title = f"function error{kind}: {error_title(payload, function_error)}"
    tb = format_traceback(payload)
    return title + ("\n" + tb if tb else "")


def is_timeout(payload: bytes | None) -> bool:
    e = parse_error(payload)
    return e["error_type"] == "Sandbox.Timedout" or "Task timed out after" in (e["error_message"] or "")


def function_error_hint(payload: bytes | None, *, function: str | None = None, trace_shown: bool = False,
                        logs_shown: bool = False) -> str | None:
    """What to do about a function error. Settings are named where they live: the project file's key
    when ``function`` is its function (a 'lambdactl config' there would be reverted by the next
    deploy), else the ``config`` command. The stack trace is pointed at only when ``trace_shown``."""
    from lambdactl.config import setting_hint

    e = parse_error(payload)
    et = e["error_type"] or ""
    if is_timeout(payload):
        return f"raise the timeout ({setting_hint('timeout', 'N', function)}) or make the handler faster"
    if et == "Runtime.OutOfMemory":
        return f"give it more memory ({setting_hint('memory', 'N', function)})" + \
            ("" if logs_shown else "; --logs shows Max Memory Used")
    if et == "Runtime.ImportModuleError":
        return "check the handler setting and that dependencies are packaged (lambdactl package)"
    if et == "Runtime.HandlerNotFound":
        return "check [function] handler: module.function must exist"
    parts = (["see the stack trace above"] if trace_shown else []) + \
        ([] if logs_shown else ["--logs shows the function's log tail"])
    return "; ".join(parts) or None


def function_failure(what: str, payload: bytes | None, function_error: str | None, *,
                     function: str | None = None, trace_shown: bool = False, logs_shown: bool = False):
    """The :class:`FunctionError` (exit 4) for a failed invocation, remote or local alike."""
    from lambdactl.errors import FunctionError

    return FunctionError(f"{what} returned an error ({function_error or 'Unhandled'}): "
                         f"{error_title(payload, function_error)}",
                         hint=function_error_hint(payload, function=function, trace_shown=trace_shown,
                                                  logs_shown=logs_shown))


# --- remote invoke ---------------------------------------------------------------------------

def _limit_error(exc, payload: bytes, invocation_type: str) -> OperationError:
    limit, what = (ASYNC_LIMIT, "1 MB limit for asynchronous (Event) invokes") if invocation_type == "Event" \
        else (SYNC_LIMIT, "6 MB limit for synchronous invokes")
    msg = (getattr(exc, "response", {}).get("Error", {}) or {}).get("Message") or str(exc)
    return OperationError(f"the payload is too large: {len(payload):,} bytes is over the {what} ({msg})",
                          hint="send a reference (e.g. an S3 key) instead of the data itself"
                          if len(payload) > limit else "the response may be over the limit; return less data")


def invoke_client(aws):
    """The Lambda client used for Invoke: a read timeout above Lambda's 900 s maximum and no automatic
    retries (a retried slow invoke would run the function twice)."""
    return aws.client("lambda", read_timeout=INVOKE_READ_TIMEOUT, retries={"mode": "standard", "total_max_attempts": 1})


def invoke_remote(aws, function: str, payload: bytes, *, qualifier: str | None = None,
                  invocation_type: str = "RequestResponse", logs: bool = False,
                  client_context: str | None = None, retry_budget: float | None = None) -> InvokeResult:
    """Invoke ``function`` on AWS. Function errors are returned (``function_error``), not raised."""
    from botocore.exceptions import (ClientError, ConnectTimeoutError, EndpointConnectionError)

    if invocation_type not in INVOCATION_TYPES:
        raise UsageError(f"invalid invocation type {invocation_type!r}", hint=f"allowed: {', '.join(INVOCATION_TYPES)}")
    if logs and invocation_type != "RequestResponse":
        raise UsageError("--logs needs a synchronous invoke", hint="drop --async/--dry-run, or drop --logs")
    lam = invoke_client(aws)
    kwargs: dict[str, Any] = {"FunctionName": function, "InvocationType": invocation_type, "Payload": payload}
    if qualifier:
        kwargs["Qualifier"] = qualifier
    if logs:
        kwargs["LogType"] = "Tail"
    if client_context:
        kwargs["ClientContext"] = client_context
    from lambdactl.aws import retry_budget as default_budget

    budget = retry_budget if retry_budget is not None else min(default_budget(), 30.0)
    deadline = time.monotonic() + budget
    attempt = 0
    what = f"{function}:{qualifier}" if qualifier else function
    while True:
        t0 = time.perf_counter()
        try:
            resp = lam.invoke(**kwargs)
            body = resp["Payload"].read() if resp.get("Payload") is not None else b""
            elapsed = (time.perf_counter() - t0) * 1000
            break
        except ClientError as exc:
            err = exc.response.get("Error", {}) or {}
            code = err.get("Code", "")
            if code == "ResourceNotFoundException":
                raise NotFoundError(f"function not found: {what}",
                                    hint="check the name, qualifier and region; 'lambdactl ls' lists the functions")
            if code in ("RequestTooLargeException", "RequestEntityTooLargeException") or \
                    exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 413:
                raise _limit_error(exc, payload, invocation_type)
            if code in _RETRY_CODES and time.monotonic() < deadline:
                delay = min(4.0, 0.2 * (2 ** attempt))
                attempt += 1
                time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                continue
            if code == "TooManyRequestsException":
                reason = exc.response.get("Reason") or err.get("Reason") or ""
                raise OperationError(f"{what} is throttled{f' ({reason})' if reason else ''}: {err.get('Message', '')}".rstrip(": "),
                                     hint="check its reserved concurrency ('lambdactl concurrency'); 0 blocks every invoke")
            raise
        except (EndpointConnectionError, ConnectTimeoutError):
            # The request never reached Lambda: safe to retry.
            if time.monotonic() < deadline:
                attempt += 1
                time.sleep(min(2.0, 0.2 * (2 ** attempt)))
                continue
            raise
    meta = resp.get("ResponseMetadata", {}) or {}
    headers = meta.get("HTTPHeaders", {}) or {}
    log_tail = decode_log_result(resp.get("LogResult")) if resp.get("LogResult") else None
    return InvokeResult(
        status_code=int(resp.get("StatusCode") or meta.get("HTTPStatusCode") or 0),
        payload=body, executed_version=resp.get("ExecutedVersion"),
        function_error=resp.get("FunctionError"), log_tail=log_tail,
        report=find_report(log_tail) if log_tail else None,
        request_id=meta.get("RequestId") or headers.get("x-amzn-requestid"),
        invocation_type=invocation_type, duration_ms=elapsed)


def result_from_local(r) -> InvokeResult:
    """A local :class:`~lambdactl.core.run.local_runner.InvocationResult` in the remote result's shape."""
    return InvokeResult(status_code=200, payload=r.payload, executed_version=r.version,
                        function_error=r.function_error, log_tail=r.logs, report=r.report,
                        request_id=r.request_id, duration_ms=r.wall_ms,
                        extra={"cold_start": r.cold, "timed_out": r.timed_out})
