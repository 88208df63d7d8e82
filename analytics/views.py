from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from analytics import selectors, services
from analytics.serializers import EventOutputSerializer, EventSerializer
from core.models import Scope
from core.pagination import EventCursorPagination


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
        serializer = self.get_serializer(data=body, many=isinstance(body, list))
        serializer.is_valid(raise_exception=True)
        events = serializer.validated_data if isinstance(body, list) else [serializer.validated_data]
        result = services.events_ingest(workspace=request.user.workspace, events=events)
        return Response({"accepted": result.accepted, "duplicates": result.duplicates}, status=status.HTTP_201_CREATED)
