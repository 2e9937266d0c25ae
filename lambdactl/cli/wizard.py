"""The interactive ``lambdactl init`` wizard (questionary; imported only when it runs on a TTY).

Values already given as flags are not asked again. Every answer is validated with the same rules
as the flags (``lambdactl.core.model.scaffold``). A default is shown greyed in the empty answer: typing
replaces it, Enter alone takes it. Ctrl-C raises KeyboardInterrupt (exit 130 upstream).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from lambdactl.core.model import scaffold as sc


def _validator(problem_fn, default: str = ""):
    def validate(text: str) -> Any:
        problem = problem_fn(text.strip() or default)
        return True if problem is None else problem
    return validate


def _text(questionary, ask, message: str, *, default: str = "", problem=None, instruction: str | None = None) -> str:
    """A text prompt whose ``default`` is shown greyed in the empty answer (a placeholder): typing
    replaces it, Enter alone takes it. (questionary's ``default=`` would pre-fill the answer, so that
    typing appended to it.)"""
    kwargs: dict[str, Any] = {}
    if default:
        kwargs["placeholder"] = [("fg:ansibrightblack", default)]
    if problem is not None:
        kwargs["validate"] = _validator(problem, default)
    return ask(questionary.text(message, instruction=instruction, **kwargs)).strip() or default


def run(directory: Path, given: dict[str, Any], *, default_name: str | None = None,
        confirm: bool = True, conflicts_for=None) -> sc.ProjectSpec | None:
    """Ask for every value not in ``given`` (keys: name, runtime, architecture, memory, timeout,
    template, trigger (a Trigger), role). Returns the spec, or None when the user declines to write.

    ``conflicts_for(template)`` returns the files that would be overwritten (shown in the summary).
    """
    import questionary
    from questionary import Choice

    from lambdactl.core.model.naming import auto_role_name

    def ask(question):
        return question.unsafe_ask()

    name = given.get("name")
    if name is None:
        name = _text(questionary, ask, "Function name:", default=default_name or "", problem=sc.name_problem,
                     instruction="(letters, digits, - and _)")

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
        memory = int(_text(questionary, ask, "Memory (MB):", default=str(sc.DEFAULT_MEMORY),
                           problem=sc.memory_problem,
                           instruction=f"({sc.MEMORY_RANGE[0]}..{sc.MEMORY_RANGE[1]}; CPU grows with memory)"))

    timeout = given.get("timeout")
    if timeout is None:
        timeout = int(_text(questionary, ask, "Timeout (seconds):", default=str(sc.DEFAULT_TIMEOUT),
                            problem=sc.timeout_problem, instruction=f"({sc.TIMEOUT_RANGE[0]}..{sc.TIMEOUT_RANGE[1]})"))

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
        role = "" if auto else _text(questionary, ask, "Role ARN:",
                                     problem=lambda r: sc.role_problem(r) if r else "a role ARN is required",
                                     instruction="(arn:aws:iam::<account>:role/<name>)")

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
        value = _text(questionary, ask, "Schedule expression:", default=sc.DEFAULT_SCHEDULE,
                      problem=sc.schedule_problem, instruction="(rate(5 minutes), cron(0 12 * * ? *))")
    elif kind == "s3":
        value = _text(questionary, ask, "Bucket name:", problem=sc.bucket_problem,
                      instruction="(empty: fill it in later in lambdactl.toml)")
    elif kind == "sqs":
        value = _text(questionary, ask, "Queue ARN or URL:", problem=sc.queue_problem,
                      instruction="(empty: fill it in later in lambdactl.toml)")
    elif kind == "url":
        value = ask(questionary.select("Function URL auth:", choices=[
            Choice("AWS_IAM  (signed requests only)", value="AWS_IAM"),
            Choice("NONE     (public: anyone with the URL can call it)", value="NONE"),
        ], default="AWS_IAM"))
    return sc.check_trigger(sc.Trigger(kind, value))
