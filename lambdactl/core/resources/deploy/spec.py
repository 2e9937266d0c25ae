"""The desired state of a deploy: :class:`FunctionSpec` (from the project file or the imperative
commands' flags) and its checks, done locally before any AWS call."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lambdactl.config import HANDLER_RE, LAYER_ARN_RE, NAME_RE, ROLE_ARN_RE, SG_RE, SUBNET_RE, ProjectConfig
from lambdactl.errors import UsageError

KMS_RE = re.compile(r"^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/.+$")
DLQ_RE = re.compile(r"^arn:aws[a-zA-Z-]*:(sqs|sns):[a-z0-9-]+:\d{12}:.+$")
ENV_NAME_RE = re.compile(r"^[a-zA-Z]\w*$")
# Keys the Lambda runtime sets itself; the API rejects them (InvalidParameterValueException).
RESERVED_ENV = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"})


# --- desired state ---------------------------------------------------------------------------

@dataclass
class FunctionSpec:
    """What the function should look like. ``None`` means "not managed: leave it as it is"."""

    name: str
    package_type: str = "Zip"
    runtime: str | None = None
    handler: str | None = None
    role: str | None = None               # ARN; "" = the auto role lambdactl-<fn>-role
    memory: int | None = None
    timeout: int | None = None
    ephemeral_storage: int | None = None
    description: str | None = None
    layers: list[str] | None = None
    environment: dict[str, str] | None = None   # the whole map (declarative)
    env_set: dict[str, str] = field(default_factory=dict)   # merged over the current map
    env_unset: list[str] = field(default_factory=list)
    architecture: str | None = None
    tracing: str | None = None            # Active | PassThrough
    kms_key: str | None = None            # "" = no customer key
    vpc_subnets: list[str] | None = None  # [] (with [] groups) = no VPC
    vpc_security_groups: list[str] | None = None
    vpc_ipv6: bool | None = None
    dead_letter: str | None = None        # "" = no DLQ
    tags: dict[str, str] | None = None    # the whole tag set (aws:* tags are never touched)
    image_uri: str | None = None
    # code
    source: Path | None = None
    zip_file: Path | None = None
    requirements: Path | None = None
    exclude: list[str] = field(default_factory=list)
    s3_bucket: str = ""


def spec_from_project(project: ProjectConfig) -> FunctionSpec:
    """The declarative spec: every field of [function], with AWS's defaults for omitted ones."""
    f = project.function
    vpc = f.vpc
    return FunctionSpec(
        name=f.name, package_type=f.package_type,
        runtime=f.runtime if f.package_type == "Zip" else None,
        handler=f.handler if f.package_type == "Zip" else None,
        role=f.role or "", memory=f.memory, timeout=f.timeout,
        ephemeral_storage=f.ephemeral_storage, description=f.description or "",
        layers=list(f.layers), environment=dict(f.environment), architecture=f.architecture,
        tracing=f.tracing or "PassThrough", kms_key=f.kms_key or "",
        vpc_subnets=list(vpc.subnets) if vpc else [],
        vpc_security_groups=list(vpc.security_groups) if vpc else [],
        vpc_ipv6=bool(vpc.ipv6) if vpc and vpc.subnets else None,
        dead_letter=f.dead_letter or "", tags=dict(f.tags), image_uri=f.image_uri,
        source=project.source_dir if f.package_type == "Zip" else None,
        requirements=project.requirements_path, exclude=list(f.exclude), s3_bucket=f.s3_bucket or "",
    )


# --- local validation (before any AWS call) --------------------------------------------------

def _range(flag: str, value: int | None, lo: int, hi: int, unit: str) -> None:
    if value is None:
        return
    if value < lo or value > hi:
        raise UsageError(f"{flag} {value} is out of range", hint=f"allowed range: {lo}..{hi}{unit}")


def validate_spec(spec: FunctionSpec) -> list[str]:
    """Check an imperative spec locally (UsageError, exit 2). Returns warnings to show."""
    from lambdactl.core.model import runtimes

    warnings: list[str] = []
    if not NAME_RE.match(spec.name) and not spec.name.startswith("arn:"):
        raise UsageError(f"invalid function name {spec.name!r}",
                         hint="1-64 characters: letters, digits, '-' and '_'")
    _range("--memory", spec.memory, 128, 10240, " MB")
    _range("--timeout", spec.timeout, 1, 900, " s")
    _range("--ephemeral-storage", spec.ephemeral_storage, 512, 10240, " MB")
    if spec.runtime is not None:
        rt = runtimes.get(spec.runtime)
        if rt is None:
            raise UsageError(f"unknown runtime {spec.runtime!r}",
                             hint=f"supported: {', '.join(runtimes.SUPPORTED)}")
    warnings += runtime_warnings(spec.runtime)
    if spec.handler is not None and not HANDLER_RE.match(spec.handler):
        raise UsageError(f"--handler {spec.handler!r} must look like module.function",
                         hint="e.g. --handler app.handler for def handler(event, context) in app.py")
    if spec.role and not ROLE_ARN_RE.match(spec.role):
        raise UsageError(f"--role {spec.role!r} is not an IAM role ARN",
                         hint="arn:aws:iam::<account>:role/<name>, or omit it to let lambdactl create one")
    if spec.architecture is not None and spec.architecture not in runtimes.ARCHITECTURES:
        raise UsageError(f"--arch {spec.architecture!r} is not allowed",
                         hint=f"allowed values: {', '.join(runtimes.ARCHITECTURES)}")
    if spec.layers is not None:
        if len(spec.layers) > 5:
            raise UsageError(f"{len(spec.layers)} layers given", hint="Lambda allows at most 5 layers")
        for arn in spec.layers:
            if not LAYER_ARN_RE.match(arn):
                raise UsageError(f"--layers {arn!r} is not a layer version ARN",
                                 hint="arn:aws:lambda:<region>:<account>:layer:<name>:<version>")
        if len(set(spec.layers)) != len(spec.layers):
            raise UsageError("the same layer is given twice", hint="name each layer version once")
    if spec.description is not None and len(spec.description) > 256:
        raise UsageError(f"--description is {len(spec.description)} characters", hint="at most 256")
    for k in list(spec.env_set) + list(spec.env_unset) + list((spec.environment or {})):
        if not ENV_NAME_RE.match(k):
            raise UsageError(f"environment variable name {k!r} is not valid",
                             hint="letters, digits and '_', starting with a letter")
        if k in RESERVED_ENV and k not in spec.env_unset:
            raise UsageError(f"environment variable {k!r} is reserved by Lambda",
                             hint="the runtime sets it; choose another name (e.g. APP_" + k + ")")
    both = set(spec.env_set) & set(spec.env_unset)
    if both:
        raise UsageError(f"{sorted(both)[0]!r} is both set (--env) and unset (--unset-env)")
    env = dict(spec.environment or {}) | spec.env_set
    size = sum(len(a) + len(b) for a, b in env.items())
    if size > 4096:
        raise UsageError(f"environment variables are {size} bytes", hint="Lambda allows at most 4 KB in total")
    if spec.tracing is not None and spec.tracing not in ("Active", "PassThrough"):
        raise UsageError(f"--tracing {spec.tracing!r} is not allowed", hint="allowed values: Active, PassThrough")
    if spec.kms_key and not KMS_RE.match(spec.kms_key):
        raise UsageError(f"--kms-key {spec.kms_key!r} is not a KMS key ARN",
                         hint="arn:aws:kms:<region>:<account>:key/<id>")
    if spec.dead_letter and not DLQ_RE.match(spec.dead_letter):
        raise UsageError(f"dead-letter target {spec.dead_letter!r} is not an SQS or SNS ARN",
                         hint="arn:aws:sqs:<region>:<account>:<queue> or arn:aws:sns:...:<topic>")
    for s in spec.vpc_subnets or []:
        if not SUBNET_RE.match(s):
            raise UsageError(f"--vpc-subnets {s!r} is not a subnet id", hint="subnet-0123abcd...")
    for g in spec.vpc_security_groups or []:
        if not SG_RE.match(g):
            raise UsageError(f"--vpc-security-groups {g!r} is not a security group id", hint="sg-0123abcd...")
    if (spec.vpc_subnets is None) != (spec.vpc_security_groups is None) or \
            bool(spec.vpc_subnets) != bool(spec.vpc_security_groups):
        raise UsageError("a VPC needs both --vpc-subnets and --vpc-security-groups",
                         hint="give both, or --no-vpc to detach the function from its VPC")
    if spec.vpc_subnets is not None and len(spec.vpc_subnets) > 16:
        raise UsageError(f"{len(spec.vpc_subnets)} subnets given", hint="at most 16")
    if spec.vpc_security_groups is not None and len(spec.vpc_security_groups) > 5:
        raise UsageError(f"{len(spec.vpc_security_groups)} security groups given", hint="at most 5")
    if spec.source is not None and spec.zip_file is not None:
        raise UsageError("--source and --zip are mutually exclusive", hint="give one of them")
    if spec.source is not None and not Path(spec.source).is_dir():
        raise UsageError(f"source directory not found: {spec.source}", hint="--source DIR must be a directory")
    if spec.zip_file is not None:
        check_zip_file(spec.zip_file)
    if spec.requirements is not None and not Path(spec.requirements).is_file():
        raise UsageError(f"requirements file not found: {spec.requirements}")
    return warnings


def runtime_warnings(runtime: str | None) -> list[str]:
    from lambdactl.core.model import runtimes

    rt = runtimes.get(runtime) if runtime else None
    if rt is not None and rt.deprecated is not None:
        if rt.is_deprecated():
            newest = next((r.name for r in runtimes.RUNTIMES if r.family == rt.family and not r.is_deprecated()), None)
            return [f"runtime {rt.name} was deprecated on {rt.deprecated.isoformat()}; AWS will block "
                    f"creating and updating such functions" + (f" — move to {newest}" if newest else "")]
    return []


def check_zip_file(path: Path) -> None:
    import zipfile

    p = Path(path)
    if not p.is_file():
        raise UsageError(f"zip file not found: {p}", hint="--zip FILE must be an existing .zip file")
    if not zipfile.is_zipfile(p):
        raise UsageError(f"{p} is not a zip file", hint="build one with 'lambdactl package' or use --source DIR")


def validate_deploy_options(*, code_only: bool = False, config_only: bool = False,
                            alias: str | None = None, canary: str | float | None = None) -> float | int | None:
    """Check deploy's flags; returns the canary percentage (0 < p <= 100) or None."""
    from lambdactl.core.resources.aliases import ALIAS_NAME_RE, parse_percent

    if code_only and config_only:
        raise UsageError("--code-only and --config-only are mutually exclusive", hint="give at most one")
    if alias is not None and not ALIAS_NAME_RE.match(alias):
        raise UsageError(f"--alias {alias!r} is not a valid alias name",
                         hint="1-128 letters, digits, '-' or '_', not only digits")
    if canary is None:
        return None
    if alias is None:
        raise UsageError("--canary needs --alias", hint="e.g. deploy --publish --alias live --canary 10")
    return parse_percent(canary, "--canary", allow_zero=False)


def _spec(ctx) -> FunctionSpec:
    spec = ctx.options.get("spec")
    if spec is None:
        spec = spec_from_project(ctx.project)
        ctx.options["spec"] = spec
    return spec
