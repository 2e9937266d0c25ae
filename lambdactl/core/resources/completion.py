"""Shell completion of function and alias names from AWS, cached briefly, never blocking the shell
for long.

Used as the ``autocompletion`` of the FUNCTION arguments (``FN:<TAB>`` completes ``FN:alias`` where
the shell keeps ':' in the word: zsh, fish, PowerShell) and of the ``[FUNCTION] ALIAS`` arguments of
the alias commands. On <TAB> the names come from a cache file
(``$LAMBDACTL_CACHE_DIR/completion/functions-<key>.json``, ``aliases-<key>.json`` per function),
fresh for ``LAMBDACTL_COMPLETION_TTL`` seconds, default 60; when it is stale, ``ListFunctions`` /
``ListAliases`` (botocore's paginator, at most a few pages) is called with one attempt, its
connect/read timeouts no longer than the hard deadline (``LAMBDACTL_COMPLETION_TIMEOUT``, default
1.5 s; the tests give it a deadline users never see, so a loaded machine cannot make it return
nothing). Any failure — no
credentials, no network, the deadline, a missing function — returns the last cached names (or
nothing). No heavy imports at module level: the CLI imports this module on every start.
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


def cache_file(target: dict[str, Any], function: str | None = None) -> Path:
    """The cache of the function names of ``target`` (with ``function``: of that function's aliases)."""
    import hashlib  # not at module level: every CLI start imports this module

    from lambdactl.core.build.deps import default_cache_dir

    what = target if function is None else {**target, "function": function}
    key = hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]
    return default_cache_dir() / "completion" / f"{'functions' if function is None else 'aliases'}-{key}.json"


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


def _deadline() -> float:
    return _env_seconds("LAMBDACTL_COMPLETION_TIMEOUT", 1.5)


def _client(target: dict[str, Any]):
    """A Lambda client with timeouts within the deadline and a single attempt."""
    from lambdactl.aws import AwsSession
    from lambdactl.settings import Settings

    s = Settings(profile=target["profile"], region=target["region"], endpoint_url=target["endpoint_url"],
                 sandbox=target["sandbox"])
    timeout = max(0.1, _deadline())
    return AwsSession(s).client("lambda", connect_timeout=timeout, read_timeout=timeout,
                                retries={"mode": "standard", "max_attempts": 1})


def _names(pages, key: str, field: str) -> list[str]:
    """The names in at most MAX_PAGES pages of a paginator (a repeated token ends the listing)."""
    from botocore.exceptions import PaginationError

    names: list[str] = []
    try:
        for i, page in enumerate(pages, 1):
            names += [item[field] for item in page.get(key, [])]
            if i >= MAX_PAGES:
                break
    except PaginationError:      # the same marker twice: keep what was read
        pass
    return sorted(set(names))


def fetch_function_names(target: dict[str, Any]) -> list[str]:
    """ListFunctions (raises on any failure)."""
    client = _client(target)
    return _names(client.get_paginator("list_functions").paginate(), "Functions", "FunctionName")


def fetch_alias_names(target: dict[str, Any], function: str) -> list[str]:
    """ListAliases of ``function`` (raises on any failure, e.g. a missing function)."""
    client = _client(target)
    return _names(client.get_paginator("list_aliases").paginate(FunctionName=function), "Aliases", "Name")


def _cached(path: Path, fetch) -> list[str]:
    """Cached names; refreshed when stale, within the deadline; the stale list on failure."""
    cached = _read(path)
    if cached and time.time() - cached[0] < _env_seconds("LAMBDACTL_COMPLETION_TTL", 60.0):
        return cached[1]
    result: list[list[str]] = []

    def work() -> None:
        try:
            result.append(fetch())
        except BaseException:  # noqa: BLE001 - completion must never fail loudly
            pass

    t = threading.Thread(target=work, daemon=True)
    t.start()
    t.join(_deadline())
    if result:
        _write(path, result[0])
        return result[0]
    return cached[1] if cached else []


def function_names(target: dict[str, Any]) -> list[str]:
    """Cached function names; refreshed when stale, within the deadline; the stale list on failure."""
    return _cached(cache_file(target), lambda: fetch_function_names(target))


def alias_names(target: dict[str, Any], function: str) -> list[str]:
    """Cached alias names of ``function`` (same cache rules as :func:`function_names`)."""
    return _cached(cache_file(target, function), lambda: fetch_alias_names(target, function))


def complete_function(ctx, incomplete):
    """typer ``autocompletion`` for FUNCTION arguments: names starting with what was typed;
    ``FN:`` completes ``FN:alias``."""
    try:
        prefix = incomplete or ""
        if ":" in prefix and not prefix.startswith("arn:"):
            fn, part = prefix.split(":", 1)
            return [f"{fn}:{a}" for a in alias_names(_target(ctx), fn) if a.startswith(part)] if fn else []
        return [n for n in function_names(_target(ctx)) if n.startswith(prefix)]
    except Exception:  # noqa: BLE001
        return []


def complete_alias_args(ctx, incomplete):
    """typer ``autocompletion`` for the ``[FUNCTION] ALIAS`` words of the alias commands: the
    first word completes function names, the second the alias names of that function."""
    try:
        words = [str(w) for w in (ctx.params.get("args") or [])]
        if not words:
            return complete_function(ctx, incomplete)
        if len(words) == 1 and not words[0].startswith("-"):
            prefix = incomplete or ""
            return [a for a in alias_names(_target(ctx), words[0]) if a.startswith(prefix)]
        return []
    except Exception:  # noqa: BLE001
        return []
