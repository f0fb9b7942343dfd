from django.contrib import admin

from .models import Attempt, Delivery, QueuedEmail, TransportHold


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


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ["mailing", "started_at", "status", "sent_count", "failed_count"]
    list_filter = ["status", "trigger"]
    search_fields = ["mailing__message__subject", "mailing__owner__email"]
    list_select_related = ["mailing__message"]
    date_hierarchy = "started_at"
    raw_id_fields = ["mailing"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    # A run has as many rows as recipients: no inline under Attempt, a searchable list here.
    list_display = ["email", "attempt", "status", "tries", "sent_at"]
    list_filter = ["status"]
    search_fields = ["email", "=attempt__id"]
    raw_id_fields = ["attempt", "client"]
    list_select_related = ["attempt"]
