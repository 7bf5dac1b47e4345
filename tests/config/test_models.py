"""The pydantic models: what they accept, what they reject and where errors point."""

from __future__ import annotations

import csv
import time
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from workflowcore.config.models import (
    BUILTIN_STEPS,
    CheckoutStep,
    Config,
    DockerImage,
    EnumParameter,
    ExecutorInvocation,
    Job,
    JobFilters,
    JobInvocation,
    MultiKeyStep,
    PipelineStringParameter,
    RunArgs,
    RunShorthandStep,
    RunStep,
    StepsStep,
    StringParameter,
    WhenStep,
    Workflow,
    data_loc,
    ignored_keys,
    keys_at,
    known_keys,
)

from ..conftest import shared_dir

CORPUS = shared_dir() / "corpus" / "real"
#: Not YAML CircleCI's reader accepts as PyYAML reads it (syntax errors, redefined anchors).
NOT_PYYAML = {
    "prometheus__prometheus__dc5e0e7",
    "elit-cx__test-kics-orb__6cc379a",
    "google__s2geometry__4fc0448",
    "heroku__cli__a63a272",
    "oclif__oclif__1545f67",
}
with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as fh:
    REAL = sorted(
        row["file"]
        for row in csv.DictReader(fh, delimiter="\t")
        if row["kind"] == "real" and not row["file"].startswith(tuple(NOT_PYYAML))
    )


def validate(data: dict[str, Any]) -> Config:
    return Config.model_validate(data)


def errors(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """``(data loc, error type)`` of every validation error (empty when valid)."""
    try:
        Config.model_validate(data)
    except ValidationError as exc:
        return [(data_loc(e["loc"], data), e["type"]) for e in exc.errors()]
    return []


def job_config(job: dict[str, Any], version: Any = 2.1) -> dict[str, Any]:
    return {"version": version, "jobs": {"build": job}}


def docker_job(**keys: Any) -> dict[str, Any]:
    job: dict[str, Any] = {"docker": [{"image": "cimg/base:stable"}], "steps": ["checkout"]}
    job.update(keys)
    return job


def workflow_config(*jobs: Any) -> dict[str, Any]:
    return {"version": 2.1, "workflows": {"main": {"jobs": list(jobs)}}}


# --- the corpus -----------------------------------------------------------------------------


def test_corpus_is_there() -> None:
    assert len(REAL) >= 150


@pytest.mark.parametrize("name", REAL)
def test_real_config_validates(name: str) -> None:
    data = yaml.safe_load((CORPUS / name).read_text(encoding="utf-8"))
    assert errors(data) == []


# --- version --------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [2, 2.0, 2.1, "2", "2.0", "2.1"])
def test_versions_2_20_21_are_accepted(version: Any) -> None:
    assert errors({"version": version}) == []


@pytest.mark.parametrize("version", [1, 3, 2.2, "2.10", True, None])
def test_other_versions_are_rejected(version: Any) -> None:
    assert errors({"version": version}) == [(("version",), "literal_error")]


def test_version_is_required() -> None:
    assert errors({"jobs": {}}) == [(("version",), "missing")]


# --- unknown keys ---------------------------------------------------------------------------


def test_unknown_job_key_is_rejected_at_its_loc() -> None:
    assert errors(job_config(docker_job(stpes=[]))) == [
        (("jobs", "build", "stpes"), "extra_forbidden")
    ]


def test_unknown_key_in_docker_auth_is_rejected() -> None:
    job = docker_job(docker=[{"image": "x", "auth": {"username": "u", "password": "p", "t": 1}}])
    assert errors(job_config(job)) == [
        (("jobs", "build", "docker", 0, "auth", "t"), "extra_forbidden")
    ]


@pytest.mark.parametrize(
    ("where", "data", "loc"),
    [
        ("executor", {"executors": {"e": {"docker": [], "dockr": []}}}, ("executors", "e")),
        ("machine", {"jobs": {"j": {"machine": {"image": "x", "dlc": True}}}}, ("jobs", "j")),
        ("macos", {"jobs": {"j": {"macos": {"xcode": "15", "cpu": 4}}}}, ("jobs", "j")),
        ("command", {"commands": {"c": {"steps": [], "step": []}}}, ("commands", "c")),
        ("orb", {"orbs": {"o": {"jobs": {}, "job": {}}}}, ("orbs", "o")),
        (
            "parameter",
            {"parameters": {"p": {"type": "string", "default": "", "enum": []}}},
            ("parameters", "p"),
        ),
    ],
)
def test_unknown_keys_are_rejected_everywhere_strict(
    where: str, data: dict[str, Any], loc: tuple[Any, ...]
) -> None:
    data = {"version": 2.1, **data}
    bad = [(dl, t) for dl, t in errors(data) if t == "extra_forbidden"]
    assert len(bad) == 1, where
    assert bad[0][0][: len(loc)] == loc


def test_unknown_workflow_keys_are_tolerated_for_the_check_to_warn() -> None:
    """Issue 9 item 7: CircleCI's schema leaves a workflow open (real configs put a
    ``description:`` beside ``jobs:``); the workflow-unknown-key check warns instead."""
    config = validate({"version": 2.1, "workflows": {"w": {"jobs": [], "description": "x"}}})
    assert config.workflows is not None
    workflow = (config.workflows.model_extra or {})["w"]
    assert workflow.model_extra == {"description": "x"}


@pytest.mark.parametrize(
    "code_signing", [["release-bundle"], "release-bundle", {"bundle": "b"}, "<< parameters.b >>"]
)
@pytest.mark.parametrize("executor", ["macos", "machine"])
def test_code_signing_is_accepted_on_macos_and_machine(executor: str, code_signing: Any) -> None:
    """Issue 9 item 8: ``code_signing`` (CircleCI's code signing API bundles)."""
    body = {"xcode": "15.4.0"} if executor == "macos" else {"image": "ubuntu-2204:current"}
    validate({"version": 2.1, "jobs": {"j": {executor: {**body, "code_signing": code_signing}}}})


def test_code_signing_of_another_shape_is_rejected() -> None:
    data = {"version": 2.1, "jobs": {"j": {"macos": {"xcode": "15", "code_signing": 3}}}}
    assert [dl for dl, _ in errors(data)] == [("jobs", "j", "macos", "code_signing")]


def test_unknown_keys_in_workflow_invocation_maps_are_rejected() -> None:
    data = workflow_config(
        {
            "build": {
                "filters": {"branchs": {"only": "main"}},
                "matrix": {"parameters": {"v": [1]}, "exclud": []},
            }
        }
    )
    assert sorted(errors(data)) == [
        (("workflows", "main", "jobs", 0, "build", "filters", "branchs"), "extra_forbidden"),
        (("workflows", "main", "jobs", 0, "build", "matrix", "exclud"), "extra_forbidden"),
    ]


def test_other_invocation_keys_are_job_arguments() -> None:
    data = workflow_config({"build": {"requires": ["a"], "ruby_version": "3.2", "flag": True}})
    inv = validate(data).workflows.main.jobs[0]["build"]  # type: ignore[union-attr,index]
    assert isinstance(inv, JobInvocation)
    assert inv.model_extra == {"ruby_version": "3.2", "flag": True}


def test_snake_case_spellings_of_hyphenated_keys_are_arguments() -> None:
    # CircleCI reads `pre_steps:` as an argument for a parameter of that name.
    data = workflow_config({"build": {"pre_steps": [], "serial_group": "g"}})
    inv = validate(data).workflows.main.jobs[0]["build"]  # type: ignore[union-attr,index]
    assert inv.pre_steps is None
    assert inv.serial_group is None
    assert inv.model_extra == {"pre_steps": [], "serial_group": "g"}
    data = workflow_config({"build": {"pre-steps": ["checkout"], "serial-group": "g"}})
    inv = validate(data).workflows.main.jobs[0]["build"]  # type: ignore[union-attr,index]
    assert inv.pre_steps == ["checkout"]
    assert inv.serial_group == "g"


def test_unknown_top_level_keys_are_allowed() -> None:
    data = {"version": 2, "defaults": {"docker": [{"image": "x"}]}, "references": [1, 2]}
    assert validate(data).model_extra == {
        "defaults": {"docker": [{"image": "x"}]},
        "references": [1, 2],
    }


def test_step_argument_typos_are_tolerated_but_reported() -> None:
    # CircleCI ran configs with `run: {description: ...}` and `store_artifacts: {prefix: ...}`.
    job = docker_job(
        docker=[{"image": "x", "ports": ["80:80"]}],
        steps=[
            {"run": {"command": "make", "comand": "x"}},
            {"store_artifacts": {"path": "out", "prefix": "p"}},
            {
                "when": {
                    "condition": True,
                    "steps": [{"restore_cache": {"keys": ["a"], "paths": 1}}],
                }
            },
        ],
    )
    config = validate(job_config(job))
    assert list(ignored_keys(config)) == [
        (("jobs", "build", "docker", 0), "ports"),
        (("jobs", "build", "steps", 0, "run"), "comand"),
        (("jobs", "build", "steps", 1, "store_artifacts"), "prefix"),
        (("jobs", "build", "steps", 2, "when", "steps", 0, "restore_cache"), "paths"),
    ]


def test_ignored_keys_are_found_in_every_place_steps_and_images_live() -> None:
    typo = {"run": {"command": "x", "nmae": "y"}}
    data = {
        "version": 2.1,
        "executors": {"e": {"docker": [{"image": "x", "ports": [1]}]}},
        "commands": {
            "c": {
                "parameters": {"extra": {"type": "steps", "default": [typo]}},
                "steps": [{"unless": {"condition": False, "steps": typo}}, {"steps": [typo]}],
            }
        },
        "orbs": {"o": {"jobs": {"j": {"steps": [typo]}}}},
        "workflows": {"w": {"jobs": [{"j": {"post-steps": [typo]}}]}},
        "job-groups": {"g": {"jobs": [{"j": {"pre-steps": [typo]}}]}},
    }
    assert list(ignored_keys(validate(data))) == [
        (("commands", "c", "parameters", "extra", "default", 0, "run"), "nmae"),
        (("commands", "c", "steps", 0, "unless", "steps", "run"), "nmae"),
        (("commands", "c", "steps", 1, "steps", 0, "run"), "nmae"),
        (("executors", "e", "docker", 0), "ports"),
        (("orbs", "o", "jobs", "j", "steps", 0, "run"), "nmae"),
        (("workflows", "w", "jobs", 0, "j", "post-steps", 0, "run"), "nmae"),
        (("job-groups", "g", "jobs", 0, "j", "pre-steps", 0, "run"), "nmae"),
    ]


def test_conditional_step_keys_are_strict() -> None:
    job = docker_job(steps=[{"when": {"condition": True, "steps": [], "step": []}}])
    assert errors(job_config(job)) == [
        (("jobs", "build", "steps", 0, "when", "step"), "extra_forbidden")
    ]


# --- steps ----------------------------------------------------------------------------------


def test_step_forms_dispatch_to_their_models() -> None:
    steps = [
        "checkout",
        {"run": "make"},
        {"run": {"command": "make test", "when": "always", "background": False}},
        {"checkout": {"path": "src", "method": "full"}},
        {"checkout": None},
        {"when": {"condition": {"equal": ["main", "<< pipeline.git.branch >>"]}, "steps": ["x"]}},
        {"steps": "<< parameters.extra >>"},
        {"node/install": {"node-version": "20"}},
        {"my-command": None},
        {"deploy": "make deploy"},
    ]
    job = validate(job_config(docker_job(steps=steps))).jobs["build"]  # type: ignore[index]
    assert isinstance(job, Job)
    got = job.steps
    assert isinstance(got, list)
    assert got[0] == "checkout"
    assert isinstance(got[1], RunShorthandStep)
    assert got[1].run == "make"
    assert isinstance(got[2], RunStep)
    assert isinstance(got[2].run, RunArgs)
    assert got[2].run.when == "always"
    assert isinstance(got[3], CheckoutStep)
    assert got[3].checkout is not None
    assert isinstance(got[4], CheckoutStep)
    assert got[4].checkout is None
    assert isinstance(got[5], WhenStep)
    assert isinstance(got[6], StepsStep)
    assert got[7] == {"node/install": {"node-version": "20"}}
    assert got[8] == {"my-command": None}


def test_error_loc_points_into_the_step() -> None:
    steps = ["checkout", {"run": "ok"}, {"run": {"name": "no command"}}]
    data = job_config(docker_job(steps=steps))
    assert errors(data) == [(("jobs", "build", "steps", 2, "run", "command"), "missing")]


@pytest.mark.parametrize("bad", [{}, 3, None, ["checkout"]])
def test_malformed_step_items_are_rejected(bad: Any) -> None:
    data = job_config(docker_job(steps=["checkout", bad]))
    assert errors(data) == [(("jobs", "build", "steps", 1), "step_shape")]


def test_several_key_step_map_is_kept_and_its_extra_keys_reported() -> None:
    # `- codecov/upload:` with its argument indented one level too little ran on CircleCI.
    data = job_config(docker_job(steps=[{"codecov/upload": None, "file": "lcov.info"}]))
    config = validate(data)
    step = config.jobs["build"].steps[0]  # type: ignore[index,union-attr]
    assert isinstance(step, MultiKeyStep)
    assert list(ignored_keys(config)) == [(("jobs", "build", "steps", 0), "file")]


def test_conditional_steps_take_a_single_step_map() -> None:
    step = {"when": {"condition": "<< parameters.x >>", "steps": {"node/install": {}}}}
    assert errors(job_config(docker_job(steps=[step]))) == []


def test_bad_builtin_step_values_are_rejected() -> None:
    steps = [
        {"checkout": {"method": "deep"}},
        {"save_cache": {"paths": ["x"]}},
        {"run": {"command": "x", "when": "sometimes"}},
        {"run": {"command": "x", "max_auto_reruns": 9}},
        {"persist_to_workspace": {"root": "."}},
    ]
    assert sorted(errors(job_config(docker_job(steps=steps)))) == [
        (("jobs", "build", "steps", 0, "checkout", "method"), "value_or_template"),
        (("jobs", "build", "steps", 1, "save_cache", "key"), "missing"),
        (("jobs", "build", "steps", 2, "run", "when"), "value_or_template"),
        (("jobs", "build", "steps", 3, "run", "max_auto_reruns"), "value_or_template"),
        (("jobs", "build", "steps", 4, "persist_to_workspace", "paths"), "missing"),
    ]


def test_builtin_step_names_are_known() -> None:
    assert {"run", "checkout", "save_cache", "restore_cache", "when", "unless", "steps"} <= (
        BUILTIN_STEPS
    )
    assert "node/install" not in BUILTIN_STEPS


# --- templates in typed fields --------------------------------------------------------------


def test_templates_are_accepted_in_typed_fields() -> None:
    data = {
        "version": 2.1,
        "setup": "<< pipeline.parameters.is-setup >>",
        "jobs": {
            "build": {
                "type": "<< parameters.kind >>",
                "machine": "<< parameters.use-machine >>",
                "parallelism": "<< parameters.p >>",
                "resource_class": "<< parameters.size >>",
                "circleci_ip_ranges": "<< parameters.ips >>",
                "environment": "<< parameters.env >>",
                "steps": "<< parameters.steps >>",
            },
            "vm": {
                "machine": {"image": "x", "docker_layer_caching": "<< parameters.dlc >>"},
                "docker": "<< parameters.images >>",
                "steps": [
                    {"setup_remote_docker": {"docker_layer_caching": "<< parameters.dlc >>"}},
                    {"run": {"command": "x", "background": "<< parameters.bg >>"}},
                    {"run": {"command": "x", "when": "<< parameters.when >>"}},
                    {"run": {"command": "x", "max_auto_reruns": "<< parameters.n >>"}},
                    {"save_cache": {"key": "k", "paths": "<< parameters.paths >>"}},
                ],
            },
        },
        "workflows": {
            "main": {
                "max_auto_reruns": "<< pipeline.parameters.reruns >>",
                "when": "<< pipeline.parameters.run >>",
                "jobs": [
                    {
                        "build": {
                            "name": "build-v<< matrix.version >>",
                            "context": "<< pipeline.parameters.ctx >>",
                            "matrix": {"parameters": {"version": "<< pipeline.parameters.v >>"}},
                        }
                    },
                    {
                        "vm": {
                            "requires": ["build-v<< matrix.version >>", {"a": "<< p.s >>"}],
                            "pre-steps": "<< pipeline.parameters.pre >>",
                        }
                    },
                    {"other": {"requires": "<< pipeline.parameters.deps >>"}},
                ],
            }
        },
    }
    assert errors(data) == []


@pytest.mark.parametrize(
    ("key", "value", "kind"),
    [
        ("parallelism", 0, "value_or_template"),
        ("parallelism", "3", "value_or_template"),
        ("parallelism", True, "value_or_template"),
        ("parallelism", 2.5, "value_or_template"),
        ("circleci_ip_ranges", "yes", "value_or_template"),
        ("machine", "ubuntu", "machine_type"),
        ("steps", "checkout", "steps_type"),
        ("environment", "FOO=bar", "environment_type"),
    ],
)
def test_non_templates_are_not_accepted_in_typed_fields(key: str, value: Any, kind: str) -> None:
    assert errors(job_config(docker_job(**{key: value}))) == [(("jobs", "build", key), kind)]


# --- jobs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["build", "approval", "no-op", "release", "lock", "unlock"])
def test_job_types(kind: str) -> None:
    assert errors(job_config({"type": kind, "plan_name": "p", "key": "k"})) == []


def test_bad_job_type_is_rejected() -> None:
    assert errors(job_config(docker_job(type="deploy"))) == [
        (("jobs", "build", "type"), "value_or_template")
    ]


def test_job_may_be_a_string_alias() -> None:
    config = validate({"version": 2.1, "jobs": {"build": "node/test"}})
    assert config.jobs == {"build": "node/test"}


def test_job_must_be_a_map_or_a_name() -> None:
    assert errors({"version": 2.1, "jobs": {"build": ["checkout"]}}) == [
        (("jobs", "build"), "job_type")
    ]


def test_environment_forms() -> None:
    for env in (
        {"A": "1", "B": 2, "C": True, "D": None, "E": 1.5},
        ["A=1", "B=2"],
        [{"A": "1"}, {"B": 2}],
    ):
        assert errors(job_config(docker_job(environment=env))) == [], env
    assert errors(job_config(docker_job(environment={"A": {"nested": 1}}))) == [
        (("jobs", "build", "environment", "A"), "value_type")
    ]


def test_executor_forms() -> None:
    data = {
        "version": 2.1,
        "executors": {
            "node": {"docker": [{"image": "node"}], "parameters": {"v": {"type": "string"}}},
            "alias": "other/exec",
        },
        "jobs": {
            "a": {"executor": "node", "steps": []},
            "b": {"executor": {"name": "node", "v": "20"}, "steps": []},
            "c": {"executor": "orb/default", "steps": []},
        },
    }
    config = validate(data)
    b = config.jobs["b"]  # type: ignore[index]
    assert isinstance(b, Job)
    assert isinstance(b.executor, ExecutorInvocation)
    assert b.executor.model_extra == {"v": "20"}
    assert errors({"version": 2.1, "jobs": {"x": {"executor": {"v": 1}}}}) == [
        (("jobs", "x", "executor", "name"), "missing")
    ]


def test_docker_image_fields() -> None:
    image = {
        "image": "acme/app:1",
        "name": "db",
        "entrypoint": ["/bin/sh", "-c"],
        "command": "start",
        "user": "root",
        "environment": {"X": 1},
        "auth": {"username": "u", "password": "$P"},
        "aws_auth": {"oidc_role_arn": "arn:aws:iam::1:role/r"},
    }
    config = validate(job_config(docker_job(docker=[image])))
    got = config.jobs["build"].docker[0]  # type: ignore[index,union-attr]
    assert isinstance(got, DockerImage)
    assert got.auth is not None
    assert got.auth.username == "u"
    assert errors(job_config(docker_job(docker=[{"name": "x"}]))) == [
        (("jobs", "build", "docker", 0, "image"), "missing")
    ]
    assert errors(job_config(docker_job(docker=[]))) == [(("jobs", "build", "docker"), "too_short")]


def test_machine_and_macos_forms() -> None:
    for machine in (True, {"image": "ubuntu-2204:current"}, {"enabled": True}):
        assert errors(job_config({"machine": machine, "steps": []})) == [], machine
    assert errors(job_config({"macos": {"xcode": 15.0}, "steps": []})) == []
    assert errors(job_config({"macos": {"resource_class": "m2"}, "steps": []})) == [
        (("jobs", "build", "macos", "xcode"), "missing")
    ]


# --- parameters -----------------------------------------------------------------------------


def test_parameter_declarations_dispatch_on_type() -> None:
    params = {
        "s": {"type": "string", "default": "x", "description": "d"},
        "b": {"type": "boolean", "default": False},
        "i": {"type": "integer", "default": 3},
        "e": {"type": "enum", "enum": ["a", "b"], "default": "a"},
        "x": {"type": "executor", "default": {"name": "node"}},
        "st": {"type": "steps", "default": ["checkout"]},
        "v": {"type": "env_var_name", "default": "TOKEN"},
        "required": {"type": "string"},
    }
    config = validate({"version": 2.1, "commands": {"c": {"parameters": params, "steps": []}}})
    got = config.commands["c"].parameters  # type: ignore[index,union-attr]
    assert isinstance(got["s"], StringParameter)
    assert isinstance(got["e"], EnumParameter)
    assert got["required"].default is None


@pytest.mark.parametrize(
    ("param", "kind"),
    [
        ({"type": "str"}, "union_tag_invalid"),
        ({"default": "x"}, "union_tag_not_found"),
        ({"type": "string", "default": 3.8}, "string_type"),
        ({"type": "boolean", "default": "yes"}, "value_or_template"),
        ({"type": "integer", "default": "3"}, "value_or_template"),
        ({"type": "enum", "default": "a"}, "missing"),
    ],
)
def test_bad_parameter_declarations(param: dict[str, Any], kind: str) -> None:
    data = {"version": 2.1, "jobs": {"j": {"parameters": {"p": param}, "steps": []}}}
    got = errors(data)
    assert len(got) == 1
    assert got[0][1] == kind
    assert got[0][0][:4] == ("jobs", "j", "parameters", "p")


def test_pipeline_parameters_need_a_default_and_a_simple_type() -> None:
    ok = {
        "p": {"type": "string", "default": "x"},
        "e": {"type": "enum", "enum": ["a"], "default": "a"},
    }
    config = validate({"version": 2.1, "parameters": ok})
    assert isinstance(config.parameters["p"], PipelineStringParameter)  # type: ignore[index]
    assert errors({"version": 2.1, "parameters": {"p": {"type": "string"}}}) == [
        (("parameters", "p", "default"), "missing")
    ]
    assert [t for _, t in errors({"version": 2.1, "parameters": {"p": {"type": "steps"}}})] == [
        "union_tag_invalid"
    ]


# --- workflows ------------------------------------------------------------------------------


def test_requires_status_forms_parse() -> None:
    data = workflow_config(
        "build",
        {
            "deploy": {
                "requires": [
                    "build",
                    {"test": "failed"},
                    {"lint": ["success", "canceled"]},
                    {"cleanup": "terminal"},
                    {"x": ["unauthorized", "not_run"]},
                ]
            }
        },
    )
    inv = validate(data).workflows.main.jobs[1]["deploy"]  # type: ignore[union-attr,index]
    assert inv.requires == [
        "build",
        {"test": "failed"},
        {"lint": ["success", "canceled"]},
        {"cleanup": "terminal"},
        {"x": ["unauthorized", "not_run"]},
    ]


@pytest.mark.parametrize(
    ("requires", "loc", "kind"),
    [
        ([{"test": "skipped"}], (0, "test"), "value_type"),
        ([{"test": []}], (0, "test"), "value_type"),
        ([{"a": "failed", "b": "failed"}], (0,), "requirement_type"),
        ([3], (0,), "requirement_type"),
        ("build", (), "requires_type"),
    ],
)
def test_bad_requires_are_rejected(requires: Any, loc: tuple[Any, ...], kind: str) -> None:
    data = workflow_config({"deploy": {"requires": requires}})
    base = ("workflows", "main", "jobs", 0, "deploy", "requires")
    assert errors(data) == [((*base, *loc), kind)]


def test_invocation_type_is_approval_only() -> None:
    assert errors(workflow_config({"hold": {"type": "approval"}})) == []
    assert errors(workflow_config({"hold": {"type": "build"}})) == [
        (("workflows", "main", "jobs", 0, "hold", "type"), "value_or_template")
    ]


def test_filters_are_a_map_or_an_expression() -> None:
    data = workflow_config(
        {
            "a": {
                "filters": {"branches": {"only": ["main", "/rel-.*/"]}, "tags": {"ignore": "/.*/"}}
            }
        },
        {"b": {"filters": 'pipeline.git.branch == "main"'}},
        {"c": {"filters": 3}},
    )
    assert errors(data) == [(("workflows", "main", "jobs", 2, "c", "filters"), "filters_type")]
    inv = validate({**data, "workflows": {"main": {"jobs": data["workflows"]["main"]["jobs"][:2]}}})
    assert isinstance(inv.workflows.main.jobs[0]["a"].filters, JobFilters)  # type: ignore[union-attr,index]


def test_workflow_job_items() -> None:
    assert errors(workflow_config("a", {"b": None}, {"c": {"context": ["x", "y"]}})) == []
    assert errors(workflow_config({"a": {}, "b": {}})) == [
        (("workflows", "main", "jobs", 0), "workflow_job_type")
    ]


def test_workflows_version_key_and_workflow_keys() -> None:
    data = {
        "version": 2,
        "workflows": {
            "version": 2,
            "nightly": {
                "triggers": [
                    {"schedule": {"cron": "0 0 * * *", "filters": {"branches": {"only": "main"}}}}
                ],
                "jobs": ["build"],
            },
            "gated": {
                "when": {"and": [{"not": {"equal": ["a", "<< pipeline.git.branch >>"]}}, True]},
                "jobs": [],
            },
            "expr": {
                "unless": 'pipeline.git.branch == "main"',
                "max_auto_reruns": 3,
                "jobs": ["x"],
            },
        },
    }
    workflows = validate(data).workflows
    assert workflows is not None
    assert workflows.version == 2
    assert isinstance(workflows.model_extra["nightly"], Workflow)  # type: ignore[index]
    missing_filters = {
        "version": 2.1,
        "workflows": {"w": {"jobs": [], "triggers": [{"schedule": {"cron": "x"}}]}},
    }
    assert errors(missing_filters) == [
        (("workflows", "w", "triggers", 0, "schedule", "filters"), "missing")
    ]


def test_logic_statements() -> None:
    ok = [
        True,
        "<< pipeline.parameters.go >>",
        {"or": [{"equal": ["a", "b"]}, {"matches": {"pattern": "^v.*", "value": "v1"}}]},
        {"and": [{"when": "always"}]},  # a map without operators is a value
    ]
    for cond in ok:
        step = {"when": {"condition": cond, "steps": ["checkout"]}}
        assert errors(job_config(docker_job(steps=[step]))) == [], cond
    bad = {"when": {"condition": {"and": [1], "or": [2]}, "steps": []}}
    assert errors(job_config(docker_job(steps=[bad]))) == [
        (("jobs", "build", "steps", 0, "when", "condition"), "logic_statement")
    ]


def test_matrix_and_job_groups() -> None:
    data = {
        "version": 2.1,
        "job-groups": {"g": {"jobs": ["a", {"b": {"requires": ["a"]}}]}},
        "workflows": {
            "w": {
                "jobs": [
                    "g",
                    {
                        "t": {
                            "matrix": {
                                "parameters": {"os": ["linux", "mac"]},
                                "exclude": [{"os": "mac"}],
                                "alias": "all",
                            }
                        }
                    },
                ]
            }
        },
    }
    config = validate(data)
    assert config.job_groups is not None
    assert list(config.job_groups) == ["g"]
    no_params = {"version": 2.1, "workflows": {"w": {"jobs": [{"t": {"matrix": {"alias": "a"}}}]}}}
    assert errors(no_params) == [
        (("workflows", "w", "jobs", 0, "t", "matrix", "parameters"), "missing")
    ]


def test_orbs_forms() -> None:
    data = {
        "version": 2.1,
        "orbs": {
            "node": "circleci/node@5.1",
            "local": {
                "orbs": {"slack": "circleci/slack@4"},
                "commands": {"hi": {"steps": [{"run": "echo hi"}]}},
                "executors": {"e": {"docker": [{"image": "x"}]}},
                "jobs": {"j": {"executor": "e", "steps": ["hi"]}},
            },
        },
    }
    assert errors(data) == []


def test_models_are_frozen() -> None:
    config = validate(job_config(docker_job()))
    with pytest.raises(ValidationError):
        config.version = 2  # type: ignore[misc]


# --- helpers for error translation ----------------------------------------------------------


def test_known_keys_are_the_yaml_spellings() -> None:
    assert known_keys(JobInvocation)[-4:] == [
        "pre-steps",
        "post-steps",
        "serial-group",
        "override-with",
    ]
    assert "job-groups" in known_keys(Config)
    assert known_keys(RunArgs)[0] == "command"


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        (("jobs", "build"), known_keys(Job)),
        (("jobs", "build", "steps", 2, "run"), known_keys(RunArgs)),
        (("jobs", "build", "map", "steps", "list", 2, "run", "run"), known_keys(RunArgs)),
        (("jobs", "build", "docker", 0), known_keys(DockerImage)),
        (("workflows", "main", "jobs", 0, "build"), known_keys(JobInvocation)),
        (("workflows", "main", "jobs", 0, "build", "filters"), ["branches", "tags"]),
        (("workflows", "main", "jobs", 0, "build", "filters", "branches"), ["only", "ignore"]),
        (("workflows", "main"), ["jobs", "triggers", "when", "unless", "max_auto_reruns"]),
        (
            ("executors", "e", "machine"),
            ["image", "enabled", "docker_layer_caching", "resource_class", "shell", "code_signing"],
        ),
        ((), known_keys(Config)),
        (("jobs",), None),
        (("jobs", "build", "environment"), None),
        (("nope",), None),
    ],
)
def test_keys_at(loc: tuple[Any, ...], expected: list[str] | None) -> None:
    assert keys_at(loc) == expected


def test_keys_at_a_step_lists_the_builtin_steps() -> None:
    assert set(keys_at(("jobs", "build", "steps", 0)) or ()) == BUILTIN_STEPS
    assert keys_at(("commands", "c", "steps", 0, "when", "steps", 1, "save_cache")) == [
        "paths",
        "key",
        "name",
        "when",
    ]


def test_keys_at_follows_every_error_loc_of_an_unknown_key() -> None:
    data = workflow_config({"build": {"filters": {"tags": {"onyl": "/v.*/"}}}})
    data["jobs"] = {"j": docker_job(steps=[{"run": {"command": "x"}}], dockr=[])}
    with pytest.raises(ValidationError) as info:
        Config.model_validate(data)
    for err in info.value.errors():
        assert err["type"] == "extra_forbidden"
        allowed = keys_at(err["loc"][:-1])
        assert allowed is not None
        assert err["loc"][-1] not in allowed
        assert allowed == keys_at(data_loc(err["loc"], data)[:-1])


def test_data_loc_drops_union_tags() -> None:
    data = {"jobs": {"build": {"steps": ["checkout", {"run": {}}]}}}
    loc = ("jobs", "build", "map", "steps", "list", 1, "run", "run", "command")
    assert data_loc(loc, data) == ("jobs", "build", "steps", 1, "run", "command")
    assert data_loc(("jobs", "build", "map"), data) == ("jobs", "build")
    assert data_loc(("commands", "c", "map", "steps"), {"commands": {"c": {}}}) == (
        "commands",
        "c",
        "steps",
    )


# --- speed ----------------------------------------------------------------------------------


def _big_config(n: int) -> dict[str, Any]:
    jobs = {
        f"job-{i}": {
            "docker": [{"image": "cimg/python:3.12"}],
            "environment": {"FOO": "bar", "N": i},
            "steps": [
                "checkout",
                {"run": {"name": "deps", "command": "pip install -r requirements.txt"}},
                {"run": f"pytest tests/{i}"},
                {"save_cache": {"key": 'v1-{{ checksum "r.txt" }}', "paths": ["~/.cache"]}},
                {"persist_to_workspace": {"root": ".", "paths": [f"out/{i}"]}},
            ],
        }
        for i in range(n)
    }
    wf = [{f"job-{i}": {"requires": [f"job-{i - 1}"]} if i else None} for i in range(n)]
    return {"version": 2.1, "jobs": jobs, "workflows": {"main": {"jobs": wf}}}


def test_validation_is_faster_than_reading_the_yaml() -> None:
    data = _big_config(1000)
    text = yaml.safe_dump(data, sort_keys=False)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    t0 = time.perf_counter()
    yaml.load(text, Loader=loader)
    t_yaml = time.perf_counter() - t0
    Config.model_validate(data)  # warm-up
    t0 = time.perf_counter()
    config = Config.model_validate(data)
    t_validate = time.perf_counter() - t0
    assert len(config.jobs or {}) == 1000
    assert t_validate < t_yaml, (t_validate, t_yaml)
