"""Job groups (R2.9): the compile errors CircleCI documents for them, at validate time, and
a serial group that releases its lock whatever its members' outcome (a real run)."""

from __future__ import annotations

from typing import Dict, List, Tuple

from workflowcore.config import load
from workflowcore.planning import Trigger, plan
from workflowcore.runtime import Runner
from workflowcore.runtime.executors import MockExecutor
from workflowcore.runtime.stores import InMemoryRunStore

BASE = """
version: 2.1
jobs:
  a: {docker: [{image: cimg/base:current}], steps: [{run: echo a}]}
  b: {docker: [{image: cimg/base:current}], steps: [{run: echo b}]}
job-groups:
  g1:
    jobs: [a]
  g2:
    jobs:
      - b:
          requires: [a]
"""


def findings(text: str) -> List[Tuple[str, int, int, str]]:
    """``validate``'s errors: (code, line, column, message)."""
    return [(d.code, d.line, d.column, d.message) for d in load(text).diagnostics
            if d.is_error]


def test_a_group_invoked_twice_without_distinct_names() -> None:
    msg = ("Job-group 'g1' occurs 2 times in workflow 'main'. You can give a job-group an "
           "explicit name by adding a `name` key")
    got = findings(BASE.replace("  g2:\n    jobs:\n      - b:\n          requires: [a]\n", "")
                   + "workflows:\n  main:\n    jobs: [g1, g1]\n")
    assert got == [("job-group-duplicate", 11, 12, msg), ("job-group-duplicate", 11, 16, msg)]
    renamed = BASE + "workflows:\n  main:\n    jobs: [g1, {g1: {name: again}}]\n"
    assert [f for f in findings(renamed) if f[0] == "job-group-duplicate"] == []


def test_a_job_twice_in_one_group_without_distinct_names() -> None:
    text = BASE.replace("    jobs: [a]\n", "    jobs: [a, a]\n", 1)
    text += "workflows:\n  main:\n    jobs: [g1]\n"
    assert [f[:3] for f in findings(text)] == [
        ("job-group-duplicate", 8, 12), ("job-group-duplicate", 8, 15)]


def test_a_member_requiring_a_job_of_another_group() -> None:
    got = findings(BASE + "workflows:\n  main:\n    jobs: [g1, g2]\n")
    assert got == [("job-group-requires", 12, 11, '"a" is not a member of this job group')]


def test_a_workflow_job_requiring_a_group_member() -> None:
    got = findings(BASE + "workflows:\n  main:\n    jobs:\n      - g1\n"
                   "      - b:\n          requires: [a]\n")
    assert ("job-group-requires", 18, 11,
            '"a" is defined inside job group "g1", not directly in this workflow') in got


def test_a_nested_group_in_a_group_no_workflow_uses() -> None:
    text = BASE + "  g3:\n    jobs: [g1]\nworkflows:\n  main:\n    jobs: [g1]\n"
    assert findings(text) == [
        ("job-group-nested", 14, 12,
         'Job group "g3" cannot reference job group "g1" -- nesting is not supported')]


def test_type_and_context_on_a_group_invocation() -> None:
    text = BASE + ("workflows:\n  main:\n    jobs:\n      - g1:\n          type: approval\n"
                   "      - g1:\n          name: other\n          context: [c]\n")
    assert [f[:3] for f in findings(text)] == [
        ("job-group-invalid", 17, 11), ("job-group-invalid", 20, 11)]
    # `type: approval` does not turn the group into an approval job.
    assert "'type' is not allowed on a job-group invocation" in findings(text)[0][3]


SERIAL = """
version: 2.1
jobs:
  migrate: {docker: [{image: cimg/base:current}], steps: [{run: ./migrate}]}
  deploy: {docker: [{image: cimg/base:current}], steps: [{run: ./deploy}]}
  smoke: {docker: [{image: cimg/base:current}], steps: [{run: ./smoke}]}
job-groups:
  release:
    jobs:
      - migrate
      - deploy: {requires: [migrate]}
workflows:
  main:
    jobs:
      - release: {serial-group: acme/release}
      - smoke: {requires: [release]}
"""


def _run(fail: str) -> Dict[str, str]:
    p = plan(load(SERIAL), Trigger(branch="main"))
    runner = Runner(MockExecutor(lambda r: 1 if r.job_name == fail else None),
                    InMemoryRunStore(), poll_interval=0.02)
    [record] = runner.run(list(p.workflows))
    return {name: j.status for name, j in record.jobs.items()}


def test_a_serial_group_releases_its_lock_when_a_member_fails() -> None:
    """The unlock job runs whatever the members' outcome; what requires the group still
    needs them to succeed (R2.9.2)."""
    assert _run(fail="release-migrate") == {
        "release-start": "success", "release-migrate": "failed",
        "release-deploy": "not_run", "release-end": "not_run",
        "release-unlock": "success", "smoke": "not_run"}
    ok = _run(fail="")
    assert ok["release-unlock"] == "success" and ok["smoke"] == "success"


def test_the_unlock_job_accepts_every_terminal_status() -> None:
    [wf] = plan(load(SERIAL), Trigger(branch="main")).workflows
    unlock = {j.name: j for j in wf.jobs}["release-unlock"]
    assert unlock.type == "unlock"
    assert set(unlock.requires) == {"release-deploy"}
    assert {"success", "failed", "canceled", "not_run"} <= set(unlock.requires["release-deploy"])


