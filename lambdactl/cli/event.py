"""``lambdactl event SOURCE``: a realistic sample event on stdout, ready to pipe into ``invoke``."""
from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from lambdactl.cli.common import COMMON_EPILOG
from lambdactl.errors import UsageError


def _complete_source(incomplete: str) -> list[str]:
    from lambdactl.core.run.events import SOURCES

    return [name for name in SOURCES if name.startswith(incomplete)]


def _file_or_text(value: str | None, what: str) -> str | bytes | None:
    """``@FILE`` → the file's bytes; anything else as given."""
    if value is None or not value.startswith("@"):
        return value
    from lambdactl.core.run.payload import read_file

    return read_file(value[1:], what=f"{what} file")


def event(
    source: Annotated[Optional[str], typer.Argument(
        metavar="SOURCE", show_default=False, autocompletion=_complete_source,
        help="s3, sqs, sns, eventbridge, schedule, http, apigw, dynamodb, kinesis or cloudwatch-logs "
             "(none: list them).")] = None,
    list_: Annotated[bool, typer.Option("--list", "-l", help="List the sources (also: no SOURCE).")] = False,
    bucket: Annotated[Optional[str], typer.Option("--bucket", help="(s3) Bucket name.")] = None,
    key: Annotated[Optional[str], typer.Option("--key", help="(s3) Object key, as uploaded: the event carries it URL-encoded, as S3 does.")] = None,
    size: Annotated[Optional[int], typer.Option("--size", metavar="BYTES", help="(s3) Object size.")] = None,
    event_name: Annotated[Optional[str], typer.Option(
        "--event-name", help="(s3) e.g. ObjectCreated:Put, ObjectRemoved:Delete; (dynamodb) INSERT, MODIFY or REMOVE.")] = None,
    body: Annotated[Optional[str], typer.Option(
        "--body", metavar="TEXT|@FILE",
        help="(sqs, sns, kinesis, cloudwatch-logs, http, apigw) The message, record data, log lines or request body.")] = None,
    queue: Annotated[Optional[str], typer.Option("--queue", help="(sqs) Queue name, ARN or URL; a .fifo name gives FIFO attributes.")] = None,
    topic: Annotated[Optional[str], typer.Option("--topic", help="(sns) Topic name or ARN.")] = None,
    subject: Annotated[Optional[str], typer.Option("--subject", help="(sns) Message subject.")] = None,
    count: Annotated[Optional[int], typer.Option("--count", "-n", metavar="N", help="(sqs, kinesis, dynamodb) Records in the batch (default 1).")] = None,
    detail: Annotated[Optional[str], typer.Option("--detail", metavar="JSON|@FILE", help="(eventbridge) The detail object.")] = None,
    detail_type: Annotated[Optional[str], typer.Option("--detail-type", help="(eventbridge) e.g. 'Order Placed'.")] = None,
    source_name: Annotated[Optional[str], typer.Option("--source", help="(eventbridge) The event's source, e.g. com.example.orders.")] = None,
    rule: Annotated[Optional[str], typer.Option("--rule", help="(schedule) Rule name or ARN.")] = None,
    method: Annotated[Optional[str], typer.Option("--method", "-X", help="(http, apigw) GET, POST, ... (default GET; POST with --body).")] = None,
    path: Annotated[Optional[str], typer.Option("--path", help="(http, apigw) Request path, e.g. /orders/7 (may include ?query).")] = None,
    query: Annotated[Optional[list[str]], typer.Option("--query", metavar="NAME=VALUE", help="(http, apigw) A query parameter. Repeatable.")] = None,
    header: Annotated[Optional[list[str]], typer.Option("--header", "-H", metavar="'NAME: VALUE'", help="(http, apigw) A request header; Cookie headers become the 2.0 cookies list. Repeatable.")] = None,
    table: Annotated[Optional[str], typer.Option("--table", help="(dynamodb) Table name or ARN.")] = None,
    keys: Annotated[Optional[str], typer.Option("--keys", metavar="JSON", help="(dynamodb) The item's key, as plain JSON: '{\"id\": \"7\"}'.")] = None,
    item: Annotated[Optional[str], typer.Option("--item", metavar="JSON|@FILE", help="(dynamodb) The item, as plain JSON (converted to DynamoDB's typed JSON).")] = None,
    stream: Annotated[Optional[str], typer.Option("--stream", help="(kinesis) Stream name or ARN.")] = None,
    partition_key: Annotated[Optional[str], typer.Option("--partition-key", help="(kinesis) Partition key.")] = None,
    log_group: Annotated[Optional[str], typer.Option("--log-group", help="(cloudwatch-logs) Log group name.")] = None,
    time: Annotated[Optional[str], typer.Option("--time", metavar="ISO-8601", help="The event time (default: now), e.g. 2026-11-23T15:21:41Z.")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", metavar="N", help="Seed the ids: the same seed and --time give the same event.")] = None,
) -> None:
    """Print a sample event as AWS sends it (s3, sqs, http, ...), ready to pipe into invoke.

    One JSON document on stdout, realistic down to the ids and timestamps.

    Pipe it into 'lambdactl invoke -' to run a handler on it. The shapes are AWS's own: S3 keys
    URL-encoded, Kinesis data base64, CloudWatch Logs data gzip+base64, function URL / HTTP API 2.0
    (http) and API Gateway REST 1.0 (apigw) requests. Options apply to the sources named in their
    help; the rest are refused. The output is always JSON (-o does not apply); the region is --region
    (default us-east-1).

    Examples:

      lambdactl event s3 --key a.txt | lambdactl invoke -

      lambdactl event sqs --body '{"id": 7}' --count 3 | lambdactl invoke --local -

      lambdactl event http --method POST --path /orders --body '{"id": 7}' -H 'Cookie: s=1'

      lambdactl event eventbridge --detail-type 'Order Placed' --detail '{"id": 7}' > events/order.json

      lambdactl event --list
    """
    from lambdactl.settings import current

    if list_ or source is None:
        if source is not None:
            raise UsageError("--list takes no SOURCE", hint="lambdactl event --list")
        return _list_sources()
    from lambdactl.core.run import events as E

    E.check_source(source)
    options = dict(bucket=bucket, key=key, size=size, event_name=event_name, body=_file_or_text(body, "--body"),
                   queue=queue, topic=topic, subject=subject, count=count,
                   detail=_file_or_text(detail, "--detail"), detail_type=detail_type, source=source_name,
                   rule=rule, method=method, path=path, query=query, header=header, table=table, keys=keys,
                   item=_file_or_text(item, "--item"), stream=stream, partition_key=partition_key,
                   log_group=log_group)
    doc = E.build(source, region=current().region, time=time, seed=seed, **options)
    import json

    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _list_sources() -> None:
    from lambdactl.core.run.events import SOURCES, flag
    from lambdactl.output import emit

    emit([{"source": s.name, "description": s.title, "options": " ".join(flag(o) for o in s.options),
           "template": s.template} for s in SOURCES.values()],
         columns=["source", "description", "options", "template"], quiet_field="source")


def register(app: typer.Typer) -> None:
    app.command("event", epilog=COMMON_EPILOG)(event)
