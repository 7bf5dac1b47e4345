"""Reporting: where an element's text lives, the expansion stack, deduplicated findings.

An error inside a command body is found once per expansion of that command; users want it
once, at the place they can fix (the definition), with a note of *which* use led there.
So every finding is positioned in the source that holds the offending text (the config,
or a local orb file), carries a suffix naming the innermost invocations, and is reported
only once per place and message.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

from ...diagnostics import Diagnostic, Severity, Span
from ..sourcemap import SourceMap

__all__ = ["Frame", "Reporter", "Source"]

Loc = Tuple[Any, ...]


class Source(NamedTuple):
    """A file that holds config text: the config itself or a local orb file.

    ``anchor`` is the loc *in the config* that stands for this file (its ``orbs:`` entry),
    used for ``origins`` since those point into the config only.

    ``remap`` is set for an orb packed from a source tree: it maps a loc of the packed orb
    to the file it was written in, that file's source map, the loc inside it, and whether
    the value there was included (``<<include()>>``: its text is not the file's), so a
    finding points at ``.../commands/install.yml:12:5``, not into packed text no one sees.
    """

    sm: Optional[SourceMap]
    path: str
    is_config: bool
    anchor: Loc = ()
    remap: Optional[Callable[[Loc], Optional[Tuple[str, SourceMap, Loc, bool]]]] = None

    def span(self, loc: Loc, *, key: bool = False) -> Optional[Span]:
        return self.sm.span(loc, key=key) if self.sm is not None else None

    def place(self, loc: Loc, *, key: bool = False
              ) -> Tuple[str, Optional[Span], Optional[SourceMap], bool]:
        """Where ``loc`` was written: (path, span, that file's source map, whether the text
        there is the value's own text, so a part of it can be pointed at)."""
        if self.remap is not None:
            hit = self.remap(loc)
            if hit is not None:
                path, sm, file_loc, included = hit
                return path, sm.span(file_loc, key=key), sm, not included
        return self.path, self.span(loc, key=key), self.sm, True

    def origin(self, loc: Loc) -> Loc:
        """``loc`` as a config loc (orb-file locs collapse onto the orb's entry)."""
        return loc if self.is_config else self.anchor


class Frame(NamedTuple):
    """One level of expansion: ``kind 'name'`` invoked at ``loc`` of ``source``."""

    kind: str
    name: str
    source: Source
    loc: Loc


#: How many places one finding (the same code and message) is listed at.
MAX_SAME_FINDING = 100


class Reporter:
    """Collects diagnostics; knows the expansion stack for message suffixes."""

    def __init__(self) -> None:
        self.diagnostics: List[Diagnostic] = []
        self.frames: List[Frame] = []
        self.demote: Optional[str] = None
        """When set, errors are reported as warnings with this explanation (lint mode:
        problems in code that may never run, e.g. a workflow behind ``when``)."""
        self._seen: Dict[Tuple[Any, ...], int] = {}
        #: (code, message) → how often it was reported, and where it was last placed
        self._repeats: Dict[Tuple[str, str], int] = {}
        self._last: Dict[Tuple[str, str], Tuple[str, int, int, Severity]] = {}

    @property
    def error_count(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.ERROR)

    def where(self, frame: Frame) -> str:
        path, sp, _, _ = frame.source.place(frame.loc, key=True)
        pos = f"{sp.start.line}:{sp.start.column}" if sp is not None else "?"
        return pos if frame.source.is_config else f"{path}:{pos}"

    def suffix(self, skip: int = 0) -> str:
        """`` (in command 'x' invoked at 3:9, in job 'b' invoked at 9:9)``, innermost first."""
        frames = self.frames[: len(self.frames) - skip] if skip else self.frames
        if not frames:
            return ""
        shown = [
            f"in {f.kind} '{f.name}' invoked at {self.where(f)}" for f in reversed(frames[-3:])
        ]
        if len(frames) > 3:
            shown.append("...")
        return " (" + ", ".join(shown) + ")"

    def report(
        self,
        source: Source,
        loc: Loc,
        code: str,
        message: str,
        *,
        severity: Severity = Severity.ERROR,
        hint: Optional[str] = None,
        key: bool = False,
        context: bool = True,
        sub: Optional[Tuple[int, int]] = None,
        text: Optional[str] = None,
    ) -> None:
        """Record a finding at ``loc`` of ``source``.

        ``context`` appends the expansion-stack suffix. ``sub=(offset, length)`` narrows
        the position to part of a single-line string scalar whose value is ``text``.

        One finding (code and message) is placed at most :data:`MAX_SAME_FINDING` times;
        the rest are counted and summed up in one diagnostic (:meth:`summaries`): placing a
        finding walks the source map, and an aliased list of 2**17 templates used by a few
        jobs made that minutes of work for one repeated message (issue 10, fuzz finding).
        """
        same = (code, message)
        n = self._repeats.get(same, 0) + 1
        self._repeats[same] = n
        if n > MAX_SAME_FINDING:
            return
        path, sp, sm, own_text = source.place(loc, key=key)
        if sp is None:
            line, col, eline, ecol = 1, 1, 0, 0
        else:
            line, col = sp.start.line, sp.start.column
            eline, ecol = sp.end.line, sp.end.column
            if sub is not None and text is not None and sm is not None and own_text:
                narrowed = _narrow(sm, sp, text, sub)
                if narrowed is not None:
                    line, col, eline, ecol = narrowed
        if self.demote is not None and severity is Severity.ERROR:
            severity = Severity.WARNING
            hint = f"{hint}; {self.demote}" if hint else self.demote
        dedupe = (path, line, col, code, message)
        at = self._seen.get(dedupe)
        if at is not None and not (
            severity is Severity.ERROR and self.diagnostics[at].severity is not Severity.ERROR
        ):
            return
        full = message + (self.suffix() if context else "")
        diag = Diagnostic(
            code=code,
            message=full,
            severity=severity,
            path=path,
            line=line,
            column=col,
            end_line=eline,
            end_column=ecol,
            hint=hint,
        )
        if at is not None:  # an error where a demoted warning was: the error wins
            self.diagnostics[at] = diag
            return
        self._seen[dedupe] = len(self.diagnostics)
        self.diagnostics.append(diag)
        self._last[same] = (path, line, col, severity)

    def summaries(self) -> List[Diagnostic]:
        """One diagnostic per finding reported more than :data:`MAX_SAME_FINDING` times,
        saying how many places were not listed (at the last place that was)."""
        out: List[Diagnostic] = []
        for (code, message), n in self._repeats.items():
            if n <= MAX_SAME_FINDING or (code, message) not in self._last:
                continue
            path, line, col, severity = self._last[(code, message)]
            out.append(Diagnostic(
                code=code, severity=severity, path=path, line=line, column=col,
                message=f"{message} — and in {n - MAX_SAME_FINDING:,} more places not listed "
                        f"(the first {MAX_SAME_FINDING} are)",
                hint="the same finding repeats; fix the first places and validate again"))
        return out


def _narrow(
    sm: SourceMap, sp: Span, text: str, sub: Tuple[int, int]
) -> Optional[Tuple[int, int, int, int]]:
    """Position of ``text[offset:offset+length]`` when the scalar is written on one line
    exactly as its value (plain or simply quoted); ``None`` when that cannot be known."""
    if sp.start.line != sp.end.line or "\n" in text:
        return None
    lines = sm.lines
    if sp.start.line - 1 >= len(lines):
        return None
    raw = lines[sp.start.line - 1][sp.start.column - 1 : sp.end.column - 1]
    if raw == text:
        base = sp.start.column
    elif len(raw) == len(text) + 2 and raw[0] in "'\"" and raw[1:-1] == text:
        base = sp.start.column + 1
    else:
        return None
    offset, length = sub
    col = base + max(0, min(offset, len(text)))
    return sp.start.line, col, sp.start.line, col + max(length, 1)
