import re
import uuid

from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import erasure, fast_validation, params, retention, selectors, services
from analytics.catalogue.services import undefined_names
from analytics.models import Event
from analytics.serializers import EventOutputSerializer, EventSerializer
from analytics.summary_serializers import DetailErrorSerializer, ValidationErrorSerializer
from analytics.summary_views import TZ_SCHEMA
from core.database import retry_once
from core.models import Scope
from core.pagination import EventCursorPagination

# The longest value an exact-match filter of the listing takes (analytics.selectors.events_list).
LISTING_TEXT = 128
TOKEN_ERRORS = {
    401: OpenApiResponse(DetailErrorSerializer, description="No token, or an invalid or revoked one."),
    403: OpenApiResponse(DetailErrorSerializer, description="The token lacks the scope of the method."),
}


@extend_schema(exclude=True)
class ApiRootView(APIView):
    """GET /api/v1/: every endpoint with its URL ({customer_id} where a path takes one), and the
    schema and docs; public, like them."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        from analytics.urls import urlpatterns

        prefix = request.build_absolute_uri(reverse("api-root"))
        endpoints = {
            pattern.name: prefix + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
            for pattern in urlpatterns
            if pattern.name != "api-root"
        }
        return Response(
            {
                "endpoints": endpoints,
                "schema": request.build_absolute_uri(reverse("schema")),
                "docs": request.build_absolute_uri(reverse("docs")),
            }
        )


def with_ids(events: list[dict]) -> list[dict]:
    """Gives every event without an id its server-made one now, before the first write, so that a
    retried write (core.database.retry_once) stores the same events and not a second copy."""
    return [event if event.get("id") else {**event, "id": uuid.uuid4().hex} for event in events]


def without_repeats(events: list[dict]) -> tuple[list[dict], list[int]]:
    """The batch with each id's later identical copies left out, and the body position of every
    event kept. The same id with different content is a client error, never a silent choice of
    one of them: a 400 that names both positions."""
    first: dict[str, tuple[int, dict]] = {}
    kept, positions, errors = [], [], {}
    for position, event in enumerate(events):
        event_id = event.get("id")
        if event_id in first:
            earlier, earlier_event = first[event_id]
            if event != earlier_event:
                message = "Has the same id as event {} of this batch, with different content."
                errors.setdefault(earlier, {"id": []})["id"].append(message.format(position))
                errors.setdefault(position, {"id": []})["id"].append(message.format(earlier))
            continue
        if event_id is not None:
            first[event_id] = (position, event)
        kept.append(event)
        positions.append(position)
    if errors:
        raise ValidationError(dict(sorted(errors.items())))
    return kept, positions


def refuse_undefined(workspace, events: list[dict], positions: list[int], *, batch: bool) -> None:
    """In a strict workspace, a 400 naming the body position and name of every product event whose
    name the catalogue does not define; nothing of the batch is written."""
    undefined = undefined_names(workspace=workspace, names={event["name"] for event in events})
    if not undefined:
        return
    message = "{!r} is not defined in the event catalogue, and this workspace is strict."
    errors = {
        position: {"name": [message.format(event["name"])]}
        for position, event in zip(positions, events, strict=True)
        if event["name"] in undefined
    }
    raise ValidationError(errors if batch else next(iter(errors.values())))


@extend_schema_view(
    get=extend_schema(
        summary="Raw events, newest first",
        description="The workspace's raw events ordered by (occurred_at, id) descending, cursor-paginated (pages "
        "stay stable while events arrive; no total count). Every filter is an exact match served by an index. "
        "Needs the `read` scope.",
        parameters=[
            OpenApiParameter("name", params.text_schema(LISTING_TEXT), description="Event name."),
            OpenApiParameter("conversation_id", params.text_schema(LISTING_TEXT)),
            OpenApiParameter("session_id", params.text_schema(LISTING_TEXT)),
            OpenApiParameter("user_id", params.text_schema(LISTING_TEXT)),
            OpenApiParameter("customer", params.text_schema(LISTING_TEXT), description="Customer id."),
            OpenApiParameter("channel", params.text_schema(LISTING_TEXT), description="Channel id."),
            OpenApiParameter("category", params.text_schema(LISTING_TEXT), description="The event's category."),
            OpenApiParameter(
                "from",
                params.INSTANT_SCHEMA,
                description="occurred_at at or after: ISO date (midnight in `tz`) or datetime with a UTC offset, "
                "year 1970-2999.",
            ),
            OpenApiParameter("to", params.INSTANT_SCHEMA, description="occurred_at before; same forms as `from`."),
            OpenApiParameter("tz", TZ_SCHEMA, description="IANA zone of dates. Default: the workspace's."),
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
        "all-or-nothing and idempotent by `id`: an id the workspace already has counts as a duplicate, and so does "
        "an identical copy of an earlier event of the batch; the same id with different content is a 400 naming "
        "both positions. Every summary is updated before the response. Needs the `ingest` scope.",
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
                    "duplicates": serializers.IntegerField(
                        help_text="Events whose id was already stored, or an identical copy earlier in the batch."
                    ),
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
        # Identical copies inside the batch are duplicates as a retry's are: stored once, counted.
        kept, positions = without_repeats(events)
        repeats = len(events) - len(kept)
        refuse_undefined(request.user.workspace, kept, positions, batch=isinstance(body, list))
        events = with_ids(kept)
        try:
            result = retry_once(
                request, lambda: services.events_ingest_shared(workspace=request.user.workspace, events=events)
            )
        except retention.BeforeHorizon as refused:
            # Nothing was written; the positions are those of the events in the body.
            error = {"occurred_at": [refused.message]}
            raise ValidationError(
                {positions[position]: error for position in refused.positions} if isinstance(body, list) else error
            ) from None
        return Response(
            {"accepted": result.accepted, "duplicates": result.duplicates + repeats}, status=status.HTTP_201_CREATED
        )


NOT_FOUND = OpenApiResponse(DetailErrorSerializer, description="No event with this id in the token's workspace.")
EVENT_ID_LENGTH = 64
EVENT_ID = OpenApiParameter(
    "event_id",
    {"type": "string", "minLength": 1, "maxLength": EVENT_ID_LENGTH},
    OpenApiParameter.PATH,
    description="The event's id, as sent (slashes allowed).",
)


@extend_schema_view(
    get=extend_schema(
        summary="One raw event by id",
        parameters=[EVENT_ID],
        responses={200: EventOutputSerializer, 404: NOT_FOUND, **TOKEN_ERRORS},
    ),
    delete=extend_schema(
        summary="Erase one raw event",
        parameters=[EVENT_ID],
        description=(
            "Deletes the event; every summary becomes what it would be had the event never arrived "
            "(docs/lifecycle.md, Erasure). The id stays claimed: a retry of the erased event is "
            "counted as a duplicate and not stored again. Needs a token with the `erase` scope."
        ),
        responses={204: None, 404: NOT_FOUND, **TOKEN_ERRORS},
    ),
)
class EventDetailView(generics.RetrieveDestroyAPIView):
    """GET one raw event of the workspace by its id; DELETE erases it."""

    required_scopes = {"GET": Scope.READ, "DELETE": Scope.ERASE}
    serializer_class = EventOutputSerializer
    lookup_field = "event_id"
    lookup_url_kwarg = "event_id"

    def get_queryset(self):
        return Event.objects.filter(workspace=self.request.user.workspace)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # No stored id is longer or holds a NUL (which PostgreSQL text cannot hold at all).
        event_id = kwargs["event_id"]
        if len(event_id) > EVENT_ID_LENGTH or "\x00" in event_id:
            raise NotFound("No event with this id.")

    def destroy(self, request, *args, **kwargs):
        # Not retried: a retry after a commit whose answer was lost would report a 404.
        if not erasure.erase_events(workspace=request.user.workspace, event_ids=[kwargs["event_id"]]):
            raise NotFound("No event with this id.")
        return Response(status=status.HTTP_204_NO_CONTENT)
