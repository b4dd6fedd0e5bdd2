"""Triggers of a plan that a request fires: API Gateway routes integrated with functions.

REST APIs: an aws_api_gateway_integration of type AWS or AWS_PROXY whose `uri` invokes a
function, read with its aws_api_gateway_method (authorization, API key) and the path of its
aws_api_gateway_resource. HTTP and WebSocket APIs: an aws_apigatewayv2_route whose `target` is
`integrations/ID` of an aws_apigatewayv2_integration whose `integration_uri` is a function, and
an aws_apigatewayv2_api made by quick create (`target`: a catch-all route with no authorization).
Each route is `arn:…:execute-api:REGION:ACCOUNT:API/*/METHOD/PATH`, any stage
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html).
"""

from __future__ import annotations

import re

from permcheck.load.tf_plan import TfResource
from permcheck.load.tf_wiring import FUNCTIONS, Wiring, is_function_arn
from permcheck.model.trigger_kinds import route_trigger
from permcheck.model.values import Sym, Unknown, concat

PARAMETER = re.compile(r"\{[^}]*\}")
INVOCATIONS = re.compile(r"/functions/(arn:[^/]+)/invocations$")
LAMBDA_TYPES = ("AWS", "AWS_PROXY")  # AWS_PROXY integrates Lambda only; AWS integrates any service
MAX_PATH_DEPTH = 64  # aws_api_gateway_resource parents followed for one path


def load(wiring: Wiring) -> None:
    _rest_integrations(wiring)
    _http_routes(wiring)
    _quick_create_apis(wiring)


def _integrated(w: Wiring, res: TfResource, attr: str, kind: object) -> object | None:
    """The function an integration URI invokes: a function ARN, an invocation URI of one, or an
    expression made from one; None when it integrates something else."""
    uri = w.load.text(res, attr)
    if isinstance(uri, str):
        found = INVOCATIONS.search(uri)
        target = found.group(1) if found else uri if is_function_arn(uri) else None
        return w.function_named(res, target) if target is not None else None
    if uri is None or kind not in (*LAMBDA_TYPES, None) and not isinstance(kind, Unknown):
        return None
    if w.plan.references(res, attr, *FUNCTIONS):
        return w.function(res, attr)
    return uri if kind == "AWS_PROXY" else None  # a proxy integration is Lambda's: its function is unknown


def _api_id(w: Wiring, res: TfResource, attr: str, api_type: str) -> object:
    """An API's id: as given, else the id of the API the expression refers to."""
    value = w.load.text(res, attr)
    if isinstance(value, str):
        return value
    refs = w.plan.references(res, attr, api_type)
    return w.load.name(refs[0], "id") if len(refs) == 1 else w.load.name(res, attr)


def _route_arn(w: Wiring, res: TfResource, api: object, method: str, path: object) -> object:
    """A request's ARN names its actual path: a path parameter (`{id}`, `{proxy+}`) is any segment."""
    d = w.load.deployment
    parts = path.parts if isinstance(path, Sym) else (path,)
    return concat(["arn:", d.partition, ":execute-api:", res.region, ":", d.account, ":", api, "/*/",
                   "*" if method == "ANY" else method,
                   *(PARAMETER.sub("*", p) if isinstance(p, str) else p for p in parts)])


# -- REST APIs -------------------------------------------------------------------------------

def _rest_integrations(w: Wiring) -> None:
    methods = w.plan.of_type("aws_api_gateway_method")
    by_key = {_method_key(w, m): m for m in methods}
    by_id = _deployed(w)
    for res in w.plan.of_type("aws_api_gateway_integration"):
        function = _integrated(w, res, "uri", w.load.text(res, "type"))
        if function is None:
            continue
        refs = [r for attr in ("http_method", "resource_id")
                for r in w.plan.references(res, attr, "aws_api_gateway_method")]
        method = refs[0] if len({r.address for r in refs}) == 1 else by_key.get(_method_key(w, res))
        verb = w.load.text(res, "http_method")
        if not isinstance(verb, str) and method is not None:
            verb = w.load.text(method, "http_method")
        verb = verb if isinstance(verb, str) else str(verb)
        path = _path(w, method if method is not None else res, by_id)
        arn = _route_arn(w, res, _api_id(w, res, "rest_api_id", "aws_api_gateway_rest_api"), verb, path)
        route = f"{verb} {path}"
        auth = w.load.text(method, "authorization") if method is not None else None
        if not isinstance(auth, str):
            why = "its method is not in the plan" if method is None else "it is known after apply"
            w.add(_unknown_authorization(route_trigger(arn, function, route, "CUSTOM", **w.where(res)), why))
            continue
        key_required = method.values.get("api_key_required") is True
        if auth.upper() == "NONE" and key_required:
            auth = "API_KEY"  # no caller identity, but a key the API's usage plans give out
        notes = ("an API key is also required",) if key_required and auth != "API_KEY" else ()
        w.add(route_trigger(arn, function, route, auth, **w.where(res)), *notes)


def _deployed(w: Wiring) -> dict[str, TfResource]:
    """The plan's API resources (and API roots) whose ids are known: deployed already."""
    out = {}
    for attr, rtype in (("id", "aws_api_gateway_resource"), ("root_resource_id", "aws_api_gateway_rest_api")):
        for res in w.plan.of_type(rtype):
            value = w.load.text(res, attr)
            if isinstance(value, str):
                out[value] = res
    return out


def _unknown_authorization(trigger, why: str):
    """A route whose authorization the plan does not give: neither public nor any one kind."""
    return trigger.model_copy(update={"authorization": None, "notes": trigger.notes + (
        f"the route's authorization is unknown ({why})",)})


def _method_key(w: Wiring, res: TfResource) -> tuple[str, str, str]:
    """What ties an integration to its method: the API, the resource and the verb (each a known
    value, or the address the expression refers to)."""
    def ident(attr: str, *types: str) -> str:
        value = w.load.text(res, attr)
        if isinstance(value, str):
            return value
        refs = w.plan.references(res, attr, *types)
        return refs[0].address if len(refs) == 1 else f"{res.address}.{attr}"
    return (ident("rest_api_id", "aws_api_gateway_rest_api"),
            ident("resource_id", "aws_api_gateway_resource", "aws_api_gateway_rest_api"),
            ident("http_method", "aws_api_gateway_method"))


def _path(w: Wiring, res: TfResource, by_id: dict[str, TfResource]) -> object:
    """The path of the resource `res` (a method or integration) names: its `path` when known,
    else its path parts up to the API's root."""
    parts: list[object] = []
    holder, attr = res, "resource_id"
    for _ in range(MAX_PATH_DEPTH):
        value = w.load.text(holder, attr)
        refs = [by_id[value]] if isinstance(value, str) and value in by_id else \
            w.plan.references(holder, attr, "aws_api_gateway_resource", "aws_api_gateway_rest_api")
        if len(refs) != 1:
            return concat(["/", Unknown(f"{res.address} resource path (known after apply)")])
        if refs[0].type == "aws_api_gateway_rest_api":  # its root_resource_id: "/"
            return concat(parts) if parts else "/"
        known = w.load.text(refs[0], "path")
        if isinstance(known, str):
            return concat([known.rstrip("/"), *parts]) or "/"
        parts = ["/", w.load.name(refs[0], "path_part"), *parts]
        holder, attr = refs[0], "parent_id"
    return concat(["/", Unknown(f"{res.address} resource path (deeper than {MAX_PATH_DEPTH} resources)")])


# -- HTTP and WebSocket APIs -----------------------------------------------------------------

def _http_routes(w: Wiring) -> None:
    integrations = w.plan.of_type("aws_apigatewayv2_integration")
    by_id = {w.load.text(i, "id"): i for i in integrations if isinstance(w.load.text(i, "id"), str)}
    for res in w.plan.of_type("aws_apigatewayv2_route"):
        target = w.load.text(res, "target")
        if target is None:
            continue  # no integration: nothing runs
        refs = w.plan.references(res, "target", "aws_apigatewayv2_integration")
        integration = refs[0] if len(refs) == 1 else by_id.get(str(target).removeprefix("integrations/"))
        if integration is None:
            continue  # an integration of another plan: what it invokes is not known here
        function = _integrated(w, integration, "integration_uri", w.load.text(integration, "integration_type"))
        if function is None:
            continue
        key = w.load.text(res, "route_key")
        key = key if isinstance(key, str) else str(key)
        api = _api_id(w, res, "api_id", "aws_apigatewayv2_api")
        auth = w.load.text(res, "authorization_type") or "NONE"
        trigger = route_trigger(_v2_route_arn(w, res, api, key), function, key,
                                auth if isinstance(auth, str) else "CUSTOM", **w.where(res))
        if not isinstance(auth, str):
            trigger = _unknown_authorization(trigger, "it is known after apply")
        w.add(trigger, *(("an API key is also required",) if res.values.get("api_key_required") is True else ()))


def _v2_route_arn(w: Wiring, res: TfResource, api: object, key: str) -> object:
    """`POST /orders` → API/*/POST/orders; `$default`, `$connect` or a WebSocket route → API/*/KEY."""
    verb, _, path = key.partition(" ")
    if path:
        return _route_arn(w, res, api, verb, path)
    d = w.load.deployment
    return concat(["arn:", d.partition, ":execute-api:", res.region, ":", d.account, ":", api, "/*/", key])


def _quick_create_apis(w: Wiring) -> None:
    """aws_apigatewayv2_api with `target`: quick create makes a catch-all (or `route_key`) route
    to it with no authorization (https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html)."""
    for res in w.plan.of_type("aws_apigatewayv2_api"):
        if w.load.text(res, "target") is None:
            continue
        function = _integrated(w, res, "target", None)
        if function is None:
            continue  # an HTTP URL
        key = w.load.text(res, "route_key")
        key = key if isinstance(key, str) else "$default"
        api = w.load.name(res, "id")
        w.add(route_trigger(_v2_route_arn(w, res, api, key), function, key, "NONE", **w.where(res)))
