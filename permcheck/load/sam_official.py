"""Fallback: the official SAM translator (optional `aws-sam-translator`), for what permcheck's
own expander does not model. Placeholder, filled in below."""

from __future__ import annotations

import importlib.util


def available() -> bool:
    return importlib.util.find_spec("samtranslator") is not None


def translate(file, template, deployment, parameters):
    raise NotImplementedError
