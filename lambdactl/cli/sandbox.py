"""sandbox start|stop|status, and demo: a local AWS that really runs Python handlers."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Annotated, Optional

import typer

from lambdactl.errors import NotFoundError, OperationError, UsageError
from lambdactl.output import emit, info as say
from lambdactl.settings import current

sandbox_app = typer.Typer(help="A local AWS (moto + real Python handlers): no account, no Docker.\n\n"
                               "The sandbox executes the code deployed to it, as your user. It listens on "
                               "127.0.0.1 and answers only AWS clients on this machine: requests from web pages "
                               "(an Origin header), for another Host name (DNS rebinding) and for moto's admin "
                               "API (/moto-api/) are refused. See SECURITY.md.",
                          no_args_is_help=True, rich_markup_mode=None)


def _exports_text(endpoint: str) -> str:
    from lambdactl.core.run.sandbox import env_exports

    env = env_exports(endpoint)
    return "export " + " ".join(f"{k}={v}" for k, v in env.items())


@sandbox_app.command("start")
def start(
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free port).")] = 4566,
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Run in the background; 'sandbox stop' ends it.")] = False,
) -> None:
    """Start the sandbox endpoint on 127.0.0.1 and print the environment to use.

    Lambda (invokes run your real handler), IAM, S3, SQS, SNS, EventBridge, CloudWatch Logs, STS.

    The sandbox executes the code deployed to it, as your user, and is reachable only from this
    machine: it refuses requests from web pages (Origin header), for other Host names and for
    moto's admin API (/moto-api/). lambdactl --sandbox signs with test credentials, and handlers
    get the sandbox endpoint and test credentials, never yours.

    Examples:

      lambdactl sandbox start --detach && eval "$(lambdactl sandbox status -o text | tail -1)"

      lambdactl --sandbox deploy
    """
    from lambdactl import sandbox_state
    from lambdactl.core.run.sandbox import require_moto

    require_moto()
    existing = sandbox_state.running()
    if existing:
        if detach:
            say(f"sandbox already running at {existing['endpoint']}")
            _print_start(existing["endpoint"], existing["pid"])
            return
        raise UsageError(f"a detached sandbox is already running at {existing['endpoint']}",
                         hint="'lambdactl sandbox stop' first, or use it with --sandbox")
    if detach:
        _start_detached(port)
        return
    from lambdactl.core.run.sandbox import SandboxServer

    server = SandboxServer(port=port)
    _print_start(server.endpoint, os.getpid())
    say(f"sandbox listening on {server.endpoint} (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        say("sandbox stopped")
    finally:
        server.stop()


def _print_start(endpoint: str, pid) -> None:
    if current().output_format == "json":
        from lambdactl.core.run.sandbox import env_exports

        emit({"endpoint": endpoint, "pid": pid, "environment": env_exports(endpoint)})
    else:
        sys.stdout.write(_exports_text(endpoint) + "\n")


def _start_detached(port: int) -> None:
    from lambdactl import sandbox_state

    if port == 0:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    if sandbox_state.port_open("127.0.0.1", port):
        raise UsageError(f"port {port} is already in use", hint="choose another --port")
    log_dir = sandbox_state.state_dir()
    log = sandbox_state.open_log()
    proc = subprocess.Popen([sys.executable, "-m", "lambdactl", "sandbox", "start", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL,
                            start_new_session=True, env={**os.environ, "NO_COLOR": "1"})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise OperationError(f"the sandbox exited at start (code {proc.returncode})",
                                 hint=f"see {log_dir / 'sandbox.log'}")
        if sandbox_state.port_open("127.0.0.1", port):
            break
        time.sleep(0.05)
    else:
        proc.kill()
        raise OperationError("the sandbox did not start within 20 s", hint=f"see {log_dir / 'sandbox.log'}")
    sandbox_state.write(proc.pid, port)
    say(f"sandbox started in the background (pid {proc.pid}) at http://127.0.0.1:{port}")
    _print_start(f"http://127.0.0.1:{port}", proc.pid)


@sandbox_app.command("stop")
def stop() -> None:
    """Stop the detached sandbox.

    Examples:

      lambdactl sandbox stop
    """
    import signal

    from lambdactl import sandbox_state

    d = sandbox_state.read()
    if not d or not sandbox_state.pid_alive(d["pid"]) or not sandbox_state.is_sandbox_process(d["pid"]):
        sandbox_state.clear()
        say("no sandbox running (unchanged)")
        return
    pid = d["pid"]
    try:
        os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and sandbox_state.pid_alive(pid):
            time.sleep(0.05)
        if sandbox_state.pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    except PermissionError:
        raise OperationError(f"not allowed to stop the sandbox (pid {pid})",
                             hint="it was started by another user; stop it as that user")
    sandbox_state.clear()
    say(f"sandbox stopped (pid {pid})")


@sandbox_app.command("status")
def status() -> None:
    """Show whether the detached sandbox runs, where, and the environment to use (exit 3 if not).

    Examples:

      lambdactl sandbox status -o json
    """
    from lambdactl import sandbox_state

    d = sandbox_state.running()
    if not d:
        raise NotFoundError("the sandbox is not running", hint="start it with 'lambdactl sandbox start --detach'")
    ep = d["endpoint"]
    from lambdactl.core.run.sandbox import env_exports

    rec = {"status": "running", "endpoint": ep, "pid": d.get("pid"), "environment": env_exports(ep)}
    if current().output_format == "json":
        emit(rec)
    elif current().output_format == "text":
        sys.stdout.write(f"running\t{ep}\t{d.get('pid')}\n{_exports_text(ep)}\n")
    else:
        emit({"status": "running", "endpoint": ep, "pid": d.get("pid")})
        sys.stdout.write(_exports_text(ep) + "\n")


def demo(keep: Annotated[bool, typer.Option("--keep", help="Keep the temporary project directory.")] = False) -> None:
    """Walk the whole life of a function on an in-process sandbox, printing each command.

    init → package → deploy → invoke → publish → canary alias → promote → triggers →
    concurrency → logs → stats. Exits 0 only if every step worked. No AWS account needed.

    Examples:

      lambdactl demo
    """
    from lambdactl.cli.demo import run_demo

    if current().output_format != "json":
        run_demo(keep=keep)
        return
    # -o json: one JSON document (the steps' summary) on stdout; the steps' own output goes to stderr.
    import contextlib

    sys.stdout.flush()
    with contextlib.redirect_stdout(sys.stderr):
        result = run_demo(keep=keep)
    emit(result)


def register(app: typer.Typer) -> None:
    app.add_typer(sandbox_app, name="sandbox")
    app.command("demo")(demo)
