"""Fix suggestions: shown only when the evaluator confirms them; applying one removes the finding."""

import os
import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from tests import templates
from tests.cli_helpers import run

FUNCTION = "Resources:\n" + templates.FUNCTION


def _check(tmp_path, text, *options):
    template = tmp_path / "t.yaml"
    template.write_text(text)
    return run("check", str(template), "--format", "json", *options).json()["findings"]


def _fix(findings, rule):
    (finding,) = [f for f in findings if f["rule"] == rule]
    return finding.get("fix")


def test_service_without_source_gets_source_account_and_it_works(tmp_path):
    permission = ("  FromS3:\n    Type: AWS::Lambda::Permission\n    Properties: {FunctionName: !Ref Fn, "
                  "Action: lambda:InvokeFunction, Principal: s3.amazonaws.com%s}\n")
    fix = _fix(_check(tmp_path, FUNCTION + permission % ""), "service-invoke-without-source")
    assert fix.startswith("add SourceAccount: 123456789012")
    applied = _check(tmp_path, FUNCTION + permission % ", SourceAccount: '123456789012'")
    assert [f for f in applied if f["rule"] == "service-invoke-without-source"] == []


def test_public_function_url_gets_aws_iam_auth_and_it_works(tmp_path):
    url = textwrap.dedent('''\
          Url:
            Type: AWS::Lambda::Url
            Properties: {TargetFunctionArn: !GetAtt Fn.Arn, AuthType: %s}
          UrlPermission:
            Type: AWS::Lambda::Permission
            Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunctionUrl, Principal: "*",
                         FunctionUrlAuthType: NONE}
        ''')
    url = textwrap.indent(url, "  ")
    assert _fix(_check(tmp_path, FUNCTION + url % "NONE"), "public-invoke") == "set the function URL's AuthType to AWS_IAM"
    assert [f for f in _check(tmp_path, FUNCTION + url % "AWS_IAM") if f["rule"] == "public-invoke"] == []


def test_public_permission_with_an_organisation(tmp_path):
    permission = ("  Anyone:\n    Type: AWS::Lambda::Permission\n    Properties: {FunctionName: !Ref Fn, "
                  "Action: lambda:InvokeFunction, Principal: '*'%s}\n")
    config = tmp_path / "c.toml"
    config.write_text('org_id = "o-a1b2c3d4e5"\n')
    fix = _fix(_check(tmp_path, FUNCTION + permission % "", "--config", str(config)), "public-invoke")
    assert fix == "add PrincipalOrgID: o-a1b2c3d4e5"
    applied = _check(tmp_path, FUNCTION + permission % ", PrincipalOrgID: o-a1b2c3d4e5", "--config", str(config))
    assert [f for f in applied if f["rule"] == "public-invoke"] == []
    # without an organisation, the narrowest proven change names the own account
    assert _fix(_check(tmp_path, FUNCTION + permission % ""), "public-invoke") == \
        "name the account instead of anyone: Principal: '123456789012'"


def test_a_finding_names_its_own_door_when_another_grant_also_lets_the_service_in(tmp_path):
    """s3.amazonaws.com is also let in by a `*` grant. The S3 permission without a source is a door
    of its own, and SourceAccount closes it: the suggestion is proven although S3 of any account
    still gets in through the `*` permission, which public-invoke reports at its own line."""
    permission = ("  FromS3:\n    Type: AWS::Lambda::Permission\n    Properties: {FunctionName: !Ref Fn, "
                  "Action: lambda:InvokeFunction, Principal: s3.amazonaws.com%s}\n"
                  "  Anyone:\n    Type: AWS::Lambda::Permission\n    Properties: {FunctionName: !Ref Fn, "
                  "Action: lambda:InvokeFunction, Principal: '*'}\n")
    findings = _check(tmp_path, FUNCTION + permission % "")
    assert _fix(findings, "service-invoke-without-source").startswith("add SourceAccount: 123456789012")
    assert [f["resource"] for f in findings if f["rule"] == "service-invoke-without-source"] == ["FromS3"]
    fixed = _check(tmp_path, FUNCTION + permission % ", SourceAccount: !Ref AWS::AccountId")
    assert [(f["rule"], f["resource"]) for f in fixed if f["rule"] in ("public-invoke", "service-invoke-without-source")] \
        == [("public-invoke", "Anyone")]


def test_cross_account_trust_external_id_is_proven_to_lower_the_severity(tmp_path):
    role = textwrap.dedent('''\
        Resources:
          Vendor:
            Type: AWS::IAM::Role
            Properties:
              RoleName: vendor
              AssumeRolePolicyDocument:
                Version: "2012-10-17"
                Statement: [{Effect: Allow, Principal: {AWS: "210987654321"}, Action: sts:AssumeRole%s}]
        ''')
    fix = _fix(_check(tmp_path, role % ""), "cross-account-trust")
    assert fix.startswith("add the condition StringEquals sts:ExternalId")
    (after,) = [f for f in _check(tmp_path, role % ", Condition: {StringEquals: {sts:ExternalId: s3cr3t}}")
                if f["rule"] == "cross-account-trust"]
    assert after["severity"] == "medium"


def test_a_changed_copy_shares_names_and_sees_the_changed_function():
    """A fix is proven on a copy of the model whose index shares what names things (`Index.changed`):
    names, logical IDs and functions by name are those of the copy — the changed function, not the
    one it replaces — and so is the evaluator, whose answers the next test checks."""
    import copy
    from collections import ChainMap

    from permcheck.graph.index import Index
    from tests.property.test_graph_bruteforce import A, build, make_spec

    for seed in range(30):
        inventory = build(make_spec(seed))
        if not inventory.functions:
            continue
        index = Index(inventory)
        key, function = next(iter(inventory.functions.items()))
        index.function(str(function.name))  # the original builds its tables first
        changed = copy.copy(inventory)
        changed.functions = ChainMap({key: function.model_copy(update={"policy": None})}, inventory.functions)
        shared, fresh = index.changed(changed, key), Index(changed)
        assert shared.names is index.names and shared.by_name is index.by_name
        assert shared.function(str(function.name)) is changed.functions[key]
        assert shared.function(str(function.name)) is fresh.function(str(function.name))
        assert list(shared.inventory.functions) == list(inventory.functions)  # the model's order, one entry changed
        assert shared.evaluator is index.evaluator
        assert shared.caller(f"arn:aws:iam::{A}:root") == fresh.caller(f"arn:aws:iam::{A}:root")


@settings(max_examples=int(os.environ.get("PERMCHECK_PROPERTY_EXAMPLES", "100")), deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_a_changed_copy_decides_as_a_fresh_model(seed, pick):
    """The evaluator a changed copy shares with the model (`Index.changed`) answers every request on
    the copy as a fresh evaluator of the copy does — same decision, conditions and notes, citing
    the copy's own statements — although it first decided every request on the unchanged model.
    The change is one a fix proposes (`fixes._changed_policy`): a condition added to, or another
    principal named in, the Allows of a function's resource policy or a role's trust policy that
    name one principal. AWS decides each request on the policies as they are
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): an
    answer remembered for the statements before the change must never serve the changed ones."""
    import copy
    import random
    from collections import ChainMap

    from permcheck.graph.edges import Edges
    from permcheck.graph.index import Index
    from permcheck.model.entities import Role
    from permcheck.model.policy import Clause
    from permcheck.rules.fixes import Change, _changed_policy
    from tests.property.test_graph_bruteforce import A, B, OUTSIDER, SERVICE, build, make_spec

    inventory, rng = build(make_spec(seed)), random.Random(pick)
    owners = [("functions", k, o.policy) for k, o in inventory.functions.items() if o.policy is not None] + \
        [("roles", k, o.trust) for k, o in inventory.roles.items() if o.trust is not None]
    named = [(table, key, policy, str(p.value)) for table, key, policy in owners
             for st_ in policy.statements for p in st_.principals or ()]
    if not named:
        return
    table, key, policy, principal = rng.choice(named)
    change = rng.choice([
        Change("org", Clause(operator="StringEquals", key="aws:PrincipalOrgID", values=("o-a1b2c3d4e5",))),
        Change("account", Clause(operator="StringEquals", key="aws:PrincipalAccount", values=(A,))),
        Change("external id", Clause(operator="StringEquals", key="sts:ExternalId", values=("s3cr3t",))),
        Change("name the account", principal=A)])
    owner = getattr(inventory, table)[key]
    field = "trust" if isinstance(owner, Role) else "policy"
    changed = copy.copy(inventory)
    setattr(changed, table, ChainMap({key: owner.model_copy(update={field: _changed_policy(policy, principal, change)})},
                                     getattr(inventory, table)))
    index = Index(inventory)
    shared, fresh = index.changed(changed, key), Index(changed)

    def requests(ix):
        callers = [ix.caller_for_entity(r) for r in ix.inventory.roles.values()]
        callers += [ix.caller(p) for p in (f"arn:aws:iam::{A}:root", f"arn:aws:iam::{B}:root", OUTSIDER, SERVICE, "*")]
        targets = [*ix.inventory.functions, *ix.inventory.roles]
        return [(c, a, t) for c in callers for a in ("lambda:InvokeFunction", "sts:AssumeRole") for t in targets]

    for caller, action, target in requests(index):  # the model first: the shared evaluator remembers it all
        Edges(index).ask(caller, action, target)
    for (caller, action, target), (fresh_caller, _, _) in zip(requests(shared), requests(fresh)):
        got, want = Edges(shared).ask(caller, action, target), Edges(fresh).ask(fresh_caller, action, target)
        assert (got.decision, got.conditions, got.notes) == (want.decision, want.conditions, want.notes)
        assert [(s.policy, s.location, s.conditions, s.principals) for s in got.because] == \
            [(s.policy, s.location, s.conditions, s.principals) for s in want.because]
        here = {id(s) for p in (getattr(shared.inventory, table)[key].trust if table == "roles" else
                                 getattr(shared.inventory, table)[key].policy,) for s in p.statements}
        old = {id(s) for s in policy.statements} - here
        assert not any(id(s) in old for s in got.because)  # never a statement the change replaced
