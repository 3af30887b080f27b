from django.contrib import admin

from quangangtong.accounts.admin_site import ReadOnlyAdmin
from quangangtong.hall.models import OfficerSkill, OfficerSkillChange, Site, TicketCategory, Window, WindowSession


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "parent", "phone", "sort_order"]
    list_filter = ["level"]
    search_fields = ["name", "code"]


@admin.register(TicketCategory)
class TicketCategoryAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "site", "is_active", "sort_order"]
    list_filter = ["site", "is_active"]
    search_fields = ["prefix", "name"]
    filter_horizontal = ["items"]


@admin.register(Window)
class WindowAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "site", "state", "pause_reason"]
    list_filter = ["site", "state"]
    filter_horizontal = ["categories"]
    # Opened, paused and closed by the officers' sign-in, pause and sign-out, which the displays follow.
    readonly_fields = ["state", "pause_reason"]


@admin.register(OfficerSkill)
class OfficerSkillAdmin(ReadOnlyAdmin):
    """The officers' current certifications, to read: they are granted, changed and withdrawn on the skill
    matrix page, which keeps each change in the history."""

    list_display = ["officer", "category", "item", "proficiency", "certified_on", "certified_by"]
    list_filter = ["proficiency", "category", "certified_on"]
    search_fields = ["officer__username", "officer__first_name", "item__name", "certified_by"]


@admin.register(OfficerSkillChange)
class OfficerSkillChangeAdmin(ReadOnlyAdmin):
    """Every grant, change and withdrawal of a certification, with who made it and when."""

    list_display = ["changed_at", "officer", "action", "category", "item", "proficiency", "changed_by", "reason"]
    list_filter = ["action", "proficiency", "category"]
    search_fields = ["officer__username", "officer__first_name", "item__name", "certified_by", "reason"]
    date_hierarchy = "changed_at"


@admin.register(WindowSession)
class WindowSessionAdmin(ReadOnlyAdmin):
    """Who sat at which window, to read: officers sign in and out on the workbench."""

    list_display = ["window", "officer", "signed_in_at", "signed_out_at"]
    list_filter = ["window__site", "window"]
    date_hierarchy = "signed_in_at"
