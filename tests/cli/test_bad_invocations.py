"""Every config-reading command with bad invocations, through the real CLI: a missing file,
a directory, a FIFO, a device, a binary or empty file, bad option syntax, bytes that are
not UTF-8 in an argument. Each must end with a one-line message (exit 2) or diagnostics
(exit 1), never a traceback and never a hang (issue 10, items 3 and 11)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import pytest

from ._repo import SRC

pytestmark = pytest.mark.skipif(os.name != "posix", reason="FIFOs, /dev/zero, byte argv")

CONFIG = """version: 2.1
parameters:
  deploy: {type: boolean, default: false}
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps: [{run: echo hi}]
workflows:
  main:
    jobs: [build]
"""
BAD_CONFIG = CONFIG.replace("{run: echo hi}", "{bogus: 1}")

Arg = Union[str, bytes]
#: (args, expected exit code, a fragment stderr (or stdout, for validate) must contain)
CASES: Dict[str, Tuple[List[Arg], int, str]] = {
    "validate-missing": (["validate", "nope.yml"], 2, "nope.yml: no such file"),
    "validate-directory": (["validate", "dir"], 2, "is a directory"),
    "validate-fifo": (["validate", "fifo"], 2, "fifo: is a FIFO (named pipe), not a regular"),
    "validate-dev-zero": (["validate", "/dev/zero"], 2, "is a character device"),
    "validate-binary": (["validate", "binary.yml"], 1, "[yaml-encoding]"),
    "validate-empty": (["validate", "empty.yml"], 1, "[config-empty]"),
    "validate-format": (["validate", "--format", "xml", "good.yml"], 2, "invalid choice"),
    "validate-max-bytes-syntax": (["validate", "--max-bytes", "lots", "good.yml"], 2,
                                  "expected a size in bytes"),
    "validate-max-bytes-small": (["validate", "--max-bytes", "10", "good.yml"], 1,
                                 "[yaml-too-large]"),
    "validate-non-utf8-name": (["validate", b"\xffbad.yml"], 1, "[command-undefined]"),
    "plan-fifo": (["plan", "fifo", "-b", "main"], 2, "is a FIFO"),
    "plan-dev-zero": (["plan", "/dev/zero", "-b", "main"], 2, "is a character device"),
    "plan-binary": (["plan", "binary.yml", "-b", "main"], 1, "[yaml-encoding]"),
    "plan-param-syntax": (["plan", "good.yml", "-b", "main", "-p", "deploy"], 2,
                          "--param takes KEY=VALUE"),
    "plan-param-type": (["plan", "good.yml", "-b", "main", "-p", "deploy=maybe"], 2,
                        "pipeline parameter 'deploy' is a boolean"),
    "plan-param-non-utf8": (["plan", "good.yml", "-b", "main", "-p", b"deploy=\xff"], 2,
                            "is a boolean"),
    "plan-branch-non-utf8": (["plan", "good.yml", "-b", b"m\xff"], 0, ""),
    "plan-format": (["plan", "good.yml", "-b", "main", "--format", "pdf"], 2,
                    "invalid choice"),
    "plan-pp-missing-file": (["plan", "good.yml", "-b", "main", "--pipeline-parameters",
                              "params.yml"], 2, "no such file, and not a YAML/JSON mapping"),
    "plan-pp-syntax": (["plan", "good.yml", "-b", "main", "--pipeline-parameters", "{a: ["],
                       2, "--pipeline-parameters: line 2, column 1"),
    "plan-pp-fifo": (["plan", "good.yml", "-b", "main", "--pipeline-parameters", "fifo"], 2,
                     "--pipeline-parameters fifo: is a FIFO"),
    "plan-pp-binary": (["plan", "good.yml", "-b", "main", "--pipeline-parameters",
                        "binary.yml"], 2, "not valid UTF-8"),
    "plan-pp-non-utf8": (["plan", "good.yml", "-b", "main", "--pipeline-parameters",
                          b"{deploy: \xff}"], 2, "the byte 0xff, which is not UTF-8"),
    "process-fifo": (["process", "fifo"], 2, "is a FIFO"),
    "process-directory": (["process", "dir"], 2, "is a directory"),
    "process-empty": (["process", "empty.yml"], 1, "[config-empty]"),
    "process-param-unknown": (["process", "good.yml", "-p", "nope=1"], 2,
                              "unknown pipeline parameter 'nope'"),
    "process-param-non-utf8-name": (["process", "good.yml", "-p", b"\xff=1"], 2,
                                    "unknown pipeline parameter"),
    "process-pp-directory": (["process", "good.yml", "--pipeline-parameters", "dir"], 2,
                             "--pipeline-parameters dir: Is a directory"),
    "process-pp-list": (["process", "good.yml", "--pipeline-parameters", "[1, 2]"], 2,
                        "not a YAML/JSON mapping"),
    "run-config-fifo": (["run", "fifo", "-b", "main"], 2, "is a FIFO"),
    "run-contexts-fifo": (["run", "good.yml", "-b", "main", "--contexts", "fifo"], 2,
                          "cannot read contexts file: is a FIFO"),
    "run-contexts-dev-zero": (["run", "good.yml", "-b", "main", "--contexts", "/dev/zero"],
                              2, "is a character device"),
    "run-contexts-binary": (["run", "good.yml", "-b", "main", "--contexts", "binary.yml"], 2,
                            "[yaml-encoding]"),
    "run-contexts-missing": (["run", "good.yml", "-b", "main", "--contexts", "nope.yml"], 2,
                             "No such file"),
    "run-contexts-directory": (["run", "good.yml", "-b", "main", "--contexts", "dir"], 2,
                               "Is a directory"),
    "run-param-type": (["run", "good.yml", "-b", "main", "-p", "deploy=maybe"], 2,
                       "pipeline parameter 'deploy' is a boolean"),
    "run-branch-non-utf8": (["run", "good.yml", "-b", b"m\xff"], 2,
                            "--branch 'm\\xff': not valid UTF-8 text (byte 0xff at 2)"),
    "run-tag-non-utf8": (["run", "good.yml", "-t", b"v\xff"], 2,
                         "--tag 'v\\xff': not valid UTF-8"),
    "run-actor-non-utf8": (["run", "good.yml", "-b", "main", "--actor", b"\xff"], 2,
                           "--actor '\\xff': not valid UTF-8"),
    "run-value-non-utf8": (["run", "good.yml", "-b", "main", "--value",
                            b"pipeline.git.revision=\xff"], 2, "--value '\\xff'"),
    "approve-actor-non-utf8": (["approve", "abcd", "hold", "--actor", b"\xff"], 2,
                               "--actor '\\xff': not valid UTF-8"),
    "run-max-bytes": (["run", "good.yml", "-b", "main", "--max-bytes", "10"], 2,
                      "[yaml-too-large]"),
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("bad")
    (d / "good.yml").write_text(CONFIG)
    (d / "empty.yml").write_bytes(b"")
    (d / "binary.yml").write_bytes(bytes(range(256)) * 4)
    (d / "dir").mkdir()
    os.mkfifo(d / "fifo")
    (d / os.fsdecode(b"\xffbad.yml")).write_text(BAD_CONFIG)
    return d


def run_cli(workdir: Path, args: List[Arg], env: Optional[Dict[str, str]] = None,
            ) -> subprocess.CompletedProcess[bytes]:
    environ = dict(os.environ, **(env or {}))
    environ["PYTHONPATH"] = str(SRC) + os.pathsep + environ.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "workflowcore", *args], cwd=workdir,
                          capture_output=True, timeout=60, env=environ,
                          stdin=subprocess.DEVNULL, check=False)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_invocation_ends_cleanly(workdir: Path, name: str) -> None:
    args, code, fragment = CASES[name]
    # A strict UTF-8 terminal (LANG=en_US.UTF-8): bytes from argv must not crash output.
    proc = run_cli(workdir, [*args, *(["--state-dir", "state"] if args[0] == "run" else [])],
                   env={"PYTHONIOENCODING": "utf-8:strict"})
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    assert proc.returncode == code, out + err
    assert fragment in out + err
    if code == 2 and not fragment.startswith("["):
        # one line, not a page (argparse's usage lines come before its one error line)
        assert len([ln for ln in err.splitlines() if ln.startswith("workflowcore")]) == 1, err


def test_a_non_utf8_file_name_is_printed_as_its_bytes(workdir: Path) -> None:
    proc = run_cli(workdir, ["validate", b"\xffbad.yml"],
                   env={"PYTHONIOENCODING": "utf-8:strict"})
    assert proc.stdout.startswith(b"\xffbad.yml:7:13: error:"), proc.stdout
