"""``lambdactl logs`` (tail, follow, retention) and ``lambdactl stats``."""
from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from lambdactl.cli.common import FunctionArg, aws, resolve_function
from lambdactl.cli.groups import default_group
from lambdactl.errors import UsageError
from lambdactl.settings import current

LOGS_HELP = """\
Read a function's CloudWatch logs: tail, follow (-f), retention.

'lambdactl logs FUNCTION ...' is 'lambdactl logs tail FUNCTION ...'.

Examples:

  lambdactl logs orders-api -f

  lambdactl logs orders-api --since 2h --grep 'ERROR|Timeout'

  lambdactl logs retention orders-api --days 14
"""

SinceOpt = Annotated[Optional[str], typer.Option(
    "--since", "-s", help="Start of the window: 10m, 2h, 1d, 1h30m or an ISO time (default 10m).",
    show_default=False)]
UntilOpt = Annotated[Optional[str], typer.Option(
    "--until", help="End of the window (same forms as --since; default now).", show_default=False)]
QualOpt = Annotated[Optional[str], typer.Option(
    "--qualifier", help="Only this version's streams ($LATEST, 7, or an alias: its version(s)).",
    show_default=False)]


def _qualifier(function: str | None, qualifier: str | None) -> tuple[str, str | None]:
    name, ref_qual = resolve_function(function)
    if qualifier is not None:
        from lambdactl.core.model.naming import check_qualifier

        check_qualifier(qualifier)
    if qualifier and ref_qual and qualifier != ref_qual:
        raise UsageError(f"two qualifiers given: {function!r} and --qualifier {qualifier}",
                         hint="use one of them")
    return name, qualifier or ref_qual


def _json_format(value: str | None) -> str:
    from lambdactl.core.observe.logs import JSON_FORMATS

    if value is None:
        try:
            return "pretty" if sys.stdout.isatty() else "compact"
        except (ValueError, AttributeError):
            return "compact"
    if value not in JSON_FORMATS:
        raise UsageError(f"--json-format {value!r} is not one of: {', '.join(JSON_FORMATS)}",
                         hint="pretty (indented), compact (one line) or raw (as logged)")
    return value


def _writer(fmt: str, renderer):
    """A function that turns one event into the text to print. Events are already selected
    (``keep=renderer.visible`` except for -o json, which prints every event)."""
    from lambdactl.output import to_json

    if fmt == "json":
        return lambda ev: to_json(ev.to_dict(), indent=None) + "\n"
    if fmt == "text":
        from lambdactl.output import iso

        def text(ev) -> str:
            msg = renderer.body(ev).replace("\t", " ").replace("\r", " ").replace("\n", " ")
            return f"{iso(ev.timestamp)}\t{ev.stream}\t{ev.request_id or ''}\t{msg}\n"

        return text
    return lambda ev: renderer.render(ev) + "\n"


def _quiet_pipe() -> None:
    """stdout's reader went away (``| head``): stop quietly."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    raise typer.Exit(0)


def tail(
    function: FunctionArg = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    filter_pattern: Annotated[Optional[str], typer.Option(
        "--filter", help="CloudWatch filter pattern, applied by AWS (e.g. ERROR, '\"exact phrase\"', '?A ?B').",
        show_default=False)] = None,
    grep: Annotated[Optional[str], typer.Option(
        "--grep", help="Regular expression, applied locally to each message.", show_default=False)] = None,
    qualifier: QualOpt = None,
    stream: Annotated[Optional[str], typer.Option(
        "--stream", help="Only streams whose name starts with this prefix.", show_default=False)] = None,
    limit: Annotated[Optional[int], typer.Option(
        "--limit", "-n", help="Only the newest N events of the window (with -f: of the backlog).",
        show_default=False)] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new events until Ctrl-C.")] = False,
    utc: Annotated[bool, typer.Option("--utc", help="Timestamps in UTC (default: local time).")] = False,
    json_format: Annotated[Optional[str], typer.Option(
        "--json-format", help="JSON messages: pretty, compact or raw (default: pretty on a terminal, else compact).",
        show_default=False)] = None,
    poll_interval: Annotated[float, typer.Option(
        "--poll-interval", help="Seconds between polls with --follow.")] = 1.0,
) -> None:
    """Show a function's log events (START/END hidden unless -v; REPORT lines summarised).

    Each line: timestamp, request id (first 8 characters), message. JSON messages are
    pretty-printed or compacted; ERROR and exception lines are highlighted on a terminal.
    With -o json: one JSON object per line (JSONL) with timestamp, stream, event_id,
    request_id, type, level, message and the parsed report.

    With --follow, new events appear within about a second; no event is shown twice or
    skipped across polls (same-millisecond events and streams created later included).
    Before a function's first invocation its log group does not exist yet: --follow says so
    once on stderr and waits for it (without --follow that is exit 3).

    Examples:

      lambdactl logs orders-api -f

      lambdactl logs orders-api --since 1h --filter ERROR

      lambdactl logs orders-api:live --since 2026-11-23T15:00:00Z --until 2026-11-23T16:00:00Z

      lambdactl logs orders-api -n 50 --utc

      lambdactl logs orders-api --since 1d -o json | jq -r 'select(.report) | .report.duration_ms'
    """
    from lambdactl.core.observe import logs as core
    from lambdactl.output import style, warn

    s = current()
    # --- validate everything before any AWS call ---
    name, qual = _qualifier(function, qualifier)
    start_ms, end_ms = core.time_window(since, until, utc=utc)
    if follow and until:
        raise UsageError("--until cannot be combined with --follow", hint="drop --until to follow new events")
    if limit is not None and limit < 1:
        raise UsageError(f"--limit {limit}: must be at least 1",
                         hint="e.g. --limit 50 for the newest 50 lines of the window")
    if not (core.MIN_POLL_INTERVAL <= poll_interval <= core.MAX_POLL_INTERVAL):
        raise UsageError(f"--poll-interval {poll_interval}: must be between {core.MIN_POLL_INTERVAL} "
                         f"and {core.MAX_POLL_INTERVAL:.0f} seconds",
                         hint=f"the default is {core.DEFAULT_POLL_INTERVAL:g} s")
    rx = core.compile_grep(grep)
    jf = _json_format(json_format)
    fmt = s.output_format
    renderer = core.Renderer(utc=utc, json_format=jf, verbose=s.verbose, style=lambda t, c: style(t, c))
    write = _writer(fmt, renderer)
    keep = None if fmt == "json" else renderer.visible     # --limit counts the lines shown

    session = aws()
    target = core.resolve_log_group(session, name)
    markers = core.qualifier_streams(session, name, qual)
    query = core.Query(target.log_group, filter_pattern=filter_pattern or None, stream_prefix=stream or None,
                       match=core.stream_matcher(markers, stream or None), function=target.function,
                       function_exists=target.function_exists)
    out = sys.stdout
    shown = 0
    try:
        if not follow:
            for ev in core.fetch(session, query, start_ms, end_ms, limit=limit, grep=rx, keep=keep):
                out.write(write(ev))
                shown += 1
            out.flush()
            if shown == 0 and fmt != "json":
                from lambdactl.output import info

                info(f"no events in {target.log_group} in this window (widen it with --since, e.g. --since 1d)")
            return

        warned = {"n": 0}

        def on_transient(exc, delay):
            warned["n"] += 1
            if warned["n"] in (1, 10) or warned["n"] % 100 == 0:
                warn(f"reading {target.log_group} failed ({type(exc).__name__}); retrying in {delay:.1f}s")

        def on_missing_group():
            # Before the first invocation there is no group yet (an unknown function stays exit 3).
            from lambdactl.output import info

            info(f"waiting for log group {target.log_group} to appear (Lambda creates it on the function's "
                 f"first invocation); Ctrl-C to stop")

        for batch in core.follow_batches(session, query, start_ms, poll_interval=poll_interval,
                                         backlog_limit=limit, grep=rx, keep=keep,
                                         on_transient=on_transient,
                                         on_missing_group=on_missing_group if target.function_exists else None):
            for ev in batch:
                out.write(write(ev))
                shown += 1
            if batch:
                out.flush()
    except KeyboardInterrupt:
        from lambdactl.errors import Interrupted

        raise Interrupted(f"interrupted: stopped following {target.log_group} ({shown} events shown)") from None
    except BrokenPipeError:
        _quiet_pipe()


def retention(
    function: FunctionArg = None,
    days: Annotated[Optional[str], typer.Option(
        "--days", help="Set the retention: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, "
                       "1096, 1827, 2192, 2557, 2922, 3288, 3653, or 'never'.", show_default=False)] = None,
) -> None:
    """Show or set how long the function's log group keeps events.

    Without --days, shows the retention. With --days, sets it (re-running reports
    "unchanged"); for an existing function whose log group does not exist yet, the group
    is created so the retention applies from the first invocation.

    Examples:

      lambdactl logs retention orders-api

      lambdactl logs retention orders-api --days 14

      lambdactl logs retention orders-api --days never
    """
    from lambdactl.core.observe import logs as core
    from lambdactl.core.observe import retention as ret
    from lambdactl.output import emit, info

    name, _qual = resolve_function(function)
    wanted = ret.parse_retention(days) if days is not None else "show"
    session = aws()
    target = core.resolve_log_group(session, name)
    if wanted == "show":
        rec = ret.get_retention(session, target)
        if current().output_format == "json":
            emit(rec)
        elif current().quiet:
            sys.stdout.write(f"{rec['retention_days'] if rec['retention_days'] is not None else 'never'}\n")
        else:
            emit(rec, columns=["log_group", "retention", "stored_bytes", "created"])
        return
    rec = ret.set_retention(session, target, wanted)
    if current().output_format == "json":
        emit(rec)
    elif current().quiet:
        sys.stdout.write(f"{rec['retention_days'] if rec['retention_days'] is not None else 'never'}\n")
    else:
        verb = {"unchanged": "unchanged:", "created": "created log group; retention set to",
                "updated": "retention set to"}[rec["status"]]
        info(f"{target.log_group}: {verb} {rec['retention']}")
        emit(rec, columns=["log_group", "retention", "status"])


def _usd(x: float) -> str:
    if x == 0:
        return "$0.00"
    if x < 0.000001:
        return "<$0.000001"
    if x < 1:
        return f"${x:.6f}"
    return f"${x:,.2f}"


def _fmt_ms(v) -> str:
    return "-" if v is None else f"{v:.2f} ms"


def stats(
    function: FunctionArg = None,
    since: Annotated[Optional[str], typer.Option(
        "--since", "-s", help="Start of the window: 10m, 2h, 1d or an ISO time (default 1h).",
        show_default=False)] = None,
    until: UntilOpt = None,
    qualifier: QualOpt = None,
    utc: Annotated[bool, typer.Option("--utc", help="Read ISO times without an offset as UTC.")] = False,
) -> None:
    """Invocation numbers from the REPORT lines in a window: errors, cold starts, latency, memory, cost.

    Shows invocations, errors and timeouts, cold starts (count and %), duration
    p50/p90/p99/max, init duration p50/max, max memory used vs configured (with a
    right-sizing hint), and an estimated cost at the architecture's list price
    (us-east-1, no free tier: an estimate, not a bill).

    Examples:

      lambdactl stats orders-api

      lambdactl stats orders-api:live --since 1d

      lambdactl stats orders-api --since 6h -o json | jq .duration_ms.p99
    """
    from lambdactl.core.observe import logs as core
    from lambdactl.core.observe.stats import compute_stats
    from lambdactl.output import emit

    name, qual = _qualifier(function, qualifier)
    start_ms, end_ms = core.time_window(since, until, default_since="1h", utc=utc)
    if end_ms is None:
        import time

        end_ms = int(time.time() * 1000)
    session = aws()
    target = core.resolve_log_group(session, name)
    markers = core.qualifier_streams(session, name, qual)
    query = core.Query(target.log_group, match=core.stream_matcher(markers), function=target.function,
                       function_exists=target.function_exists)
    rec = compute_stats(session, target, query, start_ms, end_ms)
    if qual:
        rec["qualifier"] = qual
    if current().output_format == "json":
        emit(rec)
        return
    emit(_stats_view(rec), quiet_field="invocations")


def _stats_view(rec: dict) -> dict:
    n = rec["invocations"]
    d = rec["duration_ms"]
    i = rec["init_duration_ms"]
    m = rec["memory"]
    c = rec["cost_estimate"]
    pct = (lambda v: "" if v is None else f" ({v:g}%)")
    view = {
        "function": rec["function"] + (f":{rec['qualifier']}" if rec.get("qualifier") else ""),
        "log_group": rec["log_group"],
        "window": f"{rec['since']} → {rec['until']}",
        "invocations": n,
        "errors": f"{rec['errors']}{pct(rec['error_pct'])}",
        "timeouts": rec["timeouts"],
        "cold_starts": f"{rec['cold_starts']}{pct(rec['cold_start_pct'])}",
        "duration": (f"p50 {_fmt_ms(d['p50'])} · p90 {_fmt_ms(d['p90'])} · p99 {_fmt_ms(d['p99'])} · "
                     f"max {_fmt_ms(d['max'])}") if n else "-",
        "init_duration": f"p50 {_fmt_ms(i['p50'])} · max {_fmt_ms(i['max'])}" if i["p50"] is not None else "-",
        "memory": (f"max {m['max_used_mb']} MB of {m['configured_mb']} MB"
                   + (f" ({m['max_used_pct']:g}%)" if m["max_used_pct"] is not None else ""))
        if m["max_used_mb"] is not None else "-",
        "cost_estimate": (f"{_usd(c['total_usd'])} in the window (requests {_usd(c['requests_usd'])} + "
                          f"{c['gb_seconds']:.3f} GB-s at the {c['architecture']} price); "
                          f"~{_usd(c['per_30_days_usd'])} per 30 days at this rate"
                          + ("" if c["architecture_known"] else " [architecture unknown: priced as x86_64]")),
    }
    for k, hint in enumerate(rec["hints"]):
        view["hint" if k == 0 else f"hint {k + 1}"] = hint
    return view


def register(app: typer.Typer) -> None:
    logs_app = typer.Typer(cls=default_group("tail"), help=LOGS_HELP, rich_markup_mode=None)
    logs_app.command("tail")(tail)
    logs_app.command("retention")(retention)
    app.add_typer(logs_app, name="logs")
    app.command("stats")(stats)
