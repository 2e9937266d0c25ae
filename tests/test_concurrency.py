"""``lambdactl concurrency``: reserved concurrency against the moto server; provisioned
concurrency and account settings with botocore's Stubber, for exactly the calls moto lacks.

How the two are mixed, and why this is honest
---------------------------------------------
moto 5.2 implements reserved concurrency (``Put/Get/DeleteFunctionConcurrency``) but not
``GetAccountSettings`` nor the provisioned-concurrency APIs (``Put/Get/Delete/
ListProvisionedConcurrencyConfig(s)``): it answers them with a bare HTTP 404.

- Reserved concurrency is tested end to end through the CLI against the moto server and read back
  with boto3's ``get_function_concurrency``. Because moto lacks ``GetAccountSettings``, those runs
  also exercise the documented fallback (account figures "unknown", default limit 1000, the other
  functions' reservations counted one by one, a note on stderr).
- A plain ``Stubber`` intercepts *every* call of the client it is attached to, so it cannot be
  used on a client that must also reach moto. :class:`MotoGapStubber` is botocore's ``Stubber``
  with its event handlers registered only for the five operations above
  (``before-call.lambda.<Operation>``); every other call of the *same* client still goes over HTTP
  to moto. It is attached to the lambda client of the very ``AwsSession`` the core uses
  (``aws.client("lambda")``): no patching of boto3 or of lambdactl, and the core has one client and
  no test hooks.
- ``invoke_cli`` builds a fresh session per invocation (the root callback resets sessions), so a
  stubber cannot be attached to it from outside. The stubbed tests therefore call the core
  functions directly, and two of them call the CLI command functions directly (after setting the
  invocation's Settings, which is what the root callback does) to check the rendering, the --wait
  progress on stderr, and the FAILED → exit 1 mapping through ``lambdactl.cli.groups.report``.
"""
from __future__ import annotations

import json

import pytest

from tests.conftest import ACCOUNT, REGION, assert_clean_error
from tests.stubbing import PartialStubber

ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function"
TS = "2026-11-23T15:00:00.000+0000"


MOTO_GAP_OPERATIONS = ("GetAccountSettings", "PutProvisionedConcurrencyConfig",
                       "GetProvisionedConcurrencyConfig", "DeleteProvisionedConcurrencyConfig",
                       "ListProvisionedConcurrencyConfigs")


def MotoGapStubber(client) -> PartialStubber:
    """botocore's Stubber, scoped to the Lambda operations moto does not implement.

    Only these operations are answered from the stub queue (and a call to one of them with an
    empty queue fails the test); all other operations of the client reach the moto server.
    """
    return PartialStubber(client, MOTO_GAP_OPERATIONS)


def account(limit: int = 1000, unreserved: int = 900, functions: int = 1) -> dict:
    return {"AccountLimit": {"TotalCodeSize": 80530636800, "CodeSizeUnzipped": 262144000,
                             "CodeSizeZipped": 52428800, "ConcurrentExecutions": limit,
                             "UnreservedConcurrentExecutions": unreserved},
            "AccountUsage": {"TotalCodeSize": 1000, "FunctionCount": functions}}


def prov(requested: int, status: str = "READY", allocated: int | None = None,
         available: int | None = None, reason: str | None = None, arn: str | None = None) -> dict:
    allocated = requested if allocated is None else allocated
    d = {"RequestedProvisionedConcurrentExecutions": requested,
         "AllocatedProvisionedConcurrentExecutions": allocated,
         "AvailableProvisionedConcurrentExecutions": allocated if available is None else available,
         "Status": status, "LastModified": TS}
    if reason:
        d["StatusReason"] = reason
    if arn:
        d["FunctionArn"] = arn
    return d


@pytest.fixture
def stubbed(aws_env):
    """(session, stubber): the session the core (and the CLI functions) use, with the
    MotoGapStubber on its lambda client. Settings: JSON output, --yes."""
    from lambdactl import settings
    from lambdactl.aws import session

    s = settings.set_current(settings.Settings(output="json", yes=True))
    sess = session(s)
    stub = MotoGapStubber(sess.client("lambda"))
    stub.activate()
    yield sess, stub
    stub.deactivate()


@pytest.fixture
def fn_with_alias(create_function, boto):
    """Function ``fn`` (256 MB, arm64), versions 1 and 2, alias ``live`` → 1 (no weights)."""
    create_function("fn", MemorySize=256, Architectures=["arm64"])
    lam = boto("lambda")
    lam.publish_version(FunctionName="fn")
    lam.update_function_configuration(FunctionName="fn", Description="v2")
    lam.publish_version(FunctionName="fn")
    lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    return "fn"


def reserved_of(boto, name: str):
    return boto("lambda").get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")


# --- reserved concurrency, end to end against moto ----------------------------------------------

def test_reserved_set_show_clear_roundtrip(invoke_cli, create_function, boto):
    create_function("fn")
    r = invoke_cli("concurrency", "set", "fn", "--reserved", "10", "-o", "json")
    assert r.exit_code == 0, r.stderr
    rec = r.json()
    assert rec["setting"] == "reserved" and rec["before"] is None and rec["after"] == 10
    assert rec["status"] == "created"
    assert reserved_of(boto, "fn") == 10
    # moto lacks GetAccountSettings: the fallback is announced on stderr, not on stdout.
    assert "assuming the default limit of 1000" in r.stderr

    r = invoke_cli("concurrency", "set", "fn", "--reserved", "10", "-o", "json")
    assert r.exit_code == 0 and r.json()["status"] == "unchanged"
    r = invoke_cli("concurrency", "set", "fn", "--reserved", "12")
    assert r.exit_code == 0, r.stderr
    assert "10 → 12" in r.stdout and "updated" in r.stdout
    assert reserved_of(boto, "fn") == 12

    r = invoke_cli("concurrency", "show", "fn", "-o", "json")
    assert r.exit_code == 0, r.stderr
    d = r.json()
    assert d["function"] == "fn" and d["reserved"] == 12
    assert d["account"] == {"limit": None, "unreserved": None, "reserved_by_other_functions": None,
                            "source": "unavailable"}
    assert d["provisioned"] is None      # moto: unknown, and said so on stderr
    assert "ListProvisionedConcurrencyConfigs" in r.stderr
    r = invoke_cli("concurrency", "show", "fn")
    assert r.exit_code == 0
    assert "reserved" in r.stdout and "12" in r.stdout and "unknown" in r.stdout

    r = invoke_cli("concurrency", "clear", "fn", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json() == [{"function": "fn", "setting": "reserved", "qualifier": None, "before": 12,
                         "after": None, "status": "cleared"}]
    assert reserved_of(boto, "fn") is None
    r = invoke_cli("concurrency", "clear", "fn")
    assert r.exit_code == 0 and "unchanged" in r.stdout


def test_reserved_defaults_to_project_function(invoke_cli, create_function, boto, project_dir):
    create_function("proj-fn")
    (project_dir / "lambdactl.toml").write_text(
        '[function]\nname = "proj-fn"\nruntime = "python3.12"\nhandler = "app.handler"\n')
    r = invoke_cli("concurrency", "set", "--reserved", "3", "-o", "text")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.split("\t")[:2] == ["proj-fn", "reserved"]
    assert reserved_of(boto, "proj-fn") == 3


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "100001"])
def test_reserved_bad_values_exit_2_before_any_call(invoke_cli, create_function, boto, value):
    from lambdactl.aws import CALLS

    create_function("fn")
    CALLS.clear()
    r = invoke_cli("concurrency", "set", "fn", "--reserved", value)
    assert_clean_error(r, 2, contains="--reserved")
    assert CALLS.calls == []
    assert reserved_of(boto, "fn") is None


def test_reserved_above_available_exit_2_says_how_much(invoke_cli, create_function, boto):
    """Fallback path (moto has no GetAccountSettings): limit 1000 assumed, 850 reserved by
    another function, 100 must stay unreserved → 50 available."""
    create_function("fn")
    create_function("big")
    boto("lambda").put_function_concurrency(FunctionName="big", ReservedConcurrentExecutions=850)
    r = invoke_cli("concurrency", "set", "fn", "--reserved", "51")
    assert_clean_error(r, 2, contains="only 50 available")
    assert "850" in r.stderr
    assert reserved_of(boto, "fn") is None
    r = invoke_cli("concurrency", "set", "fn", "--reserved", "50", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert reserved_of(boto, "fn") == 50


def test_reserved_zero_needs_confirmation(invoke_cli, create_function, boto):
    create_function("fn")
    boto("lambda").put_function_concurrency(FunctionName="fn", ReservedConcurrentExecutions=10)
    r = invoke_cli("concurrency", "set", "fn", "--reserved", "0")   # CliRunner: not a TTY
    assert_clean_error(r, 2, contains="throttles every invocation")
    assert "--yes" in r.stderr
    assert reserved_of(boto, "fn") == 10                              # nothing changed
    r = invoke_cli("concurrency", "set", "fn", "--reserved", "0", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["after"] == 0
    assert reserved_of(boto, "fn") == 0
    r = invoke_cli("concurrency", "set", "fn", "--reserved", "0")    # no change: no question
    assert r.exit_code == 0 and "unchanged" in r.stdout


def test_set_missing_function_exits_3(invoke_cli):
    assert_clean_error(invoke_cli("concurrency", "set", "ghost", "--reserved", "1"), 3, contains="ghost")


def test_set_flag_combinations_exit_2(invoke_cli, create_function):
    create_function("fn")
    assert_clean_error(invoke_cli("concurrency", "set", "fn"), 2, contains="exactly one")
    assert_clean_error(invoke_cli("concurrency", "set", "fn", "--reserved", "1", "--provisioned", "1",
                                  "--qualifier", "1"), 2, contains="exactly one")
    assert_clean_error(invoke_cli("concurrency", "set", "fn:live", "--reserved", "1"), 2,
                       contains="whole function")
    assert_clean_error(invoke_cli("concurrency", "set", "fn", "--reserved", "1", "--wait"), 2,
                       contains="--wait")
    assert_clean_error(invoke_cli("concurrency", "set", "fn", "--provisioned", "2"), 2,
                       contains="qualifier")
    assert_clean_error(invoke_cli("concurrency", "set", "fn", "--provisioned", "0", "--qualifier", "1"), 2,
                       contains="--provisioned")


# --- provisioned: refusals that need no provisioned API -----------------------------------------

def test_provisioned_on_latest_refused_before_any_call(invoke_cli, create_function):
    from lambdactl.aws import CALLS

    create_function("fn")
    CALLS.clear()
    r = invoke_cli("concurrency", "set", "fn", "--provisioned", "2", "--qualifier", "$LATEST")
    assert_clean_error(r, 2, contains="$LATEST")
    r = invoke_cli("concurrency", "set", "fn:$LATEST", "--provisioned", "2")
    assert_clean_error(r, 2, contains="$LATEST")
    assert CALLS.calls == []


def test_provisioned_on_weighted_alias_refused(invoke_cli, fn_with_alias, boto):
    """The weighted alias is real (moto); the refusal comes before any provisioned-concurrency call."""
    boto("lambda").update_alias(FunctionName="fn", Name="live", FunctionVersion="1",
                                RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
    r = invoke_cli("concurrency", "set", "fn", "--provisioned", "2", "--qualifier", "live")
    assert_clean_error(r, 2, contains="weighted routing")
    assert "AdditionalVersionWeights" in r.stderr and "10% to version 2" in r.stderr
    assert "--qualifier 1" in r.stderr      # the hint offers the primary version


def test_provisioned_on_missing_alias_exits_3(invoke_cli, fn_with_alias):
    assert_clean_error(invoke_cli("concurrency", "set", "fn:nope", "--provisioned", "1"), 3, contains="fn:nope")


def test_provisioned_against_endpoint_without_api_fails_cleanly(invoke_cli, fn_with_alias):
    """Unstubbed moto: the provisioned API answers 404 → a clear exit 1, not 'not found'."""
    r = invoke_cli("concurrency", "set", "fn", "--provisioned", "1", "--qualifier", "live")
    assert_clean_error(r, 1, contains="does not implement provisioned concurrency")


# --- provisioned concurrency and account settings, with the MotoGapStubber ----------------------

def test_set_provisioned_then_unchanged_then_clear(stubbed, fn_with_alias, boto):
    """Stubbed: List/Put/Get/DeleteProvisionedConcurrencyConfig(s). From moto: GetAlias,
    GetFunctionConfiguration (memory, arch), GetFunctionConcurrency."""
    from lambdactl.core.resources import concurrency as core

    sess, stub = stubbed
    stub.add_response("list_provisioned_concurrency_configs", {"ProvisionedConcurrencyConfigs": []},
                      {"FunctionName": "fn"})
    stub.add_response("put_provisioned_concurrency_config", prov(3, "IN_PROGRESS", 0),
                      {"FunctionName": "fn", "Qualifier": "live", "ProvisionedConcurrentExecutions": 3})
    rec = core.set_provisioned(sess, "fn", "live", 3)
    assert rec["status"] == "created" and rec["before"] is None and rec["after"] == 3
    assert rec["provisioned_status"] == "IN_PROGRESS"
    cost = rec["cost_estimate"]
    assert cost["estimate"] is True and cost["architecture"] == "arm64" and cost["memory_mb"] == 256
    assert cost["gb_seconds_per_hour"] == pytest.approx(0.25 * 3 * 3600)
    assert cost["usd_per_hour"] == pytest.approx(0.25 * 3 * 3600 * 0.0000033334, rel=1e-4)
    assert cost["text"].startswith("estimate:")

    # Same count again: unchanged, no Put.
    stub.add_response("list_provisioned_concurrency_configs", {"ProvisionedConcurrencyConfigs": [
        prov(3, arn=f"{ARN}:fn:live")]}, {"FunctionName": "fn"})
    rec = core.set_provisioned(sess, "fn", "live", 3)
    assert rec["status"] == "unchanged" and rec["provisioned_status"] == "READY"

    stub.add_response("get_provisioned_concurrency_config", prov(3), {"FunctionName": "fn", "Qualifier": "live"})
    stub.add_response("delete_provisioned_concurrency_config", {}, {"FunctionName": "fn", "Qualifier": "live"})
    rec = core.clear_provisioned(sess, "fn", "live")
    assert rec["status"] == "cleared" and rec["before"] == 3

    stub.add_client_error("get_provisioned_concurrency_config",
                          "ProvisionedConcurrencyConfigNotFoundException", "No config", 404)
    assert core.clear_provisioned(sess, "fn", "live")["status"] == "unchanged"
    stub.assert_no_pending_responses()


def test_provisioned_cannot_exceed_reserved(stubbed, fn_with_alias, boto):
    """Reserved 4 is real (moto); the other qualifier's provisioned 3 is stubbed."""
    from lambdactl.core.resources import concurrency as core
    from lambdactl.errors import UsageError

    sess, stub = stubbed
    boto("lambda").put_function_concurrency(FunctionName="fn", ReservedConcurrentExecutions=4)
    stub.add_response("list_provisioned_concurrency_configs", {"ProvisionedConcurrencyConfigs": [
        prov(3, arn=f"{ARN}:fn:2")]})
    with pytest.raises(UsageError) as exc:
        core.set_provisioned(sess, "fn", "live", 2)
    assert "reserves 4" in exc.value.message and "at most 1" in exc.value.hint
    stub.assert_no_pending_responses()


def test_wait_ready_reports_progress(stubbed, fn_with_alias):
    from lambdactl.core.resources import concurrency as core

    sess, stub = stubbed
    for p in (prov(5, "IN_PROGRESS", 0), prov(5, "IN_PROGRESS", 3), prov(5, "READY")):
        stub.add_response("get_provisioned_concurrency_config", p, {"FunctionName": "fn", "Qualifier": "live"})
    seen = []
    rec = core.wait_provisioned(sess, "fn", "live", interval=0.01,
                                on_progress=lambda r, t: seen.append((r["status"], r["allocated"])))
    assert rec["status"] == "READY" and rec["allocated"] == 5
    assert seen == [("IN_PROGRESS", 0), ("IN_PROGRESS", 3), ("READY", 5)]
    stub.assert_no_pending_responses()


def test_wait_failed_raises_exit_1_with_reason(stubbed, fn_with_alias):
    from lambdactl.core.resources import concurrency as core
    from lambdactl.errors import OperationError

    sess, stub = stubbed
    stub.add_response("get_provisioned_concurrency_config", prov(5, "IN_PROGRESS", 0))
    stub.add_response("get_provisioned_concurrency_config",
                      prov(5, "FAILED", 0, reason="FUNCTION_ERROR_INIT_FAILURE: init raised"))
    with pytest.raises(OperationError) as exc:
        core.wait_provisioned(sess, "fn", "live", interval=0.01)
    assert exc.value.exit_code == 1
    assert "FAILED" in exc.value.message and "FUNCTION_ERROR_INIT_FAILURE" in exc.value.message
    stub.assert_no_pending_responses()


def test_cli_set_provisioned_wait_ready(stubbed, fn_with_alias, capsys):
    """The CLI command function itself (Settings set as the root callback would): JSON result on
    stdout, progress on stderr."""
    from lambdactl.cli import concurrency as cli

    sess, stub = stubbed
    stub.add_response("list_provisioned_concurrency_configs", {"ProvisionedConcurrencyConfigs": []})
    stub.add_response("put_provisioned_concurrency_config", prov(2, "IN_PROGRESS", 0))
    stub.add_response("get_provisioned_concurrency_config", prov(2, "IN_PROGRESS", 1))
    stub.add_response("get_provisioned_concurrency_config", prov(2, "READY"))
    cli.set_(function="fn:live", reserved=None, provisioned="2", qualifier=None, wait=True, timeout=60)
    out, err = capsys.readouterr()
    rec = json.loads(out)
    assert rec["qualifier"] == "live" and rec["after"] == 2 and rec["provisioned_status"] == "READY"
    assert rec["cost_estimate"]["estimate"] is True
    assert "IN_PROGRESS, allocated 1/2" in err and "READY" in err
    stub.assert_no_pending_responses()


def test_cli_set_provisioned_wait_failed_exit_1(stubbed, fn_with_alias, capsys):
    from lambdactl.cli import concurrency as cli
    from lambdactl.cli.groups import report

    sess, stub = stubbed
    stub.add_response("list_provisioned_concurrency_configs", {"ProvisionedConcurrencyConfigs": []})
    stub.add_response("put_provisioned_concurrency_config", prov(2, "IN_PROGRESS", 0))
    stub.add_response("get_provisioned_concurrency_config", prov(2, "FAILED", 0, reason="not enough capacity"))
    with pytest.raises(Exception) as exc:
        cli.set_(function="fn", reserved=None, provisioned="2", qualifier="1", wait=True, timeout=60)
    capsys.readouterr()
    assert report(exc.value) == 1
    err = capsys.readouterr().err
    assert "error: provisioned concurrency on fn:1 FAILED: not enough capacity" in err
    stub.assert_no_pending_responses()


def test_show_function_with_account_and_provisioned(stubbed, fn_with_alias, boto, capsys):
    from lambdactl.cli import concurrency as cli
    from lambdactl.core.resources import concurrency as core

    sess, stub = stubbed
    boto("lambda").put_function_concurrency(FunctionName="fn", ReservedConcurrentExecutions=20)
    stub.add_response("get_account_settings", account(1000, 880))
    stub.add_response("list_provisioned_concurrency_configs", {"ProvisionedConcurrencyConfigs": [
        prov(4, "IN_PROGRESS", 2, arn=f"{ARN}:fn:live"),
        prov(1, "FAILED", 0, reason="init failed", arn=f"{ARN}:fn:2")]})
    d = core.show_function(sess, "fn")
    assert d["reserved"] == 20
    assert d["account"] == {"limit": 1000, "unreserved": 880, "reserved_by_other_functions": 100,
                            "source": "GetAccountSettings"}
    assert [p["qualifier"] for p in d["provisioned"]] == ["2", "live"]
    live = d["provisioned"][1]
    assert (live["requested"], live["allocated"], live["available"], live["status"]) == (4, 2, 2, "IN_PROGRESS")
    assert d["provisioned"][0]["status_reason"] == "init failed"
    assert d["cost_estimate"]["count"] == 5 and d["cost_estimate"]["text"].startswith("estimate:")
    assert d["notes"] == []

    # The table view through the CLI function.
    from lambdactl import settings
    settings.current().output = "table"
    stub.add_response("get_account_settings", account(1000, 880))
    stub.add_response("list_provisioned_concurrency_configs", {"ProvisionedConcurrencyConfigs": [
        prov(4, "READY", arn=f"{ARN}:fn:live")]})
    cli.show(function="fn")
    out = capsys.readouterr().out
    assert "reserved by other functions  100" in out
    assert "live" in out and "READY" in out and "cost" in out and "estimate:" in out
    stub.assert_no_pending_responses()


def test_reserved_validated_with_account_settings(stubbed, create_function, boto):
    """GetAccountSettings stubbed (limit 1000, unreserved 300, fn reserves 0 so far):
    at most 300 - 100 = 200; the Put/Get of the reservation are real moto calls."""
    from lambdactl.core.resources import concurrency as core
    from lambdactl.errors import UsageError

    sess, stub = stubbed
    create_function("fn")
    stub.add_response("get_account_settings", account(1000, 300))
    with pytest.raises(UsageError) as exc:
        core.set_reserved(sess, "fn", 201)
    assert "only 200 available" in exc.value.message and "account limit 1000" in exc.value.message
    assert reserved_of(boto, "fn") is None
    stub.add_response("get_account_settings", account(1000, 300))
    rec = core.set_reserved(sess, "fn", 200)
    assert rec["status"] == "created" and rec["notes"] == []
    assert reserved_of(boto, "fn") == 200
    # Lowering needs no account check (no stubbed response queued).
    assert core.set_reserved(sess, "fn", 150)["after"] == 150
    stub.assert_no_pending_responses()


def test_account_summary(stubbed, create_function, boto):
    """GetAccountSettings and ListProvisionedConcurrencyConfigs stubbed (one worker, so the
    stubbed responses are consumed in function-name order); reservations are real moto state."""
    from lambdactl.core.resources import concurrency as core

    sess, stub = stubbed
    for n in ("a", "b", "c"):
        create_function(n)
    boto("lambda").put_function_concurrency(FunctionName="a", ReservedConcurrentExecutions=5)
    stub.add_response("get_account_settings", account(1000, 895, 3))
    stub.add_response("list_provisioned_concurrency_configs", {"ProvisionedConcurrencyConfigs": []},
                      {"FunctionName": "a"})
    stub.add_response("list_provisioned_concurrency_configs", {"ProvisionedConcurrencyConfigs": [
        prov(2, arn=f"{ARN}:b:live")]}, {"FunctionName": "b"})
    stub.add_response("list_provisioned_concurrency_configs", {"ProvisionedConcurrencyConfigs": []},
                      {"FunctionName": "c"})
    d = core.account_summary(sess, workers=1)
    assert d["account"] == {"limit": 1000, "unreserved": 895, "reserved_total": 5, "provisioned_total": 2,
                            "function_count": 3, "source": "GetAccountSettings"}
    assert d["functions"] == [
        {"name": "a", "reserved": 5, "provisioned": 0, "provisioned_configs": []},
        {"name": "b", "reserved": None, "provisioned": 2,
         "provisioned_configs": [{"qualifier": "live", "requested": 2, "status": "READY"}]},
    ]
    stub.assert_no_pending_responses()


def test_account_summary_cli_fallback(invoke_cli, create_function, boto):
    """Unstubbed moto: account figures unknown, reservations still listed."""
    create_function("a")
    create_function("b")
    boto("lambda").put_function_concurrency(FunctionName="b", ReservedConcurrentExecutions=7)
    r = invoke_cli("concurrency", "show", "-o", "json")
    assert r.exit_code == 0, r.stderr
    d = r.json()
    assert d["account"]["limit"] is None and d["account"]["reserved_total"] == 7
    assert [f["name"] for f in d["functions"]] == ["b"]
    assert "note:" in r.stderr
    r = invoke_cli("concurrency", "show")
    assert r.exit_code == 0 and "unknown" in r.stdout and "b" in r.stdout


def test_clear_flags(invoke_cli, create_function, boto):
    create_function("fn")
    assert_clean_error(invoke_cli("concurrency", "clear", "fn", "--provisioned"), 2, contains="qualifier")
    assert_clean_error(invoke_cli("concurrency", "clear", "fn:live", "--reserved"), 2, contains="whole function")
    assert_clean_error(invoke_cli("concurrency", "clear", "fn", "--provisioned", "--qualifier", "$LATEST"), 2)


def test_estimate_cost_x86():
    from lambdactl.core.resources.concurrency import estimate_cost

    c = estimate_cost(1024, 10, "x86_64")
    assert c["gb_seconds_per_hour"] == 36000
    assert c["usd_per_hour"] == pytest.approx(36000 * 0.0000041667, rel=1e-4)
    assert c["usd_per_month"] == pytest.approx(36000 * 0.0000041667 * 730, abs=0.01)
    assert "estimate" in c["text"] and "x86_64" in c["text"]


# --- the deploy planner -------------------------------------------------------------------------

PROJECT = '[function]\nname = "fn"\nruntime = "python3.12"\nhandler = "app.handler"\n'


def _ctx(text: str, current: dict | None, **options):
    from lambdactl import config
    from lambdactl.aws import session
    from lambdactl.core.resources.plan import DeployContext

    return DeployContext(aws=session(), project=config.loads(text), function_name="fn",
                         current=current, options=options)


def test_plan_concurrency_reserved(create_function, boto):
    from lambdactl.core.resources.concurrency import plan_concurrency
    from lambdactl.core.resources.plan import Executor

    cfg = create_function("fn")
    boto("lambda").put_function_concurrency(FunctionName="fn", ReservedConcurrentExecutions=5)
    ctx = _ctx(PROJECT + "[concurrency]\nreserved = 20\n", cfg)
    steps = plan_concurrency(ctx)
    assert len(steps) == 1
    st = steps[0]
    assert (st.area, st.action) == ("concurrency", "update")
    assert [c.to_dict() for c in st.changes] == [{"field": "reserved_concurrency", "before": 5, "after": 20}]
    Executor().run(ctx, steps)
    assert reserved_of(boto, "fn") == 20
    assert plan_concurrency(_ctx(PROJECT + "[concurrency]\nreserved = 20\n", cfg)) == []    # equal: no steps


def test_plan_concurrency_unmanaged_and_new_function(create_function):
    from lambdactl.aws import CALLS
    from lambdactl.core.resources.concurrency import plan_concurrency

    cfg = create_function("fn")
    assert plan_concurrency(_ctx(PROJECT, cfg)) == []                                # no [concurrency]
    assert plan_concurrency(_ctx(PROJECT + "[concurrency]\nreserved = 3\n", cfg, code_only=True)) == []
    CALLS.clear()
    steps = plan_concurrency(_ctx(PROJECT + "[concurrency]\nreserved = 3\n", None))   # to be created
    assert [(s.action, s.changes[0].before, s.changes[0].after) for s in steps] == [("create", None, 3)]
    assert CALLS.calls == []                                                          # nothing read


def test_plan_concurrency_provisioned(stubbed, fn_with_alias, boto):
    """ListProvisionedConcurrencyConfigs stubbed: live has 2 (file wants 5), version 2 has 1 and
    is not in the file, which lists ``provisioned`` → update live, remove version 2."""
    from lambdactl.core.resources.concurrency import plan_concurrency

    sess, stub = stubbed
    cfg = boto("lambda").get_function_configuration(FunctionName="fn")
    stub.add_response("list_provisioned_concurrency_configs", {"ProvisionedConcurrencyConfigs": [
        prov(2, arn=f"{ARN}:fn:live"), prov(1, arn=f"{ARN}:fn:2")]})
    text = PROJECT + "[concurrency]\n[[concurrency.provisioned]]\nalias = \"live\"\ncount = 5\n"
    steps = plan_concurrency(_ctx(text, cfg))
    assert [(s.action, s.target, s.changes[0].before, s.changes[0].after) for s in steps] == [
        ("update", "alias live", 2, 5), ("delete", "version 2", 1, None)]
    stub.add_response("list_provisioned_concurrency_configs", {"ProvisionedConcurrencyConfigs": [
        prov(5, arn=f"{ARN}:fn:live")]})
    assert plan_concurrency(_ctx(text, cfg)) == []
    stub.assert_no_pending_responses()
