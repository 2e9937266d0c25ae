"""Python dependencies for the *target* Lambda platform, installed with pip and cached.

``pip install --target DIR --platform manylinux2014_<machine> [newer manylinux tags]
--only-binary=:all: --implementation cp --python-version <runtime's> -r requirements.txt``
installs wheels for Lambda's OS, CPU and Python whatever the build machine runs, and refuses
sdists (they cannot be built for another platform): a package without a suitable wheel is an
error naming it, never a silently wrong zip.

Installs are cached under ``<cache>/deps/<key>/`` where the key hashes the requirements file
(and the files it includes with ``-r``/``-c``), the runtime's Python version, the architecture
and the platform tags: a second build with the same inputs does not run pip at all.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lambdactl.errors import OperationError, UsageError

FORMAT = 1
MARKER = "done.json"
SITE = "site"
MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
# glibc of the runtime's OS: AL2 = 2.26, AL2023 = 2.34.
GLIBC = {"al2": 26, "al2023": 34}


def default_cache_dir() -> Path:
    """``$LAMBDACTL_CACHE_DIR``, else ``$XDG_CACHE_HOME/lambdactl``, else ``~/.cache/lambdactl``."""
    env = os.environ.get("LAMBDACTL_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "lambdactl"
    return Path.home() / ".cache" / "lambdactl"


def python_version(runtime: str) -> str:
    from lambdactl.core import runtimes

    rt = runtimes.get(runtime)
    if rt is None or rt.family != "python":
        raise UsageError(f"a requirements file needs a Python runtime, not {runtime!r}",
                         hint=f"use --runtime with one of: {', '.join(runtimes.PYTHON_RUNTIMES)}")
    return rt.version


def platform_tags(runtime: str, architecture: str) -> list[str]:
    """The ``--platform`` values for pip: manylinux2014 (glibc 2.17) and every newer
    ``manylinux_2_X`` tag the runtime's OS supports (pip does not expand those itself)."""
    from lambdactl.core import runtimes

    machine = MACHINES.get(architecture)
    if machine is None:
        raise UsageError(f"unknown architecture {architecture!r}", hint="use x86_64 or arm64")
    rt = runtimes.get(runtime)
    glibc = GLIBC.get(rt.os if rt else "al2", 26)
    tags = [f"manylinux2014_{machine}"]
    tags += [f"manylinux_2_{minor}_{machine}" for minor in range(glibc, 16, -1)]
    return tags


def _included_files(req: Path, seen: set[Path]) -> list[Path]:
    """The requirements file and those it includes (-r/-c), recursively, for the cache key."""
    req = req.resolve()
    if req in seen:
        return []
    seen.add(req)
    out = [req]
    try:
        text = req.read_text(errors="replace")
    except OSError:
        return out
    for line in text.splitlines():
        m = re.match(r"^\s*(?:-r|--requirement|-c|--constraint)\s*=?\s*(\S+)", line)
        if m:
            p = (req.parent / m.group(1)).expanduser()
            if p.is_file():
                out += _included_files(p, seen)
    return out


def has_requirements(req: Path) -> bool:
    """False for a requirements file with nothing but comments and blank lines."""
    for line in req.read_text(errors="replace").splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            return True
    return False


def cache_key(req: Path, runtime: str, architecture: str) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"format": FORMAT, "python": python_version(runtime), "arch": architecture,
                         "platforms": platform_tags(runtime, architecture)}, sort_keys=True).encode())
    for p in _included_files(req, set()):
        h.update(b"\0" + p.name.encode() + b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()


@dataclass
class DepsResult:
    path: Path                  # directory whose contents go at the root of the zip
    key: str
    cached: bool                # taken from the cache: pip did not run
    pip_ran: bool
    packages: list[str]         # distribution names installed (from *.dist-info)
    temporary: bool = False     # caller removes ``path`` (no-cache builds)

    def cleanup(self) -> None:
        if self.temporary:
            shutil.rmtree(self.path.parent, ignore_errors=True)


def _packages(site: Path) -> list[str]:
    names = []
    for p in site.glob("*.dist-info"):
        names.append(p.name[:-len(".dist-info")].rsplit("-", 1)[0])
    return sorted(names, key=str.lower)


def pip_command(req: Path, target: Path, runtime: str, architecture: str, python: str | None = None) -> list[str]:
    cmd = [python or sys.executable, "-m", "pip", "install", "--target", str(target)]
    for tag in platform_tags(runtime, architecture):
        cmd += ["--platform", tag]
    cmd += ["--only-binary=:all:", "--implementation", "cp", "--python-version", python_version(runtime),
            "--no-compile", "--no-input", "--disable-pip-version-check", "--no-warn-script-location",
            "--progress-bar", "off", "-r", str(req)]
    return cmd


def install(requirements: str | os.PathLike, *, runtime: str, architecture: str,
            cache_dir: Path | None = None, use_cache: bool = True, python: str | None = None,
            log: Callable[[str], None] | None = None, verbose: bool = False) -> DepsResult | None:
    """Install ``requirements`` for the target platform (or take them from the cache).

    Returns None when the file lists nothing. Raises UsageError naming the package that has no
    wheel for the target, OperationError when pip fails otherwise.
    """
    req = Path(requirements)
    if not req.is_file():
        raise UsageError(f"requirements file not found: {req}",
                         hint="fix [function] requirements or --requirements, or pass --no-deps")
    python_version(runtime)     # validates the runtime family
    if not has_requirements(req):
        return None
    key = cache_key(req, runtime, architecture)
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    final = cache_dir / "deps" / key[:32]
    if use_cache and (final / MARKER).is_file() and (final / SITE).is_dir():
        return DepsResult(final / SITE, key, True, False, _packages(final / SITE))

    if use_cache:
        try:
            (cache_dir / "deps").mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix=f".tmp-{key[:12]}-", dir=cache_dir / "deps"))
        except OSError:
            use_cache = False
    if not use_cache:
        work = Path(tempfile.mkdtemp(prefix="lambdactl-deps-"))
    site = work / SITE
    cmd = pip_command(req, site, runtime, architecture, python)
    if log:
        log(f"installing dependencies from {req.name} for {runtime} {architecture} (pip)...")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PIP_NO_INPUT": "1"}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(req.resolve().parent), env=env)
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise OperationError(f"could not run pip: {exc}", hint="install pip in lambdactl's Python environment")
    if verbose and log:
        for line in (proc.stdout + proc.stderr).splitlines():
            log(f"pip: {line}")
    if proc.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        raise pip_error(proc.stdout + "\n" + proc.stderr, runtime, architecture)
    site.mkdir(exist_ok=True)
    packages = _packages(site)
    if not use_cache:
        return DepsResult(site, key, False, True, packages, temporary=True)
    (work / MARKER).write_text(json.dumps({"key": key, "runtime": runtime, "architecture": architecture,
                                           "requirements": str(req.resolve()), "packages": packages}))
    try:
        if final.exists():
            shutil.rmtree(final)        # an incomplete earlier attempt
        os.replace(work, final)
    except OSError:
        if (final / MARKER).is_file():  # another build won the race: use its result
            shutil.rmtree(work, ignore_errors=True)
        else:
            return DepsResult(site, key, False, True, packages)
    return DepsResult(final / SITE, key, False, True, packages)


def pip_error(output: str, runtime: str, architecture: str) -> Exception:
    """Turn pip's failure output into one clear error."""
    machine = MACHINES.get(architecture, architecture)
    target = f"{runtime} on {architecture} (manylinux {machine}, cp{runtime[6:].replace('.', '')})"
    m = (re.search(r"No matching distribution found for ([^\s;]+)", output)
         or re.search(r"Could not find a version that satisfies the requirement ([^\s;]+)", output))
    if m:
        pkg = m.group(1)
        network = re.search(r"(Failed to establish a new connection|Could not fetch URL|"
                            r"Temporary failure in name resolution|Network is unreachable)", output)
        if network:
            return OperationError(f"pip could not reach the package index while looking for {pkg}",
                                  hint="check the network, or PIP_INDEX_URL / --find-links in the requirements file")
        project = re.split(r"[\s<>=!~\[;@(]", pkg, maxsplit=1)[0] or pkg
        seen = re.search(r"\(from versions: ([^)]*)\)", output)
        versions = [v.strip() for v in seen.group(1).split(",") if v.strip()] if seen else []
        if versions and versions != ["none"]:
            shown = ", ".join(versions[-5:])
            return UsageError(
                f"no wheel of {pkg} for {target}; versions with a wheel for it: {shown}",
                hint=f"pin {project} to one of those versions in the requirements file")
        return UsageError(
            f"no wheel of {pkg} for {target}",
            hint=f"pin a version of {project} that publishes a manylinux {machine} wheel (see its files on PyPI); "
                 f"if it is pure Python, build one with 'pip wheel --no-deps {pkg} -w wheels' and add "
                 f"'--find-links wheels' to the requirements file")
    m = re.search(r"ERROR: (Could not open requirements file[^\n]*)", output)
    if m:
        return UsageError(m.group(1).strip())
    m = re.search(r"ERROR: (Invalid requirement[^\n]*)", output)
    if m:
        return UsageError(f"requirements: {m.group(1).strip()}", hint="fix that line of the requirements file")
    if "ResolutionImpossible" in output or "conflicting dependencies" in output:
        line = next((ln for ln in output.splitlines() if "conflict" in ln.lower()), "conflicting dependencies")
        return UsageError(f"requirements cannot be satisfied together: {line.strip()}",
                          hint="relax the pins that conflict")
    if "No module named pip" in output:
        return OperationError("pip is not installed in lambdactl's Python environment",
                              hint=f"{sys.executable} -m ensurepip")
    errors = [ln.strip() for ln in output.splitlines() if ln.strip().startswith("ERROR:")]
    last = errors[-1] if errors else (output.strip().splitlines() or ["pip failed"])[-1]
    return OperationError(f"pip install failed: {last}", hint="run the build with -v for pip's full output")
