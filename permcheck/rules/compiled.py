"""The built-in rule pack, parsed and type-checked ahead of time, as plain JSON.

Building the lark parser and parsing fifteen rule files costs a few hundred milliseconds,
more than the rest of a pre-commit run. `permcheck/data/rules_compiled.json` holds each
built-in rule's syntax tree with the SHA-256 of the file it came from; a rule file whose
text still has that hash is taken from there, any other is parsed and checked as usual.
It is data, never code (no pickle): `tools/gen_rule_docs.py` writes it, a test keeps it
current.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from permcheck.rules import lang

COMPILED = Path(__file__).resolve().parents[1] / "data" / "rules_compiled.json"
NODES = {cls.__name__: cls for cls in (lang.Name, lang.Literal, lang.ListOf, lang.Call, lang.Attribute,
                                       lang.Compare, lang.Not, lang.Logic, lang.Quantified, lang.Outcome)}


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cached_spec(text: str, file: str) -> lang.RuleSpec | None:
    """The compiled spec of a rule file with exactly this text, if there is one."""
    entry = _compiled().get(digest(text))
    if entry is None:
        return None
    spec = _decode(entry)
    spec.file = file
    return spec


def compile_pack(texts: dict[str, lang.RuleSpec]) -> str:
    """The JSON document for {file text: checked spec}."""
    entries = {digest(text): _encode(spec) for text, spec in texts.items()}
    return json.dumps(dict(sorted(entries.items())), indent=0, sort_keys=True) + "\n"


@lru_cache(maxsize=1)
def _compiled() -> dict:
    try:
        return json.loads(COMPILED.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # not generated (a fresh checkout before the tool ran): parse the files


def _encode(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "file"}
        out["node"] = type(value).__name__
        return out
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: object) -> object:
    if isinstance(value, dict):
        kind = value["node"]
        fields = {k: _decode(v) for k, v in value.items() if k != "node"}
        if kind == "RuleSpec":
            fields["examples"] = [tuple(e) for e in fields["examples"]]
            fields["bindings"] = [tuple(b) for b in fields["bindings"]]
            return lang.RuleSpec(**fields)
        cls = NODES[kind]
        for f in dataclasses.fields(cls):
            if f.type == "tuple" and isinstance(fields.get(f.name), list):
                fields[f.name] = tuple(fields[f.name])
        return cls(**fields)
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
