from django.contrib import admin

from .models import Message, MessageImage


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
