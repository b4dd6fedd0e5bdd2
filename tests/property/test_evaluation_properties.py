"""Property tests of the evaluator (`permcheck.iam.decide.evaluate`) over small random policies.

A *scenario* is one request and every policy AWS consults for it: the caller's identity
policies and permissions boundary, the target's resource policy, the organisation's SCPs and
RCP. Policies are plain JSON statement dicts over a small alphabet of actions, resources,
principals and condition keys (each key belongs to one operator family), parsed with
`parse_policy`, so a failing scenario prints as readable JSON.

Decisions are ordered allowed > conditional > denied. A *concrete context* fixes every
condition key of the scenario (a value drawn from the policies' literals, a variant of one, a
fresh value, or absent) and is evaluated with `closed=True`; the set of concrete contexts that
are allowed is how two `conditional` answers are compared (CONTRACT.md, "Decisions").

Properties:
  (a) adding a Deny statement anywhere never widens access;
  (b) adding an Allow statement to a policy that exists (or as a new identity or resource
      policy) never narrows access;
  (c) the order of statements within a policy, and of identity policies and SCPs, never
      changes the decision (nor the set of conditions listed);
  (d) `wildcard_match` (and StringLike's `like_matches`) agree with reference matchers;
  (e) a `conditional` answer is decided once every key it lists is given in
      `Request.context`; with `closed=True` nothing is `conditional` unless an
      `{"unknown": ...}` entry says why;
  (f) `allowed` / `denied` hold for every concrete context, and a `conditional` answer has a
      concrete context of each kind.

Generation: Hypothesis draws one integer per scenario and `random.Random(seed)` builds the
scenario from it. Hypothesis's own choices lean hard towards their first option and it
repeats examples, which left most scenarios `denied` and only a third of them distinct; a
seeded PRNG gives every example a fresh, balanced scenario. Hypothesis cannot shrink those,
so a failing scenario is shrunk by `minimise` (dropping policies, statements, conditions and
list entries while the property still fails) before it is reported.
"""

from __future__ import annotations

import copy
import fnmatch
import ipaddress
import itertools
import os
import random
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from decimal import Decimal
from typing import Callable, Iterator, Optional

from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

from permcheck.iam.conditions import like_matches
from permcheck.iam.decide import Answer, Decision, Organisation, evaluate
from permcheck.iam.answer import OnClause, OnUnknown
from permcheck.iam.match import wildcard_match
from permcheck.iam.request import Caller, CallerKind, Request, Target
from permcheck.load.managed import unknown_policy
from permcheck.load.policy_doc import parse_policy
from permcheck.model.arn import root_arn
from permcheck.model.location import Location
from permcheck.model.policy import Policy, PolicyKind

# PERMCHECK_PROPERTY_EXAMPLES=5000 runs a deeper search (about 2 minutes) than CI's default.
EXAMPLES = int(os.environ.get("PERMCHECK_PROPERTY_EXAMPLES", "200"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None)

# -- the alphabet ---------------------------------------------------------------------------

ACCOUNT = "111111111111"
OTHER = "222222222222"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s1"
OTHER_ROLE = f"arn:aws:iam::{OTHER}:role/partner"
SERVICE = "sns.amazonaws.com"

OBJECT = "arn:aws:s3:::data-bucket/report.csv"
SECRET = "arn:aws:s3:::data-bucket/secret.txt"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"
OTHER_QUEUE = f"arn:aws:sqs:us-east-1:{OTHER}:q"
PARTNER_OBJECT = "arn:aws:s3:::partner-bucket/x"
REQUESTS = [  # (action, (resource, its account)): mostly the caller's account, sometimes another
    ("s3:GetObject", (OBJECT, ACCOUNT)), ("s3:GetObject", (OBJECT, ACCOUNT)), ("s3:GetObject", (SECRET, ACCOUNT)),
    ("s3:PutObject", (OBJECT, ACCOUNT)), ("sqs:SendMessage", (QUEUE, ACCOUNT)),
    ("sqs:SendMessage", (OTHER_QUEUE, OTHER)), ("s3:GetObject", (PARTNER_OBJECT, OTHER)),
    ("sqs:SendMessage", (OBJECT, ACCOUNT))]

ACTION_PATTERNS = ["s3:GetObject", "s3:Get*", "s3:*", "sqs:SendMessage", "*", "S3:getobject",
                   "s3:Get?bject", "sqs:*", "s3:PutObject"]
RESOURCE_PATTERNS = ["*", OBJECT, "arn:aws:s3:::data-bucket/*", "arn:aws:s3:::*/report.csv", QUEUE,
                     f"arn:aws:sqs:*:{ACCOUNT}:*", "arn:aws:s3:::data-bucket/report.cs?", OTHER_QUEUE,
                     "arn:aws:s3:::partner-bucket/*"]
AWS_PRINCIPALS = [ROLE, ACCOUNT, root_arn(ACCOUNT), root_arn(OTHER), OTHER_ROLE, SESSION]
OWN_PRINCIPALS = {  # how a resource policy may name each kind of caller
    "role": [{"AWS": ROLE}, {"AWS": ACCOUNT}], "session": [{"AWS": SESSION}, {"AWS": ROLE}],
    "other_known": [{"AWS": OTHER_ROLE}, {"AWS": root_arn(OTHER)}],
    "other_unknown": [{"AWS": OTHER_ROLE}, {"AWS": OTHER}], "root": [{"AWS": root_arn(ACCOUNT)}],
    "service": [{"Service": SERVICE}], "anyone": ["*"],
}
CALLERS = ["role", "role", "session", "other_known", "other_unknown", "root", "service", "anyone"]
HAS_IDENTITY = ("role", "session", "other_known")

KEYS = {  # condition key -> operator family
    "aws:SourceAccount": "string",
    "aws:PrincipalAccount": "string",  # fixed by role and root callers; also a policy variable
    "aws:SecureTransport": "bool",
    "s3:max-keys": "numeric",
    "aws:TagKeys": "multi",
    "aws:PrincipalTag/team": "tag",  # also a policy variable in a Resource pattern
    "aws:SourceIp": "ip",
    "aws:CurrentTime": "date",
}
TEAM = "aws:PrincipalTag/team"
TEAM_RESOURCE = "arn:aws:s3:::data-bucket/${aws:PrincipalTag/team}.csv"
PRINCIPAL_ACCOUNT_VARIABLE = "${aws:PrincipalAccount}"
OPERATORS = {
    "string": ["StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIfExists",
               "StringNotEqualsIfExists", "StringLikeIfExists", "StringNotLikeIfExists",
               "StringEqualsIgnoreCase", "Null"],
    "bool": ["Bool", "BoolIfExists", "Null"],
    "numeric": ["NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericEquals",
                "NumericNotEquals", "NumericLessThanIfExists", "NumericGreaterThanEqualsIfExists", "Null"],
    "multi": ["ForAnyValue:StringEquals", "ForAllValues:StringEquals", "ForAnyValue:StringLike",
              "ForAllValues:StringNotLike", "ForAnyValue:StringNotEquals", "ForAllValues:StringLike", "Null"],
    "tag": ["StringEquals", "StringNotEquals", "StringLike", "StringNotLikeIfExists"],
    "ip": ["IpAddress", "NotIpAddress", "IpAddressIfExists", "NotIpAddressIfExists", "Null"],
    "date": ["DateLessThan", "DateGreaterThanEquals", "DateEquals", "DateNotEquals", "DateLessThanIfExists", "Null"],
}
VALUES = {
    "string": [ACCOUNT, OTHER, "1111*", "22222222222?", "*"],
    "bool": ["true", "false"],
    "numeric": ["10", "100", "2.5"],
    "multi": ["team", "env", "cost*"],
    "tag": ["report", "blue", "rep*"],
    "ip": ["10.0.0.0/8", "10.1.0.0/16", "192.168.1.1", "2001:db8::/32"],
    "date": ["2024-01-01T00:00:00Z", "2030-06-01", "1700000000"],
}
FRESH = {"string": "333333333333", "bool": "maybe", "numeric": "not-a-number", "multi": "fresh", "tag": "fresh",
         "ip": "not-an-address", "date": "not-a-date"}


FULL_ACCESS = {"Effect": "Allow", "Action": "*", "Resource": "*"}  # AWS's FullAWSAccess
ADDED = "added"  # the Sid that marks the statement a monotonicity test adds
LOC = Location("property.json", 1)
KIND = PolicyKind
RANK = {Decision.DENIED: 0, Decision.CONDITIONAL: 1, Decision.ALLOWED: 2}


# -- scenarios --------------------------------------------------------------------------------

def parse(statements: list[dict], kind: PolicyKind, name: str) -> Policy:
    parsed = parse_policy({"Version": "2012-10-17", "Statement": copy.deepcopy(list(statements))},
                          name=name, kind=kind, location=LOC)
    assert parsed.error is None, parsed.error
    return parsed


@dataclass
class Scenario:
    """One request with its policies, kept as statement dicts (readable when a test fails)."""

    caller: str
    action: str
    target: tuple[str, str]  # (ARN, account)
    keys: list[str]
    identity: list[list[dict]] = field(default_factory=list)
    boundary: Optional[list[dict]] = None
    resource: Optional[list[dict]] = None
    required: bool = False  # the resource policy must consent (as a KMS key policy does)
    scps: list[list[dict]] = field(default_factory=list)
    rcp: Optional[list[dict]] = None
    org_accounts: tuple[str, ...] = (ACCOUNT,)
    unknown_identity: bool = False  # one more identity policy whose content is unknown

    def make_caller(self) -> Caller:
        identity = tuple(parse(p, KIND.IDENTITY, f"identity{i}") for i, p in enumerate(self.identity))
        if self.unknown_identity:
            identity += (unknown_policy(f"arn:aws:iam::{ACCOUNT}:policy/mystery", KIND.IDENTITY, "not in the inputs"),)
        boundary = None if self.boundary is None else parse(self.boundary, KIND.BOUNDARY, "boundary")
        if self.caller == "role":
            return Caller(CallerKind.ROLE, ROLE, ACCOUNT, identity=identity, boundary=boundary)
        if self.caller == "session":
            return Caller(CallerKind.ROLE, ROLE, ACCOUNT, session_arn=SESSION, identity=identity, boundary=boundary)
        if self.caller == "other_known":
            return Caller(CallerKind.ROLE, OTHER_ROLE, OTHER, identity=identity, boundary=boundary)
        if self.caller == "other_unknown":
            return Caller(CallerKind.ROLE, OTHER_ROLE, OTHER, identity=None)
        if self.caller == "root":
            return Caller(CallerKind.ROOT, root_arn(ACCOUNT), ACCOUNT, identity=())
        if self.caller == "service":
            return Caller(CallerKind.SERVICE, SERVICE)
        return Caller(CallerKind.ANYONE, "*")

    def compiled(self) -> tuple[Request, Organisation]:
        """The parsed request and organisation, cached (change a scenario through `copy()`)."""
        cached = self.__dict__.get("_compiled")
        if cached is None:
            arn, account = self.target
            policy = None if self.resource is None else parse(self.resource, KIND.RESOURCE, "resource policy")
            target = Target(arn=arn, account=account, policy=policy, policy_required=self.required)
            org = Organisation(scps=tuple(parse(p, KIND.SCP, f"scp{i}") for i, p in enumerate(self.scps)),
                               rcps=() if self.rcp is None else (parse(self.rcp, KIND.RCP, "rcp"),),
                               accounts=frozenset(self.org_accounts))
            request = Request(caller=self.make_caller(), action=self.action, target=target)
            cached = self.__dict__["_compiled"] = (request, org)
        return cached

    def copy(self) -> "Scenario":
        out = copy.deepcopy(self)
        out.__dict__.pop("_compiled", None)
        return out

    def decide(self, context: Optional[dict] = None, closed: bool = False) -> Answer:
        request, org = self.compiled()
        return evaluate(replace(request, context=dict(context or {}), closed=closed), org)

    def policies(self) -> list[list[dict]]:
        return [p for p in [*self.identity, self.boundary, self.resource, *self.scps, self.rcp] if p is not None]

    def all_statements(self) -> list[dict]:
        return [s for p in self.policies() for s in p]

    def without_added(self) -> "Scenario":
        """The scenario before the `ADDED` statement was put in (a policy it made is dropped)."""
        out = self.copy()
        strip = lambda p: [s for s in p if s.get("Sid") != ADDED]  # noqa: E731
        for name in ("identity", "scps"):
            setattr(out, name, [strip(p) for p in getattr(out, name) if strip(p) or not p])
        for name in ("boundary", "resource", "rcp"):
            policy = getattr(out, name)
            if policy is not None:
                setattr(out, name, strip(policy) or None)
        return out


@dataclass(frozen=True)
class Focus:
    """The request a scenario is about: its parts are picked more often than other values."""

    action: str = "s3:GetObject"
    resource: str = OBJECT
    caller: str = "role"


class Picker:
    """Seeded random choices."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pick(self, options):
        return self.rng.choice(options)

    def one_in(self, k: int) -> bool:
        return self.rng.randrange(k) == 0

    def some(self, options, most: int = 2) -> list:
        return list(dict.fromkeys(self.pick(options) for _ in range(self.rng.randint(1, most))))


def make_conditions(p: Picker, keys: list[str]) -> dict:
    out: dict = {}
    for _ in range(p.pick([0, 0, 0, 1, 1, 2])):
        key = p.pick(keys)
        family = KEYS[key]
        operator = p.pick(OPERATORS[family])
        pool = VALUES[family]
        if family == "string" and key != "aws:PrincipalAccount" and "aws:PrincipalAccount" in keys:
            pool = pool + [PRINCIPAL_ACCOUNT_VARIABLE]
        values = p.some(["true", "false"] if operator == "Null" else pool)
        out.setdefault(operator, {})[key] = values if len(values) > 1 else values[0]
    return out


def make_principal(p: Picker, effect: str, caller: str) -> tuple[str, object]:
    element = "NotPrincipal" if effect == "Deny" and p.one_in(6) else "Principal"
    choice = p.pick(range(8))
    if choice >= 6:  # the caller, as a policy would name it
        return element, p.pick(OWN_PRINCIPALS[caller])
    if choice == 5 and element == "Principal":
        return element, "*"
    value: dict = {}
    if choice != 4:
        aws = p.some(AWS_PRINCIPALS)
        value["AWS"] = aws if len(aws) > 1 else aws[0]
    if choice in (3, 4):
        value["Service"] = SERVICE
    return element, value


def make_statement(p: Picker, kind: PolicyKind, keys: list[str], focus: Focus, effect: Optional[str] = None) -> dict:
    effect = effect or p.pick(["Allow"] * 5 + ["Deny"])
    out: dict = {"Effect": effect}
    if kind is KIND.RCP:
        out["Principal"] = "*"
    elif kind is KIND.RESOURCE:
        element, value = make_principal(p, effect, focus.caller)
        out[element] = value
    actions = p.some(ACTION_PATTERNS + [focus.action] * 6)
    resources = p.some(RESOURCE_PATTERNS + [focus.resource] * 6 + ([TEAM_RESOURCE] * 4 if TEAM in keys else []))
    out["NotAction" if p.one_in(7) else "Action"] = actions
    out["NotResource" if p.one_in(7) else "Resource"] = resources
    condition = make_conditions(p, keys)
    if condition:
        out["Condition"] = condition
    return out


def make_scenario(seed: int, unknowns: bool = False) -> Scenario:
    p = Picker(seed)
    # a policy variable ties the two account keys together: that pair comes up more often
    keys = ["aws:SourceAccount", "aws:PrincipalAccount"] if p.one_in(5) else p.some(sorted(KEYS))
    caller = p.pick(CALLERS)
    action, target = p.pick(REQUESTS)
    focus = Focus(action, target[0], caller)

    def policy(kind: PolicyKind) -> list[dict]:
        limiting = kind in (KIND.SCP, KIND.BOUNDARY, KIND.RCP)  # fewer statements: each may deny
        count = p.pick([0, 1, 1, 2] if limiting else [1, 1, 2, 3])
        statements = [make_statement(p, kind, keys, focus) for _ in range(count)]
        if kind in (KIND.SCP, KIND.BOUNDARY) and (not statements or not p.one_in(4)):
            statements.insert(p.pick(range(len(statements) + 1)), dict(FULL_ACCESS))
        return statements or [make_statement(p, kind, keys, focus)]

    has_identity = caller in HAS_IDENTITY
    return Scenario(
        caller=caller, action=action, target=target, keys=keys,
        identity=[policy(KIND.IDENTITY) for _ in range(p.pick([0, 1, 1, 2]) if has_identity else 0)],
        boundary=policy(KIND.BOUNDARY) if has_identity and p.one_in(3) else None,
        resource=policy(KIND.RESOURCE) if p.rng.random() < (0.5 if has_identity or caller == "root" else 0.8) else None,
        required=p.one_in(8),
        scps=[policy(KIND.SCP) for _ in range(p.pick([0, 0, 0, 1, 1, 2]))],
        rcp=policy(KIND.RCP) if p.one_in(4) else None,
        org_accounts=p.pick([(ACCOUNT,), (ACCOUNT, OTHER)]),
        unknown_identity=unknowns and has_identity and p.one_in(2),
    )


def with_added(scn: Scenario, seed: int, effect: str) -> Scenario:
    """`scn` with one more statement of `effect` (Sid `ADDED`) somewhere.

    A Deny may go anywhere, in a new policy too; an Allow goes into a policy that exists, or
    into a new identity or resource policy (a new boundary or SCP holding only an Allow would
    limit, not add).
    """
    p = Picker(seed)
    places: list[tuple] = [("resource",), ("rcp",)]
    if scn.caller in HAS_IDENTITY:
        places += [("identity", i) for i in range(len(scn.identity))] + [("identity", None)]
        if scn.boundary is not None or effect == "Deny":
            places.append(("boundary",))
    places += [("scp", i) for i in range(len(scn.scps))]
    if effect == "Deny":
        places.append(("scp", None))
    place = p.pick(places)
    kind = {"resource": KIND.RESOURCE, "rcp": KIND.RCP, "identity": KIND.IDENTITY, "boundary": KIND.BOUNDARY,
            "scp": KIND.SCP}[place[0]]
    new = {"Sid": ADDED, **make_statement(p, kind, scn.keys, Focus(scn.action, scn.target[0], scn.caller), effect)}
    out = scn.copy()

    def insert(policy: Optional[list[dict]]) -> list[dict]:
        policy = list(policy or [])
        policy.insert(p.pick(range(len(policy) + 1)), new)
        return policy

    if place[0] in ("resource", "rcp", "boundary"):
        setattr(out, place[0], insert(getattr(out, place[0])))
    else:
        policies = out.identity if place[0] == "identity" else out.scps
        if place[1] is None:
            policies.insert(p.pick(range(len(policies) + 1)), [new])
        else:
            policies[place[1]] = insert(policies[place[1]])
    return out


SEED = st.integers(0, 2**64 - 1)
scenarios = SEED.map(make_scenario)
scenarios_with_unknowns = SEED.map(lambda seed: make_scenario(seed, unknowns=True))


# -- shrinking a failing scenario -------------------------------------------------------------

def _simpler(scn: Scenario) -> Iterator[Scenario]:
    """Scenarios one step simpler than `scn` (the `ADDED` statement is kept)."""
    for name in ("boundary", "resource", "rcp"):
        policy = getattr(scn, name)
        if policy is not None and not any(s.get("Sid") == ADDED for s in policy):
            out = scn.copy()
            setattr(out, name, None)
            yield out
    for name in ("identity", "scps"):
        for i, policy in enumerate(getattr(scn, name)):
            if not any(s.get("Sid") == ADDED for s in policy):
                out = scn.copy()
                del getattr(out, name)[i]
                yield out
    for pi, policy in enumerate(scn.policies()):
        for si, statement in enumerate(policy):
            if len(policy) > 1 and statement.get("Sid") != ADDED:
                out = scn.copy()
                del out.policies()[pi][si]
                yield out
            for element in ("Action", "NotAction", "Resource", "NotResource"):
                if isinstance(statement.get(element), list) and len(statement[element]) > 1:
                    for keep in statement[element]:
                        out = scn.copy()
                        out.policies()[pi][si][element] = [keep]
                        yield out
            for operator, block in (statement.get("Condition") or {}).items():
                out = scn.copy()
                condition = out.policies()[pi][si]["Condition"]
                del condition[operator]
                if not condition:
                    del out.policies()[pi][si]["Condition"]
                yield out
                for key, values in block.items():
                    if isinstance(values, list):
                        for keep in values:
                            out = scn.copy()
                            out.policies()[pi][si]["Condition"][operator][key] = keep
                            yield out
    for name, simple in (("required", False), ("unknown_identity", False), ("org_accounts", (ACCOUNT,))):
        if getattr(scn, name) != simple:
            out = scn.copy()
            setattr(out, name, simple)
            yield out


def minimise(scn: Scenario, holds: Callable[[Scenario], None]) -> Scenario:
    """A smallest simplification of `scn` for which `holds` still raises AssertionError."""
    progress = True
    while progress:
        progress = False
        for candidate in _simpler(scn):
            try:
                holds(candidate)
            except AssertionError:
                scn, progress = candidate, True
                break
    return scn


def check(scn: Scenario, holds: Callable[[Scenario], None]) -> None:
    """Run `holds(scn)`; on failure, report the minimised scenario with its assertion."""
    try:
        holds(scn)
    except AssertionError:
        small = minimise(scn, holds)
        try:
            holds(small)
        except AssertionError as error:
            raise AssertionError(f"{error}\nminimal scenario:\n{small!r}") from None
        raise


# -- concrete contexts ------------------------------------------------------------------------

def _number(text: str) -> Optional[Decimal]:
    try:
        return Decimal(text)
    except Exception:
        return None


def _epoch(text: str) -> int:
    if text.isdigit():
        return int(text)
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int((when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp())


def key_values(key: str, statements: list[dict]) -> list[tuple[str, ...]]:
    """Present values of `key` that a request may carry: policy literals, variants, a fresh one.

    Literals are shared by the keys of one family: a policy variable compares one key with
    another (`aws:SourceAccount` equal to `${aws:PrincipalAccount}`)."""
    family = KEYS[key]
    literals: list[str] = []
    for s in statements:
        for operator, block in (s.get("Condition") or {}).items():
            for other, values in block.items():
                if operator != "Null" and KEYS.get(other) == family:
                    literals += values if isinstance(values, list) else [values]
    singles: list[str] = []
    for literal in literals:
        if family in ("string", "multi", "tag"):  # the literal itself, and strings its wildcards match
            singles += [literal, literal.replace("*", "").replace("?", "q"), literal.replace("*", "zz").replace("?", "9")]
        elif family == "numeric":
            n = _number(literal)
            singles += [literal] if n is None else [str(n - 1), str(n), str(n + 1)]
        elif family == "ip":  # each end of the block, and the addresses just outside it
            net = ipaddress.ip_network(literal, strict=False)
            ends = [int(net.network_address) - 1, int(net.network_address), int(net.broadcast_address),
                    int(net.broadcast_address) + 1]
            singles += [str(ipaddress.ip_address(i) if net.version == 4 else ipaddress.IPv6Address(i)) for i in ends]
        elif family == "date":  # the literal, and a second either side of it (epoch seconds)
            when = _epoch(literal)
            singles += [literal, str(when - 1), str(when + 1)]
        else:
            singles.append(literal)
    if family == "bool":
        singles += ["true", "false"]
    if family == "string":  # the accounts: what `${aws:PrincipalAccount}` stands for
        singles += [ACCOUNT, OTHER]
    if family == "tag":  # the variable in TEAM_RESOURCE: "report" makes it match OBJECT
        singles += VALUES["tag"]
    singles = list(dict.fromkeys(singles + [FRESH[family]]))
    out = [(v,) for v in singles]
    if family == "multi":
        out += list(itertools.combinations(singles, 2))
    return out


GRID_LIMIT = 150


def concrete_contexts(scns: list[Scenario], given: Optional[dict] = None) -> tuple[list[dict], bool]:
    """Contexts fixing every key that the caller does not fix (absent included) and that
    `given` does not fix already, and whether the grid is complete (past GRID_LIMIT
    combinations, a fixed sample is used)."""
    given = given or {}
    statements = [s for scn in scns for s in scn.all_statements()]
    fixed = scns[0].make_caller().known_context()
    keys = [k for k in scns[0].keys if k.lower() not in fixed and k.lower() not in given]
    axes = [[None] + key_values(k, statements) for k in keys]
    grid = [{**given, **{k.lower(): v for k, v in zip(keys, combo) if v is not None}}
            for combo in itertools.product(*axes)]
    if len(grid) > GRID_LIMIT:
        return [grid[0]] + random.Random(len(grid)).sample(grid[1:], GRID_LIMIT - 1), False
    return grid, True


def allowed_contexts(scn: Scenario, grid: list[dict], maybe: bool = False) -> set[int]:
    """Contexts allowed for sure; with `maybe`, also those left open by an unknown (the only way
    a closed context stays conditional, e.g. a NotPrincipal that lists part of the caller)."""
    out = set()
    for i, context in enumerate(grid):
        answer = scn.decide(context, closed=True)
        open_ = answer.decision is Decision.CONDITIONAL
        assert not open_ or has_unknown(answer), ("conditional in a closed context", context, answer)
        if answer.decision is Decision.ALLOWED or (maybe and open_):
            out.add(i)
    return out


def has_unknown(answer: Answer) -> bool:
    return any(isinstance(c, OnUnknown) for c in answer.conditions)


# -- (a), (b): monotonicity ---------------------------------------------------------------------

def no_wider(narrow: Scenario, wide: Scenario, what: str) -> None:
    """`narrow` never allows more than `wide`: by decision, and context by context."""
    a, b = narrow.decide(), wide.decide()
    assert RANK[a.decision] <= RANK[b.decision], (what, a.decision.value, "should not exceed", b.decision.value)
    grid, _ = concrete_contexts([narrow, wide])
    extra = [grid[i] for i in sorted(allowed_contexts(narrow, grid) - allowed_contexts(wide, grid, maybe=True))]
    assert not extra, (what, "allowed only in the narrower scenario, for contexts", extra[:3])


def deny_never_widens(scn: Scenario) -> None:
    no_wider(scn, scn.without_added(), f"with the Deny of Sid {ADDED!r} / without it:")


def allow_never_narrows(scn: Scenario) -> None:
    no_wider(scn.without_added(), scn, f"without the Allow of Sid {ADDED!r} / with it:")


@SETTINGS
@given(scenarios, SEED)
def test_adding_a_deny_never_widens(scn, seed):
    check(with_added(scn, seed, "Deny"), deny_never_widens)


@SETTINGS
@given(scenarios, SEED)
def test_adding_an_allow_never_narrows(scn, seed):
    check(with_added(scn, seed, "Allow"), allow_never_narrows)


# -- (c): order -----------------------------------------------------------------------------------

def _conditions_set(answer: Answer) -> set[str]:
    return {repr(c) for c in answer.conditions}


def shuffled(scn: Scenario, seed: int) -> Scenario:
    rng, out = random.Random(seed), scn.copy()
    perm = lambda items: rng.sample(items, len(items))  # noqa: E731
    out.identity = perm([perm(p) for p in out.identity])
    out.scps = perm([perm(p) for p in out.scps])
    for name in ("boundary", "resource", "rcp"):
        if getattr(out, name) is not None:
            setattr(out, name, perm(getattr(out, name)))
    return out


@SETTINGS
@given(scenarios_with_unknowns, SEED)
def test_statement_and_policy_order_never_changes_the_decision(scn, seed):
    def holds(s: Scenario) -> None:
        other = shuffled(s, seed)
        a, b = s.decide(), other.decide()
        assert a.decision is b.decision, (a.decision.value, b.decision.value, "after reordering to", other)
        assert _conditions_set(a) == _conditions_set(b), (a.conditions, b.conditions)
        assert s.decide(closed=True).decision is other.decide(closed=True).decision
    check(scn, holds)


# -- (d): wildcard matching -------------------------------------------------------------------

def reference_fnmatch(pattern: str, value: str, ignore_case: bool) -> bool:
    """fnmatch's translation, with `[` escaped so that it is literal as in IAM."""
    regex = fnmatch.translate(pattern.replace("[", "[[]"))
    return re.match(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def reference_dp(pattern: str, value: str, ignore_case: bool) -> bool:
    """Textbook dynamic programming: `*` any run, `?` one character, others literal."""
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    n = len(value)
    reach = [True] + [False] * n  # reach[j]: the pattern so far matches value[:j]
    for c in pattern:
        if c == "*":
            for j in range(1, n + 1):
                reach[j] = reach[j] or reach[j - 1]
        else:
            reach = [False] + [reach[j - 1] and (c == "?" or c == value[j - 1]) for j in range(1, n + 1)]
    return reach[n]


META = list("*?*?.^$+()[]{}|\\:/-")
ASCII = st.text(alphabet=st.sampled_from(list("abAB:s3") + META), max_size=8)  # actions are ASCII
WIDE = st.text(alphabet=st.sampled_from(list("abAB\n\u00e9\u00c9\u00df") + META), max_size=8)
FILLER = st.text(alphabet=st.sampled_from(list("ab*?.[")), max_size=3)
ONE = st.sampled_from("a?.")


@st.composite
def pattern_and_value(draw, text) -> tuple[str, str]:
    pattern = draw(text)
    if draw(st.booleans()):  # a value built from the pattern, so that matches are common
        value = "".join(draw(FILLER) if c == "*" else draw(ONE) if c == "?" else c for c in pattern)
        if draw(st.booleans()):
            value = value.swapcase()
    else:
        value = draw(text)
    return pattern, value


@settings(max_examples=300, deadline=None)
@given(pattern_and_value(ASCII), st.booleans())
@example(("s3:Get*", "S3:GETOBJECT"), True)
@example(("a[b]*", "a[b]c"), False)
@example(("a.b", "axb"), False)
@example(("*", "\n"), False)
@example(("a?", "a\n"), False)
def test_wildcard_match_agrees_with_references(pv, ignore_case):
    pattern, value = pv
    expected = reference_dp(pattern, value, ignore_case)
    assert reference_fnmatch(pattern, value, ignore_case) == expected
    assert wildcard_match(pattern, value, ignore_case) == expected


@settings(max_examples=200, deadline=None)
@given(pattern_and_value(WIDE))
@example(("\u00e9*", "\u00c9x"))
@example(("(a|b)*", "(a|b)"))
def test_case_sensitive_matching_agrees_with_references(pv):
    pattern, value = pv
    expected = reference_dp(pattern, value, False)
    assert reference_fnmatch(pattern, value, False) == expected
    assert wildcard_match(pattern, value) == expected
    assert like_matches(pattern, value) == expected  # StringLike: the same wildcard language


# -- (e): conditional answers are decided by their keys; closed contexts ------------------------------

def listed_keys_decide(scn: Scenario, choice: int) -> None:
    answer = scn.decide()
    if answer.decision is not Decision.CONDITIONAL or has_unknown(answer):
        return
    listed = sorted({c.key.lower() for c in answer.conditions})
    statements, context = scn.all_statements(), {}
    for i, key in enumerate(listed):
        canonical = next(k for k in KEYS if k.lower() == key)
        values = key_values(canonical, statements)
        context[key] = values[random.Random(choice + i).randrange(len(values))]
    decided = scn.decide(context)
    assert decided.decision is not Decision.CONDITIONAL, (
        "still conditional with every listed key given", context, answer.conditions)
    assert decided.decision is scn.decide(context, closed=True).decision


@SETTINGS
@given(scenarios, SEED)
@example(make_scenario(164890), 0)  # a value's ${aws:PrincipalAccount} was an open key not listed
def test_supplying_every_listed_key_decides_a_conditional_answer(scn, choice):
    check(scn, lambda s: listed_keys_decide(s, choice))


def closed_is_decided(scn: Scenario) -> None:
    answer = scn.decide(closed=True)
    if answer.decision is Decision.CONDITIONAL:
        assert has_unknown(answer), ("conditional in a closed context, without an unknown", answer.conditions)
        assert scn.unknown_identity or any(isinstance(c, OnUnknown) and "NotPrincipal" in c.reason for c in answer.conditions)


@SETTINGS
@given(scenarios_with_unknowns)
def test_closed_context_is_never_conditional_without_an_unknown(scn):
    check(scn, closed_is_decided)


# -- (f): soundness (and completeness) over concrete contexts ------------------------------------

def partial_context(scn: Scenario, seed: int) -> dict:
    """Some of the scenario's open keys (none, some or all), each with a present value."""
    rng, statements = random.Random(seed), scn.all_statements()
    fixed = scn.make_caller().known_context()
    out = {}
    for key in scn.keys:
        if key.lower() not in fixed and rng.random() < 0.4:
            out[key.lower()] = rng.choice(key_values(key, statements))
    return out


def sound(scn: Scenario, given: dict) -> None:
    answer = scn.decide(given)
    grid, complete = concrete_contexts([scn], given)
    allowed = allowed_contexts(scn, grid)
    if answer.decision is not Decision.CONDITIONAL:
        assert allowed_contexts(scn, grid, maybe=True) == allowed, "a decided answer has no open context"
    if answer.decision is Decision.ALLOWED:
        assert allowed == set(range(len(grid))), ("allowed, but denied for contexts",
                                                  [grid[i] for i in range(len(grid)) if i not in allowed][:3])
    elif answer.decision is Decision.DENIED:
        assert not allowed, ("denied, but allowed for contexts", [grid[i] for i in sorted(allowed)][:3])
    elif complete and not has_unknown(answer):  # the grid holds a witness of each kind
        assert 0 < len(allowed) < len(grid), ("conditional, but every concrete context decides alike",
                                              given, answer.conditions)


@SETTINGS
@given(scenarios, SEED)
@example(scn=make_scenario(408436), seed=0)  # two open keys tied by ${aws:PrincipalAccount}: equal values untried
def test_decisions_are_sound_over_concrete_contexts(scn, seed):
    """With some keys given in the request context (or none), an `allowed` or `denied` answer
    holds for every concrete context that agrees with them, and `conditional` is witnessed."""
    check(scn, lambda s: sound(s, partial_context(s, seed)))


# -- bugs found by these properties: their minimal cases, kept as regression tests ------------------------------

ONLY_EXAMPLES = settings(phases=[Phase.explicit], deadline=None)
SA_IS_PA = {"StringEquals": {"aws:SourceAccount": PRINCIPAL_ACCOUNT_VARIABLE}}


@ONLY_EXAMPLES
@given(scenarios, st.just({}))
@example(Scenario(caller="role", action="s3:GetObject", target=(OBJECT, ACCOUNT), keys=["aws:SourceAccount"],
                  identity=[[{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": SA_IS_PA}]]),
         {})
def test_regression_condition_value_variable_fixed_by_the_caller(scn, given):
    sound(scn, given)


@ONLY_EXAMPLES
@given(scenarios, st.just({}))
@example(Scenario(caller="role", action="s3:GetObject", target=(OBJECT, ACCOUNT), keys=[TEAM],
                  identity=[[{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                              "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}]]),
         {"aws:principaltag/team": ("blue",)})
def test_regression_condition_value_variable_given_in_the_context(scn, given):
    scn.keys = []  # the grid varies aws:ResourceTag/team by hand: it is not in the alphabet
    answer = scn.decide(given)
    allowed = scn.decide({**given, "aws:resourcetag/team": ("blue",)}, closed=True)
    assert allowed.decision is Decision.ALLOWED
    assert answer.decision is not Decision.DENIED, "denied, but allowed when aws:ResourceTag/team is blue"


@ONLY_EXAMPLES
@given(scenarios, st.just({}))
@example(Scenario(caller="other_known", action="s3:GetObject", target=(PARTNER_OBJECT, OTHER),
                  keys=["aws:SourceAccount", "aws:PrincipalAccount"],
                  resource=[{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": PARTNER_OBJECT,
                             "Condition": {"StringNotLike": {"aws:SourceAccount": PRINCIPAL_ACCOUNT_VARIABLE}}}]),
         {})
def test_regression_condition_value_variable_allowed_unsoundly(scn, given):
    sound(scn, given)


@ONLY_EXAMPLES
@given(scenarios, st.just(0))
@example(Scenario(caller="role", action="s3:GetObject", target=(OBJECT, ACCOUNT), keys=[TEAM],
                  identity=[[{"Effect": "Allow", "Action": "s3:GetObject", "Resource": TEAM_RESOURCE}]]),
         0)
def test_regression_resource_variable_key_is_not_listed(scn, choice):
    answer = scn.decide()
    assert answer.decision is Decision.CONDITIONAL
    assert any(isinstance(c, OnClause) and c.key.lower() == TEAM.lower() for c in answer.conditions), answer.conditions


# -- large policies are indexed, never differently decided -----------------------------------------

@SETTINGS
@given(scenarios_with_unknowns)
def test_indexing_large_policies_changes_no_answer(scn):
    """iam/grants.py indexes policies of INDEXED_FROM statements or more by action and resource:
    forcing it on every policy must leave every answer as it is."""
    from permcheck.iam import grants

    scanned = scn.decide()
    saved, grants.INDEXED_FROM = grants.INDEXED_FROM, 0
    try:
        indexed = scn.decide()
    finally:
        grants.INDEXED_FROM = saved
    assert (indexed.decision, indexed.conditions, indexed.because) == \
        (scanned.decision, scanned.conditions, scanned.because)
