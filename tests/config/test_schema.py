"""The generated JSON Schema: valid draft 2020-12, accepts what the models accept."""

from __future__ import annotations

import csv
import json
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from workflowcore.config.models import Config
from workflowcore.config.schema import SCHEMA_DIALECT, config_json_schema

from ..conftest import shared_dir

CORPUS = shared_dir() / "corpus" / "real"
NOT_PYYAML = (
    "prometheus__prometheus__dc5e0e7",
    "elit-cx__test-kics-orb__6cc379a",
    "google__s2geometry__4fc0448",
    "heroku__cli__a63a272",
    "oclif__oclif__1545f67",
)
with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as fh:
    ROWS = [
        row for row in csv.DictReader(fh, delimiter="\t") if not row["file"].startswith(NOT_PYYAML)
    ]
REAL = sorted(r["file"] for r in ROWS if r["kind"] == "real")


def _pyyaml_reads(name: str) -> bool:
    try:
        yaml.safe_load((CORPUS / name).read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return False
    return True


#: Fixtures of CircleCI's tools (some invalid on purpose) that are at least YAML.
FIXTURES = sorted(r["file"] for r in ROWS if r["kind"] != "real" and _pyyaml_reads(r["file"]))

SCHEMA = config_json_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _leaves(error: Any) -> list[Any]:
    """The innermost errors: those of the ``anyOf`` branches, not the ``anyOf`` itself."""
    if not error.context:
        return [error]
    return [leaf for sub in error.context for leaf in _leaves(sub)]


def json_errors(data: Any) -> list[str]:
    """``path: message`` of every innermost schema error (empty when valid)."""
    return [
        "/".join(map(str, leaf.absolute_path)) + ": " + leaf.message
        for error in VALIDATOR.iter_errors(data)
        for leaf in _leaves(error)
    ]


def read(name: str) -> Any:
    return yaml.safe_load((CORPUS / name).read_text(encoding="utf-8"))


def test_schema_is_valid_draft_2020_12() -> None:
    assert SCHEMA["$schema"] == SCHEMA_DIALECT
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    json.dumps(SCHEMA)  # plain JSON, no Python objects left


def test_schema_has_no_oneof_and_no_openapi_keywords() -> None:
    text = json.dumps(SCHEMA)
    assert '"oneOf"' not in text
    assert '"discriminator"' not in text
    assert "``" not in text


def test_schema_describes_keys_for_editors() -> None:
    job = SCHEMA["$defs"]["Job"]
    assert "parallel" in job["properties"]["parallelism"]["description"]
    assert job["properties"]["parallelism"]["markdownDescription"]
    assert SCHEMA["properties"]["version"]["description"]
    described = [p for p in job["properties"].values() if p.get("description")]
    assert len(described) == len(job["properties"])


def test_each_call_returns_an_independent_copy() -> None:
    a = config_json_schema()
    a["properties"].clear()
    assert config_json_schema()["properties"]


@pytest.mark.parametrize("name", REAL)
def test_real_config_passes_the_schema(name: str) -> None:
    assert json_errors(read(name)) == []


@pytest.mark.parametrize("name", FIXTURES)
def test_schema_and_models_agree_on_fixtures(name: str) -> None:
    # Many are invalid on purpose; whatever the verdict, both validators must share it.
    data = read(name)
    try:
        Config.model_validate(data)
        models_ok = True
    except ValidationError:
        models_ok = False
    assert (json_errors(data) == []) == models_ok


@pytest.mark.parametrize(
    "data",
    [
        {"version": 2, "jobs": {"build": {"docker": [{"image": "x"}], "steps": ["checkout"]}}},
        {
            "version": 2.0,
            "jobs": {"build": {"machine": True, "steps": [{"run": "make"}]}},
            "workflows": {"version": 2, "main": {"jobs": ["build"]}},
        },
        {"version": "2.1", "jobs": {"b": {"parallelism": "<< parameters.p >>", "steps": []}}},
    ],
)
def test_version_2_and_21_configs_pass(data: Any) -> None:
    assert json_errors(data) == []


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"jobs": {}}, ""),
        ({"version": 3}, "version"),
        ({"version": 2, "jobs": {"build": {"stpes": []}}}, "jobs/build"),
        ({"version": 2.1, "jobs": {"b": {"parallelism": 0, "steps": []}}}, "jobs/b/parallelism"),
        ({"version": 2.1, "jobs": {"b": {"steps": [{"run": {"name": "x"}}]}}}, "jobs/b/steps/0"),
        (
            {"version": 2.1, "jobs": {"b": {"steps": [{"checkout": {"method": "x"}}]}}},
            "jobs/b/steps/0",
        ),
        (
            {"version": 2.1, "workflows": {"w": {"jobs": [{"d": {"requires": [{"b": "bogus"}]}}]}}},
            "workflows/w/jobs/0",
        ),
        (
            {"version": 2.1, "workflows": {"w": {"jobs": [{"d": {"filters": {"branch": {}}}}]}}},
            "workflows/w/jobs/0",
        ),
        (
            {
                "version": 2.1,
                "jobs": {"b": {"steps": [{"when": {"condition": {"and": []}, "steps": []}}]}},
            },
            "jobs/b/steps/0",
        ),
    ],
)
def test_invalid_configs_fail_the_schema(data: Any, where: str) -> None:
    errors = json_errors(data)
    assert errors
    assert any(e.startswith(where) for e in errors), errors
    with pytest.raises(ValidationError):
        Config.model_validate(data)
