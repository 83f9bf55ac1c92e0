"""A client of any Reconciliation Service API (0.2): names → entities of another dataset.

:func:`reconcile_names` is the one call for the rest of kgservice (ingest adds ``owl:sameAs``
links with it): it reads the ``KG_RECONCILE_*`` settings and returns, per name, the
accepted :class:`Match` or ``None``. It is off (every name ``None``, no request) while
``KG_RECONCILE_URL`` is empty. :class:`ReconcileClient` is the same with explicit arguments.

- **Batches.** Names are sent ``batch_size`` at a time (10, as OpenRefine does) as one
  ``POST`` of ``queries=<JSON>``; each name once, however often it is asked.
- **Cache.** Every answer (the candidates, also an empty list) and the service's manifest
  are kept in a SQLite file, per service URL, name and types, for ``CACHE_DAYS`` days: a
  name asked again makes no request, also in the next process. The file is
  ``KG_RECONCILE_CACHE``, by default ``<KG_STORE>-reconcile.sqlite`` beside the store
  directory (never inside it: that belongs to Oxigraph); ``:memory:`` keeps it in memory.
  The candidates are cached, not the decision, so a new threshold applies to cached answers.
- **Rate limit.** At most ``KG_RECONCILE_RATE`` requests per second (manifest included):
  request *n* starts no sooner than ``(n-1)/rate`` seconds after the first.
- **Threshold.** A candidate is accepted when the service marks it ``match: true``, or when
  it is the best and scores at least ``KG_RECONCILE_THRESHOLD`` (in the service's own
  scale; kgservice and most services score 0–100) and no other candidate scores as much.
- **Errors.** A service that cannot be reached or answers badly raises :class:`ReconcileError`
  (nothing of that request is cached); the caller decides whether to go on without links.

The accepted entity's IRI is its id resolved against the manifest's ``identifierSpace``
(``http://www.wikidata.org/entity/`` + ``Q42``), or the id itself when that is an IRI.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kgservice import __version__
from kgservice.errors import KGError
from kgservice.settings import Settings

CACHE_DAYS = 30  # a cached answer older than this is asked again
BATCH_SIZE = 10  # names per request
CANDIDATES = 5  # candidates asked for per name (enough to see a tie)
TIMEOUT = 30.0  # seconds for one request
MEMORY = ":memory:"


class ReconcileError(KGError):
    """The reconciliation service could not be reached or gave an answer we cannot read."""

    status = 502


@dataclass(frozen=True)
class Match:
    """The entity a name was reconciled with."""

    id: str  # as the service gives it ("Q42", "actor/kim-jong-un")
    name: str  # the entity's name at the service
    score: float
    service: str  # the service URL
    iri: str  # the id resolved against the service's identifierSpace
    types: tuple[str, ...] = ()  # the entity's type ids at the service
    auto: bool = False  # the service itself said ``match: true``


# -- rate limit ----------------------------------------------------------------------------


class RateLimiter:
    """Spaces calls at least ``1/rate`` seconds apart (``rate`` ≤ 0: no limit). Thread-safe."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._clock, self._sleep = clock, sleep
        self._next = float("-inf")
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Return when the next call may start."""
        with self._lock:
            now = self._clock()
            if now < self._next:
                self._sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


# -- cache ---------------------------------------------------------------------------------


class AnswerCache:
    """Answers of services by (service URL, key), in SQLite, for ``max_age`` seconds. Thread-safe."""

    def __init__(self, path: str | Path = MEMORY, max_age: float = CACHE_DAYS * 86400.0) -> None:
        if str(path) != MEMORY:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = str(path)
        self.max_age = max_age
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            with self._db:
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS answers (service TEXT, key TEXT, body TEXT, fetched REAL,"
                    " PRIMARY KEY (service, key))"
                )
        except sqlite3.Error as exc:
            raise ReconcileError(f"cannot open the reconciliation cache {self.path}: {exc}") from exc

    def get(self, service: str, key: str) -> Any | None:
        """The cached answer, or None when there is none younger than ``max_age``."""
        with self._lock:
            row = self._db.execute(
                "SELECT body, fetched FROM answers WHERE service = ? AND key = ?", (service, key)
            ).fetchone()
        if row is None or time.time() - row[1] > self.max_age:
            return None
        return json.loads(row[0])

    def put_many(self, service: str, answers: dict[str, Any]) -> None:
        """Keep several answers, in one transaction."""
        now = time.time()
        rows = [(service, key, json.dumps(body, ensure_ascii=False), now) for key, body in answers.items()]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)", rows)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()


# -- the client ----------------------------------------------------------------------------


class ReconcileClient:
    """Reconciles names against one service; see the module's docstring for batches, cache, rate and threshold."""

    def __init__(
        self,
        url: str,
        threshold: float = 90.0,
        rate: float = 2.0,
        cache: AnswerCache | None = None,
        batch_size: int = BATCH_SIZE,
        timeout: float = TIMEOUT,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ReconcileError(f"the reconciliation service URL must start with http:// or https://, not {url!r}")
        self.url = url
        self.threshold = threshold
        self.batch_size = max(1, batch_size)
        self.timeout = timeout
        self.cache = cache or AnswerCache()
        self.limiter = RateLimiter(rate)
        self.requests_made = 0  # HTTP requests sent, for tests and logs

    def close(self) -> None:
        """Close the cache."""
        self.cache.close()

    def __enter__(self) -> ReconcileClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reconcile(self, names: Iterable[str], types: Sequence[str] | None = None) -> dict[str, Match | None]:
        """The accepted match of each name (``None`` when no candidate is good enough)."""
        found = self.candidates(names, types)
        if not any(found.values()):
            return dict.fromkeys(found)
        space = str(self.manifest().get("identifierSpace", ""))
        return {name: self._accepted(candidates, space) for name, candidates in found.items()}

    def candidates(self, names: Iterable[str], types: Sequence[str] | None = None) -> dict[str, list[dict[str, Any]]]:
        """The service's candidates for each name, from the cache or in batched requests."""
        names = list(names)
        wanted = list(dict.fromkeys(n for n in names if n.strip()))
        keys = {name: _query_key(name, types) for name in wanted}
        answers: dict[str, list[dict[str, Any]]] = {}
        missing = []
        for name in wanted:
            cached = self.cache.get(self.url, keys[name])
            if cached is None:
                missing.append(name)
            else:
                answers[name] = cached
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start : start + self.batch_size]
            fetched = self._ask(batch, types)
            self.cache.put_many(self.url, {keys[name]: fetched[name] for name in batch})
            answers.update(fetched)
        return {name: answers.get(name, []) for name in names}

    def manifest(self) -> dict[str, Any]:
        """The service's manifest (cached like the answers)."""
        cached = self.cache.get(self.url, "manifest")
        if cached is not None:
            return dict(cached)
        manifest = self._request(None)
        if not isinstance(manifest, dict) or "name" not in manifest:
            raise ReconcileError(f"{self.url} did not answer with a reconciliation service manifest")
        self.cache.put_many(self.url, {"manifest": manifest})
        return manifest

    def _ask(self, names: list[str], types: Sequence[str] | None) -> dict[str, list[dict[str, Any]]]:
        """One request for a batch of names."""
        queries = {f"q{n}": _query(name, types) for n, name in enumerate(names)}
        answer = self._request({"queries": json.dumps(queries, ensure_ascii=False)})
        if not isinstance(answer, dict):
            raise ReconcileError(f"{self.url} answered the queries with something other than a JSON object")
        found = {}
        for key, name in zip(queries, names, strict=True):
            result = answer.get(key, {}).get("result") if isinstance(answer.get(key), dict) else None
            if not isinstance(result, list):
                raise ReconcileError(f"{self.url} gave no result list for query {key} ({name!r})")
            found[name] = [c for c in result if isinstance(c, dict) and "id" in c][:CANDIDATES]
        return found

    def _request(self, form: dict[str, str] | None) -> Any:
        """GET the service (no form) or POST the form; the JSON answer."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(
            self.url,
            data=data,
            headers={"Accept": "application/json", "User-Agent": f"kgservice/{__version__} (reconciliation client)"},
        )
        self.limiter.wait()
        self.requests_made += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read(300).decode("utf-8", "replace")
            raise ReconcileError(f"{self.url} answered {exc.code} {exc.reason}: {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ReconcileError(f"cannot reach the reconciliation service {self.url}: {exc}") from exc
        try:
            return json.loads(body)
        except ValueError as exc:
            raise ReconcileError(f"{self.url} did not answer with JSON: {exc}") from exc

    def _accepted(self, candidates: list[dict[str, Any]], space: str) -> Match | None:
        chosen = choose(candidates, self.threshold)
        return None if chosen is None else self._match(chosen, space)

    def _match(self, candidate: dict[str, Any], space: str) -> Match:
        ident = str(candidate["id"])
        types = tuple(str(t.get("id", "")) if isinstance(t, dict) else str(t) for t in candidate.get("type") or [])
        return Match(
            id=ident,
            name=_name(candidate.get("name")),
            score=_score(candidate),
            service=self.url,
            iri=ident if "://" in ident else space + ident,
            types=types,
            auto=candidate.get("match") is True,
        )


def choose(candidates: Sequence[dict[str, Any]], threshold: float) -> dict[str, Any] | None:
    """The candidate to accept: the one the service marks ``match: true``, else the best when
    it scores at least ``threshold`` and more than every other candidate (a tie is no match)."""
    chosen = next((c for c in candidates if c.get("match") is True), None)
    if chosen is not None:
        return chosen
    scored = sorted(candidates, key=lambda c: -_score(c))
    if not scored or _score(scored[0]) < threshold:
        return None
    if len(scored) > 1 and _score(scored[1]) >= _score(scored[0]):
        return None
    return scored[0]


def _query(name: str, types: Sequence[str] | None) -> dict[str, Any]:
    query: dict[str, Any] = {"query": name, "limit": CANDIDATES}
    if types:
        query["type"] = list(types) if len(types) > 1 else types[0]
        query["type_strict"] = "any"
    return query


def _query_key(name: str, types: Sequence[str] | None) -> str:
    return "query:" + json.dumps([name, sorted(types or [])], ensure_ascii=False)


def _score(candidate: dict[str, Any]) -> float:
    try:
        return float(candidate.get("score", 0.0))
    except (TypeError, ValueError):
        return 0.0


def _name(raw: Any) -> str:
    """A candidate's name: a string, or the 1.0 draft's ``[{"str": …}]``."""
    if isinstance(raw, list) and raw and isinstance(raw[0], dict):
        return str(raw[0].get("str", ""))
    return str(raw or "")


# -- from settings -------------------------------------------------------------------------


def cache_path(settings: Settings) -> str:
    """Where the answers are cached: ``KG_RECONCILE_CACHE``, or a file beside the store directory."""
    if settings.reconcile_cache:
        return settings.reconcile_cache
    if "://" in settings.store:
        return MEMORY
    store = Path(settings.store)
    return str(store.parent / f"{store.name}-reconcile.sqlite")


def client_from(settings: Settings) -> ReconcileClient | None:
    """A client configured by the ``KG_RECONCILE_*`` settings, or None when reconciliation is off."""
    if not settings.reconcile_url:
        return None
    return ReconcileClient(
        settings.reconcile_url,
        threshold=settings.reconcile_threshold,
        rate=settings.reconcile_rate,
        cache=AnswerCache(cache_path(settings)),
    )


def reconcile_names(names: list[str], types: list[str] | None, settings: Settings) -> dict[str, Match | None]:
    """Each name's accepted match at the ``KG_RECONCILE_URL`` service; all None when that is empty."""
    client = client_from(settings)
    if client is None:
        return dict.fromkeys(names)
    with client:
        return client.reconcile(names, types)
