"""GET /api/v1/interactions/by-topic: events per value of a declared dimension, from event_property_hourly."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from analytics import rollups
from tests.api.conftest import ingest, product

URL = "/api/v1/interactions/by-topic"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
CATALOGUE = "/api/v1/catalogue/events/"


def declare(client, name: str, *properties: dict) -> None:
    response = client.post(CATALOGUE, {"name": name, "properties": list(properties)}, format="json")
    assert response.status_code == 201, response.json()


def dimension(key: str, cap: int = 100) -> dict:
    return {"key": key, "kind": "dimension", "cap": cap}


def errors(response) -> dict[str, str]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    return {error["field"]: error["message"] for error in response.json()["errors"]}


@pytest.mark.django_db
def test_the_products_file_answers_interactions_per_product(make_client, workspace):
    """Verifies the steps of docs/import.md: declare `product` a dimension of product.discussed,
    import the products file, read the events per product (a duplicated row once, the refused row
    not at all), the months as day filters."""
    declare(make_client(workspace, scopes=("catalogue",)), "product.discussed", dimension("product"))
    upload = SimpleUploadedFile("products.csv", (FIXTURES / "products.csv").read_bytes())
    imported = make_client(workspace, scopes=("ingest",)).post(
        "/api/v1/imports/", {"file": upload, "preset": "products"}, format="multipart"
    )
    assert imported.status_code == 201, imported.json()
    reader = make_client(workspace, scopes=("read",))
    response = reader.get(URL, {"property": "product"})
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "property": "product",
        "data": [
            {"topic": "Batmobile", "other": False, "total": 1, "events": {"product.discussed": 1}},
            {"topic": "Lightsaber", "other": False, "total": 1, "events": {"product.discussed": 1}},
        ],
    }
    january = reader.get(URL, {"property": "product", "start_date": "2019-01-01", "end_date": "2019-01-31"})
    assert [entry["topic"] for entry in january.json()["data"]] == ["Lightsaber"]
    assert rollups.differences() == []


@pytest.fixture
def topics(make_client, workspace, other_workspace):
    """acme: `topic` declared by two names (one with a measure, one with a cap of 2), their events
    with and without the property; globex: the same name and key with other values."""
    declare(
        make_client(workspace, scopes=("catalogue",)),
        "call",
        dimension("topic"),
        {"key": "minutes", "kind": "measure"},
        {"key": "rating", "kind": "measure"},
    )
    declare(make_client(workspace, scopes=("catalogue",)), "chat", dimension("topic", cap=2))
    declare(make_client(workspace, scopes=("catalogue",)), "visit", dimension("page"))
    ingest(
        make_client(workspace, scopes=("ingest",)),
        [
            product("call", "c1", "2026-03-02T10:00:00Z", properties={"topic": "billing", "minutes": 3}),
            product("call", "c2", "2026-03-02T10:30:00Z", properties={"topic": "billing"}),
            product("call", "c3", "2026-03-03T09:00:00Z", properties={"topic": "refund", "minutes": 1}),
            product("call", "c4", "2026-03-03T09:10:00Z"),
            product("chat", "h1", "2026-03-02T10:00:00Z", properties={"topic": "billing"}),
            product("chat", "h2", "2026-03-02T10:05:00Z", properties={"topic": "delivery"}),
            # Past chat's cap of 2 in this hour: billing and delivery sort first.
            product("chat", "h3", "2026-03-02T10:10:00Z", properties={"topic": "refund"}),
            product("chat", "h4", "2026-03-04T08:00:00Z", properties={"topic": "refund"}),
            product("visit", "v1", "2026-03-02T10:00:00Z", properties={"topic": "billing", "page": "/"}),
        ],
    )
    declare(make_client(other_workspace, scopes=("catalogue",)), "call", dimension("topic"))
    ingest(
        make_client(other_workspace, scopes=("ingest",)),
        [product("call", "c1", "2026-03-02T10:00:00Z", properties={"topic": "globex-secret"})],
    )
    assert rollups.differences() == []


@pytest.mark.django_db
def test_topics_of_every_declaring_name_counted_once_whatever_its_measures(topics, reader):
    """Verifies each declaring name's events count once per topic (not once per declared measure),
    every declaring name listed with zeros, a name that does not declare the property left out,
    topics by total descending, then the events without it and the values past an hour's cap."""
    response = reader.get(URL, {"property": "topic"})
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "property": "topic",
        "data": [
            {"topic": "billing", "other": False, "total": 3, "events": {"call": 2, "chat": 1}},
            {"topic": "refund", "other": False, "total": 2, "events": {"call": 1, "chat": 1}},
            {"topic": "delivery", "other": False, "total": 1, "events": {"call": 0, "chat": 1}},
            {"topic": None, "other": False, "total": 1, "events": {"call": 1, "chat": 0}},
            {"topic": None, "other": True, "total": 1, "events": {"call": 0, "chat": 1}},
        ],
    }


@pytest.mark.django_db
def test_one_name_and_the_days_narrow_the_topics(topics, reader):
    """Verifies `name` keeps one declaring name, and start_date/end_date the whole days of the range."""
    chats = reader.get(URL, {"property": "topic", "name": "chat"}).json()["data"]
    assert [(entry["topic"], entry["other"], entry["total"]) for entry in chats] == [
        ("billing", False, 1),
        ("delivery", False, 1),
        ("refund", False, 1),
        (None, True, 1),
    ]
    later = reader.get(URL, {"property": "topic", "start_date": "2026-03-03", "end_date": "2026-03-04"}).json()
    assert later["data"] == [
        {"topic": "refund", "other": False, "total": 2, "events": {"call": 1, "chat": 1}},
        {"topic": None, "other": False, "total": 1, "events": {"call": 1, "chat": 0}},
    ]
    assert reader.get(URL, {"property": "topic", "start_date": "2026-03-05"}).json() == {
        "property": "topic",
        "data": [],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({}, "property", "Is required: a dimension the event catalogue declares, e.g. product."),
        ({"property": ""}, "property", "Must not be empty; leave the parameter out for its default."),
        (
            {"property": "minutes"},
            "property",
            "'minutes' is not a declared dimension of any event definition (the event catalogue, docs/catalogue.md).",
        ),
        (
            {"property": "page", "name": "call"},
            "property",
            "'page' is not a declared dimension of 'call' (the event catalogue, docs/catalogue.md).",
        ),
        ({"property": "topic", "start_date": "2026-03-04", "end_date": "2026-03-03"}, "start_date", None),
        ({"property": "topic", "end_date": "March"}, "end_date", None),
        ({"property": "topic", "tz": "Mars/Olympus"}, "tz", None),
    ],
)
def test_bad_parameters_are_400s_naming_them(topics, reader, query, field, message):
    """Verifies a missing or undeclared property (a measure, or another name's dimension) and a
    wrong day range are 400s naming the parameter."""
    found = errors(reader.get(URL, query))
    assert set(found) == {field}
    if message is not None:
        assert found[field] == message
