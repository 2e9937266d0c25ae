"""trigger add/list/remove and permission list/add/remove."""
from __future__ import annotations

import dataclasses
from typing import Annotated, List, Optional

import typer
from typer.core import TyperGroup

from lambdactl.cli.common import FunctionArg, aws, resolve_function
from lambdactl.errors import UsageError
from lambdactl.output import emit, info, warn
from lambdactl.settings import current

FUNCTION_META = "lambdactl.trigger_function"
LIST_COLUMNS = ["id", "kind", "source", "state", "details"]
ADD_COLUMNS = ["function", "id", "kind", "source", "status", "permissions", "changes"]
PERMISSION_COLUMNS = ["statement_id", "principal", "action", "source_arn", "source_account", "conditions"]


class FunctionFirstGroup(TyperGroup):
    """``trigger add [FUNCTION] KIND ...``: a first word that is not a kind is the function.

    ``trigger add s3 ...`` uses the project's function; ``trigger add myfn s3 ...`` names it (and
    ``trigger add s3 s3 ...`` means the function called "s3").
    """

    def parse_args(self, ctx, args):
        args = list(args)
        if args and not args[0].startswith("-"):
            first = args[0]
            second = args[1] if len(args) > 1 else None
            if first not in self.commands or (second is not None and second in self.commands):
                ctx.meta[FUNCTION_META] = first
                args = args[1:]
                if not args or args[0].startswith("-") and args[0] not in ("--help", "-h"):
                    from lambdactl.cli.groups import ClickUsageError

                    raise ClickUsageError(
                        f"missing trigger KIND after FUNCTION {first!r}; one of: {', '.join(sorted(self.commands))}",
                        ctx=ctx)
        return super().parse_args(ctx, args)


trigger_app = typer.Typer(
    help="Wire event sources to a function: S3, schedules, EventBridge, SQS, Kinesis, DynamoDB, SNS, URL.\n\n"
         "Each 'trigger add' adds the invoke permission (principal + source ARN) and the wiring in one "
         "step, never drops configuration lambdactl did not create, and is safe to re-run.",
    no_args_is_help=True, rich_markup_mode=None)
add_app = typer.Typer(
    cls=FunctionFirstGroup, no_args_is_help=True, rich_markup_mode=None,
    subcommand_metavar="[FUNCTION] KIND [OPTIONS]",
    help="Add a trigger: lambdactl trigger add [FUNCTION] KIND [OPTIONS].\n\n"
         "FUNCTION defaults to the project file's function. Re-running with the same options changes "
         "nothing (\"unchanged\").")
permission_app = typer.Typer(
    help="The function's resource-based policy: who may invoke it.\n\n"
         "Statement ids are derived from the content (lambdactl-<hash>), so re-adding is a no-op.",
    no_args_is_help=True, rich_markup_mode=None)
trigger_app.add_typer(add_app, name="add")


def _function(ctx: typer.Context) -> tuple[str, str | None]:
    return resolve_function(ctx.meta.get(FUNCTION_META))


def _add(ctx: typer.Context, kind: str, options: dict) -> None:
    from lambdactl.core.model.triggerspec import normalize
    from lambdactl.core.resources import triggers as core

    spec = normalize(kind, options)          # all validation happens before any AWS call
    name, qualifier = _function(ctx)
    if kind == "url" and spec.opts["auth"] == "NONE":
        result = _add_public_url(name, qualifier, spec)
    else:
        result = core.add_trigger(aws(), name, qualifier, spec)
    _render_add(result)


def _ask_public(lines: list[str], question: str) -> None:
    """On a terminal (without --yes): the warning(s), then a question; no → exit 1, nothing changed."""
    for line in lines:
        warn(line)
    if not typer.confirm(question, default=False, err=True):
        info("not changed")
        raise typer.Exit(1)


def _add_public_url(name: str, qualifier: str | None, spec) -> dict:
    """``trigger add url --auth NONE``: anyone on the internet may then invoke the function. Say so
    (with the URL) on stderr; on a terminal, ask first (--yes, or no terminal: just the warning)."""
    from lambdactl.core.resources import triggers as core

    session = aws()
    target = core.resolve_target(session, name, qualifier)
    s = current()
    if s.interactive and not s.yes:
        planned = core.ensure(session, target, spec, dry_run=True)
        if core.url_goes_public(planned):
            _ask_public([core.public_url_warning(target.ref, planned.get("url"), "before")],
                        f"Make {target.ref} public?")
    result = core.ensure(session, target, spec)
    warn(core.public_url_warning(target.ref, result.get("url"), "now" if core.url_goes_public(result) else "still"))
    return result


def confirm_public_urls(steps: list) -> None:
    """Before ``deploy`` makes a function URL public (auth NONE): on a terminal (without --yes) warn
    and ask; elsewhere the deploy goes on, and its result carries the warning with the URL."""
    from lambdactl.core.resources.triggers.url import public_url_warning

    public = [st for st in steps if st.detail.get("public")]
    s = current()
    if not public or s.yes or not s.interactive:
        return
    _ask_public([public_url_warning(st.detail.get("function") or "the function", st.detail.get("url"), "before")
                 for st in public], "Deploy, and make it public?")


def _render_add(result: dict) -> None:
    s = current()
    if s.output_format == "json":
        emit(result)
        return
    quiet = "url" if result["kind"] == "url" else "id"
    rec = dict(result)
    rec["permissions"] = ", ".join(f"{p['statement_id']} ({p['status']})" for p in result["permissions"]) or None
    rec["changes"] = ", ".join(c["field"] for c in result["changes"]) or None
    cols = list(ADD_COLUMNS)
    if result["kind"] == "url":
        cols.insert(4, "url")
        cols.insert(5, "auth")
    emit(rec, columns=cols, quiet_field=quiet)


# --- trigger add <kind> ------------------------------------------------------------------------

# Event source mapping options (sqs, kinesis, dynamodb); project-file keys are the same words.
FilterOpt = Annotated[Optional[List[str]], typer.Option(
    "--filter", metavar="PATTERN", help="Only records matching this event filter pattern (JSON or @file); repeat for "
                                        "several (a record matching any one is processed).")]
ReportFailuresOpt = Annotated[bool, typer.Option(
    "--report-batch-item-failures", help="Enable partial batch responses (the handler returns batchItemFailures).")]
BisectOpt = Annotated[bool, typer.Option(
    "--bisect-on-error", help="On a function error, split the batch in two and retry each half.")]
MaxRetriesOpt = Annotated[Optional[int], typer.Option(
    "--max-retries", help="Retries of a failed batch, -1 (until the record expires, the default) .. 10000.")]
MaxRecordAgeOpt = Annotated[Optional[int], typer.Option(
    "--max-record-age", metavar="SECONDS", help="Skip records older than this: -1 (no limit, the default) or 60..604800.")]
OnFailureOpt = Annotated[Optional[str], typer.Option(
    "--on-failure", metavar="ARN", help="Send records of failed batches here: an SQS queue, SNS topic or S3 bucket ARN.")]
ParallelOpt = Annotated[Optional[int], typer.Option(
    "--parallelization-factor", help="Concurrent batches per shard, 1..10 (default 1).")]
TumblingOpt = Annotated[Optional[int], typer.Option(
    "--tumbling-window", metavar="SECONDS", help="Tumbling window for aggregations, 0..900 (default 0: none).")]


def _stream_options(report_batch_item_failures, filters, bisect_on_error, max_retries, max_record_age, on_failure,
                    parallelization_factor, tumbling_window) -> dict:
    return {"report_batch_item_failures": report_batch_item_failures, "filters": filters or None,
            "bisect_on_error": bisect_on_error, "max_retries": max_retries, "max_record_age": max_record_age,
            "on_failure": on_failure, "parallelization_factor": parallelization_factor,
            "tumbling_window": tumbling_window}


@add_app.command("s3")
def add_s3(
    ctx: typer.Context,
    bucket: Annotated[str, typer.Option("--bucket", help="Bucket name (or s3://name, arn:aws:s3:::name).")],
    events: Annotated[Optional[List[str]], typer.Option("--events", "--event", help="S3 event type(s); repeat or comma-separate. Default s3:ObjectCreated:*.")] = None,
    prefix: Annotated[Optional[str], typer.Option("--prefix", help="Only keys starting with this.")] = None,
    suffix: Annotated[Optional[str], typer.Option("--suffix", help="Only keys ending with this.")] = None,
) -> None:
    """Invoke the function on S3 object events (permission first, then the bucket notification).

    The bucket's whole notification document is read, extended and written back: existing
    Lambda, SQS, SNS and EventBridge notifications are kept exactly. Overlapping prefix/suffix
    rules for the same event type are refused (exit 2).

    Examples:

      lambdactl trigger add s3 --bucket uploads --events s3:ObjectCreated:* --suffix .jpg

      lambdactl trigger add thumbnailer s3 --bucket uploads --prefix incoming/
    """
    _add(ctx, "s3", {"bucket": bucket, "events": events or None, "prefix": prefix, "suffix": suffix})


@add_app.command("schedule")
def add_schedule(
    ctx: typer.Context,
    expression: Annotated[str, typer.Option("--expression", "-e", help='rate(5 minutes) or cron(0 12 * * ? *).')],
    input: Annotated[Optional[str], typer.Option("--input", help="Constant JSON event to send (or @file).")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Rule name (default lambdactl-<function>-<hash>).")] = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Create the rule disabled.")] = False,
) -> None:
    """Invoke the function on a schedule (EventBridge rule + target + permission).

    Expressions are checked locally: rate units and singular/plural, cron's six fields and the
    rule that exactly one of day-of-month / day-of-week is '?'.

    Examples:

      lambdactl trigger add schedule --expression "rate(5 minutes)"

      lambdactl trigger add nightly schedule -e "cron(0 3 * * ? *)" --input '{"job": "cleanup"}'
    """
    _add(ctx, "schedule", {"expression": expression, "input": input, "name": name, "enabled": not disabled})


@add_app.command("eventbridge")
def add_eventbridge(
    ctx: typer.Context,
    pattern: Annotated[str, typer.Option("--pattern", help="Event pattern: JSON or @file.")],
    bus: Annotated[str, typer.Option("--bus", help="Event bus name.")] = "default",
    name: Annotated[Optional[str], typer.Option("--name", help="Rule name (default lambdactl-<function>-<hash>).")] = None,
    input: Annotated[Optional[str], typer.Option("--input", help="Constant JSON to send instead of the event.")] = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Create the rule disabled.")] = False,
) -> None:
    """Invoke the function for events matching a pattern (EventBridge rule + target + permission).

    Examples:

      lambdactl trigger add eventbridge --pattern '{"source": ["aws.ec2"]}'

      lambdactl trigger add eventbridge --pattern @pattern.json --bus orders
    """
    _add(ctx, "eventbridge", {"pattern": pattern, "bus": bus, "name": name, "input": input,
                              "enabled": not disabled})


@add_app.command("sqs")
def add_sqs(
    ctx: typer.Context,
    queue: Annotated[str, typer.Option("--queue", help="Queue ARN, URL or name.")],
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", help="1..10000 (over 10 needs --window). Default 10.")] = None,
    window: Annotated[Optional[int], typer.Option("--window", help="MaximumBatchingWindowInSeconds, 0..300.")] = None,
    report_batch_item_failures: Annotated[bool, typer.Option("--report-batch-item-failures", help="Enable partial batch responses.")] = False,
    filters: FilterOpt = None,
    max_concurrency: Annotated[Optional[int], typer.Option("--max-concurrency", help="At most this many concurrent invocations from the queue, 2..1000 (ScalingConfig).")] = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Create the mapping disabled.")] = False,
) -> None:
    """Poll an SQS queue (event source mapping).

    The function's role needs sqs:ReceiveMessage, sqs:DeleteMessage and sqs:GetQueueAttributes.
    Re-running with other options updates the mapping; options left out return to their defaults.

    Examples:

      lambdactl trigger add sqs --queue https://sqs.us-east-1.amazonaws.com/123456789012/orders

      lambdactl trigger add worker sqs --queue orders --batch-size 100 --window 5 --max-concurrency 10

      lambdactl trigger add sqs --queue orders --report-batch-item-failures --filter '{"body": {"type": ["order"]}}'
    """
    _add(ctx, "sqs", {"queue": queue, "batch_size": batch_size, "window": window,
                      "report_batch_item_failures": report_batch_item_failures, "filters": filters or None,
                      "max_concurrency": max_concurrency, "enabled": not disabled})


@add_app.command("kinesis")
def add_kinesis(
    ctx: typer.Context,
    stream: Annotated[str, typer.Option("--stream", help="Stream ARN or name.")],
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", help="1..10000. Default 100.")] = None,
    window: Annotated[Optional[int], typer.Option("--window", help="MaximumBatchingWindowInSeconds, 0..300.")] = None,
    starting_position: Annotated[Optional[str], typer.Option("--starting-position", help="LATEST (default), TRIM_HORIZON or AT_TIMESTAMP; set when the mapping is created.")] = None,
    starting_timestamp: Annotated[Optional[str], typer.Option("--starting-timestamp", help="ISO-8601 time for AT_TIMESTAMP.")] = None,
    report_batch_item_failures: ReportFailuresOpt = False,
    filters: FilterOpt = None,
    bisect_on_error: BisectOpt = False,
    max_retries: MaxRetriesOpt = None,
    max_record_age: MaxRecordAgeOpt = None,
    on_failure: OnFailureOpt = None,
    parallelization_factor: ParallelOpt = None,
    tumbling_window: TumblingOpt = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Create the mapping disabled.")] = False,
) -> None:
    """Read a Kinesis stream (event source mapping).

    Re-running with other options updates the mapping; options left out return to their defaults,
    except the starting position, which an existing mapping keeps (a different one is refused).

    Examples:

      lambdactl trigger add kinesis --stream arn:aws:kinesis:us-east-1:123456789012:stream/clicks

      lambdactl trigger add kinesis --stream clicks --starting-position TRIM_HORIZON --batch-size 500

      lambdactl trigger add kinesis --stream clicks --bisect-on-error --max-retries 3 --on-failure arn:aws:sqs:us-east-1:123456789012:clicks-failed
    """
    _add(ctx, "kinesis", {"stream": stream, "batch_size": batch_size, "window": window,
                          "starting_position": starting_position, "starting_timestamp": starting_timestamp,
                          **_stream_options(report_batch_item_failures, filters, bisect_on_error, max_retries,
                                            max_record_age, on_failure, parallelization_factor, tumbling_window),
                          "enabled": not disabled})


@add_app.command("dynamodb")
def add_dynamodb(
    ctx: typer.Context,
    table: Annotated[Optional[str], typer.Option("--table", help="Table name (its stream is looked up).")] = None,
    stream: Annotated[Optional[str], typer.Option("--stream", help="Stream ARN.")] = None,
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", help="1..10000. Default 100.")] = None,
    window: Annotated[Optional[int], typer.Option("--window", help="MaximumBatchingWindowInSeconds, 0..300.")] = None,
    starting_position: Annotated[Optional[str], typer.Option("--starting-position", help="LATEST (default) or TRIM_HORIZON; set when the mapping is created.")] = None,
    report_batch_item_failures: ReportFailuresOpt = False,
    filters: FilterOpt = None,
    bisect_on_error: BisectOpt = False,
    max_retries: MaxRetriesOpt = None,
    max_record_age: MaxRecordAgeOpt = None,
    on_failure: OnFailureOpt = None,
    parallelization_factor: ParallelOpt = None,
    tumbling_window: TumblingOpt = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Create the mapping disabled.")] = False,
) -> None:
    """Read a DynamoDB stream (event source mapping).

    Re-running with other options updates the mapping; options left out return to their defaults,
    except the starting position, which an existing mapping keeps (a different one is refused).

    Examples:

      lambdactl trigger add dynamodb --table orders

      lambdactl trigger add dynamodb --stream arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000

      lambdactl trigger add dynamodb --table orders --filter '{"eventName": ["INSERT"]}' --report-batch-item-failures
    """
    _add(ctx, "dynamodb", {"table": table, "stream": stream, "batch_size": batch_size, "window": window,
                           "starting_position": starting_position,
                           **_stream_options(report_batch_item_failures, filters, bisect_on_error, max_retries,
                                             max_record_age, on_failure, parallelization_factor, tumbling_window),
                           "enabled": not disabled})


@add_app.command("sns")
def add_sns(
    ctx: typer.Context,
    topic: Annotated[str, typer.Option("--topic", help="Topic ARN.")],
) -> None:
    """Subscribe the function to an SNS topic (permission + subscription).

    Examples:

      lambdactl trigger add sns --topic arn:aws:sns:us-east-1:123456789012:alerts
    """
    _add(ctx, "sns", {"topic": topic})


@add_app.command("url")
def add_url(
    ctx: typer.Context,
    auth: Annotated[str, typer.Option("--auth", help="AWS_IAM (signed requests only) or NONE (public: anyone on the internet; asks on a terminal).")] = "AWS_IAM",
    cors: Annotated[bool, typer.Option("--cors", help="Enable CORS (any origin and method unless narrowed).")] = False,
    cors_origin: Annotated[Optional[List[str]], typer.Option("--cors-origin", help="Allowed origin; repeat or comma-separate.")] = None,
    cors_methods: Annotated[Optional[List[str]], typer.Option("--cors-methods", help="Allowed methods, e.g. GET,POST.")] = None,
    cors_headers: Annotated[Optional[List[str]], typer.Option("--cors-headers", help="Allowed request headers.")] = None,
    cors_expose_headers: Annotated[Optional[List[str]], typer.Option("--cors-expose-headers", help="Response headers exposed to the browser.")] = None,
    cors_max_age: Annotated[Optional[int], typer.Option("--cors-max-age", help="Preflight cache seconds, 0..86400.")] = None,
    cors_credentials: Annotated[bool, typer.Option("--cors-credentials", help="Allow credentials (needs named origins).")] = False,
    invoke_mode: Annotated[str, typer.Option("--invoke-mode", help="BUFFERED or RESPONSE_STREAM.")] = "BUFFERED",
) -> None:
    """Give the function an HTTPS URL and print it.

    With --auth NONE anyone on the internet can invoke the function, without credentials: a
    warning with the URL is printed on stderr, and on a terminal you are asked first (-y/--yes
    skips the question; without a terminal there is no question). Both statements public URLs
    need are added: lambda:InvokeFunctionUrl (FunctionUrlAuthType NONE) and lambda:InvokeFunction
    (InvokedViaFunctionUrl true).

    Examples:

      lambdactl trigger add url --auth NONE

      lambdactl trigger add api url --auth NONE --cors-origin https://example.com --cors-methods GET,POST
    """
    cors_opts: dict | None = None
    if cors or cors_origin or cors_methods or cors_headers or cors_expose_headers or cors_max_age is not None \
            or cors_credentials:
        cors_opts = {"origins": cors_origin or None, "methods": cors_methods or None,
                     "headers": cors_headers or None, "expose_headers": cors_expose_headers or None,
                     "max_age": cors_max_age, "credentials": cors_credentials or None}
        cors_opts = {k: v for k, v in cors_opts.items() if v is not None}
    _add(ctx, "url", {"auth": auth, "cors": cors_opts, "invoke_mode": invoke_mode})


# --- trigger list / remove ---------------------------------------------------------------------

@trigger_app.command("list")
def trigger_list(function: FunctionArg = None) -> None:
    """List everything that can invoke the function, with state.

    Event source mappings, S3 buckets (from the policy's source ARNs, confirmed against each
    bucket's notification configuration), EventBridge rules, SNS subscriptions and the URL.
    Statements of the policy that match no live trigger are shown as "permission only".

    Examples:

      lambdactl trigger list

      lambdactl trigger list orders-api -o json | jq -r '.[].id'
    """
    from lambdactl.core.resources.triggers import list_triggers

    name, qualifier = resolve_function(function)
    records = list_triggers(aws(), name, qualifier)
    if current().output_format == "table":
        records = [dict(r, details=_short_details(r["details"])) for r in records]
    emit(records, columns=LIST_COLUMNS, quiet_field="id")


def _short_details(details: dict) -> dict:
    """The table view of a trigger's details: settings at their defaults left out, filter
    patterns as compact JSON (-o json has every key)."""
    from lambdactl.core.model.triggerspec import ESM_DEFAULTS, compact_json

    out = {}
    for k, v in details.items():
        if k in ESM_DEFAULTS and k not in ("window",) and v == ESM_DEFAULTS[k]:
            continue
        if k == "filters":
            v = [compact_json(x) for x in v]
        out[k] = v
    return out


def _split_fn_and_id(words: list[str], what: str) -> tuple[str | None, str]:
    if not words:
        raise UsageError(f"missing {what}", hint=f"see the ids with 'lambdactl {'trigger' if what == 'ID' else 'permission'} list'")
    if len(words) > 2:
        raise UsageError(f"too many arguments: {' '.join(words)}", hint=f"expected [FUNCTION] {what}")
    return (words[0], words[1]) if len(words) == 2 else (None, words[0])


@trigger_app.command("remove")
def trigger_remove(
    words: Annotated[List[str], typer.Argument(metavar="[FUNCTION] ID", help="Optional function, then the trigger id from 'trigger list'.", show_default=False)],
) -> None:
    """Remove one trigger and the permission lambdactl added for it, and nothing else.

    Examples:

      lambdactl trigger remove lambdactl-3f2a9c1b0d4e

      lambdactl trigger remove orders-api 6f1c2b7e-0d3a-4c55-9a1e-2f7f0d6b9a10
    """
    from lambdactl.core.resources.triggers import remove_trigger

    function, tid = _split_fn_and_id(list(words), "ID")
    name, qualifier = resolve_function(function)
    result = remove_trigger(aws(), name, qualifier, tid)
    emit(result, quiet_field="id")


# --- permission list / add / remove ------------------------------------------------------------

def _qualifier(function_qualifier: str | None, option: str | None) -> str | None:
    if function_qualifier and option and function_qualifier != option:
        raise UsageError(f"two qualifiers given: {function_qualifier!r} (in FUNCTION) and {option!r} (--qualifier)",
                         hint="give one of them")
    return option or function_qualifier


@permission_app.command("list")
def permission_list(
    function: FunctionArg = None,
    qualifier: Annotated[Optional[str], typer.Option("--qualifier", help="Version or alias whose policy to show.")] = None,
) -> None:
    """Show the function's resource-based policy as a table.

    Examples:

      lambdactl permission list

      lambdactl permission list orders-api -o json
    """
    from lambdactl.core.resources.permissions import list_permissions

    name, fq = resolve_function(function)
    emit(list_permissions(aws(), name, _qualifier(fq, qualifier)), columns=PERMISSION_COLUMNS,
         quiet_field="statement_id")


@permission_app.command("add")
def permission_add(
    principal: Annotated[str, typer.Option("--principal", help="Service (s3.amazonaws.com), account id, IAM ARN or '*'.")],
    function: FunctionArg = None,
    action: Annotated[str, typer.Option("--action", help="Lambda action.")] = "lambda:InvokeFunction",
    source_arn: Annotated[Optional[str], typer.Option("--source-arn", help="ARN of the resource allowed to invoke.")] = None,
    source_account: Annotated[Optional[str], typer.Option("--source-account", help="Account that owns the source.")] = None,
    qualifier: Annotated[Optional[str], typer.Option("--qualifier", help="Version or alias.")] = None,
    principal_org_id: Annotated[Optional[str], typer.Option("--principal-org-id", help="Only principals of this organization.")] = None,
    function_url_auth_type: Annotated[Optional[str], typer.Option("--function-url-auth-type", help="NONE or AWS_IAM (with lambda:InvokeFunctionUrl).")] = None,
) -> None:
    """Allow a principal to invoke the function (idempotent: the statement id is a content hash).

    A service principal without --source-arn / --source-account gets a confused-deputy warning.

    Examples:

      lambdactl permission add --principal s3.amazonaws.com --source-arn arn:aws:s3:::uploads --source-account 123456789012

      lambdactl permission add orders-api --principal 210987654321
    """
    from lambdactl.core.resources.permissions import PermissionSpec, add_permission, validate

    spec = PermissionSpec(principal=principal, action=action, source_arn=source_arn, source_account=source_account,
                          qualifier=qualifier, principal_org_id=principal_org_id,
                          function_url_auth_type=function_url_auth_type)
    validate(spec)
    name, fq = resolve_function(function)
    q = _qualifier(fq, qualifier)
    if q != spec.qualifier:
        spec = dataclasses.replace(spec, qualifier=q)
        validate(spec)
    result = add_permission(aws(), name, spec)
    if result["warning"]:
        warn(result["warning"])
    emit(result, quiet_field="statement_id")


@permission_app.command("remove")
def permission_remove(
    words: Annotated[List[str], typer.Argument(metavar="[FUNCTION] STATEMENT_ID", help="Optional function, then the statement id from 'permission list'.", show_default=False)],
    qualifier: Annotated[Optional[str], typer.Option("--qualifier", help="Version or alias.")] = None,
) -> None:
    """Remove one statement from the function's resource-based policy.

    Examples:

      lambdactl permission remove lambdactl-0c1d2e3f4a5b

      lambdactl permission remove orders-api AllowS3Invoke
    """
    from lambdactl.core.resources.permissions import remove_permission

    function, sid = _split_fn_and_id(list(words), "STATEMENT_ID")
    name, fq = resolve_function(function)
    emit(remove_permission(aws(), name, sid, _qualifier(fq, qualifier)), quiet_field="statement_id")


def register(app: typer.Typer) -> None:
    trigger_app.command("ls", hidden=True)(trigger_list)
    trigger_app.command("rm", hidden=True)(trigger_remove)
    permission_app.command("ls", hidden=True)(permission_list)
    permission_app.command("rm", hidden=True)(permission_remove)
    app.add_typer(trigger_app, name="trigger")
    app.add_typer(trigger_app, name="triggers", hidden=True)
    app.add_typer(permission_app, name="permission")
    app.add_typer(permission_app, name="permissions", hidden=True)
