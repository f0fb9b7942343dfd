from django.contrib import admin

from .models import Attempt, Client, Delivery, Mailing, Message


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "owner", "unsubscribed_at", "created_at"]
    list_filter = [("unsubscribed_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "full_name", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "owner", "updated_at"]
    search_fields = ["subject", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Mailing)
class MailingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "status", "periodicity", "start_at", "next_run_at"]
    list_filter = ["status", "periodicity"]
    search_fields = ["message__subject", "owner__email"]
    list_select_related = ["owner", "message"]
    # Thousands of clients: never render them all in a select.
    raw_id_fields = ["owner", "message", "clients"]
    readonly_fields = ["next_run_at", "send_requested_at", "created_at", "updated_at"]


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
