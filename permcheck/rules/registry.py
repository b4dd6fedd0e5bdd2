"""The rules in force: the built-in pack (`rules/*.rule`), users' `--rules DIR`, the config.

An explicit registry: rule files are read from known directories, parsed and type-checked
at load; a bad file is an error at its line and column; two rules with one id are an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from permcheck.model.location import InputError, Location
from permcheck.rules.findings import Severity
from permcheck.rules.lang import RuleSpec

BUILTIN_DIRS = (
    Path(__file__).resolve().parents[1] / "builtin_rules",  # shipped inside the package (wheel)
    Path(__file__).resolve().parents[2] / "rules",  # a source checkout / editable install
)
RULE_SUFFIX = ".rule"
RULE_KEYS = {"severity", "enabled"}


@dataclass(frozen=True)
class Rule:
    """A checked rule with the severity and state the configuration gives it."""

    spec: RuleSpec
    severity: Severity
    enabled: bool = True
    builtin: bool = True

    @property
    def id(self) -> str:
        return self.spec.id


def builtin_dir() -> Path:
    for directory in BUILTIN_DIRS:
        if directory.is_dir() and any(directory.glob(f"*{RULE_SUFFIX}")):
            return directory
    raise FileNotFoundError("the built-in rules are not installed: " + ", ".join(map(str, BUILTIN_DIRS)))


def read_rule_file(path: Path) -> RuleSpec:
    """A checked rule: from the compiled pack when the file is unchanged, else parsed now."""
    from permcheck.rules.compiled import cached_spec

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(Location(str(path)), f"cannot read rule file: {error}") from None
    return cached_spec(text, str(path)) or parse_checked(text, str(path))


def parse_checked(text: str, file: str) -> RuleSpec:
    from permcheck.rules.check_types import check_rule
    from permcheck.rules.lang import parse_rule

    spec = parse_rule(text, file)
    check_rule(spec)
    return spec


def load_rules(extra_dirs: tuple[str, ...] = (), config=None) -> list[Rule]:
    """Every rule, ordered by id, with the configuration's severities and switches applied."""
    specs: dict[str, tuple[RuleSpec, bool]] = {}
    sources = [(builtin_dir(), True)] + [(Path(d), False) for d in extra_dirs]
    for directory, builtin in sources:
        if not directory.is_dir():
            raise InputError(Location(str(directory)), "--rules must name a directory of *.rule files")
        files = sorted(directory.glob(f"*{RULE_SUFFIX}"))
        if not files and not builtin:
            raise InputError(Location(str(directory)), "no *.rule file in this directory")
        for path in files:
            spec = read_rule_file(path)
            if spec.id in specs:
                raise InputError(Location(str(path), spec.line),
                                 f"rule {spec.id} is already defined in {specs[spec.id][0].file}")
            specs[spec.id] = (spec, builtin)
    settings = dict(config.rules) if config is not None else {}
    for rule_id, table in settings.items():
        where = Location(config.source or "configuration")
        if rule_id not in specs:
            raise InputError(where, f"[rules.{rule_id}]: no rule has this id")
        if not isinstance(table, dict) or set(table) - RULE_KEYS:
            raise InputError(where, f"[rules.{rule_id}] takes only: {', '.join(sorted(RULE_KEYS))}")
        if "severity" in table and table["severity"] not in {s.value for s in Severity}:
            raise InputError(where, f"[rules.{rule_id}] severity must be low, medium, high or critical")
    rules = []
    for rule_id in sorted(specs):
        spec, builtin = specs[rule_id]
        table = settings.get(rule_id, {})
        rules.append(Rule(spec, Severity(table.get("severity", spec.severity)), bool(table.get("enabled", True)),
                          builtin))
    return rules
