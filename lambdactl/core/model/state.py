"""The typed model of everything lambdactl manages for one function.

The same dataclasses describe the *live* state (read from AWS by the one reader,
:func:`lambdactl.core.resources.reader.read_function`) and, in the next step of issue 18, the
*desired* state built from the project file. Fields that only AWS assigns (ARNs, UUIDs,
timestamps, statuses) default to ``None`` so that a desired state can leave them out.

This module imports nothing that talks to AWS (no boto3/botocore, no ``lambdactl.aws``): only the
standard library and the project-file module's pure helpers.

Conventions
- Lists are tuples (the records are frozen); maps (environment, tags, weights, patterns) are dicts.
- ``None`` means "not set / AWS's default"; on :class:`FunctionState`, ``None`` for a whole area
  means "that area was not read" (see :attr:`FunctionState.areas`).
- Timestamps are ISO-8601 UTC strings (``2026-11-23T15:21:41Z``), as every ``-o json`` shows them.
- ``to_dict()`` gives plain JSON-able records (snake_case keys, lists, dicts, str/int/float/bool/None).
"""
from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable

# Tag-key prefixes that belong to AWS or to lambdactl's own markers (not the user's tags).
SYSTEM_TAG_PREFIXES = ("aws:", "lambda:", "lambdactl:")
# The same test as lambdactl.core.resources.permissions.SERVICE_PRINCIPAL_RE (that module also calls AWS).
_SERVICE_PRINCIPAL_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$")


# --- what to read ---------------------------------------------------------------------------------

class Areas(enum.Flag):
    """What the reader reads. Combine with ``|``; :data:`Areas.TRIGGERS` is every trigger kind.

    ``CONFIG``, ``CODE`` and ``TAGS`` come from the one ``GetFunction`` call the reader always makes
    (it tells whether the function exists and gives its ARN), so they cost nothing extra.
    """

    NONE = 0
    CONFIG = enum.auto()          # configuration (+ layers, DLQ)
    CODE = enum.auto()            # code identity (sha256, size, image URI)
    TAGS = enum.auto()
    VERSIONS = enum.auto()        # published versions (each with its configuration)
    ALIASES = enum.auto()         # aliases with routing weights
    PERMISSIONS = enum.auto()     # resource-policy statements
    CONCURRENCY = enum.auto()     # reserved + provisioned
    ASYNC = enum.auto()           # event invoke config (retries, max age, destinations) + DLQ
    URL = enum.auto()             # the function URL (a trigger kind)
    MAPPINGS = enum.auto()        # event source mappings (sqs, kinesis, dynamodb, ...)
    S3 = enum.auto()              # bucket notifications (found through the policy)
    RULES = enum.auto()           # EventBridge rules targeting the function, on every bus
    SNS = enum.auto()             # SNS subscriptions (found through the policy)

    TRIGGERS = MAPPINGS | S3 | RULES | SNS | URL
    FUNCTION = CONFIG | CODE | TAGS
    ALL = FUNCTION | VERSIONS | ALIASES | PERMISSIONS | CONCURRENCY | ASYNC | TRIGGERS

    @classmethod
    def parse(cls, names: str | Iterable[str]) -> "Areas":
        """``"config,aliases"`` or ``["config", "triggers"]`` → flags (ValueError on an unknown name)."""
        if isinstance(names, str):
            names = [n for n in names.replace(" ", ",").split(",") if n]
        out = cls.NONE
        for n in names:
            key = n.strip().upper()
            if key not in cls.__members__:
                known = ", ".join(m.lower() for m in cls.__members__ if m != "NONE")
                raise ValueError(f"unknown area {n!r} (known: {known})")
            out |= cls[key]
        return out

    def names(self) -> list[str]:
        """The single areas in this selection, lower case, in declaration order."""
        return [m.name.lower() for m in type(self) if m.value and m.value & self.value == m.value
                and bin(m.value).count("1") == 1]


# --- to_dict ----------------------------------------------------------------------------------------

def _record(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return value.to_dict()
        return _fields(value)
    if isinstance(value, Areas):
        return value.names()
    if isinstance(value, (list, tuple)):
        return [_record(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _record(v) for k, v in value.items()}
    return value


def _fields(obj: Any) -> dict:
    """The dataclass's fields as a record, skipping those marked ``metadata={"record": False}``."""
    return {f.name: _record(getattr(obj, f.name)) for f in dataclasses.fields(obj)
            if f.metadata.get("record", True)}


class Record:
    """``to_dict()`` for the model's dataclasses."""

    def to_dict(self) -> dict:
        return _fields(self)


# --- the function itself ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Vpc(Record):
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    ipv6: bool = False


@dataclass(frozen=True)
class Layer(Record):
    arn: str
    code_size: int | None = None


@dataclass(frozen=True)
class Configuration(Record):
    """What ``UpdateFunctionConfiguration`` sets, plus the read-only status fields."""

    name: str
    arn: str | None = None
    runtime: str | None = None
    handler: str | None = None
    architecture: str = "x86_64"
    memory: int = 128
    timeout: int = 3
    ephemeral_storage: int = 512
    role: str | None = None
    description: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    layers: tuple[Layer, ...] = ()
    tracing: str = "PassThrough"
    kms_key: str | None = None
    vpc: Vpc | None = None
    dead_letter: str | None = None          # also shown as AsyncConfig.dead_letter (same value)
    image_config: dict | None = None        # {entry_point, command, working_directory}
    logging: dict | None = None             # {log_format, log_group, application_log_level, system_log_level}
    file_systems: tuple[tuple[str, str], ...] = ()   # (access point ARN, local mount path)
    snap_start: str | None = None           # ApplyOn: PublishedVersions | None
    # read-only
    version: str | None = None              # $LATEST or a number
    state: str | None = None
    state_reason: str | None = None
    last_update_status: str | None = None
    last_update_status_reason: str | None = None
    last_modified: str | None = None
    revision_id: str | None = None

    @property
    def layer_arns(self) -> list[str]:
        return [layer.arn for layer in self.layers]

    def masked_environment(self, show_secrets: bool = False) -> dict[str, str]:
        from lambdactl.secrets import mask_env   # foundation: no AWS

        return mask_env(self.environment, show_secrets)


@dataclass(frozen=True)
class CodeIdentity(Record):
    """Which code the function (or a version) runs."""

    package_type: str = "Zip"
    sha256: str | None = None
    size: int | None = None
    image_uri: str | None = None
    resolved_image_uri: str | None = None
    repository_type: str | None = None
    # GetFunction's pre-signed download URL (adopt downloads the zip from it): not part of records.
    location: str | None = field(default=None, repr=False, compare=False, metadata={"record": False})


@dataclass(frozen=True)
class Version(Record):
    """A published version, with the configuration and code it froze."""

    version: str
    configuration: Configuration
    code: CodeIdentity
    description: str = ""
    arn: str | None = None
    last_modified: str | None = None


def percent(weight: float) -> float | int:
    """0.1 → 10, 0.025 → 2.5 (an int when whole)."""
    p = round(float(weight) * 100, 4)
    return int(p) if p == int(p) else p


@dataclass(frozen=True)
class Alias(Record):
    """An alias: its primary version and the routing weights (fractions 0..1) of the others."""

    name: str
    version: str
    weights: dict[str, float] = field(default_factory=dict)   # AdditionalVersionWeights
    description: str = ""
    arn: str | None = None
    revision_id: str | None = None

    @property
    def routes(self) -> dict[str, float | int]:
        """{version: percent} for every version the alias sends traffic to (primary first)."""
        extra = {str(v): percent(w) for v, w in self.weights.items()}
        primary = 100 - sum(extra.values())
        primary = int(primary) if primary == int(primary) else round(primary, 4)
        return {str(self.version): primary, **extra}

    @property
    def canary(self) -> tuple[str, float | int] | None:
        """(version, percent) of the additional version, if any."""
        extra = list(self.routes.items())[1:]
        return extra[0] if extra else None

    def to_dict(self) -> dict:
        d = _fields(self)
        d["routes"] = self.routes
        return d


# --- triggers -------------------------------------------------------------------------------------

class Trigger(Record):
    """One thing that invokes the function. Subclasses are frozen dataclasses with a ``kind``.

    ``key`` is the identity shared with the deploy planner (``triggers.spec_key``):
    ``esm:<source ARN>``, the S3 notification id, ``rule:<bus>/<name>``, ``sns:<topic>``, ``url``.
    ``id`` is what ``trigger list`` shows and ``trigger remove`` takes.
    """

    kind: str
    managed: bool

    @property
    def key(self) -> str:        # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @property
    def id(self) -> str:         # pragma: no cover
        raise NotImplementedError

    @property
    def source(self) -> str:     # pragma: no cover
        raise NotImplementedError

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "id": self.id, "key": self.key, "source": self.source}
        d.update((k, v) for k, v in _fields(self).items() if k != "kind")
        return d


MAPPING_KINDS = ("sqs", "kinesis", "dynamodb")


@dataclass(frozen=True)
class MappingTrigger(Trigger):
    """An event source mapping (sqs, kinesis, dynamodb; other sources keep their service as kind)."""

    kind: str
    source_arn: str
    batch_size: int | None = None
    window: int = 0                                   # MaximumBatchingWindowInSeconds
    enabled: bool = True
    starting_position: str | None = None              # streams: LATEST | TRIM_HORIZON | AT_TIMESTAMP
    starting_timestamp: str | None = None
    function_response_types: tuple[str, ...] = ()     # ("ReportBatchItemFailures",)
    filters: tuple[Any, ...] = ()                     # FilterCriteria patterns (parsed JSON)
    max_retries: int | None = None                    # streams: MaximumRetryAttempts
    max_record_age: int | None = None                 # streams: MaximumRecordAgeInSeconds
    bisect_on_error: bool | None = None               # streams: BisectBatchOnFunctionError
    parallelization_factor: int | None = None         # streams
    tumbling_window: int | None = None                # streams: TumblingWindowInSeconds
    on_failure: str | None = None                     # DestinationConfig.OnFailure
    max_concurrency: int | None = None                # SQS: ScalingConfig.MaximumConcurrency
    kms_key: str | None = None                        # encrypts the filter criteria
    metrics: tuple[str, ...] = ()                     # MetricsConfig.Metrics
    pollers: tuple[int | None, int | None] | None = None   # ProvisionedPollerConfig (min, max)
    managed: bool = False                             # tag lambdactl:managed = true
    uuid: str | None = None
    arn: str | None = None                            # EventSourceMappingArn
    state: str | None = None                          # Enabled | Disabled | Creating | ...
    state_reason: str | None = None
    last_modified: str | None = None
    last_processing_result: str | None = None

    @property
    def key(self) -> str:
        return f"esm:{self.source_arn}"

    @property
    def id(self) -> str:
        return self.uuid or "(new)"

    @property
    def source(self) -> str:
        return self.source_arn

    @property
    def report_batch_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in self.function_response_types


@dataclass(frozen=True)
class S3Trigger(Trigger):
    """One Lambda notification configuration of a bucket."""

    kind: ClassVar[str] = "s3"
    bucket: str
    events: tuple[str, ...] = ("s3:ObjectCreated:*",)
    prefix: str | None = None
    suffix: str | None = None
    config_id: str | None = None            # the notification's Id (lambdactl-<hash> when ours)
    managed: bool = False

    @property
    def key(self) -> str:
        return self.config_id or f"s3://{self.bucket}"

    @property
    def id(self) -> str:
        return self.config_id or f"s3://{self.bucket}"

    @property
    def source(self) -> str:
        return f"s3://{self.bucket}"


@dataclass(frozen=True)
class RuleTrigger(Trigger):
    """An EventBridge rule that targets the function (base of the schedule and pattern kinds)."""

    name: str
    bus: str = "default"
    enabled: bool = True
    input: Any = None                       # the target's constant Input (parsed JSON when it is JSON)
    input_path: str | None = None
    input_transformer: dict | None = None
    description: str | None = None
    managed: bool = False                   # lambdactl-<fn>-<hash> name or a "lambdactl:" description
    rule_arn: str | None = None
    target_id: str | None = None

    @property
    def key(self) -> str:
        return f"rule:{self.bus}/{self.name}"

    @property
    def id(self) -> str:
        return self.name if self.bus == "default" else f"{self.bus}/{self.name}"


@dataclass(frozen=True)
class ScheduleTrigger(RuleTrigger):
    kind: ClassVar[str] = "schedule"
    expression: str = ""

    @property
    def source(self) -> str:
        return self.expression


@dataclass(frozen=True)
class EventBridgeTrigger(RuleTrigger):
    kind: ClassVar[str] = "eventbridge"
    pattern: dict = field(default_factory=dict)

    @property
    def source(self) -> str:
        import json

        return json.dumps(self.pattern, separators=(",", ":"))


@dataclass(frozen=True)
class SnsTrigger(Trigger):
    kind: ClassVar[str] = "sns"
    topic: str
    subscription_arn: str | None = None     # "PendingConfirmation" while pending
    filter_policy: Any = None
    filter_policy_scope: str | None = None  # MessageAttributes | MessageBody
    redrive_dlq: str | None = None          # RedrivePolicy.deadLetterTargetArn
    managed: bool = False                   # a lambdactl- permission goes with it

    @property
    def key(self) -> str:
        return f"sns:{self.topic}"

    @property
    def id(self) -> str:
        return self.subscription_arn or "(new)"

    @property
    def source(self) -> str:
        return self.topic

    @property
    def pending(self) -> bool:
        return (self.subscription_arn or "").lower().startswith("pending")


@dataclass(frozen=True)
class Cors(Record):
    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool | None = None


@dataclass(frozen=True)
class UrlTrigger(Trigger):
    kind: ClassVar[str] = "url"
    auth: str = "AWS_IAM"
    invoke_mode: str = "BUFFERED"
    cors: Cors | None = None
    url: str | None = None
    managed: bool = False                   # its public-URL permissions are lambdactl's
    created: str | None = None
    last_modified: str | None = None

    @property
    def key(self) -> str:
        return "url"

    @property
    def id(self) -> str:
        return "url"

    @property
    def source(self) -> str:
        return self.url or "(new URL)"


TRIGGER_TYPES: dict[str, type] = {"sqs": MappingTrigger, "kinesis": MappingTrigger, "dynamodb": MappingTrigger,
                                  "s3": S3Trigger, "schedule": ScheduleTrigger,
                                  "eventbridge": EventBridgeTrigger, "sns": SnsTrigger, "url": UrlTrigger}


# --- permissions, concurrency, async ------------------------------------------------------------

@dataclass(frozen=True)
class Permission(Record):
    """One statement of the function's resource policy (as ``permission list`` shows it)."""

    statement_id: str
    principal: str
    action: str = "lambda:InvokeFunction"
    effect: str = "Allow"
    source_arn: str | None = None
    source_account: str | None = None
    conditions: dict[str, str] = field(default_factory=dict)
    managed: bool = False                   # lambdactl-<hash> statement id
    used_by: str | None = None              # the key of the trigger this statement serves, if any

    @property
    def service_principal(self) -> bool:
        return bool(_SERVICE_PRINCIPAL_RE.match(self.principal or ""))


@dataclass(frozen=True)
class Provisioned(Record):
    qualifier: str
    requested: int
    allocated: int | None = None
    available: int | None = None
    status: str | None = None
    status_reason: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Concurrency(Record):
    reserved: int | None = None
    # None: the endpoint does not implement provisioned concurrency (moto); () = none configured.
    provisioned: tuple[Provisioned, ...] | None = ()

    def provisioned_on(self, qualifier: str) -> Provisioned | None:
        return next((p for p in self.provisioned or () if p.qualifier == qualifier), None)


@dataclass(frozen=True)
class AsyncConfig(Record):
    """Asynchronous invocation: the event invoke config plus the function's dead-letter target."""

    max_retries: int | None = None
    max_event_age: int | None = None
    on_success: str | None = None
    on_failure: str | None = None
    dead_letter: str | None = None          # DeadLetterConfig.TargetArn (from the configuration)
    configured: bool = False                # an event invoke config exists
    last_modified: str | None = None


# --- the whole function -------------------------------------------------------------------------

@dataclass(frozen=True)
class FunctionState(Record):
    """Everything lambdactl manages for one function. An area that was not read is ``None``."""

    name: str
    arn: str                                 # unqualified function ARN
    qualifier: str | None = None             # the qualifier read (triggers/permissions/async/url are per qualifier)
    areas: Areas = Areas.NONE                # what was read
    configuration: Configuration | None = None
    code: CodeIdentity | None = None
    tags: dict[str, str] | None = None
    versions: tuple[Version, ...] | None = None       # oldest first
    aliases: tuple[Alias, ...] | None = None          # by name
    triggers: tuple[Trigger, ...] | None = None       # the kinds in ``areas`` only
    permissions: tuple[Permission, ...] | None = None
    concurrency: Concurrency | None = None
    async_config: AsyncConfig | None = None
    notes: tuple[str, ...] = ()              # what could not be read (e.g. no access to EventBridge)

    # -- convenience views (no AWS) --
    @property
    def target_arn(self) -> str:
        """The ARN triggers invoke: qualified when a qualifier was read."""
        return f"{self.arn}:{self.qualifier}" if self.qualifier else self.arn

    @property
    def layers(self) -> tuple[Layer, ...] | None:
        return self.configuration.layers if self.configuration is not None else None

    @property
    def user_tags(self) -> dict[str, str] | None:
        if self.tags is None:
            return None
        return {k: v for k, v in self.tags.items() if not k.startswith(SYSTEM_TAG_PREFIXES)}

    @property
    def newest_version(self) -> Version | None:
        return self.versions[-1] if self.versions else None

    def alias(self, name: str) -> Alias | None:
        return next((a for a in self.aliases or () if a.name == name), None)

    def triggers_of(self, *kinds: str) -> list[Trigger]:
        return [t for t in self.triggers or () if t.kind in kinds]

    @property
    def mappings(self) -> list[MappingTrigger]:
        return [t for t in self.triggers or () if isinstance(t, MappingTrigger)]

    @property
    def url(self) -> UrlTrigger | None:
        return next((t for t in self.triggers or () if isinstance(t, UrlTrigger)), None)

    def unwired_permissions(self) -> list[Permission]:
        """Allow statements for a service principal that no trigger read here accounts for
        (``trigger list`` shows them as "permission only")."""
        return [p for p in self.permissions or () if p.used_by is None and p.effect == "Allow"
                and p.service_principal]

    def to_dict(self, *, show_secrets: bool = True) -> dict:
        """A plain JSON-able record. ``show_secrets=False`` masks secret-looking environment values."""
        d = _fields(self)
        d["target_arn"] = self.target_arn
        d["async"] = d.pop("async_config")
        if not show_secrets:
            for cfg in [d.get("configuration")] + [v.get("configuration") for v in d.get("versions") or []]:
                if cfg:
                    from lambdactl.secrets import mask_env

                    cfg["environment"] = mask_env(cfg["environment"], False)
        return d
