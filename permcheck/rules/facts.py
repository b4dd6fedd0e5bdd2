"""What rules ask about: the model and the evaluator's answers as typed, flat facts.

Each class is a subject type of the rule language; its annotated fields are the
attributes a rule may read (the type checker reads the annotations, so this file is the
language's schema). `location` is where a finding about the fact points; fields marked
hidden are for rendering only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from permcheck.model.location import Location


@dataclass(frozen=True)
class Condition:
    """One condition a grant depends on; `unknown` names a value that could not be resolved."""

    operator: str
    key: str  # lower case: condition keys are case-insensitive
    values: list[str]
    unknown: str
    negated: bool  # from a Deny: the request must NOT match it
    written: str = field(default="", repr=False, metadata={"hidden": True})  # the key as written

    def __str__(self) -> str:
        if self.unknown:
            return f"unknown: {self.unknown}"
        return f"{'not ' if self.negated else ''}{self.operator} {self.written or self.key} {' | '.join(self.values)}"


def _identity(fact: object) -> str:
    """The ids of the statements a fact is about (rules/identity.py), joined: `collect.Facts` leaves
    `_identity` (the ids' table, the policy, its statements) beside the fact's fields, so they are
    hashed only when a finding asks; "" for a fact made without it."""
    found = fact.__dict__.get("_identity")
    if found is None:
        return ""
    ids_of, policy, statements = found
    ids = ids_of(policy)
    return "+".join(sorted(ids[id(s)] for s in statements))


@dataclass(frozen=True)
class Statement:
    """A policy statement as written (resolved), wherever it sits."""

    effect: str  # Allow, Deny
    kind: str  # identity, resource, trust, boundary, scp, rcp
    actions: list[str]
    not_action: bool
    resources: list[str]
    not_resource: bool
    principals: list[str]
    not_principal: bool
    conditions: list[Condition]
    sid: str
    policy: str
    aws_managed: bool  # from an AWS managed policy: not the template author's text
    holder: str  # the template resource that wrote it (logical id), or the ARN of what holds it
    holder_type: str  # role, user, group, function, bucket, queue, topic, key, secret, document, …
    location: Location = field(repr=False)

    @property
    def statement(self) -> str:
        """Which statement this is, without its line (rules/identity.py): the part of a finding's
        fingerprint that tells two statements apart. Hashed only when a finding asks for it (a
        few hundred of ten thousand statements are flagged): `collect.Facts` leaves with each
        fact where to find it, beside its fields (not one: equality and `subject_key` ignore it)."""
        return _identity(self)


@dataclass(frozen=True)
class Grant:
    """A principal that a resource policy (a function's, a role's trust, a bucket's …) names,
    with the evaluator's decision for the actions granted to it."""

    service: str  # lambda, sts, s3, sqs, sns, kms, secretsmanager, …
    target: str
    target_type: str  # function, role, bucket, queue, topic, key, secret, other
    target_account: str
    principal: str
    principal_kind: str  # anyone, service, account, role, user, session, federated, unknown
    principal_account: str
    actions: list[str]
    decision: str  # allowed, conditional
    conditions: list[Condition]
    decision_detail: str  # "allowed", or "conditional on …" with the conditions
    function_url_public: bool  # a function URL with AuthType NONE
    # Who outside the zone of trust gets in through this grant, as the evaluator decides for such a
    # caller (graph/outsiders.py): "" when nobody of that sort, else "who: allowed" or
    # "who: conditional on <what the outsider must still meet>".
    anyone: str  # an anonymous request, or a principal of any other account
    other_account: str  # an account outside the zone of trust the grant lets in (its id; "" when none)
    other_account_detail: str  # how that account gets in
    other_source: str  # the service principal, acting for a resource of another account
    holder: str
    location: Location = field(repr=False)
    resources: list[str] = field(default_factory=list, repr=False, metadata={"hidden": True})  # as granted

    @property
    def statement(self) -> str:
        """Which statements decide the grant, without their lines (rules/identity.py), joined: the
        part of a finding's fingerprint that tells two grants of one resource apart. Hashed only when
        a finding asks for it (a few hundred of three thousand grants are flagged): `collect.Facts`
        leaves with each grant where to find them, beside its fields, as `Statement.statement` does."""
        return _identity(self)


@dataclass(frozen=True)
class Policy:
    """A policy document: `error` is why IAM would reject it ("" when valid)."""

    name: str
    kind: str
    error: str
    unknown: str
    aws_managed: bool
    holder: str
    location: Location = field(repr=False)


@dataclass(frozen=True)
class Attachment:
    """A managed policy attached to a role, user or group."""

    principal: str
    principal_kind: str  # role, user, group
    policy: str  # the policy's name
    policy_arn: str
    aws_managed: bool
    holder: str
    location: Location = field(repr=False)


@dataclass(frozen=True)
class Escalation:
    """The ways a principal can gain permissions it does not have (permcheck/rules/escalation.py)."""

    principal: str
    principal_kind: str
    paths: list[str]  # short names of the techniques
    descriptions: list[str]  # what each path does, with the actions it takes
    decision: str  # allowed when some path is allowed outright, else conditional
    holder: str
    location: Location = field(repr=False)


@dataclass(frozen=True)
class TriggerPath:
    """A way to make a function run (graph/triggers.py): who, through which sources, and what the
    function's role can then do. One per principal, route and kind (directly or through assumed
    roles), the widest of its paths: a chain never hides a direct way in."""

    function: str
    principal: str  # "*" (anyone on the internet), an ARN or service, "" when AWS fires it
    principal_kind: str  # anyone, service, account, role, user, session, unknown, none
    principal_account: str
    other_account: str  # the principal's account when outside the zone of trust ("" otherwise)
    public: bool  # anyone on the internet gets in: `*` as the evaluator lets an outsider through, or
    # a source open by design (a route without authorization)
    decision: str  # allowed, conditional
    through_source: bool  # the path passes an event source (not only invokes)
    assumes_roles: bool  # the principal makes its request as a role it assumes (its door is that role's trust)
    sources: list[str]  # the sources passed, as ARNs name their service (s3, sns, execute-api, …)
    path: str  # the path in words
    role: str  # the function's execution role
    role_writes: bool  # the role may write (Write access level) somewhere
    role_manages_permissions: bool  # the role may change permissions (Permissions management)
    role_escalates: bool  # the role completes a privilege-escalation path
    role_power: str  # what of the above it can, in words
    holder: str
    location: Location = field(repr=False)


SUBJECTS = {"statements": Statement, "grants": Grant, "policies": Policy, "attachments": Attachment,
            "escalations": Escalation, "trigger_paths": TriggerPath}
"""The collections a rule's `for x in SUBJECT` may range over."""
