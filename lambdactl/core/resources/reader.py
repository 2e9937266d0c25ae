"""The ONE reader of a function's live state: :func:`read_function` → :class:`FunctionState`.

It reads exactly the :class:`~lambdactl.core.model.Areas` the caller asks for, and does the
independent reads concurrently (botocore clients are thread-safe; ``AwsSession.client`` caches
one per service and region behind a lock):

1. ``GetFunction`` (always; configuration, code identity, tags and reserved concurrency in one
   call). A missing function → ``None``, and no other call is made.
2. In parallel, per area asked: ``ListVersionsByFunction``, ``ListAliases``,
   ``ListProvisionedConcurrencyConfigs``, ``GetFunctionEventInvokeConfig``,
   ``GetFunctionUrlConfig``, ``ListEventSourceMappings``, ``GetPolicy`` (for permissions, S3, SNS
   and the URL's permissions) and ``ListEventBuses``.
3. In parallel, what those name: the tags of each mapping (``lambdactl:managed``), each bucket's
   notification configuration (buckets named by ``s3.amazonaws.com`` statements of the policy),
   each topic's subscriptions (topics named by ``sns.amazonaws.com`` statements; every
   subscription of the account when a statement is not pinned to a topic), and the rules that
   target the function on every event bus.
4. In parallel: each rule's definition and targets, each confirmed subscription's attributes.

Triggers are resolved the way ``trigger list`` (core/triggers.py) resolves them, with its
helpers; a trigger matches when it invokes exactly :attr:`FunctionState.target_arn`.
Reads of other services that are denied (or whose resource is gone) leave a note in
:attr:`FunctionState.notes` instead of failing the whole read; Lambda's own errors propagate.
"""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable

from lambdactl.aws import AwsSession, error_code, retry
from lambdactl.core.model import (Alias, Areas, AsyncConfig, CodeIdentity, Concurrency, Configuration,
                                  FunctionState, Layer, Permission, Provisioned, Trigger, Version, Vpc)
from lambdactl.errors import NotFoundError
from lambdactl.fmt import iso

DEFAULT_WORKERS = 8
POLICY_AREAS = Areas.PERMISSIONS | Areas.S3 | Areas.SNS | Areas.URL
_DENIED = {"AccessDenied", "AccessDeniedException", "AuthorizationError", "AuthorizationErrorException",
           "UnauthorizedOperation"}


# --- the entry point ------------------------------------------------------------------------------

def read_function(aws: AwsSession, name: str, areas: Areas | str | Iterable[str] = Areas.ALL, *,
                  qualifier: str | None = None, workers: int = DEFAULT_WORKERS,
                  function: dict | None = None) -> FunctionState | None:
    """The live state of ``name`` (a name, ARN or ``name:qualifier``) for ``areas``; ``None`` when
    the function (or the qualifier) does not exist.

    ``qualifier`` (or one in ``name``) selects the version/alias whose configuration, triggers,
    permissions, URL and async config are read; versions, aliases and concurrency are the
    function's. ``areas`` may be flags or names (``"config,aliases"``). ``function`` is a
    ``GetFunction`` response the caller already has (for that qualifier): then it is not read again
    (a deploy reads the function first, then decides which other areas its project needs).
    """
    from lambdactl.core.model.naming import parse_function_ref

    if not isinstance(areas, Areas):
        areas = Areas.parse(areas)
    if qualifier is None:
        name, qualifier = parse_function_ref(name)
    if qualifier == "$LATEST":
        qualifier = None
    got = function if function is not None else _get_function(aws, name, qualifier)
    if got is None:
        return None
    return _Read(aws, got, qualifier, areas, workers).run()


def _get_function(aws: AwsSession, name: str, qualifier: str | None) -> dict | None:
    from botocore.exceptions import ClientError

    kw: dict[str, Any] = {"FunctionName": name}
    if qualifier:
        kw["Qualifier"] = qualifier
    lam = aws.client("lambda")
    try:
        return retry(lambda: lam.get_function(**kw))
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise


# --- the read ---------------------------------------------------------------------------------------

class _Read:
    """One read: the phases of :func:`read_function`, each phase's calls in parallel."""

    def __init__(self, aws: AwsSession, got: dict, qualifier: str | None, areas: Areas, workers: int):
        from lambdactl.core.resources.triggers.base import target_from_configuration

        self.aws = aws
        self.got = got
        self.cfg = got["Configuration"]
        self.name = self.cfg["FunctionName"]
        self.qualifier = qualifier
        self.target = target_from_configuration(self.cfg, qualifier)   # .arn: what triggers invoke
        self.areas = areas
        self.workers = max(1, workers)
        self._notes: list[str] = []
        self._lock = threading.Lock()

    def note(self, text: str) -> None:
        with self._lock:
            self._notes.append(text)

    def parallel(self, tasks: dict[Any, Callable[[], Any]]) -> dict[Any, Any]:
        """Run the tasks concurrently; results by key. The first failure is raised."""
        if not tasks:
            return {}
        if len(tasks) == 1 or self.workers == 1:
            return {k: fn() for k, fn in tasks.items()}
        with ThreadPoolExecutor(max_workers=min(self.workers, len(tasks)),
                                thread_name_prefix="lambdactl-read") as pool:
            futures = {k: pool.submit(fn) for k, fn in tasks.items()}
            return {k: f.result() for k, f in futures.items()}

    def soft(self, what: str, fn: Callable[[], Any], default: Any = None) -> Callable[[], Any]:
        """``fn`` as a task whose denied/missing reads of another service become a note."""
        from botocore.exceptions import ClientError

        def run():
            try:
                return fn()
            except NotFoundError:
                return default
            except ClientError as exc:
                code = error_code(exc)
                if code in _DENIED or code in ("NoSuchBucket", "NotFound", "ResourceNotFoundException"):
                    self.note(f"could not read {what} ({code})")
                    return default
                raise
        return run

    def want(self, area: Areas) -> bool:
        return bool(self.areas & area)

    # -- phases --
    def run(self) -> FunctionState:
        a = self.areas
        lam = self.aws.client("lambda")
        first: dict[str, Callable[[], Any]] = {}
        if a & Areas.VERSIONS:
            from lambdactl.core.resources.versions import get_versions

            first["versions"] = lambda: get_versions(self.aws, self.name)
        if a & Areas.ALIASES:
            from lambdactl.core.resources.versions import get_aliases

            first["aliases"] = lambda: get_aliases(self.aws, self.name)
        if a & Areas.CONCURRENCY:
            from lambdactl.core.resources.concurrency import list_provisioned

            first["provisioned"] = lambda: list_provisioned(self.aws, self.name)
        if a & Areas.ASYNC:
            first["async"] = self._event_invoke_config
        if a & Areas.URL:
            from lambdactl.core.resources.triggers.url import get_url_config

            first["url"] = lambda: get_url_config(self.aws, self.target)
        if a & Areas.MAPPINGS:
            from lambdactl.core.resources.functions import list_event_source_mappings

            first["mappings"] = lambda: list_event_source_mappings(self.aws, self.target.ref)
        if a & POLICY_AREAS:
            first["policy"] = self._policy
        if a & Areas.RULES:
            first["buses"] = self.soft("the EventBridge buses", self._buses, ["default"])
        r1 = self.parallel(first)
        policy: list[dict] = r1.get("policy") or []

        second: dict[tuple, Callable[[], Any]] = {}
        for m in r1.get("mappings") or []:
            if m.get("EventSourceMappingArn"):
                second[("esm-tags", m["UUID"])] = self._mapping_tags(lam, m["EventSourceMappingArn"])
        if a & Areas.S3:
            for bucket in self._policy_buckets(policy):
                second[("bucket", bucket)] = self._notifications(bucket)
        topics: list[str] = []
        if a & Areas.SNS:
            topics, unpinned = self._policy_topics(policy)
            for topic in topics:
                second[("topic", topic)] = self._topic_subscriptions(topic)
            if unpinned:
                second[("all-subscriptions",)] = self.soft("the SNS subscriptions", self._all_subscriptions, [])
        for bus in r1.get("buses") or []:
            second[("rules", bus)] = self.soft(f"the EventBridge rules on bus {bus}",
                                               self._rule_names(bus), [])
        r2 = self.parallel(second)

        third: dict[tuple, Callable[[], Any]] = {}
        for (kind, *rest), value in r2.items():
            if kind == "rules":
                for rule in value:
                    third[("rule", rest[0], rule)] = self._rule(rest[0], rule)
        subs = self._subscriptions(r2, topics)
        for s in subs:
            if not (s.get("SubscriptionArn") or "pending").lower().startswith("pending"):
                third[("sub-attrs", s["SubscriptionArn"])] = self.soft(
                    f"the attributes of subscription {s['SubscriptionArn']}", self._sub_attributes(s), {})
        r3 = self.parallel(third)
        return self._build(r1, r2, r3, subs, policy)

    # -- phase-1 reads --
    def _event_invoke_config(self) -> dict | None:
        from botocore.exceptions import ClientError

        kw: dict[str, Any] = {"FunctionName": self.name}
        if self.qualifier:
            kw["Qualifier"] = self.qualifier
        lam = self.aws.client("lambda")
        try:
            return retry(lambda: lam.get_function_event_invoke_config(**kw))
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise

    def _policy(self) -> list[dict]:
        from lambdactl.core.resources.functions import get_policy
        from lambdactl.core.resources.permissions import parse_statement

        doc = retry(lambda: get_policy(self.aws, self.name, self.qualifier))
        sts = doc.get("Statement") or []
        return [parse_statement(st) for st in ([sts] if isinstance(sts, dict) else sts)]

    def _buses(self) -> list[str]:
        from lambdactl.core.resources.triggers.rules import list_buses

        return list_buses(self.aws)

    # -- phase-2 reads --
    def _mapping_tags(self, lam, arn: str) -> Callable[[], dict]:
        from lambdactl.core.resources.triggers.mappings import mapping_tags

        return lambda: mapping_tags(self.aws, arn)

    @staticmethod
    def _policy_buckets(policy: list[dict]) -> list[str]:
        from lambdactl.core.resources.triggers.s3 import policy_buckets

        return policy_buckets(policy)

    def _notifications(self, bucket: str) -> Callable[[], dict]:
        from lambdactl.core.resources.triggers.s3 import get_notifications

        return self.soft(f"the notification configuration of bucket {bucket}",
                         lambda: get_notifications(self.aws, bucket), {})

    @staticmethod
    def _policy_topics(policy: list[dict]) -> tuple[list[str], bool]:
        from lambdactl.core.resources.triggers.sns import policy_topics

        return policy_topics(policy)

    def _topic_subscriptions(self, topic: str) -> Callable[[], list[dict]]:
        from lambdactl.core.resources.triggers.sns import topic_subscriptions

        return self.soft(f"the subscriptions of topic {topic}", lambda: topic_subscriptions(self.aws, topic), [])

    def _all_subscriptions(self) -> list[dict]:
        from lambdactl.core.resources.triggers.sns import all_subscriptions

        return all_subscriptions(self.aws)

    def _rule_names(self, bus: str) -> Callable[[], list[str]]:
        from lambdactl.core.resources.triggers.rules import rule_names

        return lambda: rule_names(self.aws, self.target.arn, bus)

    def _subscriptions(self, r2: dict, topics: list[str]) -> list[dict]:
        """This function's SNS subscriptions, one per topic and subscription ARN."""
        from lambdactl.core.resources.triggers.sns import own_subscriptions

        candidates = [s for t in topics for s in r2.get(("topic", t)) or []]
        candidates += r2.get(("all-subscriptions",)) or []
        return own_subscriptions(candidates, self.target.arn)

    # -- phase-3 reads --
    def _rule(self, bus: str, name: str) -> Callable[[], tuple[dict | None, list[dict]]]:
        from lambdactl.core.resources.triggers.rules import read_rule

        return self.soft(f"EventBridge rule {name} on bus {bus}", lambda: read_rule(self.aws, bus, name), (None, []))

    def _sub_attributes(self, s: dict) -> Callable[[], dict]:
        from lambdactl.core.resources.triggers.sns import subscription_attributes

        return lambda: subscription_attributes(self.aws, s)

    # -- the model --
    def _build(self, r1: dict, r2: dict, r3: dict, subs: list[dict], policy: list[dict]) -> FunctionState:
        a = self.areas
        cfg, got = self.cfg, self.got
        filled = a | Areas.FUNCTION
        triggers: list[Trigger] = []
        used: dict[str, str] = {}          # statement id -> trigger key

        if a & Areas.MAPPINGS:
            from lambdactl.core.resources.triggers import mappings

            tags = {k[1]: v for k, v in r2.items() if k[0] == "esm-tags"}
            triggers += mappings.live(r1.get("mappings") or [], tags)
        if a & Areas.S3:
            triggers += self._s3_triggers(r2, policy, used)
        if a & Areas.RULES:
            triggers += self._rule_triggers(r3, policy, used)
        if a & Areas.SNS:
            triggers += self._sns_triggers(subs, r3, policy, used)
        if a & Areas.URL:
            triggers += self._url_trigger(r1.get("url"), policy, used)

        concurrency = None
        if a & Areas.CONCURRENCY:
            provisioned = r1.get("provisioned")
            reserved = (got.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
            concurrency = Concurrency(
                reserved=reserved,
                provisioned=None if provisioned is None else tuple(Provisioned(**p) for p in provisioned))
        async_config = async_settings(r1.get("async"), cfg) if a & Areas.ASYNC else None
        permissions = None
        if "policy" in r1:
            filled |= Areas.PERMISSIONS
            permissions = tuple(permission(r, used.get(r["statement_id"])) for r in policy)
        base = self.target.arn.rsplit(":", 1)[0] if self.qualifier else self.target.arn
        return FunctionState(
            name=self.name, arn=base, qualifier=self.qualifier, areas=filled,
            configuration=configuration(cfg), code=code_identity(cfg, got.get("Code")),
            tags=dict(got.get("Tags") or {}),
            versions=tuple(version(v) for v in r1["versions"]) if "versions" in r1 else None,
            aliases=tuple(alias(x) for x in r1["aliases"]) if "aliases" in r1 else None,
            triggers=tuple(triggers) if a & Areas.TRIGGERS else None,
            permissions=permissions, concurrency=concurrency, async_config=async_config,
            notes=tuple(self._notes))

    def _s3_triggers(self, r2: dict, policy: list[dict], used: dict[str, str]) -> list[Trigger]:
        from lambdactl.core.resources.triggers import s3

        docs = {k[1]: v for k, v in r2.items() if k[0] == "bucket"}
        return s3.live(self.target.arn, docs, policy, used)

    def _rule_triggers(self, r3: dict, policy: list[dict], used: dict[str, str]) -> list[Trigger]:
        from lambdactl.core.resources.triggers import rules

        found = {(k[1], k[2]): v for k, v in r3.items() if k[0] == "rule"}
        return rules.live(self.aws, self.target.arn, found, policy, used)

    def _sns_triggers(self, subs: list[dict], r3: dict, policy: list[dict], used: dict[str, str]) -> list[Trigger]:
        from lambdactl.core.resources.triggers import sns

        attrs = {k[1]: v for k, v in r3.items() if k[0] == "sub-attrs"}
        return sns.live(subs, attrs, policy, used)

    def _url_trigger(self, url: dict | None, policy: list[dict], used: dict[str, str]) -> list[Trigger]:
        from lambdactl.core.resources.triggers import url as function_url

        return function_url.live(url, policy, used)


# --- API shapes → model (pure) ------------------------------------------------------------------

def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _snake(d: dict | None, keys: dict[str, str]) -> dict | None:
    if not d:
        return None
    out = {new: d[old] for old, new in keys.items() if d.get(old) is not None}
    return out or None


def configuration(cfg: dict) -> Configuration:
    vpc = cfg.get("VpcConfig") or {}
    image = (cfg.get("ImageConfigResponse") or {}).get("ImageConfig")
    return Configuration(
        name=cfg["FunctionName"], arn=cfg.get("FunctionArn"), runtime=cfg.get("Runtime"),
        handler=cfg.get("Handler"), architecture=(cfg.get("Architectures") or ["x86_64"])[0],
        memory=cfg.get("MemorySize", 128), timeout=cfg.get("Timeout", 3),
        ephemeral_storage=(cfg.get("EphemeralStorage") or {}).get("Size", 512), role=cfg.get("Role"),
        description=cfg.get("Description") or "",
        environment=dict((cfg.get("Environment") or {}).get("Variables") or {}),
        layers=tuple(Layer(x["Arn"], x.get("CodeSize")) for x in cfg.get("Layers") or []),
        tracing=(cfg.get("TracingConfig") or {}).get("Mode") or "PassThrough",
        kms_key=cfg.get("KMSKeyArn") or None,
        vpc=Vpc(tuple(vpc.get("SubnetIds") or ()), tuple(vpc.get("SecurityGroupIds") or ()),
                bool(vpc.get("Ipv6AllowedForDualStack", False))) if vpc.get("SubnetIds") else None,
        dead_letter=(cfg.get("DeadLetterConfig") or {}).get("TargetArn") or None,
        image_config=_snake(image, {"EntryPoint": "entry_point", "Command": "command",
                                    "WorkingDirectory": "working_directory"}),
        logging=_snake(cfg.get("LoggingConfig"), {"LogFormat": "log_format", "LogGroup": "log_group",
                                                  "ApplicationLogLevel": "application_log_level",
                                                  "SystemLogLevel": "system_log_level"}),
        file_systems=tuple((f.get("Arn"), f.get("LocalMountPath")) for f in cfg.get("FileSystemConfigs") or []),
        snap_start=_snap_start(cfg),
        version=cfg.get("Version"), state=cfg.get("State"), state_reason=cfg.get("StateReason"),
        last_update_status=cfg.get("LastUpdateStatus"),
        last_update_status_reason=cfg.get("LastUpdateStatusReason"),
        last_modified=iso(cfg.get("LastModified")), revision_id=cfg.get("RevisionId"))


def _snap_start(cfg: dict) -> str | None:
    """SnapStart's ApplyOn; "None" (the API's word for off) is None."""
    apply_on = (cfg.get("SnapStart") or {}).get("ApplyOn")
    return apply_on if apply_on and apply_on != "None" else None


def code_identity(cfg: dict, code: dict | None = None) -> CodeIdentity:
    code = code or {}
    return CodeIdentity(package_type=cfg.get("PackageType") or "Zip", sha256=cfg.get("CodeSha256"),
                        size=cfg.get("CodeSize"), image_uri=code.get("ImageUri"),
                        resolved_image_uri=code.get("ResolvedImageUri"),
                        repository_type=code.get("RepositoryType"), location=code.get("Location"))


def version(v: dict) -> Version:
    return Version(version=str(v["Version"]), configuration=configuration(v), code=code_identity(v),
                   description=v.get("Description") or "", arn=v.get("FunctionArn"),
                   last_modified=iso(v.get("LastModified")))


def alias(a: dict) -> Alias:
    weights = (a.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    return Alias(name=a["Name"], version=str(a["FunctionVersion"]),
                 weights={str(k): float(w) for k, w in weights.items()},
                 description=a.get("Description") or "", arn=a.get("AliasArn"), revision_id=a.get("RevisionId"))


def permission(r: dict, used_by: str | None = None) -> Permission:
    """A parsed statement (``permissions.parse_statement``) as the model's Permission."""
    return Permission(statement_id=r["statement_id"], principal=r["principal"] or "",
                      action=r["action"] or "", effect=r["effect"] or "Allow", source_arn=r["source_arn"],
                      source_account=r["source_account"], conditions=dict(r["conditions"] or {}),
                      managed=bool(r["managed"]), used_by=used_by)


def async_settings(resp: dict | None, cfg: dict) -> AsyncConfig:
    from lambdactl.core.resources.asyncconfig import async_record

    rec = async_record(resp)
    return AsyncConfig(max_retries=rec["max_retries"], max_event_age=rec["max_event_age"],
                       on_success=rec["on_success"], on_failure=rec["on_failure"],
                       dead_letter=(cfg.get("DeadLetterConfig") or {}).get("TargetArn") or None,
                       configured=resp is not None, last_modified=iso((resp or {}).get("LastModified")))
