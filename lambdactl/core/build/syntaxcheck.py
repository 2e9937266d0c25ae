"""The syntax check of a package's Python sources before anything is zipped: by the target
runtime's interpreter when one is installed (in subprocesses, in chunks), else by the running one;
results cached by content hash in the entry cache. Vendored dependency files are not checked.
"""
from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from typing import Iterable

from lambdactl.core.build.sourcetree import FileItem
from lambdactl.errors import UsageError


# --- the syntax check ------------------------------------------------------------------------

CHECK_INPROC_BYTES = 256 * 1024      # less source than this, for the running interpreter: in-process
CHECK_CHUNK_BYTES = 1024 * 1024      # about this much source per checker subprocess (up to --jobs)

# Run by the target interpreter (``python3.X -I -S -c``): paths on stdin (NUL-separated), one
# [index, content sha256 (32 hex), line or None, message or None] per path on stdout (JSON).
CHECK_SCRIPT = r"""
import hashlib, json, sys, warnings
warnings.simplefilter("ignore")
out = []
for i, p in enumerate(sys.stdin.buffer.read().split(b"\0")[:-1]):
    try:
        with open(p, "rb") as f:
            src = f.read()
    except OSError as e:
        out.append([i, None, 0, "cannot read it: %s" % e.strerror])
        continue
    d = hashlib.sha256(src).hexdigest()[:32]
    try:
        compile(src, p.decode("utf-8", "replace"), "exec", dont_inherit=True)
    except SyntaxError as e:
        out.append([i, d, e.lineno or 0, e.msg or "invalid syntax"])
    except Exception as e:
        out.append([i, d, 0, "%s: %s" % (type(e).__name__, e)])
    else:
        out.append([i, d, None, None])
sys.stdout.write(json.dumps(out))
"""


@dataclass
class SyntaxChecker:
    """Which grammar checks the source: ``exe`` runs the check in subprocesses (None: the
    running interpreter, in-process for small amounts)."""
    grammar: str                 # e.g. "python3.12"
    target: str                  # the runtime's, e.g. "python3.12"
    exe: str | None
    signature: str               # the cache key of the results

    @property
    def exact(self) -> bool:
        return self.grammar == self.target


def syntax_checker(runtime: str | None) -> SyntaxChecker | None:
    """The checker for ``runtime`` (None for a runtime that is not Python). ``python3.X`` is
    looked up on PATH when the running interpreter is another version."""
    from lambdactl.core.model import runtimes

    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if runtime is None:
        version = running
    else:
        rt = runtimes.BY_NAME.get(runtime)
        if rt is None or rt.family != "python":
            return None
        version = rt.version
    here = f"python{running}|{sys.version}|{sys.executable}"
    if version == running:
        return SyntaxChecker(f"python{version}", f"python{version}", None, here)
    import shutil

    exe = shutil.which(f"python{version}")
    if exe:
        try:
            st = os.stat(exe)
            return SyntaxChecker(f"python{version}", f"python{version}", exe,
                                 f"python{version}|{os.path.realpath(exe)}|{st.st_size}|{st.st_mtime_ns}")
        except OSError:
            pass
    return SyntaxChecker(f"python{running}", f"python{version}", None, here + f"|for {version}")


def _check_inproc(paths: list[str]) -> list[list]:
    import warnings

    out: list[list] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, p in enumerate(paths):
            try:
                with open(p, "rb") as f:
                    src = f.read()
            except OSError as exc:
                out.append([i, None, 0, f"cannot read it: {exc.strerror}"])
                continue
            d = hashlib.sha256(src).hexdigest()[:32]
            try:
                compile(src, p, "exec", dont_inherit=True)
            except SyntaxError as exc:
                out.append([i, d, exc.lineno or 0, exc.msg or "invalid syntax"])
            except Exception as exc:  # noqa: BLE001 - null bytes, recursion: reported, not raised
                out.append([i, d, 0, f"{type(exc).__name__}: {exc}"])
            else:
                out.append([i, d, None, None])
    return out


class _CheckRun:
    """A syntax check under way: subprocesses started at once (they run while the zip is
    compressed), or the in-process check run by :meth:`wait`."""

    def __init__(self, checker: SyntaxChecker, paths: list[str], sizes: list[int], jobs: int | None):
        self.checker = checker
        self.paths = paths
        self.procs: list[tuple[list[int], object]] = []
        total = sum(sizes)
        if checker.exe is None and total <= CHECK_INPROC_BYTES:
            return
        import subprocess

        k = max(1, min(jobs or os.cpu_count() or 1, -(-total // CHECK_CHUNK_BYTES), len(paths)))
        groups: list[list[int]] = [[] for _ in range(k)]
        load = [0] * k
        for i in sorted(range(len(paths)), key=lambda i: -sizes[i]):
            g = load.index(min(load))
            groups[g].append(i)
            load[g] += sizes[i] + 2048
        cmd = [checker.exe or sys.executable, "-I", "-S", "-c", CHECK_SCRIPT]
        try:
            for g in groups:
                proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
                self.procs.append((g, proc))
            for g, proc in self.procs:
                proc.stdin.write(b"".join(os.fsencode(paths[i]) + b"\0" for i in g))
                proc.stdin.close()
        except OSError:
            self._fallback()

    def _fallback(self) -> None:
        """The interpreter could not be run: check with the running one instead."""
        self.close()
        self.procs = []
        if self.checker.exe is not None:
            running = f"python{sys.version_info[0]}.{sys.version_info[1]}"
            self.checker = SyntaxChecker(running, self.checker.target, None,
                                         f"{running}|{sys.version}|{sys.executable}|for {self.checker.target}")

    def close(self) -> None:
        for _g, proc in self.procs:
            try:
                proc.kill()
                proc.wait()
            except OSError:
                pass

    def wait(self) -> list[list]:
        """[[index into paths, digest (hex) or None, line or None (ok), message], ...]"""
        import json

        if not self.procs:
            return _check_inproc(self.paths)
        results: list[list] = []
        try:
            for g, proc in self.procs:
                out = proc.stdout.read()
                proc.stdout.close()
                if proc.wait() != 0:
                    raise ValueError("checker failed")
                for r in json.loads(out):
                    r[0] = g[r[0]]
                    results.append(r)
        except (ValueError, OSError, IndexError, TypeError):
            self._fallback()
            return _check_inproc(self.paths)
        finally:
            self.close()
        return results


def vendored_tops(records: Iterable[str]) -> set[str]:
    """Top-level names of the packages vendored into the source with ``pip install -t``, from
    ``records`` (paths of the ``<dist>.dist-info/RECORD`` files at its root): dependencies, not
    checked."""
    tops: set[str] = set()
    for path in records:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        for line in text.splitlines():
            head = line.split(",", 1)[0].strip().strip('"').split("/", 1)[0]
            if head and head != ".." and not head.endswith((".dist-info", ".data")):
                tops.add(head)
    return tops


def _vendored(items: dict[str, FileItem], cache) -> set[str]:
    """:func:`vendored_tops` of the source's root ``*.dist-info/RECORD`` files, remembered in the
    entry cache while those files are unchanged (by size and mtime)."""
    recs = tuple((n, items[n].size, items[n].mtime_ns) for n in sorted(
        n for n in items if n[-7:] == "/RECORD" and n.count("/") == 1 and n.endswith(".dist-info/RECORD")
        and items[n].key[:1] != "\0"))
    memo = cache.memo.get("vendored")
    if isinstance(memo, tuple) and len(memo) == 2 and memo[0] == recs:
        return set(memo[1])
    tops = vendored_tops(items[arc].path for arc, _, _ in recs)
    cache.remember("vendored", (recs, tuple(sorted(tops))))
    return tops


def _syntax_error(errors: list[tuple[str, int, str]], checker: SyntaxChecker, disp) -> UsageError:
    errors.sort()
    arc, line, msg = errors[0]
    loc = f"{disp(arc)}:{line}" if line else disp(arc)
    grammar = f"{checker.grammar} grammar" if checker.exact else \
        f"{checker.grammar} grammar: no {checker.target} on PATH"
    more = ""
    if len(errors) > 1:
        rest = [f"{disp(a)}:{ln}" if ln else disp(a) for a, ln, _ in errors[1:4]]
        more = (f"; {len(errors) - 1} more file{'s' if len(errors) > 2 else ''} with errors: "
                f"{', '.join(rest)}{', ...' if len(errors) > 4 else ''}")
    return UsageError(f"syntax error in {loc}: {msg} ({grammar}){more}",
                      hint="fix the file, or leave it out (.lambdaignore or --exclude); "
                           "--no-check skips the check")
