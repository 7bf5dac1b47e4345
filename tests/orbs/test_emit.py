"""The packed orb printer: multi-line text as literal blocks that read back unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflowcore.config._yaml import parse_yaml
from workflowcore.config.orbs._emit import block_ok, dump_orb


def reread(text: str) -> Any:
    y = parse_yaml(text, "packed.yml")
    assert not y.diagnostics, (text, y.diagnostics)
    return y.data


@pytest.mark.parametrize("value", [
    "line\n",
    "line",
    "a\n\n",
    "a\n\n\n",
    "\n",
    "\nleading break\n",
    "  leading spaces\nsecond\n",
    "tab\tinside\n\tindented by a tab\n",
    "trailing spaces   \nand more  \n",
    "ends in spaces\n   ",
    "only   \n",
    "# not a comment\n- not a list\nkey: not a key\n",
    "unicode ünïcödé — “quotes”\n",
])
def test_multi_line_strings_are_literal_blocks_that_read_back(value: str) -> None:
    data = {"commands": {"c": {"steps": [{"run": {"command": value}}, value]}},
            "k": value, "seq": [value, [value], {"deep": value}]}
    text = dump_orb(data)
    assert reread(text) == data
    if "\n" in value:
        assert "|" in text and '"' not in text.replace("“", "")  # no double-quoted escapes


def test_what_a_block_cannot_carry_stays_quoted_and_reads_back() -> None:
    for value in ("\tfirst line starts with a tab\n", "carriage\r\nreturn\n", "bell\x07\n",
                  "bom\ufeff\n", "nel\x85\n", "\u00a0 no-break space\nfirst\n",
                  "zero\nwidth\u200b space\n"):
        assert not block_ok(value)
        data = {"v": value, "l": [value], "one line": value.replace("\n", "")}
        assert reread(dump_orb(data)) == data  # and no warning (reread checks)


def test_block_indentation_follows_its_owner() -> None:
    text = dump_orb({"a": {"b": [{"c": "x\ny\n"}, "p\nq"]}})
    assert text == ("a:\n  b:\n  - c: |\n      x\n      y\n  - |-\n    p\n    q\n")


def test_no_anchors_even_for_shared_data() -> None:
    shared = {"run": "echo\nhi\n"}
    text = dump_orb({"a": [shared, shared]})
    assert "&" not in text and "*" not in text
    assert reread(text) == {"a": [shared, shared]}


def test_keys_and_scalars_that_look_like_other_types_stay_strings() -> None:
    data = {"on": "yes", "n": "1.0", "t": True, "i": 3, "z": None, "e": "", "c": "a: b",
            "multi\nline key": "v"}
    assert reread(dump_orb(data)) == data


_CHARS = st.sampled_from(list(" \t\nabc:#-|>'\"{}[]&*!%@`\\") + ["<", "é", "\u00a0", "\r"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(_CHARS, max_size=40), min_size=1, max_size=4))
def test_any_text_reads_back(values: list[str]) -> None:
    data = {"jobs": {"j": {"steps": [{"run": {"command": v}} for v in values]}},
            "vals": values}
    assert reread(dump_orb(data)) == data
