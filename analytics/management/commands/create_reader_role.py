import re

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from analytics.materialized import READABLE, reader_grant, reader_group

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
POWERFUL = "rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls OR rolname = current_user"


class Command(BaseCommand):
    help = (
        "Create (or update) a LOGIN role for analysts and BI tools that can SELECT the summary tables, the "
        "dimension tables, the rollup views and rollup_refresh of this database, and nothing else: not the raw "
        "event table, API tokens, users or sessions. The grants are held by the NOLOGIN group <database>_reader, "
        "of which the role becomes a member; they are given back after every migrate that recreates a view."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="Role name: lower-case letters, digits and _, at most 63.")
        parser.add_argument(
            "--password",
            help="Set or change the password; without it a new role has none and an existing one keeps its own.",
        )

    def handle(self, *args, name, password, **options):
        if not ROLE_NAME.fullmatch(name):
            raise CommandError(f"{name!r} is not a plain role name (lower-case letters, digits and _, at most 63).")
        group = reader_group(connection)
        if name == group:
            raise CommandError(f"{name} is the name of the group that holds the grants; choose another.")
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT {POWERFUL} FROM pg_roles WHERE rolname = %s", [name])
            existing = cursor.fetchone()
            if existing is not None and existing[0]:
                raise CommandError(
                    f"Role {name} exists and can do more than read (superuser, CREATEROLE, CREATEDB, REPLICATION, "
                    "BYPASSRLS, or the role Django connects as); refusing to make it a reader."
                )
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [group])
            if cursor.fetchone() is None:
                cursor.execute(f"CREATE ROLE {quote(group)} NOLOGIN")
            reader_grant(cursor, group=group)

            verb = "ALTER" if existing is not None else "CREATE"
            if password:
                cursor.execute(f"{verb} ROLE {quote(name)} LOGIN PASSWORD %s", [password])
            else:
                cursor.execute(f"{verb} ROLE {quote(name)} LOGIN")
            # Grants the role may hold directly from an earlier life would reach past the group's.
            cursor.execute("SELECT current_schema()")
            (schema,) = cursor.fetchone()
            cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {quote(schema)} FROM {quote(name)}")
            cursor.execute(f"GRANT {quote(group)} TO {quote(name)}")
            cursor.execute(f"ALTER ROLE {quote(name)} SET default_transaction_read_only = on")
            cursor.execute(
                """
                SELECT string_agg(g.rolname, ', ' ORDER BY g.rolname)
                FROM pg_auth_members AS m
                JOIN pg_roles AS g ON g.oid = m.roleid
                JOIN pg_roles AS r ON r.oid = m.member
                WHERE r.rolname = %s AND g.rolname <> %s
                """,
                [name, group],
            )
            (other_groups,) = cursor.fetchone()

        self.stdout.write(
            f"{'updated' if existing is not None else 'created'} role {name}, a member of {group}, "
            f"which can SELECT: {', '.join(READABLE)}"
        )
        if other_groups:
            self.stderr.write(f"warning: {name} is also a member of {other_groups} and has their rights too.")
