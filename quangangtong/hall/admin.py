from django.contrib import admin

from quangangtong.hall.models import Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "parent", "phone", "sort_order"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
