"""privilege-escalation asks once per class of functions and finds what asking each would find.

`rules/escalation.py: _other_role_function` looks for the first function run by another role that a
caller may change (`lambda:UpdateFunctionCode`, `lambda:AddPermission`,
https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/). It asks one
function per answer class (`_answer_class`: the evaluator's target class, the caller's and the
organisation's statements that match the ARN, no resource-policy statement for the action), as
the evaluator decides a same-account request from the statements that apply to it
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
The oracle asks every function in order on a fresh `Edges` (its own `Evaluator`: nothing
remembered) and keeps the first allowed, else the first conditional.

Inventories: roles with identity statements naming the functions by exact ARN, prefix, `?`,
`*` or NotResource, Allow or Deny, with conditions and boundaries; functions of two accounts run
by the roles, some with a resource policy that speaks to `lambda:*`; sometimes an SCP.
"""

from __future__ import annotations

import os

from hypothesis import example, given, settings
from hypothesis import strategies as st

from permcheck.graph.edges import Edges
from permcheck.graph.index import Index
from permcheck.iam.decide import Decision
from permcheck.rules.asking import ask_or_unknown
from permcheck.rules.escalation import _Functions, _other_role_function
from tests.property.test_graph_bruteforce import (
    A, B, BOUNDARIES, SCPS, Picker, Spec, _condition, _one, build, function_statement, role_arn,
)

ACTIONS = ("lambda:UpdateFunctionCode", "lambda:AddPermission")
NAMES = ["f1", "f10", "f2", "g1", "f1x", "h"]


def _identity(p: Picker, account: str) -> dict:
    out = {"Effect": p.pick(["Allow", "Allow", "Allow", "Deny"]),
           "Action": p.pick(["lambda:UpdateFunctionCode", "lambda:*", "*", "lambda:Update*", "lambda:AddPermission"]),
           "Resource": _one(p.some(["*", "*", f"arn:aws:lambda:us-east-1:{A}:function:f1",
                                    f"arn:aws:lambda:*:{account}:function:f1*", f"arn:aws:lambda:*:{account}:function:*",
                                    f"arn:aws:lambda:us-east-1:{A}:function:f?", f"arn:aws:lambda:*:{A}:function:g*"]))}
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


@settings(max_examples=int(os.environ.get("PERMCHECK_PROPERTY_EXAMPLES", "200")), deadline=None)
@given(st.integers(0, 2**64 - 1))
@example(0)
def test_one_ask_per_class_finds_the_function_asking_each_finds(seed):
    spec, runs_as = make_spec(seed)
    inventory = build(spec)
    for arn, role in runs_as.items():
        inventory.functions[arn] = inventory.functions[arn].model_copy(update={"role": role})
    shared = Edges(Index(inventory))
    functions = _Functions(shared)
    reached = functions.all
    for entity in inventory.roles.values():
        for action in ACTIONS:
            caller = shared.index.caller_for_entity(entity)
            grouped = _other_role_function(shared, caller, entity, action, reached, functions)
            fresh = Edges(Index(inventory))
            alone = _linear(fresh, fresh.index.caller_for_entity(entity), str(entity.arn), action, reached)
            assert _seen(grouped) == _seen(alone), (entity.arn, action, spec, runs_as)
