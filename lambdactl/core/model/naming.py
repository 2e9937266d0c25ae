"""Function references: name, full/partial ARN, ``name:qualifier``."""
from __future__ import annotations

import hashlib
import re

from lambdactl.errors import UsageError

_NAME = r"[A-Za-z0-9_-]{1,64}"
_QUAL = r"(\$LATEST|[A-Za-z0-9_-]{1,128})"
_FULL_ARN = re.compile(rf"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{{12}}:function:({_NAME})(?::{_QUAL})?$")
_PARTIAL_ARN = re.compile(rf"^\d{{12}}:function:({_NAME})(?::{_QUAL})?$")
_PLAIN = re.compile(rf"^({_NAME})(?::{_QUAL})?$")


def parse_function_ref(ref: str) -> tuple[str, str | None]:
    """Return (function_name_or_arn, qualifier). Full ARNs keep their ARN form (minus qualifier)."""
    ref = (ref or "").strip()
    m = _FULL_ARN.match(ref) or _PARTIAL_ARN.match(ref) or _PLAIN.match(ref)
    if m:
        qual = m.group(2)
        base = ref if qual is None else ref[: -(len(qual) + 1)]
        return base, qual
    raise UsageError(f"invalid function name {ref[:80]!r}" + ("…" if len(ref) > 80 else ""),
                     hint="a name (1-64 letters, digits, '-', '_'), an ARN, or name:qualifier")


_QUAL_RE = re.compile(rf"^{_QUAL}$")


def check_qualifier(qualifier: str, flag: str = "--qualifier") -> str:
    """A version number, ``$LATEST`` or an alias name; UsageError otherwise."""
    if not _QUAL_RE.match(qualifier or ""):
        raise UsageError(f"invalid {flag} {qualifier[:80]!r}" + ("…" if len(qualifier) > 80 else ""),
                         hint="a version number, $LATEST or an alias name (1-128 letters, digits, '-', '_')")
    return qualifier


def short_name(name_or_arn: str) -> str:
    """The bare function name from a name or ARN."""
    if ":function:" in name_or_arn:
        return name_or_arn.split(":function:", 1)[1].split(":", 1)[0]
    return name_or_arn


# --- the role lambdactl creates for a function -------------------------------------------------

ROLE_PREFIX = "lambdactl-"
ROLE_SUFFIX = "-role"


def auto_role_name(function: str) -> str:
    """``lambdactl-<function>-role``, shortened with a hash when over IAM's 64 characters."""
    name = f"{ROLE_PREFIX}{function}{ROLE_SUFFIX}"
    if len(name) <= 64:
        return name
    digest = hashlib.sha256(function.encode()).hexdigest()[:8]
    keep = 64 - len(ROLE_PREFIX) - len(ROLE_SUFFIX) - len(digest) - 1
    return f"{ROLE_PREFIX}{function[:keep]}-{digest}{ROLE_SUFFIX}"
