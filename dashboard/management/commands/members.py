from django.core.management.base import BaseCommand, CommandError

from core.models import Workspace
from dashboard import services
from dashboard.models import Membership


class Command(BaseCommand):
    help = (
        "Dashboard logins and their workspaces: `members add USER --workspace SLUG [--password PW | "
        "--new-password]`, `members remove USER --workspace SLUG`, `members list [--workspace SLUG]`."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["add", "remove", "list"])
        parser.add_argument("username", nargs="?")
        parser.add_argument("--workspace", metavar="SLUG")
        parser.add_argument("--password", help="add: set the login's password (a new login needs one to log in).")
        parser.add_argument("--new-password", action="store_true", help="add: set a random password and print it.")

    def handle(self, *args, action, username, workspace, password, new_password, **options):
        target = None
        if workspace is not None:
            target = Workspace.objects.filter(slug=workspace).first()
            if target is None:
                raise CommandError(f"no workspace {workspace!r} (manage.py create_token creates one)")
        if action == "list":
            memberships = Membership.objects.select_related("user", "workspace").order_by("workspace__slug", "user")
            if target is not None:
                memberships = memberships.filter(workspace=target)
            for membership in memberships:
                self.stdout.write(f"{membership.workspace.slug}\t{membership.user.get_username()}")
            return
        if username is None or target is None:
            raise CommandError(f"members {action} needs a USERNAME and --workspace")
        if action == "remove":
            removed = services.member_remove(username=username, workspace=target)
            self.stdout.write(f"{username} {'removed from' if removed else 'was not a member of'} {target.slug}")
            return
        if new_password:
            password = services.new_password()
        _, created = services.member_add(username=username, workspace=target, password=password)
        self.stdout.write(f"{username} {'added to' if created else 'already in'} {target.slug}")
        if new_password:
            self.stdout.write(f"password: {password}")
