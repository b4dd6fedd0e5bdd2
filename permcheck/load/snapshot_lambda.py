"""`aws lambda list-functions` and `aws lambda get-policy` → functions, keyed by unqualified ARN.

list-functions (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html) gives
each function's ARN and execution role; it holds no URL configuration, so `urls` stay empty.
get-policy (https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html) gives one
resource policy as a JSON string; the function is the one its statements' `Resource` names
(a qualified ARN there means the grant is on that alias or version). Both kinds describe
the same functions: whichever file comes second merges into the function the first made,
so the order of inputs does not matter.
"""

from __future__ import annotations

from permcheck.load.nodes import LineDict, line_of
from permcheck.load.policy_doc import parse_policy
from permcheck.load.snapshot_fields import entries, json_document, resources_of, text_field
from permcheck.model.arn import ACCOUNT_ID, parse_arn
from permcheck.model.entities import Function, Inventory
from permcheck.model.location import InputError, Location
from permcheck.model.policy import Policy, PolicyKind, built

LATEST = "$LATEST"
_FUNCTION_FIELDS = {"arn", "name", "account", "region", "role", "location"}
_POLICY_FUNCTION_FIELDS = {"arn", "name", "account", "region", "policy", "qualifiers", "location"}


def function_arn(text: str) -> tuple[str, str, str, str, str | None] | None:
    """(unqualified ARN, name, account, region, qualifier) of a Lambda function ARN, else None."""
    arn = parse_arn(text)
    if arn is None or arn.service != "lambda" or not ACCOUNT_ID.match(arn.account) or not arn.region:
        return None
    pieces = arn.resource.split(":")
    if pieces[0] != "function" or len(pieces) not in (2, 3) or not pieces[1] or "*" in pieces[1]:
        return None
    qualifier = pieces[2] if len(pieces) == 3 and pieces[2] else None
    base = f"arn:{arn.partition}:lambda:{arn.region}:{arn.account}:function:{pieces[1]}"
    return base, pieces[1], arn.account, arn.region, qualifier


def load_functions(file: str, document: LineDict, inventory: Inventory) -> None:
    """Read one `list-functions` output (`--function-version ALL` included: versions merge)."""
    for entry, line in entries(file, document, "Functions"):
        arn_text = text_field(file, entry, "FunctionArn", "Functions entry")
        parsed = function_arn(arn_text)
        if parsed is None:
            raise InputError(Location(file, entry.line_of("FunctionArn")), f"{arn_text!r} is not a Lambda function ARN")
        base, name, account, region, qualifier = parsed
        role = text_field(file, entry, "Role", f"function {name}", required=False)
        listed = built(Function, _FUNCTION_FIELDS, arn=base, name=name, account=account, region=region, role=role,
                       location=Location(file, line))  # each value of its field's exact type: not validated
        old = inventory.functions.get(base)
        if old is None:
            inventory.functions[base] = listed
        elif qualifier in (None, LATEST) or old.role is None:
            # the unqualified entry defines the function; a published version keeps the role it had
            inventory.functions[base] = old.model_copy(update={"name": name, "role": role or old.role,
                                                               "location": listed.location})
        inventory.accounts.add(account)


def load_policy(file: str, document: LineDict, inventory: Inventory, raw: object = None) -> None:
    """Read one `get-policy` output: the resource policy of the function its statements name.
    `raw`: its `Policy` string as `json_document` decodes it, when the caller has it already."""
    line = document.line_of("Policy")
    where = Location(file, line)
    try:
        raw = json_document(document.get("Policy")) if raw is None else raw
    except ValueError as error:
        raise InputError(where, f"Policy is not a JSON policy document: {error}") from None
    if not isinstance(raw, dict):
        raise InputError(where, "Policy must be a JSON object")
    named = {}
    for resource in resources_of(raw):
        parsed = function_arn(resource)
        if parsed is None:
            raise InputError(where, f"statement Resource {resource!r} is not a Lambda function ARN")
        named.setdefault(parsed[0], []).append(parsed)
    if len(named) != 1:
        which = "no Lambda function" if not named else f"{len(named)} functions ({', '.join(sorted(named))})"
        raise InputError(where, f"the policy's statements name {which} in Resource: "
                                "get-policy output is the policy of one function")
    base, found = next(iter(named.items()))
    _, name, account, region, _ = found[0]
    qualifiers = tuple(dict.fromkeys(q for *_, q in found if q))
    policy = parse_policy(raw, name=f"{name} resource policy", kind=PolicyKind.RESOURCE, location=where)
    old = inventory.functions.get(base)
    if old is None:
        inventory.functions[base] = built(Function, _POLICY_FUNCTION_FIELDS, arn=base, name=name, account=account,
                                          region=region, policy=policy, qualifiers=qualifiers,
                                          location=Location(file, line_of(document, 1)))
    else:
        inventory.functions[base] = old.model_copy(update={
            "policy": merged(old.policy, policy), "qualifiers": tuple(dict.fromkeys(old.qualifiers + qualifiers))})
    inventory.accounts.add(account)


def merged(old: Policy | None, new: Policy) -> Policy:
    """One function's policy from two outputs (say, the function's and an alias's)."""
    if old is None:
        return new
    return old.model_copy(update={
        "statements": tuple(dict.fromkeys(old.statements + new.statements)),
        "unknown": old.unknown or new.unknown, "error": old.error or new.error,
        "error_location": old.error_location if old.error else new.error_location})
