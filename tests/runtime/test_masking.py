"""Masker: CircleCI's masking rules (§6.4)."""

from __future__ import annotations

from workflowcore.runtime.contexts import Masker


def test_masks_every_occurrence() -> None:
    m = Masker(["s3cr3t-token"])
    assert m("token=s3cr3t-token and again s3cr3t-token") == "token=******** and again ********"
    assert m.mask("nothing here") == "nothing here"


def test_short_and_boolean_values_are_not_masked() -> None:
    m = Masker(["abc", "true", "True", "false", "False", "", "abcd"])
    assert m("abc true True false False abcd") == "abc true True false False ********"
    assert not Masker(["abc", "true"])  # nothing to mask at all


def test_longest_secret_wins_when_one_contains_another() -> None:
    m = Masker(["pass", "password123"])
    assert m("password123 / pass") == "******** / ********"
    assert "123" not in m("password123")


def test_regex_metacharacters_are_literal() -> None:
    m = Masker(["a+b*c?", "(x|y)"])
    assert m("a+b*c? and (x|y) but not aab") == "******** and ******** but not aab"


def test_multiline_secrets_are_masked_line_by_line() -> None:
    key = "-----BEGIN KEY-----\nMIIEvQIBADANBg\n-----END KEY-----"
    m = Masker([key])
    assert m(key) == "********"
    assert m("MIIEvQIBADANBg") == "********"  # as it appears in line-by-line output


def test_many_secrets_many_lines() -> None:
    secrets = [f"secret-value-{i:04d}" for i in range(2000)]
    m = Masker(secrets)
    lines = [f"line {i}: secret-value-{i % 2000:04d} ok" for i in range(20000)]
    masked = [m(line) for line in lines]
    assert all("secret-value" not in line for line in masked)
    assert masked[5] == "line 5: ******** ok"
