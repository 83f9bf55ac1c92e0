"""The SPARQL lexer's answers: which operation, SERVICE, dataset clauses, and the protocol's USING rewrite."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kgservice.errors import InputError
from kgservice.sparqltext import apply_using, declares_dataset, loads_documents, names_dataset, operation, uses_service


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PREFIX ex: <http://ex/> SELECT * { ?s ?p ?o }", "SELECT"),
        ("BASE <http://ex/> # ASK in a comment\nCONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("prefix insert: <http://ex/> ask { insert:a ?p ?o }", "ASK"),
        ('INSERT DATA { <a:b> <a:c> "SELECT" }', "INSERT"),
        ("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH"),
        ("# nothing here", None),
    ],
)
def test_operation(text: str, expected: str | None) -> None:
    assert operation(text) == expected


def test_service_is_found_only_as_a_keyword() -> None:
    assert uses_service("SELECT * { ?s ?p ?o SERVICE <http://x/sparql> { ?s ?q ?r } }")
    assert uses_service("select * { optional { service silent ?endpoint { ?s ?p ?o } } }")
    harmless = 'SELECT ?service { ?service ex:SERVICE "SERVICE" . FILTER(?a<?b) } # SERVICE'
    assert not uses_service(harmless)


def test_dataset_clauses() -> None:
    assert declares_dataset("SELECT * FROM <http://g> { ?s ?p ?o }")
    assert declares_dataset("SELECT * FROM NAMED <http://g> { GRAPH ?g { ?s ?p ?o } }")
    assert not declares_dataset('SELECT * { ?s <http://ex/from> "FROM" }')
    assert names_dataset("DELETE { ?s ?p ?o } USING <http://g> WHERE { ?s ?p ?o }")
    assert not names_dataset('INSERT DATA { <a:b> <a:c> "x"@with }')
    assert loads_documents("LOAD <http://ex/data.ttl> INTO GRAPH <http://g>")
    assert not loads_documents('INSERT DATA { <a:b> <a:c> "LOAD" }')


def test_using_is_written_into_every_operation_with_a_where() -> None:
    update = """PREFIX ex: <http://ex/>
    CLEAR SILENT GRAPH <http://out> ;
    INSERT { GRAPH <http://out> { ?s a ex:Seen } } WHERE { ?s a ex:Doc } ;
    DELETE WHERE { GRAPH <http://out> { ?s ?p "}" } }"""
    rewritten = apply_using(update, ["http://src"], ["http://named"])
    assert rewritten.count("USING <http://src> USING NAMED <http://named> WHERE") == 2
    store = ox.Store()
    store.update(
        "INSERT DATA { GRAPH <http://src> { <http://a> a <http://ex/Doc> } "
        "GRAPH <http://other> { <http://b> a <http://ex/Doc> } }"
    )
    store.update(rewritten)
    # the INSERT saw only <http://src>; the DELETE WHERE's GRAPH <http://out> is outside the protocol's dataset
    seen = {str(q.subject) for q in store.quads_for_pattern(None, None, None, ox.NamedNode("http://out"))}
    assert seen == {"<http://a>"}


def test_using_conflicts_with_the_updates_own_dataset() -> None:
    with pytest.raises(InputError, match="USING or WITH"):
        apply_using("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", ["http://src"], [])
    with pytest.raises(InputError, match="not a valid graph IRI"):
        apply_using("DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", ["http://src> } ; DROP ALL ; #"], [])
    assert apply_using("CLEAR ALL", [], []) == "CLEAR ALL"
