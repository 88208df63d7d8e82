"""The agent, channel, team and label lists write their rows with SummaryListSerializer (a plan of
the serializer's fields, built once per list): the bytes DRF's own serializer writes."""

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from rest_framework.renderers import JSONRenderer

from analytics import params, summaries
from analytics.summary_serializers import (
    AgentSummarySerializer,
    ChannelSummarySerializer,
    LabelSummarySerializer,
    SummaryListSerializer,
    TeamSummarySerializer,
)

WEEK = params.Window(
    start=datetime(2026, 3, 2, tzinfo=UTC),
    end=datetime(2026, 3, 9, tzinfo=UTC),
    tz=ZoneInfo("UTC"),
    granularity=None,
    channel=None,
    agent=None,
)


def written(serializer_class, rows: list[dict]) -> bytes:
    data = serializer_class(rows, many=True, context={"tz": WEEK.tz}).data
    assert isinstance(data.serializer, SummaryListSerializer)
    return JSONRenderer().render(data)


def written_by_drf(serializer_class, rows: list[dict]) -> bytes:
    """Each row through DRF's Serializer.to_representation, as DRF's ListSerializer writes it."""
    child = serializer_class(context={"tz": WEEK.tz})
    return JSONRenderer().render([child.to_representation(row) for row in rows])


@pytest.mark.django_db
def test_list_rows_are_the_bytes_drf_writes(support_week, workspace):
    """Verifies the week's agent, channel and team rows as SummaryListSerializer writes them equal DRF's."""
    lists = {
        AgentSummarySerializer: summaries.dimension_rows(
            workspace=workspace, window=WEEK, dimension="agent", ordering="id"
        )[:],
        ChannelSummarySerializer: summaries.dimension_rows(
            workspace=workspace, window=WEEK, dimension="channel", ordering="id"
        )[:],
        TeamSummarySerializer: summaries.team_rows(workspace=workspace, window=WEEK, ordering="id")[:],
    }
    for serializer_class, rows in lists.items():
        assert rows
        assert written(serializer_class, rows) == written_by_drf(serializer_class, rows)


def label_row(**changes) -> dict:
    duration = {"count": 2, "avg_seconds": Decimal("1.50"), "p50_seconds": None, "p90_seconds": Decimal("10")}
    csat = {f"score_{score}": score for score in range(1, 6)}
    return {
        "id": "billing",
        "conversations_created": 3,
        "first_response": duration,
        "resolution": {**duration, "count": 0, "avg_seconds": None},
        "csat": {**csat, "ratings": 15, "satisfied_share": Decimal("0.6"), "response_rate": None},
        "sla": {
            "first_response_targeted": 2,
            "first_response_breaches": 1,
            "resolution_targeted": 0,
            "resolution_breaches": 0,
        },
        **changes,
    }


def test_nulls_exact_numerics_and_nested_rows_are_written_as_drf_writes_them():
    """Verifies nulls, Decimals (sent as numbers) and nested figures come out as DRF writes them."""
    rows = [label_row(), label_row(id="refunds", conversations_created=0)]
    assert written(LabelSummarySerializer, rows) == written_by_drf(LabelSummarySerializer, rows)
    assert b'"avg_seconds":1.5,"p50_seconds":null,"p90_seconds":10.0' in written(LabelSummarySerializer, rows)


def test_a_row_without_a_figure_fails_as_drf_fails():
    """Verifies a row missing a field raises DRF's KeyError, not a row with the field left out."""
    row = label_row()
    del row["csat"]
    with pytest.raises(KeyError, match="csat"):
        written(LabelSummarySerializer, [row])
    with pytest.raises(KeyError, match="csat"):
        written_by_drf(LabelSummarySerializer, [row])
