"""``lambdactl logs``: windows, filters, qualifiers, rendering, retention, and the follow loop.

Events are written with put_log_events into ``/aws/lambda/<fn>`` streams on the moto server.

moto 5.2 FilterLogEvents quirks (read in moto/logs/models.py and utils.py), which the code copes with:
- ``logStreamNamePrefix`` is ignored: the prefix (and the qualifier bracket) is checked locally too;
- events are grouped by stream unless ``interleaved=True`` (AWS always interleaves): we pass it;
- ``nextToken`` is ``group@stream@eventId`` of the page's last event, looked up again in the
  recomputed result list: events that land before that position between two pages are skipped
  in that pass (the overlap re-read of the next poll catches them);
- a page is never empty while carrying a token (AWS can do that): covered with a Stubber test;
- filter patterns: single terms / quoted phrases only; anything else (``?A ?B``, JSON) matches all;
- iterating the streams dict while another request creates a stream can fail with a 500: the
  follow loop treats 5xx as transient and polls again.
"""
from __future__ import annotations

import collections
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.conftest import FAKE_ENV, assert_clean_error

RID1 = "8f5e3a2b-1111-2222-3333-444455556666"
RID2 = "aaaabbbb-1111-2222-3333-444455556666"
LATEST = "2026/11/23/[$LATEST]0123456789abcdef"


def now_ms() -> int:
    return int(time.time() * 1000)


def put(boto, fn: str, stream: str, messages, ts: int | list[int] | None = None,
        group: str | None = None) -> None:
    """Write messages (one event each) into a stream of the function's group (created if needed)."""
    logs = boto("logs")
    group = group or f"/aws/lambda/{fn}"
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    try:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    base = now_ms() - 1000 if ts is None else ts
    stamps = base if isinstance(base, list) else [base + i for i in range(len(messages))]
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": t, "message": m} for t, m in zip(stamps, messages)])


def invocation(rid: str, *lines: str, duration=12.34, init=None, status=None, mem=128, used=45) -> list[str]:
    report = (f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms\t"
              f"Memory Size: {mem} MB\tMax Memory Used: {used} MB\t")
    if init is not None:
        report += f"Init Duration: {init:.2f} ms\t"
    if status:
        report += f"Status: {status}"
    return [f"START RequestId: {rid} Version: $LATEST", *lines, f"END RequestId: {rid}", report]


# --- showing a window ---------------------------------------------------------------------------

def test_tail_renders_lines_and_hides_start_end(invoke_cli, boto):
    put(boto, "fn", LATEST, invocation(
        RID1, f"[INFO]\t2026-11-23T15:00:00.000Z\t{RID1}\thello world\n", "a plain print\n",
        f"[ERROR]\t2026-11-23T15:00:00.000Z\t{RID1}\tsomething failed\n", init=180.21))
    r = invoke_cli("logs", "fn", "--utc")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 4, r.stdout           # START and END hidden
    assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z  8f5e3a2b  ", line) for line in lines), lines
    assert lines[0].endswith("hello world")
    assert lines[1].endswith("a plain print")          # no request id in the line: taken from START
    assert lines[2].endswith("[ERROR] something failed")
    assert "REPORT 12.34 ms (billed 13 ms)" in lines[3] and "45/128 MB" in lines[3]
    assert "cold start, init 180.21 ms" in lines[3]
    assert "\x1b[" not in r.stdout                      # no colour off a TTY
    assert "START RequestId" not in r.stdout
    r = invoke_cli("logs", "fn", "-v")
    assert r.exit_code == 0
    assert "START RequestId: " + RID1 in r.stdout and "END RequestId: " + RID1 in r.stdout
    # Local time by default: no trailing Z.
    r = invoke_cli("logs", "tail", "fn")
    first = r.stdout.splitlines()[0]
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}  8f5e3a2b  hello world$", first), first


def test_json_output_is_jsonl_with_parsed_fields(invoke_cli, boto):
    t0 = now_ms() - 5000
    put(boto, "fn", LATEST, invocation(RID1, "hi", duration=3000, status="timeout"), ts=t0)
    r = invoke_cli("logs", "fn", "-o", "json")
    assert r.exit_code == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    assert [e["type"] for e in events] == ["start", "log", "end", "report"]
    assert all(e["request_id"] == RID1 and e["stream"] == LATEST for e in events)
    assert events[0]["timestamp"] == dt.datetime.fromtimestamp(t0 / 1000, dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.") + f"{t0 % 1000:03d}Z"
    assert events[1]["message"] == "hi" and events[1]["report"] is None
    assert len({e["event_id"] for e in events}) == 4
    rep = events[3]["report"]
    assert rep["duration_ms"] == 3000.0 and rep["status"] == "timeout" and rep["cold_start"] is False
    assert rep["memory_size_mb"] == 128 and rep["max_memory_used_mb"] == 45


def test_filter_pattern_and_grep(invoke_cli, boto):
    put(boto, "fn", LATEST, ["alpha one", "beta two", "alpha three", "ERROR gamma", "error delta"])
    r = invoke_cli("logs", "fn", "--filter", "alpha", "-o", "json")
    assert [json.loads(x)["message"] for x in r.stdout.splitlines()] == ["alpha one", "alpha three"]
    r = invoke_cli("logs", "fn", "--filter", '"alpha three"', "-o", "json")
    assert [json.loads(x)["message"] for x in r.stdout.splitlines()] == ["alpha three"]
    r = invoke_cli("logs", "fn", "--grep", "(?i)^error", "-o", "json")
    assert [json.loads(x)["message"] for x in r.stdout.splitlines()] == ["ERROR gamma", "error delta"]
    r = invoke_cli("logs", "fn", "--grep", "(unclosed")
    assert_clean_error(r, 2, contains="--grep")


def test_since_and_until_select_the_window(invoke_cli, boto):
    n = now_ms()
    put(boto, "fn", LATEST, ["two hours ago"], ts=n - 2 * 3600_000)
    put(boto, "fn", LATEST, ["thirty minutes ago"], ts=n - 30 * 60_000)
    put(boto, "fn", LATEST, ["five minutes ago"], ts=n - 5 * 60_000)

    def msgs(*args):
        r = invoke_cli("logs", "fn", *args, "-o", "json")
        assert r.exit_code == 0, r.stderr
        return [json.loads(x)["message"] for x in r.stdout.splitlines()]

    assert msgs() == ["five minutes ago"]                          # default --since 10m
    assert msgs("--since", "1h") == ["thirty minutes ago", "five minutes ago"]
    assert msgs("--since", "3h") == ["two hours ago", "thirty minutes ago", "five minutes ago"]
    assert msgs("--since", "1h30m", "--until", "10m") == ["thirty minutes ago"]
    iso = lambda ms: dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert msgs("--since", iso(n - 3 * 3600_000), "--until", iso(n - 3600_000)) == ["two hours ago"]
    r = invoke_cli("logs", "fn", "--since", "yesterday-ish")
    assert_clean_error(r, 2, contains="--since")
    r = invoke_cli("logs", "fn", "--since", "10m", "--until", "1h")
    assert_clean_error(r, 2, contains="not after")
    r = invoke_cli("logs", "fn", "-f", "--until", "1m")
    assert_clean_error(r, 2, contains="--follow")


def test_qualifier_selects_version_streams(invoke_cli, boto, create_function):
    create_function("fn")
    boto("lambda").publish_version(FunctionName="fn")
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    put(boto, "fn", "2026/11/23/[$LATEST]aaaa", ["from latest"])
    put(boto, "fn", "2026/11/23/[1]bbbb", ["from version 1"])
    put(boto, "fn", "2026/11/23/[17]cccc", ["from version 17"])

    def msgs(*args):
        r = invoke_cli("logs", *args, "-o", "json")
        assert r.exit_code == 0, r.stderr
        return [json.loads(x)["message"] for x in r.stdout.splitlines()]

    assert msgs("fn") == ["from latest", "from version 1", "from version 17"]
    assert msgs("fn", "--qualifier", "1") == ["from version 1"]           # not [17]
    assert msgs("fn:1") == ["from version 1"]
    assert msgs("fn", "--qualifier", "$LATEST") == ["from latest"]
    assert msgs("fn:live") == ["from version 1"]                           # alias → its version
    assert msgs("fn", "--stream", "2026/11/23/[17]") == ["from version 17"]
    r = invoke_cli("logs", "fn", "--qualifier", "nope")
    assert_clean_error(r, 3, contains="alias not found")
    r = invoke_cli("logs", "fn:1", "--qualifier", "2")
    assert_clean_error(r, 2, contains="two qualifiers")


def test_limit_keeps_the_newest_visible_lines(invoke_cli, boto):
    lines = []
    for i in range(5):
        lines += invocation(f"0000000{i}-1111-2222-3333-444455556666", f"line {i}")
    put(boto, "fn", LATEST, lines)
    r = invoke_cli("logs", "fn", "-n", "3")
    out = r.stdout.splitlines()
    assert len(out) == 3, out                 # START/END are hidden, so they do not count
    assert "REPORT" in out[0] and out[0].split()[2] == "00000003"
    assert out[1].endswith("line 4") and "REPORT" in out[2]
    r = invoke_cli("logs", "fn", "--limit", "2", "-o", "json")
    assert [json.loads(x)["type"] for x in r.stdout.splitlines()] == ["end", "report"]
    r = invoke_cli("logs", "fn", "--limit", "0")
    assert_clean_error(r, 2, contains="--limit")
    assert "hint: e.g. --limit 50" in r.stderr          # review fix: every usage error has a hint
    r = invoke_cli("logs", "fn", "-f", "--poll-interval", "0")
    assert_clean_error(r, 2, contains="--poll-interval")
    assert "hint: the default is 1 s" in r.stderr


def test_json_messages_pretty_compact_raw(invoke_cli, boto):
    body = {"order": 42, "items": [1, 2]}
    put(boto, "fn", LATEST, [f"[INFO]\t2026-11-23T15:00:00.000Z\t{RID1}\t{json.dumps(body)}"])
    r = invoke_cli("logs", "fn", "--json-format", "compact")
    assert r.stdout.rstrip().endswith('{"order":42,"items":[1,2]}'), r.stdout
    r = invoke_cli("logs", "fn", "--json-format", "pretty")
    lines = r.stdout.splitlines()
    assert lines[0].endswith("{") and lines[1].strip() == '"order": 42,' and lines[-1].strip() == "}"
    assert lines[1].startswith(" " * 30)                  # continuation lines stay under the message
    r = invoke_cli("logs", "fn", "--json-format", "raw")
    assert r.stdout.rstrip().endswith(f"[INFO]\t2026-11-23T15:00:00.000Z\t{RID1}\t{json.dumps(body)}")
    r = invoke_cli("logs", "fn", "--json-format", "yaml")
    assert_clean_error(r, 2, contains="pretty")
    r = invoke_cli("logs", "fn")                           # not a TTY: compact by default
    assert r.stdout.rstrip().endswith('{"order":42,"items":[1,2]}')


def test_error_lines_are_highlighted_on_a_tty():
    from lambdactl.core.observe.logs import Renderer, parse_event

    r = Renderer(utc=True, json_format="compact", style=lambda t, c: f"<{c}>{t}" if c else t)
    for msg, color in [(f"[ERROR]\t2026-11-23T15:00:00.000Z\t{RID1}\tboom", "red"),
                       ("Traceback (most recent call last):\n  File x", "red"),
                       ("ValueError: bad input", "red"),
                       (f"2026-11-23T15:00:00.000Z\t{RID1}\tERROR\tInvoke Error", "red"),
                       (f"[WARNING]\t2026-11-23T15:00:00.000Z\t{RID1}\tcareful", "yellow"),
                       ("all good", None),
                       (invocation(RID1, init=5.0)[-1], "yellow"),
                       (invocation(RID1)[-1], "cyan"),
                       (invocation(RID1, status="timeout")[-1], "red")]:
        ev = parse_event({"timestamp": 0, "message": msg, "logStreamName": "s", "eventId": "1"})
        line = r.render(ev)
        assert (f"<{color}>" in line) if color else ("<red>" not in line and "<yellow>" not in line), (msg, line)


def test_parse_event_formats():
    from lambdactl.core.observe.logs import RequestContext, parse_event

    ctx = RequestContext()

    def ev(msg, stream="s"):
        return parse_event({"timestamp": 1, "message": msg, "logStreamName": stream, "eventId": "1"}, ctx)

    assert ev(f"START RequestId: {RID1} Version: 7").type == "start"
    e = ev("print without id")
    assert e.request_id == RID1 and not e.error
    assert ev("other stream line", stream="t").request_id is None
    e = ev(f"2026-11-23T15:00:03.000Z {RID1} Task timed out after 3.00 seconds")
    assert e.type == "timeout" and e.error and e.request_id == RID1
    e = ev(f"2026-11-23T15:00:00.000Z\t{RID2}\tINFO\tnode says hi")
    assert e.level == "INFO" and e.request_id == RID2 and e.body == "node says hi"
    e = ev(json.dumps({"timestamp": "2026-11-23T15:00:00Z", "level": "ERROR", "message": "json log",
                       "requestId": RID2}))
    assert e.error and e.level == "ERROR" and e.request_id == RID2
    e = ev(json.dumps({"time": "2026-11-23T15:00:00Z", "type": "platform.report",
                       "record": {"requestId": RID2, "status": "timeout",
                                  "metrics": {"durationMs": 3000.5, "billedDurationMs": 3001,
                                              "memorySizeMB": 256, "maxMemoryUsedMB": 80,
                                              "initDurationMs": 200.0}}}))
    assert e.type == "report" and e.report.duration_ms == 3000.5 and e.report.cold_start
    assert e.report.status == "timeout" and e.report.memory_size_mb == 256 and e.error
    assert ev(json.dumps({"time": "x", "type": "platform.start", "record": {"requestId": RID2}})).hidden_by_default
    assert ctx.current("s") == RID2
    e = ev(invocation(RID2)[-1])
    assert e.type == "report" and ctx.current("s") is None


def test_time_parsing():
    from lambdactl.core.observe.logs import parse_duration, parse_time
    from lambdactl.errors import UsageError

    now = 1_700_000_000.0
    assert parse_time("10m", now=now) == int((now - 600) * 1000)
    assert parse_time("2h", now=now) == int((now - 7200) * 1000)
    assert parse_time("1d", now=now) == int((now - 86400) * 1000)
    assert parse_time("1h30m", now=now) == int((now - 5400) * 1000)
    assert parse_time("now", now=now) == int(now * 1000)
    assert parse_time("2023-11-14T22:13:20Z", now=now) == 1_700_000_000_000
    assert parse_time("2023-11-14T23:13:20+01:00") == 1_700_000_000_000
    assert parse_time("2023-11-14 22:13:20", utc=True) == 1_700_000_000_000
    assert parse_duration("90s") == 90
    for bad in ("", "10", "5x", "ten minutes", "2023-13-45"):
        with pytest.raises(UsageError):
            parse_time(bad, now=now)


# --- errors -------------------------------------------------------------------------------------

def test_missing_log_group_exits_3_with_hint(invoke_cli, create_function):
    create_function("never-invoked")
    r = invoke_cli("logs", "never-invoked")
    assert_clean_error(r, 3, contains="has the function been invoked yet?")
    assert "/aws/lambda/never-invoked" in r.stderr
    r = invoke_cli("logs", "no-such-fn")
    assert_clean_error(r, 3, contains="does not exist")
    # -f waits for the group of an existing function (test_follow_waits_for_the_log_group...), but
    # not for a function that does not exist: a typo must not hang a script.
    r = invoke_cli("logs", "no-such-fn", "-f")
    assert_clean_error(r, 3, contains="does not exist")


def test_logs_of_a_deleted_function_still_readable(invoke_cli, boto):
    put(boto, "gone", LATEST, ["last words"])
    r = invoke_cli("logs", "gone", "-o", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["message"] == "last words"


def test_access_denied_names_logs_filterlogevents():
    """moto does not enforce IAM: botocore's Stubber answers FilterLogEvents (that call only)."""
    from botocore.stub import Stubber

    from lambdactl.aws import AwsSession
    from lambdactl.core.observe.logs import Query, fetch
    from lambdactl.errors import OperationError

    aws = AwsSession()
    client = aws.client("logs")
    with Stubber(client) as stub:
        stub.add_client_error("filter_log_events", "AccessDeniedException", "not authorized", 400)
        with pytest.raises(OperationError) as info:
            list(fetch(aws, Query("/aws/lambda/fn"), 0, None))
    assert "logs:FilterLogEvents" in info.value.hint


def test_custom_log_group_from_logging_config():
    """moto 5.2 does not store LoggingConfig: botocore's Stubber answers GetFunctionConfiguration."""
    from botocore.stub import Stubber

    from lambdactl.aws import AwsSession
    from lambdactl.core.observe.logs import resolve_log_group

    aws = AwsSession()
    lam = aws.client("lambda")
    with Stubber(lam) as stub:
        stub.add_response("get_function_configuration",
                          {"FunctionName": "fn", "LoggingConfig": {"LogFormat": "JSON", "LogGroup": "/shared/app"}},
                          {"FunctionName": "fn"})
        stub.add_response("get_function_configuration", {"FunctionName": "fn"}, {"FunctionName": "fn"})
        stub.add_client_error("get_function_configuration", "ResourceNotFoundException", "nope", 404)
        t = resolve_log_group(aws, "fn")
        assert t.log_group == "/shared/app" and t.custom_group and t.function_exists
        assert resolve_log_group(aws, "fn").log_group == "/aws/lambda/fn"
        t = resolve_log_group(aws, "fn")
        assert t.log_group == "/aws/lambda/fn" and not t.function_exists


# --- retention ----------------------------------------------------------------------------------

def test_retention_show_set_unchanged_invalid(invoke_cli, boto):
    put(boto, "fn", LATEST, ["x"])
    r = invoke_cli("logs", "retention", "fn", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["retention_days"] is None and r.json()["retention"] == "never expire"
    r = invoke_cli("logs", "retention", "fn", "--days", "14", "-o", "json")
    assert r.exit_code == 0 and r.json()["status"] == "updated"
    assert boto("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/fn")["logGroups"][0]["retentionInDays"] == 14
    r = invoke_cli("logs", "retention", "fn", "--days", "14")
    assert r.exit_code == 0 and "unchanged" in r.stderr
    r = invoke_cli("logs", "retention", "fn")
    assert "14 days" in r.stdout
    r = invoke_cli("-q", "logs", "retention", "fn")
    assert r.stdout.strip() == "14"
    r = invoke_cli("logs", "retention", "fn", "--days", "15")
    assert_clean_error(r, 2, contains="3653")
    assert "1, 3, 5, 7, 14, 30" in r.stderr
    r = invoke_cli("logs", "retention", "fn", "--days", "lots")
    assert_clean_error(r, 2)
    assert boto("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/fn")["logGroups"][0]["retentionInDays"] == 14
    r = invoke_cli("logs", "retention", "fn", "--days", "never", "-o", "json")
    assert r.exit_code == 0 and r.json()["status"] == "updated"
    assert "retentionInDays" not in boto("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/fn")["logGroups"][0]


def test_retention_missing_group(invoke_cli, boto, create_function):
    r = invoke_cli("logs", "retention", "ghost")
    assert_clean_error(r, 3, contains="/aws/lambda/ghost")
    r = invoke_cli("logs", "retention", "ghost", "--days", "7")
    assert_clean_error(r, 3)
    create_function("fresh")
    r = invoke_cli("logs", "retention", "fresh")
    assert_clean_error(r, 3, contains="has the function been invoked yet?")
    r = invoke_cli("logs", "retention", "fresh", "--days", "30", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "created" and r.json()["retention_days"] == 30
    assert boto("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/fresh")["logGroups"][0]["retentionInDays"] == 30


# --- follow -------------------------------------------------------------------------------------

def _session():
    from lambdactl.aws import AwsSession

    return AwsSession()


def test_follow_5000_events_each_exactly_once_in_order(boto):
    """A writer adds 5,000 events over 8 streams (streams created while following, 25 events per
    millisecond, one stream writing 1.5 s in the past like a slow delivery); the tail prints each
    exactly once and in order per stream."""
    from lambdactl.core.observe.logs import Query, follow

    group = "/aws/lambda/busy"
    logs = boto("logs")
    logs.create_log_group(logGroupName=group)
    total, per_put, n_streams = 5000, 25, 8
    written: dict[str, list[int]] = collections.defaultdict(list)
    errors: list[BaseException] = []
    done = threading.Event()

    def writer():
        try:
            streams: list[str] = []
            last_ts: dict[str, int] = {}
            i = 0
            while i < total:
                if len(streams) < n_streams and i >= len(streams) * (total // (n_streams * 2)):
                    name = f"2026/11/23/[$LATEST]{len(streams):032x}"
                    logs.create_log_stream(logGroupName=group, logStreamName=name)
                    streams.append(name)
                for k, name in enumerate(streams):
                    if i >= total:
                        break
                    lag = 1500 if k == 1 else 0               # this environment's lines arrive late
                    ts = max(last_ts.get(name, 0), now_ms() - lag)
                    last_ts[name] = ts
                    batch = []
                    for _ in range(min(per_put, total - i)):
                        seq = len(written[name])
                        written[name].append(seq)
                        batch.append({"timestamp": ts, "message": f"{name} seq={seq}"})
                        i += 1
                    logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=batch)
                time.sleep(0.005)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            done.set()

    stop = threading.Event()
    got = []
    query = Query(group)

    def stopper():
        done.wait(60)
        deadline = time.monotonic() + 60     # returns as soon as everything arrived
        while len(got) < total and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)          # a few more polls: anything printed twice would show up now
        stop.set()

    w = threading.Thread(target=writer, daemon=True)
    s = threading.Thread(target=stopper, daemon=True)
    start = now_ms() - 60_000
    w.start()
    s.start()
    for ev in follow(_session(), query, start, stop=stop, poll_interval=0.1):
        got.append(ev)
    w.join(5)
    assert not errors, errors
    keys = [(e.stream, e.event_id) for e in got]
    assert len(keys) == len(set(keys)), "an event was printed twice"
    assert len(got) == total, f"{total - len(got)} events missing"
    per_stream: dict[str, list[int]] = collections.defaultdict(list)
    for e in got:
        name, seq = e.message.rsplit(" seq=", 1)
        assert name == e.stream
        per_stream[name].append(int(seq))
    assert len(per_stream) == n_streams
    for name, seqs in per_stream.items():
        assert seqs == written[name], f"stream {name}: out of order or incomplete"
    # The overlap really re-read events (and they were dropped), and the tail polled repeatedly.
    assert query.stats["duplicates_dropped"] > 0
    assert query.stats["calls"] >= 5


def test_follow_follows_next_token_through_empty_pages():
    """AWS may return empty pages that still carry a nextToken; moto never does, so botocore's
    Stubber answers FilterLogEvents here (that call only)."""
    from botocore.stub import ANY, Stubber

    from lambdactl.core.observe.logs import Query, follow_batches

    aws = _session()
    client = aws.client("logs")
    t = now_ms()

    def evt(i, ts):
        return {"logStreamName": "s", "eventId": str(i), "timestamp": ts, "message": f"m{i}", "ingestionTime": ts}

    stop = threading.Event()
    with Stubber(client) as stub:
        # poll 1: [e0,e1] + token → [] + token → [] + token → [e2] (no token)
        stub.add_response("filter_log_events", {"events": [evt(0, t), evt(1, t)], "nextToken": "a"},
                          {"logGroupName": "g", "interleaved": True, "startTime": t - 1000})
        stub.add_response("filter_log_events", {"events": [], "nextToken": "b"},
                          {"logGroupName": "g", "interleaved": True, "startTime": t - 1000, "nextToken": "a"})
        stub.add_response("filter_log_events", {"events": [], "nextToken": "c"},
                          {"logGroupName": "g", "interleaved": True, "startTime": t - 1000, "nextToken": "b"})
        stub.add_response("filter_log_events", {"events": [evt(2, t)]},
                          {"logGroupName": "g", "interleaved": True, "startTime": t - 1000, "nextToken": "c"})
        # poll 2 re-reads the overlap: the same three events plus a new one at the same millisecond
        stub.add_response("filter_log_events", {"events": [evt(0, t), evt(1, t), evt(2, t), evt(3, t)]},
                          {"logGroupName": "g", "interleaved": True, "startTime": ANY})
        query = Query("g")
        gen = follow_batches(aws, query, t - 1000, stop=stop, poll_interval=0.01, clock=lambda: t / 1000 + 1)
        b1 = next(gen)
        b2 = next(gen)
        stop.set()
        stub.assert_no_pending_responses()
    assert [e.message for e in b1] == ["m0", "m1", "m2"]
    assert [e.message for e in b2] == ["m3"]
    assert query.stats["pages_empty_with_token"] == 2 and query.stats["duplicates_dropped"] == 3


def test_follow_pages_through_moto_with_small_pages(boto):
    """nextToken pagination against moto itself (static data, page size 7)."""
    from lambdactl.core.observe.logs import Query, fetch, follow_batches

    t = now_ms() - 2000
    put(boto, "fn", "2026/11/23/[$LATEST]a", [f"a{i}" for i in range(20)], ts=[t] * 20)
    put(boto, "fn", "2026/11/23/[$LATEST]b", [f"b{i}" for i in range(13)], ts=[t] * 13)
    aws = _session()
    q = Query("/aws/lambda/fn", page_size=7)
    msgs = [e.message for e in fetch(aws, q, t - 10, None)]
    assert sorted(msgs) == sorted([f"a{i}" for i in range(20)] + [f"b{i}" for i in range(13)])
    assert q.stats["calls"] == 5
    stop = threading.Event()
    q2 = Query("/aws/lambda/fn", page_size=7)
    gen = follow_batches(aws, q2, t - 10, stop=stop, poll_interval=0.01)
    first, second = next(gen), next(gen)
    stop.set()
    assert len(first) == 33 and second == []


def test_follow_cli_prints_new_events_and_ctrl_c_exits_130(boto, moto_endpoint):
    """``python -m lambdactl logs fn -f`` in a subprocess: a new event appears, then SIGINT → 130."""
    put(boto, "fn", LATEST, ["before the tail"])
    env = {**os.environ, **FAKE_ENV, "AWS_ENDPOINT_URL": moto_endpoint}
    proc = subprocess.Popen([sys.executable, "-m", "lambdactl", "logs", "fn", "-f", "--poll-interval", "0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []

    def read():
        for line in proc.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60     # returns as soon as the line is there
        while not any("before the tail" in x for x in lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any("before the tail" in x for x in lines), lines
        put(boto, "fn", "2026/11/23/[$LATEST]new-stream", ["after the tail started"], ts=now_ms())
        while not any("after the tail started" in x for x in lines) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert any("after the tail started" in x for x in lines), lines    # a new stream is followed
        proc.send_signal(signal.SIGINT)
        proc.wait(15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(5)
    err = proc.stderr.read()
    assert proc.returncode == 130, (proc.returncode, err)
    assert "Traceback" not in err
    assert sum(1 for x in err.splitlines() if x.startswith("error:")) == 1, err
    assert "interrupted" in err
    assert sum(1 for x in lines if "before the tail" in x) == 1


def test_follow_window_advances_when_nothing_matches(boto):
    """With a qualifier that matches no stream (or no events at all), the polls do not keep
    re-reading the whole --since window: the start moves up to (newest read or now) - overlap."""
    from lambdactl.core.observe.logs import DEFAULT_OVERLAP_MS, Query, follow_batches, stream_matcher

    n = now_ms()
    put(boto, "fn", LATEST, ["latest only"], ts=n - 1000)
    put(boto, "empty", LATEST, ["old"], ts=n - 3600_000)
    aws = _session()
    starts: list[int] = []
    aws.client("logs").meta.events.register(
        "provide-client-params.logs.FilterLogEvents", lambda params, **_: starts.append(params["startTime"]))
    since = n - 600_000
    for group, match in (("/aws/lambda/fn", stream_matcher(["[7]"])), ("/aws/lambda/empty", None)):
        starts.clear()
        stop = threading.Event()
        gen = follow_batches(aws, Query(group, match=match), since, stop=stop, poll_interval=0.01)
        assert next(gen) == [] and next(gen) == [] and next(gen) == []
        stop.set()
        assert starts[0] == since
        assert starts[1] >= n - 1000 - DEFAULT_OVERLAP_MS - 50, (group, starts)
        assert starts == sorted(starts)


def test_platform_lines_with_any_request_id_and_failed_init():
    """START/END with a non-hexadecimal request id keep their id (lines without one are tied to
    it); an INIT_REPORT with Status: error is an error line (text and JSON log formats)."""
    from lambdactl.core.observe.logs import RequestContext, parse_event

    ctx = RequestContext()
    ev = lambda m: parse_event({"message": m, "logStreamName": "s", "eventId": "1", "timestamp": 1}, ctx)  # noqa: E731
    start = ev("START RequestId: req-42 Version: $LATEST")
    assert start.type == "start" and start.request_id == "req-42"
    line = ev("Traceback (most recent call last):")
    assert line.request_id == "req-42" and line.error
    assert ev("REPORT RequestId: req-42\tDuration: 1.00 ms\tStatus: error").report.request_id == "req-42"
    failed = ev("INIT_REPORT Init Duration: 250.00 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError")
    assert failed.type == "platform" and failed.error and failed.request_id is None
    ok = ev("INIT_REPORT Init Duration: 250.00 ms\tPhase: init\tStatus: success")
    assert ok.type == "platform" and not ok.error
    j = ev(json.dumps({"type": "platform.initReport", "record": {"initializationType": "on-demand",
                                                                 "phase": "init", "status": "error"}}))
    assert j.type == "platform" and j.error


def _spawn_follow(moto_endpoint, *args):
    env = {**os.environ, **FAKE_ENV, "AWS_ENDPOINT_URL": moto_endpoint}
    proc = subprocess.Popen([sys.executable, "-m", "lambdactl", "logs", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out: list[str] = []
    err: list[str] = []
    for stream, sink in ((proc.stdout, out), (proc.stderr, err)):
        threading.Thread(target=lambda s=stream, k=sink: [k.append(line) for line in s], daemon=True).start()
    return proc, out, err


def _wait_for(pred, timeout=60.0) -> bool:
    deadline = time.monotonic() + timeout
    while not pred() and time.monotonic() < deadline:
        time.sleep(0.05)
    return pred()


def test_follow_waits_for_the_log_group_of_a_new_function(boto, moto_endpoint, create_function):
    """Issue 17: 'logs FUNCTION -f' before the first invocation exited 3. It now says once on
    stderr that it waits for the group, then follows normally once the group appears; Ctrl-C → 130."""
    create_function("fresh")
    proc, out, err = _spawn_follow(moto_endpoint, "fresh", "-f", "--poll-interval", "0.2")
    try:
        assert _wait_for(lambda: any("waiting for log group /aws/lambda/fresh" in x for x in err)), err
        time.sleep(1.0)                                   # several polls of the missing group
        assert proc.poll() is None, err                   # still running
        put(boto, "fresh", LATEST, ["first invocation"], ts=now_ms())
        assert _wait_for(lambda: any("first invocation" in x for x in out)), (out, err)
        put(boto, "fresh", "2026/11/23/[$LATEST]second", ["second stream"], ts=now_ms())
        assert _wait_for(lambda: any("second stream" in x for x in out)), (out, err)
        proc.send_signal(signal.SIGINT)
        proc.wait(15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    time.sleep(0.2)
    text = "".join(err)
    assert proc.returncode == 130, (proc.returncode, text)
    assert "Traceback" not in text
    assert sum(1 for x in err if "waiting for log group" in x) == 1, text       # said once
    assert sum(1 for x in err if x.startswith("error:")) == 1, text
    assert sum(1 for x in out if "first invocation" in x) == 1


def test_ctrl_c_while_waiting_for_the_log_group_exits_130(moto_endpoint, create_function):
    create_function("fresh")
    proc, out, err = _spawn_follow(moto_endpoint, "fresh", "-f", "-o", "json", "--poll-interval", "0.2")
    try:
        assert _wait_for(lambda: any("waiting for log group" in x for x in err)), err
        proc.send_signal(signal.SIGINT)
        proc.wait(15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    time.sleep(0.2)
    text = "".join(err)
    assert proc.returncode == 130, (proc.returncode, text)
    assert "Traceback" not in text and out == []
    errors = [x for x in err if x.startswith("error:")]
    assert len(errors) == 1 and "interrupted" in errors[0] and "/aws/lambda/fresh" in errors[0], text


def test_follow_batches_waits_while_the_group_is_missing(boto, create_function):
    """The core loop: a missing group calls on_missing_group once and yields empty polls until
    the group appears; without the callback the missing group is still an error (exit 3)."""
    from lambdactl.core.observe.logs import Query, follow_batches
    from lambdactl.errors import NotFoundError

    aws = _session()
    t = now_ms()
    with pytest.raises(NotFoundError):
        next(follow_batches(aws, Query("/aws/lambda/later"), t - 1000, poll_interval=0.01))
    calls: list[int] = []
    stop = threading.Event()
    gen = follow_batches(aws, Query("/aws/lambda/later"), t - 1000, stop=stop, poll_interval=0.01,
                         on_missing_group=lambda: calls.append(1))
    assert next(gen) == [] and next(gen) == [] and next(gen) == []
    assert calls == [1]
    put(boto, "later", LATEST, ["hello"], ts=now_ms())
    batches = [next(gen) for _ in range(3)]
    stop.set()
    assert [e.message for b in batches for e in b] == ["hello"]
    assert calls == [1]


def test_pages_stop_on_a_repeated_token():
    """botocore's paginator (issue 17: no hand-written nextToken loop) stops when a server sends
    the same nextToken twice, instead of polling forever. moto never repeats a token, so botocore's
    Stubber answers FilterLogEvents and DescribeLogGroups here (those calls only)."""
    from botocore.stub import Stubber

    from lambdactl.core.observe.logs import Query, fetch
    from lambdactl.core.observe.retention import describe_group

    aws = _session()
    client = aws.client("logs")

    def evt(i):
        return {"logStreamName": "s", "eventId": str(i), "timestamp": 1000 + i, "message": f"m{i}"}

    with Stubber(client) as stub:
        stub.add_response("filter_log_events", {"events": [evt(0)], "nextToken": "same"},
                          {"logGroupName": "g", "interleaved": True, "startTime": 0, "limit": 2})
        stub.add_response("filter_log_events", {"events": [evt(1)], "nextToken": "same"},
                          {"logGroupName": "g", "interleaved": True, "startTime": 0, "limit": 2, "nextToken": "same"})
        q = Query("g", page_size=2)
        assert [e.message for e in fetch(aws, q, 0, None)] == ["m0", "m1"]
        stub.assert_no_pending_responses()
        assert q.stats["calls"] == 2
        stub.add_response("describe_log_groups", {"logGroups": [{"logGroupName": "g-other"}], "nextToken": "t"},
                          {"logGroupNamePrefix": "g"})
        stub.add_response("describe_log_groups", {"logGroups": [{"logGroupName": "g", "retentionInDays": 7}]},
                          {"logGroupNamePrefix": "g", "nextToken": "t"})
        assert describe_group(aws, "g")["retentionInDays"] == 7
        stub.add_response("describe_log_groups", {"logGroups": [], "nextToken": "x"}, {"logGroupNamePrefix": "h"})
        stub.add_response("describe_log_groups", {"logGroups": [], "nextToken": "x"},
                          {"logGroupNamePrefix": "h", "nextToken": "x"})
        assert describe_group(aws, "h") is None
        stub.assert_no_pending_responses()


def test_logs_and_completion_use_botocore_paginators():
    """No hand-written NextToken/Marker loops left in core/observe/logs.py and core/resources/completion.py."""
    import inspect

    from lambdactl.core.resources import completion

    from lambdactl.core.observe import logs

    for mod in (logs, completion):
        src = inspect.getsource(mod)
        assert "get_paginator(" in src, mod.__name__
        for loop in ('kwargs["nextToken"]', 'kwargs["Marker"]', "NextMarker"):
            assert loop not in src, (mod.__name__, loop)
