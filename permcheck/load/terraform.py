"""Terraform plans (`terraform show -json PLANFILE`) → the inventory.

The plan is read by `tf_plan` (values merged with what is known only after apply); this
module reads IAM (roles, managed and inline policies, attachments), `tf_lambda` reads
functions and who may invoke them, `tf_resources` the other resources and their policies,
`tf_triggers` the event sources wired to functions.
Every entity is registered under its Terraform address too, so `FUNCTION` and `PRINCIPAL`
may be given as `aws_lambda_function.api` or `module.ingest.aws_iam_role.this`.

AWS provider resources: https://registry.terraform.io/providers/hashicorp/aws/latest/docs
"""

from __future__ import annotations

from permcheck.load import tf_lambda, tf_resources, tf_triggers
from permcheck.load.cloudformation import attached_here
from permcheck.load.intrinsics import Deployment
from permcheck.load.managed import aws_managed_policy, is_aws_managed, unknown_policy
from permcheck.load.nodes import LineDict, LineList
from permcheck.load.policy_doc import parse_policy
from permcheck.load.tf_load import TfLoad
from permcheck.load.tf_plan import Plan, TfResource
from permcheck.model.entities import Inventory, Role
from permcheck.model.location import Location
from permcheck.model.policy import Policy, PolicyKind
from permcheck.model.arn import iam_path
from permcheck.model.values import Sym, Unknown


def load_plan(file: str, document: LineDict, deployment: Deployment, inventory: Inventory) -> None:
    """Read one plan into `inventory`; raises InputError for a plan that cannot be read."""
    load = TfLoad(file, Plan.read(file, document, deployment.region), deployment, inventory)
    inventory.accounts.add(deployment.account)
    _roles(load, _managed_policies(load))
    functions = tf_lambda.load(load)
    tf_resources.load(load)
    tf_triggers.load(load, functions)


def _managed_policies(load: TfLoad) -> dict[str, Policy]:
    """Customer managed policies of the plan (and `data.aws_iam_policy` look-ups) by ARN text;
    `by address` entries ("@ADDRESS") serve attachments whose policy_arn is known after apply."""
    out: dict[str, Policy] = {}
    for res in load.plan.of_type("aws_iam_policy") + load.plan.of_type("aws_iam_policy", mode="data"):
        if res.mode == "managed":
            arn = load.arn(res, "iam", "policy", iam_path(load.text(res, "path")), load.name(res, "name"), region=False)
        else:
            arn = load.text(res, "arn") or Unknown(f"{res.address}.arn (known after apply)")
        policy = load.policy(res, "policy", res.address, PolicyKind.IDENTITY, required=True)
        policy = policy.model_copy(update={"arn": str(arn)})
        out[str(arn)] = out[f"@{res.address}"] = policy
    return out


def _by_arn(load: TfLoad, managed: dict[str, Policy], arn: object, kind: PolicyKind) -> Policy:
    """A managed policy named by ARN: one of the plan, AWS's catalog, or unknown."""
    if isinstance(arn, (Unknown, Sym)):
        policy = managed.get(str(arn))
        if policy:
            return policy.model_copy(update={"kind": kind})
        return unknown_policy(str(arn), kind, arn.reason if isinstance(arn, Unknown) else f"managed policy {arn}")
    text = str(arn)
    if text in managed:
        return managed[text] if managed[text].kind is kind else managed[text].model_copy(update={"kind": kind})
    if is_aws_managed(text):
        return aws_managed_policy(text, kind)
    return unknown_policy(text, kind, f"customer managed policy {text} is not in the inputs")


def _policy_arn(load: TfLoad, managed: dict[str, Policy], res: TfResource, kind: PolicyKind) -> Policy:
    """The policy a `policy_arn` names; an ARN known after apply is followed to its policy."""
    arn = load.text(res, "policy_arn") or Unknown(f"{res.address}.policy_arn (not in the plan)")
    if isinstance(arn, (Unknown, Sym)):
        found = load.plan.references(res, "policy_arn", "aws_iam_policy", "data.aws_iam_policy")
        if len(found) == 1:
            arn = managed[f"@{found[0].address}"].arn
    return attached_here(_by_arn(load, managed, arn, kind), load.plan.location(res))


def _role_targets(load: TfLoad, res: TfResource, attr: str, by_name: dict[str, str]) -> list[str]:
    """Addresses of the plan's roles that `attr` (a role name, or a list of them) names."""
    value = res.values.get(attr)
    names = value if isinstance(value, list) else [load.text(res, attr)]
    out = []
    for name in names:
        if isinstance(name, str) and name:
            address = by_name.get(name.rsplit("/", 1)[-1] if name.startswith("arn:") else name)
            out += [address] if address else []
        elif isinstance(name, (Unknown, Sym)):
            out += [r.address for r in load.plan.references(res, attr, "aws_iam_role")]
    return list(dict.fromkeys(out))


def _attachments(load: TfLoad, managed: dict[str, Policy], by_name: dict[str, str]) -> dict[str, list[Policy]]:
    """Role address → policies that other resources put on it. A role that is not in the plan
    (an existing one) is not modelled, as in CloudFormation templates."""
    attached: dict[str, list[Policy]] = {}
    plan = load.plan
    for res in plan.of_type("aws_iam_role_policy"):
        policy = load.policy(res, "policy", res.address, PolicyKind.IDENTITY, required=True)
        for role in _role_targets(load, res, "role", by_name):
            attached.setdefault(role, []).append(policy)
    for res in plan.of_type("aws_iam_role_policy_attachment"):
        for role in _role_targets(load, res, "role", by_name):
            attached.setdefault(role, []).append(_policy_arn(load, managed, res, PolicyKind.IDENTITY))
    for res in plan.of_type("aws_iam_policy_attachment"):
        for role in _role_targets(load, res, "roles", by_name):
            attached.setdefault(role, []).append(_policy_arn(load, managed, res, PolicyKind.IDENTITY))
    return attached


def _roles(load: TfLoad, managed: dict[str, Policy]) -> None:
    plan, inventory = load.plan, load.inventory
    roles = plan.of_type("aws_iam_role")
    by_name = {name: r.address for r in roles if isinstance(name := load.text(r, "name"), str)}
    attached = _attachments(load, managed, by_name)
    for res in roles:
        name = load.name(res, "name")
        arn = load.arn(res, "iam", "role", iam_path(load.text(res, "path")), name, region=False)
        trust = load.policy(res, "assume_role_policy", f"{res.address} trust policy", PolicyKind.TRUST,
                            required=True)
        policies = _inline(load, res) + _managed_arns(load, managed, res) + attached.get(res.address, [])
        boundary = load.text(res, "permissions_boundary")
        role = Role(arn=arn, name=name, account=load.account_of(arn), trust=trust, policies=tuple(policies),
                    boundary=None if boundary is None else _by_arn(load, managed, boundary, PolicyKind.BOUNDARY),
                    logical_id=res.address, location=plan.location(res))
        if not inventory.create(str(arn), role.location):
            continue  # two inputs create one role: a conflict the walk over inputs splits
        inventory.roles[str(arn)] = role
        inventory.add_logical_id(res.address, str(arn))
        load.role_arns[res.address] = arn


def _inline(load: TfLoad, res: TfResource) -> list[Policy]:
    """`inline_policy` blocks. Not configured, the attribute is computed (known after apply) and
    stands for no inline policies on a new role: other resources attach them."""
    if not res.configured("inline_policy"):
        return []
    blocks = res.values.get("inline_policy")
    if isinstance(blocks, Unknown):
        return [load.policy(res, "inline_policy", f"{res.address} inline policies", PolicyKind.IDENTITY)]
    out = []
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict) or block.get("policy") in (None, ""):
            continue  # `inline_policy {}` removes inline policies
        name = block.get("name") if isinstance(block.get("name"), str) else "inline"
        line = block.line_of("policy") if isinstance(block, LineDict) else None
        where = Location(load.file, line if line is not None else res.line)
        out.append(parse_policy(block["policy"], name=f"{res.address} inline policy {name}",
                                kind=PolicyKind.IDENTITY, location=where))
    return out


def _managed_arns(load: TfLoad, managed: dict[str, Policy], res: TfResource) -> list[Policy]:
    """`managed_policy_arns` when configured (otherwise computed, like `inline_policy`)."""
    if not res.configured("managed_policy_arns"):
        return []
    arns = res.values.get("managed_policy_arns")
    items = [arns] if isinstance(arns, Unknown) else arns if isinstance(arns, list) else []
    out = []
    for index, arn in enumerate(items):
        where = Location(load.file, arns.line_of(index)) if isinstance(arns, LineList) \
            else load.plan.location(res, "managed_policy_arns")
        if arn is None:
            arn = Unknown(f"{res.address}.managed_policy_arns[{index}] (known after apply)")
        out.append(attached_here(_by_arn(load, managed, arn, PolicyKind.IDENTITY), where))
    return out


