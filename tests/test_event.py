"""`lambdactl event SOURCE`: every source prints one JSON event in AWS's shape, the options land in
the right fields, bad input is a clean exit 2, and the events are accepted by the handlers that
`lambdactl init --template ...` writes (run with `invoke --local`) and piped into `invoke -`."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import subprocess
import sys
import urllib.parse

import pytest

from tests.conftest import FAKE_ENV, assert_clean_error

SOURCES = ["s3", "sqs", "sns", "eventbridge", "schedule", "http", "apigw", "dynamodb", "kinesis", "cloudwatch-logs"]
T = "2026-11-23T15:21:41Z"


def event(invoke_cli, *args):
    r = invoke_cli("event", *args)
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert r.stderr == ""
    return json.loads(r.stdout)


# --- every source ---------------------------------------------------------------------------------

@pytest.mark.parametrize("source", SOURCES)
def test_every_source_prints_one_json_document_deterministic_with_seed(invoke_cli, source):
    a = invoke_cli("event", source, "--seed", "7", "--time", T)
    assert a.exit_code == 0, a.stderr
    doc = json.loads(a.stdout)          # exactly one JSON document on stdout
    assert isinstance(doc, dict) and doc
    b = invoke_cli("event", source, "--seed", "7", "--time", T)
    assert b.stdout == a.stdout
    assert invoke_cli("event", source, "--seed", "8", "--time", T).stdout != a.stdout   # other ids
    # -o json / -o text change nothing: the output is always the event
    assert json.loads(invoke_cli("event", source, "--seed", "7", "--time", T, "-o", "text").stdout) == doc


def test_s3_fields_and_url_encoded_key(invoke_cli):
    doc = event(invoke_cli, "s3", "--bucket", "photos", "--key", "uploads/my photo+1.jpg", "--size", "7", "--time", T)
    rec = doc["Records"][0]
    assert rec["eventSource"] == "aws:s3" and rec["eventVersion"] == "2.1"
    assert rec["eventName"] == "ObjectCreated:Put" and rec["eventTime"] == "2026-11-23T15:21:41.000Z"
    assert rec["awsRegion"] == "us-east-1"
    assert rec["s3"]["bucket"] == {**rec["s3"]["bucket"], "name": "photos", "arn": "arn:aws:s3:::photos"}
    obj = rec["s3"]["object"]
    assert obj["key"] == "uploads/my+photo%2B1.jpg"               # as S3 writes it
    assert urllib.parse.unquote_plus(obj["key"]) == "uploads/my photo+1.jpg"
    assert obj["size"] == 7 and len(obj["eTag"]) == 32
    removed = event(invoke_cli, "s3", "--event-name", "ObjectRemoved:Delete")["Records"][0]
    assert removed["eventName"] == "ObjectRemoved:Delete"
    assert "size" not in removed["s3"]["object"] and "eTag" not in removed["s3"]["object"]


def test_sqs_batch_body_queue_and_fifo(invoke_cli):
    doc = event(invoke_cli, "sqs", "--body", '{"id": 7}', "--queue", "orders", "--count", "3")
    recs = doc["Records"]
    assert len(recs) == 3 and len({r["messageId"] for r in recs}) == 3
    for r in recs:
        assert r["body"] == '{"id": 7}'
        assert r["md5OfBody"] == hashlib.md5(b'{"id": 7}').hexdigest()
        assert r["eventSource"] == "aws:sqs"
        assert r["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:orders"
        assert r["attributes"]["ApproximateReceiveCount"] == "1"
    fifo = event(invoke_cli, "sqs", "--queue", "https://sqs.eu-west-1.amazonaws.com/111122223333/jobs.fifo")
    rec = fifo["Records"][0]
    assert rec["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:jobs.fifo"
    assert {"MessageGroupId", "MessageDeduplicationId", "SequenceNumber"} <= set(rec["attributes"])
    arn = event(invoke_cli, "sqs", "--queue", "arn:aws:sqs:eu-west-1:111122223333:q")["Records"][0]
    assert arn["eventSourceARN"] == "arn:aws:sqs:eu-west-1:111122223333:q" and arn["awsRegion"] == "eu-west-1"


def test_region_option_sets_the_region(invoke_cli):
    doc = event(invoke_cli, "--region", "eu-west-1", "sqs")
    assert doc["Records"][0]["awsRegion"] == "eu-west-1"
    assert doc["Records"][0]["eventSourceARN"].startswith("arn:aws:sqs:eu-west-1:")
    assert event(invoke_cli, "eventbridge", "--region", "ap-south-1")["region"] == "ap-south-1"


def test_sns_fields(invoke_cli):
    sns = event(invoke_cli, "sns", "--body", "hello", "--subject", "Greeting", "--topic", "alerts")["Records"][0]
    assert sns["EventSource"] == "aws:sns" and sns["EventVersion"] == "1.0"
    assert sns["Sns"]["Message"] == "hello" and sns["Sns"]["Subject"] == "Greeting"
    assert sns["Sns"]["TopicArn"] == "arn:aws:sns:us-east-1:123456789012:alerts"
    assert sns["EventSubscriptionArn"].startswith(sns["Sns"]["TopicArn"] + ":")
    assert sns["Sns"]["Type"] == "Notification"
    assert event(invoke_cli, "sns")["Records"][0]["Sns"]["Subject"] is None


def test_eventbridge_and_schedule_fields(invoke_cli, tmp_path):
    eb = event(invoke_cli, "eventbridge", "--detail", '{"id": 7}', "--detail-type", "Order Placed",
               "--source", "com.example.orders", "--time", T)
    assert eb["detail"] == {"id": 7} and eb["detail-type"] == "Order Placed"
    assert eb["source"] == "com.example.orders" and eb["time"] == T and eb["version"] == "0"
    f = tmp_path / "detail.json"
    f.write_text('{"from": "file"}')
    assert event(invoke_cli, "eventbridge", "--detail", f"@{f}")["detail"] == {"from": "file"}
    sch = event(invoke_cli, "schedule", "--rule", "nightly", "--time", T)
    assert sch["detail-type"] == "Scheduled Event" and sch["source"] == "aws.events" and sch["detail"] == {}
    assert sch["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/nightly"]
    assert sch["time"] == T


def test_http_v2_fields(invoke_cli):
    doc = event(invoke_cli, "http", "--method", "post", "--path", "/orders/7", "--query", "a=1", "--query", "a=2",
                "--query", "q=x y", "-H", "Cookie: s=1; t=2", "-H", "X-Custom: v1", "-H", "x-custom: v2",
                "--body", '{"id": 7}')
    assert doc["version"] == "2.0" and doc["routeKey"] == "$default"
    assert doc["rawPath"] == "/orders/7"
    assert doc["rawQueryString"] == "a=1&a=2&q=x%20y"
    assert doc["queryStringParameters"] == {"a": "1,2", "q": "x y"}
    assert doc["cookies"] == ["s=1", "t=2"] and "cookie" not in doc["headers"]
    assert doc["headers"]["x-custom"] == "v1,v2" and doc["headers"]["content-type"] == "application/json"
    assert doc["body"] == '{"id": 7}' and doc["isBase64Encoded"] is False
    ctx = doc["requestContext"]
    assert ctx["http"]["method"] == "POST" and ctx["http"]["path"] == "/orders/7"
    assert ctx["stage"] == "$default" and isinstance(ctx["timeEpoch"], int)
    plain = event(invoke_cli, "http")
    assert plain["requestContext"]["http"]["method"] == "GET"
    assert "body" not in plain and "queryStringParameters" not in plain and "cookies" not in plain


def test_http_binary_body_is_base64(invoke_cli, tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x01binary"
    f = tmp_path / "pic.png"
    f.write_bytes(png)
    doc = event(invoke_cli, "http", "--body", f"@{f}", "-H", "Content-Type: image/png")
    assert doc["isBase64Encoded"] is True and base64.b64decode(doc["body"]) == png
    form = event(invoke_cli, "http", "--body", "a=1", "-H", "Content-Type: application/x-www-form-urlencoded")
    assert form["isBase64Encoded"] is True and base64.b64decode(form["body"]) == b"a=1"


def test_apigw_rest_v1_fields(invoke_cli):
    doc = event(invoke_cli, "apigw", "--path", "/orders/7?x=1", "--query", "a=1", "--query", "a=2",
                "-H", "X-Custom: v1", "-H", "X-Custom: v2", "--body", "hi", "--method", "PUT")
    assert doc["httpMethod"] == "PUT" and doc["path"] == "/orders/7"
    assert doc["resource"] == "/{proxy+}" and doc["pathParameters"] == {"proxy": "orders/7"}
    assert doc["queryStringParameters"] == {"x": "1", "a": "2"}
    assert doc["multiValueQueryStringParameters"] == {"x": ["1"], "a": ["1", "2"]}
    assert doc["headers"]["X-Custom"] == "v2" and doc["multiValueHeaders"]["X-Custom"] == ["v1", "v2"]
    assert doc["body"] == "hi" and doc["isBase64Encoded"] is False and doc["stageVariables"] is None
    ctx = doc["requestContext"]
    assert ctx["stage"] == "prod" and ctx["path"] == "/prod/orders/7" and ctx["resourcePath"] == "/{proxy+}"
    assert ctx["identity"]["sourceIp"] and ctx["httpMethod"] == "PUT"
    root = event(invoke_cli, "apigw")
    assert root["resource"] == "/" and root["pathParameters"] is None and root["body"] is None
    assert root["queryStringParameters"] is None and root["multiValueQueryStringParameters"] is None


def test_dynamodb_typed_images(invoke_cli):
    doc = event(invoke_cli, "dynamodb", "--table", "orders", "--keys", '{"pk": "a", "sk": 1}',
                "--item", '{"n": 1.5, "ok": true, "tags": ["x"], "meta": {"k": null}}', "--event-name", "MODIFY")
    rec = doc["Records"][0]
    assert rec["eventSource"] == "aws:dynamodb" and rec["eventName"] == "MODIFY"
    assert rec["eventSourceARN"].startswith("arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/")
    d = rec["dynamodb"]
    assert d["Keys"] == {"pk": {"S": "a"}, "sk": {"N": "1"}}
    assert d["NewImage"] == {"n": {"N": "1.5"}, "ok": {"BOOL": True}, "tags": {"L": [{"S": "x"}]},
                             "meta": {"M": {"k": {"NULL": True}}}, "pk": {"S": "a"}, "sk": {"N": "1"}}
    assert "OldImage" in d and d["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    removed = event(invoke_cli, "dynamodb", "--event-name", "remove", "--count", "2")["Records"]
    assert len(removed) == 2 and all("NewImage" not in r["dynamodb"] and "OldImage" in r["dynamodb"] for r in removed)
    inserted = event(invoke_cli, "dynamodb")["Records"][0]["dynamodb"]
    assert "NewImage" in inserted and "OldImage" not in inserted


def test_kinesis_data_is_base64(invoke_cli):
    doc = event(invoke_cli, "kinesis", "--body", "hello kinesis", "--partition-key", "pk-1", "--stream", "clicks",
                "--count", "2")
    assert len(doc["Records"]) == 2
    for r in doc["Records"]:
        assert base64.b64decode(r["kinesis"]["data"]) == b"hello kinesis"
        assert r["kinesis"]["partitionKey"] == "pk-1" and len(r["kinesis"]["sequenceNumber"]) == 56
        assert r["eventSourceARN"] == "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"
        assert r["eventName"] == "aws:kinesis:record" and r["eventID"].endswith(r["kinesis"]["sequenceNumber"])


def test_cloudwatch_logs_data_is_gzip_base64(invoke_cli):
    doc = event(invoke_cli, "cloudwatch-logs", "--body", "first line\nsecond line", "--log-group", "/aws/lambda/x")
    assert list(doc) == ["awslogs"]
    inner = json.loads(gzip.decompress(base64.b64decode(doc["awslogs"]["data"])))
    assert inner["messageType"] == "DATA_MESSAGE" and inner["logGroup"] == "/aws/lambda/x"
    assert [e["message"] for e in inner["logEvents"]] == ["first line", "second line"]
    assert inner["owner"] == "123456789012" and inner["subscriptionFilters"]


# --- listing and bad input ------------------------------------------------------------------------

def test_list_sources(invoke_cli):
    for args in (("event",), ("event", "--list")):
        r = invoke_cli(*args)
        assert r.exit_code == 0, r.stderr
        for s in SOURCES:
            assert s in r.stdout
    r = invoke_cli("event", "--list", "-o", "json")
    assert [d["source"] for d in r.json()] == SOURCES
    assert {d["source"]: d["template"] for d in r.json()}["sqs"] == "sqs"


@pytest.mark.parametrize("args,code,text", [
    (("event", "nope"), 2, "unknown event source 'nope'"),
    (("event", "sqs", "--bucket", "b"), 2, "--bucket does not apply to sqs events"),
    (("event", "s3", "--bucket", "Bad_Bucket"), 2, "not a valid S3 bucket name"),
    (("event", "s3", "--event-name", "ObjectExploded"), 2, "is not an S3 event"),
    (("event", "sqs", "--count", "0"), 2, "--count 0 is out of range"),
    (("event", "http", "--method", "FETCH"), 2, "is not an HTTP method"),
    (("event", "http", "--path", "orders"), 2, "must start with '/'"),
    (("event", "http", "-H", "NoColon"), 2, "expected 'Name: value'"),
    (("event", "eventbridge", "--detail", "{bad"), 2, "invalid JSON in --detail"),
    (("event", "eventbridge", "--detail", "[1]"), 2, "--detail must be a JSON object"),
    (("event", "dynamodb", "--event-name", "UPSERT"), 2, "not a DynamoDB stream event"),
    (("event", "s3", "--time", "yesterday"), 2, "not an ISO-8601 time"),
    (("event", "sns", "--topic", "arn:aws:sqs:us-east-1:123456789012:q"), 2, "is not an sns ARN"),
    (("event", "sqs", "--body", "@/nonexistent/file"), 2, "not found"),
    (("event", "s3", "--list"), 2, "--list takes no SOURCE"),
])
def test_bad_input_is_one_clean_error(invoke_cli, args, code, text):
    r = invoke_cli(*args)
    assert_clean_error(r, code, contains=text)
    assert "hint:" in r.stderr or "not found" in text


def test_unknown_source_hint_lists_the_sources(invoke_cli):
    r = invoke_cli("event", "s4")
    hint = [line for line in r.stderr.splitlines() if line.startswith("hint:")][0]
    assert all(s in hint for s in SOURCES)


# --- accepted by the template handlers (invoke --local) -----------------------------------------

@pytest.fixture
def init_project(invoke_cli, tmp_path, monkeypatch):
    def make(template: str):
        monkeypatch.chdir(tmp_path)
        r = invoke_cli("init", f"t-{template}", "--template", template, "--no-input")
        assert r.exit_code == 0, r.stderr
        monkeypatch.chdir(tmp_path / f"t-{template}")
        return tmp_path / f"t-{template}"
    return make


def run_local(invoke_cli, doc) -> dict:
    r = invoke_cli("invoke", "--local", "-", input=json.dumps(doc))
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert "REPORT RequestId:" in r.stderr
    return json.loads(r.stdout)


def test_http_and_apigw_events_are_accepted_by_the_api_template(invoke_cli, init_project):
    init_project("api")
    out = run_local(invoke_cli, event(invoke_cli, "http", "--path", "/hello", "--query", "name=Ada"))
    assert out["statusCode"] == 200 and json.loads(out["body"]) == {"message": "Hello, Ada!"}
    out = run_local(invoke_cli, event(invoke_cli, "http", "--body", '{"name": "Grace"}'))
    assert json.loads(out["body"]) == {"message": "Hello, Grace!"}
    out = run_local(invoke_cli, event(invoke_cli, "apigw", "--method", "POST", "--body", '{"name": "Linus"}'))
    assert out["statusCode"] == 200 and json.loads(out["body"]) == {"message": "Hello, Linus!"}
    out = run_local(invoke_cli, event(invoke_cli, "apigw", "--path", "/x", "--query", "name=Rest"))
    assert json.loads(out["body"]) == {"message": "Hello, Rest!"}


def test_s3_event_is_accepted_by_the_s3_template(invoke_cli, init_project):
    init_project("s3")
    out = run_local(invoke_cli, event(invoke_cli, "s3", "--bucket", "photos", "--key", "in/my photo.jpg", "--size", "9"))
    assert out == {"processed": 1, "objects": [{"bucket": "photos", "key": "in/my photo.jpg", "size": 9,
                                                "event": "ObjectCreated:Put"}]}


def test_sqs_event_is_accepted_by_the_sqs_template(invoke_cli, init_project):
    init_project("sqs")
    assert run_local(invoke_cli, event(invoke_cli, "sqs", "--count", "3")) == {"batchItemFailures": []}
    bad = event(invoke_cli, "sqs", "--body", "not json")
    out = run_local(invoke_cli, bad)
    assert out == {"batchItemFailures": [{"itemIdentifier": bad["Records"][0]["messageId"]}]}


@pytest.mark.parametrize("source", ["schedule", "eventbridge"])
def test_eventbridge_events_are_accepted_by_the_schedule_template(invoke_cli, init_project, source):
    init_project("schedule")
    doc = event(invoke_cli, source, "--time", T)
    out = run_local(invoke_cli, doc)
    assert out["ok"] is True and out["time"] == T
    if source == "schedule":
        assert out["rule"] == doc["resources"][0]


STREAM_HANDLER = '''\
import base64, gzip, json

def handler(event, context):
    if "awslogs" in event:                                  # CloudWatch Logs subscription
        doc = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
        return {"logs": [e["message"] for e in doc["logEvents"]], "group": doc["logGroup"]}
    out = []
    for r in event["Records"]:
        source = r.get("eventSource") or r.get("EventSource")
        if source == "aws:kinesis":
            out.append(base64.b64decode(r["kinesis"]["data"]).decode())
        elif source == "aws:sns":
            out.append(r["Sns"]["Message"])
        elif source == "aws:dynamodb":
            out.append({k: list(v.values())[0] for k, v in r["dynamodb"]["NewImage"].items()})
    return {"source": source, "items": out}
'''


@pytest.mark.parametrize("args,expected", [
    (("kinesis", "--body", "click", "--count", "2"), {"source": "aws:kinesis", "items": ["click", "click"]}),
    (("sns", "--body", "ping"), {"source": "aws:sns", "items": ["ping"]}),
    (("dynamodb", "--keys", '{"id": "9"}', "--item", '{"qty": 3}'),
     {"source": "aws:dynamodb", "items": [{"qty": "3", "id": "9"}]}),
    (("cloudwatch-logs", "--body", "a\nb", "--log-group", "/g"), {"logs": ["a", "b"], "group": "/g"}),
])
def test_stream_events_decode_in_a_handler(invoke_cli, project_dir, args, expected):
    """No init template for these sources: a handler written the way AWS's examples read them."""
    (project_dir / "src").mkdir()
    (project_dir / "src" / "app.py").write_text(STREAM_HANDLER)
    (project_dir / "lambdactl.toml").write_text(
        '[function]\nname = "streams"\nruntime = "python3.12"\nhandler = "app.handler"\nsource = "src"\n')
    assert run_local(invoke_cli, event(invoke_cli, *args)) == expected


# --- piped into invoke, in real processes -------------------------------------------------------

def _pipe(cwd, first: list[str], second: list[str], env: dict) -> tuple[subprocess.CompletedProcess, int]:
    p1 = subprocess.Popen([sys.executable, "-m", "lambdactl", *first], cwd=cwd, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p2 = subprocess.run([sys.executable, "-m", "lambdactl", *second], cwd=cwd, env=env, stdin=p1.stdout,
                        capture_output=True, text=True, timeout=120)
    p1.stdout.close()
    rc1 = p1.wait(timeout=60)
    return p2, rc1


def test_pipe_event_into_invoke_local(tmp_path, moto_endpoint):
    env = {**os.environ, **FAKE_ENV, "AWS_ENDPOINT_URL": moto_endpoint}
    subprocess.run([sys.executable, "-m", "lambdactl", "init", "piped", "--template", "s3", "--no-input"],
                   cwd=tmp_path, env=env, check=True, capture_output=True)
    p2, rc1 = _pipe(tmp_path / "piped", ["event", "s3", "--key", "a.txt"], ["invoke", "--local", "-"], env)
    assert rc1 == 0 and p2.returncode == 0, p2.stderr
    assert json.loads(p2.stdout)["objects"][0]["key"] == "a.txt"
    assert "REPORT RequestId:" in p2.stderr


def test_pipe_event_into_remote_invoke(tmp_path, moto_endpoint, create_function):
    """The issue's own pipeline, `lambdactl event s3 --key a.txt | lambdactl invoke -`, against the
    project's deployed function (moto's Docker-less invoke echoes the event back)."""
    create_function("piped-remote")
    (tmp_path / "lambdactl.toml").write_text(
        '[function]\nname = "piped-remote"\nruntime = "python3.12"\nhandler = "app.handler"\n')
    env = {**os.environ, **FAKE_ENV, "AWS_ENDPOINT_URL": moto_endpoint}
    p2, rc1 = _pipe(tmp_path, ["event", "s3", "--key", "a.txt"], ["invoke", "-"], env)
    assert rc1 == 0 and p2.returncode == 0, p2.stderr
    assert json.loads(p2.stdout)["Records"][0]["s3"]["object"]["key"] == "a.txt"


def test_event_loads_nothing_heavy(tmp_path):
    """`lambdactl event` in a fresh process imports neither the AWS SDK nor rich/questionary/moto
    (checked with -X importtime, not with the clock)."""
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "lambdactl", "event", "sqs"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["Records"][0]["eventSource"] == "aws:sqs"
    imported = {line.split("|")[-1].strip().split(".")[0] for line in p.stderr.splitlines()
                if line.startswith("import time:")}
    assert "lambdactl" in imported
    assert not imported & {"boto3", "botocore", "rich", "questionary", "moto", "watchfiles"}, sorted(imported)
