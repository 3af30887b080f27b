from django.urls import path

from quangangtong.catalog import staff_views, views

urlpatterns = [
    path("", views.guide_home, name="guide-home"),
    path("guide/items/", views.item_list, name="guide-items"),
    path("guide/items/<str:code>/", views.item_detail, name="guide-item"),
    path("guide/departments/", views.department_list, name="guide-departments"),
    path("guide/departments/<slug:code>/", views.department_detail, name="guide-department"),
    path("guide/modes/", views.mode_list, name="guide-modes"),
    path("guide/sites/<slug:code>/", views.site_detail, name="guide-site"),
    path("staff/catalog/", staff_views.catalog_manage, name="staff-catalog"),
    path("staff/catalog/export/", staff_views.catalog_export, name="staff-catalog-export"),
    path("staff/catalog/import/", staff_views.catalog_import_view, name="staff-catalog-import"),
]
