"""Migrations follow the models: core's makemigrations sees pgtrigger triggers and pgviews views,
and a changed trigger body arrives as a migration."""

import io

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django_pgviews.db.migrations.autodetector import PGViewsAutodetector
from pgtrigger.migrations import MigrationAutodetectorMixin

from analytics.models import Event


def makemigrations(*args: str) -> tuple[int, str]:
    """Runs makemigrations; returns its exit status and everything it printed."""
    output = io.StringIO()
    try:
        call_command("makemigrations", *args, stdout=output, stderr=output)
    except SystemExit as exit_:
        return exit_.code, output.getvalue()
    return 0, output.getvalue()


@pytest.mark.parametrize("name", ["makemigrations", "migrate"])
def test_core_commands_detect_triggers_and_views(name):
    """Verifies core's makemigrations and migrate are the ones in effect and detect both triggers and views."""
    assert get_commands()[name] == "core"
    autodetector = load_command_class("core", name).autodetector
    assert issubclass(autodetector, MigrationAutodetectorMixin)
    assert issubclass(autodetector, PGViewsAutodetector)


@pytest.mark.django_db
def test_migrations_are_in_step_with_the_models():
    """Verifies `makemigrations --check --dry-run` finds nothing to do."""
    status, output = makemigrations("--check", "--dry-run")
    assert status == 0, output
    assert "No changes detected" in output


@pytest.mark.django_db
def test_a_changed_trigger_body_needs_a_migration(monkeypatch):
    """Verifies editing the SQL of an event trigger makes `makemigrations --check` fail and name the trigger."""
    trigger = next(trigger for trigger in Event._meta.triggers if trigger.name == "summarize")
    monkeypatch.setattr(trigger, "func", "RETURN NULL;")
    status, output = makemigrations("analytics", "--dry-run", "--check")
    assert status == 1, output
    assert "Remove trigger summarize from model event" in output
    assert "Create trigger summarize on model event" in output
    assert "append_only" not in output and "erase" not in output
