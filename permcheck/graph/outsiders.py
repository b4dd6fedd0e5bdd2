"""Who outside the zone of trust a resource policy lets in, asked of the evaluator as they would ask.

A grant is judged by what it lets through, never by which condition keys it names (contract, "Built-in
rule ids"): "anyone", "another account" and "without a source" mean that the evaluator finds a request
from such a caller that is `allowed` or `conditional` on conditions that caller can meet. So
`StringNotEquals aws:PrincipalAccount X`, `ArnNotLike`, a wildcard value (`o-*`, `arn:aws:s3:::*`), an
`…IfExists` on a key outsiders do not send, or a condition on `aws:SecureTransport` restricts nothing,
while `StringEquals aws:PrincipalOrgID <the org>` or a Deny fence does.

An outsider is an anonymous request, a principal of an account outside the zone of trust, or an AWS
service acting for such an account. The keys that identify it (`outsider_keys.py`) take the outsider's
values — one representative for every case the policy's conditions tell apart, drawn from the values
such a caller can have. Every other key (its tags, the time, TLS, an external id it is told …) the
outsider chooses: it stays open, so an answer `conditional` on it lets the outsider in.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

from permcheck.graph import outsider_keys as keys
from permcheck.graph.edges import Edges
from permcheck.graph.outsider_values import OWN_NAME
from permcheck.iam.answer import Answer, Decision, OnUnknown
from permcheck.iam.request import CallerKind, Request, Target
from permcheck.model.arn import ACCOUNT_ID, parse_arn
from permcheck.model.location import InputError
from permcheck.model.policy import Effect, Policy, Principal, PrincipalType, Statement
from permcheck.model.values import Sym, Unknown, concat, unknowns_of

MAX_CASES = 256
"""Outsider cases tried per request; beyond it the answer is `conditional` with a note, never a guess."""

ANYONE, ANY_ACCOUNT, ACCOUNT, SERVICE = "anonymous", "any-account", "account", "service"


@dataclass(frozen=True)
class Zone:
    """Who is inside: the analysed and trusted accounts, and the organisations taken as one's own."""

    accounts: frozenset[str]
    orgs: frozenset[str]


@dataclass(frozen=True)
class Outsider:
    """An outsider the evaluator lets in, and on what (`answer` is allowed or conditional)."""

    kind: str  # anonymous, any-account (an account nobody names), account (one the policy names), service
    who: str
    account: str
    answer: Answer

    @property
    def detail(self) -> str:
        """`who: allowed`, or `who: conditional on …` with what the outsider must still meet."""
        if self.answer.decision is Decision.ALLOWED:
            return f"{self.who}: allowed"
        parts = sorted({keys.describe_condition(c) for c in self.answer.conditions})  # whatever the order written
        parts += list(self.answer.notes[:1]) if not parts else []
        return f"{self.who}: conditional on {'; '.join(parts) or 'conditions'}"


@dataclass
class Outsiders:
    """Probes one model's resource policies with outsiders; the zone of trust comes from the configuration."""

    edges: Edges
    zone: Zone
    _concrete: dict = field(default_factory=dict, repr=False)  # (policy, grant, as_named) → policy made
    _names: dict = field(default_factory=dict, repr=False)  # owned unknown → the literal that stands for it

    def let_in(self, principal: Principal, statements: list[Statement], target_type: str,
               requests: list[tuple[str, object]]) -> list[Outsider]:
        """The outsiders that get in through `statements` (the Allows naming `principal`), best first:
        one per kind and account, `allowed` before `conditional`."""
        if isinstance(principal.value, (Sym, Unknown)):
            return self._unresolved(principal, statements)
        found: dict[tuple[str, str], Outsider] = {}
        doors: dict[tuple[str, str], set[int]] = {}
        ours = frozenset(id(s) for s in statements)
        for action, resource in sorted(requests, key=str):  # one answer, whatever the order written
            target = self.edges.index.target(resource, action)
            for outsider in self._asked(principal, target_type, target, action, ours):
                slot = (outsider.kind, outsider.account)
                doors.setdefault(slot, set()).update(id(s) for s in outsider.answer.because)
                known = found.get(slot)
                if known is None or (known.answer.decision is not Decision.ALLOWED
                                     and outsider.answer.decision is Decision.ALLOWED):
                    found[slot] = outsider
        # every statement that lets the outsider in, for any of the requests: the door, whatever the order
        out = [replace(o, answer=replace(o.answer, because=tuple(s for s in statements if id(s) in doors[slot])))
               for slot, o in found.items()]
        return sorted(out, key=lambda o: (o.answer.decision is not Decision.ALLOWED, o.kind, o.account))

    def _asked(self, principal: Principal, target_type: str, target: Target, action: str,
               ours: frozenset[int]) -> list[Outsider]:
        """Every outsider one request lets in. An unresolved value in a condition on an identifying key
        names one caller the deployer chose, not any: asked with such values as names nobody else holds,
        and once more as they are, where an outsider of any account that gets in only through them is
        that value's account (`the account of ${?parameter Partner}`)."""
        out: list[Outsider] = []
        for as_named in (True, False):
            policy, back, unknowns = self._concrete_policy(target.policy, ours, as_named)
            if not as_named and not unknowns:
                break
            concrete = replace(target, arn=_concrete_value(target.arn, self._names), policy=policy)
            clauses = keys.clauses_by_key(policy, self.edges.index.organisation.rcps)
            for probe in self._probes(principal, target_type, target, clauses):
                if not as_named and probe.kind not in (ANY_ACCOUNT, SERVICE):
                    continue
                outsider = self._ask(probe, action, concrete, clauses, back)
                if outsider is None:
                    continue
                if not as_named:
                    through = [u for u in unknowns if OnUnknown(u.reason) in outsider.answer.conditions]
                    if not through:
                        continue
                    outsider = replace(outsider, kind=ACCOUNT, account=str(through[0]),
                                       who=f"the account of {through[0]}")
                out.append(outsider)
        return out

    # -- who to try ---------------------------------------------------------------------------
    def _probes(self, principal: Principal, target_type: str, target: Target, clauses: dict) -> list[keys.Probe]:
        account = target.account or ""
        inside = self.zone.accounts | {account}
        named, ranges = keys.accounts_named(clauses)
        named, ranges = named - inside, ranges - inside - named
        fresh = keys.fresh_account(inside | named | ranges)
        anyone = [fresh, *sorted(ranges)]  # accounts nobody names: any other account
        if principal.type is PrincipalType.ANYONE:
            probes = [] if target_type == "role" else [keys.Probe(ANYONE, CallerKind.ANYONE, "")]
            kinds = [CallerKind.ROLE] + [CallerKind.USER, CallerKind.ROOT] * bool(keys.KIND_KEYS & set(clauses))
            kinds.append(CallerKind.SERVICE)  # `*` lets services in too, acting for whoever owns the source
            service = keys.service_of_sources(clauses)
            probes += [keys.Probe(ANY_ACCOUNT, kind, a, service=service) for a in anyone for kind in kinds]
            probes += [keys.Probe(ACCOUNT, kind, a, service=service) for a in sorted(named) for kind in kinds]
            return probes
        if principal.type is PrincipalType.SERVICE and target_type == "function":
            # acting for any account is the confused deputy; for an account the conditions name, a
            # cross-account grant
            return [keys.Probe(SERVICE, CallerKind.SERVICE, a, service=str(principal.value)) for a in anyone] + \
                [keys.Probe(ACCOUNT, CallerKind.SERVICE, a, service=str(principal.value)) for a in sorted(named)]
        if principal.type is not PrincipalType.AWS:  # a service for anything else, a federated provider
            return []
        arn = parse_arn(str(principal.value))
        if arn is None or not ACCOUNT_ID.match(arn.account) or arn.account in inside:
            return []
        if arn.resource == "root":
            return [keys.Probe(ACCOUNT, CallerKind.ROLE, arn.account), keys.Probe(ACCOUNT, CallerKind.ROOT, arn.account)]
        kind = CallerKind.USER if arn.resource.startswith("user/") else CallerKind.ROLE
        return [keys.Probe(ACCOUNT, kind, arn.account, arn=str(principal.value))]

    def _unresolved(self, principal: Principal, statements: list[Statement]) -> list[Outsider]:
        """A principal the inputs leave unresolved may be of any account, unless its account is known
        to be inside (`arn:aws:iam::<this account>:role/<generated name>`)."""
        text = str(principal.value)
        arn = parse_arn(text)
        if arn is not None and arn.account in self.zone.accounts:
            return []
        owned = all(u.owned for u in (principal.value.unknowns if isinstance(principal.value, Sym)
                                      else (principal.value,)))
        if owned and arn is not None and ACCOUNT_ID.match(arn.account):
            return []
        reason = f"principal {text}"
        answer = Answer(Decision.CONDITIONAL, (OnUnknown(reason),), tuple(statements))
        account = arn.account if arn is not None else text
        return [Outsider(ACCOUNT, text, account, answer)]

    # -- asking -----------------------------------------------------------------------------------
    def _ask(self, probe: keys.Probe, action: str, target: Target, clauses: dict,
             back: dict[int, Statement]) -> Outsider | None:
        """The best answer over every case of this outsider (the policy holds only the grant's own Allows)."""
        dimensions, lost = keys.dimensions(probe, clauses, self.zone, target, self._url_auth(target.arn))
        cases = 1
        for options in dimensions:
            cases *= len(options)
        best: Outsider | None = None
        if cases > MAX_CASES or lost:  # never a definite "nobody gets in" on values that may miss a case
            note = f"{cases} cases of the outsider's values: too many to try" if cases > MAX_CASES else \
                f"exactness lost: {'; '.join(lost)}"
            return Outsider(probe.kind, keys.describe(probe, {}, clauses), probe.account,
                            Answer(Decision.CONDITIONAL, (OnUnknown(f"{note}, so it may get in"),), (), (note,)))
        for combination in itertools.product(*dimensions):
            context: dict = {}
            for part in combination:
                context.update(part)
            caller = keys.caller(probe, context)
            request = Request(caller=caller, action=action, target=target,
                              context={**self.edges.context, **context}, closed=self.edges.closed)
            try:
                answer = self.edges.index.evaluator.evaluate(request)
            except InputError as error:
                answer = Answer(Decision.CONDITIONAL, (OnUnknown(f"depends on {error}"),))
            if answer.decision is Decision.DENIED:
                continue
            because = tuple(back.get(id(s), s) for s in answer.because)
            found = Outsider(probe.kind, keys.describe(probe, context, clauses), probe.account,
                             replace(answer, because=because))
            if answer.decision is Decision.ALLOWED:
                return found
            best = best or found
        return best

    def _url_auth(self, arn: object) -> frozenset[str]:
        """The auth types of a function's URLs (none for anything else)."""
        text = str(arn)
        function = self.edges.index.function(text, required=False) if ":lambda:" in text else None
        return frozenset(str(u.auth_type) for u in function.urls) if function is not None else frozenset()

    # -- this deployment's own generated names ------------------------------------------------
    def _concrete_policy(self, policy: Policy | None, ours: frozenset[int],
                         as_named: bool) -> tuple[Policy | None, dict[int, Statement], tuple[Unknown, ...]]:
        """The policy as one grant alone makes it: its own Allows (those naming the principal) and every
        Deny — an outsider gets in through the grant exactly when it gets in through this — with this
        deployment's own generated identifiers made literal (no outsider can hold them), and so every
        unresolved value of an identifying key but those that may name an account (with `as_named`,
        those too). `back` maps each statement made to the one written; the unknowns that may name an
        account are returned."""
        if policy is None:
            return None, {}, ()
        key = (id(policy), ours, as_named)
        cached = self._concrete.get(key)
        if cached is not None and cached[0] is policy:
            return cached[1:]
        if all(s.effect is not Effect.ALLOW or id(s) in ours for s in policy.statements) and \
                all(_plain(s) for s in policy.statements):
            return policy, {}, ()  # the grant is the whole policy, with nothing to make literal
        names = self._names
        statements, back, unknowns = [], {}, []
        for s in policy.statements:
            if s.effect is Effect.ALLOW and id(s) not in ours:
                continue
            conditions = []
            for c in s.conditions:
                named = c.key.lower() in keys.IDENTIFYING
                if named and c.key.lower() in keys.ACCOUNT_BEARING:
                    unknowns += [u for v in c.values for u in unknowns_of(v) if not u.owned]
                literal = named and (as_named or c.key.lower() not in keys.ACCOUNT_BEARING)
                conditions.append(c.model_copy(update={"values": tuple(
                    _concrete_value(v, names, every=literal) for v in c.values)}))
            made = s.model_copy(update={
                "resources": None if s.resources is None else tuple(_concrete_value(r, names) for r in s.resources),
                "principals": None if s.principals is None else tuple(
                    p.model_copy(update={"value": _concrete_value(p.value, names)}) for p in s.principals),
                "conditions": tuple(conditions)})
            statements.append(made)
            back[id(made)] = s
        made_policy = policy.model_copy(update={"statements": tuple(statements)})
        found = (made_policy, back, tuple(dict.fromkeys(unknowns)))
        self._concrete[key] = (policy, *found)
        return found


def _plain(s: Statement) -> bool:
    """Is every value of the statement a plain string (no unresolved part to make literal)?"""
    return all(isinstance(r, str) for r in s.resources or ()) and \
        all(isinstance(p.value, str) for p in s.principals or ()) and \
        all(isinstance(v, str) for c in s.conditions for v in c.values)


def _concrete_value(value: object, names: dict, every: bool = False) -> object:
    """A value with its owned unknown parts (`every`: all of them) replaced by a literal of their own
    (one per unknown), which no outsider holds."""
    if isinstance(value, Unknown):
        return names.setdefault(value, f"{OWN_NAME}{len(names) + 1}") if value.owned or every else value
    if isinstance(value, Sym) and any(u.owned or every for u in value.unknowns):
        return concat([_concrete_value(p, names, every) for p in value.parts])
    return value


def zone_of(trusted: list[str], org_id: str, policies) -> Zone:
    """The zone of trust: the deploying and the trusted accounts (a resource's own account joins it for
    its grants); the configured organisation or, none configured, every organisation id the policies
    name — nobody writes a stranger's organisation into a condition."""
    orgs = frozenset({org_id}) if org_id else keys.orgs_named(policies)
    return Zone(frozenset(a for a in trusted if a), orgs)

