"""Interactions (events naming a customer and a channel) per customer type or occupation and
channel; interactions per topic (a declared dimension of the events, from event_property_hourly);
and the path of the CRM API that imports replace: GET /api/v1/interactions/{customer_id}."""

import json

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.response import Response

from analytics import params
from analytics.summaries import SqlRows, day_conditions, fetch, ordering_sql
from analytics.summary_serializers import CustomerInteractionsRowSerializer
from analytics.summary_views import (
    AUTH_ERRORS,
    BAD_PARAMETER,
    DAY_PARAMETERS,
    PAST_THE_LAST_PAGE,
    CustomerInteractionsView,
    SummaryView,
)
from core.models import Scope
from core.pagination import SummaryPagination

CUSTOMER_ORDERING = ("id", "name", "type", "occupation", "total")


def interactions_by_attribute(*, workspace, days: params.DayRange, attribute: str) -> list[dict]:
    """[{<attribute>, customers, total, interactions: {channel: n}}]: every value of the customer
    attribute `type` or `occupation` (a column of the view customer, never client input; null for
    customers without one) and every channel of the workspace, zeros included. A customer's
    attribute is its current one (the latest event or import that set it)."""
    sql = f"""
WITH counts AS (
    SELECT c.{attribute} AS grouping, i.channel_id, sum(i.interactions)::bigint AS interactions
    FROM customer_interaction_hourly AS i
    JOIN customer AS c ON c.workspace_id = i.workspace_id AND c.customer_id = i.customer_id
    WHERE i.workspace_id = %(workspace)s {day_conditions(days, "i")}
    GROUP BY 1, 2
),
channels AS (
    SELECT channel_id FROM channel WHERE workspace_id = %(workspace)s
),
customers AS (
    SELECT {attribute} AS grouping, count(*) AS customers FROM customer WHERE workspace_id = %(workspace)s GROUP BY 1
)
SELECT k.grouping, ch.channel_id, COALESCE(n.interactions, 0) AS interactions, k.customers
FROM customers AS k
CROSS JOIN channels AS ch
LEFT JOIN counts AS n ON n.grouping IS NOT DISTINCT FROM k.grouping AND n.channel_id = ch.channel_id
ORDER BY k.grouping NULLS LAST, ch.channel_id
"""
    rows = fetch(sql, {"workspace": workspace.pk, "start": days.start, "end": days.end})
    result: dict = {}
    for row in rows:
        value = row["grouping"]
        entry = result.setdefault(value, {attribute: value, "customers": row["customers"], "total": 0})
        entry.setdefault("interactions", {})[row["channel_id"]] = row["interactions"]
        entry["total"] += row["interactions"]
    return list(result.values())


@extend_schema(
    summary="Interactions per customer type and channel",
    description="Events that name a customer and a channel, summed per the customer's current type (null: customers "
    "without a type) and channel over the days; every type and every channel of the workspace is present, zeros "
    "included. `customers` is the number of customers of that type.",
    parameters=DAY_PARAMETERS,
    responses={
        200: OpenApiResponse(
            {"type": "object"},
            examples=[
                OpenApiExample(
                    "types",
                    value={
                        "data": [
                            {"type": "Red", "customers": 2, "total": 3, "interactions": {"call": 0, "email": 3}},
                            {"type": None, "customers": 1, "total": 1, "interactions": {"call": 1, "email": 0}},
                        ]
                    },
                )
            ],
        ),
        **BAD_PARAMETER,
        **AUTH_ERRORS,
    },
)
class InteractionsByTypeView(generics.GenericAPIView):
    required_scopes = {"GET": Scope.READ}
    pagination_class = None
    attribute = "type"

    def get(self, request, *args, **kwargs):
        workspace = request.user.workspace
        days = params.parse_day_range(request.query_params, workspace=workspace)
        return Response({"data": interactions_by_attribute(workspace=workspace, days=days, attribute=self.attribute)})


@extend_schema(
    summary="Interactions per customer occupation and channel",
    description="Events that name a customer and a channel, summed per the customer's current occupation (null: "
    "customers without one) and channel over the days; every occupation and every channel of the workspace is "
    "present, zeros included. `customers` is the number of customers of that occupation.",
    parameters=DAY_PARAMETERS,
    responses={
        200: OpenApiResponse(
            {"type": "object"},
            examples=[
                OpenApiExample(
                    "occupations",
                    value={
                        "data": [
                            {"occupation": "Jedi", "customers": 2, "total": 3, "interactions": {"call": 0, "email": 3}},
                            {"occupation": None, "customers": 1, "total": 1, "interactions": {"call": 1, "email": 0}},
                        ]
                    },
                )
            ],
        ),
        **BAD_PARAMETER,
        **AUTH_ERRORS,
    },
)
class InteractionsByOccupationView(InteractionsByTypeView):
    attribute = "occupation"


# The names declaring the property as a dimension, each with the measure whose rows a count of
# events reads: every measure's rows carry the events, so one measure per name ('' when it declares
# none) counts each event once.
TOPIC_NAMES = """
SELECT d.name, COALESCE(min(m.key), '') AS measure
FROM event_property AS d
LEFT JOIN event_property AS m ON m.workspace_id = d.workspace_id AND m.name = d.name AND m.kind = 'measure'
WHERE d.workspace_id = %(workspace)s AND d.key = %(property)s AND d.kind = 'dimension' {name_filter}
GROUP BY d.name
ORDER BY d.name
"""

# One branch per declaring name, so that each reaches the view's scan of
# event_property_hourly_slot as an index range (workspace, name, dimension, hours); a list of
# names would be a filter over every name's rows of the dimension.
TOPIC_BRANCH = """
    SELECT h.kind, h.value, h.name, h.events
    FROM event_property_hourly AS h
    WHERE h.workspace_id = %(workspace)s AND h.name = %(name_{index})s AND h.dimension = %(dimension)s
      AND h.measure = %(measure_{index})s {days}"""

BY_TOPIC = """
SELECT CASE WHEN kind = 0 THEN value END AS topic, kind = 2 AS other, name,
       sum(events)::bigint AS events,
       sum(sum(events)) OVER (PARTITION BY kind, value)::bigint AS total
FROM ({branches}
) AS h
GROUP BY kind, value, name
ORDER BY kind = 2, kind = 1, total DESC, value, name
"""


def topic_names(*, workspace, dimension: str, name: str | None) -> dict[str, str]:
    """{event name: the measure its events are counted in} of the names that declare `dimension`
    (only `name`, when given)."""
    sql = TOPIC_NAMES.format(name_filter="AND d.name = %(name)s" if name is not None else "")
    rows = fetch(sql, {"workspace": workspace.pk, "property": dimension, "name": name})
    return {row["name"]: row["measure"] for row in rows}


def interactions_by_topic(*, workspace, days: params.DayRange, names: dict[str, str], dimension: str) -> list[dict]:
    """[{topic, other, total, events: {name: n}}]: per value of the declared dimension over the
    days, the events of each name of `names` (every one listed, zeros included), by total
    descending, ties by topic; then the events without the property (topic null) and the values an
    hour counted past the dimension's cap (`other`), where there are any."""
    days_sql = day_conditions(days, "h")
    branches = "\n    UNION ALL".join(TOPIC_BRANCH.format(index=index, days=days_sql) for index in range(len(names)))
    values = {"workspace": workspace.pk, "dimension": dimension, "start": days.start, "end": days.end}
    for index, (name, measure) in enumerate(names.items()):
        values.update({f"name_{index}": name, f"measure_{index}": measure})
    rows = fetch(BY_TOPIC.format(branches=branches), values)
    result: dict = {}
    for row in rows:
        entry = result.setdefault(
            (row["topic"], row["other"]),
            {"topic": row["topic"], "other": row["other"], "total": row["total"], "events": dict.fromkeys(names, 0)},
        )
        entry["events"][row["name"]] = row["events"]
    return list(result.values())


@extend_schema(
    summary="Interactions per topic",
    description="Events per value of `property`, a dimension the event catalogue declares for the interaction "
    "events (every event name that declares it, or `name`), summed over the days from event_property_hourly. "
    "Topics by total descending, then the events without the property (`topic` null) and the values an hour "
    "counted past the dimension's cap (`other` true). `events` has every declaring name, zeros included. A "
    "property no definition declares as a dimension is a 400 naming `property`.",
    parameters=[
        OpenApiParameter(
            "property",
            params.text_schema(100),
            required=True,
            description="A declared dimension (a top-level key of the events' properties), e.g. `product`.",
        ),
        OpenApiParameter(
            "name",
            params.text_schema(100),
            description="Only this event name (which must declare `property`). Default: every name declaring it.",
        ),
        *DAY_PARAMETERS,
    ],
    responses={
        200: OpenApiResponse(
            {"type": "object"},
            examples=[
                OpenApiExample(
                    "topics",
                    value={
                        "property": "product",
                        "data": [
                            {"topic": "Lightsaber", "other": False, "total": 2, "events": {"product.discussed": 2}},
                            {"topic": "Droid", "other": False, "total": 1, "events": {"product.discussed": 1}},
                        ],
                    },
                )
            ],
        ),
        **BAD_PARAMETER,
        **AUTH_ERRORS,
    },
)
class InteractionsByTopicView(generics.GenericAPIView):
    required_scopes = {"GET": Scope.READ}
    pagination_class = None

    def get(self, request, *args, **kwargs):
        workspace = request.user.workspace
        query = request.query_params
        dimension = params.parse_text(query, "property", max_length=100)
        if dimension is None:
            raise params.invalid("property", "Is required: a dimension the event catalogue declares, e.g. product.")
        name = params.parse_text(query, "name", max_length=100)
        days = params.parse_day_range(query, workspace=workspace)
        names = topic_names(workspace=workspace, dimension=dimension, name=name)
        if not names:
            declarer = f"{name!r}" if name is not None else "any event definition"
            raise params.invalid(
                "property",
                f"{dimension!r} is not a declared dimension of {declarer} (the event catalogue, docs/catalogue.md).",
            )
        data = interactions_by_topic(workspace=workspace, days=days, names=names, dimension=dimension)
        return Response({"property": dimension, "data": data})


# Every customer of the workspace with its interactions over the days, per channel, as one JSON
# object; the page is ordered and cut by the database.
BY_CUSTOMER = """
WITH counts AS (
    SELECT i.customer_id, i.channel_id, sum(i.interactions)::bigint AS interactions
    FROM customer_interaction_hourly AS i
    WHERE i.workspace_id = %(workspace)s {days}
    GROUP BY 1, 2
),
totals AS (
    SELECT customer_id, sum(interactions)::bigint AS total, jsonb_object_agg(channel_id, interactions) AS channels
    FROM counts
    GROUP BY 1
)
SELECT c.customer_id AS id, c.name, c.type, c.occupation, COALESCE(t.total, 0) AS total, t.channels,
       ARRAY(SELECT channel_id FROM channel WHERE workspace_id = %(workspace)s ORDER BY channel_id) AS every_channel
FROM customer AS c
LEFT JOIN totals AS t USING (customer_id)
WHERE c.workspace_id = %(workspace)s
ORDER BY {ordering}"""


class CustomerRows(SqlRows):
    """The rows of one page, each with every channel of the workspace (0 where none)."""

    def __getitem__(self, page: slice) -> list[dict]:
        limit = None if page.stop is None else page.stop - (page.start or 0)
        rows = fetch(
            f"{self.sql}\nLIMIT %(limit)s OFFSET %(offset)s", {**self.params, "limit": limit, "offset": page.start or 0}
        )
        for row in rows:
            # Django reads jsonb as text (its JSONField decodes it).
            counted = json.loads(row.pop("channels") or "{}")
            row["interactions"] = {channel: counted.get(channel, 0) for channel in row.pop("every_channel")}
        return rows


def interactions_by_customer(*, workspace, days: params.DayRange, ordering: str) -> CustomerRows:
    """Every customer of the workspace (zeros where none in the days) with its interactions per
    channel and in total, ordered by `ordering` (ties by id)."""
    return CustomerRows(
        sql=BY_CUSTOMER.format(days=day_conditions(days, "i"), ordering=ordering_sql(ordering)),
        count_sql="SELECT count(*) AS count FROM customer WHERE workspace_id = %(workspace)s",
        params={"workspace": workspace.pk, "start": days.start, "end": days.end},
    )


@extend_schema(
    summary="Interactions per customer, every customer",
    description="Every customer of the workspace (zeros where none in the days) with its interactions per channel "
    "(every channel of the workspace, by id) and in total over the days; paginated and ordered by `ordering`.",
    parameters=[
        *DAY_PARAMETERS,
        OpenApiParameter(
            "ordering",
            {"type": "string", "enum": [*CUSTOMER_ORDERING, *(f"-{name}" for name in CUSTOMER_ORDERING)]},
            description="id, name, type, occupation or total, `-` for descending; nulls last, ties by id. Default: id.",
        ),
    ],
    responses={200: CustomerInteractionsRowSerializer(many=True), **BAD_PARAMETER, **PAST_THE_LAST_PAGE},
)
class InteractionsByCustomerView(SummaryView, generics.ListAPIView):
    pagination_class = SummaryPagination
    serializer_class = CustomerInteractionsRowSerializer

    def summarize(self):
        query = self.request.query_params
        days = params.parse_day_range(query, workspace=self.workspace)
        choices = (*CUSTOMER_ORDERING, *(f"-{name}" for name in CUSTOMER_ORDERING))
        ordering = params.parse_choice(query, "ordering", choices, default="id")
        return interactions_by_customer(workspace=self.workspace, days=days, ordering=ordering)


class InteractionsView(CustomerInteractionsView):
    """GET /api/v1/interactions/{customer_id}: the CRM API's path, the same answer as
    /api/v1/customers/{customer_id}/interactions."""
