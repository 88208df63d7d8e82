"""POST /api/v1/imports/: multipart upload of a CSV or Excel file, answered with the cleaning report."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from analytics import rollups
from analytics.models import Event

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content if content is not None else (FIXTURES / name).read_bytes())


def test_an_upload_imports_and_answers_the_report(client_for, workspace):
    response = client_for.post(
        "/api/v1/imports/",
        {"file": upload("interactions.csv"), "preset": "interactions", "date_format": "%d/%m/%Y %H:%M"},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    report = response.json()
    assert (report["file"], report["rows_read"], report["imported"], report["duplicates"], report["refused"]) == (
        "interactions.csv",
        7,
        5,
        1,
        1,
    )
    assert report["refusals"][0]["column"] == "Date Start" and report["dry_run"] is False
    assert Event.objects.filter(workspace=workspace).count() == 5
    again = client_for.post(
        "/api/v1/imports/",
        {"file": upload("interactions.csv"), "preset": "interactions", "date_format": "%d/%m/%Y %H:%M"},
        format="multipart",
    )
    assert (again.json()["imported"], again.json()["duplicates"]) == (0, 6)
    assert rollups.differences() == []


def test_a_dry_run_with_a_json_mapping_writes_nothing(client_for, workspace):
    mapping = '{"preset": "customers", "properties": {"job": "Occupation"}}'
    response = client_for.post(
        "/api/v1/imports/",
        {"file": upload("customers.csv"), "mapping": mapping, "as_of": "2026-06-01T00:00:00Z", "dry_run": "true"},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["imported"], response.json()["dry_run"]) == (3, True)
    assert not Event.objects.exists()


def errors(response) -> dict[str, str]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    return {error["field"]: error["message"] for error in response.json()["errors"]}


def test_bad_uploads_are_400s_naming_the_field(client_for, workspace):
    post = lambda data: client_for.post("/api/v1/imports/", data, format="multipart")  # noqa: E731
    assert errors(post({"preset": "interactions"})) == {"file": "No file was submitted."}
    assert errors(post({"file": upload("notes.txt", b"hello"), "preset": "products"})) == {
        "file": "Must be a .csv or .xlsx file."
    }
    assert errors(post({"file": upload("customers.csv")})) == {"preset": "Give a preset or a mapping."}
    assert errors(post({"file": upload("customers.csv"), "preset": "customers"})) == {
        "mapping": "This mapping dates every row at the import's --as-of time; give --as-of."
    }
    assert errors(post({"file": upload("customers.csv"), "mapping": "{nope"})) == {
        "mapping": "Is not JSON: Expecting property name enclosed in double quotes."
    }
    assert errors(post({"file": upload("broken.xlsx", b"not a zip"), "preset": "interactions"})) == {
        "file": "broken.xlsx is not an Excel workbook (.xlsx)."
    }
    assert errors(
        post({"file": upload("latin.csv", "Date,Product\n01-2019,Caf\xe9\n".encode("latin-1")), "preset": "products"})
    ) == {"file": "latin.csv is not UTF-8 text: save it as CSV UTF-8."}
    assert not Event.objects.exists()


@override_settings(TALLY_MAX_IMPORT_BYTES=10)
def test_a_file_over_the_import_limit_is_refused(client_for):
    response = client_for.post(
        "/api/v1/imports/", {"file": upload("customers.csv"), "preset": "products"}, format="multipart"
    )
    assert errors(response) == {"file": "Is larger than TALLY_MAX_IMPORT_BYTES (10 bytes)."}


def test_imports_need_the_ingest_scope(make_client, workspace):
    reader = make_client(workspace, scopes=["read"])
    response = reader.post(
        "/api/v1/imports/", {"file": upload("customers.csv"), "preset": "products"}, format="multipart"
    )
    assert response.status_code == 403


def test_interactions_per_customer_type_and_channel_after_importing_both_files(client_for, workspace):
    """Verifies the CRM's questions after importing its customers and interactions: per type and
    channel (every type and channel, zeros included, customers without a type as null), and the
    per-customer answer at the CRM API's own path, equal to /customers/{id}/interactions."""
    for data in (
        {"file": upload("customers.csv"), "preset": "customers", "as_of": "2026-06-01T00:00:00Z"},
        {"file": upload("interactions.csv"), "preset": "interactions", "date_format": "%d/%m/%Y %H:%M"},
    ):
        assert client_for.post("/api/v1/imports/", data, format="multipart").status_code == 201
    response = client_for.get("/api/v1/interactions/by-type?start_date=2019-10-01&end_date=2019-10-31")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "data": [
            {"type": "Orange", "customers": 1, "total": 1, "interactions": {"bird": 0, "call": 1, "email": 0}},
            {"type": "Red", "customers": 2, "total": 2, "interactions": {"bird": 1, "call": 0, "email": 1}},
            {"type": None, "customers": 1, "total": 1, "interactions": {"bird": 0, "call": 0, "email": 1}},
        ]
    }
    later = client_for.get("/api/v1/interactions/by-type?start_date=2019-10-06")
    assert [entry["total"] for entry in later.json()["data"]] == [1, 1, 0]  # the 13th (call) and the 6th (bird)
    crm = client_for.get("/api/v1/interactions/1?start_date=2019-10-01&end_date=2019-10-31")
    assert crm.status_code == 200
    assert crm.json() == {"data": {"customer_id": "1", "interactions": {"bird": 1, "call": 0, "email": 1}}}
    assert (
        crm.json()
        == client_for.get("/api/v1/customers/1/interactions?start_date=2019-10-01&end_date=2019-10-31").json()
    )
    assert client_for.get("/api/v1/interactions/404").json() == {"detail": "Customer not found."}
    bad = client_for.get("/api/v1/interactions/by-type?start_date=2019-10-31&end_date=2019-10-01")
    assert errors(bad) == {"start_date": "Must not be after end_date."}


def test_interactions_per_customer_occupation_after_importing_both_files(client_for, workspace):
    """Verifies the occupation a customers file sets is the customer's, read per occupation and
    channel (every occupation and channel, zeros included, customers without one as null) and on
    the per-customer list, where it orders the customers."""
    for data in (
        {"file": upload("customers.csv"), "preset": "customers", "as_of": "2026-06-01T00:00:00Z"},
        {"file": upload("interactions.csv"), "preset": "interactions", "date_format": "%d/%m/%Y %H:%M"},
    ):
        assert client_for.post("/api/v1/imports/", data, format="multipart").status_code == 201
    days = "start_date=2019-10-01&end_date=2019-10-31"
    response = client_for.get(f"/api/v1/interactions/by-occupation?{days}")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "data": [
            {"occupation": "Batman", "customers": 1, "total": 1, "interactions": {"bird": 0, "call": 1, "email": 0}},
            {"occupation": "Jedi", "customers": 1, "total": 2, "interactions": {"bird": 1, "call": 0, "email": 1}},
            {"occupation": "Smuggler", "customers": 1, "total": 0, "interactions": {"bird": 0, "call": 0, "email": 0}},
            {"occupation": None, "customers": 1, "total": 1, "interactions": {"bird": 0, "call": 0, "email": 1}},
        ]
    }
    listed = client_for.get(f"/api/v1/interactions/by-customer?{days}&ordering=-occupation").json()["results"]
    assert [(row["id"], row["occupation"], row["total"]) for row in listed] == [
        ("3", "Smuggler", 0),
        ("1", "Jedi", 2),
        ("2", "Batman", 1),
        ("7", None, 1),
    ]
    bad = client_for.get("/api/v1/interactions/by-occupation?start_date=2019-13-01")
    assert set(errors(bad)) == {"start_date"}


def test_a_mapping_of_the_wrong_shape_is_a_400_naming_mapping(client_for, workspace):
    """Verifies every mapping whose tables or values have the wrong type is a 400 naming mapping, never a 500."""
    post = lambda mapping: client_for.post(  # noqa: E731
        "/api/v1/imports/", {"file": upload("products.csv"), "mapping": mapping}, format="multipart"
    )
    assert errors(post('{"preset": "products", "columns": "Product"}')) == {
        "mapping": "columns must be a table of names and values."
    }
    assert errors(post('{"preset": "products", "occurred_at": "Date"}')) == {
        "mapping": "occurred_at must be a table of names and values."
    }
    assert errors(post('{"preset": "products", "properties": {"topic": 5}}')) == {
        "mapping": "properties: topic must name a column."
    }
    assert errors(post('{"preset": "products", "constants": {"channel": {"id": "web"}}}')) == {
        "mapping": "constants: channel must be a string or a number."
    }
    assert errors(post('{"preset": "products", "constants": {"colour": "red"}}')) == {
        "mapping": "constants: colour is not an event field "
        "(conversation_id, channel, agent, customer, value, session_id, user_id)."
    }
    assert errors(post('{"preset": "products", "date_format": 5}')) == {"mapping": "date_format must be a string."}
    assert errors(post('{"preset": "products", "timezone": ["UTC"]}')) == {"mapping": "timezone must be a string."}
    assert not Event.objects.exists()


def test_rows_the_event_rules_refuse_are_in_the_report_not_a_500(client_for, workspace):
    """Verifies a row whose event the API would refuse (a customer id over 64 characters, a value
    that is no number) is refused in the report with its row and column, and the other rows are
    imported; a file whose every row is refused is a 201 with nothing imported."""
    content = f"Date,Product,Who\n01-2019,Sabre,{'x' * 65}\n02-2019,Cloak,ada\n".encode()
    mapping = '{"preset": "products", "columns": {"customer": "Who"}}'
    response = client_for.post(
        "/api/v1/imports/", {"file": upload("who.csv", content), "mapping": mapping}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    report = response.json()
    assert (report["rows_read"], report["imported"], report["refused"]) == (2, 1, 1)
    assert [(refusal["row"], refusal["column"]) for refusal in report["refusals"]] == [(2, "Who")]
    assert Event.objects.filter(workspace=workspace).count() == 1
    every_row = client_for.post(
        "/api/v1/imports/",
        {"file": upload("products.csv"), "mapping": '{"preset": "products", "constants": {"value": "many"}}'},
        format="multipart",
    )
    assert every_row.status_code == 201, every_row.json()
    assert (every_row.json()["imported"], every_row.json()["refused"]) == (0, 4)
    assert rollups.differences() == []
