"""Hypothesis strategies for inputs as a pull request may bring them: valid, slightly broken, hostile.

`inputs()` draws one input file (name and bytes) and the identifiers a query may ask about:
- valid: CloudFormation and SAM templates (functions, roles, users, permissions, function URLs,
  queues, topics, buckets, keys and their policies, with intrinsics in JSON and YAML short form),
  bare policy documents, `aws lambda get-policy` output, an SCP;
- slightly broken: the same with a few values replaced by wrong types, keys dropped or added,
  a bad `Effect`, an intrinsic CloudFormation does not define, a scalar where a list belongs;
- hostile: the text cut short or spliced with a duplicate key, NaN, a huge number, deep nesting,
  an alias bomb, a Python tag, a NUL or a non-UTF-8 byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from hypothesis import strategies as st

ACCOUNT = "123456789012"
OTHER = "210987654321"
LOGICAL_IDS = ("Fn", "Fn2", "Role", "User", "Group", "Queue", "Topic", "Bucket", "Key", "Perm", "Url", "Live")
FUNCTION_IDS = ("Fn", "Fn2", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders", "orders", "missing", "*", "",
                "PartnerSyncFunction", "WebhookFunction", "orders-api", "neighbour",  # in the fixtures (seeds below)
                "arn:aws:lambda:us-east-1:111111111111:function:orders-api", "aws_lambda_function.api")
PRINCIPAL_IDS = ("Role", "User", "Fn", f"arn:aws:iam::{ACCOUNT}:role/orders-role", f"arn:aws:iam::{OTHER}:role/partner",
                 f"arn:aws:sts::{ACCOUNT}:assumed-role/orders-role/s", ACCOUNT, "sns.amazonaws.com", "*", "nobody",
                 "PartnerSyncRole", "OrdersApiFunction", "arn:aws:iam::111111111111:role/legacy-ops",
                 "arn:aws:iam::111111111111:user/alice", "aws_iam_role.api")

ACTIONS = ("lambda:InvokeFunction", "lambda:InvokeFunctionUrl", "lambda:*", "lambda:Invoke*", "*", "s3:GetObject",
           "s3:*", "sqs:SendMessage", "sns:Publish", "kms:Decrypt", "sts:AssumeRole", "iam:PassRole",
           "dynamodb:GetItem", "lambda:invokefunction", "s3:Get?bject", "bogus", "")
RESOURCES = ("*", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:*",
             "arn:aws:s3:::orders-bucket/*", "arn:aws:s3:::orders-bucket", f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders",
             f"arn:aws:iam::{ACCOUNT}:role/orders-role", "arn:aws:lambda:*:*:function:orders:*", "not-an-arn", "")
SERVICES = ("sns.amazonaws.com", "s3.amazonaws.com", "apigateway.amazonaws.com", "lambda.amazonaws.com",
            "events.amazonaws.com", "sqs.amazonaws.com")
OPERATORS = ("StringEquals", "StringLike", "StringNotEquals", "ArnLike", "ArnEquals", "Bool", "NumericLessThan",
             "DateGreaterThan", "IpAddress", "Null", "ForAnyValue:StringLike", "ForAllValues:StringEquals",
             "StringEqualsIfExists", "StringEqualsIgnoreCase", "BinaryEquals", "NumericLessThanEquals")
CONDITION_KEYS = ("aws:SourceArn", "aws:SourceAccount", "aws:PrincipalArn", "aws:SecureTransport", "aws:SourceIp",
                  "aws:PrincipalOrgID", "lambda:FunctionUrlAuthType", "aws:CurrentTime", "aws:username", "s3:prefix")
CONDITION_VALUES = (ACCOUNT, OTHER, "true", "false", "10.0.0.0/8", "2020-01-01T00:00:00Z", "5", "NONE", "AWS_IAM",
                    "arn:aws:sns:us-east-1:*:orders", "o-abc123", "${aws:username}", "*", "a?c", "")


# -- scalars and intrinsics -----------------------------------------------------------------------

JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**15), st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.text(st.characters(categories=("Cs",)), min_size=1, max_size=2),  # half a UTF-16 pair: `"\ud800"`
    st.sampled_from(["", "*", "Allow", "Deny", "allow", "Maybe", "arn:", "${", "${AWS::AccountId}", "!Ref", "Fn::Sub",
                     "NaN", "0x1F", "012345670123", "2012-10-17", "yes", "~", "Bogus", "StringEqualz"]),
    st.just([]), st.just({}))

# Intrinsics that resolve in every generated template (Fn, Role, Env, IsProd, Accounts are always there).
VALID_IDS = ("Fn", "Role", "Env", "AWS::AccountId", "AWS::Region", "AWS::Partition", "AWS::StackName", "AWS::NoValue",
             "AWS::URLSuffix")


@cache
def _intrinsics(leaf: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.builds(lambda i: {"Ref": i}, st.sampled_from(VALID_IDS)),
        st.builds(lambda i: {"Fn::GetAtt": [i, "Arn"]}, st.sampled_from(["Fn", "Role"])),
        st.builds(lambda i: {"Fn::GetAtt": f"{i}.Arn"}, st.sampled_from(["Fn", "Role"])),
        st.builds(lambda s: {"Fn::Sub": s}, st.sampled_from([
            "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${Fn}",
            "arn:aws:s3:::orders-${Env}/*", "${Role.Arn}", "${!Literal}-${Env}", "arn:aws:iam::${AWS::AccountId}:root"])),
        st.builds(lambda s, v: {"Fn::Sub": [s, {"Name": v}]}, st.sampled_from(["arn:aws:sqs:::${Name}", "${Name}"]), leaf),
        st.builds(lambda parts: {"Fn::Join": [":", parts]}, st.lists(leaf, min_size=1, max_size=3)),
        st.builds(lambda a, b: {"Fn::If": ["IsProd", a, b]}, leaf, leaf),
        st.builds(lambda xs: {"Fn::Select": [0, xs]}, st.lists(leaf, min_size=1, max_size=3)),
        st.builds(lambda v: {"Fn::Select": [1, {"Fn::Split": [",", f"x,{v}"]}]}, leaf.filter(lambda v: isinstance(v, str))),
        st.just({"Fn::FindInMap": ["Accounts", "Prod", "Id"]}),
        st.just({"Fn::ImportValue": "shared-role-arn"}),
        st.just({"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
    )


# Intrinsics that do not resolve, or are not CloudFormation's: for the broken inputs.
BAD_INTRINSICS = st.one_of(
    st.builds(lambda i: {"Ref": i}, st.sampled_from(["Nowhere", "Queue", ""])),
    st.builds(lambda v: {"Fn::Frobnicate": v}, JUNK),
    st.builds(lambda v: {"Ref": v}, JUNK),
    st.builds(lambda v: {"Fn::Sub": v}, JUNK | st.sampled_from(["${", "${Nowhere}", "${Fn.Nope}"])),
    st.builds(lambda v: {"Fn::Sub": "x", "Extra": v}, JUNK),
    st.builds(lambda v: {"Fn::GetAtt": v}, JUNK | st.sampled_from([["Fn"], ["Fn", "Nope"], "Role", ["Queue", "Arn"]])),
    st.builds(lambda v: {"Fn::Join": v}, JUNK | st.just([":", "not-a-list"])),
    st.builds(lambda i, v: {"Fn::Select": [i, v]}, JUNK, JUNK),
    st.builds(lambda v: {"Fn::If": v}, JUNK | st.just(["NoSuchCondition", 1, 2])),
    st.builds(lambda v: {"Fn::FindInMap": v}, JUNK | st.just(["Accounts", "Nope", "Id"])),
)


# Text a renderer may trip on: accents, combining marks, right-to-left, wide, astral, control characters.
ODD_TEXT = ("ørders", "o\u0301rders", "\u202eorders", "注文", "\U0001F600", "tab\there", "new\nline", "bell\x07",
            "\x1b[31mred", "back\\slash", "[bold]x[/bold]", "quote\"s", "<xml>&amp;", "${AWS::Region}")


@cache
def _string(values: tuple[str, ...]) -> st.SearchStrategy:
    plain = st.sampled_from(values)
    return st.one_of(plain, plain, plain, _intrinsics(plain), st.sampled_from(ODD_TEXT))


@cache
def _one_or_list(item: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(item, st.lists(item, max_size=3))


# -- policies ----------------------------------------------------------------------------------------

@cache
def _principal() -> st.SearchStrategy:
    arn = _string((f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:iam::{OTHER}:role/partner", ACCOUNT, OTHER, "*",
                   f"arn:aws:iam::{ACCOUNT}:user/alice", f"arn:aws:sts::{OTHER}:assumed-role/partner/s",
                   f"arn:aws:iam::{ACCOUNT}:group/devs", "AIDAEXAMPLE"))
    return st.one_of(
        st.just("*"),
        st.builds(lambda v: {"AWS": v}, _one_or_list(arn)),
        st.builds(lambda v: {"Service": v}, _one_or_list(_string(SERVICES))),
        st.builds(lambda v: {"Federated": v}, st.sampled_from(["cognito-identity.amazonaws.com", "accounts.google.com"])),
        st.builds(lambda v: {"CanonicalUser": v}, st.just("79a59df900b949e55d96a1e698fbaced")),
        st.fixed_dictionaries({"AWS": _one_or_list(arn), "Service": _one_or_list(_string(SERVICES))}))


@cache
def _condition() -> st.SearchStrategy:
    values = _one_or_list(_string(CONDITION_VALUES))
    block = st.dictionaries(st.sampled_from(CONDITION_KEYS), values, min_size=1, max_size=2)
    return st.dictionaries(st.sampled_from(OPERATORS), block, min_size=1, max_size=2)


@cache
def statement(kind: str = "identity") -> st.SearchStrategy:
    """One statement of an identity policy, or of a resource policy (with a principal)."""
    actions, resources = _one_or_list(_string(ACTIONS)), _one_or_list(_string(RESOURCES))
    base = st.fixed_dictionaries(
        {"Effect": st.sampled_from(["Allow", "Allow", "Deny"])},
        optional={"Sid": st.sampled_from(["A", "Sid1"]), "Condition": _condition()})
    action = st.one_of(st.builds(lambda a: {"Action": a}, actions), st.builds(lambda a: {"NotAction": a}, actions))
    resource = st.one_of(st.builds(lambda r: {"Resource": r}, resources),
                         st.builds(lambda r: {"NotResource": r}, resources))
    parts = [base, action, resource]
    if kind == "resource":
        principal = st.one_of(st.builds(lambda p: {"Principal": p}, _principal()),
                              st.builds(lambda p: {"Principal": p}, _principal()),
                              st.builds(lambda p: {"NotPrincipal": p}, _principal()))
        parts = [base, action, principal, st.one_of(resource, st.just({}))]
    return st.tuples(*parts).map(lambda ds: {k: v for d in ds for k, v in d.items()})


@cache
def policy(kind: str = "identity") -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {"Version": st.sampled_from(["2012-10-17", "2012-10-17", "2008-10-17"]),
         "Statement": st.one_of(st.lists(statement(kind), min_size=1, max_size=4), statement(kind))},
        optional={"Id": st.just("policy-id")})


# -- templates ----------------------------------------------------------------------------------------

def _props(required: dict, optional: dict) -> st.SearchStrategy:
    return st.fixed_dictionaries(required, optional=optional)


def _resource(type_: str, props: st.SearchStrategy) -> st.SearchStrategy:
    return st.fixed_dictionaries({"Type": st.just(type_), "Properties": props},
                                 optional={"Condition": st.just("IsProd"), "DependsOn": st.just("Role")})


@cache
def _role_ref() -> st.SearchStrategy:
    return st.one_of(st.just({"Fn::GetAtt": ["Role", "Arn"]}), _string((f"arn:aws:iam::{ACCOUNT}:role/orders-role",)))


@cache
def _function_ref() -> st.SearchStrategy:
    return st.one_of(st.just({"Ref": "Fn"}), st.just({"Fn::GetAtt": ["Fn", "Arn"]}), st.just({"Ref": "Live"}),
                     _string(("orders", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders")))


@cache
def _named_policies() -> st.SearchStrategy:
    return st.lists(st.fixed_dictionaries({"PolicyName": st.sampled_from(["p", "q"]), "PolicyDocument": policy()}),
                    max_size=2)


@cache
def _managed_arns() -> st.SearchStrategy:
    return st.lists(_string(("arn:aws:iam::aws:policy/AdministratorAccess",
                             "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                             "arn:aws:iam::aws:policy/NoSuchPolicy", f"arn:aws:iam::{ACCOUNT}:policy/custom")), max_size=2)


@cache
def _cfn_resources() -> dict[str, st.SearchStrategy]:
    return {
        "Fn": _resource("AWS::Lambda::Function", _props({"Role": _role_ref()}, {
            "FunctionName": _string(("orders", "orders-2")), "Handler": st.just("x"), "Runtime": st.just("python3.12"),
            "Code": st.just({"ZipFile": "x"})})),
        "Fn2": _resource("AWS::Lambda::Function", _props({"Role": _role_ref()}, {})),
        "Role": _resource("AWS::IAM::Role", _props({"AssumeRolePolicyDocument": policy("resource")}, {
            "RoleName": _string(("orders-role",)), "Policies": _named_policies(),
            "ManagedPolicyArns": _managed_arns(),
            "PermissionsBoundary": _managed_arns().map(lambda xs: xs[0] if xs else "*")})),
        "User": _resource("AWS::IAM::User", _props({}, {
            "UserName": _string(("alice",)), "Policies": _named_policies(), "Groups": st.just([{"Ref": "Group"}])})),
        "Group": _resource("AWS::IAM::Group", _props({}, {"Policies": _named_policies()})),
        "Managed": _resource("AWS::IAM::ManagedPolicy", _props({"PolicyDocument": policy()}, {
            "Roles": st.just([{"Ref": "Role"}]), "Users": st.just([{"Ref": "User"}])})),
        "Inline": _resource("AWS::IAM::Policy", _props({"PolicyName": st.just("inline"), "PolicyDocument": policy()}, {
            "Roles": _one_or_list(_string(("orders-role",)) | st.just({"Ref": "Role"}))})),
        "Perm": _resource("AWS::Lambda::Permission", _props(
            {"Action": _string(("lambda:InvokeFunction", "lambda:InvokeFunctionUrl", "lambda:*")),
             "FunctionName": _function_ref(),
             "Principal": _string(SERVICES + ("*", ACCOUNT, f"arn:aws:iam::{OTHER}:root"))},
            {"SourceArn": _string(("arn:aws:sns:us-east-1:123456789012:orders",)), "SourceAccount": _string((ACCOUNT,)),
             "FunctionUrlAuthType": st.sampled_from(["NONE", "AWS_IAM"]), "PrincipalOrgID": st.just("o-abc123"),
             "EventSourceToken": st.just("t")})),
        "Url": _resource("AWS::Lambda::Url", _props(
            {"AuthType": st.sampled_from(["NONE", "AWS_IAM"]), "TargetFunctionArn": _function_ref()},
            {"Qualifier": st.just("live")})),
        "Live": _resource("AWS::Lambda::Alias", _props(
            {"FunctionName": _function_ref(), "FunctionVersion": st.just("1"), "Name": st.just("live")}, {})),
        "Queue": _resource("AWS::SQS::Queue", _props({}, {"QueueName": _string(("orders",))})),
        "QueuePolicy": _resource("AWS::SQS::QueuePolicy", _props(
            {"Queues": st.just([{"Ref": "Queue"}]), "PolicyDocument": policy("resource")}, {})),
        "Topic": _resource("AWS::SNS::Topic", _props({}, {"TopicName": _string(("orders",))})),
        "TopicPolicy": _resource("AWS::SNS::TopicPolicy", _props(
            {"Topics": st.just([{"Ref": "Topic"}]), "PolicyDocument": policy("resource")}, {})),
        "Bucket": _resource("AWS::S3::Bucket", _props({}, {"BucketName": _string(("orders-bucket",))})),
        "BucketPolicy": _resource("AWS::S3::BucketPolicy", _props(
            {"Bucket": st.just({"Ref": "Bucket"}), "PolicyDocument": policy("resource")}, {})),
        "Key": _resource("AWS::KMS::Key", _props({}, {"KeyPolicy": policy("resource")})),
    }


@cache
def _sam_function() -> st.SearchStrategy:
    event = st.one_of(
        st.just({"Type": "Api", "Properties": {"Path": "/", "Method": "get"}}),
        st.just({"Type": "SNS", "Properties": {"Topic": {"Ref": "Topic"}}}),
        st.just({"Type": "SQS", "Properties": {"Queue": {"Fn::GetAtt": ["Queue", "Arn"]}}}),
        st.just({"Type": "Schedule", "Properties": {"Schedule": "rate(1 day)"}}),
        st.just({"Type": "SNS", "Properties": {"Topic": f"arn:aws:sns:us-east-1:{ACCOUNT}:orders"}}))
    return _resource("AWS::Serverless::Function", _props({
        "Handler": st.just("app.handler"), "Runtime": st.just("python3.12"), "CodeUri": st.just("src/")}, {
        "FunctionName": _string(("orders",)),
        "Policies": st.one_of(st.just("AWSLambdaBasicExecutionRole"), policy(),
                              st.lists(st.one_of(st.sampled_from(["AmazonS3ReadOnlyAccess", "AWSLambdaRole"]),
                                                 st.just({"SQSSendMessagePolicy": {"QueueName": "orders"}}),
                                                 st.just({"LambdaInvokePolicy": {"FunctionName": "orders"}}),
                                                 policy()), max_size=3)),
        "Events": st.dictionaries(st.sampled_from(["E1", "E2"]), event, max_size=2),
        "FunctionUrlConfig": st.fixed_dictionaries({"AuthType": st.sampled_from(["NONE", "AWS_IAM"])}),
        "AutoPublishAlias": st.just("live")}))


# What a resource refers to, so that a valid template has it.
NEEDS = {"QueuePolicy": ("Queue",), "TopicPolicy": ("Topic",), "BucketPolicy": ("Bucket",), "User": ("Group",),
         "Managed": ("User", "Group"), "Perm": ("Live",), "Url": ("Live",)}


@st.composite
def template(draw) -> dict:
    """A CloudFormation template, or a SAM one (Transform) whose function `Fn` is serverless."""
    resources = _cfn_resources()
    names = {"Fn", "Role", *draw(st.lists(st.sampled_from(sorted(resources)), max_size=6))}
    for name in list(names):
        names.update(NEEDS.get(name, ()))
    out: dict = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"Env": {"Type": "String", "Default": draw(st.sampled_from(["prod", "dev"]))}},
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
        "Mappings": {"Accounts": {"Prod": {"Id": OTHER}}},
        "Resources": {name: draw(resources[name]) for name in sorted(names)},
    }
    if draw(st.integers(0, 3)) == 0:
        out["Transform"] = "AWS::Serverless-2016-10-31"
        out["Resources"]["Fn"] = draw(_sam_function())
        if draw(st.booleans()):
            out["Globals"] = {"Function": {"Runtime": "python3.12", "Timeout": 3}}
    return out


@cache
def _get_policy() -> st.SearchStrategy:
    """`aws lambda get-policy` output: the policy is a JSON string."""
    doc = st.builds(lambda statements: {"Version": "2012-10-17", "Id": "default", "Statement": statements},
                    st.lists(statement("resource").map(
                        lambda s: {**s, "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders"}), max_size=3))
    return st.builds(lambda d, r: {"Policy": json.dumps(d) if r else d, "RevisionId": "r1"}, doc,
                     st.sampled_from([True, True, True, False]))


@cache
def _scp() -> st.SearchStrategy:
    return st.builds(lambda d, t: {"Policy": {"PolicySummary": {"Name": "guard", "Type": t}, "Content": json.dumps(d)}},
                     policy(), st.sampled_from(["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]))


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SEED_FILES = ("example-app/template.yaml", "snapshots/app-account/authorization-details.json",
              "snapshots/app-account/list-functions.json", "snapshots/app-account/get-policy-orders-api.json",
              "snapshots/partner-account/authorization-details.json", "terraform/plan.json")


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@cache
def seeds() -> tuple[object, ...]:
    """The repository's own fixtures — a template, account snapshots, a Terraform plan — to mutate."""
    from permcheck.load.decode import read_file
    return tuple(_plain(read_file(str(FIXTURES / name))) for name in SEED_FILES)


@cache
def document() -> st.SearchStrategy:
    return st.one_of(template(), template(), template(), policy(), policy("resource"), _get_policy(), _scp(),
                     st.sampled_from(seeds()), st.sampled_from(seeds()))


# -- slightly broken: values swapped for junk ------------------------------------------------------------

@st.composite
def broken(draw, value: object) -> object:
    """`value` with up to three random changes: a wrong type, a key dropped or added, an unknown intrinsic."""
    for _ in range(draw(st.integers(0, 3))):
        value = _mutate(draw, value)
    return value


def _mutate(draw, value: object) -> object:
    if isinstance(value, dict) and value and draw(st.integers(0, 2)):
        key = draw(st.sampled_from(sorted(value, key=str)))
        choice = draw(st.integers(0, 5))
        out = dict(value)
        if choice == 0:
            del out[key]
        elif choice == 1:
            out[draw(st.sampled_from(["Bogus", "Fn::Bogus", "Ref", "Condition", "Properties"]))] = draw(JUNK)
        else:
            out[key] = _mutate(draw, value[key])
        return out
    if isinstance(value, list) and value and draw(st.integers(0, 2)):
        index = draw(st.integers(0, len(value) - 1))
        return value[:index] + [_mutate(draw, value[index])] + value[index + 1:]
    return draw(st.one_of(JUNK, BAD_INTRINSICS, st.builds(lambda v: {"Fn::Bogus": v}, st.just(value)),
                          st.just([value]), st.just({"Nested": value})))


# -- serialising, and hostile text ------------------------------------------------------------------------

class _Tagged:
    """A YAML short-form intrinsic (`!Ref x`, `!GetAtt A.Arn`, `!Sub [...]`) for the dumper."""

    def __init__(self, tag: str, value: object) -> None:
        self.tag, self.value = tag, value


class _Dumper(yaml.SafeDumper):
    pass


def _represent_tagged(dumper: yaml.SafeDumper, data: _Tagged) -> yaml.Node:
    if isinstance(data.value, list):
        return dumper.represent_sequence(data.tag, data.value)
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    return dumper.represent_scalar(data.tag, "" if data.value is None else str(data.value))


_Dumper.add_representer(_Tagged, _represent_tagged)


def _short_forms(value: object) -> object:
    if isinstance(value, dict):
        if len(value) == 1:
            (key, inner), = value.items()
            if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")):
                return _Tagged("!" + (key if key == "Ref" else key[4:]), _short_forms(inner))
        return {k: _short_forms(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_short_forms(v) for v in value]
    return value


def serialise(value: object, fmt: str) -> bytes:
    """JSON (`json-ascii`: non-ASCII as `\\u` escapes) or YAML (`yaml-short`: `!Ref` forms).
    A lone surrogate becomes an escape in `json-ascii` and bytes that are not UTF-8 elsewhere."""
    if fmt.startswith("json"):
        return json.dumps(value, indent=1, ensure_ascii=fmt == "json-ascii").encode("utf-8", "surrogatepass")
    if fmt == "yaml-short":
        value = _short_forms(value)
    return yaml.dump(value, Dumper=_Dumper, allow_unicode=True, sort_keys=False).encode("utf-8", "surrogatepass")


HOSTILE_SNIPPETS = (
    b'"Effect": "Allow", "Effect": "Deny", ', b"Effect: Allow\nEffect: Deny\n", b"NaN", b"-Infinity", b".nan", b".inf",
    b"1e999999", b"9" * 5000, b"!!python/object/apply:os.system ['true']", b"!!binary aGVsbG8=", b"\x00", b"\xff\xfe",
    b"\xc3\x28", b"[" * 300, b"{" * 300, b"- " * 300, b"&a [*a]", b"*undefined", b"---\n", b"\t", b"%YAML 9.9\n",
    b"a: &x [1,1,1,1,1,1,1,1,1,1]\nb: &y [*x,*x,*x,*x,*x,*x,*x,*x,*x,*x]\nc: &z [*y,*y,*y,*y,*y,*y,*y,*y,*y,*y]\n"
    b"d: [*z,*z,*z,*z,*z,*z,*z,*z,*z,*z]\n",
    b"!Ref", b"!GetAtt", b"!Sub ['${', {}]", b"!Frobnicate x", b"<<: *undefined", b"<<: [1, 2]", b'"\\ud800"',
)


@st.composite
def hostile(draw, data: bytes) -> bytes:
    """`data` cut short, or with a hostile snippet spliced in at a random place."""
    choice = draw(st.integers(0, 3))
    at = draw(st.integers(0, len(data)))
    if choice == 0:
        return data[:at]
    snippet = draw(st.sampled_from(HOSTILE_SNIPPETS))
    if choice == 1:  # at the start of a line, where a key would be
        at = data.rfind(b"\n", 0, at) + 1
    return data[:at] + snippet + data[at:]


@dataclass
class Input:
    """One generated input file and how it was made (shown when a property fails)."""

    name: str
    data: bytes
    how: str

    def __repr__(self) -> str:
        return f"Input({self.name!r}, {self.how}, {self.data[:2000]!r})"


@st.composite
def inputs(draw) -> Input:
    """One input file: valid (about a half), slightly broken, or hostile."""
    value = draw(document())
    how = draw(st.sampled_from(["valid", "valid", "broken", "hostile"]))
    if how == "broken":
        value = draw(broken(value))
    fmt = draw(st.sampled_from(["json", "json-ascii", "yaml", "yaml-short"]))
    data = serialise(value, fmt)
    if how == "hostile":
        data = draw(hostile(data))
    name = draw(st.sampled_from(["template.json", "policy.json"] if fmt.startswith("json") else
                                ["template.yaml", "template.yml", "stack.template"]))
    return Input(name, data, f"{how} {fmt}")
