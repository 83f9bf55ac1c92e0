"""Read NewsReader MEANTIME (NAF/CAT-style XML) articles into plain records with char offsets.

Each article's text is rebuilt from its tokens: tokens are detokenised (no space before
closing punctuation, after opening brackets, etc.), a sentence that does not end in
closing punctuation (the title, the date line) becomes its own paragraph, and the other
sentences are joined by a single space.  Every gold markable gets ``start``/``end``
character offsets into that text such that ``text[start:end]`` covers its first to its
last token.

MEANTIME annotates only the first sentences of each article (title, date line and the
first few body sentences) at document level; ``annotated_end`` is the character offset
where that annotated region ends, so scorers can ignore predictions beyond it.

Kept per document: the document creation time (DCT), the tokens with their sentence
numbers and spans, TIMEX3 mentions, entity mentions (typed through their REFERS_TO link to
an ENTITY instance), event mentions (with their class the same way) and HAS_PARTICIPANT
links between them.  A mention keeps both the m_id of the instance it refers to (local to
the document) and that instance's ``instance_id``: the corpus-level identifier shared by
every document that mentions the same entity or event (all entities have one; events only
where the cross-document layer annotated them).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

LQUOTE, RQUOTE, LDQUOTE, RDQUOTE = "\u2018", "\u2019", "\u201c", "\u201d"
NO_SPACE_BEFORE = {
    ",",
    ".",
    ";",
    ":",
    "!",
    "?",
    ")",
    "]",
    "}",
    "%",
    "...",
    "'s",
    "'S",
    "n't",
    "'ve",
    "'re",
    "'ll",
    "'d",
    "'m",
    "''",
    RDQUOTE,
    RQUOTE,
}
NO_SPACE_AFTER = {"(", "[", "{", "$", "US$", "£", "€", "``", LDQUOTE, LQUOTE, "#"}
SENTENCE_END = (".", "!", "?", '"', "''", RDQUOTE, RQUOTE, ")")


@dataclass(frozen=True)
class GoldToken:
    """One token of the article: its ``t_id``, sentence number, text and character span."""

    t_id: str
    sentence: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class GoldTimex:
    """A gold TIMEX3 with its character span."""

    m_id: str
    start: int
    end: int
    text: str
    type: str
    value: str
    function: str = "NONE"


@dataclass(frozen=True)
class GoldMention:
    """A gold entity or event mention, with the type/class of the instance it refers to."""

    m_id: str
    start: int
    end: int
    text: str
    kind: str  # "entity" | "event"
    type: str | None = None  # entity ent_type (PER, ORG, ...) or event class
    instance: str | None = None  # the ENTITY/EVENT instance m_id it refers to (per document)
    external_ref: str | None = None
    instance_id: str | None = None  # that instance's corpus-level (cross-document) identifier
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GoldParticipant:
    """A HAS_PARTICIPANT link from an event mention to an entity mention."""

    event: str
    entity: str
    role: str


@dataclass
class MeantimeDoc:
    """One MEANTIME article with its rebuilt text and gold annotations."""

    name: str
    url: str
    text: str
    dct: date | None
    annotated_end: int = 0
    doc_id: str = ""
    sentences: list[tuple[int, int]] = field(default_factory=list)
    tokens: list[GoldToken] = field(default_factory=list)
    timexes: list[GoldTimex] = field(default_factory=list)
    entities: list[GoldMention] = field(default_factory=list)
    events: list[GoldMention] = field(default_factory=list)
    participants: list[GoldParticipant] = field(default_factory=list)


def _joiner(prev: str, tok: str, quote_open: bool) -> str:
    """The separator to put between two tokens of one sentence."""
    if tok in NO_SPACE_BEFORE or prev in NO_SPACE_AFTER:
        return ""
    if tok == '"' and quote_open:
        return ""
    if prev == '"' and quote_open:
        return ""
    return " "


def rebuild_text(tokens: list[tuple[str, int, str]]) -> tuple[str, dict[str, tuple[int, int]]]:
    """Detokenise ``(t_id, sentence, text)`` tokens; return the text and each token's span."""
    parts: list[str] = []
    spans: dict[str, tuple[int, int]] = {}
    pos, prev, prev_sent, quote_open = 0, "", None, False
    for t_id, sent, tok in tokens:
        if prev_sent is None:
            sep = ""
        elif sent != prev_sent:
            sep = " " if prev.endswith(SENTENCE_END) else "\n\n"
            quote_open = False
        else:
            sep = _joiner(prev, tok, quote_open)
        parts.append(sep + tok)
        pos += len(sep)
        spans[t_id] = (pos, pos + len(tok))
        pos += len(tok)
        if tok == '"':
            quote_open = not quote_open
        prev, prev_sent = tok, sent
    return "".join(parts), spans


def sentence_spans(tokens: list[tuple[str, int, str]], spans: dict[str, tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """Sentence number -> (start, end) character span."""
    out: dict[int, tuple[int, int]] = {}
    for t_id, sent, _ in tokens:
        start, end = spans[t_id]
        old = out.get(sent, (start, end))
        out[sent] = (min(old[0], start), max(old[1], end))
    return out


def _annotated_end(root: ET.Element, tokens: list[tuple[str, int, str]], sents: dict[int, tuple[int, int]]) -> int:
    """End offset of the last sentence holding a document-level markable.

    Document-level markables carry a ``comment`` attribute; the cross-document layer
    adds bare EVENT_MENTION elements further down the article, which are ignored here.
    """
    sent_of = {t_id: sent for t_id, sent, _ in tokens}
    last = 0
    for el in root.iter():
        if el.get("comment") is None:
            continue
        for anchor in el.findall("token_anchor"):
            last = max(last, sent_of.get(anchor.get("t_id", ""), 0))
    return sents[last][1] if sents else 0


def _span(el: ET.Element, spans: dict[str, tuple[int, int]]) -> tuple[int, int] | None:
    ids = [a.get("t_id", "") for a in el.findall("token_anchor")]
    ids = [i for i in ids if i in spans]
    if not ids:
        return None
    return min(spans[i][0] for i in ids), max(spans[i][1] for i in ids)


def _timexes(root: ET.Element, text: str, spans: dict) -> tuple[list[GoldTimex], date | None]:
    out, dct = [], None
    for el in root.iter("TIMEX3"):
        function = el.get("functionInDocument", "NONE")
        value = el.get("value", "")
        if function == "CREATION_TIME":
            try:
                dct = date.fromisoformat(value[:10])
            except ValueError:
                dct = None
        sp = _span(el, spans)
        if sp is None:
            continue
        out.append(
            GoldTimex(el.get("m_id", ""), sp[0], sp[1], text[sp[0] : sp[1]], el.get("type", ""), value, function)
        )
    return out, dct


def _instances(root: ET.Element) -> dict[str, ET.Element]:
    """ENTITY and EVENT instance elements (those without token anchors) by m_id."""
    out = {}
    for tag in ("ENTITY", "EVENT"):
        for el in root.iter(tag):
            out[el.get("m_id", "")] = el
    return out


def _refers_to(root: ET.Element) -> dict[str, str]:
    """Mention m_id -> instance m_id, from REFERS_TO relations."""
    out = {}
    for rel in root.iter("REFERS_TO"):
        target = rel.find("target")
        for src in rel.findall("source"):
            if target is not None:
                out[src.get("m_id", "")] = target.get("m_id", "")
    return out


def _mentions(root: ET.Element, tag: str, kind: str, text: str, spans: dict) -> list[GoldMention]:
    inst, refs = _instances(root), _refers_to(root)
    type_attr = "ent_type" if kind == "entity" else "class"
    out = []
    for el in root.iter(tag):
        sp = _span(el, spans)
        if sp is None:
            continue
        m_id = el.get("m_id", "")
        target = inst.get(refs.get(m_id, ""))
        attrs = {k: v for k, v in el.attrib.items() if k != "m_id"}
        out.append(
            GoldMention(
                m_id,
                sp[0],
                sp[1],
                text[sp[0] : sp[1]],
                kind,
                type=target.get(type_attr) if target is not None else None,
                instance=refs.get(m_id),
                external_ref=(target.get("external_ref") or None) if target is not None else None,
                instance_id=(target.get("instance_id") or None) if target is not None else None,
                attrs=attrs,
            )
        )
    return out


def _participants(root: ET.Element) -> list[GoldParticipant]:
    out = []
    for rel in root.iter("HAS_PARTICIPANT"):
        src, tgt = rel.find("source"), rel.find("target")
        if src is not None and tgt is not None:
            out.append(GoldParticipant(src.get("m_id", ""), tgt.get("m_id", ""), rel.get("sem_role", "")))
    return out


def load_file(path: Path) -> MeantimeDoc:
    """Read one MEANTIME XML file."""
    root = ET.parse(path).getroot()
    tokens = [(t.get("t_id", ""), int(t.get("sentence", "0")), t.text or "") for t in root.iter("token")]
    text, spans = rebuild_text(tokens)
    timexes, dct = _timexes(root, text, spans)
    sents = sentence_spans(tokens, spans)
    return MeantimeDoc(
        name=root.get("doc_name", path.stem),
        url=root.get("url", ""),
        text=text,
        dct=dct,
        annotated_end=_annotated_end(root, tokens, sents),
        doc_id=root.get("doc_id", ""),
        sentences=[sents[k] for k in sorted(sents)],
        tokens=[GoldToken(t_id, sent, *spans[t_id], tok) for t_id, sent, tok in tokens],
        timexes=timexes,
        entities=_mentions(root, "ENTITY_MENTION", "entity", text, spans),
        events=_mentions(root, "EVENT_MENTION", "event", text, spans),
        participants=_participants(root),
    )


def load_meantime(directory: str | Path) -> list[MeantimeDoc]:
    """Read every ``*.xml`` article in ``directory`` (sorted by file name)."""
    return [load_file(p) for p in sorted(Path(directory).glob("*.xml"))]
