"""Wildcard matching of actions and resources, three-valued when a value is unknown.

AWS: actions match case-insensitively, resources case-sensitively; `*` matches any run
of characters (including none), `?` exactly one.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html

`None` stands for "unknown": a pattern or value with an unresolved part matches or not
depending on what it resolves to. Callers treat None as an open question, never as a miss.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from permcheck.model.values import Sym, Unknown

Tri = Optional[bool]
FILLER = "\ue000\ue001\ue000"  # stands in for an unknown part of a value: in no real pattern


@lru_cache(maxsize=65536)
def compile_wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """The regex equivalent of an IAM wildcard pattern, in linear time (for `fullmatch`).

    `.*` per `*` would backtrack exponentially on a hostile pattern (`*?*?*?…b`). Between two
    `*`, a piece has a fixed length, and its leftmost place is always as good as any later
    one; an atomic group takes that place and never returns to try another.
    """
    pieces = ["".join("." if c == "?" else re.escape(c) for c in piece) for piece in pattern.split("*")]
    if len(pieces) == 1:
        body = pieces[0]
    else:
        body = pieces[0] + "".join(f"(?>.*?{p})" for p in pieces[1:-1] if p) + ".*" + pieces[-1]
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """Does a fully known IAM wildcard pattern match a fully known value?"""
    if pattern == "*":
        return True
    if "?" not in pattern:
        if "*" not in pattern:
            return pattern.lower() == value.lower() if ignore_case else pattern == value
        return star_match(_star_parts(pattern, ignore_case), value.lower() if ignore_case else value)
    return compile_wildcard(pattern, ignore_case).fullmatch(value) is not None


@lru_cache(maxsize=65536)
def _star_parts(pattern: str, ignore_case: bool) -> tuple[str, ...]:
    return tuple((pattern.lower() if ignore_case else pattern).split("*"))


def star_match(parts: tuple[str, ...], value: str) -> bool:
    """A pattern whose only wildcard is `*`, without a regex: its literal pieces must appear in
    order, the first at the start and the last at the end (the leftmost choice of each middle
    piece is always as good as any other)."""
    first, last = parts[0], parts[-1]
    if len(value) < len(first) + len(last) or not value.startswith(first) or not value.endswith(last):
        return False
    position, end = len(first), len(value) - len(last)
    for part in parts[1:-1]:
        found = value.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return True


def _as_pattern(sym: Sym) -> str:
    """A Sym pattern with its unknown parts widened to `*`: a superset of what it can be."""
    return "".join("*" if isinstance(p, Unknown) else p for p in sym.parts)


def match(pattern: object, value: object, ignore_case: bool = False) -> Tri:
    """Three-valued wildcard match of a pattern against a value (either may be symbolic)."""
    if isinstance(pattern, Unknown) or isinstance(value, Unknown):
        return True if pattern == "*" else None
    if isinstance(pattern, Sym):
        if isinstance(value, Sym):
            return _match_symbolic_pair(pattern, value, ignore_case)
        return None if wildcard_match(_as_pattern(pattern), value, ignore_case) else False
    if isinstance(value, Sym):
        return _match_symbolic_value(pattern, value, ignore_case)
    return wildcard_match(pattern, value, ignore_case)


def _match_symbolic_value(pattern: str, value: Sym, ignore_case: bool) -> Tri:
    """A known pattern against a value with unknown parts (e.g. a generated function name)."""
    filled = "".join(FILLER if isinstance(p, Unknown) else p for p in value.parts)
    if wildcard_match(pattern, filled, ignore_case):
        return True  # the unknown parts fall under the pattern's wildcards
    head = value.parts[0] if isinstance(value.parts[0], str) else ""
    literal_head = re.split(r"[*?]", pattern, maxsplit=1)[0]
    n = min(len(head), len(literal_head))
    a, b = head[:n], literal_head[:n]
    if (a.lower() != b.lower()) if ignore_case else (a != b):
        return False
    return None


def _match_symbolic_pair(pattern: Sym, value: Sym, ignore_case: bool) -> Tri:
    """Two partly unknown strings: decided when they differ only after a common start.

    `arn:…:function:${?name}:live` against `arn:…:function:${?name}` shares everything up to the
    unknown name; what follows (`:live` against nothing) decides. A common start with a wildcard
    in it could match across parts, so it is not stripped.
    """
    if pattern == value:
        return True
    a, b = list(pattern.parts), list(value.parts)
    while a and b and a[0] == b[0] and (isinstance(a[0], Unknown) or not ("*" in a[0] or "?" in a[0])):
        a.pop(0)
        b.pop(0)
    if any(isinstance(p, Unknown) for p in a + b):
        return None
    return wildcard_match("".join(a), "".join(b), ignore_case)


def any_match(patterns: tuple, value: object, ignore_case: bool = False) -> Tri:
    """Three-valued OR of `match` over a list of patterns."""
    result: Tri = False
    for pattern in patterns:
        hit = match(pattern, value, ignore_case)
        if hit:
            return True
        if hit is None:
            result = None
    return result


def negate(value: Tri) -> Tri:
    return None if value is None else not value
