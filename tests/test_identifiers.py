"""Identifiers (CONTRACT.md, "Identifiers"): logical IDs, `FILE#LogicalId`, and names found nowhere.

- A logical ID that more than one input file defines is ambiguous: exit 2, one line listing each
  candidate as `FILE#LogicalId`, the form that names one — in every command that takes a
  FUNCTION, PRINCIPAL or RESOURCE.
- A name found nowhere: exit 2 with the closest names the inputs hold.
- `can`'s RESOURCE may be a logical ID (or Terraform address) of a resource in the inputs: it
  stands for that resource's ARN.
(Logical IDs are unique within one template only:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resources-section-structure.html)
"""

from __future__ import annotations

import pytest

from tests.cli_helpers import run

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  ProcessorFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: processor-{name}
      Handler: index.handler
      Runtime: python3.12
      InlineCode: "def handler(e, c): pass"
      Policies:
        - LambdaInvokePolicy: {{FunctionName: processor-{other}}}
  Queue:
    Type: AWS::SQS::Queue
    Properties: {{QueueName: queue-{name}}}
"""
A_FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:processor-a"
B_FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:processor-b"


@pytest.fixture
def monorepo(tmp_path, monkeypatch):
    """Two applications in one directory, each with its own `ProcessorFunction`."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "a.yaml").write_text(TEMPLATE.format(name="a", other="b"))
    (tmp_path / "templates" / "b.yaml").write_text(TEMPLATE.format(name="b", other="a"))
    return tmp_path


AMBIGUOUS = [
    ("who-can-invoke", "ProcessorFunction"),
    ("what-can-access", "ProcessorFunction"),
    ("what-can-access", "ProcessorFunctionRole"),
    ("can", "ProcessorFunction", "lambda:InvokeFunction", "*"),
    ("can", "*", "lambda:InvokeFunction", "ProcessorFunction"),
    ("can", "*", "sqs:SendMessage", "Queue"),
]


@pytest.mark.parametrize("command", AMBIGUOUS, ids=lambda c: "-".join(c[:2]))
def test_a_logical_id_two_files_define_is_an_error_listing_both(monorepo, command):
    result = run(*command, "templates", "--format", "json", cwd=monorepo)
    assert result.code == 2 and result.out == ""
    name = next(part for part in command[1:] if part[0].isupper())
    assert result.err == (f"permcheck: error: {name} is defined by more than one input: templates/a.yaml#{name}, "
                          f"templates/b.yaml#{name} (name one as FILE#LogicalId)\n")


def test_file_hash_logical_id_names_one_in_every_command(monorepo):
    answer = run("who-can-invoke", "templates/a.yaml#ProcessorFunction", "templates", "--format", "json", cwd=monorepo)
    assert answer.code == 0 and answer.json()["function"] == A_FUNCTION
    # b's role may invoke a's function (its LambdaInvokePolicy), and is named by its own file
    principals = [p["principal"] for p in answer.json()["principals"] if not p.get("via")]
    assert len(principals) == 1 and "ProcessorFunctionRole in templates/b.yaml" in principals[0]
    same = run("who-can-invoke", "./templates/a.yaml#ProcessorFunction", "templates", "--format", "json", cwd=monorepo)
    assert same.json() == answer.json()  # the file is compared as a path

    access = run("what-can-access", "templates/b.yaml#ProcessorFunction", "templates", "--format", "json",
                 cwd=monorepo).json()
    assert access["principal"] == principals[0]
    assert f"{A_FUNCTION}*" in {a["resource"] for a in access["access"]}  # SAM's LambdaInvokePolicy: name*

    can = run("can", "templates/b.yaml#ProcessorFunctionRole", "lambda:InvokeFunction",
              "templates/a.yaml#ProcessorFunction", "templates", "--format", "json", cwd=monorepo).json()
    assert (can["principal"], can["resource"], can["decision"]) == (principals[0], A_FUNCTION, "allowed")
    back = run("can", "templates/a.yaml#ProcessorFunction", "lambda:InvokeFunction",
               "templates/a.yaml#ProcessorFunction", "templates", "--format", "json", cwd=monorepo).json()
    assert back["decision"] == "denied"  # a's role may invoke b's function, not its own


@pytest.mark.parametrize("command, kind, closest", [
    (("who-can-invoke", "ProcesorFunction"), "function", "ProcessorFunction"),
    (("what-can-access", "ProcessorFuncionRole"), "principal", "ProcessorFunctionRole"),
    (("can", "*", "sqs:SendMessage", "Queu"), "resource", "Queue"),
    (("who-can-invoke", "templates/c.yaml#ProcessorFunction"), "function", "templates/a.yaml#ProcessorFunction"),
])
def test_a_name_found_nowhere_is_an_error_with_the_closest_names(monorepo, command, kind, closest):
    result = run(*command, "templates/a.yaml", cwd=monorepo)
    assert result.code == 2 and result.out == "" and result.err.count("\n") == 1
    assert result.err.startswith(f"permcheck: error: unknown {kind} ")
    suggested = result.err.split("closest names in the inputs: ", 1)[1].strip().split(", ")
    assert suggested[0] == closest


def test_can_takes_a_logical_id_as_resource_for_its_arn(monorepo):
    """The same answer as with the ARN written out."""
    for resource in ("ProcessorFunction", A_FUNCTION, "processor-a"):
        answer = run("can", "ProcessorFunction", "lambda:InvokeFunction", resource, "templates/a.yaml",
                     "--format", "json", cwd=monorepo).json()
        assert (answer["resource"], answer["decision"]) == (A_FUNCTION, "denied")
    queue = run("can", "*", "sqs:SendMessage", "Queue", "templates/a.yaml", "--format", "json", cwd=monorepo).json()
    assert queue["resource"] == "arn:aws:sqs:us-east-1:123456789012:queue-a"


def test_can_takes_a_terraform_address_as_resource():
    plan = "fixtures/terraform/plan.json"
    by_address = run("can", "aws_iam_role.api", "lambda:InvokeFunction", "aws_lambda_function.webhook", plan,
                     "--format", "json").json()
    by_arn = run("can", "aws_iam_role.api", "lambda:InvokeFunction",
                 "arn:aws:lambda:us-east-1:123456789012:function:orders-webhook", plan, "--format", "json").json()
    assert by_address == by_arn and by_arn["resource"].endswith(":function:orders-webhook")
