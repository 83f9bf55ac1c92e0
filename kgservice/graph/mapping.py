"""Records → RDF: one article's extraction as the triples of its named graph.

Pure: no spaCy, no store. Which IRI an actor or event gets is decided beforehand by
:mod:`kgservice.resolve` and passed in as ``Identities``. The triples are Oxigraph terms,
made directly (an ingest writes them as they are); :meth:`ArticleGraph.to_rdflib` gives an
rdflib ``Graph`` for the callers that want one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import pyoxigraph as ox
from rdflib import Graph, URIRef

from kgservice import __version__
from kgservice.extract.records import Actor, Assertion, Event, Extraction, Span, TimeExpr
from kgservice.graph import namespaces
from kgservice.graph.iris import Minter, mention
from kgservice.graph.namespaces import bind_prefixes


class _Terms:
    """A namespace whose terms are Oxigraph IRIs, each made once (closed namespaces stay closed)."""

    def __init__(self, namespace: object) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> ox.NamedNode:  # only on the first use of a name
        node = ox.NamedNode(str(getattr(self._namespace, name)))
        setattr(self, name, node)
        return node

    def __getitem__(self, name: str) -> ox.NamedNode:
        return self.__dict__.get(name) or self.__getattr__(name)


GAF, KG, NIF, OWL, PROV, RDF, RDFS, SCHEMA, SEM, SKOS, XSD = (
    _Terms(getattr(namespaces, name))
    for name in ("GAF", "KG", "NIF", "OWL", "PROV", "RDF", "RDFS", "SCHEMA", "SEM", "SKOS", "XSD")
)

ACTOR_CLASSES: dict[str, tuple[ox.NamedNode, ...]] = {
    "Person": (SCHEMA.Person,),
    "Organization": (SCHEMA.Organization,),
    "Place": (SCHEMA.Place, SEM.Place),
    "Group": (KG.Group,),
    "Product": (SCHEMA.Product,),  # SEM actors need not be sentient: a product launched, a missile tested
}
PARTICIPANT_ROLES = {"agent": KG.agent, "patient": KG.patient}


@dataclass(frozen=True)
class Identities:
    """The IRIs chosen for an article's actors and events (by local record id)."""

    actors: Mapping[str, URIRef] = field(default_factory=dict)
    events: Mapping[str, URIRef] = field(default_factory=dict)


@dataclass(frozen=True)
class ArticleGraph:
    """One article's named graph: its name and its distinct triples, in the order they were made."""

    name: URIRef
    triples: list[ox.Triple]

    def __len__(self) -> int:
        return len(self.triples)

    def ntriples(self) -> str:
        """The triples as N-Triples (Oxigraph's writer: one triple a line)."""
        return (ox.serialize(self.triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")

    def to_rdflib(self) -> Graph:
        """The same triples as an rdflib ``Graph`` named after the article, with our prefixes bound."""
        from kgservice.store import from_ox

        graph = Graph(identifier=self.name)
        bind_prefixes(graph)
        graph.addN((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object), graph) for t in self.triples)
        return graph


def article_graph(extraction: Extraction, minter: Minter, ids: Identities) -> Graph:
    """The named graph of one article, as an rdflib ``Graph``."""
    return article_triples(extraction, minter, ids).to_rdflib()


def article_triples(extraction: Extraction, minter: Minter, ids: Identities) -> ArticleGraph:
    """The named graph of one article, as Oxigraph triples."""
    article = minter.article(extraction.article.id)
    writer = _Writer(article, minter, ids, extraction.article.published)
    writer.article(extraction)
    for actor in extraction.actors:
        writer.actor(actor)
    for event in extraction.events:
        writer.event(event)
    for assertion in extraction.assertions:
        writer.assertion(assertion)
    return ArticleGraph(article, list(writer.triples))


class _Writer:
    """Makes the triples of one article's records (as Oxigraph terms; each triple once)."""

    def __init__(self, article: URIRef, minter: Minter, ids: Identities, published: date | None) -> None:
        self.art, self.minter, self.ids, self.published = article, minter, ids, published
        self.context: URIRef | None = None
        self.text = ""
        self.triples: dict[ox.Triple, None] = {}  # a set that keeps the order
        self.nodes: dict[str, ox.NamedNode] = {}

    def add(self, subject: URIRef, predicate: ox.NamedNode, obj: object) -> None:
        if obj is not None:
            self.triples[ox.Triple(self.node(subject), predicate, self.term(obj))] = None

    def node(self, iri: str) -> ox.NamedNode:
        node = self.nodes.get(iri)
        if node is None:
            node = self.nodes[iri] = ox.NamedNode(iri)
        return node

    def term(self, obj: object) -> ox.NamedNode | ox.Literal:
        """An IRI, a literal, or text, an integer or a boolean as a literal (typed as rdflib types them)."""
        if isinstance(obj, ox.NamedNode | ox.Literal):
            return obj
        if isinstance(obj, URIRef):
            return self.node(obj)
        if isinstance(obj, str | int):  # bool is an int: xsd:boolean
            return ox.Literal(obj)
        raise TypeError(f"no RDF term for {obj!r}")

    def article(self, extraction: Extraction) -> None:
        meta, a = extraction.article, self.art
        self.add(a, RDF.type, SCHEMA.OpinionNewsArticle if meta.is_opinion else SCHEMA.NewsArticle)
        self.add(a, SCHEMA.headline, meta.title)
        self.add(a, SCHEMA.datePublished, _date(meta.published))
        self.add(a, SCHEMA.url, URIRef(meta.url) if meta.url and _is_iri(meta.url) else meta.url)
        self.add(a, SCHEMA.author, self.actor_iri(extraction.author) if extraction.author else meta.author)
        self.add(a, SCHEMA.articleBody, meta.text)
        self.text = meta.text
        self.context = mention(a, 0, len(meta.text))
        self.add(self.context, RDF.type, NIF.Context)
        self.add(self.context, RDF.type, NIF.OffsetBasedString)
        self.add(self.context, NIF.beginIndex, 0)
        self.add(self.context, NIF.endIndex, len(meta.text))
        self.add(self.context, NIF.isString, meta.text)
        self._run(extraction)

    def _run(self, extraction: Extraction) -> None:
        run = self.minter.run(extraction.article.id, __version__, extraction.model, extraction.model_version)
        self.add(self.art, PROV.wasGeneratedBy, run)
        self.add(run, RDF.type, PROV.Activity)
        self.add(run, KG.softwareVersion, __version__)
        self.add(run, KG.modelName, extraction.model)
        self.add(run, KG.modelVersion, extraction.model_version)
        if extraction.extracted_at:
            self.add(run, PROV.startedAtTime, ox.Literal(extraction.extracted_at, datatype=XSD.dateTime))

    def mentions(self, subject: URIRef, spans: Iterable[Span]) -> None:
        for span in spans:
            node = mention(self.art, span.start, span.end)
            self.add(subject, GAF.denotedBy, node)
            self.add(node, RDF.type, NIF.OffsetBasedString)
            self.add(node, NIF.beginIndex, span.start)
            self.add(node, NIF.endIndex, span.end)
            self.add(node, NIF.anchorOf, span.text)
            self.add(node, NIF.referenceContext, self.context)

    def actor(self, actor: Actor) -> None:
        node = self.ids.actors.get(actor.id) or self.minter.actor(actor.id)
        self.add(node, RDF.type, SEM.Actor)
        for cls in ACTOR_CLASSES.get(actor.type, ()):
            self.add(node, RDF.type, cls)
        self.add(node, RDFS.label, actor.label)
        for alias in actor.aliases:
            self.add(node, SKOS.altLabel, alias)
        for role in actor.roles:
            self.add(node, KG.role, role)
        for iri in actor.same_as:
            self.add(node, OWL.sameAs, URIRef(iri))
        self.mentions(node, actor.mentions)
        if not actor.mentions and self.context is not None:
            self.add(node, GAF.denotedBy, self.context)  # the author: the whole article is their text

    def actor_iri(self, actor_id: str) -> URIRef:
        return self.ids.actors.get(actor_id) or self.minter.actor(actor_id)

    def event_iri(self, event_id: str) -> URIRef:
        return self.ids.events.get(event_id) or self.minter.event(event_id)

    def event(self, event: Event) -> None:
        node = self.event_iri(event.id)
        self.add(node, RDF.type, KG[event.cls])
        self.add(node, RDFS.label, event.label)
        self.add(node, KG.status, KG[event.status])
        self.add(node, KG.cameoCode, event.cameo)
        self.add(node, KG.ordinal, event.ordinal)
        for participant in event.participants:
            actor = self.actor_iri(participant.actor)
            self.add(node, SEM.hasActor, actor)
            if participant.role in PARTICIPANT_ROLES:
                self.add(node, PARTICIPANT_ROLES[participant.role], actor)
        if event.place:
            self.add(node, SEM.hasPlace, self.actor_iri(event.place))
        self.time(node, event)
        self.mentions(node, event.mentions)

    def time(self, node: URIRef, event: Event) -> None:
        """Time bounds as given; an occurred, undated event happened no later than publication."""
        expr: TimeExpr | None = event.time
        if expr is not None:
            value = expr.value
            self.add(node, KG.timex, value.timex)
            self.add(node, KG.timeText, expr.span.text)
            self.add(node, KG.timePrecision, value.precision)
            self.add(node, SEM.hasEarliestBeginTimeStamp, _date(value.earliest))
            self.add(node, SEM.hasLatestEndTimeStamp, _date(value.latest))
            if value.latest is not None:
                return
        if event.status == "Occurred" and self.published is not None:
            self.add(node, SEM.hasLatestEndTimeStamp, _date(self.published))

    def assertion(self, assertion: Assertion) -> None:
        node = self.minter.assertion(self.art.rsplit("/", 1)[-1], assertion.cue, assertion.content)
        self.add(node, RDF.type, KG.Assertion)
        if assertion.claimant:
            self.add(node, PROV.wasAttributedTo, self.actor_iri(assertion.claimant))
        self.add(node, KG.cue, assertion.cue.text)
        self.add(node, KG.content, assertion.content.text)
        self.add(node, KG.isDirectQuote, assertion.direct)
        if assertion.direct:  # a quotation in schema.org's terms too, for data users who know those
            self.add(node, RDF.type, SCHEMA.Quotation)
            self.add(node, SCHEMA.text, assertion.content.text)
            if assertion.claimant:
                self.add(node, SCHEMA.spokenByCharacter, self.actor_iri(assertion.claimant))
            self.add(node, SCHEMA.isPartOf, self.art)
        for target in assertion.about:
            about = self.ids.events.get(target) or self.actor_iri(target)
            self.add(node, KG.about, about)
        self.add(node, KG.statedOn, _date(assertion.stated_on))
        if assertion.stated_in:
            self.add(node, KG.statedIn, self.event_iri(assertion.stated_in))
        self.add(node, PROV.wasDerivedFrom, self.art)
        spans = [s for s in (assertion.source, assertion.cue, assertion.content) if s is not None]
        self.mentions(node, [_covering(spans, self.text)])


def _date(value: date | None) -> ox.Literal | None:
    return ox.Literal(value.isoformat(), datatype=XSD.date) if value is not None else None


def _covering(spans: list[Span], body: str) -> Span:
    start, end = min(s.start for s in spans), max(s.end for s in spans)
    return Span(start, end, body[start:end])


def _is_iri(text: str) -> bool:
    """Whether a given URL is a valid IRI (as the store will parse it); other text is kept as a literal, as given."""
    if "://" not in text:
        return False
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True
