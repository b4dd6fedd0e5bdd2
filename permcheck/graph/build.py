"""The networkx graph of principals, functions and resources.

Nodes are keyed by canonical ARN (a service by its name, anyone by `*`) with a `kind`;
edges are `executes-as` (function → role), `may-assume` (principal → role),
`may-invoke` (principal → function), `may-access` (principal → resource), `triggers`
(event source → function, with its invocation: sync, async or poll), `delivers` (a topic →
the queue it delivers to) and `may-fire` (principal → event source, as who-can-trigger
decides it), each with the decision. Only
this module writes graph attributes.
"""

from __future__ import annotations

import networkx as nx

from permcheck.graph.edges import Edges
from permcheck.graph.query import what_can_access, who_can_invoke
from permcheck.graph.rows import AskHop, RunHop, SourceHop
from permcheck.graph.triggers import TriggerPaths
from permcheck.iam.answer import Decision


def _principal_kind(arn: str) -> str:
    if arn == "*":
        return "anyone"
    if not arn.startswith("arn:"):
        return "service"
    if arn.endswith(":root"):
        return "account"
    return "user" if ":user/" in arn else "role"


def build_graph(edges: Edges) -> nx.MultiDiGraph:
    inv = edges.index.inventory
    graph = nx.MultiDiGraph()
    for arn, role in inv.roles.items():
        graph.add_node(arn, kind="role", account=role.account, label=str(role.name))
    for arn, user in inv.users.items():
        graph.add_node(arn, kind="user", account=user.account, label=str(user.name))
    for arn, resource in inv.resources.items():
        graph.add_node(arn, kind="resource", type=resource.type, account=resource.account or "",
                       label=resource.logical_id or arn)
    for arn, function in inv.functions.items():
        graph.add_node(arn, kind="function", account=function.account, label=str(function.name))
        if function.role is not None:
            role = str(function.role)
            if role not in graph:
                graph.add_node(role, kind="role", account="", label=role)
            graph.add_edge(arn, role, kind="executes-as", decision="allowed")
        for row in who_can_invoke(edges, function).principals:
            if row.via:
                continue
            _ensure(graph, row.principal)
            graph.add_edge(row.principal, arn, kind="may-invoke", decision=row.answer.decision.value,
                           actions=",".join(row.actions))
    _flows(graph, edges)
    for target, target_edges in edges.assumers.items():
        for edge in target_edges:
            _ensure(graph, edge.source)
            graph.add_edge(edge.source, target, kind="may-assume", decision=edge.answer.decision.value)
    for arn, role in inv.roles.items():
        for row in what_can_access(edges, edges.index.caller_for_entity(role)).access:
            if row.via or row.resource in inv.functions or row.answer.decision is Decision.DENIED:
                continue  # denied: a grant on another account's resource the inputs do not show
            if row.resource not in graph:
                graph.add_node(row.resource, kind="resource", type="", account="", label=row.resource)
            graph.add_edge(arn, row.resource, kind="may-access", decision=row.answer.decision.value,
                           actions=",".join(row.actions))
    return graph


def _flows(graph: nx.MultiDiGraph, edges: Edges) -> None:
    """Event sources as nodes, `triggers` edges into their functions, and `may-fire` edges from
    the principals who can make each source fire (the first hop of who-can-trigger's paths)."""
    paths = TriggerPaths(edges)
    for function in edges.index.inventory.functions.values():
        arn = str(function.arn)
        for path in paths.who_can_trigger(function).triggers:
            if any(isinstance(hop, RunHop) for hop in path.hops):
                continue  # chained: its hops are other functions' edges
            sources = [hop.trigger for hop in path.hops if isinstance(hop, SourceHop)]
            if not sources:
                continue
            for source in sources:
                if str(source.resource) not in graph:
                    graph.add_node(str(source.resource), kind="resource", type=source.source, account="",
                                   label=str(source.resource))
            source, node = sources[-1], str(sources[-1].resource)  # the source wired to the function
            if not graph.has_edge(node, arn, key=f"triggers:{source.event}"):
                graph.add_edge(node, arn, key=f"triggers:{source.event}", kind="triggers",
                               invocation=source.invocation.value, event=source.event,
                               decision=path.hops[-1].answer.decision.value)
            fired = str(sources[0].resource)
            if len(sources) > 1 and not graph.has_edge(fired, node, key="delivers"):
                send = next(hop for hop in path.hops if isinstance(hop, AskHop) and hop.principal == sources[0].service)
                graph.add_edge(fired, node, key="delivers", kind="delivers", decision=send.answer.decision.value)
            if path.principal is not None and isinstance(path.hops[0], AskHop):
                _ensure(graph, path.principal)
                graph.add_edge(path.principal, fired, kind="may-fire", decision=path.answer.decision.value,
                               actions=path.hops[0].action)


def build_graphs(models: list) -> nx.MultiDiGraph:
    """The graph of a run of several deployments (graph/deployments.py): each deployment's graph,
    joined. What no template defines (a snapshot's role, a service) is one node; a node that
    templates of two deployments define differently (the same function name) is one node per
    template, keyed `FILE#LogicalId` as the contract's identifiers name it."""
    from permcheck.graph.deployments import owner

    if len(models) == 1:
        return build_graph(models[0].edges)
    graphs = [(model, build_graph(model.edges)) for model in models]
    owners: dict[str, set] = {}
    for model, graph in graphs:
        for node in graph:
            owners.setdefault(node, set()).add(owner(model.edges, node))
    split = {node for node, found in owners.items() if len(found - {None}) > 1}
    joined = nx.MultiDiGraph()
    for model, graph in graphs:
        def key(node: str) -> str:
            if node not in split:
                return node
            file, logical_id = owner(model.edges, node) or (None, None)
            return f"{file}#{logical_id}" if file else node
        for node, data in graph.nodes(data=True):
            if key(node) not in joined:
                joined.add_node(key(node), **data)
        for source, target, data in graph.edges(data=True):
            held = joined.get_edge_data(key(source), key(target)) or {}
            if data not in held.values():
                joined.add_edge(key(source), key(target), **data)
    return joined


def _ensure(graph: nx.MultiDiGraph, principal: str) -> None:
    if principal not in graph:
        graph.add_node(principal, kind=_principal_kind(principal), account="", label=principal)
