"""Parallel jobs: a job with ``parallelism: N`` runs as N *nodes* (``docs/parallelism.md``).

On CircleCI "N independent executors will be set up to each run the job's steps in parallel"
(configuration reference, ``parallelism``), each told which it is by ``CIRCLE_NODE_INDEX``
(0..N-1) and ``CIRCLE_NODE_TOTAL`` (N). The runner does the same with its pool: each node is
one :class:`~workflowcore.runtime.executor.JobRequest` (``node_index``/``node_total``) and
takes one slot. What this module holds is what does not depend on the runner's loop:

* :func:`parallelism_of`: the value from the compiled job definition, checked (a template
  rendered to ``"3"`` is 3; anything else that is not a whole number 1..:data:`MAX_PARALLELISM`
  fails the job with a one-line reason instead of silently running one node).
* :func:`combine_node_results`: the job as the sum of its nodes (status, exit code, message,
  test results, artifacts, log).
* :func:`node_key` / :func:`node_label`: how a node is named on disk and to people.
* :class:`NodeArtifacts`: the artifact store as a node sees it (its own directory, as CircleCI
  keeps artifacts per node).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional, Sequence

from ..planning.nodes import MAX_PARALLELISM, parallelism_of
from .executor import JobResult, TestResultsSummary
from .stores.artifacts import Artifact, ArtifactStore
from .stores.workspace import NodeWorkspace, node_key, node_layers

__all__ = [
    "MAX_PARALLELISM",
    "NodeArtifacts",
    "NodeWorkspace",
    "combine_node_results",
    "node_key",
    "node_label",
    "node_layers",
    "parallelism_of",
]

def node_label(job: str, index: int, total: int) -> str:
    """``job[index/total]``, the node as progress lines, logs and ``status`` show it; the
    index is ``CIRCLE_NODE_INDEX`` (from 0), so the last of 4 is ``job[3/4]``."""
    return f"{job}[{index}/{total}]"


def combine_node_results(job: str, results: Sequence[JobResult], *, canceled: bool = False,
                         duration: Optional[float] = None) -> JobResult:
    """The result of a parallel job from its nodes' results (``results[k]`` is node k's).

    * status: ``success`` iff every node succeeded; ``canceled`` when the job was canceled
      (``canceled``) or every node that did not succeed was canceled; else ``failed``;
    * exit code: the first failing node's (by index); ``None`` when canceled;
    * message: names the failing nodes and gives the first one's reason;
    * test results: the sum; artifacts: every node's, in node order;
    * log: each node's log under a ``==> job[k/N] (status)`` header;
    * duration: ``duration`` (the job's wall time, given by the caller) or the longest node.
    """
    total = len(results)
    if total == 0:
        raise ValueError("a job has at least one node")
    tests: Optional[TestResultsSummary] = None
    artifacts: List[Artifact] = []
    parts: List[str] = []
    for k, result in enumerate(results):
        if result.test_results is not None:
            tests = result.test_results if tests is None else tests + result.test_results
        artifacts.extend(result.artifacts)
        parts.append(f"==> {node_label(job, k, total)} ({result.status})")
        if result.log:
            parts.append(result.log.rstrip("\n"))
    failed = [k for k, r in enumerate(results) if r.status == "failed"]
    not_ok = [k for k, r in enumerate(results) if r.status != "success"]
    wall = duration if duration is not None else max(r.duration for r in results)
    common: dict[str, Any] = {"log": "\n".join(parts), "test_results": tests,
                              "artifacts": tuple(artifacts), "duration": wall}
    if not not_ok:
        return JobResult.success(**common)
    if canceled or not failed:
        first = results[not_ok[0]]
        return JobResult.canceled(
            message=f"canceled: {_nodes(not_ok, total)} did not finish"
                    + (f"; {node_label(job, not_ok[0], total)}: {first.message}"
                       if first.message else ""),
            **common)
    first = results[failed[0]]
    why = f"; {node_label(job, failed[0], total)}: {first.message}" if first.message else ""
    return JobResult.failed(first.exit_code,
                            message=f"{_nodes(failed, total)} failed{why}", **common)


def _nodes(indexes: Sequence[int], total: int) -> str:
    listed = ", ".join(str(k) for k in indexes)
    return f"node {listed} of {total}" if len(indexes) == 1 else f"nodes {listed} of {total}"


class NodeArtifacts:
    """The artifact store as node ``index`` sees it: node K>0 stores under
    :func:`node_key` ``(job, K)``, so two nodes storing the same path keep both files
    (CircleCI lists artifacts per node, its artifact URLs carry the node index)."""

    def __init__(self, inner: ArtifactStore, index: int) -> None:
        self.inner = inner
        self.index = index

    def __repr__(self) -> str:
        return f"NodeArtifacts({self.inner!r}, {self.index})"

    def store(self, run: str, job: str, source: Path, destination: str) -> List[Artifact]:
        return self.inner.store(run, node_key(job, self.index), source, destination)
