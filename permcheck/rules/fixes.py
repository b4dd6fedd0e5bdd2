"""Fix suggestions, each proven by the evaluator before it is shown.

For a grant that a rule flags, the narrowest change is a condition on the statements
that name the principal (or, for a public function URL, `AuthType: AWS_IAM`). A
suggestion is shown only when, on a copy of the model with the change made,
- the rule no longer flags the grant (or, for `sts:ExternalId`, flags it less severely), and
- the legitimate caller — a request that carries the condition's expected value — is still
  allowed as before.
"""

from __future__ import annotations

import copy
from collections import ChainMap
from dataclasses import dataclass

from permcheck.graph.edges import Edges
from permcheck.iam.decide import Decision
from permcheck.model.entities import Function, FunctionUrl, Role
from permcheck.model.policy import CLAUSE_FIELDS, Clause, Effect, Policy, built
from permcheck.rules import facts


@dataclass(frozen=True)
class Change:
    """One proposed change: a condition to add, or a function URL's AuthType to set."""

    text: str
    clause: Clause | None = None
    url_auth_type: str | None = None
    principal: str | None = None  # an account id to name instead of the flagged principal


def with_suggestions(edges: Edges, rule, spec, found: list, constants: dict, current) -> list:
    """The findings of one rule, each grant finding with the first suggestion that holds (`current`:
    the run's `Facts`, whose zone of trust a changed copy of the model keeps)."""
    from dataclasses import replace

    from permcheck.rules.engine import bind, judge
    scope = bind(spec, constants)
    out = []
    for finding, item in found:
        if isinstance(item, facts.Grant):
            text = suggest(edges, rule, item, constants["org_id"], current,
                           lambda g: judge(spec, finding.severity, g, scope))
            if text:
                finding = replace(finding, fix=text)
        out.append(finding)
    return out


def candidates(rule_id: str, grant: facts.Grant, org_id: str) -> list[Change]:
    """The narrowest changes worth trying for a flagged grant, best first."""
    own = grant.target_account
    org = [Change(f"add the condition StringEquals aws:PrincipalOrgID = {org_id}",
                  _equals("aws:PrincipalOrgID", org_id))] if org_id else []
    if rule_id == "public-invoke" and grant.function_url_public:
        return [Change("set the function URL's AuthType to AWS_IAM", url_auth_type="AWS_IAM")]
    if rule_id == "public-invoke":  # AWS::Lambda::Permission takes PrincipalOrgID, not any condition
        return [Change(f"add PrincipalOrgID: {org_id}", _equals("aws:PrincipalOrgID", org_id))] * bool(org_id) + \
            [Change(f"name the account instead of anyone: Principal: '{own}'", principal=own)]
    if rule_id == "trust-any-principal":
        return org + [Change(f"add the condition StringEquals aws:PrincipalAccount = {own}",
                             _equals("aws:PrincipalAccount", own))]
    if rule_id == "service-invoke-without-source":
        return [Change(f"add SourceAccount: {own} (better still, SourceArn: the ARN of the bucket, topic, rule "
                       f"or API that invokes it)",
                       _equals("aws:SourceAccount", own))]
    if rule_id in ("cross-account-invoke", "cross-account-resource-policy"):
        return org
    if rule_id == "cross-account-trust":
        return org + [Change("add the condition StringEquals sts:ExternalId = <a secret agreed with the other "
                             "account> (lowers the severity; the grant stays cross-account)",
                             _equals("sts:ExternalId", "<external-id>"))]
    return []


def _equals(key: str, value: str) -> Clause:
    """`StringEquals key = value` (built as the loaders build clauses: a string in each field)."""
    return built(Clause, CLAUSE_FIELDS, operator="StringEquals", key=key, values=(value,))


def suggest(edges: Edges, rule, grant: facts.Grant, org_id: str, current, flagged) -> str | None:
    """The first candidate change the evaluator confirms; `flagged(grant)` re-runs the rule
    on a grant and returns the severity it would get, or None when it no longer fires."""
    before = flagged(grant)
    for change in candidates(rule.id, grant, org_id):
        changed = _changed_edges(edges, grant, change)
        if changed is None:
            continue
        after = current.of(changed).grants_on(grant.target, grant.target_type, only=grant.principal)
        severities = [flagged(g) for g in after]
        if any(s is not None and s.rank >= before.rank for s in severities):
            continue  # the change does not narrow what the rule flags
        if change.clause is not None and not _legitimate_caller_kept(changed, grant, change.clause):
            continue
        return change.text
    return None


def _legitimate_caller_kept(edges: Edges, grant: facts.Grant, clause: Clause) -> bool:
    """A request carrying the condition's expected value is decided as before the change."""
    from permcheck.model.policy import normalise_principal
    kind = {"service": "Service", "federated": "Federated"}.get(grant.principal_kind, "AWS")
    caller = edges.caller_for_principal(normalise_principal(kind, grant.principal))
    if caller is None:
        return False
    probe = Edges(edges.index, context={**edges.context, clause.key.lower(): tuple(map(str, clause.values))},
                  closed=edges.closed)
    wanted = Decision(grant.decision)
    answers = [probe.ask(caller, action, resource) for action in grant.actions
               for resource in grant.resources or [grant.target]]
    best = Decision.ALLOWED if any(a.decision is Decision.ALLOWED for a in answers) else \
        Decision.CONDITIONAL if any(a.decision is Decision.CONDITIONAL for a in answers) else Decision.DENIED
    return best is not Decision.DENIED and (wanted is not Decision.ALLOWED or best is Decision.ALLOWED)


def _changed_edges(edges: Edges, grant: facts.Grant, change: Change) -> Edges | None:
    """A copy of the model with the change made to the grant's target: the inventory's table of
    the target seen through the one entry replaced (`ChainMap`: the other entries are the model's
    own, never copied), and an index that shares what does not change (`Index.changed`)."""
    inventory = copy.copy(edges.index.inventory)
    target = grant.target
    name = {"function": "functions", "role": "roles"}.get(grant.target_type, "resources")
    owner = getattr(inventory, name).get(target)
    if owner is None:
        return None
    if change.url_auth_type is not None:
        if not isinstance(owner, Function):
            return None
        urls = tuple(FunctionUrl(auth_type=change.url_auth_type, qualifier=u.qualifier, location=u.location)
                     for u in owner.urls)
        changed = owner.model_copy(update={"urls": urls})
    else:
        field = "trust" if isinstance(owner, Role) else "policy"
        policy = getattr(owner, field)
        if policy is None:
            return None
        changed = owner.model_copy(update={field: _changed_policy(policy, grant.principal, change)})
    setattr(inventory, name, ChainMap({target: changed}, getattr(inventory, name)))
    return Edges(edges.index.changed(inventory, target), context=edges.context, closed=edges.closed)


def _changed_policy(policy: Policy, principal: str, change: Change) -> Policy:
    from permcheck.model.policy import normalise_principal
    statements = []
    for s in policy.statements:
        names = s.principals is not None and (s.not_principal or any(str(p.value) == principal for p in s.principals))
        if s.effect is Effect.ALLOW and names and change.clause is not None:
            s = s.model_copy(update={"conditions": s.conditions + (change.clause,)})
        elif s.effect is Effect.ALLOW and names:
            others = tuple(p for p in s.principals if str(p.value) != principal)
            s = s.model_copy(update={"principals": others + (normalise_principal("AWS", change.principal),),
                                     "not_principal": False})
        statements.append(s)
    return policy.model_copy(update={"statements": tuple(statements)})
