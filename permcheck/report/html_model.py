"""The data of `permcheck report`: one plain dict that `report.html.render_html` draws.

Everything here is the queries' answers arranged for a page — findings by severity, every
function's who-can-invoke and who-can-trigger answers (the paths that make it run, at most
MAX_PATHS of them), every execution role's what-can-access answer, and the
graph of principals → functions → execution roles → resources. No HTML is written here, so
the page can be tested from data and the data from the queries.

The picture has the edges of `permcheck graph` (graph/build.py), built from the same query
answers the tables show rather than by asking every question twice (who-can-invoke and
what-can-access are the slow part of a large report). For reading, one edge per principal,
target and kind; the `*` resource apart from the `*` principal; and the `lambda.amazonaws.com`
trust every execution role has left out.
"""

from __future__ import annotations

import re

from permcheck.graph.edges import Edges
from permcheck.graph.query import what_can_access
from permcheck.graph.triggers import TriggerPaths
from permcheck.report.answers_json import Renderer, trigger_json
from permcheck.model.arn import account_of, parse_arn
from permcheck.model.entities import Function

SEVERITIES = ("critical", "high", "medium", "low")
FULL_GRAPH_UP_TO = 150  # nodes; above this only public, cross-account and finding paths are drawn
MAX_DRAWN = 400  # nodes drawn at most, whatever the paths
ALL_ROLES_ACCESS_UP_TO = 300  # roles; above this only execution roles' access is computed
MAX_ROWS = 100  # rows of one table; a large account may let thousands of principals invoke a function
MAX_PATHS = 12  # who-can-trigger paths shown per function: one deep in a large account has thousands
COLUMNS = ("Who", "Assumed roles", "Functions", "Execution roles", "Resources")
WHO, ASSUMED, FUNCTIONS, EXEC_ROLES, RESOURCES = range(5)
ANY_RESOURCE = "resource:*"  # the `*` resource, kept apart from the `*` principal (anyone)
_RANK = {"allowed": 2, "conditional": 1, "denied": 0}
ARN_TOKEN = re.compile(r"arn:[^\s,;()]+")  # an ARN as findings' messages write it


def _part(model, every_access: bool = True) -> dict:
    """One deployment's answers: every function's invokers and, with `every_access`, every
    function's paths in and every execution role's access (and every role's, up to
    ALL_ROLES_ACCESS_UP_TO roles)."""
    edges = model.edges
    inv = edges.index.inventory
    functions = sorted(inv.functions.values(), key=lambda f: (str(f.name), str(f.arn)))
    render, paths = Renderer(), TriggerPaths(edges)
    invokers = {str(f.arn): render.invokers(paths.invokers(f))["principals"] for f in functions}
    exec_roles = _execution_roles(functions)
    accessors = [a for a in exec_roles if a in inv.roles] if every_access else []
    if every_access and len(inv.roles) <= ALL_ROLES_ACCESS_UP_TO:
        accessors += [a for a in sorted(inv.roles) if a not in exec_roles]
    access = {arn: render.reach(what_can_access(edges, edges.index.caller_for_entity(inv.roles[arn])))["access"]
              for arn in accessors}
    described = [_function(f, invokers[str(f.arn)], inv) for f in functions]
    if every_access:
        for entry, function in zip(described, functions):
            entry.update(triggers_of(paths, function))
    return {"model": model, "objects": functions, "invokers": invokers, "exec_roles": exec_roles, "access": access,
            "paths": paths, "functions": described,
            "roles": [_role(arn, names, access.get(arn), inv) for arn, names in exec_roles.items()]}


def access_of(parts: list[dict], arn: str) -> list[dict]:
    """What role `arn` may access, asked in each deployment that holds it (rows each once)."""
    rows: list[dict] = []
    for part in parts:
        edges = part["model"].edges
        role = edges.index.inventory.roles.get(arn)
        if role is None:
            continue
        if arn not in part["access"]:
            part["access"][arn] = Renderer().reach(what_can_access(edges, edges.index.caller_for_entity(role)))["access"]
        rows += [r for r in part["access"][arn] if r not in rows]
    return rows


def triggers_of(paths: TriggerPaths, function: Function) -> dict:
    """Who can make `function` run, besides who invokes it (who-can-invoke's rows, which the page
    shows just before): at most MAX_PATHS paths through sources and other functions, shortest
    first, public and cross-account ones kept first (see `_kept`), and how many are left out.
    Only the paths kept are rendered: the rest may be thousands."""
    found = [p for p in paths.who_can_trigger(function).triggers if len(p.hops) > 1]
    rows = [{"principal": p.principal, "public": p.principal == "*",
             "cross_account": _other_account(p.principal or "", function.account), "typed": p} for p in found]
    kept = _kept(rows, MAX_PATHS)
    return {"triggers": [{**trigger_json(r["typed"]), "public": r["public"], "cross_account": r["cross_account"]}
                         for r in kept], "triggers_omitted": len(found) - len(kept)}


def triggers_in(parts: list[dict], fn: dict) -> dict:
    """`triggers_of` the function `fn` describes, asked in each deployment that holds it (rows
    each once, at most MAX_PATHS of all)."""
    rows: list[dict] = []
    omitted = 0
    for part in parts:
        function = next((f for f in part["objects"] if str(f.arn) == fn["arn"]), None)
        if function is not None:
            found = triggers_of(part["paths"], function)
            rows += [r for r in found["triggers"] if r not in rows]
            omitted = max(omitted, found["triggers_omitted"])
    kept = _kept(rows, MAX_PATHS)
    return {"triggers": kept, "triggers_omitted": omitted + len(rows) - len(kept)}


def _joined(subjects: list[dict], *rows: str) -> list[dict]:
    """Subjects of several deployments, each once: what no template defines (a snapshot's
    function or role) is in every deployment, with the rows each found."""
    out: dict[tuple, dict] = {}
    for subject in subjects:
        key = (subject["arn"], subject["file"])
        if key not in out:
            out[key] = subject
            continue
        held = out[key]
        for name in rows:
            if subject.get(name) is not None:
                held[name] = (held.get(name) or []) + [r for r in subject[name] if r not in (held.get(name) or [])]
        if "functions" in subject:
            held["functions"] = list(dict.fromkeys(held["functions"] + subject["functions"]))
    return list(out.values())


def _execution_roles(functions: list[Function]) -> dict[str, list[str]]:
    """Role ARN → the names of the functions that run as it."""
    out: dict[str, list[str]] = {}
    for function in functions:
        if function.role is not None:
            out.setdefault(str(function.role), []).append(str(function.name))
    return out


def _summary(findings, functions: list[dict], roles: list[dict]) -> dict:
    active = [f for f in findings if f.suppressed is None]
    out = {s: sum(1 for f in active if f.severity.value == s) for s in SEVERITIES}
    out["suppressed"] = len(findings) - len(active)
    out["functions"] = len(functions)
    out["execution_roles"] = len(roles)
    out["public_functions"] = sum(1 for f in functions if any(r["public"] for r in f["invokers"]))
    out["cross_account_invokers"] = sum(1 for f in functions for r in f["invokers"] if r["cross_account"])
    return out


def _finding(finding, rules) -> dict:
    rule = next((r for r in rules if r.id == finding.rule), None)
    fix = finding.fix or (" ".join(rule.spec.fix.split()) if rule else "")
    return {"rule": finding.rule, "severity": finding.severity.value, "title": rule.spec.title if rule else "",
            "resource": finding.resource, "file": finding.file, "line": finding.line, "message": finding.message,
            "fix": fix, "docs": list(rule.spec.docs) if rule else [],
            "suppressed": finding.suppressed.as_json() if finding.suppressed else None}


def _function(function: Function, rows: list[dict], inv) -> dict:
    where = function.location
    return {"arn": str(function.arn), "name": str(function.name), "logical_id": function.logical_id,
            "file": where.file if where else None, "line": where.line if where else None,
            "role": str(function.role) if function.role is not None else None,
            "urls": [str(u.auth_type) for u in function.urls], "triggers": None, "triggers_omitted": 0,
            "invokers": [{**row, "public": row["principal"] == "*",
                          "cross_account": _other_account(row["principal"], function.account)} for row in rows]}


def _role(arn: str, functions: list[str], rows: list[dict] | None, inv) -> dict:
    role = inv.roles.get(arn)
    where = role.location if role else None
    return {"arn": arn, "name": str(role.name) if role else arn, "functions": functions,
            "logical_id": role.logical_id if role else None, "in_inputs": role is not None, "file": where.file if where else None,
            "line": where.line if where else None, "access": rows or []}


def _capped_subject(subject: dict, name: str) -> dict:
    """The subject with at most MAX_ROWS rows (see `_capped`), and `total` rows found."""
    return {**subject, **_capped(name, subject[name]), "total": len(subject[name])}


def _capped(name: str, rows: list[dict]) -> dict:
    """At most MAX_ROWS rows (see `_kept`); `omitted` counts the rest."""
    kept = _kept(rows, MAX_ROWS)
    return {name: kept, "omitted": len(rows) - len(kept)}


def _kept(rows: list[dict], limit: int) -> list[dict]:
    """At most `limit` rows, in their order: public ones first, then cross-account ones, then
    the first of the others — what a reviewer must see is never the part cut."""
    if len(rows) <= limit:
        return rows
    first = sorted(rows, key=lambda r: (not r.get("public"), not r.get("cross_account")))[:limit]
    kept = {id(r) for r in first}
    return [r for r in rows if id(r) in kept]


def _other_account(principal: str, account: str | None) -> bool:
    """Is the principal of an account other than `account`? (services and `*` are not)"""
    theirs = account_of(principal)
    return bool(theirs and account and theirs != account)


# -- the picture ---------------------------------------------------------------------------------
def _graph(edges: Edges, functions, invokers, access, exec_roles, findings, assumed: set | None = None,
           limits: tuple[int, int] = (FULL_GRAPH_UP_TO, MAX_DRAWN)) -> dict:
    """Nodes (with a column) and edges of the picture, pruned for very large inputs. With
    `assumed`, only the roles in it are drawn with who may assume them (one application's);
    `limits`: all nodes are drawn up to the first, then at most the second (see `_prune`)."""
    inv = edges.index.inventory
    nodes: dict[str, dict] = {}
    drawn: dict[tuple[str, str, str], dict] = {}

    def node(key: str) -> str:
        if key not in nodes:
            nodes[key] = _node(key, inv, exec_roles)
        return key

    def edge(source: str, target: str, kind: str, decision: str, actions=()) -> None:
        entry = drawn.setdefault((node(source), node(target), kind), {
            "source": source, "target": target, "kind": kind, "decision": decision, "actions": []})
        if _RANK[decision] > _RANK[entry["decision"]]:
            entry["decision"] = decision
        entry["actions"] += [f"{a} ({decision})" for a in actions if f"{a} ({decision})" not in entry["actions"]]

    for function in functions:
        arn = node(str(function.arn))
        if function.role is not None:
            edge(arn, str(function.role), "executes-as", "allowed")
        for row in invokers[arn]:
            if not row.get("via"):
                edge(row["principal"], arn, "may-invoke", row["decision"], row["actions"])
    for target, assume_edges in edges.assumers.items():
        if assumed is not None and target not in assumed:
            continue
        for found in assume_edges:
            if found.source == "lambda.amazonaws.com" and target in exec_roles:
                continue  # every execution role trusts Lambda: drawn as the function's executes-as edge
            edge(found.source, target, "may-assume", found.answer.decision.value)
    for role, rows in access.items():
        for row in rows:
            if not row.get("via") and row["resource"] not in inv.functions and row["decision"] != "denied":
                edge(role, ANY_RESOURCE if row["resource"] == "*" else row["resource"], "may-access",
                     row["decision"], row["actions"])
    assumed = {target for _, target, kind in drawn if kind == "may-assume"}
    for key, entry in nodes.items():
        if entry["kind"] == "role" and entry["column"] == WHO and key in assumed:
            entry["column"] = ASSUMED
    out_edges = list(drawn.values())
    for entry in out_edges:
        entry["public"] = entry["source"] == "*"
        entry["cross_account"] = _cross(nodes[entry["source"]], nodes[entry["target"]])
    _flag_findings(nodes, findings, inv)
    return _prune(nodes, out_edges, *limits)


def _node(key: str, inv, exec_roles: dict) -> dict:
    """A node's label (short), sub-label (what it is), column and account."""
    arn = parse_arn(key)
    account = account_of(key) or ""
    if key == "*":
        return _n(key, "* (anyone)", "public: anyone, unsigned", "anyone", WHO, "")
    if key == ANY_RESOURCE:
        return _n(key, "* (every resource)", "wildcard resource", "resource", RESOURCES, "")
    if key in inv.functions:
        function = inv.functions[key]
        return _n(key, str(function.name), "function", "function", FUNCTIONS, function.account)
    if key in inv.roles or key in exec_roles:
        role = inv.roles.get(key)
        name = str(role.name) if role else (arn.resource if arn else key)
        kind = "execution role" if key in exec_roles else "role"
        account = role.account if role else account
        sub = kind if account == inv.default_account else f"{kind} · {account}"
        return _n(key, name, sub, "role", EXEC_ROLES if key in exec_roles else WHO, account)
    if key in inv.users:
        user = inv.users[key]
        return _n(key, str(user.name), "user", "user", WHO, user.account)
    if key in inv.resources:
        resource = inv.resources[key]
        label = resource.logical_id or (arn.resource if arn else key)
        return _n(key, label, resource.type, "resource", RESOURCES, resource.account or account)
    if arn is None:  # a service principal, or something a policy names that is no ARN
        return _n(key, key, "service" if "." in key else "principal", "service", WHO, "")
    if arn.service in ("iam", "sts"):
        if key.endswith(":root"):
            own = arn.account == inv.default_account
            return _n(key, f"account {arn.account}", "this account" if own else "other account", "account", WHO,
                      arn.account)
        return _n(key, arn.resource, f"account {arn.account}", "principal", WHO, arn.account)
    return _n(key, arn.resource or key, arn.service, "resource", RESOURCES,
              account or (inv.default_account if arn.service == "s3" else ""))


def _n(key, label, sub, kind, column, account) -> dict:
    return {"id": key, "label": label, "sub": sub, "kind": kind, "column": column, "account": account,
            "finding": False}


def _cross(source: dict, target: dict) -> bool:
    return bool(source["account"] and target["account"] and source["account"] != target["account"])


def _flag_findings(nodes: dict, findings: list[dict], inv) -> None:
    """Mark the nodes a finding is about: the ARNs its message names, and its resource's."""
    for finding in findings:
        if finding["suppressed"]:
            continue
        named = {token.rstrip(".:") for token in ARN_TOKEN.findall(finding["message"])}
        named.update(inv.logical_ids.get(finding["resource"], ()))
        named.add(finding["resource"])
        for key in named & nodes.keys():
            nodes[key]["finding"] = True


def _prune(nodes: dict, edges: list[dict], full_up_to: int = FULL_GRAPH_UP_TO, max_drawn: int = MAX_DRAWN) -> dict:
    """Everything when small; otherwise the nodes on public, cross-account or finding paths: the
    ends of public and cross-account edges, what those functions' roles reach, and the nodes
    findings name."""
    total = {"nodes": len(nodes), "edges": len(edges)}
    note = None
    if len(nodes) > full_up_to:
        exposed = {k for e in edges if e["public"] or e["cross_account"] for k in (e["source"], e["target"])}
        reach = set(exposed)
        for kind in ("executes-as", "may-access"):  # what an exposed function's role reaches
            reach.update([e["target"] for e in edges if e["kind"] == kind and e["source"] in reach])
        keep = reach | {k for k, n in nodes.items() if n["finding"]}
        public = {k for e in edges if e["public"] for k in (e["source"], e["target"])}
        keep = sorted(keep, key=lambda k: (k not in public, not nodes[k]["finding"], nodes[k]["column"], k))
        shown = set(keep[:max_drawn])
        note = (f"This graph has {total['nodes']} nodes and {total['edges']} edges, too many to draw readably: "
                f"only the {len(shown)} nodes on public, cross-account or finding paths are drawn"
                + (f" (the first {max_drawn} of {len(keep)})" if len(keep) > max_drawn else "")
                + ". The tables list every answer.")
        nodes = {k: n for k, n in nodes.items() if k in shown}
        edges = [e for e in edges if e["source"] in shown and e["target"] in shown]
    used = sorted({n["column"] for n in nodes.values()})
    return {"columns": [{"index": c, "title": COLUMNS[c]} for c in used],
            "nodes": sorted(nodes.values(), key=lambda n: (n["column"], n["label"], n["id"])),
            "edges": sorted(edges, key=lambda e: (e["source"], e["target"], e["kind"])),
            "total": total, "note": note}
