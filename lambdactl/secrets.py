"""Secret masking: the one place for the rules (foundation: imports nothing of lambdactl).

Every view that prints environment values (info, diff, deploy/config plans and results, export)
and every error line that echoes AWS's message goes through mask_value / mask_env / mask_text.
"""
from __future__ import annotations

import re

# --- secret masking: the one place for the rules --------------------------------------------
# Every view that prints environment values (info, diff, deploy/config plans and results, export)
# and every error line that echoes AWS's message goes through mask_value / mask_env / mask_text.
#
# Names. Long words match anywhere in the name, case-insensitively (DB_PASSWORD, MYSECRET,
# githubToken): over-masking is the safe error, so BYPASS_CACHE is masked too. Short words match
# only as a whole word of the name, split at '_', '-', '.' and camelCase: STRIPE_SK, SK_LIVE,
# SENTRY_DSN, BASIC_AUTH, API_KEY, KEY_ID, apiKey are masked; TASK_QUEUE, DISK_SIZE, ASK, AUTHOR,
# MONKEY and KEYBOARD_LAYOUT are not (a word that merely contains KEY is not a key).
#
# Values, whatever the name: a URL with a password keeps everything but the password
# (postgres://admin:****@host/db); a PEM private key, an AWS access key id (AKIA…/ASIA…), an AWS
# secret access key (40 base64 characters), a Stripe key (sk_live_…), a GitHub token (ghp_…,
# github_pat_…), a Slack token (xoxb-…), a Google API key (AIza…) and a JWT are replaced by ****.
MASK = "****"
SECRET_SUBSTRINGS = ("PASS", "PWD", "SECRET", "TOKEN", "CREDENTIAL", "PRIVATE", "SIGNATURE", "COOKIE",
                     "SESSION")
SECRET_WORDS = frozenset({
    "KEY", "KEYS", "SK", "DSN", "AUTH", "OAUTH", "AUTHORIZATION",
    # the usual glued spellings of "... key"
    "APIKEY", "ACCESSKEY", "ACCESSKEYID", "KEYID", "SIGNINGKEY", "ENCRYPTIONKEY", "MASTERKEY",
    "LICENSEKEY", "CLIENTKEY", "HMACKEY",
})
_NAME_WORDS_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_URL_PASSWORD_RE = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@]*:)([^\s@/]+)(?=@)")
_PRIVATE_KEY_RE = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----[\s\S]*?"
                             r"(?:-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\Z)")
_TOKEN_RES = (
    re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])"),    # AWS access key id
    re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{10,}"),                            # Stripe
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{30,}"),        # GitHub
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),                                   # Slack
    re.compile(r"\bAIza[0-9A-Za-z_\-]{35}"),                                          # Google API key
    re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"),    # JWT
)
_AWS_SECRET_RE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
# NAME=value pairs in text: inside a {...} map as AWS echoes one ('{DB_PASS=x y, STAGE=dev}': a
# value runs to the next ", NAME=" or the brace), else up to a delimiter; and "NAME": "value" JSON.
_MAP_RE = re.compile(r"\{([^{}]*=[^{}]*)\}")
_MAP_SPLIT_RE = re.compile(r", (?=[A-Za-z_][A-Za-z0-9_]*=)")
_PAIR_RE = re.compile(r"\b([A-Za-z_][A-Za-z0-9_.\-]*)=([^\s,;&'\"}\]]+)")
_PLACEHOLDERS = frozenset({"VALUE", "V", "VAL", MASK})     # "expected KEY=VALUE" names a form, not a secret
_JSON_PAIR_RE = re.compile(r'"([A-Za-z_][A-Za-z0-9_.\-]*)"(\s*:\s*)"((?:[^"\\]|\\.)*)"')


def is_secret_name(name: str) -> bool:
    """Whether a variable named ``name`` holds a secret (see the rules above)."""
    upper = name.upper()
    if any(s in upper for s in SECRET_SUBSTRINGS):
        return True
    return any(w.upper() in SECRET_WORDS for w in _NAME_WORDS_RE.findall(name))


def _aws_secret(m: re.Match) -> str:
    s = m.group(0)
    shaped = (any(c.isupper() for c in s) and any(c.islower() for c in s) and any(c.isdigit() for c in s)
              and not s.startswith("/") and not s.endswith("/") and s.count("/") <= 4)
    return MASK if shaped else s


def mask_shapes(text: str) -> str:
    """``text`` with secret-shaped parts masked: URL passwords, private keys, well-known tokens."""
    if not text or not isinstance(text, str):
        return text
    text = _PRIVATE_KEY_RE.sub(MASK, text)
    text = _URL_PASSWORD_RE.sub(lambda m: m.group(1) + MASK, text)
    for rx in _TOKEN_RES:
        text = rx.sub(MASK, text)
    return _AWS_SECRET_RE.sub(_aws_secret, text)


def mask_value(name: str, value, show: bool = False):
    """One environment value as a view shows it: ``****`` for a secret name, else ``value`` with
    its secret-shaped parts masked. Empty and None values stay as they are."""
    if show or not value or not isinstance(value, str):
        return value
    if is_secret_name(name):
        return MASK
    return mask_text(value)


def mask_env(env: dict[str, str] | None, show: bool = False) -> dict[str, str]:
    if not env:
        return {}
    return {k: mask_value(k, v, show) for k, v in env.items()}


def mask_text(text: str, show: bool = False) -> str:
    """Free text (an AWS error message, a value): secret-shaped parts and the values of
    secret-named ``NAME=value`` / ``"NAME": "value"`` pairs masked."""
    if show or not text or not isinstance(text, str):
        return text

    def in_map(m: re.Match) -> str:
        items = _MAP_SPLIT_RE.split(m.group(1))
        out = []
        for item in items:
            k, sep, v = item.partition("=")
            out.append(f"{k}={MASK}" if sep and v and is_secret_name(k.strip()) else item)
        return "{" + ", ".join(out) + "}"

    text = _MAP_RE.sub(in_map, text)
    text = _PAIR_RE.sub(lambda m: f"{m.group(1)}={MASK}"
                        if is_secret_name(m.group(1)) and m.group(2) not in _PLACEHOLDERS else m.group(0), text)
    text = _JSON_PAIR_RE.sub(lambda m: f'"{m.group(1)}"{m.group(2)}"{MASK}"'
                             if is_secret_name(m.group(1)) and m.group(3) else m.group(0), text)
    return mask_shapes(text)


def has_secrets(env: dict[str, str] | None) -> list[str]:
    """The names in ``env`` whose values a view would mask."""
    return [k for k, v in (env or {}).items() if mask_value(k, v) != v]
