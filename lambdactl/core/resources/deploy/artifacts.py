"""The code to deploy: building or loading the zip, the artifacts bucket, and how the zip reaches
Lambda (direct upload or staged in S3), with the CodeSha256 check."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lambdactl.aws import AwsSession, error_code, retry
from lambdactl.core.resources.deploy.spec import FunctionSpec, check_zip_file
from lambdactl.core.resources.plan import DeployContext
from lambdactl.errors import NotFoundError, OperationError

MB = 1024 * 1024
DIRECT_UPLOAD_LIMIT = 50 * MB          # larger zips go through S3

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
