"""``workflowcore.compile``: the public face of the 2.1 compiler (``circleci config process``
offline). It lives at the top because it accepts a :class:`~workflowcore.planning.Trigger`,
which the config layer below planning cannot know about.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from .config import CompileResult, Config, LoadResult, compile_config
from .config.orbs.store import OrbStore
from .errors import ConfigError
from .planning import Trigger

__all__ = ["compile"]


def compile(
    config: LoadResult | Config | Mapping[str, Any],
    pipeline: Trigger | Mapping[str, Any] | None = None,
    *,
    parameters: Mapping[str, Any] | None = None,
    orb_dir: str | os.PathLike[str] | OrbStore | None = None,
    orb_pins: Mapping[str, str] | None = None,
) -> CompileResult:
    """Expand a 2.1 config into the 2.0-shaped config the planner works on.

    ``pipeline`` is a :class:`Trigger` (its pipeline values and parameters are used), a
    mapping of pipeline values (``{"pipeline.git.branch": "main"}``), or ``None`` to compile
    without a trigger (lint mode: no workflow is dropped for its ``when``). ``parameters``
    adds or overrides pipeline parameters. ``orb_dir`` is the local orb store (searched after
    ``.circleci/orbs`` beside the config; default: the per-user store, docs/orbs.md) and
    ``orb_pins`` maps orb references as written to the versions a lock file pinned;
    ``result.resolved_orbs`` says what each reference resolved to. Never raises for config
    mistakes: they are in ``result.diagnostics`` (with positions in the source when
    ``config`` is a :class:`LoadResult`). A :class:`LoadResult` that failed to load raises
    :class:`ConfigError`, since there is nothing to compile.
    """
    source_map = None
    if isinstance(config, LoadResult):
        if config.data is None:
            raise ConfigError(config.diagnostics)
        data: Any = config.data
        source_map = config.source_map
    elif isinstance(config, Config):
        data = config.model_dump(by_alias=True, exclude_unset=True)
    else:
        data = config
    params: dict[str, Any] = {}
    values: Mapping[str, Any] | None = None
    if isinstance(pipeline, Trigger):
        params.update(pipeline.parameters)
        values = pipeline.pipeline_values()
    elif pipeline is not None:
        values = pipeline
    params.update(parameters or {})
    return compile_config(data, source_map=source_map, parameters=params,
                          pipeline_values=values,
                          orb_dir=orb_dir,
                          lint=pipeline is None, orb_pins=orb_pins)
