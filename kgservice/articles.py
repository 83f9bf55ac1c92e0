"""Reading articles from files: text, HTML, JSON and JSON Lines, with sidecar metadata.

Every problem becomes an ``InputError`` whose message names the reason; the caller adds
the file name. Nothing here touches the store or spaCy.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kgservice.errors import InputError, TooLarge
from kgservice.extract.records import ArticleInput

SUFFIXES = (".txt", ".html", ".htm", ".json", ".jsonl")
METADATA_FIELDS = ("title", "published", "url", "author", "genre")  # besides "text" and "id"
MAX_TITLE_CHARS = 200
MAX_TITLE_WORDS = 30
MAX_RESIDUE_WORDS = 4
CLOSING_PUNCTUATION = tuple(".!?:;,\"'”’)»…")
_SLUG_UNSAFE = re.compile(r"[^a-z0-9_-]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def parse_date(value: str | date | None, what: str = "date") -> date | None:
    """Parse a publication date given by a user: ISO 8601, or any unambiguous written date."""
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    import dateparser  # type: ignore[import-untyped]

    parsed = dateparser.parse(text, settings={"STRICT_PARSING": True, "REQUIRE_PARTS": ["day", "month", "year"]})
    if parsed is None:
        raise InputError(f"cannot read {what} {text!r} (use YYYY-MM-DD)")
    return parsed.date()


def iter_files(paths: list[Path]) -> Iterator[Path]:
    """Expand folders into the article files they hold (sorted); files pass through as given."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES and not _is_sidecar(p)
            )
        else:
            yield path


def read_file(path: Path, overrides: Mapping[str, Any] | None = None) -> list[ArticleInput]:
    """Read one file into articles; ``overrides`` (title, published, url) win over file metadata."""
    if not path.exists():
        raise InputError("no such file")
    if path.is_dir():
        raise InputError("is a directory")
    raw = path.read_bytes()
    text = _decode(raw)
    suffix = path.suffix.lower()
    meta = {**_sidecar(path), **{k: v for k, v in (overrides or {}).items() if v is not None}}
    if suffix == ".json":
        return [_from_mapping(_load_json(text), path.stem, meta)]
    if suffix == ".jsonl":
        return _read_jsonl(text, path.stem, meta)
    if suffix in (".html", ".htm"):
        return [_from_html(text, path.stem, meta)]
    return [_from_text(text, path.stem, meta)]


def read_body(raw: bytes, media_type: str, stem: str, overrides: Mapping[str, Any] | None = None) -> ArticleInput:
    """One article sent over HTTP: JSON (``text`` and optional fields), HTML, or plain text."""
    text = _decode(raw)
    meta = {k: v for k, v in (overrides or {}).items() if v is not None}
    if media_type == "application/json":
        return _from_mapping(_load_json(text), stem, meta)
    if media_type in ("text/html", "application/xhtml+xml"):
        return _from_html(text, stem, meta)
    if media_type in ("text/plain", ""):
        return _from_text(text, stem, meta)
    raise InputError(f"an article is sent as application/json, text/plain or text/html, not {media_type}")


def check_size(article: ArticleInput, limit: int) -> None:
    """Refuse an article whose text is longer than ``limit`` bytes in UTF-8 (``KG_MAX_ARTICLE_BYTES``)."""
    size = len(article.text.encode("utf-8"))
    if size > limit:
        raise TooLarge(f"the article text is {size:,} bytes; the limit is {limit:,} (KG_MAX_ARTICLE_BYTES)")


def split_title(text: str) -> tuple[str | None, str]:
    """Split a leading title line from the body.

    A title is a short first line without closing punctuation, followed by a blank line.
    """
    first, sep, rest = text.partition("\n")
    line = first.strip()
    if sep and rest.startswith(("\n", "\r\n")) and _looks_like_title(line):
        return line, rest.lstrip("\r\n")
    return None, text


def strip_residue(body: str) -> str:
    """Drop trailing page residue ("Related Content", "Advertisement", "Share this").

    Residue is a run of final lines, each of a few words and without closing punctuation,
    after the last real paragraph (one that ends like a sentence).
    """
    lines = body.rstrip().split("\n")
    while len(lines) > 1 and _is_residue(lines[-1]):
        lines.pop()
        while lines and not lines[-1].strip():
            lines.pop()
    return "\n".join(lines).rstrip()


def article_id(stem: str, text: str) -> str:
    """A stable, IRI-safe identifier: the file name or given id, else a hash of the text."""
    slug = _SLUG_UNSAFE.sub("-", stem.lower()).strip("-")
    return slug or hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _looks_like_title(line: str) -> bool:
    return (
        0 < len(line) <= MAX_TITLE_CHARS
        and len(line.split()) <= MAX_TITLE_WORDS
        and not line.endswith(CLOSING_PUNCTUATION)
    )


def _is_residue(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and len(stripped.split()) <= MAX_RESIDUE_WORDS and not stripped.endswith(CLOSING_PUNCTUATION)


def _decode(raw: bytes) -> str:
    if not raw.strip():
        raise InputError("empty file")
    if b"\x00" in raw[:8192]:
        raise InputError("binary file, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 (byte {exc.start})") from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _is_sidecar(path: Path) -> bool:
    return path.name.endswith(".meta.json")


def _sidecar(path: Path) -> dict[str, Any]:
    sidecar = path.with_name(path.name.rsplit(".", 1)[0] + ".meta.json")
    if not sidecar.exists() or sidecar == path:
        return {}
    data = _load_json(_decode(sidecar.read_bytes()), f"sidecar {sidecar.name}")
    if not isinstance(data, dict):
        raise InputError(f"sidecar {sidecar.name} must hold a JSON object")
    return data


def _load_json(text: str, what: str = "JSON") -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed {what}: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc


def _read_jsonl(text: str, stem: str, meta: Mapping[str, Any]) -> list[ArticleInput]:
    articles = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            try:
                data = _load_json(line)
                articles.append(_from_mapping(data, f"{stem}-{number}", meta))
            except InputError as exc:
                raise InputError(f"line {number}: {exc.message}") from exc
    return articles


def _from_text(text: str, stem: str, meta: Mapping[str, Any]) -> ArticleInput:
    title, body = split_title(text.strip("\n"))
    return _article(body, stem, {"title": title, **meta})


def _from_html(html: str, stem: str, meta: Mapping[str, Any]) -> ArticleInput:
    import trafilatura

    body = trafilatura.extract(html, include_comments=False, include_tables=False, favor_precision=True)
    if not body:
        raise InputError("no article text found in the HTML")
    found = trafilatura.extract_metadata(html)
    derived = {
        "title": getattr(found, "title", None),
        "published": getattr(found, "date", None),
        "author": getattr(found, "author", None),
        "url": getattr(found, "url", None),
    }
    return _article(body, stem, {**{k: v for k, v in derived.items() if v}, **meta})


def _from_mapping(data: Any, stem: str, meta: Mapping[str, Any]) -> ArticleInput:
    if not isinstance(data, dict):
        raise InputError('expected a JSON object with a "text" field')
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError('missing or empty "text" field')
    _check_fields(data)
    fields = {k: data[k] for k in METADATA_FIELDS if data.get(k) is not None}
    merged = {**fields, **meta}
    stem = str(data.get("id") or stem)
    if merged.get("title"):
        return _article(text, stem, merged, clean=False)
    return _from_text(text, stem, merged)


def _check_fields(data: Mapping[str, Any]) -> None:
    """Metadata fields are text; an ``author`` may be a list of names, an ``id`` a whole number."""
    for key in (*METADATA_FIELDS, "id"):
        value = data.get(key)
        if value is None or isinstance(value, str):
            continue
        if key == "author" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            continue
        if key == "id" and isinstance(value, int) and not isinstance(value, bool):
            continue
        raise InputError(f'"{key}" must be text, not {json.dumps(value)[:40]}')


def _article(body: str, stem: str, meta: Mapping[str, Any], clean: bool = True) -> ArticleInput:
    _refuse_surrogates({"text": body, **meta})
    body = _xml_safe(body)
    if clean:
        body = strip_residue(body)
    if not body.strip():
        raise InputError("no article text")
    article = ArticleInput(id=article_id(str(meta.get("id") or stem), body), text=body)
    return replace(
        article,
        title=_text_field(meta.get("title")),
        published=parse_date(meta.get("published"), "published date"),
        url=_text_field(meta.get("url")),
        author=_text_field(meta.get("author")),
        genre=_text_field(meta.get("genre")),
    )


def _refuse_surrogates(fields: Mapping[str, Any]) -> None:
    """Refuse a lone surrogate (a JSON ``\\ud800`` escape without its pair, a file name or argument byte that is not
    UTF-8): it is not a Unicode character, so it can be neither parsed nor stored."""
    for key, value in fields.items():
        for text in value if isinstance(value, list) else [value]:
            found = _SURROGATE.search(text) if isinstance(text, str) else None
            if found:
                raise InputError(
                    f'"{key}" holds a lone surrogate U+{ord(found[0]):04X} at character {found.start()},'
                    " which is not a Unicode character (send the character itself or both halves of its pair)"
                )


def _xml_safe(text: str) -> str:
    """Control characters XML cannot carry (all but tab and line breaks; U+FFFE, U+FFFF) read as spaces.

    One character for one, so offsets hold; without them every export format (RDF/XML,
    SPARQL XML results, HTML) can carry the text.
    """
    return _XML_UNSAFE.sub(" ", text)


def _text_field(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = _xml_safe(str(value)).strip()
    return text or None
