"""`Fn::Sub` template strings → literal text and `${...}` placeholders.

The syntax lives in `grammars/sub.lark`. It is regular, so a well-formed string is read with
the grammar's own token patterns (`_read`); the lark parser is built only for a string that is
not (a placeholder left open or empty), to word the error: importing lark and building a parser
costs tens of milliseconds, which a pre-commit hook should not pay. `tests/load/test_fn_sub.py`
holds both readings equal. Parsed strings are cached, since templates repeat the same `Fn::Sub`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

GRAMMAR_NAME = "sub.lark"
_GRAMMAR_DIRS = (
    Path(__file__).resolve().parents[1] / "grammars",  # shipped inside the package (wheel)
    Path(__file__).resolve().parents[2] / "grammars",  # a source checkout / editable install
)


@dataclass(frozen=True, slots=True)
class Var:
    """A `${name}` placeholder; `line`/`column` are 1-based within the Sub string."""

    name: str
    line: int
    column: int


Part = str | Var
"""A parsed Sub string is a tuple of literal text pieces and placeholders."""


class SubSyntaxError(ValueError):
    """A malformed Sub string; `line`/`column` are 1-based within the string."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


_EXAMPLES = {  # lark `match_examples`: a failing example per friendly message
    "unterminated '${' (no closing '}')": ["${", "${A", "a ${AWS::Region", "${A.B", "${ A"],
    "empty placeholder '${}'": ["${}", "a${}b", "${A}${}"],
}


def grammar_path() -> Path:
    """Where `sub.lark` is: inside the installed package first, else the source tree."""
    for directory in _GRAMMAR_DIRS:
        path = directory / GRAMMAR_NAME
        if path.is_file():
            return path
    raise FileNotFoundError(f"{GRAMMAR_NAME} not found in " + ", ".join(map(str, _GRAMMAR_DIRS)))


@lru_cache(maxsize=1)
def _parser():
    """The LALR parser, built once, on first use (lazy import keeps startup fast)."""
    from lark import Lark

    return Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr", propagate_positions=True)


@lru_cache(maxsize=1)
def _transformer():
    from lark import Transformer, v_args

    class ToParts(Transformer):
        """One node per placeholder; escapes become literal `${`; adjacent text is merged."""

        def start(self, children: list) -> tuple[Part, ...]:
            out: list[Part] = []
            for child in children:
                if isinstance(child, str) and out and isinstance(out[-1], str):
                    out[-1] += child
                else:
                    out.append(child)
            return tuple(out)

        def text(self, children: list) -> str:
            return str(children[0])

        def escape(self, children: list) -> str:
            return "${"

        @v_args(meta=True)
        def var(self, meta, children: list) -> Var:
            return Var(str(children[0]).strip(), meta.line, meta.column)

    return ToParts()


@lru_cache(maxsize=4096)
def parse(text: str) -> tuple[Part, ...]:
    """Split a Sub string into text and `Var`s; a syntax error is a `SubSyntaxError`."""
    if "${" not in text:
        return (text,) if text else ()  # the common case needs no parser at all
    read = _read(text)
    if read is not None:
        return read
    from lark.exceptions import UnexpectedInput

    parser = _parser()
    try:
        tree = parser.parse(text)
    except UnexpectedInput as e:
        message = e.match_examples(parser.parse, _EXAMPLES, use_accepts=True) or "invalid placeholder"
        line, column = _position(text, e)
        raise SubSyntaxError(message, line, column) from None
    parts = _transformer().transform(tree)
    for part in parts:
        if isinstance(part, Var) and not part.name:
            raise SubSyntaxError("empty placeholder '${}'", part.line, part.column)
    return parts


_TOKEN = re.compile(r"(\$\{!)|\$\{([^}]+)\}|(?:[^$]|\$(?!\{))+", re.DOTALL)  # sub.lark's ESCAPE, var, TEXT


def _read(text: str) -> tuple[Part, ...] | None:
    """What the parser makes of a well-formed Sub string, read with the grammar's own token
    patterns (the language is regular) so a template's first `Fn::Sub` does not build the parser;
    None for anything else (a placeholder left open or empty), which the parser words."""
    out: list[Part] = []
    position = 0
    while position < len(text):
        token = _TOKEN.match(text, position)
        if token is None:
            return None
        if token.group(2) is not None:
            name = token.group(2).strip()
            if not name:
                return None
            before = text[:position]
            out.append(Var(name, before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1))
        else:
            piece = "${" if token.group(1) is not None else token.group(0)
            if out and isinstance(out[-1], str):
                out[-1] += piece
            else:
                out.append(piece)
        position = token.end()
    return tuple(out)


def _position(text: str, error) -> tuple[int, int]:
    """Where the error is; at end of input lark reports no line, so point at the last `${`."""
    line, column = getattr(error, "line", -1), getattr(error, "column", -1)
    if isinstance(line, int) and line > 0:
        return line, column
    start = text.rfind("${")
    before = text[:start]
    return before.count("\n") + 1, start - (before.rfind("\n") + 1) + 1
