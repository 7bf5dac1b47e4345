"""Printing processed config as ``circleci config process`` does (R10.9.1).

Block style, keys in insertion order, sequences not indented under their key, multi-line
strings as ``|-`` literal blocks, and strings that YAML would read as another type quoted.
"""

from __future__ import annotations

from typing import Any

import yaml

from .._yaml import _INVISIBLE

__all__ = ["to_yaml"]

try:
    _Base: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Base = yaml.SafeDumper


class _Dumper(_Base):  # type: ignore[misc]
    """SafeDumper that writes multi-line strings as literal blocks and never uses
    anchors (compiled jobs share subtrees; CircleCI prints each in full)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: Any, value: str) -> Any:
    if any(c in _INVISIBLE for c in value):
        # A look-alike space (U+00A0, U+200B...) is printable to YAML, so it would be
        # written bare, and at the start of a line it reads as indentation (a fuzz finding:
        # a job renamed "\u200b" made the output unreadable). Quoted, it is a value.
        return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value))


_Dumper.add_representer(str, _str)
# Subclasses of the plain types (the compiler tags some values) print as the plain type.
_Dumper.add_multi_representer(str, _str)
_Dumper.add_multi_representer(list, lambda d, v: d.represent_list(v))
_Dumper.add_multi_representer(dict, lambda d, v: d.represent_dict(v.items()))


def to_yaml(data: Any) -> str:
    """The processed config ``data`` (from :func:`compile_config`) as YAML text."""
    text: str = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=10_000,
    )
    return text
