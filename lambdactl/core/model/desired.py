"""The *desired* state: the project file (``lambdactl.toml``) as the same :class:`FunctionState`
dataclasses the reader fills from AWS (issue 18: one model, two readers).

:func:`desired_state` needs no AWS call and imports nothing that talks to AWS. What only AWS
assigns (ARNs of the function and its triggers, UUIDs, statuses) stays ``None``; trigger sources
stay as the project file gives them (an SQS queue by name is resolved to its ARN at plan time).
:func:`mapping_settings` gives an event source mapping's settings in the project file's words,
for the live model and the desired one alike, so the two compare field by field.
"""
from __future__ import annotations

from typing import Any

from lambdactl.core.model.state import (Alias, Areas, AsyncConfig, CodeIdentity, Concurrency, Configuration, Cors,
                                        EventBridgeTrigger, FunctionState, Layer, MappingTrigger, Provisioned,
                                        S3Trigger, ScheduleTrigger, SnsTrigger, Trigger, UrlTrigger, Vpc)


def desired_state(project, *, arn: str = "") -> FunctionState:
    """The project file's function as a :class:`FunctionState` (areas: what the file declares)."""
    fn = project.function
    areas = Areas.FUNCTION
    cfg = Configuration(
        name=fn.name, runtime=fn.runtime, handler=fn.handler, architecture=fn.architecture, memory=fn.memory,
        timeout=fn.timeout, ephemeral_storage=fn.ephemeral_storage, role=fn.role or None,
        description=fn.description or "", environment=dict(fn.environment),
        layers=tuple(Layer(a) for a in fn.layers), tracing=fn.tracing or "PassThrough", kms_key=fn.kms_key or None,
        vpc=Vpc(tuple(fn.vpc.subnets), tuple(fn.vpc.security_groups), bool(fn.vpc.ipv6)) if fn.vpc else None,
        dead_letter=fn.dead_letter or None)
    code = CodeIdentity(package_type=fn.package_type or "Zip", image_uri=fn.image_uri or None)
    aliases = None
    if project.aliases:
        areas |= Areas.ALIASES
        aliases = tuple(Alias(name=a.name, version=str(a.version), description=a.description or "",
                              weights=dict(getattr(a, "routing", None) or {}))
                        for a in sorted(project.aliases, key=lambda a: a.name))
    concurrency = None
    if project.concurrency is not None:
        areas |= Areas.CONCURRENCY
        concurrency = Concurrency(reserved=project.concurrency.reserved,
                                  provisioned=tuple(Provisioned(p.qualifier, p.count)
                                                    for p in project.concurrency.provisioned))
    async_config = None
    if fn.async_ is not None:
        areas |= Areas.ASYNC
        a = fn.async_
        async_config = AsyncConfig(max_retries=a.max_retries, max_event_age=a.max_event_age,
                                   on_success=a.on_success, on_failure=a.on_failure,
                                   dead_letter=fn.dead_letter or None, configured=True)
    triggers = None
    if project.triggers:
        areas |= Areas.TRIGGERS
        triggers = tuple(desired_trigger(t.type, t.options, where=f"triggers[{i}]: ")
                         for i, t in enumerate(project.triggers))
    return FunctionState(name=fn.name, arn=arn, areas=areas, configuration=cfg, code=code, tags=dict(fn.tags),
                         aliases=aliases, triggers=triggers, concurrency=concurrency, async_config=async_config)


def desired_trigger(kind: str, options: dict[str, Any], *, where: str = "") -> Trigger:
    """One ``[[triggers]]`` table (checked like ``trigger add``) as the model's trigger."""
    from lambdactl.core.model.triggerspec import normalize

    o = normalize(kind, options, where=where).opts
    if kind in ("sqs", "kinesis", "dynamodb"):
        return MappingTrigger(
            kind=kind, source_arn=o.get("arn") or o.get("source") or o.get("table") or "",
            batch_size=o.get("batch_size"), window=o.get("window") or 0, enabled=o.get("enabled", True),
            starting_position=o.get("starting_position"), starting_timestamp=_text(o.get("starting_timestamp")),
            function_response_types=("ReportBatchItemFailures",) if o.get("report_batch_item_failures") else (),
            filters=tuple(o.get("filters") or ()),
            max_retries=_unset(o.get("max_retries"), -1), max_record_age=_unset(o.get("max_record_age"), -1),
            bisect_on_error=o.get("bisect_on_error"),
            parallelization_factor=o.get("parallelization_factor"), tumbling_window=o.get("tumbling_window"),
            on_failure=o.get("on_failure"), max_concurrency=o.get("max_concurrency"), managed=True)
    if kind == "s3":
        return S3Trigger(bucket=o["bucket"], events=tuple(o["events"]), prefix=o.get("prefix"),
                         suffix=o.get("suffix"), managed=True)
    if kind in ("schedule", "eventbridge"):
        common = dict(name=o.get("name") or "", bus=o.get("bus") or "default", enabled=o.get("enabled", True),
                      input=o.get("input"), managed=True)
        if kind == "schedule":
            return ScheduleTrigger(expression=o["expression"], **common)
        return EventBridgeTrigger(pattern=o["pattern"], **common)
    if kind == "sns":
        return SnsTrigger(topic=o["topic"], managed=True)
    c = o.get("cors")
    cors = Cors(allow_origins=tuple(c.get("AllowOrigins") or ()), allow_methods=tuple(c.get("AllowMethods") or ()),
                allow_headers=tuple(c.get("AllowHeaders") or ()), expose_headers=tuple(c.get("ExposeHeaders") or ()),
                max_age=c.get("MaxAge"), allow_credentials=c.get("AllowCredentials")) if c else None
    return UrlTrigger(auth=o["auth"], invoke_mode=o.get("invoke_mode") or "BUFFERED", cors=cors, managed=True)


def mapping_settings(m: MappingTrigger) -> dict:
    """A mapping's settings in the project file's words (``ESM_SETTINGS``), AWS's defaults filled in."""
    from lambdactl.core.model.triggerspec import STREAM_KINDS, compact_json

    out: dict[str, Any] = {"batch_size": m.batch_size, "window": m.window or 0, "enabled": m.enabled,
                           "report_batch_item_failures": m.report_batch_item_failures,
                           "filters": sorted((f for f in m.filters if f is not None), key=compact_json)}
    if m.kind == "sqs":
        out["max_concurrency"] = m.max_concurrency
    elif m.kind in STREAM_KINDS:
        out["bisect_on_error"] = bool(m.bisect_on_error)
        out["max_retries"] = -1 if m.max_retries is None else m.max_retries
        out["max_record_age"] = -1 if m.max_record_age is None else m.max_record_age
        out["parallelization_factor"] = 1 if m.parallelization_factor is None else m.parallelization_factor
        out["tumbling_window"] = 0 if m.tumbling_window is None else m.tumbling_window
        out["on_failure"] = m.on_failure
    return out


def _unset(value: Any, default: Any) -> Any:
    return None if value == default else value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    iso = getattr(value, "isoformat", None)
    if iso is not None:
        text = iso()
        return text.replace("+00:00", "Z")
    return str(value)
