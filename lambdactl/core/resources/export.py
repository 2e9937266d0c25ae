"""``lambdactl export``: a CloudFormation or SAM template for a live function and its wiring.

Reads the function's configuration, aliases, event source mappings, EventBridge rules targeting
it, SNS subscriptions, URL config, async config and reserved concurrency, and writes a JSON
template (valid YAML too) that cfn-lint accepts. Code comes from parameters (S3 bucket/key for
CloudFormation, a CodeUri directory for SAM).
"""
from __future__ import annotations

import json
import re
from typing import Any

from lambdactl.aws import AwsSession
from lambdactl.core.resources.functions import list_aliases, list_event_source_mappings, require_configuration
from lambdactl.errors import UsageError

FORMATS = ("sam", "cloudformation")


def _logical(prefix: str, text: str) -> str:
    cleaned = "".join(ch for ch in re.sub(r"[^A-Za-z0-9]+", " ", text).title() if ch.isalnum())
    return (prefix + cleaned)[:255] or prefix


def collect(aws: AwsSession, name: str) -> dict:
    """The live state export needs (plain data)."""
    from botocore.exceptions import ClientError

    cfg = require_configuration(aws, name)
    fname = cfg["FunctionName"]
    arn = cfg["FunctionArn"]
    lam = aws.client("lambda")
    state: dict[str, Any] = {"config": cfg, "aliases": list_aliases(aws, fname),
                             "mappings": list_event_source_mappings(aws, fname)}
    try:
        state["reserved"] = lam.get_function_concurrency(FunctionName=fname).get("ReservedConcurrentExecutions")
    except ClientError:
        state["reserved"] = None
    try:
        state["url"] = lam.get_function_url_config(FunctionName=fname)
    except ClientError:
        state["url"] = None
    try:
        state["async"] = lam.get_function_event_invoke_config(FunctionName=fname)
    except ClientError:
        state["async"] = None
    rules = []
    try:
        ev = aws.client("events")
        for rule_name in ev.list_rule_names_by_target(TargetArn=arn).get("RuleNames", []):
            rule = ev.describe_rule(Name=rule_name)
            targets = ev.list_targets_by_rule(Rule=rule_name).get("Targets", [])
            rules.append({"rule": rule, "target": next((t for t in targets if t.get("Arn", "").startswith(arn)), {})})
    except ClientError:
        pass
    state["rules"] = rules
    subs = []
    try:
        sns = aws.client("sns")
        for page in sns.get_paginator("list_subscriptions").paginate():
            for s in page.get("Subscriptions", []):
                if s.get("Protocol") == "lambda" and s.get("Endpoint", "").startswith(arn):
                    subs.append(s)
    except ClientError:
        pass
    state["subscriptions"] = subs
    return state


def build_template(state: dict, fmt: str, code_uri: str = "src/") -> dict:
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint="use --format sam or --format cloudformation")
    cfg = state["config"]
    name = cfg["FunctionName"]
    fn_id = _logical("Function", name)
    sam = fmt == "sam"
    props: dict[str, Any] = {"FunctionName": name}
    params: dict[str, Any] = {}
    if cfg.get("PackageType") == "Image":
        props["PackageType"] = "Image"
        if sam:
            props["ImageUri"] = cfg.get("ImageUri") or {"Ref": "ImageUri"}
        else:
            props["Code"] = {"ImageUri": {"Ref": "ImageUri"}}
        params["ImageUri"] = {"Type": "String", "Description": "ECR image URI"}
    else:
        props["Runtime"] = cfg.get("Runtime")
        props["Handler"] = cfg.get("Handler")
        if sam:
            props["CodeUri"] = code_uri
        else:
            params["CodeS3Bucket"] = {"Type": "String", "Description": "Bucket holding the deployment zip"}
            params["CodeS3Key"] = {"Type": "String", "Description": "Key of the deployment zip"}
            props["Code"] = {"S3Bucket": {"Ref": "CodeS3Bucket"}, "S3Key": {"Ref": "CodeS3Key"}}
    props["Role"] = cfg["Role"]
    props["MemorySize"] = cfg.get("MemorySize", 128)
    props["Timeout"] = cfg.get("Timeout", 3)
    arch = cfg.get("Architectures") or ["x86_64"]
    props["Architectures"] = arch
    if cfg.get("Description"):
        props["Description"] = cfg["Description"]
    es = (cfg.get("EphemeralStorage") or {}).get("Size")
    if es and es != 512:
        props["EphemeralStorage"] = {"Size": es}
    env = (cfg.get("Environment") or {}).get("Variables")
    if env:
        props["Environment"] = {"Variables": env}
    layers = [layer["Arn"] for layer in cfg.get("Layers", [])]
    if layers:
        props["Layers"] = layers
    tracing = (cfg.get("TracingConfig") or {}).get("Mode")
    if tracing and tracing != "PassThrough":
        props["Tracing" if sam else "TracingConfig"] = tracing if sam else {"Mode": tracing}
    if cfg.get("KMSKeyArn"):
        props["KmsKeyArn"] = cfg["KMSKeyArn"]
    vpc = cfg.get("VpcConfig") or {}
    if vpc.get("SubnetIds"):
        props["VpcConfig"] = {"SubnetIds": vpc["SubnetIds"], "SecurityGroupIds": vpc.get("SecurityGroupIds", [])}
    dlq = (cfg.get("DeadLetterConfig") or {}).get("TargetArn")
    if dlq:
        if sam:
            props["DeadLetterQueue"] = {"Type": "SQS" if ":sqs:" in dlq else "SNS", "TargetArn": dlq}
        else:
            props["DeadLetterConfig"] = {"TargetArn": dlq}
    if state.get("reserved") is not None:
        props["ReservedConcurrentExecutions"] = state["reserved"]
    resources: dict[str, Any] = {}
    fn_ref = {"Ref": fn_id}
    fn_arn = {"Fn::GetAtt": [fn_id, "Arn"]}

    events: dict[str, Any] = {}
    for m in state.get("mappings", []):
        src = m.get("EventSourceArn", "")
        kind = src.split(":")[2] if src.count(":") >= 2 else ""
        ev_type = {"sqs": "SQS", "kinesis": "Kinesis", "dynamodb": "DynamoDB"}.get(kind)
        if not ev_type:
            continue
        # SAM: an event of the function; CloudFormation: its own EventSourceMapping resource.
        p: dict[str, Any] = ({("Queue" if ev_type == "SQS" else "Stream"): src} if sam else
                             {"EventSourceArn": src, "FunctionName": fn_ref})
        p.update({"BatchSize": m.get("BatchSize", 10), "Enabled": m.get("State") != "Disabled"})
        if ev_type != "SQS":
            p["StartingPosition"] = m.get("StartingPosition", "LATEST")
        if m.get("MaximumBatchingWindowInSeconds"):
            p["MaximumBatchingWindowInSeconds"] = m["MaximumBatchingWindowInSeconds"]
        if sam:
            events[_logical(ev_type, src.split(":")[-1])] = {"Type": ev_type, "Properties": p}
        else:
            resources[_logical("Mapping", src.split(":")[-1])] = {"Type": "AWS::Lambda::EventSourceMapping", "Properties": p}
    for r in state.get("rules", []):
        rule = r["rule"]
        rid = _logical("Rule", rule["Name"])
        target_input = (r.get("target") or {}).get("Input")
        if sam:
            if rule.get("ScheduleExpression"):
                ev = {"Type": "Schedule", "Properties": {"Schedule": rule["ScheduleExpression"], "Name": rule["Name"]}}
            else:
                ev = {"Type": "EventBridgeRule", "Properties": {"Pattern": json.loads(rule.get("EventPattern") or "{}")}}
                if rule.get("EventBusName") and rule["EventBusName"] != "default":
                    ev["Properties"]["EventBusName"] = rule["EventBusName"]
            if target_input:
                ev["Properties"]["Input"] = target_input
            events[rid] = ev
        else:
            p = {"Name": rule["Name"], "State": rule.get("State", "ENABLED"),
                 "Targets": [{"Arn": fn_arn, "Id": (r.get("target") or {}).get("Id") or "lambdactl"}]}
            if target_input:
                p["Targets"][0]["Input"] = target_input
            if rule.get("ScheduleExpression"):
                p["ScheduleExpression"] = rule["ScheduleExpression"]
            else:
                p["EventPattern"] = json.loads(rule.get("EventPattern") or "{}")
            if rule.get("EventBusName") and rule["EventBusName"] != "default":
                p["EventBusName"] = rule["EventBusName"]
            resources[rid] = {"Type": "AWS::Events::Rule", "Properties": p}
            resources[rid + "Permission"] = {"Type": "AWS::Lambda::Permission", "Properties": {
                "Action": "lambda:InvokeFunction", "FunctionName": fn_ref, "Principal": "events.amazonaws.com",
                "SourceArn": {"Fn::GetAtt": [rid, "Arn"]}}}
    for s in state.get("subscriptions", []):
        topic = s["TopicArn"]
        sid = _logical("Topic", topic.split(":")[-1])
        if sam:
            events[sid] = {"Type": "SNS", "Properties": {"Topic": topic}}
        else:
            resources[sid + "Subscription"] = {"Type": "AWS::SNS::Subscription", "Properties": {
                "Protocol": "lambda", "TopicArn": topic, "Endpoint": fn_arn}}
            resources[sid + "Permission"] = {"Type": "AWS::Lambda::Permission", "Properties": {
                "Action": "lambda:InvokeFunction", "FunctionName": fn_ref, "Principal": "sns.amazonaws.com",
                "SourceArn": topic}}
    url = state.get("url")
    if url:
        url_props: dict[str, Any] = {"AuthType": url.get("AuthType", "AWS_IAM")}
        if url.get("Cors"):
            url_props["Cors"] = url["Cors"]
        if sam:
            props["FunctionUrlConfig"] = url_props
        else:
            resources[fn_id + "Url"] = {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": fn_arn, **url_props}}
            if url_props["AuthType"] == "NONE":
                resources[fn_id + "UrlPermission"] = {"Type": "AWS::Lambda::Permission", "Properties": {
                    "Action": "lambda:InvokeFunctionUrl", "FunctionName": fn_ref, "Principal": "*",
                    "FunctionUrlAuthType": "NONE"}}
    asy = state.get("async")
    if asy:
        a_props: dict[str, Any] = {}
        if asy.get("MaximumRetryAttempts") is not None:
            a_props["MaximumRetryAttempts"] = asy["MaximumRetryAttempts"]
        if asy.get("MaximumEventAgeInSeconds") is not None:
            a_props["MaximumEventAgeInSeconds"] = asy["MaximumEventAgeInSeconds"]
        dest = asy.get("DestinationConfig") or {}
        dest = {k: v for k, v in dest.items() if (v or {}).get("Destination")}
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
    aliases = state.get("aliases", [])
    if any(a["FunctionVersion"] != "$LATEST" for a in aliases):
        resources[version_id] = {"Type": "AWS::Lambda::Version", "Properties": {
            "FunctionName": fn_ref, "Description": "published by this stack (exported by lambdactl)"}}
    for a in aliases:
        aid = _logical("Alias", a["Name"])
        pinned = a["FunctionVersion"] != "$LATEST"
        p = {"FunctionName": fn_ref,
             "FunctionVersion": {"Fn::GetAtt": [version_id, "Version"]} if pinned else "$LATEST",
             "Name": a["Name"]}
        from lambdactl.core.resources.aliases import user_description

        description = user_description(a.get("Description"))   # without lambdactl's rollback record
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
    return build_template(collect(aws, name), fmt, code_uri)
