"""FileSystemWorkspaceStore on real files: layering, Go globs and every refused path escape."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from workflowcore.errors import WorkspaceError
from workflowcore.runtime.stores import FileSystemWorkspaceStore, WorkspaceStore
from workflowcore.runtime.stores._glob import BadPatternError, glob, match_segment


def write(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def store(tmp_path: Path) -> FileSystemWorkspaceStore:
    return FileSystemWorkspaceStore(tmp_path / "ws")


def test_is_a_workspace_store(store: FileSystemWorkspaceStore) -> None:
    assert isinstance(store, WorkspaceStore)


def test_persist_then_attach_round_trip(store: FileSystemWorkspaceStore, tmp_path: Path) -> None:
    root = tmp_path / "root"
    write(root / "dist" / "app.bin", "binary")
    write(root / "dist" / "sub" / "deep.txt", "deep")
    write(root / "notes.txt", "n")
    (root / "dist" / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(root / "dist" / "run.sh", 0o755)
    assert store.persist("wf", "build", root, ["dist"]) == ["dist"]
    dest = tmp_path / "dest"
    assert store.attach("wf", ["build"], dest) == ["build"]
    assert (dest / "dist" / "app.bin").read_text() == "binary"
    assert (dest / "dist" / "sub" / "deep.txt").read_text() == "deep"
    assert not (dest / "notes.txt").exists()  # only what was persisted
    assert os.stat(dest / "dist" / "run.sh").st_mode & 0o111  # modes survive


def test_paths_land_relative_to_root(store: FileSystemWorkspaceStore, tmp_path: Path) -> None:
    root = tmp_path / "r"
    write(root / "foo" / "bar", "b")
    store.persist("wf", "a", root, ["foo/bar"])
    dest = tmp_path / "d"
    store.attach("wf", ["a"], dest)
    assert (dest / "foo" / "bar").read_text() == "b"  # R7.2: root/foo/bar -> foo/bar


def test_dot_persists_the_whole_root(store: FileSystemWorkspaceStore, tmp_path: Path) -> None:
    root = tmp_path / "r"
    write(root / "a.txt")
    write(root / "b" / "c.txt")
    store.persist("wf", "a", root, ["."])
    dest = tmp_path / "d"
    store.attach("wf", ["a"], dest)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.txt")) == [
        "a.txt", "b/c.txt"]


def test_later_layer_wins_in_given_order(store: FileSystemWorkspaceStore, tmp_path: Path) -> None:
    r1, r2 = tmp_path / "r1", tmp_path / "r2"
    write(r1 / "f", "from a")
    write(r1 / "only-a", "a")
    write(r2 / "f", "from b")
    store.persist("wf", "a", r1, ["f", "only-a"])
    store.persist("wf", "b", r2, ["f"])
    d1 = tmp_path / "d1"
    store.attach("wf", ["a", "b"], d1)
    assert (d1 / "f").read_text() == "from b"
    assert (d1 / "only-a").read_text() == "a"  # additive
    d2 = tmp_path / "d2"
    store.attach("wf", ["b", "a"], d2)
    assert (d2 / "f").read_text() == "from a"


def test_repeated_persist_in_one_job_is_additive(store: FileSystemWorkspaceStore,
                                                 tmp_path: Path) -> None:
    root = tmp_path / "r"
    write(root / "one", "1")
    store.persist("wf", "a", root, ["one"])
    write(root / "one", "1b")
    write(root / "two", "2")
    store.persist("wf", "a", root, ["two", "one"])
    dest = tmp_path / "d"
    store.attach("wf", ["a"], dest)
    assert (dest / "one").read_text() == "1b"
    assert (dest / "two").read_text() == "2"
    assert len(list((tmp_path / "ws" / "wf" / "a").glob("*.tar"))) == 2


def test_attach_only_sees_the_named_jobs_and_runs(store: FileSystemWorkspaceStore,
                                                  tmp_path: Path) -> None:
    root = tmp_path / "r"
    write(root / "x", "x")
    store.persist("wf1", "a", root, ["x"])
    dest = tmp_path / "d"
    assert store.attach("wf2", ["a"], dest) == []
    assert store.attach("wf1", ["other"], dest) == []
    assert not (dest / "x").exists()


def test_copy_layers_for_rerun_from_failed(store: FileSystemWorkspaceStore, tmp_path: Path) -> None:
    root = tmp_path / "r"
    write(root / "a.txt", "A")
    store.persist("old", "build", root, ["a.txt"])
    write(root / "b.txt", "B")
    store.persist("old", "lint", root, ["b.txt"])
    assert store.copy_layers("old", "new", ["build"]) == ["build"]
    assert store.layers("new") == ["build"]
    dest = tmp_path / "d"
    store.attach("new", ["build", "lint"], dest)
    assert (dest / "a.txt").read_text() == "A"
    assert not (dest / "b.txt").exists()
    assert store.copy_layers("old", "all") == ["build", "lint"]
    assert store.copy_layers("old", "all") == []  # already there: kept, not overwritten


def test_job_names_are_safe_path_components(store: FileSystemWorkspaceStore,
                                            tmp_path: Path) -> None:
    root = tmp_path / "r"
    write(root / "x")
    store.persist("../../escape", "../job/..", root, ["x"])
    assert store.layers("../../escape") == ["../job/.."]
    ws = str(tmp_path / "ws") + os.sep
    assert all(str(p).startswith(ws) for p in (tmp_path / "ws").rglob("*"))
    assert not (tmp_path / "escape").exists()


# -- Go globs ------------------------------------------------------------------------------

@pytest.mark.parametrize(("pattern", "name", "expected"), [
    ("*.txt", "a.txt", True),
    ("*.txt", ".hidden.txt", True),  # Go's * matches leading dots
    ("*", "a/b", False),             # never crosses a separator
    ("a?c", "abc", True),
    ("a?c", "a/c", False),
    ("[a-c]x", "bx", True),
    ("[^a-c]x", "bx", False),
    ("[^a-c]x", "dx", True),
    ("\\*", "*", True),
    ("\\*", "a", False),
    ("**", "abc", True),             # ** is just two stars: no recursion
])
def test_go_match(pattern: str, name: str, expected: bool) -> None:
    assert match_segment(pattern, name) is expected


@pytest.mark.parametrize("pattern", ["[", "[]", "a\\", "[z-a]"])
def test_bad_patterns(pattern: str) -> None:
    with pytest.raises(BadPatternError):
        match_segment(pattern, "a")


def test_glob_does_not_recurse(tmp_path: Path) -> None:
    write(tmp_path / "a.whl")
    write(tmp_path / "sub" / "b.whl")
    write(tmp_path / "sub" / "c.txt")
    assert glob(tmp_path, "*.whl") == ["a.whl"]
    assert glob(tmp_path, "*/*.whl") == ["sub/b.whl"]
    assert glob(tmp_path, "**/*.whl") == ["sub/b.whl"]  # one level, like Go
    assert glob(tmp_path, "nothing-*") == []


def test_persist_glob_and_no_match_error(store: FileSystemWorkspaceStore, tmp_path: Path) -> None:
    root = tmp_path / "r"
    write(root / "pkg" / "a.whl")
    write(root / "pkg" / "b.whl")
    write(root / "pkg" / "c.txt")
    assert store.persist("wf", "a", root, ["pkg/*.whl"]) == ["pkg/a.whl", "pkg/b.whl"]
    with pytest.raises(WorkspaceError, match="did not match any files"):
        store.persist("wf", "a", root, ["pkg/*.tar.gz"])
    with pytest.raises(WorkspaceError, match="did not match any files"):
        store.persist("wf", "a", root, ["missing-dir"])
    with pytest.raises(WorkspaceError, match="not a valid glob"):
        store.persist("wf", "a", root, ["pkg/[a"])


def test_missing_root_is_refused(store: FileSystemWorkspaceStore, tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="is not a directory"):
        store.persist("wf", "a", tmp_path / "nope", ["x"])


# -- refusals when persisting ----------------------------------------------------------------

@pytest.mark.parametrize("bad", ["../secret", "a/../../secret", "/etc/passwd", "..", "x/.."])
def test_persist_refuses_escaping_paths(store: FileSystemWorkspaceStore, tmp_path: Path,
                                        bad: str) -> None:
    root = tmp_path / "r"
    write(root / "x" / "y")
    write(tmp_path / "secret", "s")
    with pytest.raises(WorkspaceError) as info:
        store.persist("wf", "a", root, [bad])
    assert repr(bad) in str(info.value)
    assert "move `root` up" in str(info.value)  # says how to fix it
    assert store.layers("wf") == [] or not list((tmp_path / "ws").rglob("*.tar"))


def test_persist_keeps_links_to_outside_as_links(store: FileSystemWorkspaceStore,
                                                 tmp_path: Path) -> None:
    """Links are persisted as links wherever they point (as CircleCI does); what they
    point to is never read, so no host file travels in the layer."""
    root = tmp_path / "r"
    write(tmp_path / "outside" / "secret", "host secret")
    (root / "venv" / "bin").mkdir(parents=True)
    os.symlink("/usr/bin/python3", root / "venv" / "bin" / "python")
    os.symlink(tmp_path / "outside" / "secret", root / "leak")
    os.symlink("../../outside/secret", root / "venv" / "rel-leak")
    store.persist("wf", "a", root, ["leak", "venv"])
    layer = b"".join(p.read_bytes() for p in (tmp_path / "ws").rglob("*.tar"))
    assert b"host secret" not in layer
    dest = tmp_path / "d"
    store.attach("wf", ["a"], dest)
    assert os.readlink(dest / "venv" / "bin" / "python") == "/usr/bin/python3"
    assert os.readlink(dest / "leak") == str(tmp_path / "outside" / "secret")
    assert os.readlink(dest / "venv" / "rel-leak") == "../../outside/secret"


def test_persist_refuses_path_through_symlinked_directory(store: FileSystemWorkspaceStore,
                                                         tmp_path: Path) -> None:
    root = tmp_path / "r"
    write(tmp_path / "outside" / "secret", "s")
    root.mkdir()
    os.symlink(tmp_path / "outside", root / "linkdir")
    with pytest.raises(WorkspaceError) as info:
        store.persist("wf", "a", root, ["linkdir/secret"])
    # names the link and where it points
    assert f"{str(root / 'linkdir')!r}, a symlink to {str(tmp_path / 'outside')!r}" in str(
        info.value)
    with pytest.raises(WorkspaceError, match="linkdir"):
        store.persist("wf", "a", root, ["linkdir/*"])
    # a link that stays inside the root may be gone through
    write(root / "real" / "f", "f")
    os.symlink("real", root / "inner")
    assert store.persist("wf", "a", root, ["inner/f"]) == ["inner/f"]


def test_symlinks_inside_root_are_kept_and_absolute_ones_made_relative(
        store: FileSystemWorkspaceStore, tmp_path: Path) -> None:
    root = tmp_path / "r"
    write(root / "real" / "file", "content")
    os.symlink("real/file", root / "rel-link")
    os.symlink(root / "real", root / "abs-link")
    store.persist("wf", "a", root, ["."])
    dest = tmp_path / "d"
    store.attach("wf", ["a"], dest)
    assert os.readlink(dest / "rel-link") == "real/file"
    assert os.readlink(dest / "abs-link") == "real"
    assert (dest / "abs-link" / "file").read_text() == "content"


# -- refusals when attaching (tampered layers) ------------------------------------------------

def _plant_layer(store: FileSystemWorkspaceStore, members: list[tarfile.TarInfo],
                 data: dict[str, bytes] | None = None) -> Path:
    layer = store.root / "wf" / "evil"
    layer.mkdir(parents=True, exist_ok=True)
    part = layer / "000001.tar"
    with tarfile.open(part, "w") as tar:
        for m in members:
            payload = (data or {}).get(m.name)
            if payload is not None:
                m.size = len(payload)
                tar.addfile(m, io.BytesIO(payload))
            else:
                tar.addfile(m)
    return part


def _member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.mode = 0o644
    return info


@pytest.mark.parametrize(("members", "data", "fragment"), [
    ([_member("/abs/evil")], {"/abs/evil": b"x"}, "'/abs/evil'"),
    ([_member("../evil")], {"../evil": b"x"}, "'../evil'"),
    ([_member("a/../../evil")], {"a/../../evil": b"x"}, "'a/../../evil'"),
    ([_member("hard", tarfile.LNKTYPE, "../outside")], None, "'hard'"),
    ([_member("dev", tarfile.CHRTYPE)], None, "'dev'"),
])
def test_attach_refuses_malicious_members(store: FileSystemWorkspaceStore, tmp_path: Path,
                                          members: list[tarfile.TarInfo],
                                          data: dict[str, bytes] | None, fragment: str) -> None:
    part = _plant_layer(store, members, data)
    dest = tmp_path / "dest"
    with pytest.raises(WorkspaceError) as info:
        store.attach("wf", ["evil"], dest)
    message = str(info.value)
    assert fragment in message
    assert str(part) in message
    assert "delete it" in message
    assert not (tmp_path / "evil").exists()
    assert not (tmp_path / "outside").exists()


def test_file_and_directory_conflicts_between_layers(store: FileSystemWorkspaceStore,
                                                     tmp_path: Path) -> None:
    as_file, as_dir = tmp_path / "r1", tmp_path / "r2"
    write(as_file / "out", "a file")
    write(as_dir / "out" / "inner", "x")
    store.persist("wf", "file", as_file, ["out"])
    store.persist("wf", "dir", as_dir, ["out"])
    d1 = tmp_path / "d1"
    store.attach("wf", ["file", "dir"], d1)  # a later directory replaces an earlier file
    assert (d1 / "out" / "inner").read_text() == "x"
    with pytest.raises(WorkspaceError, match="a directory with that name already exists"):
        store.attach("wf", ["dir", "file"], tmp_path / "d2")  # but never the other way


def test_attach_never_writes_through_a_planted_symlink(store: FileSystemWorkspaceStore,
                                                       tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "r"
    write(root / "out" / "passwd", "overwritten?")
    write(root / "victim", "new content")
    store.persist("wf", "a", root, ["out", "victim"])
    dest = tmp_path / "dest"
    dest.mkdir()
    os.symlink(outside, dest / "out")            # a directory link planted in dest
    os.symlink(outside / "target", dest / "victim")  # a file link planted in dest
    with pytest.raises(WorkspaceError) as info:
        store.attach("wf", ["a"], dest)
    # the real cause, with the destination named: not "tampered with"
    assert f"{str(dest / 'out')!r} is a symlink to {str(outside)!r}" in str(info.value)
    assert f"into {str(dest)!r}" in str(info.value)
    assert "tampered" not in str(info.value)
    assert not (outside / "passwd").exists()
    # a planted file link is replaced, not followed
    store2 = FileSystemWorkspaceStore(tmp_path / "ws2")
    store2.persist("wf", "a", root, ["victim"])
    store2.attach("wf", ["a"], dest)
    assert not (dest / "victim").is_symlink()
    assert (dest / "victim").read_text() == "new content"
    assert not (outside / "target").exists()


def test_a_persist_failing_midway_leaves_no_half_layer(store: FileSystemWorkspaceStore,
                                                       tmp_path: Path) -> None:
    root = tmp_path / "r"
    write(root / "good", "g" * 100_000)  # written into the temporary part first...
    write(tmp_path / "outside")
    (tmp_path / "outside-dir").mkdir()
    write(tmp_path / "outside-dir" / "f")
    os.symlink(tmp_path / "outside-dir", root / "bad")  # ...then a path through it is refused
    with pytest.raises(WorkspaceError):
        store.persist("wf", "a", root, ["good", "bad/f"])
    layer = tmp_path / "ws" / "wf" / "a"
    assert list(layer.iterdir()) == []  # neither a part nor a temporary file
    assert store.attach("wf", ["a"], tmp_path / "d") == []
