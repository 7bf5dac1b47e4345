"""Every config of the shared corpus: real ones load without a false error; fixtures of
CircleCI's own tools (many invalid on purpose) never crash or hang the loader."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from workflowcore.config import load_file

from ..conftest import TESTDATA, shared_dir

CORPUS = shared_dir() / "corpus" / "real"
with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as fh:
    MANIFEST = {row["file"]: row for row in csv.DictReader(fh, delimiter="\t")}
INVALID: dict[str, list[str]] = {}
for line in (TESTDATA / "corpus_invalid.tsv").read_text(encoding="utf-8").splitlines():
    if line and not line.startswith("#"):
        name, expected = line.split("\t")
        INVALID[name] = expected.split(" || ")

REAL = sorted(f for f, row in MANIFEST.items() if row["kind"] == "real")
FIXTURES = sorted(f for f, row in MANIFEST.items() if row["kind"] != "real")


def test_manifest_lists_every_file() -> None:
    on_disk = {p.name for p in CORPUS.glob("*.yml")}
    assert on_disk == set(MANIFEST)
    assert len(REAL) >= 150 and set(INVALID) <= set(REAL)


def _load(name: str):  # type: ignore[no-untyped-def]
    import os

    cwd = os.getcwd()
    os.chdir(CORPUS)  # diagnostics name the file as given: the bare file name
    try:
        return load_file(Path(name))
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("name", REAL)
def test_real_config_loads_without_false_errors(name: str) -> None:
    r = _load(name)
    errors = [str(d) for d in r.errors]
    if name in INVALID:
        assert errors == INVALID[name]
    else:
        assert errors == [], "\n".join(errors)
        assert r.config is not None


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_never_crashes_or_hangs(name: str) -> None:
    t0 = time.perf_counter()
    r = _load(name)
    assert time.perf_counter() - t0 < 10
    for d in r.diagnostics:
        assert d.line >= 1 and d.column >= 1 and d.code
