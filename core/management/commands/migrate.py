from django.core.management.commands.migrate import Command as MigrateCommand

from core.migrations_autodetector import TallyAutodetector


class Command(MigrateCommand):
    autodetector = TallyAutodetector
