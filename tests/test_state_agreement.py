"""info, export and init --from agree (issue 18): they all render the ONE reader's model of a
function. On the moto server, a function with every kind of trigger and setting lambdactl manages
(SQS/Kinesis/DynamoDB mappings with settings, S3, schedule, EventBridge on a custom bus, SNS, a URL
with CORS, aliases with a routing weight, versions, reserved concurrency, async config with
destinations, tags, layers, environment with a secret-looking value) is adopted with
``init --from``, after which ``diff --exit-code`` finds nothing to do; ``export`` (SAM and
CloudFormation) carries the same values as ``info -o json`` for every field both show."""
from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
import tomllib

import pytest

from tests.conftest import ACCOUNT, REGION

FN = "orders"
FN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FN}"
PATTERN = {"source": ["orders"], "detail-type": ["Order Created"]}
HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


@pytest.fixture
def code_server(monkeypatch):
    """GetFunction's Code.Location on the moto server points here (``motofixes.CODE_BASE_URL``):
    ``served[name]`` is the zip a GET of function ``name``'s code answers."""
    from lambdactl.core.run import motofixes

    served: dict[str, bytes] = {}

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            parts = self.path.split("/")        # /_lambdactl/code/<account>/<region>/<name>/<version>
            body = served.get(parts[-2] if len(parts) >= 3 else "")
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    monkeypatch.setattr(motofixes, "CODE_BASE_URL", f"http://127.0.0.1:{srv.server_port}")
    yield served
    srv.shutdown()
    srv.server_close()


def _ok(invoke_cli, *args):
    r = invoke_cli(*args)
    assert r.exit_code == 0, (args, r.stdout, r.stderr, r.exception)
    return r


@pytest.fixture
def everything(boto, iam_role, tmp_path, invoke_cli, code_server):
    """One function wired with every trigger kind and every setting lambdactl manages."""
    from lambdactl.core.build.packaging import build_package

    (tmp_path / "orig").mkdir()
    (tmp_path / "orig" / "app.py").write_text(HANDLER)
    code = build_package(tmp_path / "orig", handler="app.handler", runtime="python3.12").data
    code_server[FN] = code
    lam, sqs, sns, s3, ev = boto("lambda"), boto("sqs"), boto("sns"), boto("s3"), boto("events")

    def queue(name):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    dlq, in_q, ok_q, failed_q = queue("orders-dlq"), queue("orders-in"), queue("orders-ok"), queue("orders-failed")
    topic = sns.create_topic(Name="orders-events")["TopicArn"]
    fail_topic = sns.create_topic(Name="orders-alarm")["TopicArn"]
    layer = lam.publish_layer_version(LayerName="deps", Content={"ZipFile": code},
                                      CompatibleRuntimes=["python3.12"])["LayerVersionArn"]
    lam.create_function(
        FunctionName=FN, Runtime="python3.12", Role=iam_role, Handler="app.handler", Code={"ZipFile": code},
        MemorySize=128, Timeout=20, Description="order intake", Architectures=["arm64"],
        EphemeralStorage={"Size": 1024}, TracingConfig={"Mode": "Active"},
        Environment={"Variables": {"STAGE": "prod", "API_TOKEN": "t0k"}}, Layers=[layer],
        DeadLetterConfig={"TargetArn": dlq}, Tags={"team": "orders", "cost": "42"})
    lam.publish_version(FunctionName=FN, Description="first")
    lam.update_function_configuration(FunctionName=FN, MemorySize=256)
    lam.publish_version(FunctionName=FN, Description="second")
    lam.create_alias(FunctionName=FN, Name="live", FunctionVersion="1", Description="prod traffic",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
    lam.create_alias(FunctionName=FN, Name="beta", FunctionVersion="2")
    lam.put_function_concurrency(FunctionName=FN, ReservedConcurrentExecutions=7)
    lam.put_function_event_invoke_config(
        FunctionName=FN, MaximumRetryAttempts=1, MaximumEventAgeInSeconds=600,
        DestinationConfig={"OnSuccess": {"Destination": ok_q}, "OnFailure": {"Destination": fail_topic}})
    # Mappings with settings, made with boto3 as another tool would.
    lam.create_event_source_mapping(
        FunctionName=FN, EventSourceArn=in_q, BatchSize=50, MaximumBatchingWindowInSeconds=5,
        FunctionResponseTypes=["ReportBatchItemFailures"], ScalingConfig={"MaximumConcurrency": 5},
        FilterCriteria={"Filters": [{"Pattern": '{"body": {"status": ["new"]}}'}]})
    boto("kinesis").create_stream(StreamName="clicks", ShardCount=1)
    karn = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/clicks"
    lam.create_event_source_mapping(
        FunctionName=FN, EventSourceArn=karn, BatchSize=500, MaximumBatchingWindowInSeconds=2,
        StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=dt.datetime(2026, 1, 31, 12, tzinfo=dt.timezone.utc),
        FunctionResponseTypes=["ReportBatchItemFailures"], BisectBatchOnFunctionError=True, MaximumRetryAttempts=3,
        MaximumRecordAgeInSeconds=3600, ParallelizationFactor=4, TumblingWindowInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": failed_q}},
        FilterCriteria={"Filters": [{"Pattern": '{"data": {"kind": ["click"]}}'}]})
    darn = boto("dynamodb").create_table(
        TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]["LatestStreamArn"]
    lam.create_event_source_mapping(
        FunctionName=FN, EventSourceArn=darn, BatchSize=200, StartingPosition="TRIM_HORIZON",
        BisectBatchOnFunctionError=True, MaximumRetryAttempts=5, MaximumRecordAgeInSeconds=120,
        ParallelizationFactor=2, TumblingWindowInSeconds=30, DestinationConfig={"OnFailure": {"Destination": fail_topic}})
    # S3, schedule, EventBridge on a custom bus, SNS and the URL the way users add them.
    s3.create_bucket(Bucket="orders-uploads")
    ev.create_event_bus(Name="orders-bus")
    _ok(invoke_cli, "trigger", "add", FN, "s3", "--bucket", "orders-uploads", "--events", "s3:ObjectCreated:Put",
        "--prefix", "in/", "--suffix", ".json")
    _ok(invoke_cli, "trigger", "add", FN, "schedule", "--expression", "rate(5 minutes)", "--input", '{"job": "sweep"}')
    _ok(invoke_cli, "trigger", "add", FN, "eventbridge", "--pattern", json.dumps(PATTERN), "--bus", "orders-bus")
    _ok(invoke_cli, "trigger", "add", FN, "sns", "--topic", topic)
    _ok(invoke_cli, "trigger", "add", FN, "url", "--auth", "NONE", "--yes", "--cors-origin", "https://shop.example",
        "--cors-methods", "GET,POST", "--cors-max-age", "300")
    return {"in_q": in_q, "kinesis": karn, "dynamodb": darn, "topic": topic, "layer": layer, "dlq": dlq}


def _info(invoke_cli) -> dict:
    return json.loads(_ok(invoke_cli, "--show-secrets", "info", FN, "-o", "json").stdout)


def _export(invoke_cli, fmt: str) -> dict:
    return json.loads(_ok(invoke_cli, "--show-secrets", "export", FN, "--format", fmt).stdout)


def test_init_from_then_diff_finds_nothing(everything, invoke_cli, tmp_path, monkeypatch):
    d = tmp_path / "adopted"
    _ok(invoke_cli, "init", str(d), "--from", FN)
    text = (d / "lambdactl.toml").read_text()
    for word in ("orders-bus", "rate(5 minutes)", "orders-uploads", "orders-events", "https://shop.example",
                 "AT_TIMESTAMP", "tumbling_window = 60", "max_concurrency = 5", "reserved = 7", 'name = "beta"'):
        assert word in text, (word, text)
    monkeypatch.chdir(d)
    live = next(a for a in tomllib.loads(text)["aliases"] if a["name"] == "live")
    assert live["routing"] == {"2": 0.1}, text          # the canary of 'live': 10 % to version 2
    r = invoke_cli("diff", "--exit-code", "-o", "json")
    steps = r.json()["steps"] if r.stdout else []
    assert r.exit_code == 0 and steps == [], (steps, r.stderr)
    assert "canary" not in r.stderr, r.stderr


def _resources(tpl: dict, type_: str) -> list[dict]:
    return [r["Properties"] for r in tpl["Resources"].values() if r["Type"] == type_]


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_export_carries_what_info_shows(everything, invoke_cli, fmt):
    info = _info(invoke_cli)
    tpl = _export(invoke_cli, fmt)
    sam = fmt == "sam"
    fn = _resources(tpl, "AWS::Serverless::Function" if sam else "AWS::Lambda::Function")[0]
    # every field of the function both show
    assert fn["FunctionName"] == info["name"]
    assert fn["Runtime"] == info["runtime"] and fn["Handler"] == info["handler"]
    assert fn["Architectures"] == [info["architecture"]]
    assert fn["MemorySize"] == info["memory"] and fn["Timeout"] == info["timeout"]
    assert fn["EphemeralStorage"]["Size"] == info["ephemeral_storage"]
    assert fn["Role"] == info["role"] and fn["Description"] == info["description"]
    assert fn["Layers"] == info["layers"] == [everything["layer"]]
    assert fn["Environment"]["Variables"] == info["environment"]
    assert (fn["Tracing"] if sam else fn["TracingConfig"]["Mode"]) == info["tracing"] == "Active"
    dlq = fn["DeadLetterQueue"]["TargetArn"] if sam else fn["DeadLetterConfig"]["TargetArn"]
    assert dlq == info["dead_letter"] == everything["dlq"]
    assert fn["ReservedConcurrentExecutions"] == info["reserved_concurrency"] == 7
    assert sorted(a["Name"] for a in _resources(tpl, "AWS::Lambda::Alias")) == sorted(a["name"] for a in info["aliases"])
    # the triggers: info counts them; the template carries each one lambdactl can express there
    # (S3 notifications belong to the bucket's own resource, so they are not in the template)
    if sam:
        events = fn["Events"]
        kinds = sorted(e["Type"] for e in events.values())
        url = fn["FunctionUrlConfig"]
    else:
        kinds = sorted(["SQS" if ":sqs:" in m["EventSourceArn"] else "Stream"
                        for m in _resources(tpl, "AWS::Lambda::EventSourceMapping")]
                       + ["Rule"] * len(_resources(tpl, "AWS::Events::Rule"))
                       + ["SNS"] * len(_resources(tpl, "AWS::SNS::Subscription")))
        url = _resources(tpl, "AWS::Lambda::Url")[0]
    assert len(kinds) + 1 + 1 == info["triggers"] == 8      # + the URL + the S3 notification
    assert url["AuthType"] == "NONE" and url["Cors"]["AllowOrigins"] == ["https://shop.example"]
    assert url["Cors"]["MaxAge"] == 300


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_export_carries_every_trigger_setting(everything, invoke_cli, fmt):
    tpl = _export(invoke_cli, fmt)
    sam = fmt == "sam"
    if sam:
        fn = _resources(tpl, "AWS::Serverless::Function")[0]
        by_source = {(e["Properties"].get("Queue") or e["Properties"].get("Stream")): e["Properties"]
                     for e in fn["Events"].values() if e["Type"] in ("SQS", "Kinesis", "DynamoDB")}
        rules = {e["Type"]: e["Properties"] for e in fn["Events"].values()
                 if e["Type"] in ("Schedule", "EventBridgeRule")}
        assert rules["EventBridgeRule"]["EventBusName"] == "orders-bus"
        assert rules["EventBridgeRule"]["Pattern"] == PATTERN
        assert json.loads(rules["Schedule"]["Input"]) == {"job": "sweep"}
        async_cfg = fn["EventInvokeConfig"]
    else:
        by_source = {m["EventSourceArn"]: m for m in _resources(tpl, "AWS::Lambda::EventSourceMapping")}
        rules = _resources(tpl, "AWS::Events::Rule")
        bus_rule = next(r for r in rules if r.get("EventBusName") == "orders-bus")
        assert bus_rule["EventPattern"] == PATTERN
        assert any(r.get("ScheduleExpression") == "rate(5 minutes)" for r in rules)
        assert _resources(tpl, "AWS::SNS::Subscription")[0]["TopicArn"] == everything["topic"]
        async_cfg = _resources(tpl, "AWS::Lambda::EventInvokeConfig")[0]
    sqs = by_source[everything["in_q"]]
    assert sqs["BatchSize"] == 50 and sqs["MaximumBatchingWindowInSeconds"] == 5
    assert sqs["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert sqs["ScalingConfig"] == {"MaximumConcurrency": 5}
    assert [json.loads(f["Pattern"]) for f in sqs["FilterCriteria"]["Filters"]] == [{"body": {"status": ["new"]}}]
    kin = by_source[everything["kinesis"]]
    assert kin["StartingPosition"] == "AT_TIMESTAMP" and kin["StartingPositionTimestamp"].startswith("2026-01-31T12:00")
    assert (kin["BisectBatchOnFunctionError"], kin["MaximumRetryAttempts"], kin["MaximumRecordAgeInSeconds"],
            kin["ParallelizationFactor"], kin["TumblingWindowInSeconds"]) == (True, 3, 3600, 4, 60)
    assert kin["DestinationConfig"]["OnFailure"]["Destination"].endswith(":orders-failed")
    ddb = by_source[everything["dynamodb"]]
    assert ddb["StartingPosition"] == "TRIM_HORIZON" and ddb["MaximumRetryAttempts"] == 5
    assert async_cfg["MaximumRetryAttempts"] == 1 and async_cfg["MaximumEventAgeInSeconds"] == 600
    assert async_cfg["DestinationConfig"]["OnSuccess"]["Destination"].endswith(":orders-ok")
    assert async_cfg["DestinationConfig"]["OnFailure"]["Destination"].endswith(":orders-alarm")


def test_info_export_and_init_read_the_same_state_once(everything, invoke_cli, tmp_path):
    """Nothing but the one reader reads a function's state: export and init --from make one GetFunction."""
    from lambdactl.aws import CALLS

    for args in (("export", FN), ("init", str(tmp_path / "a"), "--from", FN)):
        CALLS.clear()
        _ok(invoke_cli, *args)
        ops = CALLS.names()
        assert ops.count("lambda.GetFunction") == 1, (args, ops)
        assert "lambda.GetFunctionConfiguration" not in ops, (args, ops)


def test_the_adopted_project_file_is_the_live_state(everything, invoke_cli, tmp_path):
    """One model, two readers: the project file init --from writes, read as the desired state
    (core/model/desired.py), equals the live state (the reader) on every field the file describes."""
    from lambdactl import config
    from lambdactl.aws import session
    from lambdactl.core.model import Areas
    from lambdactl.core.model.desired import desired_state, mapping_settings
    from lambdactl.core.resources.reader import read_function

    d = tmp_path / "adopted"
    _ok(invoke_cli, "init", str(d), "--from", FN)
    want = desired_state(config.load(d / "lambdactl.toml"))
    live = read_function(session(), FN, Areas.ALL)
    skip = {"arn", "version", "state", "state_reason", "last_update_status", "last_update_status_reason",
            "last_modified", "revision_id", "layers", "logging"}
    w, g = want.configuration.to_dict(), live.configuration.to_dict()
    assert {k: v for k, v in w.items() if k not in skip} == {k: v for k, v in g.items() if k not in skip}
    assert want.configuration.layer_arns == live.configuration.layer_arns
    assert want.user_tags == live.user_tags
    assert [(a.name, a.version, a.weights) for a in want.aliases] == \
        [(a.name, a.version, a.weights) for a in live.aliases]
    assert want.concurrency.reserved == live.concurrency.reserved
    wa, la = want.async_config, live.async_config
    assert (wa.max_retries, wa.max_event_age, wa.on_success, wa.on_failure, wa.dead_letter) == \
        (la.max_retries, la.max_event_age, la.on_success, la.on_failure, la.dead_letter)
    assert sorted(t.key for t in want.triggers if t.kind != "s3") == sorted(t.key for t in live.triggers if t.kind != "s3")
    assert sorted((t.bucket, t.events, t.prefix, t.suffix) for t in want.triggers_of("s3")) == \
        sorted((t.bucket, t.events, t.prefix, t.suffix) for t in live.triggers_of("s3"))
    for m in want.mappings:
        got = next(x for x in live.mappings if x.source_arn == m.source_arn)
        assert mapping_settings(m) == mapping_settings(got), m.kind
        assert (m.starting_position, m.starting_timestamp) == (got.starting_position, got.starting_timestamp)
    for kind in ("schedule", "eventbridge"):
        for t in want.triggers_of(kind):
            got = next(x for x in live.triggers_of(kind) if x.key == t.key)
            assert (t.input, getattr(t, "expression", None), getattr(t, "pattern", None)) == \
                (got.input, getattr(got, "expression", None), getattr(got, "pattern", None))
    assert (want.url.auth, want.url.cors) == (live.url.auth, live.url.cors)
