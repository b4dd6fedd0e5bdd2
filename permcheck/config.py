"""The TOML configuration: `--config FILE`, else `.permcheck.toml`, else `[tool.permcheck]`.

Unknown keys are errors: a typo in a security gate's configuration must not silently
turn a check off.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from permcheck.model.arn import ACCOUNT_ID
from permcheck.model.location import InputError, Location

KEYS = {"account", "trusted_accounts", "org_id", "management_account", "fail_on", "rules", "ignore", "region",
        "parameters", "cache"}
SEVERITIES = ("low", "medium", "high", "critical")
IGNORE_KEYS = {"rule", "resource", "file", "reason"}


@dataclass(frozen=True)
class Config:
    account: str | None = None
    region: str | None = None
    trusted_accounts: tuple[str, ...] = ()
    org_id: str | None = None
    management_account: str | None = None  # SCPs and RCPs do not apply to it
    fail_on: str = "high"
    rules: dict = field(default_factory=dict)
    ignore: tuple[dict, ...] = ()
    parameters: dict = field(default_factory=dict)
    cache: bool = True  # false: never read or write the model cache (load/cache.py), as --no-cache
    source: str | None = None


def load_config(path: str | None) -> Config:
    """Read the configuration that applies to this run (an empty one when there is none)."""
    import tomllib

    if path is None:
        if os.path.exists(".permcheck.toml"):
            path = ".permcheck.toml"
        elif os.path.exists("pyproject.toml"):
            table = _read(tomllib, "pyproject.toml").get("tool", {}).get("permcheck")
            return _validate(table, "pyproject.toml") if table is not None else Config()
        else:
            return Config()
    return _validate(_read(tomllib, path), path)


def _read(tomllib, path: str) -> dict:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise InputError(Location(path), f"cannot read configuration: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None)
        raise InputError(Location(path, line), f"invalid TOML: {error}") from None


def _validate(table: dict, path: str) -> Config:
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise InputError(Location(path), f"unknown configuration key {unknown[0]!r}")
    fail_on = table.get("fail_on", "high")
    if fail_on not in SEVERITIES:
        raise InputError(Location(path), f"fail_on must be one of {', '.join(SEVERITIES)}")
    for entry in table.get("ignore", []):
        if not isinstance(entry, dict) or not entry.get("reason"):
            raise InputError(Location(path), "every [[ignore]] entry needs a reason")
        unknown = sorted(set(entry) - IGNORE_KEYS)
        if unknown:
            raise InputError(Location(path), f"[[ignore]] has an unknown key {unknown[0]!r}")
    management = table.get("management_account")
    if management is not None and not (isinstance(management, str) and ACCOUNT_ID.fullmatch(management)):
        raise InputError(Location(path), "management_account must be a 12-digit account ID in quotes")
    cache = table.get("cache", True)
    if not isinstance(cache, bool):
        raise InputError(Location(path), "cache must be true or false")
    return Config(account=table.get("account"), region=table.get("region"),
                  trusted_accounts=tuple(table.get("trusted_accounts", ())), org_id=table.get("org_id"),
                  management_account=management,
                  fail_on=fail_on, rules=dict(table.get("rules", {})), ignore=tuple(table.get("ignore", ())),
                  parameters={str(k): str(v) for k, v in table.get("parameters", {}).items()}, cache=cache,
                  source=path)
