"""async (event invoke config) and dlq against the moto server.

Two behaviours come only from lambdactl's moto fidelity fixes (lambdactl/core/run/motofixes.py, also
used by the sandbox), each as the Lambda API documents it: PutFunctionEventInvokeConfig replaces
the config (moto 5.2 appends and keeps showing the first), and DeadLetterConfig is kept and read
back (moto 5.2 drops it). The tests that depend on them say so."""
from __future__ import annotations

import json

from tests.conftest import assert_clean_error

SQS_ARN = "arn:aws:sqs:us-east-1:123456789012:failed"
SNS_ARN = "arn:aws:sns:us-east-1:123456789012:ok-topic"


def test_async_set_show_merge_clear(invoke_cli, create_function, boto):
    """Needs the moto fix for PutFunctionEventInvokeConfig (a second put replaces the config, as on
    AWS; moto 5.2 would keep showing the first)."""
    create_function("fn")
    r = invoke_cli("async", "fn", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json() is None
    r = invoke_cli("async", "fn", "--max-retries", "0", "--on-failure", SQS_ARN, "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "updated"
    got = boto("lambda").get_function_event_invoke_config(FunctionName="fn")
    assert got["MaximumRetryAttempts"] == 0
    assert got["DestinationConfig"]["OnFailure"]["Destination"] == SQS_ARN
    # merge: setting the event age keeps retries and destination
    r = invoke_cli("async", "fn", "--max-event-age", "3600")
    assert r.exit_code == 0, r.stderr
    got = boto("lambda").get_function_event_invoke_config(FunctionName="fn")
    assert got["MaximumRetryAttempts"] == 0 and got["MaximumEventAgeInSeconds"] == 3600
    assert got["DestinationConfig"]["OnFailure"]["Destination"] == SQS_ARN
    # re-run: unchanged
    r = invoke_cli("async", "fn", "--max-event-age", "3600", "-o", "json")
    assert r.json()["status"] == "unchanged"
    r = invoke_cli("async", "fn", "-o", "json")
    assert r.json() == {"max_retries": 0, "max_event_age": 3600, "on_success": None, "on_failure": SQS_ARN}
    r = invoke_cli("async", "fn", "--clear")
    assert r.exit_code == 0
    r = invoke_cli("async", "fn", "-o", "json")
    assert r.json() is None


def test_async_warns_when_role_lacks_destination_permission(invoke_cli, create_function):
    create_function("fn")
    r = invoke_cli("async", "fn", "--on-success", SNS_ARN)
    assert r.exit_code == 0
    assert "sns:Publish" in r.stderr


def test_async_validation_exit_2_before_any_call(invoke_cli, create_function):
    from lambdactl.aws import CALLS

    CALLS.clear()
    for args, needle in [(["--max-retries", "3"], "0..2"), (["--max-event-age", "30"], "60..21600"),
                         (["--on-success", "arn:aws:s3:::bucket"], "an ARN of s3 is not allowed"),
                         (["--on-failure", "arn:aws:dynamodb:us-east-1:123456789012:table/t"], "not allowed"),
                         (["--clear", "--max-retries", "1"], "--clear")]:
        r = invoke_cli("async", "fn", *args)
        assert_clean_error(r, 2, contains=needle)
    assert CALLS.calls == []


def test_async_missing_function_exit_3(invoke_cli):
    assert_clean_error(invoke_cli("async", "ghost"), 3)


def test_dlq_set_and_clear(invoke_cli, create_function, boto):
    """moto 5.2 drops DeadLetterConfig; the test server runs with lambdactl's moto fidelity fixes
    (lambdactl/core/run/motofixes.py, also used by the sandbox), which keep it as AWS does."""
    from lambdactl.aws import CALLS

    create_function("fn")
    r = invoke_cli("dlq", "fn", SQS_ARN, "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["after"] == SQS_ARN
    assert CALLS.count("UpdateFunctionConfiguration") == 1
    assert "sqs:SendMessage" in r.stderr  # role lacks permission → named
    got = boto("lambda").get_function_configuration(FunctionName="fn")
    assert got["DeadLetterConfig"]["TargetArn"] == SQS_ARN
    r = invoke_cli("dlq", "fn", SQS_ARN, "-o", "json")
    assert r.json()["status"] == "unchanged"
    r = invoke_cli("dlq", "fn", "--clear", "-o", "json")
    assert r.exit_code == 0 and r.json()["status"] == "cleared"
    assert "DeadLetterConfig" not in boto("lambda").get_function_configuration(FunctionName="fn")


def test_dlq_validation(invoke_cli, create_function):
    assert_clean_error(invoke_cli("dlq", "fn", "arn:aws:lambda:us-east-1:123456789012:function:x"), 2, contains="not allowed")
    assert_clean_error(invoke_cli("dlq", "fn"), 2, contains="ARN")
    assert_clean_error(invoke_cli("dlq", "fn", SQS_ARN, "--clear"), 2)


_ASYNC_TOML = """[function]
name = "fn"
runtime = "python3.12"
handler = "app.handler"
source = "src"
[function.async]
max_retries = 1
dead_letter = "%s"
"""


def test_project_dead_letter_in_async_table_as_issue_spells_it():
    """Issue 14's project file puts dead_letter under [function.async]; it is the function's DLQ."""
    import pytest

    from lambdactl import config
    from lambdactl.errors import UsageError

    pc = config.loads(_ASYNC_TOML % SQS_ARN)
    assert pc.function.dead_letter == SQS_ARN and pc.function.async_.max_retries == 1
    with pytest.raises(UsageError, match="function.async.dead_letter"):
        config.loads(_ASYNC_TOML % "arn:aws:s3:::bucket")
    with pytest.raises(UsageError, match="differs"):
        config.loads(_ASYNC_TOML.replace('source = "src"', f'source = "src"\ndead_letter = "{SNS_ARN}"') % SQS_ARN)


def test_dlq_defaults_to_the_project_function(invoke_cli, create_function, boto, project_dir):
    """Contract: FUNCTION defaults to the project file's function; a lone SQS/SNS ARN is the target.
    Reading DeadLetterConfig back needs the moto fix that keeps it (motofixes.py)."""
    create_function("fn")
    (project_dir / "lambdactl.toml").write_text(_ASYNC_TOML.split("[function.async]")[0])
    r = invoke_cli("dlq", SQS_ARN, "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["function"] == "fn" and r.json()["after"] == SQS_ARN
    assert boto("lambda").get_function_configuration(FunctionName="fn")["DeadLetterConfig"]["TargetArn"] == SQS_ARN
    r = invoke_cli("dlq", "--clear", "-o", "json")
    assert r.exit_code == 0 and r.json()["status"] == "cleared"
