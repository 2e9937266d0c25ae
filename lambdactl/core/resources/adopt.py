"""``lambdactl init --from FUNCTION``: adopt a live function into a project directory.

Writes ``lambdactl.toml`` from the live configuration (aliases, triggers, concurrency, async
config included) and downloads and unpacks the deployed code into ``src/``, so that an immediate
``lambdactl diff`` shows no changes (for code built deterministically; otherwise the first deploy
re-uploads the same files once, and ``diff`` says so).
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from lambdactl import config as cfgmod
from lambdactl.aws import AwsSession
from lambdactl.core.model import (Areas, EventBridgeTrigger, FunctionState, MappingTrigger, S3Trigger,
                                  ScheduleTrigger, SnsTrigger, UrlTrigger)
from lambdactl.core.model.state import percent
from lambdactl.errors import OperationError, UsageError
from lambdactl.secrets import has_secrets


def read_live(aws: AwsSession, name: str) -> FunctionState:
    """The function's whole live state (the one reader); NotFoundError when it does not exist."""
    from lambdactl.core.resources.functions import _not_found
    from lambdactl.core.resources.reader import read_function

    state = read_function(aws, name, Areas.ALL)
    if state is None:
        raise _not_found(name)
    return state


def live_project(aws: AwsSession, name: str) -> tuple[dict, list[str]]:
    """The project-file dict describing the live function, and notes about what was not captured."""
    return project_from_state(read_live(aws, name))


def project_from_state(state: FunctionState) -> tuple[dict, list[str]]:
    """The project-file dict describing a function's live state (read with every area), and notes
    about what the project file cannot describe."""
    cfg, code = state.configuration, state.code
    notes: list[str] = list(state.notes)
    fn: dict[str, Any] = {"name": state.name}
    if code.package_type == "Image":
        fn["package_type"] = "Image"
        if code.image_uri:
            fn["image_uri"] = code.image_uri
    else:
        fn["runtime"] = cfg.runtime
        fn["handler"] = cfg.handler
        fn["source"] = "src"
    fn["architecture"] = cfg.architecture
    fn["memory"] = cfg.memory
    fn["timeout"] = cfg.timeout
    fn["ephemeral_storage"] = cfg.ephemeral_storage
    fn["role"] = cfg.role or ""
    if cfg.description:
        fn["description"] = cfg.description
    if cfg.layers:
        fn["layers"] = cfg.layer_arns
    if cfg.tracing and cfg.tracing != "PassThrough":
        fn["tracing"] = cfg.tracing
    if cfg.kms_key:
        fn["kms_key"] = cfg.kms_key
    if cfg.dead_letter:
        fn["dead_letter"] = cfg.dead_letter
    if cfg.environment:
        fn["environment"] = dict(cfg.environment)
        secrets = sorted(has_secrets(cfg.environment))
        if secrets:
            notes.append(f"lambdactl.toml holds secret-looking values ({', '.join(secrets)}): keep it out of "
                         "version control, or move them to SSM Parameter Store / Secrets Manager")
    if state.user_tags:
        fn["tags"] = dict(state.user_tags)
    if cfg.vpc is not None:
        fn["vpc"] = {"subnets": list(cfg.vpc.subnets), "security_groups": list(cfg.vpc.security_groups)}
    asy = state.async_config
    if asy is not None and asy.configured:
        a = {k: v for k, v in (("max_retries", asy.max_retries), ("max_event_age", asy.max_event_age),
                               ("on_success", asy.on_success), ("on_failure", asy.on_failure)) if v is not None}
        if a:
            fn["async"] = a
    doc: dict[str, Any] = {"function": fn}

    conc: dict[str, Any] = {}
    if state.concurrency is not None:
        if state.concurrency.reserved is not None:
            conc["reserved"] = state.concurrency.reserved
        if state.concurrency.provisioned:       # None: not implemented by every emulator
            conc["provisioned"] = [{"qualifier": p.qualifier, "count": p.requested}
                                   for p in state.concurrency.provisioned]
    if conc:
        doc["concurrency"] = conc

    from lambdactl.core.resources.aliases import user_description

    aliases = []
    for a in sorted(state.aliases or (), key=lambda x: x.name):
        entry = {"name": a.name, "version": a.version}
        if user_description(a.description):      # without lambdactl's rollback record
            entry["description"] = user_description(a.description)
        routing = {str(v): float(w) for v, w in a.weights.items() if 0 < percent(w) < 100}
        if routing and len(routing) == len(a.weights) == 1 and a.version.isdigit():
            entry["routing"] = routing      # the canary: [[aliases]] routing = { "2" = 0.1 }
        elif a.weights:
            notes.append(f"alias {a.name} routes {a.weights} to a canary: the project file records only its "
                         f"primary version; use 'lambdactl alias' to manage the canary")
        aliases.append(entry)
    if aliases:
        doc["aliases"] = aliases

    triggers = _trigger_tables(state, notes)
    if triggers:
        doc["triggers"] = triggers
    return doc, notes


# [[triggers]] in the order init --from has always written them.
_TRIGGER_ORDER = {"mapping": 0, "schedule": 1, "eventbridge": 1, "sns": 2, "url": 3, "s3": 4}


def _trigger_tables(state: FunctionState, notes: list[str]) -> list[dict]:
    from lambdactl.core.model.triggerspec import ESM_SETTINGS

    out: list[tuple[int, dict]] = []
    for t in state.triggers or ():
        if isinstance(t, MappingTrigger):
            if t.kind not in ESM_SETTINGS:
                notes.append(f"event source mapping {t.uuid} ({t.source_arn or 'no source ARN'}) is not a kind "
                             "lambdactl.toml describes (sqs, kinesis, dynamodb): not recorded")
                continue
            out.append((0, mapping_table(t)))
        elif isinstance(t, ScheduleTrigger):
            table = {"type": "schedule", "expression": t.expression, "name": t.name}
            out.append((1, _with_input(table, t.input)))
        elif isinstance(t, EventBridgeTrigger):
            table = {"type": "eventbridge", "pattern": json.dumps(t.pattern), "name": t.name}
            if t.bus != "default":
                table["bus"] = t.bus
            out.append((1, _with_input(table, t.input)))
        elif isinstance(t, SnsTrigger):
            out.append((2, {"type": "sns", "topic": t.topic}))
        elif isinstance(t, UrlTrigger):
            table = {"type": "url", "auth": t.auth}
            if t.cors is not None:
                table["cors"] = {k: list(v) if isinstance(v, tuple) else v for k, v in t.cors.to_dict().items()
                                 if v not in (None, (), [])}
            out.append((3, table))
        elif isinstance(t, S3Trigger):
            table = {"type": "s3", "bucket": t.bucket, "events": list(t.events)}
            if t.prefix:
                table["prefix"] = t.prefix
            if t.suffix:
                table["suffix"] = t.suffix
            out.append((4, table))
    return [table for _order, table in sorted(out, key=lambda x: x[0])]


def _with_input(table: dict, value: Any) -> dict:
    if value is not None and value != "":
        table["input"] = value if isinstance(value, str) else json.dumps(value)
    return table


def mapping_table(m: MappingTrigger) -> dict:
    """The [[triggers]] table that describes a live mapping: its source, batch size and starting
    position, and every other setting that is not the default (``normalize()`` of it gives back the
    mapping's settings)."""
    from lambdactl.core.model.desired import mapping_settings
    from lambdactl.core.model.triggerspec import ESM_DEFAULTS, ESM_SETTINGS, STREAM_KINDS, compact_json

    kind = m.kind
    cur = mapping_settings(m)
    t: dict[str, Any] = {"type": kind, "source": m.source_arn, "batch_size": cur["batch_size"]}
    if kind in STREAM_KINDS and m.starting_position:
        t["starting_position"] = m.starting_position
        if m.starting_position == "AT_TIMESTAMP" and m.starting_timestamp:
            t["starting_timestamp"] = m.starting_timestamp
    for k in ESM_SETTINGS[kind]:
        if k == "batch_size" or cur[k] == ESM_DEFAULTS[k]:
            continue
        t[k] = [compact_json(x) if not isinstance(x, str) else x for x in cur[k]] if k == "filters" else cur[k]
    return t


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


def download_code(state: FunctionState) -> bytes:
    """The deployed zip, from the pre-signed ``Code.Location`` the reader's GetFunction returned,
    bounded and checked against the CodeSha256."""
    name = state.name
    if not state.code.location:
        raise OperationError(f"{name}: AWS returned no code location", hint="is it a container image function?")
    return fetch_code(state.code.location, name, sha256=state.code.sha256)


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
    state = read_live(aws, name)
    doc, notes = project_from_state(state)
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
        files = extract_code(download_code(state), name, src)
    directory.mkdir(parents=True, exist_ok=True)
    _write_project_file(toml_path, text, private=bool(has_secrets(doc["function"].get("environment"))))
    return {"function": name, "directory": str(directory), "project_file": str(toml_path), "files": files,
            "aliases": len(doc.get("aliases", [])), "triggers": len(doc.get("triggers", [])),
            "notes": notes}
