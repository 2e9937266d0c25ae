"""alias list/show/set/delete/shift/promote/rollback and the deploy alias planner, against moto."""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from tests.conftest import SAMPLE_HANDLER, assert_clean_error


# --- helpers ------------------------------------------------------------------------------

def _publish_n(create_function, boto, make_zip, n: int, name: str = "fn") -> None:
    """Create ``name`` and publish versions 1..n (each with different code)."""
    create_function(name)
    lam = boto("lambda")
    lam.publish_version(FunctionName=name)
    for i in range(2, n + 1):
        lam.update_function_code(FunctionName=name,
                                 ZipFile=make_zip({"app.py": SAMPLE_HANDLER + f"\n# v{i}\n"}))
        lam.publish_version(FunctionName=name)


def _alias(boto, name="live", fn="fn"):
    a = boto("lambda").get_alias(FunctionName=fn, Name=name)
    return a["FunctionVersion"], (a.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}


def _session():
    from lambdactl.aws import AwsSession
    from lambdactl.settings import Settings

    return AwsSession(Settings())


def _put_metrics(boto, fn, alias, version, *, errors: float, invocations: float) -> None:
    dims = [{"Name": "FunctionName", "Value": fn}, {"Name": "Resource", "Value": f"{fn}:{alias}"},
            {"Name": "ExecutedVersion", "Value": str(version)}]
    now = dt.datetime.now(dt.timezone.utc)
    boto("cloudwatch").put_metric_data(Namespace="AWS/Lambda", MetricData=[
        {"MetricName": "Errors", "Dimensions": dims, "Value": errors, "Unit": "Count", "Timestamp": now},
        {"MetricName": "Invocations", "Dimensions": dims, "Value": invocations, "Unit": "Count", "Timestamp": now},
    ])


@pytest.fixture
def two_versions(create_function, boto, make_zip):
    _publish_n(create_function, boto, make_zip, 2)
    return "fn"


# --- set / list / show / delete -----------------------------------------------------------

def test_alias_set_creates_updates_and_reports_unchanged(invoke_cli, two_versions, boto):
    r = invoke_cli("alias", "set", "fn", "live", "--version", "1", "--description", "prod", "-o", "json")
    assert r.exit_code == 0, r.stderr
    d = r.json()
    assert d["status"] == "created" and d["before"] is None and d["after"] == {"1": 100}
    assert _alias(boto) == ("1", {})
    assert boto("lambda").get_alias(FunctionName="fn", Name="live")["Description"] == "prod"

    r = invoke_cli("alias", "set", "fn", "live", "--version", "1")
    assert r.exit_code == 0 and "unchanged" in r.stderr
    assert "unchanged" in r.stdout and "1 (100%)" in r.stdout

    r = invoke_cli("alias", "set", "fn", "live", "--version", "1", "--weight", "2=10%", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "updated" and r.json()["after"] == {"1": 90, "2": 10}
    assert _alias(boto) == ("1", {"2": 0.1})
    # kept, followed by the rollback record (issue 17)
    assert boto("lambda").get_alias(FunctionName="fn", Name="live")["Description"] == "prod [lambdactl: was 1, now 1+2@10%]"
    assert invoke_cli("alias", "show", "fn", "live", "-o", "json").json()["description"] == "prod"

    r = invoke_cli("alias", "set", "fn", "live", "--version", "1", "--weight", "2=10", "-o", "json")
    assert r.json()["status"] == "unchanged"

    r = invoke_cli("alias", "set", "fn", "live", "--version", "2")          # routing exactly as given
    assert r.exit_code == 0, r.stderr
    assert "before" in r.stdout and "1 (90%) + 2 (10%)" in r.stdout and "2 (100%)" in r.stdout
    assert _alias(boto) == ("2", {})


def test_alias_list_and_show_json(invoke_cli, two_versions, boto):
    r = invoke_cli("alias", "list", "fn", "-o", "json")
    assert r.exit_code == 0 and r.json() == []
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1",
                                RoutingConfig={"AdditionalVersionWeights": {"2": 0.05}})
    boto("lambda").create_alias(FunctionName="fn", Name="beta", FunctionVersion="2", Description="b")
    r = invoke_cli("alias", "list", "fn", "-o", "json")
    assert r.exit_code == 0, r.stderr
    data = r.json()
    assert [a["name"] for a in data] == ["beta", "live"]
    live = data[1]
    assert live["version"] == "1" and live["canary_version"] == "2" and live["canary_percent"] == 5
    assert live["routes"] == {"1": 95, "2": 5}
    assert live["arn"].endswith(":function:fn:live")
    assert data[0]["canary_version"] is None and data[0]["description"] == "b"
    r = invoke_cli("alias", "list", "fn")
    assert "NAME" in r.stdout and "1 (95%) + 2 (5%)" in r.stdout
    r = invoke_cli("alias", "show", "fn", "live", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["routes"] == {"1": 95, "2": 5} and r.json()["name"] == "live"
    r = invoke_cli("alias", "show", "fn", "beta")
    assert r.exit_code == 0 and "version" in r.stdout and "beta" in r.stdout
    r = invoke_cli("-q", "alias", "list", "fn")
    assert r.stdout.split() == ["beta", "live"]


def test_alias_uses_the_project_function(invoke_cli, two_versions, boto, project_dir):
    (project_dir / "lambdactl.toml").write_text(
        '[function]\nname = "fn"\nruntime = "python3.12"\nhandler = "app.handler"\n')
    r = invoke_cli("alias", "set", "live", "--version", "2", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert _alias(boto) == ("2", {})
    r = invoke_cli("alias", "show", "live", "-o", "json")
    assert r.json()["version"] == "2"
    r = invoke_cli("alias", "list", "-o", "json")
    assert [a["name"] for a in r.json()] == ["live"]


@pytest.mark.parametrize("args, contains", [
    (["--version", "1", "--weight", "2=101"], "0 to 100"),
    (["--version", "1", "--weight", "2=-5"], "0 to 100"),
    (["--version", "1", "--weight", "2=ten"], "percentage"),
    (["--version", "1", "--weight", "2"], "VERSION=PERCENT"),
    (["--version", "1", "--weight", "$LATEST=10"], "$LATEST"),
    (["--version", "1", "--weight", "x=10"], "version number"),
    (["--version", "1", "--weight", "2=10", "--weight", "3=5"], "single additional version"),
    (["--version", "1", "--weight", "2=10,3=5"], "single additional version"),
    (["--version", "1", "--weight", "1=10"], "must differ"),
    (["--version", "$LATEST"], "$LATEST"),
    (["--version", "abc"], "version number"),
    (["--version", "0"], "version number"),
    ([], "--version"),
])
def test_alias_set_validation_exits_2_before_any_call(invoke_cli, two_versions, boto, args, contains):
    from lambdactl.aws import CALLS

    CALLS.clear()
    r = invoke_cli("alias", "set", "fn", "live", *args)
    assert_clean_error(r, 2, contains=contains)
    assert CALLS.calls == []                      # validated before any AWS call
    assert boto("lambda").list_aliases(FunctionName="fn")["Aliases"] == []


def test_alias_bad_name_exits_2(invoke_cli, two_versions):
    assert_clean_error(invoke_cli("alias", "set", "fn", "123", "--version", "1"), 2, contains="alias name")
    assert_clean_error(invoke_cli("alias", "show", "fn", "bad name"), 2, contains="alias name")
    assert_clean_error(invoke_cli("alias", "show"), 2, contains="ALIAS")
    assert_clean_error(invoke_cli("alias", "show", "fn", "live", "extra"), 2, contains="too many")


def test_alias_missing_versions_and_aliases_exit_3(invoke_cli, two_versions, boto):
    r = invoke_cli("alias", "set", "fn", "live", "--version", "9")
    assert_clean_error(r, 3, contains="version 9")
    r = invoke_cli("alias", "set", "fn", "live", "--version", "1", "--weight", "7=10")
    assert_clean_error(r, 3, contains="version 7")
    assert boto("lambda").list_aliases(FunctionName="fn")["Aliases"] == []
    assert_clean_error(invoke_cli("alias", "set", "ghost", "live", "--version", "1"), 3, contains="ghost")
    assert_clean_error(invoke_cli("alias", "list", "ghost"), 3, contains="ghost")
    for cmd in (["show"], ["delete", "--yes"], ["promote", "--yes"], ["rollback"],
                ["shift", "--to", "2", "--percent", "10", "--yes"]):
        r = invoke_cli("alias", cmd[0], "fn", "nope", *cmd[1:])
        assert_clean_error(r, 3, contains="alias not found: nope")
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    assert_clean_error(invoke_cli("alias", "shift", "fn", "live", "--to", "5", "--percent", "10", "--yes"),
                       3, contains="version 5")
    assert_clean_error(invoke_cli("alias", "rollback", "fn", "live", "--to", "5"), 3, contains="version 5")
    assert _alias(boto) == ("1", {})


def test_alias_delete_asks_then_deletes(invoke_cli, two_versions, boto):
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    assert_clean_error(invoke_cli("alias", "delete", "fn", "live"), 2, contains="--yes")
    assert _alias(boto) == ("1", {})
    r = invoke_cli("alias", "delete", "fn", "live", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "deleted" and r.json()["before"] == {"1": 100}
    assert boto("lambda").list_aliases(FunctionName="fn")["Aliases"] == []
    assert_clean_error(invoke_cli("alias", "delete", "fn", "live", "--yes"), 3)


# --- the canary flow ----------------------------------------------------------------------

def test_full_canary_flow_publish_shift_promote_rollback(invoke_cli, create_function, boto, make_zip):
    create_function("fn")
    r = invoke_cli("publish", "fn", "-o", "json")
    assert r.json()["version"] == "1"
    assert invoke_cli("alias", "set", "fn", "live", "--version", "1").exit_code == 0
    assert _alias(boto) == ("1", {})
    boto("lambda").update_function_code(FunctionName="fn",
                                        ZipFile=make_zip({"app.py": SAMPLE_HANDLER + "\n# new\n"}))
    r = invoke_cli("publish", "fn", "-o", "json")
    assert r.json()["version"] == "2" and r.json()["status"] == "published"

    assert_clean_error(invoke_cli("alias", "shift", "fn", "live", "--to", "2", "--percent", "10"), 2,
                       contains="--yes")                        # traffic shifts ask first
    r = invoke_cli("alias", "shift", "fn", "live", "--to", "2", "--percent", "10", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "shifted"
    assert r.json()["before"] == {"1": 100} and r.json()["after"] == {"1": 90, "2": 10}
    assert _alias(boto) == ("1", {"2": 0.1})

    r = invoke_cli("alias", "promote", "fn", "live", "--yes")
    assert r.exit_code == 0, r.stderr
    assert "1 (90%) + 2 (10%)" in r.stdout and "2 (100%)" in r.stdout and "promoted" in r.stdout
    assert _alias(boto) == ("2", {})
    r = invoke_cli("alias", "promote", "fn", "live", "-o", "json")       # nothing to promote
    assert r.exit_code == 0 and r.json()["status"] == "unchanged"

    r = invoke_cli("alias", "rollback", "fn", "live", "--to", "1", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["before"] == {"2": 100} and r.json()["after"] == {"1": 100}
    assert r.json()["status"] == "rolled_back"
    assert _alias(boto) == ("1", {})

    # rollback without --to drops a canary
    assert invoke_cli("alias", "shift", "fn", "live", "--to", "2", "--percent", "25%", "--yes").exit_code == 0
    assert _alias(boto) == ("1", {"2": 0.25})
    r = invoke_cli("alias", "rollback", "fn", "live")
    assert r.exit_code == 0, r.stderr
    assert "1 (75%) + 2 (25%)" in r.stdout and "1 (100%)" in r.stdout
    assert _alias(boto) == ("1", {})
    r = invoke_cli("alias", "rollback", "fn", "live", "-o", "json")
    assert r.json()["status"] == "unchanged"


def test_shift_percent_100_promotes_and_rerun_is_unchanged(invoke_cli, two_versions, boto):
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    r = invoke_cli("alias", "shift", "fn", "live", "--to", "2", "--percent", "100", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "promoted"
    assert _alias(boto) == ("2", {})
    r = invoke_cli("alias", "shift", "fn", "live", "--to", "2", "--percent", "100", "--yes", "-o", "json")
    assert r.exit_code == 0 and r.json()["status"] == "unchanged"
    assert_clean_error(invoke_cli("alias", "shift", "fn", "live", "--to", "2", "--percent", "10", "--yes"), 2,
                       contains="already the primary")


def test_shift_without_to_moves_the_current_canary(invoke_cli, two_versions, boto):
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1",
                                RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
    r = invoke_cli("alias", "shift", "fn", "live", "--percent", "50", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert _alias(boto) == ("1", {"2": 0.5})
    boto("lambda").update_alias(FunctionName="fn", Name="live", FunctionVersion="1",
                                RoutingConfig={"AdditionalVersionWeights": {}})
    assert_clean_error(invoke_cli("alias", "shift", "fn", "live", "--percent", "50", "--yes"), 2, contains="--to")


@pytest.mark.parametrize("args, contains", [
    (["--to", "2"], "exactly one of"),
    (["--to", "2", "--percent", "10", "--steps", "10,100"], "exactly one of"),
    (["--to", "2", "--steps", "50,10"], "increase"),
    (["--to", "2", "--steps", "10,abc"], "percentage"),
    (["--to", "2", "--steps", "0,100"], "more than 0"),
    (["--to", "2", "--percent", "150"], "0 to 100"),
    (["--to", "2", "--steps", "10,100", "--interval", "5x"], "duration"),
    (["--to", "2", "--steps", "10,100", "--interval", "-1s"], "duration"),
    (["--to", "2", "--percent", "10", "--check-errors"], "--interval"),
    (["--to", "$LATEST", "--percent", "10"], "$LATEST"),
    (["--to", "2", "--percent", "10", "--check-errors", "--interval", "1s", "--max-error-rate", "x"],
     "--max-error-rate"),
])
def test_shift_validation_exits_2_before_any_call(invoke_cli, two_versions, boto, args, contains):
    from lambdactl.aws import CALLS

    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    CALLS.clear()
    r = invoke_cli("alias", "shift", "fn", "live", "--yes", *args)
    assert_clean_error(r, 2, contains=contains)
    assert CALLS.calls == []
    assert _alias(boto) == ("1", {})


def test_stepped_shift_with_tiny_interval_promotes(invoke_cli, two_versions, boto):
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    t0 = time.monotonic()
    r = invoke_cli("alias", "shift", "fn", "live", "--to", "2", "--steps", "10,50,100",
                   "--interval", "0.05s", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert time.monotonic() - t0 >= 0.1                  # waited between the steps
    d = r.json()
    assert d["status"] == "promoted"
    assert [s["percent"] for s in d["steps"]] == [10, 50, 100]
    assert d["steps"][0]["routes"] == {"1": 90, "2": 10}
    assert "[1/3] alias live: 1 (90%) + 2 (10%)" in r.stderr
    assert "[2/3] alias live: 1 (50%) + 2 (50%)" in r.stderr
    assert "[3/3] alias live: 2 (100%)" in r.stderr
    assert _alias(boto) == ("2", {})


def test_stepped_shift_resumes_from_the_current_weight(invoke_cli, two_versions, boto):
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1",
                                RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}})
    r = invoke_cli("alias", "shift", "fn", "live", "--to", "2", "--steps", "10,25,50,100",
                   "--interval", "0.01s", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert [s["percent"] for s in r.json()["steps"]] == [50, 100]
    assert "resuming" in r.stderr
    assert _alias(boto) == ("2", {})


def test_stepped_shift_rolls_back_when_cloudwatch_errors_appear(invoke_cli, two_versions, boto):
    """Errors of the canary (ExecutedVersion=2 behind fn:live) are put into moto's CloudWatch;
    the --check-errors check reads them with get_metric_statistics and the shift rolls back."""
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    _put_metrics(boto, "fn", "live", "2", errors=3, invocations=10)
    r = invoke_cli("alias", "shift", "fn", "live", "--to", "2", "--steps", "10,50,100",
                   "--interval", "0.05s", "--check-errors", "--yes", "-o", "json")
    assert_clean_error(r, 1, contains="rolled back")
    assert "3 errors / 10 invocations" in r.stderr
    assert "[1/3]" in r.stderr and "[2/3]" not in r.stderr       # stopped at the first step
    assert _alias(boto) == ("1", {})                            # all traffic back on the primary


def test_check_errors_ignores_the_primary_and_honours_max_rate(invoke_cli, two_versions, boto):
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    _put_metrics(boto, "fn", "live", "1", errors=50, invocations=100)     # the primary's errors
    _put_metrics(boto, "fn", "live", "2", errors=1, invocations=100)      # canary: 1 %
    r = invoke_cli("alias", "shift", "fn", "live", "--to", "2", "--steps", "10,100",
                   "--interval", "0.02s", "--check-errors", "--max-error-rate", "2%", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    d = r.json()
    assert d["status"] == "promoted"
    check = d["steps"][0]["checks"][-1]
    assert check["ok"] is True and check["errors"] == 1 and check["invocations"] == 100
    assert check["error_rate"] == 1.0
    assert _alias(boto) == ("2", {})


def test_single_canary_with_interval_and_check(invoke_cli, two_versions, boto):
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    r = invoke_cli("alias", "shift", "fn", "live", "--to", "2", "--percent", "10", "--interval", "0.02s",
                   "--check-errors", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "shifted" and r.json()["steps"][0]["checks"][-1]["ok"] is True
    assert _alias(boto) == ("1", {"2": 0.1})


def test_shift_with_a_pluggable_check(two_versions, boto):
    """Any callable can be the health check; it sees the canary window and can stop the shift."""
    from lambdactl.core.resources.aliases import CheckResult, shift_alias
    from lambdactl.errors import OperationError

    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    seen = []

    def check(window):
        seen.append((window.version, window.percent, window.alias))
        assert _alias(boto) == ("1", {"2": window.percent / 100})   # checked while routed
        return CheckResult(window.percent < 30, f"synthetic at {window.percent}%")

    progress = []
    with pytest.raises(OperationError) as exc:
        shift_alias(_session(), "fn", "live", to="2", steps=[10, 30, 100], interval=0.01, check=check,
                    progress=progress.append)
    assert exc.value.exit_code == 1 and "synthetic at 30%" in exc.value.message
    assert ("2", 10, "live") in seen and ("2", 30, "live") in seen
    assert any("rolled back" in p for p in progress)
    assert _alias(boto) == ("1", {})


# --- parsing ------------------------------------------------------------------------------

def test_parsers():
    from lambdactl.core.resources.aliases import parse_duration, parse_percent, parse_steps, parse_weights
    from lambdactl.errors import UsageError

    assert parse_duration("5m") == 300 and parse_duration("1h") == 3600 and parse_duration("30s") == 30
    assert parse_duration("0.05s") == pytest.approx(0.05) and parse_duration("250ms") == pytest.approx(0.25)
    assert parse_duration("1m30s") == 90 and parse_duration("90") == 90
    for bad in ("", "5x", "m", "1.2.3s", "-1s", "5 minutes"):
        with pytest.raises(UsageError):
            parse_duration(bad)
    assert parse_percent("10") == 10 and parse_percent("10%") == 10 and parse_percent("2.5") == 2.5
    assert parse_steps("10, 25%,50,100") == [10, 25, 50, 100]
    assert parse_weights(["8=10%"]) == ("8", 10) and parse_weights(None) is None


# --- deploy planner -----------------------------------------------------------------------

def _ctx(boto, toml_aliases: str = "", **options):
    from lambdactl.config import loads
    from lambdactl.core.resources.plan import DeployContext

    project = loads('[function]\nname = "fn"\nruntime = "python3.12"\nhandler = "app.handler"\n' + toml_aliases)
    current = boto("lambda").get_function_configuration(FunctionName="fn")
    return DeployContext(aws=_session(), project=project, function_name="fn", current=current, options=options)


def test_plan_aliases_published_version_from_the_publish_step(two_versions, boto):
    from lambdactl.core.resources.aliasplan import plan_aliases
    from lambdactl.core.resources.plan import Executor

    ctx = _ctx(boto, '[[aliases]]\nname = "live"\nversion = "published"\n', publish=True)
    steps = plan_aliases(ctx)
    assert [(s.area, s.action, s.target) for s in steps] == [("alias", "create", "alias live")]
    assert "version this deploy publishes" in steps[0].description
    ctx.state["published_version"] = "2"            # what the publish step records
    Executor().run(ctx, steps)
    assert _alias(boto) == ("2", {})
    assert steps[0].detail["result"] == "created"


def test_plan_aliases_without_publish_uses_newest_and_is_idempotent(two_versions, boto):
    from lambdactl.core.resources.aliasplan import plan_aliases
    from lambdactl.core.resources.plan import Executor

    toml = '[[aliases]]\nname = "live"\n\n[[aliases]]\nname = "stable"\nversion = 1\ndescription = "s"\n'
    ctx = _ctx(boto, toml)
    steps = plan_aliases(ctx)
    assert sorted(s.target for s in steps) == ["alias live", "alias stable"]
    Executor().run(ctx, steps)
    assert _alias(boto, "live") == ("2", {}) and _alias(boto, "stable") == ("1", {})
    assert plan_aliases(_ctx(boto, toml)) == []      # nothing differs any more


def test_plan_aliases_canary_keeps_primary(two_versions, boto):
    from lambdactl.core.resources.aliasplan import plan_aliases
    from lambdactl.core.resources.plan import Executor

    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    ctx = _ctx(boto, publish=True, alias="live", canary=10)
    steps = plan_aliases(ctx)
    assert len(steps) == 1 and "canary 10%" in steps[0].description
    ctx.state["published_version"] = "2"
    Executor().run(ctx, steps)
    assert _alias(boto) == ("1", {"2": 0.1})


def test_plan_aliases_skips_and_errors(create_function, boto, capsys):
    from lambdactl.core.resources.aliasplan import plan_aliases
    from lambdactl.errors import NotFoundError, UsageError

    create_function("fn")
    ctx = _ctx(boto, '[[aliases]]\nname = "live"\n')
    assert plan_aliases(ctx) == []
    assert any("no published version" in w for w in ctx.state["warnings"])   # the CLI shows the plan's warnings
    with pytest.raises(NotFoundError):
        plan_aliases(_ctx(boto, '[[aliases]]\nname = "live"\nversion = 4\n'))
    with pytest.raises(UsageError):
        plan_aliases(_ctx(boto, alias="live", canary="150"))
    with pytest.raises(UsageError):
        plan_aliases(_ctx(boto, canary=10))


def test_shift_rerun_with_same_percent_is_unchanged(invoke_cli, two_versions, boto):
    from lambdactl.aws import CALLS

    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1",
                                RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
    CALLS.clear()
    r = invoke_cli("alias", "shift", "fn", "live", "--to", "2", "--percent", "10", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "unchanged" and "unchanged" in r.stderr
    assert CALLS.count("UpdateAlias") == 0
    assert _alias(boto) == ("1", {"2": 0.1})


def test_alias_set_without_version_keeps_the_primary_of_an_existing_alias(invoke_cli, two_versions, boto):
    """'alias set FUNCTION live --weight 2=10' adds a canary to an existing alias (review fix)."""
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    r = invoke_cli("alias", "set", "fn", "live", "--weight", "2=10", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "updated" and r.json()["after"] == {"1": 90, "2": 10}
    assert _alias(boto) == ("1", {"2": 0.1})
    # a description-only change keeps the routing
    r = invoke_cli("alias", "set", "fn", "live", "--description", "prod", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert _alias(boto) == ("1", {"2": 0.1})
    assert boto("lambda").get_alias(FunctionName="fn", Name="live")["Description"].startswith("prod [lambdactl: was 1,")
    assert invoke_cli("alias", "show", "fn", "live", "-o", "json").json()["description"] == "prod"
    # a new alias still needs --version
    assert_clean_error(invoke_cli("alias", "set", "fn", "beta", "--weight", "2=10"), 2, contains="--version")
    assert [a["Name"] for a in boto("lambda").list_aliases(FunctionName="fn")["Aliases"]] == ["live"]
    assert_clean_error(invoke_cli("alias", "set", "fn", "live"), 2, contains="--version")


# --- issue 17: rollback restores what the last lambdactl change replaced (recorded in AWS) ---

def _raw_description(boto, name="live", fn="fn") -> str:
    return boto("lambda").get_alias(FunctionName=fn, Name=name).get("Description") or ""


def test_rollback_after_promote_restores_the_previous_version(invoke_cli, two_versions, boto, run_lambdactl,
                                                               tmp_path):
    """Issue 17: 'alias rollback' after 'alias promote' said "unchanged" and exited 0. The record
    of the previous routing lives in the alias description on the server: a rollback run with an
    empty local state (another machine) reads it back from moto."""
    assert invoke_cli("alias", "set", "fn", "live", "--version", "1", "--description", "prod traffic").exit_code == 0
    r = invoke_cli("alias", "shift", "fn", "live", "--to", "2", "--percent", "10", "--yes")
    assert r.exit_code == 0, r.stderr
    r = invoke_cli("alias", "promote", "fn", "live", "--yes")
    assert r.exit_code == 0, r.stderr
    assert _alias(boto) == ("2", {})
    raw = _raw_description(boto)
    assert raw.startswith("prod traffic") and "lambdactl" in raw        # user text first, readable
    shown = invoke_cli("alias", "show", "fn", "live", "-o", "json").json()
    assert shown["description"] == "prod traffic" and shown["previous"] == {"1": 100}

    other = tmp_path / "other-machine"
    env = {"LAMBDACTL_STATE_DIR": str(other / "state"), "LAMBDACTL_CACHE_DIR": str(other / "cache"),
           "HOME": str(other)}
    p = run_lambdactl("alias", "rollback", "fn", "live", "-o", "json", env=env)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["status"] == "rolled_back" and d["before"] == {"2": 100} and d["after"] == {"1": 100}
    assert _alias(boto) == ("1", {})
    assert invoke_cli("alias", "show", "fn", "live", "-o", "json").json()["description"] == "prod traffic"

    # Rolling back twice does not ping-pong: the second one says what happened and changes nothing.
    r = invoke_cli("alias", "rollback", "fn", "live")
    assert r.exit_code == 0, r.stderr
    assert "unchanged" in r.stderr and "already rolled back" in r.stderr and "--version 2" in r.stderr
    assert _alias(boto) == ("1", {})
    assert invoke_cli("alias", "show", "fn", "live", "-o", "json").json()["rolled_back_from"] == {"2": 100}
    # Going forward again is an explicit change; after it, rollback goes back again.
    assert invoke_cli("alias", "set", "fn", "live", "--version", "2").exit_code == 0
    assert invoke_cli("alias", "rollback", "fn", "live").exit_code == 0
    assert _alias(boto) == ("1", {})


def test_rollback_record_written_by_another_machine_is_used(invoke_cli, two_versions, boto):
    """The record is read from AWS only: an alias whose description carries a record (as written
    by lambdactl elsewhere) rolls back without any local state."""
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="2",
                                Description="orders [lambdactl: was 1+2@25%, now 2]")
    r = invoke_cli("alias", "rollback", "fn", "live", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["after"] == {"1": 75, "2": 25}
    assert _alias(boto) == ("1", {"2": 0.25})
    assert _raw_description(boto).startswith("orders [lambdactl: rolled back from 2, now 1+2@25%]")


def test_rollback_after_alias_set_and_shift_steps(invoke_cli, create_function, boto, make_zip):
    _publish_n(create_function, boto, make_zip, 3)
    for v in ("1", "2", "3"):
        assert invoke_cli("alias", "set", "fn", "live", "--version", v).exit_code == 0
    r = invoke_cli("alias", "rollback", "fn", "live", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["after"] == {"2": 100}                     # the previous version, not the primary
    # A stepped shift is one change: rollback returns to the routing before the shift started.
    r = invoke_cli("alias", "shift", "fn", "live", "--to", "3", "--steps", "10,50,100", "--interval", "0.01s", "--yes")
    assert r.exit_code == 0, r.stderr
    assert _alias(boto) == ("3", {})
    assert invoke_cli("alias", "rollback", "fn", "live").exit_code == 0
    assert _alias(boto) == ("2", {})
    # rollback --to N still works, and counts as a rollback (a plain one afterwards changes nothing)
    r = invoke_cli("alias", "rollback", "fn", "live", "--to", "1", "-o", "json")
    assert r.exit_code == 0 and r.json()["after"] == {"1": 100}
    r = invoke_cli("alias", "rollback", "fn", "live", "-o", "json")
    assert r.exit_code == 0 and r.json()["status"] == "unchanged"
    assert _alias(boto) == ("1", {})


def test_rollback_without_a_record_exits_1_with_a_hint(invoke_cli, two_versions, boto):
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="2")
    r = invoke_cli("alias", "rollback", "fn", "live")
    assert_clean_error(r, 1, contains="--to")
    assert "hint:" in r.stderr
    assert _alias(boto) == ("2", {})
    # A record made stale by a change outside lambdactl is not trusted.
    boto("lambda").update_alias(FunctionName="fn", Name="live", FunctionVersion="2",
                                Description="x [lambdactl: was 1, now 2]")
    boto("lambda").update_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    r = invoke_cli("alias", "rollback", "fn", "live")
    assert_clean_error(r, 1, contains="--to")
    assert "outside lambdactl" in r.stderr
    assert _alias(boto) == ("1", {})
    # Without a record, a canary is still dropped (all traffic to the primary).
    boto("lambda").update_alias(FunctionName="fn", Name="live", FunctionVersion="1", Description="",
                                RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}})
    r = invoke_cli("alias", "rollback", "fn", "live", "-o", "json")
    assert r.exit_code == 0 and r.json()["after"] == {"1": 100}
    # A recorded version that was deleted since: a clear not-found, nothing changed.
    boto("lambda").update_alias(FunctionName="fn", Name="live", FunctionVersion="1",
                                Description="[lambdactl: was 9, now 1]")
    assert_clean_error(invoke_cli("alias", "rollback", "fn", "live"), 3, contains="version 9")
    assert _alias(boto) == ("1", {})


def test_deploy_alias_and_canary_record_the_previous_routing(invoke_cli, two_versions, boto):
    """deploy --alias / --canary (the planner's apply step) records too."""
    from lambdactl.core.resources.aliasplan import plan_aliases
    from lambdactl.core.resources.plan import Executor

    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1", Description="d")
    ctx = _ctx(boto, publish=True, alias="live", canary=10)
    steps = plan_aliases(ctx)
    ctx.state["published_version"] = "2"
    Executor().run(ctx, steps)
    assert _alias(boto) == ("1", {"2": 0.1})
    ctx = _ctx(boto, publish=True, alias="live")                # deploy --alias live: all traffic to 2
    steps = plan_aliases(ctx)
    ctx.state["published_version"] = "2"
    Executor().run(ctx, steps)
    assert _alias(boto) == ("2", {})
    r = invoke_cli("alias", "rollback", "fn", "live", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["after"] == {"1": 100}                      # before the release, not the canary
    assert invoke_cli("alias", "show", "fn", "live", "-o", "json").json()["description"] == "d"
    # The project file's description is compared without the record: nothing to do.
    toml = '[[aliases]]\nname = "live"\nversion = 1\ndescription = "d"\n'
    assert plan_aliases(_ctx(boto, toml)) == []


def test_alias_description_leaves_room_for_the_record(invoke_cli, two_versions, boto):
    from lambdactl.core.resources.aliases import MAX_USER_DESCRIPTION

    r = invoke_cli("alias", "set", "fn", "live", "--version", "1", "--description", "x" * (MAX_USER_DESCRIPTION + 1))
    assert_clean_error(r, 2, contains="--description")
    assert boto("lambda").list_aliases(FunctionName="fn")["Aliases"] == []
    # An alias with a long description written elsewhere: the user text is shortened to fit, with a warning.
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1", Description="y" * 256)
    r = invoke_cli("alias", "set", "fn", "live", "--version", "2")
    assert r.exit_code == 0, r.stderr
    assert "warning:" in r.stderr and "shortened" in r.stderr
    raw = _raw_description(boto)
    assert len(raw) <= 256 and raw.startswith("y" * 100)
    assert invoke_cli("alias", "rollback", "fn", "live").exit_code == 0
    assert _alias(boto) == ("1", {})


def test_deploy_canary_on_the_first_release_warns(invoke_cli, project_dir, boto):
    """Issue 17: 'deploy --canary' with no alias yet silently sent 100 %."""
    (project_dir / "src").mkdir()
    (project_dir / "src" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    (project_dir / "lambdactl.toml").write_text(
        '[function]\nname = "canary-fn"\nruntime = "python3.12"\nhandler = "app.handler"\nsource = "src"\n')
    r = invoke_cli("deploy", "--alias", "live", "--canary", "10", "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert "warning:" in r.stderr and "nothing to canary against" in r.stderr
    r = invoke_cli("deploy", "--alias", "live", "--canary", "10")
    assert r.exit_code == 0, r.stderr
    assert sum(1 for line in r.stderr.splitlines() if "nothing to canary against" in line) == 1
    assert "100%" in r.stderr
    a = boto("lambda").get_alias(FunctionName="canary-fn", Name="live")
    assert a["FunctionVersion"] == "1" and not (a.get("RoutingConfig") or {}).get("AdditionalVersionWeights")
    # With an alias to canary against: no warning, the canary is set.
    (project_dir / "src" / "app.py").write_text("def handler(event, context):\n    return 2\n")
    r = invoke_cli("deploy", "--alias", "live", "--canary", "10")
    assert r.exit_code == 0, r.stderr
    assert "nothing to canary against" not in r.stderr
    a = boto("lambda").get_alias(FunctionName="canary-fn", Name="live")
    assert a["FunctionVersion"] == "1" and a["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.1}


def test_export_and_adopt_show_the_users_alias_description_without_the_record(invoke_cli, two_versions, boto):
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="2",
                                Description="orders [lambdactl: was 1, now 2]")
    r = invoke_cli("export", "fn", "--format", "cloudformation", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert "lambdactl: was" not in r.stdout and "orders" in r.stdout
    from lambdactl.core.resources.adopt import live_project            # init --from: the project file's [[aliases]]

    doc, _notes = live_project(_session(), "fn")
    assert doc["aliases"] == [{"name": "live", "version": "2", "description": "orders"}]


# --- [[aliases]] routing: a canary's weight in the project file ------------------------------

def test_deploy_project_routing_sets_the_weight_and_a_rerun_is_unchanged(invoke_cli, project_dir, boto):
    """routing = { "1" = 0.1 } on an alias at version 2: deploy sets the weight (read back from
    moto), diff --exit-code is 0 afterwards and a second deploy changes nothing."""
    (project_dir / "src").mkdir()
    app = project_dir / "src" / "app.py"
    base = '[function]\nname = "routed"\nruntime = "python3.12"\nhandler = "app.handler"\nsource = "src"\n'
    toml = project_dir / "lambdactl.toml"
    toml.write_text(base)
    for i in (1, 2):
        app.write_text(f"def handler(event, context):\n    return {i}\n")
        r = invoke_cli("deploy", "--publish")
        assert r.exit_code == 0, r.stderr
    toml.write_text(base + '\n[[aliases]]\nname = "live"\nversion = 2\nrouting = { "1" = 0.1 }\n')
    r = invoke_cli("diff", "-o", "json")
    steps = r.json()["steps"]
    assert [(s["area"], s["action"]) for s in steps] == [("alias", "create")], steps
    assert steps[0]["changes"][0]["after"] == "2 (90%) + 1 (10%)", steps
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    assert _alias(boto, fn="routed") == ("2", {"1": 0.1})
    r = invoke_cli("diff", "--exit-code", "-o", "json")
    assert r.exit_code == 0 and r.json()["steps"] == [], (r.stdout, r.stderr)
    revision = boto("lambda").get_alias(FunctionName="routed", Name="live")["RevisionId"]
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    assert boto("lambda").get_alias(FunctionName="routed", Name="live")["RevisionId"] == revision
    # Another weight is an update; dropping routing ends the canary (today's behaviour without the key).
    toml.write_text(base + '\n[[aliases]]\nname = "live"\nversion = 2\nrouting = { "1" = 0.25 }\n')
    assert invoke_cli("deploy").exit_code == 0
    assert _alias(boto, fn="routed") == ("2", {"1": 0.25})
    toml.write_text(base + '\n[[aliases]]\nname = "live"\nversion = 2\n')
    assert invoke_cli("deploy").exit_code == 0
    assert _alias(boto, fn="routed") == ("2", {})


def test_plan_aliases_routing(two_versions, boto):
    from lambdactl.core.resources.aliasplan import plan_aliases
    from lambdactl.core.resources.plan import Executor
    from lambdactl.errors import NotFoundError, UsageError

    toml = '[[aliases]]\nname = "live"\nversion = 1\nrouting = { "2" = 0.05 }\n'
    ctx = _ctx(boto, toml)
    steps = plan_aliases(ctx)
    assert len(steps) == 1 and steps[0].description == "alias live: create at version 1, 5% to version 2"
    Executor().run(ctx, steps)
    assert _alias(boto) == ("1", {"2": 0.05})
    assert plan_aliases(_ctx(boto, toml)) == []
    # The version this deploy publishes, with a canary to an older one.
    ctx = _ctx(boto, '[[aliases]]\nname = "next"\nrouting = { "1" = 0.5 }\n', publish=True)
    steps = plan_aliases(ctx)
    assert steps[0].changes[0].after == "new (50%) + 1 (50%)"
    ctx.state["published_version"] = "2"
    Executor().run(ctx, steps)
    assert _alias(boto, "next") == ("2", {"1": 0.5})
    with pytest.raises(NotFoundError, match="aliases live.routing: version 7"):
        plan_aliases(_ctx(boto, '[[aliases]]\nname = "live"\nversion = 1\nrouting = { "7" = 0.1 }\n'))
    with pytest.raises(UsageError, match="own version"):   # "published" is version 2 here
        plan_aliases(_ctx(boto, '[[aliases]]\nname = "live"\nrouting = { "2" = 0.1 }\n'))


def test_adopt_writes_the_canary_as_routing(two_versions, boto):
    from lambdactl.config import dumps, loads
    from lambdactl.core.resources.adopt import live_project

    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1",
                                RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
    doc, notes = live_project(_session(), "fn")
    assert doc["aliases"] == [{"name": "live", "version": "1", "routing": {"2": 0.1}}]
    assert not any("canary" in n for n in notes), notes
    assert loads(dumps(doc)).aliases[0].routing == {"2": 0.1}
