"""init --from: adopt a live function (aliases, triggers, reserved concurrency, async config),
then an immediate `diff --exit-code` exits 0.

moto's GetFunction returns a Code.Location on a host that does not exist, so that one call is
answered by botocore's Stubber (tests/stubbing.py, GetFunction only) with a Location served by a
small HTTP server on 127.0.0.1 in this test; every other call reaches the moto server."""
from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import pytest

from tests.conftest import assert_clean_error
from tests.stubbing import PartialStubber

HANDLER = "def handler(event, context):\n    return {'ok': True}\n"
SQS_ARN = "arn:aws:sqs:us-east-1:123456789012:failures"


@pytest.fixture
def zip_server():
    served: dict[str, bytes] = {}

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            data = served.get(self.path)
            self.send_response(200 if data is not None else 404)
            self.send_header("Content-Length", str(len(data or b"")))
            self.end_headers()
            self.wfile.write(data or b"")

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv, served
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def live_function(tmp_path, iam_role, boto, invoke_cli):
    """A function deployed from a lambdactl-built zip, wired like a real service."""
    from lambdactl.core.packaging import build_package

    src = tmp_path / "orig"
    src.mkdir()
    (src / "app.py").write_text(HANDLER)
    (src / "util.py").write_text("X = 1\n")
    pkg = build_package(src, handler="app.handler", runtime="python3.12")
    lam = boto("lambda")
    lam.create_function(FunctionName="orders", Runtime="python3.12", Role=iam_role, Handler="app.handler",
                        Code={"ZipFile": pkg.data}, MemorySize=256, Timeout=20,
                        Environment={"Variables": {"STAGE": "prod", "API_TOKEN": "t0k"}}, Tags={"team": "orders"})
    lam.publish_version(FunctionName="orders")
    lam.create_alias(FunctionName="orders", Name="live", FunctionVersion="1")
    lam.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=7)
    lam.put_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=1,
                                         DestinationConfig={"OnFailure": {"Destination": SQS_ARN}})
    r = invoke_cli("trigger", "add", "orders", "schedule", "--expression", "rate(5 minutes)")
    assert r.exit_code == 0, r.stderr
    q = boto("sqs").create_queue(QueueName="orders-in")["QueueUrl"]
    r = invoke_cli("trigger", "add", "orders", "sqs", "--queue", q, "--batch-size", "5")
    assert r.exit_code == 0, r.stderr
    return pkg


def _adopt(zip_server, pkg, directory: Path):
    from lambdactl.aws import AwsSession
    from lambdactl.core.adopt import adopt
    from lambdactl.settings import Settings

    srv, served = zip_server
    served["/code/orders.zip"] = pkg.data
    sess = AwsSession(Settings())
    lam = sess.client("lambda")
    with PartialStubber(lam, ("GetFunction",)) as stub:
        stub.add_response("get_function", {
            "Configuration": {"FunctionName": "orders"},
            "Code": {"RepositoryType": "S3",
                     "Location": f"http://127.0.0.1:{srv.server_port}/code/orders.zip"}},
            {"FunctionName": "orders"})
        return adopt(sess, "orders", directory)


def test_adopt_then_diff_shows_no_changes(zip_server, live_function, tmp_path, invoke_cli, monkeypatch):
    d = tmp_path / "adopted"
    res = _adopt(zip_server, live_function, d)
    assert res["files"] == 2 and res["aliases"] == 1 and res["triggers"] == 2
    assert any("API_TOKEN" in n for n in res["notes"])      # secrets in the file are called out
    text = (d / "lambdactl.toml").read_text()
    assert "reserved = 7" in text and "max_retries = 1" in text and 'type = "schedule"' in text
    assert (d / "src" / "app.py").read_text() == HANDLER
    monkeypatch.chdir(d)
    r = invoke_cli("diff", "--exit-code")
    assert r.exit_code == 0, r.stdout + r.stderr
    r = invoke_cli("deploy", "--dry-run", "--exit-code")
    assert r.exit_code == 0, r.stdout + r.stderr
    # and a change in the adopted file is seen, in every area
    for old, new in [("memory = 256", "memory = 512"), ("max_retries = 1", "max_retries = 2"),
                     ("reserved = 7", "reserved = 8"), ("rate(5 minutes)", "rate(10 minutes)"),
                     ("batch_size = 5", "batch_size = 6")]:
        assert old in text, old
        (d / "lambdactl.toml").write_text(text.replace(old, new))
        r = invoke_cli("diff", "--exit-code")
        assert r.exit_code == 5, (old, r.stdout, r.stderr)


def test_adopt_refuses_to_overwrite(zip_server, live_function, tmp_path):
    from lambdactl.errors import UsageError

    d = tmp_path / "adopted"
    d.mkdir()
    (d / "lambdactl.toml").write_text("# mine\n")
    with pytest.raises(UsageError):
        _adopt(zip_server, live_function, d)
    assert (d / "lambdactl.toml").read_text() == "# mine\n"


def test_init_from_cli_errors(invoke_cli, tmp_path, create_function):
    assert_clean_error(invoke_cli("init", str(tmp_path / "x"), "--from", "ghost"), 3)
    create_function("plain")
    assert_clean_error(invoke_cli("init", str(tmp_path / "y"), "--from", "plain", "--name", "z"), 2, contains="--from")
    # moto's code Location is not downloadable: a clear error, exit 1, nothing written
    r = invoke_cli("init", str(tmp_path / "w"), "--from", "plain")
    assert r.exit_code == 1 and "download" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "w" / "lambdactl.toml").exists()
