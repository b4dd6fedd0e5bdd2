"""Policy documents: normalised once, and malformed ones kept with their error and line.

Grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
Principal: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
"""

import pytest

from permcheck.load.decode import decode
from permcheck.load.policy_doc import parse_policy
from permcheck.model.location import Location
from permcheck.model.policy import ANYONE, PolicyKind, PrincipalType

IDENTITY, RESOURCE = PolicyKind.IDENTITY, PolicyKind.RESOURCE


def parse(text: str, kind=IDENTITY):
    return parse_policy(decode("p.yaml", text.encode()), name="p", kind=kind, location=Location("p.yaml", 1))


def test_single_string_and_list_mean_the_same():
    one = parse("Version: '2012-10-17'\nStatement: {Effect: Allow, Action: s3:GetObject, Resource: '*'}")
    many = parse("Version: '2012-10-17'\nStatement: [{Effect: Allow, Action: [s3:GetObject], Resource: ['*']}]")
    assert one.statements[0].actions == many.statements[0].actions == ("s3:GetObject",)
    assert one.statements[0].resources == many.statements[0].resources


def test_anyone_forms_and_account_forms_normalise():
    forms = ['"*"', '{AWS: "*"}']
    for form in forms:
        p = parse(f"Version: '2012-10-17'\nStatement: [{{Effect: Allow, Principal: {form}, Action: s3:*}}]", RESOURCE)
        assert p.statements[0].principals == (ANYONE,)
    for form in ("'111122223333'", "111122223333", "arn:aws:iam::111122223333:root"):
        p = parse(f"Version: '2012-10-17'\nStatement: [{{Effect: Allow, Principal: {{AWS: {form}}}, Action: s3:*}}]",
                  RESOURCE)
        assert p.statements[0].principals[0].type is PrincipalType.AWS
        assert p.statements[0].principals[0].value == "arn:aws:iam::111122223333:root"


def test_statements_remember_file_line_policy_and_sid():
    p = parse("Version: '2012-10-17'\nStatement:\n  - Sid: First\n    Effect: Allow\n    Action: s3:*\n    Resource: '*'\n"
              "  - Effect: Deny\n    Action: s3:*\n    Resource: '*'\n")
    assert [(s.location.line, s.sid, s.policy) for s in p.statements] == [(3, "First", "p"), (7, None, "p")]


@pytest.mark.parametrize("statement,line,message", [
    ("{Effect: Maybe, Action: s3:*, Resource: '*'}", 2, "Effect must be Allow or Deny"),
    ("{Effect: Allow, Resource: '*'}", 2, "neither Action nor NotAction"),
    ("{Effect: Allow, Action: s3:*, NotAction: s3:Get*, Resource: '*'}", 2, "both Action and NotAction"),
    ("{Effect: Allow, Action: s3:*}", 2, "neither Resource nor NotResource"),
    ("{Effect: Allow, Action: s3:*, Resource: '*', Principal: '*'}", 2, "cannot have a Principal"),
    ("{Effect: Allow, Action: s3 GetObject, Resource: '*'}", 2, "service:action"),
    ("{Effect: Allow, Action: s3:*, Resource: '*', Effects: Allow}", 2, "unknown statement element"),
    ("{Effect: Allow, Action: s3:*, Resource: '*', Condition: {StringEqualz: {a: b}}}", 2, "unknown condition operator"),
])
def test_malformed_statements_are_errors_with_lines(statement, line, message):
    p = parse(f"Version: '2012-10-17'\nStatement: [{statement}]")
    assert p.error is not None and message in p.error
    assert p.error_location.line == line


def test_bad_version_is_an_error():
    p = parse("Version: '2012-10-18'\nStatement: [{Effect: Allow, Action: s3:*, Resource: '*'}]")
    assert "Version" in p.error


def test_wildcard_inside_a_principal_arn_is_an_error():
    p = parse("Version: '2012-10-17'\nStatement: [{Effect: Allow, Principal: {AWS: 'arn:aws:iam::1:role/*'}, "
              "Action: s3:*}]", RESOURCE)
    assert "wildcards are not allowed" in p.error


def test_resource_policy_statement_needs_a_principal():
    p = parse("Version: '2012-10-17'\nStatement: [{Effect: Allow, Action: s3:*, Resource: '*'}]", RESOURCE)
    assert "needs a Principal" in p.error


def test_policy_given_as_a_json_string_is_parsed():
    text = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}'
    p = parse_policy(text, name="p", kind=IDENTITY, location=Location("t.yaml", 7))
    assert p.error is None and p.statements[0].actions == ("sqs:*",)
    assert p.statements[0].location.line == 7  # the line of the string in the template


def test_policy_string_must_be_json_not_yaml():
    p = parse_policy("Version: '2012-10-17'\nStatement: []", name="p", kind=IDENTITY, location=Location("t.yaml", 3))
    assert p.error and "not valid JSON" in p.error


def test_condition_values_of_json_types_become_strings():
    p = parse("Version: '2012-10-17'\nStatement: [{Effect: Deny, Action: s3:*, Resource: '*', "
              "Condition: {Bool: {aws:SecureTransport: false}, NumericLessThan: {s3:max-keys: 10}}}]")
    assert [c.values for c in p.statements[0].conditions] == [("false",), ("10",)]


# -- built without validation (model/policy.py `built`) -------------------------------------------


def _deep_types(value: object) -> object:
    if isinstance(value, tuple):
        return (tuple, tuple(_deep_types(v) for v in value))
    return type(value)


def _validated_again(obj) -> None:
    """`obj` is what pydantic's validation makes of its own fields: the same values, of the same
    exact types, in the same order, equal and hashing alike."""
    again = type(obj)(**obj.__dict__)
    assert list(again.__dict__) == list(obj.__dict__)
    assert again.__dict__ == obj.__dict__ and again == obj and hash(again) == hash(obj)
    assert {k: _deep_types(v) for k, v in again.__dict__.items()} == {k: _deep_types(v) for k, v in obj.__dict__.items()}


@pytest.mark.parametrize("text, kind", [
    ("Version: '2012-10-17'\nStatement: {Effect: Allow, Action: s3:GetObject, Resource: '*'}", IDENTITY),
    ('{"Version": "2012-10-17", "Statement": [{"Sid": 7, "Effect": "Deny", "NotAction": ["s3:*", "sqs:*"],'
     ' "NotResource": "arn:aws:s3:::b/*", "Condition": {"Bool": {"aws:SecureTransport": false},'
     ' "NumericLessThan": {"s3:max-keys": 10}, "StringLike": {"aws:PrincipalTag/team": ["a", "b"]}}}]}', IDENTITY),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": [111122223333,'
     ' "arn:aws:iam::111122223333:role/r", "*"], "Service": "sns.amazonaws.com"}, "Action": "lambda:*",'
     ' "Resource": "*", "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"}}}]}',
     RESOURCE),
    ('{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}', PolicyKind.TRUST),
])
def test_what_parse_policy_builds_without_validation_is_what_validation_makes(text, kind):
    """Statements, clauses, principals and policies are built without pydantic's validation where
    every value is already exactly of its field's type (a loader's hot path); validation of the same
    values makes the same object. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html"""
    policy = parse(text, kind)
    assert policy.error is None and policy.statements
    objects = [policy, *policy.statements]
    objects += [p for s in policy.statements for p in s.principals or ()]
    objects += [c for s in policy.statements for c in s.conditions]
    for obj in objects:
        _validated_again(obj)


def test_a_str_subclass_is_validated_into_a_str():
    """A value that is not exactly a str (a subclass) goes through validation, which makes it one."""
    class Text(str):
        pass

    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [Text("s3:GetObject")],
                                                   "Resource": Text("*")}]}
    policy = parse_policy(doc, name=Text("p"), kind=IDENTITY, location=Location("p.json", 1))
    statement = policy.statements[0]
    assert type(statement.actions[0]) is str and type(statement.resources[0]) is str
    assert type(statement.policy) is str and type(policy.name) is str


def test_an_action_is_checked_each_time_whatever_was_met_before():
    """The grammar's action is `service:action` (reference_policies_grammar.html, above): one that
    is not is an error at its line however many well-formed actions, alike or not, came before it
    (load/policy_doc.py remembers the actions that matched, never one that did not)."""
    for _ in range(2):
        good = parse("Version: '2012-10-17'\nStatement: {Effect: Allow, Action: [s3:GetObject, sqs:*], Resource: '*'}")
        assert good.error is None and good.statements[0].actions == ("s3:GetObject", "sqs:*")
        bad = parse("Version: '2012-10-17'\nStatement:\n  - Effect: Allow\n    Action: [s3:GetObject, s3 GetObject]\n"
                    "    Resource: '*'\n")
        assert bad.statements == () and bad.error == "action 's3 GetObject' is not of the form service:action"
        assert bad.error_location.line == 4
        empty_service = parse("Version: '2012-10-17'\nStatement: {Effect: Allow, Action: ':GetObject', Resource: '*'}")
        assert empty_service.error == "action ':GetObject' is not of the form service:action"
