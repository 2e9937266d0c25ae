"""Deterministic, fast, correct deployment zips (``lambdactl package``; deploy, layers and the
sandbox call :func:`build_package`).

Public API::

    build_package(source, *, requirements=None, runtime=None, architecture="x86_64",
                  exclude=(), handler=None, out=None, cache_dir=None, use_cache=True,
                  jobs=None, progress=None, log=None, verbose=False, level=5,
                  keep_data=True) -> PackageResult
    code_sha256(data) -> str

``PackageResult.sha256`` is the base64 SHA-256 exactly as Lambda reports ``CodeSha256``, and
``PackageResult.data`` holds the zip bytes (unless ``keep_data=False`` with ``out``).

What goes in: the files under ``source`` minus the built-in excludes (:data:`BUILTIN_EXCLUDES`,
plus any directory holding a ``pyvenv.cfg``), the ``exclude`` globs and the source's
``.lambdaignore`` (gitignore syntax: ``*``, ``**``, ``?``, ``[...]``, a trailing ``/`` for
directories, a ``/`` inside anchors to the source root, ``!`` re-includes), plus the
dependencies of ``requirements`` installed for the target platform (:mod:`lambdactl.core.deps`).
Symlinks are followed when they point inside the source; one pointing outside, dangling or
looping is a UsageError naming it. Source files win over dependency files of the same name.

The zip: entries sorted by name, 1980-01-01 timestamps, files 0644 (0755 when executable),
directories 0755, Unix "made by", raw deflate (level 5) computed on all cores, with the incremental
entry cache of :mod:`lambdactl.core.zipbuild` (keyed by path + size + mtime + content hash). An
output that the cache wrote and whose entries are unchanged is left alone ("unchanged").

Limits: more than 250 MB unzipped is a UsageError naming the five largest top-level entries;
more than 50 MB zipped adds a warning (``PackageResult.warnings``).
"""
from __future__ import annotations

import base64
import gc
import hashlib
import marshal
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from lambdactl.core import zipbuild
from lambdactl.errors import OperationError, UsageError

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# Built-in excludes (gitignore syntax). Those in SOURCE_ONLY_EXCLUDES apply at the source root
# only (not to the vendored dependencies, where such names may be real packages).
BUILTIN_EXCLUDES = ("__pycache__/", "*.pyc", "*.pyo", ".git", ".hg", ".svn", ".venv/",
                    ".pytest_cache/", ".mypy_cache/", ".ruff_cache/", ".tox/", ".nox/", ".DS_Store",
                    ".env", ".env.*", "lambdactl.toml", ".lambdaignore", ".lambdactl/", ".aws-sam/")
# (*.egg-info stays in the dependencies: importlib.metadata reads it there)
SOURCE_ONLY_EXCLUDES = ("/venv/", "/env/", "/node_modules/.cache/", "*.egg-info/")
IGNORE_FILE = ".lambdaignore"
MAX_ZIPPED = 50 * 1024 * 1024            # direct upload limit (larger: through S3)
MAX_UNZIPPED = 250 * 1024 * 1024         # function + layers, unzipped


@dataclass
class PackageResult:
    path: Path | None
    sha256: str                  # base64, as Lambda's CodeSha256
    size: int                    # compressed zip bytes
    uncompressed_size: int
    files: int
    data: bytes | None = field(default=None, repr=False)   # the zip bytes (set unless keep_data=False)
    entries: int = 0                 # files + directory entries
    runtime: str | None = None
    architecture: str = "x86_64"
    requirements: str | None = None
    dependencies: list[str] = field(default_factory=list)   # distributions vendored
    dependency_files: int = 0
    deps_cached: bool | None = None  # None: no requirements; True: from the cache (pip not run)
    pip_ran: bool = False
    compressed: int = 0              # files deflated in this build
    hashed: int = 0                  # files read and hashed (content unchanged: not recompressed)
    reused: int = 0                  # files taken from the entry cache without reading them
    status: str = "written"          # "written" | "unchanged" (identical zip already at path) | "built"
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict, repr=False)   # phase -> seconds

    def to_dict(self) -> dict:
        return {"path": str(self.path) if self.path else None, "sha256": self.sha256,
                "size": self.size, "uncompressed_size": self.uncompressed_size, "files": self.files,
                "entries": self.entries, "runtime": self.runtime, "architecture": self.architecture,
                "requirements": self.requirements, "dependencies": self.dependencies,
                "deps_cached": self.deps_cached, "pip_ran": self.pip_ran,
                "compressed": self.compressed, "hashed": self.hashed, "reused": self.reused,
                "status": self.status, "seconds": round(self.seconds, 3), "warnings": self.warnings}


def code_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


# --- ignore rules (gitignore syntax) --------------------------------------------------------

def glob_to_regex(pat: str) -> str:
    """A gitignore-style glob as a regex over '/'-separated paths (no anchors added)."""
    out: list[str] = []
    i, n = 0, len(pat)
    while i < n:
        c = pat[i]
        if c == "*":
            if pat.startswith("**", i):
                j = i + 2
                if j < n and pat[j] == "/":
                    out.append("(?:.*/)?")
                    i = j + 1
                    continue
                out.append(".*")
                i = j
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pat.find("]", i + 2 if pat[i + 1:i + 2] in ("!", "^") else i + 1)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = pat[i + 1:j]
                if body[:1] in ("!", "^"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j + 1
                continue
        elif c == "\\" and i + 1 < n:
            out.append(re.escape(pat[i + 1]))
            i += 2
            continue
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


@dataclass
class _Rule:
    pattern: str
    regex: re.Pattern
    negate: bool
    dir_only: bool
    anchored: bool
    source_only: bool


class IgnoreRules:
    """Ordered gitignore-style rules; the last matching rule decides (``!`` re-includes)."""

    def __init__(self) -> None:
        self.rules: list[_Rule] = []
        self._fast: dict[bool, tuple] = {}
        self._memo: dict[bool, dict[str, bool]] = {False: {}, True: {}}

    def add(self, pattern: str, *, source_only: bool = False, origin: str = "exclude") -> None:
        p = pattern.strip()
        if not p or p.startswith("#"):
            return
        negate = p.startswith("!")
        if negate:
            p = p[1:]
        dir_only = p.endswith("/")
        p = p.rstrip("/")
        if not p:
            return
        anchored = "/" in p
        p = p.lstrip("/")
        try:
            rx = re.compile(glob_to_regex(p) + r"\Z", re.S)
        except re.error as exc:
            raise UsageError(f"{origin}: invalid pattern {pattern!r}: {exc}",
                             hint="gitignore syntax: *, **, ?, [abc], a trailing / for directories")
        self.rules.append(_Rule(pattern, rx, negate, dir_only, anchored, source_only))
        self._fast.clear()
        self._memo = {False: {}, True: {}}

    def _compiled(self, deps: bool):
        if deps not in self._fast:
            rules = [r for r in self.rules if not (deps and r.source_only)]
            if any(r.negate for r in rules):
                self._fast[deps] = (None, rules)
            else:
                def join(sel):
                    pats = [r.regex.pattern for r in rules if sel(r)]
                    return re.compile("|".join(f"(?:{p})" for p in pats), re.S) if pats else None
                self._fast[deps] = ((join(lambda r: not r.anchored and not r.dir_only),
                                     join(lambda r: not r.anchored and r.dir_only),
                                     join(lambda r: r.anchored and not r.dir_only),
                                     join(lambda r: r.anchored and r.dir_only)), rules)
        return self._fast[deps]

    def matcher(self, deps: bool = False) -> Callable[[str, str, bool], bool]:
        """A fast ``(rel, name, is_dir) -> excluded`` for walking (name: rel's last part)."""
        fast, rules = self._compiled(deps)
        if fast is None:
            return lambda rel, name, is_dir: self.excluded(rel, is_dir, deps=deps)
        b_any, b_dir, p_any, p_dir = fast
        memo = self._memo[deps]
        b_any_m = b_any.match if b_any else (lambda _: None)
        p_any_m = p_any.match if p_any else None
        b_dir_m = b_dir.match if b_dir else (lambda _: None)
        p_dir_m = p_dir.match if p_dir else (lambda _: None)

        def match(rel: str, name: str, is_dir: bool) -> bool:
            if is_dir:
                return bool(b_any_m(name) or (p_any_m and p_any_m(rel)) or b_dir_m(name) or p_dir_m(rel))
            if p_any_m is None:
                hit = memo.get(name)
                if hit is None:
                    hit = memo[name] = bool(b_any_m(name))
                return hit
            return bool(b_any_m(name) or p_any_m(rel))
        return match

    def excluded(self, rel: str, is_dir: bool, *, deps: bool = False) -> bool:
        fast, rules = self._compiled(deps)
        base = rel.rsplit("/", 1)[-1]
        if fast is not None:
            b_any, b_dir, p_any, p_dir = fast
            if not is_dir and p_any is None:     # the common case: a memo by base name
                memo = self._memo[deps]
                hit = memo.get(base)
                if hit is None:
                    hit = memo[base] = bool(b_any and b_any.match(base))
                return hit
            return bool((b_any and b_any.match(base)) or (p_any and p_any.match(rel))
                        or (is_dir and ((b_dir and b_dir.match(base)) or (p_dir and p_dir.match(rel)))))
        result = False
        for r in rules:
            if r.dir_only and not is_dir:
                continue
            if r.regex.match(rel if r.anchored else base):
                result = not r.negate
        return result


def ignore_rules(source: Path, exclude: Iterable[str] = ()) -> IgnoreRules:
    rules = IgnoreRules()
    for p in BUILTIN_EXCLUDES:
        rules.add(p, origin="built-in excludes")
    for p in SOURCE_ONLY_EXCLUDES:
        rules.add(p, source_only=True, origin="built-in excludes")
    for p in exclude:
        rules.add(p, origin="exclude")
    ign = source / IGNORE_FILE
    if ign.is_file():
        for line in ign.read_text(errors="replace").splitlines():
            rules.add(line, origin=str(ign))
    return rules


# --- walking the tree ------------------------------------------------------------------------

@dataclass(slots=True)
class FileItem:
    arc: str            # name in the zip
    path: str           # path to read (may go through symlinks)
    size: int
    mtime_ns: int
    mode: int           # 0o644 or 0o755
    key: str = ""       # entry-cache key (the arc, "\0"-prefixed for dependencies)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _check_link(e, rel: str, root_real: str, disp) -> str:
    """The real path of the symlink ``e``; UsageError when it dangles, loops or leaves the source."""
    try:
        real = str(Path(e.path).resolve(strict=True))
    except FileNotFoundError:
        raise UsageError(f"symlink {disp(rel)} points to a missing file ({os.readlink(e.path)})",
                         hint="remove the link or exclude it (exclude = [...] or .lambdaignore)")
    except (RuntimeError, OSError):
        raise UsageError(f"symlink {disp(rel)} loops", hint="remove the link or exclude it")
    if not _inside(real, root_real):
        raise UsageError(
            f"symlink {disp(rel)} points outside the source directory ({os.readlink(e.path)})",
            hint="copy what it points to into the source directory, or exclude the link "
                 "(exclude = [...] or .lambdaignore)")
    return real


def collect(root: Path, rules: IgnoreRules, *, deps: bool = False, shown: str | None = None,
            skip: set[tuple[int, int]] = frozenset()) -> list[FileItem]:
    """The files under ``root`` that go into the zip (unsorted). ``skip``: (dev, ino) of files
    never to include (the output zip, the project file). A bad symlink is a UsageError naming
    it (the first one in name order, whatever order the file system lists entries in)."""
    try:
        return _collect(root, rules, deps=deps, shown=shown, skip=skip, ordered=False)
    except UsageError:
        return _collect(root, rules, deps=deps, shown=shown, skip=skip, ordered=True)


def _collect(root: Path, rules: IgnoreRules, *, deps: bool, shown: str | None,
             skip: set[tuple[int, int]], ordered: bool) -> list[FileItem]:
    root_real = os.path.realpath(root)
    shown = shown if shown is not None else str(root)
    files: list[FileItem] = []

    def disp(rel: str) -> str:
        return os.path.join(shown, rel) if shown not in ("", ".") else rel

    excluded = rules.matcher(deps)
    append = files.append
    sep = os.sep
    key_prefix = "\0" if deps else ""
    stack: list[tuple[str, str, tuple[str, ...]]] = [(str(root), "", (root_real,))]
    push = stack.append
    while stack:
        dirpath, prefix, chain = stack.pop()
        try:
            entries = list(os.scandir(dirpath))
        except OSError as exc:
            raise UsageError(f"cannot read directory {disp(prefix) or shown}: {exc.strerror}")
        if ordered:
            entries.sort(key=lambda e: e.name)
        mark_files, mark_stack = len(files), len(stack)
        venv = False
        try:
            for e in entries:
                name = e.name
                if name == "pyvenv.cfg" and prefix and not deps:
                    venv = True         # a virtualenv: dropped below
                    break
                rel = prefix + name
                try:
                    is_dir = e.is_dir()
                except OSError:
                    is_dir = False
                if excluded(rel, name, is_dir):
                    continue
                if e.is_symlink():
                    real = _check_link(e, rel, root_real, disp)
                    if is_dir:
                        if real in chain:
                            raise UsageError(f"symlink {disp(rel)} loops (it points to {os.readlink(e.path)}, "
                                             f"a directory that contains it)",
                                             hint="remove the link or exclude it")
                        push((e.path, rel + "/", chain + (real,)))
                        continue
                elif is_dir:
                    push((e.path, rel + "/", chain + (chain[-1] + sep + name,)))
                    continue
                try:
                    if not e.is_file():
                        continue        # sockets, fifos, devices
                    st = e.stat()
                except OSError as exc:
                    raise UsageError(f"cannot read {disp(rel)}: {exc.strerror}")
                if skip and (st.st_dev, st.st_ino) in skip:
                    continue
                if not rel.isascii():
                    try:
                        rel.encode("utf-8")
                    except UnicodeEncodeError:
                        raise UsageError(f"file name is not valid UTF-8: {disp(rel)!r}", hint="rename the file")
                append(FileItem(rel, e.path, st.st_size, st.st_mtime_ns, 0o755 if st.st_mode & 0o111 else 0o644,
                                key_prefix + rel if deps else rel))
        except UsageError:
            if not (prefix and not deps and any(e.name == "pyvenv.cfg" for e in entries)):
                raise
            venv = True             # a bad link inside a virtualenv: the venv is dropped anyway
        if venv:
            del files[mark_files:]
            del stack[mark_stack:]
    return files


# --- checks ----------------------------------------------------------------------------------

def handler_candidates(handler: str, runtime: str | None) -> list[str]:
    """The files that must exist in the zip for ``handler`` (any one of them)."""
    module = handler.rsplit(".", 1)[0]
    py = module.replace(".", "/")
    python = [f"{py}.py", f"{py}/__init__.py", f"{py}.so"]
    node = [f"{module}{ext}" for ext in (".js", ".mjs", ".cjs")]
    family = None
    if runtime:
        family = "nodejs" if runtime.startswith("nodejs") else "python" if runtime.startswith("python") else None
    if family == "python":
        return python
    if family == "nodejs":
        return node
    return python + node


def check_handler(handler: str, runtime: str | None, names) -> None:
    """UsageError unless the handler's module is among ``names`` (a set or dict of zip names)."""
    cands = handler_candidates(handler, runtime)
    if any(c in names for c in cands):
        return
    module = handler.rsplit(".", 1)[0].replace(".", "/")
    if runtime is None or runtime.startswith("python"):   # compiled extension modules
        pref = module + "."
        if any(n.startswith(pref) and n.endswith(".so") for n in names):
            return
    top = sorted({n.split("/", 1)[0] + ("/" if "/" in n else "") for n in names})
    listing = ", ".join(top[:8]) + (", ..." if len(top) > 8 else "") if top else "nothing"
    raise UsageError(f"handler {handler!r}: {cands[0]} is not in the package (top level: {listing})",
                     hint=f"fix [function] handler (or --handler), or point --source at the directory "
                          f"that contains {cands[0]}")


def top_level_sizes(items: Iterable[FileItem]) -> list[tuple[str, int]]:
    sizes: dict[str, int] = {}
    for it in items:
        head, sep, _ = it.arc.partition("/")
        key = head + "/" if sep else head
        sizes[key] = sizes.get(key, 0) + it.size
    return sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


# --- the build ---------------------------------------------------------------------------------

def build_package(source, *, requirements=None, runtime=None, architecture="x86_64", exclude=(),
                  handler=None, out=None, cache_dir=None, use_cache: bool = True, jobs: int | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  log: Callable[[str], None] | None = None, verbose: bool = False,
                  level: int = zipbuild.LEVEL, keep_data: bool = True) -> PackageResult:
    """Build the deployment zip (see the module doc). ``progress(done_bytes, total_bytes)`` is
    called while files are compressed; ``log(line)`` receives progress lines (pip).
    ``keep_data=False`` (only with ``out``): leave ``PackageResult.data`` None, which lets an
    unchanged rebuild skip reading the zip back."""

    gc_was_enabled = gc.isenabled()
    gc.disable()        # allocation-heavy, no cycles: the collector would only cost time
    try:
        return _build_package(source, requirements=requirements, runtime=runtime,
                              architecture=architecture, exclude=exclude, handler=handler, out=out,
                              cache_dir=cache_dir, use_cache=use_cache, jobs=jobs, progress=progress,
                              log=log, verbose=verbose, level=level, keep_data=keep_data)
    finally:
        if gc_was_enabled:
            gc.enable()


def _build_package(source, *, requirements, runtime, architecture, exclude, handler, out, cache_dir,
                   use_cache, jobs, progress, log, verbose, level, keep_data) -> PackageResult:
    from lambdactl.core import deps as deps_mod
    from lambdactl.core import runtimes

    t0 = time.perf_counter()
    src = Path(source)
    if not src.is_dir():
        raise UsageError(f"source directory not found: {src}", hint="set [function] source or --source DIR")
    if architecture not in runtimes.ARCHITECTURES:
        raise UsageError(f"unknown architecture {architecture!r}",
                         hint=f"allowed: {', '.join(runtimes.ARCHITECTURES)}")
    if runtime is not None and runtime not in runtimes.BY_NAME:
        raise UsageError(f"{runtime!r} is not a known Lambda runtime",
                         hint=f"supported: {', '.join(runtimes.SUPPORTED)}")
    if requirements is not None and runtime is None:
        raise UsageError("vendoring requirements needs the target runtime",
                         hint=f"pass --runtime (e.g. {runtimes.DEFAULT_RUNTIME}) or set [function] runtime")
    cache_root = Path(cache_dir) if cache_dir else deps_mod.default_cache_dir()
    rules = ignore_rules(src, exclude)

    skip: set[tuple[int, int]] = set()
    out_path = Path(out) if out else None
    if out_path is not None:
        try:
            st = out_path.stat()
            skip.add((st.st_dev, st.st_ino))
        except OSError:
            pass

    items = {it.arc: it for it in collect(src, rules, skip=skip)}
    timings = {"walk": time.perf_counter() - t0}
    deps_res = None
    if requirements is not None:
        deps_res = deps_mod.install(requirements, runtime=runtime, architecture=architecture,
                                    cache_dir=cache_root, use_cache=use_cache, log=log, verbose=verbose)
    timings["dependencies"] = time.perf_counter() - t0 - timings["walk"]
    try:
        dep_files = 0
        if deps_res is not None:
            for it in collect(deps_res.path, rules, deps=True, shown="(dependencies)"):
                if it.arc not in items:         # the function's own files win
                    items[it.arc] = it
                    dep_files += 1
        return _build(src, items, deps_res, dep_files, runtime=runtime, architecture=architecture,
                      handler=handler, out_path=out_path, cache_root=cache_root, use_cache=use_cache,
                      jobs=jobs, progress=progress, level=level, requirements=requirements, t0=t0,
                      timings=timings, keep_data=keep_data or out_path is None)
    finally:
        if deps_res is not None:
            deps_res.cleanup()


def _build(src: Path, items: dict[str, FileItem], deps_res, dep_files: int, *, runtime, architecture,
           handler, out_path, cache_root: Path, use_cache: bool, jobs, progress, level, requirements,
           t0: float, timings: dict, keep_data: bool) -> PackageResult:
    def mark(phase: str) -> None:
        now = time.perf_counter()
        timings[phase] = now - mark.last
        mark.last = now
    mark.last = time.perf_counter()
    if handler:
        check_handler(handler, runtime, items)
    total = 0
    for it in items.values():
        total += it.size
    if total > MAX_UNZIPPED:
        largest = top_level_sizes(items.values())
        top = ", ".join(f"{k} {_mb(v)}" for k, v in largest[:5])
        raise UsageError(f"package is {_mb(total)} unzipped, over Lambda's 250 MB limit; largest: {top}",
                         hint="exclude what the function does not need (exclude = [...] or .lambdaignore), "
                              "or move big dependencies to a layer or a container image")
    names = sorted(items)
    dirs: set[str] = set()
    for n in names:
        i = n.rfind("/")
        while i > 0:
            d = n[:i + 1]
            if d in dirs:
                break
            dirs.add(d)
            i = n.rfind("/", 0, i)

    cache_dir = None
    if use_cache:
        key = hashlib.sha256(os.path.realpath(src).encode()).hexdigest()[:24]
        cache_dir = cache_root / "entries" / key
    mark("plan")
    cache = zipbuild.EntryCache.open(cache_dir, level)
    mark("cache_load")
    try:
        jobs_list: list[zipbuild.Job] = []
        digests: dict[str, bytes] = {}
        lookup = cache.lookup
        for n in names:
            it = items[n]
            d = lookup(it.key, it.size, it.mtime_ns)
            if d is None:
                jobs_list.append(zipbuild.Job(n, it.path, it.size))
            else:
                digests[n] = d
        reused = len(digests)
        work_total = sum(j.size for j in jobs_list)
        done = 0

        def tick(nbytes: int) -> None:
            nonlocal done
            done += nbytes
            if progress:
                progress(done, work_total)

        try:
            results = zipbuild.compress_jobs(jobs_list, level=level, known=cache.has, workers=jobs,
                                             progress=tick if progress else None)
        except OSError as exc:
            raise OperationError(f"cannot read {exc.filename}: {exc.strerror}")
        mark("compress")
        compressed = hashed = 0
        fresh: dict[str, zipbuild.Compressed] = {}
        for n, comp in results.items():
            it = items[n]
            if comp.data is None:
                hashed += 1
            else:
                compressed += 1
                fresh[n] = comp
            digests[n] = comp.digest
            cache.add(it.key, it.size, it.mtime_ns, comp)

        entries: list[tuple] = []
        append = entries.append
        entry = cache.entry
        use_fresh = not cache.enabled
        for n in sorted(names + list(dirs)) if dirs else names:
            if n[-1] == "/":
                append((n, 0o755, 0, 0, zipbuild.METHOD_STORED, b""))
            elif use_fresh:
                c = fresh[n]
                append((n, items[n].mode, c.crc, c.usize, c.method, c.data))
            else:
                crc, usize, method, data = entry(digests[n])
                append((n, items[n].mode, crc, usize, method, data))
        mark("entries")
        # The entries' fingerprint: an identical list at an untouched output = nothing to write.
        fingerprint = hashlib.sha256(marshal.dumps([(e[0], e[1], digests.get(e[0])) for e in entries])).digest()
        out_key = os.path.abspath(out_path) if out_path is not None else None
        same = cache.output_unchanged(out_key, fingerprint) if out_key else None
        data = None
        if same is not None:
            sha, size = same
            status = "unchanged"
            del entries
            if keep_data:
                data = out_path.read_bytes()
            mark("assemble")
        else:
            try:
                chunks = zipbuild.write_zip(entries)
            except zipbuild.ZipTooLarge as exc:
                raise UsageError(str(exc))
            del entries
            size = 0
            for c in chunks:
                size += len(c)
            if keep_data:
                data = b"".join(chunks)
                chunks = [data]
            mark("assemble")
            status = "built"
            if out_path is None:
                sha = code_sha256(data)
            else:
                # Hash on another core while the zip is written out and the cache index is
                # prepared (the pieces are large: hashlib releases the GIL for each).
                box: list[str] = []
                hasher = threading.Thread(target=_hash_pieces, args=(chunks, box), daemon=True)
                hasher.start()
                try:
                    status = _write(out_path, chunks, size, in_place=cache.owns(out_key),
                                    sha=lambda: (hasher.join(), box[0])[1])
                    cache.prepare(it.key for it in items.values())
                finally:
                    hasher.join()
                sha = box[0]
                cache.record_output(out_key, sha, fingerprint)
            del chunks
            if not keep_data:
                data = None
        mark("write")
        if not cache.prepared:
            cache.prepare(it.key for it in items.values())
        cache.commit()
    finally:
        cache.close()
    mark("cache_save")

    warnings: list[str] = []
    if size > MAX_ZIPPED:
        warnings.append(f"the zip is {_mb(size)}, over the 50 MB direct-upload limit: "
                        f"deploy uploads it through S3 (set [function] s3_bucket)")
    return PackageResult(
        out_path, sha, size, total, len(names), data,
        entries=len(names) + len(dirs), runtime=runtime, architecture=architecture,
        requirements=str(requirements) if requirements is not None else None,
        dependencies=deps_res.packages if deps_res else [], dependency_files=dep_files,
        deps_cached=(deps_res.cached if deps_res else None), pip_ran=bool(deps_res and deps_res.pip_ran),
        compressed=compressed, hashed=hashed, reused=reused, status=status,
        seconds=time.perf_counter() - t0, warnings=warnings, timings=timings)


def _hash_pieces(pieces: list, box: list) -> None:
    """Thread body: the CodeSha256 of the concatenated pieces, into ``box``."""
    h = hashlib.sha256()
    for c in pieces:
        h.update(c)
    box.append(base64.b64encode(h.digest()).decode())


def _writev(fd: int, chunks: list) -> None:
    """Write all ``chunks`` to ``fd`` with few system calls (no joined copy in memory)."""
    if not hasattr(os, "writev"):  # pragma: no cover - Windows
        for c in chunks:
            mv = memoryview(c)
            while len(mv):
                mv = mv[os.write(fd, mv):]
        return
    for i in range(0, len(chunks), 1024):
        batch = chunks[i:i + 1024]
        want = 0
        for c in batch:
            want += len(c)
        done = os.writev(fd, batch)
        if done < want:                     # a short write: finish this batch plainly
            rest = memoryview(b"".join(batch))[done:]
            while len(rest):
                rest = rest[os.write(fd, rest):]


def _write(path: Path, chunks: list, size: int, *, in_place: bool = False, sha=None) -> str:
    """Write the zip (``chunks``, ``size`` bytes in all); leave an identical existing file
    alone ("unchanged"; ``sha()`` gives the new zip's CodeSha256 for that comparison).

    A new file is written to a temporary name and renamed over ``path`` (atomic). ``in_place``
    (the file is the one the last build wrote, by its stat): overwrite it where it is, which on
    ext4 and friends is several times faster than allocating a new file and freeing the old;
    an interrupted overwrite removes the file rather than leave a torn zip behind."""
    if not in_place and sha is not None:
        try:
            if path.is_file() and path.stat().st_size == size and code_sha256(path.read_bytes()) == sha():
                return "unchanged"
        except OSError:
            pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if in_place:
            try:
                fd = os.open(path, os.O_WRONLY)
                try:
                    _writev(fd, chunks)
                    os.ftruncate(fd, size)
                finally:
                    os.close(fd)
            except BaseException:
                try:
                    os.unlink(path)
                except OSError:
                    pass
                raise
            return "written"
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            try:
                _writev(fd, chunks)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError as exc:
        raise OperationError(f"cannot write {path}: {exc.strerror}", hint="check --out and its directory")
    return "written"
