"""GET /api/v1/interactions/by-customer: every customer's interactions per channel, paginated and ordered."""

import pytest

from analytics import rollups
from tests.api.conftest import ingest, product

URL = "/api/v1/interactions/by-customer"
EVENTS = [
    product(
        "call",
        "e1",
        "2026-03-02T10:00:00Z",
        channel="email",
        customer={"id": "ada", "name": "Ada", "type": "Red", "occupation": "Pilot"},
    ),
    product("call", "e2", "2026-03-02T11:00:00Z", channel="email", customer="ada"),
    product("call", "e3", "2026-03-02T23:30:00Z", channel="web", customer="ada"),
    product("call", "e4", "2026-03-03T09:00:00Z", channel="web", customer={"id": "bob", "type": "Orange"}),
    # A customer without any interaction: no channel on its only event.
    product("signup", "e5", "2026-03-03T09:00:00Z", customer={"id": "cy", "name": "Cy"}),
]


@pytest.fixture
def customers(make_client, workspace, other_workspace):
    ingest(make_client(workspace), EVENTS)
    ingest(make_client(other_workspace), [product("call", "g1", "2026-03-02T10:00:00Z", channel="fax", customer="zed")])
    assert rollups.differences() == []


def row(customer_id, name, kind, occupation, total, email, web) -> dict:
    return {
        "id": customer_id,
        "name": name,
        "type": kind,
        "occupation": occupation,
        "total": total,
        "interactions": {"email": email, "web": web},
    }


@pytest.mark.django_db
def test_every_customer_with_every_channel_ordered_by_total(customers, reader):
    """Verifies every customer of the workspace (only it) is listed with every channel, zeros included, by total."""
    response = reader.get(URL, {"ordering": "-total"})
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [
            row("ada", "Ada", "Red", "Pilot", 3, 2, 1),
            row("bob", None, "Orange", None, 1, 0, 1),
            row("cy", "Cy", None, None, 0, 0, 0),
        ],
    }


@pytest.mark.django_db
def test_days_ordering_and_pages(customers, reader):
    """Verifies the day filters (days of the workspace's zone, both inclusive), ordering with nulls
    last and ties by id, and strict pages."""
    by_day = reader.get(URL, {"start_date": "2026-03-03", "end_date": "2026-03-03"}).json()["results"]
    assert [(r["id"], r["total"]) for r in by_day] == [("ada", 0), ("bob", 1), ("cy", 0)]
    in_berlin = reader.get(URL, {"start_date": "2026-03-03", "tz": "Europe/Berlin"}).json()["results"]
    assert [(r["id"], r["total"]) for r in in_berlin] == [("ada", 1), ("bob", 1), ("cy", 0)]  # 23:30Z is the 3rd
    by_type = reader.get(URL, {"ordering": "type"}).json()["results"]
    assert [r["id"] for r in by_type] == ["bob", "ada", "cy"]
    by_name = reader.get(URL, {"ordering": "-name"}).json()["results"]
    assert [r["id"] for r in by_name] == ["cy", "ada", "bob"]
    second = reader.get(URL, {"ordering": "-total", "page_size": 1, "page": 2}).json()
    assert (second["count"], [r["id"] for r in second["results"]]) == (3, ["bob"])
    assert "page=3" in second["next"] and second["previous"] is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"ordering": "channels"}, "ordering"),
        ({"page": "0"}, "page"),
        ({"page_size": "501"}, "page_size"),
        ({"start_date": "2026-03-04", "end_date": "2026-03-03"}, "start_date"),
        ({"start_date": ""}, "start_date"),
    ],
)
def test_bad_parameters_are_400s_naming_them(customers, reader, query, field):
    """Verifies a wrong ordering, page, page size or day range is a 400 whose errors name the parameter."""
    response = reader.get(URL, query)
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]


@pytest.mark.django_db
def test_a_page_past_the_last_is_a_404(customers, reader):
    """Verifies page 2 of a one-page list is the documented 404."""
    assert reader.get(URL, {"page": 2}).status_code == 404
