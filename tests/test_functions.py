"""The spine: ls / info / delete against the moto server, output formats, exit codes."""
from __future__ import annotations

import json

import pytest

from tests.conftest import assert_clean_error


def test_ls_empty_json(invoke_cli):
    r = invoke_cli("ls", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json() == []


def test_ls_lists_functions_in_all_formats(invoke_cli, create_function):
    create_function("alpha", MemorySize=256, Timeout=10)
    create_function("beta", Architectures=["arm64"])
    r = invoke_cli("ls", "-o", "json")
    assert r.exit_code == 0, r.stderr
    data = r.json()
    assert [f["name"] for f in data] == ["alpha", "beta"]
    assert data[0]["memory"] == 256 and data[0]["timeout"] == 10
    assert data[1]["architecture"] == "arm64"
    assert data[0]["last_modified"].endswith("Z")
    r = invoke_cli("ls")
    assert r.exit_code == 0
    assert "NAME" in r.stdout and "alpha" in r.stdout and "python3.12" in r.stdout
    r = invoke_cli("ls", "-o", "text")
    lines = r.stdout.strip().splitlines()
    assert lines[0].split("\t")[0] == "alpha" and len(lines) == 2
    r = invoke_cli("-q", "ls")
    assert r.stdout.split() == ["alpha", "beta"]


def test_ls_paginates(invoke_cli, create_function):
    for i in range(55):
        create_function(f"fn-{i:02d}")
    r = invoke_cli("--output", "json", "ls")
    assert r.exit_code == 0
    assert len(r.json()) == 55


def test_info_shows_configuration_and_masks_secrets(invoke_cli, create_function, boto):
    create_function("orders", Environment={"Variables": {"STAGE": "prod", "API_KEY": "s3cr3t"}})
    boto("lambda").publish_version(FunctionName="orders")
    boto("lambda").create_alias(FunctionName="orders", Name="live", FunctionVersion="1")
    boto("lambda").put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=7)
    r = invoke_cli("info", "orders", "-o", "json")
    assert r.exit_code == 0, r.stderr
    d = r.json()
    assert d["name"] == "orders"
    assert d["environment"] == {"STAGE": "prod", "API_KEY": "****"}
    assert d["versions"] == 1
    assert d["aliases"][0]["name"] == "live"
    assert d["reserved_concurrency"] == 7
    assert "s3cr3t" not in r.stdout
    r = invoke_cli("--show-secrets", "info", "orders", "-o", "json")
    assert r.json()["environment"]["API_KEY"] == "s3cr3t"
    r = invoke_cli("info", "orders")
    assert r.exit_code == 0 and "runtime" in r.stdout and "s3cr3t" not in r.stdout
    r = invoke_cli("info", "orders", "-o", "text")
    assert "name\torders" in r.stdout


def test_info_missing_function_exits_3(invoke_cli):
    r = invoke_cli("info", "nope")
    assert_clean_error(r, 3, contains="nope")


def test_info_bad_name_exits_2(invoke_cli):
    r = invoke_cli("info", "bad name!")
    assert_clean_error(r, 2)


def test_delete_requires_yes_when_not_a_tty(invoke_cli, create_function, boto):
    create_function("victim")
    r = invoke_cli("delete", "victim")
    assert_clean_error(r, 2, contains="--yes")
    assert boto("lambda").get_function(FunctionName="victim")
    r = invoke_cli("delete", "victim", "--yes")
    assert r.exit_code == 0, r.stderr
    names = [f["FunctionName"] for f in boto("lambda").list_functions()["Functions"]]
    assert "victim" not in names


def test_delete_missing_exits_3(invoke_cli):
    assert_clean_error(invoke_cli("delete", "ghost", "-y"), 3)


def test_bad_flag_exits_2(invoke_cli):
    assert_clean_error(invoke_cli("ls", "--no-such-flag"), 2, contains="--no-such-flag")


def test_bad_output_format_exits_2(invoke_cli):
    assert_clean_error(invoke_cli("ls", "-o", "yaml"), 2)


def test_no_region_exits_2(invoke_cli, monkeypatch):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    r = invoke_cli("ls")
    assert_clean_error(r, 2, contains="region")
    assert "AWS_REGION" in r.stderr


def test_verbose_logs_aws_calls_on_stderr(invoke_cli, create_function):
    create_function("one")
    r = invoke_cli("ls", "-v", "-o", "json")
    assert r.exit_code == 0
    assert "aws: lambda.ListFunctions 200" in r.stderr
    assert json.loads(r.stdout)[0]["name"] == "one"


def test_access_denied_hint_names_action():
    from botocore.exceptions import ClientError

    from lambdactl.errors import translate

    exc = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListFunctions")
    err = translate(exc)
    assert err.exit_code == 1 and "lambda:ListFunctions" in err.hint


def test_version_and_help(invoke_cli):
    r = invoke_cli("--version")
    assert r.exit_code == 0 and r.stdout.startswith("lambdactl ")
    r = invoke_cli("--help")
    assert r.exit_code == 0 and "ls" in r.stdout


def test_subprocess_ls_json_stdout_and_stderr_split(run_lambdactl, create_function):
    create_function("sub")
    p = run_lambdactl("ls", "-o", "json", "--verbose")
    assert p.returncode == 0, p.stderr
    assert [f["name"] for f in json.loads(p.stdout)] == ["sub"]
    assert "lambda.ListFunctions" in p.stderr and "lambda.ListFunctions" not in p.stdout


def test_subprocess_not_found_exit_code(run_lambdactl):
    p = run_lambdactl("info", "ghost")
    assert p.returncode == 3
    assert p.stdout == "" and p.stderr.startswith("error:") and "Traceback" not in p.stderr


def test_help_does_not_import_boto3():
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "lambdactl", "--help"],
                       capture_output=True, text=True)
    assert p.returncode == 0
    assert "botocore" not in p.stderr and "boto3" not in p.stderr
    assert "questionary" not in p.stderr
    assert "lambdactl.cli.deploy" not in p.stderr      # command modules load lazily


@pytest.mark.parametrize("args", [["ls", "-o"], ["ls", "--output"], ["-o"]])
def test_output_option_without_value_is_a_usage_error(invoke_cli, args):
    assert_clean_error(invoke_cli(*args), 2)


def test_common_options_after_the_subcommand(invoke_cli, create_function, monkeypatch):
    """-o/-q/-v/-y work before or after the subcommand; LAMBDACTL_OUTPUT sets the default."""
    create_function("one")
    assert invoke_cli("-o", "json", "ls").json()[0]["name"] == "one"
    assert invoke_cli("ls", "--output=json").json()[0]["name"] == "one"
    assert invoke_cli("ls", "-ojson").json()[0]["name"] == "one"
    r = invoke_cli("ls", "-qv")
    assert r.stdout.split() == ["one"] and "ListFunctions" in r.stderr
    monkeypatch.setenv("LAMBDACTL_OUTPUT", "json")
    assert invoke_cli("ls").json()[0]["name"] == "one"
    assert invoke_cli("ls", "-o", "text").stdout.startswith("one\t")


def test_global_value_options_accepted_after_subcommand(run_lambdactl, create_function, moto_endpoint):
    """Issue 3 spells `lambdactl ls -o json --endpoint-url ...`: global options work after the subcommand."""
    create_function("late")
    p = run_lambdactl("ls", "-o", "json", "--endpoint-url", moto_endpoint, "--region=us-east-1",
                      env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert p.returncode == 0, p.stderr
    assert [f["name"] for f in json.loads(p.stdout)] == ["late"]


def test_show_secrets_and_no_color_after_subcommand(invoke_cli, create_function):
    create_function("sec", Environment={"Variables": {"API_TOKEN": "t0k"}})
    r = invoke_cli("info", "sec", "-o", "json", "--show-secrets", "--no-color")
    assert r.exit_code == 0, r.stderr
    assert r.json()["environment"]["API_TOKEN"] == "t0k"


def test_global_value_option_without_value_is_a_usage_error(invoke_cli):
    assert_clean_error(invoke_cli("ls", "--region"), 2, contains="--region")


@pytest.mark.parametrize("value", ["1", "xyz", "true"])
def test_no_color_env_any_non_empty_value(invoke_cli, value):
    """NO_COLOR (no-color.org): any non-empty value means plain output, never a usage error."""
    r = invoke_cli("ls", "-o", "json", env={"NO_COLOR": value})
    assert r.exit_code == 0, r.stderr
    assert r.json() == []


def test_info_shows_vpc_and_kms(invoke_cli, create_function):
    kms = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    create_function("netfn", KMSKeyArn=kms,
                    VpcConfig={"SubnetIds": ["subnet-0a1b2c3d"], "SecurityGroupIds": ["sg-0a1b2c3d"]})
    create_function("plainfn")
    d = invoke_cli("info", "netfn", "-o", "json").json()
    assert d["kms_key"] == kms
    assert d["vpc"] == {"subnets": ["subnet-0a1b2c3d"], "security_groups": ["sg-0a1b2c3d"]}
    d = invoke_cli("info", "plainfn", "-o", "json").json()
    assert d["vpc"] is None and d["kms_key"] is None and d["dead_letter"] is None


def test_delete_qualifier_must_be_a_version_number(invoke_cli, create_function, boto):
    """Regression: `delete fn:$LATEST` deleted the whole function (moto) and aliases were sent as versions."""
    create_function("keep")
    boto("lambda").publish_version(FunctionName="keep")
    boto("lambda").create_alias(FunctionName="keep", Name="live", FunctionVersion="1")
    for ref in ("keep:$LATEST", "keep:live"):
        assert_clean_error(invoke_cli("delete", ref, "-y"), 2, contains="version number")
    r = invoke_cli("delete", "keep:1", "-y")
    assert_clean_error(r, 1, contains="used by alias live")
    lam = boto("lambda")
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="keep")["Versions"]] == ["$LATEST", "1"]
    lam.delete_alias(FunctionName="keep", Name="live")
    r = invoke_cli("delete", "keep:1", "-y", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json() == {"name": "keep", "qualifier": "1", "status": "deleted"}
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="keep")["Versions"]] == ["$LATEST"]


def test_access_denied_hint_names_the_service_of_the_failed_call():
    """The hint names service:Operation of the call that was denied (IAM here, not Lambda).
    Stubber answers the one GetRole call with AccessDenied."""
    from botocore.exceptions import ClientError
    from botocore.stub import Stubber

    from lambdactl.aws import AwsSession
    from lambdactl.errors import translate
    from lambdactl.settings import Settings

    iam = AwsSession(Settings(region="us-east-1")).client("iam")
    with Stubber(iam) as stub:
        stub.add_client_error("get_role", service_error_code="AccessDenied", service_message="nope",
                              http_status_code=403)
        with pytest.raises(ClientError) as err:
            iam.get_role(RoleName="r")
    hint = translate(err.value).hint
    assert "iam:GetRole" in hint


# --- paging: botocore's paginators, which stop on a repeated token (issue 17) -------------------

class RepeatTokenProxy:
    """An HTTP proxy in front of the moto server that adds the same page token to every answer of
    the chosen list operations, as a broken endpoint would. moto never repeats a token (and lacks
    ListProvisionedConcurrencyConfigs, which this proxy answers itself): hand-written NextToken
    loops run forever here; botocore's paginators stop at the second identical token."""

    def __init__(self, upstream: str, ops: set[str]):
        import http.client
        import http.server
        import threading
        from urllib.parse import urlparse

        u = urlparse(upstream)
        proxy = self
        self.ops = ops
        self.seen: dict[str, int] = {}

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _op(self, body: bytes) -> str | None:
                target = self.headers.get("X-Amz-Target", "")
                if self.path.startswith("/2015-03-31/event-source-mappings"):
                    return "ListEventSourceMappings" if self.command == "GET" else None
                if "/provisioned-concurrency" in self.path and self.command == "GET" and "List=ALL" in self.path:
                    return "ListProvisionedConcurrencyConfigs"
                if target.endswith((".ListRuleNamesByTarget", ".ListTargetsByRule")):
                    return target.rsplit(".", 1)[1]
                if b"Action=ListSubscriptionsByTopic" in body:
                    return "ListSubscriptionsByTopic"
                return None

            def _handle(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                op = self._op(body)
                if op in proxy.ops:
                    proxy.seen[op] = proxy.seen.get(op, 0) + 1
                if op == "ListProvisionedConcurrencyConfigs" and op in proxy.ops:
                    status, headers, data = 200, {"Content-Type": "application/json"}, \
                        json.dumps({"ProvisionedConcurrencyConfigs": [], "NextMarker": "again"}).encode()
                else:
                    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
                    conn.request(self.command, self.path, body=body,
                                 headers={k: v for k, v in self.headers.items() if k.lower() != "connection"})
                    resp = conn.getresponse()
                    status, data = resp.status, resp.read()
                    headers = {k: v for k, v in resp.getheaders()
                               if k.lower() not in ("transfer-encoding", "connection", "content-length")}
                    if op in proxy.ops and status == 200:
                        if op == "ListSubscriptionsByTopic":      # XML; moto reads the token as an int
                            data = data.replace(b"</ListSubscriptionsByTopicResult>",
                                                b"<NextToken>0</NextToken></ListSubscriptionsByTopicResult>")
                        else:
                            doc = json.loads(data or b"{}")
                            doc["NextMarker" if op == "ListEventSourceMappings" else "NextToken"] = "again"
                            data = json.dumps(doc).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("op, setup, command", [
    ("ListEventSourceMappings", "sqs", ("trigger", "list", "fn")),
    ("ListEventSourceMappings", "sqs", ("info", "fn")),
    ("ListProvisionedConcurrencyConfigs", None, ("concurrency", "show", "fn")),
    ("ListRuleNamesByTarget", None, ("trigger", "list", "fn")),
    ("ListTargetsByRule", "schedule", ("trigger", "add", "fn", "schedule", "-e", "rate(5 minutes)")),
    ("ListSubscriptionsByTopic", "sns", ("trigger", "add", "fn", "sns", "--topic",
                                         "arn:aws:sns:us-east-1:123456789012:alerts")),
])
def test_a_repeated_page_token_stops_with_a_clean_error(run_lambdactl, invoke_cli, create_function, boto,
                                                        moto_endpoint, op, setup, command):
    create_function("fn")
    if setup == "sqs":
        boto("sqs").create_queue(QueueName="jobs")
        assert invoke_cli("trigger", "add", "fn", "sqs", "--queue", "jobs").exit_code == 0
    elif setup == "schedule":
        assert invoke_cli("trigger", "add", "fn", "schedule", "-e", "rate(5 minutes)").exit_code == 0
    elif setup == "sns":
        boto("sns").create_topic(Name="alerts")
    proxy = RepeatTokenProxy(moto_endpoint, {op})
    try:
        # a loop that follows the token forever would time out here
        r = run_lambdactl(*command, env={"AWS_ENDPOINT_URL": proxy.endpoint}, timeout=60)
    finally:
        proxy.stop()
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stdout == "" and "Traceback" not in r.stderr
    assert f"{op}: the endpoint returned the same page token twice" in r.stderr, r.stderr
    assert proxy.seen[op] == 2                       # the first page, then the repeat: no more


def test_pages_are_followed_to_the_end(invoke_cli, create_function, boto):
    """moto pages SNS subscriptions 100 at a time: the function's subscription is on page 2."""
    create_function("fn")
    sns = boto("sns")
    topic = sns.create_topic(Name="busy")["TopicArn"]
    for i in range(100):
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=f"ops{i}@example.com")
    assert "NextToken" in sns.list_subscriptions_by_topic(TopicArn=topic)
    assert invoke_cli("trigger", "add", "fn", "sns", "--topic", topic).exit_code == 0
    r = invoke_cli("trigger", "add", "fn", "sns", "--topic", topic, "-o", "json")
    assert r.exit_code == 0 and r.json()["status"] == "unchanged"       # found on page 2: no second subscription
    rows = invoke_cli("trigger", "list", "fn", "-o", "json").json()
    assert [t["kind"] for t in rows] == ["sns"] and rows[0]["source"] == topic
