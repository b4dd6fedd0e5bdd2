"""Known privilege-escalation paths for IAM and Lambda, decided by the evaluator.

A path is a set of actions that together let a principal act with more permissions
than its own: pass a role to code it writes and run it, rewrite its own policies, take
over another identity. Each principal of the inputs is checked against each path; a
path holds when every one of its actions is allowed (or conditional) on some resource.
Service-linked roles are not checked: only their linked service can assume one ("only the
linked service can assume a service-linked role",
https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html), so no
one in the account can act with its permissions. Catalogue: Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation"
(https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/), and
PMapper's edge checks (https://github.com/nccgroup/PMapper).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from permcheck.graph.edges import Edges
from permcheck.iam.actions import action_match
from permcheck.iam.builtin import protected_role_pattern
from permcheck.iam.decide import Answer, Decision
from permcheck.iam.match import wildcard_match
from permcheck.iam.org import service_linked
from permcheck.iam.request import Caller
from permcheck.model.entities import Role, User
from permcheck.model.policy import Effect, Policy, Statement
from permcheck.rules import facts
from permcheck.rules.asking import ask_or_unknown, holder_of
from permcheck.rules.escalation_reach import FunctionIndex


@dataclass(frozen=True)
class Path:
    name: str
    actions: tuple[str, ...]
    description: str


PATHS = (
    Path("passrole-lambda-invoke", ("iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"),
         "create a function that runs as a more powerful role, then invoke it"),
    Path("passrole-lambda-event-source", ("iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"),
         "create a function that runs as a more powerful role, triggered by an event source"),
    Path("lambda-update-code", ("lambda:UpdateFunctionCode",),
         "replace the code of a function that runs as another role"),
    Path("lambda-add-permission", ("lambda:AddPermission",),
         "grant itself or anyone the right to invoke a function that runs as another role"),
    Path("passrole-cloudformation", ("iam:PassRole", "cloudformation:CreateStack"),
         "create a stack that runs as a more powerful role"),
    Path("passrole-ec2", ("iam:PassRole", "ec2:RunInstances"),
         "start an instance with a more powerful instance profile"),
    Path("put-role-policy", ("iam:PutRolePolicy",), "write any inline policy on a role"),
    Path("attach-role-policy", ("iam:AttachRolePolicy",), "attach any managed policy to a role"),
    Path("put-user-policy", ("iam:PutUserPolicy",), "write any inline policy on a user"),
    Path("attach-user-policy", ("iam:AttachUserPolicy",), "attach any managed policy to a user"),
    Path("put-group-policy", ("iam:PutGroupPolicy",), "write any inline policy on a group"),
    Path("attach-group-policy", ("iam:AttachGroupPolicy",), "attach any managed policy to a group"),
    Path("add-user-to-group", ("iam:AddUserToGroup",), "join a more powerful group"),
    Path("create-policy-version", ("iam:CreatePolicyVersion",), "rewrite a managed policy with a new default version"),
    Path("set-default-policy-version", ("iam:SetDefaultPolicyVersion",), "switch a managed policy to another version"),
    Path("update-assume-role-policy", ("iam:UpdateAssumeRolePolicy", "sts:AssumeRole"),
         "rewrite a role's trust policy to let itself in, then assume it"),
    Path("create-access-key", ("iam:CreateAccessKey",), "create access keys for another user"),
    Path("create-login-profile", ("iam:CreateLoginProfile",), "set a console password for another user"),
    Path("update-login-profile", ("iam:UpdateLoginProfile",), "change another user's console password"),
)
ACTIONS = tuple(dict.fromkeys(a for p in PATHS for a in p.actions))
OTHER_ROLE = {"lambda-update-code", "lambda-add-permission"}  # they escalate only to another role's function


def escalations(edges: Edges) -> list[facts.Escalation]:
    """Every principal of the inputs with the escalation paths that hold for it. A path is asked
    only of principals whose Allows name every action it requires (`_granted`, indexed by the
    patterns the policies write), and a path on another role's function only of the functions its
    patterns reach, one per class of them (`escalation_reach.FunctionIndex`)."""
    inv, out, functions, by_policy = edges.index.inventory, [], FunctionIndex(edges), {}
    for table, kind in ((inv.roles, "role"), (inv.users, "user")):
        for arn, entity in table.items():
            caller = edges.index.caller_for_entity(entity)
            if service_linked(caller):
                continue  # only its linked service can assume it: no one in the account acts as it
            granted = _granted(caller, by_policy)
            best: dict = {}
            found = [(path, *result) for path in _possible(frozenset(granted))
                     for result in [_path(edges, caller, entity, path, granted, functions, best)] if result is not None]
            if not found:
                continue
            first = next((a.because[0] for _, a, _ in found if a.because), None)
            fallback = entity.logical_id or arn
            out.append(facts.Escalation(
                principal=arn, principal_kind=kind, paths=[p.name for p, _, _ in found],
                descriptions=[_describe(p, t) for p, _, t in found],
                decision="allowed" if any(a.decision is Decision.ALLOWED for _, a, _ in found) else "conditional",
                holder=holder_of(first, fallback) if first else fallback,
                location=first.location if first else entity.location))
    return out


@lru_cache(maxsize=4096)
def _possible(granted: frozenset[str]) -> tuple[Path, ...]:
    """The paths whose every action is among `granted` (the rest cannot hold), in `PATHS` order:
    most principals are granted the same few sets of escalation actions, or none."""
    return tuple(path for path in PATHS if granted.issuperset(path.actions))


def _describe(path: Path, target: str) -> str:
    where = f" ({target})" if target != "*" else ""
    return f"{path.description}{where} with {' + '.join(path.actions)}"


def _granted(caller: Caller, by_policy: dict) -> dict[str, list[object]]:
    """Escalation action → resource patterns the caller's Allows grant it on (a quick filter), in
    the order its policies write them: each policy's share is found once (`by_policy`: id → (the
    policy, kept so its id stays its own; its share)), as a managed policy is held by many."""
    out: dict[str, list[object]] = {}
    for policy in caller.identity or ():
        found = by_policy.get(id(policy))
        if found is None or found[0] is not policy:
            found = by_policy[id(policy)] = (policy, _granted_by(policy))
        for action, resources in found[1].items():
            _add(out, action, resources)
    return out


def _granted_by(policy: Policy) -> dict[str, list[object]]:
    """One policy's share of `_granted`."""
    out: dict[str, list[object]] = {}
    if policy.unknown is not None:
        return out  # an unknown policy may grant anything: the evaluator says so elsewhere
    for s in policy.statements:
        if s.effect is not Effect.ALLOW:
            continue
        named = _named(s.actions, s.not_action)
        if not named:
            continue  # most statements: no escalation action
        resources = ["*"] if s.not_resource or not s.resources else list(s.resources)
        for action in named:
            _add(out, action, resources)
    return out


def _add(granted: dict[str, list[object]], action: str, resources: list[object]) -> None:
    """Add to an action's resource patterns those it does not hold yet, in order."""
    have = granted.setdefault(action, [])
    have.extend(r for r in resources if r not in have)


@lru_cache(maxsize=16384)
def _named(patterns: tuple[object, ...], excluded: bool) -> tuple[str, ...]:
    """The escalation actions some of a statement's action patterns match (IAM wildcards, any
    case; a pattern with an unresolved part is left to the evaluator), or with `excluded`
    (NotAction) those none matches, in the order of `ACTIONS`: statements repeat their action
    lists across principals, so each list is matched once, and a pattern (`logs:PutLogEvents`
    is in most lists) once whatever list holds it."""
    hits = 0
    for pattern in patterns:
        if isinstance(pattern, str):
            hits |= _matched_by(pattern)
    return tuple(action for bit, action in enumerate(ACTIONS) if bool(hits >> bit & 1) != excluded)


@lru_cache(maxsize=16384)
def _matched_by(pattern: str) -> int:
    """The escalation actions one action pattern matches (IAM wildcards, any case), as bits by
    their place in `ACTIONS`. A pattern without a wildcard matches an action only if it is the
    action's name in another case, and one whose service part is literal only that service's."""
    lowered = pattern.lower()
    if "*" not in lowered and "?" not in lowered:
        return 1 << _PLACES[lowered] if lowered in _PLACES else 0
    service, colon, _ = lowered.partition(":")
    if colon and "*" not in service and "?" not in service and service not in _SERVICES:
        return 0
    return sum(1 << bit for bit, action in enumerate(ACTIONS) if wildcard_match(pattern, action, ignore_case=True))


_PLACES = {action.lower(): bit for bit, action in enumerate(ACTIONS)}
_SERVICES = {action.split(":", 1)[0].lower() for action in ACTIONS}


def _path(edges: Edges, caller: Caller, entity: Role | User, path: Path, granted: dict[str, list[object]],
          functions: FunctionIndex, best: dict) -> tuple[Answer, str] | None:
    """The path's answer for the caller, or None when it does not hold. `best`: the caller's
    answer per action, found once for every path that needs it (iam:PassRole serves four)."""
    if any(action not in granted for action in path.actions):
        return None
    answers, target = [], "*"
    for action in path.actions:
        key = (action, path.name in OTHER_ROLE)
        if key not in best:
            best[key] = _other_role_function(edges, caller, entity, action, functions.reach(granted[action]),
                                             functions) if key[1] else _best(edges, caller, action, _worth(action, granted))
        found = best[key]
        if found is None:
            return None
        answers.append(found[0])
        if action != "iam:PassRole" and found[1] != "*":
            target = found[1]
    decision = Decision.ALLOWED if all(a.decision is Decision.ALLOWED for a in answers) else Decision.CONDITIONAL
    because = tuple(s for a in answers for s in a.because)
    conditions = tuple(c for a in answers for c in a.conditions)
    return Answer(decision, conditions, because), target


def _worth(action: str, granted: dict[str, list[object]]) -> list[object]:
    """The granted resources of `action` that can serve a path. Changes to roles and policies
    AWS protects are denied by the evaluator (`iam/builtin.py`); a role it protects can still be
    passed, but it trusts only its linked service, so passing it escalates nothing."""
    if action == "iam:PassRole":
        return [r for r in granted[action] if not protected_role_pattern(r)]
    return granted[action]


def _other_role_function(edges: Edges, caller: Caller, entity: Role | User, action: str, reached: int,
                         functions: FunctionIndex) -> tuple[Answer, str] | None:
    """A function in the inputs, run by a role other than the caller, that `action` reaches (of
    `reached`, `FunctionIndex.reach`): the first allowed one (else the first conditional one) —
    one is enough for the path. Functions the caller's answer cannot tell apart are asked once
    (`FunctionIndex.entries`): a later one of an asked class is neither the first allowed nor the
    first conditional."""
    own, asked = str(entity.arn), []
    for first, second in functions.entries(caller, action, _statements_for(edges, caller, action), reached):
        if functions.role_of(first) != own:
            asked.append(first)
        elif second is not None:
            asked.append(second)
    return _best(edges, caller, action, [functions.all[position][0] for position in sorted(asked)])


def _statements_for(edges: Edges, caller: Caller, action: str) -> tuple[Statement, ...] | None:
    """The statements of the caller's identity policies, its boundary and the organisation policies
    that may apply to `action` on some resource; None when one's Resource holds a policy variable
    (the answer then depends on the resource's own ARN: the evaluator does not share it either)."""
    org = edges.index.organisation
    policies = (*(caller.identity or ()), *((caller.boundary,) if caller.boundary else ()), *org.scps, *org.rcps)
    out = []
    for policy in policies:
        for s in policy.statements:
            if action_match(s, action) is False:
                continue
            if s.resources is not None and any(isinstance(r, str) and "${" in r for r in s.resources):
                return None
            out.append(s)
    return tuple(out)


def _best(edges: Edges, caller: Caller, action: str, resources: list[object]) -> tuple[Answer, str] | None:
    """The first resource the caller is allowed `action` on, else the first it is conditionally
    allowed it on, with the answer; None when it is denied on each. The resources are asked in
    order, up to the first allowed one."""
    conditional = None
    for resource in resources:
        answer = ask_or_unknown(edges, caller, action, resource)
        if answer.decision is Decision.ALLOWED:
            return answer, str(resource)
        if answer.decision is Decision.CONDITIONAL and conditional is None:
            conditional = (answer, str(resource))
    return conditional
