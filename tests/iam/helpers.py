"""Small builders for evaluator tests: policies from plain dicts, callers, targets."""

from __future__ import annotations

from permcheck.iam.decide import Organisation, evaluate
from permcheck.iam.request import Caller, CallerKind, Request, Target
from permcheck.load.policy_doc import parse_policy
from permcheck.model.location import Location
from permcheck.model.policy import PolicyKind

ACCOUNT = "111111111111"
OTHER = "222222222222"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
BUCKET = "arn:aws:s3:::data-bucket/report.csv"


def policy(*statements: dict, kind: PolicyKind = PolicyKind.IDENTITY, name: str = "p"):
    parsed = parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, name=name, kind=kind,
                          location=Location("test.json", 1))
    assert parsed.error is None, parsed.error
    return parsed


def allow(action="s3:GetObject", resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action="s3:GetObject", resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def role(*identity, arn=ROLE, account=ACCOUNT, boundary=None, known=True) -> Caller:
    return Caller(kind=CallerKind.ROLE, arn=arn, account=account,
                  identity=tuple(identity) if known else None, boundary=boundary)


def decide(caller: Caller, action="s3:GetObject", resource=BUCKET, resource_policy=None, account=ACCOUNT,
           required=False, context=None, closed=False, org=Organisation()):
    target = Target(arn=resource, account=account, policy=resource_policy, policy_required=required)
    return evaluate(Request(caller=caller, action=action, target=target, context=context or {}, closed=closed), org)
