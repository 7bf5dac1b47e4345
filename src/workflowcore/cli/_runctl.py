"""The commands on stored workflow runs: ``status``, ``logs``, ``approve``, ``cancel``,
``rerun``, ``resume``.

Each takes a workflow run id (or an unambiguous prefix of one of at least 4 characters),
``--state-dir`` and ``--format``, and prints one workflow object. ``approve``, ``resume`` and
``rerun`` run jobs (same executor and contexts file as the original run unless given) and exit
like ``run``; a workflow run whose process was killed is taken over by ``approve``, ``cancel``
and ``resume`` (jobs that were running are re-run, or canceled).
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Dict, List, Optional

from ..errors import RunBusyError, SchedulerError, StoreError
from ..reporting.progress import (
    StepTimings,
    format_logs_text,
    format_node_log_text,
    format_workflow_text,
    run_document,
    workflow_object,
    workflows_document,
)
from ..reporting.steplog import StepNotFound, find_step
from ..runtime.runner import Runner, owner_alive
from ..runtime.status import WorkflowStatus
from ..runtime.stores import WorkflowRunRecord
from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, err, require_text
from ._projectenv import project_environment
from ._runtools import (
    State,
    add_runner_options,
    add_state_options,
    build_runner,
    default_actor,
    exit_code_for,
    load_contexts,
    open_state,
    print_json,
    resolve_id,
    settings_executor,
    source_of,
    stored_contexts_path,
)

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("status", help="show workflow runs",
                       description="Show one workflow run, or every workflow run in the state "
                                   "directory (newest first). Exit 0, or 2 for an unknown id.")
    p.add_argument("id", nargs="?", default=None, metavar="ID")
    add_state_options(p)
    p.set_defaults(func=_status)

    p = sub.add_parser("logs", help="print the (masked) logs of a workflow run's jobs",
                       description="Print the stored logs of every job of a workflow run, or "
                                   "of one job (a parallel job's log holds every node's, each "
                                   "under a header; --node K shows one; --step one step). "
                                   "Secrets are masked. Exit 0, or 2.")
    p.add_argument("id", metavar="ID")
    p.add_argument("job", nargs="?", default=None, metavar="JOB")
    p.add_argument("--node", type=_node_index, default=None, metavar="K",
                   help="only node K (its CIRCLE_NODE_INDEX, from 0) of a parallel JOB")
    p.add_argument("--step", default=None, metavar="N|NAME",
                   help="only one step of JOB: its number in the log (from 1, as the "
                        "'==> title' headers count) or its title (or a unique part of it)")
    add_state_options(p)
    p.set_defaults(func=_logs)

    p = sub.add_parser("approve", help="approve a job on hold and run what follows it",
                       description="Approve an approval job that is on hold; the jobs after "
                                   "it run as the approver (--actor). Exits like `run`.")
    p.add_argument("id", metavar="ID")
    p.add_argument("job", metavar="JOB")
    p.add_argument("--actor", default=None,
                   help="who approves (default: your login name)")
    add_runner_options(p, resuming=True)
    add_state_options(p)
    p.set_defaults(func=_approve)

    p = sub.add_parser("cancel", help="cancel a workflow run",
                       description="Cancel a workflow run: running jobs are stopped, waiting "
                                   "ones end canceled. Exit 0 when it is canceled, 1 when it "
                                   "had already finished, 2 for an unknown id.")
    p.add_argument("id", metavar="ID")
    add_state_options(p)
    p.set_defaults(func=_cancel)

    p = sub.add_parser("rerun", help="run a finished workflow run again",
                       description="Start a new workflow run of the same plan: every job, or "
                                   "with --from-failed only the jobs that did not succeed and "
                                   "their downstream (successful jobs and their workspace "
                                   "layers are kept). The workflow run must be finished. "
                                   "Exits like `run`.")
    p.add_argument("id", nargs="+", metavar="ID",
                   help="workflow run id(s), or with --pipeline pipeline id(s): several are "
                        "rerun together, in one pool")
    p.add_argument("--pipeline", action="store_true",
                   help="the IDs are pipelines: rerun the latest run of each of their "
                        "workflows (with --from-failed: of each that did not succeed)")
    p.add_argument("--from-failed", action="store_true",
                   help="keep successful jobs; rerun failed ones and their downstream")
    p.add_argument("--actor", default=None,
                   help="who reruns it (default: your login name)")
    add_runner_options(p, resuming=True)
    add_state_options(p)
    p.set_defaults(func=_rerun)

    p = sub.add_parser("resume", help="continue an interrupted workflow run",
                       description="Continue a workflow run whose process stopped (killed, "
                                   "machine restarted): finished jobs keep their results; jobs "
                                   "that were running run again. Exits like `run`.")
    p.add_argument("id", metavar="ID")
    add_runner_options(p, resuming=True)
    add_state_options(p)
    p.set_defaults(func=_resume)


# -- read-only ---------------------------------------------------------------------------------

def _status(args: argparse.Namespace) -> int:
    state = open_state(args.state_dir, create=False)
    try:
        if args.id is None:
            records = state.store.list()
            if args.format == "json":
                doc = workflows_document(records)
                for data, record in zip(doc["workflows"], records):
                    data["interrupted"] = _interrupted(record)
                print_json(doc)
            elif not records:
                print("no workflow runs")
            else:
                for record in records:
                    sys.stdout.write(format_workflow_text(record) + _note(record))
            return EXIT_OK
        record = state.store.get(resolve_id(state, args.id))
        if args.format == "json":
            data = workflow_object(record, version=True)
            data["interrupted"] = _interrupted(record)
            print_json(data)
        else:
            _show(args.format, record, after_progress=False)
            sys.stdout.write(_note(record))
        return EXIT_OK
    finally:
        state.store.close()


def _interrupted(record: WorkflowRunRecord) -> bool:
    """The process driving the run is gone: ``resume`` (or ``approve``, ``cancel``) takes
    it over, stopping first whatever its jobs left running."""
    return record.owner is not None and not owner_alive(record.owner)


def _note(record: WorkflowRunRecord) -> str:
    if _interrupted(record):
        return (f"  interrupted: the process running it stopped; "
                f"`workflowcore resume {record.id}` continues it\n")
    return ""


def _node_index(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(
            f"--node takes a node index (0, 1, ...: CIRCLE_NODE_INDEX), got {text!r}")
    return int(text)


def _logs(args: argparse.Namespace) -> int:
    state = open_state(args.state_dir, create=False)
    try:
        record = state.store.get(resolve_id(state, args.id))
        if args.job is not None and args.job not in record.jobs:
            raise UsageError(f"workflow {record.workflow} has no job {args.job!r} (jobs: "
                             + ", ".join(record.jobs) + ")")
        if args.step is not None:
            return _step_log(args, state, record)
        if args.node is not None:
            return _node_log(args, state, record)
        logs = state.store.logs(record.id)
        jobs = [args.job] if args.job is not None else list(record.jobs)
        if args.format == "json":
            data = workflow_object(record, version=True)
            data["logs"] = {j: logs.get(j) for j in jobs}
            print_json(data)
        else:
            sys.stdout.write(format_logs_text(record, logs, jobs))
        return EXIT_OK
    finally:
        state.store.close()


def _node_log(args: argparse.Namespace, state: State, record: WorkflowRunRecord) -> int:
    """``logs ID JOB --node K``: one node's log. Node 0 of a job without parallelism is the
    job itself."""
    if args.job is None:
        raise UsageError("--node needs a JOB: `workflowcore logs ID JOB --node K`")
    job = record.jobs[args.job]
    total = len(job.nodes) or 1
    if args.node >= total:
        ran = f"ran {total} nodes (0-{total - 1})" if job.nodes else \
            "ran as one node (--node 0)"
        raise UsageError(f"job {args.job!r} {ran}; there is no node {args.node}")
    if job.nodes:
        log = state.store.node_logs(record.id, args.job).get(args.node)
    else:
        log = state.store.log(record.id, args.job)
    if args.format == "json":
        data = workflow_object(record, version=True)
        data["node"] = args.node
        data["logs"] = {args.job: log}
        print_json(data)
    else:
        sys.stdout.write(format_node_log_text(record, args.job, args.node, log))
    return EXIT_OK


def _step_log(args: argparse.Namespace, state: State, record: WorkflowRunRecord) -> int:
    """``logs ID JOB --step N|NAME [--node K]``: one step of a job's log; of each node's
    log for a parallel job without ``--node``."""
    if args.job is None:
        raise UsageError("--step needs a JOB: `workflowcore logs ID JOB --step N|NAME`")
    job = record.jobs[args.job]
    if job.nodes:
        if args.node is not None and args.node >= len(job.nodes):
            raise UsageError(f"job {args.job!r} ran {len(job.nodes)} nodes "
                             f"(0-{len(job.nodes) - 1}); there is no node {args.node}")
        logs = state.store.node_logs(record.id, args.job)
        nodes = [args.node] if args.node is not None else list(range(len(job.nodes)))
        sources = [(k, f"{args.job}[{k}/{len(job.nodes)}]", job.nodes[k].status,
                    logs.get(k)) for k in nodes]
    else:
        if args.node not in (None, 0):
            raise UsageError(f"job {args.job!r} ran as one node (--node 0); there is no "
                             f"node {args.node}")
        sources = [(None, args.job, job.status, state.store.log(record.id, args.job))]
    found = []
    for node, label, status, log in sources:
        if log is None:
            raise UsageError(f"job {label} has no log yet (status: {status})")
        try:
            number, title, text = find_step(log, args.step)
        except StepNotFound as exc:
            raise UsageError(f"job {label}: {exc}") from None
        found.append((node, label, status, number, title, text))
    if args.format == "json":
        data = workflow_object(record, version=True)
        if args.node is not None:
            data["node"] = args.node
        data["step"] = {"number": found[0][3], "name": found[0][4]}
        data["logs"] = {args.job: "\n".join(f[5] for f in found) + "\n"}
        print_json(data)
    else:
        out = []
        for _node, label, status, number, _title, text in found:
            out += [f"==> {label} ({status}), step {number}", text]
        sys.stdout.write("\n".join(out) + "\n")
    return EXIT_OK


# -- commands that drive ---------------------------------------------------------------------

def _with_runner(args: argparse.Namespace, action: Callable[[State, Runner, str], int],
                 *, quiet_default: bool = False, takeover: str = "resumed",
                 targets: Optional[Callable[[State], List[str]]] = None) -> int:
    """Run ``action`` with a runner set up like the workflow run ``args.id`` was (or, with
    ``targets``, like the first of the workflow runs it chooses)."""
    require_text(getattr(args, "actor", None), "--actor")  # stored in the run state
    state = open_state(args.state_dir, create=False)
    try:
        run_id = targets(state)[0] if targets is not None else resolve_id(state, args.id)
        record = state.store.get(run_id)
        contexts_path = stored_contexts_path(record, getattr(args, "contexts", None))
        runner = build_runner(
            state, executor=settings_executor(record, getattr(args, "executor", None)),
            source_dir=source_of(record), contexts=load_contexts(contexts_path),
            contexts_path=contexts_path,
            max_parallel=getattr(args, "max_parallel", None), fmt=args.format,
            quiet=getattr(args, "quiet", quiet_default),
            keep_job_dirs=bool(getattr(args, "keep_jobs", False)
                               or record.settings.get("keep_jobs")),
            committed_only=bool(record.settings.get("committed_only")),
            isolate=bool(getattr(args, "isolate", False) or record.settings.get("isolate")),
            project_environment=project_environment(args, record.settings),
            progress=getattr(args, "progress", None), heartbeat=getattr(args, "heartbeat", None),
            takeover=takeover, dask_workers=getattr(args, "workers", None),
            dask_scheduler=getattr(args, "dask_scheduler", None))
        runner.subscribe(_STEPS)
        try:
            return action(state, runner, run_id)
        except (SchedulerError, RunBusyError) as exc:
            err(str(exc))
            return EXIT_USAGE
        except KeyboardInterrupt:
            err("interrupted: the workflow run was canceled")
            _show(args.format, state.store.get(run_id))
            return EXIT_FAILED
        finally:
            runner.executor.close()
    except StoreError as exc:
        err(str(exc))
        return EXIT_USAGE
    finally:
        state.store.close()


#: The steps of the jobs this process ran, for the summary (the store does not keep them).
_STEPS = StepTimings()


def _show(fmt: str, record: WorkflowRunRecord, *, after_progress: bool = True) -> None:
    if fmt == "json":
        print_json(workflow_object(record, version=True))
    else:
        sys.stdout.write(("\n" if after_progress else "")
                         + format_workflow_text(record, _STEPS.of(record.id)))


def _approve(args: argparse.Namespace) -> int:
    def action(state: State, runner: Runner, run_id: str) -> int:
        actor = args.actor or default_actor()
        record = runner.approve(run_id, args.job, actor)
        _show(args.format, record)
        job = record.jobs[args.job]
        if job.status != "success" or job.actor != actor:
            err(f"the approval of {args.job!r} was not applied (status: {job.status})")
            return EXIT_FAILED
        return exit_code_for([record])
    return _with_runner(args, action)


def _cancel(args: argparse.Namespace) -> int:
    def action(state: State, runner: Runner, run_id: str) -> int:
        before = state.store.get(run_id)
        finished = WorkflowStatus(before.status).is_terminal and before.owner is None
        record = before if finished else runner.cancel(run_id)
        _show(args.format, record)
        if finished:
            err(f"workflow run {run_id} had already finished ({record.status}); nothing to "
                "cancel")
            return EXIT_FAILED
        return EXIT_OK if record.status == "canceled" else EXIT_FAILED
    return _with_runner(args, action, quiet_default=True, takeover="canceling")


def rerun_targets(state: State, args: argparse.Namespace) -> List[str]:
    """The workflow runs ``rerun`` starts again: the ids given, or with ``--pipeline`` the
    latest run of each workflow of the pipelines given (with ``--from-failed``, of each
    that did not succeed). Several workflow runs of one pipeline are rerun together."""
    if not args.pipeline:
        return list(dict.fromkeys(resolve_id(state, i) for i in args.id))
    records = state.store.list()
    out: List[str] = []
    for given in args.id:
        pipelines = {r.pipeline_id for r in records
                     if r.pipeline_id == given
                     or (len(given) >= 4 and r.pipeline_id.startswith(given))}
        if len(pipelines) != 1:
            what = "is ambiguous" if pipelines else "matches no pipeline"
            raise UsageError(f"pipeline id {given!r} {what} in {str(state.root)!r} (see "
                             "`workflowcore status`: each workflow run names its pipeline)")
        latest: Dict[str, WorkflowRunRecord] = {}
        for r in records:  # newest first
            if r.pipeline_id in pipelines and r.workflow not in latest:
                latest[r.workflow] = r
        chosen = [r for r in latest.values()
                  if not args.from_failed or r.status != "success"]
        if not chosen:
            raise UsageError(f"pipeline {given}: every workflow succeeded; nothing to rerun "
                             "from failed")
        out += [r.id for r in sorted(chosen, key=lambda r: r.created_at)]
    return list(dict.fromkeys(out))


def _rerun(args: argparse.Namespace) -> int:
    chosen: List[str] = []

    def choose(state: State) -> List[str]:
        chosen[:] = rerun_targets(state, args)
        return chosen

    def action(state: State, runner: Runner, run_id: str) -> int:
        targets = chosen
        overrides: Dict[str, Optional[str]] = {}
        if args.executor:
            overrides["executor"] = args.executor
        if args.contexts:
            overrides["contexts_path"] = stored_contexts_path(state.store.get(run_id),
                                                              args.contexts)
        actor = args.actor or default_actor()
        if len(targets) == 1:
            record = runner.rerun(targets[0], from_failed=args.from_failed, actor=actor,
                                  settings=overrides)
            _show(args.format, record)
            return exit_code_for([record])
        # created first (each refused before anything runs if it cannot be), driven together
        created = [runner.rerun(t, from_failed=args.from_failed, actor=actor,
                                settings=overrides, drive=False) for t in targets]
        records = runner.drive([r.id for r in created])
        if args.format == "json":
            pipelines = {r.pipeline_id for r in records}
            print_json(run_document(records[0].pipeline_id, records) if len(pipelines) == 1
                       else workflows_document(records))
        else:
            sys.stdout.write("\n")
            for record in records:
                sys.stdout.write(format_workflow_text(record, _STEPS.of(record.id)))
        return exit_code_for(records)
    return _with_runner(args, action, targets=choose)


def _resume(args: argparse.Namespace) -> int:
    def action(state: State, runner: Runner, run_id: str) -> int:
        record = runner.resume(run_id)
        _show(args.format, record)
        return exit_code_for([record])
    return _with_runner(args, action)
