"""The source tree of a package: which files go in (``.lambdaignore``/``--exclude``/``--include`` in
gitignore syntax, the built-in excludes, credential files left out) and the walk that collects them
(symlinks checked, unreadable and owner-only files reported). :mod:`lambdactl.core.build.packaging`
zips what :func:`collect` returns.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from lambdactl.errors import UsageError

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
