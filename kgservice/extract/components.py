"""spaCy components of kgservice, registered in one place.

No ``from __future__ import annotations`` here: spaCy reads the factories' type hints.
"""

from spacy.language import Language
from spacy.tokens import Doc, Token

from kgservice.extract import lexicon

EXTENSIONS_REGISTERED = False


_TEXT = "kg_text"


def doc_text(doc: Doc) -> str:
    """``doc.text``, built once per document: spaCy joins every token again on each access."""
    text = doc.user_data.get(_TEXT)
    if text is None:
        text = doc.user_data[_TEXT] = doc.text
    return text


def register_extensions() -> None:
    """Register the ``kg_`` token attributes once per process."""
    global EXTENSIONS_REGISTERED
    if EXTENSIONS_REGISTERED:
        return
    Token.set_extension("kg_event", default=None, force=True)
    Token.set_extension("kg_reporting", default=False, force=True)
    EXTENSIONS_REGISTERED = True


class TriggerTagger:
    """Marks event triggers (``token._.kg_event``) and reporting verbs (``token._.kg_reporting``)."""

    def __init__(self, nlp: Language, name: str) -> None:
        register_extensions()
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        senses = lexicon.triggers()
        reporting = lexicon.reporting_verbs()
        triggers, reports = [], []
        for token in doc:
            pos = "VERB" if token.pos_ in ("VERB", "AUX") else token.pos_
            if pos not in ("NOUN", "VERB"):
                continue
            lemma = token.lemma_.lower()
            if pos == "VERB" and lemma in reporting:
                token._.kg_reporting = True
                reports.append(token.i)
                continue
            sense = senses.get((lemma, pos))
            if sense is None:
                continue
            if sense.objects and not _takes_object(token, sense.objects):
                sense = FALLBACK
            token._.kg_event = sense
            triggers.append(token.i)
        doc.user_data[_TRIGGERS], doc.user_data[_REPORTS] = triggers, reports
        return doc


_TRIGGERS, _REPORTS = "kg_triggers", "kg_reports"


def trigger_tokens(doc: Doc) -> list[Token]:
    """The tokens :class:`TriggerTagger` marked as event triggers, in text order (none if it did not run)."""
    return [doc[i] for i in doc.user_data.get(_TRIGGERS, ())]


def reporting_tokens(doc: Doc) -> list[Token]:
    """The tokens :class:`TriggerTagger` marked as reporting verbs, in text order (none if it did not run)."""
    return [doc[i] for i in doc.user_data.get(_REPORTS, ())]


FALLBACK = lexicon.TriggerSense("Occurrence", None)
OBJECT_DEPS = ("dobj", "nsubjpass", "compound", "nmod")


def _takes_object(token: Token, objects: frozenset[str]) -> bool:
    """Whether the trigger's object or noun modifier, if it has one, is among ``objects``.

    "launch a missile" and "a missile launch" keep the sense; "launch a phone" does not.
    """
    found = [c for c in token.children if c.dep_ in OBJECT_DEPS and c.pos_ in ("NOUN", "PROPN")]
    for prep in (c for c in token.children if c.dep_ == "prep" and c.lower_ == "of"):
        found += [c for c in prep.children if c.dep_ == "pobj"]
    return not found or any(c.lemma_.lower() in objects for c in found)


@Language.factory("kg_triggers")
def make_trigger_tagger(nlp: Language, name: str) -> TriggerTagger:
    """Factory for :class:`TriggerTagger` (no settings: its word lists are data files)."""
    return TriggerTagger(nlp, name)
