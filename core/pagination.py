from rest_framework.pagination import CursorPagination


class EventCursorPagination(CursorPagination):
    """Newest first; the cursor is a position in (occurred_at, id), so rows inserted while a client
    pages through never shift the pages it has not read yet, and no COUNT(*) is run."""

    ordering = ("-occurred_at", "-id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
