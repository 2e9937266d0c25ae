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

What goes in: the files under ``source`` minus the built-in excludes (:data:`BUILTIN_EXCLUDES`,
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
import marshal
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from lambdactl.core.build import zipbuild
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
# Credential files (the source tree only; see the module doc).
CREDENTIAL_DIRS = (".aws", ".ssh")
CREDENTIAL_NAMES = ("*.pem", "*.key", "id_rsa*", ".npmrc", ".pypirc", ".netrc")
_CREDENTIAL_NAME_RE = re.compile(r"(?:.*\.pem|.*\.key|id_rsa.*|\.npmrc|\.pypirc|\.netrc)\Z", re.S | re.I)
OWNER_ONLY = "readable only by its owner"
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
        self.includes: IgnoreRules | None = None   # what brings a credential file back (see below)

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


    def included(self, rel: str) -> bool:
        """For an include list (patterns without ``!``): does a pattern match the file ``rel``
        or one of the directories it is in?"""
        if self.excluded(rel, False):
            return True
        i = rel.rfind("/")
        while i > 0:
            if self.excluded(rel[:i], True):
                return True
            i = rel.rfind("/", 0, i)
        return False


def ignore_rules(source: Path, exclude: Iterable[str] = (), include: Iterable[str] = ()) -> IgnoreRules:
    """Built-in excludes, then ``exclude``, then the source's .lambdaignore, then ``include``
    (as ``!`` rules: they win). ``rules.includes`` holds the patterns that bring a credential
    file back: ``include`` and every ``!`` line of ``exclude`` and .lambdaignore."""
    rules = IgnoreRules()
    includes = IgnoreRules()
    for p in BUILTIN_EXCLUDES:
        rules.add(p, origin="built-in excludes")
    for p in SOURCE_ONLY_EXCLUDES:
        rules.add(p, source_only=True, origin="built-in excludes")
    for p in exclude:
        rules.add(p, origin="exclude")
        if p.strip().startswith("!"):
            includes.add(p.strip()[1:], origin="exclude")
    ign = source / IGNORE_FILE
    if ign.is_file():
        for line in ign.read_text(errors="replace").splitlines():
            rules.add(line, origin=str(ign))
            if line.strip().startswith("!"):
                includes.add(line.strip()[1:], origin=str(ign))
    for p in include:
        q = p.strip()
        if q.startswith("!"):
            raise UsageError(f"--include {p!r}: an include pattern cannot start with '!'",
                             hint="to leave files out use --exclude PATTERN")
        if not q:
            continue
        rules.add("!" + q, origin="--include")
        includes.add(q, origin="--include")
    rules.includes = includes if includes.rules else None
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
            skip: set[tuple[int, int]] = frozenset(), credentials: bool = False,
            withheld: list[dict] | None = None) -> list[FileItem]:
    """The files under ``root`` that go into the zip (unsorted). ``skip``: (dev, ino) of files
    never to include (the output zip, the project file). A bad symlink is a UsageError naming
    it (the first one in name order, whatever order the file system lists entries in).
    ``credentials``: leave credential files out (see the module doc), appending
    ``{"path", "reason"}`` records to ``withheld``."""
    try:
        got, held = _collect(root, rules, deps=deps, shown=shown, skip=skip, ordered=False,
                             credentials=credentials)
    except UsageError:
        got, held = _collect(root, rules, deps=deps, shown=shown, skip=skip, ordered=True,
                             credentials=credentials)
    if withheld is not None:
        withheld.extend(sorted(held, key=lambda w: w["path"]))
    return got


def _collect(root: Path, rules: IgnoreRules, *, deps: bool, shown: str | None,
             skip: set[tuple[int, int]], ordered: bool, credentials: bool
             ) -> tuple[list[FileItem], list[dict]]:
    root_real = os.path.realpath(root)
    shown = shown if shown is not None else str(root)
    files: list[FileItem] = []
    held: list[dict] = []               # credential files left out
    owner_only: list[FileItem] = []     # files readable only by their owner (decided at the end)
    shared = 0                          # files readable by group or others
    guard = credentials and not deps
    includes = rules.includes

    def disp(rel: str) -> str:
        return os.path.join(shown, rel) if shown not in ("", ".") else rel

    excluded = rules.matcher(deps)
    skip_inos = {ino for _dev, ino in skip}
    append = files.append
    sep = os.sep
    key_prefix = "\0" if deps else ""
    cred_tails = {a + b + c + d for a in "." for b in "pP" for c in "eE" for d in "mM"} | \
        {a + b + c + d for a in "." for b in "kK" for c in "eE" for d in "yY"}
    # (directory, its arc prefix, real paths of the chain (loop check), credential dir or "")
    stack: list[tuple[str, str, tuple[str, ...], str]] = [(str(root), "", (root_real,), "")]
    push = stack.append
    while stack:
        dirpath, prefix, chain, cred_dir = stack.pop()
        try:
            entries = list(os.scandir(dirpath))
        except OSError as exc:
            raise UsageError(f"cannot read directory {disp(prefix) or shown}: {exc.strerror}")
        if ordered:
            entries.sort(key=lambda e: e.name)
        mark_files, mark_stack, mark_held, mark_owner = len(files), len(stack), len(held), len(owner_only)
        mark_shared = shared
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
                if is_dir:
                    sub_cred = cred_dir or (rel if guard and name in CREDENTIAL_DIRS else "")
                if e.is_symlink():
                    real = _check_link(e, rel, root_real, disp)
                    if is_dir:
                        if real in chain:
                            raise UsageError(f"symlink {disp(rel)} loops (it points to {os.readlink(e.path)}, "
                                             f"a directory that contains it)",
                                             hint="remove the link or exclude it")
                        push((e.path, rel + "/", chain + (real,), sub_cred))
                        continue
                elif is_dir:
                    push((e.path, rel + "/", chain + (chain[-1] + sep + name,), sub_cred))
                    continue
                try:
                    if not e.is_file():
                        continue        # sockets, fifos, devices
                    st = e.stat()
                except OSError as exc:
                    raise UsageError(f"cannot read {disp(rel)}: {exc.strerror}")
                if skip and st.st_ino in skip_inos and (st.st_dev, st.st_ino) in skip:
                    continue
                if not rel.isascii():
                    try:
                        rel.encode("utf-8")
                    except UnicodeEncodeError:
                        raise UsageError(f"file name is not valid UTF-8: {disp(rel)!r}", hint="rename the file")
                mode = st.st_mode
                item = FileItem(rel, e.path, st.st_size, st.st_mtime_ns, 0o755 if mode & 0o111 else 0o644,
                                key_prefix + rel if deps else rel)
                if guard:
                    reason = None
                    if cred_dir:
                        reason = f"in {cred_dir}/"
                    elif (name[-4:] in cred_tails or name[0] in ".iI") \
                            and _CREDENTIAL_NAME_RE.match(name):
                        reason = "credential file name"
                    if mode & 0o044:
                        shared += 1
                    elif reason is None:
                        owner_only.append(item)
                        continue
                    if reason is not None:
                        if includes is not None and includes.included(rel):
                            append(item)
                        else:
                            held.append({"path": rel, "reason": reason})
                        continue
                append(item)
        except UsageError:
            if not (prefix and not deps and any(e.name == "pyvenv.cfg" for e in entries)):
                raise
            venv = True             # a bad link inside a virtualenv: the venv is dropped anyway
        if venv:
            del files[mark_files:]
            del stack[mark_stack:]
            del held[mark_held:]
            del owner_only[mark_owner:]
            shared = mark_shared
    if owner_only:
        if not shared:                  # every file is owner-only (umask 077): no signal
            files.extend(owner_only)
        else:
            for it in owner_only:
                if includes is not None and includes.included(it.arc):
                    files.append(it)
                else:
                    held.append({"path": it.arc, "reason": OWNER_ONLY})
    return files, held


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
            cache_dir = zipbuild.private_dir(zipbuild.private_dir(cache_root) / "entries") / key
        except OSError:
            cache_dir = None
    mark("plan")
    cache = zipbuild.EntryCache.open(cache_dir, level)
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


def _writev(fd: int, chunks: list) -> None:
    """Write all ``chunks`` to ``fd`` with few system calls (no joined copy in memory)."""
    zipbuild.write_all(fd, chunks)


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
        import tempfile

        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            try:
                _writev(fd, chunks)
                os.fchmod(fd, 0o666 & ~_umask())
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
