"""Step options of real configs, end to end through ``workflowcore run`` (issue 12).

Each scenario is one config run by the command with the subprocess executor, checked against
the configuration reference: ``when: on_fail``/``always`` (R1.6.3), ``background: true``,
``no_output_timeout`` (the step fails with CircleCI's message, and the job goes on to
``on_fail`` steps), step-level ``max_auto_reruns``/``auto_rerun_delay``, ``shell`` (step over
job), environment precedence (project < context < built-in < job < step, §6.3) and relative
and absolute ``working_directory`` (a step's relative one is under the job's).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Dict

from ._repo import make_repo, wfc

STEPS = """
version: 2.1
jobs:
  flow:
    docker: [{image: x}]
    shell: /bin/sh -e
    environment: {LAYER: job, JOB_ONLY: job}
    working_directory: ~/app
    steps:
      - run:
          name: background server
          background: true
          command: while true; do echo tick > ~/served; sleep 0.1; done
      - run:
          name: flaky
          max_auto_reruns: 2
          auto_rerun_delay: 1s
          command: |
            n=$(cat ~/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > ~/count
            echo "attempt $n"; test $n -ge 2
      - run:
          name: layers
          environment: {LAYER: step}
          command: echo "layer=$LAYER job=$JOB_ONLY proj=$PROJ branch=$CIRCLE_BRANCH"
      - run:
          name: shells
          shell: /bin/bash -eo pipefail
          command: echo "bash=${BASH_VERSION:+yes}"
      - run: echo "sh=${BASH_VERSION:-none}"
      - run:
          name: where
          working_directory: sub
          command: pwd
      - run:
          name: absolute
          working_directory: /
          command: pwd
      - run: sleep 0.5; cat ~/served
      - run:
          name: silent
          no_output_timeout: 1s
          command: echo start; sleep 30
      - run: {name: after success only, command: echo never}
      - run: {name: on failure, when: on_fail, command: echo cleaning up}
      - run: {name: always, when: always, command: echo always ran}
workflows:
  w:
    jobs: [flow]
"""


def run_doc(repo: Path, *args: str) -> Dict[str, Any]:
    proc = wfc(repo, "run", "--branch", "main", "--format", "json", *args, timeout=120)
    assert proc.stdout, proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    return data


def test_step_options_of_a_real_job(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, STEPS)
    started = time.monotonic()
    [wf] = run_doc(repo, "-e", "PROJ=project", "-e", "LAYER=project")["workflows"]
    assert time.monotonic() - started < 60  # the silent step was killed after 1s
    assert wf["jobs"]["flow"]["status"] == "failed"
    log = json.loads(wfc(repo, "logs", wf["id"], "flow", "--format", "json").stdout)[
        "logs"]["flow"]
    lines = log.splitlines()
    assert "attempt 1" in lines and "attempt 2" in lines
    assert "rerunning the step (attempt 2 of 3) in 1s" in lines
    assert "layer=step job=job proj=******** branch=main" in lines  # -e values are masked
    assert "bash=yes" in lines and "sh=none" in lines
    home = next(line for line in lines if line.endswith("/app/sub"))
    assert home.endswith("/home/app/sub")
    assert lines[lines.index("==> absolute") + 1] == "/"
    assert "tick" in lines  # the background step ran beside the others
    assert "Too long with no output (exceeded 1s): context deadline exceeded" in lines
    assert "never" not in lines
    assert "cleaning up" in lines and "always ran" in lines
    status = json.loads(wfc(repo, "status", wf["id"], "--format", "json").stdout)
    assert status["jobs"]["flow"]["message"] == (
        "step 'silent' failed: Too long with no output (exceeded 1s): context deadline "
        "exceeded")
