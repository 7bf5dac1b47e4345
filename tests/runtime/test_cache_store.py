"""FileSystemCacheStore and cache-key templates: CircleCI's prefix / most-recent rules."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
from pathlib import Path
from typing import IO, Callable

import pytest

from workflowcore.errors import StoreError
from workflowcore.runtime.steps import CacheKeyError, arch_string, render_cache_key
from workflowcore.runtime.stores import CacheStore, FileSystemCacheStore
from workflowcore.runtime.stores._archive import ArchiveWriter, extract_archive


def blob(text: str) -> Callable[[IO[bytes]], None]:
    def write(fh: IO[bytes]) -> None:
        fh.write(text.encode())
    return write


def read(store: FileSystemCacheStore, key: str) -> str:
    with store.open(key) as fh:
        return fh.read().decode()


@pytest.fixture
def store(tmp_path: Path) -> FileSystemCacheStore:
    return FileSystemCacheStore(tmp_path / "cache")


def test_is_a_cache_store(store: FileSystemCacheStore) -> None:
    assert isinstance(store, CacheStore)


def test_keys_are_immutable(store: FileSystemCacheStore) -> None:
    assert store.save("v1-deps-abc", blob("first")) is True
    assert store.save("v1-deps-abc", blob("second")) is False
    assert read(store, "v1-deps-abc") == "first"
    assert store.exists("v1-deps-abc")
    assert not store.exists("v1-deps")


def test_restore_matches_prefixes_and_most_recent_wins(store: FileSystemCacheStore) -> None:
    store.save("v1-deps-main-aaa", blob("exact-but-old"))
    store.save("v1-deps-main-aaa-extra", blob("newer"))
    # the exact key exists, but a newer key with the same prefix wins (R1.7)
    assert store.match(["v1-deps-main-aaa"]) == "v1-deps-main-aaa-extra"
    assert store.match(["v1-deps-"]) == "v1-deps-main-aaa-extra"
    store.save("v1-deps-feature-bbb", blob("newest"))
    assert store.match(["v1-deps-"]) == "v1-deps-feature-bbb"


def test_first_candidate_with_a_match_decides(store: FileSystemCacheStore) -> None:
    store.save("v1-main-1", blob("a"))
    store.save("v1-other-2", blob("b"))  # more recent, but only matches the fallback
    assert store.match(["v1-main-", "v1-"]) == "v1-main-1"
    assert store.match(["v2-", "v1-"]) == "v1-other-2"
    assert store.match(["v2-", "", "v3"]) is None  # empty candidates never match everything


def test_a_failing_writer_leaves_nothing(store: FileSystemCacheStore, tmp_path: Path) -> None:
    def boom(fh: IO[bytes]) -> None:
        fh.write(b"partial")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        store.save("k", boom)
    assert not store.exists("k")
    assert store.match(["k"]) is None
    assert list((tmp_path / "cache").iterdir()) == []  # no temporary directory left


def test_entries_and_delete(store: FileSystemCacheStore) -> None:
    store.save("a", blob("1"))
    store.save("b", blob("22"))
    assert [(e.key, e.size) for e in store.entries()] == [("a", 1), ("b", 2)]
    assert store.delete("a") is True
    assert store.delete("a") is False
    assert [e.key for e in store.entries()] == ["b"]


@pytest.mark.parametrize("bad", ["", "   ", "k" * 901])
def test_bad_keys(store: FileSystemCacheStore, bad: str) -> None:
    with pytest.raises(StoreError):
        store.save(bad, blob("x"))


def test_open_unknown_key(store: FileSystemCacheStore) -> None:
    with pytest.raises(StoreError, match="no cache saved"):
        store.open("nope")


# -- key templates --------------------------------------------------------------------------

ENV = {"CIRCLE_BRANCH": "main", "CIRCLE_SHA1": "abc123", "CIRCLE_BUILD_NUM": "42",
       "LANG_VERSION": "3.11"}


def no_files(name: str) -> str:
    raise FileNotFoundError(2, "No such file or directory", f"/work/{name}")


def test_template_fields() -> None:
    key = render_cache_key(
        "v1-{{ .Branch }}-{{ .Revision }}-{{ .BuildNum }}-{{ .Environment.LANG_VERSION }}"
        "-{{ epoch }}-{{.Branch}}", environment=ENV, checksum=no_files, now=1700000000.7)
    assert key == "v1-main-abc123-42-3.11-1700000000-main"


def test_missing_environment_variable_renders_like_go() -> None:
    assert render_cache_key("v1-{{ .Environment.NOPE }}", environment=ENV,
                            checksum=no_files) == "v1-<no value>"


def test_checksum_is_base64_sha256(tmp_path: Path) -> None:
    f = tmp_path / "package-lock.json"
    f.write_bytes(b'{"lock": 1}\n')
    expected = base64.b64encode(hashlib.sha256(b'{"lock": 1}\n').digest()).decode()
    from workflowcore.runtime.steps import file_checksum

    key = render_cache_key('deps-{{ checksum "package-lock.json" }}', environment=ENV,
                           checksum=lambda name: file_checksum(tmp_path / name))
    assert key == f"deps-{expected}"


def test_checksum_of_missing_file_is_an_error_like_circleci() -> None:
    with pytest.raises(CacheKeyError) as info:
        render_cache_key('v1-{{ checksum "package.json" }}', environment=ENV,
                         checksum=no_files)
    assert "error computing cache key" in str(info.value)
    assert "open /work/package.json: no such file or directory" in str(info.value)


def test_unknown_action_is_an_error() -> None:
    with pytest.raises(CacheKeyError, match="unsupported template action"):
        render_cache_key("v1-{{ .Nope }}", environment=ENV, checksum=no_files)


def test_arch() -> None:
    assert render_cache_key("{{ arch }}", environment={}, checksum=no_files) == arch_string()
    assert arch_string().startswith("arch1-")


# -- cache archives: external links allowed, writing through them never --------------------

def test_cache_archives_keep_external_links_but_never_write_through_them(
        tmp_path: Path) -> None:
    venv = tmp_path / "home" / "venv"
    (venv / "bin").mkdir(parents=True)
    os.symlink("/usr/bin/python3", venv / "bin" / "python")  # what a virtualenv looks like
    buf = io.BytesIO()
    with ArchiveWriter(buf, StoreError) as w:
        w.add_tree(tmp_path / "home", "venv", arc_prefix="home")
    buf.seek(0)
    dest = tmp_path / "restored"
    extract_archive(buf, {"home": dest}, describe="cache", error=StoreError)
    assert os.readlink(dest / "venv" / "bin" / "python") == "/usr/bin/python3"

    # a crafted archive: a link out, then a file "inside" that link
    outside = tmp_path / "outside"
    outside.mkdir()
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w") as tar:
        link = tarfile.TarInfo("home/ln")
        link.type = tarfile.SYMTYPE
        link.linkname = str(outside)
        tar.addfile(link)
        f = tarfile.TarInfo("home/ln/pwned")
        f.size = 1
        tar.addfile(f, io.BytesIO(b"x"))
    evil.seek(0)
    with pytest.raises(StoreError, match="never creates or writes anything through a link"):
        extract_archive(evil, {"home": tmp_path / "d2"}, describe="cache", error=StoreError)
    assert not (outside / "pwned").exists()


def test_cache_archive_unknown_anchor_is_refused(tmp_path: Path) -> None:
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w") as tar:
        f = tarfile.TarInfo("etc/passwd")
        f.size = 1
        tar.addfile(f, io.BytesIO(b"x"))
    evil.seek(0)
    with pytest.raises(StoreError, match="unknown top-level directory 'etc'"):
        extract_archive(evil, {"home": tmp_path}, describe="cache", error=StoreError)
