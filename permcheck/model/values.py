"""Values that a template does not determine.

CloudFormation leaves some values to deploy time (a generated physical name, an
`Fn::ImportValue`, an unknown parameter). permcheck never guesses them: they stay
symbolic, and whatever depends on them is reported as depending on an unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True, slots=True)
class Unknown:
    """A whole value that cannot be resolved statically; `reason` says what it is.

    `owned`: the value is an identifier AWS generates for a resource of this deployment (a
    generated physical name, an ARN, a stack id). It is unknown, but it is this deployment's
    own: no principal or resource of another account can hold it, so it never lets an outsider
    in (`graph/outsiders.py`). Anything else unresolved (a parameter without a default, an
    import, a computed value) may be anything, another account's included.
    """

    reason: str
    owned: bool = field(default=False, compare=False)  # follows from `reason`'s origin

    def __str__(self) -> str:
        return "${?" + self.reason + "}"


@dataclass(frozen=True, slots=True)
class Sym:
    """A string of which some parts are known and some are `Unknown`.

    `Fn::Sub: arn:aws:s3:::${Bucket}/*` with an unresolvable `Bucket` becomes
    Sym(("arn:aws:s3:::", Unknown("Bucket"), "/*")). Adjacent known parts are merged.
    """

    parts: tuple[Union[str, Unknown], ...]
    text: str = field(init=False, repr=False, compare=False)  # str(self), computed once: used as a key

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", "".join(str(p) for p in self.parts))

    def __str__(self) -> str:
        return self.text

    @property
    def unknowns(self) -> tuple[Unknown, ...]:
        return tuple(p for p in self.parts if isinstance(p, Unknown))


Text = Union[str, Sym]
"""A string-valued policy field: fully known (`str`) or partly unknown (`Sym`)."""


def concat(parts: "list[object]") -> "Text | Unknown":
    """Join resolved pieces into one string value, keeping unknown parts symbolic.

    Pieces may be str, Unknown or Sym. Returns a str when everything is known.
    """
    out: list[Union[str, Unknown]] = []
    run: list[str] = []  # known text since the last unknown part, joined once (linear, not quadratic)
    for piece in parts:
        pieces = piece.parts if isinstance(piece, Sym) else (piece,)
        for p in pieces:
            if isinstance(p, Unknown):
                if run:
                    out.append("".join(run))
                    run = []
                out.append(p)
            else:
                run.append(str(p))
    if run and "".join(run):
        out.append("".join(run))
    if not out:
        return ""
    if len(out) == 1 and isinstance(out[0], str):
        return out[0]
    if len(out) == 1:
        return out[0]
    return Sym(tuple(out))


def unknowns_of(value: object) -> tuple[Unknown, ...]:
    """Every Unknown inside a value (a str has none)."""
    if isinstance(value, Unknown):
        return (value,)
    if isinstance(value, Sym):
        return value.unknowns
    return ()
