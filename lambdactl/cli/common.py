"""Helpers shared by the CLI modules: the FUNCTION argument, confirmation, AWS session, project."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from lambdactl.core.resources.completion import complete_function
from lambdactl.errors import UsageError
from lambdactl.settings import current

FunctionArg = Annotated[Optional[str], typer.Argument(
    metavar="FUNCTION", help="Function name, ARN or name:qualifier (default: the project file's function).",
    show_default=False, autocompletion=complete_function)]
RequiredFunctionArg = Annotated[str, typer.Argument(
    metavar="FUNCTION", help="Function name, ARN or name:qualifier.", show_default=False,
    autocompletion=complete_function)]
QualifierOpt = Annotated[Optional[str], typer.Option("--qualifier", help="Version or alias.")]

COMMON_EPILOG = ("Common options -o/--output, -y/--yes, -q/--quiet and -v/--verbose are accepted here "
                 "too (see 'lambdactl --help').")


def aws():
    """The AWS session for this invocation (lazy: imports boto3 on first use)."""
    from lambdactl.aws import session

    return session(current())


def project(required: bool = False):
    """The validated project file (or None when absent and not required)."""
    from lambdactl import config

    return config.load(current().config_path, required=required)


def resolve_function(function: str | None, *, allow_qualifier: bool = True) -> tuple[str, str | None]:
    """(name_or_arn, qualifier) from FUNCTION, or the project file's function when omitted."""
    from lambdactl.core.model.naming import parse_function_ref

    if not function:
        proj = project(required=False)
        if proj is None:
            raise UsageError("no FUNCTION given and no lambdactl.toml here",
                             hint="name the function, or run in a project directory (or -c FILE)")
        return proj.function.name, None
    name, qualifier = parse_function_ref(function)
    if qualifier and not allow_qualifier:
        raise UsageError(f"{function!r}: a qualifier is not allowed here", hint="name the function without ':...'")
    return name, qualifier


def confirm(question: str, *, default: bool = False) -> bool:
    """Ask for confirmation on a TTY; --yes says yes; without a TTY refuse (UsageError)."""
    s = current()
    if s.yes:
        return True
    if not s.interactive:
        raise UsageError(f"{question.rstrip('?')} needs confirmation, and this is not an interactive terminal",
                         hint="pass --yes (-y) to confirm")
    return typer.confirm(question, default=default, err=True)


def parse_kv(items: list[str] | None, what: str = "--env") -> dict[str, str]:
    """KEY=VALUE pairs → dict; a missing '=' is a usage error."""
    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise UsageError(f"{what} {item!r}: expected KEY=VALUE", hint=f"e.g. {what} STAGE=prod")
        k, v = item.split("=", 1)
        if not k:
            raise UsageError(f"{what} '=…': empty key (the value is not shown: it may be a secret)")
        out[k] = v
    return out
