"""Every YAML code block of the seed document is a test input, as it stands.

They were copied from a web page: several are indented with no-break spaces and some carry
tabs. Each must give clear, positioned diagnostics (never a traceback), and once cleaned and
completed with job definitions, be clean.
"""

from __future__ import annotations

import pytest

from workflowcore.config import load

from ..seed import clean, complete, seed_blocks

BLOCKS = {b.line: b for b in seed_blocks()}


def codes(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [d.code for d in result.diagnostics]


def undefined_jobs(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [d.message.rsplit(" ", 1)[1] for d in result.diagnostics
            if d.code == "job-undefined"]


def test_the_seed_has_the_ten_blocks() -> None:
    assert sorted(BLOCKS) == [33, 65, 94, 127, 162, 192, 226, 242, 266, 307]


@pytest.mark.parametrize("line", sorted(BLOCKS), ids=lambda n: f"line{n}")
def test_every_block_gives_positioned_diagnostics_not_tracebacks(line: int) -> None:
    r = load(BLOCKS[line].text, f"seed-{line}.yml")
    nlines = BLOCKS[line].text.count("\n") + 1
    for d in r.diagnostics:
        assert 1 <= d.line <= nlines, d
        assert d.column >= 1 and d.code and d.message
        assert str(d).startswith(f"seed-{line}.yml:{d.line}:{d.column}: ")


def test_parallel_example_is_clean() -> None:
    r = load(BLOCKS[33].text)
    assert r.ok and r.diagnostics == []


@pytest.mark.parametrize(("line", "jobs"), [
    (65, ["build", "test1", "test2", "deploy"]),
    (94, ["build", "acceptance_test_1", "acceptance_test_2", "acceptance_test_3",
          "acceptance_test_4", "deploy"]),
    (192, ["test_dev", "test_stage", "test_pre-prod"]),
])
def test_no_break_space_blocks_name_the_character_and_still_list_undefined_jobs(
        line: int, jobs: list[str]) -> None:
    text = BLOCKS[line].text
    r = load(text, "c.yml")
    nbsp_lines = [i for i, ln in enumerate(text.split("\n"), 1) if "\u00a0" in ln]
    invisible = [d for d in r.diagnostics if d.code == "yaml-invisible-indent"]
    assert [d.line for d in invisible] == nbsp_lines
    first = invisible[0]
    assert first.column == text.split("\n")[first.line - 1].index("\u00a0") + 1
    assert "no-break space (U+00A0)" in first.message
    assert first.hint is not None and "regular space" in first.hint
    assert undefined_jobs(r) == jobs
    assert "version-missing" in codes(r)


def test_pyyaml_reads_the_branch_block_into_nonsense_but_we_do_not() -> None:
    import yaml

    text = BLOCKS[192].text
    nonsense = yaml.safe_load(text)
    assert any("\u00a0" in k for k in nonsense["workflows"])  # PyYAML: no error, odd keys
    r = load(text)
    assert r.errors  # we: positioned errors, and the real structure underneath
    assert r.data["workflows"]["dev_stage_pre-prod"]["jobs"][0] == {
        "test_dev": {"filters": {"branches": {"only": ["dev", "/user-.*/"]}}}}


@pytest.mark.parametrize(("line", "tab_line"), [(162, 9), (307, 17)])
def test_tab_blocks_name_the_tab(line: int, tab_line: int) -> None:
    r = load(BLOCKS[line].text, "c.yml")
    tabs = [d for d in r.diagnostics if d.code == "yaml-tab"]
    assert len(tabs) == 1 and tabs[0].line == tab_line and tabs[0].column == 1
    assert "tab" in tabs[0].message and r.config is None


def test_approval_block_lists_undefined_jobs_but_not_the_approval() -> None:
    r = load(BLOCKS[127].text)
    assert undefined_jobs(r) == ["build", "test1", "test2", "deploy"]


def test_tag_example_requires_diagnostic_in_circleci_wording() -> None:
    r = load(BLOCKS[242].text, "c.yml")
    (req,) = [d for d in r.diagnostics if d.code == "requires-unknown"]
    assert req.message == ("Job 'deploy' requires 'test', which is the name of 0 other jobs "
                           "in workflow 'build-n-deploy'")
    assert (req.line, req.column) == (11, 15)
    assert undefined_jobs(r) == ["build", "deploy"]


@pytest.mark.parametrize("line", sorted(BLOCKS), ids=lambda n: f"line{n}")
def test_cleaned_and_completed_blocks_are_clean(line: int) -> None:
    text = clean(BLOCKS[line].text)
    first = load(text)
    assert not [d for d in first.diagnostics if d.code.startswith("yaml-")], first.diagnostics
    fixed = complete(text, undefined_jobs(first))
    r = load(fixed, "fixed.yml")
    if line == 242:
        # The docs' own mistake stays: 'test' is not part of that workflow.
        assert codes(r) == ["requires-unknown"]
    else:
        assert r.diagnostics == [], "\n" + "\n".join(map(str, r.diagnostics))
        assert r.config is not None
