"""POST /api/v1/imports/: a CSV or Excel file through import_events' code path (analytics/importing.py)."""

import json
import tempfile
from datetime import UTC
from pathlib import Path

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiRequest, OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from analytics import importing, params
from analytics.serializers import TimestampField
from analytics.summary_serializers import DetailErrorSerializer, ValidationErrorSerializer
from analytics.summary_views import TZ_SCHEMA
from core.models import Scope

SUFFIXES = (".csv", ".xlsx")
FILE_DISPOSITION = 'form-data; name="file"; filename="interactions.csv"'


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file part of the form: its bytes, named by the filename of its Content-Disposition."""


@extend_schema_field(TZ_SCHEMA)
class TimezoneField(serializers.ChoiceField):
    """An IANA zone name, described like the read endpoints' `tz` (an enum, no list in the description)."""

    def __init__(self, **kwargs):
        super().__init__(choices=sorted(params.known_timezones()), **kwargs)


class ImportSerializer(serializers.Serializer):
    file = UploadField(
        help_text="A .csv (UTF-8, header row first) or .xlsx file (first sheet by default); the part's filename "
        "ends in .csv or .xlsx and says which."
    )
    preset = serializers.ChoiceField(choices=sorted(importing.PRESETS), required=False)
    mapping = serializers.CharField(
        required=False, help_text="A mapping as a JSON object (the keys of a mapping file); may name a `preset`."
    )
    date_format = serializers.CharField(required=False, max_length=64, help_text='strptime codes, e.g. "%d/%m/%Y".')
    timezone = TimezoneField(required=False, help_text="IANA zone of dates without an offset (default UTC).")
    as_of = TimestampField(required=False, help_text="customers preset: when the attributes were true.")
    dry_run = serializers.BooleanField(required=False, default=False)

    def validate_file(self, upload):
        if not upload.name.lower().endswith(SUFFIXES):
            raise ValidationError("Must be a .csv or .xlsx file.")
        if upload.size > settings.TALLY_MAX_IMPORT_BYTES:
            raise ValidationError(f"Is larger than TALLY_MAX_IMPORT_BYTES ({settings.TALLY_MAX_IMPORT_BYTES} bytes).")
        return upload

    def validate_mapping(self, text):
        try:
            mapping = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValidationError(f"Is not JSON: {error.msg}.") from error
        if not isinstance(mapping, dict):
            raise ValidationError("Must be a JSON object.")
        return mapping

    def validate(self, attrs):
        if "preset" not in attrs and "mapping" not in attrs:
            raise ValidationError({"preset": ["Give a preset or a mapping."]})
        return attrs


REPORT = inline_serializer(
    "ImportReport",
    {
        "file": serializers.CharField(),
        "rows_read": serializers.IntegerField(),
        "blank_rows_skipped": serializers.IntegerField(),
        "imported": serializers.IntegerField(help_text="Events stored (with dry_run: that would be)."),
        "duplicates": serializers.IntegerField(help_text="Rows whose event the workspace already has."),
        "refused": serializers.IntegerField(),
        "refusals": inline_serializer(
            "ImportRefusal",
            {
                "row": serializers.IntegerField(),
                "column": serializers.CharField(allow_null=True),
                "reason": serializers.CharField(),
            },
            many=True,
        ),
        "normalizations": serializers.DictField(child=serializers.IntegerField()),
        "warnings": serializers.ListField(
            child=serializers.CharField(), help_text="Customers named by rows that nothing has defined."
        ),
        "dry_run": serializers.BooleanField(),
    },
)


@extend_schema(
    summary="Import a CSV or Excel file",
    description="multipart/form-data with `file` and a `preset` or `mapping`. Rows become events through the same "
    "validation, statement and triggers as POST /api/v1/events/, in batches; event ids are derived from each "
    "row, so uploading a file twice stores nothing twice. The answer is the cleaning report. Needs `ingest`.",
    request={
        "multipart/form-data": OpenApiRequest(
            ImportSerializer,
            encoding={
                "file": {
                    "headers": {
                        "Content-Disposition": {
                            "description": "The filename ends in .csv or .xlsx.",
                            "schema": {"type": "string", "example": FILE_DISPOSITION},
                        }
                    }
                }
            },
        )
    },
    responses={
        201: REPORT,
        200: OpenApiResponse(REPORT, description="dry_run: validated, nothing written."),
        400: OpenApiResponse(ValidationErrorSerializer, description="The form or the mapping is wrong."),
        401: OpenApiResponse(DetailErrorSerializer),
        403: OpenApiResponse(DetailErrorSerializer),
    },
)
class ImportView(generics.CreateAPIView):
    required_scopes = {"POST": Scope.INGEST}
    parser_classes = [MultiPartParser]
    serializer_class = ImportSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data["file"]
        as_of = data.get("as_of")
        try:
            mapping = importing.Mapping.load_dict(
                preset=data.get("preset"),
                data=data.get("mapping"),
                as_of=as_of.astimezone(UTC) if as_of else None,
                date_format=data.get("date_format"),
                timezone=data.get("timezone"),
            )
        except importing.MappingError as error:
            raise ValidationError({"mapping": [str(error)]}) from error
        suffix = Path(upload.name).suffix.lower()
        with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
            for chunk in upload.chunks():
                copy.write(chunk)
            copy.flush()
            path = Path(copy.name)
            try:
                report = importing.import_file(
                    path, workspace=request.user.workspace, mapping=mapping, dry_run=data["dry_run"]
                )
            except importing.MappingError as error:
                raise ValidationError({"mapping": [str(error).replace(path.name, upload.name)]}) from error
            except importing.UnreadableFile as error:
                raise ValidationError({"file": [str(error).replace(path.name, upload.name)]}) from error
        report.file = upload.name
        body = {**report.as_dict(), "dry_run": data["dry_run"]}
        return Response(body, status=status.HTTP_200_OK if data["dry_run"] else status.HTTP_201_CREATED)
