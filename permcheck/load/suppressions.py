"""Inline suppressions: `Metadata: {permcheck: {ignore: [{rule: ID, reason: TEXT}]}}`.

A suppression must say why (the contract): an entry without a reason, or of the wrong
shape, is an input error at its line — a typo must not silence a check by accident.
Whether the rule id exists is checked when the rules are known (`permcheck.rules.run`).
"""

from __future__ import annotations

from permcheck.load.nodes import line_of
from permcheck.model.entities import Ignore
from permcheck.model.location import InputError, Location


def read_suppressions(file: str, template: dict) -> dict[tuple[str, str], tuple[Ignore, ...]]:
    """(file, logical id) → the ignores written on that resource."""
    out = {}
    resources = template.get("Resources")
    for logical_id, resource in (resources.items() if isinstance(resources, dict) else ()):
        metadata = resource.get("Metadata") if isinstance(resource, dict) else None
        own = metadata.get("permcheck") if isinstance(metadata, dict) else None
        if own is None:
            continue
        where = Location(file, line_of(own, line_of(metadata, line_of(resource))))
        if not isinstance(own, dict) or set(own) != {"ignore"} or not isinstance(own["ignore"], list):
            raise InputError(where, f"{logical_id}: Metadata.permcheck takes one key, ignore: a list of "
                             "{rule, reason}")
        entries = []
        for item in own["ignore"]:
            at = Location(file, line_of(item, where.line))
            if not isinstance(item, dict) or set(item) - {"rule", "reason"}:
                raise InputError(at, f"{logical_id}: each permcheck ignore entry is {{rule, reason}}")
            rule, reason = item.get("rule"), item.get("reason")
            if not isinstance(rule, str) or not rule:
                raise InputError(at, f"{logical_id}: permcheck ignore entry without a rule id")
            if not isinstance(reason, str) or not reason.strip():
                raise InputError(at, f"{logical_id}: permcheck ignore of {rule} needs a reason")
            entries.append(Ignore(rule=rule, reason=reason.strip(), location=at))
        out[(file, str(logical_id))] = tuple(entries)
    return out
