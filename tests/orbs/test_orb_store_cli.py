"""``workflowcore orb add / list / lock / update / fetch`` through the real command, with
the per-user store in a temporary folder and the registry a local server answering in the
registry's shapes (``_registry.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator

import pytest

from tests.conftest import shared_dir
from workflowcore.config.orbs import pack_orb
from workflowcore.config.orbs.store import orb_digest

from ._registry import Canned, FakeRegistry, closed_port_url, orb_source, orb_version_answer
from ._tree import make_orb

CONFIG = """\
version: 2.1
orbs:
{orbs}
jobs:
  build:
    docker: [{{image: cimg/base:stable}}]
    steps: [checkout]
workflows:
  main:
    jobs: [build]
"""


def shared_orbs() -> Path:
    try:
        return shared_dir() / "orbs"
    except RuntimeError as exc:
        pytest.skip(str(exc))


class Env:
    def __init__(self, tmp: Path, registry: str) -> None:
        self.cwd = tmp / "project"
        self.store = tmp / "store"
        self.cwd.mkdir()
        self.registry = registry
        self.env = dict(os.environ, WORKFLOWCORE_ORB_STORE=str(self.store),
                        WORKFLOWCORE_ORB_REGISTRY=registry, XDG_CACHE_HOME=str(tmp / "cache"),
                        NO_PROXY="*", no_proxy="*")

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "workflowcore", *args], cwd=self.cwd,
                              env=self.env, capture_output=True, text=True, timeout=120,
                              check=False)

    def config(self, orbs: Dict[str, str]) -> Path:
        p = self.cwd / ".circleci" / "config.yml"
        p.parent.mkdir(exist_ok=True)
        p.write_text(CONFIG.format(orbs="\n".join(f"  {a}: {r}" for a, r in orbs.items())))
        return p

    @property
    def lock_path(self) -> Path:
        return self.cwd / ".circleci" / "orbs.lock"

    def lock(self) -> Dict[str, Dict[str, str]]:
        data = json.loads(self.lock_path.read_text())
        assert data["lockfile"] == 1
        return data["orbs"]  # type: ignore[no-any-return]

    def put(self, ref: str, text: str) -> Path:
        ns, rest = ref.split("/")
        p = self.store / ns / f"{rest}.yml"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p

    def stored(self) -> list[str]:
        if not self.store.exists():
            return []
        return sorted(str(p.relative_to(self.store)) for p in self.store.rglob("*")
                      if p.is_file())


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path, closed_port_url())  # no registry unless a test starts one


A1 = orb_source("A one")
A2 = orb_source("A two")
B = orb_source("B", {"c": "ns/c@2"})
C = orb_source("C")
REGISTRY = {"ns/a": {"1.0.0": A1, "1.2.0": A2, "2.0.0": orb_source("A 2")},
            "ns/b": {"3.1.4": B}, "ns/c": {"2.0.1": C}}


@pytest.fixture
def reg(env: Env) -> Iterator[FakeRegistry]:
    with FakeRegistry(REGISTRY) as r:
        env.env["WORKFLOWCORE_ORB_REGISTRY"] = r.url
        yield r


# -- orb add ------------------------------------------------------------------------------

def test_add_a_source_tree_from_shared_orbs(env: Env) -> None:
    tree = shared_orbs() / "circleci" / "node" / "5.0.3"
    r = env.run("orb", "add", "circleci/node@5.0.3", "--from", str(tree))
    assert r.returncode == 0, r.stderr
    target = env.store / "circleci" / "node@5.0.3.yml"
    packed = pack_orb(tree).text
    assert target.read_text() == packed
    assert r.stdout.startswith(f"stored circleci/node@5.0.3 in {target} ({orb_digest(packed)})")
    assert env.stored() == ["circleci/node@5.0.3.yml"]
    listed = env.run("orb", "list")
    assert listed.returncode == 0
    assert listed.stdout.split() == ["circleci/node@5.0.3", "file", str(target)]


def test_add_a_packed_file(env: Env, tmp_path: Path) -> None:
    packed = tmp_path / "orb.yml"
    packed.write_text("# my orb\n" + A1)
    r = env.run("orb", "add", "ns/a@1.0.0", "--from", str(packed), "--store", "mystore")
    assert r.returncode == 0, r.stderr
    target = env.cwd / "mystore" / "ns" / "a@1.0.0.yml"
    assert target.read_text() == "# my orb\n" + A1  # stored as it is
    assert env.stored() == []  # --store, not the per-user store


def test_add_refuses_an_invalid_orb(env: Env, tmp_path: Path) -> None:
    src = make_orb(tmp_path / "src", {"jobs/build.yml": "steps: [checkout]\n"})
    r = env.run("orb", "add", "ns/a@1.0.0", "--from", str(src))
    assert r.returncode == 1
    assert "[executor-missing]" in r.stderr
    assert "ns/a@1.0.0 not stored: 1 error in" in r.stderr
    assert env.stored() == [] and r.stdout == ""


def test_add_refuses_a_different_orb_unless_forced(env: Env, tmp_path: Path) -> None:
    one, two = tmp_path / "one.yml", tmp_path / "two.yml"
    one.write_text(A1)
    two.write_text(A2)
    assert env.run("orb", "add", "ns/a@1.0.0", "--from", str(one)).returncode == 0
    again = env.run("orb", "add", "ns/a@1.0.0", "--from", str(one))
    assert again.returncode == 0 and again.stdout.startswith("already stored, unchanged:")
    target = env.store / "ns" / "a@1.0.0.yml"
    r = env.run("orb", "add", "ns/a@1.0.0", "--from", str(two))
    assert r.returncode == 1
    assert "already holds a different ns/a@1.0.0" in r.stderr and "--force" in r.stderr
    assert target.read_text() == A1
    forced = env.run("orb", "add", "ns/a@1.0.0", "--from", str(two), "--force")
    assert forced.returncode == 0 and forced.stdout.startswith("replaced ns/a@1.0.0")
    assert target.read_text() == A2


@pytest.mark.parametrize("ref", ["ns/a@1", "ns/a@1.2", "ns/a@volatile", "ns/a", "a@1.0.0"])
def test_add_needs_a_full_version(env: Env, tmp_path: Path, ref: str) -> None:
    (tmp_path / "o.yml").write_text(A1)
    r = env.run("orb", "add", ref, "--from", str(tmp_path / "o.yml"))
    assert r.returncode == 2 and "expected namespace/name@X.Y.Z" in r.stderr
    assert env.stored() == []


def test_add_from_a_folder_without_orb_yml(env: Env, tmp_path: Path) -> None:
    r = env.run("orb", "add", "ns/a@1.0.0", "--from", str(tmp_path))
    assert r.returncode == 2 and "no @orb.yml" in r.stderr


# -- orb list -----------------------------------------------------------------------------

def test_list_every_layout(env: Env, tmp_path: Path) -> None:
    env.put("ns/a@1.0.0", A1)
    make_orb(env.store / "ns" / "t" / "2.0.0", {})
    single = env.store / "zz" / "s" / "0.1.0" / "orb.yml"
    single.parent.mkdir(parents=True)
    single.write_text(C)
    r = env.run("orb", "list")
    assert r.returncode == 0, r.stderr
    rows = [line.split() for line in r.stdout.splitlines()]
    assert rows == [["ns/a@1.0.0", "file", str(env.store / "ns" / "a@1.0.0.yml")],
                    ["ns/t@2.0.0", "tree", str(env.store / "ns" / "t" / "2.0.0")],
                    ["zz/s@0.1.0", "single", str(single)]]
    other = env.run("orb", "list", "--orb-dir", str(tmp_path / "nothing"))
    assert other.returncode == 0 and other.stdout == ""
    assert "no orbs in the orb store" in other.stderr


# -- orb lock / orb update -------------------------------------------------------------------

def test_lock_records_every_reference_and_its_digest(env: Env) -> None:
    env.config({"a": "ns/a@1", "b": "ns/b@3.1.4"})
    a = env.put("ns/a@1.2.0", A2)
    env.put("ns/a@1.0.0", A1)
    env.put("ns/b@3.1.4", B)
    env.put("ns/c@2.0.1", C)
    r = env.run("orb", "lock")
    assert r.returncode == 0, r.stderr
    assert env.lock() == {
        "ns/a@1": {"resolved": "ns/a@1.2.0", "digest": orb_digest(a.read_text())},
        "ns/b@3.1.4": {"resolved": "ns/b@3.1.4", "digest": orb_digest(B)},
        "ns/c@2": {"resolved": "ns/c@2.0.1", "digest": orb_digest(C)},  # imported by b
    }
    assert f"wrote {Path('.circleci/orbs.lock')} (3 orb references)" in r.stdout


def test_lock_names_every_missing_orb_and_writes_nothing(env: Env) -> None:
    env.config({"a": "ns/a@1", "b": "ns/b@3.1.4", "x": "ns/x@volatile"})
    env.put("ns/b@3.1.4", B)
    r = env.run("orb", "lock")
    assert r.returncode == 1
    assert "3 orbs are not in the orb store" in r.stderr
    for ref, hint in (("ns/a@1", "ns/a@1.Y.Z"), ("ns/x@volatile", "ns/x@X.Y.Z"),
                      ("ns/c@2", "ns/c@2.Y.Z")):
        assert f"\n  {ref}\n" in r.stderr
        assert f"workflowcore orb add {hint} --from DIR" in r.stderr
    assert "workflowcore orb fetch" in r.stderr
    assert not env.lock_path.exists()


def test_lock_keeps_pins_and_update_moves_them(env: Env) -> None:
    env.config({"a": "ns/a@1"})
    env.put("ns/a@1.0.0", A1)
    assert env.run("orb", "lock").returncode == 0
    assert env.lock()["ns/a@1"]["resolved"] == "ns/a@1.0.0"
    env.put("ns/a@1.2.0", A2)
    kept = env.run("orb", "lock")
    assert kept.returncode == 0, kept.stderr
    assert env.lock()["ns/a@1"] == {"resolved": "ns/a@1.0.0", "digest": orb_digest(A1)}
    up = env.run("orb", "update")
    assert up.returncode == 0, up.stderr
    assert env.lock()["ns/a@1"] == {"resolved": "ns/a@1.2.0", "digest": orb_digest(A2)}
    assert "  ns/a@1: ns/a@1.0.0 -> ns/a@1.2.0\n" in up.stdout
    same = env.run("orb", "update")
    assert "  ns/a@1: ns/a@1.2.0 (unchanged)\n" in same.stdout


def test_update_reports_new_and_removed_references(env: Env) -> None:
    env.config({"a": "ns/a@1"})
    env.put("ns/a@1.0.0", A1)
    env.put("ns/c@2.0.1", C)
    assert env.run("orb", "lock").returncode == 0
    env.config({"c": "ns/c@2"})
    up = env.run("orb", "update")
    assert up.returncode == 0, up.stderr
    assert "  ns/a@1: ns/a@1.0.0 -> (removed)\n" in up.stdout
    assert "  ns/c@2: (new) -> ns/c@2.0.1\n" in up.stdout
    assert list(env.lock()) == ["ns/c@2"]


def test_lock_refuses_a_changed_stored_orb_and_update_accepts_it(env: Env) -> None:
    env.config({"a": "ns/a@1.0.0"})
    stored = env.put("ns/a@1.0.0", A1)
    assert env.run("orb", "lock").returncode == 0
    before = env.lock_path.read_text()
    stored.write_text(A1 + "# changed\n")
    r = env.run("orb", "lock")
    assert r.returncode == 1
    assert "[orb-lock-mismatch]" in r.stderr and "orb update" in r.stderr
    assert env.lock_path.read_text() == before
    up = env.run("orb", "update")
    assert up.returncode == 0, up.stderr
    assert env.lock()["ns/a@1.0.0"]["digest"] == orb_digest(A1 + "# changed\n")
    assert "(content changed: " in up.stdout


def test_lock_with_an_unusable_lock_file(env: Env) -> None:
    env.config({"a": "ns/a@1.0.0"})
    env.put("ns/a@1.0.0", A1)
    env.lock_path.write_text("{not json")
    for cmd in ("lock", "update"):
        r = env.run("orb", cmd)
        assert r.returncode == 2 and "cannot be read" in r.stderr
    assert env.lock_path.read_text() == "{not json"


# -- orb fetch ----------------------------------------------------------------------------

def test_fetch_a_partial_version(env: Env, reg: FakeRegistry) -> None:
    env.config({"a": "ns/a@1"})
    r = env.run("orb", "fetch")
    assert r.returncode == 0, r.stderr
    assert reg.asked == ["ns/a@1"]
    assert env.stored() == ["ns/a@1.2.0.yml"]
    assert (env.store / "ns" / "a@1.2.0.yml").read_text() == A2
    assert "fetched ns/a@1 -> 1.2.0 into" in r.stdout
    assert env.lock() == {"ns/a@1": {"resolved": "ns/a@1.2.0", "digest": orb_digest(A2)}}


def test_fetch_transitive_imports(env: Env, reg: FakeRegistry) -> None:
    env.config({"b": "ns/b@3"})
    r = env.run("orb", "fetch", ".circleci/config.yml")
    assert r.returncode == 0, r.stderr
    assert reg.asked == ["ns/b@3", "ns/c@2"]
    assert env.stored() == ["ns/b@3.1.4.yml", "ns/c@2.0.1.yml"]
    assert env.lock() == {"ns/b@3": {"resolved": "ns/b@3.1.4", "digest": orb_digest(B)},
                          "ns/c@2": {"resolved": "ns/c@2.0.1", "digest": orb_digest(C)}}


def test_fetch_only_what_the_store_lacks(env: Env, reg: FakeRegistry) -> None:
    env.config({"a": "ns/a@1", "c": "ns/c@2"})
    env.put("ns/a@1.0.0", A1)
    r = env.run("orb", "fetch")
    assert r.returncode == 0, r.stderr
    assert reg.asked == ["ns/c@2"]
    assert env.lock()["ns/a@1"]["resolved"] == "ns/a@1.0.0"


def test_fetch_the_locked_version(env: Env, reg: FakeRegistry) -> None:
    env.config({"a": "ns/a@1"})
    env.lock_path.write_text(json.dumps({"lockfile": 1, "orbs": {"ns/a@1": {
        "resolved": "ns/a@1.0.0", "digest": orb_digest(A1)}}}))
    env.put("ns/a@1.2.0", A2)  # matches, but is not what the lock says
    r = env.run("orb", "fetch")
    assert r.returncode == 0, r.stderr
    assert reg.asked == ["ns/a@1.0.0"]
    assert env.lock()["ns/a@1"] == {"resolved": "ns/a@1.0.0", "digest": orb_digest(A1)}


def test_fetch_with_nothing_missing_never_asks(env: Env) -> None:
    env.config({"a": "ns/a@1"})
    env.put("ns/a@1.0.0", A1)
    r = env.run("orb", "fetch")  # the registry is a closed port
    assert r.returncode == 0, r.stderr
    assert "nothing to fetch" in r.stdout
    assert env.lock()["ns/a@1"]["resolved"] == "ns/a@1.0.0"


@pytest.mark.parametrize(("answer", "message"), [
    (Canned(b"{oops"), "is not JSON"),
    (Canned(b"{}", headers={"Content-Length": "999999999"}, raw_length=True),
     "answered 999999999 bytes for ns/a@1, more than the 8388608 accepted"),
    (Canned(json.dumps(orb_version_answer("2.0.0", A1)).encode()),
     "asked the orb registry for ns/a@1, it answered version '2.0.0'"),
    (Canned(json.dumps(orb_version_answer("1.0.0", "version: 2.1\njobs: 7\n")).encode()),
     "ns/a@1.0.0 is not a valid orb"),
])
def test_fetch_refuses_a_bad_answer(env: Env, reg: FakeRegistry, answer: Canned,
                                    message: str) -> None:
    env.config({"a": "ns/a@1", "c": "ns/c@2"})
    reg.canned["ns/a@1"] = answer
    r = env.run("orb", "fetch")
    assert r.returncode == 1
    assert "workflowcore: ns/a@1: " in r.stderr and message in r.stderr
    assert "1 orb could not be fetched" in r.stderr and "was not written" in r.stderr
    assert env.stored() == ["ns/c@2.0.1.yml"]  # the good one is kept, the bad one not stored
    assert not env.lock_path.exists()


def test_fetch_offline_lists_every_missing_orb(env: Env) -> None:
    env.config({"a": "ns/a@1", "b": "ns/b@3.1.4", "c": "ns/c@2"})
    env.put("ns/c@2.0.1", C)
    r = env.run("orb", "fetch")
    assert r.returncode == 2
    err = r.stderr
    assert err.count("workflowcore:") == 1  # one message
    assert f"cannot reach the orb registry {env.registry}: connection refused" in err
    assert "2 orbs that .circleci/config.yml needs are not in the orb store" in err
    assert "\n  ns/a@1\n  ns/b@3.1.4\n" in err
    assert "workflowcore orb add ns/a@1.Y.Z --from DIR" in err
    assert "workflowcore orb add ns/b@3.1.4 --from DIR" in err
    assert env.stored() == ["ns/c@2.0.1.yml"] and not env.lock_path.exists()


def test_fetch_registry_option_wins_over_the_environment(env: Env, reg: FakeRegistry) -> None:
    env.config({"c": "ns/c@2"})
    env.env["WORKFLOWCORE_ORB_REGISTRY"] = closed_port_url()
    r = env.run("orb", "fetch", "--registry", reg.url)
    assert r.returncode == 0, r.stderr
    assert reg.asked == ["ns/c@2"]


@pytest.mark.parametrize("args", [("--registry", "file:///etc/passwd"),
                                  ("--timeout", "0")])
def test_fetch_bad_options(env: Env, args: tuple[str, str]) -> None:
    env.config({"c": "ns/c@2"})
    r = env.run("orb", "fetch", *args)
    assert r.returncode == 2 and r.stdout == ""


def test_fetch_a_real_orb_and_its_import(env: Env) -> None:
    orbs = shared_orbs()
    ecr = pack_orb(orbs / "circleci" / "aws-ecr" / "8.2.1").text
    cli = pack_orb(orbs / "circleci" / "aws-cli" / "3.1.3").text
    served = {"circleci/aws-ecr": {"8.2.1": ecr},
              "circleci/aws-cli": {"3.1.3": cli}}
    env.config({"ecr": "circleci/aws-ecr@8"})
    with FakeRegistry(served) as reg:
        r = env.run("orb", "fetch", "--registry", reg.url)
    assert r.returncode == 0, r.stderr
    assert reg.asked == ["circleci/aws-ecr@8", "circleci/aws-cli@3.1.3"]
    assert env.stored() == ["circleci/aws-cli@3.1.3.yml", "circleci/aws-ecr@8.2.1.yml"]
    assert env.lock() == {
        "circleci/aws-ecr@8": {"resolved": "circleci/aws-ecr@8.2.1", "digest": orb_digest(ecr)},
        "circleci/aws-cli@3.1.3": {"resolved": "circleci/aws-cli@3.1.3",
                                   "digest": orb_digest(cli)},
    }
