"""The interactive ``lambdactl init`` wizard (questionary; imported only when it runs on a TTY).

Values already given as flags are not asked again. Every answer is validated with the same rules
as the flags (``lambdactl.core.scaffold``). Ctrl-C raises KeyboardInterrupt (exit 130 upstream).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from lambdactl.core import scaffold as sc


def _validator(problem_fn):
    def validate(text: str) -> Any:
        problem = problem_fn(text.strip())
        return True if problem is None else problem
    return validate


def run(directory: Path, given: dict[str, Any], *, default_name: str | None = None,
        confirm: bool = True, conflicts_for=None) -> sc.ProjectSpec | None:
    """Ask for every value not in ``given`` (keys: name, runtime, architecture, memory, timeout,
    template, trigger (a Trigger), role). Returns the spec, or None when the user declines to write.

    ``conflicts_for(template)`` returns the files that would be overwritten (shown in the summary).
    """
    import questionary
    from questionary import Choice

    from lambdactl.core.roles import auto_role_name

    def ask(question):
        return question.unsafe_ask()

    name = given.get("name")
    if name is None:
        name = ask(questionary.text(
            "Function name:", default=default_name or "",
            validate=_validator(sc.name_problem),
            instruction="(letters, digits, - and _)")).strip()

    runtime = given.get("runtime")
    if runtime is None:
        runtime = ask(questionary.select(
            "Runtime:", choices=sc.python_runtimes(), default=sc.default_runtime()))

    arch = given.get("architecture")
    if arch is None:
        arch = ask(questionary.select("Architecture:", choices=[
            Choice(f"arm64   (recommended: {sc.ARCH_REASON})", value="arm64"),
            Choice("x86_64  (only if you need x86-only native packages)", value="x86_64"),
        ], default="arm64"))

    memory = given.get("memory")
    if memory is None:
        memory = int(ask(questionary.text(
            "Memory (MB):", default=str(sc.DEFAULT_MEMORY), validate=_validator(sc.memory_problem),
            instruction=f"({sc.MEMORY_RANGE[0]}..{sc.MEMORY_RANGE[1]}; CPU grows with memory)")).strip())

    timeout = given.get("timeout")
    if timeout is None:
        timeout = int(ask(questionary.text(
            "Timeout (seconds):", default=str(sc.DEFAULT_TIMEOUT), validate=_validator(sc.timeout_problem),
            instruction=f"({sc.TIMEOUT_RANGE[0]}..{sc.TIMEOUT_RANGE[1]})")).strip())

    template = given.get("template")
    if template is None:
        template = ask(questionary.select("Template:", choices=[
            Choice(f"{key:<9} {t.title}", value=key) for key, t in sc.TEMPLATES.items()
        ], default=sc.DEFAULT_TEMPLATE))

    trigger = given.get("trigger")
    if trigger is None:
        trigger = _ask_trigger(questionary, Choice, ask, template)

    role = given.get("role")
    if role is None:
        auto = ask(questionary.confirm(
            f"Create an IAM role automatically on first deploy ({auto_role_name(name)}, logging only)?",
            default=True))
        role = "" if auto else ask(questionary.text(
            "Role ARN:", validate=_validator(lambda r: sc.role_problem(r) if r else "a role ARN is required"),
            instruction="(arn:aws:iam::<account>:role/<name>)")).strip()

    spec = sc.validate_spec(sc.ProjectSpec(
        name=name, runtime=runtime, architecture=arch, memory=int(memory), timeout=int(timeout),
        template=template, trigger=trigger, role=role))

    files = sc.planned_paths(spec.template) + [".gitignore"]
    overwrite = conflicts_for(spec.template) if conflicts_for else []
    err = sys.stderr
    err.write("\nSummary\n")
    rows = spec.summary()
    width = max(len(k) for k in rows)
    for k, v in rows.items():
        err.write(f"  {k:<{width}}  {v}\n")
    err.write(f"  {'directory':<{width}}  {directory}\n")
    err.write(f"  {'files':<{width}}  {', '.join(files)}\n")
    if overwrite:
        err.write(f"  {'overwrites':<{width}}  {', '.join(overwrite)}\n")
    err.flush()
    if confirm and not ask(questionary.confirm(f"Write the project to {directory}?", default=True)):
        return None
    return spec


def _ask_trigger(questionary, Choice, ask, template: str) -> sc.Trigger:
    natural = sc.TEMPLATES[template].trigger
    order = [natural] + [k for k in sc.TRIGGER_KINDS if k != natural]
    kind = ask(questionary.select("Trigger to wire on first deploy:", choices=[
        Choice(sc.TRIGGER_KINDS[k] + ("   <- fits this template" if k == natural and k != "none" else ""), value=k)
        for k in order], default=natural))
    value = ""
    if kind == "schedule":
        value = ask(questionary.text("Schedule expression:", default=sc.DEFAULT_SCHEDULE,
                                     validate=_validator(sc.schedule_problem),
                                     instruction="(rate(5 minutes), cron(0 12 * * ? *))")).strip()
    elif kind == "s3":
        value = ask(questionary.text("Bucket name:", validate=_validator(sc.bucket_problem),
                                     instruction="(empty: fill it in later in lambdactl.toml)")).strip()
    elif kind == "sqs":
        value = ask(questionary.text("Queue ARN or URL:", validate=_validator(sc.queue_problem),
                                     instruction="(empty: fill it in later in lambdactl.toml)")).strip()
    elif kind == "url":
        value = ask(questionary.select("Function URL auth:", choices=[
            Choice("AWS_IAM  (signed requests only)", value="AWS_IAM"),
            Choice("NONE     (public: anyone with the URL can call it)", value="NONE"),
        ], default="AWS_IAM"))
    return sc.check_trigger(sc.Trigger(kind, value))
