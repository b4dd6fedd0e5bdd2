"""Lambda in CloudFormation: functions, their execution roles, and who may invoke them.

Every `AWS::Lambda::Permission` becomes one statement of the function's resource policy,
as Lambda's AddPermission writes it (https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html):
SourceArn → `ArnLike aws:SourceArn`, SourceAccount → `StringEquals aws:SourceAccount`,
PrincipalOrgID → `StringEquals aws:PrincipalOrgID`, FunctionUrlAuthType →
`StringEquals lambda:FunctionUrlAuthType`, EventSourceToken → `StringEquals lambda:EventSourceToken`.
An `AWS::Lambda::ResourcePolicy` sets the whole policy and so replaces those statements.
"""

from __future__ import annotations

import re

from permcheck.load.policy_doc import parse_policy
from permcheck.load.source_notes import sam_origin
from permcheck.model.arn import ACCOUNT_ID, parse_arn
from permcheck.model.entities import Function, FunctionUrl
from permcheck.model.location import InputError, Location
from permcheck.model.policy import (
    ANYONE, Clause, Effect, Policy, PolicyKind, Principal, PrincipalType, Statement, normalise_principal,
)
from permcheck.model.values import Sym, Unknown

PARTIAL_ARN = re.compile(r"^(\d{12}):function:([^:]+)(?::(.+))?$")


def load(load_) -> None:
    functions: dict[str, dict] = {}  # ARN text → Function fields being built
    by_logical: dict[str, str] = {}
    for logical_id, resource, props in load_.resources("AWS::Lambda::Function"):
        arn = load_.resolver.get_att(logical_id, "Arn")
        functions[str(arn)] = dict(arn=arn, name=load_.resolver.ref(logical_id), account=load_.deployment.account,
                                   region=load_.deployment.region, role=props.get("Role"), logical_id=logical_id,
                                   location=load_.location(resource), statements=[], urls=[], qualifiers=[],
                                   replaced=None)
        by_logical[logical_id] = str(arn)

    resources = load_.template.get("Resources", {})

    def function_for(raw: object, resolved: object, at: object = None) -> tuple[dict, str | None]:
        """The function a FunctionName/TargetFunctionArn names, and its qualifier."""
        if isinstance(raw, dict):
            ref = raw.get("Ref") or (raw.get("Fn::GetAtt") or [None])[0]
            if isinstance(ref, str) and ref in by_logical:
                return functions[by_logical[ref]], None
            target = resources.get(ref) if isinstance(ref, str) else None
            if isinstance(target, dict) and target.get("Type") in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
                return _qualified_function(ref, target)
        if not isinstance(resolved, (str, Sym, Unknown)):
            raise InputError(load_.location(at), f"a function name or ARN must be a string, not {resolved!r}")
        arn, qualifier = function_arn(resolved, load_.deployment)
        key = str(arn)
        for entry in functions.values():
            if str(entry["arn"]) == key or str(entry["name"]) == str(resolved):
                return entry, qualifier
        account = parse_arn(key).account if isinstance(arn, str) and parse_arn(key) else load_.deployment.account
        name = key.rsplit(":", 1)[-1] if isinstance(arn, str) else arn
        functions[key] = dict(arn=arn, name=name, account=account, region=load_.deployment.region, role=None,
                              logical_id=None, location=None, statements=[], urls=[], qualifiers=[], replaced=None)
        return functions[key], qualifier

    def _qualified_function(logical_id: str, alias: dict) -> tuple[dict, str | None]:
        """An alias or version (`Ref` to it): its function, and its name or version as qualifier."""
        raw = alias.get("Properties", {})
        entry, _ = function_for(raw.get("FunctionName"), load_.resolver.resolve(raw.get("FunctionName")), alias)
        if alias["Type"] == "AWS::Lambda::Alias":
            name = load_.resolver.resolve(raw.get("Name"))
            return entry, name if isinstance(name, str) else f"${{alias {logical_id}}}"
        return entry, f"${{version {logical_id}}}"  # a version number CloudFormation assigns

    for logical_id, resource, props in load_.resources("AWS::Lambda::Permission"):
        raw = resource.get("Properties", {})
        entry, qualifier = function_for(raw.get("FunctionName"), props.get("FunctionName"), resource)
        resource_arn = entry["arn"] if qualifier is None else _qualified(entry["arn"], qualifier)
        if qualifier:
            entry["qualifiers"].append(qualifier)
        entry["statements"].append(permission_statement(logical_id, props, resource_arn, load_.location(resource),
                                                         load_.note))
    for logical_id, resource, props in load_.resources("AWS::Lambda::Url"):
        raw = resource.get("Properties", {})
        if raw.get("TargetFunctionArn") is None:
            raise InputError(load_.location(resource), f"AWS::Lambda::Url {logical_id} has no TargetFunctionArn")
        entry, via_alias = function_for(raw.get("TargetFunctionArn"), props.get("TargetFunctionArn"), resource)
        auth = props.get("AuthType")
        if not isinstance(auth, (str, Sym, Unknown)):
            raise InputError(load_.location(resource), f"AWS::Lambda::Url {logical_id}: AuthType must be AWS_IAM or NONE")
        entry["urls"].append(FunctionUrl(auth_type=auth,
                                         qualifier=props.get("Qualifier") or via_alias,
                                         location=load_.location(resource)))
    for logical_id, resource, props in load_.resources("AWS::Lambda::Alias"):
        raw = resource.get("Properties", {})
        entry, _ = function_for(raw.get("FunctionName"), props.get("FunctionName"))
        if isinstance(props.get("Name"), str):
            entry["qualifiers"].append(props["Name"])
    for logical_id, resource, props in load_.resources("AWS::Lambda::ResourcePolicy"):
        raw = resource.get("Properties", {})
        entry, _ = function_for(raw.get("ResourceArn"), props.get("ResourceArn"))
        entry["replaced"] = parse_policy(props.get("PolicyDocument"), name=logical_id, kind=PolicyKind.RESOURCE,
                                         location=load_.location(resource))
    for key, entry in functions.items():
        policy = entry.pop("replaced")
        statements = entry.pop("statements")
        existing = load_.inventory.functions.get(key)
        if existing is not None and entry["logical_id"] is None:
            # A function this template does not define but grants on (one from a snapshot, or
            # another template): the template adds to its policy, as AddPermission would.
            _add_to(load_.inventory, key, existing, policy, statements, entry)
            continue
        if not load_.inventory.create(key, entry["location"]):
            continue  # two templates create one function: a conflict the walk over inputs splits
        if policy is None and statements:
            policy = Policy(name=f"{entry['name']} resource policy", kind=PolicyKind.RESOURCE,
                            location=statements[0].location, statements=tuple(statements))
        role = entry.pop("role")
        entry["urls"] = tuple(entry["urls"])
        entry["qualifiers"] = tuple(dict.fromkeys(entry["qualifiers"]))
        load_.inventory.functions[key] = Function(**entry, policy=policy,
                                                  role=role if isinstance(role, (str, Sym, Unknown)) else None)
        load_.inventory.add_logical_id(entry["logical_id"], key)


def _add_to(inventory, key: str, existing: Function, replaced: Policy | None, statements: list,
            entry: dict) -> None:
    if replaced is None and statements:
        before = existing.policy.statements if existing.policy else ()
        replaced = Policy(name=f"{existing.name} resource policy", kind=PolicyKind.RESOURCE,
                          location=statements[0].location, statements=before + tuple(statements))
    inventory.functions[key] = existing.model_copy(update={
        "policy": replaced or existing.policy,
        "urls": existing.urls + tuple(entry["urls"]),
        "qualifiers": tuple(dict.fromkeys(existing.qualifiers + tuple(entry["qualifiers"])))})


def _qualified(arn: object, qualifier: str) -> object:
    return f"{arn}:{qualifier}" if isinstance(arn, str) else Sym((*arn.parts, f":{qualifier}")) \
        if isinstance(arn, Sym) else arn


def function_arn(value: object, deployment) -> tuple[object, str | None]:
    """A FunctionName given as name, ARN or partial ARN, with or without a qualifier.

    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-permission.html
    """
    if not isinstance(value, str):
        return value, None
    prefix = f"arn:{deployment.partition}:lambda:{deployment.region}"
    arn = parse_arn(value)
    if arn is not None:
        pieces = arn.resource.split(":")
        qualifier = pieces[2] if len(pieces) > 2 else None
        return f"arn:{arn.partition}:lambda:{arn.region}:{arn.account}:function:{pieces[1] if len(pieces) > 1 else ''}", qualifier
    partial = PARTIAL_ARN.match(value)
    if partial:
        return f"{prefix}:{partial.group(1)}:function:{partial.group(2)}", partial.group(3)
    name, _, qualifier = value.partition(":")
    return f"{prefix}:{deployment.account}:function:{name}", qualifier or None


def _permission_principal(value: object) -> Principal:
    """AddPermission's Principal: a service, an account id, an ARN, or `*`."""
    if isinstance(value, (Unknown, Sym)):
        return normalise_principal("AWS", value)
    text = str(value)
    if text == "*":
        return ANYONE
    if ACCOUNT_ID.match(text) or text.startswith("arn:"):
        return normalise_principal("AWS", text)
    return Principal(type=PrincipalType.SERVICE, value=text)


PERMISSION_PROPERTIES = {"Action", "FunctionName", "Principal", "SourceArn", "SourceAccount", "PrincipalOrgID",
                         "FunctionUrlAuthType", "EventSourceToken", "InvokedViaFunctionUrl"}


def permission_statement(logical_id: str, props: dict, resource: object, location: Location,
                          note: str | None = None) -> Statement:
    unknown = sorted(set(props) - PERMISSION_PROPERTIES)
    if unknown:  # a property permcheck does not model could narrow or widen the grant: fail closed
        raise InputError(location, f"AWS::Lambda::Permission {logical_id}: unsupported property {unknown[0]!r}")
    clauses = []
    for prop, operator, key in (("SourceArn", "ArnLike", "AWS:SourceArn"),
                                ("SourceAccount", "StringEquals", "AWS:SourceAccount"),
                                ("PrincipalOrgID", "StringEquals", "aws:PrincipalOrgID"),
                                ("FunctionUrlAuthType", "StringEquals", "lambda:FunctionUrlAuthType"),
                                ("EventSourceToken", "StringEquals", "lambda:EventSourceToken"),
                                ("InvokedViaFunctionUrl", "Bool", "lambda:InvokedViaFunctionUrl")):
        if props.get(prop) is not None:
            value = props[prop]
            if isinstance(value, bool) or value in ("true", "false"):
                if prop == "InvokedViaFunctionUrl" and str(value).lower() == "false":
                    continue  # only `true` adds the condition; assuming less would under-report access
                value = "true" if value in (True, "true") else "false"
            clauses.append(Clause(operator=operator, key=key,
                                  values=(value if isinstance(value, (Sym, Unknown)) else str(value),)))
    action = props.get("Action", "lambda:InvokeFunction")
    return Statement(effect=Effect.ALLOW, sid=logical_id, actions=(action if isinstance(action, (Sym, Unknown)) else str(action),),
                     resources=(resource,), principals=(_permission_principal(props.get("Principal")),),
                     conditions=tuple(clauses), policy=logical_id, location=location, source_note=note,
                     holder=logical_id, **sam_origin(note))
