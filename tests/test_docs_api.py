"""docs/api.md: every ``python`` block runs (in order, one namespace, in a temp dir), and
every public name is documented there; ``__all__`` is sorted, complete and importable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import workflowcore

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "api.md"


def test_api_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 5
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for i, block in enumerate(blocks):
        code = compile(block, f"docs/api.md[block {i + 1}]", "exec")
        exec(code, namespace)


def test_all_is_sorted_and_importable() -> None:
    names = workflowcore.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(workflowcore, name) is not None
    assert set(dir(workflowcore)) == set(names)
    with pytest.raises(AttributeError):
        _ = workflowcore.no_such_name  # type: ignore[attr-defined]


def test_every_public_name_is_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    missing = [n for n in workflowcore.__all__ if n != "__version__" and f"`{n}" not in doc
               and f"wc.{n}" not in doc]
    assert not missing, f"not documented in docs/api.md: {missing}"


def test_import_is_lazy() -> None:
    import subprocess
    import sys

    code = ("import sys, workflowcore; "
            "print(sorted(m for m in ('pydantic', 'yaml', 'sqlite3', 'workflowcore.runtime') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
