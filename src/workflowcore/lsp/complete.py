"""Completion: what may be written at the cursor, by the models and by the config's names.

The place comes from indentation (:mod:`.context`, which works on a document that is not
valid YAML yet); the names (jobs, commands, executors, parameters) from the last version
of the document that could be read, and from the orbs it imports (local store). What is
offered:

* a key of a mapping: the keys the models allow there (with their descriptions), minus
  those already written; in a job invocation, a step invoking a command or an executor
  map, the parameters of the job, command or executor too;
* a step: the built-in steps, the config's commands, orb commands;
* a workflow's (or job group's) job list: the jobs, job groups and orb jobs;
* ``requires``: the jobs of the workflow (names as the workflow calls them), and in
  ``- job: <status>`` the statuses CircleCI waits for;
* a value: ``executor:`` names, enum parameter values, ``true``/``false`` for booleans,
  fixed values from the models (``type``, ``when``...);
* ``<< parameters.`` / ``<< pipeline.``: the element's parameters, pipeline values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ..config._vocabulary import BUILTIN_STEPS, INVOCATION_KEYS
from ..config.checks.base import invocations
from ..config.models import JOB_STATUSES
from ..expr.pipeline_values import PIPELINE_VALUES
from .analysis import Snapshot
from .context import Context, context_at
from .hover import element_text, parameter_text
from .index import KIND_SECTIONS, STEP_KEYS, element_owner, qualify, value_at
from .schemadoc import key_doc, keys_here, literal_values

__all__ = ["Item", "complete"]

Loc = Tuple[Any, ...]
_STEP_DOCS = {
    "run": "Run a shell command.",
    "checkout": "Check out the project's source code.",
    "setup_remote_docker": "Make a remote Docker engine available (docker executor).",
    "save_cache": "Save directories to the cache.",
    "restore_cache": "Restore a saved cache.",
    "store_artifacts": "Upload build artifacts.",
    "store_test_results": "Upload test results.",
    "persist_to_workspace": "Keep files for later jobs of the workflow.",
    "attach_workspace": "Unpack the workflow's workspace.",
    "add_ssh_keys": "Add SSH keys from the project settings.",
    "install_signing_bundle": "Install a code signing bundle.",
    "deploy": "Deprecated: use run.",
    "when": "Steps included when a condition holds.",
    "unless": "Steps included unless a condition holds.",
}
_STATUS_DOCS = {
    "success": "the job succeeded (the default)",
    "failed": "the job failed",
    "canceled": "the job was canceled",
    "unauthorized": "the job was not authorized to run (restricted context)",
    "not_run": "the job did not run",
    "terminal": "any of the five: the job finished, however",
}


@dataclass
class Item:
    """One completion: ``label`` is also the text inserted unless ``insert`` says
    otherwise; ``kind`` is what it is (``key``, ``step``, ``job``, ``command``,
    ``executor``, ``parameter``, ``status``, ``value``, ``variable``); ``start`` the
    column the inserted text replaces from (to the cursor)."""

    label: str
    kind: str
    detail: str = ""
    documentation: str = ""
    insert: Optional[str] = None
    start: int = 0
    sort: str = "1"


def complete(snap: Optional[Snapshot], text_lines: Sequence[str], line0: int, col0: int
             ) -> List[Item]:
    """The completions at ``line0``/``col0`` of the current text (``text_lines``), with
    names from ``snap`` (the latest readable version; ``None``: models only)."""
    ctx = context_at(text_lines, line0, col0)
    if ctx is None:
        return []
    prefix: Loc = snap.prefix if snap is not None else ()
    loc: Loc = (*prefix, *ctx.path)
    data = snap.data if snap is not None else None
    if not isinstance(data, dict):
        data = {}
    if snap is not None and snap.orb is not None:
        data = _tree_data(snap, data)
    items = _Completer(snap, data, ctx, loc).items()
    word = ctx.word
    out = []
    seen = set()
    for item in items:
        if item.label in seen:
            continue
        if word and not item.label.startswith(word) and word not in item.label:
            continue
        seen.add(item.label)
        item.start = ctx.start
        out.append(item)
    return out


def _tree_data(snap: Snapshot, data: Mapping[str, Any]) -> Dict[str, Any]:
    """An orb source file's data with the elements of the other files of its tree (an
    element file holds one element; a step may invoke any command of the orb)."""
    out: Dict[str, Any] = dict(data)
    for d in snap.index.definitions:
        if d.symbol.kind in KIND_SECTIONS and len(d.loc) == 2:
            section = KIND_SECTIONS[d.symbol.kind]
            merged = dict(out.get(section) or {})
            merged.setdefault(d.symbol.name, d.body)
            out[section] = merged
    return out


class _Completer:
    def __init__(self, snap: Optional[Snapshot], data: Mapping[str, Any], ctx: Context,
                 loc: Loc) -> None:
        self.snap = snap
        self.data = data
        self.ctx = ctx
        self.loc = loc

    # -- names -------------------------------------------------------------------------
    def section(self, key: str, loc: Loc = ()) -> Mapping[str, Any]:
        """The elements of a kind visible from ``loc`` (an inline orb's own first)."""
        value = self.data.get(key)
        out: Dict[str, Any] = dict(value) if isinstance(value, dict) else {}
        if len(loc) >= 2 and loc[0] == "orbs":
            own = value_at(self.data, ("orbs", loc[1], key))
            if isinstance(own, dict):
                out.update(own)
        return out

    def orb_names(self, section: str) -> List[Tuple[str, str]]:
        if self.snap is None:
            return []
        return self.snap.resolver.names(section)

    def element(self, kind_section: str, name: str, loc: Loc) -> Any:
        """The definition of an invoked element (the config's, an inline or store orb's)."""
        name = qualify(name, loc)
        if "/" in name:
            alias, _, rest = name.partition("/")
            own = value_at(self.data, ("orbs", alias, kind_section, rest))
            if own is not None:
                return own
            if self.snap is not None:
                element = self.snap.resolver.element(alias, kind_section, rest)
                return element.body if element is not None else None
            return None
        return value_at(self.data, (kind_section, name))

    # -- dispatch ----------------------------------------------------------------------
    def items(self) -> List[Item]:
        mode = self.ctx.mode
        if mode == "template":
            return self.templates()
        if mode == "key":
            return self.keys()
        if mode == "item":
            return self.sequence_items(self.loc)
        if mode == "flow":
            return self.sequence_items(self.loc)
        return self.values()

    def templates(self) -> List[Item]:
        word = self.ctx.word
        out: List[Item] = []
        if not word or "parameters.".startswith(word[:11]):
            owner = element_owner(self.loc)
            params = value_at(self.data, (*owner, "parameters")) if owner else None
            for name, decl in (params.items() if isinstance(params, dict) else ()):
                out.append(Item(f"parameters.{name}", "parameter", _decl_detail(decl),
                                parameter_text(str(name), decl)))
        if not word or word.startswith("pipeline") or "pipeline".startswith(word):
            params = self.data.get("parameters")
            for name, decl in (params.items() if isinstance(params, dict) else ()):
                out.append(Item(f"pipeline.parameters.{name}", "parameter",
                                _decl_detail(decl), parameter_text(str(name), decl)))
            for value in PIPELINE_VALUES:
                if not value.private and not value.deprecated:
                    out.append(Item(value.name, "variable", value.type, value.description,
                                    sort="2"))
        return out

    def keys(self) -> List[Item]:
        loc = self.loc
        written = set(self.ctx.siblings)
        out: List[Item] = []
        for param, decl in self.invoked_parameters(loc).items():
            if param not in written:
                out.append(Item(param, "parameter", _decl_detail(decl),
                                parameter_text(param, decl), insert=f"{param}: ", sort="0"))
        for doc in keys_here(loc):
            if doc.key in written:
                continue
            out.append(Item(doc.key, "key", doc.types, doc.description, insert=f"{doc.key}: "))
        return out

    def invoked_parameters(self, loc: Loc) -> Dict[str, Any]:
        """Parameters of what the mapping at ``loc`` invokes: a workflow's job entry, a
        command step, an executor map."""
        n = len(loc)
        params: Any = None
        if n == 5 and loc[0] in ("workflows", "job-groups") and loc[2] == "jobs":
            params = _params(self.element("jobs", str(loc[4]), loc))
            if isinstance(params, dict):
                params = {k: v for k, v in params.items() if k not in INVOCATION_KEYS}
        elif n >= 3 and loc[-3] in STEP_KEYS and isinstance(loc[-2], int):
            name = str(loc[-1])
            if name not in BUILTIN_STEPS or name in self.section("commands"):
                params = _params(self.element("commands", name, loc))
        elif n >= 1 and loc[-1] == "executor" and element_owner(loc) is not None:
            executor = value_at(self.data, (*loc, "name"))
            if isinstance(executor, str):
                params = _params(self.element("executors", executor, loc))
        return dict(params) if isinstance(params, dict) else {}

    def sequence_items(self, loc: Loc) -> List[Item]:
        """Items of the sequence at ``loc`` (``ctx.path`` ends with the item's index for
        ``item`` mode, or with the key for ``flow``)."""
        seq = loc[:-1] if self.ctx.mode == "item" else loc
        if not seq:
            return []
        last = seq[-1]
        if last in STEP_KEYS:
            return self.steps(seq)
        if last == "jobs" and len(seq) == 3 and seq[0] in ("workflows", "job-groups"):
            return self.jobs()
        if last == "requires":
            return self.required(seq)
        if self.ctx.mode == "item":
            # `- ` starting a mapping item: its keys
            return [Item(d.key, "key", d.types, d.description, insert=f"{d.key}: ")
                    for d in keys_here((*seq, 0))]
        return []

    def steps(self, loc: Loc) -> List[Item]:
        out: List[Item] = []
        commands = self.section("commands", loc)
        for name, body in commands.items():
            out.append(Item(str(name), "command", "command",
                            element_text("command", str(name), body), sort="0"))
        for name in sorted(BUILTIN_STEPS | {"when", "unless"}):
            if name not in commands:
                out.append(Item(name, "step", "built-in step", _STEP_DOCS.get(name, "")))
        for name, origin in self.orb_names("commands"):
            out.append(Item(name, "command", f"orb command ({origin})", sort="2"))
        return out

    def jobs(self) -> List[Item]:
        out: List[Item] = []
        for name, body in self.section("jobs").items():
            out.append(Item(str(name), "job", "job", element_text("job", str(name), body),
                            sort="0"))
        for name in self.section("job-groups"):
            out.append(Item(str(name), "job", "job group"))
        for name, origin in self.orb_names("jobs"):
            out.append(Item(name, "job", f"orb job ({origin})", sort="2"))
        return out

    def required(self, loc: Loc) -> List[Item]:
        """Names ``requires`` may use: the other entries of the same workflow as it calls
        them, then every job."""
        out: List[Item] = []
        if len(loc) >= 5 and loc[0] in ("workflows", "job-groups"):
            body = value_at(self.data, loc[:2])
            if isinstance(body, dict):
                me = loc[4]
                for inv in invocations(str(loc[1]), body, loc[:2]):
                    if inv.ref != me and inv.alias != me:
                        out.append(Item(inv.alias, "job", f"job in workflow '{loc[1]}'",
                                        sort="0"))
        for name in self.section("jobs"):
            out.append(Item(str(name), "job", "job", sort="1"))
        return out

    def values(self) -> List[Item]:
        loc = self.loc
        key = loc[-1] if loc else None
        out: List[Item] = []
        if len(loc) >= 3 and loc[-3] == "requires" and isinstance(loc[-2], int):
            # `- build: <status>`
            return [Item(status, "status", "requires status", _STATUS_DOCS[status])
                    for status in sorted(JOB_STATUSES)]
        if key == "executor" or (key == "name" and len(loc) >= 2 and loc[-2] == "executor"):
            for name, body in self.section("executors", loc).items():
                out.append(Item(str(name), "executor", "executor",
                                element_text("executor", str(name), body), sort="0"))
            for name, origin in self.orb_names("executors"):
                out.append(Item(name, "executor", f"orb executor ({origin})", sort="2"))
        if key == "requires":
            return self.required(loc)
        if key == "version" and len(loc) == 1:
            out.extend(Item(v, "value", "config version") for v in ("2.1", "2.0", "2"))
        if isinstance(key, str) and len(loc) >= 1:
            decl = self.invoked_parameters(loc[:-1]).get(key)
            if isinstance(decl, dict):
                out.extend(_parameter_values(decl, self, loc))
        for value in literal_values(loc):
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            doc = key_doc(loc)
            out.append(Item(text, "value", doc.types if doc else "", sort="1"))
        return out


def _params(body: Any) -> Any:
    return body.get("parameters") if isinstance(body, dict) else None


def _decl_detail(decl: Any) -> str:
    if not isinstance(decl, dict):
        return "parameter"
    out = str(decl.get("type", "parameter"))
    if "default" in decl:
        out += f" = {decl['default']!r}"
    return out


def _parameter_values(decl: Mapping[str, Any], completer: _Completer, loc: Loc) -> List[Item]:
    kind = decl.get("type")
    if kind == "enum" and isinstance(decl.get("enum"), list):
        return [Item(str(v), "value", "enum value", sort="0") for v in decl["enum"]]
    if kind == "boolean":
        return [Item(v, "value", "boolean", sort="0") for v in ("true", "false")]
    if kind == "executor":
        return [Item(str(n), "executor", "executor", sort="0")
                for n in completer.section("executors", loc)]
    return []
