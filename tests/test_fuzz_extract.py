"""Property-based fuzzing: extraction, time normalisation, IRIs and the ingest path never break on odd text.

For arbitrary Unicode, empty and one-character texts, control characters and NUL, mixed
scripts, right-to-left text with bidi marks, quotation marks left open, dates in odd forms
and huge texts, the real spaCy pipeline and rules must not raise; every span must quote
the article; the article graph must be valid RDF that Oxigraph parses back; every IRI
minted from the text must be a valid absolute IRI (RFC 3987) with a non-empty name; every
date literal must be one Oxigraph reads as its datatype, with earliest <= latest; and a
fuzzed article must reach the store and still be there when the store is opened again.
Lone surrogates (half of a UTF-16 pair, which UTF-8 cannot encode) are refused by the
article reader with a clear message.

The number of examples is bounded for the suite's time budget; ``FUZZ_SCALE=10`` multiplies
it for a longer local run. Under CI the examples are derandomised (the same every run).
"""

from __future__ import annotations

import json
import os
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef

from kgservice.articles import article_id, read_body
from kgservice.errors import InputError
from kgservice.extract.actors import slugify
from kgservice.extract.records import ArticleInput, Extraction, Span
from kgservice.extract.timex import normalize_typed
from kgservice.graph.iris import Minter
from kgservice.graph.mapping import article_graph
from kgservice.graph.namespaces import XSD
from kgservice.graph.serialize import serialize_graph
from kgservice.ingest import Ingester
from kgservice.resolve import resolve
from kgservice.settings import load_settings
from kgservice.store import GraphStore

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
BASE = "http://kg.example.org/"


def fuzz(examples: int) -> settings:
    """Settings for one property: ``examples`` (times FUZZ_SCALE), no deadline, reproducible under CI."""
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        derandomize=bool(os.environ.get("CI")),
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


# --------------------------------------------------------------------------- strategies

PROSE = (
    "the minister said on Monday that talks with leaders would resume next week in the capital , "
    "officials met at the summit and agreed to a second meeting ; he told reporters it was over . "
    "Angela Merkel Emmanuel Macron Apple Inc. United Nations Paris Berlin according to"
)
WORDS = PROSE.split()
DATES = [
    "Sept. 10, 2018",
    "10 September 2018",
    "2018-09-10",
    "10/09/2018",
    "last Tuesday",
    "next spring",
    "the 1990s",
    "Q3 2018",
    "fiscal 2019",
    "three years ago",
    "tonight",
    "3 p.m. Friday",
]
CONTROLS = [chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff"]
BIDI = ["\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
SCRIPT_NAMES = [
    "Ангела Меркель",
    "Владимир Путин",
    "Москва",
    "習近平",
    "東京",
    "安倍晋三",
    "محمد بن سلمان",
    "الرياض",
    "בנימין נתניהו",
    "ירושלים",
    "नरेंद्र मोदी",
    "Đặng Tiểu Bình",
    "Strauß",
    "Ελλάδα",
    "서울",
    "👍🏽",
    "🇩🇪",
    "Ｆｕｌｌｗｉｄｔｈ",
]
RTL_PHRASES = ["قال الرئيس يوم الاثنين", "أعلنت الحكومة", "אמר ראש הממשלה ביום שני", "١٢ مارس ٢٠١٨"]
QUOTE_MARKS = ["“", "”", "‘", "’", '"', "'", "«", "»", "‹", "›", "「", "」", "『", "』", "„", "《", "〈"]
MONTHS = ["January", "Jan.", "jan", "Sept.", "SEPTEMBER", "Febuary", "Smarch", "Mai", "Dec"]
DATE_WORDS = [
    *MONTHS,
    "Monday",
    "Tues.",
    "the",
    "of",
    "st",
    "th",
    "mid",
    "early",
    "late",
    "this",
    "last",
    "next",
    "ago",
    "from now",
    "years",
    "days",
    "decade",
    "century",
    "Q5",
    "H3",
    "FY",
    "fiscal",
    "summer",
    "winter",
    "noon",
    "a.m.",
    "p.m.",
    "o'clock",
    "GMT",
    "every",
    "twice a",
    "earlier",
    "later",
    "Christmas",
    "'90s",
    "’s",
]
SEPARATORS = [" ", "", "-", "/", ".", ", ", "–", ":", " of ", "\u00a0", "\u3000"]


NAMES = ["Angela Merkel", "Emmanuel Macron", "Merkel", "the president", "he", "Apple Inc.", "the United Nations"]
PLACES = ["Paris", "Berlin", "the capital", "Geneva"]
TEMPLATES = [
    "{a} said on {d} that {b} would meet {c} in {p}.",
    "“{x},” {a} told reporters {d}.",
    "{a} met {b} in {p} {d}, officials said.",
    "According to {a}, the talks {x} will resume {d}.",
    "{a} and {b} will hold a second summit {d} in {p}.",
    "In an interview with {b}, {a} indicated that {x}, saying “{x}.”",
    "There should be no {x}, {a} wrote {d}.",
]


def sentences(odd: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """News sentences (statements, meetings, quotations) with odd pieces in their slots."""
    slot = st.sampled_from(NAMES) | odd
    return st.builds(
        lambda template, a, b, c, d, p, x: template.format(a=a, b=b, c=c, d=d, p=p, x=x),
        st.sampled_from(TEMPLATES),
        slot,
        slot,
        slot,
        st.sampled_from(DATES) | odd,
        st.sampled_from(PLACES) | odd,
        st.sampled_from(WORDS) | odd,
    )


def pieces(*extra: st.SearchStrategy[str], size: int = 30) -> st.SearchStrategy[str]:
    """News-like text: sentences, words, names and dates mixed with the given kinds of odd pieces."""
    odd = st.one_of(*extra)
    piece = st.one_of(sentences(odd), st.sampled_from(WORDS), st.sampled_from(DATES), odd)
    return st.lists(piece, max_size=size).map(" ".join) | st.lists(piece, max_size=size).map("".join)


odd_numbers = st.one_of(st.integers(-99, 100_000), st.sampled_from([0, 29, 30, 31, 32, 99, 9999, 10**12])).map(str)
odd_dates = st.one_of(
    st.lists(st.one_of(st.sampled_from(DATE_WORDS), odd_numbers, st.sampled_from(SEPARATORS)), max_size=8).map(
        " ".join
    ),
    st.lists(st.one_of(st.sampled_from(DATE_WORDS), odd_numbers), min_size=1, max_size=5).flatmap(
        lambda parts: st.sampled_from(SEPARATORS).map(lambda sep: sep.join(parts))
    ),
    st.builds(
        lambda d, fmt: d.strftime(fmt),
        st.dates(),
        st.sampled_from(["%d/%m/%Y", "%m/%d/%y", "%Y-%m-%d", "%B %d, %Y", "%d %b %Y", "%A %d %B", "%Y", "%b. %Y"]),
    ),
    st.sampled_from(DATES),
    st.text(max_size=30),
)
KINDS = {
    "arbitrary unicode": st.text(max_size=400),
    "empty or one character": st.text(max_size=1),
    "controls and NUL": pieces(st.sampled_from(CONTROLS), st.text(st.sampled_from(CONTROLS), max_size=5)),
    "mixed scripts": pieces(st.sampled_from(SCRIPT_NAMES), st.text(st.characters(codec="utf-8"), max_size=8)),
    "right-to-left and bidi marks": pieces(
        st.sampled_from(RTL_PHRASES), st.sampled_from(BIDI), st.sampled_from(SCRIPT_NAMES[6:10])
    ),
    "open quotation marks": pieces(st.sampled_from(QUOTE_MARKS), st.sampled_from(QUOTE_MARKS).map(lambda q: q + "He")),
    "dates in odd forms": pieces(odd_dates),
}
doc_dates = st.none() | st.dates() | st.sampled_from([date.min, date.max, date(2018, 9, 11), date(2016, 2, 29)])
tenses = st.sampled_from([None, "past", "present", "future", "bogus"])


@st.composite
def articles(draw: st.DrawFn, text: st.SearchStrategy[str]) -> ArticleInput:
    """An article of the given text, with fuzzed metadata (an opinion piece now and then)."""
    body = draw(text)
    stem = draw(st.sampled_from(["fuzz", "", "Ünïcödé stem", "../etc/passwd"]) | st.text(max_size=12))
    return ArticleInput(
        id=article_id(stem, body),
        text=body,
        title=draw(st.none() | st.text(max_size=40)),
        published=draw(doc_dates),
        url=draw(st.none() | st.sampled_from(["https://example.org/a?b=1#c", "http://a b/<x>", "mailto:x"])),
        author=draw(st.none() | st.sampled_from(SCRIPT_NAMES) | st.text(max_size=12)),
        genre=draw(st.sampled_from([None, "editorial", "op-ed", "news"])),
    )


# --------------------------------------------------------------------------- properties

# RFC 3987: no spaces, controls or <>"{}|\^` anywhere, and no bidi formatting characters (section 4.1)
IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]')
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
TIMEX = re.compile(
    r"PRESENT_REF|PAST_REF|FUTURE_REF|FY\d{4}|TXX(?:MO|AF|EV|NI)|\d{2,3}"
    r"|PT?(?:\d+(?:\.\d+)?|X)(?:Y|M|W|D|H|S|DE|CE)"
    r"|(?:\d{4}|XXXX)(?:-(?:\d{2}|XX|W\d{2}|WXX|SP|SU|FA|WI|Q[1-4]|H[12])(?:-(?:\d{1,2}|XX|WE))?)?"
    r"(?:T(?:\d{2}:\d{2}|MO|AF|EV|NI))?"
)
PRECISIONS = {None, "day", "week", "month", "season", "quarter", "half", "year", "decade", "century"}
TYPES = {"DATE", "TIME", "DURATION", "SET"}
CASTS = {XSD.date: "xsd:date", XSD.dateTime: "xsd:dateTime", XSD.integer: "xsd:integer", XSD.boolean: "xsd:boolean"}
_CASTER = ox.Store()  # in memory: Oxigraph's own casts decide whether a typed literal is well-formed


def assert_iri(iri: str, minter: Minter | None = None) -> None:
    """A valid absolute IRI; one of ours names something (``<base>id/<kind>/<name>``, ``name`` not empty)."""
    assert not IRI_FORBIDDEN.search(iri), iri
    assert SCHEME.match(iri), iri
    ox.NamedNode(iri)  # raises ValueError on an invalid IRI
    if minter is not None and minter.kind_of(iri):
        name = iri[len(minter.base + "id/") :].split("/", 1)[1].split("#", 1)[0]
        assert name, iri


def assert_well_typed(literals: Iterable[Literal]) -> None:
    """Oxigraph reads each literal as its datatype (an invalid lexical form casts to nothing)."""
    by_cast: dict[str, set[str]] = defaultdict(set)
    for literal in literals:
        if literal.datatype in CASTS:
            by_cast[CASTS[literal.datatype]].add(str(ox.Literal(str(literal))))  # type: ignore[index]
    for cast, values in by_cast.items():
        query = (
            f"PREFIX xsd: <{XSD}> SELECT ?v ?d {{ VALUES ?v {{ {' '.join(sorted(values))} }} BIND({cast}(?v) AS ?d) }}"
        )
        bad = [row["v"] for row in _CASTER.query(query) if row["d"] is None]  # type: ignore[union-attr]
        assert not bad, (cast, bad)


def assert_time_value(typ: str, value: object) -> None:
    """A TIMEX3 type and value, a known precision, and calendar bounds that agree with the value."""
    timex, precision = value.timex, value.precision  # type: ignore[attr-defined]
    earliest, latest = value.earliest, value.latest  # type: ignore[attr-defined]
    assert typ in TYPES
    assert timex is None or TIMEX.fullmatch(timex), timex
    assert precision in PRECISIONS
    assert (earliest is None) == (latest is None)
    if earliest is None:
        return
    assert earliest <= latest
    assert_well_typed(Literal(bound, datatype=XSD.date) for bound in (earliest, latest))
    if timex and re.match(r"\d{4}-\d{2}-\d{2}(?:T|$)", timex):
        assert earliest.isoformat() == latest.isoformat() == timex[:10], value
    elif timex and re.fullmatch(r"\d{4}-\d{2}", timex):
        assert earliest.isoformat()[:7] == latest.isoformat()[:7] == timex, value
    elif timex and re.fullmatch(r"\d{4}", timex):
        assert earliest.year == latest.year == int(timex), value


def spans_of(extraction: Extraction) -> Iterator[Span]:
    """Every span the records point into the article with."""
    for actor in extraction.actors:
        yield from actor.mentions
    for time in extraction.times:
        yield time.span
    for happening in extraction.events:
        yield happening.trigger
        yield from happening.mentions
        if happening.time is not None:
            yield happening.time.span
    for assertion in extraction.assertions:
        yield from (s for s in (assertion.cue, assertion.content, assertion.source) if s is not None)


def assert_sound(extraction: Extraction, minter: Minter) -> Graph:
    """Spans quote the text, times are well-formed, the graph is valid RDF with valid IRIs; the graph."""
    text = extraction.article.text
    for span in spans_of(extraction):
        assert 0 <= span.start <= span.end <= len(text) and text[span.start : span.end] == span.text, span
    for time in extraction.times:
        assert_time_value(time.type, time.value)
    graph = article_graph(extraction, minter, resolve(extraction, None, minter))
    terms = {graph.identifier, *(t for triple in graph for t in triple)}
    for term in terms:
        if isinstance(term, URIRef):
            assert_iri(str(term), minter)
    assert_well_typed(t for t in terms if isinstance(t, Literal))
    for fmt, rdf_format in (("nquads", ox.RdfFormat.N_QUADS), ("trig", ox.RdfFormat.TRIG)):
        parsed = list(ox.parse(serialize_graph(graph, fmt), format=rdf_format))
        assert len(parsed) == len(graph)
        assert {str(q.graph_name.value) for q in parsed} == {str(graph.identifier)}  # type: ignore[union-attr]
    return graph


@pytest.fixture(scope="module")
def minter() -> Minter:
    return Minter(BASE)


# --------------------------------------------------------------------------- time normalisation


@fuzz(300)
@given(text=odd_dates, doc_date=doc_dates, tense=tenses)
@example(text="the 99th century", doc_date=date.max, tense=None)
@example(text="next year", doc_date=date.max, tense="future")
@example(text="last week", doc_date=date.min, tense="past")
@example(text="0.00001 years", doc_date=None, tense=None)
@example(text="31 February 2018", doc_date=None, tense=None)
@example(text="\x00Sept.\x00 10", doc_date=date(2018, 9, 11), tense=None)
def test_time_normalisation_never_raises_and_is_well_formed(text, doc_date, tense):
    assert_time_value(*normalize_typed(text, doc_date, tense))


# --------------------------------------------------------------------------- extraction


@pytest.mark.parametrize("kind", list(KINDS))
@fuzz(100)
@given(data=st.data())
def test_extraction_of_odd_text_is_sound(kind, data, extractor, minter):
    """Each kind of odd text: no exception, spans quote the text, valid RDF, valid IRIs, well-formed times."""
    extraction = extractor.extract(data.draw(articles(KINDS[kind]), label=kind))
    assert_sound(extraction, minter)
    for what in ("actors", "times", "events", "assertions"):  # how much of the rules each kind reaches
        event(f"{what} found", bool(getattr(extraction, what)))


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\x00",
        "Ангела Меркель met Владимир Путин in Москва on Monday, officials said.",
        "“Macron met 「Putin on 12 June, «and ‘then Merkel said “it was fine.",
        "\u202bقال الرئيس يوم الاثنين\u202c \u200fשלום\u200e Merkel said on May 5, 2018 \u202e in Paris.",
        'Obama met\x00 Putin on Monday.\x00 \x01\x0b\x0c\x1b Merkel said "no".\x7f\x85\u2028',
    ],
)
def test_regressions_are_sound(text, extractor, minter):
    """Texts that once merged every non-Latin name into one actor with an empty IRI name, or kept quote marks."""
    extraction = extractor.extract(ArticleInput(id="r", text=text, published=date(2018, 9, 11)))
    assert_sound(extraction, minter)
    labels = {a.label for a in extraction.actors}
    assert not any(mark in label for label in labels for mark in "「«“")
    ids = [a.id for a in extraction.actors]
    assert all(ids) and len(ids) == len(set(ids))


def test_names_in_other_scripts_are_distinct_actors(extractor, minter):
    text = "Ангела Меркель met Владимир Путин in Москва on Monday. Ангела Меркель said talks would go on."
    extraction = extractor.extract(ArticleInput(id="scripts", text=text, published=date(2018, 9, 11)))
    by_label = {a.label: a.id for a in extraction.actors}
    assert by_label["Ангела Меркель"] == "ангела-меркель"
    assert by_label["Владимир Путин"] == "владимир-путин"
    claimants = {a.claimant for a in extraction.assertions}
    assert "ангела-меркель" in claimants  # attribution is not lost with an empty id
    graph = assert_sound(extraction, minter)
    assert URIRef(BASE + "id/actor/ангела-меркель") in set(graph.subjects())


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Xi Jinping", "xi-jinping"),
        ("José Müller", "jose-muller"),
        ("Kim Jong-un", "kim-jong-un"),
        ("Ангела Меркель", "ангела-меркель"),
        ("Strauß", "strauß"),
        ("Merkel 習近平", "merkel-習近平"),
        ("\u202bשלום\u202c", "שלום"),
        ("!!!", ""),
        ("þ\U000e0100", "þ"),  # a variation selector of plane 14 may not stand in an IRI
    ],
)
def test_slugs_keep_every_letter(name, slug):
    assert slugify(name) == slug


@fuzz(300)
@given(name=st.text(max_size=30))
def test_any_slug_makes_a_valid_iri(name, minter):
    slug = slugify(name)
    assert slug == slug.strip("-")
    if any(ch.isalnum() for ch in name):
        assert slug
    assert_iri(str(minter.actor(slug or "x")), minter)


def test_a_sentence_of_20000_words_without_punctuation(extractor, minter):
    rng = random.Random(20_000)
    words = [w for w in WORDS if w.isalpha()] + ["Monday", "2018", "Paris"]
    text = " ".join(rng.choice(words) for _ in range(20_000))
    assert_sound(extractor.extract(ArticleInput(id="long", text=text, published=date(2018, 9, 11))), minter)


# --------------------------------------------------------------------------- the reader


media = st.sampled_from(["application/json", "text/plain", "text/html", ""])


@fuzz(200)
@given(raw=st.binary(max_size=300), media_type=media)
@example(raw=b"\xed\xa0\x80 said on Monday", media_type="text/plain")
@example(raw=b"\xff\xfe\x00M\x00e", media_type="text/plain")
def test_the_reader_reads_or_refuses_any_bytes(raw, media_type):
    try:
        article = read_body(raw, media_type, "fuzz")
    except InputError as exc:
        assert exc.message
    else:
        assert article.text.strip()
        article.text.encode("utf-8")  # never a lone surrogate
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", article.text)  # nothing XML refuses


surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, categories=["Cs"])


def json_containers(inner: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """JSON arrays and objects of ``inner`` values."""
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(st.characters() | surrogates, max_size=20),
    json_containers,
    max_leaves=8,
)


@fuzz(200)
@given(
    fields=st.dictionaries(
        st.sampled_from(["text", "title", "published", "url", "author", "genre", "id"]), json_values, max_size=7
    ),
)
@example(fields={"text": "Merkel \ud800 said on Monday."})
@example(fields={"text": "Merkel said.", "title": "\udfff"})
@example(fields={"text": "Merkel said.", "author": ["A", "\udc80"]})
def test_the_reader_refuses_lone_surrogates_in_json(fields):
    raw = json.dumps(fields).encode("utf-8")  # ASCII: a surrogate travels as a \\u escape
    has_surrogate = any(0xD800 <= ord(ch) <= 0xDFFF for ch in json.dumps(fields, ensure_ascii=False))
    try:
        article = read_body(raw, "application/json", "fuzz")
    except InputError as exc:
        assert exc.message
        if has_surrogate and "lone surrogate" in exc.message:
            assert re.search(r"U\+D[89A-F][0-9A-F]{2} at character \d+", exc.message)
    else:
        for value in (article.text, article.title, article.url, article.author, article.genre, article.id):
            if value is not None:
                value.encode("utf-8")


@fuzz(50)
@given(text=st.text(max_size=20), bad=surrogates, where=st.sampled_from(["text", "title", "author", "published"]))
def test_a_lone_surrogate_anywhere_is_refused_clearly(text, bad, where):
    fields = {"text": "Officials met on Monday.", where: text + bad}
    with pytest.raises(InputError, match=f'"{where}" holds a lone surrogate U\\+{ord(bad):04X}'):
        read_body(json.dumps(fields).encode("utf-8"), "application/json", "fuzz")


def test_controls_xml_cannot_carry_are_read_as_spaces():
    fields = {"text": "Merkel\x00 said\x0c on\ufffe Monday\t.\nNext line.", "title": "A\x01B"}
    article = read_body(json.dumps(fields).encode("utf-8"), "application/json", "controls")
    assert article.text == "Merkel  said  on  Monday\t.\nNext line."  # one for one: offsets hold
    assert article.title == "A B"


# --------------------------------------------------------------------------- into the store


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzzstore") / "store"


def ingest_and_reopen(extractor, location: Path, article: ArticleInput) -> None:
    """Ingest the article, close the store, open it again: the article's graph is there, its text intact."""
    settings_ = load_settings({"KG_STORE": str(location), "KG_BASE_URI": BASE})
    with GraphStore(settings_.store) as store:
        result = Ingester(store, settings_).store_extraction(extractor.extract(article))
    with GraphStore(settings_.store) as store:
        assert store.has_graph(result.article)
        graph = store.graph(result.article)
        assert len(graph) == result.triples
        bodies = [str(o) for o in graph.objects(result.article, URIRef("https://schema.org/articleBody"))]
        assert bodies == [article.text]
        assert len(Graph().parse(data=graph.serialize(format="xml"), format="xml")) == len(graph)  # XML can carry it


@fuzz(20)
@given(text=st.one_of(*KINDS.values()), title=st.none() | st.text(max_size=20), url=st.none() | st.text(max_size=20))
@example(text="Obama met\x00 Putin on Monday.\x00\x01\x0b\x1b\x7f\u2028", title="\x00", url="http://a b/<x>")
@example(text="Ангела Меркель said «there should be no war", title=None, url=None)
def test_a_fuzzed_article_reaches_the_store(text, title, url, extractor, store_path):
    body = json.dumps({"text": text, "title": title, "url": url, "published": "2018-09-11"}).encode("utf-8")
    try:
        article = read_body(body, "application/json", "fuzz")
    except InputError as exc:
        assert not text.strip() or exc.message  # only an empty text, or a clear refusal
        return
    ingest_and_reopen(extractor, store_path, article)


def test_a_200_kb_article_reaches_the_store(extractor, seeds, store_path):
    paragraphs = [p for s in sorted(seeds.glob("*.txt")) for p in s.read_text(encoding="utf-8").split("\n\n")]
    rng = random.Random(200)
    text = ""
    while len(text.encode("utf-8")) < 200_000:
        text += rng.choice(paragraphs).strip() + "\n\n"
    article = read_body(text.encode("utf-8"), "text/plain", "big")
    assert len(article.text.encode("utf-8")) >= 190_000
    ingest_and_reopen(extractor, store_path, article)


def test_the_checks_themselves_can_fail(minter):
    """The properties above would catch what they look for."""
    for iri in ("http://a b/", "relative/path", "http://a/\u202eevil", "http://a/<x>"):
        with pytest.raises((AssertionError, ValueError)):
            assert_iri(iri)
    with pytest.raises(AssertionError):
        assert_iri(BASE + "id/actor/", minter)
    with pytest.raises(AssertionError):
        assert_well_typed([Literal("2018-02-30", datatype=XSD.date)])
    assert not TIMEX.fullmatch("P1e-05Y")
