"""The offline 2.1 compiler (``circleci config process``), see ``docs/compile.md``.

``compile_config(data, ...)`` turns loaded config data into processed config data:
parameters bound and type-checked, templates rendered, commands and executors inlined,
conditional steps decided, matrices and job-groups expanded, repeated jobs numbered,
workflows filtered by ``when``/``unless``. ``to_yaml`` prints the result as CircleCI does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._compiler import compile_config
from ._emit import to_yaml
from ._limits import MAX_COMMAND_DEPTH, MAX_EXPANDED_NODES, MAX_MATRIX_JOBS
from ._matrix import matrix_member_name
from ._orbs import find_orb_file, parse_orb_reference
from ._result import CompileResult, orbs_needed

__all__ = [
    "DEFAULT_ORB_DIR",
    "MAX_COMMAND_DEPTH",
    "MAX_EXPANDED_NODES",
    "MAX_MATRIX_JOBS",
    "CompileResult",
    "compile_config",
    "find_orb_file",
    "matrix_member_name",
    "orbs_needed",
    "parse_orb_reference",
    "to_yaml",
]

if TYPE_CHECKING:
    from pathlib import Path

    #: Where published orbs are looked for, relative to the config's directory when the
    #: config has a real path, else to the working directory (``.circleci/orbs``).
    DEFAULT_ORB_DIR: Path


def __getattr__(name: str) -> Any:
    # DEFAULT_ORB_DIR is a Path, made when asked for: importing pathlib is ~2 ms of the cold
    # start of `validate`, which imports this package (docs/dev/cold-start.md).
    if name == "DEFAULT_ORB_DIR":
        from pathlib import Path

        return Path(".circleci") / "orbs"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
