"""Asynchronous invocation settings: retries, maximum event age, destinations, and the DLQ.

Also the deploy planner ``plan_async`` for ``[function.async]`` in the project file.
"""
from __future__ import annotations

import json
import re
from typing import Any

from lambdactl.aws import AwsSession, retry, wait_function_ready
from lambdactl.core.model.asyncspec import destination_kind, validate
from lambdactl.core.resources.functions import get_configuration, require_configuration
from lambdactl.core.resources.plan import Change, DeployContext, Step
from lambdactl.errors import NotFoundError

_ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:([a-z0-9-]+):[a-z0-9-]*:(\d{12}):(.+)$")
DEST_KINDS = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "lambda": "lambda:InvokeFunction",
              "events": "events:PutEvents"}


def get_async(aws: AwsSession, function: str, qualifier: str | None = None) -> dict | None:
    from botocore.exceptions import ClientError

    kw: dict[str, Any] = {"FunctionName": function}
    if qualifier:
        kw["Qualifier"] = qualifier
    try:
        resp = aws.client("lambda").get_function_event_invoke_config(**kw)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            require_configuration(aws, function)
            return None
        raise
    return async_record(resp)


def async_record(resp: dict | None) -> dict:
    """A GetFunctionEventInvokeConfig response as a record (all None for ``None``: AWS defaults)."""
    resp = resp or {}
    dest = resp.get("DestinationConfig") or {}
    return {
        "max_retries": resp.get("MaximumRetryAttempts"),
        "max_event_age": resp.get("MaximumEventAgeInSeconds"),
        "on_success": (dest.get("OnSuccess") or {}).get("Destination") or None,
        "on_failure": (dest.get("OnFailure") or {}).get("Destination") or None,
    }


def _request(desired: dict) -> dict:
    kw: dict[str, Any] = {}
    if desired.get("max_retries") is not None:
        kw["MaximumRetryAttempts"] = desired["max_retries"]
    if desired.get("max_event_age") is not None:
        kw["MaximumEventAgeInSeconds"] = desired["max_event_age"]
    dest: dict[str, Any] = {}
    if desired.get("on_success"):
        dest["OnSuccess"] = {"Destination": desired["on_success"]}
    if desired.get("on_failure"):
        dest["OnFailure"] = {"Destination": desired["on_failure"]}
    if dest:
        kw["DestinationConfig"] = dest
    return kw


def set_async(aws: AwsSession, function: str, *, max_retries=None, max_event_age=None,
              on_success=None, on_failure=None, qualifier: str | None = None) -> dict:
    """Merge the given settings into the function's event invoke config. Returns before/after."""
    validate(max_retries, max_event_age, on_success, on_failure)
    before = get_async(aws, function, qualifier)
    after = dict(before or async_record(None))
    for k, v in (("max_retries", max_retries), ("max_event_age", max_event_age),
                 ("on_success", on_success), ("on_failure", on_failure)):
        if v is not None:
            after[k] = v
    if before == after:
        return {"function": function, "status": "unchanged", "before": before, "after": after, "warnings": []}
    kw = {"FunctionName": function, **_request(after)}
    if qualifier:
        kw["Qualifier"] = qualifier
    retry(lambda: aws.client("lambda").put_function_event_invoke_config(**kw))
    warnings = role_warnings(aws, function, [a for a in (after.get("on_success"), after.get("on_failure")) if a])
    return {"function": function, "status": "updated", "before": before, "after": after, "warnings": warnings}


def clear_async(aws: AwsSession, function: str, qualifier: str | None = None) -> dict:
    before = get_async(aws, function, qualifier)
    if before is None:
        return {"function": function, "status": "unchanged", "before": None, "after": None, "warnings": []}
    kw: dict[str, Any] = {"FunctionName": function}
    if qualifier:
        kw["Qualifier"] = qualifier
    retry(lambda: aws.client("lambda").delete_function_event_invoke_config(**kw))
    return {"function": function, "status": "cleared", "before": before, "after": None, "warnings": []}


def set_dlq(aws: AwsSession, function: str, target: str | None) -> dict:
    """Set (or clear with None) the function's dead-letter queue/topic."""
    if target:
        destination_kind(target, ("sqs", "sns"), "DLQ")
    cfg = require_configuration(aws, function)
    before = (cfg.get("DeadLetterConfig") or {}).get("TargetArn") or None
    if before == (target or None):
        return {"function": function, "status": "unchanged", "before": before, "after": before, "warnings": []}
    lam = aws.client("lambda")
    wait_function_ready(aws, function)
    retry(lambda: lam.update_function_configuration(FunctionName=function,
                                                     DeadLetterConfig={"TargetArn": target or ""}))
    wait_function_ready(aws, function)
    warnings = role_warnings(aws, function, [target], role=cfg.get("Role")) if target else []
    return {"function": function, "status": "updated" if target else "cleared", "before": before,
            "after": target or None, "warnings": warnings}


def role_warnings(aws: AwsSession, function: str, targets: list[str], *, role: str | None = None) -> list[str]:
    """Name the actions the function's role lacks for each destination (best effort).

    ``role``: the function's role ARN when the caller has it (else it is read from AWS)."""
    from lambdactl.core.resources.roles import role_name_from_arn

    if role is None:
        role = (get_configuration(aws, function) or {}).get("Role")
    if not role:
        return []
    role_name = role_name_from_arn(role)
    try:
        statements = _role_statements(aws, role_name)
    except Exception:
        return []
    out = []
    for arn in targets:
        m = _ARN_RE.match(arn or "")
        if not m:
            continue
        action = DEST_KINDS.get(m.group(1))
        if action and not _allows(statements, action, arn):
            out.append(f"the role {role_name} does not allow {action} on {arn}; "
                       f"add it or deliveries to this destination will fail")
    return out


def _role_statements(aws: AwsSession, role_name: str) -> list[dict]:
    iam = aws.client("iam")
    docs = []
    for name in iam.list_role_policies(RoleName=role_name).get("PolicyNames", []):
        doc = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        docs.append(json.loads(doc) if isinstance(doc, str) else doc)
    for pol in iam.list_attached_role_policies(RoleName=role_name).get("AttachedPolicies", []):
        try:
            p = iam.get_policy(PolicyArn=pol["PolicyArn"])["Policy"]
            v = iam.get_policy_version(PolicyArn=pol["PolicyArn"], VersionId=p["DefaultVersionId"])
            doc = v["PolicyVersion"]["Document"]
            docs.append(json.loads(doc) if isinstance(doc, str) else doc)
        except Exception:
            docs.append({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})  # unknown: don't nag
    statements = []
    for d in docs:
        st = d.get("Statement", [])
        statements.extend(st if isinstance(st, list) else [st])
    return statements


def _allows(statements: list[dict], action: str, resource: str) -> bool:
    from fnmatch import fnmatchcase

    for st in statements:
        if st.get("Effect") != "Allow":
            continue
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = st.get("Resource", "*")
        resources = [resources] if isinstance(resources, str) else resources
        if any(fnmatchcase(action.lower(), a.lower()) for a in actions) and \
                any(fnmatchcase(resource, r) for r in resources):
            return True
    return False


# -- deploy planner -----------------------------------------------------------------------------

def plan_async(ctx: DeployContext) -> list[Step]:
    """Reconcile ``[function.async]``: put the event invoke config when it differs."""
    desired_cfg = ctx.project.function.async_
    if desired_cfg is None or ctx.options.get("code_only"):
        return []
    desired = {"max_retries": desired_cfg.max_retries, "max_event_age": desired_cfg.max_event_age,
               "on_success": desired_cfg.on_success, "on_failure": desired_cfg.on_failure}
    current = None
    live = ctx.state.get("live")
    live = live.async_config if live is not None else None   # read by plan_deploy's one read
    if ctx.current is not None and live is not None:
        current = {"max_retries": live.max_retries, "max_event_age": live.max_event_age,
                   "on_success": live.on_success, "on_failure": live.on_failure} if live.configured else None
    elif ctx.current is not None:
        try:
            current = get_async(ctx.aws, ctx.function_name)
        except NotFoundError:
            current = None
    cur = current or async_record(None)
    # Unset keys in the file keep AWS defaults: compare only what the file sets, but a destination
    # removed from the file is removed (None means "no destination").
    changes = []
    for k, v in desired.items():
        if k in ("max_retries", "max_event_age") and v is None:
            continue
        if cur.get(k) != v:
            changes.append(Change(f"async.{k}", cur.get(k), v))
    if not changes:
        return []
    merged = {k: (v if v is not None or k in ("on_success", "on_failure") else cur.get(k)) for k, v in desired.items()}

    def apply(c: DeployContext) -> None:
        kw = {"FunctionName": c.function_name, **_request(merged)}
        retry(lambda: c.aws.client("lambda").put_function_event_invoke_config(**kw))

    return [Step("async", "update" if current else "create", f"function {ctx.function_name}",
                 "set asynchronous invocation config (retries, event age, destinations)", apply, changes)]
