"""Extraction: one article's text in, plain records out (actors, times, events, assertions).

The records (``records.py``) import nothing heavy, so the graph and web layers can use
them without loading spaCy; the extractor itself lives in ``extractor.py``.
"""
