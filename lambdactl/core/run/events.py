"""Sample events, shaped exactly as AWS delivers them to a Lambda handler (stdlib only, no I/O).

``lambdactl event SOURCE`` prints them; ``lambdactl serve`` builds its HTTP events with the same
functions (:func:`http_v2_event`, :func:`rest_v1_event`), so a request to the local server and
``lambdactl event http --path ... --query ...`` give the handler the same shape.

    build("s3", bucket="photos", key="a b.jpg")      # {"Records": [{"eventSource": "aws:s3", ...}]}
    build("sqs", body='{"id": 1}', count=3, seed=7)   # deterministic ids with a seed
    SOURCES["kinesis"].options                        # the options that source takes

Shapes follow the AWS documentation of each integration: S3 event notifications (version 2.1, keys
URL-encoded), SQS/SNS/Kinesis/DynamoDB Streams records, EventBridge events (custom and "Scheduled
Event"), the function URL / HTTP API payload format 2.0 and the API Gateway REST proxy format 1.0,
and CloudWatch Logs subscription events (``awslogs.data``: gzip, then base64). Where AWS uses
base64 (Kinesis ``data``, binary HTTP bodies) so do these.
"""
from __future__ import annotations

import base64
import datetime as _dt
import gzip
import hashlib
import json
import random
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl, quote, quote_plus, unquote

from lambdactl.errors import UsageError

ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
MAX_COUNT = 10000                 # records in one batch (SQS/Kinesis/DynamoDB batch size limit)
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
REST_STAGE = "prod"               # the stage in REST (v1) events: a REST API always has a named stage
S3_EVENT_NAMES = ("ObjectCreated:Put", "ObjectCreated:Post", "ObjectCreated:Copy",
                  "ObjectCreated:CompleteMultipartUpload", "ObjectRemoved:Delete",
                  "ObjectRemoved:DeleteMarkerCreated", "ObjectRestore:Post", "ObjectRestore:Completed",
                  "ObjectTagging:Put", "ObjectTagging:Delete")
DYNAMODB_EVENT_NAMES = ("INSERT", "MODIFY", "REMOVE")
SAMPLE_ORDER = {"order_id": 1001, "item": "coffee", "quantity": 2}


@dataclass(frozen=True)
class Source:
    name: str
    title: str                     # one line for `event --list`
    options: tuple[str, ...]       # keyword options (``--detail-type`` is ``detail_type``)
    template: str | None = None    # the `lambdactl init --template` whose handler takes this event


SOURCES: dict[str, Source] = {s.name: s for s in (
    Source("s3", "S3 event notification (object created/removed)", ("bucket", "key", "size", "event_name"), "s3"),
    Source("sqs", "SQS messages (a batch from an event source mapping)", ("body", "queue", "count"), "sqs"),
    Source("sns", "SNS notification", ("body", "subject", "topic")),
    Source("eventbridge", "EventBridge event (custom source and detail)", ("detail", "detail_type", "source"),
           "schedule"),
    Source("schedule", "EventBridge scheduled event (rate/cron rule)", ("rule",), "schedule"),
    Source("http", "HTTP request: function URL / HTTP API, payload format 2.0",
           ("method", "path", "query", "header", "body"), "api"),
    Source("apigw", "HTTP request: API Gateway REST API proxy, payload format 1.0",
           ("method", "path", "query", "header", "body"), "api"),
    Source("dynamodb", "DynamoDB Streams records (INSERT/MODIFY/REMOVE)",
           ("table", "keys", "item", "event_name", "count")),
    Source("kinesis", "Kinesis Data Streams records (data base64-encoded)",
           ("body", "stream", "partition_key", "count")),
    Source("cloudwatch-logs", "CloudWatch Logs subscription (awslogs.data: gzip + base64)",
           ("body", "log_group")),
)}


def flag(option: str) -> str:
    """``detail_type`` → ``--detail-type`` (how the CLI spells an option)."""
    return "--" + option.replace("_", "-")


# --- ids, times --------------------------------------------------------------------------------

class Ids:
    """Random-looking ids from one generator: the same ``seed`` gives the same event."""

    def __init__(self, seed: int | None = None):
        self.rng = random.Random(seed)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hex(self, n: int, upper: bool = False) -> str:
        text = "".join(self.rng.choice("0123456789abcdef") for _ in range(n))
        return text.upper() if upper else text

    def digits(self, n: int) -> str:
        return str(self.rng.randint(1, 9)) + "".join(self.rng.choice("0123456789") for _ in range(n - 1))

    def b64(self, nbytes: int) -> str:
        return base64.b64encode(bytes(self.rng.getrandbits(8) for _ in range(nbytes))).decode("ascii")

    def alnum(self, n: int, alphabet: str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))


@dataclass
class Ctx:
    region: str
    account: str
    now: _dt.datetime
    ids: Ids

    @property
    def epoch_ms(self) -> int:
        return int(self.now.timestamp() * 1000)

    def iso(self, ms: bool = False) -> str:
        """``2026-11-23T15:21:41Z`` (EventBridge, SNS) or with milliseconds (S3)."""
        text = self.now.strftime("%Y-%m-%dT%H:%M:%S")
        return text + (f".{self.now.microsecond // 1000:03d}Z" if ms else "Z")


def clf_time(now: _dt.datetime) -> str:
    """API Gateway's request time: ``23/Nov/2026:15:21:41 +0000``."""
    return now.astimezone(_dt.timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000")


def parse_time(text: str) -> _dt.datetime:
    """ISO-8601 (``2026-11-23T15:21:41Z``; no zone = UTC) → aware datetime; UsageError otherwise."""
    try:
        value = _dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--time {text!r} is not an ISO-8601 time", hint="e.g. --time 2026-11-23T15:21:41Z") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value.astimezone(_dt.timezone.utc)


# --- the builder -------------------------------------------------------------------------------

def check_source(name: str) -> Source:
    src = SOURCES.get(name)
    if src is None:
        raise UsageError(f"unknown event source {name!r}", hint=f"choose one of: {', '.join(SOURCES)}")
    return src


def build(name: str, /, *, region: str | None = None, account: str = ACCOUNT, time: Any = None,
          seed: int | None = None, **options: Any) -> dict:
    """The event of source ``name`` with ``options`` (None values are ignored: the defaults apply).

    An option the source does not take is a UsageError naming the ones it does take."""
    src = check_source(name)
    given = {k: v for k, v in options.items() if v is not None and v != [] and v != ()}
    for k in given:
        if k not in src.options:
            takes = " ".join(flag(o) for o in src.options) or "no options"
            raise UsageError(f"{flag(k)} does not apply to {name} events",
                             hint=f"{name} takes: {takes} (and --time, --seed)")
    now = time if isinstance(time, _dt.datetime) else parse_time(time) if time else \
        _dt.datetime.now(_dt.timezone.utc)
    ctx = Ctx(region=region or DEFAULT_REGION, account=account, now=now, ids=Ids(seed))
    return BUILDERS[name](ctx, **given)


def _count(count: int | None) -> int:
    n = 1 if count is None else int(count)
    if not 1 <= n <= MAX_COUNT:
        raise UsageError(f"--count {n} is out of range", hint=f"allowed range: 1..{MAX_COUNT}")
    return n


def _text(body: str | bytes | None, default: str, what: str = "--body") -> str:
    if body is None:
        return default
    if isinstance(body, bytes):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"{what}: not UTF-8 text", hint="this event carries text; give a text body") from None
    return body


def _arn_or_name(value: str | None, default: str, service: str, ctx: Ctx, what: str, prefix: str = "") -> tuple[str, str]:
    """(name, ARN) from a name or an ARN of ``service``."""
    value = value or default
    if value.startswith("arn:"):
        parts = value.split(":", 5)
        if len(parts) < 6 or parts[2] != service or not parts[5]:
            raise UsageError(f"{what} {value!r} is not an {service} ARN",
                             hint=f"give a name, or arn:aws:{service}:REGION:ACCOUNT:{prefix}NAME")
        return parts[5].split("/", 1)[-1] if prefix else parts[5], value
    if not value or any(c.isspace() for c in value) or ":" in value:
        raise UsageError(f"{what} {value!r} is not a valid name", hint="letters, digits, '-', '_' and '.'")
    return value, f"arn:aws:{service}:{ctx.region}:{ctx.account}:{prefix}{value}"


# --- S3 ----------------------------------------------------------------------------------------

def s3_key_in_event(key: str) -> str:
    """How S3 writes an object key into a notification: URL-encoded, spaces as '+'."""
    return quote_plus(key, safe="/")


def s3_event(ctx: Ctx, *, bucket: str = "my-bucket", key: str = "uploads/my photo.jpg", size: int = 1024,
             event_name: str = "ObjectCreated:Put") -> dict:
    from lambdactl.core.model.scaffold import bucket_problem

    problem = bucket_problem(bucket)
    if problem:
        raise UsageError(f"--bucket: {problem}", hint="e.g. --bucket my-bucket")
    if not key or len(key.encode("utf-8")) > 1024:
        raise UsageError("--key must be 1 to 1024 bytes", hint="e.g. --key uploads/photo.jpg")
    if event_name not in S3_EVENT_NAMES:
        raise UsageError(f"--event-name {event_name!r} is not an S3 event", hint=f"choose one of: {', '.join(S3_EVENT_NAMES)}")
    if int(size) < 0:
        raise UsageError(f"--size {size} is negative", hint="the object size in bytes, e.g. --size 1024")
    ids = ctx.ids
    obj: dict[str, Any] = {"key": s3_key_in_event(key)}
    if not event_name.startswith("ObjectRemoved"):
        obj.update({"size": int(size), "eTag": ids.hex(32)})
    obj["sequencer"] = ids.hex(18, upper=True)
    return {"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": ctx.region,
        "eventTime": ctx.iso(ms=True),
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDA" + ids.alnum(17)},
        "requestParameters": {"sourceIPAddress": "203.0.113.10"},
        "responseElements": {"x-amz-request-id": ids.hex(16, upper=True),
                             "x-amz-id-2": ids.b64(57)},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "lambdactl-notification",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": ids.alnum(14)},
                       "arn": f"arn:aws:s3:::{bucket}"},
            "object": obj,
        },
    }]}


# --- SQS, SNS ----------------------------------------------------------------------------------

def sqs_event(ctx: Ctx, *, body: str | bytes | None = None, queue: str | None = None, count: int | None = None) -> dict:
    text = _text(body, json.dumps(SAMPLE_ORDER))
    if queue and queue.startswith(("https://", "http://")):      # a queue URL: .../ACCOUNT/NAME
        queue = queue.rstrip("/").rsplit("/", 1)[-1]
    name, arn = _arn_or_name(queue, "my-queue", "sqs", ctx, "--queue")
    region = arn.split(":")[3]
    fifo = name.endswith(".fifo")
    records = []
    for i in range(_count(count)):
        sent = ctx.epoch_ms - 250 + i
        attributes = {"ApproximateReceiveCount": "1", "SentTimestamp": str(sent),
                      "SenderId": "AIDA" + ctx.ids.alnum(17), "ApproximateFirstReceiveTimestamp": str(sent + 5)}
        if fifo:
            attributes.update({"SequenceNumber": ctx.ids.digits(20), "MessageGroupId": "1",
                               "MessageDeduplicationId": hashlib.sha256(f"{i}:{text}".encode()).hexdigest()})
        records.append({
            "messageId": ctx.ids.uuid(),
            "receiptHandle": "AQEB" + ctx.ids.b64(96).replace("=", ""),
            "body": text,
            "attributes": attributes,
            "messageAttributes": {},
            "md5OfBody": hashlib.md5(text.encode("utf-8")).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": arn,
            "awsRegion": region,
        })
    return {"Records": records}


def sns_event(ctx: Ctx, *, body: str | bytes | None = None, subject: str | None = None, topic: str | None = None) -> dict:
    message = _text(body, json.dumps(SAMPLE_ORDER))
    _, arn = _arn_or_name(topic, "my-topic", "sns", ctx, "--topic")
    region = arn.split(":")[3]
    sub = f"{arn}:{ctx.ids.uuid()}"
    return {"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": sub,
        "Sns": {
            "Type": "Notification",
            "MessageId": ctx.ids.uuid(),
            "TopicArn": arn,
            "Subject": subject,
            "Message": message,
            "Timestamp": ctx.iso(ms=True),
            "SignatureVersion": "1",
            "Signature": ctx.ids.b64(256),
            "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-{ctx.ids.hex(32)}.pem",
            "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={sub}",
            "MessageAttributes": {},
        },
    }]}


# --- EventBridge -------------------------------------------------------------------------------

def _json_object(value: Any, what: str) -> dict:
    if isinstance(value, (str, bytes)):
        from lambdactl.core.run.payload import parse_json

        value = parse_json(value, what)
    if not isinstance(value, dict):
        raise UsageError(f"{what} must be a JSON object", hint=f"e.g. {what} '{{\"id\": 1}}'")
    return value


def eventbridge_event(ctx: Ctx, *, detail: Any = None, detail_type: str | None = None, source: str | None = None) -> dict:
    return {
        "version": "0",
        "id": ctx.ids.uuid(),
        "detail-type": detail_type or "Order Placed",
        "source": source or "com.example.orders",
        "account": ctx.account,
        "time": ctx.iso(),
        "region": ctx.region,
        "resources": [],
        "detail": dict(SAMPLE_ORDER) if detail is None else _json_object(detail, "--detail"),
    }


def schedule_event(ctx: Ctx, *, rule: str | None = None) -> dict:
    _, arn = _arn_or_name(rule, "my-schedule", "events", ctx, "--rule", prefix="rule/")
    return {
        "version": "0",
        "id": ctx.ids.uuid(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ctx.account,
        "time": ctx.iso(),
        "region": ctx.region,
        "resources": [arn],
        "detail": {},
    }


# --- HTTP: function URL / HTTP API 2.0, and REST API 1.0 ----------------------------------------

_TEXT_SUBTYPES = {"json", "xml", "javascript", "x-javascript", "ecmascript", "yaml", "x-yaml", "graphql"}


def is_text_type(content_type: str | None) -> bool:
    """Whether a function URL / HTTP API passes a body of this Content-Type as text; other
    bodies (images, octet-stream, form posts, no Content-Type) arrive base64-encoded."""
    if not content_type:
        return False
    mime = content_type.split(";", 1)[0].strip().lower()
    kind, _, sub = mime.partition("/")
    if kind == "text":
        return True
    return kind == "application" and (sub in _TEXT_SUBTYPES or sub.endswith(("+json", "+xml")))


def _encode_body(body: bytes | None, content_type: str | None, *, v1: bool) -> tuple[str | None, bool]:
    """(body as the event carries it, isBase64Encoded). REST (v1) passes UTF-8 text as is, like an
    API without binary media types, and base64-encodes only what is not UTF-8."""
    if not body:
        return None, False
    if v1 or is_text_type(content_type):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def _header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    name = name.lower()
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def http_v2_event(*, method: str, raw_path: str, raw_query: str = "", headers: list[tuple[str, str]],
                  body: bytes | None = None, source_ip: str = "203.0.113.10", request_id: str,
                  now: _dt.datetime, account: str = ACCOUNT, domain: str = "abcdefghij.lambda-url.us-east-1.on.aws",
                  protocol: str = "HTTP/1.1") -> dict:
    """The function URL / HTTP API payload format 2.0 event for one request.

    Header names lowercased and repeated headers joined with ','; ``Cookie`` headers become the
    ``cookies`` list; repeated query parameters joined with ','; optional keys absent when empty."""
    hdrs: dict[str, str] = {}
    cookies: list[str] = []
    for k, v in headers:
        k = k.lower()
        if k == "cookie":
            cookies += [c.strip() for c in v.split(";") if c.strip()]
            continue
        hdrs[k] = f"{hdrs[k]},{v}" if k in hdrs else v
    query: dict[str, str] = {}
    for k, v in parse_qsl(raw_query, keep_blank_values=True):
        query[k] = f"{query[k]},{v}" if k in query else v
    text, b64 = _encode_body(body, hdrs.get("content-type"), v1=False)
    event: dict[str, Any] = {"version": "2.0", "routeKey": "$default", "rawPath": raw_path,
                             "rawQueryString": raw_query}
    if cookies:
        event["cookies"] = cookies
    event["headers"] = hdrs
    if query:
        event["queryStringParameters"] = query
    host = domain.split(":", 1)[0]
    event["requestContext"] = {
        "accountId": account,
        "apiId": host.split(".", 1)[0],
        "domainName": domain,
        "domainPrefix": host.split(".", 1)[0],
        "http": {"method": method, "path": unquote(raw_path), "protocol": protocol, "sourceIp": source_ip,
                 "userAgent": hdrs.get("user-agent", "")},
        "requestId": request_id,
        "routeKey": "$default",
        "stage": "$default",
        "time": clf_time(now),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if text is not None:
        event["body"] = text
    event["isBase64Encoded"] = b64
    return event


def rest_v1_event(*, method: str, raw_path: str, raw_query: str = "", headers: list[tuple[str, str]],
                  body: bytes | None = None, source_ip: str = "203.0.113.10", request_id: str,
                  now: _dt.datetime, account: str = ACCOUNT, api_id: str = "abcdef1234",
                  domain: str | None = None, stage: str = REST_STAGE, protocol: str = "HTTP/1.1",
                  extended_request_id: str | None = None) -> dict:
    """The API Gateway REST API proxy-integration event (payload format 1.0) for one request, on a
    greedy ``/{proxy+}`` resource. ``headers``/``queryStringParameters`` hold the last value of a
    repeated name, the ``multiValue*`` maps all of them; empty ones are null."""
    hdrs: dict[str, str] = {}
    mhdrs: dict[str, list[str]] = {}
    for k, v in headers:
        hdrs[k] = v
        mhdrs.setdefault(k, []).append(v)
    query: dict[str, str] = {}
    mquery: dict[str, list[str]] = {}
    for k, v in parse_qsl(raw_query, keep_blank_values=True):
        query[k] = v
        mquery.setdefault(k, []).append(v)
    path = unquote(raw_path)
    resource = "/" if path == "/" else "/{proxy+}"
    text, b64 = _encode_body(body, _header(headers, "content-type"), v1=True)
    domain = domain or f"{api_id}.execute-api.us-east-1.amazonaws.com"
    user_agent = _header(headers, "user-agent")
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": hdrs or None,
        "multiValueHeaders": mhdrs or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": mquery or None,
        "pathParameters": None if resource == "/" else {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": account,
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "extendedRequestId": extended_request_id or request_id,
            "httpMethod": method,
            "identity": {"accessKey": None, "accountId": None, "caller": None, "cognitoAuthenticationProvider": None,
                         "cognitoAuthenticationType": None, "cognitoIdentityId": None, "cognitoIdentityPoolId": None,
                         "principalOrgId": None, "sourceIp": source_ip, "user": None, "userAgent": user_agent,
                         "userArn": None},
            "path": f"/{stage}{path}",
            "protocol": protocol,
            "requestId": request_id,
            "requestTime": clf_time(now),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "resourceId": "a1b2c3",
            "resourcePath": resource,
            "stage": stage,
        },
        "body": text,
        "isBase64Encoded": b64,
    }


def parse_header(text: str) -> tuple[str, str]:
    """``'Name: value'`` → (Name, value); UsageError otherwise."""
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name or any(c.isspace() for c in name):
        raise UsageError(f"--header {text!r}: expected 'Name: value'", hint="e.g. --header 'Authorization: Bearer abc'")
    return name, value.strip()


def query_string(items: Iterable[str]) -> str:
    """``--query k=v`` (repeatable; ``a=1&b=2`` also works) → a raw query string, encoded as a browser would."""
    pairs: list[tuple[str, str]] = []
    for item in items:
        item = item.lstrip("?")
        for part in item.split("&"):
            if not part:
                continue
            k, sep, v = part.partition("=")
            if not k:
                raise UsageError(f"--query {item!r}: expected NAME=VALUE", hint="e.g. --query name=Ada")
            pairs.append((k, v))
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


def _http_request(ctx: Ctx, method: str | None, path: str | None, query: list[str] | None,
                  header: list[str] | None, body: str | bytes | None) -> tuple[str, str, str, list[tuple[str, str]], bytes]:
    method = (method or ("POST" if body is not None else "GET")).upper()
    if method not in HTTP_METHODS:
        raise UsageError(f"--method {method!r} is not an HTTP method", hint=f"choose one of: {', '.join(HTTP_METHODS)}")
    path = path or "/"
    if not path.startswith("/"):
        raise UsageError(f"--path {path!r} must start with '/'", hint="e.g. --path /orders/7")
    raw_path, _, inline_query = path.partition("?")
    raw_path = quote(raw_path, safe="/%:@!$&'()*+,;=~-._")
    raw_query = "&".join(q for q in (query_string([inline_query]) if inline_query else "",
                                    query_string(query or [])) if q)
    data = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    hdrs = [parse_header(h) for h in header or []]
    names = {k.lower() for k, _ in hdrs}
    domain = "abcdefghij.lambda-url.us-east-1.on.aws" if ctx.region == DEFAULT_REGION else \
        f"abcdefghij.lambda-url.{ctx.region}.on.aws"
    defaults = [("host", domain), ("user-agent", "curl/8.5.0"), ("accept", "*/*"),
                ("x-amzn-trace-id", f"Root=1-{int(ctx.now.timestamp()):08x}-{ctx.ids.hex(24)}"),
                ("x-forwarded-for", "203.0.113.10"), ("x-forwarded-port", "443"), ("x-forwarded-proto", "https")]
    if data:
        if "content-type" not in names:
            defaults.append(("content-type", _guess_content_type(data)))
        defaults.append(("content-length", str(len(data))))
    hdrs = [(k, v) for k, v in defaults if k not in names] + hdrs
    return method, raw_path, raw_query, hdrs, data


def _guess_content_type(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    try:
        json.loads(text)
        return "application/json"
    except ValueError:
        return "text/plain; charset=utf-8"


def http_event(ctx: Ctx, *, method=None, path=None, query=None, header=None, body=None) -> dict:
    method, raw_path, raw_query, hdrs, data = _http_request(ctx, method, path, query, header, body)
    domain = dict((k.lower(), v) for k, v in hdrs).get("host", "abcdefghij.lambda-url.us-east-1.on.aws")
    return http_v2_event(method=method, raw_path=raw_path, raw_query=raw_query, headers=hdrs, body=data,
                         request_id=ctx.ids.uuid(), now=ctx.now, account=ctx.account, domain=domain)


def apigw_event(ctx: Ctx, *, method=None, path=None, query=None, header=None, body=None) -> dict:
    method, raw_path, raw_query, hdrs, data = _http_request(ctx, method, path, query, header, body)
    api_id = ctx.ids.alnum(10, "abcdefghijklmnopqrstuvwxyz0123456789")
    domain = f"{api_id}.execute-api.{ctx.region}.amazonaws.com"
    hdrs = [(k.title() if k.islower() else k, domain if k.lower() == "host" else v) for k, v in hdrs]
    return rest_v1_event(method=method, raw_path=raw_path, raw_query=raw_query, headers=hdrs, body=data,
                         request_id=ctx.ids.uuid(), now=ctx.now, account=ctx.account, api_id=api_id,
                         domain=domain, extended_request_id=ctx.ids.alnum(14) + "=")


# --- DynamoDB Streams, Kinesis, CloudWatch Logs ---------------------------------------------------

def to_attribute_value(value: Any) -> dict:
    """Plain JSON → DynamoDB's typed JSON (``{"S": "a"}``, ``{"N": "7"}``, ``{"M": {...}}``...)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float)):
        return {"N": json.dumps(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list):
        return {"L": [to_attribute_value(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {str(k): to_attribute_value(v) for k, v in value.items()}}
    raise UsageError(f"cannot store {type(value).__name__} in a DynamoDB item",
                     hint="strings, numbers, booleans, null, lists and objects")


def _image(item: dict) -> dict:
    return {k: to_attribute_value(v) for k, v in item.items()}


def dynamodb_event(ctx: Ctx, *, table: str | None = None, keys: Any = None, item: Any = None,
                   event_name: str | None = None, count: int | None = None) -> dict:
    event_name = (event_name or "INSERT").upper()
    if event_name not in DYNAMODB_EVENT_NAMES:
        raise UsageError(f"--event-name {event_name!r} is not a DynamoDB stream event",
                         hint=f"choose one of: {', '.join(DYNAMODB_EVENT_NAMES)}")
    key_doc = {"id": "1001"} if keys is None else _json_object(keys, "--keys")
    if not key_doc:
        raise UsageError("--keys must name the item's key attributes", hint="e.g. --keys '{\"id\": \"1001\"}'")
    default_item = item is None
    item_doc = {**key_doc, "item": "coffee", "quantity": 2} if default_item else {**_json_object(item, "--item"), **key_doc}
    _, arn = _arn_or_name(table, "orders", "dynamodb", ctx, "--table", prefix="table/")
    stream_label = ctx.now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ctx.now.microsecond // 1000:03d}"
    stream_arn = f"{arn.split('/stream/')[0]}/stream/{stream_label}"
    records = []
    for _ in range(_count(count)):
        data: dict[str, Any] = {"ApproximateCreationDateTime": int(ctx.now.timestamp()), "Keys": _image(key_doc)}
        if event_name == "MODIFY":      # the sample item's quantity went from 1 to 2
            data["OldImage"] = _image({**item_doc, "quantity": 1} if default_item else item_doc)
        elif event_name == "REMOVE":
            data["OldImage"] = _image(item_doc)
        if event_name != "REMOVE":
            data["NewImage"] = _image(item_doc)
        data["SequenceNumber"] = ctx.ids.digits(21)
        data["SizeBytes"] = sum(len(json.dumps(data[k], separators=(",", ":")))
                                for k in ("Keys", "NewImage", "OldImage") if k in data) // 2
        data["StreamViewType"] = "NEW_AND_OLD_IMAGES"
        records.append({
            "eventID": ctx.ids.hex(32),
            "eventName": event_name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": arn.split(":")[3],
            "dynamodb": data,
            "eventSourceARN": stream_arn,
        })
    return {"Records": records}


def kinesis_event(ctx: Ctx, *, body: str | bytes | None = None, stream: str | None = None,
                  partition_key: str | None = None, count: int | None = None) -> dict:
    data = body.encode("utf-8") if isinstance(body, str) else body if body is not None else \
        json.dumps(SAMPLE_ORDER).encode("utf-8")
    _, arn = _arn_or_name(stream, "my-stream", "kinesis", ctx, "--stream", prefix="stream/")
    region = arn.split(":")[3]
    shard = "shardId-000000000000"
    records = []
    for i in range(_count(count)):
        seq = ctx.ids.digits(56)
        records.append({
            "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": partition_key or str(i + 1),
                        "sequenceNumber": seq, "data": base64.b64encode(data).decode("ascii"),
                        "approximateArrivalTimestamp": round(ctx.now.timestamp() + i / 1000, 3)},
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard}:{seq}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": f"arn:aws:iam::{ctx.account}:role/lambda-kinesis-role",
            "awsRegion": region,
            "eventSourceARN": arn,
        })
    return {"Records": records}


def cloudwatch_logs_event(ctx: Ctx, *, body: str | bytes | None = None, log_group: str | None = None) -> dict:
    text = _text(body, "hello from the log\nsecond line")
    group = log_group or "/aws/lambda/my-function"
    lines = text.splitlines() or [""]
    ts = ctx.epoch_ms
    doc = {
        "messageType": "DATA_MESSAGE",
        "owner": ctx.account,
        "logGroup": group,
        "logStream": ctx.now.strftime("%Y/%m/%d") + "/[$LATEST]" + ctx.ids.hex(32),
        "subscriptionFilters": ["lambdactl-subscription"],
        "logEvents": [{"id": ctx.ids.digits(56), "timestamp": ts + i, "message": line} for i, line in enumerate(lines)],
    }
    packed = gzip.compress(json.dumps(doc, separators=(",", ":")).encode("utf-8"), mtime=0)
    return {"awslogs": {"data": base64.b64encode(packed).decode("ascii")}}


def decode_awslogs(event: dict) -> dict:
    """The CloudWatch Logs subscription document inside ``awslogs.data`` (what a handler does)."""
    return json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))


BUILDERS: dict[str, Callable[..., dict]] = {
    "s3": s3_event, "sqs": sqs_event, "sns": sns_event, "eventbridge": eventbridge_event,
    "schedule": schedule_event, "http": http_event, "apigw": apigw_event, "dynamodb": dynamodb_event,
    "kinesis": kinesis_event, "cloudwatch-logs": cloudwatch_logs_event,
}
