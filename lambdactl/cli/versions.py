"""publish, versions (show | prune), alias (list | show | set | delete | shift | promote | rollback)."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from lambdactl.cli.common import FunctionArg, aws, confirm, resolve_function
from lambdactl.cli.groups import default_group
from lambdactl.core.resources.completion import complete_alias_args
from lambdactl.errors import UsageError
from lambdactl.output import emit, human_bytes, info as say, warn
from lambdactl.settings import current

versions_app = typer.Typer(cls=default_group("show"), rich_markup_mode=None,
                           help="Published versions: list them (default), show one, or prune old ones.\n\n"
                                "'lambdactl versions FUNCTION [N]' is 'lambdactl versions show FUNCTION [N]'.")
alias_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                        help="Aliases and traffic shifting: set, canary shift, promote, roll back.")

AliasArgs = Annotated[Optional[list[str]], typer.Argument(
    metavar="[FUNCTION] ALIAS",
    help="Function (default: the project file's function) and alias name.", show_default=False,
    autocompletion=complete_alias_args)]


def _json() -> bool:
    return current().output_format == "json"


def _fn_alias(args: list[str] | None) -> tuple[str, str]:
    """[FUNCTION] ALIAS → (function, alias); one word is the alias of the project's function."""
    from lambdactl.core.resources.aliases import validate_alias_name

    args = list(args or [])
    if not args:
        raise UsageError("missing ALIAS", hint="e.g. 'lambdactl alias show orders-api live'")
    if len(args) > 2:
        raise UsageError(f"too many arguments: {' '.join(args)}", hint="expected [FUNCTION] ALIAS")
    fn, alias = (None, args[0]) if len(args) == 1 else (args[0], args[1])
    validate_alias_name(alias)
    name, _ = resolve_function(fn, allow_qualifier=False)
    return name, alias


def _emit_change(result: dict) -> None:
    """-o json: the whole record; otherwise alias / status / before → after."""
    if _json():
        emit(result)
        return
    emit({"alias": result["alias"], "function": result["function"], "status": result["status"],
          "before": result["before_text"], "after": result["after_text"]}, quiet_field="after")


# --- publish ------------------------------------------------------------------------------

def publish(
    function: FunctionArg = None,
    description: Annotated[Optional[str], typer.Option("--description", help="Description of the new version.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Publish even if $LATEST equals the newest version.")] = False,
) -> None:
    """Publish $LATEST as a new version (returns the newest version when nothing changed).

    Waits until the function is ready first. If $LATEST has the same code (CodeSha256) and
    configuration as the newest version, no duplicate is published: that version is returned
    and reported as unchanged (--force publishes anyway).

    Examples:

      lambdactl publish orders-api --description "release 42"

      lambdactl publish -q            # prints only the version number
    """
    from lambdactl.core.resources.versions import publish_version

    if description is not None and len(description) > 256:
        raise UsageError("--description is longer than 256 characters", hint="shorten it")
    name, _ = resolve_function(function, allow_qualifier=False)
    result = publish_version(aws(), name, description=description, force=force)
    if result["status"] == "unchanged":
        say(f"unchanged: {result['message']}")
    else:
        say(f"published {result['function']} version {result['version']}")
    emit(result, columns=["function", "version", "status", "code_sha256", "description", "last_modified"],
         quiet_field="version")


# --- versions -----------------------------------------------------------------------------

def _alias_cell(aliases: list[dict]) -> str:
    return ", ".join(f"{a['name']} ({a['percent']}%)" for a in aliases) or "-"


@versions_app.command("show")
def versions_show(
    function: FunctionArg = None,
    version: Annotated[Optional[str], typer.Argument(
        metavar="[VERSION]", help="Show this published version (configuration, code, aliases) instead of the list.",
        show_default=False)] = None,
) -> None:
    """List published versions, or show one: date, code sha, description, aliases (weights).

    With VERSION (or FUNCTION:VERSION): that version's configuration, code sha and size, and
    the aliases routing to it. Secret-looking environment values are masked unless
    --show-secrets.

    Examples:

      lambdactl versions orders-api

      lambdactl versions orders-api -o json | jq '.[0].version'

      lambdactl versions show orders-api 7

      lambdactl versions orders-api 7 -o json | jq .code_sha256
    """
    from lambdactl.core.resources.versions import list_versions, show_version

    if version is None and function and function.strip().isdigit():
        n = function.strip()
        try:                            # in a project directory, name its function in the hint
            from lambdactl.cli.common import project

            proj = project(required=False)
            fn = proj.function.name if proj is not None else "FUNCTION"
        except Exception:  # noqa: BLE001 - a broken project file must not hide this usage error
            fn = "FUNCTION"
        raise UsageError(f"{n!r} is a version number, not a function: name the function too",
                         hint=f"e.g. 'lambdactl versions show {fn} {n}' ('lambdactl versions {fn}' lists "
                              "the versions; a function whose name is only digits: give its ARN)")
    name, qual = resolve_function(function)
    if qual is not None:
        if version is not None and version.strip() != qual:
            raise UsageError(f"two versions given: {function!r} and {version!r}", hint="give one of them")
        version = qual
    if version is not None:
        v = version.strip()
        if not v.isdigit() or int(v) < 1:
            raise UsageError(f"VERSION {version!r}: expected a published version number (1, 2, ...)",
                             hint=("$LATEST is not a published version: 'lambdactl info FUNCTION' shows it"
                                   if v.upper().lstrip("$") == "LATEST"
                                   else "'lambdactl versions FUNCTION' lists the published versions"))
        rec = show_version(aws(), name, str(int(v)), show_secrets=current().show_secrets)
        if _json():
            emit(rec)
            return
        emit({**rec, "aliases": _alias_cell(rec["aliases"])}, quiet_field="version")
        return
    records = list_versions(aws(), name)
    if _json():
        emit(records)
        return
    rows = [{"version": r["version"], "date": r["last_modified"], "code_sha256": (r["code_sha256"] or "")[:12],
             "size": human_bytes(r["code_size"]), "description": r["description"] or "-",
             "aliases": _alias_cell(r["aliases"])} for r in records]
    if current().output_format == "text":
        rows = [{**row, "code_sha256": r["code_sha256"], "size": r["code_size"]} for row, r in zip(rows, records)]
    emit(rows, columns=["version", "date", "code_sha256", "size", "description", "aliases"],
         headers=["VERSION", "DATE", "CODE SHA256", "SIZE", "DESCRIPTION", "ALIASES"], quiet_field="version")


@versions_app.command("prune")
def versions_prune(
    function: FunctionArg = None,
    keep: Annotated[Optional[int], typer.Option("--keep", metavar="N", help="How many of the newest versions to keep (required).", show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be deleted; delete nothing.")] = False,
) -> None:
    """Delete old versions, keeping the N newest and every version an alias routes traffic to.

    A version any alias sends traffic to (as primary or additional version, even at 0%) is
    never deleted. Prints how much code storage is freed (it counts against the account's
    75 GB). Asks first unless --yes.

    Examples:

      lambdactl versions prune orders-api --keep 5 --dry-run

      lambdactl versions prune orders-api --keep 5 --yes

      lambdactl versions prune orders-api --keep 5 --yes -q    # only the deleted versions, one per line
    """
    from lambdactl.core.resources.versions import ACCOUNT_CODE_STORAGE_GB, plan_prune, prune_versions

    if keep is None:
        raise UsageError("missing --keep N", hint="e.g. --keep 5 keeps the 5 newest versions (and every routed one)")
    if keep < 0:
        raise UsageError(f"--keep {keep}: must be 0 or more", hint="e.g. --keep 5 keeps the 5 newest versions")
    name, _ = resolve_function(function, allow_qualifier=False)
    session = aws()
    plan = plan_prune(session, name, keep)
    if plan["delete"] and not dry_run:
        nums = ", ".join(r["version"] for r in plan["delete"])
        if not confirm(f"Delete {len(plan['delete'])} version(s) of {name} ({nums})?"):
            say("nothing deleted")
            raise typer.Exit(1)
    result = prune_versions(session, name, keep, dry_run=dry_run, plan=plan)
    gone = result["would_delete"] if dry_run else result["deleted"]
    verb = "would free" if dry_run else "freed"
    if not gone:
        say(f"unchanged: nothing to prune ({len(result['kept'])} version(s) kept)")
    else:
        say(f"{verb} {human_bytes(result['freed_bytes'])} of code storage by deleting {len(gone)} version(s) "
            f"(code storage counts against the account's {ACCOUNT_CODE_STORAGE_GB} GB quota)")
    if _json():
        emit(result)
        return
    if current().quiet:          # -q: only the versions deleted (would be deleted), one per line
        for r in gone:
            typer.echo(r["version"])
        return
    action = "would delete" if dry_run else "deleted"
    rows = [{"version": r["version"], "action": action, "size": human_bytes(r["code_size"]),
             "reason": f"not routed, not among the {keep} newest"} for r in gone]
    rows += [{"version": r["version"], "action": "kept", "size": human_bytes(r["code_size"]),
              "reason": r["reason"]} for r in result["kept"]]
    rows.sort(key=lambda r: int(r["version"]), reverse=True)
    emit(rows, columns=["version", "action", "size", "reason"], quiet_field="version")


# --- alias --------------------------------------------------------------------------------

ALIAS_COLUMNS = ["name", "version", "canary_version", "canary_percent", "routing", "description"]


@alias_app.command("list")
def alias_list(function: FunctionArg = None) -> None:
    """List the aliases of a function with their routing.

    Examples:

      lambdactl alias list orders-api

      lambdactl alias list orders-api -o json | jq -r '.[].name'
    """
    from lambdactl.core.resources.aliases import list_aliases

    name, _ = resolve_function(function, allow_qualifier=False)
    records = list_aliases(aws(), name)
    if _json():
        emit(records)
    else:
        emit(records, columns=ALIAS_COLUMNS,
             headers=["NAME", "VERSION", "CANARY", "CANARY %", "ROUTING", "DESCRIPTION"], quiet_field="name")


@alias_app.command("show")
def alias_show(args: AliasArgs = None) -> None:
    """Show one alias: version, canary version and weight, description, ARN, rollback target.

    'rollback to' is where 'lambdactl alias rollback' would put the alias (recorded in AWS
    by lambdactl's last change to it); -o json has it as "previous".

    Examples:

      lambdactl alias show orders-api live

      lambdactl alias show live -o json      # the project file's function
    """
    from lambdactl.core.resources.aliases import routing_text, show_alias

    name, alias = _fn_alias(args)
    rec = show_alias(aws(), name, alias)
    if _json():
        emit(rec)
    else:
        view = {k: v for k, v in rec.items() if k not in ("routes", "previous", "rolled_back_from")}
        if rec["previous"]:
            view["rollback_to"] = routing_text(rec["previous"])
        if rec["rolled_back_from"]:
            view["rolled_back_from"] = routing_text(rec["rolled_back_from"])
        emit(view, quiet_field="version")


@alias_app.command("set")
def alias_set(
    args: AliasArgs = None,
    version: Annotated[Optional[str], typer.Option("--version", help="The published version the alias points at.", show_default=False)] = None,
    weight: Annotated[Optional[list[str]], typer.Option("--weight", metavar="VERSION=PERCENT", help="Route PERCENT (0-100, '10' or '10%') to one additional version.")] = None,
    description: Annotated[Optional[str], typer.Option("--description", help="Alias description, at most 170 characters (default: keep).")] = None,
) -> None:
    """Create or update an alias: --version N, optionally --weight M=P (P% to version M).

    Routing is set exactly as given: without --weight, all traffic goes to --version.
    Without --version an existing alias keeps its primary version (--weight M=P adds a canary).
    Both versions must be published (not $LATEST) and differ; one additional version at most.

    Examples:

      lambdactl alias set orders-api live --version 7

      lambdactl alias set orders-api live --version 7 --weight 8=10%

      lambdactl alias set orders-api live --weight 8=10      # keep the primary, 10% to 8
    """
    from lambdactl.core.resources.aliases import (alias_record, check_description, get_alias, parse_version, parse_weights,
                                        set_alias)

    if version is None and not weight and description is None:
        raise UsageError("missing --version", hint="e.g. --version 7 (a published version number)")
    v = parse_version(version) if version is not None else None
    w = parse_weights(weight)
    if w and v is not None and w[0] == v:
        raise UsageError(f"--weight {w[0]}={w[1]}: the additional version must differ from the primary version {v}",
                         hint="drop --weight to send all traffic to the primary")
    check_description(description)
    name, alias = _fn_alias(args)
    session = aws()
    if v is None:
        # Without --version an existing alias keeps its primary version (e.g. '--weight 8=10' adds a canary).
        cur = get_alias(session, name, alias)
        if cur is None:
            raise UsageError(f"missing --version: alias {alias} does not exist yet",
                             hint=f"e.g. 'lambdactl alias set {name} {alias} --version 7' creates it")
        v = str(cur.get("FunctionVersion"))
        if not w and description is not None:   # a description-only change keeps the routing
            rec = alias_record(name, cur)
            w = (rec["canary_version"], rec["canary_percent"]) if rec["canary_version"] else None
    result = set_alias(session, name, alias, v, w, description, warn=warn)
    if result["status"] == "unchanged":
        say(f"unchanged: {result['message']}")
    _emit_change(result)


@alias_app.command("delete")
def alias_delete(args: AliasArgs = None) -> None:
    """Delete an alias. Asks first unless --yes.

    Examples:

      lambdactl alias delete orders-api beta --yes
    """
    from lambdactl.core.resources.aliases import delete_alias, require_alias

    name, alias = _fn_alias(args)
    session = aws()
    require_alias(session, name, alias)
    if not confirm(f"Delete alias {alias} of {name}?"):
        say("not deleted")
        raise typer.Exit(1)
    result = delete_alias(session, name, alias)
    say(result["message"])
    _emit_change(result)


@alias_app.command("shift")
def alias_shift(
    args: AliasArgs = None,
    to: Annotated[Optional[str], typer.Option("--to", help="The new version (default: the alias's current canary).", show_default=False)] = None,
    percent: Annotated[Optional[str], typer.Option("--percent", help="Route this share (0-100, '10' or '10%') to --to; 100 promotes.", show_default=False)] = None,
    steps: Annotated[Optional[str], typer.Option("--steps", metavar="P1,P2,...", help="Walk these increasing percentages, e.g. 10,25,50,100.", show_default=False)] = None,
    interval: Annotated[Optional[str], typer.Option("--interval", help="Time per step: 30s, 5m, 1h, 0.5s (default with --steps: 5m).", show_default=False)] = None,
    check_errors: Annotated[bool, typer.Option("--check-errors", help="Watch the canary's CloudWatch error rate; roll back (exit 1) when it is too high.")] = False,
    max_error_rate: Annotated[str, typer.Option("--max-error-rate", metavar="PERCENT", help="Highest tolerated canary error rate with --check-errors (0: any error fails).")] = "0",
) -> None:
    """Shift traffic of an alias to a new version: a canary (--percent) or stepped (--steps).

    --percent P keeps the primary and sends P% to --to (100 = promote). --steps walks the
    percentages, waiting --interval between steps, with progress on stderr; the final 100
    promotes. --check-errors watches the canary version's error rate in CloudWatch (AWS/Lambda
    Errors / Invocations with dimensions FunctionName, Resource=FUNCTION:ALIAS and
    ExecutedVersion=VERSION) during every interval and, when it exceeds --max-error-rate, rolls
    the alias back to the primary and exits 1. Re-running resumes from the current weight.
    Asks first unless --yes.

    Examples:

      lambdactl alias shift orders-api live --to 8 --percent 10 --yes

      lambdactl alias shift orders-api live --to 8 --steps 10,25,50,100 --interval 5m --check-errors --yes
    """
    from lambdactl.core.resources import aliases as core

    if (percent is None) == (steps is None):
        raise UsageError("give exactly one of --percent P or --steps P1,P2,...",
                         hint="e.g. --percent 10, or --steps 10,25,50,100 --interval 5m")
    plan = [core.parse_percent(percent, "--percent")] if percent is not None else core.parse_steps(steps)
    target = core.parse_version(to, "--to") if to is not None else None
    if interval is not None:
        wait = core.parse_duration(interval, "--interval")
    elif steps is not None and len(plan) > 1:
        wait = core.DEFAULT_STEP_INTERVAL
    elif check_errors:
        raise UsageError("--check-errors with --percent needs --interval (how long to watch the canary)",
                         hint="e.g. --percent 10 --interval 10m --check-errors")
    else:
        wait = 0.0
    max_rate = core.parse_percent(max_error_rate, "--max-error-rate")
    name, alias = _fn_alias(args)
    session = aws()
    what = f"version {target}" if target else "the canary version"
    if not confirm(f"Shift traffic of alias {alias} ({name}) to {what}: {', '.join(f'{p}%' for p in plan)}?"):
        say("nothing shifted")
        raise typer.Exit(1)
    check = core.cloudwatch_error_check(session, float(max_rate)) if check_errors else None
    result = core.shift_alias(session, name, alias, to=target, steps=plan, interval=wait, check=check,
                              progress=say, warn=warn)
    if result["status"] == "unchanged":
        say(f"unchanged: {result['message']}")
    _emit_change(result)


@alias_app.command("promote")
def alias_promote(args: AliasArgs = None) -> None:
    """Make the canary version the primary (all traffic), clearing the weights.

    Prints the routing before → after. Asks first unless --yes.

    Examples:

      lambdactl alias promote orders-api live --yes
    """
    from lambdactl.core.resources.aliases import alias_record, promote, require_alias

    name, alias = _fn_alias(args)
    session = aws()
    canary = alias_record(name, require_alias(session, name, alias))["canary_version"]
    if canary and not confirm(f"Promote version {canary} to all traffic of alias {alias} ({name})?"):
        say("not promoted")
        raise typer.Exit(1)
    result = promote(session, name, alias, warn=warn)
    if result["status"] == "unchanged":
        say(f"unchanged: {result['message']}")
    _emit_change(result)


@alias_app.command("rollback")
def alias_rollback(
    args: AliasArgs = None,
    to: Annotated[Optional[str], typer.Option("--to", help="Point the alias at this version instead (all traffic).", show_default=False)] = None,
) -> None:
    """Put the alias back where it was before lambdactl's last change to it, or --to V.

    Every lambdactl change to an alias (alias set/shift/promote/rollback, deploy --alias and
    --canary) records the routing it replaced in AWS, at the end of the alias description, so a
    rollback works from any machine: after a canary it drops the weights, after a promote or
    'alias set' it returns to the previous version, after a stepped shift to the routing before
    the shift. A second rollback changes nothing ("unchanged") and says how to go forward again.
    Without a record (alias changed outside lambdactl), a canary is dropped; otherwise it fails
    (exit 1): name the version with --to. Prints the routing before → after. Does not ask:
    rolling back is the safe direction.

    Examples:

      lambdactl alias rollback orders-api live

      lambdactl alias rollback orders-api live --to 6
    """
    from lambdactl.core.resources.aliases import parse_version, rollback

    target = parse_version(to, "--to") if to is not None else None
    name, alias = _fn_alias(args)
    result = rollback(aws(), name, alias, target, warn=warn)
    if result["status"] == "unchanged":
        say(f"unchanged: {result['message']}")
    _emit_change(result)


def register(app: typer.Typer) -> None:
    app.command("publish")(publish)
    app.add_typer(versions_app, name="versions")
    app.add_typer(alias_app, name="alias")
