"""What a trigger is, before any AWS call: the kinds, their options and the local validation.

:func:`normalize` validates one kind's options (the project file's keys, also ``trigger add``'s
flags) into a :class:`TriggerSpec`, raising UsageError (exit 2) on bad input. Pure: the project
file (lambdactl.config) and the per-kind modules in core/resources/triggers/ both use it.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambdactl.errors import UsageError

KINDS = ("s3", "schedule", "eventbridge", "sqs", "kinesis", "dynamodb", "sns", "url")

S3_EVENTS = (
    "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*", "s3:ObjectRestore:Post", "s3:ObjectRestore:Completed", "s3:ObjectRestore:Delete",
    "s3:ReducedRedundancyLostObject",
    "s3:Replication:*", "s3:Replication:OperationFailedReplication", "s3:Replication:OperationNotTracked",
    "s3:Replication:OperationMissedThreshold", "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:LifecycleExpiration:*", "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated", "s3:LifecycleTransition",
    "s3:IntelligentTiering", "s3:ObjectTagging:*", "s3:ObjectTagging:Put", "s3:ObjectTagging:Delete",
    "s3:ObjectAcl:Put",
)
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
RULE_NAME_RE = re.compile(r"^[\w.-]{1,64}$")
BUS_NAME_RE = re.compile(r"^[\w.\-/]{1,256}$")
SQS_ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:sqs:([a-z0-9-]+):(\d{12}):([\w-]{1,80})$")
QUEUE_NAME_RE = re.compile(r"^[\w-]{1,80}$")
KINESIS_ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:kinesis:[a-z0-9-]+:\d{12}:stream/[\w.-]{1,128}$")
STREAM_NAME_RE = re.compile(r"^[\w.-]{1,128}$")
DDB_STREAM_ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:dynamodb:[a-z0-9-]+:\d{12}:table/[\w.-]{3,255}/stream/.+$")
DDB_TABLE_ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:dynamodb:[a-z0-9-]+:\d{12}:table/([\w.-]{3,255})$")
TABLE_NAME_RE = re.compile(r"^[\w.-]{3,255}$")
SNS_ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:sns:([a-z0-9-]+):\d{12}:[\w-]{1,256}$")
CORS_METHODS = ("*", "GET", "PUT", "HEAD", "POST", "PATCH", "DELETE")
ORIGIN_RE = re.compile(r"^(\*|https?://[^\s/]+)$")

ROLE_ACTIONS = {
    "sqs": (["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "AWSLambdaSQSQueueExecutionRole"),
    "kinesis": (["kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream",
                 "kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:ListStreams"],
                "AWSLambdaKinesisExecutionRole"),
    "dynamodb": (["dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream",
                  "dynamodb:ListStreams"], "AWSLambdaDynamoDBExecutionRole"),
}
DEFAULT_BATCH = {"sqs": 10, "kinesis": 100, "dynamodb": 100}
STREAM_KINDS = ("kinesis", "dynamodb")
# Event source mapping settings an update can change, per kind, in the project file's words
# (trigger add's flags are the same words: --max-retries ...). A starting position is set when a
# mapping is created and cannot be changed afterwards (see _ensure_esm).
_COMMON_ESM = ("batch_size", "window", "enabled", "report_batch_item_failures", "filters")
ESM_SETTINGS = {
    "sqs": _COMMON_ESM + ("max_concurrency",),
    "kinesis": _COMMON_ESM + ("bisect_on_error", "max_retries", "max_record_age", "parallelization_factor",
                              "tumbling_window", "on_failure"),
    "dynamodb": _COMMON_ESM + ("bisect_on_error", "max_retries", "max_record_age", "parallelization_factor",
                               "tumbling_window", "on_failure"),
}
# What AWS uses when a setting is not given (and what an update sends to clear one).
ESM_DEFAULTS: dict[str, Any] = {"window": 0, "report_batch_item_failures": False, "filters": [],
                                "max_concurrency": None, "bisect_on_error": False, "max_retries": -1,
                                "max_record_age": -1, "parallelization_factor": 1, "tumbling_window": 0,
                                "on_failure": None, "enabled": True}
ESM_RANGES = {"max_concurrency": (2, 1000), "max_retries": (-1, 10000), "parallelization_factor": (1, 10),
              "tumbling_window": (0, 900)}
MAX_FILTERS = 10
STARTING_POSITIONS = {"kinesis": ("LATEST", "TRIM_HORIZON", "AT_TIMESTAMP"),
                      "dynamodb": ("LATEST", "TRIM_HORIZON")}


@dataclass
class TriggerSpec:
    """A validated trigger of one kind; ``opts`` holds normalized options (see :func:`normalize`)."""

    kind: str
    opts: dict[str, Any]

    @property
    def label(self) -> str:
        o = self.opts
        if self.kind == "s3":
            extra = "".join(f" {k}={o[k]}" for k in ("prefix", "suffix") if o.get(k))
            return f"s3://{o['bucket']} {','.join(o['events'])}{extra}"
        if self.kind == "schedule":
            return o["expression"]
        if self.kind == "eventbridge":
            return f"{o['bus']} {json.dumps(o['pattern'], separators=(',', ':'))}"
        if self.kind in ("sqs", "kinesis", "dynamodb"):
            return o.get("arn") or o.get("source") or o.get("table") or ""
        if self.kind == "sns":
            return o["topic"]
        return f"function URL (auth {o['auth']})"


def normalize(kind: str, options: dict[str, Any] | None = None, *, where: str = "") -> TriggerSpec:
    """Validate the options of one trigger without calling AWS (UsageError, exit 2, on bad input).

    ``options`` uses the project file's keys (``bucket``, ``events``, ``expression``, ``pattern``,
    ``queue``/``source``, ``batch_size``, ``window``, ``topic``, ``auth``, ``cors`` ...).
    ``where`` prefixes messages (``"lambdactl.toml: triggers[0]: "``).
    """
    o = {k: v for k, v in (options or {}).items() if v is not None}
    if kind not in KINDS:
        raise UsageError(f"{where}unknown trigger kind {kind!r}", hint=f"kinds: {', '.join(KINDS)}")

    def fail(msg: str, hint: str | None = None):
        raise UsageError(f"{where}{msg}", hint=hint)

    if kind == "s3":
        return TriggerSpec(kind, _norm_s3(o, fail))
    if kind in ("schedule", "eventbridge"):
        return TriggerSpec(kind, _norm_rule(kind, o, fail, where))
    if kind in ("sqs", "kinesis", "dynamodb"):
        return TriggerSpec(kind, _norm_esm(kind, o, fail))
    if kind == "sns":
        topic = o.get("topic")
        if not isinstance(topic, str) or not topic:
            fail("sns: --topic is required", hint="the topic ARN, e.g. arn:aws:sns:us-east-1:123456789012:orders")
        if not SNS_ARN_RE.match(topic):
            fail(f"sns: {topic!r} is not an SNS topic ARN", hint="form: arn:aws:sns:<region>:<account>:<topic>")
        return TriggerSpec(kind, {"topic": topic})
    return TriggerSpec(kind, _norm_url(o, fail))


def _norm_s3(o: dict, fail) -> dict:
    bucket = o.get("bucket")
    if not isinstance(bucket, str) or not bucket:
        fail("s3: --bucket is required")
    m = re.match(r"^(s3://|arn:aws[a-zA-Z-]*:s3:::)", bucket)    # any partition's bucket ARN
    if m:
        bucket = bucket[m.end():].rstrip("/")
    if not BUCKET_RE.match(bucket) or ".." in bucket:
        fail(f"s3: {bucket!r} is not a valid bucket name",
             hint="3-63 lower-case letters, digits, '.' and '-' (or s3://name, arn:aws:s3:::name)")
    events = o.get("events") or ["s3:ObjectCreated:*"]
    if isinstance(events, str):
        events = [events]
    if not isinstance(events, (list, tuple)) or not all(isinstance(e, str) for e in events):
        fail("s3: events must be a list of S3 event types")
    flat: list[str] = []
    for e in events:
        flat.extend(x.strip() for x in e.split(",") if x.strip())
    for e in flat:
        if e not in S3_EVENTS:
            close = [x for x in S3_EVENTS if x.lower() == e.lower()]
            fail(f"s3: {e!r} is not an S3 event type",
                 hint=f"did you mean {close[0]}?" if close else
                 "e.g. s3:ObjectCreated:*, s3:ObjectCreated:Put, s3:ObjectRemoved:*, s3:ObjectRestore:Completed")
    out = {"bucket": bucket, "events": sorted(set(flat))}
    for k in ("prefix", "suffix"):
        v = o.get(k)
        if v is not None and not isinstance(v, str):
            fail(f"s3: {k} must be a string")
        if v and len(v) > 1024:
            fail(f"s3: {k} is longer than 1024 characters")
        out[k] = v or None
    return out


def load_json_arg(value: Any, what: str, fail=None) -> Any:
    """A JSON value from a string, ``@file`` (or an already parsed value); UsageError if invalid."""
    def _fail(msg, hint=None):
        if fail is not None:
            fail(msg, hint)
        raise UsageError(msg, hint=hint)

    if not isinstance(value, str):
        return value
    text = value
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            _fail(f"{what}: file not found: {path}", hint="give inline JSON, or @ followed by an existing file's path")
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"{what}: cannot read {path}: {exc}")
    def _constant(name):  # Python's json takes NaN/Infinity; JSON (and EventBridge) do not
        _fail(f"{what}: invalid JSON: {name} is not a JSON value", hint="use null or a string")

    try:
        return json.loads(text, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        _fail(f"{what}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
              hint="quote the JSON in single quotes on the shell, or pass @file.json")


def validate_pattern(pattern: Any, path: str = "pattern") -> None:
    """An EventBridge event pattern: a non-empty object whose leaves are non-empty arrays."""
    if not isinstance(pattern, dict) or not pattern:
        raise UsageError(f"event {path} must be a non-empty JSON object",
                         hint='e.g. {"source": ["aws.s3"], "detail-type": ["Object Created"]}')
    for k, v in pattern.items():
        p = f"{path}.{k}"
        if isinstance(v, dict):
            if k.startswith("$"):
                continue
            validate_pattern(v, p)
        elif isinstance(v, list):
            if not v:
                raise UsageError(f"event {p}: empty array matches nothing",
                                 hint="list the values to match, e.g. [\"aws.s3\"]")
        else:
            raise UsageError(f"event {p}: {json.dumps(v)} must be an array of values",
                             hint=f'e.g. "{k}": [{json.dumps(v)}]')


def _norm_input(o: dict, fail) -> Any:
    if "input" not in o:
        return None
    return load_json_arg(o["input"], "--input", fail)   # a parsed value passes through


def _norm_rule(kind: str, o: dict, fail, where: str) -> dict:
    from lambdactl.core.model.schedule import validate_expression

    out: dict[str, Any] = {}
    if kind == "schedule":
        expr = o.get("expression")
        if not isinstance(expr, str) or not expr.strip():
            fail("schedule: --expression is required", hint='e.g. "rate(5 minutes)" or "cron(0 12 * * ? *)"')
        try:
            out["expression"] = validate_expression(expr)
        except UsageError as exc:
            fail(exc.message, exc.hint)
        if out["expression"].startswith("at("):
            fail(f"schedule: one-time {out['expression']!r} is not supported by EventBridge rules",
                 hint='use rate(...) or cron(...), e.g. "cron(0 9 1 12 ? 2026)" for one run')
        bus = o.get("bus") or "default"
        if bus != "default":
            fail("schedule: schedule rules run on the default event bus", hint="drop --bus")
    else:
        pat = o.get("pattern")
        if pat is None or pat == "":
            fail("eventbridge: --pattern is required", hint='JSON or @file, e.g. \'{"source": ["aws.s3"]}\'')
        pattern = load_json_arg(pat, "--pattern", fail)
        try:
            validate_pattern(pattern)
        except UsageError as exc:
            fail(exc.message, exc.hint)
        out["pattern"] = pattern
        bus = o.get("bus") or "default"
        if not isinstance(bus, str):
            fail("eventbridge: bus must be a string")
        if bus.startswith("arn:"):
            bus = bus.rsplit("/", 1)[-1]
        if not BUS_NAME_RE.match(bus):
            fail(f"eventbridge: {bus!r} is not a valid event bus name")
    out["bus"] = bus
    name = o.get("name")
    if name is not None and (not isinstance(name, str) or not RULE_NAME_RE.match(name)):
        fail(f"{kind}: {name!r} is not a valid rule name", hint="1-64 letters, digits, '.', '-', '_'")
    out["name"] = name or None
    out["input"] = _norm_input(o, fail)
    enabled = o.get("enabled", True)
    if not isinstance(enabled, bool):
        fail(f"{kind}: enabled must be true or false")
    out["enabled"] = enabled
    return out


def _int(o: dict, key: str, lo: int, hi: int, fail, flag: str) -> int | None:
    v = o.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int):
        fail(f"{flag} must be a whole number", hint=f"allowed range: {lo}..{hi}")
    if not lo <= v <= hi:
        fail(f"{flag} {v} is out of range", hint=f"allowed range: {lo}..{hi}")
    return v


def _norm_esm(kind: str, o: dict, fail) -> dict:
    out: dict[str, Any] = {}
    if kind == "sqs":
        src = o.get("source") or o.get("queue")
        if not isinstance(src, str) or not src:
            fail("sqs: --queue is required", hint="a queue ARN, URL or name")
        if not (SQS_ARN_RE.match(src) or src.startswith(("https://", "http://")) or QUEUE_NAME_RE.match(src)
                or QUEUE_NAME_RE.match(src.removesuffix(".fifo"))):
            fail(f"sqs: {src!r} is not a queue ARN, URL or name",
                 hint="e.g. arn:aws:sqs:us-east-1:123456789012:orders or https://sqs.us-east-1.amazonaws.com/123456789012/orders")
        if src.startswith(("https://", "http://")):
            split_queue_url(src, fail)
        out["source"] = src
    elif kind == "kinesis":
        src = o.get("source") or o.get("stream")
        if not isinstance(src, str) or not src:
            fail("kinesis: --stream is required", hint="a stream ARN or name")
        if not (KINESIS_ARN_RE.match(src) or STREAM_NAME_RE.match(src)):
            fail(f"kinesis: {src!r} is not a stream ARN or name",
                 hint="form: arn:aws:kinesis:<region>:<account>:stream/<name>")
        out["source"] = src
    else:
        stream = o.get("stream") or o.get("source")
        table = o.get("table")
        if bool(stream) == bool(table):
            fail("dynamodb: give exactly one of --table NAME or --stream ARN")
        if stream:
            if not isinstance(stream, str) or not DDB_STREAM_ARN_RE.match(stream):
                fail(f"dynamodb: {stream!r} is not a DynamoDB stream ARN",
                     hint="form: arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>; or use --table NAME")
            out["source"] = stream
        else:
            if not isinstance(table, str):
                fail("dynamodb: table must be a string")
            m = DDB_TABLE_ARN_RE.match(table)
            if m:
                table = m.group(1)
            if not TABLE_NAME_RE.match(table):
                fail(f"dynamodb: {table!r} is not a valid table name", hint="3-255 letters, digits, '_', '-', '.'")
            out["table"] = table
    batch = _int(o, "batch_size", 1, 10000, fail, f"{kind}: --batch-size")
    window = _int(o, "window", 0, 300, fail, f"{kind}: --window")
    out["batch_size"] = batch if batch is not None else DEFAULT_BATCH[kind]
    out["window"] = window or 0
    if kind == "sqs" and out["source"].endswith(".fifo") and out["batch_size"] > 10:
        fail(f"sqs: --batch-size {out['batch_size']} is too large for a FIFO queue", hint="allowed range: 1..10")
    if kind == "sqs" and out["batch_size"] > 10 and not out["window"]:
        fail(f"sqs: --batch-size {out['batch_size']} (over 10) needs --window",
             hint="add --window SECONDS (1..300), the MaximumBatchingWindowInSeconds")
    if kind in STREAM_KINDS:
        _norm_start(kind, o, out, fail)
    out.update(_norm_esm_settings(kind, o, fail))
    enabled = o.get("enabled", True)
    if not isinstance(enabled, bool):
        fail(f"{kind}: enabled must be true or false")
    out["enabled"] = enabled
    return out


def split_queue_url(url: str, fail=None) -> tuple[str | None, str, str]:
    """(region or None, account, name) from a queue URL."""
    from urllib.parse import urlparse

    u = urlparse(url)
    parts = [p for p in u.path.split("/") if p]
    if len(parts) != 2 or not re.match(r"^\d{12}$", parts[0]) or not QUEUE_NAME_RE.match(parts[1].removesuffix(".fifo")):
        msg = f"sqs: {url!r} is not a queue URL"
        hint = "form: https://sqs.<region>.amazonaws.com/<account>/<queue>"
        if fail:
            fail(msg, hint)
        raise UsageError(msg, hint=hint)
    host = u.hostname or ""
    region = None
    m = re.match(r"^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$", host) or \
        re.match(r"^([a-z0-9-]+)\.queue\.amazonaws\.com(\.cn)?$", host)
    if m:
        region = m.group(1)
    elif host == "queue.amazonaws.com":
        region = "us-east-1"
    return region, parts[0], parts[1]


def _norm_start(kind: str, o: dict, out: dict, fail) -> None:
    """starting_position (None when not given: LATEST for a new mapping, an existing mapping's own
    position is then left as it is) and, for AT_TIMESTAMP, starting_timestamp."""
    pos = o.get("starting_position")
    if pos is not None and (not isinstance(pos, str) or pos.upper() not in STARTING_POSITIONS[kind]):
        fail(f"{kind}: --starting-position {pos!r} is not allowed",
             hint=f"allowed values: {', '.join(STARTING_POSITIONS[kind])}")
    out["starting_position"] = pos.upper() if pos else None
    ts = o.get("starting_timestamp")
    if out["starting_position"] == "AT_TIMESTAMP":
        if not ts:
            fail(f"{kind}: --starting-position AT_TIMESTAMP needs --starting-timestamp",
                 hint="an ISO-8601 time, e.g. 2026-01-31T12:00:00Z")
        try:
            when = ts if isinstance(ts, _dt.datetime) else _dt.datetime.fromisoformat(str(ts).replace("Z", "+00:00"))
        except ValueError:
            fail(f"{kind}: --starting-timestamp {ts!r} is not an ISO-8601 time", hint="e.g. 2026-01-31T12:00:00Z")
        if when.tzinfo is None:
            when = when.replace(tzinfo=_dt.timezone.utc)
        out["starting_timestamp"] = when
    elif ts:
        fail(f"{kind}: --starting-timestamp needs --starting-position AT_TIMESTAMP")


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def _norm_esm_settings(kind: str, o: dict, fail, *, file_keys: bool = False) -> dict:
    """The mapping settings besides source, batch size, window, starting position and enabled
    (see :data:`ESM_SETTINGS`), with their defaults filled in. Messages name the flags
    (``--max-retries``), or with ``file_keys`` the project file's keys (``max_retries``)."""
    out: dict[str, Any] = {}
    for key in ESM_SETTINGS[kind]:
        if key in ("batch_size", "window", "enabled"):
            continue
        default = ESM_DEFAULTS[key]
        flag = f"{kind}: {key if file_keys else _flag(key)}"
        if key in ("report_batch_item_failures", "bisect_on_error"):
            v = o.get(key, default)
            if not isinstance(v, bool):
                fail(f"{kind}: {key} must be true or false")
        elif key == "filters":
            v = norm_filters(o.get(key), kind, fail, what="filters" if file_keys else "--filter")
        elif key == "on_failure":
            v = _norm_on_failure(o.get(key), kind, fail, what=flag)
        elif key == "max_record_age":
            v = _int(o, key, -1, 604800, fail, flag)
            if v is not None and 0 <= v < 60:
                fail(f"{flag} {v} is out of range", hint="-1 (no limit) or 60..604800 seconds")
        else:
            lo, hi = ESM_RANGES[key]
            v = _int(o, key, lo, hi, fail, flag)
        out[key] = default if v is None else v
    return out


def norm_filters(value: Any, kind: str = "", fail=None, what: str = "--filter") -> list:
    """Event filter patterns (``FilterCriteria``): JSON strings, ``@file``s or TOML tables → a list
    of JSON objects in a canonical order (the order of filters does not matter to Lambda)."""
    def _fail(msg, hint=None):
        if fail is not None:
            fail(msg, hint)
        raise UsageError(msg, hint=hint)

    where = f"{kind}: " if kind else ""
    if value is None:
        return []
    items = [value] if isinstance(value, (str, dict)) else value
    if not isinstance(items, (list, tuple)):
        _fail(f"{where}filters must be a list of JSON event patterns")
    if len(items) > MAX_FILTERS:
        _fail(f"{where}{len(items)} filters are too many", hint=f"at most {MAX_FILTERS} per mapping (AWS default quota: 5)")
    out = []
    for item in items:
        if not isinstance(item, (str, dict)):
            _fail(f"{where}each filter must be a JSON object (text) or a table",
                  hint='e.g. --filter \'{"body": {"type": ["order"]}}\'')
        if isinstance(item, str) and item.startswith("@") and not what.startswith("--"):
            _fail(f"{where}{what}: {item[:40]!r} is not a JSON object", hint="write the pattern itself in the file")
        pattern = load_json_arg(item, f"{where}{what}", _fail) if isinstance(item, str) else item
        if not isinstance(pattern, dict) or not pattern:
            _fail(f"{where}{what}: a filter must be a non-empty JSON object",
                  hint='e.g. {"body": {"type": ["order"]}}; see Lambda event filtering')
        text = compact_json(pattern)
        if len(text) > 4096:
            _fail(f"{where}a filter pattern is {len(text)} characters", hint="at most 4096")
        out.append(pattern)
    return sorted(out, key=compact_json)


def compact_json(v: Any) -> str:
    return json.dumps(v, sort_keys=True, separators=(",", ":"), default=str)


def _norm_on_failure(arn: Any, kind: str, fail, what: str = "") -> str | None:
    """The on-failure destination of a stream mapping: an SQS queue, SNS topic or S3 bucket ARN."""
    from lambdactl.core.model.asyncspec import destination_kind

    if arn is None or arn == "":
        return None
    if not isinstance(arn, str):
        fail(f"{kind}: on_failure must be an ARN (a string)")
    if re.match(r"^arn:aws[a-zA-Z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", arn):
        return arn
    try:
        destination_kind(arn, ("sqs", "sns", "s3"), what or f"{kind}: --on-failure")
    except UsageError as exc:
        fail(exc.message, exc.hint)
    return arn


def validate_esm_options(kind: str, options: dict) -> None:
    """Check the mapping settings of a [[triggers]] table (UsageError; used by the project-file
    validator, so that they are checked before any AWS call)."""
    def fail(msg, hint=None):
        raise UsageError(msg, hint=hint)

    o = {k: v for k, v in options.items() if v is not None}
    _norm_esm_settings(kind, o, fail, file_keys=True)
    if kind in STREAM_KINDS:
        _norm_start(kind, o, {}, fail)


_CORS_KEYS = {"allow_origins": "AllowOrigins", "origins": "AllowOrigins",
              "allow_methods": "AllowMethods", "methods": "AllowMethods",
              "allow_headers": "AllowHeaders", "headers": "AllowHeaders",
              "expose_headers": "ExposeHeaders", "max_age": "MaxAge",
              "allow_credentials": "AllowCredentials", "credentials": "AllowCredentials"}


def _norm_url(o: dict, fail) -> dict:
    auth = o.get("auth") or "AWS_IAM"
    if not isinstance(auth, str) or auth.upper() not in ("NONE", "AWS_IAM"):
        fail(f"url: --auth {auth!r} is not allowed", hint="allowed values: NONE, AWS_IAM")
    mode = o.get("invoke_mode") or "BUFFERED"
    if not isinstance(mode, str) or mode.upper() not in ("BUFFERED", "RESPONSE_STREAM"):
        fail(f"url: --invoke-mode {mode!r} is not allowed", hint="allowed values: BUFFERED, RESPONSE_STREAM")
    cors_in = o.get("cors")
    cors = None
    if cors_in is True:
        cors_in = {}
    if cors_in not in (None, False):
        if not isinstance(cors_in, dict):
            fail("url: cors must be a table (origins, methods, headers, expose_headers, max_age, credentials)")
        cors = {}
        for k, v in cors_in.items():
            aws_key = _CORS_KEYS.get(k)
            if aws_key is None:
                fail(f"url: cors.{k} is not a known key",
                     hint="allowed: origins, methods, headers, expose_headers, max_age, credentials")
            if aws_key == "MaxAge":
                if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 86400:
                    fail(f"url: cors max_age {v!r} is out of range", hint="allowed range: 0..86400 seconds")
                cors[aws_key] = v
            elif aws_key == "AllowCredentials":
                if not isinstance(v, bool):
                    fail("url: cors credentials must be true or false")
                cors[aws_key] = v
            else:
                items = [v] if isinstance(v, str) else v
                if not isinstance(items, (list, tuple)) or not all(isinstance(x, str) for x in items):
                    fail(f"url: cors {k} must be a list of strings")
                flat = []
                for x in items:
                    flat.extend(p.strip() for p in x.split(",") if p.strip())
                if flat:
                    cors[aws_key] = flat
        cors.setdefault("AllowOrigins", ["*"])
        cors.setdefault("AllowMethods", ["*"])
        cors["AllowMethods"] = [m.upper() for m in cors["AllowMethods"]]
        for m in cors["AllowMethods"]:
            if m not in CORS_METHODS:
                fail(f"url: CORS method {m!r} is not allowed", hint=f"allowed: {', '.join(CORS_METHODS)}")
        for origin in cors["AllowOrigins"]:
            if not ORIGIN_RE.match(origin):
                fail(f"url: CORS origin {origin!r} is not valid", hint="'*' or scheme://host[:port], e.g. https://example.com")
        if cors.get("AllowCredentials") and "*" in cors["AllowOrigins"]:
            fail("url: CORS credentials cannot be allowed for every origin ('*')",
                 hint="name the origins with --cors-origin https://example.com")
    return {"auth": auth.upper(), "cors": cors, "invoke_mode": mode.upper()}
