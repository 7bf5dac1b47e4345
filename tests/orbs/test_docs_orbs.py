"""docs/orbs.md stays true: every diagnostic code the orb modules emit has a section there,
and each section's example produces exactly the output shown under it.

Examples are orb source trees: ``# file: <path>`` lines start files of the folder ``src``
(``yaml orb``), or the text is one orb file ``orb.yml`` (``yaml orb-file``). Special lines:
``# fifo: <path>`` makes a FIFO, ``# symlink: <path> -> <target>`` a symbolic link.
``max_chars=N`` after the kind sets the bound. The output is ``validate_orb``'s diagnostics.

After an intended change: ``WFC_UPDATE_DOCS=1 pytest tests/orbs/test_docs_orbs.py``
rewrites the output blocks; review the diff.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from pathlib import Path

import pytest

from workflowcore.config.orbs import validate_orb

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "orbs.md"
#: Codes shared with configs are documented there.
CONFIG_DOC = ROOT / "docs" / "diagnostics.md"
SECTION = re.compile(r"^### `([a-z0-9-]+)`", re.M)
BLOCK = re.compile(r"```(yaml orb(?:-file)?[^\n]*)\n(.*?)```\n+```text\n(.*?)```", re.S)
CODE = re.compile(r"^orb-[a-z0-9-]+$")


def emitted_codes() -> set[str]:
    codes: set[str] = set()
    for f in (ROOT / "src" / "workflowcore" / "config" / "orbs").rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and CODE.match(node.value):
                codes.add(node.value)
    return codes


def sections(doc: Path = DOC) -> dict[str, str]:
    text = doc.read_text(encoding="utf-8")
    marks = list(SECTION.finditer(text))
    return {m.group(1): text[m.end(): marks[i + 1].start() if i + 1 < len(marks) else None]
            for i, m in enumerate(marks)}


def run_example(kind: str, source: str, tmp: Path) -> str:
    opts = dict(part.split("=", 1) for part in kind.split()[2:])
    limits = {k: int(v) for k, v in opts.items()}
    if kind.split()[1] == "orb-file":
        (tmp / "orb.yml").write_text(source, encoding="utf-8")
        target = "orb.yml"
    else:
        target = "src"
        (tmp / "src").mkdir()
        current = None
        texts: dict[str, str] = {}
        for line in source.splitlines(keepends=True):
            m = re.match(r"# (file|fifo|symlink|mkdir): (.+)\n", line)
            if m is None:
                if current is not None:
                    texts[current] += line
                continue
            what, arg = m.groups()
            current = None
            if what == "file":
                current = arg
                texts[arg] = ""
            elif what == "fifo":
                (tmp / "src" / arg).parent.mkdir(parents=True, exist_ok=True)
                os.mkfifo(tmp / "src" / arg)
            elif what == "mkdir":
                (tmp / "src" / arg).mkdir(parents=True, exist_ok=True)
            else:
                link, _, to = arg.partition(" -> ")
                (tmp / "src" / link).parent.mkdir(parents=True, exist_ok=True)
                os.symlink(to, tmp / "src" / link)
        for name, text in texts.items():
            p = tmp / "src" / name if not name.startswith("../") else tmp / name[3:]
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        report = validate_orb(target, **limits)
    finally:
        os.chdir(cwd)
    return "".join(f"{d}\n" for d in report.diagnostics)


SECTIONS = sections()


def test_every_orb_code_is_documented() -> None:
    assert "orb-include-missing" in emitted_codes()  # the scan finds the codes
    missing = sorted(emitted_codes() - set(SECTIONS) - set(sections(CONFIG_DOC)))
    assert not missing, f"undocumented orb diagnostic codes: {missing}"


@pytest.mark.skipif(sys.platform == "win32", reason="examples use FIFOs and symbolic links")
@pytest.mark.parametrize("code", sorted(SECTIONS))
def test_documented_example_gives_the_shown_output(code: str, tmp_path: Path) -> None:
    body = SECTIONS[code]
    m = BLOCK.search(body)
    assert m, f"section {code} needs a ```yaml orb input block followed by a ```text block"
    kind, source, shown = m.groups()
    got = run_example(kind, source, tmp_path)
    if os.environ.get("WFC_UPDATE_DOCS") and got != shown:
        text = DOC.read_text(encoding="utf-8")
        start = text.index(f"### `{code}`")
        at = text.index(m.group(0), start)
        text = text[:at] + m.group(0).replace(f"```text\n{shown}```", f"```text\n{got}```") \
            + text[at + len(m.group(0)):]
        DOC.write_text(text, encoding="utf-8")
        shown = got
    assert got == shown
    assert f"[{code}]" in got, f"the example of {code} does not produce {code}"
