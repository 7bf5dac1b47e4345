"""SARIF rules carry real descriptions from docs/diagnostics.md (issue 13), and nothing the
package shows names a path of the machine it was built on."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.test_docs_diagnostics import emitted_codes, sections
from workflowcore._docs import docs_dir
from workflowcore.reporting.rules import rule_text

ROOT = Path(__file__).resolve().parents[2]

BAD = ("version: 2.1\njobs:\n  build:\n    docker: [{image: x}]\n    steps: [checkout]\n"
       "workflows:\n  main:\n    jobs:\n      - build\n      - deploy:\n"
       "          requires: [biuld]\n")


def test_the_docs_are_found_from_the_source_tree() -> None:
    assert docs_dir() == ROOT / "docs"


def test_every_code_the_package_emits_has_a_described_rule() -> None:
    missing = sorted(c for c in emitted_codes() if rule_text(c) is None)
    assert not missing, f"no description in docs/diagnostics.md for {missing}"


def test_a_rule_is_the_opening_prose_of_its_section() -> None:
    text = rule_text("schema-unknown-key")
    assert text is not None
    prose = " ".join(sections()["schema-unknown-key"].split("```")[0].split())
    assert text.full == prose
    assert text.short == 'A key that does not exist at this place, with a "did you mean" hint.'
    assert prose.startswith(text.short) and len(text.full) > len(text.short)
    assert "```" not in text.full and "###" not in text.full


def test_sarif_rules_embed_the_description_and_no_invented_url(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(BAD, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "workflowcore", "validate", "--format",
                           "sarif", "bad.yml"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 1, proc.stderr
    driver = json.loads(proc.stdout)["runs"][0]["tool"]["driver"]
    rules = {r["id"]: r for r in driver["rules"]}
    assert set(rules) == {"job-undefined", "requires-unknown"}
    for code, rule in rules.items():
        text = rule_text(code)
        assert text is not None
        assert rule["shortDescription"] == {"text": text.short}
        assert rule["fullDescription"] == {"text": text.full}
        assert rule["help"]["text"] == text.full
        assert "helpUri" not in rule
    assert "informationUri" not in driver
    assert "github.com/workflowcore" not in proc.stdout


def test_no_path_of_the_build_machine_in_docs_or_sources() -> None:
    """A page or message naming ``/work/...`` (where this project happens to be built)
    means nothing to a user of the wheel, which carries both."""
    here = re.compile(re.escape(str(ROOT.parent)) + r"/|/work/(main|shared)\b")
    found = [f"{p.relative_to(ROOT)}:{n}"
             for folder in ("docs", "src")
             for p in sorted((ROOT / folder).rglob("*")) if p.suffix in (".md", ".py")
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if here.search(line)]
    assert not found, found
