"""The planners of the function itself: role, code (create or update), configuration, tags and
publish; with the reading of the current configuration they compare against."""
from __future__ import annotations

import os
from typing import Any, Callable

from lambdactl.aws import AwsSession, error_code, retry, wait_function_ready
from lambdactl.secrets import mask_env, mask_value
from lambdactl.core.resources.deploy.artifacts import (_check_artifact_bucket, _code_params, _upload_route,
                                                       check_code_sha256)
from lambdactl.core.resources.deploy.spec import FunctionSpec, _spec
from lambdactl.core.resources.plan import Change, DeployContext, Step
from lambdactl.errors import NotFoundError, OperationError, UsageError

# --- helpers around the role -------------------------------------------------------------------

def role_wait_budget() -> float:
    try:
        return float(os.environ.get("LAMBDACTL_ROLE_WAIT", "30"))
    except ValueError:
        return 30.0


def call_with_role_retry(fn: Callable[[], Any], role_arn: str | None, *, budget: float | None = None,
                         aws: AwsSession | None = None) -> Any:
    """Run ``fn`` retrying Lambda's "role cannot be assumed" (IAM propagation) for ~30 s, plus the
    update-in-progress ResourceConflict retries (throttling is botocore's); then fail with a clear message."""
    from botocore.exceptions import ClientError

    from lambdactl.core.resources.roles import is_role_not_ready

    budget = role_wait_budget() if budget is None else budget
    probed: list[bool] = []

    def not_ready(exc: BaseException) -> bool:
        if not is_role_not_ready(exc):
            return False
        if not probed:  # a role that does not exist at all will never propagate: say so at once
            probed.append(True)
            if aws is not None and role_arn and _role_missing(aws, role_arn):
                raise NotFoundError(f"role not found: {role_arn}",
                                    hint="create it first, or omit --role (empty role in lambdactl.toml) "
                                         "to let lambdactl create one") from None
        return True

    try:
        return retry(fn, budget=budget, also=not_ready, base=0.5, cap=4.0)
    except ClientError as exc:
        if is_role_not_ready(exc):
            raise OperationError(
                f"Lambda cannot assume the role {role_arn or ''} (waited {budget:.0f}s for IAM to propagate)".replace("  ", " "),
                hint="check that the role exists and that its trust policy allows lambda.amazonaws.com; re-running is safe")
        raise


def _role_missing(aws: AwsSession, role_arn: str) -> bool:
    """True only when IAM says the role does not exist (any other answer, e.g. no iam:GetRole: False)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from lambdactl.core.resources.roles import get_role, role_name_from_arn

    try:
        return get_role(aws, role_name_from_arn(role_arn)) is None
    except (BotoCoreError, ClientError):
        return False


# --- reading the current state ----------------------------------------------------------------

def read_function(aws: AwsSession, name: str) -> dict | None:
    """``GetFunction`` (configuration + tags + code location), or None when it does not exist."""
    from botocore.exceptions import ClientError

    try:
        return retry(lambda: aws.client("lambda").get_function(FunctionName=name))
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise


def _cur_env(cfg: dict | None) -> dict[str, str]:
    return dict(((cfg or {}).get("Environment") or {}).get("Variables") or {})


def _cur_vpc(cfg: dict | None) -> tuple[list[str], list[str], bool]:
    v = (cfg or {}).get("VpcConfig") or {}
    return (sorted(v.get("SubnetIds") or []), sorted(v.get("SecurityGroupIds") or []),
            bool(v.get("Ipv6AllowedForDualStack", False)))


def _cur_arch(cfg: dict | None) -> str:
    return ((cfg or {}).get("Architectures") or ["x86_64"])[0]


def _comparable(cfg: dict) -> dict:
    """The parts of a configuration that make a version (for "is $LATEST already published?")."""
    return {
        "code": cfg.get("CodeSha256"), "runtime": cfg.get("Runtime"), "handler": cfg.get("Handler"),
        "memory": cfg.get("MemorySize"), "timeout": cfg.get("Timeout"), "role": cfg.get("Role"),
        "env": _cur_env(cfg), "layers": [x.get("Arn") for x in cfg.get("Layers") or []],
        "ephemeral": (cfg.get("EphemeralStorage") or {}).get("Size", 512),
        "tracing": (cfg.get("TracingConfig") or {}).get("Mode", "PassThrough"),
        "vpc": _cur_vpc(cfg), "arch": _cur_arch(cfg), "kms": cfg.get("KMSKeyArn") or "",
        "dlq": (cfg.get("DeadLetterConfig") or {}).get("TargetArn") or "",
        "image": (cfg.get("ImageConfigResponse") or {}).get("ImageConfig"),
    }


def comparable_state(cfg, code) -> dict:
    """:func:`_comparable` of the model (a :class:`~lambdactl.core.model.Configuration` and its
    :class:`~lambdactl.core.model.CodeIdentity`): the same record for the same function."""
    vpc = cfg.vpc
    return {
        "code": code.sha256, "runtime": cfg.runtime, "handler": cfg.handler, "memory": cfg.memory,
        "timeout": cfg.timeout, "role": cfg.role, "env": dict(cfg.environment), "layers": cfg.layer_arns,
        "ephemeral": cfg.ephemeral_storage, "tracing": cfg.tracing,
        "vpc": (sorted(vpc.subnets), sorted(vpc.security_groups), vpc.ipv6) if vpc is not None else ([], [], False),
        "arch": cfg.architecture, "kms": cfg.kms_key or "", "dlq": cfg.dead_letter or "", "image": cfg.image_config,
    }


# --- the planners --------------------------------------------------------------------------

def _show(ctx: DeployContext) -> bool:
    return bool(ctx.options.get("show_secrets"))


def _mask_value(ctx: DeployContext, key: str, value: Any) -> Any:
    return mask_value(key, value, _show(ctx))


def plan_role(ctx: DeployContext) -> list[Step]:
    """The execution role: a given ARN is used as is; an empty one means the auto role."""
    from lambdactl.core.model.naming import short_name
    from lambdactl.core.model.naming import auto_role_name
    from lambdactl.core.resources.roles import check_reused_role, create_role, get_role, role_name_from_arn

    spec = _spec(ctx)
    if ctx.options.get("code_only") and ctx.current is not None:
        return []
    if spec.role:
        ctx.state["role_arn"] = spec.role
        return []
    if spec.role is None:                      # not managed (config/update)
        ctx.state["role_arn"] = (ctx.current or {}).get("Role")
        return []
    from lambdactl.core.resources.roles import get_sources_policy, put_sources_policy, sources_policy

    fname = short_name(ctx.function_name)
    name = auto_role_name(fname)
    needed = sources_policy(ctx.aws, ctx.project) if ctx.project is not None else None
    cur_role = (ctx.current or {}).get("Role") or ""
    if cur_role and role_name_from_arn(cur_role) == name:
        ctx.state["role_arn"] = cur_role       # already in use: no IAM call needed
        return _plan_sources_policy(ctx, name, needed, get_sources_policy, put_sources_policy)
    role = get_role(ctx.aws, name)
    if role is not None:
        ctx.state.setdefault("warnings", []).append(check_reused_role(role))   # or refuse: exit 1
        ctx.state["role_arn"] = role["Arn"]
        return _plan_sources_policy(ctx, name, needed, get_sources_policy, put_sources_policy)
    ctx.state["role_arn"] = None
    ctx.state["role_pending"] = name

    def apply(c: DeployContext) -> None:
        created = create_role(c.aws, fname, name)
        if needed is not None:
            put_sources_policy(c.aws, name, needed)
        c.state["role_arn"] = created["Arn"]

    changes = [Change("role", None, name), Change("trust", None, "lambda.amazonaws.com"),
               Change("policy", None, f"logs for /aws/lambda/{fname}")]
    if needed is not None:
        changes.append(Change("policy", None, _policy_summary(needed)))
    return [Step("role", "create", f"role {name}", f"create execution role {name}", apply, changes)]


def _policy_summary(policy: dict | None) -> str | None:
    if not policy:
        return None
    parts = []
    for st in policy.get("Statement", []):
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        services = sorted({a.split(":")[0] for a in actions})
        parts.append(f"{'/'.join(services)} on {', '.join(st['Resource'])}")
    return "; ".join(parts)


def _plan_sources_policy(ctx: DeployContext, name: str, needed, get_policy, put_policy) -> list[Step]:
    """Keep the auto role's lambdactl-sources policy equal to what the triggers/destinations need.
    (Read only when something is needed: a project without them makes no IAM call.)"""
    if needed is None:
        return []
    have = get_policy(ctx.aws, name)
    if have == needed:
        return []

    def apply(c: DeployContext) -> None:
        put_policy(c.aws, name, needed)

    return [Step("role", "update", f"role {name}", f"grant {name} access to the project's event sources "
                 "and destinations", apply, [Change("policy", _policy_summary(have), _policy_summary(needed))])]


def _desired_role_display(ctx: DeployContext) -> str | None:
    if ctx.state.get("role_arn"):
        return ctx.state["role_arn"]
    if ctx.state.get("role_pending"):
        return f"{ctx.state['role_pending']} (to be created)"
    return None


def _create_params(ctx: DeployContext, spec: FunctionSpec, role_arn: str, pkg) -> dict[str, Any]:
    p: dict[str, Any] = {"FunctionName": ctx.function_name, "Role": role_arn, "Publish": False,
                         "PackageType": spec.package_type}
    if spec.package_type == "Zip":
        p["Runtime"] = spec.runtime
        p["Handler"] = spec.handler
    if spec.memory is not None:
        p["MemorySize"] = spec.memory
    if spec.timeout is not None:
        p["Timeout"] = spec.timeout
    if spec.ephemeral_storage is not None:
        p["EphemeralStorage"] = {"Size": spec.ephemeral_storage}
    if spec.description:
        p["Description"] = spec.description
    if spec.architecture:
        p["Architectures"] = [spec.architecture]
    env = _desired_env(spec, {})
    if env:
        p["Environment"] = {"Variables": env}
    if spec.layers:
        p["Layers"] = list(spec.layers)
    if spec.tracing and spec.tracing != "PassThrough":
        p["TracingConfig"] = {"Mode": spec.tracing}
    if spec.kms_key:
        p["KMSKeyArn"] = spec.kms_key
    if spec.vpc_subnets:
        vpc = {"SubnetIds": list(spec.vpc_subnets), "SecurityGroupIds": list(spec.vpc_security_groups or [])}
        if spec.vpc_ipv6:
            vpc["Ipv6AllowedForDualStack"] = True
        p["VpcConfig"] = vpc
    if spec.dead_letter:
        p["DeadLetterConfig"] = {"TargetArn": spec.dead_letter}
    if spec.tags:
        p["Tags"] = dict(spec.tags)
    return p


def _create_changes(ctx: DeployContext, spec: FunctionSpec, pkg) -> list[Change]:
    ch: list[Change] = []

    def add(name: str, value: Any) -> None:
        if value not in (None, "", [], {}):
            ch.append(Change(name, None, value))

    add("package_type", spec.package_type if spec.package_type != "Zip" else None)
    add("runtime", spec.runtime)
    add("handler", spec.handler)
    add("architecture", spec.architecture)
    add("memory", spec.memory)
    add("timeout", spec.timeout)
    add("ephemeral_storage", spec.ephemeral_storage)
    add("role", _desired_role_display(ctx))
    add("description", spec.description)
    add("layers", spec.layers)
    add("environment", mask_env(_desired_env(spec, {}), _show(ctx)))
    add("tracing", spec.tracing if spec.tracing != "PassThrough" else None)
    add("kms_key", spec.kms_key)
    if spec.vpc_subnets:
        add("vpc", {"subnets": spec.vpc_subnets, "security_groups": spec.vpc_security_groups})
    add("dead_letter", spec.dead_letter)
    add("tags", spec.tags)
    if pkg is not None:
        add("code_sha256", pkg.sha256)
        add("code_size", pkg.size)
    add("image_uri", spec.image_uri)
    return ch


def plan_code(ctx: DeployContext) -> list[Step]:
    """Create the function when missing; else upload the code only when its SHA-256 differs."""
    from lambdactl.fmt import human_bytes

    spec = _spec(ctx)
    if ctx.options.get("config_only"):
        return []
    cur = ctx.current
    pkg = ctx.options.get("package")
    if cur is not None:
        cur_type = cur.get("PackageType", "Zip")
        if cur_type != spec.package_type:
            raise UsageError(f"function {ctx.function_name} is a {cur_type} function; it cannot become "
                             f"a{'n' if spec.package_type == 'Image' else ''} {spec.package_type} function in place",
                             hint=f"deploy under a new function name and move aliases/triggers over, or "
                                  f"'lambdactl delete {ctx.function_name}' and deploy again")
    if cur is None:
        if spec.package_type == "Zip" and pkg is None:
            raise UsageError(f"function {ctx.function_name} does not exist and no code was given",
                             hint="give --source DIR or --zip FILE (or set [function] source)")
        if spec.package_type == "Zip" and (not spec.runtime or not spec.handler):
            raise UsageError(f"creating {ctx.function_name} needs a runtime and a handler",
                             hint="e.g. --runtime python3.12 --handler app.handler")
        route = _upload_route(ctx, pkg, spec)
        _check_artifact_bucket(ctx, spec, pkg)

        def apply_create(c: DeployContext) -> None:
            role_arn = c.state.get("role_arn")
            if not role_arn:
                raise OperationError("no execution role to create the function with")
            params = _create_params(c, spec, role_arn, pkg)
            if params.get("Layers"):
                params["Layers"] = _resolve_layers(c, params["Layers"])
            params["Code"] = _code_params(c, pkg, spec)
            lam = c.aws.client("lambda")
            created = call_with_role_retry(lambda: lam.create_function(**params), role_arn, aws=c.aws)
            c.state["created"] = True
            if pkg is not None:
                check_code_sha256(f"function {c.function_name}", created.get("CodeSha256"), pkg.sha256,
                                  params["Code"], left="the function was created with that code and is left "
                                  "as AWS has it")
            c.state["code_sha256"] = pkg.sha256 if pkg is not None else created.get("CodeSha256")
            c.current = wait_function_ready(c.aws, c.function_name)
            c.state["uploaded_bytes"] = c.state.get("uploaded_bytes", 0) + (pkg.size if pkg else 0)

        size = f", {human_bytes(pkg.size)}" if pkg is not None else ""
        detail = {"sha256_before": None, "sha256_after": pkg.sha256 if pkg else None,
                  "size_before": None, "size_after": pkg.size if pkg else None,
                  "size_delta": pkg.size if pkg else None, "upload": route}
        return [Step("code", "create", f"function {ctx.function_name}",
                     f"create function {ctx.function_name} ({spec.runtime or spec.package_type}{size})",
                     apply_create, _create_changes(ctx, spec, pkg), detail=detail)]

    changes: list[Change] = []
    want_arch = spec.architecture
    cur_arch = _cur_arch(cur)
    if spec.package_type == "Image":
        cur_uri = (ctx.state.get("code") or {}).get("ImageUri")
        if spec.image_uri is None or spec.image_uri == cur_uri and (want_arch is None or want_arch == cur_arch):
            return []
        if spec.image_uri != cur_uri:
            changes.append(Change("image_uri", cur_uri, spec.image_uri))
        detail: dict[str, Any] = {"upload": "image"}
    else:
        if pkg is None:
            return []
        sha_before = cur.get("CodeSha256")
        if pkg.sha256 == sha_before and (want_arch is None or want_arch == cur_arch):
            return []                          # unchanged code is never uploaded
        size_before = cur.get("CodeSize")
        if pkg.sha256 != sha_before:
            changes.append(Change("code_sha256", sha_before, pkg.sha256))
            changes.append(Change("code_size", size_before, pkg.size))
        detail = {"sha256_before": sha_before, "sha256_after": pkg.sha256, "size_before": size_before,
                  "size_after": pkg.size,
                  "size_delta": (pkg.size - size_before) if size_before is not None else None,
                  "upload": _upload_route(ctx, pkg, spec)}
        _check_artifact_bucket(ctx, spec, pkg)
    if want_arch is not None and want_arch != cur_arch:
        changes.append(Change("architecture", cur_arch, want_arch))

    def apply_update(c: DeployContext) -> None:
        params = _code_params(c, pkg, spec)
        if want_arch is not None:
            params["Architectures"] = [want_arch]
        lam = c.aws.client("lambda")
        resp = retry(lambda: lam.update_function_code(FunctionName=c.function_name, Publish=False, **params))
        if pkg is not None:
            check_code_sha256(f"function {c.function_name}", resp.get("CodeSha256"), pkg.sha256, params,
                              left="the function is left as AWS has it ($LATEST runs that code)")
        # The publish guard uses what WE uploaded: if another deploy raced us, publishing fails.
        c.state["code_sha256"] = pkg.sha256 if pkg is not None else resp.get("CodeSha256")
        c.state["uploaded_bytes"] = c.state.get("uploaded_bytes", 0) + (pkg.size if pkg else 0)
        c.current = wait_function_ready(c.aws, c.function_name)

    if pkg is not None:
        what = f"upload code to {ctx.function_name} ({human_bytes(pkg.size)})"
    else:
        what = f"update image of {ctx.function_name}"
    if not any(ch.field in ("code_sha256", "image_uri") for ch in changes):
        what = f"switch {ctx.function_name} to {want_arch}"
    return [Step("code", "update", f"function {ctx.function_name}", what, apply_update, changes, detail=detail)]


def _desired_env(spec: FunctionSpec, current: dict[str, str]) -> dict[str, str] | None:
    if spec.environment is None and not spec.env_set and not spec.env_unset:
        return None
    env = dict(spec.environment) if spec.environment is not None else dict(current)
    env.update(spec.env_set)
    for k in spec.env_unset:
        env.pop(k, None)
    return env


def _resolve_layers(ctx: DeployContext, layers: list[str]) -> list[str]:
    """Layer versions published earlier in this deploy ([[layers.build]]) replace their placeholders."""
    from lambdactl.core.resources.layers import resolve_pending

    return resolve_pending(ctx.state, list(layers))


def plan_configuration(ctx: DeployContext) -> list[Step]:
    """UpdateFunctionConfiguration with only the fields that differ; then tags."""
    spec = _spec(ctx)
    cur = ctx.current
    if cur is None or ctx.options.get("code_only"):
        return []
    params: dict[str, Any] = {}
    changes: list[Change] = []

    def cmp(name: str, want: Any, have: Any, param: str, value: Any = None) -> None:
        if want is None or want == have:
            return
        params[param] = want if value is None else value
        changes.append(Change(name, have, want))

    cmp("memory", spec.memory, cur.get("MemorySize"), "MemorySize")
    cmp("timeout", spec.timeout, cur.get("Timeout"), "Timeout")
    cmp("ephemeral_storage", spec.ephemeral_storage, (cur.get("EphemeralStorage") or {}).get("Size", 512),
        "EphemeralStorage", {"Size": spec.ephemeral_storage})
    if spec.package_type == "Zip":
        cmp("runtime", spec.runtime, cur.get("Runtime"), "Runtime")
        cmp("handler", spec.handler, cur.get("Handler"), "Handler")
    if spec.role is not None:
        want_role = ctx.state.get("role_arn")
        if want_role != cur.get("Role"):
            params["Role"] = None                      # filled in at apply time (the role may be new)
            changes.append(Change("role", cur.get("Role"), _desired_role_display(ctx)))
    cmp("description", spec.description, cur.get("Description") or "", "Description")
    cmp("layers", spec.layers, [x.get("Arn") for x in cur.get("Layers") or []], "Layers")
    have_env = _cur_env(cur)
    want_env = _desired_env(spec, have_env)
    if want_env is not None and want_env != have_env:
        size = sum(len(a) + len(b) for a, b in want_env.items())
        if size > 4096:      # 'config --env' merges into the current map: count what Lambda would get
            raise UsageError(f"environment variables would be {size} bytes with the ones {ctx.function_name} keeps",
                             hint="Lambda allows at most 4 KB in total; remove some with --unset-env")
        params["Environment"] = {"Variables": want_env}
        for k in sorted(set(have_env) | set(want_env)):
            if have_env.get(k) != want_env.get(k):
                changes.append(Change(f"environment.{k}", _mask_value(ctx, k, have_env.get(k)),
                                      _mask_value(ctx, k, want_env.get(k))))
    cmp("tracing", spec.tracing, (cur.get("TracingConfig") or {}).get("Mode", "PassThrough"),
        "TracingConfig", {"Mode": spec.tracing})
    if spec.kms_key is not None and spec.kms_key != (cur.get("KMSKeyArn") or ""):
        params["KMSKeyArn"] = spec.kms_key
        changes.append(Change("kms_key", cur.get("KMSKeyArn") or None, spec.kms_key or None))
    if spec.vpc_subnets is not None:
        subnets, groups, ipv6 = _cur_vpc(cur)
        want_s, want_g = sorted(spec.vpc_subnets), sorted(spec.vpc_security_groups or [])
        want_ipv6 = bool(spec.vpc_ipv6) if want_s else False
        if (want_s, want_g) != (subnets, groups) or (want_s and spec.vpc_ipv6 is not None and want_ipv6 != ipv6):
            vpc = {"SubnetIds": want_s, "SecurityGroupIds": want_g}
            if want_s and (spec.vpc_ipv6 is not None or ipv6):
                vpc["Ipv6AllowedForDualStack"] = want_ipv6
            params["VpcConfig"] = vpc
            before = {"subnets": subnets, "security_groups": groups} if subnets else None
            after = {"subnets": want_s, "security_groups": want_g} if want_s else None
            changes.append(Change("vpc", before, after))
            if want_s and not subnets:
                ctx.state.setdefault("warnings", []).append(
                    "a function in a VPC has no internet access unless its subnets route through a NAT "
                    "gateway (or use VPC endpoints for AWS services)")
    if spec.dead_letter is not None:
        have_dlq = (cur.get("DeadLetterConfig") or {}).get("TargetArn") or ""
        if spec.dead_letter != have_dlq:
            params["DeadLetterConfig"] = {"TargetArn": spec.dead_letter}
            changes.append(Change("dead_letter", have_dlq or None, spec.dead_letter or None))

    steps: list[Step] = []
    if params:
        role_changes = "Role" in params

        def apply_config(c: DeployContext) -> None:
            p = dict(params)
            if p.get("Layers"):
                p["Layers"] = _resolve_layers(c, p["Layers"])
            if role_changes:
                p["Role"] = c.state.get("role_arn")
            lam = c.aws.client("lambda")
            call = lambda: lam.update_function_configuration(FunctionName=c.function_name, **p)  # noqa: E731
            if role_changes:
                call_with_role_retry(call, p["Role"], aws=c.aws)
            else:
                retry(call)
            c.current = wait_function_ready(c.aws, c.function_name)

        fields = ", ".join(dict.fromkeys(ch.field.split(".")[0] for ch in changes))
        steps.append(Step("configuration", "update", f"function {ctx.function_name}",
                          f"update configuration of {ctx.function_name} ({fields})", apply_config, changes))
    steps += _plan_tags(ctx, spec)
    return steps


def _plan_tags(ctx: DeployContext, spec: FunctionSpec) -> list[Step]:
    if spec.tags is None or ctx.current is None:
        return []
    have = dict(ctx.state.get("tags") or {})
    want = spec.tags
    to_set = {k: v for k, v in want.items() if have.get(k) != v}
    # aws:*/lambda:* tags are AWS's; lambdactl:* tags are markers other areas may keep on the function.
    to_remove = sorted(k for k in have if k not in want and not k.startswith(("aws:", "lambda:", "lambdactl:")))
    if not to_set and not to_remove:
        return []
    changes = [Change(f"tags.{k}", have.get(k), want.get(k)) for k in sorted(set(to_set) | set(to_remove))]
    arn = ctx.current["FunctionArn"]

    def apply_tags(c: DeployContext) -> None:
        lam = c.aws.client("lambda")
        if to_set:
            retry(lambda: lam.tag_resource(Resource=arn, Tags=to_set))
        if to_remove:
            retry(lambda: lam.untag_resource(Resource=arn, TagKeys=to_remove))

    return [Step("tags", "update", f"function {ctx.function_name}", f"update tags of {ctx.function_name}",
                 apply_tags, changes)]


def publish_if_changed(aws: AwsSession, name: str, *, code_sha256: str | None = None,
                       description: str | None = None, force: bool = False) -> tuple[str, bool]:
    """Publish ``$LATEST`` unless it is identical to the newest version. Returns (version, created)."""
    from lambdactl.core.resources.versions import newest_version

    cfg = wait_function_ready(aws, name)
    if not force:
        newest = newest_version(aws, name)
        if newest is not None and _comparable(newest) == _comparable(cfg):
            return newest["Version"], False
    kwargs: dict[str, Any] = {"FunctionName": name, "CodeSha256": code_sha256 or cfg.get("CodeSha256")}
    if cfg.get("RevisionId"):
        kwargs["RevisionId"] = cfg["RevisionId"]
    if description:
        kwargs["Description"] = description
    resp = retry(lambda: aws.client("lambda").publish_version(**kwargs))
    return resp["Version"], True


def _function_changes_planned(ctx: DeployContext) -> bool:
    return any(s.area in ("code", "configuration") for s in ctx.state.get("planned", []))


def plan_publish(ctx: DeployContext) -> list[Step]:
    """``--publish``: a new version when $LATEST differs from the newest version, else reuse it."""
    from lambdactl.core.resources.versions import newest_version

    if not ctx.options.get("publish"):
        return []
    before = None
    live = ctx.state.get("live")
    if live is not None and live.versions is not None:      # read by plan_deploy's one read
        newest_state = live.newest_version
        if newest_state is not None and not _function_changes_planned(ctx) and \
                comparable_state(newest_state.configuration, newest_state.code) == \
                comparable_state(live.configuration, live.code):
            ctx.state["published_version"] = newest_state.version
            return []
        before = newest_state.version if newest_state else None
    elif ctx.current is not None:
        newest = newest_version(ctx.aws, ctx.function_name)
        if newest is not None and not _function_changes_planned(ctx) \
                and _comparable(newest) == _comparable(ctx.current):
            ctx.state["published_version"] = newest["Version"]
            return []
        before = newest["Version"] if newest else None
    description = ctx.options.get("version_description")

    def apply_publish(c: DeployContext) -> None:
        version, _created = publish_if_changed(c.aws, c.function_name, code_sha256=c.state.get("code_sha256"),
                                               description=description)
        c.state["published_version"] = version

    return [Step("publish", "publish", f"function {ctx.function_name}",
                 f"publish a new version of {ctx.function_name}", apply_publish,
                 [Change("version", before, "(new)")])]
