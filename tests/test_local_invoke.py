"""``lambdactl invoke --local``: real handlers written here, run in a worker process (no Docker),
plus the reusable runner library (Worker / WorkerPool) the sandbox builds on."""
from __future__ import annotations

import json
import os
import re
import textwrap
import time

import pytest

from tests.conftest import assert_clean_error

HANDLER = '''\
import json, os, sys, time

print("init: module loaded")
COUNT = 0

def handler(event, context):
    global COUNT
    COUNT += 1
    print("handling", json.dumps(event))
    print("to stderr", file=sys.stderr)
    if event.get("boom"):
        raise ValueError("boom: " + str(event["boom"]))
    if event.get("sleep"):
        with open(event["pidfile"], "w") as f:
            f.write(str(os.getpid()))
        time.sleep(event["sleep"])
    if event.get("alloc_mb"):
        blob = bytearray(event["alloc_mb"] * 1024 * 1024)
        for i in range(0, len(blob), 4096):
            blob[i] = 1
    before = context.get_remaining_time_in_millis()
    if event.get("wait"):
        time.sleep(event["wait"])
    after = context.get_remaining_time_in_millis()
    return {
        "count": COUNT, "pid": os.getpid(), "before": before, "after": after,
        "ctx": {k: getattr(context, k) for k in ("function_name", "function_version", "memory_limit_in_mb",
                "aws_request_id", "invoked_function_arn", "log_group_name", "log_stream_name")},
        "env": {k: os.environ.get(k) for k in ("STAGE", "EXTRA", "AWS_LAMBDA_FUNCTION_NAME",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_REGION",
                "LAMBDA_TASK_ROOT", "_HANDLER", "HOME_MADE")},
        "cwd": os.getcwd(),
    }
'''


def write_project(root, *, handler_src: str = HANDLER, timeout: int = 3, memory: int = 256,
                  handler: str = "app.handler", env: dict | None = None, files: dict | None = None):
    src = root / "src"
    src.mkdir(exist_ok=True)
    (src / "app.py").write_text(handler_src)
    for rel, text in (files or {}).items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    env = env if env is not None else {"STAGE": "test"}
    env_toml = "".join(f'{k} = "{v}"\n' for k, v in env.items())
    (root / "lambdactl.toml").write_text(textwrap.dedent(f'''\
        [function]
        name = "local-fn"
        runtime = "python3.12"
        handler = "{handler}"
        source = "src"
        timeout = {timeout}
        memory = {memory}
        [function.environment]
        ''') + env_toml)
    return root


def reports(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("REPORT RequestId:")]


def test_local_success_shows_logs_and_body(invoke_cli, project_dir):
    write_project(project_dir)
    r = invoke_cli("invoke", "--local", '{"hello": "world"}')
    assert r.exit_code == 0, r.stderr
    body = json.loads(r.stdout)
    assert body["count"] == 1 and body["ctx"]["function_name"] == "local-fn"
    assert body["cwd"] == str((project_dir / "src").resolve())
    err = r.stderr
    assert "init: module loaded" in err                       # init output
    assert 'handling {"hello": "world"}' in err and "to stderr" in err
    assert re.search(r"^START RequestId: [0-9a-f-]{36} Version: \$LATEST$", err, re.M)
    assert re.search(r"^END RequestId: [0-9a-f-]{36}$", err, re.M)
    assert len(reports(err)) == 1


def test_local_exception_has_lambda_error_shape_exit_4(invoke_cli, project_dir):
    write_project(project_dir)
    r = invoke_cli("invoke", "--local", '{"boom": 42}', "-o", "json")
    assert r.exit_code == 4, r.stderr
    doc = r.json()
    assert doc["function_error"] == "Unhandled"
    err = doc["payload"]
    assert err["errorMessage"] == "boom: 42" and err["errorType"] == "ValueError"
    assert isinstance(err["stackTrace"], list) and 'app.py", line 12, in handler' in err["stackTrace"][0]
    assert "_worker.py" not in "".join(err["stackTrace"])     # the runner's own frames are hidden
    assert "[ERROR] ValueError: boom: 42" in doc["log_tail"]
    assert "Traceback (most recent call last):" in r.stderr
    assert "error: local-fn returned an error (Unhandled): ValueError: boom: 42" in r.stderr
    r = invoke_cli("invoke", "--local", '{"boom": 1}')       # table mode: the body on stdout too
    assert r.exit_code == 4 and json.loads(r.stdout)["errorType"] == "ValueError"


def test_local_timeout_kills_the_process(invoke_cli, project_dir, tmp_path):
    write_project(project_dir, timeout=1)
    pidfile = tmp_path / "pid"
    r = invoke_cli("invoke", "--local", json.dumps({"sleep": 30, "pidfile": str(pidfile)}))
    assert r.exit_code == 4, r.stderr                          # a function error, as on Lambda
    assert "Task timed out after 1.00 seconds" in r.stderr
    assert ("error: local-fn returned an error (Unhandled): Sandbox.Timedout: Task timed out after 1.00 seconds"
            in r.stderr.splitlines())
    assert json.loads(r.stdout)["errorType"] == "Sandbox.Timedout"
    assert "Status: timeout" in reports(r.stderr)[0] and "Duration: 1000.00 ms" in reports(r.stderr)[0]
    pid = int(pidfile.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)                                         # the worker is gone


def test_local_environment_and_context(invoke_cli, project_dir):
    write_project(project_dir, env={"STAGE": "dev", "HOME_MADE": "yes"}, memory=512)
    r = invoke_cli("invoke", "--local", "--env", "EXTRA=1", "--set", "x=1", "-o", "json")
    assert r.exit_code == 0, r.stderr
    p = r.json()["payload"]
    assert p["env"]["STAGE"] == "dev" and p["env"]["HOME_MADE"] == "yes" and p["env"]["EXTRA"] == "1"
    assert p["env"]["AWS_LAMBDA_FUNCTION_NAME"] == "local-fn"
    assert p["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert p["env"]["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert p["env"]["AWS_REGION"] == "us-east-1" and p["env"]["_HANDLER"] == "app.handler"
    assert p["env"]["LAMBDA_TASK_ROOT"] == str((project_dir / "src").resolve())
    ctx = p["ctx"]
    assert ctx["memory_limit_in_mb"] == "512"                    # a string, as on Lambda
    assert ctx["function_version"] == "$LATEST"
    assert ctx["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:local-fn"
    assert ctx["log_group_name"] == "/aws/lambda/local-fn"
    assert re.match(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$", ctx["log_stream_name"])
    assert re.match(r"^[0-9a-f-]{36}$", ctx["aws_request_id"])
    assert ctx["aws_request_id"] == r.json()["request_id"]


def test_local_context_countdown(invoke_cli, project_dir):
    write_project(project_dir, timeout=3)
    r = invoke_cli("invoke", "--local", '{"wait": 0.3}', "-o", "json")
    assert r.exit_code == 0, r.stderr
    p = r.json()["payload"]
    assert 2500 < p["before"] <= 3000
    assert p["before"] - p["after"] >= 250                      # it counts down while the handler runs


def test_local_report_has_plausible_memory(invoke_cli, project_dir):
    write_project(project_dir, memory=256)
    r = invoke_cli("invoke", "--local", '{"alloc_mb": 60}', "-o", "json")
    assert r.exit_code == 0, r.stderr
    rep = r.json()["report"]
    assert rep["memory_size_mb"] == 256
    assert 60 <= rep["max_memory_used_mb"] < 256, rep
    assert rep["duration_ms"] > 0 and rep["billed_duration_ms"] >= 1
    assert rep["init_duration_ms"] > 0 and rep["cold_start"] is True
    r = invoke_cli("invoke", "--local", "{}")
    line = reports(r.stderr)[0]
    assert re.search(r"Max Memory Used: (\d+) MB", line) and 5 <= int(re.search(r"Max Memory Used: (\d+) MB", line)[1]) < 200


def test_local_memory_over_the_configured_size_warns(invoke_cli, project_dir):
    write_project(project_dir, memory=128)
    r = invoke_cli("invoke", "--local", '{"alloc_mb": 150}')
    assert r.exit_code == 0, r.stderr
    assert "warning: max memory used" in r.stderr and "Runtime.OutOfMemory" in r.stderr


def test_local_repeat_one_cold_then_warm(invoke_cli, project_dir):
    write_project(project_dir)
    r = invoke_cli("invoke", "--local", "{}", "--repeat", "3", "-o", "json")
    assert r.exit_code == 0, r.stderr
    docs = r.json()
    assert [d["cold_start"] for d in docs] == [True, False, False]
    assert [d["payload"]["count"] for d in docs] == [1, 2, 3]           # module state survives: warm
    assert len({d["payload"]["pid"] for d in docs}) == 1                # one process
    lines = reports(r.stderr)
    assert len(lines) == 3
    assert "Init Duration" in lines[0] and all("Init Duration" not in x for x in lines[1:])
    assert r.stderr.count("init: module loaded") == 1
    assert "3 invocations · cold start: init" in r.stderr and "2 warm" in r.stderr


def test_local_init_errors(invoke_cli, project_dir):
    write_project(project_dir, handler="app.missing")
    r = invoke_cli("invoke", "--local", "{}", "-o", "json")
    assert r.exit_code == 4
    assert r.json()["payload"]["errorType"] == "Runtime.HandlerNotFound"
    write_project(project_dir, handler="nomodule.handler")
    r = invoke_cli("invoke", "--local", "{}")
    assert r.exit_code == 4
    assert "Runtime.ImportModuleError: Unable to import module 'nomodule'" in r.stderr
    assert "hint:" in r.stderr and "INIT_REPORT" in r.stderr


@pytest.mark.parametrize("src, error_type, stack_has", [
    ("import not_installed_dep\n\ndef handler(e, c):\n    return 1\n", "Runtime.ImportModuleError", None),
    ("def handler(e, c):\n    return (1\n", "Runtime.UserCodeSyntaxError", 'app.py" Line 2'),
    ("raise RuntimeError('at import')\n", "RuntimeError", 'app.py", line 1, in <module>'),
])
def test_local_init_errors_show_no_runner_or_importlib_frames(invoke_cli, project_dir, src, error_type, stack_has):
    """Like Lambda: ImportModuleError carries no stack trace, a syntax error names the file and line,
    an import-time exception shows only the user's frames (never _worker.py / importlib)."""
    write_project(project_dir, handler_src=src)
    r = invoke_cli("invoke", "--local", "{}", "-o", "json")
    assert r.exit_code == 4, r.stderr
    err = r.json()["payload"]
    assert err["errorType"] == error_type
    stack = "".join(err["stackTrace"])
    assert "_worker.py" not in stack and "importlib" not in stack
    assert "_worker.py" not in r.stderr and "importlib" not in r.stderr
    if stack_has is None:
        assert err["stackTrace"] == []
    else:
        assert stack_has in stack


def test_local_vendored_dependencies_on_sys_path(invoke_cli, project_dir):
    src = 'import vendored_lib\n\ndef handler(event, context):\n    return vendored_lib.VALUE\n'
    write_project(project_dir, handler_src=src, files={".lambdactl/build/deps/vendored_lib.py": "VALUE = 'vendored'\n"})
    r = invoke_cli("invoke", "--local")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == "vendored"


def test_local_uses_the_cached_dependency_install(invoke_cli, project_dir):
    """Requirements that 'lambdactl package' installed into the cache are importable locally
    (looked up by the same cache key; pip does not run)."""
    from lambdactl.core.build import deps

    src = 'import cached_lib\n\ndef handler(event, context):\n    return cached_lib.VALUE\n'
    write_project(project_dir, handler_src=src, files={"requirements.txt": "cached-lib==1.0\n"})
    toml = project_dir / "lambdactl.toml"
    toml.write_text(toml.read_text().replace('source = "src"\n', 'source = "src"\nrequirements = "requirements.txt"\n'))
    key = deps.cache_key(project_dir / "requirements.txt", "python3.12", "x86_64")
    site = deps.default_cache_dir() / "deps" / key[:32] / deps.SITE
    site.mkdir(parents=True)
    (site / "cached_lib.py").write_text("VALUE = 'from the cache'\n")
    (site.parent / deps.MARKER).write_text("{}")
    r = invoke_cli("invoke", "--local")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == "from the cache"


def test_local_bad_usage(invoke_cli, project_dir):
    write_project(project_dir)
    r = invoke_cli("invoke", "--local", "other-fn", "{}")
    assert_clean_error(r, 2, contains="local-fn")
    r = invoke_cli("invoke", "--local", "{}", "--qualifier", "1")
    assert_clean_error(r, 2, contains="--qualifier")
    r = invoke_cli("invoke", "--local", "{bad")
    assert_clean_error(r, 2, contains="line 1, column 2")
    r = invoke_cli("invoke", "local-fn", "--local", "{}")           # naming the project's function is fine
    assert r.exit_code == 0, r.stderr


def test_local_without_project_file_exits_2(invoke_cli, project_dir):
    r = invoke_cli("invoke", "--local", "{}")
    assert_clean_error(r, 2, contains="lambdactl.toml")


def test_local_end_to_end_subprocess_loads_nothing_heavy(project_dir):
    """The real CLI in a fresh process: a trivial handler end to end (~0.4 s) without importing
    the AWS SDK, rich, questionary or moto — what would make it slow — checked with -X importtime,
    not with the clock (a loaded 2-core box makes any wall-time bound flaky)."""
    import subprocess
    import sys

    write_project(project_dir, handler_src="def handler(event, context):\n    return {'ok': True}\n")
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "lambdactl", "invoke", "--local", "{}"],
                       capture_output=True, text=True, cwd=project_dir, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"ok": True}
    imported = {line.split("|")[-1].strip().split(".")[0] for line in p.stderr.splitlines()
                if line.startswith("import time:")}
    assert "lambdactl" in imported                             # -X importtime did report the imports
    assert not imported & {"boto3", "botocore", "rich", "questionary", "moto"}, sorted(imported)


# --- batch --local ---------------------------------------------------------------------------

def test_local_batch(invoke_cli, project_dir, tmp_path):
    write_project(project_dir)
    f = tmp_path / "events.jsonl"
    f.write_text('{"n": 1}\n{"boom": "x"}\nnot json\n{"n": 4}\n{"n": 5}\n')
    r = invoke_cli("invoke", "--local", "--batch", str(f), "--concurrency", "2")
    assert r.exit_code == 4, r.stderr
    recs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(x["line"], x["status"]) for x in recs] == [(1, "ok"), (2, "error"), (3, "invalid"), (4, "ok"), (5, "ok")]
    assert recs[1]["error"] == "ValueError: boom: x"
    assert recs[0]["payload"]["ctx"]["function_name"] == "local-fn"
    pids = {x["payload"]["pid"] for x in recs if x["status"] == "ok"}
    assert 1 <= len(pids) <= 2                                # at most 2 execution environments
    assert "4 invocations · 1 error · 1 malformed line skipped" in r.stderr


# --- the library (used by the sandbox) -------------------------------------------------------

def test_worker_library_timeout_then_cold_restart(tmp_path):
    from lambdactl.core.run.local_runner import FunctionSpec, Worker

    (tmp_path / "fn.py").write_text("import os, time\n"
                                    "def go(event, context):\n"
                                    "    time.sleep(event.get('s', 0))\n"
                                    "    return os.getpid()\n")
    spec = FunctionSpec(code_dir=tmp_path, handler="fn.go", function_name="lib", timeout_s=1, memory_mb=128)
    with Worker(spec) as w:
        a = w.invoke(b"{}", request_id="req-1")
        assert a.cold and a.function_error is None and a.request_id == "req-1"
        assert a.init_duration_ms and a.report.cold_start and a.logs.startswith("START RequestId: req-1")
        b = w.invoke(b"{}")
        assert not b.cold and json.loads(b.payload) == json.loads(a.payload)
        c = w.invoke(b'{"s": 5}')
        assert c.timed_out and c.function_error == "Unhandled" and c.report.status == "timeout"
        assert b"Task timed out after 1.00 seconds" in c.payload
        assert not w.alive
        d = w.invoke(b"{}")
        assert d.cold and json.loads(d.payload) != json.loads(a.payload)       # a fresh process
        assert d.log_tail_b64()
    assert w.closed and not w.alive


def test_worker_pool_reuses_warm_workers(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from lambdactl.core.run.local_runner import FunctionSpec, WorkerPool

    (tmp_path / "fn.py").write_text("import os, time\ndef go(e, c):\n    time.sleep(0.05)\n    return os.getpid()\n")
    spec = FunctionSpec(code_dir=tmp_path, handler="fn.go", function_name="pool")
    with WorkerPool(spec, max_workers=2) as pool:
        with ThreadPoolExecutor(4) as ex:
            results = list(ex.map(lambda _: pool.invoke(b"{}"), range(8)))
        assert all(r.function_error is None for r in results)
        assert len({json.loads(r.payload) for r in results}) <= 2
        assert sum(r.cold for r in results) == len(pool.workers) <= 2


def test_worker_close_from_another_thread_and_log_lines(tmp_path):
    import threading

    from lambdactl.core.run.local_runner import FunctionSpec, Worker

    (tmp_path / "fn.py").write_text("import time\ndef go(e, c):\n    print('working')\n    time.sleep(e.get('s', 0))\n    return 1\n")
    spec = FunctionSpec(code_dir=tmp_path, handler="fn.go", function_name="lib", timeout_s=30)
    assert spec.fingerprint() == FunctionSpec(code_dir=tmp_path, handler="fn.go", function_name="lib",
                                              timeout_s=30).fingerprint()
    assert spec.fingerprint() != FunctionSpec(code_dir=tmp_path, handler="fn.go", function_name="lib",
                                              timeout_s=30, memory_mb=512).fingerprint()
    w = Worker(spec)
    ok = w.invoke(b"{}")
    lines = ok.log_lines
    assert lines[0][1].startswith("START RequestId:") and any(m == "working" for _, m in lines)
    assert lines[-1][1].startswith("REPORT RequestId:") and all(ts >= lines[0][0] > 0 for ts, _ in lines)
    assert w.log_stream.startswith(time.strftime("%Y/%m/%d", time.gmtime())) and "[$LATEST]" in w.log_stream
    threading.Timer(0.3, w.close).start()
    r = w.invoke(b'{"s": 20}')                 # close() ends it: a 20 s sleep left alone would succeed
    assert r.function_error == "Unhandled" and r.error["errorType"] == "Runtime.ExitError"
    assert w.closed and not w.alive


def test_local_batch_fail_fast_stops_after_a_failure(invoke_cli, project_dir, tmp_path):
    write_project(project_dir)
    f = tmp_path / "events.jsonl"
    f.write_text('{"n": 1}\n{"boom": 2}\n{"n": 3}\n{"n": 4}\n')
    r = invoke_cli("invoke", "--local", "--batch", str(f), "--concurrency", "1", "--fail-fast", "-o", "json")
    assert r.exit_code == 4, r.stderr
    doc = r.json()
    assert [(x["line"], x["status"]) for x in doc["results"]] == [(1, "ok"), (2, "error")]
    assert doc["summary"]["not_run"] == 2 and doc["summary"]["stopped"] is True


def test_local_and_remote_timeouts_print_the_same_error_and_hint(invoke_cli, project_dir, capsys):
    """The same timeout, run locally and reported by Lambda (Stubber on the Invoke call: moto cannot
    time a function out), gives exit 4, the same error line and the same hint: the project file's
    timeout key (the next deploy would revert 'lambdactl config'); no stack trace to point at."""
    from tests.test_invoke import _stubbed_invoke

    write_project(project_dir, timeout=1)
    local = invoke_cli("invoke", "--local", json.dumps({"sleep": 30, "pidfile": str(project_dir / "pid")}))
    body = {"errorType": "Sandbox.Timedout",
            "errorMessage": "RequestId: 5f7e0b4a-1111-2222-3333-444455556666 Error: Task timed out after 1.00 seconds"}
    code = _stubbed_invoke("local-fn", payload="{}", response={"StatusCode": 200, "FunctionError": "Unhandled",
                                                                "Payload": json.dumps(body).encode()},
                           expected={"FunctionName": "local-fn", "InvocationType": "RequestResponse", "Payload": b"{}"})
    _, remote_err = capsys.readouterr()
    assert local.exit_code == code == 4, (local.stderr, remote_err)

    def last_lines(err: str) -> list[str]:
        return [ln for ln in err.splitlines() if ln.startswith(("error:", "hint:"))]

    assert last_lines(local.stderr) == last_lines(remote_err), (local.stderr, remote_err)
    error, hint = last_lines(remote_err)
    assert error == "error: local-fn returned an error (Unhandled): Sandbox.Timedout: Task timed out after 1.00 seconds"
    assert "timeout = N in [function] of lambdactl.toml" in hint and "lambdactl config" not in hint
    assert "stack trace" not in hint


def test_local_hints_point_at_the_project_file(invoke_cli, project_dir):
    """Every tuning hint of a local run names lambdactl.toml's key, never 'lambdactl config'; the
    stack trace is pointed at only when one was printed."""
    write_project(project_dir, memory=128)
    r = invoke_cli("invoke", "--local", '{"alloc_mb": 150}')
    assert re.search(r"raise it: memory = \d+ in \[function\] of lambdactl.toml, then 'lambdactl deploy'", r.stderr)
    assert "lambdactl config" not in r.stderr
    r = invoke_cli("invoke", "--local", '{"boom": 1}')
    assert r.exit_code == 4
    assert "Traceback (most recent call last):" in r.stderr
    assert "hint: see the stack trace above" in r.stderr
    assert "--logs" not in r.stderr.splitlines()[-1]            # the log was printed already
    write_project(project_dir, handler_src="def handler(e, c):\n    import os\n    os._exit(3)\n")
    r = invoke_cli("invoke", "--local", "{}")
    assert r.exit_code == 4 and "Runtime.ExitError" in r.stderr
    assert "Traceback" not in r.stderr and "stack trace" not in r.stderr
