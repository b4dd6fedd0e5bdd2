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
from permcheck.iam.builtin import protected_role_pattern, protection
from permcheck.iam.decide import Answer, Decision, target_class
from permcheck.iam.match import any_match, negate, wildcard_match
from permcheck.iam.org import service_linked
from permcheck.iam.request import Caller, Request
from permcheck.model.entities import Role, User
from permcheck.model.policy import Effect, Statement
from permcheck.model.values import Sym, Unknown
from permcheck.rules import facts
from permcheck.rules.asking import ask_or_unknown, holder_of


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
    patterns reach (`_Functions`)."""
    inv, out, functions = edges.index.inventory, [], _Functions(edges)
    for table, kind in ((inv.roles, "role"), (inv.users, "user")):
        for arn, entity in table.items():
            caller = edges.index.caller_for_entity(entity)
            if service_linked(caller):
                continue  # only its linked service can assume it: no one in the account acts as it
            granted = _granted(caller)
            found = [(path, *result) for path in PATHS if granted
                     for result in [_path(edges, caller, entity, path, granted, functions)] if result is not None]
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


def _describe(path: Path, target: str) -> str:
    where = f" ({target})" if target != "*" else ""
    return f"{path.description}{where} with {' + '.join(path.actions)}"


def _granted(caller: Caller) -> dict[str, list[object]]:
    """Escalation action → resource patterns the caller's Allows grant it on (a quick filter)."""
    out: dict[str, list[object]] = {}
    for policy in caller.identity or ():
        if policy.unknown is not None:
            continue  # an unknown policy may grant anything: the evaluator says so elsewhere
        for s in policy.statements:
            if s.effect is not Effect.ALLOW:
                continue
            resources = ["*"] if s.not_resource or not s.resources else list(s.resources)
            named = _named(tuple(a for a in s.actions if isinstance(a, str)))
            for action in ACTIONS:
                if (action in named) != s.not_action:
                    out.setdefault(action, []).extend(r for r in resources if r not in out.get(action, []))
    return out


@lru_cache(maxsize=16384)
def _named(patterns: tuple[str, ...]) -> frozenset[str]:
    """The escalation actions some of a statement's action patterns match (IAM wildcards, any
    case): statements repeat their action lists across principals, so each list is matched once."""
    return frozenset(action for action in ACTIONS
                     if any(wildcard_match(p, action, ignore_case=True) for p in patterns))


def _path(edges: Edges, caller: Caller, entity: Role | User, path: Path,
          granted: dict[str, list[object]], functions: _Functions) -> tuple[Answer, str] | None:
    if any(action not in granted for action in path.actions):
        return None
    answers, target = [], "*"
    for action in path.actions:
        if path.name in OTHER_ROLE:
            found = _other_role_function(edges, caller, entity, action, functions.matching(granted[action]), functions)
        else:
            found = _best([(ask_or_unknown(edges, caller, action, r), str(r)) for r in _worth(action, granted)])
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


class _Functions:
    """The functions of the inputs another role's path can reach (a known ARN and a role), in
    inventory order, and which of them a list of resource patterns matches: many principals'
    policies write the same patterns, so each list is matched once."""

    def __init__(self, edges: Edges) -> None:
        self.edges = edges
        self.all = [(str(f.arn), str(f.role)) for f in edges.index.inventory.functions.values()
                    if f.role is not None and not isinstance(f.arn, (Sym, Unknown))]
        self._matched: dict[tuple, list[tuple[str, str]]] = {}
        self._targets: dict[tuple[str, str], tuple | None] = {}
        self._protections: dict[tuple, object] = {}
        self._hits: dict[tuple, dict] = {}

    def target(self, arn: str, action: str) -> tuple | None:
        """(the request's target, its class `decide.target_class`) for `action` on the function —
        the part of `_answer_class` no caller changes, made once per function and action; None
        when the function is asked alone (its account is unresolved, or its own policy may speak
        to the action)."""
        key = (arn, action)
        if key not in self._targets:
            index = self.edges.index
            target = index.target(arn, action)
            policy = target.policy
            alone = index.open_account(target) or (policy is not None and (
                policy.error or policy.unknown is not None
                or any(action_match(s, action) is not False for s in policy.statements)))
            self._targets[key] = None if alone else (target, target_class(target))
        return self._targets[key]

    def hits(self, statements: tuple[Statement, ...]) -> dict:
        """Function ARN → which of these statements' Resource elements match it: a table per list of
        resource patterns, shared by every caller whose statements write the same ones (a managed
        policy attached to many roles)."""
        key = tuple((s.resources, s.not_resource) for s in statements if s.resources is not None)
        return self._hits.setdefault(key, {})

    def protection(self, caller: Caller, action: str, target) -> object:
        """AWS's built-in protection of the request (`iam/builtin.protection`), which reads of the
        caller only its kind and whether it is service-linked: made once per such caller."""
        key = (action, target.arn, caller.kind, service_linked(caller))
        if key not in self._protections:
            edges = self.edges
            self._protections[key] = protection(Request(caller=caller, action=action, target=target,
                                                        context=edges.context, closed=edges.closed))
        return self._protections[key]

    def matching(self, patterns: list[object]) -> list[tuple[str, str]]:
        """(ARN, role) of each function a pattern of `patterns` matches, in inventory order."""
        key = tuple(p for p in patterns if isinstance(p, str))
        if key not in self._matched:
            self._matched[key] = [(arn, role) for arn, role in self.all
                                  if any(wildcard_match(p, arn) for p in key)]
        return self._matched[key]


def _other_role_function(edges: Edges, caller: Caller, entity: Role | User, action: str,
                         reached: list[tuple[str, str]], functions: _Functions) -> tuple[Answer, str] | None:
    """A function in the inputs, run by a role other than the caller, that `action` reaches (of
    `reached`, `_Functions.matching`): the first allowed one (else the first conditional one) —
    one is enough for the path. Functions the caller's answer cannot tell apart (`_answer_class`)
    are asked once: a later one of an asked class is neither the first allowed nor the first
    conditional."""
    own, conditional, asked = str(entity.arn), None, set()
    statements = _statements_for(edges, caller, action)
    hits = functions.hits(statements) if statements is not None else None
    for arn, role in reached:
        if role == own:
            continue
        cls = _answer_class(functions, caller, action, arn, statements, hits)
        if cls is not None:
            if cls in asked:
                continue
            asked.add(cls)
        answer = ask_or_unknown(edges, caller, action, arn)
        if answer.decision is Decision.ALLOWED:
            return answer, arn
        if answer.decision is Decision.CONDITIONAL and conditional is None:
            conditional = (answer, arn)
    return conditional


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


def _answer_class(functions: _Functions, caller: Caller, action: str, arn: str,
                  statements: tuple[Statement, ...] | None, hits: dict | None) -> tuple | None:
    """What the caller's answer on the function depends on, beside the caller and the action: the
    evaluator's target class (`decide.target_class`), which of the caller's and the organisation's
    statements for the action match the function's ARN, and AWS's built-in protection. The
    evaluator remembers an answer under the same key (`decide._signature`: the statements that can
    apply and the target's class; graph/invokers.py shares who-can-invoke's answers by the same
    rule), so two functions of one class get one decision. None — ask it alone — when the function's
    own policy may speak to the action, its account is unresolved, or a Resource holds a variable."""
    if statements is None:
        return None
    found = functions.target(arn, action)
    if found is None:
        return None
    target, cls = found
    matched = hits.get(arn)
    if matched is None:
        matched = hits[arn] = tuple(negate(h) if s.not_resource else h for s in statements
                                    if s.resources is not None for h in [any_match(s.resources, arn)])
    return cls, matched, functions.protection(caller, action, target)


def _best(pairs: list[tuple[Answer, str]]) -> tuple[Answer, str] | None:
    allowed = [p for p in pairs if p[0].decision is Decision.ALLOWED]
    conditional = [p for p in pairs if p[0].decision is Decision.CONDITIONAL]
    return (allowed or conditional or [None])[0]
