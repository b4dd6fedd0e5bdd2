"""`who_can_invoke` against a brute-force search over small random inventories.

An inventory holds 2-4 roles in 1-2 accounts (trust policies naming each other, account roots,
an outside role, `*` or a service; identity policies allowing or denying lambda:InvokeFunction
and sts:AssumeRole on some ARNs; sometimes a permissions boundary) and 1-3 functions with
resource policies (`Policy(kind=RESOURCE)`), sometimes under an SCP.

The brute force follows CONTRACT.md ("who-can-invoke") without the graph code:
- a principal is a *candidate* for a request when the resource's policy names it in an Allow
  statement, or when it is a role of the inventory whose identity policies have an Allow
  statement matching the action and the resource (checked with a reference wildcard matcher);
- `evaluate` decides every candidate's invoke of the function directly, and every candidate's
  `sts:AssumeRole` of every role (its trust policy as the resource policy);
- principals that reach a direct invoker through allowed/conditional assume edges (breadth
  first over every pair) are the chained entries.
Direct entries are compared as sets of (principal, decision); chained ones as sets of
principals, and each chain's `via` is checked hop by hop, its decision being `allowed` only
if every hop (and the final invoke) is.

Inventories come from one drawn seed through `random.Random` (as in
test_evaluation_properties); a failing inventory is shrunk by `minimise` before it is shown.
Bugs these properties found are kept as regression tests at the end.
"""

from __future__ import annotations

import copy
import fnmatch
import os
import random
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Optional

from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

from permcheck.graph.edges import Edges
from permcheck.graph.index import Index
from permcheck.graph.query import who_can_invoke
from permcheck.report.answers_json import to_json
from permcheck.iam.decide import Answer, Decision, Organisation, evaluate
from permcheck.iam.request import Caller, CallerKind, Request, Target
from permcheck.load.policy_doc import parse_policy
from permcheck.model.arn import account_of, root_arn
from permcheck.model.entities import Function, Inventory, Role
from permcheck.model.location import Location
from permcheck.model.policy import Effect, Policy, PolicyKind, Principal, PrincipalType

A, B, C = "111111111111", "222222222222", "333333333333"  # C: an account outside the inputs
OUTSIDER = f"arn:aws:iam::{C}:role/outsider"
SERVICE = "lambda.amazonaws.com"
INVOKE, ASSUME = "lambda:InvokeFunction", "sts:AssumeRole"
LOC = Location("graph.json", 1)


def role_arn(i: int, account: str) -> str:
    return f"arn:aws:iam::{account}:role/r{i}"


def function_arn(j: int, account: str) -> str:
    return f"arn:aws:lambda:us-east-1:{account}:function:f{j}"


# -- random inventories, as plain data -----------------------------------------------------------

class Picker:
    """Seeded random choices (see test_evaluation_properties: Hypothesis's own choices lean
    towards their first option and repeat examples)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pick(self, options):
        return self.rng.choice(options)

    def some(self, options, most: int = 2) -> list:
        return list(dict.fromkeys(self.pick(options) for _ in range(self.rng.randint(1, most))))


@dataclass
class Spec:
    """An inventory as statement dicts: readable when an example fails."""

    roles: list[dict] = field(default_factory=list)  # {arn, account, trust, identity, boundary}
    functions: list[dict] = field(default_factory=list)  # {arn, account, policy}
    scp: Optional[list[dict]] = None


def _one(values: list):
    return values[0] if len(values) == 1 else values


def _principal(p: Picker, roles: list[str]) -> object:
    choice = p.pick(range(6))
    if choice == 5:
        return "*"
    if choice == 4:
        return {"Service": SERVICE}
    pool = roles + [root_arn(A), root_arn(B), A, OUTSIDER, root_arn(C)]
    value: dict = {"AWS": _one(p.some(pool))}
    if choice == 3:
        value["Service"] = SERVICE
    return value


CONDITIONS = [
    {"StringEquals": {"aws:SourceAccount": A}},
    {"StringEquals": {"sts:ExternalId": "secret"}},
    {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111111111111:*"}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"StringNotEquals": {"aws:SourceAccount": B}},
]


def _condition(p: Picker) -> Optional[dict]:
    return p.pick([None, None, *CONDITIONS])


def trust_statement(p: Picker, roles: list[str]) -> dict:
    out = {"Effect": p.pick(["Allow", "Allow", "Allow", "Deny"]), "Principal": _principal(p, roles),
           "Action": p.pick([ASSUME, ASSUME, "sts:*", "sts:AssumeRole*"])}
    if (condition := _condition(p)) is not None:
        out["Condition"] = condition
    return out


def identity_statement(p: Picker, roles: list[str], functions: list[str],
                       actions: Optional[list[str]] = None, resources: Optional[list[str]] = None) -> dict:
    effect = p.pick(["Allow", "Allow", "Allow", "Deny"])
    action = p.pick(actions or [INVOKE, ASSUME, "lambda:*", "*", "sts:Assume*", "lambda:Invoke?unction"])
    resources = p.some(resources or ["*", *functions, *roles, f"arn:aws:lambda:*:{A}:function:*",
                                     "arn:aws:iam::*:role/*", f"arn:aws:iam::{B}:role/*"])
    out = {"Effect": effect, "Action": action, "Resource": _one(resources)}
    if p.rng.randrange(8) == 0:
        out["NotResource"] = out.pop("Resource")
    if (condition := _condition(p)) is not None:
        out["Condition"] = condition
    return out


def function_statement(p: Picker, roles: list[str], arn: str) -> dict:
    out = {"Effect": p.pick(["Allow", "Allow", "Allow", "Deny"]), "Principal": _principal(p, roles),
           "Action": p.pick([INVOKE, "lambda:*", "lambda:Invoke*"]), "Resource": p.pick([arn, "*", arn + ":*"])}
    if (condition := _condition(p)) is not None:
        out["Condition"] = condition
    return out


BOUNDARIES = [[{"Effect": "Allow", "Action": "*", "Resource": "*"}],
              [{"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}],
              [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]]
SCPS = [[{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        [{"Effect": "Allow", "Action": "*", "Resource": "*"},
         {"Effect": "Deny", "Action": ASSUME, "Resource": "*",
          "Condition": {"StringNotEquals": {"aws:SourceAccount": A}}}],
        [{"Effect": "Allow", "Action": ["lambda:*", "sts:*"], "Resource": "*"},
         {"Effect": "Deny", "Action": INVOKE, "Resource": f"arn:aws:lambda:*:{A}:function:f0"}]]


def make_spec(seed: int) -> Spec:
    p = Picker(seed)
    roles = [role_arn(i, p.pick([A, A, B])) for i in range(p.pick([2, 3, 3, 4]))]
    functions = [function_arn(j, p.pick([A, A, B])) for j in range(p.pick([1, 1, 2, 3]))]
    spec = Spec()
    for arn in roles:
        spec.roles.append({
            "arn": arn, "account": account_of(arn),
            "trust": None if p.rng.random() < 0.15 else
            [trust_statement(p, roles) for _ in range(p.pick([1, 1, 2]))],
            "identity": [[identity_statement(p, roles, functions) for _ in range(p.pick([1, 2, 3]))]
                         for _ in range(p.pick([0, 1, 1, 2]))],
            "boundary": p.pick(BOUNDARIES) if p.rng.random() < 0.25 else None,
        })
    for arn in functions:
        spec.functions.append({"arn": arn, "account": account_of(arn),
                               "policy": None if p.rng.random() < 0.25 else
                               [function_statement(p, roles, arn) for _ in range(p.pick([1, 2, 3]))]})
    spec.scp = p.pick(SCPS) if p.rng.random() < 0.25 else None
    return spec


specs = st.integers(0, 2**64 - 1).map(make_spec)


def parse(statements: Optional[list[dict]], kind: PolicyKind, name: str) -> Optional[Policy]:
    if statements is None:
        return None
    parsed = parse_policy({"Version": "2012-10-17", "Statement": statements}, name=name, kind=kind, location=LOC)
    assert parsed.error is None, parsed.error
    return parsed


def build(spec: Spec) -> Inventory:
    inv = Inventory()
    for r in spec.roles:
        name = r["arn"].rsplit("/", 1)[1]
        inv.roles[r["arn"]] = Role(
            arn=r["arn"], name=name, account=r["account"], trust=parse(r["trust"], PolicyKind.TRUST, f"{name} trust"),
            policies=tuple(parse(p, PolicyKind.IDENTITY, f"{name} policy{i}") for i, p in enumerate(r["identity"])),
            boundary=parse(r["boundary"], PolicyKind.BOUNDARY, f"{name} boundary"))
        inv.accounts.add(r["account"])
    for f in spec.functions:
        name = f["arn"].rsplit(":", 1)[1]
        inv.functions[f["arn"]] = Function(arn=f["arn"], name=name, account=f["account"], region="us-east-1",
                                           policy=parse(f["policy"], PolicyKind.RESOURCE, f"{name} policy"))
        inv.accounts.add(f["account"])
    if spec.scp is not None:
        inv.scps.append(parse(spec.scp, PolicyKind.SCP, "scp"))
    return inv


# -- the brute force ------------------------------------------------------------------------------

def glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """Reference IAM wildcard match (fnmatch with `[` made literal)."""
    return re.match(fnmatch.translate(pattern.replace("[", "[[]")), value, re.I if ignore_case else 0) is not None


def identity_allows(role: Role, action: str, resource: str) -> bool:
    """Has the role an identity-policy Allow statement naming this action and resource?"""
    for policy in role.policies:
        for s in policy.statements:
            if s.effect is not Effect.ALLOW:
                continue
            act = any(glob(a, action, True) for a in s.actions) != s.not_action
            res = any(glob(r, resource) for r in s.resources or ("*",)) != s.not_resource
            if act and res:
                return True
    return False




class BruteForce:
    def __init__(self, inv: Inventory) -> None:
        self.inv = inv
        self.org = Organisation(tuple(inv.scps), (), frozenset(inv.accounts))
        self.edges = self._assume_edges()

    def role_caller(self, role: Role) -> Caller:
        return Caller(CallerKind.ROLE, str(role.arn), role.account, identity=tuple(role.policies),
                      boundary=role.boundary, name=str(role.name))

    def caller(self, principal: Principal) -> Caller:
        value = str(principal.value)
        if principal.type is PrincipalType.ANYONE:
            return Caller(CallerKind.ANYONE, "*")
        if principal.type is PrincipalType.SERVICE:
            return Caller(CallerKind.SERVICE, value)
        account = account_of(value)
        if value.endswith(":root"):
            return Caller(CallerKind.ROOT, value, account, identity=() if account in self.inv.accounts else None)
        if value in self.inv.roles:
            return self.role_caller(self.inv.roles[value])
        return Caller(CallerKind.ROLE, value, account, identity=None, name=value.rsplit("/", 1)[1])

    def candidates(self, policy: Optional[Policy], action: str, resource: str) -> dict[str, Caller]:
        out: dict[str, Caller] = {}
        for s in policy.statements if policy else ():
            if s.effect is Effect.ALLOW and not s.not_principal:
                for principal in s.principals or ():
                    caller = self.caller(principal)
                    out[caller.arn] = caller
        for role in self.inv.roles.values():
            if identity_allows(role, action, resource):
                out.setdefault(str(role.arn), self.role_caller(role))
        return out

    def ask(self, caller: Caller, action: str, target: Target) -> Answer:
        return evaluate(Request(caller=caller, action=action, target=target), self.org)

    def _assume_edges(self) -> dict[tuple[str, str], Answer]:
        """(source, role) -> the non-denied answer for source assuming role, over every pair."""
        out = {}
        for arn, role in self.inv.roles.items():
            if role.trust is None:
                continue
            target = Target(arn=arn, account=role.account, policy=role.trust, policy_required=True)
            for source, caller in self.candidates(role.trust, ASSUME, arn).items():
                if source == arn:
                    continue
                answer = self.ask(caller, ASSUME, target)
                if answer.decision is not Decision.DENIED:
                    out[(source, arn)] = answer
        return out

    def invokers(self, function: Function) -> dict[str, Answer]:
        target = Target(arn=str(function.arn), account=function.account, policy=function.policy)
        out = {}
        for key, caller in self.candidates(function.policy, INVOKE, str(function.arn)).items():
            answer = self.ask(caller, INVOKE, target)
            if answer.decision is not Decision.DENIED:
                out[key] = answer
        return out

    def chained(self, direct: dict[str, Answer]) -> set[str]:
        """Principals that reach a direct invoker by assuming roles (breadth first)."""
        seen, queue = set(direct), deque(direct)
        while queue:
            role = queue.popleft()
            for (source, target) in self.edges:
                if target == role and source not in seen:
                    seen.add(source)
                    queue.append(source)
        return seen - set(direct)


def check(spec: Spec) -> None:
    inv = build(spec)
    brute = BruteForce(inv)
    edges = Edges(Index(inv))
    for function in inv.functions.values():
        result = to_json(who_can_invoke(edges, function))
        entries = result["principals"]
        direct = brute.invokers(function)
        got_direct = {(e["principal"], e["decision"]) for e in entries if "via" not in e}
        want_direct = {(k, a.decision.value) for k, a in direct.items()}
        assert got_direct == want_direct, (str(function.arn), "missing:", want_direct - got_direct,
                                           "unexpected:", got_direct - want_direct)
        got_chained = {e["principal"] for e in entries if "via" in e}
        want_chained = brute.chained(direct)
        assert got_chained == want_chained, (str(function.arn), "missing:", want_chained - got_chained,
                                             "unexpected:", got_chained - want_chained)
        for entry in entries:
            if "via" not in entry:
                continue
            hops = [entry["principal"], *entry["via"]]
            answers = [brute.edges.get((a, b)) for a, b in zip(hops, hops[1:])] + [direct.get(hops[-1])]
            assert all(a is not None for a in answers), ("a hop of the chain is not an edge", entry)
            want = "allowed" if all(a.decision is Decision.ALLOWED for a in answers) else "conditional"
            assert entry["decision"] == want, (entry, [a.decision.value for a in answers])


def _simpler(spec: Spec):
    """Specs one step simpler than `spec`: fewer functions, roles, policies, statements."""
    for name in ("functions", "roles"):
        items = getattr(spec, name)
        for i in range(len(items)):
            if len(items) > 1:
                out = copy.deepcopy(spec)
                del getattr(out, name)[i]
                yield out
    if spec.scp is not None:
        yield Spec(copy.deepcopy(spec.roles), copy.deepcopy(spec.functions), None)
    for ri, role in enumerate(spec.roles):
        for name in ("trust", "boundary"):
            if role[name] is not None:
                out = copy.deepcopy(spec)
                out.roles[ri][name] = None
                yield out
        policies = [role["trust"] or [], *role["identity"]]
        for pi, policy in enumerate(role["identity"]):
            out = copy.deepcopy(spec)
            del out.roles[ri]["identity"][pi]
            yield out
        for pi, policy in enumerate(policies):
            for si in range(len(policy)):
                if len(policy) > 1:
                    out = copy.deepcopy(spec)
                    del [out.roles[ri]["trust"] or [], *out.roles[ri]["identity"]][pi][si]
                    yield out
    for fi, function in enumerate(spec.functions):
        if function["policy"] is not None:
            out = copy.deepcopy(spec)
            out.functions[fi]["policy"] = None
            yield out
            for si in range(len(function["policy"])):
                if len(function["policy"]) > 1:
                    out = copy.deepcopy(spec)
                    del out.functions[fi]["policy"][si]
                    yield out
    for policy_path in _statement_paths(spec):
        statement = _at(spec, policy_path)
        if "Condition" in statement:
            out = copy.deepcopy(spec)
            del _at(out, policy_path)["Condition"]
            yield out


def _statement_paths(spec: Spec):
    for ri, role in enumerate(spec.roles):
        for si in range(len(role["trust"] or [])):
            yield ("roles", ri, "trust", si)
        for pi, policy in enumerate(role["identity"]):
            for si in range(len(policy)):
                yield ("roles", ri, "identity", pi, si)
    for fi, function in enumerate(spec.functions):
        for si in range(len(function["policy"] or [])):
            yield ("functions", fi, "policy", si)


def _at(spec: Spec, path: tuple):
    node = getattr(spec, path[0])
    for step in path[1:]:
        node = node[step]
    return node


def minimise(spec, holds, simpler=None):
    """The smallest spec reached by `simpler` steps (this module's own by default) that still
    fails `holds`."""
    simpler = simpler or _simpler
    progress = True
    while progress:
        progress = False
        for candidate in simpler(spec):
            try:
                holds(candidate)
            except AssertionError:
                spec, progress = candidate, True
                break
    return spec


@settings(max_examples=int(os.environ.get("PERMCHECK_PROPERTY_EXAMPLES", "200")), deadline=None)
@given(specs)
def test_who_can_invoke_matches_brute_force(spec):
    try:
        check(spec)
    except AssertionError:
        small = minimise(spec, check)
        try:
            check(small)
        except AssertionError as error:
            raise AssertionError(f"{error}\nminimal inventory:\n{small!r}") from None
        raise


# -- bugs found by these properties: their minimal cases, kept as regression tests ------------------------------

R0, R1, F0 = role_arn(0, A), role_arn(1, A), function_arn(0, A)


@settings(phases=[Phase.explicit], deadline=None)
@given(specs)
@example(Spec(roles=[
    {"arn": R0, "account": A, "trust": [{"Effect": "Allow", "Principal": "*", "Action": ASSUME}],
     "identity": [[{"Effect": "Allow", "Action": INVOKE, "Resource": "*"}]], "boundary": None},
    {"arn": R1, "account": A, "trust": None,
     "identity": [[{"Effect": "Allow", "Action": ASSUME, "Resource": "*"}]], "boundary": None}],
    functions=[{"arn": F0, "account": A, "policy": None}]))
def test_regression_role_trusting_anyone_is_assumable_by_roles_of_the_inputs(spec):
    check(spec)
