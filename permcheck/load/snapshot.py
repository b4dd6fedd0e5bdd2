"""AWS CLI account snapshots → the inventory (get-account-authorization-details,
lambda list-functions, lambda get-policy). Placeholder until the loaders land."""

from __future__ import annotations

from permcheck.load.nodes import line_of
from permcheck.model.entities import Inventory
from permcheck.model.location import InputError, Location


def accounts_of(file: str, kind: str, document: object) -> set[str]:
    """The accounts a snapshot file describes (to decide where templates deploy)."""
    return set()


def load(file: str, kind: str, document: object, inventory: Inventory) -> None:
    raise InputError(Location(file, line_of(document, 1)),
                     f"{kind} snapshots are recognised but not supported by this version of permcheck")
