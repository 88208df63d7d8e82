"""Sessions: GET /api/v1/sessions/ (the list, latest start first) and /api/v1/sessions/{id} (one
session with its events). The figures come from the session table the triggers keep
(sql/triggers/event__merge_sessions.sql); only the detail's event list reads raw events."""

from urllib.parse import urlencode

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound

from analytics import params, selectors
from analytics.models import Session
from analytics.serializers import SessionDetailSerializer, SessionSerializer
from analytics.summary_serializers import DetailErrorSerializer, ValidationErrorSerializer
from analytics.summary_views import AUTH_ERRORS, TZ_SCHEMA
from core.models import Scope
from core.pagination import SessionCursorPagination

SESSION_EVENTS = 1000
"""At most this many events in a session's detail; the rest are on its events_url."""
SESSION_ID_LENGTH = 128
SESSION_NOT_FOUND = "No session with this id."


@extend_schema(
    summary="Sessions, latest start first",
    description="Every session_id the workspace's events carry, with its first and last event time, its events, "
    "duration (last - first) and user (of its first event that carries a user_id), over all its events, retired ones "
    "included; ordered by first_event_at descending (ties by id), cursor-paginated. `from`/`to` keep the sessions "
    "that started in the range, `user_id` those of one user.",
    parameters=[
        OpenApiParameter(
            "from",
            params.INSTANT_SCHEMA,
            description="Started at or after: ISO date (midnight in `tz`) or datetime with a UTC offset, "
            "year 1970-2999.",
        ),
        OpenApiParameter("to", params.INSTANT_SCHEMA, description="Started before; same forms as `from`."),
        OpenApiParameter("tz", TZ_SCHEMA, description="IANA zone of dates. Default: the workspace's."),
        OpenApiParameter(
            "user_id", params.text_schema(128), description="Only the sessions of this user (the session's user_id)."
        ),
    ],
    responses={
        200: SessionSerializer(many=True),
        400: OpenApiResponse(ValidationErrorSerializer, description="A parameter is invalid; `field` names it."),
        **AUTH_ERRORS,
    },
)
class SessionsView(generics.ListAPIView):
    required_scopes = {"GET": Scope.READ}
    serializer_class = SessionSerializer
    pagination_class = SessionCursorPagination

    def get_queryset(self):
        return selectors.sessions_list(workspace=self.request.user.workspace, params=self.request.query_params)


@extend_schema(
    summary="One session with its events",
    description=f"The session's figures (as in the list) and its raw events still held, oldest first, at most "
    f"{SESSION_EVENTS}; `events_url` lists them all. Events retention retired count in `events` but are not listed.",
    parameters=[
        OpenApiParameter(
            "session_id",
            {"type": "string", "minLength": 1, "maxLength": SESSION_ID_LENGTH},
            OpenApiParameter.PATH,
            description="The session id, as the events carry it (slashes allowed).",
        )
    ],
    responses={
        200: SessionDetailSerializer,
        404: OpenApiResponse(DetailErrorSerializer, description="No session with this id in the token's workspace."),
        **AUTH_ERRORS,
    },
)
class SessionDetailView(generics.RetrieveAPIView):
    required_scopes = {"GET": Scope.READ}
    serializer_class = SessionDetailSerializer

    def get_object(self):
        session_id = self.kwargs["session_id"]
        # No stored id is longer or holds a NUL (which PostgreSQL text cannot hold at all).
        if len(session_id) > SESSION_ID_LENGTH or "\x00" in session_id:
            raise NotFound(SESSION_NOT_FOUND)
        workspace = self.request.user.workspace
        session = Session.objects.filter(workspace=workspace, session_id=session_id).first()
        if session is None:
            raise NotFound(SESSION_NOT_FOUND)
        session.retained_events = selectors.session_events(workspace=workspace, session_id=session_id)[:SESSION_EVENTS]
        session.events_url = self.request.build_absolute_uri(
            f"{reverse('events')}?{urlencode({'session_id': session_id})}"
        )
        return session
