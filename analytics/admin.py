from django.contrib import admin

from analytics.materialized import RollupRefresh


@admin.register(RollupRefresh)
class RollupRefreshAdmin(admin.ModelAdmin):
    """Read-only: `manage.py rollups refresh` writes these rows."""

    list_display = ["view_name", "refreshed_at", "duration_ms"]
    ordering = ["view_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
