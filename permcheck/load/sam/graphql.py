"""`AWS::Serverless::GraphQLApi` → the grants AppSync gets: Lambda authorizers' invoke permission,
the roles AppSync assumes for DynamoDB and Lambda data sources (through SAM connectors), and the
CloudWatch logging role (SamGraphQLApi in samtranslator 1.110.0 model/sam_resources.py).
Schema, resolvers, functions, keys, caches and domains grant nothing and are not generated.
"""

from __future__ import annotations

from typing import Any

from permcheck.load.nodes import LineDict
from permcheck.load.sam.core import Ctx, get_att, opening, key_line, node, ref, resource, sub

GRAPHQL = "AWS::Serverless::GraphQLApi"
SCHEMA = {name: (name == "Auth", "any") for name in (
    "Name", "Tags", "XrayEnabled", "Auth", "SchemaInline", "SchemaUri", "Logging", "DataSources", "Functions",
    "Resolvers", "ApiKeys", "DomainName", "Cache", "Visibility", "OwnerContact", "IntrospectionConfig",
    "QueryDepthLimit", "ResolverCountLimit")}
AUTH_TYPES = ("AWS_IAM", "API_KEY", "AWS_LAMBDA", "OPENID_CONNECT", "AMAZON_COGNITO_USER_POOLS")
AUTH_CONFIG = {"AWS_LAMBDA": "LambdaAuthorizer", "OPENID_CONNECT": "OpenIDConnect",
               "AMAZON_COGNITO_USER_POOLS": "UserPool"}


def _trust() -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["appsync.amazonaws.com"]}}]}


def expand_graphql_api(ctx: Ctx, api_id: str, sam: LineDict) -> None:
    from permcheck.load.sam.connectors import expand_connector
    props, at = opening(ctx, api_id, sam, GRAPHQL, SCHEMA)
    attrs = {k: sam[k] for k in ("Condition", "DeletionPolicy", "UpdateReplacePolicy", "Metadata") if k in sam}
    note = f"created by SAM: {api_id} (AWS::Serverless::GraphQLApi)"
    auth = props.get("Auth")
    if not isinstance(auth, dict):
        raise ctx.fail(at, api_id, "Property 'Auth' is invalid.")
    authorizers = [(auth, None)] + [(a, i) for i, a in enumerate(auth.get("Additional") or [])]
    lambda_arns = []
    for config, index in authorizers:
        if not isinstance(config, dict):
            raise ctx.fail(at, api_id, f"Property 'Auth.Additional.{index}' is invalid.")
        kind = config.get("Type")
        if kind not in AUTH_TYPES:
            path = "Auth.Type" if index is None else f"Auth.Additional.{index}.Type"
            raise ctx.fail(at, api_id, f"Property '{path}' is invalid.")
        present = [k for k, v in config.items() if v is not None and k != "Additional"]
        if len(present) > 2:
            path = "'Auth'" if not index else f"'Auth.Additional.{index}'"
            raise ctx.fail(at, api_id, f"{path} has more than one authentication configuration defined.")
        needed = AUTH_CONFIG.get(kind)
        if needed and config.get(needed) is None:
            raise ctx.fail(at, api_id, f"'{needed}' must be defined if type is '{kind}'.")
        if kind == "AWS_LAMBDA":
            uri = config[needed].get("AuthorizerUri") if isinstance(config[needed], dict) else None
            if uri is None:
                raise ctx.fail(at, api_id, "Property 'Auth.LambdaAuthorizer.AuthorizerUri' is invalid.")
            lambda_arns.append((uri, key_line(config, needed, at)))
    api: dict = {"Name": props.get("Name") or api_id, "AuthenticationType": auth.get("Type")}
    if auth.get("Additional"):  # the modes a request may use: who can reach the API's data sources
        api["AdditionalAuthenticationProviders"] = [{"AuthenticationType": a.get("Type")} for a in auth["Additional"]]
    logging = props.get("Logging")
    role_arn = logging.get("CloudWatchLogsRoleArn") if isinstance(logging, dict) else None
    if not (isinstance(logging, bool) and logging is False) and not role_arn:
        role_id = f"{api_id}CloudWatchRole"
        ctx.add(role_id, resource("AWS::IAM::Role", {
            "AssumeRolePolicyDocument": _trust(),
            "ManagedPolicyArns": [sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSAppSyncPushToCloudWatchLogs")]},
            key_line(props, "Logging", at), f"{note}: CloudWatch Logs role", attrs), api_id)
        api["LogConfig"] = {"CloudWatchLogsRoleArn": get_att(role_id, "Arn")}
    ctx.add(api_id, resource("AWS::AppSync::GraphQLApi", api, at, note, attrs), api_id)
    for number, (arn, line) in enumerate(lambda_arns, 1):
        connector_id = f"{api_id}ToLambdaAuthConnector{number}"
        expand_connector(ctx, connector_id, _connector(
            {"Type": "AWS::AppSync::GraphQLApi", "Arn": ref(api_id), "ResourceId": get_att(api_id, "ApiId")},
            {"Type": "AWS::Lambda::Function", "Arn": arn}, ["Write"], line, f"{api_id}.Auth (Lambda authorizer)"))
    sources = props.get("DataSources") or {}
    if not isinstance(sources, dict):
        raise ctx.fail(at, api_id, "Property 'DataSources' is invalid.")
    for kind, label in (("DynamoDb", "DynamoDB"), ("Lambda", "Lambda")):
        entries = sources.get(kind) or {}
        if not isinstance(entries, dict):
            raise ctx.fail(at, api_id, f"Property 'DataSources.{kind}' is invalid.")
        for name, source in entries.items():
            line = key_line(entries, name, at)
            if not isinstance(source, dict):
                raise ctx.fail(line, api_id, f"Property 'DataSources.{kind}.{name}' is invalid.")
            _data_source(ctx, api_id, kind, label, name, source, line, attrs, note)


def _data_source(ctx: Ctx, api_id: str, kind: str, label: str, name: str, source: dict, line: int | None,
                 attrs: dict, note: str) -> None:
    from permcheck.load.sam.connectors import expand_connector
    ds_id = f"{api_id}{name}{label}DataSource"
    required = "TableName" if kind == "DynamoDb" else "FunctionArn"
    if source.get(required) is None:
        raise ctx.fail(line, api_id, f"Property 'DataSources.{kind}.{name}.{required}' is invalid.")
    role_arn = source.get("ServiceRoleArn")
    data_source: dict = {"Name": source.get("Name") or name, "ApiId": get_att(api_id, "ApiId"),
                         "Type": "AMAZON_DYNAMODB" if kind == "DynamoDb" else "AWS_LAMBDA"}
    if not role_arn:
        role_id = f"{ds_id}Role"
        ctx.add(role_id, resource("AWS::IAM::Role", {"AssumeRolePolicyDocument": _trust()}, line,
                                  f"created by SAM: {api_id}.DataSources.{kind}.{name}: role AppSync assumes", attrs),
                api_id)
        role_arn = get_att(role_id, "Arn")
        if kind == "DynamoDb":
            table = source.get("TableArn") or sub(
                "arn:${AWS::Partition}:dynamodb:${__Region__}:${AWS::AccountId}:table/${__TableName__}",
                {"__TableName__": source.get("TableName"), "__Region__": source.get("Region") or ref("AWS::Region")})
            destination = {"Type": "AWS::DynamoDB::Table", "Arn": table}
            permissions = source.get("Permissions") or ["Read", "Write"]
            connector_id = f"{ds_id}ToTableConnector"
        else:
            destination = {"Type": "AWS::Lambda::Function", "Arn": source.get("FunctionArn")}
            permissions = ["Write"]
            connector_id = f"{ds_id}ToLambdaConnector"
        expand_connector(ctx, connector_id, _connector(
            {"Type": "AWS::AppSync::DataSource", "Arn": get_att(ds_id, "DataSourceArn"), "RoleName": ref(role_id)},
            destination, permissions, line, f"{api_id}.DataSources.{kind}.{name}"))
    data_source["ServiceRoleArn"] = role_arn
    if kind == "Lambda":  # the function the data source calls (a trigger, load/cfn_triggers_sync.py)
        data_source["LambdaConfig"] = {"LambdaFunctionArn": source.get("FunctionArn")}
    ctx.add(ds_id, resource("AWS::AppSync::DataSource", data_source, line, note, attrs), api_id)


def _connector(source: dict, destination: dict, permissions: Any, line: int | None, where: str) -> LineDict:
    out = node({"Type": "AWS::Serverless::Connector",
                "Properties": {"Source": source, "Destination": destination, "Permissions": permissions}}, line)
    out["__embedded_in__"] = where
    return out
