from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from core.models import Workspace


class Membership(models.Model):
    """A dashboard login's access to one workspace: a user sees exactly the workspaces of their
    memberships (a superuser too; the admin manages memberships)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "dashboard_membership"
        constraints = [models.UniqueConstraint(fields=["user", "workspace"], name="dashboard_membership_once")]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace.slug}"
