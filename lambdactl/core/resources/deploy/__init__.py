"""Create, update and ``deploy``: make AWS match the desired state, planning first.

``plan_deploy(...)`` builds the package (locally, before any AWS call), reads the function once
(``GetFunction``: configuration + tags + code location) and asks each planner of :data:`PLANNERS`,
in order, for its :class:`~lambdactl.core.resources.plan.Step` list. ``run_deploy(plan)`` executes the steps
with the :class:`~lambdactl.core.resources.plan.Executor`. ``--dry-run`` and ``diff`` print the steps instead.

Order (it never conflicts): role → code (create or update, then wait until ``LastUpdateStatus`` is
Successful) → configuration (then wait) → tags → publish → aliases, triggers, concurrency, async
(planners from other modules, imported lazily when a deploy plans).

The desired state is a :class:`FunctionSpec`. From the project file every field is set
(declarative: ``deploy`` makes the function equal to the file); the imperative commands
(``create``/``update``/``config``) set only what they were given (``None`` = leave as it is) and
``config --env`` merges variables instead of replacing the map.

Plan-time facts other planners may read from ``ctx.state``:

- ``planned``: the steps planned so far (a list, in order);
- ``role_arn``: the execution role ARN (``None`` while the auto role is still to be created);
- ``tags``/``code``: the function's tags and code location from ``GetFunction``;
- ``published_version``: known at plan time when ``--publish`` found ``$LATEST`` identical to the
  newest version (reused, no publish step); otherwise set by the publish step when it runs;
- the ``deploy --alias NAME [--canary PCT]`` options are in ``ctx.options["alias"]`` and
  ``ctx.options["canary"]`` (a percentage, 0 < PCT <= 100); ``lambdactl.core.resources.aliasplan.plan_aliases``
  handles them.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from lambdactl.aws import AwsSession
from lambdactl.config import ProjectConfig
from lambdactl.core.resources.deploy.artifacts import build_code
from lambdactl.core.resources.deploy.function import (plan_code, plan_configuration, plan_publish, plan_role,
                                                      read_function)
from lambdactl.core.resources.deploy.spec import FunctionSpec, runtime_warnings, spec_from_project
from lambdactl.core.resources.plan import DeployContext, Executor, Step
from lambdactl.errors import NotFoundError, UsageError

# (area, planner or (module, attr) imported when a deploy plans); the order is the deploy order.
PLANNERS: list[tuple[str, Any]] = [
    ("layers", ("lambdactl.core.resources.layers", "plan_layer_builds")),
    ("role", plan_role),
    ("code", plan_code),
    ("configuration", plan_configuration),
    ("publish", plan_publish),
    ("aliases", ("lambdactl.core.resources.aliasplan", "plan_aliases")),
    ("triggers", ("lambdactl.core.resources.triggers", "plan_triggers")),
    ("concurrency", ("lambdactl.core.resources.concurrency", "plan_concurrency")),
    ("async", ("lambdactl.core.resources.asyncconfig", "plan_async")),
]
CODE_ONLY_AREAS = {"role", "code", "publish", "aliases"}
FUNCTION_AREAS = {"role", "code", "configuration", "publish"}    # the function itself (this module)
ALL_AREAS = tuple(p[0] for p in PLANNERS)


def live_areas(areas: set[str], project: ProjectConfig | None = None, *, publish: bool = False,
               alias: str | None = None, code_only: bool = False):
    """What plan_deploy reads of the live function, for the planners that take it from the one
    read: always the function (GetFunction); its versions when publishing (plan_publish); versions
    and aliases when the project has [[aliases]] or deploy --alias (plan_aliases); reserved
    and provisioned concurrency when the project has [concurrency] (plan_concurrency); the event
    invoke config when it has [function.async] (plan_async)."""
    from lambdactl.core.model import Areas

    out = Areas.FUNCTION
    if publish and "publish" in areas:
        out |= Areas.VERSIONS
    if "aliases" in areas and (alias or getattr(project, "aliases", None)):
        out |= Areas.VERSIONS | Areas.ALIASES
    if "concurrency" in areas and not code_only and getattr(project, "concurrency", None) is not None:
        out |= Areas.CONCURRENCY
    if "async" in areas and not code_only and project is not None and project.function.async_ is not None:
        out |= Areas.ASYNC
    return out


def planners(areas: set[str] | None = None) -> list[tuple[str, Callable[[DeployContext], list[Step]]]]:
    """The planners to run, in order (those of other modules imported here)."""
    out = []
    for area, p in PLANNERS:
        if areas is not None and area not in areas:
            continue
        if isinstance(p, tuple):
            p = getattr(importlib.import_module(p[0]), p[1])
        out.append((area, p))
    return out


# --- plan and run -----------------------------------------------------------------------------

@dataclass
class DeployPlan:
    ctx: DeployContext
    steps: list[Step]
    warnings: list[str] = field(default_factory=list)
    package: Any = None

    @property
    def function(self) -> str:
        return self.ctx.function_name

    @property
    def changes_pending(self) -> bool:
        return bool(self.steps)

    def to_dict(self) -> dict:
        d = {"function": self.function, "dry_run": True, "changes_pending": self.changes_pending,
             "exists": self.ctx.current is not None,
             "steps": [s.to_dict() for s in self.steps]}
        if self.package is not None:
            d["package"] = self.package.to_dict()
        if self.ctx.state.get("published_version"):
            d["published_version"] = self.ctx.state["published_version"]
        if self.warnings:
            d["warnings"] = list(self.warnings)
        return d


def plan_deploy(aws: AwsSession, project: ProjectConfig | None = None, *, spec: FunctionSpec | None = None,
                package: Any = None, publish: bool = False, alias: str | None = None,
                canary: float | None = None, code_only: bool = False, config_only: bool = False,
                areas: set[str] | None = None, show_secrets: bool = False,
                version_description: str | None = None, build: bool = True,
                build_options: dict | None = None,
                function: dict | None = None, missing_hint: str | None = None) -> DeployPlan:
    """Compute the deploy plan: local checks and packaging first, then read-only AWS calls.

    ``function`` may carry a ``GetFunction`` response already read by the caller.
    """
    if spec is None:
        if project is None:
            raise UsageError("nothing to deploy: no project file and no function spec")
        spec = spec_from_project(project)
    warnings = runtime_warnings(spec.runtime) if project is not None else []
    if alias and not publish:
        publish = True                                  # an alias needs a published version
    if areas is None:
        if code_only:
            areas = set(CODE_ONLY_AREAS)
        elif config_only:
            areas = set(ALL_AREAS) - {"code"}
        else:
            areas = set(ALL_AREAS)
    if package is None and build and "code" in areas and spec.package_type == "Zip":
        package = build_code(spec, **(build_options or {}))   # local: before any AWS call
    ctx = DeployContext(aws=aws, project=project, function_name=spec.name, current=None,
                        options={"spec": spec, "package": package, "publish": publish, "alias": alias,
                                 "canary": canary, "code_only": code_only, "config_only": config_only,
                                 "show_secrets": show_secrets, "version_description": version_description})
    got = function if function is not None else read_function(aws, spec.name)
    if got is not None:
        from lambdactl.core.resources.reader import read_function as read_state

        ctx.current = got.get("Configuration")
        ctx.state["tags"] = got.get("Tags") or {}
        ctx.state["code"] = got.get("Code") or {}
        # The live state, read once (the GetFunction above is reused): only the areas a planner here
        # takes from it, so a no-op deploy of a plain function stays at that one call.
        ctx.state["live"] = read_state(aws, spec.name, live_areas(areas, project, publish=publish, alias=alias,
                                                                  code_only=code_only), function=got)
    elif config_only:
        raise NotFoundError(f"function not found: {spec.name}",
                            hint=missing_hint or "run 'lambdactl deploy' without --config-only to create it")
    steps: list[Step] = []
    ctx.state["planned"] = steps
    for _area, planner in planners(areas):
        steps.extend(planner(ctx) or [])
    warnings += ctx.state.pop("warnings", [])
    return DeployPlan(ctx, steps, warnings, package)


def run_deploy(plan: DeployPlan, on_event: Callable[[str, Step], None] | None = None) -> dict:
    """Execute the plan's steps in order; return the result record."""
    ctx = plan.ctx
    Executor(on_event).run(ctx, plan.steps)
    return deploy_result(plan)


def deploy_result(plan: DeployPlan) -> dict:
    ctx = plan.ctx
    if not plan.steps:
        status = "unchanged"
    elif ctx.state.get("created"):
        status = "created"
    else:
        status = "updated"
    cur = ctx.current or {}
    return {
        "function": plan.function,
        "status": status,
        "arn": cur.get("FunctionArn"),
        "code_sha256": ctx.state.get("code_sha256") or cur.get("CodeSha256"),
        "published_version": ctx.state.get("published_version"),
        "uploaded_bytes": ctx.state.get("uploaded_bytes", 0),
        "steps": [s.to_dict() for s in plan.steps],
    }
