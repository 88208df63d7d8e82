"""API errors in one shape: {"detail": "...", "errors": [{"index", "field", "message"}]}.

`errors` appears for validation errors and names every wrong field; `index` is the position in
a batch body (null for a single object or a query parameter). Errors that never reach a DRF view
(an unknown URL, a 405 of a Django view, a crash in a middleware) get the same shape from the
handlers in core/urls.py and JsonErrorsMiddleware, so no client ever has to parse an HTML page."""

import json
import sys

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.database import DATABASE_ERRORS, DatabaseUnavailable, log_unavailable, unavailable_response
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
    elif isinstance(exc, DATABASE_ERRORS):
        log_unavailable(exc)
        exc = DatabaseUnavailable()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": "Invalid input.", "errors": list(flatten_errors(exc.detail))}
    elif response is not None and isinstance(exc, exceptions.ParseError):
        # The body as a whole is wrong (not JSON, not UTF-8, NaN, nested too deeply): no field to name.
        response.data = {"detail": str(exc.detail), "errors": [body_error(exc.detail)]}
    return response


def body_error(message) -> dict:
    return {"index": None, "field": None, "message": str(message)}


def error_response(status: int, detail) -> JsonResponse:
    return JsonResponse({"detail": str(detail)}, status=status)


# Django's error views (handler400, handler403, handler404, handler500 in core/urls.py), with
# DRF's wording.


def bad_request(request, exception):
    """Django's refusals before any view (a bad Host header, too many form fields): every 400 has `errors`."""
    detail = exceptions.ParseError.default_detail
    return JsonResponse({"detail": str(detail), "errors": [body_error(exception or detail)]}, status=400)


def permission_denied(request, exception):
    return error_response(403, exceptions.PermissionDenied.default_detail)


def not_found(request, exception):
    return error_response(404, exceptions.NotFound.default_detail)


def server_error(request):
    """Django calls it while handling the exception, so the exception is at hand: a database that
    went away during a middleware (a session read, say) is a 503 as it is in a view."""
    error = sys.exception()
    if isinstance(error, DATABASE_ERRORS):
        log_unavailable(error)
        return unavailable_response()
    return error_response(500, exceptions.APIException.default_detail)


class JsonErrorsMiddleware:
    """Rewrites the error responses that Django builds itself without a handler (the empty 405 of a
    Django view, the CSRF failure page) into the API's shape, keeping status and headers. DRF's
    responses are left as they are: JSON already, or the browsable API's page for a browser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or response.streaming or isinstance(response, Response):
            return response
        # A dashboard page (dashboard.views.html_page) is for a person, not an API client.
        if getattr(response, "html_page", False):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        detail = f"{response.reason_phrase}."
        body = {"detail": detail, "errors": [body_error(detail)]} if response.status_code == 400 else {"detail": detail}
        response.content = json.dumps(body)
        response["Content-Type"] = "application/json"
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response
