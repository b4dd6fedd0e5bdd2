"""The rule language: a rule file (grammars/rules.lark) → a `RuleSpec` of typed nodes.

One lark Transformer builds the nodes; every node keeps its line and column so that the
type checker (`permcheck.rules.types`) can point at the exact place of a mistake.
The parser is built on the first rule file read and then cached.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional

from permcheck.model.location import InputError, Location

GRAMMAR_DIRS = (
    Path(__file__).resolve().parents[1] / "grammars",  # shipped inside the package (wheel)
    Path(__file__).resolve().parents[2] / "grammars",  # a source checkout / editable install
)


# -- expression nodes -----------------------------------------------------------------------
@dataclass(frozen=True)
class Node:
    line: int
    column: int


@dataclass(frozen=True)
class Name(Node):
    name: str


@dataclass(frozen=True)
class Literal(Node):
    value: object  # str, int or bool


@dataclass(frozen=True)
class ListOf(Node):
    items: tuple


@dataclass(frozen=True)
class Call(Node):
    function: str
    args: tuple


@dataclass(frozen=True)
class Attribute(Node):
    subject: Node
    name: str


@dataclass(frozen=True)
class Compare(Node):
    operator: str  # ==, !=, matches, in
    left: Node
    right: Node


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class Logic(Node):
    operator: str  # and, or
    operands: tuple


@dataclass(frozen=True)
class Quantified(Node):
    quantifier: str  # any, all
    variable: str
    source: Node
    body: Node


# -- the rule -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """`severity S when E` or `report "M" [when E]`: the first that holds applies."""

    value: str
    when: Optional[Node]


@dataclass
class RuleSpec:
    id: str
    title: str = ""
    severity: str = ""
    docs: list[str] = field(default_factory=list)
    what: str = ""
    why: str = ""
    fix: str = ""
    examples: list[tuple[str, str]] = field(default_factory=list)  # ("fires"|"passes", template text)
    bindings: list[tuple[str, Node]] = field(default_factory=list)
    variable: str = ""
    subject: str = ""
    where: Optional[Node] = None
    severities: list[Outcome] = field(default_factory=list)
    reports: list[Outcome] = field(default_factory=list)
    file: str = ""
    line: int = 1
    subject_node: Optional[Node] = None


REQUIRED = ("title", "severity", "what", "why", "fix")


def parse_rule(text: str, file: str) -> RuleSpec:
    """Parse one rule file; a syntax error is an InputError at its line and column."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

    try:
        tree = _parser().parse(text, start="start")
    except UnexpectedInput as error:
        line, column = getattr(error, "line", None), getattr(error, "column", None)
        if isinstance(error, UnexpectedToken):
            got = "end of file" if error.token.type == "$END" else repr(str(error.token))
            what = f"unexpected {got}; expected {_expected(error.expected)}"
        elif isinstance(error, UnexpectedCharacters):
            what = f"unexpected character {text[error.pos_in_stream]!r}" if error.pos_in_stream < len(text) \
                else "unexpected end of file"
        elif isinstance(error, UnexpectedEOF):
            what = f"unexpected end of file; expected {_expected(error.expected)}"
        else:
            what = "syntax error"
        raise RuleError(file, line, column, what) from None
    spec = _build(file).transform(tree)
    missing = [name for name in REQUIRED if not getattr(spec, name)]
    if missing:
        raise RuleError(file, spec.line, 1, f"rule {spec.id} has no {missing[0]}")
    if not spec.reports:
        raise RuleError(file, spec.line, 1, f"rule {spec.id} has no report")
    if spec.reports[-1].when is not None:
        last = spec.reports[-1].when
        raise RuleError(file, last.line, last.column, "the last report must have no `when`: it is the default")
    return spec


class RuleError(InputError):
    """A mistake in a rule file, at FILE:LINE:COLUMN."""

    def __init__(self, file: str, line: int | None, column: int | None, message: str) -> None:
        super().__init__(Location(file, line), f"{'column ' + str(column) + ': ' if column else ''}{message}")


_FRIENDLY = {"RULE_ID": "a rule id", "NAME": "a name", "STRING": "a string", "SEVERITY": "a severity",
             "EXAMPLE_KIND": "fires or passes", "QUANTIFIER": "any or all", "COMPARATOR": "==, != or matches",
             "$END": "end of file"}


PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
"""`{expression}` in a report's text: any expression of the language, type-checked."""


_WORD = re.compile(r"[ \t\f\r]*(?:([a-z_][a-z0-9_]*)|([.,()]))")  # NAME or punctuation, after the grammar's WS
_BLANK = re.compile(r"[ \t\f\r]*")


@lru_cache(maxsize=1024)
def parse_placeholder(text: str, file: str = "", line: int = 1) -> Node:
    """The expression inside a report's `{...}`; a mistake is a RuleError at the report's line.

    Most are a name and its fields, or a function of them (`{g.target}`,
    `{join(problems(s.conditions))}`): those are read here as the parser would read them,
    columns included, so a pre-commit run does not build the parser to word its findings."""
    read = _read_simple(text)
    if read is not None:
        return read
    from lark.exceptions import UnexpectedInput

    try:
        return _build(file).transform(_parser().parse(text, start="expr"))
    except UnexpectedInput:
        raise RuleError(file, line, None, f"cannot read {{{text}}} in a report: not an expression") from None


def _expected(names) -> str:
    from lark.lexer import PatternStr

    literal = {t.name: t.pattern.value for t in _parser().terminals if isinstance(t.pattern, PatternStr)}
    words = sorted({_FRIENDLY.get(n) or repr(literal.get(n, n.lower())) for n in names})
    return ", ".join(words[:8]) + (" …" if len(words) > 8 else "")


def _read_simple(text: str) -> Node | None:
    """`term := NAME ("." NAME)* | NAME "(" [term ("," term)*] ")"` on one line; None for anything
    else (the parser reads it). A grammar keyword may name a field (after a `.` the parser expects
    a NAME alone) but nothing else."""
    words = []  # (text, is a NAME, 1-based column)
    position = 0
    while _BLANK.match(text, position).end() < len(text):
        word = _WORD.match(text, position)
        if word is None or (word.group(1) in _keywords() and not (words and words[-1][0] == ".")):
            return None
        group = 1 if word.group(1) is not None else 2
        words.append((word.group(group), group == 1, word.start(group) + 1))
        position = word.end()
    node, at = _term(words, 0)
    return node if node is not None and at == len(words) else None


def _term(words: list, at: int) -> tuple[Node | None, int]:
    if at >= len(words) or not words[at][1]:
        return None, at
    name, _, column = words[at]
    if at + 1 < len(words) and words[at + 1][0] == "(":
        args, at = [], at + 2
        if at < len(words) and words[at][0] == ")":
            return Call(1, column, name, ()), at + 1
        while True:
            arg, at = _term(words, at)
            if arg is None or at >= len(words):
                return None, at
            args.append(arg)
            if words[at][0] == ")":
                return Call(1, column, name, tuple(args)), at + 1
            if words[at][0] != ",":
                return None, at
            at += 1
    node: Node = Name(1, column, name)
    at += 1
    while at + 1 < len(words) and words[at][0] == "." and words[at + 1][1]:
        node = Attribute(1, words[at + 1][2], node, words[at + 1][0])
        at += 2
    return node, at


@lru_cache(maxsize=1)
def _keywords() -> frozenset[str]:
    """The grammar's quoted words: a name in a placeholder that is one of them goes to the parser."""
    return frozenset(re.findall(r'"([a-z_]+)"', _grammar_path().read_text()))


def _grammar_path() -> Path:
    for directory in GRAMMAR_DIRS:
        path = directory / "rules.lark"
        if path.is_file():
            return path
    raise FileNotFoundError("rules.lark not found in " + ", ".join(map(str, GRAMMAR_DIRS)))


@lru_cache(maxsize=1)
def _parser():
    from lark import Lark

    return Lark(_grammar_path().read_text(), parser="lalr", propagate_positions=True, maybe_placeholders=True,
                start=["start", "expr"])


def _string(token) -> str:
    raw = str(token)
    if raw.startswith('"""'):
        return _dedent(raw[3:-3])
    return ast.literal_eval(raw)


def _dedent(text: str) -> str:
    import textwrap
    return textwrap.dedent(text.strip("\n")).rstrip() + "\n" if text.strip() else ""


@lru_cache(maxsize=1)
def _transformer_class():
    from lark import Transformer, v_args

    @v_args(meta=True)
    class Build(Transformer):
        """Tree → nodes; `meta` gives every node its line and column."""

        def __init__(self, file: str) -> None:
            super().__init__()
            self.file = file

        # fields
        def start(self, meta, children):
            rule_id, *items = children
            spec = RuleSpec(id=str(rule_id), file=self.file, line=rule_id.line)
            for item in items:
                item(spec)
            return spec

        def _set(self, name, meta, children, convert=_string):
            value = convert(children[0])

            def apply(spec):
                if getattr(spec, name):
                    raise RuleError(self.file, meta.line, meta.column, f"{name} given twice")
                setattr(spec, name, value)
            return apply

        def title(self, meta, children):
            return self._set("title", meta, children)

        def severity(self, meta, children):
            return self._set("severity", meta, children, str)

        def what(self, meta, children):
            return self._set("what", meta, children)

        def why(self, meta, children):
            return self._set("why", meta, children)

        def fix(self, meta, children):
            return self._set("fix", meta, children)

        def docs(self, meta, children):
            return lambda spec: spec.docs.append(_string(children[0]))

        def example(self, meta, children):
            return lambda spec: spec.examples.append((str(children[0]), _string(children[1])))

        def match(self, meta, children):
            def apply(spec):
                for child in children:
                    if isinstance(child, tuple) and child[0] == "let":
                        spec.bindings.append(child[1:])
                    elif isinstance(child, tuple) and child[0] == "where":
                        spec.where = child[1]
                    elif isinstance(child, tuple):
                        (spec.severities if child[0] == "severity" else spec.reports).append(child[1])
                names = [c for c in children if not isinstance(c, tuple)]
                spec.variable, spec.subject = str(names[0]), str(names[1])
                spec.subject_node = Name(names[1].line, names[1].column, str(names[1]))
            return apply

        def binding(self, meta, children):
            return ("let", str(children[0]), children[1])

        def where(self, meta, children):
            return ("where", children[0])

        def severity_when(self, meta, children):
            return ("severity", Outcome(str(children[0]), children[1]))

        def report(self, meta, children):
            return ("report", Outcome(_string(children[0]), children[1] if len(children) > 1 else None))

        # expressions
        def quantified(self, meta, children):
            quantifier, variable, source, body = children
            return Quantified(meta.line, meta.column, str(quantifier), str(variable), source, body)

        def any_of(self, meta, children):
            return children[0] if len(children) == 1 else Logic(meta.line, meta.column, "or", tuple(children))

        def all_of(self, meta, children):
            return children[0] if len(children) == 1 else Logic(meta.line, meta.column, "and", tuple(children))

        def negation(self, meta, children):
            return Not(meta.line, meta.column, children[0])

        def compare(self, meta, children):
            left, operator, right = children
            return Compare(operator.line, operator.column, str(operator), left, right)

        def member(self, meta, children):
            return Compare(meta.line, meta.column, "in", children[0], children[1])

        def attribute(self, meta, children):
            return Attribute(children[1].line, children[1].column, children[0], str(children[1]))

        def name(self, meta, children):
            return Name(meta.line, meta.column, str(children[0]))

        def string(self, meta, children):
            return Literal(meta.line, meta.column, _string(children[0]))

        def number(self, meta, children):
            return Literal(meta.line, meta.column, int(children[0]))

        def true(self, meta, children):
            return Literal(meta.line, meta.column, True)

        def false(self, meta, children):
            return Literal(meta.line, meta.column, False)

        def list(self, meta, children):
            return ListOf(meta.line, meta.column, tuple(c for c in children if c is not None))

        def call(self, meta, children):
            function, *args = children
            return Call(meta.line, meta.column, str(function), tuple(a for a in args if a is not None))

        def group(self, meta, children):
            return children[0]

    return Build


def _build(file: str):
    """The transformer for one file (its class is made once, on first use: lark is imported lazily)."""
    return _transformer_class()(file)
