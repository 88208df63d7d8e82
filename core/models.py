import zoneinfo

import pgtrigger
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Now


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name.")


class Workspace(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="IANA zone of the workspace's days, weeks and months. Changing it rebuilds the workspace's "
        "unique-count periods in the same transaction, and ingestion of every workspace waits for it (about 3 "
        "minutes at 10M events on 2 cores): change a large workspace's zone in a quiet hour.",
    )
    created_at = models.DateTimeField(db_default=Now())
    strict_event_names = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Refuse product events whose name the event catalogue does not define "
        "(the catalogue's `strict` setting).",
    )

    class Meta:
        db_table = "workspace"
        triggers = [
            # The unique counts per day, week and month are kept in the workspace's zone: a new
            # zone rebuilds them from the hourly sets in the same transaction
            # (sql/functions/tally_unique_periods_rebuild.sql).
            pgtrigger.Trigger(
                name="rebuild_unique_periods",
                level=pgtrigger.Row,
                when=pgtrigger.After,
                operation=pgtrigger.UpdateOf("timezone"),
                condition=pgtrigger.Condition("OLD.timezone IS DISTINCT FROM NEW.timezone"),
                func="PERFORM tally_unique_periods_rebuild(NEW.id); RETURN NULL;",
            ),
        ]

    def __str__(self) -> str:
        return self.slug


class Scope(models.TextChoices):
    INGEST = "ingest", "Ingest events"
    READ = "read", "Read summaries and events"
    ERASE = "erase", "Erase events (DELETE /api/v1/events/{id})"
    CATALOGUE = "catalogue", "Define events and change catalogue settings"
    SETTINGS = "settings", "Change business hours and SLA targets"


class ApiToken(models.Model):
    """A workspace's API key. Only the SHA-256 of the key is stored; the key is shown once."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="The first characters of the key, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = ArrayField(models.CharField(max_length=16, choices=Scope.choices))
    created_at = models.DateTimeField(db_default=Now())
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "api_token"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scopes__contained_by=list(Scope.values)) & ~models.Q(scopes=[]),
                name="api_token_scopes_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.workspace.slug}: {', '.join(self.scopes)})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
