"""One migration autodetector that sees both pgtrigger triggers and pgviews views.

django-pgviews-redux replaces makemigrations/migrate with commands whose autodetector does
not include pgtrigger's mixin, so trigger changes would be missed or fail to serialize
(django-pgtrigger#225, django-pgviews-redux#127). core's commands, which shadow both because
core comes before django_pgviews in INSTALLED_APPS, use this class instead.
"""

from django_pgviews.db.migrations.autodetector import PGViewsAutodetector
from pgtrigger.migrations import MigrationAutodetectorMixin


class TallyAutodetector(MigrationAutodetectorMixin, PGViewsAutodetector):
    pass
