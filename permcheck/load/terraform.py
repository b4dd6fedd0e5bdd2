"""Terraform plans (`terraform show -json`) → the inventory. Placeholder until the loader lands."""

from __future__ import annotations

from permcheck.load.nodes import line_of
from permcheck.model.location import InputError, Location


def load_plan(file: str, document, deployment, inventory) -> None:
    raise InputError(Location(file, line_of(document, 1)),
                     "Terraform plans are recognised but not supported by this version of permcheck")
