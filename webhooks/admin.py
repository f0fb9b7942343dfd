from django.contrib import admin
from django.db import models

from .models import Endpoint, WebhookMessage


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "owner", "is_active", "failing_since", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    exclude = ["secret"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(WebhookMessage)
class WebhookMessageAdmin(admin.ModelAdmin):
    list_display = ["event_type", "endpoint", "status", "tries", "response_status", "created_at"]
    list_filter = ["status", "event_type"]
    list_select_related = ["endpoint"]
    raw_id_fields = ["endpoint"]
