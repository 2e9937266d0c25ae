"""``lambdactl concurrency``: reserved and provisioned concurrency, with the account picture."""
from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from lambdactl.cli.common import FunctionArg, aws, confirm, resolve_function
from lambdactl.errors import UsageError
from lambdactl.output import emit, info as say
from lambdactl.settings import current

ShowFunctionArg = Annotated[Optional[str], typer.Argument(
    metavar="[FUNCTION]", show_default=False,
    help="Function name, ARN or name:qualifier; omit it for the account summary.")]
QualifierOpt = Annotated[Optional[str], typer.Option(
    "--qualifier", metavar="ALIAS|VERSION", help="Alias or published version (provisioned concurrency).")]

RESULT_COLUMNS = ["function", "setting", "qualifier", "before", "after", "status"]
PROV_COLUMNS = ["qualifier", "requested", "allocated", "available", "status", "status_reason",
                "memory", "usd_per_hour_estimate"]


def _notes(data: dict) -> Any:
    for note in data.pop("notes", None) or []:
        say(f"note: {note}")
    return data


def _unknown(v: Any) -> Any:
    return "unknown" if v is None else v


def _one_qualifier(ref_qualifier: str | None, qualifier: str | None) -> str | None:
    """The qualifier from FUNCTION:Q or --qualifier Q; both given must agree."""
    if qualifier and ref_qualifier and qualifier != ref_qualifier:
        raise UsageError(f"two qualifiers given: {ref_qualifier!r} in FUNCTION and --qualifier {qualifier!r}",
                         hint="give the qualifier once")
    return qualifier or ref_qualifier


def show(function: ShowFunctionArg = None) -> None:
    """Show reserved and provisioned concurrency of a function, and the account's figures.

    For one function: its reserved concurrency, every provisioned configuration per alias or
    version (requested, allocated, available, status, reason), a cost estimate for provisioned
    concurrency, and the account's limit, unreserved remainder and what other functions reserve.
    Without FUNCTION: the account summary and every function with reserved/provisioned settings.

    Examples:

      lambdactl concurrency show orders-api

      lambdactl concurrency show orders-api:live -o json

      lambdactl concurrency show            # account summary
    """
    from lambdactl.core.resources import concurrency as core

    session = aws()
    s = current()
    if not function:
        data = _notes(core.account_summary(session))
        if s.output_format == "json":
            emit(data)
            return
        if s.quiet:
            emit(data["functions"], quiet_field="name")
            return
        if s.output_format == "text":
            emit([{"name": f["name"], "reserved": f["reserved"], "provisioned": f["provisioned"]}
                  for f in data["functions"]], columns=["name", "reserved", "provisioned"])
            return
        acct = data["account"]
        view: dict[str, Any] = {
            "account_limit": _unknown(acct["limit"]),
            "unreserved": _unknown(acct["unreserved"]),
            "reserved_total": acct["reserved_total"],
            "provisioned_total": _unknown(acct["provisioned_total"]),
            "functions": acct["function_count"],
        }
        rows = [{"name": f["name"], "reserved": "-" if f["reserved"] is None else f["reserved"],
                 "provisioned": ", ".join(f"{p['qualifier']}={p['requested']} ({p['status']})"
                                          for p in f["provisioned_configs"])
                 or ("unknown" if f["provisioned"] is None else "-")}
                for f in data["functions"]]
        view["with_concurrency_settings"] = rows or "none"
        emit(view)
        return

    name, qualifier = resolve_function(function)
    data = _notes(core.show_function(session, name, qualifier))
    if s.output_format == "json":
        emit(data)
        return
    acct = data["account"]
    prov = data["provisioned"]
    view = {
        "function": data["function"],
        "reserved": "none (uses the unreserved pool)" if data["reserved"] is None else data["reserved"],
        "account_limit": _unknown(acct["limit"]),
        "unreserved": _unknown(acct["unreserved"]),
        "reserved_by_other_functions": _unknown(acct["reserved_by_other_functions"]),
        "provisioned": ("unknown" if prov is None else
                        [{c: p.get(c) for c in PROV_COLUMNS} for p in prov] or "none"),
    }
    if data["cost_estimate"]:
        view["cost"] = data["cost_estimate"]["text"]
    if s.quiet:
        typer.echo(str(data["reserved"] if data["reserved"] is not None else ""))
        return
    emit(view)


def _say_result(rec: dict) -> None:
    """Render one set/clear result in the chosen format."""
    s = current()
    if s.output_format == "json":
        emit(rec)
        return
    if s.output_format == "text" or s.quiet:
        emit([rec], columns=RESULT_COLUMNS, quiet_field="status")
        return
    typer.echo(_sentence(rec))
    cost = rec.get("cost_estimate")
    if cost and rec.get("after"):
        typer.echo(cost["text"])


def _sentence(rec: dict) -> str:
    where = rec["function"] + (f":{rec['qualifier']}" if rec.get("qualifier") else "")
    what = f"{rec['setting']} concurrency"
    fmt = lambda v: "none" if v is None else str(v)  # noqa: E731
    st = rec["status"]
    if st == "unchanged":
        return f"{where}: {what} {fmt(rec['after'])} (unchanged)"
    if st == "cancelled":
        return f"{where}: {what} not changed (cancelled)"
    if st == "cleared":
        return f"{where}: {what} cleared (was {fmt(rec['before'])})"
    extra = ""
    if rec.get("provisioned_status"):
        extra = f", status {rec['provisioned_status']}"
        if rec.get("status_reason"):
            extra += f": {rec['status_reason']}"
    return f"{where}: {what} {fmt(rec['before'])} → {fmt(rec['after'])} ({st}{extra})"


def set_(
    function: FunctionArg = None,
    reserved: Annotated[Optional[str], typer.Option(
        "--reserved", metavar="N", help="Reserve N concurrent executions for the function (0 throttles it).")] = None,
    provisioned: Annotated[Optional[str], typer.Option(
        "--provisioned", metavar="N", help="Keep N environments initialised on --qualifier.")] = None,
    qualifier: QualifierOpt = None,
    wait: Annotated[bool, typer.Option("--wait", help="With --provisioned: wait until READY (progress on stderr).")] = False,
    timeout: Annotated[int, typer.Option("--timeout", metavar="SECONDS", help="How long --wait waits.")] = 900,
) -> None:
    """Set reserved concurrency, or provisioned concurrency on an alias or version.

    --reserved N is checked against the account: AWS keeps at least 100 executions unreserved,
    and the error says how much is available. --reserved 0 throttles every invocation and asks
    for confirmation (--yes to skip). --provisioned N needs --qualifier ALIAS|VERSION (never
    $LATEST, never an alias with weighted routing) and prints a cost estimate; --wait follows
    the status until READY (exit 1 with the reason if it FAILED). Re-running is safe
    ("unchanged").

    Examples:

      lambdactl concurrency set orders-api --reserved 50

      lambdactl concurrency set orders-api --reserved 0 --yes

      lambdactl concurrency set orders-api --provisioned 5 --qualifier live --wait

      lambdactl concurrency set orders-api:3 --provisioned 2 -o json
    """
    from lambdactl.core.resources import concurrency as core

    # Validate everything before any AWS call.
    if (reserved is None) == (provisioned is None):
        raise UsageError("give exactly one of --reserved N or --provisioned N",
                         hint="e.g. --reserved 50, or --provisioned 5 --qualifier live")
    name, ref_qualifier = resolve_function(function)
    if reserved is not None:
        count = core.parse_count(reserved, "--reserved")
        if qualifier or ref_qualifier:
            raise UsageError("reserved concurrency applies to the whole function, not to a qualifier",
                             hint="drop --qualifier / ':QUALIFIER' (provisioned concurrency takes one)")
        if wait:
            raise UsageError("--wait applies to --provisioned", hint="reserved concurrency applies at once")
        rec = core.set_reserved(aws(), name, count,
                                confirm=lambda q: confirm(q + "?"))
        _notes(rec)
        _say_result(rec)
        if rec["status"] == "cancelled":
            raise typer.Exit(1)
        return

    count = core.parse_count(provisioned, "--provisioned", minimum=1)
    q = core.validate_qualifier(_one_qualifier(ref_qualifier, qualifier))
    if timeout < 1:
        raise UsageError(f"--timeout {timeout}: must be at least 1 second")
    session = aws()
    rec = _notes(core.set_provisioned(session, name, q, count))
    if wait:
        last: dict = {}

        def progress(p: dict, elapsed: float) -> None:
            key = (p["status"], p.get("allocated"), p.get("available"))
            if key != last.get("key"):
                last["key"] = key
                say(f"{rec['function']}:{q}: provisioned concurrency {p['status']}, allocated "
                    f"{p.get('allocated') if p.get('allocated') is not None else 0}/{p.get('requested')} "
                    f"({elapsed:.0f}s)")

        final = core.wait_provisioned(session, name, q, timeout=timeout, on_progress=progress)
        rec.update(provisioned_status=final["status"], allocated=final["allocated"],
                   available=final["available"], status_reason=final["status_reason"])
    _say_result(rec)


def clear(
    function: FunctionArg = None,
    reserved: Annotated[bool, typer.Option("--reserved", help="Remove the reservation (the default).")] = False,
    provisioned: Annotated[bool, typer.Option("--provisioned", help="Remove provisioned concurrency from --qualifier.")] = False,
    qualifier: QualifierOpt = None,
) -> None:
    """Remove reserved concurrency and/or provisioned concurrency from an alias or version.

    Without flags the reservation is removed (a qualifier alone, --qualifier Q or FUNCTION:Q,
    means --provisioned). Clearing what is not set says "unchanged".

    Examples:

      lambdactl concurrency clear orders-api

      lambdactl concurrency clear orders-api --provisioned --qualifier live

      lambdactl concurrency clear orders-api:3 -o json
    """
    from lambdactl.core.resources import concurrency as core

    name, ref_qualifier = resolve_function(function)
    q = _one_qualifier(ref_qualifier, qualifier)
    if not reserved and not provisioned:
        if q:
            provisioned = True
        else:
            reserved = True
    if reserved and q and not provisioned:
        raise UsageError("reserved concurrency applies to the whole function, not to a qualifier",
                         hint="drop --qualifier / ':QUALIFIER', or add --provisioned")
    if provisioned:
        q = core.validate_qualifier(q)
    session = aws()
    results = []
    if reserved:
        results.append(core.clear_reserved(session, name))
    if provisioned:
        results.append(core.clear_provisioned(session, name, q))
    s = current()
    if s.output_format == "json":
        emit(results)
        return
    if s.output_format == "text" or s.quiet:
        emit(results, columns=RESULT_COLUMNS, quiet_field="status")
        return
    for rec in results:
        typer.echo(_sentence(rec))


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help="Reserved and provisioned concurrency, with the account picture.",
                      no_args_is_help=True, rich_markup_mode=None)
    sub.command("show", help=show.__doc__)(show)
    sub.command("set", help=set_.__doc__)(set_)
    sub.command("clear", help=clear.__doc__)(clear)
    app.add_typer(sub, name="concurrency")
