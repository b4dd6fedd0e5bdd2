"""The grant rules' outsider facts against a brute-force search over concrete callers and contexts.

Contract ("Built-in rule ids"): "anyone", "another account" and "without a source" mean that the
evaluator finds a request from such a caller — an anonymous one, a principal of an account outside the
zone of trust, a service acting for one — that is allowed. The rules read three facts of each grant
(`anyone`, `other_account`, `other_source`, made by `graph/outsiders.py` from representative values);
here the same question is answered by trying concrete callers with every key fixed (a closed context):

- accounts: two the policy may name (210987654321, 999999999999) and three it never names literally
  (555555555555, 299999999999 and 900000000000, which the wildcard values `2*` and `9*` reach);
- each account's role sessions (`x`, `ci-1`, `partner`, `other`), a user and the root; an anonymous
  request (not for roles); S3, SNS and EventBridge acting for each account with a bucket, a rule or one
  of two topics of its own, or sending no source at all;
- for every key a condition names, values on both sides of every value the conditions use
  (organisations: none, two nobody names, and the one the generator uses when the policy does not name
  it; transport; tags …).

A caller the evaluator allows through a statement naming the grant's principal is classified as the
rules do: an anonymous caller, or one of an account no condition of the grant (its statements and the
Denies) names, is "anyone" (for a grant to `*`); a caller of an account those conditions or the principal
name is that account's grant; a service
acting for an unnamed account (or no source) under a grant to that service is "without a source".
The facts must say exactly that, for every grant of the random policy.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from permcheck.graph.edges import Edges
from permcheck.graph.index import Index
from permcheck.iam.decide import Decision, evaluate
from permcheck.iam.request import Caller, CallerKind, Request
from permcheck.load.inputs import Options, load_inventory
from permcheck.model.policy import Effect
from permcheck.rules.collect import Facts

OWN, OTHER, NAMED = "123456789012", "210987654321", "999999999999"
UNNAMED = ("555555555555", "299999999999", "900000000000")
ORG, STRANGE_ORGS = "o-a1b2c3d4e5", ("o-zzzzzzzzzz", "o-yyyyyyyyyy")  # `o-z*` takes one of them
SERVICES = ("s3.amazonaws.com", "sns.amazonaws.com", "events.amazonaws.com")
ACTIONS = {"role": "sts:AssumeRole", "function": "lambda:InvokeFunction", "queue": "sqs:SendMessage"}
QUEUE = f"arn:aws:sqs:us-east-1:{OWN}:jobs"
FUNCTION = f"arn:aws:lambda:us-east-1:{OWN}:function:target"

KEYS = {  # key: (operators, values)
    "aws:PrincipalAccount": (("StringEquals", "StringNotEquals", "StringLike", "StringEqualsIfExists"),
                             (OWN, OTHER, NAMED, "2*", "9*", "*")),
    "aws:PrincipalOrgID": (("StringEquals", "StringNotEquals", "StringLike", "StringEqualsIfExists"),
                           (ORG, "o-*", "o-z*")),
    "aws:SourceAccount": (("StringEquals", "StringNotEquals", "StringLike", "StringEqualsIfExists"),
                          (OWN, OTHER, "9*")),
    "aws:SourceArn": (("ArnLike", "ArnEquals", "ArnNotLike", "ArnLikeIfExists"),
                      (f"arn:aws:sns:us-east-1:{OWN}:topic", f"arn:aws:sns:us-east-1:{OTHER}:topic",
                       "arn:aws:sns:*:*:*", "arn:aws:s3:::own-bucket", "arn:aws:s3:::*")),
    "aws:PrincipalArn": (("ArnLike", "ArnNotLike", "StringLike"),
                         (f"arn:aws:iam::{OTHER}:role/ci-*", "arn:aws:iam::*:role/partner", f"arn:aws:iam::{OWN}:role/x")),
    "aws:SecureTransport": (("Bool",), ("true", "false")),
    "aws:PrincipalTag/team": (("StringEquals",), ("platform",)),
}
NULL_KEYS = ("aws:PrincipalOrgID", "aws:SourceArn")
PRINCIPALS = {
    "role": ({"AWS": "*"}, {"AWS": OTHER}, {"AWS": f"arn:aws:iam::{OTHER}:role/partner"},
             {"Service": "lambda.amazonaws.com"}, {"AWS": OWN}),
    "function": ("*", {"AWS": OTHER}, {"Service": "s3.amazonaws.com"}, {"Service": "sns.amazonaws.com"}, {"AWS": OWN}),
    "queue": ("*", {"AWS": OTHER}, {"Service": "sns.amazonaws.com"}),
}


def random_policy(seed: int) -> tuple[str, list[dict]]:
    rng = random.Random(seed)
    kind = rng.choice(("role", "function", "queue"))
    statements = []
    for _ in range(rng.randint(1, 3)):
        deny = rng.random() < 0.2
        statement = {"Effect": "Deny" if deny else "Allow",
                     "Principal": {"AWS": "*"} if deny else rng.choice(PRINCIPALS[kind]), "Action": ACTIONS[kind]}
        if kind == "queue":
            statement["Resource"] = QUEUE
        condition: dict = {}
        for _ in range(rng.choice((0, 1, 1, 2))):
            if rng.random() < 0.15:
                condition.setdefault("Null", {})[rng.choice(NULL_KEYS)] = rng.choice(("true", "false"))
                continue
            key = rng.choice(list(KEYS))
            operators, values = KEYS[key]
            condition.setdefault(rng.choice(operators), {})[key] = rng.sample(values, min(len(values), rng.randint(1, 2)))
        if condition:
            statement["Condition"] = condition
        statements.append(statement)
    return kind, statements


def document(kind: str, statements: list[dict]) -> dict:
    policy = {"Version": "2012-10-17", "Statement": statements}
    if kind == "role":
        return {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "target", "AssumeRolePolicyDocument": policy}}}}
    if kind == "queue":
        return {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "jobs"}},
                              "QueuePolicy": {"Type": "AWS::SQS::QueuePolicy", "Properties": {
                                  "Queues": [{"Ref": "Queue"}], "PolicyDocument": policy}}}}
    policy["Statement"] = [{"Sid": f"s{i}", "Resource": FUNCTION, **s} for i, s in enumerate(statements)]
    return {"Policy": json.dumps(policy), "RevisionId": "0"}


# -- the brute force ---------------------------------------------------------------------------------------
def _named_in_conditions(statements) -> set[str]:
    """Accounts the conditions of these statements name."""
    text = " ".join(str(v) for s in statements for c in s.conditions for v in c.values)
    return {a for a in (OTHER, NAMED, *UNNAMED) if a in text}


def _mentioned(statements: list[dict]) -> set[str]:
    return {key.lower() for s in statements for clause in s.get("Condition", {}).values() for key in clause}


def _variants(key: str, options: list, mentioned: set[str]) -> list:
    return options if key in mentioned else options[:1]


def _callers(kind: str, statements: list[dict]):
    """Every concrete outsider: (caller, its account, the context it sends)."""
    mentioned = _mentioned(statements)
    orgs = [()] + [(o,) for o in (*STRANGE_ORGS, *((ORG,) if ORG not in json.dumps(statements) else ()))]
    free = [{}]  # the keys a caller chooses
    for key, options in (("aws:securetransport", [(), ("true",), ("false",)]),
                         ("aws:principaltag/team", [(), ("platform",), ("ops",)])):
        free = [{**f, key: o} for f in free for o in _variants(key, options, mentioned)]
    absent_sources = {k: () for k in ("aws:sourceaccount", "aws:sourcearn", "aws:sourceowner")}
    if kind != "role":  # an anonymous request has no tags of its own
        for f in (f for f in free if not f.get("aws:principaltag/team")):
            yield Caller(kind=CallerKind.ANYONE, arn="*"), "", {
                **f, **absent_sources, "aws:principalaccount": (), "aws:principalarn": (), "aws:principalorgid": (),
                "aws:principaltype": ("Anonymous",)}
    for account in (OTHER, NAMED, *UNNAMED):
        identities = [(CallerKind.ROLE, f"arn:aws:iam::{account}:role/{n}", "AssumedRole")
                      for n in ("x", "ci-1", "partner", "other")]
        identities += [(CallerKind.USER, f"arn:aws:iam::{account}:user/x", "User"),
                       (CallerKind.ROOT, f"arn:aws:iam::{account}:root", "Account")]
        for caller_kind, arn, principal_type in identities:
            caller = Caller(kind=caller_kind, arn=arn, account=account, identity=None, name=arn.rsplit("/")[-1])
            for org in _variants("aws:principalorgid", orgs, mentioned):
                for f in free:
                    yield caller, account, {**f, **absent_sources, "aws:principalaccount": (account,),
                                            "aws:principalarn": (arn,), "aws:principaltype": (principal_type,),
                                            "aws:principalorgid": org, "aws:principalisawsservice": ("false",)}
        for service in SERVICES:
            for source in (f"arn:aws:sns:us-east-1:{account}:topic", f"arn:aws:sns:us-east-1:{account}:other-topic",
                           f"arn:aws:events:us-east-1:{account}:rule/r", "arn:aws:s3:::outsider-bucket"):
                yield Caller(kind=CallerKind.SERVICE, arn=service), account, {
                    "aws:sourceaccount": (account,), "aws:sourceowner": (account,), "aws:sourcearn": (source,),
                    "aws:principalaccount": (), "aws:principalarn": (), "aws:principalorgid": (),
                    "aws:principalisawsservice": ("true",), "aws:securetransport": ("true",)}
    for service in SERVICES:
        yield Caller(kind=CallerKind.SERVICE, arn=service), "", {
            **absent_sources, "aws:principalaccount": (), "aws:principalarn": (), "aws:principalorgid": (),
            "aws:principalisawsservice": ("true",), "aws:securetransport": ("true",)}


def brute_force(kind: str, statements: list[dict], edges: Edges) -> dict[str, set[str]]:
    """Per principal the policy grants to: which classes of outsider get in through its statements."""
    target_arn = {"role": f"arn:aws:iam::{OWN}:role/target", "function": FUNCTION, "queue": QUEUE}[kind]
    target = edges.index.target(target_arn, ACTIONS[kind])
    denies = [s for s in target.policy.statements if s.effect is Effect.DENY]
    by_principal: dict[str, list] = {}
    for s in target.policy.statements:
        if s.effect is Effect.ALLOW:
            for p in s.principals:
                by_principal.setdefault(str(p.value), []).append(s)
    found: dict[str, set[str]] = {p: set() for p in by_principal}
    for caller, account, context in _callers(kind, statements):
        answer = evaluate(Request(caller=caller, action=ACTIONS[kind], target=target, context=context, closed=True),
                          edges.index.organisation)
        if answer.decision is not Decision.ALLOWED:
            continue
        for principal, doors in by_principal.items():
            if not any(s in answer.because for s in doors):
                continue
            named = _named_in_conditions(doors + denies)  # a grant's own conditions name its accounts
            if principal == "*":
                found[principal].add("account" if account in named else "anyone")
            elif principal.endswith(".amazonaws.com"):
                if kind == "function" and caller.kind is CallerKind.SERVICE:
                    found[principal].add("account" if account in named else "source")
            elif caller.kind is not CallerKind.SERVICE and account:
                found[principal].add("account")
    return found


def facts(edges: Edges) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for grant in Facts(edges, (OWN,), "").subject("grants"):
        classes = out.setdefault(grant.principal, set())
        classes |= {"anyone"} if grant.anyone else set()
        classes |= {"account"} if grant.other_account else set()
        classes |= {"source"} if grant.other_source else set()
    return out


RULES = {"role": {"anyone": "trust-any-principal", "account": "cross-account-trust"},
         "function": {"anyone": "public-invoke", "account": "cross-account-invoke",
                      "source": "service-invoke-without-source"},
         "queue": {"anyone": "cross-account-resource-policy", "account": "cross-account-resource-policy"}}


def expected_rules(kind: str, classes: dict[str, set[str]]) -> set[str]:
    """The rules that must fire, by the contract's definitions: "anyone" rules when anyone gets in,
    cross-account ones when another account does and anyone does not (then the "anyone" rule says it)."""
    out = set()
    for found in classes.values():
        for what in found:
            if what != "account" or "anyone" not in found or kind == "queue":
                out.add(RULES[kind][what])
    return out


def fired_rules(edges: Edges) -> set[str]:
    """The grant rules that `check` reports on the model."""
    from permcheck.config import Config
    from permcheck.rules.registry import load_rules
    from permcheck.rules.run import run_check
    rules = [r for r in load_rules() if r.id in {rule for by in RULES.values() for rule in by.values()}]
    return {f.rule for f in run_check(edges, rules, Config()).findings}


def _model(kind: str, statements: list[dict]) -> Edges:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.json"
        path.write_text(json.dumps(document(kind, statements)))
        return Edges(Index(load_inventory([str(path)], Options())))


@settings(max_examples=int(os.environ.get("PERMCHECK_PROPERTY_EXAMPLES", "200")), deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_outsider_facts_equal_a_brute_force_search(seed):
    kind, statements = random_policy(seed)
    edges = _model(kind, statements)
    expected = {p: c for p, c in brute_force(kind, statements, edges).items() if c}
    got = {p: c for p, c in facts(edges).items() if c}
    assert got == expected, (kind, json.dumps(statements, indent=1))


@settings(max_examples=int(os.environ.get("PERMCHECK_PROPERTY_EXAMPLES", "200")) // 2, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_grant_rules_fire_exactly_when_the_brute_force_lets_an_outsider_in(seed):
    """The rules themselves, run by `check`: each fires exactly when the brute force finds its kind
    of outsider let in (public-invoke and trust-any-principal: anyone; cross-account-*: another
    account; service-invoke-without-source: the service for any account's resource)."""
    kind, statements = random_policy(seed)
    edges = _model(kind, statements)
    assert fired_rules(edges) == expected_rules(kind, brute_force(kind, statements, edges)), \
        (kind, json.dumps(statements, indent=1))
