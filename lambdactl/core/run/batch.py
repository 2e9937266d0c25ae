"""Batch invoke: one payload per JSONL line, N in flight, results in line order, a latency summary.

Public API:

    read_events(path_or_dash, stdin=None) -> list[BatchLine]      # malformed lines kept, marked
    run_batch(lines, invoke_one, *, concurrency=4, fail_fast=False, on_result=None) -> BatchSummary
    remote_invoker(aws, function, *, qualifier=None, invocation_type="RequestResponse") -> invoke_one
    local_invoker(pool) -> invoke_one

``invoke_one(payload: bytes) -> dict`` returns ``{status, error, payload}`` (status ``ok`` or
``error``); ``run_batch`` adds ``line`` and ``duration_ms`` (the measured round trip) and calls
``on_result`` in line order as soon as each line's predecessors are done (so output streams).
"""
from __future__ import annotations

import json
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import BinaryIO, Callable

from lambdactl.errors import Interrupted, LambdactlError, NotFoundError, UsageError

MAX_CONCURRENCY = 256


@dataclass
class BatchLine:
    line: int
    payload: bytes | None        # None when malformed
    error: str | None = None     # why it is malformed


@dataclass
class BatchSummary:
    count: int = 0               # invocations made
    ok: int = 0
    errors: int = 0
    invalid: int = 0             # malformed lines skipped
    not_run: int = 0             # lines not run because --fail-fast stopped the batch
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    elapsed_s: float = 0.0
    throughput: float = 0.0      # invocations per second
    concurrency: int = 1
    stopped: bool = False
    invalid_lines: list[int] = field(default_factory=list)
    error_lines: list[int] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"count": self.count, "ok": self.ok, "errors": self.errors, "invalid": self.invalid,
                "not_run": self.not_run, "p50_ms": _r(self.p50_ms), "p90_ms": _r(self.p90_ms),
                "p99_ms": _r(self.p99_ms), "elapsed_s": round(self.elapsed_s, 3),
                "throughput": round(self.throughput, 1), "concurrency": self.concurrency,
                "stopped": self.stopped, "invalid_lines": self.invalid_lines, "error_lines": self.error_lines}

    def line(self) -> str:
        parts = [f"{self.count} invocation{'s' if self.count != 1 else ''}", f"{self.errors} error{'s' if self.errors != 1 else ''}"]
        if self.invalid:
            parts.append(f"{self.invalid} malformed line{'s' if self.invalid != 1 else ''} skipped")
        if self.not_run:
            parts.append(f"{self.not_run} not run")
        if self.p50_ms is not None:
            parts.append(f"p50 {self.p50_ms:.1f} ms · p90 {self.p90_ms:.1f} ms · p99 {self.p99_ms:.1f} ms")
        parts.append(f"{self.throughput:.1f}/s over {self.elapsed_s:.2f} s at concurrency {self.concurrency}")
        return " · ".join(parts)


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


def _not_json(name: str):
    raise ValueError(f"{name} is not a JSON value")


def parse_lines(data: bytes) -> list[BatchLine]:
    """JSONL → lines; blank lines are ignored (they keep their numbers for the others)."""
    out: list[BatchLine] = []
    for i, raw in enumerate(data.splitlines(), start=1):
        if i == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        try:  # UTF-8 only (json.loads(bytes) would take UTF-16/32), and no NaN/Infinity (not JSON)
            json.loads(raw.decode("utf-8"), parse_constant=_not_json)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            msg = f"invalid JSON at column {exc.colno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) \
                else "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) \
                else "JSON nested too deeply" if isinstance(exc, RecursionError) else f"invalid JSON: {exc}"
            out.append(BatchLine(i, None, msg))
            continue
        out.append(BatchLine(i, raw.strip()))
    return out


def read_events(path: str, stdin: BinaryIO | None = None) -> list[BatchLine]:
    """Read a JSONL events file (``-`` = stdin)."""
    from lambdactl.core.run.payload import read_file, read_stdin

    data = read_stdin(stdin) if path == "-" else read_file(path, "batch file", "one JSON payload per line (JSONL)")
    return parse_lines(data)


def run_batch(lines: list[BatchLine], invoke_one: Callable[[bytes], dict], *, concurrency: int = 4,
              fail_fast: bool = False, on_result: Callable[[dict], None] | None = None) -> BatchSummary:
    """Run every valid line with at most ``concurrency`` in flight; emit results in line order.

    ``fail_fast``: a malformed line stops the batch before anything runs (UsageError naming the
    line); a failed invocation stops it from starting new ones (those in flight finish).
    A :class:`NotFoundError` (the function does not exist) stops the batch and is raised.
    """
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency {concurrency} is out of range", hint=f"allowed range: 1..{MAX_CONCURRENCY}")
    summary = BatchSummary(concurrency=concurrency)
    bad = [ln for ln in lines if ln.payload is None]
    if bad and fail_fast:
        first = bad[0]
        raise UsageError(f"line {first.line}: {first.error}",
                         hint="fix the line (or drop --fail-fast to skip malformed lines); nothing was invoked")
    summary.invalid = len(bad)
    summary.invalid_lines = [ln.line for ln in bad]
    emit = on_result or (lambda rec: None)
    results: dict[int, dict] = {}
    order = [ln.line for ln in lines]
    next_idx = 0
    lock = threading.Lock()
    durations: list[float] = []
    fatal: list[BaseException] = []
    stop = threading.Event()

    def flush() -> None:
        nonlocal next_idx
        while next_idx < len(order) and order[next_idx] in results:
            emit(results.pop(order[next_idx]))
            next_idx += 1

    def record(rec: dict) -> None:
        with lock:
            results[rec["line"]] = rec
            flush()

    def work(ln: BatchLine) -> dict:
        t0 = time.perf_counter()
        try:
            out = invoke_one(ln.payload or b"{}")
        except NotFoundError:
            raise
        except LambdactlError as exc:
            out = {"status": "error", "error": exc.message, "payload": None}
        except Exception as exc:  # noqa: BLE001 - one bad call must not sink the batch
            from lambdactl.errors import translate

            err = translate(exc)
            out = {"status": "error", "error": err.message if err else f"{type(exc).__name__}: {exc}",
                   "payload": None}
        ms = (time.perf_counter() - t0) * 1000
        return {"line": ln.line, "status": out.get("status", "ok"), "error": out.get("error"),
                "duration_ms": round(ms, 3), "payload": out.get("payload")}

    start = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="lambdactl-batch")
    in_flight: dict[Future, BatchLine] = {}
    todo = iter(lines)
    interrupted = False
    try:
        exhausted = False
        while True:
            while not exhausted and not stop.is_set() and len(in_flight) < concurrency:
                ln = next(todo, None)
                if ln is None:
                    exhausted = True
                    break
                if ln.payload is None:
                    record({"line": ln.line, "status": "invalid", "error": ln.error, "duration_ms": None,
                            "payload": None})
                    continue
                in_flight[pool.submit(work, ln)] = ln
            if not in_flight:
                break
            done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for fut in done:
                ln = in_flight.pop(fut)
                try:
                    rec = fut.result()
                except NotFoundError as exc:
                    fatal.append(exc)
                    stop.set()
                    continue
                summary.count += 1
                durations.append(rec["duration_ms"])
                if rec["status"] == "ok":
                    summary.ok += 1
                else:
                    summary.errors += 1
                    summary.error_lines.append(rec["line"])
                    if fail_fast:
                        stop.set()
                record(rec)
        if stop.is_set():
            summary.stopped = True
            summary.not_run = sum(1 for ln in todo if ln.payload is not None)
            with lock:                       # the lines that ran, in order; the rest never will
                for k in sorted(results):
                    emit(results.pop(k))
    except KeyboardInterrupt:
        interrupted = True
        stop.set()
        _finish(summary, durations, start)
        raise Interrupted(f"interrupted after {summary.count} invocations", hint="partial results were printed")
    finally:
        pool.shutdown(wait=not interrupted, cancel_futures=True)
    _finish(summary, durations, start)
    summary.error_lines.sort()
    if fatal:
        raise fatal[0]
    return summary


def _finish(summary: BatchSummary, durations: list[float], start: float) -> None:
    from lambdactl.core.observe.stats import percentile

    summary.elapsed_s = time.perf_counter() - start
    summary.p50_ms, summary.p90_ms, summary.p99_ms = (percentile(durations, 50), percentile(durations, 90),
                                                      percentile(durations, 99))
    summary.throughput = summary.count / summary.elapsed_s if summary.elapsed_s > 0 else 0.0


# --- invokers --------------------------------------------------------------------------------

def _outcome(payload: bytes, function_error: str | None, status_code: int | None = None) -> dict:
    from lambdactl.core.run.invoke import body_value, error_title

    if function_error:
        return {"status": "error", "error": error_title(payload, function_error), "payload": body_value(payload)}
    return {"status": "ok", "error": None, "payload": body_value(payload)}


def remote_invoker(aws, function: str, *, qualifier: str | None = None,
                   invocation_type: str = "RequestResponse") -> Callable[[bytes], dict]:
    from lambdactl.core.run.invoke import invoke_remote

    def one(payload: bytes) -> dict:
        r = invoke_remote(aws, function, payload, qualifier=qualifier, invocation_type=invocation_type)
        out = _outcome(r.payload, r.function_error)
        if invocation_type == "Event":
            out["payload"] = {"status_code": r.status_code, "request_id": r.request_id}
        return out

    return one


def local_invoker(pool) -> Callable[[bytes], dict]:
    def one(payload: bytes) -> dict:
        r = pool.invoke(payload)
        return _outcome(r.payload, r.function_error)

    return one
