"""``lambdactl info``: the record of a function's live state, read by the one reader
(:func:`lambdactl.core.resources.reader.read_function`). Outside ``functions.py`` because the reader
itself builds on ``functions`` (no import cycle).
"""
from __future__ import annotations

from lambdactl.aws import AwsSession
from lambdactl.core.resources.functions import _not_found
from lambdactl.secrets import mask_env


INFO_AREAS = ("config", "versions", "aliases", "concurrency", "triggers", "permissions")


def get_info(aws: AwsSession, name: str, qualifier: str | None = None, *, show_secrets: bool = False) -> dict:
    """``info``: the record of :func:`info_record` for the function's live state (the one reader)."""
    from lambdactl.core.resources.reader import read_function

    state = read_function(aws, name, INFO_AREAS, qualifier=qualifier)
    if state is None:
        raise _not_found(f"{name}:{qualifier}" if qualifier else name)
    return info_record(state, show_secrets=show_secrets)


def info_record(state, *, show_secrets: bool = False) -> dict:
    """Configuration, versions count, aliases, reserved concurrency, triggers count, URL."""
    cfg, code = state.configuration, state.code
    url = state.url
    return {
        "name": state.name,
        "arn": cfg.arn,
        "runtime": cfg.runtime,
        "handler": cfg.handler,
        "package_type": code.package_type,
        "architecture": cfg.architecture,
        "memory": cfg.memory,
        "timeout": cfg.timeout,
        "ephemeral_storage": cfg.ephemeral_storage,
        "role": cfg.role,
        "description": cfg.description,
        "state": cfg.state or "Active",
        "last_update_status": cfg.last_update_status or "Successful",
        "last_modified": cfg.last_modified,
        "code_sha256": code.sha256,
        "code_size": code.size,
        "version": cfg.version,
        "layers": cfg.layer_arns,
        "environment": mask_env(cfg.environment, show_secrets),
        "tracing": cfg.tracing,
        "kms_key": cfg.kms_key,
        "vpc": ({"subnets": list(cfg.vpc.subnets), "security_groups": list(cfg.vpc.security_groups)}
                if cfg.vpc is not None else None),
        "dead_letter": cfg.dead_letter,
        "versions": len(state.versions or ()),
        "aliases": [{"name": a.name, "version": a.version, "weights": dict(a.weights)} for a in state.aliases or ()],
        "reserved_concurrency": state.concurrency.reserved if state.concurrency is not None else None,
        "triggers": len(state.triggers or ()),
        "url": url.url if url is not None else None,
    }
