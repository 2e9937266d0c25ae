"""What every trigger kind shares: the target function, a listed trigger, and the kind interface.

A kind (one module beside this one) is a :class:`TriggerKind`: it knows how to resolve its spec
(read-only look-ups), name it (:meth:`~TriggerKind.key`), plan it (a dry run that reads AWS and
reports created / updated / unchanged), apply it (the same, making the change), read what is live
(:meth:`~TriggerKind.read`, as ``trigger list`` shows it) and remove it.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from lambdactl.core.model.triggerspec import TriggerSpec

MANAGED_TAG = "lambdactl:managed"
MANAGED_DESCRIPTION = "lambdactl:"
PERMISSION_ONLY = "permission only"


@dataclass
class Target:
    """The function (and optional qualifier) a trigger invokes."""

    name: str
    qualifier: str | None
    arn: str                       # qualified when a qualifier is given
    role: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.name}:{self.qualifier}" if self.qualifier else self.name


@dataclass
class Trigger:
    """One thing that can invoke the function, as ``trigger list`` shows it."""

    id: str
    kind: str
    source: str
    state: str
    managed: bool = False
    details: dict = field(default_factory=dict)
    key: str = ""                                   # identity shared with TriggerSpec (deploy planner)
    ref: dict = field(default_factory=dict)         # what removal needs

    def to_record(self) -> dict:
        return {"id": self.id, "kind": self.kind, "source": self.source, "state": self.state,
                "managed": self.managed, "details": self.details}


def _h(data: Any, n: int = 12) -> str:
    return hashlib.sha1(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:n]


class TriggerKind:
    """One source kind (or a family sharing one AWS mechanism, e.g. schedule + eventbridge rules).

    Subclasses set :attr:`kinds` (the spec kinds they handle) and :attr:`how` (the ``Trigger.ref``
    tag of what :meth:`read` lists) and implement the methods below. The spec validation is pure and
    lives in :mod:`lambdactl.core.model.triggerspec` (the project file uses it too).
    """

    kinds: tuple[str, ...] = ()
    how: str = ""

    def resolve(self, aws, spec: TriggerSpec) -> TriggerSpec:
        """Fill what needs a read-only look-up (queue URL -> ARN, table -> stream ARN)."""
        return spec

    def key(self, target: Target, spec: TriggerSpec) -> str:
        """The identity of a resolved spec, comparable with :attr:`Trigger.key`."""
        raise NotImplementedError

    def ensure(self, aws, target: Target, spec: TriggerSpec, dry_run: bool, *,
               ignore_ids: set[str] = frozenset(), replace: bool = False) -> dict:
        """Read AWS, decide created / updated / unchanged and, unless ``dry_run``, make the change."""
        raise NotImplementedError

    def plan(self, aws, target: Target, spec: TriggerSpec, **kw) -> dict:
        """What :meth:`apply` would do (read-only): the record with ``status`` and ``changes``."""
        return self.ensure(aws, target, spec, True, **kw)

    def apply(self, aws, target: Target, spec: TriggerSpec, **kw) -> dict:
        return self.ensure(aws, target, spec, False, **kw)

    def read(self, aws, target: Target, policy: list[dict], consumed: set[str]) -> list[Trigger]:
        """The live triggers of this kind on ``target``; adds the statement ids they explain to
        ``consumed`` (the rest of the policy is listed as permission-only triggers)."""
        raise NotImplementedError

    def remove(self, aws, target: Target, t: Trigger) -> tuple[list[str], dict]:
        """Remove one listed trigger and its lambdactl permission: (statement ids removed, extra)."""
        raise NotImplementedError


def json_or_text(text: Any) -> Any:
    """A JSON document AWS returns as a string, parsed (the text itself when it is not JSON)."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def snake(d: dict | None, keys: dict[str, str]) -> dict | None:
    """``d`` with AWS's keys renamed to the model's (``keys``: old -> new); None when empty."""
    if not d:
        return None
    out = {new: d[old] for old, new in keys.items() if d.get(old) is not None}
    return out or None


def target_from_configuration(cfg: dict, qualifier: str | None = None) -> Target:
    name = cfg["FunctionName"]
    arn = cfg["FunctionArn"]
    base = arn.split(":function:", 1)[0] + ":function:" + name
    return Target(name=name, qualifier=qualifier, arn=f"{base}:{qualifier}" if qualifier else base,
                  role=cfg.get("Role"))


def _result(target: Target, kind: str, tid: str, source: str, status: str, permissions: list[dict],
            changes: list[tuple] | None = None, **extra) -> dict:
    rec = {"function": target.ref, "id": tid, "kind": kind, "source": source, "status": status}
    rec.update(extra)
    rec["permissions"] = permissions
    rec["changes"] = [{"field": f, "before": b, "after": a} for f, b, a in (changes or [])]
    return rec


def _bump(status: str, perm: dict, changes: list, what: str = "permission") -> str:
    if perm["status"] == "created":
        changes.append((what, None, perm["statement_id"]))
        return "updated" if status == "unchanged" else status
    return status
