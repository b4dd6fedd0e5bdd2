"""The queries' typed answers (graph/rows.py, graph/diff.py) as the contract's JSON: the one
place that writes a decision, its condition entries and its `because`, for every command."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Callable

from permcheck.graph.rows import Access, AskHop, Invoker, Invokers, Reach, RunHop, SourceHop, TriggerPath, Triggered, Verdict
from permcheck.iam.answer import Answer, ConditionEntry, OnUnknown
from permcheck.model.location import InputError
from permcheck.model.policy import Statement, cited
from permcheck.report.json_text import SharedRow

if TYPE_CHECKING:
    from permcheck.graph.diff import Change, Changes

ROW_CACHE_LIMIT = 500_000  # rendered rows kept at most; past it the cache starts again


def condition_json(entry: ConditionEntry) -> dict:
    if isinstance(entry, OnUnknown):
        return {"unknown": entry.reason}
    return {"operator": entry.operator, "key": entry.key, "values": list(entry.values), "effect": entry.effect}


def because_json(statements: tuple[Statement, ...]) -> list[dict]:
    """The contract's `because` entries: file, line, policy, sid (and how SAM made it)."""
    out = []
    for s in cited(statements):
        entry = {"file": s.location.file, "line": s.location.line, "policy": s.policy, "sid": s.sid}
        if s.source_note:
            entry["note"] = s.source_note
        out.append(entry)
    return out


def answer_json(answer: Answer) -> dict:
    out = {"decision": answer.decision.value, "conditions": [condition_json(c) for c in answer.conditions],
           "because": because_json(answer.because)}
    if answer.notes:
        out["notes"] = list(answer.notes)
    return out


def invoker_json(row: Invoker) -> dict:
    answer = answer_json(row.answer)
    out = {"principal": row.principal, "decision": answer["decision"], "actions": list(row.actions),
           "conditions": answer["conditions"], "because": answer["because"]}
    if "notes" in answer:
        out["notes"] = answer["notes"]
    if row.qualifier:
        out["qualifier"] = row.qualifier
    if row.via:
        out["via"] = list(row.via)
    return out


def access_json(row: Access) -> dict:
    out = {"resource": row.resource, "actions": list(row.actions), **answer_json(row.answer)}
    if row.via:
        out["via"] = list(row.via)
    return out


def verdict_json(verdict: Verdict) -> dict:
    return {"principal": verdict.principal, "action": verdict.action, "resource": verdict.resource,
            **answer_json(verdict.answer)}


def trigger_json(path: TriggerPath, render_hop: Callable[[object], dict] | None = None) -> dict:
    render_hop = render_hop or hop_json
    out = {"principal": path.principal, "decision": path.answer.decision.value,
           "path": [render_hop(hop) for hop in path.hops],
           "conditions": [condition_json(c) for c in path.answer.conditions]}
    if path.answer.notes:
        out["notes"] = list(path.answer.notes)
    return out


def hop_json(hop: AskHop | SourceHop | RunHop, render_answer: Callable[[Answer], dict] = answer_json) -> dict:
    """One hop of a who-can-trigger path: a request, the event source, or a function running."""
    if isinstance(hop, RunHop):
        return {"function": hop.function, "runs_as": hop.role}
    if isinstance(hop, SourceHop):
        trigger = hop.trigger
        out = {"source": trigger.source, "event": trigger.event, "invocation": trigger.invocation.value,
               "resource": str(trigger.resource), "because": _wiring(trigger)}
        if trigger.authorization:
            out["authorization"] = trigger.authorization
        if trigger.notes:
            out["notes"] = list(trigger.notes)
        return out
    out = {"action": hop.action}
    if hop.principal is not None:
        out["principal"] = hop.principal
    out.update({"resource": hop.resource, **render_answer(hop.answer)})
    if len(hop.actions) > 1:
        out["actions"] = list(hop.actions)
    if hop.via:
        out["via"] = list(hop.via)
    return out


def _wiring(trigger) -> list[dict]:
    """Where the wiring is written, as a `because` entry (its resource stands for the policy)."""
    if trigger.location is None:
        return []
    entry = {"file": trigger.location.file, "line": trigger.location.line, "policy": trigger.logical_id or "",
             "sid": None}
    if trigger.source_note:
        entry["note"] = trigger.source_note
    return [entry]


class Renderer:
    """Renders answers as JSON. A row that recurs is rendered once: who-can-invoke gives the
    rows of answers shared by a class of functions as one object for all of them. The cache
    keeps each row beside its JSON, so the id that keys it stays the row's. Each rendered row is
    a `SharedRow`, so `json_text.JsonText` writes its text once too."""

    def __init__(self) -> None:
        self._json: dict[int, SharedRow] = {}  # id(row) → its JSON
        self._kept: dict[int, object] = {}  # id(row) → the row, kept so that its id stays its own

    def invokers(self, result: Invokers) -> dict:
        return {"function": result.function, "principals": self._rows_of(result.principals, invoker_json)}

    def _rows_of(self, rows: list, render: Callable[[object], dict]) -> list[dict]:
        """Each row's JSON (`_row`), looked up in one pass: most rows of a large account's answer
        (its administrators, shared by every function) were rendered for a function before."""
        found = list(map(self._json.get, map(id, rows)))
        if None in found:
            found = [self._row(row, render) if held is None else held for row, held in zip(rows, found)]
        return found

    def reach(self, result: Reach) -> dict:
        return {"principal": result.principal, "access": [self._row(row, access_json) for row in result.access]}

    def triggered(self, result: Triggered) -> dict:
        return {"function": result.function, "triggers": [self._row(path, self._trigger) for path in result.triggers]}

    def _trigger(self, path: TriggerPath) -> dict:
        """A path whose hops, and the answers in them, are rendered once each: paths share hops
        (a walk's), and hops share answers (who-can-invoke's, across functions)."""
        return trigger_json(path, lambda hop: self._row(hop, self._hop))

    def _hop(self, hop: AskHop | SourceHop | RunHop) -> dict:
        return hop_json(hop, lambda answer: self._row(answer, answer_json))

    def render(self, result: Invokers | Reach | Verdict | Triggered) -> dict:
        if isinstance(result, Invokers):
            return self.invokers(result)
        if isinstance(result, Reach):
            return self.reach(result)
        if isinstance(result, Triggered):
            return self.triggered(result)
        return verdict_json(result)

    def _row(self, row: object, render: Callable[[object], dict]) -> dict:
        found = self._json.get(id(row))
        if found is None:
            if len(self._json) > ROW_CACHE_LIMIT:
                self._json.clear()
                self._kept.clear()
            self._kept[id(row)] = row
            found = self._json[id(row)] = SharedRow(render(row))
        return found


def to_json(result: Invokers | Reach | Verdict | Triggered) -> dict:
    """One answer as the contract's JSON (a `Renderer` of its own)."""
    return Renderer().render(result)


def diff_json(changes: Changes) -> dict:
    """`diff`'s added and removed facts; each side's text written as the user knows it (`label`)."""
    old, new = changes.old_label, changes.new_label
    return {"added": [{**_relabel(_change(c), new), "was": _relabel(_other(c), old)} for c in changes.added],
            "removed": [{**_relabel(_change(c), old), "now": _relabel(_other(c), new)} for c in changes.removed]}


def _change(change: Change) -> dict:
    value = change.value
    out = {"principal": change.principal, "action": change.action, "resource": change.resource,
           "decision": value.decision.value, "change": change.change,
           "conditions": [condition_json(c) for c in value.conditions], "because": because_json(value.because)}
    if value.via:
        out["via"] = list(value.via)
    if value.notes:
        out["notes"] = list(value.notes)
    return out


def _other(change: Change) -> dict:
    return {"decision": change.other.decision.value, "conditions": [condition_json(c) for c in change.other.conditions]}


def _relabel(value, label: Callable[[str], str]):
    if isinstance(value, str):
        return label(value)
    if isinstance(value, dict):
        return {k: _relabel(v, label) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_relabel(v, label) for v in value]
    return value


def merged(answers: list[tuple[object, dict]], single: bool = False) -> dict:
    """One answer from each deployment's (graph/deployments.py), as JSON: equal ones are one; list
    fields are the rows of all (each once, in deployment order); a single decision that differs is
    an InputError naming each deployment."""
    first = answers[0][1]
    if all(_same(answer, first) for _, answer in answers[1:]):
        return first
    if single:
        said = "; ".join(f"{model.deployment.label}: {answer.get('decision')}" for model, answer in answers)
        raise InputError(None, "the answer differs between deployments (templates that cannot deploy side by "
                               f"side): {said}; give the inputs of one deployment")
    out = dict(first)
    for key, value in first.items():
        if isinstance(value, list):
            rows, seen = [], set()
            for _, answer in answers:
                for row in answer.get(key, []):
                    text = json.dumps(row, sort_keys=True, default=str)
                    if text not in seen:
                        seen.add(text)
                        rows.append(row)
            out[key] = rows
    return out


def _same(a: dict, b: dict) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
