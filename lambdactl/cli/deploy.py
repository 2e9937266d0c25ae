"""deploy, diff, create, update, config: make AWS match the project file (or the flags)."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any, List, Optional

import typer

from lambdactl.cli.common import FunctionArg, RequiredFunctionArg, aws, parse_kv, project, resolve_function
from lambdactl.errors import ChangesPending, UsageError
from lambdactl.output import emit, human_bytes, info, style, warn
from lambdactl.settings import current

SYMBOLS = {"create": "+", "delete": "-", "publish": "+", "upload": "~", "update": "~"}


# --- rendering -----------------------------------------------------------------------------

def _fmt(v: Any) -> str:
    if v is None:
        return "(none)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        if not v:
            return "{}"
        return ", ".join(f"{k}={_fmt(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]" if v else "[]"
    return str(v)


def _signed_bytes(n: int | None) -> str:
    if n is None:
        return ""
    return ("+" if n >= 0 else "-") + human_bytes(abs(n))


def _change_lines(step) -> list[tuple[str, str, str]]:
    rows = []
    for ch in step.changes:
        before, after = ch.before, ch.after
        if ch.field == "code_size":
            delta = step.detail.get("size_delta")
            rows.append((ch.field, human_bytes(before) if before is not None else "(none)",
                         human_bytes(after) + (f" ({_signed_bytes(delta)})" if delta is not None else "")))
            continue
        rows.append((ch.field, _fmt(before), _fmt(after)))
    return rows


def render_plan(plan, *, title: str = "plan") -> None:
    """The plan as data: json (one document), text (TSV rows), or a readable before → after list."""
    s = current()
    fmt = s.output_format
    if fmt == "json":
        emit(plan.to_dict())
        return
    out = sys.stdout
    if fmt == "text":
        for step in plan.steps:
            rows = _change_lines(step) or [("", "", "")]
            for f, b, a in rows:
                out.write("\t".join([step.area, step.action, step.target, f, b, a]) + "\n")
        return
    n = len(plan.steps)
    if not n:
        out.write(f"{plan.function}: {style('unchanged', 'dim', s)} (no changes)\n")
        return
    out.write(f"{title} for {plan.function}: {n} step{'s' if n != 1 else ''}\n")
    for step in plan.steps:
        sym = SYMBOLS.get(step.action, "~")
        color = "green" if sym == "+" else ("red" if sym == "-" else "yellow")
        out.write(f"{style(sym, color, s)} {step.description}\n")
        rows = _change_lines(step)
        width = max((len(r[0]) for r in rows), default=0)
        for f, b, a in rows:
            out.write(f"    {f:<{width}}  {b} → {a}\n")
        route = step.detail.get("upload")
        if route and route not in ("direct", "image"):
            out.write(f"    (zip over the direct-upload limit: uploaded via {route})\n")


def render_diff(plan) -> None:
    """``diff``: the plan as a unified-diff-like view (AWS → project file)."""
    s = current()
    fmt = s.output_format
    if fmt in ("json", "text"):
        render_plan(plan)
        return
    out = sys.stdout
    if not plan.steps:
        out.write(f"{plan.function}: {style('unchanged', 'dim', s)} (AWS matches the project file)\n")
        return
    out.write(style(f"--- {plan.function} (AWS)", "red", s) + "\n")
    out.write(style(f"+++ {plan.function} (project file)", "green", s) + "\n")
    for step in plan.steps:
        out.write(style(f"@@ {step.area}: {step.description} @@", "cyan", s) + "\n")
        rows = _change_lines(step)
        width = max((len(r[0]) for r in rows), default=0)
        for f, b, a in rows:
            if b != "(none)":
                out.write(style(f"-{f:<{width}}  {b}", "red", s) + "\n")
            if a != "(none)":
                out.write(style(f"+{f:<{width}}  {a}", "green", s) + "\n")
        if step.area == "code" and step.detail.get("sha256_after"):
            d = step.detail
            out.write(f" sha256: {d.get('sha256_before') or '(none)'} → {d['sha256_after']}\n")
            if d.get("size_after") is not None:
                out.write(f" size:   {human_bytes(d['size_before']) if d.get('size_before') is not None else '(none)'}"
                          f" → {human_bytes(d['size_after'])} ({_signed_bytes(d.get('size_delta'))})\n")
    n = len(plan.steps)
    out.write(f"{n} step{'s' if n != 1 else ''} pending\n")


def emit_result(result: dict) -> None:
    s = current()
    if s.output_format == "json":
        emit(result)
        return
    changes = []
    for st in result["steps"]:
        if not st["changes"]:
            changes.append({"step": st["description"], "field": "", "before": "", "after": ""})
        for ch in st["changes"]:
            changes.append({"step": st["area"], "field": ch["field"], "before": _fmt(ch["before"]),
                            "after": _fmt(ch["after"])})
    rec = {"function": result["function"], "status": result["status"]}
    if result.get("published_version"):
        rec["published_version"] = result["published_version"]
    rec["code_sha256"] = result.get("code_sha256")
    if result.get("uploaded_bytes"):
        rec["uploaded"] = human_bytes(result["uploaded_bytes"])
    if changes and s.output_format != "text":
        rec["changes"] = changes
    emit(rec, quiet_field="status")


class Progress:
    """Step progress on stderr: a live table on a TTY (rich), a plain step log otherwise."""

    def __init__(self, steps: list) -> None:
        self.steps = steps
        self.s = current()
        self.index = {id(st): i for i, st in enumerate(steps, 1)}
        self.started: dict[int, float] = {}
        self.live = None
        if self.s.quiet:
            self.mode = "quiet"
        elif _stderr_tty() and not self.s.no_color:
            self.mode = "live"
        else:
            self.mode = "plain"

    def __enter__(self) -> "Progress":
        if self.mode == "live":
            try:
                from rich.console import Console
                from rich.live import Live

                self.live = Live(self, console=Console(stderr=True), refresh_per_second=8, transient=False)
                self.live.start()
            except Exception:  # pragma: no cover - fall back to the plain log
                self.mode = "plain"
        return self

    def __exit__(self, *exc) -> None:
        if self.live is not None:
            self.live.refresh()
            self.live.stop()

    def __rich__(self):
        from rich.table import Table

        t = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        t.add_column("#", justify="right")
        t.add_column("step")
        t.add_column("status")
        t.add_column("elapsed", justify="right")
        colors = {"done": "green", "failed": "red", "running": "yellow", "planned": "dim"}
        for i, st in enumerate(self.steps, 1):
            status = st.status
            if status == "planned" and id(st) in self.started:
                status = "running"
            if st.elapsed is not None:
                el = f"{st.elapsed:.1f}s"
            elif id(st) in self.started:
                el = f"{time.monotonic() - self.started[id(st)]:.1f}s"
            else:
                el = ""
            t.add_row(str(i), st.description, f"[{colors.get(status, 'white')}]{status}[/]", el)
        return t

    def __call__(self, event: str, step) -> None:
        if event == "start":
            self.started[id(step)] = time.monotonic()
        if self.mode == "live" and self.live is not None:
            self.live.refresh()
            return
        if self.mode != "plain":
            return
        i, n = self.index.get(id(step), 0), len(self.steps)
        if event == "start":
            info(f"[{i}/{n}] {step.description} ...", self.s)
        elif event == "done":
            info(f"[{i}/{n}] done ({step.elapsed or 0:.1f}s)", self.s)
        elif event == "failed":
            info(f"[{i}/{n}] failed ({step.elapsed or 0:.1f}s)", self.s)


def _stderr_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (ValueError, AttributeError):
        return False


def _execute(plan) -> dict:
    from lambdactl.core.resources.deploy import deploy_result, run_deploy

    s = current()
    if not plan.steps:
        info(f"{plan.function}: unchanged", s)
        result = deploy_result(plan)
        emit_result(result)
        return result
    with Progress(plan.steps) as progress:
        result = run_deploy(plan, progress)
    _warn_all(plan.ctx.state.pop("warnings", []))
    _warn_all(_destination_warnings(plan))
    extra = f", version {result['published_version']}" if result.get("published_version") else ""
    info(f"{plan.function}: {result['status']}{extra}", s)
    emit_result(result)
    return result


def _destination_warnings(plan) -> list[str]:
    """When a deploy changed a DLQ or async destination, name actions the role lacks for it."""
    from lambdactl.core.resources.asyncconfig import role_warnings

    targets = []
    for step in plan.steps:
        for c in step.changes:
            if c.field in ("dead_letter", "async.on_success", "async.on_failure") and isinstance(c.after, str) and c.after:
                targets.append(c.after)
    if not targets:
        return []
    try:
        return role_warnings(plan.ctx.aws, plan.function, targets)
    except Exception:  # hints only: never fail a finished deploy because of them
        return []


def _warn_all(warnings: list[str]) -> None:
    for w in warnings:
        warn(w)


def _package_note(package) -> None:
    """The one-line note naming credential files the package build left out."""
    from lambdactl.core.build.packaging import withheld_note

    note = withheld_note(package)
    if note:
        info(note)


def _split(values: Optional[List[str]]) -> Optional[list[str]]:
    """Repeated and/or comma-separated values; ``None`` when the option was not given."""
    if values is None:
        return None
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


# --- commands ------------------------------------------------------------------------------

def deploy(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan (secrets masked); change nothing.")] = False,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="With the plan: exit 5 when changes are pending, 0 when none (implies --dry-run).")] = False,
    publish: Annotated[bool, typer.Option("--publish", help="Publish a version after updating (reuses the newest one when identical).")] = False,
    alias: Annotated[Optional[str], typer.Option("--alias", metavar="NAME", help="Point this alias at the published version (implies --publish).")] = None,
    canary: Annotated[Optional[str], typer.Option("--canary", metavar="PCT", help="With --alias: route only PCT% of the alias to the new version.")] = None,
    code_only: Annotated[bool, typer.Option("--code-only", help="Only the code (and publish/alias).")] = False,
    config_only: Annotated[bool, typer.Option("--config-only", help="Everything but the code.")] = False,
    description: Annotated[Optional[str], typer.Option("--description", metavar="TEXT", help="Description of the published version.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Build the package ignoring the dependency and entry caches.")] = False,
    no_check: Annotated[bool, typer.Option("--no-check", help="Skip the syntax check of the source's .py files.")] = False,
    include: Annotated[Optional[List[str]], typer.Option("--include", metavar="PATTERN", help="Ship files matching PATTERN even when an exclude or the credential guard leaves them out (repeatable).")] = None,
) -> None:
    """Make AWS match lambdactl.toml: create or update the function, then the rest.

    Order: role → code (uploaded only when its SHA-256 differs) → wait → configuration → wait →
    publish → alias → aliases, triggers, concurrency, async. A re-run with nothing to change makes
    no mutating call and says "unchanged".

    Examples:

      lambdactl deploy

      lambdactl deploy --dry-run

      lambdactl deploy --dry-run --exit-code    # CI gate: 5 = changes pending

      lambdactl deploy --publish --alias live --canary 10

      lambdactl deploy --code-only -o json
    """
    from lambdactl.core.resources.deploy import plan_deploy
    from lambdactl.core.resources.deploy.spec import validate_deploy_options

    s = current()
    pct = validate_deploy_options(code_only=code_only, config_only=config_only, alias=alias, canary=canary)
    if description is not None and len(description) > 256:
        raise UsageError(f"--description is {len(description)} characters", hint="at most 256")
    proj = project(required=True)
    plan = plan_deploy(aws(), proj, publish=publish, alias=alias, canary=pct,
                       code_only=code_only, config_only=config_only, show_secrets=s.show_secrets,
                       version_description=description,
                       build_options={"use_cache": not no_cache, "check": not no_check,
                                      "include": list(include or [])})
    _package_note(plan.package)
    _warn_all(plan.warnings)
    if dry_run or exit_code:
        render_plan(plan)
        if exit_code and plan.changes_pending:
            n = len(plan.steps)
            raise ChangesPending(f"{n} change{'s' if n != 1 else ''} pending for {plan.function}",
                                 hint="run 'lambdactl deploy' to apply them")
        return
    from lambdactl.cli.triggers import confirm_public_urls

    confirm_public_urls(plan.steps)     # a function URL with auth NONE: warn, and ask on a terminal
    _execute(plan)


def diff(
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 5 when there are differences, 0 when none.")] = False,
    code_only: Annotated[bool, typer.Option("--code-only", help="Only compare the code.")] = False,
    config_only: Annotated[bool, typer.Option("--config-only", help="Everything but the code.")] = False,
) -> None:
    """Show how AWS differs from lambdactl.toml: configuration, and code (sha256, size delta).

    Examples:

      lambdactl diff

      lambdactl diff --exit-code && echo "in sync"

      lambdactl diff -o json | jq '.steps[].changes'
    """
    from lambdactl.core.resources.deploy import plan_deploy
    from lambdactl.core.resources.deploy.spec import validate_deploy_options

    validate_deploy_options(code_only=code_only, config_only=config_only)
    proj = project(required=True)
    plan = plan_deploy(aws(), proj, code_only=code_only, config_only=config_only,
                       show_secrets=current().show_secrets)
    _warn_all(plan.warnings)
    render_diff(plan)
    if exit_code and plan.changes_pending:
        n = len(plan.steps)
        raise ChangesPending(f"{plan.function} differs from the project file ({n} step{'s' if n != 1 else ''})",
                             hint="run 'lambdactl deploy' to apply the changes")


def _code_args(source: Optional[Path], zip_file: Optional[Path], *, required: bool = True) -> None:
    if source is not None and zip_file is not None:
        raise UsageError("--source and --zip are mutually exclusive", hint="give one of them")
    if required and source is None and zip_file is None:
        raise UsageError("no code given", hint="give --source DIR or --zip FILE")


def create(
    function: RequiredFunctionArg,
    source: Annotated[Optional[Path], typer.Option("--source", metavar="DIR", help="Directory to package.")] = None,
    zip_file: Annotated[Optional[Path], typer.Option("--zip", metavar="FILE", help="A ready zip file.")] = None,
    runtime: Annotated[Optional[str], typer.Option("--runtime", help="e.g. python3.12 (see 'lambdactl runtimes').")] = None,
    handler: Annotated[Optional[str], typer.Option("--handler", help="module.function, e.g. app.handler.")] = None,
    role: Annotated[Optional[str], typer.Option("--role", metavar="ARN", help="Execution role (default: create lambdactl-<function>-role).")] = None,
    memory: Annotated[Optional[int], typer.Option("--memory", metavar="MB", help="128..10240.")] = None,
    timeout: Annotated[Optional[int], typer.Option("--timeout", metavar="S", help="1..900.")] = None,
    ephemeral_storage: Annotated[Optional[int], typer.Option("--ephemeral-storage", metavar="MB", help="512..10240.")] = None,
    arch: Annotated[Optional[str], typer.Option("--arch", help="x86_64 or arm64.")] = None,
    env: Annotated[Optional[List[str]], typer.Option("--env", metavar="K=V", help="Environment variable (repeatable).")] = None,
    layers: Annotated[Optional[List[str]], typer.Option("--layers", metavar="ARN", help="Layer version ARN (repeatable or comma-separated, at most 5).")] = None,
    description: Annotated[Optional[str], typer.Option("--description", help="Function description.")] = None,
    requirements: Annotated[Optional[Path], typer.Option("--requirements", metavar="FILE", help="requirements.txt to vendor (with --source).")] = None,
    publish: Annotated[bool, typer.Option("--publish", help="Publish version 1 after creating.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be created.")] = False,
) -> None:
    """Create a function from a directory or a zip, without a project file.

    Re-running with the same arguments is safe ("unchanged"); if the function exists with other
    code or settings, use 'update' or 'config'.

    Examples:

      lambdactl create hello --source src --runtime python3.12 --handler app.handler

      lambdactl create hello --zip build/hello.zip --runtime python3.13 --handler app.handler --arch arm64 --memory 256 --env STAGE=dev
    """
    from lambdactl.core.resources.deploy import plan_deploy
    from lambdactl.core.resources.deploy.spec import FunctionSpec, validate_spec

    name, _ = resolve_function(function, allow_qualifier=False)
    _code_args(source, zip_file)
    if runtime is None:
        from lambdactl.core.model import runtimes
        raise UsageError("--runtime is required to create a function",
                         hint=f"e.g. --runtime {runtimes.DEFAULT_RUNTIME}; supported: {', '.join(runtimes.SUPPORTED)}")
    if handler is None:
        raise UsageError("--handler is required to create a function", hint="e.g. --handler app.handler")
    if requirements is not None and source is None:
        raise UsageError("--requirements needs --source DIR")
    spec = FunctionSpec(name=name, runtime=runtime, handler=handler, role=role or "", memory=memory,
                        timeout=timeout, ephemeral_storage=ephemeral_storage, description=description,
                        layers=_split(layers), environment=parse_kv(env, "--env"),
                        architecture=arch or "x86_64", source=source, zip_file=zip_file,
                        requirements=requirements)
    _warn_all(validate_spec(spec))
    plan = plan_deploy(aws(), None, spec=spec, publish=publish,     # builds the package first (local)
                       areas={"role", "code", "configuration", "publish"},
                       show_secrets=current().show_secrets)
    _warn_all(plan.warnings)
    if plan.ctx.current is not None and any(st.area in ("code", "configuration", "role") for st in plan.steps):
        from lambdactl.config import project_file_for
        from lambdactl.errors import OperationError

        fields = sorted({ch.field.split(".")[0] for st in plan.steps for ch in st.changes})
        project_file = project_file_for(name)      # its project: 'update'/'config' would be reverted by deploy
        raise OperationError(f"function {name} already exists and differs ({', '.join(fields)})",
                             hint=f"it is the function of {project_file}: change that file, then 'lambdactl deploy'"
                             if project_file else f"use 'lambdactl update {name} --source DIR' for code or "
                                                  f"'lambdactl config {name} ...' for settings")
    if dry_run:
        render_plan(plan)
        return
    _execute(plan)


def update(
    function: FunctionArg = None,
    source: Annotated[Optional[Path], typer.Option("--source", metavar="DIR", help="Directory to package.")] = None,
    zip_file: Annotated[Optional[Path], typer.Option("--zip", metavar="FILE", help="A ready zip file.")] = None,
    arch: Annotated[Optional[str], typer.Option("--arch", help="x86_64 or arm64 (default: keep).")] = None,
    requirements: Annotated[Optional[Path], typer.Option("--requirements", metavar="FILE", help="requirements.txt to vendor (with --source).")] = None,
    publish: Annotated[bool, typer.Option("--publish", help="Publish a version afterwards.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would change.")] = False,
) -> None:
    """Upload new code to a function; skipped when its SHA-256 is unchanged.

    Examples:

      lambdactl update hello --source src

      lambdactl update hello --zip build/hello.zip --publish
    """
    from lambdactl.core.resources.deploy import plan_deploy
    from lambdactl.core.resources.deploy.artifacts import build_code
    from lambdactl.core.resources.deploy.function import read_function
    from lambdactl.core.resources.deploy.spec import FunctionSpec, validate_spec
    from lambdactl.errors import NotFoundError

    name, _ = resolve_function(function, allow_qualifier=False)
    _code_args(source, zip_file)
    if requirements is not None and source is None:
        raise UsageError("--requirements needs --source DIR")
    spec = FunctionSpec(name=name, architecture=arch, source=source, zip_file=zip_file,
                        requirements=requirements)
    _warn_all(validate_spec(spec))
    session = aws()
    got = read_function(session, name)
    if got is None:
        raise NotFoundError(f"function not found: {name}",
                            hint=f"create it with 'lambdactl create {name} --source DIR --runtime ... --handler ...'")
    cfg = got["Configuration"]
    if cfg.get("PackageType", "Zip") != "Zip":
        raise UsageError(f"{name} is a container-image function", hint="update its image_uri with 'lambdactl deploy'")
    pkg = build_code(spec, runtime=cfg.get("Runtime"),
                     architecture=arch or (cfg.get("Architectures") or ["x86_64"])[0])
    plan = plan_deploy(session, None, spec=spec, package=pkg, publish=publish, areas={"code", "publish"},
                       function=got, show_secrets=current().show_secrets)
    _warn_all(plan.warnings)
    if dry_run:
        render_plan(plan)
        return
    _execute(plan)


def config(
    function: FunctionArg = None,
    memory: Annotated[Optional[int], typer.Option("--memory", metavar="MB", help="128..10240.")] = None,
    timeout: Annotated[Optional[int], typer.Option("--timeout", metavar="S", help="1..900.")] = None,
    ephemeral_storage: Annotated[Optional[int], typer.Option("--ephemeral-storage", metavar="MB", help="512..10240.")] = None,
    env: Annotated[Optional[List[str]], typer.Option("--env", metavar="K=V", help="Set a variable; others are kept (repeatable).")] = None,
    unset_env: Annotated[Optional[List[str]], typer.Option("--unset-env", metavar="K", help="Remove a variable (repeatable).")] = None,
    layers: Annotated[Optional[List[str]], typer.Option("--layers", metavar="ARN", help="The layer list (repeatable or comma-separated; '' clears).")] = None,
    description: Annotated[Optional[str], typer.Option("--description", help="Function description.")] = None,
    runtime: Annotated[Optional[str], typer.Option("--runtime", help="Change the runtime.")] = None,
    handler: Annotated[Optional[str], typer.Option("--handler", help="Change the handler.")] = None,
    role: Annotated[Optional[str], typer.Option("--role", metavar="ARN", help="Change the execution role.")] = None,
    tracing: Annotated[Optional[str], typer.Option("--tracing", help="Active or PassThrough (X-Ray).")] = None,
    kms_key: Annotated[Optional[str], typer.Option("--kms-key", metavar="ARN", help="KMS key for environment variables ('' = AWS managed).")] = None,
    vpc_subnets: Annotated[Optional[List[str]], typer.Option("--vpc-subnets", metavar="ID", help="Subnet ids (repeatable or comma-separated).")] = None,
    vpc_security_groups: Annotated[Optional[List[str]], typer.Option("--vpc-security-groups", metavar="ID", help="Security group ids (repeatable or comma-separated).")] = None,
    no_vpc: Annotated[bool, typer.Option("--no-vpc", help="Detach the function from its VPC.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would change.")] = False,
) -> None:
    """Change a function's settings; only what you name changes.

    Environment variables are merged: --env sets or replaces the named ones, --unset-env removes
    them, every other variable is kept (the raw API would replace the whole map).

    Examples:

      lambdactl config hello --memory 512 --timeout 30

      lambdactl config hello --env STAGE=prod --env LOG_LEVEL=debug --unset-env OLD_FLAG

      lambdactl config hello --tracing Active --vpc-subnets subnet-0a1b2c3d --vpc-security-groups sg-0a1b2c3d

      lambdactl config hello --no-vpc
    """
    from lambdactl.core.resources.deploy import plan_deploy
    from lambdactl.core.resources.deploy.spec import FunctionSpec, validate_spec

    name, _ = resolve_function(function, allow_qualifier=False)
    env_set = parse_kv(env, "--env")
    unset = [k for item in (unset_env or []) for k in [item.strip()] if k]
    subnets, groups = _split(vpc_subnets), _split(vpc_security_groups)
    if no_vpc and (subnets is not None or groups is not None):
        raise UsageError("--no-vpc cannot be combined with --vpc-subnets/--vpc-security-groups")
    if no_vpc:
        subnets, groups = [], []
    elif (subnets is None) != (groups is None):
        raise UsageError("a VPC needs both --vpc-subnets and --vpc-security-groups",
                         hint="give both, or --no-vpc to detach the function from its VPC")
    elif subnets is not None and (not subnets or not groups):
        raise UsageError("--vpc-subnets/--vpc-security-groups need at least one id each",
                         hint="use --no-vpc to detach the function from its VPC")
    spec = FunctionSpec(name=name, memory=memory, timeout=timeout, ephemeral_storage=ephemeral_storage,
                        env_set=env_set, env_unset=unset, layers=_split(layers), description=description,
                        runtime=runtime, handler=handler, role=role if role else None, tracing=tracing,
                        kms_key=kms_key, vpc_subnets=subnets, vpc_security_groups=groups)
    if role == "":
        raise UsageError("--role '' is not allowed", hint="give an IAM role ARN")
    given = [memory, timeout, ephemeral_storage, env, unset_env, layers, description, runtime, handler,
             role, tracing, kms_key, subnets]
    if all(v is None for v in given):
        raise UsageError("nothing to change",
                         hint="give at least one of --memory, --timeout, --ephemeral-storage, --env, --unset-env, "
                              "--layers, --description, --runtime, --handler, --role, --tracing, --kms-key, "
                              "--vpc-subnets/--vpc-security-groups, --no-vpc")
    _warn_all(validate_spec(spec))
    plan = plan_deploy(aws(), None, spec=spec, areas={"role", "configuration"}, config_only=True,
                       show_secrets=current().show_secrets,
                       missing_hint="check the name and region; 'lambdactl ls' lists the functions, "
                                    "'lambdactl create' makes one")
    _warn_all(plan.warnings)
    if dry_run:
        render_plan(plan)
        return
    _execute(plan)


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy)
    app.command("diff")(diff)
    app.command("create")(create)
    app.command("update")(update)
    app.command("config")(config)
