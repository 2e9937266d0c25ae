"""Bad input, every command group: a clean error, the documented exit code, and no change anywhere.

Each case runs the real app (the ``invoke_cli`` CliRunner) in a temporary project directory against
the moto server, where a known world has been arranged: a function ``fixed`` (version 1, alias
``live``, a policy statement), a bucket ``bkt`` that already notifies a queue ``q``, an EventBridge
rule, a log group with a 7-day retention, an SNS topic. Every case asserts:

- the exit code (2 bad input, 3 not found) and a fragment of the ``error:`` line;
- exactly one ``error:`` line on stderr, a ``hint:`` line where one is useful, no ``Traceback``;
- nothing on stdout;
- no mutating AWS call was made (``lambdactl.aws.CALLS``; a case that can only learn "not found"
  from AWS may *attempt* one call, which must have been refused);
- the AWS state read back after the command (the function, its versions, aliases and policy, plus
  what that command group could touch) equals the state arranged, and the project directory
  (files and their bytes) is unchanged.

Every range is tested at both edges (the value just outside here, the edge itself accepted in
``test_valid_edges_are_accepted``), for the flags and the project-file keys.

The ``invoke-missing-function`` and ``invoke-missing-alias`` cases need lambdactl's moto fidelity
fix (core/run/motofixes.py): moto 5.2's Docker-less invoke answers 200 for a missing function or
qualifier, AWS answers 404 ResourceNotFoundException.

Tool defects this suite found were fixed in the tool.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import pytest

from lambdactl.aws import CALLS
from tests.conftest import (ACCOUNT, LAMBDA_TRUST, REGION, SAMPLE_HANDLER, fake_aws_env, make_zip_bytes,
                            reset_moto)

GARBAGE = b"\xff\xfe\x00garbage"
LONG = "x" * 300
UNI = "функция-λ"
Q_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"
FN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fixed"
LAYER_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:libs:1"

# Files present in the project directory for every case (a case may add more, e.g. lambdactl.toml).
BASE_FILES: dict[str, bytes] = {
    "garbage.bin": GARBAGE,
    "garbage.zip": GARBAGE,
    "good.zip": make_zip_bytes({"app.py": SAMPLE_HANDLER}),
    "empty.json": b"",
    "list.json": b"[1, 2]",
    "req.txt": b"# no dependencies\n",
    "bad.jsonl": b'{"a": 1}\n{not json\n',
    "code/app.py": SAMPLE_HANDLER.encode(),   # not src/: 'init' must see a clean directory
}

BASE_TOML = """\
[function]
name = "fixed"
runtime = "python3.12"
handler = "app.handler"
source = "src"
memory = 128
timeout = 3
"""


def toml(function_extra: str = "", tail: str = "", *, base: str = BASE_TOML) -> dict[str, bytes]:
    """A project file: the valid base plus extra [function] lines and extra tables."""
    return {"lambdactl.toml": (base + function_extra + "\n" + tail).encode()}


def case(id: str, args: list[str], code: int, needle: str | None = None, *,
         files: dict[str, bytes] | None = None, stdin: bytes | str | None = None, hint: bool = True,
         attempt: str | None = None, marks=()):
    """``hint=False``: the message says it all (e.g. "--limit 0: must be at least 1"); otherwise a
    ``hint:`` line is required. ``attempt``: the one mutating operation the case may *attempt*
    because only AWS can answer the question (invoking a function is how you learn it is missing);
    it must have been refused (HTTP status >= 400)."""
    return pytest.param(args, code, needle, files or {}, stdin, hint, attempt, id=id, marks=marks)


# --- the table ----------------------------------------------------------------------------------

CASES = [
    # root / global options
    case("root-unknown-command", ["frobnicate"], 2, "No such command"),
    case("root-bad-output-format", ["--output", "yaml", "ls"], 2, "yaml"),
    case("root-bad-output-after-cmd", ["ls", "-o", "xml"], 2, "xml"),
    case("root-missing-config-file", ["-c", "nope.toml", "info"], 2, "nope.toml"),
    case("root-config-is-directory", ["-c", "code", "info"], 2, "directory", hint=False),
    case("root-bad-endpoint", ["--endpoint-url", "not a url", "ls"], 2, "endpoint"),
    case("root-config-garbage", ["-c", "garbage.bin", "info"], 2, "UTF-8"),
    case("root-unknown-profile", ["--profile", "no-such-profile", "ls"], 2, "no-such-profile"),

    # ls
    case("ls-unknown-flag", ["ls", "--bogus"], 2, "--bogus"),
    case("ls-extra-argument", ["ls", "extra"], 2, "extra"),

    # info
    case("info-no-function-no-project", ["info"], 2, "no FUNCTION"),
    case("info-bad-name", ["info", "bad name!"], 2, "invalid function name"),
    case("info-long-name", ["info", LONG], 2, "invalid function name"),
    case("info-unicode-name", ["info", UNI], 2, "invalid function name"),
    case("info-bad-arn", ["info", "arn:aws:lambda:us-east-1:12345:function:x"], 2, "invalid function name"),
    case("info-empty-qualifier", ["info", "fixed:"], 2, "invalid function name"),
    case("info-missing-function", ["info", "missing-fn"], 3, "missing-fn"),
    case("info-missing-alias", ["info", "fixed:nope"], 3, "nope"),

    # delete
    case("delete-no-argument", ["delete"], 2, "FUNCTION"),
    case("delete-needs-confirmation", ["delete", "fixed"], 2, "confirmation"),
    case("delete-missing-function", ["delete", "missing-fn", "--yes"], 3, "missing-fn"),
    case("delete-bad-name", ["delete", "bad name!", "--yes"], 2, "invalid function name"),
    case("delete-missing-version", ["delete", "fixed:99", "--yes"], 3, "99"),

    # package
    case("package-missing-source", ["package", "--source", "no-such-dir"], 2, "no-such-dir"),
    case("package-source-is-file", ["package", "--source", "garbage.bin"], 2, "garbage.bin"),
    case("package-bad-arch", ["package", "--source", "code", "--arch", "sparc"], 2, "sparc"),
    case("package-old-runtime", ["package", "--source", "code", "--runtime", "python2.7"], 2, "python2.7"),
    case("package-unknown-runtime", ["package", "--source", "code", "--runtime", "cobol"], 2, "cobol"),
    case("package-jobs-zero", ["package", "--source", "code", "--jobs", "0"], 2, "jobs", hint=False),
    case("package-jobs-text", ["package", "--source", "code", "--jobs", "many"], 2, "--jobs"),
    case("package-missing-requirements", ["package", "--source", "code", "--requirements", "nope.txt"], 2, "nope.txt"),
    case("package-bad-handler", ["package", "--source", "code", "--handler", "not a handler"], 2, "handler"),
    case("package-handler-not-in-zip", ["package", "--source", "code", "--handler", "other.handler"], 2, "other"),
    case("package-broken-toml", ["package"], 2, "lambdactl.toml", files=toml("memory = 64")),

    # deploy (flags)
    case("deploy-no-project", ["deploy"], 2, "lambdactl.toml"),
    case("deploy-canary-without-alias", ["deploy", "--canary", "10"], 2, "--alias", files=toml()),
    case("deploy-canary-out-of-range", ["deploy", "--alias", "live", "--canary", "150"], 2, "150", files=toml()),
    case("deploy-code-and-config-only", ["deploy", "--code-only", "--config-only"], 2, "only", files=toml()),
    case("deploy-bad-alias-name", ["deploy", "--alias", "bad alias!"], 2, "alias", files=toml()),
    case("deploy-digit-alias-name", ["deploy", "--alias", "123"], 2, "alias", files=toml()),
    case("deploy-unknown-flag", ["deploy", "--force-everything"], 2, "--force-everything", files=toml()),

    # diff
    case("diff-no-project", ["diff"], 2, "lambdactl.toml"),
    case("diff-code-and-config-only", ["diff", "--code-only", "--config-only"], 2, "only", files=toml()),
    case("diff-broken-toml", ["diff"], 2, "function.timeout",
         files={"lambdactl.toml": BASE_TOML.replace("timeout = 3", "timeout = 0").encode()}),

    # create
    case("create-no-code", ["create", "newfn", "--runtime", "python3.12", "--handler", "app.handler"], 2, "no code"),
    case("create-both-code", ["create", "newfn", "--zip", "good.zip", "--source", "code", "--runtime", "python3.12",
                              "--handler", "app.handler"], 2, "--zip"),
    case("create-missing-zip", ["create", "newfn", "--zip", "nope.zip", "--runtime", "python3.12",
                                "--handler", "app.handler"], 2, "nope.zip"),
    case("create-garbage-zip", ["create", "newfn", "--zip", "garbage.zip", "--runtime", "python3.12",
                                "--handler", "app.handler"], 2, "zip"),
    case("create-unknown-runtime", ["create", "newfn", "--zip", "good.zip", "--runtime", "cobol",
                                    "--handler", "app.handler"], 2, "cobol"),
    case("create-memory-low", ["create", "newfn", "--zip", "good.zip", "--runtime", "python3.12",
                               "--handler", "app.handler", "--memory", "64"], 2, "memory"),
    case("create-memory-high", ["create", "newfn", "--zip", "good.zip", "--runtime", "python3.12",
                                "--handler", "app.handler", "--memory", "20000"], 2, "memory"),
    case("create-memory-text", ["create", "newfn", "--zip", "good.zip", "--runtime", "python3.12",
                                "--handler", "app.handler", "--memory", "lots"], 2, "--memory"),
    case("create-timeout-zero", ["create", "newfn", "--zip", "good.zip", "--runtime", "python3.12",
                                 "--handler", "app.handler", "--timeout", "0"], 2, "timeout"),
    case("create-timeout-high", ["create", "newfn", "--zip", "good.zip", "--runtime", "python3.12",
                                 "--handler", "app.handler", "--timeout", "901"], 2, "timeout"),
    case("create-storage-low", ["create", "newfn", "--zip", "good.zip", "--runtime", "python3.12",
                                "--handler", "app.handler", "--ephemeral-storage", "100"], 2, "ephemeral"),
    case("create-bad-arch", ["create", "newfn", "--zip", "good.zip", "--runtime", "python3.12",
                             "--handler", "app.handler", "--arch", "sparc"], 2, "sparc"),
    case("create-env-no-equals", ["create", "newfn", "--zip", "good.zip", "--runtime", "python3.12",
                                  "--handler", "app.handler", "--env", "NOEQUALS"], 2, "NOEQUALS"),
    case("create-env-empty-key", ["create", "newfn", "--zip", "good.zip", "--runtime", "python3.12",
                                  "--handler", "app.handler", "--env", "=value"], 2, "key", hint=False),
    case("create-bad-layer", ["create", "newfn", "--zip", "good.zip", "--runtime", "python3.12",
                              "--handler", "app.handler", "--layers", "not-an-arn"], 2, "not-an-arn"),
    case("create-six-layers", ["create", "newfn", "--zip", "good.zip", "--runtime", "python3.12",
                               "--handler", "app.handler", "--layers", ",".join([LAYER_ARN] * 6)], 2, "6 layers"),
    case("create-bad-role", ["create", "newfn", "--zip", "good.zip", "--runtime", "python3.12",
                             "--handler", "app.handler", "--role", "not-an-arn"], 2, "role"),
    case("create-bad-handler", ["create", "newfn", "--zip", "good.zip", "--runtime", "python3.12",
                                "--handler", "nodots"], 2, "nodots"),
    case("create-long-name", ["create", LONG, "--zip", "good.zip", "--runtime", "python3.12",
                              "--handler", "app.handler"], 2, "invalid function name"),
    case("create-unicode-name", ["create", UNI, "--zip", "good.zip", "--runtime", "python3.12",
                                 "--handler", "app.handler"], 2, "invalid function name"),
    case("create-with-qualifier", ["create", "newfn:1", "--zip", "good.zip", "--runtime", "python3.12",
                                   "--handler", "app.handler"], 2, "qualifier"),
    case("create-long-description", ["create", "newfn", "--zip", "good.zip", "--runtime", "python3.12",
                                     "--handler", "app.handler", "--description", "d" * 300], 2, "description"),

    # update
    case("update-no-code", ["update", "fixed"], 2, "no code"),
    case("update-missing-zip", ["update", "fixed", "--zip", "nope.zip"], 2, "nope.zip"),
    case("update-garbage-zip", ["update", "fixed", "--zip", "garbage.zip"], 2, "zip"),
    case("update-missing-source", ["update", "fixed", "--source", "no-such-dir"], 2, "no-such-dir"),
    case("update-both-code", ["update", "fixed", "--zip", "good.zip", "--source", "code"], 2, "--zip"),
    case("update-bad-arch", ["update", "fixed", "--zip", "good.zip", "--arch", "mips"], 2, "mips"),
    case("update-missing-function", ["update", "missing-fn", "--zip", "good.zip"], 3, "missing-fn"),

    # config
    case("config-memory-low", ["config", "fixed", "--memory", "127"], 2, "memory"),
    case("config-memory-high", ["config", "fixed", "--memory", "10241"], 2, "memory"),
    case("config-timeout-zero", ["config", "fixed", "--timeout", "0"], 2, "timeout"),
    case("config-timeout-high", ["config", "fixed", "--timeout", "1000"], 2, "timeout"),
    case("config-storage-high", ["config", "fixed", "--ephemeral-storage", "10241"], 2, "ephemeral"),
    case("config-valid-then-invalid", ["config", "fixed", "--memory", "256", "--timeout", "0"], 2, "timeout"),
    case("config-env-no-equals", ["config", "fixed", "--env", "BAD"], 2, "BAD"),
    case("config-env-bad-name", ["config", "fixed", "--env", "1ABC=x"], 2, "1ABC"),
    case("config-bad-layer", ["config", "fixed", "--layers", "arn:aws:lambda:us-east-1:1:layer:x"], 2, "layer"),
    case("config-unknown-runtime", ["config", "fixed", "--runtime", "java0"], 2, "java0"),
    case("config-bad-handler", ["config", "fixed", "--handler", "no handler"], 2, "handler"),
    case("config-bad-role", ["config", "fixed", "--role", "arn:aws:iam::1:role/x"], 2, "role"),
    case("config-bad-tracing", ["config", "fixed", "--tracing", "Sometimes"], 2, "Sometimes"),
    case("config-bad-kms", ["config", "fixed", "--kms-key", "not-a-key"], 2, "not-a-key"),
    case("config-bad-subnet", ["config", "fixed", "--vpc-subnets", "nope", "--vpc-security-groups", "sg-0a1b2c3d"],
         2, "nope"),
    case("config-subnets-without-sg", ["config", "fixed", "--vpc-subnets", "subnet-0a1b2c3d"], 2, "security"),
    case("config-no-vpc-and-subnets", ["config", "fixed", "--no-vpc", "--vpc-subnets", "subnet-0a1b2c3d",
                                       "--vpc-security-groups", "sg-0a1b2c3d"], 2, "--no-vpc", hint=False),
    case("config-missing-function", ["config", "missing-fn", "--memory", "256"], 3, "missing-fn"),
    case("config-long-description", ["config", "fixed", "--description", "d" * 300], 2, "description"),
    case("config-with-qualifier", ["config", "fixed:live", "--memory", "256"], 2, "qualifier"),

    # invoke
    case("invoke-bad-json", ["invoke", "fixed", "{bad"], 2, "invalid JSON"),
    case("invoke-truncated-json", ["invoke", "fixed", "[1,"], 2, "invalid JSON"),
    case("invoke-nan", ["invoke", "fixed", "NaN"], 2, "NaN"),
    case("invoke-infinity-in-object", ["invoke", "fixed", '{"a": Infinity}'], 2, "Infinity"),
    case("invoke-missing-file", ["invoke", "fixed", "@nope.json"], 2, "nope.json"),
    case("invoke-at-alone", ["invoke", "fixed", "@"], 2, "@"),
    case("invoke-empty-file", ["invoke", "fixed", "@empty.json"], 2, "empty"),
    case("invoke-garbage-file", ["invoke", "fixed", "@garbage.bin"], 2, "UTF-8"),
    case("invoke-empty-stdin", ["invoke", "fixed", "-"], 2, "empty", stdin=b""),
    case("invoke-garbage-stdin", ["invoke", "fixed", "-"], 2, "UTF-8", stdin=GARBAGE),
    case("invoke-bad-json-stdin", ["invoke", "fixed", "--payload-file", "-"], 2, "stdin", stdin=b"{'single': 1}"),
    case("invoke-missing-payload-file", ["invoke", "fixed", "--payload-file", "nope.json"], 2, "nope.json"),
    case("invoke-payload-twice", ["invoke", "fixed", "{}", "--payload-file", "list.json"], 2, "once"),
    case("invoke-set-on-array", ["invoke", "fixed", "@list.json", "--set", "a=1"], 2, "--set"),
    case("invoke-set-no-equals", ["invoke", "fixed", "--set", "noequals"], 2, "KEY=VALUE"),
    case("invoke-set-empty-segment", ["invoke", "fixed", "--set", "a..b=1"], 2, "empty key"),
    case("invoke-set-empty-key", ["invoke", "fixed", "--set", "=1"], 2, "empty key"),
    case("invoke-set-conflict", ["invoke", "fixed", "--set", "a=1", "--set", "a.b=2"], 2, "a"),
    case("invoke-set-overflowing-number", ["invoke", "fixed", "--set", "n=1e400"], 2, "too large"),
    case("invoke-repeat-zero", ["invoke", "fixed", "{}", "--repeat", "0"], 2, "repeat"),
    case("invoke-batch-missing-file", ["invoke", "fixed", "--batch", "nope.jsonl"], 2, "nope.jsonl"),
    case("invoke-batch-fail-fast-bad-line", ["invoke", "fixed", "--batch", "bad.jsonl", "--fail-fast"], 2, "line 2"),
    case("invoke-batch-concurrency-zero", ["invoke", "fixed", "--batch", "bad.jsonl", "--concurrency", "0"], 2,
         "concurrency"),
    case("invoke-missing-function", ["invoke", "missing-fn", "{}"], 3, "missing-fn", attempt="Invoke"),
    case("invoke-missing-alias", ["invoke", "fixed:nope", "{}"], 3, "nope", attempt="Invoke"),
    case("invoke-bad-qualifier", ["invoke", "fixed", "{}", "--qualifier", "bad qualifier!"], 2, "qualifier"),
    case("invoke-no-function-no-project", ["invoke", '{"a": 1}'], 2, "no FUNCTION"),
    case("invoke-local-no-project", ["invoke", "--local", "{}"], 2, "lambdactl.toml"),
    case("invoke-extra-argument", ["invoke", "fixed", "{}", "{}"], 2, "extra"),
    case("invoke-empty-inline", ["invoke", "fixed", ""], 2, "empty"),
    case("invoke-batch-garbage-stdin", ["invoke", "fixed", "--batch", "-", "--fail-fast"], 2,
         "stdin: line 1: not UTF-8", stdin=GARBAGE),
    case("invoke-batch-nan-line", ["invoke", "fixed", "--batch", "-", "--fail-fast"], 2, "line 2: invalid JSON: NaN",
         stdin=b'{"a": 1}\n[NaN]\n'),
    case("invoke-out-missing-dir", ["invoke", "fixed", "{}", "--out", "no/such/dir/out.json"], 2, "no/such/dir"),

    # publish
    case("publish-missing-function", ["publish", "missing-fn"], 3, "missing-fn"),
    case("publish-bad-name", ["publish", "bad name!"], 2, "invalid function name"),
    case("publish-no-project", ["publish"], 2, "no FUNCTION"),
    case("publish-long-description", ["publish", "fixed", "--description", "d" * 300], 2, "description"),
    case("publish-unknown-flag", ["publish", "fixed", "--bogus"], 2, "--bogus"),

    # versions
    case("versions-missing-function", ["versions", "missing-fn"], 3, "missing-fn"),
    case("versions-bad-name", ["versions", "bad name!"], 2, "invalid function name"),
    case("versions-show-missing-function", ["versions", "show", "missing-fn"], 3, "missing-fn"),
    case("versions-prune-no-keep", ["versions", "prune", "fixed"], 2, "--keep"),
    case("versions-prune-negative-keep", ["versions", "prune", "fixed", "--keep", "-1"], 2, "keep"),
    case("versions-prune-text-keep", ["versions", "prune", "fixed", "--keep", "abc"], 2, "--keep"),
    case("versions-prune-missing-function", ["versions", "prune", "missing-fn", "--keep", "1", "--yes"], 3,
         "missing-fn"),

    # alias
    case("alias-list-missing-function", ["alias", "list", "missing-fn"], 3, "missing-fn"),
    case("alias-show-missing-alias", ["alias", "show", "fixed", "nope"], 3, "nope"),
    case("alias-show-no-args", ["alias", "show"], 2, "alias"),
    case("alias-set-no-version", ["alias", "set", "fixed", "live"], 2, "--version"),
    case("alias-set-text-version", ["alias", "set", "fixed", "live", "--version", "abc"], 2, "abc"),
    case("alias-set-latest", ["alias", "set", "fixed", "live", "--version", "$LATEST"], 2, "$LATEST"),
    case("alias-set-weight-same-version", ["alias", "set", "fixed", "live", "--version", "1", "--weight", "1=10"],
         2, "differ"),
    case("alias-set-weight-over-100", ["alias", "set", "fixed", "live", "--version", "1", "--weight", "2=150"],
         2, "150"),
    case("alias-set-weight-garbage", ["alias", "set", "fixed", "live", "--version", "1", "--weight", "junk"],
         2, "junk"),
    case("alias-set-digit-name", ["alias", "set", "fixed", "123", "--version", "1"], 2, "123"),
    case("alias-set-bad-name", ["alias", "set", "fixed", "bad alias!", "--version", "1"], 2, "alias"),
    case("alias-set-long-name", ["alias", "set", "fixed", LONG, "--version", "1"], 2, "alias"),
    case("alias-set-unicode-name", ["alias", "set", "fixed", UNI, "--version", "1"], 2, "alias"),
    case("alias-set-missing-version", ["alias", "set", "fixed", "live", "--version", "99"], 3, "99"),
    case("alias-set-missing-function", ["alias", "set", "missing-fn", "live", "--version", "1"], 3, "missing-fn"),
    case("alias-delete-needs-confirmation", ["alias", "delete", "fixed", "live"], 2, "confirmation"),
    case("alias-delete-missing-alias", ["alias", "delete", "fixed", "nope", "--yes"], 3, "nope"),
    case("alias-shift-percent-over-100", ["alias", "shift", "fixed", "live", "--to", "2", "--percent", "150",
                                          "--yes"], 2, "150"),
    case("alias-shift-steps-decreasing", ["alias", "shift", "fixed", "live", "--to", "2", "--steps", "50,10",
                                          "--yes"], 2, "steps"),
    case("alias-shift-steps-garbage", ["alias", "shift", "fixed", "live", "--to", "2", "--steps", "10,abc",
                                       "--yes"], 2, "abc"),
    case("alias-shift-percent-and-steps", ["alias", "shift", "fixed", "live", "--to", "2", "--percent", "10",
                                           "--steps", "10,100", "--yes"], 2, "--steps"),
    case("alias-shift-bad-interval", ["alias", "shift", "fixed", "live", "--to", "2", "--steps", "10,100",
                                      "--interval", "forever", "--yes"], 2, "forever"),
    case("alias-shift-error-rate-over-100", ["alias", "shift", "fixed", "live", "--to", "2", "--percent", "10",
                                             "--interval", "1s", "--check-errors", "--max-error-rate", "200", "--yes"],
         2, "200"),
    case("alias-shift-missing-alias", ["alias", "shift", "fixed", "nope", "--to", "2", "--percent", "10",
                                       "--yes"], 3, "nope"),
    case("alias-rollback-text-version", ["alias", "rollback", "fixed", "live", "--to", "abc"], 2, "abc"),
    case("alias-rollback-missing-alias", ["alias", "rollback", "fixed", "nope"], 3, "nope"),
    case("alias-unknown-subcommand", ["alias", "bogus"], 2, "bogus"),
    case("alias-promote-missing-alias", ["alias", "promote", "fixed", "nope", "--yes"], 3, "nope"),
    case("alias-promote-bad-alias-name", ["alias", "promote", "fixed", "bad alias!", "--yes"], 2, "alias"),

    # trigger add s3
    case("s3-no-bucket", ["trigger", "add", "fixed", "s3"], 2, "--bucket"),
    case("s3-bad-event", ["trigger", "add", "fixed", "s3", "--bucket", "bkt", "--events", "notanevent"], 2,
         "notanevent"),
    case("s3-bad-bucket-name", ["trigger", "add", "fixed", "s3", "--bucket", "Bad_Bucket!"], 2, "Bad_Bucket!"),
    case("s3-missing-bucket", ["trigger", "add", "fixed", "s3", "--bucket", "no-such-bucket"], 3, "no-such-bucket"),
    case("s3-overlaps-queue-rule", ["trigger", "add", "fixed", "s3", "--bucket", "bkt", "--prefix", "in/"], 2,
         "overlap"),
    case("s3-missing-function", ["trigger", "add", "missing-fn", "s3", "--bucket", "bkt"], 3, "missing-fn"),

    # trigger add schedule: rate/cron validation
    case("schedule-no-expression", ["trigger", "add", "fixed", "schedule"], 2, "--expression"),
    case("schedule-rate-singular", ["trigger", "add", "fixed", "schedule", "-e", "rate(5 minute)"], 2, "plural"),
    case("schedule-rate-plural", ["trigger", "add", "fixed", "schedule", "-e", "rate(1 minutes)"], 2, "singular"),
    case("schedule-rate-zero", ["trigger", "add", "fixed", "schedule", "-e", "rate(0 minutes)"], 2, "positive", hint=False),
    case("schedule-rate-words", ["trigger", "add", "fixed", "schedule", "-e", "rate(five minutes)"], 2, "five", hint=False),
    case("schedule-rate-weeks", ["trigger", "add", "fixed", "schedule", "-e", "rate(5 weeks)"], 2, "weeks"),
    case("schedule-rate-unclosed", ["trigger", "add", "fixed", "schedule", "-e", "rate(5 minutes"], 2, "rate"),
    case("schedule-cron-5-fields", ["trigger", "add", "fixed", "schedule", "-e", "cron(0 12 * * *)"], 2, "6"),
    case("schedule-cron-no-question", ["trigger", "add", "fixed", "schedule", "-e", "cron(0 12 * * * *)"], 2, "'?'"),
    case("schedule-cron-both-question", ["trigger", "add", "fixed", "schedule", "-e", "cron(0 12 ? * ? *)"], 2,
         "'?'"),
    case("schedule-cron-minute-60", ["trigger", "add", "fixed", "schedule", "-e", "cron(60 12 * * ? *)"], 2,
         "field 1"),
    case("schedule-cron-hour-24", ["trigger", "add", "fixed", "schedule", "-e", "cron(0 24 * * ? *)"], 2, "field 2"),
    case("schedule-cron-dom-32", ["trigger", "add", "fixed", "schedule", "-e", "cron(0 12 32 * ? *)"], 2, "field 3"),
    case("schedule-cron-month-13", ["trigger", "add", "fixed", "schedule", "-e", "cron(0 12 ? 13 MON *)"], 2,
         "field 4"),
    case("schedule-cron-bad-day", ["trigger", "add", "fixed", "schedule", "-e", "cron(0 12 ? * FOO *)"], 2,
         "field 5"),
    case("schedule-cron-year-1800", ["trigger", "add", "fixed", "schedule", "-e", "cron(0 12 ? * MON 1800)"], 2,
         "field 6"),
    case("schedule-cron-zero-step", ["trigger", "add", "fixed", "schedule", "-e", "cron(*/0 12 * * ? *)"], 2,
         "step"),
    case("schedule-english", ["trigger", "add", "fixed", "schedule", "-e", "every 5 minutes"], 2, "every"),
    case("schedule-empty", ["trigger", "add", "fixed", "schedule", "-e", ""], 2, "expression"),
    case("schedule-bad-at", ["trigger", "add", "fixed", "schedule", "-e", "at(2026-13-01)"], 2, "at("),
    case("schedule-bad-input-json", ["trigger", "add", "fixed", "schedule", "-e", "rate(5 minutes)",
                                     "--input", "{bad"], 2, "JSON"),
    case("schedule-nan-input", ["trigger", "add", "fixed", "schedule", "-e", "rate(5 minutes)",
                                "--input", '{"a": NaN}'], 2, "NaN"),
    case("eb-nan-pattern", ["trigger", "add", "fixed", "eventbridge", "--pattern", '{"a": [NaN]}'], 2, "NaN"),
    case("schedule-missing-input-file", ["trigger", "add", "fixed", "schedule", "-e", "rate(5 minutes)",
                                         "--input", "@nope.json"], 2, "nope.json", hint=False),
    case("schedule-bad-rule-name", ["trigger", "add", "fixed", "schedule", "-e", "rate(5 minutes)",
                                    "--name", "bad name!"], 2, "name"),
    case("schedule-long-rule-name", ["trigger", "add", "fixed", "schedule", "-e", "rate(5 minutes)",
                                     "--name", LONG], 2, "name"),
    case("schedule-garbage-input-file", ["trigger", "add", "fixed", "schedule", "-e", "rate(5 minutes)",
                                         "--input", "@garbage.bin"], 2, "garbage.bin", hint=False),
    case("schedule-missing-function", ["trigger", "add", "missing-fn", "schedule", "-e", "rate(5 minutes)"], 3,
         "missing-fn"),

    # trigger add eventbridge: patterns
    case("eb-no-pattern", ["trigger", "add", "fixed", "eventbridge"], 2, "--pattern"),
    case("eb-bad-json", ["trigger", "add", "fixed", "eventbridge", "--pattern", "{bad"], 2, "JSON"),
    case("eb-array", ["trigger", "add", "fixed", "eventbridge", "--pattern", "[]"], 2, "object"),
    case("eb-empty-object", ["trigger", "add", "fixed", "eventbridge", "--pattern", "{}"], 2, "pattern"),
    case("eb-string", ["trigger", "add", "fixed", "eventbridge", "--pattern", '"aws.ec2"'], 2, "object"),
    case("eb-value-not-list", ["trigger", "add", "fixed", "eventbridge", "--pattern", '{"source": "aws.ec2"}'],
         2, "source"),
    case("eb-missing-file", ["trigger", "add", "fixed", "eventbridge", "--pattern", "@nope.json"], 2, "nope.json", hint=False),
    case("eb-garbage-file", ["trigger", "add", "fixed", "eventbridge", "--pattern", "@garbage.bin"], 2, "garbage.bin", hint=False),

    # trigger add sqs / kinesis / dynamodb / sns / url
    case("sqs-no-queue", ["trigger", "add", "fixed", "sqs"], 2, "--queue"),
    case("sqs-bad-arn", ["trigger", "add", "fixed", "sqs", "--queue", "arn:aws:sqs:bad"], 2, "arn:aws:sqs:bad"),
    case("sqs-batch-zero", ["trigger", "add", "fixed", "sqs", "--queue", Q_ARN, "--batch-size", "0"], 2, "batch"),
    case("sqs-batch-high", ["trigger", "add", "fixed", "sqs", "--queue", Q_ARN, "--batch-size", "10001"], 2, "batch"),
    case("sqs-batch-needs-window", ["trigger", "add", "fixed", "sqs", "--queue", Q_ARN, "--batch-size", "100"], 2,
         "--window"),
    case("sqs-window-high", ["trigger", "add", "fixed", "sqs", "--queue", Q_ARN, "--window", "301"], 2, "window"),
    case("sqs-missing-queue", ["trigger", "add", "fixed", "sqs", "--queue", "no-such-queue"], 3, "no-such-queue"),
    case("kinesis-no-stream", ["trigger", "add", "fixed", "kinesis"], 2, "--stream"),
    case("kinesis-bad-position", ["trigger", "add", "fixed", "kinesis", "--stream", "clicks",
                                  "--starting-position", "MIDDLE"], 2, "MIDDLE"),
    case("kinesis-at-timestamp-without-time", ["trigger", "add", "fixed", "kinesis", "--stream", "clicks",
                                               "--starting-position", "AT_TIMESTAMP"], 2, "--starting-timestamp"),
    case("kinesis-bad-timestamp", ["trigger", "add", "fixed", "kinesis", "--stream", "clicks",
                                   "--starting-position", "AT_TIMESTAMP", "--starting-timestamp", "someday"],
         2, "someday"),
    case("dynamodb-no-source", ["trigger", "add", "fixed", "dynamodb"], 2, "--table", hint=False),
    case("dynamodb-bad-position", ["trigger", "add", "fixed", "dynamodb", "--table", "orders",
                                   "--starting-position", "AT_TIMESTAMP"], 2, "AT_TIMESTAMP"),
    case("sns-no-topic", ["trigger", "add", "fixed", "sns"], 2, "--topic"),
    case("sns-bad-topic", ["trigger", "add", "fixed", "sns", "--topic", "not-an-arn"], 2, "not-an-arn"),
    case("url-bad-auth", ["trigger", "add", "fixed", "url", "--auth", "PUBLIC"], 2, "PUBLIC"),
    case("url-cors-max-age", ["trigger", "add", "fixed", "url", "--cors", "--cors-max-age", "100000"], 2, "100000"),
    case("url-bad-invoke-mode", ["trigger", "add", "fixed", "url", "--invoke-mode", "FAST"], 2, "FAST"),
    case("url-credentials-any-origin", ["trigger", "add", "fixed", "url", "--cors", "--cors-credentials"], 2,
         "origin"),
    case("trigger-unknown-kind", ["trigger", "add", "fixed", "ftp"], 2, "ftp"),
    case("trigger-kind-missing", ["trigger", "add", "fixed", "--queue", Q_ARN], 2, "KIND"),
    case("trigger-remove-missing-id", ["trigger", "remove", "fixed", "no-such-trigger"], 3, "no-such-trigger"),
    case("trigger-remove-no-args", ["trigger", "remove"], 2, "ID"),
    case("trigger-list-missing-function", ["trigger", "list", "missing-fn"], 3, "missing-fn"),

    # permission
    case("permission-no-principal", ["permission", "add", "fixed"], 2, "--principal"),
    case("permission-bad-principal", ["permission", "add", "fixed", "--principal", "not a principal"], 2,
         "principal"),
    case("permission-bad-source-arn", ["permission", "add", "fixed", "--principal", "s3.amazonaws.com",
                                       "--source-arn", "notarn"], 2, "notarn"),
    case("permission-bad-source-account", ["permission", "add", "fixed", "--principal", "s3.amazonaws.com",
                                           "--source-account", "123"], 2, "123"),
    case("permission-bad-action", ["permission", "add", "fixed", "--principal", "123456789012",
                                   "--action", "s3:GetObject"], 2, "s3:GetObject"),
    case("permission-bad-url-auth", ["permission", "add", "fixed", "--principal", "123456789012",
                                     "--action", "lambda:InvokeFunctionUrl", "--function-url-auth-type", "MAYBE"],
         2, "MAYBE"),
    case("permission-missing-function", ["permission", "add", "missing-fn", "--principal", "123456789012"], 3,
         "missing-fn"),
    case("permission-remove-missing-sid", ["permission", "remove", "fixed", "no-such-sid"], 3, "no-such-sid"),
    case("permission-remove-no-args", ["permission", "remove"], 2, "STATEMENT_ID"),
    case("permission-list-missing-function", ["permission", "list", "missing-fn"], 3, "missing-fn"),

    # concurrency
    case("concurrency-set-nothing", ["concurrency", "set", "fixed"], 2, "--reserved"),
    case("concurrency-reserved-negative", ["concurrency", "set", "fixed", "--reserved", "-1"], 2, "reserved"),
    case("concurrency-reserved-text", ["concurrency", "set", "fixed", "--reserved", "abc"], 2, "abc"),
    case("concurrency-reserved-too-high", ["concurrency", "set", "fixed", "--reserved", "1000000"], 2, "1000000"),
    case("concurrency-reserved-zero-needs-yes", ["concurrency", "set", "fixed", "--reserved", "0"], 2,
         "confirmation"),
    case("concurrency-provisioned-no-qualifier", ["concurrency", "set", "fixed", "--provisioned", "5"], 2,
         "qualifier"),
    case("concurrency-provisioned-latest", ["concurrency", "set", "fixed", "--provisioned", "5",
                                            "--qualifier", "$LATEST"], 2, "$LATEST"),
    case("concurrency-provisioned-missing-alias", ["concurrency", "set", "fixed", "--provisioned", "5",
                                                   "--qualifier", "nope"], 3, "nope"),
    case("concurrency-set-missing-function", ["concurrency", "set", "missing-fn", "--reserved", "5"], 3,
         "missing-fn"),
    case("concurrency-clear-provisioned-no-qualifier", ["concurrency", "clear", "fixed", "--provisioned"], 2,
         "qualifier"),
    case("concurrency-show-unicode-name", ["concurrency", "show", UNI], 2, "invalid function name"),
    case("concurrency-show-missing-function", ["concurrency", "show", "missing-fn"], 3, "missing-fn"),

    # logs, logs retention
    case("logs-bad-since", ["logs", "fixed", "--since", "yesterday-ish"], 2, "yesterday-ish"),
    case("logs-bad-since-unit", ["logs", "fixed", "--since", "10x"], 2, "10x"),
    case("logs-bad-until", ["logs", "fixed", "--until", "2020-13-45"], 2, "2020-13-45"),
    case("logs-until-before-since", ["logs", "fixed", "--since", "1h", "--until", "2h"], 2, "--until"),
    case("logs-bad-regex", ["logs", "fixed", "--grep", "("], 2, "grep"),
    case("logs-limit-zero", ["logs", "fixed", "-n", "0"], 2, "limit", hint=False),
    case("logs-limit-negative", ["logs", "fixed", "-n", "-5"], 2, "limit", hint=False),
    case("logs-bad-json-format", ["logs", "fixed", "--json-format", "fancy"], 2, "fancy"),
    case("logs-poll-interval-zero", ["logs", "fixed", "-f", "--poll-interval", "0"], 2, "poll", hint=False),
    case("logs-missing-function", ["logs", "missing-fn"], 3, "missing-fn"),
    case("logs-tail-missing-function", ["logs", "tail", "missing-fn", "--since", "5m"], 3, "missing-fn"),
    case("logs-tail-bad-qualifier", ["logs", "tail", "fixed", "--qualifier", "bad qualifier!"], 2, "qualifier"),
    case("logs-unicode-function", ["logs", UNI], 2, "invalid function name"),
    case("retention-bad-days", ["logs", "retention", "fixed", "--days", "2"], 2, "2"),
    case("retention-text-days", ["logs", "retention", "fixed", "--days", "lots"], 2, "lots"),
    case("retention-negative-days", ["logs", "retention", "fixed", "--days", "-1"], 2, "-1"),
    case("retention-missing-function", ["logs", "retention", "missing-fn", "--days", "7"], 3, "missing-fn"),

    # stats
    case("stats-bad-since", ["stats", "fixed", "--since", "bogus"], 2, "bogus"),
    case("stats-bad-until", ["stats", "fixed", "--until", "2020-02-31T00:00:00"], 2, "2020-02-31"),
    case("stats-missing-function", ["stats", "missing-fn"], 3, "missing-fn"),
    case("stats-bad-name", ["stats", "bad name!"], 2, "invalid function name"),

    # init (nothing may be written)
    case("init-bad-name", ["init", "--name", "bad name!", "--no-input"], 2, "bad name!"),
    case("init-long-name", ["init", "--name", LONG, "--no-input"], 2, "name"),
    case("init-unicode-dir-name", ["init", UNI, "--no-input"], 2, "name"),
    case("init-no-name", ["init", "--no-input"], 2, "name"),
    case("init-node-runtime", ["init", "newfn", "--runtime", "nodejs20.x", "--no-input"], 2, "nodejs20.x"),
    case("init-unknown-runtime", ["init", "newfn", "--runtime", "cobol", "--no-input"], 2, "cobol"),
    case("init-bad-arch", ["init", "newfn", "--arch", "sparc", "--no-input"], 2, "sparc"),
    case("init-memory-low", ["init", "newfn", "--memory", "64", "--no-input"], 2, "64"),
    case("init-timeout-high", ["init", "newfn", "--timeout", "1000", "--no-input"], 2, "1000"),
    case("init-bad-template", ["init", "newfn", "--template", "graphql", "--no-input"], 2, "graphql"),
    case("init-bad-trigger-kind", ["init", "newfn", "--trigger", "ftp", "--no-input"], 2, "ftp"),
    case("init-bad-trigger-schedule", ["init", "newfn", "--trigger", "schedule:rate(5 minute)", "--no-input"], 2,
         "rate"),
    case("init-bad-trigger-sqs", ["init", "newfn", "--trigger", "sqs:arn:aws:sqs:nope", "--no-input"], 2, "sqs"),
    case("init-bad-role", ["init", "newfn", "--role", "not-an-arn", "--no-input"], 2, "not-an-arn"),
    case("init-existing-files", ["init", ".", "--name", "newfn", "--no-input"], 2, "lambdactl.toml",
         files=toml()),
    case("init-from-missing-function", ["init", "--from", "missing-fn", "adopted", "--no-input"], 3, "missing-fn"),

    # sandbox
    case("sandbox-port-high", ["sandbox", "start", "--port", "70000"], 2, "--port"),
    case("sandbox-port-negative", ["sandbox", "start", "--port", "-1"], 2, "--port"),
    case("sandbox-status-not-running", ["sandbox", "status"], 3, "not running"),
    case("sandbox-stop-extra-argument", ["sandbox", "stop", "now"], 2, "now"),
    case("sandbox-unknown-subcommand", ["sandbox", "bogus"], 2, "bogus"),

    # async
    case("async-retries-high", ["async", "fixed", "--max-retries", "3"], 2, "max-retries"),
    case("async-retries-negative", ["async", "fixed", "--max-retries", "-1"], 2, "max-retries"),
    case("async-age-low", ["async", "fixed", "--max-event-age", "59"], 2, "max-event-age"),
    case("async-age-high", ["async", "fixed", "--max-event-age", "21601"], 2, "max-event-age"),
    case("async-bad-destination", ["async", "fixed", "--on-failure", "not-an-arn"], 2, "not-an-arn"),
    case("async-s3-destination", ["async", "fixed", "--on-success", "arn:aws:s3:::bkt"], 2, "s3 is not allowed"),
    case("async-incomplete-arn", ["async", "fixed", "--on-failure", "arn:aws:sqs:::q"], 2, "not a complete sqs ARN"),
    case("async-clear-and-set", ["async", "fixed", "--clear", "--max-retries", "1"], 2, "--clear"),
    case("async-missing-function", ["async", "missing-fn", "--max-retries", "1"], 3, "missing-fn"),

    # dlq
    case("dlq-bad-arn", ["dlq", "fixed", "not-an-arn"], 2, "not-an-arn"),
    case("dlq-lambda-arn", ["dlq", "fixed", FN_ARN], 2, "an ARN of lambda is not allowed"),
    case("dlq-s3-arn", ["dlq", "fixed", "arn:aws:s3:::bkt"], 2, "an ARN of s3 is not allowed"),
    case("dlq-arn-and-clear", ["dlq", "fixed", Q_ARN, "--clear"], 2, "--clear", hint=False),
    case("dlq-missing-function", ["dlq", "missing-fn", Q_ARN], 3, "missing-fn"),
    case("dlq-no-function", ["dlq"], 2, "FUNCTION"),

    # layer
    case("layer-build-bad-name", ["layer", "build", "bad name!", "-r", "req.txt"], 2, "bad name!"),
    case("layer-build-missing-requirements", ["layer", "build", "libs", "-r", "nope.txt"], 2, "nope.txt"),
    case("layer-build-unknown-runtime", ["layer", "build", "libs", "-r", "req.txt", "--runtime", "cobol"], 2,
         "cobol"),
    case("layer-build-bad-arch", ["layer", "build", "libs", "-r", "req.txt", "--arch", "sparc"], 2, "sparc"),
    case("layer-build-no-name-no-project", ["layer", "build"], 2, "nothing to build"),
    case("layer-publish-missing-zip", ["layer", "publish", "libs", "--zip", "nope.zip"], 2, "nope.zip"),
    case("layer-publish-garbage-zip", ["layer", "publish", "libs", "--zip", "garbage.zip"], 2, "zip"),
    case("layer-publish-unknown-runtime", ["layer", "publish", "libs", "--zip", "good.zip", "--runtime", "cobol"],
         2, "cobol"),
    case("layer-publish-long-name", ["layer", "publish", LONG, "--zip", "good.zip"], 2, "name"),
    case("layer-list-extra-argument", ["layer", "list", "libs"], 2, "libs"),
    case("layer-versions-missing", ["layer", "versions", "no-such-layer"], 3, "no-such-layer"),
    case("layer-delete-no-version", ["layer", "delete", "libs", "--yes"], 2, "version"),
    case("layer-delete-text-version", ["layer", "delete", "libs:abc", "--yes"], 2, "abc"),
    case("layer-delete-version-zero", ["layer", "delete", "libs", "--version", "0", "--yes"], 2, "version"),
    case("layer-delete-missing", ["layer", "delete", "no-such-layer:1", "--yes"], 3, "no-such-layer"),
    case("layer-delete-bad-name", ["layer", "delete", "bad name!:1", "--yes"], 2, "bad name!"),

    # export
    case("export-bad-format", ["export", "fixed", "--format", "terraform"], 2, "terraform"),
    case("export-missing-function", ["export", "missing-fn"], 3, "missing-fn"),
    case("export-bad-name", ["export", "bad name!"], 2, "invalid function name"),
    case("export-out-missing-dir", ["export", "fixed", "--out", "no/such/dir/t.json"], 2, "no/such/dir"),
]

# Broken project files, each run through `deploy` (the command that would change the most).
BROKEN_TOML = [
    ("syntax-unclosed-table", {"lambdactl.toml": b'[function\nname = "fixed"\n'}, "invalid TOML"),
    ("syntax-unterminated-string", {"lambdactl.toml": b'[function]\nname = "fixed\n'}, "invalid TOML"),
    ("syntax-duplicate-key", toml('name = "again"'), "invalid TOML"),
    ("syntax-bare-value", {"lambdactl.toml": b"[function]\nname = fixed\n"}, "invalid TOML"),
    ("binary-garbage", {"lambdactl.toml": GARBAGE}, "UTF-8"),
    ("empty-file", {"lambdactl.toml": b""}, "[function]"),
    ("function-not-table", {"lambdactl.toml": b"function = 1\n"}, "function"),
    ("missing-name", {"lambdactl.toml": b'[function]\nruntime = "python3.12"\nhandler = "app.handler"\n'},
     "function.name"),
    ("name-wrong-type", {"lambdactl.toml": b'[function]\nname = 7\nruntime = "python3.12"\nhandler = "a.b"\n'},
     "function.name"),
    ("name-invalid", {"lambdactl.toml": b'[function]\nname = "bad name!"\nruntime = "python3.12"\nhandler = "a.b"\n'},
     "function.name"),
    ("name-too-long", {"lambdactl.toml": f'[function]\nname = "{LONG}"\nruntime = "python3.12"\nhandler = "a.b"\n'
                       .encode()}, "function.name"),
    ("name-unicode", {"lambdactl.toml": f'[function]\nname = "{UNI}"\nruntime = "python3.12"\nhandler = "a.b"\n'
                      .encode()}, "function.name"),
    ("unknown-top-level-key", toml(tail="[deployment]\nstage = 1\n"), "deployment"),
    ("unknown-function-key", toml("memroy = 256"), "function.memroy"),
    ("memory-low", {"lambdactl.toml": BASE_TOML.replace("memory = 128", "memory = 64").encode()},
     "function.memory"),
    ("memory-high", {"lambdactl.toml": BASE_TOML.replace("memory = 128", "memory = 99999").encode()},
     "function.memory"),
    ("memory-huge-int", {"lambdactl.toml": BASE_TOML.replace("memory = 128",
                                                             "memory = 99999999999999999999").encode()},
     "function.memory"),
    ("memory-string", {"lambdactl.toml": BASE_TOML.replace("memory = 128", 'memory = "256"').encode()},
     "function.memory"),
    ("memory-float", {"lambdactl.toml": BASE_TOML.replace("memory = 128", "memory = 256.5").encode()},
     "function.memory"),
    ("memory-inf", {"lambdactl.toml": BASE_TOML.replace("memory = 128", "memory = inf").encode()},
     "function.memory"),
    ("memory-bool", {"lambdactl.toml": BASE_TOML.replace("memory = 128", "memory = true").encode()},
     "function.memory"),
    ("timeout-zero", {"lambdactl.toml": BASE_TOML.replace("timeout = 3", "timeout = 0").encode()},
     "function.timeout"),
    ("timeout-high", {"lambdactl.toml": BASE_TOML.replace("timeout = 3", "timeout = 901").encode()},
     "function.timeout"),
    ("storage-low", toml("ephemeral_storage = 100"), "function.ephemeral_storage"),
    ("runtime-unknown", {"lambdactl.toml": BASE_TOML.replace("python3.12", "cobol85").encode()}, "function.runtime"),
    ("runtime-missing", {"lambdactl.toml": BASE_TOML.replace('runtime = "python3.12"\n', "").encode()},
     "function.runtime"),
    ("handler-no-dot", {"lambdactl.toml": BASE_TOML.replace("app.handler", "handler").encode()}, "function.handler"),
    ("architecture-unknown", toml('architecture = "sparc"'), "function.architecture"),
    ("role-not-arn", toml('role = "my-role"'), "function.role"),
    ("layers-six", toml("layers = [" + ", ".join([f'"{LAYER_ARN}"'] * 6) + "]"), "function.layers"),
    ("layers-bad-arn", toml('layers = ["arn:aws:s3:::bucket"]'), "function.layers"),
    ("layers-not-list", toml(f'layers = "{LAYER_ARN}"'), "function.layers"),
    ("environment-array-value", toml(tail="[function.environment]\nA = [1, 2]\n"), "function.environment.A"),
    ("environment-bad-name", toml(tail='[function.environment]\n"1BAD" = "x"\n'), "function.environment.1BAD"),
    ("environment-too-big", toml(tail=f'[function.environment]\nBIG = "{"v" * 5000}"\n'), "function.environment"),
    ("tags-not-table", toml('tags = "team"'), "function.tags"),
    ("tracing-bad", toml('tracing = "Sometimes"'), "function.tracing"),
    ("description-too-long", toml(f'description = "{"d" * 300}"'), "function.description"),
    ("kms-not-arn", toml('kms_key = "my-key"'), "function.kms_key"),
    ("dead-letter-s3", toml('dead_letter = "arn:aws:s3:::bkt"'), "function.dead_letter: an ARN of s3"),
    ("vpc-subnets-without-sg", toml(tail='[function.vpc]\nsubnets = ["subnet-0a1b2c3d"]\n'), "function.vpc"),
    ("vpc-bad-subnet", toml(tail='[function.vpc]\nsubnets = ["nope"]\nsecurity_groups = ["sg-0a1b2c3d"]\n'),
     "function.vpc.subnets"),
    ("vpc-unknown-key", toml(tail='[function.vpc]\nzones = ["a"]\n'), "function.vpc.zones"),
    ("async-retries-high", toml(tail="[function.async]\nmax_retries = 5\n"), "function.async.max_retries"),
    ("async-bad-destination", toml(tail='[function.async]\non_failure = "nope"\n'), "function.async.on_failure"),
    ("image-without-uri", toml('package_type = "Image"'), "function.image_uri"),
    ("package-type-bad", toml('package_type = "Jar"'), "function.package_type"),
    ("concurrency-reserved-negative", toml(tail="[concurrency]\nreserved = -1\n"), "concurrency.reserved"),
    ("concurrency-provisioned-latest", toml(tail='[[concurrency.provisioned]]\nqualifier = "$LATEST"\ncount = 1\n'),
     "concurrency.provisioned[0]"),
    ("concurrency-provisioned-zero", toml(tail='[[concurrency.provisioned]]\nalias = "live"\ncount = 0\n'),
     "concurrency.provisioned[0].count"),
    ("concurrency-provisioned-no-count", toml(tail='[[concurrency.provisioned]]\nalias = "live"\n'),
     "concurrency.provisioned[0].count"),
    ("aliases-not-array", {"lambdactl.toml": ('aliases = "live"\n' + BASE_TOML).encode()}, "aliases"),
    ("alias-digit-name", toml(tail='[[aliases]]\nname = "123"\n'), "aliases[0].name"),
    ("alias-duplicate", toml(tail='[[aliases]]\nname = "live"\n[[aliases]]\nname = "live"\n'), "aliases[1].name"),
    ("alias-bad-version", toml(tail='[[aliases]]\nname = "live"\nversion = "latest"\n'), "aliases[0].version"),
    ("alias-unknown-key", toml(tail='[[aliases]]\nname = "live"\nweight = 10\n'), "aliases[0].weight"),
    ("alias-routing-not-table", toml(tail='[[aliases]]\nname = "live"\nrouting = 0.1\n'), "aliases[0].routing"),
    ("alias-routing-two-versions", toml(tail='[[aliases]]\nname = "live"\nversion = 1\n'
                                             'routing = { "2" = 0.1, "3" = 0.1 }\n'), "aliases[0].routing"),
    ("alias-routing-own-version", toml(tail='[[aliases]]\nname = "live"\nversion = 2\nrouting = { "2" = 0.1 }\n'),
     "aliases[0].routing.2"),
    ("alias-routing-version-0", toml(tail='[[aliases]]\nname = "live"\nrouting = { "0" = 0.1 }\n'),
     "aliases[0].routing.0"),
    ("alias-routing-version-name", toml(tail='[[aliases]]\nname = "live"\nrouting = { "latest" = 0.1 }\n'),
     "aliases[0].routing.latest"),
    ("alias-routing-weight-string", toml(tail='[[aliases]]\nname = "live"\nrouting = { "2" = "10%" }\n'),
     "aliases[0].routing.2"),
    ("trigger-unknown-type", toml(tail='[[triggers]]\ntype = "ftp"\n'), "triggers[0].type"),
    ("trigger-no-type", toml(tail='[[triggers]]\nexpression = "rate(5 minutes)"\n'), "triggers[0].type"),
    ("trigger-schedule-bad-rate", toml(tail='[[triggers]]\ntype = "schedule"\nexpression = "rate(5 minute)"\n'),
     "triggers[0].expression"),
    ("trigger-schedule-bad-cron", toml(tail='[[triggers]]\ntype = "schedule"\nexpression = "cron(0 12 * * * *)"\n'),
     "triggers[0].expression"),
    ("trigger-schedule-no-expression", toml(tail='[[triggers]]\ntype = "schedule"\n'), "triggers[0].expression"),
    ("trigger-eventbridge-bad-json", toml(tail="[[triggers]]\ntype = \"eventbridge\"\npattern = '{bad'\n"),
     "triggers[0].pattern"),
    ("trigger-eventbridge-nan", toml(tail="[[triggers]]\ntype = \"eventbridge\"\npattern = '{\"a\": [NaN]}'\n"),
     "triggers[0].pattern: invalid JSON: NaN"),
    ("trigger-eventbridge-empty", toml(tail="[[triggers]]\ntype = \"eventbridge\"\npattern = '{}'\n"),
     "triggers[0].pattern"),
    ("trigger-sqs-batch-zero", toml(tail=f'[[triggers]]\ntype = "sqs"\nsource = "{Q_ARN}"\nbatch_size = 0\n'),
     "triggers[0].batch_size"),
    ("trigger-sqs-no-source", toml(tail='[[triggers]]\ntype = "sqs"\n'), "triggers[0].source"),
    ("trigger-sqs-unknown-key", toml(tail=f'[[triggers]]\ntype = "sqs"\nsource = "{Q_ARN}"\nqueue_size = 1\n'),
     "triggers[0].queue_size"),
    ("trigger-kinesis-position", toml(tail='[[triggers]]\ntype = "kinesis"\nsource = "s"\n'
                                           'starting_position = "MIDDLE"\n'), "triggers[0].starting_position"),
    ("trigger-url-auth", toml(tail='[[triggers]]\ntype = "url"\nauth = "PUBLIC"\n'), "triggers[0].auth"),
    ("layer-build-no-requirements", toml(tail='[[layers.build]]\nname = "libs"\n'), "layers.build[0].requirements"),
]

# Messages that say it all (no hint needed): "is required", "must be a table", "declared twice"...
SELF_EXPLANATORY = {"function-not-table", "missing-name", "name-wrong-type", "layers-bad-arn", "layers-not-list",
                    "environment-array-value", "tags-not-table", "vpc-subnets-without-sg", "vpc-bad-subnet",
                    "concurrency-provisioned-no-count", "aliases-not-array", "alias-duplicate",
                    "trigger-schedule-no-expression", "trigger-eventbridge-bad-json", "trigger-eventbridge-empty",
                    "trigger-eventbridge-nan",
                    "trigger-sqs-no-source", "layer-build-no-requirements"}
CASES += [case(f"toml-{id}", ["deploy"], 2, needle, files=files, hint=id not in SELF_EXPLANATORY)
          for id, files, needle in BROKEN_TOML]
# The same validator guards every command that reads the project file.
CASES += [
    case("toml-via-invoke", ["invoke", "{}"], 2, "function.memory",
         files={"lambdactl.toml": BASE_TOML.replace("memory = 128", "memory = 64").encode()}),
    case("toml-via-publish", ["publish"], 2, "invalid TOML", files={"lambdactl.toml": b"[function\n"}),
    case("toml-via-logs", ["logs"], 2, "function.timeout",
         files={"lambdactl.toml": BASE_TOML.replace("timeout = 3", "timeout = 0").encode()}),
    case("toml-via-info", ["info"], 2, "function.name",
         files={"lambdactl.toml": BASE_TOML.replace('"fixed"', '"bad name!"').encode()}),
    case("toml-via-trigger-add", ["trigger", "add", "schedule", "-e", "rate(5 minutes)"], 2, "function.bogus",
         files=toml("bogus = 1")),
    case("toml-via-alias-list", ["alias", "list"], 2, "UTF-8", files={"lambdactl.toml": GARBAGE}),
]


# --- both edges of every range: the value just outside is refused ------------------------------------
#
# A mutation review changed deploy's `value > hi` into `value >= hi` (memory 10240, timeout 900,
# ephemeral storage 10240 refused) and no test noticed: every range is tested at both edges, the
# value just outside here (exit 2, nothing changed), the edge itself in test_valid_edges_are_accepted
# below — for the flags and for the project-file keys.

LAYERS5 = [f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:l{i}:1" for i in range(1, 7)]
SUBNETS = [f"subnet-{i:08x}" for i in range(17)]
SGS = [f"sg-{i:08x}" for i in range(6)]
NEW = ["create", "newfn", "--zip", "good.zip", "--runtime", "python3.12", "--handler", "app.handler"]
SQS = ["trigger", "add", "fixed", "sqs", "--queue", Q_ARN]
SHIFT = ["alias", "shift", "fixed", "live", "--to", "2", "--yes"]
# The world's function keeps STAGE=prod (9 bytes): 'config --env' merges into it.
BIG_MERGED = "x" * (4096 - 9 - len("BIG") + 1)
BIG_ALONE = "x" * (4096 - len("BIG") + 1)


def toml_trigger(body: str) -> dict[str, bytes]:
    return toml(tail="[[triggers]]\n" + body + "\n")


RANGE_CASES = [
    # [function] memory 128..10240, timeout 1..900, ephemeral_storage 512..10240: create and config
    case("edge-create-memory-127", NEW + ["--memory", "127"], 2, "--memory 127"),
    case("edge-create-memory-10241", NEW + ["--memory", "10241"], 2, "--memory 10241"),
    case("edge-create-storage-511", NEW + ["--ephemeral-storage", "511"], 2, "--ephemeral-storage 511"),
    case("edge-create-storage-10241", NEW + ["--ephemeral-storage", "10241"], 2, "--ephemeral-storage 10241"),
    case("edge-config-timeout-901", ["config", "fixed", "--timeout", "901"], 2, "--timeout 901"),
    case("edge-config-storage-511", ["config", "fixed", "--ephemeral-storage", "511"], 2, "--ephemeral-storage 511"),
    # layers: at most 5; description: at most 256 (function, version), 170 (alias); env: 4 KB
    case("edge-config-six-layers", ["config", "fixed", "--layers", ",".join(LAYERS5)], 2, "6 layers"),
    case("edge-create-description-257", NEW + ["--description", "d" * 257], 2, "257 characters"),
    case("edge-config-description-257", ["config", "fixed", "--description", "d" * 257], 2, "257 characters"),
    case("edge-publish-description-257", ["publish", "fixed", "--description", "d" * 257], 2, "description",
         hint=True),
    case("edge-alias-description-171", ["alias", "set", "fixed", "live", "--version", "1", "--description",
                                        "d" * 171], 2, "171 characters"),
    case("edge-create-env-4097", NEW + ["--env", f"BIG={BIG_ALONE}"], 2, "4097 bytes"),
    case("edge-config-env-4097-merged", ["config", "fixed", "--env", f"BIG={BIG_MERGED}"], 2, "4097 bytes"),
    # VPC: at most 16 subnets and 5 security groups
    case("edge-config-17-subnets", ["config", "fixed", "--vpc-subnets", ",".join(SUBNETS),
                                    "--vpc-security-groups", SGS[0]], 2, "17 subnets"),
    case("edge-config-6-security-groups", ["config", "fixed", "--vpc-subnets", SUBNETS[0],
                                           "--vpc-security-groups", ",".join(SGS)], 2, "6 security groups"),
    # concurrency: reserved 0..100000, provisioned 1..100000, --timeout >= 1
    case("edge-reserved-100001", ["concurrency", "set", "fixed", "--reserved", "100001"], 2, "100001"),
    case("edge-provisioned-0", ["concurrency", "set", "fixed", "--provisioned", "0", "--qualifier", "live"], 2,
         "--provisioned 0"),
    case("edge-provisioned-100001", ["concurrency", "set", "fixed", "--provisioned", "100001", "--qualifier",
                                     "live"], 2, "--provisioned 100001"),
    case("edge-provisioned-timeout-0", ["concurrency", "set", "fixed", "--provisioned", "1", "--qualifier", "live",
                                        "--wait", "--timeout", "0"], 2, "--timeout 0", hint=False),
    # event sources: batch 1..10000 (SQS over 10 needs a window, FIFO at most 10), window 0..300
    case("edge-sqs-window-negative", SQS + ["--window", "-1"], 2, "--window -1"),
    case("edge-sqs-batch-11-needs-window", SQS + ["--batch-size", "11"], 2, "--window"),
    case("edge-sqs-fifo-batch-11", ["trigger", "add", "fixed", "sqs", "--queue", Q_ARN + ".fifo", "--batch-size", "11",
                                    "--window", "1"], 2, "FIFO"),
    case("edge-kinesis-batch-0", ["trigger", "add", "fixed", "kinesis", "--stream", "clicks", "--batch-size", "0"],
         2, "--batch-size 0"),
    case("edge-kinesis-batch-10001", ["trigger", "add", "fixed", "kinesis", "--stream", "clicks", "--batch-size",
                                      "10001"], 2, "--batch-size 10001"),
    case("edge-kinesis-window-301", ["trigger", "add", "fixed", "kinesis", "--stream", "clicks", "--window", "301"],
         2, "--window 301"),
    case("edge-dynamodb-batch-0", ["trigger", "add", "fixed", "dynamodb", "--table", "orders", "--batch-size", "0"],
         2, "--batch-size 0"),
    case("edge-dynamodb-batch-10001", ["trigger", "add", "fixed", "dynamodb", "--table", "orders", "--batch-size",
                                       "10001"], 2, "--batch-size 10001"),
    case("edge-url-cors-max-age-negative", ["trigger", "add", "fixed", "url", "--cors", "--cors-max-age", "-1"], 2,
         "-1"),
    case("edge-url-cors-max-age-86401", ["trigger", "add", "fixed", "url", "--cors", "--cors-max-age", "86401"], 2,
         "86401"),
    # percentages: weights and shifts 0..100, steps and canaries more than 0..100, error rate 0..100
    case("edge-weight-negative", ["alias", "set", "fixed", "live", "--version", "1", "--weight", "2=-0.01"], 2,
         "-0.01"),
    case("edge-weight-over-100", ["alias", "set", "fixed", "live", "--version", "1", "--weight", "2=100.01"], 2,
         "100.01"),
    case("edge-shift-percent-negative", SHIFT + ["--percent", "-0.01"], 2, "-0.01"),
    case("edge-shift-percent-over-100", SHIFT + ["--percent", "100.01"], 2, "100.01"),
    case("edge-shift-steps-0", SHIFT + ["--steps", "0,100"], 2, "'0'"),
    case("edge-error-rate-negative", SHIFT + ["--percent", "10", "--interval", "1s", "--check-errors",
                                              "--max-error-rate", "-1"], 2, "-1"),
    case("edge-error-rate-over-100", SHIFT + ["--percent", "10", "--interval", "1s", "--check-errors",
                                              "--max-error-rate", "100.01"], 2, "100.01"),
    case("edge-canary-0", ["deploy", "--alias", "live", "--canary", "0"], 2, "--canary", files=toml()),
    case("edge-canary-over-100", ["deploy", "--alias", "live", "--canary", "100.01"], 2, "100.01", files=toml()),
    # async: retries 0..2 and event age 60..21600 are in the table above; logs: retention is one of
    # CloudWatch's periods 1..3653 (0: never expire; -1 is in the table above), poll interval 0.05..60
    case("edge-retention-4", ["logs", "retention", "fixed", "--days", "4"], 2, "4"),   # between 3 and 5
    case("edge-retention-3654", ["logs", "retention", "fixed", "--days", "3654"], 2, "3654"),
    case("edge-poll-interval-low", ["logs", "fixed", "--poll-interval", "0.04"], 2, "0.04", hint=False),
    case("edge-poll-interval-high", ["logs", "fixed", "--poll-interval", "60.01"], 2, "60.01", hint=False),
    # invoke: --repeat 1..1000, batch --concurrency 1..256
    case("edge-repeat-1001", ["invoke", "fixed", "{}", "--repeat", "1001"], 2, "--repeat 1001"),
    case("edge-batch-concurrency-257", ["invoke", "fixed", "--batch", "bad.jsonl", "--concurrency", "257"], 2,
         "--concurrency 257"),
    # init: memory 128..10240, timeout 1..900; sandbox ports 0..65535
    case("edge-init-memory-127", ["init", "newfn", "--memory", "127", "--no-input"], 2, "127"),
    case("edge-init-memory-10241", ["init", "newfn", "--memory", "10241", "--no-input"], 2, "10241"),
    case("edge-init-timeout-0", ["init", "newfn", "--timeout", "0", "--no-input"], 2, "timeout"),
    case("edge-init-timeout-901", ["init", "newfn", "--timeout", "901", "--no-input"], 2, "901"),
    case("edge-sandbox-port-65536", ["sandbox", "start", "--port", "65536"], 2, "--port"),
    # cron fields: minute 0-59, hour 0-23, day-of-month 1-31, month 1-12, day-of-week 1-7, year 1970-2199
    case("edge-cron-dom-0", ["trigger", "add", "fixed", "schedule", "-e", "cron(0 12 0 * ? *)"], 2, "field 3"),
    case("edge-cron-month-0", ["trigger", "add", "fixed", "schedule", "-e", "cron(0 12 ? 0 MON *)"], 2, "field 4"),
    case("edge-cron-dow-0", ["trigger", "add", "fixed", "schedule", "-e", "cron(0 12 ? * 0 *)"], 2, "field 5"),
    case("edge-cron-dow-8", ["trigger", "add", "fixed", "schedule", "-e", "cron(0 12 ? * 8 *)"], 2, "field 5"),
    case("edge-cron-year-1969", ["trigger", "add", "fixed", "schedule", "-e", "cron(0 12 ? * MON 1969)"], 2,
         "field 6"),
    case("edge-cron-year-2200", ["trigger", "add", "fixed", "schedule", "-e", "cron(0 12 ? * MON 2200)"], 2,
         "field 6"),
]

# The same ranges as project-file keys, through `deploy`.
RANGE_TOML = [
    ("memory-127", {"lambdactl.toml": BASE_TOML.replace("memory = 128", "memory = 127").encode()},
     "function.memory"),
    ("memory-10241", {"lambdactl.toml": BASE_TOML.replace("memory = 128", "memory = 10241").encode()},
     "function.memory"),
    ("storage-511", toml("ephemeral_storage = 511"), "function.ephemeral_storage"),
    ("storage-10241", toml("ephemeral_storage = 10241"), "function.ephemeral_storage"),
    ("description-257", toml(f'description = "{"d" * 257}"'), "function.description"),
    ("environment-4097", toml(tail=f'[function.environment]\nBIG = "{BIG_ALONE}"\n'), "function.environment"),
    ("vpc-17-subnets", toml(tail="[function.vpc]\nsubnets = " + json.dumps(SUBNETS) + f'\nsecurity_groups = ["{SGS[0]}"]\n'),
     "function.vpc.subnets"),
    ("vpc-6-security-groups", toml(tail=f'[function.vpc]\nsubnets = ["{SUBNETS[0]}"]\nsecurity_groups = '
                                   + json.dumps(SGS) + "\n"), "function.vpc.security_groups"),
    ("async-retries-negative", toml(tail="[function.async]\nmax_retries = -1\n"), "function.async.max_retries"),
    ("async-retries-3", toml(tail="[function.async]\nmax_retries = 3\n"), "function.async.max_retries"),
    ("async-age-59", toml(tail="[function.async]\nmax_event_age = 59\n"), "function.async.max_event_age"),
    ("async-age-21601", toml(tail="[function.async]\nmax_event_age = 21601\n"), "function.async.max_event_age"),
    ("reserved-100001", toml(tail="[concurrency]\nreserved = 100001\n"), "concurrency.reserved"),
    ("provisioned-100001", toml(tail='[[concurrency.provisioned]]\nalias = "live"\ncount = 100001\n'),
     "concurrency.provisioned[0].count"),
    ("sqs-batch-10001", toml_trigger(f'type = "sqs"\nsource = "{Q_ARN}"\nbatch_size = 10001\nwindow = 1'),
     "triggers[0].batch_size"),
    ("sqs-window-negative", toml_trigger(f'type = "sqs"\nsource = "{Q_ARN}"\nwindow = -1'), "triggers[0].window"),
    ("sqs-window-301", toml_trigger(f'type = "sqs"\nsource = "{Q_ARN}"\nwindow = 301'), "triggers[0].window"),
    ("kinesis-batch-0", toml_trigger(f'type = "kinesis"\nsource = "arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/clicks"'
                                     "\nbatch_size = 0"), "triggers[0].batch_size"),
    ("kinesis-batch-10001", toml_trigger(f'type = "kinesis"\nsource = "arn:aws:kinesis:{REGION}:{ACCOUNT}:'
                                         'stream/clicks"\nbatch_size = 10001'), "triggers[0].batch_size"),
    ("url-cors-max-age-86401", toml_trigger('type = "url"\ncors = {max_age = 86401}'), "triggers[0]"),
    ("url-cors-max-age-negative", toml_trigger('type = "url"\ncors = {max_age = -1}'), "triggers[0]"),
    ("schedule-year-2200", toml_trigger('type = "schedule"\nexpression = "cron(0 12 ? * MON 2200)"'),
     "triggers[0].expression"),
    # [[aliases]] routing: a weight more than 0 and less than 1 (0 and 1 are no canary)
    ("alias-routing-weight-0", toml(tail='[[aliases]]\nname = "live"\nversion = 1\nrouting = { "2" = 0 }\n'),
     "aliases[0].routing.2: 0 is out of range"),
    ("alias-routing-weight-1", toml(tail='[[aliases]]\nname = "live"\nversion = 1\nrouting = { "2" = 1.0 }\n'),
     "aliases[0].routing.2: 1.0 is out of range"),
    ("alias-routing-weight-tiny", toml(tail='[[aliases]]\nname = "live"\nversion = 1\n'
                                            'routing = { "2" = 0.0000001 }\n'), "aliases[0].routing.2"),
]
CASES += RANGE_CASES
CASES += [case(f"edge-toml-{id}", ["deploy"], 2, needle, files=files) for id, files, needle in RANGE_TOML]


# --- the world and its snapshot -----------------------------------------------------------------
#
# The world is arranged once per module (a moto reset plus ~15 calls per case would make this suite
# several minutes long), then verified before every case: the before-state is the snapshot taken
# right after arranging, and it is re-arranged whenever a case failed (its world may be dirty) or
# the server was reset in between (other modules' tests share the server, e.g. under xdist).

class World:
    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.token = ""
        self.snapshot: dict | None = None
        self.dirty = True
        self._clients: dict = {}

    def boto(self, service: str):
        import boto3

        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=REGION, endpoint_url=self.endpoint)
        return self._clients[service]

    def intact(self) -> bool:
        if self.dirty or not self.token:
            return False
        try:
            cfg = self.boto("lambda").get_function_configuration(FunctionName="fixed")
        except Exception:
            return False
        return cfg.get("Description") == f"the fixed one {self.token}"

    def arrange(self) -> None:
        reset_moto(self.endpoint)
        self.token = uuid.uuid4().hex[:12]
        iam, lam, s3, sqs, events, logs, sns = (self.boto(s) for s in
                                                ("iam", "lambda", "s3", "sqs", "events", "logs", "sns"))
        role = iam.create_role(RoleName="test-lambda-role",
                               AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
        lam.create_function(FunctionName="fixed", Runtime="python3.12", Role=role, Handler="app.handler",
                            Code={"ZipFile": BASE_FILES["good.zip"]}, Description=f"the fixed one {self.token}",
                            Environment={"Variables": {"STAGE": "prod"}})
        lam.publish_version(FunctionName="fixed")
        lam.create_alias(FunctionName="fixed", Name="live", FunctionVersion="1")
        lam.add_permission(FunctionName="fixed", StatementId="keep-me", Action="lambda:InvokeFunction",
                           Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::bkt")
        sqs.create_queue(QueueName="q")
        s3.create_bucket(Bucket="bkt")
        s3.put_bucket_notification_configuration(Bucket="bkt", NotificationConfiguration={
            "QueueConfigurations": [{"Id": "queue-in", "QueueArn": Q_ARN, "Events": ["s3:ObjectCreated:*"],
                                     "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}}]})
        events.put_rule(Name="existing-rule", ScheduleExpression="rate(1 hour)")
        logs.create_log_group(logGroupName="/aws/lambda/fixed")
        logs.put_retention_policy(logGroupName="/aws/lambda/fixed", retentionInDays=7)
        sns.create_topic(Name="alerts")
        self.snapshot = aws_state(self.boto)
        self.dirty = False


@pytest.fixture(scope="module")
def _world(moto_endpoint):
    return World(moto_endpoint)


@pytest.fixture(scope="module")
def _app_command():
    """typer's CliRunner rebuilds the whole click command tree on every invoke (~90 ms); build it once."""
    import typer.main

    from lambdactl.cli.app import app

    return typer.main.get_command(app)


@pytest.fixture(autouse=True)
def aws_env(moto_endpoint, monkeypatch, tmp_path):
    """Like conftest's aws_env (fake credentials, endpoint, settings reset), minus the per-test moto
    reset: this module's world is arranged once and verified per case (see World)."""
    yield from fake_aws_env(monkeypatch, tmp_path, moto_endpoint, reset_server=False)


@pytest.fixture
def world(_world, _app_command, project_dir, monkeypatch):
    import typer.testing

    monkeypatch.setattr(typer.testing, "_get_command", lambda app: _app_command)
    if not _world.intact():
        _world.arrange()
    for name, data in BASE_FILES.items():
        p = project_dir / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    _world.dirty = True          # until the case has proven it changed nothing
    yield _world


def _strip(doc):
    if isinstance(doc, dict):
        doc = dict(doc)
        doc.pop("ResponseMetadata", None)
    return doc


def _maybe(fn, **kw):
    try:
        return _strip(fn(**kw))
    except Exception as exc:  # absence is part of the state
        return f"<{type(exc).__name__}>"


STATE_READERS = {
    "functions": lambda b: _strip(b("lambda").list_functions()),
    "versions": lambda b: _maybe(b("lambda").list_versions_by_function, FunctionName="fixed"),
    "aliases": lambda b: _maybe(b("lambda").list_aliases, FunctionName="fixed"),
    "policy": lambda b: _maybe(b("lambda").get_policy, FunctionName="fixed"),
    "concurrency": lambda b: _maybe(b("lambda").get_function_concurrency, FunctionName="fixed"),
    "provisioned": lambda b: _maybe(b("lambda").list_provisioned_concurrency_configs, FunctionName="fixed"),
    "async": lambda b: _maybe(b("lambda").get_function_event_invoke_config, FunctionName="fixed"),
    "url": lambda b: _maybe(b("lambda").get_function_url_config, FunctionName="fixed"),
    "mappings": lambda b: _strip(b("lambda").list_event_source_mappings()),
    "layers": lambda b: _strip(b("lambda").list_layers()),
    "buckets": lambda b: [x["Name"] for x in b("s3").list_buckets()["Buckets"]],
    "notifications": lambda b: _strip(b("s3").get_bucket_notification_configuration(Bucket="bkt")),
    "rules": lambda b: _strip(b("events").list_rules()),
    "queues": lambda b: _strip(b("sqs").list_queues()),
    "subscriptions": lambda b: _strip(b("sns").list_subscriptions()),
    "log_groups": lambda b: [(g["logGroupName"], g.get("retentionInDays"))
                             for g in b("logs").describe_log_groups()["logGroups"]],
    "roles": lambda b: sorted(r["RoleName"] for r in b("iam").list_roles()["Roles"]),
}
ALL = tuple(STATE_READERS)
# What each command group could change, read back after every case of that group (the function,
# its versions, aliases and policy always). A full read costs ~16 calls; reading only the relevant
# part keeps the suite under a minute. Unknown/root commands, deploy, diff and init read everything;
# the CALLS check is global in every case.
_CORE = ("functions", "versions", "aliases", "policy")
_WIRING = ("mappings", "notifications", "rules", "subscriptions", "url", "queues", "buckets")
RELEVANT = {
    "ls": _CORE, "info": _CORE, "delete": _CORE, "package": _CORE + ("layers", "buckets"), "publish": _CORE,
    "versions": _CORE, "export": _CORE, "sandbox": _CORE,
    "create": _CORE + ("roles", "layers", "buckets", "log_groups"),
    "update": _CORE + ("buckets",), "config": _CORE + ("layers",), "invoke": _CORE + ("log_groups", "queues"),
    "alias": _CORE + ("provisioned",), "trigger": _CORE + _WIRING, "permission": _CORE + ("url",),
    "concurrency": _CORE + ("concurrency", "provisioned"), "logs": _CORE + ("log_groups",),
    "stats": _CORE + ("log_groups",), "async": _CORE + ("async",), "dlq": _CORE,
    "layer": _CORE + ("layers", "buckets"),
}


def aws_state(boto, keys=ALL) -> dict:
    return {k: STATE_READERS[k](boto) for k in keys}


def files_state(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<dir>")
            for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("args, code, needle, files, stdin, hint, attempt", CASES)
def test_bad_input(world, invoke_cli, project_dir, args, code, needle, files, stdin, hint, attempt):
    for name, data in files.items():
        (project_dir / name).write_bytes(data)
    before_aws, before_files = world.snapshot, files_state(project_dir)
    CALLS.clear()

    r = invoke_cli(*args, input=stdin)

    mutating = [f"{c.service}.{c.operation}" for c in CALLS.calls if c.mutating
                and not (c.operation == attempt and (c.status or 0) >= 400)]
    detail = f"\nexit={r.exit_code}\nstdout={r.stdout!r}\nstderr={r.stderr!r}\nexc={r.exception!r}"
    assert r.exception is None, detail
    assert "Traceback" not in r.stderr, detail
    assert r.exit_code == code, detail
    assert r.stdout == "", detail
    error_lines = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, detail
    if needle:
        assert needle.lower() in error_lines[0].lower(), detail
    hints = sum(1 for line in r.stderr.splitlines() if line.startswith("hint:"))
    assert hints == 1 if hint else hints <= 1, detail
    assert not mutating, f"mutating AWS calls: {mutating}{detail}"
    keys = RELEVANT.get(args[0], ALL)
    assert aws_state(world.boto, keys) == {k: before_aws[k] for k in keys}, detail
    assert files_state(project_dir) == before_files, detail
    world.dirty = False


@pytest.mark.parametrize("args, changed", [
    (["config", "fixed", "--memory", "256"], "functions"),
    (["trigger", "add", "fixed", "s3", "--bucket", "bkt", "--prefix", "other/"], "notifications"),
], ids=["config", "trigger-s3"])
def test_the_checks_see_a_real_change(world, invoke_cli, args, changed):
    """Control: the same checks, on a valid command, do see the change (they are not blind)."""
    CALLS.clear()
    r = invoke_cli(*args)
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert [c for c in CALLS.calls if c.mutating]
    keys = RELEVANT[args[0]]
    after = aws_state(world.boto, keys)
    assert after[changed] != world.snapshot[changed]
    # world.dirty stays True: the next case re-arranges the world


def test_there_are_enough_cases_across_every_group():
    groups = {c.values[0][0] for c in CASES}
    assert len({c.id for c in CASES}) == len(CASES)
    assert len(CASES) >= 150
    assert groups >= {"ls", "info", "delete", "package", "deploy", "diff", "create", "update", "config",
                      "invoke", "publish", "versions", "alias", "trigger", "permission", "concurrency",
                      "logs", "stats", "init", "sandbox", "async", "dlq", "layer", "export"}


# --- both edges of every range: the edge itself is accepted --------------------------------------

def _publish_layers(boto) -> None:
    for i in range(1, 6):
        boto("lambda").publish_layer_version(LayerName=f"l{i}", Content={"ZipFile": BASE_FILES["good.zip"]})


def _version_2(boto) -> None:
    lam = boto("lambda")
    lam.update_function_code(FunctionName="fixed", ZipFile=make_zip_bytes({"app.py": SAMPLE_HANDLER + "# v2\n"}))
    lam.get_waiter("function_updated_v2").wait(FunctionName="fixed")
    lam.publish_version(FunctionName="fixed")


def _stream(boto) -> None:
    boto("kinesis").create_stream(StreamName="clicks", ShardCount=1)


def _table(boto) -> None:
    boto("dynamodb").create_table(TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                  AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                  BillingMode="PAY_PER_REQUEST",
                                  StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})


def _fifo(boto) -> None:
    boto("sqs").create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true"})


def _cfg(boto, name: str = "fixed") -> dict:
    return boto("lambda").get_function_configuration(FunctionName=name)


def _ok(r) -> None:
    assert r.exit_code == 0, (r.stdout, r.stderr)


def _function(**want):
    def check(boto, r):
        _ok(r)
        cfg = _cfg(boto, want.pop("name", "fixed"))
        got = {"memory": cfg["MemorySize"], "timeout": cfg["Timeout"],
               "storage": (cfg.get("EphemeralStorage") or {}).get("Size", 512),
               "layers": len(cfg.get("Layers") or []), "description": len(cfg.get("Description") or ""),
               "env": sum(len(k) + len(v) for k, v in ((cfg.get("Environment") or {}).get("Variables") or {}).items()),
               "subnets": len((cfg.get("VpcConfig") or {}).get("SubnetIds") or []),
               "groups": len((cfg.get("VpcConfig") or {}).get("SecurityGroupIds") or [])}
        assert {k: got[k] for k in want} == want, got
    return check


def _async(retries: int, age: int):
    def check(boto, r):
        _ok(r)
        got = boto("lambda").get_function_event_invoke_config(FunctionName="fixed")
        assert (got["MaximumRetryAttempts"], got["MaximumEventAgeInSeconds"]) == (retries, age)
    return check


def _mapping(source_kind: str, batch: int, window: int = 0):
    def check(boto, r):
        _ok(r)
        maps = [m for m in boto("lambda").list_event_source_mappings(FunctionName="fixed")["EventSourceMappings"]
                if f":{source_kind}:" in m["EventSourceArn"]]
        assert [(m["BatchSize"], m.get("MaximumBatchingWindowInSeconds") or 0) for m in maps] == [(batch, window)]
    return check


def _url_max_age(age: int):
    def check(boto, r):
        _ok(r)
        assert boto("lambda").get_function_url_config(FunctionName="fixed")["Cors"]["MaxAge"] == age
    return check


def _weight(version: str, weight: float):
    def check(boto, r):
        _ok(r)
        alias = boto("lambda").get_alias(FunctionName="fixed", Name="live")
        assert (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights", {}).get(version, 0.0) == weight
    return check


def _retention(days):
    def check(boto, r):
        _ok(r)
        group = boto("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/fixed")["logGroups"][0]
        assert group.get("retentionInDays") == days
    return check


def _rule(expression: str):
    def check(boto, r):
        _ok(r)
        assert expression in [x.get("ScheduleExpression") for x in boto("events").list_rules()["Rules"]]
    return check


def _plan(**want):
    """deploy --dry-run -o json: the plan holds these after-values, and nothing was changed."""
    def check(boto, r):
        _ok(r)
        got = {c["field"]: c["after"] for s in r.json()["steps"] for c in s["changes"]}
        assert {k: got.get(k) for k in want} == want, got
        assert not [c for c in CALLS.calls if c.mutating]
    return check


def _init(memory: int, timeout: int):
    def check(boto, r):
        _ok(r)
        from lambdactl import config
        f = config.load(Path("newfn") / "lambdactl.toml").function
        assert (f.memory, f.timeout) == (memory, timeout)
    return check


def _exit0(boto, r):
    _ok(r)


def edge(id: str, args: list[str], check, *, files: dict[str, bytes] | None = None, setup=None):
    return pytest.param(args, check, files or {}, setup, id=id)


BIG_OK_MERGED = "x" * (4096 - 9 - len("BIG"))      # with the function's STAGE=prod: exactly 4096 bytes
BIG_OK_ALONE = "x" * (4096 - len("BIG"))
LAYERS_OK = ",".join(LAYERS5[:5])
DRY = ["deploy", "--dry-run", "-o", "json"]
VALID_EDGES = [
    # [function] flags
    edge("config-low", ["config", "fixed", "--memory", "128", "--timeout", "1", "--ephemeral-storage", "512"],
         _function(memory=128, timeout=1, storage=512)),
    edge("config-high", ["config", "fixed", "--memory", "10240", "--timeout", "900", "--ephemeral-storage", "10240"],
         _function(memory=10240, timeout=900, storage=10240)),
    edge("create-low", NEW + ["--memory", "128", "--timeout", "1", "--ephemeral-storage", "512"],
         _function(name="newfn", memory=128, timeout=1, storage=512)),
    edge("create-high", NEW + ["--memory", "10240", "--timeout", "900", "--ephemeral-storage", "10240", "--layers",
                               LAYERS_OK, "--description", "d" * 256, "--env", f"BIG={BIG_OK_ALONE}"],
         _function(name="newfn", memory=10240, timeout=900, storage=10240, layers=5, description=256, env=4096),
         setup=_publish_layers),
    edge("config-5-layers-256-description", ["config", "fixed", "--layers", LAYERS_OK, "--description", "d" * 256],
         _function(layers=5, description=256), setup=_publish_layers),
    edge("config-env-4096-merged", ["config", "fixed", "--env", f"BIG={BIG_OK_MERGED}"], _function(env=4096)),
    edge("config-16-subnets-5-groups", ["config", "fixed", "--vpc-subnets", ",".join(SUBNETS[:16]),
                                        "--vpc-security-groups", ",".join(SGS[:5])], _function(subnets=16, groups=5)),
    edge("publish-description-256", ["publish", "fixed", "--description", "d" * 256], _exit0),
    edge("alias-description-170", ["alias", "set", "fixed", "live", "--version", "1", "--description", "d" * 170],
         _exit0),
    # async
    edge("async-low", ["async", "fixed", "--max-retries", "0", "--max-event-age", "60"], _async(0, 60)),
    edge("async-high", ["async", "fixed", "--max-retries", "2", "--max-event-age", "21600"], _async(2, 21600)),
    # concurrency: 0 throttles everything (asks first); 100000 passes the range check and meets the account's
    edge("reserved-0", ["concurrency", "set", "fixed", "--reserved", "0", "--yes"],
         lambda boto, r: (_ok(r), boto("lambda").get_function_concurrency(FunctionName="fixed")[
             "ReservedConcurrentExecutions"] == 0 or pytest.fail("not 0"))),
    edge("reserved-100000", ["concurrency", "set", "fixed", "--reserved", "100000"],
         lambda boto, r: (r.exit_code == 2 and "cannot reserve 100000" in r.stderr and "out of range" not in r.stderr)
         or pytest.fail(r.stderr)),
    # event sources
    edge("sqs-batch-10-without-window", SQS + ["--batch-size", "10"], _mapping("sqs", 10)),
    edge("sqs-batch-1-window-0", SQS + ["--batch-size", "1", "--window", "0"], _mapping("sqs", 1)),
    edge("sqs-batch-10000-window-300", SQS + ["--batch-size", "10000", "--window", "300"], _mapping("sqs", 10000, 300)),
    edge("sqs-fifo-batch-10", ["trigger", "add", "fixed", "sqs", "--queue", "q.fifo", "--batch-size", "10"],
         _mapping("sqs", 10), setup=_fifo),
    edge("kinesis-batch-1", ["trigger", "add", "fixed", "kinesis", "--stream", "clicks", "--batch-size", "1"],
         _mapping("kinesis", 1), setup=_stream),
    edge("kinesis-batch-10000-window-300", ["trigger", "add", "fixed", "kinesis", "--stream", "clicks",
                                            "--batch-size", "10000", "--window", "300"],
         _mapping("kinesis", 10000, 300), setup=_stream),
    edge("dynamodb-batch-1", ["trigger", "add", "fixed", "dynamodb", "--table", "orders", "--batch-size", "1"],
         _mapping("dynamodb", 1), setup=_table),
    edge("dynamodb-batch-10000", ["trigger", "add", "fixed", "dynamodb", "--table", "orders", "--batch-size",
                                  "10000"], _mapping("dynamodb", 10000), setup=_table),
    edge("url-cors-max-age-0", ["trigger", "add", "fixed", "url", "--cors", "--cors-max-age", "0"], _url_max_age(0)),
    edge("url-cors-max-age-86400", ["trigger", "add", "fixed", "url", "--cors", "--cors-max-age", "86400"],
         _url_max_age(86400)),
    # percentages
    edge("weight-0", ["alias", "set", "fixed", "live", "--version", "1", "--weight", "2=0"], _weight("2", 0.0),
         setup=_version_2),
    edge("weight-100", ["alias", "set", "fixed", "live", "--version", "1", "--weight", "2=100"], _weight("2", 1.0),
         setup=_version_2),
    edge("shift-percent-0", SHIFT + ["--percent", "0"], _exit0, setup=_version_2),
    edge("shift-percent-100", SHIFT + ["--percent", "100"],
         lambda boto, r: (_ok(r), boto("lambda").get_alias(FunctionName="fixed", Name="live")["FunctionVersion"] == "2"
                          or pytest.fail("not promoted")), setup=_version_2),
    edge("error-rate-0-and-100", SHIFT + ["--percent", "10", "--interval", "0.1s", "--check-errors",
                                          "--max-error-rate", "100"], _weight("2", 0.1), setup=_version_2),
    edge("canary-100", ["deploy", "--dry-run", "--publish", "--alias", "live", "--canary", "100"], _exit0,
         files=toml()),
    # logs
    edge("retention-1", ["logs", "retention", "fixed", "--days", "1"], _retention(1)),
    edge("retention-3653", ["logs", "retention", "fixed", "--days", "3653"], _retention(3653)),
    edge("retention-0-never", ["logs", "retention", "fixed", "--days", "0"], _retention(None)),
    edge("logs-limit-1-poll-0.05", ["logs", "fixed", "-n", "1", "--poll-interval", "0.05"], _exit0),
    edge("logs-poll-60", ["logs", "fixed", "--poll-interval", "60"], _exit0),
    # invoke
    edge("repeat-1000", ["invoke", "fixed", "{}", "--repeat", "1000", "-o", "json"],
         lambda boto, r: (_ok(r), len(r.json()) == 1000 or pytest.fail(str(len(r.json()))))),
    edge("batch-concurrency-1", ["invoke", "fixed", "--batch", "list.json", "--concurrency", "1"], _exit0,
         files={"list.json": b'{"n": 1}\n{"n": 2}\n'}),
    edge("batch-concurrency-256", ["invoke", "fixed", "--batch", "list.json", "--concurrency", "256"], _exit0,
         files={"list.json": b'{"n": 1}\n{"n": 2}\n'}),
    # versions, package, init
    edge("prune-keep-0", ["versions", "prune", "fixed", "--keep", "0", "--dry-run"], _exit0),
    edge("package-jobs-1", ["package", "--source", "code", "--handler", "app.handler", "--jobs", "1"], _exit0),
    edge("init-low", ["init", "newfn", "--memory", "128", "--timeout", "1", "--no-input"], _init(128, 1)),
    edge("init-high", ["init", "newfn", "--memory", "10240", "--timeout", "900", "--no-input"], _init(10240, 900)),
    # cron fields at both ends, and the smallest rate
    edge("cron-low", ["trigger", "add", "fixed", "schedule", "-e", "cron(0 0 1 1 ? 1970)"], _rule("cron(0 0 1 1 ? 1970)")),
    edge("cron-high", ["trigger", "add", "fixed", "schedule", "-e", "cron(59 23 31 12 ? 2199)"],
         _rule("cron(59 23 31 12 ? 2199)")),
    edge("cron-day-of-week", ["trigger", "add", "fixed", "schedule", "-e", "cron(0 0 ? * 1-7 *)"],
         _rule("cron(0 0 ? * 1-7 *)")),
    edge("rate-1-minute", ["trigger", "add", "fixed", "schedule", "-e", "rate(1 minute)"], _rule("rate(1 minute)")),
    # the same ranges as project-file keys (deploy --dry-run: the plan, nothing changed)
    edge("toml-low", DRY, _plan(timeout=1, memory=None, ephemeral_storage=None),   # 128 and 512: no change
         files={"lambdactl.toml": (BASE_TOML.replace("timeout = 3", "timeout = 1")
                                   + "ephemeral_storage = 512\n").encode()}),
    edge("toml-high", DRY, _plan(memory=10240, timeout=900, ephemeral_storage=10240, description="d" * 256),
         files={"lambdactl.toml": (BASE_TOML.replace("memory = 128", "memory = 10240").replace("timeout = 3", "timeout = 900")
                                   + f'ephemeral_storage = 10240\ndescription = "{"d" * 256}"\n'
                                   + f'[function.environment]\nBIG = "{BIG_OK_ALONE}"\n').encode()}),
    edge("toml-5-layers", DRY, _plan(layers=LAYERS5[:5]), files=toml("layers = " + json.dumps(LAYERS5[:5])),
         setup=_publish_layers),
    edge("toml-vpc-16-5", DRY, _plan(vpc={"subnets": sorted(SUBNETS[:16]), "security_groups": sorted(SGS[:5])}),
         files=toml(tail="[function.vpc]\nsubnets = " + json.dumps(SUBNETS[:16]) + "\nsecurity_groups = "
                    + json.dumps(SGS[:5]) + "\n")),
    edge("toml-async-low", DRY, _plan(**{"async.max_retries": 0, "async.max_event_age": 60}),
         files=toml(tail="[function.async]\nmax_retries = 0\nmax_event_age = 60\n")),
    edge("toml-async-high", DRY, _plan(**{"async.max_retries": 2, "async.max_event_age": 21600}),
         files=toml(tail="[function.async]\nmax_retries = 2\nmax_event_age = 21600\n")),
    edge("toml-concurrency-low", DRY, _plan(reserved_concurrency=0, **{"provisioned_concurrency.live": 1}),
         files=toml(tail='[concurrency]\nreserved = 0\n[[concurrency.provisioned]]\nalias = "live"\ncount = 1\n')),
    edge("toml-concurrency-high", DRY, _plan(reserved_concurrency=100000, **{"provisioned_concurrency.live": 100000}),
         files=toml(tail='[concurrency]\nreserved = 100000\n[[concurrency.provisioned]]\nalias = "live"\ncount = 100000\n')),
    edge("toml-sqs-low", DRY, _exit0, files=toml_trigger(f'type = "sqs"\nsource = "{Q_ARN}"\nbatch_size = 1\nwindow = 0')),
    edge("toml-sqs-high", DRY, _exit0,
         files=toml_trigger(f'type = "sqs"\nsource = "{Q_ARN}"\nbatch_size = 10000\nwindow = 300')),
    edge("toml-url-cors-0", DRY, _exit0, files=toml_trigger('type = "url"\ncors = {max_age = 0}')),
    edge("toml-url-cors-86400", DRY, _exit0, files=toml_trigger('type = "url"\ncors = {max_age = 86400}')),
    edge("toml-schedule-cron-high", DRY, _exit0,
         files=toml_trigger('type = "schedule"\nexpression = "cron(59 23 31 12 ? 2199)"')),
    edge("toml-alias-routing-low", DRY, _plan(routing="1 (99.9999%) + 2 (0.0001%)"), setup=_version_2,
         files=toml(tail='[[aliases]]\nname = "live"\nversion = 1\nrouting = { "2" = 0.000001 }\n')),
    edge("toml-alias-routing-high", DRY, _plan(routing="1 (0.0001%) + 2 (99.9999%)"), setup=_version_2,
         files=toml(tail='[[aliases]]\nname = "live"\nversion = 1\nrouting = { "2" = 0.999999 }\n')),
]


@pytest.mark.parametrize("args, check, files, setup", VALID_EDGES)
def test_valid_edges_are_accepted(world, invoke_cli, project_dir, args, check, files, setup):
    """The edge of each range is accepted, for the flag and the project-file key; the check reads
    the result back from AWS (or, for deploy --dry-run, from the plan: then nothing may change)."""
    for name, data in files.items():
        (project_dir / name).write_bytes(data)
    if files.get("lambdactl.toml") is not None:
        (project_dir / "src").mkdir(exist_ok=True)
        (project_dir / "src" / "app.py").write_text(SAMPLE_HANDLER)
    if setup is not None:
        setup(world.boto)
    CALLS.clear()
    r = invoke_cli(*args)
    assert r.exception is None and "Traceback" not in r.stderr, (r.exception, r.stderr)
    assert "out of range" not in r.stderr, r.stderr
    check(world.boto, r)
    # world.dirty stays True: the next case re-arranges the world
