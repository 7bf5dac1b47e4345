"""The YAML layer: CircleCI's (SnakeYAML's) reading of YAML 1.1, with positions."""

from __future__ import annotations

import math
import time

import pytest
import yaml

from workflowcore.config._yaml import parse_yaml

LOADERS = [pytest.param(yaml.SafeLoader, id="pure-python")]
if getattr(yaml, "CSafeLoader", None) is not None:
    LOADERS.insert(0, pytest.param(yaml.CSafeLoader, id="libyaml"))


@pytest.fixture(params=LOADERS)
def loader(request: pytest.FixtureRequest) -> type:
    return request.param  # type: ignore[no-any-return]


def codes(text: str, loader: type | None = None) -> list[str]:
    return [d.code for d in parse_yaml(text, loader=loader).diagnostics]


def test_yaml11_scalars(loader: type) -> None:
    r = parse_yaml("q: [yes, No, ON, off, y, n, 0x1f, 010, 0o7, 1_000, 1:20, 1.5, .inf, -.INF,"
                   " .nan, ~, null, '', \"3\", !!str 4, !!int '5', 2019-01-01, 3.10]\n",
                   loader=loader)
    assert not r.diagnostics
    q = r.data["q"]
    assert q[:6] == [True, False, True, False, "y", "n"]
    assert q[6:11] == [31, 8, "0o7", 1000, 80]
    assert q[11] == 1.5 and q[12] == math.inf and q[13] == -math.inf and math.isnan(q[14])
    assert q[15:] == [None, None, "", "3", "4", 5, "2019-01-01", 3.1]


def test_version_numbers(loader: type) -> None:
    assert parse_yaml("version: 2.1\n", loader=loader).data == {"version": 2.1}
    assert parse_yaml("version: 2\n", loader=loader).data == {"version": 2}


def test_keys_are_text(loader: type) -> None:
    r = parse_yaml("on: 1\n3.8: x\nnull: y\n", loader=loader)
    assert r.data == {"on": 1, "3.8": "x", "null": "y"}


def test_merge_keys_explicit_wins_and_first_merged_wins(loader: type) -> None:
    text = ("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\n"
            "c:\n  <<: [*a, *b]\n  x: 3\n"
            "d:\n  <<: *b\n  <<: *a\n")
    r = parse_yaml(text, loader=loader)
    assert not r.diagnostics
    assert r.data["c"] == {"x": 3, "y": 1, "z": 2}
    # SnakeYAML: with two '<<' keys, the first merged mapping wins a conflict.
    assert r.data["d"] == {"y": 2, "z": 2, "x": 1}


def test_duplicate_key_is_an_error_with_both_positions(loader: type) -> None:
    r = parse_yaml("jobs:\n  build: {}\n  test: {}\n  build: {}\n", "c.yml", loader=loader)
    (d,) = r.diagnostics
    assert d.code == "yaml-duplicate-key"
    assert (d.line, d.column, d.end_column) == (4, 3, 8)
    assert "first defined at line 2" in d.message
    assert str(d).startswith("c.yml:4:3: error: found duplicate key 'build'")


def test_key_overriding_a_merged_key_is_fine(loader: type) -> None:
    r = parse_yaml("d: &d {a: 1}\ne:\n  <<: *d\n  a: 2\n", loader=loader)
    assert not r.diagnostics and r.data["e"] == {"a": 2}


def test_redefined_anchor_is_accepted_like_snakeyaml(loader: type) -> None:
    r = parse_yaml("a: &x 1\nb: *x\nc: &x 2\nd: *x\n", loader=loader)
    assert not r.diagnostics
    assert r.data == {"a": 1, "b": 1, "c": 2, "d": 2}


def test_tab_indentation_is_named(loader: type) -> None:
    r = parse_yaml("jobs:\n  build:\n\t  steps: []\n", "c.yml", loader=loader)
    (d,) = r.diagnostics
    assert d.code == "yaml-tab"
    assert (d.line, d.column) == (3, 1)
    assert "tab" in d.message and d.hint and "spaces" in d.hint


def test_tab_inside_block_scalar_is_content(loader: type) -> None:
    r = parse_yaml("run: |\n  make\n  \tindented with a tab\n", loader=loader)
    assert not r.diagnostics
    assert r.data["run"] == "make\n\tindented with a tab\n"


def test_no_break_space_indentation_is_named_and_repaired(loader: type) -> None:
    text = "workflows:\n\u00a0 main:\n\u00a0\u00a0\u00a0 jobs: [build]\n"
    r = parse_yaml(text, "c.yml", loader=loader)
    assert [d.code for d in r.diagnostics] == ["yaml-invisible-indent"] * 2
    d = r.diagnostics[0]
    assert (d.line, d.column) == (2, 1)
    assert "no-break space (U+00A0)" in d.message and "regular space" in (d.hint or "")
    assert "(3 of them on this line)" in r.diagnostics[1].message
    # repaired text parses into the structure the author meant
    assert r.data == {"workflows": {"main": {"jobs": ["build"]}}}


def test_invisible_char_inside_value_is_a_warning(loader: type) -> None:
    r = parse_yaml("jobs: [build\u00a0]\n", loader=loader)
    (d,) = r.diagnostics
    assert d.code == "yaml-invisible-char" and d.severity.value == "warning"
    assert (d.line, d.column) == (1, 13)


def test_leading_bom_is_fine(loader: type) -> None:
    r = parse_yaml("\ufeffversion: 2.1\n", loader=loader)
    assert not r.diagnostics and r.data == {"version": 2.1}


def test_syntax_error_has_position_and_hint(loader: type) -> None:
    r = parse_yaml("jobs:\n  build:\n    steps:\n  - run: x\n   bad: [\n", loader=loader)
    (d,) = r.diagnostics
    assert d.code == "yaml-syntax" and d.line >= 4


def test_undefined_alias(loader: type) -> None:
    r = parse_yaml("a: *nope\n", loader=loader)
    assert r.data is None
    assert [d.code for d in r.diagnostics] == ["yaml-undefined-alias"]


def test_recursive_alias_is_refused(loader: type) -> None:
    assert codes("a: &a [*a]\n", loader) == ["yaml-undefined-alias"]


def test_multiple_documents(loader: type) -> None:
    assert codes("a: 1\n---\nb: 2\n", loader) == ["yaml-multiple-documents"]


def test_unknown_tag(loader: type) -> None:
    r = parse_yaml("a: !Ref x\nb: !!python/object:os.system x\n", loader=loader)
    assert [d.code for d in r.diagnostics] == ["yaml-unknown-tag"] * 2
    assert r.data == {"a": "x", "b": "x"}


def test_complex_key(loader: type) -> None:
    assert codes("? [a, b]\n: 1\n", loader) == ["yaml-complex-key"]


def test_billion_laughs_is_bounded_and_fast(loader: type) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    t0 = time.perf_counter()
    r = parse_yaml("\n".join(lines) + "\n", loader=loader)
    assert time.perf_counter() - t0 < 5  # generous: it stops after ~1M nodes, not 10^12
    assert r.data is None
    assert [d.code for d in r.diagnostics] == ["yaml-alias-bomb"]


def test_legit_alias_reuse_is_not_a_bomb(loader: type) -> None:
    text = "d: &d {image: x, env: {A: 1, B: 2}}\n" + "".join(
        f"j{i}: *d\n" for i in range(2000))
    r = parse_yaml(text, loader=loader)
    assert not r.diagnostics and len(r.data) == 2001


def test_deep_nesting_is_bounded(loader: type) -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(400)) + "  " * 400 + "v\n"
    r = parse_yaml(text, loader=loader)
    assert r.data is None
    assert [d.code for d in r.diagnostics] == ["yaml-too-deep"]


def test_huge_input_is_refused_before_parsing() -> None:
    r = parse_yaml("a: b\n" * 100, max_chars=100)
    assert r.data is None and [d.code for d in r.diagnostics] == ["yaml-too-large"]


def test_source_map_spans(loader: type) -> None:
    text = "version: 2.1\njobs:\n  build:\n    docker:\n      - image: cimg/base:2024.01\n"
    r = parse_yaml(text, loader=loader)
    sm = r.source_map
    img = sm.span(("jobs", "build", "docker", 0, "image"))
    assert (img.start.line, img.start.column, img.end.column) == (5, 16, 33)
    key = sm.span(("jobs", "build"), key=True)
    assert (key.start.line, key.start.column, key.end.column) == (3, 3, 8)
    # parts that do not exist are skipped: a pydantic union tag lands on the real node
    tagged = sm.span(("jobs", "build", "function-after[x]", "docker", 0, "image"))
    assert tagged == img
    assert sm.has(("jobs", "build")) and not sm.has(("jobs", "nope"))


def test_merged_values_point_at_the_anchor(loader: type) -> None:
    text = "d: &d\n  image: x\nj:\n  <<: *d\n  other: 1\n"
    sm = parse_yaml(text, loader=loader).source_map
    assert sm.span(("j", "image")).start.line == 2
    assert sm.span(("j", "other")).start.line == 5


def test_same_data_as_pyyaml_on_plain_documents(loader: type) -> None:
    text = ("version: 2.1\ndefaults: &defaults\n  working_directory: ~/repo\n"
            "jobs:\n  build:\n    <<: *defaults\n    steps:\n      - checkout\n"
            "      - run: |\n          make\n          make test\n")
    assert parse_yaml(text, loader=loader).data == yaml.safe_load(text)


NBSP = "\u00a0"


def test_no_break_space_after_colon_is_named_where_it_is(loader: type) -> None:
    # libyaml sees `command:\u00a0python -m build` as a key with no ':' and complains about
    # the next line; the diagnostic must name the character at its own line and column.
    text = ("steps:\n  - run:\n      name: Build\n      command:" + NBSP + "python -m build\n"
            "  - run: echo done\n")
    r = parse_yaml(text, loader=loader)
    assert [(d.code, d.line, d.column) for d in r.diagnostics] == [
        ("yaml-invisible-after-colon", 4, 15)]
    d = r.diagnostics[0]
    assert d.is_error and "no-break space (U+00A0) follows 'command:'" in d.message
    assert d.hint is not None and "replace it with a regular space" in d.hint
    # Repaired and read again: the rest of the file has its real structure.
    assert r.data == {"steps": [{"run": {"name": "Build", "command": "python -m build"}},
                                {"run": "echo done"}]}


def test_no_break_space_after_colon_in_a_plain_value_starting_its_line(loader: type) -> None:
    # Here libyaml reads one plain scalar `command:\u00a0make`, the value of `run`: no syntax
    # error, but a shell command "command: make". Same diagnostic, same repair.
    r = parse_yaml("run:\n  command:" + NBSP + "make\n", loader=loader)
    assert [(d.code, d.line, d.column) for d in r.diagnostics] == [
        ("yaml-invisible-after-colon", 2, 11)]
    assert r.data == {"run": {"command": "make"}}


def test_no_break_space_after_colon_several_keys(loader: type) -> None:
    r = parse_yaml("a:" + NBSP + "1\nb:" + NBSP + "2\nc: 3\n", loader=loader)
    assert [(d.code, d.line, d.column) for d in r.diagnostics] == [
        ("yaml-invisible-after-colon", 1, 3), ("yaml-invisible-after-colon", 2, 3)]
    assert r.data == {"a": 1, "b": 2, "c": 3}


def test_no_break_space_after_colon_inside_text_is_content(loader: type) -> None:
    # After `key: ` on the same line, or inside a block scalar, `a:\u00a0b` is text.
    text = ("name: Step:" + NBSP + "one\nrun: |\n  echo x:" + NBSP + "y\n")
    r = parse_yaml(text, loader=loader)
    assert all(d.code != "yaml-invisible-after-colon" for d in r.diagnostics)
    assert r.data == {"name": "Step:" + NBSP + "one", "run": "echo x:" + NBSP + "y\n"}


def test_colon_repairs_are_bounded(loader: type) -> None:
    # Each syntax error reveals one place; re-reading stops after MAX_COLON_REPAIRS rounds.
    from workflowcore.config._yaml import MAX_COLON_REPAIRS

    text = "".join(f"k{i}:" + NBSP + f"{i}\n" for i in range(MAX_COLON_REPAIRS + 5))
    t0 = time.perf_counter()
    r = parse_yaml(text, loader=loader)
    assert time.perf_counter() - t0 < 10
    found = [d for d in r.diagnostics if d.code == "yaml-invisible-after-colon"]
    assert MAX_COLON_REPAIRS <= len(found) <= MAX_COLON_REPAIRS + 5
    assert all(d.line >= 1 and d.column >= 1 for d in r.diagnostics)


def test_written_spelling_of_scalars(loader: type) -> None:
    sm = parse_yaml("a: &x off\nb: *x\nc: \"on\"\nd: !!bool yes\ne: [no, On]\n",
                    loader=loader).source_map
    got = [sm.written(loc) for loc in [("a",), ("b",), ("c",), ("d",), ("e", 0), ("e", 1),
                                       ("e",), ("z",)]]
    assert got == ["off", "off", '"on"', "!!bool yes", "no", "On", None, None]
