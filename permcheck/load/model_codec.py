"""The loaded model as data: deployments → compact JSON tables (`encode`) → the same deployments
(`model_reader.decode`).

What `load/cache.py` stores. Never pickle: an entry is JSON, read with the C parser, and every
object is rebuilt through its own type from checked values, so a wrong type anywhere (a string
where a flag belongs, an index outside its table) refuses the whole entry (`Malformed`).

Identity is kept, not only equality. The evaluator and the queries remember answers by the
`id()` of statements, policies, callers and triggers (`iam/caches.py`, `iam/decide.py`,
`graph/invokers.py`; `rules/collect.py` lists each policy once by its id): every model object
is written once, in a table of its type, and referred to by its index, so the rebuilt model
shares a policy exactly where the loaded one did, and two equal but separate policies stay
two. Plain values are shared by value: one string object per text, one `Location` per place,
one tuple per list of actions.

Each model class is described once (`SPECS`: its fields in order, and what each holds); the
writer and the reader both follow it, and a test checks it against the classes' own fields.
Tables are stored by column, and a column of indices as one base64 string of little-endian
32-bit integers (`pack`): the reader decodes, range-checks and looks up a whole column at C
speed instead of one JSON number at a time.
"""

from __future__ import annotations

import base64
import sys
from array import array
from dataclasses import dataclass

from permcheck.load.deployments import Deployment
from permcheck.model.entities import Function, FunctionUrl, Group, Ignore, Inventory, Resource, Role, User
from permcheck.model.location import Location
from permcheck.model.policy import Clause, Effect, Policy, PolicyKind, Principal, PrincipalType, Statement
from permcheck.model.triggers import Delivery, Invocation, Trigger, Write
from permcheck.model.values import Sym, Unknown

FORMAT = 1  # the payload's layout: change it whenever SPECS or the tables change

@dataclass(frozen=True)
class Ref:
    """A field that holds model objects of `cls` (one, or a tuple of them when `many`), or None
    when `optional`."""

    cls: type
    many: bool = False
    optional: bool = False


# What each field holds. "s" a string, "t" a text (a string, Sym or Unknown), "b" a flag, "u" an
# Unknown, "loc" a Location, "ts"/"ss" a tuple of texts/strings, an Enum class one of its members,
# a Ref model objects; "?" before a letter code: or None.
SPECS: dict[type, tuple[tuple[str, object], ...]] = {
    Principal: (("type", PrincipalType), ("value", "t")),
    Clause: (("operator", "s"), ("key", "s"), ("values", "ts")),
    Statement: (("effect", Effect), ("sid", "?s"), ("actions", "ts"), ("not_action", "b"), ("resources", "?ts"),
                ("not_resource", "b"), ("principals", Ref(Principal, many=True, optional=True)),
                ("not_principal", "b"), ("conditions", Ref(Clause, many=True)), ("version", "s"), ("policy", "s"),
                ("location", "loc"), ("source_note", "?s"), ("holder", "?s"), ("sam_resource", "?s"),
                ("sam_event", "?s")),
    Policy: (("name", "s"), ("kind", PolicyKind), ("location", "loc"), ("statements", Ref(Statement, many=True)),
             ("unknown", "?u"), ("error", "?s"), ("error_location", "?loc"), ("arn", "?s"), ("holder", "?s")),
    Write: (("action", "s"), ("resource", "t")),
    FunctionUrl: (("auth_type", "t"), ("qualifier", "?s"), ("location", "?loc")),
    Role: (("arn", "t"), ("name", "t"), ("account", "s"), ("trust", Ref(Policy, optional=True)),
           ("policies", Ref(Policy, many=True)), ("boundary", Ref(Policy, optional=True)), ("logical_id", "?s"),
           ("location", "?loc")),
    User: (("arn", "t"), ("name", "t"), ("account", "s"), ("policies", Ref(Policy, many=True)), ("groups", "ss"),
           ("boundary", Ref(Policy, optional=True)), ("logical_id", "?s"), ("location", "?loc")),
    Group: (("arn", "t"), ("name", "t"), ("account", "s"), ("policies", Ref(Policy, many=True)),
            ("logical_id", "?s"), ("location", "?loc")),
    Function: (("arn", "t"), ("name", "t"), ("account", "s"), ("region", "s"), ("role", "?t"),
               ("policy", Ref(Policy, optional=True)), ("urls", Ref(FunctionUrl, many=True)), ("qualifiers", "ss"),
               ("logical_id", "?s"), ("location", "?loc")),
    Resource: (("arn", "t"), ("type", "s"), ("account", "?s"), ("policy", Ref(Policy, optional=True)),
               ("logical_id", "?s"), ("location", "?loc"), ("names", "ss")),
}
_WIRED = (("source", "s"), ("resource", "t"), ("invocation", Invocation), ("event", "s"),
          ("writes", Ref(Write, many=True)), ("public", "b"), ("authorization", "?s"), ("service", "?s"),
          ("producers", "?s"), ("notes", "ss"), ("logical_id", "?s"), ("source_note", "?s"), ("location", "?loc"))
SPECS[Trigger] = _WIRED + (("function", "t"), ("role", "?t"), ("reads", Ref(Write, many=True)))
SPECS[Delivery] = _WIRED + (("target", "t"), ("delivers", Ref(Write)))
MODELS = tuple(SPECS)  # in the order their tables are read: each refers only to tables before it
TABLES = ("strings", "symbols", "texts", "names", "locations", *(cls.__name__ for cls in MODELS), "ignores")
INVENTORY_TABLES = (("roles", Role), ("users", User), ("groups", Group), ("functions", Function),
                    ("resources", Resource))
INVENTORY_LISTS = (("scps", Policy), ("rcps", Policy), ("loose_policies", Policy), ("triggers", Trigger),
                   ("deliveries", Delivery))


def optional(kind) -> bool:
    return kind.optional if isinstance(kind, Ref) else isinstance(kind, str) and kind.startswith("?")


class Malformed(Exception):
    """An entry (or a model) the codec refuses: the cache then loads the inputs again."""


def pack(values: list[int], code: str = "I") -> str:
    """Integers → base64 of their little-endian bytes (`code` "I": unsigned 32-bit, "q": signed
    64-bit). Indices are unsigned: no stored index can count from a table's end."""
    try:
        packed = array(code, values)
    except (OverflowError, TypeError):
        raise Malformed("an integer that does not fit its column") from None
    if sys.byteorder == "big":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def unpack(stored: object, code: str = "I") -> array:
    """The integers `pack` stored; Malformed for anything else."""
    if type(stored) is not str:
        raise Malformed("a packed column that is not a string")
    try:
        raw = base64.b64decode(stored, validate=True)
    except ValueError:
        raise Malformed("a packed column that is not base64") from None
    out = array(code)
    if len(raw) % out.itemsize:
        raise Malformed("a packed column of a wrong length")
    out.frombytes(raw)
    if sys.byteorder == "big":
        out.byteswap()
    return out


NO_LINE = -(1 << 63)  # a Location's line None, in its packed 64-bit column


# -- writing ---------------------------------------------------------------------------------------

def encode(deployments: list[Deployment]) -> dict:
    """The deployments as a JSON-ready payload; Malformed if a value is of a type the codec does
    not know (that model is then simply not cached)."""
    writer = _Writer()
    try:
        out = [writer.deployment(d) for d in deployments]
    except (AttributeError, TypeError) as error:
        raise Malformed(f"cannot encode: {error}") from None
    tables = dict(writer.tables)
    symbols = len(tables["symbols"])
    for cls in MODELS:
        rows = tables[cls.__name__]
        columns = [list(c) for c in zip(*rows)] if rows else [[] for _ in SPECS[cls]]
        tables[cls.__name__] = [pack_column(kind, c, symbols) for (_, kind), c in zip(SPECS[cls], columns)]
    files, lines = zip(*tables["locations"]) if tables["locations"] else ((), ())
    tables["locations"] = [pack(list(files)), pack([NO_LINE if n is None else n for n in lines], "q")]
    tables["texts"] = pack_groups(tables["texts"], "t", symbols)
    tables["names"] = pack_groups(tables["names"], "s", symbols)
    return {**tables, "deployments": out}


def pack_column(kind, values: list, symbols: int):
    """One field's column as stored: a list for flags and enums; for the rest, packed indices into
    the list the reader looks them up in (`model_reader`): for an optional field None is at 0 and
    the table after it; a text's list is the symbols, last first, then (None and) the strings."""
    if isinstance(kind, Ref) and kind.many:
        return pack_groups(values, kind, symbols)
    if kind == "b" or isinstance(kind, type):
        return values
    shift = 1 if optional(kind) else 0
    if kind in ("t", "?t", "u", "?u"):
        return pack([symbols + shift - 1 if v is None else v + symbols + (shift if v >= 0 else 0) for v in values])
    return pack([0 if v is None else v + shift for v in values])


def pack_groups(groups: list, kind, symbols: int) -> list[str]:
    """Lists of indices (or None, when optional) → [packed lengths (plus one when optional: 0 is
    None), the items as `pack_column` packs a column of `kind`]."""
    lengths = [0 if g is None else len(g) + 1 for g in groups] if optional(kind) else [len(g) for g in groups]
    item = Ref(kind.cls) if isinstance(kind, Ref) else kind
    return [pack(lengths), pack_column(item, [i for g in groups if g for i in g], symbols)]


class _Writer:
    """Gives each value its index in its table, writing the rows it refers to first."""

    def __init__(self) -> None:
        self.tables: dict[str, list] = {name: [] for name in TABLES}
        self._index: dict[str, dict] = {name: {} for name in TABLES}  # value (or id of an object) → index
        self._strings = self._index["strings"]
        self._fields = {cls: [(name, self.encoder(kind)) for name, kind in spec] for cls, spec in SPECS.items()}

    def _add(self, table: str, key, row) -> int:
        found = self._index[table][key] = len(self.tables[table])
        self.tables[table].append(row)
        return found

    def s(self, value) -> int:
        if type(value) is not str:
            raise Malformed(f"a {type(value).__name__} where a string belongs")
        found = self._strings.get(value)
        return self._add("strings", value, value) if found is None else found

    def t(self, value) -> int:
        """A text: a string's index, or the complement (~) of a symbol's."""
        if type(value) is str:
            return self.s(value)
        if type(value) is Unknown:
            key = ("u", value.reason, value.owned)
            found = self._index["symbols"].get(key)
            return ~(self._add("symbols", key, ["u", self.s(value.reason), self.b(value.owned)])
                     if found is None else found)
        if type(value) is Sym:
            parts = tuple(self.t(p) if type(p) in (str, Unknown) else self._refuse(p) for p in value.parts)
            found = self._index["symbols"].get(("s", parts))
            return ~(self._add("symbols", ("s", parts), ["s", list(parts)]) if found is None else found)
        return self._refuse(value)

    @staticmethod
    def _refuse(value) -> int:
        raise Malformed(f"a {type(value).__name__} where a text belongs")

    @staticmethod
    def b(value) -> bool:
        if type(value) is not bool:
            raise Malformed(f"a {type(value).__name__} where a flag belongs")
        return value

    def tuple_of(self, table: str, one, values) -> int:
        if type(values) is not tuple:
            raise Malformed(f"a {type(values).__name__} where a tuple belongs")
        codes = tuple(map(one, values))
        found = self._index[table].get(codes)
        return self._add(table, codes, list(codes)) if found is None else found

    def loc(self, value) -> int:
        if type(value) is not Location or not (value.line is None or type(value.line) is int):
            raise Malformed(f"a {type(value).__name__} where a location belongs")
        key = (value.file, value.line)
        found = self._index["locations"].get(key)
        return self._add("locations", key, [self.s(value.file), value.line]) if found is None else found

    def obj(self, cls: type, value) -> int:
        found = self._index[cls.__name__].get(id(value))
        if found is not None:
            return found
        if type(value) is not cls:
            raise Malformed(f"a {type(value).__name__} where a {cls.__name__} belongs")
        fields = value.__dict__
        row = [encode_one(fields[name]) for name, encode_one in self._fields[cls]]
        return self._add(cls.__name__, id(value), row)  # the objects are the model's: their ids stay theirs

    def encoder(self, kind):
        """The function that gives a field's value of this kind its stored form."""
        if isinstance(kind, Ref):
            def one(value, cls=kind.cls):
                return self.obj(cls, value)
            if kind.many:
                def one(values, single=one):
                    if type(values) is not tuple:
                        raise Malformed(f"a {type(values).__name__} where a tuple belongs")
                    return list(map(single, values))
        elif isinstance(kind, type):  # an Enum
            def one(value, enum=kind):
                if type(value) is not enum:
                    raise Malformed(f"a {type(value).__name__} where a {enum.__name__} belongs")
                return value.value
        else:
            code = kind.lstrip("?")
            one = {"s": self.s, "t": self.t, "b": self.b, "loc": self.loc, "u": self.unknown,
                   "ts": lambda v: self.tuple_of("texts", self.t, v),
                   "ss": lambda v: self.tuple_of("names", self.s, v)}[code]
        if optional(kind):
            return lambda value, required=one: None if value is None else required(value)
        return one

    def unknown(self, value) -> int:
        if type(value) is not Unknown:
            raise Malformed(f"a {type(value).__name__} where an Unknown belongs")
        return self.t(value)

    def deployment(self, d: Deployment) -> list:
        if type(d) is not Deployment or type(d.number) is not int or type(d.of) is not int:
            raise Malformed("not a deployment")
        return [d.number, [self.s(t) for t in exactly(tuple, d.templates)], self.inventory(d.inventory),
                [pack([self.s(k) for k in exactly(dict, d.applications)]),
                 pack([self.s(v) for v in d.applications.values()])], d.of]

    def inventory(self, inv: Inventory) -> dict:
        if type(inv) is not Inventory:
            raise Malformed("not an inventory")
        tables = {name: [pack([self.s(k) for k in exactly(dict, getattr(inv, name))]),
                         pack([self.obj(cls, v) for v in getattr(inv, name).values()])]
                  for name, cls in INVENTORY_TABLES}
        lists = {name: pack([self.obj(cls, v) for v in exactly(list, getattr(inv, name))])
                 for name, cls in INVENTORY_LISTS}
        grouped = {name: [pack([self.s(k) for k in exactly(dict, getattr(inv, name))]),
                          pack_groups([[one(v) for v in exactly(list, values)]
                                       for values in getattr(inv, name).values()], kind, 0)]
                   for name, one, kind in (("logical_ids", self.s, "s"), ("creators", self.loc, "loc"))}
        return {**tables, **lists, **grouped,
                "accounts": pack(sorted(self.s(a) for a in exactly(set, inv.accounts))),
                "suppressions": [[self.s(f), self.s(lid), [self.ignore(i) for i in exactly(tuple, found)]]
                                 for (f, lid), found in exactly(dict, inv.suppressions).items()],
                **{name: self.s(getattr(inv, name)) for name in ("partition", "region", "default_account")},
                "management_account": None if inv.management_account is None else self.s(inv.management_account)}

    def ignore(self, value: Ignore) -> int:
        if type(value) is not Ignore:
            raise Malformed("not an ignore")
        return self._add("ignores", (value.rule, value.reason, value.location),
                         lambda: [self.s(value.rule), self.s(value.reason), self.loc(value.location)])



def exactly(kind: type, value):
    """`value`, when it is exactly of type `kind` (no subclass); else Malformed."""
    if type(value) is not kind:
        raise Malformed(f"a {type(value).__name__} where a {kind.__name__} belongs")
    return value
