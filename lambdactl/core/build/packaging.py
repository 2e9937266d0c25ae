"""Deterministic, fast, correct deployment zips (``lambdactl package``; deploy, layers and the
sandbox call :func:`build_package`).

Public API::

    build_package(source, *, requirements=None, runtime=None, architecture="x86_64",
                  exclude=(), include=(), handler=None, out=None, cache_dir=None, use_cache=True,
                  check=True, credentials=True, jobs=None, progress=None, log=None,
                  verbose=False, level=None, keep_data=True) -> PackageResult
    code_sha256(data) -> str
    withheld_note(result) -> str | None

``PackageResult.sha256`` is the base64 SHA-256 exactly as Lambda reports ``CodeSha256``, and
``PackageResult.data`` holds the zip bytes (unless ``keep_data=False`` with ``out``).

What goes in: the files under ``source`` minus the built-in excludes (:data:`lambdactl.core.build.sourcetree.BUILTIN_EXCLUDES`,
plus any directory holding a ``pyvenv.cfg``), the ``exclude`` globs and the source's
``.lambdaignore`` (gitignore syntax: ``*``, ``**``, ``?``, ``[...]``, a trailing ``/`` for
directories, a ``/`` inside anchors to the source root, ``!`` re-includes), plus the
dependencies of ``requirements`` installed for the target platform (:mod:`lambdactl.core.build.deps`).
Symlinks are followed when they point inside the source; one pointing outside, dangling or
looping is a UsageError naming it. Source files win over dependency files of the same name.
``include`` patterns (gitignore syntax, ``--include``) re-include files on top of every exclude.

Credentials never ship by accident (``credentials=True``, the source tree only): files in
``.aws/`` or ``.ssh/``, ``*.pem``, ``*.key``, ``id_rsa*``, ``.npmrc``, ``.pypirc``, ``.netrc``,
and files readable only by their owner (no group/other read bit, e.g. mode 0600; not when every
file of the tree is like that, as after a checkout with umask 077) are left out and listed in
``PackageResult.withheld`` (:func:`withheld_note` is the one-line note for stderr). An
``include`` pattern or a ``!pattern`` line of ``.lambdaignore`` (or ``exclude``) brings one back.

The syntax check (``check=True``): the handler module and every ``.py`` of the source tree
(not the dependencies, nor packages vendored into it with ``pip install -t``, which a
``*.dist-info`` at the source root lists) are byte-compiled with ``compile()`` for the target
runtime's grammar: by ``python3.X`` from PATH in subprocesses when the runtime's version is not
the running interpreter's, else (or when there is none) by the running interpreter. A failure is
a UsageError naming ``file:line`` and the message, before anything is written. Contents that
passed are remembered by content hash in the entry cache: a rebuild checks only changed files.

The zip: entries sorted by name, 1980-01-01 timestamps, files 0644 (0755 when executable),
directories 0755, Unix "made by", raw deflate (libdeflate, else zlib; see
:mod:`lambdactl.core.build.zipbuild`) computed on all cores, with the incremental entry cache (keyed by
path + size + mtime + content hash, and the backend). An output that the cache wrote and whose
entries are unchanged is left alone ("unchanged"). A new output is written to a ``mkstemp`` file
in the target's directory, then renamed over the target.

Limits: more than 250 MB unzipped is a UsageError naming the five largest top-level entries;
more than 50 MB zipped adds a warning (``PackageResult.warnings``).
"""
from __future__ import annotations

import base64
import gc
import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from lambdactl.core.build import zipbuild
from lambdactl.core.build.entrycache import EntryCache
from lambdactl.core.build.sourcetree import IGNORE_FILE, OWNER_ONLY, FileItem, collect, ignore_rules
from lambdactl.core.build.syntaxcheck import _CheckRun, _syntax_error, _vendored, syntax_checker
from lambdactl.errors import OperationError, UsageError
from lambdactl.files import private_dir

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
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
    withheld: list[dict] = field(default_factory=list)   # {"path", "reason"}: credentials left out
    checked: int = 0                 # .py files compiled by the syntax check in this build
    checker: str | None = None       # the grammar used, e.g. "python3.12"; None: no check
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
                "status": self.status, "seconds": round(self.seconds, 3), "warnings": self.warnings,
                "withheld": self.withheld,
                "syntax_check": ({"grammar": self.checker, "compiled": self.checked}
                                 if self.checker else None)}


def code_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def withheld_note(res) -> str | None:
    """The one-line stderr note naming the credential files a build left out (None: none)."""
    withheld = getattr(res, "withheld", None) or []
    if not withheld:
        return None
    shown = []
    for w in withheld[:5]:
        shown.append(w["path"] + (f" ({OWNER_ONLY})" if w["reason"] == OWNER_ONLY else ""))
    more = f" and {len(withheld) - 5} more" if len(withheld) > 5 else ""
    n = len(withheld)
    return (f"note: left out {n} file{'s' if n != 1 else ''} that may hold credentials: "
            f"{', '.join(shown)}{more} (to ship one on purpose: --include PATTERN, or a '!PATTERN' "
            f"line in {IGNORE_FILE})")


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


def check_handler(handler: str, runtime: str | None, names, withheld: Iterable[dict] = (),
                  shown: str | None = None) -> None:
    """UsageError unless the handler's module is among ``names`` (a set or dict of zip names);
    a module left out as a credential (``withheld``) says so."""
    cands = handler_candidates(handler, runtime)
    if any(c in names for c in cands):
        return
    held = {w["path"]: w["reason"] for w in withheld}
    hit = next((c for c in cands if c in held), None)
    if hit is not None:
        where = os.path.join(shown, hit) if shown not in (None, "", ".") else hit
        fix = f"chmod 644 {where}, or " if held[hit] == OWNER_ONLY else ""
        raise UsageError(f"handler {handler!r}: {hit} was left out of the package as a possible "
                         f"credential ({held[hit]})",
                         hint=f"{fix}ship it on purpose with --include {hit} (or a '!{hit}' line in {IGNORE_FILE})")
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
                  include=(), handler=None, out=None, cache_dir=None, use_cache: bool = True,
                  check: bool = True, credentials: bool = True, jobs: int | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  log: Callable[[str], None] | None = None, verbose: bool = False,
                  level: int | None = zipbuild.LEVEL, keep_data: bool = True) -> PackageResult:
    """Build the deployment zip (see the module doc). ``progress(done_bytes, total_bytes)`` is
    called while files are compressed; ``log(line)`` receives progress lines (pip).
    ``keep_data=False`` (only with ``out``): leave ``PackageResult.data`` None, which lets an
    unchanged rebuild skip reading the zip back. ``check=False`` skips the syntax check,
    ``credentials=False`` the credential guard (a layer's tree is all dependencies)."""

    gc_was_enabled = gc.isenabled()
    gc.disable()        # allocation-heavy, no cycles: the collector would only cost time
    try:
        return _build_package(source, requirements=requirements, runtime=runtime,
                              architecture=architecture, exclude=exclude, include=include,
                              handler=handler, out=out, cache_dir=cache_dir, use_cache=use_cache,
                              check=check, credentials=credentials, jobs=jobs, progress=progress,
                              log=log, verbose=verbose, level=level, keep_data=keep_data)
    finally:
        if gc_was_enabled:
            gc.enable()


def _build_package(source, *, requirements, runtime, architecture, exclude, include, handler, out,
                   cache_dir, use_cache, check, credentials, jobs, progress, log, verbose, level,
                   keep_data) -> PackageResult:
    from lambdactl.core.build import deps as deps_mod
    from lambdactl.core.model import runtimes

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
    rules = ignore_rules(src, exclude, include)

    skip: set[tuple[int, int]] = set()
    out_path = Path(out) if out else None
    if out_path is not None:
        try:
            st = out_path.stat()
            skip.add((st.st_dev, st.st_ino))
        except OSError:
            pass

    withheld: list[dict] = []
    items = {it.arc: it for it in collect(src, rules, skip=skip, credentials=credentials, withheld=withheld)}
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
                      timings=timings, keep_data=keep_data or out_path is None, withheld=withheld,
                      check=check)
    finally:
        if deps_res is not None:
            deps_res.cleanup()


def _build(src: Path, items: dict[str, FileItem], deps_res, dep_files: int, *, runtime, architecture,
           handler, out_path, cache_root: Path, use_cache: bool, jobs, progress, level, requirements,
           t0: float, timings: dict, keep_data: bool, withheld: list[dict], check: bool) -> PackageResult:
    def mark(phase: str) -> None:
        now = time.perf_counter()
        timings[phase] = now - mark.last
        mark.last = now
    mark.last = time.perf_counter()
    shown = str(src)
    if os.path.isabs(shown):                # name files from the current directory when inside it
        try:
            rel = os.path.relpath(shown)
            if rel != ".." and not rel.startswith(".." + os.sep):
                shown = rel
        except ValueError:
            pass

    def disp(arc: str) -> str:
        if items.get(arc) is not None and items[arc].key[:1] == "\0":
            return "(dependencies)/" + arc
        return os.path.join(shown, arc) if shown not in ("", ".") else arc

    if handler:
        check_handler(handler, runtime, items, withheld, shown)
    checker = syntax_checker(runtime) if check else None
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
        try:
            cache_dir = private_dir(private_dir(cache_root) / "entries") / key
        except OSError:
            cache_dir = None
    mark("plan")
    cache = EntryCache.open(cache_dir, level)
    mark("cache_load")
    try:
        jobs_list: list[zipbuild.Job] = []
        digests: dict[str, bytes] = {}
        stat_of, blobs, Job = cache.stats.get, cache.blobs, zipbuild.Job     # cache.lookup, inlined
        for n in names:
            it = items[n]
            rec = stat_of(it.key)
            if rec is not None and rec[1] == it.mtime_ns and rec[0] == it.size and rec[2] in blobs:
                digests[n] = rec[2]
            else:
                jobs_list.append(Job(n, it.path, it.size))
        reused = len(digests)
        run = None
        to_check: list[str] = []
        if checker is not None:
            ok = cache.checked(checker.signature)
            handler_files = set(handler_candidates(handler, runtime)) if handler else set()
            known = digests.get
            todo = [n for n in names if n[-3:] == ".py" and known(n) not in ok]
            if todo:
                vendored = _vendored(items, cache)
                if vendored:                # not the packages vendored into the source
                    todo = [n for n in todo if n.partition("/")[0] not in vendored or n in handler_files]
                to_check = [n for n in todo if items[n].key[:1] != "\0" or n in handler_files]
            if to_check:
                run = _CheckRun(checker, [items[n].path for n in to_check],
                                [items[n].size for n in to_check], jobs)
        mark("plan_check")
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
            if run is not None:
                run.close()
            raise OperationError(f"cannot read {exc.filename}: {exc.strerror}")
        except BaseException:
            if run is not None:
                run.close()
            raise
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

        if run is not None:
            errors: list[tuple[str, int, str]] = []
            passed = 0
            for i, hexd, line, msg in run.wait():
                n = to_check[i]
                if line is None:
                    if hexd is not None and bytes.fromhex(hexd) == digests.get(n):
                        ok.add(digests[n])
                        passed += 1
                else:
                    errors.append((n, line, msg))
            checker = run.checker
            if passed:
                cache.mark_checked()
            mark("check")
            if errors:
                cache.prepare(it.key for it in items.values())     # keep the work done
                cache.commit()
                raise _syntax_error(errors, checker, disp)

        all_names = sorted(names + list(dirs)) if dirs else names
        # What identifies the zip: names and modes (ident), and each member's content (digests).
        modes = bytes([2 if n[-1] == "/" else (1 if items[n].mode == 0o755 else 0) for n in all_names])
        ident = hashlib.sha256("\0".join(all_names).encode("utf-8") + b"\0" + modes).digest()
        zero = bytes(16)
        dget = digests.get
        dig_bytes = b"".join([dget(n, zero) for n in all_names])
        fingerprint = hashlib.sha256(ident + dig_bytes).digest()
        mark("entries")
        out_key = os.path.abspath(out_path) if out_path is not None else None
        same = cache.output_unchanged(out_key, fingerprint) if out_key else None
        data = None
        patched = None
        if same is None and out_key is not None and not keep_data and cache.owns(out_key):
            patched = _patch_output(out_path, cache, ident, dig_bytes, all_names, items, results)
        if same is not None:
            sha, size = same
            status = "unchanged"
            if keep_data:
                data = out_path.read_bytes()
            mark("assemble")
        elif patched is not None:
            # the previous zip updated in place (its unchanged start was hashed meanwhile):
            # hash the rest while the cache index is prepared
            hasher, pieces, layout, size = patched
            mark("assemble")
            for piece in pieces:
                hasher.feed(piece)
            del pieces
            try:
                cache.prepare(it.key for it in items.values())
            finally:
                sha = hasher.result()
            status = "written"
            cache.record_output(out_key, sha, fingerprint, (ident, dig_bytes, layout))
        else:
            entries: list[tuple] = []
            append = entries.append
            entry = cache.entry
            use_fresh = not cache.enabled
            for n in all_names:
                if n[-1] == "/":
                    append((n, 0o755, 0, 0, zipbuild.METHOD_STORED, b""))
                elif use_fresh:
                    c = fresh[n]
                    append((n, items[n].mode, c.crc, c.usize, c.method, c.data))
                else:
                    crc, usize, method, data = entry(digests[n])
                    append((n, items[n].mode, crc, usize, method, data))
            layout_out: list = []
            try:
                chunks = zipbuild.write_zip(entries, layout_out)
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
                box = []
                hasher = threading.Thread(target=_hash_pieces, args=(chunks, box), daemon=True)
                hasher.start()
                try:
                    status = _write(out_path, chunks, size, in_place=cache.owns(out_key),
                                    sha=lambda: (hasher.join(), box[0])[1])
                    cache.prepare(it.key for it in items.values())
                finally:
                    hasher.join()
                sha = box[0]
                cache.record_output(out_key, sha, fingerprint,
                                    (ident, dig_bytes, layout_out[0]) if layout_out else None)
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
        withheld=withheld, checked=len(to_check), checker=checker.grammar if checker else None,
        compressed=compressed, hashed=hashed, reused=reused, status=status,
        seconds=time.perf_counter() - t0, warnings=warnings, timings=timings)


def _patch_output(out_path: Path, cache, ident: bytes, dig_bytes: bytes, all_names: list[str],
                  items: dict[str, FileItem], read: Iterable[str]):
    """Update the zip the cache last wrote at ``out_path`` in place when only a few members'
    contents changed (same names and modes): (pieces, layout, size), or None to assemble it
    anew. ``read``: the files read in this build (the only ones whose content can differ)."""
    from bisect import bisect_left

    rec = cache.layout(os.path.abspath(out_path))
    if rec is None or rec[0] != ident or len(rec[1]) != len(dig_bytes) or rec[2] is None:
        return None
    old_d = rec[1]
    changed = []
    for n in read:
        i = bisect_left(all_names, n)
        if old_d[i * 16:i * 16 + 16] != dig_bytes[i * 16:i * 16 + 16]:
            changed.append(i)
    if not changed or len(changed) > zipbuild.PATCH_MAX:
        return None
    changed.sort()
    prev = 0
    for i in changed + [len(all_names)]:        # every other member must be the same
        if old_d[prev * 16:i * 16] != dig_bytes[prev * 16:i * 16]:
            return None
        prev = i + 1
    members = []
    for i in changed:
        n = all_names[i]
        crc, usize, method, data = cache.entry(dig_bytes[i * 16:i * 16 + 16])
        members.append((i, n, items[n].mode, crc, usize, method, data))
    try:
        fd = os.open(out_path, os.O_RDWR)
    except OSError:
        return None
    hasher = _Hasher()
    try:
        try:
            return (hasher,) + zipbuild.patch_zip(fd, rec[2], members, on_prefix=hasher.feed)
        except (ValueError, zipbuild.ZipTooLarge):      # raised before anything is written
            if hasher.is_alive():
                hasher.result()
            return None
        except BaseException:
            try:
                os.unlink(out_path)             # never leave a torn zip behind
            except OSError:
                pass
            raise
    except OSError as exc:
        raise OperationError(f"cannot write {out_path}: {exc.strerror}", hint="check --out and its directory")
    finally:
        os.close(fd)


class _Hasher(threading.Thread):
    """CodeSha256 on another core, of pieces fed while the main thread goes on (``feed``, then
    ``result()``): hashlib releases the GIL for each large piece."""

    def __init__(self):
        from queue import SimpleQueue

        super().__init__(daemon=True, name="lambdactl-sha256")
        self.q = SimpleQueue()
        self.h = hashlib.sha256()

    def feed(self, piece) -> None:
        if not self.is_alive() and self.ident is None:
            self.start()
        self.q.put(piece)

    def run(self) -> None:
        update, get = self.h.update, self.q.get
        while (piece := get()) is not None:
            update(piece)

    def result(self) -> str:
        self.feed(None)
        self.join()
        return base64.b64encode(self.h.digest()).decode()


def _hash_pieces(pieces: list, box: list) -> None:
    """Thread body: the CodeSha256 of the concatenated pieces, into ``box``."""
    h = hashlib.sha256()
    for c in pieces:
        h.update(c)
    box.append(base64.b64encode(h.digest()).decode())


def _umask() -> int:
    """The process umask (read without changing it where /proc tells it)."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write(path: Path, chunks: list, size: int, *, in_place: bool = False, sha=None) -> str:
    """Write the zip (``chunks``, ``size`` bytes in all); leave an identical existing file
    alone ("unchanged"; ``sha()`` gives the new zip's CodeSha256 for that comparison).

    A new file is written to a ``mkstemp`` file (O_EXCL, 0600) in the target's directory, given
    the mode a new file gets (0666 less the umask) and renamed over ``path`` (atomic). ``in_place``
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
                    zipbuild.write_all(fd, chunks)
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
        from lambdactl.files import replace_atomically

        replace_atomically(path, chunks, mode=0o666 & ~_umask())
    except OSError as exc:
        raise OperationError(f"cannot write {path}: {exc.strerror}", hint="check --out and its directory")
    return "written"
