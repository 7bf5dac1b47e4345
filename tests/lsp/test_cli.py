"""``workflowcore lsp`` on the command line: pygls stays off every other command's import
path, and without the extra the command says what to install (exit 2, no traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CONFIG = ("version: 2.1\njobs:\n  build:\n    docker: [{image: python:3}]\n"
          "    steps: [checkout]\nworkflows:\n  w:\n    jobs: [build]\n")


def _run(code: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                          timeout=120, check=False)


def test_validate_never_imports_the_language_server(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text(CONFIG)
    code = ("import json, sys\nfrom workflowcore.cli.main import main\n"
            "rc = main(sys.argv[1:])\n"
            "print(json.dumps([rc, sorted(m for m in sys.modules if m.split('.')[0] in "
            "('pygls', 'lsprotocol', 'cattrs') or m.startswith('workflowcore.lsp'))]))\n")
    proc = _run(code, "validate", "-q", str(path))
    rc, modules = json.loads(proc.stdout.strip().splitlines()[-1])
    assert rc == 0, proc.stderr
    assert modules == []


def test_without_the_extra_it_says_what_to_install() -> None:
    # `None` in sys.modules is how Python itself marks a module as not importable
    code = ("import sys\nsys.modules['pygls'] = None\n"
            "from workflowcore.cli.main import main\nsys.exit(main(['lsp']))\n")
    proc = _run(code)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "workflowcore: lsp: the language server needs the 'lsp' extra (pygls is not "
        "installed): pip install 'workflowcore[lsp]'")


def test_bad_tcp_address_is_a_usage_error() -> None:
    proc = subprocess.run([sys.executable, "-m", "workflowcore", "lsp", "--tcp", "localhost"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert "expected HOST:PORT such as 127.0.0.1:2087, got 'localhost'" in proc.stderr
    assert "Traceback" not in proc.stderr
