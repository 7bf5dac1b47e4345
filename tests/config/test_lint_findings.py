"""Lint findings of issue 9: one diagnostic per finding, typos named where they are written,
YAML 1.1 booleans meant as text, unused definitions and shared names."""

from __future__ import annotations

import textwrap

from workflowcore.config import load
from workflowcore.diagnostics import Diagnostic


def diags(text: str) -> list[Diagnostic]:
    return load(textwrap.dedent(text), "config.yml").diagnostics


def brief(text: str) -> list[str]:
    """``line:col code severity`` of every diagnostic."""
    return [f"{d.line}:{d.column} {d.code} {d.severity.value}" for d in diags(text)]


def only(text: str, code: str) -> list[Diagnostic]:
    return [d for d in diags(text) if d.code == code]


# --- item 9: one finding, one diagnostic ---------------------------------------------------

UNUSED_JOB = """\
version: 2.1
jobs:
  build: {docker: [{image: x}], steps: [checkout]}
  other:
    executor: nope
    steps: [checkout, nocmd]
"""


def test_undefined_names_in_an_unused_job_are_reported_once_as_warnings() -> None:
    text = UNUSED_JOB + "workflows:\n  main:\n    jobs: [build]\n"
    assert brief(text) == ["4:3 job-unused warning", "5:15 executor-undefined warning",
                           "6:23 command-undefined warning"]


def test_without_workflows_only_build_is_compiled_so_the_rest_are_warnings_once() -> None:
    # The compiler compiles every job when there is no `workflows:`; the checks know that
    # only `build` runs (R1.2.2). Before the fix: an error and a warning at each place.
    assert brief(UNUSED_JOB) == ["5:15 executor-undefined warning",
                                 "6:23 command-undefined warning"]


def test_a_job_only_a_guarded_workflow_runs_gets_one_warning_with_the_checks_hint() -> None:
    text = """\
    version: 2.1
    parameters:
      nightly: {type: boolean, default: false}
    executors:
      small: {docker: [{image: x}]}
    jobs:
      other: {executor: smal, steps: [checkout]}
    workflows:
      main:
        when: << pipeline.parameters.nightly >>
        jobs: [other]
    """
    (d,) = diags(text)
    assert (d.code, d.severity.value, d.line) == ("executor-undefined", "warning", 7)
    assert "'when' or 'unless' condition" in d.message
    assert d.hint == "did you mean 'small'?"


def test_a_job_of_a_group_no_workflow_calls_is_unused() -> None:
    text = """\
    version: 2.1
    jobs:
      build: {docker: [{image: x}], steps: [checkout]}
      other: {docker: [{image: x}], steps: [checkout, nocmd]}
    job-groups:
      spare: {jobs: [other]}
    workflows:
      main:
        jobs: [build]
    """
    found = [d for d in diags(text) if d.code == "command-undefined"]
    assert [d.severity.value for d in found] == ["warning"]


def test_merge_keeps_the_less_severe_of_two_reports_of_one_finding() -> None:
    from workflowcore.config._findings import merge_compiled
    from workflowcore.diagnostics import Severity

    def d(code: str, sev: Severity, col: int = 5) -> Diagnostic:
        return Diagnostic(code=code, message=f"{code} {sev.value}", severity=sev,
                          path="c.yml", line=3, column=col)

    checked = [d("executor-undefined", Severity.ERROR)]
    compiled = [d("executor-undefined", Severity.WARNING),  # same finding, less severe
                d("param-type", Severity.ERROR),             # consequence at an error: dropped
                d("param-type", Severity.ERROR, col=9)]      # new
    out, extra = merge_compiled(checked, compiled)
    assert [x.message for x in out] == ["executor-undefined warning"]
    assert [(x.code, x.column) for x in extra] == [("param-type", 9)]
    out, extra = merge_compiled([d("x-y", Severity.WARNING)], [d("x-y", Severity.ERROR)])
    assert [x.severity for x in out] == [Severity.WARNING] and extra == []


# --- typos named where they are written -----------------------------------------------------


def test_misspelt_required_keys_are_named_at_the_typo() -> None:
    text = """\
    version: 2.1
    jobs:
      build:
        docker:
          - imgae: cimg/base:stable
        steps:
          - run:
              comand: make
    workflows:
      main:
        jobs: [build]
    """
    image, run = diags(text)
    assert (image.code, image.line, image.column) == ("schema-missing-key", 5, 9)
    assert "'imgae'" in image.message and image.hint == \
        "did you mean 'image'? rename 'imgae' to 'image'"
    assert (run.code, run.line, run.column) == ("step-empty", 8, 11)
    assert "'comand' is not a 'run' key" in run.message
    assert run.hint == "did you mean 'command'? rename 'comand' to 'command'"


def test_invocation_key_typos_in_2_0() -> None:
    text = """\
    version: 2
    jobs:
      a: {docker: [{image: x}], steps: [checkout]}
      b: {docker: [{image: x}], steps: [checkout]}
    workflows:
      version: 2
      main:
        jobs:
          - a
          - b: {requirse: [a], colour: blue}
    """
    typo, other = [d for d in diags(text) if d.line == 10]
    assert (typo.code, typo.severity.value) == ("schema-unknown-key", "error")
    assert "'requirse'" in typo.message and typo.hint == "did you mean 'requires'?"
    assert (other.code, other.severity.value) == ("schema-ignored-key", "warning")
    assert "'colour'" in other.message


def test_invocation_key_typos_in_2_1_get_a_suggestion() -> None:
    text = """\
    version: 2.1
    jobs:
      a: {docker: [{image: x}], steps: [checkout]}
      b:
        parameters:
          target: {type: string, default: x}
        docker: [{image: x}]
        steps: [checkout]
    workflows:
      main:
        jobs:
          - a
          - b: {requries: [a]}
          - b: {name: b2, targte: y}
          - b: {name: b3, unrelated: y}
    """
    found = only(text, "param-unexpected")
    assert ["requries" in found[0].message, "targte" in found[1].message] == [True, True]
    assert [d.hint for d in found] == ["did you mean 'requires'?", "did you mean 'target'?",
                                       "declared parameters: target"]


def test_a_command_argument_is_not_taken_for_an_invocation_key() -> None:
    text = """\
    version: 2.1
    commands:
      say: {steps: [{run: echo}]}
    jobs:
      a: {docker: [{image: x}], steps: [{say: {requries: x}}]}
    workflows:
      main:
        jobs: [a]
    """
    (d,) = only(text, "param-unexpected")
    assert d.hint == "it declares no parameters"


# --- YAML 1.1 booleans meant as text --------------------------------------------------------


def test_word_booleans_in_environment_values_are_warned_once() -> None:
    text = """\
    version: 2.1
    env: &env
      MODE: off
    executors:
      e:
        docker: [{image: x, environment: {A: Yes}}]
    jobs:
      a:
        executor: e
        environment: *env
        steps:
          - run: {command: make, environment: {B: ON, C: true, D: "no", E: !!bool no, F: 1}}
      b:
        docker: [{image: x}]
        environment: *env
        steps: [checkout]
    workflows:
      main:
        jobs: [a, b]
    """
    found = only(text, "yaml-truthy")
    assert [(d.line, d.severity.value) for d in found] == [(3, "warning"), (6, "warning"),
                                                           (12, "warning")]
    assert found[0].message == "MODE: off is the boolean false in YAML 1.1, not the text 'off'"
    assert found[0].hint == "quote it if the variable should be 'off': MODE: \"off\""


def test_schema_type_error_for_a_word_boolean_suggests_quotes() -> None:
    text = """\
    version: 2.1
    jobs:
      a:
        docker: [{image: x}]
        steps: [{run: {name: on, command: make}}]
    workflows:
      main:
        jobs: [a]
    """
    (d,) = only(text, "schema-type")
    assert "YAML 1.1 reads an unquoted on as a boolean" in d.message
    assert d.hint == 'quote it: "on"'


# --- unused definitions and shared names ----------------------------------------------------


def test_definitions_used_through_parameters_anchors_templates_and_orbs_are_used() -> None:
    text = """\
    version: 2.1
    orbs:
      tools: {commands: {hi: {steps: [{run: echo}]}}, executors: {base: {docker: [{image: x}]}}}
      other: {jobs: {t: {docker: [{image: x}], steps: [checkout]}}}
      third: {commands: {c: {steps: [{run: echo}]}}}
    parameters:
      exec: {type: enum, enum: [small, large], default: small}
    executors:
      small: {docker: [{image: x}]}
      large: {docker: [{image: x}]}
      linux-big: {docker: [{image: x}]}
      mac-big: {macos: {xcode: "15.0"}}
      via-arg: {docker: [{image: x}]}
    commands:
      deps-linux: {steps: [{run: echo}]}
      deps-mac: {steps: [{run: echo}]}
      passed: {steps: [{run: echo}]}
      wrapper:
        parameters:
          then: {type: steps, default: [passed]}
        steps: [{steps: << parameters.then >>}]
    jobs:
      a:
        parameters:
          os: {type: string, default: linux}
          e: {type: executor, default: via-arg}
        executor: << parameters.os >>-big
        steps: [deps-<< parameters.os >>, wrapper, tools/hi]
      b:
        executor: << pipeline.parameters.exec >>
        steps: [checkout]
      c: {executor: tools/base, steps: [checkout]}
      d: other/t
    workflows:
      main:
        jobs: [a, b, c, d]
        # third/c is mentioned only here, as a pre-step
      side:
        jobs: [{b: {name: b2, pre-steps: [third/c]}}]
    """
    unused = [d for d in diags(text) if d.code.endswith("-unused")]
    assert unused == []


def test_unused_definitions_are_warned_with_distinct_codes() -> None:
    text = """\
    version: 2.1
    orbs:
      spare: {commands: {c: {steps: [{run: echo}]}}}
    executors:
      idle: {docker: [{image: x}]}
    commands:
      idle-cmd: {steps: [{run: echo}]}
    jobs:
      build: {docker: [{image: x}], steps: [checkout]}
      idle-job: {docker: [{image: x}], steps: [checkout]}
    workflows:
      main:
        jobs: [build]
    """
    assert [x for x in brief(text) if "-unused" in x] == [
        "3:3 orb-unused warning", "5:3 executor-unused warning", "7:3 command-unused warning",
        "10:3 job-unused warning"]


def test_a_misspelt_reference_is_one_finding_not_also_an_unused_definition() -> None:
    text = """\
    version: 2.1
    executors:
      node: {docker: [{image: x}]}
    jobs:
      build: {executor: nodee, steps: [checkout]}
    workflows:
      main:
        jobs: [biuld]
    """
    assert [d.code for d in diags(text)] == ["executor-undefined", "job-undefined"]


def test_unused_jobs_are_not_reported_without_workflows_or_with_a_templated_entry() -> None:
    text = """\
    version: 2.1
    parameters:
      job: {type: string, default: build}
    jobs:
      build: {docker: [{image: x}], steps: [checkout]}
      lint: {docker: [{image: x}], steps: [checkout]}
    """
    assert only(text, "job-unused") == []
    text += "workflows:\n  main:\n    jobs: [<< pipeline.parameters.job >>]\n"
    assert only(text, "job-unused") == []


def test_name_clashes_are_one_warning_each_at_the_later_definition() -> None:
    text = """\
    version: 2.1
    commands:
      release: {steps: [{run: echo}]}
      checkout: {steps: [{run: echo}]}
    jobs:
      release: {docker: [{image: x}], steps: [checkout, release]}
    workflows:
      release:
        jobs: [release]
    """
    found = only(text, "config-name-clash")
    assert [(d.line, d.severity.value) for d in found] == [(4, "warning"), (6, "warning"),
                                                           (8, "warning")]
    assert "'release' names a job and also a command (line 3)" in found[1].message
    assert "built-in step" in found[0].message
