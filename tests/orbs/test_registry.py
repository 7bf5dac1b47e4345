"""``workflowcore.config.orbs.registry``: the registry client against a local server that
answers in the registry's shapes (``_registry.py``), verification, storing, and walking a
config's imports."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Iterator

import pytest

from workflowcore.config.orbs.registry import (
    DEFAULT_REGISTRY_URL,
    ENV_REGISTRY,
    ORB_SOURCE_QUERY,
    RegistryClient,
    RegistryError,
    RegistryUnreachable,
    StoreConflictError,
    fetch_missing,
    full_version_hint,
    registry_url,
    store_orb,
    verify_orb_text,
    walk_imports,
)
from workflowcore.config.orbs.store import OrbStore, orb_digest

from ._registry import (
    NOT_FOUND,
    NOT_FOUND_EMPTY,
    QUERY_MARK,
    Canned,
    FakeRegistry,
    closed_port_url,
    errors_answer,
    orb_source,
    orb_version_answer,
)

A5 = orb_source("A five")
ORBS = {
    "ns/a": {"4.9.9": orb_source("A four"), "5.0.0": orb_source("A old"),
             "5.2.1": A5, "5.10.0": orb_source("A ten"), "6.0.0": orb_source("A six")},
    "ns/b": {"1.0.0": orb_source("B", {"c": "ns/c@2.1"})},
    "ns/c": {"2.1.3": orb_source("C")},
}


@pytest.fixture
def reg() -> Iterator[FakeRegistry]:
    with FakeRegistry(ORBS) as r:
        yield r


def canned(reg: FakeRegistry, ref: str, body: object, **kw: object) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    reg.canned[ref] = Canned(raw, **kw)  # type: ignore[arg-type]


# -- the request and a good answer ------------------------------------------------------

def test_fetch_sends_the_cli_query_and_verifies_the_answer(reg: FakeRegistry) -> None:
    got = RegistryClient(reg.url).fetch("ns/a@5.2.1")
    assert (got.namespace, got.name, got.version, got.ref) == ("ns", "a", "5.2.1",
                                                               "ns/a@5.2.1")
    assert got.text == A5 and got.digest == orb_digest(A5)
    assert not [d for d in got.diagnostics if d.is_error]
    [body] = reg.requests
    assert body == {"query": ORB_SOURCE_QUERY, "variables": {"orbVersionRef": "ns/a@5.2.1"}}
    assert QUERY_MARK in body["query"]
    assert reg.headers[0]["Content-Type"] == "application/json; charset=utf-8"
    assert "Authorization" not in reg.headers[0]  # public orbs need no token


@pytest.mark.parametrize(("ref", "version"), [
    ("ns/a@5", "5.10.0"), ("ns/a@5.2", "5.2.1"), ("ns/a@volatile", "6.0.0"),
])
def test_partial_versions_are_resolved_by_the_registry(reg: FakeRegistry, ref: str,
                                                       version: str) -> None:
    got = RegistryClient(reg.url).fetch(ref)
    assert got.version == version and got.requested == ref
    assert reg.asked == [ref]  # asked as written: the registry resolves it


# -- bad answers --------------------------------------------------------------------------

@pytest.mark.parametrize("answer", [NOT_FOUND, NOT_FOUND_EMPTY])
def test_an_orb_the_registry_does_not_have(reg: FakeRegistry, answer: object) -> None:
    canned(reg, "ns/a@5.2.1", answer)
    with pytest.raises(RegistryError, match=r"no orb ns/a@5\.2\.1 in the orb registry"):
        RegistryClient(reg.url).fetch("ns/a@5.2.1")


def test_an_unknown_orb_through_resolution(reg: FakeRegistry) -> None:
    with pytest.raises(RegistryError, match="no orb ns/zz@1 in the orb registry"):
        RegistryClient(reg.url).fetch("ns/zz@1")


def test_graphql_errors_are_reported(reg: FakeRegistry) -> None:
    canned(reg, "ns/a@5", errors_answer("Orb ns/a not found", "try again"))
    with pytest.raises(RegistryError, match="refused ns/a@5: Orb ns/a not found; try again"):
        RegistryClient(reg.url).fetch("ns/a@5")


@pytest.mark.parametrize(("body", "message"), [
    (b"<html>502</html>", "is not JSON"),
    (b"\xff\xfe", "is not JSON"),
    (b"[1, 2]", "not a GraphQL answer"),
    (b'{"data": {}}', "no `data.orbVersion`"),
    (b'{"data": {"orbVersion": "x"}}', "`orbVersion` is not an object"),
    (b'{"data": {"orbVersion": {"id": "1", "version": "5.2.1"}}}',
     "needs `version` and `source` as text"),
    (b'{"data": {"orbVersion": {"id": "1", "version": 5, "source": "x"}}}',
     "needs `version` and `source` as text"),
])
def test_malformed_answers(reg: FakeRegistry, body: bytes, message: str) -> None:
    canned(reg, "ns/a@5", body)
    with pytest.raises(RegistryError, match=message):
        RegistryClient(reg.url).fetch("ns/a@5")


@pytest.mark.parametrize(("ref", "answered"), [
    ("ns/a@5.2.1", "5.2.0"), ("ns/a@5", "6.0.0"), ("ns/a@5.2", "5.3.0"),
    ("ns/a@5", "5.0.0-rc1"), ("ns/a@volatile", "dev:x"), ("ns/a@dev:x", "dev:y"),
])
def test_a_version_other_than_asked_is_refused(reg: FakeRegistry, ref: str,
                                               answered: str) -> None:
    canned(reg, ref, orb_version_answer(answered, A5))
    with pytest.raises(RegistryError, match=re.escape(f"asked the orb registry for {ref}, it "
                                                      f"answered version '{answered}'")):
        RegistryClient(reg.url).fetch(ref)


def test_a_source_that_is_not_a_valid_orb(reg: FakeRegistry) -> None:
    bad = "version: 2.1\ndescription: x\njobs:\n  j:\n    steps: [checkout]\n"  # no executor
    canned(reg, "ns/a@5", orb_version_answer("5.2.1", bad))
    with pytest.raises(RegistryError, match=r"ns/a@5\.2\.1 is not a valid orb") as info:
        RegistryClient(reg.url).fetch("ns/a@5")
    assert info.value.diagnostics and all(d.is_error for d in info.value.diagnostics)
    assert info.value.diagnostics[0].path == "ns/a@5.2.1 (from the orb registry)"


@pytest.mark.parametrize("source", ["", "- a list\n", "key: [unclosed\n", "version: 2\n"])
def test_sources_that_are_not_orbs(reg: FakeRegistry, source: str) -> None:
    canned(reg, "ns/a@5", orb_version_answer("5.2.1", source))
    with pytest.raises(RegistryError, match="is not a valid orb"):
        RegistryClient(reg.url).fetch("ns/a@5")


def test_an_answer_too_large_by_its_length(reg: FakeRegistry) -> None:
    canned(reg, "ns/a@5", b"{}", headers={"Content-Length": str(50_000_000)},
           raw_length=True)
    with pytest.raises(RegistryError, match="answered 50000000 bytes for ns/a@5, more than"):
        RegistryClient(reg.url).fetch("ns/a@5")


def test_an_answer_too_large_without_a_length(reg: FakeRegistry) -> None:
    body = json.dumps(orb_version_answer("5.2.1", A5 + "#" * 5000)).encode()
    canned(reg, "ns/a@5", body, raw_length=True)
    with pytest.raises(RegistryError, match="more than 4096 bytes for ns/a@5; refused"):
        RegistryClient(reg.url, max_bytes=4096).fetch("ns/a@5")
    # the same answer within the bound is fine
    assert RegistryClient(reg.url, max_bytes=len(body)).fetch("ns/a@5").version == "5.2.1"


def test_http_errors(reg: FakeRegistry) -> None:
    canned(reg, "ns/a@5", b"down", status=503)
    with pytest.raises(RegistryError, match="answered HTTP 503"):
        RegistryClient(reg.url).fetch("ns/a@5")


def test_a_redirect_to_another_host_is_not_followed(reg: FakeRegistry) -> None:
    with FakeRegistry(ORBS) as other:
        elsewhere = other.url  # another port: another origin
        for code in (301, 302, 307, 308):
            canned(reg, "ns/a@5", b"", status=code, headers={"Location": elsewhere})
            with pytest.raises(RegistryError, match="redirected to another host"):
                RegistryClient(reg.url).fetch("ns/a@5")
        assert other.requests == []


def test_a_redirect_on_the_same_host_is_followed_with_the_query(reg: FakeRegistry) -> None:
    canned(reg, "ns/a@5", b"", status=307, headers={"Location": "/graphql-unstable/v2"})
    moved = FakeRegistry.answer

    def answer(self: FakeRegistry, ref: str) -> Canned:
        if len(self.requests) > 1:  # the redirected request
            return moved(self, "ns/a@5.2.1")
        return moved(self, ref)

    reg.answer = answer.__get__(reg)  # type: ignore[method-assign]
    got = RegistryClient(reg.url).fetch("ns/a@5")
    assert got.version == "5.2.1"
    assert reg.asked == ["ns/a@5", "ns/a@5"]  # the POST body was sent again


# -- no registry --------------------------------------------------------------------------

def test_connection_refused_is_unreachable() -> None:
    with pytest.raises(RegistryUnreachable, match=r"cannot reach the orb registry .*: "
                                                  r"connection refused"):
        RegistryClient(closed_port_url()).fetch("ns/a@5")


def test_no_answer_in_time_is_unreachable(reg: FakeRegistry) -> None:
    canned(reg, "ns/a@5", json.dumps(orb_version_answer("5.2.1", A5)).encode(), delay=5)
    with pytest.raises(RegistryUnreachable, match="no answer in time"):
        RegistryClient(reg.url, timeout=0.3).fetch("ns/a@5")


def test_registry_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_REGISTRY, raising=False)
    assert registry_url() == DEFAULT_REGISTRY_URL == "https://circleci.com/graphql-unstable"
    monkeypatch.setenv(ENV_REGISTRY, "http://127.0.0.1:1/g")
    assert registry_url() == "http://127.0.0.1:1/g"
    assert registry_url("https://example.com/x") == "https://example.com/x"
    for bad in ("file:///etc/passwd", "ftp://h/x", "localhost:80", "http:///x"):
        with pytest.raises(ValueError, match="expected http"):
            registry_url(bad)


@pytest.mark.parametrize("ref", ["ns/a", "https://x/orb.yml", "ns/a@<< x >>", "ns/a@5.x",
                                 "ns/a@dev:../../x"])
def test_references_that_cannot_be_fetched(reg: FakeRegistry, ref: str) -> None:
    with pytest.raises(RegistryError, match="cannot be fetched"):
        RegistryClient(reg.url).fetch(ref)
    assert reg.requests == []


def test_full_version_hint() -> None:
    assert full_version_hint("ns/a@5") == "ns/a@5.Y.Z"
    assert full_version_hint("ns/a@5.1") == "ns/a@5.1.Z"
    assert full_version_hint("ns/a@volatile") == "ns/a@X.Y.Z"
    assert full_version_hint("ns/a@5.1.2") == "ns/a@5.1.2"


# -- verifying and storing ----------------------------------------------------------------

def test_verify_orb_text() -> None:
    assert not [d for d in verify_orb_text(A5, "x") if d.is_error]
    errors = [d for d in verify_orb_text("version: 2.1\njobs: 3\n", "lbl") if d.is_error]
    assert errors and errors[0].path == "lbl"


def test_store_orb_stores_atomically_and_refuses_a_different_orb(tmp_path: Path) -> None:
    stored, status = store_orb(tmp_path, "ns", "a", "5.2.1", A5)
    assert status == "stored" and stored.path == tmp_path / "ns" / "a@5.2.1.yml"
    assert stored.path.read_text() == A5
    assert store_orb(tmp_path, "ns", "a", "5.2.1", A5)[1] == "unchanged"
    other = orb_source("another")
    with pytest.raises(StoreConflictError, match=r"already holds a different ns/a@5\.2\.1") as e:
        store_orb(tmp_path, "ns", "a", "5.2.1", other)
    assert e.value.existing_digest == orb_digest(A5) and e.value.digest == orb_digest(other)
    assert stored.path.read_text() == A5
    assert store_orb(tmp_path, "ns", "a", "5.2.1", other, force=True)[1] == "replaced"
    assert stored.path.read_text() == other
    assert sorted(os.listdir(tmp_path / "ns")) == ["a@5.2.1.yml"]  # no temporary file left


def test_store_orb_conflicts_with_other_layouts(tmp_path: Path) -> None:
    tree = tmp_path / "ns" / "a" / "5.2.1"
    tree.mkdir(parents=True)
    (tree / "@orb.yml").write_text(orb_source("tree"))
    with pytest.raises(StoreConflictError):
        store_orb(tmp_path, "ns", "a", "5.2.1", A5)
    stored, status = store_orb(tmp_path, "ns", "a", "5.2.1", A5, force=True)
    assert status == "replaced"
    found = OrbStore([tmp_path]).find("ns", "a", "5.2.1")
    assert found is not None and found.path == stored.path  # the file wins over the tree
    # an existing .yaml file is replaced in place, so nothing shadows the new one
    (tmp_path / "ns" / "b@1.0.0.yaml").write_text(orb_source("old"))
    stored, _ = store_orb(tmp_path, "ns", "b", "1.0.0", A5, force=True)
    assert stored.path.name == "b@1.0.0.yaml" and stored.path.read_text() == A5
    assert not (tmp_path / "ns" / "b@1.0.0.yml").exists()


@pytest.mark.parametrize(("ns", "name", "version"), [
    ("ns", "a", "5"), ("ns", "a", "dev:../x"), ("..", "a", "1.0.0"), ("ns", "a/b", "1.0.0"),
])
def test_store_orb_refuses_names_that_are_not_store_files(tmp_path: Path, ns: str, name: str,
                                                          version: str) -> None:
    with pytest.raises(ValueError, match="cannot be stored"):
        store_orb(tmp_path, ns, name, version, A5)
    assert os.listdir(tmp_path) == []


# -- what a config needs ------------------------------------------------------------------

def _put(root: Path, ref: str, text: str) -> None:
    ns, rest = ref.split("/")
    (root / ns).mkdir(parents=True, exist_ok=True)
    (root / ns / f"{rest}.yml").write_text(text)


def test_walk_imports_follows_stored_orbs(tmp_path: Path) -> None:
    _put(tmp_path, "ns/b@1.0.0", orb_source("B", {"c": "ns/c@2.1", "d": "ns/d@1"}))
    _put(tmp_path, "ns/c@2.1.3", orb_source("C", {"b": "ns/b@1"}))  # a cycle
    walk = walk_imports(OrbStore([tmp_path]),
                        ["ns/b@1", "https://example.com/o.yml", "ns/e@volatile"])
    assert {r: o.version for r, o in walk.found.items()} == {"ns/b@1": "1.0.0",
                                                              "ns/c@2.1": "2.1.3"}
    assert walk.missing == {"ns/e@volatile": "ns/e@volatile", "ns/d@1": "ns/d@1"}
    assert walk.skipped == ["https://example.com/o.yml"]


def test_walk_imports_wants_the_locked_version(tmp_path: Path) -> None:
    _put(tmp_path, "ns/a@5.2.1", A5)
    store = OrbStore([tmp_path])
    assert walk_imports(store, ["ns/a@5"], {"ns/a@5": "5.2.1"}).found["ns/a@5"].version \
        == "5.2.1"
    walk = walk_imports(store, ["ns/a@5"], {"ns/a@5": "5.0.0"})
    assert walk.missing == {"ns/a@5": "ns/a@5.0.0"} and not walk.found
    # a pin that does not match the reference is ignored, as the store ignores it
    assert "ns/a@5" in walk_imports(store, ["ns/a@5"], {"ns/a@5": "6.0.0"}).found


def test_fetch_missing_fetches_transitively(reg: FakeRegistry, tmp_path: Path) -> None:
    store = OrbStore([tmp_path])
    out = fetch_missing(store, tmp_path, ["ns/b@1", "ns/a@5"], RegistryClient(reg.url))
    assert out.unreachable is None and not out.failed
    assert [(ref, got.ref, status) for ref, got, _s, status in out.fetched] == [
        ("ns/b@1", "ns/b@1.0.0", "stored"), ("ns/a@5", "ns/a@5.10.0", "stored"),
        ("ns/c@2.1", "ns/c@2.1.3", "stored")]
    assert sorted(o.ref for o in store.orbs()) == ["ns/a@5.10.0", "ns/b@1.0.0", "ns/c@2.1.3"]
    # all there now: nothing is asked again
    before = len(reg.requests)
    again = fetch_missing(store, tmp_path, ["ns/b@1", "ns/a@5"], RegistryClient(reg.url))
    assert again.fetched == [] and len(reg.requests) == before


def test_fetch_missing_keeps_going_past_a_bad_answer(reg: FakeRegistry,
                                                     tmp_path: Path) -> None:
    canned(reg, "ns/a@5", b"not json")
    out = fetch_missing(OrbStore([tmp_path]), tmp_path, ["ns/a@5", "ns/c@2"],
                        RegistryClient(reg.url))
    assert list(out.failed) == ["ns/a@5"] and "is not JSON" in str(out.failed["ns/a@5"])
    assert [got.ref for _r, got, _s, _st in out.fetched] == ["ns/c@2.1.3"]
    assert not (tmp_path / "ns" / "a@5.10.0.yml").exists()


def test_fetch_missing_offline_names_every_missing_orb(tmp_path: Path) -> None:
    _put(tmp_path, "ns/b@1.0.0", orb_source("B", {"c": "ns/c@2.1"}))
    out = fetch_missing(OrbStore([tmp_path]), tmp_path, ["ns/a@5", "ns/b@1", "ns/x@1.0.0"],
                        RegistryClient(closed_port_url()), {"ns/a@5": "5.2.1"})
    assert out.unreachable is not None and "connection refused" in out.unreachable
    assert out.missing == {"ns/a@5": "ns/a@5.2.1", "ns/x@1.0.0": "ns/x@1.0.0",
                           "ns/c@2.1": "ns/c@2.1"}
    assert out.fetched == [] and sorted(os.listdir(tmp_path / "ns")) == ["b@1.0.0.yml"]
