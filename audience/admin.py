from django.contrib import admin

from .models import Client, ConsentRecord, MailingList, Membership, Segment, Suppression, Tag
from .status import client_hold
from .suppressions import suppression_of


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "owner", "status", "unsubscribed_at", "created_at"]
    list_filter = ["status", ("unsubscribed_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "full_name", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        # An address on the owner's suppression list keeps its status here too.
        held = suppression_of(owner_id=obj.owner_id, email=obj.email)
        if held is not None:
            client_hold(client=obj, suppression=held)
        super().save_model(request, obj, form, change)


@admin.register(MailingList)
class MailingListAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "double_opt_in", "captcha", "language", "created_at"]
    search_fields = ["name", "owner__email"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["client", "mailing_list", "status", "created_at", "confirmed_at"]
    list_filter = ["status"]
    raw_id_fields = ["client", "mailing_list"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "owner"]
    search_fields = ["name"]
    raw_id_fields = ["clients"]


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "match", "updated_at"]


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ["client", "mailing_list", "source", "created_at", "confirmed_at"]
    list_filter = ["source"]
    raw_id_fields = ["client", "mailing_list"]


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email", "owner", "reason", "suppressed_at", "lifted_at", "lifted_by"]
    list_filter = ["reason", "lifted_by"]
    search_fields = ["email", "owner__email"]

    # Read-only: an address is suppressed by its client's status and lifted on the
    # owner's page with a reason kept; a row written here would match no address.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
