"""Lambda in a Terraform plan: functions, aliases, function URLs, and who may invoke them.

Every `aws_lambda_permission` becomes one statement of the function's resource policy, built
by `cfn_lambda.permission_statement` as for an AWS::Lambda::Permission: both are Lambda's
AddPermission (https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html), and the
provider's arguments map one to one onto its parameters
(https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/lambda_permission).
A `function_name` known only after apply is followed through the configuration to the
function (or alias) it references, so the permission still lands on the right function.
"""

from __future__ import annotations

from permcheck.load.cfn_lambda import function_arn, permission_statement
from permcheck.load.tf_load import TfLoad
from permcheck.load.tf_plan import TfResource
from permcheck.model.entities import Function, FunctionUrl
from permcheck.model.location import InputError
from permcheck.model.policy import Policy, PolicyKind
from permcheck.model.values import Sym, Unknown, concat

PERMISSION_ARGUMENTS = {  # aws_lambda_permission argument → AddPermission parameter
    "action": "Action", "principal": "Principal", "source_arn": "SourceArn", "source_account": "SourceAccount",
    "principal_org_id": "PrincipalOrgID", "function_url_auth_type": "FunctionUrlAuthType",
    "event_source_token": "EventSourceToken", "invoked_via_function_url": "InvokedViaFunctionUrl",
}
OTHER_ARGUMENTS = {"id", "function_name", "qualifier", "statement_id", "statement_id_prefix", "region", "timeouts"}
"""Arguments that name the statement or its function but do not change the grant. Any other
argument with a value is refused: it could narrow or widen the grant (fail closed)."""


class Functions:
    """The functions being built, by ARN text, with the plan's addresses that name them."""

    def __init__(self, load: TfLoad) -> None:
        self.load = load
        self.drafts: dict[str, dict] = {}
        self.by_address: dict[str, str] = {}  # function address → draft key
        self.by_name: dict[tuple[str, str], str] = {}  # (name, region) of a function of the plan → draft key
        self.aliases: dict[str, tuple[str, object]] = {}  # alias address → (draft key, alias name)

    def add(self, arn: object, name: object, account: str, region: str, res: TfResource | None = None,
            role: object = None) -> str:
        key = str(arn)
        self.drafts.setdefault(key, dict(arn=arn, name=name, account=account, region=region, role=role,
                                         logical_id=res.address if res else None,
                                         location=self.load.plan.location(res) if res else None,
                                         statements=[], urls=[], qualifiers=[]))
        if res is not None:
            self.by_address[res.address] = key
            self.by_name.setdefault((str(name), region), key)
        return key

    def named_by(self, res: TfResource, attr: str) -> tuple[dict, object]:
        """The function that `attr` (a name, ARN or partial ARN, maybe qualified) names, and
        the qualifier it carries; one the plan does not define is added."""
        key, arn, qualifier = self.find(res, attr)
        if key is None:
            if isinstance(arn, str):
                key = self.add(arn, arn.split(":function:", 1)[-1], self.load.account_of(arn), res.region)
            else:
                key = self.add(arn, arn, self.load.deployment.account, res.region)
        return self.drafts[key], qualifier

    def find(self, res: TfResource, attr: str) -> tuple[str | None, object, object]:
        """(draft key or None, ARN, qualifier) of the function `attr` names: a value known after
        apply is followed through the configuration to the function or alias it references."""
        value = self.load.text(res, attr)
        if value is None:
            raise InputError(self.load.plan.location(res), f"{res.address} has no {attr}")
        if isinstance(value, str):
            arn, qualifier = function_arn(value, self.load.deployment_of(res))
            if arn in self.drafts:
                return arn, arn, qualifier
            bare = ":function:" not in value  # a name alone: matches a function of this plan by name
            key = self.by_name.get((arn.split(":function:", 1)[-1], res.region)) if bare else None
            return key, arn, qualifier
        refs = self.load.plan.references(res, attr, "aws_lambda_function", "aws_lambda_alias")
        keys = {self.by_address[r.address] for r in refs if r.address in self.by_address}
        aliases = [self.aliases[r.address] for r in refs if r.address in self.aliases]
        keys |= {key for key, _ in aliases}
        if len(keys) == 1:
            key = keys.pop()
            return key, self.drafts[key]["arn"], aliases[0][1] if len(aliases) == 1 else None
        return None, value, None

    def arn_of(self, res: TfResource, attr: str) -> object:
        """The ARN of the function `attr` names, qualified when it names an alias or version."""
        _, arn, qualifier = self.find(res, attr)
        return arn if qualifier is None else concat([arn, ":", qualifier])


def load(load_: TfLoad) -> Functions:
    """Read the plan's functions, aliases, URLs and permissions; the functions, for what names them next."""
    plan = load_.plan
    functions = Functions(load_)
    for res in plan.of_type("aws_lambda_function"):
        name = load_.name(res, "function_name")
        arn = load_.arn(res, "lambda", "function:", name)
        functions.add(arn, name, load_.account_of(arn), res.region, res, _role(load_, res))
    for res in plan.of_type("aws_lambda_alias"):
        draft, _ = functions.named_by(res, "function_name")
        alias = load_.name(res, "name")
        functions.aliases[res.address] = (str(draft["arn"]), alias)
        if isinstance(alias, str):
            draft["qualifiers"].append(alias)
    for res in plan.of_type("aws_lambda_function_url"):
        draft, qualifier = functions.named_by(res, "function_name")
        qualifier = load_.text(res, "qualifier") or qualifier
        auth = load_.text(res, "authorization_type") or Unknown(f"{res.address}.authorization_type (not in the plan)")
        draft["urls"].append(FunctionUrl(auth_type=auth, qualifier=qualifier if isinstance(qualifier, str) else None,
                                         location=plan.location(res)))
    for res in plan.of_type("aws_lambda_permission"):
        draft, qualifier = functions.named_by(res, "function_name")
        qualifier = load_.text(res, "qualifier") or qualifier
        if isinstance(qualifier, str):
            draft["qualifiers"].append(qualifier)
        target = draft["arn"] if qualifier is None else concat([draft["arn"], ":", qualifier])
        draft["statements"].append(_statement(load_, res, target))
    for key, draft in functions.drafts.items():
        statements = draft.pop("statements")
        policy = None
        if statements:
            policy = Policy(name=f"{draft['name']} resource policy", kind=PolicyKind.RESOURCE,
                            location=statements[0].location, statements=tuple(statements))
        draft["urls"] = tuple(draft["urls"])
        draft["qualifiers"] = tuple(dict.fromkeys(draft["qualifiers"]))
        if draft["logical_id"] is not None and not load_.inventory.create(key, draft.get("location")):
            continue  # two inputs create one function: a conflict the walk over inputs splits
        load_.inventory.functions[key] = Function(**draft, policy=policy)
        load_.inventory.add_logical_id(draft["logical_id"], key)
    return functions


def _role(load_: TfLoad, res: TfResource) -> object:
    return role_arn(load_, res, "role")


def role_arn(load_: TfLoad, res: TfResource, attr: str) -> object:
    """The ARN of the role `attr` names; one known after apply is the ARN of the role it references."""
    value = load_.text(res, attr)
    if isinstance(value, (Unknown, Sym)):
        refs = [r for r in load_.plan.references(res, attr, "aws_iam_role") if r.address in load_.role_arns]
        if len(refs) == 1:
            return load_.role_arns[refs[0].address]
    return value


def _statement(load_: TfLoad, res: TfResource, target: object):
    where = load_.plan.location(res)
    extra = sorted(k for k, v in res.values.items()
                   if k not in PERMISSION_ARGUMENTS and k not in OTHER_ARGUMENTS and v not in (None, "", [], {}))
    if extra:
        raise InputError(load_.plan.location(res, extra[0]),
                         f"aws_lambda_permission {res.address}: unsupported argument {extra[0]!r}")
    props = {}
    for attr, prop in PERMISSION_ARGUMENTS.items():
        if attr == "invoked_via_function_url":
            value = res.values.get(attr)
            if value is True or isinstance(value, Unknown):  # false adds no condition
                props[prop] = value
            continue
        value = load_.text(res, attr)
        if value is not None:
            props[prop] = value
    for required in ("Action", "Principal"):
        if required not in props:
            raise InputError(where, f"aws_lambda_permission {res.address} has no {required.lower()}")
    statement = permission_statement(res.address, props, target, where)
    sid = load_.text(res, "statement_id")
    return statement.model_copy(update={"sid": sid}) if isinstance(sid, str) else statement
