from django.contrib import admin

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "owner",
        "read_only",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["read_only", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "owner__email", "lookup"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    # The secret exists nowhere but in its owner's hands: not even its hash is shown.
    fields = [
        "owner",
        "name",
        "lookup",
        "read_only",
        "expires_at",
        "revoked_at",
        "created_at",
        "last_used_at",
    ]
    readonly_fields = ["owner", "lookup", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # made at /accounts/api-tokens/ or by create_api_token, shown once
