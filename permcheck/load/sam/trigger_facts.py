"""What SAM wires that the expansion writes no CloudFormation for, kept as facts for the trigger reader.

SAM writes a function's S3 and Cognito events into the bucket's notification and the user pool's
LambdaConfig, its Api/HttpApi events into the API's OpenAPI body (with the authorization SAM's rules
pick), a WebSocketApi's routes as Route and Integration resources, and a state machine's Definition
into its DefinitionString (samtranslator 1.110.0: model/eventsources/push.py, swagger/swagger.py,
open_api/open_api.py, model/api/*_generator.py, model/stepfunctions/generators.py). They grant
nothing, so the expansion leaves them out; but they make functions run. Each becomes one fact, a
mapping at the line of the SAM construct with its `PermcheckSource` note, in the expanded template's
`SAM_TRIGGERS` list; load/cfn_triggers_sam.py reads them with the CloudFormation resolver, so what
they name resolves as the rest of the template does.
"""

from __future__ import annotations

from typing import Any

from permcheck.load.nodes import LineDict, line_of
from permcheck.load.sam.core import Ctx, node, resolve_params

ANY = "x-amazon-apigateway-any-method"


def record(ctx: Ctx, kind: str, line: int | None, note: str, condition: Any = None, **facts: Any) -> None:
    """One fact: `Kind`, `Note`, the `Condition` of what SAM generates for it, and what the kind needs."""
    fact = node({"Kind": kind, "Note": note}, line)
    if condition is not None:
        fact["Condition"] = condition
    for key, value in facts.items():
        if value is not None:
            fact[key] = node(value, line)
            fact.key_lines[key] = line
    ctx.triggers.append(fact)


# -- function events ----------------------------------------------------------------------------------
def s3_event(ev, bucket_id: str) -> None:
    """S3.to_cloudformation: one LambdaConfiguration per event type, on the bucket."""
    events = ev.props.get("Events")
    record(ev.ctx, "S3", ev.line, ev.note, ev.target.attributes.get("Condition"), Bucket=bucket_id,
           Function=ev.target.arn, Events=events if isinstance(events, list) else [events],
           Filter=ev.props.get("Filter"))


def cognito_event(ev, pool_id: str, triggers: Any) -> None:
    """Cognito.to_cloudformation: the function as each named trigger of the pool's LambdaConfig."""
    record(ev.ctx, "Cognito", ev.line, ev.note, ev.target.attributes.get("Condition"), UserPool=pool_id,
           Function=ev.target.arn, Triggers=[triggers] if isinstance(triggers, str) else triggers)


def api_event(ev, api_name: Any, api: Any, http: bool) -> None:
    """An Api or HttpApi event's route, with the authorization SAM gives its method."""
    props = ev.props
    method, path = str(props.get("Method")), str(props.get("Path"))
    auth = props.get("Auth") if isinstance(props.get("Auth"), dict) else {}
    api_auth = _api_auth(ev.ctx, api)
    options = method.lower() == "options"
    authorizer = auth.get("Authorizer")
    if not authorizer and not (options and api_auth.get("AddDefaultAuthorizerToCorsPreflight") is False):
        authorizer = api_auth.get("DefaultAuthorizer")
    kind = authorizer_kind(authorizer, api_auth.get("Authorizers"), http)
    key = auth.get("ApiKeyRequired")
    if key is None and not http and not (options and api_auth.get("AddApiKeyRequiredToCorsPreflight") is False):
        key = api_auth.get("ApiKeyRequired")
    if kind == "NONE" and key is True:
        kind = "API_KEY"
    record(ev.ctx, "Route", ev.line, ev.note, ev.target.attributes.get("Condition"),
           Api=api_name if isinstance(api_name, str) else None, ApiId=props.get("ApiId" if http else "RestApiId"),
           Protocol="HTTP" if http else "REST", Method="ANY" if method.lower() in ("any", ANY) else method.upper(),
           Path=path, Authorization=kind, Function=ev.target.arn)


def _api_auth(ctx: Ctx, api: Any) -> dict:
    props = api.get("Properties") if isinstance(api, dict) else None
    auth = resolve_params(ctx, props.get("Auth")) if isinstance(props, dict) else None
    return auth if isinstance(auth, dict) else {}


def authorizer_kind(authorizer: Any, authorizers: Any, http: bool) -> str:
    """What a SAM authorizer name means for a route: NONE, AWS_IAM, or the kind of the named authorizer
    (a user pool: COGNITO_USER_POOLS; OAuth 2.0/JWT: JWT; a Lambda authorizer: CUSTOM)."""
    if authorizer in (None, "", "NONE"):
        return "NONE"
    if authorizer == "AWS_IAM":
        return "AWS_IAM"
    config = authorizers.get(authorizer) if isinstance(authorizers, dict) and isinstance(authorizer, str) else None
    if isinstance(config, dict) and config.get("UserPoolArn") is not None and not http:
        return "COGNITO_USER_POOLS"
    if isinstance(config, dict) and config.get("JwtConfiguration") is not None and http:
        return "JWT"
    return "CUSTOM"


# -- API resources ---------------------------------------------------------------------------------------
def api_definition(ctx: Ctx, api_id: str, props: dict, note: str, http: bool) -> None:
    """An API with a DefinitionBody: what SAM's Auth adds to the routes of that body (the default
    authorizer where a method names none, an API key), for the body the expansion writes as `Body`."""
    auth = resolve_params(ctx, props.get("Auth"))
    auth = auth if isinstance(auth, dict) else {}
    authorizers = auth.get("Authorizers") if isinstance(auth.get("Authorizers"), dict) else {}
    kinds = {name: authorizer_kind(name, authorizers, http) for name in authorizers}
    default = auth.get("DefaultAuthorizer")
    record(ctx, "ApiAuth", line_of(props), note, Api=api_id,
           Default=authorizer_kind(default, authorizers, http) if default else None, Authorizers=kinds,
           ApiKey=bool(auth.get("ApiKeyRequired")) and not http)


def websocket_route(ctx: Ctx, api_id: str, route_key: str, function: Any, auth: Any, line: int | None, note: str,
                    condition: Any) -> None:
    """A WebSocketApi route: its function, and the authorization of `$connect` (SAM's Auth.AuthType)."""
    kind = str(auth.get("AuthType", "NONE")).upper() if isinstance(auth, dict) else "NONE"
    record(ctx, "Route", line, note, condition, Api=api_id, ApiId={"Fn::GetAtt": [api_id, "ApiId"]},
           Protocol="WEBSOCKET", RouteKey=route_key, Authorization=kind, Function=function)


def state_machine(ctx: Ctx, sm_id: str, props: dict, note: str, condition: Any) -> None:
    """A state machine's inline Definition, with its DefinitionSubstitutions."""
    definition = props.get("Definition")
    if not isinstance(definition, dict):
        return
    record(ctx, "StateMachine", key_line(props, "Definition"), note, condition, Machine=sm_id,
           Definition=definition, Substitutions=props.get("DefinitionSubstitutions"))


def key_line(mapping: Any, key: str) -> int | None:
    return mapping.line_of(key) if isinstance(mapping, LineDict) else line_of(mapping)
