"""Python dependencies for the *target* Lambda platform, installed with pip and cached.

``pip install --target DIR --platform manylinux2014_<machine> [newer manylinux tags]
--only-binary=:all: --implementation cp --python-version <runtime's> -r requirements.txt``
installs wheels for Lambda's OS, CPU and Python whatever the build machine runs, and refuses
sdists (they cannot be built for another platform): a package without a suitable wheel is an
error naming it, never a silently wrong zip.

Installs are cached under ``<cache>/deps/<key>/`` where the key hashes the requirements file
(and the files it includes with ``-r``/``-c``), the content of its local-path requirements
(``./libs/mylib``, ``-e ./x``, ``file:`` URLs, a local wheel), the runtime's Python version, the
architecture and the platform tags: a second build with the same inputs does not run pip at all,
and an edit to a local library installs it again. The cache is private: directories 0700, files
0600 (pip runs with umask 077).

Before pip runs, every requirement line is parsed (``packaging.requirements``): a malformed line
(``requests==``) is a UsageError naming ``file:line``. When pip then finds no distribution of a
project at all, a second, dry pip run (``-vv``, that project only) tells a name the index does not
know ("not found on the package index", naming the line) from a project without a wheel for the
target.
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
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
# What is not part of a local library's content (build output pip itself writes there).
LOCAL_SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", "build", "dist", ".tox", ".nox", ".venv",
                   ".eggs", "node_modules", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
PROBE_TIMEOUT = 120


def normalize_arch(a: str) -> str:
    """Common aliases (aarch64, amd64, x86-64) → Lambda's architecture names."""
    return {"aarch64": "arm64", "amd64": "x86_64", "x86-64": "x86_64"}.get(a, a)


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
    from lambdactl.core.model import runtimes

    rt = runtimes.get(runtime)
    if rt is None or rt.family != "python":
        raise UsageError(f"a requirements file needs a Python runtime, not {runtime!r}",
                         hint=f"use --runtime with one of: {', '.join(runtimes.PYTHON_RUNTIMES)}")
    return rt.version


def platform_tags(runtime: str, architecture: str) -> list[str]:
    """The ``--platform`` values for pip: manylinux2014 (glibc 2.17) and every newer
    ``manylinux_2_X`` tag the runtime's OS supports (pip does not expand those itself)."""
    from lambdactl.core.model import runtimes

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


@dataclass
class ReqLine:
    """One logical line of a requirements file (continuations joined, comment stripped)."""
    file: Path
    lineno: int
    text: str
    kind: str           # "requirement" | "local" (a path or file: URL) | "url" | "include" | "option"
    value: str          # the requirement, the resolved local path, the URL, the file or the option


_ENV_RE = re.compile(r"\$\{([A-Z0-9_]+)\}")
_COMMENT_RE = re.compile(r"(^|\s+)#.*$")


def _logical_lines(text: str):
    """(first line number, logical line): ``\\`` continuations joined, comments removed."""
    buf, start = "", 0
    for n, raw in enumerate(text.splitlines(), 1):
        if not buf:
            start = n
        if raw.endswith("\\") and not raw.lstrip().startswith("#"):
            buf += raw[:-1]
            continue
        line = _COMMENT_RE.sub("", buf + raw).strip()
        buf = ""
        if line:
            yield start, line
    if buf.strip():
        yield start, _COMMENT_RE.sub("", buf).strip()


def _file_url_path(url: str, base: Path) -> Path:
    from urllib.parse import unquote, urlparse
    from urllib.request import url2pathname

    parsed = urlparse(url)
    if parsed.netloc in ("", "localhost") and parsed.path.startswith("/"):
        return Path(url2pathname(unquote(parsed.path)))
    return base / unquote(url[len("file:"):])          # file:relative/path (pip: from the cwd)


def _looks_like_path(spec: str) -> bool:
    return (spec.startswith((".", "/", "~")) or "/" in spec or "\\" in spec
            or spec.endswith((".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2")))


def _classify(text: str, file: Path, lineno: int, base: Path) -> ReqLine:
    """``base``: the directory pip runs in (relative paths in requirement lines start there)."""
    m = re.match(r"^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?=\S))(\S+)", text)
    if m:
        return ReqLine(file, lineno, text, "include", m.group(2))
    m = re.match(r"^(?:-e|--editable)(?:\s*=\s*|\s+)(\S+)", text)
    if m:
        target = m.group(1)
        if target.startswith("file:"):
            return ReqLine(file, lineno, text, "local", str(_file_url_path(target, base)))
        if "://" in target or target.startswith(("git+", "hg+", "svn+", "bzr+")):
            return ReqLine(file, lineno, text, "url", target)
        return ReqLine(file, lineno, text, "local", str((base / target).expanduser()))
    if text.startswith("-"):
        return ReqLine(file, lineno, text, "option", text)
    spec = re.split(r"\s+(?=--[A-Za-z])", text, maxsplit=1)[0].strip()   # drop --hash=... etc.
    spec = _ENV_RE.sub(lambda m: os.environ.get(m.group(1), m.group(0)), spec)
    m = re.match(r"^[^@;\s]+\s*@\s*(\S+)", spec)              # name @ url
    url = m.group(1) if m else (spec.split(";", 1)[0].strip() if "://" in spec or spec.startswith("file:") else None)
    if url is not None:
        if url.startswith("file:"):
            return ReqLine(file, lineno, text, "local", str(_file_url_path(url, base)))
        return ReqLine(file, lineno, text, "url", url)
    bare = spec.split(";", 1)[0].strip()
    if _looks_like_path(bare):
        return ReqLine(file, lineno, text, "local", str((base / bare).expanduser()))
    return ReqLine(file, lineno, text, "requirement", spec)


def requirement_lines(req: Path) -> list[ReqLine]:
    """Every logical line of ``req`` and the files it includes (-r/-c), recursively, in order."""
    top = Path(req).resolve()
    base = top.parent
    out: list[ReqLine] = []
    seen: set[Path] = set()

    def walk(path: Path) -> None:
        path = path.resolve()
        if path in seen:
            return
        seen.add(path)
        try:
            text = path.read_text(errors="replace")
        except OSError:
            return
        for lineno, line in _logical_lines(text):
            rl = _classify(line, path, lineno, base)
            out.append(rl)
            if rl.kind == "include":
                inc = (path.parent / rl.value).expanduser()
                if inc.is_file():
                    walk(inc)
    walk(top)
    return out


def _where(rl: ReqLine, req: Path) -> str:
    """``file:line`` for messages: the requirements file as given, an included one from the cwd."""
    shown: Path = rl.file
    try:
        shown = rl.file.relative_to(Path.cwd().resolve())
    except ValueError:
        if rl.file == Path(req).resolve():
            shown = Path(req)
    return f"{shown}:{rl.lineno}"


def validate_requirements(req: Path) -> list[ReqLine]:
    """UsageError naming ``file:line`` for the first malformed requirement line."""
    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:  # pragma: no cover - packaging is a dependency; a plain check instead
        Requirement, InvalidRequirement = None, ValueError
    lines = requirement_lines(req)
    for rl in lines:
        if rl.kind != "requirement":
            continue
        problem = None
        if Requirement is not None:
            try:
                Requirement(rl.value)
            except InvalidRequirement as exc:
                problem = str(exc).strip().splitlines()[0]
        elif not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*"
                          r"((~=|==|!=|<=|>=|<|>|===)\s*[A-Za-z0-9.*+!_-]+\s*(,\s*|$))*\s*(;.*)?$", rl.value):
            problem = "not a valid requirement"
        if problem:
            raise UsageError(f"{_where(rl, req)}: {rl.value!r} is not a valid requirement ({problem})",
                             hint="fix that line: a name with an optional version, e.g. requests==2.32.3 "
                                  "or requests>=2.31")
    return lines


def _requirement_name(spec: str) -> str | None:
    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
    return m.group(1) if m else None


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _hash_local(path: Path, h) -> None:
    """Feed the content of a local-path requirement (a file, or a directory tree without build
    output) into ``h``."""
    h.update(b"\0local\0" + str(path).encode("utf-8", "surrogateescape") + b"\0")
    if path.is_file():
        with open(path, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
        return
    if not path.is_dir():
        h.update(b"missing")
        return
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d not in LOCAL_SKIP_DIRS and not d.endswith(".egg-info"))
        rel = os.path.relpath(dirpath, path)
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")):
                continue
            fp = os.path.join(dirpath, name)
            try:
                with open(fp, "rb") as f:
                    digest = hashlib.sha256(f.read()).digest()
            except OSError:
                continue
            h.update(os.path.join(rel, name).encode("utf-8", "surrogateescape") + b"\0" + digest)


def has_requirements(req: Path) -> bool:
    """False for a requirements file with nothing but comments and blank lines."""
    for line in req.read_text(errors="replace").splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            return True
    return False


def cache_key(req: Path, runtime: str, architecture: str) -> str:
    import json

    h = hashlib.sha256()
    h.update(json.dumps({"format": FORMAT, "python": python_version(runtime), "arch": architecture,
                         "platforms": platform_tags(runtime, architecture)}, sort_keys=True).encode())
    for p in _included_files(req, set()):
        h.update(b"\0" + p.name.encode() + b"\0")
        h.update(p.read_bytes())
    for rl in requirement_lines(req):
        if rl.kind == "local":
            _hash_local(Path(rl.value), h)
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
            import shutil

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

    lines = validate_requirements(req)          # a malformed line: exit 2 before pip runs
    import json
    import shutil
    import subprocess
    import tempfile

    if use_cache:
        from lambdactl.files import private_dir

        try:
            private_dir(private_dir(cache_dir) / "deps")
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
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(req.resolve().parent), env=env,
                              **_private_umask())
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise OperationError(f"could not run pip: {exc}", hint="install pip in lambdactl's Python environment")
    if verbose and log:
        for line in (proc.stdout + proc.stderr).splitlines():
            log(f"pip: {line}")
    if proc.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        output = proc.stdout + "\n" + proc.stderr
        missing = _missing_project(output)
        if missing is not None:
            exists = project_exists(missing, req, lines, runtime, architecture, python, env)
            if exists is False:
                raise _not_found(missing, req, lines)
        raise pip_error(output, runtime, architecture)
    site.mkdir(exist_ok=True)
    packages = _packages(site)
    if not use_cache:
        return DepsResult(site, key, False, True, packages, temporary=True)
    from lambdactl.files import write_private

    write_private(work / MARKER, json.dumps({"key": key, "runtime": runtime, "architecture": architecture,
                                             "requirements": str(req.resolve()), "packages": packages}).encode())
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


def _private_umask() -> dict:
    """subprocess.run keyword: pip's files in the cache are created 0600/0700 (POSIX)."""
    return {"umask": 0o077} if os.name == "posix" else {}


def _missing_project(output: str) -> str | None:
    """The requirement pip found no distribution of at all ("from versions: none"), unless the
    index could not be reached; else None."""
    m = re.search(r"No matching distribution found for ([^\s;]+)", output)
    if not m:
        return None
    if re.search(r"(Failed to establish a new connection|Could not fetch URL|Temporary failure in name "
                 r"resolution|Network is unreachable)", output):
        return None
    seen = re.search(r"\(from versions: ([^)]*)\)", output)
    if seen and seen.group(1).strip() not in ("", "none"):
        return None
    return m.group(1)


def project_exists(spec: str, req: Path, lines: list[ReqLine], runtime: str, architecture: str,
                   python: str | None = None, env: dict | None = None) -> bool | None:
    """Does the index (as the requirements file configures it) know the project of ``spec`` at
    all? A dry ``pip install -vv --no-deps`` of that project alone, read for the links pip saw.
    None when that cannot be told (pip failed otherwise, timed out)."""
    import shutil
    import subprocess
    import tempfile

    name = _requirement_name(spec)
    if not name:
        return None
    options: list[str] = []
    for rl in lines:
        if rl.kind != "option":
            continue
        m = re.match(r"^(--find-links|-f)(?:\s*=\s*|\s+)(\S+)$", rl.text)
        if m and "://" not in m.group(2):
            value = m.group(2)
            local = rl.file.parent / value
            if not Path(value).is_absolute() and local.exists():
                value = str(local)
            options.append(f"--find-links {value}")
        else:
            options.append(rl.text)
    tmp = Path(tempfile.mkdtemp(prefix="lambdactl-probe-"))
    try:
        probe = tmp / "requirements.txt"
        probe.write_text("\n".join(options + [name]) + "\n")
        cmd = [python or sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--ignore-installed",
               "--target", str(tmp / "t")]
        for tag in platform_tags(runtime, architecture):
            cmd += ["--platform", tag]
        cmd += ["--only-binary=:all:", "--implementation", "cp", "--python-version", python_version(runtime),
                "-vv", "--no-input", "--disable-pip-version-check", "-r", str(probe)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(req.resolve().parent),
                                  env=env, timeout=PROBE_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired):
            return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out = proc.stdout + "\n" + proc.stderr
    if re.search(r"(Failed to establish a new connection|Temporary failure in name resolution|"
                 r"Network is unreachable|ConnectTimeout|Read timed out)", out):
        return None
    if re.search(r"^\s*Found link ", out, re.M):
        return True
    for reason in re.findall(r"^\s*Skipping link: (.+?): (?:[a-z+]+://|/)", out, re.M):
        if not reason.startswith("wrong project name") and reason != "not a file":
            return True
    if "No matching distribution found" in out:
        return False
    return None


def _not_found(spec: str, req: Path, lines: list[ReqLine]) -> UsageError:
    name = _requirement_name(spec) or spec
    rl = next((r for r in lines if r.kind == "requirement" and _requirement_name(r.value)
               and _canonical(_requirement_name(r.value)) == _canonical(name)), None)
    where = f"{_where(rl, req)}: " if rl is not None else ""
    return UsageError(f"{where}{name} was not found on the package index (no project of that name)",
                      hint=f"check the spelling of {name!r} in {Path(req).name} (on PyPI: "
                           f"https://pypi.org/project/{name}/), or the index/--find-links it uses")


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
