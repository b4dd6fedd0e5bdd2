"""Policies, statements, principals and conditions as validated, normalised values.

Normalise once (policyuniverse's lesson): a single string and a list mean the same,
`"Principal": "*"` and `{"AWS": "*"}` are one "anyone", a bare account id and its
root ARN are one account principal. The evaluator and rules never see raw JSON.
Reference: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
"""

from __future__ import annotations

from collections import deque
from enum import Enum
from itertools import repeat
from typing import Optional, Union

from pydantic import BaseModel, ConfigDict

from permcheck.model.arn import ACCOUNT_ID, root_arn
from permcheck.model.location import Location
from permcheck.model.values import Sym, Unknown

Text = Union[str, Sym, Unknown]
"""A string field of a policy: known, partly known or wholly unknown."""


class Frozen(BaseModel):
    """Base of every model value: immutable, and able to hold symbolic values.

    `defer_build`: a class's validator is built when it first validates, not when it is defined,
    so a run pays only for the classes it uses (a `check` of account snapshots never makes a
    trigger, a URL or another resource: 6 of the 14 classes). Validation itself is unchanged."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, defer_build=True)


TEXT_TYPES = frozenset((str, Sym, Unknown))
"""The exact types of a `Text` pydantic keeps as they are (it turns a subclass of str into a str)."""


def built(cls: type, given: set, **values: object):
    """`cls(**values)` without running pydantic's validation: for values the caller has checked are
    each exactly of its field's type, which validation would return unchanged (a loader's hot path:
    validation takes two thirds of a statement's making). As `model_construct` does, at a third
    of its cost: `given` are the fields named (`values`' keys, the set validation records; shared,
    as model_copy copies it before adding), and the fields not named take their defaults (plain
    values: no model here has a default factory)."""
    return built_from(cls, given, values)


def built_from(cls: type, given: set, values: dict):
    """`built(cls, given, **values)` of a dict the caller made (and hands over): not packed again."""
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        defaults = _DEFAULTS[cls] = {name: f.default for name, f in cls.model_fields.items()}
    obj = _new(cls)
    _set(obj, "__dict__", {**defaults, **values})
    _set(obj, "__pydantic_fields_set__", given)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


def built_all(cls: type, given: set, values: list[dict]) -> list:
    """`built_from` of many objects whose dicts each hold every field (the model cache's reader,
    load/model_reader.py): no defaults to add, and each attribute set in one pass at C speed."""
    made = list(map(_new, repeat(cls, len(values))))
    deque(map(_set, made, repeat("__dict__"), values), 0)
    deque(map(_set, made, repeat("__pydantic_fields_set__"), repeat(given)), 0)
    deque(map(_set, made, repeat("__pydantic_extra__"), repeat(None)), 0)
    deque(map(_set, made, repeat("__pydantic_private__"), repeat(None)), 0)
    return made


_DEFAULTS: dict[type, dict] = {}
_new, _set = object.__new__, object.__setattr__

# The fields given to `built` by the makings of more than one module (one set each, shared as
# validation's own record of them would be).
PRINCIPAL_FIELDS = {"type", "value"}
CLAUSE_FIELDS = {"operator", "key", "values"}
POLICY_FIELDS = {"name", "kind", "location", "statements"}


class Effect(str, Enum):
    ALLOW = "Allow"
    DENY = "Deny"


class PolicyKind(str, Enum):
    """Where a policy sits in AWS's evaluation logic."""

    IDENTITY = "identity"
    RESOURCE = "resource"
    TRUST = "trust"
    BOUNDARY = "boundary"
    SCP = "scp"
    RCP = "rcp"


class PrincipalType(str, Enum):
    ANYONE = "*"
    AWS = "AWS"
    SERVICE = "Service"
    FEDERATED = "Federated"
    CANONICAL_USER = "CanonicalUser"


class Principal(Frozen):
    """One entry of a Principal element; AWS accounts are held as their root ARN."""

    type: PrincipalType
    value: Text

    def __str__(self) -> str:
        return str(self.value)


ANYONE = built(Principal, PRINCIPAL_FIELDS, type=PrincipalType.ANYONE, value="*")


class Clause(Frozen):
    """One `operator: {key: values}` entry of a Condition block (values are OR-ed)."""

    operator: str
    key: str
    values: tuple[Text, ...]


class Statement(Frozen):
    """A normalised statement that remembers where it was written."""

    effect: Effect
    sid: Optional[str] = None
    actions: tuple[Text, ...]
    not_action: bool = False
    resources: Optional[tuple[Text, ...]] = None  # None: no Resource element (trust policies)
    not_resource: bool = False
    principals: Optional[tuple[Principal, ...]] = None  # None: identity-side statement
    not_principal: bool = False
    conditions: tuple[Clause, ...] = ()
    version: str = "2012-10-17"
    policy: str = ""
    location: Location
    source_note: Optional[str] = None  # e.g. "created by SAM"
    holder: Optional[str] = None  # the template resource that wrote it (logical id / address)
    sam_resource: Optional[str] = None  # the SAM resource whose expansion wrote it: what a finding names
    sam_event: Optional[str] = None  # the SAM event (`Events.<name>` of sam_resource) that wrote it


class Policy(Frozen):
    """A policy document; `unknown` is set when its content cannot be known.

    An unknown policy (an AWS managed policy not in the catalog, a document made by an
    `Fn::ImportValue`) may allow or deny anything: the evaluator reports answers that
    depend on it as depending on that unknown. `error` marks a malformed policy, which
    `check` reports and any query that depends on it refuses (AWS would reject it).
    """

    name: str
    kind: PolicyKind
    location: Location
    statements: tuple[Statement, ...] = ()
    unknown: Optional[Unknown] = None
    error: Optional[str] = None
    error_location: Optional[Location] = None
    arn: Optional[str] = None
    holder: Optional[str] = None  # the template resource that wrote it (logical id / address)


def cited(statements: "tuple[Statement, ...] | list[Statement]") -> list[Statement]:
    """The statements an answer cites, each place once (file, line, policy, sid, how it was made):
    an unknown policy stands for an Allow and a Deny written at one place."""
    out, seen = [], set()
    for s in statements:
        place = (s.location.file, s.location.line, s.policy, s.sid, s.source_note)
        if place not in seen:
            seen.add(place)
            out.append(s)
    return out


VERSIONS = ("2012-10-17", "2008-10-17")


def normalise_principal(kind: str, value: object) -> Principal:
    """One Principal entry → typed value (accounts become root ARNs)."""
    if isinstance(value, (Unknown, Sym)):
        return Principal(type=PrincipalType(kind), value=value)
    text = str(value).strip()  # a str, exactly: built as validation would keep it
    if kind == "AWS":
        if text == "*":
            return ANYONE
        if ACCOUNT_ID.match(text):
            return built(Principal, PRINCIPAL_FIELDS, type=PrincipalType.AWS, value=root_arn(text))
        return built(Principal, PRINCIPAL_FIELDS, type=PrincipalType.AWS, value=text)
    return built(Principal, PRINCIPAL_FIELDS, type=PrincipalType(kind), value=text)
