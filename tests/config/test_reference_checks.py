"""Issue 9 (conformance), the schema-level side: configs CircleCI documents as valid
validate clean, and the errors CircleCI documents are found. Each case cites its source
(R-numbers are rules of ../shared/docs/circleci-semantics.md; see docs/conformance.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from workflowcore.config import load
from workflowcore.config.checks import workflows as workflows_check
from workflowcore.config.checks._resource_table import ENV_VAR

from ..cli._repo import make_repo, wfc

SRC = Path(__file__).resolve().parents[2] / "src"


def diags(text: str) -> list[str]:
    """``code severity`` of every diagnostic of the config ``text``."""
    result = load(textwrap.dedent(text), "config.yml")
    return [f"{d.code} {d.severity.value}" for d in result.diagnostics]


def messages(text: str, code: str) -> list[str]:
    result = load(textwrap.dedent(text), "config.yml")
    return [d.message for d in result.diagnostics if d.code == code]


# --- item 1: executor override (R1.4.3) --------------------------------------------------

R143 = """\
version: 2.1
executors:
  node:
    docker:
      - image: cimg/node:20.0
    environment:
      ENV: ci
      TESTS: all
    shell: /bin/bash
jobs:
  test:
    executor: node
    docker:
      - image: cimg/python:3.12
    environment:
      TESTS: unit
    steps:
      - run: make test
workflows:
  main:
    jobs: [test]
"""


def test_the_worked_override_example_validates_and_compiles_to_its_result() -> None:
    result = load(R143, "config.yml")
    assert result.diagnostics == []
    assert result.compiled is not None and result.compiled.data is not None
    job = result.compiled.data["jobs"]["test"]
    assert job["docker"] == [{"image": "cimg/python:3.12"}]
    assert job["environment"] == {"ENV": "ci", "TESTS": "unit"}
    assert job["shell"] == "/bin/bash"


@pytest.mark.parametrize(
    "override",
    [
        "machine: {image: ubuntu-2204:edge}",
        "resource_class: large",
        "shell: /bin/sh",
        "working_directory: /tmp/app",
        "environment: {A: b}",
    ],
)
def test_a_job_may_override_any_key_of_its_executor(override: str) -> None:
    text = f"""\
    version: 2.1
    executors:
      vm:
        machine:
          image: ubuntu-2204:current
    jobs:
      build:
        executor: vm
        {override}
        steps: [checkout]
    """
    assert diags(text) == []


def test_two_direct_executor_types_still_conflict() -> None:
    text = """\
    version: 2.1
    jobs:
      build:
        docker: [{image: cimg/base:stable}]
        machine: true
        steps: [checkout]
    """
    assert diags(text) == ["executor-conflict error"]


def test_a_direct_type_other_than_the_executors_own_conflicts() -> None:
    """The override is key by key: a job ``docker:`` beside an executor's ``machine:``
    leaves both in the compiled job."""
    text = """\
    version: 2.1
    executors:
      vm: {machine: {image: ubuntu-2204:current}}
    jobs:
      build:
        executor: vm
        docker: [{image: cimg/base:stable}]
        steps: [checkout]
    """
    assert diags(text) == ["executor-conflict error"]


# --- item 3: processed configs are valid configs -------------------------------------------


def test_a_processed_config_with_orb_job_names_validates() -> None:
    """``circleci config process`` names orb jobs ``node/test``; job names with spaces and
    dots (large real configs) stay valid too."""
    text = """\
    version: 2
    jobs:
      node/test:
        docker: [{image: cimg/node:20.0}]
        steps: [checkout]
      "deploy to prod.v2":
        docker: [{image: cimg/node:20.0}]
        steps: [checkout]
    workflows:
      version: 2
      main:
        jobs:
          - node/test
          - deploy to prod.v2:
              requires: [node/test]
    """
    assert diags(text) == []


def test_an_undeclared_orb_job_is_still_reported() -> None:
    text = """\
    version: 2.1
    jobs:
      build: {docker: [{image: x}], steps: [checkout]}
    workflows:
      main:
        jobs: [build, node/test]
    """
    assert diags(text) == ["orb-undefined error"]


# --- item 7: unknown workflow keys ---------------------------------------------------------


def test_an_unknown_workflow_key_is_a_warning_with_a_suggestion() -> None:
    text = """\
    version: 2.1
    jobs:
      build: {docker: [{image: x}], steps: [checkout]}
    workflows:
      main:
        description: the main workflow
        trigers: []
        jobs: [build]
    """
    result = load(textwrap.dedent(text), "config.yml")
    assert [(d.code, d.severity.value, d.hint) for d in result.diagnostics] == [
        ("workflow-unknown-key", "warning",
         "allowed keys here: jobs, max_auto_reruns, triggers, unless, when"),
        ("workflow-unknown-key", "warning", "did you mean 'triggers'?"),
    ]
    assert result.config is not None


# --- item 8: macOS code signing --------------------------------------------------------------


def test_macos_code_signing_validates() -> None:
    text = """\
    version: 2.1
    jobs:
      sign:
        macos:
          xcode: "16.0.0"
          code_signing: [release-bundle]
        resource_class: m4pro.medium
        steps:
          - install_signing_bundle
    workflows:
      main:
        jobs: [sign]
    """
    assert diags(text) == []


# --- a job with no steps -----------------------------------------------------------------------


def test_a_build_job_without_steps_is_an_error_in_circlecis_words() -> None:
    text = """\
    version: 2.1
    jobs:
      build: {docker: [{image: x}]}
    workflows:
      main:
        jobs: [build]
    """
    assert messages(text, "job-steps-missing") == [
        "job 'build' has no steps: required key [steps] not found"
    ]
    assert diags(text) == ["job-steps-missing error"]


@pytest.mark.parametrize(
    "job",
    [
        "{type: approval}",
        "{type: no-op}",
        "{type: lock, key: deploy}",
        "{type: release, plan_name: svc}",
        "o/job",
        "{docker: [{image: x}], steps: []}",
        "{executor: e, steps: << parameters.s >>, parameters: {s: {type: steps}}}",
    ],
)
def test_jobs_that_legitimately_have_no_steps_key(job: str) -> None:
    text = f"""\
    version: 2.1
    orbs:
      o: {{jobs: {{job: {{docker: [{{image: x}}], steps: [checkout]}}}}}}
    executors:
      e: {{docker: [{{image: x}}]}}
    jobs:
      build: {job}
    workflows:
      main:
        jobs: [build]
    """
    assert [d for d in diags(text) if d.startswith("job-steps-missing")] == []


def test_an_unused_job_without_steps_is_a_warning() -> None:
    text = """\
    version: 2.1
    jobs:
      build: {docker: [{image: x}], steps: [checkout]}
      spare: {docker: [{image: x}]}
    workflows:
      main:
        jobs: [build]
    """
    assert [d for d in diags(text) if d.startswith("job-steps")] == ["job-steps-missing warning"]


def test_a_misspelt_steps_key_is_reported_once() -> None:
    text = """\
    version: 2.1
    jobs:
      build: {docker: [{image: x}], stpes: [checkout]}
    workflows:
      main:
        jobs: [build]
    """
    assert diags(text) == ["schema-unknown-key error"]


def test_run_refuses_a_job_without_steps(tmp_path: Path) -> None:
    """Issue 9: ``run`` reported success for a stepless job; now it stops at validation."""
    repo = make_repo(tmp_path, textwrap.dedent("""\
        version: 2.1
        jobs:
          build: {docker: [{image: cimg/base:stable}]}
        workflows:
          main:
            jobs: [build]
        """))
    proc = wfc(repo, "run", "--branch", "main", "--executor", "subprocess",
               "--state-dir", str(tmp_path / "state"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "[job-steps-missing]" in proc.stdout + proc.stderr


# --- automatic reruns (R1.6.1, R1.6.2) ------------------------------------------------------


def _run_step(args: str) -> str:
    return f"""\
    version: 2.1
    jobs:
      build:
        docker: [{{image: x}}]
        steps:
          - run: {{command: make, {args}}}
    workflows:
      main:
        jobs: [build]
    """


@pytest.mark.parametrize(
    "args",
    [
        "max_auto_reruns: 3",
        "max_auto_reruns: 5, auto_rerun_delay: 10m",
        "max_auto_reruns: 1, auto_rerun_delay: 600s",
        "max_auto_reruns: 2, auto_rerun_delay: 30s",
        "max_auto_reruns: 2, auto_rerun_delay: << pipeline.parameters.d >>",
    ],
)
def test_valid_auto_rerun_settings(args: str) -> None:
    text = _run_step(args).replace("version: 2.1\n", "version: 2.1\n    parameters: "
                                   "{d: {type: string, default: 30s}}\n")
    assert diags(text) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("auto_rerun_delay: 30s",
         "auto_rerun_delay is set without max_auto_reruns: the step is never rerun"),
        ("max_auto_reruns: 2, auto_rerun_delay: 11m",
         "auto_rerun_delay '11m' is longer than the maximum of 10 minutes"),
        ("max_auto_reruns: 2, auto_rerun_delay: 601s",
         "auto_rerun_delay '601s' is longer than the maximum of 10 minutes"),
        ("max_auto_reruns: 2, auto_rerun_delay: 1h",
         "auto_rerun_delay '1h' is not a duration in seconds or minutes"),
        ("max_auto_reruns: 2, auto_rerun_delay: 0s",
         "auto_rerun_delay '0s' is not a duration in seconds or minutes"),
        ("max_auto_reruns: 2, auto_rerun_delay: 05m",
         "auto_rerun_delay '05m' is not a duration in seconds or minutes"),
        ("max_auto_reruns: 2, background: true",
         "Background steps cannot use max_auto_reruns or auto_rerun_delay fields"),
    ],
)
def test_invalid_auto_rerun_settings(args: str, message: str) -> None:
    assert messages(_run_step(args), "step-auto-rerun") == [message]


@pytest.mark.parametrize("reruns", [0, 6])
def test_max_auto_reruns_is_1_to_5(reruns: int) -> None:
    assert diags(_run_step(f"max_auto_reruns: {reruns}")) == ["schema-value error"]


# --- retention, image digests, resource classes ------------------------------------------------


def _job(extra: str, executor: str = "docker: [{image: cimg/base:stable}]") -> str:
    return f"""\
    version: 2.1
    jobs:
      build:
        {executor}
        {extra}
        steps: [checkout]
    workflows:
      main:
        jobs: [build]
    """


@pytest.mark.parametrize(
    ("caches", "expected"),
    [
        ("1d", []),
        ("15d", []),
        ("30d", ["job-retention warning"]),
        ("16d", ["job-retention warning"]),
        ("31d", ["job-retention error"]),
        ("0d", ["job-retention error"]),
        ("7", ["job-retention error"]),
        ("1w", ["job-retention error"]),
        ("<< parameters.days >>", []),
    ],
)
def test_retention_caches(caches: str, expected: list[str]) -> None:
    extra = f"retention: {{caches: '{caches}'}}"
    if "parameters" in caches:
        extra = "parameters: {days: {type: string, default: 7d}}\n        " + extra
    assert diags(_job(extra)) == expected


GOOD = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (f"cimg/base@{GOOD}", []),
        (f"cimg/base:2024.01@{GOOD}", []),
        ("cimg/base@sha256:abc123", ["executor-image-digest warning"]),
        ("cimg/base@sha256:" + "ABCDEF0123456789" * 4, ["executor-image-digest warning"]),
        ("cimg/base@md5:0123", ["executor-image-digest warning"]),
        ("cimg/base@", ["executor-image-digest warning"]),
        ("cimg/base:stable", []),
    ],
)
def test_image_digests(image: str, expected: list[str]) -> None:
    assert diags(_job("", f"docker: [{{image: '{image}'}}]")) == expected


@pytest.mark.parametrize(
    ("executor", "rc", "expected"),
    [
        ("docker: [{image: x}]", "large", []),
        ("docker: [{image: x}]", "large.gen3", []),  # LS: the compiler accepts it
        ("docker: [{image: x}]", "arm.medium", []),
        ("docker: [{image: x}]", "huge", ["executor-resource-class warning"]),
        ("docker: [{image: x}]", "gpu.nvidia.small", ["executor-resource-class warning"]),
        ("macos: {xcode: '15.4.0'}", "medium", ["executor-resource-class warning"]),
        ("macos: {xcode: '15.4.0'}", "m4pro.large", []),
        ("machine: {image: ubuntu-2204:current}", "windows.medium", []),
        ("machine: true", "my-namespace/my-runner", []),
        ("machine: true", "<< parameters.rc >>", []),
        ("executor: vm", "medium+", ["executor-resource-class warning"]),
        ("executor: o/e", "nonsense", ["executor-resource-class warning"]),
        ("executor: o/e", "xlarge", []),
    ],
)
def test_resource_classes(executor: str, rc: str, expected: list[str]) -> None:
    text = _job(f"resource_class: '{rc}'", executor).replace(
        "version: 2.1\n",
        "version: 2.1\n    orbs: {o: {executors: {e: {docker: [{image: x}]}}}}\n"
        "    executors: {vm: {machine: {image: ubuntu-2204:current}}}\n",
    )
    assert [d for d in diags(text) if d.startswith("executor-resource")] == expected


def test_resource_class_messages_name_the_type_and_the_fix() -> None:
    result = load(textwrap.dedent(_job("resource_class: medium", "macos: {xcode: '15.4.0'}")),
                  "config.yml")
    (d,) = result.diagnostics
    assert d.message == (
        "job 'build': the macos executor offers no resource class 'medium'; it is a docker "
        "and machine class"
    )
    assert d.hint is not None and "m4pro.medium" in d.hint


def test_a_local_table_adds_resource_classes_without_a_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _job("resource_class: medium.gen9x")
    assert diags(text) == ["executor-resource-class warning"]
    table = tmp_path / "classes.json"
    table.write_text('{"classes": {"docker": ["medium.gen9x"]}}', encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(table))
    assert diags(text) == []


def test_an_unreadable_local_table_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing.json"))
    assert diags(_job("resource_class: large")) == []
    assert diags(_job("resource_class: huge")) == ["executor-resource-class warning"]


# --- cron (R2.6.1) -------------------------------------------------------------------------


def _cron(line: str) -> str:
    return f"""\
    version: 2.1
    jobs:
      build: {{docker: [{{image: x}}], steps: [checkout]}}
    workflows:
      nightly:
        triggers:
          - schedule:
              cron: "{line}"
              filters: {{branches: {{only: main}}}}
        jobs: [build]
    """


INVALID_CRON = ["61 * * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "0 0 * * 8",
                "0 0 * * * *", "@daily", "a b c d e", "*/0 * * * *", ""]
VALID_CRON = ["0 0 * * *", "45 9 * * 1-5", "0 2,5,8,11 * * *", "0 0 * * mon", "0 0 1 jan *",
              "0 0 * * 7"]


@pytest.fixture(params=["croniter", "fallback"])
def cron_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both paths: croniter (installed in the dev environment) and the own five-field
    check, forced by making ``import croniter`` fail."""
    if request.param == "croniter":
        pytest.importorskip("croniter", reason="croniter is a dev extra")
    else:
        monkeypatch.setitem(sys.modules, "croniter", None)
    return str(request.param)


@pytest.mark.parametrize("line", INVALID_CRON)
def test_an_invalid_cron_is_an_error(cron_engine: str, line: str) -> None:
    assert diags(_cron(line)) == ["workflow-cron-invalid error"]


@pytest.mark.parametrize("line", VALID_CRON)
def test_a_valid_cron_is_clean(cron_engine: str, line: str) -> None:
    assert diags(_cron(line)) == []


def test_the_fallback_names_the_bad_field() -> None:
    assert workflows_check.cron_problem("0 24 * * *") == "hour field '24' is outside 0-23"
    assert workflows_check.cron_problem("0 0 * *") == (
        "a cron line has 5 fields (minute hour day month weekday), this one has 4"
    )
    assert workflows_check.cron_problem("5-1 * * * *") == (
        "minute field '5-1' has a range that runs backwards"
    )


@pytest.mark.parametrize("line", ["*/20 * * * *", "0 0 1,3-5 * *", "0 0 * * tue-sat"])
def test_cron_syntax_circleci_does_not_support_is_a_warning(cron_engine: str, line: str) -> None:
    assert diags(_cron(line)) == ["workflow-cron-unsupported warning"]


def test_validate_does_not_import_croniter_without_a_cron_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(R143, encoding="utf-8")
    code = (
        "import sys\n"
        "from workflowcore.cli.main import main\n"
        f"rc = main(['validate', {str(config)!r}])\n"
        "assert 'croniter' not in sys.modules, 'croniter imported'\n"
        "sys.exit(rc)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
