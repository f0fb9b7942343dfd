from django.contrib import admin

from .models import Mailing, Message, MessageImage


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "owner", "updated_at"]
    search_fields = ["subject", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(MessageImage)
class MessageImageAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "width", "height", "created_at"]
    search_fields = ["name", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["width", "height", "created_at"]


@admin.register(Mailing)
class MailingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "status", "periodicity", "start_at", "next_run_at"]
    list_filter = ["status", "periodicity"]
    search_fields = ["message__subject", "owner__email"]
    list_select_related = ["owner", "message"]
    # Thousands of clients: never render them all in a select.
    raw_id_fields = ["owner", "message", "clients"]
    readonly_fields = ["next_run_at", "send_requested_at", "created_at", "updated_at"]
