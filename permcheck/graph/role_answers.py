"""One request asked of many roles that no policy names: the roles `*` stands for on a way in
(graph/triggers.py follows each, and a large account has thousands).

What the evaluation reads of a role is its account and kind, its statements for the action
(identity and boundary), whether the resource's policy names it, and the condition keys the
caller alone sets (`Caller.known_context`). Of those only the ARN and name differ between two
roles of one account, and they are read only through a condition on a per-principal key
(`aws:PrincipalArn`, `aws:username` …), a policy variable, a Principal or NotPrincipal naming
the role — or a statement of the role's own, which the key holds by identity. So where none of
those is in play, roles alike in the rest share one answer; anywhere else each is asked on its
own. `tests/property/test_trigger_bruteforce.py` asks every role directly and compares.
"""

from __future__ import annotations

from permcheck.graph.edges import Edges
from permcheck.iam.actions import action_match
from permcheck.iam.answer import Answer
from permcheck.iam.match import any_match
from permcheck.iam.principals import named_principals
from permcheck.iam.request import Caller
from permcheck.model.policy import Policy, Statement

PERSONAL_KEYS = ("aws:principalarn", "aws:username", "aws:userid", "aws:principaltag/", "aws:sourceidentity",
                 "aws:principalservicename", "aws:federatedprovider", "aws:tokenissuetime")


class RoleAnswers:
    """Answers of roles for requests no policy names them in, shared where they cannot differ."""

    def __init__(self, edges: Edges) -> None:
        self.edges = edges
        self._answers: dict[tuple, Answer] = {}
        self._owned: dict[tuple[str, str], tuple[Statement, ...] | None] = {}
        self._personal: dict[int, bool] = {}  # by policy (the model holds every policy while it lives)
        self._names: dict[int, set[str]] = {}
        org = edges.index.evaluator.org
        self._org_personal = any(_personal(s) for p in (*org.scps, *org.rcps) for s in p.statements)

    def ask(self, caller: Caller, action: str, resource: object) -> Answer:
        key = self._key(caller, action, resource)
        if key is None:
            return self.edges.ask(caller, action, resource)
        if key not in self._answers:
            self._answers[key] = self.edges.ask(caller, action, resource)
        return self._answers[key]

    def _key(self, caller: Caller, action: str, resource: object) -> tuple | None:
        """What the answer depends on, or None when it may depend on the role itself."""
        if self._org_personal or caller.identity is None or caller.session_arn is not None:
            return None
        own = self._own(caller, action)
        policy = self.edges.index.target(resource, action).policy
        if own is None or (policy is not None and (self._personal_policy(policy) or caller.arn in self._named(policy))):
            return None
        applying = tuple(id(s) for s in own if s.not_resource or s.resources is None
                         or any_match(s.resources, resource) is not False)
        return (caller.kind, caller.account, action, str(resource), applying,
                None if caller.boundary is None else id(caller.boundary))

    def _own(self, caller: Caller, action: str) -> tuple[Statement, ...] | None:
        """The caller's statements for the action (identity and boundary); None if one of them,
        or a policy whose content is unknown, may read the caller itself."""
        key = (caller.arn, action)
        if key not in self._owned:
            own: list[Statement] | None = []
            for held in (*caller.identity, *((caller.boundary,) if caller.boundary is not None else ())):
                if held.unknown is not None or held.error:
                    own = None
                    break
                own += [s for s in held.statements if action_match(s, action) is not False]
            self._owned[key] = None if own is None or any(_personal(s) for s in own) else tuple(own)
        return self._owned[key]

    def _personal_policy(self, policy: Policy) -> bool:
        if id(policy) not in self._personal:
            self._personal[id(policy)] = policy.unknown is not None or bool(policy.error) or \
                any(s.not_principal or _personal(s) for s in policy.statements)
        return self._personal[id(policy)]

    def _named(self, policy: Policy) -> set[str]:
        if id(policy) not in self._names:
            self._names[id(policy)] = named_principals(policy)[0]
        return self._names[id(policy)]


def _personal(statement: Statement) -> bool:
    """Whether a statement reads something of the principal beyond its account and kind."""
    texts = [*(statement.resources or ()), *(v for c in statement.conditions for v in c.values)]
    return any(c.key.lower().startswith(PERSONAL_KEYS) for c in statement.conditions) or \
        any(not isinstance(t, str) or "${" in t for t in texts)
