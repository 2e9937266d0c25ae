"""Lambda's REPORT log line, parsed (shared by invoke --logs, logs, stats, the sandbox)."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

# Any non-blank request id: AWS writes UUIDs, emulators and test harnesses write others.
_REPORT_RE = re.compile(r"^REPORT RequestId: *(?P<rid>[^\s]+)")
_FIELDS = {
    "duration_ms": re.compile(r"\bDuration:\s*([\d.]+)\s*ms"),
    "billed_duration_ms": re.compile(r"Billed Duration:\s*([\d.]+)\s*ms"),
    "memory_size_mb": re.compile(r"Memory Size:\s*(\d+)\s*MB"),
    "max_memory_used_mb": re.compile(r"Max Memory Used:\s*(\d+)\s*MB"),
    "init_duration_ms": re.compile(r"Init Duration:\s*([\d.]+)\s*ms"),
    "restore_duration_ms": re.compile(r"Restore Duration:\s*([\d.]+)\s*ms"),
}
_STATUS_RE = re.compile(r"Status:\s*(\w+)")
_XRAY_RE = re.compile(r"XRAY TraceId:\s*(\S+)")


@dataclass
class Report:
    request_id: str
    duration_ms: float | None = None
    billed_duration_ms: float | None = None
    memory_size_mb: int | None = None
    max_memory_used_mb: int | None = None
    init_duration_ms: float | None = None
    restore_duration_ms: float | None = None
    status: str | None = None        # e.g. "timeout", "error"
    xray_trace_id: str | None = None

    @property
    def cold_start(self) -> bool:
        return self.init_duration_ms is not None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["cold_start"] = self.cold_start
        return d

    def summary(self) -> str:
        """One line: ``12.3 ms (billed 13 ms) · 45/128 MB · cold start 180.2 ms``."""
        parts = []
        if self.duration_ms is not None:
            billed = f" (billed {self.billed_duration_ms:.0f} ms)" if self.billed_duration_ms is not None else ""
            parts.append(f"{self.duration_ms:.2f} ms{billed}")
        if self.max_memory_used_mb is not None:
            parts.append(f"{self.max_memory_used_mb}/{self.memory_size_mb} MB")
        parts.append(f"cold start, init {self.init_duration_ms:.2f} ms" if self.cold_start else "warm")
        if self.status:
            parts.append(f"status {self.status}")
        return "REPORT " + " · ".join(parts)


def parse_report(line: str) -> Report | None:
    """Parse a REPORT line; None if ``line`` is not one."""
    line = line.strip()
    m = _REPORT_RE.match(line)
    if not m:
        return None
    r = Report(request_id=m.group("rid"))
    for name, rx in _FIELDS.items():
        fm = rx.search(line)
        if fm:
            val = fm.group(1)
            setattr(r, name, int(val) if name.endswith("_mb") else float(val))
    sm = _STATUS_RE.search(line)
    if sm:
        r.status = sm.group(1)
    xm = _XRAY_RE.search(line)
    if xm:
        r.xray_trace_id = xm.group(1)
    return r


def format_report_line(request_id: str, duration_ms: float, memory_size_mb: int, max_memory_used_mb: int,
                       init_duration_ms: float | None = None, status: str | None = None) -> str:
    """The exact REPORT line Lambda writes (used by the local runner and the sandbox)."""
    import math

    billed = max(1, math.ceil(duration_ms))
    line = (f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed} ms\t"
            f"Memory Size: {memory_size_mb} MB\tMax Memory Used: {max_memory_used_mb} MB\t")
    if init_duration_ms is not None:
        line += f"Init Duration: {init_duration_ms:.2f} ms\t"
    if status:
        line += f"Status: {status}"
    return line


def report_from_platform(record: dict) -> Report | None:
    """A :class:`Report` from the ``record`` of a JSON-format ``platform.report`` event
    (``LoggingConfig.LogFormat = JSON``): ``{"requestId", "metrics": {"durationMs", ...}, "status"}``."""
    if not isinstance(record, dict) or not record.get("requestId"):
        return None
    m = record.get("metrics") if isinstance(record.get("metrics"), dict) else {}

    def num(key: str, kind=float):
        v = m.get(key)
        try:
            return kind(v) if v is not None else None
        except (TypeError, ValueError):
            return None

    status = record.get("status")
    r = Report(request_id=str(record["requestId"]),
               duration_ms=num("durationMs"), billed_duration_ms=num("billedDurationMs"),
               memory_size_mb=num("memorySizeMB", int), max_memory_used_mb=num("maxMemoryUsedMB", int),
               init_duration_ms=num("initDurationMs"), restore_duration_ms=num("restoreDurationMs"),
               status=None if status in (None, "success") else str(status))
    tracing = record.get("tracing") if isinstance(record.get("tracing"), dict) else {}
    if tracing.get("value"):
        r.xray_trace_id = str(tracing["value"]).split(";")[0].replace("Root=", "")
    return r
