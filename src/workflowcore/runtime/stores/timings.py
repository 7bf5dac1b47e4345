"""Per-test timings of earlier local runs, for ``circleci tests split --split-by=timings``.

On CircleCI, ``store_test_results`` uploads JUnit XML and the timing of each test case becomes
the weight ``circleci tests split --split-by=timings`` balances on in later runs of the job
(https://circleci.com/docs/guides/optimize/use-the-circleci-cli-to-split-tests/). Locally the
step interpreter hands the timings it extracts to a :class:`TimingsStore`, and before the next
run of the job exports them to a file the in-job ``circleci`` tool reads.

Layout: ``<root>/<job>/node-<index>.json``, one file per parallel node (``CIRCLE_NODE_INDEX``)
holding every timing that node's latest run stored. The nodes of a ``parallelism: N`` job run
as separate processes with the same job name, so each writes only its own file (no lock, no
lost update) and :meth:`TimingsStore.load` merges them: node 2 of the next run is balanced on
the tests all four nodes ran. When two files time the same test, the newer recording wins;
files left from a wider earlier run only supply tests no newer file times.

Every write is atomic (temporary file, then ``os.replace``), sizes are bounded
(:data:`MAX_TESTS` tests, :data:`MAX_FIELD` characters a name), job names become one safe
path component, and an unreadable file is skipped, never fatal: timings only make a split
better, a run never fails for want of them.

The exported file (and each node file) is JSON::

    {"format": 1, "job": "test", "tests": [["spec/a_spec.rb", "A", "works", 1.25], ...]}

each test as ``[file, classname, name, seconds]`` (empty string when JUnit did not say).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ...config._files import read_bounded
from ...errors import StoreError
from .._fs import path_component, temp_sibling

__all__ = ["MAX_FIELD", "MAX_TESTS", "TestTiming", "TimingsStore"]

#: Timings kept per node file and per export: a very large suite is still split well on
#: this many, and a runaway report cannot grow the state directory without bound.
MAX_TESTS = 50_000
#: Longer file/class/test names are not kept (real ones are far shorter).
MAX_FIELD = 2048
#: Highest node index accepted (CircleCI's parallelism is far below this).
MAX_NODE_INDEX = 9_999
_FORMAT = 1
_MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class TestTiming:
    """One ``<testcase>``: its ``file`` (on the test case or its suite), ``classname``,
    ``name`` and ``time`` in seconds."""

    __test__ = False  # not a pytest test class, despite the name

    file: str = ""
    classname: str = ""
    name: str = ""
    time: float = 0.0

    @property
    def key(self) -> Tuple[str, str, str]:
        return (self.file, self.classname, self.name)


def _clean(tests: Iterable[TestTiming]) -> List[TestTiming]:
    """Drop what cannot be a real timing; the last ``MAX_TESTS`` distinct tests win."""
    kept: Dict[Tuple[str, str, str], TestTiming] = {}
    for t in tests:
        if not (t.file or t.classname or t.name):
            continue
        if max(len(t.file), len(t.classname), len(t.name)) > MAX_FIELD:
            continue
        if not isinstance(t.time, (int, float)) or not math.isfinite(t.time) or t.time < 0:
            continue
        kept.pop(t.key, None)
        kept[t.key] = t
    values = list(kept.values())
    return values[-MAX_TESTS:]


def _rows(tests: Iterable[TestTiming]) -> List[List[Any]]:
    return [[t.file, t.classname, t.name, round(float(t.time), 6)] for t in tests]


def _parse_rows(rows: object) -> List[TestTiming]:
    out: List[TestTiming] = []
    if not isinstance(rows, list):
        return out
    for row in rows[:MAX_TESTS]:
        if (isinstance(row, list) and len(row) == 4
                and all(isinstance(v, str) for v in row[:3])
                and isinstance(row[3], (int, float)) and not isinstance(row[3], bool)):
            out.append(TestTiming(row[0], row[1], row[2], float(row[3])))
    return _clean(out)


def _write_json(target: Path, document: Dict[str, Any]) -> None:
    tmp = temp_sibling(target, ".json")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(document, fh, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class TimingsStore:
    """Timings of each job's latest run, by job name (``JobRequest.job_name``)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).absolute()

    def __repr__(self) -> str:
        return f"TimingsStore({str(self.root)!r})"

    def _dir(self, job: str) -> Path:
        return self.root / path_component(job)

    def record(self, job: str, tests: Iterable[TestTiming], *, node_index: int = 0,
               run_id: str = "") -> int:
        """Replace what node ``node_index`` of ``job`` stored with ``tests`` (all the
        timings of the node's run so far); returns how many were kept."""
        if not isinstance(node_index, int) or not 0 <= node_index <= MAX_NODE_INDEX:
            raise ValueError(f"node_index must be an integer from 0 to {MAX_NODE_INDEX}, "
                             f"got {node_index!r}")
        kept = _clean(tests)
        document = {"format": _FORMAT, "job": job, "node_index": node_index, "run_id": run_id,
                    "recorded_at": time.time(), "tests": _rows(kept)}
        directory = self._dir(job)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            _write_json(directory / f"node-{node_index}.json", document)
        except OSError as exc:
            raise StoreError(f"cannot record test timings of job {job!r} in "
                             f"{str(directory)!r}: {exc.strerror or exc}") from exc
        return len(kept)

    def load(self, job: str) -> List[TestTiming]:
        """The timings of ``job``'s latest run, all nodes merged (newest recording wins)."""
        directory = self._dir(job)
        try:
            names = [n for n in os.listdir(directory)
                     if n.startswith("node-") and n.endswith(".json")]
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise StoreError(f"cannot read test timings of job {job!r} in "
                             f"{str(directory)!r}: {exc.strerror or exc}") from exc
        documents: List[Tuple[float, str, List[TestTiming]]] = []
        for name in sorted(names):
            parsed = self._read(directory / name)
            if parsed is not None:
                documents.append((parsed[0], name, parsed[1]))
        merged: Dict[Tuple[str, str, str], TestTiming] = {}
        for _, _, tests in sorted(documents, key=lambda d: (d[0], d[1])):
            for t in tests:
                merged[t.key] = t
        return _clean(merged.values())

    @staticmethod
    def _read(path: Path) -> Optional[Tuple[float, List[TestTiming]]]:
        """``(recorded_at, tests)`` of one node file; ``None`` when it is not ours or is
        damaged (a timing file is an optimisation: never worth failing a run for)."""
        try:
            data = json.loads(read_bounded(path, _MAX_FILE_BYTES).decode("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            return None
        recorded = data.get("recorded_at")
        when = float(recorded) if isinstance(recorded, (int, float)) else 0.0
        return when, _parse_rows(data.get("tests"))

    def export(self, job: str, dest: Path) -> int:
        """Write ``job``'s merged timings to ``dest`` (atomically, in the format above) for
        the in-job ``circleci`` tool; returns how many tests it holds."""
        tests = self.load(job)
        try:
            _write_json(Path(dest), {"format": _FORMAT, "job": job, "tests": _rows(tests)})
        except OSError as exc:
            raise StoreError(f"cannot write the test timings of job {job!r} to "
                             f"{str(dest)!r}: {exc.strerror or exc}") from exc
        return len(tests)
