"""docs/diagnostics.md stays true: every code the package can emit is documented, and each
example input produces exactly the output shown under it.

After an intended change: ``WFC_UPDATE_DOCS=1 pytest tests/test_docs_diagnostics.py``
rewrites the output blocks; review the diff.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path
from typing import Any

import pytest

from workflowcore.config import load, load_file
from workflowcore.runtime.contexts import load_contexts, load_contexts_file

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "diagnostics.md"
SECTION = re.compile(r"^### `([a-z0-9-]+)`", re.M)
BLOCK = re.compile(r"```((?:yaml|path)[^\n]*)\n(.*?)```\n+```text\n(.*?)```", re.S)
FAMILIES = ("yaml", "schema", "requires", "job", "filter", "approval", "executor", "command",
            "param", "expr", "template", "matrix", "orb", "workflow", "workflows", "version",
            "top-level", "step", "context", "config", "suppression")
CODE = re.compile(r"^({})-[a-z0-9-]+$".format("|".join(FAMILIES)))
# Code-shaped strings that are config keys, not diagnostic codes.
NOT_CODES = {"job-groups"}
# Modules whose code-shaped strings are diagnostics (runtime event names are not).
SOURCES = ["config", "expr", "planning", "runtime/contexts.py"]


def emitted_codes() -> set[str]:
    codes: set[str] = set()
    base = ROOT / "src" / "workflowcore"
    files: list[Path] = []
    for s in SOURCES:
        p = base / s
        files.extend(p.rglob("*.py") if p.is_dir() else [p])
    for f in files:
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and CODE.match(node.value) and node.value not in NOT_CODES:
                codes.add(node.value)
    return codes


def sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    marks = list(SECTION.finditer(text))
    return {m.group(1): text[m.end(): marks[i + 1].start() if i + 1 < len(marks) else None]
            for i, m in enumerate(marks)}


def run_example(kind: str, source: str) -> str:
    if kind == "yaml compile":
        from workflowcore.config import compile_config
        from workflowcore.config._yaml import parse_yaml

        y = parse_yaml(source, "config.yml")
        result = compile_config(y.data, source_map=y.source_map, lint=True)
        return "".join(f"{d}\n" for d in result.diagnostics)
    if kind == "yaml suppressed":  # what `validate` shows: after the # cci-ignore comments
        from workflowcore.config.suppress import apply_suppressions
        from workflowcore.diagnostics import sort_diagnostics

        result = load(source, "config.yml")
        kept, warnings = apply_suppressions(result.diagnostics, source, "config.yml")
        return "".join(f"{d}\n" for d in sort_diagnostics(kept + warnings))
    if kind == "yaml files":
        return _run_files(source)
    if kind == "yaml lock":
        return _run_lock(source)
    if kind == "path contexts":
        result = load_contexts_file(source.strip())
        return "".join(f"{d}\n" for d in result.diagnostics)
    if kind == "yaml contexts":
        result = load_contexts(source, "contexts.yml")
        return "".join(f"{d}\n" for d in result.diagnostics)
    if kind == "yaml latin-1":
        return "".join(f"{d}\n" for d in load(source.encode("latin-1"), "config.yml").diagnostics)
    if kind.startswith("yaml max_chars="):
        limit = int(kind.split("=", 1)[1])
        return "".join(f"{d}\n" for d in load(source, "config.yml", max_chars=limit).diagnostics)
    assert kind == "yaml", kind
    return "".join(f"{d}\n" for d in load(source, "config.yml").diagnostics)


def _run_lock(source: str) -> str:
    """Files as for ``yaml files`` (the config, ``.circleci/orbs.lock``, an orb store under
    ``store/``): the lock's findings after compiling the config with that store."""
    from workflowcore import compile as compile_api
    from workflowcore.config.orbs.lock import check_lock, read_lock, resolution_of

    def findings(config: str) -> list:  # type: ignore[type-arg]
        lock = read_lock(".circleci/orbs.lock")
        compiled = compile_api(load_file(config), orb_dir="store", orb_pins=lock.pins())
        return check_lock(lock, resolution_of(compiled.resolved_orbs),
                          compiled.unavailable_orbs)

    return _in_files(source, findings)


def _run_files(source: str) -> str:
    """Several files, each after a ``# file: <path>`` line; the first is the config."""
    return _in_files(source, lambda config: load_file(config).diagnostics)


def _in_files(source: str, diagnose: Any) -> str:
    """Write the files of ``source`` (each after a ``# file: <path>`` line) in a temporary
    directory and print what ``diagnose(first file)`` finds there."""
    import tempfile

    parts = re.split(r"^# file: (.+)\n", source, flags=re.M)[1:]
    files = list(zip(parts[::2], parts[1::2]))
    with tempfile.TemporaryDirectory() as d:
        for name, text in files:
            p = Path(d) / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        cwd = os.getcwd()
        os.chdir(d)
        try:
            found = diagnose(files[0][0])
        finally:
            os.chdir(cwd)
    return "".join(f"{d}\n" for d in found)


ORBS_DOC = ROOT / "docs" / "orbs.md"


def test_every_emitted_code_is_documented() -> None:
    # the codes of orb packing and validation live in docs/orbs.md (its examples are run
    # by tests/orbs/test_docs_orbs.py); docs/diagnostics.md lists and links them
    orb_codes = {m.group(1) for m in SECTION.finditer(ORBS_DOC.read_text(encoding="utf-8"))}
    text = DOC.read_text(encoding="utf-8")
    unlisted = sorted(c for c in orb_codes if f"`{c}`" not in text)
    assert not unlisted, f"orb codes not listed in docs/diagnostics.md: {unlisted}"
    documented = set(sections()) | orb_codes
    missing = sorted(emitted_codes() - documented)
    assert not missing, f"undocumented diagnostic codes: {missing}"


SECTIONS = sections()


@pytest.mark.parametrize("code", sorted(SECTIONS))
def test_documented_example_gives_the_shown_output(code: str) -> None:
    body = SECTIONS[code]
    m = BLOCK.search(body)
    assert m, f"section {code} needs a ```yaml input block followed by a ```text output block"
    kind, source, shown = m.groups()
    got = run_example(kind, source)
    if os.environ.get("WFC_UPDATE_DOCS") and got != shown:
        text = DOC.read_text(encoding="utf-8")
        start = text.index(f"### `{code}`")
        block_at = text.index(m.group(0), start)
        text = text[:block_at] + m.group(0).replace(f"```text\n{shown}```",
                                                    f"```text\n{got}```") \
            + text[block_at + len(m.group(0)):]
        DOC.write_text(text, encoding="utf-8")
        shown = got
    assert got == shown
    assert f"[{code}]" in got, f"the example of {code} does not produce {code}"
