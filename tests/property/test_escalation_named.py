"""The escalation actions a statement's Action list names, matched pattern by pattern, are those a
plain IAM wildcard match of each pattern against each action finds.

`rules/escalation.py: _named` keeps a quick filter of the actions each principal's Allows name
(before the evaluator is asked). It matches each pattern once (`_matched_by`), with shortcuts: a
pattern without a wildcard is an action name in any case, and a pattern whose service part is
literal names only that service's actions. IAM matches action names case-insensitively with `*`
and `?` wildcards anywhere
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html); the
oracle is `iam.match.wildcard_match` of every pattern against every action, and NotAction names
the actions none of the patterns matches
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html).
"""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from permcheck.iam.match import wildcard_match
from permcheck.model.values import Sym, Unknown
from permcheck.rules.escalation import ACTIONS, _named

PIECES = ["iam", "IAM", "lambda", "sts", "s3", "ec2", "cloudformation", ":", "*", "?", "Pass", "Role",
          "passrole", "Create", "Function", "Update", "Policy", "a", "m", "logs:PutLogEvents"]
patterns = st.lists(st.sampled_from(PIECES), min_size=1, max_size=5).map("".join)


@given(st.lists(patterns, max_size=4), st.booleans())
@example(["iam:PassRole"], False)
@example(["IAM:passrole"], False)
@example(["ia*:PassRole"], False)
@example(["iam?:PassRole", "i?m:PassRole"], False)
@example(["lambda:*", "s3:*"], True)
@example(["*"], True)
@example(["ia:*"], False)
def test_named_actions_are_the_brute_force_matches(action_patterns, excluded):
    expected = tuple(action for action in ACTIONS
                     if any(wildcard_match(p, action, ignore_case=True) for p in action_patterns) != excluded)
    assert _named(tuple(action_patterns), excluded) == expected
    # a pattern with an unresolved part (`!Sub "${Service}:*"`) is the evaluator's to decide: not named here
    unresolved = Sym((Unknown("the Service parameter"), ":*"))
    assert _named((unresolved, *action_patterns), excluded) == expected
