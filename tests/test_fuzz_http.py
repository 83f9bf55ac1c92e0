"""The live service fuzzed against its own ``/openapi.json`` with schemathesis.

gunicorn serves a store holding the seed articles. For every documented operation,
schemathesis generates requests from the OpenAPI description: valid ones, and invalid
ones (wrong types, values outside an enum, broken bodies, missing required parts), each
with one of a few ``Accept`` headers. Every answer is checked: never a 5xx, a documented
status and media type, a JSON body that matches its schema, invalid input refused with a
4xx. The write routes are called without a token, with a wrong token and with the right
one; with the right one, ``POST /api/articles`` runs a real extraction and write, so it
gets fewer examples. Every failure of an operation is collected (with a curl command to
replay it) before the test fails. Example counts are bounded; under CI generation is
derandomized, so a run is reproducible.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import load_all_checks
from schemathesis.core.failures import FailureGroup

from kgservice.web.openapi import openapi
from tests.live import serve
from tests.test_web import build_seed_store

TOKEN = "fuzz-token-5d2"
EXAMPLES = 15  # per operation, generation mode and token variant
EXTRACTING_EXAMPLES = 6  # valid articles posted with the right token: each one is extracted and stored
ACCEPT = ("*/*", "application/json", "text/html", "text/turtle", "application/sparql-results+json", "image/png")
CHECK_NAMES = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)
WRITES = {("POST", "/sparql/update"), ("POST", "/api/articles"), ("DELETE", "/api/articles/{article}")}
DOCUMENT = openapi(10_000_000)
OPERATIONS = sorted(
    ((method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item),
    key=lambda op: op in WRITES,  # reads first, on the seed store as built
)


@dataclass
class Tally:
    """Requests made per operation and the 5xx answers among them, for the summary at the end."""

    requests: Counter[str] = field(default_factory=Counter)
    server_errors: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)


TALLY = Tally()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    location = tmp_path_factory.mktemp("fuzzstore") / "kg"
    build_seed_store(location)
    log = tmp_path_factory.mktemp("fuzzlog") / "gunicorn.log"
    with serve(location, log, KG_API_TOKEN=TOKEN) as url:
        yield url


@pytest.fixture(scope="module")
def api(live: str) -> Any:
    """The schema as the service serves it, its requests sent to the service."""
    return schemathesis.openapi.from_url(live + "/openapi.json")


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        yield http


def test_the_service_serves_the_description_the_fuzzing_uses(live: str) -> None:
    assert requests.get(live + "/openapi.json", timeout=30).json() == DOCUMENT


def _variants(method: str, path: str) -> list[tuple[str, GenerationMode, int]]:
    """(token variant, generation mode, examples) to run for one operation."""
    definition = DOCUMENT["paths"][path][method.lower()]
    inputs = definition["parameters"] or "requestBody" in definition
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if inputs else (GenerationMode.POSITIVE,)
    if (method, path) not in WRITES:
        return [("none", mode, EXAMPLES) for mode in modes]
    runs = [(token, mode, EXAMPLES) for token in ("none", "wrong") for mode in modes]
    extracting = (method, path) == ("POST", "/api/articles")
    runs.append(("right", GenerationMode.POSITIVE, EXTRACTING_EXAMPLES if extracting else EXAMPLES))
    runs.append(("right", GenerationMode.NEGATIVE, EXAMPLES))
    return runs


def _authorization(token: str) -> str | None:
    return {"none": None, "wrong": "Bearer not-the-token", "right": f"Bearer {TOKEN}"}[token]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_generated_request_breaks_the_service(
    api: Any, live: str, session: requests.Session, method: str, path: str
) -> None:
    load_all_checks()
    checks = [getattr(schemathesis.checks, name) for name in CHECK_NAMES]
    failures: list[str] = []
    for token, mode, examples in _variants(method, path):
        fuzz = Fuzz(api[path][method], live, session, checks, token, mode)
        _run(fuzz, examples)
        failures += fuzz.failures
    assert not failures, f"{len(failures)} failing requests to {method} {path}:\n" + "\n".join(failures[:10])


@dataclass
class Fuzz:
    """One run of generated requests to one operation: with this token variant, in this generation mode."""

    operation: Any
    base: str
    session: requests.Session
    checks: list[Any]
    token: str
    mode: GenerationMode
    failures: list[str] = field(default_factory=list)

    def send(self, case: Any, accept: str) -> None:
        """Send one generated request, count it, and record what its answer fails."""
        label = self.operation.label
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in {"authorization", "accept"}}
        if (authorization := _authorization(self.token)) is not None:
            headers["Authorization"] = authorization
        case.headers = {**headers, "Accept": accept}  # the case is reclassified: no token is a negative case
        response = case.call(base_url=self.base, session=self.session, timeout=60)
        TALLY.requests[label] += 1
        TALLY.statuses.setdefault(label, Counter())[response.status_code] += 1
        TALLY.server_errors[label] += response.status_code >= 500
        try:
            case.validate_response(response, checks=self.checks)
        except FailureGroup as exc:
            titles = "; ".join(f"{failure.title}: {failure.message}" for failure in exc.exceptions)
            curl = case.as_curl_command(headers=dict(response.request.headers))
            self.failures.append(f"[{self.token} token, {self.mode.value}] {response.status_code}: {titles}\n  {curl}")


def _run(fuzz: Fuzz, examples: int) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=bool(os.environ.get("CI")),
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=fuzz.operation.as_strategy(generation_mode=fuzz.mode), accept=st.sampled_from(ACCEPT))
    def run(case: Any, accept: str) -> None:
        fuzz.send(case, accept)

    run()


def test_summary() -> None:
    """Every operation was exercised, and no generated request got a 5xx (counts with ``-s``)."""
    for label in sorted(TALLY.requests):
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(TALLY.statuses[label].items()))
        print(f"{label}: {TALLY.requests[label]} requests ({statuses})")
    print(f"total: {sum(TALLY.requests.values())} requests, {sum(TALLY.server_errors.values())} 5xx")
    assert len(TALLY.requests) == len(OPERATIONS)
    assert sum(TALLY.server_errors.values()) == 0
