#!/usr/bin/env python3
"""Generate the shell completion scripts in completions/ from the app.

    python scripts/gen_completions.py           # (re)write completions/lambdactl.{bash,zsh,fish,ps1}
    python scripts/gen_completions.py --check   # exit 1 if any of them is stale

The scripts come from typer's completion classes (the same source `lambdactl --show-completion`
prints), for prog name ``lambdactl`` and the completion variable ``_LAMBDACTL_COMPLETE``. They call
back into ``lambdactl`` at completion time, so commands added later complete without regenerating;
the test (tests/test_completions.py) still regenerates them and compares, so they never go stale.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "completions"
PROG = "lambdactl"
COMPLETE_VAR = "_LAMBDACTL_COMPLETE"

# shell name (as typer/click know it) -> (file name, how to install it)
SHELLS: dict[str, tuple[str, str]] = {
    "bash": ("lambdactl.bash",
             "source it from ~/.bashrc (bash >= 4.4), or copy it to\n"
             "# /etc/bash_completion.d/lambdactl"),
    "zsh": ("lambdactl.zsh",
            "copy it as _lambdactl into a directory on $fpath (e.g. ~/.zfunc),\n"
            "# then `autoload -Uz compinit && compinit` in ~/.zshrc"),
    "fish": ("lambdactl.fish", "copy it to ~/.config/fish/completions/lambdactl.fish"),
    "powershell": ("lambdactl.ps1", "dot-source it from your $PROFILE: . /path/to/lambdactl.ps1"),
}


def _header(shell: str) -> str:
    install = SHELLS[shell][1]
    return (f"# lambdactl completion for {shell}. Generated from the app by scripts/gen_completions.py:\n"
            f"# do not edit. Install: {install}\n"
            f"# (or run `lambdactl --install-completion`).\n")


def generate() -> dict[str, str]:
    """``{file name: script}`` for every shell."""
    sys.path.insert(0, str(ROOT))
    import typer.main
    from typer._click.shell_completion import get_completion_class
    from typer._completion_classes import completion_init

    from lambdactl.cli.app import app

    completion_init()
    cli = typer.main.get_command(app)
    out: dict[str, str] = {}
    for shell, (fname, _) in SHELLS.items():
        cls = get_completion_class(shell)
        if cls is None:  # pragma: no cover - typer always registers the four
            raise SystemExit(f"typer has no completion class for {shell}")
        comp = cls(cli, {}, PROG, COMPLETE_VAR)
        # ShellComplete.source() is `source_template % source_vars()`; bash's also probes the
        # installed bash version, which must not influence a generated file.
        script = (comp.source_template % comp.source_vars()).strip() + "\n"
        if script.startswith("#compdef"):  # zsh: #compdef must stay the first line
            first, rest = script.split("\n", 1)
            out[fname] = first + "\n" + _header(shell) + rest
        else:
            out[fname] = _header(shell) + "\n" + script
    return out


def stale(out_dir: Path = OUT_DIR) -> list[str]:
    """The file names in ``out_dir`` that differ from a fresh generation (or are missing)."""
    return [name for name, text in generate().items()
            if not (out_dir / name).is_file() or (out_dir / name).read_text(encoding="utf-8") != text]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="exit 1 if a script in completions/ is stale")
    p.add_argument("--out", type=Path, default=OUT_DIR, help="output directory (default: completions/)")
    args = p.parse_args(argv)
    if args.check:
        bad = stale(args.out)
        if bad:
            print(f"stale completion scripts: {', '.join(bad)}; run: python scripts/gen_completions.py",
                  file=sys.stderr)
            return 1
        print("completions are up to date", file=sys.stderr)
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in generate().items():
        path = args.out / name
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        if old != text:
            path.write_text(text, encoding="utf-8")
        print(f"{'unchanged' if old == text else 'wrote'} {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
