from django.core.management.base import BaseCommand, CommandError

from core.auth import token_create
from core.models import Scope, Workspace, validate_timezone


class Command(BaseCommand):
    help = "Create an API token for a workspace (created if missing) and print its key once."

    def add_arguments(self, parser):
        parser.add_argument("--workspace", required=True, metavar="SLUG")
        parser.add_argument("--scope", action="append", choices=Scope.values, required=True, dest="scopes")
        parser.add_argument("--name", default="")
        parser.add_argument("--timezone", default="UTC", help="Time zone of a workspace created by this command.")

    def handle(self, *args, workspace, scopes, name, timezone, **options):
        try:
            validate_timezone(timezone)
        except Exception as exc:
            raise CommandError(str(exc)) from None
        target, created = Workspace.objects.get_or_create(
            slug=workspace, defaults={"name": workspace, "timezone": timezone}
        )
        if created:
            self.stderr.write(f"created workspace {target.slug} ({target.timezone})")
        token, key = token_create(workspace=target, scopes=scopes, name=name)
        self.stderr.write(
            f"token {token.prefix}… for {target.slug}, scopes {', '.join(token.scopes)}; the key is shown once:"
        )
        self.stdout.write(key)
