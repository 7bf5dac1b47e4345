"""The in-job tools inside real jobs (SubprocessExecutor + the step interpreter):
``circleci-agent step halt`` ends a job, and ``circleci tests split --split-by=timings``
balances a ``parallelism: 2`` job on the timings its previous run stored."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List

import pytest
from tests.runtime._jobenv import Env

from workflowcore.runtime.executor import JobResult
from workflowcore.runtime.stores.timings import TimingsStore

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the tools are #! scripts")

HALTED = "not run: the job was halted (circleci-agent step halt)"


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def statuses(result: JobResult) -> List[str]:
    return [s.status for s in result.steps]


# -- step halt ----------------------------------------------------------------------------

def test_step_halt_ends_the_job_successfully_after_that_step(env: Env) -> None:
    result = env.run("maybe-deploy", [
        {"run": {"name": "first", "command": "echo first"}},
        {"run": {"name": "decide", "command": "circleci-agent step halt\necho rest-of-step"}},
        {"run": {"name": "deploy", "command": "echo DEPLOYED"}},
        {"run": {"name": "cleanup", "command": "echo CLEANED", "when": "always"}},
        {"store_test_results": {"path": "results"}},
    ])
    assert result.status == "success", result.log
    assert statuses(result) == ["success", "success", "skipped", "skipped", "skipped"]
    assert [s.note for s in result.steps[2:]] == [HALTED] * 3
    # the halting step itself runs to its end; nothing after it runs, `when: always` neither
    assert result.steps[1].output.splitlines()[0] == "rest-of-step"
    assert "DEPLOYED" not in result.log and "CLEANED" not in result.log
    assert result.log.count("the job was halted (circleci-agent step halt)") == 1
    assert result.message is None and result.exit_code == 0


def test_step_halt_after_a_failure_keeps_the_job_failed(env: Env) -> None:
    result = env.run("broken", [
        {"run": {"name": "tests", "command": "exit 3"}},
        {"run": {"name": "stop here", "command": "circleci step halt", "when": "always"}},
        {"run": {"name": "report", "command": "echo REPORT", "when": "always"}},
    ])
    assert result.status == "failed"
    assert result.exit_code == 3
    assert statuses(result) == ["failed", "success", "skipped"]
    assert result.steps[2].note == HALTED
    assert "REPORT" not in result.log
    assert "the job still fails" in result.log


def test_a_job_without_halt_runs_every_step(env: Env) -> None:
    result = env.run("plain", [{"run": "echo one"}, {"run": "echo two"}])
    assert statuses(result) == ["success", "success"]
    assert "halted" not in result.log


# -- timings across two runs of a parallel job ----------------------------------------------

#: seconds each test file "takes": the JUnit the job writes reports these
TIMES = {"test_a": 10, "test_b": 9, "test_c": 1, "test_d": 1}

SPLIT_AND_TEST = """\
mkdir -p tests results
for t in a b c d; do echo "# $t" > tests/test_$t.py; done
circleci tests glob "tests/*.py" | circleci tests split --split-by=timings > split.txt
echo "split: $(tr '\\n' ' ' < split.txt)"
{
  echo '<testsuite name="unit">'
  while read -r f; do
    n=$(basename "$f" .py)
    case "$n" in test_a) t=10;; test_b) t=9;; *) t=1;; esac
    echo "<testcase classname=\\"$n\\" name=\\"works\\" file=\\"$f\\" time=\\"$t\\"/>"
  done < split.txt
  echo '</testsuite>'
} > results/junit.xml
"""


def run_node(env: Env, store: TimingsStore, index: int, workflow: str) -> JobResult:
    steps: List[Any] = [{"run": {"name": "split and test", "command": SPLIT_AND_TEST}},
                        {"store_test_results": {"path": "results"}}]
    environment: Dict[str, str] = {"CIRCLE_NODE_INDEX": str(index), "CIRCLE_NODE_TOTAL": "2"}
    result = env.run("unit-tests", steps, workflow_id=workflow, environment=environment,
                     timings=store, node_index=index, node_total=2)
    assert result.ok, result.log
    return result


def split_of(result: JobResult) -> List[str]:
    [line] = [ln for ln in result.steps[0].output.splitlines() if ln.startswith("split: ")]
    return line[len("split: "):].split()


def test_second_run_splits_on_the_timings_all_nodes_of_the_first_stored(env: Env,
                                                                         tmp_path: Path) -> None:
    store = TimingsStore(tmp_path / "state" / "timings")
    first = [run_node(env, store, k, "wf-1") for k in (0, 1)]
    # no timings yet: the split falls back to names (round-robin over the sorted files)
    assert [split_of(r) for r in first] == [["tests/test_a.py", "tests/test_c.py"],
                                            ["tests/test_b.py", "tests/test_d.py"]]
    assert "falling back to weighting by name" in first[0].log
    # each node stored only its own two tests; the store holds all four
    assert [(r.steps[1].note or "").split(",")[0] for r in first] == ["2 tests", "2 tests"]
    assert sorted(p.name for p in (store.root / "unit-tests").iterdir()) == [
        "node-0.json", "node-1.json"]
    assert {t.file: t.time for t in store.load("unit-tests")} == {
        f"tests/{name}.py": float(seconds) for name, seconds in TIMES.items()}

    second = [run_node(env, store, k, "wf-2") for k in (0, 1)]
    # a=10, b=9, c=1, d=1: a | b, then c to the lighter node 1, d to node 0 (10 vs 10).
    # Node 0 needs node 1's b=9 for this: on its own timings (a, c) b and d would weigh
    # the average and the split would stay a, c | b, d.
    assert [split_of(r) for r in second] == [["tests/test_a.py", "tests/test_d.py"],
                                             ["tests/test_b.py", "tests/test_c.py"]]
    assert "falling back" not in second[0].log + second[1].log
    assert "No timing found" not in second[0].log


def test_without_a_timings_store_the_split_is_by_name(env: Env, tmp_path: Path) -> None:
    steps: List[Any] = [{"run": {"name": "split", "command": SPLIT_AND_TEST}}]
    result = env.run("unit-tests", steps,
                     environment={"CIRCLE_NODE_INDEX": "0", "CIRCLE_NODE_TOTAL": "2"})
    assert result.ok, result.log
    assert split_of(result) == ["tests/test_a.py", "tests/test_c.py"]
    assert "WORKFLOWCORE_TIMINGS_FILE" not in result.log
