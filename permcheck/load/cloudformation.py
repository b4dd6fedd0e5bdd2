"""CloudFormation templates → the inventory.

Each resource type that carries permissions is read here (IAM principals and policies);
Lambda and the resource policies of other services are read by `cfn_lambda` and
`cfn_resources`, the event sources wired to functions by `cfn_triggers`. Values go
through the intrinsic resolver first, so what reaches the model is what CloudFormation
would deploy, or an explicit Unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from permcheck.load import cfn_lambda, cfn_resources, cfn_triggers
from permcheck.load.suppressions import read_suppressions
from permcheck.load.intrinsics import Deployment, TemplateResolver
from permcheck.load.managed import aws_managed_policy, is_aws_managed, unknown_policy
from permcheck.load.nodes import LineDict, LineList, line_of
from permcheck.load.policy_doc import parse_policy
from permcheck.load.source_notes import SOURCE_NOTE
from permcheck.model.entities import Group, Inventory, Role, User
from permcheck.model.location import InputError, Location
from permcheck.model.policy import Policy, PolicyKind
from permcheck.model.values import Sym, Unknown



"""A resource-level key that expanders (SAM) set on resources they generate: it says where the
grant came from ("created by SAM: Events.Api of OrdersFunction"), and the resource's lines
already point at that source."""


@dataclass
class TemplateLoad:
    """What one template is reading: shared by the per-service readers."""

    file: str
    template: LineDict
    resolver: TemplateResolver
    deployment: Deployment
    inventory: Inventory
    managed: dict[str, Policy] = field(default_factory=dict)  # template ManagedPolicy by ARN text
    attached: dict[str, list[Policy]] = field(default_factory=dict)  # principal logical id → policies
    note: str | None = None  # how the resource being read came to be (e.g. "created by SAM …")
    logical_id: str | None = None  # the resource being read: holder of the policies it writes

    def resources(self, *types: str):
        """(logical id, resource, properties resolved) of the given types that are created."""
        for logical_id, resource in self.template.get("Resources", {}).items():
            if not isinstance(resource, dict) or resource.get("Type") not in types:
                continue
            condition = resource.get("Condition")
            if condition is not None and self.resolver.condition(condition) is False:
                continue
            props = resource.get("Properties", LineDict(line=line_of(resource)))
            self.note = resource.get(SOURCE_NOTE)
            self.logical_id = logical_id
            resolved = self.resolver.resolve(props)
            if not isinstance(resolved, dict):
                resolved = LineDict(line=line_of(resource))
            yield logical_id, resource, resolved

    def location(self, node: object, fallback: object = None) -> Location:
        return Location(self.file, line_of(node, line_of(fallback)))

    def policy(self, document: object, name: str, kind: PolicyKind, at: object) -> Policy:
        return parse_policy(document, name=name, kind=kind, location=self.location(document, at),
                            source_note=self.note, holder=self.logical_id)


def load_template(file: str, template: LineDict, deployment: Deployment,
                  parameters: dict[str, str], inventory: Inventory) -> None:
    """Read one CloudFormation template into `inventory` (SAM is expanded before this)."""
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        raise InputError(Location(file, line_of(template)), "Resources must be a mapping")
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise InputError(Location(file, line_of(resource, line_of(resources))),
                             f"resource {logical_id} has no Type")
        if resource["Type"].startswith("AWS::Serverless::"):  # SAM without its Transform: CloudFormation refuses it
            raise InputError(Location(file, line_of(resource)), f"resource {logical_id} is {resource['Type']}, but "
                             "the template has no Transform: AWS::Serverless-2016-10-31")
    load = TemplateLoad(file, template, TemplateResolver(template, file, deployment, parameters),
                        deployment, inventory)
    inventory.accounts.add(deployment.account)
    inventory.suppressions.update(read_suppressions(file, template))
    _managed_policies(load)
    _attached_policies(load)
    _principals(load)
    cfn_lambda.load(load)
    cfn_resources.load(load)
    cfn_triggers.load(load)
    _open_includes(load)


def _open_includes(load: TemplateLoad) -> None:
    """A non-local `AWS::Include` that adds resources or properties (load/includes.py) may add any grant:
    every principal and function in the inputs so far gets an unknown part, so every answer that could
    depend on it is `conditional` on it, never silently complete."""
    from permcheck.load.includes import OPEN_INCLUDES

    inventory, reasons = load.inventory, load.template.get(OPEN_INCLUDES) or LineList()
    for index, reason in enumerate(reasons):
        unknown, where = Unknown(str(reason)), Location(load.file, reasons.line_of(index))
        extra = Policy(name="AWS::Include content", kind=PolicyKind.IDENTITY, location=where, unknown=unknown)
        for table in (inventory.roles, inventory.users, inventory.groups):
            for key, principal in list(table.items()):
                table[key] = principal.model_copy(update={"policies": principal.policies + (extra,)})
        for key, function in list(inventory.functions.items()):
            policy = function.policy or Policy(name=f"resource policy of {function.name}", kind=PolicyKind.RESOURCE,
                                               location=where)
            inventory.functions[key] = function.model_copy(update={"policy": policy.model_copy(
                update={"unknown": unknown})})


def managed_policy_by_arn(load: TemplateLoad, arn: object, kind: PolicyKind = PolicyKind.IDENTITY) -> Policy:
    """A managed policy named by ARN: one from this template, AWS's catalog, or unknown."""
    if isinstance(arn, (Unknown, Sym)):
        return unknown_policy(str(arn), kind, f"managed policy {arn}")
    text = str(arn)
    if text in load.managed:
        policy = load.managed[text]
        return policy if policy.kind is kind else policy.model_copy(update={"kind": kind})
    if is_aws_managed(text):
        return aws_managed_policy(text, kind)
    return unknown_policy(text, kind, f"customer managed policy {text} is not in the inputs")


def attached_here(policy: Policy, where: Location, how: str | None = None) -> Policy:
    """A managed policy as seen from where the template attaches it.

    Its statements have no lines of their own (AWS's catalog, or another resource), so a
    reviewer is pointed at the line that attached it, with the policy named in a note.
    """
    if policy.location.file == where.file and policy.unknown is None:
        return policy  # a ManagedPolicy of this template: its own lines are better
    note = f"in {policy.name}, attached here" + (f" ({how})" if how else "")
    statements = tuple(s.model_copy(update={"location": where, "source_note": note}) for s in policy.statements)
    return policy.model_copy(update={"location": where, "statements": statements})


def _managed_policies(load: TemplateLoad) -> None:
    for logical_id, resource, props in load.resources("AWS::IAM::ManagedPolicy"):
        policy = load.policy(props.get("PolicyDocument"), props.get("ManagedPolicyName") or logical_id,
                             PolicyKind.IDENTITY, resource)
        arn = load.resolver.ref(logical_id)
        load.managed[str(arn)] = policy = policy.model_copy(update={"arn": str(arn)})
        _attach(load, resource, policy)
        load.inventory.loose_policies.append(policy)  # checked even when it is attached to nothing here


def _attached_policies(load: TemplateLoad) -> None:
    for logical_id, resource, props in load.resources("AWS::IAM::Policy"):
        name = props.get("PolicyName") or logical_id
        policy = load.policy(props.get("PolicyDocument"), str(name), PolicyKind.IDENTITY, resource)
        _attach(load, resource, policy)
        load.inventory.loose_policies.append(policy)  # checked even when its roles are not in the inputs


def _attach(load: TemplateLoad, resource: dict, policy: Policy) -> None:
    """AWS::IAM::Policy / ManagedPolicy `Roles`, `Users`, `Groups`: names, usually `Ref`s."""
    raw = resource.get("Properties", {})
    for key, kind in (("Roles", "AWS::IAM::Role"), ("Users", "AWS::IAM::User"), ("Groups", "AWS::IAM::Group")):
        for item in raw.get(key) or []:
            target = _principal_logical_id(load, item, kind)
            load.attached.setdefault(target, []).append(policy)


def _principal_logical_id(load: TemplateLoad, item: object, kind: str) -> str:
    """The logical id a Roles/Users/Groups entry points at, or `name:NAME` for outside ones."""
    if isinstance(item, dict) and "Ref" in item:
        return str(item["Ref"])
    name = load.resolver.resolve(item)
    for logical_id, resource in load.template.get("Resources", {}).items():
        if resource.get("Type") == kind and load.resolver.ref(logical_id) == name:
            return logical_id
    return f"name:{kind}:{name}"


def _list(load: TemplateLoad, props: dict, key: str, resource: dict) -> list:
    """A list-valued property; anything else is an input error (CloudFormation rejects it)."""
    value = props.get(key) or []
    if isinstance(value, (Unknown, Sym)):
        return [value]
    if not isinstance(value, list):
        raise InputError(load.location(props, resource), f"{key} must be a list")
    return value


def _inline(load: TemplateLoad, props: dict, resource: dict) -> list[Policy]:
    out = []
    for item in _list(load, props, "Policies", resource):
        if isinstance(item, dict):
            name = str(item.get("PolicyName", "inline"))
            out.append(load.policy(item.get("PolicyDocument"), name, PolicyKind.IDENTITY, item))
        else:
            out.append(load.policy(item, "inline", PolicyKind.IDENTITY, resource))
    return out


def _identity(load: TemplateLoad, logical_id: str, props: dict, resource: dict) -> tuple[Policy, ...]:
    policies = _inline(load, props, resource)
    arns = _list(load, props, "ManagedPolicyArns", resource)
    for index, arn in enumerate(arns):
        line = arns.line_of(index) if isinstance(arns, LineList) else line_of(props)
        policies.append(attached_here(managed_policy_by_arn(load, arn), Location(load.file, line), load.note))
    policies += load.attached.get(logical_id, [])
    return tuple(policies)


def _boundary(load: TemplateLoad, props: dict) -> Policy | None:
    arn = props.get("PermissionsBoundary")
    return None if arn is None else managed_policy_by_arn(load, arn, PolicyKind.BOUNDARY)


def _principals(load: TemplateLoad) -> None:
    account = load.deployment.account
    inventory = load.inventory
    for logical_id, resource, props in load.resources("AWS::IAM::Group"):
        arn = load.resolver.get_att(logical_id, "Arn")
        if not inventory.create(str(arn), load.location(resource)):
            continue
        inventory.groups[str(arn)] = Group(arn=arn, name=load.resolver.ref(logical_id), account=account,
                                           policies=_identity(load, logical_id, props, resource),
                                           logical_id=logical_id, location=load.location(resource))
        inventory.add_logical_id(logical_id, str(arn))
    for logical_id, resource, props in load.resources("AWS::IAM::Role"):
        arn = load.resolver.get_att(logical_id, "Arn")
        if not inventory.create(str(arn), load.location(resource)):
            continue
        trust = load.policy(props.get("AssumeRolePolicyDocument"), f"{logical_id} trust policy",
                            PolicyKind.TRUST, resource)
        inventory.roles[str(arn)] = Role(arn=arn, name=load.resolver.ref(logical_id), account=account,
                                         trust=trust, policies=_identity(load, logical_id, props, resource),
                                         boundary=_boundary(load, props), logical_id=logical_id,
                                         location=load.location(resource))
        inventory.add_logical_id(logical_id, str(arn))
    for logical_id, resource, props in load.resources("AWS::IAM::User"):
        arn = load.resolver.get_att(logical_id, "Arn")
        if not inventory.create(str(arn), load.location(resource)):
            continue
        groups = tuple(str(g) for g in _user_groups(load, props))
        inventory.users[str(arn)] = User(arn=arn, name=load.resolver.ref(logical_id), account=account,
                                         policies=_identity(load, logical_id, props, resource),
                                         groups=groups, boundary=_boundary(load, props),
                                         logical_id=logical_id, location=load.location(resource))
        inventory.add_logical_id(logical_id, str(arn))
    for logical_id, resource, props in load.resources("AWS::IAM::UserToGroupAddition"):
        group = f"arn:{load.deployment.partition}:iam::{account}:group/{props.get('GroupName')}"
        for user_name in props.get("Users") or []:
            arn = f"arn:{load.deployment.partition}:iam::{account}:user/{user_name}"
            for key, user in list(inventory.users.items()):
                if user.name == user_name or key == arn:
                    inventory.users[key] = user.model_copy(update={"groups": user.groups + (group,)})


def _user_groups(load: TemplateLoad, props: dict) -> list:
    out = []
    for name in props.get("Groups") or []:
        match = [g.arn for g in load.inventory.groups.values() if g.name == name]
        out.append(match[0] if match else f"arn:{load.deployment.partition}:iam::{load.deployment.account}:group/{name}")
    return out
