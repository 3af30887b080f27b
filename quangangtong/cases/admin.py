"""The cases in the hall's admin: to read (every change goes through cases.services), plus the rules to edit."""

from django.contrib import admin

from quangangtong.accounts.admin_site import ReadOnlyAdmin
from quangangtong.accounts.models import DepartmentMembership
from quangangtong.cases.models import (
    Card,
    Case,
    CaseEvent,
    CaseMaterial,
    CaseRules,
    CorrectionNotice,
    CorrectionNoticeItem,
    Delivery,
    IdentityView,
    ItemClockRule,
    Supervision,
    Suspension,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CaseMaterialInline(ReadOnlyInline):
    model = CaseMaterial
    fields = ["name", "necessity", "originals", "copies", "status", "received_originals", "received_copies",
              "defect", "promise", "promise_due", "received_at"]  # fmt: skip
    readonly_fields = fields


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ["at", "kind", "actor", "actor_role", "from_state", "to_state", "business_action", "step",
              "department", "opinion", "detail"]  # fmt: skip
    readonly_fields = fields


class SuspensionInline(ReadOnlyInline):
    model = Suspension
    fields = ["kind", "code", "reason", "step", "started_at", "started_by", "ended_at", "result", "working_days"]
    readonly_fields = fields


class SupervisionInline(ReadOnlyInline):
    model = Supervision
    fields = ["issued_at", "issued_by", "department", "content", "reply_due", "reply", "replied_at"]
    readonly_fields = fields


class CardInline(ReadOnlyInline):
    model = Card
    fields = ["issued_at", "colour", "department", "reason", "revoked_at", "revoke_reason"]
    readonly_fields = fields


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = ["created_at", "method", "proof", "carrier", "tracking_number", "recipient_name", "delivered_at"]
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    """The cases with their whole history, identity numbers masked (a full view is a logged service call)."""

    list_display = ["number", "item_name", "masked_applicant_name", "state", "department", "current_step",
                    "warning", "remaining_working_days", "promised_due", "pickup_method", "opened_at"]  # fmt: skip
    list_filter = ["site", "state", "warning", "case_type", "pickup_method", "department"]
    search_fields = ["number", "item_name"]
    date_hierarchy = "opened_at"
    fields = [
        "number", "site", "item", "item_name", "case_type", "channel", "ticket", "applicant_kind",
        "masked_applicant_name", "id_type", "masked_id_number", "masked_credit_code", "legal_representative",
        "masked_phone", "agent_name", "agent_id_type", "masked_agent_id_number", "masked_agent_phone", "state",
        "department", "current_step", "step_started_at", "step_due", "step_overdue", "opened_at", "opened_by",
        "accepted_at", "accepted_by", "transferred_at", "legal_limit", "legal_limit_unit", "promised_limit",
        "promised_limit_unit", "legal_due", "promised_due", "suspended_working_days", "suspended_calendar_days",
        "warning", "remaining_working_days", "clocks_computed_on", "decision", "decided_at", "decided_by",
        "result_name", "result_number", "rejection_reason", "rejection_remedies", "released_at", "pickup_method",
        "delivered_at", "closed_at", "version",
    ]  # fmt: skip
    readonly_fields = fields
    inlines = [CaseMaterialInline, CaseEventInline, SuspensionInline, SupervisionInline, CardInline, DeliveryInline]

    @admin.display(description="申请人")
    def masked_applicant_name(self, case):
        return case.masked_applicant_name

    @admin.display(description="证件号码")
    def masked_id_number(self, case):
        return case.masked_id_number or "—"

    @admin.display(description="统一社会信用代码")
    def masked_credit_code(self, case):
        return case.masked_credit_code or "—"

    @admin.display(description="联系电话")
    def masked_phone(self, case):
        return case.masked_phone or "—"

    @admin.display(description="代办人证件号码")
    def masked_agent_id_number(self, case):
        return case.masked_agent_id_number or "—"

    @admin.display(description="代办人电话")
    def masked_agent_phone(self, case):
        return case.masked_agent_phone or "—"


class CorrectionNoticeItemInline(ReadOnlyInline):
    model = CorrectionNoticeItem
    fields = ["material", "status", "defect"]
    readonly_fields = fields


@admin.register(CorrectionNotice)
class CorrectionNoticeAdmin(ReadOnlyAdmin):
    list_display = ["case", "sequence", "issued_at", "issued_by", "return_by", "is_override", "answered_at"]
    list_filter = ["is_override"]
    search_fields = ["case__number"]
    inlines = [CorrectionNoticeItemInline]


@admin.register(Supervision)
class SupervisionAdmin(ReadOnlyAdmin):
    list_display = ["case", "department", "issued_at", "issued_by", "reply_due", "replied_at"]
    list_filter = ["department"]
    search_fields = ["case__number"]


@admin.register(Card)
class CardAdmin(ReadOnlyAdmin):
    list_display = ["case", "colour", "department", "issued_at", "issued_by", "revoked_at"]
    list_filter = ["colour", "department"]
    search_fields = ["case__number"]


@admin.register(IdentityView)
class IdentityViewAdmin(ReadOnlyAdmin):
    """Who saw a full identity number, for the personal-information audit."""

    list_display = ["viewed_at", "user", "role", "case", "field", "reason"]
    list_filter = ["field", "role"]
    search_fields = ["case__number", "user__username"]
    date_hierarchy = "viewed_at"


@admin.register(CaseRules)
class CaseRulesAdmin(admin.ModelAdmin):
    list_display = ["site", "number_prefix", "yellow_days", "yellow_percent", "handle_share", "review_share",
                    "approve_share", "correction_wait_days", "supervision_reply_days"]  # fmt: skip


@admin.register(ItemClockRule)
class ItemClockRuleAdmin(admin.ModelAdmin):
    list_display = ["item", "yellow_days", "yellow_percent", "handle_share", "review_share", "approve_share"]
    autocomplete_fields = ["item"]
    search_fields = ["item__name"]


# Membership is an accounts model; it is registered here, next to the cases it gives approvers.
@admin.register(DepartmentMembership)
class DepartmentMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "created_at"]
    list_filter = ["department"]
    search_fields = ["user__username", "user__first_name", "department__name"]
    autocomplete_fields = ["department"]
