"""Loading the spaCy pipeline with kgservice's components added."""

from __future__ import annotations

from functools import cache

import spacy
from spacy.language import Language

from kgservice.errors import ConfigError
from kgservice.extract import components


@cache
def load_nlp(model: str) -> Language:
    """Load an installed spaCy pipeline by name and add the ``kg_*`` components (cached per name)."""
    components.register_extensions()
    try:
        nlp = spacy.load(model)
    except OSError as exc:
        raise ConfigError(
            f"spaCy pipeline {model!r} is not installed (set KG_SPACY_MODEL to an installed pipeline)"
        ) from exc
    nlp.add_pipe("kg_triggers", last=True)
    return nlp


def model_version(nlp: Language) -> tuple[str, str]:
    """The pipeline's name and version, for provenance."""
    meta = nlp.meta
    return f"{meta.get('lang', '')}_{meta.get('name', '')}", str(meta.get("version", ""))
