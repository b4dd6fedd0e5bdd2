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
"""

from __future__ import annotations

from permcheck.load.managed import aws_managed_policy, is_aws_managed, unknown_policy
from permcheck.load.nodes import LineDict
from permcheck.load.snapshot import document_policy, entries, text_field
from permcheck.model.arn import ACCOUNT_ID, parse_arn
from permcheck.model.entities import Group, Inventory, Role, User
from permcheck.model.location import InputError, Location
from permcheck.model.policy import Policy, PolicyKind
from permcheck.model.values import Unknown

IDENTITY, BOUNDARY, TRUST = PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.TRUST


class ManagedPolicies:
    """The managed policies of one file by ARN: parsed on first use, then shared."""

    def __init__(self, file: str, document: LineDict) -> None:
        self.file = file
        self.raw: dict[str, LineDict] = {}
        for entry, _ in entries(file, document, "Policies"):
            self.raw[text_field(file, entry, "Arn", "Policies entry")] = entry
        self.parsed: dict[tuple[str, PolicyKind], Policy] = {}

    def get(self, arn: str, kind: PolicyKind = IDENTITY) -> Policy:
        """The policy `arn` as attached with `kind` (identity policy or permissions boundary)."""
        key = (arn, kind)
        policy = self.parsed.get(key)
        if policy is None:
            if arn in self.raw:
                policy = self._parse(arn) if kind is IDENTITY else \
                    self.get(arn, IDENTITY).model_copy(update={"kind": kind})
            elif is_aws_managed(arn):
                policy = aws_managed_policy(arn, kind)
            else:
                policy = unknown_policy(arn, kind, f"customer managed policy {arn} is not in {self.file}")
            self.parsed[key] = policy
        return policy

    def _parse(self, arn: str) -> Policy:
        entry = self.raw[arn]
        name = text_field(self.file, entry, "PolicyName", f"policy {arn}", required=False) or arn.rsplit("/", 1)[-1]
        versions = [v for v, _ in entries(self.file, entry, "PolicyVersionList")]
        if not versions:  # a trimmed snapshot: the content is not there, so it is unknown
            return unknown_policy(arn, IDENTITY, f"{self.file} holds no version of managed policy {arn}")
        default = [v for v in versions if v.get("IsDefaultVersion") is True]
        if not default:  # older tools drop IsDefaultVersion but keep DefaultVersionId
            default = [v for v in versions if v.get("VersionId") == entry.get("DefaultVersionId")]
        if len(default) != 1:
            raise InputError(Location(self.file, entry.line_of("PolicyVersionList")),
                             f"managed policy {arn} has {len(default) or 'no'} default versions: "
                             "exactly one PolicyVersionList entry must have IsDefaultVersion true")
        version = default[0]
        if "Document" not in version:
            raise InputError(Location(self.file, version.line), f"default version of managed policy {arn} has no Document")
        policy = document_policy(self.file, version, "Document", name, IDENTITY)
        return policy.model_copy(update={"arn": arn})


def load(file: str, document: LineDict, inventory: Inventory) -> None:
    """Read one `get-account-authorization-details` output into `inventory`."""
    managed = ManagedPolicies(file, document)
    group_arns: dict[tuple[str, str], str] = {}  # (account, group name) → ARN (names are unique per account)
    for entry, line in entries(file, document, "GroupDetailList"):
        arn, account, name = _identity(file, entry, "group", "GroupName")
        policies = _inline(file, entry, "GroupPolicyList", name) + _attached(file, entry, managed)
        inventory.groups[arn] = Group(arn=arn, name=name, account=account, policies=policies,
                                      location=Location(file, line))
        group_arns[(account, name)] = arn
        inventory.accounts.add(account)
    for entry, line in entries(file, document, "UserDetailList"):
        arn, account, name = _identity(file, entry, "user", "UserName")
        groups, unknown = _groups(file, entry, arn, account, group_arns, inventory)
        policies = _inline(file, entry, "UserPolicyList", name) + _attached(file, entry, managed) + unknown
        inventory.users[arn] = User(arn=arn, name=name, account=account, policies=policies, groups=groups,
                                    boundary=_boundary(file, entry, managed), location=Location(file, line))
        inventory.accounts.add(account)
    for entry, line in entries(file, document, "RoleDetailList"):
        arn, account, name = _identity(file, entry, "role", "RoleName")
        inventory.roles[arn] = Role(arn=arn, name=name, account=account, trust=_trust(file, entry, arn, name),
                                    policies=_inline(file, entry, "RolePolicyList", name) + _attached(file, entry, managed),
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
    return tuple(managed.get(text_field(file, item, "PolicyArn", "AttachedManagedPolicies entry"))
                 for item, _ in entries(file, entry, "AttachedManagedPolicies"))


def _boundary(file: str, entry: LineDict, managed: ManagedPolicies) -> Policy | None:
    boundary = entry.get("PermissionsBoundary")
    if boundary is None:
        return None
    if not isinstance(boundary, LineDict):
        raise InputError(Location(file, entry.line_of("PermissionsBoundary")), "PermissionsBoundary must be an object")
    return managed.get(text_field(file, boundary, "PermissionsBoundaryArn", "PermissionsBoundary"), BOUNDARY)


def _trust(file: str, entry: LineDict, arn: str, name: str) -> Policy:
    if entry.get("AssumeRolePolicyDocument") is None:  # a trimmed snapshot: who may assume it is unknown
        return Policy(name=f"{name} trust policy", kind=TRUST, location=Location(file, entry.line),
                      unknown=Unknown(f"the trust policy of {arn} is not in {file}"))
    return document_policy(file, entry, "AssumeRolePolicyDocument", f"{name} trust policy", TRUST)


def _groups(file: str, entry: LineDict, arn: str, account: str, group_arns: dict[tuple[str, str], str],
            inventory: Inventory) -> tuple[tuple[str, ...], tuple[Policy, ...]]:
    """A user's group ARNs (GroupList holds names), and an unknown policy per group whose
    policies the inputs do not hold: its membership may grant anything."""
    names = entry.get("GroupList") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InputError(Location(file, entry.line_of("GroupList")), f"GroupList of {arn} must be a list of group names")
    groups, unknown = [], []
    partition = arn.split(":", 2)[1]
    for group in names:
        group_arn = group_arns.get((account, group)) or f"arn:{partition}:iam::{account}:group/{group}"
        groups.append(group_arn)
        if group_arn not in inventory.groups:
            unknown.append(unknown_policy(group_arn, IDENTITY, f"group {group} of {arn} is not in {file}"))
    return tuple(dict.fromkeys(groups)), tuple(unknown)
