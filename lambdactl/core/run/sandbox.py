"""The lambdactl sandbox: moto's server with a WSGI layer that runs Python handlers for real.

Requests go to moto (Lambda, IAM, S3, SQS, SNS, EventBridge, CloudWatch Logs, STS, ...), except
Lambda's Invoke route (``POST /2015-03-31/functions/<fn>/invocations``), which this layer answers
itself: it unpacks the function's deployed zip (once per code sha, cached), runs the handler with
the local runner (a warm worker process per function version, reused like Lambda's execution
environments), and writes START / log lines / END / REPORT into the emulator's CloudWatch Logs
group, so ``lambdactl logs`` and ``stats`` work. Needs the ``sandbox`` extra (moto[server]).

The sandbox executes the code deployed to it, so it answers only AWS clients on this machine: it
listens on 127.0.0.1, and refuses (403) any request that carries an ``Origin`` header or a
browser's ``Sec-Fetch-Site`` (AWS SDKs and CLIs send neither: a web page's requests do), any
request whose ``Host`` is not ``127.0.0.1``/``localhost``/``[::1]`` on its port (DNS rebinding),
and moto's admin API (``/moto-api/``: reset, config, recorder). It sends no CORS headers. What the
sandbox itself needs from moto (configuration) it sets in-process.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import sys
import threading
import time
import uuid
import zipfile
import zlib
import io
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from lambdactl.files import private_dir
from lambdactl.errors import UsageError

INVOKE_RE = re.compile(r"^/(?P<api>[^/]+)/functions/(?P<fn>[^/]+)/invocations/?$")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
MAX_UNZIPPED = 262_144_000          # Lambda's limit for a function's code, unzipped (250 MB)
MAX_ZIP_ENTRIES = 100_000
_CRED_RE = re.compile(r"Credential=([^/]+)/\d{8}/([a-z0-9-]+)/")
SERVICES = ("lambda", "iam", "s3", "sqs", "sns", "events", "logs", "sts", "cloudwatch", "dynamodb",
            "kinesis")


def require_moto() -> None:
    # No CORS headers from moto's apps (read when moto's settings are first imported; the WSGI
    # layer also strips them, for a process that imported moto earlier).
    os.environ.setdefault("MOTO_DISABLE_GLOBAL_CORS", "true")
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

        from lambdactl.core.build.deps import default_cache_dir

        self.moto = DomainDispatcherApplication(create_backend_app)
        self.cache = Path(cache_dir or default_cache_dir()) / "sandbox-code"
        private_dir(self.cache)                   # the code of every function deployed to it
        self._lock = threading.Lock()
        self._pools: dict[tuple, list] = {}        # environment key -> idle workers
        self._inflight: dict[str, int] = {}
        self.endpoint: str | None = None
        self.port: int | None = None               # set by SandboxServer: the Host check's port

    # -- WSGI ------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        refusal = self.refusal(environ)
        if refusal is not None:
            return _forbidden(environ, start_response, refusal)
        return self._route(environ, _without_cors(start_response))

    def refusal(self, environ) -> str | None:
        """Why a request is refused (it does not come from an AWS client on this machine), or None."""
        path = environ.get("PATH_INFO", "")
        if path.lstrip("/").startswith("moto-api"):
            return ("moto's admin API (/moto-api/) is not served by the lambdactl sandbox "
                    "(use 'lambdactl sandbox stop' and start again for a fresh state)")
        if environ.get("HTTP_ORIGIN") is not None:
            return (f"refused a request with an Origin header ({environ['HTTP_ORIGIN'][:100]}): web pages may "
                    "not use the sandbox; AWS SDKs and CLIs send no Origin")
        site = environ.get("HTTP_SEC_FETCH_SITE")
        if site is not None and site.lower() != "none":
            return f"refused a request a web browser sent for a page (Sec-Fetch-Site: {site[:40]})"
        host = environ.get("HTTP_HOST")
        if host is not None and not self._host_allowed(host):
            port = self.port or "its port"
            return (f"refused a request for Host {host[:100]!r}: the sandbox answers only "
                    f"127.0.0.1, localhost or [::1] on port {port}")
        return None

    def _host_allowed(self, host: str) -> bool:
        host = host.strip().lower()
        if host.startswith("["):
            name, _, rest = host.partition("]")
            name += "]"
            port = rest[1:] if rest.startswith(":") else ("" if not rest else None)
        else:
            name, _, port = host.partition(":")
        if name not in LOOPBACK_NAMES or port is None:
            return False
        if self.port is None:
            return True
        return port == str(self.port) or (port == "" and self.port == 80)

    def _route(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "GET" and path.startswith("/_lambdactl/code/"):
            return self._serve_code(path, start_response)
        if environ.get("REQUEST_METHOD") == "POST":
            m = INVOKE_RE.match(path)
            if m and m.group("api") == "2015-03-31":
                try:
                    handled = self._invoke(environ, unquote(m.group("fn")))
                except InvalidZip as exc:         # as Lambda: 502 InvalidZipFileException
                    body = json.dumps({"Type": "User", "message": str(exc)}).encode()
                    handled = (502, {"Content-Type": "application/json",
                                     "x-amzn-ErrorType": "InvalidZipFileException"}, body)
                except Exception as exc:  # never take the server down
                    body = json.dumps({"Type": "Service", "Message": f"sandbox error: {exc}"}).encode()
                    handled = (500, {"Content-Type": "application/json",
                                     "x-amzn-ErrorType": "ServiceException"}, body)
                if handled is not None:
                    status, headers, body = handled
                    reason = {200: "OK", 202: "Accepted", 204: "No Content", 400: "Bad Request", 404: "Not Found",
                              429: "Too Many Requests", 500: "Internal Server Error",
                              502: "Bad Gateway"}.get(status, "OK")
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

        from lambdactl.core.model.naming import parse_function_ref, short_name

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
        """The function's code, unpacked once per sha into the private cache (0700 dirs, 0600
        files, 0700 for files the zip marks executable); bounded by Lambda's unzipped limit."""
        data = fn.code_bytes or b""
        key = hashlib.sha256(data).hexdigest()[:32]
        d = self.cache / key
        if not d.exists():
            tmp = self.cache / f".{key}.{uuid.uuid4().hex}"
            tmp.mkdir(mode=0o700)
            try:
                _unpack(data, tmp)
                tmp.rename(d)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                if d.exists():                  # unpacked concurrently by another invocation
                    return d
                raise
        return d

    def _run(self, fn, version: str, payload: bytes, request_id: str, reserved):
        from lambdactl.core.run import sandbox_runner
        from lambdactl.core.run.local_runner import Worker

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


class InvalidZip(Exception):
    """The deployment package cannot be unpacked (too big, too many entries, not a zip)."""


def _unpack(data: bytes, dest: Path) -> None:
    """Extract a deployment package into ``dest`` (a fresh private directory): Lambda's unzipped
    size limit checked on the declared sizes before anything is written, and again while
    writing (a lying header cannot make it write more); only regular files and directories,
    never outside ``dest``."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise InvalidZip(f"Lambda could not unzip the deployment package: {exc}") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise InvalidZip(f"the deployment package has {len(infos)} entries (the sandbox unpacks at most "
                             f"{MAX_ZIP_ENTRIES})")
        declared = sum(i.file_size for i in infos)
        if declared > MAX_UNZIPPED:
            raise InvalidZip(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes "
                             f"(the deployment package declares {declared})")
        root = dest.resolve()
        written = 0
        for info in infos:
            target = (dest / info.filename).resolve()
            if target != root and root not in target.parents:
                raise InvalidZip(f"the deployment package has an entry outside its root: {info.filename!r}")
            if info.is_dir():
                private_dir(target)
                continue
            private_dir(target.parent)
            unix_mode = (info.external_attr >> 16) & 0o170000
            if unix_mode and unix_mode != 0o100000:      # a symlink or device entry: Lambda would not run it
                continue
            mode = 0o700 if (info.external_attr >> 16) & 0o100 else 0o600
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), mode)
            try:
                with zf.open(info) as src, os.fdopen(fd, "wb") as out:
                    fd = -1
                    while True:
                        chunk = src.read(1 << 20)
                        if not chunk:
                            break
                        written += len(chunk)
                        if written > MAX_UNZIPPED:
                            raise InvalidZip(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes")
                        out.write(chunk)
            except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
                raise InvalidZip(f"Lambda could not unzip the deployment package: {exc}") from None
            finally:
                if fd != -1:
                    os.close(fd)
            os.chmod(target, mode)


def _forbidden(environ, start_response, message: str):
    """403 for a refused request, shaped like the AWS error of the request's protocol so SDKs and
    CLIs show the message (XML for S3 and the query APIs, JSON otherwise)."""
    from xml.sax.saxutils import escape

    text = f"lambdactl sandbox: {message}"
    request_id = str(uuid.uuid4())
    scope = re.search(r"Credential=[^/]+/\d{8}/[^/]+/([a-z0-9-]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    service = scope.group(1) if scope else ""
    if service == "s3":
        ctype = "application/xml"
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>{escape(text)}"
                f"</Message><RequestId>{request_id}</RequestId></Error>").encode()
    elif (environ.get("CONTENT_TYPE") or "").startswith("application/x-www-form-urlencoded"):
        ctype = "text/xml"
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{escape(text)}"
                f"</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>").encode()
    else:
        ctype = "application/json"
        body = json.dumps({"__type": "AccessDeniedException", "message": text, "Message": text}).encode()
    try:
        sys.stderr.write(f"sandbox: {message} ({environ.get('REQUEST_METHOD')} "
                         f"{environ.get('PATH_INFO', '')[:200]})\n")
    except Exception:  # pragma: no cover - a closed stderr must not break the answer
        pass
    start_response("403 Forbidden", [("Content-Type", ctype), ("Content-Length", str(len(body))),
                                     ("x-amzn-ErrorType", "AccessDeniedException"),
                                     ("x-amzn-RequestId", request_id)])
    return [body]


def _without_cors(start_response):
    """A start_response that drops CORS headers: no web page may read the sandbox's answers."""
    def strip(status, headers, exc_info=None):
        headers = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
        return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)
    return strip


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
        self.app.port = self.port
        from lambdactl.core.run import motofixes

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
        from lambdactl.core.run import motofixes

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
    from lambdactl.core.run import motofixes

    motofixes.apply()
    try:
        from moto.core.config import default_user_config

        default_user_config["lambda"]["use_docker"] = False
    except Exception:  # pragma: no cover
        pass


def env_exports(endpoint: str, region: str = "us-east-1") -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": region, "AWS_DEFAULT_REGION": region}
