"""Reserved and provisioned concurrency, the account's concurrency figures, and a cost estimate.

Everything here takes an :class:`~lambdactl.aws.AwsSession` and uses the one ``lambda`` client of
that session (``aws.client("lambda")``) for every call, so the code runs unchanged against real
AWS and against any AWS-compatible endpoint.

Two API families are optional on emulators (moto 5.2 implements neither):

- ``GetAccountSettings``: when the endpoint does not implement it (or the credentials may not call
  it) the account figures are reported as unknown (``None``), validation assumes the default
  account limit of :data:`DEFAULT_ACCOUNT_LIMIT` and counts the reservations of the other
  functions itself, and a note says so (``result["notes"]``, printed on stderr by the CLI).
- the provisioned-concurrency APIs (``Put/Get/Delete/ListProvisionedConcurrencyConfig(s)``):
  ``show`` reports provisioned concurrency as unknown (``None``) with a note; ``set``/``clear``
  fail with a clear message (exit 1).

Public functions (used by the CLI and by ``deploy`` through :func:`plan_concurrency`):
``parse_count``, ``get_reserved``, ``account_settings``, ``reserved_capacity``, ``set_reserved``,
``clear_reserved``, ``list_provisioned``, ``get_provisioned``, ``check_provisioned_target``,
``set_provisioned``, ``wait_provisioned``, ``clear_provisioned``, ``estimate_cost``,
``show_function``, ``account_summary``, ``plan_concurrency``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from lambdactl.aws import AwsSession, error_code, retry
from lambdactl.core.model.naming import short_name
from lambdactl.core.resources.plan import Change, DeployContext, Step
from lambdactl.errors import NotFoundError, OperationError, UsageError
from lambdactl.fmt import iso

DEFAULT_ACCOUNT_LIMIT = 1000      # concurrent executions per region, the AWS default
MIN_UNRESERVED = 100              # AWS keeps at least this much unreserved
MAX_COUNT = 100_000               # sanity bound for counts typed on the command line
HOURS_PER_MONTH = 730
PROVISIONED_READY = "READY"
PROVISIONED_FAILED = "FAILED"

_CONFIG_NOT_FOUND = "ProvisionedConcurrencyConfigNotFoundException"
_UNSUPPORTED_CODES = {"UnknownOperationException", "NotImplemented", "NotImplementedException",
                      "InvalidAction", "404", "501"}
_ACCESS_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}


# --- small helpers ------------------------------------------------------------------------------

def _status(exc: BaseException) -> int:
    return (getattr(exc, "response", None) or {}).get("ResponseMetadata", {}).get("HTTPStatusCode") or 0


def is_unsupported(exc: BaseException) -> bool:
    """True when the endpoint does not implement the operation (emulators: a bare 404/501)."""
    code = error_code(exc)
    if code in _UNSUPPORTED_CODES:
        return True
    return _status(exc) in (404, 501) and code not in ("ResourceNotFoundException", _CONFIG_NOT_FOUND)


def _function_not_found(name: str, qualifier: str | None = None) -> NotFoundError:
    what = f"{short_name(name)}:{qualifier}" if qualifier else short_name(name)
    return NotFoundError(f"function not found: {what}",
                         hint="check the name and region; 'lambdactl ls' lists the functions")


def _client_error():
    from botocore.exceptions import ClientError

    return ClientError


def parse_count(value: Any, flag: str, *, minimum: int = 0) -> int:
    """A non-negative integer from the command line (``"10"``) or a number; else UsageError."""
    if isinstance(value, bool):
        raise UsageError(f"{flag} {value!r}: not an integer", hint=f"{flag} takes a whole number >= {minimum}")
    if isinstance(value, int):
        n = value
    else:
        text = str(value).strip()
        try:
            n = int(text, 10)
        except ValueError:
            raise UsageError(f"{flag} {text!r}: not an integer",
                             hint=f"{flag} takes a whole number >= {minimum}, e.g. {flag} 10") from None
    if n < minimum or n > MAX_COUNT:
        raise UsageError(f"{flag} {n}: out of range",
                         hint=f"allowed range: {minimum}..{MAX_COUNT}")
    return n


def validate_qualifier(qualifier: str | None) -> str:
    """The qualifier for provisioned concurrency: an alias or a published version, never $LATEST."""
    if not qualifier:
        raise UsageError("provisioned concurrency needs a qualifier (an alias or a published version)",
                         hint="pass --qualifier ALIAS|VERSION, or FUNCTION:ALIAS")
    if qualifier.upper() == "$LATEST":
        raise UsageError("provisioned concurrency cannot be set on $LATEST",
                         hint="publish a version ('lambdactl publish') and use it or an alias pointing at it")
    import re

    if not re.match(r"^[A-Za-z0-9_-]{1,128}$", qualifier):
        raise UsageError(f"invalid qualifier {qualifier!r}",
                         hint="an alias name (letters, digits, '-', '_') or a version number")
    return qualifier


# --- reserved concurrency -----------------------------------------------------------------------

def get_reserved(aws: AwsSession, name: str) -> int | None:
    """The function's reserved concurrency, or None when it has none. NotFoundError if missing."""
    ClientError = _client_error()
    try:
        resp = retry(lambda: aws.client("lambda").get_function_concurrency(FunctionName=name))
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise _function_not_found(name) from None
        raise
    return resp.get("ReservedConcurrentExecutions")


@dataclass
class AccountSettings:
    """``GetAccountSettings`` figures; ``limit``/``unreserved`` are None when unavailable."""
    limit: int | None = None
    unreserved: int | None = None
    function_count: int | None = None
    available: bool = False
    note: str | None = None

    def reserved_by_others(self, own: int | None) -> int | None:
        """What the other functions reserve (limit − unreserved − own), None without the figures."""
        if self.available and self.limit is not None and self.unreserved is not None:
            return max(0, self.limit - self.unreserved - (own or 0))
        return None


def account_settings(aws: AwsSession) -> AccountSettings:
    """The account's concurrency limit and unreserved remainder, with a graceful fallback."""
    ClientError = _client_error()
    try:
        resp = retry(lambda: aws.client("lambda").get_account_settings())
    except ClientError as exc:
        code = error_code(exc)
        if is_unsupported(exc):
            why = "this endpoint does not implement GetAccountSettings"
        elif code in _ACCESS_CODES:
            why = "access denied to lambda:GetAccountSettings"
        else:
            raise
        return AccountSettings(note=f"account figures unknown ({why}); assuming the default limit of "
                                    f"{DEFAULT_ACCOUNT_LIMIT} concurrent executions")
    limit = resp.get("AccountLimit") or {}
    usage = resp.get("AccountUsage") or {}
    return AccountSettings(limit=limit.get("ConcurrentExecutions"),
                           unreserved=limit.get("UnreservedConcurrentExecutions"),
                           function_count=usage.get("FunctionCount"), available=True)


def _function_names(aws: AwsSession) -> list[str]:
    from lambdactl.core.resources.functions import list_functions

    return [f["name"] for f in list_functions(aws)]    # sorted by name


def _reserved_map(aws: AwsSession, names: list[str]) -> dict[str, int | None]:
    """Reserved concurrency of each function (a few in parallel; boto3 clients are thread-safe)."""
    if not names:
        return {}
    from concurrent.futures import ThreadPoolExecutor

    def one(n: str) -> int | None:
        try:
            return get_reserved(aws, n)
        except NotFoundError:       # deleted meanwhile
            return None

    with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
        return dict(zip(names, pool.map(one, names)))


@dataclass
class Capacity:
    """What a function may reserve: ``max_reserved`` = limit − 100 − reserved by other functions."""
    limit: int
    own: int | None
    reserved_by_others: int
    max_reserved: int
    settings: AccountSettings = field(default_factory=AccountSettings)


def reserved_capacity(aws: AwsSession, name: str, *, own: int | None = None,
                      settings: AccountSettings | None = None) -> Capacity:
    """How much ``name`` may reserve, from GetAccountSettings (limit, unreserved) and the
    function's current reservation; without GetAccountSettings: the default limit and the
    other functions' reservations counted one by one."""
    settings = settings or account_settings(aws)
    if own is None:
        own = get_reserved(aws, name)
    others = settings.reserved_by_others(own)
    if others is not None:
        limit = settings.limit
    else:
        me = short_name(name)
        reserved = _reserved_map(aws, [n for n in _function_names(aws) if n != me])
        others = sum(v for v in reserved.values() if v)
        limit = DEFAULT_ACCOUNT_LIMIT
    return Capacity(limit=limit, own=own, reserved_by_others=others,
                    max_reserved=max(0, limit - MIN_UNRESERVED - others), settings=settings)


def _record(name: str, setting: str, before: Any, after: Any, status: str, **extra: Any) -> dict:
    rec = {"function": short_name(name), "setting": setting, "qualifier": extra.pop("qualifier", None),
           "before": before, "after": after, "status": status}
    rec.update(extra)
    return rec


def set_reserved(aws: AwsSession, name: str, count: int, *,
                 confirm: Callable[[str], bool] | None = None) -> dict:
    """Set reserved concurrency, validated against the account. Re-setting is "unchanged".

    ``confirm(question)`` is asked before reserving 0 (which throttles every invocation); when it
    returns False nothing changes and the status is "cancelled".
    """
    count = parse_count(count, "--reserved")
    notes: list[str] = []
    before = get_reserved(aws, name)
    if before == count:
        return _record(name, "reserved", before, count, "unchanged", notes=notes)
    if count > (before or 0):
        cap = reserved_capacity(aws, name, own=before)
        if cap.settings.note:
            notes.append(cap.settings.note)
        if count > cap.max_reserved:
            raise UsageError(
                f"cannot reserve {count} for {short_name(name)}: only {cap.max_reserved} available "
                f"(account limit {cap.limit}{'' if cap.settings.available else ' assumed'}, reserved by other "
                f"functions {cap.reserved_by_others}, and AWS keeps {MIN_UNRESERVED} unreserved)",
                hint="lower --reserved, free other reservations ('lambdactl concurrency show'), "
                     "or ask AWS for a higher limit (Service Quotas)")
    if count == 0 and confirm is not None:
        if not confirm(f"Reserve 0 for {short_name(name)} (this throttles every invocation)"):
            return _record(name, "reserved", before, before, "cancelled", notes=notes)
    ClientError = _client_error()
    try:
        retry(lambda: aws.client("lambda").put_function_concurrency(
            FunctionName=name, ReservedConcurrentExecutions=count))
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise _function_not_found(name) from None
        if error_code(exc) in ("InvalidParameterValueException", "LimitExceededException"):
            msg = exc.response.get("Error", {}).get("Message", str(exc))
            raise UsageError(f"AWS refused reserved concurrency {count} for {short_name(name)}: {msg}",
                             hint="see 'lambdactl concurrency show' for what is available") from None
        raise
    after = get_reserved(aws, name)
    return _record(name, "reserved", before, after, "updated" if before is not None else "created",
                   notes=notes)


def clear_reserved(aws: AwsSession, name: str) -> dict:
    """Remove the reservation (the function uses the unreserved pool again). Idempotent."""
    before = get_reserved(aws, name)
    if before is None:
        return _record(name, "reserved", None, None, "unchanged")
    ClientError = _client_error()
    try:
        retry(lambda: aws.client("lambda").delete_function_concurrency(FunctionName=name))
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise _function_not_found(name) from None
        raise
    return _record(name, "reserved", before, get_reserved(aws, name), "cleared")


# --- provisioned concurrency --------------------------------------------------------------------

def _unsupported_error(operation: str) -> OperationError:
    return OperationError(f"this endpoint does not implement provisioned concurrency ({operation})",
                          hint="moto and some local emulators lack it; run against AWS")


def _qualifier_of(arn: str) -> str:
    # arn:aws:lambda:region:acct:function:name:qualifier
    parts = arn.split(":")
    return parts[7] if len(parts) > 7 else "$LATEST"


def _prov_record(c: dict, qualifier: str | None = None) -> dict:
    return {
        "qualifier": qualifier or _qualifier_of(c.get("FunctionArn", "")),
        "requested": c.get("RequestedProvisionedConcurrentExecutions"),
        "allocated": c.get("AllocatedProvisionedConcurrentExecutions"),
        "available": c.get("AvailableProvisionedConcurrentExecutions"),
        "status": c.get("Status"),
        "status_reason": c.get("StatusReason"),
        "last_modified": iso(c.get("LastModified")),
    }


def list_provisioned(aws: AwsSession, name: str) -> list[dict] | None:
    """Every provisioned-concurrency config of the function (records), or None when the endpoint
    does not implement the API."""
    from lambdactl.core.resources.functions import paginate

    ClientError = _client_error()
    try:
        out = [_prov_record(c) for c in paginate(aws.client("lambda"), "list_provisioned_concurrency_configs",
                                                 "ProvisionedConcurrencyConfigs", FunctionName=name)]
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise _function_not_found(name) from None
        if is_unsupported(exc):
            return None
        raise
    out.sort(key=lambda r: (not str(r["qualifier"]).isdigit(), int(r["qualifier"]) if str(r["qualifier"]).isdigit() else 0, r["qualifier"]))
    return out


def get_provisioned(aws: AwsSession, name: str, qualifier: str) -> dict | None:
    """The provisioned-concurrency config on one qualifier (a record), or None when there is none."""
    ClientError = _client_error()
    try:
        resp = retry(lambda: aws.client("lambda").get_provisioned_concurrency_config(
            FunctionName=name, Qualifier=qualifier))
    except ClientError as exc:
        code = error_code(exc)
        if code == _CONFIG_NOT_FOUND:
            return None
        if code == "ResourceNotFoundException":
            raise _function_not_found(name, qualifier) from None
        if is_unsupported(exc):
            raise _unsupported_error("GetProvisionedConcurrencyConfig") from None
        raise
    return _prov_record(resp, qualifier)


def check_provisioned_target(aws: AwsSession, name: str, qualifier: str) -> dict:
    """Check that ``qualifier`` may carry provisioned concurrency; return its configuration.

    Refuses $LATEST, a missing alias/version, an alias pointing at $LATEST and an alias with
    weighted routing (UsageError, exit 2): AWS attaches provisioned environments to exactly one
    version, so it rejects aliases that split traffic with ``AdditionalVersionWeights``.
    """
    ClientError = _client_error()
    validate_qualifier(qualifier)
    lam = aws.client("lambda")
    fname = short_name(name)
    if not qualifier.isdigit():
        try:
            alias = retry(lambda: lam.get_alias(FunctionName=name, Name=qualifier))
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise NotFoundError(f"alias not found: {fname}:{qualifier}",
                                    hint=f"'lambdactl versions {fname}' lists versions and aliases") from None
            raise
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        if weights:
            split = ", ".join(f"{w * 100:g}% to version {v}" for v, w in sorted(weights.items()))
            raise UsageError(
                f"alias {fname}:{qualifier} uses weighted routing ({split}); AWS does not allow "
                f"provisioned concurrency on an alias with AdditionalVersionWeights, because "
                f"provisioned environments are prepared for exactly one version",
                hint=f"finish or roll back the traffic shift first, or provision version "
                     f"{alias.get('FunctionVersion')} directly (--qualifier {alias.get('FunctionVersion')})")
        if alias.get("FunctionVersion") == "$LATEST":
            raise UsageError(f"alias {fname}:{qualifier} points at $LATEST; provisioned concurrency "
                             f"needs a published version",
                             hint="point the alias at a published version first")
    try:
        return retry(lambda: lam.get_function_configuration(FunctionName=name, Qualifier=qualifier))
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            if qualifier.isdigit():
                raise NotFoundError(f"version not found: {fname}:{qualifier}",
                                    hint=f"'lambdactl versions {fname}' lists the published versions") from None
            raise _function_not_found(name, qualifier) from None
        raise


def estimate_cost(memory_mb: int, count: int, architecture: str = "x86_64") -> dict:
    """Provisioned-concurrency cost estimate while configured (us-east-1 list price)."""
    from lambdactl.core.model import runtimes

    arch = architecture if architecture in runtimes.PRICE_PROVISIONED_GB_SECOND else "x86_64"
    price = runtimes.PRICE_PROVISIONED_GB_SECOND[arch]
    gb_s_hour = memory_mb / 1024 * count * 3600
    per_hour = gb_s_hour * price
    per_month = per_hour * HOURS_PER_MONTH
    text = (f"estimate: {count} × {memory_mb} MB provisioned = {gb_s_hour:,.0f} GB-s/hour ≈ "
            f"${per_hour:,.4f}/hour ≈ ${per_month:,.2f}/month ({HOURS_PER_MONTH} h), {arch} us-east-1 list "
            f"price ${price}/GB-s; invocations are billed on top")
    return {"estimate": True, "count": count, "memory_mb": memory_mb, "architecture": arch,
            "gb_seconds_per_hour": round(gb_s_hour, 3), "price_per_gb_second": price,
            "usd_per_hour": round(per_hour, 6), "usd_per_month": round(per_month, 2), "text": text}


def _sum_costs(costs: list[dict]) -> dict | None:
    if not costs:
        return None
    gb = sum(c["gb_seconds_per_hour"] for c in costs)
    hour = sum(c["usd_per_hour"] for c in costs)
    month = sum(c["usd_per_month"] for c in costs)
    count = sum(c["count"] for c in costs)
    text = (f"estimate: {count} provisioned environment{'s' if count != 1 else ''} = {gb:,.0f} GB-s/hour ≈ "
            f"${hour:,.4f}/hour ≈ ${month:,.2f}/month ({HOURS_PER_MONTH} h) at us-east-1 list prices; "
            f"invocations are billed on top")
    return {"estimate": True, "count": count, "gb_seconds_per_hour": round(gb, 3),
            "usd_per_hour": round(hour, 6), "usd_per_month": round(month, 2), "text": text}


def _memory_arch(cfg: dict) -> tuple[int, str]:
    return int(cfg.get("MemorySize") or 128), (cfg.get("Architectures") or ["x86_64"])[0]


def set_provisioned(aws: AwsSession, name: str, qualifier: str, count: int) -> dict:
    """Request ``count`` provisioned environments on an alias or version. Re-setting the same
    count (not FAILED) is "unchanged". Does not wait: see :func:`wait_provisioned`."""
    count = parse_count(count, "--provisioned", minimum=1)
    cfg = check_provisioned_target(aws, name, qualifier)    # validates the qualifier first
    memory, arch = _memory_arch(cfg)
    existing = list_provisioned(aws, name)
    if existing is None:
        raise _unsupported_error("ListProvisionedConcurrencyConfigs")
    current = next((p for p in existing if p["qualifier"] == qualifier), None)
    before = current["requested"] if current else None
    cost = estimate_cost(memory, count, arch)
    if current and before == count and current["status"] != PROVISIONED_FAILED:
        return _record(name, "provisioned", before, count, "unchanged", qualifier=qualifier,
                       provisioned_status=current["status"], allocated=current["allocated"],
                       available=current["available"], status_reason=current["status_reason"],
                       cost_estimate=cost)
    # Provisioned concurrency counts against the function's reserved concurrency when it has one.
    reserved = get_reserved(aws, name)
    if reserved is not None:
        others = sum(p["requested"] or 0 for p in existing if p["qualifier"] != qualifier)
        if others + count > reserved:
            raise UsageError(
                f"cannot provision {count} on {short_name(name)}:{qualifier}: the function reserves "
                f"{reserved} and other aliases/versions already hold {others} provisioned",
                hint=f"provision at most {max(0, reserved - others)}, or raise the reservation "
                     f"('lambdactl concurrency set {short_name(name)} --reserved N')")
    ClientError = _client_error()
    try:
        resp = retry(lambda: aws.client("lambda").put_provisioned_concurrency_config(
            FunctionName=name, Qualifier=qualifier, ProvisionedConcurrentExecutions=count))
    except ClientError as exc:
        code = error_code(exc)
        if code == "ResourceNotFoundException":
            raise _function_not_found(name, qualifier) from None
        if is_unsupported(exc):
            raise _unsupported_error("PutProvisionedConcurrencyConfig") from None
        if code in ("InvalidParameterValueException", "LimitExceededException"):
            msg = exc.response.get("Error", {}).get("Message", str(exc))
            raise UsageError(f"AWS refused provisioned concurrency {count} on {short_name(name)}:{qualifier}: {msg}",
                             hint="see 'lambdactl concurrency show' for what is available") from None
        raise
    rec = _prov_record(resp, qualifier)
    return _record(name, "provisioned", before, count, "updated" if current else "created",
                   qualifier=qualifier, provisioned_status=rec["status"], allocated=rec["allocated"],
                   available=rec["available"], status_reason=rec["status_reason"], cost_estimate=cost)


def wait_provisioned(aws: AwsSession, name: str, qualifier: str, *, timeout: float = 900,
                     interval: float = 2.0, max_interval: float = 10.0,
                     on_progress: Callable[[dict, float], None] | None = None) -> dict:
    """Poll until the config is READY (returns its record) or FAILED (OperationError, exit 1, with
    the StatusReason). ``on_progress(record, elapsed_s)`` is called after every poll."""
    t0 = time.monotonic()
    delay = interval
    while True:
        rec = get_provisioned(aws, name, qualifier)
        elapsed = time.monotonic() - t0
        if rec is None:
            raise NotFoundError(f"no provisioned concurrency on {short_name(name)}:{qualifier}",
                                hint="it may have been removed meanwhile; set it again")
        if on_progress is not None:
            on_progress(rec, elapsed)
        if rec["status"] == PROVISIONED_READY:
            return rec
        if rec["status"] == PROVISIONED_FAILED:
            raise OperationError(
                f"provisioned concurrency on {short_name(name)}:{qualifier} FAILED: "
                f"{rec.get('status_reason') or 'no reason given'}",
                hint="fix the cause (e.g. the function's init code or account limits) and re-run 'concurrency set'")
        if elapsed + delay > timeout:
            raise OperationError(
                f"timed out after {timeout:.0f}s waiting for provisioned concurrency on "
                f"{short_name(name)}:{qualifier} (status {rec['status']}, allocated "
                f"{rec.get('allocated')}/{rec.get('requested')})",
                hint="it keeps provisioning in the background; check with 'lambdactl concurrency show'")
        time.sleep(delay)
        delay = min(max_interval, delay * 1.5)


def clear_provisioned(aws: AwsSession, name: str, qualifier: str) -> dict:
    """Remove the provisioned-concurrency config from a qualifier. Idempotent ("unchanged")."""
    validate_qualifier(qualifier)
    current = get_provisioned(aws, name, qualifier)
    if current is None:
        return _record(name, "provisioned", None, None, "unchanged", qualifier=qualifier)
    ClientError = _client_error()
    try:
        retry(lambda: aws.client("lambda").delete_provisioned_concurrency_config(
            FunctionName=name, Qualifier=qualifier))
    except ClientError as exc:
        if error_code(exc) == _CONFIG_NOT_FOUND:
            return _record(name, "provisioned", None, None, "unchanged", qualifier=qualifier)
        if is_unsupported(exc):
            raise _unsupported_error("DeleteProvisionedConcurrencyConfig") from None
        raise
    return _record(name, "provisioned", current["requested"], None, "cleared", qualifier=qualifier)


# --- views --------------------------------------------------------------------------------------

def _account_record(settings: AccountSettings, own: int | None) -> dict:
    return {"limit": settings.limit, "unreserved": settings.unreserved,
            "reserved_by_other_functions": settings.reserved_by_others(own),
            "source": "GetAccountSettings" if settings.available else "unavailable"}


def show_function(aws: AwsSession, name: str, qualifier: str | None = None) -> dict:
    """Reserved concurrency, provisioned configs (per alias/version, with cost estimate) and the
    account figures for one function. ``qualifier`` limits the provisioned list to it."""
    ClientError = _client_error()
    notes: list[str] = []
    reserved = get_reserved(aws, name)
    settings = account_settings(aws)
    if settings.note:
        notes.append(settings.note)
    provisioned = list_provisioned(aws, name)
    costs: list[dict] = []
    if provisioned is None:
        notes.append("provisioned concurrency unknown (this endpoint does not implement "
                     "ListProvisionedConcurrencyConfigs)")
    else:
        if qualifier:
            provisioned = [p for p in provisioned if p["qualifier"] == qualifier]
        for p in provisioned:
            try:
                cfg = retry(lambda: aws.client("lambda").get_function_configuration(
                    FunctionName=name, Qualifier=p["qualifier"]))
                memory, arch = _memory_arch(cfg)
            except ClientError:
                memory, arch = None, None
            p["memory"] = memory
            p["architecture"] = arch
            if memory and p.get("requested"):
                cost = estimate_cost(memory, p["requested"], arch or "x86_64")
                p["usd_per_hour_estimate"] = cost["usd_per_hour"]
                costs.append(cost)
            else:
                p["usd_per_hour_estimate"] = None
    return {
        "function": short_name(name),
        "reserved": reserved,
        "provisioned": provisioned,
        "account": _account_record(settings, reserved),
        "cost_estimate": _sum_costs(costs),
        "notes": notes,
    }


def account_summary(aws: AwsSession, *, workers: int = 8) -> dict:
    """The account figures and every function that has reserved or provisioned concurrency.

    ``workers`` bounds the parallel per-function reads (1 = strictly in name order)."""
    from concurrent.futures import ThreadPoolExecutor

    notes: list[str] = []
    settings = account_settings(aws)
    if settings.note:
        notes.append(settings.note)
    names = _function_names(aws)
    reserved = _reserved_map(aws, names)
    prov: dict[str, list[dict] | None] = {}
    supported = True
    if names:
        first = _safe_list_provisioned(aws, names[0])
        if first is None:
            supported = False
            notes.append("provisioned concurrency unknown (this endpoint does not implement "
                         "ListProvisionedConcurrencyConfigs)")
        else:
            prov[names[0]] = first
            rest = names[1:]
            if rest and workers <= 1:
                prov.update((n, _safe_list_provisioned(aws, n)) for n in rest)
            elif rest:
                with ThreadPoolExecutor(max_workers=min(workers, len(rest))) as pool:
                    prov.update(zip(rest, pool.map(lambda n: _safe_list_provisioned(aws, n), rest)))
    functions = []
    for n in names:
        configs = prov.get(n) or []
        r = reserved.get(n)
        if r is None and not configs:
            continue
        functions.append({
            "name": n,
            "reserved": r,
            "provisioned": sum(p["requested"] or 0 for p in configs) if supported else None,
            "provisioned_configs": [{"qualifier": p["qualifier"], "requested": p["requested"],
                                     "status": p["status"]} for p in configs],
        })
    total_reserved = sum(v for v in reserved.values() if v)
    total_prov = sum(f["provisioned"] or 0 for f in functions) if supported else None
    account = {
        "limit": settings.limit, "unreserved": settings.unreserved,
        "reserved_total": total_reserved, "provisioned_total": total_prov,
        "function_count": len(names),
        "source": "GetAccountSettings" if settings.available else "unavailable",
    }
    return {"account": account, "functions": functions, "notes": notes}


def _safe_list_provisioned(aws: AwsSession, name: str) -> list[dict] | None:
    try:
        return list_provisioned(aws, name)
    except NotFoundError:   # deleted meanwhile
        return []


# --- the deploy planner -------------------------------------------------------------------------

def plan_concurrency(ctx: DeployContext) -> list[Step]:
    """Reconcile ``[concurrency]`` of the project file (read-only calls only).

    - no ``[concurrency]`` table, or ``options["code_only"]``: nothing is managed, no steps;
    - ``reserved = N``: a step when the function's reservation differs; without the key the
      reservation is left alone;
    - ``[[concurrency.provisioned]]`` entries: a step per qualifier whose requested count differs;
      when the key ``provisioned`` is present (even ``provisioned = []``) configs on other
      qualifiers are removed; without the key, other configs are left alone.
    Steps validate at apply time exactly like ``concurrency set`` (account capacity, $LATEST,
    weighted aliases); provisioned steps do not wait for READY unless ``options["wait"]``.
    """
    cc = getattr(ctx.project, "concurrency", None)
    if cc is None or ctx.options.get("code_only"):
        return []
    name = ctx.function_name
    exists = ctx.current is not None
    steps: list[Step] = []
    live = ctx.state.get("live")
    live = live.concurrency if live is not None else None    # read by plan_deploy's one read

    if cc.reserved is not None:
        current = (live.reserved if live is not None else get_reserved(ctx.aws, name)) if exists else None
        if current != cc.reserved:
            desired = cc.reserved
            note = " (throttles every invocation)" if desired == 0 else ""

            def apply_reserved(c: DeployContext, n: int = desired) -> None:
                c.state["concurrency_reserved"] = set_reserved(c.aws, c.function_name, n)

            steps.append(Step("concurrency", "update" if current is not None else "create",
                              f"function {short_name(name)}",
                              f"set reserved concurrency to {desired}{note}", apply_reserved,
                              [Change("reserved_concurrency", current, desired)]))

    raw = (getattr(ctx.project, "raw", None) or {}).get("concurrency") or {}
    manage_all = isinstance(raw, dict) and "provisioned" in raw
    if not cc.provisioned and not manage_all:
        return steps
    existing: list[dict] = []
    if exists:
        if live is not None:
            listed = None if live.provisioned is None else [p.to_dict() for p in live.provisioned]
        else:
            listed = list_provisioned(ctx.aws, name)
        existing = listed or []          # None: endpoint lacks the API; apply will say so
    by_q = {p["qualifier"]: p for p in existing}
    wait = bool(ctx.options.get("wait"))
    desired_q = set()
    for pc in cc.provisioned:
        desired_q.add(pc.qualifier)
        cur = by_q.get(pc.qualifier)
        before = cur["requested"] if cur else None
        if cur and before == pc.count and cur["status"] != PROVISIONED_FAILED:
            continue
        kind = "version" if pc.qualifier.isdigit() else "alias"

        def apply_prov(c: DeployContext, q: str = pc.qualifier, n: int = pc.count) -> None:
            rec = set_provisioned(c.aws, c.function_name, q, n)
            if wait:
                rec["provisioned_status"] = wait_provisioned(c.aws, c.function_name, q)["status"]
            c.state.setdefault("concurrency_provisioned", {})[q] = rec

        steps.append(Step("concurrency", "update" if cur else "create", f"{kind} {pc.qualifier}",
                          f"set provisioned concurrency on {kind} {pc.qualifier} to {pc.count}",
                          apply_prov, [Change(f"provisioned_concurrency.{pc.qualifier}", before, pc.count)]))
    if manage_all:
        for q, cur in by_q.items():
            if q in desired_q:
                continue
            kind = "version" if q.isdigit() else "alias"

            def apply_clear(c: DeployContext, q: str = q) -> None:
                clear_provisioned(c.aws, c.function_name, q)

            steps.append(Step("concurrency", "delete", f"{kind} {q}",
                              f"remove provisioned concurrency from {kind} {q}", apply_clear,
                              [Change(f"provisioned_concurrency.{q}", cur["requested"], None)]))
    return steps
