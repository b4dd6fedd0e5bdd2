"""Rule functions remember their answer per list of patterns (per clause for conditions), as
rules ask them for each of ten thousand statements that repeat a few hundred lists
(rules/builtins.py). A remembered answer is the computed one, and each call gets a list of its
own: a caller that changes it changes nothing for the next.

What is pinned: an action name no service defines is reported, one the Service Authorization
Reference defines is not
(https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html);
a typed operator's unreadable value is reported
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html),
and a set operator on a single-valued key
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from permcheck.iam.catalog import access_levels, is_known, scoped_access_levels
from permcheck.iam.condition_checks import set_operator_problem, type_problems
from permcheck.rules.builtins import FUNCTIONS, _sam_template_actions
from permcheck.rules.facts import Condition

PATTERNS = st.lists(st.sampled_from(["s3:GetObject", "s3:GetObjects", "s3:Put*", "logs:CreateLogDelivery",
                                     "iam:PassRole", "sqs:DeleteMessageBatch", "xyz:Nothing", "*", "S3:getobject"]),
                    max_size=4)


@given(PATTERNS)
def test_pattern_functions_give_the_computed_answer_in_a_list_of_their_own(patterns):
    expected = {
        "unknown_actions": [p for p in patterns if not is_known(p) and p.lower() not in _sam_template_actions()],
        "write_actions": [p for p in patterns if access_levels(p) & {"Write", "Permissions management"}],
        "scoped_write_actions": [p for p in patterns if scoped_access_levels(p) & {"Write", "Permissions management"}],
    }
    for name, want in expected.items():
        first = FUNCTIONS[name].run(list(patterns))
        assert first == want
        first.append("changed by the caller")
        assert FUNCTIONS[name].run(list(patterns)) == want


def test_unknown_actions_names_the_misspelt_one():
    assert FUNCTIONS["unknown_actions"].run(["s3:GetObjects", "s3:GetObject"]) == ["s3:GetObjects"]


CLAUSES = [("Bool", "aws:SecureTransport", ["flase"]), ("StringEquals", "aws:SourceAccount", ["1"]),
           ("ForAllValues:StringEquals", "aws:PrincipalOrgID", ["o-1"]), ("NumericLessThan", "aws:MultiFactorAuthAge", ["x"])]


@given(st.lists(st.sampled_from(CLAUSES), max_size=3), st.sampled_from(["Allow", "Deny"]))
def test_condition_functions_give_the_computed_answer(clauses, effect):
    conditions = [Condition(operator=o, key=k.lower(), values=list(v), unknown="", negated=False, written=k)
                  for o, k, v in clauses]
    types = [p for o, k, v in clauses for p in type_problems(o, k, v)]
    sets = [f for f in (set_operator_problem(o, k, v, effect) for o, k, v in clauses) if f is not None]
    assert FUNCTIONS["condition_type_problems"].run(conditions) == types
    assert FUNCTIONS["set_operator_problems"].run(conditions, effect) == [text for text, _ in sets]
    assert FUNCTIONS["widening_set_operators"].run(conditions, effect) == [text for text, wide in sets if wide]
    if ("Bool", "aws:SecureTransport", ["flase"]) in clauses:
        assert any("flase" in p for p in types)
