"""The README is the manual: its command reference is generated from the live app and must not be
stale, and every command and option of the app must appear in it (after sqlite-utils' test_docs)."""
from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("_script_gen_docs", ROOT / "scripts" / "gen_docs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses need their module registered
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def nodes(gen):
    return gen.walk()


def sections(text: str) -> dict[str, str]:
    """{'lambdactl alias set': the text of that command's section in the reference}."""
    parts = re.split(r"^### `([^`]+)`\s*$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_reference_is_up_to_date(gen, readme):
    assert gen.splice(readme, gen.render()) == readme, "stale: run python scripts/gen_docs.py"


def test_every_command_is_documented(nodes, readme):
    documented = sections(readme)
    missing = [n.path for n in nodes if n.path not in documented]
    assert not missing, f"commands missing from README.md: {missing}"
    paths = {n.path for n in nodes}
    assert {"lambdactl", "lambdactl ls", "lambdactl info", "lambdactl delete", "lambdactl init"} <= paths


def test_every_option_is_documented_in_its_command_section(gen, nodes, readme):
    documented = sections(readme)
    missing = []
    for node in nodes:
        text = documented.get(node.path, "")
        for opt in gen.option_names(node):
            if not re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", text):
                missing.append(f"{node.path} {opt}")
        for p in gen.visible_params(node):
            if p.param_type_name == "argument" and gen.argument_name(p) not in text:
                missing.append(f"{node.path} {gen.argument_name(p)}")
    assert not missing, f"options missing from README.md: {missing}"


def test_hidden_commands_are_not_documented(readme, nodes):
    assert "lambdactl list" not in sections(readme)      # `list` is a hidden alias of `ls`
    assert "### `lambdactl list`" not in readme


def test_check_mode_and_rewrite(gen, readme, tmp_path):
    readme = gen.splice(readme, gen.render())        # independent of whether README.md is stale
    copy = tmp_path / "README.md"
    copy.write_text(readme)
    assert gen.main(["--check", "--readme", str(copy)]) == 0
    copy.write_text(readme.replace("### `lambdactl init`", "### `lambdactl init-old`"))
    assert gen.main(["--check", "--readme", str(copy)]) == 1
    assert gen.main(["--readme", str(copy)]) == 0
    assert copy.read_text() == readme
    copy.write_text("# no markers\n")
    with pytest.raises(SystemExit):
        gen.main(["--readme", str(copy)])


def test_reference_does_not_depend_on_terminal_width(gen, monkeypatch):
    first = gen.render()
    monkeypatch.setenv("COLUMNS", "40")
    assert gen.render() == first


def test_setup_commands_are_at_the_top(readme):
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    assert blocks[0].strip() == "python3 -m venv v && v/bin/pip install '.[sandbox]' && v/bin/lambdactl demo"
    assert blocks[1].strip() == TEST_COMMAND
    assert readme.index(blocks[1]) < readme.index("## ")


TEST_COMMAND = "python3 -m venv v && v/bin/pip install -e '.[test,sandbox]' && v/bin/pytest -n 2 -q"


def test_ci_runs_the_readme_test_command():
    """.ci/run creates the venv, installs the test extras and runs the same pytest command."""
    ci = (ROOT / ".ci" / "run").read_text()
    assert "v/bin/pip install -q -e '.[test,sandbox]'" in ci
    assert "v/bin/pytest -n 2 -q" in ci
    assert '"$rc" -eq 5' in ci   # no tests collected is a failure


def test_manual_sections_exist_in_order(readme):
    order = ["## Five-minute tour", "## Coming from the aws CLI", "## In a Makefile", "## Exit codes",
             "## Command reference"]
    positions = [readme.index(h) for h in order]
    assert positions == sorted(positions)


def test_exit_codes_table_matches_the_code(readme):
    from lambdactl.errors import ExitCode

    table = readme.split("## Exit codes", 1)[1].split("## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \|", table, flags=re.M)
    assert sorted(int(r) for r in rows) == sorted(int(c) for c in ExitCode)


def test_aws_cli_table_covers_the_common_workflows(readme):
    table = readme.split("## Coming from the aws CLI", 1)[1].split("\n## ", 1)[0]
    for aws in ("aws lambda invoke", "aws lambda update-function-code", "aws lambda publish-version",
                "aws lambda update-alias", "aws lambda add-permission", "aws logs tail",
                "aws logs filter-log-events", "aws events put-rule",
                "aws s3api put-bucket-notification-configuration", "aws lambda put-function-concurrency",
                "aws lambda create-event-source-mapping"):
        assert aws in table, aws


def test_commands_named_in_the_manual_exist(nodes, readme):
    """Every `lambdactl <command> [<subcommand>]` in the hand-written sections is a real command.

    For a group with a default action (`logs FN`, `versions FN`) the second word may be a function.
    """
    manual = readme.split("<!-- BEGIN COMMAND REFERENCE -->", 1)[0]
    by_path = {n.path: n for n in nodes}
    bad = set()
    blocks = re.findall(r"```[a-z]*\n(.*?)```", manual, flags=re.S)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", manual, flags=re.S))
    code = "\n".join(blocks + spans)
    for m in re.finditer(r"\blambdactl((?: [a-z][a-z-]*){1,2})", code):
        words = m.group(1).split()
        top = f"lambdactl {words[0]}"
        if top not in by_path:
            bad.add(top)
            continue
        cmd = by_path[top].command
        if len(words) > 1 and hasattr(cmd, "list_commands") and not getattr(cmd, "default_command", None):
            if f"{top} {words[1]}" not in by_path:
                bad.add(f"{top} {words[1]}")
    assert not bad, f"README names commands the app does not have: {sorted(bad)}"


def _manual_command_lines(readme: str) -> list[str]:
    """Each `lambdactl ...` invocation in the hand-written sections' code (blocks and spans)."""
    manual = readme.split("<!-- BEGIN COMMAND REFERENCE -->", 1)[0]
    blocks = re.findall(r"```[a-z]*\n(.*?)```", manual, flags=re.S)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", manual, flags=re.S))
    out = []
    for text in blocks + spans:
        for line in text.splitlines():
            for seg in re.split(r"&&|\|(?!\|)|;", line.split(" #")[0]):
                m = re.search(r"\blambdactl\b.*", seg)
                if m:
                    out.append(m.group(0).strip())
    return out


def test_options_named_in_the_manual_exist(gen, nodes, readme):
    """`lambdactl alias shift fn live --to 8 --percent 10`: each option exists on that command (or is
    global). A FUNCTION word may sit between a group and its subcommand (`trigger add fn s3`)."""
    by_path = {n.path: n for n in nodes}
    global_opts = set(gen.option_names(by_path["lambdactl"]))
    bad = []
    for line in _manual_command_lines(readme):
        words = line.split()[1:]
        path, i = "lambdactl", 0
        while i < len(words) and not words[i].startswith("-"):
            if f"{path} {words[i]}" in by_path:
                path = f"{path} {words[i]}"
            elif i + 1 < len(words) and f"{path} {words[i + 1]}" in by_path:
                path = f"{path} {words[i + 1]}"
                i += 1
            i += 1
        node = by_path[path]
        opts = set(gen.option_names(node)) | global_opts
        default = getattr(node.command, "default_command", None)
        if default and f"{path} {default}" in by_path:
            opts |= set(gen.option_names(by_path[f"{path} {default}"]))
        for opt in re.findall(r"(?<![\w'\"-])(--?[a-zA-Z][\w-]*)", " ".join(words[i:])):
            if opt not in opts:
                bad.append(f"{path} {opt}   ({line})")
    assert not bad, "README uses options the app does not have:\n" + "\n".join(bad)


def test_lazy_command_table_matches_the_commands():
    """`lambdactl --help` lists commands from a static table (so it imports no command module);
    every entry must load, and its summary must be the command's own short help."""
    import typer.main

    from lambdactl.cli.app import LAZY_COMMANDS, app

    root = typer.main.get_command(app)
    ctx = root.make_context("lambdactl", ["ls"], resilient_parsing=True)
    for name, (module, summary) in LAZY_COMMANDS.items():
        cmd = root.get_command(ctx, name)
        assert cmd is not None, name
        if summary is not None:
            assert cmd.get_short_help_str(limit=500) == summary, name
