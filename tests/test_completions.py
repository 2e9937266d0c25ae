"""Shell completion: the scripts in completions/ are generated from the app and never stale, they
load in bash, and the completion protocol (the env variables typer/click use) completes command,
subcommand and option names — in bash itself and for zsh, fish and PowerShell."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPLETIONS = ROOT / "completions"
BIN = Path(sys.executable).parent       # where the `lambdactl` console script is installed


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(f"_script_{name}", ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen():
    return load_script("gen_completions")


@pytest.fixture(scope="module")
def tree():
    """{command path words: click command} for every visible command (from the live app)."""
    import typer.main

    from lambdactl.cli.app import app

    cli = typer.main.get_command(app)
    from typer import _click

    out = {}

    def visit(cmd, words, parent):
        ctx = _click.Context(cmd, info_name=words[-1] if words else "lambdactl", parent=parent)
        out[tuple(words)] = (cmd, ctx)
        for name in getattr(cmd, "list_commands", lambda c: [])(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                visit(sub, [*words, name], ctx)

    visit(cli, [], None)
    return out


def visible_subcommands(tree, words: tuple[str, ...]) -> list[str]:
    return sorted(w[-1] for w in tree if len(w) == len(words) + 1 and w[:-1] == words)


def complete(shell: str, line: str) -> list[str]:
    """Run `python -m lambdactl` the way the shell scripts do, for the command line ``line``."""
    env = {**os.environ, "_LAMBDACTL_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        words = line.split(" ")
        env.update(COMP_WORDS=line, COMP_CWORD=str(len(words) - 1))
    elif shell == "powershell":
        env.update(_TYPER_COMPLETE_ARGS=line, _TYPER_COMPLETE_WORD_TO_COMPLETE=line.split(" ")[-1])
    else:
        env["_TYPER_COMPLETE_ARGS"] = line
        if shell == "fish":
            env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    r = subprocess.run([sys.executable, "-m", "lambdactl"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return r.stdout.splitlines()


def test_scripts_are_generated_from_the_app_and_up_to_date(gen):
    assert sorted(p.name for p in COMPLETIONS.iterdir()) == \
        ["lambdactl.bash", "lambdactl.fish", "lambdactl.ps1", "lambdactl.zsh"]
    assert gen.stale() == [], "run: python scripts/gen_completions.py"
    generated = gen.generate()
    for name, text in generated.items():
        assert "_LAMBDACTL_COMPLETE" in text and "lambdactl" in text, name
    assert generated["lambdactl.zsh"].startswith("#compdef lambdactl\n")


def test_check_mode_reports_a_stale_script(gen, tmp_path):
    for name, text in gen.generate().items():
        (tmp_path / name).write_text(text)
    assert gen.main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "lambdactl.fish").write_text("# edited by hand\n")
    assert gen.main(["--check", "--out", str(tmp_path)]) == 1
    assert gen.main(["--out", str(tmp_path)]) == 0                 # regenerates
    assert gen.main(["--check", "--out", str(tmp_path)]) == 0


def test_bash_script_loads():
    r = subprocess.run(["bash", "-c", f"source {COMPLETIONS / 'lambdactl.bash'} && complete -p lambdactl"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert "_lambdactl_completion" in r.stdout


def test_bash_completes_subcommands_inside_bash(tree):
    """The sourced function, called by bash as on <TAB>, fills COMPREPLY via the real CLI."""
    script = (f"source {COMPLETIONS / 'lambdactl.bash'}\n"
              "COMP_WORDS=(lambdactl de); COMP_CWORD=1\n"
              "_lambdactl_completion lambdactl\n"
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    r = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    expected = [w for w in visible_subcommands(tree, ()) if w.startswith("de")]
    assert "delete" in expected
    assert sorted(r.stdout.split()) == expected


def test_env_protocol_completes_top_level_commands(tree):
    top = visible_subcommands(tree, ())
    assert sorted(complete("bash", "lambdactl ")) == top
    assert sorted(complete("bash", "lambdactl in")) == [w for w in top if w.startswith("in")]
    assert "init" in complete("bash", "lambdactl in") and "info" in complete("bash", "lambdactl in")


def test_env_protocol_completes_subcommands_of_a_group(tree):
    groups = [w for w in tree if len(w) == 1 and visible_subcommands(tree, w)
              and not getattr(tree[w][0], "default_command", None)]
    assert groups, "no command group without a default action: the test would check nothing"
    group = groups[0]
    assert sorted(complete("bash", f"lambdactl {group[0]} ")) == visible_subcommands(tree, group)


def test_env_protocol_completes_options_and_hides_hidden_commands(tree):
    assert "--template" in complete("bash", "lambdactl init --tem")
    assert set(complete("bash", "lambdactl init --")) >= {"--name", "--runtime", "--arch", "--memory",
                                                           "--timeout", "--template", "--trigger",
                                                           "--no-input", "--force"}
    assert "list" not in complete("bash", "lambdactl li")         # `list` is a hidden alias of ls
    assert "--output" in complete("bash", "lambdactl --out")


def test_option_values_complete_for_init():
    assert complete("bash", "lambdactl init --template s") == ["s3", "sqs", "schedule"]
    assert complete("bash", "lambdactl init --arch a") == ["arm64"]
    runtimes = complete("bash", "lambdactl init --runtime py")
    assert runtimes and all(r.startswith("python3.") for r in runtimes) and "python3.13" in runtimes
    assert complete("bash", "lambdactl init --trigger s") == ["schedule", "s3", "sqs"]


@pytest.mark.parametrize("shell", ["zsh", "fish", "powershell"])
def test_other_shells_protocol(shell):
    out = "\n".join(complete(shell, "lambdactl in"))
    assert "init" in out and "info" in out
    assert "delete" not in out


@pytest.mark.parametrize("shell,check", [("zsh", ["zsh", "-n"]), ("fish", ["fish", "--no-execute"]),
                                         ("powershell", None)])
def test_other_shell_scripts_parse_where_the_shell_is_installed(shell, check):
    exe = {"zsh": "zsh", "fish": "fish", "powershell": "pwsh"}[shell]
    if shutil.which(exe) is None:
        pytest.skip(f"{exe} is not installed")
    path = COMPLETIONS / {"zsh": "lambdactl.zsh", "fish": "lambdactl.fish", "powershell": "lambdactl.ps1"}[shell]
    if check is None:  # PowerShell: parse only
        check = ["pwsh", "-NoProfile", "-Command",
                 f"$null = [System.Management.Automation.Language.Parser]::ParseFile('{path}', [ref]$null, [ref]$errs); "
                 "if ($errs) { exit 1 }"]
        r = subprocess.run(check, capture_output=True, text=True, timeout=60)
    else:
        r = subprocess.run([*check, str(path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_install_completion_option_is_kept(invoke_cli):
    r = invoke_cli("--help")
    assert "--install-completion" in r.stdout and "--show-completion" in r.stdout


# --- function names from AWS (cached briefly, bounded in time) ---------------------------------

def complete_env(line: str, **env: str) -> tuple[list[str], float]:
    words = line.split(" ")
    e = {**os.environ, "_LAMBDACTL_COMPLETE": "complete_bash", "COMP_WORDS": line,
         "COMP_CWORD": str(len(words) - 1), **env}
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "lambdactl"], env=e, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - t0
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    return r.stdout.split(), elapsed


def test_function_names_complete_from_aws_and_are_cached(create_function):
    create_function("orders-api")
    create_function("orders-worker")
    create_function("billing")
    names, _ = complete_env("lambdactl info ord")
    assert names == ["orders-api", "orders-worker"]
    assert complete_env("lambdactl delete b")[0] == ["billing"]
    create_function("orders-new")
    assert complete_env("lambdactl info ord")[0] == ["orders-api", "orders-worker"]   # cached (60 s)
    names, _ = complete_env("lambdactl info ord", LAMBDACTL_COMPLETION_TTL="0")
    assert names == ["orders-api", "orders-new", "orders-worker"]                    # refreshed


@pytest.fixture
def silent_endpoint():
    """An endpoint that accepts connections and never answers (a hung network)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    srv.close()


def test_a_hung_endpoint_never_blocks_the_shell_and_stale_names_are_used(silent_endpoint):
    """A server that never answers: completion gives up at its deadline (0.5 s here) with the
    stale names or nothing. No wall-clock assertion (a loaded box makes those flaky): a completion
    that waited on the hung server would run into complete_env's 60 s subprocess timeout."""
    from lambdactl.core.resources import completion

    hung = {"AWS_ENDPOINT_URL": silent_endpoint, "LAMBDACTL_COMPLETION_TIMEOUT": "0.5"}
    names, _ = complete_env("lambdactl info ", **hung)
    assert names == []
    target = {"profile": None, "region": "us-east-1", "endpoint_url": silent_endpoint, "sandbox": False}
    path = completion.cache_file(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"time": 0, "names": ["old-fn", "other"]}))   # stale cache
    names, _ = complete_env("lambdactl info ol", **hung)
    assert names == ["old-fn"]


def test_a_slow_server_is_waited_for_up_to_the_deadline(create_function, moto_endpoint):
    """Under load (-n 8 on 2 cores) ListFunctions took longer than completion's 1.5 s and the names
    came back empty. The deadline (LAMBDACTL_COMPLETION_TIMEOUT; the tests give it 60 s) bounds the
    whole fetch, the HTTP timeouts included: a server that answers in 1.5 s is waited for when the
    deadline allows it, and given up on when it does not."""
    from tests.faultproxy import FaultProxy

    create_function("orders-api")
    proxy = FaultProxy(moto_endpoint, fraction=0.0, delay=1.5).start()     # every answer 1.5 s late
    try:
        slow = {"AWS_ENDPOINT_URL": proxy.endpoint, "LAMBDACTL_COMPLETION_TTL": "0"}
        assert complete_env("lambdactl info ord", **slow, LAMBDACTL_COMPLETION_TIMEOUT="0.5")[0] == []
        assert complete_env("lambdactl info ord", **slow)[0] == ["orders-api"]
    finally:
        proxy.stop()


def test_groups_with_a_default_action_complete_subcommands_functions_and_options(create_function):
    """Review fix: `logs <TAB>` offered only function names (the default `tail` swallowed the
    word), so `lambdactl logs ret<TAB>` completed nothing."""
    create_function("orders-api")
    names, _ = complete_env("lambdactl logs ", LAMBDACTL_COMPLETION_TTL="0")
    assert {"tail", "retention", "orders-api"} <= set(names)
    assert complete_env("lambdactl logs ret")[0] == ["retention"]
    assert complete_env("lambdactl logs ord")[0] == ["orders-api"]
    assert complete_env("lambdactl versions pr")[0] == ["prune"]
    # options of the default command, with or without the function typed first
    assert {"--since", "--stream"} <= set(complete_env("lambdactl logs --s")[0])
    assert {"--since", "--stream"} <= set(complete_env("lambdactl logs orders-api --s")[0])
    assert complete_env("lambdactl logs retention orders-a")[0] == ["orders-api"]


# --- issue 17: alias names, typer's own click, paginators ---------------------------------------

def test_alias_names_complete_like_function_names(create_function, boto):
    """`alias show FN <TAB>`, `alias set FN <TAB>` (and the other alias commands) complete the
    function's alias names, from the same short cache as the function names."""
    create_function("orders-api")
    lam = boto("lambda")
    lam.publish_version(FunctionName="orders-api")
    for a in ("live", "beta"):
        lam.create_alias(FunctionName="orders-api", Name=a, FunctionVersion="1")
    assert complete_env("lambdactl alias show orders-api ")[0] == ["beta", "live"]
    assert complete_env("lambdactl alias set orders-api l")[0] == ["live"]
    for cmd in ("delete", "shift", "promote", "rollback"):
        assert complete_env(f"lambdactl alias {cmd} orders-api b")[0] == ["beta"], cmd
    assert complete_env("lambdactl alias show ord")[0] == ["orders-api"]        # first word: the function
    assert complete_env("lambdactl alias show orders-api live ")[0] == []       # nothing after ALIAS
    lam.create_alias(FunctionName="orders-api", Name="lab", FunctionVersion="1")
    assert complete_env("lambdactl alias show orders-api l")[0] == ["live"]     # cached (60 s)
    assert complete_env("lambdactl alias show orders-api l", LAMBDACTL_COMPLETION_TTL="0")[0] == ["lab", "live"]
    assert complete_env("lambdactl alias show ghost ")[0] == []                 # no such function: nothing


def test_function_colon_completes_aliases_in_zsh_and_fish(create_function, boto):
    """`logs FN:<TAB>` (the FUNCTION arguments) completes FN:alias where ':' is not a word break
    (zsh, fish; bash splits the word at ':', there the alias commands complete alias names)."""
    create_function("orders-api")
    boto("lambda").publish_version(FunctionName="orders-api")
    boto("lambda").create_alias(FunctionName="orders-api", Name="live", FunctionVersion="1")
    assert complete("fish", "lambdactl logs orders-api:") == ["orders-api:live"]
    assert complete("fish", "lambdactl stats orders-api:l") == ["orders-api:live"]
    assert complete("fish", "lambdactl info orders-api:x") == [""]
    assert "orders-api\\\\:live" in "\n".join(complete("zsh", "lambdactl info orders-api:li"))


def test_completion_works_without_a_separate_click_install(create_function, tmp_path):
    """typer 0.28 vendors click as typer._click: with a plain 'pip install .' there is no click
    package (moto pulls it in for the tests). A 'click' that cannot be imported must not matter."""
    create_function("orders-api")
    shadow = tmp_path / "no-click"
    (shadow / "click").mkdir(parents=True)
    (shadow / "click" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'click'\", name='click')\n")
    env = {"PYTHONPATH": str(shadow), "LAMBDACTL_COMPLETION_TTL": "0"}
    names, _ = complete_env("lambdactl logs ", **env)
    assert {"tail", "retention", "orders-api"} <= set(names)
    assert complete_env("lambdactl versions ord", **env)[0] == ["orders-api"]
    assert complete_env("lambdactl alias show orders-api ", **env)[0] == []
    r = subprocess.run([sys.executable, "-m", "lambdactl", "logs", "--help"], capture_output=True, text=True,
                       env={**os.environ, **env}, timeout=60)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr


def test_no_module_imports_click_directly():
    """Every click import in the package goes through typer's vendored copy."""
    import re

    pkg = ROOT / "lambdactl"
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in pkg.rglob("*.py")
                 for n, line in enumerate(p.read_text().splitlines(), 1)
                 if re.match(r"\s*(import click\b|from click\b)", line)]
    assert offenders == []


@pytest.fixture
def repeating_marker_endpoint():
    """A Lambda endpoint whose ListFunctions always answers the same NextMarker (a broken or
    hostile server); counts the requests."""
    import http.server
    import threading

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            body = json.dumps({"Functions": [{"FunctionName": f"fn-{len(hits)}"}], "NextMarker": "same"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", hits
    srv.shutdown()


def test_function_names_paginator_stops_on_a_repeated_marker(repeating_marker_endpoint):
    url, hits = repeating_marker_endpoint
    names, _ = complete_env("lambdactl info fn", AWS_ENDPOINT_URL=url)
    assert names == ["fn-1", "fn-2"]          # the second page repeats the marker: stop there
    assert len(hits) == 2
