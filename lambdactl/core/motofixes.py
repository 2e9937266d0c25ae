"""Small fidelity fixes applied to moto where it deviates from AWS in ways lambdactl relies on.

Used by the sandbox (and by the test harness, which runs the same emulator). Each fix makes moto
behave as the AWS API documents; none of them changes what lambdactl sends.

- PutFunctionEventInvokeConfig *replaces* the function's event invoke config on AWS; moto 5.2
  appends to a list and GetFunctionEventInvokeConfig returns the first entry, so a second put is
  invisible.
"""
from __future__ import annotations

_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    try:
        from moto.awslambda.models import EventInvokeConfig, LambdaBackend
    except ImportError:  # pragma: no cover - moto not installed
        return

    def put_function_event_invoke_config(self, function_name, config):
        fn = self.get_function(function_name)
        event_config = EventInvokeConfig(fn.function_arn, fn.last_modified, config)
        fn.event_invoke_config = [event_config]
        return event_config.response()

    LambdaBackend.put_function_event_invoke_config = put_function_event_invoke_config
    _applied = True
