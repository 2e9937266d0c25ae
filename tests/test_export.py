"""export --format sam|cloudformation against the moto server; templates validated with cfn-lint."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import assert_clean_error


@pytest.fixture
def wired_function(create_function, boto):
    lam = boto("lambda")
    create_function("orders", MemorySize=256, Timeout=30, Environment={"Variables": {"STAGE": "prod"}})
    lam.publish_version(FunctionName="orders")
    lam.create_alias(FunctionName="orders", Name="live", FunctionVersion="1")
    lam.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=5)
    lam.put_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=1,
                                         DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:dlq"}})
    q = boto("sqs").create_queue(QueueName="orders-in")["QueueUrl"]
    qarn = boto("sqs").get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.create_event_source_mapping(EventSourceArn=qarn, FunctionName="orders", BatchSize=5)
    ev = boto("events")
    ev.put_rule(Name="orders-tick", ScheduleExpression="rate(5 minutes)")
    fn_arn = lam.get_function(FunctionName="orders")["Configuration"]["FunctionArn"]
    ev.put_targets(Rule="orders-tick", Targets=[{"Id": "t1", "Arn": fn_arn}])
    lam.create_function_url_config(FunctionName="orders", AuthType="NONE")
    return fn_arn


def _cfn_lint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(path)], capture_output=True, text=True)


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_export_template_passes_cfn_lint(invoke_cli, wired_function, tmp_path, fmt):
    r = invoke_cli("export", "orders", "--format", fmt)
    assert r.exit_code == 0, r.stderr
    tpl = json.loads(r.stdout)
    types = {res["Type"] for res in tpl["Resources"].values()}
    if fmt == "sam":
        fn = next(res for res in tpl["Resources"].values() if res["Type"] == "AWS::Serverless::Function")
        kinds = {e["Type"] for e in fn["Properties"]["Events"].values()}
        assert kinds == {"SQS", "Schedule"}
        assert fn["Properties"]["FunctionUrlConfig"]["AuthType"] == "NONE"
        assert fn["Properties"]["EventInvokeConfig"]["MaximumRetryAttempts"] == 1
    else:
        assert {"AWS::Lambda::Function", "AWS::Lambda::EventSourceMapping", "AWS::Events::Rule",
                "AWS::Lambda::Url", "AWS::Lambda::EventInvokeConfig", "AWS::Lambda::Alias"} <= types
    fn_props = next(res for res in tpl["Resources"].values() if res["Type"].endswith("Function"))["Properties"]
    assert fn_props["ReservedConcurrentExecutions"] == 5 and fn_props["MemorySize"] == 256
    path = tmp_path / f"{fmt}.json"
    path.write_text(r.stdout)
    lint = _cfn_lint(path)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_export_to_file_and_errors(invoke_cli, create_function, tmp_path):
    create_function("plain")
    out = tmp_path / "t.json"
    r = invoke_cli("export", "plain", "--format", "cloudformation", "--out", str(out))
    assert r.exit_code == 0 and r.stdout == ""
    assert json.loads(out.read_text())["AWSTemplateFormatVersion"] == "2010-09-09"
    assert_clean_error(invoke_cli("export", "plain", "--format", "terraform"), 2, contains="sam")
    assert_clean_error(invoke_cli("export", "ghost"), 3)


def test_export_masks_secrets_unless_asked(invoke_cli, create_function):
    create_function("sec", Environment={"Variables": {"DB_PASSWORD": "hunter2", "STAGE": "prod"}})
    r = invoke_cli("export", "sec")
    assert r.exit_code == 0, r.stderr
    assert "hunter2" not in r.stdout and "DB_PASSWORD" in r.stderr and '"STAGE": "prod"' in r.stdout
    r = invoke_cli("--show-secrets", "export", "sec")
    assert "hunter2" in r.stdout


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_export_alias_points_at_a_version_the_stack_publishes(invoke_cli, wired_function, fmt):
    """Regression: the alias named version "1", which does not exist in a new stack."""
    r = invoke_cli("export", "orders", "--format", fmt)
    assert r.exit_code == 0, r.stderr
    res = json.loads(r.stdout)["Resources"]
    versions = [k for k, v in res.items() if v["Type"] == "AWS::Lambda::Version"]
    assert len(versions) == 1
    alias = next(v for v in res.values() if v["Type"] == "AWS::Lambda::Alias")
    assert alias["Properties"]["Name"] == "live"
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [versions[0], "Version"]}
