from django.contrib import admin

from .models import Mailing


@admin.register(Mailing)
class MailingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "status", "periodicity", "start_at", "next_run_at"]
    list_filter = ["status", "periodicity"]
    search_fields = ["message__subject", "owner__email"]
    list_select_related = ["owner", "message"]
    # Thousands of clients: never render them all in a select.
    raw_id_fields = ["owner", "message", "clients"]
    readonly_fields = ["next_run_at", "send_requested_at", "created_at", "updated_at"]
