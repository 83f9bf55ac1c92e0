"""Hostile article text in a real browser: every page that shows it shows it as text, and nothing runs.

Two articles go in through the service's own write routes (``POST /api/articles`` under
gunicorn, real spaCy extraction), with script tags, attribute breakers, ``javascript:`` URLs,
auto-firing event handlers, ``</textarea>``, ``</script>`` with U+2028/U+2029 (for data inside a
``<script>`` block) and template syntax in their title, author, URL, text and quotes; then
``POST /sparql/update`` puts the same payloads, each tagged with the field it sits in, into
every label, role, alias, claim, reporting verb and time text of their graphs. Debian's
Chromium (through Playwright, as in ``tests/test_browser.py``) opens every page that shows any
of it: the timeline with its axis (and its filters applied by script), every resource page of
the two articles, the SPARQL results page, the reconciliation preview and JSONP answers, and
error pages that repeat what was asked.

On each page: no payload ran (``window.__xss``, which every payload would set, stays
undefined; no dialog opened; no uncaught error), none became markup (no ``img[src=x]``, no
``on*`` attribute, no ``javascript:`` link, no inline script but the JSON data block), the
page fetched nothing but its own assets, and the payload is there to read as text.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from rdflib import Literal

from kgservice.web.reconcile import MAX_TEXT
from tests.chromium import chromium_browser, skip_module_without_chromium
from tests.live import serve

TOKEN = "xss-test-token-81d2"
TIMEOUT_MS = 10_000

skip_module_without_chromium()

from playwright.sync_api import Browser, Page  # noqa: E402  (after the skip)

# Every payload, if it ran, would add its tag to window.__xss (or open a dialog).
FLAG = "window.__xss=(window.__xss||[]).concat('TAG')"
PAYLOADS = {
    "script": f"<script>{FLAG}</script>",
    "attr": f'"><img src=x onerror="{FLAG}">',
    "single": f'\'><svg onload="{FLAG}">',
    "handler": "<details open ontoggle=\"alert('TAG')\"><summary>s</summary></details>",
    "textarea": f"</textarea><script>{FLAG}</script>",
    "json": f"</script><script>{FLAG}</script>\u2028\u2029<!--",
    "template": "{{ 7*7 }}{% if 1 %}TAG{% endif %}${7*7}",
    "jsurl": f"javascript:{FLAG}//",
    "iframe": "<iframe srcdoc=\"<script>parent.__xss=['TAG']</script>\"></iframe>",
}
SEEN_AS_TEXT = "{{ 7*7 }}"  # shown literally: no template ran on the data


def payload(tag: str) -> str:
    """Every payload, each tagged ``<tag>-<kind>`` (the tag names the field it is put in)."""
    return " ".join(text.replace("TAG", f"{tag}-{kind}") for kind, text in PAYLOADS.items())


ARTICLES = [
    {
        "id": "xss-one",
        "title": "Talks " + payload("title"),
        "author": "Ann Writer " + payload("author"),
        "url": "javascript://example.org/%0Awindow.__xss='url'",  # a valid IRI: stored as an IRI, never a link
        "published": "2018-09-11",
        "genre": "editorial",
        "text": (
            "John Smith met Jane Doe in Geneva on Monday. "
            f'"{payload("quote")} We will meet again," Smith said. '
            f'Doe said that the talks were "{payload("quote2")} fine". '
            "The two leaders should meet again."
        ),
    },
    {
        "id": "xss-two",
        "title": "Letter " + payload("title2"),
        "url": 'https://example.org/a"><script>window.__xss=["url2"]</script>',  # not an IRI: kept as text
        "published": "2018-09-12",
        "text": f'Jane Doe wrote to John Smith on Tuesday. "{payload("quote3")}," Doe wrote.',
    },
]

KG, RDFS, SKOS = (
    "https://w3id.org/kgservice/ns#",
    "http://www.w3.org/2000/01/rdf-schema#",
    "http://www.w3.org/2004/02/skos/core#",
)
SEM, SCHEMA = "http://semanticweb.cs.vu.nl/2009/11/sem/", "https://schema.org/"


def tagged_update(graphs: list[str]) -> str:
    """Append a tagged payload to every text a page shows of the graphs' actors, events and claims."""
    within = " ".join(f"<{g}>" for g in graphs)
    parts = []
    for prop, tag in (
        (f"{RDFS}label", "label"),
        (f"{KG}content", "content"),
        (f"{SCHEMA}text", "content"),
        (f"{KG}cue", "cue"),
        (f"{KG}timeText", "timetext"),
    ):
        parts.append(
            f"DELETE {{ GRAPH ?g {{ ?s <{prop}> ?old }} }} INSERT {{ GRAPH ?g {{ ?s <{prop}> ?new }} }} "
            f"WHERE {{ VALUES ?g {{ {within} }} GRAPH ?g {{ ?s <{prop}> ?old }} "
            f'BIND(CONCAT(STR(?old), " ", {Literal(payload(tag)).n3()}) AS ?new) }}'
        )
    for prop, tag in ((f"{KG}role", "role"), (f"{SKOS}altLabel", "alias")):
        parts.append(
            f"INSERT {{ GRAPH ?g {{ ?s <{prop}> {Literal(payload(tag)).n3()} }} }} "
            f"WHERE {{ VALUES ?g {{ {within} }} GRAPH ?g {{ ?s a <{SEM}Actor> }} }}"
        )
    return " ;\n".join(parts)


def post(url: str, body: bytes, content_type: str) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": content_type, "Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        text = response.read()
        return json.loads(text) if text else {}


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


@dataclass
class Site:
    """The running service and what the hostile articles put in it."""

    url: str
    articles: list[str]
    resources: list[str] = field(default_factory=list)  # every /id/… page of the two articles


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    location = tmp_path_factory.mktemp("xssstore") / "kg"
    with serve(location, tmp_path_factory.mktemp("xsslog") / "gunicorn.log", KG_API_TOKEN=TOKEN) as url:
        articles = [
            post(f"{url}/api/articles", json.dumps(a).encode(), "application/json")["article"] for a in ARTICLES
        ]
        form = urlencode({"update": tagged_update(articles)}).encode()
        post(f"{url}/sparql/update", form, "application/x-www-form-urlencoded")
        yield Site(url, articles, resources_of(url, articles))


def resources_of(url: str, articles: list[str]) -> list[str]:
    """Every subject of the articles' graphs that has a page of its own (actors, events, claims, the articles)."""
    within = " ".join(f"<{a}>" for a in articles)
    query = f"SELECT DISTINCT ?s WHERE {{ VALUES ?g {{ {within} }} GRAPH ?g {{ ?s ?p ?o }} FILTER(isIRI(?s)) }}"
    rows = get_json(f"{url}/sparql?{urlencode({'query': query, 'format': 'json'})}")["results"]["bindings"]
    found = sorted({r["s"]["value"].split("#")[0] for r in rows})
    return [iri for iri in found if any(f"/id/{kind}/" in iri for kind in ("actor", "event", "assertion", "article"))]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium_browser() as chromium:
        yield chromium


# What became of the payloads in a page: anything but empty lists and a null flag means one ran or became markup.
INSPECT_JS = """() => {
  const attrs = el => Array.from(el.attributes).map(a => [a.name, a.value]);
  const all = Array.from(document.querySelectorAll('*'));
  return {
    flag: window.__xss === undefined ? null : window.__xss,
    markup: Array.from(document.querySelectorAll(
      'img[src="x"], svg[onload], details[ontoggle], iframe, body script:not([src]):not([type="application/json"])'
    )).map(el => el.outerHTML.slice(0, 120)),
    handlers: all.filter(el => attrs(el).some(([name]) => name.startsWith('on'))).map(el => el.outerHTML.slice(0, 120)),
    jsLinks: all.filter(el => attrs(el).some(([name, value]) =>
      ['href', 'src', 'action', 'formaction', 'xlink:href'].includes(name) && /^\\s*javascript:/i.test(value)
    )).map(el => el.outerHTML.slice(0, 120)),
    text: document.body ? document.body.innerText : '',
    svgText: Array.from(document.querySelectorAll('svg text')).map(t => t.textContent).join(' '),
  };
}"""


@dataclass
class Visit:
    """One page as the browser saw it."""

    url: str
    status: int
    seen: dict[str, Any]
    dialogs: list[str]
    errors: list[str]
    requests: list[str]

    def problems(self, site: Site, fetches: tuple[str, ...] = ()) -> list[str]:
        """What went wrong; ``fetches`` are paths the test itself had the page fetch."""
        found = []
        if self.seen["flag"] is not None:
            found.append(f"payloads ran: {self.seen['flag']}")
        found += [f"dialog opened: {d}" for d in self.dialogs]
        found += [f"uncaught error: {e}" for e in self.errors]
        found += [f"payload became markup: {m}" for m in self.seen["markup"]]
        found += [f"event handler attribute: {m}" for m in self.seen["handlers"]]
        found += [f"javascript: link: {m}" for m in self.seen["jsLinks"]]
        found += [
            f"fetched {r}"
            for r in self.requests
            if not own_asset(r, site.url, self.url) and not r.removeprefix(site.url).startswith(fetches)
        ]
        return [f"{self.url}: {p}" for p in found]


def own_asset(requested: str, service: str, page: str) -> bool:
    """The page itself, its stylesheet, scripts and icon (or a fragment of the timeline, fetched by its filters)."""
    path = requested.removeprefix(service)
    return requested.split("#")[0] == page.split("#")[0] or path.startswith(("/static/", "/timeline?", "/timeline"))


class Tab:
    """One browser tab that visits page after page, recording dialogs, uncaught errors and requests of each."""

    def __init__(self, browser: Browser, site: Site) -> None:
        self.site = site
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def visit(self, path: str, then: Any = None) -> Visit:
        """Open ``path``, optionally act on the page, and inspect what became of the payloads."""
        self.dialogs, self.errors, self.requests = [], [], []
        self.page.goto("about:blank")
        self.requests.clear()
        response = self.page.goto(self.site.url + path, wait_until="load")
        assert response is not None
        if then is not None:
            then(self.page)
        seen = self.page.evaluate(INSPECT_JS)
        return Visit(self.page.url, response.status, seen, self.dialogs, self.errors, self.requests)


@pytest.fixture()
def tab(browser: Browser, site: Site) -> Iterator[Tab]:
    opened = Tab(browser, site)
    try:
        yield opened
    finally:
        opened.context.close()


def local(iri: str, site: Site) -> str:
    """The path of one of our IRIs on the running service."""
    return "/" + iri.split("/", 3)[3]


def test_hostile_text_is_stored_and_served_as_given(site: Site) -> None:
    """The articles went in whole: the text and the URL that is not an IRI are kept verbatim, as literals."""
    assert len(site.articles) == 2
    query = (
        f"SELECT ?body ?url WHERE {{ GRAPH <{site.articles[1]}> {{ <{site.articles[1]}> "
        f"<{SCHEMA}articleBody> ?body ; <{SCHEMA}url> ?url }} }}"
    )
    row = get_json(f"{site.url}/sparql?{urlencode({'query': query, 'format': 'json'})}")["results"]["bindings"][0]
    assert row["body"]["value"] == ARTICLES[1]["text"]
    assert row["url"] == {"type": "literal", "value": ARTICLES[1]["url"]}
    kinds = {iri.split("/id/")[1].split("/")[0] for iri in site.resources}
    assert kinds == {"actor", "event", "assertion", "article"}, site.resources


def test_timeline_with_its_axis_and_script_filters(tab: Tab, site: Site) -> None:
    def filter_by_typing(page: Page) -> None:
        page.locator("svg text.label").first.wait_for()  # the axis is drawn from the JSON data block
        field = page.locator("form[data-instant] input[name=actor]")
        with page.expect_response(lambda r: "/timeline?" in r.url and "actor=" in r.url):
            field.fill("Smith")
        page.wait_for_function("() => !document.getElementById('events').hasAttribute('aria-busy')")
        page.locator("svg text.label").first.wait_for()

    visited = tab.visit("/timeline", then=filter_by_typing)
    assert visited.status == 200
    assert not visited.problems(site), visited.problems(site)
    assert "Smith" in visited.url  # the filter applied by script
    for tag in ("label-script", "content-attr", "quote-json", "title-textarea", "cue-single", "timetext-handler"):
        assert f"'{tag}'" in visited.seen["text"], tag  # each field's payloads, shown as text
    assert SEEN_AS_TEXT in visited.seen["text"]
    assert "<script>" in visited.seen["svgText"]  # the axis labels: the JSON block read back as text
    typed = tab.visit("/timeline?" + urlencode({"actor": payload("filter")}))
    assert typed.status == 200 and not typed.problems(site), typed.problems(site)


def test_every_resource_page(tab: Tab, site: Site) -> None:
    problems, shown = [], 0
    for iri in site.resources:
        visited = tab.visit(local(iri, site))
        assert visited.status == 200, iri
        problems += visited.problems(site)
        shown += "concat('" in visited.seen["text"]
        assert SEEN_AS_TEXT in visited.seen["text"], iri
    assert not problems, "\n".join(problems)
    assert shown == len(site.resources)


def test_sparql_results_pages(tab: Tab, site: Site) -> None:
    within = " ".join(f"<{a}>" for a in site.articles)
    select = f"SELECT ?s ?p ?o WHERE {{ VALUES ?g {{ {within} }} GRAPH ?g {{ ?s ?p ?o }} FILTER(isLiteral(?o)) }}"
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?g {{ {within} }} GRAPH ?g {{ ?s ?p ?o }} }}"
    asked = f"SELECT ({Literal(payload('asked')).n3()} AS ?x) WHERE {{}}  # {payload('comment')}"
    for query in (select, construct, asked):
        visited = tab.visit("/sparql?" + urlencode({"query": query, "format": "html"}))
        assert visited.status == 200
        assert not visited.problems(site), visited.problems(site)
        assert "concat('" in visited.seen["text"] and SEEN_AS_TEXT in visited.seen["text"]
    box = tab.visit("/sparql?" + urlencode({"query": asked, "format": "html"}), then=query_box_text)
    assert not box.problems(site)


def query_box_text(page: Page) -> None:
    """The query box holds the query as sent, ``</textarea>`` and all."""
    value = page.locator("textarea#query").input_value()
    assert "</textarea><script>" in value and "comment-textarea" in value


def test_reconciliation_preview_and_jsonp(tab: Tab, site: Site) -> None:
    problems = []
    ids = [iri.split("/id/", 1)[1] for iri in site.resources if "/id/actor/" in iri or "/id/event/" in iri]
    previews = [i for i in ids if len(i) <= MAX_TEXT]  # the author's slug (from its payload name) is longer
    assert len(previews) >= 4
    for entity in previews:
        visited = tab.visit("/reconcile/preview?" + urlencode({"id": entity}))
        assert visited.status == 200, entity
        assert "concat('label-script')" in visited.seen["text"], entity
        problems += visited.problems(site)
    assert not problems, "\n".join(problems)

    def load_jsonp(page: Page) -> None:
        page.evaluate("() => { window.got = []; window.take = data => window.got.push(data); }")
        for path in (
            "/reconcile/suggest/entity?" + urlencode({"prefix": "John", "callback": "take"}),
            "/reconcile?" + urlencode({"queries": json.dumps({"q0": {"query": "Jane Doe"}}), "callback": "take"}),
        ):
            page.add_script_tag(url=site.url + path)
        got = json.dumps(page.evaluate("() => window.got"))
        assert got.count("label-script") >= 2, got  # the names arrived as data, payloads and all

    visited = tab.visit("/healthz", then=load_jsonp)
    assert not visited.problems(site, fetches=("/reconcile",)), visited.problems(site, fetches=("/reconcile",))


ERROR_PAGES = [
    "/timeline?" + urlencode({"from": payload("from")}),
    "/timeline?" + urlencode({"page": payload("page")}),
    "/timeline.json?" + urlencode({"format": payload("format")}),
    "/id/actor/" + quote(payload("slug"), safe=""),
    "/id/event/" + quote("x" + PAYLOADS["attr"].replace("TAG", "slug2"), safe=""),
    "/export?" + urlencode({"graph": payload("graph")}),
    "/export?" + urlencode({payload("param"): "1"}),
    "/sparql?" + urlencode({"query": payload("badquery"), "format": "html"}),
    "/sparql?" + urlencode({"query": "ASK {}", "default-graph-uri": payload("dgu")}),
    "/reconcile/preview?" + urlencode({"id": payload("preview")}),
]


def test_error_pages_that_repeat_the_request(tab: Tab, site: Site) -> None:
    problems = []
    for path in ERROR_PAGES:
        visited = tab.visit(path)
        assert 400 <= visited.status < 500, (path, visited.status)
        problems += visited.problems(site)
    assert not problems, "\n".join(problems)
