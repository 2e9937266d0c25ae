"""The model of a function's whole state and its ONE reader (issue 18 groundwork), against the moto
server: a function with every kind of trigger and setting is read field by field; the areas not
asked for are not read (calls counted with aws.CALLS); independent reads run concurrently."""
from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import threading

import pytest

from lambdactl.aws import CALLS
from tests.conftest import ACCOUNT, REGION

FN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders"
BUS_RULE_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/orders-bus/orders-created"
PATTERN = {"source": ["orders"], "detail-type": ["Order Created"]}
FILTER = {"body": {"status": ["new"]}}
SNS_FILTER = {"kind": ["order"]}


def _aws():
    from lambdactl.aws import session

    return session()


def _read(*args, **kw):
    from lambdactl.core.resources import read_function

    return read_function(_aws(), *args, **kw)


def _cli(invoke_cli, *args):
    r = invoke_cli(*args, "-o", "json")
    assert r.exit_code == 0, (args, r.stdout, r.stderr, r.exception)
    return r.json()


@pytest.fixture
def world(boto, iam_role, sample_zip, invoke_cli):
    """One function wired with every trigger kind and every setting lambdactl manages."""
    lam, sqs, sns, s3, ev = boto("lambda"), boto("sqs"), boto("sns"), boto("s3"), boto("events")

    def queue(name):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    dlq, in_q, ok_q = queue("orders-dlq"), queue("orders-in"), queue("orders-ok")
    topic = sns.create_topic(Name="orders-events")["TopicArn"]
    fail_topic = sns.create_topic(Name="orders-failed")["TopicArn"]
    layer = lam.publish_layer_version(LayerName="deps", Content={"ZipFile": sample_zip},
                                      CompatibleRuntimes=["python3.12"])["LayerVersionArn"]
    lam.create_function(
        FunctionName="orders", Runtime="python3.12", Role=iam_role, Handler="app.handler",
        Code={"ZipFile": sample_zip}, MemorySize=128, Timeout=20, Description="order intake",
        Architectures=["arm64"], EphemeralStorage={"Size": 1024}, TracingConfig={"Mode": "Active"},
        Environment={"Variables": {"STAGE": "prod", "API_TOKEN": "t0k"}}, Layers=[layer],
        DeadLetterConfig={"TargetArn": dlq}, Tags={"team": "orders", "cost": "42"})
    lam.publish_version(FunctionName="orders", Description="first")
    lam.update_function_configuration(FunctionName="orders", MemorySize=256)
    lam.publish_version(FunctionName="orders", Description="second")
    lam.create_alias(FunctionName="orders", Name="live", FunctionVersion="1", Description="prod traffic",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
    lam.create_alias(FunctionName="orders", Name="beta", FunctionVersion="2")
    lam.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=7)
    lam.put_function_event_invoke_config(
        FunctionName="orders", MaximumRetryAttempts=1, MaximumEventAgeInSeconds=600,
        DestinationConfig={"OnSuccess": {"Destination": ok_q}, "OnFailure": {"Destination": fail_topic}})
    # An SQS mapping with every setting SQS takes (tagged as lambdactl's).
    esm = lam.create_event_source_mapping(
        FunctionName="orders", EventSourceArn=in_q, BatchSize=50, MaximumBatchingWindowInSeconds=5,
        Enabled=False, FunctionResponseTypes=["ReportBatchItemFailures"],
        FilterCriteria={"Filters": [{"Pattern": json.dumps(FILTER)}]},
        ScalingConfig={"MaximumConcurrency": 5}, MetricsConfig={"Metrics": ["EventCount"]},
        Tags={"lambdactl:managed": "true"})
    # S3, schedule and URL the way users add them (lambdactl's ids and permissions).
    s3.create_bucket(Bucket="orders-uploads")
    s3_rec = _cli(invoke_cli, "trigger", "add", "orders", "s3", "--bucket", "orders-uploads",
                  "--events", "s3:ObjectCreated:Put", "--prefix", "in/", "--suffix", ".json")
    sched = _cli(invoke_cli, "trigger", "add", "orders", "schedule", "--expression", "rate(5 minutes)",
                 "--input", '{"job": "sweep"}')
    _cli(invoke_cli, "trigger", "add", "orders", "url", "--auth", "NONE", "--cors-origin", "https://shop.example",
         "--cors-methods", "GET,POST", "--cors-max-age", "300", "--cors-credentials")
    # EventBridge on a custom bus and SNS, wired by hand (not lambdactl's).
    ev.create_event_bus(Name="orders-bus")
    ev.put_rule(Name="orders-created", EventBusName="orders-bus", EventPattern=json.dumps(PATTERN),
                Description="by hand")
    ev.put_targets(Rule="orders-created", EventBusName="orders-bus",
                   Targets=[{"Id": "orders-fn", "Arn": FN_ARN, "Input": '{"from": "bus"}'}])
    lam.add_permission(FunctionName="orders", StatementId="eb-custom", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=BUS_RULE_ARN)
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=FN_ARN,
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                    AttributeValue=json.dumps(SNS_FILTER))
    lam.add_permission(FunctionName="orders", StatementId="sns-orders", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com", SourceArn=topic)
    # A permission no trigger accounts for.
    lam.add_permission(FunctionName="orders", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123/*/GET/orders")
    return {"dlq": dlq, "in_q": in_q, "ok_q": ok_q, "topic": topic, "fail_topic": fail_topic, "layer": layer,
            "esm": esm["UUID"], "sub": sub, "s3_id": s3_rec["id"], "schedule": sched["id"],
            "sha": base64.b64encode(hashlib.sha256(sample_zip).digest()).decode(), "size": len(sample_zip),
            "role": iam_role}


def test_reads_every_field_of_every_area(world):
    """The dead-letter target is read back only with lambdactl's moto fidelity fix (core/run/motofixes.py
    keeps DeadLetterConfig as AWS does; moto 5.2 drops it)."""
    from lambdactl.core.model import (Areas, EventBridgeTrigger, MappingTrigger, S3Trigger, ScheduleTrigger,
                                      SnsTrigger, UrlTrigger)

    st = _read("orders")
    assert st.name == "orders" and st.arn == FN_ARN and st.qualifier is None and st.target_arn == FN_ARN
    assert st.areas == Areas.ALL and st.notes == ()

    c = st.configuration
    assert (c.name, c.arn, c.runtime, c.handler, c.architecture) == ("orders", FN_ARN, "python3.12",
                                                                     "app.handler", "arm64")
    assert (c.memory, c.timeout, c.ephemeral_storage, c.role, c.description) == (256, 20, 1024, world["role"],
                                                                                "order intake")
    assert c.environment == {"STAGE": "prod", "API_TOKEN": "t0k"}
    assert c.masked_environment() == {"STAGE": "prod", "API_TOKEN": "****"}
    assert c.layer_arns == [world["layer"]] and st.layers == c.layers
    assert (c.tracing, c.dead_letter, c.vpc, c.kms_key, c.version) == ("Active", world["dlq"], None, None, "$LATEST")
    assert c.state == "Active" and c.last_modified.endswith("Z")
    assert (st.code.package_type, st.code.sha256, st.code.size) == ("Zip", world["sha"], world["size"])
    assert st.code.location   # adopt downloads from it; never part of a record
    assert st.tags == {"team": "orders", "cost": "42"} and st.user_tags == st.tags

    assert [(v.version, v.description, v.configuration.memory) for v in st.versions] == \
        [("1", "first", 128), ("2", "second", 256)]
    assert st.newest_version.version == "2" and st.versions[0].code.sha256 == world["sha"]
    assert st.versions[0].configuration.environment == {"STAGE": "prod", "API_TOKEN": "t0k"}

    assert [a.name for a in st.aliases] == ["beta", "live"]
    live = st.alias("live")
    assert (live.version, live.weights, live.description) == ("1", {"2": 0.1}, "prod traffic")
    assert live.routes == {"1": 90, "2": 10} and live.canary == ("2", 10)
    assert st.alias("beta").routes == {"2": 100} and st.alias("beta").canary is None
    assert live.arn == f"{FN_ARN}:live"

    assert st.concurrency.reserved == 7
    assert st.concurrency.provisioned is None          # moto lacks the provisioned-concurrency API
    a = st.async_config
    assert (a.max_retries, a.max_event_age, a.on_success, a.on_failure, a.dead_letter, a.configured) == \
        (1, 600, world["ok_q"], world["fail_topic"], world["dlq"], True)

    kinds = [t.kind for t in st.triggers]
    assert kinds == ["sqs", "s3", "schedule", "eventbridge", "sns", "url"]   # rules: default bus first
    (m,) = st.mappings
    assert isinstance(m, MappingTrigger)
    assert (m.uuid, m.source_arn, m.batch_size, m.window, m.enabled) == (world["esm"], world["in_q"], 50, 5, False)
    assert m.function_response_types == ("ReportBatchItemFailures",) and m.report_batch_item_failures
    assert m.filters == (FILTER,) and m.max_concurrency == 5 and m.metrics == ("EventCount",)
    assert m.managed and m.key == f"esm:{world['in_q']}" and m.starting_position is None
    (s3,) = st.triggers_of("s3")
    assert isinstance(s3, S3Trigger)
    assert (s3.bucket, s3.events, s3.prefix, s3.suffix) == ("orders-uploads", ("s3:ObjectCreated:Put",), "in/",
                                                           ".json")
    assert s3.managed and s3.id == s3.key == world["s3_id"]
    (eb,) = st.triggers_of("eventbridge")
    assert isinstance(eb, EventBridgeTrigger)
    assert (eb.name, eb.bus, eb.pattern, eb.input, eb.enabled) == ("orders-created", "orders-bus", PATTERN,
                                                                   {"from": "bus"}, True)
    assert (eb.rule_arn, eb.target_id, eb.description, eb.managed) == (BUS_RULE_ARN, "orders-fn", "by hand", False)
    assert eb.key == "rule:orders-bus/orders-created" and eb.id == "orders-bus/orders-created"
    (sc,) = st.triggers_of("schedule")
    assert isinstance(sc, ScheduleTrigger)
    assert (sc.expression, sc.bus, sc.input, sc.enabled, sc.managed) == ("rate(5 minutes)", "default",
                                                                         {"job": "sweep"}, True, True)
    assert sc.id == world["schedule"] and sc.name.startswith("lambdactl-orders-")
    (sn,) = st.triggers_of("sns")
    assert isinstance(sn, SnsTrigger)
    assert (sn.topic, sn.subscription_arn, sn.filter_policy, sn.pending, sn.managed) == \
        (world["topic"], world["sub"], SNS_FILTER, False, False)
    u = st.url
    assert isinstance(u, UrlTrigger)
    assert (u.auth, u.invoke_mode, u.managed) == ("NONE", "BUFFERED", True) and u.url.startswith("http")
    assert u.cors.allow_origins == ("https://shop.example",) and set(u.cors.allow_methods) == {"GET", "POST"}
    assert (u.cors.max_age, u.cors.allow_credentials) == (300, True)

    perms = {p.statement_id: p for p in st.permissions}
    assert perms["eb-custom"].used_by == eb.key and perms["sns-orders"].used_by == sn.key
    assert perms["apigw"].used_by is None and [p.statement_id for p in st.unwired_permissions()] == ["apigw"]
    mine = [p for p in st.permissions if p.managed]
    assert {p.used_by for p in mine} == {s3.key, sc.key, "url"} and len(mine) == 4   # url: two statements
    s3_perm = next(p for p in mine if p.principal == "s3.amazonaws.com")
    assert (s3_perm.source_arn, s3_perm.source_account) == ("arn:aws:s3:::orders-uploads", ACCOUNT)


def test_to_dict_is_plain_json(world):
    st = _read("orders")
    d = json.loads(json.dumps(st.to_dict()))
    assert d["name"] == "orders" and d["target_arn"] == FN_ARN and "versions" in d and d["notes"] == []
    assert d["areas"] == ["config", "code", "tags", "versions", "aliases", "permissions", "concurrency", "async",
                          "url", "mappings", "s3", "rules", "sns"]
    assert d["configuration"]["environment"]["API_TOKEN"] == "t0k"
    assert d["async"]["on_failure"] == world["fail_topic"] and d["concurrency"]["reserved"] == 7
    assert "location" not in d["code"] and d["code"]["sha256"] == world["sha"]
    assert {t["kind"] for t in d["triggers"]} == {"sqs", "s3", "eventbridge", "schedule", "sns", "url"}
    sqs = next(t for t in d["triggers"] if t["kind"] == "sqs")
    assert sqs["filters"] == [FILTER] and sqs["function_response_types"] == ["ReportBatchItemFailures"]
    assert sqs["id"] == world["esm"] and sqs["source"] == world["in_q"]
    live = next(a for a in d["aliases"] if a["name"] == "live")
    assert live["routes"] == {"1": 90, "2": 10} and live["weights"] == {"2": 0.1}
    masked = st.to_dict(show_secrets=False)
    assert masked["configuration"]["environment"] == {"STAGE": "prod", "API_TOKEN": "****"}
    assert all(v["configuration"]["environment"]["API_TOKEN"] == "****" for v in masked["versions"])
    assert st.configuration.environment["API_TOKEN"] == "t0k"     # the model itself is untouched


@pytest.mark.parametrize("areas, expected", [
    ("config", ["lambda.GetFunction"]),
    ("tags,code", ["lambda.GetFunction"]),
    ("concurrency", ["lambda.GetFunction", "lambda.ListProvisionedConcurrencyConfigs"]),
    ("aliases", ["lambda.GetFunction", "lambda.ListAliases"]),
    ("versions", ["lambda.GetFunction", "lambda.ListVersionsByFunction"]),
    ("async", ["lambda.GetFunction", "lambda.GetFunctionEventInvokeConfig"]),
    ("permissions", ["lambda.GetFunction", "lambda.GetPolicy"]),
    ("url", ["lambda.GetFunction", "lambda.GetFunctionUrlConfig", "lambda.GetPolicy"]),
    ("mappings", ["lambda.GetFunction", "lambda.ListEventSourceMappings", "lambda.ListTags"]),
    ("s3", ["lambda.GetFunction", "lambda.GetPolicy", "s3.GetBucketNotificationConfiguration"]),
])
def test_reads_only_the_areas_asked(world, areas, expected):
    from lambdactl.core.model import Areas

    CALLS.clear()
    st = _read("orders", areas)
    assert sorted(CALLS.names()) == sorted(expected)
    assert st.configuration.memory == 256 and st.tags["team"] == "orders"     # free with GetFunction
    asked = Areas.parse(areas)
    if not asked & Areas.VERSIONS:
        assert st.versions is None
    if not asked & Areas.ALIASES:
        assert st.aliases is None
    if not asked & Areas.TRIGGERS:
        assert st.triggers is None
    if not asked & (Areas.PERMISSIONS | Areas.S3 | Areas.SNS | Areas.URL):
        assert st.permissions is None
    if not asked & Areas.ASYNC:
        assert st.async_config is None
    if not asked & Areas.CONCURRENCY:
        assert st.concurrency is None


def test_a_get_function_response_in_hand_is_not_read_again(world, boto):
    got = boto("lambda").get_function(FunctionName="orders")
    CALLS.clear()
    st = _read("orders", "aliases", function=got)
    assert CALLS.names() == ["lambda.ListAliases"]
    assert st.configuration.memory == 256 and [a.name for a in st.aliases] == ["beta", "live"]


def test_only_the_asked_trigger_kinds_are_returned(world):
    from lambdactl.core.model import Areas

    CALLS.clear()
    st = _read("orders", Areas.RULES)
    assert [t.kind for t in st.triggers] == ["schedule", "eventbridge"]
    names = CALLS.names()
    assert names.count("events.ListEventBuses") == 1
    assert names.count("events.ListRuleNamesByTarget") == 2          # default bus + orders-bus
    assert names.count("events.DescribeRule") == 2 and names.count("events.ListTargetsByRule") == 2
    assert not any(n.startswith(("s3.", "sns.")) for n in names) and "lambda.GetPolicy" not in names
    CALLS.clear()
    st = _read("orders", Areas.SNS)
    assert [t.kind for t in st.triggers] == ["sns"] and st.triggers[0].filter_policy == SNS_FILTER
    assert sorted(set(CALLS.names())) == ["lambda.GetFunction", "lambda.GetPolicy",
                                          "sns.GetSubscriptionAttributes", "sns.ListSubscriptionsByTopic"]


def test_full_read_makes_no_mutating_call_and_reads_concurrently(world):
    aws = _aws()
    threads: set[str] = set()
    for service in ("lambda", "events", "s3", "sns"):
        aws.client(service).meta.events.register(
            "before-call", lambda **_: threads.add(threading.current_thread().name))
    CALLS.clear()
    from lambdactl.core.resources import read_function

    st = read_function(aws, "orders")
    assert st is not None and len(st.triggers) == 6
    assert not [c for c in CALLS.calls if c.mutating]
    assert CALLS.count("GetFunction") == 1 and CALLS.count("GetPolicy") == 1
    assert len({t for t in threads if t.startswith("lambdactl-read")}) >= 2, threads
    # the same state, read one call at a time
    CALLS.clear()
    serial = read_function(aws, "orders", workers=1)
    assert serial == st


def test_missing_function_is_none_after_one_call(world):
    CALLS.clear()
    assert _read("ghost") is None
    assert CALLS.names() == ["lambda.GetFunction"]
    assert _read("orders:nope") is None


def test_qualifier_reads_the_alias_wiring(world, invoke_cli):
    """Needs lambdactl's moto fidelity fix for DeadLetterConfig (core/run/motofixes.py), as above."""
    from lambdactl.core.model import Areas

    _cli(invoke_cli, "trigger", "add", "orders:live", "schedule", "--expression", "rate(1 hour)")
    # (moto answers GetFunctionUrlConfig?Qualifier=live with the unqualified URL: URL left out here)
    st = _read("orders:live", Areas.ALL & ~Areas.URL)
    assert st.qualifier == "live" and st.arn == FN_ARN and st.target_arn == f"{FN_ARN}:live"
    assert st.configuration.version == "1" and st.configuration.memory == 128
    assert [(t.kind, getattr(t, "expression", None)) for t in st.triggers] == [("schedule", "rate(1 hour)")]
    # (moto keeps one policy for every qualifier: the function's statements show up here too)
    assert [p.used_by for p in st.permissions if p.used_by] == [st.triggers[0].key]
    assert [a.name for a in st.aliases] == ["beta", "live"]           # function-wide areas stay whole
    assert st.async_config.dead_letter == world["dlq"]     # version 1's (moto ignores the qualifier of
    # GetFunctionEventInvokeConfig, so whether live has its own event invoke config is not asserted)
    unq = _read("orders", "rules")
    assert "rate(1 hour)" not in [getattr(t, "expression", None) for t in unq.triggers]
    assert _read(FN_ARN, "config", qualifier="live").target_arn == f"{FN_ARN}:live"


def test_a_deleted_bucket_leaves_its_permission_unwired(world, boto):
    s3 = boto("s3")
    s3.put_bucket_notification_configuration(Bucket="orders-uploads", NotificationConfiguration={})
    s3.delete_bucket(Bucket="orders-uploads")
    st = _read("orders")
    assert "s3" not in [t.kind for t in st.triggers] and st.notes == ()
    assert [p.principal for p in st.unwired_permissions()] == ["s3.amazonaws.com", "apigateway.amazonaws.com"]
    # with only S3 read, the other kinds' statements are not accounted for either
    st = _read("orders", "s3,permissions")
    assert st.triggers == () and len(st.unwired_permissions()) == len(st.permissions) - 2   # 2 URL statements


def test_areas_parse_and_names():
    from lambdactl.core.model import Areas

    assert Areas.parse("config, aliases") == Areas.CONFIG | Areas.ALIASES
    assert Areas.parse(["triggers"]).names() == ["url", "mappings", "s3", "rules", "sns"]
    assert Areas.parse("all") == Areas.ALL
    with pytest.raises(ValueError, match="unknown area 'bogus'"):
        Areas.parse("config,bogus")


def test_the_model_imports_nothing_that_talks_to_aws():
    code = ("import sys, lambdactl.core.model as m; m.FunctionState('f', 'arn').to_dict(); "
            "bad = [k for k in sys.modules if k.split('.')[0] in ('boto3', 'botocore', 'rich', 'typer') "
            "or k in ('lambdactl.aws', 'lambdactl.core.resources.triggers', 'lambdactl.core.resources.functions')]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
