"""The report's picture: a layered drawing of the graph as inline SVG, laid out in Python.

Columns are fixed by what a node is (who → assumed roles → functions → execution roles →
resources), so the picture reads left to right the way access flows. Within a column the
order is chosen by the barycenter heuristic (Sugiyama et al.): a few sweeps that place each
node at the mean height of its neighbours, which removes most edge crossings. No numpy,
no JavaScript: the SVG is complete when written, and every text in it is escaped.
"""

from __future__ import annotations

from html import escape

ROW = 46  # vertical pitch of boxes
WAYPOINT = 14  # vertical pitch of an edge passing through a column
BOX_H = 34
GAP = 110  # horizontal space between columns, for the edges
TOP = 44  # room for the column headings
CHAR_W = 7.0  # average width of one character of the 12px label font (bold)
MAX_CHARS = 32
MIN_W, MAX_W = 120, 256
SWEEPS = 8
TONES = {"public": "#c5221f", "cross": "#e8710a", "exec": "#80868b", "assume": "#8e24aa", "plain": "#5f6368"}
KIND_ORDER = {"anyone": 0, "account": 1, "principal": 2, "service": 3, "user": 4, "role": 5, "function": 6,
              "resource": 7}


def render_svg(graph: dict) -> str:
    """The SVG element for the model's graph (see html_model._graph)."""
    if not graph["nodes"]:
        return ""
    columns = [c["index"] for c in graph["columns"]]
    boxes, routes = layout(graph["nodes"], graph["edges"], columns)
    width = max(b["x"] + b["w"] for b in boxes.values()) + 70
    height = max([b["y"] + BOX_H for b in boxes.values()] + [y for r in routes for _, _, y in r]) + 16
    out = [f'<svg class="graph" viewBox="0 0 {width:.0f} {height:.0f}" '
           f'width="{width:.0f}" height="{height:.0f}" role="img" aria-labelledby="graph-title">',
           '<title id="graph-title">Graph of principals, functions, execution roles and resources</title>',
           _markers()]
    x_of = {}
    for box in boxes.values():
        x_of.setdefault(box["column"], (box["x"], box["w"]))
    for column in graph["columns"]:
        x, w = x_of[column["index"]]
        out.append(f'<text class="col" x="{x + w / 2:.1f}" y="20" text-anchor="middle">'
                   f'{escape(column["title"])}</text>')
    for edge, route in zip(graph["edges"], routes):
        out.append(_edge(edge, boxes[edge["source"]], boxes[edge["target"]], route))
    for node in graph["nodes"]:
        out.append(_box(node, boxes[node["id"]]))
    out.append("</svg>")
    return "\n".join(out)


def layout(nodes: list[dict], edges: list[dict], columns: list[int]) -> tuple[dict[str, dict], list[list]]:
    """Boxes (id → {x, y, w, column}) and, per edge, the waypoints it passes through.

    An edge that skips columns gets a waypoint (a "dummy node", in Sugiyama's terms) in each
    column it crosses, ordered with the boxes: so it runs between boxes, never through one.
    """
    by_column: dict[int, list] = {c: [] for c in columns}
    column_of: dict = {}
    for node in sorted(nodes, key=lambda n: (KIND_ORDER.get(n["kind"], 9), n["label"], n["id"])):
        by_column[node["column"]].append(node["id"])
        column_of[node["id"]] = node["column"]
    neighbours: dict = {n["id"]: [] for n in nodes}
    chains = []
    for i, edge in enumerate(edges):
        crossed = [c for c in columns if column_of[edge["source"]] < c < column_of[edge["target"]]]
        chain = [("~", i, c) for c in crossed]
        for waypoint, column in zip(chain, crossed):
            by_column[column].append(waypoint)
            column_of[waypoint] = column
            neighbours[waypoint] = []
        path = [edge["source"], *chain, edge["target"]]
        for a, b in zip(path, path[1:]):
            if a != b:
                neighbours[a].append(b)
                neighbours[b].append(a)
        chains.append(chain)
    _order(by_column, columns, neighbours, column_of)
    y = _straighten(by_column, columns, neighbours, column_of)
    boxes, spans, x = {}, {}, 16.0
    for column in columns:
        real = [n for n in nodes if n["column"] == column]
        longest = max(max(len(_short(n["label"])), len(_short(n["sub"])) * 0.85) for n in real)
        w = max(MIN_W, min(MAX_W, longest * CHAR_W + 26))
        spans[column] = (x, w)
        for node in real:
            boxes[node["id"]] = {"x": x, "y": TOP + y[node["id"]] - BOX_H / 2, "w": w, "column": column}
        x += w + GAP
    routes = [[(spans[w[2]][0], spans[w[2]][0] + spans[w[2]][1], TOP + y[w]) for w in chain] for chain in chains]
    return boxes, routes


def _pitch(key) -> float:
    return WAYPOINT if isinstance(key, tuple) else ROW


def _stacked(by_column: dict) -> dict:
    """Each column's items one under the other, the columns centred on the tallest."""
    totals = {c: sum(_pitch(k) for k in ids) for c, ids in by_column.items()}
    tallest, out = max(totals.values()), {}
    for column, ids in by_column.items():
        y = (tallest - totals[column]) / 2
        for key in ids:
            out[key] = y + _pitch(key) / 2
            y += _pitch(key)
    return out


def _order(by_column: dict, columns: list[int], neighbours: dict, column_of: dict) -> None:
    """The barycenter heuristic: sweep right then left, sorting each column by the mean
    height of its neighbours on the side already placed (stable, so ties keep their order)."""
    for sweep in range(SWEEPS):
        forward = sweep % 2 == 0
        for column in (columns if forward else columns[::-1])[1:]:
            y = _stacked(by_column)
            side = {c for c in columns if (c < column if forward else c > column)}

            def mean(key) -> float:
                near = [y[n] for n in neighbours[key] if column_of[n] in side]
                return sum(near) / len(near) if near else y[key]
            by_column[column] = sorted(by_column[column], key=mean)


def _straighten(by_column: dict, columns: list[int], neighbours: dict, column_of: dict) -> dict:
    """Heights: each item as near the mean height of its neighbours as the order allows.

    With the order fixed, this is isotonic regression (pool adjacent violators) on each
    column's wished-for heights less their minimum spacing: edges run as level as they can.
    """
    y = _stacked(by_column)
    for sweep in range(4):
        for column in columns if sweep % 2 == 0 else columns[::-1]:
            ids = by_column[column]
            spacing, offsets = 0.0, []
            for i, key in enumerate(ids):
                spacing += (_pitch(ids[i - 1]) + _pitch(key)) / 2 if i else 0.0
                offsets.append(spacing)
            wished = []
            for key, offset in zip(ids, offsets):
                near = [y[n] for n in neighbours[key] if column_of[n] != column]
                wished.append((sum(near) / len(near) if near else y[key]) - offset)
            lowest = _pitch(ids[0]) / 2
            for key, base, offset in zip(ids, _isotonic(wished), offsets):
                y[key] = max(base, lowest) + offset
    top = min(y[ids[0]] - _pitch(ids[0]) / 2 for ids in by_column.values())
    return {key: value - top for key, value in y.items()}


def _isotonic(values: list[float]) -> list[float]:
    """The non-decreasing sequence nearest to `values` (least squares): pool adjacent violators."""
    blocks: list[list[float]] = []  # [mean, count]
    for value in values:
        blocks.append([value, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean, count = blocks.pop()
            blocks[-1] = [(blocks[-1][0] * blocks[-1][1] + mean * count) / (blocks[-1][1] + count),
                          blocks[-1][1] + count]
    return [mean for mean, count in blocks for _ in range(int(count))]


def _short(text: str) -> str:
    """A label that fits its box: the middle elided (the full text is in the tooltip)."""
    if len(text) <= MAX_CHARS:
        return text
    keep = MAX_CHARS - 1
    return text[: keep // 2] + "…" + text[-(keep - keep // 2):]


def _box(node: dict, box: dict) -> str:
    classes = escape(f"node k-{node['kind']}" + (" finding" if node["finding"] else ""))
    x, y, w = box["x"], box["y"], box["w"]
    tip = f"{node['id']}\n{node['sub']}" + ("\nnamed by a finding" if node["finding"] else "")
    parts = [f'<g class="{classes}"><title>{escape(tip)}</title>',
             f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{BOX_H}" rx="5"/>',
             f'<text class="label" x="{x + 9:.1f}" y="{y + 14:.1f}">{escape(_short(node["label"]))}</text>',
             f'<text class="sub" x="{x + 9:.1f}" y="{y + 27:.1f}">{escape(_short(node["sub"]))}</text>']
    if node["finding"]:
        parts.append(f'<circle class="badge" cx="{x + w:.1f}" cy="{y:.1f}" r="7"/>'
                     f'<text class="badge-text" x="{x + w:.1f}" y="{y + 4:.1f}" text-anchor="middle">!</text>')
    parts.append("</g>")
    return "".join(parts)


def _edge(edge: dict, source: dict, target: dict, route: list) -> str:
    """A curve from the right of the source to the left of the target, straight through the
    columns it crosses; same-column and backward edges bend out so they miss the boxes."""
    sy, ty = source["y"] + BOX_H / 2, target["y"] + BOX_H / 2
    if source["column"] < target["column"]:
        points = [(source["x"] + source["w"], sy)]
        for left, right, y in route:
            points += [(left, y), (right, y)]
        points.append((target["x"] - 2, ty))
        path = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
        for i in range(0, len(points) - 1, 2):
            (ax, ay), (bx, by) = points[i], points[i + 1]
            bend = (bx - ax) / 2
            if i:
                path += f" L{ax:.1f},{ay:.1f}"
            path += f" C{ax + bend:.1f},{ay:.1f} {bx - bend:.1f},{by:.1f} {bx:.1f},{by:.1f}"
    elif source["column"] > target["column"]:
        sx, tx = source["x"], target["x"] + target["w"] + 2
        path = f"M{sx:.1f},{sy:.1f} C{sx - 60:.1f},{sy + 30:.1f} {tx + 60:.1f},{ty + 30:.1f} {tx:.1f},{ty:.1f}"
    else:
        sx, tx = source["x"], target["x"] - 2
        bend = 40 + abs(ty - sy) / 6
        path = f"M{sx:.1f},{sy:.1f} C{sx - bend:.1f},{sy:.1f} {tx - bend:.1f},{ty:.1f} {tx:.1f},{ty:.1f}"
    tone = _tone(edge)
    classes = escape(f"edge {tone} e-{edge['kind']}" + (" conditional" if edge["decision"] == "conditional" else ""))
    tip = f"{edge['source']} → {edge['target']}\n{edge['kind']}: {edge['decision']}"
    if edge["actions"]:
        tip += "\n" + "\n".join(edge["actions"])
    if edge["public"]:
        tip += "\npublic: anyone"
    elif edge["cross_account"]:
        tip += "\ncross-account"
    return (f'<path class="{classes}" d="{path}" marker-end="url(#arrow-{tone})">'
            f"<title>{escape(tip)}</title></path>")


def _tone(edge: dict) -> str:
    if edge["public"]:
        return "public"
    if edge["cross_account"]:
        return "cross"
    return {"executes-as": "exec", "may-assume": "assume"}.get(edge["kind"], "plain")


def _markers() -> str:
    marks = "".join(
        f'<marker id="arrow-{tone}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" '
        f'markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        for tone, colour in TONES.items())
    return f"<defs>{marks}</defs>"

