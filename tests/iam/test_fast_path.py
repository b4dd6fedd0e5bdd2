"""The shortcut for plain identity Allows gives exactly the full evaluation's answer."""

from hypothesis import given, settings
from hypothesis import strategies as st

from permcheck.iam.caches import Caches
from permcheck.iam import fast_path
from permcheck.iam.decide import Organisation, evaluate_fully
from permcheck.iam.request import Request, Target
from permcheck.model.policy import PolicyKind
from tests.iam.helpers import ACCOUNT, OTHER, ROLE, policy, role

ACTIONS = ["lambda:InvokeFunction", "lambda:*", "*", "s3:GetObject", "lambda:Invoke*"]
RESOURCES = ["*", "arn:aws:lambda:us-east-1:111111111111:function:f", "arn:aws:lambda:*:*:function:*",
             "arn:aws:lambda:us-east-1:111111111111:function:g"]
PRINCIPALS = [{"AWS": ROLE}, {"AWS": ACCOUNT}, {"Service": "sns.amazonaws.com"}, "*", {"AWS": OTHER}]

statements = st.fixed_dictionaries({
    "Effect": st.sampled_from(["Allow", "Allow", "Deny"]),
    "Action": st.sampled_from(ACTIONS),
    "Resource": st.sampled_from(RESOURCES),
}, optional={"Condition": st.just({"StringEquals": {"aws:SourceAccount": OTHER}})})
resource_statements = st.builds(lambda s, p: {**s, "Principal": p}, statements, st.sampled_from(PRINCIPALS))


@settings(max_examples=300, deadline=None)
@given(identity=st.lists(statements, min_size=1, max_size=4),
       resource=st.lists(resource_statements, max_size=3),
       action=st.sampled_from(["lambda:InvokeFunction", "s3:GetObject"]),
       arn=st.sampled_from(RESOURCES[1:]),
       account=st.sampled_from([ACCOUNT, OTHER, None]),
       boundary=st.none() | st.lists(statements, max_size=3))
def test_fast_path_agrees_with_full_evaluation(identity, resource, action, arn, account, boundary):
    """With a permissions boundary too: "An entity's permissions boundary allows it to perform only
    the actions that are allowed by both its identity-based policies and its permissions boundaries"
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html)."""
    caller = role(policy(*identity), boundary=None if boundary is None else policy(*boundary, name="boundary"))
    target = Target(arn=arn, account=account,
                    policy=policy(*resource, kind=PolicyKind.RESOURCE) if resource else None)
    request = Request(caller=caller, action=action, target=target)
    quick = fast_path.answer(request, Organisation(), Caches())
    if quick is not None:
        assert quick == evaluate_fully(request, Organisation())


@settings(max_examples=200, deadline=None)
@given(shared=st.lists(st.lists(statements, min_size=1, max_size=3), min_size=1, max_size=3),
       holdings=st.lists(st.tuples(st.lists(st.integers(0, 2), max_size=3), st.lists(statements, max_size=2)),
                         min_size=1, max_size=4),
       action=st.sampled_from(["lambda:InvokeFunction", "s3:GetObject"]),
       arn=st.sampled_from(RESOURCES[1:]))
def test_callers_sharing_policies_get_their_own_answers(shared, holdings, action, arn):
    """A policy's plain Allows are found once for every caller holding it (`fast_path.policy_allows`,
    keyed by the policy object): callers holding managed policies in common, each with its own
    inline one, get from one evaluator's caches what each gets alone — the full evaluation's answer
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html:
    within one account an identity-policy Allow is enough, unless a Deny applies)."""
    managed = [policy(*s, name=f"managed-{i}") for i, s in enumerate(shared)]
    caches, target = Caches(), Target(arn=arn, account=ACCOUNT)
    for number, (held, own) in enumerate(holdings):
        policies = [managed[i % len(managed)] for i in held] + ([policy(*own, name=f"own-{number}")] if own else [])
        caller = role(*policies, arn=f"arn:aws:iam::{ACCOUNT}:role/r{number}")
        request = Request(caller=caller, action=action, target=target)
        quick = fast_path.answer(request, Organisation(), caches)
        assert quick == fast_path.answer(request, Organisation(), Caches())
        if quick is not None:
            assert quick == evaluate_fully(request, Organisation())
