"""Callers that wait for the function besides API Gateway → triggers: Application Load Balancer target
groups of type `lambda`, and AppSync Lambda data sources.

A target group's requests come from the listeners that forward to it: the template says whether one
does and whether its load balancer is internet-facing (the default scheme), and whether the listener
authenticates first (`authenticate-cognito`, `authenticate-oidc`)
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html,
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html).
A data source's requests come from its GraphQL API, through the API's authorization modes.
"""

from __future__ import annotations

from permcheck.load.cfn_trigger_reader import TriggerReader, items, logical_id_of, text
from permcheck.model.trigger_kinds import alb_trigger, appsync_trigger

INTERNAL = "who reaches the load balancer is decided by its network (scheme internal), not IAM"
NO_LISTENER = "no listener of the inputs forwards to this target group: who reaches it is decided outside the inputs"
UNKNOWN_SCHEME = "the load balancer is not in the inputs: who reaches it is decided by its network, not IAM"
AUTHENTICATED = "the listener authenticates requests first ({}): whoever it admits"


def read(r: TriggerReader) -> None:
    _target_groups(r)
    _data_sources(r)


# -- Application Load Balancer ------------------------------------------------------------------------
def _target_groups(r: TriggerReader) -> None:
    forwards = _forwards(r)
    for logical_id, resource, props in r.resources("AWS::ElasticLoadBalancingV2::TargetGroup"):
        kind = r.prop(props, "TargetType")
        if not (isinstance(kind, str) and kind.lower() == "lambda"):
            continue
        targets = r.prop(props, "Targets")
        group = r.ref(logical_id)  # Ref of a target group is its ARN
        reach = _reach(r, forwards.get(logical_id, []))
        for line, target in items(targets):
            function = r.function(None, names=True, resolved=target.get("Id")) if isinstance(target, dict) else None
            if function is None:
                continue
            r.add(alb_trigger(text(group), function, reach is None, reach, logical_id=logical_id,
                              source_note=r.note(resource), location=r.location(target, line, resource)))


def _forwards(r: TriggerReader) -> dict[str, list[tuple[str | None, list[str]]]]:
    """Target group logical id → (load balancer logical id, authenticating actions) of each listener or
    listener rule that forwards to it."""
    listeners: dict[str, str | None] = {}
    out: dict[str, list[tuple[str | None, list[str]]]] = {}
    for logical_id, resource, props in r.resources("AWS::ElasticLoadBalancingV2::Listener"):
        listeners[logical_id] = logical_id_of(props.get("LoadBalancerArn"))
        _actions(props.get("DefaultActions"), listeners[logical_id], out)
    for logical_id, resource, props in r.resources("AWS::ElasticLoadBalancingV2::ListenerRule"):
        listener = logical_id_of(props.get("ListenerArn"))
        _actions(props.get("Actions"), listeners.get(listener) if listener else None, out)
    return out


def _actions(actions: object, balancer: str | None, out: dict) -> None:
    """Forward actions (TargetGroupArn, or ForwardConfig.TargetGroups), as written."""
    actions = actions if isinstance(actions, list) else []
    authenticating = [str(a.get("Type")) for a in actions if isinstance(a, dict)
                      and str(a.get("Type", "")).startswith("authenticate-")]
    for action in actions:
        if not isinstance(action, dict):
            continue
        groups = [action.get("TargetGroupArn")]
        config = action.get("ForwardConfig")
        if isinstance(config, dict) and isinstance(config.get("TargetGroups"), list):
            groups += [g.get("TargetGroupArn") for g in config["TargetGroups"] if isinstance(g, dict)]
        for group in groups:
            target = logical_id_of(group)
            if target is not None:
                out.setdefault(target, []).append((balancer, authenticating))


def _reach(r: TriggerReader, forwards: list[tuple[str | None, list[str]]]) -> str | None:
    """None when an internet-facing load balancer forwards here without authenticating (public);
    else why who reaches it is decided outside IAM."""
    if not forwards:
        return NO_LISTENER
    reasons = []
    for balancer, authenticating in forwards:
        resource = r.template_resources.get(balancer) if balancer else None
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::ElasticLoadBalancingV2::LoadBalancer":
            reasons.append(UNKNOWN_SCHEME)
            continue
        props = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
        scheme = r.prop(props, "Scheme") or "internet-facing"
        if scheme != "internet-facing":
            reasons.append(INTERNAL if scheme == "internal" else UNKNOWN_SCHEME)
        elif authenticating:
            reasons.append(AUTHENTICATED.format(", ".join(authenticating)))
        else:
            return None
    return reasons[0]


# -- AppSync ------------------------------------------------------------------------------------------------
def _data_sources(r: TriggerReader) -> None:
    """AWS::AppSync::DataSource of Type AWS_LAMBDA and its GraphQL API's authorization modes.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-appsync-datasource.html"""
    for logical_id, resource, props in r.resources("AWS::AppSync::DataSource"):
        if r.prop(props, "Type") != "AWS_LAMBDA":
            continue
        config = r.prop(props, "LambdaConfig")
        function = r.function(None, names=True, resolved=config.get("LambdaFunctionArn")) \
            if isinstance(config, dict) else None
        if function is None:
            continue
        api_id = logical_id_of(props.get("ApiId"))
        api = r.template_resources.get(api_id) if api_id else None
        modes = _modes(r, api) if isinstance(api, dict) and api.get("Type") == "AWS::AppSync::GraphQLApi" else ()
        arn = r.arn("appsync", "apis/", text(r.prop(props, "ApiId")))
        role = r.prop(props, "ServiceRoleArn")
        r.add(appsync_trigger(text(arn), function, modes, None if role is None else text(role), logical_id=logical_id,
                              source_note=r.note(resource),
                              location=r.location(config, r.line(props, "LambdaConfig"), resource)))


def _modes(r: TriggerReader, api: dict) -> tuple[str, ...]:
    props = api.get("Properties") if isinstance(api.get("Properties"), dict) else {}
    modes = [r.prop(props, "AuthenticationType")]
    extra = r.prop(props, "AdditionalAuthenticationProviders")
    modes += [p.get("AuthenticationType") for p in extra if isinstance(p, dict)] if isinstance(extra, list) else []
    return tuple(str(text(m)) for m in modes if m is not None)
