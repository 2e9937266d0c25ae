"""Small fidelity fixes applied to moto where it deviates from AWS in ways lambdactl relies on.

Used by the sandbox (and by the test harness, which runs the same emulator). Each fix makes moto
behave as the AWS API documents; none of them changes what lambdactl sends.

- UpdateFunctionConfiguration accepts TracingConfig, EphemeralStorage, KMSKeyArn and
  DeadLetterConfig on AWS; moto 5.2 ignores them (and never returns DeadLetterConfig), and it
  ignores Architectures on UpdateFunctionCode.
- PutFunctionEventInvokeConfig *replaces* the function's event invoke config on AWS; moto 5.2
  appends to a list and GetFunctionEventInvokeConfig returns the first entry, so a second put is
  invisible.
- GetEventSourceMapping / ListEventSourceMappings return StartingPositionTimestamp on AWS (for an
  AT_TIMESTAMP mapping); moto 5.2 stores it but never returns it.
- Invoke on the Docker-less backend echoes the payload even for a function that does not exist,
  and moto ignores the Qualifier query parameter; AWS answers ResourceNotFoundException (404)
  for a missing function, version or alias.
- PublishVersion numbers the new version ``len(versions) + 1``, so after deleting versions moto
  hands out a number again (``4 3 3 2``). AWS never reuses a version number while the function
  exists: the next number is one more than the highest ever published (a function deleted and
  created again starts over at 1).
"""
from __future__ import annotations

_applied = False
# Set by the sandbox: where GetFunction's Code.Location points (the sandbox serves the zip there,
# as AWS serves it from a pre-signed S3 URL). None: moto's own (unreachable) location.
CODE_BASE_URL: str | None = None


def apply() -> None:
    global _applied
    if _applied:
        return
    try:
        from moto.awslambda.models import EventInvokeConfig, LambdaBackend, LambdaFunction
    except ImportError:  # pragma: no cover - moto not installed
        return

    orig_update_configuration = LambdaFunction.update_configuration
    orig_update_code = LambdaFunction.update_function_code
    orig_get_configuration = LambdaFunction.get_configuration

    def update_configuration(self, config_updates):
        for key, value in config_updates.items():
            if key == "TracingConfig":
                self.tracing_config = value
            elif key == "EphemeralStorage":
                self.ephemeral_storage = value.get("Size", 512)
            elif key == "KMSKeyArn":
                self.kms_key_arn = value or None
            elif key == "DeadLetterConfig":
                self._lambdactl_dlq = value.get("TargetArn") or None
        return orig_update_configuration(self, config_updates)

    def update_function_code(self, updated_spec):
        if updated_spec.get("Architectures"):
            self.architectures = list(updated_spec["Architectures"])
        return orig_update_code(self, updated_spec)

    def get_configuration(self, on_create=False):
        config = orig_get_configuration(self, on_create)
        dlq = getattr(self, "_lambdactl_dlq", None)
        if dlq:
            config["DeadLetterConfig"] = {"TargetArn": dlq}
        return config

    orig_init = LambdaFunction.__init__

    def __init__(self, account_id, spec, region, version=1):
        orig_init(self, account_id, spec, region, version)
        self._lambdactl_dlq = (spec.get("DeadLetterConfig") or {}).get("TargetArn") or None

    LambdaFunction.__init__ = __init__

    orig_get_code = LambdaFunction.get_code

    def get_code(self):
        resp = orig_get_code(self)
        code = resp.get("Code") or {}
        if CODE_BASE_URL and code.get("RepositoryType") == "S3":
            from urllib.parse import quote

            code["Location"] = (f"{CODE_BASE_URL}/_lambdactl/code/{self.account_id}/{self.region}/"
                                f"{quote(self.function_name)}/{quote(str(self.version))}")
        return resp

    LambdaFunction.get_code = get_code
    LambdaFunction.update_configuration = update_configuration
    LambdaFunction.update_function_code = update_function_code
    LambdaFunction.get_configuration = get_configuration

    def put_function_event_invoke_config(self, function_name, config):
        fn = self.get_function(function_name)
        event_config = EventInvokeConfig(fn.function_arn, fn.last_modified, config)
        fn.event_invoke_config = [event_config]
        return event_config.response()

    LambdaBackend.put_function_event_invoke_config = put_function_event_invoke_config

    from moto.awslambda.models import EventSourceMapping

    orig_esm_configuration = EventSourceMapping.get_configuration

    def esm_configuration(self):
        config = orig_esm_configuration(self)
        if getattr(self, "starting_position_timestamp", None) is not None:
            config["StartingPositionTimestamp"] = self.starting_position_timestamp
        return config

    EventSourceMapping.get_configuration = esm_configuration

    _patch_version_numbers()

    try:
        from moto.awslambda.responses import LambdaResponse
    except ImportError:  # pragma: no cover
        LambdaResponse = None
    if LambdaResponse is not None:
        orig_response_invoke = LambdaResponse.invoke

        def response_invoke(self):
            from urllib.parse import unquote

            name = unquote(self.path.rsplit("/", 2)[-2])
            qualifier = (self.querystring.get("Qualifier") or [None])[0]
            self.backend.get_function(name, qualifier)  # UnknownFunctionException (404) if missing
            return orig_response_invoke(self)

        LambdaResponse.invoke = response_invoke
    _applied = True


def _patch_version_numbers() -> None:
    """PublishVersion: the next number after the highest ever published (moto: len + 1)."""
    import copy

    from moto.awslambda.models import LambdaStorage

    def publish_version(self, name_or_arn, description=""):
        function = self.get_function_by_name_or_arn_forbid_qualifier(name_or_arn)
        name = function.function_name
        entry = self._functions.get(name)
        if not entry or not entry["latest"]:
            return None
        all_versions = entry["versions"]
        if all_versions and not function.code_or_config_updated:
            return all_versions[-1]          # nothing changed: the newest version (as moto and AWS do)
        function.code_or_config_updated = False
        # The entry lives as long as the function: deleting the function resets the numbering.
        highest = max([int(entry.get("lambdactl_highest_version", 0))] + [int(v.version) for v in all_versions])
        new_version = highest + 1
        entry["lambdactl_highest_version"] = new_version
        fn = copy.copy(entry["latest"])
        fn.set_version(new_version)
        if description:
            fn.description = description
        all_versions.append(fn)
        self._arns[fn.function_arn] = fn
        return fn

    LambdaStorage.publish_version = publish_version
