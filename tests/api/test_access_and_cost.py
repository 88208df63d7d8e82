"""Tokens, scopes and tenancy of every read endpoint; and what each costs: a bounded number of
queries, none of which (but the raw listing's) touches the raw event table."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from analytics.catalogue import services as catalogue
from tests.api.conftest import OTHER_WORKSPACE_ONLY, SUPPORT_WEEK, ingest

WEEK = {"from": "2026-03-02", "to": "2026-03-09"}
DAYS = {"start_date": "2026-03-02", "end_date": "2026-03-08"}
SUMMARY_READS = [
    ("/api/v1/summaries/overview", WEEK),
    ("/api/v1/summaries/overview", {**WEEK, "channel": "email", "agent": "a1", "tz": "Europe/Berlin"}),
    ("/api/v1/summaries/timeseries", {**WEEK, "metric": "avg_resolution_seconds", "granularity": "hour"}),
    ("/api/v1/summaries/timeseries", {**WEEK, "metric": "events", "name": "signup", "granularity": "week"}),
    ("/api/v1/summaries/agents", {**WEEK, "ordering": "-resolution_p90_seconds"}),
    ("/api/v1/summaries/channels", {**WEEK, "ordering": "-open_now", "page_size": 1}),
    ("/api/v1/summaries/teams", {**WEEK, "ordering": "-csat_ratings", "page_size": 1}),
    ("/api/v1/summaries/labels", {**WEEK, "ordering": "-csat_ratings", "page_size": 1}),
    ("/api/v1/summaries/overview", {**WEEK, "business_hours": "true"}),
    ("/api/v1/summaries/overview", {**WEEK, "business_hours": "true", "channel": "email", "agent": "a1"}),
    ("/api/v1/summaries/timeseries", {**WEEK, "metric": "avg_first_response_seconds", "business_hours": "true"}),
    ("/api/v1/summaries/agents", {**WEEK, "business_hours": "true", "ordering": "-first_response_avg_seconds"}),
    ("/api/v1/summaries/channels", {**WEEK, "business_hours": "true", "channel": "email"}),
    ("/api/v1/summaries/timeseries", {**WEEK, "metric": "sla_resolution_breaches", "agent": "a1"}),
    ("/api/v1/summaries/channels", {**WEEK, "ordering": "-overdue_now"}),
    ("/api/v1/customers/u1/interactions", DAYS),
    ("/api/v1/interactions/by-type", DAYS),
    ("/api/v1/interactions/by-occupation", DAYS),
    ("/api/v1/interactions/by-topic", {**DAYS, "property": "plan"}),
    ("/api/v1/interactions/by-topic", {**DAYS, "property": "plan", "name": "signup"}),
    ("/api/v1/interactions/by-customer", {**DAYS, "ordering": "-total", "page_size": 1}),
    ("/api/v1/events/trend", DAYS),
    ("/api/v1/events/frequency", DAYS),
    ("/api/v1/events/frequency", {**DAYS, "event_name": "signup"}),
    ("/api/v1/events/stats", {**WEEK, "group_by": "month", "aggregate": "avg"}),
    ("/api/v1/events/stats", {**WEEK, "group_by": "channel", "aggregate": "max"}),
]
ALL_READS = [*SUMMARY_READS, ("/api/v1/events/", {"name": "signup", "channel": "email"})]
# The raw table is `event`; event_hourly, attributes_event_id and the like are other names.
RAW_TABLE = re.compile(r'(?<![\w"])"?event"?(?![\w"])')


def declare_plan(*workspaces) -> None:
    """`plan` a dimension of signup, what /interactions/by-topic reads."""
    for workspace in workspaces:
        catalogue.definition_create(
            workspace=workspace, name="signup", properties={"plan": {"kind": "dimension", "cap": 100}}
        )


@pytest.fixture
def support_week(support_week, other_workspace):
    """The week of tests/api/conftest.py, with `plan` declared in both workspaces."""
    declare_plan(support_week, other_workspace)
    return support_week


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "query"), ALL_READS)
def test_reads_need_a_token(support_week, url, query):
    """Verifies a request without a token, or with a wrong one, is a 401."""
    anonymous = APIClient()
    assert anonymous.get(url, query).status_code == 401
    anonymous.credentials(HTTP_AUTHORIZATION="Token tly_not-a-real-key")
    assert anonymous.get(url, query).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "query"), ALL_READS)
def test_reads_need_the_read_scope(support_week, make_client, url, query):
    """Verifies an ingest-only token is refused with a 403."""
    response = make_client(support_week, scopes=("ingest",)).get(url, query)
    assert response.status_code == 403
    assert response.json() == {"detail": "This token lacks the 'read' scope."}


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "query"), ALL_READS)
def test_reads_cost_a_bounded_number_of_queries(support_week, reader, django_assert_max_num_queries, url, query):
    """Verifies each read is the token lookup, its last-use update and at most two queries."""
    with django_assert_max_num_queries(4):
        assert reader.get(url, query).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "query"), SUMMARY_READS)
def test_summary_reads_run_without_parallel_workers(support_week, reader, url, query):
    """Verifies every statement of a read that names a summary table is sent with parallel
    workers off for itself (analytics.summaries.SERIAL): the workers' start-up costs more than they save on
    a few thousand rows."""
    with CaptureQueriesContext(connection) as queries:
        assert reader.get(url, query).status_code == 200
    reads = [query["sql"] for query in queries.captured_queries if re.search(r"_(hourly|daily)\b", query["sql"])]
    assert reads
    serial = "SELECT set_config('max_parallel_workers_per_gather', '0', true);"
    assert [sql for sql in reads if not sql.startswith(serial)] == []


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "query"), SUMMARY_READS)
def test_summary_reads_never_touch_the_raw_event_table(support_week, reader, url, query):
    """Verifies no SQL statement of a summary endpoint names the table `event`."""
    with CaptureQueriesContext(connection) as queries:
        assert reader.get(url, query).status_code == 200
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) >= 2
    assert [sql for sql in statements if RAW_TABLE.search(sql)] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "query", "tables"),
    [
        ("/api/v1/summaries/overview", WEEK, {"support_total_hourly"}),
        ("/api/v1/summaries/timeseries", {**WEEK, "metric": "resolutions"}, {"support_total_hourly"}),
        ("/api/v1/summaries/overview", {**WEEK, "channel": "email"}, {"support_channel_hourly"}),
        ("/api/v1/summaries/timeseries", {**WEEK, "metric": "resolutions", "agent": "a1"}, {"support_agent_hourly"}),
        # Reply times and CSAT from the table of the grain too.
        ("/api/v1/summaries/timeseries", {**WEEK, "metric": "avg_reply_seconds"}, {"support_total_hourly"}),
        (
            "/api/v1/summaries/timeseries",
            {**WEEK, "metric": "csat_ratings", "channel": "email"},
            {"support_channel_hourly"},
        ),
        (
            "/api/v1/summaries/overview",
            {**WEEK, "channel": "email", "agent": "a1"},
            {"support_hourly", "support_duration_hourly", "support_reply_hourly", "support_csat_hourly"},
        ),
        # Whole UTC days from the table of days, the edges and unfolded slots by hour.
        ("/api/v1/summaries/agents", WEEK, {"support_agent_daily", "support_agent_hourly"}),
        ("/api/v1/summaries/channels", WEEK, {"support_channel_hourly"}),
        (
            "/api/v1/summaries/agents",
            {**WEEK, "channel": "email"},
            {"support_hourly", "support_duration_hourly", "support_reply_hourly", "support_csat_hourly"},
        ),
    ],
)
def test_unfiltered_support_reads_use_the_workspace_totals(support_week, reader, url, query, tables):
    """Verifies an overview or series without channel/agent reads support_total_hourly (one row
    per hour), one filtered by a channel or an agent (and the lists) the table of that grain, and
    only one filtered by both the per-channel-and-agent tables; the agent list over whole days
    reads them from support_agent_daily; reply times and CSAT come from the same tables, and only
    from support_reply_hourly and support_csat_hourly when both a channel and an agent narrow it."""
    support_tables = {
        "support_total_hourly",
        "support_channel_hourly",
        "support_agent_hourly",
        "support_agent_daily",
        "support_hourly",
        "support_duration_hourly",
        "support_reply_hourly",
        "support_csat_hourly",
    }
    with CaptureQueriesContext(connection) as queries:
        assert reader.get(url, query).status_code == 200
    named = {
        table
        for statement in queries.captured_queries
        for table in support_tables
        if re.search(rf"\b{table}\b", statement["sql"])
    }
    assert named == tables


def test_raw_table_pattern_tells_event_from_its_summaries():
    """Verifies the pattern matches the raw table in any quoting and nothing else."""
    assert RAW_TABLE.search('SELECT "event"."id" FROM "event" WHERE 1')
    assert RAW_TABLE.search("SELECT * FROM event AS e")
    assert RAW_TABLE.search("SELECT 1 FROM public.event")
    assert not RAW_TABLE.search('SELECT * FROM "event_hourly" JOIN customer_interaction_hourly USING (x)')
    assert not RAW_TABLE.search("SELECT attributes_event_id, h.events, recompute_event_hourly FROM event_hourly")


@pytest.mark.django_db
def test_raw_listing_is_the_one_reader_of_the_raw_table(support_week, reader):
    """Verifies the capture would see the raw table: the listing's query names it."""
    with CaptureQueriesContext(connection) as queries:
        reader.get("/api/v1/events/", {"name": "signup"})
    assert any(RAW_TABLE.search(query["sql"]) for query in queries.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "query"), ALL_READS)
def test_another_workspace_never_shows(make_client, workspace, other_workspace, url, query):
    """Verifies acme's answers are the same with and without globex's data (same ids, more events)."""
    declare_plan(workspace, other_workspace)
    acme = make_client(workspace)
    ingest(acme, SUPPORT_WEEK)
    response = acme.get(url, query)
    assert response.status_code == 200, response.json()
    alone = response.json()
    ingest(make_client(other_workspace), SUPPORT_WEEK + OTHER_WORKSPACE_ONLY)
    assert acme.get(url, query).json() == alone
    assert "sms" not in str(alone) and "globex" not in str(alone)


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "query"), ALL_READS)
def test_browsable_api_renders_every_read(support_week, reader, url, query):
    """Verifies each endpoint also renders as HTML for a browser."""
    response = reader.get(url, query, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
