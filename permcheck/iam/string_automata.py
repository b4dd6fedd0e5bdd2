"""String matching as token automata, shared by condition matching and the search for
representative request values (conditions.py).

A policy value becomes one or more *automata*: sequences of tokens, each a character class
read once (`"1"`) or repeated (`"*"`). `matcher` matches a request value against one, linear
in the value whatever the pattern; `string_witnesses` explores the product of several and
returns one shortest string per combination of their verdicts, up to STATE_CAP states.
Sources: [OPS] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
"""

from __future__ import annotations

import base64
import re
from collections import deque
from functools import lru_cache
from typing import Optional, Union

from permcheck.iam.match import star_match

Glob = tuple[tuple[str, str], ...]  # ("lit", text) | ("*", "") | ("?", "") segments
Token = tuple[str, tuple[str, ...]]  # ("1" | "*" = repeated 0..n times, character class)
STATE_CAP = 50_000  # product-automaton states explored per key; beyond it exactness is lost


def text_of(p: Union[str, Glob]) -> str:
    """A policy value as plain text (a Glob's wildcards rendered as `*`/`?`)."""
    return p if isinstance(p, str) else "".join(t if k == "lit" else k for k, t in p)


def glob_of(p: Union[str, Glob]) -> Glob:
    """Segments of an AWS wildcard string (AWS patterns have no escape syntax)."""
    return p if not isinstance(p, str) else tuple(
        ("lit", s) if s not in ("*", "?") else (s, "") for s in re.split(r"([*?])", p) if s)


_B64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_B64_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64(s: str) -> Optional[bytes]:
    return base64.b64decode(s) if _B64.fullmatch(s) else None


def encodings(s: str) -> tuple[str, ...]:
    """Every base64 text of the bytes s encodes: BinaryEquals compares "byte for byte" [OPS]."""
    raw = b64(s)
    if raw is None:
        return ()
    c = base64.b64encode(raw).decode()
    i = len(c.rstrip("=")) - 1  # the last data character may carry ignored low bits
    return tuple(sorted({e for ch in _B64_CHARS if b64(e := c[:i] + ch + c[i + 1:]) == raw} | {c}))


# --- string matching as token automata, shared by matching and the candidate search -----

def _lits(text: str, cls: str = "=") -> tuple[Token, ...]:
    return tuple(("1", (cls, c)) for c in text)


def _seg_tokens(segs: Glob, wild: tuple[str, ...]) -> tuple[Token, ...]:
    return tuple(t for k, s in segs for t in (_lits(s) if k == "lit" else (("*" if k == "*" else "1", wild),)))


_IS_ARN = _lits("arn:") + (("*", ("nc",)), ("1", ("=", ":"))) * 4 + (("*", ("any",)),)


def validity_atoms(kind: str) -> tuple[tuple[Token, ...], ...]:
    """What a request value must match to be readable: an ARN for Arn*, a boolean for Bool."""
    return (_IS_ARN,) if kind == "arn" else (_lits("true", "a"), _lits("false", "a")) if kind == "bool" else ()


@lru_cache(maxsize=8192)
def atoms(kind: str, p: Union[str, Glob]) -> tuple[tuple[Token, ...], ...]:
    """Token automata for one policy value; a request value matches it iff it matches one."""
    if kind in ("eq", "ic", "bool"):  # IgnoreCase per character; Bool ASCII-case-insensitive
        t = text_of(p).lower() if kind == "bool" else text_of(p)
        return () if kind == "bool" and t not in ("true", "false") else (_lits(t, {"eq": "=", "ic": "~"}.get(kind, "a")),)
    if kind in ("bin", "like"):
        return tuple(map(_lits, encodings(text_of(p)))) if kind == "bin" else (_seg_tokens(glob_of(p), ("any",)),)
    fields: list[list[tuple[str, str]]] = [[]]  # ARN: six colon-delimited fields [OPS ARN]
    for k, s in glob_of(p):
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
def matcher(tokens: tuple[Token, ...]):
    """A matcher for one token automaton: a regex when it has at most two repeated tokens that
    can backtrack (backtracking stays polynomial and small), else a state-set simulation that is
    linear in the value — a hostile `StringLike` pattern (`*?*?*?…b`) cannot stall the run. An
    ARN field's `*` (no colon) right before the colon that ends the field cannot backtrack: it
    must reach that colon, so it is matched possessively and does not count."""
    if all(r == "1" and kl[0] == "=" for r, kl in tokens):
        return _Literal("".join(kl[1] for _, kl in tokens))
    if all(r == "1" and kl[0] == "=" or r == "*" and kl == ("any",) for r, kl in tokens):
        return _Stars(tokens)
    if sum(1 for i, (r, _) in enumerate(tokens) if r == "*" and not _field_run(tokens, i)) > 2:
        return _Automaton(tokens)
    return _regex(tokens)


class _Literal:
    """`fullmatch` of a pattern that is one exact text: string equality, no regex to compile."""

    def __init__(self, text: str) -> None:
        self.text = text

    def fullmatch(self, value: str) -> bool | None:
        """True, or None for no match (as `re.Pattern.fullmatch` answers)."""
        return True if value == self.text else None


class _Stars:
    """`fullmatch` of a pattern of exact characters and `*` (any run of characters), the common
    `arn:aws:execute-api:…:a1b2/*/GET/orders`, without compiling a regex for each pattern: its
    literal pieces in order, the first at the start and the last at the end (`match.star_match`)."""

    def __init__(self, tokens: tuple[Token, ...]) -> None:
        pieces, piece = [], []
        for repeat, klass in tokens:
            if repeat == "*":
                pieces.append("".join(piece))
                piece = []
            else:
                piece.append(klass[1])
        self.pieces = tuple(pieces + ["".join(piece)])

    def fullmatch(self, value: str) -> bool | None:
        """True, or None for no match (as `re.Pattern.fullmatch` answers)."""
        return True if star_match(self.pieces, value) else None


def _field_run(tokens: tuple[Token, ...], i: int) -> bool:
    """Is token i a repeated no-colon class followed by a literal colon?"""
    return tokens[i] == ("*", ("nc",)) and i + 1 < len(tokens) and tokens[i + 1] == ("1", ("=", ":"))


def _regex(tokens: tuple[Token, ...]) -> re.Pattern[str]:
    """Each class as one regex atom (a literal character, a bracket of its characters, `.`, `[^:]`)."""
    def one(kl: tuple[str, ...]) -> str:
        if kl[0] in ("any", "nc"):
            return {"any": ".", "nc": "[^:]"}[kl[0]]
        chars = sorted(_klass_chars(kl))
        return re.escape(chars[0]) if len(chars) == 1 else "[" + "".join(map(re.escape, chars)) + "]"
    return re.compile("".join(one(kl) + ("" if r != "*" else "*+" if _field_run(tokens, i) else "*")
                              for i, (r, kl) in enumerate(tokens)), re.DOTALL)


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


def string_witnesses(automata: list[tuple[Token, ...]]) -> tuple[set[str], bool]:
    """One shortest string per reachable accept-vector of the product of the automata, and
    whether the search was complete (False: it stopped at STATE_CAP states, and an
    accept-vector only reachable past them is missing).

    Characters outside the classes' alphabet all behave alike, so the alphabet plus one
    fresh character reaches every accept-vector that any real string reaches.
    """
    alphabet = set().union(*(_klass_chars(kl) for t in automata for _, kl in t))
    fresh = next(c for c in "x_#0~%&" + "".join(map(chr, range(0xE000, 0xE100))) if c not in alphabet)
    letters = sorted(alphabet | {fresh})

    start = tuple(_close(t, {0}) for t in automata)
    seen, queue, found, complete = {start}, deque([(start, "")]), {}, True
    while queue:
        state, word = queue.popleft()
        found.setdefault(tuple(len(t) in s for t, s in zip(automata, state)), word)
        for ch in _distinct_letters(automata, state, letters):
            nxt = tuple(_step(t, s, ch) for t, s in zip(automata, state))
            if nxt not in seen:
                if len(seen) >= STATE_CAP:
                    complete = False
                    continue
                seen.add(nxt)
                queue.append((nxt, word + ch))
    return set(found.values()), complete


def _distinct_letters(automata: list[tuple[Token, ...]], state: tuple, letters: list[str]) -> list[str]:
    """The letters worth reading in `state`, in `letters`' order: those some token at the current
    positions names, and the first letter no such token names. Every letter that no current
    token names leads where that first one does (a token tells a letter apart only by its
    class), so the search reaches the same states by the same words, reading fewer letters."""
    named: set[str] = set()
    for t, s in zip(automata, state):
        for i in s:
            if i < len(t):
                named |= _klass_chars(t[i][1])
    other = next((c for c in letters if c not in named), None)
    return [c for c in letters if c in named or c == other]
