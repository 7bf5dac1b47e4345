"""Resource bombs through parameters (issue 10 item 1): a ``steps`` value or a string
doubled at every level of nested commands ends in ``config-too-large``, promptly and in
bounded memory. Each case runs the real CLI in a subprocess so its peak memory can be
measured; the timeout only guards against a hang."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

#: Peak resident memory the whole CLI process may reach on these configs (issue 10).
MAX_RSS_BYTES = 300 * 1024 * 1024


def steps_doubling(levels: int) -> str:
    """``c<k>`` passes its ``steps`` value to ``c<k-1>`` twice over: 2**levels steps."""
    out = ["version: 2.1", "commands:", "  c0:", "    parameters:", "      s: {type: steps}",
           "    steps:", "      - steps: << parameters.s >>"]
    for k in range(1, levels + 1):
        out += [f"  c{k}:", "    parameters:", "      s: {type: steps}", "    steps:",
                f"      - c{k - 1}:", "          s:",
                "            - steps: << parameters.s >>",
                "            - steps: << parameters.s >>"]
    out += ["jobs:", "  build:", "    docker: [{image: cimg/base:current}]", "    steps:",
            f"      - c{levels}:", "          s: [{run: echo hi}]",
            "workflows:", "  main:", "    jobs: [build]"]
    return "\n".join(out) + "\n"


def string_doubling(levels: int) -> str:
    """``c<k>`` passes ``s`` twice concatenated to ``c<k-1>``: 8 * 2**levels characters."""
    out = ["version: 2.1", "commands:", "  c0:", "    parameters:", "      s: {type: string}",
           "    steps:", "      - run: echo << parameters.s >>"]
    for k in range(1, levels + 1):
        out += [f"  c{k}:", "    parameters:", "      s: {type: string}", "    steps:",
                f'      - c{k - 1}: {{s: "<< parameters.s >><< parameters.s >>"}}']
    out += ["jobs:", "  build:", "    docker: [{image: cimg/base:current}]", "    steps:",
            f"      - c{levels}: {{s: abcdefgh}}",
            "workflows:", "  main:", "    jobs: [build]"]
    return "\n".join(out) + "\n"


def _run_measured(args: List[str]) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run the CLI; its peak RSS in bytes (Linux reports ru_maxrss in KiB)."""
    code = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=60)\n"
        "sys.stdout.write(p.stdout + p.stderr)\n"
        "print('RSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.exit(p.returncode)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "workflowcore",
                           *args], capture_output=True, text=True, timeout=90)
    rss_line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RSS ")][-1]
    return proc, int(rss_line.split()[1]) * 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss units are Linux's")
@pytest.mark.parametrize(
    ("name", "text"),
    [("steps-22", steps_doubling(22)), ("steps-30", steps_doubling(30)),
     ("string-29", string_doubling(29)), ("string-40", string_doubling(40))],
)
@pytest.mark.parametrize("command", [["validate"], ["process", "--branch", "main"]])
def test_parameter_doubling_ends_in_config_too_large(
    tmp_path: Path, name: str, text: str, command: List[str]
) -> None:
    path = tmp_path / f"{name}.yml"
    path.write_text(text)
    assert path.stat().st_size < 8 * 1024  # a small file: the growth is all in expansion
    proc, rss = _run_measured([*command, str(path)])
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "[config-too-large]" in proc.stdout
    assert "Traceback" not in proc.stdout
    assert rss < MAX_RSS_BYTES, f"peak RSS {rss / 2**20:.0f} MiB"


def test_the_measurement_sees_the_child() -> None:
    """RUSAGE_CHILDREN is what the wrapper reports: a child that allocates 64 MiB shows."""
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0
    code = "b = bytearray(64 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"
    proc, rss = _run_measured([])  # `python -m workflowcore` with no command: usage, exit 2
    assert proc.returncode == 2
    child = subprocess.run([sys.executable, "-c",
                            "import resource, subprocess, sys\n"
                            f"subprocess.run([sys.executable, '-c', {code!r}])\n"
                            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"],
                           capture_output=True, text=True, timeout=60)
    assert int(child.stdout.strip()) * 1024 >= 64 * 1024 * 1024
    assert rss < MAX_RSS_BYTES
