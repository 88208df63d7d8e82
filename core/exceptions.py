"""API errors in one shape: {"detail": "...", "errors": [{"index", "field", "message"}]}.

`errors` appears for validation errors and names every wrong field; `index` is the position in
a batch body (null for a single object or a query parameter)."""

from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from core.parsers import RequestTooLarge


def flatten_errors(detail, *, field: str | None = None, index: int | None = None):
    """DRF's nested error detail as flat records; integer keys are batch positions
    (REST_FRAMEWORK["LIST_SERIALIZER_ERRORS_AS_DICT"])."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):
                yield from flatten_errors(value, field=field, index=key)
                continue
            name = None if key == "non_field_errors" else key
            if field and name:
                name = f"{field}.{name}"
            yield from flatten_errors(value, field=name or field, index=index)
    elif isinstance(detail, list):
        for item in detail:
            yield from flatten_errors(item, field=field, index=index)
    else:
        yield {"index": index, "field": field, "message": str(detail)}


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(str(exc))
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": "Invalid input.", "errors": list(flatten_errors(exc.detail))}
    return response
