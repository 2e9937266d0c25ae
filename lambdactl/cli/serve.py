"""``lambdactl serve``: the project's handler on a local HTTP endpoint (function URL / API Gateway)."""
from __future__ import annotations

import sys
import threading
from typing import Annotated, Optional

import typer

from lambdactl.cli.common import COMMON_EPILOG
from lambdactl.errors import Interrupted, OperationError, UsageError
from lambdactl.output import info, warn
from lambdactl.settings import current

DEFAULT_PORT = 3000
MAX_CONCURRENCY = 64
FORMAT_NAMES = {"http": "function URL / HTTP API events (payload format 2.0)",
                "rest": "API Gateway REST API events (payload format 1.0)"}


def serve(
    function: Annotated[Optional[str], typer.Argument(
        metavar="FUNCTION", show_default=False,
        help="The project's function (the default): serve runs the project's source, not a deployed function.")] = None,
    port: Annotated[int, typer.Option("--port", "-p", metavar="PORT", help="Port to listen on (1-65535).")] = DEFAULT_PORT,
    host: Annotated[str, typer.Option(
        "--host", metavar="HOST", help="Address to listen on; anything but loopback exposes your handler (and your AWS credentials' reach) to the network.")] = "127.0.0.1",
    fmt: Annotated[str, typer.Option(
        "--format", metavar="FORMAT",
        help="Event format: http (function URL / HTTP API, payload 2.0) or rest (API Gateway REST, payload 1.0).")] = "http",
    concurrency: Annotated[int, typer.Option(
        "--concurrency", "-j", metavar="N", help="Requests handled at once, each in its own warm worker process.")] = 4,
    env: Annotated[Optional[list[str]], typer.Option(
        "--env", "-e", metavar="KEY=VALUE", help="An extra environment variable for the handler. Repeatable.")] = None,
    no_reload: Annotated[bool, typer.Option(
        "--no-reload", help="Do not watch the source for changes (by default an edit reloads the handler).")] = False,
) -> None:
    """Serve the project's handler on a local HTTP endpoint, as a function URL or API Gateway would.

    Each request becomes the event AWS would send (--format http: function URL / HTTP API payload
    2.0, the default; --format rest: API Gateway REST proxy 1.0), runs in a warm worker process as
    'invoke --local' does (same environment, timeout and credentials; with --sandbox the sandbox's),
    and the handler's result becomes the HTTP response by AWS's rules: statusCode, headers, cookies
    (Set-Cookie), multiValueHeaders (rest), isBase64Encoded bodies; a result without statusCode is
    a 200 JSON response (http). A function error or a timeout is a 502, as on AWS.

    Editing a file in the source directory, the requirements file or lambdactl.toml reloads the
    handler for the next request, without a restart. Each request's log lines and REPORT line go to
    stderr. Listens on 127.0.0.1 unless --host says otherwise. Ctrl-C stops it (exit 130).

    Examples:

      lambdactl serve                                   # http://127.0.0.1:3000

      curl 'http://127.0.0.1:3000/hello?name=Ada'

      lambdactl serve --port 8080 --format rest --env STAGE=dev

      lambdactl --sandbox serve                         # the handler's AWS calls reach the sandbox
    """
    from lambdactl.core.run.serve import FORMATS

    if not 1 <= port <= 65535:
        raise UsageError(f"--port {port} is out of range" + (": serve needs a fixed port" if port == 0 else ""),
                         hint=f"allowed range: 1..65535, e.g. --port {DEFAULT_PORT}")
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r} is not one of: {', '.join(FORMATS)}",
                         hint="http: function URL / HTTP API (payload 2.0); rest: API Gateway REST (payload 1.0)")
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency {concurrency} is out of range", hint=f"allowed range: 1..{MAX_CONCURRENCY}")
    if not host.strip():
        raise UsageError("--host is empty", hint="e.g. --host 127.0.0.1")
    from lambdactl.cli.invoke import _local_spec

    proj, spec = _local_spec(None, env)       # the spec `invoke --local` runs, from the project file
    if function:
        from lambdactl.core.model.naming import parse_function_ref

        name, qualifier = parse_function_ref(function)
        if qualifier or name != proj.function.name:
            raise UsageError(f"serve runs the project's function {proj.function.name!r}, not {function!r}",
                             hint="drop FUNCTION, or run in that function's project directory (-c FILE)")
    _serve(proj, spec, make_spec=lambda: _local_spec(None, env)[1], host=host, port=port, fmt=fmt,
           concurrency=concurrency, reload=not no_reload)


def _serve(proj, spec, *, make_spec, host: str, port: int, fmt: str, concurrency: int, reload: bool) -> None:
    import errno
    import signal

    from lambdactl.core.run.serve import Runner, is_loopback, make_server

    s = current()
    runner = Runner(make_spec, concurrency=concurrency, spec=spec)
    counter = {"requests": 0}
    log = _request_logger(runner, counter, quiet=s.quiet)
    try:
        server = make_server(runner, host=host, port=port, fmt=fmt, log=log, account=spec.account_id)
    except OSError as exc:
        runner.close()
        if exc.errno == errno.EADDRINUSE:
            raise OperationError(f"port {port} on {host} is already in use",
                                 hint="choose another --port, or stop the program listening there") from None
        if exc.errno == errno.EACCES:
            raise OperationError(f"not allowed to listen on port {port} on {host}",
                                 hint=f"ports below 1024 need privileges; e.g. --port {DEFAULT_PORT}") from None
        raise UsageError(f"--host {host}: cannot listen there ({exc.strerror or exc})",
                         hint="give an address of this machine, e.g. 127.0.0.1 or 0.0.0.0") from None
    bound = server.server_address[0]
    shown = f"[{bound}]" if ":" in bound else bound
    url = f"http://{shown}:{server.server_port}"
    if not is_loopback(bound):
        warn(f"listening on {bound}: other machines can call the handler, which runs with "
             f"{'the sandbox' if s.sandbox else 'your AWS'} credentials; use --host 127.0.0.1 to keep it local")
    _stderr(f"serving {spec.function_name} on {url} — Ctrl-C to stop")
    info(f"{FORMAT_NAMES[fmt]}; handler {spec.handler} from {_rel(proj, spec.code_dir)}, "
         f"up to {concurrency} at once" + ("; reloading on changes" if reload else ""))
    watcher = _watch(proj, runner) if reload else None

    def _term(signum, frame):
        raise KeyboardInterrupt

    # SIGINT too: a shell starts `lambdactl serve &` with SIGINT ignored, and `kill -INT` must still stop it.
    previous = {sig: signal.signal(sig, _term) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if watcher is not None:
            watcher.stop()
        server.server_close()
        runner.close()
    n = counter["requests"]
    raise Interrupted(f"interrupted: stopped serving {spec.function_name} on {url} after {n} request"
                      f"{'' if n == 1 else 's'}")


_log_lock = threading.Lock()


def _stderr(text: str) -> None:
    with _log_lock:
        sys.stderr.write(text if text.endswith("\n") else text + "\n")
        sys.stderr.flush()


def _request_logger(runner, counter: dict, *, quiet: bool):
    from lambdactl.output import style

    def log(rec) -> None:
        with _log_lock:
            counter["requests"] += 1
        colour = "green" if rec.status < 400 else "yellow" if rec.status < 500 else "red"
        line = (f"{rec.method} {rec.target} → {style(str(rec.status), colour, stream=sys.stderr)} "
                f"({rec.wall_ms:.1f} ms)")
        if rec.problem:
            line += f": {rec.problem}"
        text = line + "\n"
        if rec.result is not None and not quiet:
            logs = rec.result.logs
            text = logs + ("" if logs.endswith("\n") else "\n") + text
        with _log_lock:
            sys.stderr.write(text)
            sys.stderr.flush()
        if rec.result is not None:
            from lambdactl.cli.invoke import _check_memory

            _check_memory(rec.result, runner.spec)

    return log


def _rel(proj, path) -> str:
    from pathlib import Path

    p = Path(path).resolve()
    try:
        return str(p.relative_to(Path.cwd().resolve())) + "/"
    except ValueError:
        return str(p) + "/"


def _watch(proj, runner):
    """Reload the runner when the source, the requirements or the project file changes."""
    from pathlib import Path

    from lambdactl.core.run.serve import Watcher
    from lambdactl.errors import LambdactlError

    files = [proj.path] + ([proj.requirements_path] if proj.requirements_path else [])

    def on_change(paths: list[str]) -> None:
        shown = [p for p in paths if Path(p).exists()] or paths      # not an editor's vanished temp file
        names = ", ".join(_short(Path(p), proj.root) for p in shown[:3]) + (" …" if len(shown) > 3 else "")
        try:
            runner.reload()
        except LambdactlError as exc:
            with _log_lock:
                warn(f"{names} changed, but the handler was not reloaded: {exc.message}; still serving the previous version")
            return
        except Exception as exc:  # noqa: BLE001 - keep serving the previous version
            with _log_lock:
                warn(f"{names} changed, but the handler was not reloaded: {type(exc).__name__}: {exc}")
            return
        _stderr(f"reloaded: {names} changed")

    def failed(exc: Exception) -> None:
        warn(f"watching for changes stopped ({type(exc).__name__}: {exc}); restart serve to pick up edits")

    watcher = Watcher(runner.spec.code_dir, files, on_change)
    watcher.on_change_failed = failed
    try:
        watcher.start()
    except ImportError:
        warn("reload on change needs the watchfiles package (pip install watchfiles); serving without it")
        return None
    return watcher


def _short(path, root) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def register(app: typer.Typer) -> None:
    app.command("serve", epilog=COMMON_EPILOG)(serve)
