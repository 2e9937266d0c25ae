"""Secret masking (issue 21): one set of rules (``lambdactl.secrets``), every view goes through it.

The rules, by name: long words anywhere in the name (PASS, PWD, SECRET, TOKEN, CREDENTIAL,
PRIVATE, SIGNATURE, COOKIE, SESSION); short words only as a whole word of the name, split at
``_ - .`` and camelCase (KEY, SK, DSN, AUTH). By value, whatever the name: a URL's password (only
the password is masked), PEM private keys, AWS access key ids and secret keys, Stripe/GitHub/Slack/
Google keys and JWTs.

The views: ``info`` (table/json/text), ``diff``, ``deploy --dry-run`` (table/json/text), ``deploy``
progress and result, ``config``, ``export`` (sam/cloudformation), error lines that echo AWS's
message; ``--show-secrets`` shows the values. ``init --from`` writes the real values (it must
round-trip) into a file created 0600 when it holds secret-looking values.

Everything runs the real CLI against the moto server. Two helpers stand in for AWS behaviour moto
lacks: a small HTTP proxy in front of moto answers UpdateFunctionConfiguration with the
ValidationException AWS sends for an invalid variable map (it echoes the map, values included);
and ``init --from`` downloads the code from a local HTTP server that ``core.motofixes.CODE_BASE_URL``
points GetFunction's Code.Location at (as the sandbox does).
"""
from __future__ import annotations

import http.client
import http.server
import json
import os
import stat
import threading
from pathlib import Path

import pytest

from tests.conftest import assert_clean_error

FN = "vault"
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFkYSJ9."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
# name -> (real value, what a view must show instead)
ENV = {
    "DB_PASS": ("hunter2-db", "****"),
    "STRIPE_SK": ("stripe-plain-value", "****"),
    "AUTH": ("basic-auth-value", "****"),
    "SENTRY_DSN": ("https://abc@sentry.example.com/1", "****"),
    "apiKey": ("camel-case-key", "****"),
    "DATABASE_URL": ("postgres://admin:pg-pw-77@db.example.com:5432/orders",
                     "postgres://admin:****@db.example.com:5432/orders"),
    "UPSTREAM": (AWS_KEY_ID, "****"),
    "UPSTREAM_S": (AWS_SECRET, "****"),
    "BEARER": (f"Bearer {JWT}", "Bearer ****"),
    "GH": ("ghp_" + "a1B2c3D4e5" * 4, "****"),
    "PAYMENTS": ("sk_live_" + "4eC39HqLyjWDarjt", "****"),
    # not secrets: shown as they are
    "TASK_QUEUE": ("orders-queue", "orders-queue"),
    "DISK_SIZE": ("512", "512"),
    "MONKEY": ("banana", "banana"),
    "STAGE": ("prod", "prod"),
    "HOME_URL": ("https://example.com:8443/path", "https://example.com:8443/path"),
    "GIT_SHA": ("0123456789abcdef0123456789abcdef01234567", "0123456789abcdef0123456789abcdef01234567"),
}
REAL = {k: v for k, (v, _) in ENV.items()}
SHOWN = {k: s for k, (_, s) in ENV.items()}
SECRETS = [v for k, (v, s) in ENV.items() if v != s]
# The secret parts of the partially masked values (the rest of them is shown).
SECRET_PARTS = ["hunter2-db", "stripe-plain-value", "basic-auth-value", "sentry.example.com/1",
                "camel-case-key", "pg-pw-77", AWS_KEY_ID, AWS_SECRET, JWT, "ghp_a1B2", "sk_live_"]


def assert_no_secret(text: str) -> None:
    for part in SECRET_PARTS:
        assert part not in text, (part, text)


# --- the rules -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "DB_PASS", "DB_PASSWORD", "PASSWD", "MYSQL_PWD", "CLIENT_SECRET", "GITHUB_TOKEN", "githubToken",
    "GOOGLE_APPLICATION_CREDENTIALS", "PRIVATE_PEM", "WEBHOOK_SIGNATURE", "COOKIE_NAME", "SESSION_ID",
    "STRIPE_SK", "SK_LIVE", "stripeSk", "SENTRY_DSN", "AUTH", "BASIC_AUTH", "AUTH_HEADER", "OAUTH_CLIENT",
    "AUTHORIZATION", "API_KEY", "KEY_ID", "KEY", "KEYS", "apiKey", "APIKey", "APIKEY", "ACCESSKEY",
    "AWS_ACCESS_KEY_ID", "signing-key", "app.key",
    "BYPASS_CACHE",          # PASS matches anywhere: over-masking is the safe error (--show-secrets)
])
def test_secret_names(name):
    from lambdactl.secrets import is_secret_name, mask_value

    assert is_secret_name(name)
    assert mask_value(name, "some value") == "****"
    assert mask_value(name, "some value", show=True) == "some value"
    assert mask_value(name, "") == ""                      # nothing to hide: an empty value stays empty


@pytest.mark.parametrize("name", [
    "TASK_QUEUE", "DISK_SIZE", "ASK", "SKIP_TESTS", "DESK", "AUTHOR", "AUTHORS_FILE",
    "MONKEY", "TURKEY_MODE", "KEYBOARD_LAYOUT", "HOCKEY",  # KEY inside another word is not a key
    "STAGE", "LOG_LEVEL", "DATABASE_URL", "REGION", "DSNX", "MASK",
])
def test_names_that_are_not_secrets(name):
    from lambdactl.secrets import is_secret_name, mask_value

    assert not is_secret_name(name)
    assert mask_value(name, "plain value") == "plain value"


@pytest.mark.parametrize("value, shown", [
    ("postgres://admin:pw@db.example.com:5432/app", "postgres://admin:****@db.example.com:5432/app"),
    ("redis://:s3cr3t@cache:6379/0", "redis://:****@cache:6379/0"),
    ("mongodb+srv://app:p%40ss@cluster0.example.net/db?retryWrites=true",
     "mongodb+srv://app:****@cluster0.example.net/db?retryWrites=true"),
    ("amqp://guest:guest@rabbit//", "amqp://guest:****@rabbit//"),
    ("--db postgres://u:x@h/d --other", "--db postgres://u:****@h/d --other"),
    (AWS_KEY_ID, "****"),
    ("ASIAY34FZKBOKMUTVV7A", "****"),
    (AWS_SECRET, "****"),
    ("key=" + AWS_SECRET, "key=****"),
    ("sk_live_51H8abcdEFGHijkl", "****"),
    ("rk_test_51H8abcdEFGHijkl", "****"),
    ("ghp_" + "A" * 36, "****"),
    ("github_pat_" + "B1" * 20, "****"),
    ("xoxb-1234567890-abcdefghij", "****"),
    ("AIza" + "C" * 35, "****"),
    (JWT, "****"),
    (f"Bearer {JWT}", "Bearer ****"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "****"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXk\\n-----END OPENSSH PRIVATE KEY-----", "****"),
    ("user=app password=hunter2 host=db", "user=app password=**** host=db"),
])
def test_secret_shaped_values_are_masked_whatever_the_name(value, shown):
    from lambdactl.secrets import mask_value

    assert mask_value("SETTING", value) == shown
    assert mask_value("SETTING", value, show=True) == value


@pytest.mark.parametrize("value", [
    "https://example.com:8443/path", "https://user@example.com/x", "http://host/a@b",
    "0123456789abcdef0123456789abcdef01234567",          # a git SHA-1 is 40 characters too
    "arn:aws:sqs:us-east-1:123456789012:orders", "plain text with = sign", "10240", "",
    "src/handlers/orders/process_order_event.py",
])
def test_ordinary_values_are_left_alone(value):
    from lambdactl.secrets import mask_value

    assert mask_value("SETTING", value) == value


def test_aws_error_text_is_masked_by_the_same_rules():
    from lambdactl.secrets import mask_text

    echoed = ("1 validation error detected: Value '{DB_PASS=hunter 2, STAGE=dev, API_KEY=k-1}' at "
              "'environment.variables' failed to satisfy constraint")
    assert mask_text(echoed) == ("1 validation error detected: Value '{DB_PASS=****, STAGE=dev, API_KEY=****}' at "
                                 "'environment.variables' failed to satisfy constraint")
    assert mask_text('{"DB_PASSWORD": "hunter2", "STAGE": "dev"}') == '{"DB_PASSWORD": "****", "STAGE": "dev"}'
    assert mask_text("cannot reach postgres://a:b@h/d") == "cannot reach postgres://a:****@h/d"
    assert mask_text(echoed, show=True) == echoed


# --- the views -------------------------------------------------------------------------------------

@pytest.fixture
def vault(create_function):
    return create_function(FN, Environment={"Variables": dict(REAL)})


@pytest.mark.parametrize("fmt", ["table", "json", "text"])
def test_info_masks_in_every_format(vault, invoke_cli, fmt):
    r = invoke_cli("info", FN, "-o", fmt)
    assert r.exit_code == 0, r.stderr
    assert_no_secret(r.stdout + r.stderr)
    if fmt == "json":
        assert r.json()["environment"] == SHOWN
    else:
        for shown in set(SHOWN.values()):
            assert shown in r.stdout, shown
    r = invoke_cli("--show-secrets", "info", FN, "-o", fmt)
    assert r.exit_code == 0, r.stderr
    for value in SECRETS:
        assert value in r.stdout, value


def write_project(d: Path, env: dict[str, str]) -> None:
    lines = ["[function]", f'name = "{FN}"', 'runtime = "python3.12"', 'handler = "app.handler"',
             'source = "src"', "[function.environment]", *[f"{k} = {json.dumps(v)}" for k, v in env.items()]]
    (d / "lambdactl.toml").write_text("\n".join(lines) + "\n")
    (d / "src").mkdir(exist_ok=True)
    (d / "src" / "app.py").write_text("def handler(event, context):\n    return event\n")


def test_deploy_plan_progress_and_result_are_masked(project_dir, invoke_cli, boto):
    write_project(project_dir, REAL)
    for fmt in ("table", "json", "text"):
        r = invoke_cli("deploy", "--dry-run", "-o", fmt)           # the create plan
        assert r.exit_code == 0, r.stderr
        assert_no_secret(r.stdout + r.stderr)
    assert "postgres://admin:****@db.example.com:5432/orders" in r.stdout
    r = invoke_cli("deploy")                                       # progress lines and the result
    assert r.exit_code == 0, r.stderr
    assert_no_secret(r.stdout + r.stderr)
    # AWS has the real values
    assert boto("lambda").get_function_configuration(FunctionName=FN)["Environment"]["Variables"] == REAL


def test_diff_and_update_plan_mask_before_and_after(project_dir, invoke_cli, boto):
    write_project(project_dir, REAL)
    assert invoke_cli("deploy").exit_code == 0
    changed = {k: (v.replace("hunter2", "hunter3").replace("pg-pw-77", "pg-pw-78")) for k, v in REAL.items()}
    changed["NEW_TOKEN"] = "fresh-token-value"
    write_project(project_dir, changed)
    outputs = []
    for args in (["diff"], ["diff", "-o", "json"], ["diff", "-o", "text"],
                 ["deploy", "--dry-run"], ["deploy", "--dry-run", "-o", "json"], ["deploy", "--dry-run", "-o", "text"]):
        r = invoke_cli(*args)
        assert r.exit_code == 0, (args, r.stderr)
        outputs.append(r.stdout + r.stderr)
    text = "\n".join(outputs)
    assert_no_secret(text)
    for part in ("hunter3", "pg-pw-78", "fresh-token-value"):
        assert part not in text
    assert "environment.DB_PASS" in text and "environment.NEW_TOKEN" in text
    assert "postgres://admin:****@db.example.com:5432/orders" in text
    plan = json.loads(outputs[4])
    fields = {c["field"]: c for s in plan["steps"] for c in s["changes"]}
    assert fields["environment.DB_PASS"] == {"field": "environment.DB_PASS", "before": "****", "after": "****"}
    assert fields["environment.NEW_TOKEN"]["before"] is None
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    assert_no_secret(r.stdout + r.stderr)
    assert "fresh-token-value" not in r.stdout + r.stderr
    assert boto("lambda").get_function_configuration(FunctionName=FN)["Environment"]["Variables"] == changed
    # --show-secrets shows them in the plan
    write_project(project_dir, REAL)
    r = invoke_cli("--show-secrets", "diff", "-o", "json")
    assert "hunter2-db" in r.stdout and "hunter3-db" in r.stdout


def test_config_output_is_masked(vault, invoke_cli, boto):
    for fmt in ("table", "json", "text"):
        r = invoke_cli("config", FN, "--env", f"DB_PASS=new-{fmt}-pw", "--env", "EXTRA_URL=https://u:url-pw@h/x",
                       "-o", fmt)
        assert r.exit_code == 0, r.stderr
        out = r.stdout + r.stderr
        assert_no_secret(out)
        assert f"new-{fmt}-pw" not in out and "url-pw" not in out
        assert f"new-{fmt}-pw" == boto("lambda").get_function_configuration(FunctionName=FN)[
            "Environment"]["Variables"]["DB_PASS"]
    r = invoke_cli("config", FN, "--env", "DB_PASS=dry-pw", "--dry-run", "-o", "json")
    assert r.exit_code == 0 and "dry-pw" not in r.stdout
    assert "https://u:****@h/x" in invoke_cli("info", FN).stdout


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_export_masks_in_both_formats(vault, invoke_cli, fmt):
    r = invoke_cli("export", FN, "--format", fmt)
    assert r.exit_code == 0, r.stderr
    assert_no_secret(r.stdout + r.stderr)
    tpl = json.loads(r.stdout)
    fn = next(v for v in tpl["Resources"].values() if v["Type"].endswith("Function"))
    assert fn["Properties"]["Environment"]["Variables"] == SHOWN
    assert "DATABASE_URL" in r.stderr and "UPSTREAM_S" in r.stderr      # the warning names what it masked
    r = invoke_cli("--show-secrets", "export", FN, "--format", fmt)
    assert r.exit_code == 0, r.stderr
    fn = next(v for v in json.loads(r.stdout)["Resources"].values() if v["Type"].endswith("Function"))
    assert fn["Properties"]["Environment"]["Variables"] == REAL


# --- error text that echoes AWS's message ----------------------------------------------------------

class EchoingProxy:
    """In front of moto: UpdateFunctionConfiguration is answered the way AWS answers an invalid
    variable map (ValidationException, 400, the map echoed with its values); every other request
    is forwarded to moto."""

    def __init__(self, upstream: str, echoed: str):
        host, port = upstream.rsplit("/", 1)[-1].split(":")
        proxy = self
        self.rejected = 0

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _handle(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.command == "PUT" and self.path.endswith("/configuration"):
                    proxy.rejected += 1
                    payload = json.dumps({"Type": "User", "message": (
                        f"1 validation error detected: Value '{echoed}' at 'environment.variables' failed to "
                        "satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular "
                        "expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]")}).encode()
                    self.send_response(400)
                    self.send_header("x-amzn-ErrorType", "ValidationException")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(host, int(port), timeout=60)
                conn.request(self.command, self.path, body=body,
                             headers={k: v for k, v in self.headers.items() if k.lower() != "connection"})
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

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_aws_error_that_echoes_values_is_masked(vault, invoke_cli, moto_endpoint, monkeypatch, boto):
    echoed = ("{DB_PASS=hunter2 with spaces, STAGE=dev, bad-name=x, DATABASE_URL=postgres://admin:pg-pw-77@db/o, "
              f"UPSTREAM={AWS_KEY_ID}}}")
    proxy = EchoingProxy(moto_endpoint, echoed)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        r = invoke_cli("config", FN, "--env", "DB_PASS=hunter2 with spaces")
        assert proxy.rejected >= 1
        assert_clean_error(r, 1, contains="DB_PASS=****")
        assert "hunter2" not in r.stderr and "with spaces" not in r.stderr
        assert "postgres://admin:****@db/o" in r.stderr and AWS_KEY_ID not in r.stderr
        assert "STAGE=dev" in r.stderr                          # the rest of AWS's message is kept
        r = invoke_cli("--show-secrets", "config", FN, "--env", "DB_PASS=hunter2 with spaces")
        assert r.exit_code == 1 and "DB_PASS=hunter2 with spaces" in r.stderr
    finally:
        proxy.stop()
    # nothing was applied
    assert boto("lambda").get_function_configuration(FunctionName=FN)["Environment"]["Variables"] == REAL


# --- init --from: real values, a private file ------------------------------------------------------

@pytest.fixture
def code_server(monkeypatch, sample_zip):
    """Serves the function's zip where GetFunction's Code.Location points (see core.motofixes)."""
    from lambdactl.core.run import motofixes

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(sample_zip)))
            self.end_headers()
            self.wfile.write(sample_zip)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    monkeypatch.setattr(motofixes, "CODE_BASE_URL", f"http://127.0.0.1:{srv.server_port}")
    yield
    srv.shutdown()
    srv.server_close()


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_init_from_writes_real_values_to_a_private_file(vault, code_server, project_dir, invoke_cli):
    old = os.umask(0o022)
    try:
        r = invoke_cli("init", "--from", FN, "adopted", "-o", "json")
    finally:
        os.umask(old)
    assert r.exit_code == 0, r.stderr
    toml_path = project_dir / "adopted" / "lambdactl.toml"
    from lambdactl import config

    assert config.load(toml_path).function.environment == REAL      # round-trips: the real values
    assert _mode(toml_path) == 0o600
    assert "DATABASE_URL" in r.stderr and "UPSTREAM_S" in r.stderr  # the note names them all
    assert_no_secret(r.stdout + r.stderr)
    os.chdir(project_dir / "adopted")
    r = invoke_cli("diff", "--exit-code", "--config-only")
    assert r.exit_code == 0, r.stdout + r.stderr


def test_init_from_without_secrets_keeps_the_usual_mode(create_function, code_server, project_dir, invoke_cli):
    create_function("plain", Environment={"Variables": {"STAGE": "prod", "TASK_QUEUE": "q"}})
    old = os.umask(0o022)
    try:
        r = invoke_cli("init", "--from", "plain", "adopted")
    finally:
        os.umask(old)
    assert r.exit_code == 0, r.stderr
    assert _mode(project_dir / "adopted" / "lambdactl.toml") == 0o644


def test_init_from_overwriting_with_force_makes_the_file_private(vault, code_server, project_dir, invoke_cli):
    d = project_dir / "adopted"
    d.mkdir()
    (d / "lambdactl.toml").write_text("# old\n")
    (d / "lambdactl.toml").chmod(0o644)
    r = invoke_cli("init", "--from", FN, "adopted", "--force")
    assert r.exit_code == 0, r.stderr
    assert _mode(d / "lambdactl.toml") == 0o600
    assert "hunter2-db" in (d / "lambdactl.toml").read_text()


def test_usage_forms_are_not_taken_for_secrets(invoke_cli):
    """'expected KEY=VALUE' names a form: the error line keeps it."""
    from lambdactl.secrets import mask_text

    assert mask_text("--env 'X': expected KEY=VALUE") == "--env 'X': expected KEY=VALUE"
    assert mask_text("--env KEY=hunter2") == "--env KEY=****"
    r = invoke_cli("config", "fn", "--env", "NOEQUALS")
    assert_clean_error(r, 2, contains="expected KEY=VALUE")


@pytest.mark.parametrize("fmt", ["table", "json", "text"])
def test_versions_show_masks_a_published_versions_environment(vault, invoke_cli, boto, fmt):
    boto("lambda").publish_version(FunctionName=FN)
    r = invoke_cli("versions", "show", FN, "1", "-o", fmt)
    assert r.exit_code == 0, r.stderr
    assert_no_secret(r.stdout + r.stderr)
    assert "postgres://admin:****@db.example.com:5432/orders" in r.stdout
    r = invoke_cli("--show-secrets", "versions", "show", FN, "1", "-o", fmt)
    assert "pg-pw-77" in r.stdout and "hunter2-db" in r.stdout


def test_an_env_flag_without_a_name_does_not_echo_its_value(invoke_cli, create_function):
    create_function("fn")
    r = invoke_cli("config", "fn", "--env", "=hunter2-db")
    assert_clean_error(r, 2, contains="empty key")
    assert "hunter2" not in r.stderr
