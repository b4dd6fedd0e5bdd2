"""API Gateway routes integrated with functions → route triggers: REST methods (`AWS::ApiGateway::Method`
and the OpenAPI `Body` of a RestApi), HTTP and WebSocket routes (`AWS::ApiGatewayV2::Route` with its
Integration, an Api's `Body` or quick-create `Target`).

A route's ARN is the one `execute-api:Invoke` is asked on, for any stage:
`arn:aws:execute-api:REGION:ACCOUNT:API_ID/*/METHOD/path` (ANY → `*`, a path parameter → `*`), or
`…/API_ID/*/ROUTE_KEY` for WebSocket and `$default` routes
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html).
Its authorization decides who may call it: NONE is anyone, AWS_IAM is IAM, an authorizer or a user
pool is whoever it accepts, an API key alone is its holders
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-to-api.html).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from permcheck.load.cfn_trigger_reader import TriggerReader, between, text
from permcheck.model.trigger_kinds import route_trigger
from permcheck.model.triggers import Write
from permcheck.model.values import Sym, Unknown, concat

ANY = "x-amazon-apigateway-any-method"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", ANY)
PARAMETER = re.compile(r"\{[^}/]*\}")
INTEGRATIONS = ("AWS", "AWS_PROXY")


@dataclass
class ApiAuth:
    """What SAM's `Auth` of an API adds to the routes of its definition (cfn_triggers_sam fills it):
    the default authorization, the kind of each named authorizer, whether an API key is required."""

    default: str | None = None
    authorizers: dict[str, str] = field(default_factory=dict)
    api_key: bool = False
    overrides: dict[tuple[str, str], str] = field(default_factory=dict)  # (path, METHOD) → an event's OverrideApiAuth


def read(r: TriggerReader) -> None:
    _methods(r)
    for logical_id, resource, props in r.resources("AWS::ApiGateway::RestApi"):
        body_routes(r, props.get("Body"), r.ref(logical_id), logical_id=logical_id,
                    source_note=r.note(resource), at=resource, auth=r.api_auth.get(logical_id))
    _v2_apis(r)
    _v2_routes(r)


# -- shared -----------------------------------------------------------------------------------------
def route_arn(r: TriggerReader, api_id: object, method: str, path: object) -> object:
    """The ARN `execute-api:Invoke` is asked on, any stage. `path` None: a route key taken whole."""
    if path is None or method == "":
        return concat([r.arn("execute-api", ""), text(api_id), "/*/", method])
    verb = "*" if method.upper() in ("ANY", ANY.upper()) else method.upper()
    parts = path.parts if isinstance(path, Sym) else (path,)
    wild = concat([PARAMETER.sub("*", p) if isinstance(p, str) else p for p in parts])
    return concat([r.arn("execute-api", ""), text(api_id), "/*/", verb, wild])


def function_of_uri(r: TriggerReader, uri: object) -> object:
    """The function an integration URI calls: `arn:…:apigateway:R:lambda:path/2015-03-31/functions/
    FUNCTION/invocations`, or (HTTP APIs) the function ARN itself; None for other integrations."""
    inner = between(uri, "/functions/", "/")  # …/invocations, …/response-streaming-invocations
    if inner is not None:
        return r.function(None, names=True, resolved=inner)
    return r.function(None, resolved=uri)


def with_api_key(authorization: str, api_key: bool) -> str:
    """An API key on a route without other authorization: its holders, never anyone."""
    return "API_KEY" if api_key and authorization == "NONE" else authorization


def _authorization(value: object) -> str:
    if isinstance(value, str) and value:
        return value.upper()
    return "NONE" if value is None else "CUSTOM"  # unresolved: whoever it turns out to admit


# -- REST: methods ---------------------------------------------------------------------------------
def _methods(r: TriggerReader) -> None:
    """AWS::ApiGateway::Method with a Lambda integration; its path from the Resource chain.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apigateway-method.html"""
    paths: dict[str, object] = {}
    for logical_id, resource, props in r.resources("AWS::ApiGateway::Method"):
        integration = r.prop(props, "Integration")
        if not isinstance(integration, dict) or str(integration.get("Type", "")).upper() not in INTEGRATIONS:
            continue
        function = function_of_uri(r, integration.get("Uri"))
        if function is None:
            continue
        method = str(text(r.prop(props, "HttpMethod"))).upper()
        path = _path(r, props.get("ResourceId"), paths)
        key = r.prop(props, "ApiKeyRequired") in (True, "true")
        authorization = with_api_key(_authorization(r.prop(props, "AuthorizationType")), key)
        r.add(route_trigger(route_arn(r, r.prop(props, "RestApiId"), method, path), function, f"{method} {path}",
                            authorization, logical_id=logical_id, source_note=r.note(resource),
                            location=r.location(integration, resource)))


def _path(r: TriggerReader, raw: object, paths: dict) -> object:
    """The path of an API resource: `GetAtt Api.RootResourceId` is `/`, an `AWS::ApiGateway::Resource`
    its parent's path and its PathPart (walked up, not recursed: a chain may be long)."""
    chain: list[str] = []  # resources from `raw` up to the first whose path is known
    while True:
        if isinstance(raw, dict) and "Fn::GetAtt" in raw:
            att = raw["Fn::GetAtt"]
            if (att[1] if isinstance(att, list) and len(att) > 1 else str(att).split(".", 1)[-1]) == "RootResourceId":
                path: object = "/"
                break
        target = raw.get("Ref") if isinstance(raw, dict) and len(raw) == 1 else None
        if not isinstance(target, str) or r.resolver.resource_type(target) != "AWS::ApiGateway::Resource":
            path = Unknown("the path of an API resource not in this template")
            break
        if target in paths:
            path = paths[target]
            break
        if target in chain:
            path = Unknown(f"the path of API resource {target} (its parents loop)")
            break
        chain.append(target)
        props = r.template_resources[target].get("Properties")
        raw = props.get("ParentId") if isinstance(props, dict) else None
    for target in reversed(chain):
        props = r.template_resources[target].get("Properties")
        part = text(r.prop(props if isinstance(props, dict) else {}, "PathPart"))
        path = paths[target] = concat([path if path != "/" else "", "/", part])
    return path


# -- OpenAPI bodies (REST and HTTP) -----------------------------------------------------------------
def body_routes(r: TriggerReader, body: object, api_id: object, *, logical_id: str,
                source_note: str | None, at: object, auth: ApiAuth | None = None) -> None:
    """Routes of an OpenAPI/Swagger definition (raw: each part is resolved on its own, so one part the
    resolver refuses does not hide the others) whose `x-amazon-apigateway-integration` calls a function.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-integration.html"""
    body = _part(r, body)
    paths = _part(r, body.get("paths")) if isinstance(body, dict) else None
    if not isinstance(paths, dict):
        return
    components = _part(r, body.get("components"))
    schemes = _part(r, body.get("securityDefinitions")) or (_part(r, components.get("securitySchemes"))
                                                             if isinstance(components, dict) else None)
    schemes = schemes if isinstance(schemes, dict) else {}
    top = _part(r, body.get("security"))
    for path, item in paths.items():
        item = r.value(item, r.line(paths, path))
        if not isinstance(item, dict):
            continue
        for method, operation in item.items():
            if str(method).lower() not in METHODS or not isinstance(operation, dict):
                continue
            integration = operation.get("x-amazon-apigateway-integration")
            if not isinstance(integration, dict) or str(integration.get("type", "")).upper() not in INTEGRATIONS:
                continue
            function = function_of_uri(r, integration.get("uri"))
            if function is None:
                continue
            verb = "ANY" if str(method).lower() == ANY else str(method).upper()
            default = path in ("$default", "/$default") and verb == "ANY"  # SAM writes HTTP `$default` so
            authorization = _security(operation, top, schemes, auth)
            if auth and (str(path), verb) in auth.overrides:
                authorization = auth.overrides[(str(path), verb)]
            trigger = route_trigger(route_arn(r, api_id, "$default", None) if default else
                                    route_arn(r, api_id, verb, path), function,
                                    "$default" if default else f"{verb} {path}", authorization,
                                    logical_id=logical_id, source_note=source_note,
                                    location=r.location(integration, operation, at))
            if str(integration.get("credentials", "")).startswith("arn:aws:iam::*:user/*"):
                trigger = trigger.model_copy(update={"notes": trigger.notes + (
                    "API Gateway calls the function with the caller's credentials",)})
            r.add(trigger)


def _part(r: TriggerReader, node: object) -> object:
    """A mapping of a definition as written, or resolved when it is an intrinsic function."""
    if isinstance(node, dict) and not (len(node) == 1 and str(next(iter(node))).startswith(("Fn::", "Ref"))):
        return node
    return r.value(node)


def _security(operation: dict, top: object, schemes: dict, auth: ApiAuth | None) -> str:
    """A method's authorization from its `security` (else the definition's, else SAM's default)."""
    extension = operation.get("x-amazon-apigateway-auth")
    if isinstance(extension, dict) and isinstance(extension.get("type"), str):
        return extension["type"].upper()
    api_key = bool(auth and auth.api_key)
    if not operation.get("security") and auth and auth.default:  # SAM sets it on methods without their own
        return with_api_key(auth.default, api_key)
    security = operation.get("security", top)
    if security is None:
        return with_api_key("NONE", api_key)
    kinds: list[str] = []
    for requirement in security if isinstance(security, list) else [security]:
        for name in requirement if isinstance(requirement, dict) else ():
            kind = scheme_kind(str(name), schemes.get(name), auth)
            if kind == "API_KEY":
                api_key = True
            elif kind == "API_KEY_FALSE":
                api_key = False
            elif kind != "NONE":
                kinds.append(kind)
    others = [k for k in kinds if k != "AWS_IAM"]
    return with_api_key(others[0] if others else kinds[0] if kinds else "NONE", api_key)


def scheme_kind(name: str, definition: object, auth: ApiAuth | None) -> str:
    """What one security scheme is: AWS_IAM, COGNITO_USER_POOLS, JWT, CUSTOM, API_KEY or NONE.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-authtype.html"""
    if isinstance(definition, dict):
        authtype = str(definition.get("x-amazon-apigateway-authtype", "")).lower()
        authorizer = definition.get("x-amazon-apigateway-authorizer")
        kind = str(authorizer.get("type", "")).lower() if isinstance(authorizer, dict) else ""
        if authtype == "awssigv4":
            return "AWS_IAM"
        if "cognito_user_pools" in (authtype, kind):
            return "COGNITO_USER_POOLS"
        if kind == "jwt" or definition.get("type") in ("oauth2", "openIdConnect"):
            return "JWT"
        if authorizer is not None or authtype:
            return "CUSTOM"
        if definition.get("type") == "apiKey":
            return "API_KEY"
        return "CUSTOM"
    known = {"NONE": "NONE", "AWS_IAM": "AWS_IAM", "api_key": "API_KEY", "api_key_false": "API_KEY_FALSE"}
    if name in known:
        return known[name]
    return auth.authorizers.get(name, "CUSTOM") if auth else "CUSTOM"


# -- HTTP and WebSocket APIs ---------------------------------------------------------------------------
def _v2_apis(r: TriggerReader) -> None:
    """An AWS::ApiGatewayV2::Api's `Body`, and quick create's `Target` (a `$default` route, no auth).
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apigatewayv2-api.html"""
    for logical_id, resource, props in r.resources("AWS::ApiGatewayV2::Api"):
        api_id = r.ref(logical_id)
        body_routes(r, props.get("Body"), api_id, logical_id=logical_id,
                    source_note=r.note(resource), at=resource, auth=r.api_auth.get(logical_id))
        function = r.function(None, resolved=r.prop(props, "Target")) if props.get("Target") is not None else None
        if function is not None:
            key = r.prop(props, "RouteKey") or "$default"
            r.add(_v2_route(r, api_id, str(text(key)), function, "NONE", logical_id=logical_id,
                            source_note=r.note(resource), location=r.location(None, r.line(props, "Target"), resource)))


def _v2_route(r: TriggerReader, api_id: object, key: str, function: object, authorization: str, **where):
    """`$default`, `POST /orders` (HTTP) or a WebSocket route key."""
    method, _, path = key.partition(" ")
    if path.startswith("/"):
        return route_trigger(route_arn(r, api_id, method, path), function, key, authorization, **where)
    return route_trigger(route_arn(r, api_id, key, None), function, key, authorization, **where)


def _v2_routes(r: TriggerReader) -> None:
    """AWS::ApiGatewayV2::Route whose Target is an Integration calling a function. A WebSocket API
    authorizes only `$connect`: its other routes take messages from whoever `$connect` admitted.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-control-access.html"""
    integrations = {i: p for i, _, p in r.resources("AWS::ApiGatewayV2::Integration")}
    routes = list(r.resources("AWS::ApiGatewayV2::Route"))
    connect: dict[str, str] = {}  # API (as written) → authorization of its $connect route
    for logical_id, resource, props in routes:
        if r.prop(props, "RouteKey") == "$connect":
            connect[repr(props.get("ApiId"))] = _route_authorization(r, props)
    for logical_id, resource, props in routes:
        integration = next((integrations[i] for i in _named(props.get("Target")) if i in integrations), None)
        if integration is None or str(r.prop(integration, "IntegrationType")).upper() not in INTEGRATIONS:
            continue
        function = function_of_uri(r, r.prop(integration, "IntegrationUri"))
        if function is None:
            continue
        key = str(text(r.prop(props, "RouteKey")))
        authorization = _route_authorization(r, props)
        websocket = _protocol(r, props.get("ApiId")) == "WEBSOCKET" or (" " not in key and key != "$default")
        trigger = _v2_route(r, r.prop(props, "ApiId"), key, function, authorization, logical_id=logical_id,
                            source_note=r.note(resource), location=r.location(None, r.line(props, "Target"), resource))
        if websocket and key != "$connect" and repr(props.get("ApiId")) in connect:
            trigger = websocket_message(r, trigger, r.prop(props, "ApiId"), connect[repr(props.get("ApiId"))])
        r.add(trigger)


def websocket_message(r: TriggerReader, trigger, api_id: object, connect: str):
    """A WebSocket message route: who may connect (`$connect`'s authorization and ARN) may send it."""
    return trigger.model_copy(update={
        "authorization": connect, "public": connect == "NONE",
        "writes": (Write(action="execute-api:Invoke", resource=route_arn(r, api_id, "$connect", None)),),
        "notes": trigger.notes + ("a WebSocket message route: whoever the $connect route admits can send it",)})


def _route_authorization(r: TriggerReader, props: dict) -> str:
    return with_api_key(_authorization(r.prop(props, "AuthorizationType")),
                        r.prop(props, "ApiKeyRequired") in (True, "true"))


def _protocol(r: TriggerReader, raw: object) -> str | None:
    target = raw.get("Ref") if isinstance(raw, dict) and len(raw) == 1 else None
    api = r.template_resources.get(target) if isinstance(target, str) else None
    props = api.get("Properties") if isinstance(api, dict) else None
    value = r.prop(props, "ProtocolType") if isinstance(props, dict) else None
    return value.upper() if isinstance(value, str) else None


def _named(raw: object) -> list[str]:
    """The logical ids a raw value names by `Ref`, `Fn::GetAtt` or `${X}` (a route's Target is usually
    `Fn::Join ["/", ["integrations", Ref I]]` or `Fn::Sub integrations/${I}`)."""
    out: list[str] = []
    stack = [raw]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("Ref"), str):
                out.append(node["Ref"])
            att = node.get("Fn::GetAtt")
            if isinstance(att, list) and att and isinstance(att[0], str):
                out.append(att[0])
            sub = node.get("Fn::Sub")
            template = sub[0] if isinstance(sub, list) and sub else sub
            if isinstance(template, str):
                out += [m.split(".")[0] for m in re.findall(r"\$\{([^}!][^}]*)\}", template)]
            stack += list(node.values())
        elif isinstance(node, list):
            stack += node
    return out
