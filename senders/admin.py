from django.contrib import admin

from .models import Domain, Relay, Sender


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


@admin.register(Relay)
class RelayAdmin(admin.ModelAdmin):
    """The URL itself (it holds a password) is never shown; its summary is."""

    list_display = ["owner", "summary", "rate", "connections", "hold_reason", "held_until"]
    list_filter = ["hold_reason"]
    search_fields = ["owner__email", "summary"]
    readonly_fields = ["summary", "hold_reason", "hold_reply", "held_until", "hold_openings"]
    raw_id_fields = ["owner"]

    def has_add_permission(self, request) -> bool:
        # A relay is made on its owner's page, where the URL is checked and encrypted.
        return False
