"""The other SAM resource types: StateMachine (its role and its events' roles), SimpleTable,
LayerVersion, Application and CapacityProvider (samtranslator 1.110.0: model/sam_resources.py,
model/stepfunctions/*, model/capacity_provider/*).
"""

from __future__ import annotations

from typing import Any

from permcheck.load.nodes import LineDict, LineList, line_of
from permcheck.load.sam import trigger_facts
from permcheck.load.sam.core import (
    Ctx, check_properties, get_att, key_line, opening, passthrough, ref, resource,
)
from permcheck.load.sam.events.base import Event, RoleBuilder, Target, _target_id, role_properties
from permcheck.load.sam.events.push import _validate_dlq
from permcheck.load.sam.events.scheduler import schedule_v2
from permcheck.load.sam.policies import aws_managed, role_policies
from permcheck.load.sam.schema import STATE_MACHINE_EVENTS

SFN = "AWS::Serverless::StateMachine"


def _attrs(sam: dict) -> dict:
    return {k: sam[k] for k in ("Condition", "DeletionPolicy", "UpdateReplacePolicy", "DependsOn", "Metadata")
            if k in sam}


def expand_state_machine(ctx: Ctx, sm_id: str, sam: LineDict) -> None:
    props, at = opening(ctx, sm_id, sam, SFN)
    attrs = passthrough(sam)
    note = f"created by SAM: {sm_id} (AWS::Serverless::StateMachine)"
    if props.get("Definition") is not None and props.get("DefinitionUri") is not None:
        raise ctx.fail(at, sm_id, "Specify either 'Definition' or 'DefinitionUri' property and not both.")
    uri = props.get("DefinitionUri")
    if props.get("Definition") is None:
        if uri is None:
            raise ctx.fail(at, sm_id, "Either 'Definition' or 'DefinitionUri' property must be specified.")
        from permcheck.load.sam.function import _s3_location
        if isinstance(uri, dict) and not (uri.get("Bucket") and uri.get("Key")):
            raise ctx.fail(at, sm_id, "'DefinitionUri' requires Bucket and Key properties to be specified.")
        if isinstance(uri, str):
            _s3_location(ctx, sm_id, uri, "DefinitionUri", at)
    if props.get("Role") and props.get("Policies"):
        raise ctx.fail(at, sm_id, "Specify either 'Role' or 'Policies' (but not both at the same time) or neither "
                                  "of them")
    machine: dict = {}
    for key, prop in (("StateMachineName", "Name"), ("StateMachineType", "Type")):
        if props.get(prop) is not None:
            machine[key] = props[prop]
    role_id = f"{sm_id}Role"
    machine["RoleArn"] = props["Role"] if props.get("Role") else get_att(role_id, "Arn")
    ctx.add(sm_id, resource("AWS::StepFunctions::StateMachine", machine, at, note, _attrs(sam)), sm_id)
    trigger_facts.state_machine(ctx, sm_id, props, note, sam.get("Condition"))
    if not props.get("Role"):
        builder = RoleBuilder(role_id)
        policies = props.get("Policies") or []
        tracing = props.get("Tracing")
        extra = []
        if isinstance(tracing, dict) and tracing.get("Enabled") is True:
            extra.append("AWSXrayWriteOnlyAccess" if ctx.deployment.partition == "aws" else "AWSXRayDaemonWriteAccess")
        if extra:
            items = list(policies) if isinstance(policies, list) else [policies]
            lines = list(policies.item_lines) if isinstance(policies, LineList) else [key_line(props, "Policies", at)]
            policies = LineList(items + extra, line=line_of(policies, at),
                                item_lines=lines + [key_line(props, "Tracing", at)] * len(extra))
            props = LineDict(props, line=props.line, key_lines=dict(props.key_lines))
            props["Policies"] = policies
        role_policies(ctx, policies, props, role_id, sm_id, builder.managed, builder.managed_lines,
                      builder.documents, SFN)
        role = role_properties(builder, _trust("states.amazonaws.com"), props, at)
        ctx.add(role_id, resource("AWS::IAM::Role", role, at, f"created by SAM: {sm_id} execution role", attrs),
                sm_id)
    alias = props.get("AutoPublishAlias")
    if props.get("UseAliasAsEventTarget") and not alias:
        raise ctx.fail(at, sm_id, "'UseAliasAsEventTarget' requires 'AutoPublishAlias' property to be specified.")
    if not alias and props.get("DeploymentPreference"):
        raise ctx.fail(at, sm_id, "'DeploymentPreference' requires 'AutoPublishAlias' property to be specified.")
    target_arn = ref(sm_id)
    if alias:
        version_id, alias_id = f"{sm_id}Version", f"{sm_id}Alias{alias}"
        ctx.add(version_id, resource("AWS::StepFunctions::StateMachineVersion", {"StateMachineArn": ref(sm_id)},
                                     at, note, attrs), sm_id)
        ctx.add(alias_id, resource("AWS::StepFunctions::StateMachineAlias", {"Name": alias}, at, note, attrs), sm_id)
        ctx.refs[(sm_id, "Alias")] = alias_id
        ctx.refs[(sm_id, "Version")] = version_id
        if props.get("UseAliasAsEventTarget"):
            target_arn = ref(alias_id)
    events = props.get("Events") or {}
    for name, event in events.items():
        _state_machine_event(ctx, sm_id, name, event, key_line(events, name, at), target_arn, attrs, props)


def _trust(service: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": [service]}}]}


def _state_machine_event(ctx: Ctx, sm_id: str, name: str, event: Any, at: int | None, target_arn: Any,
                         attrs: dict, sm_props: dict) -> None:
    etype = event.get("Type") if isinstance(event, dict) else None
    if not isinstance(etype, str) or etype not in STATE_MACHINE_EVENTS:
        raise ctx.fail(at, sm_id, f"Resource dict has missing or invalid value for key Type. Event Type is: {etype}.",
                       name)
    props = event.get("Properties", {})
    event_id = sm_id + name
    if not isinstance(props, dict):
        raise ctx.fail(at, sm_id, "Properties should be a map.", name)
    check_properties(ctx, props, STATE_MACHINE_EVENTS[etype], event_id, etype, event)
    ev = Event(ctx, sm_id, name, etype, props, at, Target(sm_id, target_arn, target_arn, attrs), RoleBuilder(""))
    boundary = sm_props.get("PermissionsBoundary")
    if etype == "ScheduleV2":
        schedule_v2(ev, {"PolicyName": event_id + "StartExecutionPolicy", "PolicyDocument": {"Statement": [
            {"Action": "states:StartExecution", "Effect": "Allow", "Resource": target_arn}]}},
            "start the state machine")
        return
    principal = "apigateway.amazonaws.com" if etype == "Api" else "events.amazonaws.com"
    role_id = event_id + "Role"
    if not (etype == "Schedule" and props.get("RoleArn") is not None):
        role: dict = {"AssumeRolePolicyDocument": _trust(principal), "Policies": [
            {"PolicyName": role_id + "StartExecutionPolicy", "PolicyDocument": {"Statement": [
                {"Action": "states:StartExecution", "Effect": "Allow", "Resource": target_arn}]}}]}
        if boundary:
            role["PermissionsBoundary"] = boundary
        ev.add(role_id, "AWS::IAM::Role", role,
               note=f"{ev.note}: role {principal} assumes to start the state machine")
    if etype == "Api":
        from permcheck.load.sam.events.api import _api_checks
        _api_checks(ev)
        return
    if etype == "Schedule":
        if props.get("State") and props.get("Enabled") is not None:
            raise ev.fail("State and Enabled Properties cannot both be specified.")
    rule: dict = {}
    if etype == "Schedule":
        rule["ScheduleExpression"] = props.get("Schedule")
        for key in ("Name", "Description"):
            if props.get(key) is not None:
                rule[key] = props[key]
    else:
        for key, prop in (("EventBusName", "EventBusName"), ("EventPattern", "Pattern"), ("Name", "RuleName")):
            if props.get(prop) is not None:
                rule[key] = props[prop]
    if props.get("State"):
        rule["State"] = props["State"]
    if props.get("Enabled") is not None:
        rule["State"] = "ENABLED" if props["Enabled"] else "DISABLED"
    spec = props.get("Target")
    target: dict = {"Arn": target_arn,
                    "Id": spec["Id"] if isinstance(spec, dict) and "Id" in spec else
                    _target_id(event_id, "StepFunctionsTarget"),
                    "RoleArn": props["RoleArn"] if props.get("RoleArn") is not None else get_att(role_id, "Arn")}
    dlq = props.get("DeadLetterConfig")
    if dlq is not None:
        _validate_dlq(ev, dlq)
        from permcheck.load.sam.events.push import _rule_dlq
        target["DeadLetterConfig"] = {"Arn": _rule_dlq(ev, dlq, get_att(event_id, "Arn"))}
    rule["Targets"] = [target]
    ev.add(event_id, "AWS::Events::Rule", rule)


def expand_simple_table(ctx: Ctx, table_id: str, sam: LineDict) -> None:
    props, at = opening(ctx, table_id, sam, "AWS::Serverless::SimpleTable")
    key = props.get("PrimaryKey")
    if key:
        if key.get("Name") is None:
            raise ctx.fail(at, table_id, "Property 'PrimaryKey.Name' is required.")
        if key.get("Type") is None:
            raise ctx.fail(at, table_id, "Property 'PrimaryKey.Type' is required.")
        if key["Type"] not in ("String", "Number", "Binary"):
            raise ctx.fail(at, table_id, f"Invalid 'Type' \"{key['Type']}\".")
    table: dict = {}
    if props.get("TableName"):
        table["TableName"] = props["TableName"]
    ctx.add(table_id, resource("AWS::DynamoDB::Table", table, at,
                               f"created by SAM: {table_id} (AWS::Serverless::SimpleTable)", _attrs(sam)), table_id)


def expand_layer(ctx: Ctx, layer_id: str, sam: LineDict) -> None:
    """A layer version; SAM grants no access to it (no LayerVersionPermission)."""
    props, at = opening(ctx, layer_id, sam, "AWS::Serverless::LayerVersion")
    from permcheck.load.sam.function import _s3_location
    _s3_location(ctx, layer_id, props.get("ContentUri"), "ContentUri", at)
    retention = props.get("RetentionPolicy")
    if isinstance(retention, str) and retention.lower() not in ("retain", "delete"):
        raise ctx.fail(at, layer_id, "'RetentionPolicy' must be one of the following options: ['Retain', 'Delete'].")
    ctx.add(layer_id, resource("AWS::Lambda::LayerVersion", {"LayerName": props.get("LayerName") or layer_id}, at,
                               f"created by SAM: {layer_id} (AWS::Serverless::LayerVersion)", _attrs(sam)), layer_id)


def expand_application(ctx: Ctx, app_id: str, sam: LineDict) -> None:
    """A nested stack: what it grants is in a template permcheck cannot see (left unknown)."""
    props, at = opening(ctx, app_id, sam, "AWS::Serverless::Application")
    from permcheck.load.sam.core import resolve_mappings
    location = resolve_mappings(ctx, props.get("Location"), key_line(props, "Location", at))
    if isinstance(location, dict) and not _intrinsic(location):
        app = location.get("ApplicationId")
        version = location.get("SemanticVersion")
        if app is None:
            raise ctx.fail(at, app_id, "Property 'ApplicationId' is required.")
        if version is None:
            raise ctx.fail(at, app_id, "Property 'SemanticVersion' is required.")
        if isinstance(app, str) and app.startswith("{{resolve:"):
            raise ctx.fail(at, app_id, "Serverless Application Repostiory does not support dynamic reference in "
                                       "'ApplicationId' property.")
        if isinstance(version, str) and not version.strip():
            raise ctx.fail(at, app_id, "Property 'SemanticVersion' cannot be blank.")
    stack: dict = {"TemplateURL": props.get("TemplateUrl") or (location if isinstance(location, str) else "")}
    if props.get("Parameters") is not None:
        stack["Parameters"] = props["Parameters"]
    ctx.add(app_id, resource("AWS::CloudFormation::Stack", stack, at,
                             f"created by SAM: {app_id} (AWS::Serverless::Application)", passthrough(sam)), app_id)


def _intrinsic(value: Any) -> bool:
    from permcheck.load.sam.schema import is_intrinsic
    return is_intrinsic(value)


def expand_capacity_provider(ctx: Ctx, cp_id: str, sam: LineDict) -> None:
    """The capacity provider and, unless OperatorRole is given, the operator role Lambda assumes."""
    props, at = opening(ctx, cp_id, sam, "AWS::Serverless::CapacityProvider")
    vpc = props.get("VpcConfig")
    if isinstance(vpc, dict) and vpc.get("SubnetIds") is None:
        raise ctx.fail(at, cp_id, "Property 'VpcConfig.SubnetIds' is required.")
    requirements = props.get("InstanceRequirements")
    if isinstance(requirements, dict) and requirements.get("AllowedTypes") and requirements.get("ExcludedTypes"):
        raise ctx.fail(at, cp_id, "Cannot specify 'InstanceRequirements.AllowedTypes' and "
                                  "'InstanceRequirements.ExcludedTypes' together.")
    note = f"created by SAM: {cp_id} (AWS::Serverless::CapacityProvider)"
    operator = props.get("OperatorRole")
    if not operator:
        role_id = f"{cp_id}OperatorRole"
        ctx.add(role_id, resource("AWS::IAM::Role", {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}}]},
            "ManagedPolicyArns": [aws_managed(ctx, "AWSLambdaManagedEC2ResourceOperator")]}, at,
            f"{note}: operator role", passthrough(sam)), cp_id)
        operator = get_att(role_id, "Arn")
    ctx.add(cp_id, resource("AWS::Lambda::CapacityProvider", {
        "PermissionsConfig": {"CapacityProviderOperatorRoleArn": operator}}, at, note, _attrs(sam)), cp_id)
