"""Actors: named entities grouped into one actor per real-world referent within an article.

spaCy's NER proposes the mentions; evidence from the whole document then fixes them: a
name's type is the majority type of its mentions, possessives and leading titles are
trimmed (titles become roles), a lone surname or family name joins the single fuller name
it belongs to, and later untagged occurrences of a known name are added as mentions.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from kgservice.extract import lexicon
from kgservice.extract.records import Actor, Span

ENTITY_TYPES = {
    "PERSON": "Person",
    "ORG": "Organization",
    "GPE": "Place",
    "LOC": "Place",
    "FAC": "Place",
    "NORP": "Group",
}
_POSSESSIVE = re.compile(r"[’']s?$")
_LEADING_DET = {"the", "a", "an"}


@dataclass
class _Cluster:
    """Mentions gathered for one actor while the document is read."""

    names: Counter[str] = field(default_factory=Counter)
    types: Counter[str] = field(default_factory=Counter)
    roles: list[str] = field(default_factory=list)
    mentions: dict[int, Span] = field(default_factory=dict)

    def add(self, span: Span, name: str, type_: str) -> None:
        self.names[name] += 1
        self.types[type_] += 1
        self.mentions.setdefault(span.start, span)


def slugify(text: str) -> str:
    """A lower-case ASCII slug ("Xi Jinping" → "xi-jinping")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def find_actors(doc: Doc) -> tuple[list[Actor], dict[int, str]]:
    """Actors of one document, and an index from token position to actor id."""
    clusters: dict[str, _Cluster] = defaultdict(_Cluster)
    for ent in doc.ents:
        mention = _mention(ent)
        if mention is None:
            continue
        span, name, type_ = mention
        cluster = clusters[slugify(name)]
        cluster.add(span, name, type_)
        if _apposition_is_organisation(ent):
            cluster.types["Organization"] += 2
        elif type_ in ("Person", "Organization"):
            roles = _roles(doc, ent)
            cluster.roles.extend(roles)
            cluster.types["Person"] += 2 * len(roles)
    _merge_short_names(clusters)
    _add_untagged_mentions(doc, clusters)
    actors = [_actor(c) for c in clusters.values()]
    actors.sort(key=lambda a: a.mentions[0].start)
    return actors, _token_index(doc, actors)


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
    if not tokens or not any(t.pos_ == "PROPN" or t.text[:1].isupper() for t in tokens):
        return None
    if _inside_title_phrase(tokens[0]):
        return None
    doc = ent.doc
    start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
    text = _POSSESSIVE.sub("", doc.text[start:end]) if tokens[-1].text.endswith(("’s", "'s")) else doc.text[start:end]
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
    return doc.text[words[0].idx : words[-1].idx + len(words[-1].text)]


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
    return doc.text[tokens[0].idx : tokens[-1].idx + len(tokens[-1].text)]


def _merge_short_names(clusters: dict[str, _Cluster]) -> None:
    """Fold a one-word person name into the single longer person name it begins or ends."""
    people = {k: c for k, c in clusters.items() if _majority(c.types) == "Person"}
    for key, cluster in list(people.items()):
        if "-" in key:
            continue
        owners = [k for k in people if k != key and (k.startswith(key + "-") or k.endswith("-" + key))]
        if len(owners) == 1:
            target = clusters[owners[0]]
            target.names.update(cluster.names)
            target.types.update(cluster.types)
            target.roles.extend(cluster.roles)
            for start, span in cluster.mentions.items():
                target.mentions.setdefault(start, span)
            del clusters[key]


def _add_untagged_mentions(doc: Doc, clusters: dict[str, _Cluster]) -> None:
    """Occurrences of a known name that NER missed become mentions too."""
    taken = {start for c in clusters.values() for start in c.mentions}
    by_name = {name: c for c in clusters.values() for name in c.names}
    for token in doc:
        if token.idx in taken or token.pos_ != "PROPN" or token.ent_type_:
            continue
        cluster = by_name.get(token.text)
        if cluster is not None and token.text[:1].isupper():
            cluster.mentions[token.idx] = Span(token.idx, token.idx + len(token.text), token.text)


def _majority(counter: Counter[str]) -> str:
    return counter.most_common(1)[0][0]


def _actor(cluster: _Cluster) -> Actor:
    label = max(cluster.names, key=lambda n: (len(n.split()), cluster.names[n], len(n)))
    aliases = tuple(sorted(n for n in cluster.names if n != label))
    roles = tuple(dict.fromkeys(cluster.roles))
    mentions = tuple(sorted(cluster.mentions.values(), key=lambda s: s.start))
    return Actor(slugify(label), label, _majority(cluster.types), aliases, roles, (), mentions)


def _token_index(doc: Doc, actors: list[Actor]) -> dict[int, str]:
    """Map the position of every token inside an actor mention to that actor's id."""
    index: dict[int, str] = {}
    for actor in actors:
        for mention in actor.mentions:
            span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
            for token in span or ():
                index[token.i] = actor.id
    return index
