"""privilege-escalation asks once per class of functions and finds what asking each would find.

`rules/escalation.py: _other_role_function` looks for the first function run by another role that a
caller may change (`lambda:UpdateFunctionCode`, `lambda:AddPermission`,
https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/). It asks one
function per answer class (`rules/escalation_reach.py`: the evaluator's target class and AWS's
built-in protection, the caller's and the organisation's statements that match the ARN, no
resource-policy statement for the action), as the evaluator decides a same-account request from
the statements that apply to it
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html); the
classes are sets of functions (an integer's bits), and each keeps its first function and its first
run by another role than the first's, for the caller that runs the first.
The oracle asks every function in order on a fresh `Edges` (its own `Evaluator`: nothing
remembered) and keeps the first allowed, else the first conditional. The functions a caller's
Allows reach (`FunctionIndex.reach`) are checked against a reference wildcard match of each
function's ARN, and each Resource pattern's sets (`FunctionIndex.pattern`) against
`iam.match.match` of each ARN, three-valued for patterns with an unknown part.

Inventories: roles with identity statements naming the functions by exact ARN, prefix, `?`, `*`,
a policy variable (each function is then asked alone) or NotResource, Allow or Deny, with
conditions and boundaries; functions of two accounts run by the roles, some with a resource
policy that speaks to `lambda:*`; sometimes an SCP.
"""

from __future__ import annotations

import os

from hypothesis import example, given, settings
from hypothesis import strategies as st

from permcheck.graph.edges import Edges
from permcheck.graph.index import Index
from permcheck.iam.decide import Decision
from permcheck.rules.asking import ask_or_unknown
from permcheck.iam.match import match
from permcheck.model.values import Sym, Unknown
from permcheck.rules.escalation import _granted, _other_role_function
from permcheck.rules.escalation_reach import FunctionIndex
from tests.property.test_graph_bruteforce import (
    A, B, BOUNDARIES, SCPS, Picker, Spec, _condition, _one, build, function_statement, glob, role_arn,
)

ACTIONS = ("lambda:UpdateFunctionCode", "lambda:AddPermission")
NAMES = ["f1", "f10", "f2", "g1", "f1x", "h"]


def _identity(p: Picker, account: str) -> dict:
    out = {"Effect": p.pick(["Allow", "Allow", "Allow", "Deny"]),
           "Action": p.pick(["lambda:UpdateFunctionCode", "lambda:*", "*", "lambda:Update*", "lambda:AddPermission"]),
           "Resource": _one(p.some(["*", "*", f"arn:aws:lambda:us-east-1:{A}:function:f1",
                                    f"arn:aws:lambda:*:{account}:function:f1*", f"arn:aws:lambda:*:{account}:function:*",
                                    f"arn:aws:lambda:us-east-1:{A}:function:f?", f"arn:aws:lambda:*:{A}:function:g*",
                                    f"arn:aws:lambda:*:{A}:function:${{aws:PrincipalTag/team}}*"]))}
    if p.rng.randrange(8) == 0:
        out["NotResource"] = out.pop("Resource")
    if (condition := _condition(p)) is not None:
        out["Condition"] = condition
    return out


def make_spec(seed: int) -> tuple[Spec, dict[str, str]]:
    p = Picker(seed)
    roles = [role_arn(i, p.pick([A, A, B])) for i in range(p.pick([2, 3, 4]))]
    functions = [f"arn:aws:lambda:us-east-1:{p.pick([A, A, A, B])}:function:{name}"
                 for name in p.rng.sample(NAMES, p.pick([3, 4, 5, 6]))]
    spec = Spec()
    for arn in roles:
        spec.roles.append({
            "arn": arn, "account": arn.split(":")[4], "trust": None,
            "identity": [[_identity(p, p.pick([A, B, "*"])) for _ in range(p.pick([1, 2, 3]))]
                         for _ in range(p.pick([1, 1, 2]))],
            "boundary": p.pick(BOUNDARIES) if p.rng.random() < 0.25 else None,
        })
    for arn in functions:
        spec.functions.append({"arn": arn, "account": arn.split(":")[4],
                               "policy": None if p.rng.random() < 0.5 else
                               [function_statement(p, roles, arn) for _ in range(p.pick([1, 2]))]})
    spec.scp = p.pick(SCPS) if p.rng.random() < 0.25 else None
    return spec, {arn: p.pick(roles) for arn in functions}


def _linear(edges: Edges, caller, own: str, action: str, reached):
    """Every function asked, in order: the first allowed, else the first conditional."""
    conditional = None
    for arn, role in reached:
        if role == own:
            continue
        answer = ask_or_unknown(edges, caller, action, arn)
        if answer.decision is Decision.ALLOWED:
            return answer, arn
        if answer.decision is Decision.CONDITIONAL and conditional is None:
            conditional = (answer, arn)
    return conditional


def _seen(found):
    if found is None:
        return None
    answer, arn = found
    return arn, answer.decision, answer.conditions, tuple(id(s) for s in answer.because), answer.notes


def _bits(positions) -> int:
    return sum(1 << i for i in positions)


@settings(max_examples=int(os.environ.get("PERMCHECK_PROPERTY_EXAMPLES", "200")), deadline=None)
@given(st.integers(0, 2**64 - 1))
@example(0)
def test_one_ask_per_class_finds_the_function_asking_each_finds(seed):
    spec, runs_as = make_spec(seed)
    inventory = build(spec)
    for arn, role in runs_as.items():
        inventory.functions[arn] = inventory.functions[arn].model_copy(update={"role": role})
    shared = Edges(Index(inventory))
    functions = FunctionIndex(shared)
    for entity in inventory.roles.values():
        caller = shared.index.caller_for_entity(entity)
        granted = _granted(caller, {})
        for action in ACTIONS:
            patterns = granted.get(action, [])
            reached = [(arn, role) for arn, role in functions.all if any(glob(p, arn) for p in patterns)]
            assert functions.reach(patterns) == _bits(i for i, f in enumerate(functions.all) if f in reached)
            for within, listed in ((functions.everything, functions.all), (functions.reach(patterns), reached)):
                grouped = _other_role_function(shared, caller, entity, action, within, functions)
                fresh = Edges(Index(inventory))
                alone = _linear(fresh, fresh.index.caller_for_entity(entity), str(entity.arn), action, listed)
                assert _seen(grouped) == _seen(alone), (entity.arn, action, spec, runs_as)


@settings(max_examples=int(os.environ.get("PERMCHECK_PROPERTY_EXAMPLES", "200")), deadline=None)
@given(st.integers(0, 2**64 - 1), st.sampled_from(["*", "arn:aws:lambda:*", "arn:aws:lambda:us-east-1:", "f1",
                                                   "function:f?", "function:", "x"]),
       st.booleans())
def test_a_pattern_matches_the_functions_match_finds(seed, text, unknown_tail):
    """`FunctionIndex.pattern` (bisection on the literal start, then each ARN tried) equals
    `iam.match.match` on each function's ARN, three-valued: a pattern with an unknown part matches
    some ARNs, may match others (the unknown decides), and misses the rest."""
    spec, runs_as = make_spec(seed)
    inventory = build(spec)
    for arn, role in runs_as.items():
        inventory.functions[arn] = inventory.functions[arn].model_copy(update={"role": role})
    functions = FunctionIndex(Edges(Index(inventory)))
    written = {r for role in spec.roles for policy in role["identity"] for s in policy
               for key in ("Resource", "NotResource") for r in ([s[key]] if isinstance(s.get(key), str) else s.get(key, []))}
    patterns = [*sorted(written), text, Unknown("a parameter"),
                Sym((text, Unknown("a name"))) if unknown_tail else Sym((Unknown("a partition"), text))]
    for pattern in patterns:
        hits = [match(pattern, arn) for arn, _ in functions.all]
        assert functions.pattern(pattern) == (_bits(i for i, h in enumerate(hits) if h),
                                              _bits(i for i, h in enumerate(hits) if h is None)), pattern
