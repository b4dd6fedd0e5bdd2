"""An account caller stands for every principal of its account, no more, no fewer.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn:
aws:PrincipalArn is the ARN of the role, user, root or federated user that makes the request. A
policy that names the account (`...:root`) and narrows it with a condition on aws:PrincipalArn
lets some of the account's principals in: the account's answer must agree with theirs —
`allowed` only if each of them is, `denied` only if none is.
"""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from permcheck.iam.decide import Decision, evaluate
from permcheck.iam.request import Caller, CallerKind, Request, Target
from permcheck.model.policy import PolicyKind
from tests.iam.helpers import policy

ACCOUNT, THEIRS = "444455556666", "111122223333"
FUNCTION = f"arn:aws:lambda:us-east-1:{THEIRS}:function:f"
PRINCIPALS = [f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:iam::{ACCOUNT}:role/ci-deploy",
              f"arn:aws:iam::{ACCOUNT}:role/app", f"arn:aws:iam::{ACCOUNT}:role/ops/ci-x",
              f"arn:aws:iam::{ACCOUNT}:user/ci", f"arn:aws:sts::{ACCOUNT}:federated-user/ci"]
PATTERNS = [f"arn:aws:iam::{ACCOUNT}:role/ci-*", f"arn:aws:iam::{ACCOUNT}:*", f"arn:aws:*::{ACCOUNT}:*",
            f"arn:aws:iam::{THEIRS}:role/*", f"arn:aws:iam::{ACCOUNT}:root", "arn:aws:iam::*:role/*ci*",
            f"arn:aws:iam::{ACCOUNT}:user/*", "*"]
OPERATORS = ["ArnLike", "ArnNotLike", "StringLike", "StringNotLike", "ArnEquals", "StringEquals"]
conditions = st.dictionaries(st.sampled_from(OPERATORS), st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=2)
                             .map(lambda values: {"aws:PrincipalArn": values}), min_size=1, max_size=2)
effects = st.sampled_from(["Allow", "Deny"])


def _answer(statements: list[dict], context: dict | None = None):
    resource = policy(*statements, kind=PolicyKind.RESOURCE, name="function policy")
    caller = Caller(kind=CallerKind.ROOT, arn=f"arn:aws:iam::{ACCOUNT}:root", account=ACCOUNT, identity=None)
    target = Target(arn=FUNCTION, account=THEIRS, policy=resource)
    return evaluate(Request(caller=caller, action="lambda:InvokeFunction", target=target, context=context or {}))


@settings(max_examples=300, deadline=None)
@given(grant=conditions, fence=st.none() | conditions)
@example(grant={"ArnLike": {"aws:PrincipalArn": [PATTERNS[0]]}}, fence=None)
@example(grant={"ArnLike": {"aws:PrincipalArn": [PATTERNS[3]]}}, fence=None)
def test_account_answer_agrees_with_its_principals(grant, fence):
    statements = [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                   "Action": "lambda:InvokeFunction", "Resource": FUNCTION, "Condition": grant}]
    if fence is not None:
        statements.append({"Effect": "Deny", "Principal": "*", "Action": "lambda:InvokeFunction",
                           "Resource": FUNCTION, "Condition": fence})
    account = _answer(statements).decision
    each = {arn: _answer(statements, {"aws:principalarn": (arn,)}).decision for arn in PRINCIPALS}
    assert all(d is not Decision.CONDITIONAL for d in each.values()), each
    if account is Decision.ALLOWED:
        assert all(d is Decision.ALLOWED for d in each.values()), each
    elif account is Decision.DENIED:
        assert all(d is Decision.DENIED for d in each.values()), each
    if any(d is Decision.ALLOWED for d in each.values()) and any(d is Decision.DENIED for d in each.values()):
        assert account is Decision.CONDITIONAL, each


def test_closed_context_asks_about_the_root_user_itself():
    # `--closed-context` is one concrete request, so the account caller is its root user
    # (aws:PrincipalArn = the root ARN, aws:PrincipalType = Account), as before keys were left open.
    def closed(pattern):
        statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                     "Action": "lambda:InvokeFunction", "Resource": FUNCTION,
                     "Condition": {"ArnLike": {"aws:PrincipalArn": pattern}}}
        resource = policy(statement, kind=PolicyKind.RESOURCE, name="function policy")
        caller = Caller(kind=CallerKind.ROOT, arn=f"arn:aws:iam::{ACCOUNT}:root", account=ACCOUNT, identity=None)
        target = Target(arn=FUNCTION, account=THEIRS, policy=resource)
        return evaluate(Request(caller=caller, action="lambda:InvokeFunction", target=target, closed=True)).decision
    assert closed(f"arn:aws:iam::{ACCOUNT}:*") is Decision.ALLOWED
    assert closed(f"arn:aws:iam::{ACCOUNT}:role/ci-*") is Decision.DENIED
