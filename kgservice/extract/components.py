"""spaCy components of kgservice, registered in one place.

No ``from __future__ import annotations`` here: spaCy reads the factories' type hints.
"""

from spacy.language import Language
from spacy.tokens import Doc, Token

from kgservice.extract import lexicon

EXTENSIONS_REGISTERED = False


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
        for token in doc:
            pos = "VERB" if token.pos_ in ("VERB", "AUX") else token.pos_
            lemma = token.lemma_.lower()
            if pos == "VERB" and lemma in reporting:
                token._.kg_reporting = True
            elif pos in ("NOUN", "VERB"):
                token._.kg_event = senses.get((lemma, pos))
        return doc


@Language.factory("kg_triggers")
def make_trigger_tagger(nlp: Language, name: str) -> TriggerTagger:
    """Factory for :class:`TriggerTagger` (no settings: its word lists are data files)."""
    return TriggerTagger(nlp, name)
