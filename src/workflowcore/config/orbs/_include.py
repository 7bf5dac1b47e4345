"""``<<include(path)>>``: a value replaced by the text of a file of the orb source.

The rules are circleci-cli's (``process.MaybeIncludeFile``, called by ``orb pack`` on every
scalar under ``commands``, ``executors`` and ``jobs``):

* the statement is ``<<`` *spaces* ``include(`` *path* ``)`` *spaces* ``>>``; the path is
  made of ASCII letters, digits, ``_``, ``-``, ``/`` and ``.`` (the CLI's regular expression
  ``<<[\\s]*include\\(([-\\w\\/\\.]+)\\)?[\\s]*>>``, closing parenthesis optional as there);
* it must be the whole value: a value holding it among other text, or holding two, is an
  error;
* the file's text replaces the value, every ``<<`` in it escaped as ``\\<<`` so that CircleCI
  reads the script's own ``<<`` (heredocs, ``$((a<<2))``) as text, not as a parameter.

Where this is stricter than the CLI: the path is resolved under the orb source root and must
stay there — no ``..`` leading out, no absolute path, no symbolic link whose target is
outside (the CLI joins and reads whatever the path names).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Optional

__all__ = ["INCLUDE_RE", "NEAR_INCLUDE_RE", "IncludeProblem", "escape_included", "inside",
           "link_text", "resolve"]

# Go's \s is [\t\n\f\r ] and \w is [0-9A-Za-z_] (ASCII only).
INCLUDE_RE = re.compile(r"<<[\t\n\f\r ]*include\(([-0-9A-Za-z_/.]+)\)?[\t\n\f\r ]*>>")
#: Something that was probably meant as an include but does not match the CLI's pattern.
NEAR_INCLUDE_RE = re.compile(r"<<\s*include\s*\(")


@dataclass(frozen=True)
class IncludeProblem:
    """Why an include path cannot be used: ``code`` and words for the message."""

    code: str
    message: str
    hint: Optional[str] = None


def escape_included(text: str) -> str:
    """The included text as circleci-cli inserts it: every ``<<`` becomes ``\\<<``."""
    return text.replace("<<", "\\<<") if "<<" in text else text


def inside(path: str, root: str) -> bool:
    """Whether ``path`` is ``root`` or below it (both absolute)."""
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # different drives (Windows)
        return False


def link_text(path: str, real: str) -> str:
    """What the symbolic link ``path`` says it points to (``real`` when ``path`` is not
    itself the link, but lies in a linked folder)."""
    try:
        return os.readlink(path)
    except OSError:
        return real


def resolve(
    root: str, real_root: str, target: str
) -> tuple[Optional[str], Optional[IncludeProblem]]:
    """``(file to read, None)`` or ``(None, problem)`` for ``<<include(target)>>``.

    ``root`` is the orb source folder as given, ``real_root`` its ``realpath``. The path is
    checked as written first (absolute, ``..`` leading out), then resolved through symbolic
    links and checked again.
    """
    shown = target
    if target.startswith("/") or os.path.isabs(target):
        return None, IncludeProblem(
            "orb-include-escape",
            f"include path '{shown}' is absolute; it must be relative to the orb source folder",
            "write the path from the orb source root, e.g. scripts/install.sh")
    joined = os.path.normpath(os.path.join(root, target))
    if not inside(os.path.abspath(joined), os.path.abspath(root)):
        return None, IncludeProblem(
            "orb-include-escape",
            f"include path '{shown}' leads out of the orb source folder",
            "an orb may include only files inside its source folder; copy the file in")
    if not os.path.lexists(joined):
        return None, IncludeProblem(
            "orb-include-missing",
            f"could not open '{shown}' for inclusion: no such file in the orb source folder",
            "the path is relative to the orb source root (the folder that holds @orb.yml)")
    real = os.path.realpath(joined)
    if not inside(real, real_root):
        return None, IncludeProblem(
            "orb-include-escape",
            f"include path '{shown}' is a symbolic link to {link_text(joined, real)}, outside "
            "the orb source folder",
            "an orb may include only files inside its source folder; copy the file in")
    if not os.path.exists(real):
        return None, IncludeProblem(
            "orb-include-missing",
            f"could not open '{shown}' for inclusion: it is a broken symbolic link")
    return joined, None
