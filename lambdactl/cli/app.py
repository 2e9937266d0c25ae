"""The root ``lambdactl`` app: global options, and the registration of every command group.

Each ``lambdactl/cli/<group>.py`` exposes ``register(app)``; none of them imports boto3, rich or
questionary at module level, so ``lambdactl --help`` stays fast.
"""
from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from lambdactl import __version__
from lambdactl.cli.groups import RootGroup
from lambdactl.settings import OUTPUT_FORMATS, Settings, set_current

HELP = """\
lambdactl: the whole life of an AWS Lambda function behind one command line.

package → deploy → invoke → publish → route → wire → tune → watch.

Examples:

  lambdactl demo                          # try everything on the local sandbox

  lambdactl init my-fn && cd my-fn && lambdactl deploy

  lambdactl invoke '{"name": "world"}' --logs

  lambdactl ls -o json | jq '.[].name'

The options -o/--output, -y/--yes, -q/--quiet and -v/--verbose may also be given after the
subcommand. Exit codes: 0 ok, 1 failed, 2 bad input, 3 not found, 4 function error,
5 changes pending, 130 interrupted.
"""

app = typer.Typer(cls=RootGroup, help=HELP, no_args_is_help=True, rich_markup_mode=None,
                  pretty_exceptions_enable=False, add_completion=True,
                  context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lambdactl {__version__}")
        raise typer.Exit()


def _output_cb(value: Optional[str]) -> Optional[str]:
    if value is not None and value not in OUTPUT_FORMATS:
        raise typer.BadParameter(f"{value!r} is not one of: {', '.join(OUTPUT_FORMATS)}")
    return value


@app.callback()
def main_callback(
    ctx: typer.Context,
    profile: Annotated[Optional[str], typer.Option("--profile", envvar="AWS_PROFILE", help="AWS named profile.", show_envvar=True)] = None,
    region: Annotated[Optional[str], typer.Option("--region", help="AWS region [env: AWS_REGION, AWS_DEFAULT_REGION].")] = None,
    endpoint_url: Annotated[Optional[str], typer.Option("--endpoint-url", envvar="AWS_ENDPOINT_URL", help="Any AWS-compatible endpoint (sandbox, moto, LocalStack).")] = None,
    config: Annotated[Optional[str], typer.Option("-c", "--config", envvar="LAMBDACTL_CONFIG", help="Project file (default ./lambdactl.toml).")] = None,
    output: Annotated[Optional[str], typer.Option("-o", "--output", envvar="LAMBDACTL_OUTPUT", callback=_output_cb, help="Output format: table, json or text.")] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only the essential result.")] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Show each AWS call on stderr; tracebacks on errors.")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="Plain output [env: NO_COLOR, any non-empty value].")] = False,
    yes: Annotated[bool, typer.Option("-y", "--yes", help="Assume yes on confirmations.")] = False,
    sandbox: Annotated[bool, typer.Option("--sandbox", envvar="LAMBDACTL_SANDBOX", help="Use the running local sandbox.")] = False,
    show_secrets: Annotated[bool, typer.Option("--show-secrets", help="Do not mask secret-looking environment values.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
    set_current(Settings(profile=profile, region=region, endpoint_url=endpoint_url or None,
                         config_path=config or None, output=output, quiet=quiet, verbose=verbose,
                         no_color=no_color or bool(os.environ.get("NO_COLOR")), yes=yes, sandbox=sandbox, show_secrets=show_secrets))
    from lambdactl.aws import reset_sessions  # cheap: aws.py imports boto3 lazily
    reset_sessions()


# Commands are loaded lazily (like SAM CLI): `lambdactl --help` imports no command module, and
# `lambdactl ls` imports only lambdactl/cli/functions.py. name → (module under lambdactl.cli,
# the one-line summary shown by `lambdactl --help`, or None for a hidden alias). A test checks
# that each summary matches the command's own help.
LAZY_COMMANDS: dict[str, tuple[str, str | None]] = {
    "ls": ("functions", "List functions: runtime, memory, timeout, arch, last modified, code size."),
    "info": ("functions", "Show a function: configuration, versions, aliases, concurrency, triggers, URL."),
    "delete": ("functions", "Delete a function (or one version with name:VERSION)."),
    "package": ("package", "Build the deployment zip: deterministic, with dependencies for the target platform."),
    "deploy": ("deploy", "Make AWS match lambdactl.toml: create or update the function, then the rest."),
    "diff": ("deploy", "Show how AWS differs from lambdactl.toml: configuration, and code (sha256, size delta)."),
    "create": ("deploy", "Create a function from a directory or a zip, without a project file."),
    "update": ("deploy", "Upload new code to a function; skipped when its SHA-256 is unchanged."),
    "config": ("deploy", "Change a function's settings; only what you name changes."),
    "invoke": ("invoke", "Invoke a function: pretty results, readable errors, logs — remotely, locally or in batches."),
    "event": ("event", "Print a sample event as AWS sends it (s3, sqs, http, ...), ready to pipe into invoke."),
    "serve": ("serve", "Serve the project's handler on a local HTTP endpoint, as a function URL or API Gateway would."),
    "publish": ("versions", "Publish $LATEST as a new version (returns the newest version when nothing changed)."),
    "versions": ("versions", "Published versions: list them (default), show one, or prune old ones."),
    "alias": ("versions", "Aliases and traffic shifting: set, canary shift, promote, roll back."),
    "trigger": ("triggers", "Wire event sources to a function: S3, schedules, EventBridge, SQS, Kinesis, DynamoDB, SNS, URL."),
    "permission": ("triggers", "The function's resource-based policy: who may invoke it."),
    "concurrency": ("concurrency", "Reserved and provisioned concurrency, with the account picture."),
    "logs": ("logs", "Read a function's CloudWatch logs: tail, follow (-f), retention."),
    "stats": ("logs", "Invocation numbers from the REPORT lines in a window: errors, cold starts, latency, memory, cost."),
    "init": ("init", "Create a function project: lambdactl.toml, a handler, its test, a sample event."),
    "sandbox": ("sandbox", "A local AWS (moto + real Python handlers): no account, no Docker."),
    "demo": ("sandbox", "Walk the whole life of a function on an in-process sandbox, printing each command."),
    "async": ("extras", "Show or set asynchronous invocation settings: retries, event age, destinations."),
    "dlq": ("extras", "Set or clear a function's dead-letter queue (SQS) or topic (SNS)."),
    "layer": ("layers", "Layers: build from requirements for the target platform, publish (skipped "
                        "when unchanged), list where each is used, delete."),
    "export": ("extras", "Export a function and its wiring as a SAM or CloudFormation template (JSON)."),
    # hidden aliases
    "list": ("functions", None),
    "pkg": ("package", None),
    "triggers": ("triggers", None),
    "permissions": ("triggers", None),
    "layers": ("layers", None),
}
HIDDEN_COMMANDS = {name for name, (_, summary) in LAZY_COMMANDS.items() if summary is None}
RootGroup.lazy_commands = LAZY_COMMANDS
RootGroup.hidden_commands = HIDDEN_COMMANDS


def main() -> None:
    app()
