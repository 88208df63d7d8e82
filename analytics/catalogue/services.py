"""Writes of the catalogue: definitions and the workspace's strict setting, and the check that a
strict workspace's ingest runs."""

from django.db import IntegrityError, transaction
from django.db.models.functions import Now

from analytics.catalogue.models import EventDefinition
from analytics.serializers import SUPPORT_EVENTS
from core.auth import clear_token_cache
from core.models import Workspace


class DuplicateName(Exception):
    pass


def definition_create(*, workspace: Workspace, name: str, description: str = "", category: str = "") -> None:
    """Defines `name` in the workspace; DuplicateName if it is defined already (also when another
    request defines it at the same moment: the primary key decides)."""
    try:
        with transaction.atomic():
            EventDefinition.objects.create(workspace=workspace, name=name, description=description, category=category)
    except IntegrityError:
        raise DuplicateName(name) from None


def definition_update(*, workspace: Workspace, name: str, changes: dict) -> bool:
    """Sets the given description and/or category of a definition; False if it is not defined."""
    updated = EventDefinition.objects.filter(workspace=workspace, name=name).update(**changes, modified_at=Now())
    return updated == 1


def definition_delete(*, workspace: Workspace, name: str) -> bool:
    """Forgets the definition; its events and figures stay (the name is then observed-but-undefined)."""
    deleted, _ = EventDefinition.objects.filter(workspace=workspace, name=name).delete()
    return deleted > 0


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
