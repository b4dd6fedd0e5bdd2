"""The request keys that identify an outsider, and the request an outsider makes with them.

What a caller is — its account, ARN and type, organisation, network, the resource a service acts for —
is not the caller's to choose; everything else in a request (its tags, the time, TLS, the user agent, an
external id it has been told) is. `dimensions` lists, per identifying key, the values to try
(`outsider_values.py` says which); `caller` and `describe` make and name the caller of one case.
Global keys: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
"""

from __future__ import annotations

import re
from typing import Iterable

from permcheck.graph.outsider_values import ABSENT, Clauses, OutsiderValues, Probe
from permcheck.iam.answer import ConditionEntry, OnUnknown
from permcheck.iam.request import Caller, CallerKind, Target
from permcheck.model.arn import parse_arn
from permcheck.model.policy import Policy

ACCOUNT_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
"""A 12-digit account id inside a value: an account the conditions name (`accounts_named`)."""
_ORG = re.compile(r"\bo-[a-z0-9]{10,32}\b")
_VARIABLE = re.compile(r"\$\{([^}]+)\}")
KIND_KEYS = frozenset({"aws:principaltype", "aws:principalarn", "aws:username", "aws:userid"})
"""Keys on which a user, a role and an account root of one account can differ."""


def clauses_by_key(policy: Policy | None, rcps: Iterable[Policy]) -> Clauses:
    """Condition clauses by lower-cased key, over a resource policy and the RCPs: the cases an outsider's
    values must tell apart. A key a value refers to (`${aws:PrincipalAccount}`) is named too."""
    out: Clauses = {}
    for p in (policy, *rcps):
        if p is None or p.error or p.unknown is not None:
            continue
        for statement in p.statements:
            for clause in statement.conditions:
                texts = tuple(str(v) for v in clause.values)
                out.setdefault(clause.key.lower(), []).append((clause.operator, texts))
                for text in texts:
                    for name in _VARIABLE.findall(text):
                        out.setdefault(name.lower(), [])
    return out


IDENTIFYING = frozenset({
    "aws:principalarn", "aws:principaltype", "aws:principalaccount", "kms:calleraccount", "aws:principalisawsservice",
    "aws:principalorgid", "aws:principalorgpaths", "aws:userid", "aws:username", "aws:principalservicename",
    "aws:principalservicenameslist", "aws:sourceaccount", "aws:sourceowner", "aws:sourcearn", "aws:sourceorgid",
    "aws:sourceorgpaths", "aws:sourceip", "aws:vpcsourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:sourcevpcarn",
    "aws:vpceaccount", "aws:vpceorgid", "aws:vpceorgpaths", "s3:dataaccesspointaccount", "s3:dataaccesspointarn",
    "lambda:eventsourcetoken"})
"""The keys that say who the caller is, or for whom a service acts: the outsider's values, not its choice."""
ACCOUNT_BEARING = frozenset({"aws:principalarn", "aws:principalaccount", "kms:calleraccount", "aws:sourceaccount",
                             "aws:sourceowner", "aws:sourcearn", "s3:dataaccesspointaccount", "s3:dataaccesspointarn",
                             "aws:vpceaccount"})
"""Identifying keys whose value may name another account."""
ACCOUNT_KEYS = frozenset({"aws:principalaccount", "aws:sourceaccount", "aws:sourceowner", "kms:calleraccount",
                          "s3:dataaccesspointaccount", "aws:vpceaccount", "aws:resourceaccount"})


def accounts_named(clauses: Clauses) -> tuple[set[str], set[str]]:
    """Accounts the conditions name (in account keys and inside ARNs), and one account for each
    wildcard pattern of an account they hold (`2*` → `200000000000`): any account of that range."""
    named, ranges = set(), set()
    for key, clause_list in clauses.items():
        for _, values in clause_list:
            for value in values:
                named.update(ACCOUNT_IN_TEXT.findall(value))
                arn = parse_arn(value)
                pattern = value if key in ACCOUNT_KEYS else arn.account if arn is not None else ""
                if "*" in pattern or "?" in pattern:
                    ranges.add(_one_of(pattern))
    return named, ranges - {""}


def _one_of(pattern: str) -> str:
    """A 12-digit account a wildcard pattern matches ("" when none can)."""
    fixed = pattern.replace("*", "").replace("?", "0")
    if not fixed.isdigit() and fixed or len(fixed) > 12:
        return ""
    filled = pattern.replace("?", "0").replace("*", "0" * (12 - len(fixed)), 1).replace("*", "")
    return filled if len(filled) == 12 else ""


def orgs_named(policies: Iterable[Policy]) -> frozenset[str]:
    """Organisation ids the policies' conditions name."""
    return frozenset(org for p in policies for s in p.statements for c in s.conditions
                     for v in c.values for org in _ORG.findall(str(v)))


def service_of_sources(clauses: Clauses) -> str:
    """A service principal to try for `*`: the service of a source ARN the conditions name, else
    EventBridge (which can invoke a function for any account's rule)."""
    for _, values in clauses.get("aws:sourcearn", ()):
        for value in values:
            arn = parse_arn(value)
            if arn is not None and "*" not in arn.service:
                return f"{arn.service}.amazonaws.com"
    return "events.amazonaws.com"


def fresh_account(used: set[str]) -> str:
    """An account id nothing in the inputs names: any other account of AWS."""
    n = 0
    while f"{n:012d}" in used:
        n += 1
    return f"{n:012d}"


# -- the outsider's values, key by key ------------------------------------------------------------
_MEMO: dict[tuple, tuple] = {}
_MEMO_LIMIT = 8192  # entries kept before the memo starts afresh (a few MB at most)


def dimensions(probe: Probe, clauses: Clauses, zone, target: Target,
               url_auth: frozenset) -> tuple[list[list[dict]], tuple[str, ...]]:
    """Per identifying key (or group of keys that go together), the outsider's values to try: every
    representative for a key the conditions name, one value for a key they do not; and why those
    values may miss a case (empty when they are exact).

    They depend on nothing but the probe, the clauses (in the order met), the zone of trust, the
    target's account and its URLs' auth types, so they are found once per such content: the same
    outsider is tried on many policies with the same conditions, and again when a fix proof re-checks
    a changed copy of the model. The values are shared between callers, which only read them. Of the
    clauses the key holds only those on keys `_dimensions` reads (`READ`): a trust's `sts:ExternalId`,
    different on every partner's role, leaves the outsider's values alone and does not split the memo."""
    key = (probe, tuple((name, tuple(found)) for name, found in clauses.items()
                        if name in READ or name.startswith(TAG_KEYS)), zone, target.account, url_auth)
    found = _MEMO.get(key)
    if found is None:
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        found = _MEMO[key] = _dimensions(probe, clauses, zone, target.account, url_auth)
    return found


READ = IDENTIFYING | {"aws:securetransport", "aws:resourceaccount", "aws:resourceorgid", "lambda:invokedviafunctionurl"}
"""The keys whose clauses `_dimensions` (and the `OutsiderValues` it asks) reads, beside the principal's
tags (`TAG_KEYS`): the outsider's values depend on no other clause (tests/property/test_outsider_memo.py
records every key it looks up)."""
TAG_KEYS = "aws:principaltag/"


def _dimensions(probe: Probe, clauses: Clauses, zone, target_account: str,
                url_auth: frozenset) -> tuple[list[list[dict]], tuple[str, ...]]:
    dims: list[list[dict]] = []
    values = OutsiderValues(clauses, zone)

    def key(name: str, *options: tuple[str, ...]) -> None:
        dims.append([{name: o} for o in options] if name in clauses else [{name: options[0]}])

    kind, account = probe.caller_kind, probe.account
    signed = kind in (CallerKind.ROLE, CallerKind.USER, CallerKind.ROOT)
    if signed:
        key("aws:principalarn", *values.principal_arns(probe))
        key("aws:principaltype", ({CallerKind.ROLE: "AssumedRole", CallerKind.USER: "User",
                                   CallerKind.ROOT: "Account"}[kind],))
        for name in ("aws:principalaccount", "kms:calleraccount"):
            key(name, (account,))
        key("aws:principalisawsservice", ("false",))
        key("aws:principalorgid", ABSENT, *values.orgs("aws:principalorgid"))
        key("aws:principalorgpaths", ABSENT, *values.org_paths("aws:principalorgpaths"))
        key("aws:userid", *values.user_ids(f"AROA{account}OUTSIDER:outsider"))
        if kind is not CallerKind.USER:
            key("aws:username", ABSENT)
    else:
        for name in ("aws:principalarn", "aws:principalaccount", "kms:calleraccount", "aws:principalorgid",
                     "aws:principalorgpaths", "aws:username"):
            key(name, ABSENT)
    if not signed:  # only an IAM principal has tags of its own
        for name in clauses:
            if name.startswith(TAG_KEYS):
                key(name, ABSENT)
    if kind is CallerKind.ANYONE:
        key("aws:principaltype", ("Anonymous",))
        key("aws:principalisawsservice", ABSENT)
        key("aws:userid", ("anonymous",))
    if kind is CallerKind.SERVICE:
        key("aws:principalisawsservice", ("true",))
        key("aws:principalservicename", (probe.service,))
        key("aws:principalservicenameslist", (probe.service,))
        key("aws:securetransport", ("true",))  # a service calls another over TLS
        key("aws:principaltype", ABSENT)
        key("aws:userid", ABSENT)
        dims.append(values.sources(probe))
    else:
        for name in ("aws:principalservicename", "aws:principalservicenameslist"):
            key(name, ABSENT)
        for name in ("aws:sourceaccount", "aws:sourceowner", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths"):
            key(name, ABSENT)
    # the network: requests of a service come from AWS's, not from an endpoint or address of anyone's
    network = kind is not CallerKind.SERVICE
    key("aws:sourceip", *(values.addresses("aws:sourceip") if network else [ABSENT]))
    key("aws:vpcsourceip", ABSENT, *(values.addresses("aws:vpcsourceip") if network else []))
    for name in ("aws:sourcevpc", "aws:sourcevpce", "aws:sourcevpcarn"):
        key(name, ABSENT, *(values.other_than_named(name, None) if network else []))
    key("aws:vpceaccount", ABSENT, *([(account,)] if network and account else []))
    key("aws:vpceorgid", ABSENT, *(values.orgs("aws:vpceorgid") if network else []))
    key("aws:vpceorgpaths", ABSENT, *(values.org_paths("aws:vpceorgpaths") if network else []))
    key("s3:dataaccesspointaccount", ABSENT, *([(account,)] if signed else []))
    key("s3:dataaccesspointarn", ABSENT, *(values.arns_of("s3:dataaccesspointarn", account) if signed else []))
    key("lambda:eventsourcetoken", ABSENT, *values.other_than_named("lambda:eventsourcetoken", None))
    # the resource's side is the resource's: its account and organisation are the owner's
    if target_account:
        key("aws:resourceaccount", (target_account,))
    key("aws:resourceorgid", (values.own_org,))
    # a function URL: only a URL without IAM authentication lets an unsigned request through
    # (through a URL that requires IAM authentication, the caller needs lambda:InvokeFunctionUrl too,
    # which the function policy's own grant of it decides)
    via_url = "NONE" in url_auth
    key("lambda:invokedviafunctionurl", ABSENT, *([("true",)] if via_url else []))
    return [d for d in dims if d], tuple(values.lost)


def caller(probe: Probe, context: dict) -> Caller:
    """The caller a probe asks as, with the ARN its case gives it."""
    if probe.caller_kind is CallerKind.ANYONE:
        return Caller(kind=CallerKind.ANYONE, arn="*")
    if probe.caller_kind is CallerKind.SERVICE:
        return Caller(kind=CallerKind.SERVICE, arn=probe.service)
    arn = (context.get("aws:principalarn") or (probe.arn or f"arn:aws:iam::{probe.account}:root",))[0]
    if probe.caller_kind is CallerKind.ROOT:
        return Caller(kind=CallerKind.ROOT, arn=f"arn:aws:iam::{probe.account}:root", account=probe.account,
                      identity=None)
    return Caller(kind=probe.caller_kind, arn=arn, account=probe.account, identity=None,
                  name=arn.rsplit("/", 1)[-1])


SHOWN = ("aws:principalorgid", "aws:principalorgpaths", "aws:sourceorgid", "aws:sourcevpce", "aws:sourcevpc",
         "aws:sourceip", "aws:vpceaccount", "s3:dataaccesspointaccount", "s3:dataaccesspointarn",
         "lambda:invokedviafunctionurl")


def describe(probe: Probe, context: dict, mentioned: Clauses) -> str:
    """Who the outsider is, with the identifying values the conditions asked about."""
    if probe.kind == "anonymous":
        who = "an anonymous request"
    elif probe.caller_kind is CallerKind.SERVICE:
        source = context.get("aws:sourcearn")
        named = {v for _, vals in mentioned.get("aws:sourcearn", ()) for v in vals}  # a made-up ARN is not shown
        who = f"{probe.service} acting for account {probe.account}" + (
            f" ({source[0]})" if source and source[0] in named else "") \
            if context.get("aws:sourceaccount") else f"{probe.service} acting for a source it does not name"
    elif probe.arn or probe.caller_kind is CallerKind.ROOT or "aws:principalarn" in mentioned:
        who = caller(probe, context).arn
    else:
        who = f"a principal of account {probe.account}"
    who = f"{who} (any other account)" if probe.kind == "any-account" else who
    shown = [f"{k} {' | '.join(v)}" for k, v in context.items() if k in SHOWN and k in mentioned and v]
    return who + (f" with {', '.join(shown)}" if shown else "")


def describe_condition(entry: ConditionEntry) -> str:
    """One condition entry of an answer, as a finding's message says it."""
    if isinstance(entry, OnUnknown):
        return f"unknown: {entry.reason}"
    negated = "not " if entry.effect == "Deny" else ""
    return f"{negated}{entry.operator} {entry.key} {' | '.join(entry.values)}"
