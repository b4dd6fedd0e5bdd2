"""`AWS::Serverless::Connector` (and `Connectors:` embedded in a resource) → the IAM policy,
Lambda permission, SNS topic policy or SQS queue policy SAM writes for "Source may Read/Write
Destination", from SAM's connector profiles (data/sam/connector_profiles.json).

Connectors are expanded last, against the template as expanded so far, as SAM does
(samtranslator 1.110.0 model/connector/connector.py, SamConnector in model/sam_resources.py).
"""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from typing import Any

from permcheck.load.nodes import LineDict, line_of
from permcheck.load.nodes import logical_id_of
from permcheck.load.sam.core import Ctx, check_properties, key_line, ref, resource
from permcheck.model.sam_data import DATA
from permcheck.load.sam.schema import RESOURCES

SAM_TO_CFN = {"AWS::Serverless::Function": "AWS::Lambda::Function",
              "AWS::Serverless::StateMachine": "AWS::StepFunctions::StateMachine",
              "AWS::Serverless::Api": "AWS::ApiGateway::RestApi",
              "AWS::Serverless::HttpApi": "AWS::ApiGatewayV2::Api",
              "AWS::Serverless::SimpleTable": "AWS::DynamoDB::Table"}


@lru_cache(maxsize=1)
def profiles() -> dict:
    return json.loads((DATA / "connector_profiles.json").read_text())


def embedded(ctx: Ctx, resources: dict, into: dict) -> None:
    """`Connectors:` on a resource → connector resources `<Source><Name>` (Translator._get_embedded_connectors)."""
    for source_id, resource_ in resources.items():
        if not isinstance(resource_, dict) or "Connectors" not in resource_:
            continue
        connectors = resource_["Connectors"]
        at = line_of(connectors, ctx.resource_line(source_id))
        if not isinstance(connectors, dict):
            raise ctx.fail(at, source_id, f"Attribute '{source_id}.Connectors' should be a map.")
        for name, connector in connectors.items():
            full_id = source_id + name
            line = key_line(connectors, name, at)
            if not isinstance(connector, dict):
                raise ctx.fail(line, full_id, f"{source_id}.{full_id} should be a map.")
            props = connector.get("Properties")
            if not isinstance(props, dict):
                raise ctx.fail(line, source_id, f"Attribute 'Connectors.{name}.Properties' should be a map.")
            props = LineDict(props, line=line_of(props, line), key_lines=dict(getattr(props, "key_lines", {})))
            source = LineDict({"Id": source_id}, line=line)
            if "SourceReference" in props:
                reference = props.pop("SourceReference")
                if not isinstance(reference, dict):
                    raise ctx.fail(line, source_id, f"Attribute 'Connectors.{name}.Properties.SourceReference' "
                                                    "should be a map.")
                if "Id" in reference:
                    raise ctx.fail(line, name, "'Id' shouldn't be defined in 'SourceReference'.")
                source.update(reference)
            props["Source"] = source
            if full_id in resources or full_id in into:
                raise ctx.fail(line, None, f"Transforming resource with id [{source_id}] attempts to create a new "
                                           f"resource with id [{full_id}] and type \"AWS::Serverless::Connector\". "
                                           "A resource with that id already exists within this template. Please use "
                                           "a different id for that resource.")
            out = LineDict(connector, line=line, key_lines=dict(getattr(connector, "key_lines", {})))
            out["Type"] = "AWS::Serverless::Connector"
            out["Properties"] = props
            out["__embedded_in__"] = f"{source_id}.Connectors.{name}"
            into[full_id] = out


def expand_connector(ctx: Ctx, connector_id: str, sam: LineDict) -> None:
    props = sam.get("Properties", LineDict(line=line_of(sam)))
    at = line_of(sam, ctx.resource_line(connector_id))
    where = sam.get("__embedded_in__") or connector_id
    check_properties(ctx, props, RESOURCES["AWS::Serverless::Connector"], connector_id,
                     "AWS::Serverless::Connector", sam)
    destinations = props.get("Destination")
    multi = isinstance(destinations, list)
    if not multi:
        destinations = [destinations]
    if not destinations:
        raise ctx.fail(at, connector_id, "'Destination' is an empty list")
    attrs = {k: sam[k] for k in ("Condition", "DeletionPolicy", "UpdateReplacePolicy", "DependsOn") if k in sam}
    for index, dest in enumerate(destinations):
        destination = _reference(ctx, connector_id, dest, props.get("Source"), at)
        source = _reference(ctx, connector_id, props.get("Source"), dest, at)
        _generate(ctx, connector_id, props, source, destination, index, multi, attrs, at, where)


def _reference(ctx: Ctx, connector_id: str, obj: Any, other: Any, at: int | None) -> dict:
    """get_resource_reference: what a Source/Destination names (its type, ARN, role, ...)."""
    if not isinstance(obj, dict):
        raise ctx.fail(at, connector_id, "Must provide 'Id' (with optional 'Qualifier') or a supported combination "
                                         "of other properties.")
    has_id = "Id" in obj
    others = [k for k in obj if k not in ("Id", "Qualifier")]
    if has_id == bool(others):
        raise ctx.fail(at, connector_id, "Must provide 'Id' (with optional 'Qualifier') or a supported combination "
                                         "of other properties.")
    logical_id = obj.get("Id")
    if not logical_id:
        rtype = obj.get("Type")
        if not isinstance(rtype, str) or not rtype:
            raise ctx.fail(at, connector_id, "'Type' is missing or not a string.")
        return {"id": None, "type": SAM_TO_CFN.get(rtype, rtype), "Arn": obj.get("Arn"),
                "role": obj.get("RoleName"), "Url": obj.get("QueueUrl"), "Id": obj.get("ResourceId"),
                "Name": obj.get("Name"), "Qualifier": obj.get("Qualifier")}
    if not isinstance(logical_id, str):
        raise ctx.fail(at, connector_id, "'Id' is missing or not a string.")
    target = ctx.out.get(logical_id)
    if not isinstance(target, dict):
        raise ctx.fail(at, connector_id, f"Unable to find resource with logical ID '{logical_id}'.")
    rtype = target.get("Type")
    if not isinstance(rtype, str) or not rtype:
        raise ctx.fail(at, connector_id, "'Type' is missing or not a string.")
    cfn = profiles()["CfnResourceProperties"].get(rtype, {})
    outputs = _replace(copy.deepcopy(cfn.get("Outputs", {})), {"logicalId": logical_id})
    properties = target.get("Properties", {}) if isinstance(target.get("Properties"), dict) else {}
    role = None
    role_input = cfn.get("Inputs", {}).get("Role")
    if isinstance(role_input, str):
        role = properties.get(role_input)
    elif isinstance(role_input, dict) and role_input.get("Function") == "GetEventsRuleRole":
        targets = properties.get("Targets", [])
        for item in targets if isinstance(targets, list) else []:
            if not isinstance(item, dict):
                continue
            arn = item.get("Arn")
            target_id = logical_id_of(arn)
            if (target_id and isinstance(other, dict) and target_id == other.get("Id")) or \
                    (isinstance(other, dict) and other.get("Arn") and arn == other.get("Arn")):
                role = item.get("RoleArn")
                break
    role_id = logical_id_of(role) if role else None
    qualifier = obj["Qualifier"] if "Qualifier" in obj else outputs.get("Qualifier")
    return {"id": logical_id, "type": rtype, "Arn": outputs.get("Arn"), "role": ref(role_id) if role_id else None,
            "Url": outputs.get("Url"), "Id": outputs.get("Id"), "Name": outputs.get("Name"), "Qualifier": qualifier}


def _generate(ctx: Ctx, connector_id: str, props: dict, source: dict, destination: dict, index: int, multi: bool,
              attrs: dict, at: int | None, where: str) -> None:
    profile = copy.deepcopy(profiles()["Permissions"].get(source["type"], {}).get(destination["type"]))
    if not profile:
        raise ctx.fail(at, connector_id, f"Unable to create connector from {source['type']} to {destination['type']}; "
                                         "it's not supported or the template is invalid.")
    permissions = props.get("Permissions") or []
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        raise ctx.fail(at, connector_id, "Type of property 'Permissions' is invalid.")
    permissions = sorted(set(permissions))
    properties = profile["Properties"]
    categories = properties["AccessCategories"]
    valid = ", ".join(categories)
    if not permissions:
        raise ctx.fail(at, connector_id, f"'Permissions' cannot be empty; valid values are: {valid}.")
    for permission in permissions:
        if permission not in categories:
            raise ctx.fail(at, connector_id, f"Unsupported 'Permissions' provided for connector from {source['type']} "
                                             f"to {destination['type']}; valid values are: {valid}.")
    combinations = properties.get("ValidAccessCategories")
    if combinations and permissions not in [sorted(c) for c in combinations]:
        text = ", ".join(" + ".join(sorted(c)) for c in combinations)
        raise ctx.fail(at, connector_id, f"Unsupported 'Permissions' provided for connector from {source['type']} to "
                                         f"{destination['type']}; valid combinations are: {text}.")
    replacement = {"Source.Arn": source["Arn"], "Destination.Arn": destination["Arn"],
                   "Source.ResourceId": source["Id"], "Destination.ResourceId": destination["Id"],
                   "Source.Name": source["Name"], "Destination.Name": destination["Name"],
                   "Source.Qualifier": source["Qualifier"], "Destination.Qualifier": destination["Qualifier"]}
    try:
        properties = _replace(properties, replacement)
    except ValueError as error:
        raise ctx.fail(at, connector_id, str(error)) from None
    left = re.findall(r"%{[\w\.]+}", json.dumps(properties))
    if left:
        raise ctx.fail(at, connector_id, f"The following variables have not been replaced: {left}")
    kind = profile["Type"]
    source_side = properties["SourcePolicy"]
    holder = source if source_side else destination
    side = "Source" if source_side else "Destination"
    suffix = f"Destination{index}" if multi else ""
    note = f"created by SAM: {where} (Connector {' + '.join(permissions)} from {source.get('id') or source['type']} " \
           f"to {destination.get('id') or destination['type']})"

    def document() -> dict:
        statements = []
        for name, category in properties["AccessCategories"].items():
            if name in permissions:
                statements.extend(category["Statement"])
        return {"Version": "2012-10-17", "Statement": statements}

    if kind == "AWS_IAM_ROLE_MANAGED_POLICY":
        if not holder["role"]:
            raise ctx.fail(at, connector_id, f"Unable to get IAM role name from '{side}' resource.")
        policy_id = f"{connector_id}Policy{suffix}"
        ctx.add(policy_id, resource("AWS::IAM::ManagedPolicy", {"PolicyDocument": document(),
                                                               "Roles": [holder["role"]]}, at, note, attrs),
                connector_id)
    elif kind == "AWS_LAMBDA_PERMISSION":
        if not holder["Arn"]:
            raise ctx.fail(at, connector_id, f"Unable to get Lambda function ARN from '{side}' resource.")
        for name, category in properties["AccessCategories"].items():
            if name not in permissions:
                continue
            permission: dict = {"Action": category["Action"], "FunctionName": holder["Arn"],
                                "Principal": category["Principal"], "SourceArn": category["SourceArn"]}
            if category.get("SourceAccount") is not None:
                permission["SourceAccount"] = category["SourceAccount"]
            ctx.add(f"{connector_id}{name}LambdaPermission{suffix}",
                    resource("AWS::Lambda::Permission", permission, at, note, attrs), connector_id)
    elif kind == "AWS_SNS_TOPIC_POLICY":
        if not holder["Arn"]:
            raise ctx.fail(at, connector_id, f"Unable to get SNS topic ARN from '{side}' resource.")
        ctx.add(f"{connector_id}TopicPolicy{suffix}", resource("AWS::SNS::TopicPolicy", {
            "Topics": [holder["Arn"]], "PolicyDocument": document()}, at, note, attrs), connector_id)
    elif kind == "AWS_SQS_QUEUE_POLICY":
        if not holder["Url"]:
            raise ctx.fail(at, connector_id, f"Unable to get SQS queue URL from '{side}' resource.")
        ctx.add(f"{connector_id}QueuePolicy{suffix}", resource("AWS::SQS::QueuePolicy", {
            "Queues": [holder["Url"]], "PolicyDocument": document()}, at, note, attrs), connector_id)
    else:
        raise ctx.fail(at, connector_id, f"connector profile type {kind} is not supported by permcheck")


def _replace(value: Any, replacements: dict) -> Any:
    """profile_replace: `%{Source.Arn}` → the value, or an `Fn::Sub` when it is part of a string."""
    if isinstance(value, dict):
        return {k: _replace(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, replacements) for v in value]
    if not isinstance(value, str):
        return value
    variables = {}
    for key, replacement in replacements.items():
        pattern = "%{" + key + "}"
        name = "".join(c for c in key if c.isalnum())
        if pattern in value and replacement is None:
            raise ValueError(f"{key} is missing.")
        if pattern == value:
            return replacement
        if pattern in value:
            value = value.replace(pattern, "${" + name + "}")
            variables[name] = replacement
    if re.search(r"\${.+}", value):
        return {"Fn::Sub": [value, variables]} if variables else {"Fn::Sub": value}
    return value
