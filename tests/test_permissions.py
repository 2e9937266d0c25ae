"""permission list/add/remove against the moto server: content-hash ids, idempotence, warnings."""
from __future__ import annotations

import json

import pytest

from lambdactl.core.resources.permissions import PermissionSpec, confused_deputy_warning, parse_statement
from tests.conftest import ACCOUNT, assert_clean_error


def policy_statements(boto, name: str, qualifier: str | None = None) -> list[dict]:
    kw = {"FunctionName": name}
    if qualifier:
        kw["Qualifier"] = qualifier
    try:
        return json.loads(boto("lambda").get_policy(**kw)["Policy"])["Statement"]
    except boto("lambda").exceptions.ResourceNotFoundException:
        return []


def test_statement_id_is_a_stable_content_hash():
    a = PermissionSpec("s3.amazonaws.com", source_arn="arn:aws:s3:::b", source_account=ACCOUNT)
    b = PermissionSpec("s3.amazonaws.com", source_arn="arn:aws:s3:::b", source_account=ACCOUNT)
    c = PermissionSpec("s3.amazonaws.com", source_arn="arn:aws:s3:::other", source_account=ACCOUNT)
    d = PermissionSpec("s3.amazonaws.com", source_arn="arn:aws:s3:::b", source_account=ACCOUNT, qualifier="live")
    assert a.statement_id == b.statement_id
    assert a.statement_id.startswith("lambdactl-") and len(a.statement_id) == len("lambdactl-") + 12
    assert len({a.statement_id, c.statement_id, d.statement_id}) == 3
    # an account principal and its root ARN are the same principal
    assert PermissionSpec("210987654321").statement_id == \
        PermissionSpec("arn:aws:iam::210987654321:root").statement_id


def test_parse_statement_reads_aws_conditions():
    st = {"Sid": "x", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
          "Action": "lambda:InvokeFunction", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
          "Condition": {"StringEquals": {"AWS:SourceAccount": ACCOUNT},
                        "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"}}}
    r = parse_statement(st)
    assert r["principal"] == "s3.amazonaws.com" and r["source_arn"] == "arn:aws:s3:::b"
    assert r["source_account"] == ACCOUNT and r["conditions"] == {} and not r["managed"]
    url = parse_statement({"Sid": "lambdactl-1", "Principal": "*", "Action": "lambda:InvokeFunction",
                           "Condition": {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}})
    assert url["conditions"] == {"lambda:InvokedViaFunctionUrl": "true"} and url["managed"]
    spec = PermissionSpec("*", invoked_via_function_url=True)
    assert spec.matches(url)


def test_confused_deputy_rules():
    assert "confused deputy" in confused_deputy_warning(PermissionSpec("sns.amazonaws.com"))
    assert confused_deputy_warning(PermissionSpec("sns.amazonaws.com", source_arn="arn:aws:sns:us-east-1:1:t")) is None
    # S3 bucket ARNs carry no account
    assert confused_deputy_warning(PermissionSpec("s3.amazonaws.com", source_arn="arn:aws:s3:::b")) is not None
    assert confused_deputy_warning(PermissionSpec("s3.amazonaws.com", source_arn="arn:aws:s3:::b",
                                                  source_account=ACCOUNT)) is None
    assert confused_deputy_warning(PermissionSpec("210987654321")) is None


def test_permission_add_list_remove_roundtrip(invoke_cli, create_function, boto):
    create_function("fn")
    r = invoke_cli("permission", "list", "fn", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json() == []

    args = ("permission", "add", "fn", "--principal", "s3.amazonaws.com", "--source-arn", "arn:aws:s3:::uploads",
            "--source-account", ACCOUNT, "-o", "json")
    r = invoke_cli(*args)
    assert r.exit_code == 0, r.stderr
    d = r.json()
    assert d["status"] == "created" and d["statement_id"].startswith("lambdactl-")
    assert "warning:" not in r.stderr
    sts = policy_statements(boto, "fn")
    assert len(sts) == 1 and sts[0]["Sid"] == d["statement_id"]
    assert sts[0]["Principal"] == {"Service": "s3.amazonaws.com"}
    assert sts[0]["Condition"]["ArnLike"]["AWS:SourceArn"] == "arn:aws:s3:::uploads"
    assert sts[0]["Condition"]["StringEquals"]["AWS:SourceAccount"] == ACCOUNT

    # re-adding is a no-op
    r = invoke_cli(*args)
    assert r.exit_code == 0 and r.json()["status"] == "unchanged"
    assert r.json()["statement_id"] == d["statement_id"]
    assert len(policy_statements(boto, "fn")) == 1

    r = invoke_cli("permission", "list", "fn", "-o", "json")
    recs = r.json()
    assert [x["statement_id"] for x in recs] == [d["statement_id"]]
    assert recs[0]["principal"] == "s3.amazonaws.com" and recs[0]["source_account"] == ACCOUNT
    assert recs[0]["managed"] is True
    r = invoke_cli("permission", "list", "fn")
    assert r.exit_code == 0 and "STATEMENT ID" in r.stdout and "arn:aws:s3:::uploads" in r.stdout

    r = invoke_cli("permission", "remove", "fn", d["statement_id"], "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "deleted"
    assert policy_statements(boto, "fn") == []
    r = invoke_cli("permission", "remove", "fn", d["statement_id"])
    assert_clean_error(r, 3, contains=d["statement_id"])


def test_permission_add_warns_about_confused_deputy(invoke_cli, create_function, boto):
    create_function("fn")
    r = invoke_cli("permission", "add", "fn", "--principal", "sns.amazonaws.com", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert "warning:" in r.stderr and "confused deputy" in r.stderr
    assert r.json()["warning"]
    r = invoke_cli("permission", "add", "fn", "--principal", "*")
    assert r.exit_code == 0 and "anyone" in r.stderr
    # an account principal: no warning
    r = invoke_cli("permission", "add", "fn", "--principal", "210987654321")
    assert r.exit_code == 0 and "warning:" not in r.stderr
    assert len(policy_statements(boto, "fn")) == 3


def test_permission_equivalent_foreign_statement_is_unchanged(invoke_cli, create_function, boto):
    """A statement someone else added with the same content is recognised; no duplicate is added."""
    create_function("fn")
    boto("lambda").add_permission(FunctionName="fn", StatementId="AllowEvents", Action="lambda:InvokeFunction",
                                  Principal="events.amazonaws.com",
                                  SourceArn="arn:aws:events:us-east-1:123456789012:rule/r")
    r = invoke_cli("permission", "add", "fn", "--principal", "events.amazonaws.com", "--source-arn",
                   "arn:aws:events:us-east-1:123456789012:rule/r", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "unchanged" and r.json()["statement_id"] == "AllowEvents"
    assert len(policy_statements(boto, "fn")) == 1
    # and removing a foreign statement by id is possible (it was named explicitly)
    r = invoke_cli("permission", "rm", "fn", "AllowEvents")
    assert r.exit_code == 0, r.stderr
    assert policy_statements(boto, "fn") == []


@pytest.mark.parametrize("args, contains", [
    (("--principal", "not a principal"), "invalid principal"),
    (("--principal", "s3.amazonaws.com", "--source-arn", "bucket"), "invalid source ARN"),
    (("--principal", "s3.amazonaws.com", "--source-account", "12"), "invalid source account"),
    (("--principal", "s3.amazonaws.com", "--action", "s3:GetObject"), "invalid action"),
    (("--principal", "*", "--function-url-auth-type", "OPEN"), "auth type"),
])
def test_permission_add_bad_input_exits_2_before_any_call(invoke_cli, args, contains):
    from lambdactl.aws import CALLS

    CALLS.clear()
    r = invoke_cli("permission", "add", "fn", *args)
    assert_clean_error(r, 2, contains=contains)
    assert CALLS.calls == []


def test_permission_missing_function_exits_3(invoke_cli):
    r = invoke_cli("permission", "list", "ghost")
    assert_clean_error(r, 3, contains="ghost")
    r = invoke_cli("permission", "add", "ghost", "--principal", "210987654321")
    assert_clean_error(r, 3, contains="ghost")


def test_permission_uses_project_function_and_qualifier(invoke_cli, create_function, boto, project_dir):
    create_function("proj-fn")
    boto("lambda").publish_version(FunctionName="proj-fn")
    (project_dir / "lambdactl.toml").write_text(
        '[function]\nname = "proj-fn"\nruntime = "python3.12"\nhandler = "app.handler"\n')
    r = invoke_cli("permission", "add", "--principal", "210987654321", "--qualifier", "1", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["function"] == "proj-fn" and r.json()["qualifier"] == "1"
    sts = policy_statements(boto, "proj-fn", "1")
    assert [s["Sid"] for s in sts] == [r.json()["statement_id"]]
    r = invoke_cli("permission", "list", "--qualifier", "1", "-o", "json")
    assert [x["statement_id"] for x in r.json()] == [sts[0]["Sid"]]
    r = invoke_cli("permission", "add", "proj-fn:1", "--principal", "210987654321", "-o", "json")
    assert r.json()["status"] == "unchanged"
    r = invoke_cli("permission", "add", "proj-fn:1", "--qualifier", "2", "--principal", "210987654321")
    assert_clean_error(r, 2, contains="two qualifiers")
