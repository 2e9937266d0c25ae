"""lambdactl package: build the deployment zip (deterministic, fast, with target-platform deps)."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from lambdactl.cli.common import project
from lambdactl.errors import UsageError
from lambdactl.output import emit, human_bytes, info as say, warn
from lambdactl.settings import current

PROGRESS_AFTER = 0.5     # seconds before a progress bar appears (TTY only)


class _Progress:
    """A rich progress bar on stderr, created lazily once the build has taken a moment."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.start = time.monotonic()
        self.bar = None
        self.task = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.start < PROGRESS_AFTER or done >= total:
                return
            try:
                from rich.console import Console
                from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                                           TimeRemainingColumn)
            except ImportError:  # pragma: no cover - rich comes with typer
                self.enabled = False
                return
            self.bar = Progress(TextColumn("compressing"), BarColumn(), DownloadColumn(),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("zip", total=total)
        self.bar.update(self.task, completed=done, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _want_progress() -> bool:
    s = current()
    try:
        return not s.quiet and sys.stderr.isatty()
    except (ValueError, AttributeError):
        return False


def package(
    source: Annotated[Optional[str], typer.Option("--source", "-s", metavar="DIR",
                                                  help="Directory to package [default: [function] source, else .].")] = None,
    requirements: Annotated[Optional[str], typer.Option("--requirements", "-r", metavar="FILE",
                                                        help="requirements.txt to vendor for the target platform "
                                                             "[default: [function] requirements].")] = None,
    out: Annotated[Optional[str], typer.Option("--out", metavar="FILE",
                                               help="Zip to write [default: .lambdactl/<function>.zip].")] = None,
    arch: Annotated[Optional[str], typer.Option("--arch", "--architecture", metavar="x86_64|arm64",
                                                help="Target architecture [default: [function] architecture, else x86_64].")] = None,
    runtime: Annotated[Optional[str], typer.Option("--runtime", metavar="RUNTIME",
                                                   help="Target runtime, e.g. python3.12 [default: [function] runtime].")] = None,
    exclude: Annotated[Optional[List[str]], typer.Option("--exclude", "-x", metavar="GLOB",
                                                         help="Exclude files matching GLOB (gitignore syntax; repeatable), "
                                                              "on top of the project's exclude and .lambdaignore.")] = None,
    include: Annotated[Optional[List[str]], typer.Option("--include", metavar="PATTERN",
                                                         help="Ship files matching PATTERN even when an exclude or the "
                                                              "credential guard leaves them out (gitignore syntax; "
                                                              "repeatable).")] = None,
    handler: Annotated[Optional[str], typer.Option("--handler", metavar="MODULE.FUNCTION",
                                                   help="Check that the handler's module is in the zip "
                                                        "[default: [function] handler].")] = None,
    no_deps: Annotated[bool, typer.Option("--no-deps", help="Do not vendor the requirements file.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Ignore the dependency and entry caches.")] = False,
    no_check: Annotated[bool, typer.Option("--no-check", help="Skip the syntax check (byte-compiling the source's .py "
                                                              "files for the runtime's Python).")] = False,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", metavar="N",
                                                help="Compression threads [default: number of CPUs].")] = None,
) -> None:
    """Build the deployment zip: deterministic, with dependencies for the target platform.

    The same inputs give a byte-identical zip (sorted entries, 1980-01-01 timestamps, modes
    0644/0755), so the printed code_sha256 equals Lambda's CodeSha256 and an unchanged deploy
    can skip the upload. Dependencies from the requirements file are installed for Lambda's
    OS/CPU/Python (manylinux wheels only) and cached; unchanged files are not recompressed.

    Every .py of the source (and the handler module) is byte-compiled for the runtime's Python
    (python3.X from PATH, else this interpreter): a syntax error fails with file:line (exit 2)
    before anything is written. Results are cached by content: a rebuild checks changed files.

    Excluded: __pycache__, *.pyc, .git, virtualenvs, .pytest_cache, .mypy_cache, .DS_Store,
    .env files, lambdactl.toml, the output zip, plus [function] exclude, --exclude and the
    source's .lambdaignore. Credentials are left out with a note: .aws/, .ssh/, *.pem, *.key,
    id_rsa*, .npmrc, .pypirc, .netrc, and files readable only by their owner (mode 0600);
    --include PATTERN or a '!PATTERN' line in .lambdaignore ships one on purpose. Caches live in
    $LAMBDACTL_CACHE_DIR (default ~/.cache/lambdactl), private to you (0700/0600).

    Examples:

      lambdactl package

      lambdactl package --source src --requirements requirements.txt --arch arm64 --runtime python3.12

      lambdactl package --out build/fn.zip --exclude 'tests/**' -o json | jq -r .code_sha256

      lambdactl package --include certs/ca.pem --no-check
    """
    from lambdactl.core.model import runtimes
    from lambdactl.core.build.deps import normalize_arch
    from lambdactl.core.build.packaging import build_package, withheld_note

    s = current()
    if arch is not None:
        arch = normalize_arch(arch)
        if arch not in runtimes.ARCHITECTURES:
            raise UsageError(f"--arch {arch!r} is not allowed", hint=f"allowed: {', '.join(runtimes.ARCHITECTURES)}")
    if runtime is not None and runtime not in runtimes.BY_NAME:
        raise UsageError(f"--runtime {runtime!r} is not a known Lambda runtime",
                         hint=f"supported: {', '.join(runtimes.SUPPORTED)}")
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs {jobs} must be at least 1")

    proj = project(required=False)
    fn = proj.function if proj else None
    if fn is not None and fn.package_type == "Image":
        raise UsageError(f"function {fn.name} is a container image (package_type = \"Image\"): there is no zip to build",
                         hint="build and push the image with docker instead")
    root = proj.root if proj else Path.cwd()
    src = Path(source) if source else (relative_to_cwd(proj.source_dir) if proj else Path("."))
    if not src.is_dir():
        raise UsageError(f"source directory not found: {src}",
                         hint="pass --source DIR or set [function] source in lambdactl.toml")
    req: Path | None = None
    if not no_deps:
        if requirements:
            req = Path(requirements)
        elif fn is not None:
            req = proj.requirements_path
        elif (src / "requirements.txt").is_file():
            req = src / "requirements.txt"
        if req is not None and not req.is_file():
            raise UsageError(f"requirements file not found: {req}",
                             hint="fix --requirements / [function] requirements, or pass --no-deps")
    rt = runtime or (fn.runtime if fn else None)
    if rt is None and req is not None:
        rt = runtimes.DEFAULT_RUNTIME
    architecture = arch or (fn.architecture if fn else "x86_64")
    excludes = list(fn.exclude if fn else []) + list(exclude or [])
    hdl = handler or (fn.handler if fn else None)
    if hdl is not None:
        from lambdactl.config import HANDLER_RE
        if not HANDLER_RE.match(hdl):
            raise UsageError(f"--handler {hdl!r} must look like module.function", hint="e.g. app.handler")
    name = fn.name if fn else (src.resolve().name or "function")
    out_path = Path(out) if out else relative_to_cwd(root / ".lambdactl" / f"{name}.zip")
    if out_path.is_dir():
        raise UsageError(f"--out {out_path} is a directory", hint="name the zip file, e.g. --out build/fn.zip")

    bar = _Progress(_want_progress())
    try:
        res = build_package(src, requirements=req, runtime=rt, architecture=architecture, exclude=excludes,
                            include=list(include or []), handler=hdl, out=out_path, use_cache=not no_cache,
                            check=not no_check, jobs=jobs, progress=bar, log=say, verbose=s.verbose,
                            keep_data=False)
    finally:
        bar.close()
    note = withheld_note(res)
    if note:
        say(note)
    for w in res.warnings:
        warn(w)
    if s.verbose:
        say("timings: " + ", ".join(f"{k} {v:.3f} s" for k, v in res.timings.items()))

    deps = None
    if res.requirements is not None:
        deps = {"requirements": str(req), "packages": res.dependencies, "files": res.dependency_files,
                "cached": bool(res.deps_cached)}
    record = {
        "path": str(res.path), "files": res.files, "size": res.size,
        "uncompressed_size": res.uncompressed_size, "code_sha256": res.sha256, "runtime": res.runtime,
        "architecture": res.architecture, "handler": hdl, "dependencies": deps, "status": res.status,
        "cache": {"reused": res.reused, "hashed": res.hashed, "compressed": res.compressed},
        "seconds": round(res.seconds, 3), "warnings": res.warnings, "withheld": res.withheld,
        "syntax_check": {"grammar": res.checker, "compiled": res.checked} if res.checker else None,
    }
    if s.output_format != "table" or s.quiet:
        emit(record, quiet_field="path")
        return
    view = {
        "path": record["path"],
        "files": res.files,
        "size": f"{human_bytes(res.size)} ({res.size:,} bytes)",
        "uncompressed": f"{human_bytes(res.uncompressed_size)} ({res.uncompressed_size:,} bytes)",
        "code_sha256": res.sha256,
        "runtime": res.runtime,
        "architecture": res.architecture,
        "dependencies": ((f"{', '.join(res.dependencies) or '-'} ({res.dependency_files} files, "
                          f"{'cached' if res.deps_cached else 'installed with pip'})")
                         if res.dependencies or res.dependency_files
                         else f"none ({Path(str(req)).name} lists no package)") if deps else None,
        "status": res.status,
        "cache": f"{res.reused} reused, {res.hashed} re-hashed, {res.compressed} compressed",
        "time": f"{res.seconds:.2f} s",
    }
    emit(view)


def relative_to_cwd(p: Path) -> Path:
    """``p`` relative to the current directory when it is inside it (for shorter paths in output)."""
    try:
        return p.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return p


def register(app: typer.Typer) -> None:
    app.command("package", help=package.__doc__)(package)
    app.command("pkg", hidden=True, help=package.__doc__)(package)
