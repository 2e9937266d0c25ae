"""publish / versions / versions prune against the moto server."""
from __future__ import annotations

import pytest

from tests.conftest import SAMPLE_HANDLER, assert_clean_error


def _versions(boto, name="fn"):
    vs = boto("lambda").list_versions_by_function(FunctionName=name)["Versions"]
    return sorted(int(v["Version"]) for v in vs if v["Version"] != "$LATEST")


def _new_code(boto, make_zip, name="fn", marker="2"):
    boto("lambda").update_function_code(FunctionName=name,
                                        ZipFile=make_zip({"app.py": SAMPLE_HANDLER + f"\n# {marker}\n"}))


def _session():
    from lambdactl.aws import AwsSession
    from lambdactl.settings import Settings

    return AwsSession(Settings())


# --- publish ------------------------------------------------------------------------------

def test_publish_twice_without_changes_creates_one_version(invoke_cli, create_function, boto):
    create_function("fn")
    r = invoke_cli("publish", "fn", "--description", "first", "-o", "json")
    assert r.exit_code == 0, r.stderr
    first = r.json()
    assert first["status"] == "published" and first["version"] == "1"
    assert first["description"] == "first"
    r = invoke_cli("publish", "fn", "-o", "json")
    assert r.exit_code == 0, r.stderr
    again = r.json()
    assert again["status"] == "unchanged" and again["version"] == "1"
    assert "identical to version 1" in r.stderr and "--force" in r.stderr
    assert _versions(boto) == [1]


def test_publish_after_a_change_creates_a_new_version(invoke_cli, create_function, boto, make_zip):
    create_function("fn")
    assert invoke_cli("publish", "fn").exit_code == 0
    boto("lambda").update_function_configuration(FunctionName="fn", MemorySize=256)
    r = invoke_cli("-q", "publish", "fn")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == "2"
    _new_code(boto, make_zip)
    r = invoke_cli("publish", "fn", "-o", "json")
    assert r.json()["status"] == "published" and r.json()["version"] == "3"
    assert _versions(boto) == [1, 2, 3]
    cfg = boto("lambda").get_function_configuration(FunctionName="fn", Qualifier="3")
    assert cfg["CodeSha256"] == boto("lambda").get_function_configuration(FunctionName="fn")["CodeSha256"]
    r = invoke_cli("publish", "fn", "-o", "json")
    assert r.exit_code == 0 and "unchanged" in r.stderr
    assert r.json()["version"] == "3" and r.json()["status"] == "unchanged"
    assert _versions(boto) == [1, 2, 3]


def test_publish_force_calls_publish_and_sends_guards(create_function, boto):
    """--force skips the comparison; the call carries the CodeSha256/RevisionId guards (captured
    with a botocore before-call handler on the real request to moto). Lambda (and moto) return
    the existing version for identical code+config, which is reported as unchanged."""
    from lambdactl.core.resources.versions import publish_version

    fn = create_function("fn")
    s = _session()
    sent = []
    s.client("lambda").meta.events.register(
        "before-parameter-build.lambda.PublishVersion", lambda params, **_: sent.append(dict(params)))
    assert publish_version(s, "fn")["status"] == "published"
    assert sent[-1]["CodeSha256"] == fn["CodeSha256"]
    res = publish_version(s, "fn")
    assert res["status"] == "unchanged" and len(sent) == 1      # compared, no call
    res = publish_version(s, "fn", force=True)
    assert len(sent) == 2 and sent[-1]["CodeSha256"] == fn["CodeSha256"]
    assert res["version"] == "1" and res["status"] == "unchanged"
    assert _versions(boto) == [1]


def test_publish_guard_failure_is_a_clear_error(create_function, boto):
    """moto does not validate publish guards, so the PreconditionFailed answer AWS gives when
    $LATEST changed under us is injected for that one PublishVersion call with a botocore
    before-call handler (the other calls go to moto)."""
    from lambdactl.core.resources.versions import publish_version
    from lambdactl.errors import OperationError

    create_function("fn")
    s = _session()

    class _Http:
        status_code = 412
        headers: dict = {}
        raw = None
        content = b""
        text = ""

    def fail(**_):
        return _Http(), {"Error": {"Code": "PreconditionFailedException",
                                   "Message": "The Revision Id provided does not match the latest Revision Id."},
                         "ResponseMetadata": {"HTTPStatusCode": 412}}

    s.client("lambda").meta.events.register("before-call.lambda.PublishVersion", fail)
    with pytest.raises(OperationError) as exc:
        publish_version(s, "fn")
    assert "changed while publishing" in exc.value.message
    assert _versions(boto) == []


def test_publish_errors(invoke_cli, create_function):
    assert_clean_error(invoke_cli("publish", "ghost"), 3, contains="ghost")
    create_function("fn")
    assert_clean_error(invoke_cli("publish", "fn", "--description", "x" * 300), 2, contains="256")
    assert_clean_error(invoke_cli("publish", "fn:live"), 2, contains="qualifier")


def test_publish_uses_the_project_function(invoke_cli, create_function, project_dir):
    create_function("proj-fn")
    (project_dir / "lambdactl.toml").write_text(
        '[function]\nname = "proj-fn"\nruntime = "python3.12"\nhandler = "app.handler"\n')
    r = invoke_cli("publish", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["function"] == "proj-fn"


def test_config_differences_ignore_noise():
    from lambdactl.core.resources.versions import config_differences

    base = {"CodeSha256": "abc", "Runtime": "python3.12", "Handler": "app.handler", "MemorySize": 128,
            "Timeout": 3, "Role": "r", "Environment": {"Variables": {"A": "1"}}, "Version": "$LATEST",
            "LastModified": "x", "RevisionId": "r1", "Description": "latest"}
    version = {**base, "Version": "4", "LastModified": "y", "RevisionId": "r2", "Description": "v4",
               "Architectures": ["x86_64"], "EphemeralStorage": {"Size": 512},
               "TracingConfig": {"Mode": "PassThrough"}, "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"}}
    assert config_differences(base, version) == []
    assert config_differences({**base, "Timeout": 4}, version) == ["timeout"]
    assert config_differences({**base, "Environment": {"Variables": {"A": "2"}}}, version) == ["environment"]
    assert config_differences({**base, "CodeSha256": "def"}, version) == ["code_sha256"]


# --- versions -----------------------------------------------------------------------------

def _three_versions(create_function, boto, make_zip, name="fn"):
    create_function(name, Description="d")
    lam = boto("lambda")
    lam.publish_version(FunctionName=name, Description="one")
    for i in (2, 3):
        _new_code(boto, make_zip, name, marker=str(i))
        lam.publish_version(FunctionName=name, Description=["", "", "two", "three"][i])


def test_versions_lists_with_alias_routing(invoke_cli, create_function, boto, make_zip):
    _three_versions(create_function, boto, make_zip)
    lam = boto("lambda")
    lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="2",
                     RoutingConfig={"AdditionalVersionWeights": {"3": 0.25}})
    lam.create_alias(FunctionName="fn", Name="stable", FunctionVersion="2")
    r = invoke_cli("versions", "fn", "-o", "json")        # default action: show
    assert r.exit_code == 0, r.stderr
    data = r.json()
    assert [v["version"] for v in data] == ["3", "2", "1"]
    by = {v["version"]: v for v in data}
    assert by["3"]["aliases"] == [{"name": "live", "percent": 25}]
    assert sorted(by["2"]["aliases"], key=lambda a: a["name"]) == [
        {"name": "live", "percent": 75}, {"name": "stable", "percent": 100}]
    assert by["1"]["aliases"] == [] and by["1"]["description"] == "one"
    assert by["3"]["code_sha256"] == lam.get_function_configuration(FunctionName="fn", Qualifier="3")["CodeSha256"]
    assert by["1"]["last_modified"].endswith("Z") and by["1"]["code_size"] > 0
    r = invoke_cli("versions", "show", "fn")
    assert r.exit_code == 0, r.stderr
    assert "VERSION" in r.stdout and "live (75%)" in r.stdout and "live (25%)" in r.stdout
    assert "three" in r.stdout
    r = invoke_cli("-q", "versions", "fn")
    assert r.stdout.split() == ["3", "2", "1"]


def test_versions_and_aliases_accept_a_function_arn(invoke_cli, create_function, boto, make_zip):
    """FUNCTION given as a full ARN (contract) works for versions / alias (moto answers ListAliases and
    ListVersionsByFunction called with an ARN with 'not found' / nothing; review fix)."""
    _three_versions(create_function, boto, make_zip)
    arn = boto("lambda").get_function_configuration(FunctionName="fn")["FunctionArn"]
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="2")
    r = invoke_cli("versions", arn, "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert [v["version"] for v in r.json()] == ["3", "2", "1"]
    r = invoke_cli("alias", "list", arn, "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert [a["name"] for a in r.json()] == ["live"]
    r = invoke_cli("alias", "set", arn, "live", "--version", "3", "--weight", "1=10", "-o", "json")
    assert r.exit_code == 0, r.stderr
    a = boto("lambda").get_alias(FunctionName="fn", Name="live")
    assert a["FunctionVersion"] == "3" and a["RoutingConfig"]["AdditionalVersionWeights"] == {"1": 0.1}
    assert_clean_error(invoke_cli("versions", arn.replace(":fn", ":ghost")), 3, contains="not found")


def test_versions_empty_and_missing(invoke_cli, create_function):
    create_function("fn")
    r = invoke_cli("versions", "fn", "-o", "json")
    assert r.exit_code == 0 and r.json() == []
    assert_clean_error(invoke_cli("versions", "ghost"), 3, contains="ghost")
    assert_clean_error(invoke_cli("versions", "show", "ghost"), 3)


# --- prune --------------------------------------------------------------------------------

def _five_versions(create_function, boto, make_zip):
    create_function("fn")
    lam = boto("lambda")
    lam.publish_version(FunctionName="fn")
    for i in range(2, 6):
        _new_code(boto, make_zip, "fn", marker=str(i))
        lam.publish_version(FunctionName="fn")
    assert _versions(boto) == [1, 2, 3, 4, 5]


def test_prune_never_deletes_a_routed_version(invoke_cli, create_function, boto, make_zip):
    _five_versions(create_function, boto, make_zip)
    lam = boto("lambda")
    # version 1: primary of live; version 2: canary of live at 0% still counts as routed
    lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.0}})
    sizes = {v["Version"]: v["CodeSize"] for v in lam.list_versions_by_function(FunctionName="fn")["Versions"]}
    r = invoke_cli("versions", "prune", "fn", "--keep", "1", "--dry-run", "-o", "json")
    assert r.exit_code == 0, r.stderr
    d = r.json()
    assert d["dry_run"] is True and d["deleted"] == []
    assert [v["version"] for v in d["would_delete"]] == ["4", "3"]
    assert d["freed_bytes"] == sizes["4"] + sizes["3"]
    assert _versions(boto) == [1, 2, 3, 4, 5]               # dry run deleted nothing
    assert "75 GB" in r.stderr and "would free" in r.stderr

    assert_clean_error(invoke_cli("versions", "prune", "fn", "--keep", "1"), 2, contains="--yes")
    assert _versions(boto) == [1, 2, 3, 4, 5]

    r = invoke_cli("versions", "prune", "fn", "--keep", "1", "--yes")
    assert r.exit_code == 0, r.stderr
    assert _versions(boto) == [1, 2, 5]
    assert "routed by alias live" in r.stdout and "deleted" in r.stdout
    assert "not among the 1 newest" in r.stdout       # why a version goes (not "older than the kept")
    assert "freed" in r.stderr and "75 GB" in r.stderr

    r = invoke_cli("versions", "prune", "fn", "--keep", "0", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert [v["version"] for v in r.json()["deleted"]] == ["5"]
    assert _versions(boto) == [1, 2]
    r = invoke_cli("versions", "prune", "fn", "--keep", "0", "--yes")
    assert r.exit_code == 0 and "unchanged" in r.stderr
    assert _versions(boto) == [1, 2]


def test_prune_rechecks_aliases_before_deleting(create_function, boto, make_zip):
    """A version that an alias starts routing to between planning and deleting survives."""
    from lambdactl.core.resources.versions import plan_prune, prune_versions

    _five_versions(create_function, boto, make_zip)
    s = _session()
    plan = plan_prune(s, "fn", 2)
    assert [v["version"] for v in plan["delete"]] == ["3", "2", "1"]
    boto("lambda").create_alias(FunctionName="fn", Name="beta", FunctionVersion="2")
    res = prune_versions(s, "fn", 2, plan=plan)
    assert [v["version"] for v in res["deleted"]] == ["3", "1"]
    assert _versions(boto) == [2, 4, 5]


def test_prune_validation(invoke_cli, create_function):
    create_function("fn")
    assert_clean_error(invoke_cli("versions", "prune", "fn"), 2, contains="--keep")
    assert_clean_error(invoke_cli("versions", "prune", "fn", "--keep", "-1"), 2, contains="--keep")
    assert_clean_error(invoke_cli("versions", "prune", "fn", "--keep", "many"), 2)
    assert_clean_error(invoke_cli("versions", "prune", "ghost", "--keep", "1", "--yes"), 3)


# --- issue 17: version numbers are never reused; versions show FUNCTION N; prune -q ----------

def test_version_numbers_are_never_reused_after_prune(invoke_cli, create_function, boto, make_zip):
    """Lambda never reuses a version number, even after the versions are deleted; moto did
    ('4 3 3 2'). The shared fidelity layer (core/run/motofixes.py) fixes it for the tests and the sandbox."""
    _five_versions(create_function, boto, make_zip)
    r = invoke_cli("versions", "prune", "fn", "--keep", "2", "--yes")
    assert r.exit_code == 0, r.stderr
    assert _versions(boto) == [4, 5]
    _new_code(boto, make_zip, "fn", marker="6")
    r = invoke_cli("publish", "fn", "-q")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == "6"
    assert invoke_cli("-q", "versions", "fn").stdout.split() == ["6", "5", "4"]
    # Even with every version deleted, the next one continues the sequence.
    assert invoke_cli("versions", "prune", "fn", "--keep", "0", "--yes").exit_code == 0
    assert _versions(boto) == []
    _new_code(boto, make_zip, "fn", marker="7")
    assert boto("lambda").publish_version(FunctionName="fn")["Version"] == "7"
    # A function deleted and created again starts over at 1, as on AWS.
    boto("lambda").delete_function(FunctionName="fn")
    create_function("fn")
    assert boto("lambda").publish_version(FunctionName="fn")["Version"] == "1"
    # create_function(Publish=True) counts too.
    create_function("other", Publish=True)
    _new_code(boto, make_zip, "other", marker="x")
    assert boto("lambda").publish_version(FunctionName="other")["Version"] == "2"


def test_prune_quiet_prints_only_the_deleted_versions(invoke_cli, create_function, boto, make_zip):
    _five_versions(create_function, boto, make_zip)
    boto("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    r = invoke_cli("versions", "prune", "fn", "--keep", "2", "--dry-run", "-q")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == ["3", "2"]              # would be deleted; kept ones not printed
    assert _versions(boto) == [1, 2, 3, 4, 5]
    r = invoke_cli("versions", "prune", "fn", "--keep", "2", "--yes", "-q")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == ["3", "2"]
    assert _versions(boto) == [1, 4, 5]
    r = invoke_cli("versions", "prune", "fn", "--keep", "2", "--yes", "-q")
    assert r.exit_code == 0 and r.stdout == ""              # nothing deleted: nothing printed


def test_versions_show_one_version(invoke_cli, create_function, boto, make_zip):
    """`versions show FUNCTION N` (and `versions FUNCTION N`): that version's configuration, code
    sha and the aliases routing to it."""
    create_function("fn", Environment={"Variables": {"STAGE": "prod", "API_TOKEN": "s3cret"}}, MemorySize=256)
    lam = boto("lambda")
    lam.publish_version(FunctionName="fn", Description="first")
    _new_code(boto, make_zip, "fn", marker="2")
    lam.publish_version(FunctionName="fn")
    lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
    lam.create_alias(FunctionName="fn", Name="stable", FunctionVersion="1")
    r = invoke_cli("versions", "show", "fn", "1", "-o", "json")
    assert r.exit_code == 0, r.stderr
    d = r.json()
    v1 = lam.get_function_configuration(FunctionName="fn", Qualifier="1")
    assert d["function"] == "fn" and d["version"] == "1" and d["description"] == "first"
    assert d["code_sha256"] == v1["CodeSha256"] and d["code_size"] == v1["CodeSize"]
    assert d["memory"] == 256 and d["runtime"] == "python3.12" and d["handler"] == "app.handler"
    assert d["arn"].endswith(":fn:1")
    assert d["environment"] == {"STAGE": "prod", "API_TOKEN": "****"}        # masked
    assert d["aliases"] == [{"name": "live", "percent": 90}, {"name": "stable", "percent": 100}]
    assert invoke_cli("versions", "show", "fn", "1", "--show-secrets", "-o", "json").json()["environment"][
        "API_TOKEN"] == "s3cret"
    r = invoke_cli("versions", "fn", "2")                   # the default action, table view
    assert r.exit_code == 0, r.stderr
    assert "live (10%)" in r.stdout and lam.get_function_configuration(
        FunctionName="fn", Qualifier="2")["CodeSha256"] in r.stdout
    assert invoke_cli("versions", "show", "fn:2", "-o", "json").json()["version"] == "2"
    assert invoke_cli("-q", "versions", "show", "fn", "2").stdout.strip() == "2"
    assert_clean_error(invoke_cli("versions", "show", "fn", "9"), 3, contains="version 9")
    assert_clean_error(invoke_cli("versions", "show", "fn", "x"), 2, contains="version")
    assert_clean_error(invoke_cli("versions", "show", "fn", "$LATEST"), 2)
    assert_clean_error(invoke_cli("versions", "show", "ghost", "1"), 3, contains="ghost")


@pytest.mark.parametrize("args", [("versions", "show", "2"), ("versions", "2"), ("versions", "show", "2", "-o", "json")])
def test_a_lone_number_is_a_usage_error_not_a_function(invoke_cli, create_function, args):
    """Issue 17: 'versions show 2' said "function not found: 2"."""
    create_function("fn")
    r = invoke_cli(*args)
    assert_clean_error(r, 2, contains="2")
    assert "function not found" not in r.stderr
    assert "versions show FUNCTION 2" in r.stderr


def test_a_lone_number_in_a_project_directory_names_the_project_function(invoke_cli, create_function, project_dir):
    (project_dir / "lambdactl.toml").write_text(
        '[function]\nname = "fn"\nruntime = "python3.12"\nhandler = "app.handler"\n')
    create_function("fn")
    r = invoke_cli("versions", "show", "3")
    assert_clean_error(r, 2, contains="'lambdactl versions show fn 3'")
