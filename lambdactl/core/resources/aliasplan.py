"""The deploy planner for aliases: ``[[aliases]]`` of the project file and ``deploy --alias NAME
[--canary P]`` → steps that point each alias at its version (the alias operations themselves are
:mod:`lambdactl.core.resources.aliases`).
"""
from __future__ import annotations

from lambdactl.core.model.naming import short_name as _short
from lambdactl.core.model.state import percent
from lambdactl.core.resources.aliases import (_desired_routes, alias_record, get_alias, parse_percent, parse_version,
                                              routing_text, set_alias, user_description, validate_alias_name)
from lambdactl.core.resources.versions import get_aliases, get_versions
from lambdactl.errors import NotFoundError, UsageError


def plan_aliases(ctx) -> list:
    """Steps that point the project's aliases (and ``deploy --alias NAME [--canary P]``) at
    their versions.

    - ``[[aliases]]`` with ``version = "published"`` → the version this deploy publishes
      (``ctx.state["published_version"]``, set by the publish step); without a publish in this
      deploy (``ctx.options["publish"]`` falsy), the newest published version; when nothing is
      published, the alias is skipped with a warning.
    - a number → that version (must exist: NotFoundError at plan time).
    - ``routing = {"5" = 0.1}`` → that share of the alias's traffic goes to version 5 (it must exist;
      it is compared and set like the primary); without ``routing`` the alias sends all of its
      traffic to its version (a canary set by hand is ended).
    - ``ctx.options["alias"]`` routes that alias to the published version; with
      ``ctx.options["canary"]`` = P the current primary stays and P % goes to the new version
      (100 promotes; a missing alias is created at the new version).
    Plan-time reads only; each step's apply re-reads the alias and reports ``unchanged`` when it
    already matches.
    """
    from lambdactl.core.resources.plan import Change, Step

    def warn(msg: str) -> None:        # shown by the CLI with the plan's other warnings
        ctx.state.setdefault("warnings", []).append(msg)

    project = getattr(ctx, "project", None)
    options = ctx.options or {}
    wanted: dict[str, dict] = {}
    for a in (getattr(project, "aliases", None) or []):
        routing = getattr(a, "routing", None) or {}
        wanted[a.name] = {"version": str(a.version), "description": user_description(a.description) or None,
                          "canary": None,
                          "routing": next(((str(v), percent(w)) for v, w in routing.items()), None)}
    opt_alias = options.get("alias")
    canary = options.get("canary")
    if canary is not None and canary != "" and not opt_alias:
        raise UsageError("--canary needs --alias NAME", hint="e.g. deploy --publish --alias live --canary 10")
    if opt_alias:
        validate_alias_name(opt_alias)
        p = parse_percent(canary, "--canary", allow_zero=False) if canary not in (None, "") else None
        spec = wanted.get(opt_alias, {"description": None})
        wanted[opt_alias] = {"version": "published", "description": spec.get("description"), "canary": p,
                             "routing": None}
    if not wanted:
        return []
    for n, spec in wanted.items():
        validate_alias_name(n)
        if spec["version"] != "published":
            spec["version"] = parse_version(spec["version"], f"aliases {n}.version")

    function = ctx.function_name
    exists = ctx.current is not None
    publishing = bool(options.get("publish"))
    known_published = ctx.state.get("published_version") if ctx.state else None
    aws = ctx.aws
    live = ctx.state.get("live") if ctx.state else None    # plan_deploy's one read
    if exists and live is not None and live.versions is not None and live.aliases is not None:
        version_ids = [v.version for v in live.versions]
        aliases = {a.name: _api_alias(a) for a in live.aliases}
    else:
        version_ids = [v["Version"] for v in get_versions(aws, function)] if exists else []
        aliases = {a["Name"]: a for a in get_aliases(aws, function)} if exists else {}
    have = set(version_ids)
    newest = version_ids[-1] if version_ids else None
    name = _short(function)
    steps = []
    for alias, spec in wanted.items():
        cur = aliases.get(alias)
        before = alias_record(name, cur) if cur else None
        ver = spec["version"]
        if ver == "published":
            if known_published:
                resolved, label = str(known_published), str(known_published)
            elif publishing:
                resolved, label = None, "the version this deploy publishes"
            elif newest:
                resolved, label = newest, newest
            else:
                warn(f"alias {alias}: skipped, {name} has no published version yet "
                     f"(deploy with --publish, or run 'lambdactl publish')")
                continue
        else:
            if ver not in have:
                raise NotFoundError(
                    f"aliases {alias}.version: version {ver} of {name} does not exist",
                    hint=(f"the newest published version is {newest}" if newest
                          else "nothing is published yet: use version = \"published\" with deploy --publish"))
            resolved, label = ver, ver
        routing = spec["routing"]
        if routing is not None:
            if routing[0] not in have:
                raise NotFoundError(
                    f"aliases {alias}.routing: version {routing[0]} of {name} does not exist",
                    hint=(f"the newest published version is {newest}" if newest else "nothing is published yet"))
            if resolved == routing[0]:
                raise UsageError(f"aliases {alias}.routing: version {routing[0]} is the alias's own version",
                                 hint="route to another version, or drop routing")
        pct = spec["canary"]
        if pct is not None and pct < 100 and cur is None:
            ctx.state.setdefault("warnings", []).append(_first_release_warning(alias, pct))
            spec["first_release_warned"] = True
        if resolved is not None:
            desired = _desired_routes(resolved, routing) if routing else _desired_for(before, resolved, pct)
            if before is not None and desired == before["routes"] and (
                    spec["description"] is None or spec["description"] == before["description"]):
                continue
            after_text = routing_text(desired)
        elif routing is not None:
            after_text = f"new ({_rest(routing[1])}%) + {routing[0]} ({routing[1]}%)"
        elif pct is not None and pct < 100 and before is not None:
            after_text = f"{before['version']} ({_rest(pct)}%) + new ({pct}%)"
        else:
            after_text = "new (100%)"
        action = "create" if cur is None else "update"
        if pct is not None and pct < 100 and cur is not None:
            desc = f"alias {alias}: canary {pct}% to {'version ' + label if resolved else label}"
        else:
            desc = f"alias {alias}: {'create at' if cur is None else 'point at'} " \
                   f"{'version ' + label if resolved else label}"
            if routing is not None:
                desc += f", {routing[1]}% to version {routing[0]}"
        changes = [Change("routing", before["routing"] if before else None, after_text)]
        if spec["description"] is not None and (before is None or before["description"] != spec["description"]):
            changes.append(Change("description", before["description"] if before else None, spec["description"]))
        step = Step(area="alias", action=action, target=f"alias {alias}", description=desc, changes=changes)
        step.apply = _alias_apply(step, alias, spec, resolved if ver != "published" else None)
        steps.append(step)
    return steps


def _api_alias(a) -> dict:
    """The model's Alias in the API's shape (what alias_record reads)."""
    d = {"Name": a.name, "FunctionVersion": a.version, "Description": a.description,
         "AliasArn": a.arn, "RevisionId": a.revision_id}
    if a.weights:
        d["RoutingConfig"] = {"AdditionalVersionWeights": dict(a.weights)}
    return d


def _first_release_warning(alias: str, pct) -> str:
    return (f"--canary {pct}: alias {alias} does not exist yet, so there is nothing to canary against; "
            f"it is created with 100% of its traffic on the new version")


def _rest(pct: float) -> float | int:
    r = round(100 - pct, 4)
    return int(r) if r == int(r) else r


def _desired_for(before: dict | None, version: str, pct) -> dict:
    """The routes an alias should have: ``version`` at 100 %, or a canary of ``pct`` % beside the
    current primary."""
    if pct is None or pct >= 100 or before is None or before["version"] == version:
        return {version: 100}
    return _desired_routes(before["version"], (version, pct))


def _alias_apply(step, alias: str, spec: dict, fixed_version: str | None):
    def apply(ctx) -> dict:
        aws, function = ctx.aws, ctx.function_name
        version = fixed_version
        if version is None:
            version = ctx.state.get("published_version")
        if version is None:
            newest = get_versions(aws, function)
            if not newest:
                step.detail["result"] = "skipped"
                step.detail["note"] = "no published version"
                return {"status": "skipped"}
            version = newest[-1]["Version"]
        version = str(version)
        pct = spec["canary"]
        weight = spec.get("routing")
        primary = version
        if weight is not None and weight[0] == version:
            raise UsageError(f"aliases {alias}.routing: version {version} is the alias's own version",
                             hint="route to another version, or drop routing")
        if pct is not None and pct < 100:
            cur = get_alias(aws, function, alias)
            if cur is not None and str(cur["FunctionVersion"]) != version:
                primary, weight = str(cur["FunctionVersion"]), (version, pct)
            elif cur is None and not spec.get("first_release_warned"):    # deleted since the plan
                ctx.state.setdefault("warnings", []).append(_first_release_warning(alias, pct))
        result = set_alias(aws, function, alias, primary, weight, spec["description"],
                           warn=ctx.state.setdefault("warnings", []).append)
        step.detail["result"] = result["status"]
        step.detail["routing"] = result["after_text"]
        ctx.state.setdefault("aliases", {})[alias] = result
        return result

    return apply
