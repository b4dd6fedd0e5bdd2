"""Write the graph as JSON, Graphviz dot, GraphML or Mermaid."""

from __future__ import annotations

import json

import networkx as nx


def render(graph: nx.MultiDiGraph, fmt: str) -> str:
    if fmt == "json":
        data = {"nodes": [{"id": n, **attrs} for n, attrs in sorted(graph.nodes(data=True))],
                "edges": [{"source": s, "target": t, **attrs}
                          for s, t, attrs in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1], e[2]["kind"]))]}
        return json.dumps(data, indent=2) + "\n"
    if fmt == "graphml":
        return "\n".join(nx.generate_graphml(graph)) + "\n"
    ids = {n: f"n{i}" for i, n in enumerate(sorted(graph.nodes))}
    if fmt == "dot":
        lines = ["digraph permcheck {", "  rankdir=LR;"]
        for node, attrs in sorted(graph.nodes(data=True)):
            lines.append(f'  {ids[node]} [label={json.dumps(attrs.get("label", node))}, shape={_shape(attrs["kind"])}];')
        for s, t, attrs in graph.edges(data=True):
            style = "dashed" if attrs.get("decision") == "conditional" else "solid"
            lines.append(f'  {ids[s]} -> {ids[t]} [label="{attrs["kind"]}", style={style}];')
        return "\n".join(lines + ["}"]) + "\n"
    lines = ["flowchart LR"]
    for node, attrs in sorted(graph.nodes(data=True)):
        label = str(attrs.get("label", node)).replace('"', "'")
        lines.append(f'  {ids[node]}["{label}"]')
    for s, t, attrs in graph.edges(data=True):
        arrow = "-.->" if attrs.get("decision") == "conditional" else "-->"
        lines.append(f"  {ids[s]} {arrow}|{attrs['kind']}| {ids[t]}")
    return "\n".join(lines) + "\n"


def _shape(kind: str) -> str:
    return {"function": "box", "role": "ellipse", "user": "ellipse", "resource": "cylinder"}.get(kind, "diamond")
