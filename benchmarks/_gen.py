"""Generators of large, realistic configs for the benchmarks (deterministic)."""

from __future__ import annotations

import random


def config_2_0(n_jobs: int, version: str = "2") -> str:
    """A config of ``n_jobs`` jobs sharing an anchored executor, each with five steps, and
    one workflow where job i requires jobs i-1, i//2 and i//3 (~3 edges per job)."""
    out = [f"version: {version}", "defaults: &defaults", "  docker:",
           "    - image: cimg/python:3.11", "  working_directory: ~/repo", "jobs:"]
    for i in range(n_jobs):
        out += [
            f"  job-{i}:", "    <<: *defaults", "    environment:",
            f"      JOB_INDEX: \"{i}\"", "      FLAG: true", "    steps:", "      - checkout",
            "      - restore_cache:", "          keys:",
            f"            - v1-deps-{{{{ checksum \"req{i}.txt\" }}}}", "            - v1-deps-",
            "      - run:", f"          name: Test {i}", "          command: |",
            f"            pip install -r req{i}.txt", f"            pytest tests/{i}",
            "      - save_cache:", "          key: v1-deps-x", "          paths: [~/.cache/pip]",
            "      - persist_to_workspace:", "          root: .", f"          paths: [out/{i}]",
        ]
    out += ["workflows:"] + (["  version: 2"] if version in ("2", "2.0") else []) + [
        "  main:", "    jobs:"]
    for i in range(n_jobs):
        if i < 3:
            out.append(f"      - job-{i}")
            continue
        reqs = sorted({i - 1, i // 2, i // 3})
        out += [f"      - job-{i}:", "          requires:"]
        out += [f"            - job-{r}" for r in reqs]
        out += ["          filters:", "            branches:", "              ignore: /wip-.*/"]
    return "\n".join(out) + "\n"


def random_dag(jobs: int, edges: int, seed: int) -> dict[str, list[str]]:
    """``{job: [requirements]}`` in topological order with exactly ``edges`` distinct edges.

    Requirements are drawn mostly from the recent past (a window of 200 earlier jobs) with
    some long-range edges, which gives a deep, wide graph like a large CI pipeline.
    """
    if edges > jobs * (jobs - 1) // 2:
        raise SystemExit("too many edges for that many jobs")
    rng = random.Random(seed)
    names = [f"job-{i:05d}" for i in range(jobs)]
    reqs: list[set[int]] = [set() for _ in range(jobs)]
    placed = 0
    while placed < edges:
        child = rng.randrange(1, jobs)
        if rng.random() < 0.9:
            parent = rng.randrange(max(0, child - 200), child)
        else:
            parent = rng.randrange(0, child)
        if parent not in reqs[child]:
            reqs[child].add(parent)
            placed += 1
    return {names[i]: [names[r] for r in sorted(reqs[i])] for i in range(jobs)}
