"""Property-based tests (hypothesis) for the parsers that take user input: any input either parses or
produces a clean, one-line lambdactl error (exit 2) — never another exception.

- the project-file validator: arbitrary text through ``config.loads``, and generated documents of
  the right and wrong shapes through ``config.validate``; ``config.dumps`` round-trips;
- the payload parser: ``parse_json``, ``load_payload`` (inline, file, stdin, ``--set``),
  ``apply_sets``; any JSON value dumped and parsed is the same value;
- the schedule expression validator; function references and qualifiers;
- the secret-masking rules (lambdactl.secrets): secret words in any name, URL passwords, idempotence.

No AWS involved. Modest settings keep the file well under 20 s.
"""
from __future__ import annotations

import io
import json
import string
import tomllib

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from lambdactl import config, secrets
from lambdactl.core.run import batch, payload
from lambdactl.core.model import naming, runtimes, schedule
from lambdactl.errors import ConfigError, UsageError

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.function_scoped_fixture])
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.function_scoped_fixture])


def one_line(err: UsageError) -> None:
    """A clean error: a one-line message (and hint) — what `error:`/`hint:` print in full."""
    assert err.message and len(err.message.splitlines()) == 1, repr(err.message)
    assert err.hint is None or len(err.hint.splitlines()) == 1, repr(err.hint)
    assert err.exit_code == 2


# --- generic TOML values ------------------------------------------------------------------------

toml_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2 ** 63), max_value=2 ** 63 - 1),
    st.integers(),                                   # huge ints (not TOML, but validate() may see them)
    st.floats(),                                     # incl. nan, inf
    st.text(max_size=20),
    st.datetimes(), st.dates(), st.times(),
)
keys = st.text(max_size=12)
toml_values = st.recursive(
    toml_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=12,
)


# --- project documents of the right (and nearly right) shape ------------------------------------

ACCOUNT = "123456789012"
LAYER = f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:libs:3"


def near(lo: int, hi: int):
    """Integers around a range's borders, plus anything."""
    return st.one_of(st.sampled_from([lo - 1, lo, lo + 1, hi - 1, hi, hi + 1, 0, -1]),
                     st.integers(min_value=lo, max_value=hi), st.integers())


maybe_wrong = st.one_of(toml_scalars, st.lists(toml_scalars, max_size=3),
                        st.dictionaries(keys, toml_scalars, max_size=3))


def plausible(*good):
    """Mostly a plausible value, sometimes any value at all."""
    return st.one_of(*good, maybe_wrong)


FUNCTION_FIELDS = {
    "name": plausible(st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z"), st.text(max_size=70)),
    "runtime": plausible(st.sampled_from(list(runtimes.BY_NAME) + ["python2.7", "cobol", ""])),
    "handler": plausible(st.sampled_from(["app.handler", "pkg/mod.fn", "nodot", "a.b.c", "", "1.x"])),
    "source": plausible(st.sampled_from(["src", ".", "../x"])),
    "requirements": plausible(st.sampled_from(["requirements.txt", ""])),
    "architecture": plausible(st.sampled_from(["x86_64", "arm64", "sparc"])),
    "memory": plausible(near(128, 10240)),
    "timeout": plausible(near(1, 900)),
    "ephemeral_storage": plausible(near(512, 10240)),
    "role": plausible(st.sampled_from(["", f"arn:aws:iam::{ACCOUNT}:role/r", "role", "arn:aws:iam::1:role/x"])),
    "description": plausible(st.text(max_size=300)),
    "layers": plausible(st.lists(st.sampled_from([LAYER, "arn:aws:s3:::b", "x"]), max_size=7)),
    "exclude": plausible(st.lists(st.text(max_size=8), max_size=3)),
    "environment": plausible(st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=8), st.integers(),
                                                                             st.floats(), st.booleans()),
                                             max_size=3)),
    "tags": plausible(st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3)),
    "tracing": plausible(st.sampled_from(["Active", "PassThrough", "On"])),
    "kms_key": plausible(st.sampled_from(["", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/abc", "key"])),
    "package_type": plausible(st.sampled_from(["Zip", "Image", "Jar"])),
    "image_uri": plausible(st.sampled_from([f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/repo:tag", "nginx"])),
    "vpc": plausible(st.fixed_dictionaries({}, optional={
        "subnets": plausible(st.lists(st.sampled_from(["subnet-0a1b2c3d", "nope"]), max_size=3)),
        "security_groups": plausible(st.lists(st.sampled_from(["sg-0a1b2c3d", "nope"]), max_size=3)),
        "ipv6": plausible(st.booleans()), "zones": maybe_wrong})),
    "async": plausible(st.fixed_dictionaries({}, optional={
        "max_retries": plausible(near(0, 2)), "max_event_age": plausible(near(60, 21600)),
        "on_success": plausible(st.sampled_from([f"arn:aws:sqs:us-east-1:{ACCOUNT}:q", "arn:aws:s3:::b", "q"])),
        "on_failure": plausible(st.sampled_from([f"arn:aws:sns:us-east-1:{ACCOUNT}:t", "x"]))})),
    "dead_letter": plausible(st.sampled_from([f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq",
                                              f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f", "dlq"])),
    "s3_bucket": plausible(st.text(max_size=10)),
    "unknown_key": maybe_wrong,
}

TRIGGER_FIELDS = {
    "bucket": st.text(max_size=10), "events": st.one_of(st.text(max_size=15), st.lists(
        st.sampled_from(["s3:ObjectCreated:*", "ObjectCreated", "s3:x"]), max_size=3)),
    "prefix": st.text(max_size=5), "suffix": st.text(max_size=5),
    "expression": st.sampled_from(["rate(5 minutes)", "rate(1 minutes)", "cron(0 12 * * ? *)",
                                   "cron(0 12 * * * *)", "every day", ""]),
    "input": st.one_of(st.text(max_size=10), st.dictionaries(keys, toml_scalars, max_size=2)),
    "name": st.text(max_size=10), "enabled": st.booleans(),
    "pattern": st.one_of(st.sampled_from(['{"source": ["aws.ec2"]}', "{bad", "{}", "[]", '"x"']),
                         st.dictionaries(keys, toml_values, max_size=2)),
    "bus": st.text(max_size=8),
    "source": st.sampled_from([f"arn:aws:sqs:us-east-1:{ACCOUNT}:q", "q", ""]),
    "queue": st.text(max_size=8), "stream": st.text(max_size=8), "table": st.text(max_size=8),
    "batch_size": near(1, 10000), "window": near(0, 300),
    "starting_position": st.sampled_from(["LATEST", "TRIM_HORIZON", "AT_TIMESTAMP", "MIDDLE"]),
    "report_batch_item_failures": st.booleans(),
    "starting_timestamp": st.one_of(st.datetimes(), st.sampled_from(["2026-01-31T12:00:00Z", "yesterday"])),
    "filters": st.one_of(st.lists(st.sampled_from(['{"body": {"a": [1]}}', "{bad", "[]", "@x.json"]), max_size=3),
                         st.lists(st.dictionaries(keys, toml_values, max_size=2), max_size=2)),
    "max_concurrency": near(2, 1000), "bisect_on_error": st.booleans(), "max_retries": near(-1, 10000),
    "max_record_age": st.one_of(near(-1, 604800), st.integers(0, 59)), "parallelization_factor": near(1, 10),
    "tumbling_window": near(0, 900),
    "on_failure": st.sampled_from([f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq", "arn:aws:s3:::bucket", "dlq", ""]),
    "topic": st.text(max_size=8), "auth": st.sampled_from(["NONE", "AWS_IAM", "PUBLIC"]),
    "cors": st.dictionaries(keys, toml_values, max_size=2),
}


@st.composite
def trigger_tables(draw):
    kind = draw(st.sampled_from(config.TRIGGER_TYPES + ("ftp",)) | st.text(max_size=5))
    allowed = sorted(config.TRIGGER_KEYS.get(kind, set()))
    chosen = draw(st.lists(st.sampled_from(allowed), unique=True, max_size=len(allowed))) if allowed else []
    t = {"type": kind} if draw(st.booleans()) or not chosen else {}
    if not t and draw(st.booleans()):
        t = {"type": draw(maybe_wrong)}
    for k in chosen:
        t[k] = draw(plausible(TRIGGER_FIELDS[k]))
    if draw(st.integers(0, 9)) == 0:
        t[draw(keys)] = draw(maybe_wrong)
    return t


@st.composite
def project_documents(draw):
    fn = {"name": "fn", "runtime": "python3.12", "handler": "app.handler"}  # start valid, then perturb
    for k in draw(st.lists(st.sampled_from(sorted(FUNCTION_FIELDS)), unique=True, max_size=6)):
        fn[k] = draw(FUNCTION_FIELDS[k])
    for k in draw(st.lists(st.sampled_from(["name", "runtime", "handler"]), unique=True, max_size=1)):
        if draw(st.booleans()):
            del fn[k]
    doc: dict = {"function": fn if draw(st.integers(0, 19)) else draw(maybe_wrong)}
    if draw(st.booleans()):
        doc["aliases"] = draw(plausible(st.lists(st.fixed_dictionaries(
            {"name": plausible(st.sampled_from(["live", "beta", "123", "bad name", ""]))},
            optional={"version": plausible(st.sampled_from(["published", "3", "latest"]), st.integers()),
                      "description": st.text(max_size=5)}), max_size=3)))
    if draw(st.booleans()):
        doc["triggers"] = draw(plausible(st.lists(trigger_tables(), max_size=3)))
    if draw(st.booleans()):
        doc["concurrency"] = draw(plausible(st.fixed_dictionaries({}, optional={
            "reserved": plausible(near(0, 100000)),
            "provisioned": plausible(st.lists(st.fixed_dictionaries({}, optional={
                "alias": plausible(st.sampled_from(["live", "$LATEST"])), "qualifier": st.text(max_size=5),
                "count": plausible(near(1, 100000))}), max_size=2))})))
    if draw(st.booleans()):
        doc["layers"] = draw(plausible(st.fixed_dictionaries({}, optional={"build": plausible(st.lists(
            st.fixed_dictionaries({}, optional={"name": plausible(st.sampled_from(["libs", "bad name"])),
                                                "requirements": plausible(st.just("req.txt")),
                                                "runtimes": plausible(st.lists(st.text(max_size=5), max_size=2))}),
            max_size=2))})))
    if draw(st.integers(0, 9)) == 0:
        doc[draw(keys)] = draw(maybe_wrong)
    return doc


def _validate_cleanly(doc):
    try:
        return config.validate(doc, file="lambdactl.toml")
    except ConfigError as exc:
        one_line(exc)
        assert exc.message.startswith("lambdactl.toml: "), exc.message   # names the file (and the key)
        return None


@SETTINGS
@given(project_documents())
def test_validator_on_documents_of_the_right_and_wrong_shapes(doc):
    pc = _validate_cleanly(doc)
    if pc is not None:  # what passed is within the documented ranges
        f = pc.function
        assert config.NAME_RE.match(f.name)
        assert 128 <= f.memory <= 10240 and 1 <= f.timeout <= 900 and 512 <= f.ephemeral_storage <= 10240
        assert len(f.layers) <= 5 and f.architecture in runtimes.ARCHITECTURES


@SETTINGS
@given(st.dictionaries(keys | st.sampled_from(["function", "aliases", "triggers", "concurrency", "layers"]),
                       toml_values, max_size=5))
def test_validator_on_arbitrary_documents(doc):
    _validate_cleanly(doc)


toml_lines = st.lists(st.one_of(
    st.sampled_from(["[function]", "[[triggers]]", "[[aliases]]", "[concurrency]", "[function.environment]",
                     "[layers]", "[[layers.build]]", "[function.vpc]", "[function.async]", "[[function]]",
                     'name = "fn"', 'runtime = "python3.12"', 'handler = "app.handler"', "memory = 99999999999999999999",
                     "memory = 256", "timeout = inf", "timeout = nan", 'type = "schedule"', 'expression = "rate(5 minute)"',
                     'type = "sqs"', "batch_size = 0", "reserved = -5", "count = 1.5", "x = 1979-05-27T07:32:00Z",
                     'pattern = "{}"', "layers = [1, 2]", 'A = "b"', "[function", 'name = "unterminated',
                     "= 1", "a.b.c = 1", 'name = """multi\nline"""', '"weird\\nkey" = 1', '"\\u00e9" = "é"']),
    st.text(max_size=30)), max_size=12)


@SETTINGS
@given(st.one_of(toml_lines.map("\n".join), st.text(max_size=200)))
def test_loads_any_text_loads_or_fails_cleanly(text):
    try:
        config.loads(text, file="lambdactl.toml")
    except ConfigError as exc:
        one_line(exc)


plain_toml = st.recursive(
    st.one_of(st.booleans(), st.integers(min_value=-(2 ** 63), max_value=2 ** 63 - 1),
              st.floats(allow_nan=False), st.text(max_size=12)),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=3),
    max_leaves=10)


@SETTINGS
@given(st.dictionaries(keys, plain_toml, max_size=5))
def test_dumps_round_trips_through_tomllib(doc):
    """``config.dumps`` (used to write project files) produces TOML that reads back as the same data."""
    assert tomllib.loads(config.dumps(doc)) == doc


# --- the payload parser ---------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=15)
json_ish_text = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(list('{}[],:"') + ["true", "null", "NaN", "-Infinity", "1e999", "0x1", " ", "\n",
                                                '"a"', "1", "-0", "\\u0000", "\ufeff"]), max_size=15).map("".join),
    json_values.map(json.dumps))


def _strict_json(data: bytes):
    def reject(c):
        raise AssertionError(f"{c} in the payload sent to Lambda")
    return json.loads(data.decode("utf-8-sig"), parse_constant=reject)


@SETTINGS
@given(json_ish_text)
def test_parse_json_text(text):
    try:
        payload.parse_json(text)
    except UsageError as exc:
        one_line(exc)


@SETTINGS
@given(st.one_of(st.binary(max_size=60), json_ish_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
                 st.just(b"\xff\xfe\x00garbage"), st.just(b"\xef\xbb\xbf{}")))
def test_parse_json_bytes(data):
    try:
        payload.parse_json(data)
    except UsageError as exc:
        one_line(exc)


set_items = st.one_of(
    st.text(max_size=20),
    st.tuples(st.lists(st.text(alphabet=string.ascii_letters + "._\\-", max_size=5), min_size=1, max_size=3),
              json_ish_text).map(lambda kv: ".".join(kv[0]) + "=" + kv[1]))


@SETTINGS
@given(st.one_of(st.none(), json_ish_text), st.lists(set_items, max_size=4))
def test_load_payload_inline_and_sets(text, sets):
    assume(text is None or not text.startswith("@"))        # @file: see the file test
    try:
        out = payload.load_payload(text, sets=sets, stdin=io.BytesIO(b""))
    except UsageError as exc:
        one_line(exc)
    else:
        _strict_json(out)                                    # whatever is sent is real JSON


@FEW
@given(st.binary(max_size=80), st.lists(set_items, max_size=2))
def test_load_payload_file_and_stdin(tmp_path_factory, data, sets):
    f = tmp_path_factory.mktemp("p") / "event.json"
    f.write_bytes(data)
    for kwargs in ({"payload": f"@{f}"}, {"payload_file": str(f)}, {"payload": "-", "stdin": io.BytesIO(data)},
                   {"payload_file": "-", "stdin": io.BytesIO(data)}):
        try:
            out = payload.load_payload(sets=sets, **kwargs)
        except UsageError as exc:
            one_line(exc)
        else:
            _strict_json(out)


@SETTINGS
@given(json_values, st.lists(set_items, max_size=4))
def test_apply_sets_on_any_base(base, sets):
    try:
        out = payload.apply_sets(base, sets)
    except UsageError as exc:
        one_line(exc)
    else:
        if sets:
            assert isinstance(out, dict)


@SETTINGS
@given(json_values, st.booleans())
def test_json_round_trip(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert payload.parse_json(text) == value
    assert payload.parse_json(text.encode("utf-8")) == value
    sent = payload.load_payload(text)
    assert json.loads(sent) == value


@SETTINGS
@given(st.lists(st.from_regex(r"\A[a-z_][a-z0-9_]{0,6}\Z"), min_size=1, max_size=3), json_values)
def test_set_puts_the_value_at_the_dotted_path(path, value):
    out = payload.apply_sets({}, [".".join(path) + "=" + json.dumps(value)])
    node = out
    for part in path:
        node = node[part]
    assert node == value


@SETTINGS
@given(st.one_of(st.binary(max_size=120),
                 st.lists(json_ish_text, max_size=6).map(lambda ls: "\n".join(ls).encode("utf-8", "surrogatepass"))))
def test_batch_lines_are_json_or_named_errors(data):
    """--batch JSONL: every line kept is strict JSON in UTF-8; every other one carries a one-line reason."""
    for ln in batch.parse_lines(data):
        if ln.payload is not None:
            _strict_json(ln.payload)
        else:
            assert ln.error and len(ln.error.splitlines()) == 1


@pytest.mark.parametrize("text", ["NaN", "-Infinity", '{"a": Infinity}', "[1, NaN]"])
def test_nan_and_infinity_are_not_json(text):
    with pytest.raises(UsageError, match="not a JSON value"):
        payload.parse_json(text)
    assert payload.parse_value("NaN") == "NaN"              # --set a=NaN: the string


# --- schedule expressions ---------------------------------------------------------------------------

cron_field = st.one_of(
    st.sampled_from(["*", "?", "L", "W", "LW", "15W", "L-3", "1#2", "MON#1", "5L", "JAN", "MON-FRI", "*/5",
                     "0/15", "1,2,3", "1-5/2", "-", ",", "/", "/0", "99", "0", "7", "2199", "1800", "a-b-c",
                     "", "#", "L#1"]),
    st.integers(-5, 3000).map(str), st.text(alphabet="0123456789*?,-/LW#", max_size=6))
expressions = st.one_of(
    st.text(max_size=40),
    st.tuples(st.integers(-2, 1000), st.sampled_from(["minute", "minutes", "hour", "hours", "day", "days",
                                                      "week", "second", "", "Minutes"]))
    .map(lambda t: f"rate({t[0]} {t[1]})"),
    st.lists(cron_field, min_size=0, max_size=8).map(lambda fs: f"cron({' '.join(fs)})"),
    st.sampled_from(["rate(5 minutes", "cron", "rate()", "at(2026-12-01T09:00:00)", "at(tomorrow)", " ",
                     "rate(1\tminute)", "cron(0 12 * * ? *) ", "RATE(5 minutes)"]))


@SETTINGS
@given(expressions)
def test_schedule_expression_valid_or_usage_error(expr):
    try:
        out = schedule.validate_expression(expr)
    except UsageError as exc:
        one_line(exc)
    else:
        assert out == expr.strip() and out.startswith(("rate(", "cron(", "at("))


@SETTINGS
@given(st.integers(1, 10 ** 6), st.sampled_from(["minute", "hour", "day"]))
def test_well_formed_rates_are_valid(n, unit):
    expr = f"rate({n} {unit}{'s' if n != 1 else ''})"
    assert schedule.validate_expression(expr) == expr


@SETTINGS
@given(st.integers(0, 59), st.integers(0, 23), st.booleans(), st.integers(1, 31), st.integers(1, 12),
       st.integers(1, 7), st.one_of(st.just("*"), st.integers(1970, 2199).map(str)))
def test_well_formed_crons_are_valid(minute, hour, by_dom, dom, month, dow, year):
    fields = [str(minute), str(hour), str(dom) if by_dom else "?", str(month), "?" if by_dom else str(dow), year]
    expr = f"cron({' '.join(fields)})"
    assert schedule.validate_expression(expr) == expr


# --- function references and qualifiers -------------------------------------------------------------

names = st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z")
qualifiers = st.one_of(st.just("$LATEST"), st.from_regex(r"\A[A-Za-z0-9_-]{1,128}\Z"))


@SETTINGS
@given(st.one_of(st.text(max_size=100), st.just("x" * 300), st.just("функция"),
                 names.map(lambda n: f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{n}"),
                 st.tuples(names, st.text(max_size=10)).map(":".join)))
def test_parse_function_ref_any_string(ref):
    try:
        name, qualifier = naming.parse_function_ref(ref)
    except UsageError as exc:
        one_line(exc)
    else:
        assert naming.short_name(name) and len(naming.short_name(name)) <= 64
        assert qualifier is None or 1 <= len(qualifier) <= 128


@SETTINGS
@given(names, st.one_of(st.none(), qualifiers), st.sampled_from(["plain", "arn", "partial"]))
def test_parse_function_ref_round_trip(name, qualifier, form):
    base = {"plain": name, "arn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:{name}",
            "partial": f"{ACCOUNT}:function:{name}"}[form]
    ref = base if qualifier is None else f"{base}:{qualifier}"
    assert naming.parse_function_ref(ref) == (base, qualifier)
    assert naming.short_name(base) == name


@SETTINGS
@given(st.text(max_size=140))
def test_check_qualifier(q):
    try:
        assert naming.check_qualifier(q) == q
    except UsageError as exc:
        one_line(exc)


# --- secret masking (issue 21): the rules hold for any name and value ----------------------------

LONG_WORDS = ("PASS", "PWD", "SECRET", "TOKEN", "CREDENTIAL", "PRIVATE", "SIGNATURE", "COOKIE", "SESSION")
SHORT_WORDS = ("KEY", "SK", "DSN", "AUTH")
name_words = st.from_regex(r"\A[A-Z][A-Z0-9]{0,7}\Z")
values = st.text(min_size=1, max_size=60)


@FEW
@given(st.lists(name_words, max_size=3), st.sampled_from(LONG_WORDS + SHORT_WORDS), st.lists(name_words, max_size=3),
       values, st.booleans())
def test_a_secret_word_in_a_name_masks_any_value(before, word, after, value, lower):
    """A long word anywhere, a short word as a whole '_'-separated word: the value is never shown."""
    name = "_".join([*before, word, *after])
    name = name.lower() if lower else name
    assert secrets.is_secret_name(name)
    assert secrets.mask_value(name, value) == "****"
    assert secrets.mask_value(name, value, show=True) == value


@FEW
@given(st.lists(name_words.filter(lambda w: not secrets.is_secret_name(w)), min_size=1, max_size=4),
       st.text(alphabet=string.ascii_lowercase + " -", max_size=30))
def test_plain_names_and_plain_values_are_shown(words, value):
    """Neither a secret word nor a secret shape: shown as it is (lower-case words cannot be a key)."""
    name = "_".join(words)
    assert secrets.mask_value(name, value) == value


@FEW
@given(st.sampled_from(["postgres", "mysql", "redis", "amqp", "mongodb+srv", "https"]),
       st.from_regex(r"\A[a-z][a-z0-9]{0,8}\Z"), st.text(alphabet=string.ascii_letters + string.digits + "!$%*~",
                                                         min_size=1, max_size=20),
       st.from_regex(r"\A[a-z][a-z0-9.-]{0,20}\Z"), st.from_regex(r"\A(/[a-z0-9]{0,8}){0,2}\Z"))
def test_a_url_password_is_masked_and_the_rest_kept(scheme, user, password, host, path):
    url = f"{scheme}://{user}:{password}@{host}{path}"
    assert secrets.mask_value("DATABASE_URL", url) == f"{scheme}://{user}:****@{host}{path}"


@FEW
@given(st.text(max_size=120))
def test_masking_text_is_idempotent(text):
    once = secrets.mask_text(text)
    assert secrets.mask_text(once) == once
    assert secrets.mask_text(text, show=True) == text
