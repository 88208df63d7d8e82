"""The catalogue endpoints: /api/v1/catalogue/events/ (list, create), /api/v1/catalogue/events/{name}
(read, replace, change, delete) and /api/v1/catalogue/settings. Reading needs the `read` scope,
changing the `catalogue` scope."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from analytics import params
from analytics.catalogue import selectors, services
from analytics.catalogue.serializers import (
    CatalogueEntrySerializer,
    CatalogueSettingsSerializer,
    DefinitionSerializer,
    DefinitionUpdateSerializer,
)
from analytics.summary_serializers import DetailErrorSerializer, ValidationErrorSerializer
from core.models import Scope
from core.pagination import SummaryPagination

NAME_LENGTH = 100
READ_AND_WRITE = {"GET": Scope.READ, "POST": Scope.CATALOGUE, "PUT": Scope.CATALOGUE, "PATCH": Scope.CATALOGUE}
TOKEN_ERRORS = {
    401: OpenApiResponse(DetailErrorSerializer, description="No token, or an invalid or revoked one."),
    403: OpenApiResponse(
        DetailErrorSerializer, description="The token lacks the scope of the method (`read`, or `catalogue` to change)."
    ),
}
INVALID = {400: OpenApiResponse(ValidationErrorSerializer, description="`errors[].field` names what is wrong.")}
NAME = OpenApiParameter(
    "name",
    {"type": "string", "minLength": 1, "maxLength": NAME_LENGTH},
    OpenApiParameter.PATH,
    description="The event name, URL-encoded (`cta%20click`).",
)
UNKNOWN = OpenApiResponse(DetailErrorSerializer, description="The workspace neither defines nor has seen this name.")
UNDEFINED = OpenApiResponse(DetailErrorSerializer, description="The workspace does not define this name.")


@extend_schema_view(
    get=extend_schema(
        summary="Every defined or observed event name, with its figures",
        description="The workspace's definitions and, with `defined: false`, every name its events carry that no "
        "definition has, ordered by name, with the figures the triggers keep (all time and the last 7 days). "
        "Needs the `read` scope.",
        parameters=[
            OpenApiParameter(
                "search",
                params.text_schema(NAME_LENGTH),
                description="Case-insensitive substring of the name, description or category.",
            ),
            OpenApiParameter("defined", {"type": "boolean"}, description="Only defined (true) or undefined names."),
        ],
        responses={
            200: CatalogueEntrySerializer(many=True),
            **INVALID,
            404: OpenApiResponse(DetailErrorSerializer, description="`page` is past the last page."),
            **TOKEN_ERRORS,
        },
    ),
    post=extend_schema(
        summary="Define an event name",
        description="A name is defined once per workspace: a second definition of it is a 400 naming `name`. "
        "Declared properties are backfilled from the raw events held, in the same transaction. Needs the "
        "`catalogue` scope.",
        request=DefinitionSerializer,
        responses={201: CatalogueEntrySerializer, **INVALID, **TOKEN_ERRORS},
    ),
)
class CatalogueEventsView(generics.ListCreateAPIView):
    required_scopes = READ_AND_WRITE
    pagination_class = SummaryPagination

    def get_serializer_class(self):
        return DefinitionSerializer if self.request.method == "POST" else CatalogueEntrySerializer

    def get_queryset(self):
        query = self.request.query_params
        defined = params.parse_choice(query, "defined", ("true", "false"))
        return selectors.catalogue_entries(
            workspace=self.request.user.workspace,
            search=params.parse_text(query, "search", max_length=NAME_LENGTH),
            defined=None if defined is None else defined == "true",
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        workspace = request.user.workspace
        try:
            services.definition_create(workspace=workspace, **serializer.validated_data)
        except services.DuplicateName:
            raise ValidationError({"name": ["This name is defined already in the workspace."]}) from None
        entry = selectors.catalogue_entry(workspace=workspace, name=serializer.validated_data["name"])
        return Response(CatalogueEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="One event name with its figures",
        description="Defined or only observed (`defined: false`). Needs the `read` scope.",
        parameters=[NAME],
        responses={200: CatalogueEntrySerializer, 404: UNKNOWN, **TOKEN_ERRORS},
    ),
    put=extend_schema(
        summary="Replace a definition's description, category and properties",
        description="Fields left out become empty (no properties declared). `name`, if sent, must be the URL's. "
        "Properties declared anew are backfilled from the raw events held, in the same transaction. Needs the "
        "`catalogue` scope.",
        parameters=[NAME],
        request=DefinitionUpdateSerializer,
        responses={200: CatalogueEntrySerializer, **INVALID, 404: UNDEFINED, **TOKEN_ERRORS},
    ),
    patch=extend_schema(
        summary="Change a definition's description, category or properties",
        description="Only the fields sent change; `properties`, when sent, replaces the declared list. Needs the "
        "`catalogue` scope.",
        parameters=[NAME],
        request=DefinitionUpdateSerializer,
        responses={200: CatalogueEntrySerializer, **INVALID, 404: UNDEFINED, **TOKEN_ERRORS},
    ),
    delete=extend_schema(
        summary="Delete a definition",
        description="The name's events and figures stay: it is listed as observed-but-undefined, and a strict "
        "workspace refuses its events from now on. Needs the `catalogue` scope.",
        parameters=[NAME],
        responses={204: None, 404: UNDEFINED, **TOKEN_ERRORS},
    ),
)
class CatalogueEventView(generics.GenericAPIView):
    required_scopes = {**READ_AND_WRITE, "DELETE": Scope.CATALOGUE}
    serializer_class = CatalogueEntrySerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # No name is longer or holds a NUL (which PostgreSQL text cannot hold at all).
        name = kwargs["name"]
        if len(name) > NAME_LENGTH or "\x00" in name:
            raise NotFound("No event of this name.")

    @property
    def workspace(self):
        return self.request.user.workspace

    def get(self, request, name):
        entry = selectors.catalogue_entry(workspace=self.workspace, name=name)
        if entry is None:
            raise NotFound("The workspace neither defines nor has seen this name.")
        return Response(CatalogueEntrySerializer(entry).data)

    def put(self, request, name):
        return self.update(request, name, partial=False)

    def patch(self, request, name):
        return self.update(request, name, partial=True)

    def update(self, request, name, *, partial: bool):
        serializer = DefinitionUpdateSerializer(data=request.data, partial=partial, context={"name": name})
        serializer.is_valid(raise_exception=True)
        changes = {key: value for key, value in serializer.validated_data.items() if key in ("description", "category")}
        # PUT replaces the declared properties (none when left out); PATCH only when sent.
        properties = serializer.validated_data.get("properties", None if partial else {})
        if not services.definition_update(workspace=self.workspace, name=name, changes=changes, properties=properties):
            raise NotFound("The workspace does not define this name.")
        return Response(CatalogueEntrySerializer(selectors.catalogue_entry(workspace=self.workspace, name=name)).data)

    def delete(self, request, name):
        if not services.definition_delete(workspace=self.workspace, name=name):
            raise NotFound("The workspace does not define this name.")
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(
        summary="The catalogue's settings",
        description="Needs the `read` scope.",
        responses={200: CatalogueSettingsSerializer, **TOKEN_ERRORS},
    ),
    patch=extend_schema(
        summary="Change the catalogue's settings",
        description="`strict: true` refuses, whole, any batch holding a product event whose name the catalogue "
        "does not define (a 400 naming each such event's index and name); the conversation.* events are built in. "
        "Reaches every server process within TALLY_TOKEN_CACHE_SECONDS. Needs the `catalogue` scope.",
        request=CatalogueSettingsSerializer,
        responses={200: CatalogueSettingsSerializer, **INVALID, **TOKEN_ERRORS},
    ),
)
class CatalogueSettingsView(generics.GenericAPIView):
    required_scopes = {"GET": Scope.READ, "PATCH": Scope.CATALOGUE}
    serializer_class = CatalogueSettingsSerializer

    def get(self, request):
        return Response({"strict": request.user.workspace.strict_event_names})

    def patch(self, request):
        serializer = CatalogueSettingsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        workspace = request.user.workspace
        if "strict" in serializer.validated_data:
            services.strict_set(workspace=workspace, strict=serializer.validated_data["strict"])
        return Response({"strict": workspace.strict_event_names})
