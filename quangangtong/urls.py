from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from quangangtong.accounts import views as accounts_views
from quangangtong.api import api

urlpatterns = [
    path("", include("quangangtong.catalog.urls")),
    path("", include("quangangtong.queueing.display_urls")),
    path("", include("quangangtong.queueing.kiosk_urls")),
    path("", include("quangangtong.queueing.workbench_urls")),
    path("", include("quangangtong.cases.window_urls")),
    path("", include("quangangtong.cases.office_urls")),
    path("", include("quangangtong.cases.public_urls")),
    path("staff/", accounts_views.staff_home, name="staff-home"),
    path("staff/workdays/", include("quangangtong.workdays.urls")),
    path("staff/planner/", include("quangangtong.planner.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
