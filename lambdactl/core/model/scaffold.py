"""``lambdactl init``: the project templates and the code that writes them (no typer, no questionary).

A project is described by a :class:`ProjectSpec`; :func:`render_files` turns it into
``{relative path: text}`` and :func:`write_project` writes that into a directory, refusing to
overwrite existing files unless ``force``. Every value is validated here, so the wizard, the flags
and other callers (``lambdactl demo``) share one set of rules and messages.

Files written (``<module>`` is ``app``)::

    lambdactl.toml          the project file (validated with lambdactl.config before writing)
    src/app.py              a working handler for the template
    tests/test_handler.py   a pytest test for the handler, fed with the sample event
    events/<template>.json  a realistic sample event (API Gateway, S3, SQS or EventBridge)
    requirements.txt        runtime dependencies (empty: boto3 is in the Lambda runtime)
    .gitignore              merged with an existing one, never overwritten
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from lambdactl.config import NAME_RE, ROLE_ARN_RE
from lambdactl.config import _toml_value as _q  # a TOML basic string, as the project file writer makes it
from lambdactl.core.model.naming import auto_role_name
from lambdactl.errors import UsageError

MODULE = "app"
NAME_RULE = "1-64 characters: letters, digits, '-' and '_'"
BUCKET_RE = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
QUEUE_ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$")
QUEUE_URL_RE = re.compile(r"^https?://[^\s/]+/\d{12}/[A-Za-z0-9_-]{1,80}(\.fifo)?$")

MEMORY_RANGE = (128, 10240)
TIMEOUT_RANGE = (1, 900)
DEFAULT_MEMORY = 256
DEFAULT_TIMEOUT = 30
DEFAULT_ARCH = "arm64"
ARCH_REASON = "Graviton: about 20% cheaper per GB-second than x86_64"
DEFAULT_SCHEDULE = "rate(5 minutes)"


@dataclass(frozen=True)
class Template:
    name: str
    title: str            # one line, shown by the wizard and in --help
    description: str      # the function's description in lambdactl.toml
    trigger: str          # the trigger kind that fits it (the wizard's default)


TEMPLATES: dict[str, Template] = {
    "api": Template("api", "hello API handler (API Gateway / function URL)",
                    "Hello API (created by lambdactl init)", "none"),
    "s3": Template("s3", "S3 event handler (objects created in a bucket)",
                   "S3 event handler (created by lambdactl init)", "s3"),
    "sqs": Template("sqs", "SQS batch handler with partial batch failure",
                    "SQS batch handler (created by lambdactl init)", "sqs"),
    "schedule": Template("schedule", "scheduled job (EventBridge rate/cron)",
                         "Scheduled job (created by lambdactl init)", "schedule"),
}
DEFAULT_TEMPLATE = "api"

TRIGGER_KINDS: dict[str, str] = {
    "none": "none: invoke it yourself (lambdactl invoke)",
    "url": "url: an HTTPS function URL (AWS_IAM auth; NONE makes it public)",
    "schedule": "schedule: an EventBridge schedule, e.g. rate(5 minutes)",
    "s3": "s3: objects created in an S3 bucket",
    "sqs": "sqs: messages from an SQS queue (partial batch failures reported)",
}
URL_AUTH = ("AWS_IAM", "NONE")


@dataclass
class Trigger:
    """The trigger to wire on first deploy. ``value``: schedule expression, bucket name, queue ARN/URL
    or URL auth type; empty for s3/sqs means "fill in later" (written commented out)."""
    kind: str = "none"
    value: str = ""

    def describe(self) -> str:
        if self.kind == "none":
            return "none"
        if self.kind in ("s3", "sqs") and not self.value:
            return f"{self.kind} (commented out in lambdactl.toml until you name the "\
                   f"{'bucket' if self.kind == 's3' else 'queue'})"
        return f"{self.kind}: {self.value}"


@dataclass
class ProjectSpec:
    name: str
    runtime: str
    architecture: str = DEFAULT_ARCH
    memory: int = DEFAULT_MEMORY
    timeout: int = DEFAULT_TIMEOUT
    template: str = DEFAULT_TEMPLATE
    trigger: Trigger = field(default_factory=Trigger)
    role: str = ""                      # "" = lambdactl creates a role on first deploy
    module: str = MODULE

    @property
    def handler(self) -> str:
        return f"{self.module}.handler"

    @property
    def event_file(self) -> str:
        return f"events/{self.template}.json"

    def to_dict(self) -> dict:
        """As data (``-o json``): role "" means lambdactl creates one on first deploy."""
        return {"name": self.name, "runtime": self.runtime, "architecture": self.architecture,
                "memory": self.memory, "timeout": self.timeout, "template": self.template,
                "handler": self.handler, "trigger": self.trigger.kind,
                "trigger_value": self.trigger.value or None, "role": self.role}

    def summary(self) -> dict:
        """For people: the wizard's summary."""
        return {"name": self.name, "runtime": self.runtime, "architecture": self.architecture,
                "memory": f"{self.memory} MB", "timeout": f"{self.timeout} s",
                "template": f"{self.template}: {TEMPLATES[self.template].title}",
                "handler": f"{self.handler} (src/{self.module}.py)", "trigger": self.trigger.describe(),
                "role": self.role or f"created on first deploy ({auto_role_name(self.name)})"}


# --- choices and validation (shared by flags and the wizard) ---------------------------------

def python_runtimes() -> list[str]:
    """The supported (not deprecated) Python runtimes, newest first."""
    from lambdactl.core.model import runtimes

    return [r.name for r in runtimes.RUNTIMES if r.family == "python" and not r.is_deprecated()]


def default_runtime() -> str:
    from lambdactl.core.model import runtimes

    choices = python_runtimes()
    return runtimes.DEFAULT_RUNTIME if runtimes.DEFAULT_RUNTIME in choices else choices[0]


def name_problem(name: str) -> str | None:
    """None when ``name`` is a valid function name, else what is wrong (for prompts)."""
    if not name:
        return "a function name is required"
    if not NAME_RE.match(name):
        return f"{name!r} is not a valid function name ({NAME_RULE})"
    return None


def check_name(name: str) -> str:
    if not name:
        raise UsageError("the function name is empty", hint=f"function names are {NAME_RULE}")
    if name_problem(name):
        raise UsageError(f"{name!r} is not a valid function name", hint=f"function names are {NAME_RULE}")
    return name


def check_runtime(runtime: str) -> str:
    from lambdactl.core.model import runtimes

    supported = python_runtimes()
    if runtime in supported:
        return runtime
    known = runtimes.get(runtime)
    if known is not None and known.family != "python":
        raise UsageError(f"runtime {runtime!r}: the init templates are Python handlers",
                         hint=f"choose one of: {', '.join(supported)}")
    if known is not None:
        raise UsageError(f"runtime {runtime!r} is deprecated by AWS", hint=f"choose one of: {', '.join(supported)}")
    raise UsageError(f"unknown runtime {runtime!r}", hint=f"choose one of: {', '.join(supported)}")


def check_arch(arch: str) -> str:
    from lambdactl.core.model.runtimes import ARCHITECTURES

    if arch not in ARCHITECTURES:
        raise UsageError(f"unknown architecture {arch!r}",
                         hint=f"choose arm64 ({ARCH_REASON}) or x86_64")
    return arch


def _int_problem(text: str | int, lo: int, hi: int, what: str, unit: str) -> str | None:
    try:
        n = int(str(text).strip())
    except ValueError:
        return f"{what} must be a whole number of {unit} ({lo}..{hi})"
    if not lo <= n <= hi:
        return f"{what} {n} is out of range: {lo}..{hi} {unit}"
    return None


def memory_problem(text: str | int) -> str | None:
    return _int_problem(text, *MEMORY_RANGE, "memory", "MB")


def timeout_problem(text: str | int) -> str | None:
    return _int_problem(text, *TIMEOUT_RANGE, "timeout", "seconds")


def check_memory(value: int) -> int:
    problem = memory_problem(value)
    if problem:
        raise UsageError(problem, hint=f"allowed range: {MEMORY_RANGE[0]}..{MEMORY_RANGE[1]} MB")
    return int(value)


def check_timeout(value: int) -> int:
    problem = timeout_problem(value)
    if problem:
        raise UsageError(problem, hint=f"allowed range: {TIMEOUT_RANGE[0]}..{TIMEOUT_RANGE[1]} seconds")
    return int(value)


def check_template(template: str) -> str:
    if template not in TEMPLATES:
        raise UsageError(f"unknown template {template!r}", hint=f"choose one of: {', '.join(TEMPLATES)}")
    return template


def bucket_problem(bucket: str) -> str | None:
    if bucket and not BUCKET_RE.match(bucket):
        return f"{bucket!r} is not a valid S3 bucket name (3-63 lowercase letters, digits, '.' and '-')"
    return None


def queue_problem(queue: str) -> str | None:
    if queue and not (QUEUE_ARN_RE.match(queue) or QUEUE_URL_RE.match(queue)):
        return (f"{queue!r} is not an SQS queue ARN or URL "
                "(arn:aws:sqs:<region>:<account>:<queue> or https://sqs.<region>.amazonaws.com/<account>/<queue>)")
    return None


def schedule_problem(expression: str) -> str | None:
    from lambdactl.core.model.schedule import validate_expression

    try:
        validate_expression(expression)
    except UsageError as exc:
        return exc.message + (f" ({exc.hint})" if exc.hint else "")
    return None


def check_trigger(trigger: Trigger) -> Trigger:
    """Validate (and normalise) a trigger; raises UsageError."""
    kind, value = trigger.kind, trigger.value.strip()
    if kind not in TRIGGER_KINDS:
        raise UsageError(f"unknown trigger {kind!r}",
                         hint=f"choose one of: {', '.join(TRIGGER_KINDS)} (KIND or KIND:VALUE, "
                              "e.g. schedule:'rate(5 minutes)', s3:my-bucket, sqs:<queue ARN>)")
    if kind == "none":
        if value:
            raise UsageError(f"trigger 'none' takes no value (got {value!r})")
        return Trigger("none")
    if kind == "schedule":
        value = value or DEFAULT_SCHEDULE
        problem = schedule_problem(value)
        if problem:
            raise UsageError(f"trigger schedule: {problem}",
                             hint='e.g. --trigger "schedule:rate(5 minutes)" or "schedule:cron(0 12 * * ? *)"')
    elif kind == "s3":
        problem = bucket_problem(value)
        if problem:
            raise UsageError(f"trigger s3: {problem}", hint="e.g. --trigger s3:my-uploads-bucket")
    elif kind == "sqs":
        problem = queue_problem(value)
        if problem:
            raise UsageError(f"trigger sqs: {problem}",
                             hint="e.g. --trigger sqs:arn:aws:sqs:us-east-1:123456789012:orders")
    elif kind == "url":
        value = (value or "AWS_IAM").upper()
        if value not in URL_AUTH:
            raise UsageError(f"trigger url: unknown auth type {value!r}", hint="url:AWS_IAM or url:NONE (public)")
    return Trigger(kind, value)


def parse_trigger(spec: str) -> Trigger:
    """``KIND`` or ``KIND:VALUE`` (the ``--trigger`` flag) → a validated :class:`Trigger`."""
    kind, _, value = spec.strip().partition(":")
    return check_trigger(Trigger(kind.strip().lower(), value.strip()))


def default_trigger(template: str) -> Trigger:
    kind = TEMPLATES[template].trigger
    return check_trigger(Trigger(kind))


def check_role(role: str) -> str:
    if role and not ROLE_ARN_RE.match(role):
        raise UsageError(f"{role!r} is not an IAM role ARN",
                         hint="arn:aws:iam::<account>:role/<name>, or --auto-role to let lambdactl create one")
    return role


def role_problem(role: str) -> str | None:
    try:
        check_role(role)
    except UsageError as exc:
        return exc.message
    return None


def validate_spec(spec: ProjectSpec) -> ProjectSpec:
    check_name(spec.name)
    check_runtime(spec.runtime)
    check_arch(spec.architecture)
    check_memory(spec.memory)
    check_timeout(spec.timeout)
    check_template(spec.template)
    spec.trigger = check_trigger(spec.trigger)
    check_role(spec.role)
    return spec


# --- rendering --------------------------------------------------------------------------------

def _kv(key: str, value: str, comment: str = "") -> str:
    line = f"{key} = {value}"
    return f"{line.ljust(34)} # {comment}" if comment else line


def render_toml(spec: ProjectSpec) -> str:
    t = TEMPLATES[spec.template]
    arch_note = ("arm64: about 20% cheaper per GB-second than x86_64" if spec.architecture == "arm64"
                 else "arm64 would be about 20% cheaper per GB-second")
    role_note = ("empty: lambdactl creates a logging-only role on first deploy" if not spec.role
                 else "an existing IAM role")
    lines = [
        "# lambdactl project file: `lambdactl deploy` makes AWS match it, `lambdactl diff` shows",
        "# what would change. Reference: `lambdactl --help` and the README.",
        "",
        "[function]",
        _kv("name", _q(spec.name)),
        _kv("runtime", _q(spec.runtime)),
        _kv("handler", _q(spec.handler), f"def handler(event, context) in src/{spec.module}.py"),
        _kv("source", _q("src"), "the directory that is packaged"),
        _kv("requirements", _q("requirements.txt"), "vendored for the target platform"),
        _kv("architecture", _q(spec.architecture), arch_note),
        _kv("memory", str(spec.memory), "MB, 128..10240"),
        _kv("timeout", str(spec.timeout), "seconds, 1..900"),
        _kv("role", _q(spec.role), role_note),
        _kv("description", _q(t.description)),
        "",
        "[function.environment]",
        _kv("LOG_LEVEL", _q("INFO")),
        "",
        "# Release with an alias on deploy (`lambdactl deploy --publish --alias live`), or declare it:",
        "# [[aliases]]",
        '# name = "live"',
        '# version = "published"',
        "",
    ]
    lines += _trigger_toml(spec)
    return "\n".join(lines).rstrip("\n") + "\n"


def _trigger_toml(spec: ProjectSpec) -> list[str]:
    tr = spec.trigger
    if tr.kind == "none":
        return ["# Triggers are wired by `lambdactl deploy` (or at once with `lambdactl trigger add`), e.g.:",
                "# [[triggers]]", '# type = "schedule"', f"# expression = {_q(DEFAULT_SCHEDULE)}"]
    if tr.kind == "schedule":
        return ["# Wired by `lambdactl deploy`: an EventBridge rule that invokes the function.",
                "[[triggers]]", 'type = "schedule"', f"expression = {_q(tr.value)}"]
    if tr.kind == "url":
        return ["# Wired by `lambdactl deploy`: an HTTPS function URL (auth NONE makes it public).",
                "[[triggers]]", 'type = "url"', f"auth = {_q(tr.value)}"]
    if tr.kind == "s3":
        body = ["[[triggers]]", 'type = "s3"', f"bucket = {_q(tr.value or 'my-bucket')}",
                'events = ["s3:ObjectCreated:*"]', '# prefix = "uploads/"', '# suffix = ".jpg"']
        if tr.value:
            return ["# Wired by `lambdactl deploy`: S3 invokes the function when objects are created.",
                    *body]
        return ["# Uncomment and name your bucket, then `lambdactl deploy` wires it:",
                *("# " + line if not line.startswith("#") else line for line in body)]
    if tr.kind == "sqs":
        source = tr.value or "arn:aws:sqs:us-east-1:123456789012:my-queue"
        body = ["[[triggers]]", 'type = "sqs"', f"source = {_q(source)}", "batch_size = 10",
                _kv("report_batch_item_failures", "true", "the handler returns batchItemFailures")]
        note = ("# The function's role needs sqs:ReceiveMessage, sqs:DeleteMessage and "
                "sqs:GetQueueAttributes on the queue.")
        if tr.value:
            return ["# Wired by `lambdactl deploy`: an event source mapping that polls the queue.", note,
                    *body]
        return ["# Uncomment and name your queue (ARN or URL), then `lambdactl deploy` wires it:", note,
                *("# " + line for line in body)]
    raise AssertionError(tr.kind)  # pragma: no cover - check_trigger guards the kinds


_LOGGING = '''\
logger = logging.getLogger()
if not logger.handlers:  # outside Lambda (tests, `lambdactl invoke --local`)
    logging.basicConfig(format="%(levelname)s %(message)s")
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
'''

HANDLERS: dict[str, str] = {
    "api": '''\
"""Hello API: a Lambda handler behind API Gateway (HTTP or REST API) or a function URL.

    GET /hello?name=Ada            -> 200 {"message": "Hello, Ada!"}
    POST /hello {"name": "Ada"}    -> 200 {"message": "Hello, Ada!"}
    lambdactl invoke '{"name": "Ada"}' works too (a direct invoke).
"""
import base64
import json
import logging
import os

%(logging)s

def handler(event, context):
    event = event or {}
    http = (event.get("requestContext") or {}).get("http") or {}
    method = http.get("method") or event.get("httpMethod") or "INVOKE"
    path = event.get("rawPath") or event.get("path") or "/"
    try:
        body = _json_body(event)
    except ValueError:
        return _response(400, {"error": "the request body is not valid JSON"})
    query = event.get("queryStringParameters") or {}
    name = query.get("name") or body.get("name") or event.get("name") or "world"
    logger.info("%%s %%s name=%%s", method, path, name)
    return _response(200, {"message": f"Hello, {name}!"})


def _json_body(event):
    raw = event.get("body")
    if not raw:
        return {}
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode("utf-8")
    data = json.loads(raw)
    return data if isinstance(data, dict) else {}


def _response(status, payload):
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(payload),
    }
''',
    "s3": '''\
"""S3 event handler: Amazon S3 calls it when objects are created in the bucket.

Each record names the bucket and the object; object keys arrive URL-encoded ("my+photo.jpg")
and are decoded here. To read an object, use boto3 (it is part of the Lambda runtime):

    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
"""
import logging
import os
import urllib.parse

%(logging)s

def handler(event, context):
    objects = []
    for record in event.get("Records", []):
        if record.get("eventSource") != "aws:s3":
            continue
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        size = record["s3"]["object"].get("size", 0)
        logger.info("%%s s3://%%s/%%s (%%d bytes)", record.get("eventName"), bucket, key, size)
        objects.append({"bucket": bucket, "key": key, "size": size, "event": record.get("eventName")})
    return {"processed": len(objects), "objects": objects}
''',
    "sqs": '''\
"""SQS batch handler with partial batch failure.

Lambda delivers up to batch_size messages at once. A message that fails is returned in
batchItemFailures, so only that message goes back to the queue to be retried; the others are
deleted. (This needs ReportBatchItemFailures on the event source mapping: lambdactl.toml sets
report_batch_item_failures = true.) A handler that raises instead would retry the whole batch.
"""
import json
import logging
import os

%(logging)s

def handler(event, context):
    failures = []
    records = event.get("Records", [])
    for record in records:
        try:
            process(record)
        except Exception:
            logger.exception("message %%s failed", record.get("messageId"))
            failures.append({"itemIdentifier": record["messageId"]})
    logger.info("processed %%d messages, %%d failed", len(records), len(failures))
    return {"batchItemFailures": failures}


def process(record):
    """Handle one message; raise to have it retried. The body is expected to be JSON."""
    message = json.loads(record["body"])
    logger.info("message %%s: %%s", record["messageId"], message)
    return message
''',
    "schedule": '''\
"""Scheduled job: EventBridge invokes it on a schedule (rate(...) or cron(...)).

The event carries the scheduled time and the rule that fired; a manual invoke works too.
"""
import datetime
import logging
import os

%(logging)s

def handler(event, context):
    event = event or {}
    when = event.get("time") or datetime.datetime.now(datetime.timezone.utc).strftime("%%Y-%%m-%%dT%%H:%%M:%%SZ")
    rule = (event.get("resources") or ["manual invoke"])[0]
    logger.info("scheduled run at %%s (%%s)", when, rule)
    result = run_job(when)
    return {"ok": True, "time": when, "rule": rule, **result}


def run_job(when):
    """The job itself: replace with your work, return a summary."""
    return {"items_processed": 0}
''',
}

_TEST_HEADER = '''\
"""Tests for the handler in src/%(module)s.py. Run them with: python -m pytest -q"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import %(module)s  # noqa: E402


class FakeContext:
    """The attributes of Lambda's context object that handlers usually read."""
    function_name = %(name_q)s
    memory_limit_in_mb = %(memory)d
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:%(name)s"
    aws_request_id = "c0ffee00-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self):
        return %(timeout_ms)d


def load_event(name):
    return json.loads((ROOT / "events" / name).read_text())

'''

TESTS: dict[str, str] = {
    "api": '''
def test_hello_from_an_api_gateway_event():
    response = %(module)s.handler(load_event("api.json"), FakeContext())
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"message": "Hello, Ada!"}


def test_name_from_a_json_body():
    event = {"requestContext": {"http": {"method": "POST"}}, "body": json.dumps({"name": "Grace"})}
    response = %(module)s.handler(event, FakeContext())
    assert json.loads(response["body"]) == {"message": "Hello, Grace!"}


def test_direct_invoke_and_default_name():
    assert json.loads(%(module)s.handler({"name": "Linus"}, FakeContext())["body"])["message"] == "Hello, Linus!"
    assert json.loads(%(module)s.handler({}, FakeContext())["body"])["message"] == "Hello, world!"


def test_invalid_json_body_is_a_400():
    event = {"requestContext": {"http": {"method": "POST"}}, "body": "{not json"}
    assert %(module)s.handler(event, FakeContext())["statusCode"] == 400
''',
    "s3": '''
def test_reports_each_created_object_with_its_key_decoded():
    result = %(module)s.handler(load_event("s3.json"), FakeContext())
    assert result["processed"] == 1
    obj = result["objects"][0]
    assert obj["key"] == "uploads/my photo.jpg"
    assert obj["size"] == 1024
    assert obj["event"] == "ObjectCreated:Put"


def test_ignores_records_from_other_sources():
    assert %(module)s.handler({"Records": [{"eventSource": "aws:sqs"}]}, FakeContext())["processed"] == 0
''',
    "sqs": '''
def test_a_good_batch_has_no_failures():
    assert %(module)s.handler(load_event("sqs.json"), FakeContext()) == {"batchItemFailures": []}


def test_only_the_bad_message_is_reported_for_retry():
    event = load_event("sqs.json")
    event["Records"][1]["body"] = "not json"
    result = %(module)s.handler(event, FakeContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
''',
    "schedule": '''
def test_runs_on_a_scheduled_event():
    event = load_event("schedule.json")
    result = %(module)s.handler(event, FakeContext())
    assert result["ok"] is True
    assert result["time"] == event["time"]
    assert result["rule"] == event["resources"][0]


def test_a_manual_invoke_works_too():
    assert %(module)s.handler({}, FakeContext())["ok"] is True
''',
}

REQUIREMENTS = """\
# The function's runtime dependencies, one per line (e.g. requests==2.32.3).
# `lambdactl package`/`deploy` vendor them into the zip for the target platform.
# boto3 is already part of the Lambda Python runtime.
"""

GITIGNORE_LINES = ["# lambdactl", ".lambdactl/", "build/", "*.zip", "", "# Python", "__pycache__/",
                   "*.py[cod]", ".pytest_cache/", ".venv/", "venv/", ".env"]


_REGION = "us-east-1"
_ACCOUNT = "123456789012"
_TIME = "2026-11-23T15:21:41Z"
_EPOCH_MS = 1795447301000


def sample_event(spec: ProjectSpec) -> dict:
    """A realistic sample event for the template (shapes as AWS sends them)."""
    import hashlib

    if spec.template == "api":
        headers = {"accept": "application/json", "content-length": "0",
                   "host": "abcdef1234.execute-api.us-east-1.amazonaws.com", "user-agent": "curl/8.5.0",
                   "x-amzn-trace-id": "Root=1-6742f2a5-3c1a9b3d2e4f5a6b7c8d9e0f",
                   "x-forwarded-for": "203.0.113.10", "x-forwarded-port": "443", "x-forwarded-proto": "https"}
        return {  # API Gateway HTTP API, payload format 2.0 (the same shape a function URL sends)
            "version": "2.0", "routeKey": "GET /hello", "rawPath": "/hello", "rawQueryString": "name=Ada",
            "headers": headers, "queryStringParameters": {"name": "Ada"},
            "requestContext": {
                "accountId": _ACCOUNT, "apiId": "abcdef1234",
                "domainName": "abcdef1234.execute-api.us-east-1.amazonaws.com", "domainPrefix": "abcdef1234",
                "http": {"method": "GET", "path": "/hello", "protocol": "HTTP/1.1",
                         "sourceIp": "203.0.113.10", "userAgent": "curl/8.5.0"},
                "requestId": "JKJaXmPLvHcESHA=", "routeKey": "GET /hello", "stage": "$default",
                "time": "23/Nov/2026:15:21:41 +0000", "timeEpoch": _EPOCH_MS},
            "isBase64Encoded": False,
        }
    if spec.template == "s3":
        bucket = spec.trigger.value if spec.trigger.kind == "s3" and spec.trigger.value else "my-bucket"
        return {"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": _REGION,
            "eventTime": "2026-11-23T15:21:41.123Z", "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "AWS:AIDAEXAMPLEPRINCIPAL"},
            "requestParameters": {"sourceIPAddress": "203.0.113.10"},
            "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810",
                                 "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
            "s3": {"s3SchemaVersion": "1.0", "configurationId": f"lambdactl-{spec.name}",
                   "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                              "arn": f"arn:aws:s3:::{bucket}"},
                   "object": {"key": "uploads/my+photo.jpg", "size": 1024,
                              "eTag": "d41d8cd98f00b204e9800998ecf8427e", "sequencer": "0A1B2C3D4E5F678901"}},
        }]}
    if spec.template == "sqs":
        queue_arn = f"arn:aws:sqs:{_REGION}:{_ACCOUNT}:my-queue"
        if spec.trigger.kind == "sqs" and QUEUE_ARN_RE.match(spec.trigger.value or ""):
            queue_arn = spec.trigger.value
        region = queue_arn.split(":")[3]
        records = []
        for i, (mid, order) in enumerate((
                ("059f36b4-87a3-44ab-83d2-661975830a7d", {"order_id": 1001, "item": "coffee", "quantity": 2}),
                ("2e1424d4-f796-459a-8184-9c92662be6da", {"order_id": 1002, "item": "tea", "quantity": 1}))):
            body = json.dumps(order)
            records.append({
                "messageId": mid,
                "receiptHandle": f"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a{i}Example...",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(_EPOCH_MS - 1000 + i),
                               "SenderId": "AIDAEXAMPLESENDERID", "ApproximateFirstReceiveTimestamp": str(_EPOCH_MS + i)},
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
                "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": region,
            })
        return {"Records": records}
    if spec.template == "schedule":
        return {
            "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": _ACCOUNT, "time": _TIME, "region": _REGION,
            "resources": [f"arn:aws:events:{_REGION}:{_ACCOUNT}:rule/lambdactl-{spec.name}-schedule"],
            "detail": {},
        }
    raise AssertionError(spec.template)  # pragma: no cover


def render_files(spec: ProjectSpec) -> dict[str, str]:
    """``{relative path: text}`` for the project (the .gitignore is merged by :func:`write_project`)."""
    values = {"module": spec.module, "name": spec.name, "name_q": json.dumps(spec.name), "memory": spec.memory,
              "timeout_ms": spec.timeout * 1000, "logging": _LOGGING.rstrip("\n") + "\n"}
    return {
        "lambdactl.toml": render_toml(spec),
        f"src/{spec.module}.py": HANDLERS[spec.template] % values,
        "tests/test_handler.py": _TEST_HEADER % values + TESTS[spec.template] % values,
        spec.event_file: json.dumps(sample_event(spec), indent=2) + "\n",
        "requirements.txt": REQUIREMENTS,
        ".gitignore": "\n".join(GITIGNORE_LINES) + "\n",
    }


def planned_paths(template: str | None = None, module: str = MODULE) -> list[str]:
    """The files init writes (all templates' common files, plus the template's event file)."""
    paths = ["lambdactl.toml", f"src/{module}.py", "tests/test_handler.py", "requirements.txt"]
    if template:
        paths.append(f"events/{template}.json")
    return paths


def conflicts(directory: Path, paths: list[str]) -> list[str]:
    """The paths (relative) that already exist in ``directory`` (the .gitignore is merged, not counted)."""
    return [p for p in paths if p != ".gitignore" and (directory / p).exists()]


def refuse_conflicts(directory: Path, paths: list[str], display: str) -> None:
    existing = conflicts(directory, paths)
    if existing:
        shown = ", ".join(f"{display.rstrip('/')}/{p}" if display not in ("", ".") else p for p in existing)
        raise UsageError(f"not overwriting existing files: {shown}",
                         hint="pass --force to overwrite them, or choose another directory")


def check_directory(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} exists and is not a directory", hint="choose another DIR")


def write_project(directory: Path, spec: ProjectSpec, *, force: bool = False,
                  display: str | None = None) -> list[dict]:
    """Write the project; returns ``[{"path", "status"}]`` (created / overwritten / updated / unchanged).

    Nothing is written when a file exists and ``force`` is false (UsageError listing them), or when
    the rendered lambdactl.toml would not load (a bug: it is validated before writing)."""
    from lambdactl import config

    validate_spec(spec)
    directory = Path(directory)
    check_directory(directory)
    files = render_files(spec)
    config.loads(files["lambdactl.toml"], file="lambdactl.toml (generated)")
    if not force:
        refuse_conflicts(directory, list(files), display if display is not None else str(directory))
    results = []
    directory.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel == ".gitignore" and path.exists():
            results.append({"path": rel, "status": _merge_gitignore(path)})
            continue
        status = "overwritten" if path.exists() else "created"
        path.write_text(text, encoding="utf-8")
        results.append({"path": rel, "status": status})
    return results


def _merge_gitignore(path: Path) -> str:
    current = path.read_text(encoding="utf-8", errors="replace")
    have = {line.strip() for line in current.splitlines()}
    missing = [line for line in GITIGNORE_LINES if line and not line.startswith("#") and line not in have]
    if not missing:
        return "unchanged"
    sep = "" if current.endswith("\n") or not current else "\n"
    path.write_text(current + sep + "\n# added by lambdactl init\n" + "\n".join(missing) + "\n", encoding="utf-8")
    return "updated"


def next_steps(spec: ProjectSpec, cd: str | None) -> list[str]:
    """The commands to run next (shown on stderr after init)."""
    steps = []
    if cd:
        steps.append(f"cd {cd}")
    steps += [
        "python -m pytest -q                                # the handler's tests",
        f"lambdactl invoke --local @{spec.event_file}".ljust(51) + "# run it locally, no Docker",
        "lambdactl deploy".ljust(51) + "# create it in AWS (add --sandbox for the local sandbox)",
        f"lambdactl invoke @{spec.event_file} --logs".ljust(51) + "# run it in AWS",
    ]
    if spec.trigger.kind in ("s3", "sqs") and not spec.trigger.value:
        steps.append(f"edit lambdactl.toml: uncomment [[triggers]] and name your "
                     f"{'bucket' if spec.trigger.kind == 's3' else 'queue'}")
    steps.append("lambdactl logs -f".ljust(51) + "# follow its logs")
    return steps
