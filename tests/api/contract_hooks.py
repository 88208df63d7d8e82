"""Schemathesis hooks for tests/api/test_contract.py (loaded through SCHEMATHESIS_HOOKS).

An OpenAPI schema describes each parameter and field alone; the few rules that relate two of them,
or a value to the server's clock, are in the schema's descriptions only, and the server refuses a
request that breaks them with a 400. A *positive* generated case is meant to be valid, so these
hooks make it respect those rules (and nothing else); negative cases are left as generated.

- `from` before `to`, and a range of at most MAX_SPAN (a series holds at most 5000 buckets);
- `start_date` not after `end_date`;
- `sort_by` of /events/stats names its group_by or its aggregate, and its `measure` and
  `group_by=properties.<key>` name what the definition of `name` declares: the contract's
  workspace declares nothing, so a positive case leaves them out;
- `property` of /interactions/by-topic names a dimension the workspace declares (the contract's
  workspace declares `product` for signup, the example's key), and its `name` one that declares it;
- an event's `occurred_at` not in the future (TALLY_MAX_FUTURE_SECONDS);
- ids unique within a batch (the same id with different content is a 400);
- an import's file holds the columns its preset or mapping names (IMPORT_FILES), and a mapping
  is a mapping: the schema describes the file as bytes and the mapping as a JSON string, each
  alone, so a positive case gets a small CSV with the columns its preset needs, and a mapping
  that starts from that preset.
"""

import json
from datetime import UTC, date, datetime, timedelta

import schemathesis

# Far below 5000 hourly buckets (208 days), whatever the offsets of the two ends.
MAX_SPAN = timedelta(days=150)
OFFSET_SLACK = timedelta(days=2)
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Kiritimati")


def instant(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def fix_query(path: str, query: dict) -> None:
    start, end = instant(query.get("from")), instant(query.get("to"))
    if start and end and not (OFFSET_SLACK <= end - start <= MAX_SPAN):
        del query["to"]
    first, last = day(query.get("start_date")), day(query.get("end_date"))
    if first and last and first > last:
        query["start_date"], query["end_date"] = query["end_date"], query["start_date"]
    if path.endswith("/events/stats"):
        query.pop("measure", None)
        if str(query.get("group_by", "")).startswith("properties."):
            del query["group_by"]
    if path.endswith("/interactions/by-topic"):
        query["property"] = "product"
        if "name" in query:
            query["name"] = "signup"
    if path.endswith("/events/stats") and "sort_by" in query:
        if query["sort_by"] not in (query.get("group_by", "day"), query.get("aggregate", "count")):
            del query["sort_by"]


def fix_events(body) -> None:
    events = body if isinstance(body, list) else [body]
    seen = set()
    latest = datetime.now(UTC)
    for event in events:
        if not isinstance(event, dict):
            continue
        moment = instant(event.get("occurred_at"))
        if moment and moment > latest:
            # 2000 is a leap year, so every date of the generated one exists in it.
            event["occurred_at"] = "2000" + event["occurred_at"][4:]
        if "id" in event:
            if event["id"] in seen:
                del event["id"]
            else:
                seen.add(event["id"])


# The headers and one row of each preset's layout (docs/import.md); the row may still be refused
# (a date the generated date_format does not read), which the report says in a 201.
IMPORT_FILES = {
    "customers": b"Customer_Id,Occupation,Type\n1,Jedi,Red\n",
    "interactions": b"Date Start,Interaction,Customers\n14/10/2019 09:00,Email,1\n",
    "products": b"Date,Product\n01-2019,Lightsaber\n",
}


def fix_import(form: dict) -> None:
    preset = form.get("preset") if form.get("preset") in IMPORT_FILES else "interactions"
    form["preset"] = preset
    if "mapping" in form:
        form["mapping"] = json.dumps({"preset": preset, "name": "imported.row"})
    form["file"] = IMPORT_FILES[preset]
    moment = instant(form.get("as_of"))
    if moment is None or moment > datetime.now(UTC):
        form["as_of"] = "2000-01-01T00:00:00Z"


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return case
    if isinstance(case.query, dict):
        fix_query(case.operation.path, case.query)
    posting_events = case.operation.path.endswith("/events/") and case.method.upper() == "POST"
    if posting_events and isinstance(case.body, dict | list):
        fix_events(case.body)
    if case.operation.path.endswith("/imports/") and isinstance(case.body, dict):
        fix_import(case.body)
    return case


@schemathesis.hook
def before_load_schema(context, raw_schema):
    """The coverage phase sends every value of an enum; for the ~600 zones of `tz` on each read
    endpoint that is most of the run, so the test keeps a sample that covers the cases that matter
    (UTC, DST, half- and quarter-hour offsets, the date line); the same for an import's `timezone`."""
    upload_zone = raw_schema.get("components", {}).get("schemas", {}).get("TimezoneEnum")
    if upload_zone:
        upload_zone["enum"] = [zone for zone in ZONES if zone in upload_zone["enum"]]
    for operations in raw_schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("name") == "tz":
                    parameter["schema"]["enum"] = [zone for zone in ZONES if zone in parameter["schema"]["enum"]]
