"""A real Dask ``LocalCluster`` of worker processes for the Dask executor's tests.

Two workers of one thread each: enough to run jobs apart and in parallel, small enough for a
2-core CI machine. Module-scoped: each test module gets a fresh cluster (a test that kills a
worker never leaves a damaged one to the next module). Skipped when ``distributed`` is not
installed (it is in the ``dev`` extra, so CI has it).
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local:
        yield local


@pytest.fixture(scope="module")
def client(cluster: Any) -> Iterator[Any]:
    with distributed.Client(cluster) as c:
        yield c
