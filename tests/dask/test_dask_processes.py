"""A cluster made the way people run one: a ``dask scheduler`` process and two ``dask worker``
processes, each with its own working directory, ``HOME`` and ``--local-directory`` and no
directory in common with the others or with this test's state. Resources pin the producer
to one worker and the consumer to the other, so the workspace layer and the cache can only
have travelled between them through Dask. The end: through the CLI, ``workflowcore run
--executor dask --dask-scheduler ADDRESS`` on the same cluster."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from tests.runtime._procs import alive

from ..cli._repo import SRC, make_repo, wfc, wfc_env
from .test_dask_scenarios import Env, statuses

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX-only")

DASK = Path(sys.executable).parent / "dask"


def _start(args: List[str], cwd: Path, home: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HOME": str(home),
           "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cwd.mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        return subprocess.Popen([str(DASK), *args], cwd=cwd, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)


def _stop(procs: List[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    if not DASK.exists():
        pytest.skip(f"the dask command is not installed beside {sys.executable}")
    distributed = pytest.importorskip("distributed")
    base = tmp_path_factory.mktemp("cluster")
    scheduler_file = base / "scheduler" / "scheduler.json"
    procs: List[subprocess.Popen[bytes]] = []
    try:
        procs.append(_start(["scheduler", "--host", "127.0.0.1", "--port", "0",
                             "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                            base / "scheduler", base / "scheduler-home",
                            base / "scheduler.log"))
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert scheduler_file.exists(), (base / "scheduler.log").read_text()
        workers = {}
        for name, resource in (("a", "pin-a=1"), ("b", "pin-b=1")):
            root = base / f"worker-{name}"
            procs.append(_start(["worker", "--scheduler-file", str(scheduler_file),
                                 "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                                 "--name", f"worker-{name}", "--resources", resource,
                                 "--local-directory", str(root / "local")],
                                root / "cwd", root / "home", base / f"worker-{name}.log"))
            workers[name] = root
        address = json.loads(scheduler_file.read_text())["address"]
        client = distributed.Client(address, timeout=30)
        client.wait_for_workers(2, timeout=60)
        yield {"client": client, "address": address, "workers": workers, "base": base}
        client.close()
    finally:
        _stop(procs)


PINNED = """
version: 2.1
jobs:
  produce:
    docker: [{image: cimg/base:stable}]
    resource_class: pin-a
    steps:
      - checkout
      - run: mkdir -p out deps && echo "made on a" > out/made.txt && echo "dep" > deps/x
      - run: echo "home=$HOME"
      - persist_to_workspace: {root: out, paths: [made.txt]}
      - save_cache: {key: 'deps-{{ checksum "lock.txt" }}', paths: [deps]}
  consume:
    docker: [{image: cimg/base:stable}]
    resource_class: pin-b
    steps:
      - attach_workspace: {at: ws}
      - restore_cache: {keys: ['deps-']}
      - run: echo "home=$HOME"; echo "got $(cat ws/made.txt) and $(cat deps/x)"
workflows:
  w:
    jobs: [produce, {consume: {requires: [produce]}}]
"""


def _home(log: str) -> str:
    [home] = re.findall(r"^home=(.*)$", log, re.M)
    return str(home)


def test_layer_and_cache_travel_between_two_worker_processes(
        tmp_path: Path, processes: Dict[str, Any]) -> None:
    env = Env(tmp_path, "dask", processes["client"], PINNED, {"lock.txt": "v1\n"})
    try:
        [record] = env.runner.run([env.planned()])
        logs = env.logs(record.id)
        assert record.status == "success", logs
        assert statuses(env, record.id) == {"produce": "success", "consume": "success"}
    finally:
        env.close()
    assert "got made on a and dep" in logs["consume"]
    worker_a, worker_b = processes["workers"]["a"], processes["workers"]["b"]
    # each job ran under its own worker's --local-directory: they ran apart
    assert _home(logs["produce"]).startswith(str(worker_a / "local"))
    assert _home(logs["consume"]).startswith(str(worker_b / "local"))
    for name in ("produce", "consume"):
        assert str(tmp_path) not in _home(logs[name])  # nothing of this machine's state
    # the layer and the cache came back to the run's stores too
    assert env.workspace.layers(record.id) == ["produce"]
    assert [e.key.startswith("deps-") for e in env.caches.entries()] == [True]


def test_cli_runs_on_an_existing_cluster(tmp_path: Path, processes: Dict[str, Any]) -> None:
    repo = make_repo(tmp_path, PINNED, {"lock.txt": "v1\n"})
    proc = wfc(repo, "run", "--branch", "main", "--executor", "dask", "--dask-scheduler",
               processes["address"], "--format", "json", timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [wf] = json.loads(proc.stdout)["workflows"]
    assert wf["status"] == "success"
    logs = json.loads(wfc(repo, "logs", wf["id"], "--format", "json").stdout)["logs"]
    assert "got made on a and dep" in logs["consume"]
    assert _home(logs["consume"]).startswith(str(processes["workers"]["b"] / "local"))
    # the workers are still there for the next run (the CLI leaves a cluster it did not
    # start running) and kept nothing of this session
    assert len(processes["client"].scheduler_info()["workers"]) == 2
    left = list((processes["workers"]["a"] / "local").rglob("workflowcore/*"))
    assert left == [], left


ABANDONED = """
version: 2.1
jobs:
  long:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: echo $$ > "@OUT@/long.pid"; echo long-started; sleep 30; echo never
workflows:
  w:
    jobs: [long]
"""


def test_a_killed_client_leaves_no_job_running_on_the_workers(
        tmp_path: Path, processes: Dict[str, Any]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    repo = make_repo(tmp_path, ABANDONED.replace("@OUT@", str(out)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "workflowcore", "run", "--branch", "main", "--executor", "dask",
         "--dask-scheduler", processes["address"], "--progress", "plain"], cwd=repo,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=wfc_env())
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line or "long | long-started" in line:
                break
    finally:
        proc.kill()  # the client alone: the cluster stays up
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
    pid = int((out / "long.pid").read_text())
    deadline = time.monotonic() + 15
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        os.killpg(pid, signal.SIGKILL)
        pytest.fail("the job of a killed client kept running on its worker")
