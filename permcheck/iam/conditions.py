"""IAM Condition-operator semantics as pure functions (string matching as token automata
lives in string_automata.py; no other permcheck imports).

Why: the evaluator decides a policy over *every* possible request, so it needs the exact
truth of one clause for a known context (`clause_holds`) and, per key, a finite set of
request values realising every truth assignment of the clauses (`candidate_contexts`).
Sources: [OPS] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
[MULTI] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
[VARS] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html

Context: lower-cased key -> tuple of strings; a missing key or an empty tuple is absent
(the empty set is the "null dataset" of [OPS]). A policy value is a str (AWS syntax: `*`
and `?` are wildcards for *Like/Arn*), a Glob from `variables.substitute_pattern`
(("lit", text) | ("*", "") | ("?", "") segments), or None: a variable with no value, which
matches nothing, so negated operators hold against it [VARS "Policy variables with no value"].
"""

from __future__ import annotations

import ipaddress
import operator as _op
import re
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Mapping, Optional, Union

from permcheck.iam import string_automata as automata
from permcheck.model.operators import FAMILY as _FAMILY
from permcheck.model.operators import OPERATORS, Operator, parse_operator
from permcheck.iam.string_automata import Glob, atoms, b64, matcher, string_witnesses, text_of, validity_atoms

PolicyValue = Union[str, Glob, None]

_CMP = {"Equals": (_op.eq, False), "NotEquals": (_op.eq, True), "LessThan": (_op.lt, False),
        "LessThanEquals": (_op.le, False), "GreaterThan": (_op.gt, False), "GreaterThanEquals": (_op.ge, False)}


def _comparator(base: str):
    """The comparison of a Numeric* or Date* operator (None for the others)."""
    family = next((f for f in ("Numeric", "Date") if base.startswith(f)), None)
    return _CMP[base[len(family):]][0] if family else None


_KIND = {base: (kind, negated, _comparator(base)) for base, (kind, negated) in OPERATORS.items()}
"""Base operator -> (value kind, negated, comparator(request value, policy value))."""
_STR_KINDS = frozenset({"eq", "ic", "like", "arn", "bool", "bin"})


def readable(operator: str, value: str) -> bool:
    """Can the operator read this policy value? One it cannot (`Bool "maybe"`, `NumericLessThan
    "ten"`, `ArnLike "my-bucket"`: fewer than six ARN fields) matches no request value [OPS].
    A value with a policy variable is read once filled in: it counts as readable."""
    kind = _KIND[parse_operator(operator).base][0]
    if "${" in value or kind in ("eq", "ic", "like"):
        return True
    if kind in ("bool", "null"):
        return value.lower() in ("true", "false")
    if kind in ("arn", "bin"):
        return bool(atoms("arn", value)) if kind == "arn" else b64(value) is not None
    if kind == "ip":
        return _ip(value, True) is not None
    return (_num if kind == "num" else _date)(value) is not None


def clause_holds(operator: str, key: str, policy_values: tuple[PolicyValue, ...],
                 context: Mapping[str, tuple[str, ...]], *, multivalued: bool = False) -> bool:
    """Does one clause `{operator: {key: policy_values}}` hold for this known context?

    `multivalued=True` marks an array key: an unqualified operator then never matches it,
    even with one value ([MULTI]: multivalued keys "require a condition set operator");
    without the flag only a context of 2+ values fails unqualified operators.
    """
    op = parse_operator(operator)
    values = tuple(context.get(key.lower()) or ())  # [VARS] "Key names are case-insensitive"
    if op.base == "Null" and op.set_qualifier is None:  # [OPS] Null: "true" = key absent
        want = "false" if values else "true"
        return any(p is not None and text_of(p).lower() == want for p in policy_values)
    if not values:
        if op.if_exists:  # [OPS] "If the key is not present, evaluate the condition ... as true"
            return True
        if op.set_qualifier:  # [MULTI] missing key: ForAllValues true, ForAnyValue false
            return op.set_qualifier == "ForAllValues"
        return op.negated  # [OPS] Important: missing key -> false; negated operators -> true
    sats = [_sat(op, v, policy_values) for v in values]
    if op.set_qualifier:  # [MULTI] every / at least one request value
        return all(sats) if op.set_qualifier == "ForAllValues" else any(sats)
    return len(sats) == 1 and not multivalued and sats[0]


def like_matches(pattern: Union[str, Glob], value: str) -> bool:
    """StringLike semantics: case-sensitive, `*` any run of characters, `?` one character."""
    return any(matcher(t).fullmatch(value) is not None for t in atoms("like", pattern))


def candidate_contexts(key: str, clauses: list[tuple[str, tuple[PolicyValue, ...]]],
                       multivalued: bool) -> list[Optional[tuple[str, ...]]]:
    """Finite request values (None = absent) for ONE key that decide `clauses` for all requests.

    Requirement: for every possible real value v of the key (absent, any string, or for a
    multivalued key any tuple of strings), some candidate c gives exactly the same truth value
    as v for EVERY clause (by `clause_holds`, with either `multivalued` flag when the key is
    multivalued). Met exactly unless `representatives` says why not.
    Policy values must be substituted already (a variable ties them to another key).
    """
    return representatives(key, clauses, multivalued)[0]


def representatives(key: str, clauses: list[tuple[str, tuple[PolicyValue, ...]]],
                    multivalued: bool) -> tuple[list[Optional[tuple[str, ...]]], Optional[str]]:
    """`candidate_contexts`, and why they may miss a combination of the clauses' truths (None
    when they cannot). Exact when the operators come from one family -- strings (String*,
    Arn*, Bool, BinaryEquals), Numeric*, Date* or *IpAddress -- plus Null, and the string
    automaton stays under string_automata.STATE_CAP states. Operators of two families on one key (`StringLike`
    and `NumericLessThan`) are tried with each family's values only: a value that is both
    (`"15"` for `1*` and `< 20`) may be missing, so the answer cannot be called exact.
    """
    ops = [(parse_operator(name), tuple(vals)) for name, vals in clauses]
    kinds = {_KIND[o.base][0] for o, _ in ops}
    families = sorted({"String" if k in _STR_KINDS else _FAMILY[k] for k in kinds} - {"Null"})
    lost = None if len(families) < 2 else \
        f"operators of different types ({', '.join(families)}) on {key}: values that are both are not tried"
    values = {"x"}  # some present value, invalid for every typed family

    def parsed(kind: str, parse) -> list:
        texts = [text_of(p) for o, vals in ops if _KIND[o.base][0] == kind for p in vals if p is not None]
        return [x for x in map(parse, texts) if x is not None]
    if kinds & _STR_KINDS:
        literals = [p for o, vals in ops if _KIND[o.base][0] in _STR_KINDS for p in vals]
        if all(isinstance(p, str) and "*" not in p and "?" not in p for p in literals) and \
                not any(o.base.endswith("IgnoreCase") or o.base in ("Bool", "BinaryEquals") for o, _ in ops):
            # No wildcard, no case folding, no decoding: a value matters only by which literal it equals
            # (the common `ArnLike aws:SourceArn <one ARN>`); add a well-formed ARN that is none.
            values |= set(literals) | {"arn:permcheck:other:other:000000000000:other"}
        elif (simple := _one_clause_witnesses(ops)) is not None:
            values |= simple
        else:
            machines = [a for o, vals in ops if (k := _KIND[o.base][0]) in _STR_KINDS
                        for a in validity_atoms(k) + tuple(a for p in vals if p is not None for a in atoms(k, p))]
            witnesses, complete = string_witnesses(list(dict.fromkeys(machines)))
            values |= witnesses
            if not complete:
                lost = f"the string conditions on {key} need more than {automata.STATE_CAP:,} automaton states"
    for kind, parse in (("num", _num), ("date", _date)):
        values |= _ordered_candidates(parsed(kind, parse)) if kind in kinds else set()
    values |= _ip_candidates(parsed("ip", lambda t: _ip(t, True))) if "ip" in kinds else set()
    features: dict[tuple[bool, ...], str] = {}
    for v in sorted(values, key=lambda s: (len(s), s)):
        features.setdefault(tuple(_sat(o, v, vals) for o, vals in ops), v)
    out: list[Optional[tuple[str, ...]]] = [None] + [(r,) for r in features.values()]
    if not multivalued:
        return out, lost
    # A set of 2+ values fails unqualified clauses; ForAnyValue ORs and ForAllValues ANDs the
    # per-value features, so close the singletons' features under that join.
    idx = [i for i, (o, _) in enumerate(ops) if o.set_qualifier]
    anyq = [ops[i][0].set_qualifier == "ForAnyValue" for i in idx]
    closure: dict[tuple[bool, ...], tuple[str, ...]] = {}
    for f, r in features.items():
        closure.setdefault(tuple(f[i] for i in idx), (r,))
    work = list(closure)
    while work:
        a = work.pop()
        for b in list(closure):
            j = tuple((x or y) if q else (x and y) for x, y, q in zip(a, b, anyq))
            if j not in closure:
                closure[j] = tuple(dict.fromkeys(closure[a] + closure[b]))
                work.append(j)
    return out + [()] + [w if len(w) > 1 else w * 2 for w in closure.values()], lost


def _one_clause_witnesses(ops: list) -> Optional[set[str]]:
    """One string clause is one boolean: a value that makes it true and one that makes it false
    decide it (the common `ArnLike aws:SourceArn arn:...:api/*/POST/x`). None: search instead."""
    if len(ops) != 1 or _KIND[ops[0][0].base][0] not in _STR_KINDS:
        return None
    op, vals = ops[0]
    tries = {"x", "arn:permcheck:other:other:000000000000:other"}
    for p in vals:
        if isinstance(p, str):
            tries |= {p, p.replace("*", "").replace("?", "a"), p.replace("*", "a").replace("?", "a")}
    truths = {_sat(op, v, vals) for v in tries}
    return tries if truths == {True, False} else None


def _sat(op: Operator, v: str, pvals: tuple[PolicyValue, ...]) -> bool:
    """Does one request value satisfy the (possibly negated) base operator?

    A value the operator cannot read (non-ARN for Arn*, non-number ...) satisfies neither
    form: the IAM simulator fails ArnNotLike on a non-ARN value (NCC Group PMapper).
    """
    if op.base == "Null":  # qualified Null: each present value is non-null
        return any(p is not None and text_of(p).lower() == "false" for p in pvals)
    kind, negated, cmp = _KIND[op.base]
    live = [p for p in pvals if p is not None]
    if kind in _STR_KINDS:
        checks = validity_atoms(kind)
        ok = not checks or any(matcher(t).fullmatch(v) for t in checks)
        status = ok and any(matcher(t).fullmatch(v) is not None for p in live for t in atoms(kind, p))
    elif kind == "ip":
        a = _ip(v)
        ok = a is not None
        status = ok and any(n is not None and n.version == a.version and a in n
                            for n in (_ip(text_of(p), True) for p in live))
    else:
        parse = _num if kind == "num" else _date
        x = parse(v)
        ok = x is not None
        status = ok and any(y is not None and cmp(x, y) for y in (parse(text_of(p)) for p in live))
    return (ok and not status) if negated else status


@lru_cache(maxsize=8192)
def _num(s: str) -> Optional[Fraction]:
    """Integer or decimal [OPS Numeric]; anything else is not a number."""
    ok = re.fullmatch(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?", s)
    return Fraction(Decimal(s)) if ok else None


_MINUTES = {f"{m:02}" for m in range(60)} | {"Z"}
_ISO = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})(?:T([0-9]{2}):([0-9]{2})"
                  r"(?::([0-9]{2})(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?")


@lru_cache(maxsize=8192)
def _date(s: str) -> Optional[Fraction]:
    """Seconds since the epoch, from epoch (UNIX) time or W3C ISO 8601 [OPS Date]."""
    if re.fullmatch(r"-?[0-9]+(?:\.[0-9]+)?", s):  # digits only: epoch, so "2020" is epoch
        return Fraction(Decimal(s))
    m = _ISO.fullmatch(s)
    if not m:
        return None
    y, mo, d, h, mi, sec, frac, tz = m.groups()
    try:
        days = date(int(y), int(mo or 1), int(d or 1)).toordinal() - date(1970, 1, 1).toordinal()
    except ValueError:
        return None
    h, mi, sec = int(h or 0), int(mi or 0), int(sec or 0)  # no TZD: read as UTC
    off = 0 if tz in (None, "Z") else (int(tz[1:3]) * 60 + int(tz[4:6])) * 60 * (1 if tz[0] == "+" else -1)
    if h > 23 or mi > 59 or sec > 59 or abs(off) >= 86400 or (tz or "Z")[-2:] not in _MINUTES:
        return None
    return days * 86400 + h * 3600 + mi * 60 + sec - off + (Fraction(Decimal(frac)) if frac else 0)


def _ip(s: str, net: bool = False):
    """An address, or for policy values a CIDR (a bare address is /32 or /128 [OPS IP])."""
    try:
        return ipaddress.ip_network(s, strict=False) if net else ipaddress.ip_address(s)
    except ValueError:
        return None


def _dec(f: Fraction) -> str:
    """Exact decimal text of a finite-decimal fraction."""
    whole, rem = divmod(abs(f.numerator), f.denominator)
    digits = ""
    while rem:
        d, rem = divmod(rem * 10, f.denominator)
        digits += str(d)
    return ("-" if f < 0 else "") + str(whole) + ("." + digits if digits else "")


def _ordered_candidates(points: list[Fraction]) -> set[str]:
    """Each point, one value inside every gap between points, and one beyond each end."""
    pts = sorted(set(points)) or [Fraction(0)]
    inner = [a + 1 if a + 1 < b else (a + b) / 2 for a, b in zip(pts, pts[1:])]
    return {_dec(x) for x in pts + inner + [pts[0] - 1, pts[-1] + 1]}


def _ip_candidates(nets: list) -> set[str]:
    """Family bounds plus each CIDR's first/last address and the addresses just outside it."""
    out = set()
    for cls, bits in ((ipaddress.IPv4Address, 32), (ipaddress.IPv6Address, 128)):
        top, ints = (1 << bits) - 1, {0, (1 << bits) - 1}
        for n in (n for n in nets if n.max_prefixlen == bits):
            lo, hi = int(n.network_address), int(n.broadcast_address)
            ints |= {lo, hi, max(lo - 1, 0), min(hi + 1, top)}
        out |= {str(cls(i)) for i in ints}
    return out
