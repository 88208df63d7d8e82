"""While PostgreSQL is away: a 503 JSON body with Retry-After instead of a 500 page, and one more
try for a request that met a broken persistent connection before anything had run.

Connections outlive requests (DJANGO_CONN_MAX_AGE) and Django's health check is off by default
(a `SELECT 1` per request was a fifth of a single-event POST), so after a database restart every
worker thread still holds a connection to the old server, and the first statement of its next
request fails. Nothing of that request has run, so DatabaseRetryMiddleware serves it again on a
new connection and the first request after recovery succeeds. A request that fails after one of
its statements succeeded is not replayed whole (a write may have committed); ingest retries its
own write instead (retry_once), which event ids make idempotent. Each request gets one retry.
"""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import JsonResponse
from rest_framework import status
from rest_framework.exceptions import APIException

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5

logger = logging.getLogger(__name__)


class DatabaseUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; retry later."
    default_code = "database_unavailable"
    # DRF's exception handler sends `wait` as the Retry-After header.
    wait = RETRY_AFTER_SECONDS


def unavailable_response() -> JsonResponse:
    """The 503 outside DRF views (handler500); DRF views answer with DatabaseUnavailable."""
    return JsonResponse(
        {"detail": str(DatabaseUnavailable.default_detail)},
        status=DatabaseUnavailable.status_code,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def log_unavailable(error: Exception) -> None:
    """The 503 hides the error from the client; the log keeps it."""
    logger.warning("database unavailable: %s: %s", type(error).__name__, str(error).strip())


def connection_broken() -> bool:
    """Django dropped this thread's connection (after an error inside atomic), or psycopg2 saw it close."""
    return connection.connection is None or bool(connection.connection.closed)


def discard_broken_connection() -> None:
    """The next statement then opens a new connection instead of failing on the dead one."""
    if connection.connection is not None and connection.connection.closed:
        connection.close()


class Attempt:
    """One request's statements on this thread's connection (an execute wrapper counts them), and
    whether its one retry is spent. The middleware puts it on the request as `database_attempt`."""

    def __init__(self):
        # request_started has already closed an obsolete or failed connection, so an open one here
        # was left by an earlier request: the kind that goes stale while the database restarts.
        self.reused = connection.connection is not None
        self.succeeded = 0
        self.retried = False

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        self.succeeded += 1
        return result

    def may_replay(self, response) -> bool:
        """Whether a 503 came from a stale connection before any statement of the request ran."""
        return (
            response.status_code == DatabaseUnavailable.status_code
            and not self.retried
            and self.reused
            and self.succeeded == 0
            and connection_broken()
        )


def keep_body(request) -> bool:
    """Reads the body into memory so that a replay can parse it again; False (not replayable) for a
    body over the limit, which the JSON parser must still see unread to answer 413."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return False
    request.body  # noqa: B018 (cached on the request; every later read gets a copy)
    return True


class DatabaseRetryMiddleware:
    """The outermost middleware: replays a request that met a stale connection (Attempt.may_replay).
    The 503 itself comes from core.exceptions (DRF views) or handler500 (everything else)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        replayable = keep_body(request)
        request.database_attempt = attempt = Attempt()
        with connection.execute_wrapper(attempt):
            response = self.get_response(request)
            if replayable and attempt.may_replay(response):
                attempt.retried = True
                logger.warning("stale database connection; serving %s %s again", request.method, request.path)
                connection.close()
                response = self.get_response(request)
        return response


def retry_once(request, operation):
    """operation(), run once more after a database error if the request's retry is not spent; for
    operations that are safe to repeat whatever the first run did (an ingest whose ids are fixed)."""
    try:
        return operation()
    except DATABASE_ERRORS as error:
        attempt = getattr(request, "database_attempt", None)
        if attempt is None or attempt.retried:
            raise
        attempt.retried = True
        log_unavailable(error)
        discard_broken_connection()
        return operation()
