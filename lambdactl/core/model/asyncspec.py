"""Asynchronous invocation settings as values: the checks the project file and the commands share
(retries, event age, destination ARNs). Pure: no AWS (core/resources/asyncconfig.py reads and writes them).
"""
from __future__ import annotations

import re

from lambdactl.errors import UsageError


def destination_kind(arn: str, allowed: tuple[str, ...], what: str) -> str:
    """Validate a destination ARN and return its service; UsageError names the allowed kinds."""
    m = re.match(r"^arn:aws[a-zA-Z-]*:([a-z0-9-]+):[a-z0-9-]*:(\d{12})?:.+$", arn or "")  # S3: no region
    if not m:
        raise UsageError(f"{what}: {arn!r} is not an ARN", hint=f"an ARN of: {', '.join(allowed)}")
    if m.group(1) not in allowed:
        raise UsageError(f"{what}: an ARN of {m.group(1)} is not allowed here",
                         hint=f"allowed: {', '.join(allowed)}")
    if not re.match(r"^arn:aws[a-zA-Z-]*:[a-z0-9-]+:[a-z0-9-]+:\d{12}:.+$", arn):
        raise UsageError(f"{what}: {arn!r} is not a complete {m.group(1)} ARN",
                         hint=f"arn:aws:{m.group(1)}:<region>:<account>:<name>")
    return m.group(1)


def validate(max_retries: int | None = None, max_event_age: int | None = None,
             on_success: str | None = None, on_failure: str | None = None) -> None:
    if max_retries is not None and not 0 <= max_retries <= 2:
        raise UsageError(f"--max-retries {max_retries} is out of range", hint="allowed range: 0..2")
    if max_event_age is not None and not 60 <= max_event_age <= 21600:
        raise UsageError(f"--max-event-age {max_event_age} is out of range", hint="allowed range: 60..21600 seconds")
    for flag, arn in (("--on-success", on_success), ("--on-failure", on_failure)):
        if arn:
            destination_kind(arn, ("sqs", "sns", "lambda", "events"), flag)
