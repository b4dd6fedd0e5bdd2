"""The inventory: principals, functions and resources that every loader produces.

All loaders (CloudFormation today; SAM, snapshots and plans later) fill one `Inventory`,
so the evaluator, graph and queries work the same whichever input a function came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from permcheck.model.location import Location
from permcheck.model.policy import Frozen, Policy, Text
from permcheck.model.triggers import Delivery, Trigger


class Role(Frozen):
    """An IAM role: its trust policy is the resource policy of `sts:AssumeRole`."""

    arn: Text
    name: Text
    account: str
    trust: Optional[Policy] = None
    policies: tuple[Policy, ...] = ()
    boundary: Optional[Policy] = None
    logical_id: Optional[str] = None
    location: Optional[Location] = None


class User(Frozen):
    arn: Text
    name: Text
    account: str
    policies: tuple[Policy, ...] = ()
    groups: tuple[str, ...] = ()  # group ARNs
    boundary: Optional[Policy] = None
    logical_id: Optional[str] = None
    location: Optional[Location] = None


class Group(Frozen):
    arn: Text
    name: Text
    account: str
    policies: tuple[Policy, ...] = ()
    logical_id: Optional[str] = None
    location: Optional[Location] = None


class FunctionUrl(Frozen):
    """A function URL: its AuthType fixes the `lambda:FunctionUrlAuthType` key."""

    auth_type: Text
    qualifier: Optional[str] = None
    location: Optional[Location] = None


class Function(Frozen):
    """A Lambda function: its execution role, its resource policy, its URLs."""

    arn: Text
    name: Text
    account: str
    region: str
    role: Optional[Text] = None  # role ARN
    policy: Optional[Policy] = None
    urls: tuple[FunctionUrl, ...] = ()
    qualifiers: tuple[str, ...] = ()  # aliases/versions named by permissions or aliases
    logical_id: Optional[str] = None
    location: Optional[Location] = None


class Resource(Frozen):
    """Any other resource (bucket, queue, topic, table, key, secret) and its policy."""

    arn: Text
    type: str  # the CloudFormation type, e.g. AWS::SQS::Queue
    account: Optional[str] = None
    policy: Optional[Policy] = None
    logical_id: Optional[str] = None
    location: Optional[Location] = None
    names: tuple[str, ...] = ()  # other identifiers: queue URL, bucket name, key id


@dataclass(frozen=True)
class Ignore:
    """A suppression written in a template: `rule` silenced on one resource, with why."""

    rule: str
    reason: str
    location: Location


@dataclass
class Inventory:
    """Everything the inputs define, keyed by ARN text (a `Sym` ARN by its str()).

    Built by loaders and then only read. `accounts` are the accounts whose inputs are
    analysed (their SCPs apply); `policies` are managed policies by ARN.
    """

    roles: dict[str, Role] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    scps: list[Policy] = field(default_factory=list)
    rcps: list[Policy] = field(default_factory=list)
    accounts: set[str] = field(default_factory=set)
    loose_policies: list[Policy] = field(default_factory=list)  # checked by rules, never evaluated on their
    # own: bare policy documents, and a template's IAM policies (attached or not to principals in the inputs)
    logical_ids: dict[str, list[str]] = field(default_factory=dict)  # logical id → ARNs
    suppressions: dict[tuple[str, str], tuple[Ignore, ...]] = field(default_factory=dict)  # (file, logical id)
    partition: str = "aws"
    region: str = "us-east-1"
    default_account: str = "123456789012"
    management_account: str | None = None  # the organisation's: SCPs and RCPs do not apply to it
    creators: dict[str, list[Location]] = field(default_factory=dict)  # physical name → each input creating it
    triggers: list[Trigger] = field(default_factory=list)  # event sources wired to functions (model/triggers.py)
    deliveries: list[Delivery] = field(default_factory=list)  # sources that feed other sources (SNS → SQS)

    def create(self, key: str, location: Location | None) -> bool:
        """Record that an input file creates the resource `key` (its ARN text); False when another
        file created it first. The second creation is then not stored: two templates that create one
        physical name cannot deploy side by side (CloudFormation refuses the second stack), and
        keeping either silently could hide the other's grants. `conflicts` lists them, and the
        walk over inputs (load/deployments.py) analyses such templates as separate deployments."""
        if location is None:
            return True
        found = self.creators.setdefault(key, [])
        found.append(location)
        return all(earlier.file == location.file for earlier in found)

    @property
    def conflicts(self) -> dict[str, list[Location]]:
        """Physical names that more than one input file creates, with where each creates it."""
        return {key: found for key, found in self.creators.items() if len({at.file for at in found}) > 1}

    def add_logical_id(self, logical_id: str | None, arn: str) -> None:
        if logical_id:
            self.logical_ids.setdefault(logical_id, []).append(arn)
