"""Contexts files: loading with positioned diagnostics, resolution order, restrictions."""

from __future__ import annotations

from pathlib import Path

from workflowcore.diagnostics import Severity
from workflowcore.runtime.contexts import (
    Context,
    ContextNotFound,
    ResolvedContexts,
    Unauthorized,
    load_contexts,
    load_contexts_file,
    resolve_contexts,
)

GOOD = """\
contexts:
  aws:
    environment:
      AWS_KEY: AKIAEXAMPLE
      REGION: eu-west-1
      RETRIES: 3
      DEBUG: false
    allow: [alice, Bob]
  docker:
    environment:
      REGION: us-east-1
      DOCKER_PASS: hunter2hunter2
  empty:
"""


def test_load_good_file() -> None:
    result = load_contexts(GOOD, "contexts.yml")
    assert result.ok
    assert result.diagnostics == []
    aws = result.contexts["aws"]
    assert aws.environment == {"AWS_KEY": "AKIAEXAMPLE", "REGION": "eu-west-1",
                               "RETRIES": "3", "DEBUG": "false"}
    assert aws.allow == ("alice", "Bob")
    assert result.contexts["docker"].allow is None
    assert result.contexts["empty"] == Context("empty", {}, None)


def test_later_contexts_win_and_all_values_are_secrets() -> None:
    contexts = load_contexts(GOOD).contexts
    resolved = resolve_contexts(["aws", "docker"], contexts, "alice")
    assert isinstance(resolved, ResolvedContexts)
    env, secrets = resolved
    assert env["REGION"] == "us-east-1"  # R6.1.2
    assert env["AWS_KEY"] == "AKIAEXAMPLE"
    assert {"AKIAEXAMPLE", "hunter2hunter2", "eu-west-1"} <= set(secrets)
    env2, _ = resolve_contexts(["docker", "aws"], contexts, "alice")  # type: ignore[misc]
    assert env2["REGION"] == "eu-west-1"


def test_allow_list_is_case_insensitive_and_absent_means_everyone() -> None:
    contexts = load_contexts(GOOD).contexts
    assert isinstance(resolve_contexts(["aws"], contexts, "bob"), ResolvedContexts)
    assert isinstance(resolve_contexts(["docker"], contexts, None), ResolvedContexts)
    denied = resolve_contexts(["docker", "aws"], contexts, "mallory")
    assert isinstance(denied, Unauthorized)
    assert denied.status == "unauthorized"
    assert denied.context == "aws"
    assert "'mallory' is not allowed to use context 'aws'" in denied.reason
    anonymous = resolve_contexts(["aws"], contexts, None)
    assert isinstance(anonymous, Unauthorized)
    assert "unknown actor" in anonymous.reason


def test_missing_context_fails_the_job() -> None:
    missing = resolve_contexts(["docker", "nope"], load_contexts(GOOD).contexts, "alice")
    assert isinstance(missing, ContextNotFound)
    assert missing.status == "failed"
    assert missing.context == "nope"
    assert "does not exist" in missing.reason


def test_errors_are_positioned_diagnostics() -> None:
    text = """\
contexts:
  ok:
    environment:
      GOOD: 1
  bad-env:
    environment:
      1BAD: x
      NESTED: {a: b}
  " padded":
    environment: {}
  wrong-type: [1, 2]
  bad-allow:
    allow: {alice: true}
    colour: blue
"""
    result = load_contexts(text, "ctx.yml")
    got = {(d.code, d.line, d.severity) for d in result.diagnostics}
    assert ("context-env-name", 7, Severity.ERROR) in got
    assert ("context-env-value", 8, Severity.ERROR) in got
    assert ("context-name", 9, Severity.ERROR) in got
    assert ("context-file-schema", 11, Severity.ERROR) in got
    assert ("context-file-schema", 13, Severity.ERROR) in got
    assert ("context-unknown-key", 14, Severity.WARNING) in got
    assert not result.ok
    assert set(result.contexts) == {"ok"}  # broken contexts are not usable
    assert all(d.path == "ctx.yml" for d in result.diagnostics)
    first = next(d for d in result.diagnostics if d.code == "context-env-name")
    assert str(first).startswith("ctx.yml:7:7: error: invalid environment variable name '1BAD'")


def test_structure_and_yaml_errors() -> None:
    assert [d.code for d in load_contexts("- a\n- b\n").diagnostics] == ["context-file-schema"]
    assert [d.code for d in load_contexts("other: 1\n").diagnostics] == [
        "context-file-schema", "context-unknown-key"]
    broken = load_contexts("contexts:\n  a: [\n", "x.yml")
    assert broken.diagnostics
    assert broken.diagnostics[0].code.startswith("yaml-")
    assert broken.contexts == {}
    empty_allow = load_contexts("contexts:\n  a:\n    allow: []\n")
    assert [d.code for d in empty_allow.diagnostics] == ["context-allow-empty"]
    assert isinstance(resolve_contexts(["a"], empty_allow.contexts, "alice"), Unauthorized)


def test_load_file(tmp_path: Path) -> None:
    f = tmp_path / "contexts.yml"
    f.write_text(GOOD)
    assert set(load_contexts_file(f).contexts) == {"aws", "docker", "empty"}
    missing = load_contexts_file(tmp_path / "nope.yml")
    assert [d.code for d in missing.diagnostics] == ["context-file-unreadable"]
    assert "No such file" in missing.diagnostics[0].message
