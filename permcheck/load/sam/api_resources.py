"""SAM's API resources (AWS::Serverless::Api, HttpApi, WebSocketApi) → the API Gateway resources SAM
makes, with the permissions its authorizers get to invoke their functions."""

from __future__ import annotations

import re
from typing import Any

from permcheck.load.nodes import LineDict, line_of
from permcheck.load.sam.core import (
    Ctx, check_properties, key_line, logical_id_hash, opening, passthrough, ref, resolve_params, resource,
    sub,
)
from permcheck.load.sam.schema import RESOURCES, is_intrinsic
from permcheck.load.sam import trigger_facts
from permcheck.load.sam.apis import HTTP, REST


def expand_rest_api(ctx: Ctx, api_id: str, sam: LineDict) -> None:
    props = sam.get("Properties", LineDict())
    at = ctx.resource_line(api_id) or line_of(sam)
    schema = RESOURCES[REST]
    version = props.get("OpenApiVersion")
    if version is not None and not isinstance(version, str) and ctx.apis.get(api_id, {}).get("managed") \
            and re.match(r"\A3(\.\d)(\.\d)?$", str(version)):
        props = LineDict(props, line=line_of(props), key_lines=dict(getattr(props, "key_lines", {})))
        props["OpenApiVersion"] = str(version)  # Globals.fix_openapi_definitions
    check_properties(ctx, props, schema, api_id, REST, sam)
    attrs = passthrough(sam)
    note = f"created by SAM: {api_id} (AWS::Serverless::Api)"
    if props.get("DefinitionBody") is not None and props.get("DefinitionUri") is not None:
        raise ctx.fail(at, api_id, "Specify either 'DefinitionUri' or 'DefinitionBody' property and not both.")
    info = ctx.apis.get(api_id, {})
    from permcheck.load.sam.api_checks import check_rest_api
    checked = props
    if info.get("managed"):
        checked = LineDict(props, line=line_of(props))
        checked["DefinitionBody"] = {"swagger": "2.0", "info": {}, "paths": {}}
    check_rest_api(ctx, api_id, checked, at, bool(info.get("managed")), bool(info.get("events")))
    stage = props.get("StageName")
    if isinstance(stage, str) and not stage:
        raise ctx.fail(at, api_id, "StageName cannot be empty.")
    api: dict = {}
    if props.get("Name") is not None:
        api["Name"] = props["Name"]
    if isinstance(props.get("DefinitionBody"), dict):  # the routes it defines; SAM adds its events' (trigger_facts)
        api["Body"] = trigger_facts.merged_body(ctx, api_id, props)
        trigger_facts.api_definition(ctx, api_id, props, note, http=False)
    ctx.add(api_id, resource("AWS::ApiGateway::RestApi", api, at, note,
                             {k: sam[k] for k in ("Condition", "DeletionPolicy", "UpdateReplacePolicy", "DependsOn",
                                                  "Metadata") if k in sam}), api_id)
    prefix = stage if isinstance(stage, str) else ""
    stage_id = api_id + prefix + "Stage" if prefix.isalnum() else logical_id_hash(api_id + "Stage", prefix)
    ctx.add(stage_id, resource("AWS::ApiGateway::Stage", {"RestApiId": ref(api_id), "StageName": stage}, at, note,
                               attrs), api_id)
    ctx.refs[(api_id, "Stage")] = stage_id
    auth = resolve_params(ctx, props.get("Auth"))
    if not auth:
        return
    authorizers = _authorizers(ctx, api_id, auth, at, rest=True)
    for name, config in authorizers.items():
        if not config.get("FunctionArn") or config.get("DisableFunctionDefaultPermissions"):
            continue
        line = key_line(auth.get("Authorizers"), name, at)
        source_arn = sub(f"arn:{ctx.deployment.partition}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:"
                         "${__ApiId__}/authorizers/*", {"__ApiId__": ref(api_id)})
        _authorizer_permission(ctx, api_id, name, config["FunctionArn"], source_arn, line, attrs)


def _authorizers(ctx: Ctx, api_id: str, auth: Any, at: int | None, rest: bool) -> dict:
    if not isinstance(auth, dict):
        raise ctx.fail(at, api_id, "Property 'Auth' should be a map.")
    if rest:
        allowed = {"Authorizers", "DefaultAuthorizer", "InvokeRole", "AddDefaultAuthorizerToCorsPreflight",
                   "AddApiKeyRequiredToCorsPreflight", "ApiKeyRequired", "ResourcePolicy", "UsagePlan"}
        unknown = sorted(set(auth) - allowed)
        if unknown:
            raise ctx.fail(key_line(auth, unknown[0], at), api_id, f"Invalid value for 'Auth' property: unknown "
                                                                   f"key {unknown[0]}")
    authorizers = auth.get("Authorizers")
    if not authorizers:
        return {}
    if not isinstance(authorizers, dict):
        raise ctx.fail(at, api_id, "Property 'Auth.Authorizers' should be a map.")
    for name, config in authorizers.items():
        if not isinstance(config, dict):
            raise ctx.fail(key_line(authorizers, name, at), api_id, f"Property 'Auth.Authorizers.{name}' should be "
                                                                    "a map.")
    default = auth.get("DefaultAuthorizer")
    if rest and default is not None and not isinstance(default, str):
        raise ctx.fail(at, api_id, "DefaultAuthorizer is not a string.")
    return authorizers


def _authorizer_permission(ctx: Ctx, api_id: str, name: str, function_arn: Any, source_arn: Any,
                           line: int | None, attrs: dict, logical_id: str | None = None) -> None:
    note = f"created by SAM: {api_id}.Auth.Authorizers.{name} (Lambda authorizer)"
    ctx.add(logical_id or api_id + name + "AuthorizerPermission", resource("AWS::Lambda::Permission", {
        "Action": "lambda:InvokeFunction", "FunctionName": function_arn, "Principal": "apigateway.amazonaws.com",
        "SourceArn": source_arn}, line, note, attrs), api_id)


def expand_http_api(ctx: Ctx, api_id: str, sam: LineDict) -> None:
    props, at = opening(ctx, api_id, sam, HTTP)
    attrs = passthrough(sam)
    note = f"created by SAM: {api_id} (AWS::Serverless::HttpApi)"
    if props.get("DefinitionBody") is not None and props.get("DefinitionUri") is not None:
        raise ctx.fail(at, api_id, "Specify either 'DefinitionUri' or 'DefinitionBody' property and not both.")
    from permcheck.load.sam.api_checks import check_http_api
    checked = props
    if ctx.apis.get(api_id, {}).get("managed"):
        checked = LineDict(props, line=line_of(props))
        checked["DefinitionBody"] = {"openapi": "3.0.1", "info": {}, "paths": {}}
    check_http_api(ctx, api_id, checked, at)
    api: dict = {}
    if props.get("Name") is not None:
        api["Name"] = props["Name"]
    if isinstance(props.get("DefinitionBody"), dict):
        api["Body"] = props["DefinitionBody"]
        trigger_facts.api_definition(ctx, api_id, props, note, http=True)
    ctx.add(api_id, resource("AWS::ApiGatewayV2::Api", api, at, note,
                             {k: sam[k] for k in ("Condition", "DeletionPolicy", "UpdateReplacePolicy", "DependsOn",
                                                  "Metadata") if k in sam}), api_id)
    stage = props.get("StageName")
    if stage is None:
        stage_id, stage = api_id + "ApiGatewayDefaultStage", "$default"
    else:
        prefix = stage if isinstance(stage, str) else ""
        stage_id = api_id + prefix + "Stage" if prefix.isalnum() else logical_id_hash(api_id + "Stage", prefix)
    ctx.add(stage_id, resource("AWS::ApiGatewayV2::Stage", {"ApiId": ref(api_id), "StageName": stage}, at, note,
                               attrs), api_id)
    ctx.refs[(api_id, "Stage")] = stage_id
    auth = props.get("Auth")
    if not auth:
        return
    if not isinstance(auth, dict):
        raise ctx.fail(at, api_id, "Property 'Auth' should be a map.")
    authorizers = _authorizers(ctx, api_id, auth, at, rest=False)
    for name, config in authorizers.items():
        _http_authorizer(ctx, api_id, name, config, at)
        if not config.get("FunctionArn") or not config.get("EnableFunctionDefaultPermissions"):
            continue
        line = key_line(auth.get("Authorizers"), name, at)
        source_arn = sub("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
                         "${__ApiId__}/authorizers/*", {"__ApiId__": ref(api_id)})
        _authorizer_permission(ctx, api_id, name, config["FunctionArn"], source_arn, line, attrs)


HTTP_AUTHORIZER_PROPERTIES = {
    "JWT": {"AuthorizationScopes", "JwtConfiguration", "IdentitySource"},
    "REQUEST": {"FunctionArn", "FunctionInvokeRole", "Identity", "AuthorizerPayloadFormatVersion",
                "EnableSimpleResponses", "EnableFunctionDefaultPermissions"},
}


HTTP_AUTHORIZER_HINTS = {
    "AuthorizationScopes": "OAuth2 Authorizer", "JwtConfiguration": "OAuth2 Authorizer",
    "IdentitySource": "OAuth2 Authorizer. For Lambda Authorizer, use the 'Identity' property instead",
}


def _http_authorizer(ctx: Ctx, api_id: str, name: str, config: dict, at: int | None) -> None:
    """ApiGatewayV2Authorizer's checks (model/apigatewayv2.py)."""
    if "OpenIdConnectUrl" in config:
        raise ctx.fail(at, api_id, f"'OpenIdConnectUrl' is no longer a supported property for authorizer "
                                   f"'{name}'. Please refer to the AWS SAM documentation.")
    enable = config.get("EnableFunctionDefaultPermissions")
    if enable is not None and not isinstance(enable, bool):
        raise ctx.fail(at, api_id, f"Property 'Authorizers.{name}.EnableFunctionDefaultPermissions' should be a "
                                   "boolean.")
    kind = "JWT" if config.get("JwtConfiguration") else "REQUEST"
    scopes = config.get("AuthorizationScopes")
    if scopes is not None and not isinstance(scopes, list):
        raise ctx.fail(at, api_id, "AuthorizationScopes must be a list.")
    for key in ("AuthorizationScopes", "JwtConfiguration", "IdentitySource", "FunctionArn", "FunctionInvokeRole",
                "Identity", "AuthorizerPayloadFormatVersion", "EnableSimpleResponses",
                "EnableFunctionDefaultPermissions"):
        if config.get(key) is not None and key not in HTTP_AUTHORIZER_PROPERTIES[kind]:
            raise ctx.fail(at, api_id, f"{key} is only supported for {HTTP_AUTHORIZER_HINTS.get(key, 'Lambda Authorizer')}.")
    if kind == "JWT":
        if not config.get("IdentitySource"):
            raise ctx.fail(at, api_id, f"{name} OAuth2 Authorizer must define 'IdentitySource'.")
        if not isinstance(config.get("JwtConfiguration"), dict) and not is_intrinsic(config.get("JwtConfiguration")):
            raise ctx.fail(at, api_id, "Property 'JwtConfiguration' should be a map.")
        return
    if not config.get("FunctionArn"):
        raise ctx.fail(at, api_id, f"{name} Lambda Authorizer must define 'FunctionArn'.")
    if not config.get("AuthorizerPayloadFormatVersion"):
        raise ctx.fail(at, api_id, f"{name} Lambda Authorizer must define 'AuthorizerPayloadFormatVersion'.")
    identity = config.get("Identity")
    if identity is not None:
        if not isinstance(identity, dict):
            raise ctx.fail(at, api_id, f"Property 'Auth.Authorizers.{name}.Identity' should be a map.")
        for key in ("Headers", "QueryStrings", "StageVariables", "Context"):
            values = identity.get(key)
            if values and (not isinstance(values, list) or not all(isinstance(v, str) for v in values)):
                index = next((i for i, v in enumerate(values) if not isinstance(v, str)), 0) \
                    if isinstance(values, list) else None
                where = f"{key}[{index}]" if index is not None else key
                raise ctx.fail(at, api_id, f"Property 'Authorizers.{name}.Identity.{where}' should be a string.")


def expand_websocket_api(ctx: Ctx, api_id: str, sam: LineDict) -> None:
    """Routes name the functions they call; SAM lets API Gateway invoke each one."""
    props, at = opening(ctx, api_id, sam, "AWS::Serverless::WebSocketApi")
    attrs = passthrough(sam)
    note = f"created by SAM: {api_id} (AWS::Serverless::WebSocketApi)"
    routes = resolve_params(ctx, props.get("Routes"))
    auth = resolve_params(ctx, props.get("Auth"))
    if not routes:
        raise ctx.fail(at, api_id, "WebSocket API must have at least one route.")
    address = props.get("IpAddressType")
    if address is not None and not is_intrinsic(address) and address not in ("ipv4", "dualstack"):
        raise ctx.fail(at, api_id, "IpAddressType must be 'ipv4' or 'dualstack'.")
    domain = props.get("Domain")
    if isinstance(domain, dict) and domain.get("MutualTlsAuthentication"):
        raise ctx.fail(at, api_id, "Mutual TLS domain name association is not supported for Websocket APIs.")
    if auth and "$connect" not in routes:
        raise ctx.fail(at, api_id, "Authorization is only available if there is a $connect route.")
    stage = props.get("StageName", "default")
    if stage == "$default":
        raise ctx.fail(at, api_id, "Stages cannot be named $default for WebSocket APIs.")
    ctx.add(api_id, resource("AWS::ApiGatewayV2::Api", {"Name": props.get("Name", api_id),
                                                        "ProtocolType": "WEBSOCKET",
                                                        "RouteSelectionExpression":
                                                            props.get("RouteSelectionExpression")}, at, note,
                             {k: sam[k] for k in ("Condition", "DeletionPolicy", "UpdateReplacePolicy", "DependsOn",
                                                  "Metadata") if k in sam}), api_id)
    for key in ("AccessLogSettings", "DefaultRouteSettings", "RouteSettings"):
        if props.get(key) is not None and not isinstance(props[key], dict):
            raise ctx.fail(at, api_id, f"Property '{key}' should be a map.")
    if auth:
        _websocket_auth(ctx, api_id, auth, at)
    for route_key, spec in routes.items():
        line = key_line(routes, route_key, at)
        if route_key in ("$connect", "$disconnect", "$default"):
            clean = route_key.replace("$", "").capitalize()
        elif isinstance(route_key, str) and route_key.isalnum():
            clean = route_key.capitalize()
        else:
            raise ctx.fail(line, api_id, f"Route key '{route_key}' must be alphanumeric. Only $connect, $disconnect, "
                                         "and $default special routes are supported.")
        if not isinstance(spec, dict) or "FunctionArn" not in spec:
            raise ctx.fail(line, api_id, "Route must have associated function.")
        if spec.get("RequestParameters") and route_key != "$connect":
            raise ctx.fail(line, api_id, "Request parameters are only supported for the $connect route in WebSocket "
                                         "APIs.")
        if isinstance(stage, str):
            source_arn = sub("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${"
                             + api_id + ".ApiId}/" + stage + "/" + route_key)
        else:
            source_arn = sub("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${"
                             + api_id + ".ApiId}/${__StageName__}/" + route_key, {"__StageName__": stage})
        trigger_facts.websocket_route(ctx, api_id, f"{api_id}{clean}Route", route_key, spec, auth, line,
                                      f"created by SAM: {api_id}.Routes.{route_key} (WebSocket route)",
                                      sam.get("Condition"))
        ctx.add(f"{api_id}{clean}Permission", resource("AWS::Lambda::Permission", {
            "Action": "lambda:InvokeFunction", "FunctionName": spec["FunctionArn"],
            "Principal": "apigateway.amazonaws.com", "SourceArn": source_arn}, line,
            f"created by SAM: {api_id}.Routes.{route_key} (WebSocket route)", attrs), api_id)
    if auth and auth.get("AuthType", "").upper() == "CUSTOM" and not auth.get("InvokeRole") and auth.get("AuthArn"):
        source_arn = sub("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
                         "${__ApiId__}/authorizers/*", {"__ApiId__": ref(api_id)})
        _authorizer_permission(ctx, api_id, "Connect", auth["AuthArn"], source_arn, key_line(props, "Auth", at),
                               attrs, logical_id=api_id + "AuthorizerPermission")


def _websocket_auth(ctx: Ctx, api_id: str, auth: Any, at: int | None) -> None:
    if not isinstance(auth, dict):
        raise ctx.fail(at, api_id, "Property 'Auth' should be a map.")
    kind = auth.get("AuthType")
    if not kind:
        raise ctx.fail(at, api_id, "AuthType must be specified for additional auth configurations.")
    kind = str(kind).upper()
    if kind not in ("NONE", "AWS_IAM", "CUSTOM"):
        raise ctx.fail(at, api_id, "AuthType is not one of AWS_IAM, CUSTOM or NONE.")
    if kind == "CUSTOM" and not auth.get("AuthArn"):
        raise ctx.fail(at, api_id, "AuthArn must be specified if AuthType is CUSTOM.")
    if kind in ("AWS_IAM", "NONE") and len(auth) > 1:
        raise ctx.fail(at, api_id, f"No additional configurations supported for AuthType {kind}.")
