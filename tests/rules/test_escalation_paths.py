"""privilege-escalation: which resource names a path when the principal's Allows name several.

https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/ (method 6:
iam:PutRolePolicy) and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
(a condition the request may or may not meet makes the answer conditional).
"""

from __future__ import annotations

from tests.rules.test_escalation_protected import ACCOUNT, _escalations, _role

FIRST, SECOND = f"arn:aws:iam::{ACCOUNT}:role/first", f"arn:aws:iam::{ACCOUNT}:role/second"
IN_EU = {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}


def _writer(statements: list[dict]) -> dict:
    return _role(f"arn:aws:iam::{ACCOUNT}:role/writer", "/", statements)


def test_the_first_resource_allowed_names_the_path(tmp_path):
    """The action is asked on the resources in the order written, up to the first allowed one: a
    conditional one written before it does not name the path."""
    found = _escalations(tmp_path, [_writer([
        {"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": FIRST, "Condition": IN_EU},
        {"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": SECOND}])])
    (message,) = found.values()
    assert "(allowed)" in message and f"({SECOND})" in message and FIRST not in message


def test_with_none_allowed_the_first_conditional_names_the_path(tmp_path):
    found = _escalations(tmp_path, [_writer([
        {"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": [FIRST, SECOND], "Condition": IN_EU}])])
    (message,) = found.values()
    assert "(conditional)" in message and f"({FIRST})" in message and SECOND not in message
