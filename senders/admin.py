from django.contrib import admin

from .models import Domain, Sender


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "owner", "selector", "verified_at", "checked_at"]
    list_filter = ["verified_at"]
    search_fields = ["domain", "owner__email"]
    readonly_fields = ["public_key", "check_results", "checked_at"]
    raw_id_fields = ["owner"]


@admin.register(Sender)
class SenderAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "owner", "is_default", "confirmed_at"]
    search_fields = ["name", "email", "owner__email"]
    raw_id_fields = ["owner"]
