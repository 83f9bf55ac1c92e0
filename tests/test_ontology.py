"""The ontology, the SHACL shapes and the generated ``KG`` namespace agree.

ontology/kg.ttl, ontology/shapes.ttl and kgservice/graph/namespaces.py are checked
against each other, and the shapes must accept a well-formed article graph and reject
each of a list of broken ones with a result on the right node and property.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest
from pyshacl import validate
from pyshacl.entrypoints import meta_validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from kgservice import resources
from kgservice.graph.namespaces import (
    DCTERMS,
    GAF,
    KG,
    NIF,
    OWL,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SEM,
    SKOS,
    XSD,
    bind_prefixes,
)
from kgservice.resources import resource_dir

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_IRI = URIRef("https://w3id.org/kgservice/ns")
KGSH_EVENT_SHAPE = URIRef("https://w3id.org/kgservice/shapes#EventShape")
EVENT_CLASSES = {
    KG.Meeting,
    KG.Statement,
    KG.Communication,
    KG.Parade,
    KG.Demonstration,
    KG.Agreement,
    KG.MilitaryAction,
    KG.Test,
    KG.Visit,
    KG.Occurrence,
}
OBJECT_PROPERTIES = {KG.status, KG.about, KG.statedIn, KG.agent, KG.patient}
DATATYPE_PROPERTIES = {
    KG.cameoCode,
    KG.ordinal,
    KG.cue,
    KG.content,
    KG.isDirectQuote,
    KG.statedOn,
    KG.timex,
    KG.timeText,
    KG.timePrecision,
    KG.role,
    KG.softwareVersion,
    KG.modelName,
    KG.contentHash,
    KG.modelVersion,
}
STATUSES = {
    KG.Occurred,
    KG.Ongoing,
    KG.Planned,
    KG.Possible,
    KG.Hypothetical,
    KG.Denied,
}


@pytest.fixture(scope="module")
def kg() -> Graph:
    """The ontology, parsed."""
    return Graph().parse(resource_dir("ontology") / "kg.ttl", format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    """The SHACL shapes, parsed."""
    return Graph().parse(resource_dir("ontology") / "shapes.ttl", format="turtle")


def kg_subjects(graph: Graph) -> set[URIRef]:
    """Every kg: IRI that the graph gives a type, i.e. defines."""
    return {s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef) and s.startswith(str(KG._NS))}


def kg_properties(graph: Graph) -> set[URIRef]:
    """The kg: object and datatype properties."""
    kinds = (OWL.ObjectProperty, OWL.DatatypeProperty)
    return {s for s in kg_subjects(graph) if any((s, RDF.type, k) in graph for k in kinds)}


# --- the ontology ---------------------------------------------------------------------


def test_ontology_header(kg: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in kg
    assert kg.value(ONTOLOGY_IRI, OWL.versionInfo) == Literal("0.1.0")
    assert kg.value(ONTOLOGY_IRI, DCTERMS.title) is not None
    assert kg.value(ONTOLOGY_IRI, DCTERMS.description) is not None


def test_every_term_is_documented(kg: Graph) -> None:
    undocumented = {
        term: missing
        for term in kg_subjects(kg)
        if (
            missing := [
                p.n3(kg.namespace_manager)
                for p in (RDFS.label, RDFS.comment, RDFS.isDefinedBy)
                if kg.value(term, p) is None
            ]
        )
    }
    assert undocumented == {}
    assert set(kg.objects(None, RDFS.isDefinedBy)) == {ONTOLOGY_IRI}


def test_every_property_has_domain_and_range(kg: Graph) -> None:
    properties = kg_properties(kg)
    assert properties == OBJECT_PROPERTIES | DATATYPE_PROPERTIES
    missing = {p for p in properties if kg.value(p, RDFS.domain) is None or kg.value(p, RDFS.range) is None}
    assert missing == set()


def test_event_classes_are_sem_events(kg: Graph) -> None:
    assert set(kg.subjects(RDFS.subClassOf, SEM.Event)) == EVENT_CLASSES
    assert (KG.Assertion, RDFS.subClassOf, PROV.Entity) in kg
    assert (KG.Group, RDFS.subClassOf, SEM.Actor) in kg
    for prop in (KG.agent, KG.patient):
        assert (prop, RDFS.subPropertyOf, SEM.hasActor) in kg


def test_statuses(kg: Graph) -> None:
    assert set(kg.subjects(RDF.type, KG.Status)) == STATUSES
    assert kg.value(KG.status, RDFS.range) == KG.Status


def test_namespace_matches_ontology(kg: Graph) -> None:
    in_code = {KG[name] for name in KG.__annotations__}
    assert in_code == kg_subjects(kg)


def test_namespace_is_closed() -> None:
    with pytest.raises(AttributeError):
        KG.Misspelt  # noqa: B018


def test_generated_namespace_is_up_to_date() -> None:
    script = ROOT / "scripts" / "gen_namespace.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def load_generator() -> ModuleType:
    """Import scripts/gen_namespace.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("gen_namespace", ROOT / "scripts" / "gen_namespace.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_check_notices_a_stale_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generator = load_generator()
    stale = tmp_path / "namespaces.py"
    source = generator.TARGET.read_text(encoding="utf-8")
    stale.write_text(source.replace("    Meeting: URIRef\n", ""), encoding="utf-8")
    monkeypatch.setattr(generator, "TARGET", stale)
    monkeypatch.setattr(generator, "ROOT", tmp_path)
    assert generator.main(["--check"]) == 1
    assert generator.main([]) == 0
    assert stale.read_text(encoding="utf-8") == source


def test_resource_dir_finds_the_ontology() -> None:
    assert (resource_dir("ontology") / "kg.ttl").is_file()
    with pytest.raises(ValueError):
        resource_dir("secrets")


def test_resource_dir_says_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources, "files", lambda _: tmp_path / "site-packages")
    monkeypatch.setattr(resources, "__file__", str(tmp_path / "kgservice" / "x.py"))
    with pytest.raises(FileNotFoundError, match="source checkout"):
        resource_dir("ontology")


# --- the shapes -----------------------------------------------------------------------


def test_shapes_are_valid_shacl(shapes: Graph) -> None:
    conforms, _, text = meta_validate(shapes, inference="none")
    assert conforms, text


def test_shapes_use_only_defined_kg_terms(kg: Graph, shapes: Graph) -> None:
    used = {t for triple in shapes for t in triple if isinstance(t, URIRef) and t.startswith(str(KG._NS))}
    assert used - kg_subjects(kg) == set()


def test_event_shape_targets_every_event_class(kg: Graph, shapes: Graph) -> None:
    # pySHACL does not follow rdfs:subClassOf from kg.ttl: each class must be a target.
    targets = set(shapes.objects(KGSH_EVENT_SHAPE, SH.targetClass))
    assert targets == set(kg.subjects(RDFS.subClassOf, SEM.Event)) | {SEM.Event}


# --- an article graph -----------------------------------------------------------------

BASE = "http://127.0.0.1:8000/id/"
ARTICLE = URIRef(BASE + "article/000")
RUN = URIRef(BASE + "run/abc")
TRUMP = URIRef(BASE + "actor/donald-trump")
KIM = URIRef(BASE + "actor/kim-jong-un")
SANDERS = URIRef(BASE + "actor/sarah-huckabee-sanders")
MEETING = URIRef(BASE + "event/second-trump-kim-meeting")
UNTYPED = URIRef(BASE + "article/untyped")
ASSERTION = URIRef(BASE + "assertion/abc")
BODY = (
    "White House press secretary Sarah Huckabee Sanders said on Monday that another "
    "meeting between President Trump and North Korean dictator Kim Jong Un is in the "
    "works."
)
CONTEXT = URIRef(f"{ARTICLE}#char=0,{len(BODY)}")


def mention(graph: Graph, text: str) -> URIRef:
    """Add the NIF mention of the first ``text`` in ``BODY`` and return its IRI."""
    begin = BODY.index(text)
    end = begin + len(text)
    iri = URIRef(f"{ARTICLE}#char={begin},{end}")
    graph.add((iri, RDF.type, NIF.OffsetBasedString))
    graph.add((iri, NIF.beginIndex, Literal(begin)))
    graph.add((iri, NIF.endIndex, Literal(end)))
    graph.add((iri, NIF.anchorOf, Literal(text)))
    graph.add((iri, NIF.referenceContext, CONTEXT))
    return iri


def add_article(graph: Graph) -> None:
    """The article, its body as a NIF context and the extraction run."""
    graph.add((ARTICLE, RDF.type, SCHEMA.NewsArticle))
    graph.add((ARTICLE, SCHEMA.headline, Literal("Another Trump-Kim meeting in the works")))
    graph.add((ARTICLE, SCHEMA.datePublished, Literal(date(2018, 9, 11))))
    graph.add((ARTICLE, SCHEMA.articleBody, Literal(BODY)))
    graph.add((ARTICLE, PROV.wasGeneratedBy, RUN))
    graph.add((RUN, RDF.type, PROV.Activity))
    graph.add((RUN, KG.softwareVersion, Literal("0.1.0")))
    graph.add((RUN, KG.modelName, Literal("en_core_web_sm")))
    graph.add((RUN, KG.modelVersion, Literal("3.8.0")))
    graph.add(
        (
            RUN,
            PROV.startedAtTime,
            Literal("2018-09-11T10:00:00Z", datatype=XSD.dateTime),
        )
    )
    for triple in (
        (CONTEXT, RDF.type, NIF.Context),
        (CONTEXT, RDF.type, NIF.OffsetBasedString),
        (CONTEXT, NIF.beginIndex, Literal(0)),
        (CONTEXT, NIF.endIndex, Literal(len(BODY))),
        (CONTEXT, NIF.isString, Literal(BODY)),
    ):
        graph.add(triple)


def add_actor(graph: Graph, iri: URIRef, label: str, text: str, role: str | None = None) -> None:
    """A person mentioned once, with an optional role."""
    graph.add((iri, RDF.type, SEM.Actor))
    graph.add((iri, RDF.type, SCHEMA.Person))
    graph.add((iri, RDFS.label, Literal(label)))
    graph.add((iri, SKOS.altLabel, Literal(text)))
    graph.add((iri, GAF.denotedBy, mention(graph, text)))
    if role is not None:
        graph.add((iri, KG.role, Literal(role)))


def add_event(graph: Graph) -> None:
    """The planned second meeting, dated to the day."""
    for p, o in (
        (RDF.type, KG.Meeting),
        (RDFS.label, Literal("meeting of Trump and Kim Jong Un")),
        (KG.status, KG.Planned),
        (KG.cameoCode, Literal("04")),
        (SEM.hasActor, TRUMP),
        (SEM.hasActor, KIM),
        (KG.agent, TRUMP),
        (KG.timex, Literal("2018-09-10")),
        (KG.timeText, Literal("on Monday")),
        (KG.timePrecision, Literal("day")),
        (SEM.hasEarliestBeginTimeStamp, Literal(date(2018, 9, 10))),
        (SEM.hasLatestEndTimeStamp, Literal(date(2018, 9, 10))),
        (GAF.denotedBy, mention(graph, "meeting")),
    ):
        graph.add((MEETING, p, o))


def add_assertion(graph: Graph) -> None:
    """Sanders's claim that the meeting is in the works."""
    content = BODY[BODY.index("another") : -1]
    for p, o in (
        (RDF.type, KG.Assertion),
        (PROV.wasAttributedTo, SANDERS),
        (KG.cue, Literal("said")),
        (KG.content, Literal(content)),
        (KG.isDirectQuote, Literal(False)),
        (KG.about, MEETING),
        (KG.statedOn, Literal(date(2018, 9, 10))),
        (PROV.wasDerivedFrom, ARTICLE),
        (GAF.denotedBy, mention(graph, content)),
    ):
        graph.add((ASSERTION, p, o))


def article_graph() -> Graph:
    """A small article graph of the kind the mapper writes, valid against the shapes."""
    graph = Graph(identifier=ARTICLE)
    bind_prefixes(graph)
    add_article(graph)
    add_actor(
        graph,
        SANDERS,
        "Sarah Huckabee Sanders",
        "Sarah Huckabee Sanders",
        "White House press secretary",
    )
    add_actor(graph, TRUMP, "Donald Trump", "President Trump", "President")
    add_actor(graph, KIM, "Kim Jong Un", "Kim Jong Un", "North Korean dictator")
    add_event(graph)
    add_assertion(graph)
    return graph


def violations(graph: Graph, shapes: Graph) -> set[tuple[Node | None, Node | None]]:
    """Validate ``graph``; return the (focus node, result path) of every result."""
    conforms, report, _ = validate(graph, shacl_graph=shapes, inference="none")
    assert isinstance(report, Graph)
    found = {
        (report.value(r, SH.focusNode), report.value(r, SH.resultPath))
        for r in report.subjects(RDF.type, SH.ValidationResult)
    }
    assert conforms == (not found)
    return found


def test_article_graph_conforms(shapes: Graph) -> None:
    assert violations(article_graph(), shapes) == set()


MEETING_AT = BODY.index("meeting")
MENTION = URIRef(f"{ARTICLE}#char={MEETING_AT},{MEETING_AT + len('meeting')}")


# Changes one triple or two of a valid graph; what it returns is ignored.
Breakage = Callable[[Graph], object]


def remove(s: Node, p: Node) -> Breakage:
    """A breakage: remove every (s, p, *) triple."""
    return lambda g: g.remove((s, p, None))


def replace(s: Node, p: Node, o: Node) -> Breakage:
    """A breakage: set (s, p) to the single value ``o``."""
    return lambda g: g.set((s, p, o))


BREAKAGES: dict[str, tuple[Breakage, Node, Node | None]] = {
    "event without status": (remove(MEETING, KG.status), MEETING, KG.status),
    "status not one of six": (
        replace(MEETING, KG.status, KG._NS["Rumoured"]),
        MEETING,
        KG.status,
    ),
    "event without label": (remove(MEETING, RDFS.label), MEETING, RDFS.label),
    "event without mention": (remove(MEETING, GAF.denotedBy), MEETING, GAF.denotedBy),
    "CAMEO code out of range": (
        replace(MEETING, KG.cameoCode, Literal("21")),
        MEETING,
        KG.cameoCode,
    ),
    "unknown precision": (
        replace(MEETING, KG.timePrecision, Literal("fortnight")),
        MEETING,
        KG.timePrecision,
    ),
    "earliest after latest": (
        replace(MEETING, SEM.hasEarliestBeginTimeStamp, Literal(date(2018, 9, 11))),
        MEETING,
        SEM.hasEarliestBeginTimeStamp,
    ),
    "earliest without latest": (
        remove(MEETING, SEM.hasLatestEndTimeStamp),
        MEETING,
        SEM.hasLatestEndTimeStamp,
    ),
    "participant not an actor": (
        replace(MEETING, SEM.hasActor, URIRef(BASE + "actor/nobody")),
        MEETING,
        SEM.hasActor,
    ),
    "assertion without cue": (remove(ASSERTION, KG.cue), ASSERTION, KG.cue),
    "quote flag not boolean": (
        replace(ASSERTION, KG.isDirectQuote, Literal("false")),
        ASSERTION,
        KG.isDirectQuote,
    ),
    "assertion from two articles": (
        lambda g: g.add((ASSERTION, PROV.wasDerivedFrom, URIRef(BASE + "article/001"))),
        ASSERTION,
        PROV.wasDerivedFrom,
    ),
    "end before begin": (
        replace(MENTION, NIF.endIndex, Literal(0)),
        MENTION,
        NIF.beginIndex,
    ),
    "negative offset": (
        replace(MENTION, NIF.beginIndex, Literal(-1)),
        MENTION,
        NIF.beginIndex,
    ),
    "mention not a NIF string": (remove(MENTION, RDF.type), MENTION, None),
    "actor without label": (remove(TRUMP, RDFS.label), TRUMP, RDFS.label),
    "actor with two labels": (
        lambda g: g.add((TRUMP, RDFS.label, Literal("Trump"))),
        TRUMP,
        RDFS.label,
    ),
    "actor without mention": (remove(KIM, GAF.denotedBy), KIM, GAF.denotedBy),
    "article without body": (
        remove(ARTICLE, SCHEMA.articleBody),
        ARTICLE,
        SCHEMA.articleBody,
    ),
    "article with two headlines": (
        lambda g: g.add((ARTICLE, SCHEMA.headline, Literal("Second headline"))),
        ARTICLE,
        SCHEMA.headline,
    ),
    "body on something not an article": (
        lambda g: g.add((UNTYPED, SCHEMA.articleBody, Literal(BODY))),
        UNTYPED,
        None,
    ),
}


@pytest.mark.parametrize("name", BREAKAGES)
def test_broken_article_graph_is_rejected(name: str, shapes: Graph) -> None:
    breakage, focus, path = BREAKAGES[name]
    graph = article_graph()
    breakage(graph)
    found = violations(graph, shapes)
    assert (focus, path) in found, f"{name}: expected a result on {focus} {path}, got {found}"


def test_mention_text_must_match_its_offsets(shapes: Graph) -> None:
    graph = article_graph()
    graph.set((MENTION, NIF.anchorOf, Literal("meetinG")))
    conforms, report, _ = validate(graph, shacl_graph=shapes, inference="none")
    assert isinstance(report, Graph)
    results = list(report.subjects(RDF.type, SH.ValidationResult))
    assert not conforms and len(results) == 1
    # Checked once per context, for speed: the mention is the value, not the focus.
    assert report.value(results[0], SH.focusNode) == CONTEXT
    assert report.value(results[0], SH.value) == MENTION
