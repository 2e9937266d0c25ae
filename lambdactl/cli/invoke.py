"""``lambdactl invoke``: remote (sync, async, dry run), local without Docker, and batches."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from lambdactl.cli.common import COMMON_EPILOG
from lambdactl.errors import FunctionError, OperationError, UsageError
from lambdactl.output import emit, emit_json_line, info, warn
from lambdactl.settings import current

MAX_REPEAT = 1000


def _stderr(text: str) -> None:
    if text:
        sys.stderr.write(text if text.endswith("\n") else text + "\n")
        sys.stderr.flush()


def _write_stdout_bytes(data: bytes) -> None:
    sys.stdout.flush()
    buf = getattr(sys.stdout, "buffer", None)
    if buf is not None:
        buf.write(data)
        buf.flush()
    else:  # pragma: no cover - exotic streams
        sys.stdout.write(data.decode("utf-8", "replace"))


def _split_positionals(function: str | None, payload: str | None) -> tuple[str | None, str | None]:
    """The contract: a lone positional starting with '{', '[' or '@', or '-', is the payload."""
    from lambdactl.core.run.payload import looks_like_payload

    if function is not None and payload is None and looks_like_payload(function):
        return None, function
    if function is not None and payload is not None and looks_like_payload(function):
        raise UsageError(f"two payloads given ({function[:30]!r} and {payload[:30]!r})",
                         hint="usage: lambdactl invoke [FUNCTION] [PAYLOAD]")
    return function, payload


def _print_body(data: bytes, *, raw: bool) -> None:
    from lambdactl.core.run.invoke import pretty_body

    if raw:
        _write_stdout_bytes(data)
        return
    text = pretty_body(data)
    if text:
        sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
        sys.stdout.flush()


def _deliver(payload: bytes, *, out, raw: bool, as_json: bool) -> None:
    """The response body: to --out FILE, else to stdout (unless -o json prints the record)."""
    if out is not None:
        _write_out(out, payload)
    elif not as_json:
        _print_body(payload, raw=raw)


def _write_out(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise OperationError(f"cannot write {path}: {exc.strerror}", hint="check the directory exists and is writable")
    info(f"wrote {len(data):,} bytes to {path}")


def invoke(
    function: Annotated[Optional[str], typer.Argument(
        metavar="FUNCTION", show_default=False,
        help="Function name, ARN or name:qualifier (default: the project file's function).")] = None,
    payload: Annotated[Optional[str], typer.Argument(
        metavar="PAYLOAD", show_default=False,
        help="Inline JSON, @file.json, or - for stdin (a lone positional starting with {, [ or @ is the payload).")] = None,
    payload_file: Annotated[Optional[str], typer.Option(
        "--payload-file", "-f", metavar="FILE", help="Read the payload from FILE ('-' = stdin).")] = None,
    sets: Annotated[Optional[list[str]], typer.Option(
        "--set", "-s", metavar="KEY=VALUE",
        help="Set a payload field; dotted keys nest (order.id=7); values are JSON when they parse. Repeatable.")] = None,
    qualifier: Annotated[Optional[str], typer.Option("--qualifier", help="Version or alias to invoke.")] = None,
    async_: Annotated[bool, typer.Option("--async", help="Invoke asynchronously (Event): prints the request id.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only check that you may invoke (DryRun).")] = False,
    logs: Annotated[bool, typer.Option("--logs", "-l", help="Show the log tail (last 4 KB) and the REPORT summary on stderr.")] = False,
    raw: Annotated[bool, typer.Option("--raw", help="Print the response body byte for byte (no pretty-printing).")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", metavar="FILE", help="Write the response body to FILE.")] = None,
    local: Annotated[bool, typer.Option("--local", help="Run the project's handler locally (no Docker) in a worker process, with your AWS credentials (with --sandbox: the sandbox's).")] = False,
    repeat: Annotated[int, typer.Option("--repeat", "-n", metavar="N", help="Invoke N times (--local reuses the warm process).")] = 1,
    env: Annotated[Optional[list[str]], typer.Option(
        "--env", "-e", metavar="KEY=VALUE", help="(--local) An extra environment variable. Repeatable.")] = None,
    batch: Annotated[Optional[str], typer.Option(
        "--batch", "-b", metavar="FILE", help="Invoke once per line of a JSONL file ('-' = stdin).")] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", "-j", metavar="N", help="(--batch) Invocations in flight.")] = 4,
    fail_fast: Annotated[bool, typer.Option(
        "--fail-fast", help="(--batch) A malformed line stops the batch before anything runs; a failed invocation stops it.")] = False,
) -> None:
    """Invoke a function: pretty results, readable errors, logs — remotely, locally or in batches.

    The payload is plain JSON (no base64): inline, @file.json, '-' for stdin, or built with --set.
    Exit 4 when the function returns an error (its type, message and stack trace go to stderr).
    --local runs the handler from the project's source directory in a separate Python process with a
    Lambda-like context, environment and timeout, and prints START/END/REPORT (cold and warm starts).
    The handler runs with your AWS credentials (environment or profile), so its AWS calls reach your
    real account, as with sam local; with --sandbox it gets the sandbox endpoint and test credentials only.
    --batch FILE prints one JSON result per line on stdout and a latency summary on stderr.

    Examples:

      lambdactl invoke orders-api '{"id": 7}'

      lambdactl invoke '{"id": 7}' --logs              # the project file's function

      lambdactl invoke orders-api @event.json --qualifier live -o json

      lambdactl invoke orders-api --set order.id=7 --set dry=true

      echo '{"id": 7}' | lambdactl invoke orders-api -

      lambdactl invoke orders-api '{}' --async

      lambdactl invoke --local '{"id": 7}' --repeat 3

      lambdactl invoke orders-api --batch events.jsonl --concurrency 8 > results.jsonl
    """
    from lambdactl.core.run.payload import load_payload

    function, payload = _split_positionals(function, payload)
    s = current()
    # --- validate every flag before any work ------------------------------------------------
    if async_ and dry_run:
        raise UsageError("--async and --dry-run cannot be combined", hint="choose one invocation type")
    if not 1 <= repeat <= MAX_REPEAT:
        raise UsageError(f"--repeat {repeat} is out of range", hint=f"allowed range: 1..{MAX_REPEAT}")
    if logs and (async_ or dry_run):
        raise UsageError("--logs needs a synchronous invoke", hint="drop --async/--dry-run, or drop --logs")
    if raw and out is not None:
        raise UsageError("--raw and --out cannot be combined", hint="--out already writes the exact bytes")
    if raw and s.output_format == "json":
        raise UsageError("--raw cannot be combined with -o json", hint="-o json prints one JSON document")
    if local:
        for flag, given in (("--async", async_), ("--dry-run", dry_run), ("--qualifier", qualifier)):
            if given:
                raise UsageError(f"{flag} is not available with --local",
                                 hint="--local runs the project's source; invoke the deployed function without --local")
    elif env:
        from lambdactl.config import setting_hint

        raise UsageError("--env only applies to --local",
                         hint=f"for the deployed function's variables: {setting_hint('environment', 'KEY=VALUE', function)}")
    if batch is not None:
        for flag, given in (("PAYLOAD", payload is not None), ("--payload-file", payload_file is not None),
                            ("--set", bool(sets)), ("--logs", logs), ("--raw", raw), ("--out", out is not None),
                            ("--dry-run", dry_run), ("--repeat", repeat != 1)):
            if given:
                raise UsageError(f"{flag} cannot be combined with --batch",
                                 hint="each line of the batch file is one payload")
        return _run_batch(function, batch, qualifier=qualifier, async_=async_, local=local, env=env,
                          concurrency=concurrency, fail_fast=fail_fast)
    if fail_fast or concurrency != 4:
        raise UsageError("--concurrency and --fail-fast only apply to --batch", hint="e.g. --batch events.jsonl --concurrency 8")
    if out is not None and repeat > 1:
        raise UsageError("--out takes one response", hint="drop --repeat, or drop --out")
    if out is not None and (out.is_dir() or not out.parent.is_dir()):
        raise UsageError(f"--out {out}: " + ("is a directory" if out.is_dir() else "its directory does not exist"),
                         hint="give a file path in an existing directory")
    body = load_payload(payload, payload_file=payload_file, sets=sets)
    if local:
        return _run_local(function, body, repeat=repeat, env=env, raw=raw, out=out)
    return _run_remote(function, body, qualifier=qualifier, async_=async_, dry_run=dry_run, logs=logs, raw=raw,
                       out=out, repeat=repeat)


# --- remote ----------------------------------------------------------------------------------

def _target(function: str | None, qualifier: str | None) -> tuple[str, str | None]:
    from lambdactl.cli.common import resolve_function

    name, q = resolve_function(function)
    if qualifier is not None:
        from lambdactl.core.model.naming import check_qualifier

        check_qualifier(qualifier)
    if q and qualifier and q != qualifier:
        raise UsageError(f"two qualifiers given: {function!r} and --qualifier {qualifier}", hint="give only one")
    return name, q or qualifier


def _run_remote(function, body: bytes, *, qualifier, async_, dry_run, logs, raw, out, repeat) -> None:
    from lambdactl.cli.common import aws
    from lambdactl.core.run.invoke import format_traceback, function_failure, invoke_remote, summarise_log
    from lambdactl.core.model.naming import short_name

    name, qual = _target(function, qualifier)
    what = f"{short_name(name)}:{qual}" if qual else short_name(name)
    s = current()
    itype = "Event" if async_ else "DryRun" if dry_run else "RequestResponse"
    session = aws()
    docs = []
    failed = None
    for _ in range(repeat):
        r = invoke_remote(session, name, body, qualifier=qual, invocation_type=itype, logs=logs)
        if itype != "RequestResponse":
            r.payload = b""                  # Event/DryRun bodies carry nothing on AWS
        doc = r.to_dict()
        docs.append(doc)
        if itype == "Event":
            if s.output_format != "json":
                emit({"request_id": r.request_id, "status_code": r.status_code}, quiet_field="request_id")
                info(f"queued an asynchronous invoke of {what} (status {r.status_code})")
            continue
        if itype == "DryRun":
            if s.output_format != "json":
                info(f"dry run: invoking {what} is permitted (status {r.status_code})")
            continue
        _deliver(r.payload, out=out, raw=raw, as_json=s.output_format == "json")
        if logs:
            if r.log_tail:
                _stderr(summarise_log(r.log_tail))
            else:
                _stderr("(no log tail in the response: the endpoint returned no LogResult)")
        if r.function_error:
            tb = format_traceback(r.payload)
            _stderr(tb)
            failed = function_failure(what, r.payload, r.function_error, function=name, trace_shown=bool(tb),
                                      logs_shown=logs)
    if s.output_format == "json":
        emit(docs[0] if repeat == 1 else docs)
    if failed is not None:
        raise failed


# --- local -----------------------------------------------------------------------------------

def _local_spec(function: str | None, env: list[str] | None):
    from lambdactl.cli.common import parse_kv, project
    from lambdactl.core.run.local_runner import spec_from_project
    from lambdactl.core.model.naming import parse_function_ref

    proj = project(required=True)
    if function:
        name, q = parse_function_ref(function)
        if q:
            raise UsageError("--local runs the project's source; a qualifier does not apply",
                             hint=f"drop ':{q}'")
        if name != proj.function.name:
            raise UsageError(f"--local runs the project's function {proj.function.name!r}, not {name!r}",
                             hint="drop FUNCTION, or run in that function's project directory (-c FILE)")
    from lambdactl.core.run.sandbox_runner import local_aws_environment

    spec = spec_from_project(proj, environment=parse_kv(env, "--env"), region=current().region,
                             aws_environment=local_aws_environment())
    return proj, spec


def _check_memory(r, spec) -> None:
    if r.max_memory_used_mb > spec.memory_mb:
        from lambdactl.config import setting_hint

        more = min(10240, -(-r.max_memory_used_mb * 13 // 640) * 64)     # ~30 % headroom, 64 MB steps
        warn(f"max memory used {r.max_memory_used_mb} MB is over the configured {spec.memory_mb} MB: "
             f"on Lambda this invocation would fail (Runtime.OutOfMemory); "
             f"raise it: {setting_hint('memory', more, spec.function_name)}")


def _run_local(function, body: bytes, *, repeat: int, env, raw: bool, out: Path | None) -> None:
    from lambdactl.core.run.invoke import format_traceback, function_failure, result_from_local
    from lambdactl.core.run.local_runner import Worker

    proj, spec = _local_spec(function, env)
    s = current()
    if s.verbose and proj.function.runtime:
        running = f"python{sys.version_info.major}.{sys.version_info.minor}"
        if running != proj.function.runtime:
            info(f"note: running {proj.function.runtime} code with {running} ({spec.python})")
    docs, results = [], []
    failed = None
    with Worker(spec) as worker:
        for _ in range(repeat):
            r = worker.invoke(body)
            results.append(r)
            docs.append(result_from_local(r).to_dict())
            if not s.quiet:
                _stderr(r.logs)
            _check_memory(r, spec)
            _deliver(r.payload, out=out, raw=raw, as_json=s.output_format == "json")
            if r.function_error:          # a timeout too: a function error (exit 4), as on Lambda
                tb = format_traceback(r.payload)
                _stderr(tb)
                failed = function_failure(spec.function_name, r.payload, r.function_error,
                                          function=spec.function_name, trace_shown=bool(tb), logs_shown=not s.quiet)
    if s.output_format == "json":
        emit(docs[0] if repeat == 1 else docs)
    if repeat > 1:
        info(_repeat_summary(results))
    if failed is not None:
        raise failed


def _repeat_summary(results) -> str:
    from lambdactl.core.observe.stats import percentile

    cold = [r for r in results if r.cold]
    warm = sorted(r.duration_ms for r in results if not r.cold)
    parts = [f"{len(results)} invocations"]
    for r in cold:
        parts.append(f"cold start: init {r.init_duration_ms:.1f} ms + {r.duration_ms:.2f} ms")
    if warm:
        parts.append(f"{len(warm)} warm: p50 {percentile(warm, 50):.2f} ms, max {warm[-1]:.2f} ms")
    return " · ".join(parts)


# --- batch -----------------------------------------------------------------------------------

def _run_batch(function, path: str, *, qualifier, async_, local, env, concurrency, fail_fast) -> None:
    from lambdactl.core.run import batch as B

    s = current()
    if not 1 <= concurrency <= B.MAX_CONCURRENCY:
        raise UsageError(f"--concurrency {concurrency} is out of range", hint=f"allowed range: 1..{B.MAX_CONCURRENCY}")
    lines = B.read_events(path)
    if fail_fast:
        bad = [ln for ln in lines if ln.payload is None]
        if bad:
            raise UsageError(f"{'stdin' if path == '-' else path}: line {bad[0].line}: {bad[0].error}",
                             hint="fix the line, or drop --fail-fast to skip malformed lines; nothing was invoked")
    for ln in lines:
        if ln.payload is None:
            warn(f"{'stdin' if path == '-' else path}: line {ln.line}: {ln.error} (skipped)")
    collected: list[dict] = []
    as_doc = s.output_format == "json"

    def on_result(rec: dict) -> None:
        if as_doc:
            collected.append(rec)
        else:
            emit_json_line(rec)
            sys.stdout.flush()

    pool = None
    try:
        if local:
            from lambdactl.core.run.local_runner import WorkerPool

            _, spec = _local_spec(function, env)
            pool = WorkerPool(spec, max_workers=concurrency)
            invoker = B.local_invoker(pool)
        else:
            from lambdactl.cli.common import aws

            name, qual = _target(function, qualifier)
            invoker = B.remote_invoker(aws(), name, qualifier=qual,
                                       invocation_type="Event" if async_ else "RequestResponse")
        summary = B.run_batch(lines, invoker, concurrency=concurrency, fail_fast=fail_fast, on_result=on_result)
    finally:
        if pool is not None:
            pool.close()
    if as_doc:
        emit({"results": collected, "summary": summary.to_dict()})
    info(summary.line())
    if summary.errors:
        lines_txt = ", ".join(str(n) for n in summary.error_lines[:10]) + ("…" if len(summary.error_lines) > 10 else "")
        raise FunctionError(f"{summary.errors} of {summary.count} invocations failed (line {lines_txt})",
                            hint="the 'error' field of each result says why")
    if summary.invalid:
        lines_txt = ", ".join(str(n) for n in summary.invalid_lines[:10]) + ("…" if summary.invalid > 10 else "")
        raise UsageError(f"{summary.invalid} malformed line{'s' if summary.invalid != 1 else ''} skipped "
                         f"(line {lines_txt}); the others ran", hint="each line must be one JSON document")


def register(app: typer.Typer) -> None:
    app.command("invoke", epilog=COMMON_EPILOG)(invoke)
