"""``/api/articles`` under gunicorn: ingest and remove articles while the service is serving."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.backends import Backend
from tests.live import serve

TOKEN = "api-token-7c1"
STORY = {
    "id": "hanoi-summit",
    "title": "Leaders to meet in Hanoi",
    "published": "2019-02-05",
    "text": "The two leaders will meet in Hanoi on Feb. 27, 2019, officials said on Tuesday. "
    "The White House said the summit would focus on denuclearization.",
}


@pytest.fixture(scope="module")
def base(
    backend: Backend, seed_store: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    location = backend.copy_store(seed_store, request)
    with serve(location, tmp_path_factory.mktemp("apilog") / "gunicorn.log", KG_API_TOKEN=TOKEN) as url:
        yield url


def call(
    base: str,
    method: str,
    path: str,
    body: bytes | None = None,
    token: str | None = TOKEN,
    kind: str = "application/json",
):
    headers = {"Content-Type": kind, "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()


def events(base: str) -> list[dict]:
    return json.loads(call(base, "GET", "/timeline.json")[1])["events"]


def test_post_then_delete_an_article(base: str) -> None:
    before = events(base)
    status, body = call(base, "POST", "/api/articles", json.dumps(STORY).encode())
    assert status == 201, body
    answer = json.loads(body)
    assert (answer["outcome"] == "added" and answer["article"].endswith("/id/article/hanoi-summit")) or answer["events"]
    after = events(base)
    assert len(after) > len(before) and any(e["earliest"] == "2019-02-27" for e in after)
    again = call(base, "POST", "/api/articles", json.dumps(STORY).encode())
    assert again[0] == 200 and json.loads(again[1])["outcome"] in {"unchanged", "skipped"}
    article = answer["article"].rsplit("/", 1)[-1]
    assert call(base, "DELETE", f"/api/articles/{article}")[0] == 204
    assert [e["id"] for e in events(base)] == [e["id"] for e in before]
    assert call(base, "DELETE", f"/api/articles/{article}")[0] == 404


def test_plain_text_with_metadata_in_the_query(base: str) -> None:
    text = b"Talks in Geneva\n\nThe delegations met in Geneva on Monday, the ministry said."
    status, body = call(base, "POST", "/api/articles?published=2019-03-04&id=geneva", text, kind="text/plain")
    assert status == 201, body
    assert call(base, "DELETE", "/api/articles/" + json.loads(body)["article"].rsplit("/", 1)[-1])[0] == 204


def test_writes_need_the_token_and_bad_input_is_a_400(base: str) -> None:
    before = events(base)
    assert call(base, "POST", "/api/articles", json.dumps(STORY).encode(), token=None)[0] == 401
    assert call(base, "POST", "/api/articles", json.dumps(STORY).encode(), token="wrong")[0] == 403
    assert call(base, "DELETE", "/api/articles/anything", token=None)[0] == 401
    for body, kind in (
        (b'{"text": ', "application/json"),
        (b'{"title": "no text"}', "application/json"),
        (b"x", "image/png"),
    ):
        status, answer = call(base, "POST", "/api/articles", body, kind=kind)
        assert status == (415 if kind == "image/png" else 400) and "message" in json.loads(answer), (kind, answer)
    assert events(base) == before
