"""A function's resource-based policy: read it, add statements with content-hash ids, remove them.

Statement ids that lambdactl adds are derived from the statement's content
(``lambdactl-<sha1[:12]>`` of principal, action, source ARN, source account, qualifier and any extra
condition), so adding the same permission twice is a no-op ("unchanged") and the trigger code can
find exactly the statements it added, and remove only those.

A service principal (``*.amazonaws.com``) without ``SourceArn`` or ``SourceAccount`` lets *any*
account's resources of that service invoke the function (the confused-deputy problem):
:func:`confused_deputy_warning` says so.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from lambdactl.errors import NotFoundError, OperationError, UsageError

SID_PREFIX = "lambdactl-"

SERVICE_PRINCIPAL_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$")
ACCOUNT_RE = re.compile(r"^\d{12}$")
IAM_PRINCIPAL_RE = re.compile(r"^arn:aws[a-zA-Z-]*:iam::\d{12}:(root|role/.+|user/.+)$")
ACTION_RE = re.compile(r"^lambda:[A-Za-z*]{1,64}$")
SOURCE_ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}|\*)?:.+$")
QUALIFIER_RE = re.compile(r"^(\$LATEST|[A-Za-z0-9_-]{1,128})$")
ORG_ID_RE = re.compile(r"^o-[a-z0-9]{10,32}$")

# Extra condition keys lambdactl knows how to add, normalised to lower case.
URL_AUTH_KEY = "lambda:functionurlauthtype"
VIA_URL_KEY = "lambda:invokedviafunctionurl"
ORG_KEY = "aws:principalorgid"


@dataclass(frozen=True)
class PermissionSpec:
    """One statement as ``AddPermission`` takes it."""

    principal: str
    action: str = "lambda:InvokeFunction"
    source_arn: str | None = None
    source_account: str | None = None
    qualifier: str | None = None
    function_url_auth_type: str | None = None     # NONE | AWS_IAM (with lambda:InvokeFunctionUrl)
    invoked_via_function_url: bool | None = None  # True: the public-URL lambda:InvokeFunction statement
    principal_org_id: str | None = None

    def extra_conditions(self) -> dict[str, str]:
        extra: dict[str, str] = {}
        if self.function_url_auth_type:
            extra[URL_AUTH_KEY] = self.function_url_auth_type
        if self.invoked_via_function_url is not None:
            extra[VIA_URL_KEY] = "true" if self.invoked_via_function_url else "false"
        if self.principal_org_id:
            extra[ORG_KEY] = self.principal_org_id
        return extra

    @property
    def statement_id(self) -> str:
        """``lambdactl-<sha1[:12]>`` of the statement's content (stable across runs)."""
        doc = {"principal": _norm_principal(self.principal), "action": self.action,
               "source_arn": self.source_arn or "", "source_account": self.source_account or "",
               "qualifier": self.qualifier or "", "conditions": self.extra_conditions()}
        digest = hashlib.sha1(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        return SID_PREFIX + digest[:12]

    def add_permission_kwargs(self, function: str) -> dict[str, Any]:
        kw: dict[str, Any] = {"FunctionName": function, "StatementId": self.statement_id,
                              "Action": self.action, "Principal": self.principal}
        if self.source_arn:
            kw["SourceArn"] = self.source_arn
        if self.source_account:
            kw["SourceAccount"] = self.source_account
        if self.qualifier:
            kw["Qualifier"] = self.qualifier
        if self.function_url_auth_type:
            kw["FunctionUrlAuthType"] = self.function_url_auth_type
        if self.invoked_via_function_url is not None:
            kw["InvokedViaFunctionUrl"] = self.invoked_via_function_url
        if self.principal_org_id:
            kw["PrincipalOrgID"] = self.principal_org_id
        return kw

    def matches(self, record: dict) -> bool:
        """True when a parsed policy statement (see :func:`parse_statement`) grants the same."""
        return (record.get("effect", "Allow") == "Allow"
                and _norm_principal(record.get("principal") or "") == _norm_principal(self.principal)
                and record.get("action") == self.action
                and (record.get("source_arn") or None) == (self.source_arn or None)
                and (record.get("source_account") or None) == (self.source_account or None)
                and {k.lower(): str(v) for k, v in (record.get("conditions") or {}).items()}
                == self.extra_conditions())


def _norm_principal(p: str) -> str:
    m = re.match(r"^arn:aws[a-zA-Z-]*:iam::(\d{12}):root$", p or "")
    return m.group(1) if m else (p or "")


def is_service_principal(principal: str) -> bool:
    return bool(SERVICE_PRINCIPAL_RE.match(principal or ""))


def validate(spec: PermissionSpec) -> PermissionSpec:
    """Check every field locally; raises UsageError (exit 2) naming the bad one."""
    p = spec.principal
    if not p or not (p == "*" or is_service_principal(p) or ACCOUNT_RE.match(p) or IAM_PRINCIPAL_RE.match(p)):
        raise UsageError(f"invalid principal {p!r}",
                         hint="a service (s3.amazonaws.com), an account id (123456789012), "
                              "an IAM ARN (arn:aws:iam::123456789012:root) or '*'")
    if not ACTION_RE.match(spec.action or ""):
        raise UsageError(f"invalid action {spec.action!r}",
                         hint="a Lambda action, e.g. lambda:InvokeFunction, lambda:InvokeFunctionUrl")
    if spec.source_arn is not None and not SOURCE_ARN_RE.match(spec.source_arn):
        raise UsageError(f"invalid source ARN {spec.source_arn!r}",
                         hint="e.g. arn:aws:s3:::my-bucket or arn:aws:events:us-east-1:123456789012:rule/name")
    if spec.source_account is not None and not ACCOUNT_RE.match(spec.source_account):
        raise UsageError(f"invalid source account {spec.source_account!r}", hint="a 12-digit AWS account id")
    if spec.qualifier is not None and not QUALIFIER_RE.match(spec.qualifier):
        raise UsageError(f"invalid qualifier {spec.qualifier!r}", hint="a version number or an alias name")
    if spec.function_url_auth_type is not None and spec.function_url_auth_type not in ("NONE", "AWS_IAM"):
        raise UsageError(f"invalid function URL auth type {spec.function_url_auth_type!r}",
                         hint="allowed values: NONE, AWS_IAM")
    if spec.principal_org_id is not None and not ORG_ID_RE.match(spec.principal_org_id):
        raise UsageError(f"invalid organization id {spec.principal_org_id!r}", hint="form: o-abcdefghij")
    return spec


def confused_deputy_warning(spec: PermissionSpec) -> str | None:
    """A warning when a service principal is not pinned to a source (None when fine)."""
    if spec.principal == "*" and spec.action in ("lambda:InvokeFunction", "lambda:*") \
            and not spec.source_arn and not spec.source_account and not spec.principal_org_id \
            and spec.invoked_via_function_url is None:
        return "principal '*' without conditions lets anyone with AWS credentials invoke this function"
    if not is_service_principal(spec.principal):
        return None
    svc = spec.principal.split(".", 1)[0]
    if not spec.source_arn and not spec.source_account and not spec.principal_org_id:
        return (f"{spec.principal} is allowed without --source-arn or --source-account: any {svc} "
                f"resource, in any account, can invoke this function (confused deputy); "
                f"pin it with --source-arn (and --source-account)")
    if svc == "s3" and spec.source_arn and not spec.source_account:
        return ("S3 bucket ARNs carry no account id: without --source-account a bucket of that name in "
                "another account could invoke this function (confused deputy)")
    return None


# --- reading the policy ---------------------------------------------------------------------

def parse_statement(st: dict) -> dict:
    """A policy statement as a flat record (snake_case keys)."""
    principal = st.get("Principal")
    if isinstance(principal, dict):
        principal = principal.get("Service") or principal.get("AWS") or principal.get("Federated") \
            or json.dumps(principal)
    if isinstance(principal, list):
        principal = ",".join(principal)
    action = st.get("Action")
    if isinstance(action, list):
        action = ",".join(action)
    source_arn = source_account = None
    conditions: dict[str, str] = {}
    for _op, kv in (st.get("Condition") or {}).items():
        if not isinstance(kv, dict):
            continue
        for k, v in kv.items():
            if isinstance(v, list) and len(v) == 1:
                v = v[0]
            lk = k.lower()
            if lk == "aws:sourcearn":
                source_arn = v
            elif lk == "aws:sourceaccount":
                source_account = v
            else:
                conditions[_cond_name(k)] = _cond_value(v)
    # Some emulators keep the AddPermission fields as top-level keys instead of conditions.
    if "FunctionUrlAuthType" in st:
        conditions["lambda:FunctionUrlAuthType"] = _cond_value(st["FunctionUrlAuthType"])
    if "InvokedViaFunctionUrl" in st:
        conditions["lambda:InvokedViaFunctionUrl"] = _cond_value(st["InvokedViaFunctionUrl"])
    sid = st.get("Sid") or ""
    resource = st.get("Resource") or ""
    return {
        "statement_id": sid,
        "effect": st.get("Effect", "Allow"),
        "principal": principal,
        "action": action,
        "source_arn": source_arn,
        "source_account": source_account,
        "conditions": conditions,
        "resource": resource,
        "managed": sid.startswith(SID_PREFIX),
    }


def _cond_name(k: str) -> str:
    low = k.lower()
    return {URL_AUTH_KEY: "lambda:FunctionUrlAuthType", VIA_URL_KEY: "lambda:InvokedViaFunctionUrl",
            ORG_KEY: "aws:PrincipalOrgID"}.get(low, k)


def _cond_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else json.dumps(v)


def read_policy(aws, function: str, qualifier: str | None = None) -> list[dict]:
    """The function's policy statements as records ([] when it has no policy).

    Raises NotFoundError when the function itself does not exist.
    """
    from botocore.exceptions import ClientError

    from lambdactl.aws import retry

    kw: dict[str, Any] = {"FunctionName": function}
    if qualifier:
        kw["Qualifier"] = qualifier
    lam = aws.client("lambda")
    try:
        resp = retry(lambda: lam.get_policy(**kw))
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        msg = exc.response["Error"].get("Message", "")
        if "function not found" in msg.lower() or "alias not found" in msg.lower():
            raise _function_not_found(function, qualifier)
        # "no policy" and "no function" share the code: tell them apart.
        from lambdactl.core.resources.functions import get_configuration

        if get_configuration(aws, function, qualifier) is None:
            raise _function_not_found(function, qualifier)
        return []
    doc = json.loads(resp.get("Policy") or "{}")
    sts = doc.get("Statement") or []
    if isinstance(sts, dict):
        sts = [sts]
    return [parse_statement(st) for st in sts]


def _function_not_found(function: str, qualifier: str | None) -> NotFoundError:
    what = f"{function}:{qualifier}" if qualifier else function
    return NotFoundError(f"function not found: {what}",
                         hint="check the name and region; 'lambdactl ls' lists the functions")


def list_permissions(aws, function: str, qualifier: str | None = None) -> list[dict]:
    """Records for ``permission list`` (statement_id, principal, action, source_arn, ...)."""
    out = []
    for r in read_policy(aws, function, qualifier):
        out.append({k: r[k] for k in ("statement_id", "principal", "action", "source_arn",
                                       "source_account", "conditions", "effect", "managed")})
    return out


# --- changing it ------------------------------------------------------------------------------

def ensure_permission(aws, function: str, spec: PermissionSpec, *, dry_run: bool = False,
                      policy: list[dict] | None = None) -> dict:
    """Add ``spec`` unless the policy already grants it. Returns ``{statement_id, status}``.

    ``status`` is ``created`` or ``unchanged`` (with ``dry_run``: what would happen).
    """
    validate(spec)
    sid = spec.statement_id
    records = policy if policy is not None else read_policy(aws, function, spec.qualifier)
    for r in records:
        if r["statement_id"] == sid or spec.matches(r):
            return {"statement_id": r["statement_id"], "status": "unchanged"}
    if dry_run:
        return {"statement_id": sid, "status": "created"}
    from botocore.exceptions import ClientError

    from lambdactl.aws import retry

    lam = aws.client("lambda")
    kw = spec.add_permission_kwargs(function)

    def call():
        try:
            lam.add_permission(**kw)
            return "created"
        except ClientError as exc:
            err = exc.response["Error"]
            if err.get("Code") == "ResourceConflictException" and "already exists" in err.get("Message", ""):
                return "unchanged"   # a concurrent run added the same statement
            raise

    try:
        status = retry(call)
    except ClientError as exc:
        code = exc.response["Error"].get("Code")
        if code == "ResourceNotFoundException":
            raise _function_not_found(function, spec.qualifier)
        if code == "PolicyLengthExceededException":
            raise OperationError(f"the resource policy of {function} is full (20 KB)",
                                 hint="remove unused statements with 'lambdactl permission remove'")
        raise
    return {"statement_id": sid, "status": status}


def add_permission(aws, function: str, spec: PermissionSpec) -> dict:
    """``permission add``: the record of the statement plus ``status`` and any ``warning``."""
    result = ensure_permission(aws, function, spec)     # validates spec before any AWS call
    return {"function": function, "statement_id": result["statement_id"], "status": result["status"],
            "principal": spec.principal, "action": spec.action, "source_arn": spec.source_arn,
            "source_account": spec.source_account, "qualifier": spec.qualifier,
            "warning": confused_deputy_warning(spec)}


def remove_statement(aws, function: str, statement_id: str, qualifier: str | None = None) -> None:
    """RemovePermission for one statement id (no existence check)."""
    from lambdactl.aws import retry

    kw: dict[str, Any] = {"FunctionName": function, "StatementId": statement_id}
    if qualifier:
        kw["Qualifier"] = qualifier
    lam = aws.client("lambda")
    retry(lambda: lam.remove_permission(**kw))


def remove_permission(aws, function: str, statement_id: str, qualifier: str | None = None) -> dict:
    """``permission remove``: remove one statement; NotFoundError (exit 3) when it is not there."""
    if not statement_id or not re.match(r"^[A-Za-z0-9_.-]{1,100}$", statement_id):
        raise UsageError(f"invalid statement id {statement_id!r}",
                         hint="see the ids with 'lambdactl permission list'")
    if qualifier is not None and not QUALIFIER_RE.match(qualifier):
        raise UsageError(f"invalid qualifier {qualifier!r}", hint="a version number or an alias name")
    records = read_policy(aws, function, qualifier)
    if not any(r["statement_id"] == statement_id for r in records):
        raise NotFoundError(f"no statement {statement_id!r} in the resource policy of {function}"
                            + (f":{qualifier}" if qualifier else ""),
                            hint=f"'lambdactl permission list {function}' shows the statement ids")
    remove_statement(aws, function, statement_id, qualifier)
    return {"function": function, "statement_id": statement_id, "qualifier": qualifier, "status": "deleted"}


def remove_managed(aws, function: str, records: list[dict], predicate, qualifier: str | None = None,
                   *, dry_run: bool = False) -> list[str]:
    """Remove the lambdactl-added statements for which ``predicate(record)`` is true.

    Returns the removed statement ids. Statements lambdactl did not add are never touched.
    """
    removed = []
    for r in records:
        if r["managed"] and predicate(r):
            if not dry_run:
                from botocore.exceptions import ClientError

                try:
                    remove_statement(aws, function, r["statement_id"], qualifier)
                except ClientError as exc:
                    if exc.response["Error"].get("Code") != "ResourceNotFoundException":
                        raise
            removed.append(r["statement_id"])
    return removed
