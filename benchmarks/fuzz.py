"""Fuzz the load → compile → ``process`` → validate → plan round trip (issue 10).

Seeds are the configs of ``../shared/corpus/real/`` (``$WFC_SHARED/corpus/real`` when set).
Each input is a seed mutated by hypothesis-driven mutations:

* structural, on the YAML data: drop, duplicate (by reference, so the dump has
  anchors/aliases) and swap keys and items, rename keys, replace scalars with odd values
  (YAML 1.1 words, huge numbers, no-break spaces, lone surrogates, templates, regexes), change
  container types, deep nesting, aliases to an ancestor (recursive data), alias "bombs",
  long strings, and CircleCI-shaped edits (requires, filters, ``when``, matrix, pipeline
  parameters, version) so that many inputs still load clean and reach compile and plan;
* textual, on the YAML text: lines dropped, duplicated, swapped, re-indented (tabs,
  no-break spaces), odd tokens inserted (anchors, aliases, merge keys, tags, flow brackets),
  truncation, two seeds glued into one stream, deep flow nesting, lone surrogates (the input
  stays a ``str``);
* byte-level, on the UTF-8 encoding: bit flips, odd bytes (overlong, CESU surrogates, BOMs),
  deleted and duplicated ranges, UTF-16 (the input is ``bytes``).

For every input, :func:`check` runs ``workflowcore.load`` (must never raise); for a config
with errors ``plan`` must raise ``ConfigError``; for a clean one it compiles it without a
trigger, for branch ``main`` and for tag ``v1.0.0`` (must never raise), and when the
compilation is clean and needs no unavailable orb, prints it with ``to_yaml`` and loads it
again: the processed config must have no error, and processing it again must give the same
text (the round trip of docs/compile.md). Finally ``plan`` for branch ``main`` and tag
``v1.0.0`` (``ConfigError`` is the documented refusal) and ``Plan.to_dict()`` as JSON.

Any other exception (``MemoryError`` and ``RecursionError`` included), a broken round trip,
or an input taking more than ``--time-limit`` seconds (default 5) is a *finding*; the
process's address space is limited (``--memory-gib``, default 2) so a blow-up becomes a
``MemoryError``. Findings are grouped by signature; the first few inputs of each are saved
under ``--out`` (default ``benchmarks/fuzz-findings/``, git-ignored) with a report, and
``--replay FILE`` runs one saved input again.

Uses atheris (coverage-guided, driving the same hypothesis strategy through
``fuzz_one_input``) when it is importable and ``--engine`` is ``auto`` or ``atheris``,
otherwise hypothesis' own generator in batches.

    .venv/bin/python -m benchmarks.fuzz --minutes 4 [--out DIR] [--seed N] [--engine hypothesis]
    .venv/bin/python -m benchmarks.fuzz --replay benchmarks/fuzz-findings/<file>.input
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib
import json
import os
import re
import signal
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:  # like the other benchmarks: run without installing
    sys.path.insert(0, str(ROOT / "src"))

from workflowcore import ConfigError, Trigger, compile, load, plan, to_yaml  # noqa: E402

__all__ = [
    "KNOWN",
    "Case",
    "Finding",
    "InputTimeout",
    "Seed",
    "cases",
    "check",
    "find_shared",
    "known_as",
    "load_seeds",
    "main",
]

#: Seconds one input may take (all stages together) before it is a finding.
TIME_LIMIT = 5.0
#: An orb directory that does not exist: inputs never read local orb sources.
NO_ORBS = "/nonexistent-workflowcore-fuzz-orbs"
MAIN = Trigger(branch="main")
TAG = Trigger(tag="v1.0.0")
SRC = str(ROOT / "src" / "workflowcore")

Input = Union[str, bytes]


# --------------------------------------------------------------------------------------
# seeds


@dataclass(frozen=True)
class Seed:
    name: str
    text: str
    data: Any  # yaml.safe_load of the text, or None when it is not YAML PyYAML reads


def find_shared() -> Optional[Path]:
    """``$WFC_SHARED`` or ``../shared`` beside the project, if it has ``corpus/real``."""
    env = os.environ.get("WFC_SHARED")
    p = Path(env) if env else ROOT.parent / "shared"
    return p if (p / "corpus" / "real").is_dir() else None


try:
    _LOADER: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _LOADER = yaml.SafeLoader


def load_seeds(shared: Path) -> List[Seed]:
    """Every ``*.yml``/``*.yaml`` of ``shared/corpus/real`` (real configs and fixtures)."""
    real = shared / "corpus" / "real"
    seeds: List[Seed] = []
    for path in sorted(real.iterdir()):
        if path.suffix not in (".yml", ".yaml"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            data = yaml.load(text, Loader=_LOADER)  # a safe loader
        except Exception:
            data = None
        seeds.append(Seed(path.name, text, data))
    return seeds


# --------------------------------------------------------------------------------------
# the mutations


@dataclass(frozen=True)
class Case:
    """One fuzz input: the seed it came from, the mutations applied, the input itself."""

    seed: str
    ops: Tuple[str, ...]
    input: Input

    def __repr__(self) -> str:
        kind = "bytes" if isinstance(self.input, bytes) else "str"
        return (f"Case(seed={self.seed!r}, ops={list(self.ops)!r}, {kind} of "
                f"{len(self.input)}: {_short(self.input, 600)})")


def _short(value: Input, limit: int) -> str:
    r = repr(value)
    return r if len(r) <= limit else r[: limit // 2] + " ... " + r[-limit // 2:]


ODD_STRINGS: Tuple[str, ...] = (
    "", " ", "\u00a0", "\u200b", "\ufeff", "\t", "\n", "\r\n", "\x00", "\x85", "\u2028",
    "\u202e", "e\u0301", "\U0001f642", "\U0010ffff", "\ud800", "\udfff", "a\ud83dz",
    "~", "null", "Null", "yes", "no", "on", "off", "y", "n", "True", "0x1F", "0o17", "017",
    "1_000", "1:30", "1e5", ".inf", ".nan", "-.inf", "2", "2.0", "2.1", "2.10",
    "2024-01-01", "2024-01-01T00:00:00Z",
    "<<", "<< parameters.x >>", "<< pipeline.parameters.x >>", "<< pipeline.git.branch >>",
    "<< pipeline.git.tag >>", "<<parameters.>>", "<< parameters.steps >>", "<< ", " >>",
    "<< pipeline.parameters.x >><< pipeline.parameters.x >>", "<< pipeline.trigger_source >>",
    "${HOME}", "$(echo hi)", "{{ .Branch }}", "{{ checksum \"x\" }}",
    "/.*/", "/[/", "/(a+)+$/", "/^v\\d+\\.\\d+\\.\\d+$/", "/", "//", "/\u00a0/", ".*", "*",
    "&", "&a", "*a", "!!str", "!!binary", "%", "@", "`", "|", ">", "-", "---", "...", "#",
    "\\", "'", '"', "main", "master", "v1.0.0", "build", "test", "deploy", "checkout",
    "approval", "no-op", "setup_remote_docker", "when", "unless", "requires", "filters",
    "only", "ignore", "matrix", "alias", "parameters", "steps", "jobs", "workflows",
    "version", "orbs", "executors", "commands", "success", "failed", "terminal",
    "canceled", "not_run", "cimg/base:stable", "docker", "machine", "macos", "default",
    "node/test", "circleci/node@5.0.0", "a" * 300,
)
ODD_NUMBERS: Tuple[Any, ...] = (
    0, -1, 1, 2, 2**31, 2**63, -(2**63) - 1, 10**100, 0.0, -0.0, 1e308, 2.1, 2.0,
    float("inf"), float("-inf"), float("nan"), 1e-300,
)
ODD_OTHERS: Tuple[Any, ...] = (
    None, True, False, b"\x00\xff\xfe", datetime.date(2024, 1, 1),
    datetime.datetime(2024, 1, 1, 12, 0, 0),
)
KEYS: Tuple[Any, ...] = (
    "version", "jobs", "workflows", "steps", "docker", "image", "run", "requires", "filters",
    "branches", "tags", "only", "ignore", "type", "context", "name", "command", "matrix",
    "parameters", "executor", "executors", "orbs", "commands", "when", "unless", "condition",
    "persist_to_workspace", "attach_workspace", "save_cache", "restore_cache", "checkout",
    "environment", "working_directory", "resource_class", "parallelism", "machine", "macos",
    "triggers", "schedule", "cron", "alias", "exclude", "default", "enum", "description",
    "setup", "pre-steps", "post-steps", "serial-group", "override-with", "shell", "<<",
    "and", "or", "not", "equal", "matches", "pattern", "value", "steps", "key", "keys",
    "paths", "root", "build", "test", "deploy", "main", "approval", "no_output_timeout",
    None, True, 1, 1.5, "", " ", "\u00a0jobs", "jobs\u00a0", "<< parameters.x >>", "a.b",
    "name with spaces", "\ud800", "x" * 200,
)
TEXT_TOKENS: Tuple[str, ...] = (
    "&a ", "*a", "<<: *a", "<<: [*a, *b]", "!!binary ", "!!python/object:os.system ",
    "!!set ", "!!omap ", "!custom ", "? ", "- ", ": ", "{", "}", "[", "]", ",", "'", '"',
    "\\", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "---\n", "...\n", "# ", "|", ">-", "|+",
    "\u00a0", "\u200b", "\ufeff", "\t", "\r", "\x00", "\x85", "\u2028", "\x1b", "\x7f",
    "<< parameters.", "<< pipeline.git.branch >>", "<< pipeline.parameters.x >>",
    "${{ x }}", "\ud800", "\udc00", "0x", "~", "null", "yes", "&anchor [1, 2]", "*anchor",
)
INTERESTING_BYTES: Tuple[bytes, ...] = (
    b"\x00", b"\xff", b"\xfe", b"\xc0\x80", b"\xc0\xaf", b"\x80", b"\xed\xa0\x80",
    b"\xed\xbf\xbf", b"\xef\xbb\xbf", b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80",
    b"\xe2\x80\xa8", b"\xc2\xa0", b"\r", b"\t", b"\n\n", b"\xff\xfe",
)


def _copy(obj: Any, memo: Dict[int, Any]) -> Any:
    """A deep copy of plain YAML data that keeps sharing (anchors) and recursion."""
    if isinstance(obj, (dict, list)):
        got = memo.get(id(obj))
        if got is not None:
            return got
        if isinstance(obj, dict):
            d: Dict[Any, Any] = {}
            memo[id(obj)] = d
            for k, v in obj.items():
                d[k] = _copy(v, memo)
            return d
        out: List[Any] = []
        memo[id(obj)] = out
        out.extend(_copy(v, memo) for v in obj)
        return out
    return obj


def _long_string(draw: st.DrawFn) -> str:
    n = draw(st.sampled_from([1_000, 10_000, 100_000, 300_000]))
    unit = draw(st.sampled_from(["a", "\u00a0", "ab ", "<< parameters.x >>", "\ud800x",
                                 "<< pipeline.git.branch >>", "\\", "é", "{{ x }}", "- ",
                                 "line\n"]))
    return (unit * (n // len(unit) + 1))[:n]


def _odd_scalar(draw: st.DrawFn) -> Any:
    kind = draw(st.integers(0, 9))
    if kind <= 3:
        return draw(st.sampled_from(ODD_STRINGS))
    if kind == 4:
        return draw(st.sampled_from(ODD_NUMBERS))
    if kind == 5:
        return draw(st.sampled_from(ODD_OTHERS))
    if kind == 6:
        return draw(st.text(max_size=12))
    if kind == 7:
        return draw(st.integers())
    if kind == 8:
        return _long_string(draw)
    return draw(st.sampled_from(ODD_STRINGS)) + draw(st.sampled_from(ODD_STRINGS))


def _odd_value(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from([[], {}, [None], {"": None}, [[]], {"a": {}}]))
    return _odd_scalar(draw)


def _key(draw: st.DrawFn, existing: Sequence[Any] = ()) -> Any:
    from_existing: bool = draw(st.booleans())
    if existing and from_existing:
        return draw(st.sampled_from(list(existing)))
    return draw(st.sampled_from(KEYS))


def _walk(draw: st.DrawFn, root: Any) -> List[Any]:
    """A path of containers from the root down to a randomly chosen one."""
    path = [root]
    node = root
    for _ in range(64):
        if isinstance(node, dict):
            kids = [v for v in node.values() if isinstance(v, (dict, list))]
        elif isinstance(node, list):
            kids = [v for v in node if isinstance(v, (dict, list))]
        else:
            break
        if not kids or draw(st.integers(0, 4)) == 0:
            break
        node = kids[draw(st.integers(0, len(kids) - 1))]
        path.append(node)
    return path


def _slots(c: Any) -> List[Any]:
    return list(c.keys()) if isinstance(c, dict) else list(range(len(c)))


def _nest(draw: st.DrawFn, value: Any) -> Any:
    depth = draw(st.sampled_from([2, 10, 50, 120]))
    for _ in range(depth):
        value = [value] if draw(st.booleans()) else {"a": value}
    return value


def _bomb(draw: st.DrawFn, max_depth: int) -> Any:
    depth = draw(st.integers(min(3, max_depth), max_depth))
    node: Any = [draw(st.sampled_from(["lol", "<< parameters.x >>", "checkout", 1]))]
    for _ in range(depth):
        node = [node, node]
    return node


def _logic(draw: st.DrawFn, depth: int = 0) -> Any:
    leaves = st.one_of(
        st.booleans(), st.none(), st.integers(-2, 2),
        st.sampled_from(["<< pipeline.git.branch >>", "<< pipeline.git.tag >>", "main",
                         "v1.0.0", "", "<< pipeline.parameters.x >>", "/main/",
                         "<< pipeline.trigger_source >>"]))
    kind = draw(st.integers(0, 6 if depth < 4 else 0))
    if kind == 0:
        return draw(leaves)
    if kind == 1:
        return {"and": [_logic(draw, depth + 1) for _ in range(draw(st.integers(0, 3)))]}
    if kind == 2:
        return {"or": [_logic(draw, depth + 1) for _ in range(draw(st.integers(0, 3)))]}
    if kind == 3:
        return {"not": _logic(draw, depth + 1)}
    if kind == 4:
        return {"equal": [_logic(draw, depth + 1) for _ in range(draw(st.integers(0, 3)))]}
    if kind == 5:
        return {"matches": {"pattern": draw(st.sampled_from(["^v.*", "[", "(a+)+$", "main",
                                                             "^v\\d+\\.\\d+\\.\\d+$", ".*"])),
                            "value": draw(leaves)}}
    return draw(st.sampled_from([{"when": True}, {"unless": "x"}, {"equal": "x"}, {}, []]))


def _filters(draw: st.DrawFn) -> Any:
    patterns = st.sampled_from(["main", "master", "/.*/", "/^v.*/", "/[/", "/(a+)+$/",
                                "/^v\\d+\\.\\d+\\.\\d+$/", "", "/", "v1.0.0", "/main|dev/"])
    out: Dict[str, Any] = {}
    for part in draw(st.lists(st.sampled_from(["branches", "tags"]), max_size=2,
                              unique=True)):
        sub: Dict[str, Any] = {}
        for which in draw(st.lists(st.sampled_from(["only", "ignore"]), max_size=2,
                                   unique=True)):
            sub[which] = (draw(patterns) if draw(st.booleans())
                          else draw(st.lists(patterns, max_size=3)))
        out[part] = sub
    if not out or draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from(["pipeline.git.branch == \"main\"",
                                     "pipeline.git.tag =~ /^v.*/", "true and",
                                     "pipeline.parameters.nope", "not pipeline.git.tag",
                                     None, [], "x"]))
    return out


def _workflow_items(data: Any) -> List[Tuple[List[Any], int]]:
    """(jobs list, index) of every workflow job invocation."""
    out: List[Tuple[List[Any], int]] = []
    wfs = data.get("workflows") if isinstance(data, dict) else None
    if isinstance(wfs, dict):
        for wf in wfs.values():
            jobs = wf.get("jobs") if isinstance(wf, dict) else None
            if isinstance(jobs, list):
                out += [(jobs, i) for i in range(len(jobs))]
    return out


def _item_args(jobs: List[Any], i: int) -> Tuple[str, Dict[Any, Any]]:
    """The name and (made mutable) arguments of ``jobs[i]``."""
    item = jobs[i]
    if isinstance(item, str):
        args: Dict[Any, Any] = {}
        jobs[i] = {item: args}
        return item, args
    if isinstance(item, dict) and len(item) == 1:
        ((name, args_),) = item.items()
        if not isinstance(args_, dict):
            args_ = {}
            item[name] = args_
        return str(name), args_
    return "", {}


def _names(data: Any, section: str) -> List[Any]:
    sec = data.get(section) if isinstance(data, dict) else None
    return list(sec) if isinstance(sec, dict) else []


def _mutate_data(draw: st.DrawFn, root: Any, bomb_depth: int) -> Tuple[Any, str]:
    """One structural mutation; returns the (possibly new) root and what was done."""
    op = draw(st.sampled_from(DATA_OPS))
    items = _workflow_items(root)
    if op in ("requires", "filters", "matrix", "invocation") and items:
        jobs, i = items[draw(st.integers(0, len(items) - 1))]
        name, args = _item_args(jobs, i)
        if op == "requires":
            pool = [n for n in (_item_args(jobs, j)[0] for j in range(len(jobs))) if n]
            pool += ["nope", name]
            reqs = draw(st.lists(st.sampled_from(pool), max_size=3))
            args["requires"] = (reqs if draw(st.integers(0, 3)) else
                                [{r: draw(st.sampled_from(["success", "failed", "terminal",
                                                           ["success", "canceled"], "x",
                                                           []]))} for r in reqs])
        elif op == "filters":
            args["filters"] = _filters(draw)
        elif op == "matrix":
            params = {draw(st.sampled_from(["x", "py", "os", "name", "steps"])):
                      draw(st.lists(_odd_scalar_st, min_size=0, max_size=4))
                      for _ in range(draw(st.integers(0, 2)))}
            matrix: Dict[str, Any] = {"parameters": params}
            if draw(st.booleans()):
                matrix["alias"] = draw(st.sampled_from(["m", name, "nope", ""]))
            if draw(st.booleans()) and params:
                matrix["exclude"] = [{k: v[0] if v else None for k, v in params.items()}]
            args["matrix"] = matrix
        else:
            key = draw(st.sampled_from(["name", "context", "type", "pre-steps", "post-steps",
                                        "x", "serial-group", "override-with"]))
            args[key] = _odd_value(draw)
        return root, f"{op} workflows.*.jobs[{i}] ({name})"
    if op == "when" and isinstance(root, dict) and isinstance(root.get("workflows"), dict):
        wfs = [k for k, v in root["workflows"].items() if isinstance(v, dict)]
        if wfs:
            wf = draw(st.sampled_from(wfs))
            root["workflows"][wf][draw(st.sampled_from(["when", "unless"]))] = _logic(draw)
            return root, f"when workflows.{wf}"
    if op == "params" and isinstance(root, dict):
        decls = root.setdefault("parameters", {})
        if isinstance(decls, dict):
            t = draw(st.sampled_from(["boolean", "string", "integer", "enum", "steps", "x"]))
            decl: Dict[str, Any] = {"type": t}
            if draw(st.integers(0, 3)):
                decl["default"] = _odd_scalar(draw)
            if t == "enum":
                decl["enum"] = draw(st.lists(_odd_scalar_st, max_size=3))
            decls[draw(st.sampled_from(["x", "deploy", "run_tests", "steps"]))] = decl
            return root, f"params {t}"
    if op == "version" and isinstance(root, dict):
        root["version"] = draw(st.sampled_from([2, 2.1, "2.1", "2", 2.0, 2.2, 3, None, "2.1 "]))
        return root, f"version {root['version']!r}"
    if op == "copyjob" and isinstance(root, dict):
        jobs_ = root.get("jobs")
        if isinstance(jobs_, dict) and jobs_:
            src = draw(st.sampled_from(list(jobs_)))
            new = draw(st.sampled_from(["copy", f"{src}-1", f"{src}", "build", "x" * 70]))
            jobs_[new] = jobs_[src] if draw(st.booleans()) else _copy(jobs_[src], {})
            if items:
                jobs, i = items[draw(st.integers(0, len(items) - 1))]
                jobs.insert(i, new)
            return root, f"copyjob {src} -> {new}"

    path = _walk(draw, root)
    c = path[-1]
    where = f"{type(c).__name__} at depth {len(path) - 1}"
    if not isinstance(c, (dict, list)):
        return _odd_value(draw), "replace root"
    slots = _slots(c)
    if op == "drop" and slots:
        del c[draw(st.sampled_from(slots))]
    elif op == "dup" and slots:
        s = draw(st.sampled_from(slots))
        value = c[s] if draw(st.booleans()) else _copy(c[s], {})
        if isinstance(c, dict):
            c[_key(draw, _names(root, "jobs"))] = value
        else:
            c.insert(draw(st.integers(0, len(c))), value)
    elif op == "swap" and len(slots) >= 2:
        a, b = draw(st.lists(st.sampled_from(slots), min_size=2, max_size=2, unique=True))
        c[a], c[b] = c[b], c[a]
    elif op == "rename" and isinstance(c, dict) and slots:
        old = draw(st.sampled_from(slots))
        new = _key(draw, _names(root, "jobs") + _names(root, "commands"))
        value = c.pop(old)
        c[new] = value
    elif op in ("odd", "long") and slots:
        s = draw(st.sampled_from(slots))
        c[s] = _long_string(draw) if op == "long" else _odd_value(draw)
    elif op == "retype" and slots:
        s = draw(st.sampled_from(slots))
        v = c[s]
        if isinstance(v, dict):
            c[s] = list(v.values()) if draw(st.booleans()) else list(v.keys())
        elif isinstance(v, list):
            c[s] = {str(i): x for i, x in enumerate(v)}
        else:
            c[s] = [v] if draw(st.booleans()) else {str(v): None}
    elif op == "nest" and slots:
        s = draw(st.sampled_from(slots))
        c[s] = _nest(draw, c[s])
    elif op == "ancestor" and slots:
        c[draw(st.sampled_from(slots))] = path[draw(st.integers(0, len(path) - 1))]
    elif op == "bomb" and slots:
        c[draw(st.sampled_from(slots))] = _bomb(draw, bomb_depth)
    else:  # "add", or an op that found nothing to work on
        op = "add"
        if isinstance(c, dict):
            c[_key(draw)] = _odd_value(draw) if draw(st.booleans()) else _logic(draw)
        else:
            c.insert(draw(st.integers(0, len(c))), _odd_value(draw))
    return root, f"{op} {where}"


DATA_OPS = ("drop", "drop", "dup", "dup", "swap", "rename", "odd", "odd", "odd", "long",
            "retype", "nest", "ancestor", "bomb", "add", "requires", "requires", "filters",
            "filters", "matrix", "invocation", "when", "params", "version", "copyjob",
            "copyjob")
_odd_scalar_st = st.composite(lambda draw: _odd_scalar(draw))()


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> Any:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)


def _dump(draw: st.DrawFn, data: Any) -> Optional[str]:
    try:
        text: str = yaml.dump(
            data, Dumper=_Dumper, sort_keys=False,
            allow_unicode=draw(st.booleans()),
            default_flow_style=draw(st.sampled_from([False, False, None, True])),
            width=draw(st.sampled_from([80, 10_000, 20])),
            indent=draw(st.sampled_from([2, 2, 4])))
    except (yaml.YAMLError, RecursionError, ValueError, TypeError):
        return None
    return text


def _mutate_text(draw: st.DrawFn, text: str, seeds: Sequence[Seed]) -> Tuple[str, str]:
    op = draw(st.sampled_from(TEXT_OPS))
    lines = text.split("\n")
    n = len(lines)
    i = draw(st.integers(0, max(n - 1, 0)))
    if op == "drop-line" and n > 1:
        del lines[i]
    elif op == "dup-line":
        lines.insert(i, lines[i])
    elif op == "swap-lines" and n > 1:
        j = draw(st.integers(0, n - 1))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "indent":
        how = draw(st.sampled_from([" ", "  ", "\t", "\u00a0", "\u00a0\u00a0", "\u200b",
                                    "-", "dedent"]))
        lines[i] = lines[i][2:] if how == "dedent" else how + lines[i]
    elif op == "token":
        line = lines[i]
        at = draw(st.integers(0, len(line)))
        lines[i] = line[:at] + draw(st.sampled_from(TEXT_TOKENS)) + line[at:]
    elif op == "alias":
        anchors = re.findall(r"&([^\s,\[\]{}]+)", text) or ["a"]
        name = draw(st.sampled_from(anchors))
        indent = len(lines[i]) - len(lines[i].lstrip(" "))
        form = draw(st.sampled_from(["<<: *{}", "x: *{}", "- *{}", "*{}", "&{} x", "<<: [*{}]",
                                     "<<: *{}\n<<: *{}"]))
        lines.insert(i, " " * indent + form.format(name, name))
    elif op == "truncate":
        return text[: draw(st.integers(0, len(text)))], op
    elif op == "glue":
        other = draw(st.sampled_from(list(seeds))).text
        sep = draw(st.sampled_from(["---\n", "\n", "", "...\n---\n"]))
        return text + sep + other, op
    elif op == "repeat-block" and n > 1:
        j = draw(st.integers(i, min(n, i + 30)))
        lines[i:i] = lines[i:j] * draw(st.integers(1, 20))
    elif op == "deep-flow":
        depth = draw(st.sampled_from([10, 100, 300, 1000, 10_000]))
        br = draw(st.sampled_from([("[", "]"), ("{a: ", "}"), ("- ", "")]))
        value = (br[0] * depth + "x" + br[1] * depth if br[0] != "- "
                 else "\n".join("  " * k + "- " for k in range(min(depth, 500))) + "x")
        lines.insert(i, "deep: " + value)
    elif op == "surrogate":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from(["\ud800", "\udfff", "\udc80"])) + text[at:], op
    else:  # "chars": replace a run of characters
        at = draw(st.integers(0, len(text)))
        k = draw(st.integers(0, 8))
        return text[:at] + draw(st.text(max_size=8)) + text[at + k:], "chars"
    return "\n".join(lines), op


TEXT_OPS = ("drop-line", "dup-line", "swap-lines", "indent", "indent", "token", "token",
            "alias", "alias", "truncate", "glue", "repeat-block", "deep-flow", "surrogate",
            "chars")


def _mutate_bytes(draw: st.DrawFn, raw: bytes) -> Tuple[bytes, str]:
    op = draw(st.sampled_from(["flip", "set", "set", "delete", "insert", "dup", "bom",
                               "utf16", "latin1"]))
    n = len(raw)
    at = draw(st.integers(0, n))
    if op == "flip" and n:
        at = min(at, n - 1)
        return raw[:at] + bytes([raw[at] ^ (1 << draw(st.integers(0, 7)))]) + raw[at + 1:], op
    if op == "set":
        k = draw(st.integers(0, 3))
        return raw[:at] + draw(st.sampled_from(INTERESTING_BYTES)) + raw[at + k:], op
    if op == "delete":
        return raw[:at] + raw[at + draw(st.integers(1, 64)):], op
    if op == "dup":
        return raw[:at] + raw[at:at + draw(st.integers(1, 256))] + raw[at:], op
    if op == "bom":
        return draw(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff",
                                     b"\xef\xbb\xbf\xef\xbb\xbf"])) + raw, op
    if op == "utf16":
        return raw.decode("utf-8", "replace").encode(
            draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32"]))), op
    if op == "latin1":
        return raw.decode("utf-8", "replace").encode("latin-1", "replace"), op
    return raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:], "insert"


@st.composite
def _cases(draw: st.DrawFn, seeds: Sequence[Seed], bomb_depth: int) -> Case:
    seed = draw(st.sampled_from(list(seeds)))
    ops: List[str] = []
    mode = draw(st.sampled_from(["data", "data", "data", "data", "text", "text", "bytes",
                                 "data+text"]))
    text = seed.text
    if "data" in mode and isinstance(seed.data, (dict, list)):
        root = _copy(seed.data, {})
        for _ in range(draw(st.sampled_from([1, 1, 1, 2, 2, 3, 4]))):
            root, what = _mutate_data(draw, root, bomb_depth)
            ops.append(what)
        dumped = _dump(draw, root)
        if dumped is None:
            ops.append("(dump failed: seed text)")
        else:
            text = dumped
    if "text" in mode or "data" not in mode or not ops:
        for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
            text, what = _mutate_text(draw, text, seeds)
            ops.append(what)
    if mode == "bytes":
        raw = text.encode("utf-8", "surrogatepass")
        for _ in range(draw(st.integers(1, 4))):
            raw, what = _mutate_bytes(draw, raw)
            ops.append("bytes:" + what)
        return Case(seed.name, tuple(ops), raw)
    return Case(seed.name, tuple(ops), text)


def cases(seeds: Sequence[Seed], *, bomb_depth: int = 40) -> st.SearchStrategy[Case]:
    """Mutated seeds, as :class:`Case` values (``case.input`` is a ``str`` or ``bytes``).

    ``bomb_depth`` bounds the doubling depth of the alias-bomb mutation (2**depth leaves
    once expanded; the YAML loader refuses more than about 2**19)."""
    return _cases(seeds, bomb_depth)


# --------------------------------------------------------------------------------------
# the check


class InputTimeout(BaseException):
    """Raised by the fuzzer's alarm when one input runs far too long (not an Exception, so
    no ``except Exception`` in the library swallows it)."""


@dataclass
class Finding:
    kind: str  # "exception", "round-trip", "contract", "slow", "timeout"
    stage: str
    message: str
    detail: str = ""  # a traceback, or the processed text that did not validate
    seconds: float = 0.0
    where: str = ""  # the innermost workflowcore frame, for exceptions

    codes: Tuple[str, ...] = ()  # the error codes of a round trip that broke

    @property
    def signature(self) -> str:
        """What two findings of the same bug share (for grouping)."""
        stage = self.stage.split(" [", 1)[0]
        if self.kind == "exception":
            head = self.message.split(":", 1)[0]  # the exception type
        elif self.kind == "round-trip":
            head = self.message.split(":", 1)[0] + " " + ",".join(sorted(set(self.codes)))
        elif self.kind == "contract":
            head = self.message[:60]
        else:
            head = ""
        return f"{self.kind} | {stage} | {head} | {self.where}"

    def report(self, inp: Optional[Input] = None) -> str:
        out = [f"kind: {self.kind}", f"stage: {self.stage}", f"where: {self.where}",
               f"seconds: {self.seconds:.3f}", f"message: {self.message}"]
        if inp is not None:
            out.append(f"input ({type(inp).__name__}, {len(inp)}): {_short(inp, 3000)}")
        if self.detail:
            out += ["", self.detail]
        return "\n".join(out)


def _has(inp: Input, word: str) -> bool:
    return (word.encode() in inp) if isinstance(inp, bytes) else (word in inp)


def _round_trip_codes(f: Finding, allowed: Sequence[str]) -> bool:
    return f.kind == "round-trip" and bool(f.codes) and set(f.codes) <= set(allowed)


#: Findings reported and not fixed yet: id -> (the bug, does this finding look like it).
#: ``main`` counts them apart from new ones; tests/property/test_fuzz_pipeline.py tolerates
#: them and pins each with a strict-xfail regression test. Remove an entry with its fix.
KNOWN: Dict[str, Tuple[str, Callable[[Finding, Input], bool]]] = {
    "when-in-2.0": (
        "a `when` (or `unless`) on a version 2 workflow lowers its workflow errors to "
        "warnings at load (checks: ctx.workflow_severity), but processing drops the `when`, "
        "so the processed config has those errors (job-undefined, requires-unknown, ...)",
        lambda f, inp: f.stage.endswith("[lint]") and (_has(inp, "when") or _has(inp, "unless"))
        and _round_trip_codes(
            f, ["job-undefined", "requires-unknown", "requires-ambiguous", "requires-cycle",
                "workflow-duplicate-name"])),
}


def known_as(finding: Finding, inp: Input) -> Optional[str]:
    """The :data:`KNOWN` id this finding matches, if any."""
    for key, (_what, matches) in KNOWN.items():
        if matches(finding, inp):
            return key
    return None


@dataclass
class _Progress:
    stage: str = "start"
    reached: List[str] = field(default_factory=list)

    def at(self, stage: str) -> None:
        self.stage = stage
        self.reached.append(stage)


def _innermost(tb: Any) -> str:
    where = ""
    for frame in traceback.extract_tb(tb):
        if frame.filename.startswith(SRC):
            rel = os.path.relpath(frame.filename, ROOT)
            where = f"{rel}:{frame.lineno} in {frame.name}"
    return where


def _errors(diags: Sequence[Any]) -> str:
    return "; ".join(str(d) for d in diags if d.is_error)[:2000]


def _label(trigger: Optional[Trigger]) -> str:
    return "lint" if trigger is None else f"{trigger.kind} {trigger.ref}"


def _pipeline(inp: Input, p: _Progress) -> Optional[Finding]:
    p.at("load")
    result = load(inp, "fuzz.yml")
    p.at("diagnostics")
    for d in result.diagnostics:
        if d.line < 1 or d.column < 1 or not d.code or not d.message or not str(d):
            return Finding("contract", p.stage, f"malformed diagnostic {d!r}")
    if result.errors:
        p.at("plan refuses an invalid config")
        try:
            plan(result, MAIN, orb_dir=NO_ORBS)
        except ConfigError:
            return None
        return Finding("contract", p.stage, "plan() accepted a config with errors: "
                       + _errors(result.diagnostics))
    p.at("loaded clean")
    for trigger in (None, MAIN, TAG):
        label = _label(trigger)
        p.at(f"compile [{label}]")
        compiled = compile(result, trigger, orb_dir=NO_ORBS)
        if compiled.data is None or compiled.errors:
            continue
        if any(d.code == "orb-unavailable" for d in compiled.diagnostics):
            continue  # opaque orb elements: not a round-trip case (docs/compile.md)
        p.at(f"to_yaml [{label}]")
        text = to_yaml(compiled.data)
        p.at(f"validate processed [{label}]")
        back = load(text, "processed.yml")
        if back.errors:
            return Finding("round-trip", p.stage,
                           "the processed config does not validate: " + _errors(back.errors),
                           detail="processed config:\n" + text[:20_000],
                           codes=tuple(d.code for d in back.errors))
        if trigger is not None:
            p.at(f"re-process [{label}]")
            again = compile(back, trigger, orb_dir=NO_ORBS)
            if again.data is None or again.errors:
                return Finding("round-trip", p.stage, "re-processing the processed config "
                               "fails: " + _errors(again.diagnostics),
                               detail="processed config:\n" + text[:20_000],
                               codes=tuple(d.code for d in again.errors))
            again_text = to_yaml(again.data)
            if again_text != text:
                return Finding("round-trip", p.stage, "re-processing changes the output",
                               detail=f"processed:\n{text[:10_000]}\nre-processed:\n"
                                      f"{again_text[:10_000]}")
    for trigger in (MAIN, TAG):
        label = _label(trigger)
        p.at(f"plan [{label}]")
        try:
            planned = plan(result, trigger, orb_dir=NO_ORBS)
        except ConfigError:
            continue  # documented: the compilation for this trigger has errors
        p.at(f"plan to_dict [{label}]")
        json.dumps(planned.to_dict())
        p.at(f"planned [{label}]")
    return None


def check(inp: Input, time_limit: float = TIME_LIMIT,
          reached: Optional[Counter[str]] = None) -> Optional[Finding]:
    """Run one input through the pipeline; a :class:`Finding` or ``None`` when all is well.

    ``reached`` (when given) counts the stages the input got to."""
    p = _Progress()
    t0 = time.perf_counter()
    finding: Optional[Finding]
    try:
        finding = _pipeline(inp, p)
    except (KeyboardInterrupt, SystemExit):
        raise
    except InputTimeout:
        finding = Finding("timeout", p.stage,
                          f"still running after {time.perf_counter() - t0:.1f} s")
    except BaseException as exc:  # MemoryError, RecursionError: findings too
        tb = exc.__traceback__
        finding = Finding("exception", p.stage, f"{type(exc).__name__}: {exc}"[:2000],
                          detail="".join(traceback.format_exception(type(exc), exc, tb)),
                          where=_innermost(tb))
        tb = None
    elapsed = time.perf_counter() - t0
    if reached is not None:
        reached.update(set(p.reached))
    if finding is None and elapsed > time_limit:
        finding = Finding("slow", p.stage, f"took {elapsed:.2f} s (limit {time_limit} s)",
                          detail="stages: " + " -> ".join(p.reached))
    if finding is not None:
        finding.seconds = elapsed
    return finding


# --------------------------------------------------------------------------------------
# the fuzzer


@dataclass
class _Stats:
    out: Path
    time_limit: float
    hard_limit: float
    started: float = field(default_factory=time.monotonic)
    inputs: int = 0
    findings: int = 0
    known: int = 0  # findings matching KNOWN
    reached: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    signatures: Dict[str, int] = field(default_factory=dict)
    saved: List[Path] = field(default_factory=list)
    last_print: float = field(default_factory=time.monotonic)

    def run(self, case: Case) -> None:
        inp = case.input
        kind = "bytes" if isinstance(inp, bytes) else "str"
        self.kinds[kind] += 1
        if self.hard_limit > 0:
            signal.setitimer(signal.ITIMER_REAL, self.hard_limit)
        try:
            finding = check(inp, self.time_limit, self.reached)
        except InputTimeout:  # the alarm fired just after check() returned
            finding = None
        finally:
            if self.hard_limit > 0:
                signal.setitimer(signal.ITIMER_REAL, 0)
        self.inputs += 1
        if finding is not None:
            self.record(case, finding)
        now = time.monotonic()
        if now - self.last_print >= 30:
            self.last_print = now
            self.progress()

    def record(self, case: Case, finding: Finding) -> None:
        self.findings += 1
        known = known_as(finding, case.input)
        sig = finding.signature if known is None else f"known:{known} | {finding.signature}"
        if known is not None:
            self.known += 1
        n = self.signatures.get(sig, 0)
        self.signatures[sig] = n + 1
        if n == 0:
            print(f"\nFINDING #{len(self.signatures)}: {sig[:300]}\n  seed={case.seed} "
                  f"ops={list(case.ops)}\n  {finding.message[:300]}", flush=True)
        if n >= 3:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        sig_id = hashlib.sha1(sig.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        raw = (case.input if isinstance(case.input, bytes)
               else case.input.encode("utf-8", "surrogatepass"))
        kind = "bytes" if isinstance(case.input, bytes) else "str"
        base = self.out / f"{sig_id}-{n + 1}.{kind}"
        base.with_suffix(f".{kind}.input").write_bytes(raw)
        report = (f"signature: {sig}\nseed: {case.seed}\nops: {list(case.ops)}\n"
                  f"replay: .venv/bin/python -m benchmarks.fuzz --replay "
                  f"{base.with_suffix(f'.{kind}.input')}\n" + finding.report(case.input))
        base.with_suffix(f".{kind}.txt").write_text(report, encoding="utf-8",
                                                    errors="backslashreplace")
        self.saved.append(base.with_suffix(f".{kind}.input"))

    def progress(self) -> None:
        elapsed = time.monotonic() - self.started
        rate = self.inputs / elapsed if elapsed else 0.0
        clean = self.reached.get("loaded clean", 0)
        planned = sum(v for k, v in self.reached.items() if k.startswith("planned"))
        rt = sum(v for k, v in self.reached.items() if k.startswith("validate processed"))
        print(f"[{elapsed:7.1f} s] {self.inputs} inputs, {rate:.1f}/s; loaded clean "
              f"{clean}, round-tripped {rt} outputs, {planned} plans; findings "
              f"{self.findings} ({self.known} known; {len(self.signatures)} distinct)",
              flush=True)

    def summary(self) -> str:
        elapsed = time.monotonic() - self.started
        lines = [
            "",
            f"inputs: {self.inputs} in {elapsed:.1f} s = {self.inputs / max(elapsed, 1e-9):.1f} "
            f"inputs/s ({self.kinds['str']} str, {self.kinds['bytes']} bytes)",
            "stages reached (inputs): " + ", ".join(
                f"{k}={v}" for k, v in sorted(self.reached.items(), key=lambda kv: -kv[1])),
            f"findings: {self.findings}, {self.findings - self.known} new and {self.known} "
            f"known ({len(self.signatures)} distinct signatures)",
        ]
        for sig, count in sorted(self.signatures.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {count:6d} x {sig[:300]}")
        if self.saved:
            lines.append(f"saved {len(self.saved)} inputs under {self.out}")
        return "\n".join(lines)


def _on_alarm(signum: int, frame: Optional[FrameType]) -> None:
    raise InputTimeout()


def _limit_memory(gib: float) -> None:
    if gib <= 0:
        return
    import resource

    limit = int(gib * 1024**3)
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _fuzz_hypothesis(strategy: st.SearchStrategy[Case], stats: _Stats, deadline: float,
                     seed: Optional[int]) -> None:
    batch = 0
    while time.monotonic() < deadline:
        @settings(max_examples=200, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck), print_blob=False)
        @given(strategy)
        def one(case: Case) -> None:
            if time.monotonic() < deadline:
                stats.run(case)

        if seed is not None:
            one = hypothesis_seed(seed * 1_000_003 + batch)(one)
        batch += 1
        one()


def _fuzz_atheris(atheris: Any, strategy: st.SearchStrategy[Case], stats: _Stats,
                  minutes: float) -> None:  # pragma: no cover - atheris is optional
    import atexit

    @settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def one(case: Case) -> None:
        stats.run(case)

    atexit.register(lambda: print(stats.summary(), flush=True))
    atheris.instrument_all()
    atheris.Setup([sys.argv[0], f"-max_total_time={int(minutes * 60)}", "-rss_limit_mb=0"],
                  getattr(one, "hypothesis").fuzz_one_input)  # noqa: B009 - typed so
    atheris.Fuzz()


def _replay(path: Path, time_limit: float) -> int:
    raw = path.read_bytes()
    inp: Input = raw if ".bytes." in path.name else raw.decode("utf-8", "surrogatepass")
    finding = check(inp, time_limit)
    if finding is None:
        print(f"{path}: no finding")
        return 0
    print(finding.report(inp))
    return 1


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.fuzz",
                                 description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--minutes", type=float, default=1.0, help="how long to fuzz (default 1)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "fuzz-findings",
                    help="where failing inputs are saved (default benchmarks/fuzz-findings/)")
    ap.add_argument("--seed", type=int, default=None, help="reproducible generation")
    ap.add_argument("--time-limit", type=float, default=TIME_LIMIT,
                    help="seconds per input before it is a finding (default 5)")
    ap.add_argument("--hard-limit", type=float, default=60.0,
                    help="seconds after which an input is interrupted (0: never; default 60)")
    ap.add_argument("--memory-gib", type=float, default=2.0,
                    help="RLIMIT_AS of this process in GiB (0: unlimited; default 2)")
    ap.add_argument("--engine", choices=["auto", "hypothesis", "atheris"], default="auto")
    ap.add_argument("--replay", type=Path, default=None, metavar="FILE",
                    help="run one saved input (*.str.input or *.bytes.input) and exit")
    args = ap.parse_args(argv)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    _limit_memory(args.memory_gib)
    if args.replay is not None:
        return _replay(args.replay, args.time_limit)
    shared = find_shared()
    if shared is None:
        where = os.environ.get("WFC_SHARED") or str(ROOT.parent / "shared")
        print(f"fuzz: the shared corpus is missing: no corpus/real under {where}. Clone the "
              "project next to 'shared/' or set WFC_SHARED.", file=sys.stderr)
        return 2
    seeds = load_seeds(shared)
    if not seeds:
        print(f"fuzz: no *.yml seeds under {shared / 'corpus' / 'real'}", file=sys.stderr)
        return 2
    atheris: Any = None
    if args.engine in ("auto", "atheris"):
        try:
            atheris = importlib.import_module("atheris")
        except ImportError:
            if args.engine == "atheris":
                print("fuzz: atheris is not installed", file=sys.stderr)
                return 2
    engine = "atheris" if atheris is not None else "hypothesis"
    stats = _Stats(out=args.out, time_limit=args.time_limit, hard_limit=args.hard_limit)
    if args.hard_limit > 0:
        signal.signal(signal.SIGALRM, _on_alarm)
    print(f"fuzz: {len(seeds)} seeds from {shared / 'corpus' / 'real'}, engine {engine}, "
          f"{args.minutes:g} min, time limit {args.time_limit:g} s/input, memory "
          f"{args.memory_gib:g} GiB, findings to {args.out}", flush=True)
    strategy = cases(seeds)
    try:
        if atheris is not None:
            _fuzz_atheris(atheris, strategy, stats, args.minutes)
        else:
            _fuzz_hypothesis(strategy, stats, time.monotonic() + args.minutes * 60, args.seed)
    except KeyboardInterrupt:
        print("\ninterrupted", flush=True)
    print(stats.summary(), flush=True)
    return 1 if stats.findings > stats.known else 0


if __name__ == "__main__":
    sys.exit(main())
