"""Resources of a Terraform plan other than Lambda and IAM, and their resource policies.

Buckets, queues, topics, tables, keys and secrets become `Resource` nodes with the ARNs AWS
gives them, built from the plan's names where the ARN itself is known only after apply (a
KMS key id and a secret's random suffix stay unknown). A resource has one policy: a
`*_policy` resource (`aws_s3_bucket_policy`, `aws_sqs_queue_policy`, `aws_sns_topic_policy`,
`aws_kms_key_policy`, ...) replaces the policy argument of the resource it targets. A KMS key
without a configured policy gets AWS's default key policy (the account's IAM policies decide);
with one, that key policy is required, as `cfn_resources` models it.
"""

from __future__ import annotations

import re

from permcheck.load.cfn_resources import merge_policies
from permcheck.load.tf_load import TfLoad
from permcheck.load.tf_plan import TfResource
from permcheck.model.entities import Resource
from permcheck.model.policy import PolicyKind
from permcheck.model.values import Sym, Unknown, concat

NODES = {  # Terraform type → CloudFormation type (the model's resource type names)
    "aws_s3_bucket": "AWS::S3::Bucket",
    "aws_sqs_queue": "AWS::SQS::Queue",
    "aws_sns_topic": "AWS::SNS::Topic",
    "aws_dynamodb_table": "AWS::DynamoDB::Table",
    "aws_kms_key": "AWS::KMS::Key",
    "aws_secretsmanager_secret": "AWS::SecretsManager::Secret",
}
POLICIES = {  # policy resource type → (argument naming the target, target type)
    "aws_s3_bucket_policy": ("bucket", "aws_s3_bucket"),
    "aws_sqs_queue_policy": ("queue_url", "aws_sqs_queue"),
    "aws_sns_topic_policy": ("arn", "aws_sns_topic"),
    "aws_kms_key_policy": ("key_id", "aws_kms_key"),
    "aws_secretsmanager_secret_policy": ("secret_arn", "aws_secretsmanager_secret"),
    "aws_dynamodb_resource_policy": ("resource_arn", "aws_dynamodb_table"),
}
REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$")


def load(load_: TfLoad) -> None:
    plan = load_.plan
    drafts: dict[str, dict] = {}
    by_name: dict[tuple[str, str], str] = {}  # (type, address/ARN/name/URL/key id) → draft key
    inline: dict[str, tuple[TfResource, str]] = {}
    for res in plan.of_type(*NODES):
        arn, names = identity(load_, res)
        key = str(arn)
        drafts[key] = dict(arn=arn, type=NODES[res.type], account=load_.account_of(arn), logical_id=res.address,
                           location=plan.location(res), names=tuple(n for n in names if isinstance(n, str)),
                           policies=[])
        for name in (res.address, key, *drafts[key]["names"]):
            by_name[res.type, name] = key
        inline[key] = (res, "key policy" if res.type == "aws_kms_key" else "policy")
    for ptype, (attr, target_type) in POLICIES.items():
        for res in plan.of_type(ptype):
            key = _target(load_, res, attr, target_type, by_name, drafts)
            drafts[key]["policies"].append(load_.policy(res, "policy", res.address, PolicyKind.RESOURCE,
                                                        required=True))
    for key, draft in drafts.items():
        policies = draft.pop("policies")
        policy = merge_policies(policies) if policies else None
        if policy is None and key in inline:  # the resource's own policy argument
            res, what = inline[key]
            value = res.values.get("policy")
            if res.configured("policy") or (isinstance(value, str) and value):
                policy = load_.policy(res, "policy", f"{res.address} {what}", PolicyKind.RESOURCE)
        if not load_.inventory.create(key, draft.get("location")):
            continue  # two inputs create one resource: a conflict the walk over inputs splits
        load_.inventory.resources[key] = Resource(**draft, policy=policy)
        load_.inventory.add_logical_id(draft["logical_id"], key)


def identity(load_: TfLoad, res: TfResource) -> tuple[object, tuple]:
    """The resource's ARN and other identifiers (name, queue URL, key id)."""
    if res.type == "aws_s3_bucket":
        name = load_.name(res, "bucket")
        return load_.arn(res, "s3", name, region=False, account=False), (name,)
    if res.type == "aws_kms_key":
        key_id = load_.name(res, "key_id")
        return load_.arn(res, "kms", "key/", key_id), (key_id,)
    name = load_.name(res, "name")
    if res.type == "aws_sqs_queue":
        url = load_.text(res, "url")
        if not isinstance(url, str):
            d = load_.deployment
            url = concat([f"https://sqs.{res.region}.{d.url_suffix}/{d.account}/", name])
        return load_.arn(res, "sqs", name), (name, url)
    if res.type == "aws_dynamodb_table":
        return load_.arn(res, "dynamodb", "table/", name), (name,)
    if res.type == "aws_secretsmanager_secret":
        suffix = Unknown(f"{res.address}.arn (random suffix, known after apply)", owned=True)
        return load_.arn(res, "secretsmanager", "secret:", name, "-", suffix), (name,)
    return load_.arn(res, "sns", name), (name,)  # aws_sns_topic


def _target(load_: TfLoad, res: TfResource, attr: str, target_type: str, by_name: dict, drafts: dict) -> str:
    """The draft of the resource a policy resource targets; one not in the plan is added."""
    value = load_.text(res, attr) or Unknown(f"{res.address}.{attr} (not in the plan)")
    if isinstance(value, str) and (target_type, value) in by_name:
        return by_name[target_type, value]
    if isinstance(value, (Unknown, Sym)):
        refs = [r for r in load_.plan.references(res, attr, target_type) if (target_type, r.address) in by_name]
        if len(refs) == 1:
            return by_name[target_type, refs[0].address]
    arn = _outside_arn(load_, res, target_type, value)
    key = str(arn)
    if (target_type, key) in by_name:
        return by_name[target_type, key]
    drafts.setdefault(key, dict(arn=arn, type=NODES[target_type], account=load_.account_of(arn), logical_id=None,
                                location=None, names=(), policies=[]))
    by_name[target_type, key] = key
    return key


def _outside_arn(load_: TfLoad, res: TfResource, target_type: str, value: object) -> object:
    """The ARN that a bucket name, queue URL, key id or ARN names."""
    if not isinstance(value, str) or value.startswith("arn:"):
        return value
    d = load_.deployment
    if target_type == "aws_s3_bucket":
        return f"arn:{d.partition}:s3:::{value}"
    if target_type == "aws_sqs_queue" and value.startswith("https://"):
        host, _, path = value[len("https://"):].partition("/")
        account, _, name = path.strip("/").partition("/")
        region = next((p for p in host.split(".") if REGION.match(p)), res.region)
        return f"arn:{d.partition}:sqs:{region}:{account}:{name}"
    if target_type == "aws_kms_key":
        return f"arn:{d.partition}:kms:{res.region}:{d.account}:key/{value}"
    return value
