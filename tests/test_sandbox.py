"""The lambdactl sandbox (moto + a WSGI layer that runs handlers for real), started from the
tests — not moto's bare server — and driven with the real CLI."""
from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from tests.conftest import FAKE_ENV, assert_clean_error

HANDLER = textwrap.dedent('''\
    import os, time

    def handler(event, context):
        print("handler saw", event.get("name"))
        if event.get("boom"):
            raise KeyError("no such order")
        if event.get("sleep"):
            time.sleep(event["sleep"])
        return {"hello": event.get("name"), "stage": os.environ.get("STAGE"),
                "fn": context.function_name}
''')

TOML = textwrap.dedent('''\
    [function]
    name = "sbx"
    runtime = "python3.12"
    handler = "app.handler"
    source = "src"
    timeout = 1
    [function.environment]
    STAGE = "sandbox"
''')


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from lambdactl.core.run.sandbox import SandboxServer

    server = SandboxServer(port=0, cache_dir=tmp_path_factory.mktemp("sandbox-cache")).start()
    yield server
    server.stop()


@pytest.fixture
def on_sandbox(sandbox, monkeypatch, project_dir):
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.endpoint)
    (project_dir / "src").mkdir()
    (project_dir / "src" / "app.py").write_text(HANDLER)
    (project_dir / "lambdactl.toml").write_text(TOML)
    return sandbox


def test_deploy_then_invoke_runs_the_real_handler(on_sandbox, invoke_cli):
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    r = invoke_cli("invoke", '{"name": "ada"}', "--logs", "-o", "json")
    assert r.exit_code == 0, r.stderr
    body = r.json()
    assert body["payload"] == {"hello": "ada", "stage": "sandbox", "fn": "sbx"}
    assert body["status_code"] == 200
    assert "handler saw ada" in (body["log_tail"] or "")
    assert body["report"]["cold_start"] is True


def test_handler_exception_exit_4_with_real_error_type(on_sandbox, invoke_cli):
    assert invoke_cli("deploy").exit_code == 0
    r = invoke_cli("invoke", '{"boom": true}')
    assert r.exit_code == 4, (r.stdout, r.stderr)
    assert "KeyError" in r.stdout + r.stderr
    assert "no such order" in r.stdout + r.stderr


def test_timeout_gives_lambda_timeout_error(on_sandbox, invoke_cli):
    assert invoke_cli("deploy").exit_code == 0
    r = invoke_cli("invoke", '{"sleep": 3}')
    assert r.exit_code == 4, (r.stdout, r.stderr)
    assert "Task timed out after 1.00 seconds" in r.stdout + r.stderr


def test_log_tail_and_logs_show_report(on_sandbox, invoke_cli, boto):
    assert invoke_cli("deploy").exit_code == 0
    r = invoke_cli("invoke", '{"name": "grace"}', "--logs")
    assert r.exit_code == 0, r.stderr
    assert "handler saw grace" in r.stderr
    assert "REPORT" in r.stderr
    r = invoke_cli("logs", "--since", "5m", "-o", "json")
    assert r.exit_code == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    reports = [e for e in events if e.get("report")]
    assert reports and reports[0]["report"]["duration_ms"] is not None
    assert any("handler saw grace" in e["message"] for e in events)


def test_warm_start_reuses_worker_and_throttles_at_zero(on_sandbox, invoke_cli, boto):
    assert invoke_cli("deploy").exit_code == 0
    first = invoke_cli("invoke", "{}", "--logs", "-o", "json").json()
    second = invoke_cli("invoke", "{}", "--logs", "-o", "json").json()
    assert first["report"]["cold_start"] is True
    assert second["report"]["cold_start"] is False
    boto("lambda").put_function_concurrency(FunctionName="sbx", ReservedConcurrentExecutions=0)
    r = invoke_cli("invoke", "{}")
    assert r.exit_code == 1
    assert "TooManyRequests" in r.stderr or "throttl" in r.stderr.lower() or "Rate" in r.stderr


def test_async_invoke_runs_in_background_and_logs(on_sandbox, invoke_cli, boto):
    assert invoke_cli("deploy").exit_code == 0
    r = invoke_cli("invoke", '{"name": "async"}', "--async")
    assert r.exit_code == 0, r.stderr
    deadline = time.time() + 60      # returns as soon as the log line is there; 60 s only on a loaded box
    logs = boto("logs")
    while time.time() < deadline:
        try:
            ev = logs.filter_log_events(logGroupName="/aws/lambda/sbx").get("events", [])
        except logs.exceptions.ResourceNotFoundException:   # group appears when the run ends
            ev = []
        if any("handler saw async" in e["message"] for e in ev):
            break
        time.sleep(0.1)
    else:
        pytest.fail("async invocation did not log")


def test_detached_sandbox_start_status_stop(tmp_path):
    env = {**os.environ, **FAKE_ENV, "LAMBDACTL_STATE_DIR": str(tmp_path / "state"),
           "LAMBDACTL_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("AWS_ENDPOINT_URL", None)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "lambdactl", *args], capture_output=True, text=True,
                              env=env, timeout=60, preexec_fn=lambda: os.umask(0o022))

    assert run("sandbox", "status").returncode == 3
    p = run("sandbox", "start", "--port", "0", "--detach", "-o", "json")
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout)
    try:
        assert info["endpoint"].startswith("http://127.0.0.1:")
        # its state and log are this user's only
        state = tmp_path / "state"
        assert stat.S_IMODE(state.stat().st_mode) == 0o700
        assert stat.S_IMODE((state / "sandbox.json").stat().st_mode) == 0o600
        assert stat.S_IMODE((state / "sandbox.log").stat().st_mode) == 0o600
        s = run("sandbox", "status", "-o", "json")
        assert s.returncode == 0 and json.loads(s.stdout)["endpoint"] == info["endpoint"]
        # --sandbox points any command at it
        ls = run("--sandbox", "ls", "-o", "json")
        assert ls.returncode == 0, ls.stderr
        assert json.loads(ls.stdout) == []
    finally:
        stop = run("sandbox", "stop")
    assert stop.returncode == 0
    assert run("sandbox", "status").returncode == 3


def test_sandbox_flag_without_running_sandbox_is_usage_error(invoke_cli):
    assert_clean_error(invoke_cli("--sandbox", "ls"), 2, contains="sandbox")


@pytest.mark.parametrize("fmt", [[], ["-o", "json"]], ids=["default", "json"])
def test_demo_runs_end_to_end(tmp_path, fmt):
    env = {**os.environ, **FAKE_ENV, "LAMBDACTL_STATE_DIR": str(tmp_path / "state"),
           "LAMBDACTL_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("AWS_ENDPOINT_URL", None)
    p = subprocess.run([sys.executable, "-m", "lambdactl", "demo", *fmt], capture_output=True, text=True,
                       env=env, timeout=600, cwd=tmp_path)     # a bound for a hang, not a speed test
    assert p.returncode == 0, p.stderr[-3000:]
    assert "demo finished" in p.stderr
    assert "Traceback" not in p.stderr
    if fmt:   # -o json: exactly one JSON document on stdout; the steps' output went to stderr
        doc = json.loads(p.stdout)
        assert [s["exit_code"] for s in doc["steps"]] == [0] * len(doc["steps"]) and len(doc["steps"]) >= 15
        assert doc["steps"][-1]["command"].startswith("lambdactl stats")
        assert "invocations" in p.stderr
    else:
        assert "Hello, Ada!" in p.stdout


def test_init_from_adopts_a_sandbox_function(on_sandbox, invoke_cli, tmp_path, monkeypatch):
    """The sandbox serves GetFunction's Code.Location (moto's points nowhere), so adoption works
    end to end against it: init --from, then diff shows nothing to do."""
    assert invoke_cli("deploy").exit_code == 0
    adopted = tmp_path / "adopted"
    r = invoke_cli("init", str(adopted), "--from", "sbx")
    assert r.exit_code == 0, r.stderr
    assert (adopted / "src" / "app.py").read_text() == HANDLER
    monkeypatch.chdir(adopted)
    r = invoke_cli("diff", "--exit-code")
    assert r.exit_code == 0, r.stdout + r.stderr


def test_foreground_start_on_a_busy_port_is_a_clean_usage_error(sandbox, invoke_cli):
    """werkzeug prints its own text and sys.exit(1)s on a bind error; lambdactl says it cleanly."""
    r = invoke_cli("sandbox", "start", "--port", str(sandbox.port))
    assert_clean_error(r, 2, contains=f"cannot listen on 127.0.0.1:{sandbox.port}")
    assert "in use by another program" not in r.stderr      # werkzeug's own message is not shown


@pytest.mark.parametrize("content", ['{"pid": "x", "port": 1}', "[1, 2]", "null", '{"pid": 1}', "not json"])
def test_damaged_state_file_means_no_sandbox(invoke_cli, tmp_path, content):
    state = tmp_path / ".lambdactl-state"
    state.mkdir(exist_ok=True)
    (state / "sandbox.json").write_text(content)
    assert_clean_error(invoke_cli("sandbox", "status"), 3, contains="not running")
    assert_clean_error(invoke_cli("--sandbox", "ls"), 2, contains="sandbox")
    r = invoke_cli("sandbox", "stop")
    assert r.exit_code == 0 and "unchanged" in r.stderr
    assert not (state / "sandbox.json").exists()


def test_stop_never_signals_an_unrelated_process_with_a_reused_pid(invoke_cli, tmp_path):
    state = tmp_path / ".lambdactl-state"
    state.mkdir(exist_ok=True)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (state / "sandbox.json").write_text(json.dumps({"pid": other.pid, "port": 1}))
        r = invoke_cli("sandbox", "stop")
        assert r.exit_code == 0 and "unchanged" in r.stderr
        time.sleep(0.2)
        assert other.poll() is None                           # still running: not ours to stop
    finally:
        other.kill()
        other.wait()


def test_sandbox_rejects_a_non_json_payload_like_lambda(on_sandbox, invoke_cli):
    """Lambda answers 400 InvalidRequestContentException before running anything (a raw API call:
    lambdactl itself refuses invalid JSON before sending)."""
    import boto3
    from botocore.exceptions import ClientError

    assert invoke_cli("deploy").exit_code == 0
    lam = boto3.client("lambda", endpoint_url=on_sandbox.endpoint, region_name="us-east-1")
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName="sbx", Payload=b"not json")
    assert e.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    r = lam.invoke(FunctionName="sbx", Payload=b"")                 # an empty body is fine: {}
    assert r["StatusCode"] == 200 and "FunctionError" not in r
    assert json.loads(r["Payload"].read())["stage"] == "sandbox"    # the real handler ran
