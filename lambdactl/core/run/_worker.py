"""The child side of the local runner: one Lambda-like execution environment in its own process.

Run as a script (``python _worker.py IN_FD OUT_FD``) by :mod:`lambdactl.core.run.local_runner`; it uses
only the standard library and never imports lambdactl, so the handler sees a clean interpreter.

Protocol (pipes on dedicated fds; stdout/stderr stay the handler's, captured by the parent):
a frame is a 4-byte big-endian length + a JSON header, followed by a 4-byte length + raw bytes.

    parent → child  {"type": "init", "handler", "paths", "cwd", "function": {...}}, b""
    child → parent  {"type": "ready"} | {"type": "init_error", "error": {...}}, b""
    parent → child  {"type": "invoke", "request_id", "deadline_ms", "trace_id", ...}, payload
    child → parent  {"type": "result", "ok", "duration_ms", "max_rss_kb", "error_type"}, body
"""
from __future__ import annotations

import importlib
import json
import logging
import os
import struct
import sys
import time
import traceback

MAX_RESPONSE = 6 * 1024 * 1024 + 100     # 6291556 bytes, Lambda's synchronous response limit
_THIS_FILE = os.path.abspath(__file__)


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks = []
    while n:
        b = os.read(fd, min(n, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def read_frame(fd: int):
    head = _read_exact(fd, 4)
    if head is None:
        return None, None
    header = json.loads(_read_exact(fd, struct.unpack(">I", head)[0]) or b"{}")
    blen = _read_exact(fd, 4)
    if blen is None:
        return None, None
    body = _read_exact(fd, struct.unpack(">I", blen)[0]) or b""
    return header, body


def write_frame(fd: int, header: dict, body: bytes = b"") -> None:
    h = json.dumps(header).encode()
    data = struct.pack(">I", len(h)) + h + struct.pack(">I", len(body)) + body
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class LambdaContext:
    """The ``context`` argument, as the Python runtime (awslambdaric) builds it."""

    def __init__(self, fn: dict, request_id: str, deadline_ms: int, client_context=None, identity=None):
        self.function_name = fn.get("function_name")
        self.function_version = fn.get("function_version", "$LATEST")
        self.invoked_function_arn = fn.get("invoked_function_arn")
        # A string, exactly as on Lambda (it comes from AWS_LAMBDA_FUNCTION_MEMORY_SIZE).
        self.memory_limit_in_mb = str(fn.get("memory_limit_in_mb"))
        self.aws_request_id = request_id
        self.log_group_name = fn.get("log_group_name")
        self.log_stream_name = fn.get("log_stream_name")
        self.identity = identity
        self.client_context = client_context
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def __repr__(self) -> str:
        return (f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
                f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
                f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
                f"invoked_function_arn={self.invoked_function_arn}])")


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record):
        record.aws_request_id = self.request_id
        return True


_rid_filter = _RequestIdFilter()


def _install_logging() -> None:
    """Lambda's Python runtime puts a handler on the root logger: ``[LEVEL]\\tts\\trequest-id\\tmsg``."""
    handler = logging.StreamHandler(sys.stderr)
    fmt = logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
                            "%Y-%m-%dT%H:%M:%S")
    fmt.converter = time.gmtime
    handler.setFormatter(fmt)
    handler.addFilter(_rid_filter)
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if level:
        root.setLevel(level.upper())


def _stack(tb) -> list[str]:
    return traceback.format_list(traceback.extract_tb(tb))


def _is_runtime_frame(filename: str) -> bool:
    """This runtime's own frames and importlib's are not the user's (Lambda shows neither)."""
    return (filename.startswith("<frozen importlib") or filename == importlib.__file__
            or os.path.abspath(filename) == _THIS_FILE)


def _user_stack(tb) -> list[str]:
    return traceback.format_list([f for f in traceback.extract_tb(tb) if not _is_runtime_frame(f.filename)])


def _init_error_shape(exc: BaseException) -> dict:
    """An init (import) failure in Lambda's shape: no runtime/importlib frames in the stack trace;
    ImportModuleError carries none (as on Lambda), a syntax error names the file and line."""
    if isinstance(exc, _RuntimeError):
        cause = exc.__cause__
        stack: list[str] = []
        if isinstance(cause, SyntaxError) and cause.filename:
            code = f"\n        {cause.text.strip()}" if cause.text else ""
            stack = [f'  File "{cause.filename}" Line {cause.lineno}{code}\n']
        shape = _error_shape(exc, None, error_type=exc.error_type)
        shape["stackTrace"] = stack
        return shape
    shape = _error_shape(exc, None)
    shape["stackTrace"] = _user_stack(exc.__traceback__)
    return shape


def _error_shape(exc: BaseException, tb=None, *, error_type: str | None = None, message: str | None = None,
                 request_id: str | None = None) -> dict:
    shape = {"errorMessage": message if message is not None else str(exc),
             "errorType": error_type or type(exc).__name__}
    if request_id:
        shape["requestId"] = request_id
    shape["stackTrace"] = _stack(tb) if tb is not None else []
    return shape


def _log_error(shape: dict) -> None:
    text = f"[ERROR] {shape['errorType']}: {shape['errorMessage']}"
    if shape.get("stackTrace"):
        text += "\nTraceback (most recent call last):\n" + "".join(shape["stackTrace"]).rstrip("\n")
    sys.stderr.write(text + "\n")


def _max_rss_kb() -> int:
    """Peak RSS of this process (VmHWM: ru_maxrss on Linux also counts the parent's pages at fork),
    or of the largest child process the handler waited for, whichever is larger."""
    own = 0
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    own = int(line.split()[1])
                    break
    except (OSError, ValueError, IndexError):
        own = 0
    try:
        import resource

        scale = 1 if sys.platform != "darwin" else 1 / 1024
        if not own:
            own = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale)
        kids = int(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale)
    except Exception:  # pragma: no cover - non-POSIX
        kids = 0
    return max(own, kids)


def _load_handler(spec: str):
    """``pkg/mod.fn`` or ``pkg.mod.fn`` → the function, raising Lambda's Runtime.* errors."""
    modname, _, fname = spec.replace("/", ".").rpartition(".")
    if not modname or not fname:
        raise _RuntimeError("Runtime.MalformedHandlerName",
                            f"Bad handler '{spec}': not enough values to unpack (expected 2, got 1)")
    try:
        mod = importlib.import_module(modname)
    except ImportError as exc:
        raise _RuntimeError("Runtime.ImportModuleError", f"Unable to import module '{modname}': {exc}") from exc
    except SyntaxError as exc:
        raise _RuntimeError("Runtime.UserCodeSyntaxError",
                            f"Syntax error in module '{modname}': {exc}") from exc
    fn = getattr(mod, fname, None)
    if fn is None:
        raise _RuntimeError("Runtime.HandlerNotFound", f"Handler '{fname}' missing on module '{modname}'")
    return fn


class _RuntimeError(Exception):
    def __init__(self, error_type: str, message: str):
        super().__init__(message)
        self.error_type = error_type


def main(argv: list[str]) -> int:
    in_fd, out_fd = int(argv[1]), int(argv[2])
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    header, _ = read_frame(in_fd)
    if header is None:
        return 0
    fn = header["function"]
    sys.path[:0] = [p for p in header.get("paths", []) if p]
    if header.get("cwd"):
        os.chdir(header["cwd"])
    _install_logging()
    try:
        handler = _load_handler(header["handler"])
    except Exception as exc:  # Runtime.* (import/syntax/handler) or the module raised while importing
        shape = _init_error_shape(exc)
        _log_error(shape)
        sys.stdout.flush()
        sys.stderr.flush()
        write_frame(out_fd, {"type": "init_error", "error": shape, "max_rss_kb": _max_rss_kb()})
        return 1
    sys.stdout.flush()
    sys.stderr.flush()
    write_frame(out_fd, {"type": "ready", "max_rss_kb": _max_rss_kb()})

    while True:
        req, payload = read_frame(in_fd)
        if req is None or req.get("type") == "shutdown":
            return 0
        rid = req["request_id"]
        _rid_filter.request_id = rid
        if req.get("trace_id"):
            os.environ["_X_AMZN_TRACE_ID"] = req["trace_id"]
        context = LambdaContext(fn, rid, req["deadline_ms"], req.get("client_context"), req.get("identity"))
        ok, error_type = True, None
        t0 = time.perf_counter()
        try:
            try:
                event = json.loads(payload) if payload.strip() else {}
            except ValueError as exc:
                raise _RuntimeError("Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}") from None
            result = handler(event, context)
            try:
                body = json.dumps(result).encode("utf-8")
            except (TypeError, ValueError) as exc:
                raise _RuntimeError("Runtime.MarshalError", f"Unable to marshal response: {exc}") from None
            if len(body) > MAX_RESPONSE:
                raise _RuntimeError("Function.ResponseSizeTooLarge",
                                    f"Response payload size ({len(body)} bytes) exceeded maximum allowed "
                                    f"payload size ({MAX_RESPONSE} bytes).")
        except Exception as exc:
            ok = False
            if isinstance(exc, _RuntimeError):
                shape = _error_shape(exc, None, error_type=exc.error_type, request_id=rid)
            else:
                tb = exc.__traceback__
                tb = tb.tb_next if tb is not None else None   # drop this loop's own frame
                shape = _error_shape(exc, tb, request_id=rid)
            error_type = shape["errorType"]
            _log_error(shape)
            body = json.dumps(shape).encode("utf-8")
        duration = (time.perf_counter() - t0) * 1000
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:  # pragma: no cover - a handler closed its streams
            pass
        write_frame(out_fd, {"type": "result", "ok": ok, "error_type": error_type, "duration_ms": duration,
                             "max_rss_kb": _max_rss_kb()}, body)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
