"""Which statements can apply to a request, and what they still depend on.

`live_statements` keeps every statement whose action, resource and principal can match
the request — matched for sure, or depending on an unknown value (an *atom* of the
`Space`). What is left to decide per request context is the statements' conditions and
any policy variables; `applies` decides that for one concrete context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from permcheck.iam import conditions as cond
from permcheck.iam import variables
from permcheck.iam.actions import action_match
from permcheck.iam.answer import ConditionEntry, OnClause, OnUnknown
from permcheck.iam.caches import Caches
from permcheck.iam.patterns import PatternIndex
from permcheck.iam.match import any_match, match, negate
from permcheck.iam.principals import Grant, not_principal_exempts, principal_match
from permcheck.iam.request import Request
from permcheck.model.policy import Clause, Effect, Policy, Statement
from permcheck.model.values import Sym, Unknown, unknowns_of


@dataclass(eq=False)
class Live:
    """A statement that can apply, with the atom values it needs (`guards`)."""

    layer: str
    statement: Statement
    grant: Optional[Grant] = None
    guards: tuple[tuple[int, object], ...] = ()
    dynamic_resources: bool = False
    clauses: tuple[Clause, ...] = ()
    symbolic: tuple[Clause, ...] = ()  # clauses with unresolved values: decided by atoms, still shown


@dataclass
class Space:
    """Unknown values a decision may depend on, each with the values it can take."""

    atoms: list[tuple[str, tuple]] = field(default_factory=list)
    by_reason: dict[str, int] = field(default_factory=dict)

    def atom(self, reason: str, values: tuple = (True, False)) -> int:
        if reason not in self.by_reason:
            self.by_reason[reason] = len(self.atoms)
            self.atoms.append((reason, values))
        return self.by_reason[reason]

    def axes(self) -> list[tuple[int, tuple]]:
        return [(i, values) for i, (_, values) in enumerate(self.atoms)]


def _reason(value: object, what: str) -> str:
    """The first unknown inside a value or a tuple of values, else `what`."""
    items = value if isinstance(value, tuple) else (value,)
    found = [u for item in items for u in unknowns_of(item)]
    return found[0].reason if found else what


def live_statements(layer: str, policy: Policy, request: Request, space: Space, fixed: dict,
                    caches: Caches) -> list[Live]:
    """The statements of `policy` that can apply to `request` (`fixed`: the context keys known)."""
    if policy.unknown is not None:
        return _unknown_policy(layer, policy, space)
    out = []
    statements = policy.statements if len(policy.statements) < INDEXED_FROM else \
        _may_apply(policy, request.action, request.target.arn, caches)
    for statement in statements:
        live = _live(layer, statement, request, space, fixed)
        if live is not None:
            out.append(live)
    return out


INDEXED_FROM = 32
"""A policy with this many statements is indexed by action and resource, not scanned whole for
each request: `what-can-access` asks about every grant of a policy, which made a 1,000-statement
policy quadratic."""


def _may_apply(policy: Policy, action: str, resource: object, caches: Caches) -> list[Statement]:
    """The statements of a large policy whose Action and Resource may match, in policy order."""
    key = (id(policy), action.lower())
    entry = caches.policy_index.get(key)
    if entry is None or entry[0] is not policy:
        matching = [(i, s) for i, s in enumerate(policy.statements) if action_match(s, action) is not False]
        always = [(i, s) for i, s in matching if s.resources is None or s.not_resource
                  or any(not isinstance(r, str) or "${" in r for r in s.resources)]
        skip = {i for i, _ in always}
        entry = (policy, always, PatternIndex([(s.resources, False, (i, s)) for i, s in matching if i not in skip]))
        caches.put(caches.policy_index, key, entry)  # the policy is kept so its id stays its own
    _, always, index = entry
    found = dict(always)
    found.update(index.candidates(resource))
    return [found[i] for i in sorted(found)]


def _unknown_policy(layer: str, policy: Policy, space: Space) -> list[Live]:
    """A policy whose content is unknown may allow, deny, or not apply at all."""
    reason = f"content of {policy.name}: {policy.unknown.reason}"
    atom = space.atom(reason, ("no effect", "allow", "deny"))
    grant = Grant.ANY if layer in ("resource", "rcp") else None
    out = []
    for effect, value in ((Effect.ALLOW, "allow"), (Effect.DENY, "deny")):
        phantom = Statement(effect=effect, actions=("*",), resources=("*",), policy=policy.name,
                            location=policy.location, source_note=reason)
        out.append(Live(layer, phantom, grant, ((atom, value),)))
    return out


def _live(layer: str, statement: Statement, request: Request, space: Space, fixed: dict) -> Live | None:
    pending: list[str] = []  # unknowns this statement depends on, registered only if it can apply

    def need(hit, value, what: str) -> bool:
        if hit is False:
            return False
        if hit is None:
            pending.append(_reason(value, what))
        return True

    if not need(action_match(statement, request.action), statement.actions, "action"):
        return None
    dynamic = False
    if statement.resources is not None:
        if statement.version == "2012-10-17" and isinstance(request.target.arn, str) and \
                any(isinstance(r, str) and "${" in r for r in statement.resources):
            dynamic = True
        else:
            hit = any_match(statement.resources, request.target.arn)
            if not need(negate(hit) if statement.not_resource else hit, statement.resources, "resource"):
                return None
    grant = None
    if statement.principals is not None:
        if statement.not_principal:
            hit, grant = negate(not_principal_exempts(statement, request.caller)), Grant.DIRECT
        else:
            hit, grant = principal_match(statement, request.caller)
        if statement.not_principal and hit is None:
            who = request.caller.session_arn or request.caller.arn
            pending.append(f"whether NotPrincipal in {statement.policy} exempts {who} "
                           "(AWS may check its account, role and session)")
        elif not need(hit, statement.principals[0].value if hit is None else None, "principal"):
            return None
    clauses, symbolic = [], []
    for clause in statement.conditions:
        if any(isinstance(v, (Sym, Unknown)) for v in clause.values):
            holds = _symbolic_clause(clause, fixed, request.closed)
            if holds is False:
                return None
            if holds is None:
                pending.append(_reason(clause.values, clause.key))
                symbolic.append(clause)
        else:
            clauses.append(clause)
    guards = tuple((space.atom(reason), True) for reason in pending)
    return Live(layer, statement, grant, guards, dynamic, tuple(clauses), tuple(symbolic))


POSITIVE = {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"}


def _symbolic_clause(clause: Clause, fixed: dict, closed: bool) -> Optional[bool]:
    """Can a clause with unresolved values be decided anyway?

    When the key is absent (closed context), the values do not matter: non-negated operators
    fail and negated ones and `...IfExists` hold. When the request value is known, an unresolved
    part widened to `*` bounds what the value can match: no match even then is a sure miss.
    """
    operator = cond.parse_operator(clause.operator)
    key = clause.key.lower()
    if operator.base == "Null":
        return None
    if not fixed.get(key):  # absent (closed context, or fixed as absent): the values do not matter
        return cond.clause_holds(clause.operator, clause.key, ("\x00",), {}) if closed or key in fixed else None
    if operator.set_qualifier or operator.base not in POSITIVE:
        return None
    ignore = operator.base.endswith("IgnoreCase")
    for value in clause.values:
        for actual in fixed[key]:
            if match(value, actual, ignore) is not False:
                return None
    return False


def applies(live: Live, context: dict, atoms: dict, resource: str) -> bool:
    """Does this statement apply for one fully known context and atom assignment?"""
    for atom, required in live.guards:
        if atoms.get(atom) != required:
            return False
    statement = live.statement
    if live.dynamic_resources:
        hit = any(_pattern_matches(p, statement, context, resource) for p in statement.resources)
        if hit == statement.not_resource:
            return False
    for clause in live.clauses:
        values = tuple(_substituted(v, clause.operator, statement, context) for v in clause.values)
        if not cond.clause_holds(clause.operator, clause.key, values, context):
            return False
    return True


def _pattern_matches(pattern: object, statement: Statement, context: dict, resource: str) -> bool:
    """A Resource pattern with policy variables, filled from one context (no value: no match)."""
    if not isinstance(pattern, str):
        return False  # symbolic patterns never reach here: they are static atoms
    glob = variables.substitute_pattern(pattern, context, version=statement.version)
    return glob is not None and cond.like_matches(glob, resource)


GLOB_OPERATORS = ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals")


def _substituted(value: object, operator: str, statement: Statement, context: dict):
    """A condition value with its policy variables filled in (a Glob for wildcard operators)."""
    text = str(value)
    if statement.version != "2012-10-17" or "${" not in text:
        return text
    base = operator.split(":")[-1].removesuffix("IfExists")
    if base in GLOB_OPERATORS:
        return variables.substitute_pattern(text, context, version=statement.version)
    return variables.substitute(text, context, version=statement.version)


def condition_entries(lives: list[Live], keys: list[str], space: Space) -> list[ConditionEntry]:
    """The conditions a `conditional` answer depends on: the clauses on open keys, the policy
    variables to supply, the unknowns."""
    out: list[ConditionEntry] = []
    open_set = set(keys)
    for live in lives:
        effect = live.statement.effect.value
        for clause in live.clauses + live.symbolic:
            named = [name for value in clause.values
                     for name in variables.find_variables(str(value), version=live.statement.version)
                     if name.lower() in open_set]
            values = tuple(str(v) for v in clause.values)
            if clause.key.lower() in open_set or clause in live.symbolic or named:
                out.append(OnClause(clause.operator, clause.key, values, effect))
            # a value's policy variable is a key to supply too (`${aws:PrincipalAccount}`)
            out += [OnClause("PolicyVariable", name, values, effect) for name in named]
    for live in lives:
        if not live.dynamic_resources:
            continue
        for pattern in live.statement.resources:
            for name in variables.find_variables(str(pattern), version=live.statement.version):
                if name.lower() in open_set:
                    out.append(OnClause("PolicyVariable", name, (str(pattern),), live.statement.effect.value))
    out = list(dict.fromkeys(out))
    out += [OnUnknown(reason) for reason, _ in space.atoms]
    return out
