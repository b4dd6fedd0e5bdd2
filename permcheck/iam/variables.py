"""IAM policy variables (`${aws:username}`) in Resource and Condition values.

Why: a policy value containing variables means something different for every request, so
the evaluator substitutes them from the request context before matching. Source:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html

Rules encoded (quotes from that page):
- Only Version "2012-10-17" has variables; otherwise (including a missing Version)
  "variables like ${aws:username} are treated as literal strings".
- "Key names are case-insensitive"; the context is keyed by lower-cased name.
- "${*}", "${?}", "${$}" stand for a literal *, ? and $ -- an "* asterisk in the string would
  be interpreted as a wildcard" otherwise.
- Default value: "${aws:PrincipalTag/team, 'company-wide'}" (single quotes, comma and space;
  spaces around the parts are tolerated here).
- A key that is absent, or multivalued ("You can't use a multivalued condition key as a
  variable"), has no value: without a default the value "is effectively null" -- the text
  then equals and matches nothing (None here). The caller keeps None as the policy value:
  `conditions.clause_holds` treats it as matching no request value, so StringEquals fails
  and StringNotEquals holds, and a Resource holding it "will not match any resource".

Two outputs, for the two kinds of matcher:
- `substitute` -> plain text, for operators without wildcards (StringEquals and
  StringNotEquals, with or without IgnoreCase). Escapes become their literal character.
- `substitute_pattern` -> a Glob for wildcard matchers (StringLike, Arn*, Resource): a tuple
  of segments ("lit", text) | ("*", "") | ("?", ""). Only `*`/`?` written in the policy text
  are wildcards; characters from escapes, substituted values and defaults are literal
  (AWS does not say whether a substituted value's `*` is a wildcard; literal is the
  reading that keeps a request-controlled value from widening a grant).
"""

from __future__ import annotations

import re
from typing import Iterator, Mapping, Optional

VARIABLES_VERSION = "2012-10-17"
Glob = tuple[tuple[str, str], ...]

_REF = re.compile(r"\$\{([^{}]*)\}")
_BODY = re.compile(r"\s*([^\s,'{}$](?:[^,'{}$]*[^\s,'{}$])?)\s*(?:,\s*'([^']*)'\s*)?")
_ESCAPES = ("*", "?", "$")


def _pieces(text: str, version: Optional[str]) -> Iterator[tuple[str, str, Optional[str]]]:
    """Split text into ("text", s, None), ("escape", ch, None) and ("var", key, default)."""
    if version != VARIABLES_VERSION:
        yield ("text", text, None)
        return
    pos = 0
    for m in _REF.finditer(text):
        body = m.group(1)
        if body in _ESCAPES:
            piece = ("escape", body, None)
        elif b := _BODY.fullmatch(body):
            piece = ("var", b.group(1), b.group(2))
        else:
            continue  # not a variable reference (e.g. "${}"): stays literal text
        if m.start() > pos:
            yield ("text", text[pos:m.start()], None)
        yield piece
        pos = m.end()
    if pos < len(text):
        yield ("text", text[pos:], None)


def _value(key: str, default: Optional[str], context: Mapping[str, tuple[str, ...]]) -> Optional[str]:
    """The single value of key, else the default, else None (no value)."""
    values = context.get(key.lower())
    return values[0] if values is not None and len(values) == 1 else default


def find_variables(text: str, *, version: Optional[str] = VARIABLES_VERSION) -> list[str]:
    """The context keys text refers to, as written, first spelling kept per key; escapes skipped."""
    seen: dict[str, str] = {}
    for kind, key, _ in _pieces(text, version):
        if kind == "var":
            seen.setdefault(key.lower(), key)
    return list(seen.values())


def substitute(text: str, context: Mapping[str, tuple[str, ...]], *,
               version: Optional[str] = VARIABLES_VERSION) -> Optional[str]:
    """text with every variable replaced and escapes made literal; None if one has no value."""
    out = []
    for kind, s, default in _pieces(text, version):
        value = _value(s, default, context) if kind == "var" else s
        if value is None:
            return None
        out.append(value)
    return "".join(out)


def substitute_pattern(text: str, context: Mapping[str, tuple[str, ...]], *,
                       version: Optional[str] = VARIABLES_VERSION) -> Optional[Glob]:
    """text as a Glob: policy `*`/`?` are wildcards, everything substituted is literal.

    None when a referenced key has no value and no default (the value matches nothing).
    """
    segments: list[tuple[str, str]] = []

    def lit(s: str) -> None:
        if segments and segments[-1][0] == "lit":
            segments[-1] = ("lit", segments[-1][1] + s)
        elif s:
            segments.append(("lit", s))

    for kind, s, default in _pieces(text, version):
        if kind == "text":
            for part in re.split(r"([*?])", s):
                segments.append((part, "")) if part in _ESCAPES[:2] else lit(part)
            continue
        value = _value(s, default, context) if kind == "var" else s
        if value is None:
            return None
        lit(value)
    return tuple(segments)
