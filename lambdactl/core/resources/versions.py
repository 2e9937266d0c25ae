"""Published versions: publish (without duplicates), list with alias routing, prune.

- :func:`publish_version` waits until the function is ready, compares ``$LATEST`` with the newest
  published version (CodeSha256 and the configuration fields that change behaviour) and returns that
  version instead of publishing a duplicate (``force=True`` publishes anyway). The publish call
  carries ``CodeSha256`` and ``RevisionId`` guards so that exactly the code/configuration that was
  inspected gets published.
- :func:`list_versions` returns one record per published version with the aliases routing to it.
- :func:`prune_versions` deletes old versions, never one an alias routes any traffic to.
"""
from __future__ import annotations

from typing import Any

from lambdactl.aws import AwsSession, retry, wait_function_ready
from lambdactl.errors import NotFoundError, OperationError, UsageError
from lambdactl.fmt import iso

ACCOUNT_CODE_STORAGE_GB = 75   # default Lambda code storage quota per account and region


# --- reading --------------------------------------------------------------------------------

def function_not_found(name: str) -> NotFoundError:
    return NotFoundError(f"function not found: {name}",
                         hint="check the name and region; 'lambdactl ls' lists the functions")


def _is_not_found(exc: BaseException) -> bool:
    from lambdactl.aws import error_code

    return error_code(exc) == "ResourceNotFoundException"


def api_name(aws: AwsSession, name: str) -> str:
    """The bare name for a full ARN of this session's account and region, else ``name`` unchanged.

    Equivalent for AWS, but some emulators (moto) answer ListVersionsByFunction/ListAliases
    called with a full ARN with nothing or "function not found".
    """
    import re

    m = re.match(r"^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]{1,64})$", name or "")
    if not m or m.group(1) != aws.region:
        return name
    try:
        same_account = m.group(2) == aws.account_id
    except Exception:   # no identity: keep the ARN as given
        return name
    return m.group(3) if same_account else name


def get_versions(aws: AwsSession, name: str) -> list[dict]:
    """Published versions (no ``$LATEST``), oldest first. NotFoundError if the function is missing."""
    from botocore.exceptions import ClientError

    lam = aws.client("lambda")
    out: list[dict] = []
    try:
        for page in lam.get_paginator("list_versions_by_function").paginate(FunctionName=api_name(aws, name)):
            out.extend(v for v in page.get("Versions", []) if v.get("Version") != "$LATEST")
    except ClientError as exc:
        if _is_not_found(exc):
            raise function_not_found(name) from None
        raise
    out.sort(key=lambda v: int(v["Version"]))
    return out


def get_aliases(aws: AwsSession, name: str) -> list[dict]:
    """The function's aliases (raw AliasConfiguration dicts), sorted by name."""
    from botocore.exceptions import ClientError

    lam = aws.client("lambda")
    out: list[dict] = []
    try:
        for page in lam.get_paginator("list_aliases").paginate(FunctionName=api_name(aws, name)):
            out.extend(page.get("Aliases", []))
    except ClientError as exc:
        if _is_not_found(exc):
            raise function_not_found(name) from None
        raise
    out.sort(key=lambda a: a["Name"])
    return out


def newest_version(aws: AwsSession, name: str) -> dict | None:
    versions = get_versions(aws, name)
    return versions[-1] if versions else None


def percent(weight: float) -> float | int:
    """0.1 → 10, 0.025 → 2.5 (an int when whole)."""
    p = round(float(weight) * 100, 4)
    return int(p) if p == int(p) else p


def alias_routes(alias: dict) -> dict[str, float | int]:
    """{version: percent} for every version the alias sends traffic to (primary first)."""
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    extra = {str(v): percent(w) for v, w in weights.items()}
    primary_share = 100 - sum(extra.values())
    primary_share = int(primary_share) if primary_share == int(primary_share) else round(primary_share, 4)
    routes: dict[str, float | int] = {str(alias["FunctionVersion"]): primary_share}
    routes.update(extra)
    return routes


def routed_versions(aliases: list[dict]) -> dict[str, list[str]]:
    """{version: [alias names]} for every version any alias routes traffic to (weight 0 counts)."""
    out: dict[str, list[str]] = {}
    for a in aliases:
        for v in alias_routes(a):
            out.setdefault(v, []).append(a["Name"])
    return out


def list_versions(aws: AwsSession, name: str) -> list[dict]:
    """One record per published version, newest first, with the aliases pointing at it."""
    versions = get_versions(aws, name)
    aliases = get_aliases(aws, name)
    pointing: dict[str, list[dict]] = {}
    for a in aliases:
        for v, share in alias_routes(a).items():
            pointing.setdefault(v, []).append({"name": a["Name"], "percent": share})
    out = []
    for v in reversed(versions):
        num = v["Version"]
        out.append({
            "version": num,
            "last_modified": iso(v.get("LastModified")),
            "code_sha256": v.get("CodeSha256"),
            "code_size": v.get("CodeSize"),
            "description": v.get("Description") or "",
            "aliases": pointing.get(num, []),
        })
    return out


def show_version(aws: AwsSession, name: str, version: str, *, show_secrets: bool = False) -> dict:
    """One published version: its configuration (secret-looking environment values masked unless
    ``show_secrets``), code sha/size and the aliases routing to it (with their share).

    NotFoundError when the function or the version does not exist.
    """
    from lambdactl.secrets import mask_env
    from lambdactl.core.resources.functions import get_configuration

    fname = api_name(aws, name)
    cfg = get_configuration(aws, fname, str(version))
    if cfg is None:
        if get_configuration(aws, fname) is None:
            raise function_not_found(name)
        newest = newest_version(aws, fname)
        raise NotFoundError(f"version {version} of {name} does not exist",
                            hint=(f"the newest published version is {newest['Version']}; "
                                  f"'lambdactl versions {name}' lists them") if newest
                            else f"nothing is published yet: run 'lambdactl publish {name}'")
    fname = cfg.get("FunctionName") or fname
    aliases = []
    for a in get_aliases(aws, fname):
        share = alias_routes(a).get(str(cfg.get("Version")))
        if share is not None:
            aliases.append({"name": a["Name"], "percent": share})
    env = (cfg.get("Environment") or {}).get("Variables") or {}
    return {
        "function": fname,
        "version": cfg.get("Version"),
        "arn": cfg.get("FunctionArn"),
        "description": cfg.get("Description") or "",
        "last_modified": iso(cfg.get("LastModified")),
        "code_sha256": cfg.get("CodeSha256"),
        "code_size": cfg.get("CodeSize"),
        "package_type": cfg.get("PackageType") or "Zip",
        "runtime": cfg.get("Runtime"),
        "handler": cfg.get("Handler"),
        "architecture": (cfg.get("Architectures") or ["x86_64"])[0],
        "memory": cfg.get("MemorySize"),
        "timeout": cfg.get("Timeout"),
        "ephemeral_storage": (cfg.get("EphemeralStorage") or {}).get("Size", 512),
        "role": cfg.get("Role"),
        "layers": [layer.get("Arn") for layer in cfg.get("Layers") or []],
        "environment": mask_env(env, show_secrets),
        "tracing": (cfg.get("TracingConfig") or {}).get("Mode"),
        "state": cfg.get("State", "Active"),
        "aliases": aliases,
    }


# --- publishing -----------------------------------------------------------------------------

def _norm_config(cfg: dict) -> dict[str, Any]:
    """The parts of a configuration that make two versions behave differently."""
    vpc = cfg.get("VpcConfig") or {}
    snap = cfg.get("SnapStart") or {}
    tracing = (cfg.get("TracingConfig") or {}).get("Mode") or "PassThrough"
    return {
        "code_sha256": cfg.get("CodeSha256"),
        "package_type": cfg.get("PackageType") or "Zip",
        "runtime": cfg.get("Runtime"),
        "handler": cfg.get("Handler"),
        "memory": cfg.get("MemorySize"),
        "timeout": cfg.get("Timeout"),
        "role": cfg.get("Role"),
        "environment": ((cfg.get("Environment") or {}).get("Variables") or {}),
        "layers": [layer.get("Arn") for layer in cfg.get("Layers") or []],
        "architectures": cfg.get("Architectures") or ["x86_64"],
        "ephemeral_storage": (cfg.get("EphemeralStorage") or {}).get("Size", 512),
        "tracing": tracing,
        "vpc": (sorted(vpc.get("SubnetIds") or []), sorted(vpc.get("SecurityGroupIds") or [])),
        "dead_letter": (cfg.get("DeadLetterConfig") or {}).get("TargetArn"),
        "kms_key": cfg.get("KMSKeyArn"),
        "file_systems": sorted((f.get("Arn"), f.get("LocalMountPath"))
                               for f in cfg.get("FileSystemConfigs") or []),
        "image_config": (cfg.get("ImageConfigResponse") or {}).get("ImageConfig"),
        "snap_start": snap.get("ApplyOn") or "None",
    }


def config_differences(latest: dict, version: dict) -> list[str]:
    """Names of the behaviour-relevant fields that differ between ``$LATEST`` and a version."""
    a, b = _norm_config(latest), _norm_config(version)
    return [k for k in a if a[k] != b[k]]


def version_record(name: str, v: dict, status: str, message: str = "") -> dict:
    return {
        "function": name,
        "version": v.get("Version"),
        "status": status,
        "arn": v.get("FunctionArn"),
        "code_sha256": v.get("CodeSha256"),
        "code_size": v.get("CodeSize"),
        "description": v.get("Description") or "",
        "last_modified": iso(v.get("LastModified")),
        "message": message,
    }


def publish_version(aws: AwsSession, name: str, description: str | None = None,
                    force: bool = False) -> dict:
    """Publish ``$LATEST`` as a new version, unless it is identical to the newest version.

    Returns a record with ``version`` and ``status``: ``published`` (a new version), or
    ``unchanged`` (``$LATEST`` equals the newest version, which is returned; also when AWS itself
    declined to create a duplicate under ``force``).
    """
    from botocore.exceptions import ClientError

    if description is not None and len(description) > 256:
        raise UsageError("--description is longer than 256 characters", hint="shorten it")
    try:
        latest = wait_function_ready(aws, name)
    except ClientError as exc:
        if _is_not_found(exc):
            raise function_not_found(name) from None
        raise
    fname = latest.get("FunctionName") or name
    newest = newest_version(aws, fname)
    if newest is not None and not force:
        diff = config_differences(latest, newest)
        if not diff:
            return version_record(fname, newest, "unchanged",
                                  f"$LATEST is identical to version {newest['Version']}; nothing published "
                                  f"(use --force to publish anyway)")
    kwargs: dict[str, Any] = {"FunctionName": fname, "CodeSha256": latest["CodeSha256"]}
    if latest.get("RevisionId"):
        kwargs["RevisionId"] = latest["RevisionId"]
    if description is not None:
        kwargs["Description"] = description
    lam = aws.client("lambda")
    try:
        v = retry(lambda: lam.publish_version(**kwargs))
    except ClientError as exc:
        from lambdactl.aws import error_code

        code = error_code(exc)
        if code == "PreconditionFailedException" or (
                code == "InvalidParameterValueException" and "CodeSha256" in str(exc)):
            raise OperationError(f"$LATEST of {fname} changed while publishing; nothing was published",
                                 hint="re-run 'lambdactl publish' to publish the current $LATEST") from None
        if _is_not_found(exc):
            raise function_not_found(fname) from None
        raise
    if newest is not None and str(v.get("Version")) == str(newest["Version"]):
        return version_record(fname, v, "unchanged",
                              f"AWS returned the existing version {v['Version']} (Lambda does not publish "
                              f"a duplicate of identical code and configuration)")
    return version_record(fname, v, "published", f"published version {v['Version']}")


# --- pruning --------------------------------------------------------------------------------

def plan_prune(aws: AwsSession, name: str, keep: int) -> dict:
    """Which versions prune would delete and which it keeps (and why). Read-only."""
    if keep < 0:
        raise UsageError(f"--keep {keep}: must be 0 or more", hint="e.g. --keep 5 keeps the 5 newest versions")
    versions = get_versions(aws, name)
    routed = routed_versions(get_aliases(aws, name))
    newest_first = list(reversed(versions))
    delete, kept = [], []
    for i, v in enumerate(newest_first):
        num = v["Version"]
        rec = {"version": num, "code_size": v.get("CodeSize") or 0,
               "last_modified": iso(v.get("LastModified")), "description": v.get("Description") or ""}
        if num in routed:
            kept.append({**rec, "reason": "routed by alias " + ", ".join(routed[num])})
        elif i < keep:
            kept.append({**rec, "reason": f"among the {keep} newest"})
        else:
            delete.append(rec)
    return {"function": name, "keep": keep, "delete": delete, "kept": kept}


def prune_versions(aws: AwsSession, name: str, keep: int, *, dry_run: bool = False,
                   plan: dict | None = None) -> dict:
    """Delete versions older than the ``keep`` newest, never one an alias routes traffic to.

    Aliases are read again right before deleting, so a version routed in the meantime survives.
    """
    from botocore.exceptions import ClientError

    plan = plan or plan_prune(aws, name, keep)
    deleted: list[dict] = []
    skipped: list[dict] = []
    if not dry_run and plan["delete"]:
        routed = routed_versions(get_aliases(aws, name))
        lam = aws.client("lambda")
        for rec in plan["delete"]:
            num = rec["version"]
            if num in routed:
                skipped.append({**rec, "reason": "now routed by alias " + ", ".join(routed[num])})
                continue
            try:
                retry(lambda: lam.delete_function(FunctionName=name, Qualifier=num))
            except ClientError as exc:
                if _is_not_found(exc):
                    skipped.append({**rec, "reason": "already deleted"})
                    continue
                from lambdactl.errors import translate_client_error

                err = translate_client_error(exc)
                err.applied = [f"deleted version {d['version']}" for d in deleted]
                raise err from None
            deleted.append(rec)
    targets = plan["delete"] if dry_run else deleted
    freed = sum(int(r.get("code_size") or 0) for r in targets)
    return {
        "function": name,
        "keep": keep,
        "dry_run": dry_run,
        "deleted": deleted,
        "would_delete": plan["delete"] if dry_run else [],
        "kept": plan["kept"] + skipped,
        "freed_bytes": freed,
        "account_storage_limit_gb": ACCOUNT_CODE_STORAGE_GB,
    }
