"""The project file ``lambdactl.toml``: load, validate, defaults.

Every error names the file, the key and the allowed values (exit 2) before any AWS call.
The schema covers the whole contract: [function] (+ environment, tags, vpc, async),
[concurrency], [[aliases]], [[triggers]], [[layers.build]].
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambdactl.errors import ConfigError

DEFAULT_FILE = "lambdactl.toml"
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
HANDLER_RE = re.compile(r"^[A-Za-z_][\w]*(?:[./][A-Za-z_][\w]*)*\.[A-Za-z_]\w*$")
ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}?:.+$")
ROLE_ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
LAYER_ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+$")
SUBNET_RE = re.compile(r"^subnet-[0-9a-f]{8,17}$")
SG_RE = re.compile(r"^sg-[0-9a-f]{8,17}$")
IMAGE_URI_RE = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9._/-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$")
TRIGGER_TYPES = ("s3", "schedule", "eventbridge", "sqs", "kinesis", "dynamodb", "sns", "url")


@dataclass
class VpcConfig:
    subnets: list[str] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)
    ipv6: bool = False


@dataclass
class AsyncConfig:
    max_retries: int | None = None
    max_event_age: int | None = None
    on_success: str | None = None
    on_failure: str | None = None


@dataclass
class FunctionConfig:
    name: str
    runtime: str | None = None
    handler: str | None = None
    source: str = "src"
    requirements: str | None = None
    architecture: str = "x86_64"
    memory: int = 128
    timeout: int = 3
    ephemeral_storage: int = 512
    role: str = ""
    description: str = ""
    layers: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    s3_bucket: str = ""
    tracing: str | None = None
    kms_key: str | None = None
    package_type: str = "Zip"
    image_uri: str | None = None
    vpc: VpcConfig | None = None
    async_: AsyncConfig | None = None
    dead_letter: str | None = None


@dataclass
class ProvisionedConfig:
    qualifier: str
    count: int


@dataclass
class ConcurrencyConfig:
    reserved: int | None = None
    provisioned: list[ProvisionedConfig] = field(default_factory=list)


@dataclass
class AliasConfig:
    name: str
    version: str = "published"      # "published" (the version this deploy publishes) or a number
    description: str = ""
    routing: dict[str, float] = field(default_factory=dict)   # {version: weight 0..1}: AdditionalVersionWeights


@dataclass
class TriggerConfig:
    type: str
    options: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


@dataclass
class LayerBuildConfig:
    name: str
    requirements: str
    description: str = ""
    runtimes: list[str] = field(default_factory=list)
    architectures: list[str] = field(default_factory=list)


@dataclass
class ProjectConfig:
    path: Path
    function: FunctionConfig
    concurrency: ConcurrencyConfig | None = None
    aliases: list[AliasConfig] = field(default_factory=list)
    triggers: list[TriggerConfig] = field(default_factory=list)
    layer_builds: list[LayerBuildConfig] = field(default_factory=list)
    raw: dict = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def source_dir(self) -> Path:
        return (self.root / self.function.source).resolve()

    @property
    def requirements_path(self) -> Path | None:
        if not self.function.requirements:
            return None
        return (self.root / self.function.requirements).resolve()


# --- the validator ----------------------------------------------------------------------------

class _V:
    """Small schema helper: every error names file, key and allowed values."""

    def __init__(self, file: str):
        self.file = file

    def fail(self, key: str, msg: str, hint: str | None = None):
        key = key if key and key.isprintable() else repr(key)  # TOML keys may hold newlines: one line
        raise ConfigError(f"{self.file}: {key}: {msg}", hint=hint)

    def table(self, data: Any, key: str) -> dict:
        if not isinstance(data, dict):
            self.fail(key, f"must be a table, got {_tname(data)}")
        return data

    def unknown(self, data: dict, allowed: set[str], key: str) -> None:
        extra = sorted(set(data) - allowed)
        if extra:
            where = f"{key}.{extra[0]}" if key else extra[0]
            self.fail(where, "unknown key", hint=f"allowed keys{' in [' + key + ']' if key else ''}: {', '.join(sorted(allowed))}")

    def str_(self, data: dict, k: str, key: str, default: Any = None, *, required: bool = False,
             choices: tuple[str, ...] | None = None, pattern: re.Pattern | None = None,
             what: str = "") -> Any:
        full = f"{key}.{k}"
        if k not in data:
            if required:
                self.fail(full, "is required", hint=f"allowed values: {', '.join(choices)}" if choices else None)
            return default
        v = data[k]
        if not isinstance(v, str):
            self.fail(full, f"must be a string, got {_tname(v)}")
        if choices is not None and v not in choices:
            self.fail(full, f"{v!r} is not allowed", hint=f"allowed values: {', '.join(choices)}")
        if pattern is not None and v and not pattern.match(v):
            self.fail(full, f"{v!r} is not a valid {what or k}")
        return v

    def int_(self, data: dict, k: str, key: str, default: Any, lo: int, hi: int | None,
             unit: str = "") -> Any:
        full = f"{key}.{k}"
        if k not in data:
            return default
        v = data[k]
        if isinstance(v, bool) or not isinstance(v, int):
            self.fail(full, f"must be an integer, got {_tname(v)}",
                      hint=f"allowed range: {lo}..{hi}{unit}" if hi else None)
        if v < lo or (hi is not None and v > hi):
            rng = f"{lo}..{hi}" if hi is not None else f">= {lo}"
            self.fail(full, f"{v} is out of range", hint=f"allowed range: {rng}{unit}")
        return v

    def bool_(self, data: dict, k: str, key: str, default: Any) -> Any:
        if k not in data:
            return default
        v = data[k]
        if not isinstance(v, bool):
            self.fail(f"{key}.{k}", f"must be true or false, got {_tname(v)}")
        return v

    def strlist(self, data: dict, k: str, key: str, *, max_len: int | None = None,
                pattern: re.Pattern | None = None, what: str = "") -> list[str]:
        full = f"{key}.{k}"
        if k not in data:
            return []
        v = data[k]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            self.fail(full, "must be a list of strings")
        if max_len is not None and len(v) > max_len:
            self.fail(full, f"has {len(v)} entries", hint=f"at most {max_len} allowed")
        if pattern is not None:
            for x in v:
                if not pattern.match(x):
                    self.fail(full, f"{x!r} is not a valid {what or 'value'}")
        return list(v)

    def strmap(self, data: dict, k: str, key: str) -> dict[str, str]:
        full = f"{key}.{k}"
        if k not in data:
            return {}
        v = self.table(data[k], full)
        out = {}
        for name, val in v.items():
            if isinstance(val, bool) or not isinstance(val, (str, int, float)):
                self.fail(f"{full}.{name}", f"must be a string, got {_tname(val)}")
            out[str(name)] = val if isinstance(val, str) else str(val)
        return out


def _tname(v: Any) -> str:
    return {dict: "a table", list: "an array", str: "a string", int: "an integer", float: "a float",
            bool: "a boolean"}.get(type(v), type(v).__name__)


FUNCTION_KEYS = {"name", "runtime", "handler", "source", "requirements", "architecture", "memory",
                 "timeout", "ephemeral_storage", "role", "description", "layers", "exclude",
                 "environment", "tags", "s3_bucket", "tracing", "kms_key", "package_type",
                 "image_uri", "vpc", "async", "dead_letter"}

TRIGGER_KEYS: dict[str, set[str]] = {
    "s3": {"bucket", "events", "prefix", "suffix"},
    "schedule": {"expression", "input", "name", "enabled"},
    "eventbridge": {"pattern", "bus", "name", "input"},
    "sqs": {"source", "queue", "batch_size", "window", "enabled", "report_batch_item_failures", "filters",
            "max_concurrency"},
    "kinesis": {"source", "stream", "batch_size", "window", "starting_position", "starting_timestamp", "enabled",
                "report_batch_item_failures", "filters", "bisect_on_error", "max_retries", "max_record_age",
                "parallelization_factor", "tumbling_window", "on_failure"},
    "dynamodb": {"source", "stream", "table", "batch_size", "window", "starting_position", "enabled",
                 "report_batch_item_failures", "filters", "bisect_on_error", "max_retries", "max_record_age",
                 "parallelization_factor", "tumbling_window", "on_failure"},
    "sns": {"topic"},
    "url": {"auth", "cors"},
}


def validate(data: dict, file: str = DEFAULT_FILE, path: Path | None = None) -> ProjectConfig:
    """Validate a parsed TOML document into a :class:`ProjectConfig` (raises ConfigError)."""
    from lambdactl.core.model import runtimes

    v = _V(file)
    v.table(data, "(top level)")
    v.unknown(data, {"function", "concurrency", "aliases", "triggers", "layers"}, "")
    if "function" not in data:
        v.fail("function", "the [function] table is required",
               hint="see 'lambdactl init' for a working example")
    f = v.table(data["function"], "function")
    v.unknown(f, FUNCTION_KEYS, "function")
    k = "function"
    name = v.str_(f, "name", k, required=True)
    if not NAME_RE.match(name):
        v.fail("function.name", f"{name!r} is not a valid function name",
               hint="1-64 characters: letters, digits, '-' and '_'")
    package_type = v.str_(f, "package_type", k, "Zip", choices=("Zip", "Image"))
    runtime = v.str_(f, "runtime", k, None)
    if runtime is not None and runtime not in runtimes.BY_NAME:
        v.fail("function.runtime", f"{runtime!r} is not a known Lambda runtime",
               hint=f"supported: {', '.join(runtimes.SUPPORTED)}")
    handler = v.str_(f, "handler", k, None)
    if handler is not None and not HANDLER_RE.match(handler):
        v.fail("function.handler", f"{handler!r} must look like module.function",
               hint="e.g. handler = \"app.handler\" for def handler(event, context) in app.py")
    if package_type == "Zip":
        if runtime is None:
            v.fail("function.runtime", "is required for a Zip function",
                   hint=f"supported: {', '.join(runtimes.SUPPORTED)}")
        if handler is None:
            v.fail("function.handler", "is required for a Zip function", hint="e.g. \"app.handler\"")
    image_uri = v.str_(f, "image_uri", k, None)
    if package_type == "Image":
        if not image_uri:
            v.fail("function.image_uri", "is required when package_type = \"Image\"",
                   hint="e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag")
        if not IMAGE_URI_RE.match(image_uri):
            v.fail("function.image_uri", f"{image_uri!r} is not an ECR image URI",
                   hint="form: <account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag> or @sha256:<digest>")
    elif image_uri:
        v.fail("function.image_uri", "is only allowed with package_type = \"Image\"")
    role = v.str_(f, "role", k, "")
    if role and not ROLE_ARN_RE.match(role):
        v.fail("function.role", f"{role!r} is not an IAM role ARN",
               hint="arn:aws:iam::<account>:role/<name>, or leave empty to let lambdactl create one")
    fc = FunctionConfig(
        name=name, runtime=runtime, handler=handler,
        source=v.str_(f, "source", k, "src"),
        requirements=v.str_(f, "requirements", k, None) or None,
        architecture=v.str_(f, "architecture", k, "x86_64", choices=runtimes.ARCHITECTURES),
        memory=v.int_(f, "memory", k, 128, 128, 10240, " MB"),
        timeout=v.int_(f, "timeout", k, 3, 1, 900, " s"),
        ephemeral_storage=v.int_(f, "ephemeral_storage", k, 512, 512, 10240, " MB"),
        role=role,
        description=v.str_(f, "description", k, ""),
        layers=v.strlist(f, "layers", k, max_len=5, pattern=LAYER_ARN_RE, what="layer version ARN"),
        exclude=v.strlist(f, "exclude", k),
        environment=v.strmap(f, "environment", k),
        tags=v.strmap(f, "tags", k),
        s3_bucket=v.str_(f, "s3_bucket", k, ""),
        tracing=v.str_(f, "tracing", k, None, choices=("Active", "PassThrough")),
        kms_key=v.str_(f, "kms_key", k, None) or None,
        package_type=package_type,
        image_uri=image_uri,
        dead_letter=v.str_(f, "dead_letter", k, None) or None,
    )
    if len(fc.description) > 256:
        v.fail("function.description", f"is {len(fc.description)} characters", hint="at most 256")
    _RESERVED_ENV = {  # set by the Lambda runtime; the API rejects them
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"}
    for ek in fc.environment:
        if not re.match(r"^[a-zA-Z]\w*$", ek):
            v.fail(f"function.environment.{ek}", "is not a valid variable name",
                   hint="letters, digits and '_', starting with a letter")
        elif ek in _RESERVED_ENV:
            v.fail(f"function.environment.{ek}", "is reserved by Lambda", hint="the runtime sets it; choose another name")
    env_size = sum(len(a) + len(b) for a, b in fc.environment.items())
    if env_size > 4096:
        v.fail("function.environment", f"is {env_size} bytes", hint="Lambda allows at most 4 KB in total")
    if fc.kms_key and not re.match(r"^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/.+$", fc.kms_key):
        v.fail("function.kms_key", f"{fc.kms_key!r} is not a KMS key ARN",
               hint="arn:aws:kms:<region>:<account>:key/<id>")
    if fc.dead_letter:
        _dest_arn(v, "function.dead_letter", fc.dead_letter, ("sqs", "sns"))
    if "vpc" in f:
        vp = v.table(f["vpc"], "function.vpc")
        v.unknown(vp, {"subnets", "security_groups", "ipv6"}, "function.vpc")
        fc.vpc = VpcConfig(
            subnets=v.strlist(vp, "subnets", "function.vpc", max_len=16, pattern=SUBNET_RE, what="subnet id (subnet-…)"),
            security_groups=v.strlist(vp, "security_groups", "function.vpc", max_len=5, pattern=SG_RE,
                                      what="security group id (sg-…)"),
            ipv6=v.bool_(vp, "ipv6", "function.vpc", False),
        )
        if bool(fc.vpc.subnets) != bool(fc.vpc.security_groups):
            v.fail("function.vpc", "needs both subnets and security_groups (or neither)")
    if "async" in f:
        a = v.table(f["async"], "function.async")
        v.unknown(a, {"max_retries", "max_event_age", "on_success", "on_failure", "dead_letter"}, "function.async")
        dlq = v.str_(a, "dead_letter", "function.async", None) or None  # also accepted in [function]
        if dlq:
            if fc.dead_letter and fc.dead_letter != dlq:
                v.fail("function.async.dead_letter", "differs from function.dead_letter", hint="give it once")
            _dest_arn(v, "function.async.dead_letter", dlq, ("sqs", "sns"))
            fc.dead_letter = dlq
        fc.async_ = AsyncConfig(
            max_retries=v.int_(a, "max_retries", "function.async", None, 0, 2),
            max_event_age=v.int_(a, "max_event_age", "function.async", None, 60, 21600, " s"),
            on_success=v.str_(a, "on_success", "function.async", None) or None,
            on_failure=v.str_(a, "on_failure", "function.async", None) or None,
        )
        for kk in ("on_success", "on_failure"):
            val = getattr(fc.async_, kk)
            if val:
                _dest_arn(v, f"function.async.{kk}", val, ("sqs", "sns", "lambda", "events"))

    pc = ProjectConfig(path=path or Path(file), function=fc, raw=data)

    if "concurrency" in data:
        c = v.table(data["concurrency"], "concurrency")
        v.unknown(c, {"reserved", "provisioned"}, "concurrency")
        cc = ConcurrencyConfig(reserved=v.int_(c, "reserved", "concurrency", None, 0, 100000))
        prov = c.get("provisioned", [])
        if isinstance(prov, dict):
            prov = [prov]
        if not isinstance(prov, list):
            v.fail("concurrency.provisioned", "must be an array of tables ([[concurrency.provisioned]])")
        for i, p in enumerate(prov):
            key = f"concurrency.provisioned[{i}]"
            p = v.table(p, key)
            v.unknown(p, {"alias", "qualifier", "version", "count"}, key)
            q = p.get("alias") or p.get("qualifier") or p.get("version")
            if q is None:
                v.fail(key, "needs alias (or qualifier)")
            q = str(q)
            if q == "$LATEST":
                v.fail(key + ".qualifier", "provisioned concurrency cannot be set on $LATEST",
                       hint="use an alias or a published version")
            if "count" not in p:
                v.fail(key + ".count", "is required")
            cc.provisioned.append(ProvisionedConfig(q, v.int_(p, "count", key, 0, 1, 100000)))
        pc.concurrency = cc

    aliases = data.get("aliases", [])
    if not isinstance(aliases, list):
        v.fail("aliases", "must be an array of tables ([[aliases]])")
    seen = set()
    for i, a in enumerate(aliases):
        key = f"aliases[{i}]"
        a = v.table(a, key)
        v.unknown(a, {"name", "version", "description", "routing"}, key)
        an = v.str_(a, "name", key, required=True)
        if not re.match(r"^(?!^[0-9]+$)[A-Za-z0-9_-]{1,128}$", an):
            v.fail(f"{key}.name", f"{an!r} is not a valid alias name",
                   hint="1-128 letters, digits, '-' or '_', not only digits")
        if an in seen:
            v.fail(f"{key}.name", f"alias {an!r} is declared twice")
        seen.add(an)
        ver = a.get("version", "published")
        if isinstance(ver, int) and not isinstance(ver, bool):
            ver = str(ver)
        if not isinstance(ver, str) or not (ver == "published" or ver.isdigit()):
            v.fail(f"{key}.version", f"{ver!r} is not allowed",
                   hint="\"published\" (the version this deploy publishes) or a version number")
        routing = _alias_routing(v, a, key, ver)
        pc.aliases.append(AliasConfig(an, ver, v.str_(a, "description", key, ""), routing))

    triggers = data.get("triggers", [])
    if not isinstance(triggers, list):
        v.fail("triggers", "must be an array of tables ([[triggers]])")
    for i, t in enumerate(triggers):
        key = f"triggers[{i}]"
        t = v.table(t, key)
        ttype = v.str_(t, "type", key, required=True, choices=TRIGGER_TYPES)
        v.unknown(t, TRIGGER_KEYS[ttype] | {"type"}, key)
        opts = {kk: vv for kk, vv in t.items() if kk != "type"}
        _validate_trigger(v, key, ttype, opts)
        pc.triggers.append(TriggerConfig(ttype, opts))

    layers = data.get("layers", {})
    if layers:
        layers = v.table(layers, "layers")
        v.unknown(layers, {"build"}, "layers")
        builds = layers.get("build", [])
        if not isinstance(builds, list):
            v.fail("layers.build", "must be an array of tables ([[layers.build]])")
        for i, b in enumerate(builds):
            key = f"layers.build[{i}]"
            b = v.table(b, key)
            v.unknown(b, {"name", "requirements", "description", "runtimes", "architectures"}, key)
            ln = v.str_(b, "name", key, required=True)
            if not re.match(r"^[A-Za-z0-9_-]{1,140}$", ln):
                v.fail(f"{key}.name", f"{ln!r} is not a valid layer name")
            pc.layer_builds.append(LayerBuildConfig(
                ln, v.str_(b, "requirements", key, required=True), v.str_(b, "description", key, ""),
                v.strlist(b, "runtimes", key), v.strlist(b, "architectures", key)))
    return pc


def _dest_arn(v: _V, key: str, arn: str, allowed: tuple[str, ...]) -> None:
    from lambdactl.core.model.asyncspec import destination_kind  # the one destination-ARN check
    from lambdactl.errors import UsageError

    try:
        destination_kind(arn, allowed, f"{v.file}: {key}")
    except UsageError as exc:
        raise ConfigError(exc.message, hint=exc.hint) from None


def _validate_trigger(v: _V, key: str, ttype: str, t: dict) -> None:
    if ttype == "s3":
        v.str_(t, "bucket", key, required=True)
        ev = t.get("events", ["s3:ObjectCreated:*"])
        if isinstance(ev, str):
            t["events"] = [ev]
        else:
            v.strlist(t, "events", key)
        for e in t.get("events", []):
            if not e.startswith("s3:"):
                v.fail(f"{key}.events", f"{e!r} is not an S3 event type", hint="e.g. s3:ObjectCreated:*")
        v.str_(t, "prefix", key, None)
        v.str_(t, "suffix", key, None)
    elif ttype == "schedule":
        expr = v.str_(t, "expression", key, required=True)
        from lambdactl.core.model.schedule import validate_expression
        try:
            validate_expression(expr)
        except Exception as exc:  # UsageError with the field
            v.fail(f"{key}.expression", getattr(exc, "message", str(exc)), getattr(exc, "hint", None))
        v.str_(t, "name", key, None)
        if "input" in t and not isinstance(t["input"], (str, dict)):
            v.fail(f"{key}.input", "must be a JSON string or a table")
    elif ttype == "eventbridge":
        pat = t.get("pattern")
        if pat is None:
            v.fail(f"{key}.pattern", "is required")
        if isinstance(pat, str):
            import json
            try:
                pat = json.loads(pat, parse_constant=lambda c: v.fail(  # NaN/Infinity are not JSON
                    f"{key}.pattern", f"invalid JSON: {c} is not a JSON value"))
            except json.JSONDecodeError as exc:
                v.fail(f"{key}.pattern", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
        if not isinstance(pat, dict) or not pat:
            v.fail(f"{key}.pattern", "must be a non-empty JSON object")
        v.str_(t, "bus", key, None)
        v.str_(t, "name", key, None)
    elif ttype in ("sqs", "kinesis", "dynamodb"):
        src = t.get("source") or t.get("queue") or t.get("stream") or t.get("table")
        if not src or not isinstance(src, str):
            v.fail(f"{key}.source", "is required (an ARN" + (" or queue URL" if ttype == "sqs" else "") + ")")
        v.int_(t, "batch_size", key, None, 1, 10000)
        v.int_(t, "window", key, None, 0, 300, " s")
        if "starting_position" in t:
            v.str_(t, "starting_position", key, None, choices=("LATEST", "TRIM_HORIZON", "AT_TIMESTAMP"))
        v.bool_(t, "enabled", key, True)
        from lambdactl.core.model.triggerspec import validate_esm_options  # the same rules as 'trigger add'
        from lambdactl.errors import UsageError
        try:
            validate_esm_options(ttype, t)
        except UsageError as exc:
            v.fail(key, exc.message, exc.hint)
    elif ttype == "sns":
        v.str_(t, "topic", key, required=True)
    elif ttype == "url":
        v.str_(t, "auth", key, "AWS_IAM", choices=("NONE", "AWS_IAM"))
        if "cors" in t:
            v.table(t["cors"], f"{key}.cors")
            from lambdactl.core.model.triggerspec import normalize  # the same rules (max_age 0..86400) as 'trigger add url'
            from lambdactl.errors import UsageError
            try:
                normalize("url", {k: x for k, x in t.items() if k != "type"})
            except UsageError as exc:
                v.fail(key, exc.message, exc.hint)


def find(path: str | os.PathLike | None = None) -> Path | None:
    """The project file to use: explicit path, $LAMBDACTL_CONFIG, or ./lambdactl.toml if present."""
    if path:
        return Path(path)
    env = os.environ.get("LAMBDACTL_CONFIG")
    if env:
        return Path(env)
    p = Path.cwd() / DEFAULT_FILE
    return p if p.exists() else None


def load(path: str | os.PathLike | None = None, *, required: bool = True) -> ProjectConfig | None:
    """Load and validate the project file. ``required=False`` returns None when there is none."""
    p = find(path)
    explicit = bool(path) or bool(os.environ.get("LAMBDACTL_CONFIG"))
    if p is None or (not p.exists() and not explicit and not required):
        if required:
            raise ConfigError(f"no project file: {DEFAULT_FILE} not found in {Path.cwd()}",
                              hint="run 'lambdactl init', pass -c/--config FILE, or name the function")
        return None
    if not p.exists():
        raise ConfigError(f"{p}: project file not found", hint="check -c/--config or LAMBDACTL_CONFIG")
    if p.is_dir():
        raise ConfigError(f"{p}: is a directory, not a project file")
    try:
        raw = p.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not valid UTF-8 text", hint="the project file must be a UTF-8 TOML file")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror}")
    return loads(text, file=str(p), path=p.resolve())


def loads(text: str, file: str = DEFAULT_FILE, path: Path | None = None) -> ProjectConfig:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: invalid TOML: {exc}", hint="check the quoting and brackets on that line")
    return validate(data, file=file, path=path or Path(file).resolve())


# --- writing ----------------------------------------------------------------------------------

def _toml_value(v: Any) -> str:
    import json

    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):  # a TOML basic string: JSON's escapes, minus what TOML forbids raw (DEL)
        return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _alias_routing(v, a: dict, key: str, version: str) -> dict[str, float]:
    """``routing = { "5" = 0.1 }`` of an ``[[aliases]]`` table: one additional version (a published
    version number other than the alias's) and its weight, more than 0 and less than 1."""
    from lambdactl.core.model.state import percent

    if "routing" not in a:
        return {}
    r = a["routing"]
    hint = 'e.g. routing = { "5" = 0.1 }: one other published version and its share, more than 0 and less than 1'
    if not isinstance(r, dict):
        v.fail(f"{key}.routing", f"must be a table, got {_tname(r)}", hint=hint)
    if len(r) > 1:
        v.fail(f"{key}.routing", f"{len(r)} additional versions: AWS routes to at most one besides the alias's",
               hint=hint)
    out: dict[str, float] = {}
    for rv, w in r.items():
        where = f"{key}.routing.{rv}" if str(rv).isprintable() else f"{key}.routing"
        if not (rv.isascii() and rv.isdigit() and int(rv) >= 1):
            v.fail(where, f"{rv!r} is not a version number", hint=hint)
        rv = str(int(rv))
        if rv == version:
            v.fail(where, f"version {rv} is the alias's own version", hint="route to another version, or drop routing")
        if isinstance(w, bool) or not isinstance(w, (int, float)) or w != w:
            v.fail(where, f"must be a number, got {_tname(w)}", hint="allowed range: more than 0, less than 1")
        if not 0 < w < 1 or not 0 < percent(w) < 100:
            v.fail(where, f"{w} is out of range", hint="allowed range: more than 0, less than 1 (0.1 is 10 %)")
        out[rv] = float(w)
    return out


def _toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else _toml_value(k)  # not ASCII escapes: no surrogates


def dumps(data: dict) -> str:
    """Write a project-file dict as TOML (tables, arrays of tables, scalars, lists, inline tables)."""
    lines: list[str] = []

    def table(prefix: str, d: dict, header: str | None) -> None:
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict) and not _is_aot(v)}
        subs = {k: v for k, v in d.items() if isinstance(v, dict)}
        aots = {k: v for k, v in d.items() if _is_aot(v)}
        if header is not None and (scalars or not (subs or aots) or header.startswith("[[")):
            if lines:
                lines.append("")
            lines.append(header)
        for k, v in scalars.items():
            if v is None:
                continue
            lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
        for k, v in subs.items():
            name = f"{prefix}.{_toml_key(k)}" if prefix else _toml_key(k)
            table(name, v, f"[{name}]")
        for k, items in aots.items():
            name = f"{prefix}.{_toml_key(k)}" if prefix else _toml_key(k)
            for item in items:
                table(name, item, f"[[{name}]]")

    table("", data, None)
    return "\n".join(lines).strip() + "\n"


def _is_aot(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


# --- hints that change a function's settings ---------------------------------------------------

_SETTING_FLAGS = {"memory": "--memory", "timeout": "--timeout", "ephemeral_storage": "--ephemeral-storage",
                  "environment": "--env"}


def setting_hint(key: str, value: object = "N", function: str | None = None) -> str:
    """How to change a function's ``key`` (memory, timeout, ephemeral_storage, environment) to ``value``.

    Where a project file is in use (./lambdactl.toml, -c or LAMBDACTL_CONFIG) and ``function`` is its
    function (or None), the next ``deploy`` would revert ``lambdactl config``: the hint names the
    project file's key (``memory = 512 in [function] of lambdactl.toml``). Otherwise it is the
    ``config`` command (``lambdactl config fn --memory 512``). For ``environment``, ``value`` is
    ``KEY=VALUE``.
    """
    project = project_file_for(function)
    if project is not None:
        if key == "environment":
            k, _, v = str(value).partition("=")
            return f'{k} = "{v}" in [function.environment] of {project}, then \'lambdactl deploy\''
        return f"{key} = {value} in [function] of {project}, then 'lambdactl deploy'"
    flag = _SETTING_FLAGS.get(key, "--" + key.replace("_", "-"))
    return f"lambdactl config {function or 'FUNCTION'} {flag} {value}"


def project_file_for(function: str | None) -> str | None:
    """The project file (as the user named it) whose function ``function`` is, or None."""
    from pathlib import Path

    from lambdactl.settings import current

    try:
        path = find(current().config_path)
    except Exception:  # noqa: BLE001 - a hint never fails a command
        return None
    if path is None or not path.is_file():
        return None
    display = path.name if path.parent.resolve() == Path.cwd().resolve() else str(path)
    if function:
        from lambdactl.core.model.naming import parse_function_ref, short_name

        try:
            project_function = load(path).function.name
            name = short_name(parse_function_ref(function)[0])
        except Exception:  # noqa: BLE001 - an unreadable project file: its key is still the way
            return display
        if name != project_function:
            return None
    return display
