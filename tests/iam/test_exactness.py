"""No silent loss of exactness: every cap or approximation in the evaluator makes the answer
`conditional`, with an `{"unknown": "exactness lost: …"}` entry and a note — never a
definite `allowed` or `denied` (CONTRACT.md: an unresolvable value is "unknown", never silently
a match or a miss; README, "How permcheck decides").

The places, found by looking for caps and approximations in permcheck/iam and graph/diff.py:
- operators of two types on one key (`conditions.representatives`: "best effort" before);
- the string automaton's state cap (`string_automata.STATE_CAP`);
- the number of combinations decided (`decide.MAX_COMBINATIONS`);
- graph/diff.py's containment check, which now falls back to comparing statements.
Operators: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
"""

from __future__ import annotations

from permcheck.iam import string_automata
from permcheck.iam.conditions import representatives
from permcheck.iam.decide import MAX_COMBINATIONS, Decision
from permcheck.iam.answer import OnClause, OnUnknown
from tests.iam.helpers import allow, decide, deny, policy, role

MIXED = {"StringLike": {"aws:MultiFactorAuthAge": "1?5"}, "NumericGreaterThan": {"aws:MultiFactorAuthAge": "150"}}
AGE = "aws:multifactorauthage"


def lost_entries(answer) -> list[str]:
    return [c.reason for c in answer.conditions if isinstance(c, OnUnknown) and "exactness lost" in c.reason]


def test_operators_of_two_types_on_one_key_are_not_exact():
    # "155" matches `1?5` (OPS, StringLike) and is greater than 150 (OPS, NumericGreaterThan):
    # allowed. The values tried ("115" for the pattern, 149/150/151 for the bound) miss it, and
    # the answer was `denied` without a word.
    answer = decide(role(policy(allow(Condition=MIXED))))
    assert answer.decision is Decision.CONDITIONAL
    [why] = lost_entries(answer)
    assert "aws:multifactorauthage" in why.lower() and "different types (Numeric, String)" in why
    assert why in answer.notes
    assert {c.operator for c in answer.conditions if isinstance(c, OnClause)} >= {"StringLike", "NumericGreaterThan"}
    assert decide(role(policy(allow(Condition=MIXED))), context={AGE: ("155",)}).decision is Decision.ALLOWED


def test_a_deny_of_two_types_is_not_exact_either():
    # The Deny applies to "155" only among the values the old search missed: it said `allowed`.
    caller = role(policy(allow(), deny(Condition=MIXED)))
    answer = decide(caller)
    assert answer.decision is Decision.CONDITIONAL and lost_entries(answer)
    assert decide(caller, context={AGE: ("155",)}).decision is Decision.DENIED
    assert decide(caller, context={AGE: ("115",)}).decision is Decision.ALLOWED


def test_one_type_per_key_stays_exact():
    values, lost = representatives("aws:MultiFactorAuthAge", [("NumericGreaterThan", ("150",)),
                                                              ("NumericLessThan", ("200",)), ("Null", ("false",))], False)
    assert lost is None and any(v and v[0].isdigit() and 150 < int(v[0]) < 200 for v in values)
    _, lost = representatives("aws:SourceArn", [("ArnLike", ("arn:aws:s3:::*",)), ("StringNotLike", ("*x*",))], False)
    assert lost is None  # Arn* and String* are one (string) family
    answer = decide(role(policy(allow(Condition={"NumericGreaterThan": {"aws:MultiFactorAuthAge": "150"}}))))
    assert answer.decision is Decision.CONDITIONAL and not lost_entries(answer)


def test_the_string_automaton_cap_is_not_exact():
    # `*a` followed by 16 `?`: the product automaton needs more than 2^16 states, past the cap of
    # 50,000. The accepting strings were never reached and the answer was `denied` without a word.
    condition = {"StringLike": {"aws:userid": "*a" + "?" * 16}, "StringNotLike": {"aws:userid": "*b*"}}
    answer = decide(role(policy(allow(Condition=condition))))
    assert answer.decision is Decision.CONDITIONAL
    [why] = lost_entries(answer)
    assert "aws:userid" in why and f"{string_automata.STATE_CAP:,} automaton states" in why
    assert decide(role(policy(allow(Condition=condition))), context={"aws:userid": ("a" * 17,)}).decision \
        is Decision.ALLOWED


def test_a_small_cap_never_yields_a_definite_answer(monkeypatch):
    # The same mechanism on a small policy: with a cap of 2 states nothing beyond the start is
    # explored, so "abc" (denied) is not among the values tried; the answer was `allowed`.
    monkeypatch.setattr(string_automata, "STATE_CAP", 2)
    condition = {"StringLike": {"aws:userid": "abc*"}, "StringNotLike": {"aws:userid": "*z"}}
    caller = role(policy(allow(), deny(Condition=condition)))
    answer = decide(caller)
    assert answer.decision is Decision.CONDITIONAL and lost_entries(answer)
    assert decide(caller, context={"aws:userid": ("abc",)}).decision is Decision.DENIED


def test_too_many_combinations_is_conditional_with_an_unknown_and_a_note():
    keys = [f"aws:PrincipalTag/k{i}" for i in range(10)]  # absent, "a", another: 3^10 > MAX_COMBINATIONS
    condition = {"StringEquals": {key: "a" for key in keys}}
    answer = decide(role(policy(allow(), deny(Condition=condition))))
    assert answer.decision is Decision.CONDITIONAL
    [why] = lost_entries(answer)
    assert f"more than {MAX_COMBINATIONS:,}" in why and why in answer.notes
    assert {c.key for c in answer.conditions if isinstance(c, OnClause)} >= set(keys)
    assert decide(role(policy(allow(), deny(Condition=condition))), closed=True).decision is Decision.ALLOWED
