"""`AWS::Serverless::Function` → the Lambda function, its execution role, alias/version, URL,
event-invoke destinations and every event's permission (SamFunction.to_cloudformation of
aws-sam-translator 1.110.0, model/sam_resources.py).
"""

from __future__ import annotations

from typing import Any

from permcheck.load.nodes import LineDict
from permcheck.load.sam.core import (
    Ctx, get_att, is_if, is_no_value, key_line, node, opening, passthrough, ref, resolve_params, resource,
)
from permcheck.load.sam.events.base import RoleBuilder, Target, role_properties
from permcheck.load.sam.events.dispatch import function_events
from permcheck.load.sam.policies import aws_managed, role_policies
from permcheck.load.sam.function_parts import _alias, _deployment_preference, _event_invoke_config, _function_url, _s3_location


def lambda_trust() -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}}]}


def expand_function(ctx: Ctx, fn_id: str, sam: LineDict, deployments: dict) -> None:
    props, at = opening(ctx, fn_id, sam, "AWS::Serverless::Function")
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
