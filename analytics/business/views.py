"""/api/v1/settings/business-hours and /api/v1/settings/sla: the workspace's business schedule and
SLA policy versions (GET, `read` scope) and a new version (POST, `settings` scope). Versions are
append-only: there is no PUT or DELETE."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from analytics.business import services
from analytics.business.serializers import (
    BusinessHoursSerializer,
    BusinessScheduleInputSerializer,
    BusinessScheduleSerializer,
    SlaPolicyInputSerializer,
    SlaPolicySerializer,
    SlaSerializer,
)
from analytics.summary_serializers import DetailErrorSerializer, ValidationErrorSerializer
from core.models import Scope

TOKEN_ERRORS = {
    401: OpenApiResponse(DetailErrorSerializer, description="No token, or an invalid or revoked one."),
    403: OpenApiResponse(
        DetailErrorSerializer, description="The token lacks the scope of the method (`read`, or `settings` to change)."
    ),
}


@extend_schema_view(
    get=extend_schema(
        summary="The workspace's business hours",
        description="The version in effect now and every version. A conversation is measured in business time with "
        "the version in effect at its created_at (without one: around the clock, so business time equals calendar "
        "time). Needs the `read` scope.",
        responses={200: BusinessHoursSerializer, **TOKEN_ERRORS},
    ),
    post=extend_schema(
        summary="Add a version of the business hours",
        description="Versions are append-only. The new one applies to conversations created from its "
        "effective_from on, which is by default, and at the earliest, now + TALLY_MAX_FUTURE_SECONDS (300 s: the "
        "furthest ahead an event may be dated), so no figure already counted changes. Needs the `settings` scope.",
        request=BusinessScheduleInputSerializer,
        responses={
            201: BusinessScheduleSerializer,
            400: OpenApiResponse(ValidationErrorSerializer, description="`errors[].field` names what is wrong."),
            **TOKEN_ERRORS,
        },
    ),
)
class BusinessHoursView(generics.GenericAPIView):
    required_scopes = {"GET": Scope.READ, "POST": Scope.SETTINGS}
    serializer_class = BusinessScheduleInputSerializer
    pagination_class = None

    def get(self, request):
        workspace = request.user.workspace
        body = {
            "current": services.schedule_in_effect(workspace),
            "versions": services.schedule_versions(workspace),
        }
        return Response(BusinessHoursSerializer(body).data)

    def post(self, request):
        serializer = BusinessScheduleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        workspace = request.user.workspace
        try:
            schedule = services.schedule_add(
                workspace=workspace,
                time_zone=data.get("time_zone", workspace.timezone),
                intervals=data["intervals"],
                holidays=data.get("holidays", []),
                effective_from=data.get("effective_from"),
            )
        except services.ScheduleError as error:
            raise ValidationError({error.field: [error.message]}) from None
        return Response(BusinessScheduleSerializer(schedule).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="The workspace's SLA targets",
        description="The version in effect now and every version. A conversation is held to the version in effect "
        "at its created_at. Needs the `read` scope.",
        responses={200: SlaSerializer, **TOKEN_ERRORS},
    ),
    post=extend_schema(
        summary="Add a version of the SLA targets",
        description="Versions are append-only. The new one applies to conversations created from its effective_from "
        "on, which is by default, and at the earliest, now + TALLY_MAX_FUTURE_SECONDS (300 s), so no figure already "
        "counted changes. Needs the `settings` scope.",
        request=SlaPolicyInputSerializer,
        responses={
            201: SlaPolicySerializer,
            400: OpenApiResponse(ValidationErrorSerializer, description="`errors[].field` names what is wrong."),
            **TOKEN_ERRORS,
        },
    ),
)
class SlaView(generics.GenericAPIView):
    required_scopes = {"GET": Scope.READ, "POST": Scope.SETTINGS}
    serializer_class = SlaPolicyInputSerializer
    pagination_class = None

    def get(self, request):
        workspace = request.user.workspace
        body = {"current": services.policy_in_effect(workspace), "versions": services.policy_versions(workspace)}
        return Response(SlaSerializer(body).data)

    def post(self, request):
        serializer = SlaPolicyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def target(name):
            value = data.get(name)
            return None if value is None else (value["seconds"], value["business_hours"])

        try:
            policy = services.policy_add(
                workspace=request.user.workspace,
                first_response=target("first_response"),
                resolution=target("resolution"),
                effective_from=data.get("effective_from"),
            )
        except services.ScheduleError as error:
            raise ValidationError({error.field: [error.message]}) from None
        return Response(SlaPolicySerializer(policy).data, status=status.HTTP_201_CREATED)
