"""Trigger-path facts keep one fact per principal, route and kind of way in: `*`'s direct invoke
and `*`'s chain through a role that trusts anyone are different doors (`assumes_roles`), and the
wider answer of one must not hide the other. Invoking a function and invoking its alias are the
same route (the same function runs), so a chain allowed on `:live` once replaced a conditional
direct invoke of the function, and rules on direct public invokes never saw it."""

import textwrap

from permcheck.graph.edges import Edges
from permcheck.graph.index import Index
from permcheck.load.deployments import load_deployments
from permcheck.load.inputs import Options
from permcheck.rules.collect import Facts

ACCOUNT = "123456789012"
TEMPLATE = textwrap.dedent(f'''\
    Resources:
      Fn:
        Type: AWS::Lambda::Function
        Properties: {{FunctionName: f, Role: arn:aws:iam::{ACCOUNT}:role/runner, Runtime: python3.12,
                     Handler: index.handler, Code: {{ZipFile: "x"}}}}
      Version:
        Type: AWS::Lambda::Version
        Properties: {{FunctionName: !Ref Fn}}
      Live:
        Type: AWS::Lambda::Alias
        Properties: {{FunctionName: !Ref Fn, FunctionVersion: !GetAtt Version.Version, Name: live}}
      OrgInvoke:
        Type: AWS::Lambda::Permission
        Properties: {{FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: "*",
                     PrincipalOrgID: o-abcdefghij}}
      Open:
        Type: AWS::IAM::Role
        Properties:
          AssumeRolePolicyDocument:
            Statement: [{{Effect: Allow, Principal: {{AWS: "*"}}, Action: sts:AssumeRole}}]
          Policies:
            - PolicyName: invoke-live
              PolicyDocument:
                Statement:
                  - {{Effect: Allow, Action: lambda:InvokeFunction, Resource: !Ref Live}}
    ''')


def test_a_direct_invoke_by_anyone_is_kept_beside_an_allowed_chain_from_anyone(tmp_path):
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html:
    # a trust policy naming `*` lets anyone assume the role; the function policy's `*` with
    # aws:PrincipalOrgID lets in only callers of that organisation (a conditional answer here).
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    [deployment] = load_deployments([str(template)], Options())
    facts = Facts(Edges(Index(deployment.inventory)), (ACCOUNT,)).subject("trigger_paths")
    anyone = sorted((t.assumes_roles, t.decision) for t in facts if t.principal == "*")
    assert anyone == [(False, "conditional"), (True, "allowed")]
