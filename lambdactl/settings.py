"""Per-invocation settings: the global options of the contract, filled once by the root callback.

Core code receives a :class:`Settings` (or reads :func:`current`) instead of touching typer.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

OUTPUT_FORMATS = ("table", "json", "text")


@dataclass
class Settings:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    config_path: str | None = None          # None: ./lambdactl.toml if present
    output: str | None = None               # None: $LAMBDACTL_OUTPUT, else table
    quiet: bool = False
    verbose: bool = False
    no_color: bool = False
    yes: bool = False
    sandbox: bool = False
    show_secrets: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def output_format(self) -> str:
        if self.output:
            return self.output
        env = os.environ.get("LAMBDACTL_OUTPUT")
        if env in OUTPUT_FORMATS:
            return env
        return "table"

    @property
    def debug(self) -> bool:
        return self.verbose or os.environ.get("LAMBDACTL_DEBUG", "") not in ("", "0")

    @property
    def interactive(self) -> bool:
        """True when we may prompt: stdin and stderr are a TTY and --yes was not given."""
        try:
            return sys.stdin.isatty() and sys.stderr.isatty()
        except (ValueError, AttributeError):
            return False


_current = Settings()


def current() -> Settings:
    return _current


def set_current(s: Settings) -> Settings:
    global _current
    _current = s
    return s


def reset() -> Settings:
    return set_current(Settings())
