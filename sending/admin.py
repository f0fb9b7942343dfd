from django.contrib import admin

from .models import QueuedEmail, TransportHold


@admin.register(TransportHold)
class TransportHoldAdmin(admin.ModelAdmin):
    """Deleting the hold lifts the pause (as `send_mailings --resume` does)."""

    list_display = ["reason", "server_response", "since", "retry_at", "openings"]
    readonly_fields = ["reason", "server_response", "fingerprint", "since", "retry_at", "openings"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(QueuedEmail)
class QueuedEmailAdmin(admin.ModelAdmin):
    list_display = ["recipient", "status", "tries", "next_try_at", "created_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["recipient"]
    readonly_fields = ["envelope_from", "recipient", "tries", "last_reply", "created_at", "sent_at"]
    exclude = ["data"]
