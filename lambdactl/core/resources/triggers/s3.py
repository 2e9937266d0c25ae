"""S3 bucket notifications: a ``LambdaFunctionConfigurations`` entry (``Id = lambdactl-<hash>``)
plus the ``s3.amazonaws.com`` permission; other entries of the bucket are never touched."""
from __future__ import annotations

import re
from typing import Any

from lambdactl.core.model.triggerspec import TriggerSpec
from lambdactl.core.resources.permissions import (SID_PREFIX, PermissionSpec, ensure_permission, read_policy,
                                                  remove_managed)
from lambdactl.core.resources.triggers.base import Target, Trigger, TriggerKind, _bump, _h, _result
from lambdactl.errors import NotFoundError, UsageError


def s3_config_id(target: Target, spec: TriggerSpec) -> str:
    o = spec.opts
    return SID_PREFIX + _h({"function": target.ref, "bucket": o["bucket"], "events": o["events"],
                            "prefix": o.get("prefix") or "", "suffix": o.get("suffix") or ""})


def bucket_arn(aws, bucket: str) -> str:
    return f"arn:{aws.partition}:s3:::{bucket}"


def _s3_permission(aws, target: Target, bucket: str) -> PermissionSpec:
    return PermissionSpec("s3.amazonaws.com", source_arn=bucket_arn(aws, bucket),
                          source_account=aws.account_id, qualifier=target.qualifier)


def get_notifications(aws, bucket: str) -> dict:
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


def put_notifications(aws, bucket: str, doc: dict) -> None:
    from lambdactl.aws import retry

    s3 = aws.client("s3")
    clean = {k: v for k, v in doc.items() if k != "ResponseMetadata"}
    for k in ("LambdaFunctionConfigurations", "QueueConfigurations", "TopicConfigurations"):
        if k in clean and not clean[k]:
            del clean[k]
    retry(lambda: s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=clean))


def filter_of(cfg: dict) -> tuple[str, str]:
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
            p2, s2 = filter_of(cfg)
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
    doc = get_notifications(aws, bucket)
    cid = s3_config_id(target, spec)
    prefix, suffix = o.get("prefix") or "", o.get("suffix") or ""
    perm = _s3_permission(aws, target, bucket)
    source = f"s3://{bucket}"
    details = {"events": o["events"], "prefix": o.get("prefix"), "suffix": o.get("suffix")}
    changes: list[tuple] = []
    for cfg in doc.get("LambdaFunctionConfigurations") or []:
        same = cfg.get("LambdaFunctionArn") == target.arn and sorted(cfg.get("Events") or []) == o["events"] \
            and filter_of(cfg) == (prefix, suffix)
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
        put_notifications(aws, bucket, new_doc)
    changes.append(("notification", None, cid))
    _bump("created", p, changes)
    return _result(target, "s3", cid, source, "created", [p], changes, **details)


def bucket_of(source_arn: str | None) -> str | None:
    m = re.match(r"^arn:aws[a-zA-Z-]*:s3:::([^/*?]+)$", source_arn or "")
    return m.group(1) if m else None


def _read(aws, target: Target, policy: list[dict], consumed: set[str]) -> list[Trigger]:
    from botocore.exceptions import ClientError

    by_bucket: dict[str, list[dict]] = {}
    for r in policy:
        if r["principal"] == "s3.amazonaws.com" and bucket_of(r["source_arn"]):
            by_bucket.setdefault(bucket_of(r["source_arn"]), []).append(r)
    out = []
    for bucket, stmts in sorted(by_bucket.items()):
        try:
            doc = get_notifications(aws, bucket)
        except NotFoundError:
            continue      # left as "permission only"
        except ClientError:
            continue
        mine = [c for c in doc.get("LambdaFunctionConfigurations") or [] if c.get("LambdaFunctionArn") == target.arn]
        if not mine:
            continue
        consumed.update(r["statement_id"] for r in stmts)
        for c in mine:
            prefix, suffix = filter_of(c)
            cid = c.get("Id") or ""
            details = {"events": c.get("Events") or []}
            details.update({k: v for k, v in (("prefix", prefix), ("suffix", suffix)) if v})
            out.append(Trigger(cid or f"s3://{bucket}", "s3", f"s3://{bucket}", "enabled",
                               cid.startswith(SID_PREFIX), details,
                               key=cid, ref={"how": "s3", "bucket": bucket, "config_id": cid}))
    return out


def _remove(aws, target: Target, t: Trigger) -> tuple[list[str], dict]:
    bucket = t.ref["bucket"]
    doc = get_notifications(aws, bucket)
    lambdas = list(doc.get("LambdaFunctionConfigurations") or [])
    keep = [c for c in lambdas if not (c.get("Id") == t.ref["config_id"] and c.get("LambdaFunctionArn") == target.arn)]
    if len(keep) != len(lambdas):
        new_doc = dict(doc)
        new_doc["LambdaFunctionConfigurations"] = keep
        put_notifications(aws, bucket, new_doc)
    removed_perms: list[str] = []
    if not any(c.get("LambdaFunctionArn") == target.arn for c in keep):
        policy = read_policy(aws, target.name, target.qualifier)
        arn = bucket_arn(aws, bucket)
        removed_perms = remove_managed(
            aws, target.name, policy,
            lambda r: r["principal"] == "s3.amazonaws.com" and r["source_arn"] == arn, target.qualifier)
    return removed_perms, {}


class S3Kind(TriggerKind):
    kinds = ("s3",)
    how = "s3"

    def key(self, target, spec):
        return s3_config_id(target, spec)

    def ensure(self, aws, target, spec, dry_run, *, ignore_ids=frozenset(), replace=False):
        return _ensure_s3(aws, target, spec, dry_run, ignore_ids)

    def read(self, aws, target, policy, consumed):
        return _read(aws, target, policy, consumed)

    def remove(self, aws, target, t):
        return _remove(aws, target, t)


KIND = S3Kind()


# --- the live state (read by core/resources/reader.py) -----------------------------------------------

def policy_buckets(policy: list[dict]) -> list[str]:
    """The buckets the function's policy lets S3 invoke it from (their notifications say how)."""
    return sorted({bucket_of(r["source_arn"]) for r in policy
                   if r["principal"] == "s3.amazonaws.com" and bucket_of(r["source_arn"])})


def live(target_arn: str, docs: dict[str, dict], policy: list[dict], used: dict[str, str]) -> list:
    """The model's S3 triggers from each bucket's notification configuration (``docs`` by bucket);
    records in ``used`` which statement explains which trigger."""
    from lambdactl.core.model import S3Trigger

    out: list = []
    for bucket in policy_buckets(policy):
        doc = docs.get(bucket) or {}
        mine = [c for c in doc.get("LambdaFunctionConfigurations") or [] if c.get("LambdaFunctionArn") == target_arn]
        for c in mine:
            prefix, suffix = filter_of(c)
            cid = c.get("Id") or None
            out.append(S3Trigger(bucket=bucket, events=tuple(c.get("Events") or ()), prefix=prefix or None,
                                 suffix=suffix or None, config_id=cid,
                                 managed=bool(cid and cid.startswith("lambdactl-"))))
        if mine:
            key = out[-len(mine)].key
            for r in policy:
                if r["principal"] == "s3.amazonaws.com" and bucket_of(r["source_arn"]) == bucket:
                    used.setdefault(r["statement_id"], key)
    return out
