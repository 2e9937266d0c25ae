"""The lambdactl sandbox: moto's server with a WSGI layer that runs Python handlers for real.

Requests go to moto (Lambda, IAM, S3, SQS, SNS, EventBridge, CloudWatch Logs, STS, ...), except
Lambda's Invoke route (``POST /2015-03-31/functions/<fn>/invocations``), which this layer answers
itself: it unpacks the function's deployed zip (once per code sha, cached), runs the handler with
the local runner (a warm worker process per function version, reused like Lambda's execution
environments), and writes START / log lines / END / REPORT into the emulator's CloudWatch Logs
group, so ``lambdactl logs`` and ``stats`` work. Needs the ``sandbox`` extra (moto[server]).
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import threading
import time
import uuid
import zipfile
import io
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from lambdactl.errors import UsageError

INVOKE_RE = re.compile(r"^/(?P<api>[^/]+)/functions/(?P<fn>[^/]+)/invocations/?$")
_CRED_RE = re.compile(r"Credential=([^/]+)/\d{8}/([a-z0-9-]+)/")
SERVICES = ("lambda", "iam", "s3", "sqs", "sns", "events", "logs", "sts", "cloudwatch", "dynamodb",
            "kinesis")


def require_moto() -> None:
    try:
        import moto.server  # noqa: F401
        import flask  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise UsageError(f"the sandbox needs moto's server ({exc.name} is not installed)",
                         hint="pip install 'lambdactl[sandbox]'")


class SandboxApp:
    """WSGI app: intercepts Invoke, passes everything else to moto."""

    def __init__(self, cache_dir: Path | None = None):
        require_moto()
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        from lambdactl.core.deps import default_cache_dir

        self.moto = DomainDispatcherApplication(create_backend_app)
        self.cache = Path(cache_dir or default_cache_dir()) / "sandbox-code"
        self.cache.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._pools: dict[tuple, list] = {}        # environment key -> idle workers
        self._inflight: dict[str, int] = {}
        self.endpoint: str | None = None

    # -- WSGI ------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "GET" and path.startswith("/_lambdactl/code/"):
            return self._serve_code(path, start_response)
        if environ.get("REQUEST_METHOD") == "POST":
            m = INVOKE_RE.match(path)
            if m and m.group("api") == "2015-03-31":
                try:
                    handled = self._invoke(environ, unquote(m.group("fn")))
                except Exception as exc:  # never take the server down
                    body = json.dumps({"Type": "Service", "Message": f"sandbox error: {exc}"}).encode()
                    handled = (500, {"Content-Type": "application/json",
                                     "x-amzn-ErrorType": "ServiceException"}, body)
                if handled is not None:
                    status, headers, body = handled
                    reason = {200: "OK", 202: "Accepted", 204: "No Content", 400: "Bad Request", 404: "Not Found",
                              429: "Too Many Requests", 500: "Internal Server Error"}.get(status, "OK")
                    headers = {**headers, "Content-Length": str(len(body)),
                               "x-amzn-RequestId": headers.get("x-amzn-RequestId", str(uuid.uuid4()))}
                    start_response(f"{status} {reason}", list(headers.items()))
                    return [body]
        return self.moto(environ, start_response)

    def _serve_code(self, path: str, start_response):
        """GetFunction's Code.Location: the deployed zip (AWS serves it from pre-signed S3)."""
        parts = [unquote(p) for p in path.split("/")[3:]]
        data = None
        if len(parts) == 4:
            account, region, name, version = parts
            try:
                backend = _lambda_backend(account, region)
                fn = backend.get_function(name) if version in ("$LATEST", "") else backend.get_function(name, version)
                data = fn.code_bytes or None
            except Exception:
                data = None
        if data is None:
            start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
            return [b"not found"]
        start_response("200 OK", [("Content-Type", "application/zip"), ("Content-Length", str(len(data)))])
        return [data]

    # -- invoke ----------------------------------------------------------------------------
    def _invoke(self, environ, fn_ref: str):
        from moto.iam.models import get_account_id_from

        from lambdactl.core.naming import parse_function_ref, short_name

        auth = environ.get("HTTP_AUTHORIZATION", "")
        cm = _CRED_RE.search(auth)
        access_key, region = (cm.group(1), cm.group(2)) if cm else ("test", "us-east-1")
        account = get_account_id_from(access_key)
        backend = _lambda_backend(account, region)
        qs = parse_qs(environ.get("QUERY_STRING", ""))
        qualifier = (qs.get("Qualifier") or [None])[0]
        try:
            base, ref_qualifier = parse_function_ref(fn_ref)
        except UsageError:
            return None  # let moto answer a malformed name
        name = short_name(base)
        qualifier = qualifier or ref_qualifier
        try:
            latest = backend.get_function(name)
        except Exception:
            return None  # let moto produce its ResourceNotFound response
        version = "$LATEST"
        fn = latest
        if qualifier and qualifier != "$LATEST":
            version, fn = self._resolve_qualifier(backend, name, qualifier)
            if fn is None:
                body = json.dumps({"Type": "User", "Message": f"Function not found: {latest.function_arn}:{qualifier}"}).encode()
                return (404, {"Content-Type": "application/json",
                              "x-amzn-ErrorType": "ResourceNotFoundException"}, body)
        if not (fn.run_time or "").startswith("python"):
            return None  # not a Python runtime: fall back to moto's behaviour
        invocation_type = environ.get("HTTP_X_AMZ_INVOCATION_TYPE", "RequestResponse")
        log_type = environ.get("HTTP_X_AMZ_LOG_TYPE", "None")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        payload = environ["wsgi.input"].read(length) if length else b""
        if payload.strip():
            try:
                json.loads(payload)
            except (ValueError, RecursionError) as exc:   # as Lambda: rejected before anything runs
                body = json.dumps({"Type": "User", "message": f"Could not parse request body into json: {exc}"}).encode()
                return (400, {"Content-Type": "application/json",
                              "x-amzn-ErrorType": "InvalidRequestContentException"}, body)
        if invocation_type == "DryRun":
            return (204, {"Content-Type": "application/json"}, b"")
        reserved = latest.reserved_concurrency
        if reserved is not None and str(reserved) != "" and int(reserved) == 0:
            return _throttled("Rate Exceeded. (reserved concurrency is 0)")
        request_id = str(uuid.uuid4())
        if invocation_type == "Event":
            threading.Thread(target=self._run_safely, args=(fn, version, payload, request_id, reserved),
                             daemon=True).start()
            return (202, {"Content-Type": "application/json", "x-amzn-RequestId": request_id}, b"")
        result = self._run(fn, version, payload, request_id, reserved)
        if result is None:
            return _throttled("Rate Exceeded.")
        headers = {"Content-Type": "application/json", "X-Amz-Executed-Version": str(version),
                   "x-amzn-RequestId": request_id}
        if result.function_error:
            headers["X-Amz-Function-Error"] = result.function_error
        if log_type == "Tail":
            headers["X-Amz-Log-Result"] = result.log_tail_b64()
        return (200, headers, result.payload)

    def _resolve_qualifier(self, backend, name: str, qualifier: str):
        if qualifier.isdigit():
            try:
                return qualifier, backend.get_function(name, qualifier)
            except Exception:
                return qualifier, None
        try:
            alias = backend.get_alias(qualifier, name)
        except Exception:
            return qualifier, None
        version = str(alias.function_version)
        weights = ((alias.routing_config or {}).get("AdditionalVersionWeights") or {}) if isinstance(alias.routing_config, dict) else {}
        r = random.random()
        for v, w in weights.items():
            if r < float(w):
                version = str(v)
                break
            r -= float(w)
        try:
            return version, backend.get_function(name, version) if version != "$LATEST" else backend.get_function(name)
        except Exception:
            return version, None

    def _run_safely(self, *args) -> None:
        try:
            self._run(*args)
        except Exception:  # pragma: no cover - background
            pass

    def _code_dir(self, fn) -> Path:
        data = fn.code_bytes or b""
        key = hashlib.sha256(data).hexdigest()[:32]
        d = self.cache / key
        if not d.exists():
            tmp = self.cache / f".{key}.{uuid.uuid4().hex}"
            tmp.mkdir(parents=True)
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                zf.extractall(tmp)
            try:
                tmp.rename(d)
            except OSError:
                shutil.rmtree(tmp, ignore_errors=True)
        return d

    def _run(self, fn, version: str, payload: bytes, request_id: str, reserved):
        from lambdactl.core import sandbox_runner
        from lambdactl.core.local_runner import Worker

        arn = fn.function_arn
        with self._lock:
            inflight = self._inflight.get(arn, 0)
            if reserved not in (None, "") and inflight >= int(reserved):
                return None
            self._inflight[arn] = inflight + 1
        try:
            code_dir = self._code_dir(fn)
            spec = sandbox_runner.spec_for(fn, version, code_dir, self.endpoint)
            # A new function or a config/code update means a new execution environment, as on Lambda.
            key = (arn, version, spec.fingerprint(), getattr(fn, "last_modified", ""))
            with self._lock:
                idle = self._pools.setdefault(key, [])
                worker = idle.pop() if idle else None
            if worker is None:
                worker = Worker(spec)
            try:
                result = worker.invoke(payload, request_id)
            finally:
                with self._lock:
                    if worker.alive:
                        idle.append(worker)
                    else:
                        worker.close()
            _write_logs(fn, version, worker.log_stream, result.log_lines)
            return result
        finally:
            with self._lock:
                self._inflight[arn] -= 1

    def close(self) -> None:
        with self._lock:
            pools, self._pools = self._pools, {}
        for idle in pools.values():
            for w in idle:
                w.close()


def _lambda_backend(account: str, region: str):
    """The Lambda backend moto's server uses (the Docker-less one once use_docker is off)."""
    from moto.core.config import default_user_config

    if default_user_config.get("lambda", {}).get("use_docker") is False:
        from moto.awslambda_simple.models import lambda_simple_backends as backends
    else:
        from moto.awslambda.models import lambda_backends as backends
    return backends[account][region]


def _throttled(message: str):
    body = json.dumps({"Type": "User", "message": message, "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}).encode()
    return (429, {"Content-Type": "application/json", "x-amzn-ErrorType": "TooManyRequestsException"}, body)


def _write_logs(fn, version: str, stream: str, lines: list[tuple[int, str]]) -> None:
    """Write (timestamp_ms, message) lines to the emulator's CloudWatch Logs."""
    if not lines:
        return
    backend = fn.logs_backend
    group = fn.logs_group_name
    try:
        if group not in backend.groups:
            backend.create_log_group(group, {})
    except Exception:
        pass
    try:
        backend.create_log_stream(group, stream)
    except Exception:
        pass  # exists
    events = [{"timestamp": ts, "message": msg} for ts, msg in lines]
    try:
        backend.put_log_events(group, stream, events)
    except Exception:
        pass


# -- serving ------------------------------------------------------------------------------

class SandboxServer:
    """A threaded HTTP server for :class:`SandboxApp` on 127.0.0.1."""

    def __init__(self, port: int = 4566, host: str = "127.0.0.1", cache_dir: Path | None = None):
        require_moto()
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import make_server

        import logging

        if not os.environ.get("LAMBDACTL_SANDBOX_ACCESS_LOG"):
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
        _check_bindable(host, port)   # werkzeug prints its own message and sys.exit(1)s on a bind error
        self.app = SandboxApp(cache_dir)
        try:
            self._server = make_server(host, port, self.app, threaded=True,
                                       request_handler=MotoRequestHandler)
        except (OSError, SystemExit) as exc:
            raise UsageError(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or 'address unavailable'}",
                             hint="choose another --port (0 picks a free one), or stop what uses it")
        self.host = host
        self.port = self._server.server_port
        self.endpoint = f"http://{host}:{self.port}"
        self.app.endpoint = self.endpoint
        from lambdactl.core import motofixes

        motofixes.CODE_BASE_URL = self.endpoint
        self._thread: threading.Thread | None = None
        _configure_moto()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def start(self) -> "SandboxServer":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        from lambdactl.core import motofixes

        if motofixes.CODE_BASE_URL == self.endpoint:
            motofixes.CODE_BASE_URL = None
        self._server.shutdown()
        self._server.server_close()
        self.app.close()


def _check_bindable(host: str, port: int) -> None:
    """A clean UsageError when host:port cannot be listened on (e.g. already in use)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as the HTTP server itself does
        try:
            s.bind((host, port))
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}",
                             hint="choose another --port (0 picks a free one), or stop what uses it") from None


def _configure_moto() -> None:
    """Docker-less Lambda in moto (for the routes we don't intercept), plus fidelity fixes."""
    from lambdactl.core import motofixes

    motofixes.apply()
    try:
        from moto.core.config import default_user_config

        default_user_config["lambda"]["use_docker"] = False
    except Exception:  # pragma: no cover
        pass


def env_exports(endpoint: str, region: str = "us-east-1") -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": region, "AWS_DEFAULT_REGION": region}
