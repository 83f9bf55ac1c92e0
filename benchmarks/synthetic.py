"""A deterministic synthetic store shaped like kgservice's article graphs.

``synthetic_quads(n)`` yields the quads of ``n`` article graphs (about 226 triples each)
with the ontology's terms: articles, actors drawn from a shared pool (so actors recur
across articles, as in a real story), events with classes, statuses, participants, places
and time bounds, assertions with claimants and contents, and NIF mentions. Used by the
SPARQL benchmark and the query-guard tests; ``triples_for`` gives the article count that
reaches a triple target.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

import pyoxigraph as ox

KG = "https://w3id.org/kgservice/ns#"
SEM = "http://semanticweb.cs.vu.nl/2009/11/sem/"
SCHEMA = "https://schema.org/"
NIF = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
GAF = "http://groundedannotationframework.org/gaf#"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
XSD_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
XSD_INT = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
XSD_BOOL = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")

CLASSES = ("Meeting", "Statement", "Communication", "Agreement", "Test", "MilitaryAction", "Parade", "Occurrence")
CAMEO = {"Meeting": "04", "Statement": "01", "Communication": "02", "Agreement": "05", "Test": "15"}
STATUSES = ("Occurred", "Occurred", "Occurred", "Planned", "Possible", "Hypothetical", "Denied", "Ongoing")
PRECISIONS = (("day", 0), ("month", 30), ("season", 91), ("year", 364))
FIRST = ("Maria", "John", "Wei", "Aisha", "Pierre", "Olga", "Kenji", "Fatima", "Carlos", "Ingrid", "Amit", "Lena")
LAST = ("Okafor", "Smith", "Zhang", "Haddad", "Dubois", "Ivanova", "Sato", "Rahman", "Garcia", "Berg", "Patel", "Novak")
ORGS = ("Ministry", "Council", "Agency", "Party", "Union", "Bank", "Institute", "Committee")
PLACES = ("Geneva", "Hanoi", "Oslo", "Nairobi", "Lima", "Seoul", "Vienna", "Doha", "Accra", "Quito", "Riga", "Baku")
CUES = ("said", "told", "announced", "warned", "claimed", "denied", "wrote", "called")
ARTICLE_TRIPLES = 226  # on average
EVENTS_PER_ARTICLE = 7


def triples_for(target: int) -> int:
    """How many synthetic articles give about ``target`` triples."""
    return max(1, round(target / ARTICLE_TRIPLES))


def synthetic_quads(n_articles: int, base: str = "http://127.0.0.1:8000/", seed: int = 7) -> Iterator[ox.Quad]:
    """Quads of ``n_articles`` synthetic article graphs, the same for the same arguments."""
    rng = random.Random(seed)
    actors = _actor_pool(max(50, n_articles // 2), rng)
    for n in range(n_articles):
        yield from _article(n, base, actors, rng)


def _actor_pool(size: int, rng: random.Random) -> list[tuple[str, str, str]]:
    pool = []
    for i in range(size):
        kind = rng.choice(("Person", "Person", "Organization", "Place"))
        if kind == "Person":
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"
        elif kind == "Organization":
            name = f"{rng.choice(ORGS)} of {rng.choice(PLACES)} {i}"
        else:
            name = f"{rng.choice(PLACES)} {i}"
        pool.append((f"actor-{i}", name, kind))
    return pool


def _article(n: int, base: str, actors: list[tuple[str, str, str]], rng: random.Random) -> Iterator[ox.Quad]:
    article = f"{base}id/article/synthetic-{n:06d}"
    graph = ox.NamedNode(article)
    published = date(2000, 1, 1) + timedelta(days=rng.randrange(7300))
    offset = 0

    def quad(s: str, p: str, o: ox.NamedNode | ox.Literal) -> ox.Quad:
        return ox.Quad(ox.NamedNode(s), ox.NamedNode(p) if isinstance(p, str) else p, o, graph)

    def mention(thing: str, text: str) -> Iterator[ox.Quad]:
        nonlocal offset
        begin, offset = offset, offset + len(text) + rng.randrange(5, 80)
        iri = f"{article}#char={begin},{begin + len(text)}"
        yield quad(thing, GAF + "denotedBy", ox.NamedNode(iri))
        yield quad(iri, RDF_TYPE.value, ox.NamedNode(NIF + "OffsetBasedString"))
        yield quad(iri, NIF + "beginIndex", ox.Literal(str(begin), datatype=XSD_INT))
        yield quad(iri, NIF + "endIndex", ox.Literal(str(begin + len(text)), datatype=XSD_INT))
        yield quad(iri, NIF + "anchorOf", ox.Literal(text))
        yield quad(iri, NIF + "referenceContext", ox.NamedNode(f"{article}#context"))

    yield quad(article, RDF_TYPE.value, ox.NamedNode(SCHEMA + "NewsArticle"))
    yield quad(article, SCHEMA + "headline", ox.Literal(f"Synthetic report number {n}"))
    yield quad(article, SCHEMA + "datePublished", ox.Literal(published.isoformat(), datatype=XSD_DATE))
    cast = rng.sample(actors, 6)
    for slug, name, kind in cast:
        iri = f"{base}id/actor/{slug}"
        yield quad(iri, RDF_TYPE.value, ox.NamedNode(SEM + ("Place" if kind == "Place" else "Actor")))
        yield quad(iri, RDF_TYPE.value, ox.NamedNode(SCHEMA + kind))
        yield quad(iri, LABEL.value, ox.Literal(name))
        yield from mention(iri, name)
    people = [a for a in cast if a[2] != "Place"] or cast
    places = [a for a in cast if a[2] == "Place"]
    events = []
    for e in range(EVENTS_PER_ARTICLE):
        cls = rng.choice(CLASSES)
        iri = f"{base}id/event/synthetic-{n:06d}-{e}"
        events.append(iri)
        yield quad(iri, RDF_TYPE.value, ox.NamedNode(KG + cls))
        yield quad(iri, KG + "status", ox.NamedNode(KG + rng.choice(STATUSES)))
        yield quad(iri, LABEL.value, ox.Literal(f"{cls} {n}-{e}"))
        if cls in CAMEO:
            yield quad(iri, KG + "cameoCode", ox.Literal(CAMEO[cls]))
        for slug, _, _ in rng.sample(people, min(len(people), rng.randint(1, 3))):
            yield quad(iri, SEM + "hasActor", ox.NamedNode(f"{base}id/actor/{slug}"))
        if places and rng.random() < 0.5:
            yield quad(iri, SEM + "hasPlace", ox.NamedNode(f"{base}id/actor/{places[0][0]}"))
        if rng.random() < 0.8:
            precision, span = rng.choice(PRECISIONS)
            start = published + timedelta(days=rng.randrange(-400, 200))
            yield quad(iri, KG + "timex", ox.Literal(start.isoformat()))
            yield quad(iri, KG + "timeText", ox.Literal(f"on {start:%d %B %Y}"))
            yield quad(iri, KG + "timePrecision", ox.Literal(precision))
            yield quad(iri, SEM + "hasEarliestBeginTimeStamp", ox.Literal(start.isoformat(), datatype=XSD_DATE))
            end = start + timedelta(days=span)
            yield quad(iri, SEM + "hasLatestEndTimeStamp", ox.Literal(end.isoformat(), datatype=XSD_DATE))
        yield from mention(iri, cls.lower())
    for a in range(4):
        iri = f"{base}id/assertion/synthetic-{n:06d}-{a}"
        claimant = rng.choice(people)
        yield quad(iri, RDF_TYPE.value, ox.NamedNode(KG + "Assertion"))
        yield quad(iri, PROV + "wasAttributedTo", ox.NamedNode(f"{base}id/actor/{claimant[0]}"))
        yield quad(iri, KG + "cue", ox.Literal(rng.choice(CUES)))
        yield quad(iri, KG + "content", ox.Literal(f"claim {a} of report {n} about {claimant[1]}"))
        yield quad(iri, KG + "isDirectQuote", ox.Literal("true" if rng.random() < 0.4 else "false", datatype=XSD_BOOL))
        yield quad(iri, KG + "about", ox.NamedNode(rng.choice(events)))
        yield quad(iri, KG + "statedOn", ox.Literal(published.isoformat(), datatype=XSD_DATE))
        yield quad(iri, PROV + "wasDerivedFrom", graph)
        yield from mention(iri, f"claim {a}")


def build_store(path: str, n_articles: int) -> ox.Store:
    """A store at ``path`` holding ``n_articles`` synthetic articles, flushed to disk."""
    store = ox.Store(path)
    store.bulk_extend(synthetic_quads(n_articles))
    store.flush()
    return store


if __name__ == "__main__":
    import sys

    count = sum(1 for _ in synthetic_quads(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
    print(count)
