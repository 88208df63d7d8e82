"""Pagination whose parameters are checked like every other query parameter: a page_size or page out
of range, or a garbled cursor, is a 400 whose `errors[].field` names it. DRF's paginators would
quietly fall back to the default page size, cap a large one, and answer 404 for page=0 or a
cursor they cannot read; a client then never learns that its parameter was ignored."""

import re
from datetime import UTC, datetime, timedelta

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.utils.urls import replace_query_param

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# n|r (forward or reverse), the offset among rows tied on the position (DRF caps it at 1000), and
# the position: occurred_at in microseconds since 1970 (16 digits reach 2286).
CURSOR = re.compile(r"^([nr])(0|[1-9][0-9]{0,2}|1000)(?:_([0-9]{1,16}))?$")


def invalid(name: str, message: str) -> ValidationError:
    return ValidationError({name: [message]})


def positive_int(query, name: str, *, maximum: int | None = None) -> int | None:
    """The parameter of `query` (a request's query_params or a QueryDict) as an integer from 1 to
    maximum; None when absent."""
    raw = query.get(name)
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise invalid(name, f"Must be a whole number of at least 1; got {raw!r}.")
    value = int(raw)
    if maximum is not None and value > maximum:
        raise invalid(name, f"Must be at most {maximum}; got {value}.")
    return value


def integer_parameter(name: str, description: str, *, maximum: int | None = None) -> dict:
    schema = {"type": "integer", "minimum": 1}
    if maximum is not None:
        schema["maximum"] = maximum
    return {"name": name, "required": False, "in": "query", "description": description, "schema": schema}


class StrictPageSize:
    page_size_query_param = "page_size"

    def get_page_size(self, request):
        size = positive_int(request.query_params, self.page_size_query_param, maximum=self.max_page_size)
        return self.page_size if size is None else size

    def page_size_parameter(self) -> dict:
        return integer_parameter(
            self.page_size_query_param,
            f"Rows per page, 1 to {self.max_page_size}. Default: {self.page_size}.",
            maximum=self.max_page_size,
        )


class EventCursorPagination(StrictPageSize, CursorPagination):
    """Newest first; the cursor is a position in (occurred_at, id), so rows inserted while a client
    pages through never shift the pages it has not read yet, and no COUNT(*) is run."""

    ordering = ("-occurred_at", "-id")
    page_size = 100
    max_page_size = 1000

    # DRF's cursor is base64 of a query string, which no schema can describe; this one is plain text
    # that the pattern below describes exactly, so every string it admits is a cursor.

    def encode_cursor(self, cursor):
        text = f"{'r' if cursor.reverse else 'n'}{cursor.offset}"
        if cursor.position is not None:
            text += f"_{(datetime.fromisoformat(cursor.position) - EPOCH) // MICROSECOND}"
        return replace_query_param(self.base_url, self.cursor_query_param, text)

    def decode_cursor(self, request):
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None
        match = CURSOR.match(raw)
        if match is None:
            raise invalid(self.cursor_query_param, "Is not a cursor of this listing (take `next` or `previous`).")
        direction, offset, micros = match.groups()
        # The position as _get_position_from_instance gives it: str() of the UTC datetime.
        position = None if micros is None else str(EPOCH + int(micros) * MICROSECOND)
        return Cursor(offset=int(offset), reverse=direction == "r", position=position)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The cursor of a `next` or `previous` link.",
                "schema": {"type": "string", "pattern": CURSOR.pattern},
            },
            self.page_size_parameter(),
        ]


class SessionCursorPagination(EventCursorPagination):
    """Sessions, latest start first, paged by a position in (first_event_at, session_id)."""

    ordering = ("-first_event_at", "-session_id")
    page_size = 50
    max_page_size = 500


class SummaryPagination(StrictPageSize, PageNumberPagination):
    """The agent and channel lists. A page past the last one is a 404 (documented), as in DRF."""

    page_size = 50
    max_page_size = 500

    def get_page_number(self, request, paginator):
        return positive_int(request.query_params, self.page_query_param) or 1

    def get_schema_operation_parameters(self, view):
        return [
            integer_parameter(self.page_query_param, "Page number, from 1. Past the last page: 404."),
            self.page_size_parameter(),
        ]
