"""The ``kgservice`` command line: thin commands that parse, call the library and print."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import click

from kgservice.errors import KGError

FORMATS_EXTRACT = ("json", "trig", "nquads", "turtle")
FORMATS_EXPORT = ("trig", "nquads", "turtle", "ntriples", "jsonld", "rdfxml")


class _Context:
    """Settings and the store, opened on first use and closed when the command ends."""

    def __init__(self) -> None:
        from kgservice.settings import load_settings

        self.settings = load_settings()
        self._store: Any = None

    def store(self) -> Any:
        if self._store is None:
            from kgservice.store import GraphStore

            self._store = GraphStore(self.settings.store)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"kgservice: {message}", err=True)
    sys.exit(code)


@click.group()
@click.version_option(package_name="kgservice")
@click.pass_context
def main(ctx: click.Context) -> None:
    """An event-timeline knowledge graph of news articles."""
    try:
        ctx.obj = _Context()
    except KGError as exc:
        _fail(exc.message, 2)
    ctx.call_on_close(ctx.obj.close)


def _refuse_if_read_only(obj: _Context) -> None:
    """Writing commands stop here when KG_READ_ONLY is set: the setting holds for the CLI as for the service."""
    if obj.settings.read_only:
        _fail("KG_READ_ONLY is set: this store is read-only here; unset it (KG_READ_ONLY=0) to write", 2)


def _overrides(published: str | None, title: str | None, url: str | None) -> dict[str, Any]:
    from kgservice.articles import parse_date

    try:
        return {"published": parse_date(published, "--published date"), "title": title, "url": url}
    except KGError as exc:
        _fail(exc.message, 2)
        raise


def _read_all(paths: tuple[Path, ...], overrides: dict[str, Any], max_bytes: int) -> Iterator[tuple[Path, Any]]:
    """(file, articles) for good files; (file, error message) for bad ones and for each article over ``max_bytes``."""
    from kgservice.articles import check_size, iter_files, read_file

    for path in iter_files(list(paths)):
        try:
            articles = read_file(path, overrides)
        except KGError as exc:
            yield path, exc.message
            continue
        except OSError as exc:
            yield path, exc.strerror or str(exc)
            continue
        kept = []
        for article in articles:
            try:
                check_size(article, max_bytes)
            except KGError as exc:
                yield path, exc.message if len(articles) == 1 else f"article {article.id}: {exc.message}"
            else:
                kept.append(article)
        if kept or not articles:
            yield path, kept


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--published", help="Publication date (YYYY-MM-DD) for articles that do not give one.")
@click.option("--title", help="Title, for a single article.")
@click.option("--url", help="URL of the article.")
@click.option("--replace", is_flag=True, help="Replace articles already stored with other content.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Processes that extract, this one included (0: one per CPU); this one also writes the store.",
)
@click.pass_obj
def ingest(
    obj: _Context,
    paths: tuple[Path, ...],
    published: str | None,
    title: str | None,
    url: str | None,
    replace: bool,
    jobs: int,
) -> None:
    """Extract and store articles (.txt, .html, .json, .jsonl), or restore dumps (.trig, .nq, .gz): files or folders."""
    from kgservice.restore import dump_format_of, find_dumps

    _refuse_if_read_only(obj)
    overrides = _overrides(published, title, url)
    dumps = find_dumps(paths)
    articles = tuple(p for p in paths if not dump_format_of(p))
    inputs = list(_read_all(articles, overrides, obj.settings.max_article_bytes))
    failed = _restore(obj, dumps) if dumps else False
    if inputs or not dumps:  # dumps alone: no article summary (and the restored ontology graph stays)
        failed = _ingest_articles(obj, inputs, replace, jobs) or failed
    if failed:
        sys.exit(1)


def _restore(obj: _Context, dumps: list[Path]) -> bool:
    """Restore dump files; print their summary line; whether any failed."""
    from kgservice.restore import restore_all

    return _report(lambda: restore_all(obj.store(), dumps))


def _ingest_articles(obj: _Context, inputs: list[tuple[Path, Any]], replace: bool, jobs: int) -> bool:
    """Ingest read article files; print the summary line; whether any failed."""
    from kgservice.bulk import resolve_jobs
    from kgservice.terminal import ingest_with_progress

    workers = resolve_jobs(jobs)
    return _report(lambda: ingest_with_progress(obj.store(), obj.settings, inputs, replace, workers))


def _report(run: Callable[[], Any]) -> bool:
    """Run an ingest or restore; print each failure and the summary line; whether any failed."""
    try:
        summary = run()
    except KGError as exc:
        _fail(exc.message, 2)
        return True
    for path, message in summary.failures:
        click.echo(f"kgservice: {path}: {message}", err=True)
    click.echo(summary.line())
    return bool(summary.failures)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--published", help="Document date (YYYY-MM-DD) that relative times are resolved against.")
@click.option("--format", "fmt", type=click.Choice(FORMATS_EXTRACT), default="json", show_default=True)
@click.pass_obj
def extract(obj: _Context, files: tuple[Path, ...], published: str | None, fmt: str) -> None:
    """Extract only, to stdout; nothing is stored. Several files give JSON Lines."""
    from kgservice.extract.extractor import Extractor
    from kgservice.extract.serialize import extraction_json
    from kgservice.graph.iris import Minter
    from kgservice.graph.mapping import article_graph
    from kgservice.graph.serialize import serialize_graph
    from kgservice.resolve import resolve

    overrides = _overrides(published, None, None)
    good, failed = [], False
    for path, result in _read_all(files, overrides, obj.settings.max_article_bytes):
        if isinstance(result, str):
            click.echo(f"kgservice: {path}: {result}", err=True)
            failed = True
        else:
            good.extend(result)
    try:
        extractor = Extractor(obj.settings.spacy_model)
    except KGError as exc:
        _fail(exc.message, 2)
        return
    minter = Minter(obj.settings.base_uri)
    indent = 2 if len(good) == 1 else None
    for extraction in extractor.extract_many(good):
        if fmt == "json":
            click.echo(
                json.dumps(
                    extraction_json(extraction, minter.article(extraction.article.id)),
                    ensure_ascii=False,
                    indent=indent,
                )
            )
        else:
            graph = article_graph(extraction, minter, resolve(extraction, None, minter))
            click.echo(serialize_graph(graph, fmt), nl=False)
    if failed:
        sys.exit(1)


@main.command()
@click.argument("sparql")
@click.option("--format", "fmt", type=click.Choice(("table", "json", "csv")), default="table", show_default=True)
@click.pass_obj
def query(obj: _Context, sparql: str, fmt: str) -> None:
    """Run a SPARQL query on the store (same time and row limits as the endpoint)."""
    from kgservice.guard import QueryGuard, QueryRequest
    from kgservice.terminal import print_answer

    settings = obj.settings
    request = QueryRequest(
        sparql,
        bindings_format="csv" if fmt == "csv" else "json",
        graph_format={"json": "jsonld", "csv": "nt"}.get(fmt, "ttl"),
        max_rows=settings.max_rows,
    )
    guard = None
    try:
        guard = QueryGuard(obj.store(), settings.query_timeout, workers=1)
        answer = guard.run(request)
    except KGError as exc:
        _fail(exc.message, 2)
        return
    except KeyboardInterrupt:  # the worker is killed; the store is untouched
        _fail("interrupted", 130)
        return
    finally:
        if guard is not None:
            guard.close()
    print_answer(answer, fmt)
    if answer.truncated:
        click.echo(f"(cut at {settings.max_rows} rows: KG_MAX_ROWS)", err=True)


@main.command()
@click.option("--actor", help="Only events with this actor (label or IRI).")
@click.option("--from", "date_from", help="Only events ending on or after this date.")
@click.option("--to", "date_to", help="Only events starting on or before this date.")
@click.pass_obj
def timeline(obj: _Context, actor: str | None, date_from: str | None, date_to: str | None) -> None:
    """A readable timeline in the terminal."""
    from kgservice.articles import parse_date
    from kgservice.terminal import print_timeline
    from kgservice.timeline import timeline_events

    try:
        start, end = parse_date(date_from, "--from date"), parse_date(date_to, "--to date")
        events = timeline_events(
            obj.store(),
            actor=actor,
            date_from=start.isoformat() if start else None,
            date_to=end.isoformat() if end else None,
        )
    except KGError as exc:
        _fail(exc.message, 2)
        return
    print_timeline(events)


@main.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS_EXPORT), default="trig", show_default=True)
@click.option("--graph", "graph", help="Only this graph: an article IRI or id (or any graph IRI).")
@click.option("--from", "date_from", help="Only articles published on or after this date (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Only articles published on or before this date (YYYY-MM-DD).")
@click.option("-o", "output", type=click.Path(path_type=Path), help="Write to this file instead of stdout.")
@click.option("--gzip", "gzip_output", is_flag=True, help="Compress with gzip.")
@click.pass_obj
def export(
    obj: _Context,
    fmt: str,
    graph: str | None,
    date_from: str | None,
    date_to: str | None,
    output: Path | None,
    gzip_output: bool,
) -> None:
    """Dump the store, one graph or the articles of a date range (streamed; nothing is held in memory)."""
    from kgservice import export as dumps

    store, base_uri = obj.store(), obj.settings.base_uri
    try:
        scope = dumps.resolve_scope(store, base_uri, graph, date_from, date_to)
    except KGError as exc:
        _fail(exc.message, 1 if exc.status == 404 else 2)
        return
    chunks = dumps.dump_chunks(store, dumps.dump_format(fmt), scope, base_uri)
    if gzip_output:
        chunks = dumps.gzipped(chunks)
    try:
        with contextlib.ExitStack() as stack:
            sink = stack.enter_context(_replacing(output)) if output is not None else sys.stdout.buffer
            for chunk in chunks:
                sink.write(chunk)
            sink.flush()
    except OSError as exc:
        _fail(f"cannot write {output or 'to stdout'}: {exc.strerror or exc}")


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[IO[bytes]]:
    """A file that takes ``path``'s place only once it is written whole.

    An export that is killed or fails leaves the file it was to replace (last night's
    backup) as it was, and at most a ``.NAME.PID.part`` beside it. A pipe or a device
    (``/dev/stdout``) is written as it comes; a symbolic link's target is replaced.
    """
    try:
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        regular = True  # a new file
    if not regular:
        with path.open("wb") as sink:
            yield sink
        return
    path = Path(os.path.realpath(path))
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    with os.fdopen(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666), "wb") as sink:
        try:
            yield sink
            sink.flush()
            os.fsync(sink.fileno())
        except BaseException:
            part.unlink()
            raise
    os.replace(part, path)


@main.command()
@click.argument("article")
@click.pass_obj
def delete(obj: _Context, article: str) -> None:
    """Remove one article's graph (give its IRI or its id)."""
    from rdflib import URIRef

    from kgservice.graph.iris import Minter

    _refuse_if_read_only(obj)
    iri = URIRef(article if "://" in article else str(Minter(obj.settings.base_uri).article(article)))
    try:
        deleted = obj.store().delete_graph(iri)
    except KGError as exc:
        _fail(exc.message, 2)
        return
    if not deleted:
        _fail(f"no article graph {iri} in the store")
        return
    from kgservice.links import refresh_links

    refresh_links(obj.store(), obj.settings)  # an actor only that article named loses its links
    click.echo(f"deleted {iri}")


@main.command()
@click.option("--host", help="Address to listen on (default: KG_HOST).")
@click.option("--port", type=int, help="Port to listen on (default: KG_PORT).")
@click.pass_obj
def serve(obj: _Context, host: str | None, port: int | None) -> None:
    """Run the web app under gunicorn (one worker owning the store, several threads)."""
    settings = obj.settings
    gunicorn = Path(sys.executable).parent / "gunicorn"
    bind = f"{host or settings.host}:{port or settings.port}"
    args = [
        str(gunicorn),
        "--config",
        "python:kgservice.web.gunicorn_conf",  # one worker, JSON logs (see that module)
        "--threads",
        str(settings.threads),
        "--bind",
        bind,
        "kgservice.web.wsgi:app",
    ]
    os.execve(str(gunicorn), args, {**os.environ, **settings.as_env()})


if __name__ == "__main__":
    main()
