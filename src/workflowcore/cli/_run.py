"""``workflowcore run``: plan the workflows a branch or tag selects and run them here.

Exit codes: 0 every workflow succeeded, 1 one failed (or was canceled or unauthorized),
2 bad invocation or invalid config, 3 none failed and one is on hold (``workflowcore approve``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from .._text import plural
from ..errors import ConfigError, OrbUnavailableError, PlanError
from ..planning import Plan, plan, select_jobs, shared_directories
from ..reporting.diagnostics import FileReport, format_text
from ..reporting.plans import PLAN_FORMATS, plan_list
from ..reporting.progress import StepTimings, format_workflow_text, run_document
from ..runtime._git import git_info, project_slug
from ..runtime.stores import WorkflowRunRecord
from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, err, require_text
from ._continue import SetupPipeline
from ._load import add_input_options, print_diagnostics, read_config
from ._orbstore import (
    add_orb_dir_option,
    orbs_as_locked,
    plan_orbs,
    read_config_lock,
    record_in_lock,
)
from ._projectenv import env_settings, project_environment
from ._runtools import (
    add_runner_options,
    add_state_options,
    build_runner,
    contexts_path_for,
    default_actor,
    exit_code_for,
    find_source_dir,
    host_note,
    load_contexts,
    open_state,
    print_json,
    warn_if_contexts_exposed,
)
from ._trigger import (
    add_trigger_options,
    checked_parameters,
    default_trigger,
    trigger_from_args,
    trigger_revision,
)

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "run", help="run the workflows a branch or tag selects, here",
        description="Plan every workflow the trigger selects and run its jobs on this machine, "
                    "keeping state so a run can be approved, canceled, rerun or resumed. "
                    "Exit 0: every workflow succeeded; 1: one failed, was canceled or "
                    "unauthorized; 2: bad invocation or invalid config; 3: none failed and "
                    "one waits for an approval.")
    p.add_argument("targets", nargs="*", metavar="[PATH] [JOB ...]",
                   help="the config (default: .circleci/config.yml; a first argument that "
                        "is a file or ends in .yml/.yaml), then jobs to run (as --job)")
    add_trigger_options(p, required=False)
    p.add_argument("--sha", default=None, metavar="REV",
                   help="the commit checkout checks out (default: HEAD, or the tag's commit "
                        "with --tag); the branch comes from --branch or the current one")
    p.add_argument("--job", "-j", action="append", default=[], metavar="JOB",
                   help="run only this job (repeatable; the invocation name as in the "
                        "workflow); its requirements left out are dropped, see "
                        "--with-requires")
    p.add_argument("--with-requires", action="store_true",
                   help="with --job: also run every job the chosen jobs require")
    p.add_argument("--list", "-l", action="store_true",
                   help="list the workflows and jobs this trigger runs, and exit")
    p.add_argument("--dry-run", action="store_true",
                   help="print the plan that would run, and exit")
    p.add_argument("--committed-only", action="store_true",
                   help="checkout checks out the commit alone, without the uncommitted "
                        "changes of your work tree (default: applied on top of HEAD)")
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
    config_path, jobs = _targets(args)
    source = find_source_dir(config_path)
    info = git_info(source)
    implied = default_trigger(args, info)
    trigger = trigger_from_args(args)
    # what is stored in the run state must be text (non-UTF-8 bytes arrive as surrogates)
    require_text(trigger.branch, "--branch")
    require_text(trigger.tag, "--tag")
    require_text(dict(trigger.parameters), "--param")
    require_text(dict(trigger.values), "--value")
    require_text(args.actor, "--actor")
    require_text(jobs, "--job")
    result = read_config(config_path, args.max_bytes, args.orb_dir)
    lines = result.source_map.lines
    if result.errors:
        print_diagnostics(result)
        return EXIT_USAGE
    checked_parameters(result.data, trigger.parameters)  # plan() types them itself
    revision = trigger_revision(source, info, args.sha, trigger.tag)
    project_env = project_environment(args)
    pipeline_id = str(uuid.uuid4())
    values: Dict[str, object] = {**dict(trigger.values), "pipeline.id": pipeline_id}
    if revision:
        values["pipeline.git.revision"] = revision
    if info.remote_url:
        values.setdefault("pipeline.project.git_url", info.remote_url)
    trigger = dataclasses.replace(trigger, values=values)
    if implied and args.format == "text" and not args.list:
        err(f"trigger: {implied}")
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
    if args.list:
        sys.stdout.write(plan_list(the_plan))
        return EXIT_OK
    if jobs:
        the_plan = _select_jobs(the_plan, jobs, args.with_requires)
    if args.dry_run:
        sys.stdout.write(PLAN_FORMATS[args.format](the_plan))
        return EXIT_OK
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
    # a setup config's jobs get the continuation endpoint (docs/continuation.md)
    setup = SetupPipeline.of(args, result.data, config_path=config_path, trigger=trigger,
                             state_root=state.root, lock=lock, pipeline_id=pipeline_id,
                             runs=bool(workflows))
    try:
        runner = build_runner(state, executor=executor_kind, source_dir=str(source),
                              contexts=contexts, max_parallel=args.max_parallel,
                              fmt=args.format, quiet=args.quiet, contexts_path=contexts_path,
                              skip_missing_orbs=args.skip_missing_orbs,
                              keep_job_dirs=args.keep_jobs, isolate=args.isolate,
                              committed_only=args.committed_only,
                              project_environment=project_env if setup is None else
                              {**project_env, **setup.start(executor_kind)},
                              progress=args.progress, heartbeat=args.heartbeat,
                              dask_workers=args.workers, dask_scheduler=args.dask_scheduler)
        steps = StepTimings()  # per-step times for the summary (the store has none)
        runner.subscribe(steps)
        if not workflows:
            note = "; ".join(f"{w.name}: {w.reason}" for w in the_plan.workflows) or \
                "the config has no workflows"
            if args.format == "json":
                print_json(run_document(pipeline_id, []))
            else:
                print(f"no workflow runs for {trigger.describe()} ({note})")
            return EXIT_OK
        username, reponame = project_slug(info.remote_url)
        settings = {
            "source_dir": str(source), "executor": executor_kind,
            "contexts_path": contexts_path, "revision": revision,
            "project": reponame or source.name, "project_username": username,
            "repository_url": info.remote_url, "committed_only": args.committed_only,
            "keep_jobs": args.keep_jobs, "isolate": args.isolate, "state_dir": str(state.root),
            **env_settings(args),
        }
        host = host_note(executor_kind, workflows) if args.format == "text" else None
        if host:
            err(host)
        if executor_kind == "subprocess":
            for directory, sharing in shared_directories(workflows):
                err(f"warning: {', '.join(sharing)} may run at the same time in "
                    f"{directory} (an absolute working_directory) and share its files on "
                    "this machine; on CircleCI each has its own machine. Use --isolate, "
                    "--max-parallel 1 or a ~/ path")
        started: List[str] = []
        unsubscribe = runner.subscribe(
            lambda e: started.append(e.workflow_id) if e.kind == "workflow-started" else None)
        exit_code = None
        try:
            records = runner.run(workflows, actor=args.actor or default_actor(),
                                 pipeline_id=pipeline_id, trigger=trigger.to_dict(),
                                 config_path=str(config_path.absolute()), settings=settings)
            if setup is not None:
                records, exit_code = setup.finish(runner, records, environment=project_env,
                                                  actor=args.actor or default_actor(),
                                                  settings=settings)
        except KeyboardInterrupt:
            unsubscribe()
            err("interrupted: the workflow runs were canceled")
            records = [state.store.get(i) for i in dict.fromkeys(started)]
            _print(args.format, pipeline_id, records)
            return EXIT_FAILED
        finally:
            runner.executor.close()
        _print(args.format, pipeline_id, records, setup, steps)
        if missing and args.format == "text":
            names = sorted(missing)
            orbs = ", ".join(sorted({o for v in missing.values() for o in v}))
            err(f"note: {plural(len(names), 'job')} did not run, since they need orbs that "
                f"are not available offline ({orbs}): {', '.join(names)}")
        return exit_code_for(records) if exit_code is None else exit_code
    finally:
        state.store.close()
        if setup is not None:
            setup.close()


def _targets(args: argparse.Namespace) -> Tuple[Path, List[str]]:
    """``run [PATH] [JOB ...]``: the first target is the config when it ends in
    ``.yml``/``.yaml`` or names something that is not a directory (a file, a FIFO: reading
    it then says what is wrong); the others (and ``--job``) are jobs. A job named like a
    directory here (``build``) stays a job."""
    targets = list(args.targets)
    path = ".circleci/config.yml"
    first = targets[0] if targets else ""
    if targets and (first.endswith((".yml", ".yaml"))
                    or (os.path.lexists(first) and not os.path.isdir(first))):
        path = targets.pop(0)
    return Path(path), [*targets, *args.job]


def _select_jobs(the_plan: Plan, jobs: List[str], with_requires: bool) -> Plan:
    running = [w for w in the_plan.workflows if w.runs]
    selection = select_jobs(running, jobs, with_requires=with_requires)
    if selection.unknown:
        have = sorted({j.name for w in running for j in w.jobs})
        raise UsageError(f"no job {', '.join(map(repr, selection.unknown))} runs for this "
                         f"trigger; jobs that do: {', '.join(have) or 'none'} (see --list)")
    for job, lost in selection.dropped_requires.items():
        err(f"note: {job} runs without the job(s) it requires ({', '.join(lost)}); "
            "--with-requires runs them too")
    return dataclasses.replace(the_plan, workflows=selection.workflows)


def _print(fmt: str, pipeline_id: str, records: List[WorkflowRunRecord],
           setup: Optional[SetupPipeline] = None, steps: Optional[StepTimings] = None) -> None:
    continuation = setup.report if setup is not None else {}
    if fmt == "json":
        document = run_document(pipeline_id, records)
        if continuation:  # a setup config's pipeline: what became of the continuation
            document["continuation"] = continuation
        print_json(document)
        return
    sys.stdout.write("\n")
    for record in records:
        sys.stdout.write(format_workflow_text(record, steps.of(record.id) if steps else None))
    if continuation:
        sys.stdout.write(f"\n{continuation['message']}\n")
