from django import forms
from django.contrib import admin

from quangangtong.accounts.admin_site import ReadOnlyAdmin
from quangangtong.catalog.models import CatalogImport, Department, Material, ModeTag, ServiceItem
from quangangtong.catalog.rules import item_problems


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0
    fields = [
        "sort_order",
        "name",
        "material_type",
        "form",
        "source",
        "necessity",
        "originals",
        "copies",
        "issuer",
        "note",
    ]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "code", "uscc", "phone", "sort_order"]
    search_fields = ["name", "short_name", "uscc"]


@admin.register(ModeTag)
class ModeTagAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "sort_order"]


class ServiceItemForm(forms.ModelForm):
    """The admin's item form: the model's fields (chosen by the admin) plus the catalogue's rules."""

    def clean(self):
        cleaned = super().clean()
        problems = item_problems(
            values=cleaned,
            mode_codes={tag.code for tag in cleaned.get("modes") or []},
            site_count=len(cleaned.get("delegated_sites") or []),
        )
        for field_name, reason in problems:
            if field_name not in self.errors:
                self.add_error(field_name, reason)
        return cleaned


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    form = ServiceItemForm
    list_display = [
        "name",
        "department",
        "item_type",
        "case_type",
        "promised_limit",
        "promised_limit_unit",
        "is_active",
    ]
    list_filter = ["department", "modes", "case_type", "item_type", "level", "is_active"]
    search_fields = ["name", "keywords", "implementation_code", "pinyin_initials", "pinyin_full"]
    filter_horizontal = ["modes", "delegated_sites"]
    inlines = [MaterialInline]
    fieldsets = [
        ("名称与编码", {"fields": ["name", "keywords", "implementation_code", "basic_code", "handling_item_code"]}),
        ("类型与主体", {"fields": ["item_type", "level", "department", "case_type", "modes", "delegated_sites"]}),
        ("依据与条件", {"fields": ["setting_basis", "acceptance_conditions", "procedure", "special_procedure"]}),
        (
            "时限",
            {
                "fields": [
                    ("legal_limit", "legal_limit_unit"),
                    "legal_limit_note",
                    ("promised_limit", "promised_limit_unit"),
                    "promised_limit_note",
                ]
            },
        ),
        ("收费", {"fields": ["charges_fee", "fee_standard", "fee_basis"]}),
        (
            "办理方式",
            {
                "fields": [
                    "handling_forms",
                    "service_objects",
                    ("visits_required", "visits_note"),
                    "result_name",
                    "location",
                    "hours",
                    ("supports_appointment", "supports_express"),
                    "online_url",
                ]
            },
        ),
        ("咨询与监督", {"fields": ["consult_phone", "supervise_phone", "faq"]}),
        ("状态", {"fields": ["is_active", "sort_order"]}),
    ]


@admin.register(CatalogImport)
class CatalogImportAdmin(ReadOnlyAdmin):
    list_display = ["imported_at", "imported_by", "file_name", "changed", "summary"]
    list_filter = ["changed"]
