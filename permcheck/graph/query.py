"""The contract's queries: who-can-invoke, what-can-access, can.

Each returns typed rows (graph/rows.py); report/ renders them.
"""

from __future__ import annotations

from permcheck.graph.edges import INVOKE_ACTIONS, Edges
from permcheck.graph.block_rows import BlockRows, block_rows
from permcheck.graph.rows import Access, Invoker, Invokers, Reach, Verdict
from permcheck.iam.answer import Answer, Decision, OnUnknown
from permcheck.iam.match import match
from permcheck.iam.request import Caller, CallerKind
from permcheck.model.entities import Function
from permcheck.model.location import InputError
from permcheck.model.policy import Effect, Principal, Statement
from permcheck.model.values import concat


def combine(answers: list[Answer]) -> Answer:
    """A chain holds when every link holds: allowed only if all are, conditions joined."""
    if any(a.decision is Decision.DENIED for a in answers):
        return Answer(Decision.DENIED)
    decision = Decision.ALLOWED if all(a.decision is Decision.ALLOWED for a in answers) else Decision.CONDITIONAL
    conditions, statements, notes, cited = [], [], [], set()
    for a in answers:
        conditions += [c for c in a.conditions if c not in conditions]
        for statement in a.because:  # one model's statements: the same statement is the same object
            if id(statement) not in cited:
                cited.add(id(statement))
                statements.append(statement)
        notes += [n for n in a.notes if n not in notes]
    return Answer(decision, tuple(conditions), tuple(statements), tuple(notes))


def who_can_invoke(edges: Edges, function: Function) -> Invokers:
    """Every principal allowed or conditional to invoke `function`, with role chains."""
    arn = str(function.arn)
    targets, actions = _targets(function)
    entries, asked = _named(edges, function, targets, actions)
    skip = set(asked)
    found = [(qualifier, action, edges.invokers.answers(function.policy, action, resource, skip))
             for resource, qualifier in targets for action in actions]
    # One target, one action (most functions): the block's rows are built (and sorted) once for
    # every function of its class; this function leaves out the principals it treats apart and
    # adds its own (graph/block_rows.py).
    one = found[0][2] if len(found) == 1 and found[0][2].block is not None else None
    for qualifier, action, invokers in found:
        for caller, answer, shared_answer in (invokers.extra if one is not None else invokers.all()):
            asked.setdefault(caller.arn, (caller, []))[1].append((qualifier, action, answer, shared_answer))
    direct: dict[str, list[tuple[str | None, Answer, bool]]] = {}
    entries += _direct_entries(edges, asked, direct)
    entries.sort(key=Invoker.order)
    if one is None:
        return Invokers(arn, entries + sorted(_chains(edges, direct), key=Invoker.order))
    shared = block_rows(one.block, found[0][1])
    chains = _chains(edges, direct, block=(shared, one.excluded))
    return Invokers(arn, shared.taken(one.excluded, entries) + sorted(chains, key=Invoker.order))


def anyone_invokers(edges: Edges, function: Function) -> list[Invoker]:
    """who-can-invoke's rows of `*` (anyone), in its order, without asking about every other
    invoker — for a caller that can use no other row (rules/trigger_facts.py: a rule on public
    ways in, on a function whose policy names anyone).

    `*` is asked only as the function's policy names it (it is no role's or user's identity
    invoker). A chain from `*` (a role whose trust names anyone, then the roles it may assume) is
    walked only for a qualifier `*` does not invoke itself (`Edges.best_chains` leaves the
    invokers out), and it runs through roles `*` reaches (`Edges.anyone_reaches`) to an invoker
    among them: every role on it is one `*` reaches. So the chains are those to the invokers among
    the roles `*` reaches (`_reached_invokers`), each asked as who-can-invoke asks it;
    `tests/property/test_anyone_rows.py` checks the rows against the whole answer's."""
    targets, actions = _targets(function)
    entries, asked = _named(edges, function, targets, actions)
    entries = [row for row in entries if row.principal == "*"]
    direct: dict[str, list[tuple[str | None, Answer, bool]]] = {}
    if "*" in asked:
        entries += _direct_entries(edges, {"*": asked["*"]}, direct)
    invoked = {qualifier for qualifier, _, _ in direct.get("*", ())}
    rest = [(resource, q) for resource, q in targets if q not in invoked]
    if rest and edges.anyone_reaches:
        _direct_entries(edges, _reached_invokers(edges, edges.anyone_reaches, asked, rest, actions), direct)
        entries += _chains(edges, direct, source_only="*")
    return sorted(entries, key=Invoker.order)


def _reached_invokers(edges: Edges, roles: frozenset[str], asked: dict, targets: list,
                      actions: tuple[str, ...]) -> dict[str, tuple[Caller, list]]:
    """The answers of `roles` as who-can-invoke's direct invokers on `targets`: a role the
    function's policy names is asked as such (`asked`); another is listed only where its identity
    policies may allow the invoke there (`Edges.identity_candidates`: graph/invokers.py answers
    no other), with the evaluator's answer (the shared ones are the same)."""
    out: dict[str, tuple[Caller, list]] = {}
    inventory = edges.index.inventory
    for resource, q in targets:
        for action in actions:
            candidates = {str(entity.arn) for entity in edges.identity_candidates(action, resource)}
            for role in sorted(roles):
                if role in asked:
                    caller, answers = asked[role]
                    answer = next(a for other, act, a, _ in answers if other == q and act == action)
                elif role in candidates and role in inventory.roles:
                    caller = edges.index.caller_for_entity(inventory.roles[role])
                    answer = edges.ask(caller, action, resource)
                else:
                    continue
                out.setdefault(role, (caller, []))[1].append((q, action, answer, False))
    return out


def _targets(function: Function) -> tuple[list[tuple[object, str | None]], tuple[str, ...]]:
    """What who-can-invoke asks about: (ARN, qualifier) of the function and each qualifier, and
    the invoke actions (the URL's too when it has one)."""
    targets = [(function.arn, None)] + [(concat([function.arn, f":{q}"]), q) for q in function.qualifiers]
    return targets, INVOKE_ACTIONS if function.urls else INVOKE_ACTIONS[:1]


def _named(edges: Edges, function: Function, targets: list, actions: tuple[str, ...]) \
        -> tuple[list[Invoker], dict[str, tuple[Caller, list]]]:
    """The principals the function's policy names: a row for each that cannot be resolved, and
    each other one's answers — principal → (caller, [(qualifier, action, answer, shared)])."""
    statements = function.policy.statements if function.policy else ()
    entries: list[Invoker] = []
    callers: dict[str, Caller] = {}
    for named in edges.named_callers(statements):
        if isinstance(named, Principal):
            entries.append(_unknown_principal_entry(named, statements))
        else:
            callers[named.session_arn or named.arn] = named
    asked = {key: (caller, [(q, action, edges.ask(caller, action, resource), False)
                            for resource, q in targets for action in actions])
             for key, caller in callers.items()}
    return entries, asked


def _direct_entries(edges: Edges, asked: dict[str, tuple[Caller, list]],
                    direct: dict[str, list[tuple[str | None, Answer, bool]]]) -> list[Invoker]:
    """One entry per principal, qualifier and group of actions with one answer (denied ones
    dropped); each is recorded in `direct` for the chains."""
    out = []
    for key, (caller, answers) in asked.items():
        if len(answers) == 1:  # one target, one action: most functions
            qualifier, action, answer, shared = answers[0]
            groups = [] if answer.decision is Decision.DENIED else [(qualifier, [action], answer, shared)]
        else:
            groups = [(q, acts, answer, shared) for q in dict.fromkeys(q for q, _, _, _ in answers)
                      for acts, answer, shared in _by_answer([(action, answer, shared) for other, action, answer, shared
                                                             in answers if other == q])]
        for qualifier, acts, answer, shared in groups:
            out.append(_shared_row(edges, ("direct", key, tuple(acts), id(answer), qualifier), answer,
                                   lambda: Invoker(key, tuple(acts), answer, qualifier)) if shared
                       else Invoker(key, tuple(acts), answer, qualifier))
            direct.setdefault(caller.arn, []).append((qualifier, answer, shared))
    return out


def _by_answer(pairs: list[tuple[str, Answer, bool]]) -> list[tuple[list[str], Answer, bool]]:
    """Group actions with the same decision and conditions (their reasons joined); drop denied ones."""
    if len(pairs) == 1:  # the common case: one action, its answer as it is (shared or not)
        action, answer, shared = pairs[0]
        return [] if answer.decision is Decision.DENIED else [([action], answer, shared)]
    groups: dict[tuple, tuple[list[str], Answer]] = {}
    for action, answer, _ in pairs:
        if answer.decision is Decision.DENIED:
            continue
        key = (answer.decision, repr(answer.conditions), answer.notes)
        if key in groups:
            actions, other = groups[key]
            actions.append(action)
            merged = other.because + tuple(s for s in answer.because if s not in other.because)
            groups[key] = (actions, Answer(other.decision, other.conditions, merged, other.notes))
        else:
            groups[key] = ([action], answer)
    return [(actions, answer, False) for actions, answer in groups.values()]


def _shared_row(edges: Edges, key: tuple, answer: Answer, build) -> Invoker | None:
    """A row made of a shared answer (the same object wherever it holds) is made once and is the
    same object for every function, so report/ renders it once: `key` holds the answer's id, so
    the answer is kept with it."""
    found = edges.row_cache.get(key)
    if found is None:
        if len(edges.row_cache) > 500_000:
            edges.row_cache.clear()
        found = edges.row_cache[key] = (answer, build())
    return found[1]


def _unknown_principal_entry(principal: Principal, statements: tuple[Statement, ...]) -> Invoker:
    named = [s for s in statements if s.principals and principal in s.principals]
    answer = Answer(Decision.CONDITIONAL, (OnUnknown(f"principal {principal.value}"),), tuple(named))
    actions = tuple(sorted({str(a) for s in named for a in s.actions}))
    return Invoker(str(principal.value), actions, answer)


def _chains(edges: Edges, direct: dict[str, list[tuple[str | None, Answer, bool]]],
            source_only: str | None = None, block: tuple[BlockRows, set[str]] | None = None) -> list[Invoker]:
    """Principals that reach a direct invoker by assuming roles, each by a shortest chain
    (`Edges.best_chains`); a principal that invokes directly is not repeated. With `source_only`,
    that principal's chains alone. With `block` (its rows, the principals left out of them), the
    block's invokers come before those of `direct` (one target: no qualifier)."""
    by_qualifier: dict[str | None, dict[str, tuple[Answer, bool]]] = {}
    for role, answers in direct.items():
        for qualifier, answer, shared in answers:
            by_qualifier.setdefault(qualifier, {}).setdefault(role, (answer, shared))
    groups = [(qualifier, frozenset(invokers), invokers.__getitem__) for qualifier, invokers in by_qualifier.items()]
    if block is not None:
        rows, excluded = block
        kept, own = rows.invokers - excluded, by_qualifier.get(None, {})
        groups = [(None, kept | frozenset(own), lambda role: rows.answers[role] if role in kept else own[role])]
    out = []
    for qualifier, invokers, answer_of in groups:
        for source, via, taken in edges.best_chains(invokers):
            if source_only is not None and source != source_only:
                continue
            answer, shared = answer_of(via[-1])

            def build(source=source, via=via, taken=taken, answer=answer) -> Invoker | None:
                combined = combine([edge.answer for edge in taken] + [answer])
                if combined.decision is Decision.DENIED:
                    return None
                return Invoker(source, ("lambda:InvokeFunction",), combined, qualifier, tuple(via))
            entry = _shared_row(edges, ("chain", source, id(answer), qualifier, via), answer, build) if shared \
                else build()
            if entry is not None:
                out.append(entry)
    return out


def what_can_access(edges: Edges, caller: Caller) -> Reach:
    """What a principal may do: its identity grants, resource policies naming it, and role chains."""
    entries = _access(edges, caller, None, ())
    for arn, via, taken in edges.reachable_roles(caller.arn):
        role = edges.index.caller_for_entity(edges.index.inventory.roles[arn])
        entries += _access(edges, role, [edge.answer for edge in taken], tuple(via))
    return Reach(caller.session_arn or caller.arn, entries)


def _access(edges: Edges, caller: Caller, chain: list[Answer] | None, via: tuple[str, ...]) -> list[Access]:
    grants: list[tuple[object, object]] = []  # (action pattern, resource pattern) as granted
    for policy in (*(caller.identity or ()), *((caller.boundary,) if caller.boundary else ())):
        if policy.error:  # every answer depends on it, and AWS would refuse to deploy it
            raise InputError(policy.error_location, f"invalid policy {policy.name}: {policy.error}")
    if caller.kind in (CallerKind.ROLE, CallerKind.USER) and caller.identity:
        for policy in caller.identity:
            for statement in policy.statements:
                if statement.effect is Effect.ALLOW:
                    grants += _patterns(statement)
            if policy.unknown is not None:
                grants.append(("*", "*"))
    grants += _resource_grants(edges, caller)
    grants += _narrowed(grants, caller)
    by_resource: dict[str, tuple[object, list]] = {}
    for action, resource in dict.fromkeys(grants):
        by_resource.setdefault(str(resource), (resource, []))[1].append(action)
    carve_outs = _carve_outs(caller)
    out = []
    for key, (resource, actions) in by_resource.items():
        general = _entries(edges, caller, resource, actions, chain, via)
        out += general
        if _is_pattern(resource):
            # Where a resource policy in the inputs (e.g. a bucket policy's Deny without TLS), or
            # the principal's own Deny on part of it, changes the answer under a wildcard grant,
            # show that resource on its own.
            seen = {(row.answer.decision, row.answer.conditions) for row in general}
            covered = _covered_holders(edges, resource, actions, caller)
            covered += [r for r in carve_outs if r != resource and match(resource, r) is not False]
            for holder in dict.fromkeys(covered):
                if str(holder) in by_resource:
                    continue
                for row in _entries(edges, caller, holder, actions, chain, via):
                    if (row.answer.decision, row.answer.conditions) not in seen:
                        out.append(row)
    return out


def _carve_outs(caller: Caller) -> list[object]:
    """The resources the principal's own Deny statements name (its identity policies and
    boundary): under a wider Allow, the answer there may differ."""
    out = []
    for policy in (*(caller.identity or ()), *((caller.boundary,) if caller.boundary else ())):
        for statement in policy.statements:
            if statement.effect is Effect.DENY and not statement.not_resource:
                out += [r for r in statement.resources or () if r != "*"]
    return out


def _narrowed(grants: list[tuple[object, object]], caller: Caller) -> list[tuple[object, object]]:
    """What a permissions boundary leaves of wide grants: its Allow patterns that fall under them.

    `lambda:*` on `*` inside a boundary that allows only `lambda:InvokeFunction` on one
    function is, in effect, that invoke: probe it so the answer shows it.
    """
    if caller.boundary is None:
        return []
    out = []
    for statement in caller.boundary.statements:
        if statement.effect is not Effect.ALLOW or statement.not_action or statement.not_resource:
            continue
        for action, resource in _patterns(statement):
            if any(match(g_action, action, ignore_case=True) is not False and match(g_resource, resource) is not False
                   for g_action, g_resource in grants):
                out.append((action, resource))
    return out


def _entries(edges: Edges, caller: Caller, resource: object, actions: list, chain, via) -> list[Access]:
    pairs, outside = [], []
    for action in map(str, actions):
        answer = edges.ask(caller, action, resource)
        unseen = edges.outside_side(caller, action, resource, answer)
        (pairs if unseen is None else outside).append((action, unseen or answer, False))
    out = []
    for acts, answer, _ in _by_answer(pairs) + _unseen_group(outside):
        if chain and answer.decision is Decision.DENIED:  # an unseen side: listed if the chain holds
            reached = combine(chain)
            if reached.decision is Decision.DENIED:
                continue
            answer = Answer(Decision.DENIED, (), reached.because + answer.because, answer.notes)
        elif chain:
            answer = combine(chain + [answer])
            if answer.decision is Decision.DENIED:
                continue
        out.append(Access(str(resource), tuple(acts), answer, via))
    return out


def _unseen_group(outside: list[tuple[str, Answer, bool]]) -> list[tuple[list[str], Answer, bool]]:
    """Grants on a resource in another account that the inputs do not show (`accounts.outside_side`):
    denied by AWS's default, yet listed with the note, so that the reviewer sees the grant."""
    if not outside:
        return []
    because = tuple(dict.fromkeys(s for _, answer, _ in outside for s in answer.because))
    return [([a for a, _, _ in outside], Answer(Decision.DENIED, (), because, outside[0][1].notes), False)]


def _is_pattern(resource: object) -> bool:
    return isinstance(resource, str) and ("*" in resource or "?" in resource)


def _covered_holders(edges: Edges, pattern: str, actions: list, caller: Caller) -> list:
    """Resources under a wildcard grant, of the services the actions name, whose own policy
    may name the caller (only such a policy can change the answer there)."""
    from permcheck.iam.principals import may_name
    services = {str(a).split(":", 1)[0].lower() for a in actions}
    by_service = edges.index.policy_holders()
    holders = [(h, policy) for service, found in by_service.items()
               if "*" in services or any(match(s, service, ignore_case=True) for s in services) for h, policy in found]
    return [h for h, policy in holders if match(pattern, h) is not False and may_name(edges.index.named_by(policy), caller)]


def _patterns(statement: Statement) -> list[tuple[object, object]]:
    actions = list(statement.actions) if not statement.not_action else ["*"]
    resources = list(statement.resources or ("*",)) if not statement.not_resource else ["*"]
    return [(a, r) for r in resources for a in actions]


def _resource_grants(edges: Edges, caller: Caller) -> list[tuple[str, str]]:
    """Resource-policy statements elsewhere in the inputs that name this caller or its account."""
    from permcheck.iam.principals import principal_match
    inv = edges.index.inventory
    holders = [(f.arn, f.policy) for f in inv.functions.values()] + \
              [(r.arn, r.policy) for r in inv.resources.values()]
    out = []
    for holder, policy in holders:
        if policy is None:
            continue
        for statement in policy.statements:
            if statement.effect is not Effect.ALLOW or statement.principals is None:
                continue
            hit, grant = principal_match(statement, caller)
            if hit is False or (grant is not None and grant.value == "any"):
                continue  # public grants show under who-can-invoke and in check, not per principal
            resources = [r for r in statement.resources or () if r != "*" and not statement.not_resource] or [holder]
            out += [(a, r) for r in resources for a in statement.actions]
    return out


def can(edges: Edges, caller: Caller, action: str, resource: object) -> Verdict:
    answer = edges.ask(caller, action, resource)
    answer = edges.outside_side(caller, action, resource, answer) or answer
    return Verdict(caller.session_arn or caller.arn, action, str(resource), answer)
