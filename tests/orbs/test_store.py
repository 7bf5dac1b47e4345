"""The local orb store (issue 11): layouts, version resolution, pins, caching, digests."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from workflowcore.config.orbs.lock import (
    Lock,
    LockEntry,
    LockError,
    check_lock,
    lock_path_for,
    read_lock,
    write_lock,
)
from workflowcore.config.orbs.store import (
    OrbStore,
    default_user_store,
    orb_digest,
    store_for,
    version_matches,
)

PACKED = """\
version: 2.1
commands:
  hello:
    steps:
      - run: echo hello from VERSION
"""


def packed(root: Path, ref: str, text: str | None = None) -> Path:
    ns, rest = ref.split("/")
    name, version = rest.split("@")
    path = root / ns / f"{name}@{version}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text or PACKED.replace("VERSION", version), encoding="utf-8")
    return path


def tree(root: Path, ref: str) -> Path:
    ns, rest = ref.split("/")
    name, version = rest.split("@")
    d = root / ns / name / version
    (d / "commands").mkdir(parents=True)
    (d / "scripts").mkdir()
    (d / "@orb.yml").write_text("version: 2.1\ndescription: tree orb\n", encoding="utf-8")
    (d / "scripts" / "hi.sh").write_text(f"echo tree {version}\n", encoding="utf-8")
    (d / "commands" / "hello.yml").write_text(
        "steps:\n  - run:\n      command: <<include(scripts/hi.sh)>>\n", encoding="utf-8")
    return d


@pytest.mark.parametrize(("requested", "version", "expected"), [
    ("5", "5.0.3", True), ("5", "50.0.0", False), ("5.1", "5.1.9", True),
    ("5.1", "5.10.0", False), ("5.1.2", "5.1.2", True), ("volatile", "0.0.1", True),
    ("dev:x", "dev:x", True), ("dev:x", "1.0.0", False), ("5", "dev:5", False),
    ("latest", "1.0.0", False),
])
def test_version_matching(requested: str, version: str, expected: bool) -> None:
    assert version_matches(requested, version) is expected


def test_partial_versions_and_volatile_resolve_to_the_highest_release(tmp_path: Path) -> None:
    for v in ("5.0.3", "5.1.0", "5.10.2", "6.0.0", "dev:alpha"):
        packed(tmp_path, f"acme/tools@{v}")
    store = OrbStore([tmp_path])
    got = {req: (o.version if (o := store.find("acme", "tools", req)) else None)
           for req in ("5", "5.0", "5.1", "5.10.2", "6", "volatile", "7", "dev:alpha",
                       "dev:beta", "5.0.4")}
    assert got == {"5": "5.10.2", "5.0": "5.0.3", "5.1": "5.1.0", "5.10.2": "5.10.2",
                   "6": "6.0.0", "volatile": "6.0.0", "7": None, "dev:alpha": "dev:alpha",
                   "dev:beta": None, "5.0.4": None}


def test_a_pin_wins_when_the_store_has_it_and_it_matches(tmp_path: Path) -> None:
    for v in ("5.0.3", "5.1.0"):
        packed(tmp_path, f"acme/tools@{v}")
    store = OrbStore([tmp_path])
    assert store.find("acme", "tools", "5", pinned="5.0.3").version == "5.0.3"
    assert store.find("acme", "tools", "5", pinned="5.9.9").version == "5.1.0"  # not there
    assert store.find("acme", "tools", "5", pinned="4.0.0").version == "5.1.0"  # no match


def test_every_layout_is_found_and_the_first_root_wins(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    packed(a, "acme/tools@1.0.0")
    tree(b, "acme/tools@1.0.0")  # shadowed by a's packed file
    tree(b, "acme/tools@2.0.0")
    single = b / "acme" / "tools" / "3.0.0" / "orb.yml"
    single.parent.mkdir(parents=True)
    single.write_text(PACKED.replace("VERSION", "3.0.0"), encoding="utf-8")
    store = OrbStore([a, b])
    versions = store.versions("acme", "tools")
    assert {v: o.layout for v, o in versions.items()} == \
        {"1.0.0": "file", "2.0.0": "tree", "3.0.0": "single"}
    assert versions["1.0.0"].path.parent == a / "acme"
    assert [o.ref for o in store.orbs()] == \
        ["acme/tools@1.0.0", "acme/tools@2.0.0", "acme/tools@3.0.0"]


def test_a_source_tree_is_packed_when_read(tmp_path: Path) -> None:
    tree(tmp_path, "acme/tools@2.0.0")
    store = OrbStore([tmp_path])
    r = store.read(store.find("acme", "tools", "2"), "acme/tools@2")
    assert r.data["commands"]["hello"]["steps"][0]["run"]["command"] == "echo tree 2.0.0\n"
    assert r.digest == orb_digest(r.text) and r.digest.startswith("sha256:")
    assert r.requested == "acme/tools@2"
    assert r.element_files[("commands", "hello")].endswith("commands/hello.yml")


def test_a_source_tree_read_again_under_another_reference_keeps_its_source_files(
        tmp_path: Path) -> None:
    """The cached copy for a second reference (``@2`` then ``@2.0``) once lost the packed
    tree, so findings in it pointed into packed text instead of the file written."""
    tree(tmp_path, "acme/tools@2.0.0")
    store = OrbStore([tmp_path])
    found = store.find("acme", "tools", "2")
    first = store.read(found, "acme/tools@2")
    second = store.read(found, "acme/tools@2.0")
    assert second.requested == "acme/tools@2.0" and second.text == first.text
    assert second.pack is first.pack is not None
    loc = ("commands", "hello", "steps", 0, "run", "command")
    assert first.remap(loc) is not None
    assert second.remap(loc) == first.remap(loc)


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    d = tree(tmp_path, "acme/tools@2.0.0")
    store = OrbStore([tmp_path])
    first = store.read(store.find("acme", "tools", "2.0.0"))
    script = d / "scripts" / "hi.sh"
    script.write_text("echo changed\n", encoding="utf-8")
    later = time.time() + 5
    os.utime(script, (later, later))
    second = store.read(store.find("acme", "tools", "2.0.0"))
    assert second.digest != first.digest
    assert "echo changed" in second.text


def test_names_that_are_not_orb_names_find_nothing(tmp_path: Path) -> None:
    packed(tmp_path, "acme/tools@1.0.0")
    store = OrbStore([tmp_path])
    assert store.versions("..", "tools") == {} and store.versions("acme", "../x") == {}


def test_the_user_store_honours_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    monkeypatch.setenv("WORKFLOWCORE_ORB_STORE", str(tmp_path / "s"))
    assert default_user_store() == tmp_path / "s"
    monkeypatch.delenv("WORKFLOWCORE_ORB_STORE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    assert default_user_store() == tmp_path / "c" / "workflowcore" / "orbs"
    config = tmp_path / "p" / ".circleci" / "config.yml"
    config.parent.mkdir(parents=True)
    config.write_text("version: 2.1\n", encoding="utf-8")
    assert store_for(str(config), tmp_path / "x").roots == \
        (config.parent / "orbs", tmp_path / "x")


# -- lock files -------------------------------------------------------------------------------

def test_a_lock_round_trips_and_pins(tmp_path: Path) -> None:
    path = lock_path_for(tmp_path / ".circleci" / "config.yml")
    assert path == tmp_path / ".circleci" / "orbs.lock"
    assert read_lock(path).orbs == {} and not read_lock(path).exists
    lock = Lock(path, {"acme/tools@5": LockEntry("acme/tools@5.0.3", "sha256:ab")})
    write_lock(lock)
    again = read_lock(path)
    assert again.exists and again.orbs == lock.orbs and again.pins() == {"acme/tools@5": "5.0.3"}
    merged = again.merged({"acme/tools@5": ("acme/tools@5.1.0", "sha256:cd"),
                           "acme/other@1": ("acme/other@1.2.0", "sha256:ef")})
    assert merged.orbs["acme/tools@5"].resolved == "acme/tools@5.0.3"  # never changed
    assert merged.orbs["acme/other@1"].resolved == "acme/other@1.2.0"
    replaced = again.merged({"acme/tools@5": ("acme/tools@5.1.0", "sha256:cd")}, replace=True)
    assert replaced.orbs["acme/tools@5"].resolved == "acme/tools@5.1.0"


def test_a_lock_takes_what_the_store_resolved(tmp_path: Path) -> None:
    """``merged`` takes :class:`Resolved` values as well as pairs; a ``Resolved`` (a named
    tuple) must not be mistaken for a (reference, digest) pair."""
    packed(tmp_path, "acme/tools@1.0.0")
    store = OrbStore([tmp_path])
    resolved = store.read(store.find("acme", "tools", "1"), "acme/tools@1")
    lock = Lock(lock_path_for(tmp_path / "config.yml"), {})
    entry = lock.merged({"acme/tools@1": resolved}).orbs["acme/tools@1"]
    assert (entry.resolved, entry.digest) == ("acme/tools@1.0.0", resolved.digest)


@pytest.mark.parametrize(("text", "fragment"), [
    ("{not json", "cannot be read"),
    ('{"lockfile": 1}', "no `orbs` mapping"),
    ('{"lockfile": 9, "orbs": {}}', "has format 9, this workflowcore reads 1"),
    ('{"lockfile": 1, "orbs": {"a/b@1": {"resolved": "a/b@1.0.0"}}}', "needs `resolved`"),
])
def test_an_unusable_lock_says_what_and_how_to_fix(tmp_path: Path, text: str,
                                                    fragment: str) -> None:
    path = tmp_path / "orbs.lock"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LockError, match="orb lock file") as info:
        read_lock(path)
    assert fragment in str(info.value) and "orb lock" in str(info.value)


def test_check_lock_names_a_changed_or_missing_orb(tmp_path: Path) -> None:
    lock = Lock(tmp_path / "orbs.lock", {
        "a/b@1": LockEntry("a/b@1.0.0", "sha256:aa"),
        "a/c@2": LockEntry("a/c@2.0.0", "sha256:cc"),
        "a/d@3": LockEntry("a/d@3.0.0", "sha256:dd"),
        "a/e@4": LockEntry("a/e@4.0.0", "sha256:ee")})
    diags = check_lock(lock, {"a/b@1": ("a/b@1.0.0", "sha256:aa"),   # as locked
                              "a/c@2": ("a/c@2.0.0", "sha256:XX"),   # changed in the store
                              "a/d@3": ("a/d@3.1.0", "sha256:dd")},  # locked one gone
                       {"e": "a/e@4"})                                # unavailable now
    assert [(d.code, d.message.split(" ")[0]) for d in diags] == [
        ("orb-lock-mismatch", "the"), ("orb-lock-stale", "'a/d@3'"),
        ("orb-lock-stale", "'a/e@4'")]
    assert "sha256:XX" in diags[0].message and "a/d@3.1.0" in diags[1].message
    assert all(d.is_error for d in diags)


# -- findings inside an orb point into its own source files -------------------------------

def test_a_finding_in_a_source_tree_orb_points_at_its_file(tmp_path: Path) -> None:
    import workflowcore as wc

    d = tree(tmp_path / "store", "acme/tools@2.0.0")
    (d / "commands" / "broken.yml").write_text(
        "description: uses a parameter it does not declare\n"
        "steps:\n"
        "  - run: echo << parameters.nope >>\n", encoding="utf-8")
    config = ("version: 2.1\norbs:\n  t: acme/tools@2\njobs:\n  b:\n"
              "    docker: [{image: x}]\n    steps: [t/broken]\n"
              "workflows:\n  w: {jobs: [b]}\n")
    compiled = wc.compile(wc.load(config), wc.Trigger(branch="main"),
                          orb_dir=tmp_path / "store")
    [finding] = [d for d in compiled.diagnostics if d.code == "param-undeclared"]
    assert finding.path == str(d / "commands" / "broken.yml")
    assert (finding.line, finding.column) == (3, 18)  # at `parameters.nope`
    assert "in command 't/broken' invoked at 7:13" in finding.message

    # the same orb as a packed file: the finding points into that file
    packed_store = tmp_path / "packed"
    (packed_store / "acme").mkdir(parents=True)
    text = wc.pack_orb(d).text
    (packed_store / "acme" / "tools@2.0.0.yml").write_text(text, encoding="utf-8")
    again = wc.compile(wc.load(config), wc.Trigger(branch="main"), orb_dir=packed_store)
    [other] = [d for d in again.diagnostics if d.code == "param-undeclared"]
    assert other.path == str(packed_store / "acme" / "tools@2.0.0.yml")
    line = text.splitlines()[other.line - 1]
    assert "parameters.nope" in line
    assert again.data == compiled.data
