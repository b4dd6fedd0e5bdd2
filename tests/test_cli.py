"""The command-line contract: exit codes, error lines, JSON on stdout, options."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.cli_helpers import run

APP = "fixtures/example-app"
PARTNER = "arn:aws:iam::210987654321:role/partner-integration"
SYNC = "arn:aws:lambda:us-east-1:123456789012:function:partner-sync"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_json_output_is_exactly_one_document():
    result = run("who-can-invoke", "PartnerSyncFunction", APP, "--format", "json")
    assert result.code == 0
    assert json.loads(result.out)["function"] == SYNC


def test_missing_path_is_exit_2_with_one_error_line():
    result = run("who-can-invoke", "F", "does/not/exist.yaml")
    assert result.code == 2 and result.out == ""
    assert result.err == "permcheck: error: does/not/exist.yaml: no such file or directory\n"


def test_directory_with_nothing_to_analyse_is_an_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    result = run("who-can-invoke", "F", str(tmp_path))
    assert result.code == 2 and "permcheck: error:" in result.err


def test_file_that_is_not_an_input_is_an_error_when_named(tmp_path):
    path = write(tmp_path, "x.json", '{"hello": 1}')
    result = run("who-can-invoke", "F", path)
    assert result.code == 2 and result.err.startswith(f"permcheck: error: {path}:1: not a CloudFormation")


def test_unknown_intrinsic_is_an_error_with_its_line(tmp_path):
    path = write(tmp_path, "t.yaml", "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n"
                                     "      FunctionName: {Fn::Frobnicate: x}\n      Role: arn:aws:iam::123456789012:role/r\n")
    result = run("who-can-invoke", "Fn", path)
    assert result.code == 2
    assert result.err.startswith(f"permcheck: error: {path}:5: ") and "Fn::Frobnicate" in result.err


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, "t.yaml", "Resources:\n  A: [unclosed\n")
    result = run("who-can-invoke", "A", path)
    assert result.code == 2 and result.err.startswith(f"permcheck: error: {path}:")
    assert "Traceback" not in result.err


def test_query_that_depends_on_a_malformed_policy_exits_2(tmp_path):
    path = write(tmp_path, "t.yaml", """Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: r
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: bad
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Maybe
                Action: s3:GetObject
                Resource: "*"
""")
    result = run("can", "Role", "s3:GetObject", "arn:aws:s3:::b/k", path)
    assert result.code == 2
    assert result.err.startswith(f"permcheck: error: {path}:14: invalid policy bad: Effect must be Allow or Deny")


def test_expect_turns_the_decision_into_an_exit_code():
    assert run("can", PARTNER, "lambda:InvokeFunction", SYNC, APP, "--expect", "allowed").code == 0
    assert run("can", PARTNER, "lambda:InvokeFunction", SYNC, APP, "--expect", "denied").code == 1


def test_parameter_overrides_the_default():
    result = run("who-can-invoke", "PartnerSyncFunction", APP, "--parameter", "PartnerAccountId=111122223333",
                 "--format", "json")
    assert [e["principal"] for e in result.json()["principals"]] == ["arn:aws:iam::111122223333:role/partner-integration"]


def test_repeated_context_key_is_multivalued():
    # ForAllValues:StringLike dynamodb:LeadingKeys partner#*: every value must match
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
    args = ("can", "PartnerSyncFunction", "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/orders", APP)
    both = run(*args, "--context", "dynamodb:LeadingKeys=partner#1", "--context", "dynamodb:LeadingKeys=partner#2",
               "--format", "json")
    assert both.json()["decision"] == "allowed"
    mixed = run(*args, "--context", "dynamodb:LeadingKeys=partner#1", "--context", "dynamodb:LeadingKeys=other",
                "--format", "json")
    assert mixed.json()["decision"] == "denied"


def test_context_must_be_key_value():
    result = run("can", PARTNER, "lambda:InvokeFunction", SYNC, APP, "--context", "novalue")
    assert result.code == 2 and "KEY=VALUE" in result.err


def test_unknown_principal_is_a_clean_error():
    result = run("can", "NoSuchThing", "s3:GetObject", "*", APP)
    assert result.code == 2 and "unknown principal" in result.err


def test_config_with_unknown_key_is_an_error(tmp_path):
    config = write(tmp_path, "c.toml", 'acount = "123456789012"\n')
    result = run("who-can-invoke", "PartnerSyncFunction", APP, "--config", config)
    assert result.code == 2 and "unknown configuration key 'acount'" in result.err


def test_config_account_is_used(tmp_path):
    config = write(tmp_path, "c.toml", 'account = "999999999999"\n')
    result = run("who-can-invoke", "PartnerSyncFunction", APP, "--config", config, "--format", "json")
    assert result.json()["function"] == "arn:aws:lambda:us-east-1:999999999999:function:partner-sync"


@pytest.mark.parametrize("fmt", ["json", "dot", "graphml", "mermaid"])
def test_graph_formats(fmt, tmp_path):
    result = run("graph", APP, "--format", fmt)
    assert result.code == 0, result.err
    if fmt == "json":
        data = json.loads(result.out)
        kinds = {e["kind"] for e in data["edges"]}
        assert {"executes-as", "may-invoke", "may-access"} <= kinds
        assert any(e["source"] == "*" and e["kind"] == "may-invoke" for e in data["edges"])
    elif fmt == "graphml":
        import networkx as nx
        path = tmp_path / "g.graphml"
        path.write_text(result.out)
        assert nx.read_graphml(path).number_of_nodes() > 10
    else:
        assert result.out.startswith({"dot": "digraph", "mermaid": "flowchart"}[fmt])


def test_help_starts_without_heavy_imports():
    code = ("import sys; from permcheck import cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'pydantic','networkx','lark','rich','yaml'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_pre_commit_check_of_a_sam_template_builds_no_parser():
    """The pre-commit hook's job: rules come compiled, report placeholders and Fn::Sub strings are
    read without lark (tests/rules/test_language.py, tests/load/test_fn_sub.py keep the readings
    equal), so lark is not even imported."""
    from pathlib import Path

    template = Path(__file__).resolve().parents[1] / "fixtures" / "example-app" / "template.yaml"
    code = ("import sys\nsys.argv = ['permcheck', 'check', sys.argv[1]]\nfrom permcheck.cli import run\n"
            "try:\n    run()\nexcept SystemExit:\n    pass\nprint('lark' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, str(template)], capture_output=True, text=True)
    assert "Fn::Sub" in template.read_text() or "!Sub" in template.read_text()
    assert done.stderr.strip().splitlines()[-1] == "False"


def test_no_command_is_a_one_line_usage_error():
    result = run()
    assert result.code == 2 and result.err == "permcheck: error: no command given (see permcheck --help)\n"
