"""The functions a Step Functions definition calls (load/sfn_definition.py).

Pins https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html (a Task's
Resource is the function's ARN, or `arn:aws:states:::lambda:invoke` with
`Parameters.FunctionName`), https://docs.aws.amazon.com/step-functions/latest/dg/state-parallel.html
(Branches) and https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html
(ItemProcessor, and Iterator before it).
"""

from __future__ import annotations

from permcheck.load.sfn_definition import lambda_targets
from permcheck.model.values import Sym, Unknown

FN = "arn:aws:lambda:us-east-1:123456789012:function:"


def test_task_resource_and_lambda_invoke_are_both_calls():
    definition = {"StartAt": "Validate", "States": {
        "Validate": {"Type": "Task", "Resource": FN + "validate", "Next": "Charge"},
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "Parameters": {"FunctionName": FN + "charge:live", "Payload.$": "$"}, "Next": "Wait"},
        "Wait": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                 "Parameters": {"FunctionName": "approve", "Payload": {"token.$": "$$.Task.Token"}}, "Next": "Queue"},
        "Queue": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                  "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q"}, "End": True}}}
    assert lambda_targets(definition) == [FN + "validate", FN + "charge:live", "approve"]


def test_parallel_branches_and_map_processors_are_walked():
    inner = {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": FN + "a", "End": True}}}
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [inner, {"StartAt": "M", "States": {
            "M": {"Type": "Map", "ItemProcessor": {"StartAt": "B", "States": {
                "B": {"Type": "Task", "Resource": FN + "b", "End": True}}}, "End": True}}}], "Next": "Old"},
        "Old": {"Type": "Map", "Iterator": {"StartAt": "C", "States": {
            "C": {"Type": "Task", "Resource": "arn:aws-cn:states:::lambda:invoke",
                  "Parameters": {"FunctionName": "c"}, "End": True}}}, "End": True}}}
    assert lambda_targets(definition) == [FN + "a", FN + "b", "c"]


def test_function_chosen_at_run_time_is_unknown():
    definition = {"StartAt": "Dyn", "QueryLanguage": "JSONPath", "States": {
        "Dyn": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName.$": "$.handler"}, "Next": "Jsonata"},
        "Jsonata": {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
                    "Arguments": {"FunctionName": "{% $states.input.fn %}"}, "Next": "Static"},
        "Static": {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
                   "Arguments": {"FunctionName": FN + "static"}, "End": True}}}
    first, second, third = lambda_targets(definition)
    assert isinstance(first, Unknown) and "$.handler" in first.reason
    assert isinstance(second, Unknown) and "$states.input.fn" in second.reason
    assert third == FN + "static"


def test_unresolved_resources_are_left_to_the_caller():
    unknown = Unknown("LambdaArn (known after apply)")
    partial = Sym((FN, Unknown("name")))
    definition = {"States": {"A": {"Type": "Task", "Resource": unknown, "Next": "B"},
                             "B": {"Type": "Task", "Resource": partial, "Next": "C"},
                             "C": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "End": True},
                             "D": {"Type": "Pass", "Resource": FN + "not-a-task"}}}
    assert lambda_targets(definition) == [unknown, partial]


def test_malformed_definitions_name_nothing():
    assert lambda_targets({}) == []
    assert lambda_targets({"States": []}) == []
    assert lambda_targets({"States": {"A": "x", "B": {"Type": "Parallel", "Branches": "x"}}}) == []
