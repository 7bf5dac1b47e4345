"""``run`` of a ``setup: true`` config: the setup phase, then the continued pipeline.

CircleCI runs a setup config's workflow with a secret ``CIRCLE_CONTINUATION_KEY``; a job of
it POSTs a generated config and parameters to the continue API, and the pipeline goes on
with that config, as the same pipeline (docs/continuation.md has the sources). Here:

1. :meth:`SetupPipeline.start` starts the run's loopback continuation endpoint
   (:mod:`workflowcore.runtime.continuation`) and gives the runner's jobs the key (a project
   variable, so masked in all output) and the endpoint's URL, which the job's ``curl``
   wrapper sends the orb's request to.
2. The setup workflow runs as any workflow does.
3. :meth:`SetupPipeline.finish`: when it succeeded and a continuation arrived, the received
   configuration is saved in the state directory, loaded, planned for the same trigger with
   the trigger's parameters plus the received ones, and its workflows run as the same
   pipeline (same pipeline id and pipeline values). Continuing needs the setup phase to
   succeed; a continuation sent by a setup workflow that then failed is not run.

A continued configuration that does not load or compile (or whose parameters it cannot
take, or that is itself a setup config) makes the *pipeline* fail: the setup workflow did
run, so it is exit 1 (CircleCI marks such a pipeline errored), not exit 2, which ``run``
keeps for mistakes found before anything runs.

The endpoint lives only while this command runs: a setup workflow that waits for an
approval cannot continue the pipeline from a later ``approve`` (the key is not stored).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple

from ..config import LoadResult, load
from ..config.orbs.lock import Lock
from ..config.orbs.store import OrbStore, store_for
from ..diagnostics import Diagnostic, Severity
from ..errors import ConfigError, OrbUnavailableError, PlanError
from ..planning import Trigger, plan
from ..reporting.diagnostics import FileReport, format_text
from ..runtime.runner import Runner
from ..runtime.stores import WorkflowRunRecord
from ._common import EXIT_FAILED, EXIT_OK, EXIT_ON_HOLD, err
from ._orbstore import orbs_as_locked, plan_orbs, record_in_lock
from ._runtools import exit_code_for

if TYPE_CHECKING:  # the server imports http.server: only when a setup config runs
    from ..runtime.continuation import ContinuationServer

__all__ = ["SetupPipeline", "is_setup_config"]

#: the JSON document's ``continuation.status`` values
CONTINUED = "continued"
NOT_CONTINUED = "not_continued"
SKIPPED = "skipped"
ERRORED = "errored"


def is_setup_config(data: Any) -> bool:
    """``setup: true`` at the top of a config (the loader refuses it outside 2.1)."""
    return isinstance(data, dict) and data.get("setup") is True


class SetupPipeline:
    """One pipeline that starts with a setup config: the endpoint, then the continuation.

    ``config_path`` is the setup config (its project's ``.circleci/orbs`` and lock serve
    the continued config too), ``trigger`` the pipeline's trigger with its values
    (``pipeline.id`` ...), ``state_root`` where the received configuration is saved.
    """

    def __init__(self, *, config_path: Path, setup_data: Mapping[str, Any], trigger: Trigger,
                 state_root: Path, orb_dir: Optional[str], lock: Lock, fmt: str,
                 skip_missing_orbs: bool, pipeline_id: str) -> None:
        self.config_path = config_path
        self.setup_data = setup_data
        self.trigger = trigger
        self.state_root = state_root
        self.orb_dir = orb_dir
        self.lock = lock
        self.fmt = fmt
        self.skip_missing_orbs = skip_missing_orbs
        self.pipeline_id = pipeline_id
        self._server: Optional[ContinuationServer] = None
        #: what ``run --format json`` reports under ``"continuation"``
        self.report: Dict[str, Any] = {}

    @classmethod
    def of(cls, args: argparse.Namespace, data: Any, *, config_path: Path, trigger: Trigger,
           state_root: Path, lock: Lock, pipeline_id: str, runs: bool,
           ) -> Optional[SetupPipeline]:
        """The pipeline ``run`` drives for this config, when it is a setup config whose
        workflows run (``None`` otherwise: nothing to continue from)."""
        if not runs or not is_setup_config(data):
            return None
        return cls(config_path=config_path, setup_data=data, trigger=trigger,
                   state_root=state_root, orb_dir=args.orb_dir, lock=lock, fmt=args.format,
                   skip_missing_orbs=args.skip_missing_orbs, pipeline_id=pipeline_id)

    # -- the setup phase ----------------------------------------------------------------------
    def start(self, executor: str) -> Dict[str, str]:
        """Start the endpoint; returns the variables the setup jobs get (masked)."""
        from ..runtime.continuation import ContinuationServer

        if executor != "subprocess":
            err("warning: dynamic configuration (setup: true) continues only with the "
                "subprocess executor: a container does not reach this run's loopback "
                "continuation endpoint, and its curl would call the real CircleCI API")
        self._server = ContinuationServer(
            trigger_parameters=self.trigger.parameters).start()
        return self._server.environment

    def close(self) -> None:
        if self._server is not None:
            self._server.close()

    # -- after the setup phase ----------------------------------------------------------------
    def finish(self, runner: Runner, setup_records: List[WorkflowRunRecord], *,
               environment: Mapping[str, str], actor: str, settings: Mapping[str, Any],
               ) -> Tuple[List[WorkflowRunRecord], int]:
        """Continue the pipeline if the setup phase asks for it; returns every workflow run
        of the pipeline and the exit code. ``environment`` is the project environment the
        continued jobs get (without the continuation key: CircleCI gives it to setup jobs
        only)."""
        self.close()  # no continuation is taken once the setup phase is over
        received = self._server.received if self._server is not None else None
        code = exit_code_for(setup_records)
        if code != EXIT_OK:
            what = "waits for an approval" if code == EXIT_ON_HOLD else "did not succeed"
            self._note(SKIPPED, f"the setup workflow {what}, so the pipeline was not "
                                "continued" + (" (the continuation it sent is not run)"
                                               if received is not None else ""))
            return setup_records, code
        if received is None:
            self._note(NOT_CONTINUED, "the setup workflow finished without continuing the "
                                      "pipeline, so nothing more runs (on CircleCI the "
                                      "pipeline stays in its setup state until the "
                                      "continuation key expires)")
            return setup_records, EXIT_OK
        try:
            saved = self._save(received.configuration)
        except OSError as exc:
            err(f"cannot save the continued configuration in {self.state_root}: "
                f"{exc.strerror or exc}")
            self._note(ERRORED, "the continued configuration could not be saved, so the "
                                "pipeline errored")
            return setup_records, EXIT_FAILED
        parameters: Dict[str, Any] = {**self.trigger.parameters, **received.parameters}
        planned = self._plan(saved, received.configuration, parameters)
        if planned is None:
            return setup_records, EXIT_FAILED
        trigger, workflows = planned
        if not workflows:
            self._note(CONTINUED, f"the pipeline was continued with {saved}, which runs no "
                                  f"workflow for {trigger.describe()}", saved)
            return setup_records, EXIT_OK
        announce = f"the pipeline continues with the configuration the setup workflow " \
                   f"sent, saved as {saved}"
        if self.fmt == "text":
            print(f"\n{announce}\n", flush=True)
        else:
            err(announce)
        runner.project_environment = dict(environment)
        more = runner.run(workflows, actor=actor, pipeline_id=self.pipeline_id,
                          trigger=trigger.to_dict(), config_path=str(saved), settings=settings)
        self._note(CONTINUED, f"the pipeline was continued with {saved}", saved)
        records = [*setup_records, *more]
        return records, exit_code_for(records)

    def _note(self, status: str, message: str, config: Optional[Path] = None) -> None:
        self.report = {"status": status, "config": str(config) if config else None,
                       "message": message}

    def _save(self, text: str) -> Path:
        """The received configuration as a file in the state directory: diagnostics point
        into it, and the workflow runs record it as their config."""
        folder = self.state_root / "continuations"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.pipeline_id}.yml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def _plan(self, saved: Path, text: str, parameters: Dict[str, Any],
              ) -> Optional[Tuple[Trigger, List[Any]]]:
        """The continued config's trigger and the workflows that run, or ``None`` after
        reporting why the pipeline errored."""
        store: OrbStore = store_for(str(self.config_path), self.orb_dir)
        result = load(text, str(saved), orb_dir=store)
        lines = result.source_map.lines
        problems = [*result.errors, *self._setup_again(result),
                    *self._conflicting_defaults(result)]
        if problems:
            self._errored(saved, [*problems, *result.warnings], lines)
            return None
        trigger = Trigger(branch=self.trigger.branch, tag=self.trigger.tag,
                          parameters=parameters, event=self.trigger.event,
                          values=self.trigger.values)
        try:
            the_plan = plan(result, trigger, orb_dir=store, orb_pins=self.lock.pins())
        except ConfigError as exc:
            self._errored(saved, [*result.warnings, *exc.diagnostics], lines)
            return None
        except PlanError as exc:
            self._errored(saved, [Diagnostic("continuation-plan", str(exc), path=str(saved))],
                          lines)
            return None
        resolved, needed = plan_orbs(the_plan)
        if not orbs_as_locked(self.lock, resolved, needed):
            self._note(ERRORED, f"the continued configuration {saved} does not use the orb "
                                f"versions {self.lock.path} locks, so the pipeline errored",
                       saved)
            return None
        warnings = [*result.warnings, *the_plan.diagnostics, *self._undeclared(result)]
        if warnings:
            sys.stderr.write(format_text([FileReport(str(saved), warnings, lines)],
                                         summary=False))
        workflows = [w for w in the_plan.workflows if w.runs]
        missing = {j.name: j.unavailable_orbs for w in workflows for j in w.jobs
                   if j.unavailable_orbs}
        if missing and not self.skip_missing_orbs:
            message = str(OrbUnavailableError(missing))
            err(f"{saved}: {message}")
            self._note(ERRORED, f"the continued configuration {saved} needs orbs that are "
                                "not available offline, so the pipeline errored", saved)
            return None
        record_in_lock(self.lock, resolved)
        return trigger, workflows

    def _errored(self, saved: Path, diagnostics: List[Diagnostic],
                 lines: List[str]) -> None:
        err(f"the continued configuration (received from the setup workflow, saved as "
            f"{saved}) is invalid, so the pipeline errored:")
        sys.stderr.write(format_text([FileReport(str(saved), diagnostics, lines)]))
        self._note(ERRORED, f"the continued configuration {saved} is invalid, so the "
                            "pipeline errored", saved)

    @staticmethod
    def _setup_again(result: LoadResult) -> List[Diagnostic]:
        """A pipeline is continued once: a continued config cannot be a setup config."""
        if not is_setup_config(result.data):
            return []
        return [result.source_map.diagnostic(
            ("setup",), "continuation-setup",
            "the continued configuration has 'setup: true', but a pipeline cannot be "
            "continued with another setup configuration", key=True,
            hint="generate a configuration without 'setup: true'")]

    def _conflicting_defaults(self, result: LoadResult) -> List[Diagnostic]:
        """Pipeline parameters the setup config declares must be declared "with the same
        defaults" in the continued one; CircleCI fails the continuation otherwise."""
        ours, theirs = _declarations(self.setup_data), _declarations(result.data)
        out: List[Diagnostic] = []
        for name, decl in theirs.items():
            if name in ours and _default(ours[name]) != _default(decl):
                out.append(result.source_map.diagnostic(
                    ("parameters", name), "continuation-parameters",
                    f"Conflicting pipeline parameters. (pipeline parameter '{name}' has "
                    f"default {_shown(_default(decl))} here but {_shown(_default(ours[name]))} "
                    "in the setup configuration)", key=True,
                    hint="declare it with the same default in both configurations"))
        return out

    def _undeclared(self, result: LoadResult) -> List[Diagnostic]:
        """Setup-config parameters the continued config does not declare: CircleCI's docs
        require it; a warning, since only given parameters are passed on."""
        ours, theirs = _declarations(self.setup_data), _declarations(result.data)
        names = [n for n in ours if n not in theirs]
        if not names:
            return []
        return [Diagnostic(
            "continuation-parameters",
            f"the setup configuration declares pipeline parameter(s) "
            f"{', '.join(names)} that the continued configuration does not declare",
            severity=Severity.WARNING, path=result.path,
            hint="CircleCI requires every pipeline parameter of the setup configuration to "
                 "be declared, with the same default, in the continued configuration")]


def _declarations(data: Any) -> Dict[str, Any]:
    decls = data.get("parameters") if isinstance(data, dict) else None
    return dict(decls) if isinstance(decls, dict) else {}


def _default(decl: Any) -> Any:
    return decl.get("default") if isinstance(decl, dict) else None


def _shown(value: Any) -> str:
    """A default as YAML writes it (``true``, ``"x"``, ``none`` when there is none)."""
    return "none" if value is None else json.dumps(value, ensure_ascii=False, default=str)
