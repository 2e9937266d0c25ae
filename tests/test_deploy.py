"""deploy / diff / create / update / config against the moto server.

AWS calls are counted with ``lambdactl.aws.CALLS`` (every call our sessions make in-process is
recorded there by a botocore event hook): a test that expects "no upload" fails if an
UpdateFunctionCode (or any mutating call) happens. State is always read back from the server.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambdactl.aws import CALLS
from tests.conftest import assert_clean_error

FN = "orders-api"


def write_project(d: Path, *, name: str = FN, memory: int = 256, env: dict | None = None,
                  tags: dict | None = None, extra: str = "", code: str | None = None,
                  role: str = "") -> Path:
    env = {"STAGE": "dev", "API_KEY": "s3cr3t-value"} if env is None else env
    tags = {"team": "orders"} if tags is None else tags
    lines = [
        "[function]",
        f'name = "{name}"',
        'runtime = "python3.12"',
        'handler = "app.handler"',
        'source = "src"',
        f"memory = {memory}",
        "timeout = 10",
        f'role = "{role}"',
        extra,
        "[function.environment]",
        *[f'{k} = "{v}"' for k, v in env.items()],
        "[function.tags]",
        *[f'{k} = "{v}"' for k, v in tags.items()],
    ]
    (d / "lambdactl.toml").write_text("\n".join(lines) + "\n")
    (d / "src").mkdir(exist_ok=True)
    (d / "src" / "app.py").write_text(code or "def handler(event, context):\n    return {'ok': True}\n")
    return d


def local_sha(d: Path) -> str:
    from lambdactl.core.build.packaging import build_package

    return build_package(d / "src").sha256


def config_of(boto, name: str = FN) -> dict:
    cfg = boto("lambda").get_function_configuration(FunctionName=name)
    cfg.pop("ResponseMetadata", None)
    return cfg


def mutating() -> list[str]:
    return [f"{c.service}.{c.operation}" for c in CALLS.calls if c.mutating]


@pytest.fixture
def project(project_dir):
    return write_project(project_dir)


@pytest.fixture
def deployed(project, invoke_cli):
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    CALLS.clear()
    return project


# --- deploy ----------------------------------------------------------------------------------

def test_deploy_creates_function_and_auto_role_from_nothing(project, invoke_cli, boto):
    r = invoke_cli("deploy", "-o", "json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert out["status"] == "created" and out["function"] == FN
    assert [s["area"] for s in out["steps"]] == ["role", "code"]
    cfg = config_of(boto)
    assert cfg["Runtime"] == "python3.12" and cfg["Handler"] == "app.handler"
    assert cfg["MemorySize"] == 256 and cfg["Timeout"] == 10
    assert cfg["Environment"]["Variables"] == {"STAGE": "dev", "API_KEY": "s3cr3t-value"}
    assert cfg["CodeSha256"] == local_sha(project) == out["code_sha256"]
    assert cfg["Role"].endswith(f":role/lambdactl-{FN}-role")
    assert boto("lambda").get_function(FunctionName=FN)["Tags"] == {"team": "orders"}
    # the auto role: Lambda trust policy + the basic logging policy, scoped to the function's log group
    iam = boto("iam")
    role = iam.get_role(RoleName=f"lambdactl-{FN}-role")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    pol = iam.get_role_policy(RoleName=f"lambdactl-{FN}-role", PolicyName="lambdactl-logs")["PolicyDocument"]
    pol = json.loads(pol) if isinstance(pol, str) else pol
    actions = {a for st in pol["Statement"] for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    assert actions == {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
    assert f"/aws/lambda/{FN}" in json.dumps(pol)
    # secrets never printed
    assert "s3cr3t-value" not in r.stdout + r.stderr


def test_second_deploy_is_a_noop_without_any_mutating_call(deployed, invoke_cli, boto):
    before = config_of(boto)
    CALLS.clear()
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    assert "unchanged" in r.stdout and "unchanged" in r.stderr
    assert CALLS.count("UpdateFunctionCode") == 0
    assert CALLS.count("UpdateFunctionConfiguration") == 0
    assert mutating() == [], mutating()
    assert config_of(boto) == before


def test_noop_plan_of_the_function_reads_once(deployed, boto):
    """The function's own planners (role, code, configuration, tags, publish) cost one GetFunction
    on a no-op; with --publish one more call (ListVersionsByFunction)."""
    from lambdactl import config
    from lambdactl.aws import AwsSession
    from lambdactl.core.resources.deploy import FUNCTION_AREAS, plan_deploy

    proj = config.load(deployed / "lambdactl.toml")
    CALLS.clear()
    plan = plan_deploy(AwsSession(), proj, areas=FUNCTION_AREAS)
    assert plan.steps == [] and CALLS.names() == ["lambda.GetFunction"]
    CALLS.clear()
    plan = plan_deploy(AwsSession(), proj, areas=FUNCTION_AREAS, publish=True)
    assert [s.area for s in plan.steps] == ["publish"]       # nothing published yet
    assert len(CALLS.calls) <= 3 and mutating() == []


def test_existing_auto_role_is_reused(project, invoke_cli, boto):
    from lambdactl.core.resources.roles import TRUST_POLICY

    arn = boto("iam").create_role(RoleName=f"lambdactl-{FN}-role",
                                  AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))["Role"]["Arn"]
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    assert CALLS.count("CreateRole") == 0
    assert config_of(boto)["Role"] == arn


def test_code_change_uploads_once_and_leaves_configuration_alone(deployed, invoke_cli, boto):
    (deployed / "src" / "app.py").write_text("def handler(event, context):\n    return {'ok': 2}\n")
    r = invoke_cli("deploy", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert CALLS.count("UpdateFunctionCode") == 1
    assert CALLS.count("UpdateFunctionConfiguration") == 0
    assert config_of(boto)["CodeSha256"] == local_sha(deployed) == r.json()["code_sha256"]
    code_step = r.json()["steps"][0]
    assert code_step["area"] == "code" and code_step["sha256_before"] != code_step["sha256_after"]


def test_config_change_leaves_code_alone(deployed, invoke_cli, boto):
    sha = config_of(boto)["CodeSha256"]
    write_project(deployed, memory=512, env={"STAGE": "prod", "API_KEY": "s3cr3t-value"})
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    assert CALLS.count("UpdateFunctionCode") == 0
    assert CALLS.count("UpdateFunctionConfiguration") == 1
    cfg = config_of(boto)
    assert cfg["CodeSha256"] == sha
    assert cfg["MemorySize"] == 512
    assert cfg["Environment"]["Variables"] == {"STAGE": "prod", "API_KEY": "s3cr3t-value"}


def test_tags_are_reconciled(deployed, invoke_cli, boto):
    write_project(deployed, tags={"owner": "me"})
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    assert CALLS.count("UpdateFunctionConfiguration") == 0 and CALLS.count("UpdateFunctionCode") == 0
    assert boto("lambda").get_function(FunctionName=FN)["Tags"] == {"owner": "me"}


def test_dry_run_changes_nothing_and_masks_secrets(deployed, invoke_cli, boto):
    lam = boto("lambda")
    before_cfg, before_fn = config_of(boto), lam.get_function(FunctionName=FN)
    before_fn.pop("ResponseMetadata")
    (deployed / "src" / "app.py").write_text("def handler(event, context):\n    return 'changed'\n")
    write_project(deployed, memory=1024, env={"STAGE": "prod", "API_KEY": "new-s3cr3t"},
                  tags={"x": "y"}, code="def handler(event, context):\n    return 'changed'\n")
    r = invoke_cli("deploy", "--dry-run", "--publish")
    assert r.exit_code == 0, r.stderr
    assert "memory" in r.stdout and "256 → 1024" in r.stdout
    assert "environment.API_KEY" in r.stdout and "****" in r.stdout
    assert "s3cr3t" not in r.stdout + r.stderr
    assert mutating() == []
    after_fn = lam.get_function(FunctionName=FN)
    after_fn.pop("ResponseMetadata")
    assert config_of(boto) == before_cfg
    assert after_fn == before_fn
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName=FN)["Versions"]] == ["$LATEST"]
    # the same plan as data
    r = invoke_cli("deploy", "--dry-run", "-o", "json")
    plan = r.json()
    assert plan["dry_run"] is True and plan["changes_pending"] is True
    fields = {c["field"]: c for s in plan["steps"] for c in s["changes"]}
    assert fields["memory"] == {"field": "memory", "before": 256, "after": 1024}
    assert fields["environment.API_KEY"]["after"] == "****"
    assert "new-s3cr3t" not in r.stdout
    r = invoke_cli("--show-secrets", "deploy", "--dry-run", "-o", "json")
    assert "new-s3cr3t" in r.stdout
    assert config_of(boto) == before_cfg


def test_exit_code_gives_5_then_0(project, invoke_cli, boto):
    r = invoke_cli("deploy", "--dry-run", "--exit-code")
    assert r.exit_code == 5, r.stderr
    assert "create function" in r.stdout
    assert mutating() == []
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    r = invoke_cli("deploy", "--dry-run", "--exit-code")
    assert r.exit_code == 0, r.stderr
    assert "unchanged" in r.stdout
    r = invoke_cli("diff", "--exit-code")
    assert r.exit_code == 0, r.stderr


def test_diff_shows_sha_and_size_delta(deployed, invoke_cli, boto):
    old_sha = config_of(boto)["CodeSha256"]
    (deployed / "src" / "app.py").write_text("def handler(event, context):\n    return {'ok': 'a longer body'}\n")
    write_project(deployed, memory=512, code="def handler(event, context):\n    return {'ok': 'a longer body'}\n")
    r = invoke_cli("diff")
    assert r.exit_code == 0, r.stderr
    assert old_sha in r.stdout and local_sha(deployed) in r.stdout
    assert "-memory" in r.stdout and "+memory" in r.stdout
    assert "size:" in r.stdout and "(+" in r.stdout
    r = invoke_cli("diff", "--exit-code", "-o", "json")
    assert r.exit_code == 5
    assert r.json()["changes_pending"] is True
    assert mutating() == []


def test_publish_creates_one_version_and_reuses_it(project, invoke_cli, boto):
    lam = boto("lambda")
    r = invoke_cli("deploy", "--publish", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["published_version"] == "1"
    CALLS.clear()
    r = invoke_cli("deploy", "--publish", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "unchanged" and r.json()["published_version"] == "1"
    assert mutating() == []
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=FN)["Versions"]]
    assert versions == ["$LATEST", "1"]
    (project / "src" / "app.py").write_text("def handler(event, context):\n    return 3\n")
    r = invoke_cli("deploy", "--publish", "-o", "json")
    assert r.json()["published_version"] == "2"
    v2 = lam.get_function_configuration(FunctionName=FN, Qualifier="2")
    assert v2["CodeSha256"] == local_sha(project)


def test_publish_alias_and_canary(project, invoke_cli, boto):
    lam = boto("lambda")
    r = invoke_cli("deploy", "--publish", "--alias", "live")
    assert r.exit_code == 0, r.stderr
    assert lam.get_alias(FunctionName=FN, Name="live")["FunctionVersion"] == "1"
    (project / "src" / "app.py").write_text("def handler(event, context):\n    return 'v2'\n")
    r = invoke_cli("deploy", "--publish", "--alias", "live", "--canary", "10")
    assert r.exit_code == 0, r.stderr
    alias = lam.get_alias(FunctionName=FN, Name="live")
    assert alias["FunctionVersion"] == "1"
    assert alias["RoutingConfig"]["AdditionalVersionWeights"] == {"2": pytest.approx(0.1)}
    CALLS.clear()
    r = invoke_cli("deploy", "--publish", "--alias", "live", "--canary", "10")
    assert r.exit_code == 0, r.stderr
    assert mutating() == [], mutating()


def test_code_only_and_config_only(deployed, invoke_cli, boto):
    sha = config_of(boto)["CodeSha256"]
    write_project(deployed, memory=1024, code="def handler(event, context):\n    return 'new'\n")
    r = invoke_cli("deploy", "--config-only")
    assert r.exit_code == 0, r.stderr
    cfg = config_of(boto)
    assert cfg["MemorySize"] == 1024 and cfg["CodeSha256"] == sha
    assert CALLS.count("UpdateFunctionCode") == 0
    write_project(deployed, memory=2048, code="def handler(event, context):\n    return 'new'\n")
    CALLS.clear()
    r = invoke_cli("deploy", "--code-only")
    assert r.exit_code == 0, r.stderr
    cfg = config_of(boto)
    assert cfg["MemorySize"] == 1024 and cfg["CodeSha256"] == local_sha(deployed)
    assert CALLS.count("UpdateFunctionConfiguration") == 0


def test_big_zip_goes_through_s3(project, invoke_cli, boto, monkeypatch):
    monkeypatch.setenv("LAMBDACTL_DIRECT_UPLOAD_LIMIT", "64")   # pretend 50 MB is 64 bytes
    r = invoke_cli("deploy", "-o", "json")
    assert r.exit_code == 0, r.stderr
    bucket = "lambdactl-artifacts-123456789012-us-east-1"
    keys = [o["Key"] for o in boto("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert len(keys) == 1 and keys[0].startswith(f"lambdactl/{FN}/")
    assert config_of(boto)["CodeSha256"] == local_sha(project)
    assert CALLS.count("PutObject") == 1


def test_failed_step_reports_applied_and_not_applied(project_dir, invoke_cli, boto, monkeypatch):
    monkeypatch.setenv("LAMBDACTL_ROLE_WAIT", "1")
    write_project(project_dir, role="arn:aws:iam::123456789012:role/does-not-exist")
    r = invoke_cli("deploy", "--publish")
    # a role IAM does not know is reported at once (exit 3), not after waiting for propagation
    assert r.exit_code == 3
    assert "not applied: create function" in r.stderr
    assert "not applied: publish" in r.stderr
    assert "role not found" in r.stderr and "does-not-exist" in r.stderr and "Traceback" not in r.stderr
    assert boto("lambda").list_functions()["Functions"] == []


def test_missing_role_fails_fast_without_waiting(project_dir, invoke_cli, boto, monkeypatch):
    """Regression: a --role that does not exist used to wait the whole IAM-propagation budget,
    retrying CreateFunction. Now one refused CreateFunction, one GetRole (404), and the answer —
    counted calls, not the clock."""
    monkeypatch.setenv("LAMBDACTL_ROLE_WAIT", "30")
    (project_dir / "src").mkdir()
    (project_dir / "src" / "app.py").write_text("def handler(e, c):\n    return e\n")
    CALLS.clear()
    r = invoke_cli("create", "ghostrole", "--source", "src", "--runtime", "python3.12", "--handler", "app.handler",
                   "--role", "arn:aws:iam::123456789012:role/nobody")
    assert r.exit_code == 3, r.stderr
    assert "role not found" in r.stderr and r.stdout == ""
    assert CALLS.count("CreateFunction") == 1 and CALLS.count("GetRole") == 1, CALLS.calls
    assert boto("lambda").list_functions()["Functions"] == []


def test_role_retry_waits_for_iam_propagation():
    """No AWS: the retry helper with a hand-made ClientError (IAM propagation delay cannot be
    reproduced on moto)."""
    from botocore.exceptions import ClientError

    from lambdactl.core.resources.deploy.function import call_with_role_retry

    calls = []

    def fn():
        calls.append(1)
        if len(calls) < 3:
            raise ClientError({"Error": {"Code": "InvalidParameterValueException",
                                         "Message": "The role defined for the function cannot be assumed by Lambda."}},
                              "CreateFunction")
        return "ok"

    assert call_with_role_retry(fn, "arn:aws:iam::123456789012:role/r", budget=10) == "ok"
    assert len(calls) == 3


# --- config / create / update ------------------------------------------------------------------

def test_config_env_merges_and_is_idempotent(invoke_cli, create_function, boto):
    create_function("fn", Environment={"Variables": {"A": "1", "B": "2", "DB_PASSWORD": "hunter2"}})
    r = invoke_cli("config", "fn", "--env", "C=3", "--env", "A=9", "--unset-env", "B", "--memory", "512")
    assert r.exit_code == 0, r.stderr
    cfg = config_of(boto, "fn")
    assert cfg["Environment"]["Variables"] == {"A": "9", "C": "3", "DB_PASSWORD": "hunter2"}
    assert cfg["MemorySize"] == 512
    assert "hunter2" not in r.stdout + r.stderr
    CALLS.clear()
    r = invoke_cli("config", "fn", "--env", "C=3", "--memory", "512")
    assert r.exit_code == 0, r.stderr
    assert "unchanged" in r.stdout
    assert mutating() == []
    assert config_of(boto, "fn")["Environment"]["Variables"] == {"A": "9", "C": "3", "DB_PASSWORD": "hunter2"}


def test_config_vpc_and_no_vpc(invoke_cli, create_function, boto):
    create_function("fn")
    r = invoke_cli("config", "fn", "--vpc-subnets", "subnet-0a1b2c3d,subnet-1a1b2c3d",
                   "--vpc-security-groups", "sg-0a1b2c3d")
    assert r.exit_code == 0, r.stderr
    assert "NAT" in r.stderr
    vpc = config_of(boto, "fn")["VpcConfig"]
    assert sorted(vpc["SubnetIds"]) == ["subnet-0a1b2c3d", "subnet-1a1b2c3d"]
    assert vpc["SecurityGroupIds"] == ["sg-0a1b2c3d"]
    r = invoke_cli("config", "fn", "--no-vpc")
    assert r.exit_code == 0, r.stderr
    assert not config_of(boto, "fn").get("VpcConfig", {}).get("SubnetIds")
    CALLS.clear()
    r = invoke_cli("config", "fn", "--no-vpc")
    assert r.exit_code == 0 and mutating() == []


def test_create_and_update_imperative(project_dir, invoke_cli, boto, make_zip):
    src = project_dir / "code"
    src.mkdir()
    (src / "app.py").write_text("def handler(event, context):\n    return 1\n")
    args = ["create", "imp", "--source", str(src), "--runtime", "python3.12", "--handler", "app.handler",
            "--memory", "256", "--env", "A=1", "--arch", "arm64", "--description", "hello"]
    r = invoke_cli(*args)
    assert r.exit_code == 0, r.stderr
    cfg = config_of(boto, "imp")
    assert cfg["MemorySize"] == 256 and cfg["Architectures"] == ["arm64"] and cfg["Description"] == "hello"
    assert cfg["Environment"]["Variables"] == {"A": "1"}
    assert cfg["Role"].endswith(":role/lambdactl-imp-role")
    CALLS.clear()
    r = invoke_cli(*args)                           # same arguments again: safe
    assert r.exit_code == 0 and "unchanged" in r.stdout and mutating() == []
    r = invoke_cli(*args[:-2], "--description", "other")
    assert r.exit_code == 1 and "already exists" in r.stderr and "lambdactl config imp" in r.stderr
    CALLS.clear()
    r = invoke_cli("update", "imp", "--source", str(src))
    assert r.exit_code == 0 and "unchanged" in r.stdout
    assert CALLS.count("UpdateFunctionCode") == 0
    (src / "app.py").write_text("def handler(event, context):\n    return 2\n")
    r = invoke_cli("update", "imp", "--source", str(src), "--publish", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert CALLS.count("UpdateFunctionCode") == 1 and r.json()["published_version"] == "1"
    zpath = project_dir / "fn.zip"
    data = make_zip({"app.py": "def handler(e, c):\n    return 3\n"})
    zpath.write_bytes(data)
    r = invoke_cli("update", "imp", "--zip", str(zpath))
    assert r.exit_code == 0, r.stderr
    from lambdactl.core.build.packaging import code_sha256
    assert config_of(boto, "imp")["CodeSha256"] == code_sha256(data)
    r = invoke_cli("update", "missing-fn", "--zip", str(zpath))
    assert_clean_error(r, 3, contains="missing-fn")


def test_create_with_given_role(project_dir, invoke_cli, boto, iam_role, make_zip):
    z = project_dir / "a.zip"
    z.write_bytes(make_zip({"app.py": "def handler(e, c):\n    return 1\n"}))
    r = invoke_cli("create", "given", "--zip", str(z), "--runtime", "python3.13", "--handler", "app.handler",
                   "--role", iam_role)
    assert r.exit_code == 0, r.stderr
    assert config_of(boto, "given")["Role"] == iam_role
    assert CALLS.count("CreateRole") == 0


BAD_INPUT = [
    (["config", "fn", "--memory", "64"], "128..10240"),
    (["config", "fn", "--memory", "20000"], "128..10240"),
    (["config", "fn", "--timeout", "0"], "1..900"),
    (["config", "fn", "--timeout", "901"], "1..900"),
    (["config", "fn", "--ephemeral-storage", "256"], "512..10240"),
    (["config", "fn", "--env", "NOEQUALS"], "KEY=VALUE"),
    (["config", "fn", "--env", "1BAD=x"], "not valid"),
    (["config", "fn", "--env", "AWS_REGION=eu-west-1"], "reserved"),
    (["config", "fn", "--layers", ",".join(f"arn:aws:lambda:us-east-1:123456789012:layer:l{i}:1" for i in range(6))], "at most 5"),
    (["config", "fn", "--layers", "not-an-arn"], "layer version ARN"),
    (["config", "fn", "--tracing", "On"], "Active, PassThrough"),
    (["config", "fn", "--kms-key", "nope"], "KMS"),
    (["config", "fn", "--vpc-subnets", "subnet-0a1b2c3d"], "both"),
    (["config", "fn", "--no-vpc", "--vpc-subnets", "subnet-0a1b2c3d"], "--no-vpc"),
    (["config", "fn", "--vpc-subnets", "bad", "--vpc-security-groups", "sg-0a1b2c3d"], "subnet"),
    (["config", "fn", "--runtime", "python2.7"], "supported"),
    (["config", "fn", "--role", "not-an-arn"], "role"),
    (["config", "fn"], "nothing to change"),
    (["create", "fn", "--source", "missing-dir", "--runtime", "python3.12", "--handler", "app.handler"], "not found"),
    (["create", "fn", "--source", "src", "--runtime", "cobol1", "--handler", "app.handler"], "supported"),
    (["create", "fn", "--source", "src", "--handler", "app.handler"], "--runtime"),
    (["create", "fn", "--source", "src", "--runtime", "python3.12", "--handler", "nodot"], "module.function"),
    (["create", "fn", "--source", "src", "--zip", "x.zip", "--runtime", "python3.12", "--handler", "a.b"], "exclusive"),
    (["create", "fn", "--source", "src", "--runtime", "python3.12", "--handler", "a.b", "--role", "arn:bad"], "role"),
    (["create", "fn", "--source", "src", "--runtime", "python3.12", "--handler", "a.b", "--arch", "mips"], "x86_64"),
    (["create", "fn", "--source", "src", "--runtime", "python3.12", "--handler", "a.b", "--memory", "1"], "128"),
    (["create", "fn", "--source", "src", "--runtime", "python3.12", "--handler", "a.b", "--env", "AWS_LAMBDA_FUNCTION_NAME=x"], "reserved"),
    (["create", "bad name!", "--source", "src", "--runtime", "python3.12", "--handler", "a.b"], "name"),
    (["update", "fn"], "--source"),
    (["update", "fn", "--zip", "missing.zip"], "not found"),
    (["update", "fn", "--zip", "lambdactl.toml"], "not a zip"),
    (["deploy", "--code-only", "--config-only"], "mutually exclusive"),
    (["deploy", "--canary", "10"], "--alias"),
    (["deploy", "--alias", "live", "--canary", "150"], "must be from more than 0 to 100"),
    (["deploy", "--alias", "123"], "alias"),
    (["diff", "--code-only", "--config-only"], "mutually exclusive"),
]


@pytest.mark.parametrize("command", ["config", "create", "update", "deploy", "diff"])
def test_bad_input_exits_2_before_any_aws_call(project, invoke_cli, command):
    cases = [(a, n) for a, n in BAD_INPUT if a[0] == command]
    assert cases
    for args, needle in cases:
        r = invoke_cli(*args)
        try:
            assert_clean_error(r, 2, contains=needle)
        except AssertionError as exc:
            raise AssertionError(f"{args}: {exc}") from None
        assert CALLS.calls == [], (args, CALLS.names())


@pytest.mark.parametrize("toml_extra,needle", [
    ("memory = 1", "128..10240"),
    ('runtime = "python2.7"', "runtime"),
    ('role = "bad"', "role"),
    ('layers = ["a", "b", "c", "d", "e", "f"]', "at most 5"),
    ("bogus = 1", "unknown key"),
])
def test_bad_project_file_exits_2_before_any_aws_call(project_dir, invoke_cli, toml_extra, needle):
    write_project(project_dir)
    text = (project_dir / "lambdactl.toml").read_text()
    key = toml_extra.split("=")[0].strip()
    lines = [ln for ln in text.splitlines() if not ln.startswith(key + " ")]
    lines.insert(1, toml_extra)
    (project_dir / "lambdactl.toml").write_text("\n".join(lines) + "\n")
    for cmd in (["deploy"], ["diff"], ["deploy", "--dry-run"]):
        r = invoke_cli(*cmd)
        assert_clean_error(r, 2, contains=needle)
    assert CALLS.calls == []


def test_reserved_environment_key_in_project_exits_2(project_dir, invoke_cli):
    write_project(project_dir, env={"STAGE": "dev", "AWS_REGION": "eu-west-1"})
    for cmd in (["deploy"], ["diff"]):
        assert_clean_error(invoke_cli(*cmd), 2, contains="function.environment.AWS_REGION: is reserved")
    assert CALLS.calls == []


def test_missing_source_dir_in_project_exits_2(project, invoke_cli):
    import shutil

    shutil.rmtree(project / "src")
    r = invoke_cli("deploy")
    assert_clean_error(r, 2, contains="source")
    assert CALLS.calls == []


def test_deprecated_runtime_warns(project_dir, invoke_cli, boto):
    write_project(project_dir)
    text = (project_dir / "lambdactl.toml").read_text().replace("python3.12", "python3.9")
    (project_dir / "lambdactl.toml").write_text(text)
    r = invoke_cli("deploy", "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert "warning:" in r.stderr and "deprecated" in r.stderr


def test_deploy_subprocess_plain_progress(project, run_lambdactl, boto):
    """The real binary in a pipe: a plain step log on stderr, data only on stdout."""
    p = run_lambdactl("deploy", "-o", "json", cwd=project)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["status"] == "created"
    assert "[2/2] create function" in p.stderr and "done" in p.stderr
    p = run_lambdactl("deploy", cwd=project)
    assert p.returncode == 0 and "unchanged" in p.stdout


def test_function_settings_tracing_kms_vpc_layers_dlq(project_dir, boto):
    """Issue 14's function settings through the same planner. moto 5.2 stores VPC and layers but
    drops TracingConfig/EphemeralStorage/KMSKeyArn/DeadLetterConfig on update, so those are checked
    on the request lambdactl sends (a botocore ``provide-client-params`` hook records it; nothing is
    mocked) and in the plan."""
    from lambdactl import config
    from lambdactl.aws import AwsSession
    from lambdactl.core.resources.deploy import plan_deploy, run_deploy

    lam = boto("lambda")
    layer = lam.publish_layer_version(LayerName="shared", Content={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
                                      CompatibleRuntimes=["python3.12"])["LayerVersionArn"]
    write_project(project_dir, extra="\n".join([
        'tracing = "Active"', 'ephemeral_storage = 1024',
        'kms_key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"',
        'dead_letter = "arn:aws:sqs:us-east-1:123456789012:dlq"', f'layers = ["{layer}"]']))
    proj = config.load(project_dir / "lambdactl.toml")
    aws = AwsSession()
    run_deploy(plan_deploy(aws, proj))                       # create with the defaults of the file
    text = (project_dir / "lambdactl.toml").read_text()
    (project_dir / "lambdactl.toml").write_text(
        text.replace('tracing = "Active"', 'tracing = "PassThrough"').replace("[function.environment]",
        '[function.vpc]\nsubnets = ["subnet-0a1b2c3d"]\nsecurity_groups = ["sg-0a1b2c3d"]\n[function.environment]')
        .replace("ephemeral_storage = 1024", "ephemeral_storage = 2048").replace(f'layers = ["{layer}"]', "layers = []"))
    proj = config.load(project_dir / "lambdactl.toml")
    sent = []
    aws.client("lambda").meta.events.register(
        "provide-client-params.lambda.UpdateFunctionConfiguration", lambda params, **_: sent.append(dict(params)))
    plan = plan_deploy(aws, proj)
    fields = {c.field for s in plan.steps for c in s.changes}
    assert {"vpc", "layers", "ephemeral_storage"} <= fields
    run_deploy(plan)
    assert len(sent) == 1
    p = sent[0]
    assert p["VpcConfig"] == {"SubnetIds": ["subnet-0a1b2c3d"], "SecurityGroupIds": ["sg-0a1b2c3d"],
                              "Ipv6AllowedForDualStack": False}
    assert p["Layers"] == [] and p["EphemeralStorage"] == {"Size": 2048}
    cfg = config_of(boto)
    assert cfg["VpcConfig"]["SubnetIds"] == ["subnet-0a1b2c3d"] and cfg.get("Layers", []) == []


def test_create_sends_every_setting(project_dir, boto):
    """CreateFunction carries tracing, KMS key, DLQ, ephemeral storage (recorded with a botocore
    ``provide-client-params`` hook, since moto drops some of them)."""
    from lambdactl import config
    from lambdactl.aws import AwsSession
    from lambdactl.core.resources.deploy import plan_deploy, run_deploy

    write_project(project_dir, extra="\n".join([
        'tracing = "Active"', 'ephemeral_storage = 1024', 'architecture = "arm64"',
        'kms_key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"',
        'dead_letter = "arn:aws:sqs:us-east-1:123456789012:dlq"']))
    aws = AwsSession()
    sent = []
    aws.client("lambda").meta.events.register(
        "provide-client-params.lambda.CreateFunction", lambda params, **_: sent.append(dict(params)))
    run_deploy(plan_deploy(aws, config.load(project_dir / "lambdactl.toml")))
    p = sent[0]
    assert p["TracingConfig"] == {"Mode": "Active"} and p["EphemeralStorage"] == {"Size": 1024}
    assert p["KMSKeyArn"].startswith("arn:aws:kms:") and p["Architectures"] == ["arm64"]
    assert p["DeadLetterConfig"] == {"TargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq"}
    assert p["Tags"] == {"team": "orders"} and p["Publish"] is False
    cfg = config_of(boto)
    assert cfg["TracingConfig"]["Mode"] == "Active" and cfg["Architectures"] == ["arm64"]


def test_zip_function_cannot_become_image_in_place(deployed, invoke_cli):
    text = (deployed / "lambdactl.toml").read_text()
    text = text.replace('runtime = "python3.12"\n', 'package_type = "Image"\n'
                        'image_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:v1"\n')
    (deployed / "lambdactl.toml").write_text(text.replace('handler = "app.handler"\n', ""))
    r = invoke_cli("deploy", "--dry-run")
    assert_clean_error(r, 2, contains="in place")
    assert "delete" in r.stderr


def test_deploy_names_missing_role_permissions_for_destinations(invoke_cli, project_dir, iam_role):
    """[function.async] destinations and dead_letter are reconciled by deploy; the hint names the
    action the function's role lacks for each target. The clean re-run needs lambdactl's moto
    fidelity fix that keeps DeadLetterConfig as AWS does (motofixes.py; moto 5.2 drops it)."""
    (project_dir / "src").mkdir()
    (project_dir / "src" / "app.py").write_text("def handler(e, c):\n    return e\n")
    (project_dir / "lambdactl.toml").write_text(
        '[function]\nname = "dest"\nruntime = "python3.12"\nhandler = "app.handler"\n'
        f'role = "{iam_role}"\n'
        'dead_letter = "arn:aws:sqs:us-east-1:123456789012:dlq"\n'
        '[function.async]\nmax_retries = 0\non_failure = "arn:aws:sns:us-east-1:123456789012:fail"\n')
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    assert "sqs:SendMessage" in r.stderr and "sns:Publish" in r.stderr
    r = invoke_cli("deploy", "--dry-run", "--exit-code")
    assert r.exit_code == 0, r.stdout + r.stderr


def test_image_function_create_update_and_no_op(invoke_cli, project_dir, iam_role, boto):
    """package_type = "Image": created from image_uri, a new tag updates the code, a re-run is a no-op."""
    uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:v1"
    toml = ('[function]\nname = "img"\npackage_type = "Image"\n'
            f'image_uri = "{uri}"\nrole = "{iam_role}"\nmemory = 512\n')
    (project_dir / "lambdactl.toml").write_text(toml)
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    got = boto("lambda").get_function(FunctionName="img")
    assert got["Configuration"]["PackageType"] == "Image"
    assert got["Code"]["ImageUri"] == uri
    assert got["Configuration"]["MemorySize"] == 512
    r = invoke_cli("deploy", "--dry-run", "--exit-code")
    assert r.exit_code == 0, r.stdout + r.stderr
    (project_dir / "lambdactl.toml").write_text(toml.replace(":v1", ":v2"))
    r = invoke_cli("deploy", "--dry-run", "--exit-code")
    assert r.exit_code == 5
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    assert boto("lambda").get_function(FunctionName="img")["Code"]["ImageUri"] == uri.replace(":v1", ":v2")


def test_config_and_update_default_to_the_project_function(deployed, invoke_cli, boto):
    """Contract: FUNCTION defaults to the project file's function when omitted."""
    r = invoke_cli("config", "--memory", "512")
    assert r.exit_code == 0, r.stderr
    assert config_of(boto)["MemorySize"] == 512
    (deployed / "src" / "app.py").write_text("def handler(event, context):\n    return 2\n")
    r = invoke_cli("update", "--source", "src")
    assert r.exit_code == 0, r.stderr
    assert config_of(boto)["CodeSha256"] == local_sha(deployed)


def test_auto_role_gets_least_privilege_for_polled_sources(invoke_cli, project_dir, boto):
    """With role = "" and an SQS trigger / DLQ, the auto role gets exactly the actions those
    need, scoped to their ARNs (AWS refuses the mapping otherwise); re-deploy changes nothing.
    "Nothing" includes the DLQ: moto keeps DeadLetterConfig only with lambdactl's moto fix."""
    q = boto("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    (project_dir / "src").mkdir()
    (project_dir / "src" / "app.py").write_text("def handler(e, c):\n    return e\n")
    (project_dir / "lambdactl.toml").write_text(
        '[function]\nname = "poller"\nruntime = "python3.12"\nhandler = "app.handler"\n'
        'dead_letter = "arn:aws:sns:us-east-1:123456789012:dead"\n'
        f'[[triggers]]\ntype = "sqs"\nsource = "{q}"\n')
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    doc = boto("iam").get_role_policy(RoleName="lambdactl-poller-role", PolicyName="lambdactl-sources")["PolicyDocument"]
    doc = doc if isinstance(doc, dict) else json.loads(doc)
    by_resource = {tuple(st["Resource"]): st["Action"] for st in doc["Statement"]}
    assert "sqs:ReceiveMessage" in by_resource[("arn:aws:sqs:us-east-1:123456789012:jobs",)]
    assert by_resource[("arn:aws:sns:us-east-1:123456789012:dead",)] == "sns:Publish"
    assert "sns:Publish" not in r.stderr            # no missing-permission warning for the auto role
    r = invoke_cli("deploy", "--dry-run", "--exit-code")
    assert r.exit_code == 0, r.stdout + r.stderr
