"""Triggers: wire any event source to a function in one call, without breaking existing wiring.

Kinds: ``s3``, ``schedule``, ``eventbridge``, ``sqs``, ``kinesis``, ``dynamodb``, ``sns``, ``url``.

The same three steps serve ``trigger add`` and the deploy planner:

1. :func:`normalize` validates a kind's options locally (no AWS call) into a :class:`TriggerSpec`;
2. :func:`resolve` fills what needs a read-only look-up (queue URL → ARN, table → stream ARN);
3. ``_ensure_<kind>(aws, target, spec, dry_run)`` reads AWS state, decides created / updated /
   unchanged and, unless ``dry_run``, makes the change (permission first, then the wiring).

What lambdactl creates is recognizable, so that removal touches nothing else:

- resource-policy statements: ``lambdactl-<hash>`` statement ids (see :mod:`.permissions`),
- S3 notification configurations: ``Id = lambdactl-<hash>``,
- EventBridge rules: ``lambdactl-<function>-<hash>`` names (or a ``lambdactl:`` description),
- event source mappings: the tag ``lambdactl:managed = true``,
- SNS subscriptions and function URLs: the ``lambdactl-`` statements that go with them.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambdactl.core.resources.functions import list_event_source_mappings, paginate
from lambdactl.core.resources.permissions import (SID_PREFIX, PermissionSpec, ensure_permission, is_service_principal,
                                        read_policy, remove_managed)
from lambdactl.errors import NotFoundError, OperationError, UsageError

KINDS = ("s3", "schedule", "eventbridge", "sqs", "kinesis", "dynamodb", "sns", "url")
MANAGED_TAG = "lambdactl:managed"
MANAGED_DESCRIPTION = "lambdactl:"
PERMISSION_ONLY = "permission only"

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


# --- data ---------------------------------------------------------------------------------------

@dataclass
class Target:
    """The function (and optional qualifier) a trigger invokes."""

    name: str
    qualifier: str | None
    arn: str                       # qualified when a qualifier is given
    role: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.name}:{self.qualifier}" if self.qualifier else self.name


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


@dataclass
class Trigger:
    """One thing that can invoke the function, as ``trigger list`` shows it."""

    id: str
    kind: str
    source: str
    state: str
    managed: bool = False
    details: dict = field(default_factory=dict)
    key: str = ""                                   # identity shared with TriggerSpec (deploy planner)
    ref: dict = field(default_factory=dict)         # what removal needs

    def to_record(self) -> dict:
        return {"id": self.id, "kind": self.kind, "source": self.source, "state": self.state,
                "managed": self.managed, "details": self.details}


def _h(data: Any, n: int = 12) -> str:
    return hashlib.sha1(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:n]


# --- 1. local validation -------------------------------------------------------------------------

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
            _split_queue_url(src, fail)
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
    from lambdactl.core.resources.asyncconfig import destination_kind

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


# --- 2. look-ups (read-only) ---------------------------------------------------------------------

def resolve_target(aws, function: str, qualifier: str | None = None) -> Target:
    """The function's ARN and role (NotFoundError when it does not exist)."""
    from lambdactl.core.resources.functions import require_configuration

    if qualifier == "$LATEST":
        qualifier = None
    cfg = require_configuration(aws, function, qualifier)
    return target_from_configuration(cfg, qualifier)


def target_from_configuration(cfg: dict, qualifier: str | None = None) -> Target:
    name = cfg["FunctionName"]
    arn = cfg["FunctionArn"]
    base = arn.split(":function:", 1)[0] + ":function:" + name
    return Target(name=name, qualifier=qualifier, arn=f"{base}:{qualifier}" if qualifier else base,
                  role=cfg.get("Role"))


def _split_queue_url(url: str, fail=None) -> tuple[str | None, str, str]:
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


def queue_arn(aws, source: str) -> str:
    """A queue ARN from an ARN, a queue URL or a queue name."""
    if SQS_ARN_RE.match(source):
        return source
    if source.startswith(("https://", "http://")):
        region, account, name = _split_queue_url(source)
        return f"arn:{aws.partition}:sqs:{region or aws.region}:{account}:{name}"
    return f"arn:{aws.partition}:sqs:{aws.region}:{aws.account_id}:{source}"


def require_queue(aws, arn: str) -> None:
    """NotFoundError when the queue does not exist (checked before any mapping is created).
    Other failures (e.g. no sqs:GetQueueUrl on a queue of another account) are left to Lambda."""
    from botocore.exceptions import ClientError

    from lambdactl.aws import retry

    parts = arn.split(":")
    region, account, name = parts[3], parts[4], parts[5]
    sqs = aws.client("sqs", region=region)
    try:
        retry(lambda: sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account))
    except ClientError as exc:
        code = exc.response["Error"].get("Code", "")
        if code in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NonExistentQueue"):
            raise NotFoundError(f"SQS queue not found: {name} ({arn})",
                                hint="create the queue first, or check the name, account and region")


def resolve(aws, spec: TriggerSpec) -> TriggerSpec:
    """Fill ``opts['arn']`` for event source mappings (read-only calls only)."""
    o = dict(spec.opts)
    if spec.kind == "sqs":
        o["arn"] = queue_arn(aws, o["source"])
        require_queue(aws, o["arn"])
    elif spec.kind == "kinesis":
        src = o["source"]
        o["arn"] = src if src.startswith("arn:") else \
            f"arn:{aws.partition}:kinesis:{aws.region}:{aws.account_id}:stream/{src}"
    elif spec.kind == "dynamodb":
        if o.get("source"):
            o["arn"] = o["source"]
        else:
            o["arn"] = table_stream_arn(aws, o["table"])
    return TriggerSpec(spec.kind, o)


def table_stream_arn(aws, table: str) -> str:
    from botocore.exceptions import ClientError

    from lambdactl.aws import retry

    ddb = aws.client("dynamodb")
    try:
        t = retry(lambda: ddb.describe_table(TableName=table))["Table"]
    except ClientError as exc:
        if exc.response["Error"].get("Code") == "ResourceNotFoundException":
            raise NotFoundError(f"DynamoDB table not found: {table}",
                                hint="check the name and the region (--region)")
        raise
    arn = t.get("LatestStreamArn")
    enabled = (t.get("StreamSpecification") or {}).get("StreamEnabled", bool(arn))
    if not arn or not enabled:
        raise UsageError(f"DynamoDB table {table} has no stream enabled",
                         hint=f"enable one: aws dynamodb update-table --table-name {table} "
                              "--stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES")
    return arn


def spec_key(target: Target, spec: TriggerSpec) -> str:
    """The identity of a resolved spec, comparable with :attr:`Trigger.key`."""
    o = spec.opts
    if spec.kind == "s3":
        return s3_config_id(target, spec)
    if spec.kind in ("schedule", "eventbridge"):
        return f"rule:{o['bus']}/{rule_name(target, spec)}"
    if spec.kind in ("sqs", "kinesis", "dynamodb"):
        return f"esm:{o['arn']}"
    if spec.kind == "sns":
        return f"sns:{o['topic']}"
    return "url"


# --- 3. ensure (add / update / unchanged) ---------------------------------------------------------

def _result(target: Target, kind: str, tid: str, source: str, status: str, permissions: list[dict],
            changes: list[tuple] | None = None, **extra) -> dict:
    rec = {"function": target.ref, "id": tid, "kind": kind, "source": source, "status": status}
    rec.update(extra)
    rec["permissions"] = permissions
    rec["changes"] = [{"field": f, "before": b, "after": a} for f, b, a in (changes or [])]
    return rec


def _bump(status: str, perm: dict, changes: list, what: str = "permission") -> str:
    if perm["status"] == "created":
        changes.append((what, None, perm["statement_id"]))
        return "updated" if status == "unchanged" else status
    return status


# S3 -----------------------------------------------------------------------------------------------

def s3_config_id(target: Target, spec: TriggerSpec) -> str:
    o = spec.opts
    return SID_PREFIX + _h({"function": target.ref, "bucket": o["bucket"], "events": o["events"],
                            "prefix": o.get("prefix") or "", "suffix": o.get("suffix") or ""})


def _bucket_arn(aws, bucket: str) -> str:
    return f"arn:{aws.partition}:s3:::{bucket}"


def _s3_permission(aws, target: Target, bucket: str) -> PermissionSpec:
    return PermissionSpec("s3.amazonaws.com", source_arn=_bucket_arn(aws, bucket),
                          source_account=aws.account_id, qualifier=target.qualifier)


def _get_notifications(aws, bucket: str) -> dict:
    from botocore.exceptions import ClientError

    from lambdactl.aws import retry

    s3 = aws.client("s3")
    try:
        doc = retry(lambda: s3.get_bucket_notification_configuration(Bucket=bucket))
    except ClientError as exc:
        if exc.response["Error"].get("Code") in ("NoSuchBucket", "404", "NotFound"):
            raise NotFoundError(f"bucket not found: {bucket}", hint="check the bucket name (and --region)")
        raise
    doc = dict(doc)
    doc.pop("ResponseMetadata", None)
    return doc


def _put_notifications(aws, bucket: str, doc: dict) -> None:
    from lambdactl.aws import retry

    s3 = aws.client("s3")
    clean = {k: v for k, v in doc.items() if k != "ResponseMetadata"}
    for k in ("LambdaFunctionConfigurations", "QueueConfigurations", "TopicConfigurations"):
        if k in clean and not clean[k]:
            del clean[k]
    retry(lambda: s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=clean))


def _filter_of(cfg: dict) -> tuple[str, str]:
    rules = ((cfg.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
    f = {r.get("Name", "").lower(): r.get("Value", "") for r in rules}
    return f.get("prefix", ""), f.get("suffix", "")


def _event_overlap(a: list[str], b: list[str]) -> str | None:
    def covers(x: str, y: str) -> bool:
        return x == y or (x.endswith(":*") and y.startswith(x[:-1])) or (y.endswith(":*") and x.startswith(y[:-1]))

    for x in a:
        for y in b:
            if covers(x, y):
                return x if len(x) >= len(y) else y
    return None


_DEST_KEYS = (("LambdaFunctionConfigurations", "LambdaFunctionArn", "Lambda"),
              ("QueueConfigurations", "QueueArn", "SQS"),
              ("TopicConfigurations", "TopicArn", "SNS"))


def _check_overlap(doc: dict, bucket: str, events: list[str], prefix: str, suffix: str,
                   ignore_ids: set[str]) -> None:
    for key, arn_key, label in _DEST_KEYS:
        for cfg in doc.get(key) or []:
            if cfg.get("Id") in ignore_ids:
                continue
            ev = _event_overlap(events, cfg.get("Events") or [])
            if not ev:
                continue
            p2, s2 = _filter_of(cfg)
            if (prefix.startswith(p2) or p2.startswith(prefix)) and (suffix.endswith(s2) or s2.endswith(suffix)):
                cid = cfg.get("Id") or "(no id)"
                hint = ("S3 refuses overlapping prefix/suffix rules for the same event type: use a "
                        "distinct --prefix/--suffix, other --events, or remove the other notification")
                if cid.startswith(SID_PREFIX) and key == "LambdaFunctionConfigurations":
                    hint = f"it was added by lambdactl: remove it first with 'lambdactl trigger remove {cid}'"
                raise UsageError(
                    f"s3: overlaps the existing {label} notification {cid} on bucket "
                    f"{bucket} ({ev}, prefix {p2 or '(any)'!s}, suffix {s2 or '(any)'!s}) -> {cfg.get(arn_key)}",
                    hint=hint)


def _ensure_s3(aws, target: Target, spec: TriggerSpec, dry_run: bool, ignore_ids: set[str] = frozenset()) -> dict:
    o = spec.opts
    bucket = o["bucket"]
    doc = _get_notifications(aws, bucket)
    cid = s3_config_id(target, spec)
    prefix, suffix = o.get("prefix") or "", o.get("suffix") or ""
    perm = _s3_permission(aws, target, bucket)
    source = f"s3://{bucket}"
    details = {"events": o["events"], "prefix": o.get("prefix"), "suffix": o.get("suffix")}
    changes: list[tuple] = []
    for cfg in doc.get("LambdaFunctionConfigurations") or []:
        same = cfg.get("LambdaFunctionArn") == target.arn and sorted(cfg.get("Events") or []) == o["events"] \
            and _filter_of(cfg) == (prefix, suffix)
        if cfg.get("Id") == cid or same:
            p = ensure_permission(aws, target.name, perm, dry_run=dry_run)
            status = _bump("unchanged", p, changes)
            return _result(target, "s3", cfg.get("Id") or cid, source, status, [p], changes, **details)
    _check_overlap(doc, bucket, o["events"], prefix, suffix, set(ignore_ids))
    # The permission first: S3 checks that it may invoke the function when the config is written.
    p = ensure_permission(aws, target.name, perm, dry_run=dry_run)
    new_cfg: dict[str, Any] = {"Id": cid, "LambdaFunctionArn": target.arn, "Events": list(o["events"])}
    rules = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v]
    if rules:
        new_cfg["Filter"] = {"Key": {"FilterRules": rules}}
    if not dry_run:
        new_doc = dict(doc)
        new_doc["LambdaFunctionConfigurations"] = list(doc.get("LambdaFunctionConfigurations") or []) + [new_cfg]
        _put_notifications(aws, bucket, new_doc)
    changes.append(("notification", None, cid))
    _bump("created", p, changes)
    return _result(target, "s3", cid, source, "created", [p], changes, **details)


# EventBridge (schedule + pattern) ----------------------------------------------------------------

def rule_name(target: Target, spec: TriggerSpec) -> str:
    o = spec.opts
    if o.get("name"):
        return o["name"]
    what = o["expression"] if spec.kind == "schedule" else o["pattern"]
    digest = _h({"kind": spec.kind, "function": target.ref, "what": what, "bus": o["bus"]}, 8)
    return f"{SID_PREFIX}{target.name[:64 - len(SID_PREFIX) - 9]}-{digest}"


def _rule_arn(aws, bus: str, name: str) -> str:
    path = f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}"
    return f"arn:{aws.partition}:events:{aws.region}:{aws.account_id}:{path}"


def _target_id(target: Target) -> str:
    return SID_PREFIX + _h(target.arn)


def _describe_rule(events, name: str, bus: str) -> dict | None:
    from botocore.exceptions import ClientError

    from lambdactl.aws import retry

    try:
        return retry(lambda: events.describe_rule(Name=name, EventBusName=bus))
    except ClientError as exc:
        if exc.response["Error"].get("Code") == "ResourceNotFoundException":
            if "bus" in exc.response["Error"].get("Message", "").lower() and bus != "default":
                raise NotFoundError(f"event bus not found: {bus}",
                                    hint=f"create it first: aws events create-event-bus --name {bus}")
            return None
        raise


def _rule_targets(events, name: str, bus: str) -> list[dict]:
    return paginate(events, "list_targets_by_rule", "Targets", Rule=name, EventBusName=bus)


def _is_managed_rule(rule: dict) -> bool:
    return rule.get("Name", "").startswith(SID_PREFIX) or \
        (rule.get("Description") or "").startswith(MANAGED_DESCRIPTION)


def _ensure_rule(aws, target: Target, spec: TriggerSpec, dry_run: bool) -> dict:
    from lambdactl.aws import retry

    o = spec.opts
    bus = o["bus"]
    name = rule_name(target, spec)
    events = aws.client("events")
    rule = _describe_rule(events, name, bus)
    want: dict[str, Any] = {"State": "ENABLED" if o["enabled"] else "DISABLED"}
    if spec.kind == "schedule":
        want["ScheduleExpression"] = o["expression"]
        source = o["expression"]
    else:
        want["EventPattern"] = json.dumps(o["pattern"], separators=(",", ":"))
        source = want["EventPattern"]
    changes: list[tuple] = []
    tid = name if bus == "default" else f"{bus}/{name}"
    if rule is None:
        status = "created"
        arn = _rule_arn(aws, bus, name)
        changes.append(("rule", None, name))
        if not dry_run:
            resp = _put_rule(events, name, bus, f"{MANAGED_DESCRIPTION} {spec.kind} trigger for {target.ref}", want)
            arn = resp.get("RuleArn") or arn
    else:
        status = "unchanged"
        arn = rule.get("Arn") or _rule_arn(aws, bus, name)
        if spec.kind == "schedule" and rule.get("ScheduleExpression") != o["expression"]:
            changes.append(("expression", rule.get("ScheduleExpression"), o["expression"]))
        if spec.kind == "eventbridge":
            cur = json.loads(rule["EventPattern"]) if rule.get("EventPattern") else None
            if cur != o["pattern"]:
                changes.append(("pattern", cur, o["pattern"]))
        if (rule.get("State") or "ENABLED") != want["State"]:
            changes.append(("state", rule.get("State"), want["State"]))
        if changes:
            status = "updated"
            if not dry_run:
                _put_rule(events, name, bus, rule.get("Description"), want)
    perm = PermissionSpec("events.amazonaws.com", source_arn=arn, qualifier=target.qualifier)
    p = ensure_permission(aws, target.name, perm, dry_run=dry_run)
    status = _bump(status, p, changes)
    targets = _rule_targets(events, name, bus) if rule is not None else []
    mine = [t for t in targets if t.get("Arn") == target.arn]
    want_target: dict[str, Any] = {"Id": mine[0]["Id"] if mine else _target_id(target), "Arn": target.arn}
    if o.get("input") is not None:
        want_target["Input"] = json.dumps(o["input"], separators=(",", ":"))
    put = False
    if mine:
        cur_input = mine[0].get("Input")
        try:
            cur_val = json.loads(cur_input) if cur_input else None
        except json.JSONDecodeError:
            cur_val = cur_input
        if cur_val != o.get("input") or mine[0].get("InputPath") or mine[0].get("InputTransformer"):
            changes.append(("input", cur_val, o.get("input")))
            put = True
            if status == "unchanged":
                status = "updated"
    else:
        put = True
        if rule is not None:
            changes.append(("target", None, target.arn))
            if status == "unchanged":
                status = "updated"
    if put and not dry_run:
        resp = retry(lambda: events.put_targets(Rule=name, EventBusName=bus, Targets=[want_target]))
        if resp.get("FailedEntryCount"):
            entry = (resp.get("FailedEntries") or [{}])[0]
            raise OperationError(f"EventBridge refused the target on rule {name}: "
                                 f"{entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")
    extra = {"rule": name, "rule_arn": arn, "bus": bus}
    if o.get("input") is not None:
        extra["input"] = o["input"]
    return _result(target, spec.kind, tid, source, status, [p], changes, **extra)


def _put_rule(events, name: str, bus: str, description: str | None, want: dict) -> dict:
    from botocore.exceptions import ClientError

    from lambdactl.aws import retry

    kw = dict(want, Name=name, EventBusName=bus)
    if description:
        kw["Description"] = description
    try:
        return retry(lambda: events.put_rule(**kw))
    except ClientError as exc:
        err = exc.response["Error"]
        if err.get("Code") == "ResourceNotFoundException":
            raise NotFoundError(f"event bus not found: {bus}",
                                hint=f"create it first: aws events create-event-bus --name {bus}")
        if err.get("Code") == "ValidationException":
            raise UsageError(f"EventBridge rejected rule {name}: {err.get('Message')}",
                             hint="check the expression / event pattern")
        raise


# Event source mappings -----------------------------------------------------------------------------

# Retried on mapping updates/deletes (a mapping still being created or updated is "in use");
# throttling and 5xx are botocore's to retry (lambdactl.aws), never ours as well.
_ESM_RETRY_CODES = frozenset({"ResourceConflictException", "ResourceInUseException"})


def _esm_enabled(state: str | None) -> bool:
    return (state or "Enabled") not in ("Disabled", "Disabling")


def _role_hint(kind: str, target: Target, arn: str) -> str:
    actions, policy = ROLE_ACTIONS[kind]
    role = (target.role or "the function's role").rsplit("/", 1)[-1]
    return (f"role {role} needs {', '.join(actions)} on {arn} (e.g. attach the AWS managed policy "
            f"service-role/{policy}); if you just granted them, wait a few seconds and re-run")


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def _live_filters(m: dict) -> list:
    out = []
    for f in ((m.get("FilterCriteria") or {}).get("Filters") or []):
        pattern = f.get("Pattern")
        try:
            value = json.loads(pattern) if isinstance(pattern, str) else pattern
        except json.JSONDecodeError:
            value = pattern
        if value is not None:
            out.append(value)
    return sorted(out, key=compact_json)


def esm_settings(kind: str, m: dict) -> dict:
    """A live mapping's settings in the project file's words, defaults filled in: what
    :func:`normalize` makes of the options that would create it (``init --from`` writes them,
    the planner compares them, ``trigger list`` shows them)."""
    out: dict[str, Any] = {"batch_size": m.get("BatchSize"),
                           "window": m.get("MaximumBatchingWindowInSeconds") or 0,
                           "enabled": _esm_enabled(m.get("State")),
                           "report_batch_item_failures": "ReportBatchItemFailures" in (m.get("FunctionResponseTypes") or []),
                           "filters": _live_filters(m)}
    if kind == "sqs":
        out["max_concurrency"] = (m.get("ScalingConfig") or {}).get("MaximumConcurrency")
    elif kind in STREAM_KINDS:
        out["starting_position"] = m.get("StartingPosition")
        out["starting_timestamp"] = m.get("StartingPositionTimestamp") if m.get("StartingPosition") == "AT_TIMESTAMP" else None
        out["bisect_on_error"] = bool(m.get("BisectBatchOnFunctionError"))
        out["max_retries"] = _or(m.get("MaximumRetryAttempts"), -1)
        out["max_record_age"] = _or(m.get("MaximumRecordAgeInSeconds"), -1)
        out["parallelization_factor"] = _or(m.get("ParallelizationFactor"), 1)
        out["tumbling_window"] = _or(m.get("TumblingWindowInSeconds"), 0)
        out["on_failure"] = ((m.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination") or None
    return out


def _esm_params(kind: str, o: dict, keys) -> dict[str, Any]:
    """CreateEventSourceMapping / UpdateEventSourceMapping parameters for the settings ``keys``
    (a default value clears the setting: {} for FilterCriteria, ScalingConfig, DestinationConfig)."""
    p: dict[str, Any] = {}
    for k in keys:
        v = o[k]
        if k == "batch_size":
            p["BatchSize"] = v
        elif k == "window":
            p["MaximumBatchingWindowInSeconds"] = v
        elif k == "enabled":
            p["Enabled"] = v
        elif k == "report_batch_item_failures":
            p["FunctionResponseTypes"] = ["ReportBatchItemFailures"] if v else []
        elif k == "filters":
            p["FilterCriteria"] = {"Filters": [{"Pattern": compact_json(x)} for x in v]} if v else {}
        elif k == "max_concurrency":
            p["ScalingConfig"] = {"MaximumConcurrency": v} if v else {}
        elif k == "bisect_on_error":
            p["BisectBatchOnFunctionError"] = v
        elif k == "max_retries":
            p["MaximumRetryAttempts"] = v
        elif k == "max_record_age":
            p["MaximumRecordAgeInSeconds"] = v
        elif k == "parallelization_factor":
            p["ParallelizationFactor"] = v
        elif k == "tumbling_window":
            p["TumblingWindowInSeconds"] = v
        elif k == "on_failure":
            p["DestinationConfig"] = {"OnFailure": {"Destination": v}} if v else {}
    return p


def _same_time(a: Any, b: Any) -> bool:
    if isinstance(a, _dt.datetime) and isinstance(b, _dt.datetime):
        return int(a.timestamp()) == int(b.timestamp())
    return a == b


def _fixed_changes(kind: str, cur: dict, o: dict) -> list[tuple]:
    """Differences in what a mapping is created with and cannot change (its starting position);
    compared only when the position is given (in the file or with --starting-position)."""
    want = o.get("starting_position")
    if kind not in STREAM_KINDS or want is None:
        return []
    if cur.get("starting_position") != want:
        return [("starting_position", cur.get("starting_position"), want)]
    if want == "AT_TIMESTAMP" and not _same_time(cur.get("starting_timestamp"), o.get("starting_timestamp")):
        return [("starting_timestamp", cur.get("starting_timestamp"), o.get("starting_timestamp"))]
    return []


def esm_table(kind: str, m: dict) -> dict:
    """The [[triggers]] table that describes a live mapping (``init --from``): its source, batch size
    and starting position, and every other setting that is not the default; normalize() of it
    gives back the mapping's settings."""
    cur = esm_settings(kind, m)
    t: dict[str, Any] = {"type": kind, "source": m.get("EventSourceArn"), "batch_size": cur["batch_size"]}
    if kind in STREAM_KINDS and cur["starting_position"]:
        t["starting_position"] = cur["starting_position"]
        if cur["starting_timestamp"] is not None:
            t["starting_timestamp"] = _show(cur["starting_timestamp"])
    for k in ESM_SETTINGS[kind]:
        if k == "batch_size" or cur[k] == ESM_DEFAULTS[k]:
            continue
        t[k] = [compact_json(x) if not isinstance(x, str) else x for x in cur[k]] if k == "filters" else cur[k]
    return t


def _esm_details(kind: str, settings: dict) -> dict:
    """``details`` of a mapping record (``trigger add`` / ``trigger list``): every setting but enabled
    (the state column shows it)."""
    d = {k: v for k, v in settings.items() if k != "enabled"}
    if kind in STREAM_KINDS and d.get("starting_position") != "AT_TIMESTAMP":
        d.pop("starting_timestamp", None)
    return d


def _ensure_esm(aws, target: Target, spec: TriggerSpec, dry_run: bool, replace: bool = False) -> dict:
    """Create the mapping, or update the settings that differ. A different starting position
    needs a new mapping: with ``replace`` (deploy) the mapping is deleted and created again,
    otherwise (trigger add) it is refused before any change."""
    from lambdactl.aws import retry

    o = spec.opts
    kind = spec.kind
    arn = o["arn"]
    lam = aws.client("lambda")
    keys = ESM_SETTINGS[kind]
    existing = [m for m in list_event_source_mappings(aws, target.ref, arn) if m.get("EventSourceArn") == arn]
    want = {k: o[k] for k in keys}
    if kind in STREAM_KINDS:
        want["starting_position"] = o["starting_position"] or "LATEST"
        want["starting_timestamp"] = o.get("starting_timestamp")
    changes: list[tuple] = []
    if existing:
        m = existing[0]
        cur = esm_settings(kind, m)
        fixed = _fixed_changes(kind, cur, o)
        diff = [k for k in keys if cur[k] != o[k]]
        if not fixed:
            if kind in STREAM_KINDS:       # the position is kept: show the mapping's own
                want["starting_position"] = cur["starting_position"]
                want["starting_timestamp"] = cur.get("starting_timestamp")
            changes = [(k, cur[k], o[k]) for k in diff]
            if diff and not dry_run:
                params = _esm_params(kind, o, diff)
                retry(lambda: lam.update_event_source_mapping(UUID=m["UUID"], **params), codes=_ESM_RETRY_CODES)
            return _result(target, kind, m["UUID"], arn, "updated" if diff else "unchanged", [], changes,
                           **_esm_details(kind, want))
        changes = fixed + [(k, cur[k], o[k]) for k in diff]
        if not replace:
            f, before, after = fixed[0]
            raise UsageError(f"{kind}: the mapping {m['UUID']} of {arn} has {f} {_show(before)}; it cannot "
                             f"be changed to {_show(after)} on an existing mapping",
                             hint=f"remove it first ('lambdactl trigger remove {target.ref} {m['UUID']}') and "
                                  f"add it again, or leave out --starting-position to keep it")
        if dry_run:
            return _result(target, kind, m["UUID"], arn, "updated", [], changes, replaces=m["UUID"],
                           **_esm_details(kind, want))
        _delete_esm_and_wait(aws, m["UUID"])
        resp = _create_esm(aws, target, spec)
        return _result(target, kind, resp["UUID"], arn, "updated", [], changes, replaces=m["UUID"],
                       **_esm_details(kind, want))
    changes.append(("event source mapping", None, arn))
    if dry_run:
        return _result(target, kind, "(new)", arn, "created", [], changes, **_esm_details(kind, want))
    resp = _create_esm(aws, target, spec)
    return _result(target, kind, resp["UUID"], arn, "created", [], changes, **_esm_details(kind, want))


def _show(v: Any) -> str:
    if isinstance(v, _dt.datetime):
        from lambdactl.output import iso

        return iso(v) or ""
    return str(v)


def _delete_esm_and_wait(aws, uuid: str, timeout: float = 300) -> None:
    """Delete a mapping and wait until it is gone (Lambda refuses a second mapping of the same
    source while the first is still Deleting)."""
    import time

    from botocore.exceptions import ClientError

    from lambdactl.aws import error_code, retry

    lam = aws.client("lambda")
    retry(lambda: lam.delete_event_source_mapping(UUID=uuid), codes=_ESM_RETRY_CODES)
    deadline = time.monotonic() + timeout
    delay = 0.25
    while True:
        try:
            retry(lambda: lam.get_event_source_mapping(UUID=uuid))
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return
            raise
        if time.monotonic() + delay > deadline:
            raise OperationError(f"timed out after {timeout:.0f}s waiting for event source mapping {uuid} to be deleted",
                                 hint="re-run in a minute; it is still being deleted")
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


def _create_esm(aws, target: Target, spec: TriggerSpec) -> dict:
    from botocore.exceptions import ClientError

    from lambdactl.aws import retry

    o = spec.opts
    kind = spec.kind
    arn = o["arn"]
    lam = aws.client("lambda")
    kw: dict[str, Any] = {"FunctionName": target.ref, "EventSourceArn": arn, "BatchSize": o["batch_size"],
                          "Enabled": o["enabled"], "Tags": {MANAGED_TAG: "true"}}
    kw.update(_esm_params(kind, o, [k for k in ESM_SETTINGS[kind]
                                    if k not in ("batch_size", "enabled") and o[k] != ESM_DEFAULTS[k]]))
    if kind in STREAM_KINDS:
        kw["StartingPosition"] = o["starting_position"] or "LATEST"
        if o.get("starting_timestamp"):
            kw["StartingPositionTimestamp"] = o["starting_timestamp"]

    def create():
        try:
            return lam.create_event_source_mapping(**kw)
        except ClientError as exc:
            err = exc.response["Error"]
            if err.get("Code") == "ResourceConflictException" and "exist" in err.get("Message", "").lower():
                found = [m for m in list_event_source_mappings(aws, target.ref, arn) if m.get("EventSourceArn") == arn]
                if found:
                    return found[0]
            raise

    try:
        return retry(create)
    except ClientError as exc:
        err = exc.response["Error"]
        code, msg = err.get("Code", ""), err.get("Message", "")
        if code in ("InvalidParameterValueException", "AccessDeniedException") and \
                re.search(r"role|permission|not authori[sz]ed|access", msg, re.I):
            raise OperationError(f"AWS rejected the {kind} event source mapping for {target.ref}: {msg}",
                                 hint=_role_hint(kind, target, arn))
        if code == "ResourceNotFoundException" or (code == "InvalidParameterValueException"
                                                   and "does not exist" in msg.lower()):
            raise NotFoundError(f"{kind} event source not found: {arn}",
                                hint="check the ARN/name and the region (--region)")
        raise


# SNS ----------------------------------------------------------------------------------------------

def _topic_region(topic: str) -> str:
    return topic.split(":")[3]


def _topic_subscriptions(aws, topic: str) -> list[dict]:
    from botocore.exceptions import ClientError

    sns = aws.client("sns", region=_topic_region(topic))
    try:
        return paginate(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic)
    except ClientError as exc:
        if exc.response["Error"].get("Code") in ("NotFound", "NotFoundException", "ResourceNotFoundException"):
            raise NotFoundError(f"SNS topic not found: {topic}", hint="check the topic ARN")
        raise


def _ensure_sns(aws, target: Target, spec: TriggerSpec, dry_run: bool) -> dict:
    from lambdactl.aws import retry

    topic = spec.opts["topic"]
    subs = _topic_subscriptions(aws, topic)
    mine = [s for s in subs if s.get("Protocol") == "lambda" and s.get("Endpoint") == target.arn]
    perm = PermissionSpec("sns.amazonaws.com", source_arn=topic, qualifier=target.qualifier)
    p = ensure_permission(aws, target.name, perm, dry_run=dry_run)
    changes: list[tuple] = []
    if mine:
        status = _bump("unchanged", p, changes)
        return _result(target, "sns", mine[0]["SubscriptionArn"], topic, status, [p], changes)
    _bump("created", p, changes)
    changes.append(("subscription", None, topic))
    sid = "(new)"
    if not dry_run:
        sns = aws.client("sns", region=_topic_region(topic))
        resp = retry(lambda: sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=target.arn,
                                           ReturnSubscriptionArn=True))
        sid = resp["SubscriptionArn"]
    return _result(target, "sns", sid, topic, "created", [p], changes)


# Function URL --------------------------------------------------------------------------------------

def url_permissions(target: Target) -> list[PermissionSpec]:
    """The two statements a public (AuthType NONE) function URL needs."""
    return [PermissionSpec("*", "lambda:InvokeFunctionUrl", qualifier=target.qualifier, function_url_auth_type="NONE"),
            PermissionSpec("*", "lambda:InvokeFunction", qualifier=target.qualifier, invoked_via_function_url=True)]


def _is_url_statement(r: dict) -> bool:
    conds = {k.lower() for k in (r.get("conditions") or {})}
    return bool(conds & {"lambda:functionurlauthtype", "lambda:invokedviafunctionurl"})


def _norm_cors(c: dict | None) -> dict | None:
    if not c:
        return None
    out = {}
    for k, v in c.items():
        if v in (None, [], False) or (k == "MaxAge" and v == 0):
            continue
        out[k] = sorted(v) if isinstance(v, list) else v
    return out or None


def _url_kw(target: Target) -> dict[str, Any]:
    """FunctionName (+ Qualifier) for the function URL APIs."""
    kw: dict[str, Any] = {"FunctionName": target.name}
    if target.qualifier:
        kw["Qualifier"] = target.qualifier
    return kw


def _get_url_config(aws, target: Target) -> dict | None:
    from botocore.exceptions import ClientError

    from lambdactl.aws import retry

    lam = aws.client("lambda")
    kw = _url_kw(target)
    try:
        return retry(lambda: lam.get_function_url_config(**kw))
    except ClientError as exc:
        if exc.response["Error"].get("Code") == "ResourceNotFoundException":
            return None
        raise


def _ensure_url(aws, target: Target, spec: TriggerSpec, dry_run: bool) -> dict:
    from lambdactl.aws import retry

    o = spec.opts
    lam = aws.client("lambda")
    kw = _url_kw(target)
    cur = _get_url_config(aws, target)
    changes: list[tuple] = []
    url = cur.get("FunctionUrl") if cur else None
    if cur is None:
        status = "created"
        changes.append(("url", None, o["auth"]))
        if not dry_run:
            args = dict(kw, AuthType=o["auth"], InvokeMode=o["invoke_mode"])
            if o["cors"]:
                args["Cors"] = o["cors"]
            url = retry(lambda: lam.create_function_url_config(**args)).get("FunctionUrl")
    else:
        status = "unchanged"
        if cur.get("AuthType") != o["auth"]:
            changes.append(("auth", cur.get("AuthType"), o["auth"]))
        if (cur.get("InvokeMode") or "BUFFERED") != o["invoke_mode"]:
            changes.append(("invoke_mode", cur.get("InvokeMode") or "BUFFERED", o["invoke_mode"]))
        if _norm_cors(cur.get("Cors")) != _norm_cors(o["cors"]):
            changes.append(("cors", cur.get("Cors") or None, o["cors"]))
        if changes:
            status = "updated"
            if not dry_run:
                args = dict(kw, AuthType=o["auth"], InvokeMode=o["invoke_mode"], Cors=o["cors"] or {})
                url = retry(lambda: lam.update_function_url_config(**args)).get("FunctionUrl") or url
    perms = []
    policy = read_policy(aws, target.name, target.qualifier)
    if o["auth"] == "NONE":
        for ps in url_permissions(target):
            p = ensure_permission(aws, target.name, ps, dry_run=dry_run, policy=policy)
            perms.append(p)
            status = _bump(status, p, changes)
    else:
        removed = remove_managed(aws, target.name, policy, _is_url_statement, target.qualifier, dry_run=dry_run)
        for sid in removed:
            perms.append({"statement_id": sid, "status": "deleted"})
            changes.append(("permission", sid, None))
            if status == "unchanged":
                status = "updated"
    return _result(target, "url", "url", url or "(new URL)", status, perms, changes, url=url,
                   auth=o["auth"], cors=o["cors"], invoke_mode=o["invoke_mode"])


def url_goes_public(result: dict) -> bool:
    """True when an :func:`ensure` record of a url trigger makes (or would make) the function
    invokable by anyone: a URL with auth NONE created, switched to NONE, or given its public
    permission statements."""
    return result.get("kind") == "url" and result.get("auth") == "NONE" and \
        any(c["field"] in ("url", "auth", "permission") for c in result.get("changes") or [])


def public_url_warning(function: str, url: str | None, when: str = "now") -> str:
    """The warning for a public function URL; ``when``: "before" (asking), "now" (just made
    public) or "still" (it already was)."""
    verb = {"before": "will be", "now": "is now", "still": "is"}[when]
    where = f": {url}" if url else " (at its new function URL)"
    return (f"{function} {verb} invokable by anyone on the internet, without credentials{where} "
            f"(function URL with auth NONE)")


_ENSURE = {"s3": _ensure_s3, "schedule": _ensure_rule, "eventbridge": _ensure_rule, "sqs": _ensure_esm,
           "kinesis": _ensure_esm, "dynamodb": _ensure_esm, "sns": _ensure_sns, "url": _ensure_url}


def ensure(aws, target: Target, spec: TriggerSpec, *, dry_run: bool = False,
           ignore_ids: set[str] = frozenset(), replace: bool = False) -> dict:
    """Make one (resolved) trigger exist; ``dry_run`` only reads and reports what would change.
    ``replace``: a mapping whose starting position differs is replaced (deploy) instead of refused."""
    if spec.kind == "s3":
        return _ensure_s3(aws, target, spec, dry_run, ignore_ids)
    if spec.kind in ("sqs", "kinesis", "dynamodb"):
        return _ensure_esm(aws, target, spec, dry_run, replace)
    return _ENSURE[spec.kind](aws, target, spec, dry_run)


def add_trigger(aws, function: str, qualifier: str | None, spec: TriggerSpec, *, replace: bool = False) -> dict:
    """``trigger add``: resolve the function and the source, then add (idempotent).

    Returns the record ``{function, id, kind, source, status, permissions, changes, ...}`` where
    status is ``created``, ``updated`` or ``unchanged``.
    """
    target = resolve_target(aws, function, qualifier)
    return ensure(aws, target, resolve(aws, spec), replace=replace)


# Which triggers ``deploy`` created from [[triggers]]: short ids of their keys, kept in a tag on the
# function. deploy removes a trigger that left the file only if it is listed here, so triggers
# added by hand with ``trigger add`` (or by other tools) are never removed by a deploy. An absent
# or empty tag also lets a project without [[triggers]] skip reading every trigger source.
DECLARED_TAG = "lambdactl:declared-triggers"


def declared_id(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()[:10]


def _declared(tags: dict | None) -> set[str]:
    return {x for x in (tags or {}).get(DECLARED_TAG, "").split(".") if x}


def _record_declared_step(keys: list[str] | None = None, specs: list | None = None):
    """A step that records the declared trigger ids on the function (after the trigger steps).
    ``specs`` (unresolved) are resolved at apply time, when the function exists."""
    from lambdactl.core.resources.plan import Step

    def apply(c) -> None:
        from lambdactl.aws import retry

        lam = c.aws.client("lambda")
        cfg = c.current or lam.get_function_configuration(FunctionName=c.function_name)
        target = target_from_configuration(cfg)
        ks = keys if keys is not None else [spec_key(target, resolve(c.aws, sp)) for sp in specs or []]
        value = ".".join(sorted({declared_id(k) for k in ks}))[:255]
        arn = target.arn
        if value:
            retry(lambda: lam.tag_resource(Resource=arn, Tags={DECLARED_TAG: value}))
        else:
            retry(lambda: lam.untag_resource(Resource=arn, TagKeys=[DECLARED_TAG]))

    return Step("trigger", "record", "function tags", "record the triggers declared in the project file",
                apply=apply, changes=[])


# --- listing ------------------------------------------------------------------------------------

def _list_esm_triggers(aws, target: Target) -> list[Trigger]:
    from botocore.exceptions import ClientError

    lam = aws.client("lambda")
    out = []
    for m in list_event_source_mappings(aws, target.ref):
        arn = m.get("EventSourceArn") or ""
        kind = arn.split(":")[2] if arn.count(":") >= 5 else "mapping"
        managed = False
        if m.get("EventSourceMappingArn"):
            try:
                tags = lam.list_tags(Resource=m["EventSourceMappingArn"]).get("Tags") or {}
                managed = tags.get(MANAGED_TAG) == "true"
            except ClientError:
                managed = False
        if kind in ESM_SETTINGS:
            details = _esm_details(kind, esm_settings(kind, m))
        else:       # other sources (Kafka, MQ, DocumentDB): the basics
            details = {"batch_size": m.get("BatchSize"), "window": m.get("MaximumBatchingWindowInSeconds") or 0}
            if m.get("StartingPosition"):
                details["starting_position"] = m["StartingPosition"]
        out.append(Trigger(m["UUID"], kind, arn or "-", (m.get("State") or "").lower() or "enabled", managed,
                           details, key=f"esm:{arn}", ref={"how": "esm", "uuid": m["UUID"]}))
    return out


def bucket_of(source_arn: str | None) -> str | None:
    m = re.match(r"^arn:aws[a-zA-Z-]*:s3:::([^/*?]+)$", source_arn or "")
    return m.group(1) if m else None


def _list_s3_triggers(aws, target: Target, policy: list[dict], consumed: set[str]) -> list[Trigger]:
    from botocore.exceptions import ClientError

    by_bucket: dict[str, list[dict]] = {}
    for r in policy:
        if r["principal"] == "s3.amazonaws.com" and bucket_of(r["source_arn"]):
            by_bucket.setdefault(bucket_of(r["source_arn"]), []).append(r)
    out = []
    for bucket, stmts in sorted(by_bucket.items()):
        try:
            doc = _get_notifications(aws, bucket)
        except NotFoundError:
            continue      # left as "permission only"
        except ClientError:
            continue
        mine = [c for c in doc.get("LambdaFunctionConfigurations") or [] if c.get("LambdaFunctionArn") == target.arn]
        if not mine:
            continue
        consumed.update(r["statement_id"] for r in stmts)
        for c in mine:
            prefix, suffix = _filter_of(c)
            cid = c.get("Id") or ""
            details = {"events": c.get("Events") or []}
            details.update({k: v for k, v in (("prefix", prefix), ("suffix", suffix)) if v})
            out.append(Trigger(cid or f"s3://{bucket}", "s3", f"s3://{bucket}", "enabled",
                               cid.startswith(SID_PREFIX), details,
                               key=cid, ref={"how": "s3", "bucket": bucket, "config_id": cid}))
    return out


def _bus_of_rule_arn(arn: str) -> tuple[str, str] | None:
    m = re.match(r"^arn:aws[a-zA-Z-]*:events:[a-z0-9-]+:\d{12}:rule/(?:([^/]+)/)?([^/]+)$", arn or "")
    if not m:
        return None
    return (m.group(1) or "default"), m.group(2)


def _list_rule_triggers(aws, target: Target, policy: list[dict], consumed: set[str]) -> list[Trigger]:
    from botocore.exceptions import ClientError

    events = aws.client("events")
    buses = {"default"}
    for r in policy:
        if r["principal"] == "events.amazonaws.com":
            bn = _bus_of_rule_arn(r["source_arn"] or "")
            if bn:
                buses.add(bn[0])
    out = []
    for bus in sorted(buses):
        try:
            names = paginate(events, "list_rule_names_by_target", "RuleNames", TargetArn=target.arn,
                             EventBusName=bus)
        except ClientError as exc:
            if exc.response["Error"].get("Code") != "ResourceNotFoundException":
                raise
            names = []
        for name in names:
            rule = _describe_rule(events, name, bus)
            if rule is None:
                continue
            arn = rule.get("Arn") or _rule_arn(aws, bus, name)
            consumed.update(r["statement_id"] for r in policy
                            if r["principal"] == "events.amazonaws.com" and r["source_arn"] == arn)
            if rule.get("ScheduleExpression"):
                kind, source = "schedule", rule["ScheduleExpression"]
            else:
                kind, source = "eventbridge", rule.get("EventPattern") or "-"
            details = {"rule": name, "bus": bus}
            tid = name if bus == "default" else f"{bus}/{name}"
            out.append(Trigger(tid, kind, source, (rule.get("State") or "ENABLED").lower(), _is_managed_rule(rule),
                               details, key=f"rule:{bus}/{name}",
                               ref={"how": "rule", "bus": bus, "name": name, "rule_arn": arn}))
    return out


def _list_sns_triggers(aws, target: Target, policy: list[dict], consumed: set[str]) -> list[Trigger]:
    from botocore.exceptions import ClientError

    topics: dict[str, list[dict]] = {}
    for r in policy:
        if r["principal"] == "sns.amazonaws.com" and SNS_ARN_RE.match(r["source_arn"] or ""):
            topics.setdefault(r["source_arn"], []).append(r)
    out = []
    for topic, stmts in sorted(topics.items()):
        try:
            subs = _topic_subscriptions(aws, topic)
        except (NotFoundError, ClientError):
            continue
        mine = [s for s in subs if s.get("Protocol") == "lambda" and s.get("Endpoint") == target.arn]
        if not mine:
            continue
        consumed.update(r["statement_id"] for r in stmts)
        managed = any(r["managed"] for r in stmts)
        for s in mine:
            sarn = s.get("SubscriptionArn") or ""
            state = "pending" if sarn.lower().startswith("pending") else "enabled"
            out.append(Trigger(sarn, "sns", topic, state, managed, {}, key=f"sns:{topic}",
                               ref={"how": "sns", "topic": topic, "subscription": sarn}))
    return out


def _list_url_trigger(aws, target: Target, policy: list[dict], consumed: set[str]) -> list[Trigger]:
    cfg = _get_url_config(aws, target)
    if cfg is None:
        return []
    stmts = [r for r in policy if _is_url_statement(r)]
    consumed.update(r["statement_id"] for r in stmts)
    details = {"auth": cfg.get("AuthType"), "invoke_mode": cfg.get("InvokeMode") or "BUFFERED"}
    if cfg.get("Cors"):
        details["cors"] = cfg["Cors"]
    return [Trigger("url", "url", cfg.get("FunctionUrl") or "-", "enabled", any(r["managed"] for r in stmts),
                    details, key="url", ref={"how": "url"})]


def collect(aws, target: Target) -> list[Trigger]:
    """Everything that can invoke ``target``: mappings, S3, rules, SNS, URL, other permissions."""
    policy = read_policy(aws, target.name, target.qualifier)
    consumed: set[str] = set()
    out = _list_esm_triggers(aws, target)
    out += _list_s3_triggers(aws, target, policy, consumed)
    out += _list_rule_triggers(aws, target, policy, consumed)
    out += _list_sns_triggers(aws, target, policy, consumed)
    out += _list_url_trigger(aws, target, policy, consumed)
    for r in policy:
        if r["statement_id"] in consumed or r["effect"] != "Allow":
            continue
        principal = r["principal"] or ""
        if not is_service_principal(principal):
            continue
        svc = principal.split(".", 1)[0]
        kind = {"events": "eventbridge"}.get(svc, svc)
        out.append(Trigger(r["statement_id"], kind, r["source_arn"] or principal, PERMISSION_ONLY, r["managed"],
                           {"principal": principal, "action": r["action"]},
                           key=f"permission:{r['statement_id']}",
                           ref={"how": "permission", "statement_id": r["statement_id"]}))
    return out


def list_triggers(aws, function: str, qualifier: str | None = None) -> list[dict]:
    """``trigger list``: records ``{id, kind, source, state, managed, details}``."""
    target = resolve_target(aws, function, qualifier)
    return [t.to_record() for t in collect(aws, target)]


# --- removal -------------------------------------------------------------------------------------

def find_trigger(triggers: list[Trigger], trigger_id: str, target: Target) -> Trigger:
    exact = [t for t in triggers if t.id == trigger_id]
    if exact:
        return exact[0]
    partial = [t for t in triggers if len(trigger_id) >= 6 and t.id.endswith(trigger_id)]
    if len(partial) == 1:
        return partial[0]
    if len(partial) > 1:
        raise UsageError(f"trigger id {trigger_id!r} is ambiguous: {', '.join(t.id for t in partial)}",
                         hint="give the whole id from 'lambdactl trigger list'")
    raise NotFoundError(f"no trigger {trigger_id!r} on {target.ref}",
                        hint=f"'lambdactl trigger list {target.ref}' shows the ids")


def remove(aws, target: Target, t: Trigger) -> dict:
    """Remove one listed trigger and the lambdactl permission that went with it (nothing else)."""
    from lambdactl.aws import retry

    how = t.ref.get("how")
    removed_perms: list[str] = []
    extra: dict[str, Any] = {}
    if how == "esm":
        lam = aws.client("lambda")
        retry(lambda: lam.delete_event_source_mapping(UUID=t.ref["uuid"]),
              codes=_ESM_RETRY_CODES)
    elif how == "s3":
        bucket = t.ref["bucket"]
        doc = _get_notifications(aws, bucket)
        lambdas = list(doc.get("LambdaFunctionConfigurations") or [])
        keep = [c for c in lambdas if not (c.get("Id") == t.ref["config_id"] and c.get("LambdaFunctionArn") == target.arn)]
        if len(keep) != len(lambdas):
            new_doc = dict(doc)
            new_doc["LambdaFunctionConfigurations"] = keep
            _put_notifications(aws, bucket, new_doc)
        if not any(c.get("LambdaFunctionArn") == target.arn for c in keep):
            policy = read_policy(aws, target.name, target.qualifier)
            bucket_arn = _bucket_arn(aws, bucket)
            removed_perms = remove_managed(
                aws, target.name, policy,
                lambda r: r["principal"] == "s3.amazonaws.com" and r["source_arn"] == bucket_arn, target.qualifier)
    elif how == "rule":
        events = aws.client("events")
        bus, name = t.ref["bus"], t.ref["name"]
        targets = _rule_targets(events, name, bus)
        ids = [x["Id"] for x in targets if x.get("Arn") == target.arn]
        if ids:
            retry(lambda: events.remove_targets(Rule=name, EventBusName=bus, Ids=ids))
        if t.managed and len(targets) == len(ids):
            retry(lambda: events.delete_rule(Name=name, EventBusName=bus))
            extra["rule_deleted"] = True
        policy = read_policy(aws, target.name, target.qualifier)
        removed_perms = remove_managed(
            aws, target.name, policy,
            lambda r: r["principal"] == "events.amazonaws.com" and r["source_arn"] == t.ref["rule_arn"],
            target.qualifier)
    elif how == "sns":
        topic = t.ref["topic"]
        sns = aws.client("sns", region=_topic_region(topic))
        if not t.ref["subscription"].lower().startswith("pending"):
            retry(lambda: sns.unsubscribe(SubscriptionArn=t.ref["subscription"]))
        policy = read_policy(aws, target.name, target.qualifier)
        removed_perms = remove_managed(
            aws, target.name, policy,
            lambda r: r["principal"] == "sns.amazonaws.com" and r["source_arn"] == topic, target.qualifier)
    elif how == "url":
        lam = aws.client("lambda")
        kw = _url_kw(target)
        retry(lambda: lam.delete_function_url_config(**kw))
        policy = read_policy(aws, target.name, target.qualifier)
        removed_perms = remove_managed(aws, target.name, policy, _is_url_statement, target.qualifier)
    elif how == "permission":
        from lambdactl.core.resources.permissions import remove_statement

        remove_statement(aws, target.name, t.ref["statement_id"], target.qualifier)
        removed_perms = [t.ref["statement_id"]]
    rec = {"function": target.ref, "id": t.id, "kind": t.kind, "source": t.source, "status": "deleted",
           "permissions_removed": removed_perms}
    rec.update(extra)
    return rec


def remove_trigger(aws, function: str, qualifier: str | None, trigger_id: str) -> dict:
    """``trigger remove``: NotFoundError (exit 3) when no trigger has that id."""
    if not trigger_id or len(trigger_id) > 2048:
        raise UsageError("a trigger id is required", hint="see the ids with 'lambdactl trigger list'")
    target = resolve_target(aws, function, qualifier)
    t = find_trigger(collect(aws, target), trigger_id, target)
    return remove(aws, target, t)


# --- the deploy planner -----------------------------------------------------------------------------

def plan_triggers(ctx) -> list:
    """Steps that make the function's triggers match ``[[triggers]]`` of the project file.

    Adds missing triggers, updates differing ones, leaves equal ones alone, and removes only
    triggers lambdactl created (``lambdactl-`` ids/rule names, the managed tag on mappings) that are
    no longer in the file. When ``ctx.current`` is None (the function is created by this deploy) it
    only plans additions, without reading AWS.
    """
    from lambdactl.core.resources.plan import Change, Step

    if ctx.options.get("code_only"):
        return []
    project = ctx.project
    file = str(getattr(project, "path", "lambdactl.toml"))
    specs = [normalize(t.type, dict(t.options), where=f"{file}: triggers[{i}]: ")
             for i, t in enumerate(getattr(project, "triggers", []) or [])]

    def add_step(spec: TriggerSpec, action: str, changes: list, target_ref: str, *, public: bool = False,
                 url: str | None = None, replaces: str | None = None) -> Step:
        def apply(c, spec=spec):
            r = add_trigger(c.aws, c.function_name, None, spec, replace=True)
            if url_goes_public(r):
                c.state.setdefault("warnings", []).append(public_url_warning(r["function"], r.get("url")))
            return r
        verb = "add" if action == "create" else "update"
        desc = f"{verb} {spec.kind} trigger {spec.label}"
        if replaces:
            desc = f"replace {spec.kind} trigger {spec.label} (a starting position cannot be changed in place)"
        detail: dict[str, Any] = {"kind": spec.kind, "function": target_ref}
        if public:      # the CLI warns, and asks on a terminal, before a deploy makes a URL public
            detail.update(public=True, url=url)
        return Step("trigger", action, f"trigger {spec.kind}", desc, apply=apply, changes=changes, detail=detail)

    if ctx.current is None:
        steps = [add_step(s, "create", [Change(s.kind, None, s.label)], ctx.function_name,
                          public=s.kind == "url" and s.opts["auth"] == "NONE") for s in specs]
        if steps:
            steps.append(_record_declared_step(specs=specs))
        return steps
    aws = ctx.aws
    tags = ctx.state.get("tags")
    if tags is None:
        try:
            tags = aws.client("lambda").list_tags(Resource=ctx.current["FunctionArn"]).get("Tags") or {}
        except Exception:
            tags = {}
    declared = _declared(tags)
    if not specs and not declared:
        return []  # nothing declared now or before: no trigger to add or remove (no reads needed)

    target = target_from_configuration(ctx.current)
    resolved = [resolve(aws, s) for s in specs]
    desired = {spec_key(target, s) for s in resolved}
    existing = collect(aws, target)
    leaving = [t for t in existing if t.managed and t.state != PERMISSION_ONLY and t.key and t.key not in desired]
    doomed = [t for t in leaving if declared_id(t.key) in declared]
    for t in leaving:
        if t not in doomed:
            ctx.state.setdefault("warnings", []).append(
                f"{t.kind} trigger {t.id} is not in {file} but was not added by deploy (e.g. 'lambdactl trigger "
                f"add'): left alone; remove it with 'lambdactl trigger remove {t.id}'")
    steps: list[Step] = []
    for t in doomed:
        def apply(c, t=t):
            return remove(c.aws, target, t)
        steps.append(Step("trigger", "delete", f"trigger {t.id}",
                          f"remove {t.kind} trigger {t.id} ({t.source})", apply=apply,
                          changes=[Change(t.kind, t.source, None)], detail={"kind": t.kind, "id": t.id}))
    ignore = {t.id for t in doomed if t.kind == "s3"}
    for spec in resolved:
        r = ensure(aws, target, spec, dry_run=True, ignore_ids=ignore, replace=True)
        if r["status"] == "unchanged":
            continue
        action = "create" if r["status"] == "created" else "update"
        changes = [Change(c["field"], c["before"], c["after"]) for c in r["changes"]] or \
            [Change(spec.kind, None, spec.label)]
        steps.append(add_step(spec, action, changes, target.ref, public=url_goes_public(r), url=r.get("url"),
                              replaces=r.get("replaces")))
    if steps:
        steps.append(_record_declared_step(keys=sorted(desired)))
    return steps
