"""``workflowcore orb pack`` / ``orb validate`` through the real command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workflowcore.config.orbs import pack_orb

from ._tree import make_orb

INSTALL = """\
steps:
  - run:
      command: <<include(scripts/install.sh)>>
"""
FILES = {
    "commands/install.yml": INSTALL,
    "scripts/install.sh": "echo install\n",
    "jobs/build.yml": "docker: [{image: cimg/base:stable}]\nsteps: [install]\n",
}


def wfc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workflowcore", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def orb(tmp_path: Path) -> Path:
    return make_orb(tmp_path / "src", FILES)


def test_pack_prints_the_packed_orb(orb: Path) -> None:
    r = wfc("orb", "pack", "src", cwd=orb.parent)
    assert r.returncode == 0, r.stderr
    assert r.stdout == pack_orb(orb).text
    assert "        command: |\n          echo install\n" in r.stdout
    assert r.stderr == ""


def test_pack_to_a_file(orb: Path) -> None:
    r = wfc("orb", "pack", "src", "-o", "orb.yml", cwd=orb.parent)
    assert r.returncode == 0 and r.stdout == ""
    assert (orb.parent / "orb.yml").read_text() == pack_orb(orb).text
    # and the packed file is an orb in its own right
    v = wfc("orb", "validate", "orb.yml", cwd=orb.parent)
    assert v.returncode == 0 and v.stdout == "orb orb.yml valid\n", v.stdout


def test_pack_errors_exit_1_with_positioned_diagnostics(orb: Path) -> None:
    (orb / "scripts" / "install.sh").unlink()
    r = wfc("orb", "pack", "src", cwd=orb.parent)
    assert r.returncode == 1 and r.stdout == ""
    first = r.stderr.splitlines()[0]
    assert first == ("src/commands/install.yml:3:16: error: could not open "
                     "'scripts/install.sh' for inclusion: no such file in the orb source "
                     "folder [orb-include-missing]")
    assert "   3 |       command: <<include(scripts/install.sh)>>" in r.stderr
    assert r.stderr.rstrip().endswith("1 error, 0 warnings in orb src")


def test_pack_warnings_go_to_stderr_and_the_orb_to_stdout(orb: Path) -> None:
    (orb / "commands" / "old").mkdir()
    r = wfc("orb", "pack", "src", cwd=orb.parent)
    assert r.returncode == 0 and r.stdout == pack_orb(orb).text
    assert "[orb-pack-skipped]" in r.stderr


@pytest.mark.parametrize("args", [
    ("orb", "pack", "missing"),
    ("orb", "pack", "plain"),
    ("orb", "validate", "missing"),
    ("orb", "validate", "plain"),
    ("orb", "pack", "src", "-o", "no/such/dir/orb.yml"),
    ("orb", "validate", "src", "--orb-dir", "missing"),
    ("orb", "validate", "fifo.yml"),
    ("orb",),
])
def test_bad_paths_and_usage_exit_2(orb: Path, args: tuple[str, ...]) -> None:
    (orb.parent / "plain").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(orb.parent / "fifo.yml")  # refused without blocking
    r = wfc(*args, cwd=orb.parent)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == ""
    assert "Traceback" not in r.stderr


def test_not_an_orb_root_says_what_to_give(orb: Path) -> None:
    (orb.parent / "plain").mkdir()
    r = wfc("orb", "pack", "plain", cwd=orb.parent)
    assert "no @orb.yml" in r.stderr and "orb source root" in r.stderr


def test_validate_a_good_orb(orb: Path) -> None:
    r = wfc("orb", "validate", "src", cwd=orb.parent)
    assert r.returncode == 0, r.stdout
    assert r.stdout == "orb src valid\n"


def test_validate_reports_like_validate_and_exits_1(orb: Path) -> None:
    (orb / "jobs" / "build.yml").write_text("docker: [{image: x}]\nsteps: [nope]\n")
    r = wfc("orb", "validate", "src", cwd=orb.parent)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[0] == ("src/jobs/build.yml:2:9: error: Cannot find a definition for command "
                        "named nope [command-undefined]")
    assert lines[1] == "   2 | steps: [nope]"
    assert lines[-1] == "1 error, 0 warnings in orb src"
    q = wfc("orb", "validate", "src", "--quiet", "--no-snippets", cwd=orb.parent)
    assert q.stdout == lines[0] + "\n"


def test_validate_json(orb: Path) -> None:
    (orb / "jobs" / "build.yml").write_text("docker: [{image: x}]\nsteps: [nope]\n")
    r = wfc("orb", "validate", "src", "--format", "json", cwd=orb.parent)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    (f,) = doc["files"]
    assert f["path"] == "src/jobs/build.yml" and not f["valid"]
    assert [d["code"] for d in f["diagnostics"]] == ["command-undefined"]
    (orb / "jobs" / "build.yml").write_text(FILES["jobs/build.yml"])
    ok = wfc("orb", "validate", str(orb.parent / "src"), "--format", "json", cwd=orb.parent)
    assert ok.returncode == 0 and json.loads(ok.stdout)["summary"]["errors"] == 0


def test_validate_bounds_files_with_max_bytes(orb: Path) -> None:
    (orb / "commands" / "big.yml").write_text("steps: [checkout]\n" + "#" * 4096 + "\n")
    r = wfc("orb", "validate", "src", "--max-bytes", "1K", cwd=orb.parent)
    assert r.returncode == 1 and "[yaml-too-large]" in r.stdout
