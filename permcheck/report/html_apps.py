"""The report at scale: a monorepo's page leads with what a reviewer acts on, then one
collapsed section per application.

On a repository of many applications (load/deployments.py says what one is) every function's
and role's table would make a page nobody reads (tens of MB on 200 templates). So the model
gets, beside the findings:

- **entry points**: every public or cross-account row of who-can-invoke, over all functions;
- **the riskiest execution roles**: those of functions anyone or another account can invoke,
  those the findings name, those with grants on `*` — with their access tables;
- **applications**, riskiest first, each with its functions and roles. Their tables share a
  budget of rows (ROW_BUDGET): once spent, a function or role is one line — how many
  principals or grants, how many public or cross-account — and the CLI command that lists
  them all. The paths that make a function run (who-can-trigger, several lines a row) have a
  budget of their own (PATH_BUDGET), asked only while it lasts: past it, the command;
- **one picture per application** (the GRAPH_APPS riskiest), each drawn from that
  application's functions, instead of one picture of everything.
"""

from __future__ import annotations

import os

from permcheck.report.html_model import MAX_ROWS, _graph, access_of, triggers_in

ROW_BUDGET = 600  # table rows of all applications' sections together
PATH_BUDGET = 300  # who-can-trigger rows of all applications' sections together
RISKY_ROLES = 10
ENTRY_POINTS = 300  # rows at most; public ones first
GRAPH_APPS = 10  # applications drawn; the others are named
GRAPH_FULL_UP_TO, GRAPH_DRAWN = 60, 80  # nodes of one application's picture: see html_model._prune
ELSEWHERE = "(not defined in the inputs)"
_SEVERITY_WEIGHT = {"critical": 8, "high": 4, "medium": 2, "low": 1}


def _app_of(models: list):
    """file → its application (load/deployments.py); a snapshot file is one of its own."""
    apps_of = {}
    for m in models:
        if m.deployment is not None:
            apps_of.update(m.deployment.applications)
    return lambda file: apps_of.get(file, file) if file else ELSEWHERE


def count(models: list) -> int:
    """How many applications define the run's functions and roles (cheap: no question asked)."""
    app = _app_of(models)
    found = set()
    for m in models:
        inventory = m.edges.index.inventory
        for entity in (*inventory.functions.values(), *inventory.roles.values()):
            if entity.location is not None and entity.logical_id:
                found.add(app(entity.location.file))
    return len(found)


def add_applications(model: dict, models: list, parts: list[dict], functions: list[dict],
                     roles: list[dict]) -> None:
    """Add `applications`, `entry_points`, `risky_roles` and `graphs` to `model`, and ask what
    the roles the page shows may access (`roles` hold no access rows before)."""
    app = _app_of(models)
    names = sorted({app(f["file"]) for f in functions} | {app(r["file"]) for r in roles if r["file"]})
    label = _labeller([n for n in names if n != ELSEWHERE])
    role_app = {}
    for f in functions:
        if f["role"]:
            role_app.setdefault(f["role"], app(f["file"]))
    apps: dict[str, dict] = {n: {"id": n, "label": label(n), "functions": [], "roles": [], "findings": {},
                                 "public": 0, "cross_account": 0, "score": 0} for n in names}
    for i, f in enumerate(functions):
        entry = apps[app(f["file"])]
        entry["functions"].append(i)
        entry["public"] += any(r["public"] for r in f["invokers"])
        entry["cross_account"] += sum(1 for r in f["invokers"] if r["cross_account"])
    for i, r in enumerate(roles):
        apps[app(r["file"]) if r["file"] else role_app.get(r["arn"], ELSEWHERE)]["roles"].append(i)
    for finding in model["findings"]:
        if not finding["suppressed"] and app(finding["file"]) in apps:
            held = apps[app(finding["file"])]["findings"]
            held[finding["severity"]] = held.get(finding["severity"], 0) + 1
    for entry in apps.values():
        entry["score"] = (sum(_SEVERITY_WEIGHT[s] * n for s, n in entry["findings"].items())
                          + 6 * entry["public"] + 3 * entry["cross_account"])
    ordered = sorted(apps.values(), key=lambda a: (-a["score"], a["label"]))
    model["applications"] = ordered
    model["entry_points"] = _entry_points(functions, app, label)
    model["risky_roles"] = _risky(functions, roles, model["findings"], parts)
    for i in model["risky_roles"]:
        roles[i]["access"] = access_of(parts, roles[i]["arn"])
    _spend(ordered, functions, roles, parts, set(model["risky_roles"]))
    model["graphs"] = _graphs(ordered[:GRAPH_APPS], parts, functions, roles, model["findings"])
    model["graphs_omitted"] = [a["label"] for a in ordered[GRAPH_APPS:] if a["functions"]]


def _labeller(names: list[str]):
    """Application ids (folders or files) → paths relative to what they share."""
    if not names:
        return lambda name: name
    root = os.path.commonpath([os.path.abspath(n) for n in names])
    if len(names) == 1:
        root = os.path.dirname(root)

    def label(name: str) -> str:
        if name == ELSEWHERE:
            return name
        rel = os.path.relpath(os.path.abspath(name), root)
        return rel if rel != "." else os.path.basename(os.path.abspath(name))
    return label


def _entry_points(functions: list[dict], app, label) -> dict:
    """Every public or cross-account who-can-invoke row, with its function; public first."""
    rows = [{**row, "function": f["name"], "function_arn": f["arn"], "file": f["file"], "line": f["line"],
             "application": label(app(f["file"]))}
            for f in functions for row in f["invokers"] if row["public"] or row["cross_account"]]
    rows.sort(key=lambda r: (not r["public"], r["decision"] != "allowed", r["application"], r["function"]))
    return {"rows": rows[:ENTRY_POINTS], "omitted": max(0, len(rows) - ENTRY_POINTS)}


def _risky(functions: list[dict], roles: list[dict], findings: list[dict], parts: list[dict]) -> list[int]:
    """Indices of the riskiest execution roles: exposed functions' first, then by what the
    findings say of them, then by their Allow statements on `*` (read from the policies, not
    asked: a monorepo's every role is not worth a question)."""
    exposure: dict[str, int] = {}
    logical: dict[str, set] = {}
    for f in functions:
        if f["role"]:
            level = 2 if any(r["public"] for r in f["invokers"]) else 1 if any(
                r["cross_account"] for r in f["invokers"]) else 0
            exposure[f["role"]] = max(exposure.get(f["role"], 0), level)
            logical.setdefault(f["role"], set()).add((f["file"], f["logical_id"]))
    scored = []
    for i, role in enumerate(roles):
        if not role["in_inputs"]:
            continue
        holders = logical.get(role["arn"], set()) | {(role["file"], role["logical_id"])}
        said = sum(_SEVERITY_WEIGHT[f["severity"]] for f in findings if not f["suppressed"] and (
            (f["file"], f["resource"]) in holders or role["arn"] in f["message"]))
        statements, broad = _breadth(parts, role["arn"])
        if exposure.get(role["arn"]) or said or broad:
            scored.append(((-exposure.get(role["arn"], 0), -said, -broad, -statements, role["name"]), i))
    return [i for _, i in sorted(scored)[:RISKY_ROLES]]


def _breadth(parts: list[dict], arn: str) -> tuple[int, int]:
    """(Allow statements, those on `*` or with a wildcard action) of a role's own policies."""
    for part in parts:
        role = part["model"].edges.index.inventory.roles.get(arn)
        if role is not None:
            allows = [s for p in role.policies for s in p.statements if s.effect.value == "Allow"]
            broad = [s for s in allows if s.not_resource or s.not_action or "*" in map(str, s.resources or ())
                     or any("*" in str(a) for a in s.actions)]
            return len(allows), len(broad)
    return 0, 0


def _spend(apps: list[dict], functions: list[dict], roles: list[dict], parts: list[dict], asked: set) -> None:
    """Give tables to applications, riskiest first, until ROW_BUDGET rows are spent; a subject
    past it keeps its counts and loses its rows (`compact`). A shown function's paths in are
    asked while PATH_BUDGET lasts. A role's access is asked only while
    the budget lasts; past it, its counts are its statements."""

    budget, paths = ROW_BUDGET, PATH_BUDGET
    for entry in apps:
        for i in entry["functions"]:
            rows = functions[i]["invokers"]
            if min(len(rows), MAX_ROWS) <= budget:
                budget -= min(len(rows), MAX_ROWS)
            else:
                functions[i]["compact"] = _counts(rows)
            if paths > 0 and "compact" not in functions[i]:
                functions[i].update(triggers_in(parts, functions[i]))
                paths -= len(functions[i]["triggers"])
        for i in entry["roles"]:
            role = roles[i]
            if not role["in_inputs"]:
                continue
            if budget > 0 and i not in asked:
                role["access"] = access_of(parts, role["arn"])
                asked.add(i)
            if i in asked and min(len(role["access"]), MAX_ROWS) <= budget:
                budget -= min(len(role["access"]), MAX_ROWS)
            elif i in asked:
                role["compact"] = _counts(role["access"])
            else:
                statements, broad = _breadth(parts, role["arn"])
                role["compact"] = {"statements": statements, "broad": broad}


def _counts(rows: list[dict]) -> dict:
    return {"public": sum(1 for r in rows if r.get("public")),
            "cross_account": sum(1 for r in rows if r.get("cross_account")),
            "allowed": sum(1 for r in rows if r["decision"] == "allowed"),
            "conditional": sum(1 for r in rows if r["decision"] == "conditional")}


def _graphs(apps: list[dict], parts: list[dict], functions: list[dict], roles: list[dict],
            findings: list[dict]) -> list[dict]:
    """One picture per application: its functions, who may invoke them, their roles and what
    those reach (from the deployment that holds the application)."""

    out = []
    for entry in apps:
        wanted = {(functions[i]["arn"], functions[i]["file"]) for i in entry["functions"]}
        if not wanted:
            continue
        for part in parts:
            objects = [f for f in part["objects"]
                       if (str(f.arn), f.location.file if f.location else None) in wanted]
            if objects:
                break
        exec_roles = {str(f.role): [str(f.name)] for f in objects if f.role is not None}
        own = {roles[i]["arn"] for i in entry["roles"]} | set(exec_roles)
        access = {arn: access_of([part], arn) for arn in own if arn in part["model"].edges.index.inventory.roles}
        graph = _graph(part["model"].edges, objects, part["invokers"], access, exec_roles, findings, assumed=own,
                       limits=(GRAPH_FULL_UP_TO, GRAPH_DRAWN))
        out.append({"application": entry["label"], "graph": graph})
    return out
