"""Placeholder: filled in by the versions command group."""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
