"""Terraform plans (`terraform show -json`): answers through the CLI, as a user gets them.

Format: https://developer.hashicorp.com/terraform/internals/json-format (planned_values,
resource_changes[].change.after_unknown, configuration references). Values a plan leaves to
apply time are unknown: answers that depend on them are conditional, never allowed.
"""

from __future__ import annotations

import json

import pytest

from permcheck.load.decode import read_file
from tests.cli_helpers import run

PLAN = "fixtures/terraform/plan.json"
ACCOUNT = "123456789012"
API = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders-api"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders-queue"
BUCKET = f"example-orders-reports-{ACCOUNT}"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]})


def line(address: str) -> int:
    """The line of a resource object in the fixture plan's planned_values."""
    document = read_file(PLAN)
    stack = [document["planned_values"]["root_module"]]
    while stack:
        module = stack.pop()
        for resource in module.get("resources", []):
            if resource["address"] == address:
                return resource.line
        stack += module.get("child_modules", [])
    raise KeyError(address)


def because(address: str, sid: str | None, note: str | None = None) -> dict:
    entry = {"file": PLAN, "line": line(address), "policy": address, "sid": sid}
    return {**entry, "note": note} if note else entry


def query(*args: str) -> dict:
    result = run(*args, "--format", "json")
    assert result.code == 0, result.err
    return result.json()


# -- the fixture: who can invoke ------------------------------------------------------------

def test_who_can_invoke_the_api_function_given_by_address():
    answer = query("who-can-invoke", "aws_lambda_function.api", PLAN)
    assert answer == {"function": API, "principals": [
        {"principal": "apigateway.amazonaws.com", "decision": "conditional", "actions": ["lambda:InvokeFunction"],
         "conditions": [{"operator": "ArnLike", "key": "AWS:SourceArn", "effect": "Allow",
                         "values": ["${?aws_lambda_permission.apigw.source_arn (known after apply)}"]},
                        {"unknown": "aws_lambda_permission.apigw.source_arn (known after apply)"}],
         "because": [because("aws_lambda_permission.apigw", "AllowAPIGatewayInvoke")]},
        {"principal": "arn:aws:iam::210987654321:root", "decision": "allowed", "actions": ["lambda:InvokeFunction"],
         "conditions": [], "because": [because("aws_lambda_permission.allow_partner", "AllowPartnerInvoke")],
         "notes": ["identity side of arn:aws:iam::210987654321:root not analysed (not in the inputs): "
                   "assumed to allow"],
         "qualifier": "live"},
    ]}


def test_function_given_by_name_or_arn_is_the_same_function():
    by_address = query("who-can-invoke", "aws_lambda_function.api", PLAN)
    assert query("who-can-invoke", "orders-api", PLAN) == by_address
    assert query("who-can-invoke", API, "fixtures/terraform") == by_address


def test_source_arn_known_after_apply_is_never_allowed():
    args = ("can", "apigateway.amazonaws.com", "lambda:InvokeFunction", API, PLAN)
    source = "--context", f"aws:SourceArn=arn:aws:execute-api:us-east-1:{ACCOUNT}:a1b2c3/prod/POST/orders"
    answer = query(*args, *source)
    assert answer["decision"] == "conditional"
    assert {"unknown": "aws_lambda_permission.apigw.source_arn (known after apply)"} in answer["conditions"]
    assert query(*args, "--closed-context")["decision"] == "denied"  # no SourceArn: the ArnLike fails


def test_public_function_url():
    answer = query("who-can-invoke", "aws_lambda_function.webhook", PLAN)
    assert answer["principals"] == [
        {"principal": "*", "decision": "allowed", "actions": ["lambda:InvokeFunctionUrl"], "conditions": [],
         "because": [because("aws_lambda_permission.webhook_url", "FunctionURLAllowPublicAccess")]}]


def test_permission_follows_a_module_output_to_a_function_named_after_apply():
    answer = query("who-can-invoke", "module.ingest.aws_lambda_function.this", PLAN)
    assert answer["function"] == (f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
                                  "${?module.ingest.aws_lambda_function.this.function_name (known after apply)}")
    [entry] = answer["principals"]
    assert entry["principal"] == "s3.amazonaws.com" and entry["decision"] == "conditional"
    # the statement names this very (symbolic) ARN: only the permission's conditions remain
    assert entry["conditions"] == [
        {"operator": "ArnLike", "key": "AWS:SourceArn", "values": [f"arn:aws:s3:::{BUCKET}"], "effect": "Allow"},
        {"operator": "StringEquals", "key": "AWS:SourceAccount", "values": [ACCOUNT], "effect": "Allow"}]
    assert entry["because"] == [because("aws_lambda_permission.ingest_from_reports", "AllowReportsBucket")]
    # and not on any other function
    others = [query("who-can-invoke", f, PLAN) for f in ("aws_lambda_function.api", "aws_lambda_function.webhook")]
    assert all(e["principal"] != "s3.amazonaws.com" for answer in others for e in answer["principals"])


# -- the fixture: what can access -----------------------------------------------------------

def test_what_the_api_role_can_access():
    answer = query("what-can-access", "aws_iam_role.api", PLAN)
    assert answer["principal"] == f"arn:aws:iam::{ACCOUNT}:role/orders-api-role"
    by_resource = {e["resource"]: e for e in answer["access"]}
    table = by_resource[TABLE]
    assert (table["decision"], table["actions"]) == ("allowed", ["dynamodb:GetItem", "dynamodb:PutItem",
                                                                 "dynamodb:Query"])
    assert table["because"] == [{"file": PLAN, "line": _policy_line("aws_iam_role.api"),
                                 "policy": "aws_iam_role.api inline policy orders-table", "sid": "OrdersTable"}]
    logs = by_resource["*"]
    assert logs["decision"] == "allowed" and "logs:PutLogEvents" in logs["actions"]
    assert logs["because"][0]["line"] == line("aws_iam_role_policy_attachment.api_logs")
    key = by_resource[f"arn:aws:kms:us-east-1:{ACCOUNT}:key/${{?aws_kms_key.orders.key_id (known after apply)}}"]
    assert (key["decision"], key["actions"]) == ("allowed", ["kms:Decrypt", "kms:GenerateDataKey"])
    assert key["because"][0]["policy"] == "aws_kms_key.orders key policy"
    # aws_iam_role_policy.api_queue: its role (aws_iam_role.api.id) and its document are known
    # after apply; the role is followed, and the document rendered with its resource unknown
    unknown = "data.aws_iam_policy_document.api_queue.statement[0].resources[0] (known after apply)"
    queue = by_resource["${?" + unknown + "}"]
    assert (queue["decision"], queue["actions"], queue["conditions"]) == (
        "conditional", ["sqs:SendMessage"], [{"unknown": unknown}])
    [reason] = queue["because"]
    assert (reason["policy"], reason["sid"], reason["note"]) == (
        "aws_iam_role_policy.api_queue", "SendOrders", "from data.aws_iam_policy_document.api_queue")


def _policy_line(address: str) -> int:
    return _resource(address)["values"]["inline_policy"][0].line_of("policy")


def test_queue_policy_with_values_known_after_apply_is_conditional():
    args = ("can", "sns.amazonaws.com", "sqs:SendMessage", QUEUE, PLAN)
    answer = query(*args)
    assert answer["decision"] == "conditional"
    assert {"unknown": "data.aws_iam_policy_document.orders_queue.statement[0].condition[0].values[0] "
                       "(known after apply)"} in answer["conditions"]
    document = _resource("data.aws_iam_policy_document.orders_queue")  # the statement is written there
    assert answer["because"] == [{"file": PLAN, "line": document["values"]["statement"][0].line,
                                  "policy": "aws_sqs_queue_policy.orders", "sid": "FromOrdersTopic",
                                  "note": "from data.aws_iam_policy_document.orders_queue"}]
    assert query(*args, "--closed-context")["decision"] == "denied"
    api_role = query("can", "aws_iam_role.api", "sqs:SendMessage", QUEUE, PLAN)
    assert api_role["decision"] == "conditional"


def _resource(address: str) -> dict:
    resources = read_file(PLAN)["planned_values"]["root_module"]["resources"]
    return next(r for r in resources if r["address"] == address)


def test_cross_account_bucket_policy():
    args = ("can", "444455556666", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/reports/2025-01.csv", PLAN)
    answer = query(*args)
    assert answer["decision"] == "conditional"
    assert answer["conditions"] == [{"operator": "Bool", "key": "aws:SecureTransport", "values": ["false"],
                                     "effect": "Deny"}]
    assert [b["sid"] for b in answer["because"]] == ["AnalyticsRead", "TLSOnly"]
    assert {b["line"] for b in answer["because"]} == {_value_line("aws_s3_bucket_policy.reports", "policy")}
    assert query(*args, "--context", "aws:SecureTransport=true")["decision"] == "allowed"


def _value_line(address: str, attr: str) -> int:
    return _resource(address)["values"].line_of(attr)


def test_addresses_are_identifiers():
    role = f"arn:aws:iam::{ACCOUNT}:role/orders-ingest-role"
    assert query("what-can-access", "module.ingest.aws_iam_role.this", PLAN)["principal"] == role
    # a FUNCTION as principal is its execution role, followed from `role = aws_iam_role.this.arn`
    answer = query("can", "module.ingest.aws_lambda_function.this", "dynamodb:PutItem", TABLE, PLAN)
    assert (answer["principal"], answer["decision"]) == (role, "allowed")
    answer = query("can", "aws_lambda_function.api", "dynamodb:GetItem", TABLE, PLAN, "--expect", "allowed")
    assert answer["principal"] == f"arn:aws:iam::{ACCOUNT}:role/orders-api-role"
    assert query("can", "aws_iam_role.webhook", "dynamodb:GetItem", TABLE, PLAN)["decision"] == "denied"


def test_plan_with_a_template_is_one_model():
    answer = query("who-can-invoke", "aws_lambda_function.webhook", PLAN, "fixtures/example-app")
    assert [e["principal"] for e in answer["principals"]] == ["*"]


# -- small plans ------------------------------------------------------------------------------

def resource(address: str, rtype: str, values: dict, unknown: dict | None = None,
             expressions: dict | None = None, mode: str = "managed") -> dict:
    return {"address": address, "mode": mode, "type": rtype, "name": address.rsplit(".", 1)[-1],
            "values": values, "unknown": unknown or {}, "expressions": expressions or {}}


def write_plan(tmp_path, *resources: dict, provider_region: str | None = None, extra: dict | None = None) -> str:
    document = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [
            {k: r[k] for k in ("address", "mode", "type", "name", "values")} for r in resources]}},
        "resource_changes": [
            {"address": r["address"], "mode": r["mode"], "type": r["type"], "name": r["name"],
             "change": {"actions": ["create"], "before": None, "after": r["values"], "after_unknown": r["unknown"]}}
            for r in resources],
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "expressions": (
                {"region": {"constant_value": provider_region}} if provider_region else {})}},
            "root_module": {"resources": [
                {"address": r["address"], "mode": r["mode"], "type": r["type"], "name": r["name"],
                 "provider_config_key": "aws", "expressions": r["expressions"]} for r in resources]}},
        **(extra or {}),
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document, indent=2))
    return str(path)


def role(address: str = "aws_iam_role.r", name: str | None = "r", **values) -> dict:
    unknown = {"arn": True, "id": True, "inline_policy": [{"name": True, "policy": True}],
               "managed_policy_arns": True}
    if name is None:
        unknown["name"] = True
    return resource(address, "aws_iam_role", {"name": name, "assume_role_policy": TRUST, "path": "/",
                                              "inline_policy": [{}], **values}, unknown,
                    {"assume_role_policy": {"constant_value": TRUST}})


def function(address: str = "aws_lambda_function.f", name: str = "f", role_ref: str = "aws_iam_role.r") -> dict:
    return resource(address, "aws_lambda_function", {"function_name": name}, {"arn": True, "role": True},
                    {"function_name": {"constant_value": name},
                     "role": {"references": [f"{role_ref}.arn", role_ref]}})


def test_function_name_known_after_apply_follows_the_reference(tmp_path):
    path = write_plan(tmp_path, role(), function(), function("aws_lambda_function.g", "g"),
                      resource("aws_lambda_permission.p", "aws_lambda_permission",
                               {"action": "lambda:InvokeFunction", "principal": "events.amazonaws.com"},
                               {"function_name": True, "id": True},
                               {"function_name": {"references": ["aws_lambda_function.g.function_name",
                                                                 "aws_lambda_function.g"]}}))
    assert [e["principal"] for e in query("who-can-invoke", "aws_lambda_function.g", path)["principals"]] == [
        "events.amazonaws.com"]
    assert query("who-can-invoke", "aws_lambda_function.f", path)["principals"] == []


def test_function_name_given_as_arn_with_qualifier(tmp_path):
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"
    path = write_plan(tmp_path, role(), function(),
                      resource("aws_lambda_permission.full", "aws_lambda_permission",
                               {"action": "lambda:InvokeFunction", "function_name": f"{arn}:live",
                                "principal": "111122223333"}),
                      resource("aws_lambda_permission.partial", "aws_lambda_permission",
                               {"action": "lambda:InvokeFunction", "function_name": f"{ACCOUNT}:function:f",
                                "principal": "events.amazonaws.com", "source_account": ACCOUNT}))
    answer = query("who-can-invoke", "aws_lambda_function.f", path)
    assert answer["function"] == arn
    assert [(e["principal"], e.get("qualifier")) for e in answer["principals"]] == [
        ("arn:aws:iam::111122223333:root", "live"), ("events.amazonaws.com", None)]


def test_topic_and_key_policies_attach_to_their_resources(tmp_path):
    topic_arn = f"arn:aws:sns:us-east-1:{ACCOUNT}:events"
    publish = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sns:Publish", "Resource": topic_arn}]})
    path = write_plan(tmp_path,
                      resource("aws_sns_topic.t", "aws_sns_topic", {"name": "events"}, {"arn": True, "policy": True}),
                      resource("aws_sns_topic_policy.t", "aws_sns_topic_policy", {"policy": publish},
                               {"arn": True, "id": True},
                               {"arn": {"references": ["aws_sns_topic.t.arn", "aws_sns_topic.t"]}}))
    assert query("can", "111122223333", "sns:Publish", topic_arn, path)["decision"] == "allowed"
    assert query("can", "444455556666", "sns:Publish", topic_arn, path)["decision"] == "denied"


def test_unknown_principal_is_conditional(tmp_path):
    path = write_plan(tmp_path, role(), function(),
                      resource("aws_lambda_permission.p", "aws_lambda_permission",
                               {"action": "lambda:InvokeFunction", "function_name": "f"},
                               {"principal": True, "id": True},
                               {"principal": {"references": ["aws_iam_role.caller.arn", "aws_iam_role.caller"]}}))
    [entry] = query("who-can-invoke", "f", path)["principals"]
    assert entry["decision"] == "conditional"
    assert entry["conditions"] == [{"unknown": "principal ${?aws_lambda_permission.p.principal (known after apply)}"}]


def test_generated_role_name_stays_unknown_and_the_address_finds_it(tmp_path):
    inline = [{"name": "p", "policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]})}]
    generated = role(name=None, name_prefix="svc-", inline_policy=inline)
    generated["unknown"].pop("inline_policy")
    generated["expressions"]["inline_policy"] = [{"name": {"constant_value": "p"}}]
    path = write_plan(tmp_path, generated)
    answer = query("what-can-access", "aws_iam_role.r", path)
    assert answer["principal"] == f"arn:aws:iam::{ACCOUNT}:role/${{?aws_iam_role.r.name (known after apply)}}"
    assert [(e["resource"], e["actions"], e["decision"]) for e in answer["access"]] == [
        ("*", ["sqs:SendMessage"], "allowed")]


def test_unconfigured_inline_policies_are_none_but_unknown_configured_ones_are_unknown(tmp_path):
    unknown_inline = role("aws_iam_role.u", "u")
    unknown_inline["expressions"]["inline_policy"] = [{"policy": {"references": ["aws_sqs_queue.q.arn"]}}]
    unknown_inline["values"]["inline_policy"] = [{"name": "p"}]
    unknown_inline["unknown"]["inline_policy"] = [{"policy": True}]
    path = write_plan(tmp_path, role(), unknown_inline)
    assert query("what-can-access", "aws_iam_role.r", path)["access"] == []
    [entry] = query("what-can-access", "aws_iam_role.u", path)["access"]
    assert entry["decision"] == "conditional"
    assert {"unknown": "content of aws_iam_role.u inline policy p: "
                       "aws_iam_role.u.inline_policy[0].policy (known after apply)"} in entry["conditions"]


def test_kms_key_without_a_configured_policy_has_the_default_key_policy(tmp_path):
    from permcheck.load.inputs import Options, load_inventory

    key = resource("aws_kms_key.k", "aws_kms_key", {"description": "k"}, {"arn": True, "key_id": True, "policy": True})
    unknown = resource("aws_kms_key.u", "aws_kms_key", {}, {"arn": True, "key_id": True, "policy": True},
                       {"policy": {"references": ["aws_iam_role.r.arn"]}})
    inventory = load_inventory([write_plan(tmp_path, key, unknown)], Options())
    keys = {inventory.logical_ids[a][0]: a for a in ("aws_kms_key.k", "aws_kms_key.u")}
    assert all(inventory.resources[k].type == "AWS::KMS::Key" for k in keys)
    by_address = {a: inventory.resources[k] for k, a in keys.items()}
    assert by_address["aws_kms_key.k"].policy is None  # the graph gives it AWS's default key policy
    assert by_address["aws_kms_key.u"].policy.unknown.reason == "aws_kms_key.u.policy (known after apply)"


def test_region_comes_from_the_plan(tmp_path):
    path = write_plan(tmp_path, role(), function(), provider_region="eu-west-1")
    assert query("who-can-invoke", "f", path)["function"] == f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:f"
    six = function()
    six["values"]["region"] = "ap-southeast-2"  # AWS provider 6: every resource has its region
    path = write_plan(tmp_path, role(), six, provider_region="eu-west-1")
    assert query("who-can-invoke", "f", path)["function"] == f"arn:aws:lambda:ap-southeast-2:{ACCOUNT}:function:f"


def test_account_is_the_deployment_account(tmp_path):
    path = write_plan(tmp_path, role(), function())
    answer = query("who-can-invoke", "aws_lambda_function.f", path, "--account", "111122223333")
    assert answer["function"] == "arn:aws:lambda:us-east-1:111122223333:function:f"


def test_references_through_module_variables_and_outputs(tmp_path):
    """`module.svc["a"]`'s permission names `var.fn`, which the root sets to another module's output."""
    inner_fn = resource('module.fns.aws_lambda_function.this', "aws_lambda_function",
                        {}, {"arn": True, "function_name": True, "role": True})
    perm = resource('module.svc["a"].aws_lambda_permission.p', "aws_lambda_permission",
                    {"action": "lambda:InvokeFunction", "principal": "sns.amazonaws.com"},
                    {"function_name": True, "id": True})
    document = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"child_modules": [
            {"address": "module.fns", "resources": [{k: inner_fn[k] for k in ("address", "mode", "type", "name",
                                                                               "values")}]},
            {"address": 'module.svc["a"]', "resources": [{k: perm[k] for k in ("address", "mode", "type", "name",
                                                                                "values")}]}]}},
        "resource_changes": [
            {"address": r["address"], "change": {"actions": ["create"], "after": r["values"],
                                                 "after_unknown": r["unknown"]}} for r in (inner_fn, perm)],
        "configuration": {"root_module": {"module_calls": {
            "fns": {"module": {
                "outputs": {"name": {"expression": {"references": ["aws_lambda_function.this.function_name",
                                                                   "aws_lambda_function.this"]}}},
                "resources": [{"address": "aws_lambda_function.this", "type": "aws_lambda_function",
                               "expressions": {}}]}},
            "svc": {"expressions": {"fn": {"references": ["module.fns.name", "module.fns"]}},
                    "module": {"resources": [
                        {"address": "aws_lambda_permission.p", "type": "aws_lambda_permission",
                         "expressions": {"function_name": {"references": ["var.fn"]}}}]}}}}},
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    answer = query("who-can-invoke", "module.fns.aws_lambda_function.this", str(path))
    assert [e["principal"] for e in answer["principals"]] == ["sns.amazonaws.com"]
    assert answer["principals"][0]["because"][0]["policy"] == 'module.svc["a"].aws_lambda_permission.p'


def test_deleted_resources_are_not_in_the_model(tmp_path):
    path = write_plan(tmp_path, role(), function())
    document = json.loads(open(path).read())
    document["resource_changes"].append(
        {"address": "aws_lambda_permission.old", "mode": "managed", "type": "aws_lambda_permission", "name": "old",
         "change": {"actions": ["delete"], "before": {"function_name": "f", "principal": "*",
                                                      "action": "lambda:InvokeFunction"}, "after": None}})
    open(path, "w").write(json.dumps(document))
    assert query("who-can-invoke", "f", path)["principals"] == []


# -- malformed plans: one error line, FILE:LINE, exit 2 ----------------------------------------

def _fixture_with(tmp_path, change) -> str:
    document = json.loads(open(PLAN).read())
    change(document)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document, indent=2))
    return str(path)


def _error(result, path: str, line: int | None = None) -> str:
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    prefix = f"permcheck: error: {path}:{line}: " if line else f"permcheck: error: {path}:"
    assert result.err.startswith(prefix), result.err
    return result.err


def test_plan_without_planned_values(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text('{\n  "format_version": "1.2",\n  "resource_changes": []\n}\n')
    assert "no planned_values" in _error(run("who-can-invoke", "f", str(path)), str(path), 1)


def test_policy_string_that_is_not_json(tmp_path):
    def corrupt(document):
        for r in document["planned_values"]["root_module"]["resources"]:
            if r["address"] == "aws_iam_role.api":
                r["values"]["inline_policy"][0]["policy"] = '{"Version": "2012-10-17", "Statement": [}'
    path = _fixture_with(tmp_path, corrupt)
    policy_line = next(i for i, text in enumerate(open(path), 1) if '"Statement\\": [}' in text)
    err = _error(run("what-can-access", "aws_iam_role.api", path), path, policy_line)
    assert "invalid policy aws_iam_role.api inline policy orders-table: policy document is not valid JSON" in err
    # who may invoke a function depends on it too: unreadable, it might allow lambda:InvokeFunction
    err = _error(run("who-can-invoke", "aws_lambda_function.webhook", path), path, policy_line)
    assert "invalid policy aws_iam_role.api inline policy orders-table" in err


def test_resource_policy_string_that_is_not_a_policy(tmp_path):
    def corrupt(document):
        for r in document["planned_values"]["root_module"]["resources"]:
            if r["address"] == "aws_s3_bucket_policy.reports":
                r["values"]["policy"] = "not json"
    path = _fixture_with(tmp_path, corrupt)
    policy_line = next(i for i, text in enumerate(open(path), 1) if '"policy": "not json"' in text)
    _error(run("can", "444455556666", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/k", path), path, policy_line)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(format_version="2.0"), "format_version '2.0' is not supported"),
    (lambda d: d["planned_values"]["root_module"].update(resources={}), "resources must be a list"),
    (lambda d: d["planned_values"]["root_module"]["child_modules"][0].pop("address"), "child module without address"),
    (lambda d: d["planned_values"].update(root_module=[]), "root_module must be an object"),
    (lambda d: d["planned_values"]["root_module"]["resources"][0].pop("type"), "resource without address or type"),
    (lambda d: d["resource_changes"].pop(0), "aws_iam_role.api has no entry in resource_changes"),
])
def test_malformed_plan(tmp_path, change, message):
    path = _fixture_with(tmp_path, change)
    assert message in _error(run("who-can-invoke", "aws_lambda_function.api", path), path)


def test_permission_argument_permcheck_does_not_model_is_refused(tmp_path):
    path = write_plan(tmp_path, role(), function(),
                      resource("aws_lambda_permission.p", "aws_lambda_permission",
                               {"action": "lambda:InvokeFunction", "function_name": "f", "principal": "*",
                                "source_vpc": "vpc-123"}))
    err = _error(run("who-can-invoke", "f", path), path)
    assert "aws_lambda_permission.p: unsupported argument 'source_vpc'" in err


def test_wrong_attribute_type_is_an_error_at_its_line(tmp_path):
    path = write_plan(tmp_path, role(), resource("aws_lambda_function.f", "aws_lambda_function",
                                                 {"function_name": ["f"], "role": "arn:aws:iam::1:role/r"}))
    attr_line = next(i for i, text in enumerate(open(path), 1) if '"function_name": [' in text)
    assert "function_name must be a string" in _error(run("who-can-invoke", "f", path), path, attr_line)


def test_references_in_a_loop_are_an_error_not_nothing(tmp_path):
    """A module output that (through the module's own variable) refers to itself cannot be followed:
    permcheck stops at its bound and says so, at the attribute — a permission that seemed to refer to
    no function would otherwise attach to none and hide its grant."""
    perm = resource("module.svc.aws_lambda_permission.p", "aws_lambda_permission",
                    {"action": "lambda:InvokeFunction", "principal": "*"}, {"function_name": True, "id": True})
    document = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"child_modules": [
            {"address": "module.svc", "resources": [{k: perm[k] for k in ("address", "mode", "type", "name",
                                                                           "values")}]}]}},
        "resource_changes": [{"address": perm["address"], "change": {"actions": ["create"], "after": perm["values"],
                                                                      "after_unknown": perm["unknown"]}}],
        "configuration": {"root_module": {"module_calls": {
            "svc": {"expressions": {"fn": {"references": ["module.svc.name"]}},
                    "module": {"outputs": {"name": {"expression": {"references": ["var.fn"]}}},
                               "resources": [{"address": "aws_lambda_permission.p", "type": "aws_lambda_permission",
                                              "expressions": {"function_name": {"references": ["var.fn"]}}}]}}}}},
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    result = run("check", str(path))
    assert result.code == 2 and "more than 16 module outputs and variables" in result.err, result.err
