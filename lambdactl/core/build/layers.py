"""Lambda layers: build a layer zip from a requirements file, publish it without duplicates,
list layers with where each version is used, show versions, delete a version.

- :func:`resolve_spec` turns command-line values and ``[[layers.build]]`` of the project file
  into a validated :class:`LayerSpec` (name, requirements or zip, runtimes, architectures,
  description) before any AWS call; every bad value is a UsageError with a hint.
- :func:`build_layer` installs the requirements for the target runtime/architecture with
  :mod:`lambdactl.core.build.deps` (cached) and zips them under ``python/`` with
  :func:`lambdactl.core.build.packaging.build_package` (deterministic: the same inputs give the same
  bytes, so the same CodeSha256). The ``python/`` tree is staged once per dependency-cache key
  with hard links (``<cache>/layers/<key>/tree/python``), so a rebuild reads nothing new.
- :func:`publish_layer` compares the zip's SHA-256 (and the compatible runtimes/architectures and
  description) with the newest published version and returns that version ("unchanged")
  instead of publishing a duplicate.
- :func:`layer_usage` scans every function version's ``Layers`` once: layer version ARN →
  the functions that use it.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from lambdactl.core.build.deps import normalize_arch  # noqa: F401 - also used as layers.normalize_arch
from lambdactl.errors import NotFoundError, OperationError, UsageError

LAYER_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,140}$")
_LAYER_ARN_RE = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:layer:([A-Za-z0-9_-]{1,140})(?::(\d+))?$")
MAX_RUNTIMES = 15           # CompatibleRuntimes
MAX_DESCRIPTION = 256
STAGE_MARKER = "done"


# --- names and references ---------------------------------------------------------------------

def validate_name(name: str, *, what: str = "layer name") -> str:
    if not isinstance(name, str) or not LAYER_NAME_RE.match(name):
        shown = repr(name[:80]) if isinstance(name, str) else repr(name)
        raise UsageError(f"invalid {what} {shown}",
                         hint="1-140 letters, digits, '-' or '_' (e.g. shared-libs)")
    return name


def parse_layer_ref(ref: str) -> tuple[str, int | None]:
    """``NAME``, ``NAME:N``, a layer ARN or a layer version ARN → (name, version or None)."""
    ref = (ref or "").strip()
    m = _LAYER_ARN_RE.match(ref)
    if m:
        return m.group(1), int(m.group(2)) if m.group(2) else None
    name, sep, ver = ref.partition(":")
    validate_name(name)
    if sep:
        return name, validate_version(ver)
    return name, None


def validate_version(value: Any) -> int:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        n = 0
    if n < 1 or str(value).strip().startswith("+"):
        raise UsageError(f"invalid layer version {str(value)[:40]!r}",
                         hint="a version number (1, 2, ...); 'lambdactl layer versions NAME' lists them")
    return n


def split_version_arn(arn: str) -> tuple[str, str, int] | None:
    """A layer version ARN → (layer ARN, name, version); None for anything else."""
    m = _LAYER_ARN_RE.match(arn or "")
    if not m or not m.group(2):
        return None
    return arn.rsplit(":", 1)[0], m.group(1), int(m.group(2))


# --- the spec: what to build/publish --------------------------------------------------------

@dataclass
class LayerSpec:
    name: str
    requirements: Path | None = None
    zip_file: Path | None = None
    description: str = ""
    runtimes: list[str] = field(default_factory=list)
    architectures: list[str] = field(default_factory=list)
    from_config: bool = False       # found in [[layers.build]]
    root: Path = field(default_factory=Path.cwd)   # project root (or cwd)

    @property
    def runtime(self) -> str | None:
        """The runtime the dependencies are installed for (the first compatible one)."""
        return self.runtimes[0] if self.runtimes else None

    @property
    def architecture(self) -> str:
        return self.architectures[0] if self.architectures else "x86_64"

    def default_out(self) -> Path:
        return self.root / ".lambdactl" / "layers" / f"{self.name}.zip"


def resolve_spec(name: str | None, *, requirements: str | None = None, zip_file: str | None = None,
                 description: str | None = None, runtimes: list[str] | None = None,
                 architectures: list[str] | None = None, project=None,
                 need_name: bool = True) -> LayerSpec:
    """Combine options, ``[[layers.build]]`` and ``[function]`` defaults; validate everything.

    Precedence: command-line value, then the matching ``[[layers.build]]`` entry, then the
    function's runtime/architecture, then python3.13 / x86_64. Raises UsageError (exit 2) for
    every bad value, before any AWS call.
    """
    from lambdactl.core.model import runtimes as rt_mod

    builds = list(getattr(project, "layer_builds", []) or [])
    fn = getattr(project, "function", None)
    root = project.root if project is not None else Path.cwd()
    cfg_file = project.path.name if project is not None else "lambdactl.toml"

    if requirements and zip_file:
        raise UsageError("--requirements and --zip cannot be combined",
                         hint="build from a requirements file, or publish a zip you built")
    entry = None
    if name:
        validate_name(name)
        entry = next((b for b in builds if b.name == name), None)
    elif len(builds) == 1:
        entry = builds[0]
        name = entry.name
    elif len(builds) > 1:
        raise UsageError(f"{cfg_file} defines {len(builds)} layers: name the one to use",
                         hint="one of: " + ", ".join(b.name for b in builds))
    elif need_name:
        raise UsageError("no layer NAME given and no [[layers.build]] in the project file",
                         hint="e.g. 'lambdactl layer publish shared-libs --requirements layer-requirements.txt'")
    else:
        name = "layer"

    spec = LayerSpec(name=name, from_config=entry is not None, root=root)
    where = f"{cfg_file} [[layers.build]] {name}"

    # the content: a requirements file or a ready zip
    if zip_file:
        z = Path(zip_file)
        if not z.is_file():
            raise UsageError(f"zip file not found: {z}", hint="pass the path of a layer zip with --zip")
        if not zipfile.is_zipfile(z):
            raise UsageError(f"{z} is not a zip file",
                             hint="build one with 'lambdactl layer build', or zip a python/ directory")
        spec.zip_file = z
    else:
        if requirements:
            req, src = Path(requirements), "--requirements"
        elif entry is not None:
            req, src = (root / entry.requirements), f"{where}: requirements"
        elif not builds and name == "layer" and not need_name:
            raise UsageError("nothing to build: no --requirements, no --zip, and no [[layers.build]] "
                             "in the project file",
                             hint="pass --requirements FILE (or --zip FILE), or add a [[layers.build]] entry "
                                  f"to {cfg_file}")
        else:
            raise UsageError(f"layer {name}: nothing to build",
                             hint=f"pass --requirements FILE (or --zip FILE), or add a [[layers.build]] "
                                  f"entry named {name} to {cfg_file}")
        if not req.is_file():
            raise UsageError(f"requirements file not found: {req} ({src})",
                             hint="fix the path; it is relative to the project file's directory in "
                                  f"{cfg_file}, to the current directory on the command line")
        spec.requirements = req

    # runtimes
    if runtimes:
        rts, src = list(runtimes), "--runtime"
    elif entry is not None and entry.runtimes:
        rts, src = list(entry.runtimes), f"{where}: runtimes"
    elif fn is not None and fn.runtime:
        rts, src = [fn.runtime], f"{cfg_file} [function] runtime"
    elif spec.requirements is not None:
        rts, src = [rt_mod.DEFAULT_RUNTIME], "default"
    else:
        rts, src = [], ""
    rts = list(dict.fromkeys(r.strip() for r in rts))
    for r in rts:
        if r not in rt_mod.BY_NAME:
            raise UsageError(f"{r!r} is not a known Lambda runtime ({src})",
                             hint=f"supported: {', '.join(rt_mod.SUPPORTED)}")
    if len(rts) > MAX_RUNTIMES:
        raise UsageError(f"{len(rts)} runtimes given; a layer lists at most {MAX_RUNTIMES}")
    if spec.requirements is not None:
        first = rt_mod.BY_NAME[rts[0]]
        if first.family != "python":
            raise UsageError(f"building a layer from a requirements file needs a Python runtime, not {rts[0]} ({src})",
                             hint=f"use one of: {', '.join(rt_mod.PYTHON_RUNTIMES)}; for other runtimes "
                                  f"publish a zip you built with --zip")
    spec.runtimes = rts

    # architectures
    if architectures:
        archs, src = [normalize_arch(a.strip()) for a in architectures], "--arch"
    elif entry is not None and entry.architectures:
        archs, src = [normalize_arch(a) for a in entry.architectures], f"{where}: architectures"
    elif fn is not None and fn.architecture:
        archs, src = [fn.architecture], f"{cfg_file} [function] architecture"
    else:
        archs, src = ["x86_64"], "default"
    archs = list(dict.fromkeys(archs))
    for a in archs:
        if a not in rt_mod.ARCHITECTURES:
            raise UsageError(f"architecture {a!r} is not allowed ({src})",
                             hint=f"allowed: {', '.join(rt_mod.ARCHITECTURES)}")
    spec.architectures = archs

    desc = description if description is not None else (entry.description if entry is not None else "")
    if len(desc) > MAX_DESCRIPTION:
        raise UsageError(f"description is {len(desc)} characters; Lambda allows {MAX_DESCRIPTION}",
                         hint="shorten --description")
    spec.description = desc
    return spec


# --- building --------------------------------------------------------------------------------

@dataclass
class LayerBuild:
    name: str
    path: Path | None
    sha256: str                 # base64, as Lambda's CodeSha256
    size: int
    uncompressed_size: int
    files: int
    data: bytes | None = field(default=None, repr=False)
    runtime: str | None = None
    architecture: str = "x86_64"
    requirements: str | None = None
    dependencies: list[str] = field(default_factory=list)
    deps_cached: bool | None = None
    pip_ran: bool = False
    status: str = "built"       # written | unchanged | built | given (a --zip)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def read(self) -> bytes:
        if self.data is None:
            assert self.path is not None
            self.data = Path(self.path).read_bytes()
        return self.data

    def to_dict(self) -> dict:
        return {"name": self.name, "path": str(self.path) if self.path else None, "files": self.files,
                "size": self.size, "uncompressed_size": self.uncompressed_size,
                "code_sha256": self.sha256, "runtime": self.runtime, "architecture": self.architecture,
                "requirements": self.requirements, "dependencies": self.dependencies,
                "deps_cached": self.deps_cached, "status": self.status,
                "seconds": round(self.seconds, 3), "warnings": self.warnings}


def _link_or_copy(src: str, dst: str) -> str:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


def _stage(site: Path, stage_root: Path) -> Path:
    """Lay ``site`` out as ``<stage_root>/tree/python/...`` (hard links); returns the tree."""
    tree = stage_root / "tree"
    os.mkdir(tree, 0o700)
    shutil.copytree(site, tree / "python", symlinks=True, copy_function=_link_or_copy)
    return tree


def _staged_tree(deps_res, cache_root: Path, use_cache: bool) -> tuple[Path, Path | None]:
    """(tree to zip, temporary directory to remove afterwards or None). The layer cache is
    private: directories 0700, the marker 0600 (the staged files are hard links of the
    dependency cache's, which are 0600/0700 already)."""
    from lambdactl.core.build.zipbuild import private_dir, write_private

    if use_cache and not deps_res.temporary:
        final = cache_root / "layers" / deps_res.key[:32]
        if (final / STAGE_MARKER).is_file() and (final / "tree" / "python").is_dir():
            return final / "tree", None
        work: Path | None = None
        try:
            private_dir(private_dir(cache_root) / "layers")
            work = Path(tempfile.mkdtemp(prefix=".tmp-", dir=cache_root / "layers"))
            _stage(deps_res.path, work)
            write_private(work / STAGE_MARKER, deps_res.key.encode())
            if final.exists():
                shutil.rmtree(final, ignore_errors=True)
            os.replace(work, final)
            return final / "tree", None
        except OSError:
            if work is not None:
                shutil.rmtree(work, ignore_errors=True)
            if (final / STAGE_MARKER).is_file():     # another build won the race
                return final / "tree", None
    tmp = Path(tempfile.mkdtemp(prefix="lambdactl-layer-"))
    return _stage(deps_res.path, tmp), tmp


def _native_files(tree: Path) -> bool:
    for _dirpath, _dirs, files in os.walk(tree):
        if any(f.endswith((".so", ".pyd")) or ".so." in f for f in files):
            return True
    return False


def build_layer(spec: LayerSpec, *, out: str | os.PathLike | None = None, cache_dir: Path | None = None,
                use_cache: bool = True, log: Callable[[str], None] | None = None,
                verbose: bool = False) -> LayerBuild:
    """Build the layer zip (``python/<packages>``) from ``spec.requirements``, or take ``spec.zip_file``.

    ``out``: write the zip there (left alone when identical: status "unchanged"); without it
    the zip is only in memory (``LayerBuild.data``, status "built").
    """
    from lambdactl.core.build import deps as deps_mod
    from lambdactl.core.model import runtimes as rt_mod
    from lambdactl.core.build.packaging import build_package

    t0 = time.perf_counter()
    if spec.zip_file is not None:
        return _from_zip(spec, spec.zip_file, t0)
    if spec.requirements is None:
        raise UsageError(f"layer {spec.name}: nothing to build", hint="pass --requirements FILE or --zip FILE")
    runtime, arch = spec.runtime or rt_mod.DEFAULT_RUNTIME, spec.architecture
    cache_root = Path(cache_dir) if cache_dir else deps_mod.default_cache_dir()
    deps_res = deps_mod.install(spec.requirements, runtime=runtime, architecture=arch,
                                cache_dir=cache_root, use_cache=use_cache, log=log, verbose=verbose)
    if deps_res is None:
        raise UsageError(f"{spec.requirements} lists no packages: the layer would be empty",
                         hint="add the libraries the layer should share, one per line")
    tmp = None
    try:
        tree, tmp = _staged_tree(deps_res, cache_root, use_cache)
        res = build_package(tree, runtime=runtime, architecture=arch, handler=None, out=out,
                            cache_dir=cache_root, use_cache=use_cache and tmp is None, log=log,
                            verbose=verbose, check=False, credentials=False)   # all dependencies
        warnings = list(res.warnings)
        versions = {rt_mod.BY_NAME[r].version for r in spec.runtimes if r in rt_mod.BY_NAME}
        if (len(versions) > 1 or len(spec.architectures) > 1) and _native_files(tree):
            warnings.append(f"the layer has compiled extensions built for {runtime} on {arch} only, but "
                            f"lists {', '.join(spec.runtimes)} / {', '.join(spec.architectures)}: "
                            f"publish one layer per runtime/architecture")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        deps_res.cleanup()
    return LayerBuild(spec.name, res.path, res.sha256, res.size, res.uncompressed_size, res.files, res.data, runtime=runtime, architecture=arch,
                      requirements=str(spec.requirements), dependencies=list(deps_res.packages),
                      deps_cached=deps_res.cached, pip_ran=deps_res.pip_ran, status=res.status,
                      seconds=time.perf_counter() - t0, warnings=warnings)


def _from_zip(spec: LayerSpec, path: Path, t0: float) -> LayerBuild:
    from lambdactl.core.model import runtimes as rt_mod
    from lambdactl.core.build.packaging import code_sha256

    try:
        data = path.read_bytes()
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
    except (OSError, zipfile.BadZipFile) as exc:
        raise UsageError(f"cannot read {path} as a zip: {exc}", hint="pass a valid layer zip with --zip")
    warnings: list[str] = []
    families = {rt_mod.BY_NAME[r].family for r in spec.runtimes if r in rt_mod.BY_NAME}
    tops = {i.filename.split("/", 1)[0] for i in infos if "/" in i.filename}
    if "python" in families and not ({"python", "lib"} & tops):
        warnings.append(f"{path} has no python/ directory at its root: Lambda adds /opt/python to "
                        f"sys.path, so the libraries may not be importable")
    if "nodejs" in families and "nodejs" not in tops:
        warnings.append(f"{path} has no nodejs/ directory at its root: Node.js looks in "
                        f"/opt/nodejs/node_modules")
    return LayerBuild(spec.name, path, code_sha256(data), len(data), sum(i.file_size for i in infos),
                      len(infos), data, runtime=spec.runtime, architecture=spec.architecture,
                      status="given", seconds=time.perf_counter() - t0, warnings=warnings)


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
    from lambdactl.output import iso

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
    from lambdactl.output import iso

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
