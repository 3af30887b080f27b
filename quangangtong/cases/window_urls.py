from django.urls import path

from quangangtong.cases import window_views

urlpatterns = [
    path("staff/window/cases/", window_views.case_list, name="window-cases"),
    path("staff/window/cases/new/", window_views.case_open, name="window-case-open"),
    path("staff/window/cases/<str:number>/", window_views.case_page, name="window-case"),
    path("staff/window/cases/<str:number>/reveal/", window_views.case_reveal, name="window-case-reveal"),
    path("staff/window/cases/<str:number>/pdf/<slug:document>.pdf", window_views.case_pdf, name="window-case-pdf"),
    path("staff/window/cases/<str:number>/<slug:action>/", window_views.case_action, name="window-case-action"),
]
