from django.core.management.base import BaseCommand, CommandError

from core.auth import hash_key, token_revoke
from core.models import ApiToken


class Command(BaseCommand):
    help = "Revoke an API token, given its full key or its prefix (as shown in the admin)."

    def add_arguments(self, parser):
        parser.add_argument("key_or_prefix")

    def handle(self, *args, key_or_prefix, **options):
        matches = list(ApiToken.objects.filter(key_hash=hash_key(key_or_prefix))) or list(
            ApiToken.objects.filter(prefix=key_or_prefix, revoked_at__isnull=True)
        )
        if not matches:
            raise CommandError(f"No active token matches {key_or_prefix!r}.")
        if len(matches) > 1:
            raise CommandError(f"{len(matches)} tokens share the prefix {key_or_prefix!r}; give the full key.")
        token_revoke(token=matches[0])
        self.stdout.write(f"revoked token {matches[0].prefix}… of {matches[0].workspace.slug}")
