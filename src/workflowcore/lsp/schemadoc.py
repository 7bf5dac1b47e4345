"""What the models say about a place in a config: its keys, their documentation and values.

Hover and completion ask the same models ``validate`` checks with
(:mod:`workflowcore.config.models`), so an editor never offers a key the validator would
reject, and the documentation shown is the field's own ``description`` (the same text the
JSON Schema of ``workflowcore schema`` carries). The walk along a loc is the one
:func:`~workflowcore.config.models.keys_at` does (each part tried as a key and as a union
tag), using its helpers so the two can never disagree.
"""

from __future__ import annotations

import re
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type, Union

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..config.models import _branches, _child_types

if sys.version_info >= (3, 9):
    from typing import Literal, get_args, get_origin
else:  # pragma: no cover - Python 3.8 only
    from typing_extensions import Literal, get_args, get_origin

__all__ = ["KeyDoc", "key_doc", "keys_here", "literal_values", "type_words"]

Part = Union[str, int]
_State = Tuple[Tuple[str, ...], Any]
_RST_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)


class KeyDoc:
    """One key a mapping may hold: its YAML name, description, the words for its type,
    and the model it belongs to."""

    __slots__ = ("description", "key", "model", "types")

    def __init__(self, key: str, description: str, types: str, model: Type[BaseModel]) -> None:
        self.key = key
        self.description = description
        self.types = types
        self.model = model

    def __repr__(self) -> str:
        return f"KeyDoc({self.key!r}: {self.types})"


def _states(loc: Sequence[Part]) -> List[_State]:
    """The types the value at ``loc`` may have (as :func:`keys_at` walks them)."""
    from ..config.models import Config

    states: List[_State] = _branches(Config)
    last = len(loc) - 1
    for i, part in enumerate(loc):
        by_key = [leaf for _, tp in states for child in _child_types(tp, part)
                  for leaf in _branches(child)]
        by_tag = [(tags[tags.index(part) + 1:], tp) for tags, tp in states
                  if isinstance(part, str) and part in tags]
        states = (by_key or by_tag) if i == last else by_key + by_tag
        if not states:
            return []
    return states


def _markdown(text: str) -> str:
    return _RST_LITERAL.sub(r"`\1`", text)


def _models(states: List[_State]) -> List[Type[BaseModel]]:
    out: List[Type[BaseModel]] = []
    for _, tp in states:
        if isinstance(tp, type) and issubclass(tp, BaseModel) and tp not in out:
            out.append(tp)
    return out


def _field(model: Type[BaseModel], key: str) -> Optional[Tuple[str, FieldInfo]]:
    for name, info in model.model_fields.items():
        if key in (info.alias, name):
            return (info.alias or name), info
    return None


def keys_here(loc: Sequence[Part]) -> List[KeyDoc]:
    """The keys the mapping at data loc ``loc`` may hold, documented, in model order."""
    out: Dict[str, KeyDoc] = {}
    for model in _models(_states(loc)):
        for name, info in model.model_fields.items():
            key = info.alias or name
            if key not in out:
                out[key] = KeyDoc(key, _markdown(info.description or ""),
                                  type_words(info.annotation), model)
    return list(out.values())


def key_doc(loc: Sequence[Part]) -> Optional[KeyDoc]:
    """The documentation of the key ``loc[-1]`` of the mapping at ``loc[:-1]``."""
    if not loc or not isinstance(loc[-1], str):
        return None
    for model in _models(_states(loc[:-1])):
        found = _field(model, loc[-1])
        if found is not None:
            key, info = found
            return KeyDoc(key, _markdown(info.description or ""), type_words(info.annotation),
                          model)
    return None


def model_summary(model: Type[BaseModel]) -> str:
    """The first paragraph of a model's docstring (what such a mapping is)."""
    doc = (model.__doc__ or "").strip().split("\n\n", 1)[0]
    return _markdown(" ".join(doc.split()))


def literal_values(loc: Sequence[Part]) -> List[Any]:
    """The fixed values the value at ``loc`` may take (``Literal`` members, ``true`` and
    ``false`` for a boolean), for value completion."""
    out: List[Any] = []
    for _, tp in _states(loc):
        for value in _literals(tp):
            if value not in out:
                out.append(value)
    return out


def _literals(tp: Any) -> List[Any]:
    if get_origin(tp) is Literal:
        return list(get_args(tp))
    if tp is bool:
        return [True, False]
    return []


def type_words(annotation: Any) -> str:
    """``Optional[Union[str, List[str]]]`` → ``string | list``: the kinds of YAML value a
    field takes, in words (``<< >>`` template alternatives left out)."""
    words: List[str] = []
    for _, tp in _branches(annotation):
        for word in _kind(tp):
            if word not in words:
                words.append(word)
    return " | ".join(words) or "any"


def _kind(tp: Any) -> List[str]:
    if tp is type(None):
        return []
    origin = get_origin(tp)
    if origin is Literal:
        return [" | ".join(repr(v) if isinstance(v, str) else str(v) for v in get_args(tp))]
    if origin in (list, List):
        return ["list"]
    if origin in (dict, Dict):
        return ["map"]
    if isinstance(tp, type):
        if issubclass(tp, BaseModel):
            return ["map"]
        names = {str: "string", bool: "boolean", int: "integer", float: "number",
                 list: "list", dict: "map"}
        if tp in names:
            return [names[tp]]
    return ["any"]
