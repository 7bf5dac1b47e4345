"""Reading the files a user names: bounded whatever the file claims, never blocking on a
FIFO, and text that libyaml cannot take (lone surrogates) a diagnostic, not a traceback
(issue 10, items 3 and 11)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Iterator

import pytest

from workflowcore import load
from workflowcore.config import load_file
from workflowcore.config._files import FileTooLargeError, NotRegularFileError, read_bounded
from workflowcore.runtime.contexts import load_contexts, load_contexts_file

CONFIG = "version: 2.1\njobs:\n  a:\n    docker: [{image: x}]\n    steps: [checkout]\n"
posix = pytest.mark.skipif(os.name != "posix", reason="FIFOs and /dev are POSIX")


@pytest.fixture
def no_hang() -> Iterator[None]:
    """A guard against the bug coming back: a blocked open() ends the test in 10 s with
    an exception instead of hanging the suite."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def fire(*_: object) -> None:
        raise TimeoutError("blocked reading a user file")

    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(10)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "config.yml"
    os.mkfifo(path)
    return path


@posix
@pytest.mark.usefixtures("no_hang")
def test_a_fifo_is_refused_without_blocking(fifo: Path) -> None:
    with pytest.raises(NotRegularFileError, match="is a FIFO"):
        read_bounded(fifo, 1000)
    with pytest.raises(NotRegularFileError):
        load_file(fifo)
    result = load_contexts_file(fifo)
    assert [d.code for d in result.diagnostics] == ["context-file-unreadable"]
    assert "FIFO" in result.diagnostics[0].message


@posix
@pytest.mark.usefixtures("no_hang")
def test_dev_zero_is_refused_not_read_until_memory_runs_out() -> None:
    with pytest.raises(NotRegularFileError, match="character device"):
        load_file("/dev/zero")
    assert load_contexts_file("/dev/zero").diagnostics[0].code == "context-file-unreadable"


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux /proc")
def test_the_bound_holds_when_st_size_lies() -> None:
    # /proc files are regular files whose st_size is 0; only the read can bound them.
    assert os.stat("/proc/self/status").st_size == 0
    with pytest.raises(FileTooLargeError) as info:
        read_bounded("/proc/self/status", 16)
    assert info.value.size is None and info.value.limit == 16
    result = load_file("/proc/self/status", max_bytes=16)
    assert [d.code for d in result.diagnostics] == ["yaml-too-large"]
    assert "more than the limit of 16 bytes" in result.diagnostics[0].message


def test_max_bytes_bounds_a_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text(CONFIG)
    assert read_bounded(path, len(CONFIG)) == CONFIG.encode()
    result = load_file(path, max_bytes=len(CONFIG) - 1)
    assert [d.code for d in result.diagnostics] == ["yaml-too-large"]
    assert f"is {len(CONFIG)} bytes, more than the limit of {len(CONFIG) - 1}" in \
        result.diagnostics[0].message
    assert "--max-bytes" in (result.diagnostics[0].hint or "")
    assert load_file(path, max_bytes=len(CONFIG)).ok


def test_a_directory_still_says_directory(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        load_file(tmp_path)


def test_bytes_far_over_the_limit_are_refused_undecoded() -> None:
    result = load(b"a" * 100, max_chars=10)
    assert [d.code for d in result.diagnostics] == ["yaml-too-large"]
    # A BOM and ten 2-byte characters (23 bytes) fit a limit of 10 characters.
    fits = load(b"\xef\xbb\xbf" + "\u00e9".encode() * 10, max_chars=10)
    assert all(d.code != "yaml-too-large" for d in fits.diagnostics)


@pytest.mark.parametrize(("bad", "column"), [(chr(0xD800), 6), (chr(0xDCFF), 6)])
def test_a_lone_surrogate_in_a_str_config_is_a_diagnostic(bad: str, column: int) -> None:
    result = load(f"version: 2.1\njobs:\n  a: {bad}\n")
    assert result.config is None
    [d] = result.diagnostics
    assert (d.code, d.line, d.column) == ("yaml-encoding", 3, column)
    if bad == chr(0xDCFF):  # a byte smuggled in with surrogateescape: named as the byte
        assert "byte 0xff" in d.message


def test_a_lone_surrogate_in_contexts_text_is_a_diagnostic() -> None:
    result = load_contexts("contexts:\n  c:\n    environment: {A: \"x\ud800\"}\n")
    assert not result.ok and [d.code for d in result.diagnostics] == ["yaml-encoding"]
    assert result.diagnostics[0].line == 3


def test_a_binary_contexts_file_is_a_positioned_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "contexts.yml"
    path.write_bytes(b"contexts:\n  c: \xff\xfe\n")
    result = load_contexts_file(path)
    [d] = result.diagnostics
    assert (d.code, d.line, d.column) == ("yaml-encoding", 2, 6)


def test_contexts_result_carries_its_lines_for_snippets(tmp_path: Path) -> None:
    path = tmp_path / "contexts.yml"
    path.write_text("contexts:\n  c:\n    environment: {1A: x}\n")
    result = load_contexts_file(path)
    assert result.lines == ["contexts:", "  c:", "    environment: {1A: x}"]
    assert [d.code for d in result.diagnostics] == ["context-env-name"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file types")
def test_a_socket_is_refused(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))
        with pytest.raises(NotRegularFileError, match="socket"):
            read_bounded(path, 100)
