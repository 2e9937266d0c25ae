"""The automatic execution role: ``lambdactl-<function>-role``.

When the project file leaves ``role`` empty (or ``create`` gets no ``--role``), lambdactl creates
(or reuses) a role that Lambda may assume and that may only write the function's own logs:

- trust policy: ``lambda.amazonaws.com`` may ``sts:AssumeRole``;
- one inline policy ``lambdactl-logs`` (the AWSLambdaBasicExecutionRole permissions, all three
  actions — CreateLogGroup too — scoped to the function's log group ``/aws/lambda/<function>``).

A role of the generated name that already exists (made earlier, or by someone else) is reused only
when its trust policy lets ``lambda.amazonaws.com`` assume it (:func:`check_reused_role`).

A freshly created role is not assumable at once (IAM propagation): :func:`is_role_not_ready`
recognises Lambda's "cannot be assumed" error so callers can retry it (see
``core.deploy.call_with_role_retry``).
"""
from __future__ import annotations

import json
from typing import Any

from lambdactl.aws import AwsSession, error_code, retry
from lambdactl.core.model.naming import auto_role_name

LOG_POLICY_NAME = "lambdactl-logs"

TRUST_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }],
}


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
            {"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": [group, group + ":*"]},
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [group + ":*"]},
        ],
    }


def _as_list(v: Any) -> list:
    return v if isinstance(v, list) else [v] if v is not None else []


def trusts_lambda(doc: Any) -> bool:
    """Whether a trust policy (dict or JSON text, as IAM returns it) lets lambda.amazonaws.com
    ``sts:AssumeRole``: an Allow statement for that service principal and no Deny for it."""
    if isinstance(doc, str):
        from urllib.parse import unquote

        try:
            doc = json.loads(unquote(doc))
        except ValueError:
            return False
    if not isinstance(doc, dict):
        return False
    allowed = denied = False
    for st in _as_list(doc.get("Statement")):
        if not isinstance(st, dict):
            continue
        actions = [str(a).lower() for a in _as_list(st.get("Action"))]
        if not any(a in ("sts:assumerole", "sts:*", "*") for a in actions):
            continue
        principal = st.get("Principal")
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if principal != "*" and "lambda.amazonaws.com" not in services:
            continue
        if st.get("Effect") == "Allow":
            allowed = True
        elif st.get("Effect") == "Deny":
            denied = True
    return allowed and not denied


def check_reused_role(role: dict) -> str:
    """Refuse (exit 1) an existing role of the generated name that Lambda may not assume; else
    the note to show the user that it is being reused."""
    from lambdactl.errors import OperationError

    name = role.get("RoleName") or role_name_from_arn(role.get("Arn", ""))
    if not trusts_lambda(role.get("AssumeRolePolicyDocument")):
        raise OperationError(f"the existing role {name} does not let lambda.amazonaws.com assume it "
                             "(its trust policy): refusing to use it as the function's role",
                             hint=f"fix its trust policy (aws iam update-assume-role-policy --role-name {name}), "
                                  "delete it, or set [function] role to a role made for this function")
    return f"reusing the existing role {name}: its trust policy lets lambda.amazonaws.com assume it"


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
        check_reused_role(role)
    account = role["Arn"].split(":")[4] or None
    policy = json.dumps(logging_policy(aws, function, account))
    retry(lambda: iam.put_role_policy(RoleName=name, PolicyName=LOG_POLICY_NAME, PolicyDocument=policy))
    return role


def is_role_not_ready(exc: BaseException) -> bool:
    """Lambda's "The role defined for the function cannot be assumed by Lambda" (IAM propagation)."""
    if error_code(exc) != "InvalidParameterValueException":
        return False
    msg = ((getattr(exc, "response", None) or {}).get("Error", {}).get("Message") or "").lower()
    return "cannot be assumed" in msg or "role defined for the function" in msg


# --- permissions for the project's event sources and destinations --------------------------------

SOURCES_POLICY_NAME = "lambdactl-sources"
_SOURCE_ACTIONS = {
    "sqs": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
    "kinesis": ["kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:ListStreams",
                "kinesis:SubscribeToShard"],
    "dynamodb": ["dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream",
                 "dynamodb:ListStreams"],
}
_DEST_ACTIONS = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "lambda": "lambda:InvokeFunction",
                 "events": "events:PutEvents"}


def sources_policy(aws: AwsSession, project) -> dict | None:
    """Least-privilege statements the auto role needs for the project's [[triggers]] that poll
    (SQS, Kinesis, DynamoDB streams) and for its async destinations / DLQ; None when none."""
    if project is None:
        return None
    by_action: dict[tuple[str, ...], set[str]] = {}
    for t in getattr(project, "triggers", []) or []:
        if t.type not in _SOURCE_ACTIONS:
            continue
        arn = _source_arn(aws, t)
        if arn:
            by_action.setdefault(tuple(_SOURCE_ACTIONS[t.type]), set()).add(arn)
    f = project.function
    targets = [f.dead_letter] if f.dead_letter else []
    if f.async_ is not None:
        targets += [a for a in (f.async_.on_success, f.async_.on_failure) if a]
    targets += [t.options["on_failure"] for t in getattr(project, "triggers", []) or []  # stream mappings'
                if t.type in ("kinesis", "dynamodb") and isinstance(t.options.get("on_failure"), str)]
    for arn in targets:
        kind = arn.split(":")[2] if arn.count(":") >= 5 else ""
        if kind in _DEST_ACTIONS:
            by_action.setdefault((_DEST_ACTIONS[kind],), set()).add(arn)
    if not by_action:
        return None
    statements = [{"Effect": "Allow", "Action": list(actions) if len(actions) > 1 else actions[0],
                   "Resource": sorted(arns)} for actions, arns in sorted(by_action.items())]
    return {"Version": "2012-10-17", "Statement": statements}


def _source_arn(aws: AwsSession, t) -> str | None:
    o = t.options
    src = o.get("source") or o.get("queue") or o.get("stream") or ""
    part = aws.partition
    if t.type == "sqs":
        if src.startswith("arn:"):
            return src
        from lambdactl.core.resources.triggers.mappings import queue_arn

        return queue_arn(aws, src)
    if t.type == "kinesis":
        return src if src.startswith("arn:") else f"arn:{part}:kinesis:{aws.region}:{aws.account_id}:stream/{src}"
    if t.type == "dynamodb":
        if src.startswith("arn:"):
            return src
        table = o.get("table")
        return f"arn:{part}:dynamodb:{aws.region}:{aws.account_id}:table/{table}/stream/*" if table else None
    return None


def get_sources_policy(aws: AwsSession, role_name: str) -> dict | None:
    from botocore.exceptions import ClientError

    try:
        doc = retry(lambda: aws.client("iam").get_role_policy(RoleName=role_name,
                                                              PolicyName=SOURCES_POLICY_NAME))["PolicyDocument"]
    except ClientError as exc:
        if error_code(exc) in ("NoSuchEntity", "NoSuchEntityException"):
            return None
        raise
    if isinstance(doc, str):
        from urllib.parse import unquote

        doc = json.loads(unquote(doc))
    return doc


def put_sources_policy(aws: AwsSession, role_name: str, policy: dict | None) -> None:
    from botocore.exceptions import ClientError

    iam = aws.client("iam")
    if policy is None:
        try:
            retry(lambda: iam.delete_role_policy(RoleName=role_name, PolicyName=SOURCES_POLICY_NAME))
        except ClientError as exc:
            if error_code(exc) not in ("NoSuchEntity", "NoSuchEntityException"):
                raise
        return
    retry(lambda: iam.put_role_policy(RoleName=role_name, PolicyName=SOURCES_POLICY_NAME,
                                      PolicyDocument=json.dumps(policy)))
