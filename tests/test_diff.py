"""`permcheck diff OLD NEW`: access added and removed, compared by decisions, not by text.

CONTRACT.md, `diff`: `{"added": [...], "removed": [...]}`, entries
`{"principal", "action", "resource", "decision"}`; exit 0 when nothing is added, 1 when access
is added, 2 on an input error. Each test is one case of the semantics (README, "diff").
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from permcheck.graph.diff import covers
from tests.cli_helpers import run
from tests.conftest import ROOT

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app-role"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:app"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:events"

BASE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app-role
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: app
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Sid: ReadOrders
                Effect: Allow
                Action: [dynamodb:GetItem, dynamodb:Query]
                Resource: arn:aws:dynamodb:us-east-1:123456789012:table/orders
              - Sid: PublishEvents
                Effect: Allow
                Action: sns:Publish
                Resource: arn:aws:sns:us-east-1:123456789012:events
  AppFunction:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: app
      Role: !GetAtt AppRole.Arn
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(event, context): pass"}
  ApiPermission:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref AppFunction
      Action: lambda:InvokeFunction
      Principal: apigateway.amazonaws.com
      SourceArn: arn:aws:execute-api:us-east-1:123456789012:abc123/*/POST/orders
"""

READ_ORDERS = """\
              - Sid: ReadOrders
                Effect: Allow
                Action: [dynamodb:GetItem, dynamodb:Query]
                Resource: arn:aws:dynamodb:us-east-1:123456789012:table/orders
"""
PUBLISH = """\
              - Sid: PublishEvents
                Effect: Allow
                Action: sns:Publish
                Resource: arn:aws:sns:us-east-1:123456789012:events
"""


def changed(old: str, new: str, count: int = 1) -> str:
    """BASE with one edit; the edit must apply (a test that edits nothing proves nothing)."""
    assert BASE.count(old) == count, old
    return BASE.replace(old, new)


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def diff(tmp_path, new_text: str, old_text: str = BASE, *options: str):
    old = write(tmp_path, "old/template.yaml", old_text)
    new = write(tmp_path, "new/template.yaml", new_text)
    return run("diff", old, new, "--format", "json", *options)


def facts(entries: list[dict]) -> set[tuple[str, str, str, str]]:
    return {(e["principal"], e["action"], e["resource"], e["decision"]) for e in entries}


# -- what counts as added ---------------------------------------------------------------------
def test_widened_resource_pattern_is_added_even_with_the_old_resource_still_granted(tmp_path):
    new = changed(READ_ORDERS, READ_ORDERS + """\
              - Sid: ReadAllTables
                Effect: Allow
                Action: dynamodb:GetItem
                Resource: arn:aws:dynamodb:us-east-1:123456789012:table/*
""")
    result = diff(tmp_path, new)
    assert result.code == 1
    body = result.json()
    assert facts(body["added"]) == {(ROLE, "dynamodb:GetItem", TABLE.replace("orders", "*"), "allowed")}
    added = body["added"][0]
    assert added["change"] == "granted" and added["was"]["decision"] == "denied"
    assert added["because"][0]["file"].endswith("new/template.yaml") and added["because"][0]["sid"] == "ReadAllTables"
    assert body["removed"] == []


def test_widened_to_star_is_added_and_the_narrower_grant_is_not_reported(tmp_path):
    new = changed("Resource: arn:aws:dynamodb:us-east-1:123456789012:table/orders", 'Resource: "*"')
    body = diff(tmp_path, new).json()
    assert facts(body["added"]) == {(ROLE, action, "*", "allowed") for action in ("dynamodb:GetItem", "dynamodb:Query")}
    assert body["removed"] == []  # table/orders is still allowed: covered by `*`


def test_narrowed_resource_pattern_is_removed_not_added(tmp_path):
    wide = changed("table/orders", "table/*")
    result = diff(tmp_path, BASE, wide)
    assert result.code == 0
    body = result.json()
    assert body["added"] == []
    assert facts(body["removed"]) == {(ROLE, a, TABLE.replace("orders", "*"), "allowed")
                                      for a in ("dynamodb:GetItem", "dynamodb:Query")}


def test_removed_condition_is_added_access(tmp_path):
    new = changed("      SourceArn: arn:aws:execute-api:us-east-1:123456789012:abc123/*/POST/orders\n", "")
    result = diff(tmp_path, new)
    assert result.code == 1
    [added] = result.json()["added"]
    assert (added["principal"], added["action"], added["resource"]) == \
        ("apigateway.amazonaws.com", "lambda:InvokeFunction", FUNCTION)
    assert added["decision"] == "allowed" and added["change"] == "widened"
    assert added["was"]["decision"] == "conditional"
    assert added["was"]["conditions"][0]["key"].lower() == "aws:sourcearn"


def test_changed_condition_is_added_and_removed(tmp_path):
    new = changed("abc123/*/POST/orders", "*/*/POST/orders")  # any API of the account, not ours
    result = diff(tmp_path, new)
    assert result.code == 1
    body = result.json()
    assert [(e["principal"], e["change"]) for e in body["added"]] == [("apigateway.amazonaws.com", "loosened")]
    assert body["removed"] == []  # the new condition allows every request the old one did


def test_tightened_condition_is_not_added(tmp_path):
    new = changed("abc123/*/POST/orders", "abc123/prod/POST/orders")
    result = diff(tmp_path, new)
    assert result.code == 0
    body = result.json()
    assert body["added"] == []
    assert [(e["principal"], e["change"], e["decision"]) for e in body["removed"]] == \
        [("apigateway.amazonaws.com", "tightened", "conditional")]


def test_condition_split_into_alternatives_is_added(tmp_path):
    """`A and B` in one statement → `A` or `B` in two: the same condition list, wider access."""
    both = changed(PUBLISH, PUBLISH + """\
                Condition:
                  StringEquals: {aws:RequestedRegion: us-east-1}
                  Bool: {aws:SecureTransport: "true"}
""")
    either = changed(PUBLISH, PUBLISH + """\
                Condition:
                  StringEquals: {aws:RequestedRegion: us-east-1}
              - Sid: PublishOverTls
                Effect: Allow
                Action: sns:Publish
                Resource: arn:aws:sns:us-east-1:123456789012:events
                Condition:
                  Bool: {aws:SecureTransport: "true"}
""")
    result = diff(tmp_path, either, both)
    assert result.code == 1
    assert [(e["action"], e["change"]) for e in result.json()["added"]] == [("sns:Publish", "loosened")]


def test_new_principal_in_a_lambda_permission_is_added(tmp_path):
    new = BASE + """\
  PartnerPermission:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref AppFunction
      Action: lambda:InvokeFunction
      Principal: "210987654321"
"""
    result = diff(tmp_path, new)
    assert result.code == 1
    body = result.json()
    assert facts(body["added"]) == {("arn:aws:iam::210987654321:root", "lambda:InvokeFunction", FUNCTION, "allowed")}
    assert body["added"][0]["because"][0]["policy"] == "PartnerPermission"


def test_new_role_an_existing_principal_may_assume_is_added_with_its_access(tmp_path):
    new = BASE + """\
  ReportRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: report-role
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {AWS: !GetAtt AppRole.Arn}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: reports
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::reports/*"}
"""
    result = diff(tmp_path, new)
    assert result.code == 1
    added = facts(result.json()["added"])
    report_role = f"arn:aws:iam::{ACCOUNT}:role/report-role"
    assert (ROLE, "sts:AssumeRole", report_role, "allowed") in added
    assert (ROLE, "s3:GetObject", "arn:aws:s3:::reports/*", "allowed") in added  # reached through the new role
    assert (report_role, "s3:GetObject", "arn:aws:s3:::reports/*", "allowed") in added
    via = [e for e in result.json()["added"] if e["principal"] == ROLE and e["action"] == "s3:GetObject"]
    assert via[0]["via"] == [report_role]


def test_removed_deny_is_added_access(tmp_path):
    deny = """\
              - Sid: NoQuery
                Effect: Deny
                Action: dynamodb:Query
                Resource: "*"
"""
    result = diff(tmp_path, BASE, changed(PUBLISH, PUBLISH + deny))
    assert result.code == 1
    [added] = result.json()["added"]
    assert (added["principal"], added["action"], added["resource"], added["change"]) == \
        (ROLE, "dynamodb:Query", TABLE, "granted")
    assert added["was"]["decision"] == "denied"


def test_trust_for_another_account_adds_the_assume_and_what_it_reaches(tmp_path):
    lambda_trust = "- {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}"
    partner = "- {Effect: Allow, Principal: {AWS: arn:aws:iam::999999999999:root}, Action: sts:AssumeRole}"
    result = diff(tmp_path, changed(lambda_trust, f"{lambda_trust}\n          {partner}"))
    assert result.code == 1
    body = result.json()
    partner_root = "arn:aws:iam::999999999999:root"
    assert facts(body["added"]) == {(partner_root, "sts:AssumeRole", ROLE, "allowed"),
                                    (partner_root, "dynamodb:GetItem", TABLE, "allowed"),
                                    (partner_root, "dynamodb:Query", TABLE, "allowed"),
                                    (partner_root, "sns:Publish", TOPIC, "allowed")}
    assert {tuple(e.get("via", ())) for e in body["added"]} == {(), (ROLE,)}


def test_unresolvable_principal_is_added_as_conditional(tmp_path):
    new = changed("      Principal: apigateway.amazonaws.com\n", "      Principal: !ImportValue other-stack-invoker\n")
    result = diff(tmp_path, new)
    assert result.code == 1
    body = result.json()
    [unknown] = [e for e in body["added"] if "other-stack-invoker" in e["principal"]]
    assert (unknown["decision"], unknown["change"]) == ("conditional", "granted")
    # any principal may be the one it names: whoever could not invoke before now may, conditionally
    assert (ROLE, "lambda:InvokeFunction", FUNCTION, "conditional") in facts(body["added"])


def _with_statements(statements: str) -> str:
    return changed(PUBLISH, PUBLISH + statements)


def test_grant_widened_under_a_deny_not_resource_is_added(tmp_path):
    """A Deny on everything but `reports-*` keeps a wider Allow to those buckets: it shows there."""
    deny = """\
              - Sid: OnlyReports
                Effect: Deny
                Action: s3:*
                NotResource: arn:aws:s3:::reports-*/*
"""
    allow = """\
              - Sid: Read
                Effect: Allow
                Action: s3:GetObject
                Resource: {resource}
"""
    old = _with_statements(allow.format(resource="arn:aws:s3:::reports-2024/*") + deny)
    new = _with_statements(allow.format(resource='"*"') + deny)
    result = diff(tmp_path, new, old)
    assert result.code == 1
    body = result.json()
    assert (ROLE, "s3:GetObject", "arn:aws:s3:::reports-*/*", "allowed") in facts(body["added"])
    assert body["removed"] == []


def test_one_character_wildcard_does_not_cover_a_star(tmp_path):
    allow = """\
              - Sid: Read
                Effect: Allow
                Action: s3:GetObject
                Resource: arn:aws:s3:::bucket/{}
"""
    one, many = _with_statements(allow.format("?")), _with_statements(allow.format("*"))
    result = diff(tmp_path, many, one)
    assert result.code == 1
    assert facts(result.json()["added"]) == {(ROLE, "s3:GetObject", "arn:aws:s3:::bucket/*", "allowed")}
    assert diff(tmp_path, one, many).code == 0


# -- what is no change ------------------------------------------------------------------------
def test_reordered_statements_are_no_change(tmp_path):
    result = diff(tmp_path, changed(READ_ORDERS + PUBLISH, PUBLISH + READ_ORDERS))
    assert (result.code, result.json()["added"], result.json()["removed"]) == (0, [], [])


def test_renamed_sids_are_no_change(tmp_path):
    new = changed("Sid: ReadOrders", "Sid: OrdersRead").replace("Sid: PublishEvents", "Sid: Events")
    result = diff(tmp_path, new)
    assert (result.code, result.json()["added"], result.json()["removed"]) == (0, [], [])


def test_split_statement_is_no_change(tmp_path):
    split = """\
              - Sid: Get
                Effect: Allow
                Action: dynamodb:GetItem
                Resource: arn:aws:dynamodb:us-east-1:123456789012:table/orders

              - Sid: Query
                Effect: Allow
                Action: [dynamodb:Query]
                Resource: [arn:aws:dynamodb:us-east-1:123456789012:table/orders]
"""
    result = diff(tmp_path, changed(READ_ORDERS, split))
    assert (result.code, result.json()["added"], result.json()["removed"]) == (0, [], [])


def test_generated_names_in_differently_named_files_are_one_principal(tmp_path):
    """A role without RoleName is named by CloudFormation: the same role on both sides."""
    generated = changed("      RoleName: app-role\n", "")
    old = write(tmp_path, "v1.yaml", generated)
    new = write(tmp_path, "elsewhere/v2.yaml", generated)
    result = run("diff", old, new, "--format", "json")
    assert (result.code, result.json()["added"], result.json()["removed"]) == (0, [], [])


# -- removed access, exit codes ---------------------------------------------------------------
def test_removed_access_shows_in_removed_and_exits_0(tmp_path):
    result = diff(tmp_path, changed(PUBLISH, ""))
    assert result.code == 0
    body = result.json()
    assert body["added"] == []
    assert facts(body["removed"]) == {(ROLE, "sns:Publish", TOPIC, "allowed")}
    removed = body["removed"][0]
    assert removed["change"] == "revoked" and removed["now"]["decision"] == "denied"
    assert removed["because"][0]["file"].endswith("old/template.yaml")


def test_exit_codes_0_1_2_through_the_cli(tmp_path):
    base = write(tmp_path, "base.yaml", BASE)
    wider = write(tmp_path, "wider.yaml", changed("table/orders", "table/*"))
    assert run("diff", base, base).code == 0
    assert run("diff", base, wider).code == 1
    assert run("diff", wider, base).code == 0  # only removed
    missing = run("diff", base, str(tmp_path / "missing.yaml"))
    assert missing.code == 2
    assert missing.err.startswith("permcheck: error:") and "missing.yaml" in missing.err
    write(tmp_path, "broken/template.yaml", BASE.replace("!GetAtt AppRole.Arn", "!GetAtt NoSuchRole.Arn"))
    bad = run("diff", base, str(tmp_path / "broken"))
    assert bad.code == 2 and bad.out == ""
    assert bad.err.startswith(f"permcheck: error: {tmp_path / 'broken' / 'template.yaml'}:")
    # a malformed policy: AWS would refuse it, so no answer may depend on it (named as given, not as read)
    write(tmp_path, "malformed/template.yaml", changed("Sid: PublishEvents\n                Effect: Allow",
                                                      "Sid: PublishEvents\n                Effect: Permit"))
    malformed = run("diff", base, str(tmp_path / "malformed"))
    assert malformed.code == 2
    assert malformed.err.startswith(f"permcheck: error: {tmp_path / 'malformed' / 'template.yaml'}:21: invalid policy")


def test_text_output_is_a_table_for_reviewers(tmp_path):
    base = write(tmp_path, "base.yaml", BASE)
    wider = write(tmp_path, "wider.yaml", changed("table/orders", "table/*"))
    result = run("diff", base, wider)
    assert result.code == 1
    assert "Access added by" in result.out and "dynamodb:GetItem" in result.out and "table/*" in result.out
    assert "denied → allowed" in result.out
    assert "2 added, 2 removed" not in result.out and "2 added, 0 removed" in result.out


# -- inputs: git revisions, snapshots, plans ----------------------------------------------------
def _git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    write(repo, "templates/template.yaml", BASE)
    write(repo, "templates/notes.txt", "not an input")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.email=a@b", "-c", "user.name=t", "commit", "-q", "-m", "base")
    write(repo, "templates/template.yaml", changed("table/orders", "table/*"))
    _git(repo, "-c", "user.email=a@b", "-c", "user.name=t", "commit", "-q", "-am", "wider")
    return repo


def test_git_revision(repo):
    result = run("diff", "HEAD~1:templates/", "HEAD:templates/", "--format", "json", cwd=repo)
    assert result.code == 1, result.err
    body = result.json()
    assert (body["old"], body["new"]) == ("HEAD~1:templates", "HEAD:templates")
    assert (ROLE, "dynamodb:GetItem", TABLE.replace("orders", "*"), "allowed") in facts(body["added"])
    assert body["added"][0]["because"][0]["file"] == "HEAD:templates/template.yaml"
    # a revision against the working tree, and a revision of one file
    assert run("diff", "HEAD~1:templates", "templates", cwd=repo).code == 1
    assert run("diff", "HEAD:templates/template.yaml", "templates/template.yaml", cwd=repo).code == 0
    assert run("diff", "HEAD:templates/template.yaml", "HEAD~1:templates/template.yaml", cwd=repo).code == 0


def test_unknown_revision_is_an_input_error(repo):
    result = run("diff", "no-such-rev:templates/", "templates/", cwd=repo)
    assert result.code == 2
    assert result.err.startswith("permcheck: error:") and "unknown revision 'no-such-rev'" in result.err
    missing = run("diff", "HEAD:no/such/dir", "templates/", cwd=repo)
    assert missing.code == 2 and "does not exist in revision HEAD" in missing.err


def test_revision_outside_a_git_repository_is_an_input_error(tmp_path):
    result = run("diff", "HEAD:templates/", "HEAD:templates/", cwd=tmp_path)
    assert result.code == 2 and result.err.startswith("permcheck: error:")


def test_snapshot_vs_snapshot(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(ROOT / "fixtures" / "snapshots" / "app-account", old)
    shutil.copytree(ROOT / "fixtures" / "snapshots" / "app-account", new)
    policy_file = new / "get-policy-orders-api.json"
    document = json.loads(policy_file.read_text())
    policy = json.loads(document["Policy"])
    policy["Statement"].append({"Sid": "public", "Effect": "Allow", "Principal": "*",
                                "Action": "lambda:InvokeFunction",
                                "Resource": "arn:aws:lambda:us-east-1:111111111111:function:orders-api"})
    document["Policy"] = json.dumps(policy)
    policy_file.write_text(json.dumps(document, indent=4))
    result = run("diff", str(old), str(new), "--format", "json")
    assert result.code == 1
    added = facts(result.json()["added"])
    assert ("*", "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:111111111111:function:orders-api",
            "allowed") in added
    assert result.json()["removed"] == []
    assert run("diff", str(new), str(old), "--format", "json").code == 0


def test_terraform_plan_against_itself_is_no_change():
    result = run("diff", "fixtures/terraform", "fixtures/terraform", "--format", "json")
    assert (result.code, result.json()["added"], result.json()["removed"]) == (0, [], [])


def test_example_app_against_itself_is_no_change():
    result = run("diff", "fixtures/example-app", "fixtures/example-app", "--format", "json")
    assert result.code == 0
    assert result.json() == {"old": "fixtures/example-app", "new": "fixtures/example-app", "added": [], "removed": []}


# -- pattern inclusion --------------------------------------------------------------------------
@pytest.mark.parametrize("general, specific, expected", [
    ("*", "arn:aws:s3:::b/*", True),
    ("arn:aws:dynamodb:*:*:table/*", "arn:aws:dynamodb:us-east-1:1:table/orders", True),
    ("arn:aws:dynamodb:us-east-1:1:table/*", "arn:aws:dynamodb:us-east-1:1:table/o*", True),
    ("arn:aws:dynamodb:us-east-1:1:table/orders", "arn:aws:dynamodb:us-east-1:1:table/*", False),
    ("table/?", "table/*", False),  # `?` is one character; `*` may be many
    ("table/?", "table/?", True),
    ("table/a?", "table/ab", True),
    ("s3:Get*", "s3:getobject", True),  # actions ignore case
    ("s3:GetObject", "s3:Get*", False),
])
def test_covers_is_pattern_inclusion(general, specific, expected):
    assert covers(general, specific) is expected


def test_widening_hidden_from_the_representative_values_is_added(tmp_path):
    """Operators of two types on one key (a string pattern and a number bound) are decided on
    values that miss "145" — inside `1?5` and above 140 but not above 150 — so the evaluator
    says its answer is not exact, and diff does not call the new access inside the old
    (CONTRACT.md, "conditional … never a guess"; README "How permcheck decides")."""
    def bounded(limit: str) -> str:
        return changed(PUBLISH, PUBLISH + f"""\
                Condition:
                  StringLike: {{aws:MultiFactorAuthAge: "1?5"}}
                  NumericGreaterThan: {{aws:MultiFactorAuthAge: "{limit}"}}
""")
    result = diff(tmp_path, bounded("140"), bounded("150"))
    assert result.code == 1
    [added] = result.json()["added"]
    assert (added["principal"], added["action"], added["resource"]) == (ROLE, "sns:Publish", TOPIC)
    assert added["decision"] == "conditional"
    assert any("exactness lost" in c.get("unknown", "") for c in added["conditions"])
