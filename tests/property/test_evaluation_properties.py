"""Property tests of the evaluator (`permcheck.iam.decide.evaluate`) over small random policies.

A *scenario* is one request and every policy AWS consults for it: the caller's identity
policies and permissions boundary, the target's resource policy, the organisation's SCPs and
RCP. Policies are drawn as plain JSON statement dicts over a small alphabet of actions,
resources, principals and condition keys (each key belongs to one operator family), then parsed
with `parse_policy`, so a failing example prints as readable JSON.

Decisions are ordered allowed > conditional > denied. A *concrete context* fixes every
condition key of the scenario (a value drawn from the policies' literals, a fresh value, or
absent) and is evaluated with `closed=True`; the set of concrete contexts that are allowed is
how two `conditional` answers are compared (CONTRACT.md, "Decisions").

Properties:
  (a) adding a Deny statement anywhere never widens access;
  (b) adding an Allow statement to a policy that exists (or as a new identity or resource
      policy) never narrows access;
  (c) the order of statements within a policy, and of identity policies and SCPs, never
      changes the decision (nor the set of conditions listed);
  (d) `wildcard_match` and `like_matches` agree with reference matchers;
  (e) a `conditional` answer is decided (allowed or denied) once every key it lists is given
      in `Request.context`; with `closed=True` nothing is `conditional` unless an
      `{"unknown": ...}` entry says why;
  (f) `allowed` / `denied` are sound over every concrete context, and `conditional` is
      witnessed by a concrete context of each kind.
"""

from __future__ import annotations

import copy
import fnmatch
import itertools
import random
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Optional

import pytest
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

from permcheck.iam.conditions import like_matches
from permcheck.iam.decide import Answer, Decision, Organisation, evaluate
from permcheck.iam.match import wildcard_match
from permcheck.iam.request import Caller, CallerKind, Request, Target
from permcheck.load.managed import unknown_policy
from permcheck.load.policy_doc import parse_policy
from permcheck.model.arn import root_arn
from permcheck.model.location import Location
from permcheck.model.policy import Policy, PolicyKind

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

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
TARGETS = [(OBJECT, ACCOUNT), (SECRET, ACCOUNT), (QUEUE, ACCOUNT), (OTHER_QUEUE, OTHER), (PARTNER_OBJECT, OTHER)]

REQUEST_ACTIONS = ["s3:GetObject", "s3:PutObject", "sqs:SendMessage"]
ACTION_PATTERNS = ["s3:GetObject", "s3:Get*", "s3:*", "sqs:SendMessage", "*", "S3:getobject",
                   "s3:Get?bject", "sqs:*", "s3:PutObject"]
RESOURCE_PATTERNS = ["*", OBJECT, "arn:aws:s3:::data-bucket/*", "arn:aws:s3:::*/report.csv", QUEUE,
                     f"arn:aws:sqs:*:{ACCOUNT}:*", "arn:aws:s3:::data-bucket/report.cs?", OTHER_QUEUE,
                     "arn:aws:s3:::partner-bucket/*"]
AWS_PRINCIPALS = [ROLE, ACCOUNT, root_arn(ACCOUNT), root_arn(OTHER), OTHER_ROLE, SESSION]

CALLERS = ["role", "role", "session", "other_known", "other_unknown", "root", "service", "anyone"]

KEYS = {  # condition key -> operator family
    "aws:SourceAccount": "string",
    "aws:PrincipalAccount": "string",  # fixed by role and root callers
    "aws:SecureTransport": "bool",
    "s3:max-keys": "numeric",
    "aws:TagKeys": "multi",
    "aws:PrincipalTag/team": "tag",  # also a policy variable in a Resource pattern
}
TEAM = "aws:PrincipalTag/team"
TEAM_RESOURCE = "arn:aws:s3:::data-bucket/${aws:PrincipalTag/team}.csv"  # policy variable
PRINCIPAL_ACCOUNT_VARIABLE = "${aws:PrincipalAccount}"
OPERATORS = {
    "string": ["StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIfExists",
               "StringNotEqualsIfExists", "StringLikeIfExists", "StringNotLikeIfExists",
               "StringEqualsIgnoreCase", "Null"],
    "bool": ["Bool", "BoolIfExists", "Null"],
    "numeric": ["NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericEquals",
                "NumericNotEquals", "NumericLessThanIfExists", "NumericGreaterThanEqualsIfExists", "Null"],
    "tag": ["StringEquals", "StringNotEquals", "StringLike", "StringNotLikeIfExists"],
    "multi": ["ForAnyValue:StringEquals", "ForAllValues:StringEquals", "ForAnyValue:StringLike",
              "ForAllValues:StringNotLike", "ForAnyValue:StringNotEquals", "ForAllValues:StringLike", "Null"],
}
VALUES = {
    "string": [ACCOUNT, OTHER, "1111*", "22222222222?", "*"],
    "bool": ["true", "false"],
    "numeric": ["10", "100", "2.5"],
    "multi": ["team", "env", "cost*"],
    "tag": ["report", "blue", "rep*"],
}
FRESH = {"string": "333333333333", "bool": "maybe", "numeric": "not-a-number", "multi": "fresh", "tag": "fresh"}

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
    required: bool = False  # the resource policy must consent (KMS-like)
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
        """The parsed request and organisation, cached (`copy()` a scenario to change it)."""
        cached = self.__dict__.get("_compiled")
        if cached is None:
            arn, account = self.target
            policy = None if self.resource is None else parse(self.resource, KIND.RESOURCE, "resource policy")
            target = Target(arn=arn, account=account, policy=policy, policy_required=self.required)
            org = Organisation(scps=tuple(parse(p, KIND.SCP, f"scp{i}") for i, p in enumerate(self.scps)),
                               rcps=() if self.rcp is None else (parse(self.rcp, KIND.RCP, "rcp"),),
                               accounts=frozenset(self.org_accounts))
            cached = self.__dict__["_compiled"] = (Request(caller=self.make_caller(), action=self.action,
                                                           target=target), org)
        return cached

    def copy(self) -> "Scenario":
        out = copy.deepcopy(self)
        out.__dict__.pop("_compiled", None)
        return out

    def decide(self, context: Optional[dict] = None, closed: bool = False) -> Answer:
        request, org = self.compiled()
        return evaluate(replace(request, context=dict(context or {}), closed=closed), org)

    def all_statements(self) -> list[dict]:
        return [s for p in [*self.identity, self.boundary or [], self.resource or [], *self.scps, self.rcp or []]
                for s in p]


class Picker:
    """Choices decoded from one drawn integer: a whole statement costs Hypothesis one draw.

    Option 0 of every choice is the simplest, so shrinking the integer towards 0 simplifies.
    """

    def __init__(self, n: int) -> None:
        self.n = n

    def pick(self, options):
        self.n, i = divmod(self.n, len(options))
        return options[i]

    def one_in(self, k: int) -> bool:
        return self.pick(range(k)) == k - 1

    def some(self, options, most: int = 2) -> list:
        out = list(dict.fromkeys(self.pick(options) for _ in range(1 + self.pick(range(most)))))
        return out


SEEDS = st.binary(min_size=24, max_size=24).map(lambda b: int.from_bytes(b, "little"))


def make_conditions(p: Picker, keys: list[str]) -> dict:
    out: dict = {}
    for _ in range(p.pick([0, 1, 1, 2, 0])):
        key = p.pick(keys)
        family = KEYS[key]
        operator = p.pick(OPERATORS[family])
        pool = VALUES[family]
        if family == "string" and key != "aws:PrincipalAccount" and "aws:PrincipalAccount" in keys:
            pool = pool + [PRINCIPAL_ACCOUNT_VARIABLE]
        values = p.some(["true", "false"] if operator == "Null" else pool)
        out.setdefault(operator, {})[key] = values if len(values) > 1 else values[0]
    return out


def make_principal(p: Picker, effect: str) -> tuple[str, object]:
    element = "NotPrincipal" if effect == "Deny" and p.one_in(6) else "Principal"
    choice = p.pick(range(6))
    if choice == 5 and element == "Principal":
        return element, "*"
    value: dict = {}
    if choice != 4:
        aws = p.some(AWS_PRINCIPALS)
        value["AWS"] = aws if len(aws) > 1 else aws[0]
    if choice in (3, 4):
        value["Service"] = SERVICE
    return element, value


def make_statement(n: int, kind: PolicyKind, keys: list[str], effect: Optional[str] = None,
                   focus: tuple[str, str] = ("s3:GetObject", OBJECT)) -> dict:
    """One statement; `focus` (the request's action and resource) is picked more often than others."""
    p = Picker(n)
    effect = effect or p.pick(["Allow", "Deny", "Allow"])
    out: dict = {"Effect": effect}
    if kind is KIND.RCP:
        out["Principal"] = "*"
    elif kind is KIND.RESOURCE:
        element, value = make_principal(p, effect)
        out[element] = value
    actions = p.some(ACTION_PATTERNS + [focus[0]] * 4)
    resources = p.some(RESOURCE_PATTERNS + [focus[1]] * 3 + ([TEAM_RESOURCE] * 4 if TEAM in keys else []))
    condition = make_conditions(p, keys)
    out["NotAction" if p.one_in(7) else "Action"] = actions
    out["NotResource" if p.one_in(7) else "Resource"] = resources
    if condition:
        out["Condition"] = condition
    return out


FULL_ACCESS = {"Effect": "Allow", "Action": "*", "Resource": "*"}

# Strategies are module constants (building strategy objects per draw is what makes
# Hypothesis slow); the values they draw are turned into policies in plain Python.
INDEX = st.integers(0, 15)
POLICY = st.tuples(st.lists(SEEDS, min_size=1, max_size=3), st.integers(0, 3))
IDENTITY_POLICIES = st.lists(POLICY, min_size=0, max_size=2)
SOMETIMES = st.sampled_from([False, False, True])  # one time in three
RARELY = st.sampled_from([False, False, False, True])
SCP_COUNT = st.sampled_from([0, 0, 0, 1, 1, 2])
CALLER_ST = st.sampled_from(CALLERS)
ACTION_ST = st.sampled_from(REQUEST_ACTIONS)
TARGET_ST = st.sampled_from(TARGETS)
ORG_ACCOUNTS_ST = st.sampled_from([(ACCOUNT,), (ACCOUNT, OTHER)])
KEY_SETS = st.lists(st.sampled_from(sorted(KEYS)), min_size=1, max_size=2, unique=True)


def make_policy(raw: tuple[list[int], int], kind: PolicyKind, keys: list[str], focus: tuple[str, str]) -> list[dict]:
    """Statements from seeds; SCPs and boundaries mostly start from AWS's FullAWSAccess."""
    seeds, full = raw
    statements = [make_statement(n, kind, keys, focus=focus) for n in seeds]
    if kind in (KIND.SCP, KIND.BOUNDARY) and full < 3:
        statements.insert(min(full, len(statements)), dict(FULL_ACCESS))
    return statements


@st.composite
def scenarios(draw, unknowns: bool = False) -> Scenario:
    keys = draw(KEY_SETS)
    caller = draw(CALLER_ST)
    action, target = draw(ACTION_ST), draw(TARGET_ST)
    focus = (action, target[0])
    has_identity = caller in ("role", "session", "other_known")
    identity = draw(IDENTITY_POLICIES) if has_identity else []
    boundary = draw(POLICY) if has_identity and draw(SOMETIMES) else None
    resource = draw(POLICY) if draw(st.booleans()) else None
    scps = [draw(POLICY) for _ in range(draw(SCP_COUNT))]
    rcp = draw(POLICY) if draw(RARELY) else None
    return Scenario(
        caller=caller,
        action=action,
        target=target,
        keys=keys,
        identity=[make_policy(raw, KIND.IDENTITY, keys, focus) for raw in identity],
        boundary=None if boundary is None else make_policy(boundary, KIND.BOUNDARY, keys, focus),
        resource=None if resource is None else make_policy(resource, KIND.RESOURCE, keys, focus),
        required=draw(INDEX) == 0,
        scps=[make_policy(raw, KIND.SCP, keys, focus) for raw in scps],
        rcp=None if rcp is None else make_policy(rcp, KIND.RCP, keys, focus),
        org_accounts=draw(ORG_ACCOUNTS_ST),
        unknown_identity=unknowns and has_identity and draw(st.booleans()),
    )


# -- concrete contexts ------------------------------------------------------------------------

def _number(text: str) -> Optional[Decimal]:
    try:
        return Decimal(text)
    except Exception:
        return None


def key_values(key: str, statements: list[dict]) -> list[tuple[str, ...]]:
    """Present values of `key` that a request may carry: policy literals, variants, a fresh one."""
    family = KEYS[key]
    literals: list[str] = []
    for s in statements:
        for operator, block in (s.get("Condition") or {}).items():
            if operator == "Null" or key not in block:
                continue
            values = block[key] if isinstance(block[key], list) else [block[key]]
            literals += values
    singles: list[str] = []
    for literal in literals:
        if family in ("string", "multi", "tag"):
            singles += [literal, literal.replace("*", "").replace("?", "q"), literal.replace("*", "zz").replace("?", "9")]
        elif family == "numeric":
            n = _number(literal)
            singles += [literal] if n is None else [str(n - 1), str(n), str(n + 1)]
        else:
            singles.append(literal)
    if family == "bool":
        singles += ["true", "false"]
    if family == "tag":  # the variable in TEAM_RESOURCE: "report" makes it match OBJECT
        singles += VALUES["tag"]
    singles = list(dict.fromkeys(singles + [FRESH[family]]))
    out = [(v,) for v in singles]
    if family == "multi":
        out += list(itertools.combinations(singles, 2))
    return out


def concrete_contexts(scns: list[Scenario], limit: int = 150) -> list[dict]:
    """Contexts fixing every key of the scenarios that the caller does not fix (absent included).

    Past `limit` combinations, a fixed sample of them (`len(grid) < full_size(...)`)."""
    statements = [s for scn in scns for s in scn.all_statements()]
    fixed = scns[0].make_caller().known_context()
    keys = [k for k in scns[0].keys if k.lower() not in fixed]
    axes = [[None] + key_values(k, statements) for k in keys]
    grid = []
    for combo in itertools.product(*axes):
        grid.append({k.lower(): v for k, v in zip(keys, combo) if v is not None})
    if len(grid) > limit:
        grid = [grid[0]] + random.Random(len(grid)).sample(grid[1:], limit - 1)
    return grid


def allowed_contexts(scn: Scenario, grid: list[dict]) -> set[int]:
    out = set()
    for i, context in enumerate(grid):
        answer = scn.decide(context, closed=True)
        assert answer.decision is not Decision.CONDITIONAL, (context, answer)
        if answer.decision is Decision.ALLOWED:
            out.add(i)
    return out


def has_unknown(answer: Answer) -> bool:
    return any("unknown" in c for c in answer.conditions)


# -- mutations --------------------------------------------------------------------------------

@st.composite
def with_statement(draw, scn: Scenario, effect: str) -> tuple[Scenario, str]:
    """A copy of `scn` with one more statement of `effect` in some policy (a new one for some)."""
    has_identity = scn.caller in ("role", "session", "other_known")
    places: list[tuple] = [("resource",), ("rcp",)]
    if has_identity:
        places += [("identity", i) for i in range(len(scn.identity))] + [("identity", None)]
        if scn.boundary is not None or effect == "Deny":
            places.append(("boundary",))
    places += [("scp", i) for i in range(len(scn.scps))]
    if effect == "Deny":
        places.append(("scp", None))
    place = places[draw(INDEX) % len(places)]
    kind = {"resource": KIND.RESOURCE, "rcp": KIND.RCP, "identity": KIND.IDENTITY, "boundary": KIND.BOUNDARY,
            "scp": KIND.SCP}[place[0]]
    new = make_statement(draw(SEEDS), kind, scn.keys, effect, focus=(scn.action, scn.target[0]))
    out = scn.copy()

    def insert(policy: Optional[list[dict]]) -> list[dict]:
        policy = list(policy or [])
        policy.insert(draw(INDEX) % (len(policy) + 1), new)
        return policy

    if place[0] == "resource":
        out.resource = insert(out.resource)
    elif place[0] == "rcp":
        out.rcp = insert(out.rcp)
    elif place[0] == "boundary":
        out.boundary = insert(out.boundary)
    elif place[0] == "identity":
        if place[1] is None:
            out.identity.insert(draw(INDEX) % (len(out.identity) + 1), [new])
        else:
            out.identity[place[1]] = insert(out.identity[place[1]])
    else:
        if place[1] is None:
            out.scps.insert(draw(INDEX) % (len(out.scps) + 1), [new])
        else:
            out.scps[place[1]] = insert(out.scps[place[1]])
    return out, f"{place}: {new}"


def assert_no_wider(narrow: Scenario, wide: Scenario, note: str) -> None:
    """`narrow` never allows more than `wide`: by decision rank and context by context."""
    a, b = narrow.decide(), wide.decide()
    assert RANK[a.decision] <= RANK[b.decision], (note, a.decision, b.decision)
    grid = concrete_contexts([narrow, wide])
    narrow_allowed, wide_allowed = allowed_contexts(narrow, grid), allowed_contexts(wide, grid)
    extra = [grid[i] for i in sorted(narrow_allowed - wide_allowed)]
    assert not extra, (note, "allowed only in the narrower scenario:", extra[:3])


# -- (a), (b): monotonicity ---------------------------------------------------------------------

@SETTINGS
@given(st.data())
def test_adding_a_deny_never_widens(data):
    scn = data.draw(scenarios(), label="scenario")
    more, note = data.draw(with_statement(scn, "Deny"), label="with deny")
    assert_no_wider(more, scn, note)


@SETTINGS
@given(st.data())
def test_adding_an_allow_never_narrows(data):
    scn = data.draw(scenarios(), label="scenario")
    more, note = data.draw(with_statement(scn, "Allow"), label="with allow")
    assert_no_wider(scn, more, note)


# -- (c): order -----------------------------------------------------------------------------------

def _conditions_set(answer: Answer) -> set[str]:
    return {repr(sorted(c.items())) for c in answer.conditions}


@SETTINGS
@given(st.data())
def test_statement_and_policy_order_never_changes_the_decision(data):
    scn = data.draw(scenarios(unknowns=True), label="scenario")
    shuffled = scn.copy()
    rng = random.Random(data.draw(SEEDS, label="shuffle seed"))
    perm = lambda items: rng.sample(items, len(items))  # noqa: E731
    shuffled.identity = perm([perm(p) for p in shuffled.identity])
    shuffled.scps = perm([perm(p) for p in shuffled.scps])
    for name in ("boundary", "resource", "rcp"):
        if getattr(shuffled, name) is not None:
            setattr(shuffled, name, perm(getattr(shuffled, name)))
    a, b = scn.decide(), shuffled.decide()
    assert a.decision is b.decision
    assert _conditions_set(a) == _conditions_set(b)
    assert scn.decide(closed=True).decision is shuffled.decide(closed=True).decision


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
    reach = [True] + [False] * n  # reach[j]: pattern prefix matches value[:j]
    for c in pattern:
        if c == "*":
            for j in range(1, n + 1):
                reach[j] = reach[j] or reach[j - 1]
        else:
            reach = [False] + [reach[j - 1] and (c == "?" or c == value[j - 1]) for j in range(1, n + 1)]
    return reach[n]


META = list("*?*?.^$+()[]{}|\\:/-")
ASCII = st.text(alphabet=st.sampled_from(list("abAB:s3") + META), max_size=8)
WIDE = st.text(alphabet=st.sampled_from(list("abAB\n\u00e9\u00df") + META), max_size=8)


FILLER = st.text(alphabet=st.sampled_from(list("ab*?.[")), max_size=3)
ONE = st.sampled_from("a?.")


@st.composite
def pattern_and_value(draw, text) -> tuple[str, str]:
    pattern = draw(text)
    if draw(st.booleans()):  # a value built from the pattern: matches are common
        value = "".join(draw(FILLER) if c == "*" else draw(ONE) if c == "?" else c
                        for c in pattern)
        if draw(st.booleans()):
            value = value.swapcase()
    else:
        value = draw(text)
    return pattern, value


@settings(max_examples=500, deadline=None)
@given(pattern_and_value(ASCII), st.booleans())
@example(("s3:Get*", "S3:GETOBJECT"), True)
@example(("a[b]*", "a[b]c"), False)
@example(("a.b", "axb"), False)
@example(("*", "\n"), False)
def test_wildcard_match_agrees_with_references(pv, ignore_case):
    pattern, value = pv
    expected = reference_dp(pattern, value, ignore_case)
    assert reference_fnmatch(pattern, value, ignore_case) == expected
    assert wildcard_match(pattern, value, ignore_case) == expected


@settings(max_examples=300, deadline=None)
@given(pattern_and_value(WIDE))
@example(("a?c", "a\nc"))
@example(("\u00e9*", "\u00c9x"))
def test_case_sensitive_matching_agrees_with_references(pv):
    pattern, value = pv
    expected = reference_dp(pattern, value, False)
    assert reference_fnmatch(pattern, value, False) == expected
    assert wildcard_match(pattern, value) == expected
    assert like_matches(pattern, value) == expected  # StringLike: the same wildcard language


# -- (e): conditional answers are decided by their keys; closed contexts ------------------------------

@SETTINGS
@given(st.data())
def test_supplying_every_listed_key_decides_a_conditional_answer(data):
    scn = data.draw(scenarios(), label="scenario")
    answer = scn.decide()
    if answer.decision is not Decision.CONDITIONAL or has_unknown(answer):
        return
    listed = sorted({c["key"] for c in answer.conditions})
    statements = scn.all_statements()
    context = {}
    for key in listed:
        canonical = next(k for k in KEYS if k.lower() == key.lower())
        values = key_values(canonical, statements)
        context[key.lower()] = values[data.draw(INDEX) % len(values)]
    note(f"context: {context}")
    decided = scn.decide(context)
    assert decided.decision is not Decision.CONDITIONAL, (context, decided.conditions)
    assert decided.decision is scn.decide(context, closed=True).decision


@SETTINGS
@given(scenarios(unknowns=True))
def test_closed_context_is_never_conditional_without_an_unknown(scn):
    answer = scn.decide(closed=True)
    if answer.decision is Decision.CONDITIONAL:
        assert has_unknown(answer), answer.conditions
    if not scn.unknown_identity:
        assert answer.decision is not Decision.CONDITIONAL


# -- (f): soundness (and completeness) over concrete contexts ------------------------------------

@SETTINGS
@given(scenarios())
def test_decisions_are_sound_over_concrete_contexts(scn):
    answer = scn.decide()
    grid = concrete_contexts([scn])
    allowed = allowed_contexts(scn, grid)
    if answer.decision is Decision.ALLOWED:
        assert allowed == set(range(len(grid))), [grid[i] for i in range(len(grid)) if i not in allowed][:3]
    elif answer.decision is Decision.DENIED:
        assert not allowed, [grid[i] for i in sorted(allowed)][:3]
    elif len(grid) < 150:  # the grid is complete: it holds a witness of each kind
        assert 0 < len(allowed) < len(grid), ("conditional, but every concrete context decides alike",
                                              answer.conditions)
