from django.contrib import admin

from core.auth import token_revoke
from core.models import ApiToken, Workspace


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "timezone", "created_at"]
    search_fields = ["slug", "name"]

    def get_inlines(self, request, obj):
        from analytics.business.admin import BusinessScheduleInline, SlaPolicyInline

        return [BusinessScheduleInline, SlaPolicyInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "workspace", "name", "scopes", "created_at", "revoked_at", "last_used_at"]
    list_filter = ["workspace", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        # A key is shown once, at creation: `manage.py create_token` prints it; the admin cannot.
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        active = list(queryset.filter(revoked_at__isnull=True))
        for token in active:
            token_revoke(token=token)
        self.message_user(request, f"Revoked {len(active)} token(s).")
