"""The incremental cache of compressed zip entries for ``lambdactl package`` (:class:`EntryCache`).

Content-addressed: ``path + size + mtime`` → content hash (SHA-256) → compressed bytes in an
append-only blob file. A file whose size and mtime are unchanged is not even read; a touched file
whose content is unchanged is read and hashed but not recompressed; only changed files are
deflated again (by :mod:`lambdactl.core.build.zipbuild`). It also remembers which contents passed
the syntax check (:meth:`EntryCache.checked`), by content hash. Its directory is created 0700 and
its files 0600 (they hold the function's code).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterable

from lambdactl.core.build.zipbuild import BLOCK, LEVEL, SPLIT_MIN, Compressed, backend
from lambdactl.files import private_dir, write_all

CACHE_FORMAT = 5
INDEX_MAGIC = b"LCX2"


class EntryCache:
    """Compressed entries of previous builds of one source tree (see the module doc).

    ``lookup(key, size, mtime_ns)`` → digest or None (the file need not be read); ``has(digest)``;
    after compressing, ``add(key, size, mtime_ns, compressed)``; ``entry(digest)`` → (crc, usize,
    method, compressed bytes); ``checked(signature)`` → the set of content digests that passed
    the syntax check with that checker (add to it, then ``mark_checked()``); ``prepare(live_keys)``
    then ``commit()``. ``EntryCache.open(None)`` is a disabled cache (everything misses, nothing
    is written). The key includes the deflate backend and level: entries never mix. The index is a ``marshal`` file (fast to load; it
    is only ever read back from the user's own cache directory), the data an append-only blob
    that is memory-mapped and compacted when more than half of it is garbage.
    """

    def __init__(self, directory: Path | None, level: int | None = LEVEL):
        self.directory = directory
        self.backend = backend()
        self.level = self.backend.level if level is None else level
        self.stats: dict[str, tuple] = {}        # key -> (size, mtime_ns, digest)
        self.blobs: dict[bytes, tuple] = {}      # digest -> (off, clen, crc, usize, method); off < 0: new
        self.outputs: dict[str, tuple] = {}      # out path -> (size, mtime_ns, ino, sha256 b64, fingerprint)
        self._checked: dict[str, set] = {}       # syntax-checker signature -> digests that compiled
        self.memo: dict[str, object] = {}        # small derived facts the caller keeps (marshal-able)
        self._new: list[Compressed] = []
        self._blob_size = 0
        self._mm = None
        self._mv: memoryview | None = None
        self._lockf = None
        self._dirty = False
        self._payload: bytes | None = None

    @classmethod
    def open(cls, directory: Path | None, level: int | None = LEVEL) -> "EntryCache":
        cache = cls(directory, level)
        if directory is None:
            return cache
        try:
            private_dir(directory)
            cache._lock()
            cache._load()
        except OSError:
            cache.close()
            return cls(None, level)
        return cache

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no cross-process lock
            return
        f = os.fdopen(os.open(self.directory / "lock", os.O_RDWR | os.O_CREAT, 0o600), "a+b")
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        self._lockf = f

    def close(self) -> None:
        if self._mv is not None:
            try:
                self._mv.release()
                self._mm.close()
            except (BufferError, ValueError):    # still referenced: the GC closes it
                pass
            self._mv = self._mm = None
        if self._lockf is not None:
            try:
                self._lockf.close()
            except OSError:  # pragma: no cover
                pass
            self._lockf = None

    def _signature(self) -> tuple:
        return (CACHE_FORMAT, self.backend.ident, self.level, BLOCK if self.backend.split else 0, SPLIT_MIN)

    def _load(self) -> None:
        import marshal
        import mmap

        try:
            with open(self.directory / "index.bin", "rb") as f:
                raw = f.read()
            if raw[:4] != INDEX_MAGIC or hashlib.sha256(memoryview(raw)[36:]).digest() != raw[4:36]:
                return
            n = int.from_bytes(raw[36:44], "little")
            meta = marshal.loads(memoryview(raw)[44:44 + n])    # (marshal.load(f) reads in tiny chunks)
            outputs = marshal.loads(memoryview(raw)[44 + n:])
        except (OSError, ValueError, EOFError, TypeError):
            return
        try:
            if meta["signature"] != self._signature():
                return
            size = meta["blob_size"]
            stats, blobs = meta["stats"], meta["blobs"]
            checked = meta.get("checked") or {}
            memo = meta.get("memo") or {}
            if not isinstance(outputs, dict) or not isinstance(checked, dict) or not isinstance(memo, dict):
                return
        except (KeyError, TypeError):
            return
        if size:
            try:
                with open(self.directory / "blob.bin", "rb") as f:
                    if os.fstat(f.fileno()).st_size < size:
                        return
                    flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
                    self._mm = mmap.mmap(f.fileno(), size, flags=flags, prot=mmap.PROT_READ)
            except (OSError, ValueError):
                return
            self._mv = memoryview(self._mm)
        self._blob_size = size
        self.stats, self.blobs, self.outputs, self._checked, self.memo = stats, blobs, outputs, checked, memo

    # lookups (safe to call from worker threads while nothing is added)
    def lookup(self, key: str, size: int, mtime_ns: int) -> bytes | None:
        rec = self.stats.get(key)
        if rec is not None and rec[0] == size and rec[1] == mtime_ns and rec[2] in self.blobs:
            return rec[2]
        return None

    def has(self, digest: bytes) -> bool:
        return digest in self.blobs

    def checked(self, signature: str) -> set:
        """The content digests that compiled with the checker ``signature`` (a live set: add to
        it, then call :meth:`mark_checked`)."""
        return self._checked.setdefault(signature, set())

    def mark_checked(self) -> None:
        if self.directory is not None:
            self._dirty = True

    def remember(self, key: str, value) -> None:
        """Keep ``value`` (marshal-able) in :attr:`memo` for the next build."""
        if self.memo.get(key) != value:
            self.memo[key] = value
            if self.directory is not None:
                self._dirty = True

    def entry(self, digest: bytes) -> tuple[int, int, int, bytes | memoryview]:
        """(crc, usize, method, compressed data) for a cached digest."""
        off, clen, crc, usize, method = self.blobs[digest]
        if off < 0:
            return crc, usize, method, self._new[-off - 1].data
        return crc, usize, method, self._mv[off:off + clen]

    def add(self, key: str, size: int, mtime_ns: int, comp: Compressed) -> None:
        if comp.data is not None and comp.digest not in self.blobs:
            self._new.append(comp)
            self.blobs[comp.digest] = (-len(self._new), len(comp.data), comp.crc, comp.usize, comp.method)
            self._dirty = True
        rec = (size, mtime_ns, comp.digest)
        if self.stats.get(key) != rec:
            self.stats[key] = rec
            self._dirty = True

    def output_unchanged(self, path: str, fingerprint: bytes) -> tuple[str, int] | None:
        """(sha256, size) when ``path`` is, by its stat, the zip this cache last wrote there
        for the same entries (``fingerprint``); else None."""
        rec = self.outputs.get(path)
        if rec is None or rec[4] != fingerprint or not self.owns(path):
            return None
        return rec[3], rec[0]

    def layout(self, path: str) -> tuple | None:
        """(entries id, digests, write_zip layout) of the zip last written at ``path``, or None."""
        rec = self.outputs.get(path)
        return rec[5] if rec is not None and len(rec) > 5 else None

    def owns(self, path: str) -> bool:
        """True when ``path`` is, by its stat, the file this cache last wrote there."""
        rec = self.outputs.get(path)
        if rec is None:
            return False
        try:
            st = os.stat(path)
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns, st.st_ino) == rec[:3]

    def record_output(self, path: str, sha: str, fingerprint: bytes, layout: tuple | None = None) -> None:
        try:
            st = os.stat(path)
        except OSError:
            return
        rec = (st.st_size, st.st_mtime_ns, st.st_ino, sha, fingerprint) + ((layout,) if layout else ())
        if self.outputs.get(path) != rec:
            self.outputs[path] = rec
            self._dirty = True

    @property
    def prepared(self) -> bool:
        return self._payload is not None

    def prepare(self, live_keys: Iterable[str]) -> None:
        """First half of saving, which may run while another thread hashes the zip: forget the
        files no longer packaged, append new compressed data to the blob (compacting it when
        more than half is garbage) and serialise the index. Failures only disable the cache."""
        import marshal

        self._payload = None
        if self.directory is None:
            return
        live_keys = set(live_keys)
        if len(live_keys) != len(self.stats) or not live_keys.issuperset(self.stats):
            self.stats = {k: v for k, v in self.stats.items() if k in live_keys}
            self._dirty = True
        if not self._dirty:
            return
        live = {v[2] for v in self.stats.values()}
        checked = {sig: digests & live for sig, digests in self._checked.items()}
        checked = {sig: d for sig, d in checked.items() if d}
        try:
            blob_path = self.directory / "blob.bin"
            new_bytes = sum(len(c.data) for c in self._new)
            blobs: dict[bytes, tuple] = {}
            grown = self._blob_size + new_bytes
            if grown > (1 << 20) and grown > 2 * sum(self.blobs[d][1] for d in live if d in self.blobs) + (1 << 20):
                # compact: rewrite only the live entries
                tmp = blob_path.with_suffix(".tmp")
                off = 0
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass
                with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
                    for d in sorted(live):
                        if d not in self.blobs:
                            continue
                        crc, usize, method, data = self.entry(d)
                        f.write(data)
                        blobs[d] = (off, len(data), crc, usize, method)
                        off += len(data)
                os.replace(tmp, blob_path)
                size = off
            else:
                off = self._blob_size
                blobs = dict(self.blobs)
                for c in self._new:
                    blobs.pop(c.digest, None)           # new (negative offset): placed below
                pieces = []
                for c in self._new:
                    if c.digest in blobs:
                        continue
                    pieces.append(c.data)
                    blobs[c.digest] = (off, len(c.data), c.crc, c.usize, c.method)
                    off += len(c.data)
                fd = os.open(blob_path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    os.ftruncate(fd, self._blob_size)
                    os.lseek(fd, self._blob_size, os.SEEK_SET)
                    write_all(fd, pieces)
                finally:
                    os.close(fd)
                size = off
        except OSError:
            return
        self._payload = marshal.dumps({"signature": self._signature(), "blob_size": size,
                                       "stats": self.stats, "blobs": blobs, "checked": checked,
                                       "memo": self.memo}, 4)

    def commit(self) -> None:
        """Second half of saving: write the index (with the outputs) in place. The index is
        MAGIC, SHA-256 of the rest, the length of the first part, the part with the entries
        and the part with the outputs; a torn write fails the checksum and reads as no cache."""
        import marshal

        if self.directory is None or not self._dirty:
            return
        main = self._payload
        if main is None:
            self.prepare(set(self.stats))
            main = self._payload
            if main is None:
                return
        rest = len(main).to_bytes(8, "little") + main + marshal.dumps(self.outputs, 4)
        try:
            fd = os.open(self.directory / "index.bin", os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                buf = memoryview(INDEX_MAGIC + hashlib.sha256(rest).digest() + rest)
                while len(buf):
                    buf = buf[os.write(fd, buf):]
                os.ftruncate(fd, 36 + len(rest))
            finally:
                os.close(fd)
        except OSError:
            pass
        self._dirty = False
