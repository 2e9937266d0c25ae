"""Files lambdactl writes that may hold code or secrets: private directories (0700), private files
(0600) and atomic replacement (``mkstemp`` in the target's directory, then ``os.replace``).

Foundation layer: the standard library only, so the sandbox state, the build caches and the
sandbox's code cache share one implementation.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence


def private_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` (and missing parents) 0700; tighten it to 0700 when it exists looser."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, 0o700)
        except FileExistsError:
            pass
    try:
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o700)
    except OSError:
        pass
    return path


def write_all(fd: int, pieces: Sequence) -> None:
    """Write ``pieces`` (bytes-like) to ``fd`` with few system calls (writev, 1024 at a time)."""
    if not hasattr(os, "writev"):  # pragma: no cover - Windows
        for c in pieces:
            mv = memoryview(c)
            while len(mv):
                mv = mv[os.write(fd, mv):]
        return
    for i in range(0, len(pieces), 1024):
        batch = pieces[i:i + 1024]
        want = 0
        for c in batch:
            want += len(c)
        done = os.writev(fd, batch)
        if done < want:                     # a short write: finish this batch plainly
            rest = memoryview(b"".join(batch))[done:]
            while len(rest):
                rest = rest[os.write(fd, rest):]


def write_private(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to a new/overwritten file created 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        write_all(fd, [data])
    finally:
        os.close(fd)


def replace_atomically(path: str | os.PathLike, pieces: Sequence, *, mode: int | None = None) -> None:
    """Write ``pieces`` to a ``mkstemp`` file (O_EXCL, 0600) in ``path``'s directory, give it
    ``mode`` (kept 0600 when None) and rename it over ``path``; nothing is left behind on failure."""
    import tempfile

    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            write_all(fd, pieces)
            if mode is not None:
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
