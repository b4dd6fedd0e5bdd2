"""`permcheck report`: the page's data, its HTML, its picture, the command, and a real browser.

The page must be complete offline (contract: "no network needed to view it"), and every
value in it comes from templates, which are untrusted: a resource called `<script>` is text.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.cli_helpers import run
from tests.conftest import ROOT

EXAMPLE = ROOT / "fixtures" / "example-app"
SCREENSHOT = ROOT / "docs" / "report-example-app.png"

EVIL = """
Resources:
  EvilQueue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: "<script>alert('queue')</script>"}
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: "r<img src=x onerror=alert(1)>"
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: "p\\"><b>bold</b>"
          PolicyDocument:
            Statement: [{Effect: Allow, Action: sqs:SendMessage, Resource: !GetAtt EvilQueue.Arn}]
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: "fn-<script>alert(2)</script>"
      Role: !GetAtt Role.Arn
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
  Anyone:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: "*"}
"""


def build(*paths: Path) -> tuple[dict, object]:
    """The report's model for `paths`, as the command builds it; and the edges."""
    from permcheck.cli import Run
    from permcheck.report.html_build import build_model
    from permcheck.rules.registry import load_rules
    from permcheck.rules.run import run_checks

    runner = Run([str(p) for p in paths], None, None, (), (), False, None)
    rules = load_rules((), runner.config)
    models = runner.models("json")
    model = build_model(models, run_checks(models, rules, runner.config), rules, {"inputs": ["example"]})
    return model, models[0].edges


@pytest.fixture(scope="module")
def example() -> tuple[dict, object]:
    return build(EXAMPLE)


@pytest.fixture(scope="module")
def page(example) -> str:
    from permcheck.report.html import render_html

    return render_html(example[0])


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <style> and <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.inline: dict[str, list[str]] = {"style": [], "script": []}
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open = tag if tag in self.inline else None

    def handle_data(self, data):
        if self._open:
            self.inline[self._open].append(data)

    def handle_endtag(self, tag):
        self._open = None


def parse(text: str) -> Tags:
    tags = Tags()
    tags.feed(text)
    return tags


# -- the model ----------------------------------------------------------------------------------
def test_model_has_the_findings_by_severity_with_fix_and_place(example):
    findings = example[0]["findings"]
    public = [f for f in findings if f["rule"] == "public-invoke"]
    assert len(public) == 1 and public[0]["severity"] == "critical"
    assert public[0]["resource"] == "WebhookUrlPermission" and public[0]["line"]
    assert public[0]["fix"] and public[0]["docs"][0].startswith("https://docs.aws.amazon.com/")
    assert [f["severity"] for f in findings] == sorted((f["severity"] for f in findings),
                                                        key=("critical", "high", "medium", "low").index)
    assert example[0]["summary"]["critical"] == 1 and example[0]["summary"]["public_functions"] == 1


def test_model_has_every_function_with_its_who_can_invoke_answer(example):
    from permcheck.graph.query import who_can_invoke
    from permcheck.report.answers_json import to_json

    model, edges = example
    functions = edges.index.inventory.functions
    assert sorted(f["arn"] for f in model["functions"]) == sorted(functions)
    for entry in model["functions"]:
        expected = to_json(who_can_invoke(edges, functions[entry["arn"]]))["principals"]
        assert [{k: v for k, v in r.items() if k not in ("public", "cross_account")} for r in entry["invokers"]] \
            == expected
    webhook = next(f for f in model["functions"] if f["name"] == "orders-webhook")
    assert any(r["principal"] == "*" and r["public"] for r in webhook["invokers"])
    partner = next(f for f in model["functions"] if f["name"] == "partner-sync")
    assert any(r["cross_account"] for r in partner["invokers"])


def test_model_has_what_each_execution_role_can_access(example):
    model, edges = example
    roles = {str(f.role) for f in edges.index.inventory.functions.values()}
    assert {r["arn"] for r in model["roles"]} == roles
    nightly = next(r for r in model["roles"] if r["name"] == "orders-nightly-report-role")
    assert any("s3:*" in row["actions"] and row["resource"] == "*" for row in nightly["access"])
    assert nightly["functions"] == ["orders-nightly-report"]


def test_graph_highlights_public_and_cross_account_edges(example):
    graph = example[0]["graph"]
    public = [e for e in graph["edges"] if e["public"]]
    assert [(e["source"], e["target"].rsplit(":", 1)[-1], e["decision"]) for e in public] == \
        [("*", "orders-webhook", "allowed")]  # URL invoke allowed, plain invoke conditional: one edge
    cross = [e for e in graph["edges"] if e["cross_account"]]
    assert [e["source"] for e in cross] == ["arn:aws:iam::210987654321:role/partner-integration"]
    assert any(e["decision"] == "conditional" for e in graph["edges"])
    labels = {n["label"] for n in graph["nodes"]}
    assert {"* (anyone)", "* (every resource)", "orders-webhook", "OrdersTable"} <= labels
    assert graph["note"] is None


# -- the page ---------------------------------------------------------------------------------------
def test_page_shows_findings_and_a_table_per_function_and_role(page, example):
    assert "anyone on the internet can call" in page
    assert 'class="finding sev-critical"' in page
    for fn in example[0]["functions"]:
        section = page.split(f"<h3>{fn['name']}</h3>", 1)[1].split('<div class="subject"', 1)[0]
        assert '<table class="invokers">' in section or "No principal in the inputs can invoke it." in section
        for row in fn["invokers"]:
            assert f"<code>{row['principal']}</code>" in section
    for role in example[0]["roles"]:
        assert f"<h3>{role['name']}</h3>" in page
    invokers = "".join(re.findall(r'<table class="invokers">.*?</table>', page))
    assert invokers.count('<tr class="allowed public"') == 1  # `*` on orders-webhook


def test_page_loads_nothing_from_elsewhere(page):
    """No src anywhere; hrefs only to anchors or, on <a>, to AWS documentation."""
    tags = parse(page)
    assert not [t for t, _ in tags.tags if t in ("link", "iframe", "object", "embed", "img", "base", "form")]
    for tag, attrs in tags.tags:
        assert "src" not in attrs and "srcset" not in attrs and "xlink:href" not in attrs, tag
        href = attrs.get("href")
        if href is not None and not href.startswith("#"):
            assert tag == "a" and href.startswith("https://docs.aws.amazon.com/"), (tag, href)
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", page.replace(
        'href="https://docs.aws.amazon.com/', ""), re.I)
    css = "".join(tags.inline["style"])
    assert "url(" not in css and "@import" not in css and "@font-face" not in css
    assert "fetch(" not in "".join(tags.inline["script"]) and "XMLHttpRequest" not in page


def test_page_allows_only_its_own_style_and_script(page):
    """The CSP names the hashes of exactly the inline style and script, and nothing else may load."""
    tags = parse(page)
    csp = next(a["content"] for t, a in tags.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp
    for kind in ("style", "script"):
        (text,) = tags.inline[kind]
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"{kind}-src 'sha256-{digest}'" in csp
    assert not [a for _, attrs in tags.tags for a in attrs if a.startswith("on") or a == "style"]


def test_values_from_templates_are_text_never_markup(tmp_path):
    from permcheck.report.html import render_html

    (tmp_path / "t.yaml").write_text(EVIL)
    model, _ = build(tmp_path)
    page = render_html(model)
    tags = parse(page)
    assert [t for t, _ in tags.tags].count("script") == 1 and "img" not in [t for t, _ in tags.tags]
    assert "<b>bold</b>" not in page and 'p&quot;&gt;&lt;b&gt;bold&lt;/b&gt;' in page  # the policy name, in `because`
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page and "&lt;script&gt;alert(&#x27;queue&#x27;)" in page
    assert "r&lt;img src=x onerror=alert(1)&gt;" in page


def test_every_string_of_the_model_is_escaped(example):
    """Poison every string of the model (ids included): the page gains no element or attribute."""
    from permcheck.report.html import render_html

    marker = "\"'><script>x</script><i title='"

    def poison(value, enums: bool):
        if isinstance(value, dict):
            return {k: v if not enums and k in ("severity", "decision", "kind") else poison(v, enums)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [poison(v, enums) for v in value]
        return value + marker if isinstance(value, str) else value

    clean = parse(render_html(example[0])).tags
    for enums in (False, True):
        page = render_html(poison(example[0], enums))
        tags = parse(page).tags
        assert "<script>x" not in page and "<i title" not in page
        assert [t for t, _ in tags].count("script") == 1 and "i" not in [t for t, _ in tags]
        assert {a for _, attrs in tags for a in attrs} <= {a for _, attrs in clean for a in attrs}
    assert render_html(poison(example[0], False)).count("&lt;script&gt;x&lt;/script&gt;") > 100


def test_picture_edges_never_cross_a_box(example):
    """An edge that skips a column passes it between boxes (a waypoint), not through one."""
    from permcheck.report.graph_svg import BOX_H, layout

    graph = example[0]["graph"]
    boxes, routes = layout(graph["nodes"], graph["edges"], [c["index"] for c in graph["columns"]])
    assert any(routes)  # partner-integration → partner-sync crosses "Assumed roles"
    for route in routes:
        for left, _, y in route:
            assert not [b for b in boxes.values() if b["x"] == left and b["y"] - 4 < y < b["y"] + BOX_H + 4]
    columns = {}
    for box in boxes.values():
        columns.setdefault(box["x"], []).append(box["y"])
    for ys in columns.values():
        ys.sort()
        assert all(b - a >= BOX_H for a, b in zip(ys, ys[1:]))


def test_very_large_graph_draws_only_the_paths_that_matter(tmp_path):
    from permcheck.report.html import render_html

    parts = ["Resources:"]
    for i in range(60):  # 60 functions, each with its own role and queue: 181 nodes with `*`
        parts.append(f"""
  Q{i}: {{Type: AWS::SQS::Queue, Properties: {{QueueName: q{i}}}}}
  R{i}:
    Type: AWS::IAM::Role
    Properties:
      RoleName: r{i}
      AssumeRolePolicyDocument:
        Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: sts:AssumeRole}}]
      Policies:
        - PolicyName: p
          PolicyDocument: {{Statement: [{{Effect: Allow, Action: sqs:SendMessage, Resource: !GetAtt Q{i}.Arn}}]}}
  F{i}:
    Type: AWS::Lambda::Function
    Properties:
      {{FunctionName: f{i}, Role: !GetAtt R{i}.Arn, Runtime: python3.12, Handler: i.h, Code: {{ZipFile: x}}}}""")
    parts.append("""
  Anyone:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref F7, Action: lambda:InvokeFunction, Principal: "*"}""")
    (tmp_path / "big.yaml").write_text("".join(parts))
    model, _ = build(tmp_path)
    graph = model["graph"]
    assert graph["total"]["nodes"] == 181 and len(model["functions"]) == 60
    assert sorted(n["label"] for n in graph["nodes"]) == ["* (anyone)", "Q7", "f7", "r7"]
    assert "only the 4 nodes on public, cross-account or finding paths are drawn" in graph["note"]
    page = render_html(model)
    assert graph["note"] in page and page.count('<div class="subject" id="fn-') == 60


def test_long_tables_are_capped_with_public_rows_first(example, monkeypatch):
    from permcheck.report import html_model
    from permcheck.report.html import render_html

    rows = [{"principal": f"p{i}", "public": i == 5, "cross_account": i == 7} for i in range(10)]
    monkeypatch.setattr(html_model, "MAX_ROWS", 3)
    capped = html_model._capped("invokers", rows)
    assert [r["principal"] for r in capped["invokers"]] == ["p0", "p5", "p7"] and capped["omitted"] == 7
    monkeypatch.setattr(html_model, "MAX_ROWS", 1)
    model, edges = build(EXAMPLE)
    webhook = next(f for f in model["functions"] if f["name"] == "orders-webhook")
    assert len(webhook["invokers"]) == 1 and webhook["omitted"] == 1
    assert "1 more rows are not shown: <code>permcheck who-can-invoke " in render_html(model)


# -- the command -------------------------------------------------------------------------------------
def test_report_writes_the_page_and_exits_0(tmp_path):
    out = tmp_path / "report.html"
    out.write_text("old")
    result = run("report", str(EXAMPLE), "-o", str(out))
    assert result.code == 0, result.err
    assert result.out.startswith(f"wrote {out}: 1 critical, 2 high, 7 medium")
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left behind
    assert oct(out.stat().st_mode & 0o777) != oct(0o600)
    result = run("report", str(EXAMPLE), "--output", str(out), "--format", "json")
    assert result.code == 0 and result.json()["summary"]["critical"] == 1 and result.json()["report"] == str(out)


def test_report_input_errors_exit_2_and_write_nothing(tmp_path):
    out = tmp_path / "report.html"
    for args in (("report", str(tmp_path / "missing.yaml"), "-o", str(out)),
                 ("report", str(EXAMPLE)),
                 ("report", str(EXAMPLE), "-o", str(tmp_path / "no-such-dir" / "r.html")),
                 ("report", str(EXAMPLE), "-o", str(out), "--rules", str(tmp_path / "nope"))):
        result = run(*args)
        assert result.code == 2 and len(result.err.strip().splitlines()) == 1, (args, result.err)
        assert result.err.startswith("permcheck: error: ")
    assert list(tmp_path.iterdir()) == []


# -- a real browser ------------------------------------------------------------------------------------
CHROMIUM = os.environ.get("PERMCHECK_CHROMIUM") or next(
    filter(None, map(shutil.which, ("chromium", "google-chrome", "chromium-browser"))), None)


def _unavailable(reason: str) -> None:
    """Skip, unless CI installed the browser and says so (PERMCHECK_REQUIRE_BROWSER=1): then fail."""
    if os.environ.get("PERMCHECK_REQUIRE_BROWSER") == "1":
        pytest.fail(f"PERMCHECK_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by playwright (no browser download); skipped when either is missing."""
    if not CHROMIUM:
        _unavailable("no chromium on PATH (apt-get install chromium, or set PERMCHECK_CHROMIUM)")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright; no browser download needed)")
    with sync_playwright() as driver:
        try:
            chromium = driver.chromium.launch(executable_path=CHROMIUM)
        except Error as error:
            _unavailable(f"chromium at {CHROMIUM} does not start: {str(error).splitlines()[0]}")
        yield chromium
        chromium.close()


def _open(browser, path: Path):
    """Load a page from a file:// URL, recording errors, failed requests and any request to elsewhere."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = {"errors": [], "failed": [], "elsewhere": [], "dialogs": []}
    page.on("console", lambda m: m.type in ("error", "warning") and seen["errors"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("requestfailed", lambda r: seen["failed"].append(r.url))
    page.on("request", lambda r: r.url.startswith(("file:", "data:")) or seen["elsewhere"].append(r.url))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.goto(path.as_uri(), wait_until="load")
    return page, seen


def test_report_in_a_real_browser(browser, tmp_path):
    started = time.monotonic()
    out = tmp_path / "report.html"
    assert run("report", "fixtures/example-app", "-o", str(out)).code == 0  # relative: as a user would, from the repo
    page, seen = _open(browser, out)
    assert seen == {"errors": [], "failed": [], "elsewhere": [], "dialogs": []}
    finding = page.locator(".finding.sev-critical")
    assert finding.is_visible() and "anyone on the internet can call" in finding.inner_text()
    assert page.locator("#findings .finding").count() == 10
    picture = page.locator("svg.graph").bounding_box()
    assert picture and picture["width"] > 800 and picture["height"] > 200
    assert page.locator("svg.graph .node").count() == 31
    assert page.locator("#who-can-invoke h3").count() == 7 and page.locator("#roles h3").count() == 7
    assert page.locator("#filter").is_visible()  # the script ran under the page's CSP
    page.fill("#filter", "partner-integration")
    assert not finding.is_visible() and page.locator("#findings .finding:visible").count() == 2
    page.fill("#filter", "")
    shot = SCREENSHOT if os.environ.get("PERMCHECK_UPDATE_SCREENSHOT") == "1" else tmp_path / SCREENSHOT.name
    shot.parent.mkdir(parents=True, exist_ok=True)
    bottom = page.locator("#graph").bounding_box()
    page.screenshot(path=str(shot), full_page=True,
                    clip={"x": 0, "y": 0, "width": 1280, "height": bottom["y"] + bottom["height"] + 12})
    assert shot.stat().st_size > 10_000
    assert seen["errors"] == [] and seen["failed"] == []
    assert time.monotonic() - started < 60


def test_hostile_names_stay_text_in_a_real_browser(browser, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "t.yaml").write_text(EVIL)
    out = tmp_path / "evil.html"
    assert run("report", str(tmp_path / "in"), "-o", str(out)).code == 0
    page, seen = _open(browser, out)
    assert seen == {"errors": [], "failed": [], "elsewhere": [], "dialogs": []}
    assert page.get_by_text("fn-<script>alert(2)</script>", exact=True).first.is_visible()
    assert page.locator("img").count() == 0 and page.locator("script").count() == 1
