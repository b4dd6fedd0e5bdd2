"""AWS managed policies, known by content from a catalog shipped with permcheck.

The catalog (data/aws_managed_policies.json, see data/MANAGED_POLICIES.md) is read
only when a template names a managed policy, so plain runs do not pay for it. A
policy not in the catalog is returned as unknown — never as empty.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from permcheck.load.policy_doc import parse_policy
from permcheck.model.location import Location
from permcheck.model.policy import Policy, PolicyKind
from permcheck.model.values import Unknown

CATALOG = Path(__file__).resolve().parent.parent / "data" / "aws_managed_policies.json"


@lru_cache(maxsize=1)
def _catalog() -> dict:
    try:
        return json.loads(CATALOG.read_text())
    except FileNotFoundError:
        return {}


def is_aws_managed(arn: str) -> bool:
    return arn.split(":")[4:5] == ["aws"] and ":iam::aws:policy/" in arn


def canonical(arn: str) -> str:
    """The catalog key: partition-independent, as `arn:aws:iam::aws:policy/PATH/NAME`."""
    parts = arn.split(":", 2)
    return "arn:aws:" + parts[2] if len(parts) == 3 else arn


@lru_cache(maxsize=512)
def aws_managed_policy(arn: str, kind: PolicyKind = PolicyKind.IDENTITY) -> Policy:
    """The content of an AWS managed policy, or an unknown policy naming it."""
    name = arn.rsplit("/", 1)[-1]
    entry = _catalog().get(canonical(arn))
    location = Location(f"AWS managed policy {name}")
    if entry is None:
        return Policy(name=name, kind=kind, location=location, arn=arn,
                      unknown=Unknown(f"AWS managed policy {name} is not in permcheck's catalog"))
    policy = parse_policy(entry["document"], name=name, kind=kind, location=location)
    return policy.model_copy(update={"arn": arn})


def unknown_policy(arn: str, kind: PolicyKind, why: str) -> Policy:
    """A policy referenced by ARN whose document the inputs do not hold."""
    name = arn.rsplit("/", 1)[-1]
    return Policy(name=name, kind=kind, location=Location(arn), arn=arn, unknown=Unknown(why))
