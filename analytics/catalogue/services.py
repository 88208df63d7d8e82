"""Writes of the catalogue: definitions and the workspace's strict setting, and the check that a
strict workspace's ingest runs."""

from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Now

from analytics import retention
from analytics.catalogue import days
from analytics.catalogue.models import EventDefinition, EventProperty, EventPropertyDaily, EventPropertyHourlySlot
from analytics.catalogue.selectors import declared_properties
from analytics.serializers import SUPPORT_EVENTS
from core.auth import clear_token_cache
from core.models import Workspace

COLUMNS = ", ".join(
    ("workspace_id", "name", "dimension", "bucket", "measure", "kind", "value")
    + ("events", "amount_count", "amount_sum", "amount_min", "amount_max")
)


class DuplicateName(Exception):
    pass


def definition_create(
    *,
    workspace: Workspace,
    name: str,
    description: str = "",
    category: str = "",
    properties: dict[str, dict] | None = None,
) -> None:
    """Defines `name` in the workspace, with the properties it declares (backfilled, see
    properties_set); DuplicateName if it is defined already (also when another request defines it
    at the same moment: the primary key decides)."""
    try:
        with transaction.atomic():
            EventDefinition.objects.create(workspace=workspace, name=name, description=description, category=category)
            if properties:
                properties_set(workspace=workspace, name=name, properties=properties)
    except IntegrityError:
        raise DuplicateName(name) from None


def definition_update(*, workspace: Workspace, name: str, changes: dict, properties: dict[str, dict] | None) -> bool:
    """Sets the given description and/or category of a definition, and its properties unless None;
    False if it is not defined."""
    with transaction.atomic():
        updated = EventDefinition.objects.filter(workspace=workspace, name=name).update(**changes, modified_at=Now())
        if updated and properties is not None:
            properties_set(workspace=workspace, name=name, properties=properties)
    return updated == 1


def definition_delete(*, workspace: Workspace, name: str) -> bool:
    """Forgets the definition and the hourly rows of its properties; its events and other figures
    stay (the name is then observed-but-undefined)."""
    with transaction.atomic():
        if declared_properties(workspace=workspace, name=name):
            properties_set(workspace=workspace, name=name, properties={})
        deleted, _ = EventDefinition.objects.filter(workspace=workspace, name=name).delete()
    return deleted > 0


def properties_set(*, workspace: Workspace, name: str, properties: dict[str, dict]) -> None:
    """Makes `properties` ({key: {"kind", "cap"}}) what the definition of `name` declares, in the
    caller's transaction, the way `rollups rebuild` rebuilds: SHARE mode on event waits for the
    ingest statements in flight and holds new ones until commit, so none is counted twice or
    missed. The rows of a property no longer declared (or declared again otherwise) go, in every
    hour; every hour of the name from the retention horizon on is then recomputed from the raw
    events (sql/recompute/event_property_hourly.sql), and event_property_daily from them
    (analytics/catalogue/days.py). Sealed hours keep what they had for the properties that did
    not change: their raw events are gone."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [retention.RETAIN_LOCK])
        cursor.execute("LOCK TABLE event IN SHARE MODE")
        current = declared_properties(workspace=workspace, name=name)
        if current == properties:
            return
        gone = [key for key in current if properties.get(key) != current[key]]
        declarations = EventProperty.objects.filter(workspace=workspace, name=name)
        declarations.filter(key__in=gone).delete()
        EventProperty.objects.bulk_create(
            EventProperty(workspace=workspace, name=name, key=key, kind=spec["kind"], cap=spec["cap"])
            for key, spec in sorted(properties.items())
            if current.get(key) != spec
        )
        rows = EventPropertyHourlySlot.objects.filter(workspace=workspace, name=name)
        rows.filter(dimension__in=gone).delete()
        rows.filter(measure__in=gone).delete()
        horizon = retention.horizon()
        params = {"workspace": workspace.pk, "name": name, "horizon": horizon}
        since = "AND bucket >= %(horizon)s" if horizon is not None else ""
        cursor.execute(
            f"DELETE FROM event_property_hourly_slot WHERE workspace_id = %(workspace)s AND name = %(name)s {since}",
            params,
        )
        cursor.execute(
            f"""INSERT INTO event_property_hourly_slot ({COLUMNS}, slot)
                SELECT {COLUMNS}, 0 FROM recompute_event_property_hourly
                WHERE workspace_id = %(workspace)s AND name = %(name)s {since}""",
            params,
        )
        # The days follow the hours: those of the properties that went, in every day; every day
        # from the horizon's on recomputed from the slot 0 rows just written.
        cursor.execute(days.LOCK)
        daily = EventPropertyDaily.objects.filter(workspace=workspace, name=name)
        daily.filter(dimension__in=gone).delete()
        daily.filter(measure__in=gone).delete()
        since_day = "AND bucket >= date_trunc('day', %(horizon)s::timestamptz, 'UTC')" if horizon is not None else ""
        cursor.execute(
            f"DELETE FROM event_property_daily WHERE workspace_id = %(workspace)s AND name = %(name)s {since_day}",
            params,
        )
        cursor.execute(
            f"""SELECT DISTINCT workspace_id, name, date_trunc('day', bucket, 'UTC') FROM event_property_hourly_slot
                WHERE workspace_id = %(workspace)s AND name = %(name)s AND slot = 0 {since_day}""",
            params,
        )
        days.days_rewrite(cursor, cursor.fetchall())


def strict_set(*, workspace: Workspace, strict: bool) -> None:
    """Turns the workspace's strict setting on or off. The workspace is cached with its tokens:
    this process sees the change at once, every other within TALLY_TOKEN_CACHE_SECONDS."""
    Workspace.objects.filter(pk=workspace.pk).update(strict_event_names=strict)
    workspace.strict_event_names = strict
    clear_token_cache()


def undefined_names(*, workspace: Workspace, names: set[str]) -> set[str]:
    """The product event names among `names` that a strict workspace refuses: those its catalogue
    does not define. Empty, without a query, for a workspace that is not strict. The six
    conversation.* events are built in and never refused."""
    wanted = names - SUPPORT_EVENTS
    if not workspace.strict_event_names or not wanted:
        return set()
    defined = EventDefinition.objects.filter(workspace=workspace, name__in=wanted).values_list("name", flat=True)
    return wanted - set(defined)
