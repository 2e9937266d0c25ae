"""Where a detached sandbox records its pid/port (the user's state directory). No heavy imports."""
from __future__ import annotations

import json
import os
import socket
from pathlib import Path


def state_dir() -> Path:
    env = os.environ.get("LAMBDACTL_STATE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "lambdactl"


def state_file() -> Path:
    return state_dir() / "sandbox.json"


def read() -> dict | None:
    """The recorded sandbox, or None (also for a damaged state file: it is treated as no sandbox)."""
    try:
        d = json.loads(state_file().read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(d, dict):
        return None
    try:
        d["pid"], d["port"] = int(d["pid"]), int(d["port"])
    except (KeyError, TypeError, ValueError):
        return None
    host = d.get("host") if isinstance(d.get("host"), str) else "127.0.0.1"
    d["host"] = host
    d["endpoint"] = f"http://{host}:{d['port']}"
    return d


def ensure_state_dir() -> Path:
    """The state directory, created for this user only (0700) when missing."""
    from lambdactl.files import private_dir

    return private_dir(state_dir())


def write(pid: int, port: int, host: str = "127.0.0.1") -> dict:
    from lambdactl.files import replace_atomically

    d = {"pid": pid, "port": port, "host": host, "endpoint": f"http://{host}:{port}"}
    p = state_file()
    ensure_state_dir()
    replace_atomically(p, [json.dumps(d).encode()])   # 0600
    return d


def open_log():
    """The detached sandbox's log file (append, 0600): it may show request paths and errors."""
    path = ensure_state_dir() / "sandbox.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "ab")


def clear() -> None:
    try:
        state_file().unlink()
    except FileNotFoundError:
        pass


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child is not alive.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def is_sandbox_process(pid: int) -> bool:
    """Whether ``pid`` looks like a lambdactl sandbox (so a stale state file whose pid was reused by
    another program never gets that program signalled). True where /proc is not available."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except FileNotFoundError:
        return not os.path.isdir("/proc/self")
    except OSError:
        return False
    return any(b"lambdactl" in a for a in argv) and b"sandbox" in argv


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def running() -> dict | None:
    """The recorded sandbox (see :func:`read`) when it is running, else None."""
    d = read()
    if not d or not pid_alive(d["pid"]) or not port_open(d["host"], d["port"]):
        return None
    return d


def running_endpoint() -> str | None:
    """The endpoint of the running detached sandbox, or None."""
    d = running()
    return d["endpoint"] if d else None
