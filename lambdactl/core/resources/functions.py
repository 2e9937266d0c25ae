"""Read and delete functions: the records behind ``ls`` and ``delete`` (``info``: :mod:`.info`)."""
from __future__ import annotations

from typing import Any

from lambdactl.aws import AwsSession, retry
from lambdactl.errors import NotFoundError, OperationError
from lambdactl.fmt import iso


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
