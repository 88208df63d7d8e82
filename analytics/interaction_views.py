"""Interactions (events naming a customer and a channel) per customer type and channel, and the
path of the CRM API that imports replace: GET /api/v1/interactions/{customer_id}."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.response import Response

from analytics import params
from analytics.summaries import day_conditions, fetch
from analytics.summary_views import AUTH_ERRORS, BAD_PARAMETER, DAY_PARAMETERS, CustomerInteractionsView
from core.models import Scope


def interactions_by_type(*, workspace, days: params.DayRange) -> list[dict]:
    """[{type, customers, total, interactions: {channel: n}}]: every customer type (null for
    customers without one) and every channel of the workspace, zeros included. A customer's type is
    its current one (the latest event or import that set it)."""
    sql = f"""
WITH counts AS (
    SELECT c.type, i.channel_id, sum(i.interactions)::bigint AS interactions,
           count(DISTINCT i.customer_id) FILTER (WHERE i.interactions <> 0) AS customers
    FROM customer_interaction_hourly AS i
    JOIN customer AS c ON c.workspace_id = i.workspace_id AND c.customer_id = i.customer_id
    WHERE i.workspace_id = %(workspace)s {day_conditions(days, "i")}
    GROUP BY 1, 2
),
types AS (
    SELECT DISTINCT type FROM customer WHERE workspace_id = %(workspace)s
),
channels AS (
    SELECT channel_id FROM channel WHERE workspace_id = %(workspace)s
),
customers AS (
    SELECT type, count(*) AS customers FROM customer WHERE workspace_id = %(workspace)s GROUP BY 1
)
SELECT t.type, ch.channel_id, COALESCE(n.interactions, 0) AS interactions, k.customers
FROM types AS t
CROSS JOIN channels AS ch
LEFT JOIN counts AS n ON n.type IS NOT DISTINCT FROM t.type AND n.channel_id = ch.channel_id
JOIN customers AS k ON k.type IS NOT DISTINCT FROM t.type
ORDER BY t.type NULLS LAST, ch.channel_id
"""
    rows = fetch(sql, {"workspace": workspace.pk, "start": days.start, "end": days.end})
    result: dict = {}
    for row in rows:
        entry = result.setdefault(row["type"], {"type": row["type"], "customers": row["customers"], "total": 0})
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

    def get(self, request, *args, **kwargs):
        workspace = request.user.workspace
        days = params.parse_day_range(request.query_params, workspace=workspace)
        return Response({"data": interactions_by_type(workspace=workspace, days=days)})


class InteractionsView(CustomerInteractionsView):
    """GET /api/v1/interactions/{customer_id}: the CRM API's path, the same answer as
    /api/v1/customers/{customer_id}/interactions."""
