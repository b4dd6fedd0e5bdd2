"""IAM condition operators: their names, what kind of value each compares, and parsing a name.

A table, below both the loader (which refuses a policy naming an operator AWS does not define) and
the evaluator (which gives each operator its semantics, `iam/conditions.py`).
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

_ORDERED = ("Equals", "NotEquals", "LessThan", "LessThanEquals", "GreaterThan", "GreaterThanEquals")
OPERATORS: dict[str, tuple[str, bool]] = {  # base operator -> (value kind, negated)
    "StringEquals": ("eq", False), "StringNotEquals": ("eq", True),
    "StringEqualsIgnoreCase": ("ic", False), "StringNotEqualsIgnoreCase": ("ic", True),
    "StringLike": ("like", False), "StringNotLike": ("like", True),
    "ArnEquals": ("arn", False), "ArnLike": ("arn", False),
    "ArnNotEquals": ("arn", True), "ArnNotLike": ("arn", True),
    "Bool": ("bool", False), "BinaryEquals": ("bin", False),
    "IpAddress": ("ip", False), "NotIpAddress": ("ip", True), "Null": ("null", False),
    **{family + suffix: (kind, suffix == "NotEquals")
       for family, kind in (("Numeric", "num"), ("Date", "date")) for suffix in _ORDERED}}
FAMILY = {"eq": "String", "ic": "String", "like": "String", "arn": "ARN", "bool": "Bool", "bin": "Binary",
          "num": "Numeric", "date": "Date", "ip": "IPAddress", "null": "Null"}
"""Value kind -> the key type it compares, in the Service Authorization Reference's words."""


@dataclass(frozen=True)
class Operator:
    """A parsed condition operator, e.g. ForAnyValue:StringNotLikeIfExists."""

    set_qualifier: Optional[str]  # None | "ForAllValues" | "ForAnyValue"
    base: str
    if_exists: bool

    @property
    def negated(self) -> bool:
        """Negated operators hold when no policy value matches (NOR)."""
        return OPERATORS[self.base][1]


@lru_cache(maxsize=None)
def parse_operator(name: str) -> Operator:
    """Parse an operator name; ValueError if AWS does not define it (an invalid policy).

    Case-sensitive: IAM rejects `stringEquals` ("Invalid Condition type"). `IfExists` goes
    on every operator except Null; ForAllValues:/ForAnyValue: on every operator, Null
    included (the IAM policy simulator accepts them).
    """
    qualifier, sep, rest = name.partition(":")
    if not sep:
        qualifier, rest = None, name
    elif qualifier not in ("ForAllValues", "ForAnyValue"):
        raise ValueError(f"unknown condition set operator in {name!r}")
    if_exists = rest.endswith("IfExists")
    base = rest[: -len("IfExists")] if if_exists else rest
    if base not in OPERATORS or (if_exists and base == "Null"):
        raise ValueError(f"unknown IAM condition operator {name!r}")
    return Operator(qualifier, base, if_exists)


def operator_type(operator: str) -> str:
    """The type of value an operator compares: String, ARN, Numeric, Date, Bool, IPAddress,
    Binary, or Null (which tests presence)."""
    return FAMILY[OPERATORS[parse_operator(operator).base][0]]
