"""``lambdactl init --from FUNCTION``: adopt a live function into a project directory.

Writes ``lambdactl.toml`` from the live configuration (aliases, triggers, concurrency, async
config included) and downloads and unpacks the deployed code into ``src/``, so that an immediate
``lambdactl diff`` shows no changes (for code built deterministically; otherwise the first deploy
re-uploads the same files once, and ``diff`` says so).
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from lambdactl import config as cfgmod
from lambdactl.aws import AwsSession
from lambdactl.core.resources.functions import (get_policy, list_aliases, list_event_source_mappings, paginate,
                                      require_configuration)
from lambdactl.errors import OperationError, UsageError
from lambdactl.secrets import has_secrets


def live_project(aws: AwsSession, name: str) -> tuple[dict, list[str]]:
    """The project-file dict describing the live function, and notes about what was not captured."""
    from botocore.exceptions import ClientError

    from lambdactl.core.resources.asyncconfig import async_record

    cfg = require_configuration(aws, name)
    fname = cfg["FunctionName"]
    arn = cfg["FunctionArn"]
    lam = aws.client("lambda")
    notes: list[str] = []
    fn: dict[str, Any] = {"name": fname}
    if cfg.get("PackageType") == "Image":
        fn["package_type"] = "Image"
        try:
            fn["image_uri"] = lam.get_function(FunctionName=fname).get("Code", {}).get("ImageUri")
        except ClientError:
            pass
    else:
        fn["runtime"] = cfg.get("Runtime")
        fn["handler"] = cfg.get("Handler")
        fn["source"] = "src"
    fn["architecture"] = (cfg.get("Architectures") or ["x86_64"])[0]
    fn["memory"] = cfg.get("MemorySize", 128)
    fn["timeout"] = cfg.get("Timeout", 3)
    fn["ephemeral_storage"] = (cfg.get("EphemeralStorage") or {}).get("Size", 512)
    fn["role"] = cfg.get("Role", "")
    if cfg.get("Description"):
        fn["description"] = cfg["Description"]
    layers = [layer["Arn"] for layer in cfg.get("Layers", [])]
    if layers:
        fn["layers"] = layers
    tracing = (cfg.get("TracingConfig") or {}).get("Mode")
    if tracing and tracing != "PassThrough":
        fn["tracing"] = tracing
    if cfg.get("KMSKeyArn"):
        fn["kms_key"] = cfg["KMSKeyArn"]
    dlq = (cfg.get("DeadLetterConfig") or {}).get("TargetArn")
    if dlq:
        fn["dead_letter"] = dlq
    env = (cfg.get("Environment") or {}).get("Variables") or {}
    if env:
        fn["environment"] = dict(env)
        secrets = sorted(has_secrets(env))
        if secrets:
            notes.append(f"lambdactl.toml holds secret-looking values ({', '.join(secrets)}): keep it out of "
                         "version control, or move them to SSM Parameter Store / Secrets Manager")
    try:
        tags = lam.list_tags(Resource=arn).get("Tags", {})
    except ClientError:
        tags = {}
    tags = {k: v for k, v in tags.items() if not k.startswith(("aws:", "lambda:", "lambdactl:"))}
    if tags:
        fn["tags"] = tags
    vpc = cfg.get("VpcConfig") or {}
    if vpc.get("SubnetIds"):
        fn["vpc"] = {"subnets": list(vpc["SubnetIds"]), "security_groups": list(vpc.get("SecurityGroupIds", []))}
    try:
        ev = lam.get_function_event_invoke_config(FunctionName=fname)
        a = {k: v for k, v in async_record(ev).items() if v is not None}
        if a:
            fn["async"] = a
    except ClientError:
        pass
    doc: dict[str, Any] = {"function": fn}

    conc: dict[str, Any] = {}
    try:
        reserved = lam.get_function_concurrency(FunctionName=fname).get("ReservedConcurrentExecutions")
        if reserved is not None:
            conc["reserved"] = reserved
    except ClientError:
        pass
    try:
        provs = lam.list_provisioned_concurrency_configs(FunctionName=fname).get("ProvisionedConcurrencyConfigs", [])
        if provs:
            conc["provisioned"] = [{"qualifier": p["FunctionArn"].rsplit(":", 1)[-1],
                                    "count": p["RequestedProvisionedConcurrentExecutions"]} for p in provs]
    except ClientError:
        pass  # not implemented by every emulator
    if conc:
        doc["concurrency"] = conc

    from lambdactl.core.resources.aliases import user_description

    aliases = []
    for a in sorted(list_aliases(aws, fname), key=lambda x: x["Name"]):
        entry = {"name": a["Name"], "version": str(a["FunctionVersion"])}
        if user_description(a.get("Description")):      # without lambdactl's rollback record
            entry["description"] = user_description(a.get("Description"))
        weights = (a.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        if weights:
            notes.append(f"alias {a['Name']} routes {weights} to a canary: the project file records only its "
                         f"primary version; use 'lambdactl alias' to manage the canary")
        aliases.append(entry)
    if aliases:
        doc["aliases"] = aliases

    triggers = _live_triggers(aws, fname, arn, notes)
    if triggers:
        doc["triggers"] = triggers
    return doc, notes


def _live_triggers(aws: AwsSession, fname: str, arn: str, notes: list[str]) -> list[dict]:
    from botocore.exceptions import ClientError

    from lambdactl.core.model.triggerspec import ESM_SETTINGS
    from lambdactl.core.resources.triggers.mappings import esm_table

    lam = aws.client("lambda")
    out: list[dict] = []
    for m in list_event_source_mappings(aws, fname):
        src = m.get("EventSourceArn", "")
        kind = src.split(":")[2] if src.count(":") >= 2 else ""
        if kind not in ESM_SETTINGS:
            notes.append(f"event source mapping {m.get('UUID')} ({src or 'no source ARN'}) is not a kind "
                         "lambdactl.toml describes (sqs, kinesis, dynamodb): not recorded")
            continue
        out.append(esm_table(kind, m))
    try:
        ev = aws.client("events")
        for bus in _buses(ev):
            on_bus = {} if bus == "default" else {"EventBusName": bus}
            for rule_name in paginate(ev, "list_rule_names_by_target", "RuleNames", TargetArn=arn, **on_bus):
                rule = ev.describe_rule(Name=rule_name, **on_bus)
                targets = [x for x in paginate(ev, "list_targets_by_rule", "Targets", Rule=rule_name, **on_bus)
                           if x.get("Arn", "").startswith(arn)]
                inp = targets[0].get("Input") if targets else None
                if rule.get("ScheduleExpression"):
                    t = {"type": "schedule", "expression": rule["ScheduleExpression"], "name": rule_name}
                else:
                    t = {"type": "eventbridge", "pattern": rule.get("EventPattern") or "{}", "name": rule_name}
                    if bus != "default":
                        t["bus"] = bus
                if inp:
                    t["input"] = inp
                out.append(t)
    except ClientError:
        notes.append("could not read EventBridge rules")
    try:
        sns = aws.client("sns")
        for page in sns.get_paginator("list_subscriptions").paginate():
            for s in page.get("Subscriptions", []):
                if s.get("Protocol") == "lambda" and s.get("Endpoint", "").split(":")[:7] == arn.split(":")[:7]:
                    out.append({"type": "sns", "topic": s["TopicArn"]})
    except ClientError:
        notes.append("could not read SNS subscriptions")
    try:
        url = lam.get_function_url_config(FunctionName=fname)
        t = {"type": "url", "auth": url.get("AuthType", "AWS_IAM")}
        cors = url.get("Cors")
        if cors:
            t["cors"] = {_snake(k): v for k, v in cors.items()}
        out.append(t)
    except ClientError:
        pass
    # S3: buckets named in the policy, confirmed against each bucket's notification config.
    from lambdactl.core.resources.triggers.s3 import bucket_of

    policy = get_policy(aws, fname)
    buckets = set()
    for st in policy.get("Statement", []):
        principal = st.get("Principal")
        svc = principal.get("Service") if isinstance(principal, dict) else principal
        src = ((st.get("Condition") or {}).get("ArnLike") or {}).get("AWS:SourceArn", "")
        bucket = bucket_of(src)
        if svc == "s3.amazonaws.com" and bucket:
            buckets.add(bucket)
    s3 = aws.client("s3")
    for b in sorted(buckets):
        try:
            conf = s3.get_bucket_notification_configuration(Bucket=b)
        except ClientError:
            notes.append(f"could not read the notification configuration of bucket {b}")
            continue
        for c in conf.get("LambdaFunctionConfigurations", []):
            if c.get("LambdaFunctionArn", "").split(":")[:7] != arn.split(":")[:7]:
                continue
            t = {"type": "s3", "bucket": b, "events": list(c.get("Events", []))}
            for rule in ((c.get("Filter") or {}).get("Key") or {}).get("FilterRules", []):
                t[rule["Name"].lower()] = rule["Value"]
            out.append(t)
    return out


def _snake(k: str) -> str:
    import re

    return re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower()


def _buses(ev) -> list[str]:
    try:
        return [b["Name"] for b in ev.list_event_buses().get("EventBuses", [])] or ["default"]
    except Exception:
        return ["default"]


# Lambda's limit for a function's code: 250 MB unzipped (so a zip over it cannot be a function's
# code either). Downloads and extraction are bounded by it, before anything is read or written.
MAX_CODE_BYTES = 250 * 1024 * 1024
MAX_ZIP_ENTRIES = 100_000
_CHUNK = 1 << 20


def _where(url: str) -> str:
    """A URL without its query (a pre-signed URL's query holds a signature)."""
    from urllib.parse import urlsplit

    u = urlsplit(url)
    return f"{u.scheme}://{u.netloc}{u.path}" if u.scheme and u.netloc else url.split("?", 1)[0][:200]


def _http_only(url: str, name: str) -> None:
    from urllib.parse import urlsplit

    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("https", "http"):
        raise OperationError(f"refusing to download the code of {name} from {_where(url)!r}: only http(s) "
                             f"locations are fetched",
                             hint="AWS serves code from an https:// pre-signed URL; check --endpoint-url")


def fetch_code(url: str, name: str, *, limit: int | None = None, sha256: str | None = None) -> bytes:
    """GET the zip at ``url`` (http/https only, also after redirects), at most ``limit`` bytes
    (default :data:`MAX_CODE_BYTES`); with ``sha256`` (GetFunction's base64 CodeSha256) the bytes
    must match it."""
    import http.client
    import urllib.error
    import urllib.request

    limit = MAX_CODE_BYTES if limit is None else limit
    _http_only(url, name)

    class HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
        def http_error_302(self, req, fp, code, msg, headers):
            from urllib.parse import urljoin

            location = headers.get("location") or headers.get("uri")
            if location:
                _http_only(urljoin(req.full_url, location), name)
            return super().http_error_302(req, fp, code, msg, headers)

        http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    too_big = OperationError(f"the code of {name} is larger than {_mb(limit)}: not downloaded",
                             hint="Lambda's limit is 250 MB unzipped; the code location does not serve a "
                                  "function's code")
    buf = bytearray()
    try:
        with urllib.request.build_opener(HttpOnlyRedirects).open(url, timeout=60) as r:
            length = (r.headers.get("Content-Length") or "").strip()
            if length.isdigit() and int(length) > limit:
                raise too_big
            while True:
                chunk = r.read(_CHUNK)
                if not chunk:
                    break
                buf += chunk
                if len(buf) > limit:
                    raise too_big
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise OperationError(f"could not download the code of {name}: {getattr(exc, 'reason', exc)}",
                             hint="the pre-signed URL may have expired, or the emulator cannot serve code")
    data = bytes(buf)
    if sha256:
        import base64
        import hashlib

        got = base64.b64encode(hashlib.sha256(data).digest()).decode()
        if got != sha256:
            raise OperationError(f"the downloaded code of {name} does not match its CodeSha256 "
                                 f"({got} != {sha256})", hint="re-run; the code may have changed meanwhile")
    return data


def download_code(aws: AwsSession, name: str) -> bytes:
    """The deployed zip (via GetFunction's pre-signed Code.Location), bounded and checked."""
    resp = aws.client("lambda").get_function(FunctionName=name)
    loc = (resp.get("Code") or {}).get("Location")
    if not loc:
        raise OperationError(f"{name}: AWS returned no code location", hint="is it a container image function?")
    return fetch_code(loc, name, sha256=(resp.get("Configuration") or {}).get("CodeSha256"))


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def check_zip(zf: zipfile.ZipFile, name: str, dest: Path, *, limit: int | None = None) -> list[tuple[zipfile.ZipInfo, Path]]:
    """Every entry of the function's zip with its target under ``dest``, checked before anything is
    read or written: no path outside ``dest`` (zip slip), each entry's declared size and their
    total within ``limit`` (default :data:`MAX_CODE_BYTES`, Lambda's unzipped limit), at most
    :data:`MAX_ZIP_ENTRIES` entries."""
    limit = MAX_CODE_BYTES if limit is None else limit
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise OperationError(f"the code of {name} has {len(infos)} zip entries (at most {MAX_ZIP_ENTRIES} are "
                             "unpacked)", hint="a function's code would not have that many files")
    root = dest.resolve()
    total = 0
    out = []
    for info in infos:
        target = (dest / info.filename).resolve()
        if root not in target.parents and target != root:
            raise OperationError(f"unsafe path in the function's zip: {info.filename!r}",
                                 hint="it would be written outside src/; nothing was written")
        if info.file_size > limit:
            raise OperationError(f"{info.filename!r} in the code of {name} unpacks to {_mb(info.file_size)}, over "
                                 f"Lambda's {_mb(limit)} limit: nothing was written",
                                 hint="the zip is not a function's code as Lambda runs it")
        total += info.file_size
        if total > limit:
            raise OperationError(f"the code of {name} unpacks to more than Lambda's {_mb(limit)} limit: nothing "
                                 "was written", hint="the zip is not a function's code as Lambda runs it")
        out.append((info, target))
    return out


def extract_code(data: bytes, name: str, src: Path, *, limit: int | None = None) -> int:
    """Unpack the zip into ``src`` (bounded, see :func:`check_zip`); every entry is first unpacked
    into a staging directory, so a bad zip leaves ``src`` untouched. Returns the number of files."""
    import shutil
    import tempfile

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile):
        raise OperationError(f"the downloaded code of {name} is not a zip file")
    entries = check_zip(zf, name, src, limit=limit)
    with tempfile.TemporaryDirectory(prefix="lambdactl-adopt-") as staging:
        staged: list[tuple[zipfile.ZipInfo, Path, Path | None]] = []
        for i, (info, target) in enumerate(entries):
            if info.is_dir():
                staged.append((info, target, None))
                continue
            tmp = Path(staging) / str(i)
            written = 0
            try:
                with zf.open(info) as fin, open(tmp, "wb") as fout:
                    while True:
                        chunk = fin.read(_CHUNK)
                        if not chunk:
                            break
                        written += len(chunk)
                        if written > info.file_size:      # more than it declared: refuse
                            raise OperationError(f"{info.filename!r} in the code of {name} is larger than its "
                                                 "declared size: nothing was written")
                        fout.write(chunk)
            except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
                raise OperationError(f"the code of {name} could not be unpacked ({info.filename!r}: {exc}): "
                                     "nothing was written")
            staged.append((info, target, tmp))
        for info, target, tmp in staged:
            if tmp is None:
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(tmp), str(target))
            mode = (info.external_attr >> 16) & 0o777
            target.chmod(0o755 if mode & 0o111 else 0o644)
    return sum(1 for _, _, tmp in staged if tmp is not None)


def _write_project_file(path: Path, text: str, *, private: bool) -> None:
    """Write the project file; one holding secret-looking values is created 0600 (owner only),
    and an existing one (--force) is made 0600 before the secrets are written into it."""
    import os

    if not private:
        path.write_text(text)
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        os.fchmod(fd, 0o600)
        f.write(text)


def adopt(aws: AwsSession, name: str, directory: Path, *, force: bool = False, with_code: bool = True) -> dict:
    directory = Path(directory)
    doc, notes = live_project(aws, name)
    toml_path = directory / cfgmod.DEFAULT_FILE
    src = directory / "src"
    existing = [p for p in (toml_path,) if p.exists()]
    if with_code and src.exists() and any(src.iterdir()):
        existing.append(src)
    if existing and not force:
        raise UsageError("refusing to overwrite: " + ", ".join(str(p) for p in existing),
                         hint="use --force, or choose another DIR")
    text = "# Adopted from the live function by 'lambdactl init --from'.\n" + cfgmod.dumps(doc)
    cfgmod.loads(text, file=str(toml_path))  # what we write must load
    files = 0
    if with_code and doc["function"].get("package_type", "Zip") == "Zip":
        files = extract_code(download_code(aws, name), name, src)
    directory.mkdir(parents=True, exist_ok=True)
    _write_project_file(toml_path, text, private=bool(has_secrets(doc["function"].get("environment"))))
    return {"function": name, "directory": str(directory), "project_file": str(toml_path), "files": files,
            "aliases": len(doc.get("aliases", [])), "triggers": len(doc.get("triggers", [])),
            "notes": notes}
