"""Numbers from a function's REPORT lines: invocations, errors, timeouts, cold starts, duration and
init percentiles, memory headroom, and an estimated cost.

Percentiles use the nearest-rank method (the value at rank ceil(q·n) of the sorted sample), so
every figure is a duration that really occurred.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

from lambdactl.core.observe.logs import LogEvent, LogTarget, Query, RequestContext, fetch
from lambdactl.core.model.runtimes import PRICE_PER_GB_SECOND, PRICE_PER_REQUEST
from lambdactl.config import setting_hint as _setting_hint

RIGHT_SIZE_RATIO = 0.5           # hint when the max memory used stays below half of the configured size
NEAR_LIMIT_RATIO = 0.9           # warn when the max memory used comes within 10 % of the limit
MIN_MEMORY_MB = 128
MONTH_S = 30 * 86400


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of ``values``; None for an empty sample."""
    if not values:
        return None
    s = sorted(values)
    if q <= 0:
        return s[0]
    rank = math.ceil(q / 100.0 * len(s))
    return s[min(len(s), max(1, rank)) - 1]


def suggest_memory(max_used_mb: int, configured_mb: int) -> int | None:
    """A smaller memory size with ~30 % headroom (64 MB steps, at least 128 MB), or None."""
    if configured_mb <= MIN_MEMORY_MB or max_used_mb >= configured_mb * RIGHT_SIZE_RATIO:
        return None
    target = max(MIN_MEMORY_MB, int(math.ceil(max_used_mb * 1.3 / 64.0)) * 64)
    return target if target < configured_mb else None


@dataclass
class _Acc:
    reports: dict = field(default_factory=dict)            # request id -> Report (dedupe by id)
    error_ids: set = field(default_factory=set)
    timeout_ids: set = field(default_factory=set)

    @property
    def errors(self) -> int:
        """Invocations (REPORT lines in the window) that failed: never more than the invocations."""
        return len(self.error_ids & self.reports.keys())

    @property
    def timeouts(self) -> int:
        return len(self.timeout_ids & self.reports.keys())


def accumulate(events: Iterable[LogEvent]) -> _Acc:
    """Invocations (one per REPORT request id) and which of them failed or timed out.

    An invocation is counted once and fails at most once, whatever it logged: its REPORT status,
    its ERROR/exception lines and a "Task timed out" line all mark the same request id. Error
    lines without a request id (a module-load failure between INIT_START and INIT_REPORT, or a
    traceback whose START lies before the window) belong to the next invocation of the same
    stream — an execution environment runs one thing at a time — and are charged to it once.
    Errors of requests whose REPORT is outside the window are not counted, so
    ``errors <= invocations`` always holds.
    """
    acc = _Acc()
    pending: dict[str, str] = {}          # stream -> "error" | "timeout": seen outside any request

    def mark(rid: str, kind: str) -> None:
        acc.error_ids.add(rid)
        if kind == "timeout":
            acc.timeout_ids.add(rid)

    for ev in events:
        if ev.type == "start" and ev.request_id:
            kind = pending.pop(ev.stream, None)
            if kind:
                mark(ev.request_id, kind)
            continue
        if ev.report is not None:
            rid = ev.report.request_id
            acc.reports[rid] = ev.report
            kind = pending.pop(ev.stream, None)
            if kind:
                mark(rid, kind)
            st = (ev.report.status or "").lower()
            if st in ("timeout", "error", "failure"):
                mark(rid, st if st == "timeout" else "error")
            continue
        if not ev.error:
            continue
        kind = "timeout" if ev.type == "timeout" else "error"
        if ev.request_id:
            mark(ev.request_id, kind)
        elif pending.get(ev.stream) != "timeout":
            pending[ev.stream] = kind
    return acc


def summarize(events: Iterable[LogEvent], *, start_ms: int, end_ms: int, target: LogTarget | None = None,
              architecture: str | None = None, configured_memory_mb: int | None = None) -> dict:
    """The stats record for a window of parsed events (pure: no AWS calls)."""
    from lambdactl.fmt import iso

    acc = accumulate(events)
    reports = list(acc.reports.values())
    n = len(reports)
    durations = [r.duration_ms for r in reports if r.duration_ms is not None]
    inits = [r.init_duration_ms for r in reports if r.init_duration_ms is not None]
    cold = sum(1 for r in reports if r.cold_start)
    errors = acc.errors
    timeouts = acc.timeouts
    used = [r.max_memory_used_mb for r in reports if r.max_memory_used_mb is not None]
    sizes = [r.memory_size_mb for r in reports if r.memory_size_mb is not None]
    # What actually ran (the newest REPORT) wins over the current configuration.
    configured = sizes[-1] if sizes else configured_memory_mb
    arch = architecture or "x86_64"
    price = PRICE_PER_GB_SECOND.get(arch, PRICE_PER_GB_SECOND["x86_64"])

    gb_s = 0.0
    for r in reports:
        ms = r.billed_duration_ms if r.billed_duration_ms is not None else (
            math.ceil(r.duration_ms) if r.duration_ms is not None else 0)
        mem = r.memory_size_mb or configured or 128
        gb_s += (ms / 1000.0) * (mem / 1024.0)
    req_cost = n * PRICE_PER_REQUEST
    compute_cost = gb_s * price
    total = req_cost + compute_cost
    window_s = max(1e-3, (end_ms - start_ms) / 1000.0)
    other = "arm64" if arch == "x86_64" else "x86_64"
    other_total = req_cost + gb_s * PRICE_PER_GB_SECOND[other]

    def r2(v):
        return None if v is None else round(float(v), 2)

    max_used = max(used) if used else None
    memory = {
        "configured_mb": configured,
        "max_used_mb": max_used,
        "max_used_pct": round(100.0 * max_used / configured, 1) if max_used is not None and configured else None,
        "p99_used_mb": percentile(used, 99),          # an int: a value of the sample
        "suggested_mb": suggest_memory(max_used, configured) if max_used is not None and configured else None,
        "sizes_seen_mb": sorted(set(sizes)),
    }

    hints: list[str] = []
    if memory["suggested_mb"]:
        fn = target.function if target else None
        hints.append(f"max memory used {max_used} MB is {memory['max_used_pct']:.0f}% of {configured} MB: "
                     f"consider {memory['suggested_mb']} MB ({_setting_hint('memory', memory['suggested_mb'], fn)}); "
                     "CPU scales with memory, so compare durations after the change")
    elif max_used is not None and configured and max_used >= configured * NEAR_LIMIT_RATIO:
        hints.append(f"max memory used {max_used} MB is {memory['max_used_pct']:.0f}% of {configured} MB: "
                     "close to the limit, consider more memory")
    if timeouts:
        hints.append(f"{timeouts} invocation(s) timed out: raise the timeout "
                     f"({_setting_hint('timeout', 'N', target.function if target else None)}) or look at what blocks")
    if n == 0:
        hints.append("no REPORT lines in the window: widen it with --since, or invoke the function")
    if arch == "x86_64" and n:
        hints.append(f"on arm64 the same work would cost about ${other_total:.6f} (~20% less per GB-second)")

    return {
        "function": target.function if target else None,
        "log_group": target.log_group if target else None,
        "since": iso(start_ms),
        "until": iso(end_ms),
        "window_s": round(window_s, 3),
        "invocations": n,
        "errors": errors,
        "error_pct": round(100.0 * errors / n, 1) if n else None,
        "timeouts": timeouts,
        "cold_starts": cold,
        "cold_start_pct": round(100.0 * cold / n, 1) if n else None,
        "duration_ms": {"p50": r2(percentile(durations, 50)), "p90": r2(percentile(durations, 90)),
                        "p99": r2(percentile(durations, 99)), "max": r2(max(durations) if durations else None),
                        "avg": r2(sum(durations) / len(durations) if durations else None)},
        "init_duration_ms": {"p50": r2(percentile(inits, 50)), "max": r2(max(inits) if inits else None)},
        "memory": memory,
        "cost_estimate": {
            "estimate": True,
            "basis": "us-east-1 list prices, no free tier",
            "architecture": arch,
            "architecture_known": architecture is not None,
            "requests_usd": round(req_cost, 12),
            "gb_seconds": round(gb_s, 6),
            "compute_usd": round(compute_cost, 12),
            "total_usd": round(total, 12),
            "per_30_days_usd": round(total * MONTH_S / window_s, 6),
        },
        "hints": hints,
    }


def compute_stats(aws, target: LogTarget, query: Query, start_ms: int, end_ms: int) -> dict:
    """Read the window's events and summarise them (see :func:`summarize`)."""
    cfg = target.configuration or {}
    arch = (cfg.get("Architectures") or [None])[0]
    events = fetch(aws, query, start_ms, end_ms, ctx=RequestContext())
    return summarize(events, start_ms=start_ms, end_ms=end_ms, target=target, architecture=arch,
                     configured_memory_mb=cfg.get("MemorySize"))
