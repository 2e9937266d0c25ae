"""The model of a function's whole state (issue 18): pure dataclasses, no AWS.

See :mod:`lambdactl.core.model.state`. The one reader that fills it from AWS is
:func:`lambdactl.core.resources.read_function`.
"""
from lambdactl.core.model.state import (MAPPING_KINDS, TRIGGER_TYPES, Alias, Areas, AsyncConfig, CodeIdentity,
                                        Concurrency, Configuration, Cors, EventBridgeTrigger, FunctionState,
                                        Layer, MappingTrigger, Permission, Provisioned, RuleTrigger, S3Trigger,
                                        ScheduleTrigger, SnsTrigger, Trigger, UrlTrigger, Version, Vpc)

__all__ = ["MAPPING_KINDS", "TRIGGER_TYPES", "Alias", "Areas", "AsyncConfig", "CodeIdentity", "Concurrency",
           "Configuration", "Cors", "EventBridgeTrigger", "FunctionState", "Layer", "MappingTrigger",
           "Permission", "Provisioned", "RuleTrigger", "S3Trigger", "ScheduleTrigger", "SnsTrigger", "Trigger",
           "UrlTrigger", "Version", "Vpc"]
