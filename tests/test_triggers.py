"""trigger add/list/remove for every kind, and the deploy planner, against the moto server."""
from __future__ import annotations

import json

import pytest

from lambdactl.aws import CALLS
from tests.conftest import ACCOUNT, REGION, assert_clean_error

FN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn"


def statements(boto, name: str = "fn") -> list[dict]:
    try:
        return json.loads(boto("lambda").get_policy(FunctionName=name)["Policy"])["Statement"]
    except boto("lambda").exceptions.ResourceNotFoundException:
        return []


def notifications(boto, bucket: str) -> dict:
    doc = boto("s3").get_bucket_notification_configuration(Bucket=bucket)
    doc.pop("ResponseMetadata", None)
    return doc


def add(invoke_cli, *args):
    r = invoke_cli("trigger", "add", *args, "-o", "json")
    assert r.exit_code == 0, (r.stdout, r.stderr, r.exception)
    return r.json()


@pytest.fixture
def fn(create_function):
    return create_function("fn")


@pytest.fixture
def busy_bucket(boto, create_function):
    """A bucket that already notifies an SQS queue and another function."""
    s3, sqs = boto("s3"), boto("sqs")
    s3.create_bucket(Bucket="uploads")
    qurl = sqs.create_queue(QueueName="audit")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    other = create_function("other")["FunctionArn"]
    s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={
        "QueueConfigurations": [{"Id": "audit-queue", "QueueArn": qarn, "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "logs/"}]}}}],
        "LambdaFunctionConfigurations": [{"Id": "other-fn", "LambdaFunctionArn": other,
                                          "Events": ["s3:ObjectRemoved:*"]}],
    })
    return notifications(boto, "uploads")


# --- S3 -----------------------------------------------------------------------------------------

def test_s3_keeps_existing_notifications_on_add_and_remove(invoke_cli, fn, boto, busy_bucket):
    before = busy_bucket
    CALLS.clear()
    d = add(invoke_cli, "fn", "s3", "--bucket", "uploads", "--events", "s3:ObjectCreated:*", "--prefix", "in/",
            "--suffix", ".jpg")
    assert d["status"] == "created" and d["id"].startswith("lambdactl-") and d["kind"] == "s3"
    # permission first, then the notification document
    ops = [c.operation for c in CALLS.calls]
    assert ops.index("AddPermission") < ops.index("PutBucketNotificationConfiguration")

    after = notifications(boto, "uploads")
    assert after["QueueConfigurations"] == before["QueueConfigurations"]
    lambdas = {c["Id"]: c for c in after["LambdaFunctionConfigurations"]}
    assert lambdas["other-fn"] == before["LambdaFunctionConfigurations"][0]
    mine = lambdas[d["id"]]
    assert mine["LambdaFunctionArn"] == FN_ARN and mine["Events"] == ["s3:ObjectCreated:*"]
    rules = {r["Name"].lower(): r["Value"] for r in mine["Filter"]["Key"]["FilterRules"]}
    assert rules == {"prefix": "in/", "suffix": ".jpg"}

    sts = statements(boto)
    assert len(sts) == 1
    assert sts[0]["Principal"] == {"Service": "s3.amazonaws.com"}
    assert sts[0]["Condition"]["ArnLike"]["AWS:SourceArn"] == "arn:aws:s3:::uploads"
    assert sts[0]["Condition"]["StringEquals"]["AWS:SourceAccount"] == ACCOUNT

    # twice: nothing changes
    CALLS.clear()
    again = add(invoke_cli, "fn", "s3", "--bucket", "uploads", "--events", "s3:ObjectCreated:*", "--prefix", "in/",
                "--suffix", ".jpg")
    assert again["status"] == "unchanged" and again["id"] == d["id"]
    assert not [c for c in CALLS.calls if c.mutating]
    assert notifications(boto, "uploads") == after and statements(boto) == sts

    r = invoke_cli("trigger", "list", "fn", "-o", "json")
    s3_rows = [t for t in r.json() if t["kind"] == "s3"]
    assert [t["id"] for t in s3_rows] == [d["id"]] and s3_rows[0]["source"] == "s3://uploads"
    assert s3_rows[0]["managed"] is True

    r = invoke_cli("trigger", "remove", "fn", d["id"], "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "deleted" and r.json()["permissions_removed"] == [sts[0]["Sid"]]
    assert notifications(boto, "uploads") == before
    assert statements(boto) == []


def test_s3_overlap_is_refused_before_any_change(invoke_cli, fn, boto, busy_bucket):
    # the SQS rule covers ObjectCreated:* under logs/ → logs/app/ overlaps
    r = invoke_cli("trigger", "add", "fn", "s3", "--bucket", "uploads", "--events", "s3:ObjectCreated:Put",
                   "--prefix", "logs/app/")
    assert_clean_error(r, 2, contains="overlaps the existing SQS notification audit-queue")
    assert "hint:" in r.stderr
    # the other function's rule: ObjectRemoved:* with no filter overlaps any ObjectRemoved rule
    r = invoke_cli("trigger", "add", "fn", "s3", "--bucket", "uploads", "--events", "s3:ObjectRemoved:Delete")
    assert_clean_error(r, 2, contains="other-fn")
    assert notifications(boto, "uploads") == busy_bucket
    assert statements(boto) == []
    # a distinct prefix is fine
    d = add(invoke_cli, "fn", "s3", "--bucket", "uploads", "--prefix", "images/")
    assert d["status"] == "created"


def test_s3_two_rules_share_one_permission(invoke_cli, fn, boto):
    boto("s3").create_bucket(Bucket="media")
    a = add(invoke_cli, "fn", "s3", "--bucket", "media", "--prefix", "a/")
    b = add(invoke_cli, "fn", "s3", "--bucket", "arn:aws:s3:::media", "--prefix", "b/")
    assert a["id"] != b["id"] and b["permissions"][0]["status"] == "unchanged"
    assert len(statements(boto)) == 1
    invoke_cli("trigger", "remove", "fn", a["id"])
    # b still needs the permission
    assert len(statements(boto)) == 1
    assert [c["Id"] for c in notifications(boto, "media")["LambdaFunctionConfigurations"]] == [b["id"]]
    r = invoke_cli("trigger", "remove", "fn", b["id"], "-o", "json")
    assert r.json()["permissions_removed"] and statements(boto) == []
    assert "LambdaFunctionConfigurations" not in notifications(boto, "media")


def test_s3_missing_bucket_and_function(invoke_cli, fn, boto):
    r = invoke_cli("trigger", "add", "fn", "s3", "--bucket", "no-such-bucket")
    assert_clean_error(r, 3, contains="no-such-bucket")
    boto("s3").create_bucket(Bucket="here")
    r = invoke_cli("trigger", "add", "ghost", "s3", "--bucket", "here")
    assert_clean_error(r, 3, contains="ghost")


# --- schedule / eventbridge --------------------------------------------------------------------

def test_schedule_rule_target_permission_and_idempotence(invoke_cli, fn, boto):
    d = add(invoke_cli, "fn", "schedule", "--expression", "rate(5 minutes)", "--input", '{"job": "sweep"}')
    assert d["status"] == "created" and d["id"].startswith("lambdactl-fn-")
    ev = boto("events")
    rule = ev.describe_rule(Name=d["id"])
    assert rule["ScheduleExpression"] == "rate(5 minutes)" and rule["State"] == "ENABLED"
    targets = ev.list_targets_by_rule(Rule=d["id"])["Targets"]
    assert len(targets) == 1 and targets[0]["Arn"] == FN_ARN and json.loads(targets[0]["Input"]) == {"job": "sweep"}
    sts = statements(boto)
    assert len(sts) == 1 and sts[0]["Principal"] == {"Service": "events.amazonaws.com"}
    assert sts[0]["Condition"]["ArnLike"]["AWS:SourceArn"] == rule["Arn"]

    CALLS.clear()
    again = add(invoke_cli, "fn", "schedule", "--expression", "rate(5 minutes)", "--input", '{"job": "sweep"}')
    assert again["status"] == "unchanged" and again["id"] == d["id"]
    assert not [c for c in CALLS.calls if c.mutating]
    # a different input updates the same rule's target
    upd = add(invoke_cli, "fn", "schedule", "--expression", "rate(5 minutes)", "--input", '{"job": "other"}')
    assert upd["status"] == "updated" and upd["id"] == d["id"]
    assert json.loads(ev.list_targets_by_rule(Rule=d["id"])["Targets"][0]["Input"]) == {"job": "other"}

    r = invoke_cli("trigger", "remove", "fn", d["id"], "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["rule_deleted"] is True
    assert ev.list_rules()["Rules"] == [] and statements(boto) == []


def test_schedule_named_rule_on_function_from_project(invoke_cli, fn, boto, project_dir):
    (project_dir / "lambdactl.toml").write_text(
        '[function]\nname = "fn"\nruntime = "python3.12"\nhandler = "app.handler"\n')
    d = add(invoke_cli, "schedule", "-e", "cron(0 12 ? * MON-FRI *)", "--name", "weekday-noon", "--disabled")
    assert d["function"] == "fn" and d["id"] == "weekday-noon"
    rule = boto("events").describe_rule(Name="weekday-noon")
    assert rule["State"] == "DISABLED" and rule["ScheduleExpression"] == "cron(0 12 ? * MON-FRI *)"


def test_remove_keeps_a_foreign_rule_with_other_targets(invoke_cli, fn, boto):
    """A rule lambdactl did not create loses only this function's target, and the rule stays."""
    ev = boto("events")
    arn = ev.put_rule(Name="shared", ScheduleExpression="rate(1 hour)")["RuleArn"]
    ev.put_targets(Rule="shared", Targets=[{"Id": "fn", "Arn": FN_ARN},
                                           {"Id": "q", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"}])
    boto("lambda").add_permission(FunctionName="fn", StatementId="their-stmt", Action="lambda:InvokeFunction",
                                  Principal="events.amazonaws.com", SourceArn=arn)
    rows = invoke_cli("trigger", "list", "fn", "-o", "json").json()
    assert [(t["id"], t["kind"], t["managed"]) for t in rows] == [("shared", "schedule", False)]
    r = invoke_cli("trigger", "remove", "fn", "shared", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert [t["Id"] for t in ev.list_targets_by_rule(Rule="shared")["Targets"]] == ["q"]
    assert [s["Sid"] for s in statements(boto)] == ["their-stmt"]     # not ours: kept


def test_eventbridge_pattern_from_file_on_custom_bus(invoke_cli, fn, boto, tmp_path):
    ev = boto("events")
    ev.create_event_bus(Name="orders")
    pat = {"source": ["shop.orders"], "detail": {"status": ["paid"]}}
    f = tmp_path / "pattern.json"
    f.write_text(json.dumps(pat))
    d = add(invoke_cli, "fn", "eventbridge", "--pattern", f"@{f}", "--bus", "orders")
    assert d["status"] == "created" and d["id"].startswith("orders/lambdactl-fn-")
    name = d["id"].split("/", 1)[1]
    rule = ev.describe_rule(Name=name, EventBusName="orders")
    assert json.loads(rule["EventPattern"]) == pat
    assert ev.list_targets_by_rule(Rule=name, EventBusName="orders")["Targets"][0]["Arn"] == FN_ARN
    assert statements(boto)[0]["Condition"]["ArnLike"]["AWS:SourceArn"] == rule["Arn"]
    again = add(invoke_cli, "fn", "eventbridge", "--pattern", json.dumps(pat), "--bus", "orders")
    assert again["status"] == "unchanged"
    rows = invoke_cli("trigger", "list", "fn", "-o", "json").json()
    assert [(t["id"], t["kind"]) for t in rows] == [(d["id"], "eventbridge")]
    r = invoke_cli("trigger", "remove", "fn", d["id"])
    assert r.exit_code == 0, r.stderr
    assert ev.list_rules(EventBusName="orders")["Rules"] == [] and statements(boto) == []


@pytest.mark.parametrize("args, contains", [
    (("schedule", "--expression", "rate(1 minutes)"), "singular"),
    (("schedule", "--expression", "rate(5 minute)"), "plural"),
    (("schedule", "--expression", "rate(5 weeks)"), "unit"),
    (("schedule", "--expression", "cron(0 12 * * *)"), "6"),
    (("schedule", "--expression", "cron(0 12 * * * *)"), "field 3"),
    (("schedule", "--expression", "cron(0 25 * * ? *)"), "field 2 (hours)"),
    (("schedule", "--expression", "every 5 minutes"), "invalid schedule expression"),
    (("schedule", "--expression", "at(2026-12-01T09:00:00)"), "one-time"),
    (("schedule", "--expression", "rate(5 minutes)", "--input", "{bad"), "--input: invalid JSON"),
    (("eventbridge", "--pattern", "{not json"), "invalid JSON"),
    (("eventbridge", "--pattern", "[1, 2]"), "non-empty JSON object"),
    (("eventbridge", "--pattern", '{"source": "aws.s3"}'), "pattern.source"),
    (("eventbridge", "--pattern", '{"detail": {"state": []}}'), "pattern.detail.state"),
    (("eventbridge", "--pattern", "@/nonexistent/p.json"), "file not found"),
    (("s3", "--bucket", "Bad_Bucket"), "bucket name"),
    (("s3", "--bucket", "fine-bucket", "--events", "s3:ObjectCreated"), "S3 event type"),
    (("sqs", "--queue", "q", "--batch-size", "20"), "needs --window"),
    (("sqs", "--queue", "q", "--batch-size", "0"), "out of range"),
    (("sqs", "--queue", "q.fifo", "--batch-size", "20", "--window", "1"), "FIFO"),
    (("sqs", "--queue", "q", "--window", "301"), "out of range"),
    (("kinesis", "--stream", "s", "--batch-size", "10001"), "out of range"),
    (("kinesis", "--stream", "s", "--starting-position", "EARLIEST"), "LATEST, TRIM_HORIZON"),
    (("kinesis", "--stream", "s", "--starting-position", "AT_TIMESTAMP"), "--starting-timestamp"),
    (("sqs", "--queue", "q", "--max-concurrency", "1"), "--max-concurrency 1 is out of range"),
    (("sqs", "--queue", "q", "--filter", "{bad"), "--filter: invalid JSON"),
    (("sqs", "--queue", "q", "--filter", "[1]"), "non-empty JSON object"),
    (("kinesis", "--stream", "s", "--max-retries", "10001"), "--max-retries 10001 is out of range"),
    (("kinesis", "--stream", "s", "--max-record-age", "30"), "--max-record-age 30 is out of range"),
    (("kinesis", "--stream", "s", "--parallelization-factor", "11"), "out of range"),
    (("kinesis", "--stream", "s", "--tumbling-window", "901"), "out of range"),
    (("kinesis", "--stream", "s", "--on-failure", "arn:aws:lambda:us-east-1:123456789012:function:x"),
     "--on-failure: an ARN of lambda"),
    (("dynamodb", "--table", "tab1", "--on-failure", "not-an-arn"), "not an ARN"),
    (("dynamodb",), "exactly one of --table"),
    (("dynamodb", "--table", "tab1", "--starting-position", "AT_TIMESTAMP"), "LATEST, TRIM_HORIZON"),
    (("sns", "--topic", "topic-name"), "not an SNS topic ARN"),
    (("url", "--auth", "OPEN"), "NONE, AWS_IAM"),
    (("url", "--cors-methods", "FETCH"), "CORS method"),
    (("url", "--cors-credentials"), "every origin"),
])
def test_invalid_input_exits_2_before_any_aws_call(invoke_cli, args, contains):
    CALLS.clear()
    r = invoke_cli("trigger", "add", "fn", *args)
    assert_clean_error(r, 2, contains=contains)
    assert CALLS.calls == []


@pytest.mark.parametrize("args", [("schedule", "--expression", "rate(0 minutes)"),
                                  ("eventbridge", "--pattern", "@/nonexistent/p.json")])
def test_invalid_input_errors_carry_a_hint(invoke_cli, args):
    r = invoke_cli("trigger", "add", "fn", *args)
    assert_clean_error(r, 2)
    assert "hint:" in r.stderr


# --- event source mappings ------------------------------------------------------------------------

def test_sqs_url_to_arn_batch_update_and_managed_tag(invoke_cli, fn, boto):
    sqs = boto("sqs")
    qurl = sqs.create_queue(QueueName="orders")["QueueUrl"]
    qarn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders"
    d = add(invoke_cli, "fn", "sqs", "--queue", qurl)
    assert d["status"] == "created" and d["source"] == qarn
    m = boto("lambda").get_event_source_mapping(UUID=d["id"])
    assert m["EventSourceArn"] == qarn and m["BatchSize"] == 10
    tags = boto("lambda").list_tags(Resource=m["EventSourceMappingArn"])["Tags"]
    assert tags == {"lambdactl:managed": "true"}

    CALLS.clear()
    again = add(invoke_cli, "fn", "sqs", "--queue", qarn)
    assert again["status"] == "unchanged" and again["id"] == d["id"]
    assert not [c for c in CALLS.calls if c.mutating]
    upd = add(invoke_cli, "fn", "sqs", "--queue", "orders", "--batch-size", "100", "--window", "5")
    assert upd["status"] == "updated" and upd["id"] == d["id"]
    assert {c["field"] for c in upd["changes"]} == {"batch_size", "window"}
    m = boto("lambda").get_event_source_mapping(UUID=d["id"])
    assert m["BatchSize"] == 100 and m["MaximumBatchingWindowInSeconds"] == 5
    assert len(boto("lambda").list_event_source_mappings(FunctionName="fn")["EventSourceMappings"]) == 1

    r = invoke_cli("trigger", "remove", "fn", d["id"])
    assert r.exit_code == 0, r.stderr
    assert boto("lambda").list_event_source_mappings(FunctionName="fn")["EventSourceMappings"] == []


def test_sqs_missing_queue_exits_3(invoke_cli, fn):
    r = invoke_cli("trigger", "add", "fn", "sqs", "--queue", f"arn:aws:sqs:{REGION}:{ACCOUNT}:nope")
    assert_clean_error(r, 3, contains="nope")


def test_sqs_rejected_for_role_permissions_names_them(fn, iam_role, boto):
    """moto does not check the execution role, so botocore's Stubber plays AWS's rejection of
    CreateEventSourceMapping, that one call only (tests/stubbing.py): the ListEventSourceMappings
    read before it reaches the moto server."""
    from lambdactl.aws import session
    from tests.stubbing import PartialStubber

    boto("sqs").create_queue(QueueName="orders")
    from lambdactl.core.resources import triggers
    from lambdactl.errors import OperationError

    aws = session()
    target = triggers.Target("fn", None, FN_ARN, role=iam_role)
    spec = triggers.resolve(aws, triggers.normalize("sqs", {"queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders"}))
    lam = aws.client("lambda")
    CALLS.clear()
    with PartialStubber(lam, ("CreateEventSourceMapping",)) as stub:
        stub.add_client_error("create_event_source_mapping", service_error_code="InvalidParameterValueException",
                              service_message="The provided execution role does not have permissions to call "
                                      "ReceiveMessage on SQS", http_status_code=400)
        with pytest.raises(OperationError) as err:
            triggers.ensure(aws, target, spec)
        stub.assert_no_pending_responses()
    assert CALLS.count("ListEventSourceMappings") >= 1 and all(c.status == 200 for c in CALLS.calls
                                                               if c.operation == "ListEventSourceMappings")
    assert "ReceiveMessage" in err.value.message
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        assert action in err.value.hint
    assert "test-lambda-role" in err.value.hint


def test_kinesis_stream_by_name(invoke_cli, fn, boto):
    boto("kinesis").create_stream(StreamName="clicks", ShardCount=1)
    arn = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/clicks"
    d = add(invoke_cli, "fn", "kinesis", "--stream", "clicks", "--starting-position", "TRIM_HORIZON",
            "--batch-size", "500")
    assert d["status"] == "created" and d["source"] == arn
    m = boto("lambda").get_event_source_mapping(UUID=d["id"])
    assert m["StartingPosition"] == "TRIM_HORIZON" and m["BatchSize"] == 500
    again = add(invoke_cli, "fn", "kinesis", "--stream", arn, "--starting-position", "TRIM_HORIZON",
                "--batch-size", "500")
    assert again["status"] == "unchanged"


def test_dynamodb_table_resolves_stream(invoke_cli, fn, boto):
    ddb = boto("dynamodb")
    key = {"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
           "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}
    stream = ddb.create_table(TableName="orders", StreamSpecification={"StreamEnabled": True,
                                                                       "StreamViewType": "NEW_IMAGE"},
                              **key)["TableDescription"]["LatestStreamArn"]
    ddb.create_table(TableName="plain", **key)
    d = add(invoke_cli, "fn", "dynamodb", "--table", "orders")
    assert d["status"] == "created" and d["source"] == stream
    assert boto("lambda").get_event_source_mapping(UUID=d["id"])["StartingPosition"] == "LATEST"
    assert add(invoke_cli, "fn", "dynamodb", "--stream", stream)["status"] == "unchanged"
    r = invoke_cli("trigger", "add", "fn", "dynamodb", "--table", "plain")
    assert_clean_error(r, 2, contains="no stream")
    r = invoke_cli("trigger", "add", "fn", "dynamodb", "--table", "missing")
    assert_clean_error(r, 3, contains="missing")


def test_mapping_settings_from_flags_update_and_list(invoke_cli, fn, boto):
    """Every setting 'trigger add' takes reaches the mapping, re-running with others updates them
    (left-out ones go back to their defaults), and 'trigger list' shows them (table and json)."""
    sqs = boto("sqs")
    qarn = sqs.get_queue_attributes(QueueUrl=sqs.create_queue(QueueName="jobs")["QueueUrl"],
                                    AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    failed = sqs.get_queue_attributes(QueueUrl=sqs.create_queue(QueueName="failed")["QueueUrl"],
                                      AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto("kinesis").create_stream(StreamName="clicks", ShardCount=1)
    q = add(invoke_cli, "fn", "sqs", "--queue", "jobs", "--batch-size", "20", "--window", "3",
            "--report-batch-item-failures", "--max-concurrency", "5", "--filter", '{"body": {"type": ["order"]}}',
            "--filter", '{"body": {"type": ["refund"]}}')
    k = add(invoke_cli, "fn", "kinesis", "--stream", "clicks", "--starting-position", "TRIM_HORIZON",
            "--report-batch-item-failures", "--bisect-on-error", "--max-retries", "3", "--max-record-age", "3600",
            "--on-failure", failed, "--parallelization-factor", "4", "--tumbling-window", "60",
            "--filter", '{"data": {"kind": ["click"]}}')
    lam = boto("lambda")
    m = lam.get_event_source_mapping(UUID=q["id"])
    assert (m["BatchSize"], m["MaximumBatchingWindowInSeconds"], m["FunctionResponseTypes"], m["ScalingConfig"]) == \
        (20, 3, ["ReportBatchItemFailures"], {"MaximumConcurrency": 5})
    assert sorted(f["Pattern"] for f in m["FilterCriteria"]["Filters"]) == [
        '{"body":{"type":["order"]}}', '{"body":{"type":["refund"]}}']
    m = lam.get_event_source_mapping(UUID=k["id"])
    assert (m["StartingPosition"], m["BisectBatchOnFunctionError"], m["MaximumRetryAttempts"],
            m["MaximumRecordAgeInSeconds"], m["ParallelizationFactor"], m["TumblingWindowInSeconds"],
            m["DestinationConfig"], m["FunctionResponseTypes"]) == \
        ("TRIM_HORIZON", True, 3, 3600, 4, 60, {"OnFailure": {"Destination": failed}}, ["ReportBatchItemFailures"])

    rows = {t["kind"]: t for t in invoke_cli("trigger", "list", "fn", "-o", "json").json()}
    assert rows["sqs"]["details"] == {
        "batch_size": 20, "window": 3, "report_batch_item_failures": True, "max_concurrency": 5,
        "filters": [{"body": {"type": ["order"]}}, {"body": {"type": ["refund"]}}]}
    assert rows["kinesis"]["details"] == {
        "batch_size": 100, "window": 0, "report_batch_item_failures": True,
        "filters": [{"data": {"kind": ["click"]}}], "starting_position": "TRIM_HORIZON", "bisect_on_error": True,
        "max_retries": 3, "max_record_age": 3600, "parallelization_factor": 4, "tumbling_window": 60,
        "on_failure": failed}
    table = invoke_cli("trigger", "list", "fn").stdout
    for text in ("max_concurrency=5", "report_batch_item_failures=yes", '{"body":{"type":["refund"]}}',
                 "bisect_on_error=yes", "max_retries=3", "max_record_age=3600", f"on_failure={failed}",
                 "parallelization_factor=4", "tumbling_window=60", "starting_position=TRIM_HORIZON"):
        assert text in table, (text, table)

    # re-run with fewer options: those left out return to their defaults; the position is kept
    upd = add(invoke_cli, "fn", "kinesis", "--stream", "clicks", "--max-retries", "5")
    assert upd["status"] == "updated" and upd["id"] == k["id"]
    assert {c["field"] for c in upd["changes"]} == {"report_batch_item_failures", "filters", "bisect_on_error",
                                                    "max_retries", "max_record_age", "on_failure",
                                                    "parallelization_factor", "tumbling_window"}
    m = lam.get_event_source_mapping(UUID=k["id"])
    assert m["StartingPosition"] == "TRIM_HORIZON" and m["MaximumRetryAttempts"] == 5
    assert not m.get("FunctionResponseTypes") and not (m.get("FilterCriteria") or {}).get("Filters")
    assert not (m.get("DestinationConfig") or {}).get("OnFailure")
    assert (m["BisectBatchOnFunctionError"], m["MaximumRecordAgeInSeconds"], m["ParallelizationFactor"],
            m["TumblingWindowInSeconds"]) == (False, -1, 1, 0)
    assert add(invoke_cli, "fn", "kinesis", "--stream", "clicks", "--max-retries", "5")["status"] == "unchanged"
    q2 = add(invoke_cli, "fn", "sqs", "--queue", qarn, "--batch-size", "20", "--window", "3")
    assert {c["field"] for c in q2["changes"]} == {"report_batch_item_failures", "max_concurrency", "filters"}
    m = lam.get_event_source_mapping(UUID=q["id"])
    assert not m.get("ScalingConfig") and not (m.get("FilterCriteria") or {}).get("Filters")


def test_a_new_starting_position_is_refused_on_an_existing_mapping(invoke_cli, fn, boto):
    boto("kinesis").create_stream(StreamName="clicks", ShardCount=1)
    k = add(invoke_cli, "fn", "kinesis", "--stream", "clicks", "--starting-position", "TRIM_HORIZON")
    CALLS.clear()
    r = invoke_cli("trigger", "add", "fn", "kinesis", "--stream", "clicks", "--starting-position", "LATEST",
                   "--max-retries", "2")
    assert_clean_error(r, 2, contains="cannot be changed")
    assert "trigger remove" in r.stderr
    assert not [c for c in CALLS.calls if c.mutating]
    m = boto("lambda").get_event_source_mapping(UUID=k["id"])
    assert m["StartingPosition"] == "TRIM_HORIZON" and m.get("MaximumRetryAttempts") in (None, -1)


@pytest.mark.parametrize("region, partition", [("us-isob-east-1", "aws-iso-b"), ("eusc-de-east-1", "aws-eusc"),
                                               ("us-iso-east-1", "aws-iso")])
def test_arns_lambdactl_builds_use_the_regions_partition(invoke_cli, moto_endpoint, sample_zip, region, partition):
    """A queue given by name, a bucket and a stream name become ARNs of the region's partition
    (botocore's partition data), not arn:aws: — moto serves these regions with their partitions."""
    import boto3

    from lambdactl.aws import AwsSession
    from lambdactl.settings import Settings

    assert AwsSession(Settings(region=region)).partition == partition
    assert AwsSession(Settings(region="cn-northwest-1")).partition == "aws-cn"
    assert AwsSession(Settings(region="local")).partition == "aws"          # unknown to botocore (an emulator's)

    def client(service):
        return boto3.client(service, region_name=region, endpoint_url=moto_endpoint)

    from tests.conftest import LAMBDA_TRUST

    role = client("iam").create_role(RoleName="role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    client("lambda").create_function(FunctionName="fn", Runtime="python3.12", Role=role, Handler="app.handler",
                                     Code={"ZipFile": sample_zip})
    client("sqs").create_queue(QueueName="jobs")
    client("s3").create_bucket(Bucket="drop", CreateBucketConfiguration={"LocationConstraint": region})
    r = invoke_cli("--region", region, "trigger", "add", "fn", "sqs", "--queue", "jobs", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["source"] == f"arn:{partition}:sqs:{region}:{ACCOUNT}:jobs"
    r = invoke_cli("--region", region, "trigger", "add", "fn", "s3", "--bucket", "drop", "-o", "json")
    assert r.exit_code == 0, r.stderr
    policy = json.loads(client("lambda").get_policy(FunctionName="fn")["Policy"])
    assert json.dumps(policy).count(f"arn:{partition}:s3:::drop") == 1 and "arn:aws:" not in json.dumps(policy)
    rows = invoke_cli("--region", region, "trigger", "list", "fn", "-o", "json").json()
    assert {t["kind"] for t in rows} == {"sqs", "s3"}                         # the bucket's ARN is recognized


# --- SNS and URL ---------------------------------------------------------------------------------

def test_sns_subscription_and_permission(invoke_cli, fn, boto):
    sns = boto("sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    d = add(invoke_cli, "fn", "sns", "--topic", topic)
    assert d["status"] == "created"
    subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"], s["SubscriptionArn"]) for s in subs] == [("lambda", FN_ARN, d["id"])]
    sts = statements(boto)
    assert sts[0]["Principal"] == {"Service": "sns.amazonaws.com"}
    assert sts[0]["Condition"]["ArnLike"]["AWS:SourceArn"] == topic
    again = add(invoke_cli, "fn", "sns", "--topic", topic)
    assert again["status"] == "unchanged" and again["id"] == d["id"]
    assert len(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]) == 1 and len(statements(boto)) == 1
    # a unique tail of the id is enough
    r = invoke_cli("trigger", "remove", "fn", d["id"].rsplit(":", 1)[1])
    assert r.exit_code == 0, r.stderr
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == [] and statements(boto) == []


def test_url_public_with_cors_adds_both_statements(invoke_cli, fn, boto):
    r = invoke_cli("trigger", "add", "fn", "url", "--auth", "NONE", "--cors-origin", "https://example.com",
                   "--cors-methods", "GET,POST", "--cors-max-age", "60")
    assert r.exit_code == 0, r.stderr
    url = boto("lambda").get_function_url_config(FunctionName="fn")
    assert url["FunctionUrl"] in r.stdout            # the URL is printed
    assert url["AuthType"] == "NONE"
    assert url["Cors"]["AllowOrigins"] == ["https://example.com"] and url["Cors"]["AllowMethods"] == ["GET", "POST"]
    by_action = {s["Action"]: s for s in statements(boto)}
    assert set(by_action) == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}
    assert all(s["Principal"] in ("*", {"AWS": "*"}) for s in by_action.values())
    url_stmt, invoke_stmt = by_action["lambda:InvokeFunctionUrl"], by_action["lambda:InvokeFunction"]
    # AWS writes these as conditions; moto keeps the AddPermission fields verbatim
    assert "NONE" in json.dumps(url_stmt) and "FunctionUrlAuthType" in json.dumps(url_stmt)
    assert "InvokedViaFunctionUrl" in json.dumps(invoke_stmt)

    r = invoke_cli("-q", "trigger", "add", "fn", "url", "--auth", "NONE", "--cors-origin", "https://example.com",
                   "--cors-methods", "GET,POST", "--cors-max-age", "60")
    assert r.exit_code == 0 and r.stdout.strip() == url["FunctionUrl"]
    again = add(invoke_cli, "fn", "url", "--auth", "NONE", "--cors-origin", "https://example.com",
                "--cors-methods", "GET,POST", "--cors-max-age", "60")
    assert again["status"] == "unchanged" and len(statements(boto)) == 2

    # back to IAM auth: the public statements lambdactl added go away
    iam = add(invoke_cli, "fn", "url", "--auth", "AWS_IAM", "--cors-origin", "https://example.com",
              "--cors-methods", "GET,POST", "--cors-max-age", "60")
    assert iam["status"] == "updated"
    assert boto("lambda").get_function_url_config(FunctionName="fn")["AuthType"] == "AWS_IAM"
    assert statements(boto) == []
    r = invoke_cli("trigger", "remove", "fn", "url")
    assert r.exit_code == 0, r.stderr
    with pytest.raises(boto("lambda").exceptions.ResourceNotFoundException):
        boto("lambda").get_function_url_config(FunctionName="fn")


def test_public_url_warns_with_the_url_and_iam_does_not(invoke_cli, fn, boto):
    """Without a terminal (CliRunner) nothing is asked: the URL is made public, and stderr says so."""
    r = invoke_cli("trigger", "add", "fn", "url")                     # AWS_IAM: not public, not a word
    assert r.exit_code == 0, r.stderr
    assert "warning" not in r.stderr and "anyone" not in r.stderr
    r = invoke_cli("trigger", "add", "fn", "url", "--auth", "NONE")
    assert r.exit_code == 0, r.stderr
    url = boto("lambda").get_function_url_config(FunctionName="fn")["FunctionUrl"]
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "fn is now invokable by anyone on the internet" in warnings[0], r.stderr
    assert url in warnings[0] and "[y/N]" not in r.stderr and "Traceback" not in r.stderr
    r = invoke_cli("trigger", "add", "fn", "url", "--auth", "NONE", "-o", "json")   # re-run: still says so
    assert r.json()["status"] == "unchanged" and "fn is invokable by anyone" in r.stderr and url in r.stderr
    r = invoke_cli("trigger", "add", "fn", "url", "--auth", "AWS_IAM")
    assert r.exit_code == 0 and "anyone" not in r.stderr


def _spawn(cwd, *args: str):
    pexpect = pytest.importorskip("pexpect")
    import os
    import sys

    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    return pexpect.spawn(sys.executable, ["-m", "lambdactl", *args], cwd=str(cwd), env=env, encoding="utf-8",
                         timeout=60, dimensions=(50, 200)), pexpect


def _finish(child, pexpect) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus if child.exitstatus is not None else 128 + (child.signalstatus or 0)


def test_public_url_asks_on_a_terminal_and_no_changes_nothing(fn, boto, tmp_path):
    lam = boto("lambda")
    child, pexpect = _spawn(tmp_path, "trigger", "add", "fn", "url", "--auth", "NONE")
    child.expect("fn will be invokable by anyone on the internet")
    child.expect(r"Make fn public\? \[y/N\]")
    child.sendline("n")
    child.expect("not changed")
    assert _finish(child, pexpect) == 1
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_url_config(FunctionName="fn")
    assert statements(boto) == []

    child, pexpect = _spawn(tmp_path, "trigger", "add", "fn", "url", "--auth", "NONE")
    child.expect(r"Make fn public\? \[y/N\]")
    child.sendline("y")
    child.expect("fn is now invokable by anyone on the internet, without credentials: (http\\S+)")
    shown = child.match.group(1)
    assert _finish(child, pexpect) == 0
    assert lam.get_function_url_config(FunctionName="fn")["FunctionUrl"] == shown
    assert len(statements(boto)) == 2

    lam.delete_function_url_config(FunctionName="fn")
    child, pexpect = _spawn(tmp_path, "trigger", "add", "fn", "url", "--auth", "NONE", "--yes")
    idx = child.expect(["public\\?", "is now invokable by anyone"])
    assert idx == 1                                           # --yes: the warning, no question
    assert _finish(child, pexpect) == 0


def _url_project(project_dir, iam_role, auth: str) -> None:
    (project_dir / "src").mkdir(exist_ok=True)
    (project_dir / "src" / "app.py").write_text("def handler(e, c):\n    return e\n")
    (project_dir / "lambdactl.toml").write_text(
        '[function]\nname = "web"\nruntime = "python3.12"\nhandler = "app.handler"\n'
        f'role = "{iam_role}"\n[[triggers]]\ntype = "url"\nauth = "{auth}"\n')


def test_deploy_that_makes_a_url_public_asks_on_a_terminal(project_dir, iam_role, boto):
    lam = boto("lambda")
    _url_project(project_dir, iam_role, "NONE")
    child, pexpect = _spawn(project_dir, "deploy")
    child.expect("web will be invokable by anyone on the internet")
    child.expect(r"make it public\? \[y/N\]")
    child.sendline("n")
    assert _finish(child, pexpect) == 1
    assert lam.list_functions()["Functions"] == []               # declined: nothing was done at all


def test_deploy_warns_when_it_makes_a_url_public(invoke_cli, project_dir, iam_role, boto):
    lam = boto("lambda")
    _url_project(project_dir, iam_role, "AWS_IAM")
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    assert "anyone" not in r.stderr
    url = lam.get_function_url_config(FunctionName="web")["FunctionUrl"]
    _url_project(project_dir, iam_role, "NONE")
    r = invoke_cli("deploy", "--dry-run", "-o", "json")
    assert r.exit_code == 0 and "anyone" not in r.stderr             # a plan changes nothing: no warning
    step = next(s for s in r.json()["steps"] if s["area"] == "trigger" and s["action"] == "update")
    assert step["public"] is True and step["url"] == url
    r = invoke_cli("deploy")                                         # no terminal: no question, the warning
    assert r.exit_code == 0, r.stderr
    assert lam.get_function_url_config(FunctionName="web")["AuthType"] == "NONE"
    assert f"web is now invokable by anyone on the internet, without credentials: {url}" in r.stderr
    r = invoke_cli("deploy")
    assert r.exit_code == 0 and "anyone" not in r.stderr              # unchanged: nothing new to say


# --- list of everything, remove errors --------------------------------------------------------------

def test_list_shows_every_kind(invoke_cli, fn, boto):
    boto("s3").create_bucket(Bucket="pics")
    qurl = boto("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    boto("kinesis").create_stream(StreamName="clicks", ShardCount=1)
    boto("dynamodb").create_table(
        TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    topic = boto("sns").create_topic(Name="alerts")["TopicArn"]
    ids = {
        "s3": add(invoke_cli, "fn", "s3", "--bucket", "pics")["id"],
        "schedule": add(invoke_cli, "fn", "schedule", "-e", "rate(1 day)")["id"],
        "eventbridge": add(invoke_cli, "fn", "eventbridge", "--pattern", '{"source": ["x"]}')["id"],
        "sqs": add(invoke_cli, "fn", "sqs", "--queue", qurl)["id"],
        "kinesis": add(invoke_cli, "fn", "kinesis", "--stream", "clicks")["id"],
        "dynamodb": add(invoke_cli, "fn", "dynamodb", "--table", "orders")["id"],
        "sns": add(invoke_cli, "fn", "sns", "--topic", topic)["id"],
        "url": add(invoke_cli, "fn", "url")["id"],
    }
    r = invoke_cli("trigger", "list", "fn", "-o", "json")
    assert r.exit_code == 0, r.stderr
    rows = r.json()
    assert {t["kind"]: t["id"] for t in rows} == ids
    assert len(rows) == 8
    assert all(t["managed"] for t in rows if t["kind"] != "url")      # AWS_IAM URL: no statement to mark it
    assert all(set(t) == {"id", "kind", "source", "state", "managed", "details"} for t in rows)
    assert {t["state"] for t in rows} == {"enabled"}
    r = invoke_cli("trigger", "list", "fn")
    assert r.exit_code == 0 and "ID" in r.stdout and "KIND" in r.stdout and "STATE" in r.stdout
    for kind in ids:
        assert kind in r.stdout
    r = invoke_cli("trigger", "ls", "fn", "-o", "text")
    assert len(r.stdout.strip().splitlines()) == 8


def test_list_shows_dangling_permission_and_empty(invoke_cli, fn, boto):
    r = invoke_cli("trigger", "list", "fn", "-o", "json")
    assert r.exit_code == 0 and r.json() == []
    boto("s3").create_bucket(Bucket="quiet")
    boto("lambda").add_permission(FunctionName="fn", StatementId="s3-old", Action="lambda:InvokeFunction",
                                  Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::quiet")
    rows = invoke_cli("trigger", "list", "fn", "-o", "json").json()
    assert [(t["id"], t["kind"], t["state"]) for t in rows] == [("s3-old", "s3", "permission only")]


def test_remove_unknown_id_exits_3_and_bad_args_exit_2(invoke_cli, fn):
    r = invoke_cli("trigger", "remove", "fn", "lambdactl-000000000000")
    assert_clean_error(r, 3, contains="lambdactl-000000000000")
    r = invoke_cli("trigger", "remove", "a", "b", "c")
    assert_clean_error(r, 2)
    r = invoke_cli("trigger", "add", "fn")
    assert r.exit_code == 2 and "KIND" in r.stderr


def test_function_named_like_a_kind(invoke_cli, create_function, boto):
    create_function("s3")
    boto("s3").create_bucket(Bucket="bkt")
    d = add(invoke_cli, "s3", "s3", "--bucket", "bkt")
    assert d["function"] == "s3" and d["status"] == "created"


# --- the deploy planner ---------------------------------------------------------------------------

def _project(tmp_path, triggers_toml: str):
    from lambdactl.config import loads

    text = '[function]\nname = "fn"\nruntime = "python3.12"\nhandler = "app.handler"\n' + triggers_toml
    return loads(text, file=str(tmp_path / "lambdactl.toml"))


def _ctx(project, current):
    from lambdactl.aws import session
    from lambdactl.core.resources.plan import DeployContext

    return DeployContext(aws=session(), project=project, function_name="fn", current=current)


def test_plan_triggers_adds_keeps_and_removes_only_ours(fn, boto, tmp_path):
    from lambdactl.core.resources.plan import Executor
    from lambdactl.core.resources.triggers import plan_triggers

    q1 = boto("sqs").create_queue(QueueName="one")["QueueUrl"]
    boto("sqs").create_queue(QueueName="two")
    foreign = boto("lambda").create_event_source_mapping(
        FunctionName="fn", EventSourceArn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:two")["UUID"]
    toml = ('[[triggers]]\ntype = "schedule"\nexpression = "rate(5 minutes)"\n'
            f'[[triggers]]\ntype = "sqs"\nsource = "{q1}"\nbatch_size = 10\n')
    project = _project(tmp_path, toml)
    current = boto("lambda").get_function_configuration(FunctionName="fn")

    CALLS.clear()
    steps = plan_triggers(_ctx(project, current))
    assert not [c for c in CALLS.calls if c.mutating]              # planning only reads
    assert [(s.area, s.action) for s in steps] == [("trigger", "create"), ("trigger", "create"),
                                                   ("trigger", "record")]   # + which ones the file declares
    Executor().run(_ctx(project, current), steps)
    rules = boto("events").list_rules()["Rules"]
    assert len(rules) == 1 and rules[0]["ScheduleExpression"] == "rate(5 minutes)"
    sources = {m["EventSourceArn"] for m in boto("lambda").list_event_source_mappings(FunctionName="fn")["EventSourceMappings"]}
    assert sources == {f"arn:aws:sqs:{REGION}:{ACCOUNT}:one", f"arn:aws:sqs:{REGION}:{ACCOUNT}:two"}

    # equal: nothing to do
    assert plan_triggers(_ctx(project, current)) == []

    # a changed batch size is an update; the schedule that left the file is removed; the
    # mapping lambdactl did not create (queue "two") is left alone
    project2 = _project(tmp_path, f'[[triggers]]\ntype = "sqs"\nsource = "{q1}"\nbatch_size = 5\n')
    steps = plan_triggers(_ctx(project2, current))
    assert sorted(s.action for s in steps) == ["delete", "record", "update"]
    Executor().run(_ctx(project2, current), steps)
    assert boto("events").list_rules()["Rules"] == []
    assert statements(boto) == []
    maps = boto("lambda").list_event_source_mappings(FunctionName="fn")["EventSourceMappings"]
    assert {m["UUID"] for m in maps} >= {foreign}
    assert {m["EventSourceArn"]: m["BatchSize"] for m in maps}[f"arn:aws:sqs:{REGION}:{ACCOUNT}:one"] == 5
    assert plan_triggers(_ctx(project2, current)) == []


def test_plan_triggers_for_a_new_function_only_adds_without_calls(boto, tmp_path, iam_role, sample_zip):
    from lambdactl.core.resources.plan import Executor
    from lambdactl.core.resources.triggers import plan_triggers

    boto("s3").create_bucket(Bucket="incoming")
    project = _project(tmp_path, '[[triggers]]\ntype = "s3"\nbucket = "incoming"\nsuffix = ".csv"\n'
                                 '[[triggers]]\ntype = "url"\nauth = "NONE"\n')
    CALLS.clear()
    steps = plan_triggers(_ctx(project, None))
    assert CALLS.calls == []
    assert [s.action for s in steps] == ["create", "create", "record"]
    boto("lambda").create_function(FunctionName="fn", Runtime="python3.12", Role=iam_role, Handler="app.handler",
                                   Code={"ZipFile": sample_zip})
    Executor().run(_ctx(project, None), steps)
    lambdas = notifications(boto, "incoming")["LambdaFunctionConfigurations"]
    assert len(lambdas) == 1 and lambdas[0]["LambdaFunctionArn"] == FN_ARN
    assert boto("lambda").get_function_url_config(FunctionName="fn")["AuthType"] == "NONE"
    current = boto("lambda").get_function_configuration(FunctionName="fn")
    assert plan_triggers(_ctx(project, current)) == []


def test_plan_triggers_apply_uses_the_targets_the_plan_resolved(fn, boto, tmp_path):
    """Issue 18: the function and the queue are looked up once, by the plan; applying its steps
    resolves nothing again (no GetFunctionConfiguration, no GetQueueUrl)."""
    from lambdactl.core.resources.plan import Executor
    from lambdactl.core.resources.triggers import plan_triggers

    q = boto("sqs").create_queue(QueueName="once")["QueueUrl"]
    project = _project(tmp_path, f'[[triggers]]\ntype = "sqs"\nsource = "{q}"\n')
    current = boto("lambda").get_function_configuration(FunctionName="fn")
    CALLS.clear()
    steps = plan_triggers(_ctx(project, current))
    assert [c.operation for c in CALLS.calls].count("GetQueueUrl") == 1
    CALLS.clear()
    Executor().run(_ctx(project, current), steps)
    ops = [c.operation for c in CALLS.calls]
    assert "CreateEventSourceMapping" in ops
    assert "GetQueueUrl" not in ops and "GetFunctionConfiguration" not in ops and "GetFunction" not in ops
    assert plan_triggers(_ctx(project, current)) == []


def test_plan_triggers_for_a_new_function_resolves_once_at_apply(boto, tmp_path, iam_role, sample_zip):
    """A function created by the deploy: its target and the sources are resolved once when the
    steps run, shared by the trigger steps and the record step."""
    from lambdactl.core.resources.plan import Executor
    from lambdactl.core.resources.triggers import plan_triggers

    q = boto("sqs").create_queue(QueueName="fresh")["QueueUrl"]
    project = _project(tmp_path, f'[[triggers]]\ntype = "sqs"\nsource = "{q}"\n'
                                 '[[triggers]]\ntype = "schedule"\nexpression = "rate(1 hour)"\n')
    steps = plan_triggers(_ctx(project, None))
    boto("lambda").create_function(FunctionName="fn", Runtime="python3.12", Role=iam_role, Handler="app.handler",
                                   Code={"ZipFile": sample_zip})
    CALLS.clear()
    Executor().run(_ctx(project, None), steps)
    ops = [c.operation for c in CALLS.calls]
    assert ops.count("GetQueueUrl") == 1
    # one look-up of the function; any other follows a GetPolicy (no policy yet, or no function?)
    assert ops.count("GetFunctionConfiguration") <= 1 + ops.count("GetPolicy")
    current = boto("lambda").get_function_configuration(FunctionName="fn")
    assert plan_triggers(_ctx(project, current)) == []


def test_every_kind_is_registered_once_behind_the_interface():
    from lambdactl.core.model.triggerspec import KINDS
    from lambdactl.core.resources.triggers import KINDS_BY_NAME, REGISTRY
    from lambdactl.core.resources.triggers.base import TriggerKind

    assert sorted(KINDS_BY_NAME) == sorted(KINDS)
    assert all(isinstance(k, TriggerKind) for k in REGISTRY)
    assert len({k.how for k in REGISTRY}) == len(REGISTRY)
    for k in REGISTRY:      # each kind implements the whole interface
        for method in ("key", "ensure", "read", "remove"):
            assert getattr(type(k), method) is not getattr(TriggerKind, method), (k, method)


def test_plan_triggers_replaces_a_changed_s3_rule_without_overlap_error(fn, boto, tmp_path):
    from lambdactl.core.resources.plan import Executor
    from lambdactl.core.resources.triggers import plan_triggers

    boto("s3").create_bucket(Bucket="drop")
    current = boto("lambda").get_function_configuration(FunctionName="fn")
    p1 = _project(tmp_path, '[[triggers]]\ntype = "s3"\nbucket = "drop"\nprefix = "in/"\n')
    Executor().run(_ctx(p1, current), plan_triggers(_ctx(p1, current)))
    # same prefix, other events: overlaps the old rule, which the plan removes first
    p2 = _project(tmp_path, '[[triggers]]\ntype = "s3"\nbucket = "drop"\nprefix = "in/"\n'
                            'events = ["s3:ObjectCreated:Put"]\n')
    steps = plan_triggers(_ctx(p2, current))
    assert [s.action for s in steps] == ["delete", "create", "record"]
    Executor().run(_ctx(p2, current), steps)
    lambdas = notifications(boto, "drop")["LambdaFunctionConfigurations"]
    assert [c["Events"] for c in lambdas] == [["s3:ObjectCreated:Put"]]
    assert len(statements(boto)) == 1


def test_deploy_removes_triggers_dropped_from_the_file(invoke_cli, project_dir, iam_role, boto):
    """Declared triggers are reconciled by deploy: added, then removed (only lambdactl's) when the
    file no longer lists them — even when the file has no [[triggers]] left at all."""
    (project_dir / "src").mkdir()
    (project_dir / "src" / "app.py").write_text("def handler(e, c):\n    return e\n")
    base = ('[function]\nname = "decl"\nruntime = "python3.12"\nhandler = "app.handler"\n'
            f'role = "{iam_role}"\n')
    (project_dir / "lambdactl.toml").write_text(base + '[[triggers]]\ntype = "schedule"\nexpression = "rate(5 minutes)"\n')
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    events = boto("events")
    fn_arn = boto("lambda").get_function(FunctionName="decl")["Configuration"]["FunctionArn"]
    assert len(events.list_rule_names_by_target(TargetArn=fn_arn)["RuleNames"]) == 1
    r = invoke_cli("deploy", "--dry-run", "--exit-code")
    assert r.exit_code == 0, r.stderr
    (project_dir / "lambdactl.toml").write_text(base)
    r = invoke_cli("deploy", "--dry-run", "--exit-code")
    assert r.exit_code == 5, r.stderr
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    assert events.list_rule_names_by_target(TargetArn=fn_arn)["RuleNames"] == []


def test_deploy_leaves_triggers_added_by_hand(invoke_cli, project_dir, iam_role, boto):
    """Only triggers deploy created from [[triggers]] are removed when they leave the file; one
    added with 'trigger add' stays (with a note), whether the file has triggers or none."""
    (project_dir / "src").mkdir()
    (project_dir / "src" / "app.py").write_text("def handler(e, c):\n    return e\n")
    base = ('[function]\nname = "mixed"\nruntime = "python3.12"\nhandler = "app.handler"\n'
            f'role = "{iam_role}"\n')
    declared = '[[triggers]]\ntype = "schedule"\nexpression = "rate(5 minutes)"\n'
    (project_dir / "lambdactl.toml").write_text(base + declared)
    assert invoke_cli("deploy").exit_code == 0
    r = invoke_cli("trigger", "add", "schedule", "--expression", "rate(1 hour)")
    assert r.exit_code == 0, r.stderr
    fn_arn = boto("lambda").get_function(FunctionName="mixed")["Configuration"]["FunctionArn"]
    events = boto("events")

    def schedules():
        return sorted(events.describe_rule(Name=n)["ScheduleExpression"]
                      for n in events.list_rule_names_by_target(TargetArn=fn_arn)["RuleNames"])

    assert schedules() == ["rate(1 hour)", "rate(5 minutes)"]
    r = invoke_cli("deploy", "--dry-run", "--exit-code")
    assert r.exit_code == 0, r.stdout + r.stderr        # the hand-made trigger is not a pending change
    assert "left alone" in r.stderr
    (project_dir / "lambdactl.toml").write_text(base)    # the declared trigger leaves the file
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    assert schedules() == ["rate(1 hour)"]
    r = invoke_cli("deploy", "--dry-run", "--exit-code")
    assert r.exit_code == 0, r.stdout + r.stderr


def test_auto_role_may_send_to_a_stream_mappings_on_failure_destination(invoke_cli, project_dir, boto):
    """role = "": the auto role gets sqs:SendMessage on a stream trigger's on_failure queue (Lambda
    sends failed batches' records there with the function's role)."""
    boto("kinesis").create_stream(StreamName="clicks", ShardCount=1)
    (project_dir / "src").mkdir()
    (project_dir / "src" / "app.py").write_text("def handler(e, c):\n    return e\n")
    failed = f"arn:aws:sqs:{REGION}:{ACCOUNT}:clicks-failed"
    (project_dir / "lambdactl.toml").write_text(
        '[function]\nname = "clicker"\nruntime = "python3.12"\nhandler = "app.handler"\n'
        f'[[triggers]]\ntype = "kinesis"\nsource = "clicks"\nbisect_on_error = true\non_failure = "{failed}"\n')
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    doc = boto("iam").get_role_policy(RoleName="lambdactl-clicker-role", PolicyName="lambdactl-sources")["PolicyDocument"]
    doc = doc if isinstance(doc, dict) else json.loads(doc)
    assert {tuple(st["Resource"]): st["Action"] for st in doc["Statement"]}[(failed,)] == "sqs:SendMessage"
    m = boto("lambda").list_event_source_mappings(FunctionName="clicker")["EventSourceMappings"][0]
    assert m["DestinationConfig"] == {"OnFailure": {"Destination": failed}} and m["BisectBatchOnFunctionError"]
    assert invoke_cli("deploy", "--dry-run", "--exit-code").exit_code == 0
