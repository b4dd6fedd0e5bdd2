"""Run type-checked rules over the facts of one model: each match becomes a finding.

A rule that fails at run time (a bug, not a finding) must not hide the other rules'
findings, nor pass silently: it becomes an `internal` error in the run's errors.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Callable

from permcheck.iam.match import wildcard_match
from permcheck.model.location import InputError
from permcheck.rules.builtins import FUNCTIONS
from permcheck.rules.findings import Finding, Severity
from permcheck.rules.lang import (
    PLACEHOLDER, Attribute, Call, Compare, ListOf, Literal, Logic, Name, Node, Not, Quantified, RuleSpec, parse_placeholder,
)


def evaluate(node: Node, scope: dict) -> object:
    """The value of an expression; `scope` maps names to values."""
    return compiled(node)(scope)


def compiled(node: Node) -> Callable[[dict], object]:
    """`node` as a Python function of the scope, made once per node and kept on it: a rule's test
    runs for every fact of its subject (a hundred thousand on a large account), and walking its
    tree again for each one cost more than the test itself."""
    made = node.__dict__.get("_compiled")
    if made is None:
        made = _compile(node)
        object.__setattr__(node, "_compiled", made)  # not a field: equality, hashing and the codec ignore it
    return made


def _compile(node: Node) -> Callable[[dict], object]:
    kind = type(node)
    if kind is Name:
        name = node.name
        return lambda scope: scope[name]
    if kind is Literal:
        value = node.value
        return lambda scope: value
    if kind is Attribute:
        attribute = node.name
        if type(node.subject) is Name:  # `g.field`, the commonest test: one lookup, one getattr
            name = node.subject.name
            return lambda scope: getattr(scope[name], attribute)
        subject = compiled(node.subject)
        return lambda scope: getattr(subject(scope), attribute)
    if kind is Logic:
        return _logic(node.operator, [compiled(o) for o in node.operands])
    if kind is Not:
        if type(node.operand) is Attribute and type(node.operand.subject) is Name:  # `not g.field`
            name, attribute = node.operand.subject.name, node.operand.name
            return lambda scope: not getattr(scope[name], attribute)
        operand = compiled(node.operand)
        return lambda scope: not operand(scope)
    if kind is Compare:
        return _compared(node)
    if kind is Quantified:
        return _quantified(node)
    if kind is Call:
        run, args = FUNCTIONS[node.function].run, tuple(compiled(a) for a in node.args)
        if len(args) == 1:
            only, = args
            return lambda scope: run(only(scope))
        if len(args) == 2:
            first, second = args
            return lambda scope: run(first(scope), second(scope))
        return lambda scope: run(*[a(scope) for a in args])
    if kind is ListOf:
        items = tuple(compiled(item) for item in node.items)
        return lambda scope: [item(scope) for item in items]
    raise TypeError(f"not an expression: {node!r}")


def _logic(operator: str, operands: list[Callable[[dict], object]]) -> Callable[[dict], object]:
    """`and`/`or` of the operands, left to right, stopping at the first that decides: a bool, as
    `all`/`any` give."""
    first, *rest = operands
    if not rest:
        return lambda scope: bool(first(scope))
    if len(rest) <= 3:  # one closure for up to four operands: a call less per operand and fact
        second, third, fourth = (*rest, None, None)[:3]
        if operator == "and":
            if third is None:
                return lambda scope: bool(first(scope) and second(scope))
            if fourth is None:
                return lambda scope: bool(first(scope) and second(scope) and third(scope))
            return lambda scope: bool(first(scope) and second(scope) and third(scope) and fourth(scope))
        if third is None:
            return lambda scope: bool(first(scope) or second(scope))
        if fourth is None:
            return lambda scope: bool(first(scope) or second(scope) or third(scope))
        return lambda scope: bool(first(scope) or second(scope) or third(scope) or fourth(scope))
    second, third, then = rest[0], rest[1], _logic(operator, rest[2:])  # three here, the rest in `then`
    if operator == "and":
        return lambda scope: bool(first(scope) and second(scope) and third(scope)) and then(scope)
    return lambda scope: bool(first(scope) or second(scope) or third(scope)) or then(scope)


def _compared(node: Compare) -> Callable[[dict], object]:
    left, right, operator = compiled(node.left), compiled(node.right), node.operator
    if operator == "matches":
        return lambda scope: _matches(left(scope), right(scope))
    if type(node.right) is Literal:  # a field against a constant: the constant read once
        value = node.right.value
        if type(node.left) is Attribute and type(node.left.subject) is Name and operator in ("==", "!="):
            name, attribute = node.left.subject.name, node.left.name  # `g.field == "x"`: one closure
            if operator == "==":
                return lambda scope: getattr(scope[name], attribute) == value
            return lambda scope: getattr(scope[name], attribute) != value
        if operator == "==":
            return lambda scope: left(scope) == value
        if operator == "!=":
            return lambda scope: left(scope) != value
        return lambda scope: left(scope) in value
    if operator == "==":
        return lambda scope: left(scope) == right(scope)
    if operator == "!=":
        return lambda scope: left(scope) != right(scope)
    if type(node.right) is Name:  # `s.kind in kinds`: the list a `let` bound, looked up in place
        name = node.right.name
        return lambda scope: left(scope) in scope[name]
    return lambda scope: left(scope) in right(scope)


def _matches(value: str, pattern: str) -> bool:
    return wildcard_match(pattern, value, ignore_case=True)


def _quantified(node: Quantified) -> Callable[[dict], object]:
    """`any`/`all` over a list: the body sees the item under the variable's name in a scope of
    its own, so the item never leaks out to the rest of the rule."""
    source, body, variable = compiled(node.source), compiled(node.body), node.variable
    every = node.quantifier == "all"

    def test(scope: dict) -> bool:
        inner = dict(scope)
        for item in source(scope):
            inner[variable] = item
            if bool(body(inner)) is not every:
                return not every
        return every
    return test


def run_rule(spec: RuleSpec, severity: Severity, items: list, constants: dict) -> list[tuple[Finding, object]]:
    """The findings of one rule over its subject's items, each with the item it is about."""
    scope = bind(spec, constants)
    verdict = judging(spec, severity, scope)
    out = []
    for item in items:
        chosen = verdict(item)
        if chosen is None:
            continue
        template = next(o.value for o in spec.reports if o.when is None or evaluate(o.when, scope))
        out.append((Finding(rule=spec.id, severity=chosen, file=item.location.file, line=item.location.line,
                            resource=item.holder, message=render(template, scope), key=subject_key(item),
                            statement=getattr(item, "statement", "")), item))
    return out


class RuleFailure(Exception):
    """A rule's `let` that fails at run time: a bug in the rule or a function it calls, not bad
    input. `check` reports it as the rule's error and runs the other rules."""


def bind(spec: RuleSpec, constants: dict) -> dict:
    """The scope a rule's match runs in: the constants and its `let` bindings (RuleFailure when
    one cannot be computed; bad input, InputError, goes on to the CLI's one-line exit 2)."""
    scope = dict(constants)
    for name, node in spec.bindings:
        try:
            scope[name] = evaluate(node, scope)
        except InputError:
            raise
        except Exception as error:  # any bug in a let: named here, once, with the binding it is in
            raise RuleFailure(f"let {name}: {type(error).__name__}: {error}") from error
    return scope


def judge(spec: RuleSpec, severity: Severity, item: object, scope: dict) -> Severity | None:
    """The severity the rule gives `item`, or None when it does not flag it."""
    return judging(spec, severity, scope)(item)


def judging(spec: RuleSpec, severity: Severity, scope: dict) -> Callable[[object], Severity | None]:
    """`judge` for one rule and scope, its tests compiled once for all the items it will see."""
    variable = spec.variable
    where = None if spec.where is None else compiled(spec.where)
    levels = [(compiled(o.when), Severity(o.value)) for o in spec.severities]

    def verdict(item: object) -> Severity | None:
        scope[variable] = item
        if where is not None and not where(scope):
            return None
        return next((level for when, level in levels if when(scope)), severity)
    return verdict


def render(template: str, scope: dict) -> str:
    """A report's text with each `{expression}` replaced by its value (lists joined)."""
    def value(match) -> str:
        current = evaluate(parse_placeholder(match.group(1)), scope)
        return ", ".join(map(str, current)) if isinstance(current, list) else str(current)
    return PLACEHOLDER.sub(value, template)


def subject_key(item: object) -> str:
    """What a finding is about, without where it is written or which statement wrote it (the
    finding's `statement`): its part of the fingerprint."""
    fields = {f.name: getattr(item, f.name) for f in dataclasses.fields(item) if f.name not in ("location", "statement")}
    return hashlib.sha256(repr(sorted(fields.items())).encode()).hexdigest()[:16]

