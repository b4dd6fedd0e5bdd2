"""Reading what `model_codec.encode` wrote back into deployments, checking every value on the way.

Each column is checked whole before it is used: a packed column must decode to integers inside
its table (`min`/`max`), a list of flags may hold only booleans, an enum's values only its
members', and every column of a table must have as many values as the others. The conversion
then runs at C speed (`map` over a table's `__getitem__`), and so does building the objects: as
`model_construct` does with every field given, without pydantic's own validation, which would
only check each value a second time. Any failure is `Malformed`, and the cache loads afresh.
"""

from __future__ import annotations

from collections import deque
from dataclasses import fields
from itertools import islice, repeat

from permcheck.load.deployments import Deployment
from permcheck.load.model_codec import (INVENTORY_LISTS, INVENTORY_TABLES, MODELS, NO_LINE, SPECS, Malformed, Ref,
                                        exactly, optional, unpack)
from permcheck.model.entities import Ignore, Inventory
from permcheck.model.location import Location
from permcheck.model.policy import built_all
from permcheck.model.values import Sym, Unknown

_new = object.__new__
_set = object.__setattr__
_NONE = type(None)


def decode(payload: object) -> list[Deployment]:
    """The deployments a payload of `encode` holds; Malformed at the first value of a wrong type or
    shape, or an index outside its table (each table refers only to the ones read before it)."""
    try:
        return _Reader(payload).deployments()
    except (Malformed, IndexError, KeyError, TypeError, ValueError, AttributeError, RecursionError) as error:
        raise Malformed(f"{type(error).__name__}: {error}") from None


class _Reader:
    def __init__(self, payload: object) -> None:
        self.payload = exactly(dict, payload)
        self.strings = self.table("strings")
        if not set(map(type, self.strings)) <= {str}:
            raise Malformed("a string table with a value that is not a string")
        self.symbols: list = []
        self._lookups: dict = {}
        for row in self.table("symbols"):
            self.symbols.append(self.symbol(row))
            self._lookups.clear()  # a lookup of texts holds the symbols read so far
        self.texts = self.groups("t", self.table("texts"))
        self.names = self.groups("s", self.table("names"))
        files, lines = _pair(self.table("locations"))
        self.locations = self.build_locations(self.column("s", files), unpack(lines, "q"))
        self.objects: dict[type, list] = {}
        for cls in MODELS:
            self.objects[cls] = self.models(cls, self.table(cls.__name__))
        self.ignores = [Ignore(self.one("s", rule), self.one("s", reason), self.one("loc", at))
                        for rule, reason, at in (_row(r, 3) for r in self.table("ignores"))]

    def table(self, name: str) -> list:
        return exactly(list, self.payload[name])

    def symbol(self, row: object):
        if type(row) is list and len(row) == 3 and row[0] == "u":
            return Unknown(self.one("s", row[1]), owned=_flag(row[2]))
        if type(row) is list and len(row) == 2 and row[0] == "s":
            parts = tuple(map(self.part, exactly(list, row[1])))
            if len(parts) < 2:
                raise Malformed("a symbolic string of fewer than two parts")
            return Sym(parts)
        raise Malformed("a symbol of the wrong shape")

    def part(self, code: object):
        """A part of a symbolic string: a string's index, or the complement (~) of an Unknown's
        among the symbols read before it."""
        if _int(code) >= 0:
            return self.strings[code]
        found = self.symbols[~code]  # ~code >= 0: never counted from the end
        if type(found) is not Unknown:
            raise Malformed("a symbolic string with a part that is not an Unknown")
        return found

    def one(self, kind, value: object):
        """One stored value (a JSON number, not a packed column) of this kind."""
        return self.column(kind, [value])[0]

    def column(self, kind, stored: object) -> list:
        """One field's stored column → the field's values (`model_codec.pack_column` wrote it).
        `stored` is packed, or a JSON list of indices where `one` and small tables give one. An
        index outside its list raises IndexError: the entry is refused."""
        if isinstance(kind, Ref) and kind.many:
            return self.groups(kind, stored)
        if kind == "b":
            if not set(map(type, exactly(list, stored))) <= {bool}:
                raise Malformed("a flag that is not true or false")
            return stored
        if isinstance(kind, type):  # an Enum: its members' values only
            return list(map({member.value: member for member in kind}.__getitem__, exactly(list, stored)))
        found = list(map(self.lookup(kind).__getitem__, _indices(stored)))
        if kind in ("u", "?u") and not set(map(type, found)) <= {Unknown, _NONE}:
            raise Malformed("a symbol where an Unknown belongs")
        return found

    def lookup(self, kind) -> list:
        """The list a column of this kind indexes: its table, after None when optional; a text's
        is the symbols, last first, then (None and) the strings."""
        key = kind if isinstance(kind, str) else (kind.cls, kind.optional)
        if key not in self._lookups:
            code = kind.lstrip("?") if isinstance(kind, str) else None
            base = self.objects[kind.cls] if isinstance(kind, Ref) else {
                "s": "strings", "loc": "locations", "ts": "texts", "ss": "names", "t": "strings", "u": None}[code]
            base = getattr(self, base) if isinstance(base, str) else base or []
            symbolic = self.symbols[::-1] if code in ("t", "u") else []
            self._lookups[key] = symbolic + ([None] if optional(kind) else []) + base
        return self._lookups[key]

    def groups(self, kind, stored: object) -> list:
        """[packed lengths, packed items] → a tuple of items for each length (None for a stored 0
        when optional: lengths are then one more)."""
        lengths, items = _pair(stored)
        lengths = unpack(lengths)
        values = self.column(Ref(kind.cls) if isinstance(kind, Ref) else kind, items)
        sizes = list(map(max, map((-1).__add__, lengths), repeat(0))) if optional(kind) else lengths
        if sum(sizes) != len(values):
            raise Malformed("groups that do not add up to their items")
        taken = iter(values)
        out = list(map(tuple, map(islice, repeat(taken), sizes)))
        return list(map({0: None}.get, lengths, out)) if optional(kind) and 0 in lengths else out

    @staticmethod
    def build_locations(files: list, lines) -> list:
        """Location(file, line) for each pair, as its constructor sets them for an integer line."""
        lines = list(map({NO_LINE: None}.get, lines, lines))
        if len(files) != len(lines):
            raise Malformed("a location table of the wrong shape")
        made = list(map(_new, repeat(Location, len(files))))
        deque(map(_set, made, repeat("file"), files), 0)
        deque(map(_set, made, repeat("line"), lines), 0)
        return made

    def models(self, cls: type, stored: list) -> list:
        """Rebuild a table's objects as `model_construct` does with every field given (`built_all`;
        the fields set is shared: `model_copy` copies it before it adds to it)."""
        names = tuple(name for name, _ in SPECS[cls])
        if len(stored) != len(names):
            raise Malformed(f"a {cls.__name__} table of the wrong shape")
        columns = [self.column(kind, column) for (_, kind), column in zip(SPECS[cls], stored)]
        count = len(columns[0])
        if any(len(column) != count for column in columns):
            raise Malformed(f"a {cls.__name__} table of columns of different lengths")
        return built_all(cls, set(names), list(map(dict, map(zip, repeat(names), zip(*columns)))))

    def deployments(self) -> list[Deployment]:
        out = []
        for row in self.table("deployments"):
            number, templates, inventory, applications, of = _row(row, 5)
            keys, values = _pair(applications)
            out.append(Deployment(_int(number), tuple(self.column("s", templates)), self.inventory(inventory),
                                  dict(zip(self.column("s", keys), self.column("s", values))), _int(of)))
        return out

    def inventory(self, stored: object) -> Inventory:
        stored = exactly(dict, stored)
        if set(stored) != {f.name for f in fields(Inventory)}:
            raise Malformed("an inventory with other fields")
        tables = {}
        for name, cls in INVENTORY_TABLES:
            keys, values = _pair(stored[name])
            tables[name] = self.mapping(self.column("s", keys), self.column(Ref(cls), values))
        lists = {name: self.column(Ref(cls), stored[name]) for name, cls in INVENTORY_LISTS}
        grouped = {}
        for name, kind in (("logical_ids", "s"), ("creators", "loc")):
            keys, values = _pair(stored[name])
            grouped[name] = self.mapping(self.column("s", keys), list(map(list, self.groups(kind, values))))
        suppressions = {}
        for entry in exactly(list, stored["suppressions"]):
            file, logical_id, found = _row(entry, 3)
            ignores = _indices(found)
            suppressions[(self.one("s", file), self.one("s", logical_id))] = tuple(self.ignores[i] for i in ignores)
        return Inventory(**tables, **lists, **grouped, suppressions=suppressions,
                         accounts=set(self.column("s", stored["accounts"])),
                         partition=self.one("s", stored["partition"]), region=self.one("s", stored["region"]),
                         default_account=self.one("s", stored["default_account"]),
                         management_account=self.one("?s", _shifted(stored["management_account"])))

    @staticmethod
    def mapping(keys: list, values: list) -> dict:
        if len(keys) != len(values) or len(set(keys)) != len(keys):
            raise Malformed("a mapping of the wrong shape")
        return dict(zip(keys, values))


def _indices(stored: object):
    """A column of indices: packed (unsigned), or a JSON list of integers none below 0 (booleans
    refused): never an index Python would count from the end."""
    if type(stored) is str:
        return unpack(stored)
    if not set(map(type, exactly(list, stored))) <= {int} or (stored and min(stored) < 0):
        raise Malformed("an index that is not a whole number")
    return stored


def _shifted(value: object) -> int:
    """An optional index stored as JSON (null or the index) → as a packed optional column holds it."""
    return 0 if value is None else _int(value) + 1


def _flag(value: object) -> bool:
    if value is True or value is False:
        return value
    raise Malformed("not a flag")


def _int(value: object) -> int:
    if type(value) is not int:
        raise Malformed("not an integer")
    return value


def _row(value: object, width: int) -> list:
    if type(value) is not list or len(value) != width:
        raise Malformed("a row of the wrong shape")
    return value


def _pair(value: object) -> list:
    return _row(value, 2)
