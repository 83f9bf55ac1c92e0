"""``/openapi.json`` tells the truth about the routes: every documented operation is a route,
every public GET route is documented, and the choices it lists are the ones the service checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from flask import Flask
from schemathesis.specs.openapi.definitions import OPENAPI_31

from kgservice.graph.namespaces import KG, RDF, RDFS, SEM
from kgservice.resources import ontology_graph
from tests.conftest import running_app

UNDOCUMENTED = {"static"}  # the package's scripts and styles: files, not an API


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with running_app(tmp_path_factory.mktemp("openapi") / "kg") as application:
        yield application


@pytest.fixture(scope="module")
def document(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path template: ``/id/<kind>/<path:slug>`` → ``/id/{kind}/{slug}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def routes(app: Flask) -> dict[str, set[str]]:
    """Methods by OpenAPI path, for every route but the undocumented ones."""
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in UNDOCUMENTED:
            found.setdefault(openapi_path(rule.rule), set()).update(m.lower() for m in rule.methods or ())
    return found


def test_the_document_is_valid_openapi_31(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    assert [error.message for error in jsonschema_rs.Draft202012Validator(OPENAPI_31).iter_errors(document)] == []


def test_every_documented_operation_is_a_route(app: Flask, document: dict[str, Any]) -> None:
    served = routes(app)
    for path, item in document["paths"].items():
        assert path in served, f"{path} is documented but no route serves it"
        for method in item:
            assert method in served[path], f"{method.upper()} {path} is documented but not served"
        template = set(re.findall(r"{([^}]+)}", path))
        for method, operation in item.items():
            in_path = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert in_path == template, (method, path, in_path)


def test_every_public_route_is_documented(app: Flask, document: dict[str, Any]) -> None:
    for path, methods in routes(app).items():
        for method in methods - {"head", "options"}:
            assert method in document["paths"].get(path, {}), f"{method.upper()} {path} is served but not documented"


def test_the_listed_classes_and_statuses_are_the_ontologys(document: dict[str, Any]) -> None:
    ontology = ontology_graph()
    classes = {str(c).removeprefix(str(KG._NS)) for c in ontology.subjects(RDFS.subClassOf, SEM.Event)}
    statuses = {str(s).removeprefix(str(KG._NS)) for s in ontology.subjects(RDF.type, KG.Status)}
    parameters = {p["name"]: p["schema"] for p in document["paths"]["/timeline"]["get"]["parameters"]}
    assert set(parameters["class"]["enum"]) - {""} == classes
    assert set(parameters["status"]["enum"]) - {""} == statuses


@pytest.mark.parametrize(("name", "bad"), [("class", "Summit"), ("status", "Rumoured"), ("per_page", "501")])
def test_a_value_outside_the_listed_ones_is_refused_with_them(
    app: Flask, document: dict[str, Any], name: str, bad: str
) -> None:
    response = app.test_client().get("/timeline", query_string={name: bad}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    schema = {p["name"]: p["schema"] for p in document["paths"]["/timeline"]["get"]["parameters"]}[name]
    listed = [v for v in schema.get("enum", []) if v] or [str(schema["anyOf"][0]["maximum"])]
    assert all(value in response.get_json()["message"] for value in listed)
