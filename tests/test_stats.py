"""``lambdactl stats``: numbers from REPORT lines written into moto's CloudWatch Logs."""
from __future__ import annotations

import pytest

from tests.conftest import assert_clean_error
from tests.test_logs import invocation, now_ms, put


def rid(i: int) -> str:
    return f"{i:08d}-1111-2222-3333-444455556666"


def seed_known_data(boto, fn: str = "fn", base: int | None = None) -> None:
    """100 invocations over 4 streams: durations 1..100 ms, cold starts at i = 1, 11, ..., 91
    (init 100..1000 ms), 5 failed requests (3 of them timeouts), memory 1024 MB, max used 89 MB."""
    base = now_ms() - 30 * 60_000 if base is None else base
    streams: dict[str, list[tuple[int, str]]] = {}
    for i in range(1, 101):
        stream = f"2026/11/23/[$LATEST]{i % 4:032x}"
        cold = i % 10 == 1
        extra: list[str] = [f"[INFO]\t2026-11-23T15:00:00.000Z\t{rid(i)}\tworking on {i}"]
        status = None
        if i == 5:
            extra += [f"[ERROR]\t2026-11-23T15:00:00.000Z\t{rid(i)}\tfailed", "Traceback (most recent call last):\n  x"]
        if i == 6:
            extra += ["Traceback (most recent call last):\n  File \"app.py\"\nKeyError: 'x'"]   # no id: from START
        if i == 7:
            status = "timeout"
        if i == 8:
            extra += [f"2026-11-23T15:00:03.000Z {rid(i)} Task timed out after 3.00 seconds"]
            status = "timeout"
        if i == 9:
            extra += [f"2026-11-23T15:00:03.000Z {rid(i)} Task timed out after 3.00 seconds"]
        lines = invocation(rid(i), *extra, duration=float(i), init=100.0 * (i // 10 + 1) if cold else None,
                           status=status, mem=1024, used=40 + (i % 50))
        t = base + i * 1000
        streams.setdefault(stream, []).extend((t + k, line) for k, line in enumerate(lines))
    for stream, items in streams.items():
        put(boto, fn, stream, [m for _, m in items], ts=[t for t, _ in items])


def test_percentile_nearest_rank():
    from lambdactl.core.observe.stats import percentile

    data = [float(x) for x in range(100, 0, -1)]
    assert percentile(data, 50) == 50 and percentile(data, 90) == 90 and percentile(data, 99) == 99
    assert percentile(data, 100) == 100 and percentile([], 50) is None
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0 and percentile([1.0, 2.0, 3.0, 4.0], 51) == 3.0


def test_report_line_parsing_cold_warm_timeout():
    from lambdactl.core.observe.reportline import parse_report

    cold = parse_report("REPORT RequestId: 3f2a1b4c-0000-1111-2222-333344445555\tDuration: 12.34 ms\t"
                        "Billed Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 45 MB\t"
                        "Init Duration: 180.21 ms\t\nXRAY TraceId: 1-5e1b4151-5ac6c58f5b5dbd6a0c6f4fe6\t")
    assert cold.cold_start and cold.init_duration_ms == 180.21 and cold.duration_ms == 12.34
    assert cold.billed_duration_ms == 13 and cold.memory_size_mb == 128 and cold.max_memory_used_mb == 45
    assert cold.xray_trace_id == "1-5e1b4151-5ac6c58f5b5dbd6a0c6f4fe6" and cold.status is None
    assert "cold start, init 180.21 ms" in cold.summary()
    warm = parse_report("REPORT RequestId: 3f2a1b4c-0000-1111-2222-333344445555\tDuration: 1.50 ms\t"
                        "Billed Duration: 2 ms\tMemory Size: 256 MB\tMax Memory Used: 60 MB\t")
    assert not warm.cold_start and warm.init_duration_ms is None and "warm" in warm.summary()
    t = parse_report("REPORT RequestId: 3f2a1b4c-0000-1111-2222-333344445555\tDuration: 3000.00 ms\t"
                     "Billed Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 50 MB\tStatus: timeout")
    assert t.status == "timeout" and "status timeout" in t.summary()
    assert parse_report("START RequestId: x Version: $LATEST") is None


def test_stats_on_known_data(invoke_cli, boto, create_function):
    create_function("fn", MemorySize=1024)                 # x86_64
    seed_known_data(boto)
    put(boto, "fn", "2026/11/23/[$LATEST]old", invocation(rid(999), duration=5000.0),
        ts=now_ms() - 3 * 3600_000)                        # outside the default 1 h window
    r = invoke_cli("stats", "fn", "-o", "json")
    assert r.exit_code == 0, r.stderr
    d = r.json()
    assert d["function"] == "fn" and d["log_group"] == "/aws/lambda/fn"
    assert d["invocations"] == 100
    assert d["errors"] == 5 and d["error_pct"] == 5.0
    assert d["timeouts"] == 3
    assert d["cold_starts"] == 10 and d["cold_start_pct"] == 10.0
    assert d["duration_ms"] == {"p50": 50.0, "p90": 90.0, "p99": 99.0, "max": 100.0, "avg": 50.5}
    assert d["init_duration_ms"] == {"p50": 500.0, "max": 1000.0}
    m = d["memory"]
    assert m["configured_mb"] == 1024 and m["max_used_mb"] == 89 and m["suggested_mb"] == 128
    assert any("consider 128 MB" in h for h in d["hints"])
    c = d["cost_estimate"]
    assert c["estimate"] is True and c["architecture"] == "x86_64" and c["architecture_known"]
    gb_s = sum(i + 1 for i in range(1, 101)) / 1000.0        # billed ms (int(d)+1) x 1 GB
    assert c["gb_seconds"] == pytest.approx(gb_s)
    assert c["requests_usd"] == pytest.approx(100 * 0.20 / 1e6)
    assert c["compute_usd"] == pytest.approx(gb_s * 0.0000166667, rel=1e-6)
    assert c["total_usd"] == pytest.approx(c["requests_usd"] + c["compute_usd"])
    assert c["per_30_days_usd"] == pytest.approx(c["total_usd"] * 30 * 24, rel=1e-3)
    # A wider window includes the old invocation.
    d3 = invoke_cli("stats", "fn", "--since", "4h", "-o", "json").json()
    assert d3["invocations"] == 101 and d3["duration_ms"]["max"] == 5000.0
    # The table view says it is an estimate.
    r = invoke_cli("stats", "fn")
    assert r.exit_code == 0
    for text in ("invocations", "100", "p50 50.00 ms", "p99 99.00 ms", "10 (10%)", "cost estimate",
                 "max 89 MB of 1024 MB"):
        assert text in r.stdout, (text, r.stdout)


def test_arm64_is_cheaper(invoke_cli, boto, create_function):
    create_function("fx", MemorySize=1024)
    create_function("fa", MemorySize=1024, Architectures=["arm64"])
    seed_known_data(boto, "fx")
    seed_known_data(boto, "fa")
    x = invoke_cli("stats", "fx", "-o", "json").json()["cost_estimate"]
    a = invoke_cli("stats", "fa", "-o", "json").json()["cost_estimate"]
    assert a["architecture"] == "arm64" and x["architecture"] == "x86_64"
    assert a["gb_seconds"] == x["gb_seconds"]
    assert a["total_usd"] < x["total_usd"]
    assert a["compute_usd"] == pytest.approx(a["gb_seconds"] * 0.0000133334, rel=1e-6)


def test_stats_qualifier_and_deleted_function(invoke_cli, boto):
    put(boto, "gone", "2026/11/23/[3]aaaa", invocation(rid(1), duration=10.0, used=100, mem=128))
    put(boto, "gone", "2026/11/23/[$LATEST]bbbb", invocation(rid(2), duration=30.0, init=50.0) +
        invocation(rid(3), duration=20.0))
    d = invoke_cli("stats", "gone", "-o", "json").json()
    assert d["invocations"] == 3 and d["cold_starts"] == 1
    assert d["cost_estimate"]["architecture_known"] is False        # function gone: priced as x86_64
    d = invoke_cli("stats", "gone:3", "-o", "json").json()
    assert d["invocations"] == 1 and d["duration_ms"]["max"] == 10.0 and d["qualifier"] == "3"
    assert d["memory"]["max_used_pct"] == pytest.approx(78.1)
    assert d["memory"]["suggested_mb"] is None
    d = invoke_cli("stats", "gone", "--qualifier", "$LATEST", "-o", "json").json()
    assert d["invocations"] == 2 and d["duration_ms"]["p50"] == 20.0


def test_stats_near_memory_limit_and_empty_window(invoke_cli, boto):
    put(boto, "tight", "s", invocation(rid(1), mem=128, used=125))
    d = invoke_cli("stats", "tight", "-o", "json").json()
    assert any("close to the limit" in h for h in d["hints"])
    r = invoke_cli("stats", "tight", "--since", "3h", "--until", "2h", "-o", "json")
    assert r.exit_code == 0
    d = r.json()
    assert d["invocations"] == 0 and d["duration_ms"]["p50"] is None and d["cold_start_pct"] is None
    assert d["cost_estimate"]["total_usd"] == 0
    assert any("no REPORT lines" in h for h in d["hints"])


def test_stats_errors(invoke_cli, create_function):
    create_function("quiet")
    r = invoke_cli("stats", "quiet")
    assert_clean_error(r, 3, contains="has the function been invoked yet?")
    r = invoke_cli("stats", "quiet", "--since", "soon")
    assert_clean_error(r, 2, contains="--since")


def test_suggest_memory():
    from lambdactl.core.observe.stats import suggest_memory

    assert suggest_memory(45, 1024) == 128
    assert suggest_memory(300, 1024) == 448          # 300 * 1.3 = 390 → 448 (64 MB steps)
    assert suggest_memory(600, 1024) is None          # above half
    assert suggest_memory(20, 128) is None            # already the minimum


def test_report_line_accepts_any_non_blank_request_id():
    """Issue 17: the parser accepted only hexadecimal ids (the sandbox, other emulators and test
    harnesses write others)."""
    from lambdactl.core.observe.reportline import format_report_line, parse_report

    for rid in ("req-7", "sandbox_invocation.42", "zzzz-not-hex", "3f2a1b4c-0000-1111-2222-333344445555"):
        r = parse_report(format_report_line(rid, 12.5, 128, 40, status="error"))
        assert r is not None and r.request_id == rid and r.duration_ms == 12.5 and r.status == "error"
    assert parse_report("REPORT RequestId: \tDuration: 1.00 ms") is None
    assert parse_report("REPORT RequestId:") is None


def test_stats_counts_invocations_with_non_hex_request_ids(invoke_cli, boto):
    put(boto, "odd", "2026/11/23/[$LATEST]s", invocation("req-1", duration=5.0) +
        invocation("req-2", "[ERROR]\tboom", duration=7.0, status="error"))
    d = invoke_cli("stats", "odd", "-o", "json").json()
    assert d["invocations"] == 2 and d["errors"] == 1 and d["duration_ms"]["max"] == 7.0


def init_failure(rid: str, *, reprinted: bool = False) -> list[str]:
    """A module-load failure as Lambda (and the sandbox's local runner) logs it: INIT_START, the
    error (no request id: it happens before the invocation), INIT_REPORT Status: error, then the
    invocation's START/END/REPORT with Status: error. ``reprinted``: the runtime re-runs the init
    inside the invocation and prints the error again."""
    err = ["[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named 'requests'",
           "Traceback (most recent call last):"]
    lines = ["INIT_START Runtime Version: python:3.12.v40\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:x",
             *err,
             "INIT_REPORT Init Duration: 250.00 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError"]
    inv = invocation(rid, *(err if reprinted else []), duration=0.0, init=250.0, status="error")
    inv[-1] += "\tError Type: Runtime.ImportModuleError"
    return lines + inv


def test_init_failures_count_once_and_errors_never_exceed_invocations(invoke_cli, boto):
    """Issue 17: a module-load failure was counted twice (the anonymous init-phase error lines
    plus the REPORT's Status: error): 'invocations 7, errors 10 (142.9%)'. One invocation, one error."""
    t = now_ms() - 60_000
    a = init_failure(rid(1)) + init_failure(rid(2), reprinted=True) + invocation(rid(3))
    b = init_failure(rid(4)) + invocation(rid(5)) + invocation(rid(6), "[ERROR]\tfailed", status="error")
    # The window starts in the middle of an invocation: its START is outside, a traceback without
    # id and its REPORT are inside; then an init failure whose invocation is not in the window yet.
    c = ["Traceback (most recent call last):\n  File \"app.py\"\nKeyError: 'x'"] + [invocation(rid(7))[-1]]
    c += ["INIT_START Runtime Version: python:3.12.v40", "[ERROR] Runtime.ImportModuleError: nope",
          "INIT_REPORT Init Duration: 10.00 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError"]
    put(boto, "broken", "2026/11/23/[$LATEST]a", a, ts=t)
    put(boto, "broken", "2026/11/23/[$LATEST]b", b, ts=t + 1000)
    put(boto, "broken", "2026/11/23/[$LATEST]c", c, ts=t + 2000)
    d = invoke_cli("stats", "broken", "-o", "json").json()
    assert d["invocations"] == 7
    assert d["errors"] == 5, d          # 1, 2, 4 (init), 6 (handler), 7 (traceback before its REPORT)
    assert d["error_pct"] == pytest.approx(71.4)
    assert d["timeouts"] == 0 and d["cold_starts"] == 3
    r = invoke_cli("stats", "broken")
    assert r.exit_code == 0 and "5 (71.4%)" in r.stdout


def test_errors_never_exceed_invocations_for_any_window(invoke_cli, boto):
    """Every window over the same logs: errors and timeouts are at most the invocations."""
    t = now_ms() - 120_000
    lines = []
    for i in range(1, 6):
        lines += init_failure(rid(i), reprinted=i % 2 == 0)
        lines += ["[ERROR] stray line with no request", f"2026-11-23T15:00:03.000Z Task timed out after 3.00 seconds"]
    put(boto, "w", "2026/11/23/[$LATEST]a", lines, ts=[t + 1000 * k for k in range(len(lines))])
    import datetime as _dt

    for start in range(0, len(lines), 5):
        for end in range(start + 1, len(lines) + 1, 7):
            since = _dt.datetime.fromtimestamp((t + 1000 * start) / 1000, _dt.timezone.utc).isoformat()
            until = _dt.datetime.fromtimestamp((t + 1000 * end) / 1000, _dt.timezone.utc).isoformat()
            d = invoke_cli("stats", "w", "--since", since, "--until", until, "-o", "json").json()
            assert d["errors"] <= d["invocations"] and d["timeouts"] <= d["errors"], (start, end, d)
