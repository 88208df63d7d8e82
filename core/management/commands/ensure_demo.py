from django.core.management.base import BaseCommand
from django.utils import timezone

from core.auth import token_create
from core.models import Workspace
from dashboard.services import member_add, new_password


class Command(BaseCommand):
    help = (
        "Ensure the `demo` workspace exists and print a fresh ingest+read token for it, and a fresh password of "
        "the dashboard login `demo`, a member of it (used by `make run`)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Where the server listens, for the example.")

    def handle(self, *args, url, **options):
        workspace, _ = Workspace.objects.get_or_create(slug="demo", defaults={"name": "Demo", "timezone": "UTC"})
        _, key = token_create(workspace=workspace, scopes=["ingest", "read"], name="make run")
        password = new_password()
        member_add(username="demo", workspace=workspace, password=password)
        base = url.rstrip("/")
        events_url = base + "/api/v1/events/"
        now = timezone.now().replace(microsecond=0).isoformat().replace("+00:00", "Z")
        self.stdout.write(
            f"""
Workspace `demo` is ready. Its ingest+read token (shown once):

    export TALLY_TOKEN={key}

The dashboard: {base}/ , log in as `demo` with the password {password}
(a new one at every `make run`; more logins: manage.py members add USER --workspace demo --new-password)

Then, in another shell:

    curl -s -X POST {events_url} \\
      -H "Authorization: Token $TALLY_TOKEN" -H "Content-Type: application/json" \\
      -d '{{"id": "evt-1", "name": "signup", "occurred_at": "{now}", "value": 1}}'

Fill the demo workspace with a week of realistic support traffic (about 20k events):

    .venv/bin/python manage.py simulate --workspace demo

or keep events coming in real time: add --live --rate 20

The API's endpoints: {base}/api/v1/ (docs: {base}/api/docs/). To log into the admin
({base}/admin/) and use the browsable API without a token, create an admin login once:

    .venv/bin/python manage.py createsuperuser
"""
        )
