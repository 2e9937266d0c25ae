"""The rest of a function's configuration: async (event invoke config), dlq, layer, export."""
from __future__ import annotations

import re
from typing import Annotated, Optional

import typer

from lambdactl.cli.common import FunctionArg, aws, resolve_function
from lambdactl.errors import UsageError
from lambdactl.output import emit, info as say, warn
from lambdactl.settings import current


def _show_change(result: dict) -> None:
    for w in result.get("warnings", []):
        warn(w)
    if current().output_format == "json":
        emit(result)
        return
    say(f"{result['function']}: {result['status']}")
    after = result.get("after")
    if isinstance(after, dict):
        emit(after)
    elif after is not None:
        emit({"dead_letter": after})


def async_cmd(
    function: FunctionArg = None,
    max_retries: Annotated[Optional[int], typer.Option("--max-retries", help="Retries of failed async invocations, 0..2.")] = None,
    max_event_age: Annotated[Optional[int], typer.Option("--max-event-age", help="Maximum event age in seconds, 60..21600.")] = None,
    on_success: Annotated[Optional[str], typer.Option("--on-success", help="Destination ARN (SQS, SNS, Lambda, EventBridge).")] = None,
    on_failure: Annotated[Optional[str], typer.Option("--on-failure", help="Destination ARN (SQS, SNS, Lambda, EventBridge).")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the asynchronous invocation config.")] = False,
    qualifier: Annotated[Optional[str], typer.Option("--qualifier", help="Version or alias.")] = None,
) -> None:
    """Show or set asynchronous invocation settings: retries, event age, destinations.

    Without options, shows the current settings. Options merge into what is set.

    Examples:

      lambdactl async orders --max-retries 0 --on-failure arn:aws:sqs:us-east-1:123456789012:failed

      lambdactl async orders --clear
    """
    from lambdactl.core.model import asyncspec
    from lambdactl.core.resources import asyncconfig

    name, q = resolve_function(function)
    qualifier = qualifier or q
    setting = any(v is not None for v in (max_retries, max_event_age, on_success, on_failure))
    if clear and setting:
        raise UsageError("--clear cannot be combined with settings", hint="use one or the other")
    if setting:
        asyncspec.validate(max_retries, max_event_age, on_success, on_failure)
    session = aws()
    if clear:
        _show_change(asyncconfig.clear_async(session, name, qualifier))
    elif setting:
        _show_change(asyncconfig.set_async(session, name, max_retries=max_retries, max_event_age=max_event_age,
                                           on_success=on_success, on_failure=on_failure, qualifier=qualifier))
    else:
        rec = asyncconfig.get_async(session, name, qualifier)
        if rec is None:
            if current().output_format == "json":
                emit(None)
            else:
                say(f"{name}: no asynchronous invocation config (AWS defaults: 2 retries, 6 h event age)")
            return
        emit(rec)


def dlq(
    function: Annotated[Optional[str], typer.Argument(
        metavar="[FUNCTION]", help="Function name or ARN (default: the project file's function).",
        show_default=False)] = None,
    target: Annotated[Optional[str], typer.Argument(metavar="[ARN]", help="SQS queue or SNS topic ARN.")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the dead-letter target.")] = False,
) -> None:
    """Set or clear a function's dead-letter queue (SQS) or topic (SNS).

    Examples:

      lambdactl dlq orders arn:aws:sqs:us-east-1:123456789012:orders-dlq

      lambdactl dlq orders --clear

      lambdactl dlq arn:aws:sqs:us-east-1:123456789012:orders-dlq   # in a project directory
    """
    from lambdactl.core.model import asyncspec
    from lambdactl.core.resources import asyncconfig

    if target is None and function and re.match(r"^arn:aws[a-zA-Z-]*:(sqs|sns):", function):
        function, target = None, function  # `lambdactl dlq ARN` in a project directory
    if clear and target:
        raise UsageError("give an ARN or --clear, not both")
    if not clear and not target:
        raise UsageError("missing ARN" if function else "missing FUNCTION and ARN",
                         hint="lambdactl dlq [FUNCTION] ARN, or --clear (FUNCTION defaults to lambdactl.toml's)")
    if target:
        asyncspec.destination_kind(target, ("sqs", "sns"), "DLQ")
    name, _ = resolve_function(function, allow_qualifier=False)
    _show_change(asyncconfig.set_dlq(aws(), name, None if clear else target))


def _mask_template_secrets(tpl: dict, show: bool) -> list[str]:
    """Mask secret-looking environment values in the template in place; returns their names."""
    from lambdactl.secrets import mask_env

    masked = []
    for res in tpl.get("Resources", {}).values():
        env = ((res.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
        shown = mask_env(env, show)
        masked += [k for k in env if shown[k] != env[k]]
        env.update(shown)
    return masked


def register(app: typer.Typer) -> None:
    app.command("async")(async_cmd)
    app.command("dlq")(dlq)
    app.command("export")(export)
    from lambdactl.cli import layers as _layers
    _layers.register(app)


def export(
    function: FunctionArg = None,
    format: Annotated[str, typer.Option("--format", help="sam or cloudformation.")] = "sam",
    out: Annotated[Optional[str], typer.Option("--out", help="Write the template to FILE instead of stdout.")] = None,
    code_uri: Annotated[str, typer.Option("--code-uri", help="SAM CodeUri for the function's code.")] = "src/",
) -> None:
    """Export a function and its wiring as a SAM or CloudFormation template (JSON).

    Includes aliases, event source mappings, EventBridge rules, SNS subscriptions, the URL,
    async config and reserved concurrency. The template passes cfn-lint.

    Examples:

      lambdactl export orders --format sam > template.json

      lambdactl export orders --format cloudformation --out stack.json
    """
    from lambdactl.core.resources.export import FORMATS, export as do_export
    from lambdactl.output import to_json

    if format not in FORMATS:
        raise UsageError(f"unknown --format {format!r}", hint="use sam or cloudformation")
    if out:
        from pathlib import Path

        if Path(out).is_dir() or not Path(out).parent.is_dir():
            raise UsageError(f"--out {out}: " + ("is a directory" if Path(out).is_dir() else
                                                 "its directory does not exist"),
                             hint="give a file path in an existing directory")
    name, _ = resolve_function(function, allow_qualifier=False)
    tpl = do_export(aws(), name, format, code_uri)
    masked = _mask_template_secrets(tpl, current().show_secrets)
    if masked:
        warn(f"masked {len(masked)} secret-looking environment value(s) ({', '.join(masked)}); "
             "pass --show-secrets to export them, or better, resolve them from SSM/Secrets Manager")
    text = to_json(tpl) + "\n"
    if out:
        from lambdactl.errors import OperationError

        try:
            Path(out).write_text(text)
        except OSError as exc:
            raise OperationError(f"cannot write {out}: {exc.strerror}",
                                 hint="check the directory exists and is writable") from None
        say(f"wrote {out} ({len(tpl['Resources'])} resources)")
    else:
        import sys

        sys.stdout.write(text)
