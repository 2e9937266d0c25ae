"""A fault-injecting HTTP proxy for tests: sits on 127.0.0.1 in front of the moto server.

For a chosen fraction of requests it answers with a fault instead of forwarding:
- ``throttle``: 429 TooManyRequestsException (Lambda) / 400 ThrottlingException (JSON services),
- ``conflict``: 409 ResourceConflictException (Lambda only: "An update is in progress"),
- ``error500``: 500 InternalFailure,
- ``drop``: the connection is closed without any response.
Faults are injected before the request reaches the server, so a faulted request never changes
state (like a throttled or rejected AWS call). Counts are kept per fault kind, and every request
is recorded in ``requests`` as ``(method, path, service, target, kind)`` (kind None = forwarded).
"""
from __future__ import annotations

import http.client
import json
import random
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that hangs up mid-request (a retry giving up) is not a test failure; the
        default handler prints a traceback into the test's captured stderr."""
from urllib.parse import urlparse

KINDS = ("throttle", "conflict", "error500", "drop")


class FaultProxy:
    def __init__(self, upstream: str, fraction: float = 0.3, seed: int = 7,
                 kinds: tuple[str, ...] = KINDS, only=None, delay: float = 0.0):
        u = urlparse(upstream)
        self.up_host, self.up_port = u.hostname, u.port
        self.fraction = fraction
        self.kinds = kinds
        self.only = only            # optional predicate(method, path) -> bool: which requests may fault
        self.delay = delay          # seconds added to every forwarded request (to make work slow)
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.counts = {k: 0 for k in KINDS} | {"forwarded": 0}
        self.requests: list[tuple[str, str, str, str, str | None]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):  # quiet
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                target = self.headers.get("X-Amz-Target", "")
                auth = self.headers.get("Authorization", "")
                service = auth.split("/")[3] if auth.count("/") >= 4 else ""
                eligible = proxy.only is None or proxy.only(self.command, self.path)
                kind = proxy._pick(service, self.command) if eligible else None
                with proxy.lock:
                    proxy.requests.append((self.command, self.path, service, target, kind))
                if kind == "drop":
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                if kind is not None:
                    status, headers, payload = proxy._fault(kind, service, target)
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if proxy.delay:
                    import time
                    time.sleep(proxy.delay)
                conn = http.client.HTTPConnection(proxy.up_host, proxy.up_port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()
                with proxy.lock:
                    proxy.counts["forwarded"] += 1

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _pick(self, service: str, method: str = "GET") -> str | None:
        with self.lock:
            if self.rng.random() >= self.fraction:
                return None
            # AWS returns ResourceConflict only for Lambda changes, never for reads.
            conflict_ok = service == "lambda" and method in ("POST", "PUT", "DELETE")
            kinds = [k for k in self.kinds if k != "conflict" or conflict_ok] or ["error500"]
            kind = self.rng.choice(kinds)
            self.counts[kind] += 1
            return kind

    @staticmethod
    def _fault(kind: str, service: str, target: str):
        if kind == "throttle":
            if service == "lambda":
                body = json.dumps({"Type": "User", "message": "Rate exceeded"}).encode()
                return 429, {"x-amzn-ErrorType": "TooManyRequestsException", "Content-Type": "application/json"}, body
            if target:  # JSON 1.1 protocols (events, logs, ...)
                body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
                return 400, {"Content-Type": "application/x-amz-json-1.1"}, body
            body = (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                    b"<Message>Rate exceeded</Message></Error><RequestId>x</RequestId></ErrorResponse>")
            if service == "s3":
                body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
                return 503, {"Content-Type": "application/xml"}, body
            return 400, {"Content-Type": "text/xml"}, body
        if kind == "conflict":
            body = json.dumps({"Type": "User", "message": "The operation cannot be performed at this time. "
                               "An update is in progress for resource"}).encode()
            return 409, {"x-amzn-ErrorType": "ResourceConflictException", "Content-Type": "application/json"}, body
        body = b'{"message": "Internal failure (injected)"}'
        return 500, {"Content-Type": "application/json", "x-amzn-ErrorType": "ServiceException"}, body

    def start(self) -> "FaultProxy":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
