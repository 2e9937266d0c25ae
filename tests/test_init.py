"""lambdactl init: the wizard driven for real in a pseudo-terminal, the non-interactive flags, the
non-TTY error path, refusal to overwrite, and the generated project working immediately
(its own tests, `invoke --local`, `deploy` against the moto server)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lambdactl import config
from tests.conftest import assert_clean_error

DOWN = "\x1b[B"
CTRL_U = "\x15"          # clears the prefilled answer in a text prompt
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:orders"
ROLE_ARN = "arn:aws:iam::123456789012:role/existing-role"
EXPECTED_FILES = {"lambdactl.toml", "src/app.py", "tests/test_handler.py", "requirements.txt", ".gitignore"}


def load_project(d: Path) -> config.ProjectConfig:
    return config.load(d / "lambdactl.toml")


def files_in(d: Path) -> set[str]:
    return {str(p.relative_to(d)) for p in d.rglob("*") if p.is_file()}


# --- the wizard, in a real pseudo-terminal -----------------------------------------------------

def spawn_init(tmp_path: Path, *args: str):
    pexpect = pytest.importorskip("pexpect")
    env = {**os.environ, "TERM": "xterm-256color",
           # a pty does not answer prompt_toolkit's cursor-position query the way a terminal
           # emulator does; without this each prompt waits ~1 s for the reply
           "PROMPT_TOOLKIT_NO_CPR": "1"}
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(sys.executable, ["-m", "lambdactl", "init", *args], cwd=str(tmp_path), env=env,
                          encoding="utf-8", timeout=60, dimensions=(50, 200))   # per prompt; returns at once
    return child, pexpect


def finish(child, pexpect) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus if child.exitstatus is not None else 128 + (child.signalstatus or 0)


def test_wizard_in_a_pty_answers_every_prompt(tmp_path):
    child, pexpect = spawn_init(tmp_path, "proj-dir")
    child.expect("Function name")
    child.expect("proj-dir")                       # DIR's name is offered as the default
    child.send(CTRL_U + "bad name!\r")
    child.expect("not a valid function name")      # validated in place, asked again
    child.send(CTRL_U + "orders-worker\r")
    child.expect("Runtime")
    child.send(DOWN + "\r")                        # default python3.13, one down: python3.12
    child.expect("Architecture")
    child.expect("20% cheaper")                    # arm64 recommended, with the reason
    child.send("\r")
    child.expect("Memory")
    child.send(CTRL_U + "64\r")
    child.expect("out of range")
    child.send(CTRL_U + "512\r")
    child.expect("Timeout")
    child.send(CTRL_U + "60\r")
    child.expect("Template")
    child.send(DOWN + DOWN + "\r")                 # api, s3, sqs
    child.expect("Trigger to wire on first deploy")
    child.send("\r")                               # the template's own: sqs
    child.expect("Queue ARN or URL")
    child.send(QUEUE_ARN + "\r")
    child.expect("Create an IAM role automatically")
    child.send("n")
    child.expect("Role ARN")
    child.send(ROLE_ARN + "\r")
    child.expect("Summary")
    child.expect("Write the project to proj-dir")
    child.send("\r")
    child.expect("Next:")
    assert finish(child, pexpect) == 0

    d = tmp_path / "proj-dir"
    assert files_in(d) == EXPECTED_FILES | {"events/sqs.json"}
    proj = load_project(d)
    f = proj.function
    assert (f.name, f.runtime, f.architecture, f.memory, f.timeout) == ("orders-worker", "python3.12", "arm64", 512, 60)
    assert f.handler == "app.handler" and f.source == "src" and f.requirements == "requirements.txt"
    assert f.role == ROLE_ARN
    assert len(proj.triggers) == 1 and proj.triggers[0].type == "sqs"
    assert proj.triggers[0].get("source") == QUEUE_ARN
    assert proj.triggers[0].get("report_batch_item_failures") is True
    assert "batchItemFailures" in (d / "src/app.py").read_text()
    event = json.loads((d / "events/sqs.json").read_text())
    assert event["Records"][0]["eventSourceARN"] == QUEUE_ARN


def test_wizard_asks_only_what_flags_did_not_give_and_schedule_is_validated(tmp_path):
    child, pexpect = spawn_init(tmp_path, "nightly", "--runtime", "python3.12", "--arch", "x86_64",
                                "--memory", "128", "--timeout", "120", "--auto-role")
    child.expect("Function name")
    child.send("\r")                               # accept DIR's name
    idx = child.expect(["Runtime", "Architecture", "Memory", "Timeout", "Template"])
    assert idx == 4, "prompted for a value given as a flag"
    child.send(DOWN * 3 + "\r")                    # schedule
    child.expect("Trigger to wire on first deploy")
    child.send("\r")
    child.expect("Schedule expression")
    child.send(CTRL_U + "rate(2 hour)\r")
    child.expect("plural")                         # the schedule validator speaks
    child.send(CTRL_U + "cron(0 3 * * ? *)\r")
    idx = child.expect(["Create an IAM role", "Summary"])
    assert idx == 1, "asked about the role although --auto-role was given"
    child.expect("Write the project")
    child.send("y")
    assert finish(child, pexpect) == 0
    proj = load_project(tmp_path / "nightly")
    assert proj.function.name == "nightly" and proj.function.architecture == "x86_64"
    assert proj.function.memory == 128 and proj.function.timeout == 120 and proj.function.role == ""
    assert [(t.type, t.get("expression")) for t in proj.triggers] == [("schedule", "cron(0 3 * * ? *)")]


def test_wizard_declined_writes_nothing(tmp_path):
    child, pexpect = spawn_init(tmp_path, "nope", "--name", "nope", "--runtime", "python3.13", "--arch", "arm64",
                                "--memory", "256", "--timeout", "30", "--template", "api",
                                "--trigger", "none", "--auto-role")
    child.expect("Write the project")              # everything given: only the confirmation is asked
    child.send("n")
    child.expect("nothing written")
    assert finish(child, pexpect) == 1
    assert not (tmp_path / "nope").exists()


def test_wizard_ctrl_c_exits_130_without_traceback(tmp_path):
    child, pexpect = spawn_init(tmp_path, "cancelled")
    child.expect("Function name")
    child.sendintr()
    child.expect("error:.*interrupted")
    seen = child.before + child.after
    assert finish(child, pexpect) == 130
    assert "Traceback" not in seen + (child.before or "")
    assert not (tmp_path / "cancelled").exists()


def test_no_input_on_a_tty_never_prompts(tmp_path):
    child, pexpect = spawn_init(tmp_path, "--no-input", "--template", "api")
    idx = child.expect(["Function name", "a function name is required", pexpect.EOF])
    assert idx == 1
    assert finish(child, pexpect) == 2
    assert list(tmp_path.iterdir()) == []
    child, pexpect = spawn_init(tmp_path, "tty-fn", "--no-input")
    child.expect("Next:")
    assert finish(child, pexpect) == 0
    assert load_project(tmp_path / "tty-fn").function.name == "tty-fn"


# --- non-interactive (CliRunner is not a TTY: automatically non-interactive) -----------------

def test_defaults_without_a_tty_use_dir_name(invoke_cli, project_dir):
    r = invoke_cli("init", "hello")
    assert r.exit_code == 0, r.stderr
    d = project_dir / "hello"
    assert files_in(d) == EXPECTED_FILES | {"events/api.json"}
    f = load_project(d).function
    assert (f.name, f.runtime, f.architecture, f.memory, f.timeout, f.role) == \
        ("hello", "python3.13", "arm64", 256, 30, "")
    assert load_project(d).triggers == []
    assert "lambdactl invoke --local @events/api.json" in r.stderr   # next steps on stderr
    assert "cd hello" in r.stderr


def test_table_says_what_an_empty_role_means(invoke_cli, project_dir):
    """Review fix: the table showed a blank 'role' row; JSON keeps the project file's ""."""
    r = invoke_cli("init", "roled", "-o", "table")
    assert r.exit_code == 0, r.stderr
    row = next(ln for ln in r.stdout.splitlines() if ln.startswith("role"))
    assert row.split(None, 1)[1] == "(created on first deploy: lambdactl-roled-role)"
    r = invoke_cli("init", "roled2", "--role", ROLE_ARN, "-o", "table")
    assert next(ln for ln in r.stdout.splitlines() if ln.startswith("role")).split()[1] == ROLE_ARN
    r = invoke_cli("init", "roled3", "-o", "json")
    assert r.json()["role"] == ""


def test_json_output_and_quiet(invoke_cli, project_dir):
    r = invoke_cli("init", "svc", "--name", "svc-fn", "-o", "json")
    assert r.exit_code == 0, r.stderr
    data = r.json()
    assert data["name"] == "svc-fn" and data["template"] == "api" and data["trigger"] == "none"
    assert data["directory"] == str(project_dir / "svc")
    assert {x["path"]: x["status"] for x in data["files"]}["lambdactl.toml"] == "created"
    r = invoke_cli("-q", "init", "svc2", "--name", "svc2")
    assert r.exit_code == 0 and r.stdout.strip() == str(project_dir / "svc2") and r.stderr == ""


@pytest.mark.parametrize("template,trigger,check", [
    ("api", "url:NONE", lambda t: t.type == "url" and t.get("auth") == "NONE"),
    ("s3", "s3:my-uploads", lambda t: t.type == "s3" and t.get("bucket") == "my-uploads"
     and t.get("events") == ["s3:ObjectCreated:*"]),
    ("sqs", f"sqs:{QUEUE_ARN}", lambda t: t.type == "sqs" and t.get("source") == QUEUE_ARN
     and t.get("batch_size") == 10),
    ("schedule", None, lambda t: t.type == "schedule" and t.get("expression") == "rate(5 minutes)"),
])
def test_every_template_generates_a_loadable_project_whose_tests_pass(invoke_cli, project_dir, template,
                                                                       trigger, check):
    args = ["init", template, "--name", f"fn-{template}", "--template", template, "--no-input",
            "--runtime", "python3.12", "--arch", "x86_64", "--memory", "1024", "--timeout", "900",
            "--role", ROLE_ARN]
    if trigger:
        args += ["--trigger", trigger]
    r = invoke_cli(*args)
    assert r.exit_code == 0, r.stderr
    d = project_dir / template
    proj = load_project(d)
    f = proj.function
    assert (f.runtime, f.architecture, f.memory, f.timeout, f.role) == ("python3.12", "x86_64", 1024, 900, ROLE_ARN)
    assert len(proj.triggers) == 1 and check(proj.triggers[0])
    event = json.loads((d / f"events/{template}.json").read_text())
    shape = {"api": lambda e: e["requestContext"]["http"]["method"] == "GET" and e["version"] == "2.0",
             "s3": lambda e: e["Records"][0]["eventSource"] == "aws:s3" and e["Records"][0]["s3"]["bucket"]["name"] == "my-uploads",
             "sqs": lambda e: all(rec["eventSource"] == "aws:sqs" for rec in e["Records"]) and len(e["Records"]) == 2,
             "schedule": lambda e: e["detail-type"] == "Scheduled Event" and e["source"] == "aws.events"}
    assert shape[template](event)
    # The generated tests pass (run in-process here; the subprocess pytest run is below).
    assert run_generated_tests(d) >= 2


def run_generated_tests(d: Path) -> int:
    """Import the generated tests/test_handler.py (which imports src/app.py) and call each test."""
    import importlib.util

    saved_path, saved_app = list(sys.path), sys.modules.pop("app", None)
    try:
        spec = importlib.util.spec_from_file_location(f"generated_test_{d.name}", d / "tests/test_handler.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        tests = [getattr(module, n) for n in dir(module) if n.startswith("test_")]
        for test in tests:
            test()
        return len(tests)
    finally:
        sys.path[:] = saved_path
        sys.modules.pop("app", None)
        if saved_app is not None:
            sys.modules["app"] = saved_app


def test_generated_tests_pass_under_pytest(invoke_cli, project_dir):
    """`python -m pytest -q` in the new project, exactly as the next steps say."""
    assert invoke_cli("init", "p", "--template", "sqs").exit_code == 0
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                         cwd=project_dir / "p", capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout


@pytest.mark.parametrize("template,kind", [("s3", "s3"), ("sqs", "sqs")])
def test_s3_and_sqs_without_a_source_are_left_commented(invoke_cli, project_dir, template, kind):
    r = invoke_cli("init", "x", "--template", template)
    assert r.exit_code == 0, r.stderr
    text = (project_dir / "x/lambdactl.toml").read_text()
    assert f'# type = "{kind}"' in text
    assert load_project(project_dir / "x").triggers == []
    assert "uncomment [[triggers]]" in r.stderr


def test_missing_name_without_a_tty_is_exit_2_not_a_hang(run_lambdactl, tmp_path):
    """A real subprocess with stdin from /dev/null: must fail fast, never wait for input."""
    r = run_lambdactl("init", "--template", "api", cwd=tmp_path, timeout=30)
    assert r.returncode == 2, r.stderr
    assert r.stdout == "" and "Traceback" not in r.stderr
    assert "error: a function name is required" in r.stderr and "--name" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_invalid_dir_name_is_not_used_as_function_name(invoke_cli, project_dir):
    r = invoke_cli("init", "my.project")
    assert_clean_error(r, 2, contains="'my.project' is not a valid function name")
    assert not (project_dir / "my.project").exists()
    r = invoke_cli("init", "--no-input")
    assert_clean_error(r, 2, contains="no --name given")


@pytest.mark.parametrize("args,contains", [
    (["--memory", "64"], "memory 64 is out of range"),
    (["--memory", "10241"], "out of range"),
    (["--memory", "lots"], "--memory"),
    (["--timeout", "0"], "timeout 0 is out of range"),
    (["--timeout", "901"], "out of range"),
    (["--arch", "sparc"], "unknown architecture"),
    (["--runtime", "python2.7"], "unknown runtime"),
    (["--runtime", "nodejs22.x"], "Python handlers"),
    (["--runtime", "python3.9"], "deprecated"),
    (["--template", "flask"], "unknown template"),
    (["--trigger", "kafka"], "unknown trigger"),
    (["--trigger", "schedule:rate(5 minute)"], "plural"),
    (["--trigger", "schedule:every day"], "invalid schedule expression"),
    (["--trigger", "s3:Bad_Bucket"], "not a valid S3 bucket name"),
    (["--trigger", "sqs:orders"], "not an SQS queue ARN or URL"),
    (["--trigger", "url:PUBLIC"], "unknown auth type"),
    (["--trigger", "none:x"], "takes no value"),
    (["--role", "admin"], "not an IAM role ARN"),
    (["--role", ROLE_ARN, "--auto-role"], "contradict"),
    (["--name", "x" * 65], "not a valid function name"),
    (["--name", "has space"], "not a valid function name"),
])
def test_bad_flags_exit_2_and_write_nothing(invoke_cli, project_dir, args, contains):
    r = invoke_cli("init", "out", "--name", "ok", *args) if "--name" not in args else invoke_cli("init", "out", *args)
    assert_clean_error(r, 2, contains=contains)
    assert not (project_dir / "out").exists()


def test_refuses_to_overwrite_then_force(invoke_cli, project_dir):
    d = project_dir / "app"
    d.mkdir()
    (d / ".gitignore").write_text("node_modules/\n")
    assert invoke_cli("init", "app").exit_code == 0
    gitignore = (d / ".gitignore").read_text()
    assert gitignore.startswith("node_modules/\n") and "__pycache__/" in gitignore   # merged, not replaced
    (d / "lambdactl.toml").write_text("# mine\n")
    (d / "src/app.py").write_text("# mine\n")
    r = invoke_cli("init", "app")
    assert_clean_error(r, 2, contains="not overwriting existing files")
    for name in ("app/lambdactl.toml", "app/src/app.py", "app/tests/test_handler.py", "app/requirements.txt"):
        assert name in r.stderr
    assert "--force" in r.stderr
    assert (d / "lambdactl.toml").read_text() == "# mine\n"      # untouched
    r = invoke_cli("init", "app", "--force", "-o", "json")
    assert r.exit_code == 0, r.stderr
    status = {x["path"]: x["status"] for x in r.json()["files"]}
    assert status["lambdactl.toml"] == "overwritten" and status[".gitignore"] == "unchanged"
    assert load_project(d).function.name == "app"
    assert (d / ".gitignore").read_text() == gitignore


def test_event_file_of_another_template_is_also_protected(invoke_cli, project_dir):
    d = project_dir / "p"
    (d / "events").mkdir(parents=True)
    (d / "events/sqs.json").write_text("{}")
    r = invoke_cli("init", "p", "--template", "sqs")
    assert_clean_error(r, 2, contains="p/events/sqs.json")
    assert not (d / "lambdactl.toml").exists()
    assert invoke_cli("init", "p", "--template", "api").exit_code == 0   # a different event file: fine


def test_dir_that_is_a_file_is_refused(invoke_cli, project_dir):
    (project_dir / "taken").write_text("x")
    assert_clean_error(invoke_cli("init", "taken"), 2, contains="not a directory")


def test_init_in_current_directory(invoke_cli, project_dir):
    r = invoke_cli("init", "--name", "here-fn", "--template", "schedule")
    assert r.exit_code == 0, r.stderr
    assert load_project(project_dir).function.name == "here-fn"
    assert "cd " not in r.stderr


def test_from_cannot_be_combined_with_template_flags(invoke_cli, project_dir):
    r = invoke_cli("init", "--from", "live-fn", "--template", "sqs")
    assert_clean_error(r, 2, contains="--template")


# --- the generated project works immediately ---------------------------------------------------

def _assert_command_exists(invoke_cli, *words: str, option: str | None = None) -> None:
    """The commands the generated project's next steps name must exist: a broken --help fails
    the test (it used to skip it, hiding the breakage)."""
    r = invoke_cli(*words, "--help")
    assert r.exit_code == 0, (words, r.stdout, r.stderr)
    assert option is None or option in r.stdout, (words, option, r.stdout)


def test_generated_project_runs_with_invoke_local(invoke_cli, run_lambdactl, project_dir):
    _assert_command_exists(invoke_cli, "invoke", option="--local")
    assert invoke_cli("init", "hello").exit_code == 0
    d = project_dir / "hello"
    r = run_lambdactl("invoke", "--local", "@events/api.json", "-o", "json", cwd=d, timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    payload = out.get("payload", out)
    assert payload["statusCode"] == 200
    assert json.loads(payload["body"]) == {"message": "Hello, Ada!"}
    # the SQS template's partial batch failure, locally
    assert invoke_cli("init", "worker", "--template", "sqs").exit_code == 0
    event = json.loads((project_dir / "worker/events/sqs.json").read_text())
    event["Records"][0]["body"] = "not json"
    r = run_lambdactl("invoke", "--local", json.dumps(event), "-o", "json", cwd=project_dir / "worker", timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out.get("payload", out) == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}


def test_generated_project_deploys_to_moto(invoke_cli, project_dir, boto):
    _assert_command_exists(invoke_cli, "deploy")
    assert invoke_cli("init", "nightly", "--template", "schedule", "--runtime", "python3.12").exit_code == 0
    os.chdir(project_dir / "nightly")
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    cfg = boto("lambda").get_function_configuration(FunctionName="nightly")
    assert cfg["Runtime"] == "python3.12" and cfg["Handler"] == "app.handler"
    assert cfg["Architectures"] == ["arm64"] and cfg["MemorySize"] == 256 and cfg["Timeout"] == 30
    assert cfg["Environment"]["Variables"] == {"LOG_LEVEL": "INFO"}
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    assert "unchanged" in (r.stdout + r.stderr).lower()


def test_wizard_defaults_are_replaced_by_typing_and_taken_on_enter(tmp_path):
    """The default name is shown, not typed into the answer: typing replaces it (no 'wizwizfn'),
    Enter alone takes it; the same for memory and timeout."""
    child, pexpect = spawn_init(tmp_path, "wizfn", "--runtime", "python3.12", "--arch", "arm64",
                                "--template", "api", "--trigger", "none", "--auto-role")
    child.expect("Function name")
    child.expect("wizfn")                          # the default is on screen
    child.send("abc\r")                            # typing replaces it
    child.expect("Memory")
    child.send("\r")                               # Enter: the default, 256
    child.expect("Timeout")
    child.send("45\r")
    child.expect("Write the project")
    child.send("y")
    assert finish(child, pexpect) == 0
    f = load_project(tmp_path / "wizfn").function
    assert (f.name, f.memory, f.timeout) == ("abc", 256, 45)

    child, pexpect = spawn_init(tmp_path, "deffn", "--runtime", "python3.12", "--arch", "arm64",
                                "--memory", "512", "--template", "api", "--trigger", "none", "--auto-role")
    child.expect("Function name")
    child.send("\r")                               # Enter alone: the default, DIR's name
    child.expect("Timeout")
    child.send("\r")
    child.expect("Write the project")
    child.send("y")
    assert finish(child, pexpect) == 0
    f = load_project(tmp_path / "deffn").function
    assert (f.name, f.memory, f.timeout) == ("deffn", 512, 30)
