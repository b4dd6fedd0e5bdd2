"""The notes loaders write on a trigger: what narrows a source or holds it back without changing
who can fire it, worded once so a snapshot, a plan and a template say the same thing."""

from __future__ import annotations

from permcheck.model.triggers import Wired

FILTERED_RECORDS = "a filter chooses which records invoke the function"


def with_notes(trigger: Wired, *notes: str) -> Wired:
    """The trigger (or delivery) with `notes` after its own."""
    return trigger.model_copy(update={"notes": trigger.notes + notes}) if notes else trigger


def disabled(what: str, state: str, enable: str) -> str:
    """A source that is switched off is still wired: whoever may `enable` it makes it fire again."""
    return f"the {what} is {state}: it runs the function again once enabled ({enable})"
