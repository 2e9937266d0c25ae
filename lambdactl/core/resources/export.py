"""``lambdactl export``: a CloudFormation or SAM template for a live function and its wiring.

The template is built from the function's live state as the one reader reads it
(:func:`lambdactl.core.resources.reader.read_function`, every area): configuration, aliases,
event source mappings with all their settings, EventBridge rules on every bus, SNS
subscriptions, URL config, async config, reserved concurrency and tags. It is JSON (valid YAML
too) that cfn-lint accepts. Code comes from parameters (S3 bucket/key for CloudFormation, a
CodeUri directory for SAM).
"""
from __future__ import annotations

import json
import re
from typing import Any

from lambdactl.aws import AwsSession
from lambdactl.core.model import (Areas, EventBridgeTrigger, FunctionState, MappingTrigger, RuleTrigger,
                                  ScheduleTrigger, SnsTrigger)
from lambdactl.errors import UsageError

FORMATS = ("sam", "cloudformation")
_ESM_TYPES = {"sqs": "SQS", "kinesis": "Kinesis", "dynamodb": "DynamoDB"}


def _logical(prefix: str, text: str) -> str:
    cleaned = "".join(ch for ch in re.sub(r"[^A-Za-z0-9]+", " ", text).title() if ch.isalnum())
    return (prefix + cleaned)[:255] or prefix


def _text(value: Any) -> str:
    """A target's constant input as the string EventBridge takes."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _mapping_properties(m: MappingTrigger, ev_type: str, sam: bool) -> dict[str, Any]:
    """The settings of one event source mapping, in the template's words (SAM event or CFN resource)."""
    p: dict[str, Any] = {"BatchSize": m.batch_size if m.batch_size is not None else 10, "Enabled": m.enabled}
    if ev_type != "SQS":
        p["StartingPosition"] = m.starting_position or "LATEST"
        if m.starting_timestamp and p["StartingPosition"] == "AT_TIMESTAMP":
            p["StartingPositionTimestamp"] = m.starting_timestamp
    if m.window:
        p["MaximumBatchingWindowInSeconds"] = m.window
    if m.filters:
        p["FilterCriteria"] = {"Filters": [{"Pattern": _text(f)} for f in m.filters]}
    if m.function_response_types:
        p["FunctionResponseTypes"] = list(m.function_response_types)
    if m.max_concurrency is not None:
        p["ScalingConfig"] = {"MaximumConcurrency": m.max_concurrency}
    if ev_type != "SQS":
        for key, value in (("BisectBatchOnFunctionError", m.bisect_on_error),
                           ("MaximumRetryAttempts", m.max_retries),
                           ("MaximumRecordAgeInSeconds", m.max_record_age),
                           ("ParallelizationFactor", m.parallelization_factor),
                           ("TumblingWindowInSeconds", m.tumbling_window)):
            if value is not None:
                p[key] = value
        if m.on_failure:
            dest: dict[str, Any] = {"Destination": m.on_failure}
            if sam:
                dest["Type"] = _dest_type(m.on_failure)
            p["DestinationConfig"] = {"OnFailure": dest}
    return p


def build_template(state: FunctionState, fmt: str, code_uri: str = "src/") -> dict:
    """The template for a function's live state (read with every area)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint="use --format sam or --format cloudformation")
    cfg, code = state.configuration, state.code
    name = state.name
    fn_id = _logical("Function", name)
    sam = fmt == "sam"
    props: dict[str, Any] = {"FunctionName": name}
    params: dict[str, Any] = {}
    if code.package_type == "Image":
        props["PackageType"] = "Image"
        if sam:
            props["ImageUri"] = code.image_uri or {"Ref": "ImageUri"}
        else:
            props["Code"] = {"ImageUri": {"Ref": "ImageUri"}}
        params["ImageUri"] = {"Type": "String", "Description": "ECR image URI"}
    else:
        props["Runtime"] = cfg.runtime
        props["Handler"] = cfg.handler
        if sam:
            props["CodeUri"] = code_uri
        else:
            params["CodeS3Bucket"] = {"Type": "String", "Description": "Bucket holding the deployment zip"}
            params["CodeS3Key"] = {"Type": "String", "Description": "Key of the deployment zip"}
            props["Code"] = {"S3Bucket": {"Ref": "CodeS3Bucket"}, "S3Key": {"Ref": "CodeS3Key"}}
    props["Role"] = cfg.role
    props["MemorySize"] = cfg.memory
    props["Timeout"] = cfg.timeout
    props["Architectures"] = [cfg.architecture]
    if cfg.description:
        props["Description"] = cfg.description
    if cfg.ephemeral_storage and cfg.ephemeral_storage != 512:
        props["EphemeralStorage"] = {"Size": cfg.ephemeral_storage}
    if cfg.environment:
        props["Environment"] = {"Variables": dict(cfg.environment)}
    if cfg.layers:
        props["Layers"] = cfg.layer_arns
    if cfg.tracing and cfg.tracing != "PassThrough":
        props["Tracing" if sam else "TracingConfig"] = cfg.tracing if sam else {"Mode": cfg.tracing}
    if cfg.kms_key:
        props["KmsKeyArn"] = cfg.kms_key
    if cfg.vpc is not None:
        props["VpcConfig"] = {"SubnetIds": list(cfg.vpc.subnets), "SecurityGroupIds": list(cfg.vpc.security_groups)}
    dlq = cfg.dead_letter
    if dlq:
        if sam:
            props["DeadLetterQueue"] = {"Type": "SQS" if ":sqs:" in dlq else "SNS", "TargetArn": dlq}
        else:
            props["DeadLetterConfig"] = {"TargetArn": dlq}
    if state.concurrency is not None and state.concurrency.reserved is not None:
        props["ReservedConcurrentExecutions"] = state.concurrency.reserved
    tags = state.user_tags or {}
    if tags:
        props["Tags"] = dict(tags) if sam else [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    resources: dict[str, Any] = {}
    fn_ref = {"Ref": fn_id}
    fn_arn = {"Fn::GetAtt": [fn_id, "Arn"]}

    events: dict[str, Any] = {}
    for m in state.mappings:
        ev_type = _ESM_TYPES.get(m.kind)
        if not ev_type:
            continue
        src = m.source_arn
        # SAM: an event of the function; CloudFormation: its own EventSourceMapping resource.
        p: dict[str, Any] = ({("Queue" if ev_type == "SQS" else "Stream"): src} if sam else
                             {"EventSourceArn": src, "FunctionName": fn_ref})
        p.update(_mapping_properties(m, ev_type, sam))
        if sam:
            events[_logical(ev_type, src.split(":")[-1])] = {"Type": ev_type, "Properties": p}
        else:
            resources[_logical("Mapping", src.split(":")[-1])] = {"Type": "AWS::Lambda::EventSourceMapping",
                                                                  "Properties": p}
    for r in state.triggers_of(ScheduleTrigger.kind, EventBridgeTrigger.kind):
        assert isinstance(r, RuleTrigger)
        rid = _logical("Rule", r.name if r.bus == "default" else f"{r.bus} {r.name}")
        target_input = _text(r.input) if r.input is not None else None
        schedule = r.expression if isinstance(r, ScheduleTrigger) else None
        pattern = r.pattern if isinstance(r, EventBridgeTrigger) else None
        if sam:
            if schedule:
                ev = {"Type": "Schedule", "Properties": {"Schedule": schedule, "Name": r.name}}
            else:
                ev = {"Type": "EventBridgeRule", "Properties": {"Pattern": pattern}}
                if r.bus != "default":
                    ev["Properties"]["EventBusName"] = r.bus
            if target_input:
                ev["Properties"]["Input"] = target_input
            events[rid] = ev
        else:
            p = {"Name": r.name, "State": "ENABLED" if r.enabled else "DISABLED",
                 "Targets": [{"Arn": fn_arn, "Id": r.target_id or "lambdactl"}]}
            if target_input:
                p["Targets"][0]["Input"] = target_input
            if schedule:
                p["ScheduleExpression"] = schedule
            else:
                p["EventPattern"] = pattern
            if r.bus != "default":
                p["EventBusName"] = r.bus
            resources[rid] = {"Type": "AWS::Events::Rule", "Properties": p}
            resources[rid + "Permission"] = {"Type": "AWS::Lambda::Permission", "Properties": {
                "Action": "lambda:InvokeFunction", "FunctionName": fn_ref, "Principal": "events.amazonaws.com",
                "SourceArn": {"Fn::GetAtt": [rid, "Arn"]}}}
    for s in state.triggers_of(SnsTrigger.kind):
        assert isinstance(s, SnsTrigger)
        topic = s.topic
        sid = _logical("Topic", topic.split(":")[-1])
        sub: dict[str, Any] = {}
        if s.filter_policy is not None:
            sub["FilterPolicy"] = s.filter_policy
            if s.filter_policy_scope:
                sub["FilterPolicyScope"] = s.filter_policy_scope
        if sam:
            events[sid] = {"Type": "SNS", "Properties": {"Topic": topic, **sub}}
        else:
            if s.redrive_dlq:
                sub["RedrivePolicy"] = {"deadLetterTargetArn": s.redrive_dlq}
            resources[sid + "Subscription"] = {"Type": "AWS::SNS::Subscription", "Properties": {
                "Protocol": "lambda", "TopicArn": topic, "Endpoint": fn_arn, **sub}}
            resources[sid + "Permission"] = {"Type": "AWS::Lambda::Permission", "Properties": {
                "Action": "lambda:InvokeFunction", "FunctionName": fn_ref, "Principal": "sns.amazonaws.com",
                "SourceArn": topic}}
    url = state.url
    if url is not None:
        url_props: dict[str, Any] = {"AuthType": url.auth}
        mode = (url.invoke_mode or "BUFFERED").upper()      # moto says "Buffered"
        if mode != "BUFFERED":
            url_props["InvokeMode"] = mode
        if url.cors is not None:
            c = url.cors
            cors = {"AllowOrigins": list(c.allow_origins), "AllowMethods": list(c.allow_methods),
                    "AllowHeaders": list(c.allow_headers), "ExposeHeaders": list(c.expose_headers),
                    "MaxAge": c.max_age, "AllowCredentials": c.allow_credentials}
            url_props["Cors"] = {k: v for k, v in cors.items() if v not in (None, [])}
        if sam:
            props["FunctionUrlConfig"] = url_props
        else:
            resources[fn_id + "Url"] = {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": fn_arn, **url_props}}
            if url_props["AuthType"] == "NONE":
                resources[fn_id + "UrlPermission"] = {"Type": "AWS::Lambda::Permission", "Properties": {
                    "Action": "lambda:InvokeFunctionUrl", "FunctionName": fn_ref, "Principal": "*",
                    "FunctionUrlAuthType": "NONE"}}
    asy = state.async_config
    if asy is not None and asy.configured:
        a_props: dict[str, Any] = {}
        if asy.max_retries is not None:
            a_props["MaximumRetryAttempts"] = asy.max_retries
        if asy.max_event_age is not None:
            a_props["MaximumEventAgeInSeconds"] = asy.max_event_age
        dest = {k: {"Destination": v} for k, v in (("OnSuccess", asy.on_success), ("OnFailure", asy.on_failure)) if v}
        if sam:
            ev_cfg = dict(a_props)
            if dest:
                ev_cfg["DestinationConfig"] = {k: {"Type": _dest_type(v["Destination"]), "Destination": v["Destination"]}
                                               for k, v in dest.items()}
            if ev_cfg:
                props["EventInvokeConfig"] = ev_cfg
        else:
            if dest:
                a_props["DestinationConfig"] = dest
            resources[fn_id + "EventInvokeConfig"] = {"Type": "AWS::Lambda::EventInvokeConfig", "Properties": {
                "FunctionName": fn_ref, "Qualifier": "$LATEST", **a_props}}
    if events:
        props["Events"] = events
    resources[fn_id] = {"Type": "AWS::Serverless::Function" if sam else "AWS::Lambda::Function", "Properties": props}
    # A new stack has no published versions: an alias cannot name "3". Publish the stack's code as
    # one AWS::Lambda::Version and point the aliases at it (canary weights to old versions are dropped).
    version_id = fn_id + "Version"
    aliases = state.aliases or ()
    if any(a.version != "$LATEST" for a in aliases):
        resources[version_id] = {"Type": "AWS::Lambda::Version", "Properties": {
            "FunctionName": fn_ref, "Description": "published by this stack (exported by lambdactl)"}}
    from lambdactl.core.resources.aliases import user_description

    for a in aliases:
        aid = _logical("Alias", a.name)
        pinned = a.version != "$LATEST"
        p = {"FunctionName": fn_ref,
             "FunctionVersion": {"Fn::GetAtt": [version_id, "Version"]} if pinned else "$LATEST",
             "Name": a.name}
        description = user_description(a.description)   # without lambdactl's rollback record
        if description:
            p["Description"] = description
        resources[aid] = {"Type": "AWS::Lambda::Alias", "Properties": p}
    tpl: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09"}
    if sam:
        tpl["Transform"] = "AWS::Serverless-2016-10-31"
    tpl["Description"] = f"{name}: exported by lambdactl"
    if params:
        tpl["Parameters"] = params
    tpl["Resources"] = resources
    tpl["Outputs"] = {"FunctionArn": {"Value": fn_arn}}
    return tpl


def _dest_type(arn: str) -> str:
    kind = arn.split(":")[2] if arn.count(":") >= 2 else ""
    return {"sqs": "SQS", "sns": "SNS", "lambda": "Lambda", "events": "EventBridge"}.get(kind, "SQS")


def export(aws: AwsSession, name: str, fmt: str, code_uri: str = "src/") -> dict:
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint="use --format sam or --format cloudformation")
    from lambdactl.core.resources.reader import read_function
    from lambdactl.core.resources.functions import _not_found

    state = read_function(aws, name, Areas.ALL)
    if state is None:
        raise _not_found(name)
    return build_template(state, fmt, code_uri)
