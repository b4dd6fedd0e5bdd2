"""SAM templates → CloudFormation, offline, for what grants permissions.

`expand_sam` turns an `AWS::Serverless-2016-10-31` template into the CloudFormation template
the SAM transform would produce, as far as permissions go: every non-SAM resource unchanged,
and each SAM resource replaced by the resources that carry (or name) grants — the Lambda
function and its execution role, a permission per event, the function URL and its public
permissions, alias/version, implicit APIs, authorizer permissions, state machine roles,
connector policies (see sam_function, sam_events, sam_apis, sam_misc, sam_connectors).
Intrinsics stay intrinsics: permcheck's resolver evaluates them afterwards, as CloudFormation
would. Lines and `PermcheckSource` notes point every grant at the SAM construct that caused it.

Decision (measured, see the final report): permcheck expands SAM itself with SAM's own data
(policy templates, managed policy names, connector profiles; vendored in data/sam/) instead of
importing the official translator, whose import alone costs more than the pre-commit budget.
Templates SAM rejects are rejected here too (`SamError`, SAM's wording, at the line).
What the expander does not know (a SAM resource type, event type, property or policy template
that SAM 1.110.0 does not define, which a newer SAM might) is handed to the official translator
when the optional `aws-sam-translator` package is installed (`pip install "permcheck[sam]"`), and
otherwise is a clean error that names the construct and that command: a construct that may grant
access is never skipped.
"""

from __future__ import annotations

from typing import Any

from permcheck.load.source_notes import SAM_TRIGGERS, SOURCE_NOTE
from permcheck.load.nodes import LineDict, LineList, line_of
from permcheck.load.sam.core import (
    LOGICAL_ID, SAM_PREFIX, Ctx, SamError, Unsupported, get_att, key_line, merge_line_dicts, node, resource,
)
from permcheck.load.sam.schema import GLOBALS
from permcheck.model.location import InputError, Location

__all__ = ["expand_sam", "SamError"]

SAM_VERSION = "1.110.0"  # the aws-sam-translator whose behaviour and data permcheck follows
INSTALL = 'pip install "permcheck[sam]"'  # the extra that installs the official translator

FUNCTION = "AWS::Serverless::Function"
NATIVE = {
    "AWS::Serverless::Function", "AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::Serverless::WebSocketApi",
    "AWS::Serverless::StateMachine", "AWS::Serverless::SimpleTable", "AWS::Serverless::LayerVersion",
    "AWS::Serverless::Application", "AWS::Serverless::Connector", "AWS::Serverless::CapacityProvider",
    "AWS::Serverless::GraphQLApi",
}


def expand_sam(file: str, template: LineDict, deployment: Any, parameters: dict[str, str]) -> LineDict:
    """The CloudFormation a SAM template deploys as (the parts that grant access)."""
    try:
        return _expand(file, template, deployment, parameters)
    except Unsupported as gap:
        from permcheck.load.sam import official as sam_official
        if sam_official.available():
            return sam_official.translate(file, template, deployment, parameters)
        raise InputError(Location(file, gap.line),
                         f"SAM {SAM_VERSION}, whose expansion permcheck knows, does not define {gap.what}: if it is not "
                         "a typo and a newer SAM defines it, install the official SAM translator, which permcheck then "
                         f"runs offline: {INSTALL}") from None


def _expand(file: str, template: LineDict, deployment: Any, parameters: dict[str, str]) -> LineDict:
    ctx = Ctx(file, template, deployment, dict(parameters))
    resources = _validate_template(ctx)
    ctx.params = _parameter_values(ctx)
    globals_ = _parse_globals(ctx)

    for logical_id, res in resources.items():
        rtype = res.get("Type")
        if isinstance(rtype, str) and rtype.startswith(SAM_PREFIX) and rtype not in NATIVE:
            raise Unsupported(ctx.resource_line(logical_id), f"resource type {rtype} ({logical_id})")

    # SAM resources as SAM's plugins leave them: embedded connectors, implicit APIs, Globals.
    sam: dict[str, LineDict] = {}
    for logical_id, res in resources.items():
        if _is_sam_type(res):
            sam[logical_id] = _copy_sam(res)
    from permcheck.load.sam import apis as sam_apis
    from permcheck.load.sam import connectors as sam_connectors
    connectors: dict[str, LineDict] = {}
    sam_connectors.embedded(ctx, resources, connectors)
    for logical_id, res in sam.items():
        props = res.get("Properties")
        if res["Type"] in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi") and isinstance(props, dict) \
                and not props.get("DefinitionBody") and not props.get("DefinitionUri"):
            ctx.apis.setdefault(logical_id, {})["managed"] = True  # DefaultDefinitionBodyPlugin
    view = {k: (sam.get(k, v)) for k, v in resources.items()}
    sam_apis.implicit_apis(ctx, view)
    for logical_id in ("ServerlessRestApi", "ServerlessHttpApi"):
        if ctx.apis.get(logical_id, {}).get("implicit"):
            sam[logical_id] = view[logical_id]
    for logical_id, res in sam.items():
        sam[logical_id] = _apply_globals(ctx, globals_, logical_id, res)
    ctx.sam = {**sam, **connectors}

    # Non-SAM resources pass through unchanged (without `Connectors`, which SAM removes).
    for logical_id, res in resources.items():
        if logical_id in sam:
            continue
        if isinstance(res, dict) and "Connectors" in res:
            res = LineDict({k: v for k, v in res.items() if k != "Connectors"}, line=line_of(res),
                           key_lines=dict(getattr(res, "key_lines", {})))
        ctx.out[logical_id] = res
        ctx.out.key_lines[logical_id] = ctx.resource_line(logical_id)

    from permcheck.load.sam import api_resources
    from permcheck.load.sam import function as sam_function
    from permcheck.load.sam import graphql as sam_graphql
    from permcheck.load.sam import misc as sam_misc
    deployments: dict = {}
    order = {FUNCTION: 0, "AWS::Serverless::StateMachine": 1, "AWS::Serverless::Api": 2,
             "AWS::Serverless::HttpApi": 2, "AWS::Serverless::WebSocketApi": 2}
    handlers = {
        FUNCTION: lambda i, r: sam_function.expand_function(ctx, i, r, deployments),
        "AWS::Serverless::Api": lambda i, r: api_resources.expand_rest_api(ctx, i, r),
        "AWS::Serverless::HttpApi": lambda i, r: api_resources.expand_http_api(ctx, i, r),
        "AWS::Serverless::WebSocketApi": lambda i, r: api_resources.expand_websocket_api(ctx, i, r),
        "AWS::Serverless::StateMachine": lambda i, r: sam_misc.expand_state_machine(ctx, i, r),
        "AWS::Serverless::SimpleTable": lambda i, r: sam_misc.expand_simple_table(ctx, i, r),
        "AWS::Serverless::LayerVersion": lambda i, r: sam_misc.expand_layer(ctx, i, r),
        "AWS::Serverless::Application": lambda i, r: sam_misc.expand_application(ctx, i, r),
        "AWS::Serverless::CapacityProvider": lambda i, r: sam_misc.expand_capacity_provider(ctx, i, r),
        "AWS::Serverless::Connector": lambda i, r: sam_connectors.expand_connector(ctx, i, r),
        "AWS::Serverless::GraphQLApi": lambda i, r: sam_graphql.expand_graphql_api(ctx, i, r),
    }
    items = sorted(sam.items(), key=lambda kv: 3 if kv[1]["Type"] == "AWS::Serverless::Connector"
                   else order.get(kv[1]["Type"], 2.5))
    for logical_id, res in items:
        _check_resource(ctx, logical_id, res)
        handlers[res["Type"]](logical_id, res)
    _code_deploy(ctx, deployments)
    for logical_id, res in connectors.items():
        handlers["AWS::Serverless::Connector"](logical_id, res)
    return _output(ctx)


# -- the template -------------------------------------------------------------------------------
def _validate_template(ctx: Ctx) -> LineDict:
    """Parser.validate_datatypes, and what SAM requires of each SAM resource before translating it."""
    template = ctx.template
    resources = template.get("Resources")
    at = line_of(template, 1)
    if not isinstance(resources, dict) or not resources:
        raise ctx.fail(key_line(template, "Resources", at), None,
                       "Structure of the SAM template is invalid. 'Resources' section is required")
    for logical_id, res in resources.items():
        if not isinstance(res, dict):
            raise ctx.fail(key_line(resources, logical_id, at), None,
                           "Structure of the SAM template is invalid. All 'Resources' must be Objects. If you're "
                           "using YAML, this may be an indentation issue.")
    for logical_id, res in resources.items():
        if not _is_sam_type(res):
            continue
        line = ctx.resource_line(logical_id)
        condition = res.get("Condition")
        if condition is not None and not isinstance(condition, str):
            raise ctx.fail(line, None, "Structure of the SAM template is invalid. Every Condition member must be a "
                                       "string.")
        if "Properties" in res and not isinstance(res["Properties"], dict):
            raise ctx.fail(line, logical_id, "Attribute 'Properties' should be a map.")
    if "Mappings" in template and not isinstance(template["Mappings"], dict):
        raise ctx.fail(key_line(template, "Mappings", at), None, "Structure of the SAM template is invalid. "
                                                                 "'Mappings' or 'Parameters' is either null or not "
                                                                 "a valid dictionary.")
    return resources


def _is_sam_type(res: Any) -> bool:
    return isinstance(res, dict) and isinstance(res.get("Type"), str) and res["Type"].startswith(SAM_PREFIX) \
        and res["Type"] in NATIVE


def _parameter_values(ctx: Ctx) -> dict:
    """SamParameterValues: the given values, then Defaults, then AWS::Region and AWS::Partition."""
    values: dict = dict(ctx.overrides)
    declared = ctx.template.get("Parameters")
    if isinstance(declared, dict):
        for name, decl in declared.items():
            if name not in values and isinstance(decl, dict) and "Default" in decl:
                values[name] = decl["Default"]
    values.setdefault("AWS::Region", ctx.deployment.region)
    values.setdefault("AWS::Partition", ctx.deployment.partition)
    return values


def _copy_sam(res: LineDict) -> LineDict:
    """A copy of a SAM resource deep enough that expanding it never changes the template."""
    out = LineDict(res, line=line_of(res), key_lines=dict(getattr(res, "key_lines", {})))
    props = res.get("Properties")
    if isinstance(props, dict):
        props = LineDict(props, line=line_of(props), key_lines=dict(getattr(props, "key_lines", {})))
        events = props.get("Events")
        if isinstance(events, dict):
            props["Events"] = LineDict(events, line=line_of(events), key_lines=dict(getattr(events, "key_lines", {})))
        out["Properties"] = props
    elif "Properties" not in res:
        out["Properties"] = LineDict(line=line_of(res))
    return out


def _parse_globals(ctx: Ctx) -> dict:
    template = ctx.template
    if "Globals" not in template:
        return {}
    section = template["Globals"]
    at = key_line(template, "Globals", line_of(template))
    if not isinstance(section, dict) or not section:
        raise ctx.fail(at, None, "'Globals' section is invalid. It must be a non-empty dictionary")
    names = sorted(GLOBALS)
    out = {}
    for name, props in section.items():
        line = key_line(section, name, at)
        if name not in GLOBALS:
            raise ctx.fail(line, None, f"'Globals' section is invalid. '{name}' is not supported. Must be one of the "
                                       f"following values - {names}")
        if not isinstance(props, dict):
            raise ctx.fail(line, None, "'Globals' section is invalid. Value of ${section} must be a dictionary")
        for key in props:
            if key not in GLOBALS[name]:
                raise ctx.fail(key_line(props, key, line), None,
                               f"'Globals' section is invalid. '{key}' is not a supported property of '{name}'. "
                               f"Must be one of the following values - {GLOBALS[name]}")
        out[SAM_PREFIX + name] = props
    return out


def _apply_globals(ctx: Ctx, globals_: dict, logical_id: str, res: LineDict) -> LineDict:
    rtype = res.get("Type")
    if rtype not in globals_:
        return res
    section = globals_[rtype]
    ignore = res.get("IgnoreGlobals")
    if ignore:
        if ignore == "*":
            return res
        if not isinstance(ignore, list) or not all(isinstance(k, str) for k in ignore):
            raise ctx.fail(ctx.resource_line(logical_id), logical_id,
                           f"Resource {logical_id} has invalid resource attribute 'IgnoreGlobals'.")
        for key in ignore:
            if key not in section:
                raise ctx.fail(ctx.resource_line(logical_id), logical_id,
                               f"Resource {logical_id} has invalid resource attribute 'IgnoreGlobals' on item '{key}'.")
        section = LineDict({k: v for k, v in section.items() if k not in ignore}, line=line_of(section),
                           key_lines=dict(getattr(section, "key_lines", {})))
    out = LineDict(res, line=line_of(res), key_lines=dict(res.key_lines))
    out["Properties"] = _merge(section, res.get("Properties") or LineDict(line=line_of(res)))
    return out


def _merge(global_value: Any, local_value: Any) -> Any:
    """GlobalProperties._do_merge: mappings merge, lists concatenate (global first), local wins."""
    kinds = (_token(global_value), _token(local_value))
    if kinds == ("dict", "dict"):
        out = LineDict(global_value, line=line_of(local_value, line_of(global_value)),
                       key_lines=dict(getattr(global_value, "key_lines", {})))
        for key, value in local_value.items():
            out[key] = _merge(global_value[key], value) if key in global_value else value
            line = key_line(local_value, key)
            if line is not None:
                out.key_lines[key] = line
        return out
    if kinds == ("list", "list"):
        items = list(global_value) + list(local_value)
        lines = [(global_value.line_of(i) if isinstance(global_value, LineList) else None)
                 for i in range(len(global_value))]
        lines += [(local_value.line_of(i) if isinstance(local_value, LineList) else None)
                  for i in range(len(local_value))]
        return LineList(items, line=line_of(local_value), item_lines=lines)
    return local_value


def _token(value: Any) -> str:
    from permcheck.load.sam.schema import is_intrinsic
    if isinstance(value, dict):
        return "primitive" if is_intrinsic(value) else "dict"
    return "list" if isinstance(value, list) else "primitive"


def _check_resource(ctx: Ctx, logical_id: str, res: dict) -> None:
    if not isinstance(logical_id, str) or not LOGICAL_ID.match(logical_id):
        raise ctx.fail(ctx.resource_line(logical_id), logical_id, "Logical ids must be alphanumeric.")


# -- CodeDeploy (DeploymentPreference) ---------------------------------------------------------
def _code_deploy(ctx: Ctx, deployments: dict) -> None:
    enabled = {k: v for k, v in deployments.items() if v}
    if not enabled:
        return
    first_line = next(iter(enabled.values()))["line"]
    note = "created by SAM: DeploymentPreference (CodeDeploy)"
    conditions = {v["condition"] for v in enabled.values()}
    condition_attrs: dict = {}
    if deployments and all(v and v["condition"] for v in deployments.values() if v):
        names = sorted(c for c in conditions if c)
        if len(names) == 1:
            condition_attrs["Condition"] = names[0]
        elif names:
            condition_attrs["Condition"] = "ServerlessCodeDeployCondition"
            ctx.conditions["ServerlessCodeDeployCondition"] = node(
                {"Fn::Or": [{"Condition": n} for n in names]}, first_line)
    ctx.add("ServerlessDeploymentApplication", resource("AWS::CodeDeploy::Application", {"ComputePlatform": "Lambda"},
                                                        first_line, note, condition_attrs), "DeploymentPreference")
    if not all(v["role"] for v in enabled.values()):
        partition = ctx.deployment.partition
        ctx.add("CodeDeployServiceRole", resource("AWS::IAM::Role", {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["codedeploy.amazonaws.com"]}}]},
            "ManagedPolicyArns": [f"arn:{partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda"]},
            first_line, f"{note}: service role", condition_attrs), "DeploymentPreference")
    for fn_id, preference in enabled.items():
        ctx.add(f"{fn_id}DeploymentGroup", resource("AWS::CodeDeploy::DeploymentGroup", {
            "ServiceRoleArn": preference["role"] or get_att("CodeDeployServiceRole", "Arn")}, preference["line"],
            f"created by SAM: {fn_id}.DeploymentPreference",
            {"Condition": preference["condition"]} if preference["condition"] else {}), fn_id)


# -- the output -----------------------------------------------------------------------------------
def _output(ctx: Ctx) -> LineDict:
    template = ctx.template
    out = LineDict(line=line_of(template), key_lines={})
    for key, value in template.items():
        if key in ("Transform", "Globals"):
            continue
        out[key] = value
        line = key_line(template, key)
        if line is not None:
            out.key_lines[key] = line
    out["Resources"] = _rewrite_refs(ctx, ctx.out)
    if ctx.triggers:
        out[SAM_TRIGGERS] = LineList([_rewrite_refs(ctx, fact) for fact in ctx.triggers], line=line_of(template),
                                     item_lines=[line_of(fact) for fact in ctx.triggers])
    if ctx.conditions:
        conditions = template.get("Conditions") if isinstance(template.get("Conditions"), dict) else LineDict()
        out["Conditions"] = merge_line_dicts(conditions, ctx.conditions)
    return out


def _rewrite_refs(ctx: Ctx, value: Any) -> Any:
    """resolve_sam_resource_refs: `Ref: Fn.Alias`, `Fn::GetAtt: [Fn.Alias, X]`, `${Fn.Alias}` → the
    generated resource. Copies only what changes."""
    if not ctx.refs:
        return value
    if isinstance(value, dict):
        if len(value) == 1:
            key, arg = next(iter(value.items()))
            if key == "Ref" and isinstance(arg, str) and "." in arg:
                target = ctx.refs.get(tuple(arg.split(".", 1)))
                if target:
                    return node({"Ref": target}, line_of(value))
            if key == "Fn::GetAtt":
                parts = arg.split(".") if isinstance(arg, str) else \
                    arg[0].split(".") + list(arg[1:]) if isinstance(arg, list) and arg and isinstance(arg[0], str) \
                    else None
                if parts and len(parts) >= 3 and all(isinstance(p, str) for p in parts):
                    target = ctx.refs.get((parts[0], parts[1]))
                    if target:
                        return node({"Fn::GetAtt": [target, ".".join(parts[2:])]}, line_of(value))
            if key == "Fn::Sub":
                rewritten = _rewrite_sub(ctx, arg)
                if rewritten is not arg:
                    return node({"Fn::Sub": rewritten}, line_of(value))
        changed = {}
        for k, v in value.items():
            new = _rewrite_refs(ctx, v)
            if new is not v:
                changed[k] = new
        if not changed:
            return value
        out = LineDict(value, line=line_of(value), key_lines=dict(getattr(value, "key_lines", {})))
        out.update(changed)
        return out
    if isinstance(value, list):
        items = [_rewrite_refs(ctx, v) for v in value]
        if all(a is b for a, b in zip(items, value)):
            return value
        return LineList(items, line=line_of(value), item_lines=list(getattr(value, "item_lines", [])))
    return value


def _rewrite_sub(ctx: Ctx, arg: Any) -> Any:
    import re

    def fix(text: str) -> str:
        def one(match: re.Match) -> str:
            parts = match.group(1).split(".")
            if len(parts) >= 2:
                target = ctx.refs.get((parts[0], parts[1]))
                if target:
                    return "${" + ".".join([target, *parts[2:]]) + "}"
            return match.group(0)
        return re.sub(r"\$\{([A-Za-z0-9]+\.[A-Za-z0-9.]+)\}", one, text)
    if isinstance(arg, str):
        new = fix(arg)
        return arg if new == arg else new
    if isinstance(arg, list) and arg and isinstance(arg[0], str):
        new = fix(arg[0])
        rest = [_rewrite_refs(ctx, v) for v in arg[1:]]
        if new == arg[0] and all(a is b for a, b in zip(rest, arg[1:])):
            return arg
        return [new, *rest]
    return arg


_ = SOURCE_NOTE  # re-exported for readers: generated resources carry it
