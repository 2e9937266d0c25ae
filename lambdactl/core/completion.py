"""Shell completion of function names from AWS, cached briefly, never blocking the shell for long.

Used as the ``autocompletion`` of the FUNCTION arguments. On <TAB> the names come from a cache file
(``$LAMBDACTL_CACHE_DIR/completion/functions-<key>.json``, fresh for ``LAMBDACTL_COMPLETION_TTL``
seconds, default 60); when it is stale, ``ListFunctions`` is called with one attempt and ~1 s
timeouts under a hard deadline (``LAMBDACTL_COMPLETION_TIMEOUT``, default 1.5 s). Any failure — no
credentials, no network, the deadline — returns the last cached names (or nothing). No heavy
imports at module level: the CLI imports this module on every start.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

MAX_PAGES = 5


def _env_seconds(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def _target(ctx: Any) -> dict[str, Any]:
    """profile/region/endpoint/sandbox from the command line being completed (and the env)."""
    params: dict[str, Any] = {}
    c = ctx
    while c is not None:  # the root group's options (--profile, --region, ...) live on the root ctx
        params = {**(c.params or {}), **params}
        c = c.parent
    return {
        "profile": params.get("profile") or os.environ.get("AWS_PROFILE") or None,
        "region": params.get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None,
        "endpoint_url": params.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL") or None,
        "sandbox": bool(params.get("sandbox")) or os.environ.get("LAMBDACTL_SANDBOX", "") not in ("", "0"),
    }


def cache_file(target: dict[str, Any]) -> Path:
    import hashlib  # not at module level: every CLI start imports this module

    from lambdactl.core.deps import default_cache_dir

    key = hashlib.sha256(json.dumps(target, sort_keys=True).encode()).hexdigest()[:16]
    return default_cache_dir() / "completion" / f"functions-{key}.json"


def _read(path: Path) -> tuple[float, list[str]] | None:
    try:
        data = json.loads(path.read_text())
        return float(data["time"]), [str(n) for n in data["names"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(path: Path, names: list[str]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"time": time.time(), "names": names}))
        os.replace(tmp, path)
    except OSError:
        pass


def fetch_function_names(target: dict[str, Any]) -> list[str]:
    """ListFunctions with short timeouts and a single attempt (raises on any failure)."""
    from lambdactl.aws import AwsSession
    from lambdactl.settings import Settings

    s = Settings(profile=target["profile"], region=target["region"], endpoint_url=target["endpoint_url"],
                 sandbox=target["sandbox"])
    client = AwsSession(s).client("lambda", connect_timeout=1, read_timeout=1,
                                  retries={"mode": "standard", "max_attempts": 1})
    names: list[str] = []
    kwargs: dict[str, Any] = {}
    for _ in range(MAX_PAGES):
        resp = client.list_functions(**kwargs)
        names += [f["FunctionName"] for f in resp.get("Functions", [])]
        if not resp.get("NextMarker"):
            break
        kwargs["Marker"] = resp["NextMarker"]
    return sorted(names)


def function_names(target: dict[str, Any]) -> list[str]:
    """Cached names; refreshed when stale, within the deadline; the stale list on failure."""
    path = cache_file(target)
    cached = _read(path)
    if cached and time.time() - cached[0] < _env_seconds("LAMBDACTL_COMPLETION_TTL", 60.0):
        return cached[1]
    result: list[list[str]] = []

    def work() -> None:
        try:
            result.append(fetch_function_names(target))
        except BaseException:  # noqa: BLE001 - completion must never fail loudly
            pass

    t = threading.Thread(target=work, daemon=True)
    t.start()
    t.join(_env_seconds("LAMBDACTL_COMPLETION_TIMEOUT", 1.5))
    if result:
        _write(path, result[0])
        return result[0]
    return cached[1] if cached else []


def complete_function(ctx, incomplete):
    """typer ``autocompletion`` for FUNCTION arguments: names starting with what was typed."""
    try:
        prefix = incomplete or ""
        return [n for n in function_names(_target(ctx)) if n.startswith(prefix)]
    except Exception:  # noqa: BLE001
        return []
