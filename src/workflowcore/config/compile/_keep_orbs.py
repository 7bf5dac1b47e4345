"""A processed config that keeps references to orbs that could not be had offline.

``circleci config process`` prints a version 2 config with every orb element inlined. When
an orb is not available offline, workflowcore cannot inline it, and it must not print
something that is not config (issue 11: the compiler's placeholder for an orb job,
``{opaque: true, orb: ..., job: ...}``, is an internal marker). With
``process --allow-missing-orbs`` it prints this instead: a valid **2.1** config in which
everything that was available is processed as usual and the unavailable orbs stay
imported under their aliases, so CircleCI (which has them) can still compile it:

* ``version: 2.1`` and an ``orbs:`` section with each unavailable orb the output uses;
* an orb job invocation goes back into its workflow as the orb job reference, with its
  ``name:``, its arguments, ``pre-steps``/``post-steps`` and the invocation keys
  (``requires``, ``context``, ``filters``, ...); its placeholder leaves ``jobs:``;
* steps calling orb commands (``node/install-packages: {...}``) and ``executor:
  alias/name`` stay as the compiler kept them, which is valid 2.1;
* every ``<<`` in a string is written ``\\<<``: the processed text is final (in version 2
  ``<<`` means nothing), but in 2.1 it would start a template again (a shell heredoc in
  an orb's script, ``$(( a << 2 ))``).

Nothing here guesses: a reference whose alias is not a top-level import (an orb imported
only by another orb) cannot be written in the config, and is returned as a problem.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Set, Tuple

from ._result import orb_aliases

__all__ = ["keep_orb_references"]


def _aliases_used(data: Mapping[str, Any]) -> Set[str]:
    """Aliases of orb references left in processed jobs (steps, executors)."""
    jobs = data.get("jobs")
    used: Set[str] = set()
    for body in jobs.values() if isinstance(jobs, dict) else ():
        used |= orb_aliases(body)
    return used


def _escaped(value: Any) -> Any:
    """``value`` with ``<<`` in every string (keys too) escaped for 2.1 (``\\<<``)."""
    if isinstance(value, str):
        return value.replace("<<", "\\<<") if "<<" in value else value
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    return value


def _invocation(final: str, args: Any, placeholder: Mapping[str, Any]) -> Dict[str, Any]:
    ref = str(placeholder.get("job"))
    body: Dict[str, Any] = {}
    if final != ref:
        body["name"] = final
    params = placeholder.get("parameters")
    if isinstance(params, dict):
        body.update(params)
    for key in ("pre-steps", "post-steps"):
        if key in placeholder:
            body[key] = placeholder[key]
    if isinstance(args, dict):
        body.update(args)
    return {ref: body} if body else {ref: {}}


def keep_orb_references(
    data: Mapping[str, Any], unavailable: Mapping[str, str]
) -> Tuple[Dict[str, Any], List[str]]:
    """``data`` (processed, version 2) as a 2.1 config that keeps unavailable orbs.

    ``unavailable`` maps orb aliases to their references, for the orbs that were not
    available (``CompileResult.unavailable_orbs``: the config's own imports, and those of
    the orbs it imports when their alias is free). Returns the new data and the problems
    that make it impossible (each one line); the data is only meaningful when there are
    none.
    """
    problems: List[str] = []
    used = _aliases_used(data)
    orbs: Dict[str, str] = {}
    for alias in sorted(used):
        ref = unavailable.get(alias)
        if ref is None:
            problems.append(f"'{alias}/...' names no orb that was unavailable: it cannot "
                            "be kept as a reference")
        else:
            orbs[alias] = ref
    jobs_in = data.get("jobs")
    jobs_in = jobs_in if isinstance(jobs_in, dict) else {}
    placeholders = {n: b for n, b in jobs_in.items()
                    if isinstance(b, dict) and b.get("opaque") is True}
    out: Dict[str, Any] = {"version": 2.1}
    if orbs:
        out["orbs"] = orbs
    for key, value in data.items():
        if key in ("version", "jobs", "workflows"):
            continue
        out[key] = value
    out["jobs"] = {n: b for n, b in jobs_in.items() if n not in placeholders}
    workflows = data.get("workflows")
    if isinstance(workflows, dict):
        wf_out: Dict[str, Any] = {}
        for wname, wf in workflows.items():
            if wname == "version":
                continue  # deprecated in 2.1
            if not isinstance(wf, dict) or not isinstance(wf.get("jobs"), list):
                wf_out[wname] = wf
                continue
            items: List[Any] = []
            for item in wf["jobs"]:
                final, args = (item, None) if isinstance(item, str) else (
                    next(iter(item.items())) if isinstance(item, dict) and len(item) == 1
                    else (None, None))
                if isinstance(final, str) and final in placeholders:
                    items.append(_invocation(final, args, placeholders[final]))
                else:
                    items.append(item)
            wf_out[wname] = {**wf, "jobs": items}
        out["workflows"] = wf_out
    if not out["jobs"]:
        del out["jobs"]  # every job came from an unavailable orb
    orbs_section = out.pop("orbs", None)
    out = _escaped(out)
    if orbs_section:
        out = {"version": out.pop("version"), "orbs": orbs_section, **out}
    return out, problems
