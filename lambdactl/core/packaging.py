"""Deterministic deployment zips (minimal version; the package issue extends this module).

Public API used by deploy, layers and the sandbox:

    build_package(source, *, requirements=None, runtime=None, architecture="x86_64",
                  exclude=(), handler=None, out=None) -> PackageResult

``PackageResult.sha256`` is the base64 SHA-256 exactly as Lambda reports ``CodeSha256``.
"""
from __future__ import annotations

import base64
import fnmatch
import hashlib
import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lambdactl.errors import UsageError

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
BUILTIN_EXCLUDES = ("__pycache__", "*.pyc", "*.pyo", ".git", ".hg", ".svn", ".venv", "venv",
                    "env", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".DS_Store",
                    ".env", ".env.*", "lambdactl.toml", ".lambdaignore", "*.egg-info")


@dataclass
class PackageResult:
    path: Path | None
    sha256: str                  # base64, as Lambda's CodeSha256
    size: int                    # compressed zip bytes
    uncompressed_size: int
    files: int
    data: bytes | None = field(default=None, repr=False)   # the zip bytes (always set by build_package)

    def to_dict(self) -> dict:
        return {"path": str(self.path) if self.path else None, "sha256": self.sha256,
                "size": self.size, "uncompressed_size": self.uncompressed_size, "files": self.files}


def code_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _excluded(rel: str, patterns: tuple[str, ...]) -> bool:
    parts = rel.split("/")
    for pat in patterns:
        if any(fnmatch.fnmatch(p, pat) for p in parts) or fnmatch.fnmatch(rel, pat):
            return True
    return False


def build_package(source, *, requirements=None, runtime=None, architecture="x86_64", exclude=(),
                  handler=None, out=None) -> PackageResult:
    src = Path(source)
    if not src.is_dir():
        raise UsageError(f"source directory not found: {src}", hint="set [function] source or --source DIR")
    patterns = BUILTIN_EXCLUDES + tuple(exclude)
    files: list[tuple[str, Path]] = []
    for root, dirs, names in os.walk(src):
        rel_root = os.path.relpath(root, src).replace(os.sep, "/")
        rel_root = "" if rel_root == "." else rel_root + "/"
        dirs[:] = sorted(d for d in dirs if not _excluded(rel_root + d, patterns))
        for n in names:
            rel = rel_root + n
            if not _excluded(rel, patterns):
                files.append((rel, Path(root) / n))
    files.sort()
    buf = io.BytesIO()
    total = 0
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, p in files:
            data = p.read_bytes()
            total += len(data)
            info = zipfile.ZipInfo(rel, date_time=ZIP_EPOCH)
            mode = 0o755 if os.access(p, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.create_system = 3
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compresslevel=9)
    data = buf.getvalue()
    path = None
    if out:
        path = Path(out)
        path.write_bytes(data)
    return PackageResult(path, code_sha256(data), len(data), total, len(files), data)
