"""The rule language's type checker: every name, attribute, call and operator is checked
against the fact schema (`permcheck.rules.facts`) before a rule runs.

A rule that reads `g.principle` or compares a list with a string fails when the rule pack
is loaded, at its line and column — not silently on the first grant it meets.
"""

from __future__ import annotations

import dataclasses
import typing
from functools import lru_cache

from permcheck.rules import facts
from permcheck.rules.builtins import CONSTANTS, FUNCTIONS
from permcheck.rules.lang import (
    PLACEHOLDER, Attribute, Call, Compare, ListOf, Literal, Logic, Name, Node, Not, Quantified, RuleError, RuleSpec,
    parse_placeholder,
)

SEVERITIES = ("low", "medium", "high", "critical")


@lru_cache(maxsize=None)
def fields_of(cls: type) -> dict[str, object]:
    """The attributes a rule may read on a fact type (its annotations, without `location`)."""
    hints = typing.get_type_hints(cls, vars(facts))
    hidden = {f.name for f in dataclasses.fields(cls) if f.metadata.get("hidden")} | {"location"}
    return {name: hint for name, hint in hints.items() if name not in hidden}


def type_name(t: object) -> str:
    if typing.get_origin(t) is list:
        (inner,) = typing.get_args(t) or (object,)
        return f"list of {type_name(inner)}"
    return {str: "text", bool: "true/false", int: "number", list: "list"}.get(t, getattr(t, "__name__", str(t)))


def check_rule(spec: RuleSpec) -> None:
    """Raise RuleError at the first mistake in `spec`'s match."""
    checker = _Checker(spec.file)
    scope: dict[str, object] = dict(CONSTANTS)
    for name, node in spec.bindings:
        scope[name] = checker.type_of(node, scope)
    if spec.subject not in facts.SUBJECTS:
        node = spec.subject_node
        raise RuleError(spec.file, node.line, node.column, f"unknown subject {spec.subject!r}; "
                        f"one of {', '.join(facts.SUBJECTS)}")
    scope[spec.variable] = facts.SUBJECTS[spec.subject]
    for node in [spec.where] + [o.when for o in spec.severities + spec.reports]:
        if node is not None:
            checker.expect(node, scope, bool)
    for outcome in spec.reports:
        for text in PLACEHOLDER.findall(outcome.value):
            checker.type_of(parse_placeholder(text, spec.file, spec.line), scope)


class _Checker:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, node: Node, message: str):
        raise RuleError(self.file, node.line, node.column, message)

    def expect(self, node: Node, scope: dict, wanted: object) -> None:
        got = self.type_of(node, scope)
        if not _fits(got, wanted):
            self.fail(node, f"expected {type_name(wanted)}, got {type_name(got)}")

    def type_of(self, node: Node, scope: dict) -> object:
        method = getattr(self, f"_{type(node).__name__.lower()}")
        return method(node, scope)

    def _name(self, node: Name, scope: dict) -> object:
        if node.name not in scope:
            self.fail(node, f"unknown name {node.name!r}")
        return scope[node.name]

    def _literal(self, node: Literal, scope: dict) -> object:
        return type(node.value)

    def _listof(self, node: ListOf, scope: dict) -> object:
        kinds = {self.type_of(item, scope) for item in node.items}
        if len(kinds) > 1:
            self.fail(node, "a list's items must all have one type")
        return list[kinds.pop() if kinds else str]

    def _call(self, node: Call, scope: dict) -> object:
        builtin = FUNCTIONS.get(node.function)
        if builtin is None:
            self.fail(node, f"unknown function {node.function!r}; one of {', '.join(sorted(FUNCTIONS))}")
        if len(node.args) != len(builtin.params):
            self.fail(node, f"{node.function} takes {len(builtin.params)} argument(s), not {len(node.args)}")
        for arg, param in zip(node.args, builtin.params):
            self.expect(arg, scope, param)
        return builtin.returns

    def _attribute(self, node: Attribute, scope: dict) -> object:
        owner = self.type_of(node.subject, scope)
        fields = fields_of(owner) if isinstance(owner, type) and owner.__module__ == facts.__name__ else None
        if fields is None:
            self.fail(node, f"{type_name(owner)} has no attributes")
        if node.name not in fields:
            self.fail(node, f"{owner.__name__} has no attribute {node.name!r}; it has {', '.join(fields)}")
        return fields[node.name]

    def _compare(self, node: Compare, scope: dict) -> object:
        left, right = self.type_of(node.left, scope), self.type_of(node.right, scope)
        if node.operator == "in":
            if right is str and left is str:
                return bool  # substring
            if typing.get_origin(right) is not list or not _fits(left, typing.get_args(right)[0]):
                self.fail(node, f"cannot look for {type_name(left)} in {type_name(right)}")
        elif node.operator == "matches":
            if left is not str or right is not str:
                self.fail(node, "matches compares text with a wildcard pattern")
        elif left != right or left not in (str, bool, int):
            self.fail(node, f"cannot compare {type_name(left)} with {type_name(right)}")
        return bool

    def _not(self, node: Not, scope: dict) -> object:
        self.expect(node.operand, scope, bool)
        return bool

    def _logic(self, node: Logic, scope: dict) -> object:
        for operand in node.operands:
            self.expect(operand, scope, bool)
        return bool

    def _quantified(self, node: Quantified, scope: dict) -> object:
        source = self.type_of(node.source, scope)
        if typing.get_origin(source) is not list:
            self.fail(node.source, f"{node.quantifier}(...) ranges over a list, not {type_name(source)}")
        inner = {**scope, node.variable: typing.get_args(source)[0]}
        self.expect(node.body, inner, bool)
        return bool


def _fits(got: object, wanted: object) -> bool:
    if wanted is list:
        return typing.get_origin(got) is list
    return got == wanted
