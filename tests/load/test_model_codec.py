"""The codec of the model cache (load/model_codec.py, load/model_reader.py): a round trip gives back
every value and every shared object, and the reader refuses whatever is not of its type.

Identity matters as much as equality: the evaluator and the rules remember answers and list
policies by `id()` (iam/caches.py, iam/decide.py, rules/collect.py), so a rebuilt model must share
a policy exactly where the loaded one did. Unknowns compare by reason alone, so `owned` (which
decides whether an outsider may hold the value, graph/outsiders.py) is checked apart.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import BaseModel

from permcheck.load import deployments
from permcheck.load.inputs import Options
from permcheck.load.model_codec import INVENTORY_LISTS, INVENTORY_TABLES, SPECS, Malformed, encode
from permcheck.load.model_reader import decode
from permcheck.model.entities import Inventory
from permcheck.model.values import Sym, Unknown
from tests.conftest import ROOT
from tests.fuzz.strategies import template

FIXTURES = ROOT / "fixtures"
MONOREPO = ROOT / "tests" / "data" / "monorepo"
SNAPSHOTS = FIXTURES / "snapshots"
PLAN = FIXTURES / "terraform" / "plan.json"


def test_the_reader_refuses_values_of_the_wrong_type_whatever_the_mac():
    loaded = deployments.load_deployments([str(SNAPSHOTS)], Options())
    payload = json.loads(json.dumps(encode(loaded)))
    for damage in (lambda p: p["strings"].__setitem__(0, 7),
                   lambda p: p["Statement"][0].__setitem__(0, ["Maybe"] * len(p["Statement"][0])),
                   lambda p: p["Policy"].pop(),
                   lambda p: p["locations"].__setitem__(0, "!!!"),
                   lambda p: p["deployments"][0][2].pop("roles"),
                   lambda p: p["deployments"][0].__setitem__(0, True),
                   lambda p: p.__setitem__("symbols", [["u", -1, False]])):
        broken = json.loads(json.dumps(payload))
        damage(broken)
        with pytest.raises(Malformed):
            decode(broken)


def test_the_codec_describes_every_field_of_every_model_in_order():
    for cls, spec in SPECS.items():
        assert [name for name, _ in spec] == list(cls.model_fields), cls
    held = {name for name, _ in (*INVENTORY_TABLES, *INVENTORY_LISTS)}
    assert held <= {f.name for f in dataclasses.fields(Inventory)}


def sharing(a: object, b: object, pairs: dict | None = None) -> dict:
    """Walk two models side by side; id(model object of a) → id(its counterpart in b), failing if one
    object of `a` meets two of `b`."""
    pairs = {} if pairs is None else pairs
    assert type(a) is type(b)
    if isinstance(a, BaseModel):
        if id(a) in pairs:
            assert pairs[id(a)] == id(b)
            return pairs
        pairs[id(a)] = id(b)
        for name in type(a).model_fields:
            sharing(getattr(a, name), getattr(b, name), pairs)
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            sharing(getattr(a, f.name), getattr(b, f.name), pairs)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            sharing(a[key], b[key], pairs)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            sharing(x, y, pairs)
    return pairs


def round_trip(loaded: list) -> list:
    return decode(json.loads(json.dumps(encode(loaded), separators=(",", ":"))))


@pytest.mark.parametrize("paths", [[SNAPSHOTS], [MONOREPO], [PLAN], [FIXTURES / "example-app"],
                                   [ROOT / "tests" / "data" / "triggers"]], ids=lambda p: p[0].name)
def test_a_round_trip_keeps_every_value_and_every_shared_object(paths):
    loaded = deployments.load_deployments([str(p) for p in paths], Options())
    back = round_trip(loaded)
    assert back == loaded
    pairs = sharing(loaded, back)
    assert len(set(pairs.values())) == len(pairs)  # two objects stay two
    policies = [p for d in back for r in d.inventory.roles.values() for p in r.policies]
    if policies:  # a rebuilt object copies as a validated one does
        changed = policies[0].model_copy(update={"arn": "arn:aws:iam::123456789012:policy/changed"})
        assert changed.arn != policies[0].arn and "arn" in changed.model_fields_set
        assert changed.statements is policies[0].statements


def test_a_round_trip_keeps_suppressions_unknowns_and_symbolic_names(tmp_path):
    # an inline suppression (the contract: Metadata: {permcheck: {ignore: [...]}}), a generated name
    # (an Unknown this deployment owns) and a parameter without a default (one it does not)
    path = tmp_path / "template.yaml"
    path.write_text("""Parameters:
  Partner: {Type: String}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Metadata: {permcheck: {ignore: [{rule: public-invoke, reason: a public webhook}]}}
    Properties:
      Role: !GetAtt FnRole.Arn
  FnRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com},
                                               Action: sts:AssumeRole}]}
  Open:
    Type: AWS::Lambda::Permission
    Metadata: {permcheck: {ignore: [{rule: public-invoke, reason: reviewed}]}}
    Properties:
      FunctionName: !Ref Fn
      Action: lambda:InvokeFunction
      Principal: !Sub "arn:aws:iam::${Partner}:root"
""")
    loaded = deployments.load_deployments([str(path)], Options())
    assert loaded[0].inventory.suppressions
    back = round_trip(loaded)
    assert back == loaded
    pairs = sharing(loaded, back)
    assert len(set(pairs.values())) == len(pairs)
    owned = [unknowns(d) for d in (loaded, back)]  # Unknowns compare by reason alone: check `owned` too
    assert owned[0] == owned[1] and {o for _, o in owned[0]} == {True, False}


def unknowns(value: object) -> list[tuple[str, bool]]:
    """(reason, owned) of every Unknown in a model, in the order met."""
    if isinstance(value, Unknown):
        return [(value.reason, value.owned)]
    if isinstance(value, Sym):
        return unknowns(value.parts)
    if isinstance(value, BaseModel):
        return unknowns([getattr(value, name) for name in type(value).model_fields])
    if dataclasses.is_dataclass(value):
        return unknowns([getattr(value, f.name) for f in dataclasses.fields(value)])
    if isinstance(value, dict):
        return unknowns(list(value.values()))
    if isinstance(value, (list, tuple)):
        return [found for item in value for found in unknowns(item)]
    return []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(document=template())
def test_any_template_round_trips_through_the_cache_unchanged(document, tmp_path):
    """Invariant: whatever a template loads as (unknowns, symbolic ARNs, shared policies), the
    cache gives it back equal, with the same objects shared."""
    path = tmp_path / "template.json"
    path.write_text(json.dumps(document))
    try:
        loaded = deployments.load_deployments([str(path)], Options())
    except Exception:  # noqa: BLE001 - a template the loader refuses has nothing to cache
        return
    back = round_trip(loaded)
    assert back == loaded
    pairs = sharing(loaded, back)
    assert len(set(pairs.values())) == len(pairs)
