"""Packing time of every real orb version in ``../shared/orbs``, against a bare read of the
same files, in one run.

For each of the 144 orb versions (``MANIFEST.tsv``) this times, in one process:

* the baseline: reading every file of the version folder and ``yaml.load`` with
  ``CSafeLoader`` of each YAML file (the floor any YAML tool pays for the same input),
* ``pack_orb`` (walk, bounded reads, positioned parse, includes, printing the packed YAML),
* ``validate_orb`` on the packed result (for information: re-read, schema, checks, compile),

and prints the totals, the pack/baseline ratio, the mean per orb version and the slowest
versions. Each figure is the best of ``--repeat`` runs.

    .venv/bin/python benchmarks/bench_orbs.py [--repeat 3] [--shared ../shared]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from workflowcore.config.orbs import PackResult, pack_orb, validate_orb

try:
    _LOADER: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _LOADER = yaml.SafeLoader


def versions(shared: Path) -> List[Tuple[str, Path]]:
    """``(orb@version, path to pack)`` for every row of the manifest."""
    root = shared / "orbs"
    out = []
    for line in (root / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        orb, version, *_, layout, _files = line.split("\t")
        folder = root / orb / version
        out.append((f"{orb}@{version}", folder if layout == "src-dir" else folder / "orb.yml"))
    return out


def baseline(path: Path) -> None:
    """Read every file of the orb version; load each YAML file with libyaml."""
    folder = path if path.is_dir() else path.parent
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            data = Path(dirpath, name).read_bytes()
            if name.endswith((".yml", ".yaml")):
                yaml.load(data, Loader=_LOADER)


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    gc.collect()
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--shared", type=Path,
                    default=Path(os.environ.get("WFC_SHARED")
                                 or Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--slowest", type=int, default=5, help="list this many slowest versions")
    args = ap.parse_args()
    if not (args.shared / "orbs" / "MANIFEST.tsv").is_file():
        print(f"no orb sources at {args.shared / 'orbs'} (give --shared)", file=sys.stderr)
        return 2
    rows = versions(args.shared)
    base: Dict[str, float] = {}
    pack: Dict[str, float] = {}
    check: Dict[str, float] = {}
    size: Dict[str, int] = {}
    for name, path in rows:
        base[name] = best_of(lambda p=path: baseline(p), args.repeat)  # type: ignore[misc]
        pack[name] = best_of(lambda p=path: pack_orb(p), args.repeat)  # type: ignore[misc]
        packed: PackResult = pack_orb(path)
        assert packed.ok, (name, packed.errors[:3])
        size[name] = len(packed.text)
        check[name] = best_of(lambda r=packed: validate_orb(r),  # type: ignore[misc]
                              args.repeat)
    n = len(rows)
    tb, tp, tv = sum(base.values()), sum(pack.values()), sum(check.values())
    print(f"{n} orb versions ({len({k.split('@')[0] for k in base})} orbs), best of "
          f"{args.repeat}")
    print(f"{'':24} {'total':>10} {'per version':>12} {'vs baseline':>12}")
    print(f"{'baseline (read + load)':24} {tb * 1000:>8.0f}ms {tb / n * 1000:>10.2f}ms "
          f"{1.0:>11.2f}x")
    print(f"{'pack_orb':24} {tp * 1000:>8.0f}ms {tp / n * 1000:>10.2f}ms {tp / tb:>11.2f}x")
    print(f"{'validate_orb (packed)':24} {tv * 1000:>8.0f}ms {tv / n * 1000:>10.2f}ms "
          f"{tv / tb:>11.2f}x")
    print(f"\nslowest to pack ({args.slowest}):")
    for name in sorted(pack, key=pack.__getitem__, reverse=True)[: args.slowest]:
        print(f"  {name:40} {pack[name] * 1000:7.1f}ms  baseline {base[name] * 1000:6.1f}ms  "
              f"{pack[name] / base[name]:5.2f}x  packed {size[name] / 1024:6.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
