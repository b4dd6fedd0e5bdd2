"""The intrinsic functions themselves, one small function each, and Condition logic.

Each function gets the `TemplateResolver`, its argument as written and the line to
report, and resolves only the arguments it needs (`Fn::If` never touches the branch
it does not take). Semantics follow the CloudFormation "Intrinsic function reference";
what it would reject at deploy time is an `InputError` here.
"""

from __future__ import annotations

from typing import Callable

from permcheck.load import fn_sub
from permcheck.load.nodes import LineDict, LineList, line_of
from permcheck.model.values import Sym, Unknown, concat, unknowns_of


class _NoValue:
    """`Ref: AWS::NoValue`: the property is removed, as if it were never written."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE = _NoValue()
"""What `resolve` returns for `AWS::NoValue`; inside dicts and lists it is dropped."""

UNMODELLED = frozenset((  # defined by CloudFormation; values not worked out by permcheck
    "Fn::Base64 Fn::Cidr Fn::GetAZs Fn::Length Fn::ToJsonString Fn::Transform Fn::ForEach "
    "Fn::Contains Fn::EachMemberEquals Fn::EachMemberIn Fn::RefAll Fn::ValueOf Fn::ValueOfAll"
).split())
CONDITION_FNS = frozenset(("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"))
_MISSING = object()


def call(r, name: str, arg: object, line: int | None, node: object) -> object:
    """Evaluate the one-key mapping `node` = {name: arg}, `name` being `Ref` or `Fn::*`."""
    fn = FUNCTIONS.get(name)
    if fn is not None:
        return fn(r, arg, line)
    if name in CONDITION_FNS:
        return condition_expr(r, node, line)
    if name == "Fn::Transform":  # an AWS::Include whose file is not local, or another macro
        from permcheck.load.includes import unknown_transform
        return unknown_transform(arg)
    if name in UNMODELLED or name.startswith("Fn::ForEach::"):
        return Unknown(f"{name} (not evaluated by permcheck)")
    raise r.error(line, f"{name} is not a CloudFormation intrinsic function")


def _ref(r, arg: object, line: int | None) -> object:
    if isinstance(arg, dict):  # AWS::LanguageExtensions allows `Ref` of an intrinsic
        arg = r.resolve_at(arg, line)
        if isinstance(arg, (Unknown, Sym)):
            return Unknown(f"Ref to {describe(arg)}")
    return r.ref_at(arg, line, "Ref")


def _get_att(r, arg: object, line: int | None) -> object:
    if isinstance(arg, str):  # "Resource.Attribute": the attribute may itself contain dots
        logical_id, dot, attribute = arg.partition(".")
        if not (logical_id and dot and attribute):
            raise r.error(line, f"Fn::GetAtt {arg!r} is not LogicalId.Attribute")
    elif isinstance(arg, list) and len(arg) == 2:  # either may be an intrinsic (LanguageExtensions)
        logical_id, attribute = (text_of(r.resolve_at(a, line)) for a in arg)
        if isinstance(logical_id, (Unknown, Sym)):
            return Unknown(f"Fn::GetAtt of {describe(logical_id)}")
    else:
        raise r.error(line, f"Fn::GetAtt needs [LogicalId, Attribute] or \"LogicalId.Attribute\", not {kind_of(arg)}")
    return r.get_att_at(logical_id, attribute, line)


def _sub(r, arg: object, line: int | None) -> object:
    template, variables = arg, LineDict()
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
        template, variables = arg
    if not isinstance(template, str):
        raise r.error(line, f"Fn::Sub needs a string or [string, {{variables}}], not {kind_of(arg)}")
    try:
        parts = fn_sub.parse(template)
    except fn_sub.SubSyntaxError as e:
        where = f"line {e.line}, column {e.column}" if "\n" in template else f"column {e.column}"
        raise r.error(line, f"Fn::Sub: {e.message} at {where} of the string") from None
    return _bounded(r, [p if isinstance(p, str) else _sub_var(r, p.name, variables, line) for p in parts], line,
                    "Fn::Sub")


def _sub_var(r, name: str, variables: dict, line: int | None) -> object:
    """${Name}: the variable map first, then pseudo parameters, parameters, resources."""
    what = f"Fn::Sub ${{{name}}}"
    if name in variables:
        at = variables.line_of(name) if isinstance(variables, LineDict) else line
        value = r.resolve_at(variables[name], at)
    elif "." in name and not name.startswith("AWS::"):
        logical_id, _, attribute = name.partition(".")
        value = r.get_att_at(logical_id, attribute, line)
    else:
        value = r.ref_at(name, line, what)
    if value is NO_VALUE:
        return ""
    if isinstance(value, (dict, list)):
        raise r.error(line, f"{what} is {kind_of(value)}, not a string")
    return text_of(value)


def _join(r, arg: object, line: int | None) -> object:
    delimiter, values = (r.resolve_at(a, line) for a in _args(r, "Fn::Join", arg, line, 2, "[delimiter, [values]]"))
    if not isinstance(delimiter, str):
        raise r.error(line, f"Fn::Join delimiter must be a string, not {kind_of(delimiter)}")
    if isinstance(values, Unknown):  # e.g. an unknown CommaDelimitedList parameter
        return values
    if not isinstance(values, list):
        raise r.error(line, f"Fn::Join needs a list of values, not {kind_of(values)}")
    pieces: list[object] = []
    for i, value in enumerate(values):
        if isinstance(value, (dict, list)):
            raise r.error(line, f"Fn::Join value {i} is {kind_of(value)}, not a string")
        pieces += [delimiter, text_of(value)] if i else [text_of(value)]
    return _bounded(r, pieces, line, "Fn::Join")


MAX_RESOLVED_CHARS = 1 << 20
"""A value an intrinsic builds may be at most 1 MiB — CloudFormation's limit for a whole
template; more is an input built to exhaust memory (a 1 MB parameter joined 3,000 times)."""


def _bounded(r, pieces: list, line: int | None, what: str) -> object:
    size = sum(sum(len(p) for p in piece.parts if isinstance(p, str)) if isinstance(piece, Sym)
               else 0 if isinstance(piece, Unknown) else len(str(piece)) for piece in pieces)
    if size > MAX_RESOLVED_CHARS:
        raise r.error(line, f"{what} builds a value of {size:,} characters; at most {MAX_RESOLVED_CHARS:,} are "
                      "read (CloudFormation's limit for a whole template)")
    return concat(pieces)


def _if(r, arg: object, line: int | None) -> object:
    name = _args(r, "Fn::If", arg, line, 3, "[condition name, value if true, value if false]")[0]
    value = r.condition_value(name, line)
    if isinstance(value, Unknown):
        return Unknown(f"Fn::If on condition {name}")
    branch = 1 if value else 2
    return r.resolve_at(arg[branch], arg.line_of(branch) if isinstance(arg, LineList) else line)


def _select(r, arg: object, line: int | None) -> object:
    index, values = (r.resolve_at(a, line) for a in _args(r, "Fn::Select", arg, line, 2, "[index, [values]]"))
    if isinstance(index, (Unknown, Sym)):
        return Unknown(f"Fn::Select with unknown index {describe(index)}")
    text = text_of(index)
    if isinstance(index, bool) or not isinstance(text, str) or not text.isdigit():
        raise r.error(line, f"Fn::Select index must be a non-negative integer, not {index!r}")
    i = int(text)
    if isinstance(values, Unknown):
        return Unknown(f"item {i} of {values.reason}")
    if not isinstance(values, list):
        raise r.error(line, f"Fn::Select needs a list of values, not {kind_of(values)}")
    if i >= len(values):
        raise r.error(line, f"Fn::Select index {i} is out of range for a list of {len(values)}")
    return values[i]


def _split(r, arg: object, line: int | None) -> object:
    delimiter, source = (r.resolve_at(a, line) for a in _args(r, "Fn::Split", arg, line, 2, "[delimiter, string]"))
    if not isinstance(delimiter, str) or not delimiter:
        raise r.error(line, f"Fn::Split delimiter must be a non-empty string, not {delimiter!r}")
    if isinstance(source, (Unknown, Sym)):  # unknown parts may hold delimiters: count unknown
        return Unknown(f"Fn::Split of {describe(source)}")
    if isinstance(source, (dict, list)) or source is NO_VALUE:
        raise r.error(line, f"Fn::Split needs a string, not {kind_of(source)}")
    items = text_of(source).split(delimiter)
    return LineList(items, line=line, item_lines=[line] * len(items))


def _find_in_map(r, arg: object, line: int | None) -> object:
    if not isinstance(arg, list) or len(arg) not in (3, 4):
        raise r.error(line, f"Fn::FindInMap needs [MapName, TopLevelKey, SecondLevelKey], not {kind_of(arg)}")
    if len(arg) == 4:
        return Unknown("Fn::FindInMap with DefaultValue (AWS::LanguageExtensions; not evaluated by permcheck)")
    keys = [r.resolve_at(a, line) for a in arg]
    if any(isinstance(k, (Unknown, Sym)) for k in keys):
        return Unknown("Fn::FindInMap [" + ", ".join(describe(k) for k in keys) + "]")
    node, path = r.mappings, "Mappings"
    for key in keys:
        if isinstance(key, (dict, list)):
            raise r.error(line, f"Fn::FindInMap keys must be strings, not {kind_of(key)}")
        if not isinstance(node, dict):
            raise r.error(line, f"Fn::FindInMap: {path} is not a mapping")
        found = _lookup(node, text_of(key))
        if found is _MISSING:
            raise r.error(line, f"Fn::FindInMap: {path} has no key {text_of(key)!r}")
        node, path = found, f"{path}.{text_of(key)}"
    return r.resolve_at(node, line_of(node, line))


def _lookup(mapping: dict, key: str) -> object:
    """YAML reads `123456789012:` as an int key: compare as CloudFormation's strings."""
    if key in mapping:
        return mapping[key]
    return next((v for k, v in mapping.items() if text_of(k) == key), _MISSING)


def _import_value(r, arg: object, line: int | None) -> object:
    name = r.resolve_at(arg, line)
    if isinstance(name, (dict, list)) or name is NO_VALUE:
        raise r.error(line, f"Fn::ImportValue needs an export name, not {kind_of(name)}")
    return Unknown(f"Fn::ImportValue {describe(name)}")


FUNCTIONS: dict[str, Callable] = {
    "Ref": _ref, "Fn::GetAtt": _get_att, "Fn::Sub": _sub, "Fn::Join": _join, "Fn::If": _if,
    "Fn::Select": _select, "Fn::Split": _split, "Fn::FindInMap": _find_in_map,
    "Fn::ImportValue": _import_value,
}


def condition_expr(r, expr: object, line: int | None) -> bool | Unknown:
    """A condition: True/False, or the Unknown it depends on (three-valued logic)."""
    if not (isinstance(expr, dict) and len(expr) == 1):
        raise r.error(line, "a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition")
    (fn, arg), = expr.items()
    line = line_of(expr, line)
    if fn == "Condition":
        return r.condition_value(arg, line)
    if fn == "Fn::Equals":
        a, b = (_plain(r.resolve_at(x, line)) for x in _args(r, fn, arg, line, 2, "[value, value]"))
        unknown = unknowns_in(a) + unknowns_in(b)
        return unknown[0] if unknown else a == b
    if fn == "Fn::Not":
        value = condition_expr(r, _args(r, fn, arg, line, 1, "[condition]")[0], line)
        return value if isinstance(value, Unknown) else not value
    if fn in ("Fn::And", "Fn::Or"):
        if not isinstance(arg, list) or not 2 <= len(arg) <= 10:
            raise r.error(line, f"{fn} needs a list of 2 to 10 conditions")
        values = [condition_expr(r, x, line) for x in arg]
        decisive = fn == "Fn::Or"  # one True decides an Or, one False an And
        if decisive in values:
            return decisive
        unknown = [v for v in values if isinstance(v, Unknown)]
        return unknown[0] if unknown else not decisive
    raise r.error(line, f"{fn} is not a condition function (Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition)")


def text_of(value: object) -> object:
    """A scalar as CloudFormation stringifies it (YAML `true` → "true"); Unknown/Sym kept."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _plain(value: object) -> object:
    """For Fn::Equals: scalars as strings, lists item by item."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return "" if value is NO_VALUE else text_of(value)


def unknowns_in(value: object) -> tuple[Unknown, ...]:
    """Every Unknown inside a resolved value, containers included."""
    if isinstance(value, list):
        return tuple(u for v in value for u in unknowns_in(v))
    if isinstance(value, dict):
        return tuple(u for v in value.values() for u in unknowns_in(v))
    return unknowns_of(value)


def describe(value: object) -> str:
    """A value for an Unknown's reason: an Unknown by its reason, others as text."""
    return value.reason if isinstance(value, Unknown) else str(value)


def kind_of(value: object) -> str:
    """What a wrong argument is, for error messages."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is NO_VALUE:
        return "AWS::NoValue"
    return f"{type(value).__name__} {value!r}" if not isinstance(value, (Unknown, Sym)) else "an unknown value"


def _args(r, fn: str, arg: object, line: int | None, n: int, shape: str) -> list:
    if not isinstance(arg, list) or len(arg) != n:
        size = f" of {len(arg)}" if isinstance(arg, list) else ""
        raise r.error(line, f"{fn} needs {shape}, not {kind_of(arg)}{size}")
    return arg
