"""Executables a local job finds first on its ``PATH`` (``<job dir>/bin``).

Real configs call CircleCI's own tools inside jobs: ``circleci tests split``, ``circleci-agent
step halt``, and the continuation orb's ``curl`` POST to CircleCI's API. On CircleCI those
come with the machine; locally :func:`install_tools` writes them into the job's ``bin``
directory, which the subprocess executor puts first on the job's ``PATH``.

Each tool is a stdlib-only Python script kept beside this module (``_<name>.py``). It runs
with ``python -I -S`` (no site-packages, no ``workflowcore`` import) so a call costs little
more than the interpreter's start. A tool learns about its job from variables the executor
sets: ``WORKFLOWCORE_JOB_DIR`` (the job's directory, where e.g. the halt marker goes) and
``WORKFLOWCORE_TIMINGS_FILE`` (the test timings of the job's earlier runs, which the step
interpreter exports there before the first step; see ``stores/timings.py``).

``circleci`` and ``circleci-agent`` are one script (``_circleci.py``) that looks at the name
it was called by; docs/jobtools.md says what each command does locally.
"""

from __future__ import annotations

import marshal
import os
import sys
from pathlib import Path
from typing import Dict, Tuple

__all__ = ["HALT_MARKER", "JOB_DIR_ENV", "TIMINGS_ENV", "TIMINGS_FILE", "TOOLS", "install_tools"]

#: tool name on the job's PATH -> the script beside this module that implements it
TOOLS: Dict[str, str] = {
    "circleci": "_circleci.py",
    "circleci-agent": "_circleci.py",
    "curl": "_curl.py",
}

#: file in the job directory whose existence means a step asked to end the job successfully
HALT_MARKER = "halt"

#: variable naming the job's directory (set by the executor; where HALT_MARKER goes)
JOB_DIR_ENV = "WORKFLOWCORE_JOB_DIR"
#: variable naming the timings file the ``circleci tests split``/``run`` tool reads
TIMINGS_ENV = "WORKFLOWCORE_TIMINGS_FILE"
#: that file's name in the job directory
TIMINGS_FILE = "timings.json"


#: Linux reads at most this much of a ``#!`` line (older kernels: 127 bytes); longer
#: interpreter paths go through a ``/bin/sh`` wrapper instead
_SHEBANG_MAX = 120

#: What an installed tool runs when its interpreter is this one: the script's bytecode,
#: compiled once per process and written beside the tool. A ``#!`` script is compiled on
#: every start (Python caches bytecode for imports only), which for ``_circleci.py`` was
#: two thirds of a call's 25 ms. ``exec`` in the tool's own globals keeps ``__name__ ==
#: "__main__"`` and ``sys.argv[0]`` exactly as if the source itself had been run.
_STUB = """import marshal as _marshal
with open({code!r}, "rb") as _fh:
    _code = _marshal.load(_fh)
exec(_code)
"""

_compiled: Dict[Tuple[str, int, int], bytes] = {}


def _bytecode(source: Path) -> bytes:
    st = source.stat()
    key = (str(source), st.st_mtime_ns, st.st_size)
    cached = _compiled.get(key)
    if cached is None:
        code = compile(source.read_text(encoding="utf-8"), str(source), "exec",
                       dont_inherit=True)
        cached = _compiled[key] = marshal.dumps(code)
    return cached


def install_tools(bin_dir: Path, python: str = sys.executable) -> Tuple[str, ...]:
    """Write every tool into ``bin_dir`` (created); returns the names installed.

    The ``#!`` line is ``<python> -IS``: the kernel passes everything after the interpreter
    as ONE argument, so ``-I -S`` would reach Python as the single option ``"-I -S"`` and
    be refused. An interpreter path with whitespace, or too long for a ``#!`` line, gets a
    small ``/bin/sh`` wrapper that ``exec``s the program kept beside it as ``.<name>.py``.
    The program is :data:`_STUB` running ``.<name>.code`` (the script's bytecode) when
    ``python`` is this interpreter, else the script's source (bytecode is per version).
    """
    bin_dir.mkdir(parents=True, exist_ok=True)
    here = Path(__file__).parent
    direct = not any(c.isspace() for c in python) and len(python) + 6 <= _SHEBANG_MAX
    same = os.path.realpath(python) == os.path.realpath(sys.executable)
    for name, script in TOOLS.items():
        source = here / script
        if same:
            code_file = bin_dir / f".{name}.code"
            code_file.write_bytes(_bytecode(source))
            program = _STUB.format(code=str(code_file))
        else:
            program = source.read_text(encoding="utf-8")
        target = bin_dir / name
        if direct:
            target.write_text(f"#!{python} -IS\n{program}", encoding="utf-8")
        else:
            kept = bin_dir / f".{name}.py"
            kept.write_text(program, encoding="utf-8")
            target.write_text(f"#!/bin/sh\nexec {_sh_quote(python)} -IS {_sh_quote(str(kept))}"
                              ' "$@"\n', encoding="utf-8")
        os.chmod(target, 0o755)
    return tuple(TOOLS)


def _sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"
