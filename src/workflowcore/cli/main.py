"""Argument parsing and dispatch for the ``workflowcore`` command.

Sub-commands are imported lazily: a command's module (and what it imports: the loader and
pydantic for ``validate``, the runtime for ``run``) is imported only when that command runs.
``workflowcore --help`` and ``--version`` import no sub-command at all, and ``validate``
never pays for the runtime. Every editor save-hook and pre-commit call is a cold start, and
the imports are most of its time (docs/dev/cold-start.md).
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import importlib
import os
import sys
from typing import Any, Collection, Dict, Sequence, Tuple

from .. import __version__
from ._common import EXIT_USAGE, UsageError, err

__all__ = ["COMMANDS", "build_parser", "main"]

#: sub-command -> (module in this package that registers it, its one-line help). The help is
#: repeated here so ``--help`` can list every command without importing any of them; a test
#: checks it against what each module registers. Grouped by module, in the order shown.
COMMANDS: Dict[str, Tuple[str, str]] = {
    "validate": ("_validate", "check configs and report every problem"),
    "plan": ("_plan", "show which jobs run for a branch or tag, and why not"),
    "process": ("_process", "print the compiled (2.0-shaped) config"),
    "schema": ("_schema", "print the JSON Schema of config.yml (for editors)"),
    "run": ("_run", "run the workflows a branch or tag selects, here"),
    "status": ("_runctl", "show workflow runs"),
    "logs": ("_runctl", "print the (masked) logs of a workflow run's jobs"),
    "approve": ("_runctl", "approve a job on hold and run what follows it"),
    "cancel": ("_runctl", "cancel a workflow run"),
    "rerun": ("_runctl", "run a finished workflow run again"),
    "resume": ("_runctl", "continue an interrupted workflow run"),
    "prune": ("_prune", "remove old runs from the state directory"),
    "orb": ("_orb", "pack, validate, store, fetch and lock orbs"),
    "lsp": ("_lsp", "run the language server for editors (LSP over stdio)"),
}


def _columns() -> int:
    """``shutil.get_terminal_size().columns`` (``COLUMNS``, else the terminal, else 80)
    without importing shutil, which argparse's formatter does for every ``add_argument``
    (with ``bz2`` and ``lzma``: ~1.5 ms of each cold start, docs/dev/cold-start.md)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _HelpFormatter(argparse.HelpFormatter):
    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         _columns() - 2 if width is None else width)


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on bad usage, which is our usage exit code too. The epilog
    naming the installed documentation is added when help is printed (finding the folder
    is file system work a command that prints no help does not need)."""

    def __init__(self, *args: Any, docs_epilog: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)
        self._docs_epilog = docs_epilog

    def format_help(self) -> str:
        if self._docs_epilog:
            from .._docs import docs_dir

            docs = docs_dir()
            if docs is not None:
                self.epilog = (f"{self.epilog} The documentation (the docs/*.md pages named "
                               f"in help texts and messages: cli.md, diagnostics.md, ...) is "
                               f"installed in {docs}.")
            self._docs_epilog = False
        return super().format_help()


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The command line. ``commands``: the sub-commands registered in full, their modules
    imported (default: all of them); every other one is a stub that only lists its name and
    help, enough for ``workflowcore --help``."""
    parser = _Parser(prog="workflowcore",
                     description="Read, check, plan and run CircleCI workflow configs offline.",
                     epilog="Run 'workflowcore COMMAND --help' for a command's options.",
                     docs_epilog=True)
    parser.add_argument("--version", action="version", version=f"workflowcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    wanted = ({m for m, _ in COMMANDS.values()} if commands is None
              else {COMMANDS[c][0] for c in commands if c in COMMANDS})
    registered = set()
    for name, (module, help_text) in COMMANDS.items():
        if module not in wanted:
            sub.add_parser(name, help=help_text, add_help=False)
        elif module not in registered:  # a module registers all of its commands at once
            registered.add(module)
            importlib.import_module(f"{__package__}.{module}").add_parser(sub)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The sub-command ``argv`` names: its first word that is not an option (the top-level
    options, ``--help`` and ``--version``, take no value)."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word
    return None


_OUTPUT_ERRORS = "workflowcore-output"


def _output_error(exc: UnicodeError) -> tuple[str | bytes, int]:
    """Bytes that were not UTF-8 in an argument or a file name reach us as surrogate
    escapes (``$'m\\xff'`` is ``'m\\udcff'``): write them back as those bytes; whatever
    else the terminal's encoding cannot show becomes a backslash escape. Without this, a
    strict UTF-8 terminal turns a file name into a traceback."""
    try:
        return codecs.lookup_error("surrogateescape")(exc)
    except UnicodeError:
        return codecs.lookup_error("backslashreplace")(exc)


def _tolerant_output() -> None:
    codecs.register_error(_OUTPUT_ERRORS, _output_error)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            # a closed or detached stream: leave it be
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors=_OUTPUT_ERRORS)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit code (the console script exits with it)."""
    _tolerant_output()
    if argv is None:
        argv = sys.argv[1:]
    command = _command_in(argv)
    parser = build_parser([command] if command is not None else [])
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except UsageError as exc:
        err(str(exc))
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `workflowcore validate | head`
        sys.stderr.close()
        return code if "code" in locals() else 0
    return code


#: pydantic's documented switch (docs.pydantic.dev, "Plugins": "Disabling plugins")
_NO_PLUGINS = "PYDANTIC_DISABLE_PLUGINS"


def entry() -> None:  # pragma: no cover - console script
    """The ``workflowcore`` process (console script and ``python -m workflowcore``).

    ``validate`` turns pydantic's plugin discovery off unless the user set
    ``PYDANTIC_DISABLE_PLUGINS`` themselves: looking plugins up imports
    ``importlib.metadata`` and scans every installed distribution's entry points (~12 ms of
    a cold start), and a plugin has nothing to observe in a process that only validates our
    own config models. Only here, in our own process and for the one command that starts no
    other program: a library host's pydantic, and the jobs ``workflowcore run`` starts, keep
    the environment as the user set it (docs/dev/cold-start.md)."""
    argv = sys.argv[1:]
    if _command_in(argv) == "validate":
        os.environ.setdefault(_NO_PLUGINS, "__all__")
    sys.exit(main(argv))
