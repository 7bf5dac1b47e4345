"""Pydantic ``ValidationError`` → positioned diagnostics a person can act on.

Pydantic reports one error per failed union branch and uses locs that contain union tags
(``'str'``, ``'function-after[...]'``); people want one message at the place they wrote.
So: each loc is reduced to the parts that exist in the data, errors shadowed by a more
specific error deeper in the same place are dropped, and the common error kinds get messages
in CircleCI's vocabulary ("unknown key 'stpes' ... did you mean 'steps'?").
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from pydantic import ValidationError

from ..diagnostics import Diagnostic
from ._suggest import close_match
from ._yaml import YAML11_WORDS
from .sourcemap import SourceMap

__all__ = ["data_loc", "describe_loc", "translate_validation_error"]

_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "bool_type": "a boolean",
    "bool_parsing": "a boolean (true or false)",
    "float_type": "a number",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "int_from_float": "a whole number",
    "string_too_short": "a non-empty string",
}


def data_loc(data: Any, loc: Sequence[Any]) -> tuple[Any, ...]:
    """The parts of a pydantic ``loc`` that exist in ``data`` (union tags dropped)."""
    out: list[Any] = []
    node = data
    for part in loc:
        in_map = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_map or in_list:
            out.append(part)
            node = node[part]
    return tuple(out)


def describe_loc(loc: Sequence[Any]) -> str:
    """``("jobs", "build", "steps", 2)`` → ``jobs.build.steps[2]``."""
    s = ""
    for p in loc:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else str(p))
    return s or "the top level"


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return type(v).__name__


def _misspelt_key(
    data: Any,
    dl: tuple[Any, ...],
    missing: str,
    keys_at: Callable[[tuple[Any, ...]], Sequence[str] | None] | None,
) -> str | None:
    """The key written at ``dl`` that is most probably a typo of the ``missing`` one
    (``comand`` for ``command``), or ``None``. Keys the schema knows there are not typos."""
    node: Any = data
    for part in dl:
        node = node[part]
    if not isinstance(node, dict):
        return None
    known = set(keys_at(dl) or ()) if keys_at is not None else set()
    return close_match(missing, [k for k in node if isinstance(k, str) and k not in known])


def translate_validation_error(
    exc: ValidationError,
    data: Any,
    source_map: SourceMap,
    keys_at: Callable[[tuple[Any, ...]], Sequence[str] | None] | None = None,
) -> list[Diagnostic]:
    """Turn every pydantic error into a positioned diagnostic, most specific first."""
    import difflib

    raw = exc.errors(include_url=False)
    items: list[tuple[tuple[Any, ...], Any]] = []
    for err in raw:
        items.append((data_loc(data, err["loc"]), err))
    # Drop errors shadowed by a more specific one below the same place: a union's
    # "expected a string" next to the mapping branch's "unknown key" deeper down.
    locs = {dl for dl, _ in items}
    kept: list[tuple[tuple[Any, ...], Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for dl, err in items:
        etype = err["type"]
        deeper = any(len(o) > len(dl) and o[: len(dl)] == dl for o in locs)
        if deeper and etype not in ("missing", "extra_forbidden"):
            continue
        key = (dl, etype, str(err["loc"][-1]) if err["loc"] else "")
        if key in seen:
            continue
        # Several union branches failing at the same place: keep the first one only.
        if etype not in ("missing", "extra_forbidden") and any(
            k[0] == dl and k[1] not in ("missing", "extra_forbidden") for k in seen
        ):
            continue
        seen.add(key)
        kept.append((dl, err))

    diags: list[Diagnostic] = []
    for dl, err in kept:
        etype = err["type"]
        loc = err["loc"]
        where = describe_loc(dl)
        if etype == "extra_forbidden":
            bad = str(loc[-1])
            parent = dl[:-1] if dl and dl[-1] == bad else dl
            allowed = list(keys_at(parent) or ()) if keys_at is not None else []
            near = difflib.get_close_matches(bad, allowed, n=1, cutoff=0.6)
            if near:
                hint = f"did you mean '{near[0]}'?"
            elif allowed:
                hint = "allowed keys here: " + ", ".join(sorted(allowed))
            else:
                hint = "remove it, or check its indentation"
            diags.append(
                source_map.diagnostic(
                    parent + (bad,),
                    "schema-unknown-key",
                    f"unknown key '{bad}' in {describe_loc(parent)}",
                    key=True,
                    hint=hint,
                )
            )
        elif etype == "missing":
            name = str(loc[-1])
            typo = _misspelt_key(data, dl, name, keys_at)
            if typo is not None:
                # `imgae: x` where `image` is required: the place to fix is the typo.
                diags.append(
                    source_map.diagnostic(
                        (*dl, typo),
                        "schema-missing-key",
                        f"{where} is missing the required key '{name}'; '{typo}' is not a "
                        f"key here",
                        key=True,
                        hint=f"did you mean '{name}'? rename '{typo}' to '{name}'",
                    )
                )
                continue
            diags.append(
                source_map.diagnostic(
                    dl,
                    "schema-missing-key",
                    f"{where} is missing the required key '{name}'",
                    key=bool(dl),
                )
            )
        elif etype in ("literal_error", "enum"):
            expected = err.get("ctx", {}).get("expected", "")
            diags.append(
                source_map.diagnostic(
                    dl,
                    "schema-value",
                    f"{where}: {err['input']!r} is not allowed here; expected {expected}",
                )
            )
        elif etype in _TYPE_WORDS:
            word = source_map.written(dl) if isinstance(err["input"], bool) else None
            diags.append(
                source_map.diagnostic(
                    dl,
                    "schema-type",
                    f"{where} must be {_TYPE_WORDS[etype]}, not {_type_name(err['input'])}"
                    + (f" (YAML 1.1 reads an unquoted {word} as a boolean)"
                       if word in YAML11_WORDS else ""),
                    hint=f'quote it: "{word}"' if word in YAML11_WORDS else None,
                )
            )
        elif etype == "union_tag_invalid":
            ctx = err.get("ctx", {})
            diags.append(source_map.diagnostic(
                dl + ((ctx.get("discriminator", "").strip("'"),) if ctx.get("discriminator")
                      else ()),
                "schema-value",
                f"{where}: {ctx.get('tag')!r} is not allowed here; expected one of "
                f"{ctx.get('expected_tags', '')}"))
        elif err["msg"].startswith(("Input should be ", "A step should be ")):
            # The models' own wording ("Input should be a list of steps"): say where, and
            # what was found instead.
            rest = err["msg"].split(" should be ", 1)[1]
            got = err["input"]
            shown = repr(got) if isinstance(got, (str, int, float)) and not isinstance(
                got, bool) else _type_name(got)
            code = "schema-value" if etype == "value_or_template" else "schema-type"
            diags.append(source_map.diagnostic(
                dl, code, f"{where} should be {rest}; got {shown}"))
        else:
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            diags.append(source_map.diagnostic(dl, "schema-invalid", f"{where}: {msg}"))
    return diags
