"""ls, info, delete: the spine commands."""
from __future__ import annotations

import typer

from lambdactl.cli.common import FunctionArg, RequiredFunctionArg, aws, confirm, resolve_function
from lambdactl.output import emit, info as say
from lambdactl.settings import current

LS_COLUMNS = ["name", "runtime", "memory", "timeout", "architecture", "last_modified", "code_size"]


def ls() -> None:
    """List functions: runtime, memory, timeout, arch, last modified, code size.

    Examples:

      lambdactl ls

      lambdactl ls -o json | jq -r '.[].name'
    """
    from lambdactl.core.resources.functions import list_functions

    emit(list_functions(aws()), columns=LS_COLUMNS, quiet_field="name")


def info(function: FunctionArg = None) -> None:
    """Show a function: configuration, versions, aliases, concurrency, triggers, URL.

    Secret-looking environment values are masked unless --show-secrets.

    Examples:

      lambdactl info orders-api

      lambdactl info orders-api:live -o json
    """
    from lambdactl.core.resources.info import get_info

    name, qualifier = resolve_function(function)
    emit(get_info(aws(), name, qualifier, show_secrets=current().show_secrets), quiet_field="arn")


def delete(function: RequiredFunctionArg) -> None:
    """Delete a function (or one version with name:VERSION). Asks first unless --yes.

    Examples:

      lambdactl delete old-fn --yes
    """
    from lambdactl.core.resources.functions import check_delete_qualifier, delete_function, require_configuration

    name, qualifier = resolve_function(function)
    check_delete_qualifier(name, qualifier)
    session = aws()
    require_configuration(session, name, qualifier)
    what = f"{name}:{qualifier}" if qualifier else name
    if not confirm(f"Delete function {what}?"):
        say("not deleted")
        raise typer.Exit(1)
    result = delete_function(session, name, qualifier)
    if current().output_format == "json":
        emit(result)
    else:
        say(f"deleted {what}")


def register(app: typer.Typer) -> None:
    app.command("ls", help=ls.__doc__)(ls)
    app.command("list", hidden=True)(ls)
    app.command("info")(info)
    app.command("delete")(delete)
