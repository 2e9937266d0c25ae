"""The automatic execution role: ``lambdactl-<function>-role``.

When the project file leaves ``role`` empty (or ``create`` gets no ``--role``), lambdactl creates
(or reuses) a role that Lambda may assume and that may only write the function's own logs:

- trust policy: ``lambda.amazonaws.com`` may ``sts:AssumeRole``;
- one inline policy ``lambdactl-logs`` (the AWSLambdaBasicExecutionRole permissions, scoped to
  the function's log group ``/aws/lambda/<function>``).

A freshly created role is not assumable at once (IAM propagation): :func:`is_role_not_ready`
recognises Lambda's "cannot be assumed" error so callers can retry it (see
``core.deploy.call_with_role_retry``).
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from lambdactl.aws import AwsSession, error_code, retry

ROLE_PREFIX = "lambdactl-"
ROLE_SUFFIX = "-role"
LOG_POLICY_NAME = "lambdactl-logs"

TRUST_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }],
}


def auto_role_name(function: str) -> str:
    """``lambdactl-<function>-role``, shortened with a hash when over IAM's 64 characters."""
    name = f"{ROLE_PREFIX}{function}{ROLE_SUFFIX}"
    if len(name) <= 64:
        return name
    digest = hashlib.sha256(function.encode()).hexdigest()[:8]
    keep = 64 - len(ROLE_PREFIX) - len(ROLE_SUFFIX) - len(digest) - 1
    return f"{ROLE_PREFIX}{function[:keep]}-{digest}{ROLE_SUFFIX}"


def role_name_from_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if arn else ""


def role_arn(aws: AwsSession, name: str, account: str | None = None) -> str:
    return f"arn:{aws.partition}:iam::{account or aws.account_id}:role/{name}"


def logging_policy(aws: AwsSession, function: str, account: str | None = None) -> dict[str, Any]:
    """AWSLambdaBasicExecutionRole, scoped to this function's log group."""
    account = account or aws.account_id
    part, region = aws.partition, aws.region
    group = f"arn:{part}:logs:{region}:{account}:log-group:/aws/lambda/{function}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "logs:CreateLogGroup",
             "Resource": f"arn:{part}:logs:{region}:{account}:*"},
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [group + ":*"]},
        ],
    }


def get_role(aws: AwsSession, name: str) -> dict | None:
    """The role (``GetRole``'s ``Role``), or None when it does not exist."""
    from botocore.exceptions import ClientError

    try:
        return retry(lambda: aws.client("iam").get_role(RoleName=name))["Role"]
    except ClientError as exc:
        if error_code(exc) in ("NoSuchEntity", "NoSuchEntityException"):
            return None
        raise


def create_role(aws: AwsSession, function: str, name: str | None = None) -> dict:
    """Create the auto role with the trust policy and the logging policy. Returns the Role."""
    from botocore.exceptions import ClientError

    iam = aws.client("iam")
    name = name or auto_role_name(function)
    try:
        role = retry(lambda: iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY),
            Description=f"Execution role for Lambda function {function} (created by lambdactl)",
            Tags=[{"Key": "lambdactl:function", "Value": function}]))["Role"]
    except ClientError as exc:
        if error_code(exc) != "EntityAlreadyExists":
            raise
        role = get_role(aws, name)  # created concurrently: reuse it
        assert role is not None
    account = role["Arn"].split(":")[4] or None
    policy = json.dumps(logging_policy(aws, function, account))
    retry(lambda: iam.put_role_policy(RoleName=name, PolicyName=LOG_POLICY_NAME, PolicyDocument=policy))
    return role


def ensure_role(aws: AwsSession, function: str) -> tuple[str, bool]:
    """(ARN, created) of the auto role for ``function``: reuse it when present, else create it."""
    name = auto_role_name(function)
    role = get_role(aws, name)
    if role is not None:
        return role["Arn"], False
    return create_role(aws, function, name)["Arn"], True


def is_role_not_ready(exc: BaseException) -> bool:
    """Lambda's "The role defined for the function cannot be assumed by Lambda" (IAM propagation)."""
    if error_code(exc) != "InvalidParameterValueException":
        return False
    msg = ((getattr(exc, "response", None) or {}).get("Error", {}).get("Message") or "").lower()
    return "cannot be assumed" in msg or "role defined for the function" in msg
