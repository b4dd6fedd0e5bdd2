"""Which resource policies are decided once for all: the shape a grant's facts depend on.

Twenty thousand trust policies written from a handful of templates grant the same principals the
same actions under the same conditions; only the role they sit on differs. A grant's facts (its
decision, conditions and outsiders) are then the same for each, once re-expressed for the holder:
its ARN, its own statements cited (holder, file, line, statement id). `shape` is the key under
which `Facts` keeps them; None when the policy must be decided alone.

What the facts read of a holder, and how the key holds it:
- the policy's content, statement by statement in order (`Caches.shape` reads the same fields),
  with each Resource written relative to the holder's ARN: the evaluator matches a Resource
  against the ARN of the resource asked about, here the holder's own, and a literal prefix
  matches itself whatever it is, so `<holder ARN>:prod` or `*` matches alike on every holder
  ("Resource", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
  A Resource that is not `*` and does not start with the holder's ARN (another function,
  `function:app-*`) may match one holder and not another: such a policy is decided alone;
- every other value as written: a condition or principal naming the holder's own ARN makes its
  policy one of a kind;
- the holder's account, its function URLs' auth types, and for each action the policy grants,
  what the index holds of it as a target (`target_class`: policy required, its context, a note);
- whether AWS protects the holder whatever policies say (a service-linked role:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html);
- the callers its principals are: a caller with identity policies or a boundary matches their
  Resources against the holder's ARN too, and an SCP or RCP with a Resource other than `*` does
  the same, so those policies are decided alone.
Only functions and roles share: their grants are asked on the holder alone (a bucket's grants reach
its objects too, and name Resources of their own).

Two finer keys share the parts of a grant that read less of its policy, between policies that differ
only in which of their own rules, APIs or buckets their `aws:SourceArn` conditions name (`own_sources`):
`outsider_shape`, for a grant that lets no outsider in (the probes read only the grant's statements and
the Denies), and `decision_shape` with `source_read`, for a principal's decision, read back with the
policy's own source (`remembered`, `recalled`).
"""

from __future__ import annotations

from dataclasses import replace

from permcheck.graph.outsider_keys import ACCOUNT_IN_TEXT
from permcheck.iam.answer import Answer, OnClause
from permcheck.iam.builtin import PROTECTIONS
from permcheck.iam.decide import target_class
from permcheck.model.entities import Function
from permcheck.model.location import InputError
from permcheck.model.policy import Effect, Policy, PrincipalType, Principal, Statement

SHARED_TYPES = frozenset({"function", "role"})
_WILD = ("*", "?", "$")


def shape(facts, policy: Policy, arn: object, target_type: str, owner, account: str,
          inside: frozenset[str] | None = None) -> tuple | None:
    """The key of `policy`'s grants on `owner` (at `arn`, in `account`); None: decide it alone. With
    `inside`, its own source ARNs are written as `own_sources` writes them (`decision_shape`)."""
    statements = _contents(policy.statements, arn, target_type, inside, facts._parts)
    if statements is None:
        return None
    edges = facts.edges
    actions, principals = set(), set()
    for s in policy.statements:
        if s.effect is Effect.ALLOW and s.principals is not None:
            actions.update(str(a) for a in (s.actions if not s.not_action else ("*",)))
            principals.update(s.principals if not s.not_principal else ())
    if _callers_read_holder(edges, principals, facts._callers):
        return None
    return (target_type, account, *_holder(edges, arn, owner, actions, facts._parts), policy.kind, statements)


def outsider_shape(facts, policy: Policy, statements: list[Statement], arn: object, target_type: str, owner,
                   account: str, actions: list[str], plain: bool = False) -> tuple | None:
    """The key of which outsiders a grant lets in: what the probes read (`Outsiders.let_in`) — the
    grant's statements and the policy's Denies, on the holder, for `actions` — with its own source
    ARNs written as `own_sources` says (with `plain`, as written: the key of the outsiders themselves,
    whose details may name a source); None: probe it alone."""
    ours = {id(s) for s in statements}
    inside = None if plain else facts.outsiders.zone.accounts | {account}
    read = [s for s in policy.statements if s.effect is not Effect.ALLOW or id(s) in ours]
    contents = _contents(read, arn, target_type, inside, facts._parts)
    if contents is None:
        return None
    return (target_type, account, *_holder(facts.edges, arn, owner, actions, facts._parts), contents,
            tuple(sorted(actions)))


def decision_shape(facts, policy: Policy, arn: object, target_type: str, owner, account: str) -> tuple | None:
    """The key of the decisions of `policy`'s principals (`Facts._decide`), its own source ARNs written
    as `own_sources` writes them; None: decide them alone (a source that is not its own, a policy
    variable, a source text written twice, a source key the SCPs, RCPs or `--context` read).

    A decision is conditional on the clause naming the source, which the answer lists with its value
    (re-expressed by `recalled`). Its truth for a request's source ARN falls in the same three cases
    whatever rule, API or bucket the value names, as its first five fields hold no wildcard: an ARN
    that matches it, a well-formed ARN that does not (another service), and a value that is no ARN,
    which matches no `Arn*` clause ("ArnLike", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN).
    That holds for one value alone: `source_read` finds the one a principal's decision reads."""
    edges = facts.edges
    org = edges.index.organisation
    if "aws:sourcearn" in edges.context or any(
            c.key.lower() == "aws:sourcearn" for p in (*org.scps, *org.rcps) for st in p.statements for c in st.conditions):
        return None
    clauses = [c for st in policy.statements for c in st.conditions]
    texts = [v for c in clauses for v in c.values]
    if any(not isinstance(t, str) or "${" in t for t in texts):
        return None
    inside = facts.outsiders.zone.accounts | {account}
    for c in clauses:
        if c.key.lower() == "aws:sourcearn" and any(
                not isinstance(v, tuple) for v in own_sources(c.operator, c.key, c.values, inside)):
            return None
    if any(texts.count(v) != 1 for c in clauses if c.key.lower() == "aws:sourcearn" for v in c.values):
        return None
    key = shape(facts, policy, arn, target_type, owner, account, inside)
    return None if key is None else (key[:-1], arn, target_type, inside)  # the holder's part, and how to read


def source_read(shared: tuple, policy: Policy, principal: Principal) -> tuple[tuple, str, list[Statement]] | None:
    """For the decision of `principal` on a policy of a `decision_shape`: its key, the one source ARN it
    reads and the statements that may apply to it — for a service, all but those naming only other
    services (case aside), IAM principals or other names, which the evaluator never matches to it
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html);
    for any other principal, the whole policy. None: it reads no source, or more than one."""
    head, arn, target_type, inside = shared
    name = str(principal.value)

    def other(p: Principal) -> bool:  # a principal no request of the service matches (`principals._names`)
        if p.type is PrincipalType.SERVICE:
            return str(p.value).lower() != name.lower()
        return p.type is PrincipalType.AWS or p.type is not PrincipalType.ANYONE and p.value != name

    def applies(st: Statement) -> bool:
        if principal.type is not PrincipalType.SERVICE or st.not_principal or st.principals is None:
            return True
        return not all(other(p) for p in st.principals)
    applying = [st for st in policy.statements if applies(st)]
    found = [v for st in applying for c in st.conditions if c.key.lower() == "aws:sourcearn" for v in c.values]
    if len(found) != 1:
        return None
    key = (head, principal.type, str(principal.value), _contents(applying, arn, target_type, inside))
    return key, found[0], applying


_SOURCE = ("the own source",)  # stands for it in a decision kept by `remembered`


def remembered(answer: Answer, source: str, statements: list[Statement], org) -> tuple | None:
    """A decision in terms any policy of its shape can read back (`recalled`): its own source ARN and
    the statements that may apply by their places (an SCP's or RCP's as they are); None when it holds
    the source otherwise than as one value of a clause, or cites another statement."""
    place = {id(st): i for i, st in enumerate(statements)}
    shared = {id(st) for p in (*org.scps, *org.rcps) for st in p.statements}
    conditions = []
    for entry in answer.conditions:
        if isinstance(entry, OnClause):
            if any(source in v and v != source for v in entry.values):
                return None
            conditions.append((entry, tuple(_SOURCE if v == source else v for v in entry.values)))
        elif source in entry.reason:
            return None
        else:
            conditions.append((entry, None))
    if any(source in note for note in answer.notes) or \
            any(id(st) not in place and id(st) not in shared for st in answer.because):
        return None
    because = tuple(place.get(id(st), st) for st in answer.because)
    return answer.decision, tuple(conditions), because, answer.notes


def recalled(kept: tuple, source: str, statements: list[Statement]) -> Answer:
    """A decision `remembered` for another policy of the shape, read back with its source and the
    statements of it that may apply."""
    decision, conditions, because, notes = kept
    entries = tuple(entry if values is None else replace(entry, values=tuple(source if v is _SOURCE else v
                                                                             for v in values))
                    for entry, values in conditions)
    return Answer(decision, entries, tuple(statements[b] if isinstance(b, int) else b for b in because), notes)


def _contents(statements, arn: object, target_type: str, inside: frozenset[str] | None = None,
              kept: dict | None = None) -> tuple | None:
    """The statements' contents relative to the holder at `arn` (`_relative`); None: not shared. With
    `kept` (`Facts._parts`), each statement's content is found once per holder and way of writing its
    sources: a policy decided alone is keyed four times over (`shape`, `decision_shape` and each
    principal's `outsider_shape`, plain and not), on the same statements."""
    if target_type not in SHARED_TYPES or not isinstance(arn, str) or any(w in arn for w in _WILD):
        return None
    out = []
    for s in statements:
        if kept is None:
            content = _relative(s, arn, inside)
        else:
            key = (id(s), arn, inside)
            found = kept.get(key)
            if found is None or found[0] is not s:  # the statement is held, so never an id reused
                found = kept[key] = (s, _relative(s, arn, inside))
            content = found[1]
        if content is None:
            return None
        out.append(content)
    return tuple(out)


def _holder(edges, arn: str, owner, actions, kept: dict | None = None) -> tuple:
    """What the evaluation reads of the holder beside its account: its URLs' auth types, what the
    index holds of it as a target of each action, and whether AWS protects it. With `kept`
    (`Facts._parts`, of one model), found once per holder and actions."""
    asked = tuple(sorted(set(actions)))
    if kept is not None:
        found = kept.get((arn, asked))
        if found is None or found[0] is not owner:
            found = kept[(arn, asked)] = (owner, _holder(edges, arn, owner, asked))
        return found[1]
    urls = tuple(sorted(str(u.auth_type) for u in owner.urls)) if isinstance(owner, Function) else ()
    targets = tuple(target_class(edges.index.target(arn, a)) for a in asked)
    return urls, targets, tuple(p.match(arn) is not None for p, _, _ in PROTECTIONS)


def _callers_read_holder(edges, principals, known: dict) -> bool:
    """Does a caller these principals name have identity policies or a boundary (whose Resources
    are matched against the holder's ARN too), or name no caller without an error? `known` keeps the
    answer per principal for one model (`edges`): thousands of policies name the same few."""
    for principal in principals:
        reads = known.get(principal)
        if reads is None:
            try:
                caller = edges.caller_for_principal(principal)
                reads = caller is not None and (bool(caller.identity) or caller.boundary is not None)
            except InputError:  # decided alone, where the error is met as it always is
                reads = True
            known[principal] = reads
        if reads:
            return True
    return False


def _relative(s: Statement, holder: str, inside: frozenset[str] | None = None) -> tuple | None:
    """A statement's content as the evaluation reads it, its Resources relative to `holder` (and with
    `inside`, its own source ARNs as `own_source` writes them); None when a value is not a plain
    string, a Resource holds a policy variable, or one may match holders apart."""
    texts = [*s.actions, *(p.value for p in s.principals or ()), *(v for c in s.conditions for v in c.values)]
    if not all(isinstance(t, str) for t in texts):
        return None
    resources = None
    if s.resources is not None:
        resources = []
        for r in s.resources:
            if not isinstance(r, str) or "${" in r:
                return None
            if r == "*":
                resources.append(("*",))
            elif r.startswith(holder):
                resources.append(("holder", r[len(holder):]))
            else:
                return None
        resources = tuple(resources)
    principals = None if s.principals is None else tuple((p.type, p.value) for p in s.principals)
    conditions = tuple((c.operator, c.key, c.values if inside is None else own_sources(c.operator, c.key, c.values, inside))
                       for c in s.conditions)
    return (s.effect, s.actions, s.not_action, resources, s.not_resource, principals, s.not_principal,
            conditions, s.version)


_ARN_OPERATORS = frozenset({"ArnLike", "ArnEquals", "ArnNotLike", "ArnNotEquals"})


def own_sources(operator: str, key: str, values: tuple, inside: frozenset[str]) -> tuple:
    """`values` with each own source ARN written as what an outsider's probe reads of it.

    The probes (graph/outsiders.py) try a service acting for an outsider with a source ARN of the
    outsider's own account, or of no account under a name the policy does not hold. An `Arn*` clause
    on `aws:SourceArn` compares field by field ("ArnLike", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN),
    so a value naming an account inside the zone of trust (`…:events:us-east-1:<own account>:rule/x`),
    or exactly one S3 bucket (`arn:aws:s3:::b`, taken as the author's) matches no such source, whatever
    its resource part: the clause holds alike for every outsider, and which rule, API or bucket it names
    does not change who gets in. Such a value is kept as its first five fields, its resource part replaced
    by whether it holds a wildcard. Nothing else is: a wildcard before the resource part, an account
    outside the zone, a 12-digit number or a policy variable in the resource part (the probes read those)."""
    if key.lower() != "aws:sourcearn" or operator.removesuffix("IfExists") not in _ARN_OPERATORS:
        return values
    return tuple(_own_source(v, inside) for v in values)


def _own_source(value: str, inside: frozenset[str]) -> object:
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or "${" in value or any(w in "".join(parts[:5]) for w in "*?"):
        return value
    resource = parts[5]
    if ACCOUNT_IN_TEXT.search(resource):
        return value
    own_account = parts[4] in inside
    own_bucket = not parts[4] and not parts[3] and parts[2] == "s3" and "*" not in resource and "?" not in resource \
        and resource and not resource.startswith(("permcheck", "/"))
    if not (own_account or own_bucket):
        return value
    return ("own source", *parts[:5], "*" in resource or "?" in resource)


def org_free(org) -> bool:
    """Do the SCPs and RCPs read nothing of the resource's ARN (every Resource `*`)? Else no policy
    is shared (`shape`'s last point)."""
    return all(s.resources in (None, ("*",)) and not s.not_resource
               for p in (*org.scps, *org.rcps) for s in p.statements)
