"""How a generated resource says where it came from: the `PermcheckSource` note the SAM expansion
writes on every resource it creates, and the SAM resource and event it names (what a finding about
the grant names: the contract's `resource`; which event source the grant serves). Also the key under
which the expansion keeps the wiring SAM makes without a resource of its own (`SAM_TRIGGERS`)."""

from __future__ import annotations

import re

SOURCE_NOTE = "PermcheckSource"
SAM_TRIGGERS = "PermcheckSamTriggers"
"""A top-level key of an expanded SAM template: what SAM wires that the expansion writes no
CloudFormation for (load/sam/trigger_facts.py), read by load/cfn_triggers_sam.py."""
_SAM_NOTE = re.compile(r"^created by SAM(?: \(official transform\))?: ([A-Za-z0-9]+)(?:\.Events\.([A-Za-z0-9]+))?")


def sam_logical_id(note: str | None) -> str | None:
    """The SAM resource a `PermcheckSource` note names ("created by SAM: Fn.Events.Api (Api)" → "Fn")."""
    match = _SAM_NOTE.match(note or "")
    return match.group(1) if match else None


def sam_event(note: str | None) -> str | None:
    """The SAM event a `PermcheckSource` note names ("created by SAM: Fn.Events.Api (Api)" → "Api")."""
    match = _SAM_NOTE.match(note or "")
    return match.group(2) if match else None


def sam_origin(note: str | None) -> dict[str, str | None]:
    """A statement's SAM fields from the note of the resource that holds it."""
    return {"sam_resource": sam_logical_id(note), "sam_event": sam_event(note)}
