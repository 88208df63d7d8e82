"""A JSON parser with a body-size limit that answers 413, and strict JSON (no NaN/Infinity)."""

import json
from decimal import Decimal

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "request_too_large"


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class LimitedJSONParser(BaseParser):
    """Not a JSONParser subclass on purpose: DRF hands those `request.body`, which Django refuses
    past the limit with a bare 400; reading the stream here lets the limit answer 413."""

    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise RequestTooLarge(f"Request body is {declared} bytes; the limit is {limit}.")
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestTooLarge(f"Request body exceeds the limit of {limit} bytes.")
        try:
            # Decimal keeps numbers exactly as sent (a float would round 123456789012.123456).
            return json.loads(body.decode("utf-8"), parse_constant=_reject_constant, parse_float=Decimal)
        except UnicodeDecodeError as exc:
            raise ParseError(f"Request body is not UTF-8: {exc}") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error: {exc}") from None
        except RecursionError:
            raise ParseError("JSON parse error: nested too deeply.") from None
