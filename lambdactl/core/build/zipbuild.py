"""Low-level zip machinery for ``lambdactl package``: raw-deflate compression on a thread pool,
and a byte-exact deterministic zip writer (the incremental cache of compressed entries is
:mod:`lambdactl.core.build.entrycache`).

Nothing here knows about Lambda, the project file or the CLI; :mod:`lambdactl.core.build.packaging`
drives it.

Determinism: every entry gets the zip epoch (1980-01-01 00:00:00), a Unix "made by" (create
system 3), mode 0644/0755 for files and 0755 for directories, no extra fields and no comments;
entries are written in the order given (the caller sorts them). Compression is raw deflate at a
fixed level, one call per file, by the fastest backend available (:func:`backend`): libdeflate
(PyPI ``deflate``, one-shot, releases the GIL) when its wheel is installed, else CPython's zlib.
With zlib, files of at least :data:`SPLIT_MIN` bytes are deflated as independent 1 MiB blocks
(each primed with the previous 32 KiB as a preset dictionary, as pigz does) so that one big file
also uses both cores; libdeflate has no preset dictionaries and compresses such a file whole. The
output depends only on the inputs and the backend (libdeflate and zlib produce different bytes:
the backend's id is part of the cache key, so caches of the two never mix).

``LAMBDACTL_ZIP_BACKEND=zlib`` forces the zlib backend (for tests and comparisons).
"""
from __future__ import annotations

import hashlib
import os
import struct
import zlib
from dataclasses import dataclass
from lambdactl.files import write_all
from typing import Callable, Iterable, NamedTuple, Sequence

LEVEL = None                    # None: the backend's default level (below)
LIBDEFLATE_LEVEL = 5            # libdeflate: ~2.5x zlib 6's speed, within ~0.4% of zip -6's size
ZLIB_LEVEL = 6                  # zlib fallback: the same bytes as zip -6
BLOCK = 1 << 20                 # block size for splitting big files
SPLIT_MIN = 4 << 20             # files at least this big are deflated in parallel blocks
DICT_SIZE = 32 * 1024
PROBE_MIN = 256 * 1024          # files at least this big are probed for incompressibility
PROBE = 64 * 1024
BATCH_BYTES = 512 * 1024        # small files are handed to workers in batches
BATCH_FILES = 128
COALESCE = 2048                 # members up to this size are copied into shared write buffers
COALESCE_FLUSH = 256 * 1024
ZLIB_ID = f"zlib-{getattr(zlib, 'ZLIB_RUNTIME_VERSION', zlib.ZLIB_VERSION)}"
BACKEND_ENV = "LAMBDACTL_ZIP_BACKEND"

DOS_DATE = (0 << 9) | (1 << 5) | 1      # 1980-01-01
DOS_TIME = 0
MADE_BY = (3 << 8) | 20                 # Unix, spec 2.0
METHOD_STORED = 0
METHOD_DEFLATED = 8

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_EOCD = struct.Struct("<IHHHHIIH")
_EOCD64 = struct.Struct("<IQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<IIQI")
_OFFSET = struct.Struct("<I")


# --- the deflate backend ------------------------------------------------------------------

class Backend(NamedTuple):
    """How files are deflated. ``ident`` goes into the entry-cache key (bytes differ per backend)."""
    name: str                               # "libdeflate" | "zlib"
    ident: str                              # e.g. "libdeflate-deflate-0.9.0", "zlib-1.3"
    level: int                              # default level
    split: bool                             # big files deflated as parallel blocks (zlib only)
    compress: Callable                      # (data, level) -> raw deflate bytes (final stream)
    crc32: Callable                         # (data) -> CRC-32


_BACKENDS: dict[str, Backend] = {}


def _zlib_compress(data, level: int) -> bytes:
    return deflate(data, level)


def backend() -> Backend:
    """libdeflate when the ``deflate`` wheel is importable (and ``$LAMBDACTL_ZIP_BACKEND`` is not
    ``zlib``), else zlib. Imported here, on first use: never on ``lambdactl --help``."""
    want = os.environ.get(BACKEND_ENV, "").strip().lower()
    got = _BACKENDS.get(want)
    if got is not None:
        return got
    got = None
    if want != "zlib":
        try:
            import deflate as _ld

            version = getattr(_ld, "__version__", "?")
            got = Backend("libdeflate", f"libdeflate-deflate-{version}", LIBDEFLATE_LEVEL, False,
                          _ld.deflate_compress, _ld.crc32)
        except ImportError:
            got = None
    if got is None:
        got = Backend("zlib", ZLIB_ID, ZLIB_LEVEL, True, _zlib_compress, zlib.crc32)
    _BACKENDS[want] = got
    return got


# --- compression --------------------------------------------------------------------------

def _wbits(n: int) -> int:
    """The smallest window that holds a whole ``n``-byte input (plus zlib's 262-byte lookahead):
    the output is the same as with a 32 KiB window, but small files skip allocating (and
    faulting in) the big one, which otherwise costs more than compressing them."""
    w = 9
    while w < 15 and (1 << w) < n + 262:
        w += 1
    return w


def deflate(data, level: int = ZLIB_LEVEL, zdict=None, final: bool = True) -> bytes:
    """Raw deflate (no zlib header) of ``data`` with zlib; ``final=False`` ends on a byte-aligned
    sync flush so that another raw stream can follow."""
    if zdict is not None and len(zdict):
        c = zlib.compressobj(level, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, zdict)
    else:
        c = zlib.compressobj(level, zlib.DEFLATED, -_wbits(len(data)) if final else -15, 8)
    out = c.compress(data)
    return out + c.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)


def looks_incompressible(data, be: Backend | None = None) -> bool:
    """Deterministic probe (start and middle 64 KiB at level 1) for already-compressed data."""
    n = len(data)
    if n < PROBE_MIN:
        return False
    compress = (be or backend()).compress
    mv = memoryview(data)
    for start in (0, (n // 2) - PROBE // 2):
        sample = mv[start:start + PROBE]
        if len(compress(sample, 1)) < len(sample) * 0.98:
            return False
    return True


@dataclass(slots=True)
class Compressed:
    """One file's content, compressed (or stored) as it goes into the zip."""
    digest: bytes               # SHA-256 of the uncompressed content (first 128 bits)
    crc: int
    usize: int
    method: int
    data: bytes | memoryview | None     # compressed bytes (None: take them from the cache)


@dataclass
class Job:
    """A file to turn into a :class:`Compressed` (key: the path used for the stat cache)."""
    key: str
    path: str
    size: int


def _compress_whole(data: bytes, digest: bytes, level: int, be: Backend) -> Compressed:
    crc = be.crc32(data)
    if not data or looks_incompressible(data, be):
        return Compressed(digest, crc, len(data), METHOD_STORED, data)
    comp = be.compress(data, level)
    if len(comp) >= len(data):
        return Compressed(digest, crc, len(data), METHOD_STORED, data)
    return Compressed(digest, crc, len(data), METHOD_DEFLATED, comp)


_O_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _read(path: str, size: int = -1) -> bytes:
    """The file's content, in one read() when ``size`` (from the walk) is still right."""
    fd = os.open(path, _O_READ)
    try:
        if size < 0 or size >= (1 << 30):
            parts = []
        else:
            data = os.read(fd, size + 1)        # a regular file reads whole, up to EOF
            if len(data) <= size:
                return data
            parts = [data]
        while True:                             # it grew meanwhile (or is huge): read to EOF
            chunk = os.read(fd, 1 << 24)
            if not chunk:
                return b"".join(parts)
            parts.append(chunk)
    finally:
        os.close(fd)


class _Done:
    """A finished call (the one-worker case: no thread pool, no concurrent.futures import)."""

    __slots__ = ("value", "error")

    def __init__(self, fn, args):
        self.value = self.error = None
        try:
            self.value = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised by result()
            self.error = exc

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value

    def add_done_callback(self, fn) -> None:
        fn(self)


class _SyncExecutor:
    """``submit`` runs the call at once and returns a finished :class:`_Done`."""

    def submit(self, fn, *args):
        return _Done(fn, args)

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        pass


def compress_jobs(jobs: Sequence[Job], *, level: int | None = LEVEL, known: Callable[[bytes], bool] = lambda d: False,
                  workers: int | None = None, progress: Callable[[int], None] | None = None
                  ) -> dict[str, Compressed]:
    """Read, hash and compress ``jobs`` on a thread pool (libdeflate, zlib and hashlib release
    the GIL).

    Small files go to the workers in batches; a file of at least :data:`SPLIT_MIN` bytes is read
    and hashed by one worker, then deflated whole (libdeflate) or as independent blocks by all of
    them (zlib; whatever the number of workers, so the bytes do not depend on it). ``known(digest)`` says whether the
    content is already in the cache: then the result has ``data=None`` and nothing is compressed.
    ``progress(nbytes)`` is called from this thread as files complete. Returns
    ``{job.key: Compressed}``.
    """
    results: dict[str, Compressed] = {}
    if not jobs:
        return results
    be = backend()
    if level is None:
        level = be.level
    crc32 = be.crc32
    workers = max(1, workers or os.cpu_count() or 1)
    small: list[list[Job]] = []
    big: list[Job] = []
    cur: list[Job] = []
    cur_bytes = 0
    for j in jobs:
        if j.size >= SPLIT_MIN:
            big.append(j)
            continue
        cur.append(j)
        cur_bytes += j.size
        if cur_bytes >= BATCH_BYTES or len(cur) >= BATCH_FILES:
            small.append(cur)
            cur, cur_bytes = [], 0
    if cur:
        small.append(cur)

    compress, sha256 = be.compress, hashlib.sha256
    open_, read_, close_ = os.open, os.read, os.close

    def do_batch(batch: list[Job]) -> tuple[list[tuple[str, Compressed]], int]:
        """Read, hash and compress small files (the common case, inlined: 10,000 files)."""
        out = []
        add = out.append
        n = 0
        for j in batch:
            size = j.size
            if size >= PROBE_MIN:
                data = _read(j.path, size)
            else:
                fd = open_(j.path, _O_READ)
                try:
                    data = read_(fd, size + 1)
                    if len(data) > size:                # it grew meanwhile
                        data += _read(j.path)[len(data):]
                finally:
                    close_(fd)
            usize = len(data)
            n += usize
            digest = sha256(data).digest()[:16]
            if known(digest):
                add((j.key, Compressed(digest, 0, usize, METHOD_STORED, None)))
            elif usize >= PROBE_MIN or not usize:
                add((j.key, _compress_whole(data, digest, level, be)))
            else:
                comp = compress(data, level)
                if len(comp) < usize:
                    add((j.key, Compressed(digest, crc32(data), usize, METHOD_DEFLATED, comp)))
                else:
                    add((j.key, Compressed(digest, crc32(data), usize, METHOD_STORED, data)))
        return out, n

    def read_big(j: Job):
        data = _read(j.path, j.size)
        digest = hashlib.sha256(data).digest()[:16]
        if known(digest):
            return data, digest, 0, False
        return data, digest, crc32(data), looks_incompressible(data, be)

    small_work = not big and sum(j.size for j in jobs) < BATCH_BYTES     # not worth the threads
    if workers > 1 and not small_work:
        from concurrent.futures import ThreadPoolExecutor
        from queue import SimpleQueue

        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lambdactl-zip")
        finished = SimpleQueue()            # (future, tag) as calls complete, in that order
        take = finished.get
    else:
        pool = _SyncExecutor()
        finished = []                       # every call is finished when submit returns
        take = finished.pop
    put = finished.put if hasattr(finished, "put") else finished.append
    outstanding = 0

    def submit(tag, fn, *args) -> None:
        nonlocal outstanding
        outstanding += 1
        pool.submit(fn, *args).add_done_callback(lambda f: put((f, tag)))

    try:
        for j in big:                       # first: they take longest
            submit(("read", j), read_big, j)
        for b in small:
            submit(("batch", None), do_batch, b)
        state: dict[str, list] = {}
        while outstanding:
            f, (kind, job) = take()
            outstanding -= 1
            if kind == "batch":
                out, n = f.result()
                results.update(out)
                if progress:
                    progress(n)
            elif kind == "read":
                data, digest, crc, incompressible = f.result()
                n = len(data)
                if known(digest):
                    results[job.key] = Compressed(digest, 0, n, METHOD_STORED, None)
                elif incompressible:
                    results[job.key] = Compressed(digest, crc, n, METHOD_STORED, data)
                elif not be.split:          # libdeflate: the whole file in one call
                    state[job.key] = [digest, crc, data, [b""], 1]
                    submit(("block", (job, 0)), be.compress, data, level)
                    continue
                else:
                    mv = memoryview(data)
                    starts = range(0, n, BLOCK)
                    state[job.key] = [digest, crc, data, [b""] * len(starts), len(starts)]
                    for i, s in enumerate(starts):
                        submit(("block", (job, i)), deflate, mv[s:s + BLOCK], level,
                               mv[s - DICT_SIZE:s] if s else None, s + BLOCK >= n)
                    continue
                if progress:
                    progress(n)
            else:
                job, i = job
                st = state[job.key]
                st[3][i] = f.result()
                st[4] -= 1
                if st[4] == 0:
                    digest, crc, data, blocks, _ = state.pop(job.key)
                    comp = blocks[0] if len(blocks) == 1 else b"".join(blocks)
                    if len(comp) >= len(data):
                        results[job.key] = Compressed(digest, crc, len(data), METHOD_STORED, data)
                    else:
                        results[job.key] = Compressed(digest, crc, len(data), METHOD_DEFLATED, comp)
                    if progress:
                        progress(len(data))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return results


# --- the zip writer -----------------------------------------------------------------------

class Entry(NamedTuple):
    """One zip member, in final form (a name ending in '/' is a directory)."""
    name: str
    mode: int = 0o644                   # permission bits (file type bits are added here)
    crc: int = 0
    usize: int = 0
    method: int = METHOD_STORED
    data: bytes | memoryview = b""


class ZipTooLarge(Exception):
    pass


def write_zip(entries: Iterable[tuple], layout: list | None = None) -> list:
    """The zip as a list of byte chunks (join or write them) from :class:`Entry` tuples
    ``(name, mode, crc, usize, method, data)``, written in the order given. Deterministic: see
    the module doc. ZIP64 end records are added past 65,535 entries. ``layout`` (a list)
    receives what :func:`patch_zip` needs to update this zip in place later: the length of each
    member's local record, the position of each central record and the central directory's
    length (None for a ZIP64 zip)."""
    rec_lens: list[int] = []
    cd_lens: list[int] = []
    add_len, add_cd_len = rec_lens.append, cd_lens.append
    chunks: list = []
    central: list[bytes] = []
    add_chunk = chunks.append
    add_central = central.append
    local_pack = _LOCAL.pack
    central_pack = _CENTRAL.pack
    local_size = _LOCAL.size
    offset = 0
    count = 0
    # Headers and small members are coalesced into buffers of a few hundred KiB, so that the
    # zip is a few hundred pieces to write (writev) and to hash (hashlib drops the GIL only
    # for pieces over 2 KiB), not two per member.
    pending: list = []
    add_pending = pending.append
    pending_size = 0
    ext_of: dict[tuple[bool, int], int] = {}
    date, time_, made_by, deflated = DOS_DATE, DOS_TIME, MADE_BY, METHOD_DEFLATED
    coalesce, flush = COALESCE, COALESCE_FLUSH
    for name, mode, crc, usize, method, data in entries:
        bname = name.encode("utf-8")
        nlen = len(bname)
        csize = len(data)
        is_dir = name[-1] == "/"
        ext = ext_of.get((is_dir, mode))
        if ext is None:
            ext = ext_of[is_dir, mode] = (((0o040000 | (mode & 0o7777)) << 16) | 0x10 if is_dir
                                          else (0o100000 | (mode & 0o7777)) << 16)
        need = 20 if is_dir or method == deflated else 10
        flags = 0 if nlen == len(name) else 0x800          # bit 11: the name is UTF-8
        if usize > 0xFFFFFFFE or csize > 0xFFFFFFFE:
            raise ZipTooLarge(f"{name}: too large for a Lambda deployment zip")
        add_pending(local_pack(0x04034B50, need, flags, method, time_, date, crc, csize, usize, nlen, 0))
        add_pending(bname)
        if csize > coalesce:
            add_chunk(b"".join(pending))
            add_chunk(data)
            pending.clear()
            pending_size = 0
        else:
            add_pending(data)
            pending_size += csize + nlen + local_size
            if pending_size >= flush:
                add_chunk(b"".join(pending))
                pending.clear()
                pending_size = 0
        add_central(central_pack(0x02014B50, made_by, need, flags, method, time_, date, crc,
                                 csize, usize, nlen, 0, 0, 0, 0, ext, offset))
        add_central(bname)
        add_len(local_size + nlen + csize)
        add_cd_len(nlen)
        offset += local_size + nlen + csize
        count += 1
    if offset > 0xFFFFFFFE:
        raise ZipTooLarge("the zip is too large for a Lambda deployment zip (over 4 GB)")
    if pending:
        add_chunk(b"".join(pending))
    cd = b"".join(central)
    cd_offset = offset
    if count >= 0xFFFF or cd_offset >= 0xFFFFFFFF or len(cd) >= 0xFFFFFFFF:
        eocd64_offset = cd_offset + len(cd)
        end = (_EOCD64.pack(0x06064B50, _EOCD64.size - 12, MADE_BY, 45, 0, 0, count, count, len(cd), cd_offset)
               + _LOCATOR64.pack(0x07064B50, 0, eocd64_offset, 1)
               + _EOCD.pack(0x06054B50, 0, 0, min(count, 0xFFFF), min(count, 0xFFFF),
                            min(len(cd), 0xFFFFFFFF), min(cd_offset, 0xFFFFFFFF), 0))
    else:
        end = _EOCD.pack(0x06054B50, 0, 0, count, count, len(cd), cd_offset, 0)
        if layout is not None:
            from array import array
            from itertools import accumulate

            cd_pos = array("I", [0])
            cd_pos.extend(accumulate(_CENTRAL.size + n for n in cd_lens))
            layout.append((array("I", rec_lens).tobytes(), cd_pos[:-1].tobytes(), len(cd)))
    add_chunk(cd + end)
    return chunks


PATCH_MAX = 64      # more changed members than this: the zip is assembled anew


def patch_zip(fd: int, layout: tuple, changed: list[tuple],
              on_prefix: Callable | None = None) -> tuple[list, tuple, int]:
    """Update a zip written by :func:`write_zip` (open read-write as ``fd``) in place when only
    some members' contents changed (same names, modes and order).

    ``layout``: (record lengths, central record positions, central directory length) from
    write_zip or a previous patch; ``changed``: ``(index, name, mode, crc, usize, method,
    data)`` in index order. Reads and rewrites from the first changed member on and truncates;
    returns (the new zip as pieces, for hashing; the new layout; the new size). The bytes are
    exactly those write_zip gives for the new entries. ``on_prefix(view)`` is called first with
    the unchanged start of the zip (a read-only map, to hash it meanwhile); it is then not among
    the pieces. ValueError (nothing written) when the file does not match the layout."""
    import mmap
    from array import array
    from itertools import accumulate

    rec_lens = array("I")
    rec_lens.frombytes(layout[0])
    cd_pos = array("I")
    cd_pos.frombytes(layout[1])
    cd_len = layout[2]
    n = len(rec_lens)
    offsets = array("Q", [0])
    offsets.extend(accumulate(rec_lens))
    cd_start = offsets[n]
    size = os.fstat(fd).st_size
    if size != cd_start + cd_len + _EOCD.size or len(cd_pos) != n:
        raise ValueError("the zip does not match its layout")
    first = changed[0][0]
    base = offsets[first]
    old = os.pread(fd, size - base, base)               # what moves or changes
    if len(old) != size - base:
        raise ValueError("short read")
    if base:
        head = memoryview(mmap.mmap(fd, base, prot=mmap.PROT_READ))
        if on_prefix is not None:
            on_prefix(head)
            pieces: list = []
        else:
            pieces = [head]
    else:
        pieces = []
    cd = bytearray(old[cd_start - base:cd_start - base + cd_len])
    tail: list = []
    prev_end = base
    shift = 0
    central_pack, pack_into = _CENTRAL.pack, _OFFSET.pack_into
    view = memoryview(old)
    for k, (i, name, mode, crc, usize, method, data) in enumerate(changed):
        if offsets[i] > prev_end:
            tail.append(view[prev_end - base:offsets[i] - base])
        bname = name.encode("utf-8")
        nlen = len(bname)
        csize = len(data)
        if usize > 0xFFFFFFFE or csize > 0xFFFFFFFE:
            raise ZipTooLarge(f"{name}: too large for a Lambda deployment zip")
        need = 20 if method == METHOD_DEFLATED else 10
        flags = 0 if nlen == len(name) else 0x800
        tail.append(_LOCAL.pack(0x04034B50, need, flags, method, DOS_TIME, DOS_DATE, crc, csize, usize, nlen, 0))
        tail.append(bname)
        tail.append(data)
        ext = (0o100000 | (mode & 0o7777)) << 16
        p = cd_pos[i]
        cd[p:p + _CENTRAL.size] = central_pack(0x02014B50, MADE_BY, need, flags, method, DOS_TIME, DOS_DATE,
                                              crc, csize, usize, nlen, 0, 0, 0, 0, ext, offsets[i] + shift)
        prev_end = offsets[i] + rec_lens[i]
        new_len = _LOCAL.size + nlen + csize
        shift += new_len - rec_lens[i]
        rec_lens[i] = new_len
        stop = changed[k + 1][0] if k + 1 < len(changed) else n
        if shift:
            for j in range(i + 1, stop):      # the members after it move by the shift so far
                pack_into(cd, cd_pos[j] + 42, offsets[j] + shift)
    tail.append(view[prev_end - base:cd_start - base])
    new_cd_start = cd_start + shift
    if new_cd_start + cd_len > 0xFFFFFFFE:
        raise ZipTooLarge("the zip is too large for a Lambda deployment zip (over 4 GB)")
    tail.append(bytes(cd) + _EOCD.pack(0x06054B50, 0, 0, n, n, cd_len, new_cd_start, 0))
    os.lseek(fd, base, os.SEEK_SET)
    write_all(fd, tail)
    size = new_cd_start + cd_len + _EOCD.size
    os.ftruncate(fd, size)
    return pieces + tail, (rec_lens.tobytes(), layout[1], cd_len), size
