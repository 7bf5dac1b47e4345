"""JSON Schema (draft 2020-12) of a CircleCI config, generated from the pydantic models.

Editors validate and complete YAML with a JSON Schema (the YAML language server reads
``# yaml-language-server: $schema=…`` or a schema mapping), and check-jsonschema runs one in
CI. The schema CircleCI ships only knows ``version: 2.1`` and so rejects every 2.0 config;
this one is made from the same models the library validates with, so both accept the same
files.

The models' own schema needs a few fix-ups to be a good JSON Schema:

* ``oneOf`` becomes ``anyOf``. Pydantic writes ``oneOf`` for tagged unions, which means
  "exactly one branch matches"; a step such as ``{run: "make"}`` is a built-in step *and* a
  map, and the models pick the branch by its key, not by elimination. ``anyOf`` says what
  the models do.
* The OpenAPI ``discriminator`` keyword is dropped (JSON Schema does not define it).
* Descriptions are written with reStructuredText literals (````x````); editors render
  Markdown, so they get single backticks, also as ``markdownDescription``.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Dict

from .models import Config

__all__ = ["SCHEMA_DIALECT", "config_json_schema"]

#: The JSON Schema dialect of :func:`config_json_schema`.
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_RST_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)

_cache: Dict[str, Any] = {}


def _markdown(text: str) -> str:
    return _RST_LITERAL.sub(r"`\1`", text)


def _fix(node: Any) -> Any:
    """Rewrite one schema node (recursively) as described in the module docstring."""
    if isinstance(node, list):
        return [_fix(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: Dict[str, Any] = {}
    for key, value in node.items():
        if key == "discriminator":
            continue
        if key == "oneOf":
            key = "anyOf"
        if key in ("properties", "$defs", "patternProperties"):
            # Maps of names to schemas: the names are data, only the values are schemas.
            out[key] = {name: _fix(sub) for name, sub in value.items()}
        elif key == "description" and isinstance(value, str):
            text = _markdown(value)
            out["description"] = text
            out["markdownDescription"] = text
        else:
            out[key] = _fix(value)
    return out


def config_json_schema() -> Dict[str, Any]:
    """The JSON Schema of a ``.circleci/config.yml`` (versions 2, 2.0 and 2.1).

    Built once per process from :class:`~workflowcore.config.models.Config`; each call
    returns a fresh copy the caller may change.
    """
    schema = _cache.get("schema")
    if schema is None:
        raw = Config.model_json_schema(by_alias=True)
        schema = {"$schema": SCHEMA_DIALECT, **_fix(raw)}
        schema["title"] = "CircleCI config"
        _cache["schema"] = schema
    return copy.deepcopy(schema)
