"""Aliases and traffic shifting: list/show/set/delete, shift (canary, time-stepped), promote,
rollback (the deploy planner is :mod:`lambdactl.core.resources.aliasplan`).

Weights are percentages in lambdactl (``10`` or ``10%``) and fractions (0.0–1.0) in the Lambda
API. Lambda allows ONE additional version per alias; both versions must be published (not
``$LATEST``). moto does not validate any of this, so it is all validated here, before any
mutating call: malformed input is a :class:`UsageError` (exit 2), a missing version or alias a
:class:`NotFoundError` (exit 3).

Canary health check (``alias shift --check-errors``)
----------------------------------------------------
A check is any callable ``check(window: CheckWindow) -> CheckResult``; :func:`shift_alias` calls
it while each step's interval runs and rolls the alias back (all traffic to the primary) when it
reports ``ok=False``. :func:`cloudwatch_error_check` is the built-in one. It reads the
``AWS/Lambda`` metrics ``Errors`` and ``Invocations`` (statistic ``Sum``, period 60 s) with the
dimensions ``FunctionName=<fn>``, ``Resource=<fn>:<alias>``, ``ExecutedVersion=<canary>``. That
is the dimension set Lambda emits for invocations made *through an alias*, split by the version
that actually ran; it isolates the canary's traffic from the primary's (the plain
``FunctionName`` + ``Resource=<fn>:<version>`` set only covers invocations that name the version
directly, and ``FunctionName`` alone mixes every version). The window starts one period before
the step began (metrics are per-minute and arrive late) and ends now. Errors without any
invocations count as a 100 % error rate.

Rollback record (``alias rollback`` without ``--to``)
-----------------------------------------------------
Every lambdactl change that moves an alias (``alias set``/``shift``/``promote``/``rollback``,
``deploy --alias``/``--canary``) records, in the same UpdateAlias call, where the alias was
before. The record lives in AWS, at the end of the alias description, after the user's own text:
``prod traffic [lambdactl: was 7, now 8]`` (a routing ``7+8@10%`` is 90 % to 7, 10 % to 8). Any
machine can therefore roll back, and nothing is half-applied (routing and record change in one
call). Rules:

- ``was`` is the routing before the last change; a change that only moves weight between the
  primary and its canary, or promotes the canary (a stepped shift, ``deploy --canary`` then
  ``promote``), continues the same release and keeps the ``was`` of the release's start;
- ``now`` is the routing the record was written for: when the alias no longer routes that way
  (changed outside lambdactl), the record is ignored;
- ``alias rollback`` restores ``was`` and records ``rolled back from <routing>, now <routing>``;
  ``rollback --to N`` records the same. A second rollback changes nothing: it says the alias was
  already rolled back and how to go forward again (``alias set ... --version N``) — no silent
  ping-pong between two versions;
- without a usable record, rollback drops a canary's weights (all traffic to the primary), or
  fails (exit 1) with a hint to name the version with ``--to N``;
- creating an alias records nothing (there was no earlier routing);
- the user's text is at most :data:`MAX_USER_DESCRIPTION` characters (``--description``); a longer
  text written elsewhere is shortened, with a warning, when lambdactl next moves the alias.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from lambdactl.aws import AwsSession, error_code, retry
from lambdactl.core.model.naming import short_name as _short
from lambdactl.core.resources.versions import alias_routes, function_not_found, get_aliases, get_versions
from lambdactl.errors import Interrupted, NotFoundError, OperationError, UsageError

ALIAS_NAME_RE = re.compile(r"^(?!^[0-9]+$)[A-Za-z0-9_-]{1,128}$")
DEFAULT_STEP_INTERVAL = 300.0       # `--steps` without `--interval`: 5 minutes per step
MAX_POLL = 30.0                     # how often a check runs while an interval elapses
MAX_DESCRIPTION = 256               # Lambda's limit for an alias description
MAX_USER_DESCRIPTION = 170          # the rest holds the rollback record (see the module docstring)


# --- parsing and validation (pure: no AWS calls) -------------------------------------------

def validate_alias_name(name: str) -> str:
    if not name or not ALIAS_NAME_RE.match(name):
        raise UsageError(f"{name!r} is not a valid alias name",
                         hint="1-128 letters, digits, '-' or '_', not only digits (e.g. live, prod, beta)")
    return name


def parse_version(value: Any, what: str = "--version") -> str:
    """A published version number as a string; ``$LATEST`` and anything else are usage errors."""
    text = str(value).strip() if value is not None else ""
    if text.upper() in ("$LATEST", "LATEST"):
        raise UsageError(f"{what} {text}: an alias must point at a published version, not $LATEST",
                         hint="publish one first with 'lambdactl publish', then use its number")
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"{what} {text!r}: expected a published version number (1, 2, ...)",
                         hint="'lambdactl versions FUNCTION' lists the published versions")
    return str(int(text))


def parse_percent(value: Any, what: str = "--percent", *, allow_zero: bool = True) -> float | int:
    """``10``, ``10%``, ``2.5`` → a percentage in [0, 100] (int when whole)."""
    text = str(value).strip()
    raw = text[:-1].strip() if text.endswith("%") else text
    try:
        p = float(raw)
    except ValueError:
        raise UsageError(f"{_label(what, text)}: expected a percentage from 0 to 100 (e.g. 10 or 10%)",
                         hint="weights are percentages: 10 means 10% of the traffic") from None
    if not math.isfinite(p) or p < 0 or p > 100 or (p == 0 and not allow_zero):
        lo = "0" if allow_zero else "more than 0"
        raise UsageError(f"{_label(what, text)}: must be from {lo} to 100 (percent)",
                         hint="e.g. 10 or 10% routes a tenth of the traffic")
    p = round(p, 4)
    return int(p) if p == int(p) else p


def _label(what: str, text: str) -> str:
    return f"{what}{text}" if what.endswith("=") else f"{what} {text!r}"


def parse_weight(text: str) -> tuple[str, float | int]:
    """``8=10`` or ``8=10%`` → ("8", 10)."""
    if "=" not in str(text):
        raise UsageError(f"--weight {text!r}: expected VERSION=PERCENT",
                         hint="e.g. --weight 8=10 sends 10% of the traffic to version 8")
    v, p = str(text).split("=", 1)
    return parse_version(v.strip(), "--weight version"), parse_percent(p, f"--weight {v.strip()}=")


def parse_weights(values: list[str] | None) -> tuple[str, float | int] | None:
    """At most one VERSION=PERCENT (Lambda routes to a single additional version)."""
    items: list[str] = []
    for v in values or []:
        items.extend(x for x in str(v).split(",") if x.strip())
    if not items:
        return None
    if len(items) > 1:
        raise UsageError(f"--weight given {len(items)} times: an alias routes to a single additional version",
                         hint="keep one --weight VERSION=PERCENT")
    return parse_weight(items[0].strip())


def parse_steps(text: str) -> list[float | int]:
    """``10,25,50,100`` (``%`` allowed) → increasing percentages, each in (0, 100]."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not parts:
        raise UsageError(f"--steps {text!r}: expected percentages like 10,25,50,100")
    steps = [parse_percent(p, "--steps", allow_zero=False) for p in parts]
    if any(b <= a for a, b in zip(steps, steps[1:])):
        raise UsageError(f"--steps {text!r}: percentages must increase",
                         hint="e.g. --steps 10,25,50,100")
    return steps


_DUR_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h)?", re.I)
_DUR_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str, what: str = "--interval") -> float:
    """``5m``, ``30s``, ``1h``, ``1m30s``, ``0.05s``, ``250ms``, ``90`` (seconds) → seconds."""
    s = str(text).strip().lower().replace(" ", "")
    pos, total, parts = 0, 0.0, 0
    while pos < len(s):
        m = _DUR_RE.match(s, pos)
        if not m or m.end() == pos:
            break
        unit = m.group(2)
        if unit is None and m.end() != len(s):
            break
        total += float(m.group(1)) * _DUR_UNITS[unit]
        pos = m.end()
        parts += 1
    if not s or pos != len(s) or parts == 0 or not math.isfinite(total):
        raise UsageError(f"{what} {text!r}: expected a duration like 30s, 5m, 1h or 0.5s",
                         hint="units: ms, s, m, h (a bare number is seconds)")
    return total


# --- the rollback record (in the alias description) --------------------------------------

_ROUTE = r"\d+(?:\+\d+@\d+(?:\.\d+)?%)?"
_RECORD_RE = re.compile(rf"\s*\[lambdactl: (?P<kind>was|rolled back from) (?P<prev>{_ROUTE}), "
                        rf"now (?P<now>{_ROUTE})\]\s*$")


@dataclass
class RollbackRecord:
    kind: str               # "was" (restorable) | "rolled_back" (a rollback happened last)
    previous: dict          # routes before the change
    now: dict               # routes the record was written for


def _routes_token(routes: dict) -> str:
    """{"7": 90, "8": 10} → ``7+8@10%``; {"7": 100} → ``7``."""
    items = list(routes.items())
    if len(items) == 1:
        return str(items[0][0])
    return f"{items[0][0]}+{items[1][0]}@{items[1][1]}%"


def _token_routes(token: str) -> dict:
    if "+" not in token:
        return {str(int(token)): 100}
    primary, rest = token.split("+", 1)
    canary, pct = rest.rstrip("%").split("@", 1)
    return _desired_routes(str(int(primary)), (str(int(canary)), float(pct)))


def split_description(description: str | None) -> tuple[str, RollbackRecord | None]:
    """(the user's text, the rollback record or None) of a raw alias description."""
    text = description or ""
    record = None
    m = _RECORD_RE.search(text)
    while m:                                  # tolerate stacked records (the last one counts)
        if record is None:
            kind = "was" if m.group("kind") == "was" else "rolled_back"
            record = RollbackRecord(kind, _token_routes(m.group("prev")), _token_routes(m.group("now")))
        text = text[:m.start()]
        m = _RECORD_RE.search(text)
    return text.rstrip(), record


def user_description(description: str | None) -> str:
    """The alias description as the user wrote it (without lambdactl's rollback record)."""
    return split_description(description)[0]


def _record_text(record: RollbackRecord) -> str:
    kind = "was" if record.kind == "was" else "rolled back from"
    return f"[lambdactl: {kind} {_routes_token(record.previous)}, now {_routes_token(record.now)}]"


def _no_warn(_msg: str) -> None:
    pass


def compose_description(user: str, record: RollbackRecord | None, *, alias: str = "",
                        warn: Callable[[str], None] | None = None) -> str:
    """The raw description: the user's text, then the record; the text is shortened to fit
    (reported through ``warn``, which the CLI passes)."""
    user = (user or "").strip()
    if record is None:
        return user[:MAX_DESCRIPTION]
    tail = _record_text(record)
    room = MAX_DESCRIPTION - len(tail) - 1
    if len(user) > room:
        (warn or _no_warn)(f"the description of alias {alias} was shortened to {room} characters to keep lambdactl's "
             f"rollback record (your own text takes at most {MAX_USER_DESCRIPTION})")
        user = user[:room - 1].rstrip() + "…"
    return f"{user} {tail}" if user else tail


def rollback_record(a: dict) -> RollbackRecord | None:
    """The alias's record while it still describes the alias's routing (None: stale or absent)."""
    record = split_description(a.get("Description"))[1]
    if record is None or record.now != alias_routes(a):
        return None
    return record


def _continues_release(before: dict, after: dict) -> bool:
    """``before`` → ``after`` only moves weight between the primary and its canary, or promotes
    the canary: the same release going on."""
    if len(before) != 2:
        return False
    canary = list(before)[1]
    return canary in after and set(after) <= set(before)


def _next_record(current: dict, after_routes: dict, rollback: bool) -> RollbackRecord | None:
    before = alias_routes(current)
    if after_routes == before:
        return split_description(current.get("Description"))[1]     # routing unchanged: keep it
    if rollback:
        return RollbackRecord("rolled_back", before, after_routes)
    valid = rollback_record(current)
    if valid is not None and valid.kind == "was" and _continues_release(before, after_routes):
        return RollbackRecord("was", valid.previous, after_routes)
    return RollbackRecord("was", before, after_routes)


# --- records ------------------------------------------------------------------------------

def routing_text(routes: dict | None) -> str:
    """{"7": 90, "8": 10} → '7 (90%) + 8 (10%)'; {"7": 100} → '7 (100%)'; None → '(none)'."""
    if not routes:
        return "(none)"
    return " + ".join(f"{v} ({p}%)" for v, p in routes.items())


def alias_record(function: str, a: dict) -> dict:
    routes = alias_routes(a)
    record = rollback_record(a)
    extra = list(routes.items())[1:]
    return {
        "name": a["Name"],
        "function": function,
        "version": str(a["FunctionVersion"]),
        "canary_version": extra[0][0] if extra else None,
        "canary_percent": extra[0][1] if extra else None,
        "routes": routes,
        "routing": routing_text(routes),
        "description": user_description(a.get("Description")),
        "arn": a.get("AliasArn"),
        "revision_id": a.get("RevisionId"),
        # What a plain 'alias rollback' restores (recorded in AWS), or where the last rollback came from.
        "previous": record.previous if record and record.kind == "was" else None,
        "rolled_back_from": record.previous if record and record.kind == "rolled_back" else None,
    }


def _change(function: str, alias: str, status: str, before: dict | None, after: dict | None,
            message: str = "", **extra) -> dict:
    rec = {
        "function": function,
        "alias": alias,
        "status": status,
        "before": before["routes"] if before else None,
        "after": after["routes"] if after else None,
        "before_text": before["routing"] if before else "(none)",
        "after_text": after["routing"] if after else "(none)",
        "version": after["version"] if after else None,
        "canary_version": after["canary_version"] if after else None,
        "canary_percent": after["canary_percent"] if after else None,
        "arn": (after or before or {}).get("arn"),
        "message": message,
    }
    rec.update(extra)
    return rec


# --- reading ------------------------------------------------------------------------------

def get_alias(aws: AwsSession, function: str, alias: str) -> dict | None:
    """The raw alias, None if the alias does not exist; NotFoundError if the function does not."""
    from botocore.exceptions import ClientError

    lam = aws.client("lambda")
    try:
        return retry(lambda: lam.get_alias(FunctionName=function, Name=alias))
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        msg = (exc.response.get("Error", {}).get("Message") or "").lower()
        if "alias" in msg:
            return None
    # Function missing, or an ambiguous message: tell them apart.
    from lambdactl.core.resources.functions import get_configuration

    if get_configuration(aws, function) is None:
        raise function_not_found(function)
    return None


def alias_not_found(function: str, alias: str) -> NotFoundError:
    return NotFoundError(f"alias not found: {alias} (function {_short(function)})",
                         hint=f"'lambdactl alias list {_short(function)}' lists the aliases; "
                              f"'lambdactl alias set {_short(function)} {alias} --version N' creates it")


def require_alias(aws: AwsSession, function: str, alias: str) -> dict:
    a = get_alias(aws, function, alias)
    if a is None:
        raise alias_not_found(function, alias)
    return a


def list_aliases(aws: AwsSession, function: str) -> list[dict]:
    name = _short(function)
    return [alias_record(name, a) for a in get_aliases(aws, function)]


def show_alias(aws: AwsSession, function: str, alias: str) -> dict:
    validate_alias_name(alias)
    return alias_record(_short(function), require_alias(aws, function, alias))


def require_published(aws: AwsSession, function: str, *versions: str) -> dict[str, dict]:
    """{version: configuration} for each version; NotFoundError naming the missing ones."""
    existing = {v["Version"]: v for v in get_versions(aws, function)}
    missing = [v for v in versions if v not in existing]
    if missing:
        newest = max(existing, key=int) if existing else None
        which = ", ".join(missing)
        raise NotFoundError(
            f"version{'s' if len(missing) > 1 else ''} {which} of {_short(function)} "
            f"{'do' if len(missing) > 1 else 'does'} not exist",
            hint=(f"the newest published version is {newest}; 'lambdactl versions {_short(function)}' lists them"
                  if newest else f"nothing is published yet: run 'lambdactl publish {_short(function)}'"))
    return {v: existing[v] for v in versions}


# --- writing ------------------------------------------------------------------------------

def _weights_param(weight: tuple[str, float] | None) -> dict:
    if not weight:
        return {"AdditionalVersionWeights": {}}
    return {"AdditionalVersionWeights": {weight[0]: round(float(weight[1]) / 100.0, 6)}}


def _desired_routes(version: str, weight: tuple[str, float] | None) -> dict:
    fake = {"FunctionVersion": version,
            "RoutingConfig": {"AdditionalVersionWeights": _weights_param(weight)["AdditionalVersionWeights"]}}
    return alias_routes(fake)


def _write_alias(aws: AwsSession, function: str, alias: str, version: str,
                 weight: tuple[str, float] | None, description: str | None,
                 current: dict | None, *, rollback: bool = False,
                 warn: Callable[[str], None] | None = None) -> dict:
    """create_alias or update_alias; returns the alias as AWS reports it.

    ``description`` is the user's text (None: keep it). The rollback record (module docstring)
    is written in the same call; ``rollback`` marks this change as a rollback.
    """
    from botocore.exceptions import ClientError

    lam = aws.client("lambda")
    routing = _weights_param(weight)
    if current is None:
        kwargs: dict[str, Any] = {"FunctionName": function, "Name": alias, "FunctionVersion": version,
                                  "Description": compose_description(description or "", None, alias=alias, warn=warn)}
        if weight:
            kwargs["RoutingConfig"] = routing
        try:
            return retry(lambda: lam.create_alias(**kwargs))
        except ClientError as exc:
            if error_code(exc) == "ResourceConflictException" and "exist" in str(exc).lower():
                current = require_alias(aws, function, alias)   # created concurrently: update it
            else:
                raise
    record = _next_record(current, _desired_routes(version, weight), rollback)
    user = description if description is not None else user_description(current.get("Description"))
    kwargs = {"FunctionName": function, "Name": alias, "FunctionVersion": version, "RoutingConfig": routing,
              "Description": compose_description(user, record, alias=alias, warn=warn)}
    if current.get("RevisionId"):
        kwargs["RevisionId"] = current["RevisionId"]
    try:
        return retry(lambda: lam.update_alias(**kwargs))
    except ClientError as exc:
        if error_code(exc) == "PreconditionFailedException":
            raise OperationError(f"alias {alias} changed while lambdactl was updating it; nothing was changed",
                                 hint="re-run the command; re-running is safe") from None
        raise


def check_description(description: str | None, what: str = "--description") -> None:
    """The user's alias description fits beside the rollback record (UsageError otherwise)."""
    if description is not None and len(description.strip()) > MAX_USER_DESCRIPTION:
        raise UsageError(f"{what} is {len(description.strip())} characters; an alias description takes at most "
                         f"{MAX_USER_DESCRIPTION}",
                         hint="lambdactl keeps the alias's rollback record in the rest of the description "
                              "(256 characters in all): shorten it")


def set_alias(aws: AwsSession, function: str, alias: str, version: Any,
              weight: tuple[str, float] | str | list[str] | None = None,
              description: str | None = None, *, warn: Callable[[str], None] | None = None) -> dict:
    """Create or update ``alias`` → ``version`` (+ an optional (version, percent) canary weight).

    Routing is set exactly as given: without ``weight`` any additional version is removed.
    ``description`` None keeps the current one. Status: created | updated | unchanged.
    """
    validate_alias_name(alias)
    version = parse_version(version)
    if isinstance(weight, (str, list)):
        weight = parse_weights([weight] if isinstance(weight, str) else weight)
    if weight is not None:
        weight = (parse_version(weight[0], "--weight version"), parse_percent(weight[1], "--weight"))
        if weight[0] == version:
            raise UsageError(f"--weight {weight[0]}={weight[1]}: the additional version must differ from "
                             f"the primary version {version}",
                             hint="drop --weight to send all traffic to the primary")
    if description is not None:
        description = user_description(description)     # a copied raw description: no second record
    check_description(description)
    name = _short(function)
    current = get_alias(aws, function, alias)
    require_published(aws, function, version, *([weight[0]] if weight else []))
    before = alias_record(name, current) if current else None
    desired = _desired_routes(version, weight)
    if current is not None and before["routes"] == desired and (
            description is None or description.strip() == before["description"]):
        return _change(name, alias, "unchanged", before, before, f"alias {alias} already routes {before['routing']}")
    new = _write_alias(aws, function, alias, version, weight, description, current, warn=warn)
    after = alias_record(name, new)
    status = "created" if current is None else "updated"
    return _change(name, alias, status, before, after, f"alias {alias} {status}: {after['routing']}")


def delete_alias(aws: AwsSession, function: str, alias: str) -> dict:
    """Delete ``alias`` (NotFoundError when it does not exist)."""
    from botocore.exceptions import ClientError

    validate_alias_name(alias)
    name = _short(function)
    current = require_alias(aws, function, alias)
    try:
        retry(lambda: aws.client("lambda").delete_alias(FunctionName=function, Name=alias))
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise alias_not_found(function, alias) from None
        raise
    before = alias_record(name, current)
    return _change(name, alias, "deleted", before, None, f"deleted alias {alias} (was {before['routing']})")


def promote(aws: AwsSession, function: str, alias: str, *, warn: Callable[[str], None] | None = None) -> dict:
    """The canary version becomes the primary; weights cleared. Unchanged when there is no canary."""
    validate_alias_name(alias)
    name = _short(function)
    current = require_alias(aws, function, alias)
    before = alias_record(name, current)
    if not before["canary_version"]:
        return _change(name, alias, "unchanged", before, before,
                       f"alias {alias} has no canary to promote; version {before['version']} has all traffic")
    target = before["canary_version"]
    require_published(aws, function, target)
    new = _write_alias(aws, function, alias, target, None, None, current, warn=warn)
    after = alias_record(name, new)
    return _change(name, alias, "promoted", before, after, f"promoted version {target} on alias {alias}")


def rollback(aws: AwsSession, function: str, alias: str, to: Any = None, *,
             warn: Callable[[str], None] | None = None) -> dict:
    """Put ``alias`` back where it was before lambdactl's last change to it (the record in the
    alias description, see the module docstring), or with ``to`` point it at version ``to``.

    Without a usable record a canary is dropped (all traffic to the primary); otherwise
    OperationError (exit 1) with a hint to use ``--to``. After a rollback, a second one changes
    nothing ("unchanged", naming the way forward).
    """
    validate_alias_name(alias)
    target = parse_version(to, "--to") if to is not None else None
    name = _short(function)
    current = require_alias(aws, function, alias)
    before = alias_record(name, current)
    if target is not None:
        primary, weight = target, None
    else:
        record = rollback_record(current)
        if record is not None and record.kind == "rolled_back":
            fwd = record.previous
            forward = (f"'lambdactl alias set {name} {alias} --version {list(fwd)[0]}'" if len(fwd) == 1 else
                       f"'lambdactl alias set {name} {alias} --version {list(fwd)[0]} --weight "
                       f"{list(fwd)[1]}={fwd[list(fwd)[1]]}'")
            return _change(name, alias, "unchanged", before, before,
                           f"alias {alias} was already rolled back (from {routing_text(fwd)} to "
                           f"{before['routing']}); nothing earlier is recorded. To go forward again: {forward}; "
                           f"to another version: --to N")
        if record is not None:
            items = list(record.previous.items())
            primary = items[0][0]
            weight = (items[1][0], items[1][1]) if len(items) > 1 else None
        elif before["canary_version"]:
            primary, weight = before["version"], None          # no record: drop the canary
        else:
            stale = split_description(current.get("Description"))[1] is not None
            why = (f"alias {alias} was changed outside lambdactl since its last recorded change, so the "
                   f"recorded routing no longer applies" if stale else
                   f"lambdactl has no record of where alias {alias} was before its current routing "
                   f"({before['routing']})")
            raise OperationError(f"nothing to roll back: {why}",
                                 hint=f"name the version: 'lambdactl alias rollback {name} {alias} --to N' "
                                      f"('lambdactl versions {name}' lists them)")
    desired = _desired_routes(primary, weight)
    if before["routes"] == desired:
        return _change(name, alias, "unchanged", before, before,
                       f"alias {alias} already routes {before['routing']}")
    require_published(aws, function, primary, *([weight[0]] if weight else []))
    new = _write_alias(aws, function, alias, primary, weight, None, current, rollback=True, warn=warn)
    after = alias_record(name, new)
    return _change(name, alias, "rolled_back", before, after,
                   f"alias {alias} rolled back: {before['routing']} → {after['routing']}")


# --- health checks ------------------------------------------------------------------------

@dataclass
class CheckWindow:
    """What a check looks at: the canary ``version`` of ``function`` behind ``alias``, between
    ``start`` and ``end`` (epoch seconds)."""
    function: str
    alias: str
    version: str
    percent: float
    start: float
    end: float


@dataclass
class CheckResult:
    ok: bool
    message: str = ""
    detail: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "message": self.message, **self.detail}


HealthCheck = Callable[[CheckWindow], CheckResult]


def cloudwatch_error_check(aws: AwsSession, max_error_rate: float = 0.0, *,
                           period: int = 60) -> HealthCheck:
    """A check that fails when the canary's error rate (percent) exceeds ``max_error_rate``.

    Reads ``AWS/Lambda`` ``Errors`` and ``Invocations`` (Sum) for the dimensions
    FunctionName / Resource=<fn>:<alias> / ExecutedVersion=<canary> (see the module docstring).
    """
    def check(w: CheckWindow) -> CheckResult:
        cw = aws.client("cloudwatch")
        fn = _short(w.function)
        dims = [{"Name": "FunctionName", "Value": fn},
                {"Name": "Resource", "Value": f"{fn}:{w.alias}"},
                {"Name": "ExecutedVersion", "Value": str(w.version)}]
        start_s = math.floor((w.start - period) / period) * period
        start = _dt.datetime.fromtimestamp(start_s, tz=_dt.timezone.utc)
        end = _dt.datetime.fromtimestamp(w.end + period, tz=_dt.timezone.utc)

        def total(metric: str) -> float:
            resp = retry(lambda: cw.get_metric_statistics(
                Namespace="AWS/Lambda", MetricName=metric, Dimensions=dims, StartTime=start,
                EndTime=end, Period=period, Statistics=["Sum"]))
            return float(sum(dp.get("Sum", 0) for dp in resp.get("Datapoints", [])))

        errors = total("Errors")
        invocations = total("Invocations")
        if invocations > 0:
            rate = 100.0 * errors / invocations
        else:
            rate = 100.0 if errors > 0 else 0.0
        rate = round(rate, 4)
        ok = rate <= max_error_rate if max_error_rate > 0 else errors == 0
        detail = {"errors": errors, "invocations": invocations, "error_rate": rate,
                  "max_error_rate": max_error_rate}
        msg = (f"version {w.version} via {w.alias}: {errors:g} errors / {invocations:g} invocations "
               f"({rate:g}%, max {max_error_rate:g}%)")
        return CheckResult(ok, msg, detail)

    return check


# --- shifting -----------------------------------------------------------------------------

def shift_alias(aws: AwsSession, function: str, alias: str, *, to: Any = None,
                steps: list[float] | None = None, interval: float = 0.0,
                check: HealthCheck | None = None, poll: float | None = None,
                progress: Callable[[str], None] | None = None,
                sleep: Callable[[float], None] = time.sleep,
                clock: Callable[[], float] = time.time,
                warn: Callable[[str], None] | None = None) -> dict:
    """Shift traffic of ``alias`` to version ``to`` through ``steps`` (percentages).

    Each step below 100 sets the canary weight (the primary keeps the rest); 100 promotes
    (``to`` becomes the primary, weights cleared). After each step that is not the last, and
    after the last one when a ``check`` is given, the shift waits ``interval`` seconds, running
    ``check`` every ``poll`` seconds (and at the end of the interval). A failing check rolls the
    alias back to its primary and raises OperationError (exit 1). Re-running a shift resumes:
    steps below the canary's current weight are skipped.
    """
    validate_alias_name(alias)
    steps = list(steps or [])
    if not steps:
        raise UsageError("nothing to shift: give --percent P or --steps P1,P2,...",
                         hint="e.g. --percent 10, or --steps 10,25,50,100 --interval 5m")
    steps = [parse_percent(p, "--steps" if len(steps) > 1 else "--percent") for p in steps]
    if any(b <= a for a, b in zip(steps, steps[1:])):
        raise UsageError(f"--steps {','.join(map(str, steps))}: percentages must increase",
                         hint="e.g. --steps 10,25,50,100")
    target = parse_version(to, "--to") if to is not None else None
    if interval < 0:
        raise UsageError("--interval must not be negative")
    say = progress or (lambda msg: None)
    name = _short(function)
    current = require_alias(aws, function, alias)
    before = alias_record(name, current)
    primary = before["version"]
    if target is None:
        target = before["canary_version"]
        if target is None:
            raise UsageError(f"alias {alias} has no canary version to shift",
                             hint=f"name the new version: --to N ('lambdactl versions {name}' lists them)")
    if target == primary:
        if before["routes"] == {primary: 100} and steps[-1] == 100:
            return _change(name, alias, "unchanged", before, before,
                           f"version {target} already receives all traffic of alias {alias}", steps=[])
        raise UsageError(f"--to {target}: version {target} is already the primary version of alias {alias}",
                         hint="shift to a newer version, or 'lambdactl alias rollback' to drop the canary")
    require_published(aws, function, target)
    if before["canary_version"] not in (None, target):
        say(f"replacing canary version {before['canary_version']} of alias {alias} with version {target}")
    if len(steps) > 1 and before["canary_version"] == target:
        done = [p for p in steps if p < (before["canary_percent"] or 0)]
        if done and len(done) < len(steps):
            say(f"resuming: version {target} already has {before['canary_percent']}% of alias {alias}")
            steps = steps[len(done):]
    if poll is None:
        poll = min(MAX_POLL, interval) if interval > 0 else 0.0

    log: list[dict] = []
    state = current
    n = len(steps)
    applied: list[str] = []

    def roll_back(reason: str) -> None:
        nonlocal state
        latest = require_alias(aws, function, alias)
        new = _write_alias(aws, function, alias, primary, None, None, latest, rollback=True, warn=warn)
        after = alias_record(name, new)
        say(f"rolled back: alias {alias} → {after['routing']}")
        raise OperationError(
            f"canary check failed for version {target} at {log[-1]['percent']}%: {reason}; "
            f"rolled back alias {alias} to {after['routing']}",
            hint="look at the canary's logs ('lambdactl logs') before shifting again",
            applied=applied + [f"rolled back alias {alias} to version {primary}"])

    try:
        for i, p in enumerate(steps, 1):
            last = i == n
            args = (target, None) if p == 100 else (primary, (target, p))
            rec = alias_record(name, state)
            if rec["routes"] != _desired_routes(*args):
                state = _write_alias(aws, function, alias, args[0], args[1], None, state, warn=warn)
                rec = alias_record(name, state)
            log.append({"percent": p, "routes": rec["routes"], "checks": []})
            applied.append(f"alias {alias} → {rec['routing']}")
            say(f"[{i}/{n}] alias {alias}: {rec['routing']}")
            if p == 100:
                break
            if last and check is None:
                break
            wait = interval
            t_start = clock()
            deadline = t_start + wait
            if wait > 0:
                say(f"      waiting {_fmt_duration(wait)}" + (" while checking errors" if check else ""))
            while True:
                remaining = deadline - clock()
                if remaining > 0:
                    sleep(min(poll, remaining) if poll > 0 else remaining)
                if check is not None:
                    result = check(CheckWindow(name, alias, target, p, t_start, clock()))
                    log[-1]["checks"].append(result.to_dict())
                    if not result.ok:
                        say(f"      check failed: {result.message}")
                        roll_back(result.message)
                    if clock() >= deadline:
                        say(f"      check ok: {result.message}")
                if clock() >= deadline:
                    break
    except KeyboardInterrupt:
        at = alias_record(name, state)
        raise Interrupted(f"interrupted: alias {alias} stays at {at['routing']}",
                          hint=f"re-run the same command to resume, or 'lambdactl alias rollback {name} {alias}'",
                          applied=applied) from None
    after = alias_record(name, state)
    status = "promoted" if after["version"] == target else ("unchanged" if after["routes"] == before["routes"]
                                                           else "shifted")
    return _change(name, alias, status, before, after,
                   f"alias {alias}: {before['routing']} → {after['routing']}", steps=log)


def _fmt_duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"
