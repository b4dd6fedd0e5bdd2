"""SAM's own data, vendored (permcheck/data/sam): read where the loader expands SAM and where the
rules need to know what SAM, not the template's author, wrote."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "sam"


@lru_cache(maxsize=1)
def policy_templates() -> dict:
    """SAM's policy templates (`SQSPollerPolicy` …), by name."""
    return json.loads((DATA / "policy_templates.json").read_text())["Templates"]


@lru_cache(maxsize=1)
def managed_policy_map() -> dict:
    """SAM's map of AWS managed policy names to ARNs, by partition."""
    return json.loads((DATA / "aws_managed_policies.json").read_text())
