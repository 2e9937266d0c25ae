"""Issue 21 (security): the sandbox answers only this machine's AWS clients, the artifact bucket is
ours or not used, the code Lambda runs is the code we built, and the auto role trusts Lambda only.

Everything runs against real servers over HTTP: the lambdactl sandbox (started here, in-process),
the tests' moto server, and — where a request must be seen or an attacker must act between two
calls — a small forwarding proxy in front of moto (:class:`Proxy`). No boto3 or lambdactl code is
patched; moto's multi-account support (the ``x-moto-account-id`` header) plays "another account".
"""
from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import shutil
import stat
import subprocess
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import FAKE_ENV, REGION, assert_clean_error, make_zip_bytes

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "999999999999"
BUCKET = f"lambdactl-artifacts-{ACCOUNT}-{REGION}"

ENV_HANDLER = textwrap.dedent('''\
    import os

    def handler(event, context):
        seen = {k: v for k, v in os.environ.items() if k.startswith("AWS_") and not k.startswith("AWS_LAMBDA_")}
        if event.get("list"):
            import boto3
            seen["functions"] = sorted(f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"])
        return seen
''')

MARKER_HANDLER = textwrap.dedent('''\
    import os

    def handler(event, context):
        open(os.environ["MARKER"], "w").write("ran")
        return {"ran": True}
''')


# --- helpers -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from lambdactl.core.run.sandbox import SandboxServer

    server = SandboxServer(port=0, cache_dir=tmp_path_factory.mktemp("sandbox-cache")).start()
    yield server
    server.stop()


def raw(port: int, method: str, path: str, *, headers: dict | None = None, body: bytes = b""):
    """One plain HTTP request to 127.0.0.1:port → (status, headers (lower-cased), body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {"Host": f"127.0.0.1:{port}", **(headers or {})}
    conn.request(method, path, body=body, headers=h)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


def client(service: str, endpoint: str, *, headers: dict | None = None, host: str | None = None, **kw):
    """A boto3 client; ``headers`` are added to every request, ``host`` replaces the Host header
    (what a browser sends after DNS rebinding), as the request leaves the client."""
    import boto3

    c = boto3.client(service, endpoint_url=endpoint, region_name=REGION, **kw)

    def add(request, **_):
        for k, v in (headers or {}).items():
            request.headers[k] = v
        if host:
            request.headers["Host"] = host

    c.meta.events.register("before-send", add)
    return c


def other_account(service: str, endpoint: str):
    """A client acting as another AWS account (moto's ``x-moto-account-id``)."""
    return client(service, endpoint, headers={"x-moto-account-id": OTHER_ACCOUNT})


def cors_headers(headers: dict) -> list[str]:
    return [k for k in headers if k.lower().startswith("access-control-")]


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


class Proxy:
    """A forwarding proxy in front of moto that records every request and can act between a
    request's arrival and its forwarding (``before(method, path, headers)``): the window in which
    an attacker who can write to the artifact bucket swaps the zip before Lambda fetches it."""

    def __init__(self, upstream: str, before=None):
        u = urlparse(upstream)
        self.seen: list[tuple[str, str, dict]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                proxy.seen.append((self.command, self.path, {k.lower(): v for k, v in headers.items()}))
                if before is not None:
                    before(self.command, self.path, headers)
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def s3_requests(self, bucket: str) -> list[tuple[str, str, dict]]:
        return [(m, p, h) for m, p, h in self.seen
                if "/s3/aws4_request" in h.get("authorization", "") and p.lstrip("/").split("?")[0].split("/")[0] == bucket]


def write_project(d: Path, name: str = "sec", code: str = ENV_HANDLER, env: dict | None = None) -> Path:
    lines = ["[function]", f'name = "{name}"', 'runtime = "python3.12"', 'handler = "app.handler"',
             'source = "src"', "timeout = 10"]
    if env:
        lines.append("[function.environment]")
        lines += [f'{k} = "{v}"' for k, v in env.items()]
    (d / "lambdactl.toml").write_text("\n".join(lines) + "\n")
    (d / "src").mkdir(exist_ok=True)
    (d / "src" / "app.py").write_text(code)
    return d


# --- the sandbox refuses what is not an AWS client on this machine ------------------------------

@pytest.mark.parametrize("method,path", [
    ("POST", "/moto-api/reset"),
    ("POST", "/moto-api/config"),
    ("GET", "/moto-api/"),
    ("GET", "/moto-api/data.json"),
    ("POST", "/moto-api/recorder/start-recording"),
    ("POST", "/moto-api/recorder/upload-recording"),
    ("POST", "/moto-api/recorder/replay-recording"),
    ("GET", "/moto-api/recorder/download-recording"),
    ("POST", "/moto-api/static/lambda-simple/response"),
])
def test_sandbox_refuses_the_moto_admin_api(sandbox, create_function, boto, method, path):
    from moto.core.config import default_user_config

    create_function("keep")
    before = json.dumps(default_user_config, sort_keys=True, default=str)
    status, headers, body = raw(sandbox.port, method, path, body=b'{"lambda": {"use_docker": true}}')
    assert status == 403, body
    assert b"/moto-api/" in body
    assert not cors_headers(headers)
    # nothing changed: no reset, no config change
    assert boto("lambda").get_function(FunctionName="keep")["Configuration"]["FunctionName"] == "keep"
    assert json.dumps(default_user_config, sort_keys=True, default=str) == before


def test_the_cross_origin_attack_from_the_issue_is_refused(sandbox, boto, tmp_path):
    """Two text/plain POSTs from a web page (no CORS preflight needed): upload a recording that
    creates a role and a function and invokes it, then replay it. Both refused; nothing created."""
    marker = tmp_path / "pwned"
    zip_b64 = base64.b64encode(make_zip_bytes({"app.py": MARKER_HANDLER})).decode()
    lines = [
        {"module": "iam", "region": REGION, "headers": {}, "method": "POST", "url": "/",
         "body": "Action=CreateRole&RoleName=pwn&AssumeRolePolicyDocument=%7B%7D&Version=2010-05-08"},
        {"module": "lambda", "region": REGION, "method": "POST", "url": "/2015-03-31/functions",
         "headers": {"Content-Type": "application/json"},
         "body": json.dumps({"FunctionName": "pwn", "Runtime": "python3.12", "Handler": "app.handler",
                             "Role": f"arn:aws:iam::{ACCOUNT}:role/pwn", "Code": {"ZipFile": zip_b64},
                             "Environment": {"Variables": {"MARKER": str(marker)}}})},
    ]
    evil = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
    body = "\n".join(json.dumps(x) for x in lines).encode()
    s1, h1, b1 = raw(sandbox.port, "POST", "/moto-api/recorder/upload-recording", headers=evil, body=body)
    s2, h2, b2 = raw(sandbox.port, "POST", "/moto-api/recorder/replay-recording", headers=evil)
    assert (s1, s2) == (403, 403)
    assert not cors_headers(h1) and not cors_headers(h2)
    with pytest.raises(Exception):
        boto("iam").get_role(RoleName="pwn")
    assert boto("lambda").list_functions()["Functions"] == []
    # and the same function-creating request sent straight to Lambda's API from that page
    s3_, h3, b3 = raw(sandbox.port, "POST", "/2015-03-31/functions", headers=evil,
                      body=lines[1]["body"].encode())
    assert s3_ == 403 and b"Origin" in b3 and not cors_headers(h3)
    assert boto("lambda").list_functions()["Functions"] == []
    assert not marker.exists()


def test_sandbox_refuses_a_request_with_an_origin_header(sandbox, boto, create_function, tmp_path):
    from botocore.exceptions import ClientError

    marker = tmp_path / "ran"
    create_function("victim", zip_bytes=make_zip_bytes({"app.py": MARKER_HANDLER}),
                    Environment={"Variables": {"MARKER": str(marker)}})
    evil = {"Origin": "https://evil.example"}
    iam = client("iam", sandbox.endpoint, headers=evil)
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="pwn", AssumeRolePolicyDocument="{}")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    lam = client("lambda", sandbox.endpoint, headers=evil)
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName="victim", Payload=b"{}")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "Origin" in e.value.response["Error"]["Message"]
    # a CORS preflight gets no CORS headers either
    status, headers, _ = raw(sandbox.port, "OPTIONS", "/2015-03-31/functions/victim/invocations",
                             headers={**evil, "Access-Control-Request-Method": "POST"})
    assert status == 403 and not cors_headers(headers)
    # a browser's no-cors GET carries no Origin, but it does carry Sec-Fetch-Site
    status, _, _ = raw(sandbox.port, "GET", f"/_lambdactl/code/{ACCOUNT}/{REGION}/victim/$LATEST",
                       headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"})
    assert status == 403
    status, _, _ = raw(sandbox.port, "GET", f"/_lambdactl/code/{ACCOUNT}/{REGION}/victim/$LATEST",
                       headers={"Origin": "https://evil.example"})
    assert status == 403
    # nothing changed, nothing ran
    names = [r["RoleName"] for r in boto("iam").list_roles()["Roles"]]
    assert "pwn" not in names
    assert not marker.exists()
    with pytest.raises(ClientError):
        boto("logs").describe_log_streams(logGroupName="/aws/lambda/victim")


@pytest.mark.parametrize("host", ["evil.example:{port}", "evil.example", "127.0.0.1:{other}",
                                  "localhost.evil.example:{port}", "127.0.0.1.nip.io:{port}"])
def test_sandbox_refuses_a_foreign_host(sandbox, boto, host):
    """DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 sends its own
    Host header (and no Origin on same-origin requests)."""
    from botocore.exceptions import ClientError

    h = host.format(port=sandbox.port, other=sandbox.port + 1)
    iam = client("iam", sandbox.endpoint, host=h)
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="rebound", AssumeRolePolicyDocument="{}")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    status, headers, body = raw(sandbox.port, "GET", "/2015-03-31/functions/", headers={"Host": h})
    assert status == 403 and b"Host" in body and not cors_headers(headers)
    assert "rebound" not in [r["RoleName"] for r in boto("iam").list_roles()["Roles"]]


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}"])
def test_sandbox_answers_its_loopback_names(sandbox, host):
    status, headers, body = raw(sandbox.port, "GET", "/2015-03-31/functions/",
                                headers={"Host": host.format(port=sandbox.port),
                                         "Authorization": "AWS4-HMAC-SHA256 Credential=test/20250101/"
                                                          "us-east-1/lambda/aws4_request, SignedHeaders=host, "
                                                          "Signature=x"})
    assert status == 200, body
    assert json.loads(body)["Functions"] == []
    assert not cors_headers(headers)


def test_boto3_and_lambdactl_keep_working_against_the_sandbox(sandbox, invoke_cli, project_dir, monkeypatch):
    import boto3

    for endpoint in (sandbox.endpoint, f"http://localhost:{sandbox.port}"):
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
        s3.create_bucket(Bucket="plain-bucket")
        s3.put_object(Bucket="plain-bucket", Key="k", Body=b"v")
        resp = s3.get_object(Bucket="plain-bucket", Key="k")
        assert resp["Body"].read() == b"v"
        assert not cors_headers(resp["ResponseMetadata"]["HTTPHeaders"])
        s3.delete_object(Bucket="plain-bucket", Key="k")
        s3.delete_bucket(Bucket="plain-bucket")
    write_project(project_dir)
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.endpoint)
    assert invoke_cli("deploy").exit_code == 0
    r = invoke_cli("invoke", '{"list": true}', "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["payload"]["functions"] == ["sec"]


@pytest.mark.skipif(shutil.which("aws") is None, reason="the aws CLI is not installed")
def test_the_aws_cli_keeps_working_against_the_sandbox(sandbox, tmp_path):
    env = {**os.environ, **FAKE_ENV, "AWS_ENDPOINT_URL": sandbox.endpoint}

    def aws(*args):
        p = subprocess.run(["aws", "--endpoint-url", sandbox.endpoint, *args], capture_output=True,
                           text=True, env=env, timeout=120)
        assert p.returncode == 0, p.stderr
        return p.stdout

    assert json.loads(aws("lambda", "list-functions"))["Functions"] == []
    aws("s3", "mb", "s3://cli-bucket")
    (tmp_path / "f.txt").write_text("hi")
    aws("s3", "cp", str(tmp_path / "f.txt"), "s3://cli-bucket/f.txt")
    assert "f.txt" in aws("s3", "ls", "s3://cli-bucket")
    aws("s3", "rb", "s3://cli-bucket", "--force")


# --- --sandbox signs with test credentials; handlers get the sandbox, never the user's keys -----

def _point_state_at(sandbox) -> None:
    """Record the in-process sandbox as 'the running sandbox' so that --sandbox finds it."""
    from lambdactl import sandbox_state

    sandbox_state.write(os.getpid(), sandbox.port)


def test_sandbox_flag_signs_with_test_credentials_not_the_users(sandbox, create_function, boto, invoke_cli,
                                                                monkeypatch):
    """The user's real key belongs to another account (moto maps an access key to its account): a
    request signed with it would see that account's (empty) Lambda; signed with 'test' it sees ours."""
    iam = other_account("iam", sandbox.endpoint)
    iam.create_user(UserName="me")
    key = iam.create_access_key(UserName="me")["AccessKey"]
    create_function("mine")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-session-token")
    _point_state_at(sandbox)
    r = invoke_cli("--sandbox", "ls", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert [f["name"] for f in r.json()] == ["mine"]


def test_local_invoke_with_sandbox_gives_the_handler_the_sandbox_only(sandbox, create_function, invoke_cli,
                                                                       project_dir, monkeypatch):
    write_project(project_dir)
    create_function("in-the-sandbox")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALUSERKEY00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-session-token")
    _point_state_at(sandbox)
    r = invoke_cli("--sandbox", "invoke", "--local", '{"list": true}', "-o", "json")
    assert r.exit_code == 0, r.stderr
    seen = r.json()["payload"]
    assert seen["AWS_ENDPOINT_URL"] == sandbox.endpoint
    assert seen["AWS_ACCESS_KEY_ID"] == "test" and seen["AWS_SECRET_ACCESS_KEY"] == "test"
    assert "AWS_SESSION_TOKEN" not in seen and "AWS_PROFILE" not in seen
    assert seen["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull and seen["AWS_CONFIG_FILE"] == os.devnull
    assert seen["functions"] == ["in-the-sandbox"]          # its AWS calls reached the sandbox
    assert "real-secret" not in r.stdout + r.stderr


def test_local_invoke_without_sandbox_uses_the_callers_credentials_and_says_so(invoke_cli, project_dir,
                                                                               monkeypatch):
    """Documented behaviour (as sam local): without --sandbox the handler runs as you."""
    write_project(project_dir)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALUSERKEY00000")
    r = invoke_cli("invoke", "--local", "{}", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["payload"]["AWS_ACCESS_KEY_ID"] == "AKIAREALUSERKEY00000"
    help_text = " ".join(invoke_cli("invoke", "--help").stdout.split())
    assert "your AWS credentials" in help_text and "--sandbox" in help_text


def test_sandbox_handlers_never_see_the_sandbox_processs_credentials(sandbox, invoke_cli, project_dir,
                                                                     monkeypatch):
    """The sandbox may be started from a shell holding real credentials: the handlers it runs get
    its endpoint and test credentials, not those."""
    write_project(project_dir)
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.endpoint)
    assert invoke_cli("deploy").exit_code == 0
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-session-token")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(project_dir / "credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALUSERKEY00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    import boto3

    lam = boto3.client("lambda", endpoint_url=sandbox.endpoint, region_name=REGION)
    out = json.loads(lam.invoke(FunctionName="sec", Payload=b'{"list": true}')["Payload"].read())
    assert out["AWS_ACCESS_KEY_ID"] == "test" and out["AWS_SECRET_ACCESS_KEY"] == "test"
    assert out["AWS_ENDPOINT_URL"] == sandbox.endpoint
    assert "AWS_SESSION_TOKEN" not in out
    assert out["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    assert out["functions"] == ["sec"]


# --- what the sandbox writes is private ---------------------------------------------------------

def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_sandbox_code_cache_is_private(tmp_path, boto, create_function, monkeypatch):
    from lambdactl.core.run.sandbox import SandboxServer

    old = os.umask(0o022)
    try:
        server = SandboxServer(port=0, cache_dir=tmp_path / "cache").start()
        try:
            create_function("cached", zip_bytes=make_zip_bytes({"app.py": "def handler(e, c):\n    return 1\n",
                                                                "lib/util.py": "X = 1\n"}))
            import boto3

            lam = boto3.client("lambda", endpoint_url=server.endpoint, region_name=REGION)
            assert json.loads(lam.invoke(FunctionName="cached")["Payload"].read()) == 1
        finally:
            server.stop()
    finally:
        os.umask(old)
    root = tmp_path / "cache" / "sandbox-code"
    assert _mode(root) == 0o700
    dirs = [p for p in root.rglob("*") if p.is_dir()]
    files = [p for p in root.rglob("*") if p.is_file()]
    assert dirs and files
    assert {_mode(p) for p in dirs} == {0o700}
    assert {_mode(p) for p in files} == {0o600}


def test_sandbox_state_file_is_private(tmp_path, monkeypatch):
    from lambdactl import sandbox_state

    monkeypatch.setenv("LAMBDACTL_STATE_DIR", str(tmp_path / "state"))
    old = os.umask(0o022)
    try:
        sandbox_state.write(12345, 4566)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "state") == 0o700
    assert _mode(tmp_path / "state" / "sandbox.json") == 0o600
    assert [p.name for p in (tmp_path / "state").iterdir()] == ["sandbox.json"]   # no temp file left


def test_sandbox_refuses_to_unpack_a_zip_bomb(sandbox, create_function, tmp_path):
    """A package whose entries declare more than Lambda's 250 MB unzipped is not extracted."""
    from botocore.exceptions import ClientError

    data = bytearray(make_zip_bytes({"app.py": "def handler(e, c):\n    return 1\n"}))
    cd = data.rfind(b"PK\x01\x02")                       # central directory entry: uncompressed size
    data[cd + 24:cd + 28] = (300 * 1024 * 1024).to_bytes(4, "little")
    create_function("bomb", zip_bytes=bytes(data))
    import boto3

    lam = boto3.client("lambda", endpoint_url=sandbox.endpoint, region_name=REGION)
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName="bomb", Payload=b"{}")
    assert e.value.response["Error"]["Code"] == "InvalidZipFileException"
    assert "262144000" in e.value.response["Error"]["Message"]
    assert not [p for p in sandbox.app.cache.glob("*") if p.name.startswith(".")]   # nothing half-extracted


# --- the artifact bucket -----------------------------------------------------------------------

def test_deploy_does_not_upload_to_an_artifact_bucket_owned_by_another_account(project_dir, invoke_cli, boto,
                                                                               moto_endpoint, monkeypatch):
    monkeypatch.setenv("LAMBDACTL_DIRECT_UPLOAD_LIMIT", "64")            # pretend 50 MB is 64 bytes
    write_project(project_dir)
    theirs = other_account("s3", moto_endpoint)
    theirs.create_bucket(Bucket=BUCKET)                                  # sniped: same name, their account
    for args in (["deploy", "--dry-run"], ["deploy"]):
        r = invoke_cli(*args)
        assert_clean_error(r, 1, contains="another account")
        assert "hint:" in r.stderr and "s3_bucket" in r.stderr
    assert theirs.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0   # not uploaded to
    assert boto("lambda").list_functions()["Functions"] == []
    assert boto("iam").list_roles()["Roles"] == []                      # refused before any change


def test_layer_publish_does_not_upload_to_an_artifact_bucket_owned_by_another_account(project_dir, invoke_cli,
                                                                                      boto, moto_endpoint,
                                                                                      monkeypatch):
    monkeypatch.setenv("LAMBDACTL_DIRECT_UPLOAD_LIMIT", "10")
    Path("layer.zip").write_bytes(make_zip_bytes({"python/util.py": "X = 1\n"}))
    theirs = other_account("s3", moto_endpoint)
    theirs.create_bucket(Bucket=BUCKET)
    r = invoke_cli("layer", "publish", "utils", "--zip", "layer.zip", "--runtime", "python3.12")
    assert_clean_error(r, 1, contains="another account")
    assert theirs.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0
    assert boto("lambda").list_layers()["Layers"] == []


def test_artifact_bucket_is_created_private_and_every_call_names_its_owner(project_dir, invoke_cli, boto,
                                                                           moto_endpoint, monkeypatch):
    monkeypatch.setenv("LAMBDACTL_DIRECT_UPLOAD_LIMIT", "64")
    write_project(project_dir)
    proxy = Proxy(moto_endpoint)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        r = invoke_cli("deploy")
        assert r.exit_code == 0, r.stderr
        (project_dir / "src" / "app.py").write_text(ENV_HANDLER + "\n# v2\n")
        r = invoke_cli("deploy")                                          # the bucket exists now
        assert r.exit_code == 0, r.stderr
    finally:
        proxy.close()
    s3 = boto("s3")
    pab = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert pab == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                   "RestrictPublicBuckets": True}
    rules = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    own = s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"]
    assert own == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    calls = proxy.s3_requests(BUCKET)
    puts = [c for c in calls if c[0] == "PUT" and "/lambdactl/" in c[1]]
    assert len(puts) == 2
    for _, path, headers in puts:                      # S3 checks the body against the zip's SHA-256
        hexsha = path.rsplit("/", 1)[-1].split(".zip")[0]
        assert headers.get("x-amz-checksum-sha256") == base64.b64encode(bytes.fromhex(hexsha)).decode()
    create = [c for c in calls if c[0] == "PUT" and c[1].rstrip("/") == f"/{BUCKET}"]
    assert len(create) == 1
    for method, path, headers in calls:
        if (method, path.rstrip("/")) == ("PUT", f"/{BUCKET}"):
            continue                                   # CreateBucket has no ExpectedBucketOwner
        assert headers.get("x-amz-expected-bucket-owner") == ACCOUNT, (method, path)


# --- the code Lambda runs is the code we built --------------------------------------------------

def _swapper(moto_endpoint: str, *, when):
    """``before`` hook: on the request matching ``when``, overwrite every object under
    lambdactl/ in the artifact bucket with another zip (once), then let the request through."""
    import boto3

    evil = make_zip_bytes({"app.py": "def handler(e, c):\n    return 'evil'\n"})
    done: list[str] = []

    def before(method, path, headers):
        if done or not when(method, path):
            return
        s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name=REGION)
        for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            s3.put_object(Bucket=BUCKET, Key=o["Key"], Body=evil)
            done.append(o["Key"])

    return before, b64sha(evil), done


def test_deploy_detects_code_swapped_in_the_bucket_before_lambda_fetched_it(project_dir, invoke_cli, boto,
                                                                           moto_endpoint, monkeypatch):
    from lambdactl.core.build.packaging import build_package

    monkeypatch.setenv("LAMBDACTL_DIRECT_UPLOAD_LIMIT", "64")
    write_project(project_dir)
    assert invoke_cli("deploy").exit_code == 0                     # v1, honest
    before_cfg = boto("lambda").get_function_configuration(FunctionName="sec")
    (project_dir / "src" / "app.py").write_text(ENV_HANDLER + "\n# v2\n")
    ours = build_package(project_dir / "src").sha256
    before, evil_sha, done = _swapper(moto_endpoint, when=lambda m, p: m == "PUT" and p.endswith("/functions/sec/code"))
    proxy = Proxy(moto_endpoint, before=before)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        r = invoke_cli("deploy", "--publish")
    finally:
        proxy.close()
    assert done, "the swap did not happen"
    assert_clean_error(r, 1, contains="CodeSha256")
    assert evil_sha in r.stderr and ours in r.stderr
    assert "left as AWS has it" in r.stderr
    cfg = boto("lambda").get_function_configuration(FunctionName="sec")
    assert cfg["CodeSha256"] == evil_sha != before_cfg["CodeSha256"]    # AWS has what it fetched...
    versions = boto("lambda").list_versions_by_function(FunctionName="sec")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST"]               # ...and nothing was published


def test_create_detects_code_swapped_in_the_bucket(project_dir, invoke_cli, boto, moto_endpoint, monkeypatch):
    monkeypatch.setenv("LAMBDACTL_DIRECT_UPLOAD_LIMIT", "64")
    write_project(project_dir)
    before, evil_sha, done = _swapper(moto_endpoint, when=lambda m, p: m == "POST" and p.rstrip("/").endswith("/2015-03-31/functions"))
    proxy = Proxy(moto_endpoint, before=before)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        r = invoke_cli("deploy")
    finally:
        proxy.close()
    assert done
    assert_clean_error(r, 1, contains="CodeSha256")
    assert boto("lambda").get_function_configuration(FunctionName="sec")["CodeSha256"] == evil_sha


def test_layer_publish_detects_code_swapped_in_the_bucket(project_dir, invoke_cli, boto, moto_endpoint, monkeypatch):
    monkeypatch.setenv("LAMBDACTL_DIRECT_UPLOAD_LIMIT", "10")
    Path("layer.zip").write_bytes(make_zip_bytes({"python/util.py": "X = 1\n"}))
    before, evil_sha, done = _swapper(moto_endpoint, when=lambda m, p: m == "POST" and "/layers/utils/versions" in p)
    proxy = Proxy(moto_endpoint, before=before)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        r = invoke_cli("layer", "publish", "utils", "--zip", "layer.zip", "--runtime", "python3.12")
    finally:
        proxy.close()
    assert done
    assert_clean_error(r, 1, contains="CodeSha256")
    assert evil_sha in r.stderr


# --- the auto role ------------------------------------------------------------------------------

def test_auto_role_may_create_only_its_own_log_group(project_dir, invoke_cli, boto):
    write_project(project_dir)
    assert invoke_cli("deploy").exit_code == 0
    pol = boto("iam").get_role_policy(RoleName="lambdactl-sec-role", PolicyName="lambdactl-logs")["PolicyDocument"]
    pol = json.loads(pol) if isinstance(pol, str) else pol
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/sec"
    for st in pol["Statement"]:
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        assert resources and all(r in (group, group + ":*") for r in resources), st


def test_reused_auto_role_that_does_not_trust_lambda_is_refused(project_dir, invoke_cli, boto):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}}]}
    boto("iam").create_role(RoleName="lambdactl-sec-role", AssumeRolePolicyDocument=json.dumps(trust))
    write_project(project_dir)
    for args in (["deploy", "--dry-run"], ["deploy"]):
        r = invoke_cli(*args)
        assert_clean_error(r, 1, contains="lambdactl-sec-role")
        assert "lambda.amazonaws.com" in r.stderr and "hint:" in r.stderr
    assert boto("lambda").list_functions()["Functions"] == []


def test_reused_auto_role_that_trusts_lambda_is_used_and_said_so(project_dir, invoke_cli, boto):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": ["lambda.amazonaws.com"]}}]}
    arn = boto("iam").create_role(RoleName="lambdactl-sec-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    write_project(project_dir)
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    assert "lambdactl-sec-role" in r.stderr and "lambda.amazonaws.com" in r.stderr
    assert boto("lambda").get_function_configuration(FunctionName="sec")["Role"] == arn


def test_trust_policy_reading():
    from lambdactl.core.resources.roles import trusts_lambda

    allow = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
    assert trusts_lambda({"Statement": [allow]})
    assert trusts_lambda({"Statement": allow})
    assert trusts_lambda({"Statement": [{**allow, "Action": ["sts:AssumeRole", "sts:TagSession"]}]})
    assert trusts_lambda(json.dumps({"Statement": [allow]}))
    assert not trusts_lambda({"Statement": [{**allow, "Principal": {"Service": "ec2.amazonaws.com"}}]})
    assert not trusts_lambda({"Statement": [{**allow, "Action": "sts:TagSession"}]})
    assert not trusts_lambda({"Statement": [allow, {**allow, "Effect": "Deny"}]})
    assert not trusts_lambda({"Statement": [{**allow, "Effect": "Deny"}]})
    assert not trusts_lambda(None) and not trusts_lambda("not json")
