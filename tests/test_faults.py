"""Reliability under faults: a fault-injecting proxy (tests/faultproxy.py) on 127.0.0.1 in front
of the moto server returns throttles, conflicts, 500s and dropped connections.

- 30% faults: a full deploy → publish → alias → trigger sequence ends in the same state as without
  faults, and the bucket's other notification configurations survive.
- 100% faults: the command fails within its retry budget, exit 1, saying which step failed and
  what was already applied.
- SIGINT during deploy: exit 130, no traceback, a report of what was applied.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.conftest import FAKE_ENV, assert_clean_error, reset_moto
from tests.faultproxy import FaultProxy

QUEUE_NOTIFICATION_ID = "existing-sqs"


def _project(d, role_arn: str) -> None:
    (d / "src").mkdir(exist_ok=True)
    (d / "src" / "app.py").write_text("def handler(event, context):\n    return {'ok': True}\n")
    (d / "lambdactl.toml").write_text(textwrap.dedent(f'''\
        [function]
        name = "faulty"
        runtime = "python3.12"
        handler = "app.handler"
        memory = 256
        timeout = 10
        role = "{role_arn}"
        [function.environment]
        STAGE = "prod"
        '''))


def _arrange(boto) -> str:
    """A role, and a bucket that already notifies an SQS queue (must survive)."""
    role = boto("iam").create_role(RoleName="faulty-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    s3, sqs = boto("s3"), boto("sqs")
    s3.create_bucket(Bucket="faulty-bucket")
    q = sqs.create_queue(QueueName="faulty-q")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(Bucket="faulty-bucket", NotificationConfiguration={
        "QueueConfigurations": [{"Id": QUEUE_NOTIFICATION_ID, "QueueArn": qarn, "Events": ["s3:ObjectRemoved:*"]}]})
    return role


SEQUENCE = [
    ("deploy",),
    ("publish", "--description", "v1"),
    ("alias", "set", "faulty", "live", "--version", "1"),
    ("trigger", "add", "s3", "--bucket", "faulty-bucket", "--events", "s3:ObjectCreated:*", "--prefix", "in/"),
    ("trigger", "add", "schedule", "--expression", "rate(5 minutes)"),
]


def _run_sequence(invoke_cli) -> list:
    results = []
    for args in SEQUENCE:
        r = invoke_cli(*args)
        results.append(r)
        assert r.exit_code == 0, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr
    return results


def _state(boto) -> dict:
    lam, ev = boto("lambda"), boto("events")
    cfg = lam.get_function_configuration(FunctionName="faulty")
    fn_arn = cfg["FunctionArn"]
    notif = boto("s3").get_bucket_notification_configuration(Bucket="faulty-bucket")
    notif.pop("ResponseMetadata", None)
    policy = json.loads(lam.get_policy(FunctionName="faulty")["Policy"])
    rules = ev.list_rule_names_by_target(TargetArn=fn_arn)["RuleNames"]
    return {
        "config": {k: cfg.get(k) for k in ("CodeSha256", "MemorySize", "Timeout", "Handler", "Runtime", "Role",
                                           "Environment")},
        "versions": sorted(v["Version"] for v in lam.list_versions_by_function(FunctionName="faulty")["Versions"]),
        "aliases": [(a["Name"], a["FunctionVersion"]) for a in lam.list_aliases(FunctionName="faulty")["Aliases"]],
        "notifications": notif,
        "statements": sorted(s["Sid"] for s in policy["Statement"]),
        "rules": sorted(rules),
        "schedules": sorted(ev.describe_rule(Name=r)["ScheduleExpression"] for r in rules),
    }


def test_sequence_under_30_percent_faults_reaches_the_same_state(invoke_cli, boto, project_dir, moto_endpoint,
                                                                   monkeypatch):
    monkeypatch.setenv("LAMBDACTL_RETRY_BUDGET", "60")
    role = _arrange(boto)
    _project(project_dir, role)
    _run_sequence(invoke_cli)
    clean = _state(boto)
    assert QUEUE_NOTIFICATION_ID in json.dumps(clean["notifications"])

    reset_moto(moto_endpoint)
    assert _arrange(boto) == role
    proxy = FaultProxy(moto_endpoint, fraction=0.3, seed=1234).start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        _run_sequence(invoke_cli)
    finally:
        proxy.stop()
    faulted = _state(boto)
    assert faulted == clean
    injected = sum(v for k, v in proxy.counts.items() if k != "forwarded")
    assert injected >= 10, proxy.counts          # the faults really happened
    assert all(proxy.counts[k] > 0 for k in ("throttle", "error500", "drop")), proxy.counts
    # the other notification survived untouched
    queue_cfgs = faulted["notifications"]["QueueConfigurations"]
    assert [q["Id"] for q in queue_cfgs] == [QUEUE_NOTIFICATION_ID]


def test_all_requests_failing_exits_1_within_budget(invoke_cli, boto, project_dir, moto_endpoint, monkeypatch):
    role = _arrange(boto)
    _project(project_dir, role)
    monkeypatch.setenv("LAMBDACTL_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("LAMBDACTL_RETRY_BUDGET", "3")
    proxy = FaultProxy(moto_endpoint, fraction=1.0, kinds=("throttle", "error500")).start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        r = invoke_cli("deploy")
    finally:
        proxy.stop()
    assert r.exit_code == 1, (r.stdout, r.stderr)
    assert r.stdout == "" and "Traceback" not in r.stderr
    assert sum(line.startswith("error:") for line in r.stderr.splitlines()) == 1
    # Within the budget, counted rather than timed: the first call failed after its 3 attempts and
    # nothing was tried after it.
    assert len({(m, p) for m, p, *_ in proxy.requests}) == 1, proxy.requests
    assert len(proxy.requests) == 3, proxy.requests
    names = [f["FunctionName"] for f in boto("lambda").list_functions()["Functions"]]
    assert "faulty" not in names


def test_failure_mid_deploy_reports_applied_and_not_applied(invoke_cli, boto, project_dir, moto_endpoint,
                                                            monkeypatch, create_function):
    """Code update goes through, every configuration update fails: the error names the failed
    step, the applied step and what was not applied."""
    role = _arrange(boto)
    _project(project_dir, role)
    assert invoke_cli("deploy").exit_code == 0
    (project_dir / "src" / "app.py").write_text("def handler(event, context):\n    return {'v': 2}\n")
    toml = (project_dir / "lambdactl.toml").read_text().replace("memory = 256", "memory = 512")
    (project_dir / "lambdactl.toml").write_text(toml)
    monkeypatch.setenv("LAMBDACTL_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("LAMBDACTL_RETRY_BUDGET", "2")
    proxy = FaultProxy(moto_endpoint, fraction=1.0, kinds=("error500",),
                       only=lambda method, path: method == "PUT" and path.endswith("/configuration")).start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        r = invoke_cli("deploy")
    finally:
        proxy.stop()
    assert r.exit_code == 1, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    assert "applied:" in r.stderr and "not applied:" in r.stderr
    assert "step failed" in r.stderr
    cfg = boto("lambda").get_function_configuration(FunctionName="faulty")
    assert cfg["MemorySize"] == 256             # configuration not applied
    from lambdactl.core.build.packaging import build_package

    assert cfg["CodeSha256"] == build_package(project_dir / "src").sha256   # code applied


def test_sigint_during_deploy_exits_130_and_reports(boto, project_dir, moto_endpoint):
    _arrange(boto)
    _project(project_dir, "")   # auto role: role step first, then the function
    proxy = FaultProxy(moto_endpoint, fraction=0.0, delay=0.5).start()
    env = {**os.environ, **FAKE_ENV, "AWS_ENDPOINT_URL": proxy.endpoint}
    try:
        p = subprocess.Popen([sys.executable, "-m", "lambdactl", "deploy"], cwd=project_dir, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        seen = ""
        while "[2/" not in seen and time.monotonic() < deadline:   # wait until step 2 starts
            seen += p.stderr.readline()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        err = seen + err
    finally:
        proxy.stop()
    assert p.returncode == 130, (out, err)
    assert "applied:" in err and "not applied:" in err
    assert "Traceback" not in err
    assert "interrupted" in err
    assert sum(line.startswith("error:") for line in err.splitlines()) == 1


@pytest.mark.slow
def test_always_throttled_call_fails_once_within_the_documented_budget(invoke_cli, create_function, moto_endpoint,
                                                                       monkeypatch):
    """Every request answers 429 TooManyRequests. Botocore's standard mode retries it (and nothing
    retries botocore's retries): the command makes one AWS call of at most 10 requests, finishes
    within the documented 60 s budget, and exits 1 with one 'throttled' error line and a hint."""
    create_function("throttled")
    monkeypatch.delenv("LAMBDACTL_RETRY_BUDGET", raising=False)     # the documented defaults
    monkeypatch.delenv("LAMBDACTL_MAX_ATTEMPTS", raising=False)
    proxy = FaultProxy(moto_endpoint, fraction=1.0, kinds=("throttle",)).start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        t0 = time.monotonic()
        r = invoke_cli("info", "throttled")
        elapsed = time.monotonic() - t0
    finally:
        proxy.stop()
    paths = {(m, p) for m, p, *_ in proxy.requests}
    print(f"{len(proxy.requests)} requests in {elapsed:.1f} s: {sorted(paths)}")
    assert_clean_error(r, 1, contains="throttled")
    assert any(line.startswith("hint:") for line in r.stderr.splitlines()), r.stderr
    assert len(paths) == 1, paths                        # one AWS call: the first one failed, nothing after it
    assert 2 <= len(proxy.requests) <= 10, proxy.requests  # botocore retried it, and only botocore
    assert elapsed < 120                                 # generous: the budget is 60 s of backoff


def test_botocore_retry_config_fits_the_budget_and_our_loop_leaves_throttling_alone(monkeypatch):
    """The session's clients use standard mode with total attempts whose worst-case backoff fits the
    retry budget; aws.retry() re-runs ResourceConflict (update in progress) but never a throttle."""
    from botocore.exceptions import ClientError

    from lambdactl import aws
    from lambdactl.errors import UsageError

    monkeypatch.delenv("LAMBDACTL_RETRY_BUDGET", raising=False)
    aws.reset_sessions()
    retries = aws.session().client("lambda").meta.config.retries
    assert retries["mode"] == "standard"
    attempts = retries["total_max_attempts"]
    assert 3 <= attempts <= 10 and aws.worst_case_backoff(attempts) <= 60
    monkeypatch.setenv("LAMBDACTL_RETRY_BUDGET", "20")
    assert aws.worst_case_backoff(aws.max_attempts()) <= 20
    monkeypatch.setenv("LAMBDACTL_MAX_ATTEMPTS", "4")
    assert aws.max_attempts() == 4
    for bad in ("0", "x", "99"):
        monkeypatch.setenv("LAMBDACTL_MAX_ATTEMPTS", bad)
        with pytest.raises(UsageError):
            aws.max_attempts()

    def failing(code: str, message: str = "x"):
        calls = []

        def fn():
            calls.append(1)
            if len(calls) < 3:
                raise ClientError({"Error": {"Code": code, "Message": message}}, "UpdateFunctionConfiguration")
            return "ok"
        return fn, calls

    fn, calls = failing("ResourceConflictException", "An update is in progress for resource")
    assert aws.retry(fn, base=0.01) == "ok" and len(calls) == 3
    for code, message in (("TooManyRequestsException", "Rate exceeded"), ("ServiceException", "x"),
                          ("ResourceConflictException", "Alias already exists: live")):
        fn, calls = failing(code, message)
        with pytest.raises(ClientError):
            aws.retry(fn, base=0.01)
        assert len(calls) == 1, code                     # botocore's to retry (or nothing to wait for)


def test_bad_retry_settings_are_usage_errors(invoke_cli, monkeypatch):
    monkeypatch.setenv("LAMBDACTL_MAX_ATTEMPTS", "many")
    assert_clean_error(invoke_cli("ls"), 2, contains="LAMBDACTL_MAX_ATTEMPTS")
    monkeypatch.delenv("LAMBDACTL_MAX_ATTEMPTS")
    monkeypatch.setenv("LAMBDACTL_RETRY_BUDGET", "soon")
    assert_clean_error(invoke_cli("ls"), 2, contains="LAMBDACTL_RETRY_BUDGET")
