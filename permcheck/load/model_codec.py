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
from itertools import chain, filterfalse, islice, repeat
from operator import attrgetter, itemgetter

from permcheck.load.deployments import Deployment
from permcheck.model.entities import Function, FunctionUrl, Group, Ignore, Inventory, Resource, Role, User
from permcheck.model.location import Location
from permcheck.model.policy import Clause, Effect, Policy, PolicyKind, Principal, PrincipalType, Statement
from permcheck.model.triggers import Delivery, Invocation, Trigger, Write
from permcheck.model.values import Sym, Unknown


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
        writer.gather([exactly(Inventory, exactly(Deployment, d).inventory) for d in deployments])
        out = [writer.deployment(d) for d in deployments]
        columns = {cls: writer.table(cls) for cls in MODELS}
    except (AttributeError, TypeError) as error:
        raise Malformed(f"cannot encode: {error}") from None
    symbols = len(writer.tables["symbols"])  # texts are packed once every symbol is known
    tables = {cls.__name__: [pack_column(kind, raw, symbols) for (_, kind), raw in zip(SPECS[cls], columns[cls])]
              for cls in MODELS}
    texts, names, locations = (writer.tables[name] for name in ("texts", "names", "locations"))
    return {"strings": writer.tables["strings"], "symbols": writer.tables["symbols"],
            "texts": pack_column(_GROUPS, ([len(t) for t in texts], [c for t in texts for c in t]), symbols, "t"),
            "names": pack_column(_GROUPS, ([len(n) for n in names], [c for n in names for c in n]), symbols, "s"),
            "locations": [pack([f for f, _ in locations]),
                          pack([NO_LINE if n is None else n for _, n in locations], "q")],
            "ignores": writer.tables["ignores"], **tables, "deployments": out}


def pack_column(kind, raw, symbols: int, items=None):
    """One field's column as stored (`model_reader.column` reads it back): a list for flags and
    enums; for the rest, packed indices into the list the reader looks them up in: for an optional
    field None is at 0 and the table after it; a text's list is the symbols, last first, then
    (None and) the strings. Groups (tuples of objects, texts or strings) are [their lengths, plus
    one when optional (0: None), their items]; `items` is the kind of a group's items when they
    are no objects."""
    if isinstance(kind, Ref) and kind.many:
        lengths, flat = raw
        counts = [0 if n is None else n + 1 for n in lengths] if kind.optional else lengths
        return [pack(counts), pack_column(items or Ref(kind.cls), flat, symbols)]
    if kind == "b" or isinstance(kind, type):
        return raw
    shift = 1 if optional(kind) else 0
    if kind in ("t", "?t", "u", "?u"):
        return pack([symbols + shift - 1 if v is None else v + symbols + (shift if v >= 0 else 0) for v in raw])
    return pack([0 if v is None else v + shift for v in raw])


_GROUPS = Ref(object, many=True)  # the texts and names tables: groups whose items are not objects


class _Writer:
    """Writes the model a column at a time: first every object of each class is found (parents
    before children, each once by identity), then each field's values are type-checked and given
    their indices in bulk; only texts with unknown parts, locations and the small parts of an
    inventory go one value at a time."""

    def __init__(self) -> None:
        self.tables: dict[str, list] = {name: [] for name in ("strings", "symbols", "texts", "names", "locations",
                                                              "ignores")}
        self._index: dict[str, dict] = {name: {} for name in self.tables}  # a value → its index
        self.found: dict[type, dict[int, object]] = {cls: {} for cls in MODELS}  # id → object, in table order
        self.position: dict[type, dict[int, int]] = {}  # id → index in its table

    # -- objects, by class ---------------------------------------------------------------------------
    def gather(self, inventories: list[Inventory]) -> None:
        for inv in inventories:
            for name, cls in INVENTORY_TABLES:
                self._add_objects(cls, list(exactly(dict, getattr(inv, name)).values()))
            for name, cls in INVENTORY_LISTS:
                self._add_objects(cls, exactly(list, getattr(inv, name)))
        for cls in reversed(MODELS):  # a class refers only to classes before it in MODELS
            objects = _types(list(self.found[cls].values()), {cls})
            for name, kind in SPECS[cls]:
                if isinstance(kind, Ref):
                    values = list(filter(None, map(attrgetter(name), objects)))  # no None (nor empty tuple)
                    if kind.many:
                        values = list(chain.from_iterable(_types(values, {tuple})))
                    self._add_objects(kind.cls, values)
        self.position = {cls: dict(zip(found, range(len(found)))) for cls, found in self.found.items()}

    def _add_objects(self, cls: type, objects: list) -> None:
        self.found[cls].update(zip(map(id, objects), objects))  # the model holds them: ids stay theirs

    def table(self, cls: type) -> list:
        """Each field's values in the class's table, as `pack_column` takes them."""
        names = [name for name, _ in SPECS[cls]]
        rows = list(map(itemgetter(*names), map(vars, self.found[cls].values())))  # a model's fields: its __dict__
        columns = [list(column) for column in zip(*rows)] if rows else [[] for _ in names]
        return [self.column(kind, column) for (_, kind), column in zip(SPECS[cls], columns)]

    def column(self, kind, values: list):
        """One field's values, type-checked, as indices (None kept) or, for groups, (lengths, items)."""
        present = [v for v in values if v is not None] if optional(kind) else values
        if isinstance(kind, Ref) and kind.many:
            items = _types(list(chain.from_iterable(_types(present, {tuple}))), {kind.cls})
            return [None if v is None else len(v) for v in values], self.objects(kind.cls, items)
        if kind == "b":
            return _types(values, {bool})
        if isinstance(kind, type):  # an Enum
            return list(map(attrgetter("value"), _types(values, {kind})))
        code = None if isinstance(kind, Ref) else kind.lstrip("?")
        if code is None:
            codes = self.objects(kind.cls, _types(present, {kind.cls}))
        elif code == "s":
            codes = self.strings(present)
        elif code in ("t", "u"):
            _types(present, {Unknown} if code == "u" else {str, Sym, Unknown})
            codes = self.strings(present) if _only(present, str) else list(map(self.t, present))
        elif code == "loc":
            codes = self.locations(present)
        else:
            codes = self.tuples("texts" if code == "ts" else "names", _types(present, {tuple}),
                                self.t if code == "ts" else self.s)
        if len(present) < len(values):
            found = iter(codes)
            return [None if v is None else next(found) for v in values]
        return codes

    def objects(self, cls: type, values: list) -> list[int]:
        return list(map(self.position[cls].__getitem__, map(id, values)))

    # -- plain values ---------------------------------------------------------------------------------
    def strings(self, values: list) -> list[int]:
        """Indices of strings (checked to be exactly str); new ones are added in the order met."""
        index, table = self._index["strings"], self.tables["strings"]
        new = list(filterfalse(index.__contains__, dict.fromkeys(_types(values, {str}))))
        index.update(zip(new, range(len(table), len(table) + len(new))))
        table += new
        return list(map(index.__getitem__, values))

    def s(self, value) -> int:
        return self.strings([value])[0]

    def t(self, value) -> int:
        """A text: a string's index, or the complement (~) of a symbol's."""
        if type(value) is str:
            return self.s(value)
        if type(value) is Unknown:
            key = ("u", value.reason, value.owned)  # `owned` is not compared (model/values.py): key it
            return ~self._add("symbols", key, lambda: ["u", self.s(value.reason), _flag(value.owned)])
        if type(value) is Sym:
            parts = tuple(self.t(_types([p], {str, Unknown})[0]) for p in value.parts)
            return ~self._add("symbols", ("s", parts), lambda: ["s", list(parts)])
        raise Malformed(f"a {type(value).__name__} where a text belongs")

    def tuples(self, table: str, values: list, one) -> list[int]:
        """Indices of tuples of texts or strings. Tuples of plain strings are shared by value; one
        holding an Unknown by its items' indices, since Unknowns equal by reason may differ in
        `owned` (model/values.py)."""
        index, rows = self._index[table], self.tables[table]
        if not _only(list(chain.from_iterable(values)), str):
            return [self._add(table, key, lambda key=key: list(key[1]))
                    for key in (("coded", tuple(map(one, value))) for value in values)]
        new = list(filterfalse(index.__contains__, dict.fromkeys(values)))
        codes = iter(self.strings(list(chain.from_iterable(new))))
        index.update(zip(new, range(len(rows), len(rows) + len(new))))
        rows += map(list, map(islice, repeat(codes), map(len, new)))
        return list(map(index.__getitem__, values))

    def locations(self, values: list) -> list[int]:
        """Indices of locations, one per place (file and line)."""
        keys = list(zip(map(attrgetter("file"), _types(values, {Location})), map(attrgetter("line"), values)))
        _types([line for _, line in keys], {int, type(None)})
        index, rows = self._index["locations"], self.tables["locations"]
        new = list(filterfalse(index.__contains__, dict.fromkeys(keys)))
        files = self.strings(list(map(itemgetter(0), new)))
        index.update(zip(new, range(len(rows), len(rows) + len(new))))
        rows += map(list, zip(files, map(itemgetter(1), new)))
        return list(map(index.__getitem__, keys))

    def loc(self, value) -> int:
        return self.locations([value])[0]

    def _add(self, table: str, key, row_of) -> int:
        """The index of `key` in `table`, adding its row (made by `row_of`) when it is new."""
        index = self._index[table]
        found = index.get(key)
        if found is None:
            row = row_of()  # the values it refers to first
            found = index[key] = len(self.tables[table])
            self.tables[table].append(row)
        return found

    # -- deployments and inventories -------------------------------------------------------------------
    def deployment(self, d: Deployment) -> list:
        if type(d.number) is not int or type(d.of) is not int:
            raise Malformed("a deployment's number is not an integer")
        return [d.number, self.strings(list(exactly(tuple, d.templates))), self.inventory(d.inventory),
                [pack(self.strings(list(exactly(dict, d.applications)))),
                 pack(self.strings(list(d.applications.values())))], d.of]

    def inventory(self, inv: Inventory) -> dict:
        tables = {name: [pack(self.strings(list(getattr(inv, name)))),
                         pack(self.objects(cls, list(getattr(inv, name).values())))]
                  for name, cls in INVENTORY_TABLES}
        lists = {name: pack(self.objects(cls, getattr(inv, name))) for name, cls in INVENTORY_LISTS}
        grouped = {}
        for name, kind in (("logical_ids", "s"), ("creators", "loc")):
            held = exactly(dict, getattr(inv, name))
            values = [exactly(list, v) for v in held.values()]
            flat = [one for v in values for one in v]
            grouped[name] = [pack(self.strings(list(held))),
                             pack_column(_GROUPS, ([len(v) for v in values],
                                                   self.strings(flat) if kind == "s" else self.locations(flat)),
                                         0, kind)]
        suppressions = [[self.s(file), self.s(logical_id), [self.ignore(i) for i in exactly(tuple, found)]]
                        for (file, logical_id), found in exactly(dict, inv.suppressions).items()]
        return {**tables, **lists, **grouped, "suppressions": suppressions,
                "accounts": pack(sorted(self.strings(list(exactly(set, inv.accounts))))),
                **{name: self.s(getattr(inv, name)) for name in ("partition", "region", "default_account")},
                "management_account": None if inv.management_account is None else self.s(inv.management_account)}

    def ignore(self, value: Ignore) -> int:
        exactly(Ignore, value)
        return self._add("ignores", (value.rule, value.reason, value.location),
                         lambda: [self.s(value.rule), self.s(value.reason), self.loc(value.location)])


def _types(values: list, allowed: set) -> list:
    """`values`, when each is exactly of one of the `allowed` types; else Malformed."""
    found = set(map(type, values))
    if not found <= allowed:
        raise Malformed(f"a {', '.join(sorted(t.__name__ for t in found - allowed))} where "
                        f"{' or '.join(sorted(t.__name__ for t in allowed))} belongs")
    return values


def _only(values: list, kind: type) -> bool:
    return set(map(type, values)) <= {kind}


def _flag(value) -> bool:
    return _types([value], {bool})[0]


def exactly(kind: type, value):
    """`value`, when it is exactly of type `kind` (no subclass); else Malformed."""
    if type(value) is not kind:
        raise Malformed(f"a {type(value).__name__} where a {kind.__name__} belongs")
    return value
