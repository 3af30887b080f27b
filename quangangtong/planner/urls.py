from django.urls import path

from quangangtong.planner import views

urlpatterns = [
    path("", views.planner_home, name="planner-home"),
    path("runs/new/<slug:kind>/", views.planner_run_create, name="planner-run-create"),
    path("runs/<int:run_id>/", views.planner_run, name="planner-run"),
    path("runs/<int:run_id>/status.json", views.planner_run_status, name="planner-run-status"),
]
