"""Resources other than Lambda and IAM, and their resource-based policies.

Buckets, queues, topics, tables, keys and secrets become nodes with their ARNs; their
policies (`AWS::S3::BucketPolicy`, `AWS::SQS::QueuePolicy`, `AWS::SNS::TopicPolicy`,
a KMS key's `KeyPolicy`, `AWS::SecretsManager::ResourcePolicy`) attach to them.
A KMS key's policy is required: without its consent IAM policies grant nothing on
the key (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html).
"""

from __future__ import annotations

from permcheck.model.arn import account_of
from permcheck.model.entities import Resource
from permcheck.model.policy import Policy, PolicyKind
from permcheck.model.values import Sym, Unknown

NODE_TYPES = ("AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::DynamoDB::Table",
              "AWS::KMS::Key", "AWS::SecretsManager::Secret", "AWS::Kinesis::Stream",
              "AWS::StepFunctions::StateMachine", "AWS::Events::EventBus", "AWS::Logs::LogGroup")
POLICY_TYPES = {  # type → (property naming the targets, property holding the document)
    "AWS::S3::BucketPolicy": ("Bucket", "PolicyDocument"),
    "AWS::SQS::QueuePolicy": ("Queues", "PolicyDocument"),
    "AWS::SNS::TopicPolicy": ("Topics", "PolicyDocument"),
    "AWS::SecretsManager::ResourcePolicy": ("SecretId", "ResourcePolicy"),
}


def load(load_) -> None:
    inventory = load_.inventory
    by_name: dict[str, str] = {}  # every identifier of a resource → its ARN text
    drafts: dict[str, dict] = {}
    for logical_id, resource, props in load_.resources(*NODE_TYPES):
        rtype = resource["Type"]
        arn = load_.resolver.get_att(logical_id, "Arn") if rtype not in ("AWS::SNS::Topic",) \
            else load_.resolver.ref(logical_id)
        names = tuple(str(v) for v in (load_.resolver.ref(logical_id),) if isinstance(v, str))
        drafts[str(arn)] = dict(arn=arn, type=rtype, account=_account(arn, load_), logical_id=logical_id,
                                location=load_.location(resource), names=names, statements=[], policy=None)
        for name in (str(arn),) + names:
            by_name[name] = str(arn)
        by_name[logical_id] = str(arn)
        if rtype == "AWS::KMS::Key" and props.get("KeyPolicy") is not None:
            drafts[str(arn)]["policy"] = load_.policy(props["KeyPolicy"], f"{logical_id} key policy",
                                                      PolicyKind.RESOURCE, resource)
    for ptype, (target_prop, doc_prop) in POLICY_TYPES.items():
        for logical_id, resource, props in load_.resources(ptype):
            policy = load_.policy(props.get(doc_prop), logical_id, PolicyKind.RESOURCE, resource)
            raw_targets = resource.get("Properties", {}).get(target_prop)
            targets = props.get(target_prop)
            raw_list = raw_targets if isinstance(raw_targets, list) else [raw_targets]
            for raw, value in zip(raw_list, targets if isinstance(targets, list) else [targets]):
                key = _target(raw, value, ptype, by_name, load_)
                draft = drafts.setdefault(key, dict(arn=_arn_for(value, ptype, load_), type=_type_of(ptype),
                                                    account=None, logical_id=None, location=None, names=(),
                                                    statements=[], policy=None))
                draft["account"] = draft["account"] or _account(draft["arn"], load_)
                draft["statements"].append(policy)
    for key, draft in drafts.items():
        policies = draft.pop("statements")
        policy = draft.pop("policy")
        if policies:
            policy = merge_policies(policies)
        existing = inventory.resources.get(key)
        if draft["logical_id"] is None and existing is not None and existing.logical_id is not None:
            # a policy on a resource another template creates: it joins that resource's policy
            joined = [p for p in (existing.policy, policy) if p is not None]
            inventory.resources[key] = existing.model_copy(update={"policy": merge_policies(joined) if joined else None})
            continue
        if not inventory.create(key, draft["location"]):
            continue  # two templates create one resource: a conflict the walk over inputs splits
        inventory.resources[key] = Resource(**draft, policy=policy)
        inventory.add_logical_id(draft["logical_id"], key)


def merge_policies(policies: list[Policy]) -> Policy:
    """Several policy resources on one target: keep every statement (and any error/unknown)."""
    first = policies[0]
    if len(policies) == 1:
        return first
    for p in policies:
        if p.error or p.unknown:
            return p
    return first.model_copy(update={"statements": tuple(s for p in policies for s in p.statements)})


def _target(raw: object, value: object, ptype: str, by_name: dict, load_) -> str:
    if isinstance(raw, dict) and "Ref" in raw and raw["Ref"] in by_name:
        return by_name[raw["Ref"]]
    if isinstance(raw, dict) and "Fn::GetAtt" in raw:
        target = raw["Fn::GetAtt"][0] if isinstance(raw["Fn::GetAtt"], list) else str(raw["Fn::GetAtt"]).split(".")[0]
        if target in by_name:
            return by_name[target]
    if str(value) in by_name:
        return by_name[str(value)]
    return str(_arn_for(value, ptype, load_))


def _arn_for(value: object, ptype: str, load_) -> object:
    """The ARN a policy resource's target names (bucket name, queue URL, topic ARN, secret id)."""
    if isinstance(value, (Sym, Unknown)) or not isinstance(value, str):
        return value if isinstance(value, (Sym, Unknown)) else Unknown(f"{ptype} target")
    partition = load_.deployment.partition
    if ptype == "AWS::S3::BucketPolicy":
        return value if value.startswith("arn:") else f"arn:{partition}:s3:::{value}"
    if ptype == "AWS::SQS::QueuePolicy" and value.startswith("https://"):
        host, account, name = value[len("https://"):].split("/")[:3]
        region = host.split(".")[1] if host.count(".") >= 2 else load_.deployment.region
        return f"arn:{partition}:sqs:{region}:{account}:{name}"
    return value


def _type_of(ptype: str) -> str:
    return {"AWS::S3::BucketPolicy": "AWS::S3::Bucket", "AWS::SQS::QueuePolicy": "AWS::SQS::Queue",
            "AWS::SNS::TopicPolicy": "AWS::SNS::Topic",
            "AWS::SecretsManager::ResourcePolicy": "AWS::SecretsManager::Secret"}[ptype]


def _account(arn: object, load_) -> str:
    """The account in the ARN, else (S3) the deploying account."""
    return account_of(str(arn)) or load_.deployment.account if isinstance(arn, str) else load_.deployment.account
