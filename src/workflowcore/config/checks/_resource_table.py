"""The resource-class table (``config/data/resource_classes.json``), read once per process.

CircleCI adds resource classes more often than this package is released, so the table is
data, not code: a maintainer edits the JSON file, and a user who meets a new class before
a release points ``WORKFLOWCORE_RESOURCE_CLASSES`` at a JSON file of the same shape; its
classes are *added* to the packaged ones (a local file can silence a warning, never add
one). See docs/conformance.md.
"""

from __future__ import annotations

import os
import re
from typing import Any, Mapping, NamedTuple

__all__ = ["ENV_VAR", "ResourceTable", "resource_table"]

#: Environment variable naming an extra table (same shape as the packaged one).
ENV_VAR = "WORKFLOWCORE_RESOURCE_CLASSES"
_PACKAGED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data",
                         "resource_classes.json")


class ResourceTable(NamedTuple):
    """Resource classes per executor type, and the cache-retention limits in days."""

    classes: Mapping[str, frozenset[str]]
    generation_suffix: re.Pattern[str]
    retention_documented_max: int
    retention_accepted_max: int

    def offers(self, executor_type: str, resource_class: str) -> bool:
        """Whether ``executor_type`` offers ``resource_class`` (``large.gen3`` counts as
        ``large``: the compiler accepts generation variants the docs do not list)."""
        known = self.classes.get(executor_type, frozenset())
        base = self.generation_suffix.sub("", resource_class)
        return resource_class in known or base in known

    def types_offering(self, resource_class: str) -> list[str]:
        return [t for t in sorted(self.classes) if self.offers(t, resource_class)]


def _read(path: str) -> dict[str, Any]:
    import json  # only when a config names a resource class

    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return data


def _build(extra_path: str | None) -> ResourceTable:
    base = _read(_PACKAGED)
    classes: dict[str, set[str]] = {
        str(k): {str(c) for c in v} for k, v in base["classes"].items()
    }
    if extra_path:
        try:
            extra = _read(extra_path)
            for k, v in (extra.get("classes") or {}).items():
                if isinstance(v, list):
                    classes.setdefault(str(k), set()).update(str(c) for c in v)
        except (OSError, ValueError, AttributeError):
            pass  # an unreadable local table adds nothing; the packaged one still applies
    retention = base["retention_caches_days"]
    return ResourceTable(
        classes={k: frozenset(v) for k, v in classes.items()},
        generation_suffix=re.compile(base["generation_suffix"]),
        retention_documented_max=int(retention["documented_max"]),
        retention_accepted_max=int(retention["accepted_max"]),
    )


_cache: dict[str | None, ResourceTable] = {}


def resource_table() -> ResourceTable:
    """The packaged table plus ``$WORKFLOWCORE_RESOURCE_CLASSES`` (cached per value)."""
    extra = os.environ.get(ENV_VAR) or None
    table = _cache.get(extra)
    if table is None:
        table = _cache[extra] = _build(extra)
    return table
