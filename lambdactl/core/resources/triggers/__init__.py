"""Triggers: wire any event source to a function in one call, without breaking existing wiring.

One module per kind, each a :class:`~.base.TriggerKind` registered in :data:`KINDS_BY_NAME`:

- :mod:`.s3` (``s3``), :mod:`.rules` (``schedule``, ``eventbridge``), :mod:`.mappings` (``sqs``,
  ``kinesis``, ``dynamodb``), :mod:`.sns` (``sns``), :mod:`.url` (``url``).

Adding a kind means adding one module with a ``KIND`` and listing it in :data:`REGISTRY` (and its
spec validation in :mod:`lambdactl.core.model.triggerspec`).

The same steps serve ``trigger add`` and the deploy planner:

1. :func:`~lambdactl.core.model.triggerspec.normalize` validates a kind's options locally (no AWS
   call) into a TriggerSpec;
2. :func:`resolve` fills what needs a read-only look-up (queue URL → ARN, table → stream ARN);
3. the kind's ``plan`` / ``apply`` read AWS state, decide created / updated / unchanged and, for
   ``apply``, make the change (permission first, then the wiring).

What lambdactl creates is recognizable, so that removal touches nothing else:

- resource-policy statements: ``lambdactl-<hash>`` statement ids (see :mod:`..permissions`),
- S3 notification configurations: ``Id = lambdactl-<hash>``,
- EventBridge rules: ``lambdactl-<function>-<hash>`` names (or a ``lambdactl:`` description),
- event source mappings: the tag ``lambdactl:managed = true``,
- SNS subscriptions and function URLs: the ``lambdactl-`` statements that go with them.
"""
from __future__ import annotations

import hashlib
from typing import Any

from lambdactl.core.model.triggerspec import TriggerSpec, normalize
from lambdactl.core.resources.permissions import is_service_principal, read_policy
from lambdactl.core.resources.triggers import mappings, rules, s3, sns
from lambdactl.core.resources.triggers import url as function_url
from lambdactl.core.resources.triggers.base import (PERMISSION_ONLY, Target, Trigger, TriggerKind,
                                                    target_from_configuration)
from lambdactl.core.resources.triggers.url import public_url_warning, url_goes_public
from lambdactl.errors import NotFoundError, UsageError

# The kinds, in the order ``trigger list`` shows them.
REGISTRY: tuple[TriggerKind, ...] = (mappings.KIND, s3.KIND, rules.KIND, sns.KIND, function_url.KIND)
KINDS_BY_NAME: dict[str, TriggerKind] = {k: h for h in REGISTRY for k in h.kinds}
_BY_HOW: dict[str, TriggerKind] = {h.how: h for h in REGISTRY}


def kind_of(spec_or_kind: TriggerSpec | str) -> TriggerKind:
    return KINDS_BY_NAME[spec_or_kind if isinstance(spec_or_kind, str) else spec_or_kind.kind]


def resolve_target(aws, function: str, qualifier: str | None = None) -> Target:
    """The function's ARN and role (NotFoundError when it does not exist)."""
    from lambdactl.core.resources.functions import require_configuration

    if qualifier == "$LATEST":
        qualifier = None
    cfg = require_configuration(aws, function, qualifier)
    return target_from_configuration(cfg, qualifier)


def resolve(aws, spec: TriggerSpec) -> TriggerSpec:
    """Fill what needs a read-only look-up (``opts['arn']`` of event source mappings)."""
    return kind_of(spec).resolve(aws, spec)


def spec_key(target: Target, spec: TriggerSpec) -> str:
    """The identity of a resolved spec, comparable with :attr:`Trigger.key`."""
    return kind_of(spec).key(target, spec)


def ensure(aws, target: Target, spec: TriggerSpec, *, dry_run: bool = False,
           ignore_ids: set[str] = frozenset(), replace: bool = False) -> dict:
    """Make one (resolved) trigger exist; ``dry_run`` only reads and reports what would change.
    ``replace``: a mapping whose starting position differs is replaced (deploy) instead of refused."""
    return kind_of(spec).ensure(aws, target, spec, dry_run, ignore_ids=ignore_ids, replace=replace)


def add_trigger(aws, function: str, qualifier: str | None, spec: TriggerSpec, *, replace: bool = False) -> dict:
    """``trigger add``: resolve the function and the source, then add (idempotent).

    Returns the record ``{function, id, kind, source, status, permissions, changes, ...}`` where
    status is ``created``, ``updated`` or ``unchanged``.
    """
    target = resolve_target(aws, function, qualifier)
    return ensure(aws, target, resolve(aws, spec), replace=replace)


# --- listing ------------------------------------------------------------------------------------

def collect(aws, target: Target) -> list[Trigger]:
    """Everything that can invoke ``target``: each kind's live triggers, then the other permissions."""
    policy = read_policy(aws, target.name, target.qualifier)
    consumed: set[str] = set()
    out: list[Trigger] = []
    for k in REGISTRY:
        out += k.read(aws, target, policy, consumed)
    for r in policy:
        if r["statement_id"] in consumed or r["effect"] != "Allow":
            continue
        principal = r["principal"] or ""
        if not is_service_principal(principal):
            continue
        svc = principal.split(".", 1)[0]
        kind = {"events": "eventbridge"}.get(svc, svc)
        out.append(Trigger(r["statement_id"], kind, r["source_arn"] or principal, PERMISSION_ONLY, r["managed"],
                           {"principal": principal, "action": r["action"]},
                           key=f"permission:{r['statement_id']}",
                           ref={"how": "permission", "statement_id": r["statement_id"]}))
    return out


def list_triggers(aws, function: str, qualifier: str | None = None) -> list[dict]:
    """``trigger list``: records ``{id, kind, source, state, managed, details}``."""
    target = resolve_target(aws, function, qualifier)
    return [t.to_record() for t in collect(aws, target)]


# --- removal -------------------------------------------------------------------------------------

def find_trigger(triggers: list[Trigger], trigger_id: str, target: Target) -> Trigger:
    exact = [t for t in triggers if t.id == trigger_id]
    if exact:
        return exact[0]
    partial = [t for t in triggers if len(trigger_id) >= 6 and t.id.endswith(trigger_id)]
    if len(partial) == 1:
        return partial[0]
    if len(partial) > 1:
        raise UsageError(f"trigger id {trigger_id!r} is ambiguous: {', '.join(t.id for t in partial)}",
                         hint="give the whole id from 'lambdactl trigger list'")
    raise NotFoundError(f"no trigger {trigger_id!r} on {target.ref}",
                        hint=f"'lambdactl trigger list {target.ref}' shows the ids")


def remove(aws, target: Target, t: Trigger) -> dict:
    """Remove one listed trigger and the lambdactl permission that went with it (nothing else)."""
    how = t.ref.get("how")
    removed_perms: list[str] = []
    extra: dict[str, Any] = {}
    if how == "permission":
        from lambdactl.core.resources.permissions import remove_statement

        remove_statement(aws, target.name, t.ref["statement_id"], target.qualifier)
        removed_perms = [t.ref["statement_id"]]
    elif how in _BY_HOW:
        removed_perms, extra = _BY_HOW[how].remove(aws, target, t)
    rec = {"function": target.ref, "id": t.id, "kind": t.kind, "source": t.source, "status": "deleted",
           "permissions_removed": removed_perms}
    rec.update(extra)
    return rec


def remove_trigger(aws, function: str, qualifier: str | None, trigger_id: str) -> dict:
    """``trigger remove``: NotFoundError (exit 3) when no trigger has that id."""
    if not trigger_id or len(trigger_id) > 2048:
        raise UsageError("a trigger id is required", hint="see the ids with 'lambdactl trigger list'")
    target = resolve_target(aws, function, qualifier)
    t = find_trigger(collect(aws, target), trigger_id, target)
    return remove(aws, target, t)


# --- the deploy planner -----------------------------------------------------------------------------

# Which triggers ``deploy`` created from [[triggers]]: short ids of their keys, kept in a tag on the
# function. deploy removes a trigger that left the file only if it is listed here, so triggers
# added by hand with ``trigger add`` (or by other tools) are never removed by a deploy. An absent
# or empty tag also lets a project without [[triggers]] skip reading every trigger source.
DECLARED_TAG = "lambdactl:declared-triggers"


def declared_id(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()[:10]


def _declared(tags: dict | None) -> set[str]:
    return {x for x in (tags or {}).get(DECLARED_TAG, "").split(".") if x}


class _Resolved:
    """The apply-time resolution of a new function's target and specs, done once per deploy and
    shared by every trigger step and the record step (a plan for an existing function resolves
    at plan time and passes the results on instead)."""

    def __init__(self, specs: list[TriggerSpec]):
        self.specs = specs
        self.target: Target | None = None
        self._resolved: dict[int, TriggerSpec] = {}

    def get_target(self, c) -> Target:
        if self.target is None:
            cfg = c.current or c.aws.client("lambda").get_function_configuration(FunctionName=c.function_name)
            self.target = target_from_configuration(cfg)
        return self.target

    def spec(self, c, i: int) -> TriggerSpec:
        if i not in self._resolved:
            self._resolved[i] = resolve(c.aws, self.specs[i])
        return self._resolved[i]

    def keys(self, c) -> list[str]:
        target = self.get_target(c)
        return [spec_key(target, self.spec(c, i)) for i in range(len(self.specs))]


def _record_declared_step(keys: list[str] | None = None, shared: _Resolved | None = None,
                          target: Target | None = None):
    """A step that records the declared trigger ids on the function (after the trigger steps)."""
    from lambdactl.core.resources.plan import Step

    def apply(c) -> None:
        from lambdactl.aws import retry

        lam = c.aws.client("lambda")
        t = target or shared.get_target(c)
        ks = keys if keys is not None else shared.keys(c)
        value = ".".join(sorted({declared_id(k) for k in ks}))[:255]
        arn = t.arn
        if value:
            retry(lambda: lam.tag_resource(Resource=arn, Tags={DECLARED_TAG: value}))
        else:
            retry(lambda: lam.untag_resource(Resource=arn, TagKeys=[DECLARED_TAG]))

    return Step("trigger", "record", "function tags", "record the triggers declared in the project file",
                apply=apply, changes=[])


def plan_triggers(ctx) -> list:
    """Steps that make the function's triggers match ``[[triggers]]`` of the project file.

    Adds missing triggers, updates differing ones, leaves equal ones alone, and removes only
    triggers lambdactl created (``lambdactl-`` ids/rule names, the managed tag on mappings) that are
    no longer in the file. When ``ctx.current`` is None (the function is created by this deploy) it
    only plans additions, without reading AWS. Targets and sources are resolved once: at plan time
    for an existing function (the apply uses them), at apply time (once, shared) for a new one.
    """
    from lambdactl.core.resources.plan import Change, Step

    if ctx.options.get("code_only"):
        return []
    project = ctx.project
    file = str(getattr(project, "path", "lambdactl.toml"))
    specs = [normalize(t.type, dict(t.options), where=f"{file}: triggers[{i}]: ")
             for i, t in enumerate(getattr(project, "triggers", []) or [])]

    def add_step(spec: TriggerSpec, action: str, changes: list, target_ref: str, apply, *, public: bool = False,
                 url: str | None = None, replaces: str | None = None) -> Step:
        def run(c):
            r = apply(c)
            if url_goes_public(r):
                c.state.setdefault("warnings", []).append(public_url_warning(r["function"], r.get("url")))
            return r
        verb = "add" if action == "create" else "update"
        desc = f"{verb} {spec.kind} trigger {spec.label}"
        if replaces:
            desc = f"replace {spec.kind} trigger {spec.label} (a starting position cannot be changed in place)"
        detail: dict[str, Any] = {"kind": spec.kind, "function": target_ref}
        if public:      # the CLI warns, and asks on a terminal, before a deploy makes a URL public
            detail.update(public=True, url=url)
        return Step("trigger", action, f"trigger {spec.kind}", desc, apply=run, changes=changes, detail=detail)

    if ctx.current is None:
        shared = _Resolved(specs)

        def new_apply(i: int):
            return lambda c: ensure(c.aws, shared.get_target(c), shared.spec(c, i), replace=True)
        steps = [add_step(s, "create", [Change(s.kind, None, s.label)], ctx.function_name, new_apply(i),
                          public=s.kind == "url" and s.opts["auth"] == "NONE") for i, s in enumerate(specs)]
        if steps:
            steps.append(_record_declared_step(shared=shared))
        return steps
    aws = ctx.aws
    tags = ctx.state.get("tags")
    if tags is None:
        try:
            tags = aws.client("lambda").list_tags(Resource=ctx.current["FunctionArn"]).get("Tags") or {}
        except Exception:
            tags = {}
    declared = _declared(tags)
    if not specs and not declared:
        return []  # nothing declared now or before: no trigger to add or remove (no reads needed)

    target = target_from_configuration(ctx.current)
    resolved = [resolve(aws, s) for s in specs]
    desired = {spec_key(target, s) for s in resolved}
    existing = collect(aws, target)
    leaving = [t for t in existing if t.managed and t.state != PERMISSION_ONLY and t.key and t.key not in desired]
    doomed = [t for t in leaving if declared_id(t.key) in declared]
    for t in leaving:
        if t not in doomed:
            ctx.state.setdefault("warnings", []).append(
                f"{t.kind} trigger {t.id} is not in {file} but was not added by deploy (e.g. 'lambdactl trigger "
                f"add'): left alone; remove it with 'lambdactl trigger remove {t.id}'")
    steps: list[Step] = []
    for t in doomed:
        def apply(c, t=t):
            return remove(c.aws, target, t)
        steps.append(Step("trigger", "delete", f"trigger {t.id}",
                          f"remove {t.kind} trigger {t.id} ({t.source})", apply=apply,
                          changes=[Change(t.kind, t.source, None)], detail={"kind": t.kind, "id": t.id}))
    ignore = {t.id for t in doomed if t.kind == "s3"}
    for spec in resolved:
        r = kind_of(spec).plan(aws, target, spec, ignore_ids=ignore, replace=True)
        if r["status"] == "unchanged":
            continue
        action = "create" if r["status"] == "created" else "update"
        changes = [Change(c["field"], c["before"], c["after"]) for c in r["changes"]] or \
            [Change(spec.kind, None, spec.label)]
        steps.append(add_step(spec, action, changes, target.ref,
                              lambda c, spec=spec: kind_of(spec).apply(c.aws, target, spec, replace=True),
                              public=url_goes_public(r), url=r.get("url"), replaces=r.get("replaces")))
    if steps:
        steps.append(_record_declared_step(keys=sorted(desired), target=target))
    return steps

