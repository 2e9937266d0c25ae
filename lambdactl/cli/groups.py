"""Click group classes: the root group (option hoisting + the one error handler) and
default-action groups (``logs FUNCTION`` = ``logs tail FUNCTION``, like ``git stash``)."""
from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup

# typer (pinned 0.28) vendors click as typer._click: a plain `pip install .` has no `click` package.
from typer._click import exceptions as _cx

ClickException = _cx.ClickException
ClickUsageError = _cx.UsageError
NoArgsIsHelpError = getattr(_cx, "NoArgsIsHelpError", None)
Exit = typer.Exit
Abort = typer.Abort

# Per-invocation options accepted both before and after the subcommand (see CONTRACT.md).
_FLAG_OPTS = {"-y": "--yes", "--yes": "--yes", "-q": "--quiet", "--quiet": "--quiet",
              "-v": "--verbose", "--verbose": "--verbose",
              "--no-color": "--no-color", "--show-secrets": "--show-secrets", "--sandbox": "--sandbox"}
# Global options with a value, also accepted after the subcommand (`lambdactl ls -o json --endpoint-url URL`).
_VALUE_OPTS = ("--profile", "--region", "--endpoint-url", "--config")


def hoist_common_options(args: list[str]) -> list[str]:
    """Move -o/--output, -y/--yes, -q/--quiet, -v/--verbose from after the subcommand to the
    front, where the root group parses them. Stops at ``--``."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    n = len(args)
    while i < n:
        a = args[i]
        if a == "--":
            rest.extend(args[i:])
            break
        if a in _FLAG_OPTS:
            front.append(_FLAG_OPTS[a])
        elif a in ("-o", "--output"):
            if i + 1 < n and args[i + 1] != "--":
                front.extend(["--output", args[i + 1]])
                i += 1
            else:
                raise ClickUsageError(f"option {a} needs a value: table, json or text")
        elif a in _VALUE_OPTS:
            if i + 1 >= n or args[i + 1] == "--":
                raise ClickUsageError(f"option {a} needs a value")
            front.extend([a, args[i + 1]])
            i += 1
        elif "=" in a and a.split("=", 1)[0] in _VALUE_OPTS:
            front.append(a)
        elif a.startswith("--output="):
            front.extend(["--output", a.split("=", 1)[1]])
        elif a.startswith("-o") and len(a) > 2 and not a.startswith("--"):
            front.extend(["--output", a[2:]])
        elif a.startswith("-") and not a.startswith("--") and len(a) > 2 and set(a[1:]) <= set("yqv"):
            for ch in a[1:]:
                front.append(_FLAG_OPTS["-" + ch])
        else:
            rest.append(a)
        i += 1
    return front + rest


class RootGroup(TyperGroup):
    """The ``lambdactl`` group: every error becomes ``error:``/``hint:`` + an exit code here.

    Commands are loaded lazily from ``lazy_commands`` (name → (module, summary)): a command's
    module is imported, and its typer functions converted, only when that command runs.
    """

    lazy_commands: dict = {}
    hidden_commands: set = set()
    _module_commands: dict = {}

    def list_commands(self, ctx):
        names = [n for n in self.lazy_commands if n not in self.hidden_commands]
        return names + [n for n in super().list_commands(ctx) if n not in names]

    def get_command(self, ctx, name):
        cmd = super().get_command(ctx, name)
        if cmd is not None or name not in self.lazy_commands:
            return cmd
        return self._load(self.lazy_commands[name][0]).get(name)

    @classmethod
    def _load(cls, module: str) -> dict:
        cached = cls._module_commands.get(module)
        if cached is None:
            import importlib

            import typer.main

            mod = importlib.import_module(f"lambdactl.cli.{module}")
            sub = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)
            sub.callback()(_noop)
            mod.register(sub)
            cached = dict(typer.main.get_command(sub).commands)
            cls._module_commands[module] = cached
        return cached

    def format_commands(self, ctx, formatter):
        rows = [(name, summary) for name, (_, summary) in self.lazy_commands.items()
                if name not in self.hidden_commands]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def parse_args(self, ctx, args):
        if not getattr(ctx, "resilient_parsing", False):
            args = hoist_common_options(list(args))
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (Exit, ClickException, Abort):
            raise
        except BaseException as exc:  # noqa: BLE001 - the one place failures are mapped
            if isinstance(exc, SystemExit):
                raise
            code = report(exc)
            raise Exit(code)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        prog_name = prog_name or "lambdactl"
        try:
            rv = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                              standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
        except ClickUsageError as exc:
            from lambdactl.output import error_lines

            if NoArgsIsHelpError is not None and isinstance(exc, NoArgsIsHelpError) and exc.ctx is not None:
                sys.stdout.write(exc.ctx.get_help() + "\n")
                if standalone_mode:
                    sys.exit(0)
                return 0

            cmd = exc.ctx.command_path if exc.ctx is not None else prog_name
            msg = exc.format_message()
            sys.stderr.write(error_lines(msg, f"see '{cmd} --help'"))
            code = exc.exit_code
        except ClickException as exc:
            from lambdactl.output import error_lines

            sys.stderr.write(error_lines(exc.format_message()))
            code = exc.exit_code
        except Abort:
            sys.stderr.write("error: aborted\n")
            code = 130
        except Exit as exc:
            code = exc.exit_code
        except KeyboardInterrupt:
            sys.stderr.write("error: interrupted\n")
            code = 130
        if standalone_mode:
            sys.exit(code)
        return code


def _noop() -> None:
    """(placeholder callback so a module's commands always form a group)"""


def report(exc: BaseException) -> int:
    """Print one error (and hint) line for ``exc`` and return its exit code."""
    from lambdactl.errors import LambdactlError, translate
    from lambdactl.output import error_lines
    from lambdactl.settings import current

    s = current()
    err = translate(exc)
    if s.debug and not isinstance(exc, KeyboardInterrupt):
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    if err is None:
        if isinstance(exc, BrokenPipeError):
            return 1
        sys.stderr.write(error_lines(f"unexpected error: {type(exc).__name__}: {exc}",
                                     "re-run with --verbose (or LAMBDACTL_DEBUG=1) for the traceback, "
                                     "and please report it"))
        return 1
    if isinstance(err, LambdactlError):
        for line in err.applied:
            sys.stderr.write(f"  applied: {line}\n")
        for line in err.not_applied:
            sys.stderr.write(f"  not applied: {line}\n")
    sys.stderr.write(error_lines(err.message, err.hint))
    return int(err.exit_code)


def default_group(default: str) -> type[TyperGroup]:
    """A group class whose first word, when not a subcommand, goes to ``default``."""

    class DefaultGroup(TyperGroup):
        default_command = default

        def parse_args(self, ctx, args):
            args = list(args)
            if not args and ctx.resilient_parsing:
                # Shell completion of the first word (`logs <TAB>`): stay on the group, whose
                # shell_complete offers the subcommands and the function names.
                return super().parse_args(ctx, args)
            if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
                args.insert(0, self.default_command)
            return super().parse_args(ctx, args)

        def shell_complete(self, ctx, incomplete):
            items = super().shell_complete(ctx, incomplete)
            if incomplete.startswith("-"):  # `logs --s<TAB>`: the default command's options
                cmd = self.commands.get(self.default_command)
                if cmd is not None:
                    sub = cmd.make_context(self.default_command, [], parent=ctx, resilient_parsing=True)
                    have = {i.value for i in items}
                    items += [i for i in cmd.shell_complete(sub, incomplete) if i.value not in have]
            else:
                from typer._click.shell_completion import CompletionItem

                from lambdactl.core.resources.completion import complete_function

                items += [CompletionItem(n) for n in complete_function(ctx, incomplete)]
            return items

    DefaultGroup.__name__ = f"DefaultGroup_{default}"
    return DefaultGroup
