"""`lambdactl serve`: a real `python -m lambdactl serve --port P` process in a project made by
`lambdactl init --template api`, called with urllib: the request becomes the 2.0 (or REST 1.0) event,
the handler's result becomes the response by AWS's rules, errors are 502s, an edited handler is
served without a restart, Ctrl-C/SIGINT exits 130, and bad options are clean errors."""
from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import FAKE_ENV, assert_clean_error

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR-binary\xff\xfe"

# Appended to the api template's src/app.py: special paths exercise the response mapping, every
# other path goes to the template's own handler.
ROUTES = '''

import time

template_handler = handler
PNG = %r


def handler(event, context):
    path = event.get("rawPath") or event.get("path") or "/"
    if path == "/echo":
        return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
    if path == "/inferred":
        return {"hello": "world", "n": [1, 2]}
    if path == "/string":
        return "just a string"
    if path == "/cookies":
        return {"statusCode": 201, "headers": {"X-Custom": "yes", "Content-Type": "text/plain"},
                "cookies": ["a=1; Path=/", "b=2; HttpOnly"], "body": "made"}
    if path == "/binary":
        return {"statusCode": 200, "headers": {"content-type": "image/png"}, "isBase64Encoded": True,
                "body": base64.b64encode(PNG).decode()}
    if path == "/multi":
        return {"statusCode": 200, "headers": {"X-One": "1"}, "multiValueHeaders": {"X-Multi": ["a", "b"]},
                "body": "ok"}
    if path == "/boom":
        raise ValueError("kaboom")
    if path == "/teapot":
        return {"statusCode": 418, "body": "short and stout"}
    if path == "/malformed":
        return {"statusCode": "tall"}
    if path == "/sleep":
        time.sleep(0.5)
        return {"statusCode": 200, "body": str(os.getpid())}
    if path == "/pid":
        return {"statusCode": 200, "body": str(os.getpid())}
    if path == "/slow":
        time.sleep(30)
    if path == "/env":
        return {"statusCode": 200, "body": os.environ.get("GREETING", "-")}
    return template_handler(event, context)
''' % (PNG,)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(moto_endpoint: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDACTL_")}
    env.update(FAKE_ENV)
    env.update({"AWS_ENDPOINT_URL": moto_endpoint, "NO_COLOR": "1"})
    return env


def init_api_project(parent: Path, name: str, env: dict) -> Path:
    r = subprocess.run([sys.executable, "-m", "lambdactl", "init", name, "--template", "api", "--no-input"],
                       cwd=parent, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return parent / name


class Server:
    """A `lambdactl serve` subprocess; its stderr is collected line by line."""

    def __init__(self, cwd: Path, *args: str, env: dict, port: int | None = None, python_args: tuple = ()):
        self.port = port or free_port()
        self.proc = subprocess.Popen([sys.executable, *python_args, "-m", "lambdactl", "serve", "--port",
                                      str(self.port), *args],
                                     cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.stdout = ""
        self._t_err = threading.Thread(target=self._pump_err, daemon=True)
        self._t_err.start()
        self._t_out = threading.Thread(target=self._pump_out, daemon=True)
        self._t_out.start()
        self.wait_for("Ctrl-C to stop", 60)

    def _pump_err(self):
        for line in self.proc.stderr:
            self.lines.append(line)

    def _pump_out(self):
        self.stdout = self.proc.stdout.read()

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.stderr:
            if self.proc.poll() is not None:
                self._t_err.join(5)
                raise AssertionError(f"serve exited {self.proc.returncode}: {self.stderr}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not seen in {timeout}s: {self.stderr}")
            time.sleep(0.05)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def request(self, path: str, *, method: str = "GET", body: bytes | None = None, headers: dict | None = None,
                timeout: float = 60):
        req = urllib.request.Request(self.url(path), data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.headers, exc.read()

    def stop(self, sig=signal.SIGINT, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                raise AssertionError(f"serve did not stop on {sig!r}: {self.stderr}")
        self._t_err.join(10)
        self._t_out.join(10)
        return self.proc.returncode


@pytest.fixture(scope="module")
def project(tmp_path_factory, moto_endpoint):
    env = _env(moto_endpoint)
    proj = init_api_project(tmp_path_factory.mktemp("serve"), "hello", env)
    app = proj / "src" / "app.py"
    app.write_text(app.read_text() + ROUTES)
    toml = proj / "lambdactl.toml"
    toml.write_text(toml.read_text().replace("timeout = 30 ", "timeout = 2  "))
    return proj, env


@pytest.fixture(scope="module")
def server(project):
    proj, env = project
    srv = Server(proj, "--no-reload", env=env)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def rest_server(project):
    proj, env = project
    srv = Server(proj, "--format", "rest", "--no-reload", env=env)
    yield srv
    srv.stop()


# --- function URL / HTTP API 2.0 ----------------------------------------------------------------

def test_get_with_query_answers_with_the_handlers_response(server):
    status, headers, body = server.request("/hello?name=Ada")
    assert status == 200
    assert json.loads(body) == {"message": "Hello, Ada!"}
    assert headers["content-type"] == "application/json"
    rid = headers["x-amzn-RequestId"]
    server.wait_for(f"REPORT RequestId: {rid}", 30)          # the handler's logs and REPORT on stderr
    assert "GET /hello?name=Ada → 200" in server.stderr
    assert f"START RequestId: {rid}" in server.stderr and "GET /hello name=Ada" in server.stderr


def test_post_json_body(server):
    status, _, body = server.request("/hello", method="POST", body=b'{"name": "Grace"}',
                                     headers={"Content-Type": "application/json"})
    assert status == 200 and json.loads(body) == {"message": "Hello, Grace!"}


def test_request_becomes_a_v2_event(server):
    status, _, body = server.request(
        "/echo?a=1&a=2&q=x%20y", method="PUT", body=b'{"k": "v"}',
        headers={"Content-Type": "application/json", "X-Custom": "c1", "Cookie": "s=1; t=2", "User-Agent": "tester/1"})
    assert status == 200
    ev = json.loads(body)
    assert ev["version"] == "2.0" and ev["routeKey"] == "$default"
    assert ev["rawPath"] == "/echo" and ev["rawQueryString"] == "a=1&a=2&q=x%20y"
    assert ev["queryStringParameters"] == {"a": "1,2", "q": "x y"}
    assert ev["cookies"] == ["s=1", "t=2"] and "cookie" not in ev["headers"]
    assert ev["headers"]["x-custom"] == "c1" and ev["headers"]["content-type"] == "application/json"
    assert ev["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert ev["body"] == '{"k": "v"}' and ev["isBase64Encoded"] is False
    http = ev["requestContext"]["http"]
    assert http == {"method": "PUT", "path": "/echo", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                    "userAgent": "tester/1"}
    assert ev["requestContext"]["stage"] == "$default" and ev["requestContext"]["requestId"]


def test_binary_request_body_arrives_base64(server):
    status, _, body = server.request("/echo", method="POST", body=PNG, headers={"Content-Type": "image/png"})
    ev = json.loads(body)
    assert ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == PNG
    # The api template decodes a base64 body: a form-encoded JSON post still works.
    status, _, body = server.request("/hello", method="POST", body=b'{"name": "Form"}',
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and json.loads(body) == {"message": "Hello, Form!"}


def test_response_mapping_cookies_headers_status(server):
    status, headers, body = server.request("/cookies")
    assert status == 201 and body == b"made"
    assert headers["X-Custom"] == "yes" and headers["Content-Type"] == "text/plain"
    assert headers.get_all("Set-Cookie") == ["a=1; Path=/", "b=2; HttpOnly"]
    status, _, body = server.request("/teapot")
    assert status == 418 and body == b"short and stout"


def test_base64_response_body_is_decoded(server):
    status, headers, body = server.request("/binary")
    assert status == 200 and headers["content-type"] == "image/png" and body == PNG


def test_inferred_response_without_status_code(server):
    status, headers, body = server.request("/inferred")
    assert status == 200 and headers["content-type"] == "application/json"
    assert json.loads(body) == {"hello": "world", "n": [1, 2]}
    status, _, body = server.request("/string")
    assert status == 200 and body == b'"just a string"'        # the JSON result, as a function URL answers


def test_handler_error_is_502_with_the_error_logged(server):
    status, headers, body = server.request("/boom")
    assert status == 502 and json.loads(body) == {"message": "Internal Server Error"}
    rid = headers["x-amzn-RequestId"]
    server.wait_for(f"REPORT RequestId: {rid}", 30)
    assert "ValueError: kaboom" in server.stderr
    assert "GET /boom → 502 (" in server.stderr and "function error: ValueError: kaboom" in server.stderr
    status, _, _ = server.request("/malformed")
    assert status == 502
    server.wait_for("statusCode 'tall' is not an HTTP status", 30)
    # the server keeps serving
    assert server.request("/hello?name=After")[0] == 200


def test_timeout_is_502(server):
    status, _, body = server.request("/slow")
    assert status == 502
    server.wait_for("Task timed out after 2.00 seconds", 30)
    assert server.request("/hello")[0] == 200                  # a fresh worker after the timeout


def test_head_and_oversized_body(server):
    status, headers, body = server.request("/hello", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0
    status, _, body = server.request("/echo", method="POST", body=b"x" * (6 * 1024 * 1024 + 1),
                                     headers={"Content-Type": "text/plain"})
    assert status == 413
    assert server.request("/hello")[0] == 200


def test_concurrent_requests_run_in_separate_workers(server):
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: server.request("/sleep"), range(3)))
    assert all(status == 200 for status, _, _ in results)
    assert len({body for _, _, body in results}) >= 2          # more than one worker process


def test_stdout_stays_empty(server):
    server.request("/hello")
    assert server.stdout == "" and server.proc.poll() is None


# --- API Gateway REST 1.0 -----------------------------------------------------------------------

def test_rest_format_event_and_response(rest_server):
    status, _, body = rest_server.request("/hello?name=Rest")
    assert status == 200 and json.loads(body) == {"message": "Hello, Rest!"}
    status, _, body = rest_server.request("/echo?a=1&a=2", headers={"X-Custom": "c1"})
    ev = json.loads(body)
    assert ev["httpMethod"] == "GET" and ev["path"] == "/echo" and ev["resource"] == "/{proxy+}"
    assert ev["pathParameters"] == {"proxy": "echo"}
    assert ev["queryStringParameters"] == {"a": "2"} and ev["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert ev["headers"]["X-Custom"] == "c1" and ev["multiValueHeaders"]["X-Custom"] == ["c1"]
    assert ev["requestContext"]["stage"] == "prod" and ev["body"] is None
    status, headers, body = rest_server.request("/multi")
    assert status == 200 and body == b"ok"
    assert headers.get_all("X-Multi") == ["a", "b"] and headers["X-One"] == "1"


def test_rest_format_errors_are_502(rest_server):
    status, _, body = rest_server.request("/boom")
    assert status == 502 and json.loads(body) == {"message": "Internal server error"}
    status, _, _ = rest_server.request("/string")       # REST needs a proxy response object
    assert status == 502
    rest_server.wait_for("malformed Lambda proxy response", 30)
    assert rest_server.request("/binary")[2] == PNG


# --- reload, Ctrl-C -----------------------------------------------------------------------------

def test_edited_handler_is_served_without_a_restart(tmp_path, moto_endpoint):
    env = _env(moto_endpoint)
    proj = init_api_project(tmp_path, "reloader", env)
    srv = Server(proj, env=env)
    try:
        assert json.loads(srv.request("/hello?name=Ada")[2]) == {"message": "Hello, Ada!"}
        pid = srv.proc.pid
        app = proj / "src" / "app.py"
        app.write_text(app.read_text().replace('f"Hello, {name}!"', 'f"Howdy, {name}!"'))
        deadline = time.monotonic() + 60                     # generous: the machine may be loaded
        body = None
        while time.monotonic() < deadline:
            body = json.loads(srv.request("/hello?name=Ada")[2])
            if body == {"message": "Howdy, Ada!"}:
                break
            time.sleep(0.1)
        assert body == {"message": "Howdy, Ada!"}, srv.stderr
        assert srv.proc.pid == pid and srv.proc.poll() is None     # the same server process
        srv.wait_for("reloaded: src/app.py changed", 30)
        # A broken project file keeps the previous version serving, with a warning.
        toml = proj / "lambdactl.toml"
        good = toml.read_text()
        toml.write_text(good.replace("memory = 256", "memory = 99999"))
        srv.wait_for("was not reloaded", 60)
        assert json.loads(srv.request("/hello?name=Ada")[2]) == {"message": "Howdy, Ada!"}
        # A project-file change (the environment) is picked up too.
        toml.write_text(good.replace('LOG_LEVEL = "INFO"', 'LOG_LEVEL = "INFO"\nGREETING = "hi"'))
        app.write_text(app.read_text().replace('f"Howdy, {name}!"', 'f"{os.environ.get(\'GREETING\')}, {name}!"'))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            body = json.loads(srv.request("/hello?name=Ada")[2])
            if body == {"message": "hi, Ada!"}:
                break
            time.sleep(0.1)
        assert body == {"message": "hi, Ada!"}, srv.stderr
    finally:
        code = srv.stop()
    assert code == 130


def test_sigint_exits_130_cleanly_and_stops_the_workers(project):
    proj, env = project
    srv = Server(proj, "--no-reload", "--host", "0.0.0.0", env=env)
    try:
        assert "warning: listening on 0.0.0.0" in srv.stderr
        status, _, body = srv.request("/pid")
        worker_pid = int(body)
        assert status == 200 and worker_pid != srv.proc.pid
    finally:
        code = srv.stop(signal.SIGINT)
    assert code == 130
    assert "Traceback" not in srv.stderr
    errors = [line for line in srv.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: interrupted: stopped serving hello on http://0.0.0.0:{srv.port} after 1 request"]
    assert srv.stdout == ""
    deadline = time.monotonic() + 60                         # returns as soon as the worker is gone
    while time.monotonic() < deadline and Path(f"/proc/{worker_pid}").exists():
        time.sleep(0.05)
    assert not Path(f"/proc/{worker_pid}").exists(), "the worker process outlived serve"


def test_serve_loads_nothing_heavy(project):
    """The server process imports neither the AWS SDK nor rich/questionary/moto (-X importtime)."""
    proj, env = project
    srv = Server(proj, env=env, python_args=("-X", "importtime"))
    try:
        assert srv.request("/hello?name=Ada")[0] == 200
    finally:
        srv.stop()
    imported = {line.split("|")[-1].strip().split(".")[0] for line in srv.lines if line.startswith("import time:")}
    assert {"lambdactl", "watchfiles"} <= imported                  # the reload watcher is on by default
    assert not imported & {"boto3", "botocore", "rich", "questionary", "moto"}, sorted(imported)


# --- bad options --------------------------------------------------------------------------------

@pytest.fixture
def small_project(project_dir):
    (project_dir / "src").mkdir()
    (project_dir / "src" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    (project_dir / "lambdactl.toml").write_text(
        '[function]\nname = "small"\nruntime = "python3.12"\nhandler = "app.handler"\nsource = "src"\n')
    return project_dir


@pytest.mark.parametrize("args,code,text", [
    (("--port", "0"), 2, "--port 0 is out of range: serve needs a fixed port"),
    (("--port", "70000"), 2, "--port 70000 is out of range"),
    (("--format", "soap"), 2, "--format 'soap' is not one of: http, rest"),
    (("--concurrency", "0"), 2, "--concurrency 0 is out of range"),
    (("other-fn",), 2, "serve runs the project's function 'small', not 'other-fn'"),
    (("small:live",), 2, "serve runs the project's function 'small', not 'small:live'"),
    (("--host", "203.0.113.77"), 2, "--host 203.0.113.77: cannot listen there"),
])
def test_bad_options_are_clean_errors(invoke_cli, small_project, args, code, text):
    r = invoke_cli("serve", *args)
    assert_clean_error(r, code, contains=text)
    assert "hint:" in r.stderr


def test_busy_port_is_exit_1(invoke_cli, small_project):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = invoke_cli("serve", "--port", str(port))
    assert_clean_error(r, 1, contains=f"port {port} on 127.0.0.1 is already in use")


def test_no_project_is_exit_2(invoke_cli, project_dir):
    r = invoke_cli("serve")
    assert_clean_error(r, 2, contains="no project file")
