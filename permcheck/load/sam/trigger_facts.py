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

from permcheck.load.cfn_triggers_api import scheme_kind
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
    """An Api or HttpApi event's route, with the authorization SAM gives its method (Api.to_cloudformation,
    HttpApi.to_cloudformation in eventsources/push.py). SAM adds the route to the definition it manages
    or merges (`MergeDefinitions`), and to an HttpApi's own DefinitionBody unless that already integrates
    the method (whose security it then keeps). Other definitions (an S3 `DefinitionUri`, a REST API's
    own DefinitionBody) decide their routes themselves: the event adds a permission, and with
    `OverrideApiAuth` its authorization to the definition's method."""
    props = ev.props
    method, path = str(props.get("Method")), str(props.get("Path"))
    verb = "ANY" if method.lower() in ("any", ANY) else method.upper()
    auth = props.get("Auth") if isinstance(props.get("Auth"), dict) else {}
    api_auth = _api_auth(ev.ctx, api)
    added, existing = _route_added(ev.ctx, api_name, api, verb, path, http)
    schemes = _schemes(api)
    if not added:
        if auth.get("OverrideApiAuth") and isinstance(api_name, str):
            record(ev.ctx, "RouteAuth", ev.line, ev.note, Api=api_name, Method=verb, Path=path,
                   Authorization=_kind(auth, api_auth, verb, http, None, schemes))
        return
    api_id = props.get("ApiId" if http else "RestApiId")
    record(ev.ctx, "Route", ev.line, ev.note, ev.target.attributes.get("Condition"),
           Api=api_name if isinstance(api_name, str) else None,
           ApiId={"Ref": api_id} if isinstance(api_id, str) else api_id,  # SAM reads a bare id as a Ref
           Protocol="HTTP" if http else "REST", Method=verb, Path=path,
           Authorization=_kind(auth, api_auth, verb, http, existing, schemes), Function=ev.target.arn)


def _kind(auth: dict, api_auth: dict, verb: str, http: bool, existing: Any, schemes: dict) -> str:
    """The authorization of an event's method: its Authorizer, else the security the definition already
    gives the method, else the API's DefaultAuthorizer (an HttpApi's never on OPTIONS, a REST API's not
    when AddDefaultAuthorizerToCorsPreflight is false); an API key without any is API_KEY."""
    options = verb == "OPTIONS"
    authorizers = api_auth.get("Authorizers")
    authorizer = auth.get("Authorizer")
    existing = [existing] if isinstance(existing, dict) else existing
    if not authorizer and isinstance(existing, list) and existing:
        names = [n for requirement in existing if isinstance(requirement, dict) for n in requirement]
        kinds = [authorizer_kind(n, authorizers, http) if not isinstance(schemes.get(n), dict) or
                 (isinstance(authorizers, dict) and n in authorizers) else scheme_kind(n, schemes[n], None)
                 for n in names]
        return next((k for k in kinds if k not in ("NONE", "AWS_IAM")), kinds[0] if kinds else "NONE")
    if not authorizer and not (options and (http or api_auth.get("AddDefaultAuthorizerToCorsPreflight") is False)):
        authorizer = api_auth.get("DefaultAuthorizer")
    kind = authorizer_kind(authorizer, authorizers, http)
    key = auth.get("ApiKeyRequired")
    if key is None and not http and not (options and api_auth.get("AddApiKeyRequiredToCorsPreflight") is False):
        key = api_auth.get("ApiKeyRequired")
    return "API_KEY" if kind == "NONE" and key is True else kind


def _schemes(api: Any) -> dict:
    """The security schemes an API's own DefinitionBody defines."""
    props = api.get("Properties") if isinstance(api, dict) else None
    body = props.get("DefinitionBody") if isinstance(props, dict) else None
    if not isinstance(body, dict):
        return {}
    components = body.get("components")
    found = body.get("securityDefinitions") or (components.get("securitySchemes") if isinstance(components, dict)
                                                 else None)
    return found if isinstance(found, dict) else {}


def _route_added(ctx: Ctx, api_name: Any, api: Any, verb: str, path: str, http: bool) -> tuple[bool, Any]:
    """Whether SAM writes the event's route into the API's definition, and the `security` the
    definition's own method (without an integration) already has."""
    props = api.get("Properties") if isinstance(api, dict) else None
    if not isinstance(props, dict):
        return False, None
    body = props.get("DefinitionBody")
    operation = method_of(body, path, verb)
    security = operation.get("security") if isinstance(operation, dict) else None
    if props.get("MergeDefinitions"):  # merged key by key into the method (without paths, SAM 1.110.0 adds none)
        return isinstance(body, dict) and isinstance(body.get("paths"), dict), security
    if ctx.apis.get(api_name, {}).get("managed") or props.get("__MANAGE_SWAGGER"):
        return True, None
    if not http or not isinstance(body, dict):
        return False, None
    if isinstance(operation, dict) and "x-amazon-apigateway-integration" in operation:
        return False, None
    return True, security


def method_of(body: Any, path: str, verb: str) -> Any:
    """The operation of a definition at `path` for `verb` (ANY: the any-method extension), or None."""
    paths = body.get("paths") if isinstance(body, dict) else None
    item = paths.get(path) if isinstance(paths, dict) else None
    name = ANY if verb == "ANY" else verb.lower()
    return next((v for k, v in item.items() if str(k).lower() == name), None) if isinstance(item, dict) else None


def _api_auth(ctx: Ctx, api: Any) -> dict:
    props = api.get("Properties") if isinstance(api, dict) else None
    auth = resolve_params(ctx, props.get("Auth")) if isinstance(props, dict) else None
    return auth if isinstance(auth, dict) else {}


def authorizer_kind(authorizer: Any, authorizers: Any, http: bool) -> str:
    """What a SAM authorizer name means for a route: NONE, AWS_IAM, or the kind of the named authorizer
    (a user pool: COGNITO_USER_POOLS; OAuth 2.0/JWT: JWT; a Lambda authorizer: CUSTOM)."""
    config = authorizers.get(authorizer) if isinstance(authorizers, dict) and isinstance(authorizer, str) else None
    if authorizer in (None, "", "NONE"):
        return "NONE"
    if authorizer == "AWS_IAM" and not (http and isinstance(config, dict)):  # an HttpApi may name one AWS_IAM
        return "AWS_IAM"
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


def merged_body(ctx: Ctx, api_id: str, props: dict) -> Any:
    """The DefinitionBody as the API's `Body`: with `MergeDefinitions`, without the methods its events
    define, whose SAM-made versions replace them (SamSwaggerEditor's merge); the events' own routes are
    facts."""
    body = props["DefinitionBody"]
    paths = body.get("paths")
    if not props.get("MergeDefinitions") or not isinstance(paths, dict):
        return body
    taken = {(str(f.get("Path")), str(f.get("Method"))) for f in ctx.triggers
             if f.get("Kind") == "Route" and f.get("Api") == api_id}
    kept = LineDict(line=line_of(paths))
    for path, item in paths.items():
        if isinstance(item, dict):
            item = LineDict({k: v for k, v in item.items()
                             if (path, "ANY" if str(k).lower() == ANY else str(k).upper()) not in taken},
                            line=line_of(item), key_lines=dict(getattr(item, "key_lines", {})))
        kept[path] = item
        kept.key_lines[path] = paths.line_of(path) if isinstance(paths, LineDict) else line_of(item)
    out = LineDict(body, line=line_of(body), key_lines=dict(getattr(body, "key_lines", {})))
    out["paths"] = kept
    return out


def websocket_route(ctx: Ctx, api_id: str, route_id: str, route_key: str, spec: dict, auth: Any, line: int | None,
                    note: str, condition: Any) -> None:
    """A WebSocketApi route (the Route resource SAM names `route_id`): its function, and (on `$connect`)
    SAM's Auth.AuthType and the route's ApiKeyRequired."""
    kind = str(auth.get("AuthType", "NONE")).upper() if isinstance(auth, dict) and route_key == "$connect" \
        else "NONE"
    if kind == "NONE" and spec.get("ApiKeyRequired") is True:
        kind = "API_KEY"
    function = spec.get("FunctionArn")
    record(ctx, "Route", line, note, condition, Api=api_id, Route=route_id, ApiId={"Fn::GetAtt": [api_id, "ApiId"]},
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
