"""Questions over a run of several deployments (load/deployments.py): which model answers.

A run is one model unless some templates cannot deploy side by side; then each deployment is
a model of its own, with every snapshot. A name is looked up in each:

- a function, principal or resource that a template defines lives in that template's
  deployment only, and is asked there. Two templates of different deployments that define
  what one identifier names (both define `ProcessorFunction`, or both create the function
  `processor`) make it ambiguous, as two files do within one model (contract, "Identifiers"):
  exit 2 listing each as `FILE#LogicalId`, the form that names one;
- what no template defines (a snapshot's role, an account, a service, `*`) is in every
  deployment, and is asked in each. Equal answers are one answer; list answers (who can
  invoke, what can be accessed) are the rows of every deployment, each row naming its files
  in `because`; a single decision (`can`) that differs between deployments is exit 2 naming
  them, never one picked silently (`report/answers_json.merged`, on the answers as written).
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from typing import Callable

from permcheck.graph.edges import Edges
from permcheck.graph.names import NotInInputs
from permcheck.model.location import InputError


@dataclass(frozen=True)
class Model:
    """One deployment's model: its `Deployment` (templates, label) and the edges over it."""

    deployment: object  # load.deployments.Deployment
    edges: Edges


Found = list[tuple[Model, object]]


def locate(models: list[Model], identifier: str, resolve: Callable[[Edges], object]) -> Found:
    """(model, thing) for each deployment where `resolve` finds what `identifier` names; an
    InputError when it names none, or things that different templates define."""
    found: Found = []
    missing: list[NotInInputs] = []
    for model in models:
        try:
            thing = resolve(model.edges)
        except NotInInputs as error:
            missing.append(error)
            continue
        if thing is not None:
            found.append((model, thing))
    if not found:
        raise _nowhere(missing) if missing else InputError(None, f"{identifier!r}: not in the inputs")
    if len(models) == 1:
        return found
    owners = {o for model, thing in found if (o := owner(model.edges, thing)) is not None}
    if len(owners) > 1:
        listed = ", ".join(sorted(f"{os.path.normpath(file)}#{logical_id}" for file, logical_id in owners))
        raise InputError(None, f"{identifier} is defined by more than one input: {listed} "
                               "(they are separate deployments; name one as FILE#LogicalId)")
    if owners:
        only = owners.pop()
        return [(model, thing) for model, thing in found if owner(model.edges, thing) == only]
    return found


def _nowhere(missing: list[NotInInputs]) -> NotInInputs:
    """Not in any deployment: the closest names of all of them."""
    first = missing[0]
    names = sorted({name for error in missing for name in error.close})
    close = difflib.get_close_matches(first.identifier, names, n=3, cutoff=0.0) if names else []
    return NotInInputs(first.what, first.identifier, first.hint, close)


def owner(edges: Edges, thing: object) -> tuple[str, str] | None:
    """(file, logical id) of the template that defines `thing`, or None when none does."""
    inventory = edges.index.inventory
    key = str(getattr(thing, "arn", thing))
    for table in (inventory.functions, inventory.roles, inventory.users, inventory.groups, inventory.resources):
        entity = table.get(key)
        if entity is not None and entity.logical_id and entity.location is not None:
            return entity.location.file, entity.logical_id
    return None


def common(principal: Found, resource: Found) -> list[Model]:
    """The deployments that hold both the PRINCIPAL and the RESOURCE of `can`."""
    both = [model for model, _ in principal if any(model is other for other, _ in resource)]
    if not both:
        raise InputError(None, f"the principal is in {principal[0][0].deployment.label} and the resource in "
                               f"{resource[0][0].deployment.label}: templates that cannot deploy side by side "
                               "never meet")
    return both
