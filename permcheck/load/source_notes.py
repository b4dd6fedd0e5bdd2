"""How a generated resource says where it came from: the `PermcheckSource` note the SAM expansion
writes on every resource it creates, and the SAM resource it names (what a finding about the grant
names: the contract's `resource`)."""

from __future__ import annotations

import re

SOURCE_NOTE = "PermcheckSource"
_SAM_NOTE = re.compile(r"^created by SAM(?: \(official transform\))?: ([A-Za-z0-9]+)")


def sam_logical_id(note: str | None) -> str | None:
    """The SAM resource a `PermcheckSource` note names ("created by SAM: Fn.Events.Api (Api)" → "Fn")."""
    match = _SAM_NOTE.match(note or "")
    return match.group(1) if match else None
