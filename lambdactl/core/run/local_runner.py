"""Run a Python Lambda handler locally — no Docker — in a warm, reusable worker process.

A reusable library (``invoke --local``, ``invoke --local --batch`` and the sandbox use it):

    spec = FunctionSpec(code_dir="src", handler="app.handler", function_name="orders",
                        memory_mb=256, timeout_s=3, environment={"STAGE": "dev"})
    with Worker(spec) as w:
        r = w.invoke(b'{"id": 1}')          # cold: spawns the process, Init Duration measured
        r = w.invoke(b'{"id": 2}')          # warm: same process
    r.payload, r.function_error, r.logs, r.report, r.cold, r.timed_out, r.init_duration_ms
    r.log_lines          # [(epoch_ms, line)] for CloudWatch Logs;  r.log_tail_b64()  # for LogType=Tail
    w.log_stream         # 2026/11/23/[$LATEST]<hex>, new for each fresh process
    spec.fingerprint()   # key for pools of warm workers

    pool = WorkerPool(spec, max_workers=8)  # N execution environments, idle ones reused (warm)
    pool.invoke(payload) ... pool.close()

    spec_from_project(project_config, environment={...})   # what ``invoke --local`` runs

Workers are thread-safe (one invocation at a time); ``close()`` from another thread kills a running
invocation at once (it returns ``Runtime.ExitError``).

How it works: the worker (:mod:`lambdactl.core.run._worker`, stdlib only) is started with
``python -u _worker.py IN_FD OUT_FD`` in its own process group, with the function's code directory as
cwd and first on ``sys.path`` (then the vendored dependency directories), a Lambda-like environment,
and stdout/stderr going to a per-worker log file that the parent reads after each invocation. Requests
and results travel as length-prefixed JSON frames on two dedicated pipes, so the handler may print
freely. A handler past its timeout is killed (the whole process group) and the next invocation starts a
fresh worker (a cold start), like Lambda.
"""
from __future__ import annotations

import base64
import datetime as _dt
import json
import math
import os
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambdactl.core.observe.reportline import Report, format_report_line
from lambdactl.errors import OperationError

WORKER_SCRIPT = str(Path(__file__).with_name("_worker.py"))
INIT_TIMEOUT_S = 10.0            # Lambda's on-demand init phase limit
DEFAULT_ACCOUNT = "123456789012"
LOG_TAIL_BYTES = 4096

# Variables passed through from the caller's environment (credentials, so handlers can call AWS).
PASSTHROUGH_ENV = ("PATH", "HOME", "TMPDIR", "SYSTEMROOT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                   "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
                   "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")

# Candidate directories (relative to the project root) holding vendored dependencies.
DEPS_DIR_CANDIDATES = (".lambdactl/build/deps", ".lambdactl/deps", ".lambdactl/build/python",
                       ".lambdactl/build", "build/deps", "package")


class RunnerError(OperationError):
    """The local runner itself could not start (bad code dir, no python): exit 1."""


@dataclass
class FunctionSpec:
    """Everything a worker needs to behave like one Lambda function version."""
    code_dir: str | os.PathLike
    handler: str
    function_name: str = "local"
    memory_mb: int = 128
    timeout_s: float = 3
    environment: dict[str, str] = field(default_factory=dict)
    extra_paths: list[str] = field(default_factory=list)     # vendored deps / layers, after code_dir
    version: str = "$LATEST"
    region: str = "us-east-1"
    account_id: str = DEFAULT_ACCOUNT
    runtime: str | None = None
    python: str = sys.executable
    invoked_arn: str | None = None
    inherit_env: bool = False          # True: the caller's whole environment (not just credentials)
    # Set (the sandbox): the handler's only AWS settings — endpoint and test credentials; nothing
    # AWS_* of the caller (keys, session token, profile, config files) reaches it.
    aws_environment: dict[str, str] | None = None

    @property
    def function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    def new_log_stream_name(self) -> str:
        day = _dt.datetime.now(_dt.timezone.utc).strftime("%Y/%m/%d")
        return f"{day}/[{self.version}]{uuid.uuid4().hex}"

    def fingerprint(self) -> str:
        """A stable hash of everything that shapes the execution environment (to key warm pools)."""
        import hashlib

        doc = {"code_dir": str(Path(self.code_dir).resolve()), "handler": self.handler, "name": self.function_name,
               "memory": self.memory_mb, "timeout": float(self.timeout_s), "env": sorted(self.environment.items()),
               "paths": [str(p) for p in self.extra_paths], "version": self.version, "region": self.region,
               "account": self.account_id, "runtime": self.runtime, "python": self.python,
               "arn": self.invoked_arn, "inherit": self.inherit_env,
               "aws_env": sorted((self.aws_environment or {}).items()) if self.aws_environment is not None else None}
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:32]

    def runtime_environment(self, log_stream_name: str) -> dict[str, str]:
        """The process environment: passthrough, the function's variables, Lambda's reserved ones."""
        env: dict[str, str] = dict(os.environ) if self.inherit_env else {
            k: os.environ[k] for k in PASSTHROUGH_ENV if k in os.environ}
        if self.aws_environment is not None:
            env = {k: v for k, v in env.items() if not k.startswith("AWS_")}
        env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
        env.update({str(k): str(v) for k, v in (self.environment or {}).items()})
        if self.aws_environment is not None:
            # No shared config/credentials files, no instance metadata: only what is given here.
            env.update({"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                        "AWS_EC2_METADATA_DISABLED": "true"})
            env.pop("AWS_PROFILE", None)
            env.pop("AWS_SESSION_TOKEN", None)
            env.update(self.aws_environment)
        code_dir = str(Path(self.code_dir).resolve())
        runtime = self.runtime or f"python{sys.version_info.major}.{sys.version_info.minor}"
        env.update({
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": self.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": self.log_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream_name,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
            "LAMBDA_TASK_ROOT": code_dir,
            "LAMBDA_RUNTIME_DIR": str(Path(WORKER_SCRIPT).parent),
            "_HANDLER": self.handler,
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        return env


@dataclass
class InvocationResult:
    request_id: str
    payload: bytes                      # the response body (the error shape on errors)
    function_error: str | None          # "Unhandled" on errors (as X-Amz-Function-Error), else None
    logs: str                           # START … END / REPORT, as Lambda writes them
    output: str                         # only what the handler (and init) printed
    report: Report
    duration_ms: float                  # handler duration (as in the REPORT line)
    init_duration_ms: float | None      # set on a cold start
    cold: bool
    timed_out: bool
    max_memory_used_mb: int
    version: str = "$LATEST"
    error: dict | None = None           # the parsed error shape, when function_error is set
    wall_ms: float = 0.0                # end to end in the parent (spawn + init on a cold start)
    started_ms: int = 0                 # epoch ms when the invocation started (after init)
    ended_ms: int = 0                   # epoch ms when the result was back

    @property
    def log_lines(self) -> list[tuple[int, str]]:
        """``(timestamp_ms, message)`` per log line, for CloudWatch Logs: START at the start time,
        the rest at the end time (the runner does not timestamp each line)."""
        out = []
        for line in self.logs.splitlines():
            ts = self.started_ms if line.startswith("START RequestId:") else self.ended_ms
            out.append((ts or self.ended_ms, line))
        return out

    def log_tail_b64(self, limit: int = LOG_TAIL_BYTES) -> str:
        """The last ``limit`` bytes of the logs, base64 — what ``LogType=Tail`` returns."""
        return base64.b64encode(self.logs.encode("utf-8")[-limit:]).decode("ascii")

    def to_dict(self) -> dict:
        return {"request_id": self.request_id, "function_error": self.function_error,
                "payload": self.payload.decode("utf-8", "replace"), "logs": self.logs,
                "report": self.report.to_dict(), "duration_ms": round(self.duration_ms, 3),
                "init_duration_ms": None if self.init_duration_ms is None else round(self.init_duration_ms, 3),
                "cold": self.cold, "timed_out": self.timed_out, "max_memory_used_mb": self.max_memory_used_mb}


class _ChildGone(Exception):
    pass


def _utc_stamp() -> str:
    now = _dt.datetime.now(_dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _vm_hwm_kb(pid: int) -> int | None:
    """Peak RSS (VmHWM) of a live process, from /proc; None when unavailable."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


class Worker:
    """One execution environment: a persistent child process for one function's code + config.

    Thread-safe (one invocation at a time, like a Lambda execution environment). The process starts
    on the first :meth:`invoke` (or :meth:`start`); after a timeout, a crash or an init error it is
    gone and the next invoke starts a fresh one (cold).
    """

    def __init__(self, spec: FunctionSpec):
        self.spec = spec
        self._lock = threading.RLock()
        self._proc: subprocess.Popen | None = None
        self._to_child: int | None = None
        self._from_child: int | None = None
        self._log = None
        self._log_pos = 0
        self._pending_init: dict | None = None     # set between spawn and the first invoke
        self._max_rss_kb = 0
        self.log_stream = spec.new_log_stream_name()     # new for each fresh process
        self.closed = False

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        """Start the process and run the init phase now (pre-warm). Init errors surface at invoke."""
        with self._lock:
            if self.closed:
                raise RunnerError("worker is closed")
            if self._proc is None:
                self._spawn()

    def _spawn(self) -> None:
        spec = self.spec
        code_dir = Path(spec.code_dir).resolve()
        if not code_dir.is_dir():
            raise RunnerError(f"code directory not found: {code_dir}")
        self.log_stream = spec.new_log_stream_name()
        self._log = tempfile.TemporaryFile(mode="a+b", prefix="lambdactl-worker-")
        self._log_pos = 0
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        t0 = time.perf_counter()
        try:
            self._proc = subprocess.Popen(
                [spec.python, "-u", WORKER_SCRIPT, str(to_child_r), str(from_child_w)],
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log, cwd=str(code_dir),
                env=spec.runtime_environment(self.log_stream), pass_fds=(to_child_r, from_child_w),
                start_new_session=True, close_fds=True)
        except OSError as exc:
            for fd in (to_child_r, to_child_w, from_child_r, from_child_w):
                os.close(fd)
            raise RunnerError(f"cannot start {spec.python}: {exc.strerror or exc}") from exc
        os.close(to_child_r)
        os.close(from_child_w)
        self._to_child, self._from_child = to_child_w, from_child_r
        self._max_rss_kb = 0
        paths = [str(code_dir)] + [str(Path(p).resolve()) for p in spec.extra_paths]
        init = {"type": "init", "handler": spec.handler, "paths": paths, "cwd": str(code_dir),
                "function": {"function_name": spec.function_name, "function_version": spec.version,
                             "invoked_function_arn": spec.invoked_arn or spec.function_arn,
                             "memory_limit_in_mb": spec.memory_mb, "log_group_name": spec.log_group_name,
                             "log_stream_name": self.log_stream}}
        try:
            self._send(init)
            header, _ = self._recv(time.monotonic() + max(INIT_TIMEOUT_S, float(spec.timeout_s)))
        except _ChildGone:
            header = None
        except TimeoutError:
            header = {"type": "init_error", "error": {
                "errorMessage": f"Init phase exceeded {max(INIT_TIMEOUT_S, float(spec.timeout_s)):.0f} seconds",
                "errorType": "Runtime.InitTimeout", "stackTrace": []}}
        init_ms = (time.perf_counter() - t0) * 1000
        if header is None:
            code = self._reap()
            header = {"type": "init_error", "error": {
                "errorMessage": f"Runtime exited with error: {_exit_reason(code)}",
                "errorType": "Runtime.ExitError", "stackTrace": []}}
        self._track_rss(header)
        self._pending_init = {"init_ms": init_ms, "output": self._read_log(),
                              "error": header.get("error") if header.get("type") == "init_error" else None}
        if self._pending_init["error"] is not None:
            self._kill()

    def close(self) -> None:
        """Stop the process (politely, then by force) and release its pipes and log file.

        Safe from another thread while an invocation runs: the process is killed at once and that
        invocation returns a ``Runtime.ExitError`` result."""
        self.closed = True
        if not self._lock.acquire(blocking=False):
            proc = self._proc
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            self._lock.acquire()
        self._lock.release()
        with self._lock:
            self.closed = True
            self._pending_init = None
            if self._proc is not None and self._proc.poll() is None:
                try:
                    self._send({"type": "shutdown"})
                except Exception:
                    pass
                try:
                    self._proc.wait(timeout=1.0)
                except subprocess.TimeoutExpired:
                    pass
            self._kill()

    def _kill(self) -> None:
        proc = self._proc
        if proc is not None:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    try:
                        proc.kill()
                    except ProcessLookupError:
                        pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass
        for fd in (self._to_child, self._from_child):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._to_child = self._from_child = None
        self._proc = None
        if self._log is not None and self._pending_init is None:
            try:
                self._log.close()
            except OSError:
                pass
            self._log = None

    def _reap(self) -> int | None:
        proc = self._proc
        if proc is None:
            return None
        try:
            return proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return None

    # --- framing -------------------------------------------------------------------------

    def _send(self, header: dict, body: bytes = b"") -> None:
        h = json.dumps(header).encode()
        data = memoryview(struct.pack(">I", len(h)) + h + struct.pack(">I", len(body)) + body)
        try:
            while data:
                n = os.write(self._to_child, data)
                data = data[n:]
        except (BrokenPipeError, OSError, TypeError) as exc:
            raise _ChildGone() from exc

    def _read_exact(self, n: int, deadline: float | None) -> bytes:
        chunks = []
        fd = self._from_child
        while n:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError()
                ready, _, _ = select.select([fd], [], [], remaining)
                if not ready:
                    raise TimeoutError()
            b = os.read(fd, min(n, 1 << 20))
            if not b:
                raise _ChildGone()
            chunks.append(b)
            n -= len(b)
        return b"".join(chunks)

    def _recv(self, deadline: float | None) -> tuple[dict, bytes]:
        if self._from_child is None:
            raise _ChildGone()
        hlen = struct.unpack(">I", self._read_exact(4, deadline))[0]
        header = json.loads(self._read_exact(hlen, deadline))
        blen = struct.unpack(">I", self._read_exact(4, None))[0]
        return header, self._read_exact(blen, None)

    def _read_log(self) -> str:
        if self._log is None:
            return ""
        try:
            self._log.flush()
            size = os.fstat(self._log.fileno()).st_size
            if size <= self._log_pos:
                return ""
            data = os.pread(self._log.fileno(), size - self._log_pos, self._log_pos)
            self._log_pos += len(data)
            if self._log_pos > 16 * 1024 * 1024:         # keep the file small between invocations
                self._log.truncate(0)
                self._log_pos = 0
        except (OSError, ValueError):
            return ""
        return data.decode("utf-8", "replace")

    def _track_rss(self, header: dict | None) -> None:
        """The peak RSS the worker reported; read from /proc when it could not report (a timeout)."""
        kb = (header or {}).get("max_rss_kb") or 0
        if not kb and self._proc is not None:
            kb = _vm_hwm_kb(self._proc.pid) or 0
        self._max_rss_kb = max(self._max_rss_kb, int(kb))

    # --- invoke --------------------------------------------------------------------------

    def invoke(self, payload: bytes | str, request_id: str | None = None, *,
               client_context: Any = None, identity: Any = None, trace_id: str | None = None) -> InvocationResult:
        """Run the handler once. Never raises for function errors: see ``function_error``/``timed_out``."""
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        rid = request_id or str(uuid.uuid4())
        with self._lock:
            if self.closed:
                raise RunnerError("worker is closed")
            t_wall = time.perf_counter()
            cold = False
            if self._proc is not None and self._pending_init is None and self._proc.poll() is not None:
                self._kill()                      # died while idle: a new environment, like Lambda
            if self._proc is None and self._pending_init is None:
                self._spawn()
            init_ms = None
            init_output = ""
            init_error = None
            if self._pending_init is not None:
                cold = True
                init_ms = self._pending_init["init_ms"]
                init_output = self._pending_init["output"]
                init_error = self._pending_init["error"]
                self._pending_init = None
            version = self.spec.version
            memory = self.spec.memory_mb
            if init_error is not None:
                result = self._init_failed(rid, init_error, init_output, init_ms)
                result.started_ms = result.ended_ms = int(time.time() * 1000)
                self._kill()
                result.wall_ms = (time.perf_counter() - t_wall) * 1000
                return result
            timeout = float(self.spec.timeout_s)
            started_ms = int(time.time() * 1000)
            deadline_ms = started_ms + int(timeout * 1000)
            req = {"type": "invoke", "request_id": rid, "deadline_ms": deadline_ms,
                   "trace_id": trace_id or _trace_id(), "client_context": client_context, "identity": identity}
            t0 = time.perf_counter()
            timed_out = False
            crashed: int | None | str = "alive"
            header: dict = {}
            body = b""
            try:
                self._send(req, payload)
                header, body = self._recv(time.monotonic() + timeout)
            except TimeoutError:
                timed_out = True
            except _ChildGone:
                crashed = None
            elapsed = (time.perf_counter() - t0) * 1000
            self._track_rss(header)
            if timed_out:
                self._kill_keep_log()
                output = self._read_log()
                duration = timeout * 1000
                msg = f"{_utc_stamp()} {rid} Task timed out after {timeout:.2f} seconds"   # the log line
                # What Lambda answers a synchronous invoke that timed out.
                error = {"errorType": "Sandbox.Timedout",
                         "errorMessage": f"RequestId: {rid} Error: Task timed out after {timeout:.2f} seconds"}
                body = json.dumps(error).encode()
                result = self._result(rid, body, "Unhandled", output, duration, init_ms, cold, version, memory,
                                      status="timeout", extra_line=msg, error=error, timed_out=True)
                self._drop_log()
            elif crashed is None:
                code = self._reap()
                output = self._read_log()
                reason = _exit_reason(code)
                error = {"errorType": "Runtime.ExitError",
                         "errorMessage": f"RequestId: {rid} Error: Runtime exited with error: {reason}"}
                body = json.dumps(error).encode()
                result = self._result(rid, body, "Unhandled", output, elapsed, init_ms, cold, version, memory,
                                      status="error", extra_line=f"{_utc_stamp()} {rid} {error['errorMessage']}\n"
                                                                   f"{error['errorType']}", error=error)
                self._kill()
            else:
                output = self._read_log()
                ok = bool(header.get("ok"))
                error = None
                if not ok:
                    try:
                        error = json.loads(body)
                    except ValueError:
                        error = {"errorMessage": body.decode("utf-8", "replace"), "errorType": "Unknown"}
                result = self._result(rid, body, None if ok else "Unhandled", output,
                                      float(header.get("duration_ms") or elapsed), init_ms, cold, version, memory,
                                      error=error)
            if init_output:
                result.output = init_output + result.output
                result.logs = init_output + result.logs
            result.wall_ms = (time.perf_counter() - t_wall) * 1000
            result.started_ms, result.ended_ms = started_ms, int(time.time() * 1000)
            return result

    def _kill_keep_log(self) -> None:
        log, self._log = self._log, None
        self._kill()
        self._log = log

    def _drop_log(self) -> None:
        if self._log is not None:
            try:
                self._log.close()
            except OSError:
                pass
        self._log = None

    def _max_mb(self) -> int:
        return max(1, math.ceil(self._max_rss_kb / 1024))

    def _result(self, rid: str, body: bytes, function_error: str | None, output: str, duration: float,
                init_ms: float | None, cold: bool, version: str, memory: int, *, status: str | None = None,
                extra_line: str | None = None, error: dict | None = None, timed_out: bool = False) -> InvocationResult:
        max_mb = self._max_mb()
        report_line = format_report_line(rid, duration, memory, max_mb, init_ms, status)
        lines = [f"START RequestId: {rid} Version: {version}\n"]
        if output:
            lines.append(output if output.endswith("\n") else output + "\n")
        if extra_line:
            lines.append(extra_line + "\n")
        lines.append(f"END RequestId: {rid}\n")
        lines.append(report_line + "\n")
        report = _report(rid, duration, memory, max_mb, init_ms, status)
        return InvocationResult(request_id=rid, payload=body, function_error=function_error, logs="".join(lines),
                                output=output, report=report, duration_ms=duration, init_duration_ms=init_ms,
                                cold=cold, timed_out=timed_out, max_memory_used_mb=max_mb, version=version,
                                error=error)

    def _init_failed(self, rid: str, error: dict, init_output: str, init_ms: float | None) -> InvocationResult:
        body = json.dumps(error).encode()
        status = "error"
        max_mb = self._max_mb()
        init_line = (f"INIT_REPORT Init Duration: {init_ms or 0:.2f} ms\tPhase: init\tStatus: {status}\t"
                     f"Error Type: {error.get('errorType', 'Runtime.Unknown')}\n")
        report_line = format_report_line(rid, 0.0, self.spec.memory_mb, max_mb, init_ms, status)
        logs = (init_output + (init_line if init_output.endswith("\n") or not init_output else "\n" + init_line)
                + f"START RequestId: {rid} Version: {self.spec.version}\nEND RequestId: {rid}\n{report_line}\n")
        report = _report(rid, 0.0, self.spec.memory_mb, max_mb, init_ms, status)
        return InvocationResult(request_id=rid, payload=body, function_error="Unhandled", logs=logs,
                                output=init_output, report=report, duration_ms=0.0, init_duration_ms=init_ms,
                                cold=True, timed_out=False, max_memory_used_mb=max_mb, version=self.spec.version,
                                error=error)


def _report(rid: str, duration_ms: float, memory_mb: int, max_mb: int, init_ms: float | None,
            status: str | None) -> Report:
    """The :class:`Report` matching :func:`format_report_line` (any request id, not just UUIDs)."""
    return Report(request_id=rid, duration_ms=round(duration_ms, 2), billed_duration_ms=float(max(1, math.ceil(duration_ms))),
                  memory_size_mb=memory_mb, max_memory_used_mb=max_mb,
                  init_duration_ms=None if init_ms is None else round(init_ms, 2), status=status)


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "exit status unknown"
    if code < 0:
        try:
            return f"signal: {signal.Signals(-code).name.lower().removeprefix('sig')}"
        except ValueError:
            return f"signal: {-code}"
    return f"exit status {code}"


def _trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0;Lineage=1"


class WorkerPool:
    """Up to ``max_workers`` execution environments for one function; idle (warm) ones are reused."""

    def __init__(self, spec: FunctionSpec, max_workers: int = 1):
        if max_workers < 1:
            raise ValueError("max_workers must be >= 1")
        self.spec = spec
        self.max_workers = max_workers
        self._cond = threading.Condition()
        self._idle: list[Worker] = []
        self._all: list[Worker] = []
        self.closed = False

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _acquire(self) -> Worker:
        with self._cond:
            while True:
                if self.closed:
                    raise RunnerError("worker pool is closed")
                if self._idle:
                    return self._idle.pop()          # most recently used: the warmest
                if len(self._all) < self.max_workers:
                    w = Worker(self.spec)
                    self._all.append(w)
                    return w
                self._cond.wait()

    def _release(self, w: Worker) -> None:
        with self._cond:
            if self.closed:
                w.close()
                return
            self._idle.append(w)
            self._cond.notify()

    def invoke(self, payload: bytes | str, request_id: str | None = None, **kwargs: Any) -> InvocationResult:
        w = self._acquire()
        try:
            return w.invoke(payload, request_id, **kwargs)
        finally:
            self._release(w)

    @property
    def workers(self) -> list[Worker]:
        return list(self._all)

    def close(self) -> None:
        with self._cond:
            self.closed = True
            workers = list(self._all)
            self._cond.notify_all()
        for w in workers:
            w.close()


# --- from the project file -------------------------------------------------------------------

def find_deps_dirs(root: str | os.PathLike, source_dir: str | os.PathLike | None = None) -> list[str]:
    """Existing vendored-dependency directories of a project (``.lambdactl/build/deps`` and friends),
    plus ``LAMBDACTL_LOCAL_PATH`` (os.pathsep-separated)."""
    root = Path(root)
    src = Path(source_dir).resolve() if source_dir else None
    out: list[str] = []
    for rel in DEPS_DIR_CANDIDATES:
        p = (root / rel).resolve()
        if p.is_dir() and p != src and str(p) not in out:
            out.append(str(p))
    for extra in os.environ.get("LAMBDACTL_LOCAL_PATH", "").split(os.pathsep):
        if extra and str(Path(extra).resolve()) not in out:
            out.append(str(Path(extra).resolve()))
    return out


def cached_deps_dir(project) -> str | None:
    """The dependency install that ``lambdactl package``/``deploy`` cached for this project's
    requirements (looked up only: pip never runs here), or None."""
    fc = project.function
    req = project.requirements_path
    if not req or not fc.runtime or not req.is_file():
        return None
    try:
        from lambdactl.core.build import deps

        if not deps.has_requirements(req):
            return None
        key = deps.cache_key(req, fc.runtime, fc.architecture)
        final = deps.default_cache_dir() / "deps" / key[:32]
        if (final / deps.MARKER).is_file() and (final / deps.SITE).is_dir():
            return str(final / deps.SITE)
    except Exception:  # noqa: BLE001 - a lookup aid only; never fail an invoke over it
        return None
    return None


def spec_from_project(project, *, environment: dict[str, str] | None = None, region: str | None = None,
                      extra_paths: list[str] | None = None, timeout_s: float | None = None,
                      memory_mb: int | None = None, aws_environment: dict[str, str] | None = None) -> FunctionSpec:
    """A :class:`FunctionSpec` from a validated ``lambdactl.toml`` (``lambdactl.config.ProjectConfig``).

    Without ``aws_environment`` the handler gets the caller's AWS credentials/profile (its AWS
    calls reach the real account, as with ``sam local``); with it (``--sandbox``), only those."""
    from lambdactl.errors import UsageError

    fc = project.function
    if fc.package_type != "Zip":
        raise UsageError("--local runs Zip functions only (this project uses a container image)",
                         hint="invoke the deployed function instead (without --local)")
    if fc.runtime and not fc.runtime.startswith("python"):
        raise UsageError(f"--local runs Python handlers; this function's runtime is {fc.runtime}",
                         hint="invoke the deployed function instead (without --local)")
    src = project.source_dir
    if not src.is_dir():
        raise UsageError(f"source directory not found: {src}",
                         hint=f"create it, or fix [function] source in {project.path.name}")
    env = dict(fc.environment)
    env.update(environment or {})
    paths = find_deps_dirs(project.root, src)
    cached = cached_deps_dir(project)
    if cached and cached not in paths:
        paths.append(cached)
    paths += list(extra_paths or [])
    return FunctionSpec(code_dir=str(src), handler=fc.handler or "app.handler", function_name=fc.name,
                        memory_mb=memory_mb or fc.memory, timeout_s=timeout_s or fc.timeout, environment=env,
                        extra_paths=paths, region=region or os.environ.get("AWS_REGION")
                        or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1", runtime=fc.runtime,
                        aws_environment=aws_environment)
