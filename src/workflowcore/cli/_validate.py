"""``workflowcore validate``: lint configs, report diagnostics, exit 1 on what ``--fail-on``
names (errors by default).

What is reported, in order: every finding of the loader; minus those the config's own
``# cci-ignore`` comments silence (config/suppress.py), plus warnings about comments that
silence nothing; minus the codes ``--ignore`` and the project file's ``ignore`` name; shown
down to ``--severity-threshold``. Whatever makes the command fail is always shown, so a
non-zero exit never comes without its reason.

Imports live inside the functions: every ``validate`` (and ``validate --help``) builds this
parser, and a pre-commit hook or an editor's save hook is a cold start each time; the loader
is paid for only when a config is read, and pydantic only for a config the schema has
something to say about (configs are loaded with ``models=False``: validate reports, it never
uses the models).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Dict, List, Optional, TextIO

from ._common import EXIT_FAILED, EXIT_OK, UsageError, err

if TYPE_CHECKING:
    from ..config import LoadResult
    from ..config.project import ProjectSettings

__all__ = ["add_parser", "run"]

_RANK = {"error": 0, "warning": 1, "info": 2}
STDIN_PATH = "<stdin>"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from ..reporting.diagnostics import FORMATS
    from ._load import add_input_options
    from ._orbstore import add_orb_dir_option

    p = sub.add_parser(
        "validate", help="check configs and report every problem",
        description="Check CircleCI configs offline. Prints "
                    "'path:line:col: severity: message [code]' per problem.",
        epilog="Findings can be silenced in the config by '# cci-ignore [CODE ...]' comments "
               "(also -next-line, -start/-end, -file), and per project by "
               "[tool.workflowcore] in pyproject.toml or .workflowcore.toml (ignore, fail-on, "
               "severity-threshold; the command line wins). See 'Suppressions and "
               "configuration' in docs/diagnostics.md.")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="config files, '-' for standard input (default: .circleci/config.yml "
                        "of the current directory or the nearest parent, as git finds its "
                        "repository: not above the top of a git work tree)")
    p.add_argument("--format", choices=sorted(FORMATS), default="text",
                   help="output format (default: text)")
    p.add_argument("--no-snippets", action="store_true",
                   help="text format: do not print source lines under diagnostics")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="print errors only (no warnings, no summary); "
                        "--severity-threshold error, without the summary")
    p.add_argument("--ignore", action="append", default=[], metavar="CODE",
                   help="do not report CODE (repeatable or comma-separated; globs such as "
                        "'orb-*'); added to the project file's 'ignore'")
    p.add_argument("--severity-threshold", choices=("error", "warning", "info"), default=None,
                   help="show findings of this severity or worse (default: info, all); what "
                        "--fail-on counts is shown anyway")
    p.add_argument("--fail-on", choices=("error", "warning"), default=None,
                   help="exit 1 when a finding of this severity or worse remains "
                        "(default: error)")
    p.add_argument("--color", "--colour", choices=("auto", "always", "never"), default="auto",
                   help="colour the text format: auto (default) colours a terminal unless "
                        "NO_COLOR is set; never for a pipe or a file")
    p.add_argument("--no-project-file", action="store_true",
                   help="ignore pyproject.toml's [tool.workflowcore] and .workflowcore.toml")
    add_orb_dir_option(p)
    add_input_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..config.suppress import ignore_codes, suppress
    from ..diagnostics import sort_diagnostics
    from ..reporting.diagnostics import FORMATS, FileReport, format_text
    from ._load import read_config

    paths: List[str] = list(args.paths) or [_discover_config()]
    if paths.count("-") > 1:
        raise UsageError("'-' (standard input) can be given only once")
    cli_ignore = [p.strip() for raw in args.ignore for p in raw.split(",") if p.strip()]
    settings = _Settings(disabled=args.no_project_file)
    failed = False
    reports: List[FileReport] = []
    for raw in paths:
        # an unreadable file: exit 2, in main
        result = (_read_stdin(args.max_bytes, args.orb_dir) if raw == "-"
                  else read_config(raw, args.max_bytes, args.orb_dir, models=False))
        project = settings.for_config(None if raw == "-" else raw)
        silenced = suppress(result.diagnostics, result.source_map.text, result.path)
        found = sort_diagnostics([*silenced.kept, *silenced.problems])
        kept, ignored = ignore_codes(found, [*project.ignore, *cli_ignore])
        fail_on = args.fail_on or project.fail_on or "error"
        threshold = (args.severity_threshold or ("error" if args.quiet else None)
                     or project.severity_threshold or "info")
        shown_down_to = max(_RANK[threshold], _RANK[fail_on])
        shown = [d for d in kept if _RANK[d.severity.value] <= shown_down_to]
        failed = failed or any(_RANK[d.severity.value] <= _RANK[fail_on] for d in kept)
        reports.append(FileReport(result.path, shown, result.source_map.lines,
                                  [*silenced.suppressed, *ignored]))
    if args.format == "text":
        out = format_text(reports, snippets=not args.no_snippets, summary=not args.quiet,
                          color=use_color(args.color, sys.stdout))
    else:
        out = FORMATS[args.format](reports)
    sys.stdout.write(out)
    return EXIT_FAILED if failed else EXIT_OK


def use_color(choice: str, stream: TextIO) -> bool:
    """``--color``: ``always``/``never`` as said (``always`` beats ``NO_COLOR``, as a command
    line beats the environment, no-color.org); ``auto`` colours a terminal unless
    ``NO_COLOR`` is set to anything non-empty or ``TERM`` is ``dumb``."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except ValueError:  # a closed stream
        return False


def _discover_config() -> str:
    """``.circleci/config.yml`` of the current directory or the nearest parent (not above
    the top of a git work tree), as a path relative to here so diagnostics are clickable."""
    from ..config.project import CONFIG_NAME, find_config, project_root

    here = os.getcwd()
    found = find_config(here)
    if found is not None:
        return _shown(found)
    root = project_root(here)
    where = (f"in {_shown(here)} or its parents up to the git work tree's top "
             f"{_shown(root)}" if root is not None else f"in {_shown(here)} or its parents")
    yaml_ext = next((c for c in (os.path.join(d, ".circleci", "config.yaml")
                                 for d in _with_parents(here)) if os.path.isfile(c)), None)
    if yaml_ext is not None:
        raise UsageError(f"no {CONFIG_NAME} {where}; {_shown(yaml_ext)} exists, but CircleCI "
                         "reads only config.yml: rename it")
    raise UsageError(f"no {CONFIG_NAME} {where}; give the config's path "
                     f"(workflowcore validate PATH), or '-' to read standard input")


def _with_parents(path: str) -> List[str]:
    out = [path]
    while os.path.dirname(out[-1]) != out[-1]:
        out.append(os.path.dirname(out[-1]))
    return out


def _shown(path: str) -> str:
    """``path`` relative to the current directory (``.`` for itself)."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def _read_stdin(max_bytes: Optional[int], orb_dir: Optional[str]) -> LoadResult:
    """``validate -``: the config on standard input, read with the same byte bound as a
    file (``--max-bytes``); more is a ``yaml-too-large`` finding, as for a file."""
    from ..config import LoadResult, SourceMap, load
    from ..config._yaml import DEFAULT_MAX_CHARS
    from ..diagnostics import Diagnostic

    stream = sys.stdin.buffer if sys.stdin is not None else None
    if stream is None:
        raise UsageError("-: there is no standard input to read the config from")
    limit = 4 * DEFAULT_MAX_CHARS if max_bytes is None else max_bytes
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        return LoadResult(None, None, SourceMap(None, STDIN_PATH, ""), [Diagnostic(
            code="yaml-too-large", message=f"the file has more than {limit:,} bytes",
            path=STDIN_PATH,
            hint="a CircleCI config this large is almost certainly generated by mistake; "
                 "raise the limit (--max-bytes) if it is intended")])
    if max_bytes is None:
        return load(raw, STDIN_PATH, orb_dir=orb_dir, models=False)
    return load(raw, STDIN_PATH, max_chars=max_bytes, orb_dir=orb_dir, models=False)


class _Settings:
    """The project file of each config, read once per file; its warnings said once."""

    def __init__(self, disabled: bool) -> None:
        self.disabled = disabled
        self.read: Dict[str, ProjectSettings] = {}

    def for_config(self, config: Optional[str]) -> ProjectSettings:
        from ..config.project import ProjectSettings, SettingsError, find_settings, read_settings

        if self.disabled:
            return ProjectSettings()
        start = os.getcwd() if config is None else os.path.dirname(os.path.abspath(config))
        found = find_settings(start)
        if found is None:
            return ProjectSettings()
        if found not in self.read:
            try:
                self.read[found] = read_settings(found, _shown(found))
            except SettingsError as exc:
                raise UsageError(str(exc)) from None
            for warning in self.read[found].warnings:
                err(f"warning: {warning}")
        return self.read[found]
