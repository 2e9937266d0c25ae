"""Glue between the sandbox and the local runner: a moto function version → a FunctionSpec."""
from __future__ import annotations

from pathlib import Path

from lambdactl.core.run.local_runner import FunctionSpec


def spec_for(fn, version: str, code_dir: Path, endpoint: str | None = None) -> FunctionSpec:
    """The execution environment of one moto ``LambdaFunction`` version."""
    env = dict(fn.environment_vars or {})
    arn = fn.function_arn if version == "$LATEST" else f"{fn.function_arn}:{version}"
    return FunctionSpec(
        code_dir=code_dir,
        handler=fn.handler or "lambda_function.lambda_handler",
        function_name=fn.function_name,
        memory_mb=int(fn.memory_size or 128),
        timeout_s=float(fn.timeout or 3),
        environment=env,
        version=str(version),
        region=fn.region,
        account_id=fn.account_id,
        runtime=fn.run_time,
        invoked_arn=arn,
        # Handlers that call AWS reach the sandbox with test credentials, never a real account
        # (nor the credentials of the shell the sandbox was started from).
        aws_environment=handler_aws_environment(endpoint),
    )


def handler_aws_environment(endpoint: str | None) -> dict[str, str]:
    """The AWS settings a handler run by (or for) the sandbox gets: its endpoint, test credentials."""
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


def local_aws_environment(settings=None) -> dict[str, str] | None:
    """For ``invoke --local``: with ``--sandbox`` (or LAMBDACTL_SANDBOX) the handler gets the running
    sandbox's endpoint and test credentials only; otherwise None (the caller's own, as sam local)."""
    import os

    from lambdactl.settings import current

    s = settings or current()
    if not (s.sandbox or os.environ.get("LAMBDACTL_SANDBOX", "") not in ("", "0")):
        return None
    from lambdactl.aws import sandbox_endpoint

    return handler_aws_environment(sandbox_endpoint())
