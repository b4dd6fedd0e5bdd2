"""What `Ref` and `Fn::GetAtt` return for each resource type, where the template decides it.

Each rule restates the "Return values" section of the type's page in the CloudFormation
template reference (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/),
e.g. `Ref` of an `AWS::SQS::Queue` is its URL and of an `AWS::SNS::Topic` its ARN. A name
CloudFormation generates (no `FunctionName`, `QueueName`...) and ids AWS assigns (KMS
key ids, API ids, version numbers) are `Unknown`, never invented. A rule that does not
know an attribute, and a type without a rule, give `Unknown` too, never an error.
"""

from __future__ import annotations

import re
from typing import Callable

from permcheck.load.nodes import LineDict
from permcheck.model.arn import iam_path
from permcheck.model.values import Sym, Unknown, concat

REF = "Ref"
ARN = "@arn"
"""Not a CloudFormation attribute: the resource's ARN, which `physical_arn` asks for."""
_MISSING = object()
_PARTIAL_FUNCTION_ARN = re.compile(r"^(\d{12}):function:(.+)$")


class View:
    """One template resource as the rules see it: resolved properties, names and ARNs."""

    def __init__(self, resolver, logical_id: str, resource: dict, line: int | None) -> None:
        self.resolver = resolver
        self.logical_id = logical_id
        self.type = resource.get("Type")
        self.line = line
        props = resource.get("Properties")
        self.raw = props if isinstance(props, dict) else {}
        self.d = resolver.deployment

    def prop(self, key: str) -> object:
        """The resolved property, or None when absent (or `AWS::NoValue`)."""
        if key not in self.raw:
            return None
        line = self.raw.line_of(key) if isinstance(self.raw, LineDict) else self.line
        value = self.resolver.resolve_at(self.raw[key], line)
        return None if value is self.resolver.NO_VALUE else value

    def text(self, key: str) -> object:
        """A property that must be a string (a name, a path); None when absent."""
        value = self.prop(key)
        if value is None or isinstance(value, (str, Sym, Unknown)):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise self.resolver.error(self.line, f"{self.logical_id}: property {key} must be a string")

    def unknown(self, what: str) -> Unknown:
        """A value CloudFormation generates; it differs per stack, so the template is named."""
        source = self.resolver.deployment.source
        return Unknown(f"{what} of {self.logical_id}" + (f" in {source}" if source else ""), owned=True)

    def name(self, key: str, fifo_key: str | None = None) -> object:
        """The physical name from property `key`, else the name CloudFormation generates
        (Unknown; SQS/SNS add `.fifo` to generated FIFO names)."""
        value = self.text(key)
        if value is not None:
            return value
        generated = self.unknown("generated name")
        if fifo_key and str(self.prop(fifo_key)).lower() == "true":
            return concat([generated, ".fifo"])
        return generated

    def arn(self, service: str, *resource: object, region: bool = True, account: bool = True) -> object:
        """arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, kept symbolic where parts are Unknown."""
        return concat(["arn:", self.d.partition, ":", service, ":", self.d.region if region else "", ":",
                       self.d.account if account else "", ":", *resource])


Rule = Callable[[View, str], object]
_RULES: dict[str, Rule] = {}


def _rule(*types: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for t in types:
            _RULES[t] = fn
        return fn
    return register


def value(view: View, what: str) -> object:
    """`what` is REF, an attribute name, or ARN. Unknown when the rules cannot say."""
    rule = _RULES.get(view.type) if isinstance(view.type, str) else None
    result = rule(view, what) if rule else _MISSING
    if result is not _MISSING:
        return result
    custom = not isinstance(view.type, str) or view.type.startswith("Custom::") or \
        view.type == "AWS::CloudFormation::CustomResource"  # a custom resource's code picks its ids
    if what == REF:
        return _generated(view, f"Ref to {view.type} {view.logical_id}", not custom)
    if what == ARN:
        return _generated(view, f"ARN of {view.type} {view.logical_id}", not custom)
    # an attribute that identifies the resource (UserPool.Arn, Api.RootResourceId) is as much the
    # deployment's own as its ARN; other attributes hold content (an SSM parameter's Value)
    identifier = isinstance(what, str) and what.endswith(("Arn", "Id", "Name"))
    return _generated(view, f"Fn::GetAtt {view.logical_id}.{what} ({view.type})", identifier and not custom)


def _generated(view: View, reason: str, owned: bool) -> Unknown:
    """An identifier CloudFormation generates differs per stack, so it names its template (as
    `View.unknown` does): two templates' unnamed secrets are two secrets, never one."""
    source = view.resolver.deployment.source
    return Unknown(reason + (f" in {source}" if owned and source else ""), owned=owned)


def _named(name_key: str, service: str, prefix: str, suffix: str = "", *, ref_arn: bool = False,
           name_att: str | None = None, arn_att: str = "Arn", fifo_key: str | None = None) -> Rule:
    """The common shape: the ARN is arn:...:SERVICE:REGION:ACCOUNT:PREFIX NAME SUFFIX and
    `Ref` returns the name, or the ARN where `ref_arn`."""
    def rule(v: View, what: str) -> object:
        name = v.name(name_key, fifo_key)
        if what == name_att or (what == REF and not ref_arn):
            return name
        if what in (REF, arn_att, ARN):
            return v.arn(service, prefix, name, suffix)
        return _MISSING
    return rule


_rule("AWS::Lambda::Function")(_named("FunctionName", "lambda", "function:"))
_rule("AWS::SNS::Topic")(_named("TopicName", "sns", "", ref_arn=True, name_att="TopicName", arn_att="TopicArn",
                                fifo_key="FifoTopic"))
_rule("AWS::Kinesis::Stream")(_named("Name", "kinesis", "stream/"))
_rule("AWS::Events::EventBus")(_named("Name", "events", "event-bus/", name_att="Name"))
_rule("AWS::StepFunctions::StateMachine")(_named("StateMachineName", "states", "stateMachine:", ref_arn=True,
                                                 name_att="Name"))
_rule("AWS::KMS::Alias")(_named("AliasName", "kms", "", arn_att=ARN))  # AliasName starts with "alias/"
# A log group's Arn attribute ends in ":*" (all streams of the group).
_rule("AWS::Logs::LogGroup")(_named("LogGroupName", "logs", "log-group:", ":*"))


def _iam(kind: str, name_key: str) -> Rule:
    """IAM roles, users, groups, instance profiles: Ref is the name; the ARN includes `Path`."""
    def rule(v: View, what: str) -> object:
        name = v.name(name_key)
        if what == REF:
            return name
        if what in ("Arn", ARN):
            return v.arn("iam", kind, _path(v), name, region=False)
        if what == "RoleId" and kind == "role":
            return v.unknown("role id")
        return _MISSING
    return rule


def _path(v: View) -> object:
    """The IAM path of a role, user, group or managed policy (arn:...:role/a/b/NAME)."""
    return iam_path(v.text("Path"))


_rule("AWS::IAM::Role")(_iam("role", "RoleName"))
_rule("AWS::IAM::User")(_iam("user", "UserName"))
_rule("AWS::IAM::Group")(_iam("group", "GroupName"))
_rule("AWS::IAM::InstanceProfile")(_iam("instance-profile", "InstanceProfileName"))


@_rule("AWS::IAM::ManagedPolicy")
def _managed_policy(v: View, what: str) -> object:
    """Ref is the policy ARN (unlike other IAM types)."""
    if what in (REF, "PolicyArn", ARN):
        return v.arn("iam", "policy", _path(v), v.name("ManagedPolicyName"), region=False)
    return v.unknown("policy id") if what == "PolicyId" else _MISSING


@_rule("AWS::IAM::Policy")
def _inline_policy(v: View, what: str) -> object:
    """An inline policy has no ARN; Ref is an id CloudFormation makes up."""
    return v.unknown("generated policy id") if what == REF else _MISSING


def function_arn(v: View, key: str) -> object:
    """A FunctionName-like property (name, ARN or partial ARN) as the function's ARN."""
    raw = v.raw.get(key)
    target = raw.get("Ref") if isinstance(raw, dict) and len(raw) == 1 else None
    if isinstance(target, str) and v.resolver.resource_type(target) == "AWS::Lambda::Function":
        return v.resolver.physical_arn(target)  # keeps a generated name symbolic inside the ARN
    value = v.text(key)
    if isinstance(value, str):
        if value.startswith("arn:"):
            return value
        partial = _PARTIAL_FUNCTION_ARN.match(value)
        if partial:
            return concat(["arn:", v.d.partition, ":lambda:", v.d.region, ":", partial[1], ":function:", partial[2]])
        return v.arn("lambda", "function:", value)
    if isinstance(value, Sym) and isinstance(value.parts[0], str) and value.parts[0].startswith("arn:"):
        return value
    return v.unknown(f"function named by {key}")


@_rule("AWS::Lambda::Alias")
def _alias(v: View, what: str) -> object:
    """Ref is the alias ARN: the function ARN qualified by the alias name."""
    if what in (REF, "AliasArn", ARN):
        return concat([function_arn(v, "FunctionName"), ":", v.name("Name")])
    return _MISSING


@_rule("AWS::Lambda::Version")
def _version(v: View, what: str) -> object:
    """Ref is the version ARN; the version number is assigned at publish time."""
    number = v.unknown("version number")
    if what in (REF, "FunctionArn", ARN):
        return concat([function_arn(v, "FunctionName"), ":", number])
    return number if what == "Version" else _MISSING


@_rule("AWS::Lambda::LayerVersion")
def _layer(v: View, what: str) -> object:
    """Ref is the layer version ARN, arn:...:layer:NAME:VERSION."""
    if what not in (REF, "LayerVersionArn", ARN):
        return _MISSING
    name, number = v.name("LayerName"), v.unknown("layer version number")
    if isinstance(name, str) and name.startswith("arn:"):  # LayerName may be the layer's ARN
        return concat([name, ":", number])
    return v.arn("lambda", "layer:", name, ":", number)


@_rule("AWS::Lambda::Url")
def _url(v: View, what: str) -> object:
    """Ref and FunctionArn are the (qualified) function ARN; the URL id is assigned by AWS."""
    if what in (REF, "FunctionArn"):
        qualifier = v.text("Qualifier")
        return concat([function_arn(v, "TargetFunctionArn")] + ([":", qualifier] if qualifier is not None else []))
    if what == "FunctionUrl":
        return concat(["https://", v.unknown("function URL id"), f".lambda-url.{v.d.region}.on.aws/"])
    return _MISSING


@_rule("AWS::SQS::Queue")
def _queue(v: View, what: str) -> object:
    """Ref is the queue URL, https://sqs.REGION.amazonaws.com/ACCOUNT/NAME."""
    name = v.name("QueueName", "FifoQueue")
    if what in (REF, "QueueUrl"):
        return concat([f"https://sqs.{v.d.region}.{v.d.url_suffix}/{v.d.account}/", name])
    if what in ("Arn", ARN):
        return v.arn("sqs", name)
    return name if what == "QueueName" else _MISSING


@_rule("AWS::S3::Bucket")
def _bucket(v: View, what: str) -> object:
    """Ref is the bucket name; bucket ARNs have neither region nor account."""
    name, suffix, region = v.name("BucketName"), v.d.url_suffix, v.d.region
    if what == REF:
        return name
    if what in ("Arn", ARN):
        return v.arn("s3", name, region=False, account=False)
    domain = {"DomainName": f".s3.{suffix}", "RegionalDomainName": f".s3.{region}.{suffix}",
              "DualStackDomainName": f".s3.dualstack.{region}.{suffix}"}.get(what)
    return concat([name, domain]) if domain else _MISSING


@_rule("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
def _table(v: View, what: str) -> object:
    """Ref is the table name; a stream ARN ends in a label set when the stream is made."""
    name = v.name("TableName")
    if what == REF:
        return name
    arn = v.arn("dynamodb", "table/", name)
    if what in ("Arn", ARN):
        return arn
    return concat([arn, "/stream/", v.unknown("stream label")]) if what == "StreamArn" else _MISSING


@_rule("AWS::KMS::Key")
def _key(v: View, what: str) -> object:
    """Ref is the key id, which KMS generates."""
    key_id = v.unknown("generated key id")
    if what in (REF, "KeyId"):
        return key_id
    return v.arn("kms", "key/", key_id) if what in ("Arn", ARN) else _MISSING


@_rule("AWS::SecretsManager::Secret")
def _secret(v: View, what: str) -> object:
    """Ref is the secret ARN: Secrets Manager appends "-" and six random characters."""
    if what in (REF, "Id", ARN):
        return v.arn("secretsmanager", "secret:", v.name("Name"), "-", v.unknown("random secret ARN suffix"))
    return _MISSING


@_rule("AWS::Events::Rule")
def _event_rule(v: View, what: str) -> object:
    """A rule on the default bus: Ref is its name, its ARN rule/NAME; on a custom bus the
    ARN is rule/BUS/NAME and Ref is not the bare name."""
    name, bus = v.name("Name"), v.text("EventBusName")
    if isinstance(bus, (Unknown, Sym)):
        return _MISSING  # the bus may or may not be the default one
    bus = bus and bus.rsplit("/", 1)[-1]  # a bus ARN: arn:...:event-bus/NAME
    default = bus is None or bus == "default"
    if what == REF and default:
        return name
    if what in ("Arn", ARN):
        return v.arn("events", "rule/", name) if default else v.arn("events", "rule/", bus, "/", name)
    return _MISSING


@_rule("AWS::ApiGateway::RestApi")
def _rest_api(v: View, what: str) -> object:
    """Ref is the REST API id, which API Gateway generates."""
    api_id = v.unknown("generated REST API id")
    if what in (REF, "RestApiId"):
        return api_id
    if what == "RootResourceId":
        return v.unknown("root resource id")
    return v.arn("apigateway", "/restapis/", api_id, account=False) if what == ARN else _MISSING


@_rule("AWS::ApiGatewayV2::Api")
def _http_api(v: View, what: str) -> object:
    """Ref is the API id, which API Gateway generates."""
    api_id = v.unknown("generated API id")
    if what in (REF, "ApiId"):
        return api_id
    if what == "ApiEndpoint":
        return concat(["https://", api_id, f".execute-api.{v.d.region}.{v.d.url_suffix}"])
    return v.arn("apigateway", "/apis/", api_id, account=False) if what == ARN else _MISSING


@_rule("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage")
def _stage(v: View, what: str) -> object:
    return v.name("StageName") if what == REF else _MISSING


@_rule("AWS::CloudFormation::Stack")
def _stack(v: View, what: str) -> object:
    """A nested stack's outputs are only known once it is deployed."""
    if what.startswith("Outputs."):
        return Unknown(f"output {what[len('Outputs.'):]} of nested stack {v.logical_id}")
    return v.unknown("nested stack id") if what == REF else _MISSING
