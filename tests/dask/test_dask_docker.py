"""``DaskExecutor(job_executor="auto")``: a ``docker:`` job runs in a container on a worker
that has a Docker engine (the project's private engine, ``tests/docker_engine.py``). The
cluster is started here, after the engine, so its worker process inherits ``DOCKER_HOST``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.docker_engine import IMAGE, docker_engine

from .test_dask_scenarios import Env, statuses

pytestmark = [pytest.mark.docker,
              pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX-only")]
distributed = pytest.importorskip("distributed")

__all__ = ["docker_engine"]  # the fixture, used by name

CONTAINED = f"""
version: 2.1
jobs:
  boxed:
    docker: [{{image: {IMAGE}}}]
    steps:
      - run: test -f /.dockerenv && echo in-a-container
  plain:
    machine: true
    steps:
      - run: test -f /.dockerenv || echo on-the-worker
workflows:
  w:
    jobs: [boxed, plain]
"""


def test_a_docker_job_runs_in_a_container_on_the_worker(tmp_path: Path,
                                                          docker_engine: str) -> None:
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        env: Any = Env(tmp_path, "dask", client, CONTAINED, job_executor="auto")
        try:
            [record] = env.runner.run([env.planned()])
            logs = env.logs(record.id)
            assert record.status == "success", logs
            assert statuses(env, record.id) == {"boxed": "success", "plain": "success"}
        finally:
            env.close()
    assert "in-a-container" in logs["boxed"]
    assert "not used: the subprocess executor" not in logs["boxed"]
    assert "on-the-worker" in logs["plain"]
