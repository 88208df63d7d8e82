from django.core.management.base import BaseCommand, CommandError

from analytics import erasure
from core.models import Workspace


class Command(BaseCommand):
    help = (
        "Right to erasure for a product user: delete every raw event of the workspace that carries the user_id, and "
        "replace the user_id in the unique counts of retired history (event_unique_hourly before the retention "
        "horizon) by a random pseudonym, in one transaction. Every summary stays equal to its recomputation from what "
        "is left; the unique counts of retired hours stay as they were. No materialized view holds user ids."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workspace", required=True, help="Workspace slug.")
        parser.add_argument("user_id", help="The user_id as events carry it.")

    def handle(self, *args, workspace, user_id, **options):
        target = Workspace.objects.filter(slug=workspace).first()
        if target is None:
            raise CommandError(f"No workspace with slug {workspace!r}.")
        erased = erasure.erase_user(workspace=target, user_id=user_id)
        self.stdout.write(f"user {user_id} of {target.slug}: {erased}")
