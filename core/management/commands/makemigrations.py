from django.core.management.commands.makemigrations import Command as MakeMigrationsCommand

from core.migrations_autodetector import TallyAutodetector


class Command(MakeMigrationsCommand):
    autodetector = TallyAutodetector
