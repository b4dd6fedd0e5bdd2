"""API events (Api, HttpApi): the permission for API Gateway on the route's ARN, after SAM's checks of
the event against its API."""

from __future__ import annotations

import re

from permcheck.load.nodes import line_of
from permcheck.load.sam import trigger_facts
from permcheck.load.sam.core import sub
from permcheck.load.sam.events.base import Event, X_ANY


def _api_checks(ev: Event) -> str:
    """Api.resources_to_link: the API the event names, and the stage its permission is named after."""
    from permcheck.load.sam import apis as sam_apis
    api_id = ev.props.get("RestApiId")
    api_name = api_id["Ref"] if isinstance(api_id, dict) and "Ref" in api_id else api_id
    suffix = "AllStages"
    if isinstance(api_name, str):
        api = ev.ctx.sam_or_template(api_name)
        if not isinstance(api, dict):
            raise ev.fail("RestApiId property of Api event must reference a valid resource in the same template.")
        api_props = api.get("Properties", {})
        if not isinstance(api_props, dict):
            raise ev.ctx.fail(line_of(api, ev.line), api_name, "Attribute 'Properties' should be a map.")
        stage = api_props.get("StageName")
        if isinstance(stage, str):
            if not stage:
                raise ev.ctx.fail(line_of(api, ev.line), api_name, "StageName cannot be empty.")
            suffix = stage
        else:
            suffix = "Stage"
        sam_apis.rest_api_event(ev, api_name, api)
    return suffix


def _api(ev: Event) -> None:
    """An Api event: permission for API Gateway on `METHOD path` of every stage of the API."""
    suffix = _api_checks(ev)
    props = ev.props
    method = props.get("Method")
    method = method.lower() if isinstance(method, str) else method
    path = re.sub(r"^(.+)/$", r"\1", props.get("Path"))
    path = re.sub(r"{([a-zA-Z0-9._-]+|[a-zA-Z0-9._-]+\+|proxy\+)}", "*", path)
    method_arn = "*" if method == "any" else method.upper()
    source_arn = sub(ev.arn("execute-api", f"${{__ApiId__}}/${{__Stage__}}/{method_arn}{path}"),
                     {"__ApiId__": props.get("RestApiId"), "__Stage__": "*"})
    ev.permission("apigateway.amazonaws.com", source_arn=source_arn, suffix=suffix)
    api_id = props.get("RestApiId")
    api_name = api_id["Ref"] if isinstance(api_id, dict) and "Ref" in api_id else api_id
    trigger_facts.api_event(ev, api_name, ev.ctx.sam_or_template(api_name) if isinstance(api_name, str) else None,
                            http=False)


def _http_api(ev: Event) -> None:
    from permcheck.load.sam import apis as sam_apis
    props = ev.props
    api_id = props.get("ApiId")
    api_name = api_id["Ref"] if isinstance(api_id, dict) and "Ref" in api_id else api_id
    api = ev.ctx.sam_or_template(api_name) if isinstance(api_name, str) else None
    path, method = props.get("Path"), props.get("Method")
    if not isinstance(path, str) or not isinstance(method, str):
        raise ev.fail("Property 'Path' should be a string." if not isinstance(path, str)
                      else "Property 'Method' should be a string.")
    sam_apis.http_api_event(ev, api_name, api)
    trigger_facts.api_event(ev, api_name, api, http=True)
    lower = method.lower()
    defaults = sam_apis.default_route_functions(ev.ctx, api_name, api)
    raw_path = path
    path = re.sub(r"^(.+)/$", r"\1", path)
    if path == "$default":
        path = ""
    elif ev.fn_id in defaults:
        return  # the function already serves `$default` on this API: SAM adds no narrower permission
    path = re.sub(r"{([a-zA-Z0-9._-]+|proxy\+)}", "*", path)
    method_arn = "*" if lower in ("any", X_ANY) else method.upper()
    resource_part = "${__ApiId__}/${__Stage__}"
    resource_part += path if lower == "any" and path == "/$default" else f"/{method_arn}{path}"
    source_arn = sub(ev.arn("execute-api", resource_part, partition="${AWS::Partition}"),
                     {"__ApiId__": api_id, "__Stage__": "*"})
    ev.permission("apigateway.amazonaws.com", source_arn=source_arn)
    if raw_path == "$default" and lower in ("any", X_ANY) and ev.target.alias_id is None \
            and sam_apis.has_definition(ev.ctx, api_name, api):
        defaults.add(ev.fn_id)
