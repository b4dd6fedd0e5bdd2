"""IAM Condition-operator semantics as pure functions (no other permcheck imports).

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

import base64
import ipaddress
import operator as _op
import re
from collections import deque
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Mapping, Optional, Union

Glob = tuple[tuple[str, str], ...]
PolicyValue = Union[str, Glob, None]
Token = tuple[str, tuple[str, ...]]  # ("1" | "*" = repeated 0..n times, character class)

_CMP = {"Equals": (_op.eq, False), "NotEquals": (_op.eq, True), "LessThan": (_op.lt, False),
        "LessThanEquals": (_op.le, False), "GreaterThan": (_op.gt, False), "GreaterThanEquals": (_op.ge, False)}
_KIND = {  # base operator -> (value kind, negated, comparator(request value, policy value))
    "StringEquals": ("eq", False, None), "StringNotEquals": ("eq", True, None),
    "StringEqualsIgnoreCase": ("ic", False, None), "StringNotEqualsIgnoreCase": ("ic", True, None),
    "StringLike": ("like", False, None), "StringNotLike": ("like", True, None),
    "ArnEquals": ("arn", False, None), "ArnLike": ("arn", False, None),
    "ArnNotEquals": ("arn", True, None), "ArnNotLike": ("arn", True, None),
    "Bool": ("bool", False, None), "BinaryEquals": ("bin", False, None),
    "IpAddress": ("ip", False, None), "NotIpAddress": ("ip", True, None), "Null": ("null", False, None),
    **{p + s: (k, n, c) for p, k in (("Numeric", "num"), ("Date", "date")) for s, (c, n) in _CMP.items()}}
_STR_KINDS = frozenset({"eq", "ic", "like", "arn", "bool", "bin"})
# value kind -> the key type it compares, in the Service Authorization Reference's words
_FAMILY = {"eq": "String", "ic": "String", "like": "String", "arn": "ARN", "bool": "Bool", "bin": "Binary",
           "num": "Numeric", "date": "Date", "ip": "IPAddress", "null": "Null"}
_STATE_CAP = 50_000  # product-automaton states explored per key; beyond it exactness is lost


@dataclass(frozen=True)
class Operator:
    """A parsed condition operator, e.g. ForAnyValue:StringNotLikeIfExists."""

    set_qualifier: Optional[str]  # None | "ForAllValues" | "ForAnyValue"
    base: str
    if_exists: bool

    @property
    def negated(self) -> bool:
        """Negated operators hold when no policy value matches (NOR) [OPS], [MULTI]."""
        return _KIND[self.base][1]


@lru_cache(maxsize=None)
def parse_operator(name: str) -> Operator:
    """Parse an operator name; ValueError if AWS does not define it (an invalid policy).

    Case-sensitive: IAM rejects `stringEquals` ("Invalid Condition type"). `IfExists` goes
    on every operator except Null [OPS]; ForAllValues:/ForAnyValue: on every operator,
    Null included (the IAM policy simulator accepts them).
    """
    qualifier, sep, rest = name.partition(":")
    if not sep:
        qualifier, rest = None, name
    elif qualifier not in ("ForAllValues", "ForAnyValue"):
        raise ValueError(f"unknown condition set operator in {name!r}")
    if_exists = rest.endswith("IfExists")
    base = rest[: -len("IfExists")] if if_exists else rest
    if base not in _KIND or (if_exists and base == "Null"):
        raise ValueError(f"unknown IAM condition operator {name!r}")
    return Operator(qualifier, base, if_exists)


def operator_type(operator: str) -> str:
    """The type of value an operator compares: String, ARN, Numeric, Date, Bool, IPAddress,
    Binary, or Null (which tests presence) [OPS]."""
    return _FAMILY[_KIND[parse_operator(operator).base][0]]


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
        return bool(_atoms("arn", value)) if kind == "arn" else _b64(value) is not None
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
        return any(p is not None and _text(p).lower() == want for p in policy_values)
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
    return any(_rx(t).fullmatch(value) is not None for t in _atoms("like", pattern))


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
    automaton stays under _STATE_CAP states. Operators of two families on one key (`StringLike`
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
        texts = [_text(p) for o, vals in ops if _KIND[o.base][0] == kind for p in vals if p is not None]
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
            atoms = [a for o, vals in ops if (k := _KIND[o.base][0]) in _STR_KINDS
                     for a in _validity_atoms(k) + tuple(a for p in vals if p is not None for a in _atoms(k, p))]
            witnesses, complete = _string_witnesses(list(dict.fromkeys(atoms)))
            values |= witnesses
            if not complete:
                lost = f"the string conditions on {key} need more than {_STATE_CAP:,} automaton states"
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
        return any(p is not None and _text(p).lower() == "false" for p in pvals)
    kind, negated, cmp = _KIND[op.base]
    live = [p for p in pvals if p is not None]
    if kind in _STR_KINDS:
        checks = _validity_atoms(kind)
        ok = not checks or any(_rx(t).fullmatch(v) for t in checks)
        status = ok and any(_rx(t).fullmatch(v) is not None for p in live for t in _atoms(kind, p))
    elif kind == "ip":
        a = _ip(v)
        ok = a is not None
        status = ok and any(n is not None and n.version == a.version and a in n
                            for n in (_ip(_text(p), True) for p in live))
    else:
        parse = _num if kind == "num" else _date
        x = parse(v)
        ok = x is not None
        status = ok and any(y is not None and cmp(x, y) for y in (parse(_text(p)) for p in live))
    return (ok and not status) if negated else status


def _text(p: Union[str, Glob]) -> str:
    """A policy value as plain text (a Glob's wildcards rendered as `*`/`?`)."""
    return p if isinstance(p, str) else "".join(t if k == "lit" else k for k, t in p)


def _glob(p: Union[str, Glob]) -> Glob:
    """Segments of an AWS wildcard string (AWS patterns have no escape syntax)."""
    return p if not isinstance(p, str) else tuple(
        ("lit", s) if s not in ("*", "?") else (s, "") for s in re.split(r"([*?])", p) if s)


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


_B64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_B64_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _b64(s: str) -> Optional[bytes]:
    return base64.b64decode(s) if _B64.fullmatch(s) else None


def _encodings(s: str) -> tuple[str, ...]:
    """Every base64 text of the bytes s encodes: BinaryEquals compares "byte for byte" [OPS]."""
    raw = _b64(s)
    if raw is None:
        return ()
    c = base64.b64encode(raw).decode()
    i = len(c.rstrip("=")) - 1  # the last data character may carry ignored low bits
    return tuple(sorted({e for ch in _B64_CHARS if _b64(e := c[:i] + ch + c[i + 1:]) == raw} | {c}))


# --- string matching as token automata, shared by matching and the candidate search -----

def _lits(text: str, cls: str = "=") -> tuple[Token, ...]:
    return tuple(("1", (cls, c)) for c in text)


def _seg_tokens(segs: Glob, wild: tuple[str, ...]) -> tuple[Token, ...]:
    return tuple(t for k, s in segs for t in (_lits(s) if k == "lit" else (("*" if k == "*" else "1", wild),)))


_IS_ARN = _lits("arn:") + (("*", ("nc",)), ("1", ("=", ":"))) * 4 + (("*", ("any",)),)


def _validity_atoms(kind: str) -> tuple[tuple[Token, ...], ...]:
    """What a request value must match to be readable: an ARN for Arn*, a boolean for Bool."""
    return (_IS_ARN,) if kind == "arn" else (_lits("true", "a"), _lits("false", "a")) if kind == "bool" else ()


@lru_cache(maxsize=8192)
def _atoms(kind: str, p: Union[str, Glob]) -> tuple[tuple[Token, ...], ...]:
    """Token automata for one policy value; a request value matches it iff it matches one."""
    if kind in ("eq", "ic", "bool"):  # IgnoreCase per character; Bool ASCII-case-insensitive
        t = _text(p).lower() if kind == "bool" else _text(p)
        return () if kind == "bool" and t not in ("true", "false") else (_lits(t, {"eq": "=", "ic": "~"}.get(kind, "a")),)
    if kind in ("bin", "like"):
        return tuple(map(_lits, _encodings(_text(p)))) if kind == "bin" else (_seg_tokens(_glob(p), ("any",)),)
    fields: list[list[tuple[str, str]]] = [[]]  # ARN: six colon-delimited fields [OPS ARN]
    for k, s in _glob(p):
        for j, part in enumerate(s.split(":") if k == "lit" else [""]):
            if j:  # a colon: next field, or part of the resource (sixth) field
                fields.append([]) if len(fields) < 6 else fields[-1].append(("lit", ":"))
            if part or k != "lit":
                fields[-1].append((k, part))
    if len(fields) < 6:
        return ()  # not an ARN pattern: matches nothing
    body: tuple[Token, ...] = ()
    for i, f in enumerate(fields):  # wildcards stay inside their field, except in the resource
        body += (("1", ("=", ":")),) * (i > 0) + _seg_tokens(tuple(f), ("nc",) if i < 5 else ("any",))
    return (body,)


def _simple(c: str, f) -> str:
    """A one-character case mapping (str.upper/str.lower), else c itself."""
    m = f(c)
    return m if len(m) == 1 else c


@lru_cache(maxsize=1)
def _case_index() -> tuple[dict[str, set[str]], ...]:
    """For upper and lower case: mapped character -> the characters mapping to it."""
    index: tuple[dict[str, set[str]], ...] = ({}, {})
    chars = [chr(i) for i in range(0x1F000)]  # every cased code point lies below U+1F000
    for d, f in zip(index, (str.upper, str.lower)):
        for c, m in zip(chars, map(f, chars)):
            if m != c and len(m) == 1:
                d.setdefault(m, {m} if _simple(m, f) == m else set()).add(c)
    return index


@lru_cache(maxsize=4096)
def _klass_chars(kl: tuple[str, ...]) -> frozenset[str]:
    """Characters a class names; every other character behaves like any fresh one."""
    if kl[0] == "~":  # d ~ c iff d == c or they share a simple upper- or lower-case mapping
        up, low = _case_index()
        return frozenset({kl[1]} | up.get(_simple(kl[1], str.upper), set()) | low.get(_simple(kl[1], str.lower), set()))
    return frozenset({"=": {kl[-1]}, "a": {kl[-1].lower(), kl[-1].upper()}, "nc": {":"}}.get(kl[0], ()))


def _ok(kl: tuple[str, ...], ch: str) -> bool:
    return True if kl[0] == "any" else ch != ":" if kl[0] == "nc" else ch in _klass_chars(kl)


@lru_cache(maxsize=8192)
def _rx(tokens: tuple[Token, ...]):
    """A matcher for one token automaton: a regex when it has at most two repeated tokens
    (backtracking stays polynomial and small), else a state-set simulation that is linear in
    the value — a hostile `StringLike` pattern (`*?*?*?…b`) cannot stall the run."""
    if sum(1 for r, _ in tokens if r == "*") > 2:
        return _Automaton(tokens)
    return _regex(tokens)


def _regex(tokens: tuple[Token, ...]) -> re.Pattern[str]:
    def one(kl: tuple[str, ...]) -> str:
        chars = "|".join(re.escape(c) for c in sorted(_klass_chars(kl)))
        return {"any": ".", "nc": "[^:]"}.get(kl[0], f"(?:{chars})")
    return re.compile("".join(one(kl) + ("*" if r == "*" else "") for r, kl in tokens), re.DOTALL)


class _Automaton:
    """`fullmatch` by stepping the set of token positions, one character at a time."""

    def __init__(self, tokens: tuple[Token, ...]) -> None:
        self.tokens = tokens

    def fullmatch(self, value: str) -> bool | None:
        """True, or None for no match (as `re.Pattern.fullmatch` answers)."""
        states = _close(self.tokens, {0})
        for ch in value:
            states = _step(self.tokens, states, ch)
            if not states:
                return None
        return True if len(self.tokens) in states else None


def _close(t: tuple[Token, ...], s: set[int]) -> frozenset[int]:
    """The positions reachable without reading: a repeated token may be skipped."""
    while any(i < len(t) and t[i][0] == "*" and i + 1 not in s for i in s):
        s |= {i + 1 for i in s if i < len(t) and t[i][0] == "*"}
    return frozenset(s)


def _step(t: tuple[Token, ...], s: frozenset[int], ch: str) -> frozenset[int]:
    return _close(t, {i if t[i][0] == "*" else i + 1 for i in s if i < len(t) and _ok(t[i][1], ch)})


def _string_witnesses(atoms: list[tuple[Token, ...]]) -> tuple[set[str], bool]:
    """One shortest string per reachable accept-vector of the product of the automata, and
    whether the search was complete (False: it stopped at _STATE_CAP states, and an
    accept-vector only reachable past them is missing).

    Characters outside the classes' alphabet all behave alike, so the alphabet plus one
    fresh character reaches every accept-vector that any real string reaches.
    """
    alphabet = set().union(*(_klass_chars(kl) for t in atoms for _, kl in t))
    fresh = next(c for c in "x_#0~%&" + "".join(map(chr, range(0xE000, 0xE100))) if c not in alphabet)

    start = tuple(_close(t, {0}) for t in atoms)
    seen, queue, found, complete = {start}, deque([(start, "")]), {}, True
    while queue:
        state, word = queue.popleft()
        found.setdefault(tuple(len(t) in s for t, s in zip(atoms, state)), word)
        for ch in sorted(alphabet | {fresh}):
            nxt = tuple(_step(t, s, ch) for t, s in zip(atoms, state))
            if nxt not in seen:
                if len(seen) >= _STATE_CAP:
                    complete = False
                    continue
                seen.add(nxt)
                queue.append((nxt, word + ch))
    return set(found.values()), complete


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
