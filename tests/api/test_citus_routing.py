"""On a Citus coordinator (make citus-test), every read of the API goes to one shard: each of its
statements on a distributed or reference table is planned by Citus as a single task. Skipped on
plain PostgreSQL."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics import citus, summaries
from tests.api.test_access_and_cost import ALL_READS, declare_plan

TASK_COUNT = re.compile(r"Task Count: (\d+)")


@pytest.fixture
def coordinator(db):
    if not citus.is_citus():
        pytest.skip("needs a Citus coordinator (make citus-test)")


@pytest.fixture
def support_week(support_week, other_workspace):
    """The week of tests/api/conftest.py, with `plan` declared in both workspaces (what
    /interactions/by-topic reads: an undeclared property is a 400)."""
    declare_plan(support_week, other_workspace)
    return support_week


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "query"), ALL_READS)
def test_every_read_is_routed_to_one_shard(coordinator, support_week, reader, url, query):
    """Verifies EXPLAIN of every statement a read endpoint runs shows one Citus task (the shard of
    the workspace, or the local copy of a reference table), and that the summary statements are
    planned by Citus at all."""
    with CaptureQueriesContext(connection) as queries:
        assert reader.get(url, query).status_code == 200
    planned = 0
    with connection.cursor() as cursor:
        for sql in (captured["sql"] for captured in queries.captured_queries):
            # The reads' SQL follows the setting that turns parallel workers off (one query string).
            sql = sql.removeprefix(summaries.SERIAL)
            if not re.match(r"\s*(SELECT|WITH|UPDATE)\b", sql, re.IGNORECASE):
                continue
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(line for (line,) in cursor.fetchall())
            counts = TASK_COUNT.findall(plan)
            assert all(count == "1" for count in counts), f"{sql}\n{plan}"
            planned += bool(counts)
    assert planned >= 2
