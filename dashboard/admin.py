from django.contrib import admin

from dashboard.models import Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "created_at"]
    list_filter = ["workspace"]
    search_fields = ["user__username", "workspace__slug"]
    autocomplete_fields = ["workspace"]
    raw_id_fields = ["user"]
