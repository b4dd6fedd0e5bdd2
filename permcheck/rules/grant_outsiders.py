"""Who outside the zone of trust one grant lets in, as the fields of its grant fact.

The probes (graph/outsiders.py) ask the evaluator as outsiders would ask; this module turns what they
find into a grant's `anyone`, `other_account`, `other_account_detail` and `other_source`, with the
statements that open the door, and finds them once per content of what the probes read (`probed`).
"""

from __future__ import annotations

from permcheck.graph.outsiders import ACCOUNT, ANY_ACCOUNT, ANYONE, SERVICE
from permcheck.model.policy import Policy, Principal, Statement
from permcheck.rules import grant_shapes

FIELDS = ("anyone", "other_account", "other_account_detail", "other_source")
TARGETS = frozenset({"function", "role", "bucket", "queue", "topic", "key", "secret"})
"""The resources whose grants rules judge by who outside the zone of trust they let in."""
_PRIORITY = {ANYONE: 0, ANY_ACCOUNT: 0, ACCOUNT: 1, SERVICE: 2}


def probed(facts, policy: Policy, principal: Principal, statements: list[Statement], arn: object,
           target_type: str, owner, account: str, actions: list[str],
           resources: list[str]) -> tuple[dict[str, str], list[Statement]]:
    """`outsiders`, once per plain outsider shape (`grant_shapes.outsider_shape`: the grant's statements
    and the policy's Denies as written, on a holder of the same account, URLs and target classes),
    principal, evaluator (which holds the SCPs and RCPs) and request context, in one zone of trust
    (`Facts.of` keeps it): the same partner's grant written into many policies beside other statements,
    and a fix proof's changed grant that some other policy already holds, are probed once. The door is
    kept by the places of its statements among the grant's, which the shape holds in order."""
    key = None if not facts._sharing or resources != [str(arn)] or target_type not in TARGETS \
        else grant_shapes.outsider_shape(facts, policy, statements, arn, target_type, owner, account, actions,
                                         plain=True)
    if key is not None:
        edges = facts.edges
        key = (key, principal.type, str(principal.value), edges.index.evaluator,  # held, so never an id reused
               tuple(sorted(edges.context.items())), edges.closed)
        known = facts._let_in.get(key)
        if known is not None:
            return dict(known[0]), [statements[i] for i in known[1]]
    outside, door = outsiders(facts, principal, statements, target_type, actions, resources)
    if key is not None:
        place = {id(s): i for i, s in enumerate(statements)}
        facts._let_in[key] = (outside, [place[id(s)] for s in door])
    return outside, door


def outsiders(facts, principal: Principal, statements: list[Statement], target_type: str,
              actions: list[str], resources: list[str]) -> tuple[dict[str, str], list[Statement]]:
    """The grant's outsider fields — who outside the zone of trust it lets in (none for grants no rule
    judges that way) — and the statements that open the door to the first of them."""
    found = dict.fromkeys(FIELDS, "")
    if target_type not in TARGETS:
        return found, []
    requests = [(action, resource) for action in actions for resource in resources]
    door: list[Statement] = []
    for outsider in sorted(facts.outsiders.let_in(principal, statements, target_type, requests),
                           key=lambda o: _PRIORITY[o.kind]):
        if outsider.kind in (ANYONE, ANY_ACCOUNT) and not found["anyone"]:
            found["anyone"] = outsider.detail
        elif outsider.kind == ACCOUNT and not found["other_account"]:
            found["other_account"], found["other_account_detail"] = outsider.account, outsider.detail
        elif outsider.kind == SERVICE and not found["other_source"]:
            found["other_source"] = outsider.detail
        else:
            continue
        door = door or [s for s in statements if s in outsider.answer.because]
    return found, door
