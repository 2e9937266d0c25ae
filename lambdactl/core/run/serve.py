"""``lambdactl serve``: the project's handler behind a real HTTP server, as a function URL (or an
API Gateway REST API) would call it.

    runner = Runner(make_spec, concurrency=4)       # warm workers (core.local_runner.WorkerPool)
    server = make_server(runner, host="127.0.0.1", port=3000, fmt="http", log=print_block)
    server.serve_forever()                          # Ctrl-C: KeyboardInterrupt in the caller
    runner.reload("src/app.py changed")             # next request: new workers, new code

Each request becomes a payload format 2.0 event (``fmt="http"``: function URL / HTTP API) or a
REST proxy event (``fmt="rest"``), built by :mod:`lambdactl.core.run.events`; the handler runs in a
warm worker process (:class:`~lambdactl.core.run.local_runner.WorkerPool`), and its result becomes the
HTTP response by AWS's rules:

- 2.0: a JSON object with ``statusCode`` gives the status, ``headers``, ``cookies`` (one Set-Cookie
  each) and ``body`` (base64-decoded when ``isBase64Encoded``); any other JSON result is the
  "inferred" response: 200, ``content-type: application/json``, the result as the body.
- REST 1.0: ``statusCode``, ``headers`` + ``multiValueHeaders``, a string ``body``,
  ``isBase64Encoded``; anything else is a malformed proxy response (502).
- A function error (an exception, a timeout, a crash) is a 502, as API Gateway and function URLs
  answer; request bodies over 6 MB are refused with 413 before the handler runs.

:class:`Runner` swaps in a new :class:`WorkerPool` on :meth:`Runner.reload`; requests in flight
finish on the old workers, which are closed when the last of them returns.
"""
from __future__ import annotations

import base64
import datetime as _dt
import http.server
import ipaddress
import json
import socket
import socketserver
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable

from lambdactl.core.run import events as E

MAX_REQUEST_BYTES = 6 * 1024 * 1024          # Lambda's synchronous request payload limit
DRAIN_LIMIT = 64 * 1024 * 1024               # a larger refused body is not read: the connection closes
FORMATS = ("http", "rest")
FUNCTION_ERROR_BODY = {"http": b'{"message":"Internal Server Error"}',
                       "rest": b'{"message": "Internal server error"}'}


# --- the worker pools, reloadable ----------------------------------------------------------------

class _Generation:
    def __init__(self, pool):
        self.pool = pool
        self.active = 0
        self.retired = False


class Runner:
    """Warm workers for the project's function; :meth:`reload` replaces them without a restart.

    ``make_spec()`` returns a fresh :class:`~lambdactl.core.run.local_runner.FunctionSpec` (it re-reads
    the project file); it is called here (unless ``spec`` is given) and again on each reload."""

    def __init__(self, make_spec: Callable[[], object], *, concurrency: int = 4, spec=None):
        from lambdactl.core.run.local_runner import WorkerPool

        self._make_spec = make_spec
        self._pool_cls = WorkerPool
        self.concurrency = concurrency
        self.spec = spec if spec is not None else make_spec()
        self._lock = threading.Lock()
        self._gen = _Generation(WorkerPool(self.spec, max_workers=concurrency))
        self.reloads = 0
        self.closed = False

    def invoke(self, payload: bytes, request_id: str):
        with self._lock:
            gen = self._gen
            gen.active += 1
        try:
            return gen.pool.invoke(payload, request_id)
        finally:
            with self._lock:
                gen.active -= 1
                done = gen.retired and gen.active == 0
            if done:
                gen.pool.close()

    def reload(self) -> None:
        """New workers (new code, new project settings) for the next request. Raises the project's
        error (e.g. an invalid lambdactl.toml) and then keeps the current workers."""
        spec = self._make_spec()
        new = _Generation(self._pool_cls(spec, max_workers=self.concurrency))
        with self._lock:
            if self.closed:
                new.pool.close()
                return
            old, self._gen, self.spec = self._gen, new, spec
            old.retired = True
            done = old.active == 0
            self.reloads += 1
        if done:
            old.pool.close()

    def close(self) -> None:
        with self._lock:
            self.closed = True
            gen = self._gen
        gen.pool.close()


# --- request → event, result → response ---------------------------------------------------------

@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    problem: str | None = None       # why a 502 was answered (malformed response), for the log


def _bad(fmt: str, problem: str) -> Response:
    return Response(502, [("content-type", "application/json")], FUNCTION_ERROR_BODY[fmt], problem)


def _header_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _decode_body(doc: dict, fmt: str) -> bytes | Response:
    body = doc.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        if fmt == "rest":
            return _bad(fmt, f"malformed Lambda proxy response: body must be a string, not {type(body).__name__}")
        body = json.dumps(body)
    if doc.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except ValueError:
            return _bad(fmt, "malformed response: isBase64Encoded is true but the body is not base64")
    return body.encode("utf-8")


def _status(value, fmt: str) -> int | Response:
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        if fmt == "rest" and isinstance(value, str) and value.isdigit() and 100 <= int(value) <= 599:
            return int(value)        # REST APIs accept "200"
        return _bad(fmt, f"malformed response: statusCode {value!r} is not an HTTP status")
    return value


def response_v2(payload: bytes) -> Response:
    """A function URL / HTTP API (2.0) response from the handler's JSON result."""
    try:
        doc = json.loads(payload)
    except ValueError:
        return _bad("http", "the function returned invalid JSON")
    if not isinstance(doc, dict) or "statusCode" not in doc:
        return Response(200, [("content-type", "application/json")], payload)       # inferred response
    status = _status(doc.get("statusCode"), "http")
    if isinstance(status, Response):
        return status
    headers: list[tuple[str, str]] = []
    raw_headers = doc.get("headers") or {}
    if not isinstance(raw_headers, dict):
        return _bad("http", "malformed response: headers must be an object")
    for k, v in raw_headers.items():
        headers.append((str(k), ",".join(map(_header_value, v)) if isinstance(v, list) else _header_value(v)))
    cookies = doc.get("cookies") or []
    if not isinstance(cookies, list):
        return _bad("http", "malformed response: cookies must be a list of strings")
    headers += [("set-cookie", str(c)) for c in cookies]
    body = _decode_body(doc, "http")
    if isinstance(body, Response):
        return body
    return Response(status, headers, body)


def response_v1(payload: bytes) -> Response:
    """An API Gateway REST proxy (1.0) response from the handler's JSON result."""
    try:
        doc = json.loads(payload)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or "statusCode" not in doc:
        return _bad("rest", "malformed Lambda proxy response: expected an object with statusCode "
                            "(headers, multiValueHeaders, body, isBase64Encoded)")
    status = _status(doc.get("statusCode"), "rest")
    if isinstance(status, Response):
        return status
    headers: list[tuple[str, str]] = []
    single = doc.get("headers") or {}
    multi = doc.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        return _bad("rest", "malformed Lambda proxy response: headers and multiValueHeaders must be objects")
    for k, values in multi.items():
        for v in values if isinstance(values, list) else [values]:
            headers.append((str(k), _header_value(v)))
    seen = {k.lower() for k, _ in headers}
    headers += [(str(k), _header_value(v)) for k, v in single.items() if str(k).lower() not in seen]
    body = _decode_body(doc, "rest")
    if isinstance(body, Response):
        return body
    return Response(status, headers, body)


def to_response(result, fmt: str) -> Response:
    """The HTTP response for an :class:`~lambdactl.core.run.local_runner.InvocationResult`."""
    if result.function_error:
        error = result.error or {}
        what = error.get("errorType") or "Unhandled"
        return _bad(fmt, f"function error: {what}: {error.get('errorMessage', '')}".rstrip(": "))
    return response_v2(result.payload) if fmt == "http" else response_v1(result.payload)


# --- the HTTP server --------------------------------------------------------------------------------

@dataclass
class RequestLog:
    """What :func:`make_server`'s ``log`` callback gets once per request."""
    method: str
    target: str
    status: int
    wall_ms: float
    result: object | None            # InvocationResult, or None when the handler did not run
    problem: str | None


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"    # keep-alive: a client may reuse its connection
    disable_nagle_algorithm = True   # headers and body are two writes: no 40 ms delayed-ACK stall
    server_version = "lambdactl-serve"
    server: "LocalServer"

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format, *args):   # noqa: A002 - the stdlib's signature; we log our own way
        return

    def _read_body(self) -> bytes | None:
        """The request body; None after answering 400/413 (and closing the connection)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";", 1)[0].strip() or b"x", 16)
                except ValueError:
                    self._plain(400, b'{"message":"Bad Request"}')
                    return None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_REQUEST_BYTES:
                    self._plain(413, b'{"message":"Request Entity Too Large"}')
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            n = int(length)
            if n < 0:
                raise ValueError
        except ValueError:
            self._plain(400, b'{"message":"Bad Request"}')
            return None
        if n > MAX_REQUEST_BYTES:
            if n <= DRAIN_LIMIT:                  # read it first, so that the client sees the 413
                while n > 0:
                    got = len(self.rfile.read(min(n, 1 << 20)))
                    if not got:
                        break
                    n -= got
            self._plain(413, b'{"message":"Request Entity Too Large"}')
            return None
        return self.rfile.read(n)

    def _plain(self, status: int, body: bytes) -> None:
        self.close_connection = True
        self._send(Response(status, [("content-type", "application/json")], body))
        self.server.log(RequestLog(self.command, self.path, status, 0.0, None, None))

    def _send(self, resp: Response, request_id: str | None = None) -> None:
        self.send_response(resp.status)
        for k, v in resp.headers:
            if k.lower() not in ("content-length", "connection", "transfer-encoding"):   # ours to set
                self.send_header(k, v)
        if request_id:
            self.send_header("x-amzn-RequestId", request_id)
        self.send_header("Content-Length", str(len(resp.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and resp.body:
            self.wfile.write(resp.body)

    def _handle(self) -> None:
        t0 = time.perf_counter()
        body = self._read_body()
        if body is None:
            return
        srv = self.server
        raw_path, _, raw_query = self.path.partition("?")
        if not raw_path.startswith("/"):          # absolute-form target: http://host/path
            raw_path = "/" + raw_path.split("://", 1)[-1].partition("/")[2]
        rid = str(uuid.uuid4())
        now = _dt.datetime.now(_dt.timezone.utc)
        headers = list(self.headers.items())
        if not any(k.lower() == "x-forwarded-for" for k, _ in headers):
            headers += [("X-Forwarded-For", self.client_address[0]), ("X-Forwarded-Proto", "http"),
                        ("X-Forwarded-Port", str(srv.server_port))]
        host = self.headers.get("Host") or f"{srv.host}:{srv.server_port}"
        proto = self.request_version if self.request_version.startswith("HTTP/") else "HTTP/1.1"
        if srv.fmt == "http":
            event = E.http_v2_event(method=self.command, raw_path=raw_path, raw_query=raw_query, headers=headers,
                                    body=body, source_ip=self.client_address[0], request_id=rid, now=now,
                                    account=srv.account, domain=host, protocol=proto)
        else:
            event = E.rest_v1_event(method=self.command, raw_path=raw_path, raw_query=raw_query, headers=headers,
                                    body=body, source_ip=self.client_address[0], request_id=rid, now=now,
                                    account=srv.account, domain=host, protocol=proto)
        result = None
        try:
            result = srv.runner.invoke(json.dumps(event).encode("utf-8"), rid)
            resp = to_response(result, srv.fmt)
        except Exception as exc:  # noqa: BLE001 - the runner could not run the handler: a 502, logged
            resp = _bad(srv.fmt, f"the local runner failed: {exc}")
        try:
            self._send(resp, rid)
        finally:
            srv.log(RequestLog(self.command, self.path, resp.status, (time.perf_counter() - t0) * 1000,
                               result, resp.problem))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class LocalServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, runner: Runner, *, fmt: str, log: Callable[[RequestLog], None], account: str):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.runner = runner
        self.fmt = fmt
        self.log = log
        self.account = account
        self.host = address[0]
        super().__init__(address, _Handler)

    def server_bind(self):
        # No reverse-DNS lookup of the host name at start (HTTPServer.server_bind does one).
        socketserver.TCPServer.server_bind(self)
        self.server_name = self.host
        self.server_port = self.server_address[1]


def make_server(runner: Runner, *, host: str, port: int, fmt: str, log: Callable[[RequestLog], None],
                account: str = E.ACCOUNT) -> LocalServer:
    """Bind (raises OSError: port in use, no permission, unknown host) and return the server."""
    return LocalServer((host, port), runner, fmt=fmt, log=log, account=account)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- reload on change -----------------------------------------------------------------------------

class Watcher:
    """Watches the source directory (recursively) and the project file and requirements file;
    calls ``on_change(paths)`` after each burst of changes, from its own thread."""

    def __init__(self, source_dir, files, on_change: Callable[[list[str]], None]):
        from pathlib import Path

        self.source_dir = Path(source_dir).resolve()
        self.files = {Path(f).resolve() for f in files if f}
        self.on_change = on_change
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        import watchfiles

        class _Filter(watchfiles.DefaultFilter):
            ignore_dirs = (*watchfiles.DefaultFilter.ignore_dirs, ".lambdactl")

        src_filter = _Filter()
        self._threads.append(threading.Thread(
            target=self._run, args=([self.source_dir], True, src_filter), daemon=True, name="serve-watch-src"))
        outside = sorted({f.parent for f in self.files if not f.is_relative_to(self.source_dir)})
        if outside:
            wanted = {str(f) for f in self.files}
            self._threads.append(threading.Thread(
                target=self._run, args=(outside, False, lambda change, path: path in wanted), daemon=True,
                name="serve-watch-files"))
        for t in self._threads:
            t.start()

    def _run(self, paths, recursive: bool, watch_filter) -> None:
        import watchfiles

        try:
            for changes in watchfiles.watch(*paths, watch_filter=watch_filter, recursive=recursive, step=30,
                                            stop_event=self._stop, rust_timeout=500, yield_on_timeout=False,
                                            raise_interrupt=False):
                if self._stop.is_set():
                    return
                if changes:
                    self.on_change(sorted({p for _, p in changes}))
        except Exception as exc:  # noqa: BLE001 - a watcher failure must not take the server down
            self.on_change_failed(exc)

    def on_change_failed(self, exc: Exception) -> None:  # replaced by the CLI to print a warning
        pass

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=2)
