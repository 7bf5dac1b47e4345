"""The symlink rules of workspaces, caches and artifacts (issue 10, items 4, 5, 8 and 13).

* Links are stored and restored as the links they are, wherever they point.
* Unpacking never creates, writes or replaces anything *through* a link: every parent of a
  member is judged as the destination is at that moment, whatever the path looks like.
* A ``root``/``path``/``at`` that leaves the job's directory through a symlink is refused,
  naming the link and where it points.
* Secrets in cache keys never reach the cache metadata.

Real files, real symlinks, real tar archives (some built by hand with ``tarfile``), real jobs.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest
from tests.docker_engine import IMAGE, containers, docker_engine
from tests.runtime._jobenv import Env

from workflowcore.errors import StoreError, WorkspaceError
from workflowcore.runtime.executor import JobRequest, JobResult
from workflowcore.runtime.stores import (
    FileSystemArtifactStore,
    FileSystemCacheStore,
    FileSystemWorkspaceStore,
)
from workflowcore.runtime.stores._archive import ArchiveWriter, extract_archive

__all__ = ["docker_engine"]  # the fixture, imported for pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="symlinks and dir fds are POSIX")


def write(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def tar_of(*members: tuple[str, bytes, str | bytes]) -> io.BytesIO:
    """A tar stream built by hand: ``(name, type, linkname or file content)``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, kind, extra in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
            if kind == tarfile.REGTYPE:
                data = extra if isinstance(extra, bytes) else extra.encode()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                info.linkname = str(extra)
                tar.addfile(info)
    buf.seek(0)
    return buf


def plant_layer(store: FileSystemWorkspaceStore, job: str, buf: io.BytesIO) -> Path:
    layer = store.root / "wf" / job
    layer.mkdir(parents=True, exist_ok=True)
    part = layer / "000001.tar"
    part.write_bytes(buf.getvalue())
    return part


# -- item 4: writes through links ------------------------------------------------------------

def test_a_chain_of_layers_cannot_create_anything_through_a_link(tmp_path: Path) -> None:
    """Layer 1 holds ``d -> .``; layer 2 a deep ``d/d/…/e -> ../../…/<outside>`` that is
    inside lexically. Attached in order, ``e`` would land in the destination pointing out."""
    store = FileSystemWorkspaceStore(tmp_path / "ws")
    dest = tmp_path / "a" / "b" / "dest"
    outside = write(tmp_path / "hostname", "host")
    depth = len(dest.parts) + 2
    one = tmp_path / "one"
    one.mkdir()
    os.symlink(".", one / "d")
    store.persist("wf", "one", one, ["d"])
    two = tmp_path / "two"
    deep = two.joinpath(*["d"] * depth)
    deep.mkdir(parents=True)
    os.symlink("../" * depth + str(outside).lstrip("/"), deep / "e")
    store.persist("wf", "two", two, ["d"])
    with pytest.raises(WorkspaceError) as info:
        store.attach("wf", ["one", "two"], dest)
    message = str(info.value)
    assert f"{str(dest / 'd')!r} is a symlink to '.'" in message
    assert "never creates or writes anything through a link" in message
    assert not os.path.lexists(dest / "e")
    assert outside.read_text() == "host"


def test_a_hand_built_archive_cannot_write_through_its_own_links(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "nest" / "dest"
    store = FileSystemWorkspaceStore(tmp_path / "ws")
    # a link that stays inside, then a file through it
    plant_layer(store, "inside", tar_of(("d", tarfile.SYMTYPE, "."),
                                        ("d/x", tarfile.REGTYPE, "through")))
    with pytest.raises(WorkspaceError, match=r"is a symlink to '\.'"):
        store.attach("wf", ["inside"], dest)
    assert not (dest / "x").exists()
    # a link out (restored: links are kept as they are), then a file and a directory through it
    for job, member in (("file", ("up/pwned", tarfile.REGTYPE, "p")),
                        ("dir", ("up/newdir", tarfile.DIRTYPE, "")),
                        ("link", ("up/ln", tarfile.SYMTYPE, "/etc/passwd"))):
        plant_layer(store, job, tar_of(("up", tarfile.SYMTYPE, "../../outside"), member))
        with pytest.raises(WorkspaceError, match=r"is a symlink to '\.\./\.\./outside'"):
            store.attach("wf", [job], dest)
        assert os.readlink(dest / "up") == "../../outside"
    assert list(outside.iterdir()) == []


def test_links_out_are_restored_and_replaced_but_never_followed(tmp_path: Path) -> None:
    """A later member with a link's name replaces the link itself (later layers win)."""
    outside = write(tmp_path / "outside" / "target", "host file")
    dest = tmp_path / "dest"
    buf = tar_of(("etc", tarfile.SYMTYPE, "/etc"),
                 ("victim", tarfile.SYMTYPE, str(outside)),
                 ("victim", tarfile.REGTYPE, "new"))
    assert extract_archive(buf, dest, describe="test", error=WorkspaceError) == 3
    assert os.readlink(dest / "etc") == "/etc"
    assert not (dest / "victim").is_symlink()
    assert (dest / "victim").read_text() == "new"
    assert outside.read_text() == "host file"


def test_a_hard_link_member_cannot_copy_a_file_through_a_link(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside" / "secret", "host secret")
    dest = tmp_path / "dest"
    buf = tar_of(("ln", tarfile.SYMTYPE, str(outside.parent)),
                 ("copy", tarfile.LNKTYPE, "ln/secret"))
    with pytest.raises(WorkspaceError, match="it is a hard link to 'ln/secret'"):
        extract_archive(buf, dest, describe="test", error=WorkspaceError)
    assert not (dest / "copy").exists()
    # a hard link to an earlier regular file of the archive is copied
    buf = tar_of(("f", tarfile.REGTYPE, "data"), ("g", tarfile.LNKTYPE, "f"))
    extract_archive(buf, tmp_path / "d2", describe="test", error=WorkspaceError)
    assert (tmp_path / "d2" / "g").read_text() == "data"


def test_cache_archives_obey_the_same_rule(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "venv" / "bin").mkdir(parents=True)
    os.symlink("/usr/bin/python3", home / "venv" / "bin" / "python")
    write(home / "venv" / "lib" / "site.py", "site")
    buf = io.BytesIO()
    with ArchiveWriter(buf, StoreError) as writer:
        writer.add_tree(home, "venv", arc_prefix="home", what="save_cache path")
    buf.seek(0)
    restored = tmp_path / "restored"
    restored.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, restored / "venv")  # what the image (or a step) left in HOME
    with pytest.raises(StoreError) as info:
        extract_archive(buf, {"home": restored}, describe="cache 'k'", error=StoreError)
    assert f"{str(restored / 'venv')!r} is a symlink to {str(outside)!r}" in str(info.value)
    assert list(outside.iterdir()) == []


# -- item 13: refusals name the real cause and the destination -------------------------------

def test_refusals_of_bad_members_name_the_destination_not_dot(tmp_path: Path) -> None:
    home, root = tmp_path / "home", tmp_path / "root"
    for name in ("/etc/passwd", "home/../../x"):
        with pytest.raises(StoreError) as info:
            extract_archive(tar_of((name, tarfile.REGTYPE, "x")),
                            {"home": home, "abs": root}, describe="cache 'k'",
                            error=StoreError)
        message = str(info.value)
        assert "'.'" not in message
        assert repr(str(home)) in message and repr(str(root)) in message
        assert "tampered" in message  # this one *is* the archive's fault


# -- jobs: SubprocessExecutor ----------------------------------------------------------------

@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def test_a_virtualenv_link_survives_persist_and_attach(env: Env) -> None:
    producer = env.run("build", [
        {"run": f"mkdir -p venv/bin && ln -s {sys.executable} venv/bin/python"},
        {"persist_to_workspace": {"root": ".", "paths": ["venv"]}},
    ])
    assert producer.ok, producer.log
    consumer = env.run("test", [
        {"attach_workspace": {"at": "ws"}},
        {"run": "readlink ws/venv/bin/python && ws/venv/bin/python -c 'print(6*7)'"},
    ], upstream_jobs=("build",))
    assert consumer.ok, consumer.log
    assert consumer.steps[1].output == f"{sys.executable}\n42"


def test_a_refused_cache_restore_names_the_planted_link(env: Env) -> None:
    saved = env.run("save", [
        {"run": "mkdir -p ~/.cache/pip && echo wheel > ~/.cache/pip/w"},
        {"save_cache": {"key": "pip-v1", "paths": ["~/.cache/pip"]}},
    ])
    assert saved.ok, saved.log
    outside = env.tmp / "host-cache"
    outside.mkdir()
    restore = env.run("restore", [
        {"run": f"ln -s {outside} ~/.cache"},
        {"restore_cache": {"key": "pip-v1"}},
    ])
    assert [s.status for s in restore.steps] == ["success", "warning"]
    note = restore.steps[1].note or ""
    home = env.job_home("restore")
    assert f"{str(home / '.cache')!r} is a symlink to {str(outside)!r}" in note
    assert f"into {str(home)!r}" in note
    assert "tampered" not in note
    assert list(outside.iterdir()) == []


# -- item 5: a root, source or `at` that is itself a symlink ----------------------------------

def test_store_artifacts_refuses_a_source_linked_out_of_the_job(env: Env) -> None:
    outside = write(env.tmp / "outside" / "secret.txt", "host secret").parent
    result = env.run("art", [
        {"run": f"ln -s {outside} ~/art && mkdir -p ~/ok/real && echo r > ~/ok/real/f && "
                "ln -s real ~/ok/inner"},
        {"store_artifacts": {"path": "~/art"}},
        {"store_artifacts": {"path": "~/ok/inner", "destination": "inner"}},
    ])
    assert [s.status for s in result.steps] == ["success", "failed", "success"]
    note = result.steps[1].note or ""
    assert f"{env.job_home('art')}/art, a symlink to {str(outside)!r}" in note
    assert "outside the job's directory" in note
    # a link that stays in the job's directory is followed
    assert [a.path for a in result.artifacts] == ["inner/f"]
    assert not list(env.artifacts.root.rglob("secret.txt"))


def test_persist_root_linked_out_of_the_job_is_refused(env: Env) -> None:
    outside = write(env.tmp / "outside" / "secret.txt", "host secret").parent
    result = env.run("build", [
        {"run": f"ln -s {outside} ~/r"},
        {"persist_to_workspace": {"root": "~/r", "paths": ["."]}},
    ])
    assert result.status == "failed"
    assert f"{env.job_home('build')}/r, a symlink to {str(outside)!r}" in (result.message or "")
    assert not list(env.workspace.root.rglob("*.tar"))


def test_attach_at_linked_out_of_the_job_is_refused(env: Env) -> None:
    producer = env.run("build", [
        {"run": "mkdir -p out && echo built > out/f"},
        {"persist_to_workspace": {"root": ".", "paths": ["out"]}},
    ])
    assert producer.ok, producer.log
    outside = env.tmp / "outside"
    outside.mkdir()
    result = env.run("deploy", [
        {"run": f"ln -s {outside} ~/at"},
        {"attach_workspace": {"at": "~/at/sub"}},
    ], upstream_jobs=("build",))
    assert result.status == "failed"
    assert f"{env.job_home('deploy')}/at, a symlink to {str(outside)!r}" in (result.message or "")
    assert list(outside.iterdir()) == []  # not even the directory `sub` was created there


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_committed_link_carries_no_host_file(tmp_path: Path) -> None:
    ssh = write(tmp_path / "host-home" / ".ssh" / "id_rsa", "PRIVATE KEY").parent
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@e", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    os.symlink(ssh, repo / "coverage")
    subprocess.run([*git, "add", "coverage"], check=True)
    subprocess.run([*git, "commit", "-qm", "c"], check=True)
    env = Env(tmp_path, source=repo)
    for n, (step, ok) in enumerate([
            ({"store_artifacts": {"path": "coverage"}}, False),
            ({"persist_to_workspace": {"root": "coverage", "paths": ["."]}}, False),
            ({"persist_to_workspace": {"root": ".", "paths": ["coverage/*"]}}, False),
            ({"persist_to_workspace": {"root": ".", "paths": ["coverage"]}}, True)]):
        result = env.run(f"leak{n}", ["checkout", step])
        assert result.ok is ok, result.log
        if not ok:
            note = result.steps[1].note or ""
            assert "coverage" in note and f"a symlink to {str(ssh)!r}" in note, note
    stored = b"".join(p.read_bytes() for p in tmp_path.joinpath("stores").rglob("*")
                      if p.is_file())
    assert b"PRIVATE KEY" not in stored  # the link itself was persisted, not its files


# -- item 8: secrets in cache keys -------------------------------------------------------------

def test_secrets_in_cache_keys_never_reach_the_metadata(env: Env) -> None:
    secret = "s3cr3t-" + uuid.uuid4().hex
    key = "deps-{{ .Environment.TOKEN }}-v1"
    saved = env.run("save", [
        {"run": "mkdir -p ~/deps && echo d > ~/deps/d"},
        {"save_cache": {"key": key, "paths": ["~/deps"]}},
    ], environment={"TOKEN": secret}, secrets=(secret,))
    assert saved.ok, saved.log
    on_disk = b"".join(p.read_bytes() for p in env.caches.root.rglob("*") if p.is_file())
    assert secret.encode() not in on_disk
    metas = [json.loads(p.read_text()) for p in env.caches.root.rglob("meta.json")]
    assert [m["key"][:13] for m in metas] == ["deps-********"]
    assert secret not in saved.log
    # the same secret finds it (prefix matching still works); another one does not
    again = env.run("restore", [
        {"restore_cache": {"keys": ["deps-{{ .Environment.TOKEN }}", "nothing"]}},
        {"run": "cat ~/deps/d"},
    ], environment={"TOKEN": secret}, secrets=(secret,))
    assert again.ok and again.steps[1].output == "d", again.log
    other = env.run("other", [
        {"restore_cache": {"key": key}},
    ], environment={"TOKEN": "another-value"}, secrets=("another-value",))
    assert (other.steps[0].note or "").startswith("No cache is found")


# -- the Docker executor ----------------------------------------------------------------------

class DockerEnv:
    def __init__(self, tmp: Path) -> None:
        from workflowcore.runtime.executors.docker import DockerExecutor

        self.run_id = f"test-{uuid.uuid4().hex[:10]}"
        self.workspace = FileSystemWorkspaceStore(tmp / "stores" / "workspace")
        self.caches = FileSystemCacheStore(tmp / "stores" / "cache")
        self.artifacts = FileSystemArtifactStore(tmp / "stores" / "artifacts")
        self.executor = DockerExecutor(tmp / "run", None, kill_grace=0.5)

    def run(self, job: str, steps: List[Any], **kwargs: Any) -> JobResult:
        definition: Dict[str, Any] = {"docker": [{"image": IMAGE}], "steps": steps}
        return self.executor.execute(JobRequest(
            run_id=self.run_id, workflow_id="wf-1", job_name=job, definition=definition,
            workspace=self.workspace, caches=self.caches, artifacts=self.artifacts,
            **kwargs))


@pytest.fixture
def denv(tmp_path: Path, docker_engine: str) -> Any:
    e = DockerEnv(tmp_path)
    yield e
    e.executor.close()
    assert containers(e.run_id) == [], "a container of the run was left behind"


@pytest.mark.docker
def test_docker_links_survive_and_roots_linked_out_are_refused(denv: DockerEnv) -> None:
    setup = "mkdir -p venv/bin /outside && echo s > /outside/secret && " \
            "ln -s /bin/busybox venv/bin/python && ln -s /outside ~/art"
    producer = denv.run("build", [
        {"run": setup},
        {"persist_to_workspace": {"root": ".", "paths": ["venv"]}},
    ])
    assert producer.ok, producer.log
    for n, step in enumerate([{"store_artifacts": {"path": "~/art"}},
                              {"persist_to_workspace": {"root": "~/art", "paths": ["."]}}]):
        refused = denv.run(f"refused{n}", [{"run": setup}, step])
        assert [s.status for s in refused.steps] == ["success", "failed"], refused.log
        assert "/root/art, a symlink to '/outside'" in (refused.steps[1].note or "")
    assert denv.workspace.layers("wf-1") == ["build"]
    consumer = denv.run("test", [
        {"attach_workspace": {"at": "ws"}},
        {"run": "readlink ws/venv/bin/python"},
    ], upstream_jobs=("build",))
    assert consumer.ok, consumer.log
    assert consumer.steps[1].output == "/bin/busybox"
    linked = denv.run("linked", [
        {"run": "mkdir -p /elsewhere && ln -s /elsewhere ~/at"},
        {"attach_workspace": {"at": "~/at"}},
    ], upstream_jobs=("build",))
    assert [s.status for s in linked.steps] == ["success", "failed"], linked.log
    assert "/root/at, a symlink to '/elsewhere'" in (linked.steps[1].note or "")


@pytest.mark.docker
def test_docker_chain_of_layers_is_refused_in_the_scratch_copy(denv: DockerEnv) -> None:
    first = denv.run("one", [
        {"run": "mkdir -p one && ln -s . one/d"},
        {"persist_to_workspace": {"root": "one", "paths": ["d"]}},
    ])
    assert first.ok, first.log
    second = denv.run("two", [
        {"run": "mkdir -p two/d/d/d && ln -s /etc/hostname two/d/d/d/e"},
        {"persist_to_workspace": {"root": "two", "paths": ["d"]}},
    ])
    assert second.ok, second.log
    attach = denv.run("three", [
        {"attach_workspace": {"at": "ws"}},
        {"run": "true"},
    ], upstream_jobs=("one", "two"))
    assert [s.status for s in attach.steps] == ["failed", "skipped"], attach.log
    assert "is a symlink to '.'" in (attach.steps[0].note or "")
