"""Options shared by commands that need a trigger or pipeline parameters (plan, run, process).

Pipeline parameters come from ``--pipeline-parameters`` (circleci-cli's option of
``circleci config process``: a YAML/JSON mapping given inline, or the path of a file holding
one) and from ``--param K=V`` items, which win for the same name. Either way they are typed
by their declaration (:func:`checked_parameters`), as ``plan`` has always done, so
``--param deploy=true`` is the boolean ``true`` for every command.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, Mapping, Optional

from ..config._files import decode_utf8, read_bounded
from ..config._yaml import parse_yaml
from ..errors import PlanError
from ..planning import EVENTS, Trigger, parameter_problems, typed_parameters
from ..runtime._git import GitInfo, resolve_revision
from ._common import UsageError

__all__ = [
    "MAX_PARAMETERS_BYTES",
    "add_parameter_options",
    "add_trigger_options",
    "checked_parameters",
    "default_trigger",
    "parameters_from_args",
    "parse_params",
    "read_pipeline_parameters",
    "trigger_from_args",
    "trigger_revision",
]

#: A --pipeline-parameters file larger than this is refused (1 MiB: CircleCI's API takes
#: at most 100 parameters of short values).
MAX_PARAMETERS_BYTES = 1024 * 1024


def add_parameter_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--param", "-p", action="append", default=[], metavar="K=V",
                   help="pipeline parameter (repeatable); typed by its declaration "
                        "(true/false for a boolean, a number for an integer); wins over "
                        "--pipeline-parameters")
    p.add_argument("--pipeline-parameters", default=None, metavar="YAML|FILE",
                   help="pipeline parameters as a YAML/JSON mapping, given inline or as the "
                        "path of a file holding one (as circleci-cli's option)")


def add_trigger_options(p: argparse.ArgumentParser, *, required: bool = True) -> None:
    g = p.add_mutually_exclusive_group(required=required)
    g.add_argument("--branch", "-b", help="plan for a push of this branch")
    g.add_argument("--tag", "-t", help="plan for a push of this tag")
    add_parameter_options(p)
    p.add_argument("--event", choices=EVENTS, default="push",
                   help="what started the pipeline: push (default), schedule (a legacy "
                        "'triggers: schedule' firing) or api")
    p.add_argument("--value", action="append", default=[], metavar="K=V",
                   help="set a pipeline value, e.g. pipeline.trigger_source=scheduled_pipeline "
                        "(repeatable; the 'pipeline.' prefix may be left out)")


def parse_params(items: list[str], option: str = "--param") -> dict[str, Any]:
    """``KEY=VALUE`` strings as a mapping (values stay strings); a malformed item is a
    usage mistake."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} takes KEY=VALUE, got {item!r}")
        out[key.strip()] = value
    return out


def read_pipeline_parameters(value: str) -> dict[str, Any]:
    """The mapping ``--pipeline-parameters`` gives.

    circleci-cli's rule (``config process``): the value is read as a file when it names
    one, else parsed as YAML (JSON is YAML). A file is read like every user file: bounded
    (:data:`MAX_PARAMETERS_BYTES`), never a FIFO or a device. Anything but a mapping of
    names (an empty value is no parameters) is a usage mistake, named in one line.
    """
    option = "--pipeline-parameters"
    source = option
    if os.path.lexists(value):
        try:
            raw = read_bounded(value, MAX_PARAMETERS_BYTES)
        except OSError as exc:
            raise UsageError(f"{option} {value}: {_reason(exc)}") from None
        text, problem = decode_utf8(raw, value)
        if text is None:
            assert problem is not None
            raise UsageError(f"{option} {value}:{problem.line}:{problem.column}: "
                             f"{problem.message}")
        source = value
    else:
        text = value
    parsed = parse_yaml(text, source)
    errors = [d for d in parsed.diagnostics if d.is_error]
    if errors:
        d = errors[0]
        where = f"{option} {source}:{d.line}:{d.column}" if source != option else \
            f"{option}: line {d.line}, column {d.column}"
        raise UsageError(f"{where}: {d.message}")
    data = parsed.data
    if data is None:
        return {}
    if not isinstance(data, dict):
        what = "no such file, and not a YAML/JSON mapping" if source == option else \
            "the file does not hold a YAML/JSON mapping"
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise UsageError(f"{option} {shown!r}: {what} of parameter names to values "
                         "(e.g. '{\"deploy\": true}')")
    return dict(data)


def _reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    return str(exc.strerror or exc)


def parameters_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """``--pipeline-parameters`` then ``--param`` (which wins), as given: not typed yet."""
    given = getattr(args, "pipeline_parameters", None)
    params = read_pipeline_parameters(given) if given is not None else {}
    params.update(parse_params(getattr(args, "param", []) or []))
    return params


def checked_parameters(data: Any, given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` typed by the config's declarations; a name the config does not declare or a
    value that does not fit its type is a usage mistake (exit 2), every one named."""
    problems = parameter_problems(data, given)
    if problems:
        raise UsageError("; ".join(problems))
    return typed_parameters(data, given)


def trigger_from_args(args: argparse.Namespace) -> Trigger:
    try:
        return Trigger(branch=args.branch, tag=args.tag, parameters=parameters_from_args(args),
                       event=args.event,
                       values=parse_params(getattr(args, "value", []) or [], "--value"))
    except PlanError as exc:
        raise UsageError(str(exc)) from exc


def default_trigger(args: argparse.Namespace, info: GitInfo) -> Optional[str]:
    """No ``--branch``/``--tag``: the current git branch, or (detached) the tag at HEAD —
    what a push from this work tree would trigger. Sets ``args`` and returns a line saying
    what was chosen; ``None`` when the trigger was given. :class:`UsageError` when git
    cannot tell."""
    if getattr(args, "branch", None) is not None or getattr(args, "tag", None) is not None:
        return None
    if info.branch:
        args.branch = info.branch
        return f"branch {info.branch} (the current git branch; --branch or --tag to choose)"
    if info.tag:
        args.tag = info.tag
        return f"tag {info.tag} (the tag at HEAD; --branch or --tag to choose)"
    where = "HEAD is detached and has no tag" if info.revision else "this is not a git work tree"
    raise UsageError(f"which branch or tag? {where}: give --branch B or --tag T")


def trigger_revision(source: Path, info: GitInfo, sha: Optional[str],
                     tag: Optional[str]) -> Optional[str]:
    """The commit ``checkout`` checks out: ``--sha``, else the tag's commit for a tag
    trigger, else HEAD. :class:`UsageError` for a commit or tag the repository lacks."""
    if sha is not None:
        if info.revision is None:
            raise UsageError(f"--sha {sha}: {source} is not a git repository")
        commit = resolve_revision(source, sha)
        if commit is None:
            raise UsageError(f"--sha {sha}: no such commit in {source}")
        return commit
    if tag is not None and info.revision is not None:
        commit = resolve_revision(source, f"refs/tags/{tag}")
        if commit is None:
            raise UsageError(f"--tag {tag}: no such tag in {source}; create it (git tag "
                             f"{tag}) or give --sha for the commit to check out")
        return commit
    return info.revision
