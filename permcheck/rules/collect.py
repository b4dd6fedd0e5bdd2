"""Facts from the model and the evaluator: the collections rules range over.

Each collection is built only when a rule in force asks for it, once per run. Grants
are decided by the evaluator (conditions, denies, SCPs and all), never read off the
raw statement: a condition that restricts a grant is seen as one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from permcheck.graph.edges import Edges
from permcheck.graph.outsiders import Outsiders, Zone, zone_of
from permcheck.iam.answer import Answer, ConditionEntry, Decision, OnUnknown
from permcheck.model.arn import account_of, parse_arn
from permcheck.model.entities import Function, Resource, Role
from permcheck.model.policy import ANYONE, Effect, Policy, Principal, PrincipalType, Statement
from permcheck.model.values import Sym, Unknown
from permcheck.rules import facts, grant_outsiders, grant_shapes
from permcheck.rules.asking import TARGET_TYPES, ask_or_unknown, holder_of
from permcheck.rules.identity import statement_ids



@dataclass
class Facts:
    """The subjects of the rule language over one run's model."""

    edges: Edges
    trusted: tuple[str, ...] = ()  # the zone of trust: the deploying and the trusted accounts …
    org_id: str = ""  # … and the configured organisation
    zone: Zone | None = None  # made from those (and the organisations the policies name) when first asked
    wants: dict[str, list] = field(default_factory=dict)  # subject → the rules' field tests (rules/wants.py)
    share_shapes: bool = True  # grants decided once per shape of policy (grant_shapes.py); False: each alone
    _cache: dict = field(default_factory=dict, repr=False)
    _shared: dict = field(default_factory=dict, repr=False)  # grant_shapes.shape → the grants decided for it
    _nobody_in: set = field(default_factory=set, repr=False)  # grants (by outsider shape) that let no outsider in
    _let_in: dict = field(default_factory=dict, repr=False)  # the outsiders found by content (grant_outsiders)
    _callers: dict = field(default_factory=dict, repr=False)  # principal → does its caller read the holder's ARN
    _ids: dict = field(default_factory=dict, repr=False)  # id(policy) → (policy, its statement ids)
    _decisions: dict = field(default_factory=dict, repr=False)  # decision shape → a decision kept (grant_shapes)
    _parts: dict = field(default_factory=dict, repr=False)  # parts of the shape keys, kept (grant_shapes._contents)

    @cached_property
    def outsiders(self) -> Outsiders:
        """The probe that asks the evaluator what outsiders each grant lets in."""
        if self.zone is None:
            trusted = (*self.trusted, self.inventory.default_account)
            self.zone = zone_of(list(trusted), self.org_id, (p for p, _, _ in self.placed))
        return Outsiders(self.edges, self.zone)

    @cached_property
    def _sharing(self) -> bool:
        """Are grants shared by shape here (not turned off, and no SCP or RCP reads a resource's ARN)?"""
        return self.share_shapes and grant_shapes.org_free(self.edges.index.organisation)

    def of(self, edges: Edges) -> "Facts":
        """The facts of a changed copy of the model (a fix being proven), in the same zone of trust,
        with the outsiders found by content (`grant_outsiders.probed`: its key holds all the probes read)."""
        changed = Facts(edges, self.trusted, self.org_id, self.outsiders.zone, self.wants)
        changed._let_in = self._let_in
        return changed

    def subject(self, name: str, part: tuple[int, int] | None = None) -> list:
        """A subject's facts; with `part` (grants only), those of the holders `grant_holders[lo:hi]`,
        which are the whole subject's facts from `grant_holders[lo]`'s first to `[hi - 1]`'s last."""
        key = name if part is None else (name, part)
        if key not in self._cache:
            self._cache[key] = getattr(self, f"_{name}")() if part is None else self._grants(slice(*part))
        return self._cache[key]

    @property
    def inventory(self):
        return self.edges.index.inventory

    # -- where every policy sits ----------------------------------------------------------
    @cached_property
    def placed(self) -> list[tuple[Policy, str, str]]:
        """(policy, holder fallback, holder type) for every policy in the inputs, each once."""
        inv, out, seen = self.inventory, [], set()

        def add(policy: Policy | None, holder: str, kind: str) -> None:
            if policy is not None and id(policy) not in seen:
                seen.add(id(policy))
                out.append((policy, holder, kind))

        for table, kind in ((inv.roles, "role"), (inv.users, "user"), (inv.groups, "group")):
            for arn, entity in table.items():
                holder = entity.logical_id or arn
                add(getattr(entity, "trust", None), holder, kind)
                for policy in entity.policies:
                    add(policy, holder, kind)
                add(getattr(entity, "boundary", None), holder, kind)
        for arn, function in inv.functions.items():
            add(function.policy, function.logical_id or arn, "function")
        for arn, resource in inv.resources.items():
            add(resource.policy, resource.logical_id or arn, TARGET_TYPES.get(resource.type, "other"))
        for policy in inv.loose_policies:
            add(policy, policy.name, "document")
        for policy in (*inv.scps, *inv.rcps):
            add(policy, policy.name, policy.kind.value)
        return out

    def statement_ids(self, policy: Policy) -> dict[int, str]:
        """`identity.statement_ids`, hashed once per policy whatever facts ask for it (the statements
        and the grants of one trust policy cite the same ids)."""
        found = self._ids.get(id(policy))
        if found is None or found[0] is not policy:
            found = self._ids[id(policy)] = (policy, statement_ids(policy))  # the policy keeps its id its own
        return found[1]

    def _statements(self) -> list[facts.Statement]:
        out, make, ids_of = [], facts.Statement, self.statement_ids
        effects = {effect: effect.value for effect in Effect}
        for policy, holder, holder_type in self.placed:
            managed, kind = _aws_managed(policy), policy.kind.value
            for s in policy.statements:
                fact = make(
                    effect=effects[s.effect], kind=kind, actions=list(map(str, s.actions)),
                    not_action=s.not_action, resources=list(map(str, s.resources or ())),
                    not_resource=s.not_resource, principals=list(map(str, s.principals or ())),
                    not_principal=s.not_principal, conditions=[_clause(c) for c in s.conditions],
                    sid=s.sid or "", policy=s.policy, aws_managed=managed, holder=holder_of(s, holder),
                    holder_type=holder_type, location=s.location)
                object.__setattr__(fact, "_identity", (ids_of, policy, (s,)))  # `facts.Statement.statement`
                out.append(fact)
        return out

    def _policies(self) -> list[facts.Policy]:
        return [facts.Policy(name=p.name, kind=p.kind.value, error=p.error or "",
                             unknown=p.unknown.reason if p.unknown is not None else "",
                             aws_managed=_aws_managed(p), holder=p.holder or holder,
                             location=p.error_location or p.location)
                for p, holder, _ in self.placed]

    def _attachments(self) -> list[facts.Attachment]:
        inv, out = self.inventory, []
        for table, kind in ((inv.roles, "role"), (inv.users, "user"), (inv.groups, "group")):
            for arn, entity in table.items():
                for policy in entity.policies:
                    if policy.arn:
                        out.append(facts.Attachment(
                            principal=arn, principal_kind=kind, policy=policy.name, policy_arn=policy.arn,
                            aws_managed=_aws_managed(policy), holder=entity.logical_id or arn,
                            location=policy.location))
        return out

    def _grants(self, part: slice = slice(None)) -> list[facts.Grant]:
        out = []
        for policy, arn, target_type, owner in self.grant_holders[part]:
            out += self._grants_on(policy, arn, target_type, owner)
        return out

    @cached_property
    def grant_holders(self) -> list[tuple[Policy | None, str, str, Function | Role | Resource]]:
        """(policy, ARN, target type, holder) of every function policy, trust policy and resource
        policy, in the order of the grants subject."""
        inv = self.inventory
        return [(function.policy, function.arn, "function", function) for function in inv.functions.values()] + \
            [(role.trust, role.arn, "role", role) for role in inv.roles.values()] + \
            [(resource.policy, resource.arn, TARGET_TYPES.get(resource.type, "other"), resource)
             for resource in inv.resources.values()]

    def grants_split(self, share: float) -> int:
        """Where to cut `grant_holders` so that the first part holds about `share` of their statements
        (what deciding grants costs grows with)."""
        sizes = [len(policy.statements) if policy is not None else 0 for policy, _, _, _ in self.grant_holders]
        goal, total = share * sum(sizes), 0
        for index, size in enumerate(sizes):
            if total >= goal:
                return index
            total += size
        return len(sizes)

    def grants_on(self, target: str, target_type: str, only: str | None = None) -> list[facts.Grant]:
        """The grants of one function, role or resource (a fix suggestion re-checks only that), or
        of those the one principal `only` gets (each principal's grant is decided on its own)."""
        inv = self.inventory
        if target_type == "function" and target in inv.functions:
            return self._grants_on(inv.functions[target].policy, target, target_type, inv.functions[target], only)
        if target_type == "role" and target in inv.roles:
            return self._grants_on(inv.roles[target].trust, target, target_type, inv.roles[target], only)
        if target in inv.resources:
            return self._grants_on(inv.resources[target].policy, target, target_type, inv.resources[target], only)
        return []

    def _escalations(self) -> list[facts.Escalation]:
        from permcheck.rules.escalation import escalations
        return escalations(self.edges)

    def _trigger_paths(self) -> list[facts.TriggerPath]:
        from permcheck.rules.trigger_facts import trigger_paths
        return trigger_paths(self.edges, self.outsiders, lambda: {e.principal for e in self.subject("escalations")},
                             self.wants.get("trigger_paths", [()]))

    # -- grants ---------------------------------------------------------------------------
    def _grants_on(self, policy: Policy | None, arn: object, target_type: str,
                   owner: Function | Role | Resource, only: str | None = None) -> list[facts.Grant]:
        """The grants of `policy` on `owner`: decided once per shape of policy and holder
        (`grant_shapes.py`), each placed on this holder's own statements. With `only` (a fix proof's
        re-check), the one principal's grant, decided alone: a part of a policy's grants is never shared."""
        if policy is None or policy.error or policy.unknown is not None:
            return []
        target = str(arn)
        account = getattr(owner, "account", None) or account_of(target) or self.inventory.default_account
        key = grant_shapes.shape(self, policy, arn, target_type, owner, account) \
            if self._sharing and only is None else None
        decided = self._shared.get(key) if key is not None else None
        if decided is None:
            decided = self._decided(policy, arn, target_type, owner, account, only)
            if key is not None:
                self._shared[key] = decided
        fallback = owner.logical_id or target
        out = []
        for grant, deciding in decided:
            here = [policy.statements[i] for i in deciding]
            # the grant is reported where it is made: of the statements that let an outsider in (else
            # that decided it), the one whose holder sorts first — whatever order the template lists them in
            first = min(here, key=lambda s: (holder_of(s, fallback), s.sid or "", s.location.line or 0))
            out.append(_placed(grant, service=_service(target), target=target, target_account=account,
                               holder=holder_of(first, fallback), location=first.location,
                               resources=[target] if key is not None else grant.resources,
                               _identity=(self.statement_ids, policy, here)))  # `facts.Grant.statement`
        return out

    def _decided(self, policy: Policy, arn: object, target_type: str, owner: Function | Role | Resource,
                 account: str, only: str | None = None) -> list[tuple[facts.Grant, list[int]]]:
        """Each grant of `policy` (of the principal `only`, when given) with the places in it of the
        statements that decide it (its holder, location and statement ids are `_grants_on`'s to fill in)."""
        named: dict[str, tuple[Principal, list[Statement]]] = {}
        for s in policy.statements:
            if s.effect is Effect.ALLOW and s.principals is not None:
                for p in (s.principals if not s.not_principal else (ANYONE,)):
                    named.setdefault(str(p.value), (p, []))[1].append(s)
        target = str(arn)
        url_public = isinstance(owner, Function) and any(str(u.auth_type) == "NONE" for u in owner.urls)
        place = {id(s): i for i, s in enumerate(policy.statements)}
        # a fix proof's re-check (`only`) is decided alone: nothing of it is shared, so no key is made
        sharing = self._sharing and only is None
        shared = grant_shapes.decision_shape(self, policy, arn, target_type, owner, account) if sharing else None
        out = []
        for key, (principal, statements) in named.items():
            if only is not None and key != only:
                continue
            answer, actions, resources = self._decide_once(shared, policy, principal, statements, target, target_type)
            if answer is None:
                continue
            # nobody let in through a policy that differs from one asked before only in its own sources
            # (`grant_shapes.own_sources`) lets nobody in either
            closed = None if not sharing or resources != [target] else grant_shapes.outsider_shape(
                self, policy, statements, arn, target_type, owner, account, actions)
            closed = None if closed is None else (closed, principal.type, key)
            if closed in self._nobody_in:
                outside, door = dict.fromkeys(grant_outsiders.FIELDS, ""), []
            else:
                outside, door = grant_outsiders.probed(self, policy, principal, statements, arn, target_type, owner,
                                                       account, actions, resources)
                if closed is not None and not any(outside.values()):
                    self._nobody_in.add(closed)
            decided = [s for s in statements if s in answer.because]
            deciding = [s for s in door if s in decided] or door or decided or statements
            conditions = [_condition(c) for c in answer.conditions]
            detail = answer.decision.value + (f" on {'; '.join(map(str, conditions))}" if conditions else "")
            out.append((facts.Grant(
                service="", target=target, target_type=target_type, target_account=account,
                principal=key, principal_kind=_principal_kind(principal), principal_account=_account(principal),
                actions=sorted(actions), decision=answer.decision.value, conditions=conditions,
                decision_detail=detail, function_url_public=url_public, **outside, holder="",
                location=deciding[0].location, resources=resources), [place[id(s)] for s in deciding]))
        return out

    def _decide_once(self, shared: tuple | None, policy: Policy, principal: Principal,
                     statements: list[Statement], target: str,
                     target_type: str) -> tuple[Answer | None, list[str], list[str]]:
        """`_decide`, once per decision shape (`grant_shapes.decision_shape`: policies that differ only in
        which of their own rules, APIs or buckets they name), read back for this policy."""
        read = None if shared is None else grant_shapes.source_read(shared, policy, principal)
        if read is None:
            return self._decide(principal, statements, target, target_type)
        key, source, applying = read
        kept = self._decisions.get(key)
        if kept is not None:
            answer, actions, resources = kept
            return (None if answer is None else grant_shapes.recalled(answer, source, applying)), actions, \
                [target] * len(resources)
        answer, actions, resources = self._decide(principal, statements, target, target_type)
        kept = None if answer is None else grant_shapes.remembered(answer, source, applying, self.edges.index.organisation)
        if (answer is None or kept is not None) and resources in ([], [target]):
            self._decisions[key] = (kept, actions, resources)
        return answer, actions, resources

    def _decide(self, principal: Principal, statements: list[Statement], target: str,
                target_type: str) -> tuple[Answer | None, list[str]]:
        """The best answer for `principal` over the actions and resources its statements grant."""
        if isinstance(principal.value, (Sym, Unknown)):
            unknown = Answer(Decision.CONDITIONAL, (OnUnknown(f"principal {principal.value}"),), tuple(statements))
            return unknown, sorted({str(a) for s in statements for a in s.actions}), [target]
        caller = self.edges.caller_for_principal(principal)
        if caller is None:
            return None, [], []
        allowed, conditional, actions, granted = [], [], [], []
        for s in statements:
            resources = [target] if target_type in ("function", "role") else _on_holder(s, target, target_type)
            for action in (s.actions if not s.not_action else ("*",)):
                for resource in resources:
                    answer = ask_or_unknown(self.edges, caller, str(action), resource)
                    if answer.decision is Decision.DENIED:
                        continue
                    (allowed if answer.decision is Decision.ALLOWED else conditional).append(answer)
                    if str(action) not in actions:
                        actions.append(str(action))
                    if str(resource) not in granted:
                        granted.append(str(resource))
        if not allowed and not conditional:
            return None, [], []
        chosen = allowed or conditional
        conditions = [] if allowed else [c for a in conditional for c in a.conditions]
        unique = [c for i, c in enumerate(conditions) if c not in conditions[:i]]
        because = tuple(s for a in chosen for s in a.because)
        return Answer(chosen[0].decision, tuple(unique), because), actions, granted


def _placed(grant: facts.Grant, **fields) -> facts.Grant:
    """`dataclasses.replace` for a grant placed on its holder, without running `__init__` again (a
    grant decided once per shape is placed on every holder of it: thousands of roles). The grant is a
    plain frozen dataclass whose fields are its `__dict__`, so the copy equals what `replace` makes (and
    `_identity`, where `Grant.statement` finds its statements, rides beside them)."""
    placed = object.__new__(facts.Grant)
    placed.__dict__.update(grant.__dict__, **fields)
    return placed


def _on_holder(statement: Statement, target: str, target_type: str) -> list[str]:
    """What a resource-policy statement grants on the resource holding the policy: its
    Resource entries, with `*` (and NotResource) standing for the holder itself — and, for
    a bucket, its objects too (a bucket policy's grants reach both)."""
    own = [target, f"{target}/*"] if target_type == "bucket" else [target]
    if statement.not_resource or not statement.resources:
        return own
    out = []
    for resource in statement.resources:
        out += own if resource == "*" else [resource]
    return list(dict.fromkeys(out))


def _aws_managed(policy: Policy) -> bool:
    return bool(policy.arn) and ":iam::aws:policy/" in policy.arn


def _clause(clause) -> facts.Condition:
    return facts.Condition(operator=clause.operator, key=clause.key.lower(), values=[str(v) for v in clause.values],
                           unknown="", negated=False, written=clause.key)


def _condition(entry: ConditionEntry) -> facts.Condition:
    if isinstance(entry, OnUnknown):
        return facts.Condition(operator="", key="", values=[], unknown=entry.reason, negated=False)
    return facts.Condition(operator=entry.operator, key=entry.key.lower(), values=list(entry.values), unknown="",
                           negated=entry.effect == "Deny", written=entry.key)


def _service(arn: str) -> str:
    parsed = parse_arn(arn)
    return parsed.service if parsed else ""


def _principal_kind(principal: Principal) -> str:
    if isinstance(principal.value, (Sym, Unknown)):
        return "unknown"
    kinds = {PrincipalType.ANYONE: "anyone", PrincipalType.SERVICE: "service",
             PrincipalType.FEDERATED: "federated", PrincipalType.CANONICAL_USER: "canonical-user"}
    if principal.type in kinds:
        return kinds[principal.type]
    parsed = parse_arn(str(principal.value))
    if parsed is None:
        return "unknown"
    if parsed.resource == "root":
        return "account"
    head = parsed.resource.split("/", 1)[0]
    return {"role": "role", "user": "user", "assumed-role": "session"}.get(head, "unknown")


def _account(principal: Principal) -> str:
    if principal.type is not PrincipalType.AWS or isinstance(principal.value, (Sym, Unknown)):
        return ""
    return account_of(str(principal.value)) or ""

