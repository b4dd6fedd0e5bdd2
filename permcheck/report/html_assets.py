"""The report page's own style and script, inline in every page (see report/html.py).

The script is progressive: it only adds a filter box; the page is complete without it.
It uses no inline handlers, so the page's Content-Security-Policy can allow exactly this
script by its hash.
"""

CSS = """
:root{color-scheme:light;--fg:#202124;--muted:#5f6368;--line:#dadce0;--bg:#fff;--soft:#f8f9fa}
*{box-sizing:border-box}
body{
  margin:0 auto;max-width:1500px;padding:0 24px 40px;
  font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{border-bottom:1px solid var(--line);padding:12px 0 8px}
h1{font-size:24px;margin:8px 0 4px}
h2{font-size:19px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
a{color:#1a73e8}
.meta{color:var(--muted);margin:4px 0}
.none{color:var(--muted);font-style:italic}
nav{margin:6px 0}
[hidden]{display:none!important}
.chip{
  display:inline-block;padding:1px 9px;border-radius:10px;font-weight:600;font-size:12.5px;margin-right:6px;
  background:#e8eaed;color:var(--fg)}
.sev-critical.chip{background:#a50e0e;color:#fff}
.sev-high.chip{background:#d93025;color:#fff}
.sev-medium.chip{background:#f9ab00;color:#202124}
.sev-low.chip{background:#d2e3fc;color:#174ea6}
.muted.chip{background:#e8eaed;color:var(--muted)}
.finding{
  border:1px solid var(--line);border-left:5px solid #9aa0a6;border-radius:6px;padding:8px 12px;margin:8px 0;
  background:var(--bg)}
.finding p{margin:3px 0}
.finding.sev-critical{border-left-color:#a50e0e}
.finding.sev-high{border-left-color:#d93025}
.finding.sev-medium{border-left-color:#f9ab00}
.finding.sev-low{border-left-color:#4285f4}
.finding.suppressed{opacity:.75;border-left-color:#bdc1c6}
.finding .where{color:var(--muted)}
.finding .fix{color:#0d652d}
.finding .reason{color:var(--muted);font-style:italic}
.finding .docs{font-size:12.5px}
.errors{border:2px solid #d93025;border-radius:6px;padding:4px 14px;background:#fce8e6}
.picture{overflow:auto;border:1px solid var(--line);border-radius:6px;background:var(--soft);max-height:900px}
svg.graph{display:block;max-width:100%;height:auto;font:12px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
svg.graph .col{font-weight:700;fill:var(--muted);font-size:13px}
.node rect{fill:#fff;stroke:#9aa0a6;stroke-width:1.2}
.node .label{fill:var(--fg);font-weight:600}
.node .sub{fill:var(--muted);font-size:10.5px}
.k-anyone rect{fill:#fce8e6;stroke:#c5221f;stroke-width:2}
.k-service rect{fill:#e8f0fe;stroke:#669df6}
.k-account rect,.k-principal rect{fill:#f3e8fd;stroke:#a142f4}
.k-user rect{fill:#fef7e0;stroke:#f9ab00}
.k-role rect{fill:#fef7e0;stroke:#e37400}
.k-function rect{fill:#e6f4ea;stroke:#1e8e3e}
.k-resource rect{fill:#f1f3f4;stroke:#80868b}
.node.finding rect{stroke:#d93025;stroke-width:2.4}
.badge{fill:#d93025}
.badge-text{fill:#fff;font-weight:700;font-size:11px}
.edge{fill:none;stroke-width:1.4;opacity:.85}
.edge:hover{stroke-width:3;opacity:1}
.edge.plain{stroke:#5f6368}
.edge.exec{stroke:#80868b}
.edge.assume{stroke:#8e24aa}
.edge.cross{stroke:#e8710a;stroke-width:2.2}
.edge.public{stroke:#c5221f;stroke-width:3}
.edge.conditional{stroke-dasharray:7 4}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:6px 22px;color:var(--muted);font-size:13px}
.legend li{display:flex;align-items:center;gap:6px}
.badge-sample{
  display:inline-block;width:15px;height:15px;border-radius:50%;background:#d93025;color:#fff;font-weight:700;
  font-size:11px;text-align:center;line-height:15px}
.subject{margin:0 0 18px}
table{border-collapse:collapse;width:100%;margin:4px 0;table-layout:fixed}
.invokers th:nth-child(1){width:27%}
.invokers th:nth-child(2){width:9%}
.invokers th:nth-child(3){width:17%}
.invokers th:nth-child(4){width:25%}
.access th:nth-child(1){width:27%}
.access th:nth-child(2){width:17%}
.access th:nth-child(3){width:9%}
.access th:nth-child(4){width:22%}
th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
tr.public td{background:#fce8e6}
tr.cross td{background:#fef7e0}
.decision{font-weight:700}
.decision.allowed{color:#137333}
.decision.conditional{color:#b06000}
.decision.denied{color:#c5221f}
.tag{font-size:11px;font-weight:700;border-radius:8px;padding:0 6px;color:#fff}
.tag.public{background:#c5221f}
.tag.cross{background:#e8710a}
.tag.how{background:#5f6368}
h4{font-size:13.5px;margin:10px 0 4px}
.triggers th:nth-child(1){width:24%}
.triggers th:nth-child(2){width:9%}
.triggers th:nth-child(4){width:20%}
ol.path{margin:0;padding-left:18px}
ol.path li{margin:0 0 3px}
.via{color:var(--muted);font-size:12.5px;margin-top:2px}
.note{color:var(--muted);font-size:12.5px;margin:2px 0}
details{margin:4px 0}
summary{cursor:pointer}
summary h3{display:inline-block;margin:10px 0 4px}
details.application{border-top:1px solid var(--line);padding:4px 0}
details.application[open]{padding-bottom:12px}
details.application .subject{margin:10px 0 14px 18px}
table.compact{margin-left:18px;width:calc(100% - 18px)}
.compact td,.compact th{padding:2px 6px}
footer{margin-top:30px;color:var(--muted);font-size:12.5px;border-top:1px solid var(--line);padding-top:8px}
@media print{#filter-wrap{display:none!important}.picture{max-height:none;overflow:visible}}
"""

SCRIPT = """
(function () {
  var wrap = document.getElementById("filter-wrap"), box = document.getElementById("filter");
  var count = document.getElementById("filter-count");
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-filter]"));
  var subjects = Array.prototype.slice.call(document.querySelectorAll(".subject"));
  wrap.hidden = false;
  box.addEventListener("input", function () {
    var q = box.value.trim().toLowerCase(), shown = 0;
    items.forEach(function (el) {
      el.hidden = q !== "" && el.textContent.toLowerCase().indexOf(q) < 0;
      if (!el.hidden) { shown += 1; }
    });
    subjects.forEach(function (el) {
      var head = el.querySelector("h3").textContent.toLowerCase();
      var rows = el.querySelectorAll("[data-filter]");
      var visible = Array.prototype.some.call(rows, function (r) { return !r.hidden; });
      if (q !== "" && head.indexOf(q) >= 0) {
        Array.prototype.forEach.call(rows, function (r) { r.hidden = false; });
        visible = true;
      }
      el.hidden = q !== "" && !visible;
    });
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) {
      // a match inside a collapsed section (an application, a severity) opens it; an
      // application without one is hidden while the filter is on
      var hit = d.querySelector("[data-filter]:not([hidden])") !== null;
      if (q !== "" && hit) { d.open = true; }
      if (d.classList.contains("application")) {
        var named = d.querySelector("summary").textContent.toLowerCase().indexOf(q) >= 0;
        d.hidden = q !== "" && !hit && !named;
      }
    });
    count.textContent = q === "" ? "" : shown + " of " + items.length + " rows match";
  });
})();
"""
