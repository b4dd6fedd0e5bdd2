"""What the readers of a Terraform plan's triggers share (tf_triggers and its families).

The function a value names, as `aws_lambda_permission` names it (tf_lambda.Functions); the ARN
of a source the plan creates when the wiring refers to it by an expression known only after
apply (tf_plan references); nested blocks read as resources of their own. A value known only
after apply stays `Unknown`; nothing is dropped for it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from permcheck.load.nodes import LineDict
from permcheck.load.tf_lambda import Functions
from permcheck.load.tf_load import TfLoad
from permcheck.load.tf_plan import TfResource
from permcheck.load.tf_resources import identity
from permcheck.load.trigger_notes import with_notes
from permcheck.model.arn import parse_arn
from permcheck.model.triggers import Delivery, Trigger
from permcheck.model.values import Unknown, concat

FUNCTIONS = ("aws_lambda_function", "aws_lambda_alias")


@dataclass
class Wiring:
    """One plan's triggers being read: the plan, the functions it names, the triggers found."""

    load: TfLoad
    functions: Functions

    @property
    def plan(self):
        return self.load.plan

    def where(self, res: TfResource) -> dict:
        """The trigger's logical id (the address) and location (the resource in planned_values)."""
        return {"logical_id": res.address, "location": self.plan.location(res)}

    def add(self, trigger: Trigger, *notes: str) -> None:
        """Keep `trigger`, with `notes` after its own (what narrows it without changing who can fire it)."""
        self.load.inventory.triggers.append(with_notes(trigger, *notes))

    def deliver(self, delivery: Delivery, *notes: str) -> None:
        """Keep a delivery between sources (an SNS topic's queue), with `notes` after its own."""
        self.load.inventory.deliveries.append(with_notes(delivery, *notes))

    def function(self, res: TfResource, attr: str) -> object:
        """The ARN of the function `attr` (a name or ARN) names, qualified by an alias it names."""
        return self.functions.arn_of(res, attr)

    def function_named(self, res: TfResource, name: object) -> object:
        """The ARN of the function a name or ARN found inside a value of `res` (a definition, an
        input document) names, found as `function` finds one."""
        holder = LineDict({"function_name": name}, line=res.line)
        return self.function(replace(res, values=holder, config={}), "function_name")

    def referenced_functions(self, res: TfResource, attr: str) -> list[object]:
        """The ARNs of the functions (and aliases) an expression known only after apply is made from."""
        out: list[object] = []
        for ref in self.plan.references(res, attr, *FUNCTIONS, "data.aws_lambda_function"):
            if ref.mode == "data":
                out.append(self.load.text(ref, "arn") or Unknown(f"{ref.address}.arn (known after apply)"))
            elif ref.address in self.functions.by_address:
                out.append(self.functions.drafts[self.functions.by_address[ref.address]]["arn"])
            elif ref.address in self.functions.aliases:
                key, alias = self.functions.aliases[ref.address]
                out.append(concat([self.functions.drafts[key]["arn"], ":", alias]))
        return out

    def target(self, res: TfResource, attr: str) -> object | None:
        """The function a target ARN (a rule's target, a destination) names; None when it names
        another kind of target or nothing a function can be told from."""
        value = self.load.text(res, attr)
        if isinstance(value, str):
            return self.function(res, attr) if is_function_arn(value) else None
        if value is None:
            return None
        if self.plan.references(res, attr, *FUNCTIONS):
            return self.function(res, attr)
        looked_up = self.referenced_functions(res, attr)  # a data.aws_lambda_function
        return looked_up[0] if len(looked_up) == 1 else None

    def source(self, res: TfResource, attr: str, *types: str) -> object:
        """The ARN in `attr`; known only after apply, the ARN of the one resource of `types` it refers to."""
        value = self.load.text(res, attr)
        if isinstance(value, str):
            return value
        refs = self.plan.references(res, attr, *types) if value is not None else []
        if len(refs) == 1 and refs[0].type in ARNS:
            return ARNS[refs[0].type](self.load, refs[0])
        return value if value is not None else Unknown(f"{res.address}.{attr} (not in the plan)")

    def blocks(self, res: TfResource, name: str) -> list[TfResource]:
        """The nested blocks `name` of a resource, each read as a resource (values, configuration
        expressions and lines of its own) under the resource's address."""
        values = res.values.get(name)
        if isinstance(values, LineDict):
            values = [values]
        config = (res.config or {}).get(name) if res.config is not None else None
        configs = config if isinstance(config, list) else [config] if isinstance(config, dict) else []
        out = []
        for index, block in enumerate(values if isinstance(values, list) else []):
            if not isinstance(block, LineDict):
                continue
            expressions = configs[index] if index < len(configs) and isinstance(configs[index], dict) else None
            out.append(replace(res, values=block, line=block.line if block.line is not None else res.line,
                               config=expressions if res.config is not None else None))
        return out


def is_function_arn(value: str) -> bool:
    arn = parse_arn(value)
    return arn is not None and arn.service == "lambda" and arn.resource.startswith("function:")


def _owned(res: TfResource, attr: str) -> Unknown:
    """An identifier AWS generates for a resource of this plan (a cluster's uuid, a pool's id)."""
    return Unknown(f"{res.address}.{attr} (known after apply)", owned=True)


def _dynamodb_stream(load: TfLoad, res: TfResource) -> object:
    """A table's stream (what a mapping reads): `TABLE_ARN/stream/LABEL`, the label AWS's."""
    known = load.text(res, "stream_arn")
    if known is not None and not isinstance(known, Unknown):
        return known
    return concat([identity(load, res)[0], "/stream/", _owned(res, "stream_label")])


def _user_pool(load: TfLoad, res: TfResource) -> object:
    pool_id = load.text(res, "id")
    return load.arn(res, "cognito-idp", "userpool/", pool_id if isinstance(pool_id, str) else _owned(res, "id"))


def _log_group(load: TfLoad, res: TfResource) -> object:
    arn = load.arn(res, "logs", "log-group:", load.name(res, "name"))
    return arn[:-2] if isinstance(arn, str) and arn.endswith(":*") else arn  # older providers end it with :*


ARNS = {  # a source the plan creates → its ARN (the plan's `arn` when known)
    "aws_s3_bucket": lambda load, res: identity(load, res)[0],
    "aws_sqs_queue": lambda load, res: identity(load, res)[0],
    "aws_sns_topic": lambda load, res: identity(load, res)[0],
    "aws_dynamodb_table": _dynamodb_stream,
    "aws_kinesis_stream": lambda load, res: load.arn(res, "kinesis", "stream/", load.name(res, "name")),
    "aws_msk_cluster": lambda load, res: load.arn(res, "kafka", "cluster/", load.name(res, "cluster_name"), "/",
                                                  _owned(res, "cluster_uuid")),
    "aws_msk_serverless_cluster": lambda load, res: load.arn(res, "kafka", "cluster/",
                                                             load.name(res, "cluster_name"), "/",
                                                             _owned(res, "cluster_uuid")),
    "aws_mq_broker": lambda load, res: load.arn(res, "mq", "broker:", load.name(res, "broker_name"), ":",
                                                _owned(res, "id")),
    "aws_docdb_cluster": lambda load, res: load.arn(res, "rds", "cluster:",
                                                    load.name(res, "cluster_identifier")),
    "aws_cloudwatch_log_group": _log_group,
    "aws_cloudwatch_event_bus": lambda load, res: load.arn(res, "events", "event-bus/", load.name(res, "name")),
    "aws_sfn_state_machine": lambda load, res: load.arn(res, "states", "stateMachine:", load.name(res, "name")),
    "aws_cognito_user_pool": _user_pool,
    "aws_iot_topic_rule": lambda load, res: load.arn(res, "iot", "rule/", load.name(res, "name")),
}
