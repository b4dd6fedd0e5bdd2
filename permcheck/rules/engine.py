"""Run type-checked rules over the facts of one model: each match becomes a finding.

A rule that fails at run time (a bug, not a finding) must not hide the other rules'
findings, nor pass silently: it becomes an `internal` error in the run's errors.
"""

from __future__ import annotations

import dataclasses
import hashlib

from permcheck.iam.match import wildcard_match
from permcheck.model.location import InputError
from permcheck.rules.builtins import FUNCTIONS
from permcheck.rules.findings import Finding, Severity
from permcheck.rules.lang import (
    PLACEHOLDER, Attribute, Call, Compare, ListOf, Literal, Logic, Name, Node, Not, Quantified, RuleSpec, parse_placeholder,
)


def evaluate(node: Node, scope: dict) -> object:
    """The value of an expression; `scope` maps names to values."""
    kind = type(node)
    if kind is Name:
        return scope[node.name]
    if kind is Literal:
        return node.value
    if kind is Attribute:
        return getattr(evaluate(node.subject, scope), node.name)
    if kind is Logic:
        if node.operator == "and":
            return all(evaluate(o, scope) for o in node.operands)
        return any(evaluate(o, scope) for o in node.operands)
    if kind is Not:
        return not evaluate(node.operand, scope)
    if kind is Compare:
        return _compare(node.operator, evaluate(node.left, scope), evaluate(node.right, scope))
    if kind is Quantified:
        items = evaluate(node.source, scope)
        test = (evaluate(node.body, {**scope, node.variable: item}) for item in items)
        return any(test) if node.quantifier == "any" else all(test)
    if kind is Call:
        return FUNCTIONS[node.function].run(*(evaluate(a, scope) for a in node.args))
    if kind is ListOf:
        return [evaluate(item, scope) for item in node.items]
    raise TypeError(f"not an expression: {node!r}")


def _compare(operator: str, left: object, right: object) -> bool:
    if operator == "==":
        return left == right
    if operator == "!=":
        return left != right
    if operator == "matches":
        return wildcard_match(right, left, ignore_case=True)
    return left in right


def run_rule(spec: RuleSpec, severity: Severity, items: list, constants: dict) -> list[tuple[Finding, object]]:
    """The findings of one rule over its subject's items, each with the item it is about."""
    scope = bind(spec, constants)
    out = []
    for item in items:
        chosen = judge(spec, severity, item, scope)
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
    scope[spec.variable] = item
    if spec.where is not None and not evaluate(spec.where, scope):
        return None
    return next((Severity(o.value) for o in spec.severities if evaluate(o.when, scope)), severity)


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

