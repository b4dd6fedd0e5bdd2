"""The contract's identifiers by the names the inputs give them: logical IDs and `FILE#LogicalId`.

A logical ID names a resource within one template (or, for a Terraform plan, an address within
one plan). Inputs of one run may be several templates, and two of them may use the same logical
ID for different resources (a monorepo of independent applications): answering for the first
file found would answer a question nobody asked. So a logical ID that more than one input file
defines is an error listing each candidate as `FILE#LogicalId`, the form that names one; a name
found nowhere is an error with the closest names the inputs do hold (contract, "Identifiers").
Ambiguity is judged per logical ID across files, among the kinds of thing the command asks for
(a FUNCTION is looked up among functions, a PRINCIPAL among roles, users and functions).
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass

from permcheck.model.entities import Inventory
from permcheck.model.location import InputError

FUNCTION = ("function",)
PRINCIPAL = ("role", "user", "function")
RESOURCE = ("function", "role", "user", "group", "resource")


class NotInInputs(InputError):
    """A name the inputs do not hold: in a run of several deployments, another may hold it.
    `close` are the nearest names this model holds, so a run can suggest from all of them."""

    def __init__(self, what: str, identifier: str, hint: str, close: list[str]) -> None:
        tail = f"; closest names in the inputs: {', '.join(close)}" if close else "; the inputs name none"
        super().__init__(None, f"unknown {what} {identifier!r}: not in the inputs{hint}{tail}")
        self.what, self.identifier, self.hint, self.close = what, identifier, hint, close


@dataclass(frozen=True)
class Named:
    """One thing an input file defines under a logical ID: its kind and inventory key (ARN text)."""

    kind: str
    key: str
    file: str
    logical_id: str

    @property
    def spelled(self) -> str:
        """`FILE#LogicalId`: how a user names exactly this one."""
        return f"{os.path.normpath(self.file)}#{self.logical_id}"


class Names:
    """Logical IDs (and `FILE#LogicalId`) of one inventory, and the names to suggest."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.by_id: dict[str, list[Named]] = {}
        tables = (("function", inventory.functions), ("role", inventory.roles), ("user", inventory.users),
                  ("group", inventory.groups), ("resource", inventory.resources))
        for kind, table in tables:
            for key, entity in table.items():
                if entity.logical_id and entity.location is not None:
                    self.by_id.setdefault(entity.logical_id, []).append(
                        Named(kind, key, entity.location.file, entity.logical_id))

    def find(self, identifier: str, kinds: tuple[str, ...]) -> Named | None:
        """The one thing of `kinds` that `identifier` (a logical ID or `FILE#LogicalId`) names;
        None when it names none; an InputError when a bare logical ID names several files' own."""
        found = [n for n in self.by_id.get(identifier, ()) if n.kind in kinds]
        if not found and "#" in identifier:
            found = self._in_file(identifier, kinds)
        if len({os.path.normpath(n.file) for n in found}) > 1:
            listed = ", ".join(sorted(n.spelled for n in found))
            raise InputError(None, f"{identifier} is defined by more than one input: {listed} "
                                   "(name one as FILE#LogicalId)")
        return found[0] if found else None

    def _in_file(self, identifier: str, kinds: tuple[str, ...]) -> list[Named]:
        """`FILE#LogicalId`: split at each `#` (a Terraform address may hold one), the file
        compared as a path (`./a.yaml` is `a.yaml`)."""
        for at in (i for i, c in enumerate(identifier) if c == "#"):
            file, logical_id = identifier[:at], identifier[at + 1:]
            found = [n for n in self.by_id.get(logical_id, ()) if n.kind in kinds and _same_file(n.file, file)]
            if found:
                return found
        return []

    def unknown(self, what: str, identifier: str, kinds: tuple[str, ...], hint: str = "") -> NotInInputs:
        """The error for a name found nowhere: what was looked for, and the closest names held."""
        return NotInInputs(what, identifier, hint, self.closest(identifier, kinds))

    def closest(self, identifier: str, kinds: tuple[str, ...], n: int = 3) -> list[str]:
        """Up to `n` names of `kinds` the inputs hold (logical IDs, names, ARNs), nearest first."""
        candidates = {name for name, found in self.by_id.items() if any(f.kind in kinds for f in found)}
        if "#" in identifier:
            candidates |= {f.spelled for found in self.by_id.values() for f in found if f.kind in kinds}
        tables = {"function": self.inventory.functions, "role": self.inventory.roles, "user": self.inventory.users,
                  "group": self.inventory.groups, "resource": self.inventory.resources}
        for kind in kinds:
            for key, entity in tables[kind].items():
                candidates.add(key)
                if kind == "function" and isinstance(entity.name, str):
                    candidates.add(entity.name)
        ordered = sorted(c for c in candidates if "${?" not in c)  # an unresolved ARN is named by its logical ID
        return difflib.get_close_matches(identifier, ordered, n=n, cutoff=0.6) or \
            difflib.get_close_matches(identifier, ordered, n=n, cutoff=0.0)


def _same_file(loaded: str, given: str) -> bool:
    """The file as the inputs were walked and as the user wrote it, compared as paths."""
    return os.path.normpath(loaded) == os.path.normpath(given)
