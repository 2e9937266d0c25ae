"""init: write a working function project (interactive wizard on a TTY, flags everywhere)."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from lambdactl.errors import UsageError
from lambdactl.output import emit, info as say
from lambdactl.settings import current


def _is_tty() -> bool:
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (ValueError, AttributeError):
        return False


def _complete_runtime(incomplete: str):
    from lambdactl.core.model.scaffold import python_runtimes

    return [r for r in python_runtimes() if r.startswith(incomplete)]


def _complete_arch(incomplete: str):
    from lambdactl.core.model.scaffold import ARCH_REASON

    return [(a, h) for a, h in (("arm64", ARCH_REASON), ("x86_64", "")) if a.startswith(incomplete)]


def _complete_template(incomplete: str):
    from lambdactl.core.model.scaffold import TEMPLATES

    return [(k, t.title) for k, t in TEMPLATES.items() if k.startswith(incomplete)]


def _complete_trigger(incomplete: str):
    from lambdactl.core.model.scaffold import TRIGGER_KINDS

    return [(k, h) for k, h in TRIGGER_KINDS.items() if k.startswith(incomplete)]


def init(
    directory: Annotated[Optional[str], typer.Argument(
        metavar="DIR", show_default=False,
        help="Where to write the project (created if missing; default: the current directory).")] = None,
    name: Annotated[Optional[str], typer.Option(
        "--name", metavar="NAME", show_default=False,
        help="Function name: 1-64 letters, digits, '-' and '_'. Default: DIR's name, when DIR is given.")] = None,
    runtime: Annotated[Optional[str], typer.Option(
        "--runtime", metavar="RUNTIME", show_default=False, autocompletion=_complete_runtime,
        help="Python runtime, e.g. python3.13 (the default); any supported python3.x.")] = None,
    arch: Annotated[Optional[str], typer.Option(
        "--arch", "--architecture", metavar="ARCH", show_default=False, autocompletion=_complete_arch,
        help="arm64 (default: about 20% cheaper per GB-second) or x86_64.")] = None,
    memory: Annotated[Optional[int], typer.Option(
        "--memory", metavar="MB", show_default=False, help="Memory in MB, 128..10240 (default 256).")] = None,
    timeout: Annotated[Optional[int], typer.Option(
        "--timeout", metavar="SECONDS", show_default=False, help="Timeout in seconds, 1..900 (default 30).")] = None,
    template: Annotated[Optional[str], typer.Option(
        "--template", metavar="TEMPLATE", show_default=False, autocompletion=_complete_template,
        help="api (hello API handler, the default), s3 (S3 event handler), sqs (SQS batch handler "
             "with partial batch failure) or schedule (scheduled job).")] = None,
    trigger: Annotated[Optional[str], typer.Option(
        "--trigger", metavar="KIND[:VALUE]", show_default=False,
        autocompletion=_complete_trigger,
        help="Trigger to wire on first deploy: none, url[:AWS_IAM|NONE], schedule[:EXPRESSION], "
             "s3[:BUCKET], sqs[:QUEUE_ARN_OR_URL]. Default: the template's (schedule: rate(5 minutes); "
             "s3/sqs without a value are written commented out).")] = None,
    role: Annotated[Optional[str], typer.Option(
        "--role", metavar="ARN", show_default=False, help="Use this existing IAM role.")] = None,
    auto_role: Annotated[bool, typer.Option(
        "--auto-role", help="Let deploy create a logging-only role (the default).")] = False,
    no_input: Annotated[bool, typer.Option(
        "--no-input", help="Never prompt (automatic when stdin or stdout is not a terminal).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    from_function: Annotated[Optional[str], typer.Option(
        "--from", metavar="FUNCTION", show_default=False,
        help="Adopt an existing function instead: write lambdactl.toml from its live configuration "
             "(aliases, triggers, concurrency, async config) and unpack its code into src/.")] = None,
) -> None:
    """Create a function project: lambdactl.toml, a handler, its test, a sample event.

    On a terminal a wizard asks for each value (values given as flags are not asked again), shows a
    summary and asks before writing (-y/--yes skips that last question). With --no-input, or when stdin/stdout is not a terminal, it never
    prompts: the flags and defaults are used, and a missing function name is an error (exit 2).
    Without --name, DIR's name is used when DIR is given and is a valid function name.

    Writes lambdactl.toml, src/app.py, tests/test_handler.py, events/TEMPLATE.json, requirements.txt
    and .gitignore (merged with an existing one). Existing files are never overwritten without
    --force (exit 2, naming them).

    Examples:

      lambdactl init

      lambdactl init orders-api --template sqs --trigger sqs:arn:aws:sqs:us-east-1:123456789012:orders

      lambdactl init nightly --no-input --template schedule --trigger "schedule:cron(0 3 * * ? *)"

      lambdactl init hello --no-input && cd hello && lambdactl invoke --local @events/api.json

      lambdactl init --from orders-api orders && cd orders && lambdactl diff
    """
    from lambdactl.core.model import scaffold as sc

    s = current()
    target = Path(directory) if directory else Path.cwd()
    display = directory if directory else "."
    sc.check_directory(target)
    if from_function is not None:
        wizard_flags = {"--name": name, "--runtime": runtime, "--arch": arch, "--memory": memory,
                        "--timeout": timeout, "--template": template, "--trigger": trigger,
                        "--role": role, "--auto-role": auto_role or None}
        clash = [flag for flag, value in wizard_flags.items() if value is not None]
        if clash:
            raise UsageError(f"--from takes everything from the live function; it cannot be combined with "
                             f"{', '.join(clash)}", hint="change lambdactl.toml after adopting, then 'lambdactl deploy'")
        _adopt(from_function, target, display, force)
        return

    # Validate every flag before asking or writing anything.
    given: dict = {}
    if name is not None:
        given["name"] = sc.check_name(name)
    if runtime is not None:
        given["runtime"] = sc.check_runtime(runtime)
    if arch is not None:
        given["architecture"] = sc.check_arch(arch)
    if memory is not None:
        given["memory"] = sc.check_memory(memory)
    if timeout is not None:
        given["timeout"] = sc.check_timeout(timeout)
    if template is not None:
        given["template"] = sc.check_template(template)
    if trigger is not None:
        given["trigger"] = sc.parse_trigger(trigger)
    if role is not None and auto_role:
        raise UsageError("--role and --auto-role contradict each other", hint="pass one of them")
    if role is not None:
        if not role:
            raise UsageError("--role needs a role ARN", hint="or pass --auto-role to let lambdactl create one")
        given["role"] = sc.check_role(role)
    elif auto_role:
        given["role"] = ""

    dir_name = target.resolve().name
    default_name = dir_name if sc.name_problem(dir_name) is None else None

    if not force:  # refuse early, before any question, for the files every template writes
        sc.refuse_conflicts(target, sc.planned_paths(given.get("template")), display)

    interactive = not no_input and _is_tty()
    if interactive:
        from lambdactl.cli import wizard

        spec = wizard.run(target, given, default_name=default_name, confirm=not s.yes,
                          conflicts_for=lambda t: sc.conflicts(target, sc.planned_paths(t)) if force else [])
        if spec is None:
            say("nothing written")
            raise typer.Exit(1)
    else:
        if "name" not in given:
            if directory and default_name:
                given["name"] = default_name
            else:
                why = (f"DIR's name {dir_name!r} is not a valid function name" if directory
                       else "no --name given")
                mode = "--no-input was given" if no_input else "this is not an interactive terminal"
                raise UsageError(f"a function name is required: {why}, and {mode}",
                                 hint="pass --name NAME (1-64 letters, digits, '-' and '_')")
        tpl = given.get("template", sc.DEFAULT_TEMPLATE)
        spec = sc.validate_spec(sc.ProjectSpec(
            name=given["name"], runtime=given.get("runtime", sc.default_runtime()),
            architecture=given.get("architecture", sc.DEFAULT_ARCH),
            memory=given.get("memory", sc.DEFAULT_MEMORY), timeout=given.get("timeout", sc.DEFAULT_TIMEOUT),
            template=tpl, trigger=given.get("trigger") or sc.default_trigger(tpl),
            role=given.get("role", "")))

    files = sc.write_project(target, spec, force=force, display=display)
    record = {"directory": str(target.resolve()), **spec.to_dict(), "files": files}
    if s.output_format == "table" and not record.get("role"):
        # JSON keeps "" (the project file's value); a person reads what it means.
        from lambdactl.core.model.naming import auto_role_name

        record["role"] = f"(created on first deploy: {auto_role_name(spec.name)})"
    emit(record, quiet_field="directory")
    if not s.quiet:
        cd = None
        if directory and target.resolve() != Path.cwd().resolve():
            cd = directory if " " not in directory else f'"{directory}"'
        where = os.path.relpath(target.resolve())
        where = "the current directory" if where == "." else where
        say(f"\ncreated {spec.name} ({spec.template} template) in {where}. Next:")
        for line in sc.next_steps(spec, cd):
            say(f"  {line}")


def _adopt(function: str, target: Path, display: str, force: bool) -> None:
    from lambdactl.cli.common import aws, resolve_function
    from lambdactl.core.resources.adopt import adopt

    name, qualifier = resolve_function(function, allow_qualifier=False)
    result = adopt(aws(), name, target, force=force)
    emit(result, quiet_field="directory")
    for note in result.get("notes") or []:
        say(f"note: {note}")
    cd = f"cd {display} && " if display not in ("", ".") else ""
    say(f"adopted {name} into {display}. Next: {cd}lambdactl diff   # should show no changes")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
