"""The rule engine compiles each expression to Python functions once (rules/engine.py): the
compiled form must give exactly what walking the syntax tree gives, for every kind of node,
including `any`/`all` whose variable shadows an outer name and a report's `when`, and `and`/`or`
of one to six operands (up to four are one closure, more a chain of three at a time)."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from permcheck.iam.match import wildcard_match
from permcheck.rules import engine
from permcheck.rules.builtins import FUNCTIONS
from permcheck.rules.lang import Attribute, Call, Compare, ListOf, Literal, Logic, Name, Not, Quantified


@dataclass(frozen=True)
class Item:
    name: str
    tags: tuple
    flag: bool


def walked(node, scope: dict) -> object:
    """The plain tree walk the engine did before it compiled: the oracle."""
    kind = type(node)
    if kind is Name:
        return scope[node.name]
    if kind is Literal:
        return node.value
    if kind is Attribute:
        return getattr(walked(node.subject, scope), node.name)
    if kind is Logic:
        test = (walked(o, scope) for o in node.operands)
        return all(test) if node.operator == "and" else any(test)
    if kind is Not:
        return not walked(node.operand, scope)
    if kind is Compare:
        left, right = walked(node.left, scope), walked(node.right, scope)
        return {"==": lambda: left == right, "!=": lambda: left != right, "in": lambda: left in right,
                "matches": lambda: wildcard_match(right, left, ignore_case=True)}[node.operator]()
    if kind is Quantified:
        test = (walked(node.body, {**scope, node.variable: item}) for item in walked(node.source, scope))
        return any(test) if node.quantifier == "any" else all(test)
    if kind is Call:
        return FUNCTIONS[node.function].run(*(walked(a, scope) for a in node.args))
    if kind is ListOf:
        return [walked(item, scope) for item in node.items]
    raise TypeError(node)


WORDS = st.sampled_from(["a", "b", "s3:GetObject", "s3:*", "iam:PassRole", "A", ""])


def _text(depth: int):
    """Expressions whose value is a string."""
    leaves = st.one_of(WORDS.map(lambda w: Literal(1, 1, w)),
                       st.just(Attribute(1, 1, Name(1, 1, "x"), "name")),
                       st.just(Name(1, 1, "t")))
    if depth == 0:
        return leaves
    return st.one_of(leaves, _text(depth - 1).map(lambda e: Call(1, 1, "lower", (e,))))


def _texts(depth: int):
    """Expressions whose value is a list of strings."""
    return st.one_of(st.just(Attribute(1, 1, Name(1, 1, "x"), "tags")), st.just(Name(1, 1, "ts")),
                     st.lists(_text(depth), max_size=3).map(lambda items: ListOf(1, 1, tuple(items))))


def _test(depth: int):
    """Expressions whose value is a bool, of every node kind."""
    leaves = st.one_of(st.just(Attribute(1, 1, Name(1, 1, "x"), "flag")), st.booleans().map(lambda b: Literal(1, 1, b)))
    if depth == 0:
        return leaves
    inner = _test(depth - 1)
    compare = st.builds(lambda op, left, right: Compare(1, 1, op, left, right),
                        st.sampled_from(["==", "!=", "matches"]), _text(depth - 1), _text(depth - 1))
    member = st.builds(lambda left, right: Compare(1, 1, "in", left, right), _text(depth - 1), _texts(depth - 1))
    logic = st.builds(lambda op, operands: Logic(1, 1, op, tuple(operands)),
                      st.sampled_from(["and", "or"]), st.lists(inner, min_size=1, max_size=6))
    quantified = st.builds(lambda q, source, body: Quantified(1, 1, q, "t", source, body),
                           st.sampled_from(["any", "all"]), _texts(depth - 1),
                           st.one_of(inner, st.builds(lambda w: Compare(1, 1, "==", Name(1, 1, "t"), Literal(1, 1, w)),
                                                      WORDS)))
    call = st.builds(lambda patterns, action: Call(1, 1, "grants_action", (patterns, action)),
                     _texts(depth - 1), _text(depth - 1))
    return st.one_of(leaves, compare, member, logic, inner.map(lambda e: Not(1, 1, e)), quantified, call)


ITEMS = st.builds(Item, WORDS, st.lists(WORDS, max_size=3).map(tuple), st.booleans())


@settings(max_examples=400, deadline=None)
@given(_test(3), ITEMS, WORDS, st.lists(WORDS, max_size=3))
def test_a_compiled_expression_gives_what_walking_its_tree_gives(node, item, outer, bound) -> None:
    scope = {"x": item, "t": outer, "ts": bound}  # `ts`: a list a `let` bound
    assert engine.evaluate(node, dict(scope)) == walked(node, dict(scope))


def test_a_quantifier_variable_stays_inside_its_body() -> None:
    # `any t in x.tags: t == "b"` where `t` is also an outer name: the outer `t` is unchanged after.
    node = Logic(1, 1, "and", (
        Quantified(1, 1, "any", "t", Attribute(1, 1, Name(1, 1, "x"), "tags"),
                   Compare(1, 1, "==", Name(1, 1, "t"), Literal(1, 1, "b"))),
        Compare(1, 1, "==", Name(1, 1, "t"), Literal(1, 1, "outer"))))
    scope = {"x": Item("n", ("a", "b"), False), "t": "outer"}
    assert engine.evaluate(node, scope) is True and scope["t"] == "outer"
