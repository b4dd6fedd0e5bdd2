"""`aws iam get-account-authorization-details` → roles, users and groups, keyed by ARN.

Output shape: https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
(`UserDetailList`, `GroupDetailList`, `RoleDetailList`, `Policies`). What each entry holds:
inline policies (`RolePolicyList`, `UserPolicyList`, `GroupPolicyList`), attached managed
policies by ARN (`AttachedManagedPolicies`), a `PermissionsBoundary`, a role's
`AssumeRolePolicyDocument` and a user's `GroupList` (group names).

A managed policy is read from `Policies` once, in its default version (`IsDefaultVersion`;
the others are history and grant nothing), and that one `Policy` is shared by every
principal that attaches it. An AWS managed policy the file does not hold comes from
permcheck's catalog; a customer managed policy it does not hold is unknown, never empty.
A role's trust policy is most often written like many others: one content is parsed once, and
each role gets its own statements at their own lines (`policy_doc.parse_alike`).
"""

from __future__ import annotations

from permcheck.load.managed import aws_managed_policy, is_aws_managed, unknown_policy
from permcheck.load.nodes import LineDict
from permcheck.load.policy_doc import parse_alike
from permcheck.load.snapshot_fields import document_policy, entries, text_field
from permcheck.model.arn import ACCOUNT_ID, parse_arn
from permcheck.model.entities import Group, Inventory, Role, User
from permcheck.model.location import InputError, Location
from permcheck.model.policy import Policy, PolicyKind, built
from permcheck.model.values import Unknown

IDENTITY, BOUNDARY, TRUST = PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.TRUST


class ManagedPolicies:
    """The managed policies of one file by ARN: parsed on first use, then shared."""

    def __init__(self, file: str, document: LineDict) -> None:
        self.file = file
        self.raw: dict[str, tuple[LineDict, LineDict | None]] = {}  # ARN → (entry, its default version)
        for entry, _ in entries(file, document, "Policies"):
            arn = text_field(file, entry, "Arn", "Policies entry")
            self.raw[arn] = (entry, self._default_version(arn, entry))
        self.parsed: dict[tuple[str, PolicyKind], Policy] = {}

    def get(self, arn: str, kind: PolicyKind, line: int | None) -> Policy:
        """The policy `arn` as attached (at `line`) with `kind`: identity policy or boundary."""
        key = (arn, kind)
        policy = self.parsed.get(key)
        if policy is None:
            if arn in self.raw:
                policy = self._parse(arn) if kind is IDENTITY else \
                    self.get(arn, IDENTITY, line).model_copy(update={"kind": kind})
            elif is_aws_managed(arn):
                policy = aws_managed_policy(arn, kind)
            else:  # not shared: it points at the line that attaches it, which is all there is to see
                return unknown_policy(arn, kind, f"customer managed policy {arn} is not in the snapshot") \
                    .model_copy(update={"location": Location(self.file, line)})
            self.parsed[key] = policy
        return policy

    def _default_version(self, arn: str, entry: LineDict) -> LineDict | None:
        """The version in force (checked for every policy, parsed only when attached)."""
        versions = [v for v, _ in entries(self.file, entry, "PolicyVersionList")]
        if not versions:  # a trimmed snapshot: the content is not there
            return None
        default = [v for v in versions if v.get("IsDefaultVersion") is True]
        if not default:  # older tools drop IsDefaultVersion but keep DefaultVersionId
            default = [v for v in versions if v.get("VersionId") == entry.get("DefaultVersionId")]
        if len(default) != 1:
            raise InputError(Location(self.file, entry.line_of("PolicyVersionList")),
                             f"managed policy {arn} has {len(default) or 'no'} default versions: "
                             "exactly one PolicyVersionList entry must have IsDefaultVersion true")
        if "Document" not in default[0]:
            raise InputError(Location(self.file, default[0].line),
                             f"default version of managed policy {arn} has no Document")
        return default[0]

    def _parse(self, arn: str) -> Policy:
        entry, version = self.raw[arn]
        if version is None:
            return unknown_policy(arn, IDENTITY, f"the snapshot holds no version of managed policy {arn}")
        name = text_field(self.file, entry, "PolicyName", f"policy {arn}", required=False) or arn.rsplit("/", 1)[-1]
        policy = document_policy(self.file, version, "Document", name, IDENTITY)
        return policy.model_copy(update={"arn": arn})


# Entities are `built` (model/policy.py), not validated: each value below is of its field's exact
# type (strings from `text_field` and ARNs, tuples of `Policy`, a `Location`), as validation would keep it.
_GROUP_FIELDS = {"arn", "name", "account", "policies", "location"}
_USER_FIELDS = _GROUP_FIELDS | {"groups", "boundary"}
_ROLE_FIELDS = _GROUP_FIELDS | {"trust", "boundary"}


def load(file: str, document: LineDict, inventory: Inventory) -> None:
    """Read one `get-account-authorization-details` output into `inventory`."""
    managed = ManagedPolicies(file, document)
    group_arns: dict[tuple[str, str], str] = {}  # (account, group name) → ARN (names are unique per account)
    for entry, line in entries(file, document, "GroupDetailList"):
        arn, account, name = _identity(file, entry, "group", "GroupName")
        policies = _inline(file, entry, "GroupPolicyList", name) + _attached(file, entry, managed)
        inventory.groups[arn] = built(Group, _GROUP_FIELDS, arn=arn, name=name, account=account, policies=policies,
                                      location=Location(file, line))
        group_arns[(account, name)] = arn
        inventory.accounts.add(account)
    for entry, line in entries(file, document, "UserDetailList"):
        arn, account, name = _identity(file, entry, "user", "UserName")
        groups, unknown = _groups(file, entry, arn, account, group_arns, inventory)
        policies = _inline(file, entry, "UserPolicyList", name) + _attached(file, entry, managed) + unknown
        inventory.users[arn] = built(User, _USER_FIELDS, arn=arn, name=name, account=account, policies=policies,
                                     groups=groups, boundary=_boundary(file, entry, managed),
                                     location=Location(file, line))
        inventory.accounts.add(account)
    trusts: dict = {}  # trust policies by content (policy_doc.parse_alike)
    for entry, line in entries(file, document, "RoleDetailList"):
        arn, account, name = _identity(file, entry, "role", "RoleName")
        policies = _inline(file, entry, "RolePolicyList", name) + _attached(file, entry, managed)
        inventory.roles[arn] = built(Role, _ROLE_FIELDS, arn=arn, name=name, account=account,
                                     trust=_trust(file, entry, arn, name, trusts), policies=policies,
                                     boundary=_boundary(file, entry, managed), location=Location(file, line))
        inventory.accounts.add(account)


def _identity(file: str, entry: LineDict, kind: str, name_key: str) -> tuple[str, str, str]:
    """(ARN, account, name) of a user/group/role entry; the ARN must be one of that kind."""
    what = f"{kind.capitalize()}DetailList entry"
    arn = text_field(file, entry, "Arn", what)
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "iam" or not ACCOUNT_ID.match(parsed.account) \
            or not parsed.resource.startswith(f"{kind}/"):
        raise InputError(Location(file, entry.line_of("Arn")), f"{what}: {arn!r} is not an IAM {kind} ARN")
    name = text_field(file, entry, name_key, what, required=False) or parsed.resource.rsplit("/", 1)[-1]
    return arn, parsed.account, name


def _inline(file: str, entry: LineDict, key: str, owner: str) -> tuple[Policy, ...]:
    out = []
    for item, _ in entries(file, entry, key):
        name = text_field(file, item, "PolicyName", f"inline policy of {owner}")
        if "PolicyDocument" not in item:
            raise InputError(Location(file, item.line), f"inline policy {name} of {owner} has no PolicyDocument")
        out.append(document_policy(file, item, "PolicyDocument", name, IDENTITY))
    return tuple(out)


def _attached(file: str, entry: LineDict, managed: ManagedPolicies) -> tuple[Policy, ...]:
    return tuple(managed.get(text_field(file, item, "PolicyArn", "AttachedManagedPolicies entry"), IDENTITY,
                             item.line_of("PolicyArn"))
                 for item, _ in entries(file, entry, "AttachedManagedPolicies"))


def _boundary(file: str, entry: LineDict, managed: ManagedPolicies) -> Policy | None:
    boundary = entry.get("PermissionsBoundary")
    if boundary is None:
        return None
    if not isinstance(boundary, LineDict):
        raise InputError(Location(file, entry.line_of("PermissionsBoundary")), "PermissionsBoundary must be an object")
    return managed.get(text_field(file, boundary, "PermissionsBoundaryArn", "PermissionsBoundary"), BOUNDARY,
                       boundary.line_of("PermissionsBoundaryArn"))


def _trust(file: str, entry: LineDict, arn: str, name: str, seen: dict) -> Policy:
    """A role's trust policy; most roles trust in one of a few ways, so a content met before is
    not parsed again (`policy_doc.parse_alike`: `seen` holds those of this file)."""
    document = entry.get("AssumeRolePolicyDocument")
    if document is None:  # a trimmed snapshot: who may assume it is unknown
        return Policy(name=f"{name} trust policy", kind=TRUST, location=Location(file, entry.line),
                      unknown=Unknown(f"the trust policy of {arn} is not in the snapshot"))
    if type(document) is LineDict and document.line is not None:
        return parse_alike(document, name=f"{name} trust policy", kind=TRUST, location=Location(file, document.line),
                           seen=seen)
    return document_policy(file, entry, "AssumeRolePolicyDocument", f"{name} trust policy", TRUST)


def _groups(file: str, entry: LineDict, arn: str, account: str, group_arns: dict[tuple[str, str], str],
            inventory: Inventory) -> tuple[tuple[str, ...], tuple[Policy, ...]]:
    """A user's group ARNs (GroupList holds names), and an unknown policy per group whose
    policies the inputs do not hold: its membership may grant anything."""
    names = entry.get("GroupList") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InputError(Location(file, entry.line_of("GroupList")),
                         f"GroupList of {arn} must be a list of group names")
    groups, unknown = [], []
    partition = arn.split(":", 2)[1]
    lines = getattr(names, "item_lines", [])
    for index, group in enumerate(names):
        group_arn = group_arns.get((account, group)) or f"arn:{partition}:iam::{account}:group/{group}"
        groups.append(group_arn)
        if group_arn not in inventory.groups:
            where = Location(file, lines[index] if index < len(lines) else entry.line_of("GroupList"))
            unknown.append(unknown_policy(group_arn, IDENTITY, f"group {group} of {arn} is not in the snapshot")
                           .model_copy(update={"location": where}))
    return tuple(dict.fromkeys(groups)), tuple(unknown)
