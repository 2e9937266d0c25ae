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
    from lambdactl.secrets import mask_text
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
