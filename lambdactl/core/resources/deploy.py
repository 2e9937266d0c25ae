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
  ``ctx.options["canary"]`` (a percentage, 0 < PCT <= 100); ``lambdactl.core.resources.aliases.plan_aliases``
  handles them.
"""
from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from lambdactl.aws import AwsSession, error_code, retry, wait_function_ready
from lambdactl.config import (HANDLER_RE, LAYER_ARN_RE, NAME_RE, ROLE_ARN_RE, SG_RE, SUBNET_RE,
                              ProjectConfig, mask_env, mask_value)
from lambdactl.core.resources.plan import Change, DeployContext, Executor, Step
from lambdactl.errors import NotFoundError, OperationError, UsageError

MB = 1024 * 1024
DIRECT_UPLOAD_LIMIT = 50 * MB          # larger zips go through S3
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


# --- code --------------------------------------------------------------------------------------

def package_from_zip(path: Path):
    """A PackageResult for a prebuilt zip file."""
    import zipfile

    from lambdactl.core.build.packaging import PackageResult, code_sha256

    p = Path(path)
    check_zip_file(p)
    data = p.read_bytes()
    with zipfile.ZipFile(p) as zf:
        infos = zf.infolist()
    return PackageResult(p, code_sha256(data), len(data), sum(i.file_size for i in infos),
                         sum(1 for i in infos if not i.is_dir()), data)


def build_code(spec: FunctionSpec, *, runtime: str | None = None, architecture: str | None = None,
               **options: Any):
    """Build (or read) the deployment package for ``spec``; local only. None for images.
    ``options`` go to build_package (use_cache, check, include)."""
    if spec.package_type == "Image":
        return None
    if spec.zip_file is not None:
        return package_from_zip(spec.zip_file)
    if spec.source is None:
        return None
    from lambdactl.core.build.packaging import build_package

    return build_package(spec.source, requirements=spec.requirements, runtime=runtime or spec.runtime,
                         architecture=architecture or spec.architecture or "x86_64",
                         exclude=tuple(spec.exclude), handler=spec.handler, **options)


def direct_upload_limit() -> int:
    try:
        return int(os.environ.get("LAMBDACTL_DIRECT_UPLOAD_LIMIT", DIRECT_UPLOAD_LIMIT))
    except ValueError:
        return DIRECT_UPLOAD_LIMIT


def artifact_bucket_name(account: str, region: str) -> str:
    return f"lambdactl-artifacts-{account}-{region}"


def _account_of(ctx: DeployContext) -> str:
    arn = (ctx.current or {}).get("FunctionArn", "")
    parts = arn.split(":")
    if len(parts) > 4 and parts[4]:
        return parts[4]
    return ctx.aws.account_id


def ensure_bucket(aws: AwsSession, bucket: str, *, create: bool, owner: str | None = None) -> None:
    """Make sure the artifacts bucket exists (create it, private, when ``create``).

    ``owner`` (the account id, for lambdactl's own predictable ``lambdactl-artifacts-…`` bucket):
    every call names it as ``ExpectedBucketOwner``, and a bucket of that name that belongs to
    another account is refused (it could read or swap every zip uploaded to it). A new bucket is
    created with ownership enforced, public access blocked and default encryption (SSE-S3)."""
    from botocore.exceptions import ClientError

    s3 = aws.client("s3")
    expect = {"ExpectedBucketOwner": owner} if owner else {}
    if bucket_exists(aws, bucket, owner=owner):
        return
    if not create:
        raise NotFoundError(f"S3 bucket not found: {bucket}", hint="create it, or clear [function] s3_bucket "
                            "to let lambdactl create its own artifacts bucket")
    kwargs: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
    if aws.region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": aws.region}
    try:
        retry(lambda: s3.create_bucket(**kwargs))
    except ClientError as exc:
        if error_code(exc) == "BucketAlreadyExists" and owner:     # taken by someone else meanwhile
            raise _foreign_bucket(bucket, owner) from None
        if error_code(exc) not in ("BucketAlreadyOwnedByYou",):
            raise
    retry(lambda: s3.put_public_access_block(Bucket=bucket, **expect, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True}))
    retry(lambda: s3.put_bucket_encryption(Bucket=bucket, **expect, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}))


def bucket_exists(aws: AwsSession, bucket: str, *, owner: str | None = None) -> bool:
    """Read-only: whether ``bucket`` exists (and, with ``owner``, belongs to that account: a
    bucket of another account raises OperationError, exit 1)."""
    from botocore.exceptions import ClientError

    expect = {"ExpectedBucketOwner": owner} if owner else {}
    try:
        retry(lambda: aws.client("s3").head_bucket(Bucket=bucket, **expect))
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 403:
            if owner:
                raise _foreign_bucket(bucket, owner, denied=True) from None
            raise OperationError(f"S3 bucket {bucket} exists but is not accessible with these credentials",
                                 hint="set [function] s3_bucket to a bucket you own")
        if status != 404 and error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
            raise
        return False
    if owner:
        _check_bucket_owner(aws, bucket, owner)
    return True


def _check_artifact_bucket(ctx: DeployContext, spec: FunctionSpec, pkg) -> None:
    """At plan time (read-only), before any change: refuse lambdactl's artifacts bucket when it
    exists under another account. (Checked again at upload time.)"""
    if spec.s3_bucket or spec.package_type == "Image" or pkg is None or pkg.size <= direct_upload_limit():
        return
    account = _account_of(ctx)
    bucket_exists(ctx.aws, artifact_bucket_name(account, ctx.aws.region), owner=account)


def _foreign_bucket(bucket: str, owner: str, *, denied: bool = False) -> OperationError:
    why = (f"belongs to another account, or these credentials may not use it (S3 answered 403 for "
           f"ExpectedBucketOwner {owner})" if denied else f"exists under another account (not {owner})")
    return OperationError(f"S3 bucket {bucket} {why}: nothing was uploaded to it",
                          hint="its owner could read or replace your code; set [function] s3_bucket "
                               "(layer publish: --s3-bucket) to a bucket you own")


def _check_bucket_owner(aws: AwsSession, bucket: str, owner: str) -> None:
    """A second look at who owns ``bucket``, for endpoints that ignore ExpectedBucketOwner: the
    caller's own bucket list (ListBuckets, filtered by name). Without s3:ListAllMyBuckets the
    ExpectedBucketOwner check that AWS enforces on every call is the one that counts."""
    from botocore.exceptions import ClientError

    try:
        resp = retry(lambda: aws.client("s3").list_buckets(Prefix=bucket, MaxBuckets=1000))
    except ClientError:
        return
    if bucket not in {b.get("Name") for b in resp.get("Buckets", [])}:
        raise _foreign_bucket(bucket, owner)


def stage_artifact(aws: AwsSession, *, bucket: str | None, account: str, key: str, body: bytes,
                   sha256: str) -> dict[str, str]:
    """Upload a zip for Lambda to fetch: to ``bucket`` (the user's), or else to lambdactl's own
    artifacts bucket, which must be ours (``ExpectedBucketOwner`` on every call). S3 checks the
    body against ``sha256`` (the zip's CodeSha256). Returns the S3Bucket/S3Key parameters."""
    own = not bucket
    bucket = bucket or artifact_bucket_name(account, aws.region)
    owner = account if own else None
    ensure_bucket(aws, bucket, create=own, owner=owner)
    expect = {"ExpectedBucketOwner": owner} if owner else {}
    retry(lambda: aws.client("s3").put_object(Bucket=bucket, Key=key, Body=body, ChecksumSHA256=sha256,
                                              **expect))
    return {"S3Bucket": bucket, "S3Key": key}


def check_code_sha256(what: str, reported: str | None, local: str, params: dict[str, Any], *,
                      left: str, hint: str = "check who can write to that bucket, then deploy again; nothing "
                                             "after this step (configuration, publish, alias) was applied") -> None:
    """Lambda's CodeSha256 must be the local build's: otherwise the zip was changed between our
    upload and Lambda's fetch (e.g. in the S3 bucket). ``left``: what AWS now has, said so."""
    if not reported or reported == local:
        return
    where = f" (fetched from s3://{params['S3Bucket']}/{params['S3Key']})" if params.get("S3Bucket") else ""
    raise OperationError(f"{what}: Lambda reports CodeSha256 {reported}{where}, but the local package is "
                         f"{local}: the code was changed after upload; {left}", hint=hint)


def _code_params(ctx: DeployContext, pkg, spec: FunctionSpec) -> dict[str, Any]:
    """The Code / UpdateFunctionCode parameters: ZipFile, or an S3 object for big zips."""
    if spec.package_type == "Image":
        return {"ImageUri": spec.image_uri}
    body = pkg.data if pkg.data is not None else Path(pkg.path).read_bytes()
    if pkg.size <= direct_upload_limit():
        return {"ZipFile": body}
    import base64

    key = f"lambdactl/{ctx.function_name}/{base64.b64decode(pkg.sha256).hex()}.zip"
    return stage_artifact(ctx.aws, bucket=spec.s3_bucket or None, account=_account_of(ctx), key=key,
                          body=body, sha256=pkg.sha256)


def _upload_route(ctx: DeployContext, pkg, spec: FunctionSpec) -> str:
    if spec.package_type == "Image" or pkg is None:
        return "image"
    if pkg.size <= direct_upload_limit():
        return "direct"
    if ctx.current is not None:
        account = _account_of(ctx)
    else:
        role = ctx.state.get("role_arn") or ""
        account = role.split(":")[4] if role.count(":") >= 5 and role.split(":")[4] else "<account>"
    bucket = spec.s3_bucket or artifact_bucket_name(account, ctx.aws.region)
    return f"s3://{bucket}"


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


# --- the planners --------------------------------------------------------------------------

def _spec(ctx: DeployContext) -> FunctionSpec:
    spec = ctx.options.get("spec")
    if spec is None:
        spec = spec_from_project(ctx.project)
        ctx.options["spec"] = spec
    return spec


def _show(ctx: DeployContext) -> bool:
    return bool(ctx.options.get("show_secrets"))


def _mask_value(ctx: DeployContext, key: str, value: Any) -> Any:
    return mask_value(key, value, _show(ctx))


def plan_role(ctx: DeployContext) -> list[Step]:
    """The execution role: a given ARN is used as is; an empty one means the auto role."""
    from lambdactl.core.model.naming import short_name
    from lambdactl.core.resources.roles import auto_role_name, check_reused_role, create_role, get_role, role_name_from_arn

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
    from lambdactl.output import human_bytes

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
    from lambdactl.core.build.layers import resolve_pending

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
    if ctx.current is not None:
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


# (area, planner or (module, attr) imported when a deploy plans); the order is the deploy order.
PLANNERS: list[tuple[str, Any]] = [
    ("layers", ("lambdactl.core.build.layers", "plan_layer_builds")),
    ("role", plan_role),
    ("code", plan_code),
    ("configuration", plan_configuration),
    ("publish", plan_publish),
    ("aliases", ("lambdactl.core.resources.aliases", "plan_aliases")),
    ("triggers", ("lambdactl.core.resources.triggers", "plan_triggers")),
    ("concurrency", ("lambdactl.core.resources.concurrency", "plan_concurrency")),
    ("async", ("lambdactl.core.resources.asyncconfig", "plan_async")),
]
CODE_ONLY_AREAS = {"role", "code", "publish", "aliases"}
FUNCTION_AREAS = {"role", "code", "configuration", "publish"}    # the function itself (this module)
ALL_AREAS = tuple(p[0] for p in PLANNERS)


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
        ctx.current = got.get("Configuration")
        ctx.state["tags"] = got.get("Tags") or {}
        ctx.state["code"] = got.get("Code") or {}
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
