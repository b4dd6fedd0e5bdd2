"""What a rule's `where` asks of its subject's fields: tests a producer may apply before it
builds a fact, so that a collection of hundreds of thousands of facts is not made for rules
that read a few of them.

A rule's match is `for x in SUBJECT where A and B and …`. Each conjunct that tests one field of
`x` against a value fixed before the loop (`x.f`, `not x.f`, `x.f == V`, `x.f != V`, `x.f in V`,
with `V` a literal, a list of them or a `let` name) is a `FieldTest`: a fact that fails it is never
flagged by that rule. A producer that knows some fields of a fact before building it (who and by
which way, before a path's words and location: rules/trigger_facts.py) builds only the facts
that some rule in force may flag (`may_flag`).

Nothing here knows what a rule means: other conjuncts, and every field a producer does not know
early, are left open, and the engine still judges every fact it is given by the whole `where`. A
rule without such tests (a user's `for t in trigger_paths report …`) wants every fact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from permcheck.rules.lang import Attribute, Compare, ListOf, Literal, Logic, Name, Node, Not, RuleSpec

_NOTHING = object()


@dataclass(frozen=True)
class FieldTest:
    """One conjunct of a rule's `where` on one field of the fact: `op` is truthy, falsy, ==, != or in."""

    field: str
    op: str
    value: object = None

    def holds(self, actual: object) -> bool:
        """The conjunct's value on a fact whose field is `actual` (as engine.evaluate computes it)."""
        if self.op == "truthy":
            return bool(actual)
        if self.op == "falsy":
            return not actual
        if self.op == "==":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        return actual in self.value


Want = tuple[FieldTest, ...]
"""One rule's tests (all must hold for it to flag a fact); () wants every fact."""


def field_tests(spec: RuleSpec, scope: Mapping[str, object]) -> Want:
    """The field tests among the top-level conjuncts of the rule's `where` (`scope`: the rule's
    constants and `let` bindings, engine.bind)."""
    if spec.where is None:
        return ()
    conjuncts = spec.where.operands if isinstance(spec.where, Logic) and spec.where.operator == "and" \
        else (spec.where,)
    return tuple(test for node in conjuncts
                 if (test := _test(node, spec.variable, scope)) is not None)


def may_flag(wants: Iterable[Want], known: Mapping[str, object]) -> bool:
    """Could a fact whose fields `known` has (the others open) pass every test of some want?"""
    return any(all(test.field not in known or test.holds(known[test.field]) for test in want) for want in wants)


def _test(node: Node, variable: str, scope: Mapping[str, object]) -> FieldTest | None:
    if _field(node, variable):
        return FieldTest(node.name, "truthy")
    if isinstance(node, Not) and _field(node.operand, variable):
        return FieldTest(node.operand.name, "falsy")
    if isinstance(node, Compare) and node.operator in ("==", "!=", "in"):
        left, right = node.left, node.right
        if node.operator != "in" and not _field(left, variable):
            left, right = right, left  # `"x" == t.f` tests the field too
        if _field(left, variable):
            value = _fixed(right, variable, scope)
            if value is not _NOTHING and (node.operator != "in" or isinstance(value, (list, tuple, str))):
                return FieldTest(left.name, node.operator, value)
    return None


def _field(node: Node, variable: str) -> bool:
    """Is `node` a field of the loop's variable (`t.public`)?"""
    return isinstance(node, Attribute) and isinstance(node.subject, Name) and node.subject.name == variable


def _fixed(node: Node, variable: str, scope: Mapping[str, object]) -> object:
    """The value of an expression that does not depend on the fact (else _NOTHING)."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Name) and node.name != variable and node.name in scope:
        return scope[node.name]
    if isinstance(node, ListOf):
        items = [_fixed(item, variable, scope) for item in node.items]
        return _NOTHING if any(item is _NOTHING for item in items) else items
    return _NOTHING
