"""Lambda layers, the build side: resolve a layer spec and build a layer zip from a requirements
file (publishing, listing and deleting in AWS: :mod:`lambdactl.core.resources.layers`).

- :func:`resolve_spec` turns command-line values and ``[[layers.build]]`` of the project file
  into a validated :class:`LayerSpec` (name, requirements or zip, runtimes, architectures,
  description) before any AWS call; every bad value is a UsageError with a hint.
- :func:`build_layer` installs the requirements for the target runtime/architecture with
  :mod:`lambdactl.core.build.deps` (cached) and zips them under ``python/`` with
  :func:`lambdactl.core.build.packaging.build_package` (deterministic: the same inputs give the same
  bytes, so the same CodeSha256). The ``python/`` tree is staged once per dependency-cache key
  with hard links (``<cache>/layers/<key>/tree/python``), so a rebuild reads nothing new.
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
from lambdactl.errors import UsageError

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
    from lambdactl.files import private_dir, write_private

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
