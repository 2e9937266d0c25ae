"""SNS: a ``lambda`` subscription of the function to a topic (in the topic's region) plus the
``sns.amazonaws.com`` permission."""
from __future__ import annotations

from lambdactl.core.model.triggerspec import SNS_ARN_RE, TriggerSpec
from lambdactl.core.resources.functions import paginate
from lambdactl.core.resources.permissions import PermissionSpec, ensure_permission, read_policy, remove_managed
from lambdactl.core.resources.triggers.base import Target, Trigger, TriggerKind, _bump, _result
from lambdactl.errors import NotFoundError


def topic_region(topic: str) -> str:
    return topic.split(":")[3]


def topic_subscriptions(aws, topic: str) -> list[dict]:
    from botocore.exceptions import ClientError

    sns = aws.client("sns", region=topic_region(topic))
    try:
        return paginate(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic)
    except ClientError as exc:
        if exc.response["Error"].get("Code") in ("NotFound", "NotFoundException", "ResourceNotFoundException"):
            raise NotFoundError(f"SNS topic not found: {topic}", hint="check the topic ARN")
        raise


def _ensure_sns(aws, target: Target, spec: TriggerSpec, dry_run: bool) -> dict:
    from lambdactl.aws import retry

    topic = spec.opts["topic"]
    subs = topic_subscriptions(aws, topic)
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
        sns = aws.client("sns", region=topic_region(topic))
        resp = retry(lambda: sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=target.arn,
                                           ReturnSubscriptionArn=True))
        sid = resp["SubscriptionArn"]
    return _result(target, "sns", sid, topic, "created", [p], changes)


def _read(aws, target: Target, policy: list[dict], consumed: set[str]) -> list[Trigger]:
    from botocore.exceptions import ClientError

    topics: dict[str, list[dict]] = {}
    for r in policy:
        if r["principal"] == "sns.amazonaws.com" and SNS_ARN_RE.match(r["source_arn"] or ""):
            topics.setdefault(r["source_arn"], []).append(r)
    out = []
    for topic, stmts in sorted(topics.items()):
        try:
            subs = topic_subscriptions(aws, topic)
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


def _remove(aws, target: Target, t: Trigger) -> tuple[list[str], dict]:
    from lambdactl.aws import retry

    topic = t.ref["topic"]
    sns = aws.client("sns", region=topic_region(topic))
    if not t.ref["subscription"].lower().startswith("pending"):
        retry(lambda: sns.unsubscribe(SubscriptionArn=t.ref["subscription"]))
    policy = read_policy(aws, target.name, target.qualifier)
    removed_perms = remove_managed(
        aws, target.name, policy,
        lambda r: r["principal"] == "sns.amazonaws.com" and r["source_arn"] == topic, target.qualifier)
    return removed_perms, {}


class SnsKind(TriggerKind):
    kinds = ("sns",)
    how = "sns"

    def key(self, target, spec):
        return f"sns:{spec.opts['topic']}"

    def ensure(self, aws, target, spec, dry_run, *, ignore_ids=frozenset(), replace=False):
        return _ensure_sns(aws, target, spec, dry_run)

    def read(self, aws, target, policy, consumed):
        return _read(aws, target, policy, consumed)

    def remove(self, aws, target, t):
        return _remove(aws, target, t)


KIND = SnsKind()


# --- the live state (read by core/resources/reader.py) -----------------------------------------------

def policy_topics(policy: list[dict]) -> tuple[list[str], bool]:
    """(the topics the policy names, whether some SNS statement names none: then every
    subscription of the account is looked at)."""
    stmts = [r for r in policy if r["principal"] == "sns.amazonaws.com" and r["effect"] == "Allow"]
    topics = sorted({r["source_arn"] for r in stmts if SNS_ARN_RE.match(r["source_arn"] or "")})
    return topics, any(not r["source_arn"] for r in stmts)


def all_subscriptions(aws) -> list[dict]:
    from lambdactl.aws import retry

    sns = aws.client("sns")
    return retry(lambda: [s for page in sns.get_paginator("list_subscriptions").paginate()
                          for s in page.get("Subscriptions") or []])


def own_subscriptions(candidates: list[dict], target_arn: str) -> list[dict]:
    """The function's subscriptions among ``candidates``, one per topic and subscription ARN."""
    seen, out = set(), []
    for s in candidates:
        if s.get("Protocol") != "lambda" or s.get("Endpoint") != target_arn:
            continue
        ident = (s.get("TopicArn"), s.get("SubscriptionArn"))
        if ident not in seen:
            seen.add(ident)
            out.append(s)
    return sorted(out, key=lambda s: (s.get("TopicArn") or "", s.get("SubscriptionArn") or ""))


def subscription_attributes(aws, s: dict) -> dict:
    from lambdactl.aws import retry

    topic = s.get("TopicArn") or ""
    region = topic.split(":")[3] if topic.count(":") >= 5 else None
    sns = aws.client("sns", region=region)
    return retry(lambda: sns.get_subscription_attributes(SubscriptionArn=s["SubscriptionArn"])).get("Attributes") or {}


def sns_trigger(s: dict, attrs: dict | None = None, *, managed: bool = False):
    """One subscription (and its attributes) as the model's SnsTrigger."""
    from lambdactl.core.model import SnsTrigger
    from lambdactl.core.resources.triggers.base import json_or_text

    attrs = attrs or {}
    redrive = json_or_text(attrs.get("RedrivePolicy")) or {}
    return SnsTrigger(topic=s.get("TopicArn") or "", subscription_arn=s.get("SubscriptionArn"),
                      filter_policy=json_or_text(attrs.get("FilterPolicy")) if attrs.get("FilterPolicy") else None,
                      filter_policy_scope=attrs.get("FilterPolicyScope") if attrs.get("FilterPolicy") else None,
                      redrive_dlq=redrive.get("deadLetterTargetArn") if isinstance(redrive, dict) else None,
                      managed=managed)


def live(subs: list[dict], attrs: dict[str, dict], policy: list[dict], used: dict[str, str]) -> list:
    """The model's SNS triggers (``attrs`` by subscription ARN)."""
    out: list = []
    for s in subs:
        topic = s.get("TopicArn") or ""
        stmts = [r for r in policy if r["principal"] == "sns.amazonaws.com" and r["source_arn"] == topic]
        t = sns_trigger(s, attrs.get(s.get("SubscriptionArn")) or {}, managed=any(r["managed"] for r in stmts))
        out.append(t)
        for r in stmts:
            used.setdefault(r["statement_id"], t.key)
    return out
