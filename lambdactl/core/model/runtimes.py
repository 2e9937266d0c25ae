"""The Lambda runtime table (one place), with deprecation dates, and the pricing figures."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Runtime:
    name: str
    family: str                 # "python" | "nodejs"
    version: str                # "3.12"
    os: str                     # "al2023" | "al2"
    deprecated: _dt.date | None = None

    @property
    def python_version(self) -> str | None:
        return self.version if self.family == "python" else None

    def is_deprecated(self, today: _dt.date | None = None) -> bool:
        today = today or _dt.date.today()
        return self.deprecated is not None and today >= self.deprecated


# Newest first. Deprecation dates from AWS's runtime deprecation policy page.
RUNTIMES: tuple[Runtime, ...] = (
    Runtime("python3.14", "python", "3.14", "al2023"),
    Runtime("python3.13", "python", "3.13", "al2023"),
    Runtime("python3.12", "python", "3.12", "al2023"),
    Runtime("python3.11", "python", "3.11", "al2", _dt.date(2027, 6, 30)),
    Runtime("python3.10", "python", "3.10", "al2", _dt.date(2026, 10, 31)),
    Runtime("python3.9", "python", "3.9", "al2", _dt.date(2025, 12, 15)),
    Runtime("nodejs24.x", "nodejs", "24", "al2023"),
    Runtime("nodejs22.x", "nodejs", "22", "al2023"),
    Runtime("nodejs20.x", "nodejs", "20", "al2023", _dt.date(2026, 4, 30)),
)
BY_NAME = {r.name: r for r in RUNTIMES}
PYTHON_RUNTIMES = tuple(r.name for r in RUNTIMES if r.family == "python")
SUPPORTED = tuple(r.name for r in RUNTIMES if not r.is_deprecated())
DEFAULT_RUNTIME = "python3.13"

ARCHITECTURES = ("x86_64", "arm64")

# us-east-1 list prices (estimates only).
PRICE_PER_REQUEST = 0.20 / 1_000_000
PRICE_PER_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
# Provisioned concurrency: price per GB-second while configured (x86/arm).
PRICE_PROVISIONED_GB_SECOND = {"x86_64": 0.0000041667, "arm64": 0.0000033334}


def get(name: str) -> Runtime | None:
    return BY_NAME.get(name)
