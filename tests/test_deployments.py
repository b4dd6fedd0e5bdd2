"""A monorepo in one run: templates that cannot deploy side by side are separate deployments.

AWS: "Resource names must be unique across all your active stacks"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html),
so two templates that create one physical name are never deployed together; permcheck analyses
them as two deployments, each with the account snapshots (contract, "Inputs"). The fixture is
tests/data/monorepo (its README says what each application holds).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from permcheck.load.deployments import application_of, applications, group, load_deployments, nested_children
from permcheck.load.inputs import Options, load_inventory
from permcheck.model.location import InputError
from tests.cli_helpers import bug_signs, run

MONO = "tests/data/monorepo"
ORDERS = f"{MONO}/orders/template.yaml"
BILLING = f"{MONO}/billing/template.yaml"
SHOP = f"{MONO}/shop/template.yaml"
NESTED = f"{MONO}/shop/stacks/api.yaml"
SNAPSHOT = f"{MONO}/account/auth-details.json"
OPS = "arn:aws:iam::123456789012:role/ops"
PROCESSOR = "arn:aws:lambda:us-east-1:123456789012:function:processor"


def query(*args: str, code: int = 0):
    result = run(*args, "--format", "json")
    assert result.code == code, result.err
    assert not bug_signs(result.err)
    return result


# -- grouping --------------------------------------------------------------------------------------
def test_conflicting_templates_are_two_deployments_each_with_the_snapshot():
    deployments = load_deployments([MONO], Options())
    assert [d.templates for d in deployments] == [(BILLING, NESTED, SHOP), (ORDERS,)]
    assert [d.label.split(" (")[0] for d in deployments] == ["deployment 1 of 2", "deployment 2 of 2"]
    for deployment in deployments:
        assert OPS in deployment.inventory.roles  # the account snapshot joins every deployment
        assert not deployment.inventory.conflicts
        function = deployment.inventory.functions[PROCESSOR]
        assert function.location.file in deployment.templates


def test_one_model_is_still_refused_where_one_model_is_required():
    with pytest.raises(InputError, match="function:processor is also created by .*billing/template.yaml"):
        load_inventory([MONO], Options())


def test_inputs_without_a_conflict_are_one_deployment_loaded_once(monkeypatch):
    from permcheck.load import inputs

    loads = []
    real = inputs.load_documents
    monkeypatch.setattr(inputs, "load_documents", lambda *a, **k: loads.append(1) or real(*a, **k))
    deployments = load_deployments([f"{MONO}/orders", f"{MONO}/shop", f"{MONO}/account"], Options())
    assert len(deployments) == 1 and deployments[0].templates == (ORDERS, NESTED, SHOP) and loads == [1]
    loads.clear()
    assert len(load_deployments([MONO], Options())) == 2 and loads == [1, 1, 1]  # all, then each deployment


def test_an_application_is_the_folder_of_its_samconfig_or_template_yaml(tmp_path):
    # The SAM CLI keeps samconfig.toml beside template.yaml at a project's root:
    # https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-config.html
    (tmp_path / "app" / "iac").mkdir(parents=True)
    (tmp_path / "app" / "samconfig.toml").write_text("version = 0.1\n")
    (tmp_path / "loose").mkdir()
    root = [str(tmp_path)]
    assert application_of(str(tmp_path / "app" / "iac" / "db.yaml"), root) == str(tmp_path / "app")
    assert application_of(str(tmp_path / "loose" / "a.yaml"), root) == str(tmp_path / "loose" / "a.yaml")
    (tmp_path / "loose" / "template.yml").write_text("Resources: {}\n")
    assert application_of(str(tmp_path / "loose" / "a.yaml"), root) == str(tmp_path / "loose")


def test_a_nested_stack_named_by_a_local_path_belongs_to_its_parent():
    # `TemplateURL`/`Location` may be a path relative to the parent template, which
    # `aws cloudformation package`/`sam package` upload:
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-cli-package.html
    # https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-application.html
    from permcheck.load.decode import read_file

    assert nested_children(SHOP, read_file(SHOP)) == [os.path.normpath(NESTED)]
    remote = {"Resources": {"A": {"Type": "AWS::Serverless::Application",
                                  "Properties": {"Location": "https://s3.amazonaws.com/b/t.yaml"}},
                            "B": {"Type": "AWS::CloudFormation::Stack",
                                  "Properties": {"TemplateURL": "s3://b/t.yaml"}}}}
    assert nested_children(SHOP, remote) == []
    apps = applications([(SHOP, read_file(SHOP)), (NESTED, read_file(NESTED))], [MONO])
    assert apps[NESTED] == apps[SHOP] == f"{MONO}/shop"


def test_variants_of_one_application_split_before_other_applications_move():
    # a/x and a/y are variants (they conflict); b conflicts with a/x only. The application a
    # is split first; b then joins the first deployment it does not conflict with.
    apps = {"a/x.yaml": "a", "a/y.yaml": "a", "b/t.yaml": "b", "c/t.yaml": "c"}
    conflicts = {frozenset(("a/x.yaml", "a/y.yaml")), frozenset(("a/x.yaml", "b/t.yaml"))}
    assert group(sorted(apps), apps, conflicts) == [["a/x.yaml", "c/t.yaml"], ["a/y.yaml", "b/t.yaml"]]
    assert group(sorted(apps), apps, set()) == [sorted(apps)]


def test_an_application_moves_whole_when_one_of_its_templates_conflicts():
    # d/1 and d/2 are one application: when d/2 conflicts with a, all of d moves.
    apps = {"a/t.yaml": "a", "d/1.yaml": "d", "d/2.yaml": "d"}
    conflicts = {frozenset(("a/t.yaml", "d/2.yaml"))}
    assert group(sorted(apps), apps, conflicts) == [["a/t.yaml"], ["d/1.yaml", "d/2.yaml"]]


def test_every_kind_of_created_name_is_a_conflict(tmp_path):
    # A bucket two templates name alike was kept from the later one without a word.
    for app in ("a", "b"):
        (tmp_path / app).mkdir()
        (tmp_path / app / "template.yaml").write_text(
            "Resources:\n  Logs: {Type: AWS::S3::Bucket, Properties: {BucketName: shared-logs}}\n")
    deployments = load_deployments([str(tmp_path)], Options())
    assert len(deployments) == 2
    assert [d.inventory.resources["arn:aws:s3:::shared-logs"].location.file for d in deployments] == \
        [str(tmp_path / "a" / "template.yaml"), str(tmp_path / "b" / "template.yaml")]


# -- the commands ----------------------------------------------------------------------------------
def test_check_runs_on_the_monorepo_and_names_each_finding_file():
    answer = query("check", MONO, "--fail-on", "critical").json()
    assert answer["errors"] == []
    by_file = {(f["rule"], f["file"]) for f in answer["findings"]}
    assert ("cross-account-invoke", BILLING) in by_file
    snapshot = [f for f in answer["findings"] if f["file"] == SNAPSHOT]
    assert len(snapshot) == len({f["fingerprint"] for f in snapshot}) > 0  # found in each deployment, listed once


def test_a_function_two_deployments_define_is_ambiguous_by_id_name_and_arn():
    for name in ("ProcessorFunction", "processor", PROCESSOR):
        result = query("who-can-invoke", name, MONO, code=2)
        assert f"{BILLING}#ProcessorFunction, {ORDERS}#ProcessorFunction" in result.err, result.err
        assert result.err.count("\n") == 1


def test_file_hash_logical_id_answers_from_that_deployment_only():
    orders = query("who-can-invoke", f"{ORDERS}#ProcessorFunction", MONO).json()
    billing = query("who-can-invoke", f"{BILLING}#ProcessorFunction", MONO).json()
    files = lambda answer: {b["file"] for row in answer["principals"] for b in row["because"]}  # noqa: E731
    assert files(orders) == {ORDERS, SNAPSHOT} and files(billing) == {BILLING, SNAPSHOT}
    assert "arn:aws:iam::210987654321:root" in {r["principal"] for r in billing["principals"]}
    assert "apigateway.amazonaws.com" in {r["principal"] for r in orders["principals"]}
    assert OPS in {r["principal"] for r in orders["principals"]} & {r["principal"] for r in billing["principals"]}


def test_a_snapshot_principal_is_asked_in_every_deployment():
    access = query("what-can-access", OPS, MONO).json()
    assert [(r["resource"], r["decision"]) for r in access["access"]] == [("*", "allowed")]
    shop = "arn:aws:lambda:us-east-1:123456789012:function:shop-cart"
    assert query("can", OPS, "lambda:InvokeFunction", shop, MONO).json()["decision"] == "allowed"
    result = query("can", OPS, "lambda:InvokeFunction", PROCESSOR, MONO, code=2)
    assert "#ProcessorFunction" in result.err


def test_a_name_found_in_no_deployment_suggests_from_all_of_them():
    result = query("who-can-invoke", "ShopCartFunction", MONO, code=2)
    assert "unknown function 'ShopCartFunction'" in result.err and "CartFunction" in result.err


def test_graph_keeps_the_two_functions_apart():
    import json

    graph = json.loads(run("graph", MONO, "--format", "json").out)
    ids = {n["id"] for n in graph["nodes"]}
    assert {f"{ORDERS}#ProcessorFunction", f"{BILLING}#ProcessorFunction", OPS} <= ids
    assert PROCESSOR not in ids


def test_diff_compares_deployment_by_deployment(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(MONO, old)
    shutil.copytree(MONO, new)
    with (new / "billing" / "template.yaml").open("a") as out:
        out.write("  AnyoneInvoke:\n    Type: AWS::Lambda::Permission\n    Properties:\n"
                  "      {FunctionName: !Ref ProcessorFunction, Action: lambda:InvokeFunction, Principal: '*'}\n")
    variant = new / "extra"  # a new application that conflicts with shop: a deployment of its own
    variant.mkdir()
    (variant / "template.yaml").write_text(Path(NESTED).read_text())
    answer = query("diff", str(old), str(new), code=1).json()
    assert answer["removed"] == []
    added = {(a["principal"], a["resource"], a["because"][0]["file"]) for a in answer["added"]}
    assert ("*", PROCESSOR, str(new / "billing" / "template.yaml")) in added
    assert {file for _, _, file in added} == {str(new / "billing" / "template.yaml"), str(variant / "template.yaml")}
    assert query("diff", str(old), str(old)).json()["added"] == []


def test_names_cloudformation_generates_never_conflict(tmp_path):
    # Without a name, CloudFormation generates one per stack: two templates' unnamed secrets are
    # two secrets (the later one used to replace the earlier under one key).
    for app in ("a", "b"):
        (tmp_path / app).mkdir()
        (tmp_path / app / "template.yaml").write_text("Resources:\n  Secret: {Type: AWS::SecretsManager::Secret}\n")
    deployments = load_deployments([str(tmp_path)], Options())
    assert len(deployments) == 1
    secrets = [r for r in deployments[0].inventory.resources.values() if r.type == "AWS::SecretsManager::Secret"]
    assert sorted(r.location.file for r in secrets) == [str(tmp_path / app / "template.yaml") for app in ("a", "b")]


def test_a_policy_on_another_templates_bucket_joins_its_policy(tmp_path):
    # A bucket policy names its bucket (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-s3-bucketpolicy.html):
    # one in another template adds to the bucket that template creates, and does not replace it.
    (tmp_path / "a.yaml").write_text("Resources:\n  Logs: {Type: AWS::S3::Bucket, Properties: {BucketName: shared-logs}}\n")
    (tmp_path / "b.yaml").write_text(
        "Resources:\n  P:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      Bucket: shared-logs\n"
        "      PolicyDocument:\n        Statement: [{Effect: Allow, Principal: {AWS: '210987654321'},"
        " Action: s3:GetObject, Resource: 'arn:aws:s3:::shared-logs/*'}]\n")
    [deployment] = load_deployments([str(tmp_path)], Options())
    bucket = deployment.inventory.resources["arn:aws:s3:::shared-logs"]
    assert bucket.logical_id == "Logs" and bucket.location.file == str(tmp_path / "a.yaml")
    assert [s.location.file for s in bucket.policy.statements] == [str(tmp_path / "b.yaml")]
