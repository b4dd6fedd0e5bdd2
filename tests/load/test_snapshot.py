"""Account snapshots: `get-account-authorization-details`, `list-functions`, `get-policy`.

Formats: https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html,
https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html,
https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html. The fixtures and the
answers pinned here are described in fixtures/snapshots/README.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from permcheck.graph.edges import Edges
from permcheck.graph.index import Index
from permcheck.graph.query import what_can_access, who_can_invoke
from permcheck.report.answers_json import to_json
from permcheck.load import snapshot
from permcheck.load.decode import decode, read_file
from permcheck.load.inputs import Options, kind_of, load_inventory, read_inputs
from permcheck.model.entities import Inventory
from permcheck.model.location import InputError
from permcheck.model.policy import PolicyKind
from tests.cli_helpers import run
from tests.conftest import ROOT

SNAPSHOTS = "fixtures/snapshots"
APP_DIR = f"{SNAPSHOTS}/app-account"
PARTNER_DIR = f"{SNAPSHOTS}/partner-account"
APP_AUTH = f"{APP_DIR}/authorization-details.json"
APP, PARTNER = "111111111111", "222222222222"
ROLE = f"arn:aws:iam::{APP}:role/"
FN = f"arn:aws:lambda:us-east-1:{APP}:function:"
ORDERS_API, ORDERS_WORKER, THUMBNAILER = FN + "orders-api", FN + "orders-worker", FN + "thumbnailer"
CI_DEPLOYER, RELEASE_BOT = f"arn:aws:iam::{PARTNER}:role/ci-deployer", f"arn:aws:iam::{PARTNER}:role/release-bot"
GITHUB = f"arn:aws:iam::{PARTNER}:oidc-provider/token.actions.githubusercontent.com"


def inventory(*paths: str, **options) -> Inventory:
    return load_inventory([str(ROOT / p) if not Path(p).is_absolute() else p for p in paths], Options(**options))


def line_of(path: str, needle: str, after: str | None = None) -> int:
    """1-based line of the first `needle` in a fixture (after the line holding `after`)."""
    lines = (ROOT / path).read_text().splitlines()
    start = 0 if after is None else next(i for i, text in enumerate(lines) if after in text)
    return next(i for i, text in enumerate(lines) if i >= start and needle in text) + 1


def invokers(*paths: str, function: str = ORDERS_API) -> dict[tuple[str, tuple], dict]:
    """who-can-invoke through the CLI, by (principal, via)."""
    result = run("who-can-invoke", function, *paths, "--format", "json")
    assert result.code == 0, result.err
    return {(e["principal"], tuple(e.get("via") or ())): e for e in result.json()["principals"]}


def write(tmp_path: Path, name: str, value: object) -> str:
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value, indent=4))
    return str(path)


def policy_doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


# -- the fixture, loaded ----------------------------------------------------------------------

def test_fixture_loads_roles_users_groups_functions_by_arn():
    inv = inventory(SNAPSHOTS)
    assert inv.accounts == {APP, PARTNER}
    assert set(inv.roles) == {ROLE + "app-deployer", ROLE + "legacy-ops", ROLE + "sandbox-developer",
                              ROLE + "service-role/orders-api-lambda", ROLE + "service-role/orders-worker-lambda",
                              ROLE + "service-role/thumbnailer-lambda", CI_DEPLOYER, RELEASE_BOT}
    assert set(inv.users) == {f"arn:aws:iam::{APP}:user/alice", f"arn:aws:iam::{APP}:user/bob"}
    assert set(inv.groups) == {f"arn:aws:iam::{APP}:group/developers"}
    assert set(inv.functions) == {ORDERS_API, ORDERS_WORKER, THUMBNAILER}
    api = inv.functions[ORDERS_API]
    assert (api.name, api.account, api.region, api.role) == \
        ("orders-api", APP, "us-east-1", ROLE + "service-role/orders-api-lambda")
    assert api.urls == () and api.policy.kind is PolicyKind.RESOURCE
    assert inv.functions[ORDERS_WORKER].policy is None
    role = inv.roles[ROLE + "service-role/orders-api-lambda"]
    assert role.name == "orders-api-lambda" and role.account == APP
    assert role.location.file.endswith(APP_AUTH)
    assert role.location.line == line_of(APP_AUTH, '"RoleName": "orders-api-lambda"') - 2  # its opening brace


def test_statements_point_at_their_json_lines():
    inv = inventory(APP_DIR)
    role = inv.roles[ROLE + "service-role/orders-api-lambda"]
    inline = next(p for p in role.policies if p.name == "orders-table-access")
    assert inline.statements[0].location.line == line_of(APP_AUTH, '"Sid": "OrdersTable"') - 1
    assert role.trust.kind is PolicyKind.TRUST
    assert role.trust.location.line == line_of(APP_AUTH, '"AssumeRolePolicyDocument"', "orders-api-lambda")
    statement = inv.functions[THUMBNAILER].policy.statements[0]
    assert (Path(statement.location.file).name, statement.location.line) == ("get-policy-thumbnailer.json", 2)
    assert statement.sid == "s3-invoke-uploads" and statement.policy == "thumbnailer resource policy"


def test_managed_policy_is_parsed_once_and_shared():
    inv = inventory(APP_DIR)
    basic = [p for arn in ("orders-api-lambda", "orders-worker-lambda", "thumbnailer-lambda")
             for p in inv.roles[ROLE + "service-role/" + arn].policies if p.name == "AWSLambdaBasicExecutionRole"]
    assert len(basic) == 3 and basic[0] is basic[1] is basic[2]
    # the file's own copy, not the catalog's: it points into the snapshot
    assert basic[0].location.file.endswith(APP_AUTH)
    assert basic[0].arn == "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def test_only_the_default_version_of_a_managed_policy_counts():
    inv = inventory(APP_DIR)
    policy = next(p for p in inv.roles[ROLE + "app-deployer"].policies if p.name == "lambda-invoke-orders")
    assert [s.sid for s in policy.statements] == ["InvokeOrdersApi"]
    assert policy.statements[0].location.line == line_of(APP_AUTH, '"Sid": "InvokeOrdersApi"') - 1
    # v1 (not the default) would allow lambda:* on everything
    assert ("arn:aws:iam::111111111111:role/app-deployer", ()) not in invokers(APP_DIR, function="orders-worker")
    result = run("can", ROLE + "app-deployer", "lambda:DeleteFunction", ORDERS_API, APP_DIR, "--format", "json")
    assert result.json()["decision"] == "denied"


def test_permissions_boundary_limits_the_role():
    inv = inventory(APP_DIR)
    role = inv.roles[ROLE + "sandbox-developer"]
    assert role.boundary.kind is PolicyKind.BOUNDARY and role.boundary.name == "developer-boundary"
    assert role.boundary.statements[0].location.line == line_of(APP_AUTH, '"Sid": "SandboxOnly"') - 1
    assert (ROLE + "sandbox-developer", ()) in invokers(APP_DIR, function="orders-worker")
    assert (ROLE + "sandbox-developer", ()) not in invokers(APP_DIR)
    denied = run("can", ROLE + "sandbox-developer", "lambda:InvokeFunction", ORDERS_API, APP_DIR, "--format", "json")
    assert denied.json()["decision"] == "denied"


def test_group_policies_reach_the_user():
    inv = inventory(APP_DIR)
    assert inv.users[f"arn:aws:iam::{APP}:user/alice"].groups == (f"arn:aws:iam::{APP}:group/developers",)
    entry = invokers(APP_DIR)[(f"arn:aws:iam::{APP}:user/alice", ())]
    assert entry["decision"] == "allowed"
    assert entry["because"][0]["policy"] == "invoke-orders-functions"
    assert entry["because"][0]["line"] == line_of(APP_AUTH, '"Sid": "InvokeOrders"') - 1
    assert (f"arn:aws:iam::{APP}:user/bob", ()) not in invokers(APP_DIR)


def test_customer_managed_policy_missing_from_the_file_is_unknown():
    inv = inventory(APP_DIR)
    policy = next(p for p in inv.roles[ROLE + "legacy-ops"].policies)
    assert policy.unknown is not None and policy.statements == ()
    assert policy.location.line == line_of(APP_AUTH, "policy/legacy-ops-access")  # the line that attaches it
    entry = invokers(APP_DIR)[(ROLE + "legacy-ops", ())]
    assert entry["decision"] == "conditional"
    assert any("unknown" in c and "legacy-ops-access" in c["unknown"] for c in entry["conditions"])


# -- two accounts: who can invoke across snapshot files -----------------------------------------

def test_who_can_invoke_orders_api_across_both_accounts():
    found = invokers(SNAPSHOTS)
    assert {key: e["decision"] for key, e in found.items()} == {
        (ROLE + "app-deployer", ()): "allowed",
        (ROLE + "legacy-ops", ()): "conditional",
        (f"arn:aws:iam::{APP}:user/alice", ()): "allowed",
        (CI_DEPLOYER, ()): "allowed",
        (f"arn:aws:iam::{PARTNER}:root", ()): "allowed",
        (GITHUB, (CI_DEPLOYER,)): "conditional",
        (RELEASE_BOT, (ROLE + "app-deployer",)): "allowed",
        ("codebuild.amazonaws.com", (RELEASE_BOT, ROLE + "app-deployer")): "allowed",
        ("ec2.amazonaws.com", (ROLE + "legacy-ops",)): "conditional",
    }


def test_cross_account_edge_needs_both_snapshot_files():
    ci = invokers(SNAPSHOTS)[(CI_DEPLOYER, ())]
    files = {(Path(b["file"]).parent.name, Path(b["file"]).name, b["sid"]) for b in ci["because"]}
    assert files == {("partner-account", "authorization-details.json", "InvokeAppFunctions"),
                     ("app-account", "get-policy-orders-api.json", "partner-ci-invoke")}
    assert "notes" not in ci  # its identity side is in the inputs: analysed, not assumed
    # without the partner's snapshot, its roles are unknown: only the account is named
    alone = invokers(APP_DIR)
    assert (f"arn:aws:iam::{PARTNER}:root", ()) in alone
    assert not any(p.startswith(f"arn:aws:iam::{PARTNER}:role/") for p, _ in alone)


def test_cross_account_needs_the_resource_side_too():
    found = invokers(SNAPSHOTS, function="thumbnailer")
    assert (CI_DEPLOYER, ()) not in found  # its own policy allows, the function's does not
    assert {p for p, _ in found} == {"s3.amazonaws.com", ROLE + "legacy-ops", "ec2.amazonaws.com"}


def test_service_conditions_are_kept_as_lambda_writes_them():
    entry = invokers(SNAPSHOTS, function="thumbnailer")[("s3.amazonaws.com", ())]
    assert entry["decision"] == "conditional"
    assert {(c["operator"], c["key"], tuple(c["values"])) for c in entry["conditions"]} == {
        ("StringEquals", "AWS:SourceAccount", (APP,)),
        ("ArnLike", "AWS:SourceArn", (f"arn:aws:s3:::acme-uploads-{APP}",))}
    result = run("can", "s3.amazonaws.com", "lambda:InvokeFunction", THUMBNAILER, SNAPSHOTS, "--format", "json",
                 "--context", f"aws:SourceAccount={APP}", "--context", f"aws:sourcearn=arn:aws:s3:::acme-uploads-{APP}")
    assert result.json()["decision"] == "allowed"


def test_partner_principal_reaches_the_function_only_through_the_assumable_role():
    direct = run("can", RELEASE_BOT, "lambda:InvokeFunction", ORDERS_API, SNAPSHOTS, "--format", "json")
    assert direct.json()["decision"] == "denied"
    chained = invokers(SNAPSHOTS)[(RELEASE_BOT, (ROLE + "app-deployer",))]
    assert chained["decision"] == "allowed"
    assert {b["policy"] for b in chained["because"]} >= {"assume-app-deployer", "app-deployer trust policy",
                                                         "lambda-invoke-orders"}


def test_what_can_access_follows_the_cross_account_role():
    result = run("what-can-access", RELEASE_BOT, SNAPSHOTS, "--format", "json")
    assert result.code == 0, result.err
    reached = {(e["resource"], tuple(e.get("via") or ())) for e in result.json()["access"]}
    assert (ROLE + "app-deployer", ()) in reached
    assert any(via == (ROLE + "app-deployer",) and resource.startswith(ORDERS_API) for resource, via in reached)


def test_account_root_reaches_sandbox_role_only_with_mfa():
    result = run("can", APP, "sts:AssumeRole", ROLE + "sandbox-developer", SNAPSHOTS, "--format", "json")
    assert result.json()["decision"] == "conditional"


def test_star_grants_hold_when_two_accounts_are_loaded():
    result = run("can", ROLE + "sandbox-developer", "logs:CreateLogGroup", "*", SNAPSHOTS, "--format", "json")
    assert result.json()["decision"] == "allowed"


# -- which account templates deploy into -------------------------------------------------------

TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  ReportFunction:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: report
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
      Role: !Sub arn:aws:iam::${AWS::AccountId}:role/service-role/orders-api-lambda
  PartnerPermission:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref ReportFunction
      Action: lambda:InvokeFunction
      Principal: "222222222222"
"""


def test_template_deploys_into_the_one_account_of_the_snapshots(tmp_path):
    template = write(tmp_path, "template.yaml", TEMPLATE)
    result = run("who-can-invoke", "ReportFunction", APP_DIR, template, "--format", "json")
    assert result.code == 0, result.err
    assert result.json()["function"] == FN + "report"
    assert f"arn:aws:iam::{PARTNER}:root" in {e["principal"] for e in result.json()["principals"]}
    inv = inventory(APP_DIR, template)
    assert inv.functions[FN + "report"].role == ROLE + "service-role/orders-api-lambda"
    assert inv.default_account == APP


def test_template_with_two_snapshot_accounts_deploys_into_the_default_or_account_option(tmp_path):
    template = write(tmp_path, "template.yaml", TEMPLATE)
    both = run("who-can-invoke", "ReportFunction", SNAPSHOTS, template, "--format", "json")
    assert both.json()["function"] == "arn:aws:lambda:us-east-1:123456789012:function:report"
    chosen = run("who-can-invoke", "ReportFunction", SNAPSHOTS, template, "--account", APP, "--format", "json")
    assert chosen.json()["function"] == FN + "report"
    assert {e["principal"] for e in chosen.json()["principals"]} >= {f"arn:aws:iam::{PARTNER}:root", CI_DEPLOYER}


def test_accounts_of_each_kind():
    docs = {Path(f).name + Path(f).parent.name: (f, k, d) for f, k, d in read_inputs([str(ROOT / SNAPSHOTS)])}
    assert snapshot.accounts_of(*docs["authorization-details.jsonapp-account"]) == {APP}
    assert snapshot.accounts_of(*docs["authorization-details.jsonpartner-account"]) == {PARTNER}
    assert snapshot.accounts_of(*docs["list-functions.jsonapp-account"]) == {APP}
    assert snapshot.accounts_of(*docs["get-policy-orders-api.jsonapp-account"]) == {APP}
    assert snapshot.accounts_of("x.json", "get-policy", decode("x.json", b'{"Policy": "not json"}')) == set()


# -- formats -----------------------------------------------------------------------------------

def auth_details(**lists) -> dict:
    return {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": [], **lists}


def role_entry(name: str, trust: object, **extra) -> dict:
    return {"Path": "/", "RoleName": name, "RoleId": "AROAEXAMPLE", "Arn": f"{ROLE}{name}",
            "CreateDate": "2024-01-01T00:00:00+00:00", "AssumeRolePolicyDocument": trust,
            "InstanceProfileList": [], "RolePolicyList": [], "AttachedManagedPolicies": [], **extra}


def test_url_encoded_documents_are_decoded_and_point_at_their_string(tmp_path):
    trust = quote(json.dumps(policy_doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                         "Action": "sts:AssumeRole"})), safe="")
    inline = quote(json.dumps(policy_doc({"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject",
                                          "Resource": "arn:aws:s3:::b/*"})), safe="")
    managed = quote(json.dumps(policy_doc({"Sid": "Logs", "Effect": "Allow", "Action": "logs:*", "Resource": "*"})),
                    safe="")
    path = write(tmp_path, "auth.json", auth_details(
        RoleDetailList=[role_entry("encoded", trust, RolePolicyList=[{"PolicyName": "read", "PolicyDocument": inline}],
                                   AttachedManagedPolicies=[{"PolicyName": "logs",
                                                             "PolicyArn": f"arn:aws:iam::{APP}:policy/logs"}])],
        Policies=[{"PolicyName": "logs", "Arn": f"arn:aws:iam::{APP}:policy/logs", "DefaultVersionId": "v1",
                   "PolicyVersionList": [{"Document": managed, "VersionId": "v1", "IsDefaultVersion": True}]}]))
    text = Path(path).read_text().splitlines()
    role = inventory(path).roles[ROLE + "encoded"]
    assert role.trust.statements[0].principals[0].value == "lambda.amazonaws.com"
    assert "AssumeRolePolicyDocument" in text[role.trust.statements[0].location.line - 1]
    read, logs = role.policies
    assert read.statements[0].sid == "Read" and '"PolicyDocument"' in text[read.statements[0].location.line - 1]
    assert logs.statements[0].sid == "Logs" and '"Document"' in text[logs.statements[0].location.line - 1]


def test_plain_json_string_documents_are_read_too(tmp_path):
    trust = json.dumps(policy_doc({"Effect": "Allow", "Principal": {"AWS": PARTNER}, "Action": "sts:AssumeRole"}))
    path = write(tmp_path, "auth.json", auth_details(RoleDetailList=[role_entry("plain", trust)]))
    role = inventory(path).roles[ROLE + "plain"]
    assert role.trust.statements[0].principals[0].value == f"arn:aws:iam::{PARTNER}:root"


def test_managed_policies_outside_the_file(tmp_path):
    attached = [{"PolicyName": n, "PolicyArn": a} for n, a in (
        ("AWSXRayDaemonWriteAccess", "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"),
        ("NoSuchAwsPolicy", "arn:aws:iam::aws:policy/NoSuchAwsPolicy"),
        ("team-policy", f"arn:aws:iam::{APP}:policy/team-policy"))]
    path = write(tmp_path, "auth.json", auth_details(RoleDetailList=[
        role_entry("r", policy_doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                    "Action": "sts:AssumeRole"}), AttachedManagedPolicies=attached)]))
    xray, missing, team = inventory(path).roles[ROLE + "r"].policies
    assert xray.unknown is None and xray.statements  # from permcheck's catalog
    assert missing.unknown is not None and "catalog" in missing.unknown.reason
    assert team.unknown is not None and "team-policy" in team.unknown.reason


def test_user_in_a_group_the_file_does_not_hold_gets_an_unknown_policy(tmp_path):
    path = write(tmp_path, "auth.json", auth_details(UserDetailList=[
        {"Path": "/", "UserName": "carol", "UserId": "AIDAEXAMPLE", "Arn": f"arn:aws:iam::{APP}:user/carol",
         "GroupList": ["ops"], "AttachedManagedPolicies": []}]))
    user = inventory(path).users[f"arn:aws:iam::{APP}:user/carol"]
    assert user.groups == (f"arn:aws:iam::{APP}:group/ops",)
    assert len(user.policies) == 1 and "group ops" in user.policies[0].unknown.reason


def test_user_boundary_and_inline_policy(tmp_path):
    path = write(tmp_path, "auth.json", auth_details(
        UserDetailList=[{"Path": "/", "UserName": "dan", "Arn": f"arn:aws:iam::{APP}:user/dan", "GroupList": [],
                         "UserPolicyList": [{"PolicyName": "all", "PolicyDocument": policy_doc(
                             {"Effect": "Allow", "Action": "lambda:*", "Resource": "*"})}],
                         "AttachedManagedPolicies": [],
                         "PermissionsBoundary": {"PermissionsBoundaryType": "Policy",
                                                 "PermissionsBoundaryArn": f"arn:aws:iam::{APP}:policy/b"}}],
        Policies=[{"PolicyName": "b", "Arn": f"arn:aws:iam::{APP}:policy/b", "DefaultVersionId": "v3",
                   "PolicyVersionList": [{"Document": policy_doc({"Effect": "Allow", "Action": "lambda:GetFunction",
                                                                  "Resource": "*"}),
                                          "VersionId": "v3", "IsDefaultVersion": True}]}]))
    user = inventory(path).users[f"arn:aws:iam::{APP}:user/dan"]
    assert user.boundary.kind is PolicyKind.BOUNDARY and user.boundary.statements[0].actions == ("lambda:GetFunction",)
    result = run("can", user.arn, "lambda:InvokeFunction", FN + "f", path, "--format", "json")
    assert result.json()["decision"] == "denied"
    result = run("can", user.arn, "lambda:GetFunction", FN + "f", path, "--format", "json")
    assert result.json()["decision"] == "allowed"


def get_policy(*statements: dict) -> dict:
    return {"Policy": json.dumps({"Version": "2012-10-17", "Id": "default", "Statement": list(statements)},
                                 separators=(",", ":")), "RevisionId": "r"}


LISTED = {"Functions": [{"FunctionName": "f", "FunctionArn": FN + "f", "Runtime": "python3.12",
                         "Role": ROLE + "f-role", "Handler": "app.handler", "Version": "$LATEST"}]}
PARTNER_INVOKE = {"Sid": "p", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
                  "Action": "lambda:InvokeFunction", "Resource": FN + "f"}


def test_get_policy_string_is_decoded_once_and_loads_as_decoded_twice(tmp_path, monkeypatch):
    """A get-policy output's `Policy` is a JSON string (https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html):
    the accounts pass decodes it and the load takes that value, decoding it no second time; the
    function loaded is the one each file loaded on its own makes. A string that does not decode is
    still the load's error at its line."""
    from permcheck.load import snapshot_fields, snapshot_lambda

    policy = write(tmp_path, "b.json", get_policy(PARTNER_INVOKE))
    alone = Inventory()
    snapshot.load(policy, "get-policy", read_inputs([policy])[0][2], alone)  # decodes it itself
    calls = []
    real = snapshot_fields.json_document

    def counted(value):
        calls.append(value)
        return real(value)

    monkeypatch.setattr(snapshot, "json_document", counted)
    monkeypatch.setattr(snapshot_lambda, "json_document", counted)
    shared = load_inventory([policy], Options())
    assert len(calls) == 1
    assert shared.functions == alone.functions and shared.functions[FN + "f"].policy.statements
    bad = write(tmp_path, "c.json", {"Policy": "{not json", "RevisionId": "r"})
    with pytest.raises(InputError) as raised:
        load_inventory([bad], Options())
    assert str(raised.value).startswith(f"{bad}:2: Policy is not a JSON policy document")


def test_list_functions_and_get_policy_merge_in_either_order(tmp_path):
    listed = write(tmp_path, "a.json", LISTED)
    policy = write(tmp_path, "b.json", get_policy(PARTNER_INVOKE))
    results = []
    for order in ((listed, policy), (policy, listed)):
        inv = Inventory()
        for file in order:
            document = read_inputs([file])[0]
            snapshot.load(file, document[1], document[2], inv)
        assert list(inv.functions) == [FN + "f"]
        results.append(inv.functions[FN + "f"])
    first, second = results
    assert first.role == second.role == ROLE + "f-role"
    assert first.policy.statements == second.policy.statements and len(first.policy.statements) == 1
    assert first.location == second.location and first.location.file == listed
    assert (f"arn:aws:iam::{PARTNER}:root", ()) in invokers(listed, policy, function=FN + "f")


def test_get_policy_of_an_unlisted_function_creates_it(tmp_path):
    policy = write(tmp_path, "p.json", get_policy(PARTNER_INVOKE))
    function = inventory(policy).functions[FN + "f"]
    assert (function.role, function.name, function.account, function.region) == (None, "f", APP, "us-east-1")
    assert inventory(policy).default_account == APP


def test_qualified_resource_is_a_grant_on_that_alias(tmp_path):
    listed = write(tmp_path, "a.json", LISTED)
    alias = write(tmp_path, "alias.json", get_policy({**PARTNER_INVOKE, "Sid": "alias", "Resource": FN + "f:live"}))
    plain = write(tmp_path, "plain.json", get_policy({**PARTNER_INVOKE, "Principal": {"Service": "sns.amazonaws.com"}}))
    inv = inventory(listed, alias, plain)
    function = inv.functions[FN + "f"]
    assert function.qualifiers == ("live",)
    assert sorted(s.sid for s in function.policy.statements) == ["alias", "p"]  # one policy, both outputs
    result = run("who-can-invoke", "f", listed, alias, plain, "--format", "json")
    entries = {(e["principal"], e.get("qualifier")) for e in result.json()["principals"]}
    assert (f"arn:aws:iam::{PARTNER}:root", "live") in entries
    assert (f"arn:aws:iam::{PARTNER}:root", None) not in entries
    assert ("sns.amazonaws.com", None) in entries


def test_list_functions_with_versions_is_one_function(tmp_path):
    versions = {"Functions": [
        {"FunctionName": "f", "FunctionArn": FN + "f:1", "Role": ROLE + "old-role", "Version": "1"},
        {"FunctionName": "f", "FunctionArn": FN + "f:$LATEST", "Role": ROLE + "f-role", "Version": "$LATEST"},
        {"FunctionName": "f", "FunctionArn": FN + "f:2", "Role": ROLE + "older-role", "Version": "2"}]}
    inv = inventory(write(tmp_path, "v.json", versions))
    assert list(inv.functions) == [FN + "f"] and inv.functions[FN + "f"].role == ROLE + "f-role"


# -- malformed content: one error line with file and line, exit 2 --------------------------------

@pytest.mark.parametrize("name, content, line, message", [
    ("no-arn.json", '{"Functions": [\n  {"FunctionName": "f",\n   "Role": "r"}\n]}', 2, "has no FunctionArn"),
    ("bad-arn.json", '{"Functions": [\n  {"FunctionArn": "arn:aws:s3:::b"}\n]}', 2, "not a Lambda function ARN"),
    ("not-json.json", '{\n  "Policy": "{not json",\n  "RevisionId": "r"\n}', 2, "not a JSON policy document"),
    ("two-functions.json", json.dumps(get_policy(PARTNER_INVOKE, {**PARTNER_INVOKE, "Resource": FN + "g"})), 1,
     "2 functions"),
    ("no-function.json", json.dumps(get_policy()), 1, "no Lambda function"),
    ("role-no-arn.json", '{"RoleDetailList": [\n  {"RoleName": "r",\n   "AssumeRolePolicyDocument": {}}\n]}', 2,
     "RoleDetailList entry has no Arn"),
    ("role-user-arn.json", '{"RoleDetailList": [\n  {"Arn": "arn:aws:iam::111111111111:user/u"}\n]}', 2,
     "not an IAM role ARN"),
    ("bad-doc.json", '{"RoleDetailList": [{"Arn": "arn:aws:iam::111111111111:role/r",\n'
                     '  "AssumeRolePolicyDocument": "%7Bnot%20json"}]}', 2, "neither a JSON policy document"),
    ("no-default.json", '{"Policies": [{"Arn": "arn:aws:iam::111111111111:policy/p",\n "PolicyVersionList":\n'
                        '  [{"Document": {}, "VersionId": "v1", "IsDefaultVersion": false}]}],\n'
                        ' "RoleDetailList": []}', 2, "no default versions"),
    ("attached-no-arn.json", '{"UserDetailList": [{"Arn": "arn:aws:iam::111111111111:user/u",\n'
                             ' "AttachedManagedPolicies": [\n  {"PolicyName": "p"}]}]}', 3, "has no PolicyArn"),
    ("detail-not-list.json", '{"GroupDetailList":\n {"a": 1}}', 1, "must be a list"),
])
def test_malformed_snapshot_is_one_error_line(tmp_path, name, content, line, message):
    path = write(tmp_path, name, content)
    result = run("who-can-invoke", "f", path)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(f"permcheck: error: {path}:{line}: "), result.err
    assert message in result.err and "Traceback" not in result.err and result.err.count("\n") == 1


def test_invalid_policy_in_a_snapshot_is_kept_for_check(tmp_path):
    path = write(tmp_path, "auth.json", auth_details(RoleDetailList=[role_entry(
        "r", policy_doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}),
        RolePolicyList=[{"PolicyName": "bad", "PolicyDocument": policy_doc(
            {"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"})}])]))
    policy = inventory(path).roles[ROLE + "r"].policies[0]
    assert policy.error and "Effect" in policy.error
    result = run("can", ROLE + "r", "s3:GetObject", "arn:aws:s3:::b/k", path)
    assert result.code == 2 and "invalid policy bad" in result.err


# -- the cloudsplaining corpus: real account snapshots -------------------------------------------

def test_cloudsplaining_snapshots_load_and_answer_for_every_role(corpus):
    files = sorted(str(p) for p in (corpus / "cloudsplaining").rglob("*.json"))
    snapshots = [f for f in files if kind_of(read_file(f)) == "authorization-details"]
    assert len(snapshots) >= 6
    malformed = {}  # file → error: none of cloudsplaining's examples is malformed
    roles = 0
    for file in snapshots:
        try:
            inv = load_inventory([file], Options())
        except InputError as error:
            malformed[Path(file).name] = str(error)
            continue
        edges = Edges(Index(inv))
        for role in inv.roles.values():
            answer = to_json(what_can_access(edges, edges.index.caller_for_entity(role)))
            assert answer["principal"] == role.arn and isinstance(answer["access"], list)
            roles += 1
        for function in inv.functions.values():
            who_can_invoke(edges, function)
    assert malformed == {}
    assert roles >= 80


OVERLAY = """
Resources:
  OpenWorker:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: orders-worker
      Action: lambda:InvokeFunction
      Principal: "333333333333"
"""


def test_a_template_overlaid_on_a_snapshot_changes_the_answer(tmp_path):
    """The change under review grants a third account on an existing function: the answer
    "after this change" has it, and keeps what the account already had."""
    before = run("who-can-invoke", "orders-worker", APP_DIR, "--format", "json").json()["principals"]
    template = write(tmp_path, "change.yaml", OVERLAY)
    after = run("who-can-invoke", "orders-worker", APP_DIR, template, "--format", "json").json()["principals"]
    added = {e["principal"] for e in after} - {e["principal"] for e in before}
    assert added == {"arn:aws:iam::333333333333:root"}
    assert {e["principal"] for e in before} <= {e["principal"] for e in after}
    grant = next(e for e in after if e["principal"] == "arn:aws:iam::333333333333:root")
    assert grant["because"][0]["file"].endswith("change.yaml") and grant["because"][0]["line"] == 4
    inv = inventory(APP_DIR, template)
    assert inv.functions[FN + "orders-worker"].role == ROLE + "service-role/orders-worker-lambda"


# -- trust policies written alike (policy_doc.parse_alike) ---------------------------------------

def test_trust_policies_written_alike_are_each_their_own_role_s_at_their_own_lines(tmp_path):
    """Roles that trust in the same words get the statements a parse of their own document makes: the
    same content, each at its own line and with its role's policy name; one written differently, or
    malformed, is parsed on its own (the error at its own line).
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html"""
    from permcheck.load.policy_doc import parse_policy

    lam = policy_doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole",
                      "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}})
    bad = policy_doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:Assume Role"})
    roles = [{"RoleName": f"r{i}", "Arn": f"arn:aws:iam::111122223333:role/r{i}", "AssumeRolePolicyDocument": doc}
             for i, doc in enumerate([lam, lam, policy_doc({"Effect": "Allow", "Principal": "*",
                                                             "Action": "sts:AssumeRole"}), bad, lam, bad])]
    path = write(tmp_path, "auth.json", {"RoleDetailList": roles})
    inv = inventory(path)
    document = read_file(path)
    lines = set()
    for entry in document["RoleDetailList"]:
        trust = inv.roles[entry["Arn"]].trust
        raw = entry["AssumeRolePolicyDocument"]
        alone = parse_policy(raw, name=f"{entry['RoleName']} trust policy", kind=PolicyKind.TRUST,
                             location=trust.location)
        assert trust == alone and trust.location.line == raw.line
        assert [s.location for s in trust.statements] == [s.location for s in alone.statements]
        assert all(s.policy == f"{entry['RoleName']} trust policy" for s in trust.statements)
        lines |= {s.location.line for s in trust.statements} | {trust.error_location and trust.error_location.line}
    assert inv.roles["arn:aws:iam::111122223333:role/r3"].trust.error
    assert len(lines - {None}) == len(roles)  # every role's statement (or error) at its own line
