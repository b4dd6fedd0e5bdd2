"""The values an outsider can have for the keys that identify it.

For each identifying key a policy's conditions name, the outsider's values are the representatives
`conditions.representatives` finds (one per case the conditions tell apart), kept to those an outsider
can hold:
- accounts and organisations outside the zone of trust (an organisation id the policies name is taken
  as one's own when none is configured);
- ARNs in the outsider's account, or — for ARNs without an account, S3 buckets and API Gateway paths —
  names the conditions do not hold (a bucket the policy names is taken as one's own, as is every
  generated name);
- VPCs, endpoints and Alexa tokens other than the ones the policy names;
- IP addresses outside every network the policy names, unless the range is wider than a /8 (the internet,
  not somebody's network).
The search finds the shortest strings of each case; a representative is mended into a well-formed value
of the same case where one exists (`arn::::123456789012:` is no ARN a request carries), and a case that
holds no well-formed value lets nobody in.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from permcheck.iam import conditions as cond
from permcheck.iam.request import CallerKind
from permcheck.model.arn import parse_arn

ABSENT: tuple[str, ...] = ()
NARROWEST_INTERNET = 8  # an IP range wider than this prefix is the internet, not someone's network
NO_ACCOUNT_SERVICES = frozenset({"s3", "apigateway"})
"""Services whose resource ARNs name no account (a bucket's name, an API's path are global)."""
OWN_NAME = "permcheck-own-"  # prefix of the literals that stand for this deployment's generated names


@dataclass(frozen=True)
class Probe:
    """One outsider to try: its kind, the caller kind it asks as, its account and what it is named as."""

    kind: str
    caller_kind: CallerKind
    account: str
    arn: str = ""  # a named role or user
    service: str = ""  # a service principal, acting for `account`


Clauses = dict[str, list[tuple[str, tuple[str, ...]]]]
"""Condition clauses by lower-cased key: (operator, values as text)."""


class OutsiderValues:
    """Representative outsider values for the keys a policy's conditions name."""

    def __init__(self, clauses: Clauses, zone) -> None:
        self.clauses = clauses
        self.zone = zone
        self.own_org = sorted(zone.orgs)[0] if zone.orgs else "o-permcheckown0"
        self.lost: list[str] = []  # why the representatives may miss an outsider's case

    def reps(self, key: str, keep: Callable[[str], bool], atoms: tuple[str, ...] = (),
             multivalued: bool = False, mend: Callable[[str], str] | None = None,
             fresh: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
        """Present values of `key` that tell the conditions' cases apart, each kept by `keep`; `atoms`
        are StringLike patterns that bound the outsider's domain, so each case is split along it. `mend`
        makes a representative well formed where it can without leaving its case (the search finds the
        shortest strings, `arn::::123456789012:`, which no real request carries).

        When every value the conditions hold is a literal compared for equality (the common
        `ArnLike aws:SourceArn <one ARN>`), a value matters only by which literal it equals: the
        literals and `fresh` (values of the domain that equal none) are the cases, without a search."""
        clauses = self.clauses.get(key, ())
        if fresh and not multivalued and _literal_only(clauses):
            literals = {v for _, vals in clauses for v in vals}
            found = [(v,) for v in sorted(literals)] + [(v,) for v in fresh if v not in literals]
            return [c for c in found if keep(c[0])]
        found, lost = _candidates(key, tuple((op, vals) for op, vals in clauses), atoms, multivalued)
        if lost is not None:
            self.lost.append(f"{key}: {lost}")
        if mend is not None:
            found = tuple(c if not c else tuple(self.mended(key, v, mend, atoms) for v in c) for c in found)
        return list(dict.fromkeys(c for c in found if c and all(keep(v) for v in c)))

    def mended(self, key: str, value: str, mend: Callable[[str], str], atoms: tuple[str, ...] = ()) -> str:
        """`mend(value)` when it falls in the same case of the conditions and atoms as `value`, else `value`."""
        fixed = mend(value)
        if fixed == value:
            return value
        same = all(cond.clause_holds(op, key, vals, {key: (value,)}) == cond.clause_holds(op, key, vals, {key: (fixed,)})
                   for op, vals in self.clauses.get(key, ())) and \
            all(cond.like_matches(a, value) == cond.like_matches(a, fixed) for a in atoms)
        return fixed if same else value

    def literals(self, key: str) -> set[str]:
        return {v for _, vals in self.clauses.get(key, ()) for v in vals if "*" not in v and "?" not in v}

    def principal_arns(self, probe: Probe) -> list[tuple[str, ...]]:
        account = probe.account
        if probe.caller_kind is CallerKind.ROOT:
            return [(f"arn:aws:iam::{account}:root",)]
        if probe.arn:
            return [(probe.arn,)]
        head = "role" if probe.caller_kind is CallerKind.ROLE else "user"
        domain = f"arn:*:iam::{account}:{head}/*"

        def keep(v: str) -> bool:  # a well-formed ARN of the account (a StringLike `*` would cross colons)
            arn = parse_arn(v)
            return arn is not None and arn.service == "iam" and arn.account == account and \
                _IAM_NAME.fullmatch(arn.resource) is not None and arn.resource.startswith(f"{head}/")
        default = f"arn:aws:iam::{account}:{head}/permcheck-outsider"
        found = self.arn_reps("aws:principalarn", keep, {2: ["iam"], 3: [""], 4: [account]}) \
            if _searched_by_field(self.clauses.get("aws:principalarn", ())) else \
            self.reps("aws:principalarn", keep, (domain,), mend=_as_principal_arn, fresh=(default,))
        return list(dict.fromkeys([(default,)] + found))

    def arn_reps(self, key: str, keep: Callable[[str], bool], fixed: dict[int, list[str]]) -> list[tuple[str, ...]]:
        """Representative ARNs for conditions that only use Arn* operators, which compare an ARN field by
        field: each field's cases are found on their own (a search over short patterns) and combined, with
        the fields of `fixed` taking only the given values — exact, and far cheaper than one search over
        whole ARNs with the outsider's domain as an extra pattern."""
        clauses = self.clauses.get(key, ())
        patterns = [v.split(":", 5) for _, vals in clauses for v in vals]
        fields: list[list[str]] = [["arn"]]
        for i in range(1, 6):
            if i in fixed:
                fields.append(fixed[i])
                continue
            found, lost = _candidates(f"{key}#{i}", tuple(("StringLike", (p[i],)) for p in patterns), (), False)
            if lost is not None:
                self.lost.append(f"{key}: {lost}")
            texts = [c[0] for c in found if c] + ["permcheck" if i < 5 else "permcheck-outsider"] + [""] * (i in (3, 4))
            fields.append(list(dict.fromkeys(t for t in texts if (t or i in (3, 4)) and (i == 5 or ":" not in t))))
        # a value's case: per clause, whether some pattern matches every field (negated for Arn*Not*); a
        # field's value as the set of patterns whose field it matches (bit j: pattern j), so a value's
        # patterns are those its six fields all match, and each case keeps its first value kept
        pairs = [[(v, sum(1 << j for j, p in enumerate(patterns) if _field_matches(p[i], v))) for v in fields[i]]
                 for i in range(6)]
        negated = [operator.removesuffix("IfExists") in ("ArnNotLike", "ArnNotEquals") for operator, _ in clauses]
        spans, start = [], 0
        for (_, vals), negate in zip(clauses, negated):
            spans.append((((1 << len(vals)) - 1) << start, negate))
            start += len(vals)
        truths: dict[int, tuple[bool, ...]] = {}
        cases: dict[tuple[bool, ...], tuple[str, ...]] = {}
        for combination in itertools.product(*pairs):
            hits = combination[0][1] & combination[1][1] & combination[2][1] & combination[3][1] & \
                combination[4][1] & combination[5][1]
            truth = truths.get(hits)
            if truth is None:
                truth = truths[hits] = tuple(bool(hits & span) != negate for span, negate in spans)
            if truth in cases:
                continue
            value = ":".join(v for v, _ in combination)
            if keep(value):
                cases[truth] = (value,)
        return list(cases.values())

    def orgs(self, key: str) -> list[tuple[str, ...]]:
        """Organisation ids other than the own ones, each a well-formed id (`o-` and 10 to 32 lower-case
        letters or digits): a case only an impossible id falls into lets nobody in."""
        own = {o.lower() for o in self.zone.orgs}
        found = [self.well_formed(key, c[0], _ORG_ID, _as_org)
                 for c in self.reps(key, lambda v: True, fresh=("o-0000000000", "o-0000000001"))]
        return [(v,) for v in dict.fromkeys(found) if v is not None and v.lower() not in own]

    def well_formed(self, key: str, value: str, shape: re.Pattern, mend: Callable[[str], str]) -> str | None:
        """`value`, or a well-formed value in the same case of the conditions (None when there is none)."""
        if shape.fullmatch(value):
            return value
        mended = mend(value)
        same = all(cond.clause_holds(op, key, vals, {key: (value,)}) == cond.clause_holds(op, key, vals, {key: (mended,)})
                   for op, vals in self.clauses.get(key, ()))
        return mended if same and shape.fullmatch(mended) else None

    def org_paths(self, key: str) -> list[tuple[str, ...]]:
        own = tuple(o.lower() + "/" for o in self.zone.orgs)
        atoms = tuple(f"{o}/*" for o in self.zone.orgs)
        return self.reps(key, lambda v: not v.lower().startswith(own), atoms, multivalued=True)

    def other_than_named(self, key: str, default: str | None,
                         ours: Callable[[str, str], bool] | None = None) -> list[tuple[str, ...]]:
        """Values other than the ones the policy names (an endpoint, a VPC, a token is someone's own)."""
        named = self.literals(key)
        patterns = [v for _, vals in self.clauses.get(key, ()) for v in vals]

        def keep(v: str) -> bool:
            if ours is not None:
                return not any(ours(p, v) for p in patterns)
            return v not in named and not v.startswith(OWN_NAME)
        fresh = tuple(f"permcheck-outsider-{n}" for n in range(2))
        return list(dict.fromkeys(([(default,)] if default else []) + self.reps(key, keep, fresh=fresh)))

    def user_ids(self, default: str) -> list[tuple[str, ...]]:
        """`aws:userid` values other than those of the principals a policy names by unique id (`AROA…:*`)."""
        return self.other_than_named("aws:userid", default, _unique_id)

    def addresses(self, key: str) -> list[tuple[str, ...]]:
        """Addresses outside every network the conditions name (`/8` or narrower)."""
        networks = []
        for _, vals in self.clauses.get(key, ()):
            for v in vals:
                try:
                    net = ipaddress.ip_network(v.strip(), strict=False)
                except ValueError:
                    continue
                if net.prefixlen >= NARROWEST_INTERNET:
                    networks.append(net)

        def keep(v: str) -> bool:
            try:
                address = ipaddress.ip_address(v)
            except ValueError:
                return True
            return not any(address.version == n.version and address in n for n in networks)
        return [("203.0.113.254",)] * (key not in self.clauses) + self.reps(key, keep)

    def arns_of(self, key: str, account: str) -> list[tuple[str, ...]]:
        """ARNs the outsider can own: in its account, or without an account (S3) under a name the
        conditions do not name (a bucket a policy names is taken as the author's)."""
        own = {_name_of(arn) for _, vals in self.clauses.get(key, ()) for v in vals
               if (arn := parse_arn(v)) is not None and not arn.account} - {""}
        own |= {OWN_NAME}
        own = {name for name in own if "*" not in name and "?" not in name}
        in_account, no_account = f"arn:*:*:*:{account}:*", "arn:*:*:*::*"
        fresh = (f"arn:aws:sns:us-east-1:{account}:permcheck-outsider", "arn:aws:s3:::permcheck-outsider-bucket")

        def keep(v: str) -> bool:
            arn = parse_arn(v)
            if arn is None:
                return False
            if arn.account == account:
                return True
            name = _name_of(arn)
            return not arn.account and arn.service in NO_ACCOUNT_SERVICES and name not in own and OWN_NAME not in name
        if _searched_by_field(self.clauses.get(key, ())):
            return self.arn_reps(key, keep, {4: [account]}) + self.arn_reps(key, keep, {2: sorted(NO_ACCOUNT_SERVICES),
                                                                                       4: [""]})
        return self.reps(key, keep, (in_account, no_account), mend=_as_arn, fresh=fresh)

    def sources(self, probe: Probe) -> list[dict]:
        """What a service sends of the resource it acts for: nothing, or the outsider's account, an ARN
        of it and its organisation."""
        absent = {k: ABSENT for k in ("aws:sourceaccount", "aws:sourceowner", "aws:sourcearn",
                                      "aws:sourceorgid", "aws:sourceorgpaths")}
        account = probe.account
        service = probe.service.split(".", 1)[0]
        arns = self.arns_of("aws:sourcearn", account) if "aws:sourcearn" in self.clauses else []
        arns = arns or [(f"arn:aws:{service}:us-east-1:{account}:permcheck-outsider",)]
        orgs = [ABSENT] + (self.orgs("aws:sourceorgid") if "aws:sourceorgid" in self.clauses else [])
        paths = [ABSENT] + (self.org_paths("aws:sourceorgpaths") if "aws:sourceorgpaths" in self.clauses else [])
        # a source it does not name could be anyone's: tried for any account, not for one named
        out = [absent] if probe.kind != "account" else []
        for arn in arns:
            for org in orgs:
                for path in paths:
                    out.append({"aws:sourceaccount": (account,), "aws:sourceowner": (account,), "aws:sourcearn": arn,
                                "aws:sourceorgid": org, "aws:sourceorgpaths": path})
        return out


_ORG_ID = re.compile(r"o-[a-z0-9]{10,32}")


def _as_org(value: str) -> str:
    """The nearest organisation id: its letters and digits after `o-`, padded to the shortest length."""
    core = re.sub(r"[^a-z0-9]", "", value.removeprefix("o-"))
    return ("o-" + core + "0" * 10)[:max(12, min(34, 2 + len(core)))]


_EQUALITY = frozenset({"StringEquals", "StringNotEquals", "StringLike", "StringNotLike",
                       "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike"})


def _literal_only(clauses) -> bool:
    """Do the clauses compare a single value with literals only (no wildcard, variable or case folding)?"""
    for operator, values in clauses:
        qualifier, _, base = operator.rpartition(":")
        if qualifier or base.removesuffix("IfExists") not in _EQUALITY:
            return False
        if any("*" in v or "?" in v or "${" in v for v in values):
            return False
    return True


_ARN_OPERATORS = frozenset({"ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"})


def _arn_only(clauses) -> bool:
    """Do the clauses compare a single ARN with Arn* operators only (field by field, every value an ARN)?"""
    return bool(clauses) and all(
        ":" not in operator and operator.removesuffix("IfExists") in _ARN_OPERATORS
        and all(v.count(":") >= 5 and v.startswith("arn:") and "${" not in v for v in values)
        for operator, values in clauses)


def _searched_by_field(clauses) -> bool:
    """Arn* clauses with a wildcard: searched field by field (literals alone need no search)."""
    return _arn_only(clauses) and not _literal_only(clauses)


def _as_arn(value: str) -> str:
    """An ARN-shaped value with its empty partition, service and resource filled in."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return value
    partition, service, resource = parts[1] or "aws", parts[2] or "permcheck", parts[5] or "permcheck-outsider"
    return ":".join(("arn", partition, service, parts[3], parts[4], resource))


_IAM_NAME = re.compile(r"(role|user)/([\w+=,.@-]+/)*[\w+=,.@-]+")
"""A role or user with its path: names and path parts of letters, digits and `+=,.@_-`
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)."""


def _as_principal_arn(value: str) -> str:
    """`_as_arn`, and a role or user name where the path ends without one."""
    value = _as_arn(value)
    return value + "permcheck-outsider" if value.endswith("/") else value


def _name_of(arn) -> str:
    """What names the owner's resource in an ARN without an account: an S3 bucket (objects are in
    it), else the whole resource (`/apis/a1b2c3` of an API Gateway ARN)."""
    return arn.resource.split("/", 1)[0] if arn.service == "s3" else arn.resource


def _unique_id(pattern: str, value: str) -> bool:
    """Is `value` (an aws:userid) one of the principals a pattern names by unique id (`AROA…:*`)?"""
    head = pattern.split(":", 1)[0]
    return "*" not in head and "?" not in head and cond.like_matches(pattern, value)


@lru_cache(maxsize=65536)
def _field_matches(pattern: str, value: str) -> bool:
    """One ARN field against one field of a pattern (`*` and `?` within the field)."""
    return cond.like_matches(pattern, value)


@lru_cache(maxsize=4096)
def _candidates(key: str, clauses: tuple, atoms: tuple[str, ...], multivalued: bool) -> tuple[tuple, str | None]:
    """`conditions.representatives` with the domain's atoms, and why they may miss a case (None: exact)."""
    with_atoms = list(clauses) + [("StringLike", (a,)) for a in atoms]
    if not with_atoms:
        return (), None
    try:
        values, lost = cond.representatives(key, with_atoms, multivalued)
    except ValueError:  # an operator IAM does not define: `invalid-policy` reports the policy
        return (), None
    return tuple(values), lost


# -- the caller, and what to call it --------------------------------------------------------------
