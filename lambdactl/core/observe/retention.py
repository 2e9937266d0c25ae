"""Log retention of a function's log group: show it, set it (creating the group for a function
that has not run yet) or remove it. The log group itself is resolved by :mod:`lambdactl.core.observe.logs`.
"""
from __future__ import annotations

from lambdactl.core.observe.logs import LogTarget, _translate
from lambdactl.errors import NotFoundError, UsageError

# Valid values of PutRetentionPolicy's retentionInDays.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                  2557, 2922, 3288, 3653)


def retention_label(days: int | None) -> str:
    return "never expire" if days is None else f"{days} day" + ("" if days == 1 else "s")


def parse_retention(value: str | int) -> int | None:
    """A valid retentionInDays, or None for ``never``; UsageError listing the valid values."""
    text = str(value).strip().lower()
    if text in ("never", "none", "0", "forever", "infinite"):
        return None
    valid = ", ".join(str(d) for d in RETENTION_DAYS)
    try:
        days = int(text)
    except ValueError:
        raise UsageError(f"--days {value!r} is not a number", hint=f"valid values: {valid} (or 'never')") from None
    if days not in RETENTION_DAYS:
        raise UsageError(f"--days {days} is not a CloudWatch Logs retention period",
                         hint=f"valid values: {valid} (or 'never')")
    return days


def describe_group(aws, group: str) -> dict | None:
    """The DescribeLogGroups entry for exactly ``group`` (None when missing)."""
    from botocore.exceptions import ClientError, PaginationError

    client = aws.client("logs")
    try:
        for resp in client.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=group):
            for g in resp.get("logGroups", []):
                if g.get("logGroupName") == group:
                    return g
        return None
    except PaginationError:     # the same nextToken twice
        return None
    except ClientError as exc:
        mine = _translate(exc, group, "DescribeLogGroups")
        if mine is not None:
            raise mine from None
        raise


def _retention_record(target: LogTarget, g: dict | None, status: str) -> dict:
    from lambdactl.fmt import iso

    days = (g or {}).get("retentionInDays")
    return {
        "function": target.function,
        "log_group": target.log_group,
        "retention_days": days,
        "retention": retention_label(days),
        "stored_bytes": (g or {}).get("storedBytes"),
        "created": iso((g or {}).get("creationTime")),
        "status": status,
    }


def get_retention(aws, target: LogTarget) -> dict:
    g = describe_group(aws, target.log_group)
    if g is None:
        raise _missing_group(target)
    return _retention_record(target, g, "ok")


def _missing_group(target: LogTarget) -> NotFoundError:
    if not target.function_exists:
        return NotFoundError(f"log group not found: {target.log_group}",
                             hint=f"function {target.function} does not exist either: check the name and the region (--region)")
    return NotFoundError(f"log group not found: {target.log_group}",
                         hint="has the function been invoked yet? Lambda creates the log group on the first "
                              "invocation ('logs retention --days N' creates it for an existing function)")


def set_retention(aws, target: LogTarget, days: int | None) -> dict:
    """Set (or with None remove) the retention. Idempotent: ``status`` is unchanged/updated/created.

    A missing group of an existing function is created first, so retention can be set before the
    first invocation (otherwise Lambda creates it with "never expire").
    """
    from botocore.exceptions import ClientError

    from lambdactl.aws import retry

    client = aws.client("logs")
    g = describe_group(aws, target.log_group)
    status = "updated"
    if g is None:
        if not target.function_exists:
            raise _missing_group(target)
        try:
            retry(lambda: client.create_log_group(logGroupName=target.log_group))
            g = {"logGroupName": target.log_group}         # new: no retention yet (read back below)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceAlreadyExistsException":
                mine = _translate(exc, target.log_group, "CreateLogGroup")
                if mine is not None:
                    raise mine from None
                raise
            g = describe_group(aws, target.log_group) or {"logGroupName": target.log_group}
        status = "created"
    elif g.get("retentionInDays") == days:
        return _retention_record(target, g, "unchanged")
    try:
        if days is None:
            if g.get("retentionInDays") is not None:
                retry(lambda: client.delete_retention_policy(logGroupName=target.log_group))
        else:
            retry(lambda: client.put_retention_policy(logGroupName=target.log_group, retentionInDays=days))
    except ClientError as exc:
        op = "DeleteRetentionPolicy" if days is None else "PutRetentionPolicy"
        mine = _translate(exc, target.log_group, op)
        if mine is not None:
            raise mine from None
        raise
    g = describe_group(aws, target.log_group) or g
    return _retention_record(target, g, status)
