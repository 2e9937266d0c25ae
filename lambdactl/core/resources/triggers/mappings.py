"""Event source mappings: ``sqs``, ``kinesis`` and ``dynamodb`` (streams). A mapping lambdactl creates
carries the tag ``lambdactl:managed = true``; no resource-policy statement is involved (the
function's execution role reads the source)."""
from __future__ import annotations

import datetime as _dt
import json
import re
from typing import Any

from lambdactl.core.model.triggerspec import (ESM_DEFAULTS, ESM_SETTINGS, ROLE_ACTIONS, SQS_ARN_RE, STREAM_KINDS,
                                              TriggerSpec, compact_json, split_queue_url)
from lambdactl.core.resources.functions import list_event_source_mappings
from lambdactl.core.resources.triggers.base import MANAGED_TAG, Target, Trigger, TriggerKind, _result
from lambdactl.errors import NotFoundError, OperationError, UsageError


def queue_arn(aws, source: str) -> str:
    """A queue ARN from an ARN, a queue URL or a queue name."""
    if SQS_ARN_RE.match(source):
        return source
    if source.startswith(("https://", "http://")):
        region, account, name = split_queue_url(source)
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


def resolve_source(aws, spec: TriggerSpec) -> TriggerSpec:
    """Fill ``opts['arn']`` (read-only calls only)."""
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


# Retried on mapping updates/deletes (a mapping still being created or updated is "in use");
# throttling and 5xx are botocore's to retry (lambdactl.aws), never ours as well.
ESM_RETRY_CODES = frozenset({"ResourceConflictException", "ResourceInUseException"})


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


def esm_details(kind: str, settings: dict) -> dict:
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
                retry(lambda: lam.update_event_source_mapping(UUID=m["UUID"], **params), codes=ESM_RETRY_CODES)
            return _result(target, kind, m["UUID"], arn, "updated" if diff else "unchanged", [], changes,
                           **esm_details(kind, want))
        changes = fixed + [(k, cur[k], o[k]) for k in diff]
        if not replace:
            f, before, after = fixed[0]
            raise UsageError(f"{kind}: the mapping {m['UUID']} of {arn} has {f} {_show(before)}; it cannot "
                             f"be changed to {_show(after)} on an existing mapping",
                             hint=f"remove it first ('lambdactl trigger remove {target.ref} {m['UUID']}') and "
                                  f"add it again, or leave out --starting-position to keep it")
        if dry_run:
            return _result(target, kind, m["UUID"], arn, "updated", [], changes, replaces=m["UUID"],
                           **esm_details(kind, want))
        _delete_esm_and_wait(aws, m["UUID"])
        resp = _create_esm(aws, target, spec)
        return _result(target, kind, resp["UUID"], arn, "updated", [], changes, replaces=m["UUID"],
                       **esm_details(kind, want))
    changes.append(("event source mapping", None, arn))
    if dry_run:
        return _result(target, kind, "(new)", arn, "created", [], changes, **esm_details(kind, want))
    resp = _create_esm(aws, target, spec)
    return _result(target, kind, resp["UUID"], arn, "created", [], changes, **esm_details(kind, want))


def _show(v: Any) -> str:
    if isinstance(v, _dt.datetime):
        from lambdactl.fmt import iso

        return iso(v) or ""
    return str(v)


def _delete_esm_and_wait(aws, uuid: str, timeout: float = 300) -> None:
    """Delete a mapping and wait until it is gone (Lambda refuses a second mapping of the same
    source while the first is still Deleting)."""
    import time

    from botocore.exceptions import ClientError

    from lambdactl.aws import error_code, retry

    lam = aws.client("lambda")
    retry(lambda: lam.delete_event_source_mapping(UUID=uuid), codes=ESM_RETRY_CODES)
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


def _read(aws, target: Target) -> list[Trigger]:
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
            details = esm_details(kind, esm_settings(kind, m))
        else:       # other sources (Kafka, MQ, DocumentDB): the basics
            details = {"batch_size": m.get("BatchSize"), "window": m.get("MaximumBatchingWindowInSeconds") or 0}
            if m.get("StartingPosition"):
                details["starting_position"] = m["StartingPosition"]
        out.append(Trigger(m["UUID"], kind, arn or "-", (m.get("State") or "").lower() or "enabled", managed,
                           details, key=f"esm:{arn}", ref={"how": "esm", "uuid": m["UUID"]}))
    return out


class MappingKind(TriggerKind):
    kinds = ("sqs", "kinesis", "dynamodb")
    how = "esm"

    def resolve(self, aws, spec):
        return resolve_source(aws, spec)

    def key(self, target, spec):
        return f"esm:{spec.opts['arn']}"

    def ensure(self, aws, target, spec, dry_run, *, ignore_ids=frozenset(), replace=False):
        return _ensure_esm(aws, target, spec, dry_run, replace)

    def read(self, aws, target, policy, consumed):
        return _read(aws, target)

    def remove(self, aws, target, t):
        from lambdactl.aws import retry

        lam = aws.client("lambda")
        retry(lambda: lam.delete_event_source_mapping(UUID=t.ref["uuid"]), codes=ESM_RETRY_CODES)
        return [], {}


KIND = MappingKind()


# --- the live state (read by core/resources/reader.py) -----------------------------------------------

def mapping_tags(aws, arn: str) -> dict:
    """The tags of one mapping; {} when they cannot be read (as 'trigger list': not lambdactl's)."""
    from botocore.exceptions import ClientError

    from lambdactl.aws import retry

    lam = aws.client("lambda")
    try:
        return retry(lambda: lam.list_tags(Resource=arn)).get("Tags") or {}
    except ClientError:
        return {}


def mapping_trigger(m: dict, managed: bool = False):
    """One ``ListEventSourceMappings`` entry as the model's MappingTrigger."""
    from lambdactl.core.model import MappingTrigger
    from lambdactl.core.resources.triggers.base import json_or_text
    from lambdactl.fmt import iso

    src = m.get("EventSourceArn") or ""
    kind = src.split(":")[2] if src.count(":") >= 5 else "mapping"
    pollers = m.get("ProvisionedPollerConfig")
    state = m.get("State")
    return MappingTrigger(
        kind=kind, source_arn=src or "-", batch_size=m.get("BatchSize"),
        window=m.get("MaximumBatchingWindowInSeconds") or 0,
        enabled=(state or "Enabled") not in ("Disabled", "Disabling"),
        starting_position=m.get("StartingPosition"), starting_timestamp=iso(m.get("StartingPositionTimestamp")),
        function_response_types=tuple(m.get("FunctionResponseTypes") or ()),
        filters=tuple(json_or_text(f.get("Pattern")) for f in (m.get("FilterCriteria") or {}).get("Filters") or []),
        max_retries=m.get("MaximumRetryAttempts"), max_record_age=m.get("MaximumRecordAgeInSeconds"),
        bisect_on_error=m.get("BisectBatchOnFunctionError"),
        parallelization_factor=m.get("ParallelizationFactor"), tumbling_window=m.get("TumblingWindowInSeconds"),
        on_failure=((m.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination") or None,
        max_concurrency=(m.get("ScalingConfig") or {}).get("MaximumConcurrency"), kms_key=m.get("KMSKeyArn"),
        metrics=tuple((m.get("MetricsConfig") or {}).get("Metrics") or ()),
        pollers=(pollers.get("MinimumPollers"), pollers.get("MaximumPollers")) if pollers else None,
        managed=managed, uuid=m.get("UUID"), arn=m.get("EventSourceMappingArn"), state=state,
        state_reason=m.get("StateTransitionReason"), last_modified=iso(m.get("LastModified")),
        last_processing_result=m.get("LastProcessingResult"))


def live(mappings: list[dict], tags: dict[str, dict]) -> list:
    """The model's triggers from the mappings and their tags (by UUID)."""
    return [mapping_trigger(m, managed=(tags.get(m.get("UUID")) or {}).get(MANAGED_TAG) == "true") for m in mappings]
