"""The report's data: one deployment's answers (report/html_model.py), or — for inputs of several
applications — what a reviewer acts on first and the rest per application (report/html_apps.py)."""

from __future__ import annotations

from permcheck.graph.deployments import Model
from permcheck.report import html_apps
from permcheck.report.html_model import _capped_subject, _finding, _graph, _joined, _part, _summary


def build_model(models, result, rules, about: dict | None = None) -> dict:
    """The report's data: `models` the run's deployments (graph/deployments.Model; or one
    Edges), `result` is `check`'s CheckResult, `rules` the rules in force, `about` free facts
    for the page header (inputs, version).

    Inputs of one application give today's page; inputs of several (a monorepo: see
    load/deployments.py) add what a reviewer acts on first — the entry points, the riskiest
    roles — and group the rest per application (report/html_apps.py)."""
    models = models if isinstance(models, list) else [Model(None, models)]
    findings = [_finding(f, rules) for f in result.findings]
    scaled = len(models) > 1 or html_apps.count(models) > 1
    parts = [_part(model, every_access=not scaled) for model in models]
    functions = _joined([d for part in parts for d in part["functions"]], "invokers", "triggers")
    roles = _joined([d for part in parts for d in part["roles"]], "access")
    inv = models[0].edges.index.inventory
    model = {
        "about": {"account": inv.default_account, "region": inv.region, **(about or {})},
        "summary": _summary(result.findings, functions, roles),
        "errors": list(result.errors),
        "findings": findings,
        "deployments": [m.deployment.label for m in models if m.deployment is not None and m.deployment.of > 1],
    }
    if scaled:  # a monorepo: access is asked only for the roles the page shows (html_apps)
        html_apps.add_applications(model, models, parts, functions, roles)
    else:
        part = parts[0]
        model["graph"] = _graph(models[0].edges, part["objects"], part["invokers"], part["access"],
                                part["exec_roles"], findings)
    model["functions"] = [_capped_subject(f, "invokers") for f in functions]
    model["roles"] = [_capped_subject(r, "access") for r in roles]
    return model
