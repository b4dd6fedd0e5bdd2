"""SAM templates → CloudFormation, offline. Placeholder until the expander lands."""

from __future__ import annotations

from permcheck.load.nodes import line_of
from permcheck.model.location import InputError, Location


def expand_sam(file: str, template, deployment, parameters):
    raise InputError(Location(file, line_of(template, 1)),
                     "SAM templates are recognised but not supported by this version of permcheck")
