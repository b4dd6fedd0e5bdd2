"""The wiring SAM makes that permcheck's expansion keeps as facts (load/sam/trigger_facts.py) → triggers,
built as the CloudFormation SAM would have written is read: a bucket's notification, a user pool's
trigger, an API route, a state machine's definition. Each names the SAM construct that made it (its
note) and points at its line; the resource it belongs to (the bucket, the pool, the API, the machine) is
its `logical_id`, as it would be once SAM has written the wiring there.
"""

from __future__ import annotations

from permcheck.load.cfn_trigger_reader import TriggerReader, text
from permcheck.load.cfn_triggers_api import ApiAuth, route_arn, websocket_message
from permcheck.load.cfn_triggers_push import bucket_notification
from permcheck.load.cfn_triggers_states import machine_functions
from permcheck.load.nodes import LineList, line_of, plain
from permcheck.load.source_notes import SAM_TRIGGERS
from permcheck.model.location import Location
from permcheck.model.trigger_kinds import cognito_trigger, route_trigger


def read(r: TriggerReader) -> None:
    """Before the API reader: an API's `ApiAuth` decides the routes of its body."""
    facts = r.load.template.get(SAM_TRIGGERS)
    if not isinstance(facts, LineList):
        return
    routes = []
    for fact in facts:
        if not isinstance(fact, dict) or not r.created(fact):
            continue
        kind = fact.get("Kind")
        where = {"source_note": fact.get("Note"), "location": Location(r.file, line_of(fact))}
        if kind == "S3":
            _s3(r, fact, where)
        elif kind == "Cognito":
            pool = str(fact.get("UserPool"))
            function = r.function(None, names=True, resolved=r.value(fact.get("Function")))
            for name in fact.get("Triggers") or []:
                if function is not None:
                    r.add(cognito_trigger(text(r.get_att(pool, "Arn")), function, str(name), logical_id=pool, **where))
        elif kind == "Route":
            routes.append((fact, where))
        elif kind == "ApiAuth":
            auth = r.api_auth.setdefault(str(fact.get("Api")), ApiAuth())
            authorizers = fact.get("Authorizers")
            auth.default, auth.api_key = fact.get("Default"), fact.get("ApiKey") is True
            auth.authorizers = {str(k): str(v) for k, v in authorizers.items()} if isinstance(authorizers, dict) else {}
        elif kind == "RouteAuth":  # an event's OverrideApiAuth on a method of the API's own definition
            auth = r.api_auth.setdefault(str(fact.get("Api")), ApiAuth())
            auth.overrides[(str(fact.get("Path")), str(fact.get("Method")))] = str(fact.get("Authorization"))
        elif kind == "StateMachine":
            machine = str(fact.get("Machine"))
            written = r.template_resources.get(machine)  # the StateMachine SAM writes: its RoleArn
            props = written.get("Properties") if isinstance(written, dict) else None
            role = r.prop(props, "RoleArn") if isinstance(props, dict) else None
            machine_functions(r, r.ref(machine), r.value(fact.get("Definition")), r.value(fact.get("Substitutions")),
                              role, logical_id=machine, source_note=where["source_note"], at=fact)
    _routes(r, routes)


def _s3(r: TriggerReader, fact: dict, where: dict) -> None:
    """One LambdaConfiguration per event type, as SAM writes them on the bucket (but for one the bucket
    already has, which SAM does not add twice)."""
    bucket = str(fact.get("Bucket"))
    resource = r.template_resources.get(bucket)
    props = resource.get("Properties") if isinstance(resource, dict) else None
    config = props.get("NotificationConfiguration") if isinstance(props, dict) else None
    own = config.get("LambdaConfigurations") if isinstance(config, dict) else None
    own = [plain(c) for c in own] if isinstance(own, list) else []
    function, rules = r.value(fact.get("Function")), r.value(fact.get("Filter"))
    for event in fact.get("Events") or []:
        written = {"Event": plain(event), "Function": plain(fact.get("Function"))}
        if fact.get("Filter") is not None:
            written["Filter"] = plain(fact["Filter"])
        if written in own:
            continue
        bucket_notification(r, r.get_att(bucket, "Arn"), {"Event": r.value(event), "Function": function,
                                                           "Filter": rules}, logical_id=bucket, **where)


def _routes(r: TriggerReader, routes: list) -> None:
    """API routes: REST and HTTP `METHOD /path` (or HTTP `$default`), WebSocket route keys."""
    connect = {str(f.get("Api")): f.get("Authorization") for f, _ in routes
               if f.get("Protocol") == "WEBSOCKET" and f.get("RouteKey") == "$connect"}
    for fact, where in routes:
        function = r.function(None, names=True, resolved=r.value(fact.get("Function")))
        if function is None:
            continue
        api, api_id, authorization = fact.get("Api"), r.value(fact.get("ApiId")), str(fact.get("Authorization"))
        if fact.get("Protocol") == "WEBSOCKET":
            key = str(fact.get("RouteKey"))
            trigger = route_trigger(route_arn(r, api_id, key, None), function, key, authorization,
                                    logical_id=fact.get("Route") or api, **where)
            if key != "$connect" and str(api) in connect:
                trigger = websocket_message(r, trigger, api_id, str(connect[str(api)]))
            r.add(trigger)
            continue
        method, path = str(fact.get("Method")), str(fact.get("Path"))
        if fact.get("Protocol") == "HTTP" and path in ("$default", "/$default") and method == "ANY":
            r.add(route_trigger(route_arn(r, api_id, "$default", None), function, "$default", authorization,
                                logical_id=api, **where))
            continue
        arn_path = path[:-1] if len(path) > 1 and path.endswith("/") else path  # SAM's source ARN drops it
        r.add(route_trigger(route_arn(r, api_id, method, arn_path), function, f"{method} {path}", authorization,
                            logical_id=api, **where))
