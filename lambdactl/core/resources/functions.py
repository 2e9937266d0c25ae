"""Read and delete functions: the records behind ``ls``, ``info`` and ``delete``."""
from __future__ import annotations

from typing import Any

from lambdactl.aws import AwsSession, retry
from lambdactl.config import mask_env
from lambdactl.errors import NotFoundError, OperationError
from lambdactl.output import iso


def _not_found(name: str) -> NotFoundError:
    return NotFoundError(f"function not found: {name}",
                         hint="check the name and region; 'lambdactl ls' lists the functions")


def get_configuration(aws: AwsSession, name: str, qualifier: str | None = None) -> dict | None:
    """The function's configuration, or None if it does not exist."""
    from botocore.exceptions import ClientError

    kwargs: dict[str, Any] = {"FunctionName": name}
    if qualifier:
        kwargs["Qualifier"] = qualifier
    try:
        return retry(lambda: aws.client("lambda").get_function_configuration(**kwargs))
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise


def require_configuration(aws: AwsSession, name: str, qualifier: str | None = None) -> dict:
    cfg = get_configuration(aws, name, qualifier)
    if cfg is None:
        raise _not_found(f"{name}:{qualifier}" if qualifier else name)
    return cfg


def paginate(client, operation: str, key: str, **kwargs: Any) -> list:
    """Every item under ``key`` of every page of ``operation``, read with botocore's paginator
    (which follows NextToken/NextMarker and stops on a token received twice instead of looping).

    A listing only reads, so a retryable error (see :func:`lambdactl.aws.retry`) restarts it; a
    repeated token is an :class:`OperationError` (exit 1).
    """
    from botocore.exceptions import PaginationError

    def read_all() -> list:
        out: list = []
        for page in client.get_paginator(operation).paginate(**kwargs):
            out.extend(page.get(key) or [])
        return out

    try:
        return retry(read_all)
    except PaginationError:
        api = client.meta.method_to_api_mapping.get(operation, operation)
        raise OperationError(f"{client.meta.service_model.service_name}.{api}: the endpoint returned the same "
                             "page token twice; stopped paging",
                             hint="re-run; if it persists, the endpoint's pagination is broken") from None


def list_functions(aws: AwsSession) -> list[dict]:
    out = [function_summary(f) for f in paginate(aws.client("lambda"), "list_functions", "Functions")]
    out.sort(key=lambda r: r["name"])
    return out


def function_summary(f: dict) -> dict:
    return {
        "name": f["FunctionName"],
        "runtime": f.get("Runtime") or f.get("PackageType"),
        "memory": f.get("MemorySize"),
        "timeout": f.get("Timeout"),
        "architecture": (f.get("Architectures") or ["x86_64"])[0],
        "last_modified": iso(f.get("LastModified")),
        "code_size": f.get("CodeSize"),
        "state": f.get("State", "Active"),
    }


def list_versions(aws: AwsSession, name: str) -> list[dict]:
    return paginate(aws.client("lambda"), "list_versions_by_function", "Versions", FunctionName=name)


def list_aliases(aws: AwsSession, name: str) -> list[dict]:
    return paginate(aws.client("lambda"), "list_aliases", "Aliases", FunctionName=name)


def list_event_source_mappings(aws: AwsSession, name: str, source_arn: str | None = None) -> list[dict]:
    """The function's event source mappings (optionally one source's)."""
    kw: dict[str, Any] = {"FunctionName": name}
    if source_arn:
        kw["EventSourceArn"] = source_arn
    return paginate(aws.client("lambda"), "list_event_source_mappings", "EventSourceMappings", **kw)


def get_policy(aws: AwsSession, name: str, qualifier: str | None = None) -> dict:
    """The function's resource policy as a dict ({} when there is none)."""
    import json
    from botocore.exceptions import ClientError

    kwargs: dict[str, Any] = {"FunctionName": name}
    if qualifier:
        kwargs["Qualifier"] = qualifier
    try:
        resp = aws.client("lambda").get_policy(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return {}
        raise
    return json.loads(resp.get("Policy") or "{}")


def get_info(aws: AwsSession, name: str, qualifier: str | None = None, *, show_secrets: bool = False) -> dict:
    """Configuration, versions count, aliases, reserved concurrency, triggers count, URL."""
    from botocore.exceptions import ClientError

    cfg = require_configuration(aws, name, qualifier)
    fname = cfg["FunctionName"]
    lam = aws.client("lambda")
    versions = [v for v in list_versions(aws, fname) if v.get("Version") != "$LATEST"]
    aliases = list_aliases(aws, fname)
    try:
        reserved = lam.get_function_concurrency(FunctionName=fname).get("ReservedConcurrentExecutions")
    except ClientError:
        reserved = None
    try:
        mappings = list_event_source_mappings(aws, fname)
    except ClientError:
        mappings = []
    policy = get_policy(aws, fname)
    url = None
    try:
        url = lam.get_function_url_config(FunctionName=fname).get("FunctionUrl")
    except ClientError:
        url = None
    # Triggers: event source mappings + distinct policy statements with a source (S3, events, SNS...).
    sources = set()
    for st in policy.get("Statement", []):
        principal = st.get("Principal")
        svc = principal.get("Service") if isinstance(principal, dict) else principal
        cond = st.get("Condition", {})
        arn = (cond.get("ArnLike", {}) or {}).get("AWS:SourceArn") or (cond.get("ArnEquals", {}) or {}).get("AWS:SourceArn")
        if svc and arn:
            sources.add((svc, arn))
    env = (cfg.get("Environment") or {}).get("Variables") or {}
    return {
        "name": fname,
        "arn": cfg.get("FunctionArn"),
        "runtime": cfg.get("Runtime"),
        "handler": cfg.get("Handler"),
        "package_type": cfg.get("PackageType", "Zip"),
        "architecture": (cfg.get("Architectures") or ["x86_64"])[0],
        "memory": cfg.get("MemorySize"),
        "timeout": cfg.get("Timeout"),
        "ephemeral_storage": (cfg.get("EphemeralStorage") or {}).get("Size", 512),
        "role": cfg.get("Role"),
        "description": cfg.get("Description") or "",
        "state": cfg.get("State", "Active"),
        "last_update_status": cfg.get("LastUpdateStatus", "Successful"),
        "last_modified": iso(cfg.get("LastModified")),
        "code_sha256": cfg.get("CodeSha256"),
        "code_size": cfg.get("CodeSize"),
        "version": cfg.get("Version"),
        "layers": [layer["Arn"] for layer in cfg.get("Layers", [])],
        "environment": mask_env(env, show_secrets),
        "tracing": (cfg.get("TracingConfig") or {}).get("Mode"),
        "kms_key": cfg.get("KMSKeyArn") or None,
        "vpc": ({"subnets": (cfg.get("VpcConfig") or {}).get("SubnetIds") or [],
                 "security_groups": (cfg.get("VpcConfig") or {}).get("SecurityGroupIds") or []}
                if (cfg.get("VpcConfig") or {}).get("SubnetIds") else None),
        "dead_letter": (cfg.get("DeadLetterConfig") or {}).get("TargetArn") or None,
        "versions": len(versions),
        "aliases": [{"name": a["Name"], "version": a["FunctionVersion"],
                     "weights": (a.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}}
                    for a in aliases],
        "reserved_concurrency": reserved,
        "triggers": len(mappings) + len(sources) + (1 if url else 0),
        "url": url,
    }


def check_delete_qualifier(name: str, qualifier: str | None) -> None:
    """``delete name:QUALIFIER`` deletes one published version: refuse $LATEST and aliases (exit 2)."""
    from lambdactl.errors import UsageError

    if qualifier is not None and not qualifier.isdigit():
        hint = f"'lambdactl delete {name}' deletes the function with all its versions"
        if qualifier != "$LATEST":
            hint += f"; 'lambdactl alias delete {name} {qualifier}' removes an alias"
        raise UsageError(f"{name}:{qualifier}: delete takes a published version number after ':'", hint=hint)


def versions_in_use(aws: AwsSession, name: str, version: str) -> list[str]:
    """The aliases that route to ``version`` (AWS refuses to delete such a version)."""
    return [a["Name"] for a in list_aliases(aws, name)
            if a.get("FunctionVersion") == version
            or version in ((a.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {})]


def delete_function(aws: AwsSession, name: str, qualifier: str | None = None) -> dict:
    """Delete the function (or one version). Returns what was deleted."""
    from botocore.exceptions import ClientError

    from lambdactl.errors import OperationError

    check_delete_qualifier(name, qualifier)
    if qualifier:
        users = versions_in_use(aws, name, qualifier)
        if users:
            raise OperationError(f"version {qualifier} of {name} is used by alias {', '.join(users)}",
                                 hint=f"point the alias elsewhere first ('lambdactl alias set {name} {users[0]} "
                                      f"--version N') or delete it")

    kwargs: dict[str, Any] = {"FunctionName": name}
    if qualifier:
        kwargs["Qualifier"] = qualifier
    try:
        retry(lambda: aws.client("lambda").delete_function(**kwargs))
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            raise _not_found(f"{name}:{qualifier}" if qualifier else name)
        raise
    return {"name": name, "qualifier": qualifier, "status": "deleted"}
