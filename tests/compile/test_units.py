"""Small pieces of the compiler on their own: matrix naming, orb files, parameter types."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflowcore.config.compile import (
    find_orb_file,
    matrix_member_name,
    parse_orb_reference,
)
from workflowcore.config.compile._matrix import matrix_combinations
from workflowcore.config.compile._params import ParamDecl, type_mismatch


def test_member_name_precedence() -> None:
    combo = {"os": "linux", "go": "1.25"}
    assert matrix_member_name("test", None, False, combo, 0, 4) == "test-1.25-linux"
    assert matrix_member_name("test", "t-linux", True, combo, 0, 4) == "t-linux"
    assert matrix_member_name("test", "lit", False, combo, 2, 4) == "lit-3"
    assert matrix_member_name("test", "lit", False, combo, 0, 1) == "lit"
    assert matrix_member_name("test", None, False, {"name": "x", "v": 1}, 0, 2) == "x"
    assert matrix_member_name("t", None, False, {"v": 0.1, "b": True}, 0, 1) == "t-true-0.1"


def test_member_names_and_nesting_follow_the_reference_example() -> None:
    """Configuration reference, matrix: parameter names alphabetical (in the name and in
    the nesting), values in declared order."""
    combos = matrix_combinations(
        [("version", ["0.1", "0.2", "0.3"]), ("platform", ["macos", "windows", "linux"])], []
    )
    names = [matrix_member_name("build", None, False, c, i, len(combos))
             for i, c in enumerate(combos)]
    assert names == [
        "build-macos-0.1", "build-macos-0.2", "build-macos-0.3",
        "build-windows-0.1", "build-windows-0.2", "build-windows-0.3",
        "build-linux-0.1", "build-linux-0.2", "build-linux-0.3",
    ]


def test_combinations_alphabetical_first_slowest_and_exclude_by_text() -> None:
    combos = matrix_combinations([("b", ["x", "y"]), ("a", [1, 2])], [{"a": "2", "b": "y"}])
    assert combos == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}]


@pytest.mark.parametrize(
    ("ref", "parsed"),
    [
        ("circleci/node@5.1.0", ("circleci", "node", "5.1.0")),
        ("circleci/node@volatile", ("circleci", "node", "volatile")),
        ("my-ns/my_orb@dev:alpha", ("my-ns", "my_orb", "dev:alpha")),
        ("node@5", None),
        ("circleci/node", None),
    ],
)
def test_parse_orb_reference(ref: str, parsed: object) -> None:
    assert parse_orb_reference(ref) == parsed


def test_find_orb_file_resolves_prefix_versions_to_the_highest(tmp_path: Path) -> None:
    d = tmp_path / "acme"
    d.mkdir()
    for v in ("1.2.0", "1.10.0", "1.9.9", "2.0.0", "dev:wip"):
        (d / f"tools@{v}.yml").write_text("version: 2.1\n")
    (d / "tools@1.11.0.yaml").write_text("version: 2.1\n")
    (d / "toolsx@9.9.9.yml").write_text("version: 2.1\n")

    def found(version: str) -> str | None:
        p = find_orb_file(tmp_path, "acme", "tools", version)
        return p.name if p else None

    assert found("1") == "tools@1.11.0.yaml"
    assert found("1.9") == "tools@1.9.9.yml"
    assert found("1.2.0") == "tools@1.2.0.yml"
    assert found("1.3.0") is None
    assert found("3") is None
    assert found("volatile") == "tools@2.0.0.yml"
    assert found("dev:wip") == "tools@dev:wip.yml"
    assert find_orb_file(tmp_path, "nobody", "tools", "1") is None


@pytest.mark.parametrize(
    ("ptype", "value", "ok"),
    [
        ("string", "x", True),
        ("string", 1, False),
        ("string", True, False),
        ("boolean", True, True),
        ("boolean", "true", False),
        ("integer", 3, True),
        ("integer", True, False),
        ("integer", 3.0, False),
        ("enum", "a", True),
        ("enum", "c", False),
        ("enum", 1, False),
        ("env_var_name", "MY_VAR", True),
        ("env_var_name", "1X", False),
        ("executor", "e", True),
        ("executor", {"name": "e"}, True),
        ("executor", {}, False),
        ("steps", [], True),
        ("steps", {"run": "x"}, False),
        ("string", "<< pipeline.git.tag >>", True),
        ("integer", "<< pipeline.number >>", True),
    ],
)
def test_parameter_types(ptype: str, value: object, ok: bool) -> None:
    decl = ParamDecl("p", ptype, False, None, ("a", "b") if ptype == "enum" else None, ())
    assert (type_mismatch(decl, value) is None) is ok
