"""The dashboard's read endpoints. Each is a generic view whose hooks parse the query (analytics.params)
and call a selector of analytics.summaries, which reads summary tables only."""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import generics, renderers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from analytics import params, summaries
from analytics.catalogue import stats
from analytics.figures_csv import FiguresCsvRenderer
from analytics.summary_serializers import (
    AgentSummarySerializer,
    ChannelSummarySerializer,
    CustomerInteractionsSerializer,
    DetailErrorSerializer,
    EventFrequencySerializer,
    LabelSummarySerializer,
    NumberField,
    OverviewSerializer,
    TeamSummarySerializer,
    TimeseriesPointSerializer,
    UniquesPointSerializer,
    ValidationErrorSerializer,
)
from core.models import Scope
from core.pagination import SummaryPagination

TIME_GROUPS = params.GRANULARITIES
STAT_GROUPS = (*TIME_GROUPS, "year", "channel")
# group_by and sort_by also take properties.<key>, a declared dimension of `name` (analytics.catalogue.stats).
PROPERTY_GROUP_SCHEMA = {"type": "string", "pattern": r"^properties\.[^\x00]{1,100}$"}
NUMBER = NumberField()
CUSTOMER_NOT_FOUND = "Customer not found."


# OpenAPI descriptions shared by the views.

AUTH_ERRORS = {
    401: OpenApiResponse(DetailErrorSerializer, description="No token, or an invalid or revoked one."),
    403: OpenApiResponse(DetailErrorSerializer, description="The token lacks the `read` scope."),
}
BAD_PARAMETER = {
    400: OpenApiResponse(ValidationErrorSerializer, description="A parameter is invalid; `errors[].field` names it."),
    **AUTH_ERRORS,
}
# Every parameter is optional unless marked required; an empty value is a 400, never "absent".
TZ_SCHEMA = {"type": "string", "enum": sorted(params.known_timezones())}
PAST_THE_LAST_PAGE = {404: OpenApiResponse(DetailErrorSerializer, description="`page` is past the last page.")}
RANGE_PARAMETERS = [
    OpenApiParameter(
        "from",
        params.INSTANT_SCHEMA,
        description="Start, inclusive: ISO date (midnight in `tz`) or datetime with a UTC offset "
        "(encode `+` as `%2B`, or use Z), year 1970-2999. Must be before `to`. "
        "Default: 7 days before `to`, or the start of the last 7 days.",
    ),
    OpenApiParameter(
        "to",
        params.INSTANT_SCHEMA,
        description="End, exclusive, same forms as `from`, later than `from`. "
        "Default: 7 days after `from`, or the end of today in `tz`.",
    ),
    OpenApiParameter("tz", TZ_SCHEMA, description="IANA zone of dates and buckets. Default: the workspace's."),
    OpenApiParameter("channel", params.text_schema(64), description="Only this channel (its external id)."),
    OpenApiParameter(
        "agent", params.text_schema(64), description="Only this agent (its external id). Live counters ignore it."
    ),
]
BUSINESS_HOURS = OpenApiParameter(
    "business_hours",
    {"type": "string", "enum": ["true", "false"]},
    description="true: first response and resolution in business time, the seconds inside the workspace's "
    "business hours (GET /api/v1/settings/business-hours) in effect at each conversation's creation. Default: "
    "false (calendar time).",
)
GRANULARITY = OpenApiParameter(
    "granularity",
    {"type": "string", "enum": list(TIME_GROUPS)},
    description=f"Default: day. The range may hold at most {params.MAX_BUCKETS} buckets.",
)
DAY_PARAMETERS = [
    OpenApiParameter(
        "start_date",
        params.DATE_SCHEMA,
        description="First day, inclusive (a day of `tz`), not after end_date. Default: open.",
    ),
    OpenApiParameter("end_date", params.DATE_SCHEMA, description="Last day, inclusive (the whole day). Default: open."),
    OpenApiParameter("tz", TZ_SCHEMA, description="IANA zone of the days. Default: the workspace's."),
]


def ordering_parameter(choices) -> OpenApiParameter:
    return OpenApiParameter(
        "ordering",
        {"type": "string", "enum": [*choices, *(f"-{name}" for name in choices)]},
        description="Any figure, `-` for descending; nulls last, ties by id. Default: id.",
    )


class SummaryView(generics.GenericAPIView):
    """Read scope; the parsed zone goes to the serializer so instants carry its offset.

    Subclasses compute their answer in summarize(); get_queryset() and get_object() hand it out,
    computed once per request (the browsable API asks for list data a second time).
    """

    required_scopes = {"GET": Scope.READ}
    tz = None
    _summary = None

    @property
    def workspace(self):
        return self.request.user.workspace

    def summarize(self):
        raise NotImplementedError

    def get_queryset(self):
        if self._summary is None:
            self._summary = self.summarize()
        return self._summary

    def get_object(self):
        return self.get_queryset()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "tz": self.tz}


@extend_schema(
    summary="Support overview",
    description="Conversations created, assigned, agent and customer replies, resolutions, reopens, first "
    "response and resolution time (count, average, p50, p90 from the duration histogram) for the range, the same "
    "for the previous period of equal length, and the live counters (by channel when `channel` is given; the "
    "`agent` filter does not apply to them). conversations_created has no agent: with `agent` it is 0.",
    parameters=[*RANGE_PARAMETERS, BUSINESS_HOURS],
    responses={200: OverviewSerializer, **BAD_PARAMETER},
)
class OverviewView(SummaryView, generics.RetrieveAPIView):
    serializer_class = OverviewSerializer

    def summarize(self):
        window = params.parse_window(self.request.query_params, workspace=self.workspace, business_hours=True)
        self.tz = window.tz
        return summaries.overview(workspace=self.workspace, window=window)


@extend_schema(
    summary="Support or event time series",
    description="One point per bucket of the range, every bucket present: counts are 0 in an empty bucket, "
    "averages null. Day, week and month buckets are calendar units of `tz` built from UTC hours.",
    parameters=[
        OpenApiParameter("metric", {"type": "string", "enum": list(summaries.TIMESERIES_METRICS)}, required=True),
        OpenApiParameter("name", params.text_schema(100), description="With metric=events: only this event name."),
        GRANULARITY,
        *RANGE_PARAMETERS,
        BUSINESS_HOURS,
    ],
    responses={200: TimeseriesPointSerializer(many=True), **BAD_PARAMETER},
)
class TimeseriesView(SummaryView, generics.ListAPIView):
    serializer_class = TimeseriesPointSerializer
    pagination_class = None

    def summarize(self):
        query = self.request.query_params
        metric = params.parse_choice(query, "metric", tuple(summaries.TIMESERIES_METRICS))
        if metric is None:
            raise params.invalid("metric", f"Is required: one of {', '.join(summaries.TIMESERIES_METRICS)}.")
        granularity = params.parse_granularity(query)
        window = params.parse_window(query, workspace=self.workspace, granularity=granularity, business_hours=True)
        self.tz = window.tz
        name = params.parse_text(query, "name", max_length=100)
        return summaries.timeseries(workspace=self.workspace, window=window, metric=metric, name=name)


@extend_schema(
    summary="Unique users or sessions per day, week or month",
    description="The distinct `user_id`s (by=user) or `session_id`s (by=session) of the events of each bucket, of "
    "one event name or of every name; a user active on two days of a week counts once in that week. Exact: kept "
    "per UTC hour as sets by the ingest trigger, counted distinct at read time (no sketch). Every bucket of the "
    "range is present (0 where none); day, week and month are calendar units of `tz` built from UTC hours, and a "
    "bucket cut by the range counts its hours inside it.",
    parameters=[
        OpenApiParameter("by", {"type": "string", "enum": list(summaries.UNIQUE_KINDS)}, description="Default: user."),
        OpenApiParameter(
            "granularity",
            {"type": "string", "enum": list(summaries.UNIQUE_GRANULARITIES)},
            description=f"Default: day. The range may hold at most {params.MAX_BUCKETS} buckets.",
        ),
        OpenApiParameter("name", params.text_schema(100), description="Only events of this name. Default: every name."),
        *[parameter for parameter in RANGE_PARAMETERS if parameter.name not in ("channel", "agent")],
    ],
    responses={200: UniquesPointSerializer(many=True), **BAD_PARAMETER},
)
class EventUniquesView(SummaryView, generics.ListAPIView):
    serializer_class = UniquesPointSerializer
    pagination_class = None

    def summarize(self):
        query = self.request.query_params
        kind = params.parse_choice(query, "by", summaries.UNIQUE_KINDS, default="user")
        granularity = params.parse_choice(query, "granularity", summaries.UNIQUE_GRANULARITIES, default="day")
        name = params.parse_text(query, "name", max_length=100)
        window = params.parse_window(query, workspace=self.workspace, granularity=granularity)
        for field in ("channel", "agent"):
            if getattr(window, field) is not None:
                raise ValidationError({field: ["Unique counts are not kept per channel or agent: leave it out."]})
        self.tz = window.tz
        return summaries.unique_counts(workspace=self.workspace, window=window, kind=kind, name=name)


class DimensionSummaryView(SummaryView, generics.ListAPIView):
    """JSON pages, or with `?format=csv` every row in one CSV (analytics.figures_csv)."""

    pagination_class = SummaryPagination
    renderer_classes = [*generics.ListAPIView.renderer_classes, FiguresCsvRenderer]
    dimension: str
    orderings: tuple[str, ...]

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format != FiguresCsvRenderer.format:
            return super().list(request, *args, **kwargs)
        return Response(self.get_serializer(self.get_queryset()[:], many=True).data)

    def finalize_response(self, request, response, *args, **kwargs):
        # Only the rows are CSV: an error, or OPTIONS's description, is JSON whatever format was asked for.
        csv = isinstance(getattr(request, "accepted_renderer", None), FiguresCsvRenderer)
        if csv and not isinstance(getattr(response, "data", None), list):
            request.accepted_renderer, request.accepted_media_type = renderers.JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    def summarize(self):
        query = self.request.query_params
        window = params.parse_window(query, workspace=self.workspace, business_hours=True)
        self.tz = window.tz
        choices = (*self.orderings, *(f"-{name}" for name in self.orderings))
        ordering = params.parse_choice(query, "ordering", choices, default="id")
        return summaries.dimension_rows(
            workspace=self.workspace, window=window, dimension=self.dimension, ordering=ordering
        )


@extend_schema(
    summary="Support figures per agent",
    description="Every agent of the workspace (zeros where idle) with the overview's figures for the range. "
    "Counting figures count events by their agent; first response and resolution go to the first responder and "
    "the resolver. Conversations are created without an agent, so conversations_created is 0 here.",
    parameters=[*RANGE_PARAMETERS, BUSINESS_HOURS, ordering_parameter(summaries.AGENT_ORDERING)],
    responses={200: AgentSummarySerializer(many=True), **BAD_PARAMETER, **PAST_THE_LAST_PAGE},
)
class AgentsSummaryView(DimensionSummaryView):
    serializer_class = AgentSummarySerializer
    dimension = "agent"
    orderings = summaries.AGENT_ORDERING


@extend_schema(
    summary="Support figures per channel",
    description="Every channel of the workspace (zeros where idle) with the overview's figures for the range "
    "and its live counters.",
    parameters=[*RANGE_PARAMETERS, BUSINESS_HOURS, ordering_parameter(summaries.CHANNEL_ORDERING)],
    responses={200: ChannelSummarySerializer(many=True), **BAD_PARAMETER, **PAST_THE_LAST_PAGE},
)
class ChannelsSummaryView(DimensionSummaryView):
    serializer_class = ChannelSummarySerializer
    dimension = "channel"
    orderings = summaries.CHANNEL_ORDERING


@extend_schema(
    summary="Support figures per team",
    description="Every team with a figure in the range: the conversations of the team, a conversation "
    "belonging to the team of its latest assignment (`properties.team` of `conversation.assigned`; id null for "
    "none), created, first response and resolution in the hours they fall in, and CSAT by the same team. A "
    "reassignment to another team moves the conversation's figures with it. Teams are not kept per channel or "
    "agent: `channel` and `agent` are refused. `business_hours=true` measures first response and resolution in "
    "business time; `sla` holds the SLA outcomes of the same conversations.",
    parameters=[*RANGE_PARAMETERS[:3], BUSINESS_HOURS, ordering_parameter(summaries.TEAM_ORDERING)],
    responses={200: TeamSummarySerializer(many=True), **BAD_PARAMETER, **PAST_THE_LAST_PAGE},
)
class TeamsSummaryView(DimensionSummaryView):
    serializer_class = TeamSummarySerializer
    orderings = summaries.TEAM_ORDERING
    group = "Team"
    group_rows = staticmethod(summaries.team_rows)

    def summarize(self):
        query = self.request.query_params
        for name in ("channel", "agent"):
            if name in query:
                raise params.invalid(name, f"{self.group} figures are not kept per channel or agent; leave it out.")
        window = params.parse_window(query, workspace=self.workspace, business_hours=True)
        self.tz = window.tz
        choices = (*self.orderings, *(f"-{name}" for name in self.orderings))
        ordering = params.parse_choice(query, "ordering", choices, default="id")
        return self.group_rows(workspace=self.workspace, window=window, ordering=ordering)


@extend_schema(
    summary="Support figures per label",
    description="Every label with a figure in the range: the conversations that have the label now (the latest "
    "`conversation.labeled` / `conversation.unlabeled` of each label decides, by `occurred_at`, then id), "
    "created, first response and resolution in the hours they fall in, and their CSAT. A conversation counts "
    "under each of its labels, and under none when it has none. Labeling or unlabeling moves the conversation's "
    "figures with it. Labels are not kept per channel or agent: `channel` and `agent` are refused. "
    "`business_hours=true` measures first response and resolution in business time; `sla` holds the SLA outcomes "
    "of the same conversations.",
    parameters=[*RANGE_PARAMETERS[:3], BUSINESS_HOURS, ordering_parameter(summaries.LABEL_ORDERING)],
    responses={200: LabelSummarySerializer(many=True), **BAD_PARAMETER, **PAST_THE_LAST_PAGE},
)
class LabelsSummaryView(TeamsSummaryView):
    serializer_class = LabelSummarySerializer
    orderings = summaries.LABEL_ORDERING
    group = "Label"
    group_rows = staticmethod(summaries.label_rows)


@extend_schema(
    summary="A customer's interactions per channel",
    description="Events that name this customer and a channel, counted per channel; every channel of the "
    "workspace is present (0 where none).",
    parameters=DAY_PARAMETERS,
    responses={
        200: CustomerInteractionsSerializer,
        **BAD_PARAMETER,
        404: OpenApiResponse(
            DetailErrorSerializer,
            description="The workspace has no such customer.",
            examples=[OpenApiExample("unknown", value={"detail": CUSTOMER_NOT_FOUND})],
        ),
    },
)
class CustomerInteractionsView(SummaryView, generics.RetrieveAPIView):
    serializer_class = CustomerInteractionsSerializer

    def summarize(self):
        days = params.parse_day_range(self.request.query_params, workspace=self.workspace)
        customer_id = self.kwargs["customer_id"]
        if "\x00" in customer_id or not summaries.customer_exists(workspace=self.workspace, customer_id=customer_id):
            raise NotFound(CUSTOMER_NOT_FOUND)
        rows = summaries.customer_interactions(workspace=self.workspace, customer_id=customer_id, days=days)
        return {
            "data": {"customer_id": customer_id, "interactions": {row["channel"]: row["interactions"] for row in rows}}
        }


@extend_schema(
    summary="Events per day and name",
    description="Every event (product and support) counted per day of `tz` and name; days without events are "
    "absent. Days and names are in ascending order.",
    parameters=DAY_PARAMETERS,
    responses={
        200: OpenApiResponse(
            {
                "type": "object",
                "additionalProperties": {"type": "object", "additionalProperties": {"type": "integer"}},
            },
            examples=[OpenApiExample("trend", value={"2026-03-02": {"signup": 3, "page.view": 10}})],
        ),
        **BAD_PARAMETER,
    },
)
class EventTrendView(SummaryView, generics.RetrieveAPIView):
    def summarize(self):
        days = params.parse_day_range(self.request.query_params, workspace=self.workspace)
        trend = {}
        for row in summaries.event_trend(workspace=self.workspace, days=days):
            trend.setdefault(row["day"].isoformat(), {})[row["name"]] = row["events"]
        return trend

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_object())


@extend_schema(
    summary="Event totals per name",
    description="Without event_name: every name with events in the days, by total descending (ties by name). "
    "With it: that name's total (0 when none).",
    parameters=[OpenApiParameter("event_name", params.text_schema(100)), *DAY_PARAMETERS],
    responses={
        200: OpenApiResponse(
            PolymorphicProxySerializer(
                component_name="EventFrequencyResult",
                serializers=[EventFrequencySerializer(many=True), EventFrequencySerializer],
                resource_type_field_name=None,
                many=False,
            ),
            examples=[
                OpenApiExample("all names", value=[{"event_name": "page.view", "total": 10}]),
                OpenApiExample("one name", value={"event_name": "signup", "total": 3}),
            ],
        ),
        **BAD_PARAMETER,
    },
)
class EventFrequencyView(SummaryView, generics.RetrieveAPIView):
    serializer_class = EventFrequencySerializer

    def summarize(self):
        query = self.request.query_params
        days = params.parse_day_range(query, workspace=self.workspace)
        name = params.parse_text(query, "event_name", max_length=100)
        rows = summaries.event_frequency(workspace=self.workspace, days=days, name=name)
        if name is None:
            return rows
        return {"event_name": name, "total": rows[0]["total"] if rows else 0}

    def retrieve(self, request, *args, **kwargs):
        result = self.get_object()
        return Response(self.get_serializer(result, many=isinstance(result, list)).data)


@extend_schema(
    summary="Aggregates of product event values",
    description="events, count (events that carried a value), sum, avg, min or max of the numeric `value` of "
    "product events (not conversation.*), per time bucket (every bucket present: events, count and sum 0, the others "
    'null) or per channel (null = no channel). Each row is `{"<group_by>": key, "<aggregate>": number}`. With a '
    "`name` whose definition declares properties (docs/catalogue.md): `group_by=properties.<key>` groups by a "
    'declared dimension (key null: events without it; the row with `"other": true`: the values past the hourly '
    "cap; an aggregate other than events needs `measure`), and `measure=<key>` aggregates a declared measure "
    "instead of `value`; neither takes `channel` or `agent`.",
    parameters=[
        OpenApiParameter("name", params.text_schema(100), description="Only this event name."),
        OpenApiParameter("measure", params.text_schema(100), description="A declared measure of `name`."),
        OpenApiParameter(
            "group_by",
            {"anyOf": [{"type": "string", "enum": list(STAT_GROUPS)}, PROPERTY_GROUP_SCHEMA]},
            description=f"Default: day. A time grouping may hold at most {params.MAX_BUCKETS} buckets of the range.",
        ),
        OpenApiParameter(
            "aggregate", {"type": "string", "enum": list(summaries.STAT_AGGREGATES)}, description="Default: count."
        ),
        OpenApiParameter(
            "sort_by",
            {"anyOf": [{"type": "string", "enum": [*STAT_GROUPS, *summaries.STAT_AGGREGATES]}, PROPERTY_GROUP_SCHEMA]},
            description="The group_by value to sort by the group, the aggregate value to sort by the figure; "
            "any other value is a 400. Default: the group_by value.",
        ),
        OpenApiParameter("order", {"type": "string", "enum": ["asc", "desc"]}, description="Default: asc."),
        *RANGE_PARAMETERS,
    ],
    responses={
        200: OpenApiResponse(
            {"type": "object", "additionalProperties": {"nullable": True}},
            examples=[OpenApiExample("sum per day", value={"day": "2026-03-02T00:00:00+00:00", "sum": 42.5})],
        ),
        **BAD_PARAMETER,
    },
)
class EventStatsView(SummaryView, generics.ListAPIView):
    pagination_class = None

    def summarize(self):
        query = self.request.query_params
        group = params.parse_text(query, "group_by", max_length=120) or "day"
        dimension = group.removeprefix(stats.PROPERTY_GROUP) if group.startswith(stats.PROPERTY_GROUP) else None
        self.group_by = group if dimension else params.parse_choice(query, "group_by", STAT_GROUPS, default="day")
        self.aggregate = params.parse_choice(query, "aggregate", tuple(summaries.STAT_AGGREGATES), default="count")
        sort_by = params.parse_choice(query, "sort_by", (self.group_by, self.aggregate), default=self.group_by)
        order = params.parse_choice(query, "order", ("asc", "desc"), default="asc")
        name = params.parse_text(query, "name", max_length=100)
        measure = params.parse_text(query, "measure", max_length=100)
        rows_of = stats.resolved_measure(
            workspace=self.workspace, name=name, dimension=dimension, measure=measure, aggregate=self.aggregate
        )
        granularity = None if self.group_by == "channel" or dimension else self.group_by
        window = params.parse_window(
            query, workspace=self.workspace, granularity=granularity, granularity_param="group_by"
        )
        self.tz = window.tz
        if rows_of is not None:
            return stats.property_stats(
                workspace=self.workspace,
                window=window,
                name=name,
                dimension=dimension,
                measure=rows_of,
                aggregate=self.aggregate,
                by_figure=sort_by == self.aggregate,
                descending=order == "desc",
            )
        return summaries.event_stats(
            workspace=self.workspace,
            window=window,
            name=name,
            group_by=self.group_by,
            aggregate=self.aggregate,
            sort_by=sort_by,
            descending=order == "desc",
        )

    def list(self, request, *args, **kwargs):
        rows = self.get_queryset()
        by_text = self.group_by == "channel" or self.group_by.startswith(stats.PROPERTY_GROUP)
        show_key = str if by_text else lambda key: key.astimezone(self.tz).isoformat()
        return Response(
            [
                {
                    self.group_by: None if row["key"] is None else show_key(row["key"]),
                    self.aggregate: NUMBER.to_representation(row["value"]),
                    **({"other": row["other"]} if "other" in row else {}),
                }
                for row in rows
            ]
        )
