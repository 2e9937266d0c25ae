"""Remote ``lambdactl invoke`` and batch invoke against the moto server (Docker-less invoke echoes
the payload), plus the payload parser.

moto 5.2's Docker-less backend (``awslambda_simple``) can queue canned response bodies
(``POST /moto-api/static/lambda-simple/response``) but never sets ``FunctionError``, ``LogResult``
or ``ExecutedVersion`` — except that a response over 6,000,000 bytes comes back as a real
``FunctionError: Unhandled`` (``Function.ResponseSizeTooLarge``), which the exit-4 test uses over
HTTP. The stack-trace rendering, the log-tail decoding and ``executed_version`` need a response moto
cannot produce: those tests use botocore's ``Stubber`` on the invoke call only (see each docstring).
"""
from __future__ import annotations

import base64
import io
import json
import urllib.request

import pytest

from lambdactl.aws import CALLS
from tests.conftest import assert_clean_error


def _post(endpoint: str, path: str, body: dict | None = None) -> bytes:
    data = json.dumps(body).encode() if body is not None else b""
    req = urllib.request.Request(endpoint + path, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    return urllib.request.urlopen(req, timeout=60).read()


def _queue_results(endpoint: str, *results: str) -> None:
    _post(endpoint, "/moto-api/static/lambda-simple/response", {"results": list(results), "region": "us-east-1"})


def _invokes() -> int:
    return CALLS.count("Invoke")


# --- payloads --------------------------------------------------------------------------------

def test_inline_payload_is_sent_and_pretty_printed(invoke_cli, create_function):
    create_function("echo")
    r = invoke_cli("invoke", "echo", '{"name": "world", "n": [1, 2]}')
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == {"name": "world", "n": [1, 2]}
    assert r.stdout.startswith("{\n  \"name\"")          # pretty-printed
    assert _invokes() == 1


def test_json_output_document(invoke_cli, create_function):
    create_function("echo")
    r = invoke_cli("invoke", "echo", '{"a": 1}', "-o", "json")
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    assert {"status_code", "executed_version", "function_error", "payload", "log_tail", "report"} <= set(doc)
    assert doc["status_code"] == 200 and doc["function_error"] is None and doc["payload"] == {"a": 1}
    r = invoke_cli("invoke", "echo", '{"a": 2}', "--logs")         # moto returns no LogResult
    assert r.exit_code == 0 and json.loads(r.stdout) == {"a": 2}
    assert "no log tail in the response" in r.stderr


def test_file_payload(invoke_cli, create_function, tmp_path):
    create_function("echo")
    f = tmp_path / "event.json"
    f.write_text('{\n  "from": "file"\n}\n')
    r = invoke_cli("invoke", "echo", f"@{f}")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == {"from": "file"}
    r = invoke_cli("invoke", "echo", "--payload-file", str(f), "-o", "json")
    assert r.json()["payload"] == {"from": "file"}


def test_stdin_payload(invoke_cli, create_function):
    create_function("echo")
    r = invoke_cli("invoke", "echo", "-", input='{"from": "stdin"}')
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == {"from": "stdin"}
    r = invoke_cli("invoke", "echo", "--payload-file", "-", input='[1, 2, 3]')
    assert json.loads(r.stdout) == [1, 2, 3]


def test_set_builds_nested_typed_object(invoke_cli, create_function):
    create_function("echo")
    r = invoke_cli("invoke", "echo", "--set", "order.id=7", "--set", "order.items=[1,2]", "--set", "dry=true",
                   "--set", "name=ann", "--set", 'code="007"', "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["payload"] == {"order": {"id": 7, "items": [1, 2]}, "dry": True, "name": "ann", "code": "007"}


def test_set_merges_into_payload(invoke_cli, create_function):
    create_function("echo")
    r = invoke_cli("invoke", "echo", '{"order": {"id": 1, "qty": 2}}', "--set", "order.id=9", "-o", "json")
    assert r.json()["payload"] == {"order": {"id": 9, "qty": 2}}


def test_lone_payload_positional_uses_project_function(invoke_cli, create_function, project_dir):
    create_function("proj-fn")
    (project_dir / "lambdactl.toml").write_text(
        '[function]\nname = "proj-fn"\nruntime = "python3.12"\nhandler = "app.handler"\n')
    r = invoke_cli("invoke", '{"x": 1}', "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["payload"] == {"x": 1}
    r = invoke_cli("invoke", "-", input='{"y": 2}', )
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == {"y": 2}


@pytest.mark.parametrize("payload,where", [
    ('{"a": 1,}', "line 1, column 9"),
    ('{\n  "a": 1\n  "b": 2\n}', "line 3, column 3"),
    ("{'a': 1}", "line 1, column 2"),
])
def test_invalid_json_exits_2_with_position_and_no_call(invoke_cli, create_function, payload, where):
    create_function("echo")
    CALLS.clear()
    r = invoke_cli("invoke", "echo", payload)
    assert_clean_error(r, 2, contains=where)
    assert "invalid JSON" in r.stderr
    assert _invokes() == 0 and CALLS.calls == []         # nothing reached AWS


def test_invalid_json_in_file_names_the_file(invoke_cli, tmp_path):
    f = tmp_path / "bad.json"
    f.write_text('{"ok": true,\n "oops": }\n')
    r = invoke_cli("invoke", "echo", f"@{f}")
    assert_clean_error(r, 2, contains="line 2, column 10")
    assert "bad.json" in r.stderr
    assert CALLS.calls == []


@pytest.mark.parametrize("args,contains", [
    (["echo", "@/nonexistent/event.json"], "not found"),
    (["echo", "--set", "novalue"], "KEY=VALUE"),
    (["echo", "[1]", "--set", "a=1"], "object"),
    (["echo", "--set", "a=1", "--set", "a.b=2"], "a is already"),
    (["echo", "{}", "--payload-file", "x.json"], "once"),
    (["echo", "{}", "--async", "--logs"], "synchronous"),
    (["echo", "{}", "--async", "--dry-run"], "cannot be combined"),
    (["{}", "{}"], "two payloads"),
    (["echo", "{}", "--env", "A=1"], "--local"),
    (["echo", "{}", "--repeat", "0"], "range"),
    # bytes that are not UTF-8 in argv arrive as lone surrogates (surrogateescape): not a crash
    (["echo", '{"a": "\udcff"}'], "not UTF-8"),
    (["echo", "--set", "a=\udcff"], "not UTF-8"),
    (["echo", "--set", "a=\udcff", "--set", "b=1"], "not UTF-8"),
    (["echo", "[" * 100_000], "nested too deeply"),         # RecursionError in json, not a crash
    (["echo", "--set", "a=" + "[" * 100_000], "nested too deeply"),
])
def test_bad_input_exits_2_before_any_call(invoke_cli, args, contains):
    r = invoke_cli("invoke", *args)
    assert_clean_error(r, 2, contains=contains)
    assert CALLS.calls == []


# --- qualifier, async, dry run, raw, out ----------------------------------------------------

def _start_recording(endpoint):
    _post(endpoint, "/moto-api/recorder/reset-recording")
    _post(endpoint, "/moto-api/recorder/start-recording")


def _recorded_invoke_urls(endpoint) -> list[str]:
    _post(endpoint, "/moto-api/recorder/stop-recording")
    data = urllib.request.urlopen(endpoint + "/moto-api/recorder/download-recording", timeout=30).read()
    entries = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
    return [e["url"] for e in entries if "/invocations" in e["url"]]


def test_qualifier_reaches_the_published_version(invoke_cli, create_function, boto, moto_endpoint, project_dir):
    """moto records the request (its recorder API) but returns no ExecutedVersion header; the
    rendering of executed_version is covered by test_function_error_stack_trace_and_log_tail."""
    create_function("versioned")
    assert boto("lambda").publish_version(FunctionName="versioned")["Version"] == "1"
    _start_recording(moto_endpoint)
    r = invoke_cli("invoke", "versioned", '{"v": 1}', "--qualifier", "1", "-o", "json")
    assert r.exit_code == 0, r.stderr
    r2 = invoke_cli("invoke", "versioned:1", '{"v": 2}')
    assert r2.exit_code == 0, r2.stderr
    urls = _recorded_invoke_urls(moto_endpoint)
    assert len(urls) == 2
    assert all(u.endswith("/functions/versioned/invocations?Qualifier=1") for u in urls), urls
    assert r.json()["payload"] == {"v": 1}
    r = invoke_cli("invoke", "versioned:1", "{}", "--qualifier", "2")
    assert_clean_error(r, 2, contains="two qualifiers")


def test_async_prints_request_id_and_202(invoke_cli, create_function):
    create_function("bg")
    r = invoke_cli("invoke", "bg", '{"job": 1}', "--async", "-o", "json")
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    assert doc["status_code"] == 202 and doc["request_id"]
    r = invoke_cli("invoke", "bg", '{"job": 2}', "--async")
    assert r.exit_code == 0, r.stderr
    assert "202" in r.stdout and "request id" in r.stdout
    r = invoke_cli("-q", "invoke", "bg", "--async")
    assert r.exit_code == 0 and len(r.stdout.strip()) > 10 and "\n" not in r.stdout.strip()


def test_dry_run(invoke_cli, create_function):
    create_function("dry")
    r = invoke_cli("invoke", "dry", "--dry-run", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status_code"] == 204
    r = invoke_cli("invoke", "dry", "--dry-run")
    assert r.exit_code == 0 and "permitted" in r.stderr and r.stdout == ""


def test_non_json_body_raw_and_out(invoke_cli, create_function, moto_endpoint, tmp_path):
    create_function("text")
    _queue_results(moto_endpoint, "plain text, not JSON", '{"b":1}', '{"c":  2}')
    r = invoke_cli("invoke", "text", "{}")
    assert r.exit_code == 0 and r.stdout == "plain text, not JSON\n"
    r = invoke_cli("invoke", "text", "{}", "--raw")
    assert r.exit_code == 0 and r.stdout == '{"b":1}'            # exact bytes, no newline added
    out = tmp_path / "resp.json"
    r = invoke_cli("invoke", "text", "{}", "--out", str(out))
    assert r.exit_code == 0 and r.stdout == ""
    assert out.read_bytes() == b'{"c":  2}'


def test_function_error_over_http_exits_4(invoke_cli, create_function, moto_endpoint):
    """A real FunctionError from the server: moto turns an over-6 MB response into
    ``Unhandled`` / ``Function.ResponseSizeTooLarge`` (the only FunctionError it can produce)."""
    create_function("big")
    _queue_results(moto_endpoint, "x" * 6_000_100)
    r = invoke_cli("invoke", "big", "{}", "-o", "json")
    assert r.exit_code == 4, r.stderr
    doc = r.json()
    assert doc["function_error"] == "Unhandled"
    assert doc["payload"]["errorType"] == "Function.ResponseSizeTooLarge"
    assert "error: big returned an error (Unhandled): Function.ResponseSizeTooLarge: Response payload size" in r.stderr
    assert "Traceback" not in r.stderr                # no stack trace in this error, and none of ours
    assert "stack trace" not in r.stderr              # so the hint does not point at one
    assert "hint: --logs shows the function's log tail" in r.stderr


# --- Stubber: shapes moto cannot produce ----------------------------------------------------

ERROR_BODY = {
    "errorMessage": "order 7 not found",
    "errorType": "KeyError",
    "requestId": "8f5fcb2e-2f2c-4b5c-9d7e-0a7d1b0e0c01",
    "stackTrace": ['  File "/var/task/app.py", line 9, in handler\n    return orders[event["id"]]\n'],
}
LOG_TEXT = ("START RequestId: 8f5fcb2e-2f2c-4b5c-9d7e-0a7d1b0e0c01 Version: 3\n"
            "looking up order 7\n"
            "[ERROR] KeyError: 'order 7 not found'\n"
            "END RequestId: 8f5fcb2e-2f2c-4b5c-9d7e-0a7d1b0e0c01\n"
            "REPORT RequestId: 8f5fcb2e-2f2c-4b5c-9d7e-0a7d1b0e0c01\tDuration: 12.34 ms\tBilled Duration: 13 ms\t"
            "Memory Size: 128 MB\tMax Memory Used: 45 MB\tInit Duration: 180.21 ms\t\n")


def _stubbed_invoke(function, *, response: dict, expected: dict, output: str | None = None, **kwargs):
    """Run the real invoke command with a Stubber on its Lambda client (the Invoke call only)."""
    from botocore.response import StreamingBody
    from botocore.stub import Stubber

    from lambdactl import settings as S
    from lambdactl.aws import session
    from lambdactl.cli.groups import report
    from lambdactl.cli.invoke import invoke
    from lambdactl.core.run.invoke import invoke_client

    st = S.set_current(S.Settings(output=output))
    body = response.pop("Payload")
    response["Payload"] = StreamingBody(io.BytesIO(body), len(body))
    client = invoke_client(session(st))
    code = 0
    with Stubber(client) as stub:
        stub.add_response("invoke", response, expected)
        try:
            invoke(function=function, **kwargs)
        except Exception as exc:  # noqa: BLE001 - mapped exactly as the root group does
            code = report(exc)
        stub.assert_no_pending_responses()
    return code


def test_function_error_stack_trace_and_log_tail(capsys):
    """Stubber on the Invoke call: moto never returns FunctionError with a stack trace, LogResult
    or ExecutedVersion."""
    resp = {"StatusCode": 200, "FunctionError": "Unhandled", "ExecutedVersion": "3",
            "LogResult": base64.b64encode(LOG_TEXT.encode()).decode(), "Payload": json.dumps(ERROR_BODY).encode()}
    code = _stubbed_invoke("orders", payload='{"id": 7}', logs=True, qualifier="live", response=resp,
                           expected={"FunctionName": "orders", "InvocationType": "RequestResponse",
                                     "Payload": b'{"id": 7}', "Qualifier": "live", "LogType": "Tail"})
    out, err = capsys.readouterr()
    assert code == 4
    assert json.loads(out) == ERROR_BODY                        # the body on stdout
    assert "looking up order 7" in err                          # the decoded tail
    assert "REPORT 12.34 ms (billed 13 ms) · 45/128 MB · cold start, init 180.21 ms" in err
    assert "REPORT RequestId" not in err                        # summarised, not raw
    assert "Traceback (most recent call last):" in err
    assert 'File "/var/task/app.py", line 9, in handler' in err
    assert "KeyError: order 7 not found" in err
    assert "error: orders:live returned an error (Unhandled): KeyError: order 7 not found" in err
    assert err.splitlines()[-1] == "hint: see the stack trace above"     # --logs was given: not suggested


def test_json_document_with_log_tail_report_and_executed_version(capsys):
    """Stubber on the Invoke call (LogResult and ExecutedVersion are not produced by moto)."""
    resp = {"StatusCode": 200, "ExecutedVersion": "3",
            "LogResult": base64.b64encode(LOG_TEXT.encode()).decode(), "Payload": b'{"ok": true}'}
    code = _stubbed_invoke("orders", payload="{}", logs=True, output="json", response=resp,
                           expected={"FunctionName": "orders", "InvocationType": "RequestResponse",
                                     "Payload": b"{}", "LogType": "Tail"})
    out, _ = capsys.readouterr()
    assert code == 0
    doc = json.loads(out)
    assert doc["executed_version"] == "3" and doc["payload"] == {"ok": True}
    assert doc["log_tail"] == LOG_TEXT
    assert doc["report"]["init_duration_ms"] == 180.21 and doc["report"]["cold_start"] is True
    assert doc["report"]["max_memory_used_mb"] == 45


def _stubbed_session():
    from botocore.stub import Stubber

    from lambdactl import settings as S
    from lambdactl.aws import session
    from lambdactl.core.run.invoke import invoke_client

    sess = session(S.set_current(S.Settings()))
    return sess, Stubber(invoke_client(sess))


def test_missing_function_or_qualifier_is_not_found(invoke_cli, create_function):
    """AWS answers 404 ResourceNotFoundException for a missing function, version or alias. moto
    5.2's Docker-less invoke answers 200 with the payload echoed; lambdactl's moto fidelity fix
    (core/run/motofixes.py, also used by the sandbox) answers as AWS does, so this runs against moto."""
    create_function("fn")
    assert_clean_error(invoke_cli("invoke", "nope", "{}"), 3, contains="function not found: nope")
    assert_clean_error(invoke_cli("invoke", "fn:live", "{}"), 3, contains="function not found: fn:live")
    assert_clean_error(invoke_cli("invoke", "fn:7", "{}"), 3, contains="fn:7")
    r = invoke_cli("invoke", "fn", "{}")
    assert r.exit_code == 0, r.stderr


def test_invoke_errors_are_translated():
    """Stubber on Invoke: moto never throttles an invoke or rejects a payload size."""
    from lambdactl.core.run.invoke import invoke_remote
    from lambdactl.errors import OperationError

    sess, stub = _stubbed_session()
    with stub:
        stub.add_client_error("invoke", "RequestTooLargeException", "Request must be smaller than 6291456 bytes",
                              http_status_code=413)
        with pytest.raises(OperationError) as ei:
            invoke_remote(sess, "fn", b"[" + b"1," * 10 + b"1]")
        assert "6 MB limit for synchronous invokes" in ei.value.message
        stub.add_client_error("invoke", "RequestTooLargeException", "too large", http_status_code=413)
        with pytest.raises(OperationError) as ei:
            invoke_remote(sess, "fn", b"{}", invocation_type="Event")
        assert "1 MB limit for asynchronous" in ei.value.message
        # Throttling is retried (the function did not run), then reported with a hint.
        stub.add_client_error("invoke", "TooManyRequestsException", "Rate exceeded", http_status_code=429)
        stub.add_response("invoke", {"StatusCode": 200, "Payload": _body(b'"after retry"')})
        assert invoke_remote(sess, "fn", b"{}").payload == b'"after retry"'
        stub.add_client_error("invoke", "TooManyRequestsException", "Rate exceeded", http_status_code=429)
        with pytest.raises(OperationError) as ei:
            invoke_remote(sess, "fn", b"{}", retry_budget=0)
        assert "throttled" in ei.value.message and "reserved concurrency" in ei.value.hint
        stub.assert_no_pending_responses()


def _body(data: bytes):
    from botocore.response import StreamingBody

    return StreamingBody(io.BytesIO(data), len(data))


def test_invoke_client_does_not_retry_on_its_own():
    """A slow invoke must not be re-sent by botocore (it would run the function twice)."""
    from lambdactl.core.run.invoke import INVOKE_READ_TIMEOUT

    sess, stub = _stubbed_session()
    cfg = stub.client.meta.config
    assert cfg.retries["total_max_attempts"] == 1 and cfg.read_timeout == INVOKE_READ_TIMEOUT


def test_decode_log_result_and_error_helpers():
    from lambdactl.core.run.invoke import decode_log_result, error_title, find_report, format_error

    tail = decode_log_result(base64.b64encode(LOG_TEXT.encode()).decode())
    assert tail == LOG_TEXT
    rep = find_report(tail)
    assert rep.duration_ms == 12.34 and rep.billed_duration_ms == 13 and rep.init_duration_ms == 180.21
    assert decode_log_result(None) == "" and find_report("no report here") is None
    body = json.dumps(ERROR_BODY).encode()
    assert error_title(body) == "KeyError: order 7 not found"
    text = format_error(body, "Unhandled")
    assert text.splitlines()[0] == "function error (Unhandled): KeyError: order 7 not found"
    timeout = b'{"errorMessage": "2026-11-23T15:00:00.000Z abc Task timed out after 3.00 seconds"}'
    assert error_title(timeout).endswith("Task timed out after 3.00 seconds")
    assert error_title(b"not json at all") == "not json at all"


# --- batch (remote) --------------------------------------------------------------------------

def test_batch_remote_results_in_line_order_and_summary(invoke_cli, create_function, tmp_path):
    create_function("batchy")
    f = tmp_path / "events.jsonl"
    f.write_text("\n".join(json.dumps({"i": i}) for i in range(20)) + "\n")
    r = invoke_cli("invoke", "batchy", "--batch", str(f), "--concurrency", "4")
    assert r.exit_code == 0, r.stderr
    recs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["line"] for x in recs] == list(range(1, 21))
    assert all(x["status"] == "ok" and x["error"] is None for x in recs)
    assert [x["payload"] for x in recs] == [{"i": i} for i in range(20)]
    assert all(x["duration_ms"] > 0 for x in recs)
    assert "20 invocations · 0 errors" in r.stderr and "p50" in r.stderr and "p99" in r.stderr and "/s" in r.stderr
    assert _invokes() == 20


def test_batch_malformed_line_skipped_or_fail_fast(invoke_cli, create_function, tmp_path):
    create_function("batchy")
    f = tmp_path / "events.jsonl"
    f.write_text('{"a": 1}\n\n{"b": oops}\n{"c": 3}\n')
    CALLS.clear()
    r = invoke_cli("invoke", "batchy", "--batch", str(f), "--fail-fast")
    assert_clean_error(r, 2, contains="line 3")
    assert _invokes() == 0                                       # stopped before anything ran
    r = invoke_cli("invoke", "batchy", "--batch", str(f))
    assert r.exit_code == 2, r.stderr
    recs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(x["line"], x["status"]) for x in recs] == [(1, "ok"), (3, "invalid"), (4, "ok")]
    assert "line 3" in r.stderr and "skipped" in r.stderr
    assert _invokes() == 2
    f.write_text("[" * 100_000 + '\n{"ok": 1}\n')                 # too deep for json: reported, not a crash
    r = invoke_cli("invoke", "batchy", "--batch", str(f))
    assert r.exit_code == 2 and "Traceback" not in r.stderr, r.stderr
    recs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(x["line"], x["status"], x["error"]) for x in recs] == [
        (1, "invalid", "JSON nested too deeply"), (2, "ok", None)]


def test_batch_function_error_exits_4(invoke_cli, create_function, moto_endpoint, tmp_path):
    """Line 2 gets moto's over-6 MB response, which comes back as a real FunctionError."""
    create_function("batchy")
    _queue_results(moto_endpoint, '{"first": true}', "x" * 6_000_100)
    f = tmp_path / "events.jsonl"
    f.write_text('{"a": 1}\n{"a": 2}\n{"a": 3}\n')
    r = invoke_cli("invoke", "batchy", "--batch", str(f), "--concurrency", "1", "-o", "json")
    assert r.exit_code == 4, r.stderr
    doc = r.json()
    statuses = [(x["line"], x["status"]) for x in doc["results"]]
    assert statuses == [(1, "ok"), (2, "error"), (3, "ok")]
    assert doc["results"][1]["error"].startswith("Function.ResponseSizeTooLarge")
    assert doc["summary"]["count"] == 3 and doc["summary"]["errors"] == 1
    assert "1 of 3 invocations failed" in r.stderr


def test_batch_stdin_and_async(invoke_cli, create_function):
    create_function("batchy")
    r = invoke_cli("invoke", "batchy", "--batch", "-", "--async", input='{"a": 1}\n{"a": 2}\n')
    assert r.exit_code == 0, r.stderr
    recs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["payload"]["status_code"] for x in recs] == [202, 202]


def test_batch_rejects_payload_flags(invoke_cli, tmp_path):
    r = invoke_cli("invoke", "fn", "{}", "--batch", "x.jsonl")
    assert_clean_error(r, 2, contains="--batch")
    r = invoke_cli("invoke", "fn", "--batch", str(tmp_path / "missing.jsonl"))
    assert_clean_error(r, 2, contains="not found")
    r = invoke_cli("invoke", "fn", "--batch", str(tmp_path / "missing.jsonl"), "--concurrency", "0")
    assert_clean_error(r, 2, contains="range")


# --- payload parser unit tests -----------------------------------------------------------------

def test_payload_parser_units(tmp_path):
    from lambdactl.core.run.payload import apply_sets, load_payload, looks_like_payload
    from lambdactl.errors import UsageError

    assert looks_like_payload("{}") and looks_like_payload("[1]") and looks_like_payload("@f") and looks_like_payload("-")
    assert not looks_like_payload("my-fn") and not looks_like_payload(None)
    assert load_payload() == b"{}"
    assert load_payload('{"n": 1.50}') == b'{"n": 1.50}'                  # sent exactly as written
    assert json.loads(load_payload(sets=[r"a\.b=1", "c.d.e=null"])) == {"a.b": 1, "c": {"d": {"e": None}}}
    assert apply_sets({"x": 1}, ["y=[1, 2]"]) == {"x": 1, "y": [1, 2]}
    assert load_payload("-", stdin=io.BytesIO(b'{"s": 1}')) == b'{"s": 1}'
    with pytest.raises(UsageError) as ei:
        load_payload("")
    assert "empty" in ei.value.message
    with pytest.raises(UsageError) as ei:
        load_payload(payload_file="-", stdin=io.BytesIO(b"\xff\xfe"))
    assert "UTF-8" in ei.value.message


# --- hints: the project file's key where the next deploy would revert 'lambdactl config' ----------

PROJECT_TOML = """[function]
name = "orders"
runtime = "python3.12"
handler = "app.handler"
memory = 256
"""


def _stubbed_error(capsys, body: dict, function: str = "orders", **kwargs) -> tuple[int, str]:
    """Stubber on the Invoke call: moto never reports a timeout or an out-of-memory error."""
    code = _stubbed_invoke(function, payload="{}", response={"StatusCode": 200, "FunctionError": "Unhandled",
                                                              "Payload": json.dumps(body).encode()},
                           expected={"FunctionName": function, "InvocationType": "RequestResponse", "Payload": b"{}"},
                           **kwargs)
    return code, capsys.readouterr().err


TIMEOUT_BODY = {"errorType": "Sandbox.Timedout",
                "errorMessage": "RequestId: 8f5fcb2e-2f2c-4b5c-9d7e-0a7d1b0e0c01 Error: Task timed out after 3.00 seconds"}
OOM_BODY = {"errorType": "Runtime.OutOfMemory",
            "errorMessage": "RequestId: 8f5fcb2e-2f2c-4b5c-9d7e-0a7d1b0e0c01 Error: Runtime exited with error: signal: killed"}


def test_timeout_and_memory_hints_without_a_project_file_name_the_config_command(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, err = _stubbed_error(capsys, TIMEOUT_BODY)
    assert code == 4
    assert "error: orders returned an error (Unhandled): Sandbox.Timedout: Task timed out after 3.00 seconds" in err
    assert "hint: raise the timeout (lambdactl config orders --timeout N) or make the handler faster" in err
    code, err = _stubbed_error(capsys, OOM_BODY)
    assert code == 4 and "Runtime.OutOfMemory" in err
    assert "lambdactl config orders --memory N" in err.splitlines()[-1]


def test_timeout_and_memory_hints_in_a_project_name_the_toml_key(capsys, tmp_path, monkeypatch):
    (tmp_path / "lambdactl.toml").write_text(PROJECT_TOML)
    monkeypatch.chdir(tmp_path)
    code, err = _stubbed_error(capsys, TIMEOUT_BODY)
    hint = err.splitlines()[-1]
    assert code == 4 and "timeout = N in [function] of lambdactl.toml, then 'lambdactl deploy'" in hint
    assert "lambdactl config" not in err
    code, err = _stubbed_error(capsys, OOM_BODY)
    hint = err.splitlines()[-1]
    assert "memory = N in [function] of lambdactl.toml, then 'lambdactl deploy'" in hint
    assert "lambdactl config" not in err
    # A function that is not the project's: deploy does not manage it, so 'config' is right.
    code, err = _stubbed_error(capsys, TIMEOUT_BODY, function="other-fn")
    assert "lambdactl config other-fn --timeout N" in err.splitlines()[-1]


def test_hints_name_the_file_given_with_c(capsys, tmp_path, monkeypatch):
    proj = tmp_path / "svc" / "orders.toml"
    proj.parent.mkdir()
    proj.write_text(PROJECT_TOML)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAMBDACTL_CONFIG", str(proj))
    code, err = _stubbed_error(capsys, TIMEOUT_BODY)
    assert f"timeout = N in [function] of {proj}, then 'lambdactl deploy'" in err.splitlines()[-1]


def test_env_without_local_hint_follows_the_project_file(invoke_cli, create_function, project_dir):
    create_function("orders")
    r = invoke_cli("invoke", "orders", "{}", "--env", "A=1")
    assert_clean_error(r, 2, contains="--env only applies to --local")
    assert "lambdactl config orders --env KEY=VALUE" in r.stderr
    (project_dir / "lambdactl.toml").write_text(PROJECT_TOML)
    r = invoke_cli("invoke", "orders", "{}", "--env", "A=1")
    assert_clean_error(r, 2, contains='KEY = "VALUE" in [function.environment] of lambdactl.toml')
    assert "lambdactl config" not in r.stderr


def test_stats_right_sizing_hint_follows_the_project_file(invoke_cli, boto, create_function, project_dir):
    """The stats memory suggestion names lambdactl.toml's key for the project's function."""
    from tests.test_stats import seed_known_data

    create_function("orders", MemorySize=1024)
    seed_known_data(boto, "orders")
    hints = invoke_cli("stats", "orders", "-o", "json").json()["hints"]
    assert any("lambdactl config orders --memory 128" in h for h in hints), hints
    (project_dir / "lambdactl.toml").write_text(PROJECT_TOML)
    hints = invoke_cli("stats", "orders", "-o", "json").json()["hints"]
    assert any("memory = 128 in [function] of lambdactl.toml" in h for h in hints), hints
    assert not any("lambdactl config" in h for h in hints), hints


def test_create_of_an_existing_project_function_points_at_the_project_file(invoke_cli, create_function,
                                                                           project_dir, tmp_path):
    create_function("orders", MemorySize=512)
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("def handler(e, c):\n    return 1\n")
    args = ("create", "orders", "--source", str(src), "--runtime", "python3.12", "--handler", "app.handler")
    r = invoke_cli(*args)
    assert_clean_error(r, 1, contains="already exists")
    assert "lambdactl config orders" in r.stderr
    (project_dir / "lambdactl.toml").write_text(PROJECT_TOML)
    r = invoke_cli(*args)
    assert_clean_error(r, 1, contains="already exists")
    assert "it is the function of lambdactl.toml: change that file, then 'lambdactl deploy'" in r.stderr
    assert "lambdactl config" not in r.stderr and "lambdactl update" not in r.stderr
