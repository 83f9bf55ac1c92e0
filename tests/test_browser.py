"""The pages in a real browser: Playwright drives Debian's Chromium against gunicorn serving the seed articles.

Nothing is downloaded at run time: the browser is ``/usr/bin/chromium`` (Debian's package, which
``make test`` installs where it can); ``playwright install`` is never run. Without that browser the
module is skipped, except under CI (``CI`` set), where a missing browser fails every test here.

Every page a test opens is watched: a console error, an uncaught script error, or a request to
anything but the service itself (a CDN, a font host…) fails the test. Each test leaves a full-page
screenshot in ``build/screenshots/<test name>.png``; ``build/screenshots/timeline.png`` is the
unfiltered timeline at 1280×900, the picture in the README. ``KG_UPDATE_SCREENSHOTS=1`` copies it
to ``docs/timeline.png`` (committed): run ``KG_UPDATE_SCREENSHOTS=1 make test`` after a visible
change to the timeline and commit the new picture.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS

from kgservice.settings import load_settings
from tests.backends import Backend
from tests.chromium import chromium_browser, skip_module_without_chromium
from tests.live import serve

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "build" / "screenshots"
README_SCREENSHOT = ROOT / "docs" / "timeline.png"
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 10_000
ACTOR = "John Bolton"

skip_module_without_chromium()

from playwright.sync_api import Browser, ConsoleMessage, Page, expect  # noqa: E402  (after the skip)

# Every event of the timeline and what a reader sees of it, read in the page.
EVENTS_JS = """events => events.map(e => {
  const link = e.querySelector('h3 a');
  const time = e.querySelector('p.when time[datetime]');
  const status = e.querySelector('.status-label');
  return {
    title: link ? link.textContent.trim() : null,
    href: link ? link.getAttribute('href') : null,
    status: status ? status.textContent.trim() : null,
    hasData: e.hasAttribute('data-earliest') || e.hasAttribute('data-latest'),
    earliest: e.getAttribute('data-earliest') || null,
    latest: e.getAttribute('data-latest') || null,
    dataStatus: e.getAttribute('data-status'),
    time: time ? time.getAttribute('datetime') : null,
  };
})"""
EVENTS = "ol.timeline article.event"


@dataclass
class Watched:
    """What one page did: console errors, uncaught exceptions, every URL it requested."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self) -> Watched:
        self.page.on("console", self.console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught error on {self.page.url}: {exc}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        return self

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console error on {self.page.url}: {message.text} (at {message.location.get('url')})")


@pytest.fixture(scope="module")
def service(
    backend: Backend, seed_store: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """gunicorn on a store of the seeds; the base URL (``http://127.0.0.1:PORT``)."""
    location = backend.copy_store(seed_store, request)  # closed before the server opens it
    with serve(location, tmp_path_factory.mktemp("browserlog") / "gunicorn.log") as url:
        yield url


def base_uri() -> str:
    """The base of the IRIs that ``build_seed_store`` mints (its settings, from the environment)."""
    return load_settings().base_uri


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium (Debian's) for the module."""
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture()
def open_page(browser: Browser, service: str, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """Open a watched page in a fresh context (``open_page(java_script_enabled=False)``…).

    After the test: a full-page screenshot of each page, then no console error, no uncaught
    exception and no request outside the service, on any of them.
    """
    opened: list[tuple[Any, Watched]] = []

    def opener(**options: Any) -> Page:
        context = browser.new_context(viewport=VIEWPORT, **options)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        opened.append((context, Watched(page).attach()))
        return page

    yield opener

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for number, (context, watched) in enumerate(opened, start=1):
        suffix = "" if number == 1 else f"-{number}"
        try:
            if not watched.page.is_closed():
                watched.page.screenshot(path=SCREENSHOTS / f"{request.node.name}{suffix}.png", full_page=True)
        finally:
            context.close()
        problems += watched.errors
        problems += [f"request outside the service: {url}" for url in watched.requests if not ours(url, service)]
    assert not problems, "\n".join(problems)


@pytest.fixture()
def page(open_page: Callable[..., Page]) -> Page:
    return open_page()


def ours(url: str, service: str) -> bool:
    return url == service or url.startswith(service + "/")


def events(page: Page) -> list[dict[str, Any]]:
    """The events listed on a timeline page, in page order."""
    return page.locator(EVENTS).evaluate_all(EVENTS_JS)


def first_date(event: dict[str, Any]) -> str | None:
    """When an event starts for ordering: its earliest bound, else its latest; the visible date without data-*."""
    if event["hasData"]:
        return event["earliest"] or event["latest"]
    return event["time"]


def api_events(service: str, **params: str) -> list[str]:
    """The slugs of ``/timeline.json``'s events for these filters, in order."""
    with urllib.request.urlopen(f"{service}/timeline.json?{urlencode(params)}", timeout=10) as response:
        return [e["id"].rsplit("/", 1)[1] for e in json.loads(response.read())["events"]]


def slugs(listed: list[dict[str, Any]]) -> list[str]:
    return [e["href"].rsplit("/", 1)[1] for e in listed]


def claimants(page: Page) -> list[str]:
    """The claimant (the first link) of every visible assertion on the page."""
    claims = page.locator("blockquote.claim")
    return [
        claims.nth(i).locator("a").first.inner_text()
        for i in range(claims.count())
        if claims.nth(i).is_visible() and claims.nth(i).locator("a").count()
    ]


def test_chronological_order(page: Page, service: str) -> None:
    page.goto(f"{service}/timeline")
    expect(page.locator(EVENTS).first).to_be_visible()
    listed = events(page)
    dates = [first_date(e) for e in listed]
    dated = [d for d in dates if d]
    assert len(dated) >= 2, f"too few dated events to check an order: {dates}"
    assert dated == sorted(dated), f"dated events out of order: {dates}"
    assert all(dates[: len(dated)]), f"an undated event comes before a dated one: {dates}"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "timeline.png")  # the README's picture: the first screen, 1280×900
    if os.environ.get("KG_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(SCREENSHOTS / "timeline.png", README_SCREENSHOT)


def test_time_axis_draws_every_event(page: Page, service: str) -> None:
    """The axis above the list is drawn by script, which hides it on failure: check that it shows every event."""
    page.goto(f"{service}/timeline")
    expect(page.locator("figure.axis")).to_be_visible()
    ids = page.locator(EVENTS).evaluate_all("events => events.map(e => '#' + e.id)")
    bars = page.locator("figure.axis a").evaluate_all("bars => bars.map(a => a.getAttribute('href'))")
    assert ids and sorted(bars) == sorted(ids)


def test_actor_filter(open_page: Callable[..., Page], service: str) -> None:
    page = open_page()
    page.goto(f"{service}/timeline")
    expect(page.locator(EVENTS).first).to_be_visible()
    unfiltered = events(page)

    actor = page.locator("input[name=actor]")
    actor.fill(ACTOR)
    actor.locator("xpath=ancestor::form").locator("[type=submit]").click()
    page.wait_for_url(lambda url: "actor=" in url)
    assert parse_qs(urlsplit(page.url).query).get("actor") == [ACTOR], page.url

    expected = api_events(service, actor=ACTOR)
    assert 0 < len(expected) < len(unfiltered), f"{len(expected)} events for {ACTOR}, {len(unfiltered)} in all"
    expect(page.locator(EVENTS)).to_have_count(len(expected))
    filtered = events(page)
    assert slugs(filtered) == expected
    assert any("Bolton" in name for name in claimants(page)), f"no visible claim by Bolton: {claimants(page)}"

    shared = open_page()  # the filtered view is a URL one can share
    shared.goto(f"{service}/timeline?actor=John+Bolton")
    expect(shared.locator(EVENTS).first).to_be_visible()
    assert slugs(events(shared)) == slugs(filtered)


def test_planned_second_meeting(page: Page, service: str) -> None:
    page.goto(f"{service}/timeline")
    expect(page.locator(EVENTS).first).to_be_visible()
    second = [e for e in events(page) if "second" in (e["title"] or "").lower()]
    assert second, "no event whose label mentions a second meeting"
    for event in second:
        assert (event["status"] or "").lower() == "planned", event
        if event["dataStatus"] is not None:
            assert event["dataStatus"].lower().endswith("planned"), event
    first = page.locator(EVENTS).filter(has_text=second[0]["title"]).first.locator(".status-label").first
    expect(first).to_be_visible()


def test_click_event_opens_its_page(page: Page, service: str) -> None:
    page.goto(f"{service}/timeline")
    link = page.locator(f"{EVENTS} h3 a").first
    label = link.inner_text().strip()
    link.click()
    page.wait_for_url("**/id/event/**")
    assert page.locator("h1").inner_text().strip() == label
    turtle = page.locator('head link[rel=alternate][type="text/turtle"]')
    expect(turtle).to_have_count(1)
    target = urljoin(page.url, turtle.get_attribute("href") or "")
    with urllib.request.urlopen(urllib.request.Request(target, headers={"Accept": "text/turtle"}), timeout=10) as r:
        assert len(Graph().parse(data=r.read(), format="turtle")) > 0


def test_actor_page_for_trump(page: Page, service: str) -> None:
    page.goto(f"{service}/timeline")
    trump = page.locator('a[href*="/id/actor/"]', has_text="Trump").first
    href = trump.get_attribute("href") or ""
    url = urljoin(f"{service}/timeline", href)
    assert ours(url, service), url
    page.goto(url)
    expect(page.locator("h1")).to_be_visible()
    assert "Trump" in page.locator("h1").inner_text()

    request = urllib.request.Request(url, headers={"Accept": "text/turtle"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers.get_content_type() == "text/turtle"
        graph = Graph().parse(data=response.read(), format="turtle")
    iri = URIRef(base_uri() + urlsplit(url).path.lstrip("/"))
    assert len(list(graph.triples((iri, None, None)))) > 0, f"no triples about {iri}"
    assert any("Trump" in str(label) for label in graph.objects(iri, RDFS.label))


def test_keyboard_reaches_and_opens_an_event(page: Page, service: str) -> None:
    page.goto(f"{service}/timeline")
    first = page.locator(f"{EVENTS} h3 a").first
    first_href = first.get_attribute("href")
    label = first.inner_text().strip()
    reached = None
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement && document.activeElement.getAttribute('href')")
        if focused and "/id/event/" in focused:
            reached = focused
            break
    assert reached == first_href, f"Tab reached {reached!r}, not the first event's link {first_href!r}"
    page.keyboard.press("Enter")
    page.wait_for_url("**/id/event/**")
    assert page.locator("h1").inner_text().strip() == label


def test_filter_without_javascript(open_page: Callable[..., Page], service: str) -> None:
    page = open_page(java_script_enabled=False)
    page.goto(f"{service}/timeline?actor=John+Bolton")
    expected = api_events(service, actor=ACTOR)
    assert expected
    expect(page.locator(EVENTS)).to_have_count(len(expected))
    assert slugs(events(page)) == expected
    assert any("Bolton" in name for name in claimants(page)), f"no visible claim by Bolton: {claimants(page)}"


def test_sparql_page_runs_an_example(page: Page, service: str) -> None:
    page.goto(f"{service}/sparql")
    example = page.locator("select#example")
    first = example.locator("option:not([value=''])").first
    page.select_option("select#example", value=first.get_attribute("value"))
    box = page.locator("form textarea[name=query]")
    expect(box).to_have_value(first.get_attribute("data-query") or "")
    box.locator("xpath=ancestor::form").locator("[type=submit]").click()
    page.wait_for_url(lambda url: "query=" in url)
    table = page.locator("table")
    expect(table.first).to_be_visible()
    assert table.first.locator("tbody tr").count() > 0
