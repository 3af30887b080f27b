from django.contrib import admin

from quangangtong.accounts.admin_site import ReadOnlyAdmin
from quangangtong.ids.masking import mask_phone
from quangangtong.queueing.models import JobPosting, Ticket, TicketEvent


@admin.register(JobPosting)
class JobPostingAdmin(admin.ModelAdmin):
    list_display = ["employer", "position", "openings", "pay", "contact", "valid_until", "site"]
    list_filter = ["site", "valid_until"]
    search_fields = ["employer", "position"]
    date_hierarchy = "valid_until"


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    fields = ["at", "kind", "window", "officer", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    """The tickets and their timelines, to read: every change is made by the floor's services."""

    list_display = ["number", "day", "site", "category", "priority", "channel", "status", "window", "issued_at"]
    list_filter = ["site", "day", "status", "priority", "channel", "category"]
    search_fields = ["number"]
    date_hierarchy = "day"
    fields = [
        "site", "number", "day", "category", "item", "priority", "channel", "masked_phone", "status",
        "issued_at", "queued_at", "window", "officer", "reserved_window", "recall_count", "requeued",
    ]  # fmt: skip
    readonly_fields = fields
    inlines = [TicketEventInline]

    @admin.display(description="短信提醒手机号")
    def masked_phone(self, ticket):
        return mask_phone(ticket.phone) if ticket.phone else "—"
