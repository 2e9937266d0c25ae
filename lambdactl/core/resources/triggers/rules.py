"""EventBridge rules: ``schedule`` (a rate/cron expression) and ``eventbridge`` (an event pattern on
any bus) share one mechanism: a rule (``lambdactl-<function>-<hash>`` or a ``lambdactl:``
description), a target on it, and the ``events.amazonaws.com`` permission."""
from __future__ import annotations

import json
import re
from typing import Any

from lambdactl.core.model.triggerspec import TriggerSpec
from lambdactl.core.resources.functions import paginate
from lambdactl.core.resources.permissions import SID_PREFIX, PermissionSpec, ensure_permission, read_policy, remove_managed
from lambdactl.core.resources.triggers.base import MANAGED_DESCRIPTION, Target, Trigger, TriggerKind, _bump, _h, _result
from lambdactl.errors import NotFoundError, OperationError, UsageError


def rule_name(target: Target, spec: TriggerSpec) -> str:
    o = spec.opts
    if o.get("name"):
        return o["name"]
    what = o["expression"] if spec.kind == "schedule" else o["pattern"]
    digest = _h({"kind": spec.kind, "function": target.ref, "what": what, "bus": o["bus"]}, 8)
    return f"{SID_PREFIX}{target.name[:64 - len(SID_PREFIX) - 9]}-{digest}"


def rule_arn(aws, bus: str, name: str) -> str:
    path = f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}"
    return f"arn:{aws.partition}:events:{aws.region}:{aws.account_id}:{path}"


def _target_id(target: Target) -> str:
    return SID_PREFIX + _h(target.arn)


def describe_rule(events, name: str, bus: str) -> dict | None:
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


def rule_targets(events, name: str, bus: str) -> list[dict]:
    return paginate(events, "list_targets_by_rule", "Targets", Rule=name, EventBusName=bus)


def is_managed_rule(rule: dict) -> bool:
    return rule.get("Name", "").startswith(SID_PREFIX) or \
        (rule.get("Description") or "").startswith(MANAGED_DESCRIPTION)


def _ensure_rule(aws, target: Target, spec: TriggerSpec, dry_run: bool) -> dict:
    from lambdactl.aws import retry

    o = spec.opts
    bus = o["bus"]
    name = rule_name(target, spec)
    events = aws.client("events")
    rule = describe_rule(events, name, bus)
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
        arn = rule_arn(aws, bus, name)
        changes.append(("rule", None, name))
        if not dry_run:
            resp = _put_rule(events, name, bus, f"{MANAGED_DESCRIPTION} {spec.kind} trigger for {target.ref}", want)
            arn = resp.get("RuleArn") or arn
    else:
        status = "unchanged"
        arn = rule.get("Arn") or rule_arn(aws, bus, name)
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
    targets = rule_targets(events, name, bus) if rule is not None else []
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


def _bus_of_rule_arn(arn: str) -> tuple[str, str] | None:
    m = re.match(r"^arn:aws[a-zA-Z-]*:events:[a-z0-9-]+:\d{12}:rule/(?:([^/]+)/)?([^/]+)$", arn or "")
    if not m:
        return None
    return (m.group(1) or "default"), m.group(2)


def _read(aws, target: Target, policy: list[dict], consumed: set[str]) -> list[Trigger]:
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
            rule = describe_rule(events, name, bus)
            if rule is None:
                continue
            arn = rule.get("Arn") or rule_arn(aws, bus, name)
            consumed.update(r["statement_id"] for r in policy
                            if r["principal"] == "events.amazonaws.com" and r["source_arn"] == arn)
            if rule.get("ScheduleExpression"):
                kind, source = "schedule", rule["ScheduleExpression"]
            else:
                kind, source = "eventbridge", rule.get("EventPattern") or "-"
            details = {"rule": name, "bus": bus}
            tid = name if bus == "default" else f"{bus}/{name}"
            out.append(Trigger(tid, kind, source, (rule.get("State") or "ENABLED").lower(), is_managed_rule(rule),
                               details, key=f"rule:{bus}/{name}",
                               ref={"how": "rule", "bus": bus, "name": name, "rule_arn": arn}))
    return out


def _remove(aws, target: Target, t: Trigger) -> tuple[list[str], dict]:
    from lambdactl.aws import retry

    extra: dict[str, Any] = {}
    events = aws.client("events")
    bus, name = t.ref["bus"], t.ref["name"]
    targets = rule_targets(events, name, bus)
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
    return removed_perms, extra


class RuleKind(TriggerKind):
    kinds = ("schedule", "eventbridge")
    how = "rule"

    def key(self, target, spec):
        return f"rule:{spec.opts['bus']}/{rule_name(target, spec)}"

    def ensure(self, aws, target, spec, dry_run, *, ignore_ids=frozenset(), replace=False):
        return _ensure_rule(aws, target, spec, dry_run)

    def read(self, aws, target, policy, consumed):
        return _read(aws, target, policy, consumed)

    def remove(self, aws, target, t):
        return _remove(aws, target, t)


KIND = RuleKind()


# --- the live state (read by core/resources/reader.py) -----------------------------------------------

def list_buses(aws) -> list[str]:
    """Every event bus of the account: ``default`` first."""
    from lambdactl.aws import retry

    ev = aws.client("events")
    names, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        resp = retry(lambda: ev.list_event_buses(**kw))
        names.extend(b["Name"] for b in resp.get("EventBuses") or [])
        token = resp.get("NextToken")
        if not token:
            break
    return ["default"] + sorted(n for n in set(names) if n != "default")


def rule_names(aws, target_arn: str, bus: str) -> list[str]:
    """The rules on ``bus`` that target the function."""
    from lambdactl.aws import retry

    ev = aws.client("events")
    pages = ev.get_paginator("list_rule_names_by_target").paginate(TargetArn=target_arn, EventBusName=bus)
    return retry(lambda: [n for page in pages for n in page.get("RuleNames") or []])


def read_rule(aws, bus: str, name: str) -> tuple[dict | None, list[dict]]:
    """(the rule or None, its targets)."""
    ev = aws.client("events")
    rule = describe_rule(ev, name, bus)
    return rule, (rule_targets(ev, name, bus) if rule is not None else [])


def rule_trigger(rule: dict, bus: str, target: dict | None, *, managed: bool = False,
                 rule_arn: str | None = None):
    """One rule (and its target for the function) as the model's ScheduleTrigger / EventBridgeTrigger."""
    from lambdactl.core.model import EventBridgeTrigger, ScheduleTrigger
    from lambdactl.core.resources.triggers.base import json_or_text, snake

    target = target or {}
    transformer = snake(target.get("InputTransformer"), {"InputPathsMap": "input_paths_map",
                                                         "InputTemplate": "input_template"})
    common = dict(name=rule["Name"], bus=bus, enabled=(rule.get("State") or "ENABLED") == "ENABLED",
                  input=json_or_text(target.get("Input")), input_path=target.get("InputPath"),
                  input_transformer=transformer, description=rule.get("Description") or None, managed=managed,
                  rule_arn=rule_arn or rule.get("Arn"), target_id=target.get("Id"))
    if rule.get("ScheduleExpression"):
        return ScheduleTrigger(expression=rule["ScheduleExpression"], **common)
    pattern = json_or_text(rule.get("EventPattern") or "{}")
    return EventBridgeTrigger(pattern=pattern if isinstance(pattern, dict) else {}, **common)


def live(aws, target_arn: str, rules: dict[tuple[str, str], tuple[dict | None, list[dict]]],
         policy: list[dict], used: dict[str, str]) -> list:
    """The model's rule triggers from ``rules`` ((bus, name) -> :func:`read_rule`)."""
    out: list = []
    for (bus, name), (rule, targets) in sorted(rules.items()):
        if rule is None:
            continue
        arn = rule.get("Arn") or rule_arn(aws, bus, name)
        mine = [t for t in targets if t.get("Arn") == target_arn]
        t = rule_trigger(rule, bus, mine[0] if mine else None, managed=is_managed_rule(rule), rule_arn=arn)
        out.append(t)
        for r in policy:
            if r["principal"] == "events.amazonaws.com" and r["source_arn"] == arn:
                used.setdefault(r["statement_id"], t.key)
    return out
