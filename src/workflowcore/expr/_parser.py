"""EXPR's parser: tokens → tree, with CircleCI's exact parse errors (EXPR go/parsers).

Grammar (weakest → strongest, all binary operators left-associative)::

    expression -> or
    or         -> and ( "or" and )*
    and        -> equality ( "and" equality )*
    equality   -> comparison ( ( "==" | "!=" | BUILTIN ) comparison )*
    comparison -> unary ( ( ">" | ">=" | "<" | "<=" ) unary )*
    unary      -> ( "not" | "!" ) unary | primary
    primary    -> true | false | NUMBER | STRING | PATTERN | IDENTIFIER | "(" expression ")"

It is read by precedence climbing, which builds the same tree and stops at the same token
with the same error as EXPR's recursive descent, with a third of the recursion.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

from ._ast import Binary, Identifier, Infix, Literal, Logical, Node, Not
from ._errors import (
    EXPECTED_EXPRESSION,
    EXPECTED_RIGHT_PAREN,
    UNEXPECTED_ADDITIONAL_INPUT,
    UNKNOWN_BUILTIN_FUNCTION,
    ExprError,
)
from ._scanner import (
    AND,
    BUILTIN,
    EOF,
    EQUAL,
    FALSE,
    GREATER,
    GREATER_EQUAL,
    IDENTIFIER,
    LEFT_PAREN,
    LESS,
    LESS_EQUAL,
    NOT,
    NOT_EQUAL,
    NUMBER,
    OR,
    PATTERN,
    RIGHT_PAREN,
    STRING,
    TRUE,
    Token,
)

__all__ = ["parse_tokens"]

_OR_LEVEL = 1
_AND_LEVEL = 2
_EQUALITY_LEVEL = 3
_COMPARISON_LEVEL = 4
_PRECEDENCE: Dict[int, int] = {
    OR: _OR_LEVEL,
    AND: _AND_LEVEL,
    EQUAL: _EQUALITY_LEVEL,
    NOT_EQUAL: _EQUALITY_LEVEL,
    BUILTIN: _EQUALITY_LEVEL,
    GREATER: _COMPARISON_LEVEL,
    GREATER_EQUAL: _COMPARISON_LEVEL,
    LESS: _COMPARISON_LEVEL,
    LESS_EQUAL: _COMPARISON_LEVEL,
}


class _Parser:
    def __init__(self, tokens: List[Token]) -> None:
        self.tokens = tokens
        self.current = 0
        self.identifiers: List[Identifier] = []

    def peek(self) -> Token:
        return self.tokens[self.current]

    def advance(self) -> Token:
        token = self.tokens[self.current]
        if token.type != EOF:
            self.current += 1
        return token

    def parse(self) -> Node:
        node = self.level(_OR_LEVEL)
        if self.peek().type != EOF:
            self.check_unknown_builtin()
            token = self.peek()
            raise _parse_error(f'Unexpected additional input, found "{token.lexeme}", '
                               "expected EOF", token, UNEXPECTED_ADDITIONAL_INPUT)
        return node

    def check_unknown_builtin(self) -> None:
        """``a invalid b``: an identifier followed by a valid operand is most likely a
        misspelt builtin; EXPR says so instead of "unexpected additional input"."""
        saved = self.current
        saved_identifiers = len(self.identifiers)
        if self.peek().type == IDENTIFIER:
            candidate = self.advance()
            try:
                self.level(_COMPARISON_LEVEL)
            except ExprError:
                pass
            else:
                raise ExprError("Unknown infix function", candidate.pos, len(candidate.lexeme),
                                kind=UNKNOWN_BUILTIN_FUNCTION, lexeme=candidate.lexeme)
        self.current = saved
        del self.identifiers[saved_identifiers:]

    def level(self, min_level: int) -> Node:
        left = self.unary()
        while True:
            operator = self.tokens[self.current]
            level = _PRECEDENCE.get(operator.type)
            if level is None or level < min_level:
                return left
            self.current += 1
            right = self.level(level + 1)
            left = _combine(operator, left, right)

    def unary(self) -> Node:
        count = 0
        while self.peek().type == NOT:
            self.current += 1
            count += 1
        node = self.primary()
        return Not(count, node) if count else node

    def primary(self) -> Node:
        token = self.peek()
        kind = token.type
        if kind == FALSE:
            self.current += 1
            return Literal(False)
        if kind == TRUE:
            self.current += 1
            return Literal(True)
        if kind in (NUMBER, STRING, PATTERN):
            self.current += 1
            return Literal(token.literal)
        if kind == IDENTIFIER:
            self.current += 1
            node = Identifier(token.lexeme, token.pos)
            self.identifiers.append(node)
            return node
        if kind == LEFT_PAREN:
            self.current += 1
            inner = self.level(_OR_LEVEL)
            closing = self.peek()
            if closing.type != RIGHT_PAREN:
                raise ExprError("Expected ')' after expression", closing.pos, 1,
                                kind=EXPECTED_RIGHT_PAREN, lexeme=closing.lexeme)
            self.current += 1
            return inner
        raise _parse_error(f'Expected expression, found "{token.lexeme}"', token,
                           EXPECTED_EXPRESSION)


def _parse_error(message: str, token: Token, kind: str) -> ExprError:
    return ExprError(message, token.pos, len(token.lexeme), kind=kind, lexeme=token.lexeme)


def _combine(operator: Token, left: Node, right: Node) -> Node:
    kind = operator.type
    if kind in (OR, AND):
        is_or = kind == OR
        if isinstance(left, Logical) and left.is_or == is_or:
            left.operands.append(right)  # tree nodes are never shared: safe to extend
            return left
        return Logical(is_or, [left, right])
    if kind == BUILTIN:
        return Infix(operator.literal, operator.lexeme, operator.pos, left, right)
    return Binary(kind, operator.lexeme, operator.pos, left, right)


def parse_tokens(tokens: List[Token]) -> Tuple[Node, List[Identifier]]:
    """The tree of a scanned expression and its variable references in source order."""
    parser = _Parser(tokens)
    node = parser.parse()
    return node, parser.identifiers
