"""Test harness: one real moto server over HTTP per test session (per xdist worker), reset
before each test, reached with AWS_ENDPOINT_URL exactly as a user reaches LocalStack.

Fixtures
- ``moto_endpoint``: ``http://127.0.0.1:<port>`` of the session's moto server.
- ``aws_env`` (autouse): fake credentials, region, endpoint in the environment; moto reset and
  Docker-less Lambda invoke configured before each test.
- ``boto``: ``boto("lambda")`` → a boto3 client on the server, for arranging and reading state.
- ``iam_role``: the ARN of a role that exists in moto IAM.
- ``sample_zip`` / ``make_zip``: a packaged sample function (bytes).
- ``create_function``: create a function on the server (returns its configuration).
- ``invoke_cli``: run the real app via typer's CliRunner → Result(exit_code, stdout, stderr).
- ``run_lambdactl``: run ``python -m lambdactl`` as a real subprocess.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REGION = "us-east-1"
ACCOUNT = "123456789012"
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "LAMBDACTL_RETRY_BUDGET": "20",
    # Deadlines users never see: a loaded 2-core box under -n 8 made completion's 1.5 s return [].
    # Tests that are about a deadline set their own, short one.
    "LAMBDACTL_COMPLETION_TIMEOUT": "60",
}
_CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "LAMBDACTL_CONFIG", "LAMBDACTL_OUTPUT",
            "LAMBDACTL_SANDBOX", "LAMBDACTL_DEBUG", "NO_COLOR")


def _post(url: str, body: dict | None = None) -> None:
    data = json.dumps(body).encode() if body is not None else b""
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=30).read()


@pytest.fixture(scope="session")
def moto_endpoint():
    os.environ.update({k: v for k, v in FAKE_ENV.items()})
    from moto.server import ThreadedMotoServer

    from lambdactl.core.run import motofixes

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    motofixes.apply()  # the same AWS-fidelity fixes the sandbox applies (see motofixes.py)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server._server.server_port
    url = f"http://127.0.0.1:{port}"
    yield url
    server.stop()


def reset_moto(endpoint: str) -> None:
    _post(f"{endpoint}/moto-api/reset")
    _post(f"{endpoint}/moto-api/config", {"lambda": {"use_docker": False}})


def fake_aws_env(monkeypatch, tmp_path, moto_endpoint, *, reset_server: bool = True):
    """The body of ``aws_env`` (a generator for ``yield from``): fake credentials, region and
    endpoint in the environment, a per-test state/cache dir, the moto server reset (unless
    ``reset_server=False``), and fresh settings, sessions and call log."""
    for k in _CLEARED:
        monkeypatch.delenv(k, raising=False)
    for k, v in FAKE_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("LAMBDACTL_STATE_DIR", str(tmp_path / ".lambdactl-state"))
    monkeypatch.setenv("LAMBDACTL_CACHE_DIR", str(tmp_path / ".lambdactl-cache"))
    if reset_server:
        reset_moto(moto_endpoint)
    from lambdactl import settings
    from lambdactl.aws import CALLS, reset_sessions

    settings.reset()
    reset_sessions()
    CALLS.clear()
    yield moto_endpoint
    settings.reset()
    reset_sessions()


@pytest.fixture(autouse=True)
def aws_env(moto_endpoint, monkeypatch, tmp_path):
    yield from fake_aws_env(monkeypatch, tmp_path, moto_endpoint)


@pytest.fixture
def boto(moto_endpoint):
    import boto3

    clients = {}

    def make(service: str):
        if service not in clients:
            clients[service] = boto3.client(service, region_name=REGION, endpoint_url=moto_endpoint)
        return clients[service]

    return make


LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}


@pytest.fixture
def iam_role(boto) -> str:
    resp = boto("iam").create_role(RoleName="test-lambda-role",
                                   AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    return resp["Role"]["Arn"]


SAMPLE_HANDLER = '''\
import json, os

def handler(event, context):
    return {"ok": True, "event": event}
'''


def make_zip_bytes(files: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            zf.writestr(info, content)
    return buf.getvalue()


@pytest.fixture
def make_zip():
    return make_zip_bytes


@pytest.fixture
def sample_zip() -> bytes:
    return make_zip_bytes({"app.py": SAMPLE_HANDLER})


@pytest.fixture
def create_function(boto, iam_role, sample_zip):
    def create(name: str = "fn", *, zip_bytes: bytes | None = None, runtime: str = "python3.12",
               handler: str = "app.handler", **kwargs) -> dict:
        return boto("lambda").create_function(
            FunctionName=name, Runtime=runtime, Role=iam_role, Handler=handler,
            Code={"ZipFile": zip_bytes or sample_zip}, **kwargs)

    return create


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None

    def json(self):
        return json.loads(self.stdout)


@pytest.fixture
def invoke_cli():
    from typer.testing import CliRunner

    from lambdactl.cli.app import app

    def run(*args: str, input: str | bytes | None = None, env: dict | None = None) -> CliResult:
        runner = CliRunner()
        result = runner.invoke(app, [str(a) for a in args], input=input, env=env,
                               catch_exceptions=True)
        exc = result.exception if not isinstance(result.exception, SystemExit) else None
        return CliResult(result.exit_code, result.stdout, result.stderr, exc)

    return run


@pytest.fixture
def project_dir(tmp_path, monkeypatch):
    """A temporary working directory (cwd) for project-file tests."""
    d = tmp_path / "proj"
    d.mkdir()
    monkeypatch.chdir(d)
    return d


@pytest.fixture
def run_lambdactl(moto_endpoint):
    def run(*args: str, input: str | None = None, env: dict | None = None, cwd=None,
            timeout: float = 120) -> subprocess.CompletedProcess:
        e = {**os.environ, **FAKE_ENV, "AWS_ENDPOINT_URL": moto_endpoint}
        if env:
            e.update(env)
        return subprocess.run([sys.executable, "-m", "lambdactl", *map(str, args)], input=input,
                              capture_output=True, text=True, env=e, cwd=cwd, timeout=timeout)

    return run


def assert_clean_error(result, code: int, *, contains: str | None = None) -> None:
    """A documented exit code, one 'error:' line on stderr, nothing on stdout, no traceback."""
    out = result.stdout
    err = result.stderr
    assert result.exit_code == code if hasattr(result, "exit_code") else result.returncode == code, (code, out, err)
    assert out == "", out
    assert "Traceback" not in err
    assert sum(1 for line in err.splitlines() if line.startswith("error:")) == 1, err
    if contains:
        assert contains in err, err
