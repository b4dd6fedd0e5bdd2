"""Fix suggestions: shown only when the evaluator confirms them; applying one removes the finding."""

import textwrap

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
    one it replaces — and the evaluator is new (it must not serve the old policy's answers)."""
    import copy

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
        changed.functions = dict(inventory.functions)
        changed.functions[key] = function.model_copy(update={"policy": None})
        shared, fresh = index.changed(changed, key), Index(changed)
        assert shared.names is index.names and shared.by_name is index.by_name
        assert shared.function(str(function.name)) is changed.functions[key]
        assert shared.function(str(function.name)) is fresh.function(str(function.name))
        assert shared.evaluator is not index.evaluator
        assert shared.caller(f"arn:aws:iam::{A}:root") == fresh.caller(f"arn:aws:iam::{A}:root")
