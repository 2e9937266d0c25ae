"""Glue between the sandbox and the local runner: a moto function version → a FunctionSpec."""
from __future__ import annotations

from pathlib import Path

from lambdactl.core.local_runner import FunctionSpec


def spec_for(fn, version: str, code_dir: Path, endpoint: str | None = None) -> FunctionSpec:
    """The execution environment of one moto ``LambdaFunction`` version."""
    env = dict(fn.environment_vars or {})
    if endpoint:
        # Handlers that call AWS reach the sandbox, never a real account.
        env.setdefault("AWS_ENDPOINT_URL", endpoint)
        env.setdefault("AWS_ACCESS_KEY_ID", "test")
        env.setdefault("AWS_SECRET_ACCESS_KEY", "test")
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
    )
