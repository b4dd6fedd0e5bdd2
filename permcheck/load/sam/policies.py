"""SAM `Policies:` of a function or state machine → the execution role's policies.

An item is one of (samtranslator/model/resource_policies.py, role_utils/role_constructor.py):
- a policy document (a mapping with `Statement`) → an inline policy `<Role>Policy<index>`;
- a managed policy name or ARN (a string, or any intrinsic) → `ManagedPolicyArns`, a name turned
  into its ARN with SAM's map (data/sam/aws_managed_policies.json), else kept as given;
- a policy template (a one-key mapping naming one of data/sam/policy_templates.json) → its
  statements with the parameters substituted, as an inline policy;
- `Fn::If` of either kind, each branch handled as above.
Anything else is an error, as it is for SAM. Each generated policy keeps the line of its item.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from permcheck.load.nodes import LineDict, LineList, line_of
from permcheck.load.sam.core import Ctx, is_if, is_no_value, item_line, key_line, node
from permcheck.load.sam.schema import is_intrinsic
from permcheck.model.sam_data import managed_policy_map, policy_templates


def managed_arn(ctx: Ctx, name: str) -> str:
    """SAM's `_get_managed_policy_arn`: the bundled map of the partition, else the name as given."""
    if name.startswith("arn:"):
        return name
    found = managed_policy_map().get(ctx.deployment.partition, {}).get(name)
    return found if found else name


def aws_managed(ctx: Ctx, path_name: str) -> str:
    return f"arn:{ctx.deployment.partition}:iam::aws:policy/{path_name}"


def policy_kind(value: Any, ctx: Ctx, at: object, logical_id: str) -> str:
    """"statement", "managed", "template" or "unknown" (ResourcePolicies._get_type)."""
    if isinstance(value, str):
        return "managed"
    if is_if(value):
        args = value["Fn::If"]
        if not isinstance(args, list) or len(args) != 3:
            raise ctx.fail(at, None, "Fn::If requires 3 arguments", None)
        first, second = policy_kind(args[1], ctx, at, logical_id), policy_kind(args[2], ctx, at, logical_id)
        if first == second:
            return first
        if is_no_value(args[1]):
            return second
        if is_no_value(args[2]):
            return first
        raise ctx.fail(at, None, "Different policy types within the same Fn::If statement is unsupported. "
                                 "Separate different policy types into different Fn::If statements")
    if is_intrinsic(value):
        return "managed"
    if isinstance(value, dict) and "Statement" in value:
        return "statement"
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in policy_templates():
        return "template"
    return "unknown"


def expand_template(ctx: Ctx, value: dict, at: int | None, logical_id: str) -> LineDict:
    """A policy template item → the policy document SAM writes (parameters substituted)."""
    name, parameters = next(iter(value.items()))
    template = policy_templates()[name]
    declared = template.get("Parameters", {})
    if parameters is None or not isinstance(parameters, dict):
        raise ctx.fail(at, logical_id, f"Must specify valid parameter values for policy template '{name}'")
    missing = sorted(set(declared) - set(parameters))
    if missing:
        raise ctx.fail(at, logical_id, f"Following required parameters of template '{name}' don't have values: "
                                       f"{missing}")
    values = {k: v for k, v in parameters.items() if k in declared}
    document = _substitute(copy.deepcopy(template["Definition"]), values, at)
    return node(document, at)


def _substitute(value: Any, values: dict, line: int | None) -> Any:
    """Replace `{"Ref": PARAM}` by the item's value; the value keeps its own lines."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("Ref"), str) and value["Ref"] in values:
            return values[value["Ref"]]
        return LineDict({k: _substitute(v, values, line) for k, v in value.items()}, line=line,
                        key_lines={k: line for k in value})
    if isinstance(value, list):
        items = [_substitute(v, values, line) for v in value]
        return LineList(items, line=line, item_lines=[line_of(v, line) for v in items])
    return value


def role_policies(ctx: Ctx, policies: Any, props: dict, role_id: str, logical_id: str,
                  managed: list, managed_lines: list, documents: list, resource_type: str) -> None:
    """Fill `managed` (ARNs) and `documents` (inline policies) from a `Policies` value."""
    if policies is None:
        return
    items = policies if isinstance(policies, list) else [policies]
    base_line = key_line(props, "Policies")
    for index, item in enumerate(items):
        at = item_line(policies, index, base_line) if isinstance(policies, list) else base_line
        at = line_of(item, at) if isinstance(item, dict) and not is_intrinsic(item) else at
        kind = policy_kind(item, ctx, at, logical_id)
        if kind == "template" and not is_if(item):
            document = expand_template(ctx, item, at, logical_id)
            documents.append(node({"PolicyName": f"{role_id}Policy{index}", "PolicyDocument": document}, at))
        elif kind in ("statement", "template"):
            if is_if(item):
                documents.append(_if_branches(item, lambda v: node(
                    {"PolicyName": f"{role_id}Policy{index}",
                     "PolicyDocument": _template_if(ctx, v, at, logical_id)}, at), at))
            else:
                documents.append(node({"PolicyName": f"{role_id}Policy{index}", "PolicyDocument": item}, at))
        elif kind == "managed":
            arn = item
            if isinstance(item, str):
                arn = managed_arn(ctx, item)
            elif is_if(item):
                arn = _if_branches(item, lambda v: managed_arn(ctx, v) if isinstance(v, str) else v, at)
            if arn not in managed:
                managed.append(arn)
                managed_lines.append(at)
        elif isinstance(item, dict) and len(item) == 1 and isinstance(next(iter(item.values())), dict) and \
                re.fullmatch(r"[A-Z][A-Za-z0-9]*Policy", str(next(iter(item)))):
            from permcheck.load.sam.core import Unsupported
            raise Unsupported(at, f"policy template {next(iter(item))} ({logical_id}.Policies[{index}])")
        else:
            raise ctx.fail(at, logical_id, f"Policy at index {index} in the 'Policies' property is not valid")


def _template_if(ctx: Ctx, value: Any, at: int | None, logical_id: str) -> Any:
    """A branch of `Fn::If` that is a template becomes its document (the templates plugin ran first)."""
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in policy_templates():
        return expand_template(ctx, value, at, logical_id)
    return value


def _if_branches(value: dict, convert, at: int | None) -> LineDict:
    condition, then, other = value["Fn::If"]
    branches = [b if is_no_value(b) else convert(b) for b in (then, other)]
    return node({"Fn::If": [condition, *branches]}, at)
