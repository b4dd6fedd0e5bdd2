"""AWS policy evaluation logic for one request, exact over every request context.

How AWS decides (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
and .../reference_policies_evaluation-logic-cross-account.html):
an explicit Deny in any policy wins; SCPs must allow for principals of accounts in the
organisation; RCPs only add denies; within one account an identity-policy Allow (inside
the permissions boundary) or a resource-policy Allow that names the principal is enough;
across accounts both sides must allow.

Exactness: the statements that can apply are found once; the condition keys and unknown
values they depend on are enumerated over a finite set of representative values
(`conditions.candidate_contexts`), and each combination is decided concretely. `allowed`
means allowed for every combination, `denied` for none, `conditional` otherwise.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from permcheck.iam import builtin, candidates, fast_path, grants
from permcheck.iam.answer import Answer, Decision, OnUnknown, answer_notes
from permcheck.iam.caches import Caches
from permcheck.iam.grants import Live
from permcheck.iam.org import Organisation, rcp_guard, rcps_apply, scps_apply
from permcheck.iam.principals import Grant
from permcheck.iam.request import CallerKind, Request, Target
from permcheck.model.location import InputError
from permcheck.model.policy import Effect, Policy, Statement

MAX_COMBINATIONS = 50_000

__all__ = ["Answer", "Decision", "Evaluator", "Organisation", "evaluate", "evaluate_fully"]


class Evaluator:
    """AWS's evaluation logic for one model: its organisation layer and what its evaluations
    remember (`caches.py`). Made once per model (`Index.evaluator`), so nothing it remembers
    outlives the values it was made from."""

    def __init__(self, org: Organisation = Organisation()) -> None:
        self.org = org
        self.caches = Caches()

    def evaluate(self, request: Request) -> Answer:
        """Decide one request exactly, or raise InputError when it depends on a malformed policy."""
        return fast_path.answer(request, self.org, self.caches) or self.evaluate_fully(request)

    def evaluate_fully(self, request: Request) -> Answer:
        """`evaluate` without the shortcut: every statement, every combination of condition values."""
        return _evaluate_fully(request, self.org, self.caches)

    @staticmethod
    def sharing_key(target: Target) -> tuple:
        """`target_class`: what a caller's answer depends on, of a target, beside its statements."""
        return target_class(target)


def evaluate(request: Request, org: Organisation = Organisation()) -> Answer:
    """One request decided on its own (a fresh `Evaluator`: nothing remembered from other requests)."""
    return Evaluator(org).evaluate(request)


def evaluate_fully(request: Request, org: Organisation = Organisation()) -> Answer:
    """`Evaluator.evaluate_fully` on its own."""
    return Evaluator(org).evaluate_fully(request)


def _evaluate_fully(request: Request, org: Organisation, caches: Caches) -> Answer:
    built_in = builtin_answer(request)
    if built_in is not None:
        return built_in
    caller, target = request.caller, request.target
    layers = _layers(request, org)
    for _, policy in layers:
        if policy.error:
            raise InputError(policy.error_location, f"invalid policy {policy.name}: {policy.error}")
    space = grants.Space()
    own = caller.root_user_context() if request.closed else {}  # one concrete request: the root user's
    fixed = {**caller.context, **own, **target.context, **request.context}
    lives = [live for name, policy in layers
             for live in grants.live_statements(name, policy, request, space, fixed, caches)]
    guard = rcp_guard(request, space) if any(live.layer == "rcp" for live in lives) else ()
    for live in lives:
        if live.layer == "rcp":
            live.guards += guard
    signature = _signature(request, org, lives, fixed, space, caches)
    known = caches.answers.get(signature) if signature is not None else None
    if known is not None:
        return _cited_here(known[0], known[1], lives)
    answer = _enumerate(request, org, lives, fixed, space)
    if signature is not None:
        caches.put(caches.answers, signature, (answer, lives))  # the lives keep the statements whose ids key it
    return answer


def _signature(request: Request, org: Organisation, lives: list, fixed: dict, space, caches: Caches) -> tuple | None:
    """What the rest of the evaluation depends on, once the statements that can apply are known.

    The same caller meets the same statements on many resources (every function a role's
    `lambda:Invoke*` on `arn:...:function:*` covers): their answer is computed once. It also
    meets statements of the same content in many places (ten thousand roles trusting
    `lambda.amazonaws.com` in the same words): a statement counts by its content
    (`Caches.shape`), and a shared answer cites the statements of the request at hand
    (`_cited_here`). When two statements that can apply have the same content, or one holds an
    unresolved value, they count by identity, as written. A Resource with a policy variable
    depends on the resource's own ARN, so it is not shared.
    """
    if any(live.dynamic_resources for live in lives):
        return None
    caller = request.caller
    shapes = [caches.shape(live.statement) for live in lives]
    by_content = None not in shapes and len(set(shapes)) == len(shapes)
    marks = shapes if by_content else [id(live.statement) for live in lives]
    return (by_content, tuple((mark, live.layer, live.grant,
                   tuple((space.atoms[atom][0], value) for atom, value in live.guards)) for mark, live in zip(marks, lives)),
            tuple(sorted(fixed.items())), request.closed,
            caller.kind, caller.account, caller.identity is None, caller.boundary is None, caller.arn,
            target_class(request.target),
            tuple(id(p) for p in org.scps), tuple(id(p) for p in org.rcps), org.accounts, org.management_account)


def _cited_here(answer: Answer, made_from: list, lives: list) -> Answer:
    """A remembered answer, citing this request's statements: those at the same places among
    the statements that can apply (the signature holds their contents in order, and they are
    all different, so each cited statement has one place)."""
    if all(made.statement is live.statement for made, live in zip(made_from, lives)):
        return answer
    here = {id(made.statement): live.statement for made, live in zip(made_from, lives)}
    return Answer(answer.decision, answer.conditions, tuple(here[id(s)] for s in answer.because), answer.notes)


def target_class(target: Target) -> tuple:
    """What of a target an answer depends on besides the statements that can apply to it (its ARN
    counts only through them): one caller's answer is the same on every target of one class whose
    matching statements are the same. The evaluator's memo keys on it, and so does who-can-invoke's
    sharing of answers across functions (graph/invokers.py)."""
    return (target.account, target.policy_required, target.note, target.aws_managed_key,
            tuple(sorted(target.context.items())))


def _enumerate(request: Request, org: Organisation, lives: list, fixed: dict, space) -> Answer:
    """Decide every combination of the open condition keys and unknowns; aggregate."""
    target = request.target
    keys, lost = candidates.open_keys(lives, fixed, request.closed), []
    bounds = request.caller.bounds()
    alone = {key: candidates.candidates(key, lives, target.arn, fixed, set(keys), bounds.get(key), lost)
             for key in keys}
    axes = [(key, candidates.linked(key, alone, lives, target.arn, fixed, keys, bounds.get(key), lost))
            for key in keys] + space.axes()
    total = 1
    for _, values in axes:
        total *= len(values)
    if total > MAX_COMBINATIONS:
        return _inexact(Answer(Decision.CONDITIONAL, (), tuple(l.statement for l in lives), answer_notes(request)),
                        lost + [f"{total:,} combinations of condition values, more than {MAX_COMBINATIONS:,} "
                                "(too many to decide exactly)"], lives, keys, space)
    outcomes = []
    for combo in itertools.product(*(values for _, values in axes)):
        context = dict(fixed)
        atoms = {}
        for (key, _), value in zip(axes, combo):
            if isinstance(key, int):
                atoms[key] = value
            elif value is not None:
                context[key] = value
        applied = [live for live in lives if grants.applies(live, context, atoms, target.arn)]
        outcomes.append(_decide(request, org, applied))
    answer = _aggregate(outcomes, lives, keys, space, answer_notes(request))
    return _inexact(answer, lost, lives, keys, space) if lost else answer


def _inexact(answer: Answer, lost: list[str], lives: list, keys: list[str], space) -> Answer:
    """An answer from values that may miss a case is never a definite allowed or denied: it is
    `conditional`, on the conditions in play and an `unknown` entry that says why exactness
    was lost (and the same in `notes`)."""
    reasons = tuple(dict.fromkeys(f"exactness lost: {why}" for why in lost))
    conditions = answer.conditions or tuple(grants.condition_entries(lives, keys, space))
    return Answer(Decision.CONDITIONAL, conditions + tuple(OnUnknown(r) for r in reasons),
                  answer.because, answer.notes + reasons)


def builtin_answer(request: Request) -> Answer | None:
    """AWS's own decision where no policy counts (`builtin`): denied, or allowed for
    sts:GetCallerIdentity, with the reason as a note."""
    found = builtin.protection(request)
    if found is None:
        return None
    allowed, why = found
    return Answer(Decision.ALLOWED if allowed else Decision.DENIED, (), (), (why,))


def _layers(request: Request, org: Organisation) -> list[tuple[str, Policy]]:
    caller, target = request.caller, request.target
    out: list[tuple[str, Policy]] = []
    if caller.kind in (CallerKind.ROLE, CallerKind.USER):
        out += [("identity", p) for p in caller.identity or ()]
        if caller.boundary is not None:
            out.append(("boundary", caller.boundary))
    if scps_apply(request, org):
        out += [("scp", p) for p in org.scps]
    if rcps_apply(request, org):
        out += [("rcp", p) for p in org.rcps]
    if target.policy is not None:
        out.append(("resource", target.policy))
    return out


@dataclass(frozen=True)
class _Outcome:
    allowed: bool
    deciding: tuple[Live, ...]


def _decide(request: Request, org: Organisation, applied: list[Live]) -> _Outcome:
    """One fully known request: AWS's flowchart, step by step."""
    denies = tuple(l for l in applied if l.statement.effect is Effect.DENY)
    if denies:
        return _Outcome(False, denies)
    caller, target = request.caller, request.target
    allows = [l for l in applied if l.statement.effect is Effect.ALLOW]
    by_layer: dict[str, list[Live]] = {}
    for live in allows:
        by_layer.setdefault(live.layer, []).append(live)
    resource = by_layer.get("resource", [])
    if caller.kind in (CallerKind.SERVICE, CallerKind.ANYONE, CallerKind.FEDERATED):
        return _Outcome(bool(resource), tuple(resource))
    # The SCP inputs are taken as attached at one level of the organisation: an Allow in any
    # of them is enough (as FullAWSAccess beside deny-list SCPs), a Deny in any wins.
    # https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
    scp = tuple(by_layer.get("scp", ()))
    if scps_apply(request, org) and not scp:
        return _Outcome(False, ())
    if caller.kind is CallerKind.ROOT or caller.identity is None:
        identity: tuple[Live, ...] = ()
        identity_ok = True  # the root user, or an identity side not in the inputs
    else:
        identity = tuple(by_layer.get("identity", ()))
        identity_ok = bool(identity)
    boundary_ok = caller.boundary is None or bool(by_layer.get("boundary"))
    boundary = tuple(by_layer.get("boundary", ()))
    unlimited = tuple(l for l in resource if l.grant in (Grant.ANY, Grant.DIRECT))
    role_grant = tuple(l for l in resource if l.grant is Grant.DIRECT_ROLE)
    account_grant = tuple(l for l in resource if l.grant is Grant.ACCOUNT)
    same_account = caller.account is not None and target.account in (None, caller.account)
    if same_account:
        # Either side is enough. The caller's own grants are named first when they suffice: the
        # same reason whether or not a resource policy also allows (e.g. to anyone).
        delegated = not target.policy_required or bool(account_grant)
        if identity and boundary_ok and delegated:
            return _Outcome(True, identity + boundary + account_grant + scp)
        # A resource policy naming a user or session is not limited by the boundary; one
        # naming the role ARN is (evaluation-logic page, "resource-based policies").
        if unlimited:
            return _Outcome(True, unlimited + scp)
        if role_grant and boundary_ok:
            return _Outcome(True, role_grant + boundary + scp)
        ok = identity_ok and boundary_ok and delegated
        return _Outcome(ok, identity + boundary + account_grant + scp if ok else ())
    granted = unlimited + role_grant + account_grant
    ok = bool(granted) and identity_ok and boundary_ok
    return _Outcome(ok, identity + boundary + granted + scp if ok else ())


def _aggregate(outcomes: list[_Outcome], lives: list[Live], keys: list[str],
               space: "grants.Space", notes: tuple[str, ...]) -> Answer:
    allowed = [o for o in outcomes if o.allowed]
    if len(allowed) == len(outcomes):
        return Answer(Decision.ALLOWED, (), _statements(allowed[0].deciding), notes)
    if not allowed:
        always = [l for l in outcomes[0].deciding if all(l in o.deciding for o in outcomes)]
        return Answer(Decision.DENIED, (), _statements(always or outcomes[0].deciding), notes)
    deciding = [l for o in outcomes for l in o.deciding]
    return Answer(Decision.CONDITIONAL, tuple(grants.condition_entries(lives, keys, space)),
                  _statements(deciding), notes)


def _statements(lives) -> tuple[Statement, ...]:
    return tuple(dict.fromkeys(l.statement for l in lives))
