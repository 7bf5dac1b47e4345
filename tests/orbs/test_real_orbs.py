"""All 144 real orb versions in ``../shared/orbs``: each packs without error, the packed YAML
reads back to the same orb, and validation finds no error.

Skipped, with the reason shown, when the shared orb sources are not there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional

import pytest

from workflowcore.config._yaml import parse_yaml
from workflowcore.config.orbs import pack_orb, validate_orb

from ..conftest import shared_dir

MISSING = ("shared orb sources not found (../shared/orbs/MANIFEST.tsv): clone the project "
           "next to shared/ or set WFC_SHARED")


def _orbs() -> Optional[Path]:
    try:
        d = shared_dir() / "orbs"
    except RuntimeError:
        return None
    return d if (d / "MANIFEST.tsv").is_file() else None


ORBS = _orbs()


def _rows() -> List[Any]:
    if ORBS is None:
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=MISSING), id="missing")]
    rows = []
    for line in (ORBS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        orb, version, *_, layout, _files = line.split("\t")
        rows.append(pytest.param(f"{orb}/{version}", layout, id=f"{orb}@{version}"))
    return rows


ROWS = _rows()


@pytest.mark.skipif(ORBS is None, reason=MISSING)
def test_the_manifest_lists_144_versions_of_48_orbs() -> None:
    assert len(ROWS) == 144
    assert len({r.values[0].rsplit("/", 1)[0] for r in ROWS}) == 48


@pytest.mark.parametrize(("name", "layout"), ROWS)
def test_real_orb_packs_reads_back_and_validates(name: str, layout: str) -> None:
    assert ORBS is not None
    folder = ORBS / name
    path = folder if layout == "src-dir" else folder / "orb.yml"
    pack = pack_orb(path)
    assert pack.errors == [], pack.errors
    assert pack.data is not None and pack.data.get("version") == 2.1
    y = parse_yaml(pack.text, f"{name} (packed)")
    assert y.diagnostics == []
    assert y.data == pack.data
    if layout == "src-dir":
        # every element comes from a file of the tree that the origins name
        for section in ("commands", "executors", "jobs", "examples"):
            for element in pack.data.get(section) or {}:
                o = pack.origin((section, element))
                assert o is not None and o.path in pack.files
    report = validate_orb(pack)
    assert report.errors == [], [str(d) for d in report.errors]
    # warnings are positioned in a file of the orb that exists
    for d in report.warnings:
        assert Path(d.path).is_file(), d
