"""The parts of an AWS::Serverless::Function beside the function itself: its version and alias
(AutoPublishAlias), its URL, its deployment preference (CodeDeploy) and its asynchronous
invocation's destinations — each with what it grants."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

from permcheck.load.sam.core import (
    Ctx, get_att, is_if, is_no_value, key_line, logical_id_hash, node, plain, ref,
    resolve_mappings, resolve_params, resource,
)
from permcheck.load.sam.events.base import Target
from permcheck.load.sam.events.poll import destination_policy_for
from permcheck.load.sam.schema import is_intrinsic

ALIAS_NAME = re.compile(r"(?!^[0-9]+$)([a-zA-Z0-9\-_]+)$")


def _s3_location(ctx: Ctx, logical_id: str, uri: Any, name: str, at: int | None) -> dict | None:
    """construct_s3_location_object: an s3:// URI, or a mapping with Bucket and Key → the S3 pointer.
    A string without a scheme is a local path that `sam build`/`sam deploy` upload first (cfn-lint
    treats it the same way): None."""
    if isinstance(uri, dict):
        if not uri.get("Bucket") or not uri.get("Key"):
            raise ctx.fail(at, logical_id, f"'{name}' requires Bucket and Key properties to be specified.")
        pointer = {"S3Bucket": uri["Bucket"], "S3Key": uri["Key"]}
        if uri.get("Version"):
            pointer["S3ObjectVersion"] = uri["Version"]
        return pointer
    if not isinstance(uri, str):
        raise ctx.fail(at, logical_id, f"'{name}' must be of type dict or string.")
    if re.search(r"{{resolve:(ssm|ssm-secure|secretsmanager):[a-zA-Z0-9_.\-/]+(:\d+)?}}", uri) and \
            "/" in re.search(r"{{resolve:[^}]*}}", uri).group(0):
        raise ctx.fail(at, logical_id, f"Unsupported dynamic reference detected in '{name}'. Please consider using "
                                       "alternative 'FunctionCode' object format.")
    if "://" not in uri:
        return None
    try:
        url = urlparse(uri)
    except ValueError:
        url = None
    if url is None or url.scheme != "s3" or not url.netloc or not url.path:
        raise ctx.fail(at, logical_id, f"'{name}' is not a valid S3 Uri of the form 's3://bucket/key' with optional "
                                       "versionId query parameter.")
    pointer = {"S3Bucket": url.netloc, "S3Key": url.path.lstrip("/")}
    version = parse_qs(url.query).get("versionId")
    if version and len(version) == 1:
        pointer["S3ObjectVersion"] = version[0]
    return pointer


def _version_data(ctx: Ctx, fn_id: str, props: dict, at: int | None) -> dict:
    """What SAM hashes into the Version's logical id (SamFunction._construct_version)."""
    if props.get("InlineCode") is not None and (props.get("PackageType") or "Zip") == "Zip":
        code: dict = {"ZipFile": props["InlineCode"]}
    elif props.get("PackageType") == "Image":
        code = {"ImageUri": props.get("ImageUri")}
    else:
        code_uri = props.get("CodeUri", ".")  # no CodeUri: the SAM CLI packages the template's folder
        code = _s3_location(ctx, fn_id, code_uri, "CodeUri", at) or {"LocalPath": code_uri}
    if props.get("SourceKMSKeyArn") and (props.get("PackageType") or "Zip") == "Zip":
        code["SourceKMSKeyArn"] = props["SourceKMSKeyArn"]
    data = plain(resolve_params(ctx, code))
    if isinstance(props.get("Environment"), dict):
        data.update(plain(props["Environment"]))
    if props.get("MemorySize"):
        data["MemorySize"] = plain(props["MemorySize"])
    snap = props.get("SnapStart")
    if isinstance(snap, dict) and snap.get("ApplyOn", "None") != "None":
        data["SnapStart"] = plain(snap)
    return data


def _alias(ctx: Ctx, fn_id: str, props: dict, attrs: dict, at: int | None) -> tuple[str, str]:
    """AutoPublishAlias: a Version and an Alias `<Fn>Alias<Name>`; events then target the alias."""
    line = key_line(props, "AutoPublishAlias", at)
    name = resolve_params(ctx, props["AutoPublishAlias"])
    if not isinstance(name, str):
        raise ctx.fail(line, fn_id, "'AutoPublishAlias' must be a string or a Ref to a template parameter")
    sha = props.get("AutoPublishCodeSha256")
    if sha:
        sha = resolve_params(ctx, sha)
        if not isinstance(sha, str):
            raise ctx.fail(line, fn_id, "AutoPublishCodeSha256 must be a string")
    if not name:
        raise ctx.fail(line, fn_id, "Alias name is required to create an alias")
    if not ALIAS_NAME.match(name):
        raise ctx.fail(line, fn_id, f"AutoPublishAlias name ('{name}') must contain only alphanumeric characters, "
                                    "hyphens, or underscores matching (?!^[0-9]+$)([a-zA-Z0-9-_]+) pattern.")
    version_id = logical_id_hash(f"{fn_id}Version", _version_data(ctx, fn_id, props, line),
                                 sha if isinstance(sha, str) else None)
    note = f"created by SAM: {fn_id}.AutoPublishAlias ({name})"
    ctx.add(version_id, resource("AWS::Lambda::Version", {"FunctionName": ref(fn_id)}, line, note, attrs), fn_id)
    alias_id = f"{fn_id}Alias{name.replace('-', 'D').replace('_', 'U')}"
    ctx.add(alias_id, resource("AWS::Lambda::Alias", {"Name": name, "FunctionName": ref(fn_id),
                                                      "FunctionVersion": get_att(version_id, "Version")},
                               line, note, attrs), fn_id)
    ctx.refs[(fn_id, "Alias")] = alias_id
    ctx.refs[(fn_id, "Version")] = version_id
    return name, alias_id


def _function_url(ctx: Ctx, fn_id: str, config: Any, target: Target, attrs: dict, line: int | None) -> None:
    """FunctionUrlConfig: the URL; with AuthType NONE, SAM also lets anyone invoke through it."""
    if not is_intrinsic(config):
        auth = config.get("AuthType")
        if not is_intrinsic(auth) and auth not in ("AWS_IAM", "NONE"):
            raise ctx.fail(line, fn_id, "AuthType is required to configure function property `FunctionUrlConfig`. "
                                        "Please provide either AWS_IAM or NONE.")
        cors = config.get("Cors")
        if cors and not is_intrinsic(cors):
            if not isinstance(cors, dict):
                raise ctx.fail(line, fn_id, "Property 'FunctionUrlConfig.Cors' should be a map.")
            kinds = {"AllowOrigins": list, "AllowMethods": list, "AllowCredentials": bool, "AllowHeaders": list,
                     "ExposeHeaders": list, "MaxAge": int}
            for key, value in cors.items():
                if key not in kinds:
                    raise ctx.fail(line, fn_id, f"{key} is not a valid property for configuring Cors.")
                if not is_intrinsic(value) and not isinstance(value, kinds[key]):
                    raise ctx.fail(line, fn_id, f"{key} must be of type {kinds[key].__name__}.")
    auth_type = config.get("AuthType") if isinstance(config, dict) else None
    url: dict = {"AuthType": auth_type, "TargetFunctionArn": target.name}
    for key in ("Cors", "InvokeMode"):
        if isinstance(config, dict) and config.get(key) is not None:
            url[key] = config[key]
    note = f"created by SAM: {fn_id}.FunctionUrlConfig (AuthType {auth_type})"
    ctx.add(f"{fn_id}Url", resource("AWS::Lambda::Url", url, line, note, attrs), fn_id)
    if auth_type == "NONE" and not is_intrinsic(config):
        ctx.add(f"{fn_id}UrlPublicPermissions", resource("AWS::Lambda::Permission", {
            "Action": "lambda:InvokeFunctionUrl", "FunctionName": target.name, "Principal": "*",
            "FunctionUrlAuthType": "NONE"}, line, note, attrs), fn_id)
        ctx.add(f"{fn_id}URLInvokeAllowPublicAccess", resource("AWS::Lambda::Permission", {
            "Action": "lambda:InvokeFunction", "FunctionName": target.name, "Principal": "*",
            "InvokedViaFunctionUrl": True}, line, note, attrs), fn_id)


def _deployment_preference(ctx: Ctx, fn_id: str, props: dict, alias_id: str | None, deployments: dict,
                           at: int | None, sam: dict) -> None:
    preference = props.get("DeploymentPreference")
    if not preference:
        return
    line = key_line(props, "DeploymentPreference", at)
    enabled = resolve_mappings(ctx, preference.get("Enabled", True), line)
    enabled = False if enabled in ("false", "False") else enabled
    if "PassthroughCondition" in preference:
        value = resolve_mappings(ctx, preference["PassthroughCondition"], line)
        if value not in (True, "true", "True", False, "false", "False"):
            if is_intrinsic(value):
                raise ctx.fail(line, fn_id, "Unsupported intrinsic: the only intrinsic functions supported for "
                                            "property PassthroughCondition are FindInMap and parameter Refs.")
            raise ctx.fail(line, fn_id, "Invalid value for property PassthroughCondition.")
    if not enabled:
        deployments[fn_id] = None
        return
    if "Type" not in preference:
        raise ctx.fail(line, fn_id, "'DeploymentPreference' is missing required Property 'Type'")
    if not isinstance(preference.get("Hooks", {}), dict):
        raise ctx.fail(line, fn_id, "'Hooks' property of 'DeploymentPreference' must be a dictionary")
    if not props.get("AutoPublishAlias"):
        raise ctx.fail(line, fn_id, "'DeploymentPreference' requires AutoPublishAlias property to be specified.")
    alarms = preference.get("Alarms")
    if alarms and not is_no_value(alarms):
        branches = alarms["Fn::If"][1:] if is_if(alarms) and isinstance(alarms["Fn::If"], list) else [alarms]
        for branch in branches:
            if not isinstance(branch, list):
                raise ctx.fail(line, fn_id, "Alarms must be a list")
    deployments[fn_id] = {"role": preference.get("Role"), "line": line, "condition": sam.get("Condition")}


def _event_invoke_config(ctx: Ctx, fn_id: str, props: dict, alias_name: str, alias_id: str | None, attrs: dict,
                         at: int | None) -> list:
    """EventInvokeConfig destinations: the role may send to each; SAM creates missing SQS/SNS ones."""
    line = key_line(props, "EventInvokeConfig", at)
    config = resolve_params(ctx, props["EventInvokeConfig"])
    logical_id = f"{fn_id}EventInvokeConfig"
    policies = []
    destinations: dict = {}
    dest_config = config.get("DestinationConfig") if isinstance(config, dict) else None
    if dest_config:
        if not isinstance(dest_config, dict):
            raise ctx.fail(line, fn_id, "Property 'EventInvokeConfig.DestinationConfig' should be a map.")
        for which in ("OnSuccess", "OnFailure"):
            value = dest_config.get(which)
            if value is None:
                continue
            if not isinstance(value, dict):
                raise ctx.fail(line, fn_id, f"Property 'EventInvokeConfig.DestinationConfig.{which}' should be a map.")
            destination, policy = _destination(ctx, fn_id, value, which, logical_id, attrs, line)
            destinations[which] = {"Destination": destination}
            if policy:
                policies.append(node(policy, line))
    invoke: dict = {"FunctionName": ref(fn_id), "Qualifier": alias_name or "$LATEST",
                    "DestinationConfig": destinations}
    for key in ("MaximumEventAgeInSeconds", "MaximumRetryAttempts"):
        if isinstance(config, dict) and config.get(key) is not None:
            invoke[key] = config[key]
    ctx.add(logical_id, resource("AWS::Lambda::EventInvokeConfig", invoke, line,
                                 f"created by SAM: {fn_id}.EventInvokeConfig", attrs), fn_id)
    return policies


def _destination(ctx: Ctx, fn_id: str, config: dict, which: str, logical_id: str, attrs: dict,
                 line: int | None) -> tuple[Any, dict | None]:
    kinds = ["SQS", "SNS", "EventBridge", "Lambda", "S3Bucket"]
    kind = config.get("Type")
    if kind is None or kind not in kinds:
        raise ctx.fail(line, fn_id, f"'Type: {kind}' must be one of {kinds}")
    destination = config.get("Destination")
    resource_id = logical_id + which
    condition, if_arn = None, None
    if is_if(destination):
        items = destination["Fn::If"]
        if not isinstance(items, list) or len(items) != 3:
            raise ctx.fail(line, logical_id, "Malformed 'Destination' property: Fn::If requires 3 arguments.")
        if not isinstance(items[0], str):
            raise ctx.fail(line, logical_id, "Malformed 'Destination' property: the Fn::If condition must be a name.")
        if is_no_value(items[1]) and not is_no_value(items[2]):
            condition, if_arn = items[0], items[2]
        elif is_no_value(items[2]) and not is_no_value(items[1]):
            condition = "NOT" + items[0] + logical_id_hash("", logical_id)
            ctx.conditions[condition] = node({"Fn::Not": [{"Condition": items[0]}]}, line)
            if_arn = items[1]
    if destination is None or condition is not None:
        if kind not in ("SQS", "SNS"):
            raise ctx.fail(line, fn_id, "Destination is required if Type is not ['SQS', 'SNS']")
        rtype, suffix = ("AWS::SQS::Queue", "Queue") if kind == "SQS" else ("AWS::SNS::Topic", "Topic")
        new_attrs = dict(attrs)
        combined = _and_condition(ctx, attrs.get("Condition"), condition, fn_id, line)
        if combined:
            new_attrs["Condition"] = combined
        ctx.add(resource_id + suffix, resource(rtype, None, line, f"created by SAM: {fn_id}.EventInvokeConfig."
                                                                  f"{which} ({kind})", new_attrs), fn_id)
        ctx.refs[(fn_id, "DestinationQueue" if kind == "SQS" else "DestinationTopic")] = resource_id + suffix
        arn = get_att(resource_id + suffix, "Arn") if kind == "SQS" else ref(resource_id + suffix)
        destination = {"Fn::If": [condition, arn, if_arn]} if condition else arn
        return destination, destination_policy_for(kind, destination, resource_id)
    return destination, destination_policy_for(kind, destination, resource_id)


def _and_condition(ctx: Ctx, resource_condition: Any, property_condition: Any, fn_id: str,
                   line: int | None) -> Any:
    if resource_condition is None:
        return property_condition
    if property_condition is None:
        return resource_condition
    name = resource_condition + "AND" + property_condition + logical_id_hash("", fn_id)
    ctx.conditions[name] = node({"Fn::And": [{"Condition": resource_condition},
                                             {"Condition": property_condition}]}, line)
    return name
