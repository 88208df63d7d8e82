from django.core.management.base import BaseCommand, CommandError

from analytics import erasure
from analytics.refresh import materialized_views, view_refresh
from core.models import Workspace


class Command(BaseCommand):
    help = (
        "Right to erasure: delete every raw event of the workspace that names the customer, and what retention "
        "sealed about them (the sealed customer, their sealed interaction hours, the customer on sealed "
        "conversations), in one transaction. Every summary stays equal to its recomputation from what is left; "
        "anonymous totals (conversations, replies, response times, event counts) stay. Then the materialized "
        "views are refreshed, so that no rollup still names the customer."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workspace", required=True, help="Workspace slug.")
        parser.add_argument("customer_id", help="The customer id as events carry it.")

    def handle(self, *args, workspace, customer_id, **options):
        target = Workspace.objects.filter(slug=workspace).first()
        if target is None:
            raise CommandError(f"No workspace with slug {workspace!r}.")
        erased = erasure.erase_customer(workspace=target, customer_id=customer_id)
        self.stdout.write(f"customer {customer_id} of {target.slug}: {erased}")
        for view in materialized_views():
            self.stdout.write(str(view_refresh(view=view)))
