"""The real-world corpus: every real 2.1 config compiles without errors (orbs that are not
available offline may warn); no file, fixture or not, crashes or hangs the compiler."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Dict, List

import pytest

from workflowcore.config._yaml import parse_yaml
from workflowcore.config.compile import compile_config

from ..conftest import shared_dir

#: Real files that are not YAML at all (listed with their exact diagnostics in
#: tests/testdata/corpus_invalid.tsv and checked by tests/config/test_corpus.py).
NOT_YAML = {
    "prometheus__prometheus__dc5e0e7.yml",
    "elit-cx__test-kics-orb__6cc379a.yml",
    "google__s2geometry__4fc0448.yml",
}


def _manifest() -> List[Dict[str, str]]:
    real = shared_dir() / "corpus" / "real"
    lines = (real / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line.strip()]


ROWS = _manifest()


def _rejected() -> Dict[str, List[str]]:
    """Valid YAML that CircleCI rejects (tests/testdata/corpus_invalid.tsv): the compile
    reports the same errors the loader lists there."""
    tsv = Path(__file__).resolve().parents[1] / "testdata" / "corpus_invalid.tsv"
    out: Dict[str, List[str]] = {}
    for line in tsv.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, expected = line.split("\t", 1)
        if name not in NOT_YAML:
            out[name] = expected.split(" || ")
    return out


REJECTED = _rejected()
REAL_21 = [r["file"] for r in ROWS
           if r["version"] == "2.1" and r["kind"] == "real" and r["file"] not in NOT_YAML]
OTHERS = [r["file"] for r in ROWS if r["file"] not in REAL_21]


def _load(name: str):  # type: ignore[no-untyped-def]
    path = shared_dir() / "corpus" / "real" / name
    y = parse_yaml(path.read_text(encoding="utf-8"), name)
    if name in REAL_21:
        assert y.data is not None, y.diagnostics
    return y


@pytest.mark.parametrize("name", REAL_21)
def test_real_21_config_compiles_without_errors(name: str) -> None:
    y = _load(name)
    result = compile_config(y.data, source_map=y.source_map)
    errors = [str(d) for d in result.errors]
    assert errors == REJECTED.get(name, [])
    assert result.data is not None
    assert {d.code for d in result.warnings} <= {
        "orb-unavailable",
        "expr-logic-literal",
        "template-unknown-pipeline-value",
    }
    assert result.data["version"] == 2
    assert set(result.data) <= {"version", "setup", "jobs", "workflows"}


@pytest.mark.parametrize("name", REAL_21)
def test_real_21_config_lints_without_errors(name: str) -> None:
    y = _load(name)
    result = compile_config(y.data, source_map=y.source_map, lint=True)
    assert [str(d) for d in result.errors] == REJECTED.get(name, [])


@pytest.mark.parametrize("name", OTHERS)
def test_other_files_never_crash_or_hang(name: str) -> None:
    path = shared_dir() / "corpus" / "real" / name
    y = parse_yaml(path.read_text(encoding="utf-8"), name)
    for lint in (False, True):
        start = time.perf_counter()
        result = compile_config(y.data, source_map=y.source_map, lint=lint)
        assert time.perf_counter() - start < 5
        assert isinstance(result.diagnostics, list)


def test_corpus_is_there() -> None:
    assert len(REAL_21) >= 100
    assert Path(shared_dir()).is_dir()
