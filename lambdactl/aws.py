"""The one AWS session/client factory: profile, region, endpoint, retries, user agent, waiters.

Every AWS client in lambdactl comes from :func:`session` (``session().client("lambda")``).
boto3 is imported lazily here so that ``lambdactl --help`` never pays for it.

- ``--endpoint-url`` / ``AWS_ENDPOINT_URL`` reach any AWS-compatible server (sandbox, moto,
  LocalStack); ``--sandbox`` points at the running lambdactl sandbox.
- Retries, without stacking: botocore's standard retry mode retries throttling (429
  TooManyRequests, ThrottlingException, SlowDown...), 5xx answers and connection errors, with
  jittered exponential backoff (``rand(0, 1) * min(2 ** i, 20)`` s). The number of attempts is the
  most whose worst-case backoff fits the retry budget (``LAMBDACTL_RETRY_BUDGET``, 60 s: 7 attempts,
  at most 51 s of backoff); ``LAMBDACTL_MAX_ATTEMPTS`` sets it directly (first try included).
  :func:`retry` re-runs a call only for what botocore does not retry: ResourceConflictException while
  an update is in progress, and the ``also=`` predicates callers pass (IAM propagation), within the
  same budget. A throttled call is never retried by both.
- ``--verbose`` logs each call (``aws: lambda.GetFunction 200 12 ms``) on stderr.
- :data:`CALLS` records every call made in this process (service, operation) so tests and
  benchmarks can count them.
"""
from __future__ import annotations

import os
import random
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from lambdactl import __version__
from lambdactl.errors import OperationError, UsageError
from lambdactl.settings import Settings, current

T = TypeVar("T")

MUTATING_PREFIXES = ("Create", "Update", "Delete", "Put", "Publish", "Add", "Remove", "Tag",
                     "Untag", "Attach", "Detach", "Set", "Subscribe", "Unsubscribe", "Invoke",
                     "Send", "Upload", "Start", "Stop")


@dataclass
class Call:
    service: str
    operation: str
    ms: float
    status: int | None
    bytes_sent: int

    @property
    def mutating(self) -> bool:
        return self.operation.startswith(MUTATING_PREFIXES)


class CallLog:
    """Thread-safe record of the AWS calls made through our sessions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[Call] = []

    def add(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    def names(self) -> list[str]:
        return [f"{c.service}.{c.operation}" for c in self.calls]

    def count(self, operation: str) -> int:
        return sum(1 for c in self.calls if c.operation == operation)


CALLS = CallLog()


def sandbox_endpoint() -> str:
    from lambdactl import sandbox_state  # local, no heavy imports

    ep = sandbox_state.running_endpoint()
    if not ep:
        raise UsageError("the lambdactl sandbox is not running",
                         hint="start it with 'lambdactl sandbox start --detach'")
    return ep


class AwsSession:
    """Wraps a boto3 Session; caches one client per (service, region)."""

    def __init__(self, settings: Settings | None = None):
        import boto3  # lazy
        from botocore.config import Config

        self.settings = s = settings or current()
        self.endpoint_url = s.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        sandbox = s.sandbox or os.environ.get("LAMBDACTL_SANDBOX", "") not in ("", "0")
        if sandbox:  # explicit --sandbox / LAMBDACTL_SANDBOX wins over AWS_ENDPOINT_URL
            self.endpoint_url = sandbox_endpoint()
        kwargs: dict[str, Any] = {}
        if s.profile and not sandbox:
            kwargs["profile_name"] = s.profile
        region = s.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if sandbox:
            # Fixed test credentials: the user's real access key id (or session token) is never
            # sent to the sandbox, whatever the environment or profile holds.
            region = region or "us-east-1"
            kwargs["aws_access_key_id"] = "test"
            kwargs["aws_secret_access_key"] = "test"
            kwargs["aws_session_token"] = None
        if region:
            kwargs["region_name"] = region
        self._session = boto3.session.Session(botocore_session=_botocore_session(), **kwargs)
        self.region = self._session.region_name
        if not self.region:
            raise UsageError("no AWS region configured",
                             hint="pass --region or set AWS_REGION (or AWS_DEFAULT_REGION)")
        self._config = Config(
            # total_max_attempts counts the first try; botocore's max_attempts would count retries only.
            retries={"mode": "standard", "total_max_attempts": max_attempts()},
            user_agent_extra=f"lambdactl/{__version__}",
            connect_timeout=float(os.environ.get("LAMBDACTL_CONNECT_TIMEOUT", "10")),
            read_timeout=float(os.environ.get("LAMBDACTL_READ_TIMEOUT", "70")),
        )
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._account: str | None = None

    def client(self, service: str, region: str | None = None, **config_overrides: Any):
        """A cached client; ``config_overrides`` are botocore ``Config`` fields (e.g. read_timeout)."""
        key = (service, region or self.region) + tuple(sorted((k, repr(v)) for k, v in config_overrides.items()))
        with self._lock:
            c = self._clients.get(key)
            if c is None:
                cfg = self._config
                if config_overrides:
                    from botocore.config import Config
                    cfg = cfg.merge(Config(**config_overrides))
                c = self._session.client(service, region_name=key[1], endpoint_url=self.endpoint_url,
                                         config=cfg)
                _instrument(c, service, self.settings)
                self._clients[key] = c
            return c

    @property
    def account_id(self) -> str:
        if self._account is None:
            try:
                self._account = self.client("sts").get_caller_identity()["Account"]
            except Exception:
                if self.endpoint_url:
                    self._account = "123456789012"
                else:
                    raise
        return self._account

    @property
    def partition(self) -> str:
        """The ARN partition of the region (aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-eusc...),
        from botocore's endpoint data; "aws" for a region it does not know (e.g. an emulator's)."""
        part = self.__dict__.get("_partition")
        if part is None:
            try:
                part = self._session.get_partition_for_region(self.region)
            except Exception:  # botocore.exceptions.UnknownRegionError
                part = "aws"
            self.__dict__["_partition"] = part
        return part


_LOADER = None


def _botocore_session():
    """A fresh botocore session sharing one data loader (service models are parsed once per
    process: matters for the sandbox, the demo, batch invokes and the test-suite)."""
    import botocore.session
    from botocore.loaders import create_loader

    global _LOADER
    if _LOADER is None:
        _LOADER = create_loader()
    bs = botocore.session.get_session()
    bs.register_component("data_loader", _LOADER)
    return bs


def _instrument(client, service: str, settings: Settings) -> None:
    events = client.meta.events
    local = threading.local()

    def before(model, params, **_):
        local.t0 = time.perf_counter()
        body = params.get("body") if isinstance(params, dict) else None
        local.size = len(body) if isinstance(body, (bytes, bytearray, str)) else 0

    def after(http_response, parsed, model, **_):
        ms = (time.perf_counter() - getattr(local, "t0", time.perf_counter())) * 1000
        status = getattr(http_response, "status_code", None)
        CALLS.add(Call(service, model.name, ms, status, getattr(local, "size", 0)))
        if isinstance(parsed, dict) and "Error" in parsed:
            # errors.translate_client_error names the IAM action (service:Operation) from this.
            parsed.setdefault("ResponseMetadata", {})["ServiceName"] = service
        if settings.debug:
            sys.stderr.write(f"aws: {service}.{model.name} {status} {ms:.0f} ms\n")

    events.register("before-call", before)
    events.register("after-call", after)


_sessions: dict[int, AwsSession] = {}


def session(settings: Settings | None = None) -> AwsSession:
    """The session for the current settings (one per Settings object)."""
    s = settings or current()
    key = id(s)
    sess = _sessions.get(key)
    if sess is None:
        sess = AwsSession(s)
        _sessions.clear()
        _sessions[key] = sess
    return sess


def reset_sessions() -> None:
    _sessions.clear()


# --- retries and waiting --------------------------------------------------------------------

# What botocore's standard mode does not retry, and our loop does (throttling, 5xx and connection
# errors are botocore's: retrying them here too would multiply the attempts and the time).
RETRYABLE_CODES = frozenset({"ResourceConflictException"})

BOTOCORE_MAX_BACKOFF = 20.0      # s: standard mode's cap on one backoff (botocore.retries.standard)
DEFAULT_RETRY_BUDGET = 60.0      # s: one AWS call's time budget
MAX_ATTEMPTS_LIMIT = 20


def retry_budget() -> float:
    """The retry budget in seconds: ``LAMBDACTL_RETRY_BUDGET``, default 60."""
    raw = os.environ.get("LAMBDACTL_RETRY_BUDGET", "").strip()
    if not raw:
        return DEFAULT_RETRY_BUDGET
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise UsageError(f"LAMBDACTL_RETRY_BUDGET={raw!r} is not a number of seconds in 0..3600",
                         hint=f"unset it for the default ({DEFAULT_RETRY_BUDGET:.0f} s)")
    return value


def worst_case_backoff(attempts: int) -> float:
    """The longest total backoff botocore's standard mode sleeps over ``attempts`` attempts."""
    return sum(min(2.0 ** i, BOTOCORE_MAX_BACKOFF) for i in range(max(0, attempts - 1)))


def max_attempts() -> int:
    """Attempts per AWS call (the first try included): ``LAMBDACTL_MAX_ATTEMPTS``, else the most whose
    worst-case backoff fits :func:`retry_budget` (60 s → 7 attempts, at most 51 s of backoff)."""
    raw = os.environ.get("LAMBDACTL_MAX_ATTEMPTS", "").strip()
    if raw:
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_ATTEMPTS_LIMIT:
            raise UsageError(f"LAMBDACTL_MAX_ATTEMPTS={raw!r} is not a whole number in 1..{MAX_ATTEMPTS_LIMIT}",
                             hint="it counts attempts per AWS call, the first try included; unset it for "
                                  "the default (what fits the retry budget)")
        return int(raw)
    budget = retry_budget()
    attempts = 1
    while attempts < MAX_ATTEMPTS_LIMIT and worst_case_backoff(attempts + 1) <= budget:
        attempts += 1
    return attempts


def error_code(exc: BaseException) -> str:
    return (getattr(exc, "response", None) or {}).get("Error", {}).get("Code", "") or ""


def _already_exists(exc: BaseException) -> bool:
    """A ResourceConflictException that no wait resolves: "... already exists" (a statement, alias or
    mapping), unlike "An update is in progress" / "The function is currently in the following state"."""
    message = ((getattr(exc, "response", None) or {}).get("Error", {}).get("Message") or "").lower()
    return "already exist" in message


def retry(fn: Callable[[], T], *, budget: float | None = None, codes: set[str] | frozenset[str] | None = None,
          also: Callable[[BaseException], bool] | None = None, base: float = 0.25,
          cap: float = 4.0) -> T:
    """Call ``fn`` until it succeeds, re-running it with jittered backoff only for what botocore's
    retry mode does not retry: the error ``codes`` (default ResourceConflictException: an update is
    in progress) and errors for which ``also(exc)`` is true (e.g. IAM propagation).

    Throttling, 5xx and connection errors reach here only after botocore's own retries ran out, and
    are raised at once. ``budget`` (seconds, default :func:`retry_budget`) bounds the total time.
    """
    from botocore.exceptions import ClientError

    if budget is None:
        budget = retry_budget()
    codes = RETRYABLE_CODES if codes is None else codes
    deadline = time.monotonic() + budget
    attempt = 0
    while True:
        try:
            return fn()
        except ClientError as exc:
            if not (error_code(exc) in codes and not _already_exists(exc) or (also is not None and also(exc))):
                raise
            delay = min(cap, base * (2 ** attempt)) * (0.5 + random.random() / 2)
            if time.monotonic() + delay > deadline:
                raise
            attempt += 1
            time.sleep(delay)


def wait_function_ready(aws: AwsSession, function: str, *, timeout: float = 300) -> dict:
    """Wait until the function's State is Active and LastUpdateStatus is not InProgress.

    Returns the final configuration. Fails (OperationError) on Failed status or timeout.
    """
    lam = aws.client("lambda")
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        cfg = retry(lambda: lam.get_function_configuration(FunctionName=function))
        state = cfg.get("State", "Active")
        last = cfg.get("LastUpdateStatus", "Successful")
        if state == "Failed" or last == "Failed":
            reason = cfg.get("LastUpdateStatusReason") or cfg.get("StateReason") or "no reason given"
            raise OperationError(f"function {function} update failed: {reason}")
        if state in ("Active", "Inactive") and last in ("Successful", None):
            return cfg
        if time.monotonic() > deadline:
            raise OperationError(f"timed out after {timeout:.0f}s waiting for {function} to become ready "
                                 f"(State={state}, LastUpdateStatus={last})")
        time.sleep(delay)
        delay = min(delay * 2, 2.0)
