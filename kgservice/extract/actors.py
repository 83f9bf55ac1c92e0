"""Actors: named entities grouped into one actor per real-world referent within an article.

spaCy's NER proposes the mentions; evidence from the whole document then fixes them: a
name cut short before "of" is joined to the name that follows ("Council of" + "Europe"), a
name's type is the majority type of its mentions, possessives and leading titles are
trimmed (titles become roles), a lone surname or family name joins the single fuller name
it belongs to, and later untagged occurrences of a known name are added as mentions.
Countries are recognised through the gazetteer in ``data/countries.json``: a country's
names, abbreviations and demonyms ("U.S.", "Americans") are one actor, and so is its
capital when the capital speaks or acts for the government ("Washington said").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from kgservice.extract import lexicon
from kgservice.extract.components import doc_text
from kgservice.extract.records import Actor, Span

ENTITY_TYPES = {
    "PERSON": "Person",
    "ORG": "Organization",
    "GPE": "Place",
    "LOC": "Place",
    "FAC": "Place",
    "NORP": "Group",
    "PRODUCT": "Product",
}
_POSSESSIVE = re.compile(r"[’']s?$")
_LEADING_DET = {"the", "a", "an"}
_QUOTE_MARKS = '"“”„‟«»‹›「」『』《》〈〉'


@dataclass
class _Cluster:
    """Mentions gathered for one actor while the document is read."""

    names: Counter[str] = field(default_factory=Counter)
    types: Counter[str] = field(default_factory=Counter)
    roles: list[str] = field(default_factory=list)
    mentions: dict[int, Span] = field(default_factory=dict)
    canonical: str | None = None

    def add(self, span: Span, name: str, type_: str) -> None:
        self.names[name] += 1
        self.types[type_] += 1
        self.mentions.setdefault(span.start, span)


@functools.lru_cache(maxsize=16384)  # names recur: within an article and across a corpus
def slugify(text: str) -> str:
    """A lower-case slug: ASCII when every letter folds to ASCII ("Xi Jinping" → "xi-jinping",
    "José" → "jose"), else in the name's own letters ("Ангела Меркель" → "ангела-меркель"),
    so that no letter is dropped and names in other scripts do not all get the empty slug.
    Empty when the text has no letter or digit."""
    dashed = re.sub(r"[\u2010-\u2015]", "-", text)
    folded = unicodedata.normalize("NFKD", dashed)
    if all(_folds_to_ascii(ch) for ch in unicodedata.normalize("NFKC", dashed)):
        return re.sub(r"[^a-z0-9]+", "-", folded.encode("ascii", "ignore").decode().lower()).strip("-")
    words = (ch if _is_word(ch) else "-" for ch in unicodedata.normalize("NFKC", dashed).lower())
    return re.sub(r"-{2,}", "-", "".join(words)).strip("-")


def _is_word(ch: str) -> bool:
    """A letter, digit or combining mark that may stand in an IRI (RFC 3987 leaves out the variation
    selectors of plane 14, U+E0100–U+E01EF)."""
    return unicodedata.category(ch)[0] in "LNM" and not 0xE0000 <= ord(ch) <= 0xE0FFF


def _folds_to_ascii(ch: str) -> bool:
    """Whether a character is not a letter or digit, or decomposes to an ASCII one ("é" → "e"; "ß", "Д" do not)."""
    if unicodedata.category(ch)[0] not in "LN":
        return True
    return any(c.isascii() and c.isalnum() for c in unicodedata.normalize("NFKD", ch))


_COMPANY_SUFFIX = re.compile(r"[\s,]+(?:inc|corp|corporation|co|ltd|llc|plc|ag|sa|gmbh|nv|se)\.?$", re.IGNORECASE)


def actor_key(name: str) -> str:
    """The id of the actor a name denotes: its slug, without a company suffix ("Apple Inc." → "apple")."""
    return slugify(_COMPANY_SUFFIX.sub("", name) or name)


def find_actors(doc: Doc) -> tuple[list[Actor], dict[int, str]]:
    """Actors of one document, and an index from token position to actor id."""
    clusters: dict[str, _Cluster] = defaultdict(_Cluster)
    for ent in corrected_entities(doc):
        mention = _mention(ent)
        if mention is None:
            continue
        span, name, type_ = mention
        country = _country(ent, name)
        if country is not None:
            cluster = clusters[slugify(country)]
            cluster.canonical = country
            cluster.add(span, name, "Place")
            continue
        key = actor_key(name)
        if not key:  # no letter or digit: not a name
            continue
        cluster = clusters[key]
        cluster.add(span, name, type_)
        if _apposition_is_organisation(ent):
            cluster.types["Organization"] += 2
        elif type_ in ("Person", "Organization"):
            roles = _roles(doc, ent)
            cluster.roles.extend(roles)
            cluster.types["Person"] += 2 * len(roles)
    _merge_short_names(clusters)
    _add_untagged_mentions(doc, clusters)
    _add_title_mentions(doc, clusters)
    actors = [_actor(c) for c in clusters.values()]
    actors.sort(key=lambda a: a.mentions[0].start)
    return actors, _token_index(doc, actors)


_BRAND = re.compile(r"^[a-z]{1,3}[A-Z][A-Za-z0-9]+$")  # iPhone, eBay, iOS: a name by its shape
_MODEL = re.compile(r"^(?:\d[\dA-Za-z]*|[A-Z]{1,2})$")  # "4", "3GS", "X" after a product name


def corrected_entities(doc: Doc) -> list[SpacySpan]:
    """spaCy's entities, corrected: a name that stops at "of"/"for" is joined to the name
    right after it, and brand-shaped words the model missed are products.

    The small English model often ends an organisation at its last preposition ("the
    Council of" + "Europe"); the two spans are one name, typed as the first. A word shaped
    like "iPhone" or "eBay" is a name wherever it stands, with a model number that follows
    it ("iPhone 4"); it is a product unless the rest of the document types it otherwise.
    """
    ents = list(doc.ents)
    out: list[SpacySpan] = []
    i = 0
    while i < len(ents):
        ent = ents[i]
        nxt = ents[i + 1] if i + 1 < len(ents) else None
        if nxt is not None and nxt.start == ent.end and ent[-1].lower_ in ("of", "for", "and") and len(ent) > 1:
            out.append(SpacySpan(doc, ent.start, nxt.end, label=ent.label_))
            i += 2
            continue
        out.append(ent)
        i += 1
    named = {t.i for e in out if e.label_ in ENTITY_TYPES for t in e}
    for token in doc:
        if token.i not in named and _BRAND.match(token.text):
            end = token.i + 1
            if end < len(doc) and _MODEL.match(doc[end].text) and doc[end].i not in named:
                end += 1
            out.append(SpacySpan(doc, token.i, end, label="PRODUCT"))
    return sorted(out, key=lambda e: e.start)


def is_country(name: str) -> bool:
    """Whether ``name`` is a country's name in the gazetteer."""
    entry = lexicon.countries().get(name)
    return entry is not None and entry.kind == "name"


def _country(ent: SpacySpan, name: str) -> str | None:
    """The country a place or nationality mention names, by the gazetteer.

    A capital counts only where it stands for the government: as a subject or possessor
    ("Pyongyang said", "Beijing's response"); elsewhere it is the city.
    """
    if ent.label_ not in ("GPE", "NORP", "LOC"):
        return None
    entry = lexicon.countries().get(name)
    if entry is None:
        return None
    if entry.kind == "capital" and ent.root.dep_ not in ("nsubj", "poss", "agent"):
        return None
    return entry.name


def _mention(ent: SpacySpan) -> tuple[Span, str, str] | None:
    """Trim an entity to its name; ``None`` when it is not a usable actor mention."""
    type_ = ENTITY_TYPES.get(ent.label_)
    if type_ is None or (type_ == "Group" and ent.root.dep_ in ("amod", "compound", "nmod")):
        return None
    tokens = list(ent)
    while tokens and (tokens[0].lower_ in _LEADING_DET or _is_title(tokens[0])):
        tokens = tokens[1:]
    while tokens and (tokens[-1].tag_ == "POS" or tokens[-1].is_punct):
        tokens = tokens[:-1]
    if not tokens or not any(t.pos_ == "PROPN" or t.text[:1].isupper() or _BRAND.match(t.text) for t in tokens):
        return None
    if _inside_title_phrase(tokens[0]):
        return None
    doc = ent.doc
    start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
    while start < end and doc_text(doc)[start] in _QUOTE_MARKS:  # «Name, 「Name: marks the tokenizer left on
        start += 1
    while end > start and doc_text(doc)[end - 1] in _QUOTE_MARKS:
        end -= 1
    if start == end:
        return None
    text = (
        _POSSESSIVE.sub("", doc_text(doc)[start:end])
        if tokens[-1].text.endswith(("’s", "'s"))
        else doc_text(doc)[start:end]
    )
    end = start + len(text)
    return Span(start, end, text), text, type_


def _apposition_is_organisation(ent: SpacySpan) -> bool:
    """ "Le Monde, a newspaper…": an apposition headed by an organisation noun."""
    nouns = lexicon.organisation_nouns()
    return any(t.dep_ == "appos" and t.lemma_.lower() in nouns for t in ent.root.children)


def _is_title(token: Token) -> bool:
    return token.lower_ in lexicon.titles() or token.lower_ in lexicon.honorifics()


def _inside_title_phrase(token: Token) -> bool:
    """ "State" in "Secretary of State": an office name, not an organisation mention."""
    prev = token.nbor(-1) if token.i > 0 else None
    before = token.nbor(-2) if token.i > 1 else None
    return bool(prev is not None and prev.lower_ == "of" and before is not None and _is_title(before))


def _roles(doc: Doc, ent: SpacySpan) -> list[str]:
    """Titles that premodify or stand in apposition to a person's name."""
    roles = []
    pre = _premodifier_role(doc, ent)
    if pre:
        roles.append(pre)
    for token in ent.root.children:
        if token.dep_ == "appos" and _is_title(token):
            roles.append(_appositive_text(token))
    return roles


def _appositive_text(head: Token) -> str:
    """ "the CEO of Apple, who…" → "CEO of Apple": the head, its modifiers and an "of" phrase."""
    words = [t for t in head.lefts if t.dep_ not in ("det", "punct", "poss")]
    words.append(head)
    for child in head.rights:
        if child.dep_ == "prep" and child.lower_ == "of":
            words.extend(child.subtree)
            break
    doc = head.doc
    return doc_text(doc)[words[0].idx : words[-1].idx + len(words[-1].text)]


def _premodifier_role(doc: Doc, ent: SpacySpan) -> str | None:
    """ "Apple chief executive Tim Cook" → "Apple chief executive"."""
    tokens: list[Token] = []
    i = ent.start - 1
    while i >= 0 and doc[i].dep_ in ("compound", "amod", "nmod", "prep", "pobj", "npadvmod") and not doc[i].is_punct:
        if doc[i].ent_type_ == "PERSON":
            break
        tokens.insert(0, doc[i])
        i -= 1
    for j, token in enumerate(ent):
        if _is_title(token) and token.lower_ not in lexicon.honorifics():
            tokens.extend(ent[: j + 1])
    while tokens and tokens[0].dep_ in ("prep", "det"):
        tokens = tokens[1:]
    if not any(_is_title(t) for t in tokens):
        return None
    return doc_text(doc)[tokens[0].idx : tokens[-1].idx + len(tokens[-1].text)]


def _merge_short_names(clusters: dict[str, _Cluster]) -> None:
    """Fold a one-word name into the single longer person name it begins or ends.

    The model often tags a lone surname as an organisation ("Jobs said"); such a name is
    folded in only when it ends the person's name and comes after it, as news writes a
    surname after the full name (so the company "Ford" stays apart from a later "Henry Ford").
    """
    people = {k: c for k, c in clusters.items() if _majority(c.types) == "Person"}
    for key, cluster in list(clusters.items()):
        kind = _majority(cluster.types)
        if "-" in key or cluster.canonical or kind not in ("Person", "Organization"):
            continue
        owners = [
            k for k in people if k != key and (k.endswith("-" + key) or (kind == "Person" and k.startswith(key + "-")))
        ]
        if len(owners) != 1:
            continue
        target = clusters[owners[0]]
        if kind != "Person" and min(cluster.mentions) < min(target.mentions):
            continue
        target.names.update(cluster.names)
        if kind == "Person":
            target.types.update(cluster.types)
        target.roles.extend(cluster.roles)
        for start, span in cluster.mentions.items():
            target.mentions.setdefault(start, span)
        del clusters[key]


def _add_untagged_mentions(doc: Doc, clusters: dict[str, _Cluster]) -> None:
    """Occurrences of a known name that NER missed become mentions too.

    A capitalised word counts if it is a proper noun or, away from the start of a sentence,
    whatever the tagger made of it ("Jobs" tagged as a plural noun).
    """
    taken = {start for c in clusters.values() for start in c.mentions}
    by_name = {name: c for c in clusters.values() for name in c.names}
    for token in doc:
        if token.idx in taken or token.ent_type_ or not token.text[:1].isupper():
            continue
        cluster = by_name.get(token.text)
        if cluster is not None and (token.pos_ == "PROPN" or not token.is_sent_start):
            cluster.mentions[token.idx] = Span(token.idx, token.idx + len(token.text), token.text)


def _add_title_mentions(doc: Doc, clusters: dict[str, _Cluster]) -> None:
    """ "the president" is a mention of the one person in the article who holds that title."""
    holders: dict[str, list[_Cluster]] = defaultdict(list)
    for cluster in clusters.values():
        if _majority(cluster.types) == "Person":
            for title in {role.split()[-1].lower() for role in cluster.roles}:
                holders[title].append(cluster)
    for token in doc:
        if token.lower_ not in holders or len(holders[token.lower_]) != 1 or token.ent_type_:
            continue
        det = token.nbor(-1) if token.i > 0 else None
        after = token.nbor(1) if token.i + 1 < len(doc) else None
        if det is None or det.lower_ != "the" or (after is not None and after.pos_ == "PROPN"):
            continue
        span = Span(det.idx, token.idx + len(token.text), doc_text(doc)[det.idx : token.idx + len(token.text)])
        holders[token.lower_][0].mentions.setdefault(span.start, span)


def _majority(counter: Counter[str]) -> str:
    return counter.most_common(1)[0][0]


def _actor(cluster: _Cluster) -> Actor:
    label = cluster.canonical or max(cluster.names, key=lambda n: (len(n.split()), cluster.names[n], len(n)))
    aliases = tuple(sorted(n for n in cluster.names if n != label))
    roles = tuple(dict.fromkeys(cluster.roles))
    mentions = tuple(sorted(cluster.mentions.values(), key=lambda s: s.start))
    return Actor(actor_key(label), label, _majority(cluster.types), aliases, roles, (), mentions)


def _token_index(doc: Doc, actors: list[Actor]) -> dict[int, str]:
    """Map the position of every token inside an actor mention to that actor's id."""
    index: dict[int, str] = {}
    for actor in actors:
        for mention in actor.mentions:
            span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
            for token in span or ():
                index[token.i] = actor.id
    return index
