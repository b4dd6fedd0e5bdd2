"""Which resource policies are decided once for all: the shape a grant's facts depend on.

Twenty thousand trust policies written from a handful of templates grant the same principals the
same actions under the same conditions; only the role they sit on differs. A grant's facts (its
decision, conditions and outsiders) are then the same for each, once re-expressed for the holder:
its ARN, its own statements cited (holder, file, line, statement id). `shape` is the key under
which `Facts` keeps them; None when the policy must be decided alone.

What the facts read of a holder, and how the key holds it:
- the policy's content, statement by statement in order (`Caches.shape` reads the same fields),
  with each Resource written relative to the holder's ARN: the evaluator matches a Resource
  against the ARN of the resource asked about, here the holder's own, and a literal prefix
  matches itself whatever it is, so `<holder ARN>:prod` or `*` matches alike on every holder
  ("Resource", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
  A Resource that is not `*` and does not start with the holder's ARN (another function,
  `function:app-*`) may match one holder and not another: such a policy is decided alone;
- every other value as written: a condition or principal naming the holder's own ARN makes its
  policy one of a kind;
- the holder's account, its function URLs' auth types, and for each action the policy grants,
  what the index holds of it as a target (`target_class`: policy required, its context, a note);
- whether AWS protects the holder whatever policies say (a service-linked role:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html);
- the callers its principals are: a caller with identity policies or a boundary matches their
  Resources against the holder's ARN too, and an SCP or RCP with a Resource other than `*` does
  the same, so those policies are decided alone.
Only functions and roles share: their grants are asked on the holder alone (a bucket's reach its
objects, a Resource list of their own).
"""

from __future__ import annotations

from permcheck.iam.builtin import PROTECTIONS
from permcheck.iam.decide import target_class
from permcheck.model.entities import Function
from permcheck.model.location import InputError
from permcheck.model.policy import Effect, Policy, Statement

SHARED_TYPES = frozenset({"function", "role"})
_WILD = ("*", "?", "$")


def shape(facts, policy: Policy, arn: object, target_type: str, owner, account: str) -> tuple | None:
    """The key of `policy`'s grants on `owner` (at `arn`, in `account`); None: decide it alone."""
    if target_type not in SHARED_TYPES or not isinstance(arn, str) or any(w in arn for w in _WILD):
        return None
    edges = facts.edges
    statements = []
    for s in policy.statements:
        content = _relative(s, arn)
        if content is None:
            return None
        statements.append(content)
    actions, principals = set(), set()
    for s in policy.statements:
        if s.effect is Effect.ALLOW and s.principals is not None:
            actions.update(str(a) for a in (s.actions if not s.not_action else ("*",)))
            principals.update(s.principals if not s.not_principal else ())
    if _callers_read_holder(edges, principals):
        return None
    targets = tuple(target_class(edges.index.target(arn, a)) for a in sorted(actions))
    protected = tuple(p.match(arn) is not None for p, _, _ in PROTECTIONS)
    urls = tuple(sorted(str(u.auth_type) for u in owner.urls)) if isinstance(owner, Function) else ()
    return (target_type, account, urls, policy.kind, tuple(statements), targets, protected)


def _callers_read_holder(edges, principals) -> bool:
    """Does a caller these principals name have identity policies or a boundary (whose Resources
    are matched against the holder's ARN too), or name no caller without an error?"""
    for principal in principals:
        try:
            caller = edges.caller_for_principal(principal)
        except InputError:  # decided alone, where the error is met as it always is
            return True
        if caller is not None and (caller.identity or caller.boundary is not None):
            return True
    return False


def _relative(s: Statement, holder: str) -> tuple | None:
    """A statement's content as the evaluation reads it, its Resources relative to `holder`; None
    when a value is not a plain string, a Resource holds a policy variable, or one may match holders
    apart."""
    texts = [*s.actions, *(p.value for p in s.principals or ()), *(v for c in s.conditions for v in c.values)]
    if not all(isinstance(t, str) for t in texts):
        return None
    resources = None
    if s.resources is not None:
        resources = []
        for r in s.resources:
            if not isinstance(r, str) or "${" in r:
                return None
            if r == "*":
                resources.append(("*",))
            elif r.startswith(holder):
                resources.append(("holder", r[len(holder):]))
            else:
                return None
        resources = tuple(resources)
    principals = None if s.principals is None else tuple((p.type, p.value) for p in s.principals)
    return (s.effect, s.actions, s.not_action, resources, s.not_resource, principals, s.not_principal,
            tuple((c.operator, c.key, c.values) for c in s.conditions), s.version)


def org_free(org) -> bool:
    """Do the SCPs and RCPs read nothing of the resource's ARN (every Resource `*`)? Else no policy
    is shared (`shape`'s last point)."""
    return all(s.resources in (None, ("*",)) and not s.not_resource
               for p in (*org.scps, *org.rcps) for s in p.statements)
