"""CloudFormation intrinsic functions, pseudo parameters and Ref/GetAtt return values.

Expected values restate the CloudFormation template reference: "Intrinsic function
reference", "Pseudo parameters reference", and the "Return values" section of each
resource type (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from permcheck.load.decode import decode, read_file
from permcheck.load.fn_sub import grammar_path
from permcheck.load.intrinsics import NO_VALUE, Deployment, TemplateResolver
from permcheck.load.nodes import LineDict, LineList
from permcheck.model.location import InputError
from permcheck.model.values import Sym, Unknown
from tests.conftest import CORPUS

ACCOUNT, REGION = "123456789012", "us-east-1"


def resolver(text: str, overrides: dict | None = None, **deployment: str) -> TemplateResolver:
    template = decode("t.yaml", textwrap.dedent(text).encode())
    return TemplateResolver(template, "t.yaml", Deployment(**deployment), overrides or {})


def props(text: str, resource: str = "R", **kw) -> LineDict:
    r = resolver(text, **kw)
    return r.resolve(r.template["Resources"][resource]["Properties"])


def value_of(expr: str, extra: str = "", **kw) -> object:
    """Resolve one property `V: <expr>` of a dummy resource, with `extra` template sections."""
    text = f"{textwrap.dedent(extra)}\nResources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties:\n      V: {expr}\n"
    return props(text, **kw).get("V", NO_VALUE)


def error_of(text: str, resource: str = "R", **kw) -> InputError:
    with pytest.raises(InputError) as info:
        props(text, resource, **kw)
    return info.value


# -- pseudo parameters and parameters -------------------------------------------------------

def test_pseudo_parameters_come_from_the_deployment():
    d = dict(account="111122223333", region="cn-north-1", partition="aws-cn", stack_name="s")
    assert value_of("!Sub '${AWS::AccountId} ${AWS::Region} ${AWS::Partition} ${AWS::StackName} "
                    "${AWS::URLSuffix}'", **d) == "111122223333 cn-north-1 aws-cn s amazonaws.com.cn"
    assert value_of("!Ref AWS::URLSuffix") == "amazonaws.com"
    stack_id = value_of("!Ref AWS::StackId")
    assert isinstance(stack_id, Sym)
    assert stack_id.parts[0] == f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/"
    # The stack name is chosen at deploy time: unknown unless given (--parameter AWS::StackName=...)
    assert isinstance(value_of("!Ref AWS::StackName"), Unknown)
    assert isinstance(value_of("!Ref AWS::NotificationARNs"), Unknown)


PARAMETERS = """
Parameters:
  Stage: {Type: String, Default: prod}
  Name: {Type: String}
  Count: {Type: Number, Default: 5}
  Subnets: {Type: CommaDelimitedList, Default: "a, b,c"}
  Ids: {Type: "List<AWS::EC2::Subnet::Id>"}
  Ami: {Type: "AWS::SSM::Parameter::Value<String>", Default: /aws/ami}
"""


def test_parameters_default_override_and_unknown():
    assert value_of("!Ref Stage", PARAMETERS) == "prod"
    assert value_of("!Ref Stage", PARAMETERS, overrides={"Stage": "dev"}) == "dev"
    assert value_of("!Ref Name", PARAMETERS) == Unknown("parameter Name in t.yaml")
    assert value_of("!Ref Count", PARAMETERS) == "5"  # Ref of a Number parameter is a string


def test_list_parameters_resolve_to_lists_and_ssm_parameters_are_unknown():
    assert value_of("!Ref Subnets", PARAMETERS) == ["a", "b", "c"]
    assert isinstance(value_of("!Ref Subnets", PARAMETERS), LineList)
    assert value_of("!Ref Ids", PARAMETERS, overrides={"Ids": "s-1,s-2"}) == ["s-1", "s-2"]
    ami = value_of("!Ref Ami", PARAMETERS, overrides={"Ami": "x"})
    assert isinstance(ami, Unknown) and "Ami" in ami.reason


# -- Fn::Sub ----------------------------------------------------------------------------------

def test_sub_string_form_with_parameters_pseudo_resources_and_attributes():
    extra = PARAMETERS + """
Resources:
  Q: {Type: AWS::SQS::Queue, Properties: {QueueName: orders}}
"""
    text = extra + "  R:\n    Type: X::Y\n    Properties:\n" \
        "      V: !Sub 'arn:${AWS::Partition}:${Stage}:${Q}:${Q.Arn}'\n"
    assert props(text)["V"] == (f"arn:aws:prod:https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/orders:"
                                f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders")


def test_sub_list_form_variables_escapes_and_unknown_parts():
    v = value_of("!Sub ['${!Literal} ${X}-${Name}-${Y}', {X: !Ref Stage, Y: 3}]", PARAMETERS)
    assert v == Sym(("${Literal} prod-", Unknown("parameter Name in t.yaml"), "-3"))
    assert value_of("!Sub 'no placeholders, a $ and } too'") == "no placeholders, a $ and } too"


def test_sub_syntax_errors_are_input_errors_at_the_line():
    e = error_of("Resources:\n  R:\n    Type: X::Y\n    Properties:\n      V: !Sub 'arn:${AWS::Region'\n")
    assert e.location.line == 5 and "unterminated" in e.message
    e = error_of("Resources:\n  R:\n    Type: X::Y\n    Properties:\n      V: !Sub 'a${}'\n")
    assert e.location.line == 5 and "empty" in e.message
    e = error_of("Resources:\n  R:\n    Type: X::Y\n    Properties:\n\n      V: !Sub '${Nope}'\n")
    assert e.location.line == 6 and "Nope" in e.message


def test_lark_is_imported_lazily_only_for_a_malformed_sub_string():
    """A well-formed Sub string is read with the grammar's token patterns (tests/load/test_fn_sub.py);
    the parser is built only to word an error."""
    code = ("import sys\nfrom permcheck.load.intrinsics import TemplateResolver, Deployment\n"
            "r = TemplateResolver({'Resources': {}}, 'f', Deployment(), {})\n"
            "a = 'lark' in sys.modules; r.resolve({'Fn::Sub': 'plain'}); b = 'lark' in sys.modules\n"
            "r.resolve({'Fn::Sub': '${AWS::Region}'}); c = 'lark' in sys.modules\n"
            "try:\n    r.resolve({'Fn::Sub': '${AWS::Region'})\nexcept Exception:\n    pass\n"
            "print(a, b, c, 'lark' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[2]).stdout.split()
    assert out == ["False", "False", "False", "True"]
    assert grammar_path().name == "sub.lark"


# -- Join, Select, Split, FindInMap, ImportValue, unmodelled --------------------------------

def test_join_select_split():
    assert value_of("!Join ['-', [a, !Ref Stage, 1]]", PARAMETERS) == "a-prod-1"
    assert value_of("!Join [',', !Ref Subnets]", PARAMETERS) == "a,b,c"
    assert value_of("!Join ['/', [a, !Ref Name]]", PARAMETERS) == Sym(("a/", Unknown("parameter Name in t.yaml")))
    assert value_of("!Join ['', !Ref Ids]", PARAMETERS) == Unknown("parameter Ids in t.yaml")
    assert value_of("!Select [1, !Ref Subnets]", PARAMETERS) == "b"
    assert value_of("!Select ['2', !Split [':', 'a:b:c']]") == "c"
    assert value_of("!Split [',', 'x,y']") == ["x", "y"]
    assert isinstance(value_of("!Select [0, !Split [',', !Ref Name]]", PARAMETERS), Unknown)


MAPPINGS = """
Mappings:
  Accounts:
    123456789012: {Env: prod, Zones: [a, b]}
"""


def test_find_in_map_and_import_value():
    assert value_of("!FindInMap [Accounts, !Ref AWS::AccountId, Env]", MAPPINGS) == "prod"
    assert value_of("!FindInMap [Accounts, '123456789012', Zones]", MAPPINGS) == ["a", "b"]
    assert isinstance(value_of("!FindInMap [Accounts, !Ref Name, Env]", MAPPINGS + PARAMETERS), Unknown)
    e = error_of(MAPPINGS + "Resources:\n  R:\n    Type: X::Y\n    Properties:\n"
                 "      V: !FindInMap [Accounts, '1', Env]\n")
    assert e.location.line == 9 and "'1'" in e.message
    assert value_of("!ImportValue shared-vpc") == Unknown("Fn::ImportValue shared-vpc")
    assert value_of("{'Fn::ImportValue': !Sub '${AWS::StackName}-x'}", stack_name="app") == \
        Unknown("Fn::ImportValue app-x")


@pytest.mark.parametrize("expr", ["!GetAZs ''", "!Base64 abc", "{'Fn::Length': [1]}", "{'Fn::ToJsonString': {}}",
                                  "!Cidr [a, 1, 2]", "!FindInMap [M, a, b, {DefaultValue: x}]"])
def test_known_but_unmodelled_intrinsics_are_unknown_with_a_reason(expr):
    value = value_of(expr)
    assert isinstance(value, Unknown) and "Fn::" in value.reason


def test_a_made_up_fn_is_an_input_error_at_its_line():
    e = error_of("Resources:\n  R:\n    Type: X::Y\n    Properties:\n      A: 1\n      V: {'Fn::Foo': x}\n")
    assert e.location.line == 6 and "Fn::Foo is not a CloudFormation intrinsic function" in e.message


# -- conditions and Fn::If --------------------------------------------------------------------

CONDITIONS = PARAMETERS + """
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsNamed: !Equals [!Ref Name, x]
  NotProd: !Not [!Condition IsProd]
  ProdAndNamed: !And [!Condition IsProd, !Condition IsNamed]
  ProdOrNamed: !Or [!Condition IsProd, !Condition IsNamed]
  DevOrNamed: !Or [!Condition NotProd, !Condition IsNamed]
  DevAndNamed: !And [!Condition NotProd, !Condition IsNamed]
"""


def test_conditions_use_three_valued_logic():
    r = resolver(CONDITIONS + "Resources: {}")
    assert r.condition("IsProd") is True and r.condition("NotProd") is False
    assert r.condition("ProdOrNamed") is True and r.condition("DevAndNamed") is False
    for name in ("IsNamed", "ProdAndNamed", "DevOrNamed"):
        value = r.condition(name)
        assert isinstance(value, Unknown) and "parameter Name" in value.reason
    assert resolver(CONDITIONS + "Resources: {}", {"Stage": "dev"}).condition("IsProd") is False


def test_if_picks_a_branch_or_is_unknown():
    assert value_of("!If [IsProd, a, b]", CONDITIONS) == "a"
    assert value_of("!If [NotProd, a, b]", CONDITIONS) == "b"
    assert value_of("!If [IsNamed, a, b]", CONDITIONS) == Unknown("Fn::If on condition IsNamed")
    e = error_of(CONDITIONS + "Resources:\n  R:\n    Type: X::Y\n    Properties:\n      V: !If [Nope, a, b]\n")
    assert "Nope" in e.message and e.location.line is not None


def test_no_value_removes_the_property_and_list_items():
    text = CONDITIONS + """
Resources:
  R:
    Type: X::Y
    Properties:
      Keep: 1
      Gone: !If [IsProd, !Ref AWS::NoValue, 2]
      List: [a, !Ref AWS::NoValue, !If [NotProd, x, !Ref AWS::NoValue], b]
"""
    p = props(text)
    assert p == {"Keep": 1, "List": ["a", "b"]}
    assert isinstance(p, LineDict) and isinstance(p["List"], LineList)
    lines = text.splitlines()
    keep, items = (1 + next(i for i, t in enumerate(lines) if t.strip().startswith(k)) for k in ("Keep", "List"))
    assert p.line_of("Keep") == keep and p["List"].item_lines == [items, items]
    assert resolver(text).resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


# -- Ref / GetAtt per resource type -----------------------------------------------------------

TYPES = """
Resources:
  Fn: {Type: AWS::Lambda::Function, Properties: {FunctionName: orders}}
  GenFn: {Type: AWS::Lambda::Function, Properties: {}}
  Live: {Type: AWS::Lambda::Alias, Properties: {FunctionName: !Ref GenFn, Name: live}}
  Ver: {Type: AWS::Lambda::Version, Properties: {FunctionName: !Ref Fn}}
  Layer: {Type: AWS::Lambda::LayerVersion, Properties: {LayerName: deps}}
  Url: {Type: AWS::Lambda::Url, Properties: {TargetFunctionArn: !GetAtt Fn.Arn, AuthType: NONE}}
  Role: {Type: AWS::IAM::Role, Properties: {RoleName: app, Path: /svc/}}
  GenRole: {Type: AWS::IAM::Role, Properties: {}}
  User: {Type: AWS::IAM::User, Properties: {UserName: bob}}
  Group: {Type: AWS::IAM::Group, Properties: {GroupName: devs}}
  Managed: {Type: AWS::IAM::ManagedPolicy, Properties: {ManagedPolicyName: read, Path: /p/}}
  Inline: {Type: AWS::IAM::Policy, Properties: {PolicyName: x}}
  Queue: {Type: AWS::SQS::Queue, Properties: {QueueName: jobs.fifo, FifoQueue: true}}
  GenFifo: {Type: AWS::SQS::Queue, Properties: {FifoQueue: true}}
  Topic: {Type: AWS::SNS::Topic, Properties: {TopicName: alerts}}
  Bucket: {Type: AWS::S3::Bucket, Properties: {BucketName: data}}
  GenBucket: {Type: AWS::S3::Bucket}
  Table: {Type: AWS::DynamoDB::Table, Properties: {TableName: orders}}
  Key: {Type: AWS::KMS::Key, Properties: {}}
  KeyAlias: {Type: AWS::KMS::Alias, Properties: {AliasName: alias/app, TargetKeyId: !Ref Key}}
  Secret: {Type: AWS::SecretsManager::Secret, Properties: {Name: db}}
  Rule: {Type: AWS::Events::Rule, Properties: {Name: nightly}}
  BusRule: {Type: AWS::Events::Rule, Properties: {Name: r, EventBusName: orders}}
  Api: {Type: AWS::ApiGateway::RestApi, Properties: {}}
  HttpApi: {Type: AWS::ApiGatewayV2::Api, Properties: {}}
  Machine: {Type: AWS::StepFunctions::StateMachine, Properties: {StateMachineName: flow}}
  Stream: {Type: AWS::Kinesis::Stream, Properties: {Name: clicks}}
  Logs: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: /app}}
  Nested: {Type: AWS::CloudFormation::Stack, Properties: {TemplateURL: x}}
  Vm: {Type: AWS::EC2::Instance, Properties: {}}
"""
P = f"{REGION}:{ACCOUNT}"


@pytest.fixture(scope="module")
def types() -> TemplateResolver:
    return resolver(TYPES)


@pytest.mark.parametrize("logical_id, attribute, expected", [
    ("Fn", None, "orders"),
    ("Fn", "Arn", f"arn:aws:lambda:{P}:function:orders"),
    ("GenFn", None, Unknown("generated name of GenFn")),
    ("GenFn", "Arn", Sym((f"arn:aws:lambda:{P}:function:", Unknown("generated name of GenFn")))),
    ("Live", None, Sym((f"arn:aws:lambda:{P}:function:", Unknown("generated name of GenFn"), ":live"))),
    ("Ver", None, Sym((f"arn:aws:lambda:{P}:function:orders:", Unknown("version number of Ver")))),
    ("Layer", None, Sym((f"arn:aws:lambda:{P}:layer:deps:", Unknown("layer version number of Layer")))),
    ("Url", "FunctionArn", f"arn:aws:lambda:{P}:function:orders"),
    ("Url", "FunctionUrl", Sym(("https://", Unknown("function URL id of Url"), f".lambda-url.{REGION}.on.aws/"))),
    ("Role", None, "app"),
    ("Role", "Arn", f"arn:aws:iam::{ACCOUNT}:role/svc/app"),
    ("Role", "RoleId", Unknown("role id of Role")),
    ("GenRole", "Arn", Sym((f"arn:aws:iam::{ACCOUNT}:role/", Unknown("generated name of GenRole")))),
    ("User", None, "bob"),
    ("User", "Arn", f"arn:aws:iam::{ACCOUNT}:user/bob"),
    ("Group", "Arn", f"arn:aws:iam::{ACCOUNT}:group/devs"),
    ("Managed", None, f"arn:aws:iam::{ACCOUNT}:policy/p/read"),
    ("Inline", None, Unknown("generated policy id of Inline")),
    ("Queue", None, f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/jobs.fifo"),
    ("Queue", "Arn", f"arn:aws:sqs:{P}:jobs.fifo"),
    ("Queue", "QueueName", "jobs.fifo"),
    ("GenFifo", "QueueName", Sym((Unknown("generated name of GenFifo"), ".fifo"))),
    ("Topic", None, f"arn:aws:sns:{P}:alerts"),
    ("Topic", "TopicName", "alerts"),
    ("Bucket", None, "data"),
    ("Bucket", "Arn", "arn:aws:s3:::data"),
    ("Bucket", "DomainName", "data.s3.amazonaws.com"),
    ("GenBucket", "Arn", Sym(("arn:aws:s3:::", Unknown("generated name of GenBucket")))),
    ("Table", None, "orders"),
    ("Table", "Arn", f"arn:aws:dynamodb:{P}:table/orders"),
    ("Table", "StreamArn", Sym((f"arn:aws:dynamodb:{P}:table/orders/stream/", Unknown("stream label of Table")))),
    ("Key", None, Unknown("generated key id of Key")),
    ("Key", "Arn", Sym((f"arn:aws:kms:{P}:key/", Unknown("generated key id of Key")))),
    ("KeyAlias", None, "alias/app"),
    ("Secret", None, Sym((f"arn:aws:secretsmanager:{P}:secret:db-", Unknown("random secret ARN suffix of Secret")))),
    ("Rule", None, "nightly"),
    ("Rule", "Arn", f"arn:aws:events:{P}:rule/nightly"),
    ("BusRule", "Arn", f"arn:aws:events:{P}:rule/orders/r"),
    ("Api", None, Unknown("generated REST API id of Api")),
    ("Api", "RootResourceId", Unknown("root resource id of Api")),
    ("HttpApi", None, Unknown("generated API id of HttpApi")),
    ("Machine", None, f"arn:aws:states:{P}:stateMachine:flow"),
    ("Machine", "Name", "flow"),
    ("Stream", "Arn", f"arn:aws:kinesis:{P}:stream/clicks"),
    ("Logs", None, "/app"),
    ("Logs", "Arn", f"arn:aws:logs:{P}:log-group:/app:*"),
    ("Nested", "Outputs.Url", Unknown("output Url of nested stack Nested")),
    ("Vm", None, Unknown("Ref to AWS::EC2::Instance Vm")),
])
def test_ref_and_get_att_return_values(types, logical_id, attribute, expected):
    got = types.ref(logical_id) if attribute is None else types.get_att(logical_id, attribute)
    assert got == expected


def test_physical_arns(types):
    assert types.physical_arn("Fn") == f"arn:aws:lambda:{P}:function:orders"
    assert types.physical_arn("Topic") == f"arn:aws:sns:{P}:alerts"
    assert types.physical_arn("KeyAlias") == f"arn:aws:kms:{P}:alias/app"
    assert types.physical_arn("Role") == f"arn:aws:iam::{ACCOUNT}:role/svc/app"
    assert types.physical_arn("Vm") == Unknown("ARN of AWS::EC2::Instance Vm")
    assert types.physical_arn("BusRule") == types.get_att("BusRule", "Arn")


def test_names_built_from_intrinsics_and_the_string_form_of_get_att():
    text = PARAMETERS + """
Resources:
  Fn: {Type: AWS::Lambda::Function, Properties: {FunctionName: !Sub '${AWS::StackName}-${Stage}'}}
  R:
    Type: X::Y
    Properties: {V: {"Fn::GetAtt": "Fn.Arn"}, W: !GetAtt [Fn, Arn]}
"""
    p = props(text, stack_name="permcheck-stack")
    assert p["V"] == p["W"] == f"arn:aws:lambda:{P}:function:permcheck-stack-prod"


# -- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("expr, message", [
    ("!Ref Missing", "Missing"),
    ("!GetAtt Missing.Arn", "Missing"),
    ("!Join ['-', notalist]", "Fn::Join"),
    ("{'Fn::Join': '-'}", "Fn::Join"),
    ("!Select [3, [a, b]]", "out of range"),
    ("!Select [x, [a, b]]", "Fn::Select"),
    ("!FindInMap [Nope, a, b]", "Nope"),
    ("!Sub [1, {}]", "Fn::Sub"),
    ("!If [a, b]", "Fn::If"),
])
def test_malformed_intrinsics_are_input_errors_at_their_line(expr, message):
    e = error_of(f"Resources:\n  R:\n    Type: X::Y\n    Properties:\n      V: {expr}\n")
    assert message in e.message and e.location.line == 5 and e.location.file == "t.yaml"


def test_circular_references_are_input_errors():
    e = error_of("""
Resources:
  A: {Type: AWS::SQS::Queue, Properties: {QueueName: !Sub '${B.QueueName}-a'}}
  B: {Type: AWS::SQS::Queue, Properties: {QueueName: !Sub '${A.QueueName}-b'}}
  R: {Type: X::Y, Properties: {V: !Ref A}}
""")
    assert "circular reference" in e.message and "A.QueueName" in e.message
    r = resolver("Conditions:\n  A: !Not [!Condition B]\n  B: !Not [!Condition A]\nResources: {}")
    with pytest.raises(InputError, match="circular reference"):
        r.condition("A")


# -- corpus: every template resolves to values/Unknowns, or fails as an InputError ---------

SCALARS = (str, int, float, bool, type(None), Unknown, Sym)


def _corpus_files() -> list[Path]:
    files = [p for d in ("cfn-nag", "cfripper", "checkov") for p in sorted((CORPUS / d).rglob("*"))
             if p.suffix in (".json", ".yaml", ".yml", ".template")]
    return files + sorted((CORPUS / "sam-translator/tests/translator/output").rglob("*.json"))


def _check_values(value: object) -> None:
    if isinstance(value, dict):
        assert isinstance(value, LineDict)
        for v in value.values():
            _check_values(v)
    elif isinstance(value, list):
        assert isinstance(value, LineList)
        for v in value:
            _check_values(v)
    else:
        assert isinstance(value, SCALARS), repr(value)


def test_corpus_templates_resolve_or_fail_as_input_errors():
    resolved = failed = 0
    for path in _corpus_files():
        try:
            template = read_file(str(path))
        except InputError:
            continue
        if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
            continue
        r = TemplateResolver(template, str(path), Deployment(), {})
        try:
            for logical_id, resource in template["Resources"].items():
                if isinstance(resource, dict):
                    if isinstance(resource.get("Condition"), str):
                        r.condition(resource["Condition"])
                    props = r.resolve(resource.get("Properties", LineDict()))
                    _check_values(props)
                    for value in (r.ref(logical_id), r.physical_arn(logical_id)):
                        _check_values(value)
            resolved += 1
        except InputError as e:  # only templates CloudFormation itself would reject
            assert e.location and e.location.file == str(path)
            failed += 1
    assert resolved > 700 and failed < 60, (resolved, failed)


# -- robustness: any tree of intrinsics resolves, or fails as an InputError ----------------

_FUZZ_TEMPLATE = {
    "Parameters": {"P": {"Type": "String", "Default": "x"}, "L": {"Type": "CommaDelimitedList"}},
    "Conditions": {"C": {"Fn::Equals": [{"Ref": "P"}, "x"]}, "D": {"Fn::Equals": [{"Ref": "L"}, "x"]}},
    "Mappings": {"M": {"a": {"b": "v"}}},
    "Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "P"}}},
                  "F": {"Type": "AWS::Lambda::Function"}},
}
_FUNCTIONS = ["Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::If", "Fn::Select", "Fn::Split", "Fn::FindInMap",
              "Fn::ImportValue", "Fn::Equals", "Fn::Not", "Fn::GetAZs", "Fn::Foo", "Condition"]


def _trees():
    from hypothesis import strategies as st

    leaves = st.sampled_from(["P", "L", "Q", "F", "C", "M", "a", "b", "Q.Arn", "AWS::Region", "AWS::NoValue",
                              "${", "x${P}-${Q.Arn}", "${!Lit}", "", 0, 2, True, None])
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(_FUNCTIONS), inner, min_size=1, max_size=1),
        st.dictionaries(st.sampled_from(["k", "j"]), inner, max_size=2)), max_leaves=12)


def test_random_intrinsic_trees_resolve_or_raise_input_errors():
    from hypothesis import given, settings

    @settings(max_examples=200, deadline=None)
    @given(_trees())
    def check(tree):
        r = TemplateResolver(_FUZZ_TEMPLATE, "f.json", Deployment(), {})
        try:
            value = r.resolve(tree)
        except InputError:
            return
        if value is not NO_VALUE:
            _check_values(value)

    check()
