from django.contrib import admin

from .models import TransportHold


@admin.register(TransportHold)
class TransportHoldAdmin(admin.ModelAdmin):
    """Deleting the hold lifts the pause (as `send_mailings --resume` does)."""

    list_display = ["reason", "server_response", "since", "retry_at", "openings"]
    readonly_fields = ["reason", "server_response", "fingerprint", "since", "retry_at", "openings"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
