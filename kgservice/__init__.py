"""kgservice: an event-timeline knowledge graph of news articles."""

__version__ = "0.1.0"
