"""What a compile returns."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Set, Tuple

from ..._record import Record
from ...diagnostics import Diagnostic, Findings

__all__ = ["CompileResult", "orb_aliases", "orbs_needed"]


def _alias(name: Any) -> Optional[str]:
    return name.split("/", 1)[0] if isinstance(name, str) and "/" in name else None


def orb_aliases(job: Any) -> Set[str]:
    """Aliases of the orb references left in a compiled job: an opaque orb job's own
    reference and its ``pre-steps``/``post-steps``, else its ``executor`` and steps."""
    if not isinstance(job, dict):
        return set()
    if job.get("opaque") is True:
        names: List[Any] = [job.get("job")]
        steps: Any = [*(job.get("pre-steps") or []), *(job.get("post-steps") or [])]
    else:
        executor = job.get("executor")
        names = [executor.get("name") if isinstance(executor, dict) else executor]
        steps = job.get("steps")
    for step in steps if isinstance(steps, list) else ():
        if isinstance(step, str):
            names.append(step)
        elif isinstance(step, dict) and len(step) == 1:
            names.append(next(iter(step)))
    return {a for a in map(_alias, names) if a is not None}


def orbs_needed(job: Any, unavailable: Mapping[str, str]) -> Tuple[str, ...]:
    """The unavailable orbs (references, sorted) a compiled job needs in order to run.

    Once compiled, every element of an orb that *was* available is inlined, so what is
    left naming an orb is unavailable: the placeholder of an opaque orb job
    (``{opaque: true, orb: REF}``), a step ``alias/command``, an ``executor:`` kept as
    ``alias/executor`` (:func:`orb_aliases`). ``unavailable`` maps aliases to references
    (:attr:`CompileResult.unavailable_orbs`); an alias missing from it is named as
    ``alias/...`` so nothing needed goes unsaid.
    """
    if isinstance(job, dict) and job.get("opaque") is True:
        return (str(job.get("orb")),)
    return tuple(sorted({unavailable.get(a, f"{a}/...") for a in orb_aliases(job)}))


class CompileResult(Findings, Record):
    """The processed config and everything found while producing it.

    ``data`` is the processed config as plain data (``version: 2``, ``jobs`` keyed by final
    names, ``workflows``), or ``None`` when the input could not be processed at all. It is
    produced best-effort even when some diagnostics are errors, so editors still get a
    picture; check :attr:`ok` before planning from it. Unchanged subtrees are *shared*
    with the input data: treat ``data`` as read-only.

    ``skipped_workflows`` maps workflows dropped by ``when``/``unless`` to a readable
    reason. ``origins`` maps compiled locs (``("jobs", "build-1")``,
    ``("workflows", "main", "jobs", 3)``, ``("jobs", "build-1", "steps", 4)``) to the loc
    in the source config the part came from; look up the longest prefix of a loc.
    ``opaque_jobs`` names compiled jobs that come from orbs not available offline, and
    ``unavailable_orbs`` maps the alias of every orb that could not be had to its reference
    (:func:`orbs_needed` tells which of them a job needs); ``pipeline_parameters`` the
    bound pipeline parameters (planning evaluates expression filters with them): given
    values, else declared defaults (with ``<< >>`` in defaults rendered), as the compiler
    evaluated ``when`` and tags with them. ``resolved_orbs`` maps every orb reference as written
    (``circleci/node@5``) that the store resolved to what it resolved to
    (``Resolved.orb.ref``, ``.digest``, where it was read from).
    """

    __slots__ = ("data", "diagnostics", "skipped_workflows", "origins", "opaque_jobs",
                 "pipeline_parameters", "unavailable_orbs", "resolved_orbs")

    def __init__(self, data: Any, diagnostics: Optional[List[Diagnostic]] = None,
                 skipped_workflows: Optional[Dict[str, str]] = None,
                 origins: Optional[Dict[Tuple[Any, ...], Tuple[Any, ...]]] = None,
                 opaque_jobs: Optional[Set[str]] = None,
                 pipeline_parameters: Optional[Dict[str, Any]] = None,
                 unavailable_orbs: Optional[Dict[str, str]] = None,
                 resolved_orbs: Optional[Dict[str, Any]] = None) -> None:
        self.data = data
        self.diagnostics: List[Diagnostic] = [] if diagnostics is None else diagnostics
        self.skipped_workflows: Dict[str, str] = \
            {} if skipped_workflows is None else skipped_workflows
        self.origins: Dict[Tuple[Any, ...], Tuple[Any, ...]] = \
            {} if origins is None else origins
        self.opaque_jobs: Set[str] = set() if opaque_jobs is None else opaque_jobs
        self.pipeline_parameters: Dict[str, Any] = \
            {} if pipeline_parameters is None else pipeline_parameters
        self.unavailable_orbs: Dict[str, str] = \
            {} if unavailable_orbs is None else unavailable_orbs
        self.resolved_orbs: Dict[str, Any] = {} if resolved_orbs is None else resolved_orbs

    def orbs_needed(self, job: str) -> Tuple[str, ...]:
        """The unavailable orbs compiled job ``job`` needs (see :func:`orbs_needed`)."""
        jobs = self.data.get("jobs") if isinstance(self.data, dict) else None
        body = jobs.get(job) if isinstance(jobs, dict) else None
        return orbs_needed(body, self.unavailable_orbs)

    def needed_orbs(self) -> Tuple[str, ...]:
        """Every unavailable orb a compiled job needs, sorted."""
        jobs = self.data.get("jobs") if isinstance(self.data, dict) else None
        out: Set[str] = set()
        for body in jobs.values() if isinstance(jobs, dict) else ():
            out.update(orbs_needed(body, self.unavailable_orbs))
        return tuple(sorted(out))

    @property
    def ok(self) -> bool:
        """True when there is processed data and no error (warnings allowed)."""
        return self.data is not None and not self.errors

    def origin(self, loc: Tuple[Any, ...]) -> Tuple[Any, ...] | None:
        """The source loc of compiled ``loc``, from its longest mapped prefix."""
        for end in range(len(loc), 0, -1):
            src = self.origins.get(tuple(loc[:end]))
            if src is not None:
                return src
        return None
