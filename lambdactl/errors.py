"""One exception hierarchy for lambdactl, and the ONE place failures become exit codes.

Core code raises these (never ``sys.exit``/``typer.Exit``). ``lambdactl.cli.app`` catches
``LambdactlError`` (and the botocore/click/KeyboardInterrupt cases, via :func:`translate`) and
prints ``error: ...`` / ``hint: ...`` on stderr, then exits with :attr:`exit_code`.
"""
from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    NOT_FOUND = 3
    FUNCTION_ERROR = 4
    CHANGES_PENDING = 5
    INTERRUPTED = 130


class LambdactlError(Exception):
    """Base error: a one-line message, an optional hint, and an exit code."""

    exit_code: int = ExitCode.FAILED

    def __init__(self, message: str, hint: str | None = None, *, exit_code: int | None = None,
                 applied: list[str] | None = None, not_applied: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code
        # For multi-step operations: what was done before the failure, and what was not.
        self.applied = applied or []
        self.not_applied = not_applied or []

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class UsageError(LambdactlError):
    """Bad flag, bad value, invalid JSON, invalid project file: exit 2, before any AWS call."""
    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """The project file is missing, malformed or out of range."""


class NotFoundError(LambdactlError):
    """A function, alias, version, log group or trigger does not exist: exit 3."""
    exit_code = ExitCode.NOT_FOUND


class OperationError(LambdactlError):
    """An AWS operation failed (after retries), a timeout, an unresolved conflict: exit 1."""
    exit_code = ExitCode.FAILED


class FunctionError(LambdactlError):
    """The function ran and returned an error: exit 4."""
    exit_code = ExitCode.FUNCTION_ERROR


class ChangesPending(LambdactlError):
    """``--exit-code`` and changes are pending: exit 5."""
    exit_code = ExitCode.CHANGES_PENDING


class Interrupted(LambdactlError):
    """Ctrl-C: exit 130."""
    exit_code = ExitCode.INTERRUPTED


# --- translation of foreign exceptions -------------------------------------------------------

_NOT_FOUND_CODES = {
    "ResourceNotFoundException", "NoSuchEntity", "NoSuchBucket", "NoSuchKey",
    "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NotFoundException",
    "NotFound", "NoSuchEntityException",
}
_ACCESS_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
                 "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken",
                 "ExpiredTokenException", "AuthorizationError"}
_THROTTLE_CODES = {"TooManyRequestsException", "ThrottlingException", "Throttling",
                   "RequestLimitExceeded", "SlowDown"}
_BAD_INPUT_CODES = {"InvalidParameterValueException", "ValidationException",
                    "InvalidRequestContentException", "RequestTooLargeException",
                    "InvalidParameterException", "MalformedPolicyDocument", "InvalidArgument"}


def _iam_action(service: str, operation: str) -> str:
    prefix = {"cloudwatch logs": "logs", "logs": "logs", "eventbridge": "events",
              "events": "events", "lambda": "lambda", "s3": "s3", "iam": "iam", "sqs": "sqs",
              "sns": "sns", "sts": "sts"}.get(service.lower(), service.lower())
    return f"{prefix}:{operation}"


def translate_client_error(exc, what: str | None = None) -> LambdactlError:
    """Turn a botocore ``ClientError`` into a :class:`LambdactlError` with a hint."""
    err = getattr(exc, "response", {}).get("Error", {}) or {}
    code = err.get("Code", "") or ""
    message = _masked((err.get("Message") or str(exc)).strip())
    operation = getattr(exc, "operation_name", "") or ""
    # Set by lambdactl.aws on every error response from our clients.
    service = (getattr(exc, "response", {}).get("ResponseMetadata", {}) or {}).get("ServiceName") or "lambda"
    status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _NOT_FOUND_CODES or status == 404 and code not in _ACCESS_CODES:
        subject = what or _subject_from_message(message)
        msg = f"not found: {subject}" if subject else f"not found ({operation}): {message}"
        return NotFoundError(msg, hint="check the name, the region (--region) and the account (--profile)")
    if code in _ACCESS_CODES:
        action = _iam_action(service, operation) if operation else "the required action"
        return OperationError(f"access denied ({operation or code}): {message}",
                              hint=f"your credentials need the IAM permission {action}")
    if code in _THROTTLE_CODES:
        return OperationError(f"AWS throttled {operation or 'the request'} and retries ran out: {message}",
                              hint="wait a moment and re-run; re-running is safe")
    if code == "ResourceConflictException":
        return OperationError(f"conflict ({operation}): {message}",
                              hint="another update may still be in progress; re-run in a few seconds")
    if code in _BAD_INPUT_CODES:
        return OperationError(f"AWS rejected {operation or 'the request'}: {message}",
                              hint=None)
    return OperationError(f"{operation or 'AWS call'} failed: {code}: {message}".replace(": : ", ": "))


def _masked(message: str) -> str:
    """AWS's message with secrets masked (it may echo environment values), unless --show-secrets."""
    from lambdactl.config import mask_text
    from lambdactl.settings import current

    return mask_text(message, current().show_secrets)


def _subject_from_message(message: str) -> str:
    # Lambda: "Function not found: arn:aws:lambda:...:function:name"
    if "not found:" in message.lower():
        return message.split(":", 1)[1].strip() if message.lower().startswith(("function not found", "alias not found")) else message
    return message


def translate(exc: BaseException) -> LambdactlError | None:
    """Map any exception we know how to explain to a :class:`LambdactlError` (else ``None``)."""
    if isinstance(exc, LambdactlError):
        return exc
    if isinstance(exc, KeyboardInterrupt):
        return Interrupted("interrupted")
    if type(exc) is ValueError and str(exc).startswith("Invalid endpoint"):  # raised by botocore
        return UsageError(f"invalid endpoint: {str(exc).split(':', 1)[-1].strip()}",
                          hint="--endpoint-url must look like http://127.0.0.1:4566")
    mod = type(exc).__module__ or ""
    name = type(exc).__name__
    if mod.startswith(("botocore", "boto3")):
        # Modeled errors (botocore.errorfactory.TooManyRequestsException, ...) subclass ClientError.
        if name == "ClientError" or any(c.__name__ == "ClientError" for c in type(exc).__mro__):
            return translate_client_error(exc)
        if name == "NoCredentialsError" or name == "PartialCredentialsError":
            return UsageError("no AWS credentials found",
                              hint="set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE (--profile), "
                                   "or use --sandbox for the local sandbox")
        if name == "NoRegionError":
            return UsageError("no AWS region configured",
                              hint="pass --region or set AWS_REGION (or AWS_DEFAULT_REGION)")
        if name == "ProfileNotFound":
            return UsageError(str(exc), hint="check --profile / AWS_PROFILE against ~/.aws/config")
        if name in ("EndpointConnectionError", "ConnectionClosedError", "ConnectTimeoutError",
                    "ReadTimeoutError", "ProxyConnectionError"):
            return OperationError(_masked(f"could not reach AWS: {exc}"),
                                  hint="check the network, --endpoint-url / AWS_ENDPOINT_URL, or that the sandbox is running")
        if name == "WaiterError":
            return OperationError(f"timed out waiting: {exc}")
        if name == "ParamValidationError":
            return UsageError(f"invalid parameter: {exc}".replace("\n", " "))
        if name == "InvalidEndpointError" or name == "ValueError":
            return UsageError(f"invalid endpoint: {exc}", hint="--endpoint-url must look like http://127.0.0.1:4566")
    return None


# --- hints that change a function's settings ---------------------------------------------------

_SETTING_FLAGS = {"memory": "--memory", "timeout": "--timeout", "ephemeral_storage": "--ephemeral-storage",
                  "environment": "--env"}


def setting_hint(key: str, value: object = "N", function: str | None = None) -> str:
    """How to change a function's ``key`` (memory, timeout, ephemeral_storage, environment) to ``value``.

    Where a project file is in use (./lambdactl.toml, -c or LAMBDACTL_CONFIG) and ``function`` is its
    function (or None), the next ``deploy`` would revert ``lambdactl config``: the hint names the
    project file's key (``memory = 512 in [function] of lambdactl.toml``). Otherwise it is the
    ``config`` command (``lambdactl config fn --memory 512``). For ``environment``, ``value`` is
    ``KEY=VALUE``.
    """
    project = project_file_for(function)
    if project is not None:
        if key == "environment":
            k, _, v = str(value).partition("=")
            return f'{k} = "{v}" in [function.environment] of {project}, then \'lambdactl deploy\''
        return f"{key} = {value} in [function] of {project}, then 'lambdactl deploy'"
    flag = _SETTING_FLAGS.get(key, "--" + key.replace("_", "-"))
    return f"lambdactl config {function or 'FUNCTION'} {flag} {value}"


def project_file_for(function: str | None) -> str | None:
    """The project file (as the user named it) whose function ``function`` is, or None."""
    from pathlib import Path

    from lambdactl import config
    from lambdactl.settings import current

    try:
        path = config.find(current().config_path)
    except Exception:  # noqa: BLE001 - a hint never fails a command
        return None
    if path is None or not path.is_file():
        return None
    display = path.name if path.parent.resolve() == Path.cwd().resolve() else str(path)
    if function:
        from lambdactl.core.model.naming import parse_function_ref, short_name

        try:
            project_function = config.load(path).function.name
            name = short_name(parse_function_ref(function)[0])
        except Exception:  # noqa: BLE001 - an unreadable project file: its key is still the way
            return display
        if name != project_function:
            return None
    return display
