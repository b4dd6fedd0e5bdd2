"""AWS CLI account snapshots → the inventory.

Five outputs are read (the contract's input table):
- `aws iam get-account-authorization-details`: roles, users, groups and the managed
  policies they attach (`snapshot_iam`);
- `aws lambda list-functions`: functions and their execution roles (`snapshot_lambda`);
- `aws lambda get-policy`: one function's resource policy (`snapshot_lambda`);
- `aws lambda list-event-source-mappings` and `aws sns list-subscriptions`: event sources
  wired to functions (`snapshot_triggers`).

Snapshots describe what is deployed, so ARNs come from the files themselves; the
accounts the first three name decide where templates given alongside them deploy
(`accounts_of`, as the contract says). Triggers name functions and sources, which may be
another account's, and decide nothing.
Policy documents are objects in what the AWS CLI writes, but the IAM API returns them
URL-encoded (RFC 3986) and some tools save that string as is: both are read.
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
"""

from __future__ import annotations


from permcheck.load.nodes import LineDict, line_of
from permcheck.load.snapshot_fields import json_document, resources_of
from permcheck.model.arn import account_of
from permcheck.model.entities import Inventory
from permcheck.model.location import InputError, Location

IAM_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def accounts_of(file: str, kind: str, document: object, decoded: dict | None = None) -> set[str]:
    """The accounts a snapshot file describes, from the ARNs of what it lists.

    Only the snapshot's own entities count (not the principals its policies name), and
    nothing here raises: a malformed file is reported by `load` with its line. A get-policy
    output's policy is a JSON string decoded here; with `decoded`, the value is kept there for
    `load` (`decoded[file] = (document, value)`), which would otherwise decode it again.
    """
    if not isinstance(document, dict):
        return set()
    arns: list[object] = []
    if kind == "authorization-details":
        for key in IAM_LISTS:
            entries = document.get(key)
            if isinstance(entries, list):
                arns += [e.get("Arn") for e in entries if isinstance(e, dict)]
    elif kind == "list-functions":
        entries = document.get("Functions")
        if isinstance(entries, list):
            arns += [e.get("FunctionArn") for e in entries if isinstance(e, dict)]
    elif kind == "get-policy":
        try:
            raw = json_document(document.get("Policy"))
        except ValueError:
            return set()
        if decoded is not None:
            decoded[file] = (document, raw)
        arns += resources_of(raw)
    return {a for a in (account_of(arn) for arn in arns if isinstance(arn, str)) if a}


def load(file: str, kind: str, document: object, inventory: Inventory, decoded: dict | None = None) -> None:
    """Read one snapshot file into `inventory`; malformed content is an InputError with its line.
    `decoded`: what `accounts_of` kept of the inputs, taken only for this very document."""
    if not isinstance(document, LineDict):
        raise InputError(Location(file, line_of(document, 1)), f"{kind} output must be a JSON object")
    _load(file, kind, document, inventory, decoded)


def _load(file: str, kind: str, document: LineDict, inventory: Inventory, decoded: dict | None = None) -> None:
    if kind == "authorization-details":
        from permcheck.load import snapshot_iam
        snapshot_iam.load(file, document, inventory)
    elif kind == "list-functions":
        from permcheck.load import snapshot_lambda
        snapshot_lambda.load_functions(file, document, inventory)
    elif kind == "get-policy":
        from permcheck.load import snapshot_lambda
        kept = decoded.get(file) if decoded else None
        snapshot_lambda.load_policy(file, document, inventory, kept[1] if kept and kept[0] is document else None)
    elif kind == "list-event-source-mappings":
        from permcheck.load import snapshot_triggers
        snapshot_triggers.load_mappings(file, document, inventory)
    elif kind == "list-subscriptions":
        from permcheck.load import snapshot_triggers
        snapshot_triggers.load_subscriptions(file, document, inventory)
    else:
        raise InputError(Location(file, line_of(document, 1)), f"{kind} is not an account snapshot")
