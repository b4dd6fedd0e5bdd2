"""What a condition gets wrong that AWS documents as a mistake (IAM Access Analyzer reports
both as policy checks: https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).

- A value or operator of the wrong type ("Type mismatch"): an operator compares one type of
  value [OPS], and a key has one documented type (the condition-key catalog). A value the
  operator cannot read matches no request value: `Bool aws:SecureTransport "flase"` in a Deny
  never denies. A typed operator (Numeric, Date, Bool, IP address, ARN, Binary) on a key of
  another type compares what the key does not hold. String operators compare the text of any
  key and are not reported on typed keys (`StringLike aws:PrincipalArn` is common and works),
  nor ARN operators on String keys that hold ARNs (AWS's own example for CloudWatch Logs uses
  `ArnLike kms:EncryptionContext:aws:logs:arn`, a String key:
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
- A set operator (`ForAnyValue:`/`ForAllValues:`) on a single-valued key: "Do not use the
  condition set operators ForAllValues or ForAnyValue with single-valued context keys. Using
  condition set operators with single-valued context keys can lead to overly permissive
  policies" [MULTI]. With one value in the request both read as the plain operator; they
  differ only when the key is absent, where `ForAllValues` holds and `ForAnyValue` does not.
  That widens an Allow (`ForAllValues:StringEquals aws:PrincipalOrgID` lets in callers that
  send no org id: anonymous ones) or narrows a Deny's reach (`ForAnyValue:StringNotEquals`).

[OPS] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
[MULTI] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
"""

from __future__ import annotations

from typing import Optional

from permcheck.iam import condition_keys
from permcheck.iam.conditions import clause_holds, readable
from permcheck.model.operators import operator_type, parse_operator

_NOT_A = {"Bool": "not true or false", "Null": "not true or false", "Numeric": "not a number",
          "Date": "not a date (ISO 8601, or seconds since 1970)", "IPAddress": "not an IP address or CIDR block",
          "ARN": "not an ARN (six colon-separated fields)", "Binary": "not base64"}


def type_problems(operator: str, key: str, values: list[str]) -> list[str]:
    """What is of the wrong type in one clause `{operator: {key: values}}`, one line each."""
    out = []
    family, found = operator_type(operator), condition_keys.lookup(key)
    if found is not None and family not in ("String", "Null") and family not in found.kinds \
            and not (family == "ARN" and "String" in found.kinds):
        out.append(f"{operator} compares {family} values, but {key} is {_kind(found)}")
    negated = parse_operator(operator).negated
    for value in values:
        if not readable(operator, value):
            outcome = "holds for every request that has the key" if negated else "matches no request"
            out.append(f'{operator} {key} "{value}": {_NOT_A[family]}, so the condition {outcome}')
    return out


def set_operator_problem(operator: str, key: str, values: list[str], effect: str) -> Optional[tuple[str, bool]]:
    """(what is wrong, whether it widens access) for a set operator on a key the catalog
    documents as single-valued; None when there is nothing to say."""
    op, found = parse_operator(operator), condition_keys.lookup(key)
    if op.set_qualifier is None or found is None or found.multivalued:
        return None
    plain = operator.split(":", 1)[1]
    with_set, without = (clause_holds(name, key, tuple(values), {}) for name in (operator, plain))
    head = f"{operator} on {key}, a single-valued key"
    if effect == "Allow" and with_set and not without:
        return f"{head}: the Allow also applies to requests without {key} ({plain} would not)", True
    if effect == "Deny" and without and not with_set:
        return f"{head}: the Deny does not apply to requests without {key} ({plain} would)", True
    return f"{head}: it reads as {plain} here; AWS advises against set operators on single-valued keys", False


def _kind(found: condition_keys.KeyType) -> str:
    return " or ".join(sorted(found.kinds)) + (" (multivalued)" if found.multivalued else "")
