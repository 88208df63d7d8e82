"""GET /api/v1/customers/<customer_id>/interactions."""

import pytest

from tests.api.conftest import ingest, product


def url(customer_id: str) -> str:
    return f"/api/v1/customers/{customer_id}/interactions"


@pytest.mark.django_db
def test_interactions_per_channel_with_both_dates_inclusive(support_week, reader):
    """Verifies u1's counts per channel name; end_date includes its whole day."""
    response = reader.get(url("u1"), {"start_date": "2026-03-02", "end_date": "2026-03-02"})
    assert response.status_code == 200
    # c1-created, c1-customer, p1 on email; c2-created on chat (p3 is on 03-03).
    assert response.json() == {"data": {"customer_id": "u1", "interactions": {"Chat": 1, "Email": 3}}}
    assert b".0" not in response.content
    through_tuesday = reader.get(url("u1"), {"start_date": "2026-03-02", "end_date": "2026-03-03"}).json()
    assert through_tuesday["data"]["interactions"] == {"Chat": 2, "Email": 3}


@pytest.mark.django_db
def test_every_channel_is_present_with_zero(support_week, reader):
    """Verifies channels the customer never used appear with 0, and no dates means all time."""
    assert reader.get(url("u2")).json()["data"]["interactions"] == {"Chat": 0, "Email": 2}
    assert reader.get(url("u2"), {"start_date": "2026-03-03"}).json()["data"]["interactions"] == {
        "Chat": 0,
        "Email": 1,
    }


@pytest.mark.django_db
def test_channels_sharing_a_name_are_told_apart_by_id(make_client, workspace):
    """Verifies two channels both named Email do not collapse into one key."""
    client = make_client(workspace)
    ingest(
        client,
        [
            product("signup", "e1", "2026-03-02T10:00:00Z", channel={"id": "mail-eu", "name": "Email"}, customer="u"),
            product("signup", "e2", "2026-03-02T10:00:00Z", channel={"id": "mail-us", "name": "Email"}, customer="u"),
            product("signup", "e3", "2026-03-02T11:00:00Z", channel={"id": "mail-us"}, customer="u"),
            product("signup", "e4", "2026-03-02T10:00:00Z", channel="web"),
        ],
    )
    assert client.get(url("u")).json()["data"]["interactions"] == {
        "Email (mail-eu)": 1,
        "Email (mail-us)": 2,
        "web": 0,
    }


@pytest.mark.django_db
def test_unknown_customer_is_a_404_with_an_error(support_week, reader, make_client, other_workspace):
    """Verifies an unknown customer, or one of another workspace only, is a 404 {"detail": ...}, the API's shape."""
    response = reader.get(url("nobody"))
    assert (response.status_code, response.json()) == (404, {"detail": "Customer not found."})
    assert reader.get(url("g-customer")).status_code == 404
    assert make_client(other_workspace).get(url("g-customer")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"start_date": "2026-13-01"},
        {"end_date": "yesterday"},
        {"start_date": "2026-03-02T00:00:00Z"},
        {"start_date": "2026-03-03", "end_date": "2026-03-02"},
    ],
)
def test_bad_dates_are_a_400_with_an_error(support_week, reader, query):
    """Verifies a malformed date or start after end is a 400 in the API's `errors` shape naming the parameter."""
    response = reader.get(url("u1"), query)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid input."
    assert [error["field"] for error in body["errors"]] == [next(iter(query)) if len(query) == 1 else "start_date"]
