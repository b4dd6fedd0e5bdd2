"""SAM APIs: the implicit ServerlessRestApi/ServerlessHttpApi, `AWS::Serverless::Api`,
`HttpApi` and `WebSocketApi` → the API resources events point at, and the invoke permissions
an API itself grants (Lambda authorizers, WebSocket routes).

What an API does not grant (Swagger, CORS, domains, usage plans, stages' settings) is not
generated; the API, its stage and what a `Ref`/`Fn::GetAtt` of them needs are.
Follows samtranslator 1.110.0: plugins/api/implicit_*_api_plugin.py, model/api/*_generator.py.
"""

from __future__ import annotations

import re
from typing import Any

from permcheck.load.nodes import LineDict, line_of
from permcheck.load.sam.core import (
    Ctx, key_line, node, resolve_params,
)
from permcheck.load.sam.schema import is_intrinsic

REST = "AWS::Serverless::Api"
HTTP = "AWS::Serverless::HttpApi"


X_ANY = "x-amazon-apigateway-any-method"
IMPLICIT = {"Api": ("ServerlessRestApi", REST, "RestApiId"), "HttpApi": ("ServerlessHttpApi", HTTP, "ApiId")}


def implicit_apis(ctx: Ctx, resources: dict) -> None:
    """Give Api/HttpApi events without an API id the implicit API, and create it when used."""
    for kind, (implicit_id, implicit_type, id_key) in IMPLICIT.items():
        used = False
        existing = resources.get(implicit_id)
        for logical_id, sam in list(resources.items()):
            if not isinstance(sam, dict) or sam.get("Type") not in ("AWS::Serverless::Function",
                                                                    "AWS::Serverless::StateMachine"):
                continue
            props = sam.get("Properties")
            events = props.get("Events") if isinstance(props, dict) else None
            if not isinstance(events, dict):
                continue
            for name, event in list(events.items()):
                if not isinstance(event, dict) or event.get("Type") != kind:
                    continue
                at = key_line(events, name)
                event_props = event.get("Properties", {} if kind == "HttpApi" else None)
                if kind == "Api" and not event_props:
                    continue
                if not isinstance(event_props, dict):
                    raise ctx.fail(at, logical_id, "Properties should be a map.", name)
                event_props = LineDict(event_props, line=line_of(event_props, at),
                                       key_lines=dict(getattr(event_props, "key_lines", {})))
                if id_key not in event_props:
                    event_props[id_key] = {"Ref": implicit_id}
                if kind == "HttpApi" and not event_props.get("Path", "") and not event_props.get("Method", ""):
                    event_props["Path"], event_props["Method"] = "$default", X_ANY
                new_event = LineDict(event, line=line_of(event, at), key_lines=dict(getattr(event, "key_lines", {})))
                new_event["Properties"] = event_props
                events[name] = new_event
                api_id = event_props.get(id_key)
                api_id = api_id["Ref"] if isinstance(api_id, dict) and "Ref" in api_id else api_id
                for key in ("Path", "Method"):
                    if event_props.get(key) is None:
                        raise ctx.fail(at, logical_id, f"Property '{key}' is required.", name)
                if not isinstance(api_id, str):
                    raise ctx.fail(at, logical_id, f"Property '{id_key}' should be a string.", name)
                for key in ("Path", "Method"):
                    if not isinstance(event_props.get(key), str):
                        raise ctx.fail(at, logical_id, f"Property '{key}' should be a string.", name)
                target = resources.get(api_id) if api_id != implicit_id else {"Type": implicit_type}
                target_type = target.get("Type") if isinstance(target, dict) else None
                if target is None or (kind == "Api" and target_type == HTTP):
                    raise ctx.fail(at, logical_id, f"{id_key} must be a valid reference to an '{implicit_type}' "
                                                   "resource in same template.", name)
                if api_id == implicit_id:
                    used = True
                ctx.apis.setdefault(api_id, {})["events"] = True
                _record_route(ctx, api_id, event_props, logical_id, name, at, kind, target)
        if used:
            line = line_of(existing) if isinstance(existing, dict) else None
            props: dict = {"__MANAGE_SWAGGER": True}
            if kind == "Api":
                props["StageName"] = "Prod"
            resources[implicit_id] = node({"Type": implicit_type, "Properties": props}, line)
            ctx.apis.setdefault(implicit_id, {}).update(implicit=True, managed=True)


def _record_route(ctx: Ctx, api_id: str, props: dict, fn_id: str, event: str, at: int | None, kind: str,
                  target: dict) -> None:
    """SAM refuses the same method on the same path twice in an API whose Swagger it manages."""
    managed = api_id in (IMPLICIT[kind][0],) or ctx.apis.get(api_id, {}).get("managed", False)
    if not managed:
        return
    method = str(props.get("Method")).lower()
    if method in ("any", X_ANY):
        method = X_ANY
    routes = ctx.apis.setdefault(api_id, {}).setdefault("routes", set())
    key = (str(props.get("Path")), method)
    if key in routes:
        if kind == "Api":
            raise ctx.fail(at, fn_id, f'API method "{props.get("Method")}" defined multiple times for path '
                                      f'"{props.get("Path")}".', event)
        raise ctx.fail(at, fn_id, f"API method '{props.get('Method')}' defined multiple times for path "
                                  f"'{props.get('Path')}'.", event)
    routes.add(key)


def rest_api_event(ev, api_id: str, api: dict) -> None:
    """Checks SAM makes when it adds an Api event's method to its API (authorizers named exist)."""
    api_props = api.get("Properties", {}) if isinstance(api, dict) else {}
    managed = ev.ctx.apis.get(api_id, {}).get("managed") or (isinstance(api_props, dict)
                                                             and api_props.get("MergeDefinitions"))
    model = ev.props.get("RequestModel")
    if managed and isinstance(model, dict) and model.get("Model"):
        method, path, name = ev.props.get("Method"), ev.props.get("Path"), model.get("Model")
        models = api_props.get("Models") if isinstance(api_props, dict) else None
        where = f"on API method [{method}] for path [{path}]"
        if not models:
            raise ev.fail(f"Unable to set RequestModel [{name}] {where} because the related API does not define any "
                          "Models.")
        if not is_intrinsic(models) and not isinstance(models, dict):
            raise ev.fail(f"Unable to set RequestModel [{name}] {where} because the related API Models defined is of "
                          "invalid type.")
        if not isinstance(name, str):
            raise ev.fail(f"Unable to set RequestModel [{name}] {where} because the related API does not contain "
                          "valid Models.")
        if isinstance(models, dict) and not models.get(name):
            raise ev.fail(f"Unable to set RequestModel [{name}] {where} because it wasn't defined in the API's "
                          "Models.")
        body, params = model.get("ValidateBody"), model.get("ValidateParameters")
        if (body is not None or params is not None) and not all(isinstance(v, bool) for v in
                                                                 (body or False, params or False)):
            raise ev.fail(f"Unable to set Validator to RequestModel [{name}] {where} ValidateBody and "
                          "ValidateParameters must be a boolean type, strings or intrinsics are not supported.")
    auth = ev.props.get("Auth")
    if not auth:
        return
    if not isinstance(auth, dict):
        raise ev.fail("Property 'Auth' should be a map.")
    api_props = api.get("Properties", {}) if isinstance(api, dict) else {}
    if not isinstance(api_props, dict) or not str(api.get("Type", "")).startswith("AWS::Serverless::"):
        return
    api_auth = resolve_params(ev.ctx, api_props.get("Auth")) or {}
    managed = api_props.get("__MANAGE_SWAGGER") or api_props.get("MergeDefinitions") or \
        api_props.get("DefinitionBody") is None
    if not managed and not auth.get("OverrideApiAuth"):
        return
    if auth.get("OverrideApiAuth") and not (auth.get("Authorizer") or auth.get("ApiKeyRequired")
                                            or auth.get("ResourcePolicy")):
        raise ev.fail("Must define one of: Authorizer, ApiKeyRequired or ResourcePolicy when using the "
                      "OverrideApiAuth property.")
    method, path = ev.props.get("Method"), ev.props.get("Path")
    authorizer = auth.get("Authorizer")
    authorizers = api_auth.get("Authorizers") if isinstance(api_auth, dict) else None
    if authorizer and authorizer != "AWS_IAM":
        if authorizer != "NONE":
            if not authorizers:
                raise ev.fail(f"Unable to set Authorizer [{authorizer}] on API method [{method}] for path [{path}] "
                              "because the related API does not define any Authorizers.")
            if not isinstance(authorizer, str) or not isinstance(authorizers, dict):
                raise ev.fail(f"Unable to set Authorizer [{authorizer}] on API method [{method}] for path [{path}]. "
                              "The method authorizer must be a string with a corresponding dict entry in the api "
                              "authorizer.")
            if not authorizers.get(authorizer):
                raise ev.fail(f"Unable to set Authorizer [{authorizer}] on API method [{method}] for path [{path}] "
                              "because it wasn't defined in the API's Authorizers.")
        elif not isinstance(api_auth, dict) or not api_auth.get("DefaultAuthorizer"):
            raise ev.fail(f"Unable to set Authorizer on API method [{method}] for path [{path}] because 'NONE' is "
                          "only a valid value when a DefaultAuthorizer on the API is specified.")
    scopes = auth.get("AuthorizationScopes")
    if scopes:
        if not isinstance(scopes, list):
            raise ev.fail("Property 'Auth.AuthorizationScopes' should be a list.")
        if not authorizer:
            raise ev.fail("AuthorizationScopes works only when Authorizer is set")
    key_required = auth.get("ApiKeyRequired")
    if key_required is not None and not key_required and not (isinstance(api_auth, dict)
                                                                and api_auth.get("ApiKeyRequired")):
        raise ev.fail(f"Unable to set ApiKeyRequired [False] on API method [{method}] for path [{path}] because the "
                      "related API does not specify any ApiKeyRequired.")


def http_api_event(ev, api_id: Any, api: Any) -> None:
    auth = ev.props.get("Auth")
    if not auth or not isinstance(api, dict):
        return
    api_props = api.get("Properties", {})
    api_auth = api_props.get("Auth", {}) if isinstance(api_props, dict) else {}
    if not isinstance(api_auth, dict):
        raise ev.ctx.fail(ev.line, api_id, "Property 'Auth' should be a map.")
    method, path = ev.props.get("Method"), ev.props.get("Path")
    authorizer = auth.get("Authorizer")
    if not authorizer:
        if api_auth.get("DefaultAuthorizer"):
            authorizer = api_auth["DefaultAuthorizer"]
        else:
            raise ev.fail("'Auth' section requires either an explicit 'Authorizer' set or a 'DefaultAuthorizer' "
                          "configured on the HttpApi.")
    authorizers = api_auth.get("Authorizers")
    iam = api_auth.get("EnableIamAuthorizer", False) is True
    if authorizer == "NONE" or (authorizer == "AWS_IAM" and iam):
        pass
    elif not isinstance(authorizer, str) or not isinstance(authorizers, dict):
        raise ev.fail(f"Unable to set Authorizer [{authorizer}] on API method [{method}] for path [{path}]. The "
                      "method authorizer must be a string with a corresponding dict entry in the api authorizer.")
    if authorizer == "NONE":
        if not api_auth.get("DefaultAuthorizer"):
            raise ev.fail(f"Unable to set Authorizer on API method [{method}] for path [{path}] because 'NONE' is "
                          "only a valid value when a DefaultAuthorizer on the API is specified.")
    elif not (authorizer == "AWS_IAM" and iam):
        if not authorizers:
            raise ev.fail(f"Unable to set Authorizer [{authorizer}] on API method [{method}] for path [{path}] "
                          "because the related API does not define any Authorizers.")
        if not authorizers.get(authorizer):
            raise ev.fail(f"Unable to set Authorizer [{authorizer}] on API method [{method}] for path [{path}] "
                          "because it wasn't defined in the API's Authorizers.")
    if auth.get("AuthorizationScopes") and not isinstance(auth.get("AuthorizationScopes"), list):
        raise ev.fail(f"Unable to set Authorizer on API method [{method}] for path [{path}] because "
                      "'AuthorizationScopes' must be a list of strings.")


def has_definition(ctx: Ctx, api_id: Any, api: Any) -> bool:
    """Whether SAM edits an OpenAPI body of this API (its own, or the one it makes when there is none)."""
    if not isinstance(api, dict) or not str(api.get("Type", "")).startswith("AWS::Serverless::"):
        return False
    props = api.get("Properties", {})
    return isinstance(props, dict) and (props.get("DefinitionBody") is not None or props.get("__MANAGE_SWAGGER")
                                        or ctx.apis.get(api_id, {}).get("managed", False))


def default_route_functions(ctx: Ctx, api_id: Any, api: Any) -> set:
    """Functions integrated on the `$default` any-method route of an HttpApi (OpenApiEditor.
    is_integration_function_logical_id_match): SAM adds no permission for their other routes."""
    info = ctx.apis.setdefault(api_id, {}) if isinstance(api_id, str) else {}
    if "defaults" in info:
        return info["defaults"]
    found: set = set()
    body = api.get("Properties", {}).get("DefinitionBody") if isinstance(api, dict) and \
        isinstance(api.get("Properties"), dict) else None
    paths = body.get("paths") if isinstance(body, dict) else None
    route = paths.get("$default") if isinstance(paths, dict) else None
    method = route.get(X_ANY) if isinstance(route, dict) else None
    integration = method.get("x-amazon-apigateway-integration") if isinstance(method, dict) else None
    uri = integration.get("uri") if isinstance(integration, dict) else None
    if isinstance(uri, dict):
        contents = [uri]
        if "Fn::If" in uri and isinstance(uri["Fn::If"], list):
            contents = [c for c in uri["Fn::If"][1:] if not (isinstance(c, dict) and c.get("Ref") == "AWS::NoValue")]
        ids = set()
        for content in contents:
            arn = content.get("Fn::Sub", "") if isinstance(content, dict) else ""
            text = arn if isinstance(arn, str) else arn[0] if isinstance(arn, list) and arn and \
                isinstance(arn[0], str) else ""
            matches = re.findall(r"([A-Za-z0-9]+\.Arn)", text)
            ids.add(matches[0].split(".Arn")[0] if matches else None)
        if len(ids) == 1 and None not in ids:
            found |= ids
    info["defaults"] = found
    return found
