"""Printing a packed orb as YAML.

Block style, keys in the order they were read, two-space indentation, sequences not
indented under their key (as ``workflowcore process`` prints), no anchors. A string with a
line break — an included script, a JSON template — is a literal block scalar (``|``), also
when it holds tabs or trailing spaces, which libyaml (PyYAML's C emitter, and Go's yaml.v3
that circleci-cli uses) would otherwise print as one double-quoted line of ``\\t`` and
``\\n`` escapes. A literal block keeps tabs and trailing spaces as they are, so the text
reads back unchanged; the few strings a block cannot carry (control characters, a carriage
return, a first line starting with a tab, look-alike spaces such as U+00A0) are
double-quoted.

libyaml cannot be told to print such a block, and PyYAML's pure-Python emitter, which could,
is some twenty times slower. So the C emitter prints the document with a unique plain
placeholder where each block goes, and the blocks are written in afterwards, indented as the
emitter indents block scalars (two more than the key or the ``-`` that owns the value).
"""

from __future__ import annotations

import re
import uuid
from typing import Any, List

import yaml

from .._yaml import _INVISIBLE_RE

__all__ = ["block_ok", "dump_orb"]

try:
    _Base: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Base = yaml.SafeDumper

# What a literal block can hold and read back unchanged: tab, line feed, printable ASCII and
# non-ASCII characters YAML calls printable (no C1 controls, no NEL/LS/PS, no BOM).
_NOT_BLOCK = re.compile("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
                        "\U00010000-\U0010ffff]")
_INDENT = 2
_LEAD = re.compile(r"[ ]*(?:- )*")


def block_ok(value: str) -> bool:
    """Whether ``value`` is printed as a literal block scalar."""
    # A first line starting with a tab would need an indentation indicator the reader
    # accepts only with a space-indented first line; libyaml refuses it otherwise.
    return ("\n" in value and not value.startswith("\t") and _NOT_BLOCK.search(value) is None
            and _INVISIBLE_RE.search(value) is None)


class _Dumper(_Base):  # type: ignore[misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: Any, value: str) -> Any:
    # Look-alike spaces (U+00A0...) stay visible as escapes: written raw, a reader that
    # flags them (ours: yaml-invisible-char) would warn about text the orb never had.
    style = '"' if _INVISIBLE_RE.search(value) is not None else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style=style)


_Dumper.add_representer(str, _str)
_Dumper.add_multi_representer(str, _str)
_Dumper.add_multi_representer(dict, lambda d, v: d.represent_dict(v.items()))
_Dumper.add_multi_representer(list, lambda d, v: d.represent_list(v))


class _Blocks:
    def __init__(self) -> None:
        self.prefix = f"wfcblock{uuid.uuid4().hex}n"
        self.texts: List[str] = []

    def swap(self, value: Any) -> Any:
        """A copy of ``value`` with every block-worthy string value replaced by a token."""
        if isinstance(value, str):
            if block_ok(value):
                self.texts.append(value)
                return f"{self.prefix}{len(self.texts) - 1}"
            return value
        if isinstance(value, dict):
            return {k: self.swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.swap(v) for v in value]
        return value


def _block(text: str, indent: int) -> str:
    """``text`` as a literal block scalar whose content is indented by ``indent``, without
    the line break that ends its last line (the emitted document supplies it)."""
    hints = str(_INDENT) if text[0] in " \n" else ""
    if not text.endswith("\n"):
        hints += "-"
        body = text
    else:
        if len(text) == 1 or text[-2] == "\n":
            hints += "+"
        body = text[:-1]
    pad = " " * indent
    lines = [pad + line if line else "" for line in body.split("\n")]
    return "|" + hints + "\n" + "\n".join(lines)


def dump_orb(data: Any) -> str:
    """``data`` (a packed orb) as YAML text."""
    blocks = _Blocks()
    swapped = blocks.swap(data)
    text: str = yaml.dump(swapped, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                          allow_unicode=True, width=10_000)
    if not blocks.texts:
        return text
    out: List[str] = []
    pos = 0
    token = re.compile(re.escape(blocks.prefix) + r"(\d+)$", re.MULTILINE)
    for m in token.finditer(text):
        start = text.rfind("\n", 0, m.start()) + 1
        line = text[start:m.start()]
        owner = len(line) - 2 if line.endswith("- ") else _LEAD.match(line).end()  # type: ignore[union-attr]
        out.append(text[pos:m.start()])
        out.append(_block(blocks.texts[int(m.group(1))], owner + _INDENT))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)
