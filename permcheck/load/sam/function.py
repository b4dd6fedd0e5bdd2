"""`AWS::Serverless::Function` → the Lambda function, its execution role, alias/version, URL,
event-invoke destinations and every event's permission (SamFunction.to_cloudformation of
aws-sam-translator 1.110.0, model/sam_resources.py).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

from permcheck.load.nodes import LineDict, line_of
from permcheck.load.sam.core import (
    Ctx, check_properties, get_att, is_if, is_no_value, key_line, logical_id_hash, node, passthrough, plain, ref,
    resolve_mappings, resolve_params, resource,
)
from permcheck.load.sam.events.base import RoleBuilder, Target, role_properties
from permcheck.load.sam.events.dispatch import function_events
from permcheck.load.sam.events.poll import destination_policy_for
from permcheck.load.sam.policies import aws_managed, role_policies
from permcheck.load.sam.schema import RESOURCES, is_intrinsic

ALIAS_NAME = re.compile(r"(?!^[0-9]+$)([a-zA-Z0-9\-_]+)$")


def lambda_trust() -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}}]}


def expand_function(ctx: Ctx, fn_id: str, sam: LineDict, deployments: dict) -> None:
    props = sam.get("Properties", LineDict(line=line_of(sam)))
    at = ctx.resource_line(fn_id) or line_of(sam)
    check_properties(ctx, props, RESOURCES["AWS::Serverless::Function"], fn_id, "AWS::Serverless::Function", sam)
    _validation_rules(ctx, fn_id, props, at)
    attrs = passthrough(sam)
    note = f"created by SAM: {fn_id} (AWS::Serverless::Function)"

    dlq = props.get("DeadLetterQueue")
    if dlq:
        _validate_dlq(ctx, fn_id, dlq, at)
    _tenancy(ctx, fn_id, props, at)
    _code(ctx, fn_id, props, sam.get("Metadata"), at)
    check_tags(ctx, fn_id, props, at)

    function: dict = {}
    if props.get("FunctionName"):
        function["FunctionName"] = props["FunctionName"]
    role = props.get("Role")
    if role is not None:
        function["Role"] = role
    fn_resource = resource("AWS::Lambda::Function", function, at, note,
                           {k: sam[k] for k in ("Condition", "DeletionPolicy", "UpdateReplacePolicy", "DependsOn",
                                                "Metadata") if k in sam})
    ctx.add(fn_id, fn_resource, fn_id, at)

    if props.get("ProvisionedConcurrencyConfig") and not props.get("AutoPublishAlias"):
        raise ctx.fail(at, fn_id, "To set ProvisionedConcurrencyConfig AutoPublishALias must be defined on the function")

    alias_id = None
    alias_name = ""
    if props.get("AutoPublishAlias"):
        alias_name, alias_id = _alias(ctx, fn_id, props, attrs, at)

    target = Target(fn_id, ref(alias_id) if alias_id else ref(fn_id),
                    ref(alias_id) if alias_id else get_att(fn_id, "Arn"), attrs, alias_id)

    url_config = props.get("FunctionUrlConfig")
    if url_config:
        _function_url(ctx, fn_id, url_config, target, attrs, key_line(props, "FunctionUrlConfig", at))

    _deployment_preference(ctx, fn_id, props, alias_id, deployments, at, sam)

    invoke_policies: list = []
    if props.get("EventInvokeConfig"):
        invoke_policies = _event_invoke_config(ctx, fn_id, props, alias_name, alias_id, attrs, at)

    role_builder = _role(ctx, fn_id, props, invoke_policies, at)
    function_events(ctx, fn_id, props, target, role_builder)

    role_value = fn_resource["Properties"].get("Role")
    if role_value is None:
        fn_resource["Properties"]["Role"] = node(get_att(role_builder.logical_id, "Arn"), at)
        fn_resource["Properties"].key_lines["Role"] = at
        _emit_role(ctx, fn_id, props, role_builder, attrs, at)
    elif is_if(role_value):
        _conditional_role(ctx, fn_id, props, fn_resource, role_builder, attrs, at)


RESERVED_TAGS = ("lambda:createdBy", "serverlessrepo:applicationId", "serverlessrepo:semanticVersion")


def check_tags(ctx: Ctx, logical_id: str, props: dict, at: int | None) -> None:
    """SamResourceMacro._check_tag: SAM sets these tags itself."""
    tags = props.get("Tags")
    for tag in RESERVED_TAGS:
        if isinstance(tags, dict) and tag in tags:
            raise ctx.fail(key_line(props, "Tags", at), logical_id, f"{tag} is a reserved Tag key name and cannot be "
                                                                   "set on your resource. Please change the tag key "
                                                                   "in the input.")


def _validation_rules(ctx: Ctx, fn_id: str, props: dict, at: int | None) -> None:
    messages = []
    for first, second in (("CapacityProviderConfig", "ProvisionedConcurrencyConfig"),
                          ("CapacityProviderConfig", "VpcConfig")):
        if props.get(first) is not None and props.get(second) is not None:
            messages.append(f"Cannot specify '{first}' and '{second}' together.")
    for needs, needed in (("FunctionScalingConfig", "CapacityProviderConfig"),
                          ("VersionDeletionPolicy", "AutoPublishAlias")):
        if props.get(needs) is not None and props.get(needed) is None:
            messages.append(f"'{needs}' requires '{needed}'.")
    if messages:
        raise ctx.fail(at, fn_id, "\n".join(messages))


def _validate_dlq(ctx: Ctx, fn_id: str, dlq: Any, at: int | None) -> None:
    kind = dlq.get("Type") if isinstance(dlq, dict) else None
    if not isinstance(dlq, dict) or not kind or not dlq.get("TargetArn"):
        raise ctx.fail(at, fn_id, "'DeadLetterQueue' requires Type and TargetArn properties to be specified.")
    if not isinstance(kind, str):
        raise ctx.fail(at, fn_id, "Property 'DeadLetterQueue.Type' should be a string.")
    if kind not in ("SQS", "SNS"):
        raise ctx.fail(at, fn_id, "'DeadLetterQueue' requires Type of ['SQS', 'SNS']")


def _tenancy(ctx: Ctx, fn_id: str, props: dict, at: int | None) -> None:
    if not props.get("TenancyConfig"):
        return
    for key, what in (("ProvisionedConcurrencyConfig", "Provisioned concurrency"),
                      ("FunctionUrlConfig", "Function URL"), ("SnapStart", "SnapStart")):
        if props.get(key):
            raise ctx.fail(at, fn_id, f"{what} is not supported for functions enabled with tenancy configuration.")
    for event in (props.get("Events") or {}).values():
        kind = event.get("Type") if isinstance(event, dict) else None
        if kind not in ("Api", "HttpApi"):
            raise ctx.fail(at, fn_id, f"Event source '{kind}' is not supported for functions enabled with tenancy "
                                      "configuration. Only Api and HttpApi event sources are supported.")


def _code(ctx: Ctx, fn_id: str, props: dict, metadata: Any, at: int | None) -> None:
    """SAM's checks of the code and package type (they reject the template before any grant), on the
    template as the SAM CLI deploys it.

    The SAM CLI packages what a template leaves out: a Zip function without `CodeUri` or `InlineCode`
    gets the template's own folder (`upload_local_artifacts`: "if local_path is not passed and search
    returns nothing build the root directory and upload to S3", aws-sam-cli
    samcli/lib/package/utils.py), and an Image function without `ImageUri` is built by `sam build`
    from its `Metadata` `Dockerfile` and `DockerContext`
    (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-using-build.html,
    "Building a container image"). The code itself grants nothing, so either is read as deployed;
    an Image function with neither `ImageUri` nor that `Metadata` cannot be built or deployed.
    """
    package = props.get("PackageType") or "Zip"
    if package == "Zip":
        artifacts = {k: props.get(k) for k in ("InlineCode", "CodeUri") if props.get(k) is not None}
    elif package == "Image":
        artifacts = {k: props.get(k) for k in ("ImageUri",) if props.get(k) is not None}
    else:
        raise ctx.fail(at, fn_id, f"invalid 'PackageType' : {package}")
    if not artifacts:  # both InlineCode and CodeUri: SAM lets InlineCode win (its corpus: inline_precedence)
        if package == "Image" and not built_image(metadata):
            raise ctx.fail(at, fn_id, "'ImageUri' must be set (or `Metadata` with `Dockerfile` and `DockerContext`, "
                                      "from which `sam build` builds the image).")
    code_uri = props.get("CodeUri") if "InlineCode" not in artifacts else None
    if code_uri is not None:
        _s3_location(ctx, fn_id, code_uri, "CodeUri", at)
    if package == "Zip":
        if not props.get("Runtime") or not props.get("Handler"):
            raise ctx.fail(at, fn_id, "Runtime and Handler needs to be present when PackageType is of type `Zip`")
        if props.get("ImageUri") or props.get("ImageConfig"):
            raise ctx.fail(at, fn_id, "ImageUri or ImageConfig cannot be present when PackageType is of type `Zip`")
    else:
        if props.get("Handler") or props.get("Runtime") or props.get("Layers"):
            raise ctx.fail(at, fn_id, "Runtime, Handler, Layers cannot be present when PackageType is of type `Image`")


def built_image(metadata: Any) -> bool:
    """Whether `sam build` builds this function's image: `Metadata` names a Dockerfile and a context
    (the SAM CLI refuses to build an image without both)."""
    return isinstance(metadata, dict) and bool(metadata.get("Dockerfile")) and bool(metadata.get("DockerContext"))


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


def _role(ctx: Ctx, fn_id: str, props: dict, invoke_policies: list, at: int | None) -> RoleBuilder:
    """SamFunction._construct_role: the role as SAM builds it before the events add to it."""
    builder = RoleBuilder(f"{fn_id}Role")
    basic = "service-role/AWSLambdaBasicDurableExecutionRolePolicy" if props.get("DurableConfig") \
        else "service-role/AWSLambdaBasicExecutionRole"
    builder.add_managed(aws_managed(ctx, basic), at)
    tracing = props.get("Tracing")
    if tracing and resolve_params(ctx, tracing) != "Disabled":
        xray = "AWSXrayWriteOnlyAccess" if ctx.deployment.partition == "aws" else "AWSXRayDaemonWriteAccess"
        builder.add_managed(aws_managed(ctx, xray), key_line(props, "Tracing", at))
    if props.get("VpcConfig"):
        builder.add_managed(aws_managed(ctx, "service-role/AWSLambdaVPCAccessExecutionRole"),
                            key_line(props, "VpcConfig", at))
    dlq = props.get("DeadLetterQueue")
    if dlq:
        action = {"SQS": "sqs:SendMessage", "SNS": "sns:Publish"}[dlq["Type"]]
        builder.documents.append(node({"PolicyName": "DeadLetterQueuePolicy", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Action": action, "Resource": dlq["TargetArn"],
                                                    "Effect": "Allow"}]}}, key_line(props, "DeadLetterQueue", at)))
    builder.documents.extend(invoke_policies)
    role_policies(ctx, props.get("Policies"), props, builder.logical_id, fn_id, builder.managed,
                  builder.managed_lines, builder.documents, "AWS::Serverless::Function")
    return builder


def _emit_role(ctx: Ctx, fn_id: str, props: dict, builder: RoleBuilder, attrs: dict, at: int | None,
               condition: Any = None) -> None:
    trust = props.get("AssumeRolePolicyDocument")
    role = role_properties(builder, trust if trust is not None else lambda_trust(), props, at)
    attributes = dict(attrs)
    if condition is not None:
        attributes["Condition"] = condition
    note = f"created by SAM: {fn_id} execution role (Policies, Events and the implicit AWSLambdaBasicExecutionRole)"
    ctx.add(builder.logical_id, resource("AWS::IAM::Role", role, at, note, attributes), fn_id, at)


def _conditional_role(ctx: Ctx, fn_id: str, props: dict, fn_resource: LineDict, builder: RoleBuilder, attrs: dict,
                      at: int | None) -> None:
    """`Role: !If [C, X, !Ref AWS::NoValue]`: SAM creates its role for the branch without a role."""
    items = resolve_params(ctx, fn_resource["Properties"]["Role"])["Fn::If"]
    if not isinstance(items, list) or len(items) != 3:
        raise ctx.fail(at, fn_id, "Malformed 'Role' property: Fn::If requires 3 arguments.")
    condition, then, other = items
    if not isinstance(condition, str):
        raise ctx.fail(at, fn_id, "Malformed 'Role' property: the Fn::If condition must be a name.")
    arn = get_att(builder.logical_id, "Arn")
    if is_no_value(then) and is_no_value(other):
        fn_resource["Properties"]["Role"] = node(arn, at)
        _emit_role(ctx, fn_id, props, builder, attrs, at)
    elif is_no_value(then):
        fn_resource["Properties"]["Role"] = node({"Fn::If": [condition, arn, other]}, at)
        _emit_role(ctx, fn_id, props, builder, attrs, at, condition=condition)
    elif is_no_value(other):
        fn_resource["Properties"]["Role"] = node({"Fn::If": [condition, then, arn]}, at)
        ctx.conditions[f"NOT{condition}"] = node({"Fn::Not": [{"Condition": condition}]}, at)
        _emit_role(ctx, fn_id, props, builder, attrs, at, condition=f"NOT{condition}")

