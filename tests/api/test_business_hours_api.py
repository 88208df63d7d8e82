"""GET/POST /api/v1/settings/business-hours: scopes, the versions as stored, every 400 naming its
field, and that a new version changes no figure already counted (it applies from the time it is
made); the Django admin's page of them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from analytics.business import services
from analytics.models import BusinessSchedule
from tests.analytics.test_business_hours import BUSINESS, EVENTS, SCHEDULE, business_table
from tests.analytics.test_metric_definitions import post_as, verify
from tests.factories import add_business_schedules

URL = "/api/v1/settings/business-hours"
WEEK = [{"weekday": day, "start": "09:00", "end": "19:00"} for day in range(1, 6)]


@pytest.fixture
def writer(make_client, workspace):
    return make_client(workspace, scopes=("read", "settings"))


def field_of(response) -> str:
    assert response.status_code == 400, response.content
    return response.json()["errors"][0]["field"]


@pytest.mark.django_db
def test_a_version_is_added_with_the_settings_scope_and_read_with_read(make_client, writer, workspace):
    """Verifies a read token sees no version, cannot add one (403), a settings token adds one from
    now + 300 s by default (in the workspace's zone, intervals sorted), and GET lists it, not yet
    current."""
    reader = make_client(workspace, scopes=("read",))
    assert reader.get(URL).json() == {"current": None, "versions": []}
    assert reader.post(URL, {"intervals": WEEK}, format="json").status_code == 403
    before = timezone.now()
    response = writer.post(URL, {"intervals": WEEK[::-1], "holidays": ["2026-12-25", "2026-12-24"]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    effective_from = datetime.fromisoformat(body["effective_from"])
    assert before + timedelta(seconds=300) <= effective_from <= timezone.now() + timedelta(seconds=301)
    assert body["time_zone"] == "UTC"
    assert body["intervals"] == WEEK
    assert body["holidays"] == ["2026-12-24", "2026-12-25"]
    listed = reader.get(URL).json()
    assert listed["current"] is None and [version["effective_from"] for version in listed["versions"]] == [
        body["effective_from"]
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"intervals": WEEK, "effective_from": "2026-01-01T00:00:00Z"}, "effective_from"),
        (
            {
                "intervals": [
                    {"weekday": 1, "start": "09:00", "end": "12:00"},
                    {"weekday": 1, "start": "11:00", "end": "13:00"},
                ]
            },
            "intervals",
        ),
        ({"intervals": [{"weekday": 8, "start": "09:00", "end": "12:00"}]}, "intervals.0.weekday"),
        ({"intervals": [{"weekday": 1, "start": "25:00", "end": "26:00"}]}, "intervals.0.start"),
        ({"intervals": [{"weekday": 1, "start": "12:00", "end": "09:00"}]}, "intervals.0.end"),
        ({"intervals": WEEK, "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"intervals": WEEK, "holidays": ["2026-02-30"]}, "holidays"),
        ({"intervals": WEEK, "hours": "9-5"}, "hours"),
        ({}, "intervals"),
    ],
)
def test_a_bad_version_is_a_400_naming_its_field(writer, payload, field):
    """Verifies each invalid input is a 400 whose first error names the field, and nothing is stored."""
    assert field_of(writer.post(URL, payload, format="json")) == field
    assert not BusinessSchedule.objects.exists()


@pytest.mark.django_db
def test_two_versions_from_the_same_instant_are_a_400(writer):
    """Verifies a second version from the same effective_from is refused, naming effective_from."""
    moment = (timezone.now() + timedelta(days=1)).replace(microsecond=0).isoformat()
    assert writer.post(URL, {"intervals": WEEK, "effective_from": moment}, format="json").status_code == 201
    assert field_of(writer.post(URL, {"intervals": [], "effective_from": moment}, format="json")) == "effective_from"


@pytest.mark.django_db
def test_a_new_version_applies_from_the_time_it_is_made(client_for, writer, workspace):
    """Verifies that adding a version open around the clock leaves the figures of conversations
    created before it as they were (and verify clean), and that the version in effect is the one
    found for a moment: the old one now, the new one from its effective_from."""
    add_business_schedules(workspace, SCHEDULE)
    post_as(client_for, EVENTS, "batch")
    always = [{"weekday": day, "start": "00:00", "end": "24:00"} for day in range(1, 8)]
    added = writer.post(URL, {"intervals": always, "time_zone": "Europe/Berlin"}, format="json")
    assert added.status_code == 201
    assert business_table(workspace) == BUSINESS
    verify()
    current = writer.get(URL).json()["current"]
    assert current["effective_from"] == "2000-01-01T00:00:00Z" and current["holidays"] == ["2026-03-10"]
    later = datetime.fromisoformat(added.json()["effective_from"])
    assert services.schedule_in_effect(workspace, later).time_zone == "Europe/Berlin"
    assert services.schedule_in_effect(workspace, datetime(1999, 1, 1, tzinfo=UTC)) is None


@pytest.mark.django_db
def test_the_admin_lists_versions_on_the_workspace_and_adds_one_by_the_same_rules(client, workspace):
    """Verifies the workspace's admin page shows its versions read-only, and the admin form refuses a
    back-dated version and overlapping intervals but stores a valid one, intervals sorted."""
    from analytics.business.admin import BusinessScheduleForm

    add_business_schedules(workspace, SCHEDULE)
    User.objects.create_superuser("root", "root@example.com", "pw")
    client.login(username="root", password="pw")
    page = client.get(f"/admin/core/workspace/{workspace.pk}/change/")
    assert page.status_code == 200
    assert "1 09:00-19:00" in page.content.decode()

    def form(**data):
        values = {"effective_from": timezone.now() + timedelta(days=1), "time_zone": "UTC", "holidays": ""}
        values.update(data)
        return BusinessScheduleForm(data=values, instance=BusinessSchedule(workspace=workspace))

    assert "effective_from" in form(intervals="1 09:00-12:00", effective_from="2026-01-01 00:00").errors
    assert "intervals" in form(intervals="1 09:00-12:00\n1 11:00-13:00").errors
    assert "intervals" in form(intervals="Monday nine to five").errors
    assert "time_zone" in form(intervals="", time_zone="Mars/Olympus").errors
    valid = form(intervals="2 10:00-11:00\n1 09:00-12:00", holidays="2026-12-25")
    assert valid.is_valid(), valid.errors
    stored = valid.save()
    assert (stored.weekdays, stored.start_minutes, stored.end_minutes) == ([1, 2], [540, 600], [720, 660])
