"""``<< >>`` templates inside config strings (R10.2), read as CircleCI's replacer reads them.

Scanner and parser follow CircleCI's language server (``internal/template``), which
"finds the errors orb-service reports": ``\\<<`` is a literal ``<<``, ``\\\\<<`` is a
backslash followed by a tag, ``>>`` outside a tag is plain text, ``<<# x >>…<</ x >>`` and
``<<^ x >>…<</ x >>`` are (inverted) sections. Only the first problem is reported, as
orb-service stops at the first.

A tag's body is an expression (R10.3) over ``parameters.*``, ``pipeline.*`` and
``matrix.*``; a body using a character expressions don't allow, but shaped like a name
(``parameters.url:with/slashes``), is taken whole as a name (R10.1.5).
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from ._errors import TEMPLATE, UNEXPECTED_CHARACTER, UNKNOWN_VARIABLE, ExprError
from ._expression import Reference, parse_expression
from ._values import logic_truthy, template_string

__all__ = [
    "MAX_TAG_LENGTH",
    "TemplateError",
    "evaluate_tag",
    "find_template_errors",
    "has_template",
    "render_template",
    "render_with_variables",
    "template_reference_spans",
    "template_references",
]

MAX_TAG_LENGTH = 2048

_TEXT = 0
_TAG = 1
_SECTION = 2
_INVERTED = 3
_SECTION_END = 4
_TAG_END = 5
_EOF = 6

_SPECIAL_RE = re.compile(r"\\\\<<|\\<<|<<|>>")
# How lax orb-service is about a section's name and about a tag that isn't an expression
# (Go's \w is ASCII; \S is anything but [\t\n\f\r ]).
# ``(?:\.[^...]+)*`` as orb-service writes it, but as ``?``: the same strings, since a segment
# may itself hold dots; the starred form backtracks exponentially on a failing match.
_NAME_RE = re.compile(r"[0-9A-Za-z_-]+(?:\.[^\t\n\f\r ]+)?")


class TemplateError(NamedTuple):
    """A problem in a template string: message and the span it covers (characters)."""

    message: str
    offset: int
    length: int


class _Tok(NamedTuple):
    kind: int
    text: str
    start: int


def _scan(text: str) -> List[_Tok]:
    toks: List[_Tok] = []
    n = len(text)

    def tag(i: int) -> int:
        if i + 2 < n:
            mark = text[i + 2]
            kind = _SECTION if mark == "#" else _INVERTED if mark == "^" else (
                _SECTION_END if mark == "/" else None)
            if kind is not None:
                toks.append(_Tok(kind, text[i:i + 3], i))
                return i + 3
        toks.append(_Tok(_TAG, text[i:i + 2], i))
        return i + 2

    i = 0
    while i < n:
        if text.startswith("<<", i):
            i = tag(i)
        elif text.startswith(">>", i):
            toks.append(_Tok(_TAG_END, ">>", i))
            i += 2
        elif text.startswith("\\<<", i):
            toks.append(_Tok(_TEXT, "\\<<", i))
            i += 3
        elif text.startswith("\\\\<<", i):
            toks.append(_Tok(_TEXT, "\\", i))
            i = tag(i + 2)
        else:
            m = _SPECIAL_RE.search(text, i)
            end = m.start() if m else n
            toks.append(_Tok(_TEXT, text[i:end], i))
            i = end
    toks.append(_Tok(_EOF, "", n))
    return toks


class _Tag(NamedTuple):
    body: str
    body_start: int


class _Section(NamedTuple):
    name: str
    name_start: int
    inverted: bool
    children: Tuple[_Node, ...]


_Node = Union[str, _Tag, _Section]


class _Problem(Exception):
    def __init__(self, message: str, start: int, end: int) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end


def _problem_at(tok: _Tok, message: str) -> _Problem:
    return _Problem(message, tok.start, tok.start + len(tok.text))


def _whole_reference(tok: _Tok) -> Reference:
    name = tok.text.strip()
    start = tok.start + len(tok.text) - len(tok.text.lstrip())
    return Reference(name, start, len(name))


class _Parser:
    def __init__(self, toks: List[_Tok]) -> None:
        self.toks = toks
        self.current = 0
        self.references: List[Reference] = []

    def peek(self) -> _Tok:
        return self.toks[self.current]

    def previous(self) -> _Tok:
        return self.toks[self.current - 1]

    def check(self, kind: int) -> bool:
        return self.toks[self.current].kind == kind

    def match(self, *kinds: int) -> bool:
        if self.toks[self.current].kind in kinds:
            self.current += 1
            return True
        return False

    def consume(self, kind: int, at: _Tok, message: str) -> _Tok:
        if self.check(kind):
            self.current += 1
            return self.previous()
        raise _problem_at(at, message)

    def parse(self) -> List[_Node]:
        nodes: List[_Node] = []
        while not self.check(_EOF):
            nodes.extend(self.block())
        return nodes

    def block(self) -> List[_Node]:
        if self.match(_SECTION, _INVERTED):
            return [self.section()]
        if self.match(_TAG):
            return [self.tag()]
        if self.match(_SECTION_END):
            raise _problem_at(self.previous(), "Expected section end tag to match start tag")
        return self.text_block()

    def section(self) -> _Section:
        op = self.previous()
        name_tok = self.peek()
        name = self.identifier()
        self.consume(_TAG_END, self.peek(), "Unclosed '<<' tag")
        children: List[_Node] = []
        while not self.check(_EOF):
            if (self.check(_SECTION_END) and self.current + 1 < len(self.toks)
                    and self.toks[self.current + 1].text.strip() == name):
                break
            children.extend(self.block())
        self.consume(_SECTION_END, op, "Unclosed section, expected '<</'")
        if self.identifier() != name:  # pragma: no cover - the loop stops only on a match
            raise _problem_at(self.previous(), "Expected section end tag to match start tag")
        self.consume(_TAG_END, self.peek(), "Unclosed '<<' tag")
        name_start = name_tok.start + len(name_tok.text) - len(name_tok.text.lstrip())
        return _Section(name, name_start, op.kind == _INVERTED, tuple(children))

    def identifier(self) -> str:
        tok = self.consume(_TEXT, self.peek(), "Expected identifier")
        name = tok.text.strip()
        if not _NAME_RE.fullmatch(name):
            raise _problem_at(tok, "Expected valid identifier")
        self.references.append(_whole_reference(tok))
        return name

    def tag(self) -> _Tag:
        start = self.previous()
        body = self.consume(_TEXT, start, "Expected expression after '<<'")
        if len(body.text) > MAX_TAG_LENGTH:
            raise _problem_at(body, f"Expressions must be less than {MAX_TAG_LENGTH} "
                                    f"characters, this one is {len(body.text)}")
        self.consume(_TAG_END, start, "Unclosed '<<' tag ('<<' must be escaped as '\\<<')")
        self.references.extend(_body_references(body))
        return _Tag(body.text, body.start)

    def text_block(self) -> List[_Node]:
        parts: List[str] = []
        while self.check(_TEXT) or self.check(_TAG_END):
            text = self.toks[self.current].text
            parts.append("<<" if text == "\\<<" else text)
            self.current += 1
        # Unreachable in practice: block() is only called on text or tag-end tokens here.
        if not parts:  # pragma: no cover
            raise _problem_at(self.peek(), "Expected string")
        return ["".join(parts)]


def _body_references(body: _Tok) -> List[Reference]:
    """The names a tag body uses; raises the body's expression problem, if any."""
    try:
        expression = parse_expression(body.text)
    except ExprError as exc:
        if exc.kind == UNEXPECTED_CHARACTER and _NAME_RE.fullmatch(body.text.strip()):
            return [_whole_reference(body)]
        if exc.kind.startswith("Scanner/"):
            start = body.start + exc.offset
            raise _Problem(exc.message, start, start + 1) from None
        if exc.lexeme == "":
            # The expression ended too soon (or nests too deeply): point at all of it.
            raise _Problem(exc.message, body.start, body.start + len(body.text)) from None
        start = body.start + exc.offset
        raise _Problem(exc.message, start, start + len(exc.lexeme)) from None
    return [Reference(r.name, body.start + r.offset, r.length) for r in expression.references]


class _Parsed(NamedTuple):
    toks: List[_Tok]
    nodes: List[_Node]
    references: List[Reference]
    problem: Optional[TemplateError]


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> _Parsed:
    toks = _scan(text)
    parser = _Parser(toks)
    try:
        nodes = parser.parse()
    except _Problem as p:
        error = TemplateError(p.message, p.start, p.end - p.start)
        return _Parsed(toks, [], parser.references, error)
    except RecursionError:
        error = TemplateError("Expression is too deeply nested", 0, len(text))
        return _Parsed(toks, [], parser.references, error)
    return _Parsed(toks, nodes, parser.references, None)


def has_template(s: str) -> bool:
    """Whether ``s`` holds a ``<< >>`` tag or section (well-formed or not); a string with
    only escaped ``\\<<`` does not."""
    if "<<" not in s:
        return False
    return any(t.kind in (_TAG, _SECTION, _INVERTED, _SECTION_END) for t in _parse(s).toks)


def find_template_errors(s: str) -> List[TemplateError]:
    """The problem CircleCI would report for template string ``s`` (at most one: the
    compiler stops at the first), with its span in ``s``."""
    if "<<" not in s:
        return []
    problem = _parse(s).problem
    return [] if problem is None else [problem]


def template_reference_spans(s: str) -> List[Reference]:
    """Every name used in ``s``'s tags and sections, with its span, up to the first
    problem (section names count at the start and end tag)."""
    if "<<" not in s:
        return []
    return list(_parse(s).references)


def template_references(s: str) -> List[str]:
    """The distinct dotted names used inside ``s``'s tags and sections, in order.

    ``template_references("echo << parameters.x >>")`` → ``["parameters.x"]``.
    """
    return list(dict.fromkeys(r.name for r in template_reference_spans(s)))


def _only_tag(parsed: _Parsed) -> Optional[_Tag]:
    kinds = [t.kind for t in parsed.toks]
    if parsed.problem is None and kinds == [_TAG, _TEXT, _TAG_END, _EOF]:
        node = parsed.nodes[0]
        assert isinstance(node, _Tag)
        return node
    return None


def _raise(problem: TemplateError, s: str) -> None:
    raise ExprError(problem.message, problem.offset, problem.length, s, TEMPLATE)


def render_template(s: str, resolve: Callable[[str], Any]) -> Any:
    """Render template string ``s``, asking ``resolve(body)`` for each tag's value.

    ``resolve`` gets a tag's body text (or a section's name) and returns its value; the
    caller decides the scope (see :func:`evaluate_tag`). A string that is exactly one tag
    (whitespace around allowed) yields the raw value with its type (R10.2.2); otherwise
    values are spliced in as text (``true``, ``""`` for null, ``0.1``, ...). Sections
    render their body when the value is truthy (inverted: falsy), as logic statements
    judge truth [INFER R10.2.4]. A malformed template raises :class:`ExprError` (offsets
    into ``s``); an error from ``resolve`` propagates with ``tag_offset`` set to where the
    tag's body starts in ``s``.
    """
    if "<<" not in s:
        return s
    stripped = s.strip()
    parsed = _parse(stripped)
    only = _only_tag(parsed)
    if only is not None:
        lead = len(s) - len(s.lstrip())
        return _resolve(resolve, only.body, lead + only.body_start)
    parsed = _parse(s)
    if parsed.problem is not None:
        _raise(parsed.problem, s)
    out: List[str] = []
    _render_nodes(parsed.nodes, resolve, out)
    return "".join(out)


def _render_nodes(nodes: Sequence[_Node], resolve: Callable[[str], Any], out: List[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, _Tag):
            out.append(template_string(_resolve(resolve, node.body, node.body_start)))
        elif logic_truthy(_resolve(resolve, node.name, node.name_start)) != node.inverted:
            _render_nodes(node.children, resolve, out)


def _resolve(resolve: Callable[[str], Any], body: str, body_start: int) -> Any:
    try:
        return resolve(body)
    except ExprError as exc:
        if exc.tag_offset is None:
            exc.tag_offset = body_start
        raise


def evaluate_tag(body: str, variables: Mapping[str, Any]) -> Any:
    """The value of one tag body over ``variables`` (full dotted names, as for
    :func:`evaluate`), including the whole-name fallback for bodies that are not
    expressions (R10.1.5). Undefined is ``None``; unknown names raise :class:`ExprError`.
    """
    try:
        expression = parse_expression(body)
    except ExprError as exc:
        name = body.strip()
        if exc.kind != UNEXPECTED_CHARACTER or not _NAME_RE.fullmatch(name):
            raise
        if name in variables:
            return variables[name]
        raise ExprError(f'Referred to a variable "{name}" that does not exist',
                        body.index(name), len(name), body, UNKNOWN_VARIABLE, name) from None
    return expression.evaluate(variables)


def render_with_variables(s: str, variables: Mapping[str, Any]) -> Any:
    """:func:`render_template` with every tag evaluated over ``variables``."""
    return render_template(s, lambda body: evaluate_tag(body, variables))
