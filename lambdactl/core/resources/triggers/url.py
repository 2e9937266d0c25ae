"""The function URL: its configuration (auth, CORS, invoke mode) and, for auth NONE, the two public
``lambdactl-`` statements that let anyone invoke it."""
from __future__ import annotations

from typing import Any

from lambdactl.core.model.triggerspec import TriggerSpec
from lambdactl.core.resources.permissions import PermissionSpec, ensure_permission, read_policy, remove_managed
from lambdactl.core.resources.triggers.base import Target, Trigger, TriggerKind, _bump, _result


def url_permissions(target: Target) -> list[PermissionSpec]:
    """The two statements a public (AuthType NONE) function URL needs."""
    return [PermissionSpec("*", "lambda:InvokeFunctionUrl", qualifier=target.qualifier, function_url_auth_type="NONE"),
            PermissionSpec("*", "lambda:InvokeFunction", qualifier=target.qualifier, invoked_via_function_url=True)]


def is_url_statement(r: dict) -> bool:
    conds = {k.lower() for k in (r.get("conditions") or {})}
    return bool(conds & {"lambda:functionurlauthtype", "lambda:invokedviafunctionurl"})


def _norm_cors(c: dict | None) -> dict | None:
    if not c:
        return None
    out = {}
    for k, v in c.items():
        if v in (None, [], False) or (k == "MaxAge" and v == 0):
            continue
        out[k] = sorted(v) if isinstance(v, list) else v
    return out or None


def url_kw(target: Target) -> dict[str, Any]:
    """FunctionName (+ Qualifier) for the function URL APIs."""
    kw: dict[str, Any] = {"FunctionName": target.name}
    if target.qualifier:
        kw["Qualifier"] = target.qualifier
    return kw


def get_url_config(aws, target: Target) -> dict | None:
    from botocore.exceptions import ClientError

    from lambdactl.aws import retry

    lam = aws.client("lambda")
    kw = url_kw(target)
    try:
        return retry(lambda: lam.get_function_url_config(**kw))
    except ClientError as exc:
        if exc.response["Error"].get("Code") == "ResourceNotFoundException":
            return None
        raise


def _ensure_url(aws, target: Target, spec: TriggerSpec, dry_run: bool) -> dict:
    from lambdactl.aws import retry

    o = spec.opts
    lam = aws.client("lambda")
    kw = url_kw(target)
    cur = get_url_config(aws, target)
    changes: list[tuple] = []
    url = cur.get("FunctionUrl") if cur else None
    if cur is None:
        status = "created"
        changes.append(("url", None, o["auth"]))
        if not dry_run:
            args = dict(kw, AuthType=o["auth"], InvokeMode=o["invoke_mode"])
            if o["cors"]:
                args["Cors"] = o["cors"]
            url = retry(lambda: lam.create_function_url_config(**args)).get("FunctionUrl")
    else:
        status = "unchanged"
        if cur.get("AuthType") != o["auth"]:
            changes.append(("auth", cur.get("AuthType"), o["auth"]))
        if (cur.get("InvokeMode") or "BUFFERED") != o["invoke_mode"]:
            changes.append(("invoke_mode", cur.get("InvokeMode") or "BUFFERED", o["invoke_mode"]))
        if _norm_cors(cur.get("Cors")) != _norm_cors(o["cors"]):
            changes.append(("cors", cur.get("Cors") or None, o["cors"]))
        if changes:
            status = "updated"
            if not dry_run:
                args = dict(kw, AuthType=o["auth"], InvokeMode=o["invoke_mode"], Cors=o["cors"] or {})
                url = retry(lambda: lam.update_function_url_config(**args)).get("FunctionUrl") or url
    perms = []
    policy = read_policy(aws, target.name, target.qualifier)
    if o["auth"] == "NONE":
        for ps in url_permissions(target):
            p = ensure_permission(aws, target.name, ps, dry_run=dry_run, policy=policy)
            perms.append(p)
            status = _bump(status, p, changes)
    else:
        removed = remove_managed(aws, target.name, policy, is_url_statement, target.qualifier, dry_run=dry_run)
        for sid in removed:
            perms.append({"statement_id": sid, "status": "deleted"})
            changes.append(("permission", sid, None))
            if status == "unchanged":
                status = "updated"
    return _result(target, "url", "url", url or "(new URL)", status, perms, changes, url=url,
                   auth=o["auth"], cors=o["cors"], invoke_mode=o["invoke_mode"])


def url_goes_public(result: dict) -> bool:
    """True when an :func:`ensure` record of a url trigger makes (or would make) the function
    invokable by anyone: a URL with auth NONE created, switched to NONE, or given its public
    permission statements."""
    return result.get("kind") == "url" and result.get("auth") == "NONE" and \
        any(c["field"] in ("url", "auth", "permission") for c in result.get("changes") or [])


def public_url_warning(function: str, url: str | None, when: str = "now") -> str:
    """The warning for a public function URL; ``when``: "before" (asking), "now" (just made
    public) or "still" (it already was)."""
    verb = {"before": "will be", "now": "is now", "still": "is"}[when]
    where = f": {url}" if url else " (at its new function URL)"
    return (f"{function} {verb} invokable by anyone on the internet, without credentials{where} "
            f"(function URL with auth NONE)")


def _read(aws, target: Target, policy: list[dict], consumed: set[str]) -> list[Trigger]:
    cfg = get_url_config(aws, target)
    if cfg is None:
        return []
    stmts = [r for r in policy if is_url_statement(r)]
    consumed.update(r["statement_id"] for r in stmts)
    details = {"auth": cfg.get("AuthType"), "invoke_mode": cfg.get("InvokeMode") or "BUFFERED"}
    if cfg.get("Cors"):
        details["cors"] = cfg["Cors"]
    return [Trigger("url", "url", cfg.get("FunctionUrl") or "-", "enabled", any(r["managed"] for r in stmts),
                    details, key="url", ref={"how": "url"})]


def _remove(aws, target: Target, t: Trigger) -> tuple[list[str], dict]:
    from lambdactl.aws import retry

    lam = aws.client("lambda")
    kw = url_kw(target)
    retry(lambda: lam.delete_function_url_config(**kw))
    policy = read_policy(aws, target.name, target.qualifier)
    return remove_managed(aws, target.name, policy, is_url_statement, target.qualifier), {}


class UrlKind(TriggerKind):
    kinds = ("url",)
    how = "url"

    def key(self, target, spec):
        return "url"

    def ensure(self, aws, target, spec, dry_run, *, ignore_ids=frozenset(), replace=False):
        return _ensure_url(aws, target, spec, dry_run)

    def read(self, aws, target, policy, consumed):
        return _read(aws, target, policy, consumed)

    def remove(self, aws, target, t):
        return _remove(aws, target, t)


KIND = UrlKind()


# --- the live state (read by core/resources/reader.py) -----------------------------------------------

def url_trigger(url: dict, *, managed: bool = False):
    """A ``GetFunctionUrlConfig`` response as the model's UrlTrigger."""
    from lambdactl.core.model import Cors, UrlTrigger
    from lambdactl.fmt import iso

    c = url.get("Cors") or None
    cors = Cors(allow_origins=tuple(c.get("AllowOrigins") or ()), allow_methods=tuple(c.get("AllowMethods") or ()),
                allow_headers=tuple(c.get("AllowHeaders") or ()), expose_headers=tuple(c.get("ExposeHeaders") or ()),
                max_age=c.get("MaxAge"), allow_credentials=c.get("AllowCredentials")) if c else None
    return UrlTrigger(auth=url.get("AuthType") or "AWS_IAM", invoke_mode=url.get("InvokeMode") or "BUFFERED",
                      cors=cors, url=url.get("FunctionUrl"), managed=managed,
                      created=iso(url.get("CreationTime")), last_modified=iso(url.get("LastModifiedTime")))


def live(url: dict | None, policy: list[dict], used: dict[str, str]) -> list:
    if url is None:
        return []
    stmts = [r for r in policy if is_url_statement(r)]
    for r in stmts:
        used.setdefault(r["statement_id"], "url")
    return [url_trigger(url, managed=any(r["managed"] for r in stmts))]
