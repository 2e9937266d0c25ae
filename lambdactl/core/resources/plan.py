"""Plan, then execute (after chalice's planner/executor).

A *planner* compares desired state (the project file) with what AWS has and returns
:class:`Step` objects; the :class:`Executor` runs them in order. ``deploy --dry-run`` and
``diff`` print the same steps without running them.

Planner contract (every area plugs in the same way)::

    def plan_<area>(ctx: DeployContext) -> list[Step]

- read AWS state through ``ctx.aws`` (read-only calls only!),
- ``ctx.current`` is the function's configuration, or None when the function will be created,
- return [] when nothing differs,
- each Step's ``apply(ctx)`` does the mutating work; it may read/write ``ctx.state``
  (e.g. ``ctx.state["published_version"]`` is set by the publish step, read by alias steps),
- values shown in ``changes`` must already be masked (use ``secrets.mask_env``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from lambdactl.errors import Interrupted, LambdactlError, OperationError


@dataclass
class Change:
    field: str
    before: Any
    after: Any

    def to_dict(self) -> dict:
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass
class Step:
    area: str                     # code | configuration | role | publish | alias | trigger | concurrency | async | ...
    action: str                   # create | update | delete | publish | upload | ...
    target: str                   # what it acts on, e.g. "function orders-api", "alias live"
    description: str
    apply: Callable[["DeployContext"], Any] | None = None
    changes: list[Change] = field(default_factory=list)
    status: str = "planned"       # planned | done | failed | skipped
    elapsed: float | None = None
    detail: dict = field(default_factory=dict)   # extra data for -o json (sizes, sha, ...)

    def to_dict(self) -> dict:
        d = {"area": self.area, "action": self.action, "target": self.target,
             "description": self.description, "changes": [c.to_dict() for c in self.changes],
             "status": self.status}
        if self.elapsed is not None:
            d["elapsed_s"] = round(self.elapsed, 3)
        if self.detail:
            d.update(self.detail)
        return d


@dataclass
class DeployContext:
    aws: Any                      # lambdactl.aws.AwsSession
    project: Any                  # lambdactl.config.ProjectConfig
    function_name: str
    current: dict | None = None   # GetFunctionConfiguration of $LATEST, None if missing
    options: dict = field(default_factory=dict)   # publish, alias, canary, code_only, config_only...
    state: dict = field(default_factory=dict)     # shared between steps at execution time


class Executor:
    """Runs steps in order; on failure reports which steps were applied and which were not."""

    def __init__(self, on_event: Callable[[str, Step], None] | None = None):
        self.on_event = on_event or (lambda ev, step: None)

    def run(self, ctx: DeployContext, steps: list[Step]) -> list[Step]:
        for i, step in enumerate(steps):
            t0 = time.monotonic()
            try:
                self.on_event("start", step)
                if step.apply is not None:
                    step.apply(ctx)
                step.status = "done"
            except BaseException as exc:
                step.status = "failed"
                step.elapsed = time.monotonic() - t0
                self.on_event("failed", step)
                applied = [s.description for s in steps[:i] if s.status == "done"]
                not_applied = [s.description for s in steps[i + 1:]]
                from lambdactl.errors import translate

                if isinstance(exc, KeyboardInterrupt):
                    err: LambdactlError = Interrupted(f"interrupted during: {step.description}")
                else:
                    err = translate(exc) or OperationError(f"{type(exc).__name__}: {exc}")
                    err = type(err)(f"step failed: {step.description}: {err.message}", err.hint,
                                    exit_code=err.exit_code)
                err.applied = applied
                err.not_applied = [step.description + " (failed)"] + not_applied
                raise err from exc
            step.elapsed = time.monotonic() - t0
            self.on_event("done", step)
        return steps
