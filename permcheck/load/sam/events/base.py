"""What every event handler shares: the event being read, the function it targets, the role it may add
to, and the constants of SAM's event sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from permcheck.load.nodes import LineDict, LineList, line_of
from permcheck.load.sam.core import Ctx, logical_id_hash, resource

PULL = ("Kinesis", "DynamoDB", "SQS", "MSK", "MQ", "SelfManagedKafka", "DocumentDB")
FILTERABLE = ("DocumentDB", "DynamoDB", "Kinesis", "MQ", "MSK", "SelfManagedKafka", "SQS")
KAFKA_AUTH = ("SASL_SCRAM_256_AUTH", "SASL_SCRAM_512_AUTH", "BASIC_AUTH", "CLIENT_CERTIFICATE_TLS_AUTH")
VPC_ACTIONS = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
               "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"]
X_ANY = "x-amazon-apigateway-any-method"


@dataclass
class RoleBuilder:
    """The execution role being assembled (SAM adds to it while it reads the events)."""

    logical_id: str
    managed: list = field(default_factory=list)
    managed_lines: list = field(default_factory=list)
    documents: list = field(default_factory=list)

    def add_managed(self, arn: Any, line: int | None) -> None:
        if arn not in self.managed:
            self.managed.append(arn)
            self.managed_lines.append(line)

    def add_document(self, policy: LineDict) -> None:
        """SAM's `_link_policy`: a policy whose document is already there is not added twice."""
        if policy not in self.documents and policy.get("PolicyDocument") not in \
                [d.get("PolicyDocument") for d in self.documents if isinstance(d, dict)]:
            self.documents.append(policy)


@dataclass
class Target:
    """What events point at: the function, or its alias when AutoPublishAlias is set."""

    function_id: str
    name: Any  # FunctionName for permissions and mappings: Ref function, or Ref alias (its ARN)
    arn: Any  # GetAtt function.Arn, or Ref alias
    attributes: dict  # Condition etc. passed on to generated resources
    alias_id: str | None = None


def order(item: tuple[str, Any]) -> Any:
    """SAM processes events sorted by Path (so HttpApi `$default` comes first), else by name."""
    name, event = item
    if not isinstance(event, dict):
        return name
    props = event.get("Properties", {})
    return props.get("Path", name) if isinstance(props, dict) else name


@dataclass
class Event:
    ctx: Ctx
    fn_id: str
    name: str
    type: str
    props: dict
    line: int | None
    target: Target
    role: RoleBuilder

    @property
    def id(self) -> str:
        return self.fn_id + self.name

    @property
    def note(self) -> str:
        return f"created by SAM: {self.fn_id}.Events.{self.name} ({self.type})"

    def fail(self, message: str, at: object = None) -> Exception:
        return self.ctx.fail(at if at is not None else self.line, self.fn_id, message, self.name)

    def add(self, logical_id: str, rtype: str, props: dict | None, note: str | None = None,
            attributes: dict | None = None) -> None:
        attrs = dict(self.target.attributes) if attributes is None else attributes
        self.ctx.add(logical_id, resource(rtype, props, self.line, note or self.note, attrs), self.fn_id, self.line)

    def permission(self, principal: str, source_arn: Any = None, source_account: Any = None, suffix: str = "",
                   token: Any = None, prefix: str | None = None) -> None:
        """PushEventSource._construct_permission."""
        prefix = self.id if prefix is None else prefix
        logical_id = prefix + "Permission" + suffix if suffix.isalnum() else \
            logical_id_hash(prefix + "Permission", suffix)
        props = {"Action": "lambda:InvokeFunction", "FunctionName": self.target.name, "Principal": principal}
        for key, value in (("SourceArn", source_arn), ("SourceAccount", source_account),
                           ("EventSourceToken", token)):
            if value is not None:
                props[key] = value
        self.add(logical_id, "AWS::Lambda::Permission", props)

    def arn(self, service: str, resource_part: str, partition: str | None = None) -> str:
        """ArnGenerator.generate_arn with the region and account left as pseudo parameters."""
        partition = partition or self.ctx.deployment.partition
        return f"arn:{partition}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource_part}"


def _target_id(logical_id: str, suffix: str) -> str:
    return logical_id + suffix if len(logical_id) + len(suffix) <= 64 else logical_id[:64 - len(suffix)] + suffix


def _referenced(ev: Event, value: Any, kind: str, message: str) -> str:
    """S3 and Cognito events must `Ref` a resource of this template."""
    if isinstance(value, dict) and "Ref" in value:
        target = value["Ref"]
        if not isinstance(target, str):
            raise ev.fail(f"'Ref' value in {kind} events is not a valid string." if kind == "S3"
                          else "Ref in Userpool is not a string.")
        if target in ev.ctx.template.get("Resources", {}):
            return target
    raise ev.fail(message)


def _logical_id(value: Any) -> str | None:
    from permcheck.load.nodes import logical_id_of
    return logical_id_of(value)


def _trust(service: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": [service]}}]}


def role_properties(builder, trust: object, props: dict, at: int | None) -> dict:
    """The Properties of the role SAM makes for a function or state machine: the trust, the
    managed and inline policies the builder gathered, and `RolePath`/`PermissionsBoundary`."""
    role: dict = {"AssumeRolePolicyDocument": trust,
                  "ManagedPolicyArns": LineList(builder.managed, line=at, item_lines=list(builder.managed_lines))}
    if builder.documents:
        role["Policies"] = LineList(builder.documents, line=at,
                                    item_lines=[line_of(d, at) for d in builder.documents])
    for key, prop in (("Path", "RolePath"), ("PermissionsBoundary", "PermissionsBoundary")):
        if props.get(prop) is not None:
            role[key] = props[prop]
    return role
