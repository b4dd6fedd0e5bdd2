"""A shortcut for the most common request in an account: an identity policy grants it outright.

In a real account most answers of who-can-invoke are "this role's unconditional Allow on `*`
(AdministratorAccess and the like), in the same account, with nothing else in the way". When
nothing else *can* be in the way — no organisation policies, no resource-policy statement that
could name the caller, no Deny, no condition, no unknown, no boundary but a plain one (below) —
the answer is that Allow, and the full evaluation would find exactly the same statements.
Anything else returns None and takes the full path. A property test checks both paths agree.

A permissions boundary whose statements for the action are plain Allows too (no Deny, no
condition) is taken here as well: "An entity's permissions boundary allows it to perform only
the actions that are allowed by both its identity-based policies and its permissions boundaries"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html), so the
request is allowed, citing the identity's Allows then the boundary's, when both cover the
resource, and denied when either does not.
"""

from __future__ import annotations

from typing import Optional

from permcheck.iam.actions import action_match
from permcheck.iam.answer import Answer, Decision, answer_notes
from permcheck.iam.builtin import protection
from permcheck.iam.caches import Caches
from permcheck.iam.match import any_match, negate
from permcheck.iam.org import rcps_apply, scps_apply
from permcheck.iam.principals import principal_match
from permcheck.iam.request import CallerKind, Request
from permcheck.model.policy import Effect, Statement

def answer(request: Request, org, caches: Caches) -> "Optional[object]":
    """The Answer when the shortcut applies, else None."""
    caller, target, action = request.caller, request.target, request.action
    if caller.kind not in (CallerKind.ROLE, CallerKind.USER) or caller.identity is None:
        return None
    if scps_apply(request, org) or rcps_apply(request, org) or target.policy_required:
        return None
    if protection(request) is not None:
        return None  # AWS decides it, whatever the policies say: the full path answers
    if target.account not in (None, caller.account):
        return None
    if target.policy is not None:
        if target.policy.unknown is not None or target.policy.error:
            return None
        for statement in target.policy.statements:
            if action_match(statement, action) is False:
                continue
            hit, _ = principal_match(statement, caller)
            if hit is not False or statement.not_principal:
                return None  # it may name the caller: the full path decides
    allows = identity_allows(caller, action, caches)
    hits = None if allows is None else covering(allows, target.arn)
    if hits is None:
        return None
    if caller.boundary is not None:  # the boundary's plain Allows must cover it too (see below)
        limits = policy_allows(caller.boundary, action, caches)
        bounded = None if limits is None else covering(limits, target.arn)
        if bounded is None:
            return None
        if hits and bounded:
            return Answer(Decision.ALLOWED, (), tuple(dict.fromkeys(hits + bounded)), answer_notes(request))
        return Answer(Decision.DENIED, (), (), answer_notes(request))
    if hits:
        return Answer(Decision.ALLOWED, (), hits, answer_notes(request))
    return Answer(Decision.DENIED, (), (), answer_notes(request))


def covering(allows: tuple[Statement, ...], resource: object) -> Optional[tuple[Statement, ...]]:
    """The plain Allows whose Resource/NotResource covers `resource`; None if one cannot tell."""
    hits = []
    for statement in allows:
        hit = any_match(statement.resources, resource)
        hit = negate(hit) if statement.not_resource else hit
        if hit is None:
            return None
        if hit:
            hits.append(statement)
    return tuple(dict.fromkeys(hits))


def identity_allows(caller, action: str, caches: Caches) -> Optional[tuple[Statement, ...]]:
    """The caller's identity statements for `action`, if all are plain Allows; else None."""
    key = (id(caller), action)
    cached = caches.plain_allows.get(key)
    if cached is not None and cached[0] is caller:
        return cached[1]
    found: Optional[tuple[Statement, ...]] = ()
    for policy in caller.identity:
        share = policy_allows(policy, action, caches)
        if share is None:
            found = None
            break
        found += share
    caches.put(caches.plain_allows, key, (caller, found))  # the caller is kept so its id stays its own
    return found


def policy_allows(policy, action: str, caches: Caches) -> Optional[tuple[Statement, ...]]:
    """One policy's share of `identity_allows`: its statements for `action`, if all are plain
    Allows (None if one is not, or the policy is unknown or malformed). It reads the policy
    alone, so it is found once per policy and action, however many callers hold the policy (a
    managed policy is one object for all of them)."""
    key = (id(policy), action)
    cached = caches.policy_allows.get(key)
    if cached is not None and cached[0] is policy:
        return cached[1]
    found: Optional[tuple[Statement, ...]] = ()
    if policy.unknown is not None or policy.error:
        found = None
    else:
        for statement in policy.statements:
            hit = action_match(statement, action)
            if hit is False:
                continue
            if hit is None or statement.effect is Effect.DENY or statement.conditions or statement.resources is None \
                    or any(not isinstance(r, str) or "${" in r for r in statement.resources):
                found = None
                break
            found += (statement,)
    caches.put(caches.policy_allows, key, (policy, found))  # the policy is kept so its id stays its own
    return found
