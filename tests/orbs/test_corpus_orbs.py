"""Issue 11 acceptance: with ``../shared/orbs`` as the orb store, every real config of
``../shared/corpus/real`` whose orbs are all present compiles with no opaque job, its
processed output validates clean, and it plans for ``main`` and for a tag. Configs with
orbs the store lacks give, like ``process --allow-missing-orbs``, a 2.1 config keeping
those references, which validates clean too.

Figures at the time of writing (asserted as lower bounds, so a regression fails): 159 real
configs load clean; 66 import published orbs, 147 references in all, of which 97 (66%)
resolve in the store; the 50 others name versions or orbs that are not in
``shared/orbs`` (e.g. ``circleci/windows@2.2.0``, ``ory/*``, orbs left out on licence
grounds). 26 configs have every orb present."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Tuple

import pytest

import workflowcore as wc
from workflowcore.config import LoadResult, load, to_yaml
from workflowcore.config.compile._keep_orbs import keep_orb_references

from ..compile.test_corpus import NOT_YAML, ROWS
from ..conftest import shared_dir

REAL = [r["file"] for r in ROWS if r["kind"] == "real" and r["file"] not in NOT_YAML]


@lru_cache(maxsize=1)
def _store() -> str:
    try:
        return str(shared_dir() / "orbs")
    except RuntimeError as exc:
        pytest.skip(str(exc))


@lru_cache(maxsize=None)
def _loaded(name: str) -> LoadResult:
    path = shared_dir() / "corpus" / "real" / name
    return load(path.read_text(encoding="utf-8"), name, orb_dir=_store())


def _refs(r: LoadResult) -> List[str]:
    orbs = r.data.get("orbs") if isinstance(r.data, dict) else None
    return [v for v in (orbs or {}).values() if isinstance(v, str)]


@lru_cache(maxsize=None)
def _compiled(name: str) -> wc.CompileResult:
    return wc.compile(_loaded(name), wc.Trigger(branch="main"), orb_dir=_store())


@pytest.mark.parametrize("name", REAL)
def test_a_corpus_config_compiles_with_the_orbs_of_the_store(name: str) -> None:
    r = _loaded(name)
    if r.errors or not _refs(r):
        return  # loading is corpus-tested elsewhere; no orbs, nothing new here
    c = _compiled(name)
    assert [str(d) for d in c.errors] == []
    if not c.unavailable_orbs:
        # every orb present: nothing opaque, the output is a config, it plans
        assert not c.opaque_jobs and c.needed_orbs() == ()
        back = load(to_yaml(c.data), "processed.yml")
        assert [str(d) for d in back.errors] == []
        for trigger in (wc.Trigger(branch="main"), wc.Trigger(tag="v1.0.0")):
            p = wc.plan(r, trigger, orb_dir=_store())
            assert p.orbs.keys() == c.resolved_orbs.keys()
            assert all(not j.unavailable_orbs for w in p.workflows for j in w.jobs)
    else:
        # what --allow-missing-orbs prints keeps the missing references and validates
        kept, problems = keep_orb_references(c.data, c.unavailable_orbs)
        assert problems == []
        back = load(to_yaml(kept), "processed.yml", orb_dir=_store())
        assert [str(d) for d in back.errors] == []
        assert "opaque" not in to_yaml(kept)


def _figures() -> Tuple[int, int, int, int]:
    with_orbs = refs = resolved = complete = 0
    for name in REAL:
        r = _loaded(name)
        if r.errors or not _refs(r):
            continue
        with_orbs += 1
        c = _compiled(name)
        refs += len(_refs(r))
        resolved += sum(1 for ref in _refs(r) if ref in c.resolved_orbs)
        complete += not c.unavailable_orbs
    return with_orbs, refs, resolved, complete


def test_how_much_of_the_corpus_the_store_serves() -> None:
    _store()
    with_orbs, refs, resolved, complete = _figures()
    assert with_orbs >= 66 and refs >= 147
    assert resolved >= 97, f"{resolved} of {refs} references resolved"
    assert complete >= 26, f"{complete} configs with every orb present"


def test_partial_versions_resolve_to_the_highest_release_held() -> None:
    store = _store()
    text = ("version: 2.1\norbs:\n  slack: circleci/slack@4\n  node: circleci/node@volatile\n"
            "jobs:\n  b:\n    docker: [{image: x}]\n    steps: [checkout]\n"
            "workflows:\n  w: {jobs: [b]}\n")
    c = wc.compile(load(text), wc.Trigger(branch="main"), orb_dir=store)
    got: Dict[str, Any] = {k: v.orb.ref for k, v in c.resolved_orbs.items()}
    assert got["circleci/slack@4"] == "circleci/slack@4.12.5"
    assert got["circleci/node@volatile"].startswith("circleci/node@7.")


def test_a_source_tree_and_its_packed_file_compile_the_same(tmp_path_factory:
                                                           pytest.TempPathFactory) -> None:
    """Issue 11: where the same orb is a source tree and (packed) a file, compiling a config
    gives the same result from either: every corpus config whose orbs are all present,
    compiled from ../shared/orbs and from a store of the same orbs packed."""
    store = _store()
    packed = tmp_path_factory.mktemp("packed-store")
    done = 0
    for name in REAL:
        r = _loaded(name)
        if r.errors or not _refs(r):
            continue
        c = _compiled(name)
        if c.unavailable_orbs:
            continue
        for res in c.resolved_orbs.values():
            orb = res.orb
            target = packed / orb.namespace / f"{orb.name}@{orb.version}.yml"
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(res.text, encoding="utf-8")
        again = wc.compile(load(r.source_map.text, name, orb_dir=packed),
                           wc.Trigger(branch="main"), orb_dir=packed)
        assert again.data == c.data, name
        assert {k: v.orb.ref for k, v in again.resolved_orbs.items()} == \
            {k: v.orb.ref for k, v in c.resolved_orbs.items()}
        done += 1
    assert done >= 26 and store
