"""Workspaces keep symlinks as they are (issue 12, part C).

A virtualenv persisted to the workspace (``venv/bin/python3 -> /usr/bin/python3``, an
absolute link out of the tree) used to be refused, and the error named the wrong link:
``venv/bin/python -> python3`` (a link *inside* the tree, listed first, whose chain leads
out). CircleCI stores and restores links unchanged; so do we. Extraction still never
writes through a link: a link member followed by a member under it is refused.

Real ``python3 -m venv``, real jobs (SubprocessExecutor), real tar archives.
"""

from __future__ import annotations

import io
import os
import sys
import tarfile
from pathlib import Path
from typing import Dict

import pytest
from tests.runtime._jobenv import Env

from workflowcore.errors import WorkspaceError
from workflowcore.runtime.stores import FileSystemWorkspaceStore
from workflowcore.runtime.stores._archive import extract_archive

pytestmark = pytest.mark.skipif(os.name != "posix", reason="symlinks are POSIX")


def links_under(root: Path) -> Dict[str, str]:
    """Every symlink below ``root`` (not followed) and its target, by relative path."""
    out: Dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            if path.is_symlink():
                out[str(path.relative_to(root))] = os.readlink(path)
    return out


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def test_a_real_virtualenv_and_every_kind_of_link_survive_persist_and_attach(env: Env) -> None:
    outside = env.tmp / "host-dir"
    outside.mkdir()
    produced = env.run("build", [
        {"run": f"{sys.executable} -m venv --without-pip venv && mkdir -p tree/d && "
                "echo data > tree/d/f && cd tree && "
                f"ln -s {outside} abs-out && "      # absolute, out of the tree
                "ln -s d/f rel-in && "              # relative, inside
                "ln -s d dir-link && "              # to a directory
                "ln -s ../../nowhere up-out && "    # relative, leading out
                "ln -s missing dangling"},          # to nothing
        {"persist_to_workspace": {"root": ".", "paths": ["venv", "tree"]}},
    ])
    assert produced.status == "success", produced.log
    before = links_under(env.job_home("build") / "project")
    bin_links = {k: v for k, v in before.items() if k.startswith("venv/bin/")}
    # the interpreter, out of the tree, and a chain to it from inside (python -> python3…)
    assert any(os.path.isabs(t) for t in bin_links.values()), bin_links
    assert any(not os.path.isabs(t) for t in bin_links.values()), bin_links
    consumed = env.run("test", [
        {"attach_workspace": {"at": "."}},
        {"run": "venv/bin/python -c 'import sys; print(sys.prefix)'; cat tree/rel-in "
                "tree/dir-link/f"},
    ], upstream_jobs=("build",))
    assert consumed.status == "success", consumed.log
    project = env.job_home("test") / "project"
    assert links_under(project) == before  # every link, exactly as it was
    assert consumed.steps[1].output.splitlines() == [str(project / "venv"), "data", "data"]
    assert (project / "tree" / "dir-link").resolve() == project / "tree" / "d"
    assert list(outside.iterdir()) == []  # nothing was written through abs-out


def test_a_venv_in_a_persisted_root_is_stored_as_links_not_copies(env: Env) -> None:
    """Storing never reads what a link points to: the interpreter is not copied."""
    produced = env.run("build", [
        {"run": f"{sys.executable} -m venv --without-pip venv"},
        {"persist_to_workspace": {"root": "venv", "paths": ["."]}},
    ])
    assert produced.status == "success", produced.log
    parts = sorted((env.workspace.root / "wf-1" / "build").glob("*.tar"))
    with tarfile.open(parts[-1]) as tar:
        bin_members = [m for m in tar.getmembers() if m.name.startswith("bin/python")]
    assert bin_members and all(m.issym() for m in bin_members)
    assert any(os.path.isabs(m.linkname) for m in bin_members)


def _tar(*members: tarfile.TarInfo, data: bytes = b"evil") -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for info in members:
            if info.isreg():
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    buf.seek(0)
    return buf


def _link(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info


def _file(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.REGTYPE
    return info


@pytest.mark.parametrize("target", ["ABS", "../victim", "."])
def test_a_link_member_followed_by_a_member_under_it_never_writes_outside(
        tmp_path: Path, target: str) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    dest = tmp_path / "dest"
    link_target = str(victim) if target == "ABS" else target
    archive = _tar(_link("venv", link_target), _file("venv/bin/python"),
                   _file("venv/venv/escape"))
    with pytest.raises(WorkspaceError) as info:
        extract_archive(archive, dest, describe="workspace layer 'x'", error=WorkspaceError)
    message = str(info.value)
    assert f"{str(dest / 'venv')!r} is a symlink to {link_target!r}" in message
    assert list(victim.iterdir()) == []  # nothing written through the link
    assert os.readlink(dest / "venv") == link_target  # the link itself was kept as data
    assert not (dest / "bin").exists()


def test_a_later_layer_cannot_write_through_a_link_an_earlier_one_made(tmp_path: Path) -> None:
    store = FileSystemWorkspaceStore(tmp_path / "ws")
    victim = tmp_path / "victim"
    victim.mkdir()
    for job, members in (("a", (_link("lib64", str(victim)),)),
                         ("b", (_file("lib64/site.py"),))):
        layer = store.root / "wf" / job
        layer.mkdir(parents=True)
        (layer / "000001.tar").write_bytes(_tar(*members).getvalue())
    dest = tmp_path / "dest"
    with pytest.raises(WorkspaceError, match="is a symlink to"):
        store.attach("wf", ["a", "b"], dest)
    assert list(victim.iterdir()) == []
