"""Thin typer sub-apps, one module per command group: parse options, call core, render."""
