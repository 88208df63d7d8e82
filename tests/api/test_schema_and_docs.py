"""/api/schema/ (OpenAPI 3) and /api/docs/ (Swagger UI, assets served by the app itself)."""

import re

import pytest
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

PATHS = {
    "/api/v1/events/": {"get", "post"},
    "/api/v1/imports/": {"post"},
    "/api/v1/interactions/by-type": {"get"},
    "/api/v1/interactions/by-occupation": {"get"},
    "/api/v1/interactions/by-topic": {"get"},
    "/api/v1/interactions/by-customer": {"get"},
    "/api/v1/interactions/{customer_id}": {"get"},
    "/api/v1/events/trend": {"get"},
    "/api/v1/events/frequency": {"get"},
    "/api/v1/events/stats": {"get"},
    "/api/v1/events/uniques": {"get"},
    "/api/v1/sessions/": {"get"},
    "/api/v1/sessions/{session_id}": {"get"},
    "/api/v1/summaries/overview": {"get"},
    "/api/v1/summaries/timeseries": {"get"},
    "/api/v1/summaries/agents": {"get"},
    "/api/v1/summaries/channels": {"get"},
    "/api/v1/summaries/teams": {"get"},
    "/api/v1/summaries/labels": {"get"},
    "/api/v1/summaries/heatmap": {"get"},
    "/api/v1/customers/{customer_id}/interactions": {"get"},
    "/api/v1/events/{event_id}": {"get", "delete"},
    "/api/v1/catalogue/events/": {"get", "post"},
    "/api/v1/catalogue/events/{name}": {"get", "put", "patch", "delete"},
    "/api/v1/catalogue/settings": {"get", "patch"},
    "/api/v1/settings/business-hours": {"get", "post"},
    "/api/v1/settings/sla": {"get", "post"},
}


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi_with_every_path_without_a_token(schema):
    """Verifies the schema is public, validates against the OpenAPI 3 meta-schema and lists every operation."""
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert {path: set(operations) - {"parameters"} for path, operations in schema["paths"].items()} == PATHS


def test_schema_documents_parameters_responses_and_errors(schema):
    """Verifies query parameters, token security and the 400/401/403/404/413 responses are described."""
    paths = schema["paths"]
    overview = paths["/api/v1/summaries/overview"]["get"]
    assert {"from", "to", "tz", "channel", "agent"} <= {parameter["name"] for parameter in overview["parameters"]}
    timeseries = {
        parameter["name"]: parameter for parameter in paths["/api/v1/summaries/timeseries"]["get"]["parameters"]
    }
    assert timeseries["metric"]["required"] is True
    assert "avg_first_response_seconds" in timeseries["metric"]["schema"]["enum"]
    for path, operations in PATHS.items():
        for method in operations:
            operation = paths[path][method]
            assert operation["security"] == [{"TokenAuth": []}], (path, method)
            # A 400 wherever a query or a body can be wrong (one event by id has neither: a 404).
            takes_input = "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", []))
            assert ({"400"} if takes_input else set()) | {"401", "403"} <= set(operation["responses"]), (path, method)
    assert "404" in paths["/api/v1/customers/{customer_id}/interactions"]["get"]["responses"]
    assert {"201", "413"} <= set(paths["/api/v1/events/"]["post"]["responses"])
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Token <key>`; a key is scoped to one workspace and to `ingest` and/or `read`.",
    }
    listing = {parameter["name"] for parameter in paths["/api/v1/events/"]["get"]["parameters"]}
    assert {
        "name",
        "conversation_id",
        "session_id",
        "user_id",
        "customer",
        "channel",
        "category",
        "from",
        "to",
        "cursor",
    } <= listing


def test_ingest_body_is_an_event_or_a_batch(schema):
    """Verifies POST /api/v1/events/ documents one event or a list of them, with the dimension shapes."""
    body = schema["paths"]["/api/v1/events/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/EventOrBatch"}
    one_of = schema["components"]["schemas"]["EventOrBatch"]["oneOf"]
    assert one_of == [
        {"$ref": "#/components/schemas/Event"},
        {"type": "array", "items": {"$ref": "#/components/schemas/Event"}, "minItems": 1, "maxItems": 1000},
    ]
    event = schema["components"]["schemas"]["Event"]
    assert event["required"] == ["name", "occurred_at"]
    assert event["properties"]["channel"]["oneOf"][0]["type"] == "string"
    assert event["properties"]["occurred_at"]["format"] == "date-time"


@pytest.mark.django_db
def test_docs_page_loads_with_local_assets_only():
    """Verifies /api/docs/ is public, references only this server's static files, and they are served."""
    client = APIClient()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    assert all(asset.startswith("/static/") for asset in assets), assets
    assert "cdn" not in html.lower() and "https://" not in html
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
