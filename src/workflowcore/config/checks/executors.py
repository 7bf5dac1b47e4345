"""[executor-undefined] [executor-conflict] [executor-missing] [executor-resource-class]
[executor-image-digest]: how each job says where it runs.

A job may name a reusable ``executor:`` *and* set executor keys of its own (``docker:``,
``resource_class``, ``environment``…): the job's keys override the executor's, the
documented "Overriding keys when invoking an executor" (R1.4.3). Only two *direct*
executor types in one job (``docker:`` and ``machine:``) conflict.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Mapping

from ...diagnostics import Severity
from ._resource_table import resource_table
from ._util import did_you_mean
from .base import Check, Context, Loc

__all__ = ["ExecutorsCheck"]

#: Keys that each pick an execution environment by themselves.
_DIRECT = ("docker", "machine", "macos", "windows")
#: ``name@algorithm:hex``; what a well-formed digest of each known algorithm looks like.
_DIGEST = re.compile(r"@([^:@]*):?(.*)$")
_DIGEST_HEX = {"sha256": 64, "sha512": 128}


class ExecutorsCheck(Check):
    codes = (
        "executor-undefined",
        "executor-conflict",
        "executor-missing",
        "executor-resource-class",
        "executor-image-digest",
    )

    def visit_config(self, ctx: Context) -> None:
        for name, ex in ctx.section("executors").items():
            if isinstance(ex, dict):
                loc = ("executors", name)
                self._resource_class(ctx, ex, _direct_type(ex), loc, f"executor '{name}'")
                self._digests(ctx, ex, loc)

    def visit_job(self, ctx: Context, name: str, job: Mapping[str, Any], loc: Loc) -> None:
        typ = job.get("type", "build")
        if typ not in ("build", None):
            return
        self._digests(ctx, job, loc)
        direct = [k for k in _DIRECT if k in job]
        if len(direct) > 1:
            ctx.report(
                loc + (direct[1],),
                "executor-conflict",
                f"job '{name}' sets more than one executor type: {', '.join(direct)}",
                key=True,
                hint="Specify one executor type per job",
            )
        elif direct and (inherited := self._executor_type(ctx, job)) not in (None, direct[0]):
            # R1.4.3 merges key by key: the executor's `machine:` stays beside the job's
            # `docker:`, and the compiled job has two executor types.
            ctx.report(
                loc + (direct[0],),
                "executor-conflict",
                f"job '{name}' sets {direct[0]}, but its executor sets {inherited}: the "
                f"job's keys override the executor's key by key, so the job would run on "
                f"both {inherited} and {direct[0]}",
                key=True,
                hint=f"override with the executor's own type ({inherited}), or drop "
                "'executor:'",
            )
        elif not direct and job.get("executor") is None and "steps" in job:
            # (`executor:` with no value names none: processed, the key is gone; a fuzz
            # finding)
            # Found when CircleCI compiles the job: a warning for one no workflow runs (a
            # processed config prints an unused job without steps as `steps: []`, which
            # made it an error there while the config it came from only had a warning:
            # a fuzz finding).
            sev, note = ctx.compile_severity(f"jobs.{name}")
            ctx.report(
                loc,
                "executor-missing",
                f"job '{name}' does not say where it runs{note}",
                key=True,
                severity=sev,
                hint="add 'docker: [{image: cimg/base:stable}]', 'machine: true', "
                "'macos: ...' or 'executor: <name>'",
            )
        if len(direct) <= 1:
            self._job_resource_class(ctx, name, job, direct, loc)
        ex = job.get("executor")
        ename = ex.get("name") if isinstance(ex, dict) else ex
        if not isinstance(ename, str) or "<<" in ename:
            return
        if "/" in ename:
            alias = ename.split("/", 1)[0]
            if alias not in ctx.orb_aliases:
                sev, note = ctx.compile_severity(f"jobs.{name}")
                ctx.report(
                    loc + ("executor",),
                    "executor-undefined",
                    f"Cannot find a definition for executor named {ename}: no orb "
                    f"'{alias}' is declared{note}",
                    severity=sev,
                    hint=f"declare the orb '{alias}' under 'orbs:'",
                )
            return
        executors = ctx.section("executors")
        if ename not in executors:
            sev, note = ctx.compile_severity(f"jobs.{name}")
            ctx.report(
                loc + ("executor",),
                "executor-undefined",
                f"Cannot find a definition for executor named {ename}{note}",
                severity=sev,
                hint=did_you_mean(ename, executors)
                or "define it under top-level 'executors:' (version 2.1)",
            )

    # -- resource classes ----------------------------------------------------------------
    def _job_resource_class(
        self, ctx: Context, name: str, job: Mapping[str, Any], direct: list[str], loc: Loc
    ) -> None:
        """The job's own ``resource_class`` against the type it runs on: its direct key,
        else its local executor's (R1.4.3: the job's keys win over the executor's)."""
        if "resource_class" not in job:
            return
        etype = direct[0] if direct else self._executor_type(ctx, job)
        self._resource_class(ctx, job, etype, loc, f"job '{name}'")

    @staticmethod
    def _executor_type(ctx: Context, job: Mapping[str, Any]) -> str | None:
        """The direct type of the job's local ``executor:`` definition, if it has one."""
        ex = job.get("executor")
        ename = ex.get("name") if isinstance(ex, dict) else ex
        definition = ctx.section("executors").get(ename) if isinstance(ename, str) else None
        return _direct_type(definition) if isinstance(definition, dict) else None

    def _resource_class(
        self, ctx: Context, body: Mapping[str, Any], etype: str | None, loc: Loc, owner: str
    ) -> None:
        rc = body.get("resource_class")
        if not isinstance(rc, str) or not rc or "<<" in rc or "/" in rc:
            return  # unset, templated, or a self-hosted runner (namespace/name)
        table = resource_table()
        if etype is not None and etype in table.classes:
            if table.offers(etype, rc):
                return
            others = table.types_offering(rc)
            where = (
                f"; it is a {' and '.join(others)} class" if others else ""
            )
            ctx.report(
                loc + ("resource_class",),
                "executor-resource-class",
                f"{owner}: the {etype} executor offers no resource class '{rc}'{where}",
                severity=Severity.WARNING,
                hint=did_you_mean(rc, table.classes[etype])
                or "offered: " + ", ".join(sorted(table.classes[etype])),
            )
        elif etype is None and not table.types_offering(rc):
            every = {c for cs in table.classes.values() for c in cs}
            ctx.report(
                loc + ("resource_class",),
                "executor-resource-class",
                f"{owner}: no executor type offers a resource class '{rc}'",
                severity=Severity.WARNING,
                hint=did_you_mean(rc, every)
                or "a self-hosted runner class is written namespace/name",
            )

    # -- image digests -------------------------------------------------------------------
    def _digests(self, ctx: Context, body: Mapping[str, Any], loc: Loc) -> None:
        for iloc, image in _images(body, loc):
            m = _DIGEST.search(image)
            if m is None:
                continue
            algorithm, hexpart = m.group(1), m.group(2)
            want = _DIGEST_HEX.get(algorithm)
            if want is None:
                problem = f"'{algorithm}' is not a digest algorithm (use sha256)"
            elif len(hexpart) != want or not re.fullmatch(r"[0-9a-f]+", hexpart):
                problem = (
                    f"a {algorithm} digest is {want} lowercase hex characters, this one is "
                    f"{len(hexpart)} characters"
                    + ("" if re.fullmatch(r"[0-9a-f]*", hexpart) else " and not all hex")
                )
            else:
                continue
            ctx.report(
                iloc,
                "executor-image-digest",
                f"image '{image}' has a malformed digest: {problem}",
                severity=Severity.WARNING,
                hint="copy the digest from 'docker images --digests' or the registry: "
                "name@sha256:<64 hex characters>",
            )


def _direct_type(body: Mapping[str, Any]) -> str | None:
    """The one direct executor type a job or executor body sets, else ``None``."""
    found = [k for k in _DIRECT if k in body]
    return found[0] if len(found) == 1 else None


def _images(body: Mapping[str, Any], loc: Loc) -> Iterator[tuple[Loc, str]]:
    docker = body.get("docker")
    if not isinstance(docker, list):
        return
    for i, entry in enumerate(docker):
        image = entry.get("image") if isinstance(entry, dict) else None
        if isinstance(image, str) and "<<" not in image and "@" in image:
            yield loc + ("docker", i, "image"), image
