"""Grants shared by shape are the grants each policy gets asked alone.

`Facts` decides the grants of resource policies of one shape once (rules/grant_shapes.py): the
same statements, with Resources relative to the holder's ARN, on a holder of the same account, URL
auth types and target class. The oracle asks every policy alone (`share_shapes=False`, on a model
of its own). The model: roles and functions of two accounts holding moved and renamed copies of one
random policy (the outsider generator of test_outsiders_bruteforce: principals, conditions, Denies),
each copy at its own file, line and sid, and now and then mutated in a way that must make it a shape
of its own — a condition or principal naming the holder's own ARN, a Resource other than the holder
(a wildcard over some holders' names, another function, a qualifier, `*`), a principal whose identity
policy denies some holders, a public function URL, a service-linked role's path, an RCP whose
Resource names some holders. Each holder's source ARNs (a topic, a bucket) are its own, renamed per
holder, and now and then another account's or any bucket: which outsiders a grant lets in, and a
principal's decision when the source is the policy's one own source, are shared between policies
that differ only in their own sources (`grant_shapes.own_sources`, `decision_shape`). The outsiders
one principal's grant lets in are found once for every policy holding that grant and the same Denies
as written, whatever its other statements (`grant_outsiders.probed`), and a fix proof's re-check reads them too.

AWS behaviours the sharing leans on, each pinned here by a copy that differs in it:
- a Resource matches the resource asked about by wildcard, case-sensitively
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html);
- within one account either side allows, across accounts both sides must, so the holder's account
  matters (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html);
- RCPs restrict the resources their Resource names
  (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html);
- `ArnLike` compares an ARN field by field, so a source ARN naming another account's resource never
  matches one naming the holder's account
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN).
"""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from permcheck.graph.edges import Edges
from permcheck.graph.index import Index
from permcheck.load.policy_doc import parse_policy
from permcheck.model.entities import Function, FunctionUrl, Inventory, Role
from permcheck.model.location import Location
from permcheck.model.policy import PolicyKind
from permcheck.rules import grant_shapes
from permcheck.rules.collect import Facts
from tests.property.test_evaluation_properties import EXAMPLES
from tests.property.test_outsiders_bruteforce import OTHER, OWN, random_policy

NAMES = ("app-0", "app-1", "app-10", "svc-2")
DEPLOYER = f"arn:aws:iam::{OWN}:role/deployer"


def _role_arn(account: str, name: str, path: str = "") -> str:
    return f"arn:aws:iam::{account}:role/{path}{name}"


def _function_arn(account: str, name: str) -> str:
    return f"arn:aws:lambda:us-east-1:{account}:function:{name}"


def _copy(statements: list[dict], rng: random.Random, holder: str, kind: str, account: str) -> list[dict]:
    """The statements again, renamed (sids), and now and then mutated relative to `holder`."""
    out = [json.loads(json.dumps(s)) for s in statements]
    for i, s in enumerate(out):
        s["Sid"] = f"{rng.choice(('Copy', 'Moved', 'Grant'))}{i}"
        if kind == "function":
            s["Resource"] = holder
    _own_sources(out, rng, holder.rsplit(":", 1)[-1].rsplit("/", 1)[-1])
    roll = rng.random()
    s = rng.choice(out)
    if roll < 0.1:
        s.setdefault("Condition", {}).setdefault("ArnLike", {})["aws:SourceArn"] = holder
    elif roll < 0.2:
        s.setdefault("Condition", {}).setdefault("ArnNotEquals", {})["aws:PrincipalArn"] = holder
    elif roll < 0.3 and kind == "role":
        s["Principal"] = {"AWS": holder}  # a role that trusts itself
    elif roll < 0.4:
        s["Principal"] = {"AWS": DEPLOYER}  # whose identity policy denies some holders
    elif roll < 0.55 and kind == "function":
        s["Resource"] = rng.choice([holder + ":prod", "*", _function_arn(account, "app-1*"),
                                    _function_arn(account, "other"), [holder, holder + ":*"]])
    return out


def _own_sources(statements: list[dict], rng: random.Random, name: str) -> None:
    """The source ARNs of each holder's own (its topic, its bucket), now and then another account's
    or any bucket instead."""
    renames = [(f"{OWN}:topic", f"{OWN}:topic-{name}"), (f"{OTHER}:topic", f"{OTHER}:topic-{name}"),
               ("s3:::own-bucket", f"s3:::bucket-{name}")] if rng.random() < 0.7 else []
    if rng.random() < 0.3:
        renames.insert(0, (f"{OWN}:topic", f"{OTHER}:topic"))
    if rng.random() < 0.3:
        renames.insert(0, ("s3:::own-bucket", "s3:::*"))
    for s in statements:
        if "Condition" in s:
            text = json.dumps(s["Condition"])
            for old, new in renames:
                text = text.replace(old, new)
            s["Condition"] = json.loads(text)


def make_inventory(seed: int) -> Inventory:
    """Holders of two accounts with copies of one random policy (see the module's docstring)."""
    rng = random.Random(seed + 1)  # a stream of its own (random_policy draws from `seed`)
    kind, statements = random_policy(seed)
    kind = "role" if kind == "role" else "function"
    if rng.random() < 0.2:  # every copy names a principal whose identity policy denies some holders
        statements[0]["Principal"] = {"AWS": DEPLOYER}
    if rng.random() < 0.6:  # a service's source of the holder's own (`_own_sources` renames it)
        service, source = rng.choice((("sns", f"arn:aws:sns:us-east-1:{OWN}:topic"), ("s3", "arn:aws:s3:::own-bucket"),
                                      ("apigateway", f"arn:aws:execute-api:us-east-1:{OWN}:topic/*/GET/items")))
        statements[0]["Principal"] = rng.choice(({"Service": f"{service}.amazonaws.com"}, "*"))
        statements[0].setdefault("Condition", {}).setdefault("ArnLike", {})["aws:SourceArn"] = source
    inventory = Inventory(default_account=OWN, accounts={OWN, OTHER})
    deployer_policy = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "lambda:InvokeFunction"], "Resource": "*"},
        {"Effect": "Deny", "Action": ["sts:AssumeRole", "lambda:InvokeFunction"],
         "Resource": [_role_arn(OWN, "app-1*"), _function_arn(OWN, "app-1*")]}]},
        name="deployer policy", kind=PolicyKind.IDENTITY, location=Location("deployer.json", 1))
    inventory.roles[DEPLOYER] = Role(arn=DEPLOYER, name="deployer", account=OWN, policies=(deployer_policy,))
    line = 10
    for account in (OWN, OTHER):
        for name in NAMES:
            line += 10
            file = f"{account}-{name}.json"
            if kind == "role":
                arn = _role_arn(account, name, rng.choice(("", "", "aws-service-role/lambda.amazonaws.com/")))
                doc = {"Version": "2012-10-17", "Statement": _copy(statements, rng, arn, kind, account)}
                trust = parse_policy(doc, name=f"{name} trust", kind=PolicyKind.TRUST, location=Location(file, line))
                inventory.roles[arn] = Role(arn=arn, name=name, account=account, trust=trust,
                                            logical_id=rng.choice((None, f"{name.title()}Role")))
            else:
                arn = _function_arn(account, name)
                doc = {"Version": "2012-10-17", "Statement": _copy(statements, rng, arn, kind, account)}
                policy = parse_policy(doc, name=f"{name} resource policy", kind=PolicyKind.RESOURCE,
                                      location=Location(file, line))
                urls = (FunctionUrl(auth_type=rng.choice(("NONE", "AWS_IAM"))),) if rng.random() < 0.3 else ()
                inventory.functions[arn] = Function(arn=arn, name=name, account=account, region="us-east-1",
                                                    policy=policy, urls=urls)
    if rng.random() < 0.3:
        resource = rng.choice(("*", _function_arn("*", "app-1*"), _role_arn("*", "app-1*")))
        rcp = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": ["sts:AssumeRole", "lambda:InvokeFunction"],
            "Resource": resource, "Condition": {"StringNotEquals": {"aws:PrincipalAccount": OWN}}}]}
        inventory.rcps.append(parse_policy(rcp, name="fence", kind=PolicyKind.RCP, location=Location("rcp.json", 1)))
    return inventory


def grants(seed: int, share: bool) -> list:
    """The grants of the model of `seed`, each policy asked alone or shared by shape."""
    edges = Edges(Index(make_inventory(seed)))
    return [(g, g.statement) for g in Facts(edges, (OWN,), "", share_shapes=share).subject("grants")]  # (the
    # deciding statements' ids are no field of the grant, so equality alone does not compare them)


@settings(max_examples=max(EXAMPLES // 4, 10), deadline=None)  # each example: two models of eight holders
@given(st.integers(0, 2**64 - 1))
def test_grants_shared_by_shape_are_the_grants_asked_alone(seed):
    assert grants(seed, share=True) == grants(seed, share=False)


def _dropping(*places):
    """`shape` without the parts at `places` (1: the account, 2: URL auth types, 3: target classes,
    which hold the account too)."""
    def patch(shape):
        def key(*args):
            found = shape(*args)
            return None if found is None else tuple(part for i, part in enumerate(found) if i not in places)
        return key
    return patch


def _any_resource(relative):
    def content(statement, *args):
        found = relative(statement.model_copy(update={"resources": None}), *args)
        return None if found is None or statement.resources is None else found
    return content


def _without_conditions(relative):
    def content(statement, *args):
        return relative(statement.model_copy(update={"conditions": ()}), *args)
    return content


def _plain_without_conditions(outsider_shape):
    """The key of the outsiders found (`grant_outsiders.probed`) with the statements' conditions left out."""
    def key(facts, policy, statements, *args, plain=False):
        if not plain:
            return outsider_shape(facts, policy, statements, *args)
        bare = [s.model_copy(update={"conditions": ()}) for s in policy.statements]
        ours = [bare[i] for i, s in enumerate(policy.statements) if s in statements]
        return outsider_shape(facts, policy.model_copy(update={"statements": tuple(bare)}), ours, *args, plain=True)
    return key


@pytest.mark.parametrize("name,patch", [("shape", _dropping(1, 3)), ("shape", _dropping(2)),
                                        ("_relative", _any_resource), ("_relative", _without_conditions),
                                        ("_callers_read_holder", lambda _: lambda *a: False),
                                        ("org_free", lambda _: lambda org: True),
                                        ("_own_source", lambda _: lambda value, inside: "own source"),
                                        ("recalled", lambda recalled: lambda kept, source, policy: recalled(
                                            kept, f"arn:aws:sns:us-east-1:{OWN}:topic", policy)),
                                        ("outsider_shape", _plain_without_conditions)])
def test_a_key_without_a_field_that_matters_fails_the_property(monkeypatch, name, patch):
    """The property is no tautology: with the holder's account, its URLs, its Resources or the
    statements' conditions left out of the key, callers' identity policies and RCPs taken as reading
    no holder's ARN, every source ARN taken as the holder's own, a decision read back without its own
    source, or the outsiders a grant lets in kept without its conditions (`grant_outsiders.probed`), some model of
    the first seeds gets another holder's grants."""
    monkeypatch.setattr(grant_shapes, name, patch(getattr(grant_shapes, name)))
    assert any(grants(seed, share=True) != grants(seed, share=False) for seed in range(60))


@settings(max_examples=max(EXAMPLES // 4, 10), deadline=None)
@given(st.integers(0, 2**64 - 1), st.sampled_from(range(3)))
def test_a_fix_proofs_re_check_is_the_re_check_asked_alone(seed, pick):
    """A fix proof re-checks one principal's grant on a changed copy of the model (`Facts.of`,
    `grants_on(only=)`) with the outsiders the run found by content (`grant_outsiders.probed`), its own grants
    and those of earlier proofs: it gets the grant a fresh model of the copy gets, asked alone. The
    changes are those fixes propose (`fixes.candidates`), made in turn on every holder's copy of the
    policy, so a later proof meets a grant an earlier one probed. AWS decides each request on the
    policies as they are (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)."""
    from permcheck.model.policy import Clause
    from permcheck.rules.fixes import Change, _changed_edges

    change = [Change("org", Clause(operator="StringEquals", key="aws:PrincipalOrgID", values=("o-a1b2c3d4e5",))),
              Change("external id", Clause(operator="StringEquals", key="sts:ExternalId", values=("s3cr3t",))),
              Change("name the account", principal=OWN)][pick]
    edges = Edges(Index(make_inventory(seed)))
    facts = Facts(edges, (OWN,), "")
    for grant in facts.subject("grants"):
        changed = _changed_edges(edges, grant, change)
        if changed is None:
            continue
        shared = facts.of(changed).grants_on(grant.target, grant.target_type, only=grant.principal)
        alone = Facts(Edges(Index(changed.index.inventory)), (OWN,), "", facts.outsiders.zone,
                      share_shapes=False).grants_on(grant.target, grant.target_type, only=grant.principal)
        assert shared == alone
