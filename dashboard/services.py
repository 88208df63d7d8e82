"""Writes of the dashboard: logins and their memberships."""

import secrets

from django.contrib.auth import get_user_model

from core.models import Workspace
from dashboard.models import Membership


def member_add(*, username: str, workspace: Workspace, password: str | None = None) -> tuple[object, bool]:
    """Gives the login `username` (created if missing) access to `workspace`. With `password`, the
    login's password is set to it. Returns the user and whether the membership is new."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    if password is not None:
        user.set_password(password)
        user.save(update_fields=["password"])
    _, created = Membership.objects.get_or_create(user=user, workspace=workspace)
    return user, created


def member_remove(*, username: str, workspace: Workspace) -> bool:
    deleted, _ = Membership.objects.filter(user__username=username, workspace=workspace).delete()
    return deleted > 0


def new_password() -> str:
    return secrets.token_urlsafe(12)
