"""``workflowcore run``: plan the workflows a branch or tag selects and run them here.

Exit codes: 0 every workflow succeeded, 1 one failed (or was canceled or unauthorized),
2 bad invocation or invalid config, 3 none failed and one is on hold (``workflowcore approve``).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import uuid
from pathlib import Path
from typing import Dict, List

from ..errors import ConfigError, OrbUnavailableError, PlanError
from ..planning import plan
from ..reporting.diagnostics import FileReport, format_text
from ..reporting.progress import format_workflow_text, run_document
from ..runtime.stores import WorkflowRunRecord
from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, err, require_text
from ._load import add_input_options, print_diagnostics, read_config
from ._orbstore import (
    add_orb_dir_option,
    orbs_as_locked,
    plan_orbs,
    read_config_lock,
    record_in_lock,
)
from ._runtools import (
    add_runner_options,
    add_state_options,
    build_runner,
    contexts_path_for,
    default_actor,
    exit_code_for,
    find_source_dir,
    git_revision,
    load_contexts,
    open_state,
    print_json,
    warn_if_contexts_exposed,
)
from ._trigger import add_trigger_options, checked_parameters, trigger_from_args

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "run", help="run the workflows a branch or tag selects, here",
        description="Plan every workflow the trigger selects and run its jobs on this machine, "
                    "keeping state so a run can be approved, canceled, rerun or resumed. "
                    "Exit 0: every workflow succeeded; 1: one failed, was canceled or "
                    "unauthorized; 2: bad invocation or invalid config; 3: none failed and "
                    "one waits for an approval.")
    p.add_argument("path", nargs="?", default=".circleci/config.yml", metavar="PATH",
                   help="the config (default: .circleci/config.yml)")
    add_trigger_options(p)
    p.add_argument("--workflow", "-w", action="append", default=None,
                   help="only this workflow (repeatable)")
    p.add_argument("--actor", default=None,
                   help="who runs the pipeline; restricted contexts are checked against it "
                        "(default: your login name)")
    add_runner_options(p, resuming=False)
    add_state_options(p)
    add_orb_dir_option(p)
    p.add_argument("--skip-missing-orbs", action="store_true",
                   help="run the workflow even when jobs need orbs that are not available "
                        "offline: those jobs end not_run (with the reason), and jobs that "
                        "require them follow the requires rules; without it such a run is "
                        "refused before anything runs (exit 2)")
    add_input_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    trigger = trigger_from_args(args)
    # what is stored in the run state must be text (non-UTF-8 bytes arrive as surrogates)
    require_text(trigger.branch, "--branch")
    require_text(trigger.tag, "--tag")
    require_text(dict(trigger.parameters), "--param")
    require_text(dict(trigger.values), "--value")
    require_text(args.actor, "--actor")
    config_path = Path(args.path)
    result = read_config(config_path, args.max_bytes, args.orb_dir)
    lines = result.source_map.lines
    if result.errors:
        print_diagnostics(result)
        return EXIT_USAGE
    checked_parameters(result.data, trigger.parameters)  # plan() types them itself
    source = find_source_dir(config_path)
    revision = git_revision(source)
    pipeline_id = str(uuid.uuid4())
    values: Dict[str, object] = {**dict(trigger.values), "pipeline.id": pipeline_id}
    if revision:
        values["pipeline.git.revision"] = revision
    trigger = dataclasses.replace(trigger, values=values)
    lock = read_config_lock(config_path)
    try:
        the_plan = plan(result, trigger, workflows=args.workflow, orb_dir=args.orb_dir,
                        orb_pins=lock.pins())
    except ConfigError as exc:
        sys.stderr.write(format_text([FileReport(result.path, exc.diagnostics, lines)]))
        return EXIT_USAGE
    except PlanError as exc:
        err(str(exc))
        return EXIT_USAGE
    resolved, needed = plan_orbs(the_plan)
    if not orbs_as_locked(lock, resolved, needed):
        return EXIT_USAGE
    if result.warnings:
        sys.stderr.write(format_text([FileReport(result.path, result.warnings, lines)],
                                     summary=False))
    contexts_path = contexts_path_for(config_path, args.contexts)
    contexts = load_contexts(contexts_path)
    warn_if_contexts_exposed(contexts_path, str(source))
    workflows = [w for w in the_plan.workflows if w.runs]
    missing = {j.name: j.unavailable_orbs for w in workflows for j in w.jobs
               if j.unavailable_orbs}
    if missing and not args.skip_missing_orbs:  # refused before anything starts
        raise UsageError(str(OrbUnavailableError(missing)))
    record_in_lock(lock, resolved)
    state = open_state(args.state_dir, create=True)
    executor_kind = args.executor or "subprocess"
    try:
        runner = build_runner(state, executor=executor_kind, source_dir=str(source),
                              contexts=contexts, max_parallel=args.max_parallel,
                              fmt=args.format, quiet=args.quiet, contexts_path=contexts_path,
                              skip_missing_orbs=args.skip_missing_orbs)
        if not workflows:
            note = "; ".join(f"{w.name}: {w.reason}" for w in the_plan.workflows) or \
                "the config has no workflows"
            if args.format == "json":
                print_json(run_document(pipeline_id, []))
            else:
                print(f"no workflow runs for {trigger.describe()} ({note})")
            return EXIT_OK
        settings = {
            "source_dir": str(source), "executor": executor_kind,
            "contexts_path": contexts_path, "revision": revision, "project": source.name,
        }
        started: List[str] = []
        unsubscribe = runner.subscribe(
            lambda e: started.append(e.workflow_id) if e.kind == "workflow-started" else None)
        try:
            records = runner.run(workflows, actor=args.actor or default_actor(),
                                 pipeline_id=pipeline_id, trigger=trigger.to_dict(),
                                 config_path=str(config_path.absolute()), settings=settings)
        except KeyboardInterrupt:
            unsubscribe()
            err("interrupted: the workflow runs were canceled")
            records = [state.store.get(i) for i in dict.fromkeys(started)]
            _print(args.format, pipeline_id, records)
            return EXIT_FAILED
        finally:
            runner.executor.close()
        _print(args.format, pipeline_id, records)
        if missing and args.format == "text":
            names = sorted(missing)
            err(f"note: {len(names)} job(s) did not run, since they need orbs that are not "
                f"available offline ({', '.join(sorted({o for v in missing.values() for o in v}))}"
                f"): {', '.join(names)}")
        return exit_code_for(records)
    finally:
        state.store.close()


def _print(fmt: str, pipeline_id: str, records: List[WorkflowRunRecord]) -> None:
    if fmt == "json":
        print_json(run_document(pipeline_id, records))
        return
    sys.stdout.write("\n")
    for record in records:
        sys.stdout.write(format_workflow_text(record))
