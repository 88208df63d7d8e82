"""OpenAPI post-processing: the responses every API operation can give whatever its view, so that
the schema lists each status code a client may meet (drf-spectacular only knows what a view declares)."""

from core.database import RETRY_AFTER_SECONDS

DETAIL = {"$ref": "#/components/schemas/DetailError"}


def json_response(description: str, schema: dict = DETAIL, **extra) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}, **extra}


COMMON = {
    "401": json_response("No token, or an invalid or revoked one (or no admin session for the browsable API)."),
    "403": json_response("The token lacks the scope of the method; or a session request without its CSRF token."),
    "503": json_response(
        "The database is unavailable; retry after the Retry-After header's seconds.",
        headers={
            "Retry-After": {
                "description": f"Seconds to wait before retrying ({RETRY_AFTER_SECONDS}).",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    ),
}
WITH_BODY = {
    "413": json_response("The body exceeds its size limit."),
    "415": json_response("A Content-Type the operation does not take."),
}


def add_common_responses(result, generator, request, public):
    """POSTPROCESSING_HOOKS entry: adds COMMON (and WITH_BODY where there is a body) to every
    operation under /api/v1 that does not describe them itself."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault(
        "DetailError", {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
    )
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if method == "parameters":
                continue
            if "requestBody" in operation:
                # Every body of this API is required: a POST without one is a 400.
                operation["requestBody"]["required"] = True
            responses = operation.setdefault("responses", {})
            extra = {**COMMON, **(WITH_BODY if "requestBody" in operation else {})}
            for status, response in extra.items():
                responses.setdefault(status, response)
    return result
