"""init --from: adopt a live function (aliases, triggers, reserved concurrency, async config),
then an immediate `diff --exit-code` exits 0.

moto's GetFunction returns a Code.Location on a host that does not exist, so that one call is
answered by botocore's Stubber (tests/stubbing.py, GetFunction only) with a Location served by a
small HTTP server on 127.0.0.1 in this test; every other call reaches the moto server."""
from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import pytest

from tests.conftest import ACCOUNT, REGION, assert_clean_error

HANDLER = "def handler(event, context):\n    return {'ok': True}\n"
SQS_ARN = "arn:aws:sqs:us-east-1:123456789012:failures"


@pytest.fixture
def live_function(tmp_path, iam_role, boto, invoke_cli):
    """A function deployed from a lambdactl-built zip, wired like a real service."""
    from lambdactl.core.build.packaging import build_package

    src = tmp_path / "orig"
    src.mkdir()
    (src / "app.py").write_text(HANDLER)
    (src / "util.py").write_text("X = 1\n")
    pkg = build_package(src, handler="app.handler", runtime="python3.12")
    lam = boto("lambda")
    lam.create_function(FunctionName="orders", Runtime="python3.12", Role=iam_role, Handler="app.handler",
                        Code={"ZipFile": pkg.data}, MemorySize=256, Timeout=20,
                        Environment={"Variables": {"STAGE": "prod", "API_TOKEN": "t0k"}}, Tags={"team": "orders"})
    lam.publish_version(FunctionName="orders")
    lam.create_alias(FunctionName="orders", Name="live", FunctionVersion="1")
    lam.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=7)
    lam.put_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=1,
                                         DestinationConfig={"OnFailure": {"Destination": SQS_ARN}})
    r = invoke_cli("trigger", "add", "orders", "schedule", "--expression", "rate(5 minutes)")
    assert r.exit_code == 0, r.stderr
    q = boto("sqs").create_queue(QueueName="orders-in")["QueueUrl"]
    r = invoke_cli("trigger", "add", "orders", "sqs", "--queue", q, "--batch-size", "5")
    assert r.exit_code == 0, r.stderr
    return pkg


def _adopt(code_server, pkg, directory: Path):
    """init --from through the core: the code comes from the Code.Location of the reader's one
    GetFunction (on the moto server, served by ``code_server``)."""
    from lambdactl.aws import AwsSession
    from lambdactl.core.resources.adopt import adopt
    from lambdactl.settings import Settings

    code_server["orders"] = pkg.data
    return adopt(AwsSession(Settings()), "orders", directory)


def test_adopt_then_diff_shows_no_changes(code_server, live_function, tmp_path, invoke_cli, monkeypatch):
    d = tmp_path / "adopted"
    res = _adopt(code_server, live_function, d)
    assert res["files"] == 2 and res["aliases"] == 1 and res["triggers"] == 2
    assert any("API_TOKEN" in n for n in res["notes"])      # secrets in the file are called out
    text = (d / "lambdactl.toml").read_text()
    assert "reserved = 7" in text and "max_retries = 1" in text and 'type = "schedule"' in text
    assert (d / "src" / "app.py").read_text() == HANDLER
    monkeypatch.chdir(d)
    r = invoke_cli("diff", "--exit-code")
    assert r.exit_code == 0, r.stdout + r.stderr
    r = invoke_cli("deploy", "--dry-run", "--exit-code")
    assert r.exit_code == 0, r.stdout + r.stderr
    # and a change in the adopted file is seen, in every area
    for old, new in [("memory = 256", "memory = 512"), ("max_retries = 1", "max_retries = 2"),
                     ("reserved = 7", "reserved = 8"), ("rate(5 minutes)", "rate(10 minutes)"),
                     ("batch_size = 5", "batch_size = 6")]:
        assert old in text, old
        (d / "lambdactl.toml").write_text(text.replace(old, new))
        r = invoke_cli("diff", "--exit-code")
        assert r.exit_code == 5, (old, r.stdout, r.stderr)


def test_adopt_refuses_to_overwrite(code_server, live_function, tmp_path):
    from lambdactl.errors import UsageError

    d = tmp_path / "adopted"
    d.mkdir()
    (d / "lambdactl.toml").write_text("# mine\n")
    with pytest.raises(UsageError):
        _adopt(code_server, live_function, d)
    assert (d / "lambdactl.toml").read_text() == "# mine\n"


def test_init_from_cli_errors(invoke_cli, tmp_path, create_function):
    assert_clean_error(invoke_cli("init", str(tmp_path / "x"), "--from", "ghost"), 3)
    create_function("plain")
    assert_clean_error(invoke_cli("init", str(tmp_path / "y"), "--from", "plain", "--name", "z"), 2, contains="--from")
    # moto's code Location is not downloadable: a clear error, exit 1, nothing written
    r = invoke_cli("init", str(tmp_path / "w"), "--from", "plain")
    assert r.exit_code == 1 and "download" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "w" / "lambdactl.toml").exists()


# --- every event source mapping setting round-trips (issue 17) ----------------------------------

@pytest.fixture
def code_server(monkeypatch):
    """GetFunction's Code.Location on the moto server points at this small HTTP server
    (``motofixes.CODE_BASE_URL``, the hook the sandbox uses to serve code): ``served[name]`` is
    what a GET of function ``name``'s code answers — bytes, or ``(status, headers, body)``."""
    from lambdactl.core.run import motofixes

    served: dict[str, object] = {}

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            parts = self.path.split("/")        # /_lambdactl/code/<account>/<region>/<name>/<version>
            answer = served.get(parts[-2] if len(parts) >= 3 else "")
            if answer is None:
                answer = (404, {}, b"")
            if isinstance(answer, bytes):
                answer = (200, {}, answer)
            status, headers, body = answer
            self.send_response(status)
            headers = {"Content-Length": str(len(body)), **headers}
            for k, v in headers.items():
                if v is not None:                   # None: leave the header out
                    self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    monkeypatch.setattr(motofixes, "CODE_BASE_URL", f"http://127.0.0.1:{srv.server_port}")
    yield served
    srv.shutdown()
    srv.server_close()


AT = "2026-01-31T12:00:00Z"


@pytest.fixture
def streams_function(create_function, tmp_path, boto, code_server):
    """A function whose SQS, Kinesis and DynamoDB mappings use every setting 'trigger add' can set
    (made with boto3, as another tool would have)."""
    import datetime as dt

    from lambdactl.core.build.packaging import build_package

    (tmp_path / "orig").mkdir()
    (tmp_path / "orig" / "app.py").write_text(HANDLER)
    code = build_package(tmp_path / "orig", handler="app.handler", runtime="python3.12").data
    create_function("streams", zip_bytes=code)
    code_server["streams"] = code
    sqs, lam = boto("sqs"), boto("lambda")
    qurl = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    failed = sqs.get_queue_attributes(QueueUrl=sqs.create_queue(QueueName="failed")["QueueUrl"],
                                      AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = boto("sns").create_topic(Name="ddb-failed")["TopicArn"]
    boto("kinesis").create_stream(StreamName="clicks", ShardCount=1)
    karn = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/clicks"
    darn = boto("dynamodb").create_table(
        TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]["LatestStreamArn"]
    lam.create_event_source_mapping(
        FunctionName="streams", EventSourceArn=qarn, BatchSize=50, MaximumBatchingWindowInSeconds=5,
        Enabled=False, FunctionResponseTypes=["ReportBatchItemFailures"], ScalingConfig={"MaximumConcurrency": 5},
        FilterCriteria={"Filters": [{"Pattern": '{"body": {"type": ["order"]}}'},
                                    {"Pattern": '{"attributes": {"MessageGroupId": ["a"]}}'}]})
    lam.create_event_source_mapping(
        FunctionName="streams", EventSourceArn=karn, BatchSize=500, MaximumBatchingWindowInSeconds=2,
        StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=dt.datetime(2026, 1, 31, 12, tzinfo=dt.timezone.utc),
        FunctionResponseTypes=["ReportBatchItemFailures"], BisectBatchOnFunctionError=True, MaximumRetryAttempts=3,
        MaximumRecordAgeInSeconds=3600, ParallelizationFactor=4, TumblingWindowInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": failed}},
        FilterCriteria={"Filters": [{"Pattern": '{"data": {"kind": ["click"]}}'}]})
    lam.create_event_source_mapping(
        FunctionName="streams", EventSourceArn=darn, BatchSize=200, StartingPosition="TRIM_HORIZON",
        FunctionResponseTypes=["ReportBatchItemFailures"], BisectBatchOnFunctionError=True, MaximumRetryAttempts=5,
        MaximumRecordAgeInSeconds=120, ParallelizationFactor=2, TumblingWindowInSeconds=30,
        DestinationConfig={"OnFailure": {"Destination": topic}},
        FilterCriteria={"Filters": [{"Pattern": '{"eventName": ["INSERT"]}'}]})
    return {"sqs": qarn, "kinesis": karn, "dynamodb": darn, "failed": failed, "topic": topic}


def _diff_fields(invoke_cli) -> tuple[int, set]:
    r = invoke_cli("diff", "--exit-code", "-o", "json")
    assert "Traceback" not in r.stderr, r.stderr
    fields = {c["field"] for s in r.json()["steps"] for c in s["changes"]} if r.stdout else set()
    return r.exit_code, fields


def test_adopt_round_trips_every_mapping_setting(streams_function, tmp_path, invoke_cli, monkeypatch, boto):
    import tomllib

    from lambdactl import config

    d = tmp_path / "streams"
    r = invoke_cli("init", str(d), "--from", "streams")
    assert r.exit_code == 0, r.stderr
    doc = tomllib.loads((d / "lambdactl.toml").read_text())
    by_type = {t["type"]: t for t in doc["triggers"]}
    assert by_type["sqs"] == {
        "type": "sqs", "source": streams_function["sqs"], "batch_size": 50, "window": 5, "enabled": False,
        "report_batch_item_failures": True, "max_concurrency": 5,
        "filters": ['{"attributes":{"MessageGroupId":["a"]}}', '{"body":{"type":["order"]}}']}
    assert by_type["kinesis"] == {
        "type": "kinesis", "source": streams_function["kinesis"], "batch_size": 500, "window": 2,
        "starting_position": "AT_TIMESTAMP", "starting_timestamp": AT, "report_batch_item_failures": True,
        "filters": ['{"data":{"kind":["click"]}}'], "bisect_on_error": True, "max_retries": 3,
        "max_record_age": 3600, "parallelization_factor": 4, "tumbling_window": 60,
        "on_failure": streams_function["failed"]}
    assert by_type["dynamodb"] == {
        "type": "dynamodb", "source": streams_function["dynamodb"], "batch_size": 200,
        "starting_position": "TRIM_HORIZON", "report_batch_item_failures": True,
        "filters": ['{"eventName":["INSERT"]}'], "bisect_on_error": True, "max_retries": 5, "max_record_age": 120,
        "parallelization_factor": 2, "tumbling_window": 30, "on_failure": streams_function["topic"]}

    monkeypatch.chdir(d)
    r = invoke_cli("diff", "--exit-code")
    assert r.exit_code == 0, r.stdout + r.stderr
    r = invoke_cli("deploy", "--dry-run", "--exit-code")
    assert r.exit_code == 0, r.stdout + r.stderr

    # the planner compares every one of them: a change to any shows in diff (exit 5, that field)
    original = (d / "lambdactl.toml").read_text()
    edits = [       # (kind, the setting that must show, the edit: None deletes the key)
        ("sqs", "batch_size", {"batch_size": 40}), ("sqs", "window", {"window": 6}), ("sqs", "enabled", {"enabled": None}),
        ("sqs", "max_concurrency", {"max_concurrency": 6}),
        ("sqs", "report_batch_item_failures", {"report_batch_item_failures": None}),
        ("sqs", "filters", {"filters": ['{"body": {"type": ["refund"]}}']}),
        ("kinesis", "starting_position", {"starting_position": "TRIM_HORIZON", "starting_timestamp": None}),
        ("kinesis", "starting_timestamp", {"starting_timestamp": "2026-02-01T00:00:00Z"}),
        ("kinesis", "bisect_on_error", {"bisect_on_error": None}), ("kinesis", "max_retries", {"max_retries": 4}),
        ("kinesis", "max_record_age", {"max_record_age": None}),
        ("kinesis", "on_failure", {"on_failure": streams_function["topic"]}),
        ("kinesis", "parallelization_factor", {"parallelization_factor": 1}),
        ("kinesis", "tumbling_window", {"tumbling_window": 0}), ("kinesis", "filters", {"filters": None}),
        ("kinesis", "window", {"window": None}), ("dynamodb", "starting_position", {"starting_position": "LATEST"}),
        ("dynamodb", "report_batch_item_failures", {"report_batch_item_failures": False}),
        ("dynamodb", "on_failure", {"on_failure": None}), ("dynamodb", "batch_size", {"batch_size": 100}),
        ("dynamodb", "enabled", {"enabled": False}),
    ]
    for kind, key, edit in edits:
        changed = tomllib.loads(original)
        t = next(t for t in changed["triggers"] if t["type"] == kind)
        for k, v in edit.items():
            if v is None:
                del t[k]
            else:
                t[k] = v
        (d / "lambdactl.toml").write_text(config.dumps(changed))
        code, fields = _diff_fields(invoke_cli)
        assert code == 5 and key in fields, (kind, key, code, fields)
    (d / "lambdactl.toml").write_text(original)
    assert _diff_fields(invoke_cli) == (0, set())


def test_deploy_applies_mapping_settings_and_replaces_for_a_new_starting_position(streams_function, tmp_path,
                                                                                   invoke_cli, monkeypatch, boto):
    import tomllib

    from lambdactl import config

    d = tmp_path / "streams"
    assert invoke_cli("init", str(d), "--from", "streams").exit_code == 0
    monkeypatch.chdir(d)
    doc = tomllib.loads((d / "lambdactl.toml").read_text())
    kin = next(t for t in doc["triggers"] if t["type"] == "kinesis")
    sqs = next(t for t in doc["triggers"] if t["type"] == "sqs")
    kin.update(starting_position="TRIM_HORIZON", max_retries=7)
    del kin["starting_timestamp"], kin["filters"], kin["on_failure"]
    sqs.update(max_concurrency=9, filters=['{"body": {"type": ["refund"]}}'])
    del sqs["report_batch_item_failures"]
    (d / "lambdactl.toml").write_text(config.dumps(doc))
    lam = boto("lambda")
    old_kinesis = lam.list_event_source_mappings(EventSourceArn=streams_function["kinesis"])["EventSourceMappings"][0]
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stdout + r.stderr
    maps = {m["EventSourceArn"]: m for m in lam.list_event_source_mappings(FunctionName="streams")["EventSourceMappings"]}
    k = maps[streams_function["kinesis"]]
    assert k["UUID"] != old_kinesis["UUID"]                      # replaced: a position is fixed at creation
    assert k["StartingPosition"] == "TRIM_HORIZON" and k["MaximumRetryAttempts"] == 7
    assert not (k.get("FilterCriteria") or {}).get("Filters") and not (k.get("DestinationConfig") or {}).get("OnFailure")
    assert k["BisectBatchOnFunctionError"] is True and k["ParallelizationFactor"] == 4 and k["BatchSize"] == 500
    q = maps[streams_function["sqs"]]
    assert q["ScalingConfig"] == {"MaximumConcurrency": 9} and not q.get("FunctionResponseTypes")
    assert [f["Pattern"] for f in q["FilterCriteria"]["Filters"]] == ['{"body":{"type":["refund"]}}']
    assert invoke_cli("diff", "--exit-code").exit_code == 0


# --- bounded, http(s)-only code downloads (issue 21) -------------------------------------------

def _declare_size(data: bytes, name: str, size: int) -> bytes:
    """``data`` (a zip) with the central directory's uncompressed size of ``name`` set to ``size``
    (what zipfile reports as file_size): a zip bomb's lie, without its bytes."""
    import struct

    i = data.index(b"PK\x01\x02")
    while True:
        n_len = struct.unpack("<H", data[i + 28:i + 30])[0]
        if data[i + 46:i + 46 + n_len] == name.encode():
            return data[:i + 24] + struct.pack("<I", size) + data[i + 28:]
        i = data.index(b"PK\x01\x02", i + 4)


def _code_function(create_function, code_server, name: str, code: bytes) -> None:
    create_function(name, zip_bytes=code)          # CodeSha256 is this zip's: the download matches it
    code_server[name] = code


def _nothing_written(d: Path) -> bool:
    return not d.exists() or list(d.rglob("*")) == []


@pytest.mark.parametrize("case, contains", [
    ("one entry over the limit", "unpacks to 300 MB, over Lambda's 250 MB limit"),
    ("entries over the limit together", "unpacks to more than Lambda's 250 MB limit"),
    ("a path outside src", "unsafe path"),
    ("a corrupt entry after a good one", "could not be unpacked"),
])
def test_bad_zips_are_refused_before_anything_is_written(invoke_cli, create_function, make_zip, code_server,
                                                         tmp_path, case, contains):
    mb = 1024 * 1024
    if case == "one entry over the limit":
        code = _declare_size(make_zip({"app.py": HANDLER, "blob.bin": b"x" * 100}), "blob.bin", 300 * mb)
    elif case == "entries over the limit together":
        code = make_zip({"app.py": HANDLER, "a.bin": b"a" * 100, "b.bin": b"b" * 100})
        code = _declare_size(_declare_size(code, "a.bin", 200 * mb), "b.bin", 200 * mb)
    elif case == "a path outside src":
        code = make_zip({"app.py": HANDLER, "../../evil.py": "X = 1\n"})
    else:
        code = _declare_size(make_zip({"app.py": HANDLER, "z.py": "Y = 2\n" * 50}), "z.py", 10)
    _code_function(create_function, code_server, "bad", code)
    d = tmp_path / "bad"
    r = invoke_cli("init", str(d), "--from", "bad")
    assert_clean_error(r, 1, contains=contains)
    assert _nothing_written(d), list(d.rglob("*"))
    assert not (tmp_path / "evil.py").exists()


def test_only_http_locations_are_fetched(invoke_cli, create_function, make_zip, code_server, tmp_path, monkeypatch):
    from lambdactl.core.run import motofixes

    code = make_zip({"app.py": HANDLER})
    _code_function(create_function, code_server, "fn", code)
    # a file:// location (an endpoint's answer, not user input) is refused, even though it exists
    local = tmp_path / "served" / "_lambdactl" / "code" / ACCOUNT / REGION / "fn" / "$LATEST"
    local.parent.mkdir(parents=True)
    local.write_bytes(code)
    http_base = motofixes.CODE_BASE_URL
    monkeypatch.setattr(motofixes, "CODE_BASE_URL", (tmp_path / "served").as_uri())
    r = invoke_cli("init", str(tmp_path / "a"), "--from", "fn")
    assert_clean_error(r, 1, contains="only http(s) locations are fetched")
    assert "file://" in r.stderr and _nothing_written(tmp_path / "a")
    # ... and so is a redirect to one
    monkeypatch.setattr(motofixes, "CODE_BASE_URL", http_base)
    code_server["fn"] = (302, {"Location": local.as_uri()}, b"")
    r = invoke_cli("init", str(tmp_path / "b"), "--from", "fn")
    assert_clean_error(r, 1, contains="only http(s) locations are fetched")
    assert _nothing_written(tmp_path / "b")
    # an http redirect is followed
    code_server["moved"] = code
    code_server["fn"] = (302, {"Location": f"{http_base}/_lambdactl/code/{ACCOUNT}/{REGION}/moved/1"}, b"")
    r = invoke_cli("init", str(tmp_path / "c"), "--from", "fn")
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "c" / "src" / "app.py").read_text() == HANDLER


def test_downloads_are_bounded(invoke_cli, create_function, make_zip, code_server, tmp_path, monkeypatch):
    from lambdactl.core.resources import adopt

    code = make_zip({"app.py": HANDLER, "data.txt": "z" * 5000})
    _code_function(create_function, code_server, "fn", code)
    # a declared length over Lambda's limit: refused before reading the body
    code_server["fn"] = (200, {"Content-Length": str(300 * 1024 * 1024)}, b"")
    r = invoke_cli("init", str(tmp_path / "a"), "--from", "fn")
    assert_clean_error(r, 1, contains="larger than 250 MB")
    # no length: the download stops at the limit (made small here to keep the test light)
    monkeypatch.setattr(adopt, "MAX_CODE_BYTES", 1024)
    code_server["fn"] = (200, {"Content-Length": None}, code)
    r = invoke_cli("init", str(tmp_path / "b"), "--from", "fn")
    assert_clean_error(r, 1, contains="larger than 1024 bytes")
    assert _nothing_written(tmp_path / "a") and _nothing_written(tmp_path / "b")
    # what is downloaded must be the function's code (CodeSha256)
    monkeypatch.setattr(adopt, "MAX_CODE_BYTES", 250 * 1024 * 1024)
    code_server["fn"] = make_zip({"app.py": "def handler(e, c):\n    return 'swapped'\n"})
    r = invoke_cli("init", str(tmp_path / "c"), "--from", "fn")
    assert_clean_error(r, 1, contains="does not match its CodeSha256")
    assert _nothing_written(tmp_path / "c")
    code_server["fn"] = code
    r = invoke_cli("init", str(tmp_path / "d"), "--from", "fn")
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "d" / "src" / "data.txt").read_text() == "z" * 5000
