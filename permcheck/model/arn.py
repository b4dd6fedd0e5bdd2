"""ARNs: parsing and the canonical principal forms the contract prints."""

from __future__ import annotations

import re
from dataclasses import dataclass

from permcheck.model.values import Sym, Unknown, concat

ACCOUNT_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True, slots=True)
class Arn:
    """The six colon-separated fields of an ARN (`resource` keeps any further colons)."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def parse_arn(text: str) -> Arn | None:
    """Split an ARN into its fields, or None when `text` is not an ARN."""
    parts = _parts(text)
    return None if parts is None else Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def _parts(text: str) -> list[str] | None:
    """The six colon-separated pieces of an ARN ("arn" first), or None when `text` is not one."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        return None
    return parts


def account_of(text: str) -> str | None:
    """The account an ARN names in its account field (None for S3 buckets and the like). Asked of
    every entity of a snapshot, so it reads the pieces without making an `Arn`."""
    parts = _parts(text)
    return parts[4] if parts is not None and ACCOUNT_ID.match(parts[4]) else None


def arn_fields(value: object) -> tuple[object, ...] | None:
    """The six fields of an ARN that may hold unknown parts, each a str, `Sym` or `Unknown`.

    A `Sym` is split on the colons of its known parts only: an unknown part stays inside
    the field where it stands, whatever its description holds (`${?item 2 of Fn::Split of
    arn:aws:…}` is one function name, not five fields). As with `parse_arn`, the resource
    keeps any further colons. None when the value is not an ARN (or its start is unknown).
    """
    if isinstance(value, str):
        arn = parse_arn(value)
        return None if arn is None else ("arn", arn.partition, arn.service, arn.region, arn.account, arn.resource)
    if not isinstance(value, Sym):
        return None
    fields: list[list[object]] = [[]]
    for part in value.parts:
        if isinstance(part, Unknown):
            fields[-1].append(part)
            continue
        pieces = part.split(":", 5 - (len(fields) - 1)) if len(fields) < 6 else [part]
        fields[-1].append(pieces[0])
        fields += [[piece] for piece in pieces[1:]]
    if len(fields) != 6:
        return None
    out = tuple(concat([p for p in pieces if p != ""]) for pieces in fields)
    if out[0] != "arn" or not isinstance(out[1], str) or not isinstance(out[2], str) or not out[2]:
        return None
    return out


def account_field(value: object) -> object:
    """The account field of an ARN (str, or `Sym`/`Unknown` when unresolved); None if not an ARN."""
    fields = arn_fields(value)
    return None if fields is None else fields[4]


def root_arn(account: str, partition: str = "aws") -> str:
    """The principal that stands for a whole account."""
    return f"arn:{partition}:iam::{account}:root"


def session_role_arn(text: str) -> str | None:
    """`arn:aws:sts::A:assumed-role/R/S` → `arn:aws:iam::A:role/R`; None otherwise.

    A session ARN drops the role's path, so the role ARN returned has none either;
    callers look roles up by account and name.
    """
    arn = parse_arn(text)
    if arn is None or arn.service != "sts" or not arn.resource.startswith("assumed-role/"):
        return None
    pieces = arn.resource.split("/")
    if len(pieces) < 3:
        return None
    return f"arn:{arn.partition}:iam::{arn.account}:role/{pieces[1]}"


def iam_name(text: str) -> tuple[str, str] | None:
    """(`role`|`user`|`group`|`policy`, NAME) of an IAM ARN, path dropped."""
    arn = parse_arn(text)
    if arn is None or arn.service != "iam":
        return None
    kind, _, rest = arn.resource.partition("/")
    if not rest:
        return None
    return kind, rest.rsplit("/", 1)[-1]


def iam_path(path: object) -> object:
    """An IAM path as it stands in an ARN: "/" by default, else it begins and ends with "/"."""
    if path is None:
        return "/"
    if isinstance(path, str):
        inner = path.strip("/")
        return f"/{inner}/" if inner else "/"
    return path
