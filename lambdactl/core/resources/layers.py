"""Lambda layers in AWS: publish a built layer without duplicates, list layers with where each
version is used, show versions, delete a version, and the deploy planner for ``[[layers.build]]``.

The build itself (requirements → a deterministic zip under ``python/``) is
:mod:`lambdactl.core.build.layers`; this module is the AWS side.

- :func:`publish_layer` compares the zip's SHA-256 (and the compatible runtimes/architectures and
  description) with the newest published version and returns that version ("unchanged")
  instead of publishing a duplicate.
- :func:`layer_usage` scans every function version's ``Layers`` once: layer version ARN →
  the functions that use it.
"""
from __future__ import annotations

from typing import Any, Callable

from lambdactl.core.build.layers import (LayerBuild, LayerSpec, build_layer, resolve_spec,
                                         split_version_arn)
from lambdactl.errors import NotFoundError, UsageError


# --- reading AWS -------------------------------------------------------------------------------

def _not_found(name: str, version: int | None = None) -> NotFoundError:
    if version is None:
        return NotFoundError(f"layer not found: {name}",
                             hint="check the name and region; 'lambdactl layer list' lists the layers")
    return NotFoundError(f"layer version not found: {name}:{version}",
                         hint=f"'lambdactl layer versions {name}' lists its versions")


def _is_not_found(exc: BaseException) -> bool:
    from lambdactl.aws import error_code

    status = (getattr(exc, "response", None) or {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(exc) == "ResourceNotFoundException" or status == 404


def list_versions_raw(aws, name: str) -> list[dict]:
    """The layer's versions (LayerVersionsListItem dicts), newest first; [] when none."""
    from botocore.exceptions import ClientError

    lam = aws.client("lambda")
    out: list[dict] = []
    try:
        for page in lam.get_paginator("list_layer_versions").paginate(LayerName=name):
            out.extend(page.get("LayerVersions", []))
    except ClientError as exc:
        if _is_not_found(exc):
            return []
        raise
    out.sort(key=lambda v: -int(v.get("Version", 0)))
    return out


def get_version(aws, name: str, version: int) -> dict | None:
    """GetLayerVersion (with Content.CodeSha256/CodeSize), or None when it does not exist."""
    from botocore.exceptions import ClientError

    try:
        return aws.client("lambda").get_layer_version(LayerName=name, VersionNumber=int(version))
    except ClientError as exc:
        if _is_not_found(exc):
            return None
        raise


def latest_version(aws, name: str) -> dict | None:
    """The newest version of the layer (GetLayerVersion form), or None when it has none."""
    versions = list_versions_raw(aws, name)
    for v in versions:          # newest first; one may vanish between the two calls
        got = get_version(aws, name, int(v["Version"]))
        if got is not None:
            return got
    return None


def layer_usage(aws) -> dict[str, list[dict]]:
    """Layer version ARN → [{"function", "function_version"}] over every function version."""
    lam = aws.client("lambda")
    usage: dict[str, list[dict]] = {}
    for page in lam.get_paginator("list_functions").paginate(FunctionVersion="ALL"):
        for fn in page.get("Functions", []):
            for layer in fn.get("Layers") or []:
                arn = layer.get("Arn", "")
                usage.setdefault(arn, []).append(
                    {"function": fn.get("FunctionName"), "function_version": fn.get("Version", "$LATEST")})
    for users in usage.values():
        users.sort(key=lambda u: (u["function"] or "", _version_key(u["function_version"])))
    return usage


def _version_key(v: str) -> tuple[int, int]:
    return (0, 0) if v == "$LATEST" else (1, int(v) if str(v).isdigit() else 0)


def function_ref(user: dict) -> str:
    """``fn`` for $LATEST, ``fn:3`` for a published version."""
    v = user.get("function_version") or "$LATEST"
    return user["function"] if v == "$LATEST" else f"{user['function']}:{v}"


def _users_of_layer(usage: dict[str, list[dict]], layer_arn: str) -> list[dict]:
    out = []
    for arn, users in usage.items():
        parts = split_version_arn(arn)
        if parts and parts[0] == layer_arn:
            out.extend({**u, "layer_version": parts[2]} for u in users)
    out.sort(key=lambda u: (u["function"] or "", _version_key(u["function_version"]), u["layer_version"]))
    return out


def list_layers(aws) -> list[dict]:
    """Every layer with its latest version and the functions using any of its versions."""
    from lambdactl.fmt import iso

    lam = aws.client("lambda")
    layers: list[dict] = []
    for page in lam.get_paginator("list_layers").paginate():
        layers.extend(page.get("Layers", []))
    usage = layer_usage(aws)
    out = []
    for layer in sorted(layers, key=lambda x: x.get("LayerName", "")):
        latest = layer.get("LatestMatchingVersion") or {}
        layer_arn = layer.get("LayerArn", "")
        out.append({
            "name": layer.get("LayerName"),
            "arn": layer_arn,
            "latest_version": latest.get("Version"),
            "latest_version_arn": latest.get("LayerVersionArn"),
            "created": iso(latest.get("CreatedDate")),
            "description": latest.get("Description", ""),
            "runtimes": list(latest.get("CompatibleRuntimes") or []),
            "architectures": list(latest.get("CompatibleArchitectures") or []),
            "used_by": _users_of_layer(usage, layer_arn),
        })
    return out


def _version_record(v: dict, usage: dict[str, list[dict]]) -> dict:
    from lambdactl.fmt import iso

    content = v.get("Content") or {}
    arn = v.get("LayerVersionArn", "")
    return {
        "version": int(v.get("Version", 0)),
        "arn": arn,
        "created": iso(v.get("CreatedDate")),
        "code_sha256": content.get("CodeSha256"),
        "size": content.get("CodeSize"),
        "description": v.get("Description", ""),
        "runtimes": list(v.get("CompatibleRuntimes") or []),
        "architectures": list(v.get("CompatibleArchitectures") or []),
        "used_by": [dict(u) for u in usage.get(arn, [])],
    }


def list_layer_versions(aws, name: str) -> list[dict]:
    """Every version of the layer, newest first: sha, size, runtimes, archs, used-by."""
    raw = list_versions_raw(aws, name)
    if not raw:
        raise _not_found(name)
    usage = layer_usage(aws)
    out = []
    for item in raw:
        full = get_version(aws, name, int(item["Version"]))
        if full is None:        # deleted meanwhile
            continue
        out.append(_version_record(full, usage))
    return out


# --- publishing -----------------------------------------------------------------------------

def _differences(latest: dict, build: LayerBuild, spec: LayerSpec) -> list[str]:
    diffs = []
    if (latest.get("Content") or {}).get("CodeSha256") != build.sha256:
        diffs.append("code changed")
    if sorted(latest.get("CompatibleRuntimes") or []) != sorted(spec.runtimes):
        diffs.append("compatible runtimes changed")
    if sorted(latest.get("CompatibleArchitectures") or []) != sorted(spec.architectures):
        diffs.append("compatible architectures changed")
    if (latest.get("Description") or "") != (spec.description or ""):
        diffs.append("description changed")
    return diffs


def _content(aws, spec: LayerSpec, build: LayerBuild, s3_bucket: str | None) -> tuple[dict, str]:
    """The Content parameter: the zip inline, or an S3 object for zips over the upload limit
    (lambdactl's own artifacts bucket only when it is this account's: see deploy.stage_artifact)."""
    from lambdactl.core.resources.deploy import artifacts as deploy

    data = build.read()
    if len(data) <= deploy.direct_upload_limit() and not s3_bucket:
        return {"ZipFile": data}, "direct"
    import base64

    key = f"lambdactl/layers/{spec.name}/{base64.b64decode(build.sha256).hex()}.zip"
    content = deploy.stage_artifact(aws, bucket=s3_bucket or None, account=aws.account_id, key=key, body=data,
                                    sha256=build.sha256)
    return content, f"s3://{content['S3Bucket']}/{key}"


def publish_layer(aws, spec: LayerSpec, build: LayerBuild, *, force: bool = False,
                  s3_bucket: str | None = None, log: Callable[[str], None] | None = None) -> dict:
    """Publish ``build`` as a new version of ``spec.name`` unless the newest version already has
    the same CodeSha256, compatible runtimes/architectures and description ("unchanged")."""
    from lambdactl.aws import retry

    latest = latest_version(aws, spec.name)
    record = {"name": spec.name, "status": "published", "version": None, "layer_version_arn": None,
              "layer_arn": None, "code_sha256": build.sha256, "size": build.size,
              "runtimes": list(spec.runtimes), "architectures": list(spec.architectures),
              "description": spec.description, "previous_version": None, "reason": "new layer",
              "upload": None, "warnings": list(build.warnings)}
    if latest is not None:
        record["previous_version"] = int(latest["Version"])
        diffs = _differences(latest, build, spec)
        if not diffs and not force:
            record.update(status="unchanged", version=int(latest["Version"]),
                          layer_version_arn=latest.get("LayerVersionArn"), layer_arn=latest.get("LayerArn"),
                          reason=f"version {latest['Version']} has the same code (CodeSha256) and settings")
            return record
        record["reason"] = ", ".join(diffs) if diffs else "--force"
    content, route = _content(aws, spec, build, s3_bucket)
    record["upload"] = route
    params: dict[str, Any] = {"LayerName": spec.name, "Content": content}
    if spec.description:
        params["Description"] = spec.description
    if spec.runtimes:
        params["CompatibleRuntimes"] = list(spec.runtimes)
    if spec.architectures:
        params["CompatibleArchitectures"] = list(spec.architectures)
    if log:
        log(f"publishing layer {spec.name} ({build.size:,} bytes, {route})...")
    resp = retry(lambda: aws.client("lambda").publish_layer_version(**params))
    from lambdactl.core.resources.deploy.artifacts import check_code_sha256

    check_code_sha256(f"layer {spec.name} version {resp.get('Version')}", (resp.get("Content") or {}).get("CodeSha256"),
                      build.sha256, content, left="that layer version is left as AWS has it (delete it with "
                      f"'lambdactl layer delete {spec.name}:{resp.get('Version')}'); no function was pointed at it",
                      hint="check who can write to that bucket, then publish again")
    record.update(version=int(resp["Version"]), layer_version_arn=resp.get("LayerVersionArn"),
                  layer_arn=resp.get("LayerArn"))
    return record


# --- deleting -----------------------------------------------------------------------------

def describe_version(aws, name: str, version: int) -> dict:
    """One version as a record (with used_by); NotFoundError when it does not exist."""
    v = get_version(aws, name, version)
    if v is None:
        raise _not_found(name, version)
    return _version_record(v, layer_usage(aws))


def delete_layer_version(aws, name: str, version: int) -> dict:
    """Delete one layer version (functions that use it keep working: Lambda keeps a copy for them)."""
    from lambdactl.aws import retry

    retry(lambda: aws.client("lambda").delete_layer_version(LayerName=name, VersionNumber=int(version)))
    return {"name": name, "version": int(version), "status": "deleted"}


# --- deploy planner: [[layers.build]] ------------------------------------------------------------

PENDING_PREFIX = "<new version of layer "


def pending_arn(name: str) -> str:
    """Stands for the layer version a deploy step is about to publish (resolved at apply time)."""
    return f"{PENDING_PREFIX}{name}>"


def resolve_pending(state: dict, layers: list[str]) -> list[str]:
    arns = state.get("layer_arns") or {}
    return [arns.get(x, x) for x in layers]


def plan_layer_builds(ctx) -> list:
    """Build each ``[[layers.build]]`` layer (deterministic, cached), plan a publish when the newest
    version differs, and put the layer's version ARN in the function's desired layers."""
    from lambdactl.core.resources.deploy.spec import _spec
    from lambdactl.core.resources.plan import Change, Step

    builds = list(getattr(ctx.project, "layer_builds", None) or [])
    if not builds or ctx.options.get("code_only"):
        return []
    fspec = _spec(ctx)
    steps = []
    for b in builds:
        lspec = resolve_spec(b.name, project=ctx.project)
        build = build_layer(lspec)
        latest = latest_version(ctx.aws, lspec.name)
        diffs = _differences(latest, build, lspec) if latest is not None else ["new layer"]
        if latest is not None and not diffs:
            arn = latest["LayerVersionArn"]
        else:
            arn = pending_arn(lspec.name)

            def apply(c, lspec=lspec, build=build, key=arn):
                rec = publish_layer(c.aws, lspec, build)
                c.state.setdefault("layer_arns", {})[key] = rec["layer_version_arn"]

            before = f"version {latest['Version']}" if latest is not None else None
            steps.append(Step("layer", "publish", f"layer {lspec.name}",
                              f"publish layer {lspec.name} ({', '.join(diffs)})", apply,
                              [Change(f"layer.{lspec.name}", before, build.sha256)]))
        others = [x for x in (fspec.layers or []) if (split_version_arn(x) or (None, None))[1] != lspec.name
                  and x != pending_arn(lspec.name)]
        fspec.layers = others + [arn]
    if len(fspec.layers or []) > 5:
        raise UsageError(f"{len(fspec.layers)} layers with [[layers.build]]", hint="Lambda allows at most 5 layers")
    return steps
