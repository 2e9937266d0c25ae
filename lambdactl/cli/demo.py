"""``lambdactl demo``: the whole life of a function on an in-process sandbox, one real command
at a time. Each step prints the lambdactl command it runs (the same command a user would type)
and runs it through the real CLI; the demo exits 0 only if every step worked."""
from __future__ import annotations

import os
import shlex
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from lambdactl.errors import OperationError

FN = "demo-fn"
BUCKET = "lambdactl-demo-uploads"


def _steps() -> list[tuple[str, str]]:
    """(title, command line without the leading 'lambdactl')."""
    return [
        ("Create a project (non-interactive wizard)",
         f"init . --name {FN} --template api --runtime python3.12 --arch arm64 --no-input"),
        ("Build the deployment zip", "package"),
        ("Deploy: role, function, configuration", "deploy"),
        ("Deploy again: nothing changed, nothing uploaded", "deploy"),
        ("Invoke it (runs the real handler in the sandbox)", "invoke @events/api.json --logs"),
        ("Publish version 1", "publish --description first"),
        ("Point alias 'live' at version 1", f"alias set {FN} live --version 1"),
        ("Change the code and publish version 2", "deploy --publish"),
        ("Canary: send 10% of 'live' to version 2", f"alias shift {FN} live --to 2 --percent 10 --yes"),
        ("Promote version 2 to primary", f"alias promote {FN} live --yes"),
        ("Wire an S3 bucket (permission + notification)",
         f"trigger add s3 --bucket {BUCKET} --events s3:ObjectCreated:*"),
        ("Run it every 5 minutes", 'trigger add schedule --expression "rate(5 minutes)"'),
        ("Everything that can invoke it", "trigger list"),
        ("Reserve concurrency", "concurrency set --reserved 5"),
        ("Invoke the alias a few times (cold, then warm)", f"invoke {FN}:live @events/api.json --repeat 3"),
        ("Read the logs (START/END hidden, REPORT summarised)", "logs --since 10m"),
        ("Numbers from the REPORT lines", "stats --since 1h"),
    ]


@contextmanager
def _environment(endpoint: str, workdir: Path):
    keys = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
            "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "LAMBDACTL_CONFIG", "LAMBDACTL_OUTPUT")
    from lambdactl.core.run.sandbox import env_exports

    saved = {k: os.environ.get(k) for k in keys}
    cwd = os.getcwd()
    os.environ.update(env_exports(endpoint))
    for k in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "LAMBDACTL_CONFIG", "LAMBDACTL_OUTPUT"):
        os.environ.pop(k, None)
    os.chdir(workdir)
    try:
        yield
    finally:
        os.chdir(cwd)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run_cli(argv: list[str]) -> int:
    from lambdactl import settings
    from lambdactl.cli.app import app
    import typer.main

    cmd = typer.main.get_command(app)
    saved = settings.current()
    try:
        return cmd.main(args=argv, prog_name="lambdactl", standalone_mode=False)
    finally:
        settings.set_current(saved)


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def run_demo(keep: bool = False) -> dict:
    from lambdactl.core.run.sandbox import SandboxServer
    from lambdactl.output import style

    t_start = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="lambdactl-demo-"))
    server = SandboxServer(port=0, cache_dir=tmp / ".cache").start()
    _say(style(f"lambdactl demo: sandbox at {server.endpoint}, project in {tmp}", "bold", stream=sys.stderr))
    results = []
    failed = None
    try:
        with _environment(server.endpoint, tmp):
            import boto3

            boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)
            for i, (title, line) in enumerate(_steps(), 1):
                _say("")
                _say(style(f"[{i:2d}] {title}", "cyan", stream=sys.stderr))
                _say(style(f"     $ lambdactl {line}", "bold", stream=sys.stderr))
                if "deploy --publish" in line:
                    app_py = tmp / "src" / "app.py"
                    app_py.write_text(app_py.read_text() + "\n# v2: changed by the demo\n")
                t0 = time.monotonic()
                sys.stdout.flush()
                code = _run_cli(shlex.split(line))
                sys.stdout.flush()
                ms = (time.monotonic() - t0) * 1000
                results.append({"step": i, "title": title, "command": f"lambdactl {line}",
                                "exit_code": code, "ms": round(ms)})
                if code != 0:
                    failed = results[-1]
                    break
    finally:
        server.stop()
        if not keep:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    total = time.monotonic() - t_start
    _say("")
    if failed:
        raise OperationError(f"demo step {failed['step']} failed (exit {failed['exit_code']}): {failed['command']}",
                             hint="re-run with --verbose to see each AWS call")
    _say(style(f"demo finished: {len(results)} steps in {total:.1f} s", "green", stream=sys.stderr)
         + (f" (kept {tmp})" if keep else ""))
    return {"steps": results, "seconds": round(total, 2), "directory": str(tmp) if keep else None}
