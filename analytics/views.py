import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from analytics import fast_validation, retention, selectors, services
from analytics.serializers import EventOutputSerializer, EventSerializer
from analytics.summary_serializers import DetailErrorSerializer, ValidationErrorSerializer
from core.database import retry_once
from core.models import Scope
from core.pagination import EventCursorPagination

TOKEN_ERRORS = {
    401: OpenApiResponse(DetailErrorSerializer, description="No token, or an invalid or revoked one."),
    403: OpenApiResponse(DetailErrorSerializer, description="The token lacks the scope of the method."),
}


def with_ids(events: list[dict]) -> list[dict]:
    """Gives every event without an id its server-made one now, before the first write, so that a
    retried write (core.database.retry_once) stores the same events and not a second copy."""
    return [event if event.get("id") else {**event, "id": uuid.uuid4().hex} for event in events]


@extend_schema_view(
    get=extend_schema(
        summary="Raw events, newest first",
        description="The workspace's raw events ordered by (occurred_at, id) descending, cursor-paginated (pages "
        "stay stable while events arrive; no total count). Every filter is an exact match served by an index. "
        "Needs the `read` scope.",
        parameters=[
            OpenApiParameter("name", OpenApiTypes.STR, description="Event name."),
            OpenApiParameter("conversation_id", OpenApiTypes.STR),
            OpenApiParameter("session_id", OpenApiTypes.STR),
            OpenApiParameter("user_id", OpenApiTypes.STR),
            OpenApiParameter("customer", OpenApiTypes.STR, description="Customer id."),
            OpenApiParameter("channel", OpenApiTypes.STR, description="Channel id."),
            OpenApiParameter(
                "from",
                OpenApiTypes.STR,
                description="occurred_at at or after: ISO date (midnight in `tz`) or datetime with a UTC offset.",
            ),
            OpenApiParameter("to", OpenApiTypes.STR, description="occurred_at before; same forms as `from`."),
            OpenApiParameter("tz", OpenApiTypes.STR, description="IANA zone of dates. Default: the workspace's."),
        ],
        responses={
            200: EventOutputSerializer(many=True),
            400: OpenApiResponse(ValidationErrorSerializer, description="A filter is invalid; `field` names it."),
            **TOKEN_ERRORS,
        },
    ),
    post=extend_schema(
        summary="Ingest one event or a batch",
        description="One event object or a JSON list of up to TALLY_MAX_BATCH (default 1000). The batch is "
        "all-or-nothing and idempotent by `id`: an id the workspace already has counts as a duplicate. Every "
        "summary is updated before the response. Needs the `ingest` scope.",
        request=PolymorphicProxySerializer(
            component_name="EventOrBatch",
            serializers=[EventSerializer, EventSerializer(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            201: inline_serializer(
                "IngestResult",
                {
                    "accepted": serializers.IntegerField(help_text="Events stored by this request."),
                    "duplicates": serializers.IntegerField(help_text="Events whose id was already stored."),
                },
            ),
            400: OpenApiResponse(
                ValidationErrorSerializer,
                description="Invalid events; `index` is the position in the batch, `field` the wrong field.",
            ),
            413: OpenApiResponse(DetailErrorSerializer, description="The body exceeds TALLY_MAX_BODY_BYTES."),
            **TOKEN_ERRORS,
        },
    ),
)
class EventsView(generics.ListCreateAPIView):
    """POST one event or a list of up to TALLY_MAX_BATCH; GET the workspace's raw events, newest first."""

    required_scopes = {"GET": Scope.READ, "POST": Scope.INGEST}
    pagination_class = EventCursorPagination

    def get_queryset(self):
        return selectors.events_list(workspace=self.request.user.workspace, params=self.request.query_params)

    def get_serializer_class(self):
        return EventSerializer if self.request.method == "POST" else EventOutputSerializer

    def create(self, request, *args, **kwargs):
        body = request.data
        if not isinstance(body, dict | list):
            raise ValidationError("The body must be an event object or a JSON list of events.")
        # A well-formed single event takes the fast path as a batch does (EventBatchSerializer);
        # anything else, and every error record, comes from EventSerializer.
        fast = fast_validation.event(body) if isinstance(body, dict) else None
        if fast is not None:
            events = [fast]
        else:
            serializer = self.get_serializer(data=body, many=isinstance(body, list))
            serializer.is_valid(raise_exception=True)
            events = serializer.validated_data if isinstance(body, list) else [serializer.validated_data]
        events = with_ids(events)
        try:
            result = retry_once(
                request, lambda: services.events_ingest_shared(workspace=request.user.workspace, events=events)
            )
        except retention.BeforeHorizon as refused:
            # Nothing was written; the positions are those of the events in the body.
            error = {"occurred_at": [refused.message]}
            raise ValidationError(
                {position: error for position in refused.positions} if isinstance(body, list) else error
            ) from None
        return Response({"accepted": result.accepted, "duplicates": result.duplicates}, status=status.HTTP_201_CREATED)
