"""The dataset description (``/.well-known/void``): VoID and DCAT, with counts taken by SPARQL.

:func:`statistics` runs the ``queries/void-*.rq`` queries through whatever runs SPARQL for
the caller (the web app's killable query workers, or :meth:`GraphStore.rows`), so every
number is what a SPARQL user would count: distinct triples of the union of all graphs,
entities (distinct subjects in the URI space ``KG_BASE_URI + "id/"``), class and property
partitions, and ``owl:sameAs`` links per external dataset. :func:`void_graph` turns them,
with the dumps, the endpoint and the licence, into an rdflib graph.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, Namespace, URIRef

from kgservice.export import FORMATS
from kgservice.graph.jsonld import context_url
from kgservice.graph.namespaces import DCAT, DCTERMS, KG, OWL, PREFIXES, RDF, RDFS, SD, VOID, XSD, bind_prefixes
from kgservice.resources import load_query

FOAF = Namespace("http://xmlns.com/foaf/0.1/")
IANA = "http://www.iana.org/assignments/media-types/"
TITLE = "kgservice: an event-timeline knowledge graph of news articles"
DESCRIPTION = (
    "Actors, events (with their time, place, participants and status) and assertions (who said what, "
    "when, about what) extracted from news articles, one named graph per article, with links to GeoNames, "
    "Wikidata and DBpedia. Dumps are streamed from the export endpoint (TriG and N-Quads keep the graphs; "
    "add gzip=1 for a gzip file)."
)


@dataclass(frozen=True)
class LinkTarget:
    """An external dataset we link to with ``owl:sameAs``, known by the namespace of its IRIs."""

    key: str
    title: str
    namespace: str
    homepage: str


LINK_TARGETS: tuple[LinkTarget, ...] = (
    LinkTarget("geonames", "GeoNames", "https://sws.geonames.org/", "https://www.geonames.org/"),
    LinkTarget("wikidata", "Wikidata", "http://www.wikidata.org/entity/", "https://www.wikidata.org/"),
    LinkTarget("dbpedia", "DBpedia", "http://dbpedia.org/resource/", "https://www.dbpedia.org/"),
)

Rows = Callable[[str], list[dict[str, str]]]  # runs a SELECT, returns rows of plain strings


@dataclass(frozen=True)
class Statistics:
    """The counts of the dataset description."""

    triples: int
    subjects: int
    objects: int
    properties: int
    graphs: int
    articles: int
    entities: int
    created: str | None
    modified: str | None
    class_partitions: tuple[tuple[str, int], ...]  # (class, instances)
    property_partitions: tuple[tuple[str, int, int, int], ...]  # (property, triples, subjects, objects)
    links: tuple[tuple[str, int], ...]  # (namespace, owl:sameAs links)


def uri_space(base_uri: str) -> str:
    """Where the dataset's own IRIs live: ``KG_BASE_URI`` + ``id/``."""
    return f"{base_uri}id/"


def statistics(rows: Rows, base_uri: str) -> Statistics:
    """Count everything the description states, with the ``void-*`` queries."""
    totals = rows(load_query("void-statistics").text)[0]
    entities = rows(load_query("void-entities").restricted("space", [uri_space(base_uri)]))[0]
    return Statistics(
        triples=_int(totals, "triples"),
        subjects=_int(totals, "subjects"),
        objects=_int(totals, "objects"),
        properties=_int(totals, "properties"),
        graphs=_int(totals, "graphs"),
        articles=_int(totals, "articles"),
        entities=_int(entities, "entities"),
        created=totals.get("created"),
        modified=totals.get("modified"),
        class_partitions=tuple((r["class"], _int(r, "entities")) for r in rows(load_query("void-classes").text)),
        property_partitions=tuple(
            (r["property"], _int(r, "triples"), _int(r, "subjects"), _int(r, "objects"))
            for r in rows(load_query("void-properties").text)
        ),
        links=tuple((r["namespace"], _int(r, "links")) for r in rows(load_query("void-linksets").text)),
    )


def _int(row: dict[str, str], name: str) -> int:
    return int(row.get(name, "0"))


@dataclass(frozen=True)
class Publication:
    """Who publishes the data, under which licence, and where the service lives."""

    base_uri: str
    license: str
    publisher: str  # an IRI, or a name


def void_graph(stats: Statistics, publication: Publication) -> Graph:
    """The VoID + DCAT description of the dataset."""
    graph = Graph()
    bind_prefixes(graph)
    graph.bind("foaf", FOAF)
    doc = URIRef(f"{publication.base_uri}.well-known/void")
    dataset = URIRef(f"{doc}#dataset")
    graph.add((doc, RDF.type, VOID.DatasetDescription))
    graph.add((doc, DCTERMS.title, Literal(f"Description of {TITLE}", lang="en")))
    graph.add((doc, FOAF.primaryTopic, dataset))
    _describe_dataset(graph, dataset, stats, publication)
    _add_counts(graph, dataset, stats)
    _add_access(graph, dataset, doc, publication.base_uri)
    _add_partitions(graph, dataset, stats)
    _add_linksets(graph, dataset, doc, stats)
    return graph


def _describe_dataset(graph: Graph, dataset: URIRef, stats: Statistics, publication: Publication) -> None:
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, RDF.type, DCAT.Dataset))
    graph.add((dataset, DCTERMS.title, Literal(TITLE, lang="en")))
    graph.add((dataset, DCTERMS.description, Literal(DESCRIPTION, lang="en")))
    graph.add((dataset, DCTERMS.license, URIRef(publication.license)))
    graph.add((dataset, DCTERMS.publisher, _publisher(graph, publication)))
    for predicate, value in ((DCTERMS.created, stats.created), (DCTERMS.modified, stats.modified)):
        if value:
            graph.add((dataset, predicate, Literal(value, datatype=XSD.dateTime)))
    graph.add((dataset, VOID.uriSpace, Literal(uri_space(publication.base_uri))))
    for prefix in ("kg", "sem", "schema", "prov", "gaf", "nif", "rdfs", "skos", "owl"):
        graph.add((dataset, VOID.vocabulary, URIRef(str(PREFIXES[prefix]))))
    graph.add((dataset, RDFS.seeAlso, URIRef(str(KG._NS).rstrip("#"))))


def _publisher(graph: Graph, publication: Publication) -> URIRef:
    """The publisher: the IRI ``KG_PUBLISHER`` names, or an agent of that name (by default, this service)."""
    if "://" in publication.publisher:
        return URIRef(publication.publisher)
    agent = URIRef(f"{publication.base_uri}.well-known/void#publisher")
    graph.add((agent, RDF.type, FOAF.Agent))
    graph.add((agent, FOAF.name, Literal(publication.publisher or f"kgservice at {publication.base_uri}")))
    graph.add((agent, FOAF.homepage, URIRef(publication.base_uri)))
    return agent


def _add_counts(graph: Graph, dataset: URIRef, stats: Statistics) -> None:
    counts = (
        (VOID.triples, stats.triples),
        (VOID.entities, stats.entities),
        (VOID.distinctSubjects, stats.subjects),
        (VOID.distinctObjects, stats.objects),
        (VOID.properties, stats.properties),
        (VOID.classes, len(stats.class_partitions)),
        (VOID.documents, stats.articles),
    )
    for predicate, value in counts:
        graph.add((dataset, predicate, Literal(value)))


def _add_access(graph: Graph, dataset: URIRef, doc: URIRef, base_uri: str) -> None:
    """The SPARQL endpoint (VoID and a DCAT data service) and one dump per format."""
    endpoint = URIRef(f"{base_uri}sparql")
    graph.add((dataset, VOID.sparqlEndpoint, endpoint))
    service = URIRef(f"{doc}#sparql")
    graph.add((service, RDF.type, DCAT.DataService))
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, DCAT.endpointURL, endpoint))
    graph.add((service, SD.endpoint, endpoint))
    graph.add((service, DCAT.servesDataset, dataset))
    for fmt in FORMATS:
        url = URIRef(f"{base_uri}export?format={fmt.key}")
        distribution = URIRef(f"{doc}#dump-{fmt.key}")
        graph.add((dataset, VOID.dataDump, url))
        graph.add((dataset, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCTERMS.title, Literal(f"Dump of the whole dataset ({fmt.key})", lang="en")))
        graph.add((distribution, DCAT.downloadURL, url))
        graph.add((distribution, DCAT.mediaType, URIRef(IANA + fmt.media_type)))
        graph.add((distribution, DCTERMS.format, Literal(fmt.media_type)))
        if fmt.key == "jsonld":
            graph.add((distribution, RDFS.seeAlso, URIRef(context_url(base_uri))))


def _add_partitions(graph: Graph, dataset: URIRef, stats: Statistics) -> None:
    for cls, entities in stats.class_partitions:
        part = BNode()
        graph.add((dataset, VOID.classPartition, part))
        graph.add((part, VOID["class"], URIRef(cls)))
        graph.add((part, VOID.entities, Literal(entities)))
    for prop, triples, subjects, objects in stats.property_partitions:
        part = BNode()
        graph.add((dataset, VOID.propertyPartition, part))
        graph.add((part, VOID.property, URIRef(prop)))
        graph.add((part, VOID.triples, Literal(triples)))
        graph.add((part, VOID.distinctSubjects, Literal(subjects)))
        graph.add((part, VOID.distinctObjects, Literal(objects)))


def _add_linksets(graph: Graph, dataset: URIRef, doc: URIRef, stats: Statistics) -> None:
    """One ``void:Linkset`` per external dataset we have links to (none for a dataset without links)."""
    counts = dict(stats.links)
    for target in LINK_TARGETS:
        links = counts.get(target.namespace, 0)
        if not links:
            continue
        other, linkset = URIRef(f"{doc}#{target.key}"), URIRef(f"{doc}#links-{target.key}")
        graph.add((other, RDF.type, VOID.Dataset))
        graph.add((other, DCTERMS.title, Literal(target.title)))
        graph.add((other, FOAF.homepage, URIRef(target.homepage)))
        graph.add((other, VOID.uriSpace, Literal(target.namespace)))
        graph.add((dataset, VOID.subset, linkset))
        graph.add((linkset, RDF.type, VOID.Linkset))
        graph.add((linkset, VOID.subjectsTarget, dataset))
        graph.add((linkset, VOID.objectsTarget, other))
        graph.add((linkset, VOID.linkPredicate, OWL.sameAs))
        graph.add((linkset, VOID.triples, Literal(links)))
