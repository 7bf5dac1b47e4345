"""Compile time of the real corpus configs that use orbs, with ``../shared/orbs`` as the orb
store, against a bare ``yaml.load`` of the same text, in one run (issue 11).

The configs are the rows of ``corpus/real/MANIFEST.tsv`` with kind ``real`` and version
``2.1`` that load without errors (``workflowcore.load(text, name, orb_dir=STORE)``) and
whose data has a non-empty ``orbs:`` mapping of strings (inline orbs are left out). For each
this times, in one process, best of ``--repeat``:

* the baseline: ``yaml.load(text, Loader=CSafeLoader)`` of the config text (the floor any
  YAML tool pays for the same input),
* ``workflowcore.compile(loaded, Trigger(branch="main"), orb_dir=STORE)`` with the store
  warm (the config is compiled once first, so every orb it needs is in the read cache);
  it starts from the loaded data, so the text is not parsed again,

and prints per-config milliseconds and the compile/baseline ratio, then the median and
maximum ratio and the totals, how many configs had every orb present
(``not result.unavailable_orbs``) and the share of the configs' own orb references that
the store resolved (references as written, found among ``result.resolved_orbs`` keys;
orbs imported by orbs are counted apart). A config PyYAML refuses (a duplicate anchor,
which the project's loader accepts) has no baseline: it is listed and left out of the
totals and ratios.

Second, a cold store against a warm one: the store caches what it read and packed
(``workflowcore.config.orbs.store._READ_CACHE``). Every config is compiled with that
cache cleared just before (cold: every source tree it needs is packed again, every packed
file read and parsed again) and with it warm; both totals and their ratio are printed.

    .venv/bin/python benchmarks/bench_orb_compile.py [--repeat 3] [--shared ../shared]
        [--summary-only]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import workflowcore
from workflowcore.config.orbs import store as orb_store

try:
    _LOADER: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _LOADER = yaml.SafeLoader


class Case(NamedTuple):
    name: str
    text: str
    loaded: Any  # workflowcore.LoadResult
    refs: Dict[str, str]  # alias -> reference as written


def best_of(fn: Callable[[], object], repeat: int,
            before: Callable[[], object] | None = None) -> float:
    """Best time of ``repeat`` calls of ``fn``; ``before`` runs untimed before each."""
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def corpus(shared: Path, store: Path) -> tuple[List[Case], int]:
    """The configs to measure, and how many 2.1 real configs were looked at."""
    root = shared / "corpus" / "real"
    lines = (root / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    col = {name: i for i, name in enumerate(header)}
    cases: List[Case] = []
    seen = 0
    for line in lines[1:]:
        row = line.split("\t")
        if row[col["kind"]] != "real" or row[col["version"]] != "2.1":
            continue
        seen += 1
        name = row[col["file"]]
        text = (root / name).read_text(encoding="utf-8")
        loaded = workflowcore.load(text, name, orb_dir=store)
        if loaded.errors or not isinstance(loaded.data, dict):
            continue
        orbs = loaded.data.get("orbs")
        if not isinstance(orbs, dict) or not orbs or \
                not all(isinstance(v, str) for v in orbs.values()):
            continue
        cases.append(Case(name, text, loaded, dict(orbs)))
    return cases, seen


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--shared", type=Path,
                    default=Path(os.environ.get("WFC_SHARED")
                                 or Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--summary-only", action="store_true",
                    help="leave out the per-config lines")
    args = ap.parse_args(argv)
    store = args.shared / "orbs"
    manifest = args.shared / "corpus" / "real" / "MANIFEST.tsv"
    if not store.is_dir() or not manifest.is_file():
        print(f"no shared data at {args.shared} (need orbs/ and corpus/real/MANIFEST.tsv; "
              f"give --shared or set WFC_SHARED)", file=sys.stderr)
        return 2
    repeat = max(1, args.repeat)
    trigger = workflowcore.Trigger(branch="main")

    t0 = time.perf_counter()
    cases, seen = corpus(args.shared, store)
    t_load = time.perf_counter() - t0
    if not cases:
        print(f"no 2.1 config with orbs loaded without errors under {manifest.parent}",
              file=sys.stderr)
        return 2

    # -- 1. compile against the warm store, per config ----------------------------------
    base: Dict[str, float] = {}
    no_base: Dict[str, str] = {}  # configs PyYAML cannot load: no baseline, no ratio
    comp: Dict[str, float] = {}
    results: Dict[str, Any] = {}
    gc.collect()
    for case in cases:
        def compile_it(c: Case = case) -> Any:
            return workflowcore.compile(c.loaded, trigger, orb_dir=store)
        results[case.name] = compile_it()  # warms the store for this config
        try:
            yaml.load(case.text, Loader=_LOADER)
        except yaml.YAMLError as exc:  # e.g. a duplicate anchor, which PyYAML refuses
            no_base[case.name] = str(exc).splitlines()[0]
        else:
            base[case.name] = best_of(
                lambda c=case: yaml.load(c.text, Loader=_LOADER), repeat)  # type: ignore[misc]
        comp[case.name] = best_of(compile_it, repeat)
    cached = len(orb_store._READ_CACHE)

    # -- 2. cold store against warm, per config -----------------------------------------
    cold: Dict[str, float] = {}
    warm: Dict[str, float] = {}
    for case in cases:
        def compile_it(c: Case = case) -> Any:
            return workflowcore.compile(c.loaded, trigger, orb_dir=store)
        cold[case.name] = best_of(compile_it, repeat, before=orb_store._READ_CACHE.clear)
        compile_it()  # warm again
        warm[case.name] = best_of(compile_it, repeat)

    # -- report -------------------------------------------------------------------------
    ratios = {n: comp[n] / base[n] for n in base}
    all_present = sum(1 for r in results.values() if not r.unavailable_orbs)
    n_refs = sum(len(c.refs) for c in cases)
    n_resolved = sum(1 for c in cases for ref in c.refs.values()
                     if ref in results[c.name].resolved_orbs)
    n_nested = sum(len(set(results[c.name].resolved_orbs) - set(c.refs.values()))
                   for c in cases)
    n_errors = sum(1 for r in results.values() if not r.ok)

    print(f"{len(cases)} configs with orbs (of {seen} real 2.1 configs; loaded in "
          f"{t_load:.1f}s, not timed below); store {store}; best of {repeat}")
    if not args.summary_only:
        print(f"\n{'config':48} {'yaml.load':>10} {'compile':>10} {'ratio':>8}  orbs")
        for case in sorted(cases, key=lambda c: ratios.get(c.name, 0.0), reverse=True):
            r = results[case.name]
            got = sum(1 for ref in case.refs.values() if ref in r.resolved_orbs)
            b = f"{base[case.name] * 1e3:8.2f}ms" if case.name in base else f"{'-':>10}"
            q = f"{ratios[case.name]:7.2f}x" if case.name in ratios else f"{'-':>8}"
            print(f"{case.name[:48]:48} {b} {comp[case.name] * 1e3:8.2f}ms {q}  "
                  f"{got}/{len(case.refs)}")
    tb, tc = sum(base.values()), sum(comp[n] for n in base)
    print("\nsummary (compile with a warm store vs yaml.load CSafeLoader of the same text):")
    print(f"  total      yaml.load {tb * 1e3:8.1f}ms   compile {tc * 1e3:8.1f}ms   "
          f"{tc / tb:6.2f}x   ({len(base)} configs)")
    print(f"  ratio      median {statistics.median(ratios.values()):6.2f}x   "
          f"max {max(ratios.values()):6.2f}x "
          f"({max(ratios, key=ratios.__getitem__)})")
    print(f"  orbs       every orb present in {all_present}/{len(cases)} configs; "
          f"{n_resolved}/{n_refs} references resolved ({n_resolved / n_refs:.0%}); "
          f"{n_nested} more resolved for orbs' own imports")
    print(f"  compile    {n_errors}/{len(cases)} results with errors (not ok); "
          f"{cached} orb versions in the read cache")
    for name, why in no_base.items():
        print(f"  no baseline: {name} ({why}); compile {comp[name] * 1e3:.2f}ms, "
              "left out of the totals and ratios")
    tcold, twarm = sum(cold.values()), sum(warm.values())
    print("\ncold store (_READ_CACHE cleared before each compile) vs warm:")
    print(f"  total      cold {tcold * 1e3:8.1f}ms   warm {twarm * 1e3:8.1f}ms   "
          f"{tcold / twarm:6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
